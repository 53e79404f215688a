/*
** meals.h — meals as the rules see them (meals.c): a recorded meal's facts
** with its ordinals, a quote's, the month scan the passes read, and the
** prices of whole months kept by meal id.
*/
#ifndef ZC_MEALS_H
#define ZC_MEALS_H
#include "facts.h"

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
  const ZcConn *zc;                 /* the language of errors */
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
int zc_elder_col(const ZcConn *zc, const char *fn, sqlite3_stmt *st, int col, sqlite3_int64 *out, char **pzErr);

/* Facts of a recorded meal (ordinals included). Unknown id is an error. */
int zc_meal_facts(ZcConn *zc, sqlite3_int64 meal_id, ZcMealFacts *m,
                  const ZcElderRec **elder, const ZcSiteFacts **site, char **pzErr);
/* Facts of a meal that would be served at served_at (a quote): ordinals
** count the elder's recorded meals at or before served_at, plus this one. */
int zc_quote_facts(ZcConn *zc, sqlite3_int64 elder_id, sqlite3_int64 site_id,
                   sqlite3_int64 served_at, const char *slot, ZcMealFacts *m,
                   const ZcElderRec **elder, const ZcSiteFacts **site, char **pzErr);

/* Money of recorded meals, computed a month at a time (subsidy_for over a
** table): a cache by meal id, dropped with the facts on any change.
** zc_money_cached: 1 and *fen when meal_id's subsidy is known.
** zc_money_store: remembers it (ignored when it cannot be kept).
** zc_money_miss: counts a meal priced one by one on day; 1 when so many of
** that month were that the caller should price the whole month now (once
** per month and data version). */
int zc_money_cached(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 *fen);
void zc_money_store(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 fen);
int zc_money_miss(ZcConn *zc, int day);
/* Frees the cached elder-months and meal rows (prices stay): a caller about
** to price a whole month holds no row and will answer from the prices.  At
** a province month (54M meals) the rows read one by one before the switch
** held ~300 MB for nothing. */
void zc_meals_release(ZcConn *zc);

/* Every served_at of table meal is a time 'YYYY-MM-DD HH:MM:SS' (a
** malformed one falls outside every month's range: the month passes would
** leave it out without a word).  Free when the table's own CHECK (from
** sql/schema.sql) refuses them; else one read of the meal_time index per
** data version.  An error names the first malformed meal. */
int zc_meal_times_check(ZcConn *zc, const char *fn, char **pzErr);

#endif /* ZC_MEALS_H */
