"""RFM scores and segments by hand and against pandas; the RFM segment as a cohort breakdown and an audience filter."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from test_campaigns_fixtures import basic_config, scored_copy
from test_cohorts import reference_table

from retention import campaigns, cohorts, rfm, sample, warehouse
from retention.campaigns import Audience
from retention.campaigns.config import ConfigError, parse_config
from retention.errors import DataError

NEWEST = pd.Timestamp("2024-03-31")

# user: (days from the last purchase to 2024-03-31, purchase orders, net revenue), one line per order.
HAND = {
    "a": (0, 6, 600.0),
    "b": (1, 5, 500.0),  # plus a return order on its last day: 5 orders of 110, less 50
    "c": (2, 4, 50.0),
    "d": (5, 1, 20.0),
    "e": (10, 3, 300.0),
    "f": (30, 3, 40.0),
    "g": (60, 4, 30.0),
    "h": (90, 8, 800.0),
    "i": (120, 1, 10.0),
    "j": (200, 2, 200.0),
}
# Ten customers: score = 1 + floor(5 * worse / 10), "worse" = customers strictly worse on the measure.
#   R: worse by recency j 0, i 1, h 2, g 3, f 4, e 5, d 6, c 7, b 8, a 9
#   F: d, i (1 order) 0; j (2) 2; e, f (3) 3; c, g (4) 5; b (5) 7; a (6) 8; h (8) 9
#   M: i 0, d 1, g 2, f 3, c 4, j 5, e 6, b 7, a 8, h 9
EXPECTED = {
    #     R  F  M  segment (R/F grid)
    "a": (5, 5, 5, "Champions"),
    "b": (5, 4, 4, "Champions"),
    "c": (4, 3, 3, "Potential loyalist"),
    "d": (4, 1, 1, "New"),
    "e": (3, 2, 4, "Hibernating"),
    "f": (3, 2, 2, "Hibernating"),
    "g": (2, 3, 2, "At risk"),
    "h": (2, 5, 5, "Can't lose them"),
    "i": (1, 1, 1, "Lost"),
    "j": (1, 2, 3, "Lost"),
}


def _hand_orders() -> pd.DataFrame:
    rows = []
    for user, (recency, count, revenue) in HAND.items():
        price = 110.0 if user == "b" else revenue / count
        for k in range(count):  # the last order `recency` days before the newest day, the others a day apart
            day = NEWEST - pd.Timedelta(days=recency + k) + pd.Timedelta(hours=10)
            rows.append((f"{user}{k}", user, day, 1.0, price))
    rows.append(("b-return", "b", NEWEST - pd.Timedelta(days=1) + pd.Timedelta(hours=18), -1.0, 50.0))
    rows.append(("k-return", "k", NEWEST + pd.Timedelta(hours=9), -2.0, 5.0))  # only a return: not a customer
    frame = pd.DataFrame(rows, columns=["order_id", "user_id", "ts", "quantity", "unit_price"])
    return frame.assign(item_id="x", discount=0.0)


@pytest.fixture(scope="module")
def hand_con(tmp_path_factory):
    path = tmp_path_factory.mktemp("rfm_hand") / "warehouse.duckdb"
    connection = warehouse.connect(path)
    users = pd.DataFrame({"user_id": [*HAND, "k"], "email": [f"{user}@shop" for user in [*HAND, "k"]]})
    sample.load_frames(connection, {"orders": _hand_orders(), "users": users}, source="hand-made RFM shop")
    yield connection
    connection.close()


def test_scores_and_segments_by_hand(hand_con):
    table = rfm.customers(hand_con).set_index("user_id")
    assert sorted(table.index) == sorted(HAND)  # k only returned goods
    for user, (recency, count, revenue) in HAND.items():
        row = table.loc[user]
        assert (row["recency_days"], row["frequency"]) == (recency, count), user
        assert row["monetary"] == pytest.approx(revenue), user
        r, f, m, segment = EXPECTED[user]
        assert (row["r"], row["f"], row["m"], row["segment"]) == (r, f, m, segment), user
        assert row["rfm"] == f"{r}{f}{m}"
    # Listed by segment in the page's order, then by revenue.
    assert table.index.tolist()[:3] == ["a", "b", "c"]
    assert "email" not in table.columns
    assert rfm.customers(hand_con, segments=["Lost"], include_email=True)[["user_id", "email"]].values.tolist() == [
        ["j", "j@shop"],
        ["i", "i@shop"],
    ]


def test_summary_by_hand(hand_con):
    summary = rfm.summary(rfm.customers(hand_con)).set_index("segment")
    assert summary.index.tolist() == list(rfm.SEGMENTS)
    assert summary.loc["Loyal", "customers"] == 0
    assert summary.loc["Champions", "customers"] == 2
    assert summary.loc["Champions", "revenue"] == pytest.approx(600 + 500)
    assert summary.loc["Champions", "customer_share"] == pytest.approx(2 / 10)
    assert summary.loc["Champions", "revenue_share"] == pytest.approx((600 + 500) / 2550)
    assert summary.loc["Hibernating", "recency_days"] == pytest.approx((10 + 30) / 2)
    assert summary.loc["Lost", "frequency"] == pytest.approx((1 + 2) / 2)
    assert summary["customers"].sum() == 10


def test_an_earlier_day_counts_only_the_orders_up_to_its_end(hand_con):
    """On 2024-03-29 a's two newest orders and b's (with its return) have not happened yet."""
    table = rfm.customers(hand_con, "2024-03-29 08:00").set_index("user_id")
    assert (table.loc["a", "frequency"], table.loc["a", "recency_days"]) == (4, 0)
    assert (table.loc["b", "frequency"], table.loc["b", "monetary"]) == (4, pytest.approx(4 * 110.0))
    assert table.loc["j", "recency_days"] == 200 - 2
    assert rfm.customers(hand_con, "2023-01-01").empty


@pytest.mark.parametrize(
    ("r", "f", "segment"),
    [(5, 1, "New"), (4, 1, "New"), (4, 5, "Loyal"), (3, 4, "Loyal"), (3, 3, "Potential loyalist"),
     (3, 1, "Hibernating"), (2, 1, "Hibernating"), (1, 4, "At risk"), (1, 5, "Can't lose them"), (1, 2, "Lost")],
)  # fmt: skip
def test_the_grid_names_as_the_docstring_says(r, f, segment):
    assert rfm.segment_of(r, f) == segment
    assert set(rfm.grid().stack()) == set(rfm.SEGMENTS)


def test_unknown_segments_and_dates_are_refused(hand_con):
    with pytest.raises(DataError, match="no RFM segment named 'Whales'"):
        rfm.customers(hand_con, segments=["Whales"])
    with pytest.raises(DataError, match="is not a date"):
        rfm.customers(hand_con, "soon")


# ---------------------------------------------------------------- against pandas on the sample shop


def reference_rfm(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """RFM in plain pandas: per customer recency_days, frequency, monetary, r, f, m and segment at ``as_of``'s day."""
    day = as_of.normalize()
    lines = orders[orders["ts"] < day + pd.Timedelta(days=1)].astype({"user_id": str})
    purchases = lines[lines["quantity"] > 0]
    table = pd.DataFrame(
        {
            "last": purchases.groupby("user_id")["ts"].max(),
            "frequency": purchases.groupby("user_id")["order_id"].nunique(),
        }
    )
    net = (lines["quantity"] * lines["unit_price"]).groupby(lines["user_id"]).sum().round(2)
    table["monetary"] = net.reindex(table.index)
    table["recency_days"] = (day - table["last"].dt.normalize()).dt.days

    def score(better: pd.Series) -> pd.Series:
        return (1 + np.floor(5 * (better.rank(method="min") - 1) / len(better))).astype(int)

    table["r"], table["f"], table["m"] = score(-table["recency_days"]), score(table["frequency"]), score(net)
    table["segment"] = [rfm.segment_of(r, f) for r, f in zip(table["r"], table["f"], strict=True)]
    return table


@pytest.fixture(scope="module")
def con(sample_db):
    connection = warehouse.connect(sample_db)
    yield connection
    connection.close()


@pytest.mark.parametrize("as_of", [None, "2025-11-15"])
def test_sample_shop_matches_pandas(con, sample_frames, as_of):
    orders = sample_frames["orders"]
    expected = reference_rfm(orders, orders["ts"].max() if as_of is None else pd.Timestamp(as_of))
    ours = rfm.customers(con, as_of).set_index("user_id").sort_index()
    assert ours.index.tolist() == sorted(expected.index)
    expected = expected.reindex(ours.index)
    for column in ("recency_days", "frequency", "r", "f", "m", "segment"):
        assert ours[column].tolist() == expected[column].tolist(), column
    assert ours["monetary"].to_numpy() == pytest.approx(expected["monetary"].to_numpy())


def test_cohorts_broken_down_by_rfm_segment_match_pandas(con, sample_frames):
    """Each RFM segment's cohort table is the pandas cohort table of that segment's customers alone."""
    assert cohorts.RFM_BREAKDOWN in cohorts.breakdown_columns(con)
    orders = sample_frames["orders"].astype({"user_id": str})
    segment_of = reference_rfm(orders, orders["ts"].max())["segment"]
    ours = cohorts.cohort_table(con, cohorts.CohortQuery(breakdown=cohorts.RFM_BREAKDOWN)).frame
    assert set(ours["segment"]) == set(segment_of)
    # The data ends at the newest order or event of the whole shop, whichever segment is counted.
    end = max(orders["ts"].max(), sample_frames["events"]["ts"].max())
    events = pd.concat(
        [sample_frames["events"], pd.DataFrame({"user_id": ["(end)"], "ts": [end], "event_type": ["end"]})]
    )
    for segment, members in segment_of.groupby(segment_of):
        frames = {**sample_frames, "orders": orders[orders["user_id"].isin(members.index)], "events": events}
        expected = reference_table(frames)
        rows = ours[ours["segment"] == segment].reset_index(drop=True)
        columns = ["cohort", "period", "cohort_users", "active_users", "complete"]
        pd.testing.assert_frame_equal(
            rows[columns].astype({"cohort": "datetime64[us]"}),
            expected[columns].astype({"cohort": "datetime64[us]"}),
            check_dtype=False,
        )
    # A cell's users are that segment's customers of the cohort.
    cell = ours[(ours["segment"] == "At risk") & (ours["period"] == 1)].iloc[0]
    users = cohorts.cell_users(
        con, breakdown=cohorts.RFM_BREAKDOWN, cohort=cell["cohort"], period_index=1, segment="At risk"
    )
    assert len(users) == cell["cohort_users"] and users["retained"].sum() == cell["active_users"]
    assert set(users["user_id"]) <= set(segment_of[segment_of == "At risk"].index)


# ---------------------------------------------------------------- campaign audience


@pytest.fixture(scope="module")
def scored_con(sample_db, tmp_path_factory):
    connection = warehouse.connect(scored_copy(sample_db, tmp_path_factory.mktemp("rfm_audience")))
    yield connection
    connection.close()


def test_an_audience_restricted_to_rfm_segments(scored_con, sample_frames):
    orders = sample_frames["orders"]
    segment_of = reference_rfm(orders, orders["ts"].max())["segment"]
    everyone = campaigns.select_audience(scored_con, Audience(min_risk=0.1))
    chosen = ("At risk", "Can't lose them")
    restricted = campaigns.select_audience(scored_con, Audience(min_risk=0.1, rfm_segments=chosen))
    expected = set(everyone["user_id"]) & set(segment_of[segment_of.isin(chosen)].index)
    assert expected and set(restricted["user_id"]) == expected
    assert restricted["risk"].is_monotonic_decreasing
    # From a config file too, named in the filters' description; a launch takes exactly that audience.
    config = parse_config(basic_config(audience={"min_risk": 0.1, "rfm_segments": list(chosen)}))
    assert config.audience.rfm_segments == chosen
    assert parse_config(campaigns.config_to_dict(config)) == config
    assert "RFM segment in ['At risk', \"Can't lose them\"]" in campaigns.audience.describe_filters(config.audience)
    launched = campaigns.launch(scored_con, config)
    members = scored_con.execute(
        "SELECT user_id FROM campaign_members WHERE campaign_id = ?", [launched.campaign_id]
    ).df()
    assert set(members["user_id"]) == expected


def test_an_unknown_rfm_segment_in_a_config_is_refused():
    with pytest.raises(ConfigError, match="audience.rfm_segments: no RFM segment named 'Whales'"):
        parse_config(basic_config(audience={"rfm_segments": ["Whales"]}))


# ---------------------------------------------------------------- command line


def test_cli_writes_the_segments_and_a_segments_customers(sample_db, sample_frames, tmp_path, capsys):
    from retention.cli import main

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_db, path)
    orders = sample_frames["orders"]
    expected = reference_rfm(orders, orders["ts"].max())
    assert main(["segments", "--db", str(path), "--out", str(tmp_path / "segments.csv")]) == 0
    written = pd.read_csv(tmp_path / "segments.csv")
    assert written["segment"].tolist() == list(rfm.SEGMENTS)
    counts = expected["segment"].value_counts()
    assert written["customers"].tolist() == [int(counts.get(name, 0)) for name in rfm.SEGMENTS]
    out = tmp_path / "lost.csv"
    assert main(["segments", "--db", str(path), "--segment", "Lost", "--include-email", "--out", str(out)]) == 0
    lost = pd.read_csv(out, dtype={"user_id": str})
    assert sorted(lost["user_id"]) == sorted(expected.index[expected["segment"] == "Lost"])
    assert lost["email"].notna().all()
    assert main(["segments", "--db", str(path), "--include-email"]) == 2
    assert "name one with --segment" in capsys.readouterr().err


def test_a_segments_file_name():
    assert rfm.file_name("Can't lose them", pd.Timestamp("2011-12-09").date()) == "rfm_cant_lose_them_2011-12-09.csv"
