-- The latest order or event timestamp when the rollup was built (TIMESTAMP; NULL for an empty warehouse).
SELECT max(as_of) AS as_of FROM rollup_state
