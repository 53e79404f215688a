/*
** fuzz/datetime.c — the day, month and time parsers behind the SQL
** functions that take 'YYYY-MM-DD', 'YYYY-MM' and 'YYYY-MM-DD HH:MM:SS'.
**
** Input: one byte B, then fields F0 0x1F F1 0x1F F2 (missing fields are
** empty; F2 defaults to the county '141129').  On a copy of a tiny database
** (sql/schema.sql, fixtures/hand/zhongyang.sql, lua/zhongyang.lua loaded),
** with elder E = B % 8 (0 and 7 do not exist) and site S = 1 + (B >> 3) % 4
** (4 does not exist):
**   age_on(F0, F1)                          F1 a day
**   eligible(E, F0) and eligible(E, F0, F1) F0 a day, F1 a service
**   subsidy_for(E, S, F0, F1)               F0 a time, F1 a slot (a quote)
**   settlement(F2, F0)                      F0 a month
**   coverage_gaps(F2, F0)                   F0 a day
**   anomaly_scan(F2, F0)                    F0 a month
**   settle(F2, F0) when B & 0x80            F0 a month (a stored run)
**
** Invariant (SPEC.md "Conventions"; malformed or impossible values are
** errors): whenever a call succeeds, the value it parsed is canonical and
** real: F1 = date(F1) for age_on, F0 = date(F0) for eligible and
** coverage_gaps, F0 = strftime('%Y-%m-%d %H:%M:%S', F0) for subsidy_for,
** F0 = strftime('%Y-%m', F0 || '-01') for the month functions.  age_on is
** never negative, eligible answers 0 or 1.
*/
#include "common.h"
#include <stdio.h>
#include <string.h>

static const char fixture[] =
    "@fixtures/hand/zhongyang.sql\n"
    "SELECT policy_load('%ROOT%/lua/zhongyang.lua');\n";

typedef struct Args {
  const uint8_t *f[3];
  size_t n[3];
  int elder, site;
} Args;

/* Runs sql with named parameters $f0 $f1 $f2 $e $s bound; answers 1 when it
** succeeded; the first row's first column in *v when v is given. */
static int call(sqlite3 *db, const char *sql, const Args *a, sqlite3_value **v) {
  sqlite3_stmt *st = fz_prepare(db, sql);
  int np = sqlite3_bind_parameter_count(st);
  for (int i = 1; i <= np; i++) {
    const char *nm = sqlite3_bind_parameter_name(st, i);
    if (nm[1] == 'f') fz_bind_text(st, i, a->f[nm[2] - '0'], a->n[nm[2] - '0']);
    else if (nm[1] == 'e') sqlite3_bind_int(st, i, a->elder);
    else if (nm[1] == 's') sqlite3_bind_int(st, i, a->site);
  }
  int rc = fz_first(st, v);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* The canonical form check: 1 when SQL expression canon (of $f0/$f1) equals
** the field. */
static int canonical(sqlite3 *db, const char *canon, const Args *a, int field) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT $f%d IS %s", field, canon);
  sqlite3_value *v;
  if (!call(db, sql, a, &v) || !v) fz_fail("%s failed", sql);
  int ok = sqlite3_value_int(v);
  sqlite3_value_free(v);
  return ok;
}

static void check_int(sqlite3_value *v, const char *what, long long lo, long long hi) {
  if (!v || sqlite3_value_type(v) == SQLITE_NULL) return;
  long long x = sqlite3_value_int64(v);
  if (sqlite3_value_type(v) != SQLITE_INTEGER || x < lo || x > hi)
    fz_fail("%s answered %lld", what, x);
}

#define DAY_OF(i) "date($f" #i ")"
#define MONTH_OF(i) "strftime('%Y-%m', $f" #i " || '-01')"
#define TIME_OF(i) "strftime('%Y-%m-%d %H:%M:%S', $f" #i ")"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  Args a;
  int b = data[0];
  int nf = fz_split(data + 1, size - 1, FZ_SEP, 3, a.f, a.n);
  for (int i = nf; i < 3; i++) {
    a.f[i] = (const uint8_t *)(i == 2 ? "141129" : "");
    a.n[i] = i == 2 ? 6 : 0;
  }
  a.elder = b % 8;
  a.site = 1 + (b >> 3) % 4;

  sqlite3 *db = fz_open_fixture(fixture);
  sqlite3_value *v;
  if (call(db, "SELECT age_on($f0, $f1)", &a, &v)) {
    check_int(v, "age_on", 0, 1 << 30);
    if (!canonical(db, DAY_OF(1), &a, 1)) fz_fail("age_on accepted a day that is not 'YYYY-MM-DD'");
    sqlite3_value_free(v);
  }
  if (call(db, "SELECT eligible($e, $f0)", &a, &v)) {
    check_int(v, "eligible", 0, 1);
    if (!canonical(db, DAY_OF(0), &a, 0)) fz_fail("eligible accepted a day that is not 'YYYY-MM-DD'");
    sqlite3_value_free(v);
  }
  if (call(db, "SELECT eligible($e, $f0, $f1)", &a, &v)) {
    check_int(v, "eligible", 0, 1);
    if (!canonical(db, DAY_OF(0), &a, 0)) fz_fail("eligible accepted a day that is not 'YYYY-MM-DD'");
    sqlite3_value_free(v);
  }
  if (call(db, "SELECT subsidy_for($e, $s, $f0, $f1)", &a, &v)) {
    if (!canonical(db, TIME_OF(0), &a, 0))
      fz_fail("subsidy_for accepted a time that is not 'YYYY-MM-DD HH:MM:SS'");
    sqlite3_value_free(v);
  }
  if (call(db, "SELECT * FROM settlement($f2, $f0)", &a, NULL) &&
      !canonical(db, MONTH_OF(0), &a, 0))
    fz_fail("settlement accepted a month that is not 'YYYY-MM'");
  if (call(db, "SELECT * FROM coverage_gaps($f2, $f0)", &a, NULL) &&
      !canonical(db, DAY_OF(0), &a, 0))
    fz_fail("coverage_gaps accepted a day that is not 'YYYY-MM-DD'");
  if (call(db, "SELECT * FROM anomaly_scan($f2, $f0)", &a, NULL) &&
      !canonical(db, MONTH_OF(0), &a, 0))
    fz_fail("anomaly_scan accepted a month that is not 'YYYY-MM'");
  if ((b & 0x80) && call(db, "SELECT settle($f2, $f0)", &a, NULL) &&
      !canonical(db, MONTH_OF(0), &a, 0))
    fz_fail("settle accepted a month that is not 'YYYY-MM'");
  fz_close(db);
  return 0;
}
