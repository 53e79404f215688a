/*
** policy_rt.c — the policy runtime's lifetime: one per connection, made at
** registration, its Lua state (sandbox.c, policy_facts.c) created on first
** use, everything released when the connection closes.  No SQL of its own.
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
  rt->mem_cap = ZC_POLICY_MEM_CAP;
  const char *nm = getenv("ZHUCAN_NO_MEMO");
  rt->memo_on = !(nm && strcmp(nm, "1") == 0);
  zc_map_init(&rt->by_id);
  zc->policy = rt;
  return SQLITE_OK;
}

Rt *zc_rt_get(ZcConn *zc, char **pzErr) {
  Rt *rt = zc->policy;
  if (!rt) {
    *pzErr = sqlite3_mprintf("the policy runtime is not initialised");
    return NULL;
  }
  if (rt->L) return rt;
  lua_State *L = lua_newstate(zc_sb_alloc, rt);
  if (!L) {
    *pzErr = sqlite3_mprintf("cannot create the Lua state: out of memory");
    return NULL;
  }
  rt->L = L;
  char *msg = NULL;
  if (zc_sb_run(rt, zc_sb_open, rt, &msg) != RUN_OK || zc_sb_run(rt, zc_pf_open, rt, &msg) != RUN_OK) {
    *pzErr = sqlite3_mprintf("cannot initialise the Lua sandbox: %s", msg ? msg : "out of memory");
    sqlite3_free(msg);
    lua_close(L);
    rt->L = NULL;
    return NULL;
  }
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
  if (rt->L) lua_close(rt->L);
  for (int i = 0; i < rt->nrows; i++) sqlite3_free(rt->rows[i].name);
  sqlite3_free(rt->rows);
  zc_map_clear(&rt->by_id);
  sqlite3_free(rt->last_name);
  sqlite3_free(rt->kbuf);
  sqlite3_free(rt->items);
  sqlite3_free(rt);
  zc->policy = NULL;
}
