/*
** regex.c — regular expressions in SQL, on PCRE2 (8-bit, UTF-8 with Unicode
** properties, JIT-compiled).
**
**   SELECT 'DEV-0012' REGEXP '^DEV-\d+$';                          -- 1
**   SELECT regexp('^DEV-\d+$', 'DEV-0012');                        -- 1 (same call)
**   SELECT regexp_like('张三丰', '^\w+$');                          -- 1
**   SELECT regexp_substr('the year is 2021', '\d{1,2}');            -- '20'
**   SELECT regexp_substr('-- 张三丰 --', '\b\w+\b');                 -- '张三丰'
**   SELECT regexp_capture('uid=E00042', 'uid=(E\d+)', 1);           -- 'E00042'
**   SELECT regexp_capture('uid=E00042', 'uid=(?<u>E\d+)', 'u');     -- 'E00042'
**   SELECT regexp_replace('2024-03-05', '(\d+)-(\d+)-(\d+)', '$3/$2/$1'); -- '05/03/2024'
**   SELECT regexp_replace('abc', 'x*', '-');                        -- '-a-b-c-'
**
** Argument order and meanings follow sqlean's regexp extension (text first,
** pattern second), except regexp(pattern, text), which is the function
** SQLite calls for `text REGEXP pattern`; registering it makes that syntax
** work in every host (ODBC, Python, BI tools), not only in the sqlite3 shell.
**
** NULL text or pattern -> NULL.  Everything else that is wrong is an SQL error
** naming the function, the value and the reason, never a quiet "no match":
** a bad pattern (PCRE2's message and offset), text or replacement that is a
** blob or not valid UTF-8, and an exceeded match limit (catastrophic
** backtracking such as '(a+)+$' fails in milliseconds, see ZC_RE_MATCH_LIMIT).
**
** Caching.  A compiled pattern (code + JIT code + match data, refcounted
** ZcRe) lives in a per-connection LRU of ZC_RE_LRU entries keyed by the
** pattern's bytes, and is also attached to the pattern argument with
** sqlite3_set_auxdata, so a constant pattern costs one lookup per statement
** and a pattern that varies per row (a column) still hits the LRU.
**
** Matching validates the subject's UTF-8 once (our own scan, since
** pcre2_jit_match skips PCRE2's check) and then calls pcre2_jit_match when
** the pattern was JIT-compiled, else pcre2_match with PCRE2_NO_UTF_CHECK.
** regexp_replace is pcre2_substitute (global, unset groups empty), whose
** output buffer grows to whatever the result needs.
**
** Internal API for other modules: regex.h (zc_regex_get, zc_regex_match,
** zc_utf8_valid).
*/
#include "modules.h"
#include "regex.h"
#include <string.h>
/* PCRE2's JIT code scans ahead with wide loads past the end of the subject
** (harmlessly, within the page), which valgrind reports as uninitialised
** reads in code it cannot name.  Under valgrind we match with the
** interpreter instead, so the suite's valgrind run checks our code without
** that noise; plain and ASan runs use the JIT. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define ZC_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef ZC_UNDER_VALGRIND
#define ZC_UNDER_VALGRIND() 0
#endif

#define ZC_RE_LRU 16                   /* per-connection cache entries */
#define ZC_RE_MATCH_LIMIT 10000000u    /* PCRE2's default, made explicit */
#define ZC_RE_DEPTH_LIMIT 1000000u     /* backtracking depth (interpreter) */
#define ZC_RE_HEAP_LIMIT 65536u        /* KiB of backtracking heap (interpreter) */
#define ZC_RE_JIT_STACK_MIN (32 * 1024)
#define ZC_RE_JIT_STACK_MAX (1024 * 1024)
#define ZC_RE_COMPILE_FLAGS (PCRE2_UTF | PCRE2_UCP)

/* One compiled pattern.  nRef counts the LRU slot, the pinned list and each
** statement's auxdata holding it. */
typedef struct ZcRe {
  int nRef;
  int jit;                 /* 1 when pcre2_jit_compile succeeded */
  uint32_t ncap;           /* capture groups */
  uint64_t hash;
  size_t n;
  char *pat;               /* n bytes + NUL */
  pcre2_code *code;
  pcre2_match_data *md;    /* shared: a call finishes with it before returning */
} ZcRe;

struct ZcRegexCache {
  pcre2_match_context *mctx;
  pcre2_jit_stack *jstack;
  uint64_t tick;
  ZcRe *lru[ZC_RE_LRU];
  uint64_t used[ZC_RE_LRU];
  ZcRe **pinned;           /* from zc_regex_get: kept until the connection closes */
  int nPinned, nPinnedAlloc;
};


/* A quote of s[0..n) for an error message: zc_utf8_repr (cut near 60 bytes
** on a character boundary; hex when not UTF-8), or hex when s holds a NUL,
** which a quote would silently end at. */
static char *text_repr(const char *s, size_t n) {
  if (memchr(s, 0, n) == NULL) return zc_utf8_repr(s, n);
  sqlite3_str *str = sqlite3_str_new(NULL);
  sqlite3_str_appendall(str, "x'");
  for (size_t i = 0; i < n && i < 16; i++) sqlite3_str_appendf(str, "%02x", (unsigned char)s[i]);
  sqlite3_str_appendall(str, n > 16 ? "...'" : "'");
  return sqlite3_str_finish(str);
}

static char *pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof buf) < 0)
    return sqlite3_mprintf("PCRE2 error %d", code);
  return sqlite3_mprintf("%s", (const char *)buf);
}

/* ------------------------------------------------------------------ cache */

static void re_release(void *p) {
  ZcRe *re = p;
  if (re == NULL || --re->nRef > 0) return;
  pcre2_match_data_free(re->md);
  pcre2_code_free(re->code);
  sqlite3_free(re->pat);
  sqlite3_free(re);
}

/* Compile pat[0..n) into a new ZcRe with nRef 1. */
static int re_compile(const char *pat, size_t n, uint64_t hash, ZcRe **out, char **pzErr) {
  int rc = SQLITE_NOMEM;
  ZcRe *re = sqlite3_malloc(sizeof *re);
  if (re == NULL) goto re_compile_error;
  memset(re, 0, sizeof *re);
  re->nRef = 1;
  re->n = n;
  re->hash = hash;
  re->pat = sqlite3_malloc64(n + 1);
  if (re->pat == NULL) goto re_compile_error;
  memcpy(re->pat, pat, n);
  re->pat[n] = 0;
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  re->code = pcre2_compile((PCRE2_SPTR)pat, n, ZC_RE_COMPILE_FLAGS, &errcode, &erroff, NULL);
  if (re->code == NULL) {
    if (errcode == PCRE2_ERROR_NOMEMORY) goto re_compile_error;
    char *q = text_repr(pat, n);
    char *m = pcre2_message(errcode);
    *pzErr = sqlite3_mprintf("pattern %s is not a valid regular expression: %s at offset %llu",
                             q ? q : "?", m ? m : "?", (unsigned long long)erroff);
    sqlite3_free(q);
    sqlite3_free(m);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    goto re_compile_error;
  }
  /* JIT is an optimisation: when it fails (unsupported CPU, no executable
  ** memory) the interpreter is used. */
  re->jit = !ZC_UNDER_VALGRIND() && pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
  if (pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ncap) != 0) re->ncap = 0;
  re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
  if (re->md == NULL) goto re_compile_error;
  *out = re;
  return SQLITE_OK;
re_compile_error:
  if (re) {
    re->nRef = 1;
    re_release(re);
  }
  return rc;
}

static int cache_init(ZcConn *zc) {
  if (zc->regex) return SQLITE_OK;
  struct ZcRegexCache *c = sqlite3_malloc(sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->mctx = pcre2_match_context_create(NULL);
  if (c->mctx == NULL) goto cache_init_error;
  if (pcre2_set_match_limit(c->mctx, ZC_RE_MATCH_LIMIT) != 0 ||
      pcre2_set_depth_limit(c->mctx, ZC_RE_DEPTH_LIMIT) != 0 ||
      pcre2_set_heap_limit(c->mctx, ZC_RE_HEAP_LIMIT) != 0)
    goto cache_init_error;
  /* A JIT stack larger than the default 32 KiB machine-stack area; NULL
  ** (no JIT support) keeps the default. */
  c->jstack = pcre2_jit_stack_create(ZC_RE_JIT_STACK_MIN, ZC_RE_JIT_STACK_MAX, NULL);
  if (c->jstack) pcre2_jit_stack_assign(c->mctx, NULL, c->jstack);
  zc->regex = c;
  return SQLITE_OK;
cache_init_error:
  pcre2_match_context_free(c->mctx);
  sqlite3_free(c);
  return SQLITE_NOMEM;
}

void zc_regex_free(ZcConn *zc) {
  struct ZcRegexCache *c = zc->regex;
  if (c == NULL) return;
  for (int i = 0; i < ZC_RE_LRU; i++) re_release(c->lru[i]);
  for (int i = 0; i < c->nPinned; i++) re_release(c->pinned[i]);
  sqlite3_free(c->pinned);
  pcre2_match_context_free(c->mctx);
  pcre2_jit_stack_free(c->jstack);
  sqlite3_free(c);
  zc->regex = NULL;
}

/* The compiled pattern from the LRU, compiling on a miss.  The LRU keeps
** its reference; the result is valid until the next cache_get. */
static int cache_get(ZcConn *zc, const char *pat, size_t n, ZcRe **out, char **pzErr) {
  struct ZcRegexCache *c = zc->regex;
  uint64_t h = zc_hash_bytes(pat, n, 0);
  int victim = 0;
  c->tick++;
  for (int i = 0; i < ZC_RE_LRU; i++) {
    ZcRe *re = c->lru[i];
    if (re == NULL) {
      if (c->lru[victim] != NULL) victim = i;
      continue;
    }
    if (re->hash == h && re->n == n && memcmp(re->pat, pat, n) == 0) {
      c->used[i] = c->tick;
      *out = re;
      return SQLITE_OK;
    }
    if (c->lru[victim] != NULL && c->used[i] < c->used[victim]) victim = i;
  }
  ZcRe *re = NULL;
  int rc = re_compile(pat, n, h, &re, pzErr);
  if (rc != SQLITE_OK) return rc;
  re_release(c->lru[victim]);
  c->lru[victim] = re;
  c->used[victim] = c->tick;
  *out = re;
  return SQLITE_OK;
}

/* Run re on subj (already checked UTF-8) with the connection's limits. */
static int re_exec(struct ZcRegexCache *c, const ZcRe *re, const pcre2_code *code,
                   const char *s, size_t n, size_t start, pcre2_match_data *md) {
  if (re ? re->jit : 0)
    return pcre2_jit_match(code, (PCRE2_SPTR)s, n, start, 0, md, c->mctx);
  return pcre2_match(code, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK, md, c->mctx);
}

/* ------------------------------------------------------------------ internal API */

int zc_regex_get(ZcConn *zc, const char *pat, int n, pcre2_code **out, char **pzErr) {
  int rc = cache_init(zc);
  if (rc != SQLITE_OK) return rc;
  struct ZcRegexCache *c = zc->regex;
  size_t len = n < 0 ? strlen(pat) : (size_t)n;
  for (int i = 0; i < c->nPinned; i++) {
    ZcRe *re = c->pinned[i];
    if (re->n == len && memcmp(re->pat, pat, len) == 0) {
      *out = re->code;
      return SQLITE_OK;
    }
  }
  if (c->nPinned == c->nPinnedAlloc) {
    int na = c->nPinnedAlloc ? c->nPinnedAlloc * 2 : 8;
    ZcRe **a = sqlite3_realloc64(c->pinned, (sqlite3_uint64)na * sizeof *a);
    if (a == NULL) return SQLITE_NOMEM;
    c->pinned = a;
    c->nPinnedAlloc = na;
  }
  ZcRe *re = NULL;
  rc = cache_get(zc, pat, len, &re, pzErr);
  if (rc != SQLITE_OK) return rc;
  re->nRef++;
  c->pinned[c->nPinned++] = re;
  *out = re->code;
  return SQLITE_OK;
}

/* The pinned ZcRe of a code from zc_regex_get (to know whether it is JIT). */
static const ZcRe *pinned_of(struct ZcRegexCache *c, const pcre2_code *code) {
  for (int i = 0; i < c->nPinned; i++)
    if (c->pinned[i]->code == code) return c->pinned[i];
  return NULL;
}

int zc_regex_groups(const pcre2_code *code, const char *name, uint32_t *groups, int max) {
  PCRE2_SPTR first = NULL, last = NULL;
  int esz = pcre2_substring_nametable_scan(code, (PCRE2_SPTR)name, &first, &last);
  if (esz <= 0) return 0; /* PCRE2_ERROR_NOSUBSTRING: no such name */
  int count = 0;
  for (PCRE2_SPTR e = first; e <= last; e += esz) {
    if (count < max) groups[count] = (uint32_t)((e[0] << 8) | e[1]);
    count++;
  }
  return count;
}

uint32_t zc_regex_first_set(pcre2_match_data *md, const uint32_t *groups, int n) {
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  uint32_t pairs = pcre2_get_ovector_count(md);
  for (int i = 0; i < n; i++)
    if (groups[i] < pairs && ov[2 * groups[i]] != PCRE2_UNSET) return groups[i];
  return n > 0 ? groups[0] : 0;
}

int zc_regex_match(ZcConn *zc, const pcre2_code *code, const char *subj, size_t n,
                   size_t start, pcre2_match_data *md, char **pzErr) {
  int rc = cache_init(zc);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("out of memory");
    return PCRE2_ERROR_NOMEMORY;
  }
  size_t bad = 0;
  if (!zc_utf8_valid((const unsigned char *)subj, n, &bad)) {
    char *q = text_repr(subj, n);
    *pzErr = sqlite3_mprintf("text %s is not valid UTF-8 (bad byte at offset %llu)",
                             q ? q : "?", (unsigned long long)bad);
    sqlite3_free(q);
    return PCRE2_ERROR_BADDATA;
  }
  /* Only codes from zc_regex_get are known to be JIT-compiled; any other
  ** code goes through pcre2_match, which uses JIT code when present. */
  rc = re_exec(zc->regex, pinned_of(zc->regex, code), code, subj, n, start, md);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) {
    char *m = pcre2_message(rc);
    char *q = text_repr(subj, n);
    *pzErr = sqlite3_mprintf("matching text %s failed: %s", q ? q : "?", m ? m : "?");
    sqlite3_free(q);
    sqlite3_free(m);
    return rc;
  }
  return rc == 0 ? 1 : rc; /* 0 would mean the ovector was too small */
}

/* ------------------------------------------------------------------ SQL */

/* The text of argument v for function fn ("text", "pattern", ...):
** 1 with *pz and *pn, 0 for NULL, -1 after setting an error.  Numbers are used
** as their text, as everywhere in SQLite; a blob is an error.  When
** checkUtf8, invalid UTF-8 is an error (patterns are checked by PCRE2). */
static int arg_text(sqlite3_context *ctx, sqlite3_value *v, const char *fn, const char *what,
                    int checkUtf8, const char **pz, size_t *pn) {
  int t = sqlite3_value_type(v);
  if (t == SQLITE_NULL) return 0;
  if (t == SQLITE_BLOB) {
    char *q = zc_value_repr(v);
    zc_errorf(ctx, "%s: %s %s is a blob, expected text", fn, what, q ? q : "?");
    sqlite3_free(q);
    return -1;
  }
  const char *z = (const char *)sqlite3_value_text(v);
  if (z == NULL) {
    sqlite3_result_error_nomem(ctx);
    return -1;
  }
  size_t n = (size_t)sqlite3_value_bytes(v);
  size_t bad = 0;
  if (checkUtf8 && !zc_utf8_valid((const unsigned char *)z, n, &bad)) {
    char *q = text_repr(z, n);
    zc_errorf(ctx, "%s: %s %s is not valid UTF-8 (bad byte at offset %llu)", fn, what,
              q ? q : "?", (unsigned long long)bad);
    sqlite3_free(q);
    return -1;
  }
  *pz = z;
  *pn = n;
  return 1;
}

/* The compiled pattern of argument iArg: from the statement's auxdata when
** the argument is constant, else from the LRU (then attached as auxdata).
** NULL after setting an error. */
static ZcRe *pattern_arg(sqlite3_context *ctx, int iArg, const char *pat, size_t n,
                         const char *fn) {
  ZcRe *re = sqlite3_get_auxdata(ctx, iArg);
  if (re) return re;
  ZcConn *zc = sqlite3_user_data(ctx);
  char *err = NULL;
  int rc = cache_get(zc, pat, n, &re, &err);
  if (rc != SQLITE_OK) {
    if (err) zc_errorf(ctx, "%s: %s", fn, err);
    else sqlite3_result_error_code(ctx, rc);
    sqlite3_free(err);
    return NULL;
  }
  /* The LRU keeps its own reference for the rest of this call; SQLite drops
  ** the auxdata one at the end of the call unless the argument is constant. */
  re->nRef++;
  sqlite3_set_auxdata(ctx, iArg, re, re_release);
  return re;
}

/* Report a failed match (rc < 0, not NOMATCH). */
static void match_error(sqlite3_context *ctx, const char *fn, const ZcRe *re, const char *s,
                        size_t n, int rc) {
  if (rc == PCRE2_ERROR_NOMEMORY) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  char *m = pcre2_message(rc);
  char *qp = text_repr(re->pat, re->n);
  char *qs = text_repr(s, n);
  const char *hint = "";
  if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
      rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
    hint = " (the pattern backtracks too much; make it more specific)";
  zc_errorf(ctx, "%s: pattern %s on text %s: %s%s", fn, qp ? qp : "?", qs ? qs : "?",
            m ? m : "?", hint);
  sqlite3_free(m);
  sqlite3_free(qp);
  sqlite3_free(qs);
}

/* Shared front half: text argument iText, pattern argument iPat.  Answers
** 1 with the match run (*prc = PCRE2 result >= 0 or NOMATCH), 0 when the
** result is NULL or an error was set. */
static int match_args(sqlite3_context *ctx, sqlite3_value **argv, int iText, int iPat,
                      const char *fn, ZcRe **pre, const char **ps, size_t *pn, int *prc) {
  const char *s = NULL, *p = NULL;
  size_t n = 0, np = 0;
  int a = arg_text(ctx, argv[iText], fn, "text", 1, &s, &n);
  if (a <= 0) return 0;
  int b = arg_text(ctx, argv[iPat], fn, "pattern", 0, &p, &np);
  if (b <= 0) return 0;
  ZcRe *re = pattern_arg(ctx, iPat, p, np, fn);
  if (re == NULL) return 0;
  ZcConn *zc = sqlite3_user_data(ctx);
  int rc = re_exec(zc->regex, re, re->code, s, n, 0, re->md);
  if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
    match_error(ctx, fn, re, s, n, rc);
    return 0;
  }
  *pre = re;
  *ps = s;
  *pn = n;
  *prc = rc;
  return 1;
}

/* regexp(pattern, text): what `text REGEXP pattern` calls. */
static void regexp_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcRe *re;
  const char *s;
  size_t n;
  int rc;
  if (!match_args(ctx, argv, 1, 0, "regexp", &re, &s, &n, &rc)) return;
  sqlite3_result_int(ctx, rc >= 0);
}

static void regexp_like_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcRe *re;
  const char *s;
  size_t n;
  int rc;
  if (!match_args(ctx, argv, 0, 1, "regexp_like", &re, &s, &n, &rc)) return;
  sqlite3_result_int(ctx, rc >= 0);
}

/* Group g of the last match of re as the result (NULL when unset). */
static void result_group(sqlite3_context *ctx, const ZcRe *re, const char *s, uint32_t g) {
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
  uint32_t npairs = pcre2_get_ovector_count(re->md);
  if (g >= npairs || ov[2 * g] == PCRE2_UNSET) {
    sqlite3_result_null(ctx);
    return;
  }
  PCRE2_SIZE b = ov[2 * g], e = ov[2 * g + 1];
  if (e < b) e = b; /* \K can put the start after the end */
  sqlite3_result_text64(ctx, s + b, (sqlite3_uint64)(e - b), SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void regexp_substr_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcRe *re;
  const char *s;
  size_t n;
  int rc;
  if (!match_args(ctx, argv, 0, 1, "regexp_substr", &re, &s, &n, &rc)) return;
  if (rc < 0) {
    sqlite3_result_null(ctx);
    return;
  }
  result_group(ctx, re, s, 0);
}

/* A quote of a group argument for messages: text through zc_utf8_repr (cut,
** and hex when not UTF-8), anything else through zc_value_repr. */
static char *group_repr(sqlite3_value *v) {
  if (sqlite3_value_type(v) != SQLITE_TEXT) return zc_value_repr(v);
  const char *z = (const char *)sqlite3_value_text(v);
  return z ? text_repr(z, (size_t)sqlite3_value_bytes(v)) : NULL;
}

/* The group argument of regexp_capture, resolved against re: 1 with the
** candidate groups in g[0..*ng) (several for a name used twice with (?J));
** 0 for a NULL result (NULL argument, or a number the pattern has no group
** for); -1 after setting an error. */
static int capture_group(sqlite3_context *ctx, const ZcRe *re, sqlite3_value *v,
                         uint32_t *g, int max, int *ng) {
  const char *fn = "regexp_capture";
  int t = sqlite3_value_type(v);
  if (t == SQLITE_NULL) return 0;
  /* Text SQLite reads as a number ('1', ' 2', '1.0') is a group number: a
  ** group name cannot start with a digit, a sign or a space. */
  if (t == SQLITE_TEXT) t = sqlite3_value_numeric_type(v);
  if (t == SQLITE_INTEGER ||
      (t == SQLITE_FLOAT && sqlite3_value_double(v) == (double)sqlite3_value_int64(v))) {
    sqlite3_int64 n = sqlite3_value_int64(v);
    if (n < 0 || n > (sqlite3_int64)re->ncap) return 0; /* as sqlean: no such group, NULL */
    g[0] = (uint32_t)n;
    *ng = 1;
    return 1;
  }
  char *q = group_repr(v);
  if (t == SQLITE_TEXT) {
    const char *name = (const char *)sqlite3_value_text(v);
    int bytes = sqlite3_value_bytes(v);
    int n = -1;
    /* a name with a NUL in it is no name of the pattern */
    if (name && (int)strlen(name) == bytes) n = zc_regex_groups(re->code, name, g, max);
    if (n > 0) {
      sqlite3_free(q);
      *ng = n < max ? n : max;
      return 1;
    }
    char *qp = text_repr(re->pat, re->n);
    if (name == NULL || (q == NULL && bytes > 0) || qp == NULL) sqlite3_result_error_nomem(ctx);
    else zc_errorf(ctx, "%s: pattern %s has no group named %s", fn, qp, q);
    sqlite3_free(qp);
  } else if (q == NULL) {
    sqlite3_result_error_nomem(ctx);
  } else {
    zc_errorf(ctx, "%s: group %s is neither a group number nor a group name", fn, q);
  }
  sqlite3_free(q);
  return -1;
}

/* regexp_capture(text, pattern [, n | name]) */
static void regexp_capture_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcRe *re;
  const char *s;
  size_t n;
  int rc;
  if (!match_args(ctx, argv, 0, 1, "regexp_capture", &re, &s, &n, &rc)) return;
  /* Resolve the group before looking at the result, so a wrong name is an
  ** error whether or not this row matched. */
  uint32_t g[ZC_REGEX_MAX_DUPS] = {0};
  int ng = 1;
  if (argc == 3) {
    int a = capture_group(ctx, re, argv[2], g, ZC_REGEX_MAX_DUPS, &ng);
    if (a < 0) return;
    if (a == 0) {
      sqlite3_result_null(ctx);
      return;
    }
  }
  if (rc < 0) {
    sqlite3_result_null(ctx);
    return;
  }
  result_group(ctx, re, s, zc_regex_first_set(re->md, g, ng));
}

/* regexp_replace(text, pattern, replacement): every match replaced. */
static void regexp_replace_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *fn = "regexp_replace";
  const char *s = NULL, *p = NULL, *r = NULL;
  size_t n = 0, np = 0, nr = 0;
  PCRE2_UCHAR *out = NULL;
  if (arg_text(ctx, argv[0], fn, "text", 1, &s, &n) <= 0) goto replace_end;
  if (arg_text(ctx, argv[1], fn, "pattern", 0, &p, &np) <= 0) goto replace_end;
  if (arg_text(ctx, argv[2], fn, "replacement", 1, &r, &nr) <= 0) goto replace_end;
  ZcRe *re = pattern_arg(ctx, 1, p, np, fn);
  if (re == NULL) goto replace_end;
  ZcConn *zc = sqlite3_user_data(ctx);
  const uint32_t opts = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
                        PCRE2_SUBSTITUTE_UNSET_EMPTY | PCRE2_NO_UTF_CHECK;
  /* First guess; on PCRE2_ERROR_NOMEMORY pcre2_substitute tells the exact
  ** size needed and we run it once more. */
  PCRE2_SIZE cap = n + n / 2 + nr + 64;
  for (int attempt = 0; attempt < 2; attempt++) {
    out = sqlite3_malloc64(cap);
    if (out == NULL) {
      sqlite3_result_error_nomem(ctx);
      goto replace_end;
    }
    PCRE2_SIZE len = cap;
    int rc = pcre2_substitute(re->code, (PCRE2_SPTR)s, n, 0, opts, re->md, zc->regex->mctx,
                              (PCRE2_SPTR)r, nr, out, &len);
    if (rc >= 0) {
      sqlite3_result_text64(ctx, (const char *)out, len, sqlite3_free, SQLITE_UTF8);
      out = NULL;
      goto replace_end;
    }
    sqlite3_free(out);
    out = NULL;
    if (rc == PCRE2_ERROR_NOMEMORY && attempt == 0 && len > cap) {
      cap = len;
      continue;
    }
    if (rc == PCRE2_ERROR_NOMEMORY) {
      sqlite3_result_error_nomem(ctx);
    } else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
               rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      match_error(ctx, fn, re, s, n, rc);
    } else {
      /* everything else is about the replacement string: $9 with no such
      ** group, an unterminated ${, ... */
      char *m = pcre2_message(rc);
      char *q = text_repr(r, nr);
      char *qp = text_repr(re->pat, re->n);
      zc_errorf(ctx, "%s: replacement %s for pattern %s: %s at offset %llu", fn, q ? q : "?",
                qp ? qp : "?", m ? m : "?", (unsigned long long)len);
      sqlite3_free(qp);
      sqlite3_free(q);
      sqlite3_free(m);
    }
    goto replace_end;
  }
replace_end:
  sqlite3_free(out);
}

int zc_regex_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  static const ZcFunc aFunc[] = {
      {"regexp", 2, ZC_PURE, regexp_func},
      {"regexp_like", 2, ZC_PURE, regexp_like_func},
      {"regexp_substr", 2, ZC_PURE, regexp_substr_func},
      {"regexp_capture", 2, ZC_PURE, regexp_capture_func},
      {"regexp_capture", 3, ZC_PURE, regexp_capture_func},
      {"regexp_replace", 3, ZC_PURE, regexp_replace_func},
  };
  int rc = cache_init(zc);
  if (rc != SQLITE_OK) return rc;
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
