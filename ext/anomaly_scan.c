/*
** anomaly_scan.c — anomaly_scan's steps (scan_run), its set-up reads and
** the site checks.
**
** Everything is computed when the cursor is filtered, into an array of
** findings (they are few) which is sorted by (kind, site_id, at, meal_id or
** elder_id) and then emitted.  The steps of scan_run:
**   1. Thresholds: the policy governing each site (each elder's region for
**      gone_quiet), the version in force on the day, its `anomaly` table
**      and `windows`, SPEC defaults for absent entries (anomaly_thr.c).
**      The versions of every named policy on the month's days decide the
**      lookback: a meal just before the month for two_sites, and
**      quiet_window + quiet_days days for gone_quiet.
**   2. The sites (with their governing region and, in the region, counters
**      of recorded meals) and the elders who ever live alone (lookback
**      meals older than the two_sites margin are kept only for them).
**   3. The latest day of any meal read (one descent of meal_time), where
**      gone_quiet stops looking.
**   4. The device pass, with its own read by device (anomaly_dev.c).
**   5. The elders a bounded run at a time: the run's meals read by elder on
**      two threads with the window check (anomaly_read.c), then the elder
**      pass over the run with its records and cards (anomaly_pass.c), then
**      the run is forgotten.  Nothing grows with the meals of the month.
**   6. Per-site counters collected while reading give manual_heavy, and
**      with one read of site_report, over_report.
*/
#include "anomaly.h"
#include "pageread.h"
#include "meals.h"
#include <limits.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------ the scan's life */

void scan_init(Scan *s, ZcConn *zc, const char *region, int first, int next, char **pzErr) {
  memset(s, 0, sizeof *s);
  s->zc = zc;
  s->region = region;
  s->first = first;
  s->next = next;
  s->pzErr = pzErr;
  zc_textmap_init(&s->card_ix, SCAN_ENT_SIZE, 0);
  s->chunk_cap = SCAN_CHUNK;
  /* tests force small runs, so that a small file crosses many boundaries */
  const char *z = getenv("ZHUCAN_SCAN_CHUNK");
  if (z && atoll(z) > 0) s->chunk_cap = atoll(z);
}

void scan_clear(Scan *s) {
  thr_cache_clear(&s->tc);
  for (int i = 0; i < s->nsite; i++) sqlite3_free(s->sites[i].rec);
  sqlite3_free(s->sites);
  sqlite3_free(s->site_dense);
  zc_map_clear(&s->site_ix);
  zc_textmap_clear(&s->card_ix);
  sqlite3_free(s->rcard);
  sqlite3_free(s->rcardb);
  sqlite3_finalize(s->mst);
  zc_pr_close(s->pr);
  sqlite3_free(s->feed);
  sqlite3_finalize(s->cst_run);
  sqlite3_finalize(s->cst_one);
  sqlite3_free(s->tokb);
  sqlite3_free(s->quiet_flag);
  zc_map_clear(&s->quiet_big);
  sqlite3_free(s->m);
  sqlite3_free(s->ekey);
  zc_map_clear(&s->ekey_big);
  sqlite3_free(s->eid);
  sqlite3_free(s->xsite);
  zc_map_clear(&s->xsite_ix);
  zc_map_clear(&s->odd_slot);
  for (int i = 0; i < s->nodd; i++) sqlite3_free(s->odd_words[i]);
  sqlite3_free(s->odd_words);
  findings_clear(&s->out);
}

/* ------------------------------------------------------------- set-up */

/* Slot words interned once: the elder pass counts ordinals with them. */
static int intern_slot_words(Scan *s) {
  for (int i = 0; i < ZC_NSLOT; i++) {
    s->slot_words[i] = zc_intern(s->zc, zc_slot_name(i), -1);
    if (!s->slot_words[i]) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* Every site: its facts, whether it is in the region (then a counter of
** recorded meals by day and slot), its governing row of thresholds; and
** an index by id (an array when the ids are dense). */
static int load_sites(Scan *s) {
  sqlite3_stmt *st = NULL;
  int rc = scan_prepare(s, &st, "SELECT id FROM site ORDER BY id");
  int cap = 0;
  if (rc) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (s->nsite == cap) {
      cap = cap ? cap * 2 : 64;
      ScanSite *ns = sqlite3_realloc64(s->sites, (sqlite3_uint64)cap * sizeof *ns);
      if (!ns) { rc = SQLITE_NOMEM; break; }
      s->sites = ns;
    }
    ScanSite *p = &s->sites[s->nsite++];   /* counted at once: scan_clear frees its rec */
    memset(p, 0, sizeof *p);
    rc = zc_site_facts(s->zc, sqlite3_column_int64(st, 0), &p->f, s->pzErr);
    p->in_region = p->f && p->f->region && zc_region_under(s->zc, p->f->region, s->region);
    if (rc == SQLITE_ERROR && p->f && !p->in_region) {   /* malformed, outside the scan */
      sqlite3_free(*s->pzErr);
      *s->pzErr = NULL;
      rc = SQLITE_OK;
    }
    if (rc) break;
    if (p->in_region) {
      size_t nrec = (size_t)(s->next - s->first) * ZC_NSLOT;
      p->rec = sqlite3_malloc64(nrec * sizeof *p->rec);
      if (!p->rec) { rc = SQLITE_NOMEM; break; }
      memset(p->rec, 0, nrec * sizeof *p->rec);
    }
    if ((rc = thr_row(&s->tc, p->f->region, &p->thr_row, s->pzErr))) break;
    p->thr_days = thr_days(&s->tc, p->thr_row);
    sqlite3_int64 *v = zc_map_slot(&s->site_ix, p->f->id, 1, NULL);
    if (!v) { rc = SQLITE_NOMEM; break; }
    *v = s->nsite - 1;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc;
  /* ids in order: the last is the largest */
  sqlite3_int64 mx = s->nsite ? s->sites[s->nsite - 1].f->id : -1;
  if (s->nsite && s->sites[0].f->id >= 0 && mx < ((sqlite3_int64)1 << 24) && mx <= 4 * (sqlite3_int64)s->nsite + 100000) {
    s->site_dense = sqlite3_malloc64((sqlite3_uint64)(mx + 1) * sizeof *s->site_dense);
    if (!s->site_dense) return SQLITE_NOMEM;
    memset(s->site_dense, 0xff, (size_t)(mx + 1) * sizeof *s->site_dense);  /* -1 */
    for (int i = 0; i < s->nsite; i++) s->site_dense[s->sites[i].f->id] = i;
    s->nsite_dense = mx + 1;
  }
  return SQLITE_OK;
}

/* A row of thresholds for each policy a region names, with the versions
** in force on the month's days (they decide the lookback). */
static int thr_of_month_versions(Scan *s) {
  sqlite3_stmt *st = NULL;
  int rc, row;
  if ((rc = scan_prepare(s, &st, "SELECT DISTINCT policy FROM region WHERE policy IS NOT NULL"))) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    if (!name) { rc = SQLITE_NOMEM; break; }
    if ((rc = thr_policy_row(&s->tc, name, &row, s->pzErr))) break;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The lookback in days: enough for two_sites and gone_quiet under every
** policy that governs a site or a region on a day of the month. */
static int lookback_days(const Scan *s) {
  int lb = 1;
  for (int r = 0; r < s->tc.nthr; r++) {
    const Thr *t = s->tc.thr[r];
    int q = (int)(t->quiet_days + t->quiet_window) + 1;
    int tr = (int)ceil(t->travel_minutes / 1440.0) + 1;
    if (q > lb) lb = q;
    if (tr > lb) lb = tr;
  }
  const Thr *t = &s->tc.none;
  int q = (int)(t->quiet_days + t->quiet_window) + 1;
  if (q > lb) lb = q;
  return lb;
}

/* The days read, [lo, next), and keep_from: two_sites looks back at most
** the largest travel time of any version. */
static void set_read_range(Scan *s) {
  s->lo = s->first - lookback_days(s);
  s->t0 = (sqlite3_int64)s->lo * ZC_DAY_SECONDS;
  double tm = s->tc.none.travel_minutes;
  for (int r = 0; r < s->tc.nthr; r++)
    if (s->tc.thr[r]->travel_minutes > tm) tm = s->tc.thr[r]->travel_minutes;
  s->keep_from = (sqlite3_int64)s->first * ZC_DAY_SECONDS - (sqlite3_int64)ceil(tm * 60) - 1;
}

/* Elders with lives_alone at some time: the only ones whose meals before
** the month (beyond the two_sites margin) matter, for gone_quiet.  A dense
** flag array when ids are dense (as settle.c's), else a map. */
static int load_quiet_flags(Scan *s) {
  sqlite3_stmt *st = NULL;
  int rc = scan_prepare(s, &st, "SELECT max(id), count(*) FROM elder");
  if (rc) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) {
    sqlite3_int64 mx = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
    if (mx >= 0 && mx < ((sqlite3_int64)1 << 28) && mx <= 4 * n + 1000000) s->nquiet = mx + 1;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (s->nquiet) {
    s->quiet_flag = sqlite3_malloc64((sqlite3_uint64)s->nquiet);
    s->ekey = sqlite3_malloc64((sqlite3_uint64)s->nquiet * sizeof *s->ekey);
    if (!s->quiet_flag || !s->ekey) return SQLITE_NOMEM;
    memset(s->quiet_flag, 0, (size_t)s->nquiet);
    memset(s->ekey, 0xff, (size_t)s->nquiet * sizeof *s->ekey);  /* -1 */
  }
  if ((rc = scan_prepare(s, &st, "SELECT elder_id FROM elder_status WHERE status = 'lives_alone'"))) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_int64 id = sqlite3_column_int64(st, 0);
    if (id >= 0 && id < s->nquiet) s->quiet_flag[id] = 1;
    else if (!zc_map_slot(&s->quiet_big, id, 1, NULL)) { rc = SQLITE_NOMEM; break; }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* -------------------------------------------------------- site checks */

/* manual_heavy: a site whose manual meals are more than manual_share of
** its meals in the month (thresholds of the month's first day). */
static int check_manual_heavy(Scan *s) {
  int rc;
  char month[8];
  zc_month_format(s->first, month);
  for (int i = 0; i < s->nsite; i++) {
    ScanSite *p = &s->sites[i];
    if (!p->in_region || p->meals == 0) continue;
    const Thr *t;
    if ((rc = thr_get(&s->tc, p->thr_row, s->first, &t, s->pzErr))) return rc;
    double share = (double)p->manual / (double)p->meals;
    if ((double)p->manual - t->manual_share * (double)p->meals > 1e-9 * (double)p->meals) {
      if ((rc = finding_add(&s->out, K_MANUAL_HEAVY, p->f->id, 0, 0, s->first, 1, 0,
                            zc_lang_en(s->zc)
                                ? sqlite3_mprintf("%lld of %lld meals in %s recorded by hand (%.1f%%), above "
                                                  "the %g%% limit",
                                                  p->manual, p->meals, month, share * 100, t->manual_share * 100)
                                : sqlite3_mprintf("%s 共 %lld 餐，其中手工登记 %lld 餐（%.1f%%），超过 %g%% 的上限",
                                                  month, p->meals, p->manual, share * 100,
                                                  t->manual_share * 100))))
        return rc;
    }
  }
  return SQLITE_OK;
}

/* over_report: the diners each site reported for a day and slot against
** the meals recorded (counted while reading). */
static int check_over_report(Scan *s) {
  int rc;
  sqlite3_stmt *st = NULL;
  char d1[11], b[11];
  zc_day_format(s->first, d1);
  zc_day_format(s->next, b);
  if ((rc = scan_prepare(s, &st, "SELECT site_id, day, slot, diners FROM site_report WHERE day >= ?1 AND day < ?2")))
    return rc;
  sqlite3_bind_text(st, 1, d1, 10, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, b, 10, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int ix = scan_site_lookup(s, sqlite3_column_int64(st, 0));
    if (ix < 0 || !s->sites[ix].in_region) continue;
    int day = day_col(st, 1);
    if (day == ZC_NONE || day < s->first || day >= s->next) continue;
    const char *slot = (const char *)sqlite3_column_text(st, 2);
    int sl = slot ? slot_code(slot, sqlite3_column_bytes(st, 2)) : -1;
    sqlite3_int64 diners = sqlite3_column_int64(st, 3), recorded = 0;
    if (sl >= 0) recorded = s->sites[ix].rec[(day - s->first) * ZC_NSLOT + sl];
    const Thr *t;
    ScanSite *p = &s->sites[ix];
    if ((rc = thr_get(&s->tc, p->thr_row, day, &t, s->pzErr))) break;
    if ((double)(diners - recorded) > t->report_tolerance) {
      char d[11];
      zc_day_format(day, d);
      if ((rc = finding_add(&s->out, K_OVER_REPORT, p->f->id, 0, 0, day, 1, sl < 0 ? 3 : sl,
                            zc_lang_en(s->zc)
                                ? sqlite3_mprintf("reported %lld diners for %s on %s, %lld meals recorded", diners,
                                                  slot ? slot : "NULL", d, recorded)
                                : sqlite3_mprintf("%s %s上报就餐 %lld 人，实际记录 %lld 餐", d,
                                                  slot ? slot_label(s->zc, slot) : "NULL", diners, recorded))))
        break;
    }
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  else if (rc != SQLITE_NOMEM && !*s->pzErr)
    *s->pzErr = sqlite3_mprintf(zc_tr(s->zc, "anomaly_scan: reading site_report: %s", "anomaly_scan：读取 site_report 时出错：%s"), sqlite3_errmsg(s->zc->db));
  sqlite3_finalize(st);
  return rc;
}

/* ------------------------------------------------------------ the run */

/* The latest day of any meal read (gone_quiet looks no further): served_at
** is a valid time (zc_meal_times_check), so the largest text is the latest
** time; one descent of meal_time. */
static int last_day(Scan *s) {
  sqlite3_stmt *st = NULL;
  char a[11], b[11];
  int rc = scan_prepare(s, &st, "SELECT max(served_at) FROM meal WHERE served_at >= ?1 AND served_at < ?2");
  if (rc) return rc;
  zc_day_format(s->lo, a);
  zc_day_format(s->next, b);
  sqlite3_bind_text(st, 1, a, 10, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, b, 10, SQLITE_STATIC);
  s->last_data_day = ZC_NONE;
  if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    sqlite3_int64 at;
    if (t && zc_time_parse(t, sqlite3_column_bytes(st, 0), &at)) s->last_data_day = (int)(at / ZC_DAY_SECONDS);
    rc = SQLITE_OK;
  } else if (!*s->pzErr && rc != SQLITE_NOMEM) {
    *s->pzErr = sqlite3_mprintf(zc_tr(s->zc, "anomaly_scan: reading meals: %s", "anomaly_scan：读取就餐记录时出错：%s"),
                                sqlite3_errmsg(s->zc->db));
  }
  sqlite3_finalize(st);
  return rc;
}

/* Forgets the run's elders (their keys) and odd slot words by meal id. */
static void run_reset(Scan *s) {
  for (int k = 0; k < s->neld; k++)
    if (s->eid[k] >= 0 && s->eid[k] < s->nquiet) s->ekey[s->eid[k]] = -1;
  zc_map_clear(&s->ekey_big);
  zc_map_clear(&s->odd_slot);
  s->neld = 0;
  s->nm = 0;
  s->ntokb = 0;
}

int scan_run(Scan *s) {
  int rc;
  if ((rc = zc_facts_sync(s->zc))) return rc;
  /* a meal whose served_at no month holds must not vanish from the scan */
  if ((rc = zc_meal_times_check(s->zc, "anomaly_scan", s->pzErr))) return rc;
  if ((rc = intern_slot_words(s))) return rc;
  /* Thresholds of every policy a region names, on every day read: the
  ** versions in force on the month's days decide the lookback, then the
  ** days before are looked up too, before any thread starts (the worker
  ** reads them, and never reaches the policy runtime). */
  thr_cache_init(&s->tc, s->zc, s->first, s->next - s->first);
  if ((rc = thr_of_month_versions(s))) return rc;
  set_read_range(s);
  if ((rc = thr_cache_widen(&s->tc, s->lo, s->pzErr))) return rc;
  if ((rc = load_sites(s))) return rc;
  if ((rc = load_quiet_flags(s))) return rc;
  if ((rc = last_day(s))) return rc;
  /* the device pass beside the elder runs when it can be (else after) */
  DevPar *dp = scan_device_start(s);
  /* the elders a bounded run at a time: read, checked, forgotten */
  do {
    if ((rc = scan_load_meals(s))) break;
    if ((rc = scan_elder_pass(s))) break;
    run_reset(s);
  } while (!s->mdone);
  if ((rc = scan_device_finish(s, dp, rc))) return rc;
  sqlite3_free(s->m);   /* the largest run's room */
  s->m = NULL;
  s->capm = 0;
  if ((rc = check_manual_heavy(s))) return rc;
  if ((rc = check_over_report(s))) return rc;
  findings_sort(&s->out);
  return SQLITE_OK;
}
