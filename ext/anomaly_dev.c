/*
** anomaly_dev.c — anomaly_scan's device pass (scan_device_pass): card_burst,
** with its own read of the meals by device, one device at a time.
**
** The read steps the index meal_device_time (device, served_at; the rowid
** is the meal id) over [lo, next) in (device, served_at, id) order, seeking
** past other months, and touches no table row.  The index has no method,
** site or elder, so a first look marks, among all the device's meals
** whatever their method, every window of the smallest burst_count of any
** policy version within the largest burst_seconds, and joins marked meals
** at most that largest burst_seconds apart into stretches.  Only the meals
** of a stretch are looked up by id (method, site, elder) and checked
** exactly as before: the card/face meals (kept as the read of the elders
** keeps them: lookback meals before keep_from only of elders who live
** alone at some time), each window with the thresholds of its first meal.
** Every window and every run the exact check marks lies inside one
** stretch (docs/anomalies.md shows why), so the findings are those of
** checking all the device's card/face meals.  Memory: one device's meals
** of the days read (16 bytes each), then a stretch's.
*/
#include "anomaly.h"
#include <limits.h>
#include <math.h>
#include <string.h>

/* A meal of the device as the index gives it. */
typedef struct DevRow {
  sqlite3_int64 id;
  int rt;             /* seconds from s->t0 */
} DevRow;

struct DevRead {
  Scan *s;
  sqlite3_stmt *st, *look;
  char ra[11], rb[11];
  DevRow *row;        /* the current device's meals */
  int n, cap;
  char *name;         /* the current device (sqlite3_malloc'd) */
  int nname;
  int need;           /* the smallest burst_count of any version */
  double secs;        /* the largest burst_seconds */
  unsigned char *mark; /* the first look's marks, room for cap */
  int capmark;
  Meal *dm;           /* a stretch's card/face meals */
  sqlite3_int64 *elder;
  int capdm;
  ZcDayMemo memo;
  char *seek;         /* where the read seeks next (dev_seek) */
  int nseek;
  const char *seek_day;
  int rc;             /* an error met in dev_feed_row */
};

/* ---------------------------------------------------- the exact check */

/* Every window of burst_count meals of one device (dm[a..b)) whose first
** and last are at most burst_seconds apart marks its meals (thresholds of
** its first meal). */
static void mark_bursts(Scan *s, const Meal *dm, int a, int b, unsigned char *mark) {
  for (int i = a; i < b; i++) {
    const Meal *m = &dm[i];
    const Thr *t = site_thr(s, m);
    int need = (int)ceil(t->burst_count);
    int j = i + need - 1;
    if (j >= b) continue;
    if ((double)(dm[j].rt - m->rt) <= t->burst_seconds) memset(mark + i, 1, (size_t)need);
  }
}

/* card_burst: each marked meal in scope, with the run of marked meals
** around it; a run ends where the next marked meal is more than
** burst_seconds later (it belongs to another burst, perhaps another day). */
static int report_bursts(Scan *s, const DevRead *d, int a, int b, const unsigned char *mark) {
  int rc = SQLITE_OK;
  const Meal *dm = d->dm;
  for (int i = a; i < b;) {
    if (!mark[i]) { i++; continue; }
    const Thr *t = site_thr(s, &dm[i]);
    int j = i + 1;
    while (j < b && mark[j] && (double)(dm[j].rt - dm[j - 1].rt) <= t->burst_seconds) j++;
    const Meal *f = &dm[i], *l = &dm[j - 1];
    char c1[9], c2[9];
    fmt_clock(meal_t(s, f), c1);
    fmt_clock(meal_t(s, l), c2);
    for (int x = i; x < j; x++) {
      const Meal *m = &dm[x];
      if (!m->in_scope) continue;
      if ((rc = finding_add(&s->out, K_CARD_BURST, meal_site(s, m), d->elder[x], m->id, meal_t(s, m), 0, 0,
                            zc_lang_en(s->zc)
                                ? sqlite3_mprintf("%d card/face meals on device %s within %lld s (%s to %s)", j - i,
                                                  d->name, (sqlite3_int64)(l->rt - f->rt), c1, c2)
                                : sqlite3_mprintf("设备 %s 在 %lld 秒内记录了 %d 次刷卡/刷脸就餐（%s 至 %s）",
                                                  d->name, (sqlite3_int64)(l->rt - f->rt), j - i, c1, c2))))
        return rc;
    }
    i = j;
  }
  return rc;
}

static int quiet_flag(const Scan *s, sqlite3_int64 id) {
  if (id >= 0 && id < s->nquiet) return s->quiet_flag[id];
  return zc_map_slot((ZcMap *)&s->quiet_big, id, 0, NULL) != NULL;
}

/* The meal of row r looked up: 1 and m (and *elder) when it is a card or
** face meal the scan keeps, else 0; < 0 an error code negated. */
static int dev_meal(DevRead *d, const DevRow *r, Meal *m, sqlite3_int64 *elder) {
  Scan *s = d->s;
  sqlite3_bind_int64(d->look, 1, r->id);
  int rc = sqlite3_step(d->look);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(d->look);
    return rc == SQLITE_DONE ? 0 : -rc;
  }
  sqlite3_value *v = sqlite3_column_value(d->look, 0);
  const char *z = (const char *)sqlite3_value_text(v);
  int n = sqlite3_value_bytes(v);
  int cf = z && ((n == 4 && memcmp(z, "card", 4) == 0) || (n == 4 && memcmp(z, "face", 4) == 0));
  sqlite3_int64 site = sqlite3_value_int64(sqlite3_column_value(d->look, 1));
  *elder = sqlite3_value_int64(sqlite3_column_value(d->look, 2));
  sqlite3_reset(d->look);
  sqlite3_int64 t = s->t0 + r->rt;
  if (!cf || (t < s->keep_from && !quiet_flag(s, *elder))) return 0;
  memset(m, 0, sizeof *m);
  m->id = r->id;
  m->rt = r->rt;
  m->day = (int)(t / ZC_DAY_SECONDS);
  m->tok = -1;
  if ((rc = scan_site_index(s, site, &m->site_ix))) return -rc;
  m->in_scope = m->day >= s->first && m->site_ix >= 0 && s->sites[m->site_ix].in_region;
  return 1;
}

/* The exact check of the stretch row[a..b]: its card/face meals. */
static int check_stretch(DevRead *d, int a, int b) {
  int n = 0, rc;
  if (b - a + 1 > d->capdm) {
    int ncap = b - a + 1 + 64;
    Meal *nm = sqlite3_realloc64(d->dm, (sqlite3_uint64)ncap * sizeof *nm);
    if (nm) d->dm = nm;
    sqlite3_int64 *ne = sqlite3_realloc64(d->elder, (sqlite3_uint64)ncap * sizeof *ne);
    if (ne) d->elder = ne;
    if (!nm || !ne) return SQLITE_NOMEM;
    d->capdm = ncap;
  }
  for (int i = a; i <= b; i++) {
    int k = dev_meal(d, &d->row[i], &d->dm[n], &d->elder[n]);
    if (k < 0) return -k;
    n += k;
  }
  unsigned char *mark = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!mark) return SQLITE_NOMEM;
  memset(mark, 0, (size_t)n + 1);
  mark_bursts(d->s, d->dm, 0, n, mark);
  rc = report_bursts(d->s, d, 0, n, mark);
  sqlite3_free(mark);
  return rc;
}

/* ---------------------------------------------------- the first look */

/* The device's meals (d->row): marks with the loosest thresholds, then the
** exact check of each stretch of marked meals. */
static int check_device(DevRead *d) {
  int n = d->n, need = d->need;
  if (n < need) return SQLITE_OK;
  if (n > d->capmark) {
    sqlite3_free(d->mark);
    d->capmark = 0;
    if (!(d->mark = sqlite3_malloc64((sqlite3_uint64)d->cap + 1))) return SQLITE_NOMEM;
    d->capmark = d->cap;
  }
  unsigned char *mark = d->mark;
  memset(mark, 0, (size_t)n);
  int any = 0;
  for (int i = 0; i + need - 1 < n; i++)
    if ((double)(d->row[i + need - 1].rt - d->row[i].rt) <= d->secs) {
      memset(mark + i, 1, (size_t)need);
      any = 1;
    }
  if (!any) return SQLITE_OK;
  for (int i = 0; i < n;) {
    if (!mark[i]) { i++; continue; }
    int last = i;
    for (int k = i + 1; k < n && (double)(d->row[k].rt - d->row[last].rt) <= d->secs; k++)
      if (mark[k]) last = k;
    int rc = check_stretch(d, i, last);
    if (rc) return rc;
    i = last + 1;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------------ the read */

/* The smallest burst_count and the largest burst_seconds of the versions
** in force on any day read (and of no policy). */
static void loosest(const Scan *s, int *need, double *secs) {
  const Thr *t = &s->tc.none;
  *need = (int)ceil(t->burst_count);
  *secs = t->burst_seconds;
  for (int r = 0; r < s->tc.nthr; r++) {
    t = s->tc.thr[r];
    if ((int)ceil(t->burst_count) < *need) *need = (int)ceil(t->burst_count);
    if (t->burst_seconds > *secs) *secs = t->burst_seconds;
  }
}

/* served_at (text, n bytes) against a day 'YYYY-MM-DD' as SQLite's BINARY
** collation compares them. */
static int text_cmp10(const char *t, int n, const char *day) {
  int k = memcmp(t, day, (size_t)(n < 10 ? n : 10));
  return k ? k : n - 10;
}

/* Notes a seek of the read to (device z of n bytes, served_at day), or
** past the device z when day is NULL (z and a zero byte: after z, before
** any longer text): made by dev_steps once the step has returned.  z may
** be the row's own text: copied. */
static int dev_seek(DevRead *d, const char *z, int n, const char *day) {
  char *p = sqlite3_malloc(n + 1);
  if (!p) return SQLITE_NOMEM;
  memcpy(p, z, (size_t)n);
  p[n] = 0;
  sqlite3_free(d->seek);
  d->seek = p;
  d->nseek = day ? n : n + 1;
  d->seek_day = day;
  return SQLITE_OK;
}

/* Adds a meal (id, served at t) to the current device (a new device, z of
** n bytes, first checks and drops the last).  SQLITE_OK, or an error. */
static int dev_row(DevRead *d, const char *z, int n, sqlite3_int64 id, sqlite3_int64 t) {
  int rc;
  if (n != d->nname || memcmp(z, d->name, (size_t)n) != 0) {
    if ((rc = check_device(d))) return rc;
    d->n = 0;
    char *nm = sqlite3_realloc64(d->name, (sqlite3_uint64)n + 1);
    if (!nm) return SQLITE_NOMEM;
    memcpy(nm, z, (size_t)n);
    nm[n] = 0;
    d->name = nm;
    d->nname = n;
  }
  if (d->n == d->cap) {
    int ncap = d->cap ? d->cap * 2 : 1024;
    DevRow *nr = sqlite3_realloc64(d->row, (sqlite3_uint64)ncap * sizeof *nr);
    if (!nr) return SQLITE_NOMEM;
    d->row = nr;
    d->cap = ncap;
  }
  d->row[d->n].id = id;
  d->row[d->n].rt = (int)(t - d->s->t0);
  d->n++;
  return SQLITE_OK;
}

/* One row of the index (v: device, served_at, id), called by the read's
** statement (zhucan_scan_row): 0 taken or passed over, 1 the read must
** seek (dev_seek noted where), or an error code negated. */
static int dev_feed_row(DevRead *d, sqlite3_value **v) {
  Scan *s = d->s;
  int rc;
  sqlite3_int64 t;
  if (scan_stop(s, 1, 14)) return -SQLITE_INTERRUPT;
  const char *z = (const char *)sqlite3_value_text(v[0]);
  int n = sqlite3_value_bytes(v[0]);
  if (!z) return -SQLITE_NOMEM;
  /* only a text device can be sought (blobs sort after all text) */
  int seekable = sqlite3_value_type(v[0]) == SQLITE_TEXT;
  if (n == 0) {   /* an empty device is no device */
    if (!seekable) return 0;
    return (rc = dev_seek(d, z, 0, NULL)) ? -rc : 1;
  }
  const char *at = sqlite3_value_type(v[1]) == SQLITE_TEXT ? (const char *)sqlite3_value_text(v[1]) : NULL;
  int nat = sqlite3_value_bytes(v[1]), early, late;
  if (at) {
    early = text_cmp10(at, nat, d->ra) < 0;
    late = !early && text_cmp10(at, nat, d->rb) >= 0;
  } else {
    early = sqlite3_value_type(v[1]) != SQLITE_BLOB;   /* NULL and numbers sort first */
    late = !early;
  }
  if (!early && !late) {
    if (zc_time_parse_memo(&d->memo, at, nat, &t) && (rc = dev_row(d, z, n, sqlite3_value_int64(v[2]), t)))
      return -rc;
    return 0;
  }
  /* another month of this device: seek to its days read, or past it */
  if (!seekable) return 0;
  return (rc = dev_seek(d, z, n, early ? d->ra : NULL)) ? -rc : 1;
}

void scan_dev_func(sqlite3_context *ctx, DevRead *d, int argc, sqlite3_value **argv) {
  if (argc != 4) {
    sqlite3_result_error(ctx, "zhucan_scan_row: wrong number of arguments", -1);
    return;
  }
  int k = dev_feed_row(d, argv + 1);
  if (k < 0) {
    d->rc = -k;
    sqlite3_result_error_code(ctx, -k);
  } else {
    sqlite3_result_int(ctx, k);
  }
}

/* Steps through the index, a device at a time: the rows are taken by
** dev_feed_row as the statement meets them; a row is returned only when
** the read must seek. */
static int dev_steps(DevRead *d) {
  int rc;
  while ((rc = sqlite3_step(d->st)) == SQLITE_ROW) {
    sqlite3_reset(d->st);
    sqlite3_bind_text(d->st, 1, d->seek, d->nseek, sqlite3_free);
    d->seek = NULL;
    sqlite3_bind_text(d->st, 2, d->seek_day ? d->seek_day : "", d->seek_day ? 10 : 0, SQLITE_STATIC);
  }
  if (rc != SQLITE_DONE) return d->rc != SQLITE_OK ? d->rc : rc;
  return check_device(d);
}

int scan_device_pass(Scan *s) {
  DevRead d;
  memset(&d, 0, sizeof d);
  d.s = s;
  loosest(s, &d.need, &d.secs);
  zc_day_format(s->lo, d.ra);
  zc_day_format(s->next, d.rb);
  int rc = scan_prepare(s, &d.st,
                        "SELECT device, served_at, id FROM meal "
                        "WHERE (device, served_at) >= (?1, ?2) AND zhucan_scan_row(?3, device, served_at, id) "
                        "ORDER BY device, served_at, id");
  if (rc == SQLITE_OK) rc = scan_prepare(s, &d.look, "SELECT method, site_id, elder_id FROM meal WHERE id = ?1");
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(d.st, 1, "", 0, SQLITE_STATIC);
    sqlite3_bind_text(d.st, 2, d.ra, 10, SQLITE_STATIC);
    sqlite3_bind_pointer(d.st, 3, &d, SCAN_DEV_PTR, NULL);
    rc = dev_steps(&d);
    if (rc != SQLITE_OK && rc != SQLITE_NOMEM && rc != SQLITE_INTERRUPT && !*s->pzErr)
      *s->pzErr = sqlite3_mprintf(zc_tr(s->zc, "anomaly_scan: reading meals: %s", "anomaly_scan：读取就餐记录时出错：%s"),
                                  sqlite3_errmsg(s->zc->db));
  }
  sqlite3_finalize(d.st);
  sqlite3_finalize(d.look);
  sqlite3_free(d.row);
  sqlite3_free(d.name);
  sqlite3_free(d.mark);
  sqlite3_free(d.dm);
  sqlite3_free(d.elder);
  sqlite3_free(d.seek);
  return rc;
}
