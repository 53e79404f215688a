/*
** needs.c — needs_watch(region, month) (主动发现): the elders living at or
** under region whose needs grew in the month, one row per elder and reason
** (the table-valued function itself is in anomaly.c; docs/needs.md).
**
**   SELECT elder_id, name, reason, reason_text, day, site_id, evidence
**     FROM needs_watch('141129', '2024-03');
**   -- 1207|王桂英|turned_80|年满80周岁|2024-03-12|14|1944-03-12 出生
**
** The reasons, each about an elder alive at the month's end (died_on NULL
** or on/after the next month's first day):
**   turned_80, turned_90   the 80th / 90th birthday falls in the month (age
**                          from the ID number, zc_age_years: 29 February
**                          birthdays on 1 March in other years)
**   new_disabled_full      an interval of disabled_full starts in the month
**                          and the day before it was not in force
**   new_disabled_semi      the same for disabled_semi, when neither
**                          disabled_semi nor disabled_full was in force
**   new_dibao, new_tekun   the same for dibao / tekun
**   spouse_died            a spouse (table spouse) died in the month: the
**                          row's died_on, else the died_on of the elder
**                          with the spouse's id_number
**   left_hospital          an interval of hospitalized ends in the month
**                          (valid_to = the day out) and none is in force
**                          on that day
**   gone_quiet             a day D with a meal on D - 1 and none on D, the
**                          elder eating on at least needs_quiet_regular of
**                          the W = needs_quiet_window days before D and on
**                          at most needs_quiet_share of that many in the W
**                          days from D; not hospitalized in those W days;
**                          D + W - 1 in the month and on or before the
**                          latest meal day read; the earliest such D
** Thresholds: the `anomaly` entries of the policy governing the elder's
** region on the month's first day (anomaly_thr.c; checked on install).
** Facts come from the facts layer (zc_elder_preload, zc_elder_rec): the
** same records, statuses and ages as the money path.
*/
#include "anomaly.h"
#include "facts.h"
#include "meals.h"
#include <limits.h>
#include <string.h>

static const struct {
  const char *code, *en, *zh;
} aReason[N_REASONS] = {
    {"turned_80", "turned 80", "年满80周岁"},
    {"turned_90", "turned 90", "年满90周岁"},
    {"new_disabled_full", "newly assessed as fully disabled", "新评定为失能"},
    {"new_disabled_semi", "newly assessed as partly disabled", "新评定为半失能"},
    {"spouse_died", "spouse died", "配偶去世"},
    {"new_dibao", "household newly on dibao", "家庭新纳入低保"},
    {"new_tekun", "newly under tekun support", "新纳入特困供养"},
    {"left_hospital", "out of hospital", "出院"},
    {"gone_quiet", "meals dropped sharply or stopped", "就餐骤减或停止"},
};

const char *needs_reason_code(int reason) { return aReason[reason].code; }
const char *needs_reason_text(const ZcConn *zc, int reason) {
  return zc_tr(zc, aReason[reason].en, aReason[reason].zh);
}

void needs_clear(NeedList *l) {
  for (int i = 0; i < l->n; i++) {
    sqlite3_free(l->a[i].name);
    sqlite3_free(l->a[i].evidence);
  }
  sqlite3_free(l->a);
  memset(l, 0, sizeof *l);
}

/* An elder living at or under the region, with its thresholds. */
typedef struct NElder {
  const ZcElderRec *rec;
  const Thr *t;
} NElder;

typedef struct NW {
  ZcConn *zc;
  const char *region;
  int first, next, lo, last_day; /* month [first, next); meals read from lo; latest meal day read */
  int nwords;                    /* 64-day words of an elder's meal days [lo, next) */
  NElder *el;
  int nel, capel;
  ZcMap ix;                      /* elder id -> index in el */
  uint64_t *bits;                /* nel * nwords: bit d - lo set when the elder ate on day d */
  ThrCache tc;
  NeedList *out;
  char **pzErr;
  unsigned tick;
} NW;

static int nw_sql_error(NW *w, int rc) {
  if (rc == SQLITE_INTERRUPT || rc == SQLITE_NOMEM) return rc;
  if (!*w->pzErr)
    *w->pzErr = sqlite3_mprintf("needs_watch: cannot read the input tables (%s); load sql/schema.sql",
                                sqlite3_errmsg(w->zc->db));
  return rc;
}

/* Takes ownership of evidence (NULL: out of memory). */
static int need_add(NW *w, int reason, const ZcElderRec *rec, int day, char *evidence) {
  if (!evidence) return SQLITE_NOMEM;
  NeedList *l = w->out;
  if (l->n == l->cap) {
    int ncap = l->cap ? l->cap * 2 : 64;
    Need *na = sqlite3_realloc64(l->a, (sqlite3_uint64)ncap * sizeof *na);
    if (!na) {
      sqlite3_free(evidence);
      return SQLITE_NOMEM;
    }
    l->a = na;
    l->cap = ncap;
  }
  Need *nd = &l->a[l->n++];
  memset(nd, 0, sizeof *nd);
  nd->reason = reason;
  nd->day = day;
  nd->elder_id = rec->id;
  nd->lives_in = rec->region_code;
  nd->evidence = evidence;
  return SQLITE_OK;
}

static int status_on(const ZcElderRec *rec, int bit, int day) {
  for (int i = 0; i < rec->nstatus; i++)
    if (rec->status[i].key == bit && rec->status[i].from <= day && day < rec->status[i].to) return 1;
  return 0;
}

static int alive_through(const ZcElderRec *rec, int next) { return rec->died_on == ZC_NONE || rec->died_on >= next; }

/* ------------------------------------------------------------ the elders */

/* Every elder at or under the region, its record from the facts layer
** (a malformed record of such an elder is an error), its thresholds. */
static int nw_elders(NW *w) {
  char *err = NULL;
  int rc = zc_elder_preload(w->zc, w->pzErr);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(w->zc->db, "SELECT id FROM elder ORDER BY id", -1, &st, NULL)))
    return nw_sql_error(w, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const ZcElderRec *rec = NULL;
    int r = zc_elder_rec(w->zc, sqlite3_column_int64(st, 0), &rec, &err);
    if (r != SQLITE_OK && !(r == SQLITE_ERROR && rec && rec->bad)) { /* not a malformed record */
      if (err && !*w->pzErr) *w->pzErr = sqlite3_mprintf("needs_watch: %s", err);
      rc = r;
      break;
    }
    if (!rec->region || !zc_region_under(w->zc, rec->region_code, w->region)) {
      sqlite3_free(err);
      err = NULL;
      continue;
    }
    if (r) { /* malformed, and in the region */
      *w->pzErr = sqlite3_mprintf("needs_watch: %s", err);
      rc = *w->pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      break;
    }
    if (w->nel == w->capel) {
      w->capel = w->capel ? w->capel * 2 : 1024;
      NElder *ne = sqlite3_realloc64(w->el, (sqlite3_uint64)w->capel * sizeof *ne);
      if (!ne) { rc = SQLITE_NOMEM; break; }
      w->el = ne;
    }
    int row;
    NElder *e = &w->el[w->nel];
    e->rec = rec;
    if ((rc = thr_row(&w->tc, rec->region_code, &row, w->pzErr))) break;
    if ((rc = thr_get(&w->tc, row, w->first, &e->t, w->pzErr))) break;
    sqlite3_int64 *v = zc_map_slot(&w->ix, rec->id, 1, NULL);
    if (!v) { rc = SQLITE_NOMEM; break; }
    *v = w->nel++;
  }
  sqlite3_free(err);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  return *w->pzErr ? rc : nw_sql_error(w, rc);
}

/* --------------------------------------------------- facts of the month */

static int turned(NW *w, const ZcElderRec *rec, int years, int reason) {
  if (rec->birth == ZC_NONE) return SQLITE_OK;
  if (!(zc_age_years(rec->birth, w->first - 1) < years && zc_age_years(rec->birth, w->next - 1) >= years))
    return SQLITE_OK;
  int d = w->first;
  while (d < w->next - 1 && zc_age_years(rec->birth, d) < years) d++;
  char b[11];
  zc_day_format(rec->birth, b);
  return need_add(w, reason, rec, d, sqlite3_mprintf(zc_tr(w->zc, "born %s", "%s 出生"), b));
}

/* The earliest interval of status bit starting in the month with neither
** bit nor also (-1: none) in force the day before. */
static int new_status(NW *w, const ZcElderRec *rec, int bit, int also, int reason) {
  int best = INT_MAX;
  for (int i = 0; i < rec->nstatus; i++) {
    const ZcInterval *iv = &rec->status[i];
    if (iv->key != bit || iv->from < w->first || iv->from >= w->next || iv->from >= best) continue;
    if (status_on(rec, bit, iv->from - 1) || (also >= 0 && status_on(rec, also, iv->from - 1))) continue;
    best = iv->from;
  }
  if (best == INT_MAX) return SQLITE_OK;
  char d[11], b[11];
  zc_day_format(best, d);
  zc_day_format(best - 1, b);
  if (zc_lang_en(w->zc))
    return need_add(w, reason, rec, best,
                    sqlite3_mprintf("%s in force from %s, not on %s", zc_status_name(w->zc, bit), d, b));
  const char *label = bit == ZC_ST_DISABLED_FULL   ? "失能"
                      : bit == ZC_ST_DISABLED_SEMI ? "半失能"
                      : bit == ZC_ST_DIBAO         ? "低保"
                                                   : "特困";
  return need_add(w, reason, rec, best, sqlite3_mprintf("%s 起登记为%s（%s 时没有）", d, label, b));
}

/* The earliest hospital stay ending in the month (valid_to = the day out)
** with no stay in force on that day. */
static int left_hospital(NW *w, const ZcElderRec *rec) {
  const ZcInterval *best = NULL;
  for (int i = 0; i < rec->nstatus; i++) {
    const ZcInterval *iv = &rec->status[i];
    if (iv->key != ZC_ST_HOSPITALIZED || iv->to < w->first || iv->to >= w->next) continue;
    if (status_on(rec, ZC_ST_HOSPITALIZED, iv->to) || (best && best->to <= iv->to)) continue;
    best = iv;
  }
  if (!best) return SQLITE_OK;
  char a[11], b[11];
  zc_day_format(best->from, a);
  zc_day_format(best->to, b);
  return need_add(w, N_LEFT_HOSPITAL, rec, best->to,
                  sqlite3_mprintf(zc_tr(w->zc, "hospitalized from %s, out on %s (%d days)",
                                        "%s 住院，%s 出院（%d 天）"),
                                  a, b, best->to - best->from));
}

/* The reasons read from an elder's record alone. */
static int nw_record_reasons(NW *w) {
  int rc = SQLITE_OK;
  for (int i = 0; i < w->nel && rc == SQLITE_OK; i++) {
    const ZcElderRec *rec = w->el[i].rec;
    if (!alive_through(rec, w->next)) continue;
    if (zc_interrupted_every(w->zc, &w->tick, 12)) return SQLITE_INTERRUPT;
    rc = turned(w, rec, 80, N_TURNED_80);
    if (rc == SQLITE_OK) rc = turned(w, rec, 90, N_TURNED_90);
    if (rc == SQLITE_OK) rc = new_status(w, rec, ZC_ST_DISABLED_FULL, -1, N_NEW_DISABLED_FULL);
    if (rc == SQLITE_OK) rc = new_status(w, rec, ZC_ST_DISABLED_SEMI, ZC_ST_DISABLED_FULL, N_NEW_DISABLED_SEMI);
    if (rc == SQLITE_OK) rc = new_status(w, rec, ZC_ST_DIBAO, -1, N_NEW_DIBAO);
    if (rc == SQLITE_OK) rc = new_status(w, rec, ZC_ST_TEKUN, -1, N_NEW_TEKUN);
    if (rc == SQLITE_OK) rc = left_hospital(w, rec);
  }
  return rc;
}

/* Spouses who died in the month, of elders in the region alive at its end. */
static int nw_spouses(NW *w) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(w->zc->db,
                              "SELECT s.elder_id, s.name, coalesce(s.died_on, e.died_on) FROM spouse s "
                              "LEFT JOIN elder e ON s.died_on IS NULL AND e.id_number = s.id_number",
                              -1, &st, NULL);
  if (rc == SQLITE_ERROR && !*w->pzErr) {
    *w->pzErr = sqlite3_mprintf(zc_tr(w->zc, "needs_watch: cannot read table spouse (%s); load sql/schema.sql",
                                      "needs_watch：无法读取配偶表 spouse（%s）；请先载入 sql/schema.sql"),
                                sqlite3_errmsg(w->zc->db));
    return *w->pzErr ? rc : SQLITE_NOMEM;
  }
  if (rc) return nw_sql_error(w, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_type(st, 2) == SQLITE_NULL || sqlite3_column_type(st, 0) != SQLITE_INTEGER) continue;
    sqlite3_int64 *v = zc_map_slot(&w->ix, sqlite3_column_int64(st, 0), 0, NULL);
    if (!v) continue;
    int died = day_col(st, 2);
    if (died == ZC_NONE) {
      char *repr = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 2));
      *w->pzErr = sqlite3_mprintf(zc_tr(w->zc, "needs_watch: spouse of elder %lld: died_on '%s' is not a date 'YYYY-MM-DD'",
                                        "needs_watch：老人 %lld 的配偶：died_on '%s' 不是日期 'YYYY-MM-DD'"),
                                  sqlite3_column_int64(st, 0), repr ? repr : "?");
      sqlite3_free(repr);
      rc = *w->pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      break;
    }
    const ZcElderRec *rec = w->el[*v].rec;
    if (died < w->first || died >= w->next || !alive_through(rec, w->next)) continue;
    char d[11];
    zc_day_format(died, d);
    int alone = status_on(rec, ZC_ST_LIVES_ALONE, w->next - 1);
    const char *name = (const char *)sqlite3_column_text(st, 1);
    char *ev = zc_lang_en(w->zc)
                   ? sqlite3_mprintf("spouse %s died on %s; %s", name ? name : "?", d,
                                     alone ? "lives_alone is recorded" : "lives_alone is not recorded")
                   : sqlite3_mprintf("配偶 %s 于 %s 去世；%s", name ? name : "?", d,
                                     alone ? "已登记独居" : "尚未登记独居");
    if ((rc = need_add(w, N_SPOUSE_DIED, rec, died, ev))) break;
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  return *w->pzErr || rc == SQLITE_NOMEM ? rc : nw_sql_error(w, rc);
}

/* ------------------------------------------------------------ the meals */

/* The meals of [lo, next): each sets its day's bit for its elder, when the
** elder is in the region.  Read in elder order (zc_month_scan: the covering
** meal_elder_time index, seeking past other months), so an elder's row of
** bits is found once and written in place: in time order every meal was a
** lookup in a map of every elder and a write at a random place, which at a
** province (3.4M elders, 54M meals) cost 4.5 times the county's per meal. */
static int nw_meals(NW *w) {
  int maxw = 1;
  for (int i = 0; i < w->nel; i++)
    if ((int)w->el[i].t->needs_quiet_window > maxw) maxw = (int)w->el[i].t->needs_quiet_window;
  w->lo = w->first - 2 * maxw + 1;
  w->last_day = ZC_NONE;
  w->nwords = (w->next - w->lo + 63) / 64;
  w->bits = sqlite3_malloc64((sqlite3_uint64)(w->nel ? w->nel : 1) * (sqlite3_uint64)w->nwords * sizeof *w->bits);
  if (!w->bits) return SQLITE_NOMEM;
  memset(w->bits, 0, (size_t)w->nel * (size_t)w->nwords * sizeof *w->bits);
  if (w->nel == 0) return SQLITE_OK;
  int rc = zc_meal_times_check(w->zc, "needs_watch", w->pzErr);
  if (rc) return rc;
  ZcMonthScan sc;
  if ((rc = zc_month_scan_open(w->zc, "needs_watch", w->lo, w->next, NULL, 0, &sc, w->pzErr))) return rc;
  ZcDayMemo dm;
  memset(&dm, 0, sizeof dm);
  sqlite3_int64 cur = 0;
  uint64_t *row = NULL;   /* cur's bits; NULL: cur is no elder of the region */
  int have = 0;
  while ((rc = zc_month_scan_next(&sc, w->pzErr)) == SQLITE_ROW) {
    if (zc_interrupted_every(w->zc, &w->tick, 16)) { rc = SQLITE_INTERRUPT; break; }
    sqlite3_int64 t;
    if (!zc_time_parse_memo(&dm, sc.at, sc.at_n, &t)) continue;
    int day = (int)(t / ZC_DAY_SECONDS);
    if (day > w->last_day) w->last_day = day;
    if (sqlite3_column_type(sc.st, 0) != SQLITE_INTEGER) continue;
    sqlite3_int64 e = sqlite3_column_int64(sc.st, 0);
    if (!have || e != cur) {
      sqlite3_int64 *v = zc_map_slot(&w->ix, e, 0, NULL);
      row = v ? w->bits + (size_t)*v * (size_t)w->nwords : NULL;
      cur = e;
      have = 1;
    }
    if (!row) continue;
    int k = day - w->lo;
    row[k / 64] |= 1ull << (k % 64);
  }
  zc_month_scan_close(&sc);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc == SQLITE_INTERRUPT || rc == SQLITE_NOMEM || *w->pzErr) return rc;
  return nw_sql_error(w, rc);
}

static int ate(const uint64_t *b, int k) { return (int)(b[k / 64] >> (k % 64) & 1); }
static int days_eaten(const uint64_t *b, int k0, int k1) {
  int n = 0;
  for (int k = k0; k < k1; k++) n += ate(b, k);
  return n;
}

/* gone_quiet of elder i: the earliest day D qualifying (see the top). */
static int gone_quiet(NW *w, int i) {
  const ZcElderRec *rec = w->el[i].rec;
  const Thr *t = w->el[i].t;
  const uint64_t *b = w->bits + (size_t)i * (size_t)w->nwords;
  int W = (int)t->needs_quiet_window;
  for (int D = w->first - W + 1; D + W - 1 < w->next && D + W - 1 <= w->last_day; D++) {
    int k = D - w->lo;
    if (k < W || ate(b, k) || !ate(b, k - 1)) continue;
    int before = days_eaten(b, k - W, k), after = days_eaten(b, k, k + W);
    if (before < t->needs_quiet_regular || after > t->needs_quiet_share * before) continue;
    int hosp = 0;
    for (int d = D; d < D + W && !hosp; d++) hosp = status_on(rec, ZC_ST_HOSPITALIZED, d);
    if (hosp) continue;
    char d[11];
    zc_day_format(D, d);
    char *ev = zc_lang_en(w->zc)
                   ? sqlite3_mprintf("ate on %d of the %d days before %s, then on %d of the %d days from it", before,
                                     W, d, after, W)
                   : sqlite3_mprintf("%s 之前 %d 天中有 %d 天就餐，从 %s 起 %d 天中只有 %d 天就餐", d, W, before, d, W,
                                     after);
    return need_add(w, N_GONE_QUIET, rec, D, ev);
  }
  return SQLITE_OK;
}

static int nw_quiet(NW *w) {
  if (w->last_day == ZC_NONE) return SQLITE_OK;
  for (int i = 0; i < w->nel; i++) {
    if (!alive_through(w->el[i].rec, w->next)) continue;
    if (zc_interrupted_every(w->zc, &w->tick, 12)) return SQLITE_INTERRUPT;
    int rc = gone_quiet(w, i);
    if (rc) return rc;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------- names and sites */

static int need_cmp(const void *pa, const void *pb) {
  const Need *a = pa, *b = pb;
  if (a->elder_id != b->elder_id) return a->elder_id < b->elder_id ? -1 : 1;
  if (a->day != b->day) return a->day < b->day ? -1 : 1;
  return a->reason - b->reason;
}

/* Each row's elder name, and the site the elder usually eats at: the most
** meals in the month and the 60 days before it (ties: the lowest id), else
** the lowest site with an agreement in force on the month's last day. */
static int nw_finish(NW *w) {
  NeedList *l = w->out;
  if (l->n > 1) qsort(l->a, (size_t)l->n, sizeof *l->a, need_cmp);
  sqlite3_stmt *sn = NULL, *ss = NULL;
  int rc = sqlite3_prepare_v2(w->zc->db, "SELECT name FROM elder WHERE id = ?1", -1, &sn, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(w->zc->db,
                            "SELECT site_id FROM meal WHERE elder_id = ?1 AND served_at >= ?2 AND served_at < ?3 "
                            "GROUP BY site_id ORDER BY count(*) DESC, site_id LIMIT 1",
                            -1, &ss, NULL);
  char a[11], b[11];
  zc_day_format(w->first - 60, a);
  zc_day_format(w->next, b);
  for (int i = 0; rc == SQLITE_OK && i < l->n; i++) {
    Need *nd = &l->a[i];
    if (i > 0 && l->a[i - 1].elder_id == nd->elder_id) {
      nd->site_id = l->a[i - 1].site_id;
      nd->name = sqlite3_mprintf("%s", l->a[i - 1].name);
      if (!nd->name) rc = SQLITE_NOMEM;
      continue;
    }
    sqlite3_bind_int64(sn, 1, nd->elder_id);
    if ((rc = sqlite3_step(sn)) == SQLITE_ROW) {
      nd->name = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(sn, 0));
      rc = nd->name ? SQLITE_OK : SQLITE_NOMEM;
    } else if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_reset(sn);
    if (rc) break;
    sqlite3_bind_int64(ss, 1, nd->elder_id);
    sqlite3_bind_text(ss, 2, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(ss, 3, b, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(ss)) == SQLITE_ROW) nd->site_id = sqlite3_column_int64(ss, 0);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    sqlite3_reset(ss);
    const ZcElderRec *rec = NULL;
    if (rc == SQLITE_OK && nd->site_id == 0 && (rec = zc_elder_cached(w->zc, nd->elder_id)))
      for (int k = 0; k < rec->nagree; k++)
        if (rec->agree[k].from < w->next && w->next - 1 < rec->agree[k].to &&
            (nd->site_id == 0 || rec->agree[k].key < nd->site_id))
          nd->site_id = rec->agree[k].key;
  }
  sqlite3_finalize(sn);
  sqlite3_finalize(ss);
  return rc == SQLITE_OK || rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT ? rc : nw_sql_error(w, rc);
}

int needs_run(ZcConn *zc, const char *region, int first, int next, NeedList *out, char **pzErr) {
  NW w;
  memset(&w, 0, sizeof w);
  w.zc = zc;
  w.region = region;
  w.first = first;
  w.next = next;
  w.out = out;
  w.pzErr = pzErr;
  zc_map_init(&w.ix);
  thr_cache_init(&w.tc, zc, first, 1);
  int rc = zc_facts_sync(zc);
  if (rc == SQLITE_OK) rc = zc_regions_load(zc, pzErr);
  if (rc == SQLITE_OK) rc = nw_elders(&w);
  if (rc == SQLITE_OK) rc = nw_record_reasons(&w);
  if (rc == SQLITE_OK) rc = nw_spouses(&w);
  if (rc == SQLITE_OK) rc = nw_meals(&w);
  if (rc == SQLITE_OK) rc = nw_quiet(&w);
  if (rc == SQLITE_OK) rc = nw_finish(&w);
  sqlite3_free(w.el);
  sqlite3_free(w.bits);
  zc_map_clear(&w.ix);
  thr_cache_clear(&w.tc);
  return rc;
}
