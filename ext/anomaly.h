/*
** anomaly.h — private to anomaly_scan, coverage_gaps and needs_watch: what
** their files share.  Not a module interface (modules.h declares the registration).
**
**   anomaly.c           the three table-valued functions (the SQL), registration
**   anomaly_scan.c      anomaly_scan's steps: set-up, site checks
**   anomaly_read.c      the read of the meals by elder, a bounded run of
**                       elders at a time, on two threads, with the checks
**                       made while reading (revoked_card, out_of_hours)
**   anomaly_pass.c      the elder pass over each run of elders
**   anomaly_dev.c       the device pass (card_burst), with its own read
**   coverage.c          coverage_gaps
**   needs.c             needs_watch (docs/needs.md)
**   anomaly_findings.c  the list of findings, their order and wording
**   anomaly_thr.c       thresholds: the policy's `anomaly` and `params`
**                       entries by governing region and day
**
** Each uses only files listed after it, so no two use each other.
** docs/anomalies.md explains the findings and how the scan runs.
*/
#ifndef ZC_ANOMALY_H
#define ZC_ANOMALY_H
#include "common.h"
#include "policy.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

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

/* anomaly_findings.c */
void findings_clear(FindingList *l);
/* Takes ownership of detail (sqlite3_mprintf'd; NULL = out of memory). */
int finding_add(FindingList *l, int kind, sqlite3_int64 site, sqlite3_int64 elder, sqlite3_int64 meal,
                sqlite3_int64 at, int day_level, int seq, char *detail);
/* Appends every finding of from to to (from keeps none). */
int findings_move(FindingList *to, FindingList *from);
/* In the output order: kind, site_id, at, meal_id, elder_id, then seq. */
void findings_sort(FindingList *l);

/* Wording of findings (anomaly_findings.c). */
/* "18 min" / "18 min 20 s" / "40 s" (Chinese: "18 分钟" / "18 分 20 秒" / "40 秒") */
char *fmt_duration(const ZcConn *zc, sqlite3_int64 secs);
/* a slot word as the connection says it: lunch, or 午餐 in Chinese (a word
** that is no slot stays as it is) */
const char *slot_label(const ZcConn *zc, const char *word);
char *fmt_number(double x);              /* 30, or 0.25 */
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
  double needs_quiet_window, needs_quiet_regular, needs_quiet_share;  /* needs_watch's gone_quiet */
  ZcWindow win[ZC_NSLOT];
} Thr;

/* The largest quiet_days, quiet_active and quiet_window allowed: the scan
** reads at most quiet_days + quiet_window + 1 days before the month. */
#define THR_MAX_QUIET 366
/* The largest anomaly.needs_quiet_window (and needs_quiet_regular): needs_watch reads at
** most 2 * quiet_window - 1 days before the month. */
#define THR_MAX_NEEDS_WINDOW 92

/* A governing policy (by name) and its thresholds on each day of the
** cache's range: days[day - lo], all looked up when the row is made. */
typedef struct ThrRow {
  char *name;
  const Thr **days;
} ThrRow;

/* Thresholds by governing policy and day, for days [lo, lo + ndays).  Thr
** structs are shared between days and rows through their version. */
typedef struct ThrCache {
  ZcConn *zc;
  int lo, ndays;
  ThrRow *rows;
  int nrows, caprows;
  Thr **thr;                 /* distinct versions */
  int nthr, capthr;
  Thr none;                  /* no governing policy */
} ThrCache;

/* anomaly_thr.c.  Errors set *pzErr (a threshold out of its range names
** the policy, the threshold, its value and the range). */
void thr_cache_init(ThrCache *c, ZcConn *zc, int lo, int ndays);
void thr_cache_clear(ThrCache *c);
/* The thresholds of version v (NULL: c->none), made and checked once per
** version. */
int thr_for_version(ThrCache *c, const ZcPolicyVersion *v, const Thr **out, char **pzErr);
/* The row of the policy governing region code (-1: none governs), made
** with every day of the range when new. */
int thr_row(ThrCache *c, const char *code, int *row, char **pzErr);
/* The row of policy name, made with every day of the range when new. */
int thr_policy_row(ThrCache *c, const char *name, int *row, char **pzErr);
/* Extends the range down to day lo, looking up the new days of every row
** (rows' days arrays move: call it before thr_days). */
int thr_cache_widen(ThrCache *c, int lo, char **pzErr);
/* Thresholds of row on day (looked up each time outside the range). */
int thr_get(ThrCache *c, int row, int day, const Thr **out, char **pzErr);
/* Row's thresholds by day - c->lo (NULL for row -1): read-only, complete. */
static inline const Thr *const *thr_days(const ThrCache *c, int row) {
  return row >= 0 ? c->rows[row].days : NULL;
}

/* ------------------------------------------------------------ the scan */

enum { M_CARD, M_FACE, M_MANUAL, M_DELIVERY, M_OTHER };

/* 32 bytes a meal (of one run of elders: at most about s->chunk_cap of
** them are held at once): times are seconds from the start of the first
** day read, elders, sites and slot words are per-run or per-scan numbers or
** looked up by meal id (meal_t, meal_elder, meal_site, meal_slot_word). */
typedef struct Meal {
  sqlite3_int64 id;
  int rt;                  /* served_at: seconds since day lo began */
  int day;
  int ek;                  /* elder key: s->eid[ek] is the elder id */
  int site_ix;             /* index in s->sites; < 0: site id s->xsite[-1 - site_ix], not in table site */
  int tok;                 /* the token's place in s->tokb (in scope only); -1: none */
  signed char slot;        /* ZC_BREAKFAST.. or -1 (the word: s->odd_slot by meal id) */
  unsigned char method, in_scope;
} Meal;

/* The run's map of cards (common.c's ZcTextMap), keyed on tokens: the
** cards of the run's elders, and any other token a meal of the run names,
** looked up on its own (found or not).  Nothing is interned on the
** connection.  An entry is one 64-byte line (aligned): hash, key and card
** together. */
typedef struct Card {
  sqlite3_int64 elder;
  int issued, revoked;   /* revoked INT_MAX when open; issued ZC_NONE if malformed */
  int none;              /* 1: no card has this token */
} Card;
typedef struct CardEnt {
  ZcTextKey key;         /* the token */
  Card card;             /* the card itself, so a token check is one probe */
} CardEnt;
#define SCAN_ENT_SIZE 64 /* an entry's room in the card map: one cache line */
_Static_assert(sizeof(CardEnt) <= SCAN_ENT_SIZE, "an entry fits a cache line");

typedef struct ScanSite {
  const ZcSiteFacts *f;
  int in_region, thr_row;
  const Thr *const *thr_days; /* the row's thresholds by day - lo (NULL: no policy governs) */
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
  ZcTextMap card_ix;      /* token text -> CardEnt: tokens of no run card, looked up on their own */
  struct RunCard *rcard;  /* the cards of the run's elders, in elder_id order (scan_cards_load) */
  int nrcard, caprcard, rcard_at;   /* rcard_at: the first card of the elder being checked */
  char *rcardb;           /* their tokens' bytes */
  size_t nrcardb, caprcardb;
  sqlite3_stmt *cst_run, *cst_one;  /* cards by elder range, by token */
  char *tokb;             /* the run's tokens (Meal.tok) */
  size_t ntokb, captokb;
  unsigned char *quiet_flag;  /* by elder id (0..nquiet-1): has lives_alone at some time */
  sqlite3_int64 nquiet;
  ZcMap quiet_big;        /* elder ids beyond the dense range with lives_alone */
  sqlite3_int64 keep_from;    /* lookback meals before this second are kept only for gone_quiet */
  /* The read by elder (anomaly_read.c), one run of elders at a time. */
  sqlite3_stmt *mst;      /* its statement, kept between runs */
  char ra[11], rb[11];    /* lo and next as days */
  int mrow;               /* mst is on a row the next run begins with */
  int mdone;              /* every run read */
  sqlite3_int64 chunk_cap;    /* rows a run takes before it ends at the next elder */
  struct ScanFeed *feed;  /* the read's state for zhucan_scan_row (anomaly_read.c) */
  struct ZcPr *pr;        /* the read from the file's pages, when it can be (pageread.h) */
  Meal *m;                /* the run's meals, in (elder, served_at, id) order */
  int nm, capm;
  sqlite3_int64 t0;       /* lo * ZC_DAY_SECONDS: Meal.rt is from here */
  int *ekey;              /* elder id (0..nquiet-1) -> elder key in the run, -1 none */
  ZcMap ekey_big;         /* other elder ids -> key */
  sqlite3_int64 *eid;     /* elder key -> id (keys in the read's order) */
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
  /* Stopping (scan_stop): set by the calling thread when the statement is
  ** interrupted; the worker reads it. */
  atomic_int stop;
  unsigned tick;          /* the calling thread's polls (zc_interrupted_every) */
} Scan;

/* Rows a run of elders takes before it ends at the next elder: the meals
** held at once (32 bytes each, plus the read's chunks and the run's elder
** records).  ZHUCAN_SCAN_CHUNK=n (n > 0) sets it, for tests. */
#define SCAN_CHUNK (1 << 20)

/* anomaly_scan.c */
void scan_init(Scan *s, ZcConn *zc, const char *region, int first, int next, char **pzErr);
void scan_clear(Scan *s);
/* Every finding of the month into s->out, sorted. */
int scan_run(Scan *s);

/* anomaly_read.c: the meals of [lo, next) of the next run of elders into
** s->m (s->nm 0: none left), keys s->eid, with the token and window
** checks. */
int scan_load_meals(Scan *s);
/* zhucan_scan_row(P, id, elder_id, site_id, served_at, slot, method,
** token) with P the read's pointer (of type SCAN_PTR, kind SCAN_FEED): the
** per-row step of the read, called by its statement (anomaly.c registers
** it).  Both reads bind a pointer of the one type SCAN_PTR (one string
** compare a row in sqlite3_value_pointer) to a struct whose first member
** is its kind. */
#define SCAN_PTR "zhucan_scan"
enum { SCAN_FEED = 1, SCAN_DEV = 2 };
typedef struct ScanFeed ScanFeed;
void scan_feed_func(sqlite3_context *ctx, ScanFeed *f, int argc, sqlite3_value **argv);
/* ZC_BREAKFAST.. for the words breakfast, lunch, dinner, else -1. */
signed char slot_code(const char *z, int n);
/* The cards of the run's elders into s->rcard, in elder order (emptied
** first, with s->card_ix). */
int scan_cards_load(Scan *s);
/* revoked_card: the token of in-scope meal m of elder against its card
** (calling thread: a token of no card of the run is looked up in SQL). */
int scan_check_token(Scan *s, const Meal *m, sqlite3_int64 elder);
/* The site index of a meal's site id: its index in s->sites, or for an id
** not in table site, -1 - its index in s->xsite (numbered when new). */
int scan_site_index(Scan *s, sqlite3_int64 id, int *out);
/* anomaly_pass.c: the elder pass over the run in s->m, findings into
** s->out. */
int scan_elder_pass(Scan *s);
/* anomaly_dev.c: the device pass (card_burst), its own read, findings into
** s->out.  The device pass beside the elder runs, on a thread and a connection of
** its own when the scan's connection allows it (anomaly_dev.c says when):
** NULL when it does not (or cannot) start.  scan_device_finish waits for
** it (rc: the runs' result; not SQLITE_OK stops it), puts its findings
** with the scan's, and runs the pass on the calling thread if it was not
** started or failed. */
typedef struct DevPar DevPar;
DevPar *scan_device_start(Scan *s);
int scan_device_finish(Scan *s, DevPar *p, int rc);
/* zhucan_scan_row(P, device, served_at, id) with P of kind SCAN_DEV: the
** per-row step of the device pass's read. */
typedef struct DevRead DevRead;
void scan_dev_func(sqlite3_context *ctx, DevRead *d, int argc, sqlite3_value **argv);

/* 1 when the scan must stop because its statement is interrupted
** (sqlite3_interrupt() or the host's progress handler).  Only the calling
** thread may ask SQLite (calling = 1: zc_interrupted, at most once per 2^k
** calls); it tells the worker through s->stop, which is all the worker
** reads (calling = 0).  A function that stops answers SQLITE_INTERRUPT. */
static inline int scan_stop(Scan *s, int calling, unsigned k) {
  if (atomic_load_explicit(&s->stop, memory_order_relaxed)) return 1;
  if (calling && zc_interrupted_every(s->zc, &s->tick, k)) {
    atomic_store_explicit(&s->stop, 1, memory_order_relaxed);
    return 1;
  }
  return 0;
}
/* Prepares sql; on error sets the scan's message. */
static inline int scan_prepare(Scan *s, sqlite3_stmt **st, const char *sql) {
  int rc = sqlite3_prepare_v2(s->zc->db, sql, -1, st, NULL);
  if (rc == SQLITE_INTERRUPT) return rc;  /* anomaly.c says 'interrupted' */
  if (rc != SQLITE_OK)
    *s->pzErr = sqlite3_mprintf("anomaly_scan: cannot read the input tables (%s); load sql/schema.sql",
                                sqlite3_errmsg(s->zc->db));
  return rc;
}
/* ZHUCAN_NO_THREADS set (to anything): every stage on the calling thread,
** as when a thread cannot be started (tests compare both). */
static inline int scan_threads_allowed(void) { return getenv("ZHUCAN_NO_THREADS") == NULL; }
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
** site not in table site).  Reads only what was looked up before the read
** (every day of [lo, next) of every row): safe on the worker thread. */
static inline const Thr *site_thr(const Scan *s, const Meal *m) {
  if (m->site_ix < 0) return &s->tc.none;
  const Thr *const *days = s->sites[m->site_ix].thr_days;
  return days ? days[m->day - s->tc.lo] : &s->tc.none;
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

/* coverage.c */
void gaps_clear(GapList *g);
/* The villages and hamlets at or under region short of the duty on day. */
int coverage_run(ZcConn *zc, const char *region, int day, GapList *out, char **pzErr);

/* --------------------------------------------------------- needs_watch */

/* The reasons, in the order rows of one elder and day are listed. */
enum {
  N_TURNED_80, N_TURNED_90, N_NEW_DISABLED_FULL, N_NEW_DISABLED_SEMI, N_SPOUSE_DIED, N_NEW_DIBAO,
  N_NEW_TEKUN, N_LEFT_HOSPITAL, N_GONE_QUIET, N_REASONS
};

typedef struct Need {
  int reason, day;
  sqlite3_int64 elder_id;
  sqlite3_int64 site_id;     /* 0 = NULL */
  const char *lives_in;      /* elder.region (interned) */
  char *name;                /* elder.name */
  char *evidence;
} Need;

typedef struct NeedList {
  Need *a;
  int n, cap;
} NeedList;

/* needs.c */
void needs_clear(NeedList *l);
const char *needs_reason_code(int reason);
const char *needs_reason_text(const ZcConn *zc, int reason);
/* The elders living at or under region whose needs grew in the month
** [first, next), one row per elder and reason, by elder, day, reason. */
int needs_run(ZcConn *zc, const char *region, int first, int next, NeedList *out, char **pzErr);

#endif /* ZC_ANOMALY_H */
