/*
** precond.h — what must hold before settle() stores a run (precond.c):
** the month has ended, every site-day of the region has a policy in
** force, and no other current run pays the region's sites that month.
** Each refusal says why and how to fix it.
*/
#ifndef ZC_PRECOND_H
#define ZC_PRECOND_H
#include "facts.h"

/* Today in China (UTC+8) from the system clock, or the day the
** environment variable ZHUCAN_TODAY names ('YYYY-MM-DD'; for tests and for
** settling as of a day).  An error when ZHUCAN_TODAY is set but malformed. */
int zc_today(const ZcConn *zc, const char *fn, int *day, char **pzErr);

/* The month [first, next) has ended: an error naming the first day it
** can be settled, else SQLITE_OK. */
int zc_month_ended(const ZcConn *zc, const char *fn, const char *month, int next, char **pzErr);

/* The sites a run of a region covers: every site at or under the region
** (open or not), ids ascending. */
typedef struct ZcCover {
  sqlite3_int64 *ids;
  size_t n;
} ZcCover;
int zc_cover_of(ZcConn *zc, const char *fn, const char *region, ZcCover *out, char **pzErr);
int zc_cover_has(const ZcCover *c, sqlite3_int64 id);
void zc_cover_free(ZcCover *c);

/* Every day of [first, next) on which a site of c is open (opened_on <=
** day < closed_on) has a policy version in force for it: else an error
** listing the site-days without one (as ranges), and how to fix it. */
int zc_policy_gaps(ZcConn *zc, const char *fn, const ZcCover *c, int first, int next, char **pzErr);

/* A current run of the month that pays some of c's sites (or is of the
** same region). */
typedef struct ZcOverlap {
  sqlite3_int64 run;
  char *region;
  sqlite3_int64 common, example, others;   /* sites in common, one of them, its sites not in c */
} ZcOverlap;
/* The current runs of month overlapping a run of region over c: *out
** (sqlite3_malloc'd, *n of them, ids ascending).  A run stored before runs
** recorded their sites (zhucan_run.sites NULL) covers the sites under its
** region now and those it stored in zhucan_run_site. */
int zc_overlaps(ZcConn *zc, const char *region, const char *month, const ZcCover *c, ZcOverlap **out, int *n,
                char **pzErr);
void zc_overlaps_free(ZcOverlap *a, int n);
/* A run of region over month overlapping ov[0..n): refused (the message
** names the runs, the sites in common, and what 'supersede' would leave
** unpaid) unless supersede; refused always when one of them was settled
** by the statement calling (zc_mine_same). */
int zc_overlap_check(ZcConn *zc, const char *region, const char *month, int supersede, const ZcOverlap *ov, int n,
                     char **pzErr);

#endif /* ZC_PRECOND_H */
