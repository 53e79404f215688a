/*
** fuzz/common.c — connections, fixtures and statement stepping for the
** zhucan fuzz targets (see common.h).
*/
#include "common.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FZ_ROOT
#define FZ_ROOT "."
#endif

void fz_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("zhucan fuzz: invariant broken: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

/* UBSan's defaults for every target: any report halts (the build makes
** reports recoverable only so that suppressions work), with a stack, and
** fuzz/ubsan.supp silences the known, pending reports listed in
** fuzz/pending/README.md.  UBSAN_OPTIONS comes after these:
** `UBSAN_OPTIONS=suppressions=` (what `sh fuzz/run.sh pending` sets with
** FZ_NO_GUARDS=1) shows the pending reports again.  The sanitizers call this
** before the program starts: no instrumentation, no environment yet. */
const char *__ubsan_default_options(void);
__attribute__((no_sanitize("address", "undefined"))) const char *__ubsan_default_options(void) {
  return "print_stacktrace=1:halt_on_error=1:suppressions=" FZ_ROOT "/fuzz/ubsan.supp";
}

const char *fz_root(void) {
  const char *r = getenv("ZC_ROOT");
  return r && *r ? r : FZ_ROOT;
}

static void quiet_log(void *p, int code, const char *msg) {
  (void)p;
  (void)code;
  (void)msg;
}

void fz_init(void) {
  static int done = 0;
  if (done) return;
  done = 1;
  sqlite3_config(SQLITE_CONFIG_LOG, quiet_log, NULL);
  if (sqlite3_auto_extension((void (*)(void))sqlite3_zhucan_init) != SQLITE_OK)
    fz_fail("sqlite3_auto_extension failed");
}

sqlite3 *fz_open(void) {
  fz_init();
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) fz_fail("opening :memory: with zhucan: %s", db ? sqlite3_errmsg(db) : "?");
  return db;
}

void fz_close(sqlite3 *db) {
  int rc = sqlite3_close(db);
  if (rc != SQLITE_OK) fz_fail("sqlite3_close: %s (a statement left unfinalized?)", sqlite3_errstr(rc));
}

void fz_exec_ok(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
    fz_fail("fixture SQL failed: %s\n--- in:\n%.400s", err ? err : "?", sql);
}

static char *read_file(const char *rel) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", fz_root(), rel);
  FILE *f = fopen(path, "rb");
  if (!f) fz_fail("cannot open %s (set ZC_ROOT to the repository)", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *z = malloc((size_t)n + 1);
  if (!z || fread(z, 1, (size_t)n, f) != (size_t)n) fz_fail("cannot read %s", path);
  z[n] = 0;
  fclose(f);
  return z;
}

/* Replaces every %ROOT% in s by fz_root() (malloc'd). */
static char *subst_root(const char *s) {
  const char *root = fz_root();
  size_t rn = strlen(root), n = 0;
  for (const char *p = s; (p = strstr(p, "%ROOT%")) != NULL; p += 6) n++;
  char *out = malloc(strlen(s) + n * rn + 1), *o = out;
  if (!out) fz_fail("out of memory");
  for (const char *p = s;;) {
    const char *q = strstr(p, "%ROOT%");
    if (!q) {
      strcpy(o, p);
      break;
    }
    memcpy(o, p, (size_t)(q - p));
    o += q - p;
    memcpy(o, root, rn);
    o += rn;
    p = q + 6;
  }
  return out;
}

static void run_setup(sqlite3 *db, const char *setup) {
  char *schema = read_file("sql/schema.sql");
  fz_exec_ok(db, schema);
  free(schema);
  if (!setup) return;
  char *s = subst_root(setup);
  /* "@file" lines are files; everything else is SQL, run in order. */
  char *p = s;
  while (*p) {
    char *eol = strchr(p, '\n');
    char *next = eol ? eol + 1 : p + strlen(p);
    if (*p == '@') {
      if (eol) *eol = 0;
      char *z = read_file(p + 1);
      fz_exec_ok(db, z);
      free(z);
      p = next;
      continue;
    }
    char *q = p; /* an SQL block: up to the next "@" line */
    while (*q && !(q[0] == '\n' && q[1] == '@')) q++;
    char save = *q;
    *q = 0;
    fz_exec_ok(db, p);
    *q = save;
    p = *q ? q + 1 : q;
  }
  free(s);
}

static unsigned char *g_image;
static sqlite3_int64 g_image_n;

sqlite3 *fz_open_fixture(const char *setup) {
  if (!g_image) {
    sqlite3 *db = fz_open();
    run_setup(db, setup);
    g_image = sqlite3_serialize(db, "main", &g_image_n, 0);
    if (!g_image) fz_fail("sqlite3_serialize failed");
    fz_close(db);
    /* keep the image for the process; LSan sees it reachable */
  }
  sqlite3 *db = fz_open();
  unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)g_image_n);
  if (!copy) fz_fail("out of memory");
  memcpy(copy, g_image, (size_t)g_image_n);
  int rc = sqlite3_deserialize(db, "main", copy, g_image_n, g_image_n,
                               SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc != SQLITE_OK) fz_fail("sqlite3_deserialize: %s", sqlite3_errmsg(db));
  return db;
}

sqlite3_stmt *fz_prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fz_fail("cannot prepare %s: %s", sql, sqlite3_errmsg(db));
  return st;
}

/* Codes that no input may produce on an in-memory database.  zhucan itself
** answers SQLITE_CORRUPT, with its own message, for a damaged meal pack
** (ext/pack.c, ext/run.c): that is an answer, SQLite's own CORRUPT is not. */
static void check_code(sqlite3_stmt *st, int rc) {
  const char *msg = sqlite3_errmsg(sqlite3_db_handle(st));
  switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_ROW: case SQLITE_DONE: case SQLITE_ERROR:
    case SQLITE_CONSTRAINT: case SQLITE_TOOBIG: case SQLITE_RANGE: case SQLITE_MISMATCH:
    case SQLITE_ABORT: case SQLITE_INTERRUPT:
      return;
    case SQLITE_CORRUPT:
      if (strstr(msg, "meal pack")) return;
      /* fall through */
    default:
      fz_fail("%s answered %s (%s)", sqlite3_sql(st), sqlite3_errstr(rc),
              sqlite3_errmsg(sqlite3_db_handle(st)));
  }
}

int fz_run(sqlite3_stmt *st, int *nrow) {
  int rc, n = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    n++;
    int nc = sqlite3_column_count(st);
    for (int i = 0; i < nc; i++) {
      const unsigned char *t = sqlite3_column_text(st, i);
      int b = sqlite3_column_bytes(st, i);
      /* touch the bytes, so ASan sees a short buffer */
      volatile unsigned char sink = 0;
      if (t && b > 0) sink ^= t[0] ^ t[b - 1];
      (void)sink;
    }
  }
  check_code(st, rc);
  int rc2 = sqlite3_reset(st);
  check_code(st, rc2);
  if (nrow) *nrow = n;
  return rc == SQLITE_DONE ? SQLITE_DONE : (rc2 != SQLITE_OK ? rc2 : rc);
}

int fz_finish(sqlite3_stmt *st, int rc) {
  check_code(st, rc);
  check_code(st, sqlite3_reset(st));
  return rc;
}

int fz_first(sqlite3_stmt *st, sqlite3_value **row) {
  if (row) *row = NULL;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) return fz_finish(st, rc);
  if (row) {
    *row = sqlite3_value_dup(sqlite3_column_value(st, 0));
    if (!*row) fz_fail("out of memory");
  }
  rc = fz_run(st, NULL);
  if (rc != SQLITE_DONE) {
    if (row) sqlite3_value_free(*row), *row = NULL;
    return rc;
  }
  return SQLITE_ROW;
}

int fz_query(sqlite3 *db, const char *sql, int npar, const char *const *par, const int *parn,
             char *out, size_t outn) {
  sqlite3_stmt *st = fz_prepare(db, sql);
  for (int i = 0; i < npar; i++) {
    if (par[i] == NULL) sqlite3_bind_null(st, i + 1);
    else sqlite3_bind_text(st, i + 1, par[i], parn ? parn[i] : -1, SQLITE_STATIC);
  }
  if (out && outn) out[0] = 0;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && out && outn) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    if (t) snprintf(out, outn, "%s", (const char *)t);
  }
  if (rc == SQLITE_ROW) rc = fz_run(st, NULL); /* the remaining rows */
  else fz_finish(st, rc);
  sqlite3_finalize(st);
  return rc;
}

int fz_budget_hit(sqlite3 *db) {
  const char *m = sqlite3_errmsg(db);
  return m && (strstr(m, "budget") || strstr(m, "memory cap"));
}

int fz_split(const uint8_t *data, size_t size, uint8_t sep, int max, const uint8_t **f,
             size_t *fn) {
  int k = 0;
  size_t start = 0;
  for (size_t i = 0; i < size && k < max - 1; i++) {
    if (data[i] == sep) {
      f[k] = data + start;
      fn[k] = i - start;
      k++;
      start = i + 1;
    }
  }
  f[k] = data + start;
  fn[k] = size - start;
  return k + 1;
}

void fz_bind_text(sqlite3_stmt *st, int i, const void *p, size_t n) {
  sqlite3_bind_text(st, i, n ? (const char *)p : "", (int)n, SQLITE_TRANSIENT);
}

void fz_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n) {
  if (n) sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
  else sqlite3_bind_zeroblob(st, i, 0);
}

int fz_guarded(void) {
  static int g = -1;
  if (g < 0) {
    const char *e = getenv("FZ_NO_GUARDS");
    g = !(e && *e && strcmp(e, "0") != 0);
  }
  return g;
}
