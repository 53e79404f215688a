/*
** credit_stmt.c — credit_statement(person, year)'s rows (credit_sql.c
** serves them): the account replayed to the year's last day (credit.c),
** an 'opening' line with the balance brought forward, then every line of
** the year — earned, over_cap, unverified, transfer_in, transfer_out,
** donated, redeemed, expired — with the balance after it, the version
** whose rules applied, the row it comes from and its reason in the
** connection's language (zc_tr).
*/
#include "credit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void zc_credit_fmt(sqlite3_int64 mp, char *out) {
  const char *sign = mp < 0 ? "-" : "";
  sqlite3_uint64 a = mp < 0 ? (sqlite3_uint64)0 - (sqlite3_uint64)mp : (sqlite3_uint64)mp;
  int frac = (int)(a % 1000);
  if (frac == 0) {
    snprintf(out, 32, "%s%llu", sign, (unsigned long long)(a / 1000));
    return;
  }
  int digits = 3;
  while (frac % 10 == 0) frac /= 10, digits--;
  snprintf(out, 32, "%s%llu.%0*d", sign, (unsigned long long)(a / 1000), digits, frac);
}

/* "4 h 30 min" / "4 小时 30 分钟" */
static void fmt_minutes(const ZcConn *zc, sqlite3_int64 m, char *out) {
  if (m % 60 == 0) snprintf(out, 48, zc_tr(zc, "%lld h", "%lld 小时"), (long long)(m / 60));
  else snprintf(out, 48, zc_tr(zc, "%lld h %lld min", "%lld 小时 %lld 分钟"), (long long)(m / 60), (long long)(m % 60));
}

/* An activity word in the connection's language (others as they are). */
static const char *activity(const ZcConn *zc, const char *w) {
  static const char *const words[][2] = {{"meal_delivery", "送餐"}, {"meal_help", "助餐"}, {"laundry", "助洁"},
                                         {"visit", "探访"},         {"escort", "陪诊"},    {"cleaning", "保洁"},
                                         {"other", "其他服务"}};
  if (!w) return zc_tr(zc, "service", "志愿服务");
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strcmp(w, words[i][0]) == 0) return zc_tr(zc, w, words[i][1]);
  return w;
}

typedef struct Stm {
  ZcConn *zc;
  int first, next;               /* the year's days [first, next) */
  sqlite3_int64 opening;
  StRow *rows;
  int n, cap;
} Stm;

static char *line_reason(const ZcConn *zc, const CrLine *l) {
  char a[48], b[48], p[32];
  const CrEv *e = l->ev;
  switch (l->kind) {
    case CR_EARN:
      fmt_minutes(zc, e->amount, a);
      fmt_minutes(zc, l->ytd, b);
      if (zc_lang_en(zc))
        return sqlite3_mprintf("%s of %s, %s so far this year; %s@%s (version %lld)", a, activity(zc, e->word), b,
                               l->v->name, l->v->effective_text, l->v->id);
      return sqlite3_mprintf("%s：%s，本年累计 %s；%s@%s（版本 %lld）", activity(zc, e->word), a, b, l->v->name,
                             l->v->effective_text, l->v->id);
    case CR_OVERCAP:
      zc_credit_fmt(l->short_by, p);
      zc_credit_fmt(l->v->credit->cap, a);
      return zc_lang_en(zc) ? sqlite3_mprintf("%s points over the account cap of %s: not credited", p, a)
                            : sqlite3_mprintf("超出账户上限 %s 分，其中 %s 分不计入", a, p);
    case CR_UNVERIFIED:
      fmt_minutes(zc, e->amount, a);
      return sqlite3_mprintf(zc_tr(zc, "%s not verified (verified_by is empty): earns nothing until confirmed",
                                   "%s 未经核实（verified_by 为空）：核实后才计积分"), a);
    case CR_IN:
      if (l->short_by) {
        zc_credit_fmt(l->short_by, p);
        return sqlite3_mprintf(zc_tr(zc, "received from account %lld (%s); %s points past the account cap",
                                     "来自账户 %lld 的转赠（%s）；超出账户上限 %s 分"),
                               e->other, e->word ? e->word : "", p);
      }
      return sqlite3_mprintf(zc_tr(zc, "received from account %lld (%s)", "来自账户 %lld 的转赠（%s）"), e->other,
                             e->word ? e->word : "");
    case CR_OUT:
      return sqlite3_mprintf(zc_tr(zc, "given to account %lld (%s)%s", "转赠给账户 %lld（%s）%s"), e->other,
                             e->word ? e->word : "", "");
    case CR_DONATE: return sqlite3_mprintf("%s", zc_tr(zc, "donated to a fund", "捐赠给公益池"));
    case CR_REDEEM:
      if (e->word && strcmp(e->word, "meal") == 0)
        return sqlite3_mprintf(zc_tr(zc, "paid the co-payment of meal %lld", "支付餐次 %lld 的个人自付部分"), e->other);
      return sqlite3_mprintf(zc_tr(zc, "redeemed for %s", "兑换%s"),
                             e->word && strcmp(e->word, "goods") == 0 ? zc_tr(zc, "goods", "商品（信用超市）")
                             : e->word && strcmp(e->word, "service") == 0 ? zc_tr(zc, "a service", "服务")
                                                                          : (e->word ? e->word : "?"));
    default:
      return sqlite3_mprintf("%s", zc_tr(zc, "expired: the policy's expire_months passed since it was earned",
                                         "过期：自获得起已超过政策规定的有效月数"));
  }
}

static int stm_line(void *pv, const CrLine *l, char **pzErr) {
  (void)pzErr;
  Stm *s = pv;
  if (l->day < s->first) {
    s->opening = l->balance;
    return SQLITE_OK;
  }
  if (s->n == s->cap) {
    int ncap = s->cap ? s->cap * 2 : 64;
    StRow *nr = sqlite3_realloc64(s->rows, (sqlite3_uint64)ncap * sizeof *nr);
    if (!nr) return SQLITE_NOMEM;
    s->rows = nr;
    s->cap = ncap;
  }
  StRow *r = &s->rows[s->n];
  memset(r, 0, sizeof *r);
  r->day = l->day;
  r->kind = l->kind;
  r->mp = l->mp;
  r->balance = l->balance;
  r->version = (l->kind == CR_EARN || l->kind == CR_OVERCAP || l->kind == CR_IN) && l->v ? l->v->id : 0;
  r->ref = l->ev ? l->ev->id : 0;
  char *why = line_reason(s->zc, l);
  if (why && l->short_by && l->kind != CR_OVERCAP && l->kind != CR_IN) {
    char p[32];
    zc_credit_fmt(l->short_by, p);
    char *w2 = sqlite3_mprintf(zc_tr(s->zc, "%s; OVERDRAWN by %s points", "%s；透支 %s 分"), why, p);
    sqlite3_free(why);
    why = w2;
  }
  if (!why) return SQLITE_NOMEM;
  r->reason = why;
  s->n++;
  return SQLITE_OK;
}

static int stm_args(ZcConn *zc, sqlite3_value *person, sqlite3_value *year, sqlite3_int64 *id, int *y,
                    char **pzErr) {
  if (sqlite3_value_type(person) != SQLITE_INTEGER) {
    char *r = zc_value_repr(person);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_statement: person %s is not an account id (volunteer.id)",
                                   "credit_statement：%s 不是账户编号（volunteer.id）"),
                             r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  *id = sqlite3_value_int64(person);
  sqlite3_int64 yy = sqlite3_value_int64(year);
  if (sqlite3_value_type(year) != SQLITE_INTEGER || yy < 1900 || yy > 9998) {
    char *r = zc_value_repr(year);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_statement: year %s is not a year such as 2025",
                                   "credit_statement：%s 不是年份（如 2025）"),
                             r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  *y = (int)yy;
  return SQLITE_OK;
}

int zc_credit_statement_rows(ZcConn *zc, sqlite3_value *person, sqlite3_value *year, StRow **prows, int *pn,
                             char **pzErr) {
  sqlite3_int64 id;
  int y, rc;
  CrAcct a;
  if ((rc = stm_args(zc, person, year, &id, &y, pzErr))) return rc;
  if ((rc = zc_facts_sync(zc)) || (rc = zc_credit_account(zc, "credit_statement", id, &a, pzErr))) return rc;
  if (a.id < 0) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "credit_statement: no account %lld in table volunteer",
                                   "credit_statement：volunteer 表中没有账户 %lld"), id);
    return SQLITE_ERROR;
  }
  Stm s;
  memset(&s, 0, sizeof s);
  s.zc = zc;
  s.first = zc_days_from_civil(y, 1, 1);
  s.next = zc_days_from_civil(y + 1, 1, 1);
  CrReader *rd = NULL;
  CrEv *ev;
  int n;
  CrSum sum;
  CrEmit emit = {&s, stm_line};
  rc = zc_credit_reader_open(zc, "credit_statement", id, s.next - 1, &rd, pzErr);
  if (!rc) rc = zc_credit_reader_events(rd, id, &ev, &n, pzErr);
  if (!rc) {
    /* the opening line first: room for it at index 0 */
    StRow open = {s.first, CR_OPENING, 0, 0, 0, 0, NULL};
    s.rows = sqlite3_malloc(64 * sizeof *s.rows);
    s.cap = 64;
    if (!s.rows) rc = SQLITE_NOMEM;
    else s.rows[s.n++] = open;
  }
  if (!rc) rc = zc_credit_replay(zc, "credit_statement", NULL, &a, ev, n, s.next - 1, &sum, &emit, pzErr);
  zc_credit_reader_close(rd);
  if (!rc) {
    s.rows[0].mp = s.rows[0].balance = s.opening;
    s.rows[0].reason = sqlite3_mprintf("%s", zc_tr(zc, "balance brought forward", "上年结转余额"));
    if (!s.rows[0].reason) rc = SQLITE_NOMEM;
  }
  if (rc) {
    for (int i = 0; i < s.n; i++) sqlite3_free(s.rows[i].reason);
    sqlite3_free(s.rows);
    return rc;
  }
  *prows = s.rows;
  *pn = s.n;
  return SQLITE_OK;
}
