/*
** month.c — the month pass shared by settlement(), settle(), replay() and
** subsidy_for's month pricing: no SQL of its own.
**
** zc_month_compute streams the month's meals of every elder who ate at a
** site at or under the region, in (elder_id, served_at, id) order across
** all sites — ordinals count an elder's meals everywhere — from the
** covering meal_elder_time index (ZcMonthScan, facts.c), with one ZcOrd for
** the current elder, and for each meal at a region site asks the one money
** path (zc_money_day, money.c) and hands the meal and its money to the
** caller's sink.  An elder's record and facts stay hot while their meals
** pass.  Afterwards it runs each region site's site() under the version in
** force on the month's first day.  Memory grows with sites (and, for part
** of a database, with the elders who ate there), not with meals.
**
** The pass's switches (replay's policy horizon, soft mode) travel in the
** ZcMonthSink handed to it; the policy index is pinned for the pass's
** length through the ZcPolicyPick it builds (its own writes, settle's
** runs, never touch zhucan_policy).
*/
#include "month.h"
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ arguments */

int zc_month_args(ZcConn *zc, const char *fn, sqlite3_value *region, sqlite3_value *month,
                  const char **pRegion, int *first, int *next, char **pzErr) {
  if (region == NULL || month == NULL) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: needs two arguments, %s(region, month): a region code such as "
                                       "'141129' and a month 'YYYY-MM'",
                                   "%s：需要两个参数 %s(区划, 月份)：区划代码如 '141129'，月份如 '2024-03'"),
                             fn, fn);
    return SQLITE_ERROR;
  }
  if (sqlite3_value_type(month) != SQLITE_TEXT ||
      !zc_month_parse((const char *)sqlite3_value_text(month), sqlite3_value_bytes(month), first, next)) {
    char *r = zc_value_repr(month);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: month %s is not a month 'YYYY-MM'", "%s：%s 不是月份 'YYYY-MM'"), fn,
                             r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  const ZcRegion *reg = NULL;
  int rc = zc_regions_load(zc, pzErr);
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_value_type(region) == SQLITE_TEXT || sqlite3_value_type(region) == SQLITE_INTEGER)
    reg = zc_region(zc, (const char *)sqlite3_value_text(region));
  if (reg == NULL) {
    char *r = zc_value_repr(region);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: region %s is not a code in table region",
                                   "%s：%s 不是区划表（region）里的区划代码"),
                             fn, r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  *pRegion = reg->code;
  return SQLITE_OK;
}

/* ------------------------------------------------------- month compute */

typedef struct SiteRef {
  const ZcSiteFacts *site;
  int want_stats;                /* the first day's version has site() */
  uint32_t vhave;                /* bit d: vd[d] looked up for day first+d */
  const ZcPolicyVersion *vd[32]; /* the version in force on each day */
  ZcSiteStats stats;
  uint64_t days;                 /* bit d: a meal on day first+d */
  sqlite3_int64 last_diner;      /* diners: elders arrive one after another */
  int has_diner;
} SiteRef;

/* The month's meals, in (elder_id, served_at, id) order (ZcMonthScan,
** facts.c), from one of two sources:
**   all sites in the region: one scan of the meal_elder_time index from
**     (elder, month start), jumping past the other months of each elder (a
**     re-seek to (elder, start) or (elder + 1, start)); a database holding
**     one month is read straight through;
**   some sites: the elders who ate at a region site in the month (the
**     meal_site_time index), then each elder's month (meal_elder_time), so
**     a county costs its own meals even inside a city's database. */
typedef struct Compute {
  ZcConn *zc;
  const char *fn;
  int first, next;
  ZcMap site_idx;                /* site id -> index in refs, -1 outside */
  int32_t *site_dense;           /* site id -> index+1, 0 outside; ids < nsite_dense */
  sqlite3_int64 nsite_dense;
  SiteRef *refs;
  int nref, nsite;               /* region sites, all sites */
  ZcMonthScan src;
  sqlite3_int64 *elders;         /* the listed elders (NULL: all) */
  size_t nelder;
  ZcMap credit;                  /* meal id -> fen of its co-payment paid with points */
} Compute;

static void compute_free(Compute *c) {
  zc_map_clear(&c->site_idx);
  sqlite3_free(c->site_dense);
  sqlite3_free(c->refs);
  zc_month_scan_close(&c->src);
  sqlite3_free(c->elders);
  zc_map_clear(&c->credit);
}

/* "fn: what id: err" (or "fn: err" without what); err is freed. */
static char *prefix_err(const ZcConn *zc, const char *fn, const char *what, sqlite3_int64 id, char *err) {
  char *w = what ? sqlite3_mprintf(zc_tr(zc, "%s: %s %lld: %s", "%s：%s %lld：%s"), fn, what, id, err)
                 : sqlite3_mprintf(ZC_COLON(zc), fn, err);
  sqlite3_free(err);
  return w;
}

/* An error of choosing a policy version, named by the function ("settlement:
** policy 'x' is not installed"); rc passes through. */
static int month_fn_err(Compute *c, int rc, char **pzErr) {
  size_t n = strlen(c->fn);
  if (*pzErr && !(strncmp(*pzErr, c->fn, n) == 0 && ((*pzErr)[n] == ':' || strncmp(*pzErr + n, "：", 3) == 0)))
    if ((*pzErr = prefix_err(c->zc, c->fn, NULL, 0, *pzErr)) == NULL) return SQLITE_NOMEM;
  return rc;
}

static SiteRef *site_ref(Compute *c, sqlite3_int64 id) {
  if (id >= 0 && id < c->nsite_dense) return c->site_dense[id] ? &c->refs[c->site_dense[id] - 1] : NULL;
  sqlite3_int64 *v = zc_map_slot(&c->site_idx, id, 0, NULL);
  return v && *v >= 0 ? &c->refs[*v] : NULL;
}

static int load_sites(Compute *c, const char *region, char **pzErr) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->zc->db, "SELECT id FROM site ORDER BY id", -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "%s: cannot read table site: %s", "%s：无法读取助餐点表 site：%s"), c->fn, sqlite3_errmsg(c->zc->db));
    return rc;
  }
  int cap = 0;
  sqlite3_int64 maxid = -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const ZcSiteFacts *s = NULL;
    rc = zc_site_facts(c->zc, sqlite3_column_int64(st, 0), &s, pzErr);
    /* a malformed site outside the region does not stop this pass */
    int outside = s && region && !zc_region_under(c->zc, s->region, region);
    if (rc == SQLITE_ERROR && outside) {
      sqlite3_free(*pzErr);
      *pzErr = NULL;
      rc = SQLITE_OK;
    }
    if (rc == SQLITE_ERROR && *pzErr) *pzErr = prefix_err(c->zc, c->fn, NULL, 0, *pzErr);
    if (rc) break;
    c->nsite++;
    if (outside) continue;
    if (c->nref == cap) {
      cap = cap ? cap * 2 : 64;
      SiteRef *nr = sqlite3_realloc64(c->refs, (sqlite3_uint64)cap * sizeof *nr);
      if (!nr) { rc = SQLITE_NOMEM; break; }
      c->refs = nr;
    }
    SiteRef *r = &c->refs[c->nref];
    memset(r, 0, sizeof *r);
    r->site = s;
    sqlite3_int64 *v = zc_map_slot(&c->site_idx, s->id, 1, NULL);
    if (!v) { rc = SQLITE_NOMEM; break; }
    *v = c->nref++;
    if (s->id > maxid) maxid = s->id;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc;
  /* site ids are usually small: an array beats the hash map per meal */
  if (maxid >= 0 && maxid < 4 * (sqlite3_int64)c->nref + 65536) {
    c->site_dense = sqlite3_malloc64((sqlite3_uint64)(maxid + 1) * sizeof(int32_t));
    if (!c->site_dense) return SQLITE_NOMEM;
    memset(c->site_dense, 0, (size_t)(maxid + 1) * sizeof(int32_t));
    c->nsite_dense = maxid + 1;
    for (int i = 0; i < c->nref; i++) c->site_dense[c->refs[i].site->id] = i + 1;
  }
  return SQLITE_OK;
}

/* The month's meals whose co-payment points paid (credit_redemption,
** docs/credit.md): meal id -> fen.  A database without the table has none. */
static int load_credit(Compute *c, char **pzErr) {
  sqlite3_stmt *st = NULL;
  char a[11], b[11];
  int rc = sqlite3_prepare_v2(c->zc->db,
                              "SELECT r.meal_id, sum(r.fen) FROM credit_redemption r JOIN meal m ON m.id = r.meal_id "
                              "WHERE r.what = 'meal' AND m.served_at >= ?1 AND m.served_at < ?2 GROUP BY r.meal_id",
                              -1, &st, NULL);
  if (rc == SQLITE_ERROR && strstr(sqlite3_errmsg(c->zc->db), "no such table")) return SQLITE_OK;
  if (rc) {
    *pzErr = sqlite3_mprintf("%s: cannot read table credit_redemption: %s", c->fn, sqlite3_errmsg(c->zc->db));
    return rc;
  }
  zc_day_format(c->first, a);
  zc_day_format(c->next, b);
  sqlite3_bind_text(st, 1, a, 10, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, b, 10, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_int64 *v = zc_map_slot(&c->credit, sqlite3_column_int64(st, 0), 1, NULL);
    if (!v) { rc = SQLITE_NOMEM; break; }
    *v = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc != SQLITE_NOMEM) *pzErr = sqlite3_mprintf("%s: reading credit_redemption: %s", c->fn, sqlite3_errmsg(c->zc->db));
  return rc;
}

/* Opens the month's meals: every elder's when every site is in the region,
** else those of the elders who ate at a region site (meal_site_time). */
static int source_open(Compute *c, char **pzErr) {
  char a[11], b[11];
  int rc;
  if (c->nref == c->nsite) return zc_month_scan_open(c->zc, c->fn, c->first, c->next, NULL, 0, &c->src, pzErr);
  zc_day_format(c->first, a);
  zc_day_format(c->next, b);
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  rc = sqlite3_prepare_v2(c->zc->db, "SELECT elder_id FROM meal WHERE site_id=?1 AND served_at>=?2 AND served_at<?3",
                          -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "%s: cannot read table meal: %s", "%s：无法读取就餐表 meal：%s"), c->fn, sqlite3_errmsg(c->zc->db));
    return rc;
  }
  sqlite3_bind_text(st, 2, a, 10, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, b, 10, SQLITE_STATIC);
  for (int i = 0; i < c->nref && rc == SQLITE_OK; i++) {
    sqlite3_bind_int64(st, 1, c->refs[i].site->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      sqlite3_int64 e;
      if ((rc = zc_elder_col(c->zc, c->fn, st, 0, &e, pzErr))) break;
      if (c->nelder && c->elders[c->nelder - 1] == e) continue;
      if (c->nelder == cap) {
        cap = cap ? cap * 2 : 1024;
        sqlite3_int64 *ne = sqlite3_realloc64(c->elders, cap * sizeof *ne);
        if (!ne) { rc = SQLITE_NOMEM; break; }
        c->elders = ne;
      }
      c->elders[c->nelder++] = e;
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  if (rc) {
    if (rc != SQLITE_NOMEM && !*pzErr)
      *pzErr = sqlite3_mprintf(zc_tr(c->zc, "%s: cannot read table meal: %s", "%s：无法读取就餐表 meal：%s"), c->fn, sqlite3_errmsg(c->zc->db));
    return rc;
  }
  if (c->nelder > 1) {
    qsort(c->elders, c->nelder, sizeof *c->elders, zc_i64_cmp);
    size_t k = 1;
    for (size_t i = 1; i < c->nelder; i++)
      if (c->elders[i] != c->elders[k - 1]) c->elders[k++] = c->elders[i];
    c->nelder = k;
  }
  /* no elder: an empty list, still "listed" (not every elder) */
  static const sqlite3_int64 none = 0;
  return zc_month_scan_open(c->zc, c->fn, c->first, c->next, c->elders ? c->elders : &none, c->nelder, &c->src,
                            pzErr);
}

static int site_stats_beds(Compute *c, SiteRef *r, char **pzErr) {
  static const char *sql =
      "SELECT DISTINCT elder_id FROM bed_stay WHERE site_id=?1 AND admitted_on<?2 "
      "AND (left_on IS NULL OR left_on>?3)";
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->zc->db, sql, -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "%s: cannot read table bed_stay: %s", "%s：无法读取床位表 bed_stay：%s"), c->fn, sqlite3_errmsg(c->zc->db));
    return rc;
  }
  sqlite3_bind_int64(st, 1, r->site->id);
  sqlite3_bind_text(st, 2, c->src.b, 10, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, c->src.a, 10, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const ZcElderRec *e;
    rc = zc_elder_rec(c->zc, sqlite3_column_int64(st, 0), &e, pzErr);
    if (rc) break;
    ZcElderFacts f;
    zc_elder_facts(c->zc, e, c->first, 0, &f);
    if (f.status & ((uint64_t)1 << ZC_ST_DISABLED_FULL)) r->stats.residents_full++;
    if (f.status & ((uint64_t)1 << ZC_ST_DISABLED_SEMI)) r->stats.residents_semi++;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The version in force at the site on the meal's day (cached per day). */
static int site_version(Compute *c, const ZcPolicyPick *pick, SiteRef *r, const ZcMealFacts *m,
                        const ZcPolicyVersion **pv, char **pzErr) {
  int d = m->day - c->first, rc;
  if (d >= 0 && d < 32 && (r->vhave >> d & 1)) {
    *pv = r->vd[d];
    return SQLITE_OK;
  }
  const ZcPolicyVersion *v = NULL;
  if ((rc = zc_policy_for_site(c->zc, pick, r->site, m->day, &v, pzErr))) return month_fn_err(c, rc, pzErr);
  if (v == NULL) {
    char a[11];
    const ZcRegion *g = zc_region_governing(c->zc, r->site->region);
    zc_day_format(m->day, a);
    *pzErr = g ? sqlite3_mprintf(zc_tr(c->zc, "%s: meal %lld: no version of policy '%s' is in force on %s", "%s：就餐记录 %lld：政策 '%s' 在 %s 没有生效的版本"), c->fn, m->id,
                                 g->policy, a)
               : sqlite3_mprintf(zc_tr(c->zc, "%s: meal %lld: no policy governs site %lld (region %s)", "%s：就餐记录 %lld：助餐点 %lld（区划 %s）没有适用的政策"), c->fn, m->id,
                                 r->site->id, r->site->region);
    return SQLITE_ERROR;
  }
  if (d >= 0 && d < 32) {
    r->vd[d] = v;
    r->vhave |= (uint32_t)1 << d;
  }
  *pv = v;
  return SQLITE_OK;
}


/* The pass's state beyond the month's sites: the current elder, the
** ordinal counter, the day's facts and eligibility, the last slot words. */
typedef struct Pass {
  ZcMonthSink *sink;
  ZcPolicyPick pick;             /* the sink's horizon, the index pinned */
  int with_items;                /* the sink wants site() stats or items */
  sqlite3_int64 cur;             /* the current elder */
  int have_cur;
  const ZcElderRec *rec;         /* its record, looked up on need */
  ZcOrd ord;
  ZcMoneyDay md;
  ZcDayMemo dm;
  const char *slot_p[4];         /* the last slot words seen, most recent first */
  int slot_n[4];
} Pass;

/* Sites, policies, the meal source and (for many elders) their records. */
static int pass_open(Compute *c, Pass *p, const char *region, char **pzErr) {
  int rc;
  if ((rc = zc_facts_sync(c->zc))) return rc;
  /* a meal no month holds must not vanish (subsidy_for, soft, prices and
  ** reports each meal itself) */
  if (!p->sink->soft && (rc = zc_meal_times_check(c->zc, c->fn, pzErr))) return rc;
  if ((rc = load_sites(c, region, pzErr))) return rc;
  for (int i = 0; p->with_items && i < c->nref; i++) {
    const ZcPolicyVersion *v = NULL;
    if ((rc = zc_policy_for_region(c->zc, &p->pick, c->refs[i].site->region, c->first, &v, pzErr)))
      return month_fn_err(c, rc, pzErr);
    c->refs[i].want_stats = v && v->has_site;
  }
  if ((rc = source_open(c, pzErr))) return rc;
  if ((rc = load_credit(c, pzErr))) return rc;
  /* a whole database, or many elders of one: their records in one read of
  ** each table (facts.c), not four point queries per elder */
  if ((!c->src.elders || c->nelder >= (size_t)zc_bulk_threshold(c->zc)) && (rc = zc_elder_preload(c->zc, pzErr)))
    return rc;
  /* the policy index was synced above; nothing in this pass changes it */
  p->pick.pinned = 1;
  return SQLITE_OK;
}

/* Slots are a handful of words: compare with the last ones seen before
** interning; the word found moves to the front. */
static const char *pass_slot(Compute *c, Pass *p, sqlite3_value *sv) {
  const char *t = (const char *)sqlite3_value_text(sv);
  int n = sqlite3_value_bytes(sv), k = 0;
  while (k < 4 && !(p->slot_p[k] && t && p->slot_n[k] == n && memcmp(p->slot_p[k], t, (size_t)n) == 0)) k++;
  if (k == 4) {
    k = 3;
    p->slot_p[3] = zc_intern(c->zc, t, n);
    p->slot_n[3] = n;
  }
  const char *w = p->slot_p[k];
  int wn = p->slot_n[k];
  for (; k > 0; k--) p->slot_p[k] = p->slot_p[k - 1], p->slot_n[k] = p->slot_n[k - 1];
  p->slot_p[0] = w;
  p->slot_n[0] = wn;
  return w;
}

/* The site's counts that site() is given. */
static void pass_stats(Compute *c, SiteRef *r, const ZcMealFacts *m, sqlite3_int64 elder_id,
                       const ZcMealResult *res) {
  r->stats.meals++;
  if (res->total > 0) r->stats.subsidised_meals++;
  if (!r->has_diner || r->last_diner != elder_id) {
    r->stats.diners++;
    r->last_diner = elder_id;
    r->has_diner = 1;
  }
  if (m->day - c->first < 64) r->days |= (uint64_t)1 << (m->day - c->first);
}

/* Prices the meal m at region site r and hands it to the sink.  In soft
** mode a meal that cannot be priced is skipped (SQLITE_OK, no message). */
static int pass_price(Compute *c, Pass *p, SiteRef *r, ZcMealFacts *m, sqlite3_int64 elder_id,
                      char **pzErr) {
  ZcMonthSink *sink = p->sink;
  const ZcPolicyVersion *v = NULL;
  ZcMealResult res;
  int rc;
  if ((p->rec == NULL || p->rec->bad) && (rc = zc_elder_rec(c->zc, elder_id, &p->rec, pzErr))) {
    if (sink->soft && rc != SQLITE_NOMEM) goto skip;
    *pzErr = prefix_err(c->zc, c->fn, zc_tr(c->zc, "meal", "就餐记录"), m->id, *pzErr);
    return rc;
  }
  if ((rc = site_version(c, &p->pick, r, m, &v, pzErr))) {
    if (sink->soft && rc != SQLITE_NOMEM) goto skip;
    return rc;
  }
  if ((rc = zc_money_day(c->zc, &p->md, v, m, p->rec, r->site, &res, pzErr))) {
    if (sink->soft && rc != SQLITE_NOMEM) goto skip;
    *pzErr = prefix_err(c->zc, c->fn, zc_tr(c->zc, "meal", "就餐记录"), m->id, *pzErr);
    return rc;
  }
  if (r->want_stats) pass_stats(c, r, m, elder_id, &res);
  res.credit = 0;
  if (c->credit.n) {
    sqlite3_int64 *cf = zc_map_slot(&c->credit, m->id, 0, NULL);
    if (cf) res.credit = *cf;
  }
  sink->day_facts = &p->md.any;
  return sink->xMeal ? sink->xMeal(sink->p, m, p->rec, r->site, v, &res, pzErr) : SQLITE_OK;
skip:
  sqlite3_free(*pzErr);
  *pzErr = NULL;
  return SQLITE_OK;
}

/* One row of the scan: its facts, its ordinals, and its money when it was
** eaten at a region site. */
static int pass_row(Compute *c, Pass *p, char **pzErr) {
  sqlite3_stmt *st = c->src.st;
  ZcMealFacts m;
  sqlite3_int64 elder_id;
  int rc;
  memset(&m, 0, sizeof m);
  if ((rc = zc_elder_col(c->zc, c->fn, st, 0, &elder_id, pzErr))) return rc;
  if (!p->have_cur || elder_id != p->cur) {
    /* the next elder: ordinals start over, facts are looked up on need */
    p->cur = elder_id;
    p->have_cur = 1;
    p->rec = NULL;
    zc_ord_reset(&p->ord);
  }
  /* one mutex entry per column (see zc_elder_col, facts.c) */
  m.id = sqlite3_value_int64(sqlite3_column_value(st, 1));
  m.site_id = sqlite3_value_int64(sqlite3_column_value(st, 2));
  if (!zc_time_parse_memo(&p->dm, c->src.at, c->src.at_n, &m.served_at)) {
    if (p->sink->soft) return SQLITE_OK;
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "%s: meal %lld has served_at %Q, expected 'YYYY-MM-DD HH:MM:SS'", "%s：就餐记录 %lld 的就餐时间 served_at 为 %Q，应为 'YYYY-MM-DD HH:MM:SS'"), c->fn, m.id,
                             (const char *)sqlite3_column_text(st, 3));
    return SQLITE_ERROR;
  }
  m.day = (int)(m.served_at / ZC_DAY_SECONDS);
  m.slot = pass_slot(c, p, sqlite3_column_value(st, 4));
  /* a slot word that could not be interned (out of memory) is not "no slot" */
  if (!m.slot && sqlite3_column_type(st, 4) != SQLITE_NULL) return SQLITE_NOMEM;
  zc_ord_next(&p->ord, m.day, m.slot, &m.nth_slot, &m.nth_day, &m.nth_month);
  SiteRef *r = site_ref(c, m.site_id);
  if (r == NULL) return SQLITE_OK; /* a site outside the region: counted for ordinals only */
  /* valid until the next step: the rules read them during this call only */
  m.method = (const char *)sqlite3_value_text(sqlite3_column_value(st, 5));
  m.device = (const char *)sqlite3_value_text(sqlite3_column_value(st, 6));
  m.token = (const char *)sqlite3_value_text(sqlite3_column_value(st, 7));
  sqlite3_value *pv = sqlite3_column_value(st, 8);
  m.price_fen = sqlite3_value_int64(pv);
  if (sqlite3_value_type(pv) != SQLITE_INTEGER || m.price_fen < 0 || m.price_fen > ZC_MAX_FEN) {
    if (p->sink->soft) return SQLITE_OK;   /* subsidy_for reports it meal by meal */
    char *shown = zc_value_repr(pv);
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "%s: meal %lld has price_fen %s, expected whole fen from 0 to %lld", "%s：就餐记录 %lld 的价格 price_fen 为 %s，应为 0 到 %lld 的整数分"), c->fn, m.id,
                             shown ? shown : "?", ZC_MAX_FEN);
    sqlite3_free(shown);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return pass_price(c, p, r, &m, elder_id, pzErr);
}

/* Site items, under the version in force on the month's first day. */
static int pass_sites(Compute *c, Pass *p, char **pzErr) {
  char month[8];
  int rc;
  zc_month_format(c->first, month);
  for (int i = 0; p->with_items && i < c->nref; i++) {
    SiteRef *r = &c->refs[i];
    const ZcPolicyVersion *v = NULL;
    if ((rc = zc_policy_for_region(c->zc, &p->pick, r->site->region, c->first, &v, pzErr)))
      return month_fn_err(c, rc, pzErr);
    if (v == NULL || !v->has_site) continue;
    for (uint64_t d = r->days; d; d &= d - 1) r->stats.days_served++;
    if ((rc = site_stats_beds(c, r, pzErr))) return rc;
    if (p->sink->xSite && (rc = p->sink->xSite(p->sink->p, r->site, v, &r->stats, pzErr))) return rc;
    const ZcSiteItem *items;
    int n;
    if ((rc = zc_policy_site(c->zc, v, r->site, month, &r->stats, &items, &n, pzErr))) {
      *pzErr = prefix_err(c->zc, c->fn, zc_tr(c->zc, "site", "助餐点"), r->site->id, *pzErr);
      return rc;
    }
    for (int k = 0; k < n; k++)
      if (p->sink->xItem && (rc = p->sink->xItem(p->sink->p, r->site, v, &items[k], pzErr))) return rc;
  }
  return SQLITE_OK;
}

int zc_month_compute(ZcConn *zc, const char *fn, const char *region, int first, int next, ZcMonthSink *sink,
                     char **pzErr) {
  Compute c;
  Pass p;
  memset(&c, 0, sizeof c);
  memset(&p, 0, sizeof p);
  c.zc = zc;
  c.fn = fn;
  c.first = first;
  c.next = next;
  p.sink = sink;
  p.pick.horizon = sink->horizon;
  p.pick.proposal = sink->proposal;
  p.with_items = sink->xSite || sink->xItem;
  for (int k = 0; k < 4; k++) p.slot_n[k] = -1;
  int rc = pass_open(&c, &p, region, pzErr);
  while (rc == SQLITE_OK && (rc = zc_month_scan_next(&c.src, pzErr)) == SQLITE_ROW) rc = pass_row(&c, &p, pzErr);
  if (rc == SQLITE_DONE) {
    rc = pass_sites(&c, &p, pzErr);
  } else if (rc != SQLITE_OK && rc != SQLITE_NOMEM && *pzErr == NULL) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: reading meals: %s", "%s：读取就餐记录时出错：%s"), fn, sqlite3_errmsg(zc->db));
  }
  compute_free(&c);
  /* out of memory stays SQLITE_NOMEM without a text (a text would turn it
  ** into an ordinary error in callers that report texts first) */
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && *pzErr == NULL) *pzErr = sqlite3_mprintf(ZC_COLON(zc), fn, sqlite3_errstr(rc));
  return rc;
}
