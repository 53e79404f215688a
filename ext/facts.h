/*
** facts.h — what the rules see, built from the tables: the region tree,
** status words, sites, elder records and facts, slot words, ordinals
** (facts.c).  Meal facts and the month scan: meals.h.
*/
#ifndef ZC_FACTS_H
#define ZC_FACTS_H
#include "common.h"

/* Regions, elders, sites.
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
/* Counts the times the caches were dropped: a module keeping things that
** point into the facts drops them when this changes (meals.c). */
unsigned zc_facts_generation(ZcConn *zc);
/* Reads the region table into the cache if it is not there: an error
** (an interrupt, a missing table) is reported here, where zc_region would
** only answer NULL. */
int zc_regions_load(ZcConn *zc, char **pzErr);
/* The region row, from a cache of the whole region table; NULL if absent. */
const ZcRegion *zc_region(ZcConn *zc, const char *code);
/* Nearest region at or above code with policy set; NULL if none. */
const ZcRegion *zc_region_governing(ZcConn *zc, const char *code);
/* 1 if code is region or below it. */
int zc_region_under(ZcConn *zc, const char *code, const char *region);

/* Status words: bit i of ZcElderFacts.status is zc_status_name(zc, i). The
** twelve SPEC words have fixed bits; other words get the next free bit. */
#define ZC_MAX_STATUS 64
/* The bit of word (create: giving it the next bit if it has none); else
** ZC_STATUS_NONE (not a word yet, or NULL), ZC_STATUS_FULL (64 words
** already) or ZC_STATUS_NOMEM.  Looking up without create interns nothing. */
int zc_status_bit(ZcConn *zc, const char *word, int create);
enum { ZC_STATUS_NONE = -1, ZC_STATUS_FULL = -2, ZC_STATUS_NOMEM = -3 };
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

/* Slot words: the one place they are named (the rules, ingest and the
** scans all use these). */
enum { ZC_BREAKFAST = 0, ZC_LUNCH = 1, ZC_DINNER = 2, ZC_NSLOT = 3 };
const char *zc_slot_name(int slot);    /* NULL if not ZC_BREAKFAST..ZC_DINNER */
int zc_slot_index(const char *name);   /* -1 if not a slot word */

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

/* The fields of these facts the rules can read: fields.h. */
#include "fields.h"

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
  const char *bad;                   /* what is malformed about the elder, or NULL */
} ZcElderRec;
/* The record of elder id; an unknown id is an error ("elder 42 does not
** exist"), and so is an elder whose rows are malformed (a died_on that is
** not a date, an interval with a bad date, ...): rec->bad says what. */
int zc_elder_rec(ZcConn *zc, sqlite3_int64 id, const ZcElderRec **out, char **pzErr);
/* The record of elder id if it is cached, else NULL (nothing is read). */
const ZcElderRec *zc_elder_cached(ZcConn *zc, sqlite3_int64 id);
/* Caches every elder's record with four ordered scans (elder, then the
** status, agreement and bed-stay tables by elder_id) instead of four point
** queries per elder: for passes that will ask for most elders.  Records
** already cached are kept.  The same records zc_elder_rec builds. */
int zc_elder_preload(ZcConn *zc, char **pzErr);
/* The records of elders ids[0..n) (ascending, distinct) into out[j], NULL
** for an id not in table elder: built as zc_elder_rec builds them (rec->bad
** set for malformed rows) but not cached; the caller frees each with
** sqlite3_free.  Four range reads over [ids[0], ids[n-1]]: for a pass that
** goes through the elders a bounded run at a time (anomaly_scan). */
int zc_elder_recs(ZcConn *zc, const sqlite3_int64 *ids, int n, ZcElderRec **out, char **pzErr);
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

#endif /* ZC_FACTS_H */
