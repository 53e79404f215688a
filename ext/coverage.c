/*
** coverage.c — coverage_gaps(region, day): the villages and hamlets at or
** under region that fall short of the duty to serve meals on day (the
** table-valued function itself is in anomaly.c).
**
**   SELECT * FROM coverage_gaps('141129', '2024-03-05');
**   -- 141129104207|Xiagou|hamlet|14|14 elders aged 70+ live here (more than 10) and no courtyard is open on 2024-03-05
**
** The duty: an administrative village needs a meal site open in it or its
** hamlets; a hamlet (not exempt) with more than coverage_min_elders living
** elders aged coverage_min_age or more needs a courtyard open in it.  Both
** thresholds come from the `params` table of the policy governing the
** region on the day (anomaly_thr.c).  Three reads: the villages and
** hamlets, the sites open on the day (each marks its region and every
** ancestor), the living elders (each counts in its region and every
** ancestor when old enough there).
*/
#include "anomaly.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void gaps_clear(GapList *g) {
  for (int i = 0; i < g->n; i++) sqlite3_free(g->a[i].reason);
  sqlite3_free(g->a);
  memset(g, 0, sizeof *g);
}

static int gap_cmp(const void *pa, const void *pb) {
  const Gap *a = pa, *b = pb;
  return strcmp(a->r->code, b->r->code);
}

/* A village or hamlet and what the reads found in it. */
typedef struct CovRegion {
  const ZcRegion *r;
  const Thr *t;
  sqlite3_int64 elders;
  int served, courtyard;
} CovRegion;

typedef struct Cov {
  ZcConn *zc;
  int day;
  CovRegion *cr;     /* the villages and hamlets at or under the region, by code */
  int n, cap;
  ZcMap ix;          /* interned code -> index in cr */
  ThrCache tc;
  char **pzErr;
} Cov;

/* An error reading the input tables: its message (unless out of memory or
** a message is already set); returns rc. */
static int cov_sql_error(Cov *cv, int rc) {
  if (rc != SQLITE_NOMEM && !*cv->pzErr)
    *cv->pzErr = sqlite3_mprintf(zc_tr(cv->zc, "coverage_gaps: cannot read the input tables (%s)", "coverage_gaps：无法读取输入的表（%s）"), sqlite3_errmsg(cv->zc->db));
  return rc;
}

static int cov_add_region(Cov *cv, const ZcRegion *r) {
  int rc;
  if (cv->n == cv->cap) {
    cv->cap = cv->cap ? cv->cap * 2 : 64;
    CovRegion *nc = sqlite3_realloc64(cv->cr, (sqlite3_uint64)cv->cap * sizeof *nc);
    if (!nc) return SQLITE_NOMEM;
    cv->cr = nc;
  }
  CovRegion *c = &cv->cr[cv->n];
  memset(c, 0, sizeof *c);
  c->r = r;
  int row;
  if ((rc = thr_row(&cv->tc, r->code, &row, cv->pzErr))) return rc;
  if ((rc = thr_get(&cv->tc, row, cv->day, &c->t, cv->pzErr))) return rc;
  sqlite3_int64 *v = zc_map_slot(&cv->ix, (sqlite3_int64)(intptr_t)r->code, 1, NULL);
  if (!v) return SQLITE_NOMEM;
  *v = cv->n++;
  return SQLITE_OK;
}

/* The villages and hamlets at or under region, with their thresholds. */
static int cov_regions(Cov *cv, const char *region) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(cv->zc->db,
                              "SELECT code FROM region WHERE level IN ('village','hamlet') ORDER BY code", -1,
                              &st, NULL);
  if (rc) return cov_sql_error(cv, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const ZcRegion *r = zc_region(cv->zc, (const char *)sqlite3_column_text(st, 0));
    if (!r || !zc_region_under(cv->zc, r->code, region)) continue;
    if ((rc = cov_add_region(cv, r))) goto done;
  }
  rc = rc == SQLITE_DONE ? SQLITE_OK : cov_sql_error(cv, rc);
done:
  sqlite3_finalize(st);
  return rc;
}

/* The region (interned code) as a village or hamlet of the answer; NULL
** when it is not one. */
static CovRegion *cov_region(Cov *cv, const ZcRegion *r) {
  sqlite3_int64 *v = zc_map_slot(&cv->ix, (sqlite3_int64)(intptr_t)r->code, 0, NULL);
  return v ? &cv->cr[*v] : NULL;
}

/* Sites open on day: each marks its region and each ancestor served (and
** with a courtyard). */
static int cov_open_sites(Cov *cv) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(cv->zc->db, "SELECT region, kind, opened_on, closed_on FROM site", -1, &st, NULL);
  if (rc) return cov_sql_error(cv, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int from = day_col(st, 2);
    int to = sqlite3_column_type(st, 3) == SQLITE_NULL ? INT_MAX : day_col(st, 3);
    if (from == ZC_NONE || to == ZC_NONE || !(from <= cv->day && cv->day < to)) continue;
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    int courtyard = kind && strcmp(kind, "courtyard") == 0;
    int guard = 0;
    for (const ZcRegion *r = zc_region(cv->zc, (const char *)sqlite3_column_text(st, 0)); r && guard < 64;
         r = r->up, guard++) {
      CovRegion *c = cov_region(cv, r);
      if (!c) continue;
      c->served = 1;
      if (courtyard) c->courtyard = 1;
    }
  }
  rc = rc == SQLITE_DONE ? SQLITE_OK : cov_sql_error(cv, rc);
  sqlite3_finalize(st);
  return rc;
}

/* Living elders and their ages on day: each counts in its region and each
** ancestor whose coverage_min_age it reaches. */
static int cov_count_elders(Cov *cv) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(cv->zc->db, "SELECT id_number, region, died_on FROM elder", -1, &st, NULL);
  if (rc) return cov_sql_error(cv, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int died = day_col(st, 2), birth;
    char sex;
    if (died != ZC_NONE && died <= cv->day) continue;
    if (!zc_idcard_parse((const char *)sqlite3_column_text(st, 0), sqlite3_column_bytes(st, 0), &birth, &sex))
      continue;
    if (birth > cv->day) continue;
    int age = zc_age_years(birth, cv->day), guard = 0;
    for (const ZcRegion *r = zc_region(cv->zc, (const char *)sqlite3_column_text(st, 1)); r && guard < 64;
         r = r->up, guard++) {
      CovRegion *c = cov_region(cv, r);
      if (c && age >= c->t->coverage_min_age) c->elders++;
    }
  }
  rc = rc == SQLITE_DONE ? SQLITE_OK : cov_sql_error(cv, rc);
  sqlite3_finalize(st);
  return rc;
}

/* Why c falls short of the duty on day d (sqlite3_mprintf'd into
** *preason), or NULL when it does not. */
static int gap_reason(const ZcConn *zc, const CovRegion *c, const char *d, char **preason) {
  char *reason = NULL;
  *preason = NULL;
  char *age = fmt_number(c->t->coverage_min_age);
  if (!age) return SQLITE_NOMEM;
  if (strcmp(c->r->level, "village") == 0) {
    if (!c->served)
      reason = sqlite3_mprintf(zc_tr(zc,
                                     "administrative village with %lld elders aged %s+ and no meal site open on "
                                     "%s in it or its hamlets",
                                     "行政村，有 %lld 位 %s 岁以上老人，%s 本村及所属自然村都没有开放的助餐点"),
                               c->elders, age, d);
    sqlite3_free(age);
    if (c->served) return SQLITE_OK;
  } else if (!c->courtyard && !c->r->exempt && (double)c->elders > c->t->coverage_min_elders) {
    reason = sqlite3_mprintf(zc_tr(zc, "%lld elders aged %s+ live here (more than %g) and no courtyard is open on %s",
                                   "本村住有 %lld 位 %s 岁以上老人（超过 %g 位），%s 没有开放的助老小院"),
                             c->elders, age, c->t->coverage_min_elders, d);
    sqlite3_free(age);
  } else {
    sqlite3_free(age);
    return SQLITE_OK;
  }
  if (!reason) return SQLITE_NOMEM;
  *preason = reason;
  return SQLITE_OK;
}

/* The regions short of the duty, by code. */
static int cov_list_gaps(Cov *cv, GapList *out) {
  int rc;
  out->a = sqlite3_malloc64(((sqlite3_uint64)cv->n + 1) * sizeof *out->a);
  if (!out->a) return SQLITE_NOMEM;
  char d[11];
  zc_day_format(cv->day, d);
  for (int i = 0; i < cv->n; i++) {
    char *reason;
    if ((rc = gap_reason(cv->zc, &cv->cr[i], d, &reason))) return rc;
    if (!reason) continue;
    out->a[out->n].r = cv->cr[i].r;
    out->a[out->n].elders = cv->cr[i].elders;
    out->a[out->n].reason = reason;
    out->n++;
  }
  if (out->n > 1) qsort(out->a, (size_t)out->n, sizeof *out->a, gap_cmp);
  return SQLITE_OK;
}

int coverage_run(ZcConn *zc, const char *region, int day, GapList *out, char **pzErr) {
  Cov cv;
  memset(&cv, 0, sizeof cv);
  cv.zc = zc;
  cv.day = day;
  cv.pzErr = pzErr;
  zc_map_init(&cv.ix);
  thr_cache_init(&cv.tc, zc, day, 1);
  int rc = zc_facts_sync(zc);
  if (rc == SQLITE_OK) rc = cov_regions(&cv, region);
  if (rc == SQLITE_OK) rc = cov_open_sites(&cv);
  if (rc == SQLITE_OK) rc = cov_count_elders(&cv);
  if (rc == SQLITE_OK) rc = cov_list_gaps(&cv, out);
  sqlite3_free(cv.cr);
  zc_map_clear(&cv.ix);
  thr_cache_clear(&cv.tc);
  return rc;
}
