-- Scalar macros of the import SQL. They are TEMP: created on the importing connection
-- (retention.ingest.install_macros) and gone when it closes. Their input is the file's text as
-- read (an empty CSV field is already NULL); surrounding spaces are tolerated everywhere.

-- Text with surrounding white space removed: spaces, tabs, line breaks, non-breaking and other Unicode
-- spaces, and the byte-order mark (DuckDB's trim removes spaces only).
CREATE OR REPLACE TEMP MACRO strip(v) AS regexp_replace(v, '^[\s\p{Z}\x{FEFF}]+|[\s\p{Z}\x{FEFF}]+$', '', 'g');

-- Whether stripped text is a placeholder for "no value" that some tools write into id columns.
CREATE OR REPLACE TEMP MACRO null_marker(t) AS
    strlen(t) <= 4 AND upper(t) IN ('NULL', 'NONE', 'NIL', 'NAN', 'NA', 'N/A', '\N', '-');

-- An identifier as text: surrounding white space removed (strip), blank or a null marker -> NULL,
-- and a float-looking integer such as '17850.0' -> '17850' (a spreadsheet or pandas writes integer ids
-- that way once the column has a gap). Anything else is kept verbatim: '007', 'POST', '85123A', '1.5'.
-- The first branch keeps without further checks the ids that cannot need it (letters, digits, '_'
-- and '-' only, not a null marker: most of them), the second spares the regular expressions to the
-- common '17850.0'.
CREATE OR REPLACE TEMP MACRO normalize_id(v) AS
    CASE
        WHEN regexp_full_match(v, '[0-9A-Za-z][0-9A-Za-z_-]*') AND NOT null_marker(v) THEN v
        WHEN suffix(v, '.0') AND regexp_full_match(v, '-?[0-9]+\.0') THEN left(v, -2)
        WHEN null_marker(strip(v)) THEN NULL
        ELSE nullif(regexp_replace(strip(v), '^(-?[0-9]+)\.0+$', '\1'), '')
    END;

-- Why an id column's value cannot be loaded, or NULL when it can. v: the file's text; id: normalize_id(v);
-- name: the column; required: whether the row needs it (an optional id that is blank or a null marker is
-- simply missing). A NUL byte or a double quote (left by an unbalanced quote in the file) is never an id.
CREATE OR REPLACE TEMP MACRO id_problem(v, id, name, required) AS
    CASE
        WHEN id IS NOT NULL AND NOT contains(id, chr(0)) AND NOT contains(id, '"') THEN NULL
        WHEN id IS NOT NULL AND contains(id, chr(0)) THEN 'NUL byte in ' || name
        WHEN id IS NOT NULL THEN 'stray quote in ' || name
        WHEN NOT required THEN NULL
        WHEN null_marker(strip(v)) THEN 'null-like ' || name
        ELSE 'missing ' || name
    END;

-- Free text: surrounding white space removed (strip), blank -> NULL.
CREATE OR REPLACE TEMP MACRO clean_text(v) AS nullif(strip(v), '');

-- Whether a value holds something other than white space (false for NULL).
CREATE OR REPLACE TEMP MACRO present(v) AS coalesce(strip(v) <> '', false);

-- Text -> DOUBLE; NULL unless it is a finite number ('nan' and 'inf' are not accepted).
CREATE OR REPLACE TEMP MACRO parse_number(v) AS
    CASE WHEN isfinite(try_cast(v AS DOUBLE)) THEN try_cast(v AS DOUBLE) END;

-- Why a numeric column's value cannot be loaded, or NULL when it can (a blank value can: the column's
-- default or NULL applies). v: the file's text; x: parse_number(v); name: the column. A number beyond
-- 1e9 either way is out of range: no quantity or price is that large, and 1e308 makes revenue infinite.
CREATE OR REPLACE TEMP MACRO number_problem(v, x, name) AS
    CASE
        WHEN x IS NOT NULL AND abs(x) <= 1e9 THEN NULL
        WHEN x IS NOT NULL THEN name || ' out of range (over 1e9)'
        WHEN NOT present(v) THEN NULL
        WHEN try_cast(v AS DOUBLE) IS NOT NULL THEN 'non-finite ' || name
        ELSE 'non-numeric ' || name
    END;

-- Yes/no text -> BOOLEAN: true/yes/1 and false/no/0 in any case, surrounding white space tolerated; NULL else.
CREATE OR REPLACE TEMP MACRO parse_bool(v) AS
    CASE
        WHEN lower(strip(v)) IN ('true', 'yes', '1') THEN true
        WHEN lower(strip(v)) IN ('false', 'no', '0') THEN false
    END;

-- Why a yes/no column's value cannot be loaded, or NULL when it can (a blank value can: it is unknown).
-- v: the file's text; x: parse_bool(v); name: the column.
CREATE OR REPLACE TEMP MACRO bool_problem(v, x, name) AS
    CASE WHEN x IS NULL AND present(v) THEN name || ' is not true/false, yes/no or 1/0' END;

-- Whether stripped timestamp text ends in a time zone: a letter (Z, UTC, CET, Europe/Paris) or an
-- offset after a time ('+02:00', '-0500', '+01'). Cheap string tests: most timestamps have none.
CREATE OR REPLACE TEMP MACRO has_zone(t) AS
    upper(right(t, 1)) BETWEEN 'A' AND 'Z'
    OR (contains(t, ':') AND (substr(t, -3, 1) IN ('+', '-') OR substr(t, -5, 1) IN ('+', '-')
        OR substr(t, -6, 1) IN ('+', '-')));

-- Whether timestamp text as read can hold no zone and needs no stripping at its end: no '+', no '-'
-- after the date, and a digit last (the common case; byte tests, cheaper than has_zone(strip(v))).
CREATE OR REPLACE TEMP MACRO plain_ts(v) AS
    NOT contains(v, '+') AND NOT contains(substr(v, 11), '-')
    AND (suffix(v, '0') OR suffix(v, '1') OR suffix(v, '2') OR suffix(v, '3') OR suffix(v, '4')
        OR suffix(v, '5') OR suffix(v, '6') OR suffix(v, '7') OR suffix(v, '8') OR suffix(v, '9'));

-- The UTC offset at the end of stripped text, in minutes, or NULL when it ends in none.
CREATE OR REPLACE TEMP MACRO zone_offset_minutes(t) AS
    CASE WHEN regexp_matches(t, '[0-9][+-][0-9]{2}(:?[0-9]{2})?$') THEN
        (CASE WHEN regexp_extract(t, '([+-])[0-9]{2}(:?[0-9]{2})?$', 1) = '-' THEN -1 ELSE 1 END)
        * (CAST(regexp_extract(t, '[+-]([0-9]{2})(:?([0-9]{2}))?$', 1) AS INTEGER) * 60
            + coalesce(TRY_CAST(regexp_extract(t, '[+-]([0-9]{2})(:?([0-9]{2}))?$', 3) AS INTEGER), 0))
    END;

-- Why stripped timestamp text with a time zone cannot be read, or NULL when it can: an offset is at
-- most 14:00 either way with minutes under 60; Z, UTC, GMT and region names (Europe/Paris) are read;
-- an abbreviation such as CET, EST or IST is refused (several zones share some, and a name says nothing
-- about summer time), and so is an unknown name.
CREATE OR REPLACE TEMP MACRO zone_problem(t, name) AS
    CASE
        WHEN try_cast(t AS TIMESTAMP) IS NULL THEN 'unparseable ' || name
        WHEN zone_offset_minutes(t) IS NOT NULL THEN
            CASE WHEN abs(zone_offset_minutes(t)) > 14 * 60 OR TRY_CAST(right(t, 2) AS INTEGER) >= 60
                THEN name || ' with an impossible UTC offset' END
        WHEN regexp_matches(t, '([0-9]\s*[Zz]|\s(UTC|GMT|utc|gmt))$') THEN NULL
        WHEN regexp_matches(t, '\s\S+/\S+$') AND try_cast(t AS TIMESTAMPTZ) IS NOT NULL THEN NULL
        WHEN regexp_matches(t, '[0-9]\s*[A-Za-z]{2,5}$') AND try_cast(t AS TIMESTAMPTZ) IS NOT NULL
            THEN name || ' with an ambiguous time zone abbreviation'
        ELSE name || ' with an unknown time zone'
    END;

-- ISO 8601 text -> TIMESTAMP, the UTC wall clock. A time zone after the time (see has_zone and
-- zone_problem) is applied; text without one is taken as it is (already UTC); text with a zone
-- zone_problem refuses is NULL.
CREATE OR REPLACE TEMP MACRO parse_iso_ts(v) AS
    CASE
        WHEN plain_ts(v) THEN coalesce(try_cast(v AS TIMESTAMP), try_cast(strip(v) AS TIMESTAMP))
        WHEN NOT has_zone(strip(v)) THEN try_cast(strip(v) AS TIMESTAMP)
        WHEN zone_problem(strip(v), 'ts') IS NULL THEN timezone('UTC', try_cast(strip(v) AS TIMESTAMPTZ))
    END;

-- Text -> TIMESTAMP, NULL when it does not parse. With fmt (strptime codes such as
-- '%m/%d/%Y %H:%M') the text must follow fmt; without, it must be ISO 8601. Either way an
-- all-digit value that the layout does not read (1 to 11 digits) is Unix epoch seconds.
-- (coalesce evaluates an argument only for the rows that the ones before left NULL.)
CREATE OR REPLACE TEMP MACRO parse_ts(v, fmt) AS
    coalesce(
        CASE WHEN fmt IS NULL THEN parse_iso_ts(v) ELSE try_strptime(strip(v), fmt) END,
        CASE WHEN regexp_full_match(strip(v), '[0-9]{1,11}') THEN make_timestamp(CAST(strip(v) AS BIGINT) * 1000000) END
    );

-- A timestamp as short text for a reason: the date alone at midnight, else date, hours and minutes.
CREATE OR REPLACE TEMP MACRO ts_label(x) AS
    strftime(x, CASE WHEN x = date_trunc('day', x) THEN '%Y-%m-%d' ELSE '%Y-%m-%d %H:%M' END);

-- Why a timestamp column's value cannot be loaded, or NULL when it can (a blank value: the caller says
-- whether the column is required). v: the file's text; x: parse_ts(v, fmt); name: the column;
-- earliest, latest: TIMESTAMP, the plausible window (retention.ingest.rules.TimeWindow).
CREATE OR REPLACE TEMP MACRO ts_problem(v, x, fmt, name, earliest, latest) AS
    CASE
        WHEN x IS NOT NULL AND x >= earliest AND x <= latest THEN NULL
        WHEN x IS NOT NULL AND x < earliest THEN name || ' before ' || ts_label(earliest)
        WHEN x IS NOT NULL THEN name || ' after ' || ts_label(latest)
        WHEN NOT present(v) THEN NULL
        WHEN fmt IS NULL AND has_zone(strip(v)) THEN coalesce(zone_problem(strip(v), name), 'unparseable ' || name)
        ELSE 'unparseable ' || name
    END;

-- One column of a file's row (the row as a struct, keyed by the file's own column names) as text;
-- NULL when the canonical column is not mapped (name NULL). The name is a bound parameter, never SQL.
CREATE OR REPLACE TEMP MACRO file_column(file_row, name) AS
    CAST(CASE WHEN name IS NULL THEN NULL ELSE file_row[name] END AS VARCHAR);
