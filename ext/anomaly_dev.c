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
#include "pageread.h"
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A meal of the device as the index gives it. */
typedef struct DevRow {
  sqlite3_int64 id;
  int rt;             /* seconds from s->t0 */
} DevRow;

struct DevRead {
  int kind;           /* SCAN_DEV: first, as the pointer's kind */
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
  sqlite3 *db;        /* the connection read: the scan's, or its own (DevPar) */
  int calling;        /* 1: on the calling thread (it polls for interrupts) */
  ZcPr *pr;           /* the read from the file's pages, when it can be (pageread.h) */
  FindingList out;    /* the pass's findings (moved to the scan's at the end) */
  char *err;          /* the pass's error message */
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
static int report_bursts(Scan *s, DevRead *d, int a, int b, const unsigned char *mark) {
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
      if ((rc = finding_add(&d->out, K_CARD_BURST, meal_site(s, m), d->elder[x], m->id, meal_t(s, m), 0, 0,
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
  /* read only (the pass may run beside the elder runs): a site not in
  ** table site is never in scope, and its meals take no policy's
  ** thresholds (site_thr) */
  int ix = scan_site_lookup(s, site);
  m->site_ix = ix >= 0 ? ix : -1;
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

/* A row of the index: device, served_at, id, as SQLite gives them
** (dev_vals) or as the file holds them (dev_steps_raw). */
typedef struct DevVals {
  int dty, aty;       /* the device's and served_at's types */
  const char *z, *at; /* their text (NULL: NULL, or out of memory) */
  int n, nat;
  sqlite3_int64 id;
} DevVals;

static void dev_vals(DevVals *r, sqlite3_value **v) {
  r->dty = sqlite3_value_type(v[0]);
  r->aty = sqlite3_value_type(v[1]);
  r->z = (const char *)sqlite3_value_text(v[0]);
  r->n = sqlite3_value_bytes(v[0]);
  r->at = r->aty == SQLITE_TEXT ? (const char *)sqlite3_value_text(v[1]) : NULL;
  r->nat = sqlite3_value_bytes(v[1]);
  r->id = sqlite3_value_int64(v[2]);
}

/* One row of the index, called by the read's statement
** (zhucan_scan_row) or the read of the file's pages: 0 taken or passed
** over, 1 the read must seek (dev_seek noted where), or an error code
** negated. */
static int dev_feed_row(DevRead *d, const DevVals *r) {
  Scan *s = d->s;
  int rc;
  sqlite3_int64 t;
  if (scan_stop(s, d->calling, 14)) return -SQLITE_INTERRUPT;
  const char *z = r->z;
  int n = r->n;
  if (!z) return -SQLITE_NOMEM;
  /* only a text device can be sought (blobs sort after all text) */
  int seekable = r->dty == SQLITE_TEXT;
  if (n == 0) {   /* an empty device is no device */
    if (!seekable) return 0;
    return (rc = dev_seek(d, z, 0, NULL)) ? -rc : 1;
  }
  const char *at = r->at;
  int nat = r->nat, early, late;
  if (at) {
    early = zc_cmp_day(at, nat, d->ra) < 0;
    late = !early && zc_cmp_day(at, nat, d->rb) >= 0;
  } else {
    early = r->aty != SQLITE_BLOB;   /* NULL and numbers sort first */
    late = !early;
  }
  if (!early && !late) {
    if (zc_time_parse_memo(&d->memo, at, nat, &t) && (rc = dev_row(d, z, n, r->id, t)))
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
  DevVals r;
  dev_vals(&r, argv + 1);
  int k = dev_feed_row(d, &r);
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
/* dev_steps from the file's pages (d->pr): the same rows in the same
** order, fed the same way; a seek is the cursor's. */
static int dev_steps_raw(DevRead *d) {
  ZcPrVal key[2], v[3];
  memset(key, 0, sizeof key);
  key[0].type = key[1].type = SQLITE_TEXT;
  key[0].z = "";
  key[1].z = d->ra;
  key[1].n = 10;
  int rc = zc_pr_seek(d->pr, key, 2);
  while (rc == SQLITE_OK && !zc_pr_eof(d->pr)) {
    if ((rc = zc_pr_row(d->pr, v, 3))) break;
    DevVals r;
    if (v[0].type == SQLITE_TEXT && v[1].type == SQLITE_TEXT && v[2].type == SQLITE_INTEGER) {
      r.dty = r.aty = SQLITE_TEXT;
      r.z = v[0].z;
      r.n = v[0].n;
      r.at = v[1].z;
      r.nat = v[1].n;
      r.id = v[2].i;
    } else {
      /* other types: SQLite's conversions, as the statement's */
      sqlite3_value *cv[3];
      if ((rc = zc_pr_values(d->pr, v, 3, cv))) break;
      dev_vals(&r, cv);
    }
    int k = dev_feed_row(d, &r);
    if (k < 0) return -k;
    if (k == 1) {
      key[0].z = d->seek;
      key[0].n = d->nseek;
      key[1].z = d->seek_day ? d->seek_day : "";
      key[1].n = d->seek_day ? 10 : 0;
      rc = zc_pr_seek(d->pr, key, 2);
    } else {
      rc = zc_pr_next(d->pr);
    }
  }
  if (rc == SQLITE_OK) return check_device(d);
  if (rc != SQLITE_NOMEM && rc != SQLITE_INTERRUPT && !d->err)
    d->err = sqlite3_mprintf(zc_tr(d->s->zc, "anomaly_scan: reading meals: the database file is malformed (index meal_device_time, %s)",
                                   "anomaly_scan：读取就餐记录时出错：数据库文件已损坏（索引 meal_device_time，%s）"),
                             zc_pr_errmsg(d->pr, zc_lang_en(d->s->zc)));
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
}

static int dev_steps(DevRead *d) {
  int rc;
  if (d->pr) return dev_steps_raw(d);
  while ((rc = sqlite3_step(d->st)) == SQLITE_ROW) {
    sqlite3_reset(d->st);
    sqlite3_bind_text(d->st, 1, d->seek, d->nseek, sqlite3_free);
    d->seek = NULL;
    sqlite3_bind_text(d->st, 2, d->seek_day ? d->seek_day : "", d->seek_day ? 10 : 0, SQLITE_STATIC);
  }
  if (rc != SQLITE_DONE) return d->rc != SQLITE_OK ? d->rc : rc;
  return check_device(d);
}

/* Prepares sql on the pass's connection; on error, the pass's message. */
static int dev_prepare(DevRead *d, sqlite3_stmt **st, const char *sql) {
  int rc = sqlite3_prepare_v2(d->db, sql, -1, st, NULL);
  if (rc != SQLITE_OK && rc != SQLITE_INTERRUPT && !d->err)
    d->err = sqlite3_mprintf("anomaly_scan: cannot read the input tables (%s); load sql/schema.sql", sqlite3_errmsg(d->db));
  return rc;
}

/* The whole pass on d->db; the findings in d->out, an error in d->err. */
static int dev_run(DevRead *d) {
  Scan *s = d->s;
  zc_day_format(s->lo, d->ra);
  zc_day_format(s->next, d->rb);
  int rc = dev_prepare(d, &d->st,
                       "SELECT device, served_at, id FROM meal "
                       "WHERE (device, served_at) >= (?1, ?2) AND zhucan_scan_row(?3, device, served_at, id) "
                       "ORDER BY device, served_at, id");
  if (rc == SQLITE_OK) rc = dev_prepare(d, &d->look, "SELECT method, site_id, elder_id FROM meal WHERE id = ?1");
  if (rc == SQLITE_OK) {
    static const char *const cols[2] = {"device", "served_at"};
    const char *why = NULL;
    /* the index's rowid is the statement's id only when id is the rowid */
    d->pr = zc_pr_open(d->db, "meal", "meal_device_time", cols, 2, "id", &why);
    if (getenv("ZHUCAN_SCAN_TRACE"))
      fprintf(stderr, "anomaly_scan: meals by device read %s%s%s\n", d->pr ? "from the file's pages" : "through SQLite",
              why ? ": " : "", why ? why : "");
  }
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(d->st, 1, "", 0, SQLITE_STATIC);
    sqlite3_bind_text(d->st, 2, d->ra, 10, SQLITE_STATIC);
    d->kind = SCAN_DEV;
    sqlite3_bind_pointer(d->st, 3, d, SCAN_PTR, NULL);
    rc = dev_steps(d);
    if (rc != SQLITE_OK && rc != SQLITE_NOMEM && rc != SQLITE_INTERRUPT && !d->err)
      d->err = sqlite3_mprintf(zc_tr(s->zc, "anomaly_scan: reading meals: %s", "anomaly_scan：读取就餐记录时出错：%s"),
                               sqlite3_errmsg(d->db));
  }
  sqlite3_finalize(d->st);
  sqlite3_finalize(d->look);
  zc_pr_close(d->pr);
  d->st = d->look = NULL;
  d->pr = NULL;
  return rc;
}

/* Frees what the pass holds but its findings and message. */
static void dev_free(DevRead *d) {
  sqlite3_free(d->row);
  sqlite3_free(d->name);
  sqlite3_free(d->mark);
  sqlite3_free(d->dm);
  sqlite3_free(d->elder);
  sqlite3_free(d->seek);
}

/* The pass's findings before the scan's (the order they had when the pass
** ran first: findings_sort then sorts them all). */
static int dev_merge(Scan *s, DevRead *d) {
  int rc = findings_move(&d->out, &s->out);
  if (rc) return rc;
  FindingList t = s->out;
  s->out = d->out;
  d->out = t;
  return SQLITE_OK;
}

/* The pass on the calling thread and the scan's connection. */
static int dev_inline(Scan *s) {
  DevRead d;
  memset(&d, 0, sizeof d);
  d.s = s;
  d.db = s->zc->db;
  d.calling = 1;
  loosest(s, &d.need, &d.secs);
  int rc = dev_run(&d);
  dev_free(&d);
  if (rc == SQLITE_OK) rc = dev_merge(s, &d);
  findings_clear(&d.out);
  if (d.err && !*s->pzErr) *s->pzErr = d.err;
  else sqlite3_free(d.err);
  return rc;
}

/* -------------------------------------------- beside the elder runs */

/* The pass on a thread of its own, reading through a connection of its
** own, while the calling thread reads and checks the elder runs: the two
** reads are the scan's largest costs and need no result of each other.
** Taken only when the second connection must see what the scan's sees:
** the scan's connection is in a read transaction (no write of its own
** pending) on a database file in a rollback-journal mode (its shared lock
** keeps every writer from committing until the scan ends; in WAL mode a
** writer could commit between the two connections' snapshots), no temp
** table shadows meal, and the new connection finds the same schema
** cookie and page count.  Otherwise, or when the thread or the connection
** fails (busy, out of memory...), the pass runs on the calling thread
** after the runs, as it did before. */
struct DevPar {
  DevRead d;
  sqlite3 *db;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done, rc;
};

static void *dev_thread(void *arg) {
  DevPar *p = arg;
  int rc = dev_run(&p->d);
  pthread_mutex_lock(&p->mu);
  p->rc = rc;
  p->done = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* An integer a statement on db gives (-1: none, or an error). */
static sqlite3_int64 db_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  sqlite3_int64 x = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
      sqlite3_column_type(st, 0) == SQLITE_INTEGER)
    x = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return x;
}

/* ZHUCAN_SCAN_TRACE=1: says on stderr where the device pass ran and why
** (for the tests, and for a user asking why a scan is slow). */
static void dev_trace(const char *what, const char *why) {
  if (getenv("ZHUCAN_SCAN_TRACE")) fprintf(stderr, "anomaly_scan: device pass %s%s%s\n", what, why ? ": " : "", why ? why : "");
}

/* NULL when the scan's connection may be read beside by another
** connection, else why not. */
static const char *dev_par_refused(sqlite3 *db) {
  const char *file = sqlite3_db_filename(db, "main");
  if (!scan_threads_allowed()) return "ZHUCAN_NO_THREADS";
  if (getenv("ZHUCAN_SCAN_ONE_CONNECTION")) return "ZHUCAN_SCAN_ONE_CONNECTION";
  if (!file || !*file) return "no database file";
  if (sqlite3_txn_state(db, "main") != SQLITE_TXN_READ) return "not in a read transaction (a write may be pending)";
  sqlite3_stmt *st = NULL;
  int ok = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA main.journal_mode", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const char *m = (const char *)sqlite3_column_text(st, 0);
    ok = m && sqlite3_stricmp(m, "wal") != 0 && sqlite3_stricmp(m, "memory") != 0 && sqlite3_stricmp(m, "off") != 0;
  }
  sqlite3_finalize(st);
  if (!ok) return "journal mode wal, memory or off";
  if (db_int(db, "SELECT count(*) FROM temp.sqlite_master WHERE name = 'meal'") != 0) return "a temp table meal";
  return NULL;
}

/* The first 100 bytes of the connection's main file (its header: change
** counter, page count, schema cookie...); 0 when they cannot be read. */
static int file_header(sqlite3 *db, unsigned char out[100]) {
  sqlite3_file *f = NULL;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f || !f->pMethods) return 0;
  return f->pMethods->xRead(f, out, 100, 0) == SQLITE_OK;
}

static void dev_row_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  int *kind = argc > 0 ? sqlite3_get_auxdata(ctx, 0) : NULL;   /* as scan_row_func (anomaly.c) */
  if (!kind && argc > 0 && (kind = sqlite3_value_pointer(argv[0], SCAN_PTR))) sqlite3_set_auxdata(ctx, 0, kind, NULL);
  if (kind && *kind == SCAN_DEV) scan_dev_func(ctx, (DevRead *)kind, argc, argv);
  else sqlite3_result_error(ctx, "zhucan_scan_row: used by anomaly_scan's reads only, not called by hand", -1);
}

/* The second connection, checked against the scan's: the same file as
** the scan reads it (the same header: the change counter moves with every
** commit in the journal modes allowed here).  NULL when it cannot be had
** or does not agree (*why says which). */
static sqlite3 *dev_open(sqlite3 *db, const char **why) {
  sqlite3_vfs *vfs = NULL;
  sqlite3 *db2 = NULL;
  unsigned char h1[100], h2[100];
  *why = "cannot open a second connection";
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK || !vfs) return NULL;
  if (sqlite3_open_v2(sqlite3_db_filename(db, "main"), &db2,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE, vfs->zName) != SQLITE_OK ||
      sqlite3_create_function_v2(db2, "zhucan_scan_row", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, dev_row_func,
                                 NULL, NULL, NULL) != SQLITE_OK) {
    sqlite3_close(db2);
    return NULL;
  }
  if (!file_header(db, h1) || !file_header(db2, h2) || memcmp(h1, h2, sizeof h1) != 0 ||
      db_int(db2, "PRAGMA main.schema_version") != db_int(db, "PRAGMA main.schema_version")) {
    *why = "the second connection does not see the same file";
    sqlite3_close(db2);
    return NULL;
  }
  return db2;
}

DevPar *scan_device_start(Scan *s) {
  sqlite3 *db = s->zc->db;
  const char *why = dev_par_refused(db);
  if (why) {
    dev_trace("on the calling thread", why);
    return NULL;
  }
  DevPar *p = sqlite3_malloc(sizeof *p);
  if (!p) return NULL;
  memset(p, 0, sizeof *p);
  if (!(p->db = dev_open(db, &why))) {
    dev_trace("on the calling thread", why);
    sqlite3_free(p);
    return NULL;
  }
  p->d.s = s;
  p->d.db = p->db;
  loosest(s, &p->d.need, &p->d.secs);
  if (pthread_mutex_init(&p->mu, NULL) == 0) {
    if (pthread_cond_init(&p->cv, NULL) == 0) {
      if (pthread_create(&p->th, NULL, dev_thread, p) == 0) {
        dev_trace("beside the elder runs, on a second connection", NULL);
        return p;
      }
      pthread_cond_destroy(&p->cv);
    }
    pthread_mutex_destroy(&p->mu);
  }
  sqlite3_close(p->db);
  sqlite3_free(p);
  return NULL;
}

int scan_device_finish(Scan *s, DevPar *p, int rc) {
  if (!p) return rc == SQLITE_OK ? dev_inline(s) : rc;
  if (rc != SQLITE_OK) atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
  /* waits, asking the scan's connection for an interrupt meanwhile */
  pthread_mutex_lock(&p->mu);
  while (!p->done) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    if (!p->done && rc == SQLITE_OK) {
      pthread_mutex_unlock(&p->mu);
      if (zc_interrupted(s->zc)) atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
      pthread_mutex_lock(&p->mu);
    }
  }
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->th, NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  int prc = p->rc;
  dev_free(&p->d);
  sqlite3_close(p->db);
  if (rc == SQLITE_OK && prc == SQLITE_OK) rc = dev_merge(s, &p->d);
  findings_clear(&p->d.out);
  sqlite3_free(p->d.err);
  int stopped = atomic_load_explicit(&s->stop, memory_order_relaxed);
  sqlite3_free(p);
  if (rc != SQLITE_OK) return rc;
  if (prc == SQLITE_OK) return SQLITE_OK;
  if (stopped) return SQLITE_INTERRUPT;
  /* the second connection failed (busy, out of memory, ...): the pass
  ** again on the scan's connection, which says what is wrong if anything is */
  dev_trace("on the calling thread", "the second connection failed; the pass again on the scan's own");
  return dev_inline(s);
}
