/*
** sandbox_lib.c — the library policies see: Lua's base, string, table,
** math and utf8 libraries, pruned and bounded, frozen into the read-only
** base table every version's _ENV falls back to (rt->ref_base).  No SQL of
** its own.  sandbox.c runs the code and enforces the budget; this file
** decides what a rule may call and what each call is charged.
**
** Absent: io, os, package, require, debug, load, dofile, collectgarbage,
** string.dump, string.pack/packsize/unpack, coroutines, math.random and
** randomseed, rawset, rawget.  string.find is plain-only (and linear) and
** match/gmatch/gsub are absent: Lua patterns backtrack inside C, where no
** hook can stop them.  setmetatable refuses __gc (finalizers run with
** hooks off) and __mode (results would depend on GC timing).  tostring
** and string.format never show an address (%p is refused; %s of a table
** or function shows its type).  pairs and next visit keys in one fixed
** order (sandbox.c).  table.sort is a stable merge sort: n log n
** comparisons whatever the comparator answers, and no random pivot.
** xpcall's handler never runs for the sandbox's own errors (they are
** raised inside the hook, where a handler would run with hooks off).
** Functions whose work shows in no allocation charge it before doing it
** (zc_sb_charge): find, format, rep, byte, char, select, tonumber,
** concat, insert, remove, move, unpack, pack, sort, utf8.len/offset/
** codepoint/char.  Strings longer than ZC_MAX_STRING are refused before
** they are built (rep, format via the allocator, concat).
*/
#include "policy_int.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ base lib */

static int sb_print(lua_State *L) {
  (void)L;
  return 0;
}

/* tostring without addresses: a table, function... shows its type name,
** unless it has a __tostring (__name alone would add the address). */
static void push_safe_tostring(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  int t = lua_type(L, idx);
  if ((t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TUSERDATA || t == LUA_TTHREAD ||
       t == LUA_TLIGHTUSERDATA) &&
      luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL) {
    lua_pushstring(L, lua_typename(L, t));
    return;
  }
  if (t != LUA_TNIL && t != LUA_TBOOLEAN && t != LUA_TNUMBER && t != LUA_TSTRING) lua_pop(L, 1);
  luaL_tolstring(L, idx, NULL);
}

static int sb_tostring(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  push_safe_tostring(L, 1);
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
        return luaL_error(L, Ltr(L, "setmetatable: %s is not allowed in a policy", "setmetatable：政策里不允许使用 %s"), banned[i]);
      lua_pop(L, 1);
    }
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, Ltr(L, "cannot change a protected metatable", "不能修改受保护的元表"));
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

/* pairs: __pairs if any, else the keys in key order. */
static int sb_pairs(lua_State *L) {
  luaL_checkany(L, 1);
  if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 3);
    return 3;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  zc_sb_ordered_iter(L, 1);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* ipairs: a frozen table's contents read raw (a checked table's __index
** would raise for the key after its last element); other values as Lua's
** ipairs reads them (lua_geti). */
static int ipairs_raw(lua_State *L) {
  lua_Integer i = luaL_checkinteger(L, 2);
  i = (lua_Integer)((lua_Unsigned)i + 1u);
  lua_pushinteger(L, i);
  return lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL ? 1 : 2;
}

static int ipairs_get(lua_State *L) {
  lua_Integer i = luaL_checkinteger(L, 2);
  i = (lua_Integer)((lua_Unsigned)i + 1u);
  lua_pushinteger(L, i);
  return lua_geti(L, 1, i) == LUA_TNIL ? 1 : 2;
}

static int sb_ipairs(lua_State *L) {
  luaL_checkany(L, 1);
  if (lua_istable(L, 1) && lua_getmetatable(L, 1)) {
    lua_pop(L, 1);
    if (zc_sb_contents(L, 1) >= 0) {
      lua_pushcclosure(L, ipairs_raw, 1);
      lua_pushvalue(L, 1);
      lua_pushinteger(L, 0);
      return 3;
    }
  }
  lua_pushcfunction(L, ipairs_get);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

/* xpcall: the handler runs after the error is caught, never for the
** sandbox's own errors (raised inside the hook, where a handler would run
** with hooks off, unbounded). */
static int sb_xpcall(lua_State *L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  Rt *rt = rt_of(L);
  lua_pushvalue(L, 1);
  for (int i = 3; i <= n; i++) lua_pushvalue(L, i);
  if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
    lua_pushboolean(L, 1);
    lua_insert(L, n + 1);
    return lua_gettop(L) - n;
  }
  if (rt->fatal) return lua_error(L);
  lua_pushvalue(L, 2);
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    if (rt->fatal) return lua_error(L);
    lua_pop(L, 1);
    lua_pushliteral(L, "error in error handling");
  }
  lua_pushboolean(L, 0);
  lua_insert(L, -2);
  return 2;
}

/* ----------------------------------------------- charged library calls */

/* A library function called after its work is charged: upvalue 1 the
** original, 2 how to charge. */
enum { W_SCAN, W_NARGS, W_RANGE };

static lua_Integer posrel(lua_Integer pos, size_t len) {
  if (pos > 0) return pos;
  if (pos == 0 || pos < -(lua_Integer)len) return 1;
  return (lua_Integer)len + pos + 1;
}

static int sb_charged(lua_State *L) {
  lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
  switch ((int)lua_tointeger(L, lua_upvalueindex(2))) {
    case W_SCAN:   /* work in proportion to the string argument */
      if (lua_type(L, 1) == LUA_TSTRING) zc_sb_charge(L, (lua_Integer)(lua_rawlen(L, 1) / ZC_STEP_BYTES));
      break;
    case W_NARGS:
      zc_sb_charge(L, lua_gettop(L) * ZC_ELEM_STEPS);
      break;
    default: {     /* s, i, j: a value per byte of the range */
      if (lua_type(L, 1) != LUA_TSTRING) break;
      size_t len = lua_rawlen(L, 1);
      lua_Integer i = posrel(luaL_optinteger(L, 2, 1), len);
      lua_Integer j = posrel(luaL_optinteger(L, 3, i), len);
      if (j > (lua_Integer)len) j = (lua_Integer)len;
      zc_sb_charge(L, (lua_Integer)(len / ZC_STEP_BYTES) + (j >= i ? j - i + 1 : 0) * ZC_ELEM_STEPS);
    }
  }
  return f(L);
}

/* Wraps lib[name] (a C function) in sb_charged. */
static void charge_wrap(lua_State *L, int lib, const char *name, int how) {
  lua_getfield(L, lib, name);
  if (!lua_iscfunction(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_pushinteger(L, how);
  lua_pushcclosure(L, sb_charged, 2);
  lua_setfield(L, lib, name);
}

/* The first p[0..m) in h[0..n) (Knuth-Morris-Pratt: linear whatever the
** text; memmem is not everywhere). */
static const char *find_plain(lua_State *L, const char *h, size_t n, const char *p, size_t m) {
  if (m == 0) return h;
  if (m > n) return NULL;
  if (m == 1) return memchr(h, p[0], n);
  size_t small[64], *f = m <= 64 ? small : lua_newuserdatauv(L, m * sizeof *f, 0);
  f[0] = 0;
  for (size_t i = 1, k = 0; i < m; i++) {
    while (k && p[i] != p[k]) k = f[k - 1];
    if (p[i] == p[k]) k++;
    f[i] = k;
  }
  for (size_t i = 0, k = 0; i < n; i++) {
    while (k && h[i] != p[k]) k = f[k - 1];
    if (h[i] == p[k] && ++k == m) return h + i + 1 - m;
  }
  return NULL;
}

/* string.find, plain only (Lua patterns backtrack inside C, where the hook
** cannot interrupt them); linear. */
static int sb_find(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  lua_Integer init = luaL_optinteger(L, 3, 1);
  if (!lua_toboolean(L, 4))
    return luaL_error(L, Ltr(L, "string.find: policies may only search plain text: "
                         "pass true as the 4th argument", "string.find：政策只能查找普通文字：请把第 4 个参数设为 true"));
  if (init < 0) init = (lua_Integer)ls + init + 1;
  if (init < 1) init = 1;
  if (init > (lua_Integer)ls + 1) {
    lua_pushnil(L);
    return 1;
  }
  const char *hay = s + init - 1;
  size_t left = ls - (size_t)(init - 1);
  zc_sb_charge(L, (lua_Integer)((left + lp) / ZC_STEP_BYTES));
  const char *hit = find_plain(L, hay, left, p, lp);
  if (!hit) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, init + (lua_Integer)(hit - hay));
  lua_pushinteger(L, init + (lua_Integer)(hit - hay + lp) - 1);
  return 2;
}

/* string.rep: refused past ZC_MAX_STRING before any work; charged per
** repetition (rep('', n) copies nothing n times). */
static int sb_rep(lua_State *L) {
  size_t l, lsep;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n > 0) {
    double total = (double)l * (double)n + (double)lsep * (double)(n - 1);
    if (total > ZC_MAX_STRING) return zc_sb_fail(L, RUN_STRING), 0;
    zc_sb_charge(L, n + (lua_Integer)(total / ZC_STEP_BYTES));
  }
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* string.format: %p refused, %s of a table or function without __tostring
** shows its type (never an address); charged on its output's size. */
static int sb_format(lua_State *L) {
  size_t lf;
  const char *f = luaL_checklstring(L, 1, &lf);
  int top = lua_gettop(L), arg = 1;
  lua_Integer cost = (lua_Integer)lf;
  for (size_t i = 0; i < lf; i++) {
    if (f[i] != '%') continue;
    if (++i >= lf || f[i] == '%') continue;
    size_t sp = strspn(f + i, "-+ #0123456789.");   /* Lua strings end in NUL */
    if (i + sp >= lf || ++arg > top) break;         /* the original reports it */
    const char *dot = memchr(f + i, '.', sp);
    lua_Integer width = atoi(f + i + strspn(f + i, "-+ #0")), prec = dot ? atoi(dot + 1) : -1;
    char conv = f[i + sp];
    i += sp;
    cost += 48 + (width > 0 ? width : 0) + (prec > 0 ? prec : 0);
    if (conv == 'p')
      return luaL_error(L, Ltr(L, "string.format: %%p would show a memory address; policies may not use it", "string.format：%%p 会显示内存地址；政策不能使用它"));
    if (conv == 's') {
      int t = lua_type(L, arg);
      if (t != LUA_TSTRING && t != LUA_TNUMBER) {
        push_safe_tostring(L, arg);
        lua_replace(L, arg);
      }
      size_t n = lua_type(L, arg) == LUA_TSTRING ? lua_rawlen(L, arg) : 0;
      cost += (lua_Integer)(prec >= 0 && (size_t)prec < n ? (size_t)prec : n);
    } else if (conv == 'q' && lua_type(L, arg) == LUA_TSTRING) {
      cost += 4 * (lua_Integer)lua_rawlen(L, arg);
    } else if ((conv == 'f' || conv == 'F') && lua_type(L, arg) == LUA_TNUMBER) {
      cost += 320;
    }
  }
  zc_sb_charge(L, cost / ZC_STEP_BYTES + 1);
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* ------------------------------------------------------------ table lib */

/* table.concat: checked against ZC_MAX_STRING and charged as it goes. */
static int sb_concat(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  size_t lsep;
  const char *sep = luaL_optlstring(L, 2, "", &lsep);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  lua_Integer last = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : luaL_checkinteger(L, 4);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t total = 0;
  for (; i <= last; i++) {
    lua_geti(L, 1, i);
    if (!lua_isstring(L, -1))
      return luaL_error(L, "invalid value (at index %I) in table for 'concat'", (LUAI_UACINT)i);
    size_t l;
    lua_tolstring(L, -1, &l);
    total += l + (i < last ? lsep : 0);
    if (total > (size_t)ZC_MAX_STRING) return zc_sb_fail(L, RUN_STRING), 0;
    zc_sb_charge(L, ZC_ELEM_STEPS + (lua_Integer)(l / ZC_STEP_BYTES));
    luaL_addvalue(&b);
    if (i < last) luaL_addlstring(&b, sep, lsep);
    if (i == LUA_MAXINTEGER) break;
  }
  luaL_pushresult(&b);
  return 1;
}

/* The elements from..to a call moves, charged before it moves them. */
static void charge_moves(lua_State *L, lua_Integer from, lua_Integer to) {
  if (to >= from) zc_sb_charge(L, (lua_Unsigned)to - (lua_Unsigned)from >= (lua_Unsigned)ZC_POLICY_BUDGET
                                      ? ZC_POLICY_BUDGET : (to - from + 1) * ZC_ELEM_STEPS);
}

static int sb_insert(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer e = luaL_len(L, 1);
  e = (lua_Integer)((lua_Unsigned)e + 1u);   /* first empty element */
  lua_Integer pos = e;
  switch (lua_gettop(L)) {
    case 2: break;
    case 3:
      pos = luaL_checkinteger(L, 2);
      luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
      charge_moves(L, pos + 1, e);
      for (lua_Integer i = e; i > pos; i--) {
        lua_geti(L, 1, i - 1);
        lua_seti(L, 1, i);
        if ((i & 1023) == 0) zc_sb_poll(L, 0);
      }
      break;
    default: return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

static int sb_remove(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer size = luaL_len(L, 1);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos != size)
    luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
  charge_moves(L, pos, size);
  lua_geti(L, 1, pos);
  for (; pos < size; pos++) {
    lua_geti(L, 1, pos + 1);
    lua_seti(L, 1, pos);
    if ((pos & 1023) == 0) zc_sb_poll(L, 0);
  }
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

static int sb_move(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  lua_Integer t = luaL_checkinteger(L, 4);
  int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
  luaL_checktype(L, tt, LUA_TTABLE);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    lua_Integer n = e - f + 1;
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
    charge_moves(L, f, e);
    int fwd = t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ));
    for (lua_Integer k = 0; k < n; k++) {
      lua_Integer i = fwd ? k : n - 1 - k;
      lua_geti(L, 1, f + i);
      lua_seti(L, tt, t + i);
      if ((k & 1023) == 1023) zc_sb_poll(L, 0);
    }
  }
  lua_pushvalue(L, tt);
  return 1;
}

static int sb_unpack(lua_State *L) {
  lua_Integer i = luaL_optinteger(L, 2, 1);
  lua_Integer e = lua_isnoneornil(L, 3) ? luaL_len(L, 1) : luaL_checkinteger(L, 3);
  if (i > e) return 0;
  lua_Unsigned n = (lua_Unsigned)e - (lua_Unsigned)i;
  charge_moves(L, i, e);
  if (n >= (unsigned int)INT_MAX || !lua_checkstack(L, (int)(++n)))
    return luaL_error(L, "too many results to unpack");
  for (; i < e; i++) lua_geti(L, 1, i);
  lua_geti(L, 1, e);
  return (int)n;
}

/* Is the value below the top less than the top?  Pops both. */
static int sort_less(lua_State *L, int cmp) {
  if (!cmp) {
    int r = lua_compare(L, -2, -1, LUA_OPLT);
    lua_pop(L, 2);
    return r;
  }
  lua_pushvalue(L, cmp);
  lua_insert(L, -3);
  lua_call(L, 2, 1);
  int r = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return r;
}

/* Merges src[lo..mid) and src[mid..hi) into dst (stable: a tie keeps the
** left one first). */
static void sort_merge(lua_State *L, int cmp, int src, int dst, lua_Integer lo, lua_Integer mid,
                       lua_Integer hi) {
  lua_Integer i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    lua_rawgeti(L, src, j);
    lua_rawgeti(L, src, i);
    int right = sort_less(L, cmp);
    lua_rawgeti(L, src, right ? j++ : i++);
    lua_rawseti(L, dst, k++);
    if ((k & 255) == 0) zc_sb_poll(L, 256 * ZC_ELEM_STEPS);
  }
  while (i < mid) {
    lua_rawgeti(L, src, i++);
    lua_rawseti(L, dst, k++);
  }
  while (j < hi) {
    lua_rawgeti(L, src, j++);
    lua_rawseti(L, dst, k++);
  }
}

/* table.sort: a stable bottom-up merge sort, n log n comparisons whatever
** the comparator does, each charged; the same order on every run. */
static int sb_sort(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 1);
  int cmp = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    cmp = 2;
  }
  lua_settop(L, 2);
  if (n < 2) return 0;
  luaL_argcheck(L, n < INT_MAX, 1, "array too big");
  charge_moves(L, 1, 2 * n);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  int src = 3, dst = 4;
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 1, i);
    lua_rawseti(L, src, i);
  }
  for (lua_Integer w = 1; w < n; w *= 2) {
    for (lua_Integer lo = 1; lo <= n; lo += 2 * w) {
      lua_Integer mid = lo + w > n + 1 ? n + 1 : lo + w, hi = lo + 2 * w > n + 1 ? n + 1 : lo + 2 * w;
      sort_merge(L, cmp, src, dst, lo, mid, hi);
    }
    int t = src;
    src = dst;
    dst = t;
  }
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, src, i);
    lua_seti(L, 1, i);
  }
  return 0;
}

/* ------------------------------------------------------ the base table */

static int undeclared_global(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING) return luaL_error(L, Ltr(L, "undeclared global %s", "未声明的全局变量 %s"), zc_sb_repr(L, 2));
  return luaL_error(L, Ltr(L, "undeclared global", "未声明的全局变量"));
}


/* Sets lib[name] = f, with lib[name]'s old value as upvalue 1 if up. */
static void set_fn(lua_State *L, int lib, const char *name, lua_CFunction f, int up) {
  if (up) lua_getfield(L, lib, name);
  lua_pushcclosure(L, f, up);
  lua_setfield(L, lib, name);
}

/* The allow-list of base functions, and our replacements. */
static void base_table(lua_State *L, int g, int base) {
  static const char *const keep[] = {"assert", "error", "getmetatable", "pcall", "rawequal",
                                     "rawlen", "select", "tonumber", "type", "_VERSION", NULL};
  for (int i = 0; keep[i]; i++) {
    lua_getfield(L, g, keep[i]);
    lua_setfield(L, base, keep[i]);
  }
  charge_wrap(L, base, "select", W_NARGS);
  charge_wrap(L, base, "tonumber", W_SCAN);
  set_fn(L, base, "print", sb_print, 0);
  set_fn(L, base, "tostring", sb_tostring, 0);
  set_fn(L, base, "setmetatable", sb_setmetatable, 0);
  set_fn(L, base, "pairs", sb_pairs, 0);
  set_fn(L, base, "ipairs", sb_ipairs, 0);
  set_fn(L, base, "next", zc_sb_next, 0);
  set_fn(L, base, "xpcall", sb_xpcall, 0);
}

static void drop(lua_State *L, int lib, const char *const *names) {
  for (int i = 0; names[i]; i++) {
    lua_pushnil(L);
    lua_setfield(L, lib, names[i]);
  }
}

/* string, math, table, utf8 into base, pruned and bounded. */
static void pruned_libs(lua_State *L, int g, int base) {
  static const char *const str_drop[] = {"dump", "match", "gmatch", "gsub", "pack", "packsize", "unpack", NULL};
  static const char *const math_drop[] = {"random", "randomseed", NULL};
  lua_getfield(L, g, LUA_STRLIBNAME);
  int s = lua_gettop(L);
  drop(L, s, str_drop);
  set_fn(L, s, "find", sb_find, 0);
  set_fn(L, s, "rep", sb_rep, 1);
  set_fn(L, s, "format", sb_format, 1);
  charge_wrap(L, s, "byte", W_RANGE);
  charge_wrap(L, s, "char", W_NARGS);
  /* the string metatable: protected, and its __index is the pruned lib */
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushliteral(L, "string");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  lua_setfield(L, base, LUA_STRLIBNAME);
  lua_getfield(L, g, LUA_MATHLIBNAME);
  drop(L, lua_gettop(L), math_drop);
  lua_setfield(L, base, LUA_MATHLIBNAME);
  lua_getfield(L, g, LUA_TABLIBNAME);
  int t = lua_gettop(L);
  set_fn(L, t, "concat", sb_concat, 0);
  set_fn(L, t, "insert", sb_insert, 0);
  set_fn(L, t, "remove", sb_remove, 0);
  set_fn(L, t, "move", sb_move, 0);
  set_fn(L, t, "unpack", sb_unpack, 0);
  set_fn(L, t, "sort", sb_sort, 0);
  charge_wrap(L, t, "pack", W_NARGS);
  lua_setfield(L, base, LUA_TABLIBNAME);
  lua_getfield(L, g, LUA_UTF8LIBNAME);
  int u = lua_gettop(L);
  charge_wrap(L, u, "len", W_SCAN);
  charge_wrap(L, u, "offset", W_SCAN);
  charge_wrap(L, u, "codepoint", W_RANGE);
  charge_wrap(L, u, "char", W_NARGS);
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
int zc_sb_lib_open(lua_State *L) {
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

