-- bench/needs_truth.sql — every true case of needs_watch's reasons in a
-- month, computed by plain SQL from the input tables, independently of
-- the extension (tests/needs_score.sh scores needs_watch against it; the
-- benchmark times it).  Expects TEMP table arg(first, next) holding the
-- month's first day and the next month's first day, and counts every
-- elder (the fixtures' elders all live under their one root region).
-- gone_quiet uses the default thresholds: anomaly.needs_quiet_window 7,
-- needs_quiet_regular 5, needs_quiet_share 0.25 (docs/needs.md).
CREATE TEMP TABLE md AS
  SELECT DISTINCT elder_id, substr(served_at, 1, 10) AS day FROM meal, arg
   WHERE served_at >= date(arg.first, '-13 days') AND served_at < arg.next;
CREATE INDEX temp.md_day ON md(elder_id, day);
CREATE TEMP TABLE truth AS
WITH RECURSIVE
  a AS (SELECT first, next FROM arg),
  alive AS (SELECT e.id, e.id_number FROM elder e, a WHERE e.died_on IS NULL OR e.died_on >= a.next),
  born AS (SELECT id, substr(id_number, 7, 4) || '-' || substr(id_number, 11, 2) || '-' ||
                      substr(id_number, 13, 2) AS b FROM alive),
  -- date(b, '+80 years') turns 29 February into 1 March in other years, as zhucan does
  turned AS (SELECT 'turned_' || n AS reason, id AS elder_id, date(b, '+' || n || ' years') AS at
               FROM born, (SELECT 80 AS n UNION ALL SELECT 90), a
              WHERE date(b, '+' || n || ' years') >= a.first AND date(b, '+' || n || ' years') < a.next),
  news AS (SELECT 'new_' || s.status AS reason, s.elder_id, min(s.valid_from) AS at
             FROM elder_status s JOIN alive ON alive.id = s.elder_id, a
            WHERE s.status IN ('disabled_full', 'disabled_semi', 'dibao', 'tekun')
              AND s.valid_from >= a.first AND s.valid_from < a.next
              AND NOT EXISTS (SELECT 1 FROM elder_status p WHERE p.elder_id = s.elder_id
                    AND (p.status = s.status OR (s.status = 'disabled_semi' AND p.status = 'disabled_full'))
                    AND p.valid_from <= date(s.valid_from, '-1 day')
                    AND (p.valid_to IS NULL OR p.valid_to > date(s.valid_from, '-1 day')))
            GROUP BY s.status, s.elder_id),
  outs AS (SELECT 'left_hospital' AS reason, s.elder_id, min(s.valid_to) AS at
             FROM elder_status s JOIN alive ON alive.id = s.elder_id, a
            WHERE s.status = 'hospitalized' AND s.valid_to >= a.first AND s.valid_to < a.next
              AND NOT EXISTS (SELECT 1 FROM elder_status p WHERE p.elder_id = s.elder_id
                    AND p.status = 'hospitalized' AND p.valid_from <= s.valid_to
                    AND (p.valid_to IS NULL OR p.valid_to > s.valid_to))
            GROUP BY s.elder_id),
  spouses AS (SELECT 'spouse_died' AS reason, s.elder_id, coalesce(s.died_on, e.died_on) AS at
                FROM spouse s JOIN alive ON alive.id = s.elder_id
                LEFT JOIN elder e ON s.died_on IS NULL AND e.id_number = s.id_number, a
               WHERE coalesce(s.died_on, e.died_on) >= a.first AND coalesce(s.died_on, e.died_on) < a.next),
  -- gone_quiet: days D from first - 6 to next - 7 (D + 6 in the month, and
  -- on or before the latest meal day), a meal on D - 1, none on D, at
  -- least 5 of the 7 days before D with a meal, at most a quarter as many
  -- in the 7 days from D, no hospital stay in force in those 7 days
  last AS (SELECT max(substr(served_at, 1, 10)) AS d FROM meal, a WHERE served_at >= date(a.first, '-13 days') AND served_at < a.next),
  days(d) AS (SELECT date(first, '-6 days') FROM a UNION ALL
              SELECT date(d, '+1 day') FROM days, a WHERE date(d, '+1 day') <= date(a.next, '-7 days')),
  cand AS (SELECT m.elder_id, days.d FROM md m JOIN days ON m.day = date(days.d, '-1 day'), last
            WHERE date(days.d, '+6 days') <= last.d
              AND m.elder_id IN (SELECT id FROM alive)
              AND NOT EXISTS (SELECT 1 FROM md x WHERE x.elder_id = m.elder_id AND x.day = days.d)),
  counted AS (SELECT elder_id, d,
                (SELECT count(*) FROM md x WHERE x.elder_id = cand.elder_id AND x.day >= date(d, '-7 days') AND x.day < d) AS before,
                (SELECT count(*) FROM md x WHERE x.elder_id = cand.elder_id AND x.day >= d AND x.day < date(d, '+7 days')) AS after
                FROM cand),
  quiet AS (SELECT 'gone_quiet' AS reason, elder_id, min(d) AS at FROM counted
             WHERE before >= 5 AND after <= 0.25 * before
               AND NOT EXISTS (SELECT 1 FROM elder_status p WHERE p.elder_id = counted.elder_id
                     AND p.status = 'hospitalized' AND p.valid_from <= date(d, '+6 days')
                     AND (p.valid_to IS NULL OR p.valid_to > d))
             GROUP BY elder_id)
SELECT * FROM turned UNION ALL SELECT * FROM news UNION ALL SELECT * FROM outs
UNION ALL SELECT * FROM spouses UNION ALL SELECT * FROM quiet;
