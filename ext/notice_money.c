/*
** notice_money.c — the money a site's notice prints (notice.c), per site
** and diner, with a per-connection cache shared by every site of a region:
**
** The co-payment of a subsidised meal is split as settlement() splits it:
** the part credit points paid (the pack's credit_fen in a run, the meal's
** redemptions in a pass) and the elder's.
**
**   settled month   the run's stored rows: its packs (zhucan_run_pack,
**                   pack.c; the view zhucan_run_meal for runs stored before
**                   packs) and items (zhucan_run_item), read once per run
**                   and kept for every site the run covers.  A fact changed
**                   after settling does not move the paper's money.
**   not settled     one month pass (zc_month_compute, the pass settlement()
**                   runs) over the site's county, kept for every site of
**                   the county until the data change (zc_facts_generation).
**
** A whole city's notices so cost one read of each run (or one pass per
** county), not one pass per site.  Diners come out sorted by elder id;
** items in the order site() returned them (the run's seq order).
*/
#include "modules.h"
#include "month.h"
#include "notice.h"
#include "pack.h"
#include "runrec.h"
#include <stdlib.h>
#include <string.h>

#define NM_ENTRIES 8

typedef struct NmEntry {
  int used;                    /* 0: free */
  sqlite3_int64 run;           /* > 0: a run's money; 0: a month pass */
  char *key;                   /* run: output digest and chain; pass: region */
  int first;
  unsigned generation;         /* pass: the data it was computed on */
  sqlite3_uint64 tick;         /* last use */
  ZcMap index;                 /* site id -> index in s */
  ZcNoticeMoney *s;
  int n, cap;
} NmEntry;

struct ZcNoticeCache {
  NmEntry e[NM_ENTRIES];
  sqlite3_uint64 tick;
};

static void money_free(ZcNoticeMoney *m) {
  sqlite3_free(m->d);
  for (int i = 0; i < m->nit; i++) {
    sqlite3_free(m->it[i].item);
    sqlite3_free(m->it[i].payer);
  }
  sqlite3_free(m->it);
}

static void entry_free(NmEntry *e) {
  for (int i = 0; i < e->n; i++) money_free(&e->s[i]);
  sqlite3_free(e->s);
  sqlite3_free(e->key);
  zc_map_clear(&e->index);
  memset(e, 0, sizeof *e);
}

void zc_notice_cache_free(ZcConn *zc) {
  if (!zc->notice) return;
  for (int i = 0; i < NM_ENTRIES; i++) entry_free(&zc->notice->e[i]);
  sqlite3_free(zc->notice);
  zc->notice = NULL;
}

/* ------------------------------------------------------------ building */

static ZcNoticeMoney *site_money(NmEntry *e, sqlite3_int64 site) {
  int isnew;
  sqlite3_int64 *ix = zc_map_slot(&e->index, site, 1, &isnew);
  if (!ix) return NULL;
  if (isnew) {
    if (e->n == e->cap) {
      int ncap = e->cap ? e->cap * 2 : 64;
      ZcNoticeMoney *ns = sqlite3_realloc64(e->s, (sqlite3_uint64)ncap * sizeof *ns);
      if (!ns) { *ix = -1; return NULL; }
      e->s = ns;
      e->cap = ncap;
    }
    memset(&e->s[e->n], 0, sizeof *e->s);
    e->s[e->n].site = site;
    *ix = e->n++;
  }
  return *ix >= 0 ? &e->s[*ix] : NULL;
}

/* one meal of elder eid at site on day (index in the month), its price
** and public subsidy: meals come elder by elder, so a site's last diner
** is the one to add to (entry_finish merges any repeat) */
static int add_meal(NmEntry *e, sqlite3_int64 site, sqlite3_int64 eid, sqlite3_int64 day, sqlite3_int64 price,
                    sqlite3_int64 subsidy, sqlite3_int64 credit) {
  ZcNoticeMoney *m = site_money(e, site);
  if (!m) return SQLITE_NOMEM;
  if (m->n == 0 || m->d[m->n - 1].elder != eid) {
    if (m->n == m->cap) {
      int ncap = m->cap ? m->cap * 2 : 16;
      ZcNoticeDiner *nd = sqlite3_realloc64(m->d, (sqlite3_uint64)ncap * sizeof *nd);
      if (!nd) return SQLITE_NOMEM;
      m->d = nd;
      m->cap = ncap;
    }
    memset(&m->d[m->n], 0, sizeof *m->d);
    m->d[m->n++].elder = eid;
  }
  ZcNoticeDiner *d = &m->d[m->n - 1];
  d->meals++;
  if (day >= 0 && day < 31) m->per_day[day]++;
  if (subsidy > 0) {
    d->subsidised++;
    if (!zc_add_fen(&d->subsidy, subsidy) || !zc_add_fen(&d->copay, price - subsidy - credit) ||
        !zc_add_fen(&d->credit, credit))
      return SQLITE_TOOBIG;
  }
  return SQLITE_OK;
}

static int add_item(NmEntry *e, sqlite3_int64 site, const char *item, const char *payer, sqlite3_int64 qty,
                    sqlite3_int64 fen) {
  ZcNoticeMoney *m = site_money(e, site);
  if (!m) return SQLITE_NOMEM;
  if (m->nit == m->itcap) {
    int ncap = m->itcap ? m->itcap * 2 : 8;
    ZcNoticeItem *ni = sqlite3_realloc64(m->it, (sqlite3_uint64)ncap * sizeof *ni);
    if (!ni) return SQLITE_NOMEM;
    m->it = ni;
    m->itcap = ncap;
  }
  ZcNoticeItem *it = &m->it[m->nit];
  memset(it, 0, sizeof *it);
  it->item = zc_dup_text(item ? item : "");
  it->payer = zc_dup_text(payer ? payer : "");
  if (!it->item || !it->payer) {
    sqlite3_free(it->item);
    sqlite3_free(it->payer);
    return SQLITE_NOMEM;
  }
  it->qty = qty;
  it->fen = fen;
  m->nit++;
  return zc_add_fen(&m->items_fen, fen) ? SQLITE_OK : SQLITE_TOOBIG;
}

static int diner_cmp(const void *a, const void *b) {
  const ZcNoticeDiner *x = a, *y = b;
  return x->elder < y->elder ? -1 : x->elder > y->elder;
}

/* diners sorted by elder, an elder met twice (meals out of elder order)
** merged into one line */
static int entry_finish(NmEntry *e) {
  for (int i = 0; i < e->n; i++) {
    ZcNoticeMoney *m = &e->s[i];
    if (m->n > 1) qsort(m->d, (size_t)m->n, sizeof *m->d, diner_cmp);
    int k = 0;
    for (int j = 0; j < m->n; j++) {
      if (k > 0 && m->d[k - 1].elder == m->d[j].elder) {
        ZcNoticeDiner *a = &m->d[k - 1], *b = &m->d[j];
        a->meals += b->meals;
        a->subsidised += b->subsidised;
        if (!zc_add_fen(&a->subsidy, b->subsidy) || !zc_add_fen(&a->copay, b->copay) ||
            !zc_add_fen(&a->credit, b->credit))
          return SQLITE_TOOBIG;
      } else {
        m->d[k++] = m->d[j];
      }
    }
    m->n = k;
  }
  return SQLITE_OK;
}

/* --------------------------------------------------- from a month pass */

static int pass_meal(void *p, const ZcMealFacts *m, const ZcElderRec *elder, const ZcSiteFacts *site,
                     const ZcPolicyVersion *v, const ZcMealResult *res, char **pzErr) {
  (void)v;
  (void)pzErr;
  NmEntry *e = p;
  return add_meal(e, site->id, elder ? elder->id : 0, m->day - e->first, m->price_fen,
                  res->total > 0 ? res->total : 0, zc_meal_credit(m, res));
}

static int pass_item(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteItem *it,
                     char **pzErr) {
  (void)v;
  (void)pzErr;
  if (it->fen == 0) return SQLITE_OK;
  return add_item(p, site->id, it->item, it->payer, it->quantity, it->fen);
}

static int build_pass(ZcConn *zc, const char *fn, NmEntry *e, const char *region, int next, char **pzErr) {
  ZcMonthSink sink = {e, pass_meal, NULL, pass_item, 0, 0, NULL, NULL};
  return zc_month_compute(zc, fn, region, e->first, next, &sink, pzErr);
}

/* ---------------------------------------------------------- from a run */

static int run_error(ZcConn *zc, const char *fn, sqlite3_int64 run, const char *what, char **pzErr) {
  *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: run %lld: %s", "%s：第 %lld 号结算：%s"), fn, run, what);
  return *pzErr ? SQLITE_CORRUPT : SQLITE_NOMEM;
}

static int run_packs(ZcConn *zc, const char *fn, NmEntry *e, char **pzErr) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db, "SELECT elder_id, meals, data FROM zhucan_run_pack WHERE run_id = ?1 ORDER BY seq",
                              -1, &st, NULL);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, e->run);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    ZcPackR r;
    ZcPackMeal pm;
    int got = -1, n = 0;
    sqlite3_int64 eid = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
    if (zc_pack_open(&r, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2)))
      while ((got = zc_pack_next(&r, &pm)) == 1 && rc == SQLITE_OK) {
        n++;
        sqlite3_int64 day = (pm.served_at >= 0 ? pm.served_at / 86400 : -1) - e->first;
        rc = add_meal(e, pm.site, eid, day, pm.price, pm.subsidy, pm.subsidy > 0 ? pm.credit : 0);
      }
    if (rc == SQLITE_OK && (got < 0 || n != sqlite3_column_int(st, 1)))
      rc = run_error(zc, fn, e->run, zc_tr(zc, "a stored pack of meals is damaged (run_verify(run) says where)",
                                           "保存的用餐记录已损坏（run_verify(run) 可查明位置）"), pzErr);
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  sqlite3_finalize(st);
  return rc;
}

/* runs stored before packs: their meals through the view */
static int run_rows(ZcConn *zc, NmEntry *e) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db,
                              "SELECT site_id, elder_id, julianday(substr(served_at, 1, 10)) - 2440587.5,"
                              " price_fen, subsidy_fen FROM zhucan_run_meal WHERE run_id = ?1 ORDER BY elder_id",
                              -1, &st, NULL);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, e->run);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if ((rc = add_meal(e, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                       sqlite3_column_int64(st, 2) - e->first, sqlite3_column_int64(st, 3),
                       sqlite3_column_int64(st, 4), 0))) break;
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  sqlite3_finalize(st);
  return rc;
}

static int run_items(ZcConn *zc, NmEntry *e) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db,
                              "SELECT site_id, item, payer, quantity, amount_fen FROM zhucan_run_item"
                              " WHERE run_id = ?1 AND amount_fen <> 0 ORDER BY seq", -1, &st, NULL);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, e->run);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if ((rc = add_item(e, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
                       sqlite3_column_int64(st, 4)))) break;
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  sqlite3_finalize(st);
  return rc;
}

static int build_run(ZcConn *zc, const char *fn, NmEntry *e, char **pzErr) {
  int rc = zc_table_exists(zc->db, "zhucan_run_meal_v1") ? run_rows(zc, e) : run_packs(zc, fn, e, pzErr);
  if (rc == SQLITE_OK) rc = run_items(zc, e);
  if (rc && rc != SQLITE_NOMEM && rc != SQLITE_TOOBIG && !*pzErr)
    *pzErr = sqlite3_mprintf("%s: %s", fn, sqlite3_errmsg(zc->db));
  return rc;
}

/* --------------------------------------------------------------- lookup */

static NmEntry *find(struct ZcNoticeCache *c, sqlite3_int64 run, const char *key, int first, unsigned gen) {
  for (int i = 0; i < NM_ENTRIES; i++) {
    NmEntry *e = &c->e[i];
    if (e->used && e->run == run && e->first == first && !strcmp(e->key, key) && (run > 0 || e->generation == gen))
      return e;
  }
  return NULL;
}

static NmEntry *slot_for(struct ZcNoticeCache *c) {
  NmEntry *old = &c->e[0];
  for (int i = 0; i < NM_ENTRIES; i++) {
    if (!c->e[i].used) return &c->e[i];
    if (c->e[i].tick < old->tick) old = &c->e[i];
  }
  entry_free(old);
  return old;
}

static const ZcNoticeMoney EMPTY;

int zc_notice_money(ZcConn *zc, const char *fn, const ZcSiteFacts *site, int first, int next, sqlite3_int64 run,
                    const char *run_key, const ZcNoticeMoney **out, char **pzErr) {
  if (!zc->notice) {
    if (!(zc->notice = sqlite3_malloc(sizeof *zc->notice))) return SQLITE_NOMEM;
    memset(zc->notice, 0, sizeof *zc->notice);
  }
  struct ZcNoticeCache *c = zc->notice;
  const char *region = site->county ? site->county : site->region;
  const char *key = run > 0 ? run_key : region;
  unsigned gen = zc_facts_generation(zc);
  NmEntry *e = find(c, run, key ? key : "", first, gen);
  int rc = SQLITE_OK;
  if (!e) {
    e = slot_for(c);
    e->run = run;
    e->first = first;
    e->generation = gen;
    zc_map_init(&e->index);
    if (!(e->key = zc_dup_text(key ? key : ""))) return SQLITE_NOMEM;
    e->used = 1;
    if (run > 0) rc = build_run(zc, fn, e, pzErr);
    else {
      rc = build_pass(zc, fn, e, region, next, pzErr);
      /* a meal elsewhere in the county that cannot be priced: the site's
      ** own region alone, as settlement() of it would */
      if (rc == SQLITE_ERROR && region != site->region) {
        sqlite3_free(*pzErr);
        *pzErr = NULL;
        entry_free(e);
        e->run = 0; e->first = first; e->generation = gen; zc_map_init(&e->index);
        if (!(e->key = zc_dup_text(site->region))) return SQLITE_NOMEM;
        e->used = 1;
        rc = build_pass(zc, fn, e, site->region, next, pzErr);
      }
    }
    if (rc == SQLITE_OK) rc = entry_finish(e);
    if (rc == SQLITE_TOOBIG && !*pzErr)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: site %lld: amounts pass 2^63 fen", "%s：助餐点 %lld：金额超过 2^63 分"), fn,
                               site->id);
    if (rc) { entry_free(e); return rc; }
  }
  e->tick = ++c->tick;
  sqlite3_int64 *ix = zc_map_slot(&e->index, site->id, 0, NULL);
  *out = ix && *ix >= 0 ? &e->s[*ix] : &EMPTY;
  return SQLITE_OK;
}
