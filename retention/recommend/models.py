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

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
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

# Item k-NN and Slope One hold dense item x item matrices of floats: 15,000 items take 1.8 GB each.
MAX_PAIRWISE_ITEMS = 15_000

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


def default_models() -> list[str]:
    """The models a comparison trains unless told otherwise (``default_on``): together a minute or less on a shop
    the size of Online Retail on two cores."""
    return [name for name, spec in MODELS.items() if spec.default_on]


def model_catalogue() -> list[dict]:
    """Every registered model as JSON-able records: ``name``, ``label``, ``family``, ``description``, ``default``,
    ``slow`` and ``params`` (each ``name``, ``default``, ``low``, ``high``, ``choices``, ``help``)."""
    return [
        {
            "name": name,
            "label": spec.label,
            "family": spec.family,
            "description": spec.description,
            "default": spec.default_on,
            "slow": spec.slow,
            "params": [
                {
                    "name": param.name,
                    "default": param.default,
                    "low": param.low,
                    "high": param.high,
                    "choices": list(param.choices),
                    "help": param.help,
                }
                for param in spec.params
            ],
        }
        for name, spec in MODELS.items()
    ]


def unmet_need(name: str, train: Feedback, products: pd.DataFrame | None = None) -> str | None:
    """Why model ``name`` cannot be fitted on ``train`` with ``products``, in words; None when it can."""
    for need in MODELS.get_or_raise(name).needs:
        reason = need(train, products)
        if reason:
            return reason
    return None


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


_FIT_REPORT: ContextVar[Callable[[str], None] | None] = ContextVar("fit_report", default=None)


def report_fit(message: str) -> None:
    """Say how a long fit is going ("epoch 3 of 20, validation NDCG@10 0.081"): the comparison or training that
    fits the model shows it after the model's own line. Does nothing outside :func:`reporting_fits`."""
    report = _FIT_REPORT.get()
    if report is not None:
        report(message)


@contextmanager
def reporting_fits(report: Callable[[str], None]) -> Iterator[None]:
    """Within the block, :func:`report_fit` calls ``report(message)``."""
    token = _FIT_REPORT.set(report)
    try:
        yield
    finally:
        _FIT_REPORT.reset(token)


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
    default_on=False,  # ALS and EASE beat it on every shop measured, and its sampled negatives grow with the data
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
    default_on=False,
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
    default_on=False,
)
def _fit_random(train: Feedback, params: dict, products: pd.DataFrame | None, trainset: Trainset | None) -> FittedModel:
    return RandomModel(catalogue(train), known_users(train), params["random_state"])


# The other families register their models on import; they use this module's registry and helpers.
from retention.recommend import content_models, factor_models, item_models, neural  # noqa: E402, F401
