"""Plotly figures, one module per page concept. Pure: DataFrames in, figures out."""
