/*
** zhucan.c — the loadable extension's entry points and its module table.
**
**   .load ./zhucan                 -- entry point sqlite3_zhucan_init
**   SELECT zhucan_version();       -- 'zhucan 0.1.0 (SQLite 3.40.1, PCRE2 10.42, Lua 5.4.4)'
**
** The extension also exports sqlite3_extension_init, so it loads under any
** file name (the SQLite ODBC driver and others derive the entry point from
** the file name, or fall back to that one).  Nothing else is exported.
**
** Each module registers its own SQL through one function listed in aModule
** below; the per-connection state (ZcConn) is freed when the connection
** closes, through the destructor of zhucan_version().
*/
#include "modules.h"
SQLITE_EXTENSION_INIT1
#define PCRE2_CODE_UNIT_WIDTH 8
#include <lua.h>
#include <pcre2.h>
#include <string.h>

static const struct {
  const char *name;
  ZcRegisterFn xRegister;
} aModule[] = {
    {"lang", zc_lang_register},
    {"identity", zc_identity_register}, {"regex", zc_regex_register},
    {"policy", zc_policy_register},     {"policy_test", zc_policy_test_register},
    {"policy_life", zc_policy_life_register},
    {"subsidy", zc_subsidy_register},
    {"settle", zc_settle_register},     {"run", zc_run_register},
    {"replay", zc_replay_register},
    {"pack", zc_pack_register},         {"anomaly", zc_anomaly_register},
    {"ingest", zc_ingest_register},     {"verify", zc_verify_register},
    {"impact", zc_impact_register},
    {"notice", zc_notice_register},
    {"honour", zc_honour_register},     {"award", zc_award_register},
    {"credit", zc_credit_register},     {"credit_write", zc_credit_write_register},
    {"credit_run", zc_credit_run_register}, {"credit_verify", zc_credit_verify_register},
};

/* The prepared statements modules keep between calls, finalized (each is
** prepared again on its next use). */
static void modules_finalize(ZcConn *zc) {
  zc_facts_finalize(zc);
  zc_meals_finalize(zc);
  zc_common_finalize(zc);
}

/* Every module's per-connection state, released in one place. */
static void modules_free(ZcConn *zc) {
  modules_finalize(zc);
  zc_regex_free(zc);
  zc_policy_free(zc);
  zc_meals_free(zc);
  zc_notice_cache_free(zc);
  zc_facts_free(zc);
  zc_common_free(zc);
}

/* The destructor of zhucan_version(): runs when the connection really
** closes (or the extension is loaded again), never before. */
static void conn_free(void *p) {
  ZcConn *zc = p;
  if (zc == NULL) return;
  modules_free(zc);
  sqlite3_free(zc);
}

/* Modules keep prepared statements between calls (SQLITE_PREPARE_PERSISTENT)
** for speed; sqlite3_close() refuses to close a connection with unfinalized
** statements, and function destructors run only after that check.  The
** SQLITE_TRACE_CLOSE callback runs before it, so our statements are
** finalized there — and nothing else: when sqlite3_close() still answers
** SQLITE_BUSY (a statement of the host's is open) the connection stays
** open, and so does all of zhucan's state; the statements are prepared
** again on their next use.  (A host that installs its own trace callback
** replaces this one; sqlite3_close_v2 hosts are unaffected either way.) */
static int trace_close(unsigned type, void *pCtx, void *p, void *x) {
  (void)x;
  if (type == SQLITE_TRACE_CLOSE) modules_finalize(pCtx);
  /* each run of a statement starts: the callers settle() remembers
  ** (common.c, zc_caller_*) tell a reused statement pointer apart */
  if (type == SQLITE_TRACE_STMT) zc_stmt_started(pCtx, p);
  return 0;
}

static void version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  char pcre[64] = "";
  pcre2_config(PCRE2_CONFIG_VERSION, pcre);
  char *z = sqlite3_mprintf("zhucan %s (SQLite %s, PCRE2 %s, %s)", ZC_VERSION,
                            sqlite3_libversion(), pcre, LUA_RELEASE);
  if (z == NULL) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
}

static int zhucan_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  ZcConn *zc = sqlite3_malloc(sizeof *zc);
  if (zc == NULL) {
    if (pzErrMsg) *pzErrMsg = sqlite3_mprintf("zhucan: out of memory");
    return SQLITE_NOMEM;
  }
  memset(zc, 0, sizeof *zc);
  zc->db = db;
  /* zhucan_version owns the connection state: its destructor runs when the
  ** connection closes (or the extension is loaded again). */
  int rc = sqlite3_create_function_v2(db, "zhucan_version", 0, ZC_PURE, zc, version_func,
                                      NULL, NULL, conn_free);
  if (rc != SQLITE_OK) {
    /* SQLite has called the destructor already (conn_free): zc is gone.
    ** (Loading zhucan again while a statement runs ends here: BUSY.) */
    if (pzErrMsg && !*pzErrMsg)
      *pzErrMsg = sqlite3_mprintf("zhucan: cannot register its functions: %s", sqlite3_errstr(rc));
    return rc;
  }
  rc = sqlite3_trace_v2(db, SQLITE_TRACE_CLOSE | SQLITE_TRACE_STMT, trace_close, zc);
  if (rc != SQLITE_OK) return rc;
  for (size_t i = 0; i < sizeof aModule / sizeof aModule[0]; i++) {
    rc = aModule[i].xRegister(db, zc, pzErrMsg);
    if (rc != SQLITE_OK) {
      if (pzErrMsg && *pzErrMsg == NULL)
        *pzErrMsg = sqlite3_mprintf("zhucan: registering module %s failed: %s", aModule[i].name,
                                    sqlite3_errstr(rc));
      return rc;
    }
  }
  return SQLITE_OK;
}

__attribute__((visibility("default"))) int sqlite3_zhucan_init(sqlite3 *db, char **pzErrMsg,
                                                               const sqlite3_api_routines *pApi) {
  return zhucan_init(db, pzErrMsg, pApi);
}

__attribute__((visibility("default"))) int sqlite3_extension_init(
    sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  return zhucan_init(db, pzErrMsg, pApi);
}
