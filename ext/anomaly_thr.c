/*
** anomaly_thr.c — the thresholds of anomaly_scan, coverage_gaps and
** needs_watch: the `anomaly` and `params` entries of the policy version governing a region
** on a day (ThrCache: by governing policy and day), with the SPEC defaults
** for absent entries or when no policy governs.  Every value is checked
** against its allowed range (thr_limits; docs/anomalies.md lists them):
** a value outside it is an error naming the policy, the threshold, the
** value and the range, never a number used as a size or clamped silently.
**
** A row of the cache is one governing policy (by name: the version in
** force depends only on the name and the day) with the thresholds of every
** day of the cache's range, all looked up when the row is made.  Once
** made, a row is only read: anomaly_scan's worker thread reads the rows
** of the sites through the days arrays (thr_days) and never reaches the
** policy runtime.
*/
#include "anomaly.h"
#include "thresholds.h"
#include <math.h>
#include <string.h>

/* The SPEC's meal windows, when no policy governs: the same as
** zc_default_windows (policy_load.c), which policy_int.h keeps private to
** the policy modules; to be replaced by it once policy.h declares it. */
static const ZcWindow default_windows[ZC_NSLOT] = {
    {6 * 3600, 9 * 3600}, {11 * 3600, 13 * 3600 + 1800}, {17 * 3600, 19 * 3600 + 1800}};

/* Each threshold: where it is, its SPEC default and its allowed range
** (inclusive; whole: a count, it must be a whole number). */
static const struct {
  const char *table, *key;
  size_t off;
  double def, lo, hi;
  int whole;
} thr_limits[] = {
    {"anomaly", "travel_minutes", offsetof(Thr, travel_minutes), 30, 0, 1440, 0},
    {"anomaly", "burst_count", offsetof(Thr, burst_count), 6, 2, 1000, 1},
    {"anomaly", "burst_seconds", offsetof(Thr, burst_seconds), 15, 0, 3600, 0},
    {"anomaly", "report_tolerance", offsetof(Thr, report_tolerance), 0, 0, 100000, 0},
    {"anomaly", "manual_share", offsetof(Thr, manual_share), 0.2, 0, 1, 0},
    {"anomaly", "quiet_days", offsetof(Thr, quiet_days), 3, 1, THR_MAX_QUIET, 1},
    {"anomaly", "quiet_active", offsetof(Thr, quiet_active), 10, 0, THR_MAX_QUIET, 1},
    {"anomaly", "quiet_window", offsetof(Thr, quiet_window), 14, 0, THR_MAX_QUIET, 1},
    {"params", "coverage_min_age", offsetof(Thr, coverage_min_age), 70, 0, 150, 0},
    {"params", "coverage_min_elders", offsetof(Thr, coverage_min_elders), 10, 0, 1000000, 0},
    {"anomaly", "needs_quiet_window", offsetof(Thr, needs_quiet_window), 7, 1, THR_MAX_NEEDS_WINDOW, 1},
    {"anomaly", "needs_quiet_regular", offsetof(Thr, needs_quiet_regular), 5, 0, THR_MAX_NEEDS_WINDOW, 1},
    {"anomaly", "needs_quiet_share", offsetof(Thr, needs_quiet_share), 0.25, 0, 1, 0},
};

/* The thresholds of version v (NULL: none governs, the defaults); an
** error names the first value out of its range. */
static int thr_fill(const ZcConn *zc, Thr *t, const ZcPolicyVersion *v, char **pzErr) {
  memset(t, 0, sizeof *t);
  t->v = v;
  for (size_t i = 0; i < sizeof thr_limits / sizeof thr_limits[0]; i++) {
    double x = thr_limits[i].def;
    if (v && zc_policy_number(v, thr_limits[i].table, thr_limits[i].key, &x) &&
        !(isfinite(x) && x >= thr_limits[i].lo && x <= thr_limits[i].hi && (!thr_limits[i].whole || x == floor(x)))) {
      char *which = v->id > 0 ? sqlite3_mprintf(zc_tr(zc, "version %lld, ", "版本 %lld，"), v->id) : sqlite3_mprintf("%s", "");
      *pzErr = sqlite3_mprintf(zc_tr(zc, "policy '%s' (%seffective %s): %s.%s = %.15g is not allowed; "
                                         "expected %s from %.15g to %.15g",
                                     "政策 '%s'（%s%s 生效）：%s.%s = %.15g 不允许；应为%s，范围 %.15g 到 %.15g"),
                               v->name, which ? which : "", v->effective_text, thr_limits[i].table, thr_limits[i].key, x,
                               thr_limits[i].whole ? zc_tr(zc, "a whole number", "整数") : zc_tr(zc, "a number", "数"), thr_limits[i].lo,
                               thr_limits[i].hi);
      sqlite3_free(which);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    *(double *)((char *)t + thr_limits[i].off) = x;
  }
  memcpy(t->win, v ? v->windows : default_windows, sizeof t->win);
  return SQLITE_OK;
}

/* Checked when a version is installed (policy_life.c), so that a value out
** of range never goes live: the same check the scans make. */
int zc_thresholds_check(const ZcConn *zc, const ZcPolicyVersion *v, char **pzErr) {
  Thr t;
  return thr_fill(zc, &t, v, pzErr);
}

/* ---------------------------------------------- by policy and by day */

void thr_cache_init(ThrCache *c, ZcConn *zc, int lo, int ndays) {
  char *unused = NULL;
  memset(c, 0, sizeof *c);
  c->zc = zc;
  c->lo = lo;
  c->ndays = ndays;
  (void)thr_fill(zc, &c->none, NULL, &unused);   /* the defaults are in range */
}

void thr_cache_clear(ThrCache *c) {
  for (int i = 0; i < c->nrows; i++) {
    sqlite3_free(c->rows[i].name);
    sqlite3_free(c->rows[i].days);
  }
  sqlite3_free(c->rows);
  for (int i = 0; i < c->nthr; i++) sqlite3_free(c->thr[i]);
  sqlite3_free(c->thr);
}

int thr_for_version(ThrCache *c, const ZcPolicyVersion *v, const Thr **out, char **pzErr) {
  if (v == NULL) {
    *out = &c->none;
    return SQLITE_OK;
  }
  for (int i = 0; i < c->nthr; i++)
    if (c->thr[i]->v == v) {
      *out = c->thr[i];
      return SQLITE_OK;
    }
  if (c->nthr == c->capthr) {
    int ncap = c->capthr ? c->capthr * 2 : 8;
    Thr **nt = sqlite3_realloc64(c->thr, (sqlite3_uint64)ncap * sizeof *nt);
    if (!nt) return SQLITE_NOMEM;
    c->thr = nt;
    c->capthr = ncap;
  }
  Thr *t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  int rc = thr_fill(c->zc, t, v, pzErr);
  if (rc) {
    sqlite3_free(t);
    return rc;
  }
  c->thr[c->nthr++] = t;
  *out = t;
  return SQLITE_OK;
}

/* The thresholds of row r on days [from, to) of the range (those not
** looked up yet). */
static int thr_row_fill(ThrCache *c, ThrRow *r, int from, int to, char **pzErr) {
  for (int d = from; d < to; d++) {
    if (r->days[d - c->lo]) continue;
    const ZcPolicyVersion *v = NULL;
    int rc = zc_policy_for_name(c->zc, NULL, r->name, d, &v, pzErr);
    if (rc == SQLITE_OK) rc = thr_for_version(c, v, &r->days[d - c->lo], pzErr);
    if (rc) return rc;
  }
  return SQLITE_OK;
}

int thr_policy_row(ThrCache *c, const char *name, int *row, char **pzErr) {
  for (int i = 0; i < c->nrows; i++)
    if (strcmp(c->rows[i].name, name) == 0) {
      *row = i;
      return SQLITE_OK;
    }
  if (c->nrows == c->caprows) {
    int ncap = c->caprows ? c->caprows * 2 : 8;
    ThrRow *nr = sqlite3_realloc64(c->rows, (sqlite3_uint64)ncap * sizeof *nr);
    if (!nr) return SQLITE_NOMEM;
    c->rows = nr;
    c->caprows = ncap;
  }
  ThrRow *r = &c->rows[c->nrows];
  r->name = sqlite3_mprintf("%s", name);
  r->days = sqlite3_malloc64((sqlite3_uint64)c->ndays * sizeof *r->days + 1);
  if (!r->name || !r->days) {
    sqlite3_free(r->name);
    sqlite3_free(r->days);
    return SQLITE_NOMEM;
  }
  memset(r->days, 0, (size_t)c->ndays * sizeof *r->days);
  c->nrows++;   /* counted at once: thr_cache_clear frees it */
  *row = c->nrows - 1;
  return thr_row_fill(c, r, c->lo, c->lo + c->ndays, pzErr);
}

int thr_row(ThrCache *c, const char *code, int *row, char **pzErr) {
  const ZcRegion *g = code ? zc_region_governing(c->zc, code) : NULL;
  if (g == NULL || g->policy == NULL) {
    *row = -1;
    return SQLITE_OK;
  }
  return thr_policy_row(c, g->policy, row, pzErr);
}

int thr_cache_widen(ThrCache *c, int lo, char **pzErr) {
  if (lo >= c->lo) return SQLITE_OK;
  int shift = c->lo - lo, ndays = c->ndays + shift;
  for (int i = 0; i < c->nrows; i++) {
    const Thr **nd = sqlite3_malloc64((sqlite3_uint64)ndays * sizeof *nd + 1);
    if (!nd) return SQLITE_NOMEM;
    memset(nd, 0, (size_t)shift * sizeof *nd);
    memcpy(nd + shift, c->rows[i].days, (size_t)c->ndays * sizeof *nd);
    sqlite3_free(c->rows[i].days);
    c->rows[i].days = nd;
  }
  int old = c->lo;
  c->lo = lo;
  c->ndays = ndays;
  for (int i = 0; i < c->nrows; i++) {
    int rc = thr_row_fill(c, &c->rows[i], lo, old, pzErr);
    if (rc) return rc;
  }
  return SQLITE_OK;
}

/* A day outside the range (never asked by anomaly_scan) is looked up each
** time. */
int thr_get(ThrCache *c, int row, int day, const Thr **out, char **pzErr) {
  if (row < 0) {
    *out = &c->none;
    return SQLITE_OK;
  }
  if (day >= c->lo && day < c->lo + c->ndays) {
    *out = c->rows[row].days[day - c->lo];
    return SQLITE_OK;
  }
  const ZcPolicyVersion *v = NULL;
  int rc = zc_policy_for_name(c->zc, NULL, c->rows[row].name, day, &v, pzErr);
  return rc ? rc : thr_for_version(c, v, out, pzErr);
}
