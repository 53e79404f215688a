/*
** anomaly.c — the monthly early warning: fraud, data and welfare findings,
** and the villages and hamlets that fall short of the meal duty.
**
**   SELECT kind, severity, site_id, elder_id, meal_id, at, detail
**     FROM anomaly_scan('141129', '2024-03');
**   -- card_burst|fraud|12|5031|88412|2024-03-05 11:32:04|7 card/face meals on device D-0012 within 11 s (11:32:01 to 11:32:12)
**   -- gone_quiet|welfare||4407||2024-03-18|lives alone; ate on 12 of the 14 days before 2024-03-18, then no meal for 3 days (2024-03-18 to 2024-03-20)
**
**   SELECT * FROM coverage_gaps('141129', '2024-03-05');
**   -- 141129104207|Xiagou|hamlet|14|14 elders aged 70+ live here and no courtyard is open on 2024-03-05
**
** Both are eponymous-only table-valued functions with two required hidden
** arguments:
**
**   CREATE TABLE anomaly_scan(kind, severity, site_id, elder_id, meal_id, at,
**                             detail, region HIDDEN, month HIDDEN);
**   CREATE TABLE coverage_gaps(region, name, level, elders, reason,
**                              region_arg HIDDEN, day HIDDEN);
**
** (coverage_gaps' first column is the answering region's code; its argument
** columns are therefore named region_arg and day.)  xBestIndex insists on an
** equality constraint on both arguments (idxNum bit 1 = first, bit 2 =
** second); xFilter receives them in that order.  A NULL argument gives no
** rows; a malformed one, or an unknown region, is an error.
**
** How anomaly_scan works.  Everything is computed in xFilter into an array
** of findings (they are few) which is sorted by (kind, site_id, at,
** meal_id or elder_id) and then emitted.
**   1. Thresholds: the policy governing each site (each elder's region for
**      gone_quiet), the version in force on the day, its `anomaly` table
**      and `windows`, SPEC defaults for absent entries.
**   2. One read of the meals served in [month start - lookback, month end)
**      in (served_at, id) order (the meal_time index; no SQL sort).  The
**      lookback covers the history some kinds need: a meal just before the
**      month for two_sites, and quiet_window + quiet_days days for
**      gone_quiet.  Every site's meals are read: a repeat or a second site
**      may be at a site outside the region; findings are kept only for
**      meals in the month at sites at or under the region.
**      Text columns are used during the step only (nothing interned per
**      meal): the token is checked against a per-scan hash of the cards
**      (revoked_card; the check waits one row behind a prefetch of its
**      hash line), the time against the window (out_of_hours), the device
**      becomes a dense per-scan index, the elder a per-scan key in order
**      of first appearance (prefetched as soon as the row's elder id is
**      read); lookback meals older than the two_sites margin
**      are kept only for elders who ever live alone.  A meal is 32 bytes
**      (time from the first day read, elder key, site index; the rare slot
**      word that is not breakfast, lunch or dinner is kept by meal id).
**   3. Two stable counting sorts scatter the meals into one buffer, first
**      in (device, served_at, id) order for the device pass (card_burst),
**      then in (elder, served_at, id) order for the elder pass
**      (repeat_meal, two_sites, after_death, in_hospital, no_agreement,
**      not_eligible and gone_quiet).  Per-site counters collected while
**      reading give manual_heavy, and with site_report, over_report.
**      The elder pass first has facts.c cache every elder's record
**      (zc_elder_preload: one scan each of elder, elder_status, agreement
**      and bed_stay in elder_id order, not four point queries per elder),
**      then takes them from zc_elder_rec.
** not_eligible asks the policy runtime (zc_policy_eligible on the facts of
** zc_elder_facts) — the same path the money takes.
*/
#include "modules.h"
#include "policy.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

/* ------------------------------------------------------------ findings */

/* Alphabetical: the enum order is the output order (anomaly_kind_name). */
enum {
  K_AFTER_DEATH, K_CARD_BURST, K_GONE_QUIET, K_IN_HOSPITAL, K_MANUAL_HEAVY, K_NO_AGREEMENT,
  K_NOT_ELIGIBLE, K_OUT_OF_HOURS, K_OVER_REPORT, K_REPEAT_MEAL, K_REVOKED_CARD, K_TWO_SITES,
  K_UNKNOWN_ELDER, K_N
};

typedef struct Finding {
  int kind;
  int day_level;             /* at is a day (else a time) */
  sqlite3_int64 site_id;     /* 0 = NULL */
  sqlite3_int64 elder_id;    /* 0 = NULL */
  sqlite3_int64 meal_id;     /* 0 = NULL */
  sqlite3_int64 at;          /* seconds, or day * 86400 for day-level */
  int seq;                   /* tie-break: slot of over_report */
  char *detail;
} Finding;

typedef struct FindingList {
  Finding *a;
  int n, cap;
} FindingList;

static void findings_clear(FindingList *l);
/* Takes ownership of detail (sqlite3_mprintf'd; NULL = out of memory). */
static int finding_add(FindingList *l, int kind, sqlite3_int64 site, sqlite3_int64 elder, sqlite3_int64 meal,
                sqlite3_int64 at, int day_level, int seq, char *detail);
/* Appends every finding of from to to (from keeps none). */
static int findings_move(FindingList *to, FindingList *from);

/* Wording of findings. */
static char *fmt_duration(sqlite3_int64 secs);  /* "18 min" / "18 min 20 s" / "40 s" */
static char *fmt_number(double x);              /* 30, or 0.25 */
static inline void fmt_clock(sqlite3_int64 t, char out[9]) {
  zc_clock_format((int)(t % ZC_DAY_SECONDS), out);
}

/* A day column: its day number, ZC_NONE when NULL or not a day. */
static inline int day_col(sqlite3_stmt *st, int c) {
  if (sqlite3_column_type(st, c) == SQLITE_NULL) return ZC_NONE;
  return zc_day_parse((const char *)sqlite3_column_text(st, c), sqlite3_column_bytes(st, c));
}

/* ---------------------------------------------------------- thresholds */

/* A policy version's thresholds, SPEC defaults for absent entries. */
typedef struct Thr {
  const ZcPolicyVersion *v;  /* NULL: no policy governs; SPEC defaults */
  double travel_minutes, burst_count, burst_seconds, report_tolerance, manual_share;
  double quiet_days, quiet_active, quiet_window;
  double coverage_min_age, coverage_min_elders;
  ZcWindow win[ZC_NSLOT];
} Thr;

/* Per governing region: the thresholds in force on each day of a range.
** Thr structs are shared between days and regions through their version. */
typedef struct ThrCache {
  ZcConn *zc;
  int lo, ndays;             /* days [lo, lo + ndays) */
  ZcMap by_region;           /* interned governing code -> row index + 1 */
  const Thr ***rows;         /* rows[i][day - lo]; NULL = not looked up */
  int nrows, caprows;
  Thr **thr;                 /* distinct versions */
  int nthr, capthr;
  Thr none;                  /* no governing policy */
} ThrCache;

static void thr_cache_init(ThrCache *c, ZcConn *zc, int lo, int ndays);
static void thr_cache_clear(ThrCache *c);
/* The thresholds of version v (NULL: c->none), made once per version. */
static int thr_for_version(ThrCache *c, const ZcPolicyVersion *v, const Thr **out);
/* A row handle for the region governing code (interned); -1 = none governs. */
static int thr_row(ThrCache *c, const char *code, int *row);
/* Thresholds of governing row (of region code) on day. */
static int thr_get(ThrCache *c, int row, const char *code, int day, const Thr **out, char **pzErr);
/* thr_get, answered inline when the day is in the range and looked up. */
static inline int thr_at(ThrCache *c, int row, const char *code, int day, const Thr **out, char **pzErr) {
  if (row >= 0 && day >= c->lo && day < c->lo + c->ndays && c->rows[row][day - c->lo]) {
    *out = c->rows[row][day - c->lo];
    return SQLITE_OK;
  }
  return thr_get(c, row, code, day, out, pzErr);
}

/* ------------------------------------------------------------ the scan */

enum { M_CARD, M_FACE, M_MANUAL, M_DELIVERY, M_OTHER };

/* 32 bytes a meal (a city month is five million): times are seconds from
** the start of the first day read, elders, sites and slot words are per-scan
** numbers or looked up by meal id (meal_t, meal_elder, meal_site,
** meal_slot_word). */
typedef struct Meal {
  sqlite3_int64 id;
  int rt;                  /* served_at: seconds since day lo began */
  int day;
  int ek;                  /* elder key: s->eid[ek] is the elder id */
  int site_ix;             /* index in s->sites; < 0: site id s->xsite[-1 - site_ix], not in table site */
  int dev;                 /* per-scan device index; -1: none, or not a card/face meal */
  signed char slot;        /* ZC_BREAKFAST.. or -1 (the word: s->odd_slot by meal id) */
  unsigned char method, in_scope;
} Meal;

/* The scan's text maps (common.c's ZcTextMap), keyed on card tokens and
** device ids: the text is copied once per distinct key, never per meal,
** and nothing is interned on the connection.  A card entry is one 64-byte
** line (aligned): hash, key and card together, so a probe costs one cache
** miss, and the reader can prefetch that line a row ahead (a city's
** quarter million cards do not stay in cache). */
typedef struct Card {
  sqlite3_int64 elder;
  int issued, revoked;   /* revoked INT_MAX when open; issued ZC_NONE if malformed */
} Card;
typedef struct CardEnt {
  ZcTextKey key;         /* the token */
  Card card;             /* the card itself, so a token check is one probe */
} CardEnt;
#define CARD_ENT_SIZE 64 /* a card entry's room in the map: one cache line */
_Static_assert(sizeof(CardEnt) <= CARD_ENT_SIZE, "a card entry fits a cache line");
typedef struct DeviceEnt {
  ZcTextKey key;         /* the device id */
  int ix;                /* its dense per-scan index */
} DeviceEnt;

typedef struct ScanSite {
  const ZcSiteFacts *f;
  int in_region, thr_row;
  sqlite3_int64 meals, manual;
  int *rec;                 /* in-region sites: recorded meals by (day - first) * ZC_NSLOT + slot */
} ScanSite;

typedef struct Scan {
  ZcConn *zc;
  const char *region;
  int first, next, lo;    /* month [first, next), read from lo */
  int last_data_day;      /* latest day of any meal read */
  ThrCache tc;
  ScanSite *sites;
  int nsite;
  ZcMap site_ix;          /* site id -> index */
  int *site_dense;        /* site id -> index, -1 absent; when ids are dense */
  sqlite3_int64 nsite_dense;
  ZcTextMap card_ix;      /* token text -> CardEnt */
  ZcTextMap dev_ix;       /* device text -> DeviceEnt: its dense index */
  const char **dev_name;  /* dense device index -> its text (in dev_ix), once loaded */
  int ndev;
  unsigned char *quiet_flag;  /* by elder id (0..nquiet-1): has lives_alone at some time */
  sqlite3_int64 nquiet;
  ZcMap quiet_big;        /* elder ids beyond the dense range with lives_alone */
  sqlite3_int64 keep_from;    /* lookback meals before this second are kept only for gone_quiet */
  Meal *m;
  int nm, capm;
  Meal *buf;              /* nm meals: in device order, then in elder order */
  sqlite3_int64 t0;       /* lo * ZC_DAY_SECONDS: Meal.rt is from here */
  int *ekey;              /* elder id (0..nquiet-1) -> elder key, -1 none yet */
  ZcMap ekey_big;         /* other elder ids -> key */
  sqlite3_int64 *eid;     /* elder key -> id */
  int neld, capeld;
  sqlite3_int64 *xsite;   /* site ids of meals that are not in table site */
  int nxsite, capxsite;
  ZcMap xsite_ix;         /* such an id -> index in xsite */
  ZcMap odd_slot;         /* meal id -> slot word (in odd_words), for a slot not breakfast, lunch or dinner */
  char **odd_words;       /* the distinct such words (bad data: few) */
  int nodd;
  const char *slot_words[ZC_NSLOT];
  FindingList out;
  char **pzErr;
} Scan;

static void scan_init(Scan *s, ZcConn *zc, const char *region, int first, int next, char **pzErr);
static void scan_clear(Scan *s);
/* Every finding of the month into s->out, sorted. */
static int scan_run(Scan *s);
/* Prepares sql; on error sets the scan's message. */
static int scan_prepare(Scan *s, sqlite3_stmt **st, const char *sql);
/* ZHUCAN_NO_THREADS set (to anything): every stage on the calling thread,
** as when a thread cannot be started (tests compare both). */
static int scan_threads_allowed(void);

/* One read of the meals of [lo, next) into s->m, with the
** token and window checks. */
static int scan_load_meals(Scan *s);
/* ZC_BREAKFAST.. for the words breakfast, lunch, dinner, else -1. */
static signed char slot_code(const char *z, int n);
/* The elder pass and the device pass, their findings into
** s->out.  Frees s->m. */
static int scan_passes(Scan *s);

/* The index of site id in s->sites; -1 for an id not in table site. */
static inline int scan_site_lookup(Scan *s, sqlite3_int64 id) {
  if (s->site_dense) return id >= 0 && id < s->nsite_dense ? s->site_dense[id] : -1;
  sqlite3_int64 *v = zc_map_slot(&s->site_ix, id, 0, NULL);
  return v ? (int)*v : -1;
}
static inline sqlite3_int64 meal_t(const Scan *s, const Meal *m) { return s->t0 + m->rt; }
static inline sqlite3_int64 meal_elder(const Scan *s, const Meal *m) { return s->eid[m->ek]; }
static inline sqlite3_int64 meal_site(const Scan *s, const Meal *m) {
  return m->site_ix >= 0 ? s->sites[m->site_ix].f->id : s->xsite[-1 - m->site_ix];
}
static inline const char *meal_slot_word(Scan *s, const Meal *m) {
  if (m->slot >= 0) return s->slot_words[m->slot];
  sqlite3_int64 *v = zc_map_slot(&s->odd_slot, m->id, 0, NULL);
  return v ? (const char *)(intptr_t)*v : "";
}
/* The thresholds of the meal's site on the meal's day (no policy for a
** site not in table site); *rc set on error. */
static inline const Thr *site_thr(Scan *s, const Meal *m, int *rc) {
  const Thr *t = &s->tc.none;
  if (m->site_ix >= 0) {
    const ScanSite *p = &s->sites[m->site_ix];
    *rc = thr_at(&s->tc, p->thr_row, p->f->region, m->day, &t, s->pzErr);
  }
  return t;
}

/* ------------------------------------------------------- coverage_gaps */

typedef struct Gap {
  const ZcRegion *r;
  sqlite3_int64 elders;
  char *reason;
} Gap;

typedef struct GapList {
  Gap *a;
  int n;
} GapList;

static void gaps_clear(GapList *g);
/* The villages and hamlets at or under region short of the duty on day. */
static int coverage_run(ZcConn *zc, const char *region, int day, GapList *out, char **pzErr);

/* The SPEC's meal windows, when no policy governs. */
static const ZcWindow default_windows[ZC_NSLOT] = {
    {6 * 3600, 9 * 3600}, {11 * 3600, 13 * 3600 + 1800}, {17 * 3600, 19 * 3600 + 1800}};

/* The thresholds of version v (NULL: none governs). */
static void thr_fill(Thr *t, const ZcPolicyVersion *v) {
  static const struct {
    const char *table, *key;
    size_t off;
    double def;
  } aNum[] = {
      {"anomaly", "travel_minutes", offsetof(Thr, travel_minutes), 30},
      {"anomaly", "burst_count", offsetof(Thr, burst_count), 6},
      {"anomaly", "burst_seconds", offsetof(Thr, burst_seconds), 15},
      {"anomaly", "report_tolerance", offsetof(Thr, report_tolerance), 0},
      {"anomaly", "manual_share", offsetof(Thr, manual_share), 0.2},
      {"anomaly", "quiet_days", offsetof(Thr, quiet_days), 3},
      {"anomaly", "quiet_active", offsetof(Thr, quiet_active), 10},
      {"anomaly", "quiet_window", offsetof(Thr, quiet_window), 14},
      {"params", "coverage_min_age", offsetof(Thr, coverage_min_age), 70},
      {"params", "coverage_min_elders", offsetof(Thr, coverage_min_elders), 10},
  };
  memset(t, 0, sizeof *t);
  t->v = v;
  for (size_t i = 0; i < sizeof aNum / sizeof aNum[0]; i++) {
    double x = aNum[i].def;
    if (v && !zc_policy_number(v, aNum[i].table, aNum[i].key, &x)) x = aNum[i].def;
    if (!isfinite(x)) x = aNum[i].def;
    *(double *)((char *)t + aNum[i].off) = x;
  }
  /* day counts are whole days, at least 1 */
  t->quiet_days = t->quiet_days < 1 ? 1 : floor(t->quiet_days);
  t->quiet_window = t->quiet_window < 0 ? 0 : floor(t->quiet_window);
  if (t->quiet_window > 366) t->quiet_window = 366;
  if (t->quiet_days > 366) t->quiet_days = 366;
  if (t->burst_count < 1) t->burst_count = 1;
  memcpy(t->win, v ? v->windows : default_windows, sizeof t->win);
}

/* ---------------------------------------------- by region and by day */

static void thr_cache_init(ThrCache *c, ZcConn *zc, int lo, int ndays) {
  memset(c, 0, sizeof *c);
  c->zc = zc;
  c->lo = lo;
  c->ndays = ndays;
  thr_fill(&c->none, NULL);
}

static void thr_cache_clear(ThrCache *c) {
  for (int i = 0; i < c->nrows; i++) sqlite3_free(c->rows[i]);
  sqlite3_free(c->rows);
  for (int i = 0; i < c->nthr; i++) sqlite3_free(c->thr[i]);
  sqlite3_free(c->thr);
  zc_map_clear(&c->by_region);
}

static int thr_for_version(ThrCache *c, const ZcPolicyVersion *v, const Thr **out) {
  if (v == NULL) {
    *out = &c->none;
    return SQLITE_OK;
  }
  for (int i = 0; i < c->nthr; i++)
    if (c->thr[i]->v == v) {
      *out = c->thr[i];
      return SQLITE_OK;
    }
  if (c->nthr == c->capthr) {
    int ncap = c->capthr ? c->capthr * 2 : 8;
    Thr **nt = sqlite3_realloc64(c->thr, (sqlite3_uint64)ncap * sizeof *nt);
    if (!nt) return SQLITE_NOMEM;
    c->thr = nt;
    c->capthr = ncap;
  }
  Thr *t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  thr_fill(t, v);
  c->thr[c->nthr++] = t;
  *out = t;
  return SQLITE_OK;
}

static int thr_row(ThrCache *c, const char *code, int *row) {
  const ZcRegion *g = code ? zc_region_governing(c->zc, code) : NULL;
  if (g == NULL) {
    *row = -1;
    return SQLITE_OK;
  }
  int isnew = 0;
  sqlite3_int64 *slot = zc_map_slot(&c->by_region, (sqlite3_int64)(intptr_t)g->code, 1, &isnew);
  if (!slot) return SQLITE_NOMEM;
  if (isnew) {
    if (c->nrows == c->caprows) {
      int ncap = c->caprows ? c->caprows * 2 : 16;
      const Thr ***nr = sqlite3_realloc64(c->rows, (sqlite3_uint64)ncap * sizeof *nr);
      if (!nr) return SQLITE_NOMEM;
      c->rows = nr;
      c->caprows = ncap;
    }
    const Thr **days = sqlite3_malloc64((sqlite3_uint64)c->ndays * sizeof *days);
    if (!days) return SQLITE_NOMEM;
    memset(days, 0, (size_t)c->ndays * sizeof *days);
    c->rows[c->nrows] = days;
    *slot = ++c->nrows;
  }
  *row = (int)*slot - 1;
  return SQLITE_OK;
}

/* A day outside the range is looked up each time; inside, once. */
static int thr_get(ThrCache *c, int row, const char *code, int day, const Thr **out, char **pzErr) {
  if (row < 0 || day < c->lo || day >= c->lo + c->ndays) {
    if (row < 0) {
      *out = &c->none;
      return SQLITE_OK;
    }
    const ZcPolicyVersion *v = NULL;
    int rc = zc_policy_for_region(c->zc, NULL, code, day, &v, pzErr);
    if (rc) return rc;
    return thr_for_version(c, v, out);
  }
  const Thr **p = &c->rows[row][day - c->lo];
  if (*p == NULL) {
    const ZcPolicyVersion *v = NULL;
    int rc = zc_policy_for_region(c->zc, NULL, code, day, &v, pzErr);
    if (rc) return rc;
    if ((rc = thr_for_version(c, v, p))) return rc;
  }
  *out = *p;
  return SQLITE_OK;
}

/* ------------------------------------------------------------ findings */

static void findings_clear(FindingList *l) {
  for (int i = 0; i < l->n; i++) sqlite3_free(l->a[i].detail);
  sqlite3_free(l->a);
  memset(l, 0, sizeof *l);
}

static int finding_add(FindingList *l, int kind, sqlite3_int64 site, sqlite3_int64 elder, sqlite3_int64 meal,
                sqlite3_int64 at, int day_level, int seq, char *detail) {
  if (detail == NULL) return SQLITE_NOMEM;
  if (l->n == l->cap) {
    int ncap = l->cap ? l->cap * 2 : 64;
    Finding *na = sqlite3_realloc64(l->a, (sqlite3_uint64)ncap * sizeof *na);
    if (!na) {
      sqlite3_free(detail);
      return SQLITE_NOMEM;
    }
    l->a = na;
    l->cap = ncap;
  }
  Finding *f = &l->a[l->n++];
  f->kind = kind;
  f->day_level = day_level;
  f->site_id = site;
  f->elder_id = elder;
  f->meal_id = meal;
  f->at = day_level ? at * ZC_DAY_SECONDS : at;
  f->seq = seq;
  f->detail = detail;
  return SQLITE_OK;
}

static int findings_move(FindingList *to, FindingList *from) {
  if (from->n == 0) return SQLITE_OK;
  if (to->n + from->n > to->cap) {
    int ncap = to->n + from->n;
    Finding *na = sqlite3_realloc64(to->a, (sqlite3_uint64)ncap * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    to->a = na;
    to->cap = ncap;
  }
  memcpy(to->a + to->n, from->a, (size_t)from->n * sizeof *from->a);
  to->n += from->n;
  from->n = 0;
  return SQLITE_OK;
}

static int cmp_i64(sqlite3_int64 a, sqlite3_int64 b) { return a < b ? -1 : a > b; }

/* The output order: kind, site_id, at, meal_id, elder_id, then seq. */
static int finding_cmp(const void *pa, const void *pb) {
  const Finding *a = pa, *b = pb;
  int c;
  if ((c = (a->kind > b->kind) - (a->kind < b->kind))) return c;
  if ((c = cmp_i64(a->site_id, b->site_id))) return c;
  if ((c = cmp_i64(a->at, b->at))) return c;
  if ((c = cmp_i64(a->meal_id, b->meal_id))) return c;
  if ((c = cmp_i64(a->elder_id, b->elder_id))) return c;
  return (a->seq > b->seq) - (a->seq < b->seq);
}

static char *fmt_duration(sqlite3_int64 secs) {
  if (secs < 60) return sqlite3_mprintf("%lld s", secs);
  if (secs % 60 == 0) return sqlite3_mprintf("%lld min", secs / 60);
  return sqlite3_mprintf("%lld min %lld s", secs / 60, secs % 60);
}

static char *fmt_number(double x) {
  if (x == floor(x) && fabs(x) < 1e15) return sqlite3_mprintf("%lld", (sqlite3_int64)x);
  return sqlite3_mprintf("%g", x);
}

/* ------------------------------------------------------ the scan's life */

static void scan_init(Scan *s, ZcConn *zc, const char *region, int first, int next, char **pzErr) {
  memset(s, 0, sizeof *s);
  s->zc = zc;
  s->region = region;
  s->first = first;
  s->next = next;
  s->pzErr = pzErr;
  zc_textmap_init(&s->card_ix, CARD_ENT_SIZE, 0);
  zc_textmap_init(&s->dev_ix, sizeof(DeviceEnt), 0);
}

static void scan_clear(Scan *s) {
  thr_cache_clear(&s->tc);
  for (int i = 0; i < s->nsite; i++) sqlite3_free(s->sites[i].rec);
  sqlite3_free(s->sites);
  sqlite3_free(s->site_dense);
  zc_map_clear(&s->site_ix);
  zc_textmap_clear(&s->card_ix);
  zc_textmap_clear(&s->dev_ix);
  sqlite3_free((void *)s->dev_name);
  sqlite3_free(s->quiet_flag);
  zc_map_clear(&s->quiet_big);
  sqlite3_free(s->m);
  sqlite3_free(s->buf);
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

static int scan_prepare(Scan *s, sqlite3_stmt **st, const char *sql) {
  int rc = sqlite3_prepare_v2(s->zc->db, sql, -1, st, NULL);
  if (rc != SQLITE_OK)
    *s->pzErr = sqlite3_mprintf("anomaly_scan: cannot read the input tables (%s); load sql/schema.sql",
                                sqlite3_errmsg(s->zc->db));
  return rc;
}

static int scan_threads_allowed(void) { return getenv("ZHUCAN_NO_THREADS") == NULL; }

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
    if ((rc = zc_site_facts(s->zc, sqlite3_column_int64(st, 0), &p->f, s->pzErr))) break;
    p->in_region = p->f->region && zc_region_under(s->zc, p->f->region, s->region);
    if (p->in_region) {
      size_t nrec = (size_t)(s->next - s->first) * ZC_NSLOT;
      p->rec = sqlite3_malloc64(nrec * sizeof *p->rec);
      if (!p->rec) { rc = SQLITE_NOMEM; break; }
      memset(p->rec, 0, nrec * sizeof *p->rec);
    }
    if ((rc = thr_row(&s->tc, p->f->region, &p->thr_row))) break;
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

/* The thresholds of each named policy's versions on the month's days. */
static int thr_of_month_versions(Scan *s) {
  sqlite3_stmt *st = NULL;
  int rc;
  if ((rc = scan_prepare(s, &st, "SELECT DISTINCT policy FROM region WHERE policy IS NOT NULL"))) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    for (int d = s->first; d < s->next && rc == SQLITE_ROW; d++) {
      const ZcPolicyVersion *v = NULL;
      const Thr *t;
      if (zc_policy_for_name(s->zc, NULL, name, d, &v, s->pzErr) != SQLITE_OK) { rc = SQLITE_ERROR; break; }
      if (thr_for_version(&s->tc, v, &t)) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc == SQLITE_ROW ? SQLITE_ERROR : rc;
  return SQLITE_OK;
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

/* Every card by token (revoked_card is checked while reading). */
static int load_cards(Scan *s) {
  sqlite3_stmt *st = NULL;
  int rc = scan_prepare(s, &st, "SELECT token, elder_id, issued_on, revoked_on FROM card");
  if (rc) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *tok = (const char *)sqlite3_column_text(st, 0);
    if (!tok) continue; /* NULL token: no meal can name it */
    int n = sqlite3_column_bytes(st, 0);
    CardEnt *e = zc_textmap_get(&s->card_ix, tok, (size_t)n, zc_text_hash(tok, (size_t)n), NULL);
    if (!e) { rc = SQLITE_NOMEM; break; }
    Card *c = &e->card;
    c->elder = sqlite3_column_int64(st, 1);
    c->issued = day_col(st, 2);
    c->revoked = sqlite3_column_type(st, 3) == SQLITE_NULL ? INT_MAX : day_col(st, 3);
    if (c->revoked == ZC_NONE) c->revoked = INT_MIN + 1; /* malformed: never valid */
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
    if ((rc = thr_get(&s->tc, p->thr_row, p->f->region, s->first, &t, s->pzErr))) return rc;
    double share = (double)p->manual / (double)p->meals;
    if ((double)p->manual - t->manual_share * (double)p->meals > 1e-9 * (double)p->meals) {
      if ((rc = finding_add(&s->out, K_MANUAL_HEAVY, p->f->id, 0, 0, s->first, 1, 0,
                            sqlite3_mprintf("%lld of %lld meals in %s recorded by hand (%.1f%%), above "
                                            "the %g%% limit",
                                            p->manual, p->meals, month, share * 100, t->manual_share * 100))))
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
    if ((rc = thr_get(&s->tc, p->thr_row, p->f->region, day, &t, s->pzErr))) break;
    if ((double)(diners - recorded) > t->report_tolerance) {
      char d[11];
      zc_day_format(day, d);
      if ((rc = finding_add(&s->out, K_OVER_REPORT, p->f->id, 0, 0, day, 1, sl < 0 ? 3 : sl,
                            sqlite3_mprintf("reported %lld diners for %s on %s, %lld meals recorded", diners,
                                            slot ? slot : "NULL", d, recorded))))
        break;
    }
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  else if (rc != SQLITE_NOMEM && !*s->pzErr)
    *s->pzErr = sqlite3_mprintf("anomaly_scan: reading site_report: %s", sqlite3_errmsg(s->zc->db));
  sqlite3_finalize(st);
  return rc;
}

/* ------------------------------------------------------------ the run */

static int scan_run(Scan *s) {
  int rc;
  if ((rc = zc_facts_sync(s->zc))) return rc;
  if ((rc = intern_slot_words(s))) return rc;
  /* Thresholds of every policy version governing any region on a day of
  ** the month decide the lookback.  (The cache keys days from first - 400,
  ** which covers any lookback thresholds allow.) */
  thr_cache_init(&s->tc, s->zc, s->first - 400, s->next - s->first + 400);
  if ((rc = load_sites(s))) return rc;
  if ((rc = thr_of_month_versions(s))) return rc;
  set_read_range(s);
  if ((rc = load_quiet_flags(s))) return rc;
  if ((rc = load_cards(s))) return rc;
  if ((rc = scan_load_meals(s))) return rc;
  if ((rc = scan_passes(s))) return rc;
  if ((rc = check_manual_heavy(s))) return rc;
  if ((rc = check_over_report(s))) return rc;
  if (s->out.n > 1) qsort(s->out.a, (size_t)s->out.n, sizeof *s->out.a, finding_cmp);
  return SQLITE_OK;
}

/* ------------------------------------------------ per-scan numbering */

static unsigned char method_code(const char *z, int n) {
  if (n == 4 && memcmp(z, "card", 4) == 0) return M_CARD;
  if (n == 4 && memcmp(z, "face", 4) == 0) return M_FACE;
  if (n == 6 && memcmp(z, "manual", 6) == 0) return M_MANUAL;
  if (n == 8 && memcmp(z, "delivery", 8) == 0) return M_DELIVERY;
  return M_OTHER;
}

static signed char slot_code(const char *z, int n) {
  if (n == 5 && memcmp(z, "lunch", 5) == 0) return ZC_LUNCH;
  if (n == 9 && memcmp(z, "breakfast", 9) == 0) return ZC_BREAKFAST;
  if (n == 6 && memcmp(z, "dinner", 6) == 0) return ZC_DINNER;
  return -1;
}

static int quiet_flagged(Scan *s, sqlite3_int64 id) {
  if (id >= 0 && id < s->nquiet) return s->quiet_flag[id];
  return zc_map_slot(&s->quiet_big, id, 0, NULL) != NULL;
}

/* The per-scan key of an elder id, numbering new ones in order of first
** appearance (the order of the elder pass). */
static int elder_key(Scan *s, sqlite3_int64 id, int *out) {
  int *slot = NULL;
  sqlite3_int64 *v = NULL;
  if (id >= 0 && id < s->nquiet) {
    slot = &s->ekey[id];
    if (*slot >= 0) { *out = *slot; return SQLITE_OK; }
  } else {
    int isnew = 0;
    if (!(v = zc_map_slot(&s->ekey_big, id, 1, &isnew))) return SQLITE_NOMEM;
    if (!isnew) { *out = (int)*v; return SQLITE_OK; }
  }
  if (s->neld == s->capeld) {
    int ncap = s->capeld ? s->capeld * 2 : 1024;
    sqlite3_int64 *ne = sqlite3_realloc64(s->eid, (sqlite3_uint64)ncap * sizeof *ne);
    if (!ne) return SQLITE_NOMEM;
    s->eid = ne;
    s->capeld = ncap;
  }
  s->eid[s->neld] = id;
  if (slot) *slot = s->neld;
  else *v = s->neld;
  *out = s->neld++;
  return SQLITE_OK;
}

/* The site index of a meal's site id: its index in s->sites, or for an id
** not in table site, -1 - its index in s->xsite. */
static int site_index(Scan *s, sqlite3_int64 id, int *out) {
  int ix = scan_site_lookup(s, id);
  if (ix < 0) {
    int isnew = 0;
    sqlite3_int64 *v = zc_map_slot(&s->xsite_ix, id, 1, &isnew);
    if (!v) return SQLITE_NOMEM;
    if (isnew) {
      if (s->nxsite == s->capxsite) {
        int ncap = s->capxsite ? s->capxsite * 2 : 16;
        sqlite3_int64 *nx = sqlite3_realloc64(s->xsite, (sqlite3_uint64)ncap * sizeof *nx);
        if (!nx) return SQLITE_NOMEM;
        s->xsite = nx;
        s->capxsite = ncap;
      }
      s->xsite[s->nxsite] = id;
      *v = s->nxsite++;
    }
    ix = -1 - (int)*v;
  }
  *out = ix;
  return SQLITE_OK;
}

/* The dense index of a device (text), numbering new ones. */
static int device_index(Scan *s, const char *z, int n, int *out) {
  int isnew;
  DeviceEnt *e = zc_textmap_get(&s->dev_ix, z, (size_t)n, zc_text_hash(z, (size_t)n), &isnew);
  if (!e) return SQLITE_NOMEM;
  if (isnew) e->ix = s->ndev++;
  *out = e->ix;
  return SQLITE_OK;
}

/* The scan's own copy of an odd slot word (one per distinct word). */
static const char *odd_word(Scan *s, const char *z, int n) {
  for (int i = 0; i < s->nodd; i++)
    if ((int)strlen(s->odd_words[i]) == n && memcmp(s->odd_words[i], z, (size_t)n) == 0) return s->odd_words[i];
  char **nw = sqlite3_realloc64(s->odd_words, ((sqlite3_uint64)s->nodd + 1) * sizeof *nw);
  if (!nw) return NULL;
  s->odd_words = nw;
  char *w = sqlite3_malloc(n + 1);
  if (!w) return NULL;
  memcpy(w, z, (size_t)n);
  w[n] = 0;
  s->odd_words[s->nodd++] = w;
  return w;
}

/* ------------------------------------------ checks made while reading */

/* What is wrong with a meal's token (tok, ntok bytes; c its card, NULL if
** none), sqlite3_mprintf'd; NULL when nothing is (or out of memory). */
static char *token_problem(const Card *c, sqlite3_int64 elder, int day, const char *tok, int ntok) {
  if (c && c->elder == elder && c->issued != ZC_NONE && day >= c->issued && day < c->revoked) return NULL;
  char d[11], x[11];
  zc_day_format(day, d);
  if (!c) return sqlite3_mprintf("token %.*s is not a registered card or face id", ntok, tok);
  if (c->elder != elder)
    return sqlite3_mprintf("token %.*s belongs to elder %lld, not to elder %lld", ntok, tok, c->elder, elder);
  if (c->issued == ZC_NONE) return sqlite3_mprintf("token %.*s has no valid issue date", ntok, tok);
  if (day < c->issued) {
    zc_day_format(c->issued, x);
    return sqlite3_mprintf("token %.*s used on %s, before it was issued on %s", ntok, tok, d, x);
  }
  if (c->revoked < 0) return sqlite3_mprintf("token %.*s has a malformed revocation date", ntok, tok);
  zc_day_format(c->revoked, x);
  return sqlite3_mprintf("token %.*s used on %s, revoked on %s", ntok, tok, d, x);
}

/* Checks that need no elder record: the token (its text, h its
** zc_text_hash) and the window.  Runs while the meals are read; elder is
** meal_elder(s, m). */
static int check_meal(Scan *s, const Meal *m, sqlite3_int64 elder, const Thr *t, const char *tok, int ntok,
                      uint64_t h) {
  int rc = SQLITE_OK;
  sqlite3_int64 site = meal_site(s, m), at = meal_t(s, m);
  const char *word = meal_slot_word(s, m);
  if (tok && ntok > 0) {
    const CardEnt *e = zc_textmap_find(&s->card_ix, tok, (size_t)ntok, h);
    char *why = token_problem(e ? &e->card : NULL, elder, m->day, tok, ntok);
    if (why) {
      rc = finding_add(&s->out, K_REVOKED_CARD, site, elder, m->id, at, 0, 0, why);
      if (rc) return rc;
    }
  }
  int secs = (int)(at % ZC_DAY_SECONDS);
  if (m->slot >= 0 && secs >= t->win[m->slot].from && secs <= t->win[m->slot].to) return rc;
  char hm[9];
  fmt_clock(at, hm);
  if (m->slot < 0) {
    rc = finding_add(&s->out, K_OUT_OF_HOURS, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf("meal at %s with slot '%q', which is not breakfast, lunch or dinner",
                                     hm, word));
  } else if (secs < t->win[m->slot].from || secs > t->win[m->slot].to) {
    char a[9], b[9];
    zc_clock_format(t->win[m->slot].from, a);
    zc_clock_format(t->win[m->slot].to, b);
    rc = finding_add(&s->out, K_OUT_OF_HOURS, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf("%s recorded at %s, outside the %s window %s to %s", word, hm,
                                     word, a, b));
  }
  return rc;
}

/* A meal whose token check waits for the next row. */
typedef struct Pending {
  int meal;          /* index in s->m; -1: none */
  int n;
  sqlite3_int64 elder;
  const Thr *t;
  uint64_t h;
  char tok[48];
} Pending;

static int pending_check(Scan *s, Pending *p) {
  int rc = check_meal(s, &s->m[p->meal], p->elder, p->t, p->tok, p->n, p->h);
  p->meal = -1;
  return rc;
}

/* ------------------------------------------- rows, chunks and meals */

/* A row as read: the text columns are bytes in its chunk. */
typedef struct RawRow {
  sqlite3_int64 id, elder, site;
  unsigned char method, has_dev;
  int nat, nslot;           /* bytes of served_at, slot (-1: NULL) */
  int ndev, ntok;           /* bytes at dev, tok (ntok -1: NULL token) */
  size_t at, slot, dev, tok; /* offsets in the chunk's bytes */
} RawRow;

#define CHUNK_ROWS 4096
typedef struct Chunk {
  RawRow rows[CHUNK_ROWS];
  int n;
  char *bytes;
  size_t nb, cap;
} Chunk;

/* The meal's time, or 0 for a row that is not kept: served_at is not a
** time, or the meal is a lookback meal (before keep_from) of an elder who
** never lives alone.  Notes the latest day of any meal read. */
static int row_time(Scan *s, ZcDayMemo *memo, const Chunk *ch, const RawRow *w, sqlite3_int64 *pt) {
  sqlite3_int64 t;
  if (w->nat < 0 || !zc_time_parse_memo(memo, ch->bytes + w->at, w->nat, &t))
    return 0; /* not a time: cannot be placed in any order */
  if (s->last_data_day == ZC_NONE || t / ZC_DAY_SECONDS > s->last_data_day)
    s->last_data_day = (int)(t / ZC_DAY_SECONDS);
  if (t < s->keep_from && !quiet_flagged(s, w->elder)) return 0;
  if (t < s->t0 || t - s->t0 > INT_MAX) return 0; /* cannot happen: served_at is in [lo, next) */
  *pt = t;
  return 1;
}

/* m from row w served at t: its elder, device and site numbered, an odd
** slot word kept by meal id. */
static int meal_from_row(Scan *s, const Chunk *ch, const RawRow *w, sqlite3_int64 t, Meal *m) {
  int rc;
  m->id = w->id;
  if ((rc = elder_key(s, w->elder, &m->ek))) return rc;
  m->rt = (int)(t - s->t0);
  m->day = (int)(t / ZC_DAY_SECONDS);
  const char *z = w->nslot >= 0 ? ch->bytes + w->slot : NULL;
  m->slot = z ? slot_code(z, w->nslot) : -1;
  if (m->slot < 0) {
    /* a rare other word, kept by meal id */
    const char *word = odd_word(s, z ? z : "", z ? w->nslot : 0);
    sqlite3_int64 *v = word ? zc_map_slot(&s->odd_slot, m->id, 1, NULL) : NULL;
    if (!v) return SQLITE_NOMEM;
    *v = (sqlite3_int64)(intptr_t)word;
  }
  m->method = w->method;
  m->dev = -1;
  if (w->has_dev && (rc = device_index(s, ch->bytes + w->dev, w->ndev, &m->dev))) return rc;
  if ((rc = site_index(s, w->site, &m->site_ix))) return rc;
  m->in_scope = m->day >= s->first && m->site_ix >= 0 && s->sites[m->site_ix].in_region;
  return SQLITE_OK;
}

/* A meal in scope (s->m[s->nm]): its site's counters, then the token and
** window checks. */
static int count_and_check(Scan *s, Pending *pend, const Chunk *ch, const RawRow *w, const Meal *m) {
  int rc = SQLITE_OK;
  ScanSite *p = &s->sites[m->site_ix];
  p->meals++;
  if (m->method == M_MANUAL) p->manual++;
  if (m->slot >= 0) p->rec[(m->day - s->first) * ZC_NSLOT + m->slot]++;
  const Thr *th = site_thr(s, m, &rc);
  if (rc) return rc;
  const char *z = w->ntok >= 0 ? ch->bytes + w->tok : NULL;
  int n = z ? w->ntok : 0;
  /* The card lookup is a cache miss: the check waits a row (its
  ** findings are sorted later like all others) while its line loads.
  ** A long token is checked at once. */
  if (pend->meal >= 0 && (rc = pending_check(s, pend))) return rc;
  if (n > 0 && n <= (int)sizeof pend->tok) {
    pend->meal = s->nm;
    pend->elder = w->elder;
    pend->t = th;
    pend->n = n;
    memcpy(pend->tok, z, (size_t)n);
    pend->h = zc_text_hash(z, (size_t)n);
    zc_textmap_prefetch(&s->card_ix, pend->h);
    return SQLITE_OK;
  }
  return check_meal(s, m, w->elder, th, z, n, n > 0 ? zc_text_hash(z, (size_t)n) : 0);
}

/* Turns one chunk into meals (the worker's stage). */
static int consume(Scan *s, Pending *pend, ZcDayMemo *memo, const Chunk *ch) {
  int rc = SQLITE_OK;
  for (int r = 0; r < ch->n; r++) {
    const RawRow *w = &ch->rows[r];
    sqlite3_int64 t;
    if (!row_time(s, memo, ch, w, &t)) continue;
    if (s->nm == s->capm) {
      int ncap = s->capm ? s->capm * 2 : 4096;
      Meal *nm = sqlite3_realloc64(s->m, (sqlite3_uint64)ncap * sizeof *nm);
      if (!nm) return SQLITE_NOMEM;
      s->m = nm;
      s->capm = ncap;
    }
    /* the elder's key is a cache miss: start loading the next row's */
    if (r + 1 < ch->n) {
      sqlite3_int64 ne = ch->rows[r + 1].elder;
      if (ne >= 0 && ne < s->nquiet) __builtin_prefetch(&s->ekey[ne]);
    }
    Meal *m = &s->m[s->nm];
    if ((rc = meal_from_row(s, ch, w, t, m))) return rc;
    if (m->in_scope && (rc = count_and_check(s, pend, ch, w, m))) return rc;
    s->nm++;
  }
  return rc;
}

/* ------------------------------------------------------- the reader */

static int chunk_bytes(Chunk *c, const char *z, int n, size_t *off) {
  if (c->nb + (size_t)n > c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 65536;
    while (ncap < c->nb + (size_t)n) ncap *= 2;
    char *nb = sqlite3_realloc64(c->bytes, ncap);
    if (!nb) return SQLITE_NOMEM;
    c->bytes = nb;
    c->cap = ncap;
  }
  memcpy(c->bytes + c->nb, z, (size_t)n);
  *off = c->nb;
  c->nb += (size_t)n;
  return SQLITE_OK;
}

/* A text value's bytes into the chunk: *pn its length, -1 when NULL (then
** nothing is copied). */
static int copy_text(Chunk *c, sqlite3_value *v, size_t *off, int *pn) {
  const char *z = (const char *)sqlite3_value_text(v);
  int n = sqlite3_value_bytes(v);
  *pn = z ? n : -1;
  return z ? chunk_bytes(c, z, n, off) : SQLITE_OK;
}

/* The row st is on, copied as it is into the chunk: the worker parses it.
** Each column is taken once with sqlite3_column_value and read with
** sqlite3_value_*: the connection's mutex, which this thread holds (the
** query calling anomaly_scan is stepping), is entered once per column, not
** twice (a host in serialized mode pays a lock for every column call). */
static int copy_row(Chunk *c, sqlite3_stmt *st) {
  RawRow *w = &c->rows[c->n];
  int rc;
  w->id = sqlite3_value_int64(sqlite3_column_value(st, 0));
  w->elder = sqlite3_value_int64(sqlite3_column_value(st, 1));
  w->site = sqlite3_value_int64(sqlite3_column_value(st, 2));
  if ((rc = copy_text(c, sqlite3_column_value(st, 3), &w->at, &w->nat))) return rc;
  if ((rc = copy_text(c, sqlite3_column_value(st, 4), &w->slot, &w->nslot))) return rc;
  sqlite3_value *v = sqlite3_column_value(st, 5);
  const char *z = (const char *)sqlite3_value_text(v);
  w->method = z ? method_code(z, sqlite3_value_bytes(v)) : M_OTHER;
  w->has_dev = 0;
  if (w->method == M_CARD || w->method == M_FACE) {
    v = sqlite3_column_value(st, 6);
    z = (const char *)sqlite3_value_text(v);
    int n = sqlite3_value_bytes(v);
    if (z && n > 0) {
      if ((rc = chunk_bytes(c, z, n, &w->dev))) return rc;
      w->ndev = n;
      w->has_dev = 1;
    }
  }
  return copy_text(c, sqlite3_column_value(st, 7), &w->tok, &w->ntok);
}

/* The two stages: the reader fills chunk c[head] while the worker turns
** c[tail] into meals. */
typedef struct Pipe {
  Scan *s;
  Chunk *c[3];
  int full[3];              /* chunk i waits for the worker */
  int head, tail;           /* producer fills c[head]; worker takes c[tail] */
  int done, rc;             /* producer finished; the worker's result */
  Pending pend;
  ZcDayMemo memo;           /* the worker's served_at parsing (common.c) */
  int threaded;             /* the worker runs on its own thread */
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} Pipe;

static void *pipe_worker(void *arg) {
  Pipe *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->full[p->tail] && !p->done) pthread_cond_wait(&p->cv, &p->mu);
    if (!p->full[p->tail]) break; /* done, and nothing left */
    Chunk *c = p->c[p->tail];
    int rc = p->rc;
    pthread_mutex_unlock(&p->mu);
    if (rc == SQLITE_OK) rc = consume(p->s, &p->pend, &p->memo, c);
    pthread_mutex_lock(&p->mu);
    if (rc != SQLITE_OK && p->rc == SQLITE_OK) p->rc = rc;
    p->full[p->tail] = 0;
    p->tail = (p->tail + 1) % 3;
    pthread_cond_broadcast(&p->cv);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* The chunks, and the worker's thread when threads are allowed and one
** can be started. */
static int pipe_open(Pipe *p, Scan *s) {
  memset(p, 0, sizeof *p);
  p->s = s;
  p->pend.meal = -1;
  for (int i = 0; i < 3; i++) {
    if (!(p->c[i] = sqlite3_malloc64(sizeof *p->c[i]))) return SQLITE_NOMEM;
    memset(p->c[i], 0, sizeof *p->c[i]);
  }
  if (scan_threads_allowed() && pthread_mutex_init(&p->mu, NULL) == 0) {
    if (pthread_cond_init(&p->cv, NULL) == 0) {
      if (pthread_create(&p->th, NULL, pipe_worker, p) == 0) p->threaded = 1;
      else pthread_cond_destroy(&p->cv);
    }
    if (!p->threaded) pthread_mutex_destroy(&p->mu);
  }
  return SQLITE_OK;
}

/* Hands the chunk *pc over: without a worker, turns it into meals here;
** with one, queues it and waits until the next chunk is free.  *pc is
** then the (empty) chunk to fill.  The worker's error, if any. */
static int pipe_hand_over(Pipe *p, Chunk **pc) {
  Chunk *c = *pc;
  if (!p->threaded) {
    int rc = consume(p->s, &p->pend, &p->memo, c);
    c->n = 0;
    c->nb = 0;
    return rc;
  }
  pthread_mutex_lock(&p->mu);
  p->full[p->head] = 1;
  p->head = (p->head + 1) % 3;
  pthread_cond_broadcast(&p->cv);
  while (p->full[p->head] && p->rc == SQLITE_OK) pthread_cond_wait(&p->cv, &p->mu);
  int wrc = p->rc;
  pthread_mutex_unlock(&p->mu);
  if (wrc != SQLITE_OK) return wrc;
  c = *pc = p->c[p->head];
  c->n = 0;
  c->nb = 0;
  return SQLITE_OK;
}

/* Steps through the meals, copying rows into chunks and handing each full
** chunk, and the last, over.  SQLITE_DONE when every row is in. */
static int read_rows(Pipe *p, sqlite3_stmt *st) {
  Chunk *c = p->c[0];
  int rc;
  for (;;) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      if ((rc = copy_row(c, st))) break;
      if (++c->n < CHUNK_ROWS) continue;
    } else if (rc != SQLITE_DONE) {
      break;
    }
    /* a full chunk, or the last one: to the worker */
    int last = rc == SQLITE_DONE;
    int hrc = pipe_hand_over(p, &c);
    if (hrc != SQLITE_OK) {
      rc = hrc;
      break;
    }
    if (last) break;
  }
  return rc;
}

/* Lets the worker finish the chunks handed over and joins it; rc (the
** read's result) becomes the worker's error if the read went well; the
** last token check waiting.  Frees the chunks. */
static int pipe_close(Pipe *p, int rc) {
  if (p->threaded) {
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    if (p->rc != SQLITE_OK && (rc == SQLITE_DONE || rc == SQLITE_ROW)) rc = p->rc;
  }
  if (rc == SQLITE_DONE && p->pend.meal >= 0) {
    int rc2 = pending_check(p->s, &p->pend);
    if (rc2) rc = rc2;
  }
  for (int i = 0; i < 3; i++)
    if (p->c[i]) {
      sqlite3_free(p->c[i]->bytes);
      sqlite3_free(p->c[i]);
    }
  return rc;
}

/* Every threshold the worker may ask for: each governing row on each day
** of [lo, next), so that site_thr never reaches the policy runtime. */
static int thr_prefill(Scan *s) {
  for (int i = 0; i < s->nsite; i++) {
    const ScanSite *p = &s->sites[i];
    if (p->thr_row < 0) continue;
    for (int d = s->lo; d < s->next; d++) {
      const Thr *t;
      if (d < s->tc.lo || d >= s->tc.lo + s->tc.ndays) continue;
      if (s->tc.rows[p->thr_row][d - s->tc.lo]) continue;
      int rc = thr_get(&s->tc, p->thr_row, p->f->region, d, &t, s->pzErr);
      if (rc) return rc;
    }
  }
  return SQLITE_OK;
}

static int scan_load_meals(Scan *s) {
  sqlite3_stmt *st = NULL;
  char a[11], b[11];
  Pipe p;
  int rc;
  if ((rc = thr_prefill(s))) return rc;
  rc = scan_prepare(s,
                    &st,
                    "SELECT id, elder_id, site_id, served_at, slot, method, device, token FROM meal "
                    "WHERE served_at >= ?1 AND served_at < ?2 ORDER BY served_at, id");
  if (rc) return rc;
  zc_day_format(s->lo, a);
  zc_day_format(s->next, b);
  sqlite3_bind_text(st, 1, a, 10, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, b, 10, SQLITE_STATIC);
  s->last_data_day = ZC_NONE;
  rc = pipe_open(&p, s);
  if (rc == SQLITE_OK) rc = read_rows(&p, st);
  rc = pipe_close(&p, rc);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (!*s->pzErr && rc != SQLITE_NOMEM)
    *s->pzErr = sqlite3_mprintf("anomaly_scan: reading meals: %s", sqlite3_errmsg(s->zc->db));
  return rc;
}

/* Stable counting sort of the meals by a dense key, the device (by_dev;
** -1: not a card/face meal on a device, left out) or the elder, scattered
** into out in one pass over s->m: each key's run keeps the input order
** (served_at, id).  Key k's run is out[starts[k]..starts[k+1]). */
static int sort_meals(const Scan *s, int by_dev, int nkey, Meal *out, int **pstarts) {
  int *starts = sqlite3_malloc64(((sqlite3_uint64)nkey + 1) * sizeof *starts);
  int *fill = sqlite3_malloc64(((sqlite3_uint64)nkey + 1) * sizeof *fill);
  if (!starts || !fill) {
    sqlite3_free(starts);
    sqlite3_free(fill);
    return SQLITE_NOMEM;
  }
  const Meal *m = s->m;
  int n = s->nm;
  memset(starts, 0, ((size_t)nkey + 1) * sizeof *starts);
  for (int i = 0; i < n; i++) {
    int k = by_dev ? m[i].dev : m[i].ek;
    if (k >= 0) starts[k + 1]++;
  }
  for (int k = 0; k < nkey; k++) starts[k + 1] += starts[k];
  memcpy(fill, starts, ((size_t)nkey + 1) * sizeof *fill);
  for (int i = 0; i < n; i++) {
    int k = by_dev ? m[i].dev : m[i].ek;
    if (k >= 0) out[fill[k]++] = m[i];
  }
  sqlite3_free(fill);
  *pstarts = starts;
  return SQLITE_OK;
}

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
                         ? sqlite3_mprintf("meal on %s, the day the elder died", day_text(d, m->day))
                         : sqlite3_mprintf("meal on %s, %d days after the elder died on %s", day_text(d, m->day),
                                           m->day - r->died_on, dd));
    if (rc) return rc;
  }
  const ZcInterval *h = status_at(r, ZC_ST_HOSPITALIZED, m->day);
  if (h) {
    char from[11];
    zc_day_format(h->from, from);
    rc = finding_add(&s->out, K_IN_HOSPITAL, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf("meal on %s while the elder is in hospital (since %s)", day_text(d, m->day), from));
    if (rc) return rc;
  }
  if (!zc_elder_agreement(r, m->day, site)) {
    rc = finding_add(&s->out, K_NO_AGREEMENT, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf("no three-party meal agreement with site %lld in force on %s",
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
                       sqlite3_mprintf("not eligible for meals on %s under policy %s: %s", day_text(d, m->day),
                                       t->v->name, el->reason ? el->reason : "no reason given"));
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
                     sqlite3_mprintf("%s already eaten at %s at site %lld (meal %lld); this is "
                                     "meal %d of that %s",
                                     word, hm, meal_site(s, f), f->id, ns, word));
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
    char *gap = fmt_duration(m->rt - p->rt), *lim = fmt_number(t->travel_minutes);
    int rc = finding_add(&s->out, K_TWO_SITES, site, elder, m->id, at, 0, 0,
                         gap && lim ? sqlite3_mprintf("meal at site %lld only %s after a meal at site "
                                                      "%lld at %s (meal %lld); travel between sites takes %s min",
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
    const Thr *t = site_thr(s, m, &rc);
    if (rc) return rc;
    if (ns > 1 && (rc = check_repeat(s, elder, m, &em[first_of[si]], ns, word))) return rc;
    if ((rc = check_two_sites(s, elder, em, a, i, t))) return rc;
    if (r) rc = check_elder_meal(s, m, r, t, &el);
    else
      rc = finding_add(&s->out, K_UNKNOWN_ELDER, meal_site(s, m), elder, m->id, meal_t(s, m), 0, 0,
                       sqlite3_mprintf("meal for elder %lld, who is not in the elder table", elder));
    if (rc) return rc;
  }
  return rc;
}

/* gone_quiet for one elder whose meals em[a..b) are in time order (ate:
** room for a flag per day read). */
static int check_quiet(Scan *s, const ZcElderRec *r, const Meal *em, int a, int b, unsigned char *ate) {
  int rc = SQLITE_OK, row;
  int span = s->next - s->lo;
  memset(ate, 0, (size_t)span);
  for (int i = a; i < b; i++) ate[em[i].day - s->lo] = 1;
  if ((rc = thr_row(&s->tc, r->region_code, &row))) return rc;
  int last = s->last_data_day < s->next - 1 ? s->last_data_day : s->next - 1;
  for (int e = s->first; e <= last; e++) {
    const Thr *t;
    if ((rc = thr_get(&s->tc, row, r->region_code, e, &t, s->pzErr))) return rc;
    int qd = (int)t->quiet_days, qw = (int)t->quiet_window;
    int d0 = e - qd + 1;
    if (d0 - qw - 1 < s->lo) continue; /* not enough history read (cannot happen: lo covers it) */
    if (!status_at(r, ZC_ST_LIVES_ALONE, d0)) continue;
    int ok = 1;
    for (int d = d0 - 1; d <= e && ok; d++) {
      int missed = !ate[d - s->lo] && !(r->died_on != ZC_NONE && d >= r->died_on) &&
                   !status_at(r, ZC_ST_HOSPITALIZED, d);
      /* d0 - 1 must not be a missed day (the gap starts at d0) */
      ok = d == d0 - 1 ? !missed : missed;
    }
    if (!ok) continue;
    int active = 0;
    for (int d = d0 - qw; d < d0; d++) active += ate[d - s->lo];
    if (active < t->quiet_active) continue;
    char x[11], y[11];
    zc_day_format(d0, x);
    zc_day_format(e, y);
    rc = finding_add(&s->out, K_GONE_QUIET, 0, r->id, 0, d0, 1, 0,
                     sqlite3_mprintf("lives alone; ate on %d of the %d days before %s, then no meal for "
                                     "%d days (%s to %s)",
                                     active, qw, x, qd, x, y));
    if (rc) return rc;
  }
  return rc;
}

/* Every check of elder key k, whose meals are em[a..b) in time order.  An
** elder with no meal in scope is checked only for gone_quiet. */
static int check_elder(Scan *s, int k, const Meal *em, int a, int b, unsigned char *ate) {
  int rc, any = 0;
  for (int i = a; i < b && !any; i++) any = em[i].in_scope;
  sqlite3_int64 elder = s->eid[k];
  const ZcElderRec *r = NULL;
  char *err = NULL;
  if ((rc = zc_elder_rec(s->zc, elder, &r, &err)) == SQLITE_ERROR) {
    /* an elder id that is not in table elder */
    sqlite3_free(err);
    r = NULL;
  } else if (rc) {
    *s->pzErr = err;
    return rc;
  }
  int alone = r && has_status(r, ZC_ST_LIVES_ALONE);
  if (!any && !alone) return SQLITE_OK;
  if ((rc = check_elder_meals(s, elder, r, em, a, b))) return rc;
  if (alone && r->region_code && zc_region_under(s->zc, r->region_code, s->region))
    return check_quiet(s, r, em, a, b, ate);
  return SQLITE_OK;
}

/* The second thread's work (scan_passes): first the meals sorted by elder
** into s->buf (estarts, erc, then esorted set), then the device pass into
** dm and out. */
typedef struct DevJob {
  Scan *s;
  Meal *dm;
  FindingList out;
  int rc;
  int threaded, esorted, erc;
  int *estarts;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} DevJob;

/* The meals in (elder, served_at, id) order in s->buf: sorted on the other
** thread meanwhile, or here.  *pstarts: each elder key's run. */
static int elder_order(Scan *s, DevJob *job, int **pstarts) {
  if (!job->threaded) return sort_meals(s, 0, s->neld, s->buf, pstarts);
  pthread_mutex_lock(&job->mu);
  while (!job->esorted) pthread_cond_wait(&job->cv, &job->mu);
  pthread_mutex_unlock(&job->mu);
  *pstarts = job->estarts;
  job->estarts = NULL;
  return job->erc;
}

static int elder_pass(Scan *s, DevJob *job) {
  int rc = SQLITE_OK, *starts = NULL;
  unsigned char *ate = sqlite3_malloc64((sqlite3_uint64)(s->next - s->lo) + 1);
  if (!ate) { rc = SQLITE_NOMEM; goto done; }
  /* most elders are asked for: their records in one read of each table
  ** (facts.c), not four point queries per elder */
  if ((rc = zc_elder_preload(s->zc, s->pzErr))) goto done;
  if ((rc = elder_order(s, job, &starts))) goto done;
  for (int k = 0; k < s->neld; k++)
    if ((rc = check_elder(s, k, s->buf, starts[k], starts[k + 1], ate))) goto done;
done:
  sqlite3_free(starts);
  sqlite3_free(ate);
  return rc;
}

/* --------------------------------------------------- the device pass */

/* Every window of burst_count meals of one device (dm[a..b)) whose first
** and last are at most burst_seconds apart marks its meals (thresholds of
** its first meal). */
static int mark_bursts(Scan *s, const Meal *dm, int a, int b, unsigned char *mark) {
  int rc = SQLITE_OK;
  for (int i = a; i < b; i++) {
    const Meal *m = &dm[i];
    const Thr *t = site_thr(s, m, &rc);
    if (rc) return rc;
    int need = (int)ceil(t->burst_count);
    int j = i + need - 1;
    if (j >= b) continue;
    if ((double)(dm[j].rt - m->rt) <= t->burst_seconds) memset(mark + i, 1, (size_t)need);
  }
  return rc;
}

/* card_burst: each marked meal in scope, with the run of marked meals
** around it; a run ends where the next marked meal is more than
** burst_seconds later (it belongs to another burst, perhaps another day). */
static int report_bursts(Scan *s, const Meal *dm, int a, int b, const unsigned char *mark, FindingList *out) {
  int rc = SQLITE_OK;
  for (int i = a; i < b;) {
    if (!mark[i]) { i++; continue; }
    const Thr *t = site_thr(s, &dm[i], &rc);
    if (rc) return rc;
    int j = i + 1;
    while (j < b && mark[j] && (double)(dm[j].rt - dm[j - 1].rt) <= t->burst_seconds) j++;
    const Meal *f = &dm[i], *l = &dm[j - 1];
    char c1[9], c2[9];
    fmt_clock(meal_t(s, f), c1);
    fmt_clock(meal_t(s, l), c2);
    for (int x = i; x < j; x++) {
      const Meal *m = &dm[x];
      if (!m->in_scope) continue;
      if ((rc = finding_add(out, K_CARD_BURST, meal_site(s, m), meal_elder(s, m), m->id, meal_t(s, m), 0, 0,
                            sqlite3_mprintf("%d card/face meals on device %s within %lld s (%s to %s)",
                                            j - i, s->dev_name[m->dev], (sqlite3_int64)(l->rt - f->rt), c1, c2))))
        return rc;
    }
    i = j;
  }
  return rc;
}

/* On its own thread while elder_pass runs (scan_passes): it reads the
** meals and the scan's maps, writes only dm, s->dev_name and out, and asks
** thresholds that thr_prefill looked up before. */
static int device_pass(Scan *s, Meal *dm, FindingList *out) {
  int rc = SQLITE_OK, *starts = NULL, nkey = s->ndev;
  unsigned char *mark = NULL;
  /* names by index (entries no longer move: the map is complete) */
  s->dev_name = sqlite3_malloc64(((sqlite3_uint64)s->ndev + 1) * sizeof *s->dev_name);
  if (!s->dev_name) { rc = SQLITE_NOMEM; goto done; }
  for (size_t i = 0; i < s->dev_ix.cap; i++) {
    const DeviceEnt *e = zc_textmap_at(&s->dev_ix, i);
    if (e) s->dev_name[e->ix] = zc_textmap_key(e);
  }
  /* dm: card/face meals in (device, served_at, id) order */
  if ((rc = sort_meals(s, 1, nkey, dm, &starts))) goto done;
  int n = starts[nkey];
  mark = sqlite3_malloc64((sqlite3_uint64)n + 1);
  if (!mark) { rc = SQLITE_NOMEM; goto done; }
  memset(mark, 0, (size_t)n + 1);
  for (int k = 0; k < nkey; k++) {
    if ((rc = mark_bursts(s, dm, starts[k], starts[k + 1], mark))) goto done;
    if ((rc = report_bursts(s, dm, starts[k], starts[k + 1], mark, out))) goto done;
  }
done:
  sqlite3_free(starts);
  sqlite3_free(mark);
  return rc;
}

static void *device_worker(void *arg) {
  DevJob *j = arg;
  int *starts = NULL;
  int rc = sort_meals(j->s, 0, j->s->neld, j->s->buf, &starts);
  pthread_mutex_lock(&j->mu);
  j->erc = rc;
  j->estarts = starts;
  j->esorted = 1;
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&j->mu);
  j->rc = device_pass(j->s, j->dm, &j->out);
  return NULL;
}

/* ---------------------------------------------------------- both */

static int scan_passes(Scan *s) {
  int rc;
  /* each pass sorts the meals into its own buffer */
  s->buf = sqlite3_malloc64(((sqlite3_uint64)s->nm + 1) * sizeof *s->buf);
  if (!s->buf) return SQLITE_NOMEM;
  DevJob j;
  memset(&j, 0, sizeof j);
  j.s = s;
  if (!(j.dm = sqlite3_malloc64(((sqlite3_uint64)s->nm + 1) * sizeof *j.dm))) return SQLITE_NOMEM;
  pthread_t th;
  if (scan_threads_allowed() && pthread_mutex_init(&j.mu, NULL) == 0) {
    if (pthread_cond_init(&j.cv, NULL) == 0) {
      j.threaded = pthread_create(&th, NULL, device_worker, &j) == 0;
      if (!j.threaded) pthread_cond_destroy(&j.cv);
    }
    if (!j.threaded) pthread_mutex_destroy(&j.mu);
  }
  if (!j.threaded) j.rc = device_pass(s, j.dm, &j.out);
  rc = elder_pass(s, &j);
  if (j.threaded) {
    pthread_join(th, NULL);
    pthread_mutex_destroy(&j.mu);
    pthread_cond_destroy(&j.cv);
    sqlite3_free(j.estarts); /* elder_pass failed before taking them */
  }
  sqlite3_free(j.dm);
  sqlite3_free(s->m);  /* both passes have their copies */
  s->m = NULL;
  if (rc == SQLITE_OK) rc = j.rc;
  if (rc == SQLITE_OK) rc = findings_move(&s->out, &j.out);
  findings_clear(&j.out);
  return rc;
}

static void gaps_clear(GapList *g) {
  for (int i = 0; i < g->n; i++) sqlite3_free(g->a[i].reason);
  sqlite3_free(g->a);
  memset(g, 0, sizeof *g);
}

static int gap_cmp(const void *pa, const void *pb) {
  const Gap *a = pa, *b = pb;
  return strcmp(a->r->code, b->r->code);
}

/* A village or hamlet and what the reads found in it. */
typedef struct CovRegion {
  const ZcRegion *r;
  const Thr *t;
  sqlite3_int64 elders;
  int served, courtyard;
} CovRegion;

typedef struct Cov {
  ZcConn *zc;
  int day;
  CovRegion *cr;     /* the villages and hamlets at or under the region, by code */
  int n, cap;
  ZcMap ix;          /* interned code -> index in cr */
  ThrCache tc;
  char **pzErr;
} Cov;

/* An error reading the input tables: its message (unless out of memory or
** a message is already set); returns rc. */
static int cov_sql_error(Cov *cv, int rc) {
  if (rc != SQLITE_NOMEM && !*cv->pzErr)
    *cv->pzErr = sqlite3_mprintf("coverage_gaps: cannot read the input tables (%s)", sqlite3_errmsg(cv->zc->db));
  return rc;
}

static int cov_add_region(Cov *cv, const ZcRegion *r) {
  int rc;
  if (cv->n == cv->cap) {
    cv->cap = cv->cap ? cv->cap * 2 : 64;
    CovRegion *nc = sqlite3_realloc64(cv->cr, (sqlite3_uint64)cv->cap * sizeof *nc);
    if (!nc) return SQLITE_NOMEM;
    cv->cr = nc;
  }
  CovRegion *c = &cv->cr[cv->n];
  memset(c, 0, sizeof *c);
  c->r = r;
  int row;
  if ((rc = thr_row(&cv->tc, r->code, &row))) return rc;
  if ((rc = thr_get(&cv->tc, row, r->code, cv->day, &c->t, cv->pzErr))) return rc;
  sqlite3_int64 *v = zc_map_slot(&cv->ix, (sqlite3_int64)(intptr_t)r->code, 1, NULL);
  if (!v) return SQLITE_NOMEM;
  *v = cv->n++;
  return SQLITE_OK;
}

/* The villages and hamlets at or under region, with their thresholds. */
static int cov_regions(Cov *cv, const char *region) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(cv->zc->db,
                              "SELECT code FROM region WHERE level IN ('village','hamlet') ORDER BY code", -1,
                              &st, NULL);
  if (rc) return cov_sql_error(cv, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const ZcRegion *r = zc_region(cv->zc, (const char *)sqlite3_column_text(st, 0));
    if (!r || !zc_region_under(cv->zc, r->code, region)) continue;
    if ((rc = cov_add_region(cv, r))) goto done;
  }
  rc = rc == SQLITE_DONE ? SQLITE_OK : cov_sql_error(cv, rc);
done:
  sqlite3_finalize(st);
  return rc;
}

/* The region (interned code) as a village or hamlet of the answer; NULL
** when it is not one. */
static CovRegion *cov_region(Cov *cv, const ZcRegion *r) {
  sqlite3_int64 *v = zc_map_slot(&cv->ix, (sqlite3_int64)(intptr_t)r->code, 0, NULL);
  return v ? &cv->cr[*v] : NULL;
}

/* Sites open on day: each marks its region and each ancestor served (and
** with a courtyard). */
static int cov_open_sites(Cov *cv) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(cv->zc->db, "SELECT region, kind, opened_on, closed_on FROM site", -1, &st, NULL);
  if (rc) return cov_sql_error(cv, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int from = day_col(st, 2);
    int to = sqlite3_column_type(st, 3) == SQLITE_NULL ? INT_MAX : day_col(st, 3);
    if (from == ZC_NONE || to == ZC_NONE || !(from <= cv->day && cv->day < to)) continue;
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    int courtyard = kind && strcmp(kind, "courtyard") == 0;
    int guard = 0;
    for (const ZcRegion *r = zc_region(cv->zc, (const char *)sqlite3_column_text(st, 0)); r && guard < 64;
         r = r->up, guard++) {
      CovRegion *c = cov_region(cv, r);
      if (!c) continue;
      c->served = 1;
      if (courtyard) c->courtyard = 1;
    }
  }
  rc = rc == SQLITE_DONE ? SQLITE_OK : cov_sql_error(cv, rc);
  sqlite3_finalize(st);
  return rc;
}

/* Living elders and their ages on day: each counts in its region and each
** ancestor whose coverage_min_age it reaches. */
static int cov_count_elders(Cov *cv) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(cv->zc->db, "SELECT id_number, region, died_on FROM elder", -1, &st, NULL);
  if (rc) return cov_sql_error(cv, rc);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int died = day_col(st, 2), birth;
    char sex;
    if (died != ZC_NONE && died <= cv->day) continue;
    if (!zc_idcard_parse((const char *)sqlite3_column_text(st, 0), sqlite3_column_bytes(st, 0), &birth, &sex))
      continue;
    if (birth > cv->day) continue;
    int age = zc_age_years(birth, cv->day), guard = 0;
    for (const ZcRegion *r = zc_region(cv->zc, (const char *)sqlite3_column_text(st, 1)); r && guard < 64;
         r = r->up, guard++) {
      CovRegion *c = cov_region(cv, r);
      if (c && age >= c->t->coverage_min_age) c->elders++;
    }
  }
  rc = rc == SQLITE_DONE ? SQLITE_OK : cov_sql_error(cv, rc);
  sqlite3_finalize(st);
  return rc;
}

/* Why c falls short of the duty on day d (sqlite3_mprintf'd into
** *preason), or NULL when it does not. */
static int gap_reason(const CovRegion *c, const char *d, char **preason) {
  char *reason = NULL;
  *preason = NULL;
  char *age = fmt_number(c->t->coverage_min_age);
  if (!age) return SQLITE_NOMEM;
  if (strcmp(c->r->level, "village") == 0) {
    if (!c->served)
      reason = sqlite3_mprintf("administrative village with %lld elders aged %s+ and no meal site open on "
                               "%s in it or its hamlets",
                               c->elders, age, d);
    sqlite3_free(age);
    if (c->served) return SQLITE_OK;
  } else if (!c->courtyard && !c->r->exempt && (double)c->elders > c->t->coverage_min_elders) {
    reason = sqlite3_mprintf("%lld elders aged %s+ live here (more than %g) and no courtyard is open on %s",
                             c->elders, age, c->t->coverage_min_elders, d);
    sqlite3_free(age);
  } else {
    sqlite3_free(age);
    return SQLITE_OK;
  }
  if (!reason) return SQLITE_NOMEM;
  *preason = reason;
  return SQLITE_OK;
}

/* The regions short of the duty, by code. */
static int cov_list_gaps(Cov *cv, GapList *out) {
  int rc;
  out->a = sqlite3_malloc64(((sqlite3_uint64)cv->n + 1) * sizeof *out->a);
  if (!out->a) return SQLITE_NOMEM;
  char d[11];
  zc_day_format(cv->day, d);
  for (int i = 0; i < cv->n; i++) {
    char *reason;
    if ((rc = gap_reason(&cv->cr[i], d, &reason))) return rc;
    if (!reason) continue;
    out->a[out->n].r = cv->cr[i].r;
    out->a[out->n].elders = cv->cr[i].elders;
    out->a[out->n].reason = reason;
    out->n++;
  }
  if (out->n > 1) qsort(out->a, (size_t)out->n, sizeof *out->a, gap_cmp);
  return SQLITE_OK;
}

static int coverage_run(ZcConn *zc, const char *region, int day, GapList *out, char **pzErr) {
  Cov cv;
  memset(&cv, 0, sizeof cv);
  cv.zc = zc;
  cv.day = day;
  cv.pzErr = pzErr;
  zc_map_init(&cv.ix);
  thr_cache_init(&cv.tc, zc, day, 1);
  int rc = zc_facts_sync(zc);
  if (rc == SQLITE_OK) rc = cov_regions(&cv, region);
  if (rc == SQLITE_OK) rc = cov_open_sites(&cv);
  if (rc == SQLITE_OK) rc = cov_count_elders(&cv);
  if (rc == SQLITE_OK) rc = cov_list_gaps(&cv, out);
  sqlite3_free(cv.cr);
  zc_map_clear(&cv.ix);
  thr_cache_clear(&cv.tc);
  return rc;
}

/* --------------------------------------------------- the virtual tables */

#define AS_KIND 0
#define AS_SEVERITY 1
#define AS_SITE 2
#define AS_ELDER 3
#define AS_MEAL 4
#define AS_AT 5
#define AS_DETAIL 6
#define AS_ARG1 7 /* region */
#define AS_ARG2 8 /* month / day */

#define CG_REGION 0
#define CG_NAME 1
#define CG_LEVEL 2
#define CG_ELDERS 3
#define CG_REASON 4

/* Column kind and severity of each kind, in the order of the enum. */
static const struct {
  const char *name, *severity;
} aKind[K_N] = {
    {"after_death", "fraud"},  {"card_burst", "fraud"},   {"gone_quiet", "welfare"},
    {"in_hospital", "fraud"},  {"manual_heavy", "fraud"}, {"no_agreement", "data"},
    {"not_eligible", "data"},  {"out_of_hours", "data"},  {"over_report", "fraud"},
    {"repeat_meal", "fraud"},  {"revoked_card", "fraud"}, {"two_sites", "fraud"},
    {"unknown_elder", "data"},
};

typedef struct TvfDef {
  const char *fn, *schema, *arg2, *arg2_form;
  int is_scan;
} TvfDef;

static const TvfDef scan_def = {
    "anomaly_scan",
    "CREATE TABLE x(kind, severity, site_id, elder_id, meal_id, at, detail, region HIDDEN, month HIDDEN)",
    "month", "'YYYY-MM'", 1};
static const TvfDef gaps_def = {
    "coverage_gaps",
    "CREATE TABLE x(region, name, level, elders, reason, region_arg HIDDEN, day HIDDEN)", "day",
    "'YYYY-MM-DD'", 0};

typedef struct TvfAux {
  ZcConn *zc;
  const TvfDef *def;
} TvfAux;

typedef struct Tvf {
  sqlite3_vtab base;
  ZcConn *zc;
  const TvfDef *def;
} Tvf;

typedef struct TvfCursor {
  sqlite3_vtab_cursor base;
  int i, n;
  FindingList f;   /* anomaly_scan */
  GapList g;       /* coverage_gaps */
} TvfCursor;

static int tvf_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  const TvfAux *aux = pAux;
  int rc = sqlite3_declare_vtab(db, aux->def->schema);
  if (rc) return rc;
  Tvf *t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->zc = aux->zc;
  t->def = aux->def;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &t->base;
  return SQLITE_OK;
}

static int tvf_disconnect(sqlite3_vtab *p) {
  sqlite3_free(p);
  return SQLITE_OK;
}

/* idxNum bit 1: argument 1 (region) given; bit 2: argument 2.  argv of
** xFilter: region, then month/day.  Both are required. */
static int tvf_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *info) {
  Tvf *t = (Tvf *)pVtab;
  int seen = 0, usable = 0, at[2] = {-1, -1};
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    int col = c->iColumn - AS_ARG1 + (t->def->is_scan ? 0 : 2);
    if (col < 0 || col > 1 || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    seen |= 1 << col;
    if (!c->usable) continue;
    usable |= 1 << col;
    at[col] = i;
  }
  if (seen != 3) {
    /* Not an error here: SQLite also asks about partial constraint sets
    ** (the terms of an OR); such a plan costs too much to be chosen when a
    ** complete one exists, and xFilter refuses it otherwise. */
    info->idxNum = 0;
    info->estimatedCost = 1e300;
    info->estimatedRows = 1000000000;
    return SQLITE_OK;
  }
  if (usable != 3) return SQLITE_CONSTRAINT;
  for (int k = 0; k < 2; k++) {
    info->aConstraintUsage[at[k]].argvIndex = k + 1;
    info->aConstraintUsage[at[k]].omit = 1;
  }
  info->idxNum = 3;
  info->estimatedCost = 1e6;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int tvf_open(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  (void)p;
  TvfCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *ppCursor = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(TvfCursor *c) {
  findings_clear(&c->f);
  gaps_clear(&c->g);
  c->i = c->n = 0;
}

static int tvf_close(sqlite3_vtab_cursor *cur) {
  cursor_reset((TvfCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* The rows for region (interned) and the second argument, a month
** [first, next) or a day (first), into the cursor.  On failure *err may
** hold a message. */
static int cursor_compute(TvfCursor *c, const Tvf *t, const char *region, int first, int next, char **err) {
  int rc;
  if (!t->def->is_scan) {
    rc = coverage_run(t->zc, region, first, &c->g, err);
    if (rc == SQLITE_OK) c->n = c->g.n;
    return rc;
  }
  Scan s;
  scan_init(&s, t->zc, region, first, next, err);
  rc = scan_run(&s);
  if (rc == SQLITE_OK) {
    c->f = s.out;            /* the cursor takes the findings */
    memset(&s.out, 0, sizeof s.out);
    c->n = c->f.n;
  }
  scan_clear(&s);
  return rc;
}

/* A failed computation: its message err (taken) as the table's error,
** prefixed with the function's name unless err has it. */
static int compute_failed(TvfCursor *c, int rc, char *err) {
  sqlite3_vtab *vt = c->base.pVtab;
  const char *fn = ((Tvf *)vt)->def->fn;
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(err);
    return rc;
  }
  if (err && strncmp(err, fn, strlen(fn)) == 0) rc = zc_vtab_errorf(vt, "%s", err);
  else rc = zc_vtab_errorf(vt, "%s: %s", fn, err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  cursor_reset(c);
  return rc;
}

/* Argument 0 (region) or 1 (month / day) refused. */
static int bad_argument(sqlite3_vtab *vt, int i, sqlite3_value *v) {
  const TvfDef *def = ((Tvf *)vt)->def;
  char *repr = zc_value_repr(v);
  int rc = i == 0 ? zc_vtab_errorf(vt, "%s: region %s is not a code in table region", def->fn, repr ? repr : "?")
                  : zc_vtab_errorf(vt, "%s: %s %s is not a %s %s", def->fn, def->arg2, repr ? repr : "?",
                                   def->is_scan ? "month" : "date", def->arg2_form);
  sqlite3_free(repr);
  return rc;
}

static int tvf_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxStr;
  TvfCursor *c = (TvfCursor *)cur;
  Tvf *t = (Tvf *)cur->pVtab;
  const TvfDef *def = t->def;
  char *err = NULL;
  int rc;
  cursor_reset(c);
  if (idxNum != 3 || argc != 2)
    return zc_vtab_errorf(cur->pVtab, "%s: region and %s are required, as in %s('141129', %s)", def->fn,
                          def->arg2, def->fn, def->is_scan ? "'2024-03'" : "'2024-03-05'");
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) return SQLITE_OK;
  /* region */
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT && sqlite3_value_type(argv[0]) != SQLITE_INTEGER)
    return bad_argument(cur->pVtab, 0, argv[0]);
  if ((rc = zc_facts_sync(t->zc))) return rc;
  const char *code = (const char *)sqlite3_value_text(argv[0]);
  const ZcRegion *r = code ? zc_region(t->zc, code) : NULL;
  if (!r) return bad_argument(cur->pVtab, 0, argv[0]);
  /* month / day */
  int first = ZC_NONE, next = ZC_NONE;
  const char *z = sqlite3_value_type(argv[1]) == SQLITE_TEXT ? (const char *)sqlite3_value_text(argv[1]) : NULL;
  int n = sqlite3_value_bytes(argv[1]);
  int ok = def->is_scan ? z && zc_month_parse(z, n, &first, &next) : z && (first = zc_day_parse(z, n)) != ZC_NONE;
  if (!ok) return bad_argument(cur->pVtab, 1, argv[1]);
  rc = cursor_compute(c, t, r->code, first, next, &err);
  return rc == SQLITE_OK ? SQLITE_OK : compute_failed(c, rc, err);
}

static int tvf_next(sqlite3_vtab_cursor *cur) {
  ((TvfCursor *)cur)->i++;
  return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *cur) {
  TvfCursor *c = (TvfCursor *)cur;
  return c->i >= c->n;
}

static void result_id(sqlite3_context *ctx, sqlite3_int64 id) {
  if (id) sqlite3_result_int64(ctx, id);
  else sqlite3_result_null(ctx);
}

static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  TvfCursor *c = (TvfCursor *)cur;
  Tvf *t = (Tvf *)cur->pVtab;
  if (t->def->is_scan) {
    const Finding *f = &c->f.a[c->i];
    char buf[20];
    switch (col) {
      case AS_KIND: sqlite3_result_text(ctx, aKind[f->kind].name, -1, SQLITE_STATIC); break;
      case AS_SEVERITY: sqlite3_result_text(ctx, aKind[f->kind].severity, -1, SQLITE_STATIC); break;
      case AS_SITE: result_id(ctx, f->site_id); break;
      case AS_ELDER: result_id(ctx, f->elder_id); break;
      case AS_MEAL: result_id(ctx, f->meal_id); break;
      case AS_AT:
        if (f->day_level) zc_day_format((int)(f->at / ZC_DAY_SECONDS), buf);
        else zc_time_format(f->at, buf);
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
        break;
      case AS_DETAIL: sqlite3_result_text(ctx, f->detail, -1, SQLITE_TRANSIENT); break;
      default: sqlite3_result_null(ctx); break;
    }
  } else {
    const Gap *g = &c->g.a[c->i];
    switch (col) {
      case CG_REGION: sqlite3_result_text(ctx, g->r->code, -1, SQLITE_TRANSIENT); break;
      case CG_NAME: sqlite3_result_text(ctx, g->r->name, -1, SQLITE_TRANSIENT); break;
      case CG_LEVEL: sqlite3_result_text(ctx, g->r->level, -1, SQLITE_TRANSIENT); break;
      case CG_ELDERS: sqlite3_result_int64(ctx, g->elders); break;
      case CG_REASON: sqlite3_result_text(ctx, g->reason, -1, SQLITE_TRANSIENT); break;
      default: sqlite3_result_null(ctx); break;
    }
  }
  return SQLITE_OK;
}

static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((TvfCursor *)cur)->i + 1;
  return SQLITE_OK;
}

/* Eponymous-only: xCreate is NULL, so CREATE VIRTUAL TABLE cannot make one. */
static const sqlite3_module tvf_module = {
    0,            /* iVersion */
    NULL,         /* xCreate */
    tvf_connect,  tvf_best_index, tvf_disconnect, NULL, tvf_open, tvf_close, tvf_filter,
    tvf_next,     tvf_eof,        tvf_column,     tvf_rowid,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

int zc_anomaly_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  static const TvfDef *defs[2] = {&scan_def, &gaps_def};
  for (int i = 0; i < 2; i++) {
    TvfAux *aux = sqlite3_malloc(sizeof *aux);
    if (!aux) return SQLITE_NOMEM;
    aux->zc = zc;
    aux->def = defs[i];
    int rc = sqlite3_create_module_v2(db, defs[i]->fn, &tvf_module, aux, sqlite3_free);
    if (rc) return rc;
  }
  return SQLITE_OK;
}
