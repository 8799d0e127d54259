"""Table and column names of the warehouse, in one place.

Canonical tables hold the shop's data; app-owned tables hold what Retention
Studio itself records (imports, model runs, scores, campaigns).
"""

USERS = "users"
PRODUCTS = "products"
ORDERS = "orders"
EVENTS = "events"
RATINGS = "ratings"
IMPORT_BATCHES = "import_batches"
IMPORT_REJECTS = "import_rejects"

COL_USER = "user_id"
COL_ITEM = "item_id"
COL_TS = "ts"
COL_ORDER = "order_id"
COL_RATING = "rating"

# Importable tables: canonical column -> DuckDB type. Order matters: it is the table's column order.
CANONICAL_COLUMNS: dict[str, dict[str, str]] = {
    USERS: {
        "user_id": "VARCHAR",
        "signup_ts": "TIMESTAMP",
        "country": "VARCHAR",
        "channel": "VARCHAR",
        "email": "VARCHAR",
        "first_name": "VARCHAR",
        "phone": "VARCHAR",
        "sms_consent": "BOOLEAN",
    },
    PRODUCTS: {
        "item_id": "VARCHAR",
        "title": "VARCHAR",
        "category": "VARCHAR",
        "brand": "VARCHAR",
        "price": "DOUBLE",
        "description": "VARCHAR",
    },
    ORDERS: {
        "order_id": "VARCHAR",
        "user_id": "VARCHAR",
        "item_id": "VARCHAR",
        "ts": "TIMESTAMP",
        "quantity": "DOUBLE",
        "unit_price": "DOUBLE",
        "discount": "DOUBLE",
    },
    EVENTS: {
        "user_id": "VARCHAR",
        "ts": "TIMESTAMP",
        "event_type": "VARCHAR",
        "item_id": "VARCHAR",
        "session_id": "VARCHAR",
    },
    RATINGS: {
        "user_id": "VARCHAR",
        "item_id": "VARCHAR",
        "rating": "DOUBLE",
        "ts": "TIMESTAMP",
    },
}

# Columns an import must provide (after mapping); the others get NULL or their default.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    USERS: ("user_id",),
    PRODUCTS: ("item_id",),
    ORDERS: ("order_id", "user_id", "ts"),
    EVENTS: ("user_id", "ts", "event_type"),
    RATINGS: ("user_id", "item_id", "rating"),
}

# Defaults for optional numeric columns that are not nullable in meaning.
COLUMN_DEFAULTS: dict[str, dict[str, float]] = {
    ORDERS: {"quantity": 1.0, "unit_price": 0.0, "discount": 0.0},
}

# Event types counted as product views and as add-to-carts (the sample data uses 'view' and 'add_to_cart'): what
# churn features count as browsing without buying, and what recommenders can learn from.
VIEW_EVENTS = ("view", "product_view", "page_view")
CART_EVENTS = ("add_to_cart", "cart", "add_to_basket")

# Tables keyed by an id: an import upserts (the newest row for an id wins).
KEYED_TABLES: dict[str, str] = {USERS: "user_id", PRODUCTS: "item_id"}

# Columns of other tables that one import can fill too: an order-lines export carries the product's
# title and the customer's country on every line. Table imported -> filled table -> its columns.
ALSO_FILLS: dict[str, dict[str, tuple[str, ...]]] = {
    ORDERS: {
        PRODUCTS: ("title", "category", "brand", "price", "description"),
        USERS: ("signup_ts", "country", "channel", "email", "first_name", "phone", "sms_consent"),
    },
}

# Tables an import appends to; exact duplicate lines of a file are counted and kept or dropped there.
APPENDED_TABLES = (ORDERS, EVENTS, RATINGS)

IMPORTABLE_TABLES = tuple(CANONICAL_COLUMNS)

# users columns that are never offered as a breakdown (identifiers and personal data).
NON_BREAKDOWN_USER_COLUMNS = frozenset(
    {"user_id", "email", "signup_ts", "batch_id", "first_name", "phone", "sms_consent"}
)

APP_TABLES = (
    IMPORT_BATCHES,
    IMPORT_REJECTS,
    "model_runs",
    "scores",
    "campaigns",
    "campaign_arms",
    "campaign_members",
    "campaign_results",
    "schema_version",
    "non_products",
    "refresh_runs",
    "churn_models",
    "jobs",
    "recommender_models",
    "churn_scorings",
    "churn_scoring_customers",
    "churn_scoring_details",
    "model_run_users",
    "saved_views",
    "notes",
    "suppression_list",
    "promotions",
    "api_keys",
)

# Every name that may be spliced into SQL as an identifier (warehouse.statement checks against it).
IDENTIFIERS = frozenset(
    {*CANONICAL_COLUMNS, *APP_TABLES, "batch_id"}
    | {column for columns in CANONICAL_COLUMNS.values() for column in columns}
)
