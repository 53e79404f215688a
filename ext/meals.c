/*
** meals.c — meal facts for subsidy_for and subsidy_explain, and the month
** scan the passes read.  No SQL of its own.
**
** A month scan (ZcMonthScan) reads a month's meals in (elder_id,
** served_at, id) order from the covering meal_elder_time index: for every
** elder, one scan that re-seeks past each elder's other months; for listed
** elders, each one's month range.
**
** A meal asked for by id gets its ordinals from its elder's month, read
** once (an elder-month record: that elder's meals of the month in
** (served_at, id) order with their ordinals; every meal id in it is
** indexed, so subsidy_for(id) over a whole table costs one index range scan
** per elder-month, not one per meal).  Once many elder-months of a month
** were read one by one, the whole month is read in one scan.  Prices of
** whole months computed by the money pass are kept by meal id
** (zc_money_*).  Everything here is dropped when the facts are
** (zc_facts_generation), so a cached meal is never older than the data.
*/
#include "meals.h"
#include "modules.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Meal rows kept by the elder-month cache (about 100 bytes each).  A whole
** month is touched every day by a scan in id order, so a cap below the
** month makes each elder-month reload once a day: keep a city month. */
#define ZC_FACTS_MAX_ROWS 12000000

typedef struct MonthRec {      /* one elder's meals of one month */
  int n;
  sqlite3_int64 *ids;          /* in (served_at, id) order; rows via meal_find */
  struct MealRow *extra;       /* rows of ids beyond the dense pages */
} MonthRec;

typedef struct MealRow {
  sqlite3_int64 id, elder, served_at, price, site_id;
  const char *slot, *method;   /* interned */
  const char *device, *token;  /* in the month's block */
  const ZcElderRec *rec;       /* looked up on first use (cached as long as the row) */
  int nth_month;               /* 0: an empty page slot */
  uint16_t nth_slot, nth_day;  /* ZcOrd counts up to 0xffff */
} MealRow;                     /* 88 bytes: a city month is ~5M of them */

static int row_day(const MealRow *r) { return (int)(r->served_at / ZC_DAY_SECONDS); }

struct ZcMeals {
  unsigned generation;         /* zc_facts_generation() the caches belong to */
  int miss_month, miss_count;  /* elder-months of month miss_month loaded one by one */
  ZcMap months;                /* elder*16384+month -> (MonthRec*) */
  ZcMap meals;                 /* meal id -> (MealRow*), ids beyond the dense array */
  /* meal id -> row for ids 0..nmeal_dense-1: pages of MEAL_PAGE rows,
  ** stored by id (a scan in id or time order reads them in order),
  ** allocated when a meal of the page is cached */
  MealRow **meal_dense;
  sqlite3_int64 nmeal_dense;
  int meal_dense_tried;
  /* load_month's scratch, reused from one elder-month to the next */
  MealRow *scratch;
  size_t scratch_cap;
  char *sbytes;
  size_t sbytes_len, sbytes_cap;
  size_t cached_rows;
  int times_checked;           /* zc_meal_times_check passed for this generation */
  /* subsidy per meal id (zc_money_*): pages of MONEY_PAGE, MONEY_UNKNOWN
  ** where not computed; ids 0..nmeal_dense-1 only */
  int32_t **money;
  int money_month, money_misses; /* meals of month money_month priced one by one */
  int money_bulk_month;          /* the month last priced whole (-1: none) */
  sqlite3_stmt *st_meal, *st_month;
};

#define MEAL_PAGE 4096

static void meal_dense_free(struct ZcMeals *f) {
  if (!f->meal_dense) return;
  for (sqlite3_int64 i = 0; i < (f->nmeal_dense + MEAL_PAGE - 1) / MEAL_PAGE; i++) sqlite3_free(f->meal_dense[i]);
  sqlite3_free(f->meal_dense);
}

/* forgets every cached meal (the pages stay allocated) */
static void meal_dense_zero(struct ZcMeals *f) {
  if (!f->meal_dense) return;
  for (sqlite3_int64 i = 0; i < (f->nmeal_dense + MEAL_PAGE - 1) / MEAL_PAGE; i++)
    if (f->meal_dense[i]) memset(f->meal_dense[i], 0, MEAL_PAGE * sizeof(MealRow));
}

/* frees every page of cached meals (the page table stays, emptied: the
** prices are indexed by the same ids) */
static void meal_dense_release(struct ZcMeals *f) {
  if (!f->meal_dense) return;
  for (sqlite3_int64 i = 0; i < (f->nmeal_dense + MEAL_PAGE - 1) / MEAL_PAGE; i++) {
    sqlite3_free(f->meal_dense[i]);
    f->meal_dense[i] = NULL;
  }
}

#define MONEY_PAGE 16384
#define MONEY_UNKNOWN INT32_MIN

static void money_free(struct ZcMeals *f) {
  if (!f->money) return;
  for (sqlite3_int64 i = 0; i < (f->nmeal_dense + MONEY_PAGE - 1) / MONEY_PAGE; i++) sqlite3_free(f->money[i]);
  sqlite3_free(f->money);
  f->money = NULL;
}

/* Forgets every cached elder-month and meal row (the dense pages stay
** allocated, emptied). */
static void meals_forget(struct ZcMeals *f) {
  for (size_t i = 0; i < f->months.cap; i++)
    if (f->months.keys[i] != INT64_MIN) sqlite3_free((void *)(intptr_t)f->months.vals[i]);
  zc_map_clear(&f->months);
  zc_map_clear(&f->meals);
  meal_dense_zero(f);
  f->cached_rows = 0;
}

void zc_meals_release(ZcConn *zc) {
  struct ZcMeals *f = zc->meals;
  if (!f) return;
  for (size_t i = 0; i < f->months.cap; i++)
    if (f->months.keys[i] != INT64_MIN) sqlite3_free((void *)(intptr_t)f->months.vals[i]);
  zc_map_clear(&f->months);
  zc_map_clear(&f->meals);
  meal_dense_release(f);
  f->cached_rows = 0;
  f->miss_month = -1;
  f->miss_count = 0;
}

/* Forgets every cached meal and price (statements are kept). */
static void meals_drop(struct ZcMeals *f) {
  money_free(f);
  f->money_month = f->money_bulk_month = -1;
  f->money_misses = 0;
  f->miss_month = -1;
  f->miss_count = 0;
  for (size_t i = 0; i < f->months.cap; i++)
    if (f->months.keys[i] != INT64_MIN) sqlite3_free((void *)(intptr_t)f->months.vals[i]);
  zc_map_clear(&f->months);
  zc_map_clear(&f->meals);
  meal_dense_free(f);
  sqlite3_free(f->scratch);
  sqlite3_free(f->sbytes);
  f->scratch = NULL;
  f->sbytes = NULL;
  f->scratch_cap = f->sbytes_cap = f->sbytes_len = 0;
  f->meal_dense = NULL;
  f->nmeal_dense = 0;
  f->meal_dense_tried = 0;
  f->cached_rows = 0;
  f->times_checked = 0;
}

/* The connection's meal caches, dropped whenever the facts were (their
** rows point at elder records and interned words of the facts). */
static struct ZcMeals *meals_get(ZcConn *zc) {
  struct ZcMeals *f = zc->meals;
  if (!f) {
    if (!(f = sqlite3_malloc(sizeof *f))) return NULL;
    memset(f, 0, sizeof *f);
    f->money_month = f->money_bulk_month = f->miss_month = -1;
    f->generation = zc_facts_generation(zc);
    zc->meals = f;
  } else if (f->generation != zc_facts_generation(zc)) {
    meals_drop(f);
    f->generation = zc_facts_generation(zc);
  }
  return f;
}

void zc_meals_finalize(ZcConn *zc) {
  struct ZcMeals *f = zc->meals;
  if (!f) return;
  sqlite3_finalize(f->st_meal);
  sqlite3_finalize(f->st_month);
  f->st_meal = f->st_month = NULL;
}

void zc_meals_free(ZcConn *zc) {
  struct ZcMeals *f = zc->meals;
  if (!f) return;
  meals_drop(f);
  zc_meals_finalize(zc);
  sqlite3_free(f);
  zc->meals = NULL;
}

/* ----------------------------------------------------------- month scan */

/* Columns are read as sqlite3_column_value then sqlite3_value_*: one entry
** into the connection's mutex per column instead of one per call (hosts in
** serialized mode, such as Python's sqlite3 or the ODBC driver, pay a lock
** for each).  The statements are stepped by the thread that holds it. */
int zc_elder_col(const ZcConn *zc, const char *fn, sqlite3_stmt *st, int col, sqlite3_int64 *out, char **pzErr) {
  sqlite3_value *v = sqlite3_column_value(st, col);
  if (sqlite3_value_type(v) != SQLITE_INTEGER) {
    if (pzErr)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: a meal of the month has elder_id %Q, expected an integer elder id",
                                     "%s：当月有一条就餐记录的老人编号 elder_id 为 %Q，应为整数编号"), fn,
                               (const char *)sqlite3_value_text(v));
    return SQLITE_ERROR;
  }
  *out = sqlite3_value_int64(v);
  return SQLITE_OK;
}

int zc_month_scan_open(ZcConn *zc, const char *fn, int first, int next, const sqlite3_int64 *elders,
                       size_t nelder, ZcMonthScan *s, char **pzErr) {
  int rc;
  memset(s, 0, sizeof *s);
  s->fn = fn;
  s->zc = zc;
  s->elders = elders;
  s->nelder = nelder;
  zc_day_format(first, s->a);
  zc_day_format(next, s->b);
  if (!elders) {
    rc = sqlite3_prepare_v2(zc->db,
                            "SELECT " ZC_SCAN_COLS " FROM meal WHERE (elder_id, served_at) >= (?1, ?2) "
                            "ORDER BY elder_id, served_at, id", -1, &s->st, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_int64(s->st, 1, INT64_MIN);
      sqlite3_bind_text(s->st, 2, s->a, 10, SQLITE_STATIC);
    }
  } else {
    rc = sqlite3_prepare_v2(zc->db,
                            "SELECT " ZC_SCAN_COLS " FROM meal WHERE elder_id=?1 AND served_at>=?2 AND served_at<?3 "
                            "ORDER BY served_at, id", -1, &s->st, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(s->st, 2, s->a, 10, SQLITE_STATIC);
      sqlite3_bind_text(s->st, 3, s->b, 10, SQLITE_STATIC);
    }
  }
  if (rc && pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: cannot read table meal: %s", "%s：无法读取就餐表 meal：%s"), fn, sqlite3_errmsg(zc->db));
  return rc;
}

void zc_month_scan_close(ZcMonthScan *s) {
  sqlite3_finalize(s->st);
  s->st = NULL;
}

int zc_month_scan_next(ZcMonthScan *s, char **pzErr) {
  int rc;
  if (s->elders) {
    for (;;) {
      if (s->open) {
        rc = sqlite3_step(s->st);
        if (rc == SQLITE_ROW) {
          sqlite3_value *v = sqlite3_column_value(s->st, 3);
          s->at = (const char *)sqlite3_value_text(v);
          s->at_n = sqlite3_value_bytes(v);
        }
        if (rc != SQLITE_DONE) return rc;
        sqlite3_reset(s->st);
        s->open = 0;
      }
      if (s->ielder == s->nelder) return SQLITE_DONE;
      sqlite3_bind_int64(s->st, 1, s->elders[s->ielder++]);
      s->open = 1;
    }
  }
  for (;;) {
    rc = sqlite3_step(s->st);
    if (rc != SQLITE_ROW) return rc;
    /* the index orders an elder's served_at as NULL, numbers, text, blobs:
    ** only text between the bounds is of the month, as in served_at>=?2 */
    sqlite3_value *v = sqlite3_column_value(s->st, 3);
    int ty = sqlite3_value_type(v), early, late;
    if (ty == SQLITE_TEXT) {
      const char *t = (const char *)sqlite3_value_text(v);
      int n = sqlite3_value_bytes(v);
      early = zc_cmp_day(t, n, s->a) < 0;
      late = !early && zc_cmp_day(t, n, s->b) >= 0;
      if (!early && !late) {
        s->at = t;
        s->at_n = n;
        return SQLITE_ROW;
      }
    } else {
      early = ty != SQLITE_BLOB;
      late = !early;
    }
    /* another month of this elder: seek to its month, or past it */
    sqlite3_int64 e;
    if ((rc = zc_elder_col(s->zc, s->fn, s->st, 0, &e, pzErr))) return rc;
    if (late && e == INT64_MAX) return SQLITE_DONE;
    sqlite3_reset(s->st);
    sqlite3_bind_int64(s->st, 1, late ? e + 1 : e);
  }
}

/* ---------------------------------------------------------------- meals */

static sqlite3_int64 month_key(sqlite3_int64 elder, int day) {
  int y, m, d;
  zc_civil_from_days(day, &y, &m, &d);
  return elder * 16384 + (sqlite3_int64)(y * 12 + m - 1) % 16384;
}

/* Interns a short, repetitive word (slot, method) with a one-entry memo. */
static const char *word(ZcConn *zc, const char **last, const char *t, int n) {
  if (t == NULL) return NULL;
  if (*last && (int)strlen(*last) == n && memcmp(*last, t, (size_t)n) == 0) return *last;
  return *last = zc_intern(zc, t, n);
}

/* Appends a column's text to the scratch bytes; answers its offset, -1 for
** NULL, -2 when out of memory. */
static sqlite3_int64 arena_put(struct ZcMeals *f, sqlite3_stmt *st, int col) {
  const char *t = (const char *)sqlite3_column_text(st, col);
  if (t == NULL) return -1;
  size_t n = (size_t)sqlite3_column_bytes(st, col);
  if (f->sbytes_len + n + 1 > f->sbytes_cap) {
    size_t ncap = f->sbytes_cap ? f->sbytes_cap * 2 : 4096;
    while (ncap < f->sbytes_len + n + 1) ncap *= 2;
    char *nb = sqlite3_realloc64(f->sbytes, ncap);
    if (!nb) return -2;
    f->sbytes = nb;
    f->sbytes_cap = ncap;
  }
  sqlite3_int64 off = (sqlite3_int64)f->sbytes_len;
  memcpy(f->sbytes + off, t, n);
  f->sbytes[off + (sqlite3_int64)n] = 0;
  f->sbytes_len += n + 1;
  return off;
}

/* Meal ids are usually dense (INTEGER PRIMARY KEY): index cached rows
** through pages of pointers by id (max(id) is one b-tree descent; a page is
** allocated when one of its meals is cached) when ids are below 2^31, else
** through the hash map. */
static void meal_dense_init(ZcConn *zc, struct ZcMeals *f) {
  sqlite3_stmt *st = NULL;
  f->meal_dense_tried = 1;
  if (sqlite3_prepare_v2(zc->db, "SELECT max(id) FROM meal", -1, &st, NULL) != SQLITE_OK) return;
  if (sqlite3_step(st) == SQLITE_ROW) {
    sqlite3_int64 mx = sqlite3_column_int64(st, 0);
    if (mx >= 0 && mx < ((sqlite3_int64)1 << 31)) {
      sqlite3_int64 npage = mx / MEAL_PAGE + 1;
      f->meal_dense = sqlite3_malloc64((sqlite3_uint64)npage * sizeof(MealRow *));
      if (f->meal_dense) {
        memset(f->meal_dense, 0, (size_t)npage * sizeof(MealRow *));
        f->nmeal_dense = mx + 1;
      }
    }
  }
  sqlite3_finalize(st);
}

/* The cached row of meal id: in its page, or in a month's block through the
** map (ids beyond the pages, and months loaded one by one). */
static MealRow *meal_find(struct ZcMeals *f, sqlite3_int64 id) {
  if (id >= 0 && id < f->nmeal_dense) {
    MealRow *page = f->meal_dense[id / MEAL_PAGE];
    if (page && page[id % MEAL_PAGE].nth_month) return &page[id % MEAL_PAGE];
  }
  if (f->meals.n == 0) return NULL;
  sqlite3_int64 *v = zc_map_slot(&f->meals, id, 0, NULL);
  return v ? (MealRow *)(intptr_t)*v : NULL;
}

/* The slot row r goes to: its page slot (dense: a month read whole, whose
** rows fill the pages), or *spare, indexed by the map (ids beyond the
** pages, and an elder's month loaded alone: its meals are scattered over
** the ids, and a page each would cost 360 KiB per few meals). */
static MealRow *meal_place(struct ZcMeals *f, sqlite3_int64 id, int dense, MealRow **spare) {
  if (dense && id >= 0 && id < f->nmeal_dense) {
    MealRow **page = &f->meal_dense[id / MEAL_PAGE];
    if (!*page) {
      *page = sqlite3_malloc64(MEAL_PAGE * sizeof(MealRow));
      if (!*page) return NULL;
      memset(*page, 0, MEAL_PAGE * sizeof(MealRow));
    }
    return &(*page)[id % MEAL_PAGE];
  }
  sqlite3_int64 *mv = zc_map_slot(&f->meals, id, 1, NULL);
  if (!mv) return NULL;
  MealRow *r = (*spare)++;
  *mv = (sqlite3_int64)(intptr_t)r;
  return r;
}

/* Gathering one elder-month: rows and their strings go to scratch buffers
** kept from one load to the next, then month_commit copies the month into
** one block and the pages. */
typedef struct Gather {
  int n;
  const char *last_slot, *last_method;
  ZcOrd ord;
} Gather;

static void gather_reset(struct ZcMeals *f, Gather *g) {
  g->n = 0;
  g->last_slot = g->last_method = NULL;
  zc_ord_reset(&g->ord);
  f->sbytes_len = 0;
}

/* One row of ZC_SCAN_COLS of elder's month. */
static int gather_row(ZcConn *zc, struct ZcMeals *f, Gather *g, sqlite3_stmt *st, sqlite3_int64 elder) {
  if ((size_t)g->n == f->scratch_cap) {
    size_t ncap = f->scratch_cap ? f->scratch_cap * 2 : 64;
    MealRow *nr = sqlite3_realloc64(f->scratch, ncap * sizeof(MealRow));
    if (!nr) return SQLITE_NOMEM;
    f->scratch = nr;
    f->scratch_cap = ncap;
  }
  MealRow *r = &f->scratch[g->n];
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 1);
  r->elder = elder;
  r->site_id = sqlite3_column_int64(st, 2);
  /* served_at >= 'YYYY-MM-01' as text also admits malformed times; those
  ** have no day and get no ordinal */
  if (!zc_time_parse((const char *)sqlite3_column_text(st, 3), sqlite3_column_bytes(st, 3), &r->served_at))
    return SQLITE_OK;
  int day = row_day(r), ns, nd;
  r->slot = word(zc, &g->last_slot, (const char *)sqlite3_column_text(st, 4), sqlite3_column_bytes(st, 4));
  r->method = word(zc, &g->last_method, (const char *)sqlite3_column_text(st, 5), sqlite3_column_bytes(st, 5));
  if ((!r->slot && sqlite3_column_type(st, 4) != SQLITE_NULL) ||
      (!r->method && sqlite3_column_type(st, 5) != SQLITE_NULL))
    return SQLITE_NOMEM;   /* never a meal with its slot or method lost */
  /* device and token: offsets into the scratch bytes until the block is built */
  sqlite3_int64 dv = arena_put(f, st, 6), tk = arena_put(f, st, 7);
  if (dv == -2 || tk == -2) return SQLITE_NOMEM;
  r->device = (const char *)(intptr_t)dv;
  r->token = (const char *)(intptr_t)tk;
  r->price = sqlite3_column_int64(st, 8);
  if (sqlite3_column_type(st, 8) != SQLITE_INTEGER || r->price < 0 || r->price > ZC_MAX_FEN)
    r->price = -1;   /* malformed: an error when the meal is asked for */
  zc_ord_next(&g->ord, day, r->slot, &ns, &nd, &r->nth_month);
  r->nth_slot = (uint16_t)ns;
  r->nth_day = (uint16_t)nd;
  g->n++;
  return SQLITE_OK;
}

/* The gathered month of elder (day: any day of it) into the cache. */
static int month_commit(struct ZcMeals *f, Gather *g, sqlite3_int64 elder, int day, const ZcElderRec *rec,
                        int dense, MonthRec **out) {
  int n = g->n;
  MealRow *rows = f->scratch;
  size_t arena_len = f->sbytes_len;
  int nextra = 0;
  for (int i = 0; i < n; i++) nextra += !(dense && rows[i].id >= 0 && rows[i].id < f->nmeal_dense);
  /* one block: header, rows beyond the pages, ids, strings */
  MonthRec *mr = sqlite3_malloc64(sizeof *mr + (size_t)nextra * sizeof(MealRow) + (size_t)n * sizeof(sqlite3_int64) +
                                  arena_len + 1);
  if (!mr) return SQLITE_NOMEM;
  mr->n = n;
  mr->extra = (MealRow *)(mr + 1);
  mr->ids = (sqlite3_int64 *)(mr->extra + nextra);
  char *str = (char *)(mr->ids + n);
  if (arena_len) memcpy(str, f->sbytes, arena_len);
  /* Bound the cache: beyond a few million rows start over (correct, only
  ** slower). */
  if (f->cached_rows + (size_t)n > ZC_FACTS_MAX_ROWS) meals_forget(f);
  sqlite3_int64 *v = zc_map_slot(&f->months, month_key(elder, day), 1, NULL);
  if (!v) { sqlite3_free(mr); return SQLITE_NOMEM; }
  *v = (sqlite3_int64)(intptr_t)mr;
  MealRow *spare = mr->extra;
  for (int i = 0; i < n; i++) {
    MealRow *r = meal_place(f, rows[i].id, dense, &spare);
    if (!r) {
      meals_forget(f);   /* never a month marked loaded without its meals */
      return SQLITE_NOMEM;
    }
    /* rows land all over the pages (by id): ask for the next ones' lines */
    if (dense && i + 4 < n) {
      sqlite3_int64 nid = rows[i + 4].id;
      if (nid >= 0 && nid < f->nmeal_dense && f->meal_dense[nid / MEAL_PAGE]) {
        MealRow *d = &f->meal_dense[nid / MEAL_PAGE][nid % MEAL_PAGE];
        __builtin_prefetch(d, 1);
        __builtin_prefetch((char *)d + sizeof *d - 1, 1);
      }
    }
    *r = rows[i];
    intptr_t dv = (intptr_t)rows[i].device, tk = (intptr_t)rows[i].token;
    r->device = dv < 0 ? NULL : str + dv;
    r->token = tk < 0 ? NULL : str + tk;
    r->rec = rec;
    mr->ids[i] = rows[i].id;
  }
  f->cached_rows += (size_t)n;
  if (out) *out = mr;
  return SQLITE_OK;
}

/* Loads one elder's meals of the month containing day, with ordinals, and
** indexes every meal id. */
static int load_month(ZcConn *zc, sqlite3_int64 elder, int day, MonthRec **out, char **pzErr) {
  struct ZcMeals *f = meals_get(zc);
  int first, next, rc;
  char a[11], b[11];
  zc_month_of(day, &first, &next);
  zc_day_format(first, a);
  zc_day_format(next, b);
  rc = zc_prep(zc, &f->st_month,
            "SELECT " ZC_SCAN_COLS " FROM meal WHERE elder_id=?1 AND served_at>=?2 AND served_at<?3 "
            "ORDER BY served_at, id",
            pzErr);
  if (rc) return rc;
  sqlite3_bind_int64(f->st_month, 1, elder);
  sqlite3_bind_text(f->st_month, 2, a, 10, SQLITE_TRANSIENT);
  sqlite3_bind_text(f->st_month, 3, b, 10, SQLITE_TRANSIENT);
  Gather g;
  gather_reset(f, &g);
  while ((rc = sqlite3_step(f->st_month)) == SQLITE_ROW)
    if ((rc = gather_row(zc, f, &g, f->st_month, elder)) != SQLITE_OK) break;
  sqlite3_reset(f->st_month);
  if (rc == SQLITE_DONE) rc = month_commit(f, &g, elder, day, NULL, 0, out);
  else if (pzErr && !*pzErr && rc != SQLITE_NOMEM)
    *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: reading meals of elder %lld: %s", "zhucan：读取老人 %lld 的就餐记录时出错：%s"), elder, sqlite3_errmsg(zc->db));
  return rc;
}

/* Every elder's meals of the month containing day, in one scan (ZcMonthScan)
** instead of a range query per elder: when many elder-months of one month
** are asked for one by one (a scan calling subsidy_for).  Months already
** cached are kept.  Stops quietly at the cache's bound or at a row it cannot
** read: the elders left are loaded one by one, with their own errors. */
static void month_preload(ZcConn *zc, int day) {
  struct ZcMeals *f = meals_get(zc);
  int first, next, rc, have = 0;
  char *err = NULL;
  sqlite3_int64 cur = 0;
  ZcMonthScan sc;
  Gather g;
  zc_month_of(day, &first, &next);
  /* the elders' records too, so that the rows can point at them */
  if (zc_elder_preload(zc, &err) != SQLITE_OK) {
    sqlite3_free(err);
    err = NULL;
  }
  if (zc_month_scan_open(zc, "zhucan", first, next, NULL, 0, &sc, &err)) goto done;
  gather_reset(f, &g);
  for (;;) {
    rc = zc_month_scan_next(&sc, &err);
    sqlite3_int64 e = 0;
    if (rc == SQLITE_ROW && zc_elder_col(zc, "zhucan", sc.st, 0, &e, &err)) break;
    if (have && (rc != SQLITE_ROW || e != cur)) {
      /* the last elder's month is complete */
      if (!zc_map_slot(&f->months, month_key(cur, first), 0, NULL)) {
        if (f->cached_rows + (size_t)g.n > ZC_FACTS_MAX_ROWS) break;
        /* no load: looked up on use */
        if (month_commit(f, &g, cur, first, zc_elder_cached(zc, cur), 1, NULL)) break;
      }
      gather_reset(f, &g);
    }
    if (rc != SQLITE_ROW) break;
    cur = e;
    have = 1;
    if (gather_row(zc, f, &g, sc.st, e)) break;
  }
done:
  zc_month_scan_close(&sc);
  sqlite3_free(err);
}

/* year * 12 + month - 1 of a day: months counted one by one */
static int month_index(int day) {
  int y, m, d;
  zc_civil_from_days(day, &y, &m, &d);
  return y * 12 + m - 1;
}

static int get_month(ZcConn *zc, sqlite3_int64 elder, int day, MonthRec **out, char **pzErr) {
  struct ZcMeals *f = meals_get(zc);
  sqlite3_int64 *v = zc_map_slot(&f->months, month_key(elder, day), 0, NULL);
  if (v) {
    *out = (MonthRec *)(intptr_t)*v;
    return SQLITE_OK;
  }
  /* many elder-months of one month loaded one by one: read the month */
  int mi = month_index(day);
  if (f->miss_month != mi) {
    f->miss_month = mi;
    f->miss_count = 0;
  }
  if (++f->miss_count == zc_bulk_threshold(zc)) {
    month_preload(zc, day);
    if ((v = zc_map_slot(&f->months, month_key(elder, day), 0, NULL))) {
      *out = (MonthRec *)(intptr_t)*v;
      return SQLITE_OK;
    }
  }
  return load_month(zc, elder, day, out, pzErr);
}

static void meal_from_row(const MealRow *r, ZcMealFacts *m) {
  memset(m, 0, sizeof *m);
  m->id = r->id;
  m->slot = r->slot;
  m->day = row_day(r);
  m->served_at = r->served_at;
  m->method = r->method;
  m->device = r->device;
  m->token = r->token;
  m->price_fen = r->price;
  m->site_id = r->site_id;
  m->nth_slot = r->nth_slot;
  m->nth_day = r->nth_day;
  m->nth_month = r->nth_month;
}

int zc_meal_facts(ZcConn *zc, sqlite3_int64 meal_id, ZcMealFacts *m, const ZcElderRec **elder,
                  const ZcSiteFacts **site, char **pzErr) {
  struct ZcMeals *f = meals_get(zc);
  int rc;
  if (!f) return SQLITE_NOMEM;
  if (!f->meal_dense_tried) meal_dense_init(zc, f);
  MealRow *row = meal_find(f, meal_id);
  if (!row) {
    /* Not cached: find its elder and day, then load that elder's month
    ** (which caches every meal of it). */
    rc = zc_prep(zc, &f->st_meal, "SELECT elder_id, served_at FROM meal WHERE id=?1", pzErr);
    if (rc) return rc;
    sqlite3_bind_int64(f->st_meal, 1, meal_id);
    rc = sqlite3_step(f->st_meal);
    if (rc != SQLITE_ROW) {
      sqlite3_reset(f->st_meal);
      if (rc == SQLITE_DONE) {
        if (pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "meal %lld does not exist", "就餐记录 %lld 不存在"), meal_id);
        return SQLITE_ERROR;
      }
      if (pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: reading meal %lld: %s", "zhucan：读取就餐记录 %lld 时出错：%s"), meal_id, sqlite3_errmsg(zc->db));
      return rc;
    }
    sqlite3_int64 elder_id = sqlite3_column_int64(f->st_meal, 0), t;
    const char *at = (const char *)sqlite3_column_text(f->st_meal, 1);
    if (!zc_time_parse(at, sqlite3_column_bytes(f->st_meal, 1), &t)) {
      if (pzErr)
        *pzErr = sqlite3_mprintf(zc_tr(zc, "meal %lld has served_at %Q, expected 'YYYY-MM-DD HH:MM:SS'", "就餐记录 %lld 的就餐时间 served_at 为 %Q，应为 'YYYY-MM-DD HH:MM:SS'"), meal_id, at);
      sqlite3_reset(f->st_meal);
      return SQLITE_ERROR;
    }
    sqlite3_reset(f->st_meal);
    MonthRec *mr;
    rc = get_month(zc, elder_id, (int)(t / ZC_DAY_SECONDS), &mr, pzErr);
    if (rc) return rc;
    row = meal_find(f, meal_id);
    if (!row) {
      if (pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: meal %lld not found in its elder's month", "zhucan：在老人当月的记录里找不到就餐记录 %lld"), meal_id);
      return SQLITE_ERROR;
    }
  }
  meal_from_row(row, m);
  /* Scans ask for meals in id (or time) order, and the next meal's elder is
  ** anybody: start fetching that record now, while this meal is priced. */
  if (meal_id >= 0 && meal_id + 2 < f->nmeal_dense && (meal_id + 1) % MEAL_PAGE && (meal_id + 2) % MEAL_PAGE &&
      f->meal_dense[meal_id / MEAL_PAGE] && row == &f->meal_dense[meal_id / MEAL_PAGE][meal_id % MEAL_PAGE]) {
    const MealRow *nx = row + 2;
    if (nx->rec) {
      __builtin_prefetch(nx->rec);
      __builtin_prefetch((const char *)nx->rec + 64);
    }
  }
  /* the records live until the data changes, as the row does */
  if (!row->rec && (rc = zc_elder_rec(zc, row->elder, &row->rec, pzErr))) return rc;
  if (row->rec->bad) return zc_elder_rec(zc, row->elder, &row->rec, pzErr); /* its error */
  if ((rc = zc_site_facts(zc, row->site_id, site, pzErr))) return rc;
  if (row->price < 0) {
    if (pzErr)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "meal %lld has a price_fen that is not whole fen from 0 to %lld", "就餐记录 %lld 的价格 price_fen 不是 0 到 %lld 的整数分"), meal_id, ZC_MAX_FEN);
    return pzErr && !*pzErr ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  *elder = row->rec;
  return SQLITE_OK;
}

int zc_quote_facts(ZcConn *zc, sqlite3_int64 elder_id, sqlite3_int64 site_id, sqlite3_int64 served_at,
                   const char *slot, ZcMealFacts *m, const ZcElderRec **elder, const ZcSiteFacts **site,
                   char **pzErr) {
  struct ZcMeals *f = meals_get(zc);
  int rc;
  if (!f) return SQLITE_NOMEM;
  if ((rc = zc_elder_rec(zc, elder_id, elder, pzErr))) return rc;
  if ((rc = zc_site_facts(zc, site_id, site, pzErr))) return rc;
  int day = (int)(served_at / ZC_DAY_SECONDS);
  MonthRec *mr;
  if ((rc = get_month(zc, elder_id, day, &mr, pzErr))) return rc;
  const char *islot = zc_intern(zc, slot, -1);
  if (slot && !islot) return SQLITE_NOMEM;   /* never a quote without its slot */
  ZcOrd ord;
  zc_ord_reset(&ord);
  int a, b, c;
  for (int i = 0; i < mr->n; i++) {
    const MealRow *r = meal_find(f, mr->ids[i]);
    if (!r || r->served_at > served_at) break;
    zc_ord_next(&ord, row_day(r), r->slot, &a, &b, &c);
  }
  memset(m, 0, sizeof *m);
  m->id = 0;
  m->slot = islot;
  m->day = day;
  m->served_at = served_at;
  m->price_fen = ZC_NO_PRICE;
  m->site_id = site_id;
  zc_ord_next(&ord, day, islot, &m->nth_slot, &m->nth_day, &m->nth_month);
  return SQLITE_OK;
}

/* ---------------------------------------------------------------- money */

int zc_money_cached(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 *fen) {
  struct ZcMeals *f = meals_get(zc);
  if (!f || !f->money || meal_id < 0 || meal_id >= f->nmeal_dense) return 0;
  const int32_t *page = f->money[meal_id / MONEY_PAGE];
  if (!page || page[meal_id % MONEY_PAGE] == MONEY_UNKNOWN) return 0;
  *fen = page[meal_id % MONEY_PAGE];
  return 1;
}

void zc_money_store(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 fen) {
  struct ZcMeals *f = meals_get(zc);
  if (!f || fen <= MONEY_UNKNOWN || fen > INT32_MAX) return;
  if (!f->meal_dense_tried) meal_dense_init(zc, f);
  if (meal_id < 0 || meal_id >= f->nmeal_dense) return;
  sqlite3_int64 npage = (f->nmeal_dense + MONEY_PAGE - 1) / MONEY_PAGE;
  if (!f->money) {
    if (!(f->money = sqlite3_malloc64((sqlite3_uint64)npage * sizeof *f->money))) return;
    memset(f->money, 0, (size_t)npage * sizeof *f->money);
  }
  int32_t **page = &f->money[meal_id / MONEY_PAGE];
  if (!*page) {
    if (!(*page = sqlite3_malloc64(MONEY_PAGE * sizeof **page))) return;
    for (int i = 0; i < MONEY_PAGE; i++) (*page)[i] = MONEY_UNKNOWN;
  }
  (*page)[meal_id % MONEY_PAGE] = (int32_t)fen;
}

int zc_money_miss(ZcConn *zc, int day) {
  struct ZcMeals *f = meals_get(zc);
  if (!f) return 0;
  int mi = month_index(day);
  if (f->money_month != mi) {
    f->money_month = mi;
    f->money_misses = 0;
  }
  /* one short of the facts' own threshold (get_month counts elder-months,
  ** never more than meals): the month is priced before its meal rows
  ** would be read in bulk for nothing */
  int at = zc_bulk_threshold(zc) - 1;
  if (++f->money_misses != at || f->money_bulk_month == mi) return 0;
  f->money_bulk_month = mi;
  return 1;
}

/* -------------------------------------------------------- time checks */

int zc_meal_times_check(ZcConn *zc, const char *fn, char **pzErr) {
  struct ZcMeals *f = meals_get(zc);
  if (!f) return SQLITE_NOMEM;
  if (f->times_checked) return SQLITE_OK;
  sqlite3_stmt *st = NULL;
  /* a table made from sql/schema.sql refuses malformed times itself */
  int rc = sqlite3_prepare_v2(zc->db, "SELECT sql LIKE '%served_at GLOB%' FROM sqlite_schema WHERE name = 'meal'", -1,
                              &st, NULL);
  int guarded = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  st = NULL;
  if (!guarded) {
    rc = sqlite3_prepare_v2(zc->db, "SELECT id, served_at FROM meal ORDER BY id", -1, &st, NULL);
    if (rc != SQLITE_OK) {
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: cannot read table meal: %s", "%s：无法读取就餐表 meal：%s"), fn, sqlite3_errmsg(zc->db));
      return rc;
    }
    ZcDayMemo dm;
    memset(&dm, 0, sizeof dm);
    ZcBuf list;
    memset(&list, 0, sizeof list);
    sqlite3_int64 nbad = 0;
    unsigned tick = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      sqlite3_value *v = sqlite3_column_value(st, 1);
      sqlite3_int64 t;
      if (sqlite3_value_type(v) == SQLITE_TEXT &&
          zc_time_parse_memo(&dm, (const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), &t))
        continue;
      if (nbad++ < 10) {   /* the first ten named */
        char *r = zc_value_repr(v);
        char *one = sqlite3_mprintf("%smeal %lld %s", nbad > 1 ? ", " : "", sqlite3_column_int64(st, 0), r ? r : "?");
        if (one) zc_buf_add(&list, one, strlen(one));
        else list.oom = 1;
        sqlite3_free(one);
        sqlite3_free(r);
      }
      if (zc_interrupted_every(zc, &tick, 10)) {
        rc = SQLITE_INTERRUPT;
        break;
      }
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && nbad > 0) {
      if (list.oom) {
        rc = SQLITE_NOMEM;
      } else {
        *pzErr = zc_lang_en(zc)
                     ? sqlite3_mprintf("%s: %lld meal%s served_at that cannot be read, expected 'YYYY-MM-DD HH:MM:SS': "
                                       "%.*s%s; a meal whose time no month holds would be left out of every month.  "
                                       "Correct them (UPDATE meal SET served_at = '2024-03-05 12:00:00' WHERE id = ...) "
                                       "and run this again",
                                       fn, nbad, nbad == 1 ? " has a" : "s have a", (int)list.n, list.z ? list.z : "",
                                       nbad > 10 ? ", ..." : "")
                     : sqlite3_mprintf("%s：有 %lld 条就餐记录的就餐时间 served_at 无法识别，应为 'YYYY-MM-DD HH:MM:SS'："
                                       "%.*s%s；时间不属于任何月份的就餐会被每个月都漏掉。请改正它们（UPDATE meal SET "
                                       "served_at = '2024-03-05 12:00:00' WHERE id = ...）后再运行",
                                       fn, nbad, (int)list.n, list.z ? list.z : "", nbad > 10 ? "，……" : "");
        rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      }
    }
    zc_buf_free(&list);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    else if (rc != SQLITE_ERROR && rc != SQLITE_NOMEM && !*pzErr)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: reading meals: %s", "%s：读取就餐记录时出错：%s"), fn, sqlite3_errmsg(zc->db));
    if (rc) return rc;
  }
  f->times_checked = 1;
  return SQLITE_OK;
}
