/*
** policy_credit.c — a version's optional `credit` section (the time bank
** and credit points, docs/credit.md), checked strictly when the version
** loads and kept as plain numbers (ZcCredit, policy.h); and the tier
** arithmetic every credit function uses (zc_credit_points).  No SQL of
** its own: credit.c reads the section through ZcPolicyVersion.credit.
**
**   credit = {
**     tiers = { { upto = 20, hours = 1 }, { upto = 80, hours = 2 },
**               { upto = 200, hours = 3 }, { hours = 4 } },
**     cap = 0, expire_months = 0,
**     redeem = { meal = 100, goods = 100, service = 100 },   -- fen a point pays
**     redeem_min_age = 0, redeem_month_cap = 0,
**     transfer = { "spouse", "child", "parent" }, transfer_min_age = 60,
**     donate = true,
**   }
**
** A misspelt or unknown key is refused naming the file and the line where
** the key is written ("weihai.lua:41: credit has no field 'expire_month'"):
** the first `key =` of the source (a table has no line of its own; for
** tiers[i], the i-th), so a key written through params names its credit
** line.
*/
#include "policy_int.h"
#include <string.h>

const char *const zc_credit_use[ZC_CREDIT_NUSE] = {"meal", "goods", "service"};

static const char *const credit_keys[] = {"tiers", "cap", "expire_months", "redeem", "redeem_min_age",
                                          "redeem_month_cap", "transfer", "transfer_min_age", "donate", NULL};
static const char *const tier_keys[] = {"upto", "hours", NULL};

sqlite3_int64 zc_credit_points(const ZcCredit *c, sqlite3_int64 minutes) {
  sqlite3_int64 mp = 0, from = 0;
  for (int i = 0; i < c->ntiers && minutes > from; i++) {
    sqlite3_int64 to = c->tier[i].upto_min < 0 || c->tier[i].upto_min > minutes ? minutes : c->tier[i].upto_min;
    if (to > from) mp += (to - from) * 1000 / (60 * (sqlite3_int64)c->tier[i].hours);
    from = to;
  }
  return mp;
}

/* The line of the nth `key =` (not `==`) in the source (the last one if
** there are fewer; nth 0 or 1: the first), 0 if none. */
static int key_line(const char *src, size_t len, const char *key, int nth) {
  size_t k = strlen(key);
  int line = 1, found = 0, seen = 0;
  for (size_t i = 0; i + k <= len; i++) {
    if (src[i] == '\n') line++;
    if (memcmp(src + i, key, k) != 0) continue;
    char b = i ? src[i - 1] : ' ';
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_') continue;
    size_t j = i + k;
    while (j < len && (src[j] == ' ' || src[j] == '\t')) j++;
    if (j < len && src[j] == '=' && (j + 1 >= len || src[j + 1] != '=')) {
      found = line;
      if (++seen >= nth) return found;
    }
  }
  return found;
}

typedef struct CreditCtx {
  lua_State *L;
  const char *src, *chunk;
  size_t len;
  int nth;                       /* reading tiers[nth - 1]: its keys are the nth ones */
} CreditCtx;

/* Raises "file:line: credit...: what", the line where key is written. */
static void credit_fail(CreditCtx *x, const char *key, const char *fmt, const char *a, const char *b) {
  const char *file = x->chunk && (x->chunk[0] == '=' || x->chunk[0] == '@') ? x->chunk + 1 : x->chunk;
  int line = key ? key_line(x->src, x->len, key, x->nth) : 0;
  if (line == 0) line = key_line(x->src, x->len, "credit", 1);
  lua_pushfstring(x->L, fmt, a, b);
  if (line > 0) luaL_error(x->L, "%s:%d: %s", file ? file : "?", line, lua_tostring(x->L, -1));
  luaL_error(x->L, "%s: %s", file ? file : "?", lua_tostring(x->L, -1));
}

/* Every key of the table at t is a string among keys; what names the table. */
static void check_fields(CreditCtx *x, int t, const char *const *keys, const char *what) {
  lua_State *L = x->L;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; keys[i]; i++) known |= strcmp(lua_tostring(L, -1), keys[i]) == 0;
    if (!known) {
      const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (int i = 0; keys[i]; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, keys[i]);
      }
      luaL_pushresult(&b);
      int all = lua_gettop(L);
      lua_pushvalue(L, all - 1);
      const char *shown = zc_sb_text(L, -1);
      credit_fail(x, k, "%s", lua_pushfstring(L, Ltr(L, "%s has no field '%s' (its fields: %s)", "%s 没有字段 '%s'（可用的字段：%s）"), what, shown,
                                                lua_tostring(L, all)), "");
    }
  }
}

/* An integer field of the table at t in [lo, hi]; def when absent. */
static lua_Integer int_field(CreditCtx *x, int t, const char *key, const char *what, lua_Integer lo,
                             lua_Integer hi, lua_Integer def) {
  lua_State *L = x->L;
  int ty = lua_getfield(L, t, key);
  lua_Integer v = def;
  if (ty != LUA_TNIL) {
    int ok = 0;
    if (lua_isinteger(L, -1)) v = lua_tointeger(L, -1), ok = 1;
    else if (ty == LUA_TNUMBER) {
      lua_Number d = lua_tonumber(L, -1);
      ok = d >= (lua_Number)lo && d <= (lua_Number)hi && d == (lua_Number)(lua_Integer)d;
      if (ok) v = (lua_Integer)d;
    }
    if (!ok || v < lo || v > hi) {
      lua_pushfstring(L, Ltr(L, "%s.%s must be a whole number from %I to %I (got %s)", "%s.%s 应为 %I 到 %I 的整数（实际是 %s）"), what, key, (LUAI_UACINT)lo,
                      (LUAI_UACINT)hi, zc_sb_repr(L, -1));
      credit_fail(x, key, "%s%s", lua_tostring(L, -1), "");
    }
  }
  lua_pop(L, 1);
  return v;
}

static void read_tiers(CreditCtx *x, int C, ZcCredit *c) {
  lua_State *L = x->L;
  if (lua_getfield(L, C, "tiers") != LUA_TTABLE || lua_rawlen(L, -1) == 0 || lua_rawlen(L, -1) > ZC_CREDIT_TIERS)
    credit_fail(x, "tiers", Ltr(L, "credit.tiers must be a list of 1 to 16 tiers { upto = hours, hours = per point }, "
                            "the last without upto%s%s", "credit.tiers 应为 1 到 16 档的列表 { upto = 小时数, hours = 每分所需小时 }，"
                            "最后一档不写 upto%s%s"), "", "");
  int t = lua_gettop(L);
  c->ntiers = (int)lua_rawlen(L, t);
  lua_Integer prev = 0;
  for (int i = 0; i < c->ntiers; i++) {
    if (lua_rawgeti(L, t, i + 1) != LUA_TTABLE) credit_fail(x, "tiers", Ltr(L, "credit.tiers[%s] must be a table%s", "credit.tiers[%s] 应为表%s"),
                                                            lua_pushfstring(L, "%d", i + 1), "");
    int e = lua_gettop(L);
    const char *what = lua_pushfstring(L, "credit.tiers[%d]", i + 1);
    x->nth = i + 1;
    check_fields(x, e, tier_keys, what);
    int last = i == c->ntiers - 1;
    lua_Integer upto = int_field(x, e, "upto", what, last ? -1 : prev + 1, 1000000, -1);
    if (last && upto != -1) credit_fail(x, "upto", Ltr(L, "%s: the last tier has no upto (it runs on)%s", "%s：最后一档不写 upto（它一直适用）%s"), what, "");
    if (!last && upto == -1) credit_fail(x, "hours", Ltr(L, "%s.upto is missing (only the last tier runs on)%s", "%s 缺少 upto（只有最后一档可以不写）%s"), what, "");
    c->tier[i].upto_min = upto < 0 ? -1 : upto * 60;
    c->tier[i].hours = (int)int_field(x, e, "hours", what, 1, 1000, 0);
    if (c->tier[i].hours == 0) credit_fail(x, "upto", Ltr(L, "%s.hours is missing: hours per point%s", "%s 缺少 hours：每分所需小时数%s"), what, "");
    prev = upto;
    x->nth = 0;
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
}

static void read_redeem(CreditCtx *x, int C, ZcCredit *c) {
  lua_State *L = x->L;
  for (int u = 0; u < ZC_CREDIT_NUSE; u++) c->rate[u] = -1;
  int ty = lua_getfield(L, C, "redeem");
  if (ty == LUA_TTABLE) {
    int t = lua_gettop(L);
    static const char *const use_keys[] = {"meal", "goods", "service", NULL};
    check_fields(x, t, use_keys, "credit.redeem");
    for (int u = 0; u < ZC_CREDIT_NUSE; u++) c->rate[u] = int_field(x, t, zc_credit_use[u], "credit.redeem", 0, 100000, -1);
  } else if (ty != LUA_TNIL) {
    credit_fail(x, "redeem", Ltr(L, "credit.redeem must be a table { meal = fen per point, goods = ..., service = ... }%s%s",
                                 "credit.redeem 应为表 { meal = 每分折合的分, goods = ..., service = ... }%s%s"),
                "", "");
  }
  lua_pop(L, 1);
}

static void read_transfer(CreditCtx *x, int C, ZcCredit *c) {
  lua_State *L = x->L;
  int ty = lua_getfield(L, C, "transfer");
  if (ty == LUA_TTABLE) {
    int t = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, t), count = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) lua_pop(L, 1), count++;
    if (count != n || n > ZC_CREDIT_RELS)
      credit_fail(x, "transfer", Ltr(L, "credit.transfer must be a list of at most 16 relation words such as "
                                 "{ \"spouse\", \"child\" }%s%s", "credit.transfer 应为最多 16 个亲属关系词的列表，例如 "
                                 "{ \"spouse\", \"child\" }%s%s"), "", "");
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, t, i);
      size_t len = 0;
      const char *z = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
      if (!z || len == 0 || len > 32 || !zc_sb_word_ok(z, len) || strcmp(z, "donation") == 0) {
        const char *shown = zc_sb_repr(L, -1);
        credit_fail(x, "transfer", Ltr(L, "credit.transfer[%s] is %s; expected a relation word of 1 to 32 bytes "
                                   "(not 'donation': use donate = true)",
                                   "credit.transfer[%s] 是 %s；应为 1 到 32 字节的亲属关系词（不能写 'donation'：捐赠请用 donate = true）"),
                    lua_pushfstring(L, "%I", (LUAI_UACINT)i), shown);
      }
      memcpy(c->rel[c->nrel++], z, len + 1);
      lua_pop(L, 1);
    }
  } else if (ty != LUA_TNIL) {
    credit_fail(x, "transfer", Ltr(L, "credit.transfer must be a list of relation words%s%s", "credit.transfer 应为亲属关系词的列表%s%s"), "", "");
  }
  lua_pop(L, 1);
}

void zc_pl_read_credit(lua_State *L, int P, PVersion *v, const char *src, size_t len, const char *chunk) {
  CreditCtx x = {L, src, chunk, len, 0};
  int ty = lua_getfield(L, P, "credit");
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (ty != LUA_TTABLE) credit_fail(&x, "credit", Ltr(L, "policy field 'credit' must be a table or absent (got %s)%s", "政策字段 'credit' 应为表或不写（实际是 %s）%s"),
                                    luaL_typename(L, -1), "");
  int C = lua_gettop(L);
  check_fields(&x, C, credit_keys, "credit");
  ZcCredit *c = v->credit = sqlite3_malloc(sizeof *c);
  if (!c) luaL_error(L, Ltr(L, "out of memory", "内存不足"));
  memset(c, 0, sizeof *c);
  read_tiers(&x, C, c);
  c->cap = int_field(&x, C, "cap", "credit", 0, 1000000000, 0) * 1000;
  c->expire_months = (int)int_field(&x, C, "expire_months", "credit", 0, 1200, 0);
  read_redeem(&x, C, c);
  c->redeem_min_age = (int)int_field(&x, C, "redeem_min_age", "credit", 0, 150, 0);
  c->month_cap = int_field(&x, C, "redeem_month_cap", "credit", 0, 1000000000, 0) * 1000;
  read_transfer(&x, C, c);
  c->transfer_min_age = (int)int_field(&x, C, "transfer_min_age", "credit", 0, 150, 0);
  int d = lua_getfield(L, C, "donate");
  if (d != LUA_TNIL && d != LUA_TBOOLEAN) credit_fail(&x, "donate", "credit.donate must be true or false (got %s)%s",
                                                      luaL_typename(L, -1), "");
  c->donate = lua_toboolean(L, -1);
  lua_pop(L, 2);
  v->pub.credit = c;
}
