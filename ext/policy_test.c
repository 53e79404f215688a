/*
** policy_test.c — a policy's own test cases, run against every installed
** version of it:
**
**   SELECT policy_test('zhongyang');              -- 'ok: 9 cases'
**
** A case of a version's tests table:
**   { name = "80+ lunch", call = "meal" | "eligible" | "subsidy" | "site" | "credit",
**     elder = {...}, meal = {...}, site = {...}, stats = {...},
**     day = "YYYY-MM-DD", service = "meal", month = "YYYY-MM",
**     expect = true | { county = 500 } | { {item=, payer=, fen=, quantity=}, ... },
**     reason = "text" (optional), error = "text the error contains" (optional) }
** A credit case: { name = "250 h", call = "credit", hours = 250, expect = 102500 }
** (the milli-points of a year's first hours, or minutes =, under credit.tiers).
** Facts are plain tables with the fields the rules see; they go through
** the same C structs, proxies, checks and memo as real facts.
*/
#include "modules.h"
#include "policy_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CALL_ELIGIBLE, CALL_MEAL, CALL_SITE, CALL_SUBSIDY, CALL_CREDIT };

typedef struct TestCtx {
  Rt *rt;
  PVersion *v;
  lua_Integer i, n;
  const char *name;
  int call, day;
  sqlite3_int64 minutes, points;   /* call = "credit": the year's minutes, their milli-points */
  const char *service;
  char month[8];
  ZcElderFacts elder;
  ZcMealFacts meal;
  ZcSiteFacts site;
  ZcSiteStats stats;
  const char *xwords[ZC_MAX_STATUS];   /* status words the connection does not know */
  int nxwords;
  /* result */
  int ok;
  const char *reason;
  const ZcPart *parts;
  int nparts;
  const ZcSiteItem *items;
  int nitems;
  char *err;
  char *fail;        /* set by compare */
  int stop;          /* RUN_INTR: policy_test must stop */
  int oom;           /* out of memory: the case's outcome is unknown */
  int want_err;      /* the case says error = "...": its rules run with English messages */
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
  if (!lua_istable(L, -1)) luaL_error(L, Ltr(L, "tests[%I] is not a table", "tests[%I] 不是表"), t->i);
  lua_getfield(L, -1, "name");
  t->name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1);
  return lua_gettop(L);
}

static const char *case_str(lua_State *L, TestCtx *t, int tab, const char *what, const char *k) {
  int ty = lua_getfield(L, tab, k);
  const char *s = NULL;
  if (ty == LUA_TSTRING) s = lua_tostring(L, -1);
  else if (ty != LUA_TNIL) luaL_error(L, Ltr(L, "%s.%s must be a string", "%s.%s 应为字符串"), what, k);
  lua_pop(L, 1);   /* the string stays alive in the frozen tests table */
  (void)t;
  return s;
}

static int case_day(lua_State *L, TestCtx *t, int tab, const char *what, const char *k) {
  const char *s = case_str(L, t, tab, what, k);
  if (!s) return ZC_NONE;
  int d = zc_day_parse(s, -1);
  if (d == ZC_NONE) {
    lua_getfield(L, tab, k);
    luaL_error(L, Ltr(L, "%s.%s %s is not a date 'YYYY-MM-DD'", "%s.%s 为 %s，不是日期 'YYYY-MM-DD'"), what, k, zc_sb_repr(L, -1));
  }
  return d;
}

static sqlite3_int64 case_int(lua_State *L, int tab, const char *what, const char *k,
                              sqlite3_int64 dflt) {
  int ty = lua_getfield(L, tab, k);
  sqlite3_int64 v = dflt;
  if (ty != LUA_TNIL) {
    if (!lua_isinteger(L, -1)) luaL_error(L, Ltr(L, "%s.%s must be an integer", "%s.%s 应为整数"), what, k);
    v = (sqlite3_int64)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

/* every key of table tab must be a field of kind */
static void case_fields(lua_State *L, int tab, int kind) {
  zc_sb_contents(L, tab);
  int c = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, c)) {
    lua_pop(L, 1);
    zc_sb_charge(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int f = ZF_BEGIN(kind); f < ZF_END(kind); f++)
        known |= strcmp(lua_tostring(L, -1), zc_field_name[f]) == 0;
    if (!known) luaL_error(L, Ltr(L, "%s has no field %s", "%s 没有字段 %s"), zc_field_kind_name[kind], zc_sb_text(L, -1));
  }
  lua_pop(L, 1);
}

static int case_facts(lua_State *L, TestCtx *t, int cs, const char *k, int kind) {
  int ty = lua_getfield(L, cs, k);
  if (ty == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newtable(L);
  } else if (ty != LUA_TTABLE) {
    luaL_error(L, Ltr(L, "%s must be a table", "%s 应为表"), k);
  }
  case_fields(L, lua_gettop(L), kind);
  (void)t;
  return lua_gettop(L);
}

/* A set of words, {w = true} or {w, ...}, at the top of the stack: calls
** add(word) for each. */
static void case_words(lua_State *L, void (*add)(lua_State *, TestCtx *, const char *), TestCtx *t) {
  zc_sb_contents(L, -1);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    zc_sb_charge(L, 1);
    const char *w = lua_type(L, -1) == LUA_TSTRING                                ? lua_tostring(L, -1)
                    : lua_type(L, -2) == LUA_TSTRING && lua_toboolean(L, -1) ? lua_tostring(L, -2)
                                                                               : NULL;
    add(L, t, w);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void add_slot(lua_State *L, TestCtx *t, const char *w) {
  int i = zc_slot_index(w);
  if (i < 0) luaL_error(L, Ltr(L, "site.slots: expected breakfast, lunch or dinner", "site.slots：应为 breakfast、lunch 或 dinner"));
  t->site.slots |= 1u << i;
}

/* A word the connection's dictionary knows sets its bit; another is kept
** with the case (rt->xwords while it runs), so that test cases never add
** words to the dictionary real facts use. */
static void add_status(lua_State *L, TestCtx *t, const char *w) {
  if (!w) return;
  int bit = zc_pf_status_bit(t->rt, w, strlen(w));
  if (bit >= 0) {
    t->elder.status |= 1ull << bit;
    return;
  }
  for (int i = 0; i < t->nxwords; i++)
    if (strcmp(t->xwords[i], w) == 0) return;
  if (t->nxwords == ZC_MAX_STATUS) luaL_error(L, Ltr(L, "elder.status: more than %d words", "elder.status：超过 %d 个词"), ZC_MAX_STATUS);
  t->xwords[t->nxwords++] = w;   /* alive in the frozen tests table */
}

static void parse_site(lua_State *L, TestCtx *t, int s) {
  ZcSiteFacts *S = &t->site;
  S->id = case_int(L, s, "site", "id", 1);
  S->name = case_str(L, t, s, "site", "name");
  if (!S->name) S->name = "site";
  S->kind = case_str(L, t, s, "site", "kind");
  if (!S->kind) S->kind = "canteen";
  S->grade = (int)case_int(L, s, "site", "grade", ZC_NONE);
  S->beds = (int)case_int(L, s, "site", "beds", 0);
  S->area_m2 = NAN;
  if (lua_getfield(L, s, "area_m2") != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, Ltr(L, "site.area_m2 must be a number", "site.area_m2 应为数字"));
    S->area_m2 = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  S->opened_on = case_day(L, t, s, "site", "opened_on");
  S->closed_on = case_day(L, t, s, "site", "closed_on");
  S->slots = ZC_SLOT_LUNCH;
  if (lua_getfield(L, s, "slots") != LUA_TNIL) {
    if (!lua_istable(L, -1)) luaL_error(L, Ltr(L, "site.slots must be a list of slot words", "site.slots 应为餐次词的列表"));
    S->slots = 0;
    case_words(L, add_slot, t);
  }
  lua_pop(L, 1);
  S->region = case_str(L, t, s, "site", "region");
  S->village = case_str(L, t, s, "site", "village");
  S->township = case_str(L, t, s, "site", "township");
  S->county = case_str(L, t, s, "site", "county");
}

/* The meal, and the case's day: day = ..., else the meal's. */
static void parse_meal(lua_State *L, TestCtx *t, int cs, int m) {
  ZcMealFacts *M = &t->meal;
  int cday = case_day(L, t, cs, "case", "day");
  const char *month = case_str(L, t, cs, "case", "month");
  int first = 0, next = 0;
  if (month) {
    if (!zc_month_parse(month, -1, &first, &next)) {
      lua_getfield(L, cs, "month");
      luaL_error(L, Ltr(L, "month %s is not 'YYYY-MM'", "month 为 %s，不是 'YYYY-MM'"), zc_sb_repr(L, -1));
    }
    memcpy(t->month, month, 8);
  }
  const char *slot = case_str(L, t, m, "meal", "slot");
  int si = zc_slot_index(slot);
  if (slot && si < 0) {
    lua_getfield(L, m, "slot");
    luaL_error(L, Ltr(L, "meal.slot %s is not breakfast, lunch or dinner", "meal.slot 为 %s，不是 breakfast、lunch 或 dinner"), zc_sb_repr(L, -1));
  }
  M->slot = si >= 0 ? zc_slot_name(si) : "lunch";
  if (si < 0) si = ZC_LUNCH;
  const char *served = case_str(L, t, m, "meal", "served_at");
  int mday = case_day(L, t, m, "meal", "day");
  if (served) {
    if (!zc_time_parse(served, -1, &M->served_at)) {
      lua_getfield(L, m, "served_at");
      luaL_error(L, Ltr(L, "meal.served_at %s is not 'YYYY-MM-DD HH:MM:SS'", "meal.served_at 为 %s，不是 'YYYY-MM-DD HH:MM:SS'"), zc_sb_repr(L, -1));
    }
    mday = (int)(M->served_at / ZC_DAY_SECONDS);
  } else {
    if (mday == ZC_NONE) mday = cday;
    if (mday == ZC_NONE && month) mday = first;
    const char *tm = case_str(L, t, m, "meal", "time");
    int secs = tm ? zc_clock_parse(tm, strlen(tm)) : t->v->pub.windows[si].from;
    if (secs < 0) {
      lua_getfield(L, m, "time");
      luaL_error(L, Ltr(L, "meal.time %s is not 'HH:MM:SS'", "meal.time 为 %s，不是 'HH:MM:SS'"), zc_sb_repr(L, -1));
    }
    M->served_at = mday == ZC_NONE ? 0 : (sqlite3_int64)mday * ZC_DAY_SECONDS + secs;
  }
  M->day = mday;
  t->day = cday != ZC_NONE ? cday : mday;
  if (t->call != CALL_SITE && t->day == ZC_NONE)
    luaL_error(L, Ltr(L, "the case needs a day (day = 'YYYY-MM-DD' or meal.served_at)", "用例需要一个日期（day = 'YYYY-MM-DD' 或 meal.served_at）"));
  if (t->call == CALL_SITE && !month) luaL_error(L, Ltr(L, "a site case needs month = 'YYYY-MM'", "site 用例需要 month = 'YYYY-MM'"));
  M->id = case_int(L, m, "meal", "id", 1);
  M->method = case_str(L, t, m, "meal", "method");
  if (!M->method) M->method = "card";
  M->device = case_str(L, t, m, "meal", "device");
  M->token = case_str(L, t, m, "meal", "token");
  M->price_fen = case_int(L, m, "meal", "price_fen", ZC_NO_PRICE);
  M->site_id = case_int(L, m, "meal", "site_id", t->site.id);
  M->nth_slot = (int)case_int(L, m, "meal", "nth_slot", 1);
  M->nth_day = (int)case_int(L, m, "meal", "nth_day", 1);
  M->nth_month = (int)case_int(L, m, "meal", "nth_month", 1);
}

static void parse_elder(lua_State *L, TestCtx *t, int e) {
  ZcElderFacts *E = &t->elder;
  E->id = case_int(L, e, "elder", "id", 1);
  const char *sex = case_str(L, t, e, "elder", "sex");
  if (sex && strcmp(sex, "M") != 0 && strcmp(sex, "F") != 0) luaL_error(L, Ltr(L, "elder.sex must be 'M' or 'F'", "elder.sex 应为 'M' 或 'F'"));
  E->sex = sex ? sex[0] : 0;
  E->birth = case_day(L, t, e, "elder", "birth_date");
  E->age = (int)case_int(L, e, "elder", "age", ZC_NONE);
  if (E->age == ZC_NONE && E->birth != ZC_NONE && t->day != ZC_NONE) E->age = zc_age_years(E->birth, t->day);
  E->region = case_str(L, t, e, "elder", "region");
  E->village = case_str(L, t, e, "elder", "village");
  E->township = case_str(L, t, e, "elder", "township");
  E->county = case_str(L, t, e, "elder", "county");
  E->died_on = case_day(L, t, e, "elder", "died_on");
  if (lua_getfield(L, e, "agreement") != LUA_TNIL) {
    if (!lua_isboolean(L, -1)) luaL_error(L, Ltr(L, "elder.agreement must be true or false", "elder.agreement 应为 true 或 false"));
    E->agreement = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  E->bed = case_int(L, e, "elder", "bed", 0);
  if (lua_getfield(L, e, "status") != LUA_TNIL) {
    if (!lua_istable(L, -1)) luaL_error(L, Ltr(L, "elder.status must be a set {dibao = true} or a list", "elder.status 应为集合 {dibao = true} 或列表"));
    case_words(L, add_status, t);
  }
  lua_pop(L, 1);
}

/* Every stat is a whole number, 0 when absent. */
static void parse_stats(lua_State *L, TestCtx *t, int tab) {
  ZcSiteStats *st = &t->stats;
#define ZF_STAT_(K, N, name, T, expr) expr = case_int(L, tab, "stats", name, 0);
  ZC_STATS_FIELDS(ZF_STAT_)
#undef ZF_STAT_
}

/* Each field a case gives must read back, through the proxies the rules
** use, as the case wrote it: a field the parser above does not know is
** caught here, not silently left at its default.  (Sets, and times of day
** that may be written 'HH:MM', are checked by their own parsers.) */
static void check_read_back(lua_State *L, TestCtx *t, int tab, int kind) {
  Rt *rt = t->rt;
  rt->cur_elder = &t->elder;
  rt->cur_meal = &t->meal;
  rt->cur_site = &t->site;
  rt->cur_stats = &t->stats;
  for (int f = ZF_BEGIN(kind); f < ZF_END(kind); f++) {
    if (f == ZF_ELDER_STATUS || f == ZF_SITE_SLOTS || f == ZF_MEAL_TIME) continue;
    if (lua_getfield(L, tab, zc_field_name[f]) == LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    zc_pf_push(L, rt, f);
    /* an id of 0 is "none": the rules see nil */
    int none = lua_isnil(L, -1) && lua_isinteger(L, -2) && lua_tointeger(L, -2) == 0;
    if (!none && !lua_rawequal(L, -1, -2)) {
      const char *want = zc_sb_repr(L, -2); /* the case's value */
      const char *got = zc_sb_repr(L, -2);  /* what the rules see (below it now) */
      luaL_error(L, Ltr(L, "%s.%s is %s in the case but the rules would see %s", "用例里 %s.%s 是 %s，但规则看到的会是 %s"), zc_field_kind_name[kind],
                 zc_field_name[f], want, got);
    }
    lua_pop(L, 2);
  }
  rt->cur_elder = NULL;
  rt->cur_meal = NULL;
  rt->cur_site = NULL;
  rt->cur_stats = NULL;
}

/* Protected (zc_sb_run): case t->i into t's facts. */
static int parse_protected(lua_State *L) {
  TestCtx *t = lua_touserdata(L, 1);
  int cs = push_case(L, t);
  if (!t->name) luaL_error(L, Ltr(L, "the case has no name", "用例没有名称（name）"));
  const char *call = case_str(L, t, cs, "case", "call");
  static const char *const calls[] = {"eligible", "meal", "site", "subsidy", "credit", NULL};
  t->call = -1;
  for (int i = 0; call && calls[i]; i++)
    if (strcmp(call, calls[i]) == 0) t->call = i;
  if (t->call < 0) luaL_error(L, Ltr(L, "call must be 'eligible', 'meal', 'subsidy', 'site' or 'credit'", "call 应为 'eligible'、'meal'、'subsidy'、'site' 或 'credit'"));
  if (t->call == CALL_CREDIT) {
    /* the points of a year's first `minutes` (or `hours`) under credit.tiers */
    if (!t->v->pub.credit) luaL_error(L, Ltr(L, "a credit case needs the policy's credit section", "credit 用例需要政策里有 credit 部分"));
    t->minutes = case_int(L, cs, "case", "minutes", -1);
    if (t->minutes < 0) t->minutes = case_int(L, cs, "case", "hours", -1) * 60;
    if (t->minutes < 0 || t->minutes > 366 * 24 * 60)
      luaL_error(L, Ltr(L, "a credit case needs minutes = or hours = (0 to a year)", "credit 用例需要 minutes = 或 hours =（0 到一年）"));
    return 0;
  }
  t->service = case_str(L, t, cs, "case", "service");
  if (!t->service) t->service = "meal";
  t->want_err = case_str(L, t, cs, "case", "error") != NULL;
  int tab[ZF_NKIND];
  static const char *const kinds[ZF_NKIND] = {"elder", "meal", "site", "stats"};
  for (int k = 0; k < ZF_NKIND; k++) tab[k] = case_facts(L, t, cs, kinds[k], k);
  parse_site(L, t, tab[ZF_K_SITE]);
  parse_meal(L, t, cs, tab[ZF_K_MEAL]);
  parse_elder(L, t, tab[ZF_K_ELDER]);
  parse_stats(L, t, tab[ZF_K_STATS]);
  for (int k = 0; k < ZF_NKIND; k++) check_read_back(L, t, tab[k], k);
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

/* A case's text quoted for a message, cut (on the Lua stack). */
static const char *cut(lua_State *L, const char *z) {
  lua_pushstring(L, z);
  return zc_sb_repr(L, -1);
}

/* call = "credit": expect is the milli-points of the case's minutes */
static void compare_credit(lua_State *L, TestCtx *t, int ex, sqlite3_str *s) {
  if (!lua_isinteger(L, ex))
    sqlite3_str_appendall(s, "expect must be the milli-points (an integer: 102500 = 102.5 points)");
  else if (lua_tointeger(L, ex) != t->points)
    sqlite3_str_appendf(s, "expected %lld milli-points, got %lld", (sqlite3_int64)lua_tointeger(L, ex), t->points);
}

static int compare_protected(lua_State *L) {
  TestCtx *t = lua_touserdata(L, 1);
  int cs = push_case(L, t);
  sqlite3_str *s = t->s;
  const char *experr = case_str(L, t, cs, "case", "error");
  if (experr || t->err) {
    if (!experr) sqlite3_str_appendf(s, Ltr(L, "failed: %s", "出错：%s"), t->err);
    else if (!t->err) sqlite3_str_appendf(s, Ltr(L, "expected an error containing %s, got none", "应当出错且错误信息包含 %s，实际没有出错"), cut(L, experr));
    else if (!strstr(t->err, experr))
      sqlite3_str_appendf(s, Ltr(L, "expected an error containing %s, got: %s", "应当出错且错误信息包含 %s，实际的错误是：%s"), cut(L, experr), t->err);
    goto out;
  }
  lua_getfield(L, cs, "expect");
  int ex = lua_gettop(L);
  if (t->call == CALL_CREDIT) {
    compare_credit(L, t, ex, s);
    goto out;
  }
  if (t->call == CALL_ELIGIBLE) {
    if (!lua_isboolean(L, ex)) {
      sqlite3_str_appendall(s, Ltr(L, "expect must be true or false", "expect 应为 true 或 false"));
    } else if (lua_toboolean(L, ex) != t->ok) {
      sqlite3_str_appendf(s, Ltr(L, "expected %s, got %s (reason %Q)", "应为 %s，实际是 %s（理由 %Q）"), t->ok ? "false" : "true",
                          t->ok ? "true" : "false", t->reason);
    }
  } else if (t->call == CALL_SITE) {
    if (!lua_istable(L, ex)) {
      sqlite3_str_appendall(s, Ltr(L, "expect must be a list of {item=, payer=, fen=, quantity=}", "expect 应为 {item=, payer=, fen=, quantity=} 的列表"));
      goto out;
    }
    lua_Integer n = (lua_Integer)luaL_len(L, ex), k = 0;
    int same = 1;
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, ex, i);
      int it = lua_gettop(L);
      if (!lua_istable(L, it)) luaL_error(L, Ltr(L, "expect[%I] is not a table", "expect[%I] 不是表"), i);
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
      sqlite3_str_appendall(s, Ltr(L, "site items differ: got ", "助餐点项目不一致，实际得到："));
      fmt_items(s, t->items, t->nitems);
    }
  } else {
    if (!lua_istable(L, ex)) {
      sqlite3_str_appendall(s, Ltr(L, "expect must be a table {payer = fen} ({} for no subsidy)", "expect 应为表 {付款方 = 分}（没有补贴写 {}）"));
      goto out;
    }
    zc_sb_contents(L, ex);
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
      sqlite3_str_appendall(s, Ltr(L, "expected ", "应为 "));
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
      qsort(ep, (size_t)ne, sizeof ep[0], zc_payer_cmp);
      fmt_parts(s, ep, ne);
      sqlite3_str_appendall(s, Ltr(L, ", got ", "，实际是 "));
      fmt_parts(s, t->parts, t->nparts);
      if (t->call == CALL_SUBSIDY && !t->ok) sqlite3_str_appendf(s, Ltr(L, " (not eligible: %Q)", "（不符合条件：%Q）"), t->reason);
    }
  }
  {
    const char *er = case_str(L, t, cs, "case", "reason");
    if (er && sqlite3_str_length(s) == 0 && (!t->reason || strcmp(er, t->reason) != 0))
      sqlite3_str_appendf(s, Ltr(L, "expected reason %s, got %Q", "理由应为 %s，实际是 %Q"), cut(L, er), t->reason);
  }
out:
  return 0;
}

/* The call of case t (its facts parsed); t->err set when it fails. */
static void call_case(TestCtx *t) {
  Rt *rt = t->rt;
  ZcMealResult r;
  int rc = SQLITE_OK;
  rt->xwords = t->xwords;
  rt->nxwords = t->nxwords;
  switch (t->call) {
    case CALL_ELIGIBLE:
      rc = zc_pc_eligible(rt, t->v, &t->elder, t->day, t->service, &t->ok, &t->reason, &t->err);
      break;
    case CALL_MEAL:
      rc = zc_pc_meal(rt, t->v, &t->meal, &t->elder, &t->site, &t->reason, &t->parts, &t->nparts, &t->err);
      break;
    case CALL_CREDIT: t->points = zc_credit_points(t->v->pub.credit, t->minutes); break;
    case CALL_SUBSIDY:
      rc = zc_policy_subsidy(rt->zc, &t->v->pub, &t->meal, &t->elder, &t->elder, &t->site, NULL, &r, &t->err);
      if (rc == SQLITE_OK) {
        t->ok = r.eligible;
        t->reason = r.eligible ? r.reason : r.eligible_reason;
        memcpy(rt->meal_parts, r.parts, sizeof rt->meal_parts);
        t->parts = rt->meal_parts;
        t->nparts = r.nparts;
      }
      break;
    default:
      rc = zc_policy_site(rt->zc, &t->v->pub, &t->site, t->month, &t->stats, &t->items, &t->nitems, &t->err);
      break;
  }
  rt->xwords = NULL;
  rt->nxwords = 0;
  if (rc == SQLITE_INTERRUPT) t->stop = RUN_INTR;
  if (rc == SQLITE_NOMEM) t->oom = 1;
  if (rc != SQLITE_OK && !t->err) t->err = sqlite3_mprintf("%s", sqlite3_errstr(rc));
  if (rc != SQLITE_OK && !t->err) t->oom = 1;
}

/* "bad case: ..." for a parse or compare run that ended with kind. */
static void bad_case(TestCtx *t, int kind, char *msg) {
  if (kind == RUN_INTR) t->stop = RUN_INTR;
  t->fail = sqlite3_mprintf(zc_tr(t->rt->zc, "bad case: %s", "用例有误：%s"), msg ? msg : kind == RUN_ERR ? "out of memory" : zc_sb_fatal_text(t->rt->zc, kind));
  if (!t->fail || (kind == RUN_ERR && !msg)) t->oom = 1;
  sqlite3_free(msg);
}

/* Runs case t->i; t->fail set when it fails, t->stop when policy_test must. */
static void run_case(TestCtx *t) {
  Rt *rt = t->rt;
  char *msg = NULL;
  int kind = zc_sb_run(rt, parse_protected, t, &msg);
  if (kind != RUN_OK) {
    bad_case(t, kind, msg);
    return;
  }
  /* a case's error = "..." is matched against the runtime's English text,
  ** whatever the connection speaks: its rules run with English messages
  ** (every other case in the connection's language) */
  int lang = rt->zc->lang;
  if (t->want_err) rt->zc->lang = ZC_LANG_EN;
  call_case(t);
  rt->zc->lang = lang;
  if (t->stop) goto done;
  t->s = sqlite3_str_new(NULL);
  kind = zc_sb_run(rt, compare_protected, t, &msg);
  if (kind != RUN_OK) {
    bad_case(t, kind, msg);
  } else if (sqlite3_str_errcode(t->s) != SQLITE_OK) {
    t->oom = 1;   /* (when s is NULL too) */
  } else if (sqlite3_str_length(t->s) > 0) {
    t->fail = sqlite3_str_finish(t->s);
    t->s = NULL;
    if (!t->fail) t->oom = 1;
  }
done:
  if (t->s) sqlite3_free(sqlite3_str_finish(t->s));
  t->s = NULL;
  sqlite3_free(t->err);
  t->err = NULL;
}

/* One policy_test() call, or the gate of one install: its counts, the
** failures listed (the first TEST_MAX_LISTED bytes of them), and why it
** stopped early (a RUN_* kind). */
#define TEST_MAX_LISTED (1 << 20)
typedef struct TestRun {
  Rt *rt;
  sqlite3_str *fails;
  int nver, ncase, nfail, stop, cut;
  int oom;           /* a case's outcome or a failure's text was lost to out of memory */
  int gate;          /* the version is not stored yet: no "version N" in lines */
  unsigned tick;
} TestRun;

static void list_failure(TestRun *tr, const PVersion *v, lua_Integer k, const char *name, const char *why) {
  tr->nfail++;
  if (sqlite3_str_length(tr->fails) > TEST_MAX_LISTED) {
    tr->cut = 1;
    return;
  }
  char *nm = zc_sb_clean(name ? name : "?", name ? strlen(name) : 1, 100);
  if (!nm) tr->oom = 1;
  if (tr->gate) {
    /* the version has no id yet: the runtime calls it "the new version" */
    sqlite3_str_appendf(tr->fails, zc_tr(tr->rt->zc, "\n  case %lld '%s': %s", "\n  用例 %lld '%s'：%s"), (long long)k,
                        nm ? nm : "?", why);
  } else {
    sqlite3_str_appendf(tr->fails, zc_tr(tr->rt->zc, "\n  %s@%s (version %lld) case %lld '%s': %s", "\n  %s@%s（版本 %lld）用例 %lld '%s'：%s"), VNAME(v), v->pub.id,
                        (long long)k, nm ? nm : "?", why);
  }
  sqlite3_free(nm);
}

/* The cases of version v, until the whole call's budget is spent or an
** interrupt comes.  *pn: how many cases it has (-1 if they cannot be
** counted). */
static void run_cases(TestRun *tr, PVersion *v, lua_Integer *pn) {
  Rt *rt = tr->rt;
  char *msg = NULL;
  TestCtx t;
  memset(&t, 0, sizeof t);
  t.rt = rt;
  t.v = v;
  *pn = -1;
  int kind = zc_sb_run(rt, count_protected, &t, &msg);
  if (kind != RUN_OK) {
    if (kind == RUN_INTR) tr->stop = RUN_INTR;
    list_failure(tr, t.v, 0, "tests", msg ? msg : zc_sb_fatal_text(tr->rt->zc, kind));
    sqlite3_free(msg);
    return;
  }
  *pn = t.n;
  for (lua_Integer k = 1; k <= t.n && !tr->stop && !tr->oom; k++) {
    TestCtx c = t;
    c.i = k;
    run_case(&c);
    tr->ncase++;
    if (c.oom) tr->oom = 1;
    if (c.fail) list_failure(tr, t.v, k, c.name, c.fail);
    sqlite3_free(c.fail);
    if (c.stop) tr->stop = c.stop;
    else if (rt->steps_total > ZC_POLICY_TEST_BUDGET) tr->stop = RUN_BUDGET;
    else if (zc_interrupted_every(rt->zc, &tr->tick, 4)) tr->stop = RUN_INTR;
  }
}

/* Version row's cases, and its line of the summary: "version 3: 4 ok",
** "version 3: 1 of 4 failed", "version 5: no cases (untested: why)". */
static void run_version(TestRun *tr, IndexRow row, sqlite3_str *sum) {
  Rt *rt = tr->rt;
  const ZcPolicyVersion *pv = NULL;
  char *verr = NULL;
  tr->nver++;
  sqlite3_str_appendf(sum, zc_tr(tr->rt->zc, "%sversion %lld: ", "%s版本 %lld："), tr->nver > 1 ? "; " : "", row.id);
  int rc = zc_ps_version(rt, &row, &pv, &verr);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_INTERRUPT) tr->stop = RUN_INTR;
    sqlite3_str_appendf(tr->fails, zc_tr(tr->rt->zc, "\n  version %lld: %s", "\n  版本 %lld：%s"), row.id, verr ? verr : "out of memory");
    sqlite3_str_appendall(sum, zc_tr(tr->rt->zc, "does not load", "无法加载"));
    sqlite3_free(verr);
    tr->nfail++;
    return;
  }
  int c0 = tr->ncase, f0 = tr->nfail;
  lua_Integer n = 0;
  run_cases(tr, (PVersion *)pv, &n);
  int nc = tr->ncase - c0, nf = tr->nfail - f0;
  if (n == 0) {
    char *why = zc_ps_untested(rt->zc->db, row.id);
    char *c = why ? zc_sb_clean(why, strlen(why), 100) : NULL;
    if (c) sqlite3_str_appendf(sum, zc_tr(tr->rt->zc, "no cases, untested: %s", "没有用例，未经核算：%s"), c);
    else sqlite3_str_appendall(sum, zc_tr(tr->rt->zc, "no cases", "没有用例"));
    sqlite3_free(c);
    sqlite3_free(why);
  } else if (nf) {
    sqlite3_str_appendf(sum, zc_tr(tr->rt->zc, "%d of %d failed", "%d 个未通过（共 %d 个）"), nf, nc);
  } else {
    sqlite3_str_appendf(sum, zc_tr(tr->rt->zc, "%d ok", "%d 个通过"), nc);
  }
}

int zc_pt_gate(Rt *rt, PVersion *v, int *ncase, int *nfail, char **plist) {
  TestRun tr;
  memset(&tr, 0, sizeof tr);
  tr.rt = rt;
  tr.gate = 1;
  tr.fails = sqlite3_str_new(NULL);
  rt->steps_total = 0;
  lua_Integer n = 0;
  run_cases(&tr, v, &n);
  *ncase = tr.ncase;
  *nfail = tr.nfail;
  int rc = SQLITE_OK;
  if (tr.oom) {
    rc = SQLITE_NOMEM;
  } else if (tr.stop == RUN_INTR) {
    rc = SQLITE_INTERRUPT;
  } else if (tr.stop) {
    sqlite3_str_appendf(tr.fails, zc_tr(tr.rt->zc, "\n  the cases used more than the %ld instructions the tests of one version may "
                        "(stopped after %d cases)", "\n  用例用掉的指令超过了一个版本的测试上限 %ld 条（运行 %d 个用例后停止）"), ZC_POLICY_TEST_BUDGET, tr.ncase);
    rc = SQLITE_ERROR;
  }
  if (tr.cut) sqlite3_str_appendall(tr.fails, "\n  ...");
  if (rc == SQLITE_NOMEM || sqlite3_str_errcode(tr.fails) != SQLITE_OK) {
    sqlite3_free(sqlite3_str_finish(tr.fails));
    *plist = NULL;
    return SQLITE_NOMEM;
  }
  int empty = sqlite3_str_length(tr.fails) == 0;
  *plist = sqlite3_str_finish(tr.fails);
  if (empty) {
    sqlite3_free(*plist);
    *plist = NULL;
  }
  return rc;
}

static void policy_test_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  char *err = NULL;
  sqlite3_str *sum = NULL;
  const char *name = (const char *)sqlite3_value_text(argv[0]);
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !name || !*name) {
    char *r = zc_value_repr(argv[0]);
    zc_errorf(ctx, zc_tr(zc, "policy_test: name %s is not a policy name", "policy_test：%s 不是政策名称"), r ? r : "?");
    sqlite3_free(r);
    return;
  }
  TestRun tr;
  memset(&tr, 0, sizeof tr);
  tr.rt = zc_rt_get(zc, &err);
  if (!tr.rt || zc_ps_sync(tr.rt, 0, &err) != SQLITE_OK) goto error;
  tr.fails = sqlite3_str_new(NULL);
  sum = sqlite3_str_new(NULL);
  tr.rt->steps_total = 0;
  int nretired = 0;
  /* the versions that can still pay: retired ones are never chosen */
  for (int i = 0; i < tr.rt->nrows && !tr.stop; i++) {
    if (strcmp(tr.rt->rows[i].name, name) != 0) continue;
    if (tr.rt->rows[i].retired) nretired++;
    else run_version(&tr, tr.rt->rows[i], sum);   /* a copy: a call may rebuild the index */
  }
  if (nretired) sqlite3_str_appendf(sum, zc_tr(zc, "%s%d retired not run", "%s%d 个已停用，未运行"), tr.nver ? "; " : "", nretired);
  char *nm = zc_utf8_repr(name, strlen(name)), *list = NULL, *summary = NULL;
  if (tr.oom || !nm || sqlite3_str_errcode(sum) != SQLITE_OK || sqlite3_str_errcode(tr.fails) != SQLITE_OK) {
    sqlite3_free(nm);
    goto error;   /* err is NULL: out of memory */
  }
  summary = sqlite3_str_finish(sum);
  sum = NULL;
  if (tr.stop == RUN_INTR) {
    err = sqlite3_mprintf(zc_tr(zc, "interrupted after %d cases of %s", "运行了 %d 个用例后中断（%s）"), tr.ncase, nm ? nm : "?");
  } else if (tr.stop) {
    err = sqlite3_mprintf(zc_tr(zc, "the cases of %s used more than the %ld instructions one policy_test() call may "
                          "(stopped after %d cases)", "%s 的用例用掉的指令超过了一次 policy_test() 调用的上限 %ld 条（运行 %d 个用例后停止）"), nm ? nm : "?", ZC_POLICY_TEST_BUDGET, tr.ncase);
  } else if (tr.nver == 0 && nretired) {
    err = sqlite3_mprintf(zc_tr(zc, "every version of policy %s is retired (%d): none can pay, none was run", "政策 %s 的所有版本都已停用（%d 个）：没有版本能支付，都没有运行"), nm ? nm : "?",
                          nretired);
  } else if (tr.nver == 0) {
    err = sqlite3_mprintf(zc_tr(zc, "no installed version of policy %s", "政策 %s 没有已安装的版本"), nm ? nm : "?");
  } else if (tr.nfail) {
    list = sqlite3_str_finish(tr.fails);
    tr.fails = NULL;
    err = sqlite3_mprintf(zc_tr(zc, "%d of %d cases of %s failed (%s):%s%s", "%d 个用例未通过（共 %d 个，%s；%s）：%s%s"), tr.nfail, tr.ncase, nm ? nm : "?",
                          summary ? summary : "", list ? list : "", tr.cut ? "\n  ..." : "");
  } else {
    char *ok = sqlite3_mprintf(zc_tr(zc, "ok: %d cases (%s)", "通过：%d 个用例（%s）"), tr.ncase, summary ? summary : "");
    if (ok) sqlite3_result_text(ctx, ok, -1, sqlite3_free);
    else sqlite3_result_error_nomem(ctx);
    sqlite3_free(nm);
    sqlite3_free(summary);
    goto done;
  }
  sqlite3_free(nm);
  sqlite3_free(list);
  sqlite3_free(summary);
error:
  if (err) zc_errorf(ctx, zc_tr(zc, "policy_test: %s", "policy_test：%s"), err);
  else sqlite3_result_error_nomem(ctx);
  if (tr.stop == RUN_INTR) sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
done:
  if (tr.fails) sqlite3_free(sqlite3_str_finish(tr.fails));
  if (sum) sqlite3_free(sqlite3_str_finish(sum));
  sqlite3_free(err);
}

/* ----------------------------------------------------------- registration */

int zc_policy_test_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  static const ZcFunc aFunc[] = {
      {"policy_test", 1, SQLITE_UTF8, policy_test_func},
  };
  return zc_register_funcs(db, aFunc, sizeof aFunc / sizeof aFunc[0], zc);
}
