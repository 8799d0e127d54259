"""Offline evaluation: split the feedback, fit each model on the training part, score the held-out part.

Three splits, the same for every model compared:

* ``time`` (default): train on interactions before a cutoff, test on the
  user-item pairs with an interaction at or after it. The cutoff defaults to
  the time before which ``1 - test_share`` of the feedback events happened.
* ``random``: Surprise's ``KFold`` over feedback rows (shuffled with
  ``seed``); metrics are averaged over the folds. A Surprise model's RMSE and
  MAE equal ``surprise.model_selection.cross_validate`` on the same folds.
* ``stratified``: each customer's feedback rows split at random, ``test_share`` of them to test (Microsoft
  Recommenders' ``python_stratified_split``; the rule is in :mod:`retention.recommend.stratified`), so that
  results on a rating data set compare with published tables.

Every split reads one feedback source (:mod:`retention.recommend.feedback`; by default the one with the most
rows) and records it, with the combined source's weights, in its description.

Every split is evaluated in one of two modes (:mod:`retention.recommend.modes`), recorded in its description:

* ``discovery`` (default): ranking metrics use, per test user known in training, the test items that are in
  the training catalogue and that the user did not interact with in training; lists never hold an item the
  user interacted with in training. Right for finding new products.
* ``repeat``: items the user interacted with in training may be recommended and count as hits when the user
  came back for them in the test data. Right for replenishment ("buy again").

Test users absent from training (cold-start users) and test items
absent from training (cold-start items) cannot be ranked by any model here:
they are counted in the split summary, not scored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from surprise import Dataset, Reader
from surprise.model_selection import KFold
from surprise.trainset import Trainset

from retention import schema
from retention.errors import DataError
from retention.recommend import board, content_models, metrics, models, stratified, topk
from retention.recommend import feedback as fb
from retention.recommend.modes import DISCOVERY, REPEAT, checked_mode

SPLITS = ("time", "random", "stratified")
DEFAULT_K = 10
SCORE_BLOCK = 256

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Fold:
    """One train/test pair: ``test`` has ``user_id``, ``item_id``, ``rating``; ``trainset`` is Surprise's own (random split).

    ``targets`` is filled in once per split (see :func:`fold_targets`) and shared by every model evaluated on it.
    """

    train: fb.Feedback
    test: pd.DataFrame
    trainset: Trainset | None = None
    targets: Targets | None = None


@dataclass(frozen=True)
class Split:
    """The folds every model is evaluated on, the product text, a JSON-able description of the split, and ``full``:
    all the feedback of the split's source as read for it (what a run's model is then fitted on)."""

    kind: str
    folds: tuple[Fold, ...]
    products: pd.DataFrame
    description: dict = field(default_factory=dict)
    full: fb.Feedback | None = None


@dataclass(frozen=True)
class Evaluation:
    """One model's result: ``metrics`` maps each of :data:`metrics.METRIC_NAMES` to a float or None.

    ``user_metrics``: one row per evaluated customer: ``user_id``, ``train_items`` (the customer's feedback rows in
    training) and one float column per ranking metric (:data:`metrics.RANKING_METRICS`); with k folds, each
    customer's mean over the folds they were evaluated in. ``intervals``: ranking metric -> ``[low, high]``, the 95%
    bootstrap interval of its mean over customers (:func:`retention.recommend.board.intervals`).
    """

    model: str
    params: dict
    split: dict
    k: int
    metrics: dict
    fit_seconds: float
    score_seconds: float
    user_metrics: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    intervals: dict = field(default_factory=dict)


def time_split(
    con: duckdb.DuckDBPyConnection,
    cutoff: pd.Timestamp | str | None = None,
    test_share: float = 0.2,
    *,
    diversity: bool = True,
    mode: str = DISCOVERY,
    feedback: str | None = None,
    weights: fb.Weights | None = None,
) -> Split:
    """Train on feedback before ``cutoff``, test on user-item pairs with an interaction at or after it, in ``mode``
    (see the module docstring), on the ``feedback`` source with ``weights`` (None: the default source).

    ``cutoff`` None: the timestamp before which ``1 - test_share`` of the
    feedback events lie. ``diversity`` False leaves the targets' ``item_vectors`` None (a split that is only
    described, never evaluated, skips the TF-IDF).

    Raises
    ------
    DataError
        No feedback, no timestamps, or nothing on one side of the cutoff.
    """
    mode = checked_mode(mode)
    source = fb.feedback_source(con, test_share, feedback, weights)
    if cutoff is None:
        if source.default_cutoff is None:
            raise DataError("the ratings have no timestamps, so a time split is impossible; use the random split")
        cutoff = source.default_cutoff
    cutoff = pd.Timestamp(cutoff)
    train = fb.load_feedback(con, end=cutoff, kind=source.kind, weights=source.weights)
    full = fb.load_feedback(con, kind=source.kind, weights=source.weights)
    test = full.frame.loc[full.frame[schema.COL_TS] >= cutoff, [schema.COL_USER, schema.COL_ITEM, schema.COL_RATING]]
    if train.frame.empty:
        raise DataError(f"no feedback before the cutoff {cutoff:%Y-%m-%d %H:%M}; choose a later cutoff")
    if test.empty:
        raise DataError(f"no feedback at or after the cutoff {cutoff:%Y-%m-%d %H:%M}; choose an earlier cutoff")
    description = {
        "kind": "time",
        "cutoff": cutoff.isoformat(),
        "test_share": test_share,
        **described(full),
        "mode": mode,
    }
    split = Split("time", (Fold(train, test.reset_index(drop=True)),), fb.products(con), description, full)
    return _with_counts(split, diversity=diversity)


def random_split(
    con: duckdb.DuckDBPyConnection,
    folds: int = 5,
    seed: int = 0,
    mode: str = DISCOVERY,
    feedback: str | None = None,
    weights: fb.Weights | None = None,
) -> Split:
    """Surprise's ``KFold(n_splits=folds, random_state=seed, shuffle=True)`` over all feedback rows of the
    ``feedback`` source (with ``weights``; None: the default source), in ``mode``.

    A feedback row is one user and item, so no test pair was seen in training: the repeat mode only lets lists
    hold past items (which cannot be hits here).

    Raises
    ------
    DataError
        Fewer than 2 folds, or more folds than feedback rows.
    """
    mode = checked_mode(mode)
    full = fb.load_feedback(con, kind=feedback, weights=weights)
    if folds < 2 or folds > len(full.frame):
        raise DataError(
            f"the random split needs between 2 and {len(full.frame)} folds (one per feedback row), got {folds}"
        )
    data = surprise_dataset(full)
    frame = full.frame.set_index([schema.COL_USER, schema.COL_ITEM])
    built = []
    for trainset, testset in KFold(n_splits=folds, random_state=seed, shuffle=True).split(data):
        train_pairs = pd.MultiIndex.from_tuples(
            [(trainset.to_raw_uid(u), trainset.to_raw_iid(i)) for u, i, _ in trainset.all_ratings()],
            names=[schema.COL_USER, schema.COL_ITEM],
        )
        train = fb.Feedback(frame.loc[train_pairs].reset_index(), full.kind, full.rating_scale, full.weights)
        test = pd.DataFrame(testset, columns=[schema.COL_USER, schema.COL_ITEM, schema.COL_RATING])
        built.append(Fold(train, test, trainset))
    description = {"kind": "random", "folds": folds, "seed": seed, **described(full), "mode": mode}
    return _with_counts(Split("random", tuple(built), fb.products(con), description, full))


def stratified_split(
    con: duckdb.DuckDBPyConnection,
    test_share: float = stratified.TEST_SHARE,
    seed: int = 0,
    mode: str = DISCOVERY,
    feedback: str | None = None,
    weights: fb.Weights | None = None,
) -> Split:
    """Each customer's feedback rows of the ``feedback`` source (with ``weights``; None: the default source)
    split at random, ``test_share`` of them to test, by the rule of :mod:`retention.recommend.stratified`, in
    ``mode``. As in the random split no test pair was seen in training.

    Raises
    ------
    DataError
        ``test_share`` outside (0, 1), or no customer has enough feedback for a test row.
    """
    mode = checked_mode(mode)
    full = fb.load_feedback(con, kind=feedback, weights=weights)
    held_out = stratified.held_out_rows(full.frame, test_share, seed)
    if not held_out.any():
        raise DataError(
            f"no customer has enough {fb.source_label(full.kind)} for a test share of {test_share:g} (each keeps "
            f"at least one row in training, and customers with fewer than {stratified.MIN_ROWS} rows keep all); "
            "choose a larger test share, another feedback source or another split"
        )
    test = full.frame.loc[held_out, [schema.COL_USER, schema.COL_ITEM, schema.COL_RATING]].reset_index(drop=True)
    description = {
        "kind": "stratified",
        "test_share": test_share,
        "seed": seed,
        **described(full),
        "mode": mode,
    }
    fold = Fold(full.subset(~held_out), test)
    return _with_counts(Split("stratified", (fold,), fb.products(con), description, full))


def described(feedback: fb.Feedback) -> dict[str, object]:
    """What a split description says of its feedback: ``feedback`` (the source) and ``weights`` (key -> weight,
    empty unless the source is the combined one)."""
    return {"feedback": feedback.kind, "weights": dict(feedback.weights)}


@dataclass(frozen=True)
class SplitQuery:
    """Which split every compared model is evaluated on (hashable, so it can key a cache).

    Attributes
    ----------
    kind
        ``'time'`` (:func:`time_split`), ``'random'`` (:func:`random_split`) or ``'stratified'``
        (:func:`stratified_split`).
    cutoff
        Time split: the first test timestamp; None = the time before which ``1 - test_share`` of the
        feedback events lie.
    test_share
        Time split: share of feedback events after the default cutoff, in (0, 1). Stratified split: each
        customer's share of rows in test (Microsoft Recommenders' is 0.25: :data:`stratified.TEST_SHARE`).
    folds
        Random split: number of folds, at least 2.
    seed
        Random and stratified splits: seed of the shuffle.
    mode
        ``'discovery'`` or ``'repeat'`` (see the module docstring).
    feedback
        The feedback source (one of :data:`~retention.recommend.feedback.SOURCES`); None = the one with the
        most rows.
    weights
        The combined source's weights as ``(key, weight)`` pairs (a tuple, so the query stays hashable);
        None = :data:`~retention.recommend.feedback.DEFAULT_WEIGHTS`; only for the combined source.
    """

    kind: str = "time"
    cutoff: pd.Timestamp | str | None = None
    test_share: float = 0.2
    folds: int = 5
    seed: int = 0
    mode: str = DISCOVERY
    feedback: str | None = None
    weights: fb.Weights | None = None


def make_split(con: duckdb.DuckDBPyConnection, query: SplitQuery | None = None) -> Split:
    """The split ``query`` describes (by default the time split at the default cutoff).

    Raises
    ------
    DataError
        An unknown kind, or the reasons of :func:`time_split` and :func:`random_split`.
    """
    query = query or SplitQuery()
    source = {"mode": query.mode, "feedback": query.feedback, "weights": query.weights}
    if query.kind == "time":
        return time_split(con, cutoff=query.cutoff, test_share=query.test_share, **source)
    if query.kind == "random":
        return random_split(con, folds=query.folds, seed=query.seed, **source)
    if query.kind == "stratified":
        return stratified_split(con, test_share=query.test_share, seed=query.seed, **source)
    raise DataError(f"unknown split {query.kind!r}; use one of {', '.join(SPLITS)}")


def surprise_dataset(feedback: fb.Feedback) -> Dataset:
    """The feedback as a Surprise ``Dataset`` (rows in the frame's order, the feedback's rating scale)."""
    columns = [schema.COL_USER, schema.COL_ITEM, schema.COL_RATING]
    return Dataset.load_from_df(feedback.frame[columns], Reader(rating_scale=feedback.rating_scale))


@dataclass(frozen=True)
class Targets:
    """What one fold asks of the models: the users to rank for, their relevant items and the items to exclude."""

    items: pd.Index
    users: pd.Index
    relevant: sp.csr_matrix
    seen: sp.csr_matrix
    cold_users: int
    cold_items: int
    popularity: np.ndarray
    item_vectors: sp.csr_matrix | None
    repeats: bool = False


def fold_targets(fold: Fold, products: pd.DataFrame, *, diversity: bool = True, repeats: bool = False) -> Targets:
    """Users to evaluate (known in training, with at least one relevant test item) and their relevant and seen items.

    ``relevant[u, i]``: user u has item i in the test data, i is in the
    training catalogue, and (unless ``repeats``) u did not interact with i in training.
    ``seen[u, i]``: u interacted with i in training (never recommended, unless ``repeats``).
    ``popularity[i]``: share of training users who interacted with item i, in (0, 1].
    ``item_vectors``: the rows :func:`diversity_vectors` gives, for intra-list diversity (None when not
    ``diversity``).
    """
    items, known = models.catalogue(fold.train), models.known_users(fold.train)
    test = fold.test
    warm_user = known.get_indexer(test[schema.COL_USER]) >= 0
    warm_item = items.get_indexer(test[schema.COL_ITEM]) >= 0
    cold_users = test.loc[~warm_user, schema.COL_USER].nunique()
    cold_items = test.loc[~warm_item, schema.COL_ITEM].nunique()
    train_pairs = pd.MultiIndex.from_frame(fold.train.frame[[schema.COL_USER, schema.COL_ITEM]])
    candidates = test.loc[warm_user & warm_item, [schema.COL_USER, schema.COL_ITEM]].drop_duplicates()
    if not repeats:
        candidates = candidates[~pd.MultiIndex.from_frame(candidates).isin(train_pairs)]
    users = pd.Index(np.sort(candidates[schema.COL_USER].unique()), name=schema.COL_USER)
    relevant = models.pair_matrix(candidates, users, items)
    train = fold.train.frame[fold.train.frame[schema.COL_USER].isin(users)]
    seen = models.pair_matrix(train, users, items)
    popularity = models.popularity_counts(fold.train, items) / len(known)
    vectors = diversity_vectors(fold, items, products) if diversity else None
    return Targets(items, users, relevant, seen, int(cold_users), int(cold_items), popularity, vectors, repeats)


def _with_counts(split: Split, *, diversity: bool = True) -> Split:
    """The split with each fold's targets, and its sizes and cold-start counts (means over folds) in its description."""
    repeats = split.description.get("mode") == REPEAT
    folds = tuple(
        replace(fold, targets=fold_targets(fold, split.products, diversity=diversity, repeats=repeats))
        for fold in split.folds
    )
    targets = [fold.targets for fold in folds]
    counts = {
        "train_rows": int(np.mean([len(fold.train.frame) for fold in split.folds])),
        "test_rows": int(np.mean([len(fold.test) for fold in split.folds])),
        "catalogue_items": int(np.mean([len(target.items) for target in targets])),
        "eval_users": int(np.mean([len(target.users) for target in targets])),
        "cold_users": int(np.mean([target.cold_users for target in targets])),
        "cold_items": int(np.mean([target.cold_items for target in targets])),
    }
    if min(len(target.users) for target in targets) == 0:
        raise DataError(
            "no test customer has a new item that was in the training catalogue, so ranking cannot be evaluated; "
            "use more data or a different split"
        )
    return Split(split.kind, folds, split.products, {**split.description, **counts}, split.full)


def diversity_vectors(fold: Fold, items: pd.Index, products: pd.DataFrame) -> sp.csr_matrix:
    """Item vectors for intra-list diversity: TF-IDF of product text, or who-bought-it columns when there is no text."""
    texts = content_models.item_texts(products, items)
    if texts.str.contains(r"\w", regex=True).any():
        return content_models.item_vectors(texts)
    users = models.known_users(fold.train)
    incidence = models.pair_matrix(fold.train.frame, users, items)
    from sklearn.preprocessing import normalize  # scikit-learn takes seconds to import: only where it runs

    return normalize(incidence.T.tocsr())


def evaluate_fold(name: str, params: dict, fold: Fold, k: int, products: pd.DataFrame) -> dict:
    """Fit ``name`` on one fold and compute every metric; also ``fit_seconds``, ``score_seconds`` and
    ``user_metrics`` (one row per evaluated customer, see :class:`Evaluation`)."""
    started = time.perf_counter()
    fitted = models.fit_model(name, fold.train, params, products, fold.trainset)
    fit_seconds = time.perf_counter() - started
    result: dict[str, float | None] = dict.fromkeys(metrics.METRIC_NAMES)
    predicted = fitted.predict(list(fold.test.itertuples(index=False, name=None)))
    if predicted is not None:
        actual = fold.test[schema.COL_RATING].to_numpy(dtype=float)
        result["rmse"], result["mae"] = metrics.rmse(actual, predicted), metrics.mae(actual, predicted)
    targets = fold.targets or fold_targets(fold, products)
    started = time.perf_counter()
    recommended = recommend_indices(fitted, targets, k)
    score_seconds = time.perf_counter() - started
    hits = metrics.hit_matrix(recommended, targets.relevant)
    n_relevant = np.asarray(targets.relevant.sum(axis=1)).ravel().astype(int)
    per_user = metrics.per_user(hits, n_relevant)
    train_items = fold.train.frame[schema.COL_USER].value_counts().reindex(targets.users, fill_value=0)
    users = pd.DataFrame({schema.COL_USER: targets.users, "train_items": train_items.to_numpy(float), **per_user})
    result.update(
        **{metric: float(np.mean(values)) for metric, values in per_user.items()},
        coverage=metrics.coverage(recommended, len(targets.items)),
        novelty=metrics.novelty(recommended, targets.popularity),
        diversity=metrics.diversity(recommended, targets.item_vectors),
        popular_share=metrics.popular_share(recommended, targets.popularity),
    )
    return {**result, "fit_seconds": fit_seconds, "score_seconds": score_seconds, "user_metrics": users}


def recommend_indices(fitted: models.FittedModel, targets: Targets, k: int) -> np.ndarray:
    """Top-``k`` catalogue indices (``-1`` for empty slots) per target user, in blocks; training items are excluded
    unless the targets are in the repeat mode."""
    columns = targets.items.get_indexer(fitted.items)
    if (columns < 0).any() or len(columns) != len(targets.items):
        raise ValueError("the model's catalogue differs from the fold's training items")
    blocks = []
    for start in range(0, len(targets.users), SCORE_BLOCK):
        users = targets.users[start : start + SCORE_BLOCK]
        scores = np.empty((len(users), len(targets.items)))
        scores[:, columns] = fitted.scores(list(users))
        exclude = None if targets.repeats else targets.seen[start : start + SCORE_BLOCK]
        indices, _ = topk.top_k(scores, k, exclude)
        blocks.append(indices)
    return np.vstack(blocks)


def evaluate_model(
    name: str,
    split: Split,
    params: Mapping[str, object] | None = None,
    k: int = DEFAULT_K,
    on_fold: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Evaluate model ``name`` with ``params`` on every fold of ``split``; metrics and timings are fold means.

    ``on_fold(i, n)`` is called before fold ``i`` (0-based) of ``n``.

    Raises
    ------
    DataError
        Unknown model or parameter, K below 1, or (content) no product text.
    """
    if k < 1:
        raise DataError(f"K must be at least 1, got {k}")
    resolved = models.resolve_params(name, params)
    per_fold = []
    for position, fold in enumerate(split.folds):
        if on_fold:
            on_fold(position, len(split.folds))
        per_fold.append(evaluate_fold(name, resolved, fold, k, split.products))
    users = pd.concat([fold.pop("user_metrics") for fold in per_fold], ignore_index=True)
    if len(per_fold) > 1:
        users = users.groupby(schema.COL_USER, as_index=False, sort=True).mean()
    per_fold = pd.DataFrame(per_fold)
    means = per_fold.mean(numeric_only=True)
    values = {
        column: (None if column not in means or pd.isna(means[column]) else float(means[column])) for column in per_fold
    }
    return Evaluation(
        model=name,
        params=resolved,
        split=split.description,
        k=k,
        metrics={name: values[name] for name in metrics.METRIC_NAMES},
        fit_seconds=float(values["fit_seconds"]),
        score_seconds=float(values["score_seconds"]),
        user_metrics=users,
        intervals=board.intervals(users),
    )


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` did: ``results`` of the models that ran, in the order asked, and ``skipped``
    (model name -> why it could not run, in words) for the others."""

    results: list[Evaluation]
    skipped: dict[str, str] = field(default_factory=dict)


def compare(
    split: Split,
    model_params: Mapping[str, Mapping[str, object] | None] | Sequence[str],
    k: int = DEFAULT_K,
    progress: Progress | None = None,
) -> Comparison:
    """Evaluate several models on the same split, in order; ``progress(fraction, message)`` is called before
    each fold of each model ("Model 2 of 4: SVD, fold 3 of 5") and for each model skipped.

    A model that cannot run on this data (an unmet need such as the content model's product text, see
    :func:`~retention.recommend.models.unmet_need`, or any other data problem it reports) is skipped with
    the reason and the others still run.

    Raises
    ------
    DataError
        An unknown model or parameter, K below 1 (nothing runs then), or no model could run.
    """
    if k < 1:
        raise DataError(f"K must be at least 1, got {k}")
    if not isinstance(model_params, Mapping):
        model_params = dict.fromkeys(model_params)
    for name, params in model_params.items():
        models.resolve_params(name, params)
    results, skipped = [], {}
    count = len(model_params)
    for position, (name, params) in enumerate(model_params.items()):
        label = models.MODELS[name].label
        said = f"Model {position + 1} of {count}: {label}"

        where = {"done": position / count, "said": said}

        def on_fold(fold: int, folds: int, position: int = position, said: str = said, where: dict = where) -> None:
            where.update(done=(position + fold / folds) / count, said=f"{said}, fold {fold + 1} of {folds}")
            if progress:
                progress(where["done"], where["said"])

        def on_fit(message: str, where: dict = where) -> None:
            if progress:
                progress(where["done"], f"{where['said']}: {message}")

        with models.reporting_fits(on_fit):
            outcome = _evaluate_or_reason(name, split, params, k, on_fold)
        if isinstance(outcome, Evaluation):
            results.append(outcome)
            continue
        skipped[name] = outcome
        if progress:
            progress((position + 1) / count, f"Skipped {label}: {outcome}")
    if not results:
        raise DataError("no model could run: " + "; ".join(f"{name}: {why}" for name, why in skipped.items()))
    if progress:
        progress(1.0, "Done")
    return Comparison(results, skipped)


def _evaluate_or_reason(
    name: str,
    split: Split,
    params: Mapping[str, object] | None,
    k: int,
    on_fold: Callable[[int, int], None] | None = None,
) -> Evaluation | str:
    """Model ``name`` evaluated on ``split``, or why it cannot run on this data (checked on every fold first)."""
    for fold in split.folds:
        reason = models.unmet_need(name, fold.train, split.products)
        if reason:
            return reason
    try:
        return evaluate_model(name, split, params, k, on_fold)
    except DataError as exc:
        return str(exc)


def as_record(result: Evaluation) -> dict:
    """The result as a flat JSON-able dict: model, params, every metric (None where it does not apply), timings,
    and ``intervals`` (ranking metric -> [low, high], 95%)."""
    return {
        "model": result.model,
        "params": result.params,
        **result.metrics,
        "fit_seconds": result.fit_seconds,
        "score_seconds": result.score_seconds,
        "intervals": result.intervals,
    }


@dataclass(frozen=True)
class FeedbackSummary:
    """What the models would learn from, and what the default time split leaves out.

    Attributes
    ----------
    kind
        The feedback source (one of :data:`~retention.recommend.feedback.SOURCES`; the default one).
    rule
        How the ratings were obtained, in plain words.
    rows, users, items
        Feedback rows (one per user and item), distinct users and distinct items.
    cutoff
        The default time split's first test timestamp (ISO text); None when that split is impossible.
    eval_users
        Test customers with a new item to rank; None when the split is impossible.
    cold_users, cold_items
        Test customers and test items with no feedback before the cutoff; None when the split is impossible.
    split_error
        Why the default time split is impossible; None when it is possible.
    """

    kind: str
    rule: str
    rows: int
    users: int
    items: int
    cutoff: str | None = None
    eval_users: int | None = None
    cold_users: int | None = None
    cold_items: int | None = None
    split_error: str | None = None


def feedback_summary(con: duckdb.DuckDBPyConnection, test_share: float = 0.2) -> FeedbackSummary:
    """The feedback in the warehouse and the default time split for ``test_share`` (see :class:`FeedbackSummary`).

    Raises
    ------
    DataError
        The warehouse has no feedback (see :func:`~retention.recommend.feedback.feedback_source`).
    """
    full = fb.load_feedback(con)
    try:
        description = time_split(con, test_share=test_share, diversity=False).description
    except DataError as exc:
        return replace(split_summary(full), split_error=str(exc))
    return split_summary(full, description)


def split_summary(full: fb.Feedback, description: Mapping[str, object] | None = None) -> FeedbackSummary:
    """The :class:`FeedbackSummary` of all feedback ``full`` and a time split's ``description`` (its cutoff and
    counts; None: the split fields stay None)."""
    summary = FeedbackSummary(
        kind=full.kind,
        rule=full.rule,
        rows=len(full.frame),
        users=int(full.frame[schema.COL_USER].nunique()),
        items=int(full.frame[schema.COL_ITEM].nunique()),
    )
    if description is None:
        return summary
    return replace(summary, **{key: description[key] for key in ("cutoff", "eval_users", "cold_users", "cold_items")})
