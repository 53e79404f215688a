/*
** policy.c — the policy store and the sandboxed Lua runtime.
**
**   SELECT policy_load('lua/zhongyang.lua');     -- 1   (new version id)
**   SELECT policy_install('return { name = "acme", effective_from = "2024-03-01",
**            eligible = function(e, day) return e.age >= 70, "70+" end,
**            meal = function(m, e, s) return { county = 500 }, "flat" end }');  -- 2
**   SELECT policy_test('zhongyang');              -- 'ok: 9 cases'
**   SELECT id, name, effective_from, sha256 FROM zhucan_policy;
**
** STORE.  zhucan_policy(id, name, effective_from, sha256, source,
** installed_at) is created on the first install; triggers refuse UPDATE and
** DELETE, so a version id names one source text forever.  The version of a
** policy on a day is the one with the latest effective_from <= day, among
** equal dates the latest installed (highest id).  The index of versions
** (id, name, effective_from, sha256) is re-read only when the database may
** have changed (SQLITE_FCNTL_DATA_VERSION, sqlite3_total_changes64, or a
** transaction ended), so choosing a version costs a few compares.
**
** SANDBOX (after Redis' script_lua.c and the CVEs against it).  One
** lua_State per connection with a counting allocator (64 MiB cap); base
** (pruned), string, table, math, utf8 opened one by one; no io, os,
** package, require, debug, load, dofile, collectgarbage, string.dump,
** coroutines, randomness or clock; string.find is plain-only and
** match/gmatch/gsub are absent (Lua patterns backtrack in C where no hook
** can stop them); setmetatable refuses __gc (finalizers run with hooks off)
** and __mode (results would depend on GC timing); tostring never shows
** addresses; getmetatable("") answers a string, not the string metatable.
** Chunks are text only (mode "t").  Each version runs in its own _ENV whose
** reads fall through to a read-only base and end in an error for an
** undeclared global.  After the chunk ran, its globals, the returned table
** and every table reachable from it or from its functions' upvalues are
** frozen in place (contents moved behind a protected metatable); after each
** call the functions' upvalues are compared with a snapshot, so a rule that
** assigns a chunk-level local fails.  No call can leak state into the next.
** Each call gets a budget of ZC_POLICY_BUDGET VM instructions (count hook);
** once exceeded — or once the allocator refused memory — the hook raises
** on every instruction, so pcall cannot swallow it, and the call fails
** whatever it returns.
**
** FACTS reach Lua as persistent proxy tables (elder, elder.status, meal,
** site, site.slots, stats), created once per state: __index is a C
** function that reads the current C struct and records the field in an
** access mask.  Nothing is allocated per call for facts.
**
** MEMO.  A rule is a deterministic function of the values it read: its
** inputs are the facts (read only through the proxies, each read recorded),
** the day/service arguments (always part of the key) and the version's own
** frozen tables (immutable, as the version is).  So if a new call agrees
** with an earlier call on every field the earlier call read, the rule
** takes the same path, reads the same fields and returns the same result.
** Per version and function we keep the distinct masks observed and a hash
** table from (mask, values of the masked fields) to the result; a call
** probes each known mask and calls Lua only on a miss.  Entries never go
** stale: versions are immutable and the caller rebuilds facts from the data
** for every call, so changed data means changed key values, not a stale
** entry.  A memo holding MEMO_MAX_ENTRIES entries or MEMO_MAX_MASKS masks
** is cleared.  ZHUCAN_NO_MEMO=1 in the environment at load time turns it
** off (tests compare both).
*/
#include "modules.h"
#include "policy.h"
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZC_POLICY_BUDGET   10000000L        /* VM instructions per call */
#define ZC_POLICY_HOOK     1000             /* hook tick, instructions */
#define ZC_POLICY_MEM_CAP  (64u << 20)      /* bytes per connection state */
#define ZC_POLICY_MAX_SRC  (1 << 20)        /* bytes of source text */
#define MEMO_MAX_MASKS     16
#define MEMO_MAX_ENTRIES   (1 << 16)
#define MAX_NAME           64
#define MAX_DEPTH          64

enum { FN_ELIGIBLE, FN_MEAL, FN_SITE };
static const char *const fn_name[] = {"eligible", "meal", "site"};

/* ------------------------------------------------------------ fact fields */

/* Bits of Mask.f: one per field the rules can read. */
enum { K_ELDER, K_MEAL, K_SITE, K_STATS };
static const char *const kind_name[] = {"elder", "meal", "site", "stats"};
static const char *const elder_fields[] = {"id", "sex", "birth_date", "age", "region", "village",
                                           "township", "county", "died_on", "status",
                                           "agreement", "bed", NULL};
static const char *const meal_fields[] = {"id", "slot", "day", "served_at", "time", "method",
                                          "device", "token", "price_fen", "site_id", "nth_slot",
                                          "nth_day", "nth_month", NULL};
static const char *const site_fields[] = {"id", "name", "kind", "grade", "beds", "area_m2",
                                          "opened_on", "closed_on", "slots", "region",
                                          "village", "township", "county", NULL};
static const char *const stats_fields[] = {"meals", "subsidised_meals", "diners", "days_served",
                                           "residents_full", "residents_semi", NULL};
static const char *const *const kind_fields[] = {elder_fields, meal_fields, site_fields,
                                                 stats_fields};
static const int kind_base[] = {0, 12, 25, 38};
enum { E_ID, E_SEX, E_BIRTH, E_AGE, E_REGION, E_VILLAGE, E_TOWNSHIP, E_COUNTY, E_DIED,
       E_STATUS, E_AGREEMENT, E_BED };
enum { M_ID, M_SLOT, M_DAY, M_SERVED, M_TIME, M_METHOD, M_DEVICE, M_TOKEN, M_PRICE,
       M_SITE_ID, M_NTH_SLOT, M_NTH_DAY, M_NTH_MONTH };
enum { S_ID, S_NAME, S_KIND, S_GRADE, S_BEDS, S_AREA, S_OPENED, S_CLOSED, S_SLOTS, S_REGION,
       S_VILLAGE, S_TOWNSHIP, S_COUNTY };
#define BIT(kind, i) (1ull << (kind_base[kind] + (i)))

typedef struct Mask {
  uint64_t f;    /* fields read */
  uint64_t st;   /* status words read (bits of ZcElderFacts.status) */
} Mask;

/* ------------------------------------------------------------------ memo */

typedef struct MemoEntry {
  struct MemoEntry *next;  /* same hash */
  int imask, klen;
  int ok;                  /* eligible() */
  const char *reason;      /* interned */
  int nparts;
  ZcPart parts[];          /* then klen key bytes */
} MemoEntry;

typedef struct Memo {
  Mask masks[MEMO_MAX_MASKS];
  int nmask;
  unsigned char order[MEMO_MAX_MASKS]; /* probe order: the last hit first */
  ZcMap map;               /* hash -> MemoEntry* (chain head) */
  size_t n;
} Memo;

/* -------------------------------------------------------------- versions */

typedef struct PNum {
  char *key;
  double val;
} PNum;

typedef struct PVersion {
  ZcPolicyVersion pub;     /* first: a ZcPolicyVersion* is a PVersion* */
  char *name;
  int ref_fn[3];           /* registry refs to eligible, meal, site */
  int ref_snap;            /* upvalue snapshot: f, i, value triples */
  int ref_tests;           /* the tests table or LUA_NOREF */
  int nparams, nanomaly;
  PNum *params, *anomaly;
  char *params_json;
  Memo memo[2];
  struct PVersion *next_all;
} PVersion;

typedef struct IndexRow {
  sqlite3_int64 id;
  char *name;
  int eff;                 /* ZC_NONE when the stored text is not a date */
  char sha[65];
} IndexRow;

struct ZcPolicyRt {
  ZcConn *zc;
  lua_State *L;
  size_t mem, mem_cap;
  int mem_hit, budget_hit, in_call;
  long steps;
  int memo_on;
  /* fact proxies (registry refs) and the struct each reads now */
  int ref_proxy[4];
  int ref_base;
  const ZcElderFacts *cur_elder;
  const ZcMealFacts *cur_meal;
  const ZcSiteFacts *cur_site;
  const ZcSiteStats *cur_stats;
  Mask seen;
  /* version index */
  int idx_valid, idx_autocommit, txn_dirty;
  unsigned int idx_dv;
  sqlite3_int64 idx_tc;
  IndexRow *rows;
  int nrows;
  ZcMap by_id;             /* id -> PVersion* loaded and current */
  PVersion *all;           /* every version ever loaded (freed at close) */
  /* last for_name answer */
  char *last_name;
  int last_day;
  sqlite3_int64 last_horizon;     /* the pick's horizon of the cached answer */
  const ZcPolicyVersion *last_v;
  /* scratch */
  unsigned char *kbuf;
  size_t kcap, klen;
  int koom;                /* the key being built ran out of memory */
  ZcSiteItem *items;
  int items_cap;
  ZcPart meal_parts[ZC_MAX_PARTS];
};
typedef struct ZcPolicyRt Rt;

static Rt *rt_of(lua_State *L) {
  void *ud = NULL;
  lua_getallocf(L, &ud);
  return ud;
}

/* ------------------------------------------------------------- allocator */

static void rt_hook(lua_State *L, lua_Debug *ar);

static void *rt_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  Rt *rt = ud;
  if (ptr == NULL) osize = 0;
  if (nsize == 0) {
    free(ptr);
    rt->mem -= osize;
    return NULL;
  }
  if (nsize > osize && rt->mem + (nsize - osize) > rt->mem_cap) {
    /* Over the cap: refuse, and make the hook raise on every instruction
    ** from now on (lua_sethook is safe to call asynchronously). */
    rt->mem_hit = 1;
    if (rt->L && rt->in_call) lua_sethook(rt->L, rt_hook, LUA_MASKCOUNT, 1);
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (p == NULL) {
    if (nsize > osize) rt->mem_hit = 1;
    return NULL;
  }
  rt->mem = rt->mem - osize + nsize;
  return p;
}

static void rt_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  Rt *rt = rt_of(L);
  if (!rt->in_call) return;
  if (!rt->budget_hit && !rt->mem_hit) {
    rt->steps += ZC_POLICY_HOOK;
    if (rt->steps < ZC_POLICY_BUDGET) return;
    rt->budget_hit = 1;
  }
  /* From now on every instruction raises, in this thread and the main one. */
  lua_sethook(L, rt_hook, LUA_MASKCOUNT, 1);
  if (L != rt->L) lua_sethook(rt->L, rt_hook, LUA_MASKCOUNT, 1);
  luaL_error(L, rt->budget_hit ? "instruction budget exceeded" : "memory cap exceeded");
}

/* ------------------------------------------------------- frozen tables */

static int frozen_newindex(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, "attempt to modify read-only policy table (field '%s')",
                      lua_tostring(L, 2));
  return luaL_error(L, "attempt to modify read-only policy table");
}

/* Pushes the table holding t's contents: its hidden table if t is frozen,
** else t itself; -1 if t has a metatable of another kind. */
static int push_contents(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (!lua_getmetatable(L, idx)) {
    lua_pushvalue(L, idx);
    return 1;
  }
  lua_pushliteral(L, "__newindex");
  lua_rawget(L, -2);
  int frozen = lua_tocfunction(L, -1) == frozen_newindex;
  lua_pop(L, 1);
  if (!frozen) {
    lua_pop(L, 1);
    return -1;
  }
  lua_pushliteral(L, "__index");
  lua_rawget(L, -2);
  lua_remove(L, -2);
  return 1;
}

static int frozen_len(lua_State *L) {
  push_contents(L, 1);
  lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
  return 1;
}

static int raw_next(lua_State *L) {
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

static int frozen_pairs(lua_State *L) {
  lua_pushcfunction(L, raw_next);
  push_contents(L, 1);
  lua_pushnil(L);
  return 3;
}

/* Freezes the value at idx in place (tables: contents moved to a hidden
** table behind a protected metatable; Lua functions: their upvalues,
** recorded in the snapshot table at snap).  visited at vis. */
static void freeze(lua_State *L, int idx, int vis, int snap, int depth) {
  idx = lua_absindex(L, idx);
  int t = lua_type(L, idx);
  if (t != LUA_TTABLE && t != LUA_TFUNCTION) return;
  if (t == LUA_TFUNCTION && lua_iscfunction(L, idx)) return;
  if (depth > MAX_DEPTH) luaL_error(L, "policy tables nest more than %d deep", MAX_DEPTH);
  luaL_checkstack(L, 8, "freezing the policy");
  lua_pushvalue(L, idx);
  if (lua_rawget(L, vis) != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, vis);
  if (t == LUA_TFUNCTION) {
    for (int i = 1;; i++) {
      if (lua_getupvalue(L, idx, i) == NULL) break;
      freeze(L, -1, vis, snap, depth + 1);
      lua_Integer n = (lua_Integer)lua_rawlen(L, snap);
      lua_pushvalue(L, idx);
      lua_rawseti(L, snap, n + 1);
      lua_pushinteger(L, i);
      lua_rawseti(L, snap, n + 2);
      lua_rawseti(L, snap, n + 3);   /* the upvalue's value */
    }
    return;
  }
  if (lua_getmetatable(L, idx)) {
    lua_pop(L, 1);
    if (push_contents(L, idx) < 0)
      luaL_error(L, "tables in a policy must not have metatables (found one at depth %d)", depth);
    lua_pop(L, 1);
    return;   /* already frozen */
  }
  lua_newtable(L);                   /* hidden */
  int h = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    freeze(L, -2, vis, snap, depth + 1);
    freeze(L, -1, vis, snap, depth + 1);
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, h);
  }
  lua_pushnil(L);
  while (lua_next(L, h)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, idx);
  }
  lua_createtable(L, 0, 5);
  lua_pushvalue(L, h);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, frozen_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, frozen_len);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, frozen_pairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, idx);
  lua_pop(L, 1);
}

/* ---------------------------------------------------- sandboxed library */

static int sb_print(lua_State *L) {
  (void)L;
  return 0;
}

static int sb_tostring(lua_State *L) {
  luaL_checkany(L, 1);
  int t = lua_type(L, 1);
  if ((t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TUSERDATA || t == LUA_TTHREAD ||
       t == LUA_TLIGHTUSERDATA) &&
      luaL_getmetafield(L, 1, "__tostring") == LUA_TNIL) {
    lua_pushstring(L, lua_typename(L, t));   /* never an address */
    return 1;
  }
  lua_settop(L, 1);
  luaL_tolstring(L, 1, NULL);
  return 1;
}

static int sb_setmetatable(lua_State *L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE) {
    static const char *const banned[] = {"__gc", "__mode"};
    for (int i = 0; i < 2; i++) {
      lua_pushstring(L, banned[i]);
      if (lua_rawget(L, 2) != LUA_TNIL)
        return luaL_error(L, "setmetatable: %s is not allowed in a policy", banned[i]);
      lua_pop(L, 1);
    }
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

/* string.find, plain only: Lua patterns backtrack inside C, where the
** instruction hook cannot interrupt them. */
static int sb_find(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  lua_Integer init = luaL_optinteger(L, 3, 1);
  if (!lua_toboolean(L, 4))
    return luaL_error(L, "string.find: policies may only search plain text: "
                         "pass true as the 4th argument");
  if (init < 0) init = (lua_Integer)ls + init + 1;
  if (init < 1) init = 1;
  if (init > (lua_Integer)ls + 1) {
    lua_pushnil(L);
    return 1;
  }
  const char *hay = s + init - 1;
  size_t left = ls - (size_t)(init - 1);
  for (size_t i = 0; lp <= left && i <= left - lp; i++) {
    if (memcmp(hay + i, p, lp) == 0) {
      lua_pushinteger(L, init + (lua_Integer)i);
      lua_pushinteger(L, init + (lua_Integer)(i + lp) - 1);
      return 2;
    }
  }
  lua_pushnil(L);
  return 1;
}

static int undeclared_global(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, "undeclared global '%s'", lua_tostring(L, 2));
  return luaL_error(L, "undeclared global");
}

static int global_assign(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, "assignment to global '%s': policy globals are read-only "
                         "(use a local)", lua_tostring(L, 2));
  return luaL_error(L, "assignment to a global: policy globals are read-only");
}

/* Builds the state: libraries, the read-only base table, fact proxies. */
static int push_proxy(lua_State *L, int kind);
static int rt_init_lua(lua_State *L) {
  Rt *rt = lua_touserdata(L, 1);
  static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
                                  {LUA_STRLIBNAME, luaopen_string},
                                  {LUA_TABLIBNAME, luaopen_table},
                                  {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8},
                                  {NULL, NULL}};
  for (const luaL_Reg *l = libs; l->name; l++) {
    luaL_requiref(L, l->name, l->func, 1);
    lua_pop(L, 1);
  }
  lua_pushglobaltable(L);
  int g = lua_gettop(L);
  /* base: the allow-list */
  lua_newtable(L);
  int base = lua_gettop(L);
  static const char *const keep[] = {"assert", "error", "getmetatable", "ipairs", "next",
                                     "pairs", "pcall", "rawequal", "rawlen", "select",
                                     "tonumber", "type", "xpcall", "_VERSION", NULL};
  for (int i = 0; keep[i]; i++) {
    lua_getfield(L, g, keep[i]);
    lua_setfield(L, base, keep[i]);
  }
  lua_pushcfunction(L, sb_print);
  lua_setfield(L, base, "print");
  lua_pushcfunction(L, sb_tostring);
  lua_setfield(L, base, "tostring");
  lua_pushcfunction(L, sb_setmetatable);
  lua_setfield(L, base, "setmetatable");
  /* string: no dump, no pattern matching beyond plain find */
  lua_getfield(L, g, LUA_STRLIBNAME);
  static const char *const str_drop[] = {"dump", "match", "gmatch", "gsub", NULL};
  for (int i = 0; str_drop[i]; i++) {
    lua_pushnil(L);
    lua_setfield(L, -2, str_drop[i]);
  }
  lua_pushcfunction(L, sb_find);
  lua_setfield(L, -2, "find");
  /* the string metatable: protected, and its __index is the pruned lib */
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushliteral(L, "string");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  lua_setfield(L, base, LUA_STRLIBNAME);
  lua_getfield(L, g, LUA_MATHLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "random");
  lua_pushnil(L);
  lua_setfield(L, -2, "randomseed");
  lua_setfield(L, base, LUA_MATHLIBNAME);
  lua_getfield(L, g, LUA_TABLIBNAME);
  lua_setfield(L, base, LUA_TABLIBNAME);
  lua_getfield(L, g, LUA_UTF8LIBNAME);
  lua_setfield(L, base, LUA_UTF8LIBNAME);
  /* freeze the libraries (a rule must not patch string.upper for the next) */
  lua_newtable(L);
  int vis = lua_gettop(L);
  lua_newtable(L);
  int snap = lua_gettop(L);
  static const char *const libnames[] = {LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_TABLIBNAME,
                                         LUA_UTF8LIBNAME, NULL};
  for (int i = 0; libnames[i]; i++) {
    lua_getfield(L, base, libnames[i]);
    freeze(L, -1, vis, snap, 0);
    lua_pop(L, 1);
  }
  lua_pop(L, 2);
  /* the end of every global lookup: an undeclared global is an error */
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, undeclared_global);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, base);
  lua_pushvalue(L, base);
  rt->ref_base = luaL_ref(L, LUA_REGISTRYINDEX);
  /* empty the real global table: nothing reaches it, but keep it bare */
  lua_newtable(L);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  for (int k = K_ELDER; k <= K_STATS; k++) {
    push_proxy(L, k);
    rt->ref_proxy[k] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

/* ------------------------------------------------------------ fact proxies */

static int facts_readonly(lua_State *L) { return luaL_error(L, "facts are read-only"); }

static void push_day(lua_State *L, int day) {
  if (day == ZC_NONE) {
    lua_pushnil(L);
    return;
  }
  char b[11];
  zc_day_format(day, b);
  lua_pushstring(L, b);
}

static void push_str(lua_State *L, const char *s) {
  if (s) lua_pushstring(L, s);
  else lua_pushnil(L);
}

static void push_int_none(lua_State *L, int v) {
  if (v == ZC_NONE) lua_pushnil(L);
  else lua_pushinteger(L, v);
}

static int secs_of_day(sqlite3_int64 t) {
  sqlite3_int64 r = t % ZC_DAY_SECONDS;
  return (int)(r < 0 ? r + ZC_DAY_SECONDS : r);
}

/* Pushes field i of kind from the current facts and records the read. */
static void push_field(lua_State *L, Rt *rt, int kind, int i) {
  const ZcElderFacts *e = rt->cur_elder;
  const ZcMealFacts *m = rt->cur_meal;
  const ZcSiteFacts *s = rt->cur_site;
  const ZcSiteStats *st = rt->cur_stats;
  if ((kind == K_ELDER && !e) || (kind == K_MEAL && !m) || (kind == K_SITE && !s) ||
      (kind == K_STATS && !st)) {
    luaL_error(L, "%s facts are not available in this call", kind_name[kind]);
    return;
  }
  if (!(kind == K_ELDER && i == E_STATUS) && !(kind == K_SITE && i == S_SLOTS))
    rt->seen.f |= BIT(kind, i);
  char b[20];
  switch (kind) {
    case K_ELDER:
      switch (i) {
        case E_ID: lua_pushinteger(L, e->id); break;
        case E_SEX:
          if (e->sex == 'M' || e->sex == 'F') lua_pushlstring(L, &e->sex, 1);
          else lua_pushnil(L);
          break;
        case E_BIRTH: push_day(L, e->birth); break;
        case E_AGE: push_int_none(L, e->age); break;
        case E_REGION: push_str(L, e->region); break;
        case E_VILLAGE: push_str(L, e->village); break;
        case E_TOWNSHIP: push_str(L, e->township); break;
        case E_COUNTY: push_str(L, e->county); break;
        case E_DIED: push_day(L, e->died_on); break;
        case E_STATUS: lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_ELDER]);
          lua_getmetatable(L, -1);
          lua_getfield(L, -1, "status");
          lua_replace(L, -3);
          lua_pop(L, 1);
          break;
        case E_AGREEMENT: lua_pushboolean(L, e->agreement != 0); break;
        default: if (e->bed) lua_pushinteger(L, e->bed); else lua_pushnil(L); break;
      }
      break;
    case K_MEAL:
      switch (i) {
        case M_ID: if (m->id) lua_pushinteger(L, m->id); else lua_pushnil(L); break;
        case M_SLOT: push_str(L, m->slot); break;
        case M_DAY: push_day(L, m->day); break;
        case M_SERVED: zc_time_format(m->served_at, b); lua_pushstring(L, b); break;
        case M_TIME: zc_clock_format(secs_of_day(m->served_at), b); lua_pushstring(L, b); break;
        case M_METHOD: push_str(L, m->method); break;
        case M_DEVICE: push_str(L, m->device); break;
        case M_TOKEN: push_str(L, m->token); break;
        case M_PRICE:
          if (m->price_fen == ZC_NO_PRICE) lua_pushnil(L);
          else lua_pushinteger(L, m->price_fen);
          break;
        case M_SITE_ID: lua_pushinteger(L, m->site_id); break;
        case M_NTH_SLOT: lua_pushinteger(L, m->nth_slot); break;
        case M_NTH_DAY: lua_pushinteger(L, m->nth_day); break;
        default: lua_pushinteger(L, m->nth_month); break;
      }
      break;
    case K_SITE:
      switch (i) {
        case S_ID: lua_pushinteger(L, s->id); break;
        case S_NAME: push_str(L, s->name); break;
        case S_KIND: push_str(L, s->kind); break;
        case S_GRADE: push_int_none(L, s->grade); break;
        case S_BEDS: lua_pushinteger(L, s->beds); break;
        case S_AREA: if (isnan(s->area_m2)) lua_pushnil(L); else lua_pushnumber(L, s->area_m2); break;
        case S_OPENED: push_day(L, s->opened_on); break;
        case S_CLOSED: push_day(L, s->closed_on); break;
        case S_SLOTS: lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_SITE]);
          lua_getmetatable(L, -1);
          lua_getfield(L, -1, "slots");
          lua_replace(L, -3);
          lua_pop(L, 1);
          break;
        case S_REGION: push_str(L, s->region); break;
        case S_VILLAGE: push_str(L, s->village); break;
        case S_TOWNSHIP: push_str(L, s->township); break;
        default: push_str(L, s->county); break;
      }
      break;
    default: {
      const sqlite3_int64 v[] = {st->meals, st->subsidised_meals, st->diners, st->days_served,
                                 st->residents_full, st->residents_semi};
      lua_pushinteger(L, v[i]);
      break;
    }
  }
}

/* upvalues: 1 names (field -> index), 2 kind */
static int fact_index(lua_State *L) {
  Rt *rt = rt_of(L);
  int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER) {
    if (lua_type(L, 2) == LUA_TSTRING)
      return luaL_error(L, "%s has no field '%s'", kind_name[kind], lua_tostring(L, 2));
    return luaL_error(L, "%s has no field of type %s", kind_name[kind], luaL_typename(L, 2));
  }
  int i = (int)lua_tointeger(L, -1);
  push_field(L, rt, kind, i);
  return 1;
}

static int fact_next(lua_State *L) {
  Rt *rt = rt_of(L);
  int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
  int i = 0;
  if (!lua_isnoneornil(L, 2)) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER) return luaL_error(L, "invalid key to 'next'");
    i = (int)lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
  }
  for (; kind_fields[kind][i]; i++) {
    lua_pushstring(L, kind_fields[kind][i]);
    push_field(L, rt, kind, i);
    if (!lua_isnil(L, -1)) return 2;
    lua_pop(L, 2);
  }
  lua_pushnil(L);
  return 1;
}

static int fact_pairs(lua_State *L) {
  Rt *rt = rt_of(L);
  int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
  for (int i = 0; kind_fields[kind][i]; i++) rt->seen.f |= BIT(kind, i);
  if (kind == K_ELDER) rt->seen.st = ~0ull;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushcclosure(L, fact_next, 2);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

static int status_index(lua_State *L) {
  Rt *rt = rt_of(L);
  if (!rt->cur_elder) return luaL_error(L, "elder facts are not available in this call");
  if (lua_type(L, 2) != LUA_TSTRING) return luaL_error(L, "status words are strings");
  int bit = zc_status_bit(rt->zc, lua_tostring(L, 2), 0);
  if (bit < 0) {
    rt->seen.st = ~0ull;   /* an unknown word: depend on the whole set */
    lua_pushnil(L);
  } else {
    rt->seen.st |= 1ull << bit;
    if (rt->cur_elder->status & (1ull << bit)) lua_pushboolean(L, 1);
    else lua_pushnil(L);
  }
  return 1;
}

static int status_next(lua_State *L) {
  Rt *rt = rt_of(L);
  if (!rt->cur_elder) return luaL_error(L, "elder facts are not available in this call");
  int bit = 0;
  if (!lua_isnoneornil(L, 2)) {
    bit = zc_status_bit(rt->zc, luaL_checkstring(L, 2), 0);
    if (bit < 0) return luaL_error(L, "invalid key to 'next'");
    bit++;
  }
  for (; bit < ZC_MAX_STATUS; bit++) {
    if (!(rt->cur_elder->status & (1ull << bit))) continue;
    const char *w = zc_status_name(rt->zc, bit);
    if (!w) continue;
    lua_pushstring(L, w);
    lua_pushboolean(L, 1);
    return 2;
  }
  lua_pushnil(L);
  return 1;
}

static int status_pairs(lua_State *L) {
  rt_of(L)->seen.st = ~0ull;
  lua_pushcfunction(L, status_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

static int slots_index(lua_State *L) {
  Rt *rt = rt_of(L);
  if (!rt->cur_site) return luaL_error(L, "site facts are not available in this call");
  rt->seen.f |= BIT(K_SITE, S_SLOTS);
  int i = lua_type(L, 2) == LUA_TSTRING ? zc_slot_index(lua_tostring(L, 2)) : -1;
  if (i >= 0 && (rt->cur_site->slots & (1u << i))) lua_pushboolean(L, 1);
  else lua_pushnil(L);
  return 1;
}

static int slots_next(lua_State *L) {
  Rt *rt = rt_of(L);
  if (!rt->cur_site) return luaL_error(L, "site facts are not available in this call");
  int i = 0;
  if (!lua_isnoneornil(L, 2)) {
    i = zc_slot_index(luaL_checkstring(L, 2));
    if (i < 0) return luaL_error(L, "invalid key to 'next'");
    i++;
  }
  for (; i < ZC_NSLOT; i++) {
    if (!(rt->cur_site->slots & (1u << i))) continue;
    lua_pushstring(L, zc_slot_name(i));
    lua_pushboolean(L, 1);
    return 2;
  }
  lua_pushnil(L);
  return 1;
}

static int slots_pairs(lua_State *L) {
  rt_of(L)->seen.f |= BIT(K_SITE, S_SLOTS);
  lua_pushcfunction(L, slots_next);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

static void set_proxy_mt(lua_State *L, lua_CFunction idx, int nup, lua_CFunction prs,
                         const char *tag) {
  /* stack: proxy, [nup upvalues] -> proxy with metatable */
  lua_createtable(L, 0, 6);
  lua_insert(L, -1 - nup);
  for (int i = 0; i < nup; i++) lua_pushvalue(L, -nup);
  lua_pushcclosure(L, idx, nup);
  lua_setfield(L, -2 - nup, "__index");
  lua_pushcclosure(L, prs, nup);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, facts_readonly);
  lua_setfield(L, -2, "__newindex");
  lua_pushstring(L, tag);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

/* Pushes a new proxy for kind; elder and site carry their nested set
** proxies in their metatable (fields status / slots). */
static int push_proxy(lua_State *L, int kind) {
  lua_newtable(L);                                       /* proxy */
  lua_newtable(L);                                       /* names */
  for (int i = 0; kind_fields[kind][i]; i++) {
    lua_pushinteger(L, i);
    lua_setfield(L, -2, kind_fields[kind][i]);
  }
  lua_pushinteger(L, kind);
  set_proxy_mt(L, fact_index, 2, fact_pairs, "facts");
  if (kind == K_ELDER || kind == K_SITE) {
    lua_newtable(L);
    if (kind == K_ELDER) set_proxy_mt(L, status_index, 0, status_pairs, "facts");
    else set_proxy_mt(L, slots_index, 0, slots_pairs, "facts");
    lua_getmetatable(L, -2);
    lua_insert(L, -2);
    lua_setfield(L, -2, kind == K_ELDER ? "status" : "slots");
    lua_pop(L, 1);
  }
  return 1;
}

/* ------------------------------------------------------ running Lua code */

enum { RUN_OK, RUN_ERR, RUN_BUDGET, RUN_MEM };

static Rt *rt_get(ZcConn *zc, char **pzErr);

/* Runs f(ctx) protected, with a fresh instruction budget.  On RUN_ERR
** *pmsg is the error text (sqlite3_malloc'd). */
static int rt_run(Rt *rt, lua_CFunction f, void *ctx, char **pmsg) {
  lua_State *L = rt->L;
  int top = lua_gettop(L);
  rt->steps = 0;
  rt->budget_hit = rt->mem_hit = 0;
  rt->in_call = 1;
  lua_sethook(L, rt_hook, LUA_MASKCOUNT, ZC_POLICY_HOOK);
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, ctx);
  int st = lua_pcall(L, 1, 0, 0);
  rt->in_call = 0;
  lua_sethook(L, NULL, 0, 0);
  int kind = RUN_OK;
  if (rt->budget_hit) kind = RUN_BUDGET;
  else if (rt->mem_hit || st == LUA_ERRMEM) kind = RUN_MEM;
  else if (st != LUA_OK) {
    kind = RUN_ERR;
    if (lua_type(L, -1) == LUA_TSTRING) *pmsg = sqlite3_mprintf("%s", lua_tostring(L, -1));
    else *pmsg = sqlite3_mprintf("(error object is a %s value)", luaL_typename(L, -1));
  }
  lua_settop(L, top);
  if (kind == RUN_MEM || kind == RUN_BUDGET) {
    rt->mem_hit = 0;
    lua_gc(L, LUA_GCCOLLECT);   /* no finalizers exist: __gc is refused */
  }
  return kind;
}

/* A whole number of fen at idx: 1 and *out, 0 not a number, -1 fractional,
** -2 negative or too large. */
static int whole_fen(lua_State *L, int idx, sqlite3_int64 *out) {
  if (lua_isinteger(L, idx)) {
    *out = (sqlite3_int64)lua_tointeger(L, idx);
  } else if (lua_type(L, idx) == LUA_TNUMBER) {
    double d = lua_tonumber(L, idx);
    if (!isfinite(d) || d != floor(d)) return -1;
    if (d < 0 || d >= 9.2e18) return -2;
    *out = (sqlite3_int64)d;
  } else {
    return 0;
  }
  return *out < 0 ? -2 : 1;
}

static int payer_cmp(const void *a, const void *b) {
  return strcmp(((const ZcPart *)a)->payer, ((const ZcPart *)b)->payer);
}

typedef struct CallCtx {
  Rt *rt;
  PVersion *v;
  int fn;
  const char *day, *service, *month;
  int ok;
  const char *reason;
  int nparts, nitems;
  ZcPart parts[ZC_MAX_PARTS];
} CallCtx;

#define VNAME(v) (v)->pub.name, (v)->pub.effective_text

static const char *intern_top(lua_State *L, Rt *rt, int idx) {
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  const char *r = zc_intern(rt->zc, s, (int)n);
  if (!r) luaL_error(L, "out of memory");
  return r;
}

/* the reason at idx: nil or a string */
static const char *reason_at(lua_State *L, CallCtx *c, int idx) {
  if (lua_isnil(L, idx)) return NULL;
  if (lua_type(L, idx) != LUA_TSTRING) {
    lua_pushfstring(L, "%s@%s: %s() returned a %s as its reason; expected a string or nil",
                    VNAME(c->v), fn_name[c->fn], luaL_typename(L, idx));
    lua_error(L);
  }
  return intern_top(L, c->rt, idx);
}

/* a payer name at idx (a key or an item's payer) */
static const char *payer_at(lua_State *L, CallCtx *c, int idx, const char *what) {
  size_t n = 0;
  if (lua_type(L, idx) != LUA_TSTRING || (lua_tolstring(L, idx, &n), n == 0) || n > MAX_NAME) {
    lua_pushfstring(L, "%s@%s: %s() returned %s %s; expected a payer name (a non-empty string)",
                    VNAME(c->v), fn_name[c->fn], what,
                    lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : luaL_typename(L, idx));
    lua_error(L);
  }
  if (strcmp(lua_tostring(L, idx), "elder") == 0) {
    lua_pushfstring(L, "%s@%s: %s() returned payer 'elder', which is reserved for the co-payment",
                    VNAME(c->v), fn_name[c->fn]);
    lua_error(L);
  }
  return intern_top(L, c->rt, idx);
}

static sqlite3_int64 fen_at(lua_State *L, CallCtx *c, int idx, const char *payer, const char *what) {
  sqlite3_int64 f = 0;
  int r = whole_fen(L, idx, &f);
  if (r == 1) return f;
  if (r == 0)
    lua_pushfstring(L, "%s@%s: %s() returned a %s as the %s of '%s'; expected whole fen",
                    VNAME(c->v), fn_name[c->fn], luaL_typename(L, idx), what, payer);
  else if (r == -1)
    lua_pushfstring(L, "%s@%s: %s() returned %f as the %s of '%s'; amounts must be whole fen",
                    VNAME(c->v), fn_name[c->fn], lua_tonumber(L, idx), what, payer);
  else
    lua_pushfstring(L, "%s@%s: %s() returned %f as the %s of '%s'; expected 0 or more fen",
                    VNAME(c->v), fn_name[c->fn], lua_tonumber(L, idx), what, payer);
  return lua_error(L);
}

/* Compares the version's functions' upvalues with the snapshot taken at
** load; restores every changed one and raises for the first. */
static void check_upvalues(lua_State *L, CallCtx *c) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->v->ref_snap);
  int snap = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, snap);
  const char *bad = NULL;
  int line = 0;
  for (lua_Integer k = 1; k + 2 <= n; k += 3) {
    lua_rawgeti(L, snap, k);
    lua_rawgeti(L, snap, k + 1);
    int i = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    const char *name = lua_getupvalue(L, -1, i);
    lua_rawgeti(L, snap, k + 2);
    if (!lua_rawequal(L, -1, -2)) {
      if (!bad) {
        lua_Debug ar;
        lua_pushvalue(L, -3);
        lua_getinfo(L, ">S", &ar);
        bad = name && *name ? name : "?";
        line = ar.linedefined;
      }
      lua_setupvalue(L, -3, i);   /* restore the snapshot value */
      lua_pop(L, 2);
    } else {
      lua_pop(L, 3);
    }
  }
  lua_pop(L, 1);
  if (bad) {
    lua_pushfstring(L, "%s@%s:%d: %s() assigned to the chunk-level local '%s'; "
                       "rules must not keep state between calls",
                    VNAME(c->v), line, fn_name[c->fn], bad);
    lua_error(L);
  }
}

static int restore_protected(lua_State *L) {
  check_upvalues(L, lua_touserdata(L, 1));
  return 0;
}

static int call_protected(lua_State *L) {
  CallCtx *c = lua_touserdata(L, 1);
  Rt *rt = c->rt;
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->v->ref_fn[c->fn]);
  int base = lua_gettop(L);
  switch (c->fn) {
    case FN_ELIGIBLE:
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_ELDER]);
      lua_pushstring(L, c->day);
      lua_pushstring(L, c->service);
      break;
    case FN_MEAL:
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_MEAL]);
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_ELDER]);
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_SITE]);
      break;
    default:
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_SITE]);
      lua_pushstring(L, c->month);
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[K_STATS]);
      break;
  }
  lua_call(L, 3, 2);
  if (rt->budget_hit || rt->mem_hit) return 0;
  check_upvalues(L, c);
  int r1 = base, r2 = base + 1;
  c->reason = NULL;
  c->nparts = c->nitems = 0;
  if (c->fn == FN_ELIGIBLE) {
    if (!lua_isboolean(L, r1)) {
      lua_pushfstring(L, "%s@%s: eligible() returned a %s; expected true or false",
                      VNAME(c->v), luaL_typename(L, r1));
      return lua_error(L);
    }
    c->ok = lua_toboolean(L, r1);
    c->reason = reason_at(L, c, r2);
    return 0;
  }
  if (c->fn == FN_MEAL) {
    c->reason = reason_at(L, c, r2);
    if (lua_isnil(L, r1)) return 0;
    if (!lua_istable(L, r1) || push_contents(L, r1) < 0) {
      lua_pushfstring(L, "%s@%s: meal() returned a %s as its parts; expected a plain table "
                         "{payer = fen, ...} or nil", VNAME(c->v),
                      lua_istable(L, r1) ? "table with a metatable" : luaL_typename(L, r1));
      return lua_error(L);
    }
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
      const char *payer = payer_at(L, c, -2, "the key");
      sqlite3_int64 fen = fen_at(L, c, -1, payer, "amount");
      lua_pop(L, 1);
      if (fen == 0) continue;
      if (c->nparts == ZC_MAX_PARTS) {
        lua_pushfstring(L, "%s@%s: meal() returned more than %d payers", VNAME(c->v), ZC_MAX_PARTS);
        return lua_error(L);
      }
      c->parts[c->nparts].payer = payer;
      c->parts[c->nparts].fen = fen;
      c->nparts++;
    }
    qsort(c->parts, (size_t)c->nparts, sizeof c->parts[0], payer_cmp);
    return 0;
  }
  /* site(): a list of items */
  if (lua_isnil(L, r1)) return 0;
  if (!lua_istable(L, r1) || push_contents(L, r1) < 0) {
    lua_pushfstring(L, "%s@%s: site() returned a %s; expected a list of "
                       "{item=, payer=, fen=, quantity=} or nil", VNAME(c->v),
                    lua_istable(L, r1) ? "table with a metatable" : luaL_typename(L, r1));
    return lua_error(L);
  }
  int t = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, t);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, t, i);
    if (!lua_istable(L, -1) || push_contents(L, -1) < 0) {
      lua_pushfstring(L, "%s@%s: site() item %I is a %s; expected a table "
                         "{item=, payer=, fen=, quantity=}", VNAME(c->v), i, luaL_typename(L, -1));
      return lua_error(L);
    }
    int it = lua_gettop(L);
    lua_getfield(L, it, "item");
    size_t ilen = 0;
    if (lua_type(L, -1) != LUA_TSTRING || (lua_tolstring(L, -1, &ilen), ilen == 0)) {
      lua_pushfstring(L, "%s@%s: site() item %I has no item name (a non-empty string)",
                      VNAME(c->v), i);
      return lua_error(L);
    }
    const char *item = intern_top(L, rt, -1);
    lua_getfield(L, it, "payer");
    const char *payer = payer_at(L, c, -1, "the payer");
    lua_getfield(L, it, "fen");
    sqlite3_int64 fen = fen_at(L, c, -1, item, "fen");
    lua_getfield(L, it, "quantity");
    sqlite3_int64 q = 1;
    if (!lua_isnil(L, -1)) q = fen_at(L, c, -1, item, "quantity");
    lua_settop(L, t);
    if (fen == 0) continue;
    if (c->nitems == rt->items_cap) {
      int ncap = rt->items_cap ? rt->items_cap * 2 : 16;
      ZcSiteItem *ni = sqlite3_realloc64(rt->items, (sqlite3_uint64)ncap * sizeof *ni);
      if (!ni) return luaL_error(L, "out of memory");
      rt->items = ni;
      rt->items_cap = ncap;
    }
    ZcSiteItem *x = &rt->items[c->nitems++];
    x->item = item;
    x->payer = payer;
    x->fen = fen;
    x->quantity = q;
  }
  return 0;
}

/* Calls fn of version v on the facts set in rt; fills c. */
static int call_version(Rt *rt, CallCtx *c, char **pzErr) {
  char *msg = NULL;
  int kind = rt_run(rt, call_protected, c, &msg);
  rt->cur_elder = NULL;
  rt->cur_meal = NULL;
  rt->cur_site = NULL;
  rt->cur_stats = NULL;
  PVersion *v = c->v;
  if (kind != RUN_OK) {
    /* a failed call may have assigned an upvalue before failing */
    char *m2 = NULL;
    rt_run(rt, restore_protected, c, &m2);
    sqlite3_free(m2);
  }
  switch (kind) {
    case RUN_OK: return SQLITE_OK;
    case RUN_BUDGET:
      *pzErr = sqlite3_mprintf("%s@%s: %s() exceeded its budget of %ld instructions (version %lld)",
                               VNAME(v), fn_name[c->fn], ZC_POLICY_BUDGET, v->pub.id);
      break;
    case RUN_MEM:
      *pzErr = sqlite3_mprintf("%s@%s: %s() exceeded the policy memory cap of %u MiB (version %lld)",
                               VNAME(v), fn_name[c->fn], ZC_POLICY_MEM_CAP >> 20, v->pub.id);
      break;
    default:
      if (msg && msg[0] == '(') {   /* a non-string error object: name the policy */
        *pzErr = sqlite3_mprintf("%s@%s: %s() raised %s (version %lld)", VNAME(v),
                                 fn_name[c->fn], msg, v->pub.id);
      } else {
        /* errors raised inside library functions carry no position: name
        ** the policy anyway */
        size_t nl = strlen(v->pub.name);
        int named = msg && strncmp(msg, v->pub.name, nl) == 0 && msg[nl] == '@';
        *pzErr = sqlite3_mprintf("%s%s%s%s%s (in %s(), version %lld)", named ? "" : v->pub.name,
                                 named ? "" : "@", named ? "" : v->pub.effective_text,
                                 named ? "" : ": ", msg, fn_name[c->fn], v->pub.id);
      }
      break;
  }
  sqlite3_free(msg);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* ------------------------------------------------------ loading a version */

static const ZcWindow default_windows[ZC_NSLOT] = {
    {6 * 3600, 9 * 3600}, {11 * 3600, 13 * 3600 + 30 * 60}, {17 * 3600, 19 * 3600 + 30 * 60}};

/* 'HH:MM' or 'HH:MM:SS' -> seconds of day, -1 if not */
static int clock_parse(const char *s, size_t n) {
  if (n != 5 && n != 8) return -1;
  for (size_t i = 0; i < n; i++) {
    if (i == 2 || i == 5) {
      if (s[i] != ':') return -1;
    } else if (s[i] < '0' || s[i] > '9') {
      return -1;
    }
  }
  int hh = (s[0] - '0') * 10 + s[1] - '0', mm = (s[3] - '0') * 10 + s[4] - '0', ss = 0;
  if (n == 8) ss = (s[6] - '0') * 10 + s[7] - '0';
  if (hh > 23 || mm > 59 || ss > 59) return -1;
  return hh * 3600 + mm * 60 + ss;
}

typedef struct LoadCtx {
  Rt *rt;
  const char *src;
  size_t len;
  const char *chunk;
  PVersion *v;
  sqlite3_str *js;   /* params JSON under construction (freed on error) */
} LoadCtx;

static void json_value(lua_State *L, int idx, sqlite3_str *s, int depth, const char *path);

static void json_string(sqlite3_str *s, const char *z, size_t n) {
  sqlite3_str_appendchar(s, 1, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)z[i];
    if (ch == '"' || ch == '\\') sqlite3_str_appendf(s, "\\%c", ch);
    else if (ch < 0x20) sqlite3_str_appendf(s, "\\u%04x", ch);
    else sqlite3_str_appendchar(s, 1, (char)ch);
  }
  sqlite3_str_appendchar(s, 1, '"');
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void json_table(lua_State *L, int t, sqlite3_str *s, int depth, const char *path) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, t), count = 0, nstr = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    count++;
    if (lua_type(L, -1) == LUA_TSTRING) nstr++;
    else if (!lua_isinteger(L, -1))
      luaL_error(L, "params%s: keys must be strings (or a list 1..n)", path);
  }
  if (count > 0 && nstr == 0 && count == n) {
    sqlite3_str_appendchar(s, 1, '[');
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) sqlite3_str_appendchar(s, 1, ',');
      lua_rawgeti(L, t, i);
      json_value(L, lua_gettop(L), s, depth + 1, path);
      lua_pop(L, 1);
    }
    sqlite3_str_appendchar(s, 1, ']');
    return;
  }
  if (nstr != count) luaL_error(L, "params%s: a table mixes list and named entries", path);
  const char **keys = lua_newuserdatauv(L, (size_t)count * sizeof *keys + 1, 0);
  lua_Integer k = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    keys[k++] = lua_tostring(L, -1);
  }
  qsort(keys, (size_t)count, sizeof *keys, cmp_str);
  sqlite3_str_appendchar(s, 1, '{');
  for (lua_Integer i = 0; i < count; i++) {
    if (i) sqlite3_str_appendchar(s, 1, ',');
    json_string(s, keys[i], strlen(keys[i]));
    sqlite3_str_appendchar(s, 1, ':');
    lua_getfield(L, t, keys[i]);
    const char *sub = lua_pushfstring(L, "%s.%s", path, keys[i]);
    json_value(L, lua_gettop(L) - 1, s, depth + 1, sub);
    lua_pop(L, 2);
  }
  sqlite3_str_appendchar(s, 1, '}');
  lua_pop(L, 1);
}

static void json_value(lua_State *L, int idx, sqlite3_str *s, int depth, const char *path) {
  if (depth > MAX_DEPTH) luaL_error(L, "params%s: nested more than %d deep", path, MAX_DEPTH);
  luaL_checkstack(L, 8, "params");
  switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: sqlite3_str_appendall(s, lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        sqlite3_str_appendf(s, "%lld", (long long)lua_tointeger(L, idx));
      } else {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d)) luaL_error(L, "params%s: %f is not a finite number", path, d);
        sqlite3_str_appendf(s, "%!.15g", d);
      }
      break;
    case LUA_TSTRING: {
      size_t n;
      const char *z = lua_tolstring(L, idx, &n);
      json_string(s, z, n);
      break;
    }
    case LUA_TTABLE:
      if (lua_getmetatable(L, idx)) luaL_error(L, "params%s: tables must not have metatables", path);
      json_table(L, idx, s, depth, path);
      break;
    default:
      luaL_error(L, "params%s: a %s; params may hold numbers, strings, booleans and tables",
                 path, luaL_typename(L, idx));
  }
}

/* Copies the number entries of table t into *out (string keys). */
static void numbers_of(lua_State *L, int t, PNum **out, int *pn, int all) {
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TNUMBER) n++;
    else if (all && lua_type(L, -2) == LUA_TSTRING)
      luaL_error(L, "anomaly.%s must be a number (got %s)", lua_tostring(L, -2),
                 luaL_typename(L, -1));
    else if (all)
      luaL_error(L, "anomaly: keys must be threshold names (got a %s)", luaL_typename(L, -2));
    lua_pop(L, 1);
  }
  PNum *a = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof *a);
  if (!a) luaL_error(L, "out of memory");
  memset(a, 0, (size_t)(n ? n : 1) * sizeof *a);
  *out = a;
  *pn = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TNUMBER) {
      a[*pn].key = sqlite3_mprintf("%s", lua_tostring(L, -2));
      if (!a[*pn].key) luaL_error(L, "out of memory");
      a[*pn].val = lua_tonumber(L, -1);
      (*pn)++;
    }
    lua_pop(L, 1);
  }
}

static const char *const policy_keys[] = {"name", "effective_from", "params", "eligible",
                                          "meal", "site", "windows", "anomaly", "tests",
                                          "description", NULL};

static int load_protected(lua_State *L) {
  LoadCtx *c = lua_touserdata(L, 1);
  Rt *rt = c->rt;
  PVersion *v = c->v;
  if (luaL_loadbufferx(L, c->src, c->len, c->chunk, "t") != LUA_OK) return lua_error(L);
  int fn = lua_gettop(L);
  /* env: an empty proxy over envdata, whose misses go to base, whose
  ** misses are errors.  Writes go to envdata while the chunk runs. */
  lua_newtable(L);
  int envdata = lua_gettop(L);
  lua_createtable(L, 0, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_base);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, envdata);
  lua_newtable(L);
  int env = lua_gettop(L);
  lua_createtable(L, 0, 3);
  int envmt = lua_gettop(L);
  lua_pushvalue(L, envdata);
  lua_setfield(L, envmt, "__index");
  lua_pushvalue(L, envdata);
  lua_setfield(L, envmt, "__newindex");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, envmt, "__metatable");
  lua_pushvalue(L, envmt);
  lua_setmetatable(L, env);
  lua_pushvalue(L, env);
  lua_setfield(L, envdata, "_G");
  lua_pushvalue(L, env);
  lua_setupvalue(L, fn, 1);
  lua_pushvalue(L, fn);
  lua_call(L, 0, 1);
  if (rt->budget_hit || rt->mem_hit) return 0;
  int P = lua_gettop(L);
  if (!lua_istable(L, P))
    return luaL_error(L, "the chunk must return the policy table, not a %s", luaL_typename(L, P));
  if (lua_getmetatable(L, P)) return luaL_error(L, "the policy table must not have a metatable");
  /* unknown fields are mistakes */
  lua_pushnil(L);
  while (lua_next(L, P)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; policy_keys[i]; i++) known |= strcmp(lua_tostring(L, -1), policy_keys[i]) == 0;
    if (!known) {
      lua_pushvalue(L, -1);
      return luaL_error(L, "unknown field %s in the policy table (expected name, effective_from, "
                           "eligible, meal, site, params, windows, anomaly, tests, description)",
                        luaL_tolstring(L, -1, NULL));
    }
  }
  /* name */
  lua_getfield(L, P, "name");
  size_t nlen = 0;
  const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &nlen) : NULL;
  int okname = name && nlen > 0 && nlen <= MAX_NAME;
  for (size_t i = 0; okname && i < nlen; i++) {
    char ch = name[i];
    okname = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '-';
  }
  if (!okname)
    return luaL_error(L, "policy field 'name' must be 1 to %d letters, digits, '_' or '-' (got %s)",
                      MAX_NAME, name ? lua_pushfstring(L, "'%s'", name) : luaL_typename(L, -1));
  v->name = sqlite3_mprintf("%s", name);
  if (!v->name) return luaL_error(L, "out of memory");
  v->pub.name = v->name;
  lua_pop(L, 1);
  /* effective_from */
  lua_getfield(L, P, "effective_from");
  const char *eff = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  int effday = eff ? zc_day_parse(eff, (int)lua_rawlen(L, -1)) : ZC_NONE;
  if (effday == ZC_NONE)
    return luaL_error(L, "policy field 'effective_from' must be a date 'YYYY-MM-DD' (got %s)",
                      eff ? lua_pushfstring(L, "'%s'", eff) : luaL_typename(L, -1));
  v->pub.effective_from = effday;
  zc_day_format(effday, v->pub.effective_text);
  lua_pop(L, 1);
  /* functions */
  static const char *const fns[] = {"eligible", "meal", "site"};
  for (int i = 0; i < 3; i++) {
    int t = lua_getfield(L, P, fns[i]);
    if (t != LUA_TFUNCTION && !(i == FN_SITE && t == LUA_TNIL))
      return luaL_error(L, "policy field '%s' must be a function%s (got %s)", fns[i],
                        i == FN_SITE ? " or absent" : "", luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  lua_getfield(L, P, "site");
  v->pub.has_site = !lua_isnil(L, -1);
  lua_pop(L, 1);
  static const char *const tabs[] = {"windows", "anomaly", "params", "tests"};
  for (int i = 0; i < 4; i++) {
    int t = lua_getfield(L, P, tabs[i]);
    if (t != LUA_TNIL && t != LUA_TTABLE)
      return luaL_error(L, "policy field '%s' must be a table or absent (got %s)", tabs[i],
                        luaL_typename(L, -1));
    if (t == LUA_TTABLE && lua_getmetatable(L, -1))
      return luaL_error(L, "policy field '%s' must not have a metatable", tabs[i]);
    lua_pop(L, 1);
  }
  lua_getfield(L, P, "description");
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
    return luaL_error(L, "policy field 'description' must be a string or absent");
  lua_pop(L, 1);
  /* windows */
  memcpy(v->pub.windows, default_windows, sizeof default_windows);
  if (lua_getfield(L, P, "windows") == LUA_TTABLE) {
    int w = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, w)) {
      int slot = lua_type(L, -2) == LUA_TSTRING ? zc_slot_index(lua_tostring(L, -2)) : -1;
      if (slot < 0) {
        lua_pushvalue(L, -2);
        return luaL_error(L, "windows: unknown slot %s (expected breakfast, lunch, dinner)",
                          luaL_tolstring(L, -1, NULL));
      }
      int ft[2] = {-1, -1};
      if (lua_istable(L, -1) && lua_rawlen(L, -1) == 2) {
        for (int k = 0; k < 2; k++) {
          lua_rawgeti(L, -1, k + 1);
          if (lua_type(L, -1) == LUA_TSTRING) ft[k] = clock_parse(lua_tostring(L, -1), lua_rawlen(L, -1));
          lua_pop(L, 1);
        }
      }
      if (ft[0] < 0 || ft[1] < 0 || ft[0] > ft[1])
        return luaL_error(L, "windows.%s must be {\"HH:MM\", \"HH:MM\"} with from <= to",
                          zc_slot_name(slot));
      v->pub.windows[slot].from = ft[0];
      v->pub.windows[slot].to = ft[1];
      lua_pop(L, 1);
    }
    for (int a = 0; a < ZC_NSLOT; a++)
      for (int b = a + 1; b < ZC_NSLOT; b++)
        if (v->pub.windows[a].from <= v->pub.windows[b].to &&
            v->pub.windows[b].from <= v->pub.windows[a].to)
          return luaL_error(L, "windows: %s and %s overlap", zc_slot_name(a), zc_slot_name(b));
  }
  lua_pop(L, 1);
  /* params: JSON and top-level numbers; anomaly: numbers */
  if (lua_getfield(L, P, "params") == LUA_TTABLE) {
    c->js = sqlite3_str_new(NULL);
    json_value(L, lua_gettop(L), c->js, 0, "");
    v->params_json = sqlite3_str_finish(c->js);
    c->js = NULL;
    if (!v->params_json) return luaL_error(L, "out of memory");
    numbers_of(L, lua_gettop(L), &v->params, &v->nparams, 0);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, P, "anomaly") == LUA_TTABLE)
    numbers_of(L, lua_gettop(L), &v->anomaly, &v->nanomaly, 1);
  lua_pop(L, 1);
  /* freeze: globals become read-only, tables read-only in place */
  lua_pushcfunction(L, global_assign);
  lua_setfield(L, envmt, "__newindex");
  lua_newtable(L);
  int vis = lua_gettop(L);
  lua_newtable(L);
  int snap = lua_gettop(L);
  lua_pushvalue(L, env);
  lua_pushboolean(L, 1);
  lua_rawset(L, vis);
  freeze(L, P, vis, snap, 0);
  lua_pushnil(L);
  while (lua_next(L, envdata)) {
    freeze(L, -1, vis, snap, 1);
    lua_pop(L, 1);
  }
  for (int i = 0; i < 3; i++) {
    lua_getfield(L, P, fns[i]);
    v->ref_fn[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pushvalue(L, snap);
  v->ref_snap = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getfield(L, P, "tests");
  v->ref_tests = luaL_ref(L, LUA_REGISTRYINDEX);   /* LUA_REFNIL when absent */
  return 0;
}

static void version_free(Rt *rt, PVersion *v);

/* Loads source as a version (validated, frozen); *out owned by caller. */
static int load_version(Rt *rt, const char *src, size_t len, const char *chunk, PVersion **out,
                        char **pmsg) {
  PVersion *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->ref_fn[0] = v->ref_fn[1] = v->ref_fn[2] = v->ref_snap = v->ref_tests = LUA_NOREF;
  LoadCtx c = {rt, src, len, chunk, v, NULL};
  char *msg = NULL;
  int kind = rt_run(rt, load_protected, &c, &msg);
  if (c.js) sqlite3_free(sqlite3_str_finish(c.js));
  if (kind != RUN_OK) {
    if (kind == RUN_BUDGET)
      *pmsg = sqlite3_mprintf("running the chunk exceeded the budget of %ld instructions",
                              ZC_POLICY_BUDGET);
    else if (kind == RUN_MEM)
      *pmsg = sqlite3_mprintf("running the chunk exceeded the policy memory cap of %u MiB",
                              ZC_POLICY_MEM_CAP >> 20);
    else
      *pmsg = msg, msg = NULL;
    sqlite3_free(msg);
    version_free(rt, v);
    return *pmsg ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  *out = v;
  return SQLITE_OK;
}

/* ------------------------------------------------------------------ memo */

static int kb_grow(Rt *rt, size_t n) {
  size_t ncap = rt->kcap ? rt->kcap * 2 : 256;
  while (ncap < rt->klen + n) ncap *= 2;
  unsigned char *nb = sqlite3_realloc64(rt->kbuf, ncap);
  if (!nb) {
    rt->koom = 1;   /* no key is built */
    return 0;
  }
  rt->kbuf = nb;
  rt->kcap = ncap;
  return 1;
}
static inline void kb_put(Rt *rt, const void *p, size_t n) {
  if (rt->klen + n > rt->kcap && !kb_grow(rt, n)) return;
  memcpy(rt->kbuf + rt->klen, p, n);
  rt->klen += n;
}
static void kb_i64(Rt *rt, sqlite3_int64 x) { kb_put(rt, &x, sizeof x); }
static void kb_str(Rt *rt, const char *s) {
  uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
  kb_put(rt, &n, sizeof n);
  if (s) kb_put(rt, s, n);
}

/* Appends the C value behind field bit b (what the rule saw). */
static void kb_field(Rt *rt, int b, const ZcElderFacts *e, const ZcMealFacts *m,
                     const ZcSiteFacts *s) {
  if (b < kind_base[K_MEAL]) {
    switch (b) {
      case E_ID: kb_i64(rt, e->id); break;
      case E_SEX: kb_i64(rt, e->sex); break;
      case E_BIRTH: kb_i64(rt, e->birth); break;
      case E_AGE: kb_i64(rt, e->age); break;
      case E_REGION: kb_str(rt, e->region); break;
      case E_VILLAGE: kb_str(rt, e->village); break;
      case E_TOWNSHIP: kb_str(rt, e->township); break;
      case E_COUNTY: kb_str(rt, e->county); break;
      case E_DIED: kb_i64(rt, e->died_on); break;
      case E_STATUS: kb_i64(rt, (sqlite3_int64)e->status); break;
      case E_AGREEMENT: kb_i64(rt, e->agreement != 0); break;
      default: kb_i64(rt, e->bed); break;
    }
  } else if (b < kind_base[K_SITE]) {
    switch (b - kind_base[K_MEAL]) {
      case M_ID: kb_i64(rt, m->id); break;
      case M_SLOT: kb_str(rt, m->slot); break;
      case M_DAY: kb_i64(rt, m->day); break;
      case M_SERVED: kb_i64(rt, m->served_at); break;
      case M_TIME: kb_i64(rt, secs_of_day(m->served_at)); break;
      case M_METHOD: kb_str(rt, m->method); break;
      case M_DEVICE: kb_str(rt, m->device); break;
      case M_TOKEN: kb_str(rt, m->token); break;
      case M_PRICE: kb_i64(rt, m->price_fen); break;
      case M_SITE_ID: kb_i64(rt, m->site_id); break;
      case M_NTH_SLOT: kb_i64(rt, m->nth_slot); break;
      case M_NTH_DAY: kb_i64(rt, m->nth_day); break;
      default: kb_i64(rt, m->nth_month); break;
    }
  } else {
    switch (b - kind_base[K_SITE]) {
      case S_ID: kb_i64(rt, s->id); break;
      case S_NAME: kb_str(rt, s->name); break;
      case S_KIND: kb_str(rt, s->kind); break;
      case S_GRADE: kb_i64(rt, s->grade); break;
      case S_BEDS: kb_i64(rt, s->beds); break;
      case S_AREA: {
        double d = isnan(s->area_m2) ? NAN : s->area_m2 + 0.0;  /* one NaN, one zero */
        kb_put(rt, &d, sizeof d);
        break;
      }
      case S_OPENED: kb_i64(rt, s->opened_on); break;
      case S_CLOSED: kb_i64(rt, s->closed_on); break;
      case S_SLOTS: kb_i64(rt, s->slots); break;
      case S_REGION: kb_str(rt, s->region); break;
      case S_VILLAGE: kb_str(rt, s->village); break;
      case S_TOWNSHIP: kb_str(rt, s->township); break;
      default: kb_str(rt, s->county); break;
    }
  }
}

/* Builds the key of mask i into rt->kbuf; 0 on OOM. */
static int memo_key(Rt *rt, const Mask *mk, int day, const char *service,
                    const ZcElderFacts *e, const ZcMealFacts *m, const ZcSiteFacts *s) {
  rt->klen = 0;
  rt->koom = 0;
  if (service) {
    kb_i64(rt, day);
    kb_str(rt, service);
  }
  for (uint64_t f = mk->f; f; f &= f - 1) kb_field(rt, __builtin_ctzll(f), e, m, s);
  if (mk->st) kb_i64(rt, (sqlite3_int64)(e->status & mk->st));
  return !rt->koom;
}

static sqlite3_int64 memo_hash(Rt *rt, int imask) {
  uint64_t h = zc_hash_bytes(rt->kbuf, rt->klen, (uint64_t)imask * 0x9e3779b97f4a7c15ULL);
  sqlite3_int64 k = (sqlite3_int64)h;
  return k == INT64_MIN ? 0 : k;
}

static void memo_clear(Memo *mo) {
  for (size_t i = 0; i < mo->map.cap; i++) {
    if (mo->map.keys[i] == INT64_MIN) continue;
    MemoEntry *e = (MemoEntry *)(intptr_t)mo->map.vals[i];
    while (e) {
      MemoEntry *nx = e->next;
      sqlite3_free(e);
      e = nx;
    }
  }
  zc_map_clear(&mo->map);
  mo->nmask = 0;
  mo->n = 0;
}

static const MemoEntry *memo_find(Rt *rt, Memo *mo, int day, const char *service,
                                  const ZcElderFacts *e, const ZcMealFacts *m,
                                  const ZcSiteFacts *s) {
  /* Any mask that matches gives the right answer (the rule would take the
  ** path that mask records), so the order is free: most calls take the
  ** same path as the last one, which is probed first. */
  for (int k = 0; k < mo->nmask; k++) {
    int i = mo->order[k];
    if (!memo_key(rt, &mo->masks[i], day, service, e, m, s)) return NULL;
    sqlite3_int64 *slot = zc_map_slot(&mo->map, memo_hash(rt, i), 0, NULL);
    if (!slot) continue;
    for (const MemoEntry *x = (const MemoEntry *)(intptr_t)*slot; x; x = x->next) {
      if (x->imask == i && (size_t)x->klen == rt->klen &&
          memcmp((const unsigned char *)(x->parts + x->nparts), rt->kbuf, rt->klen) == 0) {
        if (k > 0) {
          memmove(mo->order + 1, mo->order, (size_t)k);
          mo->order[0] = (unsigned char)i;
        }
        return x;
      }
    }
  }
  return NULL;
}

/* Records a result under the mask the call observed (failures to record
** are harmless: the memo is only a cache). */
static void memo_add(Rt *rt, Memo *mo, const Mask *seen, int day, const char *service,
                     const ZcElderFacts *e, const ZcMealFacts *m, const ZcSiteFacts *s,
                     const CallCtx *c) {
  if (mo->n >= MEMO_MAX_ENTRIES) memo_clear(mo);
  int i = 0;
  while (i < mo->nmask && (mo->masks[i].f != seen->f || mo->masks[i].st != seen->st)) i++;
  if (i == mo->nmask) {
    if (mo->nmask == MEMO_MAX_MASKS) {
      memo_clear(mo);
      i = 0;
    }
    mo->masks[i] = *seen;
    mo->order[i] = (unsigned char)i;
    mo->nmask = i + 1;
  }
  if (!memo_key(rt, &mo->masks[i], day, service, e, m, s)) return;
  size_t sz = sizeof(MemoEntry) + (size_t)c->nparts * sizeof(ZcPart) + rt->klen;
  MemoEntry *x = sqlite3_malloc64(sz);
  if (!x) return;
  sqlite3_int64 *slot = zc_map_slot(&mo->map, memo_hash(rt, i), 1, NULL);
  if (!slot) {
    sqlite3_free(x);
    return;
  }
  x->imask = i;
  x->klen = (int)rt->klen;
  x->ok = c->ok;
  x->reason = c->reason;
  x->nparts = c->nparts;
  memcpy(x->parts, c->parts, (size_t)c->nparts * sizeof(ZcPart));
  memcpy((unsigned char *)(x->parts + x->nparts), rt->kbuf, rt->klen);
  x->next = (MemoEntry *)(intptr_t)*slot;
  *slot = (sqlite3_int64)(intptr_t)x;
  mo->n++;
}

/* ------------------------------------------------------------- calls (API) */

static int do_eligible(Rt *rt, PVersion *v, const ZcElderFacts *elder, int day,
                       const char *service, int *ok, const char **reason, char **pzErr) {
  Memo *mo = &v->memo[FN_ELIGIBLE];
  if (rt->memo_on) {
    const MemoEntry *x = memo_find(rt, mo, day, service, elder, NULL, NULL);
    if (x) {
      *ok = x->ok;
      *reason = x->reason;
      return SQLITE_OK;
    }
  }
  char dbuf[11];
  zc_day_format(day, dbuf);
  CallCtx c;
  memset(&c, 0, sizeof c);
  c.rt = rt;
  c.v = v;
  c.fn = FN_ELIGIBLE;
  c.day = dbuf;
  c.service = service;
  memset(&rt->seen, 0, sizeof rt->seen);
  rt->cur_elder = elder;
  int rc = call_version(rt, &c, pzErr);
  if (rc != SQLITE_OK) return rc;
  if (rt->memo_on) memo_add(rt, mo, &rt->seen, day, service, elder, NULL, NULL, &c);
  *ok = c.ok;
  *reason = c.reason;
  return SQLITE_OK;
}

int zc_policy_eligible(ZcConn *zc, const ZcPolicyVersion *v, const ZcElderFacts *elder, int day,
                       const char *service, int *ok, const char **reason, char **pzErr) {
  Rt *rt = rt_get(zc, pzErr);
  if (!rt) return SQLITE_ERROR;
  if (!service) service = "meal";
  return do_eligible(rt, (PVersion *)v, elder, day, service, ok, reason, pzErr);
}

/* meal() alone; *pparts points into the memo or rt scratch until the next call. */
static int do_meal(Rt *rt, PVersion *v, const ZcMealFacts *meal, const ZcElderFacts *elder,
                   const ZcSiteFacts *site, const char **reason, const ZcPart **pparts,
                   int *pn, char **pzErr) {
  Memo *mo = &v->memo[FN_MEAL];
  const MemoEntry *x = rt->memo_on ? memo_find(rt, mo, 0, NULL, elder, meal, site) : NULL;
  if (x) {
    *reason = x->reason;
    *pparts = x->parts;
    *pn = x->nparts;
    return SQLITE_OK;
  }
  CallCtx c;
  memset(&c, 0, sizeof c);
  c.rt = rt;
  c.v = v;
  c.fn = FN_MEAL;
  memset(&rt->seen, 0, sizeof rt->seen);
  rt->cur_elder = elder;
  rt->cur_meal = meal;
  rt->cur_site = site;
  int rc = call_version(rt, &c, pzErr);
  if (rc != SQLITE_OK) return rc;
  if (rt->memo_on) memo_add(rt, mo, &rt->seen, 0, NULL, elder, meal, site, &c);
  memcpy(rt->meal_parts, c.parts, sizeof c.parts);
  *reason = c.reason;
  *pparts = rt->meal_parts;
  *pn = c.nparts;
  return SQLITE_OK;
}

int zc_policy_subsidy(ZcConn *zc, const ZcPolicyVersion *pv, const ZcMealFacts *meal,
                      const ZcElderFacts *elder_any, const ZcElderFacts *elder_site,
                      const ZcSiteFacts *site, const ZcMealResult *elig, ZcMealResult *out,
                      char **pzErr) {
  Rt *rt = rt_get(zc, pzErr);
  if (!rt) return SQLITE_ERROR;
  PVersion *v = (PVersion *)pv;
  int rc = SQLITE_OK;
  out->reason = NULL;
  out->nparts = 0;
  out->total = 0;
  if (elig) {
    out->eligible = elig->eligible;
    out->eligible_reason = elig->eligible_reason;
  } else {
    rc = do_eligible(rt, v, elder_any, meal->day, "meal", &out->eligible, &out->eligible_reason, pzErr);
  }
  if (rc != SQLITE_OK || !out->eligible) return rc;
  const ZcPart *parts;
  int nparts;
  rc = do_meal(rt, v, meal, elder_site, site, &out->reason, &parts, &nparts, pzErr);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 total = 0;
  for (int i = 0; i < nparts; i++) {
    if (parts[i].fen > INT64_MAX - total) {
      *pzErr = sqlite3_mprintf("%s@%s: meal() parts add up to more than 2^63 fen (version %lld)",
                               VNAME(v), v->pub.id);
      return SQLITE_ERROR;
    }
    total += parts[i].fen;
    out->parts[i] = parts[i];
  }
  out->nparts = nparts;
  out->total = total;
  return SQLITE_OK;
}

int zc_policy_site(ZcConn *zc, const ZcPolicyVersion *pv, const ZcSiteFacts *site,
                   const char *month, const ZcSiteStats *stats, const ZcSiteItem **pItems, int *pn,
                   char **pzErr) {
  *pItems = NULL;
  *pn = 0;
  if (!pv->has_site) return SQLITE_OK;
  Rt *rt = rt_get(zc, pzErr);
  if (!rt) return SQLITE_ERROR;
  CallCtx c;
  memset(&c, 0, sizeof c);
  c.rt = rt;
  c.v = (PVersion *)pv;
  c.fn = FN_SITE;
  c.month = month;
  memset(&rt->seen, 0, sizeof rt->seen);
  rt->cur_site = site;
  rt->cur_stats = stats;
  int rc = call_version(rt, &c, pzErr);
  if (rc != SQLITE_OK) return rc;
  *pItems = rt->items;
  *pn = c.nitems;
  return SQLITE_OK;
}

int zc_policy_number(const ZcPolicyVersion *pv, const char *table, const char *key, double *out) {
  const PVersion *v = (const PVersion *)pv;
  const PNum *a = NULL;
  int n = 0;
  if (strcmp(table, "params") == 0) a = v->params, n = v->nparams;
  else if (strcmp(table, "anomaly") == 0) a = v->anomaly, n = v->nanomaly;
  for (int i = 0; i < n; i++) {
    if (strcmp(a[i].key, key) == 0) {
      *out = a[i].val;
      return 1;
    }
  }
  return 0;
}

char *zc_policy_params_json(ZcConn *zc, const ZcPolicyVersion *pv) {
  (void)zc;
  const PVersion *v = (const PVersion *)pv;
  return sqlite3_mprintf("%s", v->params_json ? v->params_json : "{}");
}

int zc_policy_slot_at(const ZcPolicyVersion *v, int secs) {
  for (int i = 0; i < ZC_NSLOT; i++)
    if (secs >= v->windows[i].from && secs <= v->windows[i].to) return i;
  return -1;
}

/* ------------------------------------------------------------ the store */

static const char store_sql[] =
    "CREATE TABLE IF NOT EXISTS zhucan_policy(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " effective_from TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL,"
    " installed_at TEXT NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS zhucan_policy_no_update BEFORE UPDATE ON zhucan_policy"
    " BEGIN SELECT RAISE(ABORT, 'zhucan_policy: stored policy versions are immutable;"
    " install a new version'); END;"
    "CREATE TRIGGER IF NOT EXISTS zhucan_policy_no_delete BEFORE DELETE ON zhucan_policy"
    " BEGIN SELECT RAISE(ABORT, 'zhucan_policy: stored policy versions are immutable;"
    " install a new version'); END;";

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

/* Re-reads the version index if the database may have changed. */
static int idx_sync(Rt *rt, int pinned, char **pzErr) {
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
  int rc = sqlite3_prepare_v2(db, "SELECT id, name, effective_from, sha256 FROM zhucan_policy"
                              " ORDER BY id", -1, &st, NULL);
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

/* The loaded version for index row r (loading it on first use). */
static int version_of_row(Rt *rt, const IndexRow *r, const ZcPolicyVersion **out, char **pzErr) {
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
  rc = load_version(rt, src ? src : "", len, chunk, &v, &msg);
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
  if (v) version_free(rt, v);
  sqlite3_finalize(st);
  sqlite3_free(msg);
  sqlite3_free(chunk);
  if (rc != SQLITE_OK && !*pzErr) *pzErr = sqlite3_mprintf("%s", sqlite3_errstr(rc));
  return rc;
}

int zc_policy_for_name(ZcConn *zc, const ZcPolicyPick *pick, const char *name, int day,
                       const ZcPolicyVersion **out, char **pzErr) {
  *out = NULL;
  Rt *rt = rt_get(zc, pzErr);
  if (!rt) return SQLITE_ERROR;
  int rc = idx_sync(rt, pick && pick->pinned, pzErr);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 horizon = pick ? pick->horizon : 0;
  if (rt->last_name && rt->last_day == day && rt->last_horizon == horizon &&
      strcmp(rt->last_name, name) == 0) {
    *out = rt->last_v;
    return SQLITE_OK;
  }
  int best = -1, found = 0;
  for (int i = 0; i < rt->nrows; i++) {
    const IndexRow *r = &rt->rows[i];
    if (strcmp(r->name, name) != 0) continue;
    /* replay(): versions installed after the run are invisible */
    if (horizon > 0 && r->id > horizon) continue;
    found = 1;
    if (r->eff == ZC_NONE) {
      *pzErr = sqlite3_mprintf("policy version %lld (%s) is damaged: its effective_from is not "
                               "a date", r->id, r->name);
      return SQLITE_ERROR;
    }
    /* rows are in id order: >= keeps the latest installed among equals */
    if (r->eff <= day && (best < 0 || r->eff >= rt->rows[best].eff)) best = i;
  }
  if (!found) {
    *pzErr = sqlite3_mprintf("policy '%s' is not installed (install it with policy_load() or "
                             "policy_install())", name);
    return SQLITE_ERROR;
  }
  if (best >= 0) {
    rc = version_of_row(rt, &rt->rows[best], out, pzErr);
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

/* ------------------------------------------------------- runtime lifetime */

static void version_free(Rt *rt, PVersion *v) {
  if (!v) return;
  if (rt->L) {
    for (int i = 0; i < 3; i++) luaL_unref(rt->L, LUA_REGISTRYINDEX, v->ref_fn[i]);
    luaL_unref(rt->L, LUA_REGISTRYINDEX, v->ref_snap);
    luaL_unref(rt->L, LUA_REGISTRYINDEX, v->ref_tests);
  }
  for (int i = 0; i < v->nparams; i++) sqlite3_free(v->params[i].key);
  for (int i = 0; i < v->nanomaly; i++) sqlite3_free(v->anomaly[i].key);
  sqlite3_free(v->params);
  sqlite3_free(v->anomaly);
  sqlite3_free(v->params_json);
  sqlite3_free(v->name);
  memo_clear(&v->memo[0]);
  memo_clear(&v->memo[1]);
  sqlite3_free(v);
}

static Rt *rt_get(ZcConn *zc, char **pzErr) {
  Rt *rt = zc->policy;
  if (!rt) {
    *pzErr = sqlite3_mprintf("the policy runtime is not initialised");
    return NULL;
  }
  if (rt->L) return rt;
  lua_State *L = lua_newstate(rt_alloc, rt);
  if (!L) {
    *pzErr = sqlite3_mprintf("cannot create the Lua state: out of memory");
    return NULL;
  }
  rt->L = L;
  char *msg = NULL;
  if (rt_run(rt, rt_init_lua, rt, &msg) != RUN_OK) {
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
    version_free(rt, rt->all);
    rt->all = nx;
  }
  if (rt->L) lua_close(rt->L);
  rows_free(rt);
  zc_map_clear(&rt->by_id);
  sqlite3_free(rt->last_name);
  sqlite3_free(rt->kbuf);
  sqlite3_free(rt->items);
  sqlite3_free(rt);
  zc->policy = NULL;
}

/* --------------------------------------------------------- SQL: install */

static void install_source(sqlite3_context *ctx, const char *fn, const char *src, size_t len,
                           const char *chunk) {
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  char *err = NULL, *msg = NULL;
  PVersion *v = NULL;
  sqlite3_stmt *st = NULL;
  Rt *rt = rt_get(zc, &err);
  if (!rt) goto error;
  if (load_version(rt, src, len, chunk, &v, &msg) != SQLITE_OK) {
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
  if (sqlite3_exec(db, store_sql, NULL, NULL, NULL) != SQLITE_OK) {
    err = sqlite3_mprintf("cannot create zhucan_policy: %s", sqlite3_errmsg(db));
    goto error;
  }
  sqlite3_int64 before = sqlite3_last_insert_rowid(db);
  if (sqlite3_prepare_v2(db, "INSERT INTO zhucan_policy(name, effective_from, sha256, source,"
                         " installed_at) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK) {
    err = sqlite3_mprintf("cannot store the policy: %s", sqlite3_errmsg(db));
    goto error;
  }
  sqlite3_bind_text(st, 1, v->pub.name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, v->pub.effective_text, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, src, (int)len, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, when, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) {
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
  if (err) zc_errorf(ctx, "%s: %s", fn, err);
  else sqlite3_result_error_nomem(ctx);
done:
  sqlite3_finalize(st);
  if (v) version_free(rt, v);
  sqlite3_free(err);
  sqlite3_free(msg);
}

static void policy_install_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
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
  install_source(ctx, "policy_install", src, (size_t)n, "=source");
}

static void policy_load_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *path = (const char *)sqlite3_value_text(argv[0]);
  char *buf = NULL, *chunk = NULL;
  FILE *f = NULL;
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !path || !*path) {
    char *r = zc_value_repr(argv[0]);
    zc_errorf(ctx, "policy_load: path %s is not a file name", r ? r : "?");
    sqlite3_free(r);
    goto done;
  }
  f = fopen(path, "rb");
  if (!f) {
    zc_errorf(ctx, "policy_load: cannot open '%s': %s", path, strerror(errno));
    goto done;
  }
  buf = sqlite3_malloc(ZC_POLICY_MAX_SRC + 1);
  if (!buf) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  size_t n = fread(buf, 1, ZC_POLICY_MAX_SRC + 1, f);
  if (ferror(f)) {
    zc_errorf(ctx, "policy_load: cannot read '%s': %s", path, strerror(errno));
    goto done;
  }
  if (n == 0 || n > ZC_POLICY_MAX_SRC) {
    zc_errorf(ctx, "policy_load: '%s' is %s; expected 1 to %d bytes of Lua", path,
              n ? "too large" : "empty", ZC_POLICY_MAX_SRC);
    goto done;
  }
  const char *base = strrchr(path, '/');
  chunk = sqlite3_mprintf("=%s", base ? base + 1 : path);
  if (!chunk) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  install_source(ctx, "policy_load", buf, n, chunk);
done:
  if (f) fclose(f);
  sqlite3_free(buf);
  sqlite3_free(chunk);
}

/* ------------------------------------------------------ SQL: policy_test */

/* A case of a version's tests table:
**   { name = "80+ lunch", call = "meal" | "eligible" | "subsidy" | "site",
**     elder = {...}, meal = {...}, site = {...}, stats = {...},
**     day = "YYYY-MM-DD", service = "meal", month = "YYYY-MM",
**     expect = true | { county = 500 } | { {item=, payer=, fen=, quantity=}, ... },
**     reason = "text" (optional), error = "text the error contains" (optional) }
** Facts are plain tables with the fields the rules see; they go through
** the same C structs, proxies, checks and memo as real facts. */
enum { CALL_ELIGIBLE, CALL_MEAL, CALL_SITE, CALL_SUBSIDY };

typedef struct TestCtx {
  Rt *rt;
  PVersion *v;
  lua_Integer i, n;
  const char *name;
  int call, day;
  const char *service;
  char month[8];
  ZcElderFacts elder;
  ZcMealFacts meal;
  ZcSiteFacts site;
  ZcSiteStats stats;
  /* result */
  int ok;
  const char *reason;
  const ZcPart *parts;
  int nparts;
  const ZcSiteItem *items;
  int nitems;
  char *err;
  char *fail;        /* set by compare */
  sqlite3_str *s;    /* compare's message under construction */
} TestCtx;

static int count_protected(lua_State *L) {
  TestCtx *t = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->v->ref_tests);
  t->n = lua_istable(L, -1) ? (lua_Integer)luaL_len(L, -1) : 0;
  return 0;
}

/* pushes case i and returns its index */
static int push_case(lua_State *L, TestCtx *t) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->v->ref_tests);
  lua_geti(L, -1, t->i);
  if (!lua_istable(L, -1)) luaL_error(L, "tests[%I] is not a table", t->i);
  lua_getfield(L, -1, "name");
  t->name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1);
  return lua_gettop(L);
}

static const char *case_str(lua_State *L, TestCtx *t, int tab, const char *what, const char *k) {
  int ty = lua_getfield(L, tab, k);
  const char *s = NULL;
  if (ty == LUA_TSTRING) s = lua_tostring(L, -1);
  else if (ty != LUA_TNIL) luaL_error(L, "%s.%s must be a string", what, k);
  lua_pop(L, 1);   /* the string stays alive in the frozen tests table */
  (void)t;
  return s;
}

static int case_day(lua_State *L, TestCtx *t, int tab, const char *what, const char *k) {
  const char *s = case_str(L, t, tab, what, k);
  if (!s) return ZC_NONE;
  int d = zc_day_parse(s, -1);
  if (d == ZC_NONE) luaL_error(L, "%s.%s '%s' is not a date 'YYYY-MM-DD'", what, k, s);
  return d;
}

static sqlite3_int64 case_int(lua_State *L, int tab, const char *what, const char *k,
                              sqlite3_int64 dflt) {
  int ty = lua_getfield(L, tab, k);
  sqlite3_int64 v = dflt;
  if (ty != LUA_TNIL) {
    if (!lua_isinteger(L, -1)) luaL_error(L, "%s.%s must be an integer", what, k);
    v = (sqlite3_int64)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

/* every key of table tab must be a field of kind */
static void case_fields(lua_State *L, int tab, int kind) {
  push_contents(L, tab);
  int c = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, c)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; kind_fields[kind][i]; i++)
        known |= strcmp(lua_tostring(L, -1), kind_fields[kind][i]) == 0;
    if (!known) {
      lua_pushvalue(L, -1);
      luaL_error(L, "%s has no field %s", kind_name[kind], luaL_tolstring(L, -1, NULL));
    }
  }
  lua_pop(L, 1);
}

static int case_facts(lua_State *L, TestCtx *t, int cs, const char *k, int kind) {
  int ty = lua_getfield(L, cs, k);
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
  } else if (ty != LUA_TTABLE) {
    luaL_error(L, "%s must be a table", k);
  }
  case_fields(L, lua_gettop(L), kind);
  (void)t;
  return lua_gettop(L);
}

static int parse_protected(lua_State *L) {
  TestCtx *t = lua_touserdata(L, 1);
  Rt *rt = t->rt;
  int cs = push_case(L, t);
  if (!t->name) luaL_error(L, "the case has no name");
  const char *call = case_str(L, t, cs, "case", "call");
  static const char *const calls[] = {"eligible", "meal", "site", "subsidy", NULL};
  t->call = -1;
  for (int i = 0; call && calls[i]; i++)
    if (strcmp(call, calls[i]) == 0) t->call = i;
  if (t->call < 0) luaL_error(L, "call must be 'eligible', 'meal', 'subsidy' or 'site'");
  t->service = case_str(L, t, cs, "case", "service");
  if (!t->service) t->service = "meal";
  int e = case_facts(L, t, cs, "elder", K_ELDER);
  int m = case_facts(L, t, cs, "meal", K_MEAL);
  int s = case_facts(L, t, cs, "site", K_SITE);
  int st = case_facts(L, t, cs, "stats", K_STATS);
  /* site */
  ZcSiteFacts *S = &t->site;
  S->id = case_int(L, s, "site", "id", 1);
  S->name = case_str(L, t, s, "site", "name");
  if (!S->name) S->name = "site";
  S->kind = case_str(L, t, s, "site", "kind");
  if (!S->kind) S->kind = "canteen";
  sqlite3_int64 g = case_int(L, s, "site", "grade", ZC_NONE);
  S->grade = (int)g;
  S->beds = (int)case_int(L, s, "site", "beds", 0);
  S->area_m2 = NAN;
  if (lua_getfield(L, s, "area_m2") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "site.area_m2 must be a number");
    S->area_m2 = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  S->opened_on = case_day(L, t, s, "site", "opened_on");
  S->closed_on = case_day(L, t, s, "site", "closed_on");
  S->slots = ZC_SLOT_LUNCH;
  if (lua_getfield(L, s, "slots") != LUA_TNIL) {
    if (!lua_istable(L, -1)) luaL_error(L, "site.slots must be a list of slot words");
    push_contents(L, -1);
    S->slots = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      const char *w = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                      : lua_type(L, -2) == LUA_TSTRING && lua_toboolean(L, -1) ? lua_tostring(L, -2)
                                                                             : NULL;
      int i = zc_slot_index(w);
      if (i < 0) luaL_error(L, "site.slots: expected breakfast, lunch or dinner");
      S->slots |= 1u << i;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  S->region = case_str(L, t, s, "site", "region");
  S->village = case_str(L, t, s, "site", "village");
  S->township = case_str(L, t, s, "site", "township");
  S->county = case_str(L, t, s, "site", "county");
  /* meal and the case's day */
  ZcMealFacts *M = &t->meal;
  int cday = case_day(L, t, cs, "case", "day");
  const char *month = case_str(L, t, cs, "case", "month");
  int first = 0, next = 0;
  if (month) {
    if (!zc_month_parse(month, -1, &first, &next)) luaL_error(L, "month '%s' is not 'YYYY-MM'", month);
    memcpy(t->month, month, 8);
  }
  const char *slot = case_str(L, t, m, "meal", "slot");
  int si = zc_slot_index(slot);
  if (slot && si < 0) luaL_error(L, "meal.slot '%s' is not breakfast, lunch or dinner", slot);
  M->slot = si >= 0 ? zc_slot_name(si) : "lunch";
  if (si < 0) si = ZC_LUNCH;
  const char *served = case_str(L, t, m, "meal", "served_at");
  int mday = case_day(L, t, m, "meal", "day");
  if (served) {
    if (!zc_time_parse(served, -1, &M->served_at))
      luaL_error(L, "meal.served_at '%s' is not 'YYYY-MM-DD HH:MM:SS'", served);
    mday = (int)(M->served_at / ZC_DAY_SECONDS);
  } else {
    if (mday == ZC_NONE) mday = cday;
    if (mday == ZC_NONE && month) mday = first;
    const char *tm = case_str(L, t, m, "meal", "time");
    int secs = tm ? clock_parse(tm, strlen(tm)) : t->v->pub.windows[si].from;
    if (secs < 0) luaL_error(L, "meal.time '%s' is not 'HH:MM:SS'", tm);
    M->served_at = mday == ZC_NONE ? 0 : (sqlite3_int64)mday * ZC_DAY_SECONDS + secs;
  }
  M->day = mday;
  t->day = cday != ZC_NONE ? cday : mday;
  if (t->call != CALL_SITE && t->day == ZC_NONE)
    luaL_error(L, "the case needs a day (day = 'YYYY-MM-DD' or meal.served_at)");
  if (t->call == CALL_SITE && !month) luaL_error(L, "a site case needs month = 'YYYY-MM'");
  M->id = case_int(L, m, "meal", "id", 1);
  M->method = case_str(L, t, m, "meal", "method");
  if (!M->method) M->method = "card";
  M->device = case_str(L, t, m, "meal", "device");
  M->token = case_str(L, t, m, "meal", "token");
  M->price_fen = case_int(L, m, "meal", "price_fen", ZC_NO_PRICE);
  M->site_id = case_int(L, m, "meal", "site_id", S->id);
  M->nth_slot = (int)case_int(L, m, "meal", "nth_slot", 1);
  M->nth_day = (int)case_int(L, m, "meal", "nth_day", 1);
  M->nth_month = (int)case_int(L, m, "meal", "nth_month", 1);
  /* elder */
  ZcElderFacts *E = &t->elder;
  E->id = case_int(L, e, "elder", "id", 1);
  const char *sex = case_str(L, t, e, "elder", "sex");
  if (sex && strcmp(sex, "M") != 0 && strcmp(sex, "F") != 0) luaL_error(L, "elder.sex must be 'M' or 'F'");
  E->sex = sex ? sex[0] : 0;
  E->birth = case_day(L, t, e, "elder", "birth_date");
  E->age = (int)case_int(L, e, "elder", "age", ZC_NONE);
  if (E->age == ZC_NONE && E->birth != ZC_NONE && t->day != ZC_NONE)
    E->age = zc_age_years(E->birth, t->day);
  E->region = case_str(L, t, e, "elder", "region");
  E->village = case_str(L, t, e, "elder", "village");
  E->township = case_str(L, t, e, "elder", "township");
  E->county = case_str(L, t, e, "elder", "county");
  E->died_on = case_day(L, t, e, "elder", "died_on");
  if (lua_getfield(L, e, "agreement") != LUA_TNIL) {
    if (!lua_isboolean(L, -1)) luaL_error(L, "elder.agreement must be true or false");
    E->agreement = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  E->bed = case_int(L, e, "elder", "bed", 0);
  if (lua_getfield(L, e, "status") != LUA_TNIL) {
    if (!lua_istable(L, -1)) luaL_error(L, "elder.status must be a set {dibao = true} or a list");
    push_contents(L, -1);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      const char *w = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                      : lua_type(L, -2) == LUA_TSTRING && lua_toboolean(L, -1) ? lua_tostring(L, -2)
                                                                             : NULL;
      if (w) {
        int bit = zc_status_bit(rt->zc, w, 1);
        if (bit < 0) luaL_error(L, "elder.status: too many status words");
        E->status |= 1ull << bit;
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  /* stats */
  for (int i = 0; stats_fields[i]; i++) {
    sqlite3_int64 x = case_int(L, st, "stats", stats_fields[i], 0);
    switch (i) {
      case 0: t->stats.meals = x; break;
      case 1: t->stats.subsidised_meals = x; break;
      case 2: t->stats.diners = x; break;
      case 3: t->stats.days_served = x; break;
      case 4: t->stats.residents_full = x; break;
      default: t->stats.residents_semi = x; break;
    }
  }
  return 0;
}

static void fmt_parts(sqlite3_str *s, const ZcPart *p, int n) {
  sqlite3_str_appendchar(s, 1, '{');
  for (int i = 0; i < n; i++)
    sqlite3_str_appendf(s, "%s%s=%lld", i ? ", " : "", p[i].payer, p[i].fen);
  sqlite3_str_appendchar(s, 1, '}');
}

static void fmt_items(sqlite3_str *s, const ZcSiteItem *p, int n) {
  sqlite3_str_appendchar(s, 1, '{');
  for (int i = 0; i < n; i++)
    sqlite3_str_appendf(s, "%s%s/%s %lld fen x%lld", i ? ", " : "", p[i].item, p[i].payer,
                        p[i].fen, p[i].quantity);
  sqlite3_str_appendchar(s, 1, '}');
}

static int compare_protected(lua_State *L) {
  TestCtx *t = lua_touserdata(L, 1);
  int cs = push_case(L, t);
  sqlite3_str *s = t->s;
  const char *experr = case_str(L, t, cs, "case", "error");
  if (experr || t->err) {
    if (!experr) sqlite3_str_appendf(s, "failed: %s", t->err);
    else if (!t->err) sqlite3_str_appendf(s, "expected an error containing '%s', got none", experr);
    else if (!strstr(t->err, experr))
      sqlite3_str_appendf(s, "expected an error containing '%s', got: %s", experr, t->err);
    goto out;
  }
  lua_getfield(L, cs, "expect");
  int ex = lua_gettop(L);
  if (t->call == CALL_ELIGIBLE) {
    if (!lua_isboolean(L, ex)) {
      sqlite3_str_appendall(s, "expect must be true or false");
    } else if (lua_toboolean(L, ex) != t->ok) {
      sqlite3_str_appendf(s, "expected %s, got %s (reason %Q)", t->ok ? "false" : "true",
                          t->ok ? "true" : "false", t->reason);
    }
  } else if (t->call == CALL_SITE) {
    if (!lua_istable(L, ex)) {
      sqlite3_str_appendall(s, "expect must be a list of {item=, payer=, fen=, quantity=}");
      goto out;
    }
    lua_Integer n = (lua_Integer)luaL_len(L, ex), k = 0;
    int same = 1;
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, ex, i);
      int it = lua_gettop(L);
      if (!lua_istable(L, it)) luaL_error(L, "expect[%I] is not a table", i);
      const char *item = case_str(L, t, it, "expect", "item");
      const char *payer = case_str(L, t, it, "expect", "payer");
      sqlite3_int64 fen = case_int(L, it, "expect", "fen", 0);
      sqlite3_int64 q = case_int(L, it, "expect", "quantity", 1);
      lua_settop(L, ex);
      if (fen == 0) continue;
      if (k >= t->nitems || !item || !payer || strcmp(item, t->items[k].item) != 0 ||
          strcmp(payer, t->items[k].payer) != 0 || fen != t->items[k].fen || q != t->items[k].quantity)
        same = 0;
      k++;
    }
    if (!same || k != t->nitems) {
      sqlite3_str_appendall(s, "site items differ: got ");
      fmt_items(s, t->items, t->nitems);
    }
  } else {
    if (!lua_istable(L, ex)) {
      sqlite3_str_appendall(s, "expect must be a table {payer = fen} ({} for no subsidy)");
      goto out;
    }
    push_contents(L, ex);
    int c = lua_gettop(L), same = 1, nexp = 0;
    lua_pushnil(L);
    while (lua_next(L, c)) {
      sqlite3_int64 fen = lua_isinteger(L, -1) ? (sqlite3_int64)lua_tointeger(L, -1) : -1;
      const char *payer = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      lua_pop(L, 1);
      if (fen == 0) continue;
      nexp++;
      int hit = 0;
      for (int i = 0; i < t->nparts; i++)
        hit |= strcmp(t->parts[i].payer, payer) == 0 && t->parts[i].fen == fen;
      same &= hit;
    }
    if (!same || nexp != t->nparts) {
      sqlite3_str_appendall(s, "expected ");
      ZcPart ep[ZC_MAX_PARTS];
      int ne = 0;
      lua_pushnil(L);
      while (lua_next(L, c)) {
        if (ne < ZC_MAX_PARTS && lua_type(L, -2) == LUA_TSTRING && lua_isinteger(L, -1) &&
            lua_tointeger(L, -1) != 0) {
          ep[ne].payer = lua_tostring(L, -2);
          ep[ne].fen = (sqlite3_int64)lua_tointeger(L, -1);
          ne++;
        }
        lua_pop(L, 1);
      }
      qsort(ep, (size_t)ne, sizeof ep[0], payer_cmp);
      fmt_parts(s, ep, ne);
      sqlite3_str_appendall(s, ", got ");
      fmt_parts(s, t->parts, t->nparts);
      if (t->call == CALL_SUBSIDY && !t->ok) sqlite3_str_appendf(s, " (not eligible: %Q)", t->reason);
    }
  }
  {
    const char *er = case_str(L, t, cs, "case", "reason");
    if (er && sqlite3_str_length(s) == 0 && (!t->reason || strcmp(er, t->reason) != 0))
      sqlite3_str_appendf(s, "expected reason '%s', got %Q", er, t->reason);
  }
out:
  return 0;
}

/* Runs case t->i; t->fail set when it fails. */
static void run_case(TestCtx *t) {
  Rt *rt = t->rt;
  char *msg = NULL;
  if (rt_run(rt, parse_protected, t, &msg) != RUN_OK) {
    t->fail = sqlite3_mprintf("bad case: %s", msg ? msg : "out of memory");
    sqlite3_free(msg);
    return;
  }
  ZcMealResult r;
  int rc = SQLITE_OK;
  switch (t->call) {
    case CALL_ELIGIBLE:
      rc = do_eligible(rt, t->v, &t->elder, t->day, t->service, &t->ok, &t->reason, &t->err);
      break;
    case CALL_MEAL:
      rc = do_meal(rt, t->v, &t->meal, &t->elder, &t->site, &t->reason, &t->parts, &t->nparts,
                   &t->err);
      break;
    case CALL_SUBSIDY:
      rc = zc_policy_subsidy(rt->zc, &t->v->pub, &t->meal, &t->elder, &t->elder, &t->site, NULL, &r,
                             &t->err);
      if (rc == SQLITE_OK) {
        t->ok = r.eligible;
        t->reason = r.eligible ? r.reason : r.eligible_reason;
        memcpy(rt->meal_parts, r.parts, sizeof rt->meal_parts);
        t->parts = rt->meal_parts;
        t->nparts = r.nparts;
      }
      break;
    default:
      rc = zc_policy_site(rt->zc, &t->v->pub, &t->site, t->month, &t->stats, &t->items,
                          &t->nitems, &t->err);
      break;
  }
  if (rc != SQLITE_OK && !t->err) t->err = sqlite3_mprintf("%s", sqlite3_errstr(rc));
  t->s = sqlite3_str_new(NULL);
  if (rt_run(rt, compare_protected, t, &msg) != RUN_OK) {
    t->fail = sqlite3_mprintf("bad case: %s", msg ? msg : "out of memory");
    sqlite3_free(msg);
  } else if (sqlite3_str_length(t->s) > 0) {
    t->fail = sqlite3_str_finish(t->s);
    t->s = NULL;
  } else if (sqlite3_str_errcode(t->s) != SQLITE_OK) {
    t->fail = sqlite3_mprintf("out of memory");
  }
  if (t->s) sqlite3_free(sqlite3_str_finish(t->s));
  t->s = NULL;
  sqlite3_free(t->err);
  t->err = NULL;
}

static void policy_test_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  char *err = NULL;
  const char *name = (const char *)sqlite3_value_text(argv[0]);
  sqlite3_str *fails = NULL;
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !name || !*name) {
    char *r = zc_value_repr(argv[0]);
    zc_errorf(ctx, "policy_test: name %s is not a policy name", r ? r : "?");
    sqlite3_free(r);
    return;
  }
  Rt *rt = rt_get(zc, &err);
  if (!rt || idx_sync(rt, 0, &err) != SQLITE_OK) goto error;
  fails = sqlite3_str_new(NULL);
  int nver = 0, ncase = 0, nfail = 0;
  for (int i = 0; i < rt->nrows; i++) {
    if (strcmp(rt->rows[i].name, name) != 0) continue;
    nver++;
    const ZcPolicyVersion *pv = NULL;
    char *verr = NULL;
    IndexRow row = rt->rows[i];   /* the index may be rebuilt by a call */
    if (version_of_row(rt, &row, &pv, &verr) != SQLITE_OK) {
      sqlite3_str_appendf(fails, "\n  version %lld: %s", row.id, verr ? verr : "out of memory");
      sqlite3_free(verr);
      nfail++;
      continue;
    }
    TestCtx t;
    memset(&t, 0, sizeof t);
    t.rt = rt;
    t.v = (PVersion *)pv;
    char *msg = NULL;
    if (rt_run(rt, count_protected, &t, &msg) != RUN_OK) {
      sqlite3_str_appendf(fails, "\n  %s@%s (version %lld): tests: %s", VNAME(t.v), row.id,
                          msg ? msg : "out of memory");
      sqlite3_free(msg);
      nfail++;
      continue;
    }
    for (lua_Integer k = 1; k <= t.n; k++) {
      TestCtx c = t;
      c.i = k;
      run_case(&c);
      ncase++;
      if (c.fail) {
        nfail++;
        sqlite3_str_appendf(fails, "\n  %s@%s (version %lld) case %lld '%s': %s", VNAME(t.v), row.id,
                            (long long)k, c.name ? c.name : "?", c.fail);
        sqlite3_free(c.fail);
      }
    }
  }
  if (nver == 0) {
    err = sqlite3_mprintf("no installed version of policy '%s'", name);
    goto error;
  }
  if (nfail) {
    char *list = sqlite3_str_finish(fails);
    fails = NULL;
    zc_errorf(ctx, "policy_test: %d of %d cases of '%s' failed:%s", nfail, ncase, name,
              list ? list : "");
    sqlite3_free(list);
    return;
  }
  sqlite3_free(sqlite3_str_finish(fails));
  char *ok = sqlite3_mprintf("ok: %d cases", ncase);
  if (ok) sqlite3_result_text(ctx, ok, -1, sqlite3_free);
  else sqlite3_result_error_nomem(ctx);
  return;
error:
  if (fails) sqlite3_free(sqlite3_str_finish(fails));
  if (err) zc_errorf(ctx, "policy_test: %s", err);
  else sqlite3_result_error_nomem(ctx);
  sqlite3_free(err);
}

/* ----------------------------------------------------------- registration */

int zc_policy_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  /* policy_load reads files and policy_install writes: direct-only, so a
  ** hostile schema cannot call them from a view or trigger. */
  static const ZcFunc aFunc[] = {
      {"policy_load", 1, ZC_DIRECT, policy_load_func},
      {"policy_install", 1, ZC_DIRECT, policy_install_func},
      {"policy_test", 1, SQLITE_UTF8, policy_test_func},
  };
  Rt *rt = sqlite3_malloc(sizeof *rt);
  if (!rt) return SQLITE_NOMEM;
  memset(rt, 0, sizeof *rt);
  rt->zc = zc;
  rt->mem_cap = ZC_POLICY_MEM_CAP;
  const char *nm = getenv("ZHUCAN_NO_MEMO");
  rt->memo_on = !(nm && strcmp(nm, "1") == 0);
  zc_map_init(&rt->by_id);
  zc->policy = rt;
  return zc_register_funcs(db, aFunc, sizeof aFunc / sizeof aFunc[0], zc);
}
