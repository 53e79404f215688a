-- Every case of sqlean's own regexp test (nalgeon/sqlean 0.28.2,
-- test/regexp.sql, MIT: 37 cases numbered 01..186), rewritten as our golden
-- test: sqlean's file asserts `expr = expected`; here each row prints the
-- value itself, and regex_sqlean.out holds the values worked out by hand
-- from the PCRE2 semantics (noted where it is not obvious).  Text that
-- starts or ends with a space is printed in [brackets].
.headers off
.mode list
.nullvalue NULL

-- regexp_replace: every match replaced
SELECT '01', regexp_replace('the year is 2021', '[0-9]+', '2050');
SELECT '02', regexp_replace('the year is 2021', '([0-9]+)', '-$1-');
SELECT '03', regexp_replace('the year is 2021', '2k21', '2050');           -- no match: unchanged
SELECT '21', '[' || regexp_replace('10 10 10', '10$', '') || ']';           -- only the last 10
SELECT '22', '[' || regexp_replace('10 10 10', '^10', '') || ']';           -- only the first
SELECT '23', regexp_replace('1 10 100', '\d+', '**');
-- a one-letter match at the start, in the middle and at the end, replaced by
-- nothing, one and two characters
SELECT '31', regexp_replace('hello', 'h', '');
SELECT '32', regexp_replace('hello', 'h', '.');
SELECT '33', regexp_replace('hello', 'h', '..');
SELECT '34', regexp_replace('hello', 'e', '');
SELECT '35', regexp_replace('hello', 'e', '.');
SELECT '36', regexp_replace('hello', 'e', '..');
SELECT '37', regexp_replace('hello', 'o', '');
SELECT '38', regexp_replace('hello', 'o', '.');
SELECT '39', regexp_replace('hello', 'o', '..');

-- pattern syntax, through regexp_substr (the first match)
SELECT '101', regexp_substr('the year is 2021', '[year]');    -- t, h, then e
SELECT '102', regexp_substr('the year is 2021', '[^year]');   -- t
SELECT '103', regexp_substr('the year is 2021', '(20|21)');   -- 20 comes first
SELECT '104', regexp_substr('the year is 2021', '\d+');
SELECT '105', regexp_substr('the year is 2021', '\d{1,2}');   -- greedy: two digits
SELECT '106', regexp_substr('the year is 2020', '(20)\1');    -- back-reference
SELECT '107', '[' || regexp_substr('the year is 2021', '\sis\s') || ']';
SELECT '108', regexp_substr('the year is 2021', '\bis\b');
SELECT '109', regexp_substr('the year is 2021', '^the');
SELECT '110', regexp_substr('the year is 2021', '2021$');
SELECT '111', regexp_substr('the year is 2021', 'y(?=ear)');  -- lookahead not in the match
SELECT '112', regexp_substr('the YEAR is 2021', '(?i)year');  -- the text's own case

-- Unicode: \w and \b work on Cyrillic letters
SELECT '151', regexp_substr('-- привет --', '\b\w+\b');

-- regexp_substr: the whole match, groups ignored
SELECT '171', regexp_substr('abcdef', 'b.d');
SELECT '172', regexp_substr('abcdef', 'b(.)d');
SELECT '173', regexp_substr('abcdef', 'z');

-- regexp_capture: group 0 (the default) is the whole match; a group the
-- pattern does not have is NULL, like no match
SELECT '181', regexp_capture('abcdef', 'b.d', 0);
SELECT '182', regexp_capture('abcdef', 'b(.)d');
SELECT '183', regexp_capture('abcdef', 'b(.)d', 0);
SELECT '184', regexp_capture('abcdef', 'b(.)d', 1);
SELECT '185', regexp_capture('abcdef', 'b(.)d', 2);
SELECT '186', regexp_capture('abcdef', 'z', 0);
