"""At-risk users page."""

from retention.ui import common

common.page_header("At-risk users", "Coming next.")
common.coming_next("a churn model with SHAP reasons for every customer, and at-risk exports.")
