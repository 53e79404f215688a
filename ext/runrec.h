/*
** runrec.h — the pieces of a stored run shared by settle() (run.c) and
** replay() (replay.c): runrec.c.
*/
#ifndef ZC_RUNREC_H
#define ZC_RUNREC_H
#include "policy.h"

/* 1 if the schema has a table, view, index or trigger of this name. */
int zc_table_exists(sqlite3 *db, const char *name);
/* One integer from a query (0 when no row or NULL). */
int zc_query_int(sqlite3 *db, const char *sql, sqlite3_int64 *out);

/* The canonical text of an elder's facts, as stored in zhucan_run_elder
** and compared by replay.  Intervals are those overlapping [first, next),
** sorted, "word from..to" ('..' open end), joined by ';'. */
typedef struct ZcElderSnap {
  char sex[2];
  const char *birth, *died_on;       /* in the buffers below, or NULL */
  const char *region;                /* the record's (valid while it is) */
  char *status, *agreement, *bed;    /* sqlite3_malloc'd or NULL */
  char birth_buf[11], died_buf[11];
} ZcElderSnap;
int zc_elder_snap_make(ZcConn *zc, const ZcElderRec *e, int first, int next, ZcElderSnap *s);
void zc_elder_snap_free(ZcElderSnap *s);
/* A site's slots as stored: "breakfast,lunch" */
void zc_slots_text(unsigned slots, char out[24]);
/* The stats site() was given, as the JSON stored in zhucan_run_site.stats. */
char *zc_stats_json(const ZcSiteStats *t);
/* The JSON of a meal's parts as stored: {"county":500,...} (into b, reset). */
void zc_parts_json(ZcBuf *b, const ZcMealResult *r);
/* Clears a map whose values are sqlite3_malloc'd strings. */
void zc_stats_map_clear(ZcMap *m);
/* A sqlite3_malloc'd copy of z (NULL for NULL). */
char *zc_dup_text(const char *z);

#endif /* ZC_RUNREC_H */
