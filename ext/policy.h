/*
** policy.h — policy versions and the sandboxed runtime that runs them
** (policy_*.c): choosing the version in force, eligible(), meal(), site().
*/
#ifndef ZC_POLICY_H
#define ZC_POLICY_H
#include "facts.h"

/* A ZcPolicyVersion is loaded once per connection and stays valid for the
** connection's life (versions are immutable). */

typedef struct ZcWindow { int from, to; } ZcWindow;  /* seconds of day, inclusive */

/* A version's credit section (time bank / credit points, docs/credit.md),
** checked at load (policy_credit.c).  Points are counted in thousandths
** ("milli-points", integers): 1 point = 1000. */
#define ZC_CREDIT_TIERS 16
#define ZC_CREDIT_RELS 16
enum { ZC_CREDIT_MEAL, ZC_CREDIT_GOODS, ZC_CREDIT_SERVICE, ZC_CREDIT_NUSE };
typedef struct ZcCredit {
  int ntiers;
  struct {
    sqlite3_int64 upto_min;      /* the tier runs to this many minutes of the year; -1 open */
    int hours;                   /* hours per point in the tier */
  } tier[ZC_CREDIT_TIERS];
  sqlite3_int64 cap;             /* milli-points an account may hold; 0 none */
  int expire_months;             /* points expire this many months after earned; 0 never */
  sqlite3_int64 rate[ZC_CREDIT_NUSE]; /* fen one point pays for, per use; -1 not redeemable */
  int redeem_min_age;            /* the holder's age to redeem; 0 any */
  sqlite3_int64 month_cap;       /* milli-points redeemed per calendar month; 0 none */
  int nrel;                      /* relations a transfer may go to */
  char rel[ZC_CREDIT_RELS][33];
  int transfer_min_age;          /* the receiver's age; 0 any */
  int donate;                    /* donations to a fund allowed */
} ZcCredit;
/* The use words, in enum order: "meal", "goods", "service". */
extern const char *const zc_credit_use[ZC_CREDIT_NUSE];
/* Milli-points earned by the first `minutes` of a year under c: per tier,
** floor(minutes in the tier * 1000 / (60 * hours)), summed. */
sqlite3_int64 zc_credit_points(const ZcCredit *c, sqlite3_int64 minutes);

typedef struct ZcPolicyVersion {
  sqlite3_int64 id;
  const char *name;
  int effective_from;            /* day number */
  char effective_text[11];       /* 'YYYY-MM-DD' */
  char sha256[65];
  ZcWindow windows[ZC_NSLOT];    /* policy windows or the SPEC defaults */
  int has_site;                  /* site() present */
  const ZcCredit *credit;        /* the credit section, NULL when absent */
} ZcPolicyVersion;

/* How a caller chooses versions; NULL means { 0, 0 }: every installed
** version, the index re-checked against zhucan_policy whenever the data may
** have changed.  A pass builds its own and hands it down. */
typedef struct ZcPolicyPick {
  sqlite3_int64 horizon;  /* > 0: only versions with id <= horizon (replay) */
  int pinned;             /* 1: the pass changes no version: skip the re-check */
  /* policy_impact (impact.c): a version that is not stored, chosen as if it
  ** were the newest installed version of its name (zc_policy_proposal) */
  const struct ZcPolicyVersion *proposal;
} ZcPolicyPick;

/* The version of the policy governing region code on day (walks the region
** tree).  *out = NULL and SQLITE_OK when no policy governs or no version is
** effective yet. On error returns an SQLite code and sets *pzErr. */
int zc_policy_for_region(ZcConn *zc, const ZcPolicyPick *pick, const char *code, int day,
                         const ZcPolicyVersion **out, char **pzErr);
/* The same for a site's region, through the site's region row. */
int zc_policy_for_site(ZcConn *zc, const ZcPolicyPick *pick, const ZcSiteFacts *site, int day,
                       const ZcPolicyVersion **out, char **pzErr);
/* The version of a named policy on day (same NULL convention). */
int zc_policy_for_name(ZcConn *zc, const ZcPolicyPick *pick, const char *name, int day,
                       const ZcPolicyVersion **out, char **pzErr);
/* policy_impact (impact.c): source checked and loaded as policy_install
** would load it (chunk names it in messages: "=proposal"), but not stored:
** id 0, no sha256.  It governs only a pass whose ZcPolicyPick names it, and
** has its own memo; zc_policy_proposal_free releases all of it. */
int zc_policy_proposal(ZcConn *zc, const char *src, size_t len, const char *chunk,
                       const ZcPolicyVersion **out, char **pzErr);
void zc_policy_proposal_free(ZcConn *zc, const ZcPolicyVersion *v);
/* The most bytes of source a version may have. */
#define ZC_POLICY_SOURCE_MAX (1 << 20)

/* Number from the version's params or anomaly table: 1 if present (and a
** number), 0 if absent. */
int zc_policy_number(const ZcPolicyVersion *v, const char *table,
                     const char *key, double *out);
/* The version's params table as JSON text (sqlite3_malloc'd). */
char *zc_policy_params_json(ZcConn *zc, const ZcPolicyVersion *v);
/* Slot whose window contains secs_of_day (ZC_BREAKFAST..), -1 if none. */
int zc_policy_slot_at(const ZcPolicyVersion *v, int secs_of_day);

#define ZC_MAX_PARTS 16
typedef struct ZcPart { const char *payer; sqlite3_int64 fen; } ZcPart;
typedef struct ZcMealResult {
  int eligible;                 /* eligible(elder, day, 'meal') */
  const char *eligible_reason;
  const char *reason;           /* meal()'s reason (NULL when not eligible) */
  int nparts;                   /* parts with fen > 0, sorted by payer */
  ZcPart parts[ZC_MAX_PARTS];
  sqlite3_int64 total;          /* sum of parts */
  /* set by the month pass (month.c) only: fen of the co-payment paid with
  ** credit points (credit_redemption rows of the meal), else 0 */
  sqlite3_int64 credit;
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

#endif /* ZC_POLICY_H */
