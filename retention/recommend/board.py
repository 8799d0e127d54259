"""The leaderboard's statistics: which runs are comparable, how sure each metric is, and whether a difference is
real.

* **Groups.** Two runs are comparable only when they were evaluated on the same data (the feedback version), the
  same split (every key of the split's description but its counts: kind, cutoff, test share, folds, seed,
  feedback source and its weights, mode) and the same K. :func:`group_key` gives each run its group; a run saved
  before data versions were kept (migration 015) is a group of its own.
* **Intervals.** A ranking metric is a mean over customers; its 95% interval is the percentile bootstrap over
  customers (:data:`RESAMPLES` resamples of the evaluated customers, drawn with replacement from
  ``numpy.random.default_rng(SEED)``: resample ``b`` is the ``b``-th ``integers(0, n, size=n)`` of that
  generator). One draw serves every metric, so the intervals of one run are consistent with each other.
* **Paired comparison.** Two runs of a group are compared over the customers both evaluated: the mean of the
  per-customer differences, its 95% bootstrap interval, and a two-sided bootstrap p-value (the share of resampled
  means at least as far from the observed mean as the observed mean is from zero). A difference is "real" when
  its interval excludes zero; pairing removes the customer-to-customer spread that the runs share, so it finds
  differences that two overlapping intervals would hide.
* **Slices.** Metrics of cold customers (fewer than :data:`COLD_BELOW` feedback rows in training), warm ones, and
  by country and channel when the users table has them (the :data:`TOP_VALUES` largest, the rest as "other").

Everything here is pure: frames and arrays in, frames, dicts and sentences out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention import schema
from retention.recommend import feedback as fb
from retention.recommend.metrics import METRICS, RANKING_METRICS
from retention.recommend.modes import MODE_NAMES, run_mode

RESAMPLES = 1000
SEED = 0
LEVEL = 0.95
BLOCK = 2_000_000  # indices drawn at once: 16 MB, whatever the number of customers
COUNT_KEYS = ("train_rows", "test_rows", "catalogue_items", "eval_users", "cold_users", "cold_items")
COLD_BELOW = 3
TOP_VALUES = 5
SLICE_COLUMNS = ("country", "channel")
BASELINE = "baseline"
CHOSEN_METRIC = "ndcg_at_k"


def bootstrap_means(values: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """Means of ``values`` (n customers, or n x m metrics) over ``resamples`` resamples of the customers.

    Returns an array ``(resamples, m)`` (``(resamples,)`` for 1-d ``values``). Resample ``b`` takes the customers
    ``default_rng(seed).integers(0, n, size=n, dtype=numpy.int32)`` drawn ``b``-th (the draws of all resamples in
    one stream). One metric is gathered; several are counted with :func:`numpy.bincount` and averaged in one
    matrix product: at 100,000 customers, 1,000 resamples take about a second for one metric, two for five.
    """
    values = np.asarray(values, dtype=float)
    flat = values.ndim == 1
    matrix = values[:, None] if flat else values
    n = matrix.shape[0]
    rng = np.random.default_rng(seed)
    means = np.empty((resamples, matrix.shape[1]))
    step = max(1, BLOCK // max(n, 1))
    for start in range(0, resamples, step):
        rows = min(step, resamples - start)
        drawn = rng.integers(0, n, size=(rows, n), dtype=np.int32)
        if matrix.shape[1] == 1:
            means[start : start + rows, 0] = matrix[:, 0][drawn].sum(axis=1) / n
            continue
        offsets = drawn.astype(np.int64) + (np.arange(rows) * n)[:, None]
        counts = np.bincount(offsets.ravel(), minlength=rows * n).reshape(rows, n)
        means[start : start + rows] = counts @ matrix / n
    return means[:, 0] if flat else means


def _bounds(means: np.ndarray) -> np.ndarray:
    tail = (1 - LEVEL) / 2
    return np.quantile(means, [tail, 1 - tail], axis=0)


def intervals(user_metrics: pd.DataFrame | None, seed: int = SEED) -> dict[str, list[float]]:
    """Ranking metric -> ``[low, high]``, the 95% percentile-bootstrap interval of its mean over the customers of
    ``user_metrics`` (one row per customer, a column per metric of
    :data:`~retention.recommend.metrics.RANKING_METRICS`); empty without customers."""
    if user_metrics is None or user_metrics.empty:
        return {}
    columns = [column for column in RANKING_METRICS if column in user_metrics]
    bounds = _bounds(bootstrap_means(user_metrics[columns].to_numpy(dtype=float), seed=seed))
    return {column: [float(bounds[0, i]), float(bounds[1, i])] for i, column in enumerate(columns)}


@dataclass(frozen=True)
class Paired:
    """A paired comparison of run A with run B on one metric, over the ``users`` customers both evaluated.

    ``difference``: mean of A's minus B's per-customer values; ``low``, ``high``: its 95% bootstrap interval;
    ``p_value``: two-sided bootstrap p-value in (0, 1]; ``real``: the interval excludes zero.
    """

    difference: float
    low: float
    high: float
    p_value: float
    users: int

    @property
    def real(self) -> bool:
        return self.low > 0 or self.high < 0


def paired(a: pd.Series, b: pd.Series, seed: int = SEED) -> Paired | None:
    """Compare per-customer values ``a`` and ``b`` (indexed by customer) over the customers both have; None when they
    share none."""
    common = a.index.intersection(b.index)
    if common.empty:
        return None
    differences = a.loc[common].to_numpy(dtype=float) - b.loc[common].to_numpy(dtype=float)
    observed = float(differences.mean())
    means = bootstrap_means(differences, seed=seed)
    low, high = _bounds(means)
    extreme = int(np.sum(np.abs(means - observed) >= abs(observed)))
    return Paired(observed, float(low), float(high), (extreme + 1) / (len(means) + 1), len(common))


def group_key(split: Mapping[str, object], k: int, data_version: str | None, run_id: int) -> str:
    """The comparable group of a run: its data version, K and split description without the counts (JSON text);
    ``'run N'`` for a run saved without a data version."""
    if data_version is None or (isinstance(data_version, float) and np.isnan(data_version)):
        return f"run {int(run_id)}"
    described = {key: value for key, value in split.items() if key not in COUNT_KEYS}
    return json.dumps({"data_version": data_version, "k": int(k), "split": described}, sort_keys=True)


def split_words(split: Mapping[str, object]) -> str:
    """The split in words: ``'Time split at 2011-09-27'``, ``'Random 5-fold split (seed 0)'``."""
    kind = str(split.get("kind", "?"))
    if kind == "time":
        return f"Time split at {str(split.get('cutoff', '?'))[:10]}"
    if kind == "random":
        return f"Random {split.get('folds', '?')}-fold split (seed {split.get('seed', '?')})"
    details = []
    if isinstance(split.get("test_share"), int | float):
        details.append(f"test share {split['test_share']:g}")
    if "seed" in split:
        details.append(f"seed {split['seed']}")
    return f"{kind.capitalize()} split" + (f" ({', '.join(details)})" if details else "")


def feedback_words(split: Mapping[str, object]) -> str:
    """The feedback source in words, with the combined source's weights (``'purchases'``,
    ``'views, carts and purchases (view 1, purchase 4)'``); runs saved as ``'implicit'`` read as purchases."""
    words = fb.source_label(split.get("feedback"))
    weights = split.get("weights") or {}
    shown = ", ".join(f"{key} {weights[key]:g}" for key in fb.WEIGHT_KEYS if key in weights)
    return words + (f" ({shown})" if shown else "")


def group_label(split: Mapping[str, object], k: int, data_since: pd.Timestamp | None, run_id: int) -> str:
    """A group in words: ``'Time split at 2011-09-27, K=10, purchases, discovery, data of 30 Nov'``; ``data_since``
    is when its data version was first evaluated (None: saved before data versions were kept)."""
    mode = MODE_NAMES[run_mode(split)]
    data = (
        f"data of {data_since.day} {data_since:%b %Y}"
        if data_since is not None
        else f"run #{run_id}, saved before data versions were kept"
    )
    return f"{split_words(split)}, K={k}, {feedback_words(split)}, {mode}, {data}"


def with_groups(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` (columns of :func:`retention.recommend.runs.list_runs`: ``split`` JSON text, ``k``,
    ``data_version``, ``run_id``, ``created_at``) with ``group`` (key) and ``group_label`` (words) columns."""
    runs = runs.copy()
    splits = runs["split"].map(json.loads)
    versions = runs["data_version"].where(runs["data_version"].notna(), None)
    since = runs.groupby(versions.fillna(""))["created_at"].transform("min")
    runs["group"] = [
        group_key(split, k, version, run_id)
        for split, k, version, run_id in zip(splits, runs["k"], versions, runs["run_id"], strict=True)
    ]
    runs["group_label"] = [
        group_label(split, int(k), None if version is None else pd.Timestamp(first), int(run_id))
        for split, k, version, first, run_id in zip(splits, runs["k"], versions, since, runs["run_id"], strict=True)
    ]
    return runs


def groups(runs: pd.DataFrame) -> dict[str, str]:
    """Group key -> label, the group of the newest run first (``runs`` as :func:`with_groups` returns them); a label
    two groups share (two data versions first evaluated on one day) gets ``' (2)'``, ``' (3)'``... after it."""
    ordered = runs.sort_values("run_id", ascending=False)
    labels: dict[str, str] = {}
    for key, label in zip(ordered["group"], ordered["group_label"], strict=True):
        if key in labels:
            continue
        taken = set(labels.values())
        labels[key] = next(
            name for name in [label, *(f"{label} ({n})" for n in range(2, len(taken) + 3))] if name not in taken
        )
    return labels


def metric_words(metric: str, k: int) -> str:
    """``'NDCG@10'`` for ``ndcg_at_k`` at K=10."""
    return METRICS[metric].label.replace("@K", f"@{k}")


def _number(value: float) -> str:
    return f"{value:.3f}".replace("-", "\N{MINUS SIGN}")


def sentence(a: str, b: str, metric: str, k: int, result: Paired) -> str:
    """The verdict on runs ``a`` and ``b`` in words: ``'EASE beats ALS by 0.031 NDCG@10 (95% CI 0.018–0.044)'``, or
    ``'EASE and ALS do not differ on NDCG@10 (difference 0.002, 95% CI −0.004–0.008)'``."""
    words = metric_words(metric, k)
    if not result.real:
        return (
            f"{a} and {b} do not differ on {words} (difference {_number(result.difference)}, "
            f"95% CI {_number(result.low)}–{_number(result.high)})"
        )
    winner, loser, sign = (a, b, 1) if result.difference > 0 else (b, a, -1)
    low, high = sorted((sign * result.low, sign * result.high))
    return (
        f"{winner} beats {loser} by {_number(sign * result.difference)} {words} (95% CI {_number(low)}–{_number(high)})"
    )


@dataclass(frozen=True)
class Verdict:
    """The chosen run of a group against another: ``role`` is ``'baseline'`` (the best baseline) or
    ``'runner-up'``; ``result`` is None when either run has no per-customer metrics (saved before 015)."""

    chosen: str
    other: str
    role: str
    metric: str
    result: Paired | None
    sentence: str

    def as_record(self) -> dict:
        """JSON-able: names, role, metric, the paired result's fields (None when there is none) and the sentence."""
        fields = ("difference", "low", "high", "p_value", "users")
        result = {name: getattr(self.result, name) if self.result else None for name in fields}
        names = {"chosen": self.chosen, "other": self.other, "role": self.role, "metric": self.metric}
        return {**names, **result, "sentence": self.sentence}


def verdicts(
    group: pd.DataFrame,
    user_metrics: Mapping[int, pd.DataFrame],
    families: Mapping[str, str],
    metric: str = CHOSEN_METRIC,
) -> list[Verdict]:
    """The chosen run of one group (best ``metric``; ties: the newest) against the best baseline and the runner-up.

    ``group``: the group's runs (``run_id``, ``name``, ``model``, ``k`` and ``metric`` columns); ``user_metrics``:
    run id -> its per-customer metrics (``user_id`` and metric columns; a run missing here cannot be paired);
    ``families``: model -> registry family (``'baseline'`` marks a baseline). When a baseline is best, the one
    verdict compares it with the best model and says that no model beats it.
    """
    ranked = group[group[metric].notna()].sort_values([metric, "run_id"], ascending=False)
    if len(ranked) < 2:
        return []
    rows = list(ranked.itertuples(index=False))
    is_baseline = [families.get(row.model) == BASELINE for row in rows]
    chosen, k = rows[0], int(rows[0].k)
    if is_baseline[0]:
        model = next((row for row, base in zip(rows, is_baseline, strict=True) if not base), None)
        if model is None:
            return []
        verdict = _verdict(chosen, model, "baseline", metric, k, user_metrics)
        text = f"No model beats the {chosen.name} baseline: {verdict.sentence}"
        return [Verdict(verdict.chosen, verdict.other, verdict.role, metric, verdict.result, text)]
    others = [(row, "baseline") for row, base in zip(rows, is_baseline, strict=True) if base][:1]
    if not is_baseline[1]:
        others.append((rows[1], "runner-up"))
    return [_verdict(chosen, other, role, metric, k, user_metrics) for other, role in others]


def _per_customer(user_metrics: Mapping[int, pd.DataFrame], run_id: int, metric: str) -> pd.Series | None:
    frame = user_metrics.get(int(run_id))
    if frame is None or metric not in frame:
        return None
    return frame.set_index(schema.COL_USER)[metric]


def _verdict(chosen, other, role: str, metric: str, k: int, user_metrics: Mapping[int, pd.DataFrame]) -> Verdict:
    a, b = _per_customer(user_metrics, chosen.run_id, metric), _per_customer(user_metrics, other.run_id, metric)
    result = None if a is None or b is None else paired(a, b)
    if result is None:
        missing = chosen.name if a is None else other.name
        text = (
            f"{chosen.name} and {other.name} cannot be compared customer by customer: {missing} was saved without "
            f"per-customer metrics (difference of the means {_number(getattr(chosen, metric) - getattr(other, metric))}"
            f" {metric_words(metric, k)})"
        )
        return Verdict(chosen.name, other.name, role, metric, None, text)
    return Verdict(chosen.name, other.name, role, metric, result, sentence(chosen.name, other.name, metric, k, result))


def slices(user_metrics: pd.DataFrame, attributes: pd.DataFrame | None = None) -> dict[str, dict[str, float]]:
    """Ranking metrics by slice of customers: slice -> ``{"users": n, metric: mean, ...}``.

    Slices: ``cold`` (fewer than :data:`COLD_BELOW` feedback rows in training, column ``train_items``), ``warm``
    (the others), then for each of :data:`SLICE_COLUMNS` that ``attributes`` (``user_id`` and those columns) fills
    for some evaluated customer, ``'country: United Kingdom'`` for its :data:`TOP_VALUES` most common values among
    them and ``'country: other'`` for the rest (missing values included). Empty slices are left out.
    """
    if user_metrics is None or user_metrics.empty:
        return {}
    columns = [column for column in RANKING_METRICS if column in user_metrics]
    labels: dict[str, pd.Series] = {}
    if "train_items" in user_metrics:
        cold = user_metrics["train_items"] < COLD_BELOW
        labels["customers"] = cold.map({True: "cold", False: "warm"})
    if attributes is not None and not attributes.empty:
        found = user_metrics[[schema.COL_USER]].merge(
            attributes.drop_duplicates(schema.COL_USER), on=schema.COL_USER, how="left"
        )
        for column in SLICE_COLUMNS:
            if column not in found or found[column].isna().all():
                continue
            values = found[column].astype("string")
            top = values.value_counts().head(TOP_VALUES).index
            labels[column] = (column + ": " + values.where(values.isin(top), "other").fillna("other")).to_numpy()
    result: dict[str, dict[str, float]] = {}
    for grouping in labels.values():
        table = user_metrics[columns].groupby(np.asarray(grouping), sort=False).agg(["size", "mean"])
        order = sorted(table.index, key=lambda name: (name.endswith(": other"), -table.loc[name].iloc[0], name))
        for name in order:
            row = table.loc[name]
            result[str(name)] = {"users": int(row[(columns[0], "size")])} | {
                column: float(row[(column, "mean")]) for column in columns
            }
    return result


def result_verdicts(results: list, names: list[str], families: Mapping[str, str]) -> list[Verdict]:
    """The verdicts (:func:`verdicts`) among the evaluations ``results`` of one comparison (every one on the same
    split and K), named ``names`` (same order), paired on their ``user_metrics``."""
    group = pd.DataFrame(
        {
            "run_id": range(len(results)),
            "name": names,
            "model": [result.model for result in results],
            "k": [result.k for result in results],
            CHOSEN_METRIC: [result.metrics[CHOSEN_METRIC] for result in results],
        }
    )
    found = {
        position: result.user_metrics for position, result in enumerate(results) if result.user_metrics is not None
    }
    return verdicts(group, found, families)
