-- Long texts: regex.c cuts a search over a long text into runs over windows
-- of starting positions (a window is a few hundred positions on 100 KB), so
-- that it can be interrupted and timed.  The answers must be those of one
-- pcre2_match over the whole text; each case here crosses many windows and
-- was checked against the build before the windows (same output), and the
-- expected values are worked out in the comments.
.headers off
.mode list
.nullvalue NULL

-- matches far from the start, and on both sides of many window edges
SELECT 'last of 100000', regexp_substr(printf('%.*c', 100000, 'a') || 'Z', '[A-Z]');
SELECT 'every match', length(regexp_replace(printf('%.*c', 100000, 'a'), 'a', 'bb'));  -- 200000
SELECT 'every 7th', length(regexp_replace(printf('%.*c', 70000, 'a'), 'a{7}', 'x'));    -- 10000
SELECT 'none', regexp_like(printf('%.*c', 100000, 'a'), 'b');

-- a window edge inside a 3-byte character: the search goes on at the next
-- character, as PCRE2 moves on by characters (30000 x 3 bytes)
SELECT 'Chinese substr', regexp_substr(replace(printf('%.*c', 30000, 'a'), 'a', '张') || 'x', '\w{2}x');
SELECT 'Chinese replace', length(regexp_replace(replace(printf('%.*c', 30000, 'a'), 'a', '张'), '张', 'z')),
       length(regexp_replace(replace(printf('%.*c', 30000, 'a'), 'a', '张三'), '三', ''));
SELECT 'Chinese empty matches', length(regexp_replace(replace(printf('%.*c', 30000, 'a'), 'a', '张'), 'x*', '-'));
  -- 30000 characters, an empty match before each and at the end: 30000 + 30001

-- CRLF: with (*CRLF) '.' does not match a CR before an LF, and PCRE2 never
-- starts at the LF of a CRLF, so 100000 CRLFs hold no match for '.'; a
-- window that began at an LF would find one
SELECT 'CRLF never starts at LF', regexp_like(printf('%.*c', 100000, 'x'), '(*CRLF).'),
       regexp_like(replace(printf('%.*c', 100000, 'x'), 'x', char(13, 10)), '(*CRLF).'),
       regexp_like(replace(printf('%.*c', 100000, 'x'), 'x', char(13, 10)), '(*ANYCRLF).');
SELECT 'CRLF replace', length(regexp_replace(replace(printf('%.*c', 50000, 'x'), 'x', char(13, 10)), '(*CRLF)$', '|'));
  -- (*CRLF) $ (not multiline) matches before the final CRLF and at the very end: 100000 + 2

-- \G means "where this search began": a search cut into windows would
-- begin again at each window; PCRE2 tries \G at 0 only
SELECT '\G once', regexp_like('b' || printf('%.*c', 100000, 'a'), '\Ga|x');
SELECT '\G replace', length(regexp_replace(printf('%.*c', 100000, 'a') || 'b' || printf('%.*c', 10, 'a'), '\Ga', '')),
       regexp_replace('aaab' || printf('%.*c', 100000, 'c') || 'aaa', '\Ga|b', '-') LIKE '---%ccaaa';
  -- '\Ga' is anchored: the 100000 leading a's go, 'b' and the 10 a's after it stay: 11
-- (*COMMIT): once past it, a failure ends the whole search, with no
-- further starting positions
SELECT 'COMMIT', regexp_like('x' || printf('%.*c', 100000, 'a') || 'b', 'x(*COMMIT)c|b'),
       regexp_like(printf('%.*c', 100000, 'a') || 'b', 'x(*COMMIT)c|b');
  -- 0: x at 0 commits, then c fails (a window starting later would find b);
  -- 1: no x, no commit, b found

-- still right after all that
SELECT 'still fine', regexp_capture('uid=E00042', 'uid=(E\d+)', 1);
