/*
** tests/oom/oom.c — the allocation-failure sweep (issue #12).
**
**   make oom && build/oom/oom            (tests/oom.sh runs it; docs/testing-oom.md)
**
** Every registered zhucan function is called, on tiny hand-made data, with
** the 1st, 2nd, 3rd ... allocation of that one call failing, until a call
** runs without reaching the failure.  Each attempt must end
**
**   - in SQLITE_NOMEM, or an error whose message says "out of memory", with
**     the database exactly as before the call (a per-case "state" query,
**     for settle the row counts of every run table and PRAGMA
**     integrity_check), no transaction left open, and the same call run
**     again without failures giving the undisturbed answer; or
**   - in the undisturbed answer itself (same rows, same error if the call
**     is one that fails by design), with the same database afterwards;
**
** and never in a crash, a sanitizer report or a leak: every heap block
** allocated between sqlite3_open and sqlite3_close must be freed by the
** close, and LeakSanitizer runs again when each worker process exits.
**
** How failures are injected: like SQLite's own src/test_malloc.c, a wrapper
** around SQLite's default allocator (SQLITE_CONFIG_GETMALLOC, then
** SQLITE_CONFIG_MALLOC before sqlite3_initialize) counts the xMalloc and
** xRealloc calls made while armed and fails the Nth one ("transient"), or
** the Nth and every one after it ("persistent").  So exactly the
** allocations made through sqlite3_malloc/sqlite3_realloc can fail: SQLite's
** own and zhucan's.  Allocations made straight with malloc (the Lua state's
** allocator and PCRE2, at the time of writing) cannot; the harness counts
** them in an unarmed census through AddressSanitizer's malloc hooks and
** prints them per case, by the library that made them, so the gap is
** visible.  When zhucan's Lua allocator goes through sqlite3_realloc, the
** sweep fails Lua's allocations too with no change here.
**
** Where a failure was injected: at the failing allocation the harness takes
** the stack with glibc's unwinder (AddressSanitizer's frame-pointer
** unwinder stops inside libsqlite3) and records it at once, so every
** anomaly, crashes included, names the zhucan frame whose allocation failed
** ("failure injected at: strset_get ext/facts.c:69 <- load_regions ...").
** A leaked block is placed the same way: the attempt is run again with the
** stack of every sqlite3_malloc block recorded.
**
** Process layout: the parent builds the template databases, then runs each
** case in a forked worker (two at a time).  A worker writes one line per
** attempt to a result file; when it dies (an AddressSanitizer or UBSan
** report, a signal, a hang) the parent reads the report from the worker's
** log, records the crash at the attempt that was running, and starts a new
** worker at the next attempt.  Anomalies listed in tests/oom/KNOWN.md are
** expected failures (printed XFAIL Kn); any other anomaly fails the run.
**
** The harness is built with AddressSanitizer (its malloc hooks, allocation
** stacks and leak checker are used directly) and loads the ASan build of
** the extension, build/asan/zhucan.so.  One attempt of one case can be
** replayed in-process with every outcome printed:
**
**   build/oom/oom --only settle/first --mode transient --at 140
*/
#define _GNU_SOURCE
#include <sqlite3.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Not in GCC 12's sanitizer headers (LLVM's allocator_interface.h). */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

/* Defaults for the sanitizers; ASAN_OPTIONS / UBSAN_OPTIONS still win. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=99:malloc_context_size=30:quarantine_size_mb=32";
}
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "print_stacktrace=1:halt_on_error=1"; }

#define OOM_EXIT_LEAK 99     /* ASan/LSan exit code set above */
#define OOM_ATTEMPT_SECONDS 30

/* ================================================================ options */

static struct {
  const char *root;      /* the zhucan checkout: lua/, fixtures/, sql/ */
  const char *so;        /* the extension under test */
  const char *known;     /* tests/oom/KNOWN.md */
  const char *only;      /* fnmatch pattern on case ids */
  int jobs;              /* workers at a time */
  int full;              /* attempts at every allocation before striding */
  int budget;            /* most attempts per case and mode */
  int modes;             /* 1 transient, 2 persistent, 3 both */
  int lookaside;         /* 0: SQLITE_DBCONFIG_LOOKASIDE off per connection */
  char work[512];        /* scratch directory */
} opt = {NULL, NULL, NULL, NULL, 2, 300, 360, 3, 1, ""};

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "oom: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

/* ======================================================= fault injection */

/* The allocator SQLite had before ours: its default (malloc-based) one. */
static sqlite3_mem_methods g_mem;

static struct {
  atomic_int armed;      /* counting (and maybe failing) */
  atomic_long seen;      /* xMalloc/xRealloc calls since armed */
  long fail_at;          /* 1-based allocation to fail; 0: count only */
  int persist;           /* also fail every allocation after fail_at */
  atomic_long failed;    /* failures injected since armed */
} fs;

/* The stack of the allocation made to fail (glibc's unwinder, which walks
** through libsqlite3), written to the result file at once as an F record so
** that even a crash right after it can be traced to the failure. */
static void *g_fail_fr[32];
static int g_fail_n;
static void fail_record(long n, int persist);

static int fs_should_fail(void) {
  if (!atomic_load_explicit(&fs.armed, memory_order_relaxed)) return 0;
  long n = atomic_fetch_add(&fs.seen, 1) + 1;
  if (fs.fail_at <= 0 || n < fs.fail_at) return 0;
  if (n > fs.fail_at && !fs.persist) return 0;
  if (n == fs.fail_at) {
    g_fail_n = backtrace(g_fail_fr, 32);
    fail_record(n, fs.persist);
  }
  atomic_fetch_add(&fs.failed, 1);
  return 1;
}
/* Capture mode (re-running an attempt that leaked): the full call stack of
** every sqlite3_malloc block, taken with glibc's DWARF unwinder, since
** AddressSanitizer's frame-pointer unwinder stops inside libsqlite3 (built
** without frame pointers) and so cannot say which zhucan code asked
** SQLite for a block. */
#define CAP_FRAMES 24
#define CAP_SIZE (1u << 16)
typedef struct CapSlot { uintptr_t p; int n; void *fr[CAP_FRAMES]; } CapSlot;
static CapSlot *g_cap;           /* calloc'd when first needed */
static atomic_int g_capture;
static atomic_flag g_cap_lock = ATOMIC_FLAG_INIT;

static void cap_add(void *q) {
  void *fr[CAP_FRAMES];
  int n = backtrace(fr, CAP_FRAMES);
  while (atomic_flag_test_and_set_explicit(&g_cap_lock, memory_order_acquire)) {
  }
  unsigned i = (unsigned)(((uintptr_t)q >> 4) * 0x9E3779B97F4A7C15ull >> 48) & (CAP_SIZE - 1);
  for (unsigned k = 0; k < CAP_SIZE / 2; k++, i = (i + 1) & (CAP_SIZE - 1)) {
    if (g_cap[i].p == 0 || g_cap[i].p == (uintptr_t)q) {
      g_cap[i].p = (uintptr_t)q;
      g_cap[i].n = n;
      memcpy(g_cap[i].fr, fr, sizeof fr);
      break;
    }
  }
  atomic_flag_clear_explicit(&g_cap_lock, memory_order_release);
}

static const CapSlot *cap_find(uintptr_t p) {
  if (!g_cap) return NULL;
  unsigned i = (unsigned)((p >> 4) * 0x9E3779B97F4A7C15ull >> 48) & (CAP_SIZE - 1);
  for (unsigned k = 0; k < CAP_SIZE / 2 && g_cap[i].p; k++, i = (i + 1) & (CAP_SIZE - 1))
    if (g_cap[i].p == p) return &g_cap[i];
  return NULL;
}

static void *fs_malloc(int n) {
  if (fs_should_fail()) return NULL;
  void *q = g_mem.xMalloc(n);
  if (q && atomic_load_explicit(&g_capture, memory_order_relaxed)) cap_add(q);
  return q;
}
static void *fs_realloc(void *p, int n) {
  if (fs_should_fail()) return NULL;
  void *q = g_mem.xRealloc(p, n);
  if (q && atomic_load_explicit(&g_capture, memory_order_relaxed)) cap_add(q);
  return q;
}

static void fs_install(void) {
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_mem) != SQLITE_OK) die("SQLITE_CONFIG_GETMALLOC failed");
  sqlite3_mem_methods m = g_mem;
  m.xMalloc = fs_malloc;
  m.xRealloc = fs_realloc;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) die("SQLITE_CONFIG_MALLOC failed");
  if (sqlite3_initialize() != SQLITE_OK) die("sqlite3_initialize failed");
}

static void fs_arm(long fail_at, int persist) {
  atomic_store(&fs.seen, 0);
  atomic_store(&fs.failed, 0);
  fs.fail_at = fail_at;
  fs.persist = persist;
  atomic_store(&fs.armed, 1);
}
static void fs_disarm(void) { atomic_store(&fs.armed, 0); }

/* ============================================ heap tracking (ASan hooks) */

/* Every block malloc'd (by anyone: SQLite, zhucan, Lua, PCRE2, libc) while a
** window is open goes into a set, and leaves it when freed: what is left
** when the window closes, after sqlite3_close, was leaked by the attempt.
** Linear probing with backward-shift deletion; a slot is empty when its
** generation is not the current window's. */
#define LIVE_BITS 17
#define LIVE_SIZE (1u << LIVE_BITS)
typedef struct LiveSlot { uintptr_t p; unsigned gen; } LiveSlot;
static LiveSlot g_live[LIVE_SIZE];
static unsigned g_gen = 1;
static long g_live_n;
static int g_live_full;
static atomic_int g_track;
static atomic_flag g_live_lock = ATOMIC_FLAG_INIT;

/* The census: callers of malloc while open (return address into the
** caller, i.e. frame 1 of the allocation stack), counted per call site. */
#define CEN_SIZE 4096u
typedef struct CenSlot { uintptr_t pc, pc2; long n; } CenSlot;   /* caller, its caller */
static CenSlot g_cen[CEN_SIZE];
static atomic_int g_census;

static unsigned live_hash(uintptr_t p) { return (unsigned)((p >> 4) * 0x9E3779B97F4A7C15ull >> (64 - LIVE_BITS)); }

static void live_lock(void) {
  while (atomic_flag_test_and_set_explicit(&g_live_lock, memory_order_acquire)) {
  }
}
static void live_unlock(void) { atomic_flag_clear_explicit(&g_live_lock, memory_order_release); }

static void live_add(uintptr_t p) {
  if (g_live_n >= (long)(LIVE_SIZE / 2)) {   /* 65,536 blocks: far more than a tiny case makes */
    g_live_full = 1;
    return;
  }
  unsigned i = live_hash(p);
  while (g_live[i].gen == g_gen) i = (i + 1) & (LIVE_SIZE - 1);
  g_live[i].p = p;
  g_live[i].gen = g_gen;
  g_live_n++;
}

static void live_del(uintptr_t p) {
  unsigned i = live_hash(p);
  while (g_live[i].gen == g_gen && g_live[i].p != p) i = (i + 1) & (LIVE_SIZE - 1);
  if (g_live[i].gen != g_gen) return;    /* allocated before the window */
  g_live_n--;
  /* backward-shift deletion */
  unsigned j = i;
  for (;;) {
    g_live[i].gen = 0;
    for (;;) {
      j = (j + 1) & (LIVE_SIZE - 1);
      if (g_live[j].gen != g_gen) return;
      unsigned h = live_hash(g_live[j].p);
      /* move j to i when h is not cyclically in (i, j] */
      if (i <= j ? (i < h && h <= j) : (i < h || h <= j)) continue;
      break;
    }
    g_live[i] = g_live[j];
    i = j;
  }
}

static void census_add(const volatile void *ptr) {
  void *tr[3];
  int tid;
  size_t n = __asan_get_alloc_stack((void *)ptr, tr, 3, &tid);
  uintptr_t pc = n >= 2 ? (uintptr_t)tr[1] : 0, pc2 = n >= 3 ? (uintptr_t)tr[2] : 0;
  unsigned i = (unsigned)((pc >> 2) * 0x9E3779B97F4A7C15ull >> 52) & (CEN_SIZE - 1);
  for (unsigned k = 0; k < CEN_SIZE; k++, i = (i + 1) & (CEN_SIZE - 1)) {
    if (g_cen[i].n == 0) g_cen[i].pc = pc, g_cen[i].pc2 = pc2;
    if (g_cen[i].pc == pc) {
      g_cen[i].n++;
      return;
    }
  }
}

static void hook_malloc(const volatile void *ptr, size_t size) {
  (void)size;
  if (!atomic_load_explicit(&g_track, memory_order_relaxed)) return;
  live_lock();
  live_add((uintptr_t)ptr);
  if (atomic_load_explicit(&g_census, memory_order_relaxed)) census_add(ptr);
  live_unlock();
}

static void hook_free(const volatile void *ptr) {
  if (!atomic_load_explicit(&g_track, memory_order_relaxed)) return;
  live_lock();
  live_del((uintptr_t)ptr);
  live_unlock();
}

static void window_open(void) {
  live_lock();
  g_gen++;
  g_live_n = 0;
  g_live_full = 0;
  live_unlock();
  atomic_store(&g_track, 1);
}
static void window_close(void) { atomic_store(&g_track, 0); }

/* ============================================================ text buffers */

typedef struct Buf {
  char *z;
  size_t n, cap;
} Buf;

static void buf_reset(Buf *b) {
  b->n = 0;
  if (b->z) b->z[0] = 0;
}
/* Buffers grow only outside a tracking window (buf_reserve); inside one
** they are used within their capacity and cut off with a mark. */
static void buf_reserve(Buf *b, size_t cap) {
  if (b->cap >= cap) return;
  b->z = realloc(b->z, cap);
  if (!b->z) die("out of memory");
  b->cap = cap;
  b->z[b->n] = 0;
}
static void buf_add(Buf *b, const char *s, size_t n) {
  if (b->n + n + 16 > b->cap) {
    if (b->n + 16 < b->cap) {
      static const char cut[] = "[...cut]";
      memcpy(b->z + b->n, cut, sizeof cut - 1);
      b->n += sizeof cut - 1;
      b->z[b->n] = 0;
    }
    return;
  }
  memcpy(b->z + b->n, s, n);
  b->n += n;
  b->z[b->n] = 0;
}
static void buf_puts(Buf *b, const char *s) { buf_add(b, s, strlen(s)); }
static void buf_printf(Buf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
static char *xstrdup(const char *s) {
  char *r = strdup(s ? s : "");
  if (!r) die("out of memory");
  return r;
}

/* ======================================================= running SQL */

/* The outcome of running some SQL: rc (0 or the failing primary code), the
** error message, and every row as text ('|' between columns, one row per
** line, values tagged by type so 1 and '1' differ). */
typedef struct Outcome {
  int rc;
  Buf rows;
  Buf err;
} Outcome;

static void outcome_init(Outcome *o) {
  memset(o, 0, sizeof *o);
  buf_reserve(&o->rows, 1 << 20);
  buf_reserve(&o->err, 4096);
}
static void outcome_reset(Outcome *o) {
  o->rc = 0;
  buf_reset(&o->rows);
  buf_reset(&o->err);
}

static void render_value(Buf *b, sqlite3_stmt *st, int i) {
  switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL: buf_puts(b, "NULL"); break;
    case SQLITE_INTEGER: buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, i)); break;
    case SQLITE_FLOAT: buf_printf(b, "r%.17g", sqlite3_column_double(st, i)); break;
    case SQLITE_BLOB: {
      const unsigned char *p = sqlite3_column_blob(st, i);
      int n = sqlite3_column_bytes(st, i);
      buf_puts(b, "x'");
      for (int k = 0; k < n; k++) buf_printf(b, "%02x", p[k]);
      buf_puts(b, "'");
      break;
    }
    default: {
      const char *t = (const char *)sqlite3_column_text(st, i);
      int n = sqlite3_column_bytes(st, i);
      buf_puts(b, "'");
      if (t) buf_add(b, t, (size_t)n);
      buf_puts(b, "'");
    }
  }
}

/* Runs every statement of sql; stops at the first error. */
static int run_sql(sqlite3 *db, const char *sql, Outcome *o) {
  outcome_reset(o);
  const char *tail = sql;
  while (tail && *tail) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
    if (rc != SQLITE_OK) {
      o->rc = rc;
      buf_puts(&o->err, sqlite3_errmsg(db));
      sqlite3_finalize(st);
      return rc;
    }
    if (!st) continue;   /* whitespace or a comment */
    int nc = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      for (int i = 0; i < nc; i++) {
        if (i) buf_puts(&o->rows, "|");
        render_value(&o->rows, st, i);
      }
      buf_puts(&o->rows, "\n");
    }
    if (rc != SQLITE_DONE) {
      o->rc = rc;
      buf_puts(&o->err, sqlite3_errmsg(db));
      sqlite3_finalize(st);
      return rc;
    }
    rc = sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
      o->rc = rc;
      buf_puts(&o->err, sqlite3_errmsg(db));
      return rc;
    }
  }
  return SQLITE_OK;
}

/* The "state" a failed call must leave unchanged: each statement's rows
** under its number; a statement failing with "no such table" reads as 0
** (state queries are counts), so a table created empty by a failed call,
** or never created, counts as before. */
static void run_state(sqlite3 *db, const char *sql, Outcome *o, Outcome *tmp) {
  outcome_reset(o);
  const char *tail = sql;
  int k = 0;
  while (tail && *tail) {
    sqlite3_stmt *st = NULL;
    const char *start = tail;
    int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK && tail == start) {
      buf_printf(&o->rows, "#%d error: %s\n", ++k, sqlite3_errmsg(db));
      return;
    }
    if (!st && rc == SQLITE_OK) continue;
    char one[4096];
    snprintf(one, sizeof one, "%.*s", (int)(tail - start), start);
    run_sql(db, one, tmp);
    /* "SELECT count(*) FROM t ..." reads "t=N"; others "#k rows" */
    const char *q = one + strspn(one, " \t\n");
    static const char cnt[] = "SELECT count(*) FROM ";
    if (strncasecmp(q, cnt, sizeof cnt - 1) == 0) {
      const char *t = q + sizeof cnt - 1;
      int tl = (int)strcspn(t, ";\n");
      buf_printf(&o->rows, "%.*s=", tl, t);
      ++k;
    } else {
      buf_printf(&o->rows, "#%d ", ++k);
    }
    if (tmp->rc && strstr(tmp->err.z, "no such table")) buf_puts(&o->rows, "0\n");
    else if (tmp->rc) buf_printf(&o->rows, "error: %s\n", tmp->err.z);
    else buf_puts(&o->rows, tmp->rows.z);
  }
}

static int is_nomem(const Outcome *o) {
  return (o->rc & 0xff) == SQLITE_NOMEM || (o->err.z && strstr(o->err.z, "out of memory") != NULL);
}
static int same_outcome(const Outcome *a, const Outcome *b) {
  return a->rc == b->rc && strcmp(a->rows.z, b->rows.z) == 0 && strcmp(a->err.z, b->err.z) == 0;
}
/* SQLite copies an error message into the connection under a benign
** allocation (sqlite3VdbeTransferError): when that copy fails the error
** code stands and sqlite3_errmsg() falls back to sqlite3_errstr(rc).  For a
** call that fails by design that is its own error, message lost. */
static int same_error_message_lost(const Outcome *a, const Outcome *base) {
  return base->rc != 0 && a->rc == base->rc && strcmp(a->rows.z, base->rows.z) == 0 &&
         strcmp(a->err.z, sqlite3_errstr(a->rc)) == 0;
}
/* One line describing an outcome, for anomaly reports. */
static void outcome_brief(const Outcome *o, char *out, size_t n) {
  if (o->rc) snprintf(out, n, "error %d '%.200s'", o->rc, o->err.z);
  else {
    const char *r = o->rows.z;
    size_t len = strcspn(r, "\n");
    int rows = 0;
    for (const char *p = r; *p; p++) rows += *p == '\n';
    snprintf(out, n, "%d row(s), first '%.*s'", rows, (int)(len > 160 ? 160 : len), r);
  }
}

/* Where two outcomes' rows first differ, with a little context. */
static void diff_brief(const Outcome *got, const Outcome *want, char *out, size_t n) {
  if (got->rc || want->rc) {
    char g[400], w[400];
    outcome_brief(got, g, sizeof g);
    outcome_brief(want, w, sizeof w);
    snprintf(out, n, "%s, expected %s", g, w);
    return;
  }
  const char *a = got->rows.z, *b = want->rows.z;
  size_t i = 0;
  while (a[i] && a[i] == b[i]) i++;
  size_t from = i > 40 ? i - 40 : 0;
  while (from > 0 && (a[from] & 0xC0) == 0x80) from--;   /* a UTF-8 boundary */
  int ra = 0, rb = 0;
  for (const char *p = a; *p; p++) ra += *p == '\n';
  for (const char *p = b; *p; p++) rb += *p == '\n';
  snprintf(out, n, "%d row(s), expected %d; from byte %zu got '%.100s' expected '%.100s'", ra, rb, from, a + from,
           b + from);
}


/* ================================================================ cases */

enum {
  C_NOLOAD = 1,       /* the call loads the extension itself */
  C_NOTHREADS = 2,    /* ZHUCAN_NO_THREADS=1 during the case */
};

typedef struct Case {
  const char *id;     /* family/name */
  const char *db;     /* template database */
  const char *setup;  /* unarmed, after loading, before the call */
  const char *sql;    /* the call */
  const char *post;   /* after a success: must equal the undisturbed run's */
  const char *state;  /* after a failure: must equal its value before the call */
  int flags;
  int weight;         /* budget multiplier (0: 1): settle/refused is swept whole */
} Case;

/* What a failed settle must leave as it was: the row count of every run
** table (a table that does not exist counts 0), the runs marked
** superseded, and PRAGMA integrity_check. */
#define RUN_STATE                                                                       \
  "SELECT count(*) FROM zhucan_run; SELECT count(*) FROM zhucan_run_pack;"              \
  "SELECT count(*) FROM zhucan_run_elder; SELECT count(*) FROM zhucan_run_site;"        \
  "SELECT count(*) FROM zhucan_run_item;"                                               \
  "SELECT count(*) FROM zhucan_run WHERE superseded_by IS NOT NULL;"                    \
  "PRAGMA integrity_check;"
/* What a successful settle wrote, but created_at: equal to the undisturbed
** run's. */
#define RUN_POST                                                                               \
  "SELECT id, region, month, policy_versions, policy_horizon, input_digest, output_digest,"    \
  " superseded_by, meals, subsidised_meals, total_fen FROM zhucan_run ORDER BY id;"            \
  "SELECT seq, run_id, elder_id, meals, hex(data) FROM zhucan_run_pack ORDER BY seq;"          \
  "SELECT * FROM zhucan_run_elder ORDER BY 1, 2;"                                              \
  "SELECT * FROM zhucan_run_site ORDER BY 1, 2;"                                               \
  "SELECT * FROM zhucan_run_item ORDER BY seq;"                                                \
  "PRAGMA integrity_check;"
#define POLICY_STATE "SELECT count(*) FROM zhucan_policy; SELECT coalesce(max(id), 0) FROM zhucan_policy;"
#define POLICY_POST "SELECT id, name, effective_from, sha256, source FROM zhucan_policy ORDER BY id;"

/* Most cases start with the policy runtime made (the Lua state, the stored
** versions compiled) by running the policy's self-tests, so that the sweep
** is spent on the family's own code; the cold path (the first call on a
** connection loading the policies from zhucan_policy) is swept by
** subsidy/eligible, settle/first, policy/policy_test and the cases without
** a PRIME. */
#define PRIME_ZY "SELECT policy_test('zhongyang')"
#define PRIME_TY "SELECT policy_test('taiyuan')"
#define PRIME_CR "SELECT policy_test('weihai'); SELECT policy_test('timebank')"
#define CR_POST "SELECT * FROM credit_redemption ORDER BY id; SELECT * FROM credit_transfer ORDER BY id;"
/* a credit snapshot as written, but created_at and the chain (which covers it) */
#define CS_POST                                                                                          \
  "SELECT id, region, as_of, policy_versions, policy_horizon, accounts, balance_milli, last_ids,"        \
  " ledger_digest, rows_digest, supersedes, superseded_by FROM zhucan_credit_run ORDER BY id;"          \
  "SELECT * FROM zhucan_credit_balance ORDER BY 1, 2; PRAGMA integrity_check;"
#define CS_STATE "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'zhucan_credit%'; PRAGMA integrity_check;"
#define CR_BACKDATED                                                                                     \
  "INSERT INTO credit_hours(id, volunteer_id, day, minutes, activity, verified_by)"                      \
  " VALUES (500, 2, '2025-03-02', 240, 'laundry', 'x')"

static const char *kInline =
    "return { name = 'mini', effective_from = '2024-03-01', payers = { 'city', 'county', 'village' }, params = { flat = 100 },"
    " eligible = function(e, d, s) return e.age == nil or e.age >= 60, 'all' end,"
    " meal = function(m, e, s) if m.nth_slot > 1 then return nil, 'repeat' end"
    "   return { county = 100, village = 50 }, 'flat' end,"
    " site = function(site, month, stats) return { { item = 'op', payer = 'city', fen = 1000 } } end,"
    " tests = { { name = 't1', call = 'meal', meal = { slot = 'lunch' }, expect = { county = 100, village = 50 } },"
    "           { name = 't2', call = 'eligible', day = '2024-03-05', elder = { age = 70 }, expect = true } } }";

#define SWIPE_PATTERN \
  "'^(?<at>[^|]+)\\|(?<site>\\d*)\\|(?<device>[^|]+)\\|(?<method>[^|]+)\\|(?<token>[^|]+)\\|(?<slot>[^|]*)\\|(?<price>[^|]*)$'"

static const Case kCases[] = {
    /* load: sqlite3_load_extension itself (zhucan_init registering every module) */
    {"load/load_extension", "zy", NULL, "SELECT load_extension('@SO')", "SELECT zhucan_version() IS NOT NULL",
     NULL, C_NOLOAD, 0},
    {"load/zhucan_version", "empty", NULL, "SELECT zhucan_version() LIKE 'zhucan %'", NULL, NULL, 0, 0},

    /* identity */
    {"identity/idcard_valid", "empty", NULL,
     "SELECT idcard_valid('141129194401050016'), idcard_valid('11010519491231002X'), idcard_valid('x')", NULL,
     NULL, 0, 0},
    {"identity/idcard_birth", "empty", NULL, "SELECT idcard_birth('141129194401050016'), idcard_birth('x')", NULL,
     NULL, 0, 0},
    {"identity/idcard_sex", "empty", NULL, "SELECT idcard_sex('141129194808200127')", NULL, NULL, 0, 0},
    {"identity/idcard_region", "empty", NULL, "SELECT idcard_region('141129194808200127')", NULL, NULL, 0, 0},
    {"identity/age_on", "empty", NULL,
     "SELECT age_on('141129194401050016', '2024-03-15'), age_on('1944-01-05', '2024-01-04')", NULL, NULL, 0, 0},
    {"identity/age_on_error", "empty", NULL, "SELECT age_on('nobody', '2024-03-15')", NULL, NULL, 0, 0},
    {"identity/mask_name", "empty", NULL, "SELECT mask_name('欧阳修'), mask_name('张三丰'), mask_name('李')", NULL,
     NULL, 0, 0},
    {"identity/mask_id", "empty", NULL, "SELECT mask_id('141129194401050016')", NULL, NULL, 0, 0},
    {"identity/idcard_sex_label", "empty", NULL,
     "SELECT idcard_sex_label('141129194808200127'), idcard_sex_label('141129194401050016'), idcard_sex_label('x')",
     NULL, NULL, 0, 0},
    {"lang/zhucan_lang", "empty", NULL, "SELECT zhucan_lang(), zhucan_lang('en'), zhucan_lang(), zhucan_lang('zh')",
     NULL, NULL, 0, 0},
    {"identity/over_rows", "zy", NULL,
     "SELECT id, idcard_birth(id_number), idcard_sex(id_number), age_on(id_number, '2024-03-15'),"
     " mask_name(name), mask_id(id_number) FROM elder ORDER BY id",
     NULL, NULL, 0, 0},

    /* regex (PCRE2) */
    {"regex/regexp_like", "empty", NULL, "SELECT regexp_like('张三丰 2024', '\\d{4}'), regexp_like('abc', '^b')", NULL,
     NULL, 0, 0},
    {"regex/regexp_substr", "empty", NULL,
     "SELECT regexp_substr('-- 张三丰 --', '\\b\\w+\\b'), regexp_substr('the year is 2021', '\\d{1,2}')", NULL, NULL,
     0, 0},
    {"regex/regexp_capture", "empty", NULL,
     "SELECT regexp_capture('2024-03-05', '(\\d+)-(\\d+)', 2),"
     " regexp_capture('2024-03-05', '(?<y>\\d+)-(?<m>\\d+)', 'm'), regexp_capture('abc', '(x)?b', 1)",
     NULL, NULL, 0, 0},
    {"regex/regexp_replace", "empty", NULL,
     "SELECT regexp_replace('2024-03-05', '(\\d+)-(\\d+)-(\\d+)', '$3/$2/${1}'),"
     " regexp_replace('张三 李四', '\\w+', '<$0>')",
     NULL, NULL, 0, 0},
    {"regex/regexp_operator", "zy", NULL, "SELECT id FROM elder WHERE name REGEXP '^[张李]' ORDER BY id", NULL, NULL,
     0, 0},
    {"regex/bad_pattern", "empty", NULL, "SELECT regexp_like('x', 'a(b')", NULL, NULL, 0, 0},

    /* policies */
    {"policy/policy_install", "zy0", NULL, "@INLINE", POLICY_POST, POLICY_STATE, 0, 0},
    {"policy/policy_load", "zy0", NULL, "SELECT policy_load('lua/zhongyang.lua')", POLICY_POST, POLICY_STATE, 0, 0},
    {"policy/policy_load_second", "zy", PRIME_ZY, "SELECT policy_load('lua/taiyuan.lua')", POLICY_POST, POLICY_STATE, 0, 0},
    {"policy/policy_test", "ty", NULL, "SELECT policy_test('taiyuan')", NULL, NULL, 0, 0},
    {"policy/policy_in_force", "zy", PRIME_ZY, "SELECT policy_in_force('141129', '2024-03-15')", NULL, NULL, 0, 0},
    {"policy/policy_assign", "zy", "SELECT policy_load('lua/taiyuan.lua')",
     "SELECT policy_assign('141129100', 'taiyuan')", "SELECT code, policy FROM region ORDER BY code;",
     "SELECT code, policy FROM region ORDER BY code;", 0, 0},
    {"policy/policy_retire", "zy", "SELECT policy_load('lua/taiyuan.lua')", "SELECT policy_retire(2)",
     "SELECT id, retired_on IS NOT NULL FROM zhucan_policy ORDER BY id;" POLICY_POST,
     "SELECT id, retired_on IS NOT NULL FROM zhucan_policy ORDER BY id;" POLICY_STATE, 0, 0},
    {"policy/zhucan_policy_guard", "zy", NULL, "SELECT zhucan_policy_guard()", NULL, NULL, 0, 0},
    {"policy/policy_install_bad", "zy0", NULL, "SELECT policy_install('return { name = 1 }')", POLICY_POST,
     POLICY_STATE, 0, 0},

    /* eligible, subsidy_for, subsidy_explain */
    {"subsidy/eligible", "zy", NULL, "SELECT eligible(1, '2024-03-15'), eligible(3, '2024-03-15', 'laundry')", NULL,
     NULL, 0, 0},
    {"subsidy/subsidy_for", "zy", PRIME_ZY, "SELECT subsidy_for(2), subsidy_for(3)", NULL, NULL, 0, 0},
    {"subsidy/subsidy_for_quote", "zy", PRIME_ZY, "SELECT subsidy_for(1, 1, '2024-03-02 12:00:00', 'lunch')", NULL, NULL,
     0, 0},
    {"subsidy/subsidy_for_month", "zy", PRIME_ZY, "SELECT id, subsidy_for(id) FROM meal ORDER BY id", NULL, NULL, 0, 0},
    {"subsidy/subsidy_explain", "zy", PRIME_ZY, "SELECT subsidy_explain(2)", NULL, NULL, 0, 0},
    {"subsidy/unknown_meal", "zy", PRIME_ZY, "SELECT subsidy_for(999)", NULL, NULL, 0, 0},
    {"subsidy/site_items", "ty", PRIME_TY, "SELECT subsidy_explain(1)", NULL, NULL, 0, 0},

    /* settlement (computed) */
    {"settlement/zhongyang", "zy", PRIME_ZY, "SELECT * FROM settlement('141129', '2024-03')", NULL, NULL, 0, 0},
    {"settlement/taiyuan", "ty", PRIME_TY, "SELECT * FROM settlement('140100', '2024-05')", NULL, NULL, 0, 0},

    /* policy_impact: a proposal from a file, and one from text that changes payers and days */
    {"impact/same_file", "zy", PRIME_ZY, "SELECT * FROM policy_impact('lua/zhongyang.lua', '141129', '2024-03')", NULL,
     NULL, 0, 0},
    {"impact/changed", "zy", PRIME_ZY,
     "SELECT * FROM policy_impact('return { name = ''zhongyang'', effective_from = ''2024-03-10'', payers = { ''county'', ''city'' },"
     " eligible = function(e, d, s) return true, ''all'' end,"
     " meal = function(m, e, s) if m.nth_slot > 1 then return nil, ''repeat'' end"
     " return { county = 600, city = 10 }, ''flat'' end }', '141129', '2024-03')",
     NULL, NULL, 0, 0},

    /* settle (stored): the run tables exactly as before after a failure */
    {"settle/first", "zy", NULL, "SELECT settle('141129', '2024-03')", RUN_POST, RUN_STATE, 0, 0},
    {"settle/site_items", "tyrun0", PRIME_TY, "SELECT settle('140100', '2024-05')", RUN_POST, RUN_STATE, 0, 0},
    {"settle/supersede", "zyrun", PRIME_ZY, "SELECT settle('141129', '2024-03', 'supersede')", RUN_POST, RUN_STATE, 0, 0},
    {"settle/refused", "zyrun", PRIME_ZY, "SELECT settle('141129', '2024-03')", RUN_POST, RUN_STATE, 0, 2},

    /* replay */
    {"replay/same", "tyrun", PRIME_TY, "SELECT * FROM replay(1)", NULL, NULL, 0, 0},
    {"replay/changed", "zyrun", PRIME_ZY "; UPDATE elder SET died_on = '2024-03-10' WHERE id = 1; UPDATE meal SET price_fen = 1500 WHERE id = 4",
     "SELECT * FROM replay(1)", NULL, NULL, 0, 0},

    /* run_verify and the guard */
    {"verify/run_verify", "zyrun", NULL, "SELECT * FROM run_verify(1)", NULL, NULL, 0, 0},
    {"verify/run_verify_all", "zyrun", NULL, "SELECT * FROM run_verify()", NULL, NULL, 0, 0},
    {"verify/zhucan_run_guard", "zyrun", NULL, "SELECT zhucan_run_guard()", NULL, NULL, 0, 0},

    /* notices */
    {"notice/notice", "zy", PRIME_ZY, "SELECT * FROM notice(1, '2024-03')", NULL, NULL, 0, 0},
    {"notice/notice_settled", "zyrun", PRIME_ZY, "SELECT * FROM notice(1, '2024-03')", NULL, NULL, 0, 0},
    {"notice/notice_html", "zy", PRIME_ZY, "SELECT length(notice_html(1, '2024-03'))", NULL, NULL, 0, 0},
    {"notice/notice_due", "zy", NULL, "SELECT * FROM notice_due('141129', '2024-03')", NULL, NULL, 0, 0},

    /* zhucan_run_unpack and the views over it */
    {"unpack/packs", "zyrun", NULL,
     "SELECT p.elder_id, u.* FROM zhucan_run_pack p, zhucan_run_unpack(p.data) u WHERE p.run_id = 1", NULL, NULL,
     0, 0},
    {"unpack/run_line", "zyrun", NULL, "SELECT * FROM zhucan_run_line ORDER BY site_id, meal_id, payer", NULL, NULL,
     0, 0},
    {"unpack/not_a_pack", "empty", NULL, "SELECT * FROM zhucan_run_unpack(x'0203')", NULL, NULL, 0, 0},

    /* anomaly_scan: on one thread (deterministic) and on two */
    {"anomaly/one_thread", "zy", PRIME_ZY, "SELECT * FROM anomaly_scan('141129', '2024-03')", NULL, NULL, C_NOTHREADS, 0},
    {"anomaly/two_threads", "zy", PRIME_ZY, "SELECT * FROM anomaly_scan('141129', '2024-03')", NULL, NULL, 0, 0},

    /* coverage_gaps */
    {"coverage/gaps", "zy", PRIME_ZY, "SELECT * FROM coverage_gaps('141129', '2024-03-15')", NULL, NULL, 0, 0},

    /* notices (issue #16): a month not settled (the county pass), a settled
    ** one (the run's packs), the page, the due list, the honour roll, a
    ** certificate and the year's awards */
    {"notice/unsettled", "nt", PRIME_ZY, "SELECT * FROM notice(1, '2024-03')", NULL, NULL, 0, 0},
    {"notice/settled", "nts", PRIME_ZY, "SELECT * FROM notice(1, '2024-03')", NULL, NULL, 0, 0},
    {"notice/html_settled", "nts", PRIME_ZY, "SELECT notice_html(2, '2024-03')", NULL, NULL, 0, 0},
    {"notice/due_postings", "nt", PRIME_ZY, "SELECT * FROM notice_due('141129', '2024-03')", NULL, NULL, 0, 0},
    {"honour/honour_roll", "nt", PRIME_ZY, "SELECT * FROM honour_roll('141129', '2024-03')", NULL, NULL, 0, 0},
    {"honour/certificate", "nt", PRIME_ZY, "SELECT donation_certificate_html(1), donation_certificate_html(2)", NULL,
     NULL, 0, 0},
    {"award/award_ranking", "nt", PRIME_ZY, "SELECT * FROM award_ranking('141129', 2024)", NULL, NULL, 0, 0},

    /* needs_watch: every reason on the hand-made elders of fixtures/hand/needs.sql */
    {"needs/watch", "nw", NULL, "SELECT * FROM needs_watch('990301', '2024-04')", NULL, NULL, 0, 0},

    /* swipe_log */
    {"swipe_log/csv", "sw", PRIME_ZY, "SELECT * FROM swipe_log('fixtures/swipes/good.csv', 'csv')", NULL, NULL, 0, 0},
    {"swipe_log/terminal", "sw", PRIME_ZY, "SELECT * FROM swipe_log('fixtures/swipes/terminal.log', 'terminal')", NULL,
     NULL, 0, 0},
    {"swipe_log/pattern", "sw", PRIME_ZY, "SELECT * FROM swipe_log('fixtures/swipes/custom.txt', " SWIPE_PATTERN ")",
     NULL, NULL, 0, 0},
    {"swipe_log/missing_file", "sw", PRIME_ZY, "SELECT * FROM swipe_log('fixtures/swipes/none.csv', 'csv')", NULL, NULL,
     0, 0},

    /* the time bank (docs/credit.md): a policy with a credit section, the
    ** ledger, statement and digest, the writes (a failure writes nothing),
    ** a refusal, settlement's 'credit' line */
    {"credit/policy_load", "zy0", NULL, "SELECT policy_load('lua/weihai.lua')", POLICY_POST, POLICY_STATE, 0, 0},
    {"credit/ledger", "cr", PRIME_CR, "SELECT * FROM credit_ledger('371082', '2025-12-31')", NULL, NULL, 0, 0},
    {"credit/ledger_cap", "cr", PRIME_CR, "SELECT * FROM credit_ledger('320102', '2025-12-31')", NULL, NULL, 0, 0},
    {"credit/statement", "cr", PRIME_CR, "SELECT * FROM credit_statement(1, 2025)", NULL, NULL, 0, 0},
    {"credit/digest", "cr", PRIME_CR, "SELECT credit_ledger_digest('371082', '2025-12-31')", NULL, NULL, 0, 0},
    {"credit/redeem", "cr", PRIME_CR, "SELECT credit_redeem(3, '2025-06-01', 5000, 'service', 'haircut')", CR_POST,
     CR_POST, 0, 0},
    {"credit/redeem_meal", "cr", PRIME_CR, "SELECT credit_redeem(1, '2025-06-11', 2000, 'meal', 2)", CR_POST, CR_POST,
     0, 0},
    {"credit/give", "cr", PRIME_CR, "SELECT credit_give(3, 4, 'spouse', '2025-05-01', 10000)", CR_POST, CR_POST, 0, 0},
    {"credit/refused", "cr", PRIME_CR, "SELECT credit_give(3, 5, 'friend', '2025-05-01', 1000)", CR_POST, CR_POST, 0, 0},
    {"credit/settlement", "cr", PRIME_CR, "SELECT * FROM settlement('371082', '2025-06')", NULL, NULL, 0, 0},
    /* snapshots: credit_settle writes all or nothing; credit_verify names a
    ** back-dated row; a notice and an explanation with a meal paid in part
    ** with points */
    {"credit/settle", "cr", PRIME_CR, "SELECT credit_settle('320102', '2025-12-31')", CS_POST, CS_STATE, 0, 0},
    {"credit/verify", "cr", PRIME_CR "; SELECT credit_settle('371082', '2025-03-31'); " CR_BACKDATED,
     "SELECT * FROM credit_verify(1)", NULL, NULL, 0, 0},
    {"credit/notice", "cr", PRIME_CR, "SELECT * FROM notice(1, '2025-06'); SELECT subsidy_explain(1)", NULL, NULL, 0,
     0},
};
#define NCASES (int)(sizeof kCases / sizeof kCases[0])

/* The family of a case: its id up to the '/'. */
static void case_family(const Case *c, char *out, size_t n) {
  size_t k = strcspn(c->id, "/");
  snprintf(out, n, "%.*s", (int)k, c->id);
}

/* ============================================================ templates */

/* Each template is a database file built once by the parent, with the
** extension loaded; a step starting with '@' is a file to run. */
typedef struct Tmpl {
  const char *name;
  const char *steps[8];
  char *bytes;
  size_t n;
} Tmpl;

/* A village of the hand fixture with eleven elders aged 75 and no
** courtyard: one row from coverage_gaps. */
#define GAP_VILLAGE                                                                                     \
  "INSERT INTO region(code, parent, level, name, policy) VALUES"                                        \
  " ('141129100003', '141129100', 'village', '三村', NULL);"                                             \
  "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 11)"                        \
  " INSERT INTO elder(id, id_number, name, region) SELECT 100 + i, printf('1411291949010%03d7', i),"     \
  " '周' || i, '141129100003' FROM k;"

/* notice rows for the hand fixture: co-payments, donations, a posting */
#define NOTICE_ROWS                                                                                    \
  "INSERT INTO copayment(elder_id, payer_name, relation, month, amount_fen, paid_on) VALUES"          \
  " (1, '张小一', 'son', '2024-03', 12000, '2024-04-02'), (2, '李小二', 'daughter', '2024-03', 800, NULL),"  \
  " (2, '王五', 'guardian', '2024-03', 500, NULL);"                                                    \
  "INSERT INTO donation(id, donor, kind, day, amount_fen, goods, site_id, fund) VALUES"                 \
  " (1, '某公司', 'enterprise', '2024-03-29', 1190000, NULL, 1, NULL),"                                 \
  " (2, '钱一', 'individual', '2024-03-08', 360500, '面粉 35 袋', NULL, '助老基金');"                    \
  "INSERT INTO notice_posting(site_id, month, posted_on, taken_down_on, place) VALUES"                 \
  " (1, '2024-03', '2024-04-08', '2024-04-20', '公示栏');"                                               \
  "INSERT INTO purchase(site_id, day, kind, item, quantity, unit, amount_fen) VALUES"                  \
  " (1, '2024-03-02', 'food', '面粉', 10, '袋', 12000);"                                                 \
  "INSERT INTO staff(site_id, role, name, phone, from_on) VALUES (1, 'in_charge', '刘主任', '13812345678', '2023-01-01');"

static Tmpl kTmpl[] = {
    {"empty", {NULL}, NULL, 0},
    {"zy0", {"@sql/schema.sql", "@fixtures/hand/zhongyang.sql", GAP_VILLAGE, NULL}, NULL, 0},
    {"zy", {"@sql/schema.sql", "@fixtures/hand/zhongyang.sql", GAP_VILLAGE,
            "SELECT policy_load('lua/zhongyang.lua')", NULL}, NULL, 0},
    {"nt", {"@sql/schema.sql", "@fixtures/hand/zhongyang.sql", GAP_VILLAGE,
            "SELECT policy_load('lua/zhongyang.lua')", NOTICE_ROWS, NULL}, NULL, 0},
    {"nts", {"@sql/schema.sql", "@fixtures/hand/zhongyang.sql", GAP_VILLAGE,
             "SELECT policy_load('lua/zhongyang.lua')", NOTICE_ROWS, "SELECT settle('141129', '2024-03')", NULL},
     NULL, 0},
    {"zyrun", {"@sql/schema.sql", "@fixtures/hand/zhongyang.sql", GAP_VILLAGE,
               "SELECT policy_load('lua/zhongyang.lua')", "SELECT settle('141129', '2024-03')", NULL}, NULL, 0},
    {"ty", {"@sql/schema.sql", "@fixtures/hand/taiyuan.sql", "SELECT policy_load('lua/taiyuan.lua')", NULL}, NULL,
     0},
    /* the run tables exist (another region's run) before the sweep */
    {"tyrun0", {"@sql/schema.sql", "@fixtures/hand/taiyuan.sql", "SELECT policy_load('lua/taiyuan.lua')",
                "SELECT settle('140100', '2024-04')", NULL}, NULL, 0},
    {"tyrun", {"@sql/schema.sql", "@fixtures/hand/taiyuan.sql", "SELECT policy_load('lua/taiyuan.lua')",
               "SELECT settle('140100', '2024-05')", NULL}, NULL, 0},
    {"cr", {"@sql/schema.sql", "@fixtures/hand/credit.sql", "SELECT policy_load('lua/weihai.lua')",
            "SELECT policy_load('lua/timebank.lua')", "SELECT credit_redeem(1, '2025-06-10', 5000, 'meal', 1)", NULL},
     NULL, 0},
    {"nw", {"@sql/schema.sql", "@fixtures/hand/needs.sql", NULL}, NULL, 0},
    {"sw", {"@sql/schema.sql", "@fixtures/swipes/setup.sql", "SELECT policy_load('lua/zhongyang.lua')",
            "UPDATE region SET policy = 'zhongyang' WHERE code = '990000'", NULL}, NULL, 0},
};
#define NTMPL (int)(sizeof kTmpl / sizeof kTmpl[0])

static char *read_file(const char *path, size_t *pn) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *z = malloc(cap + 1);
  size_t k;
  while (z && (k = fread(z + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) z = realloc(z, (cap *= 2) + 1);
  }
  fclose(f);
  if (!z) die("out of memory");
  z[n] = 0;
  if (pn) *pn = n;
  return z;
}

static int write_file(const char *path, const char *z, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(fd, z + off, n - off);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    off += (size_t)w;
  }
  return close(fd);
}

static Tmpl *tmpl_find(const char *name) {
  for (int i = 0; i < NTMPL; i++)
    if (strcmp(kTmpl[i].name, name) == 0) return &kTmpl[i];
  die("no template %s", name);
  return NULL;
}

static void tmpl_build(Tmpl *t) {
  char path[700];
  snprintf(path, sizeof path, "%s/tmpl-%s.db", opt.work, t->name);
  unlink(path);
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK) die("cannot open %s", path);
  sqlite3_enable_load_extension(db, 1);
  char *err = NULL;
  if (sqlite3_load_extension(db, opt.so, NULL, &err) != SQLITE_OK) die("cannot load %s: %s", opt.so, err);
  for (int i = 0; t->steps[i]; i++) {
    char *sql = NULL;
    const char *s = t->steps[i];
    if (s[0] == '@') {
      sql = read_file(s + 1, NULL);
      if (!sql) die("cannot read %s: %s", s + 1, strerror(errno));
      s = sql;
    }
    if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK) die("template %s, step %d: %s", t->name, i, err);
    free(sql);
  }
  if (sqlite3_close(db) != SQLITE_OK) die("template %s: close failed", t->name);
  t->bytes = read_file(path, &t->n);
  if (!t->bytes) die("cannot read %s", path);
}

/* ====================================================== the worker side */

/* Result-file records, one line each, tab-separated:
**   P mode full stride T              the sweep plan of a mode
**   B mode n                          attempt n starts
**   R mode n injected outcome         its outcome: nomem | ok | other
**   A mode n kind where detail        an anomaly of attempt n (0: the undisturbed run)
**   X T outside lua pcre2 libc zh other names   census of the undisturbed run
**   E                                 the worker finished the case
*/
static int g_rfd = -1;
static int g_quiet;            /* a re-run: no records */
static void rec(const char *fmt, ...) {
  if (g_quiet) return;
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof line) {
    n = sizeof line - 1;
    line[n - 1] = '\n';
  }
  if (write(g_rfd, line, (size_t)n) < 0) _exit(3);
}
static void fail_record(long n, int persist) {
  if (g_rfd < 0 || g_quiet) return;
  char line[32 * 20 + 64];
  int k = snprintf(line, sizeof line, "F\t%s\t%ld\t", persist ? "persistent" : "transient", n);
  for (int i = 2; i < g_fail_n && k < (int)sizeof line - 24; i++)
    k += snprintf(line + k, sizeof line - (size_t)k, "%s%lx", i > 2 ? "," : "", (unsigned long)(uintptr_t)g_fail_fr[i]);
  line[k++] = '\n';
  if (write(g_rfd, line, (size_t)k) < 0) _exit(3);
}

/* A field for a record: no tabs or newlines. */
static const char *fld(const char *s, char *out, size_t n) {
  size_t k = 0;
  for (; s && *s && k + 1 < n; s++) out[k++] = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s;
  out[k] = 0;
  return out;
}

static const char *mode_name(int persist) { return persist ? "persistent" : "transient"; }

typedef struct Worker {
  const Case *c;
  Tmpl *t;
  char dbpath[700];
  char *sql;                 /* the call, with @SO / @INLINE expanded */
  Outcome base, base_post;   /* the undisturbed call and its post query */
  Outcome res, post, st0, st1, again, tmp;
  long T;                    /* allocations of the undisturbed call */
  int debug;                 /* --at: print every outcome */
} Worker;

static void anomaly(int persist, long n, const char *kind, const char *where, const char *detail) {
  char w[512], d[2000];
  rec("A\t%s\t%ld\t%s\t%s\t%s\n", mode_name(persist), n, kind, fld(where, w, sizeof w), fld(detail, d, sizeof d));
}

/* Where "ext/" starts a path in s (after a space or a slash), or NULL. */
static const char *ext_path(const char *s) {
  for (const char *p = s; (p = strstr(p, "ext/")) != NULL; p++)
    if (p == s || p[-1] == ' ' || p[-1] == '/') return p;
  return NULL;
}

/* "func ext/file.c:line" from a symbolized frame "func [/path/]ext/file.c:line:col". */
static int ext_frame(const char *sym, char *where, size_t nw) {
  const char *e = ext_path(sym);
  if (!e || e == sym) return 0;
  size_t fl = strcspn(sym, " ");
  const char *colon = strchr(e, ':');
  size_t el = colon ? (size_t)(colon - e) + 1 + strcspn(colon + 1, ":") : strlen(e);
  snprintf(where, nw, "%.*s %.*s", (int)fl, sym, (int)el, e);
  return 1;
}

/* Where block p (a raw malloc pointer) was allocated: the first zhucan
** frame, from AddressSanitizer's allocation stack or, in capture mode,
** from the stack taken in fs_malloc; and the top of that stack. */
static void leak_where(uintptr_t p, char *where, size_t nw, char *stack, size_t ns) {
  void *tr[CAP_FRAMES + 8];
  int tid, n = 0, first = 1;
  const CapSlot *cs = cap_find(p);
  if (!cs) cs = cap_find(p + 8);   /* SQLite's allocator may keep the size in front */
  if (cs) {
    n = cs->n;
    memcpy(tr, cs->fr, sizeof cs->fr);
    first = 2;                     /* skip cap_add and fs_malloc */
  } else {
    n = (int)__asan_get_alloc_stack((void *)p, tr, CAP_FRAMES, &tid);
  }
  where[0] = stack[0] = 0;
  size_t off = 0;
  for (int i = first; i < n; i++) {
    char sym[512];
    __sanitizer_symbolize_pc(tr[i], "%f %L", sym, sizeof sym);
    if (!where[0]) ext_frame(sym, where, nw);
    if (i < first + 10 && off + 2 < ns)
      off += (size_t)snprintf(stack + off, ns - off, "%s%s", i > first ? " <- " : "", sym);
  }
  if (!where[0]) snprintf(where, nw, "(no ext/ frame)");
}

/* The dynamic loader's own blocks (TLS of a new thread, dlopen's
** bookkeeping) are not zhucan's to free. */
static int loader_block(uintptr_t p) {
  void *tr[3];
  int tid;
  if (__asan_get_alloc_stack((void *)p, tr, 3, &tid) < 2) return 0;
  Dl_info di;
  return dladdr((char *)tr[1] - 1, &di) && di.dli_fname && strstr(di.dli_fname, "/ld-linux");
}

/* The blocks left in the set when the window closed, the loader's aside. */
static int leaks_collect(uintptr_t *out, int max) {
  int k = 0;
  for (unsigned i = 0; i < LIVE_SIZE && k < max; i++)
    if (g_live[i].gen == g_gen && !loader_block(g_live[i].p)) out[k++] = g_live[i].p;
  return k;
}

static void worker_env(const Case *c) {
  if (c->flags & C_NOTHREADS) setenv("ZHUCAN_NO_THREADS", "1", 1);
  else unsetenv("ZHUCAN_NO_THREADS");
}

/* Opens a fresh copy of the template and loads the extension (unarmed). */
static sqlite3 *attempt_open(Worker *w, int persist, long n) {
  if (write_file(w->dbpath, w->t->bytes, w->t->n) != 0) die("cannot write %s", w->dbpath);
  char j[720];
  snprintf(j, sizeof j, "%s-journal", w->dbpath);
  unlink(j);
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(w->dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    anomaly(persist, n, "harness", "open", sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
  }
  if (!opt.lookaside) sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 0, 0);
  sqlite3_enable_load_extension(db, 1);
  if (!(w->c->flags & C_NOLOAD)) {
    char *err = NULL;
    if (sqlite3_load_extension(db, opt.so, NULL, &err) != SQLITE_OK) {
      anomaly(persist, n, "harness", "load", err ? err : "?");
      sqlite3_free(err);
      sqlite3_close(db);
      return NULL;
    }
  }
  if (w->c->setup && run_sql(db, w->c->setup, &w->tmp) != SQLITE_OK)
    anomaly(persist, n, "harness", "setup", w->tmp.err.z);
  return db;
}

/* Closes; a refusal (unfinalized statements) is an anomaly. */
static void attempt_close(sqlite3 *db, int persist, long n) {
  int rc = sqlite3_close(db);
  if (rc != SQLITE_OK) {
    char d[600];
    snprintf(d, sizeof d, "sqlite3_close: %s (a statement was left unfinalized)", sqlite3_errmsg(db));
    anomaly(persist, n, "close", "sqlite3_close", d);
    sqlite3_close_v2(db);
  }
}

static void debug_dump(Worker *w, const char *what, const Outcome *o) {
  if (!w->debug) return;
  printf("--- %s: rc %d%s%s\n%s", what, o->rc, o->rc ? " " : "", o->rc ? o->err.z : "", o->rows.z);
  fflush(stdout);
}

/* The attempt proper, inside one tracking window: fail allocation n (and
** every later one when persist; n 0: none).  Returns the failures injected
** and sets *outcome. */
static long attempt_core(Worker *w, long n, int persist, const char **outcome) {
  window_open();
  sqlite3 *db = attempt_open(w, persist, n);
  *outcome = "other";
  if (!db) {
    window_close();
    return 0;
  }
  if (w->c->state) run_state(db, w->c->state, &w->st0, &w->tmp);
  fs_arm(n, persist);
  run_sql(db, w->sql, &w->res);
  fs_disarm();
  long injected = atomic_load(&fs.failed);
  debug_dump(w, "the call", &w->res);
  char got[700], want[512], d[1500];
  if (same_outcome(&w->res, &w->base) || same_error_message_lost(&w->res, &w->base)) {
    /* the undisturbed answer, possibly after a failure absorbed on the way */
    *outcome = "ok";
    if (w->c->post) {
      run_sql(db, w->c->post, &w->post);
      debug_dump(w, "post", &w->post);
      if (!same_outcome(&w->post, &w->base_post)) {
        diff_brief(&w->post, &w->base_post, got, sizeof got);
        snprintf(d, sizeof d, "the call answered as undisturbed but stored different data: %s", got);
        anomaly(persist, n, "wrong", "stored data after success", d);
      }
    }
  } else if (is_nomem(&w->res)) {
    *outcome = "nomem";
    if (injected == 0) anomaly(persist, n, "not-nomem", "no failure injected", w->res.err.z);
    if (w->c->state) {
      run_state(db, w->c->state, &w->st1, &w->tmp);
      debug_dump(w, "state before", &w->st0);
      debug_dump(w, "state after", &w->st1);
      if (!same_outcome(&w->st0, &w->st1)) {
        snprintf(d, sizeof d, "after the failed call: %s; before: %s", w->st1.rows.z, w->st0.rows.z);
        anomaly(persist, n, "half-written", "state", d);
      }
    }
    if (!sqlite3_get_autocommit(db)) {
      anomaly(persist, n, "half-written", "transaction left open",
              "after the failed call the connection is still inside a transaction (savepoint not released)");
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    /* the same call again, undisturbed, must give the undisturbed answer
    ** (not for load_extension from SQL: once zhucan_version is registered,
    ** SQLite refuses to register it again while a statement runs, BUSY,
    ** whatever happened before; the post query checks the connection) */
    if (w->c->flags & C_NOLOAD) {
      if (w->c->post) run_sql(db, w->c->post, &w->post);
    } else {
    run_sql(db, w->sql, &w->again);
    debug_dump(w, "repeated", &w->again);
    if (!same_outcome(&w->again, &w->base)) {
      diff_brief(&w->again, &w->base, got, sizeof got);
      snprintf(d, sizeof d, "the call repeated without failures gave %s", got);
      anomaly(persist, n, "wrong", "repeated after NOMEM", d);
    } else if (w->c->post) {
      run_sql(db, w->c->post, &w->post);
      if (!same_outcome(&w->post, &w->base_post)) {
        diff_brief(&w->post, &w->base_post, got, sizeof got);
        snprintf(d, sizeof d, "the call repeated after NOMEM stored %s", got);
        anomaly(persist, n, "wrong", "repeated after NOMEM", d);
      }
    }
    }
  } else {
    if (w->res.rc == 0 && w->base.rc == 0) {
      diff_brief(&w->res, &w->base, got, sizeof got);
      snprintf(d, sizeof d, "got %s", got);
    } else {
      outcome_brief(&w->res, got, sizeof got);
      outcome_brief(&w->base, want, sizeof want);
      snprintf(d, sizeof d, "got %s, expected %s or out of memory", got, want);
    }
    if (w->res.rc == 0) anomaly(persist, n, "wrong", "result", d);
    else anomaly(persist, n, "not-nomem", w->res.err.z, d);
  }
  attempt_close(db, persist, n);
  window_close();
  return injected;
}

/* Leaks of the attempt just run.  Blocks that AddressSanitizer's stack
** cannot place in zhucan (allocated through sqlite3_malloc) are placed by
** running the attempt again in capture mode. */
static void attempt_leaks(Worker *w, long n, int persist) {
  if (g_live_full) {
    anomaly(persist, n, "harness", "leak set full", "more than 65,536 live blocks: leak check skipped");
    return;
  }
  static uintptr_t lk[64];
  int nl = leaks_collect(lk, 64);
  if (nl == 0) return;
  char where[8][256], stack[8][2048];
  int nw = 0, unplaced = 0;
  for (int i = 0; i < nl && nw < 8; i++) {
    leak_where(lk[i], where[nw], sizeof where[0], stack[nw], sizeof stack[0]);
    unplaced |= strncmp(where[nw], "(no", 3) == 0;
    nw++;
  }
  if (unplaced) {
    if (!g_cap && !(g_cap = calloc(CAP_SIZE, sizeof *g_cap))) die("out of memory");
    memset(g_cap, 0, CAP_SIZE * sizeof *g_cap);
    const char *oc;
    g_quiet = 1;
    atomic_store(&g_capture, 1);
    attempt_core(w, n, persist, &oc);
    atomic_store(&g_capture, 0);
    g_quiet = 0;
    int nl2 = leaks_collect(lk, 64);
    if (nl2 > 0) {
      nl = nl2;
      nw = 0;
      for (int i = 0; i < nl && nw < 8; i++, nw++) leak_where(lk[i], where[nw], sizeof where[0], stack[nw], sizeof stack[0]);
    }
  }
  for (int i = 0; i < nw; i++) {
    int dup = 0;
    for (int k = 0; k < i; k++) dup |= strcmp(where[k], where[i]) == 0;
    if (dup) continue;
    char d[2600];
    snprintf(d, sizeof d, "%d block(s) left after sqlite3_close; allocated at %s", nl, stack[i]);
    anomaly(persist, n, "leak", where[i], d);
  }
}

/* One attempt, recorded. */
static long worker_attempt(Worker *w, long n, int persist) {
  rec("B\t%s\t%ld\n", mode_name(persist), n);
  alarm(OOM_ATTEMPT_SECONDS);
  const char *outcome;
  long injected = attempt_core(w, n, persist, &outcome);
  attempt_leaks(w, n, persist);
  alarm(0);
  rec("R\t%s\t%ld\t%ld\t%s\n", mode_name(persist), n, injected, outcome);
  return injected;
}

/* Whether pc is in the Lua library: a zhucan function called from Lua that
** calls malloc is the state's allocator (lua_Alloc). */
static int lua_caller(uintptr_t pc) {
  Dl_info di;
  return pc && dladdr((void *)(pc - 1), &di) && di.dli_fname && strstr(di.dli_fname, "liblua");
}

/* The undisturbed call: its outcome, post query and allocation count, and
** with census the allocations made outside sqlite3_malloc. */
static int worker_baseline(Worker *w, int census) {
  window_open();
  if (census) memset(g_cen, 0, sizeof g_cen);
  sqlite3 *db = attempt_open(w, 0, 0);
  if (!db) {
    window_close();
    return -1;
  }
  if (census) atomic_store(&g_census, 1);
  fs_arm(0, 0);
  run_sql(db, w->sql, &w->base);
  fs_disarm();
  atomic_store(&g_census, 0);
  w->T = atomic_load(&fs.seen);
  if (w->c->post) run_sql(db, w->c->post, &w->base_post);
  attempt_close(db, 0, 0);
  window_close();
  debug_dump(w, "undisturbed call", &w->base);
  debug_dump(w, "undisturbed post", &w->base_post);
  if (!census) return 0;
  attempt_leaks(w, 0, 0);
  /* classify each call site by the object that made the call */
  long outside = 0, by[5] = {0, 0, 0, 0, 0};   /* Lua, PCRE2, libc, zhucan other, other */
  char other[256] = "";
  for (unsigned i = 0; i < CEN_SIZE; i++) {
    if (!g_cen[i].n) continue;
    Dl_info di;
    const char *obj = "(no caller frame: worker-thread start-up)";
    if (g_cen[i].pc && dladdr((void *)(g_cen[i].pc - 1), &di) && di.dli_fname) obj = di.dli_fname;
    const char *base = strrchr(obj, '/') ? strrchr(obj, '/') + 1 : obj;
    if (strncmp(base, "libsqlite3", 10) == 0) continue;   /* through sqlite3_malloc */
    if (strstr(base, "ld-linux")) continue;                /* the loader's own */
    outside += g_cen[i].n;
    char sym[512];
    __sanitizer_symbolize_pc((void *)g_cen[i].pc, "%f", sym, sizeof sym);
    size_t ol = strlen(other);
    if (strncmp(base, "libpcre2", 8) == 0) by[1] += g_cen[i].n;
    else if (strncmp(base, "libc.", 5) == 0) by[2] += g_cen[i].n;
    else if (strstr(base, "zhucan") && lua_caller(g_cen[i].pc2)) by[0] += g_cen[i].n;   /* the lua_Alloc */
    else if (strstr(base, "zhucan")) {
      by[3] += g_cen[i].n;
      if (ol < 200) snprintf(other + ol, sizeof other - ol, " %s", sym);
    } else {
      by[4] += g_cen[i].n;
      if (ol < 200) snprintf(other + ol, sizeof other - ol, " %s", base);
    }
  }
  rec("X\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%s\n", w->T, outside, by[0], by[1], by[2], by[3], by[4], other);
  return 0;
}

/* The sweep plan of a case: every allocation up to opt.full, then a stride
** that keeps the mode within opt.budget attempts; half of both for the
** persistent mode, whose later attempts mostly exercise the same cleanup. */
static void plan(long T, int persist, int weight, long *full, long *stride) {
  if (weight < 1) weight = 1;
  long budget = (persist ? opt.budget / 2 : opt.budget) * weight;
  *full = (persist ? opt.full / 2 : opt.full) * weight;
  if (*full < 1) *full = 1;
  *stride = 1;
  if (T > *full) {
    long left = budget - *full;
    if (left < 1) left = 1;
    *stride = (T - *full + left - 1) / left;
    if (*stride < 1) *stride = 1;
  } else {
    *full = T;
  }
}

/* The attempts of one mode, from attempt `from`; always ends with an
** attempt that injects nothing (the call completed). */
static void worker_sweep(Worker *w, int persist, long from) {
  long full, stride;
  plan(w->T, persist, w->c->weight, &full, &stride);
  rec("P\t%s\t%ld\t%ld\t%ld\n", mode_name(persist), full, stride, w->T);
  long n = from;
  for (int guard = 0; guard < 100000; guard++) {
    long injected = worker_attempt(w, n, persist);
    if (injected == 0) break;
    n = n < full ? n + 1 : n + stride;
  }
}

static void worker_init(Worker *w, const Case *c) {
  memset(w, 0, sizeof *w);
  worker_env(c);
  w->c = c;
  w->t = tmpl_find(c->db);
  snprintf(w->dbpath, sizeof w->dbpath, "%s/w%d.db", opt.work, (int)getpid());
  /* expand @SO and @INLINE (outside every window) */
  if (strcmp(c->sql, "@INLINE") == 0) {
    char *q = sqlite3_mprintf("SELECT policy_install(%Q)", kInline);
    w->sql = xstrdup(q);
    sqlite3_free(q);
  } else if (strstr(c->sql, "@SO")) {
    const char *p = strstr(c->sql, "@SO");
    size_t len = strlen(c->sql) + strlen(opt.so);
    w->sql = malloc(len + 1);
    if (!w->sql) die("out of memory");
    snprintf(w->sql, len + 1, "%.*s%s%s", (int)(p - c->sql), c->sql, opt.so, p + 3);
  } else {
    w->sql = xstrdup(c->sql);
  }
  Outcome *all[] = {&w->base, &w->base_post, &w->res, &w->post, &w->st0, &w->st1, &w->again, &w->tmp};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) outcome_init(all[i]);
}

static void worker_main(const Case *c, int mode_from, long n_from, const char *resfile, const char *logfile) {
  g_rfd = open(resfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
  int lfd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (g_rfd < 0 || lfd < 0) _exit(3);
  dup2(lfd, 2);
  close(lfd);
  Worker w;
  worker_init(&w, c);
  /* warm-up: process-wide state created lazily (the loader's, thread
  ** stacks) exists before the first measured window */
  worker_baseline(&w, 0);
  if (worker_baseline(&w, n_from == 0 && mode_from == 0) != 0) {
    rec("E\n");
    _exit(0);
  }
  for (int m = mode_from; m < 2; m++) {
    if (!(opt.modes & (1 << m))) continue;
    worker_sweep(&w, m, m == mode_from && n_from > 0 ? n_from : 1);
  }
  rec("E\n");
  Outcome *all[] = {&w.base, &w.base_post, &w.res, &w.post, &w.st0, &w.st1, &w.again, &w.tmp};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    free(all[i]->rows.z);
    free(all[i]->err.z);
  }
  free(w.sql);
  free(g_cap);
  unlink(w.dbpath);
  close(g_rfd);
  exit(0);   /* LeakSanitizer runs at exit: exit code 99 on a leak */
}

/* --at N: one attempt of one case in this process, every outcome printed. */
static int debug_at(const Case *c, long n) {
  g_rfd = 1;
  Worker w;
  worker_init(&w, c);
  w.debug = 1;
  worker_baseline(&w, 0);
  if (worker_baseline(&w, 1) != 0) return 1;
  int persist = opt.modes == 2;
  printf("=== %s, %s, failing allocation %ld of %ld\n", c->id, mode_name(persist), n, w.T);
  fflush(stdout);
  worker_attempt(&w, n, persist);
  printf("=== allocation %ld was made at:\n", n);
  for (int i = 2; i < g_fail_n; i++) {
    char sym[512];
    __sanitizer_symbolize_pc(g_fail_fr[i], "%f %L", sym, sizeof sym);
    printf("    #%d %s\n", i - 2, sym);
  }
  Outcome *all[] = {&w.base, &w.base_post, &w.res, &w.post, &w.st0, &w.st1, &w.again, &w.tmp};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    free(all[i]->rows.z);
    free(all[i]->err.z);
  }
  free(w.sql);
  free(g_cap);
  unlink(w.dbpath);
  return 0;
}

/* ====================================================== the parent side */

typedef struct Anom {
  char mode[12], kind[24], where[512], detail[2000];
  char sites[1000];    /* where the failures that led to it were injected */
  int nsites, more_sites;
  long count;
  char ns[96];         /* the first few attempt numbers */
  int known;           /* index+1 of the KNOWN.md entry that matches */
} Anom;

typedef struct CaseRun {
  const Case *c;
  pid_t pid;
  int done;
  char resfile[700], logfile[700];
  off_t log_off;       /* where the running worker's log starts */
  /* per mode: 0 transient, 1 persistent */
  long swept[2], injected[2], nomem[2], ok[2], other[2], full[2], stride[2], T[2];
  int crashes[2], streak[2];
  long skipped[2];      /* attempts skipped over after repeated crashes */
  char last_crash[2][512];
  long census_T, outside, lua, pcre2, libc, zhother, others;
  char other_names[256];
  Anom *anoms;
  int nanom, canom;
  char notes[1024];
  double seconds;
  double t0;
} CaseRun;

typedef struct Known {
  char id[16], pattern[256], kind[24], where[256];
  int hits;
} Known;
static Known *g_known;
static int g_nknown;

static void trim(char *s) {
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  size_t k = 0;
  while (s[k] && isspace((unsigned char)s[k])) k++;
  memmove(s, s + k, strlen(s + k) + 1);
  /* `code` spans are written with backquotes in the table */
  n = strlen(s);
  if (n >= 2 && s[0] == '`' && s[n - 1] == '`') {
    memmove(s, s + 1, n - 2);
    s[n - 2] = 0;
  }
}

/* KNOWN.md: the rows of its table whose first cell is K<number>:
**   | K1 | case glob | kind | where (a substring of the anomaly) | ... */
static void known_load(void) {
  char *z = read_file(opt.known, NULL);
  if (!z) return;
  char *save = NULL;
  for (char *line = strtok_r(z, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, "| K", 3) != 0 || !isdigit((unsigned char)line[3])) continue;
    char *cell[6] = {0};
    int nc = 0;
    char *p = line + 1;
    while (nc < 6) {
      char *bar = strchr(p, '|');
      if (!bar) break;
      *bar = 0;
      cell[nc++] = p;
      p = bar + 1;
    }
    if (nc < 4) continue;
    g_known = realloc(g_known, (size_t)(g_nknown + 1) * sizeof *g_known);
    if (!g_known) die("out of memory");
    Known *k = &g_known[g_nknown++];
    memset(k, 0, sizeof *k);
    for (int i = 0; i < 4; i++) trim(cell[i]);
    snprintf(k->id, sizeof k->id, "%s", cell[0]);
    snprintf(k->pattern, sizeof k->pattern, "%s", cell[1]);
    snprintf(k->kind, sizeof k->kind, "%s", cell[2]);
    snprintf(k->where, sizeof k->where, "%s", cell[3]);
  }
  free(z);
}

/* A comma-separated list of globs. */
static int globs_match(const char *globs, const char *id) {
  char one[128];
  for (const char *p = globs; *p;) {
    size_t l = strcspn(p, ",");
    snprintf(one, sizeof one, "%.*s", (int)l, p);
    trim(one);
    if (one[0] && fnmatch(one, id, 0) == 0) return 1;
    p += l;
    if (*p == ',') p++;
  }
  return 0;
}

/* s without the "ext/file.c:line" locations: "strset_get <- load_regions"
** (KNOWN.md names functions, which survive a refactor better than lines). */
static void strip_locations(const char *s, char *out, size_t n) {
  size_t k = 0;
  for (const char *p = s; *p && k + 1 < n;) {
    if ((p == s || p[-1] == ' ') && ext_path(p) == p) {
      p += strcspn(p, " ;");
      if (k && out[k - 1] == ' ') k--;
      continue;
    }
    out[k++] = *p++;
  }
  out[k] = 0;
}

static int known_match(const char *caseid, const Anom *a) {
  char w[600], st[1100];
  strip_locations(a->where, w, sizeof w);
  strip_locations(a->sites, st, sizeof st);
  for (int i = 0; i < g_nknown; i++) {
    Known *k = &g_known[i];
    if (!globs_match(k->pattern, caseid)) continue;
    if (strcmp(k->kind, a->kind) != 0) continue;
    const char *x = k->where;
    if (x[0] && !strstr(a->where, x) && !strstr(w, x) && !strstr(a->detail, x) && !strstr(a->sites, x) &&
        !strstr(st, x))
      continue;
    k->hits++;
    return i + 1;
  }
  return 0;
}

/* The injection site of a failure: the first zhucan frame of the stack
** the worker recorded (F), and the SQLite API zhucan called there. */
typedef struct PcSym { uintptr_t pc; char sym[200]; } PcSym;
static PcSym g_pcsym[2048];
static const char *pc_symbol(uintptr_t pc) {
  unsigned i = (unsigned)((pc >> 2) * 0x9E3779B97F4A7C15ull >> 53);
  for (unsigned k = 0; k < 2048; k++, i = (i + 1) & 2047) {
    if (g_pcsym[i].pc == pc) return g_pcsym[i].sym;
    if (g_pcsym[i].pc == 0) {
      g_pcsym[i].pc = pc;
      __sanitizer_symbolize_pc((void *)pc, "%f %L", g_pcsym[i].sym, sizeof g_pcsym[i].sym);
      return g_pcsym[i].sym;
    }
  }
  return "?";
}
static void fail_site(const char *pcs, char *out, size_t n) {  /* out: 300+ bytes */
  out[0] = 0;
  if (!pcs) return;
  char api[80] = "";
  int depth = 0;
  const char *p = pcs;
  while (*p) {
    uintptr_t pc = (uintptr_t)strtoull(p, (char **)&p, 16);
    if (*p == ',') p++;
    const char *sym = pc_symbol(pc);
    char fr[200];
    if (ext_frame(sym, fr, sizeof fr)) {
      size_t l = strlen(out);
      if (l) {   /* four callers of the first zhucan frame: enough to place it
                 ** when the first ones are helpers (zc_textmap_get) */
        snprintf(out + l, n - l, " <- %s", fr);
        if (++depth == 5) return;
        continue;
      }
      snprintf(out, n, "%s%s%s%s", fr, api[0] ? " (" : "", api, api[0] ? ")" : "");
      depth = 1;
      if (!*p || *p == '\n') return;
      continue;
    }
    if (out[0]) return;   /* left zhucan: the caller is SQLite */
    if (strncmp(sym, "sqlite3_", 8) == 0 && islower((unsigned char)sym[8])) snprintf(api, sizeof api, "%.*s", (int)strcspn(sym, " "), sym);
    if (*p == 0 || *p == '\n') break;
  }
}

/* The first site without line numbers ("strset_get <- load_regions"). */
static const char *site_key(const char *sites, char *out, size_t n) {
  size_t k = 0;
  for (const char *p = sites; *p && *p != ';' && k + 1 < n; p++) {
    if (*p == ':' && isdigit((unsigned char)p[1])) {
      while (isdigit((unsigned char)p[1])) p++;
      continue;
    }
    out[k++] = *p;
  }
  out[k] = 0;
  return out;
}

static void add_anom(CaseRun *r, const char *mode, long n, const char *kind, const char *where, const char *detail,
                     const char *site) {
  /* a wrong answer says nothing by itself: its failure site tells them apart */
  char fn[400] = "", afn[1000];
  if (strcmp(kind, "wrong") == 0) site_key(site, fn, sizeof fn);
  for (int i = 0; i < r->nanom; i++) {
    Anom *a = &r->anoms[i];
    if (strcmp(a->mode, mode) == 0 && strcmp(a->kind, kind) == 0 && strcmp(a->where, where) == 0 &&
        (!fn[0] || strcmp(site_key(a->sites, afn, sizeof afn), fn) == 0)) {
      a->count++;
      size_t l = strlen(a->ns);
      if (a->count <= 6 && l < 60) snprintf(a->ns + l, sizeof a->ns - l, ",%ld", n);
      if (site[0] && !strstr(a->sites, site)) {
        size_t sl = strlen(a->sites);
        if (a->nsites < 3 && sl + strlen(site) + 3 < sizeof a->sites) {
          snprintf(a->sites + sl, sizeof a->sites - sl, "%s%s", sl ? "; " : "", site);
          a->nsites++;
        } else {
          a->more_sites++;
        }
      }
      return;
    }
  }
  if (r->nanom == r->canom) {
    r->canom = r->canom ? 2 * r->canom : 8;
    r->anoms = realloc(r->anoms, (size_t)r->canom * sizeof *r->anoms);
    if (!r->anoms) die("out of memory");
  }
  Anom *a = &r->anoms[r->nanom++];
  memset(a, 0, sizeof *a);
  snprintf(a->mode, sizeof a->mode, "%s", mode);
  snprintf(a->kind, sizeof a->kind, "%s", kind);
  snprintf(a->where, sizeof a->where, "%s", where);
  snprintf(a->detail, sizeof a->detail, "%s", detail);
  a->count = 1;
  snprintf(a->ns, sizeof a->ns, "%ld", n);
  snprintf(a->sites, sizeof a->sites, "%s", site);
  a->nsites = site[0] != 0;
}

/* The sanitizer report that ended a worker, from its log: the first ext/
** frame of its first stack, and its first and SUMMARY lines. */
static void crash_where(CaseRun *r, char *where, size_t nw, char *detail, size_t nd) {
  where[0] = detail[0] = 0;
  int fd = open(r->logfile, O_RDONLY);
  if (fd < 0) return;
  struct stat sb;
  fstat(fd, &sb);
  size_t n = sb.st_size > r->log_off ? (size_t)(sb.st_size - r->log_off) : 0;
  if (n > (1 << 20)) n = 1 << 20;
  char *z = malloc(n + 1);
  ssize_t got = z ? pread(fd, z, n, r->log_off) : -1;
  close(fd);
  if (got < 0) {
    free(z);
    return;
  }
  z[got] = 0;
  char summary[400] = "", first[300] = "";
  int nframes = 0;
  char *save = NULL;
  for (char *line = strtok_r(z, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (!first[0] && (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "runtime error:") ||
                      strstr(line, "ERROR: LeakSanitizer")))
      snprintf(first, sizeof first, "%s", strstr(line, "ERROR:") ? strstr(line, "ERROR:") : line);
    if (!summary[0] && strncmp(line, "SUMMARY:", 8) == 0) snprintf(summary, sizeof summary, "%s", line);
    const char *in = strstr(line, " in ");
    /* the zhucan frames of the report's first stack, up to five */
    if (nframes >= 0 && (strstr(line, "freed by") || strstr(line, "previously allocated") || line[0] == 'S'))
      nframes = -1;   /* the first stack ended */
    if (nframes >= 0 && nframes < 5 && in && strstr(line, "    #") && ext_path(in + 4)) {
      char fr[200];
      if (ext_frame(in + 4, fr, sizeof fr)) {
        size_t l = strlen(where);
        snprintf(where + l, nw - l, "%s%s", l ? " <- " : "", fr);
        nframes++;
      }
    }
    if (!where[0] && strstr(line, "runtime error:") && ext_path(line) && ext_path(line) < strstr(line, "runtime error:")) {
      /* UBSan: "[/path/]ext/run.c:1125:12: runtime error: ..." */
      const char *e = ext_path(line);
      size_t el = strcspn(e, ":");
      size_t ll = strcspn(e + el + 1, ":");
      snprintf(where, nw, "%.*s", (int)(el + 1 + ll), e);
    }
  }
  snprintf(detail, nd, "%s%s%s", first, first[0] && summary[0] ? " / " : "", summary);
  free(z);
}

static pid_t spawn(CaseRun *r, int mode_from, long n_from) {
  struct stat sb;
  r->log_off = stat(r->logfile, &sb) == 0 ? sb.st_size : 0;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) worker_main(r->c, mode_from, n_from, r->resfile, r->logfile);
  return pid;
}

/* Reads a worker's result file into r; returns 1 when it holds E.  *mode
** and *n: the last attempt started and not finished (n -1: none). */
static int collect(CaseRun *r, int *crash_mode, long *crash_n) {
  char *z = read_file(r->resfile, NULL);
  int ended = 0, last_mode = -1;
  long last_b[2] = {-1, -1}, last_r[2] = {-1, -1};
  memset(r->swept, 0, sizeof r->swept);
  memset(r->injected, 0, sizeof r->injected);
  memset(r->nomem, 0, sizeof r->nomem);
  memset(r->ok, 0, sizeof r->ok);
  memset(r->other, 0, sizeof r->other);
  r->nanom = 0;
  char *save = NULL;
  const char *fpcs[2] = {NULL, NULL};
  long fn_[2] = {-1, -1};
  for (char *line = z ? strtok_r(z, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
    char *f[10] = {0};
    int nf = 0;
    char *p = line;
    while (nf < 10) {
      f[nf++] = p;
      char *t = strchr(p, '\t');
      if (!t) break;
      *t = 0;
      p = t + 1;
    }
    int m = nf > 1 && strcmp(f[1], "persistent") == 0;
    switch (line[0]) {
      case 'P':
        if (nf >= 5) r->full[m] = atol(f[2]), r->stride[m] = atol(f[3]), r->T[m] = atol(f[4]);
        break;
      case 'B':
        if (nf >= 3) last_b[m] = atol(f[2]), last_mode = m, r->swept[m]++;
        break;
      case 'R':
        if (nf >= 5) {
          last_r[m] = atol(f[2]);
          r->injected[m] += atol(f[3]);
          if (strcmp(f[4], "nomem") == 0) r->nomem[m]++;
          else if (strcmp(f[4], "ok") == 0) r->ok[m]++;
          else r->other[m]++;
        }
        break;
      case 'F':
        if (nf >= 4) fpcs[m] = f[3], fn_[m] = atol(f[2]);
        break;
      case 'A':
        if (nf >= 6) {
          char site[400];
          fail_site(fn_[m] == atol(f[2]) ? fpcs[m] : NULL, site, sizeof site);
          add_anom(r, f[1], atol(f[2]), f[3], f[4], f[5], site);
        }
        break;
      case 'X':
        if (nf >= 8) {
          r->census_T = atol(f[1]), r->outside = atol(f[2]), r->lua = atol(f[3]), r->pcre2 = atol(f[4]);
          r->libc = atol(f[5]), r->zhother = atol(f[6]), r->others = atol(f[7]);
          snprintf(r->other_names, sizeof r->other_names, "%s", nf > 8 && f[8] ? f[8] : "");
        }
        break;
      case 'E': ended = 1; break;
    }
  }
  free(z);
  *crash_mode = last_mode < 0 ? 0 : last_mode;
  *crash_n = last_mode >= 0 && last_b[last_mode] != last_r[last_mode] ? last_b[last_mode] : -1;
  return ended;
}

/* The parent's own records in the result file: a crash, a note. */
static void rec_append(CaseRun *r, const char *fmt, ...) {
  char line[3000];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (len < 0) return;
  if (len >= (int)sizeof line) len = sizeof line - 1, line[len - 1] = '\n';
  int fd = open(r->resfile, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return;
  if (write(fd, line, (size_t)len) < 0) {
  }
  close(fd);
}
static void note(CaseRun *r, const char *fmt, ...) {
  size_t l = strlen(r->notes);
  va_list ap;
  va_start(ap, fmt);
  if (l + 4 < sizeof r->notes) vsnprintf(r->notes + l, sizeof r->notes - l, fmt, ap);
  va_end(ap);
}

/* A worker ended: record what it says; after a crash, start a new worker
** past the attempt that crashed.  A mode that keeps crashing the same way
** is skipped through in growing steps, and given up after
** OOM_MAX_CRASHES crashes. */
#define OOM_MAX_CRASHES 12
static void reap(CaseRun *r, int status) {
  int mode;
  long n;
  int ended = collect(r, &mode, &n);
  char where[512], detail[2000], w2[512], d2[2000];
  if (ended) {
    r->done = 1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    crash_where(r, where, sizeof where, detail, sizeof detail);
    int had_leak = 0;
    for (int i = 0; i < r->nanom; i++) had_leak |= strcmp(r->anoms[i].kind, "leak") == 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == OOM_EXIT_LEAK && had_leak) {
      note(r, " LeakSanitizer at worker exit confirms the leak(s) above.");
      return;
    }
    rec_append(r, "A\t%s\t0\t%s\t%s\t%s\n", mode_name(0), WIFEXITED(status) && WEXITSTATUS(status) == OOM_EXIT_LEAK ? "leak" : "crash",
               fld(where[0] ? where : "at worker exit", w2, sizeof w2),
               fld(detail[0] ? detail : "worker exit status", d2, sizeof d2));
    collect(r, &mode, &n);
    return;
  }
  crash_where(r, where, sizeof where, detail, sizeof detail);
  const char *kind = "crash";
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    kind = "hang";
    snprintf(detail, sizeof detail, "attempt still running after %d s", OOM_ATTEMPT_SECONDS);
  } else if (!detail[0]) {
    if (WIFSIGNALED(status)) snprintf(detail, sizeof detail, "killed by signal %d", WTERMSIG(status));
    else snprintf(detail, sizeof detail, "exit status %d", WEXITSTATUS(status));
  }
  if (!where[0]) snprintf(where, sizeof where, "(no ext/ frame)");
  if (n < 0) n = 0;
  rec_append(r, "A\t%s\t%ld\t%s\t%s\t%s\n", mode_name(mode), n, kind, fld(where, w2, sizeof w2),
             fld(detail, d2, sizeof d2));
  rec_append(r, "R\t%s\t%ld\t1\tcrash\n", mode_name(mode), n);
  if (n == 0) {
    note(r, " The undisturbed run itself crashed: nothing swept.");
    collect(r, &mode, &n);
    r->done = 1;
    return;
  }
  r->streak[mode] = strcmp(r->last_crash[mode], where) == 0 ? r->streak[mode] + 1 : 1;
  snprintf(r->last_crash[mode], sizeof r->last_crash[mode], "%s", where);
  long step = n < r->full[mode] ? 1 : (r->stride[mode] > 0 ? r->stride[mode] : 1);
  if (r->streak[mode] >= 3) {
    int sh = r->streak[mode] - 2;
    step <<= sh < 12 ? sh : 12;
  }
  int next_mode = mode;
  long next = n + step;
  if (++r->crashes[mode] >= OOM_MAX_CRASHES) {
    note(r, " %s: gave up after %d crashes (last at attempt %ld).", mode_name(mode), r->crashes[mode], n);
    next_mode = mode + 1;
    next = 1;
    while (next_mode < 2 && !(opt.modes & (1 << next_mode))) next_mode++;
    if (next_mode >= 2) {
      r->done = 1;
      return;
    }
  } else if (step > 1 && r->streak[mode] >= 3) {
    r->skipped[mode] += step - 1;
  }
  r->pid = spawn(r, next_mode, next);
}

/* ================================================================ main */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The scratch directory and everything in it. */
static void remove_work(void) {
  DIR *d = opendir(opt.work);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", opt.work, de->d_name);
    unlink(path);
  }
  if (d) closedir(d);
  rmdir(opt.work);
}

static void usage(void) {
  fprintf(stderr,
          "usage: oom [--root DIR] [--so PATH] [--known FILE] [--jobs N] [--only GLOB] [--full N] [--budget N]\n"
          "           [--mode transient|persistent|both] [--no-lookaside] [--at N] [--list]\n");
  exit(2);
}

/* Every SQL function and module zhucan registers should have a case. */
static void check_registered(void) {
  sqlite3 *db = NULL;
  sqlite3_open(":memory:", &db);
  Outcome base, ours;
  outcome_init(&base);
  outcome_init(&ours);
  const char *q = "SELECT DISTINCT name FROM pragma_function_list UNION SELECT name FROM pragma_module_list ORDER BY 1";
  run_sql(db, q, &base);
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, opt.so, NULL, NULL) != SQLITE_OK) die("cannot load %s", opt.so);
  run_sql(db, q, &ours);
  sqlite3_close(db);
  char missing[1024] = "";
  char *save = NULL;
  for (char *line = strtok_r(ours.rows.z, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char name[128], needle[140];
    snprintf(name, sizeof name, "%.*s", (int)strlen(line) - 2, line + 1);
    snprintf(needle, sizeof needle, "\n%s\n", line);
    char *hay = malloc(base.rows.n + 2);
    if (!hay) die("out of memory");
    snprintf(hay, base.rows.n + 2, "\n%s", base.rows.z);
    int sqlites = strstr(hay, needle) != NULL;
    free(hay);
    if (sqlites && strcmp(name, "regexp") != 0) continue;   /* SQLite's own (regexp: zhucan replaces the shell's) */
    int found = 0;
    for (int i = 0; i < NCASES && !found; i++) {
      const char *s = strcmp(kCases[i].sql, "@INLINE") == 0 ? "SELECT policy_install(" : kCases[i].sql;
      if (strcmp(kCases[i].id, "load/load_extension") == 0) continue;
      for (const char *p = s; (p = strcasestr(p, name)) != NULL; p++) {
        char after = p[strlen(name)];
        int start_ok = p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        if (start_ok && (after == '(' || after == ' ' || after == 0)) {
          found = 1;
          break;
        }
      }
    }
    if (!found && strlen(missing) + strlen(name) + 2 < sizeof missing) {
      strcat(missing, " ");
      strcat(missing, name);
    }
  }
  if (missing[0]) printf("NOTE: registered by zhucan but not swept:%s (add a case to tests/oom/oom.c)\n\n", missing);
  free(base.rows.z);
  free(base.err.z);
  free(ours.rows.z);
  free(ours.err.z);
}

int main(int argc, char **argv) {
  static char outbuf[1 << 16];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  int list = 0;
  long at = 0;
  const char *e;
  if ((e = getenv("OOM_JOBS"))) opt.jobs = atoi(e);
  if ((e = getenv("OOM_ONLY"))) opt.only = e;
  if ((e = getenv("OOM_FULL"))) opt.full = atoi(e);
  if ((e = getenv("OOM_BUDGET"))) opt.budget = atoi(e);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--root") == 0 && v) opt.root = v, i++;
    else if (strcmp(a, "--so") == 0 && v) opt.so = v, i++;
    else if (strcmp(a, "--known") == 0 && v) opt.known = v, i++;
    else if (strcmp(a, "--jobs") == 0 && v) opt.jobs = atoi(v), i++;
    else if (strcmp(a, "--only") == 0 && v) opt.only = v, i++;
    else if (strcmp(a, "--full") == 0 && v) opt.full = atoi(v), i++;
    else if (strcmp(a, "--budget") == 0 && v) opt.budget = atoi(v), i++;
    else if (strcmp(a, "--at") == 0 && v) at = atol(v), i++;
    else if (strcmp(a, "--mode") == 0 && v) {
      opt.modes = strcmp(v, "transient") == 0 ? 1 : strcmp(v, "persistent") == 0 ? 2 : 3;
      i++;
    } else if (strcmp(a, "--no-lookaside") == 0) opt.lookaside = 0;
    else if (strcmp(a, "--list") == 0) list = 1;
    else usage();
  }
  if (list) {
    for (int i = 0; i < NCASES; i++) printf("%-28s %s\n", kCases[i].id, kCases[i].sql);
    return 0;
  }
  if (opt.jobs < 1) opt.jobs = 1;
  if (opt.full < 1) opt.full = 1;
  if (opt.budget < opt.full) opt.budget = opt.full;
  static char root[4096], so[4096], known[4096];
  if (!opt.root) opt.root = ".";
  if (!realpath(opt.root, root)) die("no root %s", opt.root);
  opt.root = root;
  if (!opt.so) {
    snprintf(so, sizeof so, "%s/build/asan/zhucan.so", root);
    opt.so = so;
  } else {
    char tmp[4096];
    if (!realpath(opt.so, tmp)) die("no %s", opt.so);
    snprintf(so, sizeof so, "%s", tmp);
    opt.so = so;
  }
  if (!opt.known) {
    snprintf(known, sizeof known, "%s/tests/oom/KNOWN.md", root);
    opt.known = known;
  }
  if (chdir(root) != 0) die("cannot chdir to %s", root);
  /* scratch on tmpfs when there is one: thousands of small commits */
  const char *tmp = getenv("OOM_TMPDIR");
  if (!tmp) tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(opt.work, sizeof opt.work, "%s/zcoom.XXXXXX", tmp);
  if (!mkdtemp(opt.work)) die("mkdtemp %s: %s", opt.work, strerror(errno));

  double t0 = now_s();
  fs_install();
  /* The extension stays mapped between connections (sqlite3_close would
  ** dlclose it, and mapping an ASan-instrumented library again for every
  ** attempt is slow). */
  void *so_handle = dlopen(opt.so, RTLD_NOW | RTLD_GLOBAL);
  if (!so_handle) die("cannot load %s: %s", opt.so, dlerror());
  /* Made once here, inherited by every worker: glibc's unwinder (loaded on
  ** the first backtrace) and the symbolizer's tables of the libraries. */
  {
    void *fr[4];
    backtrace(fr, 4);
    char sym[256];
    void *pcs[] = {(void *)sqlite3_open, dlsym(so_handle, "sqlite3_zhucan_init"), (void *)main};
    for (size_t i = 0; i < sizeof pcs / sizeof pcs[0]; i++)
      if (pcs[i]) __sanitizer_symbolize_pc((char *)pcs[i] + 1, "%f %L", sym, sizeof sym);
  }
  if (__sanitizer_install_malloc_and_free_hooks(hook_malloc, hook_free) == 0) die("cannot install malloc hooks");
  known_load();

  int ncase = 0;
  CaseRun *runs = calloc(NCASES, sizeof *runs);
  if (!runs) die("out of memory");
  for (int i = 0; i < NCASES; i++) {
    if (opt.only && fnmatch(opt.only, kCases[i].id, 0) != 0) continue;
    Tmpl *t = tmpl_find(kCases[i].db);
    if (!t->bytes && t->steps[0]) tmpl_build(t);
    if (!t->bytes) {
      t->bytes = xstrdup("");
      t->n = 0;
    }
    CaseRun *r = &runs[ncase++];
    r->c = &kCases[i];
    char safe[64];
    snprintf(safe, sizeof safe, "%s", kCases[i].id);
    for (char *p = safe; *p; p++)
      if (*p == '/') *p = '-';
    snprintf(r->resfile, sizeof r->resfile, "%s/%s.res", opt.work, safe);
    snprintf(r->logfile, sizeof r->logfile, "%s/%s.log", opt.work, safe);
  }
  if (ncase == 0) die("no case matches %s", opt.only ? opt.only : "");
  if (at > 0) {
    if (ncase != 1) die("--at needs --only naming one case");
    int rc = debug_at(runs[0].c, at);
    fflush(stdout);
    remove_work();
    free(runs);
    for (int i = 0; i < NTMPL; i++) free(kTmpl[i].bytes);
    free(g_known);
    return rc;
  }
  if (!opt.only) check_registered();

  /* run the cases, opt.jobs workers at a time */
  int next = 0, running = 0;
  while (next < ncase || running > 0) {
    while (running < opt.jobs && next < ncase) {
      CaseRun *r = &runs[next++];
      unlink(r->resfile);
      r->t0 = now_s();
      r->pid = spawn(r, 0, 0);
      running++;
    }
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      die("waitpid: %s", strerror(errno));
    }
    for (int i = 0; i < ncase; i++) {
      CaseRun *r = &runs[i];
      if (r->pid != pid || r->done) continue;
      reap(r, status);
      if (r->done) {
        r->seconds = now_s() - r->t0;
        running--;
        r->pid = 0;
      }
      break;
    }
  }

  /* report */
  int unexpected = 0, expected = 0;
  char fam[32] = "";
  long f_swept = 0, f_inj = 0, f_nomem = 0, f_ok = 0, f_anom = 0;
  long t_swept = 0, t_inj = 0, t_nomem = 0, t_ok = 0;
  printf("zhucan allocation-failure sweep of %s\n", opt.so);
  printf("each attempt fails the Nth sqlite3_malloc/sqlite3_realloc of one call (transient: N only; persistent: N and\n"
         "every later one); transient: every allocation 1..%d, then a stride keeping a case within %d attempts;\n"
         "persistent: 1..%d, then within %d%s\n\n",
         opt.full, opt.budget, opt.full / 2, opt.budget / 2, opt.lookaside ? "" : "; lookaside off");
  for (int i = 0; i <= ncase; i++) {
    CaseRun *r = i < ncase ? &runs[i] : NULL;
    char f[32] = "";
    if (r) case_family(r->c, f, sizeof f);
    if (fam[0] && (!r || strcmp(f, fam) != 0)) {
      printf("== family %-10s swept %6ld  injected %7ld  nomem %6ld  ok %5ld  anomalies %ld\n\n", fam, f_swept,
             f_inj, f_nomem, f_ok, f_anom);
      t_swept += f_swept, t_inj += f_inj, t_nomem += f_nomem, t_ok += f_ok;
      f_swept = f_inj = f_nomem = f_ok = f_anom = 0;
    }
    if (!r) break;
    snprintf(fam, sizeof fam, "%s", f);
    printf("%s  (%.1f s)\n", r->c->id, r->seconds);
    printf("    the call makes %ld allocations through sqlite3_malloc; %ld outside it (never failed)", r->census_T,
           r->outside);
    if (r->outside) {
      printf(":");
      if (r->lua) printf(" Lua %ld", r->lua);
      if (r->pcre2) printf(" PCRE2 %ld", r->pcre2);
      if (r->libc) printf(" libc %ld", r->libc);
      if (r->zhother) printf(" zhucan-malloc %ld", r->zhother);
      if (r->others) printf(" other %ld", r->others);
      if (r->other_names[0]) printf(" (%s)", r->other_names + (r->other_names[0] == ' '));
    }
    printf("\n");
    for (int m = 0; m < 2; m++) {
      if (!(opt.modes & (1 << m))) continue;
      char plan_s[96];
      if (r->stride[m] > 1) snprintf(plan_s, sizeof plan_s, "1..%ld, then every %ld", r->full[m], r->stride[m]);
      else snprintf(plan_s, sizeof plan_s, "every allocation");
      printf("    %-10s swept %5ld (%s)  injected %6ld  nomem %5ld  ok %4ld", mode_name(m), r->swept[m], plan_s,
             r->injected[m], r->nomem[m], r->ok[m]);
      if (r->other[m]) printf("  other %ld", r->other[m]);
      printf("\n");
      f_swept += r->swept[m], f_inj += r->injected[m], f_nomem += r->nomem[m], f_ok += r->ok[m];
    }
    for (int m = 0; m < 2; m++)
      if (r->skipped[m])
        note(r, " %s: %ld attempts skipped over after the same crash repeated.", mode_name(m), r->skipped[m]);
    if (r->notes[0]) printf("    note:%s\n", r->notes);
    for (int k = 0; k < r->nanom; k++) {
      Anom *a = &r->anoms[k];
      a->known = known_match(r->c->id, a);
      if (a->known) expected++;
      else unexpected++;
      f_anom++;
      printf("    %s %s%s%s, %s, attempt%s %s%s: %s\n", a->known ? "XFAIL" : "FAIL ",
             a->known ? g_known[a->known - 1].id : "", a->known ? " " : "", a->kind, a->mode,
             a->count == 1 ? "" : "s", a->ns, a->count > 6 ? ",..." : "", a->where);
      printf("          %s\n", a->detail);
      if (a->sites[0])
        printf("          failure injected at: %s%s\n", a->sites, a->more_sites ? "; and elsewhere" : "");
      if (a->count > 1) printf("          (%ld attempts)\n", a->count);
    }
  }
  {
    long lua = 0, pcre = 0, libc = 0, zh = 0, oth = 0, inside = 0;
    for (int i = 0; i < ncase; i++) {
      lua += runs[i].lua, pcre += runs[i].pcre2, libc += runs[i].libc, zh += runs[i].zhother;
      oth += runs[i].others, inside += runs[i].census_T;
    }
    printf("coverage: the undisturbed calls made %ld allocations through sqlite3_malloc (each can be failed) and, "
           "outside it (never failed), Lua %ld, PCRE2 %ld, libc %ld, other zhucan malloc %ld, other %ld\n",
           inside, lua, pcre, libc, zh, oth);
  }
  /* A KNOWN.md entry that did not happen: fixed (delete it), or not
  ** reached by this run's sweep (strides move when allocation counts
  ** change).  Fails the run only with OOM_STRICT=1. */
  int fixed = 0, strict = getenv("OOM_STRICT") && strcmp(getenv("OOM_STRICT"), "1") == 0;
  for (int i = 0; i < g_nknown; i++) {
    if (g_known[i].hits) continue;
    int in_scope = 0;
    for (int k = 0; k < ncase; k++) in_scope |= globs_match(g_known[i].pattern, runs[k].c->id);
    if (!in_scope) continue;
    printf("NOT SEEN %s (%s | %s | %s): fixed? then delete it from tests/oom/KNOWN.md%s\n", g_known[i].id,
           g_known[i].pattern, g_known[i].kind, g_known[i].where, strict ? "" : " (OOM_STRICT=1 fails on this)");
    fixed++;
  }
  if (!strict) fixed = 0;
  printf("total: %d cases, swept %ld, injected %ld, nomem %ld, ok %ld; %d expected failure(s) (KNOWN.md), "
         "%d unexpected%s; %.1f s\n",
         ncase, t_swept, t_inj, t_nomem, t_ok, expected, unexpected, fixed ? ", known entries not seen (strict)" : "",
         now_s() - t0);
  /* the scratch directory: kept when something failed (the workers' logs) */
  if (unexpected || fixed) printf("worker logs kept in %s\n", opt.work);
  else remove_work();
  printf("%s\n", unexpected || fixed ? "FAIL" : "PASS");
  fflush(stdout);
  for (int i = 0; i < ncase; i++) free(runs[i].anoms);
  free(runs);
  for (int i = 0; i < NTMPL; i++) free(kTmpl[i].bytes);
  free(g_known);
  return unexpected || fixed ? 1 : 0;
}
