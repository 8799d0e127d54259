"""Rolling-origin backtest: Prophet against the naive baselines on the last part of a series' history.

At each origin the models see only the history before it and forecast the next
periods; their forecasts are scored against what happened. Origins step back
from the end of history by half the backtest horizon, so the last origin's
forecast ends at the last complete period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention.forecast import baselines, models, parallel
from retention.forecast.series import INTERVAL_WIDTH
from retention.registry import Registry

DEFAULT_FOLDS = 3

ErrorMetric = Callable[[pd.DataFrame], float]
ERROR_METRICS: Registry[ErrorMetric] = Registry("error metric")


def error_metric(name: str) -> Callable[[ErrorMetric], ErrorMetric]:
    """Register ``fn(points) -> float`` scoring backtest points (columns ``actual``, ``yhat``, ``yhat_lower``, ``yhat_upper``)."""
    return ERROR_METRICS.register(name)


@error_metric("mae")
def mae(points: pd.DataFrame) -> float:
    """Mean absolute error, in the series' unit (customers, revenue, share)."""
    return float(np.mean(np.abs(points["actual"] - points["yhat"])))


@error_metric("mape")
def mape(points: pd.DataFrame) -> float:
    """Mean absolute percentage error as a fraction (0.1 = 10%); NaN when an actual is 0."""
    actual = points["actual"].to_numpy(dtype=float)
    if np.any(np.abs(actual) < 1e-12):
        return float("nan")
    return float(np.mean(np.abs(actual - points["yhat"].to_numpy(dtype=float)) / np.abs(actual)))


@error_metric("smape")
def smape(points: pd.DataFrame) -> float:
    """Symmetric MAPE, ``mean(2|y - yhat| / (|y| + |yhat|))`` in [0, 2]; a point where both are 0 scores 0."""
    actual = points["actual"].to_numpy(dtype=float)
    predicted = points["yhat"].to_numpy(dtype=float)
    denominator = np.abs(actual) + np.abs(predicted)
    ratio = np.divide(2 * np.abs(actual - predicted), denominator, out=np.zeros_like(actual), where=denominator > 0)
    return float(np.mean(ratio))


@error_metric("coverage")
def coverage(points: pd.DataFrame) -> float:
    """Share of actuals inside the forecast interval, in [0, 1] (an honest 80% interval covers about 0.8)."""
    inside = (points["actual"] >= points["yhat_lower"]) & (points["actual"] <= points["yhat_upper"])
    return float(inside.mean())


MODEL_LABELS = {"prophet": "Prophet", **{name: entry.label for name, entry in baselines.BASELINES.items()}}


def origins(points: int, horizon: int, *, folds: int = DEFAULT_FOLDS, min_train: int = models.MIN_POINTS) -> list[int]:
    """Training lengths of the backtest origins, latest first.

    The last origin leaves ``horizon`` periods to score; earlier ones step back by
    ``max(1, horizon // 2)``; an origin needs ``min_train`` periods before it.
    """
    stride = max(1, horizon // 2)
    return [cut for cut in (points - horizon - fold * stride for fold in range(folds)) if cut >= min_train]


def backtest_horizon(points: int, horizon: int, *, min_train: int = models.MIN_POINTS) -> int:
    """The horizon the backtest scores: ``horizon``, shortened so one origin fits (0 when none fits)."""
    return max(0, min(horizon, points - min_train))


@dataclass(frozen=True)
class Fold:
    """One origin of a backtest: its training history, the held-out actuals, and Prophet's plan."""

    key: Mapping[str, object]
    train: pd.DataFrame
    test: pd.DataFrame
    plan: models.Plan


def plan_folds(
    history: pd.DataFrame,
    *,
    period: str,
    horizon: int,
    scale: str,
    settings: models.Settings,
    folds: int = DEFAULT_FOLDS,
    key: Mapping[str, object] | None = None,
) -> list[Fold]:
    """The folds of a rolling-origin backtest of ``history`` (columns ``ds``, ``y``; complete periods)."""
    steps = backtest_horizon(len(history), horizon)
    if steps == 0:
        return []
    planned = []
    for cut in origins(len(history), steps, folds=folds):
        train = history.iloc[:cut].reset_index(drop=True)
        test = history.iloc[cut : cut + steps].reset_index(drop=True)
        fold_plan = models.plan(train, period=period, future=test["ds"], scale=scale, settings=settings)
        planned.append(Fold(dict(key or {}), train, test, fold_plan))
    return planned


def score_folds(
    folds: Sequence[Fold],
    results: Sequence[pd.DataFrame],
    *,
    period: str,
    scale: str,
    interval_width: float = INTERVAL_WIDTH,
) -> pd.DataFrame:
    """Every model's forecast at every held-out point.

    ``results`` are the :func:`parallel.run_jobs` results of the folds' Prophet jobs, in order.
    Returns the folds' key columns and ``origin`` (first held-out period), ``ds``, ``step``
    (1 = the period right after the origin), ``model``, ``actual``, ``yhat``, ``yhat_lower``,
    ``yhat_upper``. A baseline that does not apply at every origin is left out.
    """
    frames = []
    skipped: set[str] = set()
    for fold, result in zip(folds, results, strict=True):
        forecasts = [models.finish_prophet(result, fold.plan.job, scale)]
        for name in baselines.BASELINES:
            forecast = baselines.baseline_forecast(
                name, fold.train, period=period, future=fold.test["ds"], scale=scale, interval_width=interval_width
            )
            if forecast is None:
                skipped.add(name)
            else:
                forecasts.append(forecast)
        for forecast in forecasts:
            frame = forecast.frame.assign(
                origin=fold.test["ds"].iloc[0],
                step=np.arange(1, len(fold.test) + 1),
                model=forecast.model,
                actual=fold.test["y"].to_numpy(dtype=float),
                **fold.key,
            )
            frames.append(frame)
    columns = [*(folds[0].key if folds else {}), "origin", "ds", "step", "model", "actual", "yhat"]
    columns += ["yhat_lower", "yhat_upper"]
    if not frames:
        return pd.DataFrame(columns=columns)
    points = pd.concat(frames, ignore_index=True)[columns]
    return points[~points["model"].isin(skipped)].reset_index(drop=True)


def summarize(points: pd.DataFrame) -> pd.DataFrame:
    """One row per model: ``model`` (label), ``origins``, ``points`` and every registered error metric.

    Columns ``mae`` (series unit), ``mape`` and ``smape`` (fractions), ``coverage`` (in [0, 1]);
    Prophet first, then the baselines in registry order.
    """
    rows = []
    for name in MODEL_LABELS:
        subset = points[points["model"] == name]
        if subset.empty:
            continue
        row = {"model": MODEL_LABELS[name], "origins": int(subset["origin"].nunique()), "points": len(subset)}
        row.update({metric: fn(subset) for metric, fn in ERROR_METRICS.items()})
        rows.append(row)
    return pd.DataFrame(rows, columns=["model", "origins", "points", *ERROR_METRICS])


def number(value: float) -> str:
    """A number for a sentence: thousands separated, three significant digits below 100."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def percentage_points(value: float) -> str:
    """A share difference (0.052) in words ("5.2 percentage points")."""
    return f"{100 * value:.1f} percentage points"


def prophet_won(summary: pd.DataFrame) -> bool | None:
    """Whether Prophet's MAE is below every baseline's in a :func:`summarize` table; None without a backtest."""
    if summary.empty or MODEL_LABELS["prophet"] not in set(summary["model"]):
        return None
    table = summary.set_index("model")["mae"]
    return bool(table[MODEL_LABELS["prophet"]] < table.drop(index=MODEL_LABELS["prophet"]).min())


FEW_POINTS = 10
"""A backtest on fewer held-out periods than this gets a warning that it proves little."""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def verdict(summary: pd.DataFrame, *, fmt: Callable[[float], str] = number) -> str:
    """Sentences saying whether Prophet beat every naive baseline on MAE in the backtest, and how its interval did.

    ``fmt`` writes an error in the series' unit (e.g. ``lambda v: f"{v:.0f} customers"``).
    """
    won = prophet_won(summary)
    if won is None:
        return "No backtest: the history is too short to hold out periods and still fit Prophet."
    table = summary.set_index("model")
    prophet = table.loc[MODEL_LABELS["prophet"]]
    baselines = table.drop(index=MODEL_LABELS["prophet"])
    against = " and ".join(f"{fmt(row['mae'])} for the {label.lower()}" for label, row in baselines.iterrows())
    best = float(baselines["mae"].min())
    points, origins_count = int(prophet["points"]), int(prophet["origins"])
    held_out = f"{_plural(points, 'held-out period')} from {_plural(origins_count, 'forecast origin')}"
    error = f"mean absolute error {fmt(prophet['mae'])} against {against}"
    interval = (
        f" Its 80% interval held {prophet['coverage']:.0%} of the held-out values (an honest one holds about 80%)."
    )
    if points < FEW_POINTS:
        interval += " So few held-out periods prove little either way."
    if won:
        gain = 1 - prophet["mae"] / best
        return f"Prophet beat the naive forecast on {held_out}: {error}, {gain:.0%} lower than the best baseline.{interval}"
    loss = f", {prophet['mae'] / best - 1:.0%} higher than the best baseline" if best > 0 else ""
    return (
        f"Prophet did not beat the naive forecast on {held_out}: {error}{loss}. On this history a naive guess "
        f"was at least as accurate, so read Prophet's forecast with care.{interval}"
    )


@dataclass(frozen=True)
class Backtest:
    """A finished backtest: ``points`` (see :func:`score_folds`), ``summary`` (see :func:`summarize`), ``verdict``."""

    points: pd.DataFrame
    summary: pd.DataFrame
    verdict: str
    horizon: int

    @property
    def enough_points(self) -> bool:
        """Whether Prophet was scored on at least ``FEW_POINTS`` held-out periods."""
        return int((self.points["model"] == "prophet").sum()) >= FEW_POINTS

    @property
    def prophet_won(self) -> bool | None:
        """True when Prophet beat every baseline on MAE, False when it did not, None without a backtest."""
        return prophet_won(self.summary)


def finish(
    folds: Sequence[Fold],
    results: Sequence[pd.DataFrame],
    *,
    period: str,
    scale: str,
    settings: models.Settings,
    fmt: Callable[[float], str] = number,
) -> Backtest:
    """Score the folds and summarise them; ``fmt`` writes an error in the series' unit for the verdict."""
    points = score_folds(folds, results, period=period, scale=scale, interval_width=settings.interval_width)
    summary = summarize(points)
    horizon = int(points["step"].max()) if not points.empty else 0
    return Backtest(points, summary, verdict(summary, fmt=fmt), horizon)


def backtest_series(
    history: pd.DataFrame,
    *,
    period: str,
    horizon: int,
    scale: str = "count",
    settings: models.Settings | None = None,
    folds: int = DEFAULT_FOLDS,
    fmt: Callable[[float], str] = number,
    progress: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Rolling-origin backtest of one series (columns ``ds``, ``y``; complete periods), Prophet against the
    baselines; ``progress(done, total)`` hears of each Prophet fit."""
    settings = settings or models.Settings()
    planned = plan_folds(history, period=period, horizon=horizon, scale=scale, settings=settings, folds=folds)
    results = parallel.run_jobs([fold.plan.job for fold in planned], progress=progress)
    return finish(planned, results, period=period, scale=scale, settings=settings, fmt=fmt)
