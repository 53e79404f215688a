/*
** policy_rt.c — the policy runtime's lifetime: one per connection, made at
** registration, its Lua state (sandbox.c; the library of sandbox_lib.c and
** the fact proxies of policy_facts.c) created on first use, everything
** released when the connection closes.  No SQL of its own.
*/
#include "modules.h"
#include "policy_int.h"
#include <stdlib.h>
#include <string.h>

/* The runtime, before any Lua state: set up by zc_policy_register. */
int zc_rt_init(ZcConn *zc) {
  Rt *rt = sqlite3_malloc(sizeof *rt);
  if (!rt) return SQLITE_NOMEM;
  memset(rt, 0, sizeof *rt);
  rt->zc = zc;
  const char *nm = getenv("ZHUCAN_NO_MEMO");
  rt->memo_on = !(nm && strcmp(nm, "1") == 0);
  zc_map_init(&rt->by_id);
  zc->policy = rt;
  return SQLITE_OK;
}

Rt *zc_rt_get(ZcConn *zc, char **pzErr) {
  Rt *rt = zc->policy;
  if (!rt) {
    *pzErr = sqlite3_mprintf("%s", zc_tr(zc, "the policy runtime is not initialised", "政策运行环境没有初始化"));
    return NULL;
  }
  if (rt->L) return rt;
  if (zc_sb_state(rt, pzErr) != SQLITE_OK) return NULL;
  char *msg = NULL;
  int kind = zc_sb_run(rt, zc_sb_lib_open, rt, &msg);
  if (kind == RUN_OK) kind = zc_sb_run(rt, zc_pf_open, rt, &msg);
  if (kind != RUN_OK) {
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "cannot initialise the Lua sandbox: %s", "无法初始化 Lua 沙箱：%s"),
                             msg ? msg : kind == RUN_ERR ? "out of memory" : zc_sb_fatal_text(rt->zc, kind));
    sqlite3_free(msg);
    zc_sb_close(rt);
    return NULL;
  }
  zc_sb_settle(rt);
  return rt;
}

void zc_policy_free(ZcConn *zc) {
  Rt *rt = zc->policy;
  if (!rt) return;
  while (rt->all) {
    PVersion *nx = rt->all->next_all;
    zc_pl_free(rt, rt->all);
    rt->all = nx;
  }
  zc_sb_close(rt);
  for (int i = 0; i < rt->nrows; i++) sqlite3_free(rt->rows[i].name);
  sqlite3_free(rt->rows);
  zc_map_clear(&rt->by_id);
  sqlite3_free(rt->last_name);
  sqlite3_free(rt->kbuf);
  sqlite3_free(rt->items);
  sqlite3_free(rt);
  zc->policy = NULL;
}

/* ------------------------------------------- proposals (policy_impact) */

_Static_assert(ZC_POLICY_SOURCE_MAX == ZC_POLICY_MAX_SRC, "policy.h and policy_int.h disagree on the source limit");

int zc_policy_proposal(ZcConn *zc, const char *src, size_t len, const char *chunk,
                       const ZcPolicyVersion **out, char **pzErr) {
  *out = NULL;
  if (len == 0 || len > ZC_POLICY_MAX_SRC) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "source is %lld bytes; expected 1 to %d bytes of Lua", "源码有 %lld 字节；应为 1 到 %d 字节的 Lua 源码"), (long long)len,
                             ZC_POLICY_MAX_SRC);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  Rt *rt = zc_rt_get(zc, pzErr);
  if (!rt) return SQLITE_ERROR;
  PVersion *v = NULL;
  char *msg = NULL;
  int rc = zc_pl_load(rt, src, len, chunk, &v, &msg);
  if (rc != SQLITE_OK) {
    *pzErr = msg;
    return rc == SQLITE_NOMEM && !msg ? SQLITE_NOMEM : rc;
  }
  v->pub.id = 0;          /* not stored: "version 0" in messages */
  v->pub.sha256[0] = 0;
  *out = &v->pub;
  return SQLITE_OK;
}

void zc_policy_proposal_free(ZcConn *zc, const ZcPolicyVersion *v) {
  Rt *rt = zc->policy;
  if (rt && v) zc_pl_free(rt, (PVersion *)(uintptr_t)v);
}
