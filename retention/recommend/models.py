"""The recommender models: a registry of Surprise, content-based and baseline models with their hyperparameters.

Every model is fitted on a :class:`~retention.recommend.feedback.Feedback`
and returns a :class:`FittedModel` that scores every catalogue item (the items
of the training feedback) for known users. :func:`register` adds a model to
:data:`MODELS`.

A model may need something the warehouse does not hold: the content model needs product text, item
k-NN and Slope One an item-by-item matrix that must fit in memory. Each declares these as ``needs``
(:func:`unmet_need` checks them), so that a comparison skips it with the reason and runs the others.

Surprise models learn ratings, and a model that only ever sees what customers
chose cannot tell a likely pick from an unlikely one. So by default they are
also taught sampled items each customer did not choose, rated 0
(:func:`with_negatives`, hyperparameter ``negatives``): their scores then rank
well but are no longer ratings, and RMSE/MAE are reported only for
``negatives = 0``, the pure rating model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from surprise import NMF, SVD, BaselineOnly, CoClustering, KNNBaseline, KNNWithMeans, SlopeOne, SVDpp
from surprise.prediction_algorithms.algo_base import AlgoBase
from surprise.trainset import Trainset

from retention import schema
from retention.errors import DataError
from retention.recommend import fitting, topk
from retention.recommend.feedback import Feedback
from retention.registry import Registry

TEXT_COLUMNS = ("title", "category", "brand", "description")
# Item k-NN and Slope One hold dense item x item matrices of floats: 15,000 items take 1.8 GB each.
MAX_PAIRWISE_ITEMS = 15_000
NO_TEXT = (
    "the content model needs product text: none of the trained items has a title, category, brand "
    "or description in the products table; import products (or orders with a title column) to use it"
)

Need = Callable[[Feedback, pd.DataFrame | None], str | None]


@dataclass(frozen=True)
class Param:
    """One hyperparameter: its default, allowed range or choices, and what it does."""

    name: str
    default: int | float | str | bool
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, value: object, model: str) -> int | float | str | bool:
        """``value`` converted to the default's type and checked against the range or choices."""
        where = f"{model} parameter {self.name!r}"
        if isinstance(self.default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0"):
                    raise DataError(f"{where} must be true or false, got {value!r}")
                return value.lower() in ("true", "1")
            return bool(value)
        if self.choices:
            if value not in self.choices:
                raise DataError(f"{where} must be one of {', '.join(self.choices)}, got {value!r}")
            return value
        kind = type(self.default)
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise DataError(f"{where} must be a number, got {value!r}") from None
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise DataError(f"{where} must be between {self.low} and {self.high}, got {number}")
        return number


class FittedModel:
    """A fitted recommender over a fixed catalogue.

    Attributes
    ----------
    items
        Catalogue item ids; column ``j`` of :meth:`scores` is ``items[j]``.
    users
        User ids the model knows (those in its training feedback).
    """

    items: pd.Index
    users: pd.Index

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        """Scores of every catalogue item for known users: float array ``(len(user_ids), len(items))``, higher is better."""
        raise NotImplementedError

    def predict(self, test: list[tuple[str, str, float]]) -> np.ndarray | None:
        """Predicted ratings for ``(user_id, item_id, true rating)`` triples, or None for models that do not predict ratings."""
        return None


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: ``family`` is 'collaborative', 'content' or 'baseline'."""

    name: str
    label: str
    family: str
    description: str
    params: tuple[Param, ...]
    fit: Callable[[Feedback, dict, pd.DataFrame | None, Trainset | None], FittedModel]
    predicts_ratings: bool = False
    default_on: bool = True
    slow: bool = False
    needs: tuple[Need, ...] = ()
    param_index: dict[str, Param] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", {param.name: param for param in self.params})


MODELS: Registry[ModelSpec] = Registry("model")


def register(
    name: str,
    label: str,
    family: str,
    description: str,
    params: Sequence[Param] = (),
    predicts_ratings: bool = False,
    default_on: bool = True,
    slow: bool = False,
    needs: Sequence[Need] = (),
) -> Callable[[Callable], Callable]:
    """Register the decorated ``fit(train, params, products, trainset) -> FittedModel`` in :data:`MODELS`.

    The entry is a :class:`ModelSpec` of ``fit`` and its description; ``fit`` itself is returned unchanged.
    ``needs`` are checks ``need(train, products) -> reason or None`` of what the model cannot do without.
    """
    return MODELS.register(
        name,
        make=lambda fit: ModelSpec(
            name, label, family, description, tuple(params), fit, predicts_ratings, default_on, slow, tuple(needs)
        ),
    )


def unmet_need(name: str, train: Feedback, products: pd.DataFrame | None = None) -> str | None:
    """Why model ``name`` cannot be fitted on ``train`` with ``products``, in words; None when it can."""
    for need in MODELS.get_or_raise(name).needs:
        reason = need(train, products)
        if reason:
            return reason
    return None


def needs_product_text(train: Feedback, products: pd.DataFrame | None) -> str | None:
    """The content model's need: some trained item has a title, category, brand or description."""
    texts = item_texts(products, catalogue(train))
    return None if texts.str.contains(r"\w", regex=True).any() else NO_TEXT


def needs_pairwise_room(train: Feedback, products: pd.DataFrame | None) -> str | None:
    """Item k-NN's and Slope One's need: at most :data:`MAX_PAIRWISE_ITEMS` items for their item x item matrix."""
    n_items = train.frame[schema.COL_ITEM].nunique()
    if n_items <= MAX_PAIRWISE_ITEMS:
        return None
    return (
        f"item-by-item models need at most {MAX_PAIRWISE_ITEMS:,} items for their similarity matrix in memory; "
        f"the training feedback has {n_items:,}"
    )


def resolve_params(name: str, params: Mapping[str, object] | None = None) -> dict:
    """All hyperparameters of model ``name``: the defaults, overridden and validated by ``params``."""
    spec = MODELS.get_or_raise(name)
    params = dict(params or {})
    unknown = sorted(set(params) - set(spec.param_index))
    if unknown:
        known = ", ".join(spec.param_index) or "none"
        raise DataError(f"{name} has no parameter {', '.join(map(repr, unknown))}; its parameters: {known}")
    return {param.name: param.coerce(params.get(param.name, param.default), name) for param in spec.params}


def fit_model(
    name: str,
    train: Feedback,
    params: Mapping[str, object] | None = None,
    products: pd.DataFrame | None = None,
    trainset: Trainset | None = None,
) -> FittedModel:
    """Fit model ``name`` on ``train``; Surprise models reuse ``trainset`` when given (e.g. a cross-validation fold).

    Raises
    ------
    DataError
        Unknown model or parameter, empty feedback, or an unmet need (see :func:`unmet_need`).
    """
    spec = MODELS.get_or_raise(name)
    resolved = resolve_params(name, params)
    if train.frame.empty:
        raise DataError("there is no feedback to train on (no ratings or purchases before the cutoff)")
    reason = unmet_need(name, train, products)
    if reason:
        raise DataError(reason)
    return spec.fit(train, resolved, products, trainset)


def catalogue(train: Feedback) -> pd.Index:
    """The items of the training feedback, sorted: the candidates every model ranks."""
    return pd.Index(np.sort(train.frame[schema.COL_ITEM].unique()), name=schema.COL_ITEM)


def known_users(train: Feedback) -> pd.Index:
    """The users of the training feedback, sorted."""
    return pd.Index(np.sort(train.frame[schema.COL_USER].unique()), name=schema.COL_USER)


def pair_matrix(
    pairs: pd.DataFrame, users: pd.Index, items: pd.Index, values: np.ndarray | None = None
) -> sp.csr_matrix:
    """A users x items sparse matrix over the ``user_id``/``item_id`` rows of ``pairs`` (all must be in the indexes).

    Without ``values`` it marks each pair with 1 (repeated pairs too); with
    ``values`` (one per row) it holds their sum per pair.
    """
    rows = users.get_indexer(pairs[schema.COL_USER])
    cols = items.get_indexer(pairs[schema.COL_ITEM])
    data = np.ones(len(rows)) if values is None else np.asarray(values, dtype=float)
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    if values is None:
        matrix.data[:] = 1.0
    return matrix


# --- Surprise models -------------------------------------------------------------------------------------------------


def surprise_trainset(train: Feedback) -> Trainset:
    """A Surprise trainset of the feedback (rows in the frame's order), held as arrays (see
    :mod:`retention.recommend.fitting`)."""
    frame = train.frame
    return fitting.trainset(
        frame[schema.COL_USER].to_numpy(dtype=object),
        frame[schema.COL_ITEM].to_numpy(dtype=object),
        frame[schema.COL_RATING].to_numpy(dtype=float),
        train.rating_scale,
    )


NEGATIVE_RATING = 0.0


def negative_pairs(train: Feedback, per_rating: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The sampled "not chosen" pairs of :func:`with_negatives`, in its order, as codes: ``(users, items)`` index
    ``pd.factorize(train.frame.user_id)``'s uniques and :func:`catalogue`."""
    frame = train.frame
    rng = np.random.default_rng(seed)
    items = catalogue(train)
    user_codes, _ = pd.factorize(frame[schema.COL_USER], sort=False)
    users = np.repeat(user_codes.astype(np.int64), per_rating)
    drawn = users * len(items) + rng.integers(0, len(items), users.size)
    _, first = np.unique(drawn, return_index=True)  # drop repeated draws, keeping the first
    drawn = drawn[np.sort(first)]
    chosen = user_codes.astype(np.int64) * len(items) + items.get_indexer(frame[schema.COL_ITEM])
    drawn = drawn[~np.isin(drawn, chosen)]
    return np.divmod(drawn, len(items))


def with_negatives(train: Feedback, per_rating: int, seed: int = 0) -> Feedback:
    """The feedback plus sampled "not chosen" pairs, each rated :data:`NEGATIVE_RATING` (0, below any real rating).

    For every feedback row, ``per_rating`` items are drawn uniformly from the
    catalogue for the same user; draws that hit an item the user interacted
    with, or repeat a draw, are dropped. Rating models fitted on this learn
    which items a customer picks, not only how they rate what they picked,
    which is what ranking needs. The scale becomes ``(0, highest rating)``.
    """
    frame = train.frame
    if per_rating <= 0 or frame.empty:
        return train
    users, items = negative_pairs(train, per_rating, seed)
    user_ids = pd.unique(frame[schema.COL_USER])
    negatives = pd.DataFrame(
        {
            schema.COL_USER: np.asarray(user_ids, dtype=object)[users],
            schema.COL_ITEM: catalogue(train).to_numpy()[items],
        }
    )
    negatives = negatives.assign(**{schema.COL_RATING: NEGATIVE_RATING, "first_ts": pd.NaT, schema.COL_TS: pd.NaT})
    combined = pd.concat([frame, negatives.astype(frame.dtypes.to_dict())], ignore_index=True)
    return Feedback(combined, train.kind, (NEGATIVE_RATING, train.rating_scale[1]))


def negatives_trainset(train: Feedback, per_rating: int, seed: int = 0) -> Trainset:
    """``surprise_trainset(with_negatives(train, per_rating, seed))``, built from codes (no frame of strings)."""
    frame = train.frame
    users, items = negative_pairs(train, per_rating, seed)
    user_codes, user_ids = pd.factorize(frame[schema.COL_USER], sort=False)
    item_codes, item_ids = pd.factorize(frame[schema.COL_ITEM], sort=False)
    to_item_code = pd.Index(item_ids).get_indexer(catalogue(train))  # catalogue position -> code
    return fitting.coded_trainset(
        np.concatenate([user_codes, users]),
        user_ids,
        np.concatenate([item_codes, to_item_code[items]]),
        item_ids,
        np.concatenate([frame[schema.COL_RATING].to_numpy(dtype=float), np.full(users.size, NEGATIVE_RATING)]),
        (NEGATIVE_RATING, train.rating_scale[1]),
    )


class SurpriseModel(FittedModel):
    """A fitted Surprise algorithm; scores come from :func:`retention.recommend.topk.surprise_scores`."""

    def __init__(
        self, algo: AlgoBase, train: Feedback, trainset: Trainset | None, negatives: int = 0, seed: int = 0
    ) -> None:
        if negatives > 0 and not train.frame.empty:
            trainset = negatives_trainset(train, negatives, seed)
        self.predicts_ratings = negatives == 0
        trainset = trainset or surprise_trainset(train)
        self.algo = fitting.fit(algo, trainset)
        self.items = pd.Index(sorted(trainset.to_raw_iid(i) for i in trainset.all_items()), name=schema.COL_ITEM)
        self.users = pd.Index(sorted(trainset.to_raw_uid(u) for u in trainset.all_users()), name=schema.COL_USER)
        self._columns = np.array([trainset.to_inner_iid(item) for item in self.items])

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        inner = [self.algo.trainset.to_inner_uid(user) for user in user_ids]
        return topk.surprise_scores(self.algo, inner)[:, self._columns]

    def predict(self, test: list[tuple[str, str, float]]) -> np.ndarray | None:
        if not self.predicts_ratings:
            return None
        return np.array([prediction.est for prediction in self.algo.test(test)])


def negatives_param(default: int) -> Param:
    """The ``negatives`` hyperparameter (see :func:`with_negatives`) with a model-specific default."""
    return Param(
        "negatives",
        default,
        "Sampled items the customer did not choose, per rating, taught as rating 0. 0 = a pure rating model "
        "(RMSE and MAE apply; ranking is poor); more = better at picking items, scores are no longer ratings, "
        "fitting takes longer.",
        0,
        50,
    )


NEGATIVES = "negatives"


def _surprise(
    name: str,
    label: str,
    description: str,
    build: Callable[[dict], AlgoBase],
    params=(),
    negatives: int = 8,
    **options,
) -> None:
    """Register a Surprise algorithm built from its resolved parameters (plus ``negatives``, see :func:`with_negatives`)."""

    def fit(train: Feedback, resolved: dict, products: pd.DataFrame | None, trainset: Trainset | None) -> FittedModel:
        algo_params = {key: value for key, value in resolved.items() if key != NEGATIVES}
        seed = resolved.get("random_state", 0)
        return SurpriseModel(build(algo_params), train, trainset, resolved[NEGATIVES], seed)

    params = (*params, negatives_param(negatives))
    register(name, label, "collaborative", description, params, predicts_ratings=True, **options)(fit)


SEED = Param("random_state", 0, "Seed of the random initialisation.", 0, 2**31 - 1)
EPOCHS = Param("n_epochs", 20, "Passes of stochastic gradient descent over the ratings.", 1, 500)

_surprise(
    "svd",
    "SVD (matrix factorisation)",
    "Learns a taste vector per customer and per item plus biases; the score is their dot product.",
    lambda p: SVD(**p),
    (
        Param("n_factors", 50, "Length of the taste vectors.", 1, 500),
        EPOCHS,
        Param("lr_all", 0.005, "Learning rate.", 1e-5, 1.0),
        Param("reg_all", 0.02, "Regularisation: larger values keep vectors small.", 0.0, 10.0),
        Param("biased", True, "Learn customer and item biases."),
        SEED,
    ),
)
_surprise(
    "svdpp",
    "SVD++",
    "SVD that also uses which items a customer rated at all (slow: off by default).",
    lambda p: SVDpp(**p),
    (
        Param("n_factors", 20, "Length of the taste vectors.", 1, 200),
        Param("n_epochs", 10, "Passes of stochastic gradient descent over the ratings.", 1, 200),
        Param("lr_all", 0.007, "Learning rate.", 1e-5, 1.0),
        Param("reg_all", 0.02, "Regularisation.", 0.0, 10.0),
        SEED,
    ),
    default_on=False,
    slow=True,
)
_surprise(
    "nmf",
    "NMF (non-negative factorisation)",
    "Matrix factorisation whose taste vectors are non-negative, so factors read as additive themes.",
    lambda p: NMF(**p),
    (
        Param("n_factors", 15, "Number of themes.", 1, 200),
        Param("n_epochs", 50, "Passes over the ratings.", 1, 500),
        Param("reg_pu", 0.06, "Regularisation of customer factors.", 0.0, 10.0),
        Param("reg_qi", 0.06, "Regularisation of item factors.", 0.0, 10.0),
        Param("biased", False, "Add customer and item biases."),
        SEED,
    ),
    default_on=False,
)
_surprise(
    "knn_baseline",
    "Item k-NN with baseline (Pearson)",
    "Scores an item by the customer's ratings of the k most similar items, after removing customer and item biases.",
    lambda p: KNNBaseline(
        k=p["k"],
        min_k=p["min_k"],
        sim_options={"name": "pearson_baseline", "user_based": False, "shrinkage": p["shrinkage"]},
        verbose=False,
    ),
    (
        Param("k", 40, "Neighbours used per prediction.", 1, 500),
        Param("min_k", 1, "Fewer positive neighbours than this: fall back to the baseline.", 1, 100),
        Param("shrinkage", 100, "Shrinks similarities of item pairs with few common customers.", 0, 10_000),
    ),
    negatives=3,
    needs=(needs_pairwise_room,),
)
_surprise(
    "knn_means",
    "Item k-NN with means",
    "Scores an item by the customer's ratings of the k most similar items, each centred on its item's mean.",
    lambda p: KNNWithMeans(
        k=p["k"], min_k=p["min_k"], sim_options={"name": p["similarity"], "user_based": False}, verbose=False
    ),
    (
        Param("k", 40, "Neighbours used per prediction.", 1, 500),
        Param("min_k", 1, "Fewer positive neighbours than this: use the item's mean.", 1, 100),
        Param("similarity", "msd", "Similarity between items.", choices=("msd", "cosine", "pearson")),
    ),
    negatives=3,
    default_on=False,
    needs=(needs_pairwise_room,),
)
_surprise(
    "baseline_only",
    "Baseline (biases only)",
    "Global mean plus a customer bias plus an item bias; no personal taste.",
    lambda p: BaselineOnly(
        bsl_options={"method": "als", "n_epochs": p["n_epochs"], "reg_u": p["reg_u"], "reg_i": p["reg_i"]},
        verbose=False,
    ),
    (
        Param("n_epochs", 10, "Alternating least squares iterations.", 1, 200),
        Param("reg_u", 15.0, "Regularisation of customer biases.", 0.0, 1000.0),
        Param("reg_i", 10.0, "Regularisation of item biases.", 0.0, 1000.0),
    ),
    default_on=False,
)
_surprise(
    "slope_one",
    "Slope One",
    "Predicts from the average rating difference between item pairs rated by the same customers.",
    lambda p: SlopeOne(),
    negatives=3,
    default_on=False,
    needs=(needs_pairwise_room,),
)
_surprise(
    "coclustering",
    "Co-clustering",
    "Groups customers and items into clusters at once; predicts from cluster averages.",
    lambda p: CoClustering(**p),
    (
        Param("n_cltr_u", 3, "Customer clusters.", 1, 100),
        Param("n_cltr_i", 3, "Item clusters.", 1, 100),
        EPOCHS,
        SEED,
    ),
    default_on=False,
)


# --- Content-based ---------------------------------------------------------------------------------------------------


class ContentModel(FittedModel):
    """Cosine similarity between TF-IDF item vectors and each user's recency-weighted profile.

    Items outside the candidate pool score their cosine minus 2, so they rank
    after every candidate (cosines of TF-IDF vectors lie in [0, 1]).
    """

    def __init__(
        self,
        items: pd.Index,
        users: pd.Index,
        item_vectors: sp.csr_matrix,
        profiles: sp.csr_matrix,
        candidate: np.ndarray,
    ) -> None:
        self.items, self.users = items, users
        self.item_vectors, self.profiles, self.candidate = item_vectors, profiles, candidate

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        rows = self.users.get_indexer(user_ids)
        cosine = np.asarray((self.profiles[rows] @ self.item_vectors.T).todense())
        return np.where(self.candidate, cosine, cosine - 2.0)


def candidate_pool(popularity: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the ``ceil(share * n)`` most popular items (ties at the boundary all included); share 1: all."""
    if share >= 1.0 or popularity.size == 0:
        return np.ones(popularity.size, dtype=bool)
    n_pool = max(1, int(np.ceil(share * popularity.size)))
    threshold = np.sort(popularity)[::-1][n_pool - 1]
    return popularity >= threshold


def item_texts(products: pd.DataFrame | None, items: pd.Index) -> pd.Series:
    """Title, category, brand and description of each catalogue item joined into one text ('' when unknown)."""
    if products is None or products.empty:
        return pd.Series("", index=items)
    table = products.drop_duplicates(schema.COL_ITEM).set_index(schema.COL_ITEM).reindex(items)
    parts = [table[column].fillna("").astype(str) for column in TEXT_COLUMNS if column in table]
    return pd.concat(parts, axis=1).agg(" ".join, axis=1).str.strip()


def item_vectors(texts: pd.Series, max_features: int = 5000, ngram_max: int = 1) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows, one per text (an all-zero row for an empty text).

    Raises
    ------
    DataError
        No text has a word in it.
    """
    if not texts.str.contains(r"\w", regex=True).any():
        raise DataError(NO_TEXT)
    from sklearn.feature_extraction.text import TfidfVectorizer  # seconds to import: only where it runs

    vectorizer = TfidfVectorizer(max_features=max_features, ngram_range=(1, ngram_max), sublinear_tf=True)
    return vectorizer.fit_transform(texts.tolist()).tocsr()


def recency_weights(train: Feedback, half_life_days: float, min_rating: float) -> np.ndarray:
    """Weight of each feedback row in its user's profile.

    ``w = 0.5 ** (age_days / half_life_days)`` for rows rated at least
    ``min_rating``, else 0; ``age_days`` is the time from the row's last
    interaction to the latest interaction in ``train`` (0 when unknown).
    """
    frame = train.frame
    latest = frame[schema.COL_TS].max()
    age = ((latest - frame[schema.COL_TS]).dt.total_seconds() / 86_400).fillna(0.0).to_numpy(dtype=float)
    liked = frame[schema.COL_RATING].to_numpy(dtype=float) >= min_rating
    return np.where(liked, 0.5 ** (age / half_life_days), 0.0)


@register(
    "content",
    "Content-based (TF-IDF)",
    "content",
    "Recommends items whose title, category, brand and description resemble what the customer bought or rated well "
    "recently.",
    (
        Param("half_life_days", 90.0, "An interaction this many days old counts half in the profile.", 1.0, 3650.0),
        Param(
            "min_rating",
            2.0,
            "Only items rated at least this enter the profile (implicit: 2 = bought and kept).",
            0.0,
            10.0,
        ),
        Param("max_features", 5000, "Vocabulary size of the TF-IDF vectors.", 10, 100_000),
        Param("ngram_max", 1, "Longest word sequence used as a term (1 = single words, 2 = also pairs).", 1, 3),
        Param(
            "candidate_share",
            0.25,
            "Candidate filtering: rank the most popular share of the catalogue first (1 = no filtering). "
            "Text alone ignores what sells; this keeps lists to items customers actually buy.",
            0.01,
            1.0,
        ),
    ),
    needs=(needs_product_text,),
)
def _fit_content(
    train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None
) -> FittedModel:
    items, users = catalogue(train), known_users(train)
    vectors = item_vectors(item_texts(products, items), params["max_features"], params["ngram_max"])
    weights = pair_matrix(
        train.frame, users, items, recency_weights(train, params["half_life_days"], params["min_rating"])
    )
    from sklearn.preprocessing import normalize  # seconds to import: only where it runs

    profiles = normalize(weights @ vectors)
    candidate = candidate_pool(popularity_counts(train, items), params["candidate_share"])
    return ContentModel(items, users, vectors, sp.csr_matrix(profiles), candidate)


# --- Baselines -------------------------------------------------------------------------------------------------------


class ConstantModel(FittedModel):
    """Every user gets the same item scores (popularity)."""

    def __init__(self, items: pd.Index, users: pd.Index, item_scores: np.ndarray) -> None:
        self.items, self.users, self.item_scores = items, users, item_scores

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        return np.tile(self.item_scores, (len(user_ids), 1))


def popularity_counts(train: Feedback, items: pd.Index, window_days: float = 0.0) -> np.ndarray:
    """Distinct users per catalogue item, counting interactions in the last ``window_days`` of ``train`` (0: all)."""
    frame = train.frame
    if window_days > 0:
        frame = frame[frame[schema.COL_TS] >= frame[schema.COL_TS].max() - pd.Timedelta(days=window_days)]
    counts = frame.groupby(schema.COL_ITEM)[schema.COL_USER].nunique()
    return counts.reindex(items, fill_value=0).to_numpy(dtype=float)


@register(
    "popularity",
    "Most popular",
    "baseline",
    "Recommends the items bought (or rated) by the most customers in the training window; the same list for everyone.",
    (Param("window_days", 0.0, "Count only the last this many days of training (0 = the whole window).", 0.0, 3650.0),),
)
def _fit_popularity(
    train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None
) -> FittedModel:
    items = catalogue(train)
    return ConstantModel(items, known_users(train), popularity_counts(train, items, params["window_days"]))


class RandomModel(FittedModel):
    """Uniform random scores, drawn afresh from a seeded generator for each user."""

    def __init__(self, items: pd.Index, users: pd.Index, seed: int) -> None:
        self.items, self.users, self.seed = items, users, seed

    def scores(self, user_ids: Sequence[str]) -> np.ndarray:
        rows = self.users.get_indexer(user_ids)
        return (
            np.stack([np.random.default_rng([self.seed, int(row)]).random(len(self.items)) for row in rows])
            if len(rows)
            else np.empty((0, len(self.items)))
        )


@register(
    "random",
    "Random",
    "baseline",
    "Recommends random items: the floor every model must clear.",
    (SEED,),
)
def _fit_random(train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None) -> FittedModel:
    return RandomModel(catalogue(train), known_users(train), params["random_state"])
