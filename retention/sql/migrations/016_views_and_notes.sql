-- Saved views (a page's settings under a name) and the user's notes on the time axes.
CREATE TABLE saved_views (
    page VARCHAR NOT NULL,               -- the page's URL path, e.g. 'cohorts'
    name VARCHAR NOT NULL,               -- the user's name for the view, unique per page
    params VARCHAR NOT NULL,             -- JSON object of the page's URL query parameters
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (page, name)
);

CREATE SEQUENCE note_seq START 1;

CREATE TABLE notes (
    note_id INTEGER PRIMARY KEY,
    day DATE NOT NULL,                   -- the date the note marks on time axes
    text VARCHAR NOT NULL,               -- e.g. 'site redesign'
    created_at TIMESTAMP NOT NULL
);
