"""retention.forecast: activity series, baselines, error metrics, backtest and real Prophet fits on small series."""

from __future__ import annotations

import json
import re
from concurrent.futures import Executor
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from retention import jobs, rollups, warehouse
from retention.cli import main
from retention.errors import DataError
from retention.forecast import activity, backtest, baselines, cohorts, models, parallel, series
from retention.forecast import job as forecast_job

Z80 = NormalDist().inv_cdf(0.9)


def _orders_db(tmp_path, rows) -> str:
    path = tmp_path / "orders.duckdb"
    con = warehouse.connect(path)
    try:
        con.executemany(
            "INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price) VALUES (?, ?, 'i', ?, ?, ?)",
            rows,
        )
        with warehouse.transaction(con):
            rollups.refresh(con)  # as every import does: the activity series reads the rollup
    finally:
        con.close()
    return str(path)


def _weekly(values, start="2023-01-02") -> pd.DataFrame:
    return pd.DataFrame({"ds": pd.date_range(start, periods=len(values), freq="W-MON"), "y": np.asarray(values, float)})


# ---------------------------------------------------------------- activity series


def test_activity_table_on_a_hand_made_shop(tmp_path):
    path = _orders_db(
        tmp_path,
        [
            ("o1", "a", "2024-01-01 09:00", 2, 5.0),  # Monday of week 1
            ("o2", "b", "2024-01-03 10:00", 1, 10.0),
            ("o3", "a", "2024-01-16 11:00", 1, 5.0),  # week 3; week 2 has nothing
            ("o4", "c", "2024-01-17 12:00", 3, 2.0),
            ("o5", "b", "2024-01-18 12:00", -1, 10.0),  # a return: revenue only
            ("o6", "b", "2024-01-24 08:00", 1, 4.0),  # week 4 ends before the data does
        ],
    )
    con = warehouse.connect(path)
    try:
        table = activity.activity_table(con, period="week")
    finally:
        con.close()
    assert table["ds"].tolist() == list(pd.date_range("2024-01-01", periods=4, freq="W-MON"))
    assert table["active_customers"].tolist() == [2, 0, 2, 1]
    assert table["new_customers"].tolist() == [2, 0, 1, 0]
    assert table["returning_customers"].tolist() == [0, 0, 1, 1]
    assert table["revenue"].tolist() == pytest.approx([2 * 5 + 10, 0, 5 + 3 * 2 - 10, 4])
    assert table["complete"].tolist() == [True, True, True, False]


def test_activity_table_matches_pandas_on_the_sample_warehouse(sample_db):
    con = warehouse.connect(sample_db)
    try:
        table = activity.activity_table(con, period="month")
        orders = con.execute("SELECT user_id, ts, quantity, unit_price FROM orders").df()
    finally:
        con.close()
    orders["ds"] = orders["ts"].dt.to_period("M").dt.start_time
    purchases = orders[orders["quantity"] > 0]
    first = purchases.groupby("user_id")["ds"].transform("min")
    expected = pd.DataFrame(
        {
            "active_customers": purchases.groupby("ds")["user_id"].nunique(),
            "new_customers": purchases[purchases["ds"] == first].groupby("ds")["user_id"].nunique(),
            "revenue": (orders["quantity"] * orders["unit_price"]).groupby(orders["ds"]).sum(),
        }
    ).fillna(0)
    got = table.set_index("ds")
    assert got.index.tolist() == expected.index.tolist()
    assert got["active_customers"].tolist() == expected["active_customers"].astype(int).tolist()
    assert got["new_customers"].tolist() == expected["new_customers"].astype(int).tolist()
    assert (got["returning_customers"] == got["active_customers"] - got["new_customers"]).all()
    assert got["revenue"].tolist() == pytest.approx(expected["revenue"].tolist())


def test_unknown_metric_and_period_name_the_choices(sample_db):
    with pytest.raises(DataError, match="metric 'churn' is not one of active_customers"):
        activity.metric_spec("churn")
    with pytest.raises(DataError, match="period 'day' is not one of week, month"):
        series.period_spec("day")


# ---------------------------------------------------------------- baselines and metrics


def test_naive_baseline_and_its_random_walk_interval():
    history = _weekly([1.0, 2.0, 4.0])
    future = pd.date_range("2023-01-23", periods=2, freq="W-MON")
    forecast = baselines.baseline_forecast("naive", history, period="week", future=future, scale="amount")
    sd = np.sqrt((1**2 + 2**2) / 2)
    assert forecast.frame["yhat"].tolist() == [4.0, 4.0]
    assert forecast.frame["yhat_lower"].tolist() == pytest.approx([4 - Z80 * sd, 4 - Z80 * sd * np.sqrt(2)])
    assert forecast.frame["yhat_upper"].tolist() == pytest.approx([4 + Z80 * sd, 4 + Z80 * sd * np.sqrt(2)])
    assert forecast.frame.columns.tolist() == series.FORECAST_COLUMNS
    assert forecast.frame["interval_note"].isna().all()
    falling = _weekly([10.0, 1.0, 0.5])
    counts = baselines.baseline_forecast("naive", falling, period="week", future=future, scale="count")
    assert 0.5 - Z80 * np.sqrt((9**2 + 0.5**2) / 2) < 0
    assert counts.frame["yhat_lower"].tolist() == [0.0, 0.0]  # clipped: a count is never negative


def test_naive_interval_of_a_share_comes_from_its_own_changes_on_the_logit_scale():
    retention = [0.30, 0.25, 0.27]
    history = pd.DataFrame({"ds": pd.date_range("2023-02-01", periods=3, freq="MS"), "y": retention})
    future = pd.date_range("2023-05-01", periods=3, freq="MS")
    frame = baselines.baseline_forecast("naive", history, period="month", future=future, scale="share").frame
    logit = np.log(np.array(retention) / (1 - np.array(retention)))
    sd = np.sqrt(np.mean(np.diff(logit) ** 2)) * np.sqrt([1, 2, 3])
    expit = lambda value: 1 / (1 + np.exp(-value))  # noqa: E731
    assert frame["yhat"].tolist() == pytest.approx([0.27] * 3)
    assert frame["yhat_lower"].tolist() == pytest.approx(expit(logit[-1] - Z80 * sd))
    assert frame["yhat_upper"].tolist() == pytest.approx(expit(logit[-1] + Z80 * sd))
    widths = (frame["yhat_upper"] - frame["yhat_lower"]).tolist()
    assert widths[0] < widths[1] < widths[2] < 1  # wider with the horizon, never past [0, 1]
    assert frame["interval_note"].isna().all()


def test_a_single_point_gets_no_interval_and_a_note_saying_why():
    history = _weekly([0.4])
    future = pd.date_range("2023-01-09", periods=2, freq="W-MON")
    frame = baselines.baseline_forecast("naive", history, period="week", future=future, scale="share").frame
    assert frame["yhat"].tolist() == pytest.approx([0.4, 0.4])
    assert frame[["yhat_lower", "yhat_upper"]].isna().all().all()
    assert frame["interval_note"].tolist() == [baselines.NO_SPREAD] * 2
    forecast = models.forecast_series(_weekly([120.0]), period="week", horizon=2, scale="count")
    assert forecast.frame["interval_note"].tolist() == [baselines.NO_SPREAD] * 2
    assert forecast.messages[-1] == f"No 80% interval for 2 of 2 forecast periods: {baselines.NO_SPREAD}."


def test_forecast_tables_are_rounded_by_their_scale_for_export():
    frame = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2011-10-01"] * 2),
            "period": [2, 3],
            "yhat": [0.24022346368715083, 312.44999999],
            "yhat_lower": [np.nan, -0.00001],
            "yhat_upper": [np.nan, 1 / 3],
            "interval_note": [baselines.NO_SPREAD, None],
        }
    )
    share = series.for_export(frame, "share")
    assert share["yhat"].tolist() == [0.2402, 312.45]
    assert share["yhat_upper"].tolist()[1] == 0.3333
    assert str(share["yhat_lower"].tolist()[1]) == "0.0"  # not -0.0
    assert series.for_export(frame, "amount")["yhat"].tolist() == [0.24, 312.45]
    assert series.for_export(frame, "count")["yhat"].tolist() == [0.2, 312.4]
    pd.testing.assert_frame_equal(
        share[["cohort", "period", "interval_note"]], frame[["cohort", "period", "interval_note"]]
    )


def test_seasonal_naive_repeats_last_year_and_needs_more_than_a_year():
    values = np.arange(14, dtype=float) ** 2  # 14 months: 0, 1, 4, ..., 169
    history = pd.DataFrame({"ds": pd.date_range("2022-01-01", periods=14, freq="MS"), "y": values})
    future = pd.date_range("2023-03-01", periods=3, freq="MS")
    forecast = baselines.baseline_forecast("seasonal_naive", history, period="month", future=future, scale="amount")
    assert forecast.frame["yhat"].tolist() == [2.0**2, 3.0**2, 4.0**2]  # March, April, May of 2022
    year_on_year = np.sqrt(((12**2 - 0**2) ** 2 + (13**2 - 1**2) ** 2) / 2)
    assert forecast.frame["yhat_upper"].iloc[0] == pytest.approx(4 + Z80 * year_on_year)
    short = history.iloc[:12]
    assert baselines.baseline_forecast("seasonal_naive", short, period="month", future=future, scale="amount") is None


def test_error_metrics_by_hand():
    points = pd.DataFrame(
        {"actual": [10.0, 20.0, 0.0], "yhat": [12.0, 15.0, 0.0], "yhat_lower": [11, 16, -1], "yhat_upper": [13, 25, 1]}
    )
    assert backtest.mae(points) == pytest.approx((2 + 5 + 0) / 3)
    assert np.isnan(backtest.mape(points))  # an actual of 0
    assert backtest.mape(points.iloc[:2]) == pytest.approx((2 / 10 + 5 / 20) / 2)
    assert backtest.smape(points) == pytest.approx((2 * 2 / 22 + 2 * 5 / 35 + 0) / 3)
    assert backtest.coverage(points) == pytest.approx(2 / 3)  # 10 is below 11..13; 20 and 0 are inside
    perfect = points.assign(yhat=points["actual"], yhat_lower=points["actual"], yhat_upper=points["actual"])
    assert backtest.mae(perfect) == 0.0
    assert backtest.smape(perfect) == 0.0
    assert backtest.coverage(perfect) == 1.0


def test_origins_step_back_by_half_the_horizon():
    assert backtest.origins(40, 12, folds=3) == [40 - 12, 40 - 12 - 6, 40 - 12 - 12]
    assert backtest.origins(25, 12, folds=3) == [13]  # 7 and 1 leave fewer than 10 periods to train on
    assert backtest.backtest_horizon(15, 12) == 15 - 10
    assert backtest.backtest_horizon(10, 12) == 0


def test_logit_scale_round_trips_and_clips():
    share = series.SCALES["share"]
    values = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    assert share.inverse(share.forward(values)) == pytest.approx([0.001, 0.2, 0.5, 0.9, 0.999])
    assert share.clip(np.array([-0.1, 1.2])).tolist() == [0.0, 1.0]
    with np.errstate(
        over="raise"
    ):  # far out on the logit scale the logistic function neither overflows nor leaves [0, 1]
        assert share.inverse(np.array([-800.0, 0.0, 800.0])).tolist() == [0.0, 0.5, 1.0]


def test_registries_name_the_choices():
    assert list(baselines.BASELINES) == ["naive", "seasonal_naive"]
    assert list(backtest.ERROR_METRICS) == ["mae", "mape", "smape", "coverage"]
    assert list(series.PERIOD_SPECS) == ["week", "month"]
    with pytest.raises(DataError, match="baseline 'drift' is not one of naive, seasonal_naive"):
        baselines.baseline_forecast("drift", _weekly([1.0, 2.0]), period="week", future=[], scale="count")
    with pytest.raises(DataError, match="scale 'percent' is not one of share, count, amount"):
        series.scale_spec("percent")


def test_settings_are_a_hashable_cache_key():
    assert models.Settings(yearly="off") == models.Settings(yearly="off")
    assert hash(models.Settings(yearly="off")) == hash(models.Settings(yearly="off"))
    assert models.Settings(yearly="off") != models.Settings()
    with pytest.raises(DataError, match="yearly seasonality 'sometimes' is not one of auto, on, off"):
        models.Settings(yearly="sometimes")


def test_few_jobs_run_here_even_with_an_executor():
    class Refusing(Executor):
        def submit(self, *args, **kwargs):
            raise AssertionError("a job was sent to the executor")

    planned = models.plan(
        _trend_and_season(30),
        period="week",
        future=pd.date_range("2023-07-31", periods=2, freq="W-MON"),
        scale="count",
        settings=models.Settings(),
    )
    assert parallel.PARALLEL_MIN_JOBS > 1
    done = []
    results = parallel.run_jobs([planned.job], executor=Refusing(), progress=lambda *step: done.append(step))
    assert len(results) == 1 and len(results[0]) == 2
    assert done == [(1, 1)]


def test_holidays_move_to_the_start_of_their_period():
    weekly = models.holiday_calendar("UK", [2024], "week")
    christmas = weekly[weekly["holiday"] == "Christmas Day"]
    assert christmas["ds"].tolist() == [pd.Timestamp("2024-12-23")]  # 25 Dec 2024 was a Wednesday
    monthly = models.holiday_calendar("UK", [2024], "month")
    assert monthly.loc[monthly["holiday"] == "Christmas Day", "ds"].tolist() == [pd.Timestamp("2024-12-01")]
    with pytest.raises(DataError, match="no built-in holiday list for country 'Atlantis'"):
        models.Settings(holidays="Atlantis")


# ---------------------------------------------------------------- Prophet, for real


def _trend_and_season(weeks: int = 120, seed: int = 3) -> pd.DataFrame:
    t = np.arange(weeks)
    noise = np.random.default_rng(seed).normal(0, 2, weeks)
    return _weekly(200 + 1.5 * t + 40 * np.sin(2 * np.pi * t / 52.18) + noise)


def test_prophet_beats_the_naive_baselines_on_a_known_trend_and_season():
    result = backtest.backtest_series(_trend_and_season(), period="week", horizon=8, scale="count")
    summary = result.summary.set_index("model")
    assert list(summary.index) == ["Prophet", "Naive (last value)", "Seasonal naive (same period last year)"]
    assert summary["origins"].tolist() == [3, 3, 3]
    assert summary["points"].tolist() == [3 * 8] * 3
    assert result.prophet_won is True
    assert summary.loc["Prophet", "mae"] < 0.5 * summary.loc["Naive (last value)", "mae"]
    assert result.verdict.startswith("Prophet beat the naive forecast on 24 held-out periods from 3 forecast origins")
    assert result.enough_points
    assert "prove little" not in result.verdict
    # The scored points are the held-out actuals, independently of the models.
    prophet_points = result.points[result.points["model"] == "prophet"]
    series = _trend_and_season().set_index("ds")["y"]
    assert prophet_points["actual"].tolist() == pytest.approx(series.loc[prophet_points["ds"]].tolist())


def test_forecast_series_dates_components_and_yearly_switch():
    history = _trend_and_season()
    forecast = models.forecast_series(history, period="week", horizon=4, scale="count")
    assert forecast.model == "prophet"
    assert forecast.messages == ()  # 120 weeks are more than two years: yearly seasonality is on
    last = history["ds"].iloc[-1]
    assert forecast.frame["ds"].tolist() == [last + pd.Timedelta(weeks=step) for step in (1, 2, 3, 4)]
    assert (forecast.frame["yhat_lower"] <= forecast.frame["yhat"]).all()
    assert (forecast.frame["yhat"] <= forecast.frame["yhat_upper"]).all()
    assert {"trend", "yearly"} <= set(forecast.components.columns)
    assert len(forecast.components) == len(history) + 4
    shorter = models.forecast_series(history.iloc[:60], period="week", horizon=4, scale="count")
    assert shorter.messages == (
        "Yearly seasonality is off: it needs two full years of history (104 weeks), there are 60.",
    )
    assert "yearly" not in shorter.components.columns


def test_bounds_hold_for_shares_near_zero_and_one_and_for_falling_counts():
    t = np.arange(30)
    falling_share = _weekly(np.clip(0.3 - 0.012 * t + 0.02 * np.sin(t), 0.0, 1.0))
    rising_share = _weekly(np.clip(0.7 + 0.012 * t + 0.02 * np.cos(t), 0.0, 1.0))
    falling_count = _weekly(np.maximum(0, 60 - 2.5 * t + 3 * np.sin(t)))
    for history, scale, upper in [
        (falling_share, "share", 1.0),
        (rising_share, "share", 1.0),
        (falling_count, "count", None),
    ]:
        frame = models.forecast_series(history, period="week", horizon=20, scale=scale).frame
        values = frame[["yhat", "yhat_lower", "yhat_upper"]].to_numpy()
        assert (values >= 0).all()
        if upper is not None:
            assert (values <= upper).all()
    # Unbounded on the model scale, the falling share's 20-week extrapolation would go below 0:
    assert 0.3 - 0.012 * 49 < 0


def test_too_little_history_gets_the_naive_forecast_and_a_message():
    history = _weekly([5.0, 7.0, 6.0, 8.0, 9.0, 8.0])
    forecast = models.forecast_series(history, period="week", horizon=3, scale="count")
    assert forecast.model == "naive"
    assert forecast.frame["yhat"].tolist() == [8.0, 8.0, 8.0]
    assert forecast.messages == (
        "Only 6 complete weeks of history: showing the naive forecast (last value) only; Prophet needs at least 10.",
    )
    tested = backtest.backtest_series(history, period="week", horizon=3)
    assert tested.summary.empty
    assert tested.prophet_won is None
    assert tested.verdict.startswith("No backtest")


def test_forecast_activity_on_the_sample_warehouse(sample_db):
    con = warehouse.connect(sample_db)
    heard: list[tuple[int, int]] = []
    try:
        result = activity.forecast_activity(
            con, metric="new_customers", period="month", horizon=3, progress=lambda *done: heard.append(done)
        )
        with pytest.raises(DataError, match="horizon must be a whole number of periods from 1 to 104, got 0"):
            activity.forecast_activity(con, horizon=0)
    finally:
        con.close()
    complete = result.history[result.history["complete"]]
    assert result.forecast.frame["ds"].iloc[0] == complete["ds"].iloc[-1] + pd.DateOffset(months=1)
    assert (result.forecast.frame[["yhat", "yhat_lower", "yhat_upper"]] >= 0).all().all()
    assert result.backtest.summary["model"].iloc[0] == "Prophet"
    assert result.backtest.verdict.startswith(("Prophet beat", "Prophet did not beat"))
    # One call per Prophet fit: the backtest's origins, then the forecast itself.
    origins = int(result.backtest.summary["origins"].iloc[0])
    assert heard == [(done, origins + 1) for done in range(1, origins + 2)]
    # What a job records reads back as the same forecast.
    saved = forecast_job.from_result(json.loads(json.dumps(forecast_job.job_result(result))))
    for read_back, fitted in [
        (saved.history, result.history),
        (saved.forecast.frame, result.forecast.frame),
        (saved.forecast.components, result.forecast.components),
        (saved.backtest.points, result.backtest.points),
        (saved.backtest.summary, result.backtest.summary),
    ]:
        same_frame(read_back, fitted)
    assert (saved.metric, saved.period, saved.forecast.model, saved.messages, saved.backtest.verdict) == (
        result.metric,
        result.period,
        result.forecast.model,
        result.messages,
        result.backtest.verdict,
    )


# ---------------------------------------------------------------- cohort retention


def _cohort_table(cohorts: int = 14) -> pd.DataFrame:
    """Monthly cohorts from Jan 2023; cohort i has periods 0..(cohorts - i), the last one incomplete."""
    rows = []
    for index, start in enumerate(pd.date_range("2023-01-01", periods=cohorts, freq="MS")):
        for period in range(cohorts - index + 1):
            retention = 1.0 if period == 0 else 0.12 + 0.3 * np.exp(-0.35 * period) + 0.01 * np.sin(index + period)
            rows.append((start, period, retention, period < cohorts - index))
    return pd.DataFrame(rows, columns=["cohort", "period", "retention", "complete"])


def test_retention_history_keeps_complete_periods_after_the_first_and_dates_them():
    history = cohorts.retention_history(_cohort_table(3), period="month")
    # Cohort Jan: periods 0..3 with 3 incomplete -> 1, 2; Feb: 0..2 -> 1; Mar: 0..1 -> none.
    assert list(zip(history["cohort"].dt.month, history["period"], strict=True)) == [(1, 1), (1, 2), (2, 1)]
    assert history["ds"].tolist() == [
        pd.Timestamp("2023-02-01"),
        pd.Timestamp("2023-03-01"),
        pd.Timestamp("2023-03-01"),
    ]


def test_cohort_forecasts_stay_in_range_and_parallel_fits_match_serial():
    table = _cohort_table()
    serial = cohorts.forecast_cohort_retention(table, period="month", horizon=3)
    with parallel.process_pool(2) as pool:
        side_by_side = cohorts.forecast_cohort_retention(table, period="month", horizon=3, executor=pool)
        assert parallel.usable(pool)  # the caller's pool is left running for its next call
    assert not parallel.usable(pool)
    values = serial.forecast[["yhat", "yhat_lower", "yhat_upper"]]
    assert (values.isna() | ((values >= 0) & (values <= 1))).all().all()
    assert serial.forecast["yhat"].notna().all()
    # One complete period says nothing about spread: only the cohort with a single point has no interval,
    # and its rows say why; every other row has one.
    for frame in (serial.forecast, serial.next_cohort):
        assert frame.columns.tolist() == cohorts.FORECAST_COLUMNS
        bare = frame[["yhat_lower", "yhat_upper"]].isna().any(axis=1)
        assert (bare == frame["interval_note"].notna()).all()
    no_interval = serial.forecast.loc[serial.forecast["yhat_lower"].isna(), "cohort"].unique().tolist()
    assert no_interval == [pd.Timestamp("2024-01-01")]
    assert set(serial.forecast["interval_note"].dropna()) == {baselines.NO_SPREAD}
    # The naive rows with two or more points have their own interval, and it widens with the horizon.
    naive = serial.forecast[(serial.forecast["model"] == "naive") & serial.forecast["yhat_lower"].notna()]
    assert naive["cohort"].nunique() == 9 - 1
    widths = (naive["yhat_upper"] - naive["yhat_lower"]).groupby(naive["cohort"]).agg(list)
    assert all(width[0] <= width[1] <= width[2] for width in widths)
    pd.testing.assert_frame_equal(serial.forecast, side_by_side.forecast)
    pd.testing.assert_frame_equal(serial.next_cohort, side_by_side.next_cohort)
    # Cohort i (0 = Jan 2023) has 13 - i complete periods after its first: 13 cohorts have history,
    # and those with 10 or more (Jan..Apr 2023) get Prophet.
    models_used = serial.forecast.groupby("cohort")["model"].first()
    assert models_used.loc[pd.Timestamp("2023-01-01")] == "prophet"
    assert (models_used == "prophet").sum() == 4
    assert serial.messages == (
        "9 of 13 cohorts have fewer than 10 complete months after their first: "
        "they get the naive forecast (their last retention) only.",
        f"No 80% interval for 1 of 13 cohorts (2024-01-01): {baselines.NO_SPREAD}. Their rows say so in interval_note.",
    )
    first = serial.forecast[serial.forecast["cohort"] == pd.Timestamp("2023-01-01")]
    # Its last complete period is 13 (Feb 2024); period 14 (Mar 2024) is in progress and forecast first.
    assert first["period"].tolist() == [14, 15, 16]
    assert first["ds"].tolist() == list(pd.date_range("2024-03-01", periods=3, freq="MS"))
    # The next cohort starts after the latest one (Feb 2024) and has periods 1..3.
    assert serial.next_cohort["cohort"].unique().tolist() == [pd.Timestamp("2024-03-01")]
    assert serial.next_cohort["period"].tolist() == [1, 2, 3]
    assert serial.next_cohort["yhat"].between(0, 1).all()
    assert serial.backtest.summary["model"].tolist() == ["Prophet", "Naive (last value)"]
    # What a job records reads back as the same forecast (the history is the caller's to pass).
    saved = forecast_job.from_result(json.loads(json.dumps(forecast_job.job_result(serial))), serial.history)
    pairs = [
        (saved.forecast, serial.forecast),
        (saved.next_cohort, serial.next_cohort),
        (saved.backtest.points, serial.backtest.points),
        (saved.backtest.summary, serial.backtest.summary),
    ]
    for read_back, fitted in pairs:
        same_frame(read_back, fitted)
    assert (saved.period, saved.messages, saved.scale, saved.history is serial.history) == (
        serial.period,
        serial.messages,
        serial.scale,
        True,
    )
    assert (saved.backtest.verdict, saved.backtest.horizon) == (serial.backtest.verdict, serial.backtest.horizon)


def same_frame(read_back: pd.DataFrame, fitted: pd.DataFrame) -> None:
    """Equal columns and values, missing as missing whatever its spelling (None or NaN), floats to 1e-12."""

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.reset_index(drop=True).astype(object).where(frame.notna().to_numpy(), None)

    pd.testing.assert_frame_equal(plain(read_back), plain(fitted), check_dtype=False, check_exact=False, rtol=1e-12)


def test_cohort_forecast_rejects_unknown_cohorts():
    with pytest.raises(DataError, match="no complete retention history for the cohort"):
        cohorts.forecast_cohort_retention(_cohort_table(4), period="month", cohorts=["1999-01-01"], folds=0)


# ---------------------------------------------------------------- CLI


def test_cli_writes_the_forecast_and_the_backtest_on_stderr(sample_copy, tmp_path, capsys):
    out = tmp_path / "forecast.csv"
    status = main(
        [
            "forecast",
            "--db",
            sample_copy,
            "--metric",
            "active_customers",
            "--period",
            "month",
            "--horizon",
            "2",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    frame = pd.read_csv(out)
    assert frame.columns.tolist() == ["ds", "yhat", "yhat_lower", "yhat_upper", "model", "interval_note"]
    assert len(frame) == 2
    assert frame["model"].tolist() == ["prophet"] * 2 and frame["interval_note"].isna().all()
    # Customers are forecast to one decimal: an expected value, not a count.
    assert not re.search(r"\.\d{2,}", out.read_text())
    err = capsys.readouterr().err
    assert "Prophet" in err and "Naive (last value)" in err
    assert "beat the naive forecast" in err
    # The run is a job: a progress line per Prophet fit on stderr, and the forecast in the job's row.
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert progress[0] == "[  0%] Reading the activity" and progress[-1].startswith("[100%] Fitted ")
    job = jobs.get(sample_copy, int(jobs.recent(sample_copy)["job_id"].iloc[0]))
    assert (job.kind, job.started_by, job.status, job.params["metric"]) == (
        "forecast",
        "cli",
        "done",
        "active_customers",
    )
    recorded = jobs.json_frame(job.result["forecast"]["frame"])
    assert frame["yhat"].tolist() == pytest.approx(recorded["yhat"].round(1).tolist())


def test_cli_cohort_retention_and_errors(sample_copy, tmp_path, capsys):
    out = tmp_path / "cohorts.csv"
    status = main(
        ["forecast", "--db", sample_copy, "--metric", "cohort_retention", "--period", "month", "--horizon", "1"]
        + ["--workers", "1", "--out", str(out)]
    )
    assert status == 0
    frame = pd.read_csv(out)
    assert frame.columns.tolist() == [
        "ds", "cohort", "period", "yhat", "yhat_lower", "yhat_upper", "model", "interval_note",
    ]  # fmt: skip
    assert frame["yhat"].between(0, 1).all()
    assert (frame[["yhat_lower", "yhat_upper"]].notna().all(axis=1) | frame["interval_note"].notna()).all()
    assert not re.search(r"\.\d{5,}", out.read_text())  # retention to 4 decimals
    # The run is a job: one progress line per Prophet fit on stderr, and the forecast in the job's row.
    progress = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert progress[0] == "[  0%] Reading the cohort table"
    total = int(re.search(r"of (\d+) Prophet", progress[-1]).group(1))
    assert progress[1:] == [
        f"[{done / total:4.0%}] Fitted {done} of {total} Prophet models (forecasts and backtest)"
        for done in range(1, total + 1)
    ]
    job = jobs.get(sample_copy, int(jobs.recent(sample_copy)["job_id"].iloc[0]))
    assert (job.kind, job.started_by, job.status) == ("forecast", "cli", "done")
    assert (job.params["metric"], job.params["horizon"], job.params["cohorts"]) == ("cohort_retention", 1, None)
    recorded = pd.concat(
        [jobs.json_frame(job.result["forecast"]), jobs.json_frame(job.result["next_cohort"])], ignore_index=True
    )
    assert frame["yhat"].tolist() == pytest.approx(recorded["yhat"].round(4).tolist())
    assert pd.to_datetime(frame["cohort"]).tolist() == recorded["cohort"].tolist()
    assert main(["forecast", "--db", sample_copy, "--holidays", "Atlantis"]) == 2
    assert "error: no built-in holiday list for country 'Atlantis'" in capsys.readouterr().err


def test_verdict_never_hides_a_loss_and_flags_a_thin_backtest():
    def summary(prophet_mae: float, points: int) -> pd.DataFrame:
        rows = [("Prophet", 1, points, prophet_mae, 0.8), ("Naive (last value)", 1, points, 10.0, 0.9)]
        return pd.DataFrame(rows, columns=["model", "origins", "points", "mae", "coverage"])

    lost = backtest.verdict(summary(12.5, 24), fmt=lambda value: f"{value:.1f} customers")
    assert lost.startswith(
        "Prophet did not beat the naive forecast on 24 held-out periods from 1 forecast origin: "
        "mean absolute error 12.5 customers against 10.0 customers for the naive (last value), "
        f"{12.5 / 10 - 1:.0%} higher than the best baseline."
    )
    assert backtest.prophet_won(summary(12.5, 24)) is False
    tie = summary(10.0, 24)
    assert backtest.prophet_won(tie) is False  # a tie is not a win
    thin = backtest.verdict(summary(5.0, 2))
    assert thin.startswith("Prophet beat the naive forecast on 2 held-out periods from 1 forecast origin")
    assert thin.endswith("So few held-out periods prove little either way.")
