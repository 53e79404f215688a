/*
** anomaly_pass.c — anomaly_scan's elder pass over one run of elders
** (scan_elder_pass): revoked_card (scan_check_token, with the run's
** cards), repeat_meal, two_sites, after_death, in_hospital, no_agreement,
** not_eligible, unknown_elder and gone_quiet.
**
** The read (anomaly_read.c) gives the meals of a run of elders already in
** (elder, served_at, id) order, each elder's meals together: no sort.  The
** run's elder records are built with four range reads (zc_elder_recs:
** elder, then elder_status, agreement and bed_stay by elder_id), not four
** point queries per elder, and freed after the run: nothing is kept per
** elder between runs.  The pass asks the policy runtime (not_eligible:
** zc_policy_eligible on the facts of zc_elder_facts, the path the money
** takes), so it runs on the calling thread.
*/
#include "anomaly.h"
#include <math.h>
#include <pthread.h>
#include <string.h>

/* ---------------------------------------------------- the elder pass */

static int in_force(const ZcInterval *iv, int day) { return iv->from <= day && day < iv->to; }

static const ZcInterval *status_at(const ZcElderRec *r, int bit, int day) {
  for (int i = 0; i < r->nstatus; i++)
    if (r->status[i].key == bit && in_force(&r->status[i], day)) return &r->status[i];
  return NULL;
}

static int has_status(const ZcElderRec *r, int bit) {
  for (int i = 0; i < r->nstatus; i++)
    if (r->status[i].key == bit) return 1;
  return 0;
}

/* d, formatted once (d[0] == 0: not yet): a day is formatted only for a finding. */
static const char *day_text(char d[11], int day) {
  if (!d[0]) zc_day_format(day, d);
  return d;
}

/* The policy's eligible() answer for the elder, asked once per day and
** version. */
typedef struct Elig {
  int day;                     /* ZC_NONE: not asked yet */
  const ZcPolicyVersion *v;
  int ok;
  const char *reason;
} Elig;

/* Meal-level checks of one in-scope meal that need the elder's record. */
static int check_elder_meal(Scan *s, const Meal *m, const ZcElderRec *r, const Thr *t, Elig *el) {
  int rc = SQLITE_OK;
  sqlite3_int64 site = meal_site(s, m), elder = meal_elder(s, m), at = meal_t(s, m);
  char d[11];   /* the day, formatted for a finding (most meals have none) */
  d[0] = 0;
  if (r->died_on != ZC_NONE && m->day >= r->died_on) {
    char dd[11];
    zc_day_format(r->died_on, dd);
    rc = finding_add(&s->out, K_AFTER_DEATH, site, elder, m->id, at, 0, 0,
                     m->day == r->died_on
                         ? sqlite3_mprintf(zc_tr(s->zc, "meal on %s, the day the elder died",
                                                 "%s 有就餐记录，当天为老人去世之日"),
                                           day_text(d, m->day))
                         : sqlite3_mprintf(zc_tr(s->zc, "meal on %s, %d days after the elder died on %s",
                                                 "%s 有就餐记录，为老人去世后第 %d 天（去世日期 %s）"),
                                           day_text(d, m->day), m->day - r->died_on, dd));
    if (rc) return rc;
  }
  const ZcInterval *h = status_at(r, ZC_ST_HOSPITALIZED, m->day);
  if (h) {
    char from[11];
    zc_day_format(h->from, from);
    rc = finding_add(&s->out, K_IN_HOSPITAL, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf(zc_tr(s->zc, "meal on %s while the elder is in hospital (since %s)",
                                           "%s 有就餐记录，老人当时正在住院（%s 入院）"),
                                     day_text(d, m->day), from));
    if (rc) return rc;
  }
  if (!zc_elder_agreement(r, m->day, site)) {
    rc = finding_add(&s->out, K_NO_AGREEMENT, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf(zc_tr(s->zc, "no three-party meal agreement with site %lld in force on %s",
                                           "与助餐点 %lld 没有三方助餐协议，或协议在 %s 不在有效期内"),
                                     site, day_text(d, m->day)));
    if (rc) return rc;
  }
  if (t->v) {
    if (el->day != m->day || el->v != t->v) {
      ZcElderFacts ef;
      zc_elder_facts(s->zc, r, m->day, 0, &ef);
      rc = zc_policy_eligible(s->zc, t->v, &ef, m->day, "meal", &el->ok, &el->reason, s->pzErr);
      if (rc) return rc;
      el->day = m->day;
      el->v = t->v;
    }
    if (!el->ok) {
      rc = finding_add(&s->out, K_NOT_ELIGIBLE, site, elder, m->id, at, 0, 0,
                       sqlite3_mprintf(zc_tr(s->zc, "not eligible for meals on %s under policy %s: %s",
                                             "%s 按政策 %s 不符合助餐条件：%s"),
                                       day_text(d, m->day), t->v->name,
                                       el->reason ? el->reason : zc_tr(s->zc, "no reason given", "政策未给出原因")));
      if (rc) return rc;
    }
  }
  return rc;
}

/* repeat_meal: m is meal ns of its slot (word) that day; f the first. */
static int check_repeat(Scan *s, sqlite3_int64 elder, const Meal *m, const Meal *f, int ns, const char *word) {
  char hm[9];
  fmt_clock(meal_t(s, f), hm);
  return finding_add(&s->out, K_REPEAT_MEAL, meal_site(s, m), elder, m->id, meal_t(s, m), 0, 0,
                     sqlite3_mprintf(zc_tr(s->zc, "%s already eaten at %s at site %lld (meal %lld); this is "
                                           "meal %d of that %s",
                                           "%s已于 %s 在助餐点 %lld 吃过（记录 %lld）；这是当天第 %d 次%s"),
                                     slot_label(s->zc, word), hm, meal_site(s, f), f->id, ns,
                                     slot_label(s->zc, word)));
}

/* two_sites: the nearest earlier meal of the elder (em[a..i)) at another
** site within the travel time of meal em[i]. */
static int check_two_sites(Scan *s, sqlite3_int64 elder, const Meal *em, int a, int i, const Thr *t) {
  const Meal *m = &em[i];
  sqlite3_int64 site = meal_site(s, m), at = meal_t(s, m);
  double travel = t->travel_minutes * 60;
  for (int j = i - 1; j >= a; j--) {
    const Meal *p = &em[j];
    if ((double)(m->rt - p->rt) >= travel) break;
    if (p->site_ix == m->site_ix) continue;
    char hm[9];
    fmt_clock(meal_t(s, p), hm);
    char *gap = fmt_duration(s->zc, m->rt - p->rt), *lim = fmt_number(t->travel_minutes);
    int rc = finding_add(&s->out, K_TWO_SITES, site, elder, m->id, at, 0, 0,
                         gap && lim ? sqlite3_mprintf(zc_tr(s->zc,
                                                            "meal at site %lld only %s after a meal at site "
                                                            "%lld at %s (meal %lld); travel between sites takes %s min",
                                                            "在助餐点 %lld 就餐，距上一餐仅 %s（助餐点 %lld，"
                                                            "%s，记录 %lld）；两个助餐点之间往来需 %s 分钟"),
                                                      site, gap, meal_site(s, p), hm, p->id, lim)
                                    : NULL);
    sqlite3_free(gap);
    sqlite3_free(lim);
    return rc;
  }
  return SQLITE_OK;
}

/* The meal checks of one elder (r: the record, NULL when the elder is not
** in table elder) over its meals em[a..b), in time order: the ordinals of
** each slot for repeat_meal, then for each in-scope meal two_sites and the
** record's checks (or unknown_elder). */
static int check_elder_meals(Scan *s, sqlite3_int64 elder, const ZcElderRec *r, const Meal *em, int a, int b) {
  int rc = SQLITE_OK, first_of[8];
  Elig el = {ZC_NONE, NULL, 1, NULL};
  ZcOrd o;
  zc_ord_reset(&o);
  for (int i = a; i < b; i++) {
    const Meal *m = &em[i];
    const char *word = meal_slot_word(s, m);
    int ns, nd, nmo;
    if (i == a || m->day != em[i - 1].day) for (int j = 0; j < 8; j++) first_of[j] = -1;
    zc_ord_next(&o, m->day, word, &ns, &nd, &nmo);
    int si = m->slot >= 0 ? m->slot : zc_slot_index(word); /* the same counter zc_ord_next uses */
    if (si < 0) si = 3;
    if (first_of[si] < 0) first_of[si] = i;
    if (!m->in_scope) continue;
    const Thr *t = site_thr(s, m);
    if (ns > 1 && (rc = check_repeat(s, elder, m, &em[first_of[si]], ns, word))) return rc;
    if ((rc = check_two_sites(s, elder, em, a, i, t))) return rc;
    if (r) rc = check_elder_meal(s, m, r, t, &el);
    else
      rc = finding_add(&s->out, K_UNKNOWN_ELDER, meal_site(s, m), elder, m->id, meal_t(s, m), 0, 0,
                       sqlite3_mprintf(zc_tr(s->zc, "meal for elder %lld, who is not in the elder table",
                                             "老人 %lld 有就餐记录，但老人表（elder）里没有此人"),
                                       elder));
    if (rc) return rc;
  }
  return rc;
}

/* Room for gone_quiet's day flags over the days read [lo, next): one set
** per scan, reused for every elder. */
typedef struct QuietDays {
  unsigned char *ate;  /* ate[d - lo]: a meal that day */
  int *run;            /* run[d - lo]: missed days in a row ending on d */
  int *before;         /* before[d - lo]: days with a meal in [lo, d) */
} QuietDays;

/* gone_quiet for one elder whose meals em[a..b) are in time order.  A gap
** reaching quiet_days on day e starts on d0 = e - quiet_days + 1: the run
** of missed days ending on e is exactly quiet_days long (d0 - 1 is not
** missed), and the days with a meal in [d0 - quiet_window, d0) are counted
** from the running totals. */
static int check_quiet(Scan *s, const ZcElderRec *r, const Meal *em, int a, int b, QuietDays *q) {
  int rc = SQLITE_OK, row;
  int last = s->last_data_day < s->next - 1 ? s->last_data_day : s->next - 1;
  if (last < s->first) return SQLITE_OK;
  memset(q->ate, 0, (size_t)(last - s->lo + 1));
  for (int i = a; i < b; i++) q->ate[em[i].day - s->lo] = 1;
  for (int d = s->lo, prev = 0, n = 0; d <= last; d++) {
    int missed = !q->ate[d - s->lo] && !(r->died_on != ZC_NONE && d >= r->died_on) &&
                 !status_at(r, ZC_ST_HOSPITALIZED, d);
    q->run[d - s->lo] = prev = missed ? prev + 1 : 0;
    q->before[d - s->lo] = n;
    n += q->ate[d - s->lo];
  }
  if ((rc = thr_row(&s->tc, r->region_code, &row, s->pzErr))) return rc;
  for (int e = s->first; e <= last; e++) {
    const Thr *t;
    if ((rc = thr_get(&s->tc, row, e, &t, s->pzErr))) return rc;
    int qd = (int)t->quiet_days, qw = (int)t->quiet_window;
    int d0 = e - qd + 1;
    if (d0 - qw - 1 < s->lo) continue; /* not enough history read (cannot happen: lo covers it) */
    if (q->run[e - s->lo] != qd || !status_at(r, ZC_ST_LIVES_ALONE, d0)) continue;
    int active = q->before[d0 - s->lo] - q->before[d0 - qw - s->lo];
    if (active < t->quiet_active) continue;
    char x[11], y[11];
    zc_day_format(d0, x);
    zc_day_format(e, y);
    rc = finding_add(&s->out, K_GONE_QUIET, 0, r->id, 0, d0, 1, 0,
                     zc_lang_en(s->zc)
                         ? sqlite3_mprintf("lives alone; ate on %d of the %d days before %s, then no meal for "
                                           "%d days (%s to %s)",
                                           active, qw, x, qd, x, y)
                         : sqlite3_mprintf("独居老人：%s 之前的 %d 天里有 %d 天来就餐，此后连续 %d 天没有就餐"
                                           "（%s 至 %s）",
                                           x, qw, active, qd, x, y));
    if (rc) return rc;
  }
  return rc;
}

/* Every check of elder key k, whose meals are em[a..b) in time order; r
** its record (NULL: not in table elder).  An elder with no meal in scope
** is checked only for gone_quiet. */
static int check_elder(Scan *s, int k, const ZcElderRec *r, const Meal *em, int a, int b, QuietDays *q) {
  int rc, any = 0;
  sqlite3_int64 elder = s->eid[k];
  for (int i = a; i < b; i++) {
    if (!em[i].in_scope) continue;
    any = 1;
    if ((rc = scan_check_token(s, &em[i], elder))) return rc;
  }
  if (r && r->bad) {
    /* malformed rows: asking for the record is an error (zc_elder_rec) */
    *s->pzErr = sqlite3_mprintf("%s", r->bad);
    return *s->pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  int alone = r && has_status(r, ZC_ST_LIVES_ALONE);
  if (!any && !alone) return SQLITE_OK;
  if ((rc = check_elder_meals(s, elder, r, em, a, b))) return rc;
  if (alone && r->region_code && zc_region_under(s->zc, r->region_code, s->region))
    return check_quiet(s, r, em, a, b, q);
  return SQLITE_OK;
}

/* The records of the run's elders (s->eid, ascending ids as the read
** gives them): built for the run (zc_elder_recs), or, should the ids not
** ascend (an elder_id that is no integer), asked one by one (cached). */
static int run_records(Scan *s, ZcElderRec **recs, int *owned) {
  int asc = 1;
  for (int k = 1; k < s->neld && asc; k++) asc = s->eid[k - 1] < s->eid[k];
  *owned = asc;
  if (asc) return zc_elder_recs(s->zc, s->eid, s->neld, recs, s->pzErr);
  for (int k = 0; k < s->neld; k++) {
    const ZcElderRec *r = NULL;
    char *err = NULL;
    int rc = zc_elder_rec(s->zc, s->eid[k], &r, &err);
    if (rc == SQLITE_ERROR && r == NULL) sqlite3_free(err);   /* not in table elder */
    else if (rc && !r) {
      *s->pzErr = err;
      return rc;
    } else sqlite3_free(err);   /* a malformed record: check_elder says so */
    recs[k] = (ZcElderRec *)r;
  }
  return SQLITE_OK;
}

/* The run's meals grouped by elder key.  Keys are numbered in the read's
** order, so each key's meals are together unless two rows' elder_id give
** the same number without being equal (text that is no integer, which the
** read cannot seek): then a stable counting sort by key (into s->m). */
static int group_by_key(Scan *s) {
  int grouped = 1;
  for (int i = 1; i < s->nm && grouped; i++) grouped = s->m[i].ek >= s->m[i - 1].ek;
  if (grouped) return SQLITE_OK;
  int *at = sqlite3_malloc64(((sqlite3_uint64)s->neld + 1) * sizeof *at);
  Meal *out = sqlite3_malloc64(((sqlite3_uint64)s->capm + 1) * sizeof *out);
  if (!at || !out) {
    sqlite3_free(at);
    sqlite3_free(out);
    return SQLITE_NOMEM;
  }
  memset(at, 0, ((size_t)s->neld + 1) * sizeof *at);
  for (int i = 0; i < s->nm; i++) at[s->m[i].ek + 1]++;
  for (int k = 0; k < s->neld; k++) at[k + 1] += at[k];
  for (int i = 0; i < s->nm; i++) out[at[s->m[i].ek]++] = s->m[i];
  sqlite3_free(at);
  sqlite3_free(s->m);
  s->m = out;
  return SQLITE_OK;
}

int scan_elder_pass(Scan *s) {
  int rc = SQLITE_OK, owned = 0;
  if (s->neld == 0) return SQLITE_OK;
  sqlite3_uint64 span = (sqlite3_uint64)(s->next - s->lo) + 1;
  QuietDays q = {sqlite3_malloc64(span), sqlite3_malloc64(span * sizeof(int)), sqlite3_malloc64(span * sizeof(int))};
  ZcElderRec **recs = sqlite3_malloc64((sqlite3_uint64)s->neld * sizeof *recs);
  if (!q.ate || !q.run || !q.before || !recs) { rc = SQLITE_NOMEM; goto done; }
  memset(recs, 0, (size_t)s->neld * sizeof *recs);
  if ((rc = group_by_key(s))) goto done;
  if ((rc = run_records(s, recs, &owned))) goto done;
  if ((rc = scan_cards_load(s))) goto done;
  /* the meals are in key order (group_by_key) */
  for (int k = 0, a = 0; k < s->neld; k++) {
    int b = a;
    while (b < s->nm && s->m[b].ek == k) b++;
    if (scan_stop(s, 1, 10)) { rc = SQLITE_INTERRUPT; goto done; }
    if ((rc = check_elder(s, k, recs[k], s->m, a, b, &q))) goto done;
    a = b;
  }
done:
  if (recs && owned)
    for (int k = 0; k < s->neld; k++) sqlite3_free(recs[k]);
  sqlite3_free(recs);
  sqlite3_free(q.ate);
  sqlite3_free(q.run);
  sqlite3_free(q.before);
  return rc;
}
