-- Scalar macros of the import SQL. They are TEMP: created on the importing connection
-- (retention.ingest.install_macros) and gone when it closes. Their input is the file's text as
-- read (an empty CSV field is already NULL); surrounding spaces are tolerated everywhere.

-- An identifier as text: surrounding spaces removed, blank -> NULL, and a float-looking integer
-- such as '17850.0' -> '17850' (a spreadsheet or pandas writes integer ids that way once the
-- column has a gap). Anything else is kept verbatim: '007', 'POST', '85123A', '1.5'.
-- In effect: nullif(regexp_replace(trim(v), '^(-?[0-9]+)\.0+$', '\1'), ''). The first branch
-- keeps without further checks the ids that cannot need it (no dot, no space, not blank: most of
-- them), the second spares the regular expression replace to the common '17850.0'.
CREATE OR REPLACE TEMP MACRO normalize_id(v) AS
    CASE
        WHEN NOT (contains(v, '.') OR contains(v, ' ')) AND v <> '' THEN v
        WHEN suffix(v, '.0') AND regexp_full_match(v, '-?[0-9]+\.0') THEN left(v, -2)
        ELSE nullif(regexp_replace(trim(v), '^(-?[0-9]+)\.0+$', '\1'), '')
    END;

-- Free text: surrounding spaces removed, blank -> NULL.
CREATE OR REPLACE TEMP MACRO clean_text(v) AS nullif(trim(v), '');

-- Whether a value holds something other than spaces (false for NULL).
CREATE OR REPLACE TEMP MACRO present(v) AS coalesce(trim(v) <> '', false);

-- Text -> DOUBLE; NULL unless it is a finite number ('nan' and 'inf' are not accepted).
CREATE OR REPLACE TEMP MACRO parse_number(v) AS
    CASE WHEN isfinite(try_cast(v AS DOUBLE)) THEN try_cast(v AS DOUBLE) END;

-- ISO 8601 text -> TIMESTAMP. A UTC offset after the time ('Z', '+02:00', '-0500') is applied,
-- so the result is the UTC wall clock; text without an offset is taken as it is.
CREATE OR REPLACE TEMP MACRO parse_iso_ts(v) AS
    CASE
        WHEN strlen(v) > 19 AND regexp_matches(trim(v), '[T ][0-9:.]+ ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$')
            THEN timezone('UTC', try_cast(v AS TIMESTAMPTZ))
        ELSE try_cast(v AS TIMESTAMP)
    END;

-- Text -> TIMESTAMP, NULL when it does not parse. With fmt (strptime codes such as
-- '%m/%d/%Y %H:%M') the text must follow fmt; without, it must be ISO 8601. Either way an
-- all-digit value that the layout does not read (1 to 11 digits) is Unix epoch seconds.
CREATE OR REPLACE TEMP MACRO parse_ts(v, fmt) AS
    CASE
        WHEN fmt IS NULL AND parse_iso_ts(v) IS NOT NULL THEN parse_iso_ts(v)
        WHEN fmt IS NOT NULL AND try_strptime(trim(v), fmt) IS NOT NULL THEN try_strptime(trim(v), fmt)
        WHEN regexp_full_match(trim(v), '[0-9]{1,11}') THEN make_timestamp(CAST(trim(v) AS BIGINT) * 1000000)
    END;

-- One column of a file's row (the row as a struct, keyed by the file's own column names) as text;
-- NULL when the canonical column is not mapped (name NULL). The name is a bound parameter, never SQL.
CREATE OR REPLACE TEMP MACRO file_column(file_row, name) AS
    CAST(CASE WHEN name IS NULL THEN NULL ELSE file_row[name] END AS VARCHAR);
