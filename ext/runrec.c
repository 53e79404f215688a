/*
** runrec.c — what run.c (settle) and replay.c share about stored runs: the
** canonical text of an elder's and a site's facts as zhucan_run_elder and
** zhucan_run_site keep them (and replay compares with today's), the stats
** JSON, and two small SQL helpers.  No SQL functions of its own.
*/
#include "runrec.h"
#include <stdlib.h>
#include <string.h>

int zc_table_exists(sqlite3 *db, const char *name) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE name=?1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

int zc_query_int(sqlite3 *db, const char *sql, sqlite3_int64 *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  *out = 0;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  return rc;
}

void zc_elder_snap_free(ZcElderSnap *s) {
  sqlite3_free(s->status);
  sqlite3_free(s->agreement);
  sqlite3_free(s->bed);
  memset(s, 0, sizeof *s);
}

char *zc_dup_text(const char *z) { return z ? sqlite3_mprintf("%s", z) : NULL; }

typedef struct IvText {
  char *z;
} IvText;

static int ivtext_cmp(const void *a, const void *b) { return strcmp(((const IvText *)a)->z, ((const IvText *)b)->z); }

/* kind 0: key is a status bit; 1: key is a site id. NULL when none. */
static char *intervals_text(ZcConn *zc, const ZcInterval *iv, int n, int kind, int first, int next, int *oom) {
  IvText *a = NULL;
  int k = 0;
  char *out = NULL;
  ZcBuf b;
  memset(&b, 0, sizeof b);
  if (n == 0) return NULL;
  a = sqlite3_malloc64((sqlite3_uint64)n * sizeof *a);
  if (!a) goto oom;
  for (int i = 0; i < n; i++) {
    if (!(iv[i].from < next && iv[i].to > first)) continue;
    char f[11], t[11];
    zc_day_format(iv[i].from, f);
    if (iv[i].to == INT32_MAX) t[0] = 0;
    else zc_day_format(iv[i].to, t);
    if (kind == 0) a[k].z = sqlite3_mprintf("%s %s..%s", zc_status_name(zc, (int)iv[i].key), f, t);
    else a[k].z = sqlite3_mprintf("%lld %s..%s", (long long)iv[i].key, f, t);
    if (!a[k].z) goto oom;
    k++;
  }
  if (k == 0) goto done;
  qsort(a, (size_t)k, sizeof *a, ivtext_cmp);
  for (int i = 0; i < k; i++) {
    if (i) zc_buf_add(&b, ";", 1);
    zc_buf_str(&b, a[i].z);
  }
  if (b.oom) goto oom;
  out = b.z;
  b.z = NULL;
  goto done;
oom:
  *oom = 1;
done:
  for (int i = 0; i < k; i++) sqlite3_free(a[i].z);
  sqlite3_free(a);
  zc_buf_free(&b);
  return out;
}

int zc_elder_snap_make(ZcConn *zc, const ZcElderRec *e, int first, int next, ZcElderSnap *s) {
  int oom = 0;
  memset(s, 0, sizeof *s);
  s->sex[0] = e->sex;
  if (e->birth != ZC_NONE) zc_day_format(e->birth, s->birth_buf), s->birth = s->birth_buf;
  s->region = e->region_code;
  if (e->died_on != ZC_NONE) zc_day_format(e->died_on, s->died_buf), s->died_on = s->died_buf;
  s->status = intervals_text(zc, e->status, e->nstatus, 0, first, next, &oom);
  s->agreement = intervals_text(zc, e->agree, e->nagree, 1, first, next, &oom);
  s->bed = intervals_text(zc, e->bed, e->nbed, 1, first, next, &oom);
  if (oom) {
    zc_elder_snap_free(s);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

void zc_slots_text(unsigned slots, char out[24]) {
  out[0] = 0;
  if (slots & ZC_SLOT_BREAKFAST) strcat(out, "breakfast");
  if (slots & ZC_SLOT_LUNCH) strcat(out, out[0] ? ",lunch" : "lunch");
  if (slots & ZC_SLOT_DINNER) strcat(out, out[0] ? ",dinner" : "dinner");
}


char *zc_stats_json(const ZcSiteStats *t) {
  return sqlite3_mprintf("{\"meals\":%lld,\"subsidised_meals\":%lld,\"diners\":%lld,\"days_served\":%lld,"
                         "\"residents_full\":%lld,\"residents_semi\":%lld}",
                         t->meals, t->subsidised_meals, t->diners, t->days_served, t->residents_full,
                         t->residents_semi);
}

void zc_parts_json(ZcBuf *b, const ZcMealResult *r) {
  b->n = 0;
  zc_buf_add(b, "{", 1);
  for (int i = 0; i < r->nparts; i++) {
    if (i) zc_buf_add(b, ",", 1);
    zc_buf_json_str(b, r->parts[i].payer);
    zc_buf_add(b, ":", 1);
    zc_buf_int(b, r->parts[i].fen);
  }
  zc_buf_add(b, "}", 1);
}

void zc_stats_map_clear(ZcMap *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] != INT64_MIN) sqlite3_free((char *)(intptr_t)m->vals[i]);
  zc_map_clear(m);
}
