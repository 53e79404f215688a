/*
** anomaly_findings.c — the findings of anomaly_scan: their list, their
** output order (kind, site_id, at, meal_id, elder_id, then a tie-break),
** and the wording helpers the sentences of findings (and of coverage gaps)
** share.
*/
#include "anomaly.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void findings_clear(FindingList *l) {
  for (int i = 0; i < l->n; i++) sqlite3_free(l->a[i].detail);
  sqlite3_free(l->a);
  memset(l, 0, sizeof *l);
}

int finding_add(FindingList *l, int kind, sqlite3_int64 site, sqlite3_int64 elder, sqlite3_int64 meal,
                sqlite3_int64 at, int day_level, int seq, char *detail) {
  if (detail == NULL) return SQLITE_NOMEM;
  if (l->n == l->cap) {
    int ncap = l->cap ? l->cap * 2 : 64;
    Finding *na = sqlite3_realloc64(l->a, (sqlite3_uint64)ncap * sizeof *na);
    if (!na) {
      sqlite3_free(detail);
      return SQLITE_NOMEM;
    }
    l->a = na;
    l->cap = ncap;
  }
  Finding *f = &l->a[l->n++];
  f->kind = kind;
  f->day_level = day_level;
  f->site_id = site;
  f->elder_id = elder;
  f->meal_id = meal;
  f->at = day_level ? at * ZC_DAY_SECONDS : at;
  f->seq = seq;
  f->detail = detail;
  return SQLITE_OK;
}

int findings_move(FindingList *to, FindingList *from) {
  if (from->n == 0) return SQLITE_OK;
  if (to->n + from->n > to->cap) {
    int ncap = to->n + from->n;
    Finding *na = sqlite3_realloc64(to->a, (sqlite3_uint64)ncap * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    to->a = na;
    to->cap = ncap;
  }
  memcpy(to->a + to->n, from->a, (size_t)from->n * sizeof *from->a);
  to->n += from->n;
  from->n = 0;
  return SQLITE_OK;
}

static int cmp_i64(sqlite3_int64 a, sqlite3_int64 b) { return a < b ? -1 : a > b; }

static int finding_cmp(const void *pa, const void *pb) {
  const Finding *a = pa, *b = pb;
  int c;
  if ((c = (a->kind > b->kind) - (a->kind < b->kind))) return c;
  if ((c = cmp_i64(a->site_id, b->site_id))) return c;
  if ((c = cmp_i64(a->at, b->at))) return c;
  if ((c = cmp_i64(a->meal_id, b->meal_id))) return c;
  if ((c = cmp_i64(a->elder_id, b->elder_id))) return c;
  return (a->seq > b->seq) - (a->seq < b->seq);
}

/* ------------------------------------------------------------ wording */

char *fmt_duration(const ZcConn *zc, sqlite3_int64 secs) {
  if (secs < 60) return sqlite3_mprintf(zc_tr(zc, "%lld s", "%lld 秒"), secs);
  if (secs % 60 == 0) return sqlite3_mprintf(zc_tr(zc, "%lld min", "%lld 分钟"), secs / 60);
  return sqlite3_mprintf(zc_tr(zc, "%lld min %lld s", "%lld 分 %lld 秒"), secs / 60, secs % 60);
}

const char *slot_label(const ZcConn *zc, const char *word) {
  if (!word || zc_lang_en(zc)) return word;
  if (strcmp(word, "breakfast") == 0) return "早餐";
  if (strcmp(word, "lunch") == 0) return "午餐";
  if (strcmp(word, "dinner") == 0) return "晚餐";
  return word;
}

char *fmt_number(double x) {
  if (x == floor(x) && fabs(x) < 1e15) return sqlite3_mprintf("%lld", (sqlite3_int64)x);
  return sqlite3_mprintf("%g", x);
}

void findings_sort(FindingList *l) {
  if (l->n > 1) qsort(l->a, (size_t)l->n, sizeof *l->a, finding_cmp);
}
