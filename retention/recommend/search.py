"""Hyperparameter search: try settings of one model on one split, keep the best as a named run.

Every trial is an :func:`~retention.recommend.evaluate.evaluate_model` of the model with one setting on the same
split, made once (a time split fits once per trial, a k-fold split once per fold). Nothing is fitted on all
feedback during the search: only the best setting is, once, and saved with its run as a training saves its runs
(:func:`retention.recommend.job.save_fitted`), named "<model label> · tuned".

The space is one :class:`Range` per hyperparameter. By default (:func:`default_range`) a number spans a quarter
to four times its default (a tenth to ten times, evenly in log, for learning rates and regularisation, whose
useful values differ by orders of magnitude), within the parameter's bounds; a choice or a true/false tries every
value; seeds stay at their default (a seed is not a setting to tune). Two strategies:

* ``grid``: every combination of the values (:data:`GRID_POINTS` per numeric range); when the budget in runs is
  smaller than the grid, a seeded sample of it, in grid order.
* ``random``: the defaults first (when they lie in the ranges, so the tuned run is never worse than the default on
  this split), then settings drawn at random (seeded) from the ranges, each setting once.

The budget is a number of trials and, optionally, minutes: no trial starts after the minutes have passed (the one
running finishes), and at least one trial always runs.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention import warehouse
from retention.errors import DataError
from retention.recommend import evaluate, job, metrics, models, saved

KIND = "recommender_search"
STRATEGIES = ("grid", "random")
GRID_POINTS = 3
DEFAULT_RUNS = 10
DRAWS_PER_TRIAL = 50  # random draws tried for a setting not yet tried, before the space counts as exhausted
LOG_WORDS = ("lr", "l2", "learning", "alpha", "lambda", "regularization", "regularisation", "decay")
SEED_PARAMS = ("random_state", "seed")
TRIAL_COLUMNS = ("trial", "fit_seconds", "score_seconds")


@dataclass(frozen=True)
class Range:
    """The values one hyperparameter takes in a search: listed ``values``, or numbers from ``low`` to ``high``
    (inclusive; spread evenly in log when ``log``; whole numbers when ``integer``)."""

    name: str
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    def grid(self, points: int = GRID_POINTS) -> list:
        """The grid's values: the listed values, or ``points`` numbers from low to high (distinct, ascending)."""
        if self.values:
            return list(self.values)
        spread = np.geomspace if self.log else np.linspace
        numbers = spread(self.low, self.high, points) if self.low != self.high else np.array([self.low])
        return _distinct(self._typed(number) for number in numbers)

    def draw(self, rng: np.random.Generator) -> object:
        """One value drawn at random: a listed value, or a number uniform (log-uniform when ``log``) in the range."""
        if self.values:
            return self.values[int(rng.integers(len(self.values)))]
        if self.log:
            number = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            number = rng.uniform(self.low, self.high)
        return min(max(self._typed(number), self.low), self.high)  # rounding never leaves the range

    def holds(self, value: object) -> bool:
        """True when a setting's ``value`` lies in the range."""
        if self.values:
            return value in self.values
        return self.low <= value <= self.high

    def describe(self) -> str:
        """The range in the CLI's syntax: ``low:high`` or ``a,b,c``."""
        if self.values:
            return ",".join(str(value).lower() if isinstance(value, bool) else str(value) for value in self.values)
        return f"{self._typed(self.low)}:{self._typed(self.high)}"

    def _typed(self, number: float) -> int | float:
        return int(round(number)) if self.integer else float(f"{number:.4g}")


def _distinct(values: object) -> list:
    return list(dict.fromkeys(values))


def is_log_scale(param: models.Param) -> bool:
    """Learning rates and regularisation (by name: ``lr_all``, ``reg_pu``, ``l2``, ``alpha``...) are searched in
    log scale."""
    words = param.name.lower().split("_")
    return any(word in LOG_WORDS or word.startswith("reg") for word in words)


def default_range(param: models.Param) -> Range | None:
    """The span a search tries for ``param`` unless told otherwise (see the module docstring); None for a seed,
    which stays at its default."""
    if param.name in SEED_PARAMS:
        return None
    if isinstance(param.default, bool):
        return Range(param.name, values=(param.default, not param.default))
    if param.choices:
        return Range(param.name, values=tuple(param.choices))
    integer, log = isinstance(param.default, int), is_log_scale(param)
    low_bound = -math.inf if param.low is None else param.low
    high_bound = math.inf if param.high is None else param.high
    default = float(param.default)
    if default > 0:
        factor = 10.0 if log else 4.0
        low, high = max(low_bound, default / factor), min(high_bound, default * factor)
    else:  # no scale to go by: the lower tenth of the bounds
        low = max(low_bound, 0.0)
        high = min(high_bound, low + (high_bound - low) / 10 if math.isfinite(high_bound) else low + 1.0)
        log = False
    if integer:
        low, high = math.ceil(low), math.floor(high)
    return Range(param.name, low=low, high=high, log=log and low > 0, integer=integer)


def parse_range(model: str, text: str) -> Range:
    """A range in the CLI's syntax, ``NAME=LOW:HIGH`` (numbers; log scale for learning rates and regularisation)
    or ``NAME=V1,V2,...`` (the values to try; one value holds the parameter there), checked against the model's
    parameter.

    Raises
    ------
    DataError
        Not in that syntax, an unknown parameter, or a value out of its bounds or choices.
    """
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise DataError(f"range {text!r} must look like NAME=LOW:HIGH or NAME=V1,V2, e.g. n_factors=10:100")
    param = models.MODELS.get_or_raise(model).param_index.get(name)
    if param is None:
        known = ", ".join(models.MODELS[model].param_index) or "none"
        raise DataError(f"{model} has no parameter {name!r}; its parameters: {known}")
    low, colon, high = spec.partition(":")
    if colon:
        if isinstance(param.default, bool) or param.choices:
            raise DataError(f"{model} parameter {name!r} takes listed values (NAME=V1,V2), not a range LOW:HIGH")
        low, high = param.coerce(low.strip(), model), param.coerce(high.strip(), model)
        if low > high:
            raise DataError(f"range {text!r} goes from {low} down to {high}; write the lower bound first")
        log = is_log_scale(param) and low > 0
        return Range(name, low=low, high=high, log=log, integer=isinstance(param.default, int))
    values = tuple(param.coerce(value.strip(), model) for value in spec.split(","))
    return Range(name, values=tuple(_distinct(values)))


def search_space(model: str, ranges: Sequence[Range] = ()) -> tuple[Range, ...]:
    """The ranges a search of ``model`` tries, in the registry's order of parameters: ``ranges`` where given,
    else :func:`default_range`.

    Raises
    ------
    DataError
        A range names a parameter the model does not have.
    """
    spec = models.MODELS.get_or_raise(model)
    given = {item.name: item for item in ranges}
    unknown = sorted(set(given) - set(spec.param_index))
    if unknown:
        known = ", ".join(spec.param_index) or "none"
        raise DataError(f"{model} has no parameter {', '.join(map(repr, unknown))}; its parameters: {known}")
    space = [given.get(param.name) or default_range(param) for param in spec.params]
    return tuple(item for item in space if item is not None)


def plan(
    model: str, space: Sequence[Range], strategy: str = "random", runs: int = DEFAULT_RUNS, seed: int = 0
) -> list[dict]:
    """The settings a search tries, in order, at most ``runs`` (see the module docstring); each a dict of the
    searched parameters (the others stay at their defaults).

    Raises
    ------
    DataError
        An unknown strategy, or fewer than 1 run.
    """
    if strategy not in STRATEGIES:
        raise DataError(f"unknown search strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if runs < 1:
        raise DataError(f"a search needs at least 1 run, got {runs}")
    rng = np.random.default_rng(seed)
    names = [item.name for item in space]
    if strategy == "grid":
        grid = [dict(zip(names, values, strict=True)) for values in itertools.product(*(r.grid() for r in space))]
        if len(grid) <= runs:
            return grid
        return [grid[index] for index in np.sort(rng.choice(len(grid), runs, replace=False))]
    defaults = models.resolve_params(model)
    first = {item.name: defaults[item.name] for item in space}
    settings = [first] if all(item.holds(first[item.name]) for item in space) else []
    tried = {_key(setting) for setting in settings}
    while len(settings) < runs:
        for _ in range(DRAWS_PER_TRIAL):
            setting = {item.name: item.draw(rng) for item in space}
            if _key(setting) not in tried:
                break
        else:
            break  # every draw repeats a setting: the space is (nearly) exhausted
        tried.add(_key(setting))
        settings.append(setting)
    return settings


def _key(setting: Mapping[str, object]) -> tuple:
    return tuple(sorted(setting.items()))


@dataclass(frozen=True)
class SearchQuery:
    """What a search tries: ``model``'s settings by ``strategy`` (``'grid'`` or ``'random'``) over ``ranges``
    (parameters not named get :func:`default_range`), at most ``runs`` trials and, when set, ``minutes`` of
    trials; ranked by ``metric`` (a name of :data:`~retention.recommend.metrics.METRICS`) at list length ``k``;
    ``seed`` seeds the drawing."""

    model: str
    strategy: str = "random"
    runs: int = DEFAULT_RUNS
    minutes: float | None = None
    metric: str = "ndcg_at_k"
    k: int = evaluate.DEFAULT_K
    seed: int = 0
    ranges: tuple[Range, ...] = ()

    def checked(self) -> SearchQuery:
        """The query when its model, strategy, budget, metric, K and ranges are valid.

        Raises
        ------
        DataError
            Naming what is wrong.
        """
        plan(self.model, search_space(self.model, self.ranges), self.strategy, self.runs, self.seed)
        if self.minutes is not None and self.minutes <= 0:
            raise DataError(f"the budget in minutes must be above 0, got {self.minutes}")
        if self.metric not in metrics.METRICS:
            raise DataError(f"unknown metric {self.metric!r}; use one of {', '.join(metrics.METRICS)}")
        if self.k < 1:
            raise DataError(f"K must be at least 1, got {self.k}")
        return self


@dataclass(frozen=True)
class Search:
    """What a search did.

    Attributes
    ----------
    trials
        One row per trial, in order: ``trial`` (1-based), one column per hyperparameter (the value used), the
        metric's column (float; NaN where the model does not give it), ``fit_seconds`` and ``score_seconds``
        (float seconds, means over folds).
    best
        The best trial's evaluation (highest metric, or lowest for RMSE, MAE...; the earliest on ties).
    run_id
        The run saved for the best setting (None when told not to save).
    stopped
        Why no more trials ran: ``'runs'`` (the plan was done), ``'minutes'`` (the time budget ran out).
    """

    query: SearchQuery
    trials: pd.DataFrame
    best: evaluate.Evaluation
    run_id: int | None
    stopped: str


def trial_message(position: int, count: int, setting: Mapping[str, object], value: float | None, label: str) -> str:
    """``"Trial 3 of 10: l2=200 → NDCG@10 0.081"``."""
    said = ", ".join(f"{name}={value}" for name, value in setting.items()) or "defaults"
    score = "not measured" if value is None else f"{value:.4g}"
    return f"Trial {position} of {count}: {said} → {label} {score}"


def run_search(
    path: str | os.PathLike,
    query: SearchQuery,
    split_query: evaluate.SplitQuery,
    progress: evaluate.Progress,
    *,
    save: bool = True,
    name: str | None = None,
) -> Search:
    """Search ``query.model``'s settings on the split ``split_query`` describes (made once, shared by every trial),
    then, when ``save``, fit the best setting on all feedback and save it as a run named ``name`` (default
    "<model label> · tuned") with that model, in the split's mode.

    ``progress(fraction, message)`` is called before each trial, after each ("Trial 3 of 10: l2=200 → NDCG@10
    0.081") and through the fit on all feedback. Opens its own short sessions; none is held while fitting.

    Raises
    ------
    DataError
        An invalid query (see :meth:`SearchQuery.checked`), a model that cannot run on this data, or the reasons
        of :func:`~retention.recommend.evaluate.make_split`.
    """
    query = query.checked()
    space = search_space(query.model, query.ranges)
    settings = plan(query.model, space, query.strategy, query.runs, query.seed)
    with warehouse.session(path) as con:  # the feedback version of the feedback the split read
        split, version = evaluate.make_split(con, split_query), saved.feedback_version(con)
    for fold in split.folds:
        reason = models.unmet_need(query.model, fold.train, split.products)
        if reason:
            raise DataError(reason)
    spec = models.MODELS[query.model]
    info = metrics.METRICS[query.metric]
    label = info.label.replace("@K", f"@{query.k}")
    share = len(settings) / (len(settings) + 1) if save else 1.0
    varied = {key for key in settings[0] if len({setting[key] for setting in settings}) > 1}  # what messages name
    started, results, stopped = time.monotonic(), [], "runs"
    for position, setting in enumerate(settings):
        elapsed = time.monotonic() - started
        if results and query.minutes is not None and elapsed >= query.minutes * 60:
            stopped = "minutes"
            break
        done = share * max(position / len(settings), min(1.0, elapsed / (query.minutes or math.inf) / 60))
        said = f"Trial {position + 1} of {len(settings)}"
        progress(done, said)
        with models.reporting_fits(lambda message, done=done, said=said: progress(done, f"{said}: {message}")):
            result = evaluate.evaluate_model(query.model, split, setting, query.k)
        results.append(result)
        shown = {key: value for key, value in setting.items() if key in varied} or setting
        done = share * (position + 1) / len(settings)
        progress(done, trial_message(position + 1, len(settings), shown, result.metrics[query.metric], label))
    trials = trial_table(results, query.metric)
    best = results[best_trial(trials, query.metric, info.higher_is_better)]
    run_id = None
    if save:
        run_name = name or f"{spec.label} · tuned"
        run_id = job.save_fitted(path, [best], job.fit_inputs(split, version), progress, start=share, names=[run_name])[
            0
        ]
        progress(1.0, f"Saved the best setting as run #{run_id}, {run_name}")
    else:
        progress(1.0, "Done")
    return Search(query, trials, best, run_id, stopped)


def trial_table(results: Sequence[evaluate.Evaluation], metric: str) -> pd.DataFrame:
    """The trials as :attr:`Search.trials` describes them."""
    rows = [
        {
            "trial": position,
            **result.params,
            metric: result.metrics[metric],
            "fit_seconds": result.fit_seconds,
            "score_seconds": result.score_seconds,
        }
        for position, result in enumerate(results, 1)
    ]
    return pd.DataFrame(rows).astype({metric: float})


def best_trial(trials: pd.DataFrame, metric: str, higher_is_better: bool = True) -> int:
    """The position (0-based) of the best trial: highest ``metric`` (lowest when not ``higher_is_better``), the
    earliest on ties.

    Raises
    ------
    DataError
        No trial has the metric (e.g. RMSE of a model that does not predict ratings).
    """
    values = trials[metric] if higher_is_better else -trials[metric]
    if values.isna().all():
        raise DataError(f"no trial measured {metric}; search on a metric this model gives (e.g. ndcg_at_k)")
    return int(np.nanargmax(values.to_numpy()))


def most_varied(trials: pd.DataFrame, metric: str) -> str | None:
    """The hyperparameter column of ``trials`` with the most distinct values (the first on ties); None when no
    hyperparameter varied."""
    columns = [column for column in trials.columns if column not in (metric, *TRIAL_COLUMNS)]
    counts = {column: trials[column].nunique() for column in columns}
    varied = {column: count for column, count in counts.items() if count > 1}
    return max(varied, key=varied.get) if varied else None


def job_params(query: SearchQuery, split_query: evaluate.SplitQuery) -> dict:
    """The search job's parameters: the query's fields (ranges in the CLI's syntax) and the split's."""
    split = job.job_params({}, split_query, query.k)["split"]
    return {
        "model": query.model,
        "strategy": query.strategy,
        "runs": int(query.runs),
        "minutes": query.minutes,
        "metric": query.metric,
        "k": int(query.k),
        "seed": int(query.seed),
        "ranges": {item.name: item.describe() for item in query.ranges},
        "split": split,
    }


def job_result(search: Search) -> dict:
    """What the search job records once done: ``run_id`` (None when not saved), ``model``, ``metric``, ``best``
    (the best trial's hyperparameters and metric), ``stopped`` and ``trials`` (the table as records)."""
    trials = search.trials.astype(object).where(search.trials.notna(), None)
    return {
        "run_id": search.run_id,
        "model": search.query.model,
        "metric": search.query.metric,
        "best": {"params": search.best.params, "value": search.best.metrics[search.query.metric]},
        "stopped": search.stopped,
        "trials": trials.to_dict(orient="records"),
    }
