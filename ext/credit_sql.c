/*
** credit_sql.c — the time bank's read side in SQL (docs/credit.md):
**
**   SELECT * FROM credit_ledger('141129', '2025-12-31');      -- [, horizon]
**   SELECT * FROM credit_statement(7, 2025);
**   SELECT credit_ledger_digest('141129', '2025-12-31');     -- [, horizon]
**
**   CREATE TABLE x(volunteer_id, region, minutes, unverified_minutes,
**                  earned_milli, over_cap_milli, in_milli, out_milli,
**                  donated_milli, redeemed_milli, expired_milli,
**                  balance_milli, problems, versions,
**                  scope HIDDEN, as_of HIDDEN, horizon HIDDEN);
**   CREATE TABLE x(day, kind, points_milli, balance_milli, version,
**                  ref_id, reason, person HIDDEN, year HIDDEN);
**
** credit_ledger streams: one account per row, in id order, every account
** whose region is at or under scope, its rows with day <= as_of replayed
** (credit.c) under the versions in force on each day (with a horizon:
** only versions with id <= horizon, as replay() of a settlement run).
** The digest is sha256 over the same rows, serialised as the run digests
** are (digest.h), and the id and sha256 of every version that earned.
*/
#include "credit.h"
#include "digest.h"
#include "modules.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- the ledger walk */

typedef ZcCreditWalk Walk;

static void walk_close(Walk *w) { zc_credit_walk_close(w); }

void zc_credit_walk_close(ZcCreditWalk *w) {
  sqlite3_finalize(w->acc);
  zc_credit_reader_close(w->rd);
  w->acc = NULL;
  w->rd = NULL;
}

int zc_credit_walk_start(ZcCreditWalk *w, ZcConn *zc, const char *fn, const char *scope, int as_of,
                         sqlite3_int64 horizon, char **pzErr) {
  memset(w, 0, sizeof *w);
  w->zc = zc;
  w->fn = fn;
  w->scope = scope;
  w->as_of = as_of;
  w->pick.horizon = horizon;
  int rc = sqlite3_prepare_v2(zc->db, "SELECT id, region, id_number FROM volunteer ORDER BY id", -1, &w->acc, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: cannot read table volunteer: %s", "%s：无法读取 volunteer 表：%s"), fn,
                             sqlite3_errmsg(zc->db));
    return rc;
  }
  return zc_credit_reader_open(zc, fn, -1, as_of, &w->rd, pzErr);
}

int zc_credit_walk_open(ZcCreditWalk *w, ZcConn *zc, const char *fn, int argc, sqlite3_value **argv, char **pzErr) {
  memset(w, 0, sizeof *w);
  w->zc = zc;
  w->fn = fn;
  int rc;
  if ((rc = zc_facts_sync(zc)) || (rc = zc_regions_load(zc, pzErr))) return rc;
  const ZcRegion *g = NULL;
  if (argc >= 1 && (sqlite3_value_type(argv[0]) == SQLITE_TEXT || sqlite3_value_type(argv[0]) == SQLITE_INTEGER))
    g = zc_region(zc, (const char *)sqlite3_value_text(argv[0]));
  if (argc < 2 || !g) {
    char *r = argc >= 1 ? zc_value_repr(argv[0]) : NULL;
    int st = strcmp(fn, "credit_settle") == 0;
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: region %s is not a code in table region; call %s(region, as_of "
                                       "[, %s]) with a day 'YYYY-MM-DD'",
                                   "%s：%s 不是区划表（region）里的区划代码；用法 %s(区划, 截止日期 [, %s])"),
                             fn, r ? r : "(missing)", fn, st ? "'supersede'" : zc_tr(zc, "horizon", "版本上限"));
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  w->scope = g->code;
  w->as_of = sqlite3_value_type(argv[1]) == SQLITE_TEXT
                 ? zc_day_parse((const char *)sqlite3_value_text(argv[1]), sqlite3_value_bytes(argv[1]))
                 : ZC_NONE;
  if (w->as_of == ZC_NONE) {
    char *r = zc_value_repr(argv[1]);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: as_of %s is not a day 'YYYY-MM-DD'", "%s：截止日期 %s 不是日期 'YYYY-MM-DD'"),
                             fn, r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  if (argc >= 3 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
    if (sqlite3_value_type(argv[2]) != SQLITE_INTEGER || sqlite3_value_int64(argv[2]) < 1) {
      char *r = zc_value_repr(argv[2]);
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: horizon %s is not a policy version id (an integer from 1)",
                                     "%s：版本上限 %s 不是政策版本编号（从 1 起的整数）"),
                               fn, r ? r : "?");
      sqlite3_free(r);
      return SQLITE_ERROR;
    }
    w->pick.horizon = sqlite3_value_int64(argv[2]);
  }
  return zc_credit_walk_start(w, zc, fn, w->scope, w->as_of, w->pick.horizon, pzErr);
}

static int walk_open(Walk *w, ZcConn *zc, const char *fn, int argc, sqlite3_value **argv, char **pzErr) {
  return zc_credit_walk_open(w, zc, fn, argc, argv, pzErr);
}

int zc_credit_walk_next(ZcCreditWalk *w, char **pzErr) {
  int rc;
  while ((rc = sqlite3_step(w->acc)) == SQLITE_ROW) {
    sqlite3_int64 id = sqlite3_column_int64(w->acc, 0);
    const char *code = (const char *)sqlite3_column_text(w->acc, 1);
    const ZcRegion *g = code ? zc_region(w->zc, code) : NULL;
    if (!g) {
      *pzErr = sqlite3_mprintf(zc_tr(w->zc, "%s: volunteer %lld has region %Q, which is not a code in table region",
                                     "%s：账户 %lld 的区划 %Q 不在区划表（region）中"),
                               w->fn, id, code);
      return SQLITE_ERROR;
    }
    if (!zc_region_under(w->zc, g->code, w->scope)) continue;
    const char *idn = (const char *)sqlite3_column_text(w->acc, 2);
    char sex;
    w->a.id = id;
    w->a.region = g->code;
    if (!idn || !zc_idcard_parse(idn, sqlite3_column_bytes(w->acc, 2), &w->a.birth, &sex)) w->a.birth = ZC_NONE;
    if ((rc = zc_credit_reader_events(w->rd, id, &w->ev, &w->n, pzErr))) return rc;
    return zc_credit_replay(w->zc, w->fn, &w->pick, &w->a, w->ev, w->n, w->as_of, &w->sum, NULL, pzErr);
  }
  if (rc != SQLITE_DONE) {
    *pzErr = sqlite3_mprintf("%s: %s", w->fn, sqlite3_errmsg(w->zc->db));
    return rc;
  }
  w->eof = 1;
  return SQLITE_OK;
}

static int walk_next(Walk *w, char **pzErr) { return zc_credit_walk_next(w, pzErr); }

char *zc_credit_versions_json(const CrSum *s) {
  sqlite3_str *x = sqlite3_str_new(NULL);
  int idx[16], n = s->nver;
  for (int i = 0; i < n; i++) idx[i] = i;
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && s->ver[idx[j]].vid < s->ver[idx[j - 1]].vid; j--) {
      int t = idx[j];
      idx[j] = idx[j - 1];
      idx[j - 1] = t;
    }
  sqlite3_str_appendchar(x, 1, '{');
  for (int i = 0; i < n; i++)
    sqlite3_str_appendf(x, "%s\"%lld\":%lld", i ? "," : "", s->ver[idx[i]].vid, s->ver[idx[i]].mp);
  if (s->more_versions) sqlite3_str_appendf(x, "%s\"more\":true", n ? "," : "");
  sqlite3_str_appendchar(x, 1, '}');
  return sqlite3_str_finish(x);
}

/* ------------------------------------------------------------- the vtab */

enum { LG_ID, LG_REGION, LG_MIN, LG_UNVER, LG_EARNED, LG_OVER, LG_IN, LG_OUT, LG_DON, LG_RED, LG_EXP, LG_BAL,
       LG_PROB, LG_VER, LG_NCOL };
enum { ST_DAY, ST_KIND, ST_MP, ST_BAL, ST_VER, ST_REF, ST_REASON, ST_NCOL };

typedef struct CrVtab {
  sqlite3_vtab base;
  ZcConn *zc;
  int statement;                 /* credit_statement, else credit_ledger */
} CrVtab;

typedef struct CrCursor {
  sqlite3_vtab_cursor base;
  ZcConn *zc;
  Walk w;                        /* credit_ledger */
  sqlite3_int64 row;
  StRow *rows;                   /* credit_statement */
  int n, cap, i;
} CrCursor;

static int cr_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                      char **pzErr) {
  (void)argc;
  (void)pzErr;
  int st = strcmp(argv[0], "credit_statement") == 0;
  int rc = sqlite3_declare_vtab(
      db, st ? "CREATE TABLE x(day TEXT, kind TEXT, points_milli INTEGER, balance_milli INTEGER, version INTEGER, "
               "ref_id INTEGER, reason TEXT, person HIDDEN, year HIDDEN)"
             : "CREATE TABLE x(volunteer_id INTEGER, region TEXT, minutes INTEGER, unverified_minutes INTEGER, "
               "earned_milli INTEGER, over_cap_milli INTEGER, in_milli INTEGER, out_milli INTEGER, "
               "donated_milli INTEGER, redeemed_milli INTEGER, expired_milli INTEGER, balance_milli INTEGER, "
               "problems INTEGER, versions TEXT, scope HIDDEN, as_of HIDDEN, horizon HIDDEN)");
  if (rc) return rc;
  CrVtab *p = sqlite3_malloc(sizeof *p);
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof *p);
  p->zc = pAux;
  p->statement = st;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int cr_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* idxNum: bit k = hidden argument k constrained (argv in that order); the
** first two are required (a plan without them costs 1e18, xFilter names
** what is missing). */
static int cr_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  int base = ((CrVtab *)tab)->statement ? ST_NCOL : LG_NCOL, nh = ((CrVtab *)tab)->statement ? 2 : 3;
  int at[3] = {-1, -1, -1};
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    int h = c->iColumn - base;
    if (c->op != SQLITE_INDEX_CONSTRAINT_EQ || h < 0 || h >= nh) continue;
    if (!c->usable) return SQLITE_CONSTRAINT;
    at[h] = i;
  }
  int n = 0;
  info->idxNum = 0;
  for (int h = 0; h < nh; h++)
    if (at[h] >= 0) {
      info->aConstraintUsage[at[h]].argvIndex = ++n;
      info->aConstraintUsage[at[h]].omit = 1;
      info->idxNum |= 1 << h;
    }
  info->estimatedCost = (info->idxNum & 3) == 3 ? 1e6 : 1e18;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static int cr_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  CrCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->zc = ((CrVtab *)tab)->zc;
  *pp = &c->base;
  return SQLITE_OK;
}

static void cr_reset(CrCursor *c) {
  walk_close(&c->w);
  memset(&c->w, 0, sizeof c->w);
  c->w.eof = 1;
  for (int i = 0; i < c->n; i++) sqlite3_free(c->rows[i].reason);
  sqlite3_free(c->rows);
  c->rows = NULL;
  c->n = c->cap = c->i = 0;
  c->row = 0;
}

static int cr_close(sqlite3_vtab_cursor *cur) {
  cr_reset((CrCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int cr_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  CrCursor *c = (CrCursor *)cur;
  CrVtab *vt = (CrVtab *)cur->pVtab;
  char *err = NULL;
  int rc;
  cr_reset(c);
  const char *fn = vt->statement ? "credit_statement" : "credit_ledger";
  if ((idxNum & 3) != 3) {
    return zc_vtab_errorf(cur->pVtab, zc_tr(c->zc, "%s: needs its arguments: %s", "%s：缺少参数：%s"), fn,
                          vt->statement ? "credit_statement(person, year)" : "credit_ledger(region, as_of [, horizon])");
  }
  if (vt->statement) {
    rc = zc_credit_statement_rows(c->zc, argv[0], argv[1], &c->rows, &c->n, &err);
  } else {
    rc = walk_open(&c->w, c->zc, fn, argc, argv, &err);
    if (!rc) rc = walk_next(&c->w, &err);
  }
  if (rc == SQLITE_OK) return SQLITE_OK;
  sqlite3_free(cur->pVtab->zErrMsg);
  cur->pVtab->zErrMsg = err;
  cr_reset(c);
  return rc;
}

static int cr_next(sqlite3_vtab_cursor *cur) {
  CrCursor *c = (CrCursor *)cur;
  if (((CrVtab *)cur->pVtab)->statement) {
    c->i++;
    return SQLITE_OK;
  }
  char *err = NULL;
  c->row++;
  int rc = walk_next(&c->w, &err);
  if (rc) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = err;
  }
  return rc;
}

static int cr_eof(sqlite3_vtab_cursor *cur) {
  CrCursor *c = (CrCursor *)cur;
  return ((CrVtab *)cur->pVtab)->statement ? c->i >= c->n : c->w.eof;
}

static const char *const kind_word[] = {"earned", "transfer_in", "transfer_out", "donated", "redeemed", "",
                                        "expired", "over_cap", "unverified", "opening"};

static int cr_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  CrCursor *c = (CrCursor *)cur;
  if (((CrVtab *)cur->pVtab)->statement) {
    const StRow *r = &c->rows[c->i];
    char d[11];
    switch (col) {
      case ST_DAY: zc_day_format(r->day, d); sqlite3_result_text(ctx, d, 10, SQLITE_TRANSIENT); break;
      case ST_KIND: sqlite3_result_text(ctx, kind_word[r->kind], -1, SQLITE_STATIC); break;
      case ST_MP: sqlite3_result_int64(ctx, r->mp); break;
      case ST_BAL: sqlite3_result_int64(ctx, r->balance); break;
      case ST_VER: if (r->version) sqlite3_result_int64(ctx, r->version); break;
      case ST_REF: if (r->ref) sqlite3_result_int64(ctx, r->ref); break;
      case ST_REASON: sqlite3_result_text(ctx, r->reason, -1, SQLITE_TRANSIENT); break;
      default: break;
    }
    return SQLITE_OK;
  }
  const CrSum *s = &c->w.sum;
  sqlite3_int64 v[] = {c->w.a.id, 0, s->minutes, s->unverified, s->earned, s->over_cap, s->tin, s->tout,
                       s->donated, s->redeemed, s->expired, s->balance, s->problems};
  if (col == LG_REGION) sqlite3_result_text(ctx, c->w.a.region, -1, SQLITE_TRANSIENT);
  else if (col == LG_VER) {
    char *j = zc_credit_versions_json(s);
    if (!j) return SQLITE_NOMEM;
    sqlite3_result_text(ctx, j, -1, sqlite3_free);
  } else if (col < LG_VER) sqlite3_result_int64(ctx, v[col]);
  return SQLITE_OK;
}

static int cr_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  CrCursor *c = (CrCursor *)cur;
  *pRowid = ((CrVtab *)cur->pVtab)->statement ? c->i + 1 : c->row + 1;
  return SQLITE_OK;
}

static sqlite3_module credit_module = {
    0,          NULL,    cr_connect, cr_best_index, cr_disconnect, NULL, cr_open, cr_close,
    cr_filter,  cr_next, cr_eof,     cr_column,     cr_rowid,      NULL, NULL,    NULL,
    NULL,       NULL,    NULL,       NULL,          NULL,          NULL, NULL,    NULL};

/* ------------------------------------------------------------ the digest */

/* The id and sha256 of each version in vers, in id order. */
static int digest_versions(ZcConn *zc, ZcMap *vers, ZcBuf *b, char **pzErr) {
  sqlite3_int64 *ids = sqlite3_malloc64((vers->n + 1) * sizeof *ids);
  if (!ids) return SQLITE_NOMEM;
  size_t n = 0;
  for (size_t i = 0; i < vers->cap; i++)
    if (vers->keys[i] != INT64_MIN) ids[n++] = vers->keys[i];
  qsort(ids, n, sizeof *ids, zc_i64_cmp);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db, "SELECT sha256 FROM zhucan_policy WHERE id = ?1", -1, &st, NULL);
  for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
    sqlite3_bind_int64(st, 1, ids[i]);
    ser_i64(b, ids[i]);
    rc = sqlite3_step(st);
    ser_str(b, rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    sqlite3_reset(st);
  }
  if (rc) *pzErr = sqlite3_mprintf("credit_ledger_digest: reading zhucan_policy: %s", sqlite3_errmsg(zc->db));
  sqlite3_finalize(st);
  sqlite3_free(ids);
  return rc;
}

/* The digest of a ledger: sha256 (hex) of "zhucan credit 1", the walk's
** arguments, every ledger row, then the id and sha256 of every version that
** earned points, in id order.  credit_ledger_digest and credit_settle
** (credit_run.c) feed it the same rows. */
void zc_credit_digest_init(ZcCreditDigest *d, const ZcCreditWalk *w) {
  memset(d, 0, sizeof *d);
  sha256_init(&d->h);
  zc_map_init(&d->vers);
  zc_buf_str(&d->b, "zhucan credit 1");
  ser_u64(&d->b, 0);
  ser_str(&d->b, w->scope);
  ser_i64(&d->b, w->as_of);
  ser_i64(&d->b, w->pick.horizon);
}

int zc_credit_digest_row(ZcCreditDigest *d, const ZcCreditWalk *w) {
  const CrSum *s = &w->sum;
  ZcBuf *b = &d->b;
  sqlite3_int64 v[] = {w->a.id, s->minutes, s->unverified, s->earned, s->over_cap, s->tin, s->tout,
                       s->donated, s->redeemed, s->expired, s->balance, s->problems, s->nver};
  ser_str(b, w->a.region);
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) ser_i64(b, v[i]);
  for (int i = 0; i < s->nver; i++) {
    ser_i64(b, s->ver[i].vid);
    ser_i64(b, s->ver[i].mp);
    if (!zc_map_slot(&d->vers, s->ver[i].vid, 1, NULL)) return SQLITE_NOMEM;
  }
  if (b->n > 65536) {
    sha256_update(&d->h, b->n, (const uint8_t *)b->z);
    b->n = 0;
  }
  return SQLITE_OK;
}

int zc_credit_digest_end(ZcCreditDigest *d, ZcConn *zc, char hex[65], char **pzErr) {
  int rc = digest_versions(zc, &d->vers, &d->b, pzErr);
  if (!rc && d->b.oom) rc = SQLITE_NOMEM;
  if (rc) return rc;
  sha256_update(&d->h, d->b.n, (const uint8_t *)d->b.z);
  d->b.n = 0;
  uint8_t dg[SHA256_DIGEST_SIZE];
  sha256_digest(&d->h, SHA256_DIGEST_SIZE, dg);
  hex32(dg, hex);
  return SQLITE_OK;
}

void zc_credit_digest_free(ZcCreditDigest *d) {
  zc_buf_free(&d->b);
  zc_map_clear(&d->vers);
}

/* credit_ledger_digest(region, as_of [, horizon]) */
static void digest_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  Walk w;
  char *err = NULL;
  ZcCreditDigest d;
  char hex[65];
  memset(&d, 0, sizeof d);
  int rc = walk_open(&w, zc, "credit_ledger_digest", argc, argv, &err);
  if (!rc) zc_credit_digest_init(&d, &w);
  while (!rc && !(rc = walk_next(&w, &err)) && !w.eof) rc = zc_credit_digest_row(&d, &w);
  walk_close(&w);
  if (!rc) rc = zc_credit_digest_end(&d, zc, hex, &err);
  zc_credit_digest_free(&d);
  if (rc) {
    if (zc_lost_to_nomem(sqlite3_context_db_handle(ctx), rc, err) || rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
    else sqlite3_result_error(ctx, err ? err : sqlite3_errstr(rc), -1);
    sqlite3_free(err);
    return;
  }
  sqlite3_result_text(ctx, hex, 64, SQLITE_TRANSIENT);
}

int zc_credit_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  static const ZcFunc aFunc[] = {
      {"credit_ledger_digest", 2, SQLITE_UTF8, digest_func},
      {"credit_ledger_digest", 3, SQLITE_UTF8, digest_func},
  };
  int rc = zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
  if (!rc) rc = sqlite3_create_module(db, "credit_ledger", &credit_module, zc);
  if (!rc) rc = sqlite3_create_module(db, "credit_statement", &credit_module, zc);
  return rc;
}
