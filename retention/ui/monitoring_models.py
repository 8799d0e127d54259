"""The Monitoring page's views of the churn model: score drift and realised accuracy."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from retention.charts import monitoring_models as charts
from retention.churn.metrics import CALIBRATION_GAP
from retention.monitoring import Section
from retention.monitoring.drift import RISK_BANDS
from retention.ui import common
from retention.ui.monitoring import VIEWS, section, show_checks

NO_SCORING = (
    "No churn scoring is stored yet. Score customers on the At-risk page (or `python -m retention at-risk`); each "
    "scoring after later imports is compared with the one before."
)
PSI_COLUMNS = {
    "as_of": "scoring date",
    "previous": "previous scoring",
    "customers": "customers",
    "mean_risk": "mean risk",
    "risk_psi": "risk PSI vs previous",
    "risk_psi_holdout": "risk PSI vs training snapshot",
    "model_version": "model",
}
FEATURE_COLUMNS = {
    "as_of": "scoring date",
    "previous": "previous scoring",
    "holdout_date": "training snapshot",
    "label": "feature",
    "psi": "PSI",
}
ACCURACY_COLUMNS = {
    "as_of": "scoring date",
    "customers": "customers",
    "churn_rate": "churned",
    "roc_auc": "ROC AUC (model)",
    "recency_roc_auc": "ROC AUC (recency)",
    "auc_gain": "AUC gain over recency",
    "lift": "top-10% lift (model)",
    "recency_lift": "top-10% lift (recency)",
    "model_version": "model",
}


def _frame(built: Section, key: str) -> pd.DataFrame:
    """The rows of ``numbers[key]`` as a frame, dates as dates."""
    frame = pd.DataFrame(built.numbers.get(key) or [])
    for column in ("as_of", "previous"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def _shown(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The columns of ``names`` that ``frame`` holds, renamed for the page."""
    return frame[[c for c in names if c in frame.columns]].rename(columns=names)


def _threshold(built: Section, name: str) -> float:
    return next(c.threshold for c in built.checks if c.name == name)


def drift_view(path: str, version: str) -> None:
    """PSI of the risks and top features per scoring date, the risk bands over time, and the checks."""
    built = section(path, version, "drift")
    scorings = _frame(built, "scorings")
    if scorings.empty:
        st.info(NO_SCORING)
        show_checks(built.checks)
        return
    threshold = _threshold(built, "drift.risk_psi")
    features = _frame(built, "features")
    st.plotly_chart(charts.psi_over_time(scorings, features, threshold), width="stretch")
    st.caption(
        f"Each scoring ({built.numbers['horizon_days']}-day horizon) against the one before and against the "
        f"snapshot the model was checked on; a line above {threshold:g} means the customers, or a feature the model "
        "leans on, shifted enough that the scores deserve a second look."
    )
    left, right = st.columns(2)
    with left:
        st.dataframe(_shown(scorings, PSI_COLUMNS), hide_index=True, placeholder="–", height=220)
        common.download_csv(scorings[list(PSI_COLUMNS)], "score_drift.csv", key="download-score-drift")
    with right:
        if features.empty:
            st.caption("Feature drift needs two saved scorings that keep their customers' features.")
        else:
            st.dataframe(_shown(features, FEATURE_COLUMNS), hide_index=True, placeholder="–", height=220)
            common.download_csv(features, "feature_drift.csv", key="download-feature-drift")
    _training_features(built)
    bands = _frame(built, "bands")
    st.plotly_chart(charts.band_shares(bands, RISK_BANDS), width="stretch")
    st.caption(
        "Share of scored customers per risk band. A band that grows or shrinks suddenly between two scorings, "
        "with no campaign or season to explain it, is drift worth checking."
    )
    common.download_csv(bands, "risk_bands.csv", key="download-risk-bands")
    show_checks(built.checks)


def _training_features(built: Section) -> None:
    """The newest saved scoring's top features against its training snapshot: bars with the threshold."""
    features = _frame(built, "features_vs_training")
    if features.empty:
        return
    threshold = _threshold(built, "drift.feature_psi_max")
    st.markdown(
        f"**Top features of the scoring of {features['as_of'].iloc[0]:%Y-%m-%d} against its training snapshot "
        f"({pd.Timestamp(features['holdout_date'].iloc[0]):%Y-%m-%d})**"
    )
    st.plotly_chart(charts.feature_psi_bars(features, threshold), width="stretch")
    st.caption(
        f"A red bar (PSI above {threshold:g}) is a feature whose customers today look unlike those the model "
        "learned from: its scores lean on a pattern that may no longer hold, so retrain on recent data."
    )
    common.download_csv(features, "feature_drift_vs_training.csv", key="download-training-drift")


def accuracy_view(path: str, version: str) -> None:
    """AUC and lift per evaluable scoring for the model and recency, the newest one's calibration, the checks."""
    built = section(path, version, "accuracy")
    table = _frame(built, "scorings")
    waiting = built.numbers.get("waiting") or []
    if waiting:
        st.caption(
            "Not judged yet (their horizon has not passed in the data): "
            + "; ".join(f"the scoring of {w['as_of']} once orders reach {w['evaluable_from']}" for w in waiting)
            + "."
        )
    if table.empty:
        st.info(
            NO_SCORING
            if built.numbers.get("horizon_days") is None
            else "No scoring's horizon has passed yet: its predictions are checked once the data reaches it."
        )
        show_checks(built.checks)
        return
    auc = _threshold(built, "accuracy.roc_auc")
    st.plotly_chart(
        charts.model_vs_recency(table, "roc_auc", "recency_roc_auc", "ROC AUC (realised)", auc, f"AUC {auc:g}"),
        width="stretch",
    )
    st.caption(
        f"How well each scoring ranked the customers who then left above those who stayed; below {auc:g}, or "
        "below the recency line, the model no longer earns its place over sorting by days since the last purchase."
    )
    st.plotly_chart(
        charts.model_vs_recency(table, "lift", "recency_lift", "Top-10% lift (realised)", 1.0, "random (1)"),
        width="stretch",
    )
    st.caption(
        "Churn rate among the riskiest tenth over the overall rate: a lift near 1 means a campaign aimed at the "
        "top of the list reaches no more leavers than a random pick."
    )
    st.dataframe(_shown(table, ACCURACY_COLUMNS), hide_index=True, placeholder="–")
    common.download_csv(table[list(ACCURACY_COLUMNS)], "realised_accuracy.csv", key="download-accuracy")
    calibration = _frame(built, "calibration")
    st.subheader(f"Calibration of the scoring of {built.numbers['newest']}")
    st.plotly_chart(charts.decile_calibration(calibration, CALIBRATION_GAP), width="stretch")
    st.caption(
        f"Predicted risk against the share who churned, per tenth of the customers ranked by risk; a decile "
        f"outside the {CALIBRATION_GAP:.0%} band means its risks overstate or understate churn: rank by them, "
        "but do not read them as exact probabilities."
    )
    common.download_csv(calibration, "calibration_by_decile.csv", key="download-calibration")
    show_checks(built.checks)


VIEWS.add("drift", drift_view)
VIEWS.add("accuracy", accuracy_view)
