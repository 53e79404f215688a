/*
** policy_facts.c — the facts as the rules see them.  No SQL of its own.
**
** Facts reach Lua as persistent proxy tables (elder, elder.status, meal,
** site, site.slots, stats), created once per state: __index is a C
** function that reads the field from the current C struct (rt->cur_*) and
** records it in rt->seen, the mask the memo keys a result on (memo.c).
** pairs() walks the fields in order and counts as reading them all;
** elder.status in byte order of its words.  Looking up a status word
** never adds it to the connection's dictionary.
** Nothing is allocated per call for facts.  Which fields exist, their
** names and how each is shown come from fields.h alone.
*/
#include "policy_int.h"
#include <math.h>
#include <string.h>

static int facts_readonly(lua_State *L) { return luaL_error(L, Ltr(L, "facts are read-only", "事实资料是只读的")); }

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

static void push_time(lua_State *L, sqlite3_int64 t) {
  char b[20];
  zc_time_format(t, b);
  lua_pushstring(L, b);
}

static void push_clock(lua_State *L, int secs) {
  char b[9];
  zc_clock_format(secs, b);
  lua_pushstring(L, b);
}

/* the nested set proxy (elder.status, site.slots) kept in kind's metatable */
static void push_nested(lua_State *L, Rt *rt, int kind, const char *name) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[kind]);
  lua_getmetatable(L, -1);
  lua_getfield(L, -1, name);
  lua_replace(L, -3);
  lua_pop(L, 1);
}

/* How each TYPE of fields.h is pushed (x: the field's C value). */
#define ZF_PUSH_I64(x) lua_pushinteger(L, (lua_Integer)(x))
#define ZF_PUSH_INTN(x) ((x) == ZC_NONE ? lua_pushnil(L) : lua_pushinteger(L, (x)))
#define ZF_PUSH_ID0(x) ((x) ? lua_pushinteger(L, (x)) : lua_pushnil(L))
#define ZF_PUSH_PRICE(x) ((x) == ZC_NO_PRICE ? lua_pushnil(L) : lua_pushinteger(L, (x)))
#define ZF_PUSH_SEX(x) ((x) == 'M' ? (void)lua_pushliteral(L, "M") : (x) == 'F' ? (void)lua_pushliteral(L, "F") : lua_pushnil(L))
#define ZF_PUSH_DAY(x) push_day(L, (x))
#define ZF_PUSH_TIME(x) push_time(L, (x))
#define ZF_PUSH_CLOCK(x) push_clock(L, (x))
#define ZF_PUSH_STR(x) push_str(L, (x))
#define ZF_PUSH_BOOL(x) lua_pushboolean(L, (x) != 0)
#define ZF_PUSH_REAL(x) (isnan(x) ? lua_pushnil(L) : lua_pushnumber(L, (x)))
#define ZF_PUSH_STATUS(x) push_nested(L, rt, ZF_K_ELDER, "status")
#define ZF_PUSH_SLOTS(x) push_nested(L, rt, ZF_K_SITE, "slots")
/* Reading a set proxy records nothing: its own __index records the words
** read (status) or the field (slots). */
#define ZF_MARKS_STATUS 0
#define ZF_MARKS_SLOTS 0
#define ZF_MARKS_I64 1
#define ZF_MARKS_INTN 1
#define ZF_MARKS_ID0 1
#define ZF_MARKS_PRICE 1
#define ZF_MARKS_SEX 1
#define ZF_MARKS_DAY 1
#define ZF_MARKS_TIME 1
#define ZF_MARKS_CLOCK 1
#define ZF_MARKS_STR 1
#define ZF_MARKS_BOOL 1
#define ZF_MARKS_REAL 1

/* Records the read, too. */
void zc_pf_push(lua_State *L, Rt *rt, int f) {
  const ZcElderFacts *e = rt->cur_elder;
  const ZcMealFacts *m = rt->cur_meal;
  const ZcSiteFacts *s = rt->cur_site;
  const ZcSiteStats *st = rt->cur_stats;
  int kind = ZF_KIND(f);
  if ((kind == ZF_K_ELDER && !e) || (kind == ZF_K_MEAL && !m) || (kind == ZF_K_SITE && !s) ||
      (kind == ZF_K_STATS && !st)) {
    luaL_error(L, Ltr(L, "%s facts are not available in this call", "这次调用里没有 %s 的事实资料"), zc_field_kind_name[kind]);
    return;
  }
  switch (f) {
#define ZF_CASE_(K, N, name, T, expr) \
  case ZF_##K##_##N:                  \
    if (ZF_MARKS_##T) rt->seen.f |= 1ull << f; \
    ZF_PUSH_##T(expr);                \
    break;
    ZC_ALL_FIELDS(ZF_CASE_)
#undef ZF_CASE_
  }
}

/* upvalues: 1 names (field name -> field number), 2 kind */
static int fact_index(lua_State *L) {
  Rt *rt = rt_of(L);
  int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER) {
    if (lua_type(L, 2) == LUA_TSTRING)
      return luaL_error(L, Ltr(L, "%s has no field '%s'", "%s 没有字段 '%s'"), zc_field_kind_name[kind], lua_tostring(L, 2));
    return luaL_error(L, Ltr(L, "%s has no field of type %s", "%s 没有 %s 类型的字段"), zc_field_kind_name[kind], luaL_typename(L, 2));
  }
  zc_pf_push(L, rt, (int)lua_tointeger(L, -1));
  return 1;
}

static int fact_next(lua_State *L) {
  Rt *rt = rt_of(L);
  int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
  int f = ZF_BEGIN(kind);
  if (!lua_isnoneornil(L, 2)) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNUMBER) return luaL_error(L, "invalid key to 'next'");
    f = (int)lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
  }
  for (; f < ZF_END(kind); f++) {
    lua_pushstring(L, zc_field_name[f]);
    zc_pf_push(L, rt, f);
    if (!lua_isnil(L, -1)) return 2;
    lua_pop(L, 2);
  }
  lua_pushnil(L);
  return 1;
}

static int fact_pairs(lua_State *L) {
  Rt *rt = rt_of(L);
  int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
  for (int f = ZF_BEGIN(kind); f < ZF_END(kind); f++) rt->seen.f |= 1ull << f;
  if (kind == ZF_K_ELDER) rt->seen.st = ~0ull;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushcclosure(L, fact_next, 2);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* The bit of status word w (n bytes) in the connection's dictionary, or
** -1: looked up, never added (a rule asking for made-up words must not
** grow the dictionary, which lives as long as the connection). */
int zc_pf_status_bit(Rt *rt, const char *w, size_t n) {
  for (int bit = 0; bit < ZC_MAX_STATUS; bit++) {
    const char *x = zc_status_name(rt->zc, bit);
    if (!x) break;
    if (strncmp(x, w, n) == 0 && x[n] == 0) return bit;
  }
  return -1;
}

/* 1 if w is one of a policy_test case's own words (rt->xwords) */
static int xword(Rt *rt, const char *w, size_t n) {
  for (int i = 0; i < rt->nxwords; i++)
    if (strncmp(rt->xwords[i], w, n) == 0 && rt->xwords[i][n] == 0) return 1;
  return 0;
}

static int status_index(lua_State *L) {
  Rt *rt = rt_of(L);
  if (!rt->cur_elder) return luaL_error(L, Ltr(L, "elder facts are not available in this call", "这次调用里没有老人（elder）的事实资料"));
  if (lua_type(L, 2) != LUA_TSTRING) return luaL_error(L, Ltr(L, "status words are strings", "身份状态词应为字符串"));
  size_t n;
  const char *w = lua_tolstring(L, 2, &n);
  int bit = zc_pf_status_bit(rt, w, n);
  if (bit < 0) {
    rt->seen.st = ~0ull;   /* an unknown word: depend on the whole set */
    if (xword(rt, w, n)) lua_pushboolean(L, 1);
    else lua_pushnil(L);
  } else {
    rt->seen.st |= 1ull << bit;
    if (rt->cur_elder->status & (1ull << bit)) lua_pushboolean(L, 1);
    else lua_pushnil(L);
  }
  return 1;
}

/* The words in force, in byte order (bit numbers depend on the order the
** connection met the words): the one after key 2, or the first. */
static int status_next(lua_State *L) {
  Rt *rt = rt_of(L);
  if (!rt->cur_elder) return luaL_error(L, Ltr(L, "elder facts are not available in this call", "这次调用里没有老人（elder）的事实资料"));
  const char *after = lua_isnoneornil(L, 2) ? NULL : luaL_checkstring(L, 2), *best = NULL;
  for (int bit = 0; bit < ZC_MAX_STATUS + rt->nxwords; bit++) {
    const char *w;
    if (bit < ZC_MAX_STATUS) {
      if (!(rt->cur_elder->status & (1ull << bit)) || !(w = zc_status_name(rt->zc, bit))) continue;
    } else {
      w = rt->xwords[bit - ZC_MAX_STATUS];
    }
    if ((!after || strcmp(w, after) > 0) && (!best || strcmp(w, best) < 0)) best = w;
  }
  if (!best) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, best);
  lua_pushboolean(L, 1);
  return 2;
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
  if (!rt->cur_site) return luaL_error(L, Ltr(L, "site facts are not available in this call", "这次调用里没有助餐点（site）的事实资料"));
  size_t n = 0;
  const char *w = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &n) : NULL;
  int i = w && strlen(w) == n ? zc_slot_index(w) : -1;
  if (i < 0)   /* a typo (site.slots.brekfast) would read as "not served" */
    return luaL_error(L, Ltr(L, "site.slots is keyed by slot, and %s is not one of the policy's windows (breakfast, "
                         "lunch, dinner)", "site.slots 以餐次为键，而 %s 不是政策的就餐时段之一（breakfast、lunch、dinner）"), zc_sb_repr(L, 2));
  rt->seen.f |= 1ull << ZF_SITE_SLOTS;
  if (rt->cur_site->slots & (1u << i)) lua_pushboolean(L, 1);
  else lua_pushnil(L);
  return 1;
}

static int slots_next(lua_State *L) {
  Rt *rt = rt_of(L);
  if (!rt->cur_site) return luaL_error(L, Ltr(L, "site facts are not available in this call", "这次调用里没有助餐点（site）的事实资料"));
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
  rt_of(L)->seen.f |= 1ull << ZF_SITE_SLOTS;
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
  for (int f = ZF_BEGIN(kind); f < ZF_END(kind); f++) {
    lua_pushinteger(L, f);
    lua_setfield(L, -2, zc_field_name[f]);
  }
  lua_pushinteger(L, kind);
  set_proxy_mt(L, fact_index, 2, fact_pairs, "facts");
  if (kind == ZF_K_ELDER || kind == ZF_K_SITE) {
    lua_newtable(L);
    if (kind == ZF_K_ELDER) set_proxy_mt(L, status_index, 0, status_pairs, "facts");
    else set_proxy_mt(L, slots_index, 0, slots_pairs, "facts");
    lua_getmetatable(L, -2);
    lua_insert(L, -2);
    lua_setfield(L, -2, kind == ZF_K_ELDER ? "status" : "slots");
    lua_pop(L, 1);
  }
  return 1;
}


/* Protected (zc_sb_run): one proxy per kind of facts. */
int zc_pf_open(lua_State *L) {
  Rt *rt = rt_of(L);
  for (int k = 0; k < ZF_NKIND; k++) {
    push_proxy(L, k);
    rt->ref_proxy[k] = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}
