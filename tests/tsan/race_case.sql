-- tests/tsan/race_case.sql — the anomaly_scan case whose two threads used
-- to meet in the policy runtime (issue #12, finding 1), on a copy of the
-- small fixture: gone_quiet thresholds at the top of their range
-- (quiet_days 366 + quiet_window 366: the scan reads 733 days before the
-- month), meals older than 400 days (March's card and face meals again,
-- 500 days earlier) and a policy on every village and hamlet.  The worker
-- thread's device pass asked the thresholds of those old days, which were
-- not looked up before the read, and the calling thread's elder pass asked
-- those of the hamlets (elders live there, no site does): both reached
-- zc_policy_for_name at once (a double free of rt->last_name).  Run by
-- tests/anomaly_tsan.sh (ThreadSanitizer) and tests/anomaly_threads.sh
-- (helgrind).  Needs lua/zhongyang.lua installed for the county.
SELECT policy_install('return {
  name = "quiet", effective_from = "2020-01-01", payers = { "county" },
  eligible = function(elder, day, service) return true, "all" end,
  meal = function(meal, elder, site) return { county = 500 }, "flat" end,
  anomaly = { quiet_days = 366, quiet_window = 366 },
}', 'a race case, not a real policy') > 0;
UPDATE region SET policy = 'quiet' WHERE level IN ('village', 'hamlet');
INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen)
SELECT elder_id, site_id, datetime(served_at, '-500 days'), slot, method, device, token, price_fen
  FROM meal WHERE method IN ('card', 'face') AND served_at < '2024-03-15';
