/*
** settle.h — the month computation shared by settlement(), settle() and
** replay() (settle.c, run.c).
**
** zc_month_compute streams the month's meals of every elder who ate at a
** site at or under the region, in (elder_id, served_at, id) order across
** all sites, counting ordinals per elder (ZcOrd, the same counter
** subsidy_for uses), and for each meal at a region site calls xMeal with
** its facts and money (zc_money_with, the one money path), in that order.
** Afterwards it runs each region site's site() under the version in force
** on the month's first day and calls xItem for every item.
*/
#ifndef ZC_SETTLE_H
#define ZC_SETTLE_H
#include "zhucan.h"

typedef struct ZcMonthSink {
  void *p;
  /* every meal of the month at a region site (subsidised or not) */
  int (*xMeal)(void *p, const ZcMealFacts *m, const ZcElderRec *elder, const ZcSiteFacts *site,
               const ZcPolicyVersion *v, const ZcMealResult *r, char **pzErr);
  /* before a site's site() call: the stats it is given (may be NULL) */
  int (*xSite)(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteStats *stats,
               char **pzErr);
  /* every item site() returned */
  int (*xItem)(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteItem *it,
               char **pzErr);
  /* 1: a meal that cannot be priced (unknown elder, no policy in force, a
  ** rule error, a malformed time) is skipped, not the end of the pass; the
  ** caller prices it again alone to get its error (subsidy_for) */
  int soft;
  /* set by zc_month_compute during each xMeal: the elder's facts on the
  ** meal's day (agreement with any site), as eligible() saw them */
  const ZcElderFacts *day_facts;
} ZcMonthSink;

/* Version choice honours zc->policy_horizon (replay sets it).  region NULL:
** every site.  With neither xSite nor xItem, site() is not run. */
int zc_month_compute(ZcConn *zc, const char *fn, const char *region, int first, int next,
                     ZcMonthSink *sink, char **pzErr);

/* Validates (region, month) arguments the same way for every function:
** region must exist in the region table; month 'YYYY-MM'. */
int zc_month_args(ZcConn *zc, const char *fn, sqlite3_value *region, sqlite3_value *month,
                  const char **pRegion, int *first, int *next, char **pzErr);

/* pack.c: a run's meals, one blob per elder (zhucan_run_pack.data); the
** layout is described there.  Strings are (pointer, length); s[] holds
** slot, method, device, token and parts, NULL for SQL NULL. */
typedef struct ZcPackMeal {
  sqlite3_int64 id, site, served_at, price, version, subsidy;
  int nth[3];
  const char *s[5];
  int n[5];
} ZcPackMeal;
#define ZC_PACK_STRINGS 64
typedef struct ZcPackW {
  unsigned char *z;
  size_t n, cap;
  int oom, count;
  ZcPackMeal prev;   /* the previous meal's numbers */
  int nstr;          /* the pack's strings so far, where they are in z */
  size_t off[ZC_PACK_STRINGS];
  int len[ZC_PACK_STRINGS];
  int hint[5];       /* per string field: the string it had last */
} ZcPackW;
void zc_pack_begin(ZcPackW *w);
void zc_pack_meal(ZcPackW *w, const ZcPackMeal *m);
void zc_pack_free(ZcPackW *w);
typedef struct ZcPackR {
  const unsigned char *p, *end;
  int count, nstr;
  ZcPackMeal prev;
  const char *str[ZC_PACK_STRINGS];
  int len[ZC_PACK_STRINGS];
} ZcPackR;
/* 0 if data is not a pack */
int zc_pack_open(ZcPackR *r, const void *data, int n);
/* 1: *m is the next meal (strings point into data); 0: the end; -1: damaged */
int zc_pack_next(ZcPackR *r, ZcPackMeal *m);
int zc_pack_register(sqlite3 *db, ZcConn *zc);

/* run.c: settle() and replay(); called by zc_settle_register. */
int zc_run_register(sqlite3 *db, ZcConn *zc, char **pzErr);

#endif
