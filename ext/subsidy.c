/*
** subsidy.c — money for one elder or one meal, through the one path every
** zhucan function shares (facts.c builds the facts, policy.c runs the rules):
**
**   SELECT eligible(42, '2024-03-05');            -- 1/0 under the elder's policy
**   SELECT eligible(42, '2024-03-05', 'laundry');  -- another service word
**   SELECT subsidy_for(1017);                      -- fen for a recorded meal
**   SELECT subsidy_for(42, 7, '2024-03-05 11:40:00', 'lunch');  -- a quote at the till
**   SELECT subsidy_explain(1017);                  -- JSON: version, reason, parts, facts
**
** Which policy: the site's governing policy for a meal (the elder's for
** eligible()), the version in force on the meal's day.  The rules run
** eligible(elder, day, 'meal') first; meal(meal, elder, site) only when the
** elder is eligible.  A quote's ordinals count the elder's recorded meals at
** or before served_at, plus the quoted one; its price_fen is unknown (nil).
*/
#include "modules.h"
#include "meals.h"
#include "month.h"
#include <math.h>
#include <string.h>

/* Reads an integer id argument: -1 = error already reported (a NULL too:
** money is never answered NULL for a missing argument), 1 = ok. */
static int arg_id(sqlite3_context *ctx, const char *fn, const char *what, sqlite3_value *v,
                  sqlite3_int64 *out) {
  int t = sqlite3_value_type(v);
  if (t == SQLITE_NULL) {
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: %s is NULL; expected an integer id", "%s：%s 为 NULL；应为整数编号"), fn, what);
    return -1;
  }
  if (t == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return 1;
  }
  if (t == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d == floor(d) && fabs(d) < 9e15) {
      *out = (sqlite3_int64)d;
      return 1;
    }
  }
  if (t == SQLITE_TEXT) {
    /* accept canonical integer text such as '42' (CSV imports) */
    sqlite3_value *n = sqlite3_value_dup(v);
    if (n) {
      int nt = sqlite3_value_numeric_type(n);
      if (nt == SQLITE_INTEGER) {
        *out = sqlite3_value_int64(n);
        sqlite3_value_free(n);
        return 1;
      }
      sqlite3_value_free(n);
    }
  }
  char *r = zc_value_repr(v);
  zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: %s %s is not an integer id", "%s：%s %s 不是整数编号"), fn, what, r ? r : "?");
  sqlite3_free(r);
  return -1;
}

static int arg_day(sqlite3_context *ctx, const char *fn, sqlite3_value *v, int *out) {
  if (sqlite3_value_type(v) == SQLITE_NULL) {
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: day is NULL; expected a date 'YYYY-MM-DD'", "%s：日期参数为 NULL；应为日期 'YYYY-MM-DD'"),
              fn);
    return -1;
  }
  int d = ZC_NONE;
  if (sqlite3_value_type(v) == SQLITE_TEXT)
    d = zc_day_parse((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v));
  if (d == ZC_NONE) {
    char *r = zc_value_repr(v);
    zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "%s: day %s is not a date 'YYYY-MM-DD'", "%s：%s 不是日期 'YYYY-MM-DD'"), fn, r ? r : "?");
    sqlite3_free(r);
    return -1;
  }
  *out = d;
  return 1;
}

static void fail(sqlite3_context *ctx, const char *fn, int rc, char *err) {
  if (zc_lost_to_nomem(sqlite3_context_db_handle(ctx), rc, err)) {
    sqlite3_result_error_nomem(ctx);
  } else if (err && strncmp(err, fn, strlen(fn)) == 0 && err[strlen(fn)] == ':') {
    sqlite3_result_error(ctx, err, -1);
  } else {
    zc_errorf(ctx, ZC_COLON(ZC_CTX(ctx)), fn, err ? err : sqlite3_errstr(rc));
  }
  sqlite3_free(err);
}

/* ----------------------------------------------------------- eligible */

static void eligible_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3_int64 id;
  int day, rc, ok = 0;
  char *err = NULL;
  const char *service = "meal", *reason = NULL;
  int a = arg_id(ctx, "eligible", "elder_id", argv[0], &id);
  if (a <= 0) return;
  int b = arg_day(ctx, "eligible", argv[1], &day);
  if (b <= 0) return;
  if (argc == 3) {
    if (sqlite3_value_type(argv[2]) != SQLITE_TEXT || sqlite3_value_bytes(argv[2]) == 0) {
      char *r = zc_value_repr(argv[2]);
      zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "eligible: service %s is not a service word such as 'meal'", "eligible：%s 不是服务词，例如 'meal'"), r ? r : "?");
      sqlite3_free(r);
      return;
    }
    service = (const char *)sqlite3_value_text(argv[2]);
  }
  if ((rc = zc_facts_sync(zc))) goto error;
  const ZcElderRec *rec;
  if ((rc = zc_elder_rec(zc, id, &rec, &err))) goto error;
  const ZcPolicyVersion *v = NULL;
  if ((rc = zc_policy_for_region(zc, NULL, rec->region_code, day, &v, &err))) goto error;
  if (v == NULL) {
    char d[11];
    zc_day_format(day, d);
    const ZcRegion *g = zc_region_governing(zc, rec->region_code);
    if (g)
      err = sqlite3_mprintf(zc_tr(zc, "eligible: no version of policy '%s' is in force on %s", "eligible：政策 '%s' 在 %s 没有生效的版本"), g->policy, d);
    else
      err = sqlite3_mprintf(zc_tr(zc, "eligible: no policy governs elder %lld (region %s)", "eligible：老人 %lld（区划 %s）没有适用的政策"), id,
                            rec->region_code ? rec->region_code : "NULL");
    rc = SQLITE_ERROR;
    goto error;
  }
  ZcElderFacts ef;
  zc_elder_facts(zc, rec, day, 0, &ef);
  if ((rc = zc_policy_eligible(zc, v, &ef, day, service, &ok, &reason, &err))) goto error;
  sqlite3_result_int(ctx, ok ? 1 : 0);
  return;
error:
  fail(ctx, "eligible", rc, err);
}

/* --------------------------------------------------------- subsidy_for */

/* The prices of a month pass on their way into the money cache.  The pass
** goes elder by elder, so meal ids come in no order and each store would
** land at a random place of an array of 4 bytes per meal id (216 MB at a
** province month): they are gathered MONEY_BATCH at a time, sorted by id
** (radix sort on the id, two passes of 16 bits) and stored in id order. */
#define MONEY_BATCH (1 << 20)
typedef struct MoneyBatch {
  ZcConn *zc;
  uint64_t *a, *tmp;         /* id << 32 | (uint32_t)fen; NULL: store directly */
  int *cnt;                  /* 65537 counters of the radix sort */
  int n;
} MoneyBatch;

static void money_flush(MoneyBatch *b) {
  uint64_t *a = b->a, *t = b->tmp;
  int n = b->n;
  for (int shift = 32; shift < 64; shift += 16) {
    int *cnt = b->cnt;
    memset(cnt, 0, 65537 * sizeof *cnt);
    for (int i = 0; i < n; i++) cnt[((a[i] >> shift) & 0xffff) + 1]++;
    for (int k = 0; k < 65536; k++) cnt[k + 1] += cnt[k];
    for (int i = 0; i < n; i++) t[cnt[(a[i] >> shift) & 0xffff]++] = a[i];
    uint64_t *x = a; a = t; t = x;
  }
  for (int i = 0; i < n; i++) zc_money_store(b->zc, (sqlite3_int64)(a[i] >> 32), (int32_t)(uint32_t)a[i]);
  b->n = 0;
}

static int money_meal(void *p, const ZcMealFacts *m, const ZcElderRec *elder, const ZcSiteFacts *site,
                      const ZcPolicyVersion *v, const ZcMealResult *r, char **pzErr) {
  (void)elder, (void)site, (void)v, (void)pzErr;
  MoneyBatch *b = p;
  /* ids the dense cache cannot hold, and amounts it does not keep, go
  ** straight to the store (which leaves them out) */
  if (!b->a || m->id < 0 || m->id > UINT32_MAX || r->total < INT32_MIN || r->total > INT32_MAX) {
    zc_money_store(b->zc, m->id, r->total);
    return SQLITE_OK;
  }
  b->a[b->n++] = (uint64_t)m->id << 32 | (uint32_t)(int32_t)r->total;
  if (b->n == MONEY_BATCH) money_flush(b);
  return SQLITE_OK;
}

/* Every meal of day's month, priced by the pass settlement() uses
** (zc_month_compute) into the money cache.  A meal it cannot price is left
** out: subsidy_for prices it alone and reports its error.  A failure of
** the pass itself only leaves the rest to be priced one by one. */
static void month_money(ZcConn *zc, int day) {
  int first, next;
  char *err = NULL;
  ZcMonthSink sink;
  MoneyBatch b;
  memset(&b, 0, sizeof b);
  b.zc = zc;
  b.a = sqlite3_malloc64((sqlite3_uint64)MONEY_BATCH * sizeof *b.a);
  b.tmp = b.a ? sqlite3_malloc64((sqlite3_uint64)MONEY_BATCH * sizeof *b.tmp) : NULL;
  b.cnt = b.tmp ? sqlite3_malloc64(65537 * sizeof *b.cnt) : NULL;
  if (!b.cnt) {   /* no room for the batch: one store at a time */
    sqlite3_free(b.a);
    sqlite3_free(b.tmp);
    b.a = b.tmp = NULL;
  }
  memset(&sink, 0, sizeof sink);
  sink.p = &b;
  sink.xMeal = money_meal;
  sink.soft = 1;
  zc_month_of(day, &first, &next);
  zc_meals_release(zc);   /* the meals read one by one so far: answered from the prices now */
  zc_month_compute(zc, "subsidy_for", NULL, first, next, &sink, &err);
  if (b.a) money_flush(&b);
  sqlite3_free(b.a);
  sqlite3_free(b.tmp);
  sqlite3_free(b.cnt);
  sqlite3_free(err);
}

static void subsidy_for_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  ZcMealFacts m;
  const ZcElderRec *elder;
  const ZcSiteFacts *site;
  const ZcPolicyVersion *v;
  ZcMealResult res;
  char *err = NULL;
  int rc;
  if ((rc = zc_facts_sync(zc))) goto error;
  if (argc == 1) {
    sqlite3_int64 id;
    int a = arg_id(ctx, "subsidy_for", "meal_id", argv[0], &id);
    if (a <= 0) return;
    sqlite3_int64 fen;
    if (zc_money_cached(zc, id, &fen)) {
      sqlite3_result_int64(ctx, fen);
      return;
    }
    if ((rc = zc_meal_facts(zc, id, &m, &elder, &site, &err))) goto error;
    if ((rc = zc_money(zc, "subsidy_for", &m, elder, site, &v, &res, &err))) goto error;
    /* many meals of one month asked one by one (a scan of meal): price the
    ** whole month in one pass, elder by elder, and answer from that */
    if (zc_money_miss(zc, m.day)) month_money(zc, m.day);
    sqlite3_result_int64(ctx, res.total);
    return;
  } else {
    sqlite3_int64 eid, sid, t;
    int a = arg_id(ctx, "subsidy_for", "elder_id", argv[0], &eid);
    if (a <= 0) return;
    a = arg_id(ctx, "subsidy_for", "site_id", argv[1], &sid);
    if (a <= 0) return;
    if (sqlite3_value_type(argv[2]) == SQLITE_NULL || sqlite3_value_type(argv[3]) == SQLITE_NULL) {
      int nt = sqlite3_value_type(argv[2]) == SQLITE_NULL;
      zc_errorf(ctx, zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "subsidy_for: %s is NULL; expected %s", "subsidy_for：%s 为 NULL；应为%s"),
                nt ? "served_at" : "slot",
                nt ? zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "a time 'YYYY-MM-DD HH:MM:SS'", "时间 'YYYY-MM-DD HH:MM:SS'")
                   : zc_tr(((const ZcConn *)sqlite3_user_data(ctx)), "a slot word such as 'lunch'", "餐次，例如 'lunch'"));
      return;
    }
    if (!zc_time_parse((const char *)sqlite3_value_text(argv[2]), sqlite3_value_bytes(argv[2]), &t)) {
      char *r = zc_value_repr(argv[2]);
      zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "subsidy_for: served_at %s is not a time 'YYYY-MM-DD HH:MM:SS'", "subsidy_for：就餐时间 served_at 为 %s，不是时间 'YYYY-MM-DD HH:MM:SS'"), r ? r : "?");
      sqlite3_free(r);
      return;
    }
    const char *slot = (const char *)sqlite3_value_text(argv[3]);
    if (zc_slot_index(slot) < 0) {
      char *r = zc_value_repr(argv[3]);
      zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "subsidy_for: slot %s is not one of 'breakfast', 'lunch', 'dinner'", "subsidy_for：餐次 slot 为 %s，不是 'breakfast'、'lunch'、'dinner' 之一"), r ? r : "?");
      sqlite3_free(r);
      return;
    }
    if ((rc = zc_quote_facts(zc, eid, sid, t, slot, &m, &elder, &site, &err))) goto error;
  }
  if ((rc = zc_money(zc, "subsidy_for", &m, elder, site, &v, &res, &err))) goto error;
  sqlite3_result_int64(ctx, res.total);
  return;
error:
  fail(ctx, "subsidy_for", rc, err);
}

/* ----------------------------------------------------- subsidy_explain */

static void json_day(sqlite3_str *s, int day) {
  if (day == ZC_NONE) {
    sqlite3_str_appendall(s, "null");
    return;
  }
  char b[11];
  zc_day_format(day, b);
  zc_json_str(s, b);
}

static void json_status(ZcConn *zc, sqlite3_str *s, uint64_t status) {
  sqlite3_str_appendchar(s, 1, '{');
  int first = 1;
  for (int b = 0; b < ZC_MAX_STATUS; b++) {
    if (!(status & ((uint64_t)1 << b))) continue;
    if (!first) sqlite3_str_appendchar(s, 1, ',');
    first = 0;
    zc_json_str(s, zc_status_name(zc, b));
    sqlite3_str_appendall(s, ":true");
  }
  sqlite3_str_appendchar(s, 1, '}');
}

static void json_slots(sqlite3_str *s, unsigned slots) {
  sqlite3_str_appendchar(s, 1, '{');
  int first = 1;
  for (int i = 0; i < ZC_NSLOT; i++) {
    if (!(slots & (1u << i))) continue;
    sqlite3_str_appendf(s, "%s\"%s\":true", first ? "" : ",", zc_slot_name(i));
    first = 0;
  }
  sqlite3_str_appendchar(s, 1, '}');
}

static void json_text(sqlite3_str *s, const char *fmt, sqlite3_int64 t) {
  char b[20];
  if (fmt[0] == 'T') zc_time_format(t, b);
  else zc_clock_format((int)t, b);
  zc_json_str(s, b);
}

/* How each TYPE of fields.h is written to out (x: the field's C value). */
#define ZF_JSON_I64(x) sqlite3_str_appendf(out, "%lld", (sqlite3_int64)(x))
#define ZF_JSON_INTN(x) ((x) == ZC_NONE ? sqlite3_str_appendall(out, "null") : sqlite3_str_appendf(out, "%d", (x)))
#define ZF_JSON_ID0(x) ((x) ? sqlite3_str_appendf(out, "%lld", (sqlite3_int64)(x)) : sqlite3_str_appendall(out, "null"))
#define ZF_JSON_PRICE(x) \
  ((x) == ZC_NO_PRICE ? sqlite3_str_appendall(out, "null") : sqlite3_str_appendf(out, "%lld", (sqlite3_int64)(x)))
#define ZF_JSON_SEX(x) zc_json_str(out, (x) == 'M' ? "M" : (x) == 'F' ? "F" : NULL)
#define ZF_JSON_DAY(x) json_day(out, (x))
#define ZF_JSON_TIME(x) json_text(out, "T", (x))
#define ZF_JSON_CLOCK(x) json_text(out, "C", (x))
#define ZF_JSON_STR(x) zc_json_str(out, (x))
#define ZF_JSON_BOOL(x) sqlite3_str_appendall(out, (x) ? "true" : "false")
#define ZF_JSON_REAL(x) (isnan(x) ? sqlite3_str_appendall(out, "null") : sqlite3_str_appendf(out, "%!.15g", (x)))
#define ZF_JSON_STATUS(x) json_status(zc, out, (x))
#define ZF_JSON_SLOTS(x) json_slots(out, (x))

/* "field":value, in fields.h order, "," before all but the first. */
#define ZF_JSON_FIELD_(K, N, name, T, expr)                                                     \
  sqlite3_str_appendf(out, "%s\"%s\":", ZF_##K##_##N == ZF_BEGIN(ZF_K_##K) ? "" : ",", name); \
  ZF_JSON_##T(expr);

static void json_elder(ZcConn *zc, sqlite3_str *out, const ZcElderFacts *e) {
  sqlite3_str_appendchar(out, 1, '{');
  ZC_ELDER_FIELDS(ZF_JSON_FIELD_)
  sqlite3_str_appendchar(out, 1, '}');
}

static void json_meal(sqlite3_str *out, const ZcMealFacts *m) {
  sqlite3_str_appendchar(out, 1, '{');
  ZC_MEAL_FIELDS(ZF_JSON_FIELD_)
  sqlite3_str_appendchar(out, 1, '}');
}

static void json_site(sqlite3_str *out, const ZcSiteFacts *s) {
  sqlite3_str_appendchar(out, 1, '{');
  ZC_SITE_FIELDS(ZF_JSON_FIELD_)
  sqlite3_str_appendchar(out, 1, '}');
}

/* The part of the meal's co-payment paid with credit points, as
** settlement() splits it (zc_meal_credit: the meal's redemptions, at most
** the co-payment, none for a meal not subsidised), and the redemptions:
** ,"credit":500,"credit_redemptions":[3] — only for a meal with
** redemptions, so other meals explain as before. */
static int json_credit(ZcConn *zc, sqlite3_str *s, const ZcMealFacts *m, const ZcMealResult *res) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(zc->db, "SELECT id, fen FROM credit_redemption WHERE what = 'meal' AND meal_id = ?1 "
                         "ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    return sqlite3_errcode(zc->db) == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_OK;   /* no time bank tables */
  }
  sqlite3_bind_int64(st, 1, m->id);
  sqlite3_str *ids = sqlite3_str_new(NULL);
  sqlite3_int64 fen = 0;
  int rc, n = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_str_appendf(ids, "%s%lld", n++ ? "," : "", sqlite3_column_int64(st, 0));
    fen += sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE && n > 0) {
    ZcMealResult r = *res;
    r.credit = fen;
    sqlite3_str_appendf(s, ",\"credit\":%lld,\"credit_redemptions\":[%s]", zc_meal_credit(m, &r),
                        sqlite3_str_value(ids) ? sqlite3_str_value(ids) : "");
  }
  if (sqlite3_str_errcode(ids)) rc = SQLITE_NOMEM;
  sqlite3_free(sqlite3_str_finish(ids));
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static void explain_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  ZcMealFacts m;
  const ZcElderRec *elder;
  const ZcSiteFacts *site;
  const ZcPolicyVersion *v;
  ZcMealResult res;
  char *err = NULL, *params = NULL;
  sqlite3_int64 id;
  int rc;
  int a = arg_id(ctx, "subsidy_explain", "meal_id", argv[0], &id);
  if (a <= 0) return;
  if ((rc = zc_facts_sync(zc))) goto error;
  if ((rc = zc_meal_facts(zc, id, &m, &elder, &site, &err))) goto error;
  if ((rc = zc_money(zc, "subsidy_explain", &m, elder, site, &v, &res, &err))) goto error;
  params = zc_policy_params_json(zc, v);
  sqlite3_str *s = sqlite3_str_new(NULL);
  sqlite3_str_appendf(s, "{\"meal_id\":%lld,\"policy\":", id);
  zc_json_str(s, v->name);
  sqlite3_str_appendf(s, ",\"version\":%lld,\"effective_from\":\"%s\",\"sha256\":\"%s\",\"params\":%s", v->id,
                      v->effective_text, v->sha256, params ? params : "{}");
  sqlite3_str_appendf(s, ",\"eligible\":%s,\"eligible_reason\":", res.eligible ? "true" : "false");
  zc_json_str(s, res.eligible_reason);
  sqlite3_str_appendall(s, ",\"reason\":");
  zc_json_str(s, res.eligible ? res.reason : res.eligible_reason);
  sqlite3_str_appendall(s, ",\"parts\":{");
  for (int i = 0; i < res.nparts; i++) {
    if (i) sqlite3_str_appendchar(s, 1, ',');
    zc_json_str(s, res.parts[i].payer);
    sqlite3_str_appendf(s, ":%lld", res.parts[i].fen);
  }
  sqlite3_str_appendf(s, "},\"total\":%lld,\"price_fen\":%lld,\"copay\":%lld", res.total, m.price_fen,
                      m.price_fen - res.total);
  if ((rc = json_credit(zc, s, &m, &res))) {
    sqlite3_free(sqlite3_str_finish(s));
    sqlite3_free(params);
    goto error;
  }
  ZcElderFacts any, at_site;
  zc_elder_facts(zc, elder, m.day, 0, &any);
  at_site = any;
  at_site.agreement = zc_elder_agreement(elder, m.day, site->id);
  sqlite3_str_appendall(s, ",\"facts\":{\"elder\":");
  json_elder(zc, s, &at_site);
  sqlite3_str_appendf(s, ",\"eligible_agreement\":%s,\"meal\":", any.agreement ? "true" : "false");
  json_meal(s, &m);
  sqlite3_str_appendall(s, ",\"site\":");
  json_site(s, site);
  sqlite3_str_appendall(s, "}}");
  sqlite3_free(params);
  rc = sqlite3_str_errcode(s);
  char *z = sqlite3_str_finish(s);
  if (rc != SQLITE_OK || z == NULL) {
    sqlite3_free(z);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, z, -1, sqlite3_free);
  return;
error:
  fail(ctx, "subsidy_explain", rc, err);
}

/* These read the database, so they are neither deterministic nor innocuous;
** they write nothing and read no files. */
static const ZcFunc aFunc[] = {
    {"eligible", 2, SQLITE_UTF8, eligible_func},
    {"eligible", 3, SQLITE_UTF8, eligible_func},
    {"subsidy_for", 1, SQLITE_UTF8, subsidy_for_func},
    {"subsidy_for", 4, SQLITE_UTF8, subsidy_for_func},
    {"subsidy_explain", 1, SQLITE_UTF8, explain_func},
};

int zc_subsidy_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
