-- The marks drawn on time axes, oldest first: campaign launches (at start_ts, the data time their window
-- starts), imports (when they ran) and the user's notes. Columns: ts, kind, note_id (notes only), label.
-- No parameters.
SELECT start_ts AS ts, 'campaign' AS kind, NULL::INTEGER AS note_id, 'Campaign "' || name || '" launched' AS label
FROM campaigns
WHERE launched_at IS NOT NULL
UNION ALL
SELECT imported_at, 'import', NULL,
       'Import of ' || source_name || ' (' || table_name || ', ' || format('{:,}', rows_loaded) || ' rows)'
FROM import_batches
UNION ALL
SELECT day::TIMESTAMP, 'note', note_id, text FROM notes
ORDER BY ts, kind, label
