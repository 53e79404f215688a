-- regex.c: regexp, regexp_like, regexp_substr, regexp_capture, regexp_replace.
-- Expected values in regex.out were cross-checked by running the same
-- patterns through Python's re (/usr/bin/python3: re.search / re.sub with
-- \g<n> for $n) and, for PCRE2's error messages and offsets, through
-- pcre2test 10.42 (e.g. "/(/" -> "error 114 at offset 1: missing closing
-- parenthesis", "/[z-a]/" -> "error 108 at offset 3: range out of order in
-- character class").  Counts are worked out in comments.
.headers off
.mode list
.nullvalue NULL

-- text REGEXP pattern calls regexp(pattern, text): ours replaces the shell's
SELECT 'REGEXP yes', 'DEV-0012' REGEXP '^DEV-\d+$';
SELECT 'REGEXP no', 'dev-0012' REGEXP '^DEV-\d+$';
SELECT 'REGEXP \w Chinese', '张三丰' REGEXP '^\w+$';      -- shell's regexp has no Unicode \w
SELECT 'regexp()', regexp('^DEV', 'DEV-1');
SELECT 'NOT REGEXP', 'abc' NOT REGEXP 'x';
SELECT 'REGEXP NULL text', NULL REGEXP 'a';
SELECT 'REGEXP NULL pattern', 'a' REGEXP NULL;

-- Unicode: \w \b \d . and case folding work on characters, not bytes
SELECT 'substr \b\w+\b', regexp_substr('-- 张三丰 --', '\b\w+\b');
SELECT 'sqlean order', regexp_substr('the year is 2021', '\d{1,2}');
SELECT 'full-width \d', regexp_substr('２０２４年', '\d+');
SELECT 'two chars', regexp_like('张三', '^\w{2}$');
SELECT 'dot is a char', regexp_substr('张三丰', '^.');
SELECT 'caseless é', regexp_like('ÉCOLE', '(?i)école');
SELECT 'like no', regexp_like('abc', 'x');
SELECT 'substr no match', regexp_substr('abc', 'x');
SELECT 'empty pattern', regexp_like('abc', ''), '[' || regexp_substr('abc', '') || ']';
SELECT 'empty text', regexp_like('', '^$'), regexp_substr('', 'a');
SELECT 'integer text', regexp_like(2021, '^\d+$');
SELECT 'integer pattern', regexp_substr('a1b', 1);
SELECT 'NULLs', regexp_like(NULL, 'a'), regexp_like('a', NULL), regexp_substr(NULL, 'a'),
       regexp_substr('a', NULL), regexp_capture(NULL, 'a'), regexp_capture('a', NULL, 1);

-- regexp_capture
SELECT 'capture 1', regexp_capture('uid=E00042', 'uid=(E\d+)', 1);
SELECT 'capture default 0', regexp_capture('uid=E00042 x', 'uid=(E\d+)');
SELECT 'capture name', regexp_capture('uid=E00042', 'uid=(?<u>E\d+)', 'u');
SELECT 'capture unset group', regexp_capture('ab', '(a)|(b)', 2);   -- re: None
SELECT 'capture set group', regexp_capture('b', '(a)|(b)', 2);      -- re: 'b'
SELECT 'capture no match', regexp_capture('abc', '(x)', 1);
SELECT 'capture n NULL', regexp_capture('abc', '(a)', NULL);
SELECT 'capture n 1.0', regexp_capture('abc', '(a)(b)', 2.0);
SELECT 'capture duplicate names', regexp_capture('b', '(?J)(?<n>a)|(?<n>b)', 'n');
SELECT 'capture n too big', regexp_capture('abc', '(a)', 2);
SELECT 'capture n negative', regexp_capture('abc', '(a)', -1);
SELECT 'capture n 1.5', regexp_capture('abc', '(a)', 1.5);
SELECT 'capture no such name', regexp_capture('abc', '(?<u>a)', 'v');
SELECT 'capture wrong group on a non-matching row', regexp_capture('zzz', '(a)', 5);
SELECT 'capture n blob', regexp_capture('abc', '(a)', x'01');
-- a group number given as text is a number (no name starts with a digit,
-- a sign or a space); a number the pattern has no group for is NULL, as
-- in sqlean, whether or not the row matches
SELECT 'capture n text', regexp_capture('abc', '(a)(b)', '2'), regexp_capture('abc', '(a)(b)', '1');
SELECT 'capture n text 01 and 1.0', regexp_capture('abc', '(a)(b)', '01'),
       regexp_capture('abc', '(a)(b)', '1.0'), regexp_capture('abc', '(a)(b)', ' 2');
SELECT 'capture n text too big', regexp_capture('abc', '(a)', '7');
SELECT 'capture n text with (?J)', regexp_capture('b', '(?J)(?<n>a)|(?<n>b)', '2');
SELECT 'capture n text 1.5', regexp_capture('abc', '(a)', '1.5');
-- a name that is not valid UTF-8, or holds a NUL, is shown as hex
SELECT 'capture name bad UTF-8', regexp_capture('abc', '(?<u>a)', CAST(x'75ff' AS TEXT));
SELECT 'capture name with NUL', regexp_capture('abc', '(?<u>a)', 'u' || char(0) || 'x');

-- regexp_replace: every match; $n, ${name}, $$; unset groups are empty
SELECT 'replace empty matches', regexp_replace('abc', 'x*', '-');
SELECT 'replace groups', regexp_replace('2024-03-05', '(\d+)-(\d+)-(\d+)', '$3/$2/$1');
SELECT 'replace ${name}', regexp_replace('uid=E00042', 'uid=(?<u>E\d+)', 'user ${u}');
SELECT 'replace $$', regexp_replace('price 5', '\d', '$$$0');
SELECT 'replace every', regexp_replace('a1b22c333', '\d+', '#');
SELECT 'replace Chinese', regexp_replace('张三丰 李四', '\w+', '[$0]');
SELECT 'replace empty in Chinese', regexp_replace('张三', '', '-');
SELECT 'replace after non-empty', regexp_replace('baaac', 'a*', '-');
SELECT 'replace lookbehind', regexp_replace('a,b,c', '(?<=,)', ' ');
SELECT 'replace unset group', regexp_replace('b', '(a)|b', '[$1]');
SELECT 'replace empty text', regexp_replace('', 'x*', '-');
SELECT 'replace to empty', '[' || regexp_replace('aaa', 'a', '') || ']';
SELECT 'replace no match', regexp_replace('abc', 'x', '-');
SELECT 'replace NULLs', regexp_replace(NULL, 'a', 'b'), regexp_replace('a', NULL, 'b'),
       regexp_replace('a', 'a', NULL);
-- names used twice ((?J), or alternatives of a branch reset): the first
-- group of that name that took part; none: empty
SELECT 'replace (?J) names', regexp_replace('ab', '(?J)(?<n>a)|(?<n>b)', '[${n}]'),
       regexp_replace('ab', '(?J)(?<n>a)|(?<n>b)', '<$n>'),
       regexp_replace('abc', '(?J)(?<n>a)|(?<n>b)|c', '[${n}]');
SELECT 'replace branch reset name', regexp_replace('ab', '(?|(?<n>a)|(?<n>b))', '<$n>');
-- forms the parsed replacement leaves to pcre2_substitute: ${*MARK}, and
-- more than 32 pieces (40 times $0 is 80 characters for 'ab')
SELECT 'replace ${*MARK}', regexp_replace('ab', '(*MARK:M)a', '${*MARK}');
SELECT 'replace 40 pieces', length(regexp_replace('ab', '[ab]', replace(printf('%.*c', 40, 'x'), 'x', '$0')));
SELECT 'replace bad $9', regexp_replace('abc', 'a', '$9');
SELECT 'replace bad ${', regexp_replace('abc', '(?<u>a)', '${u');
SELECT 'replace bad UTF-8 replacement', regexp_replace('abc', 'a', CAST(x'ff' AS TEXT));

-- long strings: the output grows as needed (1,000,000 'a' -> 2,000,000 bytes)
SELECT 'long grow', length(regexp_replace(printf('%.*c', 1000000, 'a'), 'a', 'bb'));
SELECT 'long grow 4-byte', length(regexp_replace(printf('%.*c', 100000, 'a'), 'a', '😀')),
       length(CAST(regexp_replace(printf('%.*c', 100000, 'a'), 'a', '😀') AS BLOB));
SELECT 'long shrink', regexp_replace(printf('%.*c', 1000000, 'a'), 'a+', 'x');
SELECT 'long match at end', regexp_substr(printf('%.*c', 1000000, 'a') || 'Z', '[A-Z]');
SELECT 'long capture', length(regexp_capture('<' || printf('%.*c', 1000000, 'a') || '>', '<(a*)>', 1));

-- errors: bad patterns, invalid UTF-8, blobs, catastrophic backtracking
SELECT 'bad pattern', regexp_like('abc', '(');
SELECT 'bad class', regexp_substr('abc', '[z-a]');
SELECT 'bad pattern via REGEXP', 'abc' REGEXP '(?<u>a';
SELECT 'bad pattern in replace', regexp_replace('abc', '*', '-');
SELECT 'bad UTF-8 text', regexp_like(CAST(x'ff' AS TEXT), 'a');
SELECT 'bad UTF-8 text REGEXP', CAST(x'61e4b8' AS TEXT) REGEXP 'a';
SELECT 'bad UTF-8 text substr', regexp_substr(CAST(x'c0af' AS TEXT), '.');
SELECT 'bad UTF-8 surrogate', regexp_like(CAST(x'eda080' AS TEXT), '.');
SELECT 'bad UTF-8 pattern', regexp_like('abc', CAST(x'ff' AS TEXT));
SELECT 'blob text', regexp_like(x'616263', 'a');
SELECT 'blob pattern', regexp_like('abc', x'61');
SELECT 'catastrophic', regexp_like('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', '(a+)+$');
SELECT 'catastrophic replace', regexp_replace('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', '(a+)+$', '');
SELECT 'still fine after errors', regexp_like('abc', 'b');
-- values echoed in messages are cut near 60 bytes on a character boundary
-- (500 KB never comes back whole), and hex when not UTF-8
SELECT 'huge bad pattern', regexp_like('abc', '(' || printf('%.*c', 500000, 'a'));
SELECT 'huge bad replacement', regexp_replace('abc', 'a', printf('%.*c', 500000, 'a') || '$9');
SELECT 'cut between characters', regexp_like('abc', replace(printf('%.*c', 100, 'a'), 'a', '张') || '(');
SELECT 'huge catastrophic text', regexp_like(printf('%.*c', 500000, 'a') || '!', '^(a+)+$');

-- many rows: a constant pattern (statement cache) and per-row patterns (LRU
-- of 16, cycled through 25 patterns so entries are evicted and recompiled)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
SELECT 'numbers 1..1000 with a 7', count(*) FROM n WHERE i REGEXP '7';
  -- 1..999 without a 7: 9*9*9 - 1 = 728 (0 excluded), 1000 has none: 1000 - 729 = 271
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
SELECT 'i matches ^(i%25)$', count(*) FROM n WHERE regexp_like(i, '^' || (i % 25) || '$');
  -- i = i % 25 exactly when i < 25: i = 1..24
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
SELECT 'per-row patterns', group_concat(regexp_replace('x' || i, '^x(' || (i % 25) || ')$', '<$1>'), ' ')
FROM n WHERE i BETWEEN 20 AND 30;
