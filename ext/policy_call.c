/*
** policy_call.c — calling a version's eligible(), meal() and site() on
** facts, and checking what they return.  No SQL of its own.
**
** A call runs under the sandbox's budget (zc_sb_run), with the facts set
** in the runtime for the proxies to read (policy_facts.c) and the memo
** probed first (memo.c).  What a rule returns is checked strictly: a
** boolean from eligible(), whole non-negative fen under non-empty payer
** names from meal() (parts of 0 dropped, sorted by payer), a list of
** {item, payer, fen, quantity} from site(); reasons are nil or strings.
** After each call the version's upvalues are compared with the snapshot
** taken at load, so a rule cannot keep state between calls.
*/
#include "policy_int.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const zc_policy_fn_name[3] = {"eligible", "meal", "site"};

/* ------------------------------------------------------- result checks */

/* A whole number of fen at idx: 1 and *out, 0 not a number, -1 fractional,
** -2 negative, -3 above ZC_MAX_FEN. */
static int whole_fen(lua_State *L, int idx, sqlite3_int64 *out) {
  if (lua_isinteger(L, idx)) {
    *out = (sqlite3_int64)lua_tointeger(L, idx);
  } else if (lua_type(L, idx) == LUA_TNUMBER) {
    double d = lua_tonumber(L, idx);
    if (!isfinite(d) || d != floor(d)) return -1;
    if (d < 0) return -2;
    if (d > (double)ZC_MAX_FEN) return -3;
    *out = (sqlite3_int64)d;
  } else {
    return 0;
  }
  return *out < 0 ? -2 : *out > ZC_MAX_FEN ? -3 : 1;
}

int zc_payer_cmp(const void *a, const void *b) {
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

/* Raises "chunk:line: fn() ..." (fmt as lua_pushfstring's): the line of
** the rule's return when the return hook saw it (rt->ret_line), else the
** line where the rule is defined. */
/* "version N", or "the new version" for one not stored (id 0): a version
** running its tests before install, or policy_impact's proposal. */
static const char *ver_label(const Rt *rt, const PVersion *v, char *buf, size_t n) {
  if (v->pub.id > 0) snprintf(buf, n, zc_tr(rt->zc, "version %lld", "版本 %lld"), (long long)v->pub.id);
  else snprintf(buf, n, "%s", zc_tr(rt->zc, "the new version", "新版本"));
  return buf;
}

static int call_error(lua_State *L, CallCtx *c, const char *fmt, ...) {
  lua_Debug ar;
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->v->ref_fn[c->fn]);
  lua_getinfo(L, ">S", &ar);
  lua_pushfstring(L, Ltr(L, "%s:%d: %s() ", "%s:%d：%s() "), ar.short_src, c->rt->ret_line > 0 ? c->rt->ret_line : ar.linedefined,
                  zc_policy_fn_name[c->fn]);
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_concat(L, 2);
  return lua_error(L);
}

/* The version's copy of reason s[0..n): kept for the connection's life (the
** memo and callers hold it), at most ZC_MAX_REASONS per version, counted in
** what the loaded versions keep. */
static const char *reason_keep(lua_State *L, CallCtx *c, const char *s, size_t n) {
  PVersion *v = c->v;
  Rt *rt = c->rt;
  uint64_t h = zc_text_hash(s, n);
  uint32_t mask = v->reasons_cap - 1;
  for (uint32_t i = (uint32_t)h & mask; v->reasons_cap && v->reasons[i].s; i = (i + 1) & mask)
    if (v->reasons[i].h == h && strncmp(v->reasons[i].s, s, n) == 0 && v->reasons[i].s[n] == 0)
      return v->reasons[i].s;
  char vb[64];
  if (v->nreasons >= ZC_MAX_REASONS)
    call_error(L, c, Ltr(L, "gave more than %d different reasons (%s); a reason should say why, "
                     "not carry ids, dates or amounts", "给出了超过 %d 种不同的理由（%s）；理由应说明原因，不要带编号、日期或金额"), ZC_MAX_REASONS, ver_label(rt, v, vb, sizeof vb));
  size_t grow = 2u * (v->nreasons + 1) > v->reasons_cap ? (v->reasons_cap ? v->reasons_cap : 32) * 2 : 0;
  size_t more = n + 1 + grow * sizeof v->reasons[0];
  if (rt->mem_base + rt->keep_extra + more > ZC_POLICY_KEEP_CAP)
    call_error(L, c, Ltr(L, "gave a reason that would make the loaded policies keep more than %d MiB", "给出的理由会使已加载的政策占用超过 %d MiB 内存"),
               (int)(ZC_POLICY_KEEP_CAP >> 20));
  if (grow) {
    void *na = sqlite3_malloc64(grow * sizeof v->reasons[0]);
    if (!na) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
    memset(na, 0, grow * sizeof v->reasons[0]);
    struct { uint64_t h; char *s; } *a = na;
    for (uint32_t i = 0; i < v->reasons_cap; i++) {
      if (!v->reasons[i].s) continue;
      uint32_t j = (uint32_t)v->reasons[i].h & (uint32_t)(grow - 1);
      while (a[j].s) j = (j + 1) & (uint32_t)(grow - 1);
      a[j].h = v->reasons[i].h;
      a[j].s = v->reasons[i].s;
    }
    rt->keep_extra += (grow - v->reasons_cap) * sizeof v->reasons[0];
    sqlite3_free(v->reasons);
    v->reasons = na;
    v->reasons_cap = (uint32_t)grow;
    mask = v->reasons_cap - 1;
  }
  char *copy = sqlite3_malloc64(n + 1);
  if (!copy) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
  memcpy(copy, s, n);
  copy[n] = 0;
  uint32_t i = (uint32_t)h & mask;
  while (v->reasons[i].s) i = (i + 1) & mask;
  v->reasons[i].h = h;
  v->reasons[i].s = copy;
  v->nreasons++;
  rt->keep_extra += n + 1;
  return copy;
}

/* the reason at idx: nil or a string of at most ZC_MAX_REASON bytes of
** UTF-8 text without NUL */
static const char *reason_at(lua_State *L, CallCtx *c, int idx) {
  if (lua_isnil(L, idx)) return NULL;
  if (lua_type(L, idx) != LUA_TSTRING)
    call_error(L, c, Ltr(L, "returned a %s as its reason; expected a string or nil", "返回的理由是 %s 类型；应为字符串或 nil"), luaL_typename(L, idx));
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (n > ZC_MAX_REASON)
    call_error(L, c, Ltr(L, "returned a reason of %I bytes, %s; a reason may be at most %d bytes", "返回的理由有 %I 字节（%s）；理由最多 %d 字节"),
               (LUAI_UACINT)n, zc_sb_repr(L, idx), ZC_MAX_REASON);
  if (!zc_utf8_valid((const unsigned char *)s, n, NULL) || memchr(s, 0, n))
    call_error(L, c, Ltr(L, "returned the reason %s; a reason must be UTF-8 text without NUL bytes", "返回的理由 %s 不是不含 NUL 字节的 UTF-8 文字"),
               zc_sb_repr(L, idx));
  return reason_keep(L, c, s, n);
}

/* 1 if s[0..n) may be a payer (payer = 1) or item name: docs/rules.md,
** "Payer and item names" */
static int word_ok(const char *s, size_t n, int payer) {
  return zc_sb_word_ok(s, n) && strcmp(s, payer ? "elder" : "meal") != 0;
}

/* Raises for the name at idx unless word_ok. */
static void word_check(lua_State *L, CallCtx *c, int idx, const char *what) {
  const char *said = zc_lang_en(c->rt->zc) ? what : what[0] == 'p' ? "付款方" : "项目";
  size_t n = 0;
  const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &n) : NULL;
  if (!s || !zc_sb_word_ok(s, n))
    call_error(L, c, Ltr(L, "returned %s as %s %s name; expected 1 to %d bytes of UTF-8 text without "
                     "control characters", "返回的 %s 不能作为%s%s名称；应为 1 到 %d 字节、不含控制字符的 UTF-8 文字"), zc_sb_repr(L, idx),
               zc_lang_en(c->rt->zc) ? (what[0] == 'i' ? "an" : "a") : "", said, MAX_NAME);
  int payer = what[0] == 'p';
  if (!word_ok(s, n, payer))
    call_error(L, c, Ltr(L, "returned %s '%s', which is reserved for %s", "返回的%s '%s' 是保留给%s用的"), said, s,
               payer ? Ltr(L, "the co-payment", "老人自付部分") : Ltr(L, "the meal rows of settlement", "结算的就餐行"));
}

/* Raises for the payer name at idx (checked by word_check) unless the
** version declares it. */
static void payer_declared(lua_State *L, CallCtx *c, int idx) {
  idx = lua_absindex(L, idx);
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (zc_pl_payer_declared(c->v, s, n)) return;
  sqlite3_str *o = sqlite3_str_new(NULL);
  for (int i = 0; i < c->v->npayers; i++) sqlite3_str_appendf(o, "%s\"%s\"", i ? ", " : "", c->v->payers[i]);
  char *list = sqlite3_str_finish(o);
  lua_pushstring(L, list ? list : "?");
  sqlite3_free(list);
  call_error(L, c, Ltr(L, "returned %s for payer %s, which the policy does not declare (payers = { %s }); "
                   "correct the name or declare it", "返回了%s给付款方 %s，但政策没有声明这个付款方（payers = { %s }）；请改正名称或声明它"),
             c->fn == FN_SITE ? Ltr(L, "an item", "项目") : Ltr(L, "a part", "补贴部分"), zc_sb_repr(L, idx),
             lua_tostring(L, -1));
}

/* A checked name, interned for the connection and counted among the
** version's words (at most ZC_MAX_WORDS). */
static const char *word_keep(lua_State *L, CallCtx *c, const char *s, size_t n) {
  const char *r = zc_intern(c->rt->zc, s, (int)n);
  if (!r) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
  int isnew = 0;
  sqlite3_int64 *slot = zc_map_slot(&c->v->words, (sqlite3_int64)(intptr_t)r, 1, &isnew);
  if (!slot) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
  if (isnew) *slot = c->v->words.n <= ZC_MAX_WORDS;
  char vb[64];
  if (*slot == 0)
    call_error(L, c, Ltr(L, "used more than %d different payer and item names (%s)", "用了超过 %d 个不同的付款方和项目名称（%s）"), ZC_MAX_WORDS,
               ver_label(c->rt, c->v, vb, sizeof vb));
  return r;
}

/* the payer or item name at idx, checked and kept */
static const char *word_at(lua_State *L, CallCtx *c, int idx, const char *what) {
  word_check(L, c, idx, what);
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  return word_keep(L, c, s, n);
}

static sqlite3_int64 fen_at(lua_State *L, CallCtx *c, int idx, const char *name, const char *what) {
  sqlite3_int64 f = 0;
  int r = whole_fen(L, idx, &f);
  if (r == 1) return f;
  if (r == 0)
    call_error(L, c, Ltr(L, "returned a %s as the %s of '%s'; expected whole fen", "返回的 %s 类型不能作为 %s（'%s'）；应为整数分"), luaL_typename(L, idx), what, name);
  else if (r == -1)
    call_error(L, c, Ltr(L, "returned %s as the %s of '%s'; amounts must be whole fen", "返回的 %s 不能作为 %s（'%s'）；金额必须是整数分"), zc_sb_repr(L, idx), what, name);
  else if (r == -2)
    call_error(L, c, Ltr(L, "returned %s as the %s of '%s'; expected 0 or more fen", "返回的 %s 不能作为 %s（'%s'）；应为 0 或更多的分"), zc_sb_repr(L, idx), what, name);
  else
    call_error(L, c, Ltr(L, "returned %s as the %s of '%s'; the most a part or item may be is %I (100 million yuan)", "返回的 %s 不能作为 %s（'%s'）；一个部分或项目最多 %I 分（1 亿元）"),
               zc_sb_repr(L, idx), what, name, (LUAI_UACINT)ZC_MAX_FEN);
  return 0;
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
    lua_pushfstring(L, Ltr(L, "%s@%s:%d: %s() assigned to the chunk-level local '%s'; "
                       "rules must not keep state between calls",
                       "%s@%s:%d：%s() 给代码块级的局部变量 '%s' 赋了值；规则不能在两次调用之间保存状态"),
                    VNAME(c->v), line, zc_policy_fn_name[c->fn], bad);
    lua_error(L);
  }
}

static int restore_protected(lua_State *L) {
  check_upvalues(L, lua_touserdata(L, 1));
  return 0;
}

/* eligible(): true or false, and a reason */
static int eligible_result(lua_State *L, CallCtx *c, int r1, int r2) {
  if (!lua_isboolean(L, r1)) call_error(L, c, Ltr(L, "returned a %s; expected true or false", "返回的是 %s 类型；应为 true 或 false"), luaL_typename(L, r1));
  c->ok = lua_toboolean(L, r1);
  c->reason = reason_at(L, c, r2);
  return 0;
}

/* A part of meal()'s table, checked. */
typedef struct PartIn {
  const char *z;           /* the payer (a key of the table: alive while it is) */
  size_t n;
  sqlite3_int64 fen;
} PartIn;

static int part_cmp(const void *a, const void *b) {
  const PartIn *x = a, *y = b;
  int r = memcmp(x->z, y->z, x->n < y->n ? x->n : y->n);
  return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* meal(): {payer = fen, ...} or nil, and a reason; parts sorted by payer.
** Every entry is checked before anything is kept: when several are wrong,
** the first in key order (zc_sb_key_cmp) is reported, whatever order the
** table's hash gives, and names are kept in byte order; parts of 0 fen are
** checked and dropped, never kept. */
static int meal_result(lua_State *L, CallCtx *c, int r1, int r2) {
  c->reason = reason_at(L, c, r2);
  if (lua_isnil(L, r1) && !c->reason)
    call_error(L, c, Ltr(L, "returned nil without a reason (did a path miss its return?); for no subsidy return {} "
                     "or nil and a reason: return nil, \"why\"", "返回了 nil 却没有理由（是不是某个分支漏写了 return？）；不给补贴请返回 {}，或者返回 nil 和理由：return nil, \"原因\""));
  if (lua_isnil(L, r1)) return 0;
  if (!lua_istable(L, r1) || zc_sb_contents(L, r1) < 0)
    call_error(L, c, Ltr(L, "returned a %s as its parts; expected a plain table {payer = fen, ...} or nil", "返回的补贴部分是 %s 类型；应为普通的表 {付款方 = 分, ...} 或 nil"),
               lua_istable(L, r1) ? "table with a metatable" : luaL_typename(L, r1));
  int t = lua_gettop(L);
  lua_pushnil(L);
  int worst = lua_gettop(L), bad = 0, nin = 0, over = 0;
  PartIn in[ZC_MAX_PARTS];
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if ((++count & 255) == 0) zc_sb_charge(L, 256 * ZC_ELEM_STEPS);
    size_t n = 0;
    const char *z = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &n) : NULL;
    sqlite3_int64 fen = 0;
    if (!z || !word_ok(z, n, 1) || whole_fen(L, -1, &fen) != 1 || !zc_pl_payer_declared(c->v, z, n)) {
      if (!bad || zc_sb_key_cmp(L, -2, worst) < 0) {
        lua_pushvalue(L, -2);
        lua_replace(L, worst);
      }
      bad = 1;
    } else if (fen && nin == ZC_MAX_PARTS) {
      over = 1;
    } else if (fen) {
      in[nin].z = z;
      in[nin].n = n;
      in[nin++].fen = fen;
    }
    lua_pop(L, 1);
  }
  if (bad) {   /* raises */
    lua_pushvalue(L, worst);
    lua_pushvalue(L, worst);
    lua_rawget(L, t);
    word_check(L, c, -2, "payer");
    payer_declared(L, c, -2);
    fen_at(L, c, -1, lua_tostring(L, -2), "amount");
  }
  if (over) call_error(L, c, Ltr(L, "returned more than %d payers", "返回了超过 %d 个付款方"), ZC_MAX_PARTS);
  qsort(in, (size_t)nin, sizeof in[0], part_cmp);
  for (int i = 0; i < nin; i++) {
    c->parts[i].payer = word_keep(L, c, in[i].z, in[i].n);
    c->parts[i].fen = in[i].fen;
  }
  c->nparts = nin;
  return 0;
}

/* site() item i at the top of the stack: checked and appended to rt->items */
static void site_item(lua_State *L, CallCtx *c, lua_Integer i) {
  Rt *rt = c->rt;
  if (!lua_istable(L, -1) || zc_sb_contents(L, -1) < 0)
    call_error(L, c, "item %I is a %s; expected a table {item=, payer=, fen=, quantity=}", (LUAI_UACINT)i,
               luaL_typename(L, -1));
  int it = lua_gettop(L);
  lua_getfield(L, it, "item");
  word_check(L, c, it + 1, "item");
  lua_getfield(L, it, "payer");
  word_check(L, c, it + 2, "payer");
  payer_declared(L, c, it + 2);
  const char *iname = lua_tostring(L, it + 1);
  lua_getfield(L, it, "fen");
  sqlite3_int64 fen = fen_at(L, c, -1, iname, "fen");
  lua_getfield(L, it, "quantity");
  sqlite3_int64 q = 1;
  if (!lua_isnil(L, -1)) q = fen_at(L, c, -1, iname, "quantity");
  if (fen == 0) return;   /* checked, dropped: its names are not kept */
  const char *item = word_at(L, c, it + 1, "item");
  const char *payer = word_at(L, c, it + 2, "payer");
  if (c->nitems == rt->items_cap) {
    int ncap = rt->items_cap ? rt->items_cap * 2 : 16;
    ZcSiteItem *ni = sqlite3_realloc64(rt->items, (sqlite3_uint64)ncap * sizeof *ni);
    if (!ni) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
    rt->items = ni;
    rt->items_cap = ncap;
  }
  ZcSiteItem *x = &rt->items[c->nitems++];
  x->item = item;
  x->payer = payer;
  x->fen = fen;
  x->quantity = q;
}

/* site(): a list of at most ZC_MAX_ITEMS items, or nil */
static int site_result(lua_State *L, CallCtx *c, int r1) {
  if (lua_isnil(L, r1))
    call_error(L, c, Ltr(L, "returned nil (did a path miss its return?); for no items return {}", "返回了 nil（是不是某个分支漏写了 return？）；没有项目请返回 {}"));
  if (!lua_istable(L, r1) || zc_sb_contents(L, r1) < 0)
    call_error(L, c, Ltr(L, "returned a %s; expected a list of {item=, payer=, fen=, quantity=} or nil", "返回的是 %s 类型；应为 {item=, payer=, fen=, quantity=} 的列表或 nil"),
               lua_istable(L, r1) ? "table with a metatable" : luaL_typename(L, r1));
  int t = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, t);
  if (n > ZC_MAX_ITEMS) call_error(L, c, Ltr(L, "returned %I items; at most %d are allowed", "返回了 %I 个项目；最多允许 %d 个"), (LUAI_UACINT)n, ZC_MAX_ITEMS);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, t, i);
    site_item(L, c, i);
    lua_settop(L, t);
  }
  return 0;
}

/* Protected: calls the function with the proxies of its kind of call, then
** checks what it returned. */
static int call_protected(lua_State *L) {
  CallCtx *c = lua_touserdata(L, 1);
  Rt *rt = c->rt;
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->v->ref_fn[c->fn]);
  int base = lua_gettop(L);
  switch (c->fn) {
    case FN_ELIGIBLE:
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[ZF_K_ELDER]);
      lua_pushstring(L, c->day);
      lua_pushstring(L, c->service);
      break;
    case FN_MEAL:
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[ZF_K_MEAL]);
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[ZF_K_ELDER]);
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[ZF_K_SITE]);
      break;
    default:
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[ZF_K_SITE]);
      lua_pushstring(L, c->month);
      lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_proxy[ZF_K_STATS]);
      break;
  }
  lua_call(L, 3, 2);
  if (rt->fatal) return 0;
  check_upvalues(L, c);
  c->reason = NULL;
  c->nparts = c->nitems = 0;
  if (c->fn == FN_ELIGIBLE) return eligible_result(L, c, base, base + 1);
  if (c->fn == FN_MEAL) return meal_result(L, c, base, base + 1);
  return site_result(L, c, base);
}

/* Calls fn of version v on the facts set in rt; fills c. */
static int call_version(Rt *rt, CallCtx *c, char **pzErr) {
  char *msg = NULL;
  rt->ret_watch = call_protected;
  rt->ret_line = 0;
  int kind = zc_sb_run(rt, call_protected, c, &msg);
  rt->ret_watch = NULL;
  char where[sizeof rt->fatal_where];
  memcpy(where, rt->fatal_where, sizeof where);
  rt->cur_elder = NULL;
  rt->cur_meal = NULL;
  rt->cur_site = NULL;
  rt->cur_stats = NULL;
  PVersion *v = c->v;
  char vb[64];
  if (kind != RUN_OK) {
    /* a failed call may have assigned an upvalue before failing */
    char *m2 = NULL;
    zc_sb_run(rt, restore_protected, c, &m2);
    sqlite3_free(m2);
  }
  if (kind == RUN_OK) return SQLITE_OK;
  size_t nl = strlen(v->pub.name);
  if (kind != RUN_ERR) {
    /* where the rule was when it passed the limit, as Lua's errors say it */
    int wnamed = strncmp(where, v->pub.name, nl) == 0 && where[nl] == '@';
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "%s%s%s%s%s%s%s() %s (%s)", "%s%s%s%s%s%s%s() %s（%s）"), wnamed ? "" : v->pub.name, wnamed ? "" : "@",
                             wnamed ? "" : v->pub.effective_text, where[0] && !wnamed ? ": " : "", where,
                             where[0] || !wnamed ? ": " : "", zc_policy_fn_name[c->fn], zc_sb_fatal_text(rt->zc, kind),
                             ver_label(rt, v, vb, sizeof vb));
  } else if (msg && msg[0] == '(') {   /* a non-string error object: name the policy */
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "%s@%s: %s() raised %s (%s)", "%s@%s：%s() 抛出了 %s（%s）"), VNAME(v), zc_policy_fn_name[c->fn], msg,
                             ver_label(rt, v, vb, sizeof vb));
  } else {
    /* errors raised inside library functions carry no position: name
    ** the policy anyway */
    int named = msg && strncmp(msg, v->pub.name, nl) == 0 && msg[nl] == '@';
    *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "%s%s%s%s%s (in %s(), %s)", "%s%s%s%s%s（在 %s() 中，%s）"), named ? "" : v->pub.name, named ? "" : "@",
                             named ? "" : v->pub.effective_text, named ? "" : ": ", msg ? msg : "?",
                             zc_policy_fn_name[c->fn], ver_label(rt, v, vb, sizeof vb));
  }
  sqlite3_free(msg);
  return !*pzErr ? SQLITE_NOMEM : zc_sb_rc(kind);
}


/* ---------------------------------------------------------------- calls */

int zc_pc_eligible(Rt *rt, PVersion *v, const ZcElderFacts *elder, int day, const char *service, int *ok,
                   const char **reason, char **pzErr) {
  Memo *mo = &v->memo[FN_ELIGIBLE];
  if (rt->memo_on && !rt->nxwords) {
    const MemoEntry *x = zc_memo_find(rt, mo, day, service, elder, NULL, NULL);
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
  if (rt->memo_on && !rt->nxwords)
    zc_memo_add(rt, mo, &rt->seen, day, service, elder, NULL, NULL, c.ok, c.reason, NULL, 0);
  *ok = c.ok;
  *reason = c.reason;
  return SQLITE_OK;
}

int zc_policy_eligible(ZcConn *zc, const ZcPolicyVersion *v, const ZcElderFacts *elder, int day,
                       const char *service, int *ok, const char **reason, char **pzErr) {
  Rt *rt = zc_rt_get(zc, pzErr);
  if (!rt) return SQLITE_ERROR;
  if (!service) service = "meal";
  return zc_pc_eligible(rt, (PVersion *)v, elder, day, service, ok, reason, pzErr);
}

int zc_pc_meal(Rt *rt, PVersion *v, const ZcMealFacts *meal, const ZcElderFacts *elder, const ZcSiteFacts *site,
               const char **reason, const ZcPart **pparts, int *pn, char **pzErr) {
  Memo *mo = &v->memo[FN_MEAL];
  const MemoEntry *x = rt->memo_on && !rt->nxwords ? zc_memo_find(rt, mo, 0, NULL, elder, meal, site) : NULL;
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
  if (rt->memo_on && !rt->nxwords)
    zc_memo_add(rt, mo, &rt->seen, 0, NULL, elder, meal, site, c.ok, c.reason, c.parts, c.nparts);
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
  Rt *rt = zc_rt_get(zc, pzErr);
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
    rc = zc_pc_eligible(rt, v, elder_any, meal->day, "meal", &out->eligible, &out->eligible_reason, pzErr);
  }
  if (rc != SQLITE_OK || !out->eligible) return rc;
  const ZcPart *parts;
  int nparts;
  rc = zc_pc_meal(rt, v, meal, elder_site, site, &out->reason, &parts, &nparts, pzErr);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 total = 0;
  for (int i = 0; i < nparts; i++) {
    if (parts[i].fen > INT64_MAX - total) {
      char vb[64];
      *pzErr = sqlite3_mprintf(zc_tr(rt->zc, "%s@%s: meal() parts add up to more than 2^63 fen (%s)",
                                      "%s@%s：meal() 各部分加起来超过 2^63 分（%s）"),
                               VNAME(v), ver_label(rt, v, vb, sizeof vb));
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
  Rt *rt = zc_rt_get(zc, pzErr);
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

