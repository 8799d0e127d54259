"""The Recommenders page's hyperparameter search: its job, progress and outcome (see
:mod:`retention.recommend.search`).

The search runs as a job of the server, like a training: the page shows the newest search, its progress while it
runs, and once done its trials, a chart of the metric against the most varied hyperparameter and the run it saved
(which the leaderboard lists with the others).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention import jobs, recommend
from retention.charts import recommender_search as charts
from retention.recommend import search
from retention.ui import jobs as ui_jobs
from retention.ui.common import download_csv, readable
from retention.ui.recommenders import newest_job

STRATEGY_LABELS = {"random": "Random", "grid": "Grid"}


def search_job() -> jobs.Job | None:
    """The newest search job, running or ended (the page shows it in every session)."""
    return newest_job(search.KIND)


def start_search(path: str, query: search.SearchQuery, split: recommend.SplitQuery) -> jobs.Job:
    """Start the job that searches ``query.model``'s settings on ``split`` and saves the best as a tuned run."""
    query = query.checked()
    return jobs.start(
        path,
        search.KIND,
        search.job_params(query, split),
        lambda progress: search.run_search(path, query, split, progress),
        started_by="app",
        describe=search.job_result,
    )


def default_space(model: str) -> pd.DataFrame:
    """The ranges a search of ``model`` tries: ``Hyperparameter``, ``Values`` (``low:high`` or ``a,b``),
    ``Scale`` ('log', 'linear' or 'listed')."""
    rows = [
        (item.name, item.describe(), "listed" if item.values else ("log" if item.log else "linear"))
        for item in search.search_space(model)
    ]
    return pd.DataFrame(rows, columns=["Hyperparameter", "Values", "Scale"])


def search_outcome(job: jobs.Job) -> None:
    """The newest search: its progress while it runs; then its trials, chart and saved run, or its error."""
    if job.running:
        ui_jobs.progress(job.job_id)
        return
    if job.status != "done":
        st.error(f"Search job {job.job_id} {job.status}: {readable(job.error or 'no reason recorded')}")
        return
    result = job.result
    trials = pd.DataFrame(result["trials"])
    metric, best = result["metric"], search.best_trial(trials, result["metric"], metric_higher(result["metric"]))
    label = recommend.MODELS[result["model"]].label if result["model"] in recommend.MODELS else result["model"]
    st.success(
        f"{label}: {len(trials)} trial(s); the best (trial {best + 1}) is saved as run #{result['run_id']} with its "
        f"model fitted on all feedback (search job {job.job_id}, finished {job.updated_at:%Y-%m-%d %H:%M})."
        + (" The time budget ran out before the planned trials." if result["stopped"] == "minutes" else "")
    )
    st.plotly_chart(charts.trials_scatter(trials, search.most_varied(trials, metric), metric, best), width="stretch")
    st.dataframe(trials, hide_index=True, width="stretch")
    download_csv(trials, f"search_{result['model']}_{job.job_id}.csv", key="download-search")


def metric_higher(metric: str) -> bool:
    return recommend.METRICS[metric].higher_is_better
