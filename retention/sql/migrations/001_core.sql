-- Canonical shop tables and the import log.
CREATE TABLE users (
    user_id VARCHAR PRIMARY KEY,
    signup_ts TIMESTAMP,
    country VARCHAR,
    channel VARCHAR,
    email VARCHAR,
    batch_id INTEGER
);

CREATE TABLE products (
    item_id VARCHAR PRIMARY KEY,
    title VARCHAR,
    category VARCHAR,
    brand VARCHAR,
    price DOUBLE,
    description VARCHAR,
    batch_id INTEGER
);

-- One row per order line. unit_price is the price paid per unit (GBP or the shop's currency);
-- discount is the share taken off the list price (0 = full price). quantity <= 0 is a return.
CREATE TABLE orders (
    order_id VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    item_id VARCHAR,
    ts TIMESTAMP NOT NULL,
    quantity DOUBLE NOT NULL DEFAULT 1,
    unit_price DOUBLE NOT NULL DEFAULT 0,
    discount DOUBLE NOT NULL DEFAULT 0,
    batch_id INTEGER
);

CREATE TABLE events (
    user_id VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    event_type VARCHAR NOT NULL,
    item_id VARCHAR,
    session_id VARCHAR,
    batch_id INTEGER
);

CREATE TABLE ratings (
    user_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    rating DOUBLE NOT NULL,
    ts TIMESTAMP,
    batch_id INTEGER
);

CREATE SEQUENCE import_batch_seq START 1;

CREATE TABLE import_batches (
    batch_id INTEGER PRIMARY KEY,
    table_name VARCHAR NOT NULL,
    source_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);

CREATE TABLE import_rejects (
    batch_id INTEGER NOT NULL,
    row_number BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    raw VARCHAR
);
