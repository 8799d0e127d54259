"""At-risk users: who is about to stop buying, why, and what each one is worth."""

import datetime as dt

import pandas as pd
import streamlit as st

from retention import churn, explain, reorder
from retention.campaigns.handoff import AtRiskFilter
from retention.charts import churn as charts
from retention.ui import campaign_handoff, common
from retention.ui import churn as cached

FLAG_BY = ["Risk threshold", "Top N"]
SHOWN_ROWS = 10_000  # flagged customers listed (and offered for a waterfall); a browser takes 10,000 rows at once
METRIC_COLUMNS = {
    "label": st.column_config.TextColumn("Holdout metric"),
    "model": st.column_config.NumberColumn("Model", format="%.3f"),
    "baseline": st.column_config.NumberColumn("Recency baseline", format="%.3f"),
}
FLAGGED_COLUMNS = {
    "user_id": st.column_config.TextColumn("Customer"),
    "risk": st.column_config.ProgressColumn("Risk", min_value=0.0, max_value=1.0, format="percent"),
    "recency_days": st.column_config.NumberColumn("Days since last purchase", format="localized"),
    "orders": st.column_config.NumberColumn("Orders", format="localized"),
    "value": st.column_config.NumberColumn(
        "Net revenue, 12 months", format="%,.2f", help="Returns and cancellations subtracted, up to the as-of date"
    ),
    "channel": st.column_config.TextColumn("Channel"),
    "country": st.column_config.TextColumn("Country"),
    "reasons": st.column_config.TextColumn("Top reasons (effect on risk)", width="large"),
}


def model_quality(result: churn.ScoringResult) -> None:
    st.subheader("Model quality")
    cached.show_verdict(result)
    quality = st.columns([1, 1])
    quality[0].dataframe(result.metrics[["label", "model", "baseline"]], column_config=METRIC_COLUMNS, hide_index=True)
    summary = result.summary
    trained_for = summary.get("model_trained_for", str(result.as_of))
    rescored = (
        f" A scheduled refresh trained this model for {trained_for} and rescored every customer at {result.as_of} "
        "with it; these figures are the model's, measured when it was trained."
        if trained_for != str(result.as_of)
        else ""
    )
    quality[0].caption(
        f"Held-out snapshot {summary['holdout_date']}: {summary['holdout_customers']:,} customers, "
        f"{summary['holdout_churn_rate']:.0%} churned. Trained on {summary['evaluation_rows']:,} earlier "
        f"customer snapshots; the scores below come from a refit on "
        f"{churn.sample_phrase(summary) or format(summary['training_rows'], ',')}. "
        f"Lower Brier is better; lift and capture look at the riskiest 10%. Model version `{result.model_version}`."
        f"{rescored}"
    )
    with quality[1]:
        st.plotly_chart(charts.calibration_chart(result.calibration), width="stretch")


def who_is_flagged(scores: pd.DataFrame, as_of: dt.date, horizon: int, model_version: str) -> pd.DataFrame | None:
    """The flagging controls, tiles, histogram, list and download; returns the flagged customers."""
    st.subheader("Who is flagged")
    pick = st.columns([1, 2])
    flag_by = pick[0].radio("Flag by", FLAG_BY, horizontal=True, key="flag_by", bind="query-params")
    if flag_by == FLAG_BY[0]:
        threshold = (
            pick[1].slider(
                "Risk threshold",
                min_value=0,
                max_value=100,
                value=50,
                step=5,
                format="%d%%",
                key="threshold",
                bind="query-params",
            )
            / 100
        )
        top = None
    else:
        top = int(
            pick[1].number_input(
                "Riskiest customers",
                min_value=1,
                max_value=len(scores),
                value=min(100, len(scores)),
                key="top",
                bind="query-params",
            )
        )
        threshold = None
    segments = st.columns(2)
    options = churn.segment_options(scores)
    channels = segments[0].multiselect(
        "Channel", options["channel"], placeholder="All channels", key="channel", bind="query-params"
    )
    countries = segments[1].multiselect(
        "Country", options["country"], placeholder="All countries", key="country", bind="query-params"
    )

    in_segment = common.attempt(churn.filter_segments, scores, channel=channels, country=countries)
    if in_segment is None:
        return None
    flagged = common.attempt(churn.flag, in_segment, threshold=threshold, top=top)
    if flagged is None:
        return None
    summary = churn.flagged_summary(in_segment, flagged)

    tiles = st.columns(4)
    tiles[0].metric("Customers scored", f"{len(in_segment):,}")
    tiles[1].metric(
        "Flagged", f"{summary['customers']:,}", help=f"{summary['customer_share']:.0%} of the customers shown"
    )
    tiles[2].metric(
        "Their net revenue",
        f"{summary['value']:,.0f}",
        help="Net revenue in the 12 months up to the as-of date, returns and cancellations subtracted",
    )
    tiles[3].metric("Share of revenue", f"{summary['value_share']:.0%}")
    st.plotly_chart(charts.risk_histogram(in_segment, threshold), width="stretch")

    st.dataframe(
        flagged.head(SHOWN_ROWS), column_config=FLAGGED_COLUMNS, hide_index=True, column_order=list(FLAGGED_COLUMNS)
    )
    if len(flagged) > SHOWN_ROWS:
        st.caption(f"The riskiest {SHOWN_ROWS:,} of the {len(flagged):,} flagged customers; the download has them all.")
    st.caption(f"From the {churn.scoring_label(as_of, horizon, model_version)}; the download says so in its columns.")
    include_emails = st.checkbox("Include emails", value=False, help="Add e-mail addresses to the download")
    shown = AtRiskFilter(
        as_of=as_of,
        horizon_days=horizon,
        model_version=model_version,
        threshold=threshold,
        top=top,
        countries=tuple(countries),
        channels=tuple(channels),
    )
    with st.container(horizontal=True):
        common.download_csv(
            lambda: cached.export_table(flagged, include_emails),
            f"at_risk_{as_of:%Y%m%d}_{horizon}d.csv",
            "Download flagged list",
        )
        campaign_handoff.send_button(lambda: campaign_handoff.at_risk(flagged, shown), key="at-risk-send")
    return flagged


WHY_VIEWS = ["Feature importance", "Every customer"]


def why(view: cached.ScoringView) -> None:
    st.subheader("Why")
    # A choice, not tabs: a tab's chart is drawn even while hidden, and the beeswarm's thousands of points are
    # most of what the browser spends on this page.
    shown = st.segmented_control("Show", WHY_VIEWS, default=WHY_VIEWS[0], required=True, key="why_view")
    importance = view.importance
    if shown == WHY_VIEWS[0]:
        st.plotly_chart(charts.importance_bars(importance), width="stretch")
        st.caption(
            "Mean effect of each feature on the risk, in probability points, over every scored customer (SHAP values)."
        )
    else:
        order = importance["label"].head(12).tolist()
        st.plotly_chart(charts.beeswarm(view.beeswarm, order), width="stretch")
        st.caption(
            f"One dot per customer (a sample of up to {explain.BEESWARM_CUSTOMERS:,}): right of zero pushes risk up."
        )


def one_customer(result: churn.ScoringResult, flagged: pd.DataFrame | None) -> None:
    st.subheader("One customer")
    if flagged is None:
        return
    if flagged.empty:
        st.info("No customer is flagged with these settings.")
        return
    customer = st.selectbox("Customer", flagged["user_id"].head(SHOWN_ROWS).tolist())
    steps = common.attempt(cached.customer_waterfall, result, customer)
    if steps is None:
        return
    base_risk = result.explanation.base_risk
    st.plotly_chart(charts.waterfall_chart(steps, base_risk), width="stretch")
    st.caption(
        f"From the average customer's risk ({base_risk:.2f}) to this customer's: each bar is what "
        "one fact about them adds or removes, in probability points."
    )
    common.download_csv(steps, f"explanation_{customer}.csv", "Download this explanation")


def how_often_customers_reorder(figures: reorder.Reorders) -> None:
    with st.expander("How often customers reorder"):
        if not figures.gaps:
            st.info("No customer has bought on two different days yet, so there is no time between orders to show.")
            return
        tiles = st.columns(4)
        for tile, (label, days) in zip(
            tiles,
            [
                ("Median gap", figures.median_days),
                ("80th percentile", figures.p80_days),
                ("90th percentile", figures.p90_days),
                ("Suggested horizon", figures.suggested_horizon_days),
            ],
            strict=True,
        ):
            tile.metric(label, "none" if days is None else f"{days:.0f} days")
        marks = {"median_days": figures.median_days, "p80_days": figures.p80_days, "p90_days": figures.p90_days}
        st.plotly_chart(
            charts.reorder_histogram(figures.distribution, marks, figures.suggested_horizon_days), width="stretch"
        )
        st.caption(
            f"{figures.gaps:,} gaps between consecutive purchase days of the {figures.customers:,} customers who "
            "bought on two days or more, up to the newest order (several orders on one day count once; returns are "
            f"not purchases). Suggested horizon: {figures.rule}"
        )
        common.download_csv(figures.distribution, "days_between_orders.csv", "Download the distribution")


common.page_header("At-risk users", "Who is about to stop buying, why, and what each one is worth.")
path = common.db_path()
version = common.attempt(common.data_version)
if version is None or not common.require_rows("orders", "No orders in the warehouse yet."):
    st.stop()
days = common.attempt(cached.order_days, path, version)
if days is None:
    st.stop()
first_day, last_day = days
figures = common.attempt(cached.reorders, path, version)
if figures is None:
    st.stop()
default_horizon, default_source = reorder.default_horizon(
    figures, churn.longest_horizon_days((last_day - first_day).days), churn.DEFAULT_HORIZON_DAYS
)
how_often_customers_reorder(figures)

controls = st.columns([1, 2])
as_of = controls[0].date_input(
    "As of", value=last_day, min_value=first_day, max_value=last_day, key="as_of", bind="query-params"
)
horizon = controls[1].slider(
    "Horizon (days)",
    min_value=churn.MIN_HORIZON_DAYS,
    max_value=churn.MAX_HORIZON_DAYS,
    value=default_horizon,
    key="horizon",
    bind="query-params",
    help=f"Starts at {default_horizon} days: {default_source}.",
)
st.caption(
    f"A customer **churns** if they make no purchase in the {horizon} days after {as_of:%Y-%m-%d}. "
    "The risk is the calibrated probability of churning. A customer's value is their net revenue in the 12 months "
    "up to that date, returns and cancellations subtracted. Only customers with at least one purchase up to "
    "that date are scored. The model learns from monthly snapshots of the past (features from data before each "
    f"snapshot, the label from the {horizon} days after it) and is checked on the latest labelled snapshot."
)
st.caption(
    f"The horizon starts at {default_horizon} days, {default_source} "
    '(see "How often customers reorder" above); change it to score another.'
)
if as_of < last_day:
    st.info(
        f"Exploring a past date: these scores are saved too, but campaigns keep targeting the latest scores "
        f'(the newest as-of date) unless you pick {as_of:%Y-%m-%d} under "Scores of" on the Campaigns page.'
    )

# Scoring writes (the scores are saved) and takes seconds, so it runs as a job of the server: until its result is
# there, this shows the job's progress (or its error), and the controls above stay usable.
view = common.attempt(cached.scoring_or_progress, path, as_of, horizon)
if view is None:
    st.stop()
result = view.result

model_quality(result)
flagged = who_is_flagged(result.scores, as_of, horizon, result.model_version)
why(view)
one_customer(result, flagged)
