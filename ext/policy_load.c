/*
** policy_load.c — a version's Lua source made into a loaded version: run
** in its own _ENV on the sandbox's base, its policy table checked field by
** field (name, effective_from, eligible/meal/site, windows, params, anomaly,
** tests, description, credit (policy_credit.c); nothing else), params kept as canonical JSON and
** numbers, then everything frozen (sandbox.c).  No SQL of its own: the
** store (policy_store.c) loads installed versions through it.
*/
#include "policy_int.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const ZcWindow zc_default_windows[ZC_NSLOT] = {
    {6 * 3600, 9 * 3600}, {11 * 3600, 13 * 3600 + 30 * 60}, {17 * 3600, 19 * 3600 + 30 * 60}};

int zc_clock_parse(const char *s, size_t n) {
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
  int stored;        /* a version already installed (payers may be absent) */
} LoadCtx;

static void json_value(lua_State *L, int idx, sqlite3_str *s, int depth, const char *path);

/* A JSON string of the Lua string at idx: UTF-8 text, else an error. */
static void json_string(lua_State *L, int idx, sqlite3_str *s, const char *path) {
  size_t n;
  const char *z = lua_tolstring(L, idx, &n);
  if (!zc_utf8_valid((const unsigned char *)z, n, NULL))
    luaL_error(L, Ltr(L, "params%s: %s is not UTF-8 text", "params%s：%s 不是 UTF-8 文字"), path, zc_sb_repr(L, idx));
  sqlite3_str_appendchar(s, 1, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)z[i];
    if (ch == '"' || ch == '\\') sqlite3_str_appendf(s, "\\%c", ch);
    else if (ch < 0x20) sqlite3_str_appendf(s, "\\u%04x", ch);
    else sqlite3_str_appendchar(s, 1, (char)ch);
  }
  sqlite3_str_appendchar(s, 1, '"');
}

typedef struct JKey {
  const char *z;
  size_t n;
  lua_Integer i;
} JKey;

static int cmp_key(const void *a, const void *b) {
  const JKey *x = a, *y = b;
  int c = memcmp(x->z, y->z, x->n < y->n ? x->n : y->n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int cmp_int_key(const void *a, const void *b) {
  const JKey *x = a, *y = b;
  return (x->i > y->i) - (x->i < y->i);
}

/* A table: a list 1..n as a JSON array; string keys, or integer keys that
** are not a list (tiers: { [65] = 300, [80] = 500 }), as an object in key
** order (bytes; integers by value, written in decimal).  A table mixing
** integer and string keys is refused: which would a reader mean? */
static void json_table(lua_State *L, int t, sqlite3_str *s, int depth, const char *path) {
  lua_Integer count = 0, nstr = 0, nint = 0, inlist = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    count++;
    if (lua_type(L, -1) == LUA_TSTRING) {
      nstr++;
    } else if (lua_isinteger(L, -1)) {
      nint++;
      inlist += lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= INT_MAX;
    } else {
      lua_pushvalue(L, -1);
      luaL_error(L, Ltr(L, "params%s: the key %s is a %s; keys must be strings or integers", "params%s：键 %s 是 %s 类型；键必须是字符串或整数"), path, zc_sb_repr(L, -1),
                 luaL_typename(L, -2));
    }
  }
  zc_sb_poll(L, count);
  if (nstr && nint) {
    lua_Integer fi = 0;
    int hfi = 0;
    const char *fs = NULL;
    lua_pushnil(L);
    while (lua_next(L, t)) {   /* an example of each, for the message */
      lua_pop(L, 1);
      if (lua_isinteger(L, -1) && (!hfi || lua_tointeger(L, -1) < fi)) fi = lua_tointeger(L, -1), hfi = 1;
      if (lua_type(L, -1) == LUA_TSTRING && !fs) {
        fs = zc_sb_repr(L, -1);
        lua_insert(L, -2);   /* keep the text below the key */
      }
    }
    luaL_error(L, Ltr(L, "params%s: a table mixes integer keys (%I) and named keys (%s); write them apart: a list "
                  "{ 300, 500 } or a tier table { [65] = 300, [80] = 500 } in a field of its own, the named "
                  "values beside it", "params%s：一个表里既有整数键（%I）又有名称键（%s）；请分开写：列表 { 300, 500 } 或分档表 { [65] = 300, [80] = 500 } 单独放在一个字段里，有名称的值放在它旁边"), path, (LUAI_UACINT)fi, fs);
  }
  if (count > 0 && nint == count && inlist == count) {
    /* keys distinct and all in 1..count: the list 1..count */
    int isl = 1;
    for (lua_Integer i = 1; i <= count && isl; i++) {
      isl = lua_rawgeti(L, t, i) != LUA_TNIL;
      lua_pop(L, 1);
    }
    if (isl) {
      sqlite3_str_appendchar(s, 1, '[');
      for (lua_Integer i = 1; i <= count; i++) {
        if (i > 1) sqlite3_str_appendchar(s, 1, ',');
        lua_rawgeti(L, t, i);
        const char *sub = lua_pushfstring(L, "%s[%I]", path, (LUAI_UACINT)i);
        json_value(L, lua_gettop(L) - 1, s, depth + 1, sub);
        lua_pop(L, 2);
      }
      sqlite3_str_appendchar(s, 1, ']');
      return;
    }
  }
  JKey *keys = lua_newuserdatauv(L, (size_t)count * sizeof *keys + 1, 0);
  lua_Integer k = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    if (nint) {
      keys[k].i = lua_tointeger(L, -1);
    } else {
      keys[k].z = lua_tolstring(L, -1, &keys[k].n);   /* alive: a key of t */
    }
    k++;
  }
  qsort(keys, (size_t)count, sizeof *keys, nint ? cmp_int_key : cmp_key);
  sqlite3_str_appendchar(s, 1, '{');
  for (lua_Integer i = 0; i < count; i++) {
    if (i) sqlite3_str_appendchar(s, 1, ',');
    const char *sub;
    if (nint) {
      sqlite3_str_appendf(s, "\"%lld\":", (long long)keys[i].i);
      lua_pushinteger(L, keys[i].i);
      sub = lua_pushfstring(L, "%s[%I]", path, (LUAI_UACINT)keys[i].i);
    } else {
      lua_pushlstring(L, keys[i].z, keys[i].n);
      sub = lua_pushfstring(L, "%s.%s", path, zc_sb_text(L, -1));
      lua_remove(L, -2);   /* the key's text (sub stays on the stack) */
      json_string(L, -2, s, path);
      sqlite3_str_appendchar(s, 1, ':');
    }
    lua_pushvalue(L, -2);
    lua_rawget(L, t);
    json_value(L, lua_gettop(L), s, depth + 1, sub);
    lua_pop(L, 3);
  }
  sqlite3_str_appendchar(s, 1, '}');
  lua_pop(L, 1);
}

/* One value; params as a whole may take ZC_MAX_PARAMS_JSON bytes of JSON
** (a table used in many places is written out each time: a table nested in
** itself 60 times over would be 2^60 copies). */
static void json_value(lua_State *L, int idx, sqlite3_str *s, int depth, const char *path) {
  if (depth > MAX_DEPTH) luaL_error(L, Ltr(L, "params%s: nested more than %d deep", "params%s：嵌套超过 %d 层"), path, MAX_DEPTH);
  if (sqlite3_str_length(s) > ZC_MAX_PARAMS_JSON)
    luaL_error(L, Ltr(L, "params is more than %d bytes as JSON (a table used in several places is written out "
                  "each time)", "params 写成 JSON 超过 %d 字节（一个表在几处用到时，每处都会写一遍）"), ZC_MAX_PARAMS_JSON);
  luaL_checkstack(L, 8, "params");
  zc_sb_poll(L, 1);
  switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: sqlite3_str_appendall(s, lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        sqlite3_str_appendf(s, "%lld", (long long)lua_tointeger(L, idx));
      } else {
        double d = lua_tonumber(L, idx);
        if (!isfinite(d)) luaL_error(L, Ltr(L, "params%s: %f is not a finite number", "params%s：%f 不是有限的数"), path, d);
        sqlite3_str_appendf(s, "%!.15g", d);
      }
      break;
    case LUA_TSTRING:
      zc_sb_charge(L, (lua_Integer)(lua_rawlen(L, idx) / ZC_STEP_BYTES));
      json_string(L, idx, s, path);
      break;
    case LUA_TTABLE:
      if (lua_getmetatable(L, idx)) luaL_error(L, Ltr(L, "params%s: tables must not have metatables", "params%s：表不能有元表"), path);
      json_table(L, idx, s, depth, path);
      break;
    default:
      luaL_error(L, Ltr(L, "params%s: a %s; params may hold numbers, strings, booleans and tables", "params%s：是 %s 类型；params 里只能放数字、字符串、布尔值和表"),
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
      luaL_error(L, Ltr(L, "anomaly.%s must be a number (got %s)", "anomaly.%s 应为数字（实际是 %s）"), zc_sb_text(L, -2), luaL_typename(L, -1));
    else if (all)
      luaL_error(L, Ltr(L, "anomaly: keys must be threshold names (got a %s)", "anomaly：键必须是阈值名称（实际是 %s 类型）"), luaL_typename(L, -2));
    lua_pop(L, 1);
    zc_sb_charge(L, ZC_ELEM_STEPS);
  }
  /* kept in C memory for the version's life: params is bounded by its
  ** JSON, anomaly here */
  if (all && n > 256) luaL_error(L, Ltr(L, "anomaly: %d thresholds; at most 256", "anomaly：有 %d 个阈值；最多 256 个"), n);
  PNum *a = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * sizeof *a);
  if (!a) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
  memset(a, 0, (size_t)(n ? n : 1) * sizeof *a);
  *out = a;
  *pn = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TNUMBER) {
      a[*pn].key = sqlite3_mprintf("%s", lua_tostring(L, -2));
      if (!a[*pn].key) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
      a[*pn].val = lua_tonumber(L, -1);
      (*pn)++;
    }
    lua_pop(L, 1);
  }
}

static const char *const policy_keys[] = {"name", "effective_from", "payers", "params", "eligible",
                                          "meal", "site", "windows", "anomaly", "tests",
                                          "description", "credit", NULL};

/* The chunk, run in a fresh _ENV: an empty proxy over envdata, whose misses
** go to the base table, whose misses are errors.  Writes go to envdata
** while the chunk runs.  Leaves env, its metatable, envdata and the
** returned value on the stack; *pEnv etc. are their indexes. */
static void run_chunk(lua_State *L, LoadCtx *c, int *pEnv, int *pEnvmt, int *pEnvdata) {
  if (luaL_loadbufferx(L, c->src, c->len, c->chunk, "t") != LUA_OK) lua_error(L);
  int fn = lua_gettop(L);
  lua_newtable(L);
  int envdata = lua_gettop(L);
  lua_createtable(L, 0, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->rt->ref_base);
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
  *pEnv = env;
  *pEnvmt = envmt;
  *pEnvdata = envdata;
}

/* The policy table's keys are all known ones: unknown fields are mistakes. */
static void check_keys(lua_State *L, int P) {
  if (!lua_istable(L, P))
    luaL_error(L, Ltr(L, "the chunk must return the policy table, not a %s", "代码块必须返回政策表，而不是 %s"), luaL_typename(L, P));
  if (lua_getmetatable(L, P)) luaL_error(L, Ltr(L, "the policy table must not have a metatable", "政策表不能有元表"));
  lua_pushnil(L);
  while (lua_next(L, P)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; policy_keys[i]; i++) known |= strcmp(lua_tostring(L, -1), policy_keys[i]) == 0;
    if (!known) {
      lua_pushvalue(L, -1);
      luaL_error(L, Ltr(L, "unknown field %s in the policy table (expected name, effective_from, payers, "
                    "eligible, meal, site, params, windows, anomaly, tests, description, credit)", "政策表里有未知字段 %s（可用的字段：name、effective_from、payers、eligible、meal、site、params、windows、anomaly、tests、description、credit）"),
                 zc_sb_text(L, -1));
    }
  }
}

/* name and effective_from */
static void read_identity(lua_State *L, int P, PVersion *v) {
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
    luaL_error(L, Ltr(L, "policy field 'name' must be 1 to %d letters, digits, '_' or '-' (got %s)", "政策字段 'name' 应为 1 到 %d 个字母、数字、'_' 或 '-'（实际是 %s）"), MAX_NAME,
               name ? zc_sb_repr(L, -1) : luaL_typename(L, -1));
  v->name = sqlite3_mprintf("%s", name);
  if (!v->name) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
  v->pub.name = v->name;
  lua_pop(L, 1);
  lua_getfield(L, P, "effective_from");
  const char *eff = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  int effday = eff ? zc_day_parse(eff, (int)lua_rawlen(L, -1)) : ZC_NONE;
  if (effday == ZC_NONE)
    luaL_error(L, Ltr(L, "policy field 'effective_from' must be a date 'YYYY-MM-DD' (got %s)", "政策字段 'effective_from' 应为日期 'YYYY-MM-DD'（实际是 %s）"),
               eff ? zc_sb_repr(L, -1) : luaL_typename(L, -1));
  v->pub.effective_from = effday;
  zc_day_format(effday, v->pub.effective_text);
  lua_pop(L, 1);
}

static const char *const fns[] = {"eligible", "meal", "site"};

/* The type of every other field: functions, tables, a description. */
static void check_types(lua_State *L, int P, PVersion *v) {
  for (int i = 0; i < 3; i++) {
    int t = lua_getfield(L, P, fns[i]);
    if (t != LUA_TFUNCTION && !(i == FN_SITE && t == LUA_TNIL))
      luaL_error(L, Ltr(L, "policy field '%s' must be a function%s (got %s)", "政策字段 '%s' 应为函数%s（实际是 %s）"), fns[i], i == FN_SITE ? Ltr(L, " or absent", "或不写") : "",
                 luaL_typename(L, -1));
    lua_pop(L, 1);
  }
  lua_getfield(L, P, "site");
  v->pub.has_site = !lua_isnil(L, -1);
  lua_pop(L, 1);
  static const char *const tabs[] = {"windows", "anomaly", "params", "tests"};
  for (int i = 0; i < 4; i++) {
    int t = lua_getfield(L, P, tabs[i]);
    if (t != LUA_TNIL && t != LUA_TTABLE)
      luaL_error(L, Ltr(L, "policy field '%s' must be a table or absent (got %s)", "政策字段 '%s' 应为表或不写（实际是 %s）"), tabs[i], luaL_typename(L, -1));
    if (t == LUA_TTABLE && lua_getmetatable(L, -1))
      luaL_error(L, Ltr(L, "policy field '%s' must not have a metatable", "政策字段 '%s' 不能有元表"), tabs[i]);
    lua_pop(L, 1);
  }
  lua_getfield(L, P, "description");
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, Ltr(L, "policy field 'description' must be a string or absent", "政策字段 'description' 应为字符串或不写"));
  lua_pop(L, 1);
}

/* windows: the SPEC defaults unless the policy sets a slot's */
static void read_windows(lua_State *L, int P, PVersion *v) {
  memcpy(v->pub.windows, zc_default_windows, sizeof zc_default_windows);
  if (lua_getfield(L, P, "windows") == LUA_TTABLE) {
    int w = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, w)) {
      int slot = lua_type(L, -2) == LUA_TSTRING ? zc_slot_index(lua_tostring(L, -2)) : -1;
      if (slot < 0) {
        lua_pushvalue(L, -2);
        luaL_error(L, Ltr(L, "windows: unknown slot %s (expected breakfast, lunch, dinner)", "windows：未知的餐次 %s（应为 breakfast、lunch、dinner）"), zc_sb_text(L, -1));
      }
      int ft[2] = {-1, -1};
      if (lua_istable(L, -1) && lua_rawlen(L, -1) == 2) {
        for (int k = 0; k < 2; k++) {
          lua_rawgeti(L, -1, k + 1);
          if (lua_type(L, -1) == LUA_TSTRING) ft[k] = zc_clock_parse(lua_tostring(L, -1), lua_rawlen(L, -1));
          lua_pop(L, 1);
        }
      }
      if (ft[0] < 0 || ft[1] < 0 || ft[0] > ft[1])
        luaL_error(L, Ltr(L, "windows.%s must be {\"HH:MM\", \"HH:MM\"} with from <= to", "windows.%s 应为 {\"HH:MM\", \"HH:MM\"}，且开始不晚于结束"), zc_slot_name(slot));
      v->pub.windows[slot].from = ft[0];
      v->pub.windows[slot].to = ft[1];
      lua_pop(L, 1);
    }
    for (int a = 0; a < ZC_NSLOT; a++)
      for (int b = a + 1; b < ZC_NSLOT; b++)
        if (v->pub.windows[a].from <= v->pub.windows[b].to && v->pub.windows[b].from <= v->pub.windows[a].to)
          luaL_error(L, Ltr(L, "windows: %s and %s overlap", "windows：%s 和 %s 时段重叠"), zc_slot_name(a), zc_slot_name(b));
  }
  lua_pop(L, 1);
}

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* payers = { "city", "county" }: the payers the rules may pay, a list of
** distinct payer names (docs/rules.md, "Payers"). */
static void read_payers(lua_State *L, int P, LoadCtx *c) {
  PVersion *v = c->v;
  int t = lua_getfield(L, P, "payers");
  if (t == LUA_TNIL && c->stored) {
    v->legacy_payers = 1;
    lua_pop(L, 1);
    return;
  }
  if (t == LUA_TNIL)
    luaL_error(L, Ltr(L, "policy field 'payers' is missing: declare who pays the parts and items, e.g. "
                  "payers = { \"county\" } or payers = { \"city\", \"county\", \"township\" } "
                  "(a part or item for a payer not declared is an error)", "缺少政策字段 'payers'：请声明由谁支付各部分和项目，例如 payers = { \"county\" } 或 payers = { \"city\", \"county\", \"township\" }（给没有声明的付款方的部分或项目会报错）"));
  int pl = lua_gettop(L);
  lua_Integer n = t == LUA_TTABLE ? (lua_Integer)lua_rawlen(L, pl) : 0, count = 0;
  if (t == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, pl)) {
      lua_pop(L, 1);
      count++;
    }
  }
  if (t != LUA_TTABLE || count != n || n == 0 || n > ZC_MAX_PAYERS)
    luaL_error(L, Ltr(L, "policy field 'payers' must be a list of 1 to %d payer names, e.g. "
                  "payers = { \"city\", \"county\" } (got %s)", "政策字段 'payers' 应为 1 到 %d 个付款方名称的列表，例如 payers = { \"city\", \"county\" }（实际是 %s）"), ZC_MAX_PAYERS,
               t == LUA_TTABLE ? (n == 0 && count == 0 ? Ltr(L, "an empty table", "空表") : Ltr(L, "a table that is not a list", "不是列表的表"))
                               : luaL_typename(L, pl));
  v->payers = sqlite3_malloc64((sqlite3_uint64)n * sizeof *v->payers);
  if (!v->payers) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
  memset(v->payers, 0, (size_t)n * sizeof *v->payers);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, pl, i);
    size_t len = 0;
    const char *z = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (!z || !zc_sb_word_ok(z, len) || strcmp(z, "elder") == 0)
      luaL_error(L, Ltr(L, "payers[%I] is %s; expected a payer name: 1 to %d bytes of UTF-8 text without control "
                    "characters, not 'elder' (the co-payment)", "payers[%I] 是 %s；应为付款方名称：1 到 %d 字节、不含控制字符的 UTF-8 文字，且不能是 'elder'（老人自付部分）"), (LUAI_UACINT)i, zc_sb_repr(L, -1), MAX_NAME);
    for (int j = 0; j < v->npayers; j++)
      if (strcmp(v->payers[j], z) == 0) luaL_error(L, Ltr(L, "payers: %s is declared twice", "payers：%s 声明了两次"), zc_sb_repr(L, -1));
    v->payers[v->npayers] = sqlite3_mprintf("%s", z);
    if (!v->payers[v->npayers]) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
    v->npayers++;
    lua_pop(L, 1);
  }
  qsort(v->payers, (size_t)v->npayers, sizeof *v->payers, cmp_cstr);
  lua_pop(L, 1);
}

int zc_pl_payer_declared(const PVersion *v, const char *s, size_t n) {
  if (v->legacy_payers) return 1;
  for (int i = 0; i < v->npayers; i++)
    if (strlen(v->payers[i]) == n && memcmp(v->payers[i], s, n) == 0) return 1;
  return 0;
}

/* params: JSON and top-level numbers; anomaly: numbers */
static void read_tables(lua_State *L, int P, LoadCtx *c) {
  PVersion *v = c->v;
  if (lua_getfield(L, P, "params") == LUA_TTABLE) {
    c->js = sqlite3_str_new(NULL);
    json_value(L, lua_gettop(L), c->js, 0, "");
    v->params_json = sqlite3_str_finish(c->js);
    c->js = NULL;
    if (!v->params_json) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
    numbers_of(L, lua_gettop(L), &v->params, &v->nparams, 0);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, P, "anomaly") == LUA_TTABLE) numbers_of(L, lua_gettop(L), &v->anomaly, &v->nanomaly, 1);
  lua_pop(L, 1);
}

/* Globals become read-only, tables read-only in place; the functions, the
** upvalue snapshot and the tests are kept in the registry. */
static void freeze_version(lua_State *L, int P, int env, int envmt, int envdata, PVersion *v) {
  lua_pushcfunction(L, zc_sb_global_assign);
  lua_setfield(L, envmt, "__newindex");
  lua_newtable(L);
  int vis = lua_gettop(L);
  lua_newtable(L);
  int snap = lua_gettop(L);
  lua_pushvalue(L, env);
  lua_pushboolean(L, 1);
  lua_rawset(L, vis);
  zc_sb_freeze(L, P, vis, snap, 0);
  lua_pushnil(L);
  while (lua_next(L, envdata)) {
    zc_sb_freeze(L, -1, vis, snap, 1);
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
}

/* Every table reachable from params (frozen) becomes checked: reading a
** key it lacks raises, naming the table by its path from params (the
** first path in key order). */
static void check_params(lua_State *L, int t, int vis, int depth) {
  int path = lua_gettop(L);   /* the path of t, pushed by the caller */
  lua_pushvalue(L, t);
  if (lua_rawget(L, vis) != LUA_TNIL || depth > MAX_DEPTH) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, t);
  lua_pushboolean(L, 1);
  lua_rawset(L, vis);
  luaL_checkstack(L, 8, "params");
  zc_sb_check(L, t, path, 1);
  zc_sb_contents(L, t);
  zc_sb_ordered_iter(L, -1);
  int it = lua_gettop(L);
  for (;;) {
    lua_pushvalue(L, it);
    lua_call(L, 0, 2);
    if (lua_isnil(L, -2)) {
      lua_pop(L, 2);
      break;
    }
    if (lua_istable(L, -1)) {
      if (lua_type(L, -2) == LUA_TSTRING) lua_pushfstring(L, "%s.%s", lua_tostring(L, path), zc_sb_text(L, -2));
      else lua_pushfstring(L, "%s[%s]", lua_tostring(L, path), zc_sb_repr(L, -2));
      lua_remove(L, -2);   /* the key's text */
      check_params(L, lua_gettop(L) - 1, vis, depth + 1);
      lua_pop(L, 1);
    }
    lua_pop(L, 2);
  }
  lua_pop(L, 2);   /* the iterator, the contents */
}

/* Protected (zc_sb_run): the whole load. */
static int load_protected(lua_State *L) {
  LoadCtx *c = lua_touserdata(L, 1);
  int env, envmt, envdata;
  run_chunk(L, c, &env, &envmt, &envdata);
  if (c->rt->fatal) return 0;
  int P = lua_gettop(L);
  check_keys(L, P);
  read_identity(L, P, c->v);
  check_types(L, P, c->v);
  read_windows(L, P, c->v);
  read_tables(L, P, c);
  read_payers(L, P, c);
  zc_pl_read_credit(L, P, c->v, c->src, c->len, c->chunk);
  freeze_version(L, P, env, envmt, envdata, c->v);
  if (lua_getfield(L, P, "params") == LUA_TTABLE) {
    int t = lua_gettop(L);
    lua_newtable(L);
    int vis = lua_gettop(L);
    lua_pushliteral(L, "params");
    check_params(L, t, vis, 0);
  }
  return 0;
}

static int pl_load(Rt *rt, const char *src, size_t len, const char *chunk, int stored, PVersion **out,
                   char **pmsg) {
  PVersion *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  zc_map_init(&v->words);
  v->ref_fn[0] = v->ref_fn[1] = v->ref_fn[2] = v->ref_snap = v->ref_tests = LUA_NOREF;
  LoadCtx c = {rt, src, len, chunk, v, NULL, stored};
  char *msg = NULL;
  int kind = zc_sb_run(rt, load_protected, &c, &msg);
  if (c.js) sqlite3_free(sqlite3_str_finish(c.js));
  if (kind == RUN_OK && !zc_sb_settle(rt)) {
    msg = sqlite3_mprintf(zc_tr(rt->zc, "the policies loaded on this connection would keep more than %d MiB", "这个连接加载的政策占用的内存会超过 %d MiB"),
                          (int)(ZC_POLICY_KEEP_CAP >> 20));
    kind = RUN_ERR;
  }
  if (kind != RUN_OK) {
    /* where the chunk was when it passed the limit, as Lua's errors say it */
    const char *w = rt->fatal_where, *sep = rt->fatal_where[0] ? zc_tr(rt->zc, ": ", "：") : "";
    if (kind == RUN_BUDGET)
      *pmsg = sqlite3_mprintf(zc_tr(rt->zc, "%s%srunning the chunk exceeded the budget of %ld instructions", "%s%s运行代码块超出了 %ld 条指令的预算"), w, sep,
                              ZC_POLICY_BUDGET);
    else if (kind == RUN_MEM)
      *pmsg = sqlite3_mprintf(zc_tr(rt->zc, "%s%srunning the chunk exceeded the policy memory cap of %d MiB", "%s%s运行代码块超出了政策 %d MiB 的内存上限"), w, sep,
                              (int)(ZC_POLICY_MEM_CAP >> 20));
    else if (kind != RUN_ERR)
      *pmsg = sqlite3_mprintf(zc_tr(rt->zc, "%s%srunning the chunk %s", "%s%s运行代码块时%s"), w, sep, zc_sb_fatal_text(rt->zc, kind));
    else
      *pmsg = msg, msg = NULL;
    sqlite3_free(msg);
    zc_pl_free(rt, v);
    return !*pmsg ? SQLITE_NOMEM : zc_sb_rc(kind);
  }
  *out = v;
  return SQLITE_OK;
}

int zc_pl_load(Rt *rt, const char *src, size_t len, const char *chunk, PVersion **out, char **pmsg) {
  return pl_load(rt, src, len, chunk, 0, out, pmsg);
}

int zc_pl_load_stored(Rt *rt, const char *src, size_t len, const char *chunk, PVersion **out, char **pmsg) {
  return pl_load(rt, src, len, chunk, 1, out, pmsg);
}

void zc_pl_free(Rt *rt, PVersion *v) {
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
  for (int i = 0; i < v->npayers; i++) sqlite3_free(v->payers[i]);
  sqlite3_free(v->payers);
  sqlite3_free(v->credit);
  sqlite3_free(v->name);
  zc_memo_clear(&v->memo[0]);
  zc_memo_clear(&v->memo[1]);
  for (uint32_t i = 0; i < v->reasons_cap; i++) {
    if (!v->reasons[i].s) continue;
    rt->keep_extra -= strlen(v->reasons[i].s) + 1;
    sqlite3_free(v->reasons[i].s);
  }
  rt->keep_extra -= (size_t)v->reasons_cap * sizeof v->reasons[0];
  sqlite3_free(v->reasons);
  zc_map_clear(&v->words);
  sqlite3_free(v);
}
