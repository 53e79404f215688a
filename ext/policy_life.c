/*
** policy_life.c — a policy version's life: installed only when its own
** tests pass, in force where and when, retired when it was never used:
**
**   SELECT policy_load('lua/zhongyang.lua');            -- 1: runs its 12 cases first
**   SELECT policy_install('return { ... }', 'pilot week, no cases yet');   -- untested, on purpose
**   SELECT policy_in_force('141129', '2024-03-15');    -- 1: the version that would pay
**   SELECT policy_assign('141129100', 'taiyuan');       -- NULL: the township's previous own policy
**   SELECT policy_assign('141129100', '');              -- 'taiyuan'; the township inherits again
**   SELECT policy_retire(3);                            -- 3: never chosen again
**
** policy_install/_load load the source (policy_load.c), answer the id of a
** version with the same source if there is one (adding nothing), else run
** the version's cases (policy_test.c, under the name it will be stored
** with) and store it only when they all pass; a version without cases needs
** an untested reason, kept in zhucan_policy.untested.  policy_in_force walks
** the region tree and chooses the version exactly as settlement() does
** (policy_store.c); it answers NULL when no policy governs the region or no
** version is in force yet.  policy_assign writes region.policy, refusing a
** region or policy that does not exist.  policy_retire sets
** zhucan_policy.retired_on (through the guard of zhucan_policy's triggers)
** when no stored run names the version in its policy_versions; a retired
** version is never chosen again, by settlement and replay alike (no run
** used it, so every stored run replays the same).
*/
#include "modules.h"
#include "policy_int.h"
#include "thresholds.h"
#include "award.h"
#include <math.h>
#include <string.h>
#include <time.h>

/* The first runs listed by a refused policy_retire */
#define RETIRE_MAX_RUNS 10

/* ------------------------------------------------------------- arguments */

/* A region code argument (text or integer): the region row, or NULL with
** the error reported. */
static const ZcRegion *arg_region(sqlite3_context *ctx, ZcConn *zc, const char *fn, sqlite3_value *v) {
  int t = sqlite3_value_type(v);
  if (t == SQLITE_NULL) {
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: region is NULL; expected a region code such as '141129'",
                         "%s：区划参数为 NULL；应为区划代码，例如 '141129'"), fn);
    return NULL;
  }
  char *err = NULL;
  int rc = zc_facts_sync(zc);
  if (rc == SQLITE_OK) rc = zc_regions_load(zc, &err);
  if (rc != SQLITE_OK) {
    zc_errorf(ctx, ZC_COLON(ZC_CTX(ctx)), fn, err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return NULL;
  }
  const ZcRegion *r = NULL;
  if (t == SQLITE_TEXT || t == SQLITE_INTEGER) r = zc_region(zc, (const char *)sqlite3_value_text(v));
  if (r == NULL) {
    char *q = zc_value_repr(v);
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: region %s is not a code in table region", "%s：%s 不是区划表（region）里的区划代码"),
              fn, q ? q : "?");
    sqlite3_free(q);
  }
  return r;
}

/* An integer version id argument: 1, or 0 with the error reported. */
static int arg_version(sqlite3_context *ctx, const char *fn, sqlite3_value *v, sqlite3_int64 *out) {
  int t = sqlite3_value_type(v);
  if (t == SQLITE_NULL) {
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: version is NULL; expected a version id of zhucan_policy",
                         "%s：版本参数为 NULL；应为 zhucan_policy 里的版本号"), fn);
    return 0;
  }
  if (t == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return 1;
  }
  if (t == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d == floor(d) && fabs(d) < 9e15) {
      *out = (sqlite3_int64)d;
      return 1;
    }
  }
  char *q = zc_value_repr(v);
  zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: version %s is not an integer version id of zhucan_policy", "%s：%s 不是 zhucan_policy 里的整数版本号"), fn, q ? q : "?");
  sqlite3_free(q);
  return 0;
}

/* Ends a call with err (or out of memory); frees err. */
static void fail(sqlite3_context *ctx, const char *fn, int rc, char *err) {
  if (zc_lost_to_nomem(sqlite3_context_db_handle(ctx), rc, err)) sqlite3_result_error_nomem(ctx);
  else zc_errorf(ctx, ZC_COLON(ZC_CTX(ctx)), fn, err ? err : sqlite3_errstr(rc));
  if (rc == SQLITE_INTERRUPT) sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
  sqlite3_free(err);
}

/* --------------------------------------------------------- policy_in_force */

static void in_force_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  const char *fn = "policy_in_force";
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: day is NULL; expected a date 'YYYY-MM-DD'", "%s：日期参数为 NULL；应为日期 'YYYY-MM-DD'"),
              fn);
    return;
  }
  int day = ZC_NONE;
  if (sqlite3_value_type(argv[1]) == SQLITE_TEXT)
    day = zc_day_parse((const char *)sqlite3_value_text(argv[1]), sqlite3_value_bytes(argv[1]));
  if (day == ZC_NONE) {
    char *q = zc_value_repr(argv[1]);
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: day %s is not a date 'YYYY-MM-DD'", "%s：%s 不是日期 'YYYY-MM-DD'"), fn, q ? q : "?");
    sqlite3_free(q);
    return;
  }
  const ZcRegion *r = arg_region(ctx, zc, fn, argv[0]);
  if (!r) return;
  const ZcPolicyVersion *v = NULL;
  char *err = NULL;
  int rc = zc_policy_for_region(zc, NULL, r->code, day, &v, &err);
  if (rc != SQLITE_OK) {
    fail(ctx, fn, rc, err);
    return;
  }
  if (v) sqlite3_result_int64(ctx, v->id);
  else sqlite3_result_null(ctx);   /* no policy governs, or none of its versions is in force yet */
}

/* ----------------------------------------------------------- policy_assign */

/* 1 if name has a version that is not retired, 0 if it has none, -1 if
** all its versions are retired. */
static int policy_live(Rt *rt, const char *name) {
  int any = 0;
  for (int i = 0; i < rt->nrows; i++) {
    if (strcmp(rt->rows[i].name, name) != 0) continue;
    if (!rt->rows[i].retired) return 1;
    any = 1;
  }
  return any ? -1 : 0;
}

static void assign_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  const char *fn = "policy_assign";
  char *err = NULL;
  sqlite3_stmt *st = NULL;
  int rc;
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
    char *q = zc_value_repr(argv[1]);
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: policy %s is not a policy name; expected the name of an installed policy, or '' to let "
              "the region inherit the policy of the region above it", "%s：%s 不是政策名称；应为已安装政策的名称，或者 ''（让这个区划沿用上级区划的政策）"), fn, q ? q : "?");
    sqlite3_free(q);
    return;
  }
  const char *name = (const char *)sqlite3_value_text(argv[1]);
  if ((rc = zc_writable(zc, fn, &err)) != SQLITE_OK) {
    if (err) sqlite3_result_error(ctx, err, -1);
    else sqlite3_result_error_nomem(ctx);
    sqlite3_free(err);
    return;
  }
  const ZcRegion *r = arg_region(ctx, zc, fn, argv[0]);
  if (!r) return;
  char *code = sqlite3_mprintf("%s", r->code), *prev = NULL;
  if (!code) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (*name) {
    Rt *rt = zc_rt_get(zc, &err);
    if (!rt) goto error;
    if ((rc = zc_ps_sync(rt, 0, &err)) != SQLITE_OK) goto error;
    int live = policy_live(rt, name);
    if (live <= 0) {
      char *q = zc_utf8_repr(name, strlen(name));
      err = live < 0 ? sqlite3_mprintf(zc_tr(rt->zc, "every version of policy %s is retired: it cannot pay; install a new "
                                       "version first", "政策 %s 的所有版本都已停用，不能再用来支付：请先安装一个新版本"), q ? q : "?")
                     : sqlite3_mprintf(zc_tr(rt->zc, "policy %s is not installed; install it first with policy_load() or "
                                       "policy_install() (the names are in zhucan_policy.name)", "政策 %s 还没有安装：请先用 policy_load() 或 policy_install() 安装（已安装的政策名称见 zhucan_policy.name）"), q ? q : "?");
      sqlite3_free(q);
      rc = SQLITE_ERROR;
      goto error;
    }
  }
  rc = sqlite3_prepare_v2(db, "SELECT policy FROM region WHERE code = ?1", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      if (sqlite3_column_type(st, 0) != SQLITE_NULL)
        prev = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_ERROR;
    }
  }
  sqlite3_finalize(st);
  st = NULL;
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "UPDATE region SET policy = nullif(?2, '') WHERE code = ?1", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  }
  if (rc != SQLITE_OK) {
    err = sqlite3_mprintf(zc_tr(zc, "cannot write region %s: %s", "无法写入区划 %s：%s"), code, sqlite3_errmsg(db));
    rc = sqlite3_errcode(db) ? sqlite3_errcode(db) : SQLITE_ERROR;
    goto error;
  }
  if (prev) sqlite3_result_text(ctx, prev, -1, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
  goto done;
error:
  fail(ctx, fn, rc, err);
done:
  sqlite3_finalize(st);
  sqlite3_free(code);
  sqlite3_free(prev);
}

/* ----------------------------------------------------------- policy_retire */

/* The stored runs whose policy_versions name version id: "runs 3, 7" (the
** first RETIRE_MAX_RUNS, then the count), NULL in *out when none. */
static int runs_using(const ZcConn *zc, sqlite3 *db, sqlite3_int64 id, char **out) {
  *out = NULL;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'zhucan_run'", -1, &st,
                              NULL);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  st = NULL;
  if (rc == SQLITE_DONE) return SQLITE_OK;   /* nothing settled yet */
  if (rc != SQLITE_ROW) return rc;
  rc = sqlite3_prepare_v2(db,
                              "SELECT DISTINCT r.id, r.region, r.month FROM zhucan_run r, json_each(r.policy_versions) j"
                              " WHERE j.value ->> 'id' = ?1 ORDER BY r.id", -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_str *s = sqlite3_str_new(NULL);
  int n = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (++n <= RETIRE_MAX_RUNS)
      sqlite3_str_appendf(s, zc_tr(zc, "%s%lld (%s %s)", "%s%lld（%s %s）"), n > 1 ? zc_tr(zc, ", ", "、") : "", sqlite3_column_int64(st, 0),
                          (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    sqlite3_free(sqlite3_str_finish(s));
    return rc;
  }
  if (n > RETIRE_MAX_RUNS) sqlite3_str_appendf(s, zc_tr(zc, " and %d more", " 等，另有 %d 个"), n - RETIRE_MAX_RUNS);
  char *z = sqlite3_str_finish(s);
  if (n == 0) {
    sqlite3_free(z);
    return SQLITE_OK;
  }
  if (!z) return SQLITE_NOMEM;
  *out = zc_lang_en(zc) ? sqlite3_mprintf("%s %s", n == 1 ? "run" : "runs", z) : sqlite3_mprintf("结算批次 %s", z);
  sqlite3_free(z);
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

static void retire_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  const char *fn = "policy_retire";
  char *err = NULL, *runs = NULL;
  sqlite3_stmt *st = NULL;
  sqlite3_int64 id = 0;
  int rc;
  if (!arg_version(ctx, fn, argv[0], &id)) return;
  if ((rc = zc_writable(zc, fn, &err)) != SQLITE_OK) {
    if (err) sqlite3_result_error(ctx, err, -1);
    else sqlite3_result_error_nomem(ctx);
    sqlite3_free(err);
    return;
  }
  Rt *rt = zc_rt_get(zc, &err);
  if (!rt) {
    rc = SQLITE_ERROR;
    goto error;
  }
  if ((rc = zc_ps_sync(rt, 0, &err)) != SQLITE_OK) goto error;
  const IndexRow *row = NULL;
  for (int i = 0; i < rt->nrows; i++)
    if (rt->rows[i].id == id) row = &rt->rows[i];
  rc = SQLITE_ERROR;
  if (!row) {
    err = sqlite3_mprintf(zc_tr(zc, "version %lld is not an installed policy version (the ids are in zhucan_policy.id)", "版本 %lld 不是已安装的政策版本（版本号见 zhucan_policy.id）"), id);
    goto error;
  }
  char eff[11] = "?";
  if (row->eff != ZC_NONE) zc_day_format(row->eff, eff);
  char *vname = sqlite3_mprintf("%s@%s", row->name, eff);
  if (!vname) {
    rc = SQLITE_NOMEM;
    goto error;
  }
  if (row->retired) {
    err = sqlite3_mprintf(zc_tr(zc, "version %lld (%s) is already retired", "版本 %lld（%s）已经停用了"), id, vname);
    sqlite3_free(vname);
    goto error;
  }
  if ((rc = runs_using(zc, db, id, &runs)) != SQLITE_OK) {
    err = sqlite3_mprintf(zc_tr(zc, "cannot read the stored runs: %s", "无法读取已保存的结算批次：%s"), sqlite3_errmsg(db));
    sqlite3_free(vname);
    goto error;
  }
  if (runs) {
    err = sqlite3_mprintf(zc_tr(zc, "version %lld (%s) was used by stored %s; a version a run used stays, so that the run "
                          "replays: install a corrected version to supersede it instead", "版本 %lld（%s）已被保存的%s用过；结算批次用过的版本必须保留，批次才能重算核对：请安装一个改正后的新版本来取代它"),
                          id, vname, runs);
    sqlite3_free(vname);
    rc = SQLITE_ERROR;
    goto error;
  }
  sqlite3_free(vname);
  char when[20];
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
    err = sqlite3_mprintf(zc_tr(zc, "cannot read the clock", "无法读取系统时钟"));
    goto error;
  }
  if ((rc = zc_ps_upgrade(zc, db, &err)) != SQLITE_OK) goto error;
  rc = sqlite3_prepare_v2(db, "UPDATE zhucan_policy SET retired_on = ?2 WHERE id = ?1 AND retired_on IS NULL", -1,
                          &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, when, -1, SQLITE_STATIC);
    rt->guard = 1;
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    rt->guard = 0;
  }
  if (rc != SQLITE_OK) {
    err = sqlite3_mprintf(zc_tr(zc, "cannot retire version %lld: %s", "无法停用版本 %lld：%s"), id, sqlite3_errmsg(db));
    goto error;
  }
  if (!sqlite3_get_autocommit(db)) rt->txn_dirty = 1;
  rt->idx_valid = 0;
  sqlite3_result_int64(ctx, id);
  goto done;
error:
  fail(ctx, fn, rc, err);
done:
  sqlite3_finalize(st);
  sqlite3_free(runs);
}

/* -------------------------------------------------------- SQL: install */

/* An installed version of name whose source is sha (installing it again
** would add a copy): its id, the newest when several (older databases kept
** copies), a live one before a retired one; *retired set when it is
** retired.  0 when none. */
static sqlite3_int64 same_source(sqlite3 *db, const char *name, const char *sha, int *retired) {
  sqlite3_stmt *st = NULL;
  sqlite3_int64 id = 0;
  *retired = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT id, retired_on IS NOT NULL FROM zhucan_policy WHERE name = ?1 AND"
                              " sha256 = ?2 ORDER BY retired_on IS NOT NULL, id DESC LIMIT 1", -1, &st, NULL);
  if (rc != SQLITE_OK) /* no table yet, or one made before retired_on */
    rc = sqlite3_prepare_v2(db, "SELECT id, 0 FROM zhucan_policy WHERE name = ?1 AND sha256 = ?2"
                            " ORDER BY id DESC LIMIT 1", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
      id = sqlite3_column_int64(st, 0);
      *retired = sqlite3_column_int(st, 1);
    }
  }
  sqlite3_finalize(st);
  return id;
}

#define MAX_UNTESTED 256   /* bytes of an untested reason */

/* The optional second argument of policy_install/_load: why the version
** has no test cases.  *out NULL when not given; an error message else. */
static char *untested_arg(const ZcConn *zc, int argc, sqlite3_value **argv, const char *fn, const char **out) {
  *out = NULL;
  if (argc < 2) return NULL;
  const unsigned char *z = sqlite3_value_text(argv[1]);
  int n = sqlite3_value_bytes(argv[1]);
  int blank = 1;
  for (int i = 0; z && i < n; i++) blank &= z[i] == ' ';
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT || blank || n > MAX_UNTESTED ||
      !zc_utf8_valid(z, (size_t)n, NULL) || strlen((const char *)z) != (size_t)n) {
    char *r = zc_value_repr(argv[1]);
    char *m = sqlite3_mprintf(zc_tr(zc, "%s: untested reason %s is not a reason; expected text of 1 to %d bytes of UTF-8 "
                              "saying why this version has no test cases",
                              "%s：未核算理由 %s 不能作为理由；应为 1 到 %d 字节的 UTF-8 文字，说明这个版本为什么没有核算用例"),
                              fn, r ? r : "?", MAX_UNTESTED);
    sqlite3_free(r);
    return m;
  }
  *out = (const char *)z;
  return NULL;
}

/* Runs v's own cases before it may be stored: SQLITE_OK when they pass (or
** it has none and an untested reason is given); else *pzErr says which
** failed, or why a version without cases is refused. */
static int gate(Rt *rt, PVersion *v, const char *fn, const char *untested, char **pzErr) {
  int ncase = 0, nfail = 0;
  char *list = NULL;
  int rc = zc_pt_gate(rt, v, &ncase, &nfail, &list);
  if (rc == SQLITE_NOMEM) return rc;
  if (rc == SQLITE_INTERRUPT) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "interrupted while running the test cases of %s@%s; nothing installed",
                                   "运行 %s@%s 的核算用例时被中断；没有安装任何内容"),
                             VNAME(v));
  } else if (nfail || rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "%s@%s is not installed: %d of %d of its test cases failed:%s",
                                   "%s@%s 没有安装：%d 个核算用例未通过（共 %d 个）：%s"),
                             VNAME(v), nfail, ncase, list ? list : "");
    rc = SQLITE_ERROR;
  } else if (ncase == 0 && !untested) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc,
                                   "%s@%s has no test cases, so nothing shows it pays what it should; add hand-worked "
                                   "cases to its tests table (docs/rules.md, \"Testing\"), or install it untested by "
                                   "saying why: %s(..., 'the reason')",
                                   "%s@%s 没有核算用例，无法证明它付的钱是对的：请在它的 tests 表里加入手工算好的用例"
                                   "（见 docs/zh/rules.md），或者写明理由、不经核算安装：%s(..., '理由')"),
                             VNAME(v), fn);
    rc = SQLITE_ERROR;
  } else if (ncase > 0 && untested) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "%s@%s has %d test cases (all pass): it is not untested; call %s() without the "
                             "untested reason", "%s@%s 有 %d 个核算用例（全部通过），并不是未经核算的：调用 %s() 时请不要写未核算理由"), VNAME(v), ncase, fn);
    rc = SQLITE_ERROR;
  }
  sqlite3_free(list);
  return rc;
}

/* The tests run on the version as it will be stored: *pv (loaded from src)
** is loaded again under the name stored versions have, so that their errors
** (and a case's error = "...") read "name@effective_from:line" as
** policy_test's do; then its cases run (gate).  SQLITE_OK, or an error in
** *pzErr; *pcode SQLITE_INTERRUPT when the reload was interrupted. */
static int reload_and_gate(Rt *rt, const char *src, size_t len, const char *fn, const char *untested, PVersion **pv,
                           char **pzErr, int *pcode) {
  char *msg = NULL;
  char *vchunk = sqlite3_mprintf("=%s@%s", VNAME(*pv));
  if (!vchunk) return SQLITE_NOMEM;
  zc_pl_free(rt, *pv);
  *pv = NULL;
  int rc = zc_pl_load(rt, src, len, vchunk, pv, &msg);
  sqlite3_free(vchunk);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_INTERRUPT) *pcode = SQLITE_INTERRUPT;
    *pzErr = sqlite3_mprintf("%s", msg ? msg : zc_tr(rt->zc, "out of memory", "内存不足"));
    sqlite3_free(msg);
    return rc;
  }
  return gate(rt, *pv, fn, untested, pzErr);
}

static void install_source(sqlite3_context *ctx, const char *fn, const char *src, size_t len,
                           const char *chunk, const char *untested) {
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  char *err = NULL, *msg = NULL;
  PVersion *v = NULL;
  sqlite3_stmt *st = NULL;
  int code = SQLITE_ERROR;   /* the error code the host gets */
  if (zc_writable(zc, fn, &err) != SQLITE_OK) {
    if (err) sqlite3_result_error(ctx, err, -1);
    else sqlite3_result_error_nomem(ctx);
    sqlite3_free(err);
    return;
  }
  Rt *rt = zc_rt_get(zc, &err);
  if (!rt) goto error;
  int rc = zc_pl_load(rt, src, len, chunk, &v, &msg);
  if (rc != SQLITE_OK) {
    /* an interrupted load is an interrupt to the host, not a bad source */
    if (rc == SQLITE_INTERRUPT) code = SQLITE_INTERRUPT;
    err = sqlite3_mprintf("%s", msg ? msg : zc_tr(zc, "out of memory", "内存不足"));
    goto error;
  }
  /* anomaly thresholds in their ranges before anything runs or is stored */
  if ((rc = zc_thresholds_check(zc, &v->pub, &err)) != SQLITE_OK || (rc = zc_award_check(zc, &v->pub, &err)) != SQLITE_OK) {
    if (rc == SQLITE_NOMEM) goto error;
    char *e = sqlite3_mprintf(zc_tr(zc, "%s; nothing installed", "%s；没有安装任何内容"), err);
    sqlite3_free(err);
    err = e;
    goto error;
  }
  char sha[65], when[20];
  zc_ps_sha256(src, len, sha);
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
    err = sqlite3_mprintf(zc_tr(zc, "cannot read the clock", "无法读取系统时钟"));
    goto error;
  }
  /* the same source as a version of its policy: that version, nothing
  ** added (so a statement that installs what it reads from zhucan_policy
  ** ends: it adds no rows) */
  int was_retired = 0;
  sqlite3_int64 same = same_source(db, v->pub.name, sha, &was_retired);
  if (same && was_retired) {
    err = sqlite3_mprintf(zc_tr(zc, "this source is version %lld of %s@%s, which is retired; a retired version never "
                          "comes back: to use these rules again, change the source (a comment will do) and "
                          "install it as a new version", "这份源码就是 %lld 号版本 %s@%s，它已经停用；停用的版本不能恢复：要再用这些规则，请改动源码（加一行注释即可），作为新版本安装"), same, VNAME(v));
    goto error;
  }
  if (same) {
    sqlite3_result_int64(ctx, same);
    goto done;
  }
  int rc2 = reload_and_gate(rt, src, len, fn, untested, &v, &err, &code);
  if (rc2 == SQLITE_INTERRUPT && code == SQLITE_ERROR) {
    zc_errorf(ctx, ZC_COLON(ZC_CTX(ctx)), fn, err ? err : zc_tr(zc, "interrupted", "已中断"));
    sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
    goto done;
  }
  if (rc2 != SQLITE_OK) goto error;
  if (zc_ps_upgrade(zc, db, &err) != SQLITE_OK) goto error;
  sqlite3_int64 before = sqlite3_last_insert_rowid(db);
  if (sqlite3_prepare_v2(db, "INSERT INTO zhucan_policy(name, effective_from, sha256, source,"
                         " installed_at, untested) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK) {
    err = sqlite3_mprintf(zc_tr(zc, "cannot store the policy: %s", "无法保存政策：%s"), sqlite3_errmsg(db));
    goto error;
  }
  sqlite3_bind_text(st, 1, v->pub.name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, v->pub.effective_text, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, src, (int)len, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, when, -1, SQLITE_STATIC);
  if (untested) sqlite3_bind_text(st, 6, untested, -1, SQLITE_STATIC);
  rt->guard = 1;
  rc = sqlite3_step(st);
  rt->guard = 0;
  if (rc != SQLITE_DONE) {
    err = sqlite3_mprintf(zc_tr(zc, "cannot store the policy: %s", "无法保存政策：%s"), sqlite3_errmsg(db));
    goto error;
  }
  sqlite3_int64 id = sqlite3_last_insert_rowid(db);
  sqlite3_set_last_insert_rowid(db, before);   /* no side effect on the caller's rowid */
  if (!sqlite3_get_autocommit(db)) rt->txn_dirty = 1;
  rt->idx_valid = 0;
  sqlite3_result_int64(ctx, id);
  goto done;
error:
  if (err) {
    zc_errorf(ctx, ZC_COLON(ZC_CTX(ctx)), fn, err);
    if (code != SQLITE_ERROR) sqlite3_result_error_code(ctx, code);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
done:
  sqlite3_finalize(st);
  if (v) zc_pl_free(rt, v);
  sqlite3_free(err);
  sqlite3_free(msg);
}

static void policy_install_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *untested = NULL;
  char *uerr = untested_arg(ZC_CTX(ctx), argc, argv, "policy_install", &untested);
  if (uerr) {
    sqlite3_result_error(ctx, uerr, -1);
    sqlite3_free(uerr);
    return;
  }
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    char *r = zc_value_repr(argv[0]);
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "policy_install: source %s is not text; expected the Lua source of a policy", "policy_install：源码参数 %s 不是文本；应为政策的 Lua 源码"),
              r ? r : "?");
    sqlite3_free(r);
    return;
  }
  const char *src = (const char *)sqlite3_value_text(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  if (n == 0 || n > ZC_POLICY_MAX_SRC) {
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "policy_install: source is %d bytes; expected 1 to %d bytes of Lua", "policy_install：源码有 %d 字节；应为 1 到 %d 字节的 Lua 源码"), n,
              ZC_POLICY_MAX_SRC);
    return;
  }
  install_source(ctx, "policy_install", src, (size_t)n, "=source", untested);
}

static void policy_load_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *untested = NULL;
  char *uerr = untested_arg(ZC_CTX(ctx), argc, argv, "policy_load", &untested);
  if (uerr) {
    sqlite3_result_error(ctx, uerr, -1);
    sqlite3_free(uerr);
    return;
  }
  const char *path = (const char *)sqlite3_value_text(argv[0]);
  char *buf = NULL, *chunk = NULL, *err = NULL;
  size_t n = 0;
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !path || !*path) {
    char *r = zc_value_repr(argv[0]);
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "policy_load: path %s is not a file name", "policy_load：路径参数 %s 不是文件名"), r ? r : "?");
    sqlite3_free(r);
    goto done;
  }
  /* a regular file only: a FIFO or /dev/zero is refused, never waited on */
  int rc = zc_read_file(ZC_CTX(ctx), path, ZC_POLICY_MAX_SRC, &buf, &n, &err);
  if (rc != SQLITE_OK) {
    if (err) zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "policy_load: %s; expected a file of 1 to %d bytes of Lua", "policy_load：%s；应为 1 到 %d 字节的 Lua 文件"), err, ZC_POLICY_MAX_SRC);
    else sqlite3_result_error_nomem(ctx);
    goto done;
  }
  if (n == 0) {
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "policy_load: '%s' is empty; expected 1 to %d bytes of Lua", "policy_load：'%s' 是空文件；应为 1 到 %d 字节的 Lua 文件"), path, ZC_POLICY_MAX_SRC);
    goto done;
  }
  const char *base = strrchr(path, '/');
  chunk = sqlite3_mprintf("=%s", base ? base + 1 : path);
  if (!chunk) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  install_source(ctx, "policy_load", buf, n, chunk, untested);
done:
  sqlite3_free(err);
  sqlite3_free(buf);
  sqlite3_free(chunk);
}


/* ----------------------------------------------------------- registration */

int zc_policy_life_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  /* policy_load reads files; it, policy_install, policy_assign and
  ** policy_retire write: direct-only, so a hostile
  ** schema cannot call them from a view or trigger.  policy_in_force only
  ** reads. */
  static const ZcFunc aFunc[] = {
      {"policy_load", 1, ZC_DIRECT, policy_load_func},
      {"policy_load", 2, ZC_DIRECT, policy_load_func},
      {"policy_install", 1, ZC_DIRECT, policy_install_func},
      {"policy_install", 2, ZC_DIRECT, policy_install_func},
      {"policy_in_force", 2, SQLITE_UTF8, in_force_func},
      {"policy_assign", 2, ZC_DIRECT, assign_func},
      {"policy_retire", 1, ZC_DIRECT, retire_func},
  };
  return zc_register_funcs(db, aFunc, sizeof aFunc / sizeof aFunc[0], zc);
}
