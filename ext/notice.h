/*
** notice.h — a site's monthly public notice (公示) as rows (notice.c),
** shared by the notice() table-valued function and notice_html()
** (notice_html.c).
*/
#ifndef ZC_NOTICE_H
#define ZC_NOTICE_H
#include "common.h"
#include "facts.h"

/* One row of a notice.  section is a fixed key ('diners', 'purchases', ...),
** title its Chinese heading; the texts are sqlite3_malloc'd (may be NULL). */
typedef struct ZcNoticeRow {
  const char *section, *title;
  int line;
  char *item, *detail, *note;
  sqlite3_int64 quantity, amount; /* amount in fen */
  int has_quantity, has_amount;
} ZcNoticeRow;

typedef struct ZcNotice {
  ZcNoticeRow *rows;
  int n, cap;
  int oom;
  sqlite3_int64 site_id;
  char month[8];
  int ndays;                 /* days of the month */
  sqlite3_int64 per_day[31]; /* meals recorded at the site, day by day */
  char *site_name, *place;   /* place: township and village names */
  int settled;               /* a current run covers the site for the month */
  sqlite3_int64 run_id;      /* that run (0: not settled) */
  char *run_key;             /* its output digest and chain */
} ZcNotice;

/* The money of one site's notice (notice_money.c): per diner (sorted by
** elder id; elder 0: a meal whose elder is not in table elder), meals per
** day, and the site items with a public amount.  A subsidised meal's
** price is subsidy + copay + credit. */
typedef struct ZcNoticeDiner {
  sqlite3_int64 elder, meals, subsidised, subsidy;
  sqlite3_int64 copay;           /* what the elder paid of subsidised meals */
  sqlite3_int64 credit;          /* what credit points paid of them (docs/credit.md) */
} ZcNoticeDiner;
typedef struct ZcNoticeItem {
  char *item, *payer;
  sqlite3_int64 fen, qty;
} ZcNoticeItem;
typedef struct ZcNoticeMoney {
  sqlite3_int64 site;
  ZcNoticeDiner *d;
  int n, cap;
  sqlite3_int64 per_day[31];
  ZcNoticeItem *it;
  int nit, itcap;
  sqlite3_int64 items_fen;
} ZcNoticeMoney;
/* run > 0: the money run (its key: output digest and chain) stored for the
** site; 0: the month pass over the site's county (the site's region when a
** meal elsewhere in the county cannot be priced).  *out stays valid until
** the next call (kept in the connection's cache, zc->notice). */
int zc_notice_money(ZcConn *zc, const char *fn, const ZcSiteFacts *site, int first, int next, sqlite3_int64 run,
                    const char *run_key, const ZcNoticeMoney **out, char **pzErr);

/* Builds the notice of site_id for month (the SQL values as given: an
** integer site id and 'YYYY-MM'); fn names the calling function in
** errors.  SQLITE_OK, or an SQLite code with *pzErr. */
int zc_notice_build(ZcConn *zc, const char *fn, sqlite3_value *site, sqlite3_value *month, ZcNotice *out,
                    char **pzErr);
void zc_notice_free(ZcNotice *nt);
/* fen as yuan with two decimals ('1234.50', '-0.05') into out (32 bytes). */
void zc_notice_yuan(sqlite3_int64 fen, char out[32]);
/* The notice tables a function needs: SQLITE_OK, or SQLITE_ERROR with
** *pzErr naming the first one missing and how to add it. */
int zc_notice_tables(ZcConn *zc, const char *fn, const char *const *names, char **pzErr);

/* The notice as one printable HTML page (notice_html.c): sqlite3_malloc'd,
** NULL when memory runs out. */
char *zc_notice_html(const ZcNotice *nt);

#endif /* ZC_NOTICE_H */
