/*
** credit_run.c — ledger snapshots stored under the runs' discipline
** (credit_run.h, docs/credit.md, docs/auditing.md):
**
**   SELECT credit_settle('371082', '2025-03-31');               -- 1: the new snapshot id
**   SELECT credit_settle('371082', '2025-03-31', 'supersede');  -- 2; snapshot 1 superseded_by = 2
**
** credit_settle(region, as_of [, 'supersede']) walks credit_ledger(region,
** as_of) on the one credit path (credit_sql.c's walk over credit.c) and
** stores it, all or nothing (zc_unit_*), in:
**
**   zhucan_credit_run      one row per snapshot: region, as_of, created_at,
**                          the policy versions that earned (JSON), the
**                          policy horizon (highest version id installed),
**                          accounts, the sum of balances, last_ids (the
**                          highest id of credit_hours, credit_redemption and
**                          credit_transfer then, JSON), ledger_digest (what
**                          credit_ledger_digest(region, as_of) answered),
**                          rows_digest, supersedes, chain, superseded_by.
**   zhucan_credit_balance  one row per account: every column of
**                          credit_ledger, then what it was computed from
**                          (rows of each table, a fingerprint: inputs).
**
** As settle(): as_of must have ended (before today in China, ZHUCAN_TODAY
** in tests), and one snapshot per region and as_of is current: a second
** is refused unless 'supersede', which marks the first superseded.  Guard
** triggers refuse INSERT and UPDATE unless zhucan_run_guard() says
** credit_settle is writing, and DELETE always.  credit_verify
** (credit_verify.c) recomputes the digests and the ledger.
*/
#include "credit_run.h"
#include "modules.h"
#include "precond.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CR_ERR_IMMUTABLE                                                                                    \
  "credit snapshots are immutable and only credit_settle() writes them: store a new one with "            \
  "credit_settle(region, as_of, ''supersede'')"
#define CR_REFUSE(t) "  BEGIN SELECT RAISE(ABORT, '" t ": " CR_ERR_IMMUTABLE "'); END;\n"
#define CR_GUARDED(t, op) \
  "CREATE TRIGGER IF NOT EXISTS " t "_guard_" op " BEFORE " op " ON " t " WHEN zhucan_run_guard() IS NOT 1\n" CR_REFUSE(t)
#define CR_ALWAYS(t, op) "CREATE TRIGGER IF NOT EXISTS " t "_guard_" op " BEFORE " op " ON " t "\n" CR_REFUSE(t)

#define CR_RUN_TABLE                                                                                     \
  "CREATE TABLE IF NOT EXISTS zhucan_credit_run(\n"                                                      \
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, as_of TEXT NOT NULL, created_at TEXT NOT NULL,\n"    \
  "  policy_versions TEXT NOT NULL, policy_horizon INTEGER NOT NULL, accounts INTEGER NOT NULL,\n"       \
  "  balance_milli INTEGER NOT NULL, last_ids TEXT NOT NULL, ledger_digest TEXT NOT NULL,\n"            \
  "  rows_digest TEXT NOT NULL, supersedes INTEGER, chain TEXT NOT NULL, superseded_by INTEGER);\n"

static const char *zSchema =
    CR_RUN_TABLE
    "CREATE INDEX IF NOT EXISTS zhucan_credit_run_day ON zhucan_credit_run(region, as_of);\n"
    "CREATE TABLE IF NOT EXISTS zhucan_credit_balance(\n"
    "  run_id INTEGER NOT NULL, volunteer_id INTEGER NOT NULL, region TEXT NOT NULL,\n"
    "  minutes INTEGER NOT NULL, unverified_minutes INTEGER NOT NULL, earned_milli INTEGER NOT NULL,\n"
    "  over_cap_milli INTEGER NOT NULL, in_milli INTEGER NOT NULL, out_milli INTEGER NOT NULL,\n"
    "  donated_milli INTEGER NOT NULL, redeemed_milli INTEGER NOT NULL, expired_milli INTEGER NOT NULL,\n"
    "  balance_milli INTEGER NOT NULL, problems INTEGER NOT NULL, versions TEXT NOT NULL,\n"
    "  hours_rows INTEGER NOT NULL, redemption_rows INTEGER NOT NULL, transfer_rows INTEGER NOT NULL,\n"
    "  inputs TEXT NOT NULL,\n"
    "  PRIMARY KEY(run_id, volunteer_id)) WITHOUT ROWID;\n"
    CR_GUARDED("zhucan_credit_run", "insert") CR_GUARDED("zhucan_credit_run", "update")
    CR_ALWAYS("zhucan_credit_run", "delete")
    CR_GUARDED("zhucan_credit_balance", "insert") CR_ALWAYS("zhucan_credit_balance", "update")
    CR_ALWAYS("zhucan_credit_balance", "delete");

const char *const zc_credit_run_triggers[] = {
    "zhucan_credit_run_guard_insert",     "zhucan_credit_run_guard_update",     "zhucan_credit_run_guard_delete",
    "zhucan_credit_balance_guard_insert", "zhucan_credit_balance_guard_update", "zhucan_credit_balance_guard_delete",
    NULL};

const char *const zc_cb_col[ZC_CB_NCOL] = {
    "volunteer_id", "region",         "minutes",        "unverified_minutes", "earned_milli",
    "over_cap_milli", "in_milli",     "out_milli",      "donated_milli",      "redeemed_milli",
    "expired_milli", "balance_milli", "problems",       "versions",           "hours_rows",
    "redemption_rows", "transfer_rows", "inputs"};

int zc_credit_run_schema(ZcConn *zc, char **pzErr) {
  sqlite3 *db = zc->db;
  char *e = NULL;
  /* the write lock before anything is read (zc_run_lock explains why) */
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "DELETE FROM main.zhucan_credit_run WHERE 0", -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
  sqlite3_finalize(st);
  if (rc == SQLITE_OK && zc_table_exists(db, "zhucan_credit_balance_guard_delete")) return SQLITE_OK;
  if (rc == SQLITE_NOMEM) return rc;
  rc = sqlite3_exec(db, zSchema, NULL, NULL, &e);
  if (rc && !*pzErr) *pzErr = sqlite3_mprintf("credit_settle: %s", e ? e : sqlite3_errstr(rc));
  sqlite3_free(e);
  return rc;
}

/* ------------------------------------------------------------- digests */

void zc_credit_rows_init(ZcRowHash *h, sqlite3_int64 run) {
  sha256_init(&h->c);
  h->b.n = 0;
  ser_str(&h->b, "zhucan_credit_balance");
  ser_i64(&h->b, run);
}

static const char *ctext(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

void zc_credit_head(ZcCreditHead *h, sqlite3_stmt *st) {
  h->id = sqlite3_column_int64(st, 0);
  h->region = ctext(st, 1);
  h->as_of = ctext(st, 2);
  h->created_at = ctext(st, 3);
  h->versions = ctext(st, 4);
  h->horizon = sqlite3_column_int64(st, 5);
  h->accounts = sqlite3_column_int64(st, 6);
  h->balance = sqlite3_column_int64(st, 7);
  h->last_ids = ctext(st, 8);
  h->ledger = ctext(st, 9);
  h->rows = ctext(st, 10);
  h->supersedes = sqlite3_column_int64(st, 11);
}

int zc_credit_chain(const char *prev, const ZcCreditHead *h, char out[65]) {
  ZcBuf b;
  memset(&b, 0, sizeof b);
  ser_str(&b, "zhucan credit chain 1");
  ser_str(&b, prev);
  ser_i64(&b, h->id);
  ser_str(&b, h->region);
  ser_str(&b, h->as_of);
  ser_str(&b, h->created_at);
  ser_str(&b, h->versions);
  ser_i64(&b, h->horizon);
  ser_i64(&b, h->accounts);
  ser_i64(&b, h->balance);
  ser_str(&b, h->last_ids);
  ser_str(&b, h->ledger);
  ser_str(&b, h->rows);
  ser_i64(&b, h->supersedes);
  if (b.oom) {
    zc_buf_free(&b);
    return SQLITE_NOMEM;
  }
  struct sha256_ctx c;
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_init(&c);
  sha256_update(&c, b.n, (const uint8_t *)b.z);
  sha256_digest(&c, SHA256_DIGEST_SIZE, d);
  hex32(d, out);
  zc_buf_free(&b);
  return SQLITE_OK;
}

void zc_credit_inputs(const ZcCreditWalk *w, ZcCreditInputs *out) {
  struct sha256_ctx c;
  uint8_t d[SHA256_DIGEST_SIZE];
  unsigned char buf[PUT_ROOM(7, 0) + 64];
  char hex[65];
  memset(out, 0, sizeof *out);
  sha256_init(&c);
  for (int i = 0; i < w->n; i++) {
    const CrEv *e = &w->ev[i];
    if (e->kind == CR_EARN) out->hours++;
    else if (e->kind == CR_REDEEM) out->redemptions++;
    else out->transfers++;
    unsigned char *t = buf;
    t = put_i64(t, e->kind);
    t = put_i64(t, e->id);
    t = put_i64(t, e->day);
    t = put_i64(t, e->amount);
    t = put_i64(t, e->other);
    t = put_i64(t, e->verified);
    size_t n = e->word ? strlen(e->word) : 0;
    t = put_str(t, e->word, n > 48 ? 48 : n);
    sha256_update(&c, (size_t)(t - buf), buf);
    if (n > 48) sha256_update(&c, n - 48, (const uint8_t *)e->word + 48);
  }
  sha256_digest(&c, SHA256_DIGEST_SIZE, d);
  hex32(d, hex);
  memcpy(out->fp, hex, 16);
  out->fp[16] = 0;
}

/* ------------------------------------------------------- credit_settle */

typedef struct CSettle {
  ZcConn *zc;
  int supersede;
  ZcCreditWalk w;
  ZcCreditDigest d;
  ZcRowHash rh;
  sqlite3_stmt *ins;
  ZcCreditHead h;
  char as_of[11], created_at[20], ledger[65], rows[65], chain[65];
  char *region, *versions, *last_ids;
  sqlite3_int64 current;       /* the current snapshot of (region, as_of), 0: none */
} CSettle;

static int cs_mode(CSettle *k, int argc, sqlite3_value **argv, char **pzErr) {
  if (argc < 3) return SQLITE_OK;
  if (sqlite3_value_type(argv[2]) != SQLITE_TEXT || strcmp((const char *)sqlite3_value_text(argv[2]), "supersede")) {
    char *r = zc_value_repr(argv[2]);
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "credit_settle: third argument %s is not 'supersede'",
                                   "credit_settle：第三个参数 %s 不是 'supersede'"), r ? r : "?");
    sqlite3_free(r);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  k->supersede = 1;
  return SQLITE_OK;
}

/* The day has ended, and no current snapshot of (region, as_of) stands in
** the way (settle's rule for a month). */
static int cs_checks(CSettle *k, char **pzErr) {
  ZcConn *zc = k->zc;
  int today, rc;
  if ((rc = zc_today(zc, "credit_settle", &today, pzErr))) return rc;
  if (k->w.as_of >= today) {
    char t[11], n[11];
    zc_day_format(today, t);
    zc_day_format(k->w.as_of + 1, n);
    *pzErr = sqlite3_mprintf(zc_tr(zc,
                                   "credit_settle: %s has not ended (today is %s in China); its hours may not all be "
                                   "in yet, and a snapshot cannot be changed once stored: take it on or after %s",
                                   "credit_settle：%s 这一天还没有过完（今天是北京时间 %s），当天的服务时长可能还没有"
                                   "全部录入，而积分快照一经保存就不能更改：请在 %s 或之后再保存"),
                             k->as_of, t, n);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(zc->db, "SELECT max(id) FROM zhucan_credit_run WHERE region = ?1 AND as_of = ?2 "
                               "AND superseded_by IS NULL", -1, &st, NULL)))
    return rc;
  sqlite3_bind_text(st, 1, k->region, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, k->as_of, -1, SQLITE_STATIC);
  if ((rc = sqlite3_step(st)) == SQLITE_ROW) k->current = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW) return rc;
  if (k->current == 0) return SQLITE_OK;
  if (zc_mine_same(zc, ZC_MINE_CREDIT, (sqlite3_uint64)k->current)) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_settle: region %s as of %s: snapshot %lld was stored by this same "
                                       "statement; a statement stores a region's day once (does it read "
                                       "zhucan_credit_run while it stores?)",
                                   "credit_settle：区划 %s 截至 %s：快照 %lld 正是这同一条语句刚刚保存的；一条语句对"
                                   "一个区划的一天只保存一次（这条语句是否一边保存一边读取 zhucan_credit_run？）"),
                             k->region, k->as_of, k->current);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (k->supersede) return SQLITE_OK;
  *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_settle: region %s as of %s is already stored as snapshot %lld; "
                                     "snapshots are immutable: credit_settle('%s', '%s', 'supersede') stores a new "
                                     "one and marks snapshot %lld superseded",
                                 "credit_settle：区划 %s 截至 %s 的积分账已经保存过，快照号 %lld；快照不能更改："
                                 "credit_settle('%s', '%s', 'supersede') 会保存一个新快照，并把快照 %lld 标记为已被取代"),
                           k->region, k->as_of, k->current, k->region, k->as_of, k->current);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* The header's fields read from the database: id, horizon, created_at,
** last_ids, the previous chain link (into prev). */
static int cs_head(CSettle *k, char prev[65]) {
  sqlite3 *db = k->zc->db;
  int rc;
  if (zc_table_exists(db, "zhucan_policy") &&
      (rc = zc_query_int(db, "SELECT coalesce(max(id), 0) FROM zhucan_policy", &k->h.horizon)))
    return rc;
  if ((rc = zc_query_int(db, "SELECT coalesce(max(id), 0) + 1 FROM zhucan_credit_run", &k->h.id))) return rc;
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(db,
                          "SELECT datetime('now', '+8 hours'), json_object('credit_hours', (SELECT coalesce(max(id), 0) "
                          "FROM credit_hours), 'credit_redemption', (SELECT coalesce(max(id), 0) FROM "
                          "credit_redemption), 'credit_transfer', (SELECT coalesce(max(id), 0) FROM credit_transfer)), "
                          "(SELECT chain FROM zhucan_credit_run ORDER BY id DESC LIMIT 1)",
                          -1, &st, NULL);
  if (rc) return rc;
  memset(prev, '0', 64);
  prev[64] = 0;
  if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(st, 0) == 19) memcpy(k->created_at, sqlite3_column_text(st, 0), 20);
    k->last_ids = sqlite3_mprintf("%s", ctext(st, 1));
    if (sqlite3_column_bytes(st, 2) == 64) memcpy(prev, sqlite3_column_text(st, 2), 64);
    rc = k->last_ids && k->created_at[0] ? SQLITE_OK : SQLITE_NOMEM;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
}

/* One balance row: bound and hashed as credit_verify reads it back. */
static int cs_row(CSettle *k) {
  const ZcCreditWalk *w = &k->w;
  const CrSum *s = &w->sum;
  ZcCreditInputs in;
  zc_credit_inputs(w, &in);
  char *vj = zc_credit_versions_json(s);
  if (!vj) return SQLITE_NOMEM;
  sqlite3_int64 v[] = {w->a.id, 0, s->minutes, s->unverified, s->earned, s->over_cap, s->tin, s->tout,
                       s->donated, s->redeemed, s->expired, s->balance, s->problems, 0, in.hours,
                       in.redemptions, in.transfers};
  sqlite3_stmt *st = k->ins;
  for (int i = 0; i < ZC_CB_NCOL; i++) {
    const char *z = i == 1 ? w->a.region : i == 13 ? vj : i == 17 ? in.fp : NULL;
    if (z) {
      sqlite3_bind_text(st, i + 2, z, -1, SQLITE_TRANSIENT);
      zc_rh_text(&k->rh, z, strlen(z));
    } else {
      sqlite3_bind_int64(st, i + 2, v[i]);
      zc_rh_int(&k->rh, v[i]);
    }
  }
  zc_rh_row(&k->rh);
  sqlite3_free(vj);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return rc;
  k->h.accounts++;
  k->h.balance += s->balance;
  return zc_credit_digest_row(&k->d, w);
}

/* The versions that earned, as settle() lists them:
** [{"id":1,"name":"weihai","effective_from":"2024-01-01","sha256":"..."}] */
static int cs_versions(CSettle *k) {
  sqlite3_stmt *st = NULL;
  ZcBuf j;
  memset(&j, 0, sizeof j);
  int rc = sqlite3_prepare_v2(k->zc->db, "SELECT name, effective_from, sha256 FROM zhucan_policy WHERE id = ?1", -1,
                              &st, NULL);
  if (rc) return rc;
  sqlite3_int64 *ids = sqlite3_malloc64((k->d.vers.n + 1) * sizeof *ids);
  size_t n = 0;
  if (!ids) rc = SQLITE_NOMEM;
  for (size_t i = 0; ids && i < k->d.vers.cap; i++)
    if (k->d.vers.keys[i] != INT64_MIN) ids[n++] = k->d.vers.keys[i];
  if (ids) qsort(ids, n, sizeof *ids, zc_i64_cmp);
  zc_buf_add(&j, "[", 1);
  for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
    sqlite3_bind_int64(st, 1, ids[i]);
    if (sqlite3_step(st) == SQLITE_ROW) {
      zc_buf_str(&j, i ? ",{\"id\":" : "{\"id\":");
      zc_buf_int(&j, ids[i]);
      zc_buf_str(&j, ",\"name\":");
      zc_buf_json_str(&j, ctext(st, 0));
      zc_buf_str(&j, ",\"effective_from\":");
      zc_buf_json_str(&j, ctext(st, 1));
      zc_buf_str(&j, ",\"sha256\":");
      zc_buf_json_str(&j, ctext(st, 2));
      zc_buf_str(&j, "}");
    }
    sqlite3_reset(st);
  }
  zc_buf_add(&j, "]", 1);
  sqlite3_finalize(st);
  sqlite3_free(ids);
  if (rc == SQLITE_OK && j.oom) rc = SQLITE_NOMEM;
  if (rc) zc_buf_free(&j);
  else k->versions = j.z;
  return rc;
}

static int cs_insert_head(CSettle *k) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(k->zc->db,
                              "INSERT INTO zhucan_credit_run(" ZC_CREDIT_HEAD_COLS ", chain) "
                              "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                              -1, &st, NULL);
  if (rc) return rc;
  const ZcCreditHead *h = &k->h;
  sqlite3_bind_int64(st, 1, h->id);
  sqlite3_bind_text(st, 2, h->region, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, h->as_of, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, h->created_at, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, h->versions, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, h->horizon);
  sqlite3_bind_int64(st, 7, h->accounts);
  sqlite3_bind_int64(st, 8, h->balance);
  sqlite3_bind_text(st, 9, h->last_ids, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 10, h->ledger, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 11, h->rows, -1, SQLITE_STATIC);
  if (h->supersedes) sqlite3_bind_int64(st, 12, h->supersedes);
  sqlite3_bind_text(st, 13, k->chain, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc;
  if (!k->current) return SQLITE_OK;
  if ((rc = sqlite3_prepare_v2(k->zc->db, "UPDATE zhucan_credit_run SET superseded_by = ?1 WHERE id = ?2", -1, &st,
                               NULL)))
    return rc;
  sqlite3_bind_int64(st, 1, h->id);
  sqlite3_bind_int64(st, 2, k->current);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inside the unit: the checks, the walk written row by row, the header. */
static int cs_write(CSettle *k, sqlite3_value **argv, char **pzErr) {
  ZcConn *zc = k->zc;
  int rc;
  char prev[65];
  unsigned tick = 0;
  if ((rc = zc_credit_run_schema(zc, pzErr))) return rc;
  if ((rc = zc_credit_walk_open(&k->w, zc, "credit_settle", 2, argv, pzErr))) return rc;
  zc_day_format(k->w.as_of, k->as_of);
  if (!(k->region = sqlite3_mprintf("%s", k->w.scope))) return SQLITE_NOMEM;
  if ((rc = cs_checks(k, pzErr))) return rc;
  if ((rc = cs_head(k, prev))) return rc;
  zc_credit_digest_init(&k->d, &k->w);
  zc_credit_rows_init(&k->rh, k->h.id);
  if ((rc = sqlite3_prepare_v2(zc->db, "INSERT INTO zhucan_credit_balance(run_id, " ZC_CB_COLS ") VALUES(?1,?2,?3,?4,"
                               "?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)", -1, &k->ins, NULL)))
    return rc;
  sqlite3_bind_int64(k->ins, 1, k->h.id);
  while (!(rc = zc_credit_walk_next(&k->w, pzErr)) && !k->w.eof) {
    if ((rc = cs_row(k))) return rc;
    if (zc_interrupted_every(zc, &tick, 10)) {
      *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_settle: interrupted; nothing was stored",
                                     "credit_settle：已中断，没有保存任何内容"));
      return SQLITE_INTERRUPT;
    }
  }
  if (rc) return rc;
  if ((rc = zc_credit_digest_end(&k->d, zc, k->ledger, pzErr))) return rc;
  if ((rc = zc_rh_end(&k->rh, k->rows))) return rc;
  if ((rc = cs_versions(k))) return rc;
  ZcCreditHead *h = &k->h;
  h->region = k->region;
  h->as_of = k->as_of;
  h->created_at = k->created_at;
  h->versions = k->versions;
  h->last_ids = k->last_ids;
  h->ledger = k->ledger;
  h->rows = k->rows;
  h->supersedes = k->current;
  if ((rc = zc_credit_chain(prev, h, k->chain))) return rc;
  return cs_insert_head(k);
}

static void cs_free(CSettle *k) {
  sqlite3_finalize(k->ins);
  zc_credit_walk_close(&k->w);
  zc_credit_digest_free(&k->d);
  zc_rh_free(&k->rh);
  sqlite3_free(k->region);
  sqlite3_free(k->versions);
  sqlite3_free(k->last_ids);
}

static void credit_settle_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  char *err = NULL;
  CSettle k;
  memset(&k, 0, sizeof k);
  k.zc = zc;
  ZcCaller caller;
  zc_caller_now(zc, &caller);
  ZcUnit unit;
  int rc = cs_mode(&k, argc, argv, &err);
  if (rc == SQLITE_OK) rc = zc_writable(zc, "credit_settle", &err);
  if (rc == SQLITE_OK && (rc = zc_unit_begin(zc, &unit, &err)) == SQLITE_OK) {
    zc->run_writing = 1;
    rc = cs_write(&k, argv, &err);
    zc->run_writing = 0;
    sqlite3_finalize(k.ins);
    k.ins = NULL;
    zc_credit_walk_close(&k.w);
    if (rc != SQLITE_OK) {
      if (zc_lost_to_nomem(db, rc, err)) rc = SQLITE_NOMEM;
      else if (!err) err = sqlite3_mprintf("credit_settle: %s", sqlite3_errmsg(db));
      zc_unit_abort(&unit);
    } else {
      rc = zc_unit_commit(&unit, &err);
    }
  }
  if (rc == SQLITE_OK) {
    zc_mine_note(zc, ZC_MINE_CREDIT, (sqlite3_uint64)k.h.id, &caller);
    sqlite3_result_int64(ctx, k.h.id);
  } else if (rc == SQLITE_NOMEM || zc_lost_to_nomem(db, rc, err)) {
    sqlite3_result_error_nomem(ctx);
  } else if (err && strncmp(err, "credit_settle", 13) == 0) {
    sqlite3_result_error(ctx, err, -1);
  } else {
    zc_errorf(ctx, zc_tr(zc, "credit_settle: %s", "credit_settle：%s"), err ? err : sqlite3_errmsg(db));
  }
  sqlite3_free(err);
  cs_free(&k);
}

static const ZcFunc aFunc[] = {
    /* DIRECTONLY: it writes tables; a view or trigger must not call it */
    {"credit_settle", 2, ZC_DIRECT, credit_settle_func},
    {"credit_settle", 3, ZC_DIRECT, credit_settle_func},
};

int zc_credit_run_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
