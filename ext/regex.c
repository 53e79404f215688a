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
** blob or not valid UTF-8, an exceeded match limit, an exhausted time budget
** and an interrupt.  Values echoed in messages are cut near 60 bytes on a
** character boundary, and shown in hex when not UTF-8 (text_repr).
**
** Caching.  A compiled pattern (code + JIT code + match data, refcounted
** ZcRe) lives in a per-connection LRU of ZC_RE_LRU entries keyed by the
** pattern's bytes, and is also attached to the pattern argument with
** sqlite3_set_auxdata, so a constant pattern costs one lookup per statement
** and a pattern that varies per row (a column) still hits the LRU.
**
** Searching (re_search).  The subject's UTF-8 is checked once (our own scan,
** since pcre2_jit_match skips PCRE2's check); every PCRE2 call after that
** says PCRE2_NO_UTF_CHECK.  PCRE2's match limit counts backtracking steps
** per starting position, in the JIT as in the interpreter, and does not
** count a simple repeat such as [ab]*? at all: one pcre2_match over a long
** text may run for minutes (`[ab]*?c|a` rescans the rest of the text from
** every position), and nothing can stop it from outside.  So a search is
** cut into runs over windows of starting positions (pcre2_set_offset_limit,
** on a copy of the pattern compiled with PCRE2_USE_OFFSET_LIMIT the first
** time a text is long enough; the flag slows the JIT code by a few per
** cent, so short texts keep the plain code), each small enough to
** finish in milliseconds: a window of W positions with a per-position limit
** of G steps, where W * (G + bytes to the end) stays under RE_RUN_WORK.  G
** starts small; a window that exceeds it is run again with a smaller W and
** a larger G, up to ZC_RE_MATCH_LIMIT, which is the real per-position limit
** ("match limit exceeded").  Between runs the call looks at the clock every
** RE_CHECK_WORK units of worst-case work: every RE_POLL_NS it polls
** zc_interrupted() (sqlite3_interrupt and the host's progress handler), and
** the whole call has a time budget of RE_TIME_BASE_NS + RE_TIME_BYTE_NS per
** byte of text.  A short call never reads the clock.  Results are exactly
** one pcre2_match's: runs resume at the next character as PCRE2's own
** bumpalong would (CRLF included); patterns whose result depends on where a
** search began — \G not at the start, (*COMMIT), (*SKIP),
** (*NOTEMPTY_ATSTART) — are searched in one run (re->whole), and so is
** every search without the JIT (see re_search).
**
** regexp_replace is our own loop over matches with pcre2_substitute's rules
** (empty matches: a retry at the same place with PCRE2_NOTEMPTY_ATSTART,
** then one character on), so it shares the budget and the polling, and the
** retry runs in the JIT too (PCRE2 10.42's substitute asks for
** PCRE2_ANCHORED there, which sends every retry to the interpreter; a
** window of one position is the same thing).  The replacement is parsed
** once per call into literal and group pieces; anything rarer ($*MARK, an
** unknown group, a syntax error) is expanded by pcre2_substitute with
** PCRE2_SUBSTITUTE_MATCHED, which also gives PCRE2's own error.
**
** Internal API for other modules: regex.h (zc_regex_get, zc_regex_match,
** zc_regex_groups, zc_regex_first_set).
*/
#include "modules.h"
#include "regex.h"
#include <string.h>
#include <time.h>
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
#define ZC_RE_MATCH_LIMIT 10000000u    /* steps at one starting position (PCRE2's default) */
#define ZC_RE_DEPTH_LIMIT 1000000u     /* backtracking depth (interpreter) */
#define ZC_RE_HEAP_LIMIT 65536u        /* KiB of backtracking heap (interpreter) */
#define ZC_RE_JIT_STACK_MIN (32 * 1024)
#define ZC_RE_JIT_STACK_MAX (1024 * 1024)
#define ZC_RE_COMPILE_FLAGS (PCRE2_UTF | PCRE2_UCP)
/* the windowed copy (ZcRe.code_win): PCRE2_USE_OFFSET_LIMIT costs the JIT
** code a few per cent, so short texts run the plain one */
#define ZC_RE_WINDOW_FLAGS (ZC_RE_COMPILE_FLAGS | PCRE2_USE_OFFSET_LIMIT)

/* The search's windows and clock (see the header comment).  Work units:
** one step of PCRE2's match limit or one byte a start position may scan,
** each about a nanosecond in the JIT. */
#define RE_FREE_STEPS 256u             /* first per-position limit of a window */
#define RE_RUN_WORK (1ull << 24)       /* worst-case work of one run */
#define RE_CHECK_WORK (1ull << 24)     /* worst-case work between looks at the clock */
#define RE_GROW_MAX 16u                /* windows up to 16x that while runs are fast */
#define RE_FAST_NS 5000000ll           /* "fast": the work between two looks took < 5 ms */
#define RE_POLL_NS 5000000ll           /* poll the interrupt every 5 ms */
#define RE_TIME_BASE_NS 1000000000ll   /* time budget of a call: 1 s ... */
#define RE_TIME_BYTE_NS 1000ll         /* ... + 1 us per byte of text */
#define RE_VALGRIND_SLOWDOWN 50        /* the budget under valgrind */

/* One compiled pattern.  nRef counts the LRU slot, the pinned list and each
** statement's auxdata holding it. */
typedef struct ZcRe {
  int nRef;
  int jit;                 /* 1 when pcre2_jit_compile succeeded */
  int anchored;            /* PCRE2 tries one starting position only */
  int whole;               /* searched in one run (see window_unsafe) */
  int crlf_bump;           /* bumpalong skips the LF of a CRLF (pcre2_match's rule) */
  uint32_t newline;        /* PCRE2_INFO_NEWLINE */
  uint32_t limit;          /* per-position steps: ours or the pattern's (*LIMIT_MATCH=) */
  uint32_t ncap;           /* capture groups */
  uint64_t hash;
  size_t n;
  char *pat;               /* n bytes + NUL */
  pcre2_code *code;
  pcre2_code *code_win;    /* the same with PCRE2_USE_OFFSET_LIMIT, made when first needed */
  int jit_win;             /* code_win is JIT-compiled */
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
  uint32_t limit_set;      /* mctx's match limit and offset limit as last set */
  PCRE2_SIZE offset_set;
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
  pcre2_code_free(re->code_win);
  sqlite3_free(re->pat);
  sqlite3_free(re);
}

/* 1 when a search for pat cannot be cut into windows without changing its
** result: \G outside the start (it means "where this search began"), and
** the verbs that end or move PCRE2's bumpalong.  Read from the text, so a
** literal "\\G" or "(*SKIP" in a class only costs the windows. */
static int window_unsafe(const char *p, size_t n) {
  static const char *const verbs[] = {"(*COMMIT", "(*SKIP", "(*NOTEMPTY_ATSTART"};
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\\') {
      if (i + 1 < n && p[i + 1] == 'G') return 1;
      i++;
    } else if (p[i] == '(' && i + 1 < n && p[i + 1] == '*') {
      for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
        size_t k = strlen(verbs[v]);
        if (n - i >= k && memcmp(p + i, verbs[v], k) == 0) return 1;
      }
    }
  }
  return 0;
}

/* What the search needs to know about a compiled pattern. */
static void re_info(ZcRe *re) {
  uint32_t v = 0;
  if (pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ncap) != 0) re->ncap = 0;
  re->limit = ZC_RE_MATCH_LIMIT;
  if (pcre2_pattern_info(re->code, PCRE2_INFO_MATCHLIMIT, &v) == 0 && v < re->limit)
    re->limit = v ? v : 1;
  v = 0;
  pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS, &v);
  re->anchored = (v & PCRE2_ANCHORED) != 0;
  re->whole = !re->anchored && window_unsafe(re->pat, re->n);
  pcre2_pattern_info(re->code, PCRE2_INFO_NEWLINE, &re->newline);
  v = 0;
  pcre2_pattern_info(re->code, PCRE2_INFO_HASCRORLF, &v);
  re->crlf_bump = v == 0 && (re->newline == PCRE2_NEWLINE_CRLF || re->newline == PCRE2_NEWLINE_ANY ||
                             re->newline == PCRE2_NEWLINE_ANYCRLF);
}

/* Compile pat[0..n) into a new ZcRe with nRef 1. */
static int re_compile(const ZcConn *zc, const char *pat, size_t n, uint64_t hash, ZcRe **out, char **pzErr) {
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
    /* a message that cannot be made whole is SQLITE_NOMEM, not a message
    ** with holes */
    char *q = text_repr(pat, n);
    char *m = pcre2_message(errcode);
    if (q && m)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "pattern %s is not a valid regular expression: %s at offset %llu",
                                     "模式 %s 不是有效的正则表达式：%s（位于第 %llu 个字节处）"),
                               q, m, (unsigned long long)erroff);
    sqlite3_free(q);
    sqlite3_free(m);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    goto re_compile_error;
  }
  /* JIT is an optimisation: when it fails (unsupported CPU, no executable
  ** memory) the interpreter is used. */
  re->jit = !ZC_UNDER_VALGRIND() && pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
  re_info(re);
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

/* re->code_win: the pattern again with PCRE2_USE_OFFSET_LIMIT (it compiled
** once, so only memory can fail: nonzero). */
static int re_compile_windowed(ZcRe *re) {
  int errcode = 0;
  PCRE2_SIZE erroff = 0;
  re->code_win = pcre2_compile((PCRE2_SPTR)re->pat, re->n, ZC_RE_WINDOW_FLAGS, &errcode, &erroff, NULL);
  if (re->code_win == NULL) return 1;
  re->jit_win = re->jit && pcre2_jit_compile(re->code_win, PCRE2_JIT_COMPLETE) == 0;
  return 0;
}

static int cache_init(ZcConn *zc) {
  if (zc->regex) return SQLITE_OK;
  struct ZcRegexCache *c = sqlite3_malloc(sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->mctx = pcre2_match_context_create(NULL);
  if (c->mctx == NULL) goto cache_init_error;
  c->limit_set = ZC_RE_MATCH_LIMIT;
  c->offset_set = PCRE2_UNSET;
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
  int rc = re_compile(zc, pat, n, h, &re, pzErr);
  if (rc != SQLITE_OK) return rc;
  re_release(c->lru[victim]);
  c->lru[victim] = re;
  c->used[victim] = c->tick;
  *out = re;
  return SQLITE_OK;
}

/* ------------------------------------------------------------------ search */

/* One call's search state: the subject, and the work, clock and budget
** shared by all the call's runs. */
typedef struct ReCall {
  ZcConn *zc;
  pcre2_match_context *mctx;
  ZcRe *re;                 /* NULL: a code zc_regex_get did not make (one plain run) */
  const pcre2_code *code;
  pcre2_match_data *md;
  const char *s;
  size_t n;
  uint32_t g;               /* per-position limit of the next window */
  uint32_t grow;            /* windows are grow x the worst-case-safe size */
  uint64_t work;            /* worst-case work since the clock was last read */
  long long t_look;         /* CLOCK_MONOTONIC ns of the last look; 0: none yet */
  long long t_poll;         /* ... of the last poll of the interrupt */
  long long deadline;       /* ns */
} ReCall;

static void call_init(ReCall *k, ZcConn *zc, ZcRe *re, const pcre2_code *code,
                      pcre2_match_data *md, const char *s, size_t n) {
  memset(k, 0, sizeof *k);
  k->zc = zc;
  k->mctx = zc->regex->mctx;
  k->re = re;
  k->code = code;
  k->md = md;
  k->s = s;
  k->n = n;
  k->g = RE_FREE_STEPS;
  k->grow = 1;
}

/* The call's time budget in ns for a text of n bytes. */
static long long call_budget_ns(size_t n) {
  long long ns = RE_TIME_BASE_NS + RE_TIME_BYTE_NS * (long long)(n > (size_t)1e12 ? (size_t)1e12 : n);
  return ZC_UNDER_VALGRIND() ? ns * RE_VALGRIND_SLOWDOWN : ns;
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* Called when RE_CHECK_WORK of worst-case work has been done since the
** last look: 0 to go on, else ZC_REGEX_INTERRUPTED or ZC_REGEX_OVER_BUDGET.
** The budget's clock starts at the first look.  Windows sized for the
** worst case are often far too small (PCRE2 skips ahead within a call, and
** looks up to 500 KB ahead for a required character in each call): while
** the work between looks takes under RE_FAST_NS they double, up to
** RE_GROW_MAX times; a slow stretch puts them back. */
static int call_check(ReCall *k) {
  long long t = now_ns();
  k->work = 0;
  if (k->t_look == 0) {
    /* the first look only starts the clocks: a search of a few KB ends
    ** soon after, and polling (~10 us) would cost more than it */
    k->t_look = k->t_poll = t;
    k->deadline = t + call_budget_ns(k->n);
    return 0;
  }
  if (t > k->deadline) return ZC_REGEX_OVER_BUDGET;
  if (t - k->t_look < RE_FAST_NS) {
    if (k->grow < RE_GROW_MAX) k->grow *= 2;
  } else {
    k->grow = 1;
  }
  k->t_look = t;
  if (t - k->t_poll < RE_POLL_NS) return 0;
  k->t_poll = t;
  return zc_interrupted(k->zc) ? ZC_REGEX_INTERRUPTED : 0;
}

/* Where PCRE2's bumpalong would try next after the positions up to x - 1:
** x, moved off UTF-8 continuation bytes, and past the LF of a CRLF when
** pcre2_match would skip it. */
static size_t next_start(const ReCall *k, size_t x) {
  const unsigned char *s = (const unsigned char *)k->s;
  while (x < k->n && (s[x] & 0xC0) == 0x80) x++;
  if (k->re->crlf_bump && x > 0 && x < k->n && s[x - 1] == '\r' && s[x] == '\n') x++;
  return x;
}

/* One PCRE2 call: starting positions start..last (last >= n: all), at most
** limit steps each.  Counts its worst-case work and looks at the clock when
** due; answers PCRE2's result or ZC_REGEX_INTERRUPTED/OVER_BUDGET. */
static int re_run(ReCall *k, size_t start, size_t last, uint32_t limit, uint32_t opts) {
  struct ZcRegexCache *cache = k->zc->regex;
  const pcre2_code *code = k->code;
  int jit = k->re && k->re->jit;
  PCRE2_SIZE offset_limit = PCRE2_UNSET;
  if (last < k->n) { /* a window: the copy that takes an offset limit */
    if (k->re->code_win == NULL && re_compile_windowed(k->re) != 0) return PCRE2_ERROR_NOMEMORY;
    code = k->re->code_win;
    jit = k->re->jit_win;
    offset_limit = last;
  }
  if (cache->limit_set != limit) pcre2_set_match_limit(k->mctx, cache->limit_set = limit);
  if (cache->offset_set != offset_limit)
    pcre2_set_offset_limit(k->mctx, cache->offset_set = offset_limit);
  int rc;
  if (jit)
    rc = pcre2_jit_match(code, (PCRE2_SPTR)k->s, k->n, start, opts, k->md, k->mctx);
  else
    rc = pcre2_match(code, (PCRE2_SPTR)k->s, k->n, start, opts | PCRE2_NO_UTF_CHECK, k->md,
                     k->mctx);
  if (k->re == NULL) return rc; /* a foreign code: one run, nothing to count */
  size_t end = last < k->n ? last : k->n;
  if (rc >= 0) {
    size_t b = pcre2_get_startchar(k->md);
    if (b < end) end = b;
  }
  k->work += (uint64_t)(end - start + 1) * (limit + (k->n - start) + 1);
  if (k->work >= RE_CHECK_WORK) {
    int c = call_check(k);
    if (c != 0) return c;
  }
  return rc;
}

/* The last starting position of the window from pos: as many positions as
** keep a run's worst case under RE_RUN_WORK at the current per-position
** limit, times k->grow. */
static size_t window_last(const ReCall *k, size_t pos) {
  uint64_t per = (uint64_t)k->g + (k->n - pos) + 1;
  if ((uint64_t)(k->n - pos + 1) * per <= RE_RUN_WORK) return k->n; /* the usual short text */
  uint64_t w = RE_RUN_WORK / per;
  if (w < 1) w = 1;
  if (k->g < k->re->limit) w *= k->grow; /* one position at the full limit stays one */
  return w > k->n - pos ? k->n : pos + (size_t)w - 1;
}

/* One run over start..last that cannot be cut further (one position, or
** re->whole): the per-position limit starts at g and grows eightfold after
** each exceeded one, up to the pattern's limit, the clock looked at in
** between. */
static int re_run_ladder(ReCall *k, size_t start, size_t last, uint32_t g, uint32_t opts) {
  if (g > k->re->limit) g = k->re->limit;
  for (;;) {
    int rc = re_run(k, start, last, g, opts);
    if (rc != PCRE2_ERROR_MATCHLIMIT || g >= k->re->limit) return rc;
    g = g > k->re->limit / 8 ? k->re->limit : g * 8;
    int c = call_check(k);
    if (c != 0) return c;
  }
}

/* A search that must be one run (re->whole): as small a first limit as
** keeps the run's worst case near RE_RUN_WORK, at least RE_FREE_STEPS. */
static int re_search_whole(ReCall *k, size_t start) {
  uint64_t per = RE_RUN_WORK / ((uint64_t)(k->n - start) + 1);
  uint32_t g = per < RE_FREE_STEPS ? RE_FREE_STEPS : per > k->re->limit ? k->re->limit : (uint32_t)per;
  return re_run_ladder(k, start, k->n, g, 0);
}

/* The first match of k->re in k->s from byte offset start, as one
** pcre2_match from start would find it.  notempty: PCRE2_NOTEMPTY_ATSTART
** at start only, and no other position (pcre2_substitute's retry after an
** empty match).  Answers PCRE2's result, ZC_REGEX_INTERRUPTED or
** ZC_REGEX_OVER_BUDGET. */
static int re_search(ReCall *k, size_t start, int notempty) {
  if (k->re == NULL) return re_run(k, start, k->n, ZC_RE_MATCH_LIMIT, 0);
  /* an anchored pattern tries start only, whatever the offset limit */
  if (k->re->anchored)
    return re_run_ladder(k, start, k->n, RE_FREE_STEPS, notempty ? PCRE2_NOTEMPTY_ATSTART : 0);
  if (notempty) return re_run_ladder(k, start, start, RE_FREE_STEPS, PCRE2_NOTEMPTY_ATSTART);
  if (k->re->whole) return re_search_whole(k, start);
  /* The interpreter looks for a possible start up to the end of the text
  ** whatever the offset limit, so windows would read a long text once per
  ** window: without the JIT (valgrind; a platform PCRE2 cannot JIT for) a
  ** search is one run, stopped only between matches. */
  if (!k->re->jit) return re_run(k, start, k->n, k->re->limit, 0);
  size_t pos = start;
  for (;;) {
    size_t last = window_last(k, pos);
    int rc = re_run(k, pos, last, k->g, 0);
    if (rc == PCRE2_ERROR_MATCHLIMIT) {
      /* some position needs more: the same window again, narrower, with
      ** eight times the steps, down to one position at the full limit */
      if (k->g >= k->re->limit) return rc;
      k->g = k->g > k->re->limit / 8 ? k->re->limit : k->g * 8;
      continue;
    }
    if (k->g > RE_FREE_STEPS) k->g /= 2; /* back towards wide windows */
    if (rc != PCRE2_ERROR_NOMATCH || last >= k->n) return rc;
    pos = next_start(k, last + 1);
  }
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

/* The pinned ZcRe of a code from zc_regex_get. */
static ZcRe *pinned_of(struct ZcRegexCache *c, const pcre2_code *code) {
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

/* The message of a failed search (rc < 0, not NOMATCH), without the
** function's name: pattern, text and reason. */
static char *search_message(const ZcConn *zc, const char *pat, size_t np, const char *s, size_t n, int rc) {
  char *qp = pat ? text_repr(pat, np) : sqlite3_mprintf("%s", zc_tr(zc, "(compiled elsewhere)", "（在别处编译）"));
  char *qs = text_repr(s, n);
  char *m = NULL;
  if (rc == ZC_REGEX_OVER_BUDGET) {
    m = sqlite3_mprintf(zc_tr(zc, "the search ran longer than a call may (%lld ms for a text of %llu bytes: "
                                  "%lld ms + %lld ms per MB); the pattern rescans or backtracks too much, "
                                  "make it more specific",
                              "查找用的时间超过了一次调用的上限（%lld 毫秒，文本 %llu 字节：%lld 毫秒加每 MB %lld 毫秒）；"
                              "模式反复扫描或回溯太多，请把模式写得更具体"),
                        call_budget_ns(n) / 1000000, (unsigned long long)n,
                        RE_TIME_BASE_NS / 1000000, RE_TIME_BYTE_NS * 1000000 / 1000000);
  } else {
    char *e = pcre2_message(rc);
    int hint = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
               rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
    if (e) m = sqlite3_mprintf("%s%s", e, hint ? zc_tr(zc, " (the pattern backtracks too much; make it more specific)",
                                                             "（模式回溯太多，请写得更具体）") : "");
    sqlite3_free(e);
  }
  char *out = NULL;
  if (qp && qs && m) out = sqlite3_mprintf(zc_tr(zc, "pattern %s on text %s: %s", "模式 %s 查找文本 %s 时出错：%s"), qp, qs, m);
  sqlite3_free(qp);
  sqlite3_free(qs);
  sqlite3_free(m);
  return out;
}

int zc_regex_match(ZcConn *zc, const pcre2_code *code, const char *subj, size_t n,
                   size_t start, pcre2_match_data *md, char **pzErr) {
  int rc = cache_init(zc);
  if (rc != SQLITE_OK) return PCRE2_ERROR_NOMEMORY;
  size_t bad = 0;
  if (!zc_utf8_valid((const unsigned char *)subj, n, &bad)) {
    char *q = text_repr(subj, n);
    if (q)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "text %s is not valid UTF-8 (bad byte at offset %llu)",
                                     "文本 %s 不是有效的 UTF-8（第 %llu 个字节处有错误字节）"), q,
                               (unsigned long long)bad);
    sqlite3_free(q);
    return *pzErr ? PCRE2_ERROR_BADDATA : PCRE2_ERROR_NOMEMORY;
  }
  /* A code zc_regex_get did not make has no PCRE2_USE_OFFSET_LIMIT: one
  ** plain run, with the per-position limit only. */
  ReCall k;
  ZcRe *re = pinned_of(zc->regex, code);
  call_init(&k, zc, re, code, md, subj, n);
  rc = re_search(&k, start, 0);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) {
    if (rc == PCRE2_ERROR_NOMEMORY) return rc;
    if (rc == ZC_REGEX_INTERRUPTED) *pzErr = sqlite3_mprintf("%s", zc_tr(zc, "interrupted", "已中断"));
    else *pzErr = search_message(zc, re ? re->pat : NULL, re ? re->n : 0, subj, n, rc);
    return *pzErr ? rc : PCRE2_ERROR_NOMEMORY;
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
    if (q) zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: %s %s is a blob, expected text", "%s：%s %s 是二进制数据（blob），应为文本"),
                     fn, what, q);
    else sqlite3_result_error_nomem(ctx);
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
    if (q)
      zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: %s %s is not valid UTF-8 (bad byte at offset %llu)",
                           "%s：%s %s 不是有效的 UTF-8（第 %llu 个字节处有错误字节）"), fn, what, q,
                (unsigned long long)bad);
    else
      sqlite3_result_error_nomem(ctx);
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
    if (err) zc_errorf(ctx, ZC_COLON(zc), fn, err);
    else if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
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

/* Report a failed search (rc < 0, not NOMATCH): an interrupt as
** SQLITE_INTERRUPT, anything else with the pattern, the text and why. */
static void search_error(sqlite3_context *ctx, const char *fn, const ZcRe *re, const char *s,
                         size_t n, int rc) {
  if (rc == PCRE2_ERROR_NOMEMORY) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (rc == ZC_REGEX_INTERRUPTED) {
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: interrupted", "%s：已中断"), fn);
    sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
    return;
  }
  char *m = search_message(ZC_CTX(ctx), re->pat, re->n, s, n, rc);
  if (m) zc_errorf(ctx, ZC_COLON(ZC_CTX(ctx)), fn, m);
  else sqlite3_result_error_nomem(ctx);
  sqlite3_free(m);
}

/* The usual single search, on a short text: one run of the plain JIT code
** at RE_FREE_STEPS per position, with nothing to count, since its worst
** case is below the first look at the clock.  PCRE2_ERROR_MATCHLIMIT also
** when it does not apply: then re_search does the search. */
static int search_short(ZcConn *zc, const ZcRe *re, const char *s, size_t n) {
  if (!re->jit || re->whole || (uint64_t)(n + 1) * (RE_FREE_STEPS + n + 1) > RE_CHECK_WORK)
    return PCRE2_ERROR_MATCHLIMIT;
  struct ZcRegexCache *c = zc->regex;
  if (c->limit_set != RE_FREE_STEPS) pcre2_set_match_limit(c->mctx, c->limit_set = RE_FREE_STEPS);
  if (c->offset_set != PCRE2_UNSET) pcre2_set_offset_limit(c->mctx, c->offset_set = PCRE2_UNSET);
  return pcre2_jit_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, c->mctx);
}

/* Shared front half: text argument iText, pattern argument iPat.  Answers
** 1 with the search done (*prc = PCRE2 result >= 0 or NOMATCH), 0 when the
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
  int rc = search_short(zc, re, s, n);
  if (rc == PCRE2_ERROR_MATCHLIMIT) {
    ReCall k;
    call_init(&k, zc, re, re->code, re->md, s, n);
    rc = re_search(&k, 0, 0);
  }
  if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
    search_error(ctx, fn, re, s, n, rc);
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
  const unsigned char *z = t == SQLITE_TEXT ? sqlite3_value_text(v) : NULL;
  int bytes = sqlite3_value_bytes(v);
  /* Text SQLite reads as a number ('1', ' 2', '1.0') is a group number: a
  ** group name starts with a letter or '_', never a digit, sign or space. */
  if (z && !((z[0] | 0x20) >= 'a' && (z[0] | 0x20) <= 'z') && z[0] != '_' && z[0] < 0x80)
    t = sqlite3_value_numeric_type(v);
  if (t == SQLITE_INTEGER ||
      (t == SQLITE_FLOAT && sqlite3_value_double(v) == (double)sqlite3_value_int64(v))) {
    sqlite3_int64 n = sqlite3_value_int64(v);
    if (n < 0 || n > (sqlite3_int64)re->ncap) return 0; /* as sqlean: no such group, NULL */
    g[0] = (uint32_t)n;
    *ng = 1;
    return 1;
  }
  if (t == SQLITE_TEXT) {
    if (z == NULL) {
      sqlite3_result_error_nomem(ctx);
      return -1;
    }
    /* a name with a NUL in it is no name of the pattern */
    int n = (int)strlen((const char *)z) == bytes ? zc_regex_groups(re->code, (const char *)z, g, max) : 0;
    if (n > 0) {
      *ng = n < max ? n : max;
      return 1;
    }
  }
  char *q = group_repr(v);
  char *qp = text_repr(re->pat, re->n);
  if (q == NULL || qp == NULL) sqlite3_result_error_nomem(ctx);
  else if (t == SQLITE_TEXT) zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: pattern %s has no group named %s",
                                                          "%s：模式 %s 里没有名为 %s 的分组"), fn, qp, q);
  else zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: group %s is neither a group number nor a group name",
                               "%s：分组 %s 既不是分组编号，也不是分组名称"), fn, q);
  sqlite3_free(q);
  sqlite3_free(qp);
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

/* ------------------------------------------------------------------ replace */

#define RE_TPL_PIECES 32
#define RE_TPL_GROUPS 64
#define RE_TOOBIG (-2001)          /* the result would pass SQLITE_LIMIT_LENGTH */

/* A replacement parsed once per call: literal runs of it and group
** references ($n ${n} $name ${name}, read as pcre2_substitute reads them;
** a name used twice with (?J) keeps all its groups, the first one set is
** used).  complex: anything else ($*MARK, a group the pattern does not
** have, a syntax error, too many pieces), expanded by pcre2_substitute. */
typedef struct ReTpl {
  int complex;
  int n, ng;
  struct {
    int lit;
    size_t a, b;           /* lit: r[a..b); else groups g[a..b) */
  } p[RE_TPL_PIECES];
  uint32_t g[RE_TPL_GROUPS];
} ReTpl;

static void tpl_piece(ReTpl *t, int lit, size_t a, size_t b) {
  if (t->n == RE_TPL_PIECES) {
    t->complex = 1;
    return;
  }
  t->p[t->n].lit = lit;
  t->p[t->n].a = a;
  t->p[t->n].b = b;
  t->n++;
}

/* PCRE2's name characters in a replacement: its default (C locale) word
** characters. */
static int tpl_word(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* The reference at r[i] == '$': its pieces, and the offset after it; 0
** when it is not one of the simple forms. */
static size_t tpl_ref(ReTpl *t, const ZcRe *re, const char *r, size_t nr, size_t i) {
  size_t j = i + 1;
  if (j >= nr) return 0;
  if (r[j] == '$') {
    tpl_piece(t, 1, j, j + 1);
    return j + 1;
  }
  int braced = r[j] == '{';
  if (braced && ++j >= nr) return 0;
  size_t g0 = (size_t)t->ng;
  if (r[j] >= '0' && r[j] <= '9') {
    uint64_t num = 0;
    for (; j < nr && r[j] >= '0' && r[j] <= '9'; j++) {
      num = num * 10 + (uint64_t)(r[j] - '0');
      if (num > re->ncap) return 0; /* PCRE2 says which error */
    }
    if (t->ng == RE_TPL_GROUPS) return 0;
    t->g[t->ng++] = (uint32_t)num;
  } else {
    char name[33];
    size_t k = 0;
    for (; j < nr && tpl_word(r[j]); j++) {
      if (k == 32) return 0;
      name[k++] = r[j];
    }
    if (k == 0) return 0;
    name[k] = 0;
    int cnt = zc_regex_groups(re->code, name, t->g + t->ng, RE_TPL_GROUPS - t->ng);
    if (cnt <= 0 || cnt > RE_TPL_GROUPS - t->ng) return 0;
    t->ng += cnt;
  }
  if (braced) {
    if (j >= nr || r[j] != '}') return 0;
    j++;
  }
  tpl_piece(t, 0, g0, (size_t)t->ng);
  return j;
}

static void tpl_parse(ReTpl *t, const ZcRe *re, const char *r, size_t nr) {
  t->complex = t->n = t->ng = 0;
  size_t i = 0;
  while (i < nr && !t->complex) {
    const char *d = memchr(r + i, '$', nr - i);
    size_t j = d ? (size_t)(d - r) : nr;
    if (j > i) tpl_piece(t, 1, i, j);
    if (j == nr) break;
    i = tpl_ref(t, re, r, nr, j);
    if (i == 0) t->complex = 1;
  }
}

/* The replacement for the match in md, appended to out. */
static void tpl_expand(ZcBuf *out, const ReTpl *t, const char *r, const char *s,
                       pcre2_match_data *md) {
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  for (int i = 0; i < t->n; i++) {
    size_t a = t->p[i].a, b = t->p[i].b;
    if (t->p[i].lit) {
      zc_buf_add(out, r + a, b - a);
      continue;
    }
    uint32_t g = zc_regex_first_set(md, t->g + a, (int)(b - a));
    if (ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] > ov[2 * g]) /* unset: empty */
      zc_buf_add(out, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
  }
}

/* The same by pcre2_substitute, for a complex replacement: 0, or its error
** with *poff the offset in the replacement. */
static int tpl_substitute(ZcBuf *out, ReCall *k, size_t start, const char *r, size_t nr,
                          PCRE2_SIZE *poff) {
  const uint32_t opts = PCRE2_SUBSTITUTE_MATCHED | PCRE2_SUBSTITUTE_REPLACEMENT_ONLY |
                        PCRE2_SUBSTITUTE_UNSET_EMPTY | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
                        PCRE2_NO_UTF_CHECK;
  size_t want = nr + 64;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!zc_buf_need(out, want)) return PCRE2_ERROR_NOMEMORY;
    PCRE2_SIZE len = out->cap - out->n;
    int rc = pcre2_substitute(k->code, (PCRE2_SPTR)k->s, k->n, start, opts, k->md, k->mctx,
                              (PCRE2_SPTR)r, nr, (PCRE2_UCHAR *)out->z + out->n, &len);
    if (rc >= 0) {
      out->n += len;
      return 0;
    }
    if (rc != PCRE2_ERROR_NOMEMORY || len == PCRE2_UNSET || len <= want) {
      *poff = len;
      return rc;
    }
    want = len; /* the length it needs, its terminating NUL included */
  }
  return PCRE2_ERROR_NOMEMORY;
}

/* One character on from start after an empty match that cannot be
** followed by another at the same place (pcre2_substitute's rule: a CRLF
** counts as one unless the newline is CR or LF alone). */
static size_t replace_step(const ReCall *k, size_t start) {
  const char *s = k->s;
  start++;
  if (s[start - 1] == '\r' && k->re->newline != PCRE2_NEWLINE_CR &&
      k->re->newline != PCRE2_NEWLINE_LF && start < k->n && s[start] == '\n')
    return start + 1;
  while (start < k->n && ((unsigned char)s[start] & 0xC0) == 0x80) start++;
  return start;
}

/* Every match replaced, with pcre2_substitute's global rules: after an
** empty match, a non-empty one is tried at the same place first, then the
** search moves one character on.  Answers 0, a search error, a
** replacement error (*in_tpl set, *poff its offset), RE_TOOBIG. */
static int replace_all(ReCall *k, const ReTpl *t, const char *r, size_t nr, ZcBuf *out,
                       size_t maxlen, int *in_tpl, PCRE2_SIZE *poff) {
  const char *s = k->s;
  size_t start = 0, prev_b = SIZE_MAX, prev_e = SIZE_MAX, prev_start = SIZE_MAX;
  int notempty = 0;
  for (;;) {
    int rc = re_search(k, start, notempty);
    if (rc == PCRE2_ERROR_NOMATCH) {
      if (!notempty || start >= k->n) break;
      size_t from = start;
      start = replace_step(k, start);
      zc_buf_add(out, s + from, start - from);
      notempty = 0;
      continue;
    }
    if (rc < 0) return rc;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(k->md);
    size_t b = ov[0], e = ov[1];
    if (e < b || b < start) return PCRE2_ERROR_BADSUBSPATTERN; /* \K before the start */
    if (b == prev_b && e == prev_e) {
      /* the same empty match again: a pattern like (?<=\G.) moved on by
      ** itself; now try for a non-empty one here */
      if (b != e || prev_start == start) return PCRE2_ERROR_INTERNAL_DUPMATCH;
      notempty = 1;
      prev_start = start;
      continue;
    }
    zc_buf_add(out, s + start, b - start);
    if (!t->complex) {
      tpl_expand(out, t, r, s, k->md);
    } else if ((rc = tpl_substitute(out, k, start, r, nr, poff)) != 0) {
      *in_tpl = rc != PCRE2_ERROR_NOMEMORY;
      return rc;
    }
    if (out->oom) return PCRE2_ERROR_NOMEMORY;
    if (out->n > maxlen) return RE_TOOBIG;
    prev_b = b;
    prev_e = e;
    prev_start = start;
    notempty = b == e && b == start;
    start = e;
  }
  zc_buf_add(out, s + start, k->n - start);
  return out->oom ? PCRE2_ERROR_NOMEMORY : out->n > maxlen ? RE_TOOBIG : 0;
}

/* regexp_replace(text, pattern, replacement): every match replaced. */
static void regexp_replace_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *fn = "regexp_replace";
  const char *s = NULL, *p = NULL, *r = NULL;
  size_t n = 0, np = 0, nr = 0;
  if (arg_text(ctx, argv[0], fn, "text", 1, &s, &n) <= 0) return;
  if (arg_text(ctx, argv[1], fn, "pattern", 0, &p, &np) <= 0) return;
  if (arg_text(ctx, argv[2], fn, "replacement", 1, &r, &nr) <= 0) return;
  ZcRe *re = pattern_arg(ctx, 1, p, np, fn);
  if (re == NULL) return;
  ReTpl t;
  tpl_parse(&t, re, r, nr);
  ReCall k;
  call_init(&k, sqlite3_user_data(ctx), re, re->code, re->md, s, n);
  ZcBuf out = {0};
  int in_tpl = 0;
  PCRE2_SIZE off = 0;
  size_t maxlen = (size_t)sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
  zc_buf_need(&out, n + 64);
  int rc = replace_all(&k, &t, r, nr, &out, maxlen, &in_tpl, &off);
  if (rc == 0) {
    sqlite3_result_text64(ctx, out.z, (sqlite3_uint64)out.n, sqlite3_free, SQLITE_UTF8);
    return;
  }
  zc_buf_free(&out);
  if (rc == RE_TOOBIG) {
    sqlite3_result_error_toobig(ctx);
  } else if (!in_tpl) {
    search_error(ctx, fn, re, s, n, rc);
  } else {
    /* about the replacement: $9 with no such group, an unterminated ${, ... */
    char *m = pcre2_message(rc);
    char *q = text_repr(r, nr);
    char *qp = text_repr(re->pat, re->n);
    if (m && q && qp)
      zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: replacement %s for pattern %s: %s at offset %llu",
                           "%s：替换文本 %s（用于模式 %s）有误：%s（位于第 %llu 个字节处）"), fn, q, qp, m,
                (unsigned long long)off);
    else
      sqlite3_result_error_nomem(ctx);
    sqlite3_free(qp);
    sqlite3_free(q);
    sqlite3_free(m);
  }
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
