-- bench/anomaly_score.sql — anomaly_scan scored against the fixture's
-- planted ground truth: per kind planted / found / false findings,
-- precision and recall.  Expects TEMP table found(kind, site_id, elder_id,
-- meal_id, at, detail) holding anomaly_scan's rows for the months planted.
-- Keys as the planted table's: meal-level kinds by meal_id; over_report by
-- site, day and slot (the slot named in the note / detail); manual_heavy by
-- site and month's first day; gone_quiet by elder and first missed day.
WITH
  slotword(w) AS (VALUES ('breakfast'), ('lunch'), ('dinner')),
  fk AS (SELECT DISTINCT kind, CASE kind
           WHEN 'over_report' THEN site_id || '|' || at || '|' ||
                (SELECT w FROM slotword WHERE found.detail LIKE '% for ' || w || ' on %')
           WHEN 'manual_heavy' THEN site_id || '|' || at
           WHEN 'gone_quiet' THEN elder_id || '|' || at
           ELSE CAST(meal_id AS TEXT) END AS k FROM found),
  pk AS (SELECT DISTINCT kind, CASE kind
           WHEN 'over_report' THEN site_id || '|' || substr(at, 1, 10) || '|' ||
                (SELECT w FROM slotword WHERE planted.note LIKE '%' || w || '%')
           WHEN 'manual_heavy' THEN site_id || '|' || substr(at, 1, 10)
           WHEN 'gone_quiet' THEN elder_id || '|' || substr(at, 1, 10)
           ELSE CAST(meal_id AS TEXT) END AS k FROM planted),
  kinds AS (SELECT kind FROM pk UNION SELECT kind FROM fk)
SELECT kinds.kind,
       (SELECT count(*) FROM pk WHERE pk.kind = kinds.kind) AS planted,
       (SELECT count(*) FROM fk WHERE fk.kind = kinds.kind) AS found,
       (SELECT count(*) FROM fk WHERE fk.kind = kinds.kind
           AND NOT EXISTS (SELECT 1 FROM pk WHERE pk.kind = fk.kind AND pk.k = fk.k)) AS false_findings,
       printf('%.3f', coalesce((SELECT count(*) FROM fk WHERE fk.kind = kinds.kind
           AND EXISTS (SELECT 1 FROM pk WHERE pk.kind = fk.kind AND pk.k = fk.k)) * 1.0 /
           nullif((SELECT count(*) FROM fk WHERE fk.kind = kinds.kind), 0), 1)) AS precision,
       printf('%.3f', coalesce((SELECT count(*) FROM pk WHERE pk.kind = kinds.kind
           AND EXISTS (SELECT 1 FROM fk WHERE fk.kind = pk.kind AND fk.k = pk.k)) * 1.0 /
           nullif((SELECT count(*) FROM pk WHERE pk.kind = kinds.kind), 0), 1)) AS recall
  FROM kinds ORDER BY kinds.kind;
