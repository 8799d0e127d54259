-- A predicate on import_batches (a part, no statement of its own): the batch holds synthetic sample data.
-- $prefix: VARCHAR, the source-name prefix every sample load records (retention.bootstrap.SAMPLE_SOURCE_PREFIX).
-- Also matched: the source names sample loads recorded before they carried the prefix, and the
-- simulated responses to campaigns (`sample --simulate-campaign`), which are synthetic orders too.
(
    starts_with(source_name, $prefix)
    OR starts_with(source_name, 'parquet sample ')
    OR starts_with(source_name, 'sample users=')
    OR starts_with(source_name, 'simulated response to campaign ')
)
