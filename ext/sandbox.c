/*
** sandbox.c — the Lua state policies run in (after Redis' script_lua.c and
** the CVEs against it): its allocator, budget, hook, frozen tables and the
** running of Lua code.  No SQL of its own.  docs/rules.md ("The sandbox")
** states what it guarantees; this file and sandbox_lib.c (what rules may
** call) are how.
**
** Isolation.  Each version runs in its own _ENV whose reads fall through
** to the read-only base (sandbox_lib.c).  After the chunk ran, its
** globals, the returned table and everything reachable from them or from
** its functions' upvalues are frozen in place (zc_sb_freeze: contents
** moved to a hidden table only C can reach; pairs on a frozen table
** iterates a closure over it and never hands it out); after each call the
** functions' upvalues are compared with a snapshot (policy_call.c).  The
** libraries are frozen the same way, so no version can keep state or
** change what another sees.  pairs and next visit keys in one fixed order
** (numbers, strings byte-wise, false, true), whatever the hash seed and
** the heap; keys that are tables or functions (hashed by address) cannot
** be iterated.  Lua runs in the "C" locale (uselocale; plat.c), so comparisons and
** number formatting do not depend on the host's.
**
** Work.  One budget of ZC_POLICY_BUDGET steps per run: the count hook adds
** the VM instructions (more while a vararg frame holds many values: each
** instruction may copy them all); the allocator adds the bytes of every new
** string, table part or buffer of 256 bytes or more, and of every
** same-size table resize (a rehash), one step per ZC_STEP_BYTES; library
** functions whose work shows in no allocation charge theirs before doing
** it (zc_sb_charge).  Strings stop at ZC_MAX_STRING bytes and the Lua stack
** at ZC_MAX_STACK slots, so no single instruction does much.  The hook
** polls sqlite3_interrupt and the host's progress handler (zc_interrupted)
** every ZC_POLL_NS.
**
** Memory.  A run may add ZC_POLICY_MEM_CAP live bytes to what the loaded
** versions keep (rt->mem_base, measured after each load).  An allocation
** that would pass that is refused once, so that Lua runs its emergency
** full collection and retries: a call fails when its live data do not
** fit, never because of garbage left by earlier calls.
**
** Once a limit is passed the hook raises on every instruction, so pcall
** cannot swallow it, and the run fails whatever it returns (zc_sb_run).
*/
#include "plat.h"
#include "policy_int.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void rt_hook(lua_State *L, lua_Debug *ar);

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* From now on the hook raises on every instruction (lua_sethook may be
** called from anywhere, the allocator included). */
static void set_fatal(Rt *rt, int kind) {
  if (!rt->fatal) {
    rt->fatal = kind;
    /* not while the stack moves (its frames may point into the old block):
    ** the hook, raising next, records it */
    if (rt->L && rt->in_call && kind != RUN_STACK) zc_sb_where(rt->L, rt->fatal_where, sizeof rt->fatal_where);
  }
  if (rt->L && rt->in_call) lua_sethook(rt->L, rt_hook, LUA_MASKCOUNT, 1);
}

const char *zc_sb_fatal_text(const ZcConn *zc, int kind) {
  switch (kind) {
    case RUN_BUDGET: return zc_tr(zc, "exceeded its budget of 10000000 instructions", "超出了 10000000 条指令的运行预算");
    case RUN_MEM: return zc_tr(zc, "exceeded the policy memory cap of 64 MiB", "超出了政策 64 MiB 的内存上限");
    case RUN_STRING: return zc_tr(zc, "made a string longer than 4096 bytes (the most a policy may make)", "生成了超过 4096 字节的字符串（政策最多只能生成这么长）");
    case RUN_STACK: return zc_tr(zc, "overflowed the stack of 65536 slots (recursion too deep?)", "超出了 65536 个槽位的栈空间（递归太深？）");
    case RUN_INTR: return zc_tr(zc, "was interrupted", "被中断");
    case RUN_BUSY: return zc_tr(zc, "was called while another policy call was running", "在另一个政策调用运行时被调用");
    default: return "failed";
  }
}

int zc_sb_rc(int kind) { return kind == RUN_INTR ? SQLITE_INTERRUPT : SQLITE_ERROR; }

/* ------------------------------------------------------------- allocator */

static void charge_bytes(Rt *rt, size_t n) {
  rt->steps += (long)(n / ZC_STEP_BYTES);
  if (rt->steps >= ZC_POLICY_BUDGET) set_fatal(rt, RUN_BUDGET);
}

/* The Lua stack's block is known from its first growth (zc_sb_state's
** probe) and followed as it moves.  Lua 5.4.4 moves it by allocating the
** new block, copying and freeing the old one (later versions realloc it):
** a freed stack's successor is the last block allocated. */
static void stack_moved(Rt *rt, void *p, size_t nsize) {
  rt->stack = p;
  rt->probe_stack = 0;
  if (rt->in_call && nsize > (size_t)(ZC_MAX_STACK + 8) * 16) set_fatal(rt, RUN_STACK);
}

/* An untagged new block is charged once the next allocator call shows it
** was not the stack moving (the stack's size depends on when the collector
** last shrank it: charging it would make budgets depend on GC timing). */
static void commit_pending(Rt *rt) {
  if (!rt->pend_steps) return;
  rt->steps += rt->pend_steps;
  rt->pend_steps = 0;
  if (rt->steps >= ZC_POLICY_BUDGET) set_fatal(rt, RUN_BUDGET);
}

/* Lua passes the kind of a new object as osize when ptr is NULL. */
void *zc_sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  Rt *rt = ud;
  size_t old = ptr ? osize : 0;
  if (rt->pend_steps) {
    if (nsize == 0 && ptr && ptr == rt->stack) rt->pend_steps = 0;
    else commit_pending(rt);
  }
  if (nsize == 0) {
    free(ptr);
    rt->mem -= old;
    if (ptr && (ptr == rt->stack || rt->probe_stack)) stack_moved(rt, rt->last_new, rt->last_new_size);
    return NULL;
  }
  int is_stack = ptr != NULL && ptr == rt->stack;
  if (rt->in_call && nsize > old) {
    if (is_stack) {
      if (nsize > (size_t)(ZC_MAX_STACK + 8) * 16) {
        set_fatal(rt, RUN_STACK);
        return NULL;
      }
    } else if (ptr == NULL && osize == LUA_TSTRING) {
      if (nsize > (size_t)ZC_MAX_STRING + 32) {
        set_fatal(rt, RUN_STRING);
        return NULL;
      }
      if (nsize > 128) charge_bytes(rt, nsize);
    } else if (ptr == NULL && nsize >= 256) {
      if (osize == 0) rt->pend_steps = (long)(nsize / ZC_STEP_BYTES);
      else charge_bytes(rt, nsize);
    }
    if (rt->mem + (nsize - old) > rt->mem_base + ZC_POLICY_MEM_CAP) {
      if (!rt->em_pending) {
        /* refuse once: Lua collects everything (emergency GC) and asks again */
        rt->em_pending = 1;
        rt->em_before = rt->mem;
        return NULL;
      }
      rt->em_pending = 0;
      set_fatal(rt, RUN_MEM);
      return NULL;
    }
    if (rt->em_pending) {
      /* the retry after an emergency collection fits; one that freed little
      ** (live data near the cap) is charged, else they could repeat forever */
      rt->em_pending = 0;
      if (rt->em_before - rt->mem < ZC_POLICY_MEM_CAP / 4) charge_bytes(rt, rt->mem);
    }
  } else if (rt->in_call && ptr && nsize == old && nsize >= 256) {
    charge_bytes(rt, nsize);   /* a table rehashed at the same size */
  }
  void *p = realloc(ptr, nsize);
  if (p == NULL) {
    if (nsize > old && rt->in_call) set_fatal(rt, RUN_MEM);
    return NULL;
  }
  rt->mem = rt->mem - old + nsize;
  if (ptr == NULL) {
    rt->last_new = p;
    rt->last_new_size = nsize;
  }
  if (is_stack || (rt->probe_stack && ptr && nsize > old)) stack_moved(rt, p, nsize);
  return p;
}

/* ----------------------------------------------------- budget and hook */

/* The extra values a vararg frame at level holds (0 for other frames). */
static long varargs_at(lua_State *L, int level) {
  lua_Debug ar;
  if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "u", &ar) || !ar.isvararg) return 0;
  if (!lua_getlocal(L, &ar, -1)) return 0;
  lua_pop(L, 1);
  long lo = 1, hi = 2;
  while (hi <= 2L * ZC_MAX_STACK && lua_getlocal(L, &ar, -(int)hi)) {
    lua_pop(L, 1);
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    long mid = (lo + hi) / 2;
    if (lua_getlocal(L, &ar, -(int)mid)) {
      lua_pop(L, 1);
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/* 1 when the last poll (or the first hook tick of the run) is ZC_POLL_NS
** ago: runs too short to reach the hook read no clock. */
static int poll_due(Rt *rt) {
  long long t = now_ns();
  if (!rt->poll_ns) rt->poll_ns = t;
  if (t - rt->poll_ns < ZC_POLL_NS) return 0;
  rt->poll_ns = t;
  return 1;
}

/* "chunk:line" of the innermost Lua function running, into buf ("" if
** none): reads the call stack only (no allocation), so it may run in a
** hook or the allocator. */
void zc_sb_where(lua_State *L, char *buf, size_t size) {
  lua_Debug ar;
  buf[0] = 0;
  for (int level = 0; level < 64 && lua_getstack(L, level, &ar); level++) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      snprintf(buf, size, "%s:%d", ar.short_src, ar.currentline);
      return;
    }
  }
}

/* A function returns: when it returns into the C function the runtime
** called the rule from (rt->ret_watch), it is the rule (or the function it
** tail-called): its line is the rule's return line. */
static void ret_hook(lua_State *L, lua_Debug *ar) {
  Rt *rt = rt_of(L);
  lua_Debug up;
  if (!lua_getstack(L, 1, &up) || !lua_getinfo(L, "f", &up)) return;
  int into = lua_tocfunction(L, -1) == rt->ret_watch;
  lua_pop(L, 1);
  if (into && lua_getinfo(L, "l", ar) && ar->currentline > 0) rt->ret_line = ar->currentline;
}

static void rt_hook(lua_State *L, lua_Debug *ar) {
  Rt *rt = rt_of(L);
  if (!rt->in_call) return;
  if (ar->event == LUA_HOOKRET) {
    if (rt->ret_watch && !rt->fatal) ret_hook(L, ar);
    return;
  }
  commit_pending(rt);
  if (!rt->fatal) {
    if (rt->em_pending) {
      set_fatal(rt, RUN_MEM);   /* a refusal Lua did not retry */
    } else {
      /* an instruction of a frame holding v values may copy them all */
      long v = varargs_at(L, 0) + varargs_at(L, 1);
      rt->steps += ZC_POLICY_HOOK + (v > 16 ? (long)ZC_POLICY_HOOK * (v - 16) / 16 : 0);
      if (rt->steps >= ZC_POLICY_BUDGET) set_fatal(rt, RUN_BUDGET);
      else if (poll_due(rt) && zc_interrupted(rt->zc)) set_fatal(rt, RUN_INTR);
      else return;
    }
  }
  lua_sethook(L, rt_hook, LUA_MASKCOUNT, 1);
  if (!rt->fatal_where[0]) zc_sb_where(L, rt->fatal_where, sizeof rt->fatal_where);
  luaL_error(L, "%s", zc_sb_fatal_text(rt->zc, rt->fatal));
}

void zc_sb_charge(lua_State *L, lua_Integer n) {
  Rt *rt = rt_of(L);
  commit_pending(rt);
  if (n > ZC_POLICY_BUDGET) n = ZC_POLICY_BUDGET;
  if (n > 0) rt->steps += (long)n;
  if (!rt->fatal && rt->steps >= ZC_POLICY_BUDGET) set_fatal(rt, RUN_BUDGET);
  if (rt->fatal && rt->in_call) luaL_error(L, "%s", zc_sb_fatal_text(rt->zc, rt->fatal));
}

void zc_sb_poll(lua_State *L, lua_Integer n) {
  Rt *rt = rt_of(L);
  zc_sb_charge(L, n);
  if (rt->in_call && poll_due(rt) && zc_interrupted(rt->zc)) {
    set_fatal(rt, RUN_INTR);
    luaL_error(L, "%s", zc_sb_fatal_text(rt_of(L)->zc, RUN_INTR));
  }
}

void zc_sb_fail(lua_State *L, int kind) {
  set_fatal(rt_of(L), kind);
  luaL_error(L, "%s", zc_sb_fatal_text(rt_of(L)->zc, kind));
}

/* ------------------------------------------------------------ messages */

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  size_t k = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                           : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
  if (k == 0 || k > n) return 0;
  return k == 1 || zc_utf8_valid(s, k, NULL) ? k : 0;
}

char *zc_sb_clean(const char *s, size_t n, size_t max) {
  sqlite3_str *o = sqlite3_str_new(NULL);
  size_t i = 0, out = 0;
  while (i < n) {
    const unsigned char *u = (const unsigned char *)s + i;
    size_t k = utf8_seq(u, n - i);
    if (out + (k ? k : 1) > max) {
      sqlite3_str_appendall(o, "...");
      break;
    }
    if (k == 0 || (k == 1 && ((u[0] < 0x20 && u[0] != '\n') || u[0] == 0x7f))) {
      sqlite3_str_appendchar(o, 1, '?');
      i++;
      out++;
      continue;
    }
    sqlite3_str_append(o, (const char *)u, (int)k);
    i += k;
    out += k;
  }
  return sqlite3_str_finish(o);
}

int zc_sb_word_ok(const char *s, size_t n) {
  if (n == 0 || n > MAX_NAME || !zc_utf8_valid((const unsigned char *)s, n, NULL)) return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
  return 1;
}

const char *zc_sb_repr(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      int plain = zc_utf8_valid((const unsigned char *)s, n, NULL);
      for (size_t i = 0; plain && i < n; i++) plain = (unsigned char)s[i] >= 0x20 && s[i] != 0x7f;
      if (plain) {
        char *r = zc_utf8_repr(s, n);
        lua_pushstring(L, r ? r : "'?'");
        sqlite3_free(r);
      } else {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addstring(&b, "x'");
        for (size_t i = 0; i < n && i < 16; i++) {
          char h[3] = {"0123456789abcdef"[(unsigned char)s[i] >> 4], "0123456789abcdef"[s[i] & 15], 0};
          luaL_addstring(&b, h);
        }
        luaL_addstring(&b, n > 16 ? "...'" : "'");
        luaL_pushresult(&b);
      }
      break;
    }
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, idx));
      else lua_pushfstring(L, "%f", (LUAI_UACNUMBER)lua_tonumber(L, idx));
      break;
    case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNIL: lua_pushliteral(L, "nil"); break;
    default: lua_pushfstring(L, "a %s", luaL_typename(L, idx)); break;
  }
  return lua_tostring(L, -1);
}

const char *zc_sb_text(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TSTRING) return zc_sb_repr(L, idx);
  size_t n;
  const char *z = lua_tolstring(L, idx, &n);
  char *c = zc_sb_clean(z, n, 60);
  lua_pushstring(L, c ? c : "?");
  sqlite3_free(c);
  return lua_tostring(L, -1);
}

/* ------------------------------------------------- one order for keys */

/* Keys in the order pairs and next visit them: numbers (by value), then
** strings (byte-wise), then false, true.  Tables, functions... as keys have
** no such order (their hash is their address): iterating them is refused. */
typedef struct Key {
  int t;               /* 0 number, 1 string, 2 boolean */
  int isint;
  lua_Integer i;
  double d;
  const char *s;
  size_t n;
  lua_Integer pos;
} Key;

static int key_read(lua_State *L, int idx, Key *k) {
  memset(k, 0, sizeof *k);
  switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
      k->isint = lua_isinteger(L, idx);
      if (k->isint) k->i = lua_tointeger(L, idx);
      else k->d = lua_tonumber(L, idx);
      return 1;
    case LUA_TSTRING:
      k->t = 1;
      k->s = lua_tolstring(L, idx, &k->n);
      return 1;
    case LUA_TBOOLEAN:
      k->t = 2;
      k->i = lua_toboolean(L, idx);
      return 1;
    default:
      return 0;
  }
}

static void key_refused(lua_State *L, int idx) {
  luaL_error(L, Ltr(L, "cannot visit a table with %s keys in a fixed order (their order would depend on "
                "memory addresses): use numbers or strings as keys", "无法按固定顺序遍历以 %s 为键的表（顺序会取决于内存地址）：请用数字或字符串作键"), luaL_typename(L, idx));
}

/* sign of d - i, exactly */
static int float_int_cmp(double d, lua_Integer i) {
  if (d >= 0x1p63) return 1;
  if (d < -0x1p63) return -1;
  double fl = floor(d);
  lua_Integer fi = (lua_Integer)fl;
  if (fi != i) return fi < i ? -1 : 1;
  return d > fl;
}

static int key_cmp(const Key *a, const Key *b) {
  if (a->t != b->t) return a->t < b->t ? -1 : 1;
  if (a->t == 1) {
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
  }
  if (a->t == 2 || (a->isint && b->isint)) return (a->i > b->i) - (a->i < b->i);
  if (!a->isint && !b->isint) return (a->d > b->d) - (a->d < b->d);
  return a->isint ? -float_int_cmp(b->d, a->i) : float_int_cmp(a->d, b->i);
}

int zc_sb_key_cmp(lua_State *L, int a, int b) {
  Key ka, kb;
  int oa = key_read(L, a, &ka), ob = key_read(L, b, &kb);
  if (!oa || !ob) return ob - oa;   /* tables, functions...: last, all alike */
  return key_cmp(&ka, &kb);
}

static int key_qcmp(const void *a, const void *b) {
  int c = key_cmp(a, b);
  return c ? c : (((const Key *)a)->pos > ((const Key *)b)->pos) - (((const Key *)a)->pos < ((const Key *)b)->pos);
}

/* Pushes a list of the keys of table t (raw) in key order; returns n. */
static lua_Integer sorted_keys(lua_State *L, int t) {
  t = lua_absindex(L, t);
  lua_newtable(L);
  int keys = lua_gettop(L);
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    Key k;
    if (!key_read(L, -1, &k)) key_refused(L, -1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
    if ((n & 255) == 0) zc_sb_poll(L, 256 * ZC_ELEM_STEPS);
  }
  if (n < 2) return n;
  zc_sb_charge(L, n * (lua_Integer)(log2((double)n) + 1) * ZC_ELEM_STEPS);
  Key *a = lua_newuserdatauv(L, (size_t)n * sizeof *a, 0);
  for (lua_Integer i = 0; i < n; i++) {
    lua_rawgeti(L, keys, i + 1);   /* the string stays alive in keys */
    key_read(L, -1, &a[i]);
    a[i].pos = i + 1;
    lua_pop(L, 1);
  }
  qsort(a, (size_t)n, sizeof *a, key_qcmp);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 0; i < n; i++) {
    lua_rawgeti(L, keys, a[i].pos);
    lua_rawseti(L, -2, i + 1);
  }
  lua_replace(L, keys);
  lua_settop(L, keys);
  return n;
}

/* upvalues: 1 the table read (raw), 2 its sorted keys, 3 the position */
static int ordered_next(lua_State *L) {
  lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
  lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2));
  while (++pos <= n) {
    lua_rawgeti(L, lua_upvalueindex(2), pos);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
      lua_pushinteger(L, pos);
      lua_replace(L, lua_upvalueindex(3));
      return 2;
    }
    lua_pop(L, 2);   /* removed while iterating */
  }
  lua_pushinteger(L, n);
  lua_replace(L, lua_upvalueindex(3));
  lua_pushnil(L);
  return 1;
}

/* Pushes an iterator over the table at src, its keys in key order. */
void zc_sb_ordered_iter(lua_State *L, int src) {
  src = lua_absindex(L, src);
  lua_pushvalue(L, src);
  sorted_keys(L, src);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, ordered_next, 3);
}

/* next(t, k): the key after k in key order (the first for nil), read raw
** (a frozen table's contents); one pass over the table. */
int zc_sb_next(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  int src = zc_sb_contents(L, 1) < 0 ? 1 : lua_gettop(L);
  Key after, best, k;
  int have = !lua_isnil(L, 2), found = 0;
  if (have && !key_read(L, 2, &after)) key_refused(L, 2);
  lua_pushnil(L);
  int slot = lua_gettop(L);   /* the best key so far (keeps its string alive) */
  lua_Integer n = 0;
  lua_pushnil(L);
  while (lua_next(L, src)) {
    lua_pop(L, 1);
    if (!key_read(L, -1, &k)) key_refused(L, -1);
    if ((!have || key_cmp(&k, &after) > 0) && (!found || key_cmp(&k, &best) < 0)) {
      lua_pushvalue(L, -1);
      lua_replace(L, slot);
      key_read(L, slot, &best);
      found = 1;
    }
    if ((++n & 255) == 0) zc_sb_poll(L, 256 * ZC_ELEM_STEPS);
  }
  zc_sb_charge(L, (n & 255) * ZC_ELEM_STEPS);
  if (!found) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushvalue(L, slot);
  lua_pushvalue(L, slot);
  lua_rawget(L, src);
  return 2;
}

/* ------------------------------------------------------- frozen tables */

/* __newindex of a version's globals once it is loaded */
int zc_sb_global_assign(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, Ltr(L, "assignment to global %s: policy globals are read-only (use a local)", "给全局变量 %s 赋值：政策的全局变量是只读的（请用 local 局部变量）"),
                      zc_sb_repr(L, 2));
  return luaL_error(L, Ltr(L, "assignment to a global: policy globals are read-only", "给全局变量赋值：政策的全局变量是只读的"));
}


static int frozen_newindex(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING)
    return luaL_error(L, Ltr(L, "attempt to modify read-only policy table (field %s)", "试图修改只读的政策表（字段 %s）"), zc_sb_repr(L, 2));
  return luaL_error(L, Ltr(L, "attempt to modify read-only policy table", "试图修改只读的政策表"));
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
  if (lua_type(L, -1) == LUA_TFUNCTION) {   /* a checked table: its contents are upvalue 1 */
    lua_getupvalue(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_remove(L, -2);
  return 1;
}

/* ------------------------------------------------------- checked tables */

/* 1 if every key of table t (raw, at least one) is a slot word */
static int slot_keys(lua_State *L, int t) {
  int n = 0, ok = 1;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    size_t len;
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (!k || strlen(k) != len || zc_slot_index(k) < 0) ok = 0;
    n++;
  }
  return ok && n > 0;
}

/* Pushes "k1, k2, ..." of table t's keys in key order, cut near 120 bytes. */
static void push_keys_text(lua_State *L, int t) {
  t = lua_absindex(L, t);
  lua_Integer n = sorted_keys(L, t);
  int keys = lua_gettop(L);
  sqlite3_str *o = sqlite3_str_new(NULL);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    const char *r = zc_sb_repr(L, -1);
    if (sqlite3_str_length(o) + strlen(r) > 120) {
      sqlite3_str_appendall(o, ", ...");
      lua_pop(L, 2);
      break;
    }
    sqlite3_str_appendf(o, "%s%s", i > 1 ? ", " : "", r);
    lua_pop(L, 2);
  }
  if (n == 0) sqlite3_str_appendall(o, "none");
  char *z = sqlite3_str_finish(o);
  lua_settop(L, keys - 1);
  lua_pushstring(L, z ? z : "?");
  sqlite3_free(z);
}

/* __index of a checked frozen table; upvalues: 1 its contents, 2 its path
** ("params.amounts") or nil, 3 keys are slot words, 4 strict (a params
** table: every miss is an error). */
static int checked_index(lua_State *L) {
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  int slots = lua_toboolean(L, lua_upvalueindex(3)), strict = lua_toboolean(L, lua_upvalueindex(4));
  size_t len = 0;
  const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len) : NULL;
  int isslot = k && strlen(k) == len && zc_slot_index(k) >= 0;
  const char *path = lua_tostring(L, lua_upvalueindex(2));
  if (slots && !isslot)
    return luaL_error(L, Ltr(L, "%s is keyed by slot, and %s is not one of the policy's windows (breakfast, lunch, "
                         "dinner)", "%s 以餐次为键，而 %s 不是政策的就餐时段之一（breakfast、lunch、dinner）"), path ? path : "this table", zc_sb_repr(L, 2));
  if (!strict) {
    lua_pushnil(L);
    return 1;
  }
  const char *r = zc_sb_repr(L, 2);
  push_keys_text(L, lua_upvalueindex(1));
  return luaL_error(L, Ltr(L, "%s has no key %s (its keys: %s); params are checked: test with pairs() or #, "
                       "or give the key a value", "%s 没有键 %s（它的键有：%s）；params 会被检查：请先用 pairs() 或 # 判断，或者给这个键一个值"), path ? path : "params", r, lua_tostring(L, -1));
}

void zc_sb_check(lua_State *L, int idx, int path, int strict) {
  idx = lua_absindex(L, idx);
  if (path) path = lua_absindex(L, path);
  if (zc_sb_contents(L, idx) < 0) luaL_error(L, "not a frozen table");
  int h = lua_gettop(L);
  if (!lua_getmetatable(L, idx)) luaL_error(L, "not a frozen table");
  int mt = lua_gettop(L);
  lua_pushvalue(L, h);
  if (path) lua_pushvalue(L, path);
  else lua_pushnil(L);
  lua_pushboolean(L, slot_keys(L, h));
  lua_pushboolean(L, strict);
  lua_pushcclosure(L, checked_index, 4);
  lua_setfield(L, mt, "__index");
  lua_pop(L, 2);
}

static int frozen_len(lua_State *L) {
  zc_sb_contents(L, 1);
  lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
  return 1;
}

/* The hidden table never leaves C: the iterator holds it as an upvalue. */
static int frozen_pairs(lua_State *L) {
  zc_sb_contents(L, 1);
  zc_sb_ordered_iter(L, -1);
  lua_pushvalue(L, 1);
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
  if (depth > MAX_DEPTH) luaL_error(L, Ltr(L, "policy tables nest more than %d deep", "政策的表嵌套超过 %d 层"), MAX_DEPTH);
  luaL_checkstack(L, 8, "freezing the policy");
  lua_pushvalue(L, idx);
  if (lua_rawget(L, vis) != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  zc_sb_poll(L, 1);
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
      luaL_error(L, Ltr(L, "tables in a policy must not have metatables (found one at depth %d)", "政策里的表不能有元表（在第 %d 层发现了一个）"), depth);
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
  if (slot_keys(L, h)) {   /* a slot table: a key that is not a slot word is a typo */
    lua_pushvalue(L, h);
    lua_pushnil(L);
    lua_pushboolean(L, 1);
    lua_pushboolean(L, 0);
    lua_pushcclosure(L, checked_index, 4);
  } else {
    lua_pushvalue(L, h);
  }
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

/* ------------------------------------------------------- the state */

int zc_sb_settle(Rt *rt) {
  lua_gc(rt->L, LUA_GCCOLLECT);
  rt->mem_base = rt->mem;
  return rt->mem_base + rt->keep_extra <= ZC_POLICY_KEEP_CAP;
}

int zc_sb_state(Rt *rt, char **pzErr) {
  void *c = zc_plat_locale_new();
  lua_State *L = c ? lua_newstate(zc_sb_alloc, rt) : NULL;
  if (!L) {
    zc_plat_locale_free(c);
    *pzErr = sqlite3_mprintf("%s", zc_tr(rt->zc, "cannot create the Lua state: out of memory", "无法创建 Lua 运行环境：内存不足"));
    return SQLITE_NOMEM;
  }
  rt->L = L;
  rt->c_locale = c;
  /* the first growth of the stack shows the allocator which block it is */
  rt->probe_stack = 1;
  lua_checkstack(L, 100);
  rt->probe_stack = 0;
  return SQLITE_OK;
}

void zc_sb_close(Rt *rt) {
  if (rt->L) lua_close(rt->L);
  rt->L = NULL;
  rt->stack = rt->last_new = NULL;
  zc_plat_locale_free(rt->c_locale);
  rt->c_locale = NULL;
}

/* ------------------------------------------------------ running Lua code */

int zc_sb_run(Rt *rt, lua_CFunction f, void *ctx, char **pmsg) {
  lua_State *L = rt->L;
  if (rt->in_call) return RUN_BUSY;   /* a host callback re-entering zhucan */
  ZcLocaleSave old;
  zc_plat_locale_enter(rt->c_locale, &old);
  int top = lua_gettop(L);
  rt->steps = 0;
  rt->pend_steps = 0;
  rt->fatal = 0;
  rt->em_pending = 0;
  rt->poll_ns = 0;
  rt->fatal_where[0] = 0;
  rt->in_call = 1;
  lua_sethook(L, rt_hook, LUA_MASKCOUNT | (rt->ret_watch ? LUA_MASKRET : 0), ZC_POLICY_HOOK);
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, ctx);
  int st = lua_pcall(L, 1, 0, 0);
  rt->in_call = 0;
  lua_sethook(L, NULL, 0, 0);
  rt->steps += rt->pend_steps;
  rt->pend_steps = 0;
  rt->steps_total += rt->steps;
  int kind = rt->fatal ? rt->fatal : st == LUA_ERRMEM ? RUN_MEM : st != LUA_OK ? RUN_ERR : RUN_OK;
  if (kind == RUN_ERR) {
    size_t n = 0;
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    *pmsg = m ? zc_sb_clean(m, n, ZC_MAX_MSG)
              : sqlite3_mprintf(zc_tr(rt->zc, "(error object is a %s value)", "(错误对象是 %s 类型的值)"),
                                luaL_typename(L, -1));
  }
  lua_settop(L, top);
  if (kind != RUN_OK && kind != RUN_ERR) lua_gc(L, LUA_GCCOLLECT);   /* no finalizers: __gc is refused */
  rt->fatal = 0;
  rt->em_pending = 0;
  zc_plat_locale_leave(&old);
  return kind;
}
