/*
** sandbox.c — the Lua state policies run in (after Redis' script_lua.c and
** the CVEs against it).  No SQL of its own.
**
** One lua_State per connection with a counting allocator (64 MiB cap); base
** (pruned), string, table, math, utf8 opened one by one; no io, os,
** package, require, debug, load, dofile, collectgarbage, string.dump,
** coroutines, randomness or clock; string.find is plain-only and
** match/gmatch/gsub are absent (Lua patterns backtrack in C where no hook
** can stop them); setmetatable refuses __gc (finalizers run with hooks off)
** and __mode (results would depend on GC timing); tostring never shows
** addresses; getmetatable("") answers a string, not the string metatable.
** Chunks are text only (mode "t", policy_load.c).  Each version runs in its
** own _ENV whose reads fall through to the read-only base made here and end
** in an error for an undeclared global.  After the chunk ran, its globals,
** the returned table and every table reachable from it or from its
** functions' upvalues are frozen in place (zc_sb_freeze: contents moved
** behind a protected metatable); after each call the functions' upvalues
** are compared with a snapshot (policy_call.c), so a rule that assigns a
** chunk-level local fails.  No call can leak state into the next.  Each
** call gets a budget of ZC_POLICY_BUDGET VM instructions (count hook);
** once exceeded — or once the allocator refused memory — the hook raises
** on every instruction, so pcall cannot swallow it, and the call fails
** whatever it returns (zc_sb_run).
*/
#include "policy_int.h"
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- allocator */

static void rt_hook(lua_State *L, lua_Debug *ar);

void *zc_sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
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

int zc_sb_contents(lua_State *L, int idx) {
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
  zc_sb_contents(L, 1);
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
  zc_sb_contents(L, 1);
  lua_pushnil(L);
  return 3;
}

/* Tables: contents moved to a hidden table behind a protected metatable;
** Lua functions: their upvalues, recorded in the snapshot table at snap. */
void zc_sb_freeze(lua_State *L, int idx, int vis, int snap, int depth) {
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
      zc_sb_freeze(L, -1, vis, snap, depth + 1);
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
    if (zc_sb_contents(L, idx) < 0)
      luaL_error(L, "tables in a policy must not have metatables (found one at depth %d)", depth);
    lua_pop(L, 1);
    return;   /* already frozen */
  }
  lua_newtable(L);                   /* hidden */
  int h = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    zc_sb_freeze(L, -2, vis, snap, depth + 1);
    zc_sb_freeze(L, -1, vis, snap, depth + 1);
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

int zc_sb_global_assign(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, "assignment to global '%s': policy globals are read-only "
                         "(use a local)", lua_tostring(L, 2));
  return luaL_error(L, "assignment to a global: policy globals are read-only");
}

/* The allow-list of base functions, and our replacements. */
static void base_table(lua_State *L, int g, int base) {
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
}

/* string, math, table, utf8 into base, pruned: no dump, no pattern
** matching beyond plain find, no randomness. */
static void pruned_libs(lua_State *L, int g, int base) {
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
}

/* Freezes the libraries (a rule must not patch string.upper for the next)
** and makes an undeclared global an error. */
static void seal_base(lua_State *L, int base) {
  lua_newtable(L);
  int vis = lua_gettop(L);
  lua_newtable(L);
  int snap = lua_gettop(L);
  static const char *const libnames[] = {LUA_STRLIBNAME, LUA_MATHLIBNAME, LUA_TABLIBNAME,
                                         LUA_UTF8LIBNAME, NULL};
  for (int i = 0; libnames[i]; i++) {
    lua_getfield(L, base, libnames[i]);
    zc_sb_freeze(L, -1, vis, snap, 0);
    lua_pop(L, 1);
  }
  lua_pop(L, 2);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, undeclared_global);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "read-only");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, base);
}

/* Protected (zc_sb_run): libraries, the read-only base table. */
int zc_sb_open(lua_State *L) {
  Rt *rt = rt_of(L);
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
  lua_newtable(L);
  int base = lua_gettop(L);
  base_table(L, g, base);
  pruned_libs(L, g, base);
  seal_base(L, base);
  lua_pushvalue(L, base);
  rt->ref_base = luaL_ref(L, LUA_REGISTRYINDEX);
  /* empty the real global table: nothing reaches it, but keep it bare */
  lua_newtable(L);
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
  return 0;
}

/* ------------------------------------------------------ running Lua code */

int zc_sb_run(Rt *rt, lua_CFunction f, void *ctx, char **pmsg) {
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
