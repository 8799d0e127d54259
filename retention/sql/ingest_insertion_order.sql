-- Whether this connection preserves insertion order (BOOLEAN; DuckDB's preserve_insertion_order).
SELECT current_setting('preserve_insertion_order')
