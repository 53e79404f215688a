-- eligible, subsidy_for, subsidy_explain on fixtures/hand/subsidy.sql under
-- lua/zhongyang.lua (eligible: alive and 70+; meal: first of its slot that
-- day and an agreement with this site -> county breakfast 200, lunch 500,
-- dinner 300).  Every expected value is worked out in the comments.
.open hand.db
.load ./zhucan
.read sql/schema.sql
.read fixtures/hand/subsidy.sql
SELECT policy_load('lua/zhongyang.lua');
-- 1
.mode list
-- eligible: 74 -> 1; the day before turning 70 -> 0; the birthday -> 1;
-- the day before death -> 1; died_on -> 0; 29 Feb birthday born
-- 1952-02-29 -> 72 -> 1 on 2024-03-01; invalid ID (age unknown) -> 0
SELECT eligible(1, '2024-03-05'), eligible(2, '2024-03-14'), eligible(2, '2024-03-15'),
       eligible(3, '2024-03-09'), eligible(3, '2024-03-10'), eligible(5, '2024-03-01'),
       eligible(6, '2024-03-01'), eligible(1, '2024-03-05', 'laundry');
-- 1|0|1|1|0|1|0|1
-- subsidy_for per meal:
--  101 first lunch of E1 on 03-05 at site 1 -> 500
--  102 second lunch that day -> 0
--  103 dinner at site 2 (agreement) -> 300
--  104 E2 aged 69 -> 0;  105 E2 70 today -> 500
--  106 E3 alive -> 500;  107 E3 on died_on -> 0
--  108 E4 at site 2 without agreement -> 0
--  109 E4 breakfast 08:00:00 -> 200;  113 same second, higher id -> nth_slot 2 -> 0
--  110 E5 delivery -> 500;  111 E6 invalid ID -> 0
SELECT id, subsidy_for(id) FROM meal WHERE id BETWEEN 101 AND 113 AND id <> 112 ORDER BY id;
-- the quote at the till counts recorded meals at or before served_at
SELECT subsidy_for(1, 1, '2024-03-05 11:30:00', 'lunch'),   -- before 101: first lunch -> 500
       subsidy_for(1, 1, '2024-03-05 11:45:00', 'lunch'),   -- after 101 -> 0
       subsidy_for(1, 1, '2024-03-05 08:00:00', 'breakfast'), -- no breakfast yet -> 200
       subsidy_for(4, 2, '2024-03-07 12:00:00', 'lunch');   -- no agreement with site 2 -> 0
-- explain: version, parts, copay 1200-500, ordinals, the facts
SELECT s ->> '$.policy', s ->> '$.version', s ->> '$.effective_from', s ->> '$.eligible',
       s ->> '$.reason', s ->> '$.parts.county', s ->> '$.total', s ->> '$.copay',
       s ->> '$.facts.elder.age', s ->> '$.facts.elder.sex', s ->> '$.facts.elder.status.dibao',
       s ->> '$.facts.elder.status.lives_alone', s ->> '$.facts.meal.nth_slot',
       s ->> '$.facts.meal.nth_day', s ->> '$.facts.meal.nth_month', s ->> '$.facts.site.township',
       s ->> '$.params.min_age', length(s ->> '$.sha256')
  FROM (SELECT subsidy_explain(101) AS s);
-- 113: second breakfast of the second (same served_at as 109, higher id)
SELECT s ->> '$.total', s ->> '$.reason', s ->> '$.facts.meal.nth_slot', s ->> '$.facts.meal.nth_day',
       s ->> '$.facts.elder.bed', json_type(s, '$.facts.meal.device'), json_type(s, '$.parts')
  FROM (SELECT subsidy_explain(113) AS s);
-- not eligible: reason is eligibility's
SELECT s ->> '$.eligible', s ->> '$.reason', s ->> '$.total', s ->> '$.copay'
  FROM (SELECT subsidy_explain(107) AS s);
-- errors name the function, the value and what was expected
SELECT subsidy_for(999);
SELECT subsidy_for('abc');
SELECT subsidy_for(112);
SELECT subsidy_for(120);
SELECT subsidy_for(1, 1, '2024-03-05 25:00:00', 'lunch');
SELECT subsidy_for(1, 1, '2024-03-05 12:00:00', 'brunch');
SELECT subsidy_for(1, 77, '2024-03-05 12:00:00', 'lunch');
SELECT eligible(1, '2024-13-01');
SELECT eligible(42, '2024-03-01');
SELECT subsidy_explain(3.5);
-- a NULL required argument is an error naming it (money is never answered NULL)
SELECT subsidy_for(NULL);
SELECT eligible(NULL, '2024-03-01');
SELECT eligible(1, NULL);
SELECT subsidy_explain(NULL);
SELECT subsidy_for(1, 1, NULL, 'lunch');
SELECT subsidy_for(1, 1, '2024-03-01 12:00:00', NULL);
-- no stale answers: a corrected death date and a new version are seen at once
UPDATE elder SET died_on = '2024-03-05' WHERE id = 1;
SELECT subsidy_for(101);   -- E1 dead on 03-05 -> 0
UPDATE elder SET died_on = NULL WHERE id = 1;
SELECT subsidy_for(101);   -- alive again -> 500
SELECT policy_install(replace(replace(replace(CAST(readfile('lua/zhongyang.lua') AS TEXT),
         'lunch = 500', 'lunch = 650'), '"2024-03-01"', '"2024-03-10"'),
         'expect = { county = 500 }', 'expect = { county = 650 }'));   -- its lunch cases expect 650
SELECT subsidy_for(101), subsidy_for(105), subsidy_for(106);  -- 03-05 old version 500; 03-15 and 03-09: 650, 500
