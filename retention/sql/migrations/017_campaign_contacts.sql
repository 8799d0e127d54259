-- Campaigns a marketer can send: customers' contact fields, arm channels, per-member offer codes and recommended
-- items fixed at launch (so that every re-download of a launched campaign's files is the same), what each
-- exclusion removed, and a suppression list that no export ever contains.
ALTER TABLE users ADD COLUMN first_name VARCHAR;
ALTER TABLE users ADD COLUMN phone VARCHAR;                      -- as imported, e.g. '+44 7700 900123'
ALTER TABLE users ADD COLUMN sms_consent BOOLEAN;                -- NULL: unknown (no SMS is sent without true)

ALTER TABLE campaign_arms ADD COLUMN channel VARCHAR DEFAULT 'email';  -- 'email', 'sms' or 'onsite'

ALTER TABLE campaign_members ADD COLUMN offer_code VARCHAR;            -- unique per member of an arm with a discount
-- The arm's run's top items at launch, best first, each "title (item_id)" (at most launch.ITEMS_STORED;
-- exports take the first k); an empty list for arms without a run, NULL for campaigns launched before 017.
ALTER TABLE campaign_members ADD COLUMN recommended_items VARCHAR[];
ALTER TABLE campaign_members ADD COLUMN recommendation_mode VARCHAR;   -- 'discovery' or 'repeat'; '' without items

ALTER TABLE campaigns ADD COLUMN exclusions VARCHAR;   -- JSON object: exclusion -> customers it removed at launch

-- Customers who must never be contacted: by id or by email (stored lower-case and trimmed).
CREATE TABLE suppression_list (
    kind VARCHAR NOT NULL CHECK (kind IN ('user_id', 'email')),
    value VARCHAR NOT NULL,
    reason VARCHAR,                      -- e.g. 'unsubscribed', 'do not contact'
    source VARCHAR,                      -- the file it was imported from, or 'cli' / 'app'
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, value)
);
