/*
** policy_store.c — the stored policy versions and the choice of the version
** in force:
**
**   SELECT id, name, effective_from, sha256, untested, retired_on FROM zhucan_policy;
**   SELECT zhucan_policy_guard();                -- 0: what lets only zhucan write it
**
** zhucan_policy(id, name, effective_from, sha256, source, installed_at,
** untested, retired_on) is created by the first install (policy_life.c:
** policy_install, policy_load), and a table made by an older zhucan gains
** the last two columns and the guarded triggers when one of them writes
** (zc_ps_upgrade).  Its triggers let INSERT and UPDATE through only while
** zhucan_policy_guard() is 1 (an install whose tests passed; policy_retire
** setting retired_on) and refuse DELETE, so a version id names one source
** text forever.  The version of a policy on a day is the one with the
** latest effective_from <= day, among equal dates the latest installed
** (highest id), never a retired one; a caller's ZcPolicyPick can hide the
** versions installed after a run (replay) and pin the index for a pass.
** The index of versions (id, name, effective_from, sha256, retired) is
** re-read only when the database may have changed
** (SQLITE_FCNTL_DATA_VERSION, sqlite3_total_changes64, or a transaction
** ended), so choosing a version costs a few compares.  A version is loaded
** (policy_load.c) on first use and checked against its sha256.
*/
#include "modules.h"
#include "policy_int.h"
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The table and its triggers.  Writes pass only while zhucan_policy_guard()
** is 1, which it is while policy_install/_load insert a version (after its
** tests passed) and policy_retire sets retired_on; DELETE never passes. */
static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS zhucan_policy(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " effective_from TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL,"
    " installed_at TEXT NOT NULL, untested TEXT, retired_on TEXT)";
static const char trigger_sql[] =
    "DROP TRIGGER IF EXISTS zhucan_policy_no_update;"   /* before zhucan_policy_guard */
    "CREATE TRIGGER IF NOT EXISTS zhucan_policy_guard_insert BEFORE INSERT ON zhucan_policy"
    " WHEN zhucan_policy_guard() IS NOT 1"
    " BEGIN SELECT RAISE(ABORT, 'zhucan_policy: versions are installed by policy_load() or"
    " policy_install(), which run their tests first'); END;"
    "CREATE TRIGGER IF NOT EXISTS zhucan_policy_guard_update BEFORE UPDATE ON zhucan_policy"
    " WHEN zhucan_policy_guard() IS NOT 1"
    " BEGIN SELECT RAISE(ABORT, 'zhucan_policy: stored policy versions are immutable;"
    " install a new version, or retire one with policy_retire()'); END;"
    "CREATE TRIGGER IF NOT EXISTS zhucan_policy_no_delete BEFORE DELETE ON zhucan_policy"
    " BEGIN SELECT RAISE(ABORT, 'zhucan_policy: stored policy versions are immutable;"
    " install a new version'); END;";

/* 1 if table zhucan_policy has column col, 0 if not; else an SQLite code
** (negated). */
static int has_column(sqlite3 *db, const char *col) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('zhucan_policy') WHERE name = ?1", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -(rc ? rc : SQLITE_ERROR);
}

int zc_ps_upgrade(const ZcConn *zc, sqlite3 *db, char **pzErr) {
  static const char *const cols[] = {"untested", "retired_on"};
  if (sqlite3_exec(db, create_sql, NULL, NULL, NULL) != SQLITE_OK) goto error;
  for (int i = 0; i < 2; i++) {
    int has = has_column(db, cols[i]);
    if (has < 0) {
      *pzErr = sqlite3_mprintf(zc_tr(zc, "cannot read the columns of zhucan_policy: %s", "无法读取 zhucan_policy 的列：%s"),
                               sqlite3_errstr(-has));
      return -has;
    }
    if (has) continue;
    char *sql = sqlite3_mprintf("ALTER TABLE zhucan_policy ADD COLUMN %s TEXT", cols[i]);
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK) goto error;
  }
  if (sqlite3_exec(db, trigger_sql, NULL, NULL, NULL) != SQLITE_OK) goto error;
  return SQLITE_OK;
error:
  *pzErr = sqlite3_mprintf(zc_tr(zc, "cannot create or upgrade zhucan_policy: %s", "无法创建或升级 zhucan_policy：%s"),
                           sqlite3_errmsg(db));
  return sqlite3_errcode(db) ? sqlite3_errcode(db) : SQLITE_ERROR;
}

char *zc_ps_untested(sqlite3 *db, sqlite3_int64 id) {
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  if (sqlite3_prepare_v2(db, "SELECT untested FROM zhucan_policy WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
      out = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  return out;
}

void zc_ps_sha256(const char *src, size_t n, char out[65]) {
  struct sha256_ctx c;
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_init(&c);
  sha256_update(&c, n, (const uint8_t *)src);
  sha256_digest(&c, SHA256_DIGEST_SIZE, d);
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
    out[2 * i] = "0123456789abcdef"[d[i] >> 4];
    out[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
  }
  out[64] = 0;
}

static void rows_free(Rt *rt) {
  for (int i = 0; i < rt->nrows; i++) sqlite3_free(rt->rows[i].name);
  sqlite3_free(rt->rows);
  rt->rows = NULL;
  rt->nrows = 0;
}

int zc_ps_sync(Rt *rt, int pinned, char **pzErr) {
  sqlite3 *db = rt->zc->db;
  unsigned int dv = 0;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &dv);
  sqlite3_int64 tc = sqlite3_total_changes64(db);
  int ac = sqlite3_get_autocommit(db);
  if (rt->idx_valid && (pinned || (!rt->txn_dirty && dv == rt->idx_dv && tc == rt->idx_tc &&
                                            ac == rt->idx_autocommit)))
    return SQLITE_OK;
  sqlite3_stmt *st = NULL;
  IndexRow *rows = NULL;
  int n = 0, cap = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT id, name, effective_from, sha256, retired_on IS NOT NULL"
                              " FROM zhucan_policy ORDER BY id", -1, &st, NULL);
  if (rc != SQLITE_OK && strstr(sqlite3_errmsg(db), "no such column")) /* made before policy_retire */
    rc = sqlite3_prepare_v2(db, "SELECT id, name, effective_from, sha256, 0 FROM zhucan_policy ORDER BY id", -1,
                            &st, NULL);
  if (rc != SQLITE_OK) {
    if (strstr(sqlite3_errmsg(db), "no such table")) {
      rc = SQLITE_OK;   /* nothing installed yet */
      goto done;
    }
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "cannot read zhucan_policy: %s", "无法读取 zhucan_policy：%s"), sqlite3_errmsg(db));
    goto done;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      IndexRow *nr = sqlite3_realloc64(rows, (sqlite3_uint64)cap * sizeof *nr);
      if (!nr) {
        rc = SQLITE_NOMEM;
        goto done;
      }
      rows = nr;
    }
    IndexRow *r = &rows[n];
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->name = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 1));
    if (!r->name) {
      rc = SQLITE_NOMEM;
      goto done;
    }
    n++;
    r->eff = zc_day_parse((const char *)sqlite3_column_text(st, 2), sqlite3_column_bytes(st, 2));
    const char *sha = (const char *)sqlite3_column_text(st, 3);
    snprintf(r->sha, sizeof r->sha, "%s", sha ? sha : "");
    r->retired = sqlite3_column_int(st, 4) != 0;
  }
  if (rc != SQLITE_DONE) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "cannot read zhucan_policy: %s", "无法读取 zhucan_policy：%s"), sqlite3_errmsg(db));
    goto done;
  }
  rc = SQLITE_OK;
done:
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) {
    for (int i = 0; i < n; i++) sqlite3_free(rows[i].name);
    sqlite3_free(rows);
    return rc;
  }
  rows_free(rt);
  rt->rows = rows;
  rt->nrows = n;
  /* loaded versions stay valid only if their row still holds the same text */
  ZcMap keep;
  zc_map_init(&keep);
  for (int i = 0; i < n; i++) {
    sqlite3_int64 *p = zc_map_slot(&rt->by_id, rows[i].id, 0, NULL);
    if (!p) continue;
    PVersion *v = (PVersion *)(intptr_t)*p;
    if (strcmp(v->pub.sha256, rows[i].sha) != 0) continue;
    sqlite3_int64 *q = zc_map_slot(&keep, rows[i].id, 1, NULL);
    if (q) *q = *p;
  }
  zc_map_clear(&rt->by_id);
  rt->by_id = keep;
  sqlite3_free(rt->last_name);
  rt->last_name = NULL;
  rt->idx_valid = 1;
  rt->idx_dv = dv;
  rt->idx_tc = tc;
  rt->idx_autocommit = ac;
  if (ac) rt->txn_dirty = 0;   /* an install inside a transaction: rescan until it ends */
  return SQLITE_OK;
}

int zc_ps_version(Rt *rt, const IndexRow *r, const ZcPolicyVersion **out, char **pzErr) {
  sqlite3_int64 *p = zc_map_slot(&rt->by_id, r->id, 0, NULL);
  if (p) {
    *out = (const ZcPolicyVersion *)(intptr_t)*p;
    return SQLITE_OK;
  }
  char eff[11] = "?";
  if (r->eff != ZC_NONE) zc_day_format(r->eff, eff);
  sqlite3_stmt *st = NULL;
  PVersion *v = NULL;
  char *msg = NULL, *chunk = NULL;
  int rc = sqlite3_prepare_v2(rt->zc->db, "SELECT source FROM zhucan_policy WHERE id = ?", -1,
                              &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, r->id);
    rc = sqlite3_step(st);
  }
  if (rc != SQLITE_ROW) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "cannot read policy version %lld: %s", "无法读取政策版本 %lld：%s"), r->id,
                             sqlite3_errmsg(rt->zc->db));
    rc = SQLITE_ERROR;
    goto done;
  }
  const char *src = (const char *)sqlite3_column_text(st, 0);
  size_t len = (size_t)sqlite3_column_bytes(st, 0);
  char sha[65];
  zc_ps_sha256(src ? src : "", len, sha);
  if (r->eff == ZC_NONE || strcmp(sha, r->sha) != 0) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "policy version %lld (%s) is damaged: its %s", "政策版本 %lld（%s）已损坏：它的%s"), r->id, r->name,
                             r->eff == ZC_NONE ? zc_tr(rt->zc, "effective_from is not a date", "生效日期 effective_from 不是日期")
                                               : zc_tr(rt->zc, "source does not match its sha256", "源码与保存的 sha256 不符"));
    rc = SQLITE_ERROR;
    goto done;
  }
  chunk = sqlite3_mprintf("=%s@%s", r->name, eff);
  if (!chunk) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  rc = zc_pl_load_stored(rt, src ? src : "", len, chunk, &v, &msg);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "policy version %lld (%s@%s) does not load: %s", "政策版本 %lld（%s@%s）无法加载：%s"), r->id, r->name, eff,
                             msg ? msg : "out of memory");
    goto done;
  }
  if (strcmp(v->pub.name, r->name) != 0 || v->pub.effective_from != r->eff) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "policy version %lld is damaged: its row says %s@%s, its source %s@%s", "政策版本 %lld 已损坏：它的记录写的是 %s@%s，源码却是 %s@%s"),
                             r->id, r->name, eff, v->pub.name, v->pub.effective_text);
    rc = SQLITE_ERROR;
    goto done;
  }
  v->pub.id = r->id;
  memcpy(v->pub.sha256, sha, sizeof sha);
  p = zc_map_slot(&rt->by_id, r->id, 1, NULL);
  if (!p) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  *p = (sqlite3_int64)(intptr_t)v;
  v->next_all = rt->all;
  rt->all = v;
  *out = &v->pub;
  v = NULL;
  rc = SQLITE_OK;
done:
  if (v) zc_pl_free(rt, v);
  sqlite3_finalize(st);
  sqlite3_free(msg);
  sqlite3_free(chunk);
  if (rc != SQLITE_OK && !*pzErr) *pzErr = sqlite3_mprintf("%s", sqlite3_errstr(rc));
  return rc;
}

int zc_policy_for_name(ZcConn *zc, const ZcPolicyPick *pick, const char *name, int day,
                       const ZcPolicyVersion **out, char **pzErr) {
  *out = NULL;
  Rt *rt = zc_rt_get(zc, pzErr);
  if (!rt) return SQLITE_ERROR;
  int rc = zc_ps_sync(rt, pick && pick->pinned, pzErr);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 horizon = pick ? pick->horizon : 0;
  /* policy_impact: a proposal stands in as the newest version of its name;
  ** such answers are never kept in (nor read from) the last_* cache */
  const ZcPolicyVersion *prop = pick && pick->proposal && strcmp(pick->proposal->name, name) == 0
                                    ? pick->proposal : NULL;
  if (!prop && rt->last_name && rt->last_day == day && rt->last_horizon == horizon &&
      strcmp(rt->last_name, name) == 0) {
    *out = rt->last_v;
    return SQLITE_OK;
  }
  int best = -1, found = 0, retired = 0, later = 0;
  for (int i = 0; i < rt->nrows; i++) {
    const IndexRow *r = &rt->rows[i];
    if (strcmp(r->name, name) != 0) continue;
    /* replay(): versions installed after the run are invisible */
    if (horizon > 0 && r->id > horizon) {
      later++;
      continue;
    }
    /* retired versions are never chosen (no stored run used one) */
    if (r->retired) {
      retired++;
      continue;
    }
    found = 1;
    if (r->eff == ZC_NONE) {
      *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "policy version %lld (%s) is damaged: its effective_from is not "
                               "a date", "政策版本 %lld（%s）已损坏：它的生效日期 effective_from 不是日期"), r->id, r->name);
      return SQLITE_ERROR;
    }
    /* rows are in id order: >= keeps the latest installed among equals */
    if (r->eff <= day && (best < 0 || r->eff >= rt->rows[best].eff)) best = i;
  }
  if (prop && prop->effective_from <= day && (best < 0 || prop->effective_from >= rt->rows[best].eff)) {
    *out = prop;   /* installed last: it wins among equal dates */
    return SQLITE_OK;
  }
  if (!found && later && !retired) {
    *pzErr = zc_lang_en(rt->zc)
                 ? sqlite3_mprintf("policy '%s' has no version the run could see: its %d version%s installed after "
                                   "the run (its policy_horizon is version %lld); the region's policy was changed "
                                   "after the run was settled", name, later, later == 1 ? " was" : "s were", horizon)
                 : sqlite3_mprintf("政策 '%s' 没有这个批次能看到的版本：它的 %d 个版本都是在批次之后安装的（批次的 "
                                   "policy_horizon 是版本 %lld）；这个区划的政策是在结算之后改的", name, later, horizon);
    return SQLITE_ERROR;
  }
  if (!found && retired) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "every version of policy '%s' is retired (%d); install a new version, or make "
                             "another policy govern the region with policy_assign()", "政策 '%s' 的所有版本都已停用（%d 个）；请安装一个新版本，或者用 policy_assign() 让别的政策管这个区划"), name, retired);
    return SQLITE_ERROR;
  }
  if (!found) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "policy '%s' is not installed (install it with policy_load() or "
                             "policy_install())", "政策 '%s' 还没有安装（请用 policy_load() 或 policy_install() 安装）"), name);
    return SQLITE_ERROR;
  }
  if (best >= 0) {
    rc = zc_ps_version(rt, &rt->rows[best], out, pzErr);
    if (rc != SQLITE_OK) return rc;
  }
  if (prop) return SQLITE_OK;
  sqlite3_free(rt->last_name);
  rt->last_name = sqlite3_mprintf("%s", name);
  rt->last_day = day;
  rt->last_horizon = horizon;
  rt->last_v = *out;
  return SQLITE_OK;
}

int zc_policy_for_region(ZcConn *zc, const ZcPolicyPick *pick, const char *code, int day,
                         const ZcPolicyVersion **out, char **pzErr) {
  *out = NULL;
  const ZcRegion *r = zc_region_governing(zc, code);
  if (r == NULL || r->policy == NULL) return SQLITE_OK;
  return zc_policy_for_name(zc, pick, r->policy, day, out, pzErr);
}

int zc_policy_for_site(ZcConn *zc, const ZcPolicyPick *pick, const ZcSiteFacts *site, int day,
                       const ZcPolicyVersion **out, char **pzErr) {
  *out = NULL;
  const ZcRegion *r = site->reg ? site->reg->gov : NULL;
  if (r == NULL || r->policy == NULL) return SQLITE_OK;
  return zc_policy_for_name(zc, pick, r->policy, day, out, pzErr);
}


/* zhucan_policy_guard(): 1 while this connection's policy_install/_load
** or policy_retire writes zhucan_policy, else 0. */
static void policy_guard_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3_result_int(ctx, zc->policy && zc->policy->guard);
}

/* ----------------------------------------------------------- registration */

int zc_policy_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  /* policy_load reads files and policy_install writes: direct-only, so a
  ** hostile schema cannot call them from a view or trigger. */
  static const ZcFunc aFunc[] = {
      /* the triggers of zhucan_policy call it: innocuous, so they may
      ** under PRAGMA trusted_schema = OFF */
      {"zhucan_policy_guard", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, policy_guard_func},
  };
  int rc = zc_rt_init(zc);
  if (rc != SQLITE_OK) return rc;
  return zc_register_funcs(db, aFunc, sizeof aFunc / sizeof aFunc[0], zc);
}
