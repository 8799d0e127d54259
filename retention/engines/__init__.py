"""Where the set work runs: DuckDB on the warehouse file (the default), or Spark over a Parquet lake."""
