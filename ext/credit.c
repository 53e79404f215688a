/*
** credit.c — the time bank's account engine (credit.h): the movements of
** one account, or of every account in id order, read from credit_hours,
** credit_redemption and credit_transfer up to a day (CrReader), and
** replayed in day order under the credit rules of the version in force on
** each day (zc_credit_replay).  No SQL functions of its own: credit_sql.c
** provides credit_ledger, credit_statement, credit_redeem, credit_give
** and credit_ledger_digest on top of it.
**
** Why replay rather than sums: points of a year are a tier function of the
** year-to-date hours, expiry needs the day each point was earned (lots,
** spent oldest first), a cap needs the balance on the day.  One account's
** history is short, so the replay is a sort of a few dozen events.
*/
#include "credit.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- accounts */

int zc_credit_account(ZcConn *zc, const char *fn, sqlite3_int64 id, CrAcct *a, char **pzErr) {
  sqlite3_stmt *st = NULL;
  a->id = -1;
  int rc = zc_regions_load(zc, pzErr);
  if (rc) return rc;
  rc = sqlite3_prepare_v2(zc->db, "SELECT region, id_number FROM volunteer WHERE id = ?1", -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: cannot read table volunteer: %s", "%s：无法读取 volunteer 表：%s"), fn,
                             sqlite3_errmsg(zc->db));
    return rc;
  }
  sqlite3_bind_int64(st, 1, id);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *code = (const char *)sqlite3_column_text(st, 0);
    const ZcRegion *g = code ? zc_region(zc, code) : NULL;
    if (!g) {
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: volunteer %lld has region %Q, which is not a code in table region",
                                     "%s：账户 %lld 的区划 %Q 不在区划表（region）中"),
                               fn, id, code);
      sqlite3_finalize(st);
      return SQLITE_ERROR;
    }
    const char *idn = (const char *)sqlite3_column_text(st, 1);
    char sex;
    a->id = id;
    a->region = g->code;
    if (!idn || !zc_idcard_parse(idn, sqlite3_column_bytes(st, 1), &a->birth, &sex)) a->birth = ZC_NONE;
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  } else {
    *pzErr = sqlite3_mprintf("%s: %s", fn, sqlite3_errmsg(zc->db));
  }
  sqlite3_finalize(st);
  return rc;
}

int zc_credit_rules(ZcConn *zc, const char *fn, const ZcPolicyPick *pick, const CrAcct *a, int day,
                    const ZcPolicyVersion **pv, char **pzErr) {
  const ZcPolicyVersion *v = NULL;
  int rc = zc_policy_for_region(zc, pick, a->region, day, &v, pzErr);
  if (rc) return rc;
  char d[11];
  zc_day_format(day, d);
  if (v == NULL) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: volunteer %lld (region %s): no policy version is in force on %s",
                                   "%s：账户 %lld（区划 %s）：%s 没有生效的政策版本"),
                             fn, a->id, a->region, d);
    return SQLITE_ERROR;
  }
  if (v->credit == NULL) {
    *pzErr = zc_lang_en(zc)
                 ? sqlite3_mprintf("%s: volunteer %lld (region %s): policy '%s' version %lld, in force on %s, has no "
                                   "credit section (credit = { tiers = ... })",
                                   fn, a->id, a->region, v->name, v->id, d)
                 : sqlite3_mprintf("%s：账户 %lld（区划 %s）：%s 生效的政策 '%s' 版本 %lld 没有积分规则（credit 部分）",
                                   fn, a->id, a->region, d, v->name, v->id);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  *pv = v;
  return SQLITE_OK;
}

/* -------------------------------------------------------------- reading */

enum { RD_HOURS, RD_REDEEM, RD_OUT, RD_IN, RD_N };
static const char *const rd_table[RD_N] = {"credit_hours", "credit_redemption", "credit_transfer",
                                           "credit_transfer"};

struct CrReader {
  ZcConn *zc;
  const char *fn;
  sqlite3_stmt *st[RD_N];
  int live[RD_N], done[RD_N];
  CrEv *ev;
  int n, cap;
};

/* %1$s: the word column; %2$s: one account's filter */
static const char *const rd_sql[RD_N] = {
    "SELECT volunteer_id, day, id, minutes, verified_by IS NOT NULL, %s FROM credit_hours "
    "WHERE day <= ?1 %s ORDER BY volunteer_id, day, id",
    "SELECT volunteer_id, day, id, points_milli, what, meal_id FROM credit_redemption "
    "WHERE day <= ?1 %s ORDER BY volunteer_id, day, id",
    "SELECT from_id, day, id, points_milli, relation, to_id FROM credit_transfer "
    "WHERE day <= ?1 %s ORDER BY from_id, day, id",
    "SELECT to_id, day, id, points_milli, relation, from_id FROM credit_transfer "
    "WHERE day <= ?1 AND to_id IS NOT NULL %s ORDER BY to_id, day, id"};
static const char *const rd_key[RD_N] = {"volunteer_id", "volunteer_id", "from_id", "to_id"};

void zc_credit_reader_close(CrReader *r) {
  if (!r) return;
  for (int k = 0; k < RD_N; k++) sqlite3_finalize(r->st[k]);
  sqlite3_free(r->ev);
  sqlite3_free(r);
}

int zc_credit_reader_open(ZcConn *zc, const char *fn, sqlite3_int64 id, int as_of, CrReader **out, char **pzErr) {
  CrReader *r = sqlite3_malloc(sizeof *r);
  *out = NULL;
  if (!r) return SQLITE_NOMEM;
  memset(r, 0, sizeof *r);
  r->zc = zc;
  r->fn = fn;
  char day[11];
  zc_day_format(as_of, day);
  for (int k = 0; k < RD_N; k++) {
    char *filter = id >= 0 ? sqlite3_mprintf("AND %s = %lld", rd_key[k], id) : sqlite3_mprintf("%s", "");
    char *sql = filter ? sqlite3_mprintf(rd_sql[k], k == RD_HOURS ? (id >= 0 ? "activity" : "NULL") : filter,
                                         filter)
                       : NULL;
    if (sql && k != RD_HOURS) {   /* only the hours have two places */
      sqlite3_free(sql);
      sql = sqlite3_mprintf(rd_sql[k], filter);
    }
    sqlite3_free(filter);
    if (!sql) {
      zc_credit_reader_close(r);
      return SQLITE_NOMEM;
    }
    int rc = sqlite3_prepare_v2(zc->db, sql, -1, &r->st[k], NULL);
    sqlite3_free(sql);
    if (rc) {
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: cannot read table %s: %s", "%s：无法读取 %s 表：%s"), fn, rd_table[k],
                               sqlite3_errmsg(zc->db));
      zc_credit_reader_close(r);
      return rc;
    }
    sqlite3_bind_text(r->st[k], 1, day, 10, SQLITE_TRANSIENT);
  }
  *out = r;
  return SQLITE_OK;
}

/* A malformed row: an error naming the table, the row and the column. */
static int rd_bad(CrReader *r, int k, const char *col, char **pzErr) {
  char *shown = NULL;
  int c = strcmp(col, "day") == 0 ? 1 : 3;
  shown = zc_value_repr(sqlite3_column_value(r->st[k], c));
  *pzErr = sqlite3_mprintf(zc_tr(r->zc, "%s: %s row %lld has %s %s; expected %s",
                                 "%s：%s 表第 %lld 行的 %s 为 %s；应为%s"),
                           r->fn, rd_table[k], sqlite3_column_int64(r->st[k], 2), col, shown ? shown : "?",
                           c == 1 ? zc_tr(r->zc, "a day 'YYYY-MM-DD'", "日期 'YYYY-MM-DD'")
                           : k == RD_HOURS ? zc_tr(r->zc, "whole minutes from 0 to 1440", "0 到 1440 的整数分钟")
                                           : zc_tr(r->zc, "whole milli-points above 0", "大于 0 的整数（千分之一分）"));
  sqlite3_free(shown);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* The pending row of cursor k as an event. */
static int rd_event(CrReader *r, int k, CrEv *e, char **pzErr) {
  sqlite3_stmt *st = r->st[k];
  memset(e, 0, sizeof *e);
  e->day = zc_day_parse((const char *)sqlite3_column_text(st, 1), sqlite3_column_bytes(st, 1));
  if (e->day == ZC_NONE) return rd_bad(r, k, "day", pzErr);
  e->id = sqlite3_column_int64(st, 2);
  e->amount = sqlite3_column_int64(st, 3);
  int ok = sqlite3_column_type(st, 3) == SQLITE_INTEGER;
  if (k == RD_HOURS ? !ok || e->amount < 0 || e->amount > 1440 : !ok || e->amount <= 0 || e->amount > 1000000000000LL)
    return rd_bad(r, k, k == RD_HOURS ? "minutes" : "points_milli", pzErr);
  const char *w = (const char *)sqlite3_column_text(st, 4 + (k == RD_HOURS));
  if (w) {
    e->word = zc_intern(r->zc, w, sqlite3_column_bytes(st, 4 + (k == RD_HOURS)));
    if (!e->word) return SQLITE_NOMEM;
  }
  switch (k) {
    case RD_HOURS: e->kind = CR_EARN; e->verified = sqlite3_column_int(st, 4); break;
    case RD_REDEEM: e->kind = CR_REDEEM; e->other = sqlite3_column_int64(st, 5); break;
    case RD_OUT:
      e->kind = sqlite3_column_type(st, 5) == SQLITE_NULL || (w && strcmp(w, "donation") == 0) ? CR_DONATE : CR_OUT;
      e->other = sqlite3_column_int64(st, 5);
      break;
    default: e->kind = CR_IN; e->other = sqlite3_column_int64(st, 5); break;
  }
  return SQLITE_OK;
}

static int rd_push(CrReader *r, const CrEv *e) {
  if (r->n == r->cap) {
    int ncap = r->cap ? r->cap * 2 : 64;
    CrEv *ne = sqlite3_realloc64(r->ev, (sqlite3_uint64)ncap * sizeof *ne);
    if (!ne) return SQLITE_NOMEM;
    r->ev = ne;
    r->cap = ncap;
  }
  r->ev[r->n++] = *e;
  return SQLITE_OK;
}

int zc_credit_reader_events(CrReader *r, sqlite3_int64 id, CrEv **pev, int *pn, char **pzErr) {
  r->n = 0;
  for (int k = 0; k < RD_N; k++) {
    for (;;) {
      if (!r->live[k] && !r->done[k]) {
        int rc = sqlite3_step(r->st[k]);
        if (rc == SQLITE_ROW) r->live[k] = 1;
        else if (rc == SQLITE_DONE) r->done[k] = 1;
        else {
          *pzErr = sqlite3_mprintf(zc_tr(r->zc, "%s: reading %s: %s", "%s：读取 %s 出错：%s"), r->fn, rd_table[k],
                                   sqlite3_errmsg(r->zc->db));
          return rc;
        }
      }
      if (r->done[k]) break;
      sqlite3_int64 key = sqlite3_column_int64(r->st[k], 0);
      if (key > id) break;
      r->live[k] = 0;
      if (key < id) continue;
      CrEv e;
      int rc = rd_event(r, k, &e, pzErr);
      if (!rc) rc = rd_push(r, &e);
      if (rc) return rc;
    }
  }
  *pev = r->ev;
  *pn = r->n;
  return SQLITE_OK;
}

/* -------------------------------------------------------------- replay */

typedef struct Lot {
  int expires;                   /* INT_MAX: never */
  sqlite3_int64 left;
} Lot;

typedef struct Replay {
  ZcConn *zc;
  const char *fn;
  const ZcPolicyPick *pick;
  const CrAcct *a;
  CrSum *sum;
  const CrEmit *emit;
  Lot *lots;
  int nlot, cap, first;          /* lots before first are spent or expired */
  sqlite3_int64 debt;            /* spent past the balance */
  int vday;                      /* the day of v */
  const ZcPolicyVersion *v;
  sqlite3_int64 ytd;
  int year;
} Replay;

static int ev_cmp(const void *pa, const void *pb) {
  const CrEv *x = pa, *y = pb;
  if (x->day != y->day) return x->day < y->day ? -1 : 1;
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

static int add_months(int day, int months) {
  int y, m, d;
  zc_civil_from_days(day, &y, &m, &d);
  int mm = m - 1 + months;
  y += mm / 12;
  m = mm % 12 + 1;
  while (d > 28 && !zc_valid_ymd(y, m, d)) d--;
  return zc_days_from_civil(y, m, d);
}

static sqlite3_int64 balance_of(const Replay *p) {
  return p->sum->balance;
}

static int emit_line(Replay *p, int day, int kind, const CrEv *ev, sqlite3_int64 mp, sqlite3_int64 short_by,
                     char **pzErr) {
  if (!p->emit) return SQLITE_OK;
  CrLine l = {day, kind, ev, mp, p->sum->balance, p->ytd, short_by, p->v};
  return p->emit->xLine(p->emit->p, &l, pzErr);
}

/* Lots whose day has come (expires <= day) expire, each a line. */
static int expire_to(Replay *p, int day, char **pzErr) {
  for (int i = p->first; i < p->nlot; i++) {
    Lot *l = &p->lots[i];
    if (l->left == 0 || l->expires > day) continue;
    sqlite3_int64 x = l->left;
    l->left = 0;
    p->sum->expired += x;
    p->sum->balance -= x;
    int rc = emit_line(p, l->expires, CR_EXPIRE, NULL, -x, 0, pzErr);
    if (rc) return rc;
  }
  while (p->first < p->nlot && p->lots[p->first].left == 0) p->first++;
  return SQLITE_OK;
}

/* A lot of x milli-points from day under p->v; a debt is paid first. */
static int add_lot(Replay *p, int day, sqlite3_int64 x) {
  sqlite3_int64 pay = x < p->debt ? x : p->debt;
  p->debt -= pay;
  x -= pay;
  p->sum->balance += x + pay;
  if (x == 0) return SQLITE_OK;
  if (p->nlot == p->cap) {
    int ncap = p->cap ? p->cap * 2 : 32;
    Lot *nl = sqlite3_realloc64(p->lots, (sqlite3_uint64)ncap * sizeof *nl);
    if (!nl) return SQLITE_NOMEM;
    p->lots = nl;
    p->cap = ncap;
  }
  int em = p->v->credit->expire_months;
  p->lots[p->nlot].expires = em ? add_months(day, em) : INT_MAX;
  p->lots[p->nlot++].left = x;
  return SQLITE_OK;
}

/* Spends x, oldest lots first; what the lots do not hold becomes debt. */
static sqlite3_int64 spend(Replay *p, sqlite3_int64 x) {
  p->sum->balance -= x;
  for (int i = p->first; i < p->nlot && x > 0; i++) {
    Lot *l = &p->lots[i];
    sqlite3_int64 t = l->left < x ? l->left : x;
    l->left -= t;
    x -= t;
  }
  while (p->first < p->nlot && p->lots[p->first].left == 0) p->first++;
  p->debt += x;
  return x;
}

static int rules_on(Replay *p, int day, char **pzErr) {
  if (p->v && p->vday == day) return SQLITE_OK;
  int rc = zc_credit_rules(p->zc, p->fn, p->pick, p->a, day, &p->v, pzErr);
  p->vday = day;
  return rc;
}

static void note_version(CrSum *s, sqlite3_int64 vid, sqlite3_int64 mp) {
  for (int i = 0; i < s->nver; i++)
    if (s->ver[i].vid == vid) {
      s->ver[i].mp += mp;
      return;
    }
  if (s->nver == (int)(sizeof s->ver / sizeof s->ver[0])) {
    s->more_versions = 1;
    return;
  }
  s->ver[s->nver].vid = vid;
  s->ver[s->nver++].mp = mp;
}

static int do_earn(Replay *p, const CrEv *e, char **pzErr) {
  CrSum *s = p->sum;
  int rc, y, m, d;
  if (!e->verified) {
    s->unverified += e->amount;
    return emit_line(p, e->day, CR_UNVERIFIED, e, 0, 0, pzErr);
  }
  if ((rc = rules_on(p, e->day, pzErr))) return rc;
  zc_civil_from_days(e->day, &y, &m, &d);
  if (y != p->year) p->year = y, p->ytd = 0;
  const ZcCredit *c = p->v->credit;
  sqlite3_int64 mp = zc_credit_points(c, p->ytd + e->amount) - zc_credit_points(c, p->ytd);
  p->ytd += e->amount;
  s->minutes += e->amount;
  sqlite3_int64 room = c->cap ? c->cap - balance_of(p) : mp;
  if (room < 0) room = 0;
  sqlite3_int64 got = mp < room ? mp : room, over = mp - got;
  s->earned += got;
  s->over_cap += over;
  if (got) note_version(s, p->v->id, got);
  if ((rc = add_lot(p, e->day, got))) return rc;
  if ((rc = emit_line(p, e->day, CR_EARN, e, got, 0, pzErr))) return rc;
  return over ? emit_line(p, e->day, CR_OVERCAP, e, 0, over, pzErr) : SQLITE_OK;
}

static int do_event(Replay *p, const CrEv *e, char **pzErr) {
  CrSum *s = p->sum;
  int rc;
  if (e->kind == CR_EARN) return do_earn(p, e, pzErr);
  if (e->kind == CR_IN) {
    if ((rc = rules_on(p, e->day, pzErr))) return rc;
    sqlite3_int64 cap = p->v->credit->cap, past = cap && balance_of(p) + e->amount > cap ? balance_of(p) + e->amount - cap : 0;
    if (past) s->problems++;
    s->tin += e->amount;
    if ((rc = add_lot(p, e->day, e->amount))) return rc;
    return emit_line(p, e->day, CR_IN, e, e->amount, past, pzErr);
  }
  sqlite3_int64 short_by = spend(p, e->amount);
  if (short_by) s->problems++;
  if (e->kind == CR_OUT) s->tout += e->amount;
  else if (e->kind == CR_DONATE) s->donated += e->amount;
  else s->redeemed += e->amount;
  return emit_line(p, e->day, e->kind, e, -e->amount, short_by, pzErr);
}

int zc_credit_replay(ZcConn *zc, const char *fn, const ZcPolicyPick *pick, const CrAcct *a, CrEv *ev, int n,
                     int as_of, CrSum *sum, const CrEmit *emit, char **pzErr) {
  Replay p;
  memset(&p, 0, sizeof p);
  memset(sum, 0, sizeof *sum);
  p.zc = zc;
  p.fn = fn;
  p.pick = pick;
  p.a = a;
  p.sum = sum;
  p.emit = emit;
  p.year = INT_MIN;
  if (n > 1) qsort(ev, (size_t)n, sizeof *ev, ev_cmp);
  int rc = SQLITE_OK;
  for (int i = 0; i < n && rc == SQLITE_OK; i++) {
    if (ev[i].day > as_of) break;
    rc = expire_to(&p, ev[i].day, pzErr);
    if (!rc) rc = do_event(&p, &ev[i], pzErr);
  }
  if (!rc) rc = expire_to(&p, as_of, pzErr);
  sqlite3_free(p.lots);
  return rc;
}
