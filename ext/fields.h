/*
** fields.h — the one declaration of every fact field the rules can read.
**
** Each row is X(KIND, NAME, "lua name", TYPE, expression).  KIND is ELDER,
** MEAL, SITE or STATS; the expression reads the field from the C facts
** through the variable e (ZcElderFacts), m (ZcMealFacts), s (ZcSiteFacts)
** or st (ZcSiteStats).  From these tables, and nowhere else, come:
**   - the field numbers ZF_<KIND>_<NAME> (one flat numbering: a field's
**     number is its bit in the memo's mask of fields read), the names and
**     the kind ranges (below);
**   - the Lua proxies' values (policy_facts.c: ZF_PUSH_<TYPE>),
**   - the memo key (memo.c: ZF_KEY_<TYPE>),
**   - the facts of subsidy_explain (subsidy.c: ZF_JSON_<TYPE>),
**   - the elder facts record of settle's input digest and its "changed?"
**     test (run.c: ZF_SER_<TYPE>, ZF_EQ_<TYPE>),
**   - policy_test's check that a case's facts read back as written
**     (policy_test.c).
** Adding a field is adding a row (and the member it reads): every place
** above follows.  tests/fields_memo.sh changes each field in turn and
** checks that the memo key and the money follow.
**
** TYPEs: I64 an integer, always present; INTN an int, ZC_NONE = nil; ID0
** an id, 0 = nil; PRICE fen, ZC_NO_PRICE = nil; SEX 'M'/'F', 0 = nil; DAY a
** day number shown 'YYYY-MM-DD', ZC_NONE = nil; TIME seconds shown
** 'YYYY-MM-DD HH:MM:SS'; CLOCK seconds of day shown 'HH:MM:SS'; STR text,
** NULL = nil; BOOL true/false; REAL a number, NaN = nil; STATUS the set of
** status words in force (bits of ZcElderFacts.status); SLOTS the set of
** slot words a site serves (ZC_SLOT_* bits).
*/
#ifndef ZC_FIELDS_H
#define ZC_FIELDS_H

#define ZC_ELDER_FIELDS(X)                          \
  X(ELDER, ID, "id", I64, e->id)                    \
  X(ELDER, SEX, "sex", SEX, e->sex)                 \
  X(ELDER, BIRTH, "birth_date", DAY, e->birth)      \
  X(ELDER, AGE, "age", INTN, e->age)                \
  X(ELDER, REGION, "region", STR, e->region)        \
  X(ELDER, VILLAGE, "village", STR, e->village)     \
  X(ELDER, TOWNSHIP, "township", STR, e->township)  \
  X(ELDER, COUNTY, "county", STR, e->county)        \
  X(ELDER, DIED, "died_on", DAY, e->died_on)        \
  X(ELDER, STATUS, "status", STATUS, e->status)     \
  X(ELDER, AGREEMENT, "agreement", BOOL, e->agreement) \
  X(ELDER, BED, "bed", ID0, e->bed)

#define ZC_MEAL_FIELDS(X)                                     \
  X(MEAL, ID, "id", ID0, m->id)                               \
  X(MEAL, SLOT, "slot", STR, m->slot)                         \
  X(MEAL, DAY, "day", DAY, m->day)                            \
  X(MEAL, SERVED, "served_at", TIME, m->served_at)            \
  X(MEAL, TIME, "time", CLOCK, zc_secs_of_day(m->served_at))  \
  X(MEAL, METHOD, "method", STR, m->method)                   \
  X(MEAL, DEVICE, "device", STR, m->device)                   \
  X(MEAL, TOKEN, "token", STR, m->token)                      \
  X(MEAL, PRICE, "price_fen", PRICE, m->price_fen)            \
  X(MEAL, SITE_ID, "site_id", I64, m->site_id)                \
  X(MEAL, NTH_SLOT, "nth_slot", I64, m->nth_slot)             \
  X(MEAL, NTH_DAY, "nth_day", I64, m->nth_day)                \
  X(MEAL, NTH_MONTH, "nth_month", I64, m->nth_month)

#define ZC_SITE_FIELDS(X)                              \
  X(SITE, ID, "id", I64, s->id)                        \
  X(SITE, NAME, "name", STR, s->name)                  \
  X(SITE, KIND, "kind", STR, s->kind)                  \
  X(SITE, GRADE, "grade", INTN, s->grade)              \
  X(SITE, BEDS, "beds", I64, s->beds)                  \
  X(SITE, AREA, "area_m2", REAL, s->area_m2)           \
  X(SITE, OPENED, "opened_on", DAY, s->opened_on)      \
  X(SITE, CLOSED, "closed_on", DAY, s->closed_on)      \
  X(SITE, SLOTS, "slots", SLOTS, s->slots)             \
  X(SITE, REGION, "region", STR, s->region)            \
  X(SITE, VILLAGE, "village", STR, s->village)         \
  X(SITE, TOWNSHIP, "township", STR, s->township)      \
  X(SITE, COUNTY, "county", STR, s->county)

#define ZC_STATS_FIELDS(X)                                          \
  X(STATS, MEALS, "meals", I64, st->meals)                          \
  X(STATS, SUBSIDISED, "subsidised_meals", I64, st->subsidised_meals) \
  X(STATS, DINERS, "diners", I64, st->diners)                       \
  X(STATS, DAYS, "days_served", I64, st->days_served)               \
  X(STATS, FULL, "residents_full", I64, st->residents_full)         \
  X(STATS, SEMI, "residents_semi", I64, st->residents_semi)

#define ZC_ALL_FIELDS(X) ZC_ELDER_FIELDS(X) ZC_MEAL_FIELDS(X) ZC_SITE_FIELDS(X) ZC_STATS_FIELDS(X)

/* The kinds of facts, in the order of the numbering. */
enum { ZF_K_ELDER, ZF_K_MEAL, ZF_K_SITE, ZF_K_STATS, ZF_NKIND };

#define ZF_ENUM_(K, N, name, T, expr) ZF_##K##_##N,
#define ZF_ONE_(K, N, name, T, expr) +1
enum { ZC_ALL_FIELDS(ZF_ENUM_) ZF_COUNT };
enum {
  ZF_NELDER = 0 ZC_ELDER_FIELDS(ZF_ONE_),
  ZF_NMEAL = 0 ZC_MEAL_FIELDS(ZF_ONE_),
  ZF_NSITE = 0 ZC_SITE_FIELDS(ZF_ONE_),
  ZF_NSTATS = 0 ZC_STATS_FIELDS(ZF_ONE_)
};
_Static_assert(ZF_COUNT <= 64, "a memo mask has 64 bits: one per field");

/* The first field of kind k, and the one after its last. */
#define ZF_BEGIN(k)                                                                          \
  ((k) == ZF_K_ELDER ? 0 : (k) == ZF_K_MEAL ? ZF_NELDER : (k) == ZF_K_SITE ? ZF_NELDER + ZF_NMEAL \
                                                                  : ZF_NELDER + ZF_NMEAL + ZF_NSITE)
#define ZF_END(k) ((k) + 1 == ZF_NKIND ? ZF_COUNT : ZF_BEGIN((k) + 1))

/* Name of each field (indexed by its number) and of each kind. */
extern const char *const zc_field_name[ZF_COUNT];
extern const char *const zc_field_kind_name[ZF_NKIND];
/* The kind of field f. */
#define ZF_KIND(f) ((f) < ZF_NMEAL + ZF_NELDER ? ((f) < ZF_NELDER ? ZF_K_ELDER : ZF_K_MEAL) \
                    : (f) < ZF_NELDER + ZF_NMEAL + ZF_NSITE ? ZF_K_SITE : ZF_K_STATS)

#endif /* ZC_FIELDS_H */
