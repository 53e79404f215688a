/*
** zhucan.h — the internal contract between zhucan's modules.
**
** Nothing here is public: the SQL surface is in ../shared/SPEC.md and docs/.
** Every module includes this header.  Layout:
**
**   common.c    error helpers, dates and times, hash map, string helpers
**   zhucan.c    init entry points, the module table, zhucan_version()
**   identity.c  ID numbers, ages, masks            (SQL functions)
**   regex.c     PCRE2 functions + zc_regex_* API  (SQL functions)
**   policy.c    policy store, sandboxed Lua runtime, memo   (policy_* SQL)
**   facts.c     region tree, elder/site/meal facts, ordinals, month cursor
**   subsidy.c   eligible, subsidy_for, subsidy_explain
**   settle.c    settlement, settle, replay
**   anomaly.c   anomaly_scan, coverage_gaps
**   ingest.c    swipe_log
**
** The one path for money: facts.c builds ZcElderFacts/ZcMealFacts/ZcSiteFacts,
** policy.c turns them into a ZcMealResult through zc_policy_subsidy().  Every
** money-producing function goes through exactly those two.
*/
#ifndef ZHUCAN_H
#define ZHUCAN_H

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#include <stdint.h>
#include <stddef.h>

#define ZC_VERSION "0.1.0"

/* A NULL day or NULL integer fact. */
#define ZC_NONE INT32_MIN
/* price_fen of a quote (subsidy_for with 4 arguments): unknown. */
#define ZC_NO_PRICE INT64_MIN

/* ------------------------------------------------------------------ */
/* Per-connection state.  Each module owns its slot and frees it in its
** zc_<module>_free(), called from zc_conn_free(). */
typedef struct ZcConn ZcConn;
struct ZcConn {
  sqlite3 *db;
  struct ZcRegexCache *regex;   /* regex.c  */
  struct ZcPolicyRt *policy;    /* policy.c */
  struct ZcFacts *facts;        /* facts.c  */
  /* When > 0, version choice only considers versions with id <= horizon:
  ** replay() recomputes a run with the versions installed when it ran. */
  sqlite3_int64 policy_horizon;
  /* Set while one pass (zc_month_compute) runs: the policy table cannot
  ** change under it, so its own writes (settle's runs) need not make the
  ** policy index re-check zhucan_policy. */
  int pinned;
  /* facts.c: civil dates of recent days ages were computed on, by day % 64
  ** (age_y 0: empty) */
  int age_day[64], age_y[64], age_md[64];
};

/* Module registration: each module provides one of these; zhucan.c keeps
** the table.  Returns an SQLite code; on error *pzErr may be set
** (sqlite3_malloc'd). */
typedef int (*ZcRegisterFn)(sqlite3 *db, ZcConn *zc, char **pzErr);
int zc_identity_register(sqlite3 *, ZcConn *, char **);
int zc_regex_register(sqlite3 *, ZcConn *, char **);
int zc_policy_register(sqlite3 *, ZcConn *, char **);
int zc_subsidy_register(sqlite3 *, ZcConn *, char **);
int zc_settle_register(sqlite3 *, ZcConn *, char **);
int zc_anomaly_register(sqlite3 *, ZcConn *, char **);
int zc_ingest_register(sqlite3 *, ZcConn *, char **);

void zc_regex_free(ZcConn *);
void zc_policy_free(ZcConn *);
void zc_facts_free(ZcConn *);

/* Flags for pure functions and for anything touching files or writing. */
#define ZC_PURE   (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)
#define ZC_DIRECT (SQLITE_UTF8 | SQLITE_DIRECTONLY)

/* A row of a module's function table. */
typedef struct ZcFunc {
  const char *name;
  int nArg;
  int flags;
  void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
} ZcFunc;
/* Registers every row of aFunc (nFunc rows) with pApp as user data. */
int zc_register_funcs(sqlite3 *db, const ZcFunc *aFunc, int nFunc, void *pApp);

/* ------------------------------------------------------------------ */
/* common.c — errors */

/* sqlite3_result_error with a printf-style message (sqlite3_mprintf
** formats, so %q/%Q work). */
void zc_errorf(sqlite3_context *ctx, const char *fmt, ...);
/* Replace pVtab->zErrMsg with a formatted message; returns SQLITE_ERROR. */
int zc_vtab_errorf(sqlite3_vtab *pVtab, const char *fmt, ...);
/* A short printable quote of a value for error messages: 'text', 12, NULL,
** x'..' (at most ~60 chars, sqlite3_malloc'd). */
char *zc_value_repr(sqlite3_value *v);

/* ------------------------------------------------------------------ */
/* common.c — days, times, months.
** A day number is days since 1970-01-01 (proleptic Gregorian); a time is
** seconds since 1970-01-01 00:00:00, China Standard Time taken as naive. */
int zc_days_from_civil(int y, int m, int d);
void zc_civil_from_days(int z, int *y, int *m, int *d);
int zc_valid_ymd(int y, int m, int d);
/* 'YYYY-MM-DD' exactly (n bytes, n<0 means strlen) -> day, or ZC_NONE. */
int zc_day_parse(const char *s, int n);
/* 'YYYY-MM-DD HH:MM:SS' exactly -> 1 and *t, else 0. */
int zc_time_parse(const char *s, int n, sqlite3_int64 *t);
/* The same, remembering the month of the last date parsed: a scan within a
** month parses only the day of the month.  Zero-initialise before the
** first call. */
typedef struct ZcDayMemo { char ym[7]; int first, ndays, valid; } ZcDayMemo;
int zc_time_parse_memo(ZcDayMemo *dm, const char *s, int n, sqlite3_int64 *t);
/* 'YYYY-MM' exactly -> 1 with first day and first day of next month. */
int zc_month_parse(const char *s, int n, int *first, int *next);
/* The month containing day: its first day and the first day after it. */
void zc_month_of(int day, int *first, int *next);
/* qsort comparator for sqlite3_int64. */
int zc_i64_cmp(const void *a, const void *b);
/* Formatting into caller buffers (11, 20, 9 and 8 bytes). */
void zc_day_format(int day, char out[11]);
void zc_time_format(sqlite3_int64 t, char out[20]);
void zc_clock_format(int secs_of_day, char out[9]); /* HH:MM:SS */
void zc_month_format(int day, char out[8]);
/* Full years from birth day to day (29 Feb birthdays turn on 1 March in
** non-leap years). */
int zc_age_years(int birth, int day);
#define ZC_DAY_SECONDS 86400

/* GB 11643 resident ID: 1 and birth day / sex ('M','F') when x (n bytes) is
** a well-formed 18-character ID with a real birth date and a correct check
** character (X or x); else 0.  The one parser every module uses. */
int zc_idcard_parse(const char *x, int n, int *birth, char *sex);

/* ------------------------------------------------------------------ */
/* common.c — an open-addressing hash map from int64 keys to int64 values.
** Keys may be any value except INT64_MIN (the empty marker). */
typedef struct ZcMap {
  sqlite3_int64 *keys;
  sqlite3_int64 *vals;
  size_t cap, n;      /* cap is a power of two */
} ZcMap;
void zc_map_init(ZcMap *m);
void zc_map_clear(ZcMap *m);             /* frees storage */
void zc_map_reset(ZcMap *m);             /* keeps storage, drops entries */
/* Returns pointer to the value slot, inserting 0 when absent if create;
** NULL when absent and !create, or on OOM. *pIsNew set when inserted. */
sqlite3_int64 *zc_map_slot(ZcMap *m, sqlite3_int64 key, int create, int *pIsNew);
uint64_t zc_hash64(uint64_t x);
uint64_t zc_hash_bytes(const void *p, size_t n, uint64_t seed);

/* ------------------------------------------------------------------ */
/* facts.c — regions, elders, sites, meals.
** Strings in facts point into per-connection caches and stay valid until
** the caches are dropped (a data change, see zc_facts_sync). */

typedef struct ZcRegion {
  const char *code, *parent, *level, *name, *policy, *exempt;
  const struct ZcRegion *up;        /* parent, NULL at the top */
  /* codes of the chain at each level (NULL if none in the chain) */
  const char *village, *township, *county;
  const struct ZcRegion *gov;       /* the nearest region up the chain with a policy */
} ZcRegion;

/* Drop every data cache if the database changed since the last call
** (SQLITE_FCNTL_DATA_VERSION + sqlite3_total_changes64).  Cheap; call at
** the start of each function call / xFilter. */
int zc_facts_sync(ZcConn *zc);
/* The region row, from a cache of the whole region table; NULL if absent. */
const ZcRegion *zc_region(ZcConn *zc, const char *code);
/* Nearest region at or above code with policy set; NULL if none. */
const ZcRegion *zc_region_governing(ZcConn *zc, const char *code);
/* 1 if code is region or below it. */
int zc_region_under(ZcConn *zc, const char *code, const char *region);

/* Status words: bit i of ZcElderFacts.status is zc_status_name(zc, i). The
** twelve SPEC words have fixed bits; other words get the next free bit. */
#define ZC_MAX_STATUS 64
int zc_status_bit(ZcConn *zc, const char *word, int create); /* -1 if none */
const char *zc_status_name(ZcConn *zc, int bit);
enum { ZC_ST_DIBAO, ZC_ST_TEKUN, ZC_ST_LOW_INCOME, ZC_ST_LIVES_ALONE,
       ZC_ST_EMPTY_NEST, ZC_ST_LEFT_BEHIND, ZC_ST_DISABLED_FULL,
       ZC_ST_DISABLED_SEMI, ZC_ST_DISABILITY, ZC_ST_VETERAN,
       ZC_ST_FAMILY_SPECIAL, ZC_ST_HOSPITALIZED, ZC_ST_NFIXED };

typedef struct ZcElderFacts {
  sqlite3_int64 id;
  char sex;                 /* 'M' or 'F'; 0 when the ID number is invalid */
  int birth;                /* day number; ZC_NONE when unknown */
  int age;                  /* full years on the day; ZC_NONE when unknown */
  const char *region, *village, *township, *county;  /* codes or NULL */
  int died_on;              /* day number or ZC_NONE */
  uint64_t status;          /* statuses in force on the day */
  int agreement;            /* 1/0: see SPEC (this site for meal(), any for eligible()) */
  sqlite3_int64 bed;        /* lowest site id of a bed stay in force; 0 = none */
} ZcElderFacts;

typedef struct ZcMealFacts {
  sqlite3_int64 id;         /* 0 for a quote (subsidy_for with 4 arguments) */
  const char *slot;         /* 'breakfast' | 'lunch' | 'dinner' */
  int day;                  /* day number */
  sqlite3_int64 served_at;  /* seconds */
  const char *method;       /* card | face | manual | delivery */
  const char *device, *token;  /* may be NULL */
  sqlite3_int64 price_fen;  /* ZC_NO_PRICE for a quote (Lua sees nil) */
  sqlite3_int64 site_id;
  int nth_slot, nth_day, nth_month;
} ZcMealFacts;

#define ZC_SLOT_BREAKFAST 1u
#define ZC_SLOT_LUNCH     2u
#define ZC_SLOT_DINNER    4u
typedef struct ZcSiteFacts {
  sqlite3_int64 id;
  const char *name, *kind;
  int grade;                /* ZC_NONE when NULL */
  int beds;
  double area_m2;           /* NAN when NULL */
  int opened_on, closed_on; /* day numbers; closed_on ZC_NONE when open */
  unsigned slots;           /* ZC_SLOT_* bits */
  const char *region, *village, *township, *county;
  const ZcRegion *reg;      /* the region row of region, NULL if absent */
} ZcSiteFacts;

typedef struct ZcSiteStats {
  sqlite3_int64 meals, subsidised_meals, diners, days_served;
  sqlite3_int64 residents_full, residents_semi;
} ZcSiteStats;

/* Interned strings (connection lifetime; pointer equality = string
** equality). NULL in, NULL out. */
const char *zc_intern(ZcConn *zc, const char *s, int n);

/* An elder's record: identity, region, death, and the validity intervals of
** statuses, agreements and bed stays.  Cached until the data changes. */
typedef struct ZcInterval { sqlite3_int64 key; int from, to; } ZcInterval; /* [from,to) days; to = INT32_MAX when open */
typedef struct ZcElderRec {
  sqlite3_int64 id;
  char sex;
  int birth, died_on;
  int birth_y, birth_md;             /* birth as year and month*100+day */
  const char *region_code;           /* elder.region as stored */
  const ZcRegion *region;            /* NULL if the code is not in region */
  int nstatus, nagree, nbed;
  ZcInterval *status;                /* key = status bit */
  ZcInterval *agree;                 /* key = site id  */
  ZcInterval *bed;                   /* key = site id  */
} ZcElderRec;
/* The record of elder id; an unknown id is an error ("elder 42 does not
** exist"). */
int zc_elder_rec(ZcConn *zc, sqlite3_int64 id, const ZcElderRec **out, char **pzErr);
/* A month's meals in (elder_id, served_at, id) order, the order the money
** pass and the month cache count ordinals in.  All elders: one scan of the
** covering meal_elder_time index from (elder, month start) that re-seeks
** past each elder's other months (a one-month database is read straight
** through); listed elders (ascending ids): each one's month range.  After
** zc_month_scan_next answers SQLITE_ROW, st holds the row, columns as
** ZC_SCAN_COLS (only text served_at within the month, as served_at>=?
** AND served_at<? selects); the row is valid until the next call. */
#define ZC_SCAN_COLS "elder_id, id, site_id, served_at, slot, method, device, token, price_fen"
typedef struct ZcMonthScan {
  sqlite3_stmt *st;
  const char *fn;                   /* names errors */
  const sqlite3_int64 *elders;      /* NULL: every elder */
  size_t nelder, ielder;
  int open;
  char a[11], b[11];
  const char *at;                   /* the row's served_at text (valid until the next step) */
  int at_n;
} ZcMonthScan;
int zc_month_scan_open(ZcConn *zc, const char *fn, int first, int next, const sqlite3_int64 *elders,
                       size_t nelder, ZcMonthScan *s, char **pzErr);
int zc_month_scan_next(ZcMonthScan *s, char **pzErr);
void zc_month_scan_close(ZcMonthScan *s);
/* Column col of st as an elder id: an integer, or an error naming fn and the
** value. */
int zc_elder_col(const char *fn, sqlite3_stmt *st, int col, sqlite3_int64 *out, char **pzErr);

/* Caches every elder's record with four ordered scans (elder, then the
** status, agreement and bed-stay tables by elder_id) instead of four point
** queries per elder: for passes that will ask for most elders.  Records
** already cached are kept.  The same records zc_elder_rec builds. */
int zc_elder_preload(ZcConn *zc, char **pzErr);
/* How many elders asked for one by one make a bulk read worth it (1/64 of
** the elders, at least 256): the facts cache switches at this count. */
int zc_bulk_threshold(ZcConn *zc);
/* The facts the rules see for elder rec on day; site_id 0 = agreement with
** any site (eligible()), else agreement with that site (meal()). */
void zc_elder_facts(ZcConn *zc, const ZcElderRec *rec, int day, sqlite3_int64 site_id,
                    ZcElderFacts *out);
/* 1 if an agreement of rec with site_id (0 = any site) is in force on day. */
int zc_elder_agreement(const ZcElderRec *rec, int day, sqlite3_int64 site_id);
/* Site facts (all sites cached); unknown id is an error. */
int zc_site_facts(ZcConn *zc, sqlite3_int64 id, const ZcSiteFacts **out, char **pzErr);

/* Ordinals: the one way nth_slot/nth_day/nth_month are counted.  Feed one
** elder's meals of one month in (served_at, id) order; slot must be
** interned. */
typedef struct ZcOrd {       /* 24 bytes: a city's elders stay in cache */
  int day;                   /* ZC_NONE before the first meal */
  int nmonth;
  unsigned short nday;
  unsigned short count[4];   /* breakfast, lunch, dinner, another word */
  const char *other;         /* the other slot word counted in count[3] */
} ZcOrd;
void zc_ord_reset(ZcOrd *o);
void zc_ord_next(ZcOrd *o, int day, const char *slot, int *nth_slot, int *nth_day, int *nth_month);

/* Facts of a recorded meal (ordinals included). Unknown id is an error. */
int zc_meal_facts(ZcConn *zc, sqlite3_int64 meal_id, ZcMealFacts *m,
                  const ZcElderRec **elder, const ZcSiteFacts **site, char **pzErr);
/* Facts of a meal that would be served at served_at (a quote): ordinals
** count the elder's recorded meals at or before served_at, plus this one. */
int zc_quote_facts(ZcConn *zc, sqlite3_int64 elder_id, sqlite3_int64 site_id,
                   sqlite3_int64 served_at, const char *slot, ZcMealFacts *m,
                   const ZcElderRec **elder, const ZcSiteFacts **site, char **pzErr);

/* Money of recorded meals, computed a month at a time (subsidy_for over a
** table): a cache by meal id, dropped with the other facts on any change.
** zc_money_cached: 1 and *fen when meal_id's subsidy is known.
** zc_money_store: remembers it (ignored when it cannot be kept).
** zc_money_miss: counts a meal priced one by one on day; 1 when so many of
** that month were that the caller should price the whole month now (once
** per month and data version). */
int zc_money_cached(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 *fen);
void zc_money_store(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 fen);
int zc_money_miss(ZcConn *zc, int day);

/* ------------------------------------------------------------------ */
/* policy.c — versions and the sandboxed runtime.
** A ZcPolicyVersion is loaded once per connection and stays valid for the
** connection's life (versions are immutable). */

enum { ZC_BREAKFAST = 0, ZC_LUNCH = 1, ZC_DINNER = 2, ZC_NSLOT = 3 };
typedef struct ZcWindow { int from, to; } ZcWindow;  /* seconds of day, inclusive */

typedef struct ZcPolicyVersion {
  sqlite3_int64 id;
  const char *name;
  int effective_from;            /* day number */
  char effective_text[11];       /* 'YYYY-MM-DD' */
  char sha256[65];
  ZcWindow windows[ZC_NSLOT];    /* policy windows or the SPEC defaults */
  int has_site;                  /* site() present */
} ZcPolicyVersion;

/* The version of the policy governing region code on day (walks the region
** tree).  *out = NULL and SQLITE_OK when no policy governs or no version is
** effective yet. On error returns an SQLite code and sets *pzErr. */
int zc_policy_for_region(ZcConn *zc, const char *code, int day,
                         const ZcPolicyVersion **out, char **pzErr);
/* The same for a site's region, through the site's region row. */
int zc_policy_for_site(ZcConn *zc, const ZcSiteFacts *site, int day, const ZcPolicyVersion **out,
                       char **pzErr);
/* The version of a named policy on day (same NULL convention). */
int zc_policy_for_name(ZcConn *zc, const char *name, int day,
                       const ZcPolicyVersion **out, char **pzErr);
/* A stored version by id (error if absent). */
int zc_policy_by_id(ZcConn *zc, sqlite3_int64 id,
                    const ZcPolicyVersion **out, char **pzErr);
/* JSON helpers (common.c): a JSON string literal, or null for NULL. */
void zc_json_str(sqlite3_str *s, const char *z);
/* Number from the version's params or anomaly table: 1 if present (and a
** number), 0 if absent. */
int zc_policy_number(const ZcPolicyVersion *v, const char *table,
                     const char *key, double *out);
/* The version's params table as JSON text (sqlite3_malloc'd). */
char *zc_policy_params_json(ZcConn *zc, const ZcPolicyVersion *v);
/* Slot whose window contains secs_of_day (ZC_BREAKFAST..), -1 if none. */
int zc_policy_slot_at(const ZcPolicyVersion *v, int secs_of_day);
const char *zc_slot_name(int slot);
int zc_slot_index(const char *name);   /* -1 if not a slot word */

#define ZC_MAX_PARTS 16
typedef struct ZcPart { const char *payer; sqlite3_int64 fen; } ZcPart;
typedef struct ZcMealResult {
  int eligible;                 /* eligible(elder, day, 'meal') */
  const char *eligible_reason;
  const char *reason;           /* meal()'s reason (NULL when not eligible) */
  int nparts;                   /* parts with fen > 0, sorted by payer */
  ZcPart parts[ZC_MAX_PARTS];
  sqlite3_int64 total;          /* sum of parts */
} ZcMealResult;
/* Strings in results (payer, reasons) are interned for the connection's
** life. */

/* eligible(elder, day, service). elder->agreement must be the any-site
** value. */
int zc_policy_eligible(ZcConn *zc, const ZcPolicyVersion *v,
                       const ZcElderFacts *elder, int day, const char *service,
                       int *ok, const char **reason, char **pzErr);
/* The money path for one meal: eligible(elder_any, day, 'meal'); if true,
** meal(meal, elder_site, site).  elder_any and elder_site differ only in
** .agreement.  Results are memoised on what the rules observed.  elig:
** NULL, or the answer of eligible(elder_any, day, 'meal') under v already
** asked (its .eligible and .eligible_reason). */
int zc_policy_subsidy(ZcConn *zc, const ZcPolicyVersion *v,
                      const ZcMealFacts *meal, const ZcElderFacts *elder_any,
                      const ZcElderFacts *elder_site, const ZcSiteFacts *site,
                      const ZcMealResult *elig, ZcMealResult *out, char **pzErr);

typedef struct ZcSiteItem {
  const char *item, *payer;     /* interned */
  sqlite3_int64 fen, quantity;  /* quantity defaults to 1 */
} ZcSiteItem;
/* site(site, month, stats): *pItems is an array owned by the runtime, valid
** until the next call. No site() -> *pn = 0. */
int zc_policy_site(ZcConn *zc, const ZcPolicyVersion *v,
                   const ZcSiteFacts *site, const char *month,
                   const ZcSiteStats *stats, const ZcSiteItem **pItems,
                   int *pn, char **pzErr);

/* subsidy.c — the money path shared by every function: the version of the
** site's governing policy on the meal's day, elder facts for eligible() and
** meal(), zc_policy_subsidy().  *pv receives the version used.  fn names
** the SQL function for error messages. */
int zc_money(ZcConn *zc, const char *fn, const ZcMealFacts *m, const ZcElderRec *elder,
             const ZcSiteFacts *site, const ZcPolicyVersion **pv, ZcMealResult *out,
             char **pzErr);

/* The same with the version already chosen (callers that cache the version
** per site and day). */
int zc_money_with(ZcConn *zc, const ZcPolicyVersion *v, const ZcMealFacts *m, const ZcElderRec *elder,
                  const ZcSiteFacts *site, ZcMealResult *out, char **pzErr);

/* The same for a pass over meals in (elder, served_at) order: the elder's
** facts of the day, and eligible() per version, are kept from one meal to
** the next of the same elder and day (they depend on nothing else).
** Zero-initialise the ZcMoneyDay before the pass. */
typedef struct ZcMoneyDay {
  const ZcElderRec *rec;       /* NULL: nothing kept */
  sqlite3_int64 elder_id;
  int day;
  ZcElderFacts any;
  const ZcPolicyVersion *v;    /* the version elig was asked under */
  ZcMealResult elig;
} ZcMoneyDay;
int zc_money_day(ZcConn *zc, ZcMoneyDay *md, const ZcPolicyVersion *v, const ZcMealFacts *m,
                 const ZcElderRec *elder, const ZcSiteFacts *site, ZcMealResult *out, char **pzErr);

#endif /* ZHUCAN_H */
