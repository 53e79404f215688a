/*
** anomaly_thr.c — the thresholds of anomaly_scan and coverage_gaps: the
** `anomaly` and `params` entries of the policy version governing a region
** on a day (ThrCache: by governing region and day), with the SPEC defaults
** for absent entries or when no policy governs.
*/
#include "anomaly.h"
#include <math.h>
#include <string.h>

/* The SPEC's meal windows, when no policy governs. */
static const ZcWindow default_windows[ZC_NSLOT] = {
    {6 * 3600, 9 * 3600}, {11 * 3600, 13 * 3600 + 1800}, {17 * 3600, 19 * 3600 + 1800}};

/* The thresholds of version v (NULL: none governs). */
static void thr_fill(Thr *t, const ZcPolicyVersion *v) {
  static const struct {
    const char *table, *key;
    size_t off;
    double def;
  } aNum[] = {
      {"anomaly", "travel_minutes", offsetof(Thr, travel_minutes), 30},
      {"anomaly", "burst_count", offsetof(Thr, burst_count), 6},
      {"anomaly", "burst_seconds", offsetof(Thr, burst_seconds), 15},
      {"anomaly", "report_tolerance", offsetof(Thr, report_tolerance), 0},
      {"anomaly", "manual_share", offsetof(Thr, manual_share), 0.2},
      {"anomaly", "quiet_days", offsetof(Thr, quiet_days), 3},
      {"anomaly", "quiet_active", offsetof(Thr, quiet_active), 10},
      {"anomaly", "quiet_window", offsetof(Thr, quiet_window), 14},
      {"params", "coverage_min_age", offsetof(Thr, coverage_min_age), 70},
      {"params", "coverage_min_elders", offsetof(Thr, coverage_min_elders), 10},
  };
  memset(t, 0, sizeof *t);
  t->v = v;
  for (size_t i = 0; i < sizeof aNum / sizeof aNum[0]; i++) {
    double x = aNum[i].def;
    if (v && !zc_policy_number(v, aNum[i].table, aNum[i].key, &x)) x = aNum[i].def;
    if (!isfinite(x)) x = aNum[i].def;
    *(double *)((char *)t + aNum[i].off) = x;
  }
  /* day counts are whole days, at least 1 */
  t->quiet_days = t->quiet_days < 1 ? 1 : floor(t->quiet_days);
  t->quiet_window = t->quiet_window < 0 ? 0 : floor(t->quiet_window);
  if (t->quiet_window > 366) t->quiet_window = 366;
  if (t->quiet_days > 366) t->quiet_days = 366;
  if (t->burst_count < 1) t->burst_count = 1;
  memcpy(t->win, v ? v->windows : default_windows, sizeof t->win);
}

/* ---------------------------------------------- by region and by day */

void thr_cache_init(ThrCache *c, ZcConn *zc, int lo, int ndays) {
  memset(c, 0, sizeof *c);
  c->zc = zc;
  c->lo = lo;
  c->ndays = ndays;
  thr_fill(&c->none, NULL);
}

void thr_cache_clear(ThrCache *c) {
  for (int i = 0; i < c->nrows; i++) sqlite3_free(c->rows[i]);
  sqlite3_free(c->rows);
  for (int i = 0; i < c->nthr; i++) sqlite3_free(c->thr[i]);
  sqlite3_free(c->thr);
  zc_map_clear(&c->by_region);
}

int thr_for_version(ThrCache *c, const ZcPolicyVersion *v, const Thr **out) {
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
  thr_fill(t, v);
  c->thr[c->nthr++] = t;
  *out = t;
  return SQLITE_OK;
}

int thr_row(ThrCache *c, const char *code, int *row) {
  const ZcRegion *g = code ? zc_region_governing(c->zc, code) : NULL;
  if (g == NULL) {
    *row = -1;
    return SQLITE_OK;
  }
  int isnew = 0;
  sqlite3_int64 *slot = zc_map_slot(&c->by_region, (sqlite3_int64)(intptr_t)g->code, 1, &isnew);
  if (!slot) return SQLITE_NOMEM;
  if (isnew) {
    if (c->nrows == c->caprows) {
      int ncap = c->caprows ? c->caprows * 2 : 16;
      const Thr ***nr = sqlite3_realloc64(c->rows, (sqlite3_uint64)ncap * sizeof *nr);
      if (!nr) return SQLITE_NOMEM;
      c->rows = nr;
      c->caprows = ncap;
    }
    const Thr **days = sqlite3_malloc64((sqlite3_uint64)c->ndays * sizeof *days);
    if (!days) return SQLITE_NOMEM;
    memset(days, 0, (size_t)c->ndays * sizeof *days);
    c->rows[c->nrows] = days;
    *slot = ++c->nrows;
  }
  *row = (int)*slot - 1;
  return SQLITE_OK;
}

/* A day outside the range is looked up each time; inside, once. */
int thr_get(ThrCache *c, int row, const char *code, int day, const Thr **out, char **pzErr) {
  if (row < 0 || day < c->lo || day >= c->lo + c->ndays) {
    if (row < 0) {
      *out = &c->none;
      return SQLITE_OK;
    }
    const ZcPolicyVersion *v = NULL;
    int rc = zc_policy_for_region(c->zc, NULL, code, day, &v, pzErr);
    if (rc) return rc;
    return thr_for_version(c, v, out);
  }
  const Thr **p = &c->rows[row][day - c->lo];
  if (*p == NULL) {
    const ZcPolicyVersion *v = NULL;
    int rc = zc_policy_for_region(c->zc, NULL, code, day, &v, pzErr);
    if (rc) return rc;
    if ((rc = thr_for_version(c, v, p))) return rc;
  }
  *out = *p;
  return SQLITE_OK;
}
