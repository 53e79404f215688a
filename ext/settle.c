/*
** settle.c — what each site is owed for a month, computed in one streaming
** pass:
**
**   SELECT site_id, item, payer, quantity, amount_fen
**     FROM settlement('141129', '2024-03');
**
**   CREATE TABLE x(site_id, item, payer, quantity, amount_fen,
**                  region HIDDEN, month HIDDEN);     -- both required
**
** Rows, ordered by site_id, then 'meal' rows (payers in name order, the
** 'elder' co-payment row last), then the site() items in the order the
** policy returned them:
**   item 'meal', payer P   quantity = subsidised meals at the site (subsidy
**                          above 0), amount_fen = sum of P's parts
**   item 'meal', 'elder'   the co-payments over the same meals:
**                          sum(price_fen - subsidy)
**   item X, payer P        each item site(site, month, stats) returns, run
**                          under the version in force on the month's 1st
** Rows of 0 fen are left out, as parts of 0 fen are.
**
** How: zc_month_compute (below) reads the month's meals once, elder by
** elder, in (elder_id, served_at, id) order from the covering
** meal_elder_time index — every site's meals of those elders, because
** ordinals count an elder's meals everywhere — with one ZcOrd for the
** current elder, and for meals at region sites asks the one money path
** (zc_money_with).  An elder's record and facts stay hot while their meals
** pass.  Memory grows with sites (and, for part of a database, with the
** elders who ate there), not with meals.
*/
#include "settle.h"
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ arguments */

int zc_month_args(ZcConn *zc, const char *fn, sqlite3_value *region, sqlite3_value *month,
                  const char **pRegion, int *first, int *next, char **pzErr) {
  if (region == NULL || month == NULL) {
    *pzErr = sqlite3_mprintf("%s: needs two arguments, %s(region, month): a region code such as "
                             "'141129' and a month 'YYYY-MM'", fn, fn);
    return SQLITE_ERROR;
  }
  if (sqlite3_value_type(month) != SQLITE_TEXT ||
      !zc_month_parse((const char *)sqlite3_value_text(month), sqlite3_value_bytes(month), first, next)) {
    char *r = zc_value_repr(month);
    *pzErr = sqlite3_mprintf("%s: month %s is not a month 'YYYY-MM'", fn, r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  const ZcRegion *reg = NULL;
  if (sqlite3_value_type(region) == SQLITE_TEXT || sqlite3_value_type(region) == SQLITE_INTEGER)
    reg = zc_region(zc, (const char *)sqlite3_value_text(region));
  if (reg == NULL) {
    char *r = zc_value_repr(region);
    *pzErr = sqlite3_mprintf("%s: region %s is not a code in table region", fn, r ? r : "?");
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
} Compute;

static void compute_free(Compute *c) {
  zc_map_clear(&c->site_idx);
  sqlite3_free(c->site_dense);
  sqlite3_free(c->refs);
  zc_month_scan_close(&c->src);
  sqlite3_free(c->elders);
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
    *pzErr = sqlite3_mprintf("%s: cannot read table site: %s", c->fn, sqlite3_errmsg(c->zc->db));
    return rc;
  }
  int cap = 0;
  sqlite3_int64 maxid = -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const ZcSiteFacts *s;
    rc = zc_site_facts(c->zc, sqlite3_column_int64(st, 0), &s, pzErr);
    if (rc) break;
    c->nsite++;
    if (region && !zc_region_under(c->zc, s->region, region)) continue;
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
    *pzErr = sqlite3_mprintf("%s: cannot read table meal: %s", c->fn, sqlite3_errmsg(c->zc->db));
    return rc;
  }
  sqlite3_bind_text(st, 2, a, 10, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, b, 10, SQLITE_STATIC);
  for (int i = 0; i < c->nref && rc == SQLITE_OK; i++) {
    sqlite3_bind_int64(st, 1, c->refs[i].site->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      sqlite3_int64 e;
      if ((rc = zc_elder_col(c->fn, st, 0, &e, pzErr))) break;
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
      *pzErr = sqlite3_mprintf("%s: cannot read table meal: %s", c->fn, sqlite3_errmsg(c->zc->db));
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
    *pzErr = sqlite3_mprintf("%s: cannot read table bed_stay: %s", c->fn, sqlite3_errmsg(c->zc->db));
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
static int site_version(Compute *c, SiteRef *r, const ZcMealFacts *m, const ZcPolicyVersion **pv, char **pzErr) {
  int d = m->day - c->first, rc;
  if (d >= 0 && d < 32 && (r->vhave >> d & 1)) {
    *pv = r->vd[d];
    return SQLITE_OK;
  }
  const ZcPolicyVersion *v = NULL;
  if ((rc = zc_policy_for_site(c->zc, r->site, m->day, &v, pzErr))) return rc;
  if (v == NULL) {
    char a[11];
    const ZcRegion *g = zc_region_governing(c->zc, r->site->region);
    zc_day_format(m->day, a);
    *pzErr = g ? sqlite3_mprintf("%s: meal %lld: no version of policy '%s' is in force on %s", c->fn, m->id,
                                 g->policy, a)
               : sqlite3_mprintf("%s: meal %lld: no policy governs site %lld (region %s)", c->fn, m->id,
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

static char *prefix_err(const char *fn, const char *what, sqlite3_int64 id, char *err) {
  char *w = sqlite3_mprintf("%s: %s %lld: %s", fn, what, id, err);
  sqlite3_free(err);
  return w;
}

int zc_month_compute(ZcConn *zc, const char *fn, const char *region, int first, int next, ZcMonthSink *sink,
                     char **pzErr) {
  Compute c;
  char month[8];
  int rc;
  memset(&c, 0, sizeof c);
  c.zc = zc;
  c.fn = fn;
  c.first = first;
  c.next = next;
  if ((rc = zc_facts_sync(zc))) goto done;
  if ((rc = load_sites(&c, region, pzErr))) goto done;
  int with_items = sink->xSite || sink->xItem;
  for (int i = 0; with_items && i < c.nref; i++) {
    const ZcPolicyVersion *v = NULL;
    if ((rc = zc_policy_for_region(zc, c.refs[i].site->region, first, &v, pzErr))) goto done;
    c.refs[i].want_stats = v && v->has_site;
  }
  if ((rc = source_open(&c, pzErr))) goto done;
  /* a whole database, or many elders of one: their records in one read of
  ** each table (facts.c), not four point queries per elder */
  if ((!c.src.elders || c.nelder >= (size_t)zc_bulk_threshold(zc)) && (rc = zc_elder_preload(zc, pzErr)))
    goto done;
  /* the policy index was synced above; nothing in this pass changes it */
  zc->pinned = 1;
  sqlite3_stmt *st = c.src.st;
  sqlite3_int64 cur = 0;
  int have_cur = 0;
  const ZcElderRec *rec = NULL;
  ZcOrd ord;
  ZcMoneyDay md;
  ZcDayMemo dm;
  const char *slot_p[4] = {NULL, NULL, NULL, NULL};  /* the last slot words seen */
  int slot_n[4] = {-1, -1, -1, -1};
  memset(&md, 0, sizeof md);
  memset(&dm, 0, sizeof dm);
  while ((rc = zc_month_scan_next(&c.src, pzErr)) == SQLITE_ROW) {
    ZcMealFacts m;
    sqlite3_int64 elder_id;
    memset(&m, 0, sizeof m);
    if ((rc = zc_elder_col(fn, st, 0, &elder_id, pzErr))) goto done;
    if (!have_cur || elder_id != cur) {
      /* the next elder: ordinals start over, facts are looked up on need */
      cur = elder_id;
      have_cur = 1;
      rec = NULL;
      zc_ord_reset(&ord);
    }
    /* one mutex entry per column (see zc_elder_col, facts.c) */
    m.id = sqlite3_value_int64(sqlite3_column_value(st, 1));
    m.site_id = sqlite3_value_int64(sqlite3_column_value(st, 2));
    if (!zc_time_parse_memo(&dm, c.src.at, c.src.at_n, &m.served_at)) {
      if (sink->soft) continue;
      *pzErr = sqlite3_mprintf("%s: meal %lld has served_at %Q, expected 'YYYY-MM-DD HH:MM:SS'", fn, m.id,
                               (const char *)sqlite3_column_text(st, 3));
      rc = SQLITE_ERROR;
      goto done;
    }
    m.day = (int)(m.served_at / ZC_DAY_SECONDS);
    {
      /* slots are a handful of words: compare with the last ones seen
      ** before interning */
      sqlite3_value *sv = sqlite3_column_value(st, 4);
      const char *t = (const char *)sqlite3_value_text(sv);
      int n = sqlite3_value_bytes(sv), k = 0;
      while (k < 4 && !(slot_p[k] && t && slot_n[k] == n && memcmp(slot_p[k], t, (size_t)n) == 0)) k++;
      if (k == 4) {
        k = 3;
        slot_p[3] = zc_intern(zc, t, n);
        slot_n[3] = n;
      }
      /* move to the front */
      const char *w = slot_p[k];
      int wn = slot_n[k];
      for (; k > 0; k--) slot_p[k] = slot_p[k - 1], slot_n[k] = slot_n[k - 1];
      slot_p[0] = w;
      slot_n[0] = wn;
      m.slot = w;
    }
    zc_ord_next(&ord, m.day, m.slot, &m.nth_slot, &m.nth_day, &m.nth_month);
    SiteRef *r = site_ref(&c, m.site_id);
    if (r == NULL) continue; /* a site outside the region: counted for ordinals only */
    /* valid until the next step: the rules read them during this call only */
    m.method = (const char *)sqlite3_value_text(sqlite3_column_value(st, 5));
    m.device = (const char *)sqlite3_value_text(sqlite3_column_value(st, 6));
    m.token = (const char *)sqlite3_value_text(sqlite3_column_value(st, 7));
    m.price_fen = sqlite3_value_int64(sqlite3_column_value(st, 8));
    if (rec == NULL && (rc = zc_elder_rec(zc, elder_id, &rec, pzErr))) {
      if (sink->soft && rc != SQLITE_NOMEM) goto skip;
      *pzErr = prefix_err(fn, "meal", m.id, *pzErr);
      goto done;
    }
    const ZcPolicyVersion *v;
    if ((rc = site_version(&c, r, &m, &v, pzErr))) {
      if (sink->soft && rc != SQLITE_NOMEM) goto skip;
      goto done;
    }
    ZcMealResult res;
    if ((rc = zc_money_day(zc, &md, v, &m, rec, r->site, &res, pzErr))) {
      if (sink->soft && rc != SQLITE_NOMEM) goto skip;
      *pzErr = prefix_err(fn, "meal", m.id, *pzErr);
      goto done;
    }
    if (r->want_stats) {
      r->stats.meals++;
      if (res.total > 0) r->stats.subsidised_meals++;
      if (!r->has_diner || r->last_diner != elder_id) {
        r->stats.diners++;
        r->last_diner = elder_id;
        r->has_diner = 1;
      }
      if (m.day - first < 64) r->days |= (uint64_t)1 << (m.day - first);
    }
    sink->day_facts = &md.any;
    if (sink->xMeal && (rc = sink->xMeal(sink->p, &m, rec, r->site, v, &res, pzErr))) goto done;
    continue;
  skip:
    sqlite3_free(*pzErr);
    *pzErr = NULL;
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    if (!*pzErr) *pzErr = sqlite3_mprintf("%s: reading meals: %s", fn, sqlite3_errmsg(zc->db));
    goto done;
  }
  rc = SQLITE_OK;
  /* site items, under the version in force on the month's first day */
  zc_month_format(first, month);
  for (int i = 0; with_items && i < c.nref; i++) {
    SiteRef *r = &c.refs[i];
    const ZcPolicyVersion *v = NULL;
    if ((rc = zc_policy_for_region(zc, r->site->region, first, &v, pzErr))) goto done;
    if (v == NULL || !v->has_site) continue;
    for (uint64_t d = r->days; d; d &= d - 1) r->stats.days_served++;
    if ((rc = site_stats_beds(&c, r, pzErr))) goto done;
    if (sink->xSite && (rc = sink->xSite(sink->p, r->site, v, &r->stats, pzErr))) goto done;
    const ZcSiteItem *items;
    int n;
    if ((rc = zc_policy_site(zc, v, r->site, month, &r->stats, &items, &n, pzErr))) {
      *pzErr = prefix_err(fn, "site", r->site->id, *pzErr);
      goto done;
    }
    for (int k = 0; k < n; k++)
      if (sink->xItem && (rc = sink->xItem(sink->p, r->site, v, &items[k], pzErr))) goto done;
  }
done:
  zc->pinned = 0;
  compute_free(&c);
  if (rc != SQLITE_OK && *pzErr == NULL) *pzErr = sqlite3_mprintf("%s: %s", fn, sqlite3_errstr(rc));
  return rc;
}

/* ------------------------------------------------- settlement() vtab */

typedef struct Row {
  sqlite3_int64 site_id, quantity, amount;
  const char *item, *payer;   /* interned */
  int order;                  /* 0 meal payers, 1 elder, 2+k items */
} Row;

typedef struct StlCursor {
  sqlite3_vtab_cursor base;
  Row *rows;
  int n, cap, i;
  /* aggregation */
  ZcMap key_row;              /* hash(site, item, payer) -> row index */
  struct {                    /* direct-mapped: (site, payer) -> meal row */
    sqlite3_int64 site;
    const char *payer;
    int row;                  /* -1 empty */
  } hot[4096];
  int nitem;                  /* item order counter */
  const char *w_meal, *w_elder; /* interned words */
  ZcConn *zc;
} StlCursor;

typedef struct StlVtab {
  sqlite3_vtab base;
  ZcConn *zc;
} StlVtab;

#define STL_SITE 0
#define STL_ITEM 1
#define STL_PAYER 2
#define STL_QTY 3
#define STL_AMOUNT 4
#define STL_REGION 5
#define STL_MONTH 6

static int stl_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db,
                                "CREATE TABLE x(site_id INTEGER, item TEXT, payer TEXT, quantity INTEGER, "
                                "amount_fen INTEGER, region HIDDEN, month HIDDEN)");
  if (rc) return rc;
  StlVtab *p = sqlite3_malloc(sizeof *p);
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof *p);
  p->zc = pAux;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int stl_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* idxNum bits: 1 = region constrained (argv[0]), 2 = month constrained
** (argv[next]).  Both are required: a plan without them is given a huge
** cost, and xFilter reports the missing argument. */
static int stl_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  (void)tab;
  int reg = -1, mon = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (c->iColumn == STL_REGION) {
      if (!c->usable) return SQLITE_CONSTRAINT;
      reg = i;
    } else if (c->iColumn == STL_MONTH) {
      if (!c->usable) return SQLITE_CONSTRAINT;
      mon = i;
    }
  }
  int n = 0;
  info->idxNum = 0;
  if (reg >= 0) {
    info->aConstraintUsage[reg].argvIndex = ++n;
    info->aConstraintUsage[reg].omit = 1;
    info->idxNum |= 1;
  }
  if (mon >= 0) {
    info->aConstraintUsage[mon].argvIndex = ++n;
    info->aConstraintUsage[mon].omit = 1;
    info->idxNum |= 2;
  }
  info->estimatedCost = info->idxNum == 3 ? 1e6 : 1e18;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static int stl_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  StlCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->zc = ((StlVtab *)tab)->zc;
  for (int i = 0; i < 4096; i++) c->hot[i].row = -1;
  *pp = &c->base;
  return SQLITE_OK;
}

static void stl_reset(StlCursor *c) {
  sqlite3_free(c->rows);
  c->rows = NULL;
  c->n = c->cap = c->i = 0;
  c->nitem = 0;
  zc_map_clear(&c->key_row);
  for (int i = 0; i < 4096; i++) c->hot[i].row = -1;
}

static int stl_close(sqlite3_vtab_cursor *cur) {
  stl_reset((StlCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static Row *stl_row(StlCursor *c, sqlite3_int64 site, const char *item, const char *payer, int order) {
  uint64_t h = zc_hash64((uint64_t)site ^ zc_hash64((uint64_t)(uintptr_t)item) ^
                         zc_hash64((uint64_t)(uintptr_t)payer * 31u));
  sqlite3_int64 key = (sqlite3_int64)(h & 0x7fffffffffffffffULL);
  for (;;) {
    int isnew;
    sqlite3_int64 *v = zc_map_slot(&c->key_row, key, 1, &isnew);
    if (!v) return NULL;
    if (!isnew) {
      Row *r = &c->rows[*v];
      if (r->site_id == site && r->item == item && r->payer == payer) return r;
      key = (key + 1) & 0x7fffffffffffffffLL; /* hash collision: probe on */
      continue;
    }
    if (c->n == c->cap) {
      int ncap = c->cap ? c->cap * 2 : 64;
      Row *nr = sqlite3_realloc64(c->rows, (sqlite3_uint64)ncap * sizeof *nr);
      if (!nr) return NULL;
      c->rows = nr;
      c->cap = ncap;
    }
    Row *r = &c->rows[c->n];
    memset(r, 0, sizeof *r);
    r->site_id = site;
    r->item = item;
    r->payer = payer;
    r->order = order;
    *v = c->n++;
    return r;
  }
}

/* The 'meal' row of (site, payer), through the direct-mapped cache. */
static Row *stl_meal_row(StlCursor *c, sqlite3_int64 site, const char *meal, const char *payer, int order) {
  unsigned h = (unsigned)zc_hash64((uint64_t)site * 0x9e3779b97f4a7c15ULL + (uint64_t)(uintptr_t)payer) & 4095u;
  if (c->hot[h].row >= 0 && c->hot[h].site == site && c->hot[h].payer == payer) return &c->rows[c->hot[h].row];
  Row *r = stl_row(c, site, meal, payer, order);
  if (r) {
    c->hot[h].site = site;
    c->hot[h].payer = payer;
    c->hot[h].row = (int)(r - c->rows);
  }
  return r;
}

static int stl_meal(void *p, const ZcMealFacts *m, const ZcElderRec *elder, const ZcSiteFacts *site,
                    const ZcPolicyVersion *v, const ZcMealResult *res, char **pzErr) {
  (void)elder;
  (void)v;
  (void)pzErr;
  StlCursor *c = p;
  if (res->total <= 0) return SQLITE_OK;
  if (!c->w_meal) {
    c->w_meal = zc_intern(c->zc, "meal", 4);
    c->w_elder = zc_intern(c->zc, "elder", 5);
    if (!c->w_meal || !c->w_elder) return SQLITE_NOMEM;
  }
  const char *meal = c->w_meal, *el = c->w_elder;
  for (int i = 0; i < res->nparts; i++) {
    Row *r = stl_meal_row(c, site->id, meal, res->parts[i].payer, 0);
    if (!r) return SQLITE_NOMEM;
    r->amount += res->parts[i].fen;
  }
  /* the co-payment row exists for every subsidised meal: it counts them */
  Row *r = stl_meal_row(c, site->id, meal, el, 1);
  if (!r) return SQLITE_NOMEM;
  r->amount += m->price_fen - res->total;
  r->quantity++;
  return SQLITE_OK;
}

static int stl_item(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteItem *it,
                    char **pzErr) {
  (void)v;
  (void)pzErr;
  StlCursor *c = p;
  Row *r = stl_row(c, site->id, it->item, it->payer, 2 + c->nitem++);
  if (!r) return SQLITE_NOMEM;
  r->amount += it->fen;
  r->quantity += it->quantity;
  return SQLITE_OK;
}

static int row_cmp(const void *a, const void *b) {
  const Row *x = a, *y = b;
  if (x->site_id != y->site_id) return x->site_id < y->site_id ? -1 : 1;
  int ox = x->order < 2 ? x->order : 2, oy = y->order < 2 ? y->order : 2;
  if (ox != oy) return ox < oy ? -1 : 1;
  if (ox == 0) return strcmp(x->payer, y->payer);
  return x->order < y->order ? -1 : x->order > y->order;
}

static int stl_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  StlCursor *c = (StlCursor *)cur;
  char *err = NULL;
  const char *region;
  int first, next, rc;
  stl_reset(c);
  if (argc != 2 || idxNum != 3) {
    return zc_vtab_errorf(cur->pVtab, "settlement: needs two arguments, settlement(region, month): a region "
                                      "code such as '141129' and a month 'YYYY-MM'");
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) return SQLITE_OK;
  if ((rc = zc_facts_sync(c->zc))) return rc;
  if ((rc = zc_month_args(c->zc, "settlement", argv[0], argv[1], &region, &first, &next, &err))) goto error;
  ZcMonthSink sink = {c, stl_meal, NULL, stl_item, 0, NULL};
  if ((rc = zc_month_compute(c->zc, "settlement", region, first, next, &sink, &err))) goto error;
  /* quantities of meal rows: subsidised meals at the site (the count on
  ** its co-payment row); drop 0 fen */
  ZcMap subsidised;
  zc_map_init(&subsidised);
  for (int i = 0; i < c->n; i++)
    if (c->rows[i].order == 1) {
      sqlite3_int64 *n = zc_map_slot(&subsidised, c->rows[i].site_id, 1, NULL);
      if (!n) { zc_map_clear(&subsidised); rc = SQLITE_NOMEM; goto error; }
      *n = c->rows[i].quantity;
    }
  int k = 0;
  for (int i = 0; i < c->n; i++) {
    Row *r = &c->rows[i];
    if (r->order < 2) {
      sqlite3_int64 *n = zc_map_slot(&subsidised, r->site_id, 0, NULL);
      r->quantity = n ? *n : 0;
    }
    if (r->amount != 0) c->rows[k++] = *r;
  }
  zc_map_clear(&subsidised);
  c->n = k;
  if (c->n > 1) qsort(c->rows, (size_t)c->n, sizeof *c->rows, row_cmp);
  return SQLITE_OK;
error:
  sqlite3_free(cur->pVtab->zErrMsg);
  cur->pVtab->zErrMsg = err;
  stl_reset(c);
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int stl_next(sqlite3_vtab_cursor *cur) {
  ((StlCursor *)cur)->i++;
  return SQLITE_OK;
}

static int stl_eof(sqlite3_vtab_cursor *cur) {
  StlCursor *c = (StlCursor *)cur;
  return c->i >= c->n;
}

static int stl_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  StlCursor *c = (StlCursor *)cur;
  const Row *r = &c->rows[c->i];
  switch (col) {
    case STL_SITE: sqlite3_result_int64(ctx, r->site_id); break;
    case STL_ITEM: sqlite3_result_text(ctx, r->item, -1, SQLITE_STATIC); break;
    case STL_PAYER: sqlite3_result_text(ctx, r->payer, -1, SQLITE_STATIC); break;
    case STL_QTY: sqlite3_result_int64(ctx, r->quantity); break;
    case STL_AMOUNT: sqlite3_result_int64(ctx, r->amount); break;
    default: sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

static int stl_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = ((StlCursor *)cur)->i + 1;
  return SQLITE_OK;
}

static sqlite3_module settlement_module = {
    0,           NULL,       stl_connect, stl_best_index, stl_disconnect, NULL,    stl_open, stl_close,
    stl_filter,  stl_next,   stl_eof,     stl_column,     stl_rowid,      NULL,    NULL,     NULL,
    NULL,        NULL,       NULL,        NULL,           NULL,           NULL,    NULL,     NULL};

int zc_settle_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  int rc = sqlite3_create_module(db, "settlement", &settlement_module, zc);
  return rc ? rc : zc_run_register(db, zc, pzErr); /* settle(), replay(): run.c */
}
