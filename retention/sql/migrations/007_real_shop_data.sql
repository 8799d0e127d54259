-- Real shop data: what an import did with exact duplicate lines, and item codes that are not products.

-- Exact duplicate lines (every mapped column equal) found in the file, and whether they were kept or dropped.
ALTER TABLE import_batches ADD COLUMN duplicates_found BIGINT NOT NULL DEFAULT 0;
ALTER TABLE import_batches ADD COLUMN duplicates_policy VARCHAR NOT NULL DEFAULT 'keep';

-- Item codes that are not products: postage, fees, bank charges, manual adjustments. Detected at import
-- ('suggested'), confirmed or rejected by the user on the Data page. Confirmed ones are kept out of
-- recommendations, product features and product counts; their revenue still counts.
CREATE TABLE non_products (
    item_id VARCHAR PRIMARY KEY,
    reason VARCHAR NOT NULL,             -- why it was flagged, in words ("code 'POST' looks like postage")
    status VARCHAR NOT NULL CHECK (status IN ('suggested', 'confirmed', 'rejected')),
    updated_at TIMESTAMP NOT NULL
);
