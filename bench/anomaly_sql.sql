-- bench/anomaly_sql.sql — the kinds of anomaly_scan written as plain SQL
-- (window functions, self-joins), the baseline bench/anomaly.sh times.
-- Expects TEMP table p(month) with one row 'YYYY-MM'; scans every site
-- (the bench runs anomaly_scan on the top region) with the SPEC defaults
-- (travel 30 min, burst 6 in 15 s, tolerance 0, manual 0.2, windows
-- 06:00-09:00, 11:00-13:30, 17:00-19:30, quiet 3 / 10 of 14 days).
-- Fills TEMP table sql_found(kind, site_id, elder_id, meal_id, at).
DROP TABLE IF EXISTS temp.sql_found;
CREATE TEMP TABLE sql_found(kind, site_id, elder_id, meal_id, at);
CREATE TEMP VIEW IF NOT EXISTS rng AS
  SELECT month || '-01' AS first, date(month || '-01', '+1 month') AS next,
         date(month || '-01', '-18 days') AS lo FROM p;
-- meals of the month
DROP TABLE IF EXISTS temp.mm;
CREATE TEMP TABLE mm AS
  SELECT m.* FROM meal m, rng WHERE m.served_at >= rng.first AND m.served_at < rng.next;
-- repeat_meal
INSERT INTO sql_found
  SELECT 'repeat_meal', site_id, elder_id, id, served_at FROM (
    SELECT m.*, row_number() OVER (PARTITION BY elder_id, substr(served_at, 1, 10), slot
                                   ORDER BY served_at, id) AS n
      FROM meal m, rng WHERE m.served_at >= rng.first AND m.served_at < rng.next)
   WHERE n > 1;
-- two_sites: an earlier meal of the same elder at another site, less than 30 min before
INSERT INTO sql_found
  SELECT 'two_sites', m.site_id, m.elder_id, m.id, m.served_at FROM mm m
   WHERE EXISTS (SELECT 1 FROM meal q
                  WHERE q.elder_id = m.elder_id
                    AND q.served_at >= datetime(m.served_at, '-30 minutes') AND q.served_at <= m.served_at
                    AND (q.served_at < m.served_at OR q.id < m.id)
                    AND q.site_id <> m.site_id
                    AND unixepoch(m.served_at) - unixepoch(q.served_at) < 1800);
-- after_death
INSERT INTO sql_found
  SELECT 'after_death', m.site_id, m.elder_id, m.id, m.served_at FROM mm m JOIN elder e ON e.id = m.elder_id
   WHERE e.died_on IS NOT NULL AND substr(m.served_at, 1, 10) >= e.died_on;
-- card_burst: starts of 6-meal windows within 15 s, then every meal of a window
INSERT INTO sql_found
  SELECT 'card_burst', site_id, elder_id, id, served_at FROM (
    SELECT *, max(start) OVER (PARTITION BY device ORDER BY served_at, id
                               ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) AS covered FROM (
      SELECT m.*, coalesce(unixepoch(lead(served_at, 5) OVER w) - unixepoch(served_at) <= 15, 0) AS start
        FROM meal m, rng
       WHERE m.served_at >= rng.lo AND m.served_at < rng.next AND m.device IS NOT NULL
         AND m.method IN ('card', 'face')
      WINDOW w AS (PARTITION BY device ORDER BY served_at, id)))
   WHERE covered AND served_at >= (SELECT first FROM rng);
-- in_hospital
INSERT INTO sql_found
  SELECT 'in_hospital', m.site_id, m.elder_id, m.id, m.served_at FROM mm m
   WHERE EXISTS (SELECT 1 FROM elder_status s WHERE s.elder_id = m.elder_id AND s.status = 'hospitalized'
                    AND s.valid_from <= substr(m.served_at, 1, 10)
                    AND (s.valid_to IS NULL OR s.valid_to > substr(m.served_at, 1, 10)));
-- revoked_card
INSERT INTO sql_found
  SELECT 'revoked_card', m.site_id, m.elder_id, m.id, m.served_at FROM mm m LEFT JOIN card c ON c.token = m.token
   WHERE m.token IS NOT NULL AND m.token <> ''
     AND (c.token IS NULL OR c.elder_id <> m.elder_id OR substr(m.served_at, 1, 10) < c.issued_on
          OR (c.revoked_on IS NOT NULL AND substr(m.served_at, 1, 10) >= c.revoked_on));
-- over_report
INSERT INTO sql_found
  WITH rec AS (SELECT site_id, substr(served_at, 1, 10) AS day, slot, count(*) AS n FROM mm
                GROUP BY 1, 2, 3)
  SELECT 'over_report', r.site_id, NULL, NULL, r.day
    FROM site_report r JOIN rng ON r.day >= rng.first AND r.day < rng.next
    LEFT JOIN rec ON rec.site_id = r.site_id AND rec.day = r.day AND rec.slot = r.slot
   WHERE r.diners > coalesce(rec.n, 0);
-- manual_heavy
INSERT INTO sql_found
  SELECT 'manual_heavy', site_id, NULL, NULL, (SELECT first FROM rng) FROM mm
   GROUP BY site_id HAVING sum(method = 'manual') > 0.2 * count(*) + 1e-9 * count(*);
-- out_of_hours
INSERT INTO sql_found
  SELECT 'out_of_hours', site_id, elder_id, id, served_at FROM mm
   WHERE NOT CASE slot WHEN 'breakfast' THEN substr(served_at, 12) BETWEEN '06:00:00' AND '09:00:00'
                       WHEN 'lunch' THEN substr(served_at, 12) BETWEEN '11:00:00' AND '13:30:00'
                       WHEN 'dinner' THEN substr(served_at, 12) BETWEEN '17:00:00' AND '19:30:00'
                       ELSE 0 END;
-- no_agreement
INSERT INTO sql_found
  SELECT 'no_agreement', m.site_id, m.elder_id, m.id, m.served_at FROM mm m
   WHERE NOT EXISTS (SELECT 1 FROM agreement a WHERE a.elder_id = m.elder_id AND a.site_id = m.site_id
                        AND a.signed_on <= substr(m.served_at, 1, 10)
                        AND (a.ended_on IS NULL OR a.ended_on > substr(m.served_at, 1, 10)));
-- not_eligible (the elder's policy; the same as the site's where one policy governs)
INSERT INTO sql_found
  SELECT 'not_eligible', m.site_id, m.elder_id, m.id, m.served_at FROM mm m
   WHERE NOT eligible(m.elder_id, substr(m.served_at, 1, 10));
-- gone_quiet: per elder living alone and per day from the lookback to the
-- month's end, a day is missed when the elder had no meal and was neither
-- dead nor in hospital; a finding at D when D-1 is not missed, D..D+2 are,
-- D+2 falls in the month (and not after the last day with any meal), the
-- elder lives alone on D and ate on >= 10 of the 14 days before D.  A
-- hospital stay inside a gap therefore ends the gap; a new gap may start
-- after it.
DROP TABLE IF EXISTS temp.quiet_ate;
CREATE TEMP TABLE quiet_ate(elder_id, day, PRIMARY KEY(elder_id, day)) WITHOUT ROWID;
INSERT OR IGNORE INTO quiet_ate
  SELECT m.elder_id, substr(m.served_at, 1, 10) FROM meal m, rng
   WHERE m.served_at >= rng.lo AND m.served_at < rng.next
     AND m.elder_id IN (SELECT elder_id FROM elder_status WHERE status = 'lives_alone');
DROP TABLE IF EXISTS temp.quiet_cal;
CREATE TEMP TABLE quiet_cal(day PRIMARY KEY) WITHOUT ROWID;
INSERT INTO quiet_cal
  WITH RECURSIVE cal(day) AS (SELECT lo FROM rng UNION ALL
                              SELECT date(day, '+1 day') FROM cal, rng WHERE day < date(rng.next, '-1 day'))
  SELECT day FROM cal;
DROP TABLE IF EXISTS temp.quiet_la;
CREATE TEMP TABLE quiet_la(elder_id PRIMARY KEY, died_on) WITHOUT ROWID;
INSERT OR IGNORE INTO quiet_la
  SELECT s.elder_id, e.died_on FROM elder_status s JOIN elder e ON e.id = s.elder_id WHERE s.status = 'lives_alone';
DROP TABLE IF EXISTS temp.quiet_hosp;
CREATE TEMP TABLE quiet_hosp(elder_id, day, PRIMARY KEY(elder_id, day)) WITHOUT ROWID;
INSERT OR IGNORE INTO quiet_hosp
  SELECT s.elder_id, c.day FROM elder_status s JOIN quiet_la l ON l.elder_id = s.elder_id
    JOIN quiet_cal c ON s.valid_from <= c.day AND (s.valid_to IS NULL OR s.valid_to > c.day)
   WHERE s.status = 'hospitalized';
DROP TABLE IF EXISTS temp.quiet_grid;
CREATE TEMP TABLE quiet_grid AS
  SELECT la.elder_id, cal.day, q.day IS NOT NULL AS ate,
         q.day IS NULL AND h.day IS NULL AND NOT coalesce(la.died_on <= cal.day, 0) AS missed
    FROM quiet_la la CROSS JOIN quiet_cal cal
    LEFT JOIN quiet_ate q ON q.elder_id = la.elder_id AND q.day = cal.day
    LEFT JOIN quiet_hosp h ON h.elder_id = la.elder_id AND h.day = cal.day;
INSERT INTO sql_found
  WITH last AS (SELECT substr(max(m.served_at), 1, 10) AS day FROM meal m, rng
                 WHERE m.served_at >= rng.lo AND m.served_at < rng.next),
       w AS (SELECT elder_id, day, missed,
                    lag(missed) OVER e AS missed_before,
                    lead(missed, 1) OVER e AS missed_1,
                    lead(missed, 2) OVER e AS missed_2,
                    sum(ate) OVER (e ROWS BETWEEN 14 PRECEDING AND 1 PRECEDING) AS active,
                    count(*) OVER (e ROWS BETWEEN 14 PRECEDING AND 1 PRECEDING) AS history
               FROM quiet_grid WINDOW e AS (PARTITION BY elder_id ORDER BY day))
  SELECT 'gone_quiet', NULL, w.elder_id, NULL, w.day FROM w, rng, last
   WHERE w.missed AND w.missed_before = 0 AND w.missed_1 AND w.missed_2 AND w.history = 14
     AND date(w.day, '+2 days') >= rng.first AND date(w.day, '+2 days') < rng.next
     AND date(w.day, '+2 days') <= last.day
     AND w.active >= 10
     AND EXISTS (SELECT 1 FROM elder_status s WHERE s.elder_id = w.elder_id AND s.status = 'lives_alone'
                    AND s.valid_from <= w.day AND (s.valid_to IS NULL OR s.valid_to > w.day));
