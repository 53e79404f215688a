/*
** fuzz/regex.c — PCRE2 pattern compile and match through the regexp_*
** functions.
**
** Input: one flag byte, then records separated by 0x1E, each record
** PATTERN 0x1F SUBJECT [0x1F REPLACEMENT-OR-GROUP-NAME].  Flag bits:
**   0-1  how SUBJECT is bound: 2 = as a blob (an error), else as text
**   2-5  the group number given to regexp_capture(s, p, n)
**   6    regexp_capture's third argument is the record's third field (a
**        group name) instead of the number
** The first record goes through every function with bound parameters:
** regexp(p, s), s REGEXP p, regexp_like, regexp_substr, regexp_capture
** (2 and 3 arguments), regexp_replace.  All records (up to 24) are then
** put in a temp table and each function runs over it in one statement, so
** patterns vary per row: the per-connection LRU (16 entries) evicts and
** auxdata changes hands, and a constant pattern runs against every row.
**
** Invariants (SPEC.md, docs/ref/regexp*.md), checked when the calls
** succeed: regexp(p, s) = (s REGEXP p) = regexp_like(s, p) in {0, 1};
** regexp_substr is NULL exactly when there is no match and is otherwise a
** substring of s; regexp_capture(s, p) = regexp_substr(s, p); without a
** match regexp_replace answers s unchanged.
*/
#include "common.h"
#include <string.h>

#define MAX_RECORDS 24

typedef struct Rec {
  const uint8_t *f[3];
  size_t n[3];
  int nf;
} Rec;

/* 1 and the row's value in *v when st succeeded, 0 on error. */
static int one(sqlite3_stmt *st, sqlite3_value **v) {
  return fz_first(st, v) == SQLITE_ROW; /* a SELECT of expressions: one row */
}

static int is_null(sqlite3_value *v) { return sqlite3_value_type(v) == SQLITE_NULL; }

static int same_value(sqlite3_value *a, sqlite3_value *b) {
  if (sqlite3_value_type(a) != sqlite3_value_type(b)) return 0;
  if (is_null(a)) return 1;
  int n = sqlite3_value_bytes(a);
  if (n != sqlite3_value_bytes(b)) return 0;
  return n == 0 || memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b), (size_t)n) == 0;
}

static int contains(const uint8_t *h, size_t hn, const void *nd, size_t nn) {
  if (nn == 0) return 1;
  for (size_t i = 0; i + nn <= hn; i++)
    if (memcmp(h + i, nd, nn) == 0) return 1;
  return 0;
}

static void bind_args(sqlite3_stmt *st, const Rec *r, int blob, int group, int byname) {
  int np = sqlite3_bind_parameter_count(st);
  for (int i = 1; i <= np; i++) {
    const char *nm = sqlite3_bind_parameter_name(st, i);
    if (strcmp(nm, "$p") == 0) fz_bind_text(st, i, r->f[0], r->n[0]);
    else if (strcmp(nm, "$s") == 0) {
      if (blob) fz_bind_blob(st, i, r->f[1], r->n[1]);
      else fz_bind_text(st, i, r->f[1], r->n[1]);
    } else if (strcmp(nm, "$r") == 0) fz_bind_text(st, i, r->f[2], r->n[2]);
    else if (strcmp(nm, "$g") == 0) {
      if (byname) fz_bind_text(st, i, r->f[2], r->n[2]);
      else sqlite3_bind_int(st, i, group);
    }
  }
}

static void first_record(sqlite3 *db, const Rec *r, int blob, int group, int byname) {
  enum { REGEXP, OP, LIKE, SUBSTR, CAP, CAPN, REPL, N };
  static const char *const sql[N] = {
      "SELECT regexp($p, $s)",           "SELECT $s REGEXP $p",
      "SELECT regexp_like($s, $p)",      "SELECT regexp_substr($s, $p)",
      "SELECT regexp_capture($s, $p)",   "SELECT regexp_capture($s, $p, $g)",
      "SELECT regexp_replace($s, $p, $r)"};
  sqlite3_value *v[N];
  int ok[N];
  for (int i = 0; i < N; i++) {
    sqlite3_stmt *st = fz_prepare(db, sql[i]);
    bind_args(st, r, blob, group, byname);
    ok[i] = one(st, &v[i]);
    sqlite3_finalize(st);
  }
  if (ok[LIKE]) {
    int t = sqlite3_value_type(v[LIKE]);
    long long x = sqlite3_value_int64(v[LIKE]);
    if (t != SQLITE_INTEGER || (x != 0 && x != 1)) fz_fail("regexp_like answered a non-0/1");
    if (ok[REGEXP] && !same_value(v[REGEXP], v[LIKE])) fz_fail("regexp(p, s) != regexp_like(s, p)");
    if (ok[OP] && !same_value(v[OP], v[LIKE])) fz_fail("s REGEXP p != regexp_like(s, p)");
    if (ok[SUBSTR]) {
      if (is_null(v[SUBSTR]) != (x == 0)) fz_fail("regexp_substr NULL-ness disagrees with regexp_like");
      if (!is_null(v[SUBSTR]) &&
          !contains(r->f[1], r->n[1], sqlite3_value_blob(v[SUBSTR]),
                    (size_t)sqlite3_value_bytes(v[SUBSTR])))
        fz_fail("regexp_substr answered text that is not in the subject");
    }
    if (ok[REPL] && x == 0) {
      if (sqlite3_value_type(v[REPL]) != SQLITE_TEXT ||
          (size_t)sqlite3_value_bytes(v[REPL]) != r->n[1] ||
          (r->n[1] && memcmp(sqlite3_value_blob(v[REPL]), r->f[1], r->n[1]) != 0))
        fz_fail("regexp_replace changed a subject its pattern does not match");
    }
  }
  if (ok[CAP] && ok[SUBSTR] && !same_value(v[CAP], v[SUBSTR]))
    fz_fail("regexp_capture(s, p) != regexp_substr(s, p)");
  for (int i = 0; i < N; i++) sqlite3_value_free(v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int flags = data[0];
  int blob = (flags & 3) == 2, group = (flags >> 2) & 15, byname = (flags >> 6) & 1;
  const uint8_t *rf[MAX_RECORDS];
  size_t rn[MAX_RECORDS];
  int nrec = fz_split(data + 1, size - 1, FZ_RS, MAX_RECORDS, rf, rn);
  Rec rec[MAX_RECORDS];
  for (int i = 0; i < nrec; i++) {
    rec[i].nf = fz_split(rf[i], rn[i], FZ_SEP, 3, rec[i].f, rec[i].n);
    for (int k = rec[i].nf; k < 3; k++) {
      rec[i].f[k] = (const uint8_t *)"";
      rec[i].n[k] = 0;
    }
  }

  sqlite3 *db = fz_open();
  first_record(db, &rec[0], blob, group, byname);

  if (nrec > 1) {
    fz_exec_ok(db, "CREATE TEMP TABLE t(i INTEGER PRIMARY KEY, p, s, r)");
    sqlite3_stmt *ins = fz_prepare(db, "INSERT INTO t(p, s, r) VALUES ($p, $s, $r)");
    for (int i = 0; i < nrec; i++) {
      bind_args(ins, &rec[i], blob, group, byname);
      if (fz_run(ins, NULL) != SQLITE_DONE) fz_fail("insert into a temp table failed");
    }
    sqlite3_finalize(ins);
    static const char *const sql[] = {
        "SELECT regexp_like(s, p) FROM t ORDER BY i",
        "SELECT regexp_substr(s, p), regexp_capture(s, p, 1) FROM t ORDER BY i",
        "SELECT regexp_capture(s, p, r) FROM t ORDER BY i",
        "SELECT regexp_replace(s, p, r) FROM t ORDER BY i",
        "SELECT s REGEXP $p FROM t ORDER BY i",
        "SELECT regexp_replace(s, $p, $r) FROM t ORDER BY i DESC",
        "SELECT regexp_like(s, p), regexp_like(s, p || '') FROM t, (SELECT 1 UNION ALL SELECT 2)",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
      sqlite3_stmt *st = fz_prepare(db, sql[i]);
      bind_args(st, &rec[0], 0, group, byname);
      fz_run(st, NULL);
      sqlite3_finalize(st);
    }
  }
  fz_close(db);
  return 0;
}
