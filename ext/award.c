/*
** award.c — award_ranking(region, year): the yearly awards of Zhongyang's
** notice (中民发〔2024〕3号: 2 townships, 10% of villages and 10% of
** courtyards), ranked on a documented score (docs/ref/award_ranking.md):
**
**   SELECT * FROM award_ranking('141129', 2024);
**
**   CREATE TABLE x(level, unit, name, township, elders, meals,
**                  meals_per_elder, fraud, notices_on_time, coverage, score,
**                  rank, quota, awarded, region HIDDEN, year HIDDEN);
**
** Per unit (a township, a village, a courtyard site) over the year:
**   meals per elder  meals served at its sites / its elders aged 70+ (alive
**                    on 1 January, 70 by 31 December; at least 1)
**   fraud            anomaly_scan findings of severity 'fraud' at its sites
**   notices          share of its site-months with meals whose notice was
**                    neither missing, late nor short (notice_due; 'pending'
**                    months left out)
**   coverage         share of the 12 months whose first day coverage_gaps
**                    finds no gap in the village (its hamlets included); a
**                    township's is its villages' mean, a courtyard's its
**                    village's
**   score = w_meals * min(1, meals_per_elder / meals_target)
**         + w_notices * notices + w_coverage * coverage - fraud_penalty * fraud
** with the award_* params of the policy governing the region on 31
** December (defaults 40, 100, 30, 30, 5), checked at install (award.h).
** Ranks: townships in the region, villages and courtyards in their
** township; ties broken by more meals per elder, fewer fraud findings, then
** the lower code or site id.  Quotas: award_townships (2); ceil(share * n)
** of a township's villages and courtyards (award_village_share,
** award_courtyard_share: 0.10).  The first units in rank order without a
** fraud finding fill the quota (awarded = 1).
*/
#include "award.h"
#include "facts.h"
#include "modules.h"
#include "notice.h"
#include "tvf.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ params */

typedef struct AwParams {
  double w_meals, target, w_notices, w_coverage, penalty, townships, village_share, courtyard_share;
} AwParams;

static const struct {
  const char *key;
  size_t off;
  double def, lo, hi;
  int whole;
} aw_limits[] = {
    {"award_weight_meals", offsetof(AwParams, w_meals), 40, 0, 1000, 0},
    {"award_meals_target", offsetof(AwParams, target), 100, 1, 100000, 0},
    {"award_weight_notices", offsetof(AwParams, w_notices), 30, 0, 1000, 0},
    {"award_weight_coverage", offsetof(AwParams, w_coverage), 30, 0, 1000, 0},
    {"award_fraud_penalty", offsetof(AwParams, penalty), 5, 0, 1000, 0},
    {"award_townships", offsetof(AwParams, townships), 2, 0, 1000, 1},
    {"award_village_share", offsetof(AwParams, village_share), 0.1, 0, 1, 0},
    {"award_courtyard_share", offsetof(AwParams, courtyard_share), 0.1, 0, 1, 0},
};

static int aw_params(ZcConn *zc, const ZcPolicyVersion *v, AwParams *p, char **pzErr) {
  for (size_t i = 0; i < sizeof aw_limits / sizeof aw_limits[0]; i++) {
    double x = aw_limits[i].def;
    if (v && zc_policy_number(v, "params", aw_limits[i].key, &x) &&
        !(isfinite(x) && x >= aw_limits[i].lo && x <= aw_limits[i].hi && (!aw_limits[i].whole || x == floor(x)))) {
      *pzErr = sqlite3_mprintf(zc_tr(zc, "policy '%s' (effective %s): params.%s = %.15g is not allowed; expected %s from "
                                         "%.15g to %.15g",
                                     "政策 '%s'（%s 起施行）：params.%s = %.15g 不允许；应为%s，范围 %.15g 到 %.15g"),
                               v->name, v->effective_text, aw_limits[i].key, x,
                               aw_limits[i].whole ? zc_tr(zc, "a whole number", "整数") : zc_tr(zc, "a number", "数"),
                               aw_limits[i].lo, aw_limits[i].hi);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    *(double *)((char *)p + aw_limits[i].off) = x;
  }
  return SQLITE_OK;
}

int zc_award_check(ZcConn *zc, const ZcPolicyVersion *v, char **pzErr) {
  AwParams p;
  return aw_params(zc, v, &p, pzErr);
}

/* ------------------------------------------------------------- units */

enum { L_TOWNSHIP, L_VILLAGE, L_COURTYARD };
static const char *const LEVEL[] = {"township", "village", "courtyard"};

typedef struct AwUnit {
  int level;
  const ZcRegion *reg;        /* the township or village; a courtyard's region */
  const ZcRegion *township;   /* for ranking groups */
  const ZcRegion *village;    /* a courtyard's village (coverage) */
  sqlite3_int64 site;         /* courtyard */
  char *name;
  sqlite3_int64 elders, meals, fraud, months, bad;
  double cov_sum;
  int cov_n;
  double per_elder, notices, coverage, score;
  sqlite3_int64 score_c;      /* score in hundredths, rounded: what ranks */
  int rank, quota, awarded;
} AwUnit;

typedef struct AwSite {
  sqlite3_int64 id;
  const ZcRegion *reg;
  sqlite3_int64 meals, months, bad, fraud;
} AwSite;

typedef struct Aw {
  ZcConn *zc;
  const char *region;
  int year;
  char jan1[24], next[24];
  AwParams p;
  AwUnit *u;
  int nu, capu;
  AwSite *s;
  int ns, caps;
  ZcMap site_ix;    /* site id -> index in s */
  ZcMap reg_ix;     /* (intptr_t) township / village region -> unit index */
  ZcMap elders;     /* (intptr_t) region -> elders 70+ living at or under it */
  ZcMap badcov;     /* (intptr_t) village -> bits of months with a gap */
} Aw;

#define KEY(p) ((sqlite3_int64)(intptr_t)(p))

static AwUnit *unit_add(Aw *a, int level, const ZcRegion *reg, const char *name) {
  if (a->nu == a->capu) {
    int ncap = a->capu ? a->capu * 2 : 64;
    AwUnit *nu = sqlite3_realloc64(a->u, (sqlite3_uint64)ncap * sizeof *nu);
    if (!nu) return NULL;
    a->u = nu;
    a->capu = ncap;
  }
  AwUnit *u = &a->u[a->nu];
  memset(u, 0, sizeof *u);
  u->level = level;
  u->reg = reg;
  u->township = reg && reg->township ? zc_region(a->zc, reg->township) : NULL;
  u->village = reg && reg->village ? zc_region(a->zc, reg->village) : NULL;
  if (!(u->name = sqlite3_mprintf("%s", name ? name : ""))) return NULL;
  a->nu++;
  return u;
}

/* runs sql with ?1..?n bound to texts; hands each row to fn */
typedef int (*AwRow)(Aw *a, sqlite3_stmt *st, void *arg);
static int aw_each(Aw *a, const char *sql, const char *b1, const char *b2, AwRow fn, void *arg, char **pzErr) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(a->zc->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    if (b1) sqlite3_bind_text(st, 1, b1, -1, SQLITE_STATIC);
    if (b2) sqlite3_bind_text(st, 2, b2, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      if ((rc = fn(a, st, arg)) != SQLITE_OK) break;
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc && rc != SQLITE_NOMEM && !*pzErr) *pzErr = sqlite3_mprintf("award_ranking: %s", sqlite3_errmsg(a->zc->db));
  sqlite3_finalize(st);
  return rc;
}

#define TXT(i) ((const char *)sqlite3_column_text(st, (i)))

static int row_region(Aw *a, sqlite3_stmt *st, void *arg) {
  (void)arg;
  const ZcRegion *r = zc_region(a->zc, TXT(0));
  if (!r || !zc_region_under(a->zc, r->code, a->region)) return SQLITE_OK;
  int level = !strcmp(r->level, "township") ? L_TOWNSHIP : L_VILLAGE;
  if (!unit_add(a, level, r, r->name)) return SQLITE_NOMEM;
  sqlite3_int64 *ix = zc_map_slot(&a->reg_ix, KEY(r), 1, NULL);
  if (!ix) return SQLITE_NOMEM;
  *ix = a->nu - 1;
  return SQLITE_OK;
}

static int row_courtyard(Aw *a, sqlite3_stmt *st, void *arg) {
  (void)arg;
  const ZcRegion *r = TXT(2) ? zc_region(a->zc, TXT(2)) : NULL;
  if (!r || !zc_region_under(a->zc, r->code, a->region)) return SQLITE_OK;
  AwUnit *u = unit_add(a, L_COURTYARD, r, TXT(1));
  if (!u) return SQLITE_NOMEM;
  u->site = sqlite3_column_int64(st, 0);
  return SQLITE_OK;
}

static int row_site(Aw *a, sqlite3_stmt *st, void *arg) {
  (void)arg;
  const ZcRegion *r = TXT(1) ? zc_region(a->zc, TXT(1)) : NULL;
  if (!r || !zc_region_under(a->zc, r->code, a->region)) return SQLITE_OK;
  if (a->ns == a->caps) {
    int ncap = a->caps ? a->caps * 2 : 256;
    AwSite *ns = sqlite3_realloc64(a->s, (sqlite3_uint64)ncap * sizeof *ns);
    if (!ns) return SQLITE_NOMEM;
    a->s = ns;
    a->caps = ncap;
  }
  AwSite *s = &a->s[a->ns];
  memset(s, 0, sizeof *s);
  s->id = sqlite3_column_int64(st, 0);
  s->reg = r;
  s->meals = sqlite3_column_int64(st, 2);
  s->months = sqlite3_column_int64(st, 3);
  sqlite3_int64 *ix = zc_map_slot(&a->site_ix, s->id, 1, NULL);
  if (!ix) return SQLITE_NOMEM;
  *ix = a->ns++;
  return SQLITE_OK;
}

static AwSite *site_of(Aw *a, sqlite3_int64 id) {
  sqlite3_int64 *ix = zc_map_slot(&a->site_ix, id, 0, NULL);
  return ix ? &a->s[*ix] : NULL;
}

static int row_fraud(Aw *a, sqlite3_stmt *st, void *arg) {
  (void)arg;
  AwSite *s = site_of(a, sqlite3_column_int64(st, 0));
  if (s) s->fraud += sqlite3_column_int64(st, 1);
  return SQLITE_OK;
}

/* notice_due per site: (site, pending, lapse) */
static int row_due(Aw *a, sqlite3_stmt *st, void *arg) {
  (void)arg;
  AwSite *s = site_of(a, sqlite3_column_int64(st, 0));
  if (!s) return SQLITE_OK;
  if (sqlite3_column_int(st, 1)) s->months--;       /* pending: not yet due */
  else if (sqlite3_column_int(st, 2)) s->bad++;
  return SQLITE_OK;
}

static int row_gap(Aw *a, sqlite3_stmt *st, void *arg) {
  const ZcRegion *r = TXT(0) ? zc_region(a->zc, TXT(0)) : NULL;
  const ZcRegion *v = r && r->village ? zc_region(a->zc, r->village) : NULL;
  if (!v) return SQLITE_OK;
  sqlite3_int64 *bits = zc_map_slot(&a->badcov, KEY(v), 1, NULL);
  if (!bits) return SQLITE_NOMEM;
  *bits |= (sqlite3_int64)1 << *(int *)arg;
  return SQLITE_OK;
}

/* an elder aged 70+ on 31 December, alive on 1 January: counted in every
** region of their chain */
static int row_elder(Aw *a, sqlite3_stmt *st, void *arg) {
  (void)arg;
  int birth;
  char sex;
  const char *idn = TXT(0), *died = TXT(2);
  if (!idn || !zc_idcard_parse(idn, -1, &birth, &sex)) return SQLITE_OK;
  if (zc_age_years(birth, zc_days_from_civil(a->year, 12, 31)) < 70) return SQLITE_OK;
  if (died && strcmp(died, a->jan1) <= 0) return SQLITE_OK;
  for (const ZcRegion *r = TXT(1) ? zc_region(a->zc, TXT(1)) : NULL; r; r = r->up) {
    sqlite3_int64 *n = zc_map_slot(&a->elders, KEY(r), 1, NULL);
    if (!n) return SQLITE_NOMEM;
    (*n)++;
  }
  return SQLITE_OK;
}

static const char *SQL_REGIONS = "SELECT code FROM region WHERE level IN ('township', 'village') ORDER BY code";
static const char *SQL_COURTYARDS =
    "SELECT id, name, region FROM site WHERE kind = 'courtyard' AND opened_on < ?2"
    " AND (closed_on IS NULL OR closed_on > ?1) ORDER BY id";
static const char *SQL_SITES =
    "SELECT s.id, s.region, count(m.id), count(DISTINCT substr(m.served_at, 1, 7)) FROM site s"
    " LEFT JOIN meal m ON m.site_id = s.id AND m.served_at >= ?1 AND m.served_at < ?2 GROUP BY s.id";
static const char *SQL_ELDERS = "SELECT id_number, region, died_on FROM elder";

/* the year's findings, notices and coverage, month by month */
static int aw_months(Aw *a, char **pzErr) {
  int rc = SQLITE_OK;
  for (int m = 1; m <= 12 && rc == SQLITE_OK; m++) {
    char mon[24], day[32];
    snprintf(mon, sizeof mon, "%04d-%02d", a->year, m);
    snprintf(day, sizeof day, "%s-01", mon);
    rc = aw_each(a, "SELECT site_id, count(*) FROM anomaly_scan(?1, ?2) WHERE severity = 'fraud'"
                    " AND site_id IS NOT NULL GROUP BY site_id", a->region, mon, row_fraud, NULL, pzErr);
    if (rc == SQLITE_OK)
      rc = aw_each(a, "SELECT site_id, max(kind = 'pending'), max(kind <> 'pending') FROM notice_due(?1, ?2)"
                      " GROUP BY site_id", a->region, mon, row_due, NULL, pzErr);
    int bit = m - 1;
    if (rc == SQLITE_OK)
      rc = aw_each(a, "SELECT region FROM coverage_gaps(?1, ?2)", a->region, day, row_gap, &bit, pzErr);
  }
  return rc;
}

static int popcount12(sqlite3_int64 x) {
  int n = 0;
  for (int i = 0; i < 12; i++) n += (int)(x >> i & 1);
  return n;
}

static double village_coverage(Aw *a, const ZcRegion *v) {
  sqlite3_int64 *bits = v ? zc_map_slot(&a->badcov, KEY(v), 0, NULL) : NULL;
  return (12 - (bits ? popcount12(*bits) : 0)) / 12.0;
}

/* sums of the sites into their units, then the score */
static void aw_score(Aw *a) {
  for (int i = 0; i < a->ns; i++) {
    const AwSite *s = &a->s[i];
    const ZcRegion *chain[2] = {s->reg->township ? zc_region(a->zc, s->reg->township) : NULL,
                                s->reg->village ? zc_region(a->zc, s->reg->village) : NULL};
    for (int k = 0; k < 2; k++) {
      sqlite3_int64 *ix = chain[k] ? zc_map_slot(&a->reg_ix, KEY(chain[k]), 0, NULL) : NULL;
      if (!ix) continue;
      AwUnit *u = &a->u[*ix];
      u->meals += s->meals; u->fraud += s->fraud; u->months += s->months; u->bad += s->bad;
    }
  }
  for (int i = 0; i < a->nu; i++) {
    AwUnit *u = &a->u[i];
    if (u->level == L_COURTYARD) {
      sqlite3_int64 *ix = zc_map_slot(&a->site_ix, u->site, 0, NULL);
      if (ix) { const AwSite *s = &a->s[*ix]; u->meals = s->meals; u->fraud = s->fraud; u->months = s->months; u->bad = s->bad; }
      u->coverage = village_coverage(a, u->village);
    } else if (u->level == L_VILLAGE) {
      u->coverage = village_coverage(a, u->reg);
      sqlite3_int64 *ix = u->township ? zc_map_slot(&a->reg_ix, KEY(u->township), 0, NULL) : NULL;
      if (ix) { a->u[*ix].cov_sum += u->coverage; a->u[*ix].cov_n++; }
    }
    sqlite3_int64 *n = zc_map_slot(&a->elders, KEY(u->reg), 0, NULL);
    u->elders = n ? *n : 0;
  }
  for (int i = 0; i < a->nu; i++) {
    AwUnit *u = &a->u[i];
    if (u->level == L_TOWNSHIP) u->coverage = u->cov_n ? u->cov_sum / u->cov_n : 0;
    u->per_elder = (double)u->meals / (double)(u->elders > 0 ? u->elders : 1);
    u->notices = u->months > 0 ? (double)(u->months - u->bad) / (double)u->months : 0;
    double mp = u->per_elder / a->p.target;
    u->score = a->p.w_meals * (mp < 1 ? mp : 1) + a->p.w_notices * u->notices + a->p.w_coverage * u->coverage -
               a->p.penalty * (double)u->fraud;
    u->score_c = llround(u->score * 100);
  }
}

static const char *group_of(const AwUnit *u) {
  return u->level == L_TOWNSHIP ? "" : u->township ? u->township->code : "";
}

static const char *unit_code(const AwUnit *u) { return u->reg ? u->reg->code : ""; }

/* level, group, score desc, meals per elder desc, fraud asc, code / id */
static int unit_cmp(const void *pa, const void *pb) {
  const AwUnit *x = pa, *y = pb;
  if (x->level != y->level) return x->level - y->level;
  int c = strcmp(group_of(x), group_of(y));
  if (c) return c;
  if (x->score_c != y->score_c) return x->score_c > y->score_c ? -1 : 1;
  /* meals/elders compared exactly: x.meals * y.elders vs y.meals * x.elders */
  long double l = (long double)x->meals * (y->elders > 0 ? y->elders : 1),
              r = (long double)y->meals * (x->elders > 0 ? x->elders : 1);
  if (l != r) return l > r ? -1 : 1;
  if (x->fraud != y->fraud) return x->fraud < y->fraud ? -1 : 1;
  if (x->level == L_COURTYARD) return x->site < y->site ? -1 : x->site > y->site;
  return strcmp(unit_code(x), unit_code(y));
}

static void aw_rank(Aw *a) {
  if (a->nu > 1) qsort(a->u, (size_t)a->nu, sizeof *a->u, unit_cmp);
  for (int i = 0; i < a->nu;) {
    int j = i;
    while (j < a->nu && a->u[j].level == a->u[i].level && !strcmp(group_of(&a->u[j]), group_of(&a->u[i]))) j++;
    int n = j - i, level = a->u[i].level;
    double share = level == L_VILLAGE ? a->p.village_share : a->p.courtyard_share;
    int quota = level == L_TOWNSHIP ? (int)a->p.townships : (int)ceil(share * n - 1e-9);
    int given = 0;
    for (int k = i; k < j; k++) {
      a->u[k].rank = k - i + 1;
      a->u[k].quota = quota;
      if (given < quota && a->u[k].fraud == 0) { a->u[k].awarded = 1; given++; }
    }
    i = j;
  }
}

static void aw_emit(Aw *a, ZcCells *out) {
  for (int i = 0; i < a->nu; i++) {
    const AwUnit *u = &a->u[i];
    char id[24];
    snprintf(id, sizeof id, "%lld", u->site);
    zc_cells_text(out, LEVEL[u->level]);
    zc_cells_text(out, u->level == L_COURTYARD ? id : unit_code(u));
    zc_cells_text(out, u->name);
    zc_cells_text(out, u->township ? u->township->code : NULL);
    zc_cells_int(out, u->elders);
    zc_cells_int(out, u->meals);
    zc_cells_real(out, round(u->per_elder * 100) / 100);
    zc_cells_int(out, u->fraud);
    zc_cells_real(out, round(u->notices * 10000) / 10000);
    zc_cells_real(out, round(u->coverage * 10000) / 10000);
    zc_cells_real(out, (double)u->score_c / 100);
    zc_cells_int(out, u->rank);
    zc_cells_int(out, u->quota);
    zc_cells_int(out, u->awarded);
  }
}

static int aw_args(Aw *a, sqlite3_value **argv, char **pzErr) {
  ZcConn *zc = a->zc;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    int r = sqlite3_value_type(argv[0]) == SQLITE_NULL;
    *pzErr = sqlite3_mprintf(zc_tr(zc, "award_ranking: %s is NULL; expected %s", "award_ranking：%s 为 NULL，应为%s"),
                             r ? "region" : "year",
                             r ? zc_tr(zc, "a region code such as '141129'", "区域代码，如 '141129'")
                               : zc_tr(zc, "a year such as 2024", "年份，如 2024"));
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  const char *code = (const char *)sqlite3_value_text(argv[0]);
  const ZcRegion *r = code ? zc_region(zc, code) : NULL;
  if (!r) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "award_ranking: region '%s' is not a code in table region",
                                   "award_ranking：区域 '%s' 不在 region 表中"), code ? code : "");
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  a->region = r->code;
  sqlite3_int64 y = sqlite3_value_int64(argv[1]);
  if (sqlite3_value_numeric_type(argv[1]) != SQLITE_INTEGER || y < 1900 || y > 9998) {
    char *v = zc_value_repr(argv[1]);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "award_ranking: year %s is not a year from 1900 to 9998",
                                   "award_ranking：年份 %s 不是 1900 到 9998 之间的年份"), v ? v : "?");
    sqlite3_free(v);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  a->year = (int)y;
  snprintf(a->jan1, sizeof a->jan1, "%04d-01-01", a->year);
  snprintf(a->next, sizeof a->next, "%04d-01-01", a->year + 1);
  return SQLITE_OK;
}

static int award_fill(ZcConn *zc, sqlite3_value **argv, ZcCells *out, char **pzErr) {
  Aw a;
  memset(&a, 0, sizeof a);
  a.zc = zc;
  zc_map_init(&a.site_ix); zc_map_init(&a.reg_ix); zc_map_init(&a.elders); zc_map_init(&a.badcov);
  static const char *const TABLES[] = {"notice_posting", NULL};
  const ZcPolicyVersion *v = NULL;
  int rc = zc_facts_sync(zc);
  if (!rc) rc = zc_regions_load(zc, pzErr);
  if (!rc) rc = aw_args(&a, argv, pzErr);
  if (!rc) rc = zc_notice_tables(zc, "award_ranking", TABLES, pzErr);
  if (!rc) rc = zc_policy_for_region(zc, NULL, a.region, zc_days_from_civil(a.year, 12, 31), &v, pzErr);
  if (!rc) rc = aw_params(zc, v, &a.p, pzErr);
  if (!rc) rc = aw_each(&a, SQL_REGIONS, NULL, NULL, row_region, NULL, pzErr);
  if (!rc) rc = aw_each(&a, SQL_COURTYARDS, a.jan1, a.next, row_courtyard, NULL, pzErr);
  if (!rc) rc = aw_each(&a, SQL_SITES, a.jan1, a.next, row_site, NULL, pzErr);
  if (!rc) rc = aw_months(&a, pzErr);
  if (!rc) rc = aw_each(&a, SQL_ELDERS, NULL, NULL, row_elder, NULL, pzErr);
  if (!rc) {
    aw_score(&a);
    aw_rank(&a);
    aw_emit(&a, out);
  }
  for (int i = 0; i < a.nu; i++) sqlite3_free(a.u[i].name);
  sqlite3_free(a.u);
  sqlite3_free(a.s);
  zc_map_clear(&a.site_ix); zc_map_clear(&a.reg_ix); zc_map_clear(&a.elders); zc_map_clear(&a.badcov);
  return rc;
}

static const ZcTvf AWARD = {
    "award_ranking",
    "CREATE TABLE x(level TEXT, unit TEXT, name TEXT, township TEXT, elders INTEGER, meals INTEGER,"
    " meals_per_elder REAL, fraud INTEGER, notices_on_time REAL, coverage REAL, score REAL, rank INTEGER,"
    " quota INTEGER, awarded INTEGER, region HIDDEN, year HIDDEN)",
    14, 2,
    "award_ranking(region, year): a region code such as '141129' and a year such as 2024",
    "award_ranking(region, year)：区域代码（如 '141129'）和年份（如 2024）",
    award_fill};

int zc_award_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return zc_tvf_register(db, zc, &AWARD);
}
