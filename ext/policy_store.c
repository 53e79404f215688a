/*
** policy_store.c — the stored policy versions and the choice of the version
** in force:
**
**   SELECT policy_load('lua/zhongyang.lua');     -- 1   (new version id)
**   SELECT policy_install('return { name = "acme", effective_from = "2024-03-01",
**            eligible = function(e, day) return e.age >= 70, "70+" end,
**            meal = function(m, e, s) return { county = 500 }, "flat" end }');  -- 2
**   SELECT id, name, effective_from, sha256 FROM zhucan_policy;
**
** zhucan_policy(id, name, effective_from, sha256, source, installed_at) is
** created on the first install; triggers refuse UPDATE and DELETE, so a
** version id names one source text forever.  The version of a policy on a
** day is the one with the latest effective_from <= day, among equal dates
** the latest installed (highest id); a caller's ZcPolicyPick can hide the
** versions installed after a run (replay) and pin the index for a pass.
** The index of versions (id, name, effective_from, sha256) is re-read only
** when the database may have changed (SQLITE_FCNTL_DATA_VERSION,
** sqlite3_total_changes64, or a transaction ended), so choosing a version
** costs a few compares.  A version is loaded (policy_load.c) on first use
** and checked against its sha256.
*/
#include "modules.h"
#include "policy_int.h"
#include <errno.h>
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

int zc_ps_upgrade(sqlite3 *db, char **pzErr) {
  static const char *const cols[] = {"untested", "retired_on"};
  if (sqlite3_exec(db, create_sql, NULL, NULL, NULL) != SQLITE_OK) goto error;
  for (int i = 0; i < 2; i++) {
    int has = has_column(db, cols[i]);
    if (has < 0) {
      *pzErr = sqlite3_mprintf("cannot read the columns of zhucan_policy: %s", sqlite3_errstr(-has));
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
  *pzErr = sqlite3_mprintf("cannot create or upgrade zhucan_policy: %s", sqlite3_errmsg(db));
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

static void sha256_hex(const char *src, size_t n, char out[65]) {
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
    *pzErr = sqlite3_mprintf("cannot read zhucan_policy: %s", sqlite3_errmsg(db));
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
    *pzErr = sqlite3_mprintf("cannot read zhucan_policy: %s", sqlite3_errmsg(db));
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
    *pzErr = sqlite3_mprintf("cannot read policy version %lld: %s", r->id,
                             sqlite3_errmsg(rt->zc->db));
    rc = SQLITE_ERROR;
    goto done;
  }
  const char *src = (const char *)sqlite3_column_text(st, 0);
  size_t len = (size_t)sqlite3_column_bytes(st, 0);
  char sha[65];
  sha256_hex(src ? src : "", len, sha);
  if (r->eff == ZC_NONE || strcmp(sha, r->sha) != 0) {
    *pzErr = sqlite3_mprintf("policy version %lld (%s) is damaged: its %s", r->id, r->name,
                             r->eff == ZC_NONE ? "effective_from is not a date"
                                               : "source does not match its sha256");
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
    *pzErr = sqlite3_mprintf("policy version %lld (%s@%s) does not load: %s", r->id, r->name, eff,
                             msg ? msg : "out of memory");
    goto done;
  }
  if (strcmp(v->pub.name, r->name) != 0 || v->pub.effective_from != r->eff) {
    *pzErr = sqlite3_mprintf("policy version %lld is damaged: its row says %s@%s, its source %s@%s",
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
  if (rt->last_name && rt->last_day == day && rt->last_horizon == horizon &&
      strcmp(rt->last_name, name) == 0) {
    *out = rt->last_v;
    return SQLITE_OK;
  }
  int best = -1, found = 0, retired = 0;
  for (int i = 0; i < rt->nrows; i++) {
    const IndexRow *r = &rt->rows[i];
    if (strcmp(r->name, name) != 0) continue;
    /* replay(): versions installed after the run are invisible */
    if (horizon > 0 && r->id > horizon) continue;
    /* retired versions are never chosen (no stored run used one) */
    if (r->retired) {
      retired++;
      continue;
    }
    found = 1;
    if (r->eff == ZC_NONE) {
      *pzErr = sqlite3_mprintf("policy version %lld (%s) is damaged: its effective_from is not "
                               "a date", r->id, r->name);
      return SQLITE_ERROR;
    }
    /* rows are in id order: >= keeps the latest installed among equals */
    if (r->eff <= day && (best < 0 || r->eff >= rt->rows[best].eff)) best = i;
  }
  if (!found && retired) {
    *pzErr = sqlite3_mprintf("every version of policy '%s' is retired (%d); install a new version, or make "
                             "another policy govern the region with policy_assign()", name, retired);
    return SQLITE_ERROR;
  }
  if (!found) {
    *pzErr = sqlite3_mprintf("policy '%s' is not installed (install it with policy_load() or "
                             "policy_install())", name);
    return SQLITE_ERROR;
  }
  if (best >= 0) {
    rc = zc_ps_version(rt, &rt->rows[best], out, pzErr);
    if (rc != SQLITE_OK) return rc;
  }
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
static char *untested_arg(int argc, sqlite3_value **argv, const char *fn, const char **out) {
  *out = NULL;
  if (argc < 2) return NULL;
  const unsigned char *z = sqlite3_value_text(argv[1]);
  int n = sqlite3_value_bytes(argv[1]);
  int blank = 1;
  for (int i = 0; z && i < n; i++) blank &= z[i] == ' ';
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT || blank || n > MAX_UNTESTED ||
      !zc_utf8_valid(z, (size_t)n, NULL) || strlen((const char *)z) != (size_t)n) {
    char *r = zc_value_repr(argv[1]);
    char *m = sqlite3_mprintf("%s: untested reason %s is not a reason; expected text of 1 to %d bytes of UTF-8 "
                              "saying why this version has no test cases",
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
    *pzErr = sqlite3_mprintf("interrupted while running the test cases of %s@%s; nothing installed", VNAME(v));
  } else if (nfail || rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("%s@%s is not installed: %d of %d of its test cases failed:%s", VNAME(v), nfail, ncase,
                             list ? list : "");
    rc = SQLITE_ERROR;
  } else if (ncase == 0 && !untested) {
    *pzErr = sqlite3_mprintf("%s@%s has no test cases, so nothing shows it pays what it should; add hand-worked "
                             "cases to its tests table (docs/rules.md, \"Testing\"), or install it untested by "
                             "saying why: %s(..., 'the reason')", VNAME(v), fn);
    rc = SQLITE_ERROR;
  } else if (ncase > 0 && untested) {
    *pzErr = sqlite3_mprintf("%s@%s has %d test cases (all pass): it is not untested; call %s() without the "
                             "untested reason", VNAME(v), ncase, fn);
    rc = SQLITE_ERROR;
  }
  sqlite3_free(list);
  return rc;
}

static void install_source(sqlite3_context *ctx, const char *fn, const char *src, size_t len,
                           const char *chunk, const char *untested) {
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  char *err = NULL, *msg = NULL;
  PVersion *v = NULL;
  sqlite3_stmt *st = NULL;
  int code = SQLITE_ERROR;   /* the error code the host gets */
  if (zc_writable(db, fn, &err) != SQLITE_OK) {
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
    err = sqlite3_mprintf("%s", msg ? msg : "out of memory");
    goto error;
  }
  char sha[65], when[20];
  sha256_hex(src, len, sha);
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
    err = sqlite3_mprintf("cannot read the clock");
    goto error;
  }
  /* the same source as a version of its policy: that version, nothing
  ** added (so a statement that installs what it reads from zhucan_policy
  ** ends: it adds no rows) */
  int was_retired = 0;
  sqlite3_int64 same = same_source(db, v->pub.name, sha, &was_retired);
  if (same && was_retired) {
    err = sqlite3_mprintf("this source is version %lld of %s@%s, which is retired; a retired version never "
                          "comes back: to use these rules again, change the source (a comment will do) and "
                          "install it as a new version", same, VNAME(v));
    goto error;
  }
  if (same) {
    sqlite3_result_int64(ctx, same);
    goto done;
  }
  /* the tests run on the version as it will be stored: loaded under the
  ** name stored versions have, so that their errors (and a case's
  ** error = "...") read "name@effective_from:line" as policy_test's do */
  char *vchunk = sqlite3_mprintf("=%s@%s", VNAME(v));
  if (!vchunk) goto error;
  zc_pl_free(rt, v);
  v = NULL;
  rc = zc_pl_load(rt, src, len, vchunk, &v, &msg);
  sqlite3_free(vchunk);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_INTERRUPT) code = SQLITE_INTERRUPT;
    err = sqlite3_mprintf("%s", msg ? msg : "out of memory");
    goto error;
  }
  rc = gate(rt, v, fn, untested, &err);
  if (rc == SQLITE_INTERRUPT) {
    zc_errorf(ctx, "%s: %s", fn, err ? err : "interrupted");
    sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
    goto done;
  }
  if (rc != SQLITE_OK) goto error;
  if (zc_ps_upgrade(db, &err) != SQLITE_OK) goto error;
  sqlite3_int64 before = sqlite3_last_insert_rowid(db);
  if (sqlite3_prepare_v2(db, "INSERT INTO zhucan_policy(name, effective_from, sha256, source,"
                         " installed_at, untested) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK) {
    err = sqlite3_mprintf("cannot store the policy: %s", sqlite3_errmsg(db));
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
    err = sqlite3_mprintf("cannot store the policy: %s", sqlite3_errmsg(db));
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
    zc_errorf(ctx, "%s: %s", fn, err);
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
  char *uerr = untested_arg(argc, argv, "policy_install", &untested);
  if (uerr) {
    sqlite3_result_error(ctx, uerr, -1);
    sqlite3_free(uerr);
    return;
  }
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    char *r = zc_value_repr(argv[0]);
    zc_errorf(ctx, "policy_install: source %s is not text; expected the Lua source of a policy",
              r ? r : "?");
    sqlite3_free(r);
    return;
  }
  const char *src = (const char *)sqlite3_value_text(argv[0]);
  int n = sqlite3_value_bytes(argv[0]);
  if (n == 0 || n > ZC_POLICY_MAX_SRC) {
    zc_errorf(ctx, "policy_install: source is %d bytes; expected 1 to %d bytes of Lua", n,
              ZC_POLICY_MAX_SRC);
    return;
  }
  install_source(ctx, "policy_install", src, (size_t)n, "=source", untested);
}

static void policy_load_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *untested = NULL;
  char *uerr = untested_arg(argc, argv, "policy_load", &untested);
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
    zc_errorf(ctx, "policy_load: path %s is not a file name", r ? r : "?");
    sqlite3_free(r);
    goto done;
  }
  /* a regular file only: a FIFO or /dev/zero is refused, never waited on */
  int rc = zc_read_file(path, ZC_POLICY_MAX_SRC, &buf, &n, &err);
  if (rc != SQLITE_OK) {
    if (err) zc_errorf(ctx, "policy_load: %s; expected a file of 1 to %d bytes of Lua", err, ZC_POLICY_MAX_SRC);
    else sqlite3_result_error_nomem(ctx);
    goto done;
  }
  if (n == 0) {
    zc_errorf(ctx, "policy_load: '%s' is empty; expected 1 to %d bytes of Lua", path, ZC_POLICY_MAX_SRC);
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
      {"policy_load", 1, ZC_DIRECT, policy_load_func},
      {"policy_load", 2, ZC_DIRECT, policy_load_func},
      {"policy_install", 1, ZC_DIRECT, policy_install_func},
      {"policy_install", 2, ZC_DIRECT, policy_install_func},
      /* the triggers of zhucan_policy call it: innocuous, so they may
      ** under PRAGMA trusted_schema = OFF */
      {"zhucan_policy_guard", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, policy_guard_func},
  };
  int rc = zc_rt_init(zc);
  if (rc != SQLITE_OK) return rc;
  return zc_register_funcs(db, aFunc, sizeof aFunc / sizeof aFunc[0], zc);
}
