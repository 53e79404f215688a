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
    *pzErr = sqlite3_mprintf("the policy runtime is not initialised");
    return NULL;
  }
  if (rt->L) return rt;
  if (zc_sb_state(rt, pzErr) != SQLITE_OK) return NULL;
  char *msg = NULL;
  int kind = zc_sb_run(rt, zc_sb_lib_open, rt, &msg);
  if (kind == RUN_OK) kind = zc_sb_run(rt, zc_pf_open, rt, &msg);
  if (kind != RUN_OK) {
    *pzErr = sqlite3_mprintf("cannot initialise the Lua sandbox: %s",
                             msg ? msg : kind == RUN_ERR ? "out of memory" : zc_sb_fatal_text(kind));
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
