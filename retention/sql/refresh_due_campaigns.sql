-- Launched campaigns whose measurement window has passed: the latest order is on or after the window's
-- last day (start_ts + horizon_days), as campaigns.measure judges a window complete. No parameters.
SELECT campaign_id, name, start_ts, start_ts + to_days(horizon_days) AS window_end
FROM campaigns
WHERE status = 'launched'
  AND start_ts IS NOT NULL
  AND date_trunc('day', start_ts + to_days(horizon_days)) <= (SELECT date_trunc('day', max(ts)) FROM orders)
ORDER BY campaign_id
