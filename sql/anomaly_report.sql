-- anomaly_report.sql — a month's anomaly_scan findings for a township
-- official: one row per township and site (site NULL: findings about elders,
-- i.e. gone_quiet, placed by where the elder lives), the number of findings
-- of each kind, the meals flagged (a meal flagged by two kinds counts once)
-- and the subsidy at stake: subsidy_for() summed over the flagged meals, in
-- fen.  A line per township (site_id NULL, site_name 'all sites') carries
-- the township's totals.
--
--   sqlite3 county.db -cmd '.load ./zhucan' \
--     -cmd ".parameter set :region \"'141129'\"" -cmd ".parameter set :month \"'2024-03'\"" \
--     < sql/anomaly_report.sql
--
-- Without the parameters set (NULL) the report is empty.  See docs/anomalies.md.
WITH RECURSIVE
  f AS (SELECT * FROM anomaly_scan(:region, :month)),
  -- every region with each of its ancestors (itself included)
  anc(code, start) AS (
    SELECT code, code FROM region
    UNION ALL
    SELECT r.parent, anc.start FROM anc JOIN region r ON r.code = anc.code WHERE r.parent IS NOT NULL),
  township(start, code, name) AS (
    SELECT anc.start, t.code, t.name FROM anc JOIN region t ON t.code = anc.code AND t.level = 'township'),
  placed AS (
    SELECT f.*, coalesce(s.region, e.region) AS place
      FROM f LEFT JOIN site s ON s.id = f.site_id LEFT JOIN elder e ON e.id = f.elder_id AND f.site_id IS NULL),
  located AS (
    SELECT p.*, t.code AS township, t.name AS township_name
      FROM placed p LEFT JOIN township t ON t.start = p.place),
  money AS (
    SELECT township, site_id, count(*) AS meals, sum(subsidy_for(meal_id)) AS fen
      FROM (SELECT DISTINCT township, site_id, meal_id FROM located WHERE meal_id IS NOT NULL)
     GROUP BY township, site_id),
  per_site AS (
    SELECT township, township_name, site_id,
           count(*) AS findings,
           sum(kind = 'repeat_meal') AS repeat_meal, sum(kind = 'two_sites') AS two_sites,
           sum(kind = 'after_death') AS after_death, sum(kind = 'card_burst') AS card_burst,
           sum(kind = 'in_hospital') AS in_hospital, sum(kind = 'revoked_card') AS revoked_card,
           sum(kind = 'over_report') AS over_report, sum(kind = 'manual_heavy') AS manual_heavy,
           sum(kind = 'out_of_hours') AS out_of_hours, sum(kind = 'no_agreement') AS no_agreement,
           sum(kind = 'not_eligible') AS not_eligible, sum(kind = 'gone_quiet') AS gone_quiet
      FROM located GROUP BY township, site_id),
  rows AS (
    SELECT p.*, coalesce(m.meals, 0) AS flagged_meals, coalesce(m.fen, 0) AS subsidy_at_stake_fen, 0 AS total
      FROM per_site p LEFT JOIN money m ON m.township IS p.township AND m.site_id IS p.site_id
    UNION ALL
    SELECT township, township_name, NULL, sum(findings),
           sum(repeat_meal), sum(two_sites), sum(after_death), sum(card_burst), sum(in_hospital),
           sum(revoked_card), sum(over_report), sum(manual_heavy), sum(out_of_hours),
           sum(no_agreement), sum(not_eligible), sum(gone_quiet),
           sum(flagged_meals), sum(subsidy_at_stake_fen), 1
      FROM (SELECT p.*, coalesce(m.meals, 0) AS flagged_meals, coalesce(m.fen, 0) AS subsidy_at_stake_fen
              FROM per_site p LEFT JOIN money m ON m.township IS p.township AND m.site_id IS p.site_id)
     GROUP BY township)
SELECT r.township, r.township_name,
       r.site_id, CASE WHEN r.total THEN 'all sites' WHEN r.site_id IS NULL THEN 'elders (no site)' ELSE s.name END AS site_name,
       r.findings, r.repeat_meal, r.two_sites, r.after_death, r.card_burst, r.in_hospital,
       r.revoked_card, r.over_report, r.manual_heavy, r.out_of_hours, r.no_agreement,
       r.not_eligible, r.gone_quiet, r.flagged_meals, r.subsidy_at_stake_fen
  FROM rows r LEFT JOIN site s ON s.id = r.site_id AND NOT r.total
 ORDER BY r.township, r.total DESC, r.site_id;
