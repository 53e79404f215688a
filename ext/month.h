/*
** month.h — the month pass (month.c) shared by settlement() (settle.c),
** settle() (run.c), replay() (replay.c) and subsidy_for's month pricing
** (subsidy.c).
**
** zc_month_compute streams the month's meals of every elder who ate at a
** site at or under the region, in (elder_id, served_at, id) order across
** all sites, counting ordinals per elder (ZcOrd, the same counter
** subsidy_for uses), and for each meal at a region site calls xMeal with
** its facts and money (zc_money_with, the one money path), in that order.
** Afterwards it runs each region site's site() under the version in force
** on the month's first day and calls xItem for every item.
*/
#ifndef ZC_MONTH_H
#define ZC_MONTH_H
#include "meals.h"
#include "money.h"

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
  /* > 0: only policy versions with id <= horizon are seen (replay()
  ** recomputes a run with the versions installed when it ran) */
  sqlite3_int64 horizon;
  /* not NULL: a version that is not stored (zc_policy_proposal) stands in
  ** as the newest version of its name (policy_impact, impact.c) */
  const ZcPolicyVersion *proposal;
  /* set by zc_month_compute during each xMeal: the elder's facts on the
  ** meal's day (agreement with any site), as eligible() saw them */
  const ZcElderFacts *day_facts;
} ZcMonthSink;

/* region NULL: every site.  With neither xSite nor xItem, site() is not
** run. */
int zc_month_compute(ZcConn *zc, const char *fn, const char *region, int first, int next,
                     ZcMonthSink *sink, char **pzErr);

/* Validates (region, month) arguments the same way for every function:
** region must exist in the region table; month 'YYYY-MM'. */
int zc_month_args(ZcConn *zc, const char *fn, sqlite3_value *region, sqlite3_value *month,
                  const char **pRegion, int *first, int *next, char **pzErr);

/* The fen of a subsidised meal's co-payment paid with credit points: its
** redemptions (r->credit), at most the co-payment; 0 for a meal not
** subsidised.  settlement(), settle() and replay() all split by this. */
static inline sqlite3_int64 zc_meal_credit(const ZcMealFacts *m, const ZcMealResult *r) {
  sqlite3_int64 copay = m->price_fen - r->total, c = r->credit < copay ? r->credit : copay;
  return r->total > 0 && c > 0 ? c : 0;
}

#endif /* ZC_MONTH_H */
