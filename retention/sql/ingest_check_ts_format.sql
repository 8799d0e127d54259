-- Fails when $ts_format (VARCHAR) is not a strptime layout; returns one NULL otherwise.
SELECT try_strptime('', $ts_format)
