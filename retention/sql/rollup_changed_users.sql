-- Users listed in rollup_touched, and users in the rollup: (changed BIGINT, known BIGINT).
SELECT (SELECT count(DISTINCT user_id) FROM rollup_touched) AS changed, (SELECT count(*) FROM rollup_users) AS known
