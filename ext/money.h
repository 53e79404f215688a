/*
** money.h — the one money path (money.c): the version of the site's
** governing policy on the meal's day, the elder's facts for eligible() and
** meal(), zc_policy_subsidy().  Every money-producing function goes through
** it.
*/
#ifndef ZC_MONEY_H
#define ZC_MONEY_H
#include "policy.h"

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

#endif /* ZC_MONEY_H */
