"""Cohort tables and lifecycle against independent pandas computations and hand-counted examples."""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np
import online_retail
import pandas as pd
import pytest

from retention import cohorts, ingest, periods, sample, warehouse
from retention.errors import DataError

# ---------------------------------------------------------------- pandas reference


def _trunc(ts: pd.Series, period: str) -> pd.Series:
    days = pd.to_datetime(ts).dt.floor("D")
    if period == "day":
        return days
    if period == "week":
        return days - pd.to_timedelta(days.dt.dayofweek, unit="D")
    return days - pd.to_timedelta(days.dt.day - 1, unit="D")


def _steps(start: pd.Series, later: pd.Series, period: str) -> pd.Series:
    """Whole periods from ``start`` to ``later`` (both already truncated)."""
    if period == "month":
        return (later.dt.year - start.dt.year) * 12 + (later.dt.month - start.dt.month)
    days = (later - start).dt.days
    return days // 7 if period == "week" else days


def _add(start: pd.Series, steps: pd.Series, period: str) -> pd.Series:
    if period == "month":
        return pd.Series(
            [s + pd.DateOffset(months=int(k)) for s, k in zip(start, steps, strict=True)], index=start.index
        )
    return start + pd.to_timedelta(steps * (7 if period == "week" else 1), unit="D")


def reference_table(
    frames,
    *,
    period="month",
    cohort_by="first_purchase",
    activity="purchase",
    mode="n-day",
    brackets=((1, 7), (8, 30), (31, 90)),
) -> pd.DataFrame:
    """The cohort table computed in plain pandas from the canonical frames."""
    orders, events, users = frames["orders"], frames["events"], frames["users"]
    purchases = orders[orders["quantity"] > 0]
    as_of = max(orders["ts"].max(), events["ts"].max())
    if cohort_by == "first_purchase":
        start = purchases.groupby("user_id")["ts"].min()
    elif cohort_by == "first_event":
        start = events.groupby("user_id")["ts"].min()
    else:
        start = users.dropna(subset=["signup_ts"]).set_index("user_id")["signup_ts"]
    members = pd.DataFrame({"user_id": start.index.astype(str), "start": start.to_numpy()})
    members["cohort"] = _trunc(members["start"], period)
    members["start_day"] = _trunc(members["start"], "day")
    if activity == "purchase":
        acts = purchases[["user_id", "ts"]]
    elif activity == "any":
        acts = events[["user_id", "ts"]]
    else:
        acts = events.loc[events["event_type"] == activity, ["user_id", "ts"]]
    acts = acts.astype({"user_id": str}).merge(members, on="user_id")
    sizes = members.groupby("cohort").size().rename("cohort_users").reset_index()
    if mode == "brackets":
        bounds = [(0, 0), *brackets]
        offsets = (_trunc(acts["ts"], "day") - acts["start_day"]).dt.days
        parts = []
        for k, (lo, hi) in enumerate(bounds):
            hit = acts[(offsets >= lo) & (offsets <= hi)]
            parts.append(
                hit.groupby("cohort")["user_id"].nunique().rename("active_users").reset_index().assign(period=k)
            )
        cells = pd.concat(parts)
        grid = sizes.merge(
            pd.DataFrame({"period": range(len(bounds)), "lo": [b[0] for b in bounds], "hi": [b[1] for b in bounds]}),
            how="cross",
        )
        grid = grid[grid["cohort"] + pd.to_timedelta(grid["lo"], unit="D") <= as_of]
        next_cohort = _add(grid["cohort"], pd.Series(1, index=grid.index), period)
        grid["complete"] = next_cohort + pd.to_timedelta(grid["hi"], unit="D") <= as_of
    else:
        acts["n"] = _steps(acts["cohort"], _trunc(acts["ts"], period), period)
        acts = acts[acts["n"] >= 0]
        if mode == "n-day":
            cells = acts.groupby(["cohort", "n"])["user_id"].nunique().rename("active_users").reset_index()
        else:
            # Users whose last active period is n; summed over n and later once the grid is known.
            last = acts.groupby(["cohort", "user_id"])["n"].max().reset_index()
            cells = last.groupby(["cohort", "n"]).size().rename("active_users").reset_index()
        cells = cells.rename(columns={"n": "period"})
        last_period = _trunc(pd.Series([as_of]), period).iloc[0]
        spans = _steps(sizes["cohort"], pd.Series(last_period, index=sizes.index), period)
        grid = sizes.loc[sizes.index.repeat(spans + 1)].copy()
        grid["period"] = grid.groupby("cohort").cumcount()
        grid["complete"] = _add(grid["cohort"], grid["period"] + 1, period) <= as_of
    table = grid.merge(cells, on=["cohort", "period"], how="left")
    table["active_users"] = table["active_users"].fillna(0).astype("int64")
    if mode == "unbounded":
        reversed_sum = table.iloc[::-1].groupby("cohort")["active_users"].cumsum()
        table["active_users"] = reversed_sum.iloc[::-1]
    table["retention"] = table["active_users"] / table["cohort_users"]
    return (
        table[["cohort", "period", "cohort_users", "active_users", "retention", "complete"]]
        .sort_values(["cohort", "period"])
        .reset_index(drop=True)
    )


def assert_same_table(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    columns = ["cohort", "period", "cohort_users", "active_users", "complete"]
    left = ours[columns].astype({"cohort": "datetime64[us]"}).reset_index(drop=True)
    right = expected[columns].astype({"cohort": "datetime64[us]"}).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    assert ours["retention"].to_numpy() == pytest.approx(expected["retention"].to_numpy())


def table_of(con, **settings) -> pd.DataFrame:
    """The frame of the cohort table that ``CohortQuery(**settings)`` describes."""
    return cohorts.cohort_table(con, cohorts.CohortQuery(**settings)).frame


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def con(sample_db):
    connection = warehouse.connect(sample_db)
    yield connection
    connection.close()


def _tiny_frames() -> dict[str, pd.DataFrame]:
    """Four customers by hand; the data ends on 2024-03-20 12:00 (the latest event)."""
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"],
            "user_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
            "item_id": ["x"] * 8,
            "ts": pd.to_datetime(
                [
                    "2024-01-03 10:00",
                    "2024-01-05 09:00",
                    "2024-03-02 08:00",  # a: Jan day 0, day 2, Mar day 59
                    "2024-01-20 12:00",
                    "2024-02-10 12:00",  # b: Jan day 0, Feb day 21
                    "2024-02-01 00:00",  # c: Feb only
                    "2024-02-05 12:00",
                    "2024-02-06 12:00",  # d: Feb day 0, a return on day 1
                ]
            ),
            "quantity": [1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0, -1.0],
            "unit_price": [10.0, 5.0, 20.0, 8.0, 4.0, 7.0, 6.0, 6.0],
            "discount": [0.0] * 8,
        }
    )
    users = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e"],
            "signup_ts": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-31", "2024-02-01", "2024-03-01"]),
            "country": ["UK", "UK", "FR", "=cmd", None],
            "channel": ["ads", "email", "ads", "ads", "ads"],
            "email": ["a@x", "b@x", "c@x", "d@x", "e@x"],
        }
    )
    events = pd.DataFrame(
        {
            "user_id": ["a", "b", "e"],
            "ts": pd.to_datetime(["2024-01-02 10:00", "2024-02-11 10:00", "2024-03-20 12:00"]),
            "event_type": ["view", "view", "session_start"],
            "item_id": [None, None, None],
            "session_id": ["s1", "s2", "s3"],
        }
    )
    return {"orders": orders, "users": users, "events": events}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "warehouse.duckdb"
    connection = warehouse.connect(path)
    sample.load_frames(connection, _tiny_frames(), source="hand-made")
    yield connection
    connection.close()


# ---------------------------------------------------------------- against pandas on the sample warehouse


@pytest.mark.parametrize("period", ["month", "week", "day"])
@pytest.mark.parametrize("mode", ["n-day", "unbounded"])
def test_period_modes_match_pandas(con, sample_frames, period, mode):
    ours = table_of(con, period=period, mode=mode)
    assert_same_table(ours, reference_table(sample_frames, period=period, mode=mode))


@pytest.mark.parametrize("period", ["month", "week"])
def test_brackets_match_pandas(con, sample_frames, period):
    brackets = [(1, 7), (8, 30), (31, 90)]
    ours = table_of(con, period=period, mode="brackets", brackets=brackets)
    assert_same_table(ours, reference_table(sample_frames, period=period, mode="brackets", brackets=brackets))
    assert ours["bracket"].iloc[:4].tolist() == ["day 0", "days 1-7", "days 8-30", "days 31-90"]


@pytest.mark.parametrize(
    ("cohort_by", "activity"),
    [("signup", "purchase"), ("first_event", "any"), ("first_purchase", "view"), ("signup", "add_to_cart")],
)
def test_cohort_definitions_and_activities_match_pandas(con, sample_frames, cohort_by, activity):
    ours = table_of(con, cohort_by=cohort_by, activity=activity)
    assert_same_table(ours, reference_table(sample_frames, cohort_by=cohort_by, activity=activity))


def test_revenue_per_cohort_user_matches_pandas(con, sample_frames):
    orders = sample_frames["orders"]
    first = orders[orders["quantity"] > 0].groupby("user_id")["ts"].min().rename("first")
    lines = orders.join(first, on="user_id").dropna(subset=["first"])
    cohort, month = _trunc(lines["first"], "month"), _trunc(lines["ts"], "month")
    lines = lines.assign(
        cohort=cohort, period=_steps(cohort, month, "month"), revenue=lines["quantity"] * lines["unit_price"]
    )
    expected = lines.groupby(["cohort", "period"])["revenue"].sum()
    ours = table_of(con, measure="revenue").set_index(["cohort", "period"])
    common = ours.loc[expected.index]
    assert common["revenue"].to_numpy() == pytest.approx(expected.to_numpy())
    assert common["value"].to_numpy() == pytest.approx((expected / common["cohort_users"]).to_numpy())
    # Cells without any order line hold zero revenue.
    assert ours.drop(expected.index)["revenue"].eq(0).all()


def test_breakdown_sizes_add_up_and_match_pandas(con, sample_frames):
    ours = table_of(con, breakdown="country")
    orders, users = sample_frames["orders"], sample_frames["users"]
    first = orders[orders["quantity"] > 0].groupby("user_id")["ts"].min()
    members = pd.DataFrame({"user_id": first.index.astype(str), "cohort": _trunc(pd.Series(first.to_numpy()), "month")})
    members = members.merge(users[["user_id", "country"]].astype({"user_id": str}), on="user_id", how="left")
    expected = members.groupby(["cohort", "country"]).size()
    sizes = ours[ours["period"] == 0].set_index(["cohort", "segment"])["cohort_users"]
    assert sizes.sort_index().to_numpy().tolist() == expected.sort_index().to_numpy().tolist()
    total = table_of(con)
    per_cell = ours.groupby(["cohort", "period"])["active_users"].sum().reset_index()
    assert per_cell["active_users"].tolist() == total["active_users"].tolist()


def test_breakdown_with_many_values_keeps_top_segments_and_other(con):
    table = table_of(con, breakdown="country", top_segments=3)
    segments = set(table["segment"])
    assert len(segments) == 4 and "other" in segments
    assert table.groupby(["cohort", "period"])["cohort_users"].sum().max() <= 600


# ---------------------------------------------------------------- hand-counted examples


def test_tiny_monthly_first_purchase_by_hand(tiny):
    table = table_of(tiny).set_index(["cohort", "period"])
    jan, feb, mar = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")
    # January cohort: a and b. February: a no, b yes. March: a yes.
    assert table.loc[(jan, 0), "cohort_users"] == 2
    assert table.loc[(jan, 1), "retention"] == pytest.approx(1 / 2)
    assert table.loc[(jan, 2), "retention"] == pytest.approx(1 / 2)
    # February cohort: c and d (d's return on Feb 6 is not a purchase); nobody buys in March.
    assert table.loc[(feb, 0), "active_users"] == 2
    assert table.loc[(feb, 1), "active_users"] == 0
    # Data ends 2024-03-20: every March cell is incomplete, the others complete.
    assert not table.loc[(jan, 2), "complete"] and not table.loc[(feb, 1), "complete"]
    assert table.loc[(jan, 1), "complete"]
    assert (mar, 0) not in table.index  # nobody's first purchase is in March


def test_tiny_unbounded_and_brackets_by_hand(tiny):
    unbounded = table_of(tiny, mode="unbounded").set_index(["cohort", "period"])
    jan = pd.Timestamp("2024-01-01")
    # a's last purchase month is 2, b's is 1: period 1 "or later" counts both.
    assert unbounded.loc[(jan, 1), "retention"] == pytest.approx((1 + 1) / 2)
    assert unbounded.loc[(jan, 2), "retention"] == pytest.approx(1 / 2)
    brackets = table_of(tiny, mode="brackets", brackets=[(1, 7), (8, 30), (31, 90)])
    jan_rows = brackets[brackets["cohort"] == jan].set_index("bracket")
    # a buys on days 0, 2 and 59 after Jan 3; b on days 0 and 21 after Jan 20.
    assert jan_rows.loc["day 0", "active_users"] == 2
    assert jan_rows.loc["days 1-7", "active_users"] == 1
    assert jan_rows.loc["days 8-30", "active_users"] == 1
    assert jan_rows.loc["days 31-90", "active_users"] == 1
    # Complete when the cohort's last day (Jan 31) plus the bracket's end is before Mar 20.
    assert jan_rows["complete"].tolist() == [True, True, True, False]


def test_tiny_revenue_and_signup_by_hand(tiny):
    revenue = table_of(tiny, measure="revenue").set_index(["cohort", "period"])
    feb = pd.Timestamp("2024-02-01")
    # February cohort c (1 x 7) and d (2 x 6 - 1 x 6 returned): net revenue per cohort user.
    assert revenue.loc[(feb, 0), "value"] == pytest.approx((7 + 12 - 6) / 2)
    jan = pd.Timestamp("2024-01-01")
    assert revenue.loc[(jan, 1), "revenue"] == pytest.approx(3 * 4)
    signup = table_of(tiny, cohort_by="signup").set_index(["cohort", "period"])
    # Signed up in January: a, b, c; c first buys in February. e (March) never buys.
    assert signup.loc[(jan, 0), "retention"] == pytest.approx(2 / 3)
    assert signup.loc[(jan, 1), "retention"] == pytest.approx(2 / 3)
    assert signup.loc[(pd.Timestamp("2024-03-01"), 0), "retention"] == pytest.approx(0 / 1)


def test_tiny_breakdown_missing_values_and_range(tiny):
    table = table_of(tiny, breakdown="country", cohort_start="2024-02-10", cohort_end="2024-02-28")
    assert set(table["cohort"]) == {pd.Timestamp("2024-02-01")}  # the start date rounds down to its month
    assert sorted(table.loc[table["period"] == 0, "segment"]) == ["=cmd", "FR"]
    by_signup = table_of(tiny, cohort_by="signup", breakdown="country", cohort_start="2024-03-01")
    assert by_signup["segment"].tolist() == ["(missing)"]


def test_tiny_lifecycle_by_hand(tiny):
    life = cohorts.lifecycle(tiny).set_index("period_start")
    jan, feb, mar = (pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3))
    assert life.loc[jan, ["new", "returning", "resurrecting", "dormant"]].tolist() == [2, 0, 0, 0]
    # February: c and d new, b returning, a dormant.
    assert life.loc[feb, ["new", "returning", "resurrecting", "dormant"]].tolist() == [2, 1, 0, -1]
    # March: a resurrects; b, c, d turn dormant; March is not over.
    assert life.loc[mar, ["new", "returning", "resurrecting", "dormant"]].tolist() == [0, 0, 1, -3]
    # The purchases start on 3 January, so January is partial (as in the Forecast and Overview); March is not over.
    assert life["complete"].tolist() == [False, True, False]


def test_lifecycle_matches_pandas(con, sample_frames):
    orders = sample_frames["orders"]
    active = orders[orders["quantity"] > 0].assign(month=lambda d: _trunc(d["ts"], "month"))
    active = active[["user_id", "month"]].drop_duplicates().sort_values(["user_id", "month"])
    previous = active.groupby("user_id")["month"].shift()
    gap = _steps(previous, active["month"], "month")
    expected_new = active[previous.isna()].groupby("month").size()
    expected_returning = active[gap == 1].groupby("month").size()
    expected_resurrecting = active[gap > 1].groupby("month").size()
    life = cohorts.lifecycle(con).set_index("period_start")
    assert life["new"].to_numpy() == pytest.approx(expected_new.reindex(life.index, fill_value=0).to_numpy())
    assert life["returning"].to_numpy() == pytest.approx(
        expected_returning.reindex(life.index, fill_value=0).to_numpy()
    )
    assert life["resurrecting"].to_numpy() == pytest.approx(
        expected_resurrecting.reindex(life.index, fill_value=0).to_numpy()
    )
    # Dormant in month m = active in m - 1 and not in m.
    counts = active.groupby("month").size()
    stayed = expected_returning.reindex(life.index, fill_value=0)
    dormant = -(counts.reindex(life.index, fill_value=0).shift(1, fill_value=0) - stayed)
    assert life["dormant"].to_numpy() == pytest.approx(dormant.to_numpy())


# ---------------------------------------------------------------- bad input


def test_empty_range_gives_empty_table_with_columns(con):
    table = table_of(con, cohort_start="2001-01-01", cohort_end="2001-12-31")
    assert table.empty
    assert list(table.columns) == ["cohort", "period", "cohort_users", "active_users", "retention", "complete"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"period": "year"}, "period must be one of day, week, month"),
        ({"mode": "rolling"}, "mode must be one of"),
        ({"breakdown": "email"}, "cannot break down by 'email'"),
        ({"breakdown": "country; DROP TABLE users"}, "cannot break down by"),
        ({"activity": "checkout"}, "no events of type 'checkout'"),
        ({"mode": "brackets", "brackets": [(8, 30), (1, 7)]}, "overlaps or precedes"),
        ({"mode": "brackets", "brackets": [(0, 7)]}, "must start on day 1"),
        ({"cohort_start": "2025-05-01", "cohort_end": "2025-01-01"}, "starts (2025-05-01) after it ends"),
        ({"cohort_start": "yesterday-ish"}, "is not a date"),
        ({"breakdown": "country", "top_segments": 0}, "keep at least one breakdown segment"),
    ],
)
def test_bad_settings_name_the_problem(con, settings, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        table_of(con, **settings)


def test_event_options_refused_without_events(tmp_path):
    frames = {key: frame for key, frame in _tiny_frames().items() if key != "events"}
    connection = warehouse.connect(tmp_path / "no_events.duckdb")
    try:
        sample.load_frames(connection, frames, source="no events")
        assert table_of(connection)["cohort_users"].iloc[0] == 2
        with pytest.raises(DataError, match="no events"):
            table_of(connection, activity="any")
        with pytest.raises(DataError, match="no events"):
            table_of(connection, cohort_by="first_event")
    finally:
        connection.close()


def test_empty_warehouse_gives_empty_tables(tmp_path):
    connection = warehouse.connect(tmp_path / "empty.duckdb")
    try:
        assert table_of(connection).empty
        assert cohorts.lifecycle(connection).empty
    finally:
        connection.close()


def test_parse_brackets():
    assert cohorts.parse_brackets("1-7, 8-30,31 - 90") == [(1, 7), (8, 30), (31, 90)]
    assert cohorts.parse_brackets("14") == [(14, 14)]
    with pytest.raises(DataError, match="cannot read the bracket 'a-b'"):
        cohorts.parse_brackets("1-7, a-b")


def test_retention_is_a_share(con):
    table = table_of(con, period="week", mode="unbounded")
    assert table["retention"].between(0, 1).all()
    assert np.all(np.diff(table[table["cohort"] == table["cohort"].min()]["active_users"]) <= 0)


# ---------------------------------------------------------------- cell users, mean curve, CLI


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"mode": "unbounded", "period": "week"},
        {"mode": "brackets", "brackets": [(1, 7), (8, 30)]},
        {"breakdown": "channel", "cohort_by": "signup", "activity": "view"},
    ],
)
def test_cell_users_add_up_to_the_cells(con, settings):
    query = cohorts.CohortQuery(**settings)
    table = cohorts.cohort_table(con, query).frame
    cells = table.sample(8, random_state=3)
    for cell in cells.itertuples():
        segment = getattr(cell, "segment", None)
        users = cohorts.cell_users(con, query, cohort=cell.cohort, period_index=cell.period, segment=segment)
        assert len(users) == cell.cohort_users
        assert users["retained"].sum() == cell.active_users
        assert users["user_id"].is_unique
        assert "email" not in users.columns


def test_cell_users_by_hand_with_emails_on_request(tiny):
    users = cohorts.cell_users(tiny, cohorts.CohortQuery(), cohort="2024-01-01", period_index=1, include_email=True)
    assert users[["user_id", "retained", "active_periods"]].values.tolist() == [["b", True, 2], ["a", False, 2]]
    # b: 1 x 8 in January and 3 x 4 in February; a: 10 + 2 x 5 + 20.
    assert users["revenue"].tolist() == pytest.approx([8 + 3 * 4, 10 + 2 * 5 + 20])
    assert users["email"].tolist() == ["b@x", "a@x"]
    assert users["last_active"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    # The month holds the activity; last_purchase is the purchase itself (b: 10 Feb noon, a: 2 Mar 8:00).
    assert users["last_purchase"].tolist() == [pd.Timestamp("2024-02-10 12:00"), pd.Timestamp("2024-03-02 08:00")]


def test_mean_curve_weights_cohorts_by_size_and_skips_incomplete_cells():
    table = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01"] * 2),
            "period": [0, 1, 2, 0, 1],
            "cohort_users": [10, 10, 10, 30, 30],
            "active_users": [10, 4, 3, 30, 6],
            "retention": [1.0, 0.4, 0.3, 1.0, 0.2],
            "complete": [True, True, False, True, False],
        }
    )
    curve = cohorts.CohortTable(table, cohorts.CohortQuery()).mean_curve()
    assert curve["period"].tolist() == [0, 1]
    assert curve["retention"].tolist() == pytest.approx([(10 + 30) / (10 + 30), 4 / 10])
    assert curve["cohorts"].tolist() == [2, 1]


def test_default_cohort_range():
    first, last = pd.Timestamp("2024-01-05 10:00"), pd.Timestamp("2024-12-31 23:00")
    assert cohorts.default_cohort_range(first, last, "month") == (
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-12-31"),
    )
    assert cohorts.default_cohort_range(first, last, "day")[0] == pd.Timestamp("2024-12-31") - pd.Timedelta(days=59)
    # 52 weeks back from Tuesday 2024-12-31 is Wednesday 2024-01-03, in the week of Monday 2024-01-01.
    assert cohorts.default_cohort_range(first, last, "week")[0] == pd.Timestamp("2024-01-01")
    assert cohorts.default_cohort_range(None, None, "week") == (None, None)


def test_cli_writes_the_long_form_table(con, sample_db, tmp_path, capsys):
    from retention.cli import main

    out = tmp_path / "cohorts.csv"
    assert main(["cohorts", "--db", sample_db, "--period", "week", "--by", "country", "--out", str(out)]) == 0
    written = pd.read_csv(out)
    assert list(written.columns) == [
        "cohort", "segment", "period", "cohort_users", "active_users", "retention", "complete",
    ]  # fmt: skip
    expected = table_of(con, period="week", breakdown="country")
    assert written["cohort"].tolist() == expected["cohort"].dt.strftime("%Y-%m-%d").tolist()
    assert written["retention"].to_numpy() == pytest.approx(expected["retention"].round(4).to_numpy())  # 4 decimals
    assert main(["cohorts", "--db", sample_db, "--mode", "unbounded", "--activity", "nope"]) == 2
    assert "error: no events of type 'nope'" in capsys.readouterr().err
    assert main(["cohorts", "--db", sample_db, "--period", "month"]) == 0
    assert capsys.readouterr().out.startswith("cohort,period,cohort_users,active_users,retention,complete")


# ---------------------------------------------------------------- the real Online Retail slice

RETAIL_SLICE, RETAIL_ORDERS = online_retail.SLICE, online_retail.ORDER_MAPPING


def retail_reference(lines: pd.DataFrame) -> pd.Series:
    """Monthly first-purchase cohorts of raw Online Retail lines: active customers per (cohort, months since)."""
    customers = lines[lines["CustomerID"].str.strip() != ""]
    purchases = customers[pd.to_numeric(customers["Quantity"]) > 0]
    month = pd.to_datetime(purchases["InvoiceDate"]).dt.to_period("M")
    month_number = month.dt.year * 12 + month.dt.month
    first = month_number.groupby(purchases["CustomerID"]).transform("min")
    cohort = month.groupby(purchases["CustomerID"]).transform("min").dt.start_time
    active = pd.DataFrame({"user": purchases["CustomerID"], "cohort": cohort, "period": month_number - first})
    return active.drop_duplicates().groupby(["cohort", "period"]).size()


def test_online_retail_slice_matches_a_plain_pandas_reading(tmp_path):
    con = warehouse.connect(tmp_path / "retail.duckdb")
    try:
        ingest.import_file(con, "orders", RETAIL_SLICE, mapping=RETAIL_ORDERS)
        ours = table_of(con).set_index(["cohort", "period"])
    finally:
        con.close()
    expected = retail_reference(pd.read_csv(RETAIL_SLICE, dtype=str, keep_default_na=False))
    assert len(expected) >= 3
    assert ours.loc[expected.index, "active_users"].tolist() == expected.tolist()
    assert ours.drop(expected.index)["active_users"].eq(0).all()
    sizes = expected.xs(0, level="period")
    assert ours.xs(0, level="period")["cohort_users"].tolist() == sizes.tolist()


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_rollup_agrees_with_the_order_lines(con, period):
    pd.testing.assert_frame_equal(table_of(con, period=period), cohorts.cohort_table_raw(con, period=period).frame)


def test_periods_between():
    assert periods.between(pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-01"), "month") == 2
    # Sunday 2024-03-10 and Monday 2024-03-11 are in consecutive Monday weeks.
    assert periods.between(pd.Timestamp("2024-03-10 23:00"), pd.Timestamp("2024-03-11 01:00"), "week") == 1
    assert periods.between(pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-10"), "week") == 0
    assert periods.between(pd.Timestamp("2024-03-10 23:00"), pd.Timestamp("2024-03-11 01:00"), "day") == 1


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_rollup_agrees_with_the_order_lines_on_a_short_span(tiny, period):
    # About 11 weeks of data: weeks and months take the bit-mask path, days the join.
    pd.testing.assert_frame_equal(table_of(tiny, period=period), cohorts.cohort_table_raw(tiny, period=period).frame)


@pytest.mark.parametrize("settings", [{"period": "week"}, {"period": "month", "mode": "brackets"}])
def test_a_cohort_range_keeps_exactly_those_cohorts(con, settings):
    everything = table_of(con, **settings)
    ranged = table_of(con, cohort_start="2025-03-12", cohort_end="2025-08-20", **settings)
    first = pd.Timestamp("2025-03-10") if settings["period"] == "week" else pd.Timestamp("2025-03-01")
    expected = everything[everything["cohort"].between(first, pd.Timestamp("2025-08-20"))].reset_index(drop=True)
    pd.testing.assert_frame_equal(ranged, expected)


def test_modes_registry_lists_n_day_first():
    assert list(cohorts.MODES) == ["n-day", "unbounded", "brackets"]
    assert [mode.uses_brackets for mode in cohorts.MODES.values()] == [False, False, True]


def test_a_breakdown_with_thousands_of_values_keeps_twenty_and_pools_the_rest(tmp_path):
    users = 3000
    ids = [f"c{number:04d}" for number in range(users)]
    # Every customer has a country of their own, except the first 60, who share "BIG", the largest segment.
    countries = ["BIG" if number < 60 else f"land{number}" for number in range(users)]
    frames = {
        "users": pd.DataFrame(
            {"user_id": ids, "signup_ts": pd.NaT, "country": countries, "channel": "ads", "email": None}
        ).astype({"signup_ts": "datetime64[us]"}),
        "orders": pd.DataFrame(
            {
                "order_id": [f"o{number}" for number in range(users)],
                "user_id": ids,
                "item_id": "x",
                "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta([number % 90 for number in range(users)], unit="D"),
                "quantity": 1.0,
                "unit_price": 2.0,
                "discount": 0.0,
            }
        ),
    }
    con = warehouse.connect(tmp_path / "many.duckdb")
    try:
        sample.load_frames(con, frames, source="many countries")
        table = table_of(con, breakdown="country")
    finally:
        con.close()
    segments = set(table["segment"])
    assert len(segments) == cohorts.TOP_SEGMENTS + 1 and "other" in segments and "BIG" in segments
    sizes = table[table["period"] == 0].groupby("segment")["cohort_users"].sum()
    assert sizes["BIG"] == 60
    assert sizes.sum() == users
    assert sizes["other"] == users - 60 - (cohorts.TOP_SEGMENTS - 1)


# ---------------------------------------------------------------- the query and the result objects


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"period": "year"}, "period must be one of day, week, month"),
        ({"cohort_by": "birthday"}, "cohort_by must be one of first_purchase, first_event, signup"),
        ({"mode": "rolling"}, "mode must be one of n-day, unbounded, brackets"),
        ({"measure": "profit"}, "measure must be one of retention, revenue"),
        ({"mode": "brackets", "brackets": [(8, 30), (1, 7)]}, "overlaps or precedes"),
        ({"mode": "brackets", "brackets": "1-7, soon"}, "cannot read the bracket 'soon'"),
        ({"cohort_start": "2025-05-01", "cohort_end": "2025-01-01"}, r"starts \(2025-05-01\) after it ends"),
        ({"cohort_end": "yesterday-ish"}, "is not a date"),
        ({"top_segments": 0}, "keep at least one breakdown segment"),
    ],
)
def test_a_query_is_checked_when_it_is_made_without_data(settings, message):
    with pytest.raises(DataError, match=message):
        cohorts.CohortQuery(**settings)


def test_a_query_is_a_hashable_value_whatever_form_its_settings_take():
    by_tuples = cohorts.CohortQuery(
        mode="brackets", brackets=((1, 7), (8, 30)), cohort_start=pd.Timestamp("2024-03-02")
    )
    by_text = cohorts.CohortQuery(mode="brackets", brackets="1-7, 8-30", cohort_start="2024-03-02")
    by_lists = cohorts.CohortQuery(mode="brackets", brackets=[[1, 7], [8, 30]], cohort_start=datetime.date(2024, 3, 2))
    assert by_tuples == by_text == by_lists and len({by_tuples, by_text, by_lists}) == 1
    assert by_text.brackets == ((1, 7), (8, 30)) and by_text.cohort_start == datetime.date(2024, 3, 2)
    assert by_text.day_brackets == ((0, 0), (1, 7), (8, 30))
    # Modes without brackets ignore them; brackets mode without any uses the defaults.
    assert cohorts.CohortQuery(brackets="1-7") == cohorts.CohortQuery()
    assert cohorts.CohortQuery(mode="brackets").brackets == cohorts.DEFAULT_BRACKETS
    assert cohorts.CohortQuery().replace(mode="brackets").day_brackets == ((0, 0), *cohorts.DEFAULT_BRACKETS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_text.period = "week"
    with pytest.raises(DataError, match="period must be one of"):
        by_text.replace(period="fortnight")
    assert cohorts.CohortQuery().reads_counted and not cohorts.CohortQuery(mode="unbounded").reads_counted
    # A range in whole periods: the start day's period to the start of the period after the end day's.
    assert cohorts.CohortQuery(period="week", cohort_start="2024-03-13", cohort_end="2024-03-13").range_params == {
        "grain": "week",
        "cohort_by": "first_purchase",
        "first_cohort": datetime.date(2024, 3, 11),
        "after_last_cohort": datetime.date(2024, 3, 18),
    }


@pytest.mark.parametrize(
    "query",
    [
        cohorts.CohortQuery(),
        cohorts.CohortQuery(period="week", mode="unbounded", cohort_by="signup", breakdown="channel"),
        cohorts.CohortQuery(mode="brackets", brackets="1-7, 14, 15-60", measure="revenue", activity="view"),
        cohorts.CohortQuery(activity="any", cohort_start="2025-01-01", cohort_end="2025-06-30"),
    ],
)
def test_a_query_goes_to_the_url_and_back(query):
    params = cohorts.CohortQuery.from_query_params(query.to_query_params())
    assert params == query


def test_url_parameters_are_the_page_labels_and_only_what_differs_from_the_defaults():
    assert cohorts.CohortQuery().to_query_params() == {}
    query = cohorts.CohortQuery(period="week", mode="brackets", brackets="1-7", cohort_by="signup", activity="view")
    assert query.to_query_params() == {
        "period": "week",
        "cohort": "Signup date",
        "activity": "Event: view",
        "mode": "Day brackets",
        "brackets": "1-7",
    }
    # Plain names are read too, and keys that are not the query's (the page's segment) are ignored.
    read = cohorts.CohortQuery.from_query_params({"mode": "unbounded", "by": "none", "segment": "UK"}, period="day")
    assert read == cohorts.CohortQuery(period="day", mode="unbounded")
    with pytest.raises(DataError, match="the URL parameter mode='Rolling' is not one of Period N, Unbounded"):
        cohorts.CohortQuery.from_query_params({"mode": "Rolling"})


def test_keyword_settings_build_the_query_and_the_result_reads_like_its_frame(con):
    # retention.forecast calls cohort_table(con, period=...) and reads the result as a DataFrame.
    from retention.forecast import cohorts as forecast_cohorts

    table = cohorts.cohort_table(con, period="week")
    assert table.query == cohorts.CohortQuery(period="week")
    pd.testing.assert_frame_equal(table.frame, table_of(con, period="week"))
    assert list(table.columns) == list(table.frame.columns) and len(table) == len(table.frame) and not table.empty
    assert table["retention"].equals(table.frame["retention"])
    assert table.loc[table["period"] == 0, "retention"].eq(1.0).all()
    history = forecast_cohorts.retention_history(table, period="week")
    assert (
        history["period"].min() == 1 and len(history) == (table.frame["complete"] & (table.frame["period"] >= 1)).sum()
    )
    with pytest.raises(TypeError, match="not both"):
        cohorts.cohort_table(con, cohorts.CohortQuery(), period="week")


def test_the_result_carries_its_query_and_the_end_of_the_data(tiny):
    query = cohorts.CohortQuery(breakdown="channel", mode="brackets", brackets="1-7, 8-30")
    table = cohorts.cohort_table(tiny, query)
    assert table.query is query and table.as_of == pd.Timestamp("2024-03-20 12:00")
    # Jan: a and b (ads, email); Feb: c and d (ads, ads): "ads" is the larger segment.
    assert table.segments == ["ads", "email"]
    ads = table.segment_rows("ads")
    assert set(ads.frame["segment"]) == {"ads"} and ads.query is query
    assert table.segment_rows(None) is table
    assert ads.period_labels == {0: "day 0", 1: "days 1-7", 2: "days 8-30"}
    assert ads.cohort_starts == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]
    assert ads.cohort_periods("2024-02-01") == [0, 1, 2]
    assert ads.recent_cohorts(1) == [pd.Timestamp("2024-02-01")]
    assert table.for_export()["cohort"].iloc[0] == "2024-01-01"
    assert table.frame["cohort"].dtype.kind == "M"  # the export is a copy
    assert table.measure_column == "retention"
    assert cohorts.cohort_table(tiny, measure="revenue").measure_column == "value"
    assert cohorts.cohort_table(tiny).period_labels[2] == "2"


def test_an_empty_warehouse_gives_a_table_without_an_end(tmp_path):
    connection = warehouse.connect(tmp_path / "empty.duckdb")
    try:
        table = cohorts.cohort_table(connection, cohorts.CohortQuery(measure="revenue"))
    finally:
        connection.close()
    assert table.empty and table.as_of is None and table.segments == [] and table.mean_curve().empty
