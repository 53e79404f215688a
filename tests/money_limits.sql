-- Money and times have limits, and crossing one is an error, never a wrap
-- (issue #12, finding 4): a meal's price must be whole fen from 0 to
-- 10,000,000,000 (ZC_MAX_FEN); a pack whose times leave the years
-- 0001..9999 is damaged (it used to overflow the time formatter).
.open --new hand.db
.read sql/schema.sql
.read fixtures/hand/zhongyang.sql
.load ./zhucan
SELECT policy_load('lua/zhongyang.lua') AS policy_version;
SELECT sum(amount_fen) AS march FROM settlement('141129', '2024-03');
UPDATE meal SET price_fen = -500 WHERE id = 7;
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
SELECT subsidy_for(7);
UPDATE meal SET price_fen = 10000000001 WHERE id = 7;
SELECT sum(amount_fen) FROM settlement('141129', '2024-03');
UPDATE meal SET price_fen = '12.5' WHERE id = 7;
SELECT settle('141129', '2024-03');
SELECT subsidy_for(7);
UPDATE meal SET price_fen = 10000000000 WHERE id = 7;
SELECT subsidy_for(7) AS at_the_ceiling;
-- packs: version 1, flags 0, meal id +0, served_at -2^63 + ... (zigzag
-- varint of a time before year 1) is damaged, not a wrapped date
SELECT * FROM zhucan_run_unpack(x'010000ffffffffffffffffff01');
SELECT * FROM zhucan_run_unpack(x'010000feffffffffffffffff01');
