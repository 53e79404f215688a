/*
** credit_verify.c — a stored ledger snapshot checked (docs/credit.md,
** docs/ref/credit_verify.md):
**
**   SELECT * FROM credit_verify(3);     -- no rows: intact and unchanged
**
**   CREATE TABLE x(run_id INTEGER, volunteer_id INTEGER, what TEXT,
**                  expected TEXT, found TEXT, cause TEXT, run HIDDEN);
**
** (a) From the stored rows alone, as run_verify() checks a run: the guard
**     triggers are there; the rows digest of zhucan_credit_balance's rows
**     of the snapshot, read back and hashed as credit_settle hashed them
**     (credit_run.h); accounts and balance_milli recounted; the chain of
**     every snapshot up to this one recomputed from the one before.
** (b) The ledger recomputed from today's data as of the snapshot's as_of
**     (the same walk, credit_sql.c), merged with the stored rows by
**     account: per account and differing column, the stored and the
**     recomputed value and why, as replay() names causes — rows dated on or
**     before as_of added after the snapshot (their ids are above the
**     snapshot's last_ids), removed or changed (the counts and the
**     fingerprint of the account's rows), a policy version installed later
**     (the account replayed again with the snapshot's horizon gives the
**     stored row), the account's own row changed.  An account opened later
**     with nothing on or before as_of is no difference.
*/
#include "credit_run.h"
#include "modules.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct CvRow {
  sqlite3_int64 run, vol;        /* vol 0: NULL */
  char *what, *expected, *found, *cause;
} CvRow;

typedef struct Cv {
  ZcConn *zc;
  CvRow *a;
  size_t n, cap;
  sqlite3_int64 run;
  sqlite3_int64 last[3];         /* last_ids: hours, redemption, transfer */
  sqlite3_int64 horizon;
  int tampered;                  /* (a) found the stored rows changed */
} Cv;

static int cv_add(Cv *v, sqlite3_int64 run, sqlite3_int64 vol, const char *what, const char *expected,
                  const char *found, const char *cause) {
  if (v->n == v->cap) {
    size_t ncap = v->cap ? v->cap * 2 : 16;
    CvRow *na = sqlite3_realloc64(v->a, ncap * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    v->a = na;
    v->cap = ncap;
  }
  CvRow *x = &v->a[v->n++];
  x->run = run;
  x->vol = vol;
  x->what = sqlite3_mprintf("%s", what);
  x->expected = sqlite3_mprintf("%s", expected ? expected : "");
  x->found = sqlite3_mprintf("%s", found ? found : "");
  x->cause = sqlite3_mprintf("%s", cause ? cause : "");
  return x->what && x->expected && x->found && x->cause ? SQLITE_OK : SQLITE_NOMEM;
}

static void cv_clear(Cv *v) {
  for (size_t i = 0; i < v->n; i++) {
    sqlite3_free(v->a[i].what);
    sqlite3_free(v->a[i].expected);
    sqlite3_free(v->a[i].found);
    sqlite3_free(v->a[i].cause);
  }
  sqlite3_free(v->a);
  v->a = NULL;
  v->n = v->cap = 0;
}

/* ------------------------------------------------------ (a) stored rows */

static int cv_triggers(Cv *v) {
  int rc = SQLITE_OK;
  for (int i = 0; zc_credit_run_triggers[i] && rc == SQLITE_OK; i++)
    if (!zc_table_exists(v->zc->db, zc_credit_run_triggers[i]))
      rc = cv_add(v, 0, 0, zc_tr(v->zc, "missing trigger", "缺少触发器"), zc_credit_run_triggers[i],
                  zc_tr(v->zc, "none", "没有"),
                  zc_tr(v->zc, "dropped: writes to the snapshots are not refused",
                        "已被删除：对积分快照的改写不再被拒绝"));
  return rc;
}

/* The snapshot's stored rows hashed and recounted against its header. */
static int cv_rows(Cv *v, sqlite3_stmt *head) {
  ZcRowHash h;
  memset(&h, 0, sizeof h);
  zc_credit_rows_init(&h, v->run);
  sqlite3_stmt *st = NULL;
  sqlite3_int64 accounts = 0, balance = 0;
  int rc = sqlite3_prepare_v2(v->zc->db, "SELECT " ZC_CB_COLS " FROM zhucan_credit_balance WHERE run_id = ?1 "
                              "ORDER BY volunteer_id", -1, &st, NULL);
  if (rc == SQLITE_OK) sqlite3_bind_int64(st, 1, v->run);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    for (int i = 0; i < ZC_CB_NCOL; i++) zc_rh_column(&h, st, i);
    zc_rh_row(&h);
    accounts++;
    balance += sqlite3_column_int64(st, 11);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  char rows[65], e[24], f[24];
  if (rc == SQLITE_OK) rc = zc_rh_end(&h, rows);
  zc_rh_free(&h);
  if (rc) return rc;
  const char *why = zc_tr(v->zc, "the stored rows were changed after credit_settle (the guard triggers bypassed)",
                          "保存后快照的行被改动过（绕过了保护触发器）");
  const char *stored = (const char *)sqlite3_column_text(head, 10);
  v->tampered = strcmp(stored ? stored : "", rows) != 0;
  if (v->tampered && (rc = cv_add(v, v->run, 0, "rows_digest", stored, rows, why))) return rc;
  if (sqlite3_column_int64(head, 6) != accounts) {
    snprintf(e, sizeof e, "%lld", (long long)sqlite3_column_int64(head, 6));
    snprintf(f, sizeof f, "%lld", (long long)accounts);
    if ((rc = cv_add(v, v->run, 0, "accounts", e, f, why))) return rc;
  }
  if (sqlite3_column_int64(head, 7) != balance) {
    snprintf(e, sizeof e, "%lld", (long long)sqlite3_column_int64(head, 7));
    snprintf(f, sizeof f, "%lld", (long long)balance);
    if ((rc = cv_add(v, v->run, 0, "balance_milli", e, f, why))) return rc;
  }
  return SQLITE_OK;
}

/* Every link up to the snapshot, each from the one before as stored. */
static int cv_chain(Cv *v) {
  sqlite3_stmt *st = NULL;
  char prev[65], link[65];
  memset(prev, '0', 64);
  prev[64] = 0;
  int rc = sqlite3_prepare_v2(v->zc->db, "SELECT " ZC_CREDIT_HEAD_COLS ", chain FROM zhucan_credit_run "
                              "WHERE id <= ?1 ORDER BY id", -1, &st, NULL);
  if (rc == SQLITE_OK) sqlite3_bind_int64(st, 1, v->run);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    ZcCreditHead h;
    zc_credit_head(&h, st);
    if ((rc = zc_credit_chain(prev, &h, link))) break;
    const char *stored = (const char *)sqlite3_column_text(st, 12);
    if (strcmp(link, stored ? stored : "") &&
        (rc = cv_add(v, h.id, 0, "chain", stored, link,
                     zc_tr(v->zc, "the snapshot's header, or the one before it, was changed after it was stored",
                           "快照的表头（或前一个快照的表头）在保存后被改动过"))))
      break;
    snprintf(prev, sizeof prev, "%s", stored ? stored : "");
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ----------------------------------------------- (b) the ledger again */

/* Why account w->a differs from the stored row st (a ZC_CB_COLS row). */
static int cv_cause(Cv *v, ZcCreditWalk *w, sqlite3_stmt *st, const sqlite3_int64 now[], const char *vj,
                    ZcBuf *why, char **pzErr) {
  ZcConn *zc = v->zc;
  ZcCreditInputs in;
  zc_credit_inputs(w, &in);
  static const char *const table[3] = {"credit_hours", "credit_redemption", "credit_transfer"};
  sqlite3_int64 had[3] = {sqlite3_column_int64(st, 14), sqlite3_column_int64(st, 15), sqlite3_column_int64(st, 16)};
  sqlite3_int64 has[3] = {in.hours, in.redemptions, in.transfers}, added[3] = {0, 0, 0};
  char t[200], d[11];
  for (int i = 0; i < w->n; i++) {
    const CrEv *e = &w->ev[i];
    int k = e->kind == CR_EARN ? 0 : e->kind == CR_REDEEM ? 1 : 2;
    if (e->id <= v->last[k]) continue;
    added[k]++;
    zc_day_format(e->day, d);
    snprintf(t, sizeof t, zc_tr(zc, "%s%s %lld dated %s added after the snapshot", "%s快照之后新增了 %s %lld（日期 %s）"),
             why->n ? zc_tr(zc, "; ", "；") : "", table[k], (long long)e->id, d);
    zc_buf_str(why, t);
  }
  int data = 0;
  for (int k = 0; k < 3; k++) {
    if (added[k]) data = 1;
    sqlite3_int64 gone = had[k] - (has[k] - added[k]);
    if (gone <= 0) continue;
    data = 1;
    snprintf(t, sizeof t, zc_tr(zc, "%s%lld row(s) of %s dated on or before the day removed after the snapshot",
                                "%s快照之后删除了 %lld 行日期不晚于截止日期的 %s"),
             why->n ? zc_tr(zc, "; ", "；") : "", (long long)gone, table[k]);
    zc_buf_str(why, t);
  }
  const char *fp = (const char *)sqlite3_column_text(st, 17);
  if (!data && strcmp(fp ? fp : "", in.fp)) {
    data = 1;
    snprintf(t, sizeof t, zc_tr(zc, "%sa row of credit_hours, credit_redemption or credit_transfer dated on or before "
                                    "the day changed after the snapshot",
                                "%s快照之后改动了某一行日期不晚于截止日期的 credit_hours、credit_redemption 或 credit_transfer"),
             why->n ? zc_tr(zc, "; ", "；") : "");
    zc_buf_str(why, t);
  }
  /* the same rows under the versions installed then */
  CrSum then;
  ZcPolicyPick pick = w->pick;
  pick.horizon = v->horizon;
  int rc = zc_credit_replay(zc, "credit_verify", &pick, &w->a, w->ev, w->n, w->as_of, &then, NULL, pzErr);
  if (rc) return rc;
  sqlite3_int64 th[] = {then.minutes, then.unverified, then.earned, then.over_cap, then.tin, then.tout,
                        then.donated, then.redeemed, then.expired, then.balance, then.problems};
  char *tj = zc_credit_versions_json(&then);
  if (!tj) return SQLITE_NOMEM;
  int policy = memcmp(th, now + ZC_CB_FIRST_INT, sizeof th) != 0 || strcmp(tj, vj) != 0;
  sqlite3_free(tj);
  if (policy) {
    sqlite3_stmt *p = NULL;
    if ((rc = sqlite3_prepare_v2(zc->db, "SELECT id, name, effective_from FROM zhucan_policy WHERE id > ?1 "
                                 "ORDER BY id", -1, &p, NULL)))
      return rc;
    sqlite3_bind_int64(p, 1, v->horizon);
    while (sqlite3_step(p) == SQLITE_ROW) {
      snprintf(t, sizeof t, zc_tr(zc, "%spolicy version %lld (%s@%s) installed after the snapshot",
                                  "%s快照之后安装了政策版本 %lld（%s@%s）"),
               why->n ? zc_tr(zc, "; ", "；") : "", (long long)sqlite3_column_int64(p, 0),
               (const char *)sqlite3_column_text(p, 1), (const char *)sqlite3_column_text(p, 2));
      zc_buf_str(why, t);
    }
    sqlite3_finalize(p);
  }
  int kept = 1;   /* the same rows under the versions of then give the stored numbers */
  for (int i = ZC_CB_FIRST_INT; i <= ZC_CB_LAST_INT; i++) kept &= sqlite3_column_int64(st, i) == th[i - ZC_CB_FIRST_INT];
  const char *reg = (const char *)sqlite3_column_text(st, 1);
  if (!data && (!kept || strcmp(reg ? reg : "", w->a.region))) {
    if (why->n) zc_buf_str(why, zc_tr(zc, "; ", "；"));
    zc_buf_str(why, v->tampered ? zc_tr(zc, "the stored row was changed after credit_settle (see rows_digest)",
                                        "保存后快照中这一行被改动过（见 rows_digest）")
                    : strcmp(reg ? reg : "", w->a.region)
                        ? zc_tr(zc, "the account's region changed (table volunteer)", "账户的区划改了（volunteer 表）")
                        : zc_tr(zc, "the account's row in volunteer changed (its ID number gives the ages)",
                                "账户在 volunteer 表中的行改了（身份证号决定年龄）"));
  }
  return why->oom ? SQLITE_NOMEM : SQLITE_OK;
}

/* One account in both: its differing columns, each with the causes. */
static int cv_compare(Cv *v, ZcCreditWalk *w, sqlite3_stmt *st, char **pzErr) {
  const CrSum *s = &w->sum;
  sqlite3_int64 now[] = {w->a.id, 0, s->minutes, s->unverified, s->earned, s->over_cap, s->tin, s->tout,
                         s->donated, s->redeemed, s->expired, s->balance, s->problems};
  char *vj = zc_credit_versions_json(s);
  if (!vj) return SQLITE_NOMEM;
  int differs = 0;
  const char *reg = (const char *)sqlite3_column_text(st, 1), *ver = (const char *)sqlite3_column_text(st, 13);
  for (int i = ZC_CB_FIRST_INT; i <= ZC_CB_LAST_INT; i++) differs |= sqlite3_column_int64(st, i) != now[i];
  differs |= strcmp(reg ? reg : "", w->a.region) != 0 || strcmp(ver ? ver : "", vj) != 0;
  int rc = SQLITE_OK;
  ZcBuf why;
  memset(&why, 0, sizeof why);
  if (differs) rc = cv_cause(v, w, st, now, vj, &why, pzErr);
  for (int i = 1; differs && rc == SQLITE_OK && i <= 13; i++) {
    char e[24], f[24];
    const char *ez = e, *fz = f;
    if (i == 1 || i == 13) {
      ez = i == 1 ? reg : ver;
      fz = i == 1 ? w->a.region : vj;
      if (strcmp(ez ? ez : "", fz) == 0) continue;
    } else {
      if (sqlite3_column_int64(st, i) == now[i]) continue;
      snprintf(e, sizeof e, "%lld", (long long)sqlite3_column_int64(st, i));
      snprintf(f, sizeof f, "%lld", (long long)now[i]);
    }
    rc = cv_add(v, v->run, w->a.id, zc_cb_col[i], ez, fz, why.z);
  }
  zc_buf_free(&why);
  sqlite3_free(vj);
  return rc;
}

/* An account in one side only. */
static int cv_only(Cv *v, sqlite3_int64 id, int stored, const ZcCreditWalk *w) {
  ZcConn *zc = v->zc;
  if (!stored && w->n == 0) return SQLITE_OK;   /* opened later, nothing on or before as_of */
  return cv_add(v, v->run, id, zc_tr(zc, "account", "账户"),
                stored ? zc_tr(zc, "in the snapshot", "在快照中") : zc_tr(zc, "not in the snapshot", "不在快照中"),
                stored ? zc_tr(zc, "not in the ledger now", "现在不在积分账中")
                       : zc_tr(zc, "in the ledger now", "现在在积分账中"),
                stored ? zc_tr(zc, "the account was deleted from volunteer or moved out of the region after the snapshot",
                               "快照之后该账户从 volunteer 表删除，或迁出了这个区划")
                       : zc_tr(zc, "the account (with rows dated on or before the day) was added to volunteer or moved "
                                   "into the region after the snapshot",
                               "快照之后新增了这个账户（有日期不晚于截止日期的记录），或它迁入了这个区划"));
}

static int cv_ledger(Cv *v, sqlite3_stmt *head, char **pzErr) {
  ZcConn *zc = v->zc;
  ZcCreditWalk w;
  sqlite3_stmt *st = NULL;
  int rc, as_of = zc_day_parse((const char *)sqlite3_column_text(head, 2), -1);
  const ZcRegion *g = zc_region(zc, (const char *)sqlite3_column_text(head, 1));
  if (!g || as_of == ZC_NONE) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_verify: snapshot %lld's region or as_of is no longer valid",
                                   "credit_verify：快照 %lld 的区划或截止日期已经无效"), (long long)v->run);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if ((rc = zc_credit_walk_start(&w, zc, "credit_verify", g->code, as_of, 0, pzErr))) {
    zc_credit_walk_close(&w);
    return rc;
  }
  rc = sqlite3_prepare_v2(zc->db, "SELECT " ZC_CB_COLS " FROM zhucan_credit_balance WHERE run_id = ?1 "
                          "ORDER BY volunteer_id", -1, &st, NULL);
  if (rc == SQLITE_OK) sqlite3_bind_int64(st, 1, v->run);
  int srow = rc == SQLITE_OK ? sqlite3_step(st) : rc;
  if (rc == SQLITE_OK) rc = zc_credit_walk_next(&w, pzErr);
  while (rc == SQLITE_OK && (srow == SQLITE_ROW || !w.eof)) {
    sqlite3_int64 sid = srow == SQLITE_ROW ? sqlite3_column_int64(st, 0) : INT64_MAX;
    sqlite3_int64 wid = w.eof ? INT64_MAX : w.a.id;
    if (sid == wid) rc = cv_compare(v, &w, st, pzErr);
    else rc = cv_only(v, sid < wid ? sid : wid, sid < wid, &w);
    if (rc) break;
    if (sid <= wid) srow = sqlite3_step(st);
    if (wid <= sid) rc = zc_credit_walk_next(&w, pzErr);
  }
  if (rc == SQLITE_OK && srow != SQLITE_DONE) rc = srow;
  sqlite3_finalize(st);
  zc_credit_walk_close(&w);
  return rc;
}

/* The whole check of snapshot run. */
static int cv_run(Cv *v, char **pzErr) {
  ZcConn *zc = v->zc;
  sqlite3_stmt *head = NULL;
  int rc;
  if ((rc = zc_facts_sync(zc)) || (rc = zc_regions_load(zc, pzErr))) return rc;
  if (!zc_table_exists(zc->db, "zhucan_credit_run") ||
      sqlite3_prepare_v2(zc->db, "SELECT " ZC_CREDIT_HEAD_COLS ", chain, json_extract(last_ids, '$.credit_hours'), "
                         "json_extract(last_ids, '$.credit_redemption'), json_extract(last_ids, "
                         "'$.credit_transfer') FROM zhucan_credit_run WHERE id = ?1", -1, &head, NULL) != SQLITE_OK ||
      (sqlite3_bind_int64(head, 1, v->run), sqlite3_step(head)) != SQLITE_ROW) {
    sqlite3_finalize(head);
    if (sqlite3_errcode(zc->db) == SQLITE_NOMEM) return SQLITE_NOMEM;
    *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_verify: snapshot %lld is not in zhucan_credit_run (credit_settle "
                                       "stores snapshots)",
                                   "credit_verify：快照 %lld 不在 zhucan_credit_run 中（快照由 credit_settle 保存）"),
                             (long long)v->run);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  v->horizon = sqlite3_column_int64(head, 5);
  for (int k = 0; k < 3; k++) v->last[k] = sqlite3_column_int64(head, 13 + k);
  if (!(rc = cv_triggers(v)) && !(rc = cv_rows(v, head)) && !(rc = cv_chain(v))) rc = cv_ledger(v, head, pzErr);
  sqlite3_finalize(head);
  return rc;
}

/* ------------------------------------------------------------- the vtab */

typedef struct CvVtab {
  sqlite3_vtab base;
  ZcConn *zc;
} CvVtab;

typedef struct CvCursor {
  sqlite3_vtab_cursor base;
  Cv v;
  size_t i;
} CvCursor;

static int cv_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                      char **pzErr) {
  (void)argc, (void)argv, (void)pzErr;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(run_id INTEGER, volunteer_id INTEGER, what TEXT, expected TEXT, "
                                    "found TEXT, cause TEXT, run HIDDEN)");
  if (rc) return rc;
  CvVtab *t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->zc = pAux;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &t->base;
  return SQLITE_OK;
}

static int cv_disconnect(sqlite3_vtab *t) {
  sqlite3_free(t);
  return SQLITE_OK;
}

static int cv_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  (void)tab;
  info->idxNum = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    if (info->aConstraint[i].iColumn != 6 || info->aConstraint[i].op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!info->aConstraint[i].usable) return SQLITE_CONSTRAINT;
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 1;
    info->idxNum = 1;
  }
  info->estimatedCost = info->idxNum ? 1e5 : 1e18;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

static int cv_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  CvCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->v.zc = ((CvVtab *)tab)->zc;
  *pp = &c->base;
  return SQLITE_OK;
}

static int cv_close(sqlite3_vtab_cursor *cur) {
  cv_clear(&((CvCursor *)cur)->v);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int cv_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  CvCursor *c = (CvCursor *)cur;
  ZcConn *zc = c->v.zc;
  char *err = NULL;
  cv_clear(&c->v);
  c->i = 0;
  if (idxNum != 1 || argc != 1 || sqlite3_value_type(argv[0]) != SQLITE_INTEGER || sqlite3_value_int64(argv[0]) < 1) {
    char *r = idxNum == 1 && argc == 1 ? zc_value_repr(argv[0]) : NULL;
    int n = zc_vtab_errorf(cur->pVtab, zc_tr(zc, "credit_verify: snapshot %s is not a snapshot id (an integer from "
                                                 "zhucan_credit_run.id); call credit_verify(id)",
                                             "credit_verify：%s 不是积分快照号（zhucan_credit_run.id 里的整数）；"
                                             "用法 credit_verify(快照号)"),
                           r ? r : "(missing)");
    sqlite3_free(r);
    return n;
  }
  c->v.run = sqlite3_value_int64(argv[0]);
  int rc = cv_run(&c->v, &err);
  if (rc == SQLITE_OK) return SQLITE_OK;
  cv_clear(&c->v);
  if (rc == SQLITE_NOMEM || zc_lost_to_nomem(zc->db, rc, err)) {
    sqlite3_free(err);
    return SQLITE_NOMEM;
  }
  sqlite3_free(cur->pVtab->zErrMsg);
  cur->pVtab->zErrMsg = err && strncmp(err, "credit_", 7) == 0 ? err : sqlite3_mprintf(
      zc_tr(zc, "credit_verify: %s", "credit_verify：%s"), err ? err : sqlite3_errmsg(zc->db));
  if (cur->pVtab->zErrMsg != err) sqlite3_free(err);
  return cur->pVtab->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int cv_next(sqlite3_vtab_cursor *cur) {
  ((CvCursor *)cur)->i++;
  return SQLITE_OK;
}

static int cv_eof(sqlite3_vtab_cursor *cur) {
  CvCursor *c = (CvCursor *)cur;
  return c->i >= c->v.n;
}

static int cv_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  CvCursor *c = (CvCursor *)cur;
  const CvRow *x = &c->v.a[c->i];
  switch (col) {
    case 0: if (x->run > 0) sqlite3_result_int64(ctx, x->run); break;
    case 1: if (x->vol > 0) sqlite3_result_int64(ctx, x->vol); break;
    case 2: sqlite3_result_text(ctx, x->what, -1, SQLITE_TRANSIENT); break;
    case 3: sqlite3_result_text(ctx, x->expected, -1, SQLITE_TRANSIENT); break;
    case 4: sqlite3_result_text(ctx, x->found, -1, SQLITE_TRANSIENT); break;
    case 5: sqlite3_result_text(ctx, x->cause, -1, SQLITE_TRANSIENT); break;
    default: break;
  }
  return SQLITE_OK;
}

static int cv_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = (sqlite3_int64)((CvCursor *)cur)->i + 1;
  return SQLITE_OK;
}

static sqlite3_module cv_module = {
    0,         NULL,    cv_connect, cv_best_index, cv_disconnect, NULL, cv_open, cv_close,
    cv_filter, cv_next, cv_eof,     cv_column,     cv_rowid,      NULL, NULL,    NULL,
    NULL,      NULL,    NULL,       NULL,          NULL,          NULL, NULL,    NULL};

int zc_credit_verify_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return sqlite3_create_module(db, "credit_verify", &cv_module, zc);
}
