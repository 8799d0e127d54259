-- Members of the campaigns whose measurement window is still open: launched, and the orders do not yet reach the
-- window's last day (as retention.campaigns.measure decides a window complete: whole days). Measured campaigns are
-- complete and closed ones are over, so neither keeps its members.
-- No parameters. Columns: user_id, campaign_id, name (the campaign's), arm ('control' for its holdout), window_end.
SELECT m.user_id, c.campaign_id, c.name, m.arm, c.start_ts + to_days(c.horizon_days) AS window_end
FROM campaigns c
JOIN campaign_members m USING (campaign_id)
WHERE c.status = 'launched'
  AND coalesce((SELECT max(ts) FROM orders)::DATE < (c.start_ts + to_days(c.horizon_days))::DATE, true)
