/*
** regex.h — the small internal API of regex.c for other modules (ingest,
** identity).  Not part of zhucan.h so that only modules that match patterns
** include pcre2.h.
**
**   pcre2_code *re;  char *err = NULL;
**   if (zc_regex_get(zc, "^DEV-(\\d+)$", -1, &re, &err) != SQLITE_OK) ...;
**   pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
**   int rc = zc_regex_match(zc, re, line, n, 0, md, &err);  // >0 match, 0 none, <0 err
**
** Patterns are compiled with PCRE2_UTF | PCRE2_UCP and JIT-compiled when
** the platform allows; matching uses the same search as the SQL functions: the
** connection's match limit per starting position, so a catastrophic
** pattern fails fast with an error instead of hanging, a time budget for
** the whole search, and sqlite3_interrupt() / the host's progress handler
** noticed within milliseconds (regex.c's header comment says how).
*/
#ifndef ZC_REGEX_H
#define ZC_REGEX_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include "common.h"

/* Compiled pattern pat (n bytes, n < 0 means NUL-terminated), cached for the
** connection: *out stays valid until the connection closes (the caller does
** not free it).  A bad pattern gives SQLITE_ERROR and *pzErr (sqlite3_malloc'd)
** with PCRE2's message and offset; SQLITE_NOMEM on OOM. */
int zc_regex_get(ZcConn *zc, const char *pat, int n, pcre2_code **out, char **pzErr);

/* Match re against subj[0..n) from byte offset start with the connection's
** limits.  The subject is checked for valid UTF-8 first.  Answers the PCRE2
** match count (> 0) on a match, 0 for no match, and a negative code with
** *pzErr set (sqlite3_malloc'd) on invalid UTF-8, an exceeded limit or any
** other failure: a PCRE2 error code, or one of the two below.  md must come
** from pcre2_match_data_create_from_pattern(re, NULL) or be large enough.
** A code that zc_regex_get did not make is matched by one plain
** pcre2_match (per-position limit only, no budget, no polling).  Out of
** memory is PCRE2_ERROR_NOMEMORY with *pzErr left NULL. */
int zc_regex_match(ZcConn *zc, const pcre2_code *re, const char *subj, size_t n,
                   size_t start, pcre2_match_data *md, char **pzErr);
/* zc_regex_match's own failures, beside PCRE2's negative codes: the
** statement was interrupted (sqlite3_interrupt or the progress handler;
** an SQL caller should answer SQLITE_INTERRUPT), or the search ran past its
** time budget (1 s + 1 us per byte of subject).  Far below PCRE2's codes. */
#define ZC_REGEX_INTERRUPTED (-1001)
#define ZC_REGEX_OVER_BUDGET (-1002)

/* Named groups.  With duplicate names ((?J), or the same name in
** alternatives of (?|...)) one name has several groups; the one a match
** means is the first of them that took part in it (as PCRE2's
** pcre2_substring_get_byname and ${name} in a replacement).
**   uint32_t g[ZC_REGEX_MAX_DUPS];
**   int ng = zc_regex_groups(code, "at", g, ZC_REGEX_MAX_DUPS);  // 0: no group "at"
**   ... after a match in md:  uint32_t k = zc_regex_first_set(md, g, ng);
**   ov[2k] == PCRE2_UNSET when none of them took part.
** zc_regex_groups answers how many groups have that name (0: none) and
** writes the first max of them, in pattern order, to groups.
** zc_regex_first_set answers the first of groups[0..n) set in md's last
** match, else groups[0] (unset), or 0 when n is 0. */
#define ZC_REGEX_MAX_DUPS 16
int zc_regex_groups(const pcre2_code *code, const char *name, uint32_t *groups, int max);
uint32_t zc_regex_first_set(pcre2_match_data *md, const uint32_t *groups, int n);

#endif /* ZC_REGEX_H */
