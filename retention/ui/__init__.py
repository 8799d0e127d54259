"""Streamlit glue: cached wrappers and shared widgets. The only place that imports streamlit."""
