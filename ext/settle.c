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
**                          sum(price_fen - subsidy), less what points paid
**   item 'meal', 'credit'  the co-payments paid with credit points
**                          (credit_redemption rows of what = 'meal', at
**                          most each meal's co-payment; docs/credit.md)
**   item X, payer P        each item site(site, month, stats) returns, run
**                          under the version in force on the month's 1st
** Rows of 0 fen are left out, as parts of 0 fen are.
**
** How: zc_month_compute (month.c) reads the month's meals once, elder by
** elder, in (elder_id, served_at, id) order from the covering
** meal_elder_time index — every site's meals of those elders, because
** ordinals count an elder's meals everywhere — with one ZcOrd for the
** current elder, and for meals at region sites asks the one money path
** (zc_money_with).  An elder's record and facts stay hot while their meals
** pass.  Memory grows with sites (and, for part of a database, with the
** elders who ate there), not with meals.
*/
#include "modules.h"
#include "month.h"
#include "rowkeys.h"
#include <stdlib.h>
#include <string.h>

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
  ZcRowKeys keys;             /* (site, item, payer) -> row position */
  int nitem;                  /* item order counter */
  const char *w_meal, *w_elder, *w_credit; /* interned words */
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
  zc_rowkeys_init(&c->keys);
  *pp = &c->base;
  return SQLITE_OK;
}

static void stl_reset(StlCursor *c) {
  sqlite3_free(c->rows);
  c->rows = NULL;
  c->n = c->cap = c->i = 0;
  c->nitem = 0;
  zc_rowkeys_clear(&c->keys);
}

static int stl_close(sqlite3_vtab_cursor *cur) {
  stl_reset((StlCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* The row of (site, item, payer), appended on first sight; `meal` rows
** through the index's (site, payer) cache. */
static Row *stl_row(StlCursor *c, sqlite3_int64 site, const char *item, const char *payer, int order) {
  if (zc_rows_room((void **)&c->rows, &c->cap, c->n, sizeof *c->rows)) return NULL;
  int isnew, pos = item == c->w_meal ? zc_rowkeys_meal(&c->keys, site, item, payer, &isnew)
                                     : zc_rowkeys_find(&c->keys, site, item, payer, &isnew);
  if (pos < 0) return NULL;
  Row *r = &c->rows[pos];
  if (isnew) {
    *r = (Row){.site_id = site, .item = item, .payer = payer, .order = order};
    c->n++;
  }
  return r;
}

/* A site's amounts that add up past 2^63 fen: an error, never a wrap. */
static int stl_overflow(const ZcConn *zc, const ZcSiteFacts *site, char **pzErr) {
  *pzErr = sqlite3_mprintf(zc_tr(zc, "settlement: site %lld: the amounts add up to more than 2^63 fen", "settlement：助餐点 %lld：金额加起来超过 2^63 分"), site->id);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int stl_meal(void *p, const ZcMealFacts *m, const ZcElderRec *elder, const ZcSiteFacts *site,
                    const ZcPolicyVersion *v, const ZcMealResult *res, char **pzErr) {
  (void)elder;
  (void)v;
  StlCursor *c = p;
  if (res->total <= 0) return SQLITE_OK;
  if (!c->w_meal) {
    c->w_meal = zc_intern(c->zc, "meal", 4);
    c->w_elder = zc_intern(c->zc, "elder", 5);
    if (!c->w_meal || !c->w_elder) return SQLITE_NOMEM;
  }
  const char *meal = c->w_meal, *el = c->w_elder;
  for (int i = 0; i < res->nparts; i++) {
    Row *r = stl_row(c, site->id, meal, res->parts[i].payer, 0);
    if (!r) return SQLITE_NOMEM;
    if (!zc_add_fen(&r->amount, res->parts[i].fen)) return stl_overflow(c->zc, site, pzErr);
  }
  /* the co-payment: the part points paid (credit_redemption, payer
  ** 'credit', at most the co-payment), the rest the elder's */
  sqlite3_int64 copay = m->price_fen - res->total, credit = zc_meal_credit(m, res);
  if (credit > 0) {
    if (!c->w_credit && !(c->w_credit = zc_intern(c->zc, "credit", 6))) return SQLITE_NOMEM;
    Row *cr = stl_row(c, site->id, meal, c->w_credit, 0);
    if (!cr) return SQLITE_NOMEM;
    if (!zc_add_fen(&cr->amount, credit)) return stl_overflow(c->zc, site, pzErr);
  }
  /* the co-payment row exists for every subsidised meal: it counts them */
  Row *r = stl_row(c, site->id, meal, el, 1);
  if (!r) return SQLITE_NOMEM;
  if (!zc_add_fen(&r->amount, copay - (credit > 0 ? credit : 0))) return stl_overflow(c->zc, site, pzErr);
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
  if (!zc_add_fen(&r->amount, it->fen) || !zc_add_fen(&r->quantity, it->quantity)) return stl_overflow(c->zc, site, pzErr);
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
    return zc_vtab_errorf(cur->pVtab, zc_tr(c->zc, "settlement: needs two arguments, settlement(region, month): a region "
                                      "code such as '141129' and a month 'YYYY-MM'", "settlement：需要两个参数 settlement(region, month)：区划代码（例如 '141129'）和月份 'YYYY-MM'"));
  }
  if ((rc = zc_facts_sync(c->zc))) return rc;
  if ((rc = zc_month_args(c->zc, "settlement", argv[0], argv[1], &region, &first, &next, &err))) goto error;
  ZcMonthSink sink = {c, stl_meal, NULL, stl_item, 0, 0, NULL, NULL};
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
  (void)pzErr;
  return sqlite3_create_module(db, "settlement", &settlement_module, zc);
}
