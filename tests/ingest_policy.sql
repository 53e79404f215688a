-- swipe_log when the region governing a device's site names a policy that
-- is not installed (issue #12, finding 4).  That is a data error of the
-- lines whose slot needs the policy's windows: each is a row with error
-- 'policy not installed: ...' naming the policy and the region, and every
-- other line is read as usual.  Before, the whole read failed.
-- fixtures/swipes/setup.sql: site 9001 is in 990000 (county, no policy),
-- site 9002 in 990001 (township); DEV-0012 is at 9001, DEV-0013 at 9002.
.read fixtures/swipes/setup.sql
.nullvalue NULL
UPDATE region SET policy = 'ghost' WHERE code = '990001';
-- lines 4, 5, 6 and 9 are at DEV-0013 (990001 governs site 9002): no slot
-- from windows; the lines at DEV-0012 take the SPEC windows (no policy
-- governs 990000); the header and the blank line are as always
SELECT line, device, site_id, elder_id, slot, error FROM swipe_log('fixtures/swipes/good.csv', 'csv');
-- a line that says its slot needs no windows: of these lines at DEV-0013,
-- the one saying lunch is fine, the one without a slot is not
.once slots.txt
SELECT '2024-03-05 10:00:00|9002|DEV-0013|CARD|E00042|lunch|' || char(10) || '2024-03-05 12:00:00|9002|DEV-0013|CARD|E00042||';
SELECT line, slot, error FROM swipe_log('slots.txt',
    '^(?<at>[^|]+)\|(?<site>\d*)\|(?<device>[^|]+)\|(?<method>[^|]+)\|(?<token>[^|]+)\|(?<slot>[^|]*)\|(?<price>[^|]*)$');
-- the ingest recipe adds the good lines and lists the rejected ones
.parameter set :path 'fixtures/swipes/good.csv'
.parameter set :format 'csv'
.parameter set :price_fen 1000
.read sql/ingest.sql
-- installed, with a version in force from 2024-03-06: lines of 03-05 take the
-- SPEC windows (no version in force yet), those of 03-06 the policy's
SELECT policy_install('return { name = "ghost", effective_from = "2024-03-06", payers = { "county" },
  eligible = function() return true, "all" end, meal = function() return { county = 500 }, "flat" end,
  windows = { dinner = {"19:00", "20:00"} } }', 'windows only, for ingest') > 0;
SELECT line, slot, error FROM swipe_log('fixtures/swipes/good.csv', 'csv') WHERE device = 'DEV-0013';
