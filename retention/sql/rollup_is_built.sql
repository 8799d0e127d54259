-- Whether the activity rollup has been built (rollup_state has its row, even for an empty warehouse): BOOLEAN.
SELECT EXISTS (SELECT 1 FROM rollup_state) AS built
