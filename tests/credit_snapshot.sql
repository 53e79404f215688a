-- Ledger snapshots under the runs' discipline (docs/credit.md section 4,
-- docs/ref/credit_settle.md, credit_verify.md): credit_settle stores
-- credit_ledger(region, as_of) in guarded tables with a rows digest and a
-- chain link; credit_verify checks the stored rows alone and the ledger
-- recomputed today, naming the cause of each difference.  Hand fixture
-- fixtures/hand/credit.sql; every number worked out in the comments.
.open --new credit.db
.read sql/schema.sql
.read fixtures/hand/credit.sql
.load ./zhucan
SELECT policy_load('lua/weihai.lua') AS weihai, policy_load('lua/timebank.lua') AS timebank;
.headers on
-- Rongcheng on 2025-03-31: volunteer 1 has 10 h in 2024 (10 points) and
-- 7 x 10 h in 2025 (Jan 1 .. Mar 26) = 70 h -> 20 + 50/2 = 45 points:
-- 55000; volunteer 2 nothing.  Two accounts, balances 55000.
SELECT credit_settle('371082', '2025-03-31') AS snapshot;
SELECT id, region, as_of, policy_horizon, accounts, balance_milli, last_ids, supersedes, superseded_by,
       json_extract(policy_versions, '$[0].name') AS version_name
  FROM zhucan_credit_run;
SELECT volunteer_id, minutes, earned_milli, balance_milli, versions, hours_rows, redemption_rows, transfer_rows
  FROM zhucan_credit_balance WHERE run_id = 1;
-- the stored rows are credit_ledger's rows, both ways (two empty results)
SELECT volunteer_id, region, minutes, unverified_minutes, earned_milli, over_cap_milli, in_milli, out_milli,
       donated_milli, redeemed_milli, expired_milli, balance_milli, problems, versions
  FROM zhucan_credit_balance WHERE run_id = 1
EXCEPT SELECT volunteer_id, region, minutes, unverified_minutes, earned_milli, over_cap_milli, in_milli, out_milli,
       donated_milli, redeemed_milli, expired_milli, balance_milli, problems, versions
  FROM credit_ledger('371082', '2025-03-31');
SELECT volunteer_id, region, minutes, unverified_minutes, earned_milli, over_cap_milli, in_milli, out_milli,
       donated_milli, redeemed_milli, expired_milli, balance_milli, problems, versions
  FROM credit_ledger('371082', '2025-03-31')
EXCEPT SELECT volunteer_id, region, minutes, unverified_minutes, earned_milli, over_cap_milli, in_milli, out_milli,
       donated_milli, redeemed_milli, expired_milli, balance_milli, problems, versions
  FROM zhucan_credit_balance WHERE run_id = 1;
-- the hours rows by plain SQL (volunteer 1: 1 in 2024 + 7 by 2025-03-31 = 8)
SELECT volunteer_id, count(*) AS plain_hours_rows FROM credit_hours WHERE day <= '2025-03-31' GROUP BY 1;
-- the stored ledger digest is credit_ledger_digest's (the same walk and serialisation)
SELECT ledger_digest = credit_ledger_digest('371082', '2025-03-31') AS same_digest FROM zhucan_credit_run WHERE id = 1;
-- intact and unchanged: no rows
SELECT count(*) AS problems FROM credit_verify(1);
-- one current snapshot per region and day, as settle() has one run per month
SELECT credit_settle('371082', '2025-03-31');
SELECT credit_settle('371082', '2025-03-31', 'replace');
SELECT credit_settle('371082', '2025-02-30');
SELECT credit_settle('37108', '2025-03-31');
-- Nanjing at the year's end: 3 has 30 h (30000), 7 1536 h capped at 1500
-- (1500000, 36000 over), 8 5 h (5000), 4 5 6 9 nothing: 7 accounts, 1535000
SELECT credit_settle('320102', '2025-12-31') AS snapshot;
SELECT id, accounts, balance_milli FROM zhucan_credit_run WHERE id = 2;
SELECT volunteer_id, earned_milli, over_cap_milli, balance_milli FROM zhucan_credit_balance
 WHERE run_id = 2 AND minutes > 0;
-- the guard: no INSERT, UPDATE or DELETE outside credit_settle
UPDATE zhucan_credit_balance SET balance_milli = 99000 WHERE run_id = 1 AND volunteer_id = 1;
DELETE FROM zhucan_credit_balance WHERE run_id = 1;
INSERT INTO zhucan_credit_balance SELECT 9, volunteer_id, region, minutes, unverified_minutes, earned_milli,
  over_cap_milli, in_milli, out_milli, donated_milli, redeemed_milli, expired_milli, balance_milli, problems, versions,
  hours_rows, redemption_rows, transfer_rows, inputs FROM zhucan_credit_balance WHERE run_id = 1;
UPDATE zhucan_credit_run SET balance_milli = 0 WHERE id = 1;
DELETE FROM zhucan_credit_run WHERE id = 1;
INSERT OR REPLACE INTO zhucan_credit_run SELECT * FROM zhucan_credit_run WHERE id = 1;
-- a row dated after as_of changes nothing: 4 h of volunteer 2 on 2025-04-02
INSERT INTO credit_hours(volunteer_id, day, minutes, activity, verified_by)
  VALUES (2, '2025-04-02', 240, 'laundry', '站长 王丽娜');
SELECT count(*) AS problems FROM credit_verify(1);
-- a back-dated row is named: 4 h of volunteer 2 on 2025-03-02 (the first
-- tier: 4000); its id is above the snapshot's last credit_hours id (95)
INSERT INTO credit_hours(id, volunteer_id, day, minutes, activity, verified_by)
  VALUES (200, 2, '2025-03-02', 240, 'laundry', '站长 王丽娜');
SELECT * FROM credit_verify(1);
-- a changed row: verified_by cleared on volunteer 1's 2025-03-12 entry
-- (10 h of the second tier unverified: 60 h verified -> 40 points, 50000)
UPDATE credit_hours SET verified_by = NULL WHERE volunteer_id = 1 AND day = '2025-03-12';
SELECT volunteer_id, what, expected, found, cause FROM credit_verify(1) WHERE volunteer_id = 1;
-- and a removed row: volunteer 1's 2025-03-26 entry; 50 h verified in 2025
-- -> 20 + 30/2 = 35 points, 45000 in all
DELETE FROM credit_hours WHERE volunteer_id = 1 AND day = '2025-03-26';
SELECT volunteer_id, what, expected, found, cause FROM credit_verify(1) WHERE volunteer_id = 1;
-- a policy version installed later: a time bank from 2025-01-01 with a
-- 1,400 cap (version 3); 7 now credits 1400000, 136000 over the cap; 3 and
-- 8 keep their points, earned now by version 3
SELECT policy_install(replace(replace(CAST(readfile('lua/timebank.lua') AS TEXT),
         'effective_from = "2024-01-01"', 'effective_from = "2025-01-01"'),
         'cap = params.cap_hours', 'cap = 1400')) AS v3;
SELECT * FROM credit_verify(2);
-- tampering: the guard dropped, a stored balance edited
DROP TRIGGER zhucan_credit_balance_guard_update;
UPDATE zhucan_credit_balance SET balance_milli = 1 WHERE run_id = 2 AND volunteer_id = 8;
SELECT * FROM credit_verify(2) WHERE volunteer_id IS NULL OR volunteer_id = 8;
-- the chain: snapshot 1's header edited; its own link and snapshot 2's
-- (computed from snapshot 1's stored link) no longer match
DROP TRIGGER zhucan_credit_run_guard_update;
UPDATE zhucan_credit_run SET balance_milli = 56000 WHERE id = 1;
SELECT run_id, what FROM credit_verify(2) WHERE what = 'chain';
UPDATE zhucan_credit_run SET balance_milli = 55000 WHERE id = 1;
UPDATE zhucan_credit_run SET chain = replace(chain, substr(chain, 1, 1), 'x') WHERE id = 1;
SELECT run_id, what FROM credit_verify(2) WHERE what = 'chain';
-- superseding: snapshot 3 of Rongcheng on 2025-03-31, snapshot 1 superseded;
-- the third is computed from today's rows (volunteer 1 45000, 2 4000)
SELECT credit_settle('371082', '2025-03-31', 'supersede') AS snapshot;
SELECT id, supersedes, superseded_by, accounts, balance_milli FROM zhucan_credit_run ORDER BY id;
-- in Chinese (the default for users)
SELECT zhucan_lang('zh');
SELECT credit_settle('371082', '2025-03-31');
-- snapshot 3, just stored: its own rows are intact; the dropped triggers and snapshot 1's
-- edited link are still found (the chain is checked up to it); snapshot 1 names the cause in Chinese
SELECT run_id, volunteer_id, what, cause FROM credit_verify(3);
SELECT * FROM credit_verify(1) WHERE volunteer_id = 2;
SELECT * FROM credit_verify(99);
SELECT * FROM credit_verify('x');
