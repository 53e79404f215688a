/*
** credit_write.c — the time bank's write side: points spent and given,
** each checked against the account's rules and history before its row is
** written (docs/credit.md):
**
**   SELECT credit_redeem(7, '2025-06-03', 2500, 'meal', 1234);   -- new credit_redemption id
**   SELECT credit_redeem(7, '2025-06-03', 5000, 'goods', '大米 5 斤');
**   SELECT credit_give(7, 9, 'spouse', '2025-06-03', 10000);      -- new credit_transfer id
**   SELECT credit_give(7, NULL, 'donation', '2025-06-03', 10000, '公益池');
**
** A refusal is an SQL error saying why: the use not redeemable under the
** policy, the holder's or receiver's age, a relation the policy does not
** allow, the month's redemption cap, the balance (on the day, and every
** later movement of the account must still be covered), the receiver's
** account cap, a meal's co-payment left.  Both are direct-only: they
** write.
*/
#include "credit.h"
#include "meals.h"
#include "modules.h"
#include "money.h"
#include <limits.h>
#include <string.h>

#define CR_FAR 2932896 /* 9999-12-31 as a day number: every row */

typedef struct Check {
  ZcConn *zc;
  const char *fn;
  CrAcct a;
  const ZcPolicyVersion *v;      /* the rules on the day */
  int day;
  sqlite3_int64 mp;
} Check;

static void refuse(sqlite3_context *ctx, int rc, char *err) {
  if (rc == SQLITE_NOMEM || zc_lost_to_nomem(sqlite3_context_db_handle(ctx), rc, err)) sqlite3_result_error_nomem(ctx);
  else sqlite3_result_error(ctx, err ? err : sqlite3_errstr(rc), -1);
  if (rc != SQLITE_NOMEM && rc != SQLITE_ERROR) sqlite3_result_error_code(ctx, rc);
  sqlite3_free(err);
}

static int arg_int(Check *k, sqlite3_value *v, const char *what, sqlite3_int64 lo, sqlite3_int64 *out, char **pzErr) {
  if (sqlite3_value_type(v) == SQLITE_INTEGER && sqlite3_value_int64(v) >= lo) {
    *out = sqlite3_value_int64(v);
    return SQLITE_OK;
  }
  char *r = zc_value_repr(v);
  *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: %s %s is not an integer from %lld", "%s：%s 为 %s，应为不小于 %lld 的整数"),
                           k->fn, what, r ? r : "?", lo);
  sqlite3_free(r);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* The account id at v, its row, and the day at d. */
static int arg_account(Check *k, sqlite3_value *v, CrAcct *a, char **pzErr) {
  sqlite3_int64 id;
  int rc = arg_int(k, v, "volunteer_id", 0, &id, pzErr);
  if (!rc) rc = zc_credit_account(k->zc, k->fn, id, a, pzErr);
  if (!rc && a->id < 0) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: no account %lld in table volunteer", "%s：volunteer 表中没有账户 %lld"),
                             k->fn, id);
    rc = SQLITE_ERROR;
  }
  return rc;
}

static int arg_day(Check *k, sqlite3_value *v, char **pzErr) {
  k->day = sqlite3_value_type(v) == SQLITE_TEXT
               ? zc_day_parse((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v))
               : ZC_NONE;
  if (k->day != ZC_NONE) return SQLITE_OK;
  char *r = zc_value_repr(v);
  *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: day %s is not a day 'YYYY-MM-DD'", "%s：%s 不是日期 'YYYY-MM-DD'"), k->fn,
                           r ? r : "?");
  sqlite3_free(r);
  return SQLITE_ERROR;
}

/* The account's problems (overdrafts, receipts past its cap) over its
** whole history, with ev (kind, amount) added when kind >= 0; *bal its
** balance on k->day without it. */
static int history(Check *k, const CrAcct *a, int kind, sqlite3_int64 other, const char *word, int *problems,
                   sqlite3_int64 *bal, sqlite3_int64 *month_spent, char **pzErr) {
  CrReader *rd = NULL;
  CrEv *ev;
  int n;
  CrSum sum;
  int rc = zc_credit_reader_open(k->zc, k->fn, a->id, CR_FAR, &rd, pzErr);
  if (!rc) rc = zc_credit_reader_events(rd, a->id, &ev, &n, pzErr);
  if (!rc && month_spent) {
    int y, m, d, y2, m2, d2;
    zc_civil_from_days(k->day, &y, &m, &d);
    *month_spent = 0;
    for (int i = 0; i < n; i++) {
      zc_civil_from_days(ev[i].day, &y2, &m2, &d2);
      if (ev[i].kind == CR_REDEEM && y2 == y && m2 == m) *month_spent += ev[i].amount;
    }
  }
  if (!rc && bal) rc = zc_credit_replay(k->zc, k->fn, NULL, a, ev, n, k->day, &sum, NULL, pzErr);
  if (!rc && bal) *bal = sum.balance;
  if (!rc && kind < 0) rc = zc_credit_replay(k->zc, k->fn, NULL, a, ev, n, CR_FAR, &sum, NULL, pzErr);
  if (!rc && kind >= 0) {
    CrEv e = {k->day, kind, LLONG_MAX, k->mp, other, 1, word};
    /* the reader's array: room for one more is made by copying */
    CrEv *all = sqlite3_malloc64((sqlite3_uint64)(n + 1) * sizeof *all);
    if (!all) rc = SQLITE_NOMEM;
    else {
      if (n) memcpy(all, ev, (size_t)n * sizeof *all);
      all[n] = e;
      rc = zc_credit_replay(k->zc, k->fn, NULL, a, all, n + 1, CR_FAR, &sum, NULL, pzErr);
      sqlite3_free(all);
    }
  }
  if (!rc) *problems = sum.problems;
  zc_credit_reader_close(rd);
  return rc;
}

/* Spending k->mp on k->day (kind) must leave every movement covered. */
static int check_spend(Check *k, int kind, sqlite3_int64 other, const char *word, char **pzErr) {
  int p0, p1, rc;
  sqlite3_int64 bal;
  if ((rc = history(k, &k->a, -1, 0, NULL, &p0, &bal, NULL, pzErr))) return rc;
  if ((rc = history(k, &k->a, kind, other, word, &p1, NULL, NULL, pzErr))) return rc;
  if (p1 <= p0) return SQLITE_OK;
  char b[32], p[32], d[11];
  zc_credit_fmt(bal, b);
  zc_credit_fmt(k->mp, p);
  zc_day_format(k->day, d);
  *pzErr = bal >= k->mp
               ? sqlite3_mprintf(zc_tr(k->zc, "%s: refused: account %lld holds %s points on %s, but spending %s would "
                                              "leave a later movement uncovered (see credit_statement)",
                                       "%s：拒绝：账户 %lld 在 %s 有 %s 分，但支出 %s 分会使之后的记录透支（见 credit_statement）"),
                                 k->fn, k->a.id, zc_lang_en(k->zc) ? b : d, zc_lang_en(k->zc) ? d : b, p)
               : sqlite3_mprintf(zc_tr(k->zc, "%s: refused: account %lld holds %s points on %s; %s would go below zero",
                                       "%s：拒绝：账户 %lld 在 %s 只有 %s 分；支出 %s 分会低于零"),
                                 k->fn, k->a.id, zc_lang_en(k->zc) ? b : d, zc_lang_en(k->zc) ? d : b, p);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int check_age(Check *k, const CrAcct *a, int min_age, const char *who, char **pzErr) {
  if (min_age <= 0) return SQLITE_OK;
  int age = a->birth == ZC_NONE ? -1 : zc_age_years(a->birth, k->day);
  if (age >= min_age) return SQLITE_OK;
  char d[11];
  zc_day_format(k->day, d);
  if (age < 0)
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: account %lld (%s) has no valid id_number, and policy '%s' "
                                          "needs age %d",
                                   "%s：拒绝：账户 %lld（%s）的身份证号无效，而政策 '%s' 要求年满 %d 岁"),
                             k->fn, a->id, who, k->v->name, min_age);
  else if (zc_lang_en(k->zc))
    *pzErr = sqlite3_mprintf("%s: refused: account %lld (%s) is %d on %s; policy '%s' needs %d", k->fn, a->id, who,
                             age, d, k->v->name, min_age);
  else
    *pzErr = sqlite3_mprintf("%s：拒绝：账户 %lld（%s）在 %s 为 %d 岁；政策 '%s' 要求年满 %d 岁", k->fn, a->id, who, d, age,
                             k->v->name, min_age);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* A meal's co-payment left to pay, in fen, and that it is the holder's. */
static int meal_left(Check *k, sqlite3_int64 meal_id, sqlite3_int64 *left, char **pzErr) {
  ZcMealFacts m;
  const ZcElderRec *elder;
  const ZcSiteFacts *site;
  const ZcPolicyVersion *mv;
  ZcMealResult res;
  int rc = zc_meal_facts(k->zc, meal_id, &m, &elder, &site, pzErr);
  if (!rc) rc = zc_money(k->zc, k->fn, &m, elder, site, &mv, &res, pzErr);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(k->zc->db,
                          "SELECT (SELECT id_number FROM elder WHERE id = ?2) IS (SELECT id_number FROM volunteer "
                          "WHERE id = ?3), (SELECT coalesce(sum(fen), 0) FROM credit_redemption WHERE meal_id = ?1)",
                          -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf("%s: %s", k->fn, sqlite3_errmsg(k->zc->db));
    return rc;
  }
  sqlite3_bind_int64(st, 1, meal_id);
  sqlite3_bind_int64(st, 2, elder->id);
  sqlite3_bind_int64(st, 3, k->a.id);
  rc = sqlite3_step(st);
  int same = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
  sqlite3_int64 paid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
  rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
  sqlite3_finalize(st);
  if (rc) return rc;
  if (!same) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: meal %lld was eaten by elder %lld, not by account %lld's "
                                          "holder (id_number differs); give the points first (credit_give)",
                                   "%s：拒绝：餐次 %lld 的就餐老人是 %lld，不是账户 %lld 本人（身份证号不同）；请先转赠（credit_give）"),
                             k->fn, meal_id, elder->id, k->a.id);
    return SQLITE_ERROR;
  }
  if (res.total <= 0) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: meal %lld has no subsidy, so settlement has no co-payment "
                                          "line for points to pay",
                                   "%s：拒绝：餐次 %lld 没有补贴，结算中没有可用积分支付的个人自付部分"),
                             k->fn, meal_id);
    return SQLITE_ERROR;
  }
  *left = m.price_fen - res.total - paid;
  return SQLITE_OK;
}

static int prepare_insert(Check *k, const char *sql, sqlite3_stmt **st, char **pzErr) {
  int rc = zc_writable(k->zc, k->fn, pzErr);
  if (!rc && (rc = sqlite3_prepare_v2(k->zc->db, sql, -1, st, NULL)))
    *pzErr = sqlite3_mprintf("%s: %s", k->fn, sqlite3_errmsg(k->zc->db));
  return rc;
}

static int finish_insert(Check *k, sqlite3_stmt *st, sqlite3_int64 *id, char **pzErr) {
  int rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(k->zc->db);
  if (rc) *pzErr = sqlite3_mprintf("%s: %s", k->fn, sqlite3_errmsg(k->zc->db));
  *id = sqlite3_last_insert_rowid(k->zc->db);
  sqlite3_finalize(st);
  return rc;
}

/* The use at v: meal, goods or service. */
static int arg_use(Check *k, sqlite3_value *v, int *use, char **pzErr) {
  const char *w = (const char *)sqlite3_value_text(v);
  for (int u = 0; w && u < ZC_CREDIT_NUSE; u++)
    if (strcmp(w, zc_credit_use[u]) == 0) {
      *use = u;
      return SQLITE_OK;
    }
  char *r = zc_value_repr(v);
  *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: what %s is not 'meal', 'goods' or 'service'",
                                 "%s：用途 %s 不是 'meal'、'goods' 或 'service'"), k->fn, r ? r : "?");
  sqlite3_free(r);
  return SQLITE_ERROR;
}

/* The month's redemptions and this one within redeem_month_cap. */
static int check_month_cap(Check *k, char **pzErr) {
  sqlite3_int64 cap = k->v->credit->month_cap, spent = 0;
  int p;
  if (cap == 0) return SQLITE_OK;
  int rc = history(k, &k->a, -1, 0, NULL, &p, NULL, &spent, pzErr);
  if (rc || spent + k->mp <= cap) return rc;
  char a[32], b[32], c[32];
  zc_credit_fmt(spent, a);
  zc_credit_fmt(k->mp, b);
  zc_credit_fmt(cap, c);
  *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: account %lld has redeemed %s points this month; %s more would "
                                        "pass policy '%s''s redeem_month_cap of %s",
                                 "%s：拒绝：账户 %lld 本月已兑换 %s 分；再兑换 %s 分将超过政策 '%s' 的每月兑换上限 %s 分"),
                           k->fn, k->a.id, a, b, k->v->name, c);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* credit_redeem(volunteer_id, day, points_milli, what [, meal_id | note]) */
static int redeem(Check *k, int argc, sqlite3_value **argv, sqlite3_int64 *id, char **pzErr) {
  int use, rc;
  sqlite3_int64 meal_id = 0, fen = 0, left = 0;
  if ((rc = arg_account(k, argv[0], &k->a, pzErr)) || (rc = arg_day(k, argv[1], pzErr)) ||
      (rc = arg_int(k, argv[2], "points_milli", 1, &k->mp, pzErr)) || (rc = arg_use(k, argv[3], &use, pzErr)))
    return rc;
  if (use == ZC_CREDIT_MEAL && argc < 5) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: what 'meal' needs the meal's id as the fifth argument",
                                   "%s：用途 'meal' 需要第五个参数：餐次编号"), k->fn);
    return SQLITE_ERROR;
  }
  if (use == ZC_CREDIT_MEAL && (rc = arg_int(k, argv[4], "meal_id", 0, &meal_id, pzErr))) return rc;
  if ((rc = zc_credit_rules(k->zc, k->fn, NULL, &k->a, k->day, &k->v, pzErr))) return rc;
  sqlite3_int64 rate = k->v->credit->rate[use];
  if (rate < 0) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: policy '%s' (version %lld) does not redeem points for %s "
                                          "(credit.redeem has no '%s')",
                                   "%s：拒绝：政策 '%s'（版本 %lld）不允许用积分兑换 %s（credit.redeem 中没有 '%s'）"),
                             k->fn, k->v->name, k->v->id, zc_credit_use[use], zc_credit_use[use]);
    return SQLITE_ERROR;
  }
  if ((rc = check_age(k, &k->a, k->v->credit->redeem_min_age, zc_tr(k->zc, "the holder", "持有人"), pzErr))) return rc;
  if ((rc = check_month_cap(k, pzErr))) return rc;
  if (use == ZC_CREDIT_MEAL) {
    fen = k->mp * rate / 1000; /* floor: a fraction of a fen is not paid */
    if ((rc = meal_left(k, meal_id, &left, pzErr))) return rc;
    if (fen < 1 || fen > left) {
      char p[32];
      zc_credit_fmt(k->mp, p);
      *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: %s points pay %lld fen at %lld fen a point, and meal %lld "
                                            "has %lld fen of co-payment left to pay (1 fen at least)",
                                     "%s：拒绝：%s 分按每分 %lld 分钱可抵 %lld 分钱，而餐次 %lld 尚余个人自付 %lld 分钱（至少抵 1 分钱）"),
                               k->fn, p, zc_lang_en(k->zc) ? fen : rate, zc_lang_en(k->zc) ? rate : fen, meal_id, left);
      return SQLITE_ERROR;
    }
  }
  if ((rc = check_spend(k, CR_REDEEM, meal_id, zc_credit_use[use], pzErr))) return rc;
  sqlite3_stmt *st = NULL;
  if ((rc = prepare_insert(k, "INSERT INTO credit_redemption(volunteer_id, day, points_milli, what, meal_id, fen, "
                              "note) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, pzErr)))
    return rc;
  for (int i = 0; i < 4; i++) sqlite3_bind_value(st, i + 1, argv[i]);
  if (use == ZC_CREDIT_MEAL) {
    sqlite3_bind_int64(st, 5, meal_id);
    sqlite3_bind_int64(st, 6, fen);
  } else if (argc >= 5) {
    sqlite3_bind_value(st, 7, argv[4]);
  }
  return finish_insert(k, st, id, pzErr);
}

static void redeem_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Check k;
  memset(&k, 0, sizeof k);
  k.zc = sqlite3_user_data(ctx);
  k.fn = "credit_redeem";
  char *err = NULL;
  sqlite3_int64 id;
  int rc = zc_facts_sync(k.zc);
  if (!rc) rc = redeem(&k, argc, argv, &id, &err);
  if (rc) refuse(ctx, rc, err);
  else sqlite3_result_int64(ctx, id);
}

/* The relation at v, allowed by the sender's policy. */
static int check_relation(Check *k, const char *rel, char **pzErr) {
  const ZcCredit *c = k->v->credit;
  if (strcmp(rel, "donation") == 0) {
    if (c->donate) return SQLITE_OK;
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: policy '%s' (version %lld) does not allow donating points "
                                          "(credit.donate is not true)",
                                   "%s：拒绝：政策 '%s'（版本 %lld）不允许捐赠积分（credit.donate 不为 true）"),
                             k->fn, k->v->name, k->v->id);
    return SQLITE_ERROR;
  }
  sqlite3_str *all = sqlite3_str_new(NULL);
  for (int i = 0; i < c->nrel; i++) {
    if (strcmp(c->rel[i], rel) == 0) {
      sqlite3_free(sqlite3_str_finish(all));
      return SQLITE_OK;
    }
    sqlite3_str_appendf(all, "%s'%s'", i ? ", " : "", c->rel[i]);
  }
  int oom = sqlite3_str_errcode(all) != SQLITE_OK;
  char *list = sqlite3_str_finish(all);
  if (oom || (c->nrel && !list)) {
    sqlite3_free(list);
    return SQLITE_NOMEM;
  }
  *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: policy '%s' (version %lld) does not allow giving points to a "
                                        "'%s' (credit.transfer allows: %s)",
                                 "%s：拒绝：政策 '%s'（版本 %lld）不允许把积分转赠给关系为 '%s' 的人（credit.transfer 允许：%s）"),
                           k->fn, k->v->name, k->v->id, rel, list && *list ? list : zc_tr(k->zc, "none", "无"));
  sqlite3_free(list);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* The receiver's account must stay within its cap. */
static int check_receiver(Check *k, const CrAcct *to, char **pzErr) {
  int p0, p1, rc;
  sqlite3_int64 bal;
  if ((rc = history(k, to, -1, 0, NULL, &p0, &bal, NULL, pzErr))) return rc;
  if ((rc = history(k, to, CR_IN, k->a.id, NULL, &p1, NULL, NULL, pzErr))) return rc;
  if (p1 <= p0) return SQLITE_OK;
  const ZcPolicyVersion *tv = NULL;
  if ((rc = zc_credit_rules(k->zc, k->fn, NULL, to, k->day, &tv, pzErr))) return rc;
  char b[32], p[32], c[32], d[11];
  zc_credit_fmt(bal, b);
  zc_credit_fmt(k->mp, p);
  zc_credit_fmt(tv->credit->cap, c);
  zc_day_format(k->day, d);
  *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: refused: account %lld holds %s points on %s; %s more would pass its "
                                        "cap of %s (policy '%s')",
                                 "%s：拒绝：账户 %lld 在 %s 有 %s 分；再转入 %s 分将超过账户上限 %s 分（政策 '%s'）"),
                           k->fn, to->id, zc_lang_en(k->zc) ? b : d, zc_lang_en(k->zc) ? d : b, p, c, tv->name);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* credit_give(from_id, to_id, relation, day, points_milli [, fund]) */
static int give(Check *k, int argc, sqlite3_value **argv, sqlite3_int64 *id, char **pzErr) {
  int rc;
  CrAcct to = {-1, NULL, ZC_NONE};
  const char *rel = (const char *)sqlite3_value_text(argv[2]);
  if ((rc = arg_account(k, argv[0], &k->a, pzErr))) return rc;
  if (!rel || !*rel) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: relation is empty; expected a word such as 'spouse' or 'donation'",
                                   "%s：关系为空；应为 'spouse'、'donation' 等"), k->fn);
    return SQLITE_ERROR;
  }
  int donation = strcmp(rel, "donation") == 0;
  if (donation != (sqlite3_value_type(argv[1]) == SQLITE_NULL) ||
      (donation && (argc < 6 || sqlite3_value_type(argv[5]) != SQLITE_TEXT))) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: a donation has to_id NULL, relation 'donation' and the fund named as "
                                          "the sixth argument; a transfer has a to_id and another relation",
                                   "%s：捐赠的 to_id 为 NULL、关系为 'donation'，第六个参数写公益池名称；转赠须有 to_id 和其他关系"),
                             k->fn);
    return SQLITE_ERROR;
  }
  if (!donation && (rc = arg_account(k, argv[1], &to, pzErr))) return rc;
  if (!donation && to.id == k->a.id) {
    *pzErr = sqlite3_mprintf(zc_tr(k->zc, "%s: account %lld cannot give points to itself", "%s：账户 %lld 不能转赠给自己"),
                             k->fn, to.id);
    return SQLITE_ERROR;
  }
  if ((rc = arg_day(k, argv[3], pzErr)) || (rc = arg_int(k, argv[4], "points_milli", 1, &k->mp, pzErr))) return rc;
  if ((rc = zc_credit_rules(k->zc, k->fn, NULL, &k->a, k->day, &k->v, pzErr))) return rc;
  if ((rc = check_relation(k, rel, pzErr))) return rc;
  if (!donation &&
      (rc = check_age(k, &to, k->v->credit->transfer_min_age, zc_tr(k->zc, "the receiver", "受赠人"), pzErr)))
    return rc;
  if ((rc = check_spend(k, donation ? CR_DONATE : CR_OUT, to.id, rel, pzErr))) return rc;
  if (!donation && (rc = check_receiver(k, &to, pzErr))) return rc;
  sqlite3_stmt *st = NULL;
  if ((rc = prepare_insert(k, "INSERT INTO credit_transfer(from_id, to_id, relation, day, points_milli, fund) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &st, pzErr)))
    return rc;
  for (int i = 0; i < 5; i++) sqlite3_bind_value(st, i + 1, argv[i]);
  if (argc >= 6) sqlite3_bind_value(st, 6, argv[5]);
  return finish_insert(k, st, id, pzErr);
}

static void give_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Check k;
  memset(&k, 0, sizeof k);
  k.zc = sqlite3_user_data(ctx);
  k.fn = "credit_give";
  char *err = NULL;
  sqlite3_int64 id;
  int rc = zc_facts_sync(k.zc);
  if (!rc) rc = give(&k, argc, argv, &id, &err);
  if (rc) refuse(ctx, rc, err);
  else sqlite3_result_int64(ctx, id);
}

int zc_credit_write_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  /* they write: direct-only, never from a view or trigger */
  static const ZcFunc aFunc[] = {
      {"credit_redeem", 4, ZC_DIRECT, redeem_func}, {"credit_redeem", 5, ZC_DIRECT, redeem_func},
      {"credit_give", 5, ZC_DIRECT, give_func},     {"credit_give", 6, ZC_DIRECT, give_func},
  };
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
