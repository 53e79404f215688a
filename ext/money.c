/*
** money.c — the one money path, no SQL of its own.  Every number zhucan
** produces comes from here:
**
**   meal row ──► facts (facts.c) ──► zc_money* ──► zc_policy_subsidy (policy_call.c)
**
** zc_money chooses the version of the site's governing policy on the meal's
** day and reports a meal no policy prices; zc_money_with takes the version
** already chosen; zc_money_day keeps the elder's facts and eligible() from
** one meal to the next of the same elder and day (the month pass).  All
** three build the elder's facts twice over — agreement with any site for
** eligible(), with the meal's site for meal() — the same way.
*/
#include "money.h"
#include <string.h>

int zc_money(ZcConn *zc, const char *fn, const ZcMealFacts *m, const ZcElderRec *elder,
             const ZcSiteFacts *site, const ZcPolicyVersion **pv, ZcMealResult *out, char **pzErr) {
  const ZcPolicyVersion *v = NULL;
  int rc = zc_policy_for_site(zc, NULL, site, m->day, &v, pzErr);
  if (rc) return rc;
  if (v == NULL) {
    char day[11];
    zc_day_format(m->day, day);
    const ZcRegion *g = zc_region_governing(zc, site->region);
    if (g)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: no version of policy '%s' (set on region %s) is in force on %s",
                                    "%s：政策 '%s'（区划 %s 指定）在 %s 没有生效的版本"), fn,
                               g->policy, g->code, day);
    else
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: no policy governs site %lld (region %s): set region.policy on it "
                                        "or a region above it",
                                    "%s：助餐点 %lld（区划 %s）没有适用的政策：请给这个区划或它的上级区划设置 region.policy"),
                               fn, site->id, site->region ? site->region : "NULL");
    return SQLITE_ERROR;
  }
  *pv = v;
  return zc_money_with(zc, v, m, elder, site, out, pzErr);
}

int zc_money_with(ZcConn *zc, const ZcPolicyVersion *v, const ZcMealFacts *m, const ZcElderRec *elder,
                  const ZcSiteFacts *site, ZcMealResult *out, char **pzErr) {
  ZcElderFacts any, at_site;
  zc_elder_facts(zc, elder, m->day, 0, &any);
  at_site = any;
  at_site.agreement = zc_elder_agreement(elder, m->day, site->id);
  return zc_policy_subsidy(zc, v, m, &any, &at_site, site, NULL, out, pzErr);
}

int zc_money_day(ZcConn *zc, ZcMoneyDay *md, const ZcPolicyVersion *v, const ZcMealFacts *m,
                 const ZcElderRec *elder, const ZcSiteFacts *site, ZcMealResult *out, char **pzErr) {
  if (md->rec != elder || md->elder_id != elder->id || md->day != m->day) {
    zc_elder_facts(zc, elder, m->day, 0, &md->any);
    md->rec = elder;
    md->elder_id = elder->id;
    md->day = m->day;
    md->v = NULL;
  }
  if (md->v != v) {
    int rc = zc_policy_eligible(zc, v, &md->any, m->day, "meal", &md->elig.eligible, &md->elig.eligible_reason,
                                pzErr);
    if (rc) return rc;
    md->v = v;
  }
  ZcElderFacts at_site = md->any;
  at_site.agreement = zc_elder_agreement(elder, m->day, site->id);
  return zc_policy_subsidy(zc, v, m, &md->any, &at_site, site, &md->elig, out, pzErr);
}
