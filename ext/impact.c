/*
** impact.c — what a proposed policy version would pay in a month, before it
** is installed:
**
**   SELECT * FROM policy_impact('lua/zhongyang_v2.lua', '141129', '2024-03');
**   SELECT site_id, payer, delta_fen, meals_changed
**     FROM policy_impact(readfile('draft.lua'), '141129', '2024-03') WHERE delta_fen <> 0;
**
**   CREATE TABLE x(site_id INTEGER, item TEXT, payer TEXT, current_fen INTEGER,
**                  proposed_fen INTEGER, meals_changed INTEGER, delta_fen INTEGER,
**                  current_quantity INTEGER, proposed_quantity INTEGER,
**                  source_or_path HIDDEN, region HIDDEN, month HIDDEN);  -- all three required
**
** source_or_path is a path when it is text that ends in ".lua" and holds no
** newline (it is then read like policy_load reads it), else the Lua source
** itself (text, or a blob such as readfile() gives).
** The proposal is loaded into the connection's runtime, checked as
** policy_install would check it, but never stored: for this computation it
** stands in as the newest installed version of its name from its
** effective_from (so on the days it covers it replaces the version in
** force of that name; sites governed by other policies keep theirs, and a
** stored version with a later effective_from still wins from its date).
**
** Rows: the rows settlement(region, month) gives, once computed with the
** versions in force ("current") and once with the proposal ("proposed"),
** matched on (site_id, item, payer) — a row present on one side only has 0
** on the other; rows 0 on both sides are left out.  Order as settlement's:
** site_id, the 'meal' rows (payers in name order, 'elder' last), items.
**   current_fen, proposed_fen, delta_fen = proposed - current
**   current_quantity, proposed_quantity   settlement's quantity each side
**                                         (for 'meal' rows: subsidised meals)
**   meals_changed   'meal' rows: the meals whose part for this payer differs
**                   (for 'elder': whose co-payment row share differs — the
**                   meal subsidised on one side only, or a different total);
**                   NULL for site items (they are not meals)
**
** How: two month passes (zc_month_compute, month.c), the second with the
** proposal in the pass's ZcPolicyPick (never on the connection).  The
** first writes each meal's parts to a compact log in pass order (meal id
** delta, parts as payer index and fen, varints: a few bytes a meal); the
** second reads the log back in the same order and compares meal by meal.
** Both passes run in the one read transaction of the statement.  The
** proposal has its own memo and is freed before xFilter returns: nothing
** of it stays in the runtime (the payer and item words it used stay
** interned, as every version's do).  Nothing is written: a read-only
** connection works.  Registered direct-only: it reads files.
*/
#include "rowkeys.h"
#include "modules.h"
#include "month.h"
#include <stdlib.h>
#include <string.h>

#define IMP_FN "policy_impact"

#define IMP_SITE 0
#define IMP_ITEM 1
#define IMP_PAYER 2
#define IMP_CUR 3
#define IMP_PROP 4
#define IMP_CHANGED 5
#define IMP_DELTA 6
#define IMP_CUR_QTY 7
#define IMP_PROP_QTY 8
#define IMP_SOURCE 9
#define IMP_REGION 10
#define IMP_MONTH 11

typedef struct Row {
  sqlite3_int64 site_id;
  const char *item, *payer;     /* interned */
  sqlite3_int64 fen[2], qty[2]; /* [0] current, [1] proposed */
  sqlite3_int64 changed;
  int order;                    /* 0 meal payers, 1 elder, 2+k items */
} Row;

typedef struct ImpCursor {
  sqlite3_vtab_cursor base;
  ZcConn *zc;
  Row *rows;
  int n, cap, i;
  ZcRowKeys keys;               /* (site, item, payer) -> row position */
  int nitem;
  const char *w_meal, *w_elder;
  /* the pass: 0 current, 1 proposed */
  int pass;
  ZcBuf log;                    /* the first pass's meals */
  size_t pos;                   /* read position in the second */
  sqlite3_int64 last_id;
  const char **payers;          /* payer index -> word */
  int npayer, payer_cap;
  ZcMap payer_idx;              /* word pointer -> index */
} ImpCursor;

typedef struct ImpVtab {
  sqlite3_vtab base;
  ZcConn *zc;
} ImpVtab;

static int imp_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db,
                                "CREATE TABLE x(site_id INTEGER, item TEXT, payer TEXT, current_fen INTEGER, "
                                "proposed_fen INTEGER, meals_changed INTEGER, delta_fen INTEGER, "
                                "current_quantity INTEGER, proposed_quantity INTEGER, "
                                "source_or_path HIDDEN, region HIDDEN, month HIDDEN)");
  if (rc) return rc;
  ImpVtab *p = sqlite3_malloc(sizeof *p);
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof *p);
  p->zc = pAux;
  /* it reads files: never from a view or trigger a schema could hide */
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int imp_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* idxNum bits: 1 source_or_path, 2 region, 4 month constrained; argv in
** that order.  All three are required: a plan without one is given a huge
** cost, and xFilter reports the missing argument. */
static int imp_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  (void)tab;
  int at[3] = {-1, -1, -1};
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->op != SQLITE_INDEX_CONSTRAINT_EQ || c->iColumn < IMP_SOURCE) continue;
    if (!c->usable) return SQLITE_CONSTRAINT;
    at[c->iColumn - IMP_SOURCE] = i;
  }
  int n = 0;
  info->idxNum = 0;
  for (int k = 0; k < 3; k++) {
    if (at[k] < 0) continue;
    info->aConstraintUsage[at[k]].argvIndex = ++n;
    info->aConstraintUsage[at[k]].omit = 1;
    info->idxNum |= 1 << k;
  }
  info->estimatedCost = info->idxNum == 7 ? 2e6 : 1e18;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static int imp_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  ImpCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->zc = ((ImpVtab *)tab)->zc;
  zc_rowkeys_init(&c->keys);
  *pp = &c->base;
  return SQLITE_OK;
}

/* What only the computation needs (the rows stay). */
static void imp_scratch_free(ImpCursor *c) {
  zc_buf_free(&c->log);
  memset(&c->log, 0, sizeof c->log);
  c->pos = 0;
  c->last_id = 0;
  sqlite3_free(c->payers);
  c->payers = NULL;
  c->npayer = c->payer_cap = 0;
  zc_map_clear(&c->payer_idx);
  zc_rowkeys_clear(&c->keys);
}

static void imp_reset(ImpCursor *c) {
  imp_scratch_free(c);
  sqlite3_free(c->rows);
  c->rows = NULL;
  c->n = c->cap = c->i = 0;
  c->nitem = 0;
  c->pass = 0;
}

static int imp_close(sqlite3_vtab_cursor *cur) {
  imp_reset((ImpCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* ------------------------------------------------------------- rows */

/* The row of (site, item, payer), appended on first sight (items take the
** next item order); `meal` rows through the index's (site, payer) cache. */
static Row *imp_row(ImpCursor *c, sqlite3_int64 site, const char *item, const char *payer, int order) {
  if (zc_rows_room((void **)&c->rows, &c->cap, c->n, sizeof *c->rows)) return NULL;
  int isnew, pos = item == c->w_meal ? zc_rowkeys_meal(&c->keys, site, item, payer, &isnew)
                                     : zc_rowkeys_find(&c->keys, site, item, payer, &isnew);
  if (pos < 0) return NULL;
  Row *r = &c->rows[pos];
  if (isnew) {
    *r = (Row){.site_id = site, .item = item, .payer = payer, .order = order >= 2 ? 2 + c->nitem++ : order};
    c->n++;
  }
  return r;
}

/* The 'meal' row of (site, payer). */
static Row *imp_meal_row(ImpCursor *c, sqlite3_int64 site, const char *payer, int order) {
  return imp_row(c, site, c->w_meal, payer, order);
}

static int imp_overflow(const ZcConn *zc, const ZcSiteFacts *site, char **pzErr) {
  *pzErr = sqlite3_mprintf(zc_tr(zc, IMP_FN ": site %lld: the amounts add up to more than 2^63 fen",
                                 IMP_FN "：助餐点 %lld：金额加起来超过 2^63 分"), site->id);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* -------------------------------------------------------- the meal log */

static void log_varint(ZcBuf *b, uint64_t x) {
  unsigned char t[10];
  int k = 0;
  do {
    t[k++] = (unsigned char)((x & 0x7f) | (x > 0x7f ? 0x80 : 0));
    x >>= 7;
  } while (x);
  zc_buf_add(b, t, (size_t)k);
}

/* 0 when the log ends first. */
static int log_get(ImpCursor *c, uint64_t *out) {
  uint64_t x = 0;
  for (int s = 0; s < 64; s += 7) {
    if (c->pos >= c->log.n) return 0;
    unsigned char b = (unsigned char)c->log.z[c->pos++];
    x |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) {
      *out = x;
      return 1;
    }
  }
  return 0;
}

static uint64_t zigzag(sqlite3_int64 d) {
  return ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
}

static sqlite3_int64 unzigzag(uint64_t u) {
  return (sqlite3_int64)(u >> 1) ^ -(sqlite3_int64)(u & 1);
}

/* The index of payer word w in the log's table (added on first sight). */
static int payer_index(ImpCursor *c, const char *w) {
  int isnew;
  sqlite3_int64 *v = zc_map_slot(&c->payer_idx, (sqlite3_int64)(uintptr_t)w, 1, &isnew);
  if (!v) return -1;
  if (!isnew) return (int)*v;
  if (c->npayer == c->payer_cap) {
    int ncap = c->payer_cap ? c->payer_cap * 2 : 16;
    const char **np = sqlite3_realloc64(c->payers, (sqlite3_uint64)ncap * sizeof *np);
    if (!np) return -1;
    c->payers = np;
    c->payer_cap = ncap;
  }
  c->payers[c->npayer] = w;
  *v = c->npayer;
  return c->npayer++;
}

/* First pass: the meal's id and parts into the log. */
static int log_meal(ImpCursor *c, const ZcMealFacts *m, const ZcMealResult *res) {
  log_varint(&c->log, zigzag(m->id - c->last_id));
  c->last_id = m->id;
  int np = res->total > 0 ? res->nparts : 0;
  log_varint(&c->log, (uint64_t)np);
  for (int i = 0; i < np; i++) {
    int k = payer_index(c, res->parts[i].payer);
    if (k < 0) return SQLITE_NOMEM;
    log_varint(&c->log, (uint64_t)k);
    log_varint(&c->log, (uint64_t)res->parts[i].fen);
  }
  return c->log.oom ? SQLITE_NOMEM : SQLITE_OK;
}

static int log_lost(const ZcConn *zc, char **pzErr) {
  *pzErr = sqlite3_mprintf("%s", zc_tr(zc, IMP_FN ": the month's meals differ between its two passes (internal error)",
                                       IMP_FN "：这个月的就餐记录在两遍计算之间不一致（内部错误）"));
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Second pass: the same meal's current parts back from the log. */
static int log_read(ImpCursor *c, const ZcMealFacts *m, ZcPart *parts, int *pn, sqlite3_int64 *ptotal,
                    char **pzErr) {
  uint64_t u, np;
  if (!log_get(c, &u) || c->last_id + unzigzag(u) != m->id || !log_get(c, &np) || np > ZC_MAX_PARTS)
    return log_lost(c->zc, pzErr);
  c->last_id = m->id;
  *ptotal = 0;
  for (uint64_t i = 0; i < np; i++) {
    uint64_t k, fen;
    if (!log_get(c, &k) || k >= (uint64_t)c->npayer || !log_get(c, &fen)) return log_lost(c->zc, pzErr);
    parts[i].payer = c->payers[k];
    parts[i].fen = (sqlite3_int64)fen;
    *ptotal += parts[i].fen;
  }
  *pn = (int)np;
  return SQLITE_OK;
}

/* --------------------------------------------------------- the sinks */

/* The meal's parts and co-payment into side k's rows. */
static int add_meal(ImpCursor *c, int k, const ZcSiteFacts *site, sqlite3_int64 price, const ZcPart *parts,
                    int np, sqlite3_int64 total, char **pzErr) {
  if (total <= 0) return SQLITE_OK;
  for (int i = 0; i < np; i++) {
    Row *r = imp_meal_row(c, site->id, parts[i].payer, 0);
    if (!r) return SQLITE_NOMEM;
    if (!zc_add_fen(&r->fen[k], parts[i].fen)) return imp_overflow(c->zc, site, pzErr);
  }
  Row *r = imp_meal_row(c, site->id, c->w_elder, 1);
  if (!r) return SQLITE_NOMEM;
  if (!zc_add_fen(&r->fen[k], price - total)) return imp_overflow(c->zc, site, pzErr);
  r->qty[k]++;
  return SQLITE_OK;
}

static sqlite3_int64 part_of(const ZcPart *parts, int np, const char *payer) {
  for (int i = 0; i < np; i++)
    if (parts[i].payer == payer) return parts[i].fen;
  return 0;
}

/* Counts the meal in meals_changed of each payer whose part differs. */
static int count_changed(ImpCursor *c, const ZcSiteFacts *site, const ZcPart *cur, int ncur, sqlite3_int64 tcur,
                         const ZcMealResult *res) {
  int nprop = res->total > 0 ? res->nparts : 0;
  for (int i = 0; i < ncur; i++)
    if (part_of(res->parts, nprop, cur[i].payer) != cur[i].fen) {
      Row *r = imp_meal_row(c, site->id, cur[i].payer, 0);
      if (!r) return SQLITE_NOMEM;
      r->changed++;
    }
  for (int i = 0; i < nprop; i++)
    if (part_of(cur, ncur, res->parts[i].payer) == 0) {   /* new payer: not counted above */
      Row *r = imp_meal_row(c, site->id, res->parts[i].payer, 0);
      if (!r) return SQLITE_NOMEM;
      r->changed++;
    }
  /* the co-payment row covers subsidised meals: price - total */
  int scur = tcur > 0, sprop = res->total > 0;
  if (scur != sprop || (scur && tcur != res->total)) {
    Row *r = imp_meal_row(c, site->id, c->w_elder, 1);
    if (!r) return SQLITE_NOMEM;
    r->changed++;
  }
  return SQLITE_OK;
}

static int imp_meal(void *p, const ZcMealFacts *m, const ZcElderRec *elder, const ZcSiteFacts *site,
                    const ZcPolicyVersion *v, const ZcMealResult *res, char **pzErr) {
  (void)elder;
  (void)v;
  ImpCursor *c = p;
  int rc;
  if (c->pass == 0) {
    if ((rc = log_meal(c, m, res))) return rc;
    return add_meal(c, 0, site, m->price_fen, res->parts, res->total > 0 ? res->nparts : 0, res->total, pzErr);
  }
  ZcPart cur[ZC_MAX_PARTS];
  int ncur;
  sqlite3_int64 tcur;
  if ((rc = log_read(c, m, cur, &ncur, &tcur, pzErr))) return rc;
  if ((rc = add_meal(c, 1, site, m->price_fen, res->parts, res->nparts, res->total, pzErr))) return rc;
  return count_changed(c, site, cur, ncur, tcur, res);
}

static int imp_item(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteItem *it,
                    char **pzErr) {
  (void)v;
  ImpCursor *c = p;
  Row *r = imp_row(c, site->id, it->item, it->payer, 2);
  if (!r) return SQLITE_NOMEM;
  if (!zc_add_fen(&r->fen[c->pass], it->fen) || !zc_add_fen(&r->qty[c->pass], it->quantity))
    return imp_overflow(c->zc, site, pzErr);
  return SQLITE_OK;
}

/* ---------------------------------------------------------- checks */

/* Sites of region governed by the proposal's policy: an error when the
** region has sites and none is (the proposal would change nothing). */
static int check_governs_sites(ImpCursor *c, const char *region, const char *name, char **pzErr) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->zc->db, "SELECT region FROM site ORDER BY id", -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, IMP_FN ": cannot read table site: %s", IMP_FN "：无法读取助餐点表 site：%s"), sqlite3_errmsg(c->zc->db));
    return rc;
  }
  int nsite = 0, governed = 0;
  const char *other = NULL;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && !governed) {
    const char *code = (const char *)sqlite3_column_text(st, 0);
    if (!code || !zc_region_under(c->zc, code, region)) continue;
    nsite++;
    const ZcRegion *g = zc_region_governing(c->zc, code);
    if (g && g->policy && strcmp(g->policy, name) == 0) governed = 1;
    else if (g && g->policy && !other) other = g->policy;   /* the region cache outlives this call */
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, IMP_FN ": cannot read table site: %s", IMP_FN "：无法读取助餐点表 site：%s"), sqlite3_errmsg(c->zc->db));
    return rc;
  }
  if (nsite == 0 || governed) return SQLITE_OK;
  *pzErr = zc_lang_en(c->zc)
               ? sqlite3_mprintf(IMP_FN ": no site of region %s is governed by policy '%s', the proposal's name%s%s%s; "
                                 "expected a proposal for the policy region.policy names for the region's sites",
                                 region, name, other ? " (they follow '" : "", other ? other : "", other ? "')" : "")
               : sqlite3_mprintf(IMP_FN "：区划 %s 没有一个助餐点归政策 '%s'（提案的名称）管%s%s%s；"
                                 "提案应针对区划的 region.policy 为这些助餐点指定的政策",
                                 region, name, other ? "（它们归 '" : "", other ? other : "", other ? "' 管）" : "");
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* An error when the proposal governs no day of the month: its
** effective_from is after it, or a stored version of a later date rules
** every day of it. */
static int check_governs_days(ImpCursor *c, const ZcPolicyVersion *prop, int first, int next, char **pzErr) {
  ZcPolicyPick pick = {0, 0, prop};
  for (int d = first; d < next; d++) {
    const ZcPolicyVersion *v = NULL;
    int rc = zc_policy_for_name(c->zc, &pick, prop->name, d, &v, pzErr);
    if (rc) return rc;
    if (v == prop) return SQLITE_OK;
  }
  char month[8];
  zc_month_format(first, month);
  if (prop->effective_from >= next)
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, IMP_FN ": the proposal %s@%s governs no day of %s: its effective_from is after "
                             "the month; expected a month on or after %.7s", IMP_FN "：提案 %s@%s 在 %s 没有一天生效：它的 effective_from 在这个月之后；应选 %.7s 或之后的月份"),
                             prop->name, prop->effective_text, month, prop->effective_text);
  else
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, IMP_FN ": the proposal %s@%s governs no day of %s: a stored version of '%s' "
                             "with a later effective_from is in force on every day of it", IMP_FN "：提案 %s@%s 在 %s 没有一天生效：已保存的 '%s' 版本中有一个 effective_from 更晚，这个月每天都由它生效"),
                             prop->name, prop->effective_text, month, prop->name);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* --------------------------------------------------------- filter */

static int row_cmp(const void *a, const void *b) {
  const Row *x = a, *y = b;
  if (x->site_id != y->site_id) return x->site_id < y->site_id ? -1 : 1;
  int ox = x->order < 2 ? x->order : 2, oy = y->order < 2 ? y->order : 2;
  if (ox != oy) return ox < oy ? -1 : 1;
  if (ox == 0) return strcmp(x->payer, y->payer);
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Meal rows' quantities (the site's subsidised meals, counted on its
** co-payment row), rows 0 on both sides dropped, settlement's order. */
static int imp_finish(ImpCursor *c) {
  ZcMap subsidised[2];
  zc_map_init(&subsidised[0]);
  zc_map_init(&subsidised[1]);
  int rc = SQLITE_OK;
  for (int i = 0; i < c->n && rc == SQLITE_OK; i++)
    for (int k = 0; k < 2 && c->rows[i].order == 1; k++) {
      sqlite3_int64 *n = zc_map_slot(&subsidised[k], c->rows[i].site_id, 1, NULL);
      if (!n) rc = SQLITE_NOMEM;
      else *n = c->rows[i].qty[k];
    }
  int j = 0;
  for (int i = 0; i < c->n && rc == SQLITE_OK; i++) {
    Row *r = &c->rows[i];
    for (int k = 0; k < 2 && r->order < 2; k++) {
      sqlite3_int64 *n = zc_map_slot(&subsidised[k], r->site_id, 0, NULL);
      r->qty[k] = n ? *n : 0;
    }
    if (r->fen[0] != 0 || r->fen[1] != 0) c->rows[j++] = *r;
  }
  zc_map_clear(&subsidised[0]);
  zc_map_clear(&subsidised[1]);
  if (rc) return rc;
  c->n = j;
  if (c->n > 1) qsort(c->rows, (size_t)c->n, sizeof *c->rows, row_cmp);
  return SQLITE_OK;
}

/* The three arguments: NULLs named, the proposal loaded (a path read). */
static int imp_args(ImpCursor *c, sqlite3_value **argv, const char **pRegion, int *first, int *next,
                    const ZcPolicyVersion **pprop, char **pzErr) {
  static const char *const what[2][3] = {
      {"source_or_path is NULL; expected the Lua source of a policy or the path of a .lua file",
       "region is NULL; expected a region code such as '141129'", "month is NULL; expected a month 'YYYY-MM'"},
      {"源码或路径参数 source_or_path 为 NULL；应为政策的 Lua 源码或 .lua 文件的路径",
       "区划参数为 NULL；应为区划代码，例如 '141129'", "月份参数为 NULL；应为月份 'YYYY-MM'"}};
  for (int k = 0; k < 3; k++)
    if (sqlite3_value_type(argv[k]) == SQLITE_NULL) {
      *pzErr = sqlite3_mprintf(ZC_COLON(c->zc), IMP_FN, what[zc_lang_en(c->zc) ? 0 : 1][k]);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  int blob = sqlite3_value_type(argv[0]) == SQLITE_BLOB;   /* readfile('draft.lua'): source, never a path */
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT && !blob) {
    char *r = zc_value_repr(argv[0]);
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, IMP_FN ": source_or_path %s is not text; expected the Lua source of a policy or "
                             "the path of a .lua file", IMP_FN "：源码或路径参数 %s 不是文本；应为政策的 Lua 源码或 .lua 文件的路径"), r ? r : "?");
    sqlite3_free(r);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  int rc = zc_month_args(c->zc, IMP_FN, argv[1], argv[2], pRegion, first, next, pzErr);
  if (rc) return rc;
  const char *arg = blob ? (const char *)sqlite3_value_blob(argv[0]) : (const char *)sqlite3_value_text(argv[0]);
  size_t n = (size_t)sqlite3_value_bytes(argv[0]);
  char *buf = NULL, *chunk = NULL, *err = NULL;
  const char *src = arg;
  /* a path: ends in .lua, one line */
  int is_path = !blob && arg && n > 4 && memcmp(arg + n - 4, ".lua", 4) == 0 && !memchr(arg, '\n', n);
  if (is_path) {
    if ((rc = zc_read_file(c->zc, arg, ZC_POLICY_SOURCE_MAX, &buf, &n, &err))) {
      if (err) *pzErr = sqlite3_mprintf(zc_tr(c->zc, IMP_FN ": %s; expected a file of 1 to %d bytes of Lua",
                                              IMP_FN "：%s；应为 1 到 %d 字节的 Lua 文件"), err,
                                        ZC_POLICY_SOURCE_MAX);
      goto done;
    }
    const char *base = strrchr(arg, '/');
    chunk = sqlite3_mprintf("=%s", base ? base + 1 : arg);
    src = buf;
  } else {
    chunk = sqlite3_mprintf("=proposal");
  }
  if (!chunk) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  if ((rc = zc_policy_proposal(c->zc, src ? src : "", n, chunk, pprop, &err)) && err) {
    *pzErr = is_path ? sqlite3_mprintf(zc_tr(c->zc, IMP_FN ": '%s': %s", IMP_FN "：'%s'：%s"), arg, err)
                     : sqlite3_mprintf(ZC_COLON(c->zc), IMP_FN, err);
  }
done:
  sqlite3_free(buf);
  sqlite3_free(chunk);
  sqlite3_free(err);
  if (rc && !*pzErr) rc = SQLITE_NOMEM;
  return rc;
}

static int imp_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  ImpCursor *c = (ImpCursor *)cur;
  char *err = NULL;
  const char *region;
  const ZcPolicyVersion *prop = NULL;
  int first, next, rc;
  imp_reset(c);
  if (argc != 3 || idxNum != 7)
    return zc_vtab_errorf(cur->pVtab, "%s", zc_tr(c->zc, IMP_FN ": needs three arguments, " IMP_FN "(source_or_path, region, "
                                      "month): a policy's Lua source or a .lua file, a region code such as "
                                      "'141129' and a month 'YYYY-MM'", IMP_FN "：需要三个参数 " IMP_FN "(source_or_path, region, month)：政策的 Lua 源码或 .lua 文件、区划代码（例如 '141129'）和月份 'YYYY-MM'"));
  if ((rc = zc_facts_sync(c->zc))) return rc;
  if ((rc = imp_args(c, argv, &region, &first, &next, &prop, &err))) goto error;
  if ((rc = check_governs_sites(c, region, prop->name, &err))) goto error;
  if ((rc = check_governs_days(c, prop, first, next, &err))) goto error;
  c->w_meal = zc_intern(c->zc, "meal", 4);
  c->w_elder = zc_intern(c->zc, "elder", 5);
  if (!c->w_meal || !c->w_elder) {
    rc = SQLITE_NOMEM;
    goto error;
  }
  ZcMonthSink sink = {c, imp_meal, NULL, imp_item, 0, 0, NULL, NULL};
  if ((rc = zc_month_compute(c->zc, IMP_FN, region, first, next, &sink, &err))) goto error;
  c->pass = 1;
  c->pos = 0;
  c->last_id = 0;
  sink.proposal = prop;
  if ((rc = zc_month_compute(c->zc, IMP_FN, region, first, next, &sink, &err))) goto error;
  if (c->pos != c->log.n) {
    rc = log_lost(c->zc, &err);
    goto error;
  }
  zc_policy_proposal_free(c->zc, prop);
  prop = NULL;
  imp_scratch_free(c);
  if ((rc = imp_finish(c))) goto error;
  return SQLITE_OK;
error:
  zc_policy_proposal_free(c->zc, prop);
  if (rc != SQLITE_NOMEM || err) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = err;
  } else {
    sqlite3_free(err);
  }
  imp_reset(c);
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int imp_next(sqlite3_vtab_cursor *cur) {
  ((ImpCursor *)cur)->i++;
  return SQLITE_OK;
}

static int imp_eof(sqlite3_vtab_cursor *cur) {
  ImpCursor *c = (ImpCursor *)cur;
  return c->i >= c->n;
}

static int imp_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  ImpCursor *c = (ImpCursor *)cur;
  const Row *r = &c->rows[c->i];
  switch (col) {
    case IMP_SITE: sqlite3_result_int64(ctx, r->site_id); break;
    case IMP_ITEM: sqlite3_result_text(ctx, r->item, -1, SQLITE_STATIC); break;
    case IMP_PAYER: sqlite3_result_text(ctx, r->payer, -1, SQLITE_STATIC); break;
    case IMP_CUR: sqlite3_result_int64(ctx, r->fen[0]); break;
    case IMP_PROP: sqlite3_result_int64(ctx, r->fen[1]); break;
    case IMP_CHANGED:
      if (r->order < 2) sqlite3_result_int64(ctx, r->changed);
      else sqlite3_result_null(ctx);
      break;
    case IMP_DELTA: {
      sqlite3_int64 d;
      if (__builtin_sub_overflow(r->fen[1], r->fen[0], &d)) {
        sqlite3_result_error(ctx, zc_tr(c->zc, IMP_FN ": delta_fen passes 2^63 fen", IMP_FN "：delta_fen 超过 2^63 分"), -1);
        return SQLITE_ERROR;
      }
      sqlite3_result_int64(ctx, d);
      break;
    }
    case IMP_CUR_QTY: sqlite3_result_int64(ctx, r->qty[0]); break;
    case IMP_PROP_QTY: sqlite3_result_int64(ctx, r->qty[1]); break;
    default: sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

static int imp_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = ((ImpCursor *)cur)->i + 1;
  return SQLITE_OK;
}

static sqlite3_module impact_module = {
    0,          NULL,     imp_connect, imp_best_index, imp_disconnect, NULL, imp_open, imp_close,
    imp_filter, imp_next, imp_eof,     imp_column,     imp_rowid,      NULL, NULL,     NULL,
    NULL,       NULL,     NULL,        NULL,           NULL,           NULL, NULL,     NULL};

int zc_impact_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return sqlite3_create_module(db, "policy_impact", &impact_module, zc);
}
