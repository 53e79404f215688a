/*
** policy_test.c — a policy's own test cases, run against every installed
** version of it:
**
**   SELECT policy_test('zhongyang');              -- 'ok: 9 cases'
**
** A case of a version's tests table:
**   { name = "80+ lunch", call = "meal" | "eligible" | "subsidy" | "site",
**     elder = {...}, meal = {...}, site = {...}, stats = {...},
**     day = "YYYY-MM-DD", service = "meal", month = "YYYY-MM",
**     expect = true | { county = 500 } | { {item=, payer=, fen=, quantity=}, ... },
**     reason = "text" (optional), error = "text the error contains" (optional) }
** Facts are plain tables with the fields the rules see; they go through
** the same C structs, proxies, checks and memo as real facts.
*/
#include "modules.h"
#include "policy_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
  zc_sb_contents(L, tab);
  int c = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, c)) {
    lua_pop(L, 1);
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int f = ZF_BEGIN(kind); f < ZF_END(kind); f++)
        known |= strcmp(lua_tostring(L, -1), zc_field_name[f]) == 0;
    if (!known) {
      lua_pushvalue(L, -1);
      luaL_error(L, "%s has no field %s", zc_field_kind_name[kind], luaL_tolstring(L, -1, NULL));
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

/* A set of words, {w = true} or {w, ...}, at the top of the stack: calls
** add(word) for each. */
static void case_words(lua_State *L, void (*add)(lua_State *, TestCtx *, const char *), TestCtx *t) {
  zc_sb_contents(L, -1);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
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
  if (i < 0) luaL_error(L, "site.slots: expected breakfast, lunch or dinner");
  t->site.slots |= 1u << i;
}

static void add_status(lua_State *L, TestCtx *t, const char *w) {
  if (!w) return;
  int bit = zc_status_bit(t->rt->zc, w, 1);
  if (bit == ZC_STATUS_NOMEM) luaL_error(L, "out of memory");
  if (bit < 0) luaL_error(L, "elder.status: too many status words");
  t->elder.status |= 1ull << bit;
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
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "site.area_m2 must be a number");
    S->area_m2 = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  S->opened_on = case_day(L, t, s, "site", "opened_on");
  S->closed_on = case_day(L, t, s, "site", "closed_on");
  S->slots = ZC_SLOT_LUNCH;
  if (lua_getfield(L, s, "slots") != LUA_TNIL) {
    if (!lua_istable(L, -1)) luaL_error(L, "site.slots must be a list of slot words");
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
    int secs = tm ? zc_clock_parse(tm, strlen(tm)) : t->v->pub.windows[si].from;
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
  M->site_id = case_int(L, m, "meal", "site_id", t->site.id);
  M->nth_slot = (int)case_int(L, m, "meal", "nth_slot", 1);
  M->nth_day = (int)case_int(L, m, "meal", "nth_day", 1);
  M->nth_month = (int)case_int(L, m, "meal", "nth_month", 1);
}

static void parse_elder(lua_State *L, TestCtx *t, int e) {
  ZcElderFacts *E = &t->elder;
  E->id = case_int(L, e, "elder", "id", 1);
  const char *sex = case_str(L, t, e, "elder", "sex");
  if (sex && strcmp(sex, "M") != 0 && strcmp(sex, "F") != 0) luaL_error(L, "elder.sex must be 'M' or 'F'");
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
    if (!lua_isboolean(L, -1)) luaL_error(L, "elder.agreement must be true or false");
    E->agreement = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  E->bed = case_int(L, e, "elder", "bed", 0);
  if (lua_getfield(L, e, "status") != LUA_TNIL) {
    if (!lua_istable(L, -1)) luaL_error(L, "elder.status must be a set {dibao = true} or a list");
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
      const char *want = luaL_tolstring(L, -2, NULL); /* the case's value */
      const char *got = luaL_tolstring(L, -2, NULL);  /* what the rules see (below it now) */
      luaL_error(L, "%s.%s is %s in the case but the rules would see %s", zc_field_kind_name[kind],
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
  if (!t->name) luaL_error(L, "the case has no name");
  const char *call = case_str(L, t, cs, "case", "call");
  static const char *const calls[] = {"eligible", "meal", "site", "subsidy", NULL};
  t->call = -1;
  for (int i = 0; call && calls[i]; i++)
    if (strcmp(call, calls[i]) == 0) t->call = i;
  if (t->call < 0) luaL_error(L, "call must be 'eligible', 'meal', 'subsidy' or 'site'");
  t->service = case_str(L, t, cs, "case", "service");
  if (!t->service) t->service = "meal";
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
      qsort(ep, (size_t)ne, sizeof ep[0], zc_payer_cmp);
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
  if (zc_sb_run(rt, parse_protected, t, &msg) != RUN_OK) {
    t->fail = sqlite3_mprintf("bad case: %s", msg ? msg : "out of memory");
    sqlite3_free(msg);
    return;
  }
  ZcMealResult r;
  int rc = SQLITE_OK;
  switch (t->call) {
    case CALL_ELIGIBLE:
      rc = zc_pc_eligible(rt, t->v, &t->elder, t->day, t->service, &t->ok, &t->reason, &t->err);
      break;
    case CALL_MEAL:
      rc = zc_pc_meal(rt, t->v, &t->meal, &t->elder, &t->site, &t->reason, &t->parts, &t->nparts,
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
  if (zc_sb_run(rt, compare_protected, t, &msg) != RUN_OK) {
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
  Rt *rt = zc_rt_get(zc, &err);
  if (!rt || zc_ps_sync(rt, 0, &err) != SQLITE_OK) goto error;
  fails = sqlite3_str_new(NULL);
  int nver = 0, ncase = 0, nfail = 0;
  for (int i = 0; i < rt->nrows; i++) {
    if (strcmp(rt->rows[i].name, name) != 0) continue;
    nver++;
    const ZcPolicyVersion *pv = NULL;
    char *verr = NULL;
    IndexRow row = rt->rows[i];   /* the index may be rebuilt by a call */
    if (zc_ps_version(rt, &row, &pv, &verr) != SQLITE_OK) {
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
    if (zc_sb_run(rt, count_protected, &t, &msg) != RUN_OK) {
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

int zc_policy_test_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  static const ZcFunc aFunc[] = {
      {"policy_test", 1, SQLITE_UTF8, policy_test_func},
  };
  return zc_register_funcs(db, aFunc, sizeof aFunc / sizeof aFunc[0], zc);
}
