"""Views of the Monitoring page's outcome sections: did the recommenders' lists come true, did the campaigns pay."""

from __future__ import annotations

import streamlit as st

from retention import monitoring
from retention.charts import outcomes as charts
from retention.monitoring import outcomes
from retention.ui import common
from retention.ui import monitoring as cached

HIT_RATE_TABLE = ("run_id", "name", "mode", "cutoff", "window_end", "complete", "users", "hit_rate")
HIT_RATE_SENTENCE = (
    "Worrying: a saved run's lists come true no more often than the most popular items do for the same customers, "
    "or its hit rate falls from one run to the next."
)
MARGIN_SENTENCE = "Worrying: the best run's bar below the dashed threshold: its lists do worse than a bestseller list."
UPLIFT_SENTENCE = (
    "Worrying: intervals that stay below 0 (the campaign lost customers against its holdout), or that always "
    "straddle it (no effect can be told apart from chance)."
)
RETURN_SENTENCE = "Worrying: the net return line below the dashed threshold: all campaigns together lost money."


def recommendations_view(path: str, version: str) -> None:
    """Realised hit rate per saved run over time beside the most popular items, the difference against the
    check's threshold, the table with its CSV, and the checks."""
    section = cached.section(path, version, "recommendations")
    numbers = section.numbers
    runs = outcomes.from_records(numbers["runs"], outcomes.HIT_RATE_COLUMNS, ("cutoff", "window_end"))
    st.caption(
        f"Each saved run's top-{numbers['k']} lists, made from its saved model as at its latest order, against "
        f"what its customers bought in the {numbers['horizon_days']} days after (at most {numbers['max_users']:,} "
        "customers per run, a seeded sample). A hit: the list held an item the customer then bought."
    )
    if runs.empty:
        st.info("No saved recommender runs yet: train some on the Recommenders page.")
    elif not (runs["users"] > 0).any():
        st.info("No saved run has later orders to check its lists against yet: import newer orders.")
    else:
        st.plotly_chart(charts.hit_rates(runs), key="monitoring-hit-rates")
        st.caption(HIT_RATE_SENTENCE)
        st.plotly_chart(charts.hit_rate_margins(runs, _threshold(section)), key="monitoring-hit-margins")
        st.caption(MARGIN_SENTENCE)
    if not runs.empty:
        table = runs[[*HIT_RATE_TABLE, "popularity_hit_rate", "margin", "note"]]
        st.dataframe(table, hide_index=True, placeholder="–")
        common.download_csv(table, "recommendation_hit_rates.csv")
    cached.show_checks(section.checks)


def campaigns_view(path: str, version: str) -> None:
    """Every measured arm's retention difference on a launch timeline, the cumulative revenue, cost and return
    against the check's threshold, the tables with their CSVs, and the checks."""
    section = cached.section(path, version, "campaigns")
    arms = outcomes.from_records(section.numbers["arms"], outcomes.CAMPAIGN_COLUMNS, ("launched", "window_end"))
    running = outcomes.from_records(section.numbers["cumulative"], outcomes.CUMULATIVE_COLUMNS, ("launched",))
    if arms.empty:
        st.info("No launched campaign has orders after its launch yet: launch one, then import newer orders.")
    else:
        st.plotly_chart(charts.uplift_timeline(arms), key="monitoring-uplift")
        st.caption(UPLIFT_SENTENCE)
        st.dataframe(arms, hide_index=True, placeholder="–")
        common.download_csv(arms, "campaign_results.csv")
        st.plotly_chart(charts.cumulative_return(running, _threshold(section)), key="monitoring-return")
        st.caption(RETURN_SENTENCE)
        st.dataframe(running, hide_index=True, placeholder="–")
        common.download_csv(running, "campaign_cumulative_return.csv")
    cached.show_checks(section.checks)


def _threshold(section: monitoring.Section) -> float:
    """The threshold of the section's one check (the page uses the default thresholds)."""
    return section.checks[0].threshold


cached.VIEWS.add("recommendations", recommendations_view)
cached.VIEWS.add("campaigns", campaigns_view)
