/*
** replay.c — an auditor's replay of a stored run:
**
**   SELECT * FROM replay(1);                           -- no rows: reproduced exactly
**   SELECT site_id, meal_id, payer, settled_fen, replayed_fen, cause FROM replay(1);
**     -- 3 | 1017 | county | 500 | 0 | facts changed: died_on NULL -> 2024-03-10
**
**   CREATE TABLE x(site_id, meal_id, item, payer, settled_fen,
**                  replayed_fen, cause, run_id HIDDEN);  -- run_id required
**
** replay(run_id) recomputes the run's month from today's data with
** the run's policy horizon (ZcMonthSink.horizon: versions installed later are
** invisible), merges the recomputed meals with the stored ones in
** (elder_id, served_at, id) order (a meal whose elder or time changed is
** matched by id afterwards), and answers one row per line whose amount differs,
** with the cause found by comparing the stored snapshot with today's data.
*/
#include "modules.h"
#include "month.h"
#include "pack.h"
#include "runrec.h"
#include "verify.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One meal as settled (from zhucan_run_meal) or as replayed (from the
** month pass).  Strings are borrowed in place and owned (copied) once the
** meal waits in a pending list. */
typedef struct Snap {
  sqlite3_int64 id, elder, site, served_at, price, version, subsidy, credit;
  int nth[3];
  const char *slot, *method, *device, *token, *parts;
  int owned;
} Snap;

static void snap_free(Snap *p) {
  if (p == NULL) return;
  if (p->owned) {
    sqlite3_free((char *)p->slot);
    sqlite3_free((char *)p->method);
    sqlite3_free((char *)p->device);
    sqlite3_free((char *)p->token);
    sqlite3_free((char *)p->parts);
  }
  sqlite3_free(p);
}

static Snap *snap_dup(const Snap *p) {
  Snap *c = sqlite3_malloc(sizeof *c);
  if (!c) return NULL;
  *c = *p;
  c->owned = 1;
  c->slot = zc_dup_text(p->slot);
  c->method = zc_dup_text(p->method);
  c->device = zc_dup_text(p->device);
  c->token = zc_dup_text(p->token);
  c->parts = zc_dup_text(p->parts);
  if ((p->slot && !c->slot) || (p->method && !c->method) || (p->device && !c->device) ||
      (p->token && !c->token) || (p->parts && !c->parts)) {
    snap_free(c);
    return NULL;
  }
  return c;
}

typedef struct Diff {
  sqlite3_int64 site, meal; /* meal 0 = a site item (NULL) */
  char *item, *payer, *cause;
  sqlite3_int64 settled, replayed;
} Diff;

typedef struct Item {
  sqlite3_int64 site, quantity, fen;
  char *item, *payer;
} Item;

typedef struct Pending {
  Snap **a;
  size_t n, cap;
  ZcMap idx; /* meal id -> index + 1 (0 once taken) */
} Pending;

typedef struct ReplayCur {
  sqlite3_vtab_cursor base;
  ZcConn *zc;
  sqlite3_int64 run;
  int first, next;
  Diff *rows;
  size_t n, cap, i;
  /* during the pass */
  sqlite3_stmt *settled, *parts_of, *elder_of, *site_of;
  int v1;            /* settled reads rows of zhucan_run_meal_v1, not packs */
  sqlite3_value *pack; /* the current pack (settled: its elder_id, data) */
  sqlite3_int64 pack_elder;
  ZcPackR rd;
  ZcBuf sbuf;          /* the current settled meal's strings */
  int damaged;       /* settled_next met a damaged pack */
  int has_settled;   /* settled holds the next settled meal */
  Snap settled_meal;
  Pending pending_settled, pending_replayed;  /* meals matched by id at the end */
  Item *settled_items, *replayed_items;
  size_t n_settled_items, cap_settled_items, n_replayed_items, cap_replayed_items;
  ZcBuf parts;
  ZcMap stats;  /* site id -> (intptr) char* JSON of the replayed stats */
} ReplayCur;

static void pending_clear(Pending *p) {
  for (size_t i = 0; i < p->n; i++) snap_free(p->a[i]);
  sqlite3_free(p->a);
  zc_map_clear(&p->idx);
  memset(p, 0, sizeof *p);
}

static int pending_add(Pending *p, const Snap *s) {
  if (p->n == p->cap) {
    size_t ncap = p->cap ? p->cap * 2 : 16;
    Snap **na = sqlite3_realloc64(p->a, ncap * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    p->a = na;
    p->cap = ncap;
  }
  Snap *c = snap_dup(s);
  if (!c) return SQLITE_NOMEM;
  sqlite3_int64 *v = zc_map_slot(&p->idx, s->id, 1, NULL);
  if (!v) {
    snap_free(c);
    return SQLITE_NOMEM;
  }
  p->a[p->n++] = c;
  *v = (sqlite3_int64)p->n;
  return SQLITE_OK;
}

/* Takes the pending meal with this id out of p (NULL if none). */
static Snap *pending_take(Pending *p, sqlite3_int64 id) {
  sqlite3_int64 *v = zc_map_slot(&p->idx, id, 0, NULL);
  if (!v || *v == 0) return NULL;
  Snap *s = p->a[*v - 1];
  p->a[*v - 1] = NULL;
  *v = 0;
  return s;
}

static void items_free(Item *a, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sqlite3_free(a[i].item);
    sqlite3_free(a[i].payer);
  }
  sqlite3_free(a);
}

static void replay_reset(ReplayCur *c) {
  for (size_t i = 0; i < c->n; i++) {
    sqlite3_free(c->rows[i].item);
    sqlite3_free(c->rows[i].payer);
    sqlite3_free(c->rows[i].cause);
  }
  sqlite3_free(c->rows);
  c->rows = NULL;
  c->n = c->cap = c->i = 0;
  sqlite3_finalize(c->settled);
  sqlite3_finalize(c->parts_of);
  sqlite3_finalize(c->elder_of);
  sqlite3_finalize(c->site_of);
  c->settled = c->parts_of = c->elder_of = c->site_of = NULL;
  sqlite3_value_free(c->pack);
  c->pack = NULL;
  zc_buf_free(&c->sbuf);
  c->v1 = 0;
  c->damaged = 0;
  c->has_settled = 0;
  pending_clear(&c->pending_settled);
  pending_clear(&c->pending_replayed);
  items_free(c->settled_items, c->n_settled_items);
  items_free(c->replayed_items, c->n_replayed_items);
  c->settled_items = c->replayed_items = NULL;
  c->n_settled_items = c->cap_settled_items = c->n_replayed_items = c->cap_replayed_items = 0;
  zc_buf_free(&c->parts);
  zc_stats_map_clear(&c->stats);
}

static int diff_add(ReplayCur *c, sqlite3_int64 site, sqlite3_int64 meal, const char *item, const char *payer,
                    sqlite3_int64 settled, sqlite3_int64 replayed, const char *cause) {
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 16;
    Diff *nr = sqlite3_realloc64(c->rows, ncap * sizeof *nr);
    if (!nr) return SQLITE_NOMEM;
    c->rows = nr;
    c->cap = ncap;
  }
  Diff *d = &c->rows[c->n];
  d->site = site;
  d->meal = meal;
  d->settled = settled;
  d->replayed = replayed;
  d->item = zc_dup_text(item);
  d->payer = zc_dup_text(payer);
  d->cause = zc_dup_text(cause);
  if (!d->item || !d->payer || !d->cause) {
    sqlite3_free(d->item);
    sqlite3_free(d->payer);
    sqlite3_free(d->cause);
    return SQLITE_NOMEM;
  }
  c->n++;
  return SQLITE_OK;
}

/* Reads the current row of the settled cursor (zhucan_run_meal_v1) into
** c->settled_meal (borrowed). */
static void settled_row(ReplayCur *c) {
  sqlite3_stmt *st = c->settled;
  Snap *s = &c->settled_meal;
  memset(s, 0, sizeof *s);
  s->id = sqlite3_column_int64(st, 0);
  s->elder = sqlite3_column_int64(st, 1);
  s->site = sqlite3_column_int64(st, 2);
  if (!zc_time_parse((const char *)sqlite3_column_text(st, 3), sqlite3_column_bytes(st, 3), &s->served_at))
    s->served_at = 0;
  s->slot = (const char *)sqlite3_column_text(st, 4);
  s->method = (const char *)sqlite3_column_text(st, 5);
  s->device = (const char *)sqlite3_column_text(st, 6);
  s->token = (const char *)sqlite3_column_text(st, 7);
  s->price = sqlite3_column_int64(st, 8);
  for (int k = 0; k < 3; k++) s->nth[k] = sqlite3_column_int(st, 9 + k);
  s->version = sqlite3_column_int64(st, 12);
  s->subsidy = sqlite3_column_int64(st, 13);
  s->parts = (const char *)sqlite3_column_text(st, 14);
}

/* The next meal of the current pack into c->settled_meal: 1, or 0 at its end. */
static int pack_meal(ReplayCur *c) {
  ZcPackMeal m;
  int k = zc_pack_next(&c->rd, &m);
  if (k <= 0) return k;
  Snap *s = &c->settled_meal;
  memset(s, 0, sizeof *s);
  s->id = m.id;
  s->elder = c->pack_elder;
  s->site = m.site;
  s->served_at = m.served_at;
  s->price = m.price;
  for (int i = 0; i < 3; i++) s->nth[i] = m.nth[i];
  s->version = m.version;
  s->subsidy = m.subsidy;
  s->credit = m.credit;
  /* the strings, NUL-terminated, in sbuf (placed first, pointed at after) */
  size_t off[5];
  c->sbuf.n = 0;
  for (int i = 0; i < 5; i++) {
    off[i] = c->sbuf.n;
    if (!m.s[i]) continue;
    zc_buf_add(&c->sbuf, m.s[i], (size_t)m.n[i] + 1);
    if (!c->sbuf.oom) c->sbuf.z[c->sbuf.n - 1] = 0;
  }
  if (c->sbuf.oom) return -2;
  const char **dst[5] = {&s->slot, &s->method, &s->device, &s->token, &s->parts};
  for (int i = 0; i < 5; i++) *dst[i] = m.s[i] ? c->sbuf.z + off[i] : NULL;
  return 1;
}

static int settled_next(ReplayCur *c) {
  int rc;
  if (c->v1) {
    rc = sqlite3_step(c->settled);
    if (rc == SQLITE_ROW) {
      c->has_settled = 1;
      settled_row(c);
      return SQLITE_OK;
    }
    c->has_settled = 0;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  for (;;) {
    if (c->pack) {
      int k = pack_meal(c);
      if (k == 1) {
        c->has_settled = 1;
        return SQLITE_OK;
      }
      if (k == -2) return SQLITE_NOMEM;
      if (k < 0) {
        c->damaged = 1;
        return SQLITE_CORRUPT;
      }
      sqlite3_value_free(c->pack);
      c->pack = NULL;
    }
    rc = sqlite3_step(c->settled);
    if (rc != SQLITE_ROW) {
      c->has_settled = 0;
      return rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    c->pack_elder = sqlite3_column_int64(c->settled, 0);
    if (!(c->pack = sqlite3_value_dup(sqlite3_column_value(c->settled, 1)))) return SQLITE_NOMEM;
    if (!zc_pack_open(&c->rd, sqlite3_value_blob(c->pack), sqlite3_value_bytes(c->pack))) {
      c->damaged = 1;
      return SQLITE_CORRUPT;
    }
  }
}

/* Lines of one side of a meal: parts by payer and the co-payment. */
typedef struct Line {
  sqlite3_int64 site, fen;
  char *payer;
} Line;

static int line_push(Line **a, int *n, int *cap, sqlite3_int64 site, sqlite3_int64 fen, const char *payer) {
  if (*n == *cap) {
    int nc = *cap ? *cap * 2 : 4;
    Line *na = sqlite3_realloc64(*a, (sqlite3_uint64)nc * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    *a = na;
    *cap = nc;
  }
  (*a)[*n] = (Line){.site = site, .fen = fen, .payer = zc_dup_text(payer)};
  if (!(*a)[*n].payer) return SQLITE_NOMEM;
  (*n)++;
  return SQLITE_OK;
}

/* parts by payer, the part of the co-payment points paid ('credit'), the
** rest of the co-payment ('elder'): the lines settlement() makes */
static int meal_lines(ReplayCur *c, const Snap *m, Line **out, int *pn) {
  Line *a = NULL;
  int n = 0, cap = 0, rc = SQLITE_OK;
  *out = NULL;
  *pn = 0;
  if (m == NULL || m->subsidy <= 0 || m->parts == NULL) return SQLITE_OK;
  sqlite3_reset(c->parts_of);
  sqlite3_bind_text(c->parts_of, 1, m->parts, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(c->parts_of)) == SQLITE_ROW) {
    const char *payer = (const char *)sqlite3_column_text(c->parts_of, 0);
    if (!payer) {   /* parts that are not an object {payer: fen}: a damaged run */
      c->damaged = 1;
      rc = SQLITE_CORRUPT;
      break;
    }
    if ((rc = line_push(&a, &n, &cap, m->site, sqlite3_column_int64(c->parts_of, 1), payer))) break;
  }
  if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
    if (m->credit > 0) rc = line_push(&a, &n, &cap, m->site, m->credit, "credit");
    if (!rc && m->price - m->subsidy - m->credit != 0)
      rc = line_push(&a, &n, &cap, m->site, m->price - m->subsidy - m->credit, "elder");
  }
  sqlite3_reset(c->parts_of);
  if (rc != SQLITE_OK) {
    for (int i = 0; i < n; i++) sqlite3_free(a[i].payer);
    sqlite3_free(a);
    return rc;
  }
  *out = a;
  *pn = n;
  return SQLITE_OK;
}

static int same_str(const char *a, const char *b) { return (a == NULL && b == NULL) || (a && b && !strcmp(a, b)); }

static void cause_sep(ZcBuf *b, const char *head, int *first) {
  zc_buf_str(b, *first ? head : ", ");
  *first = 0;
}

static void cause_field(ZcBuf *b, const char *head, int *first, const char *name, const char *was, const char *now) {
  if (same_str(was, now)) return;
  cause_sep(b, head, first);
  zc_buf_str(b, name);
  zc_buf_str(b, " ");
  zc_buf_str(b, was ? was : "NULL");
  zc_buf_str(b, " -> ");
  zc_buf_str(b, now ? now : "NULL");
}

static void cause_int(ZcBuf *b, const char *head, int *first, const char *name, sqlite3_int64 was, sqlite3_int64 now) {
  if (was == now) return;
  char x[24], y[24];
  snprintf(x, sizeof x, "%lld", (long long)was);
  snprintf(y, sizeof y, "%lld", (long long)now);
  cause_field(b, head, first, name, x, y);
}

/* 1 if the interval item "word from..to" is in force on day (always 1
** when day is ZC_NONE: no day to judge by). */
static int item_covers(const char *p, size_t len, int day) {
  if (day == ZC_NONE) return 1;
  const char *sp = NULL;
  for (size_t i = 0; i < len; i++)
    if (p[i] == ' ') sp = p + i;
  if (!sp || (size_t)(p + len - sp) < 13) return 1;
  int from = zc_day_parse(sp + 1, 10);
  const char *t = sp + 13;
  size_t tl = (size_t)(p + len - t);
  int to = tl == 10 ? zc_day_parse(t, 10) : INT32_MAX;
  if (from == ZC_NONE || to == ZC_NONE) return 1;
  return from <= day && day < to;
}

/* Items of the ';' lists that one side has and the other lacks:
** "word item added|removed"; with a day, only items in force that day. */
static void cause_list(ZcBuf *b, const char *head, int *first, const char *word, const char *was, const char *now,
                       int day) {
  for (int pass = 0; pass < 2; pass++) {
    const char *from = pass ? was : now, *other = pass ? now : was;
    const char *verb = pass ? " removed" : " added";
    for (const char *p = from; p && *p;) {
      const char *e = strchr(p, ';');
      size_t len = e ? (size_t)(e - p) : strlen(p);
      int found = 0;
      for (const char *q = other; q && *q;) {
        const char *f = strchr(q, ';');
        size_t l2 = f ? (size_t)(f - q) : strlen(q);
        if (l2 == len && memcmp(p, q, len) == 0) { found = 1; break; }
        q = f ? f + 1 : NULL;
      }
      if (!found && item_covers(p, len, day)) {
        cause_sep(b, head, first);
        zc_buf_str(b, word);
        zc_buf_add(b, " ", 1);
        zc_buf_add(b, p, len);
        zc_buf_str(b, verb);
      }
      p = e ? e + 1 : NULL;
    }
  }
}

/* Changes of the elder's facts, the stored snapshot against today's data.
** With a day, a death date or an interval counts only if the change makes
** a difference on that day. */
static int elder_cause(ReplayCur *c, sqlite3_int64 elder, int day, ZcBuf *b, const char *head, int *first) {
  const ZcElderRec *e = NULL;
  char *err = NULL;
  ZcElderSnap now;
  int rc;
  memset(&now, 0, sizeof now);
  sqlite3_reset(c->elder_of);
  sqlite3_bind_int64(c->elder_of, 1, c->run);
  sqlite3_bind_int64(c->elder_of, 2, elder);
  rc = sqlite3_step(c->elder_of);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(c->elder_of);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  if (zc_elder_rec(c->zc, elder, &e, &err) != SQLITE_OK) {
    sqlite3_free(err);
    cause_sep(b, head, first);
    zc_buf_str(b, "elder ");
    zc_buf_int(b, elder);
    zc_buf_str(b, " removed");
    sqlite3_reset(c->elder_of);
    return SQLITE_OK;
  }
  if ((rc = zc_elder_snap_make(c->zc, e, c->first, c->next, &now))) {
    sqlite3_reset(c->elder_of);
    return rc;
  }
#define COL(i) ((const char *)sqlite3_column_text(c->elder_of, i))
  cause_field(b, head, first, "sex", COL(0), now.sex[0] ? now.sex : NULL);
  cause_field(b, head, first, "birth", COL(1), now.birth);
  cause_field(b, head, first, "region", COL(2), now.region);
  int was_d = COL(3) ? zc_day_parse(COL(3), -1) : INT32_MAX, now_d = e->died_on == ZC_NONE ? INT32_MAX : e->died_on;
  if (day == ZC_NONE || (was_d <= day) != (now_d <= day)) cause_field(b, head, first, "died_on", COL(3), now.died_on);
  cause_list(b, head, first, "status", COL(4), now.status, day);
  cause_list(b, head, first, "agreement", COL(5), now.agreement, day);
  cause_list(b, head, first, "bed", COL(6), now.bed, day);
#undef COL
  zc_elder_snap_free(&now);
  sqlite3_reset(c->elder_of);
  return SQLITE_OK;
}

/* Changes of a site's facts: "site 3 closed_on NULL -> 2024-03-20". */
static int site_cause(ReplayCur *c, sqlite3_int64 site, ZcBuf *b, const char *head0, int *first, int with_stats) {
  const ZcSiteFacts *f = NULL;
  char *err = NULL;
  int rc;
  sqlite3_reset(c->site_of);
  sqlite3_bind_int64(c->site_of, 1, c->run);
  sqlite3_bind_int64(c->site_of, 2, site);
  rc = sqlite3_step(c->site_of);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(c->site_of);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  char *head = sqlite3_mprintf(zc_tr(c->zc, "%ssite %lld ", "%s助餐点 %lld "), head0, (long long)site);
  char *sep = sqlite3_mprintf(zc_tr(c->zc, ", site %lld ", "，助餐点 %lld "), (long long)site);
  if (!head || !sep) {
    sqlite3_free(head);
    sqlite3_free(sep);
    sqlite3_reset(c->site_of);
    return SQLITE_NOMEM;
  }
  /* the first change of this site gets the head, later ones ", site N " */
  int f1 = 1;
  const char *h = *first ? head : sep;
  if (zc_site_facts(c->zc, site, &f, &err) != SQLITE_OK) {
    sqlite3_free(err);
    cause_sep(b, h, &f1);
    zc_buf_str(b, "removed");
  } else {
    char op[11], cl[11], sl[24], gr[24], bd[24];
    zc_day_format(f->opened_on, op);
    if (f->closed_on != ZC_NONE) zc_day_format(f->closed_on, cl);
    zc_slots_text(f->slots, sl);
    snprintf(gr, sizeof gr, "%d", f->grade);
    snprintf(bd, sizeof bd, "%d", f->beds);
    char *area_now = f->area_m2 == f->area_m2 ? sqlite3_mprintf("%!.15g", f->area_m2) : NULL;
#define COL(i) ((const char *)sqlite3_column_text(c->site_of, i))
    cause_field(b, h, &f1, "name", COL(0), f->name);
    cause_field(b, h, &f1, "kind", COL(1), f->kind);
    cause_field(b, h, &f1, "grade", COL(2), f->grade == ZC_NONE ? NULL : gr);
    cause_field(b, h, &f1, "beds", COL(3), bd);
    cause_field(b, h, &f1, "area_m2", COL(4), area_now);
    cause_field(b, h, &f1, "opened_on", COL(5), f->opened_on == ZC_NONE ? NULL : op);
    cause_field(b, h, &f1, "closed_on", COL(6), f->closed_on == ZC_NONE ? NULL : cl);
    cause_field(b, h, &f1, "slots", COL(7), sl);
    cause_field(b, h, &f1, "region", COL(8), f->region);
    if (with_stats && COL(9)) {
      /* what site() was given: meals, diners, days, residents (runs stored
      ** before stats were recorded have none to compare) */
      static const char *const names[6] = {"meals", "subsidised_meals", "diners", "days_served",
                                           "residents_full", "residents_semi"};
      sqlite3_int64 *rj = zc_map_slot(&c->stats, site, 0, NULL);
      const char *now = rj ? (const char *)(intptr_t)*rj : NULL;
      if (!now) {
        cause_sep(b, h, &f1);
        zc_buf_str(b, zc_tr(c->zc, "site() no longer called", "不再调用 site()"));
      } else if (strcmp(now, COL(9)) != 0) {
        for (int k = 0; k < 6; k++) {
          char path[24];
          snprintf(path, sizeof path, "\"%s\":", names[k]);
          const char *pw = strstr(COL(9), path), *pn = strstr(now, path);
          sqlite3_int64 was = pw ? strtoll(pw + strlen(path), NULL, 10) : 0;
          sqlite3_int64 is = pn ? strtoll(pn + strlen(path), NULL, 10) : 0;
          cause_int(b, h, &f1, names[k], was, is);
        }
      }
    }
#undef COL
    sqlite3_free(area_now);
  }
  if (!f1) *first = 0;
  sqlite3_free(head);
  sqlite3_free(sep);
  sqlite3_reset(c->site_of);
  return SQLITE_OK;
}

/* Why the settled and the replayed meal differ: "meal added", "meal
** removed", or groups "meal changed: ...", "facts changed: ...", "policy
** changed: ..." joined by "; ". */
static int meal_cause(ReplayCur *c, const Snap *settled, const Snap *replayed, ZcBuf *b) {
  int any = 0, first = 1, rc;
  char x[20], y[20];
  b->n = 0;
  if (settled == NULL || replayed == NULL) {
    zc_buf_str(b, settled ? zc_tr(c->zc, "meal removed", "这餐已被删除") : zc_tr(c->zc, "meal added", "新增了这餐"));
    return b->oom ? SQLITE_NOMEM : SQLITE_OK;
  }
  const char *head = zc_tr(c->zc, "meal changed: ", "就餐记录有变化：");
  cause_int(b, head, &first, "elder_id", settled->elder, replayed->elder);
  cause_int(b, head, &first, "site_id", settled->site, replayed->site);
  zc_time_format(settled->served_at, x);
  zc_time_format(replayed->served_at, y);
  cause_field(b, head, &first, "served_at", x, y);
  cause_field(b, head, &first, "slot", settled->slot, replayed->slot);
  cause_field(b, head, &first, "method", settled->method, replayed->method);
  cause_field(b, head, &first, "device", settled->device, replayed->device);
  cause_field(b, head, &first, "token", settled->token, replayed->token);
  cause_int(b, head, &first, "price_fen", settled->price, replayed->price);
  if (!first) any = 1;
  /* a credit_redemption added, removed or changed (a meal no longer
  ** subsidised loses its credit line by the cause that ends its subsidy) */
  if (settled->credit != replayed->credit && settled->subsidy > 0 && replayed->subsidy > 0) {
    first = 1;
    cause_int(b, any ? zc_tr(c->zc, "; co-payment paid with credit points changed (credit_redemption): ", "；用信用积分抵扣的自付部分有变化（credit_redemption）：")
                     : zc_tr(c->zc, "co-payment paid with credit points changed (credit_redemption): ", "用信用积分抵扣的自付部分有变化（credit_redemption）："),
              &first, "credit_fen", settled->credit, replayed->credit);
    any = 1;
  }
  first = 1;
  head = any ? zc_tr(c->zc, "; facts changed: ", "；资料有变化：") : zc_tr(c->zc, "facts changed: ", "资料有变化：");
  cause_int(b, head, &first, "nth_slot", settled->nth[0], replayed->nth[0]);
  cause_int(b, head, &first, "nth_day", settled->nth[1], replayed->nth[1]);
  cause_int(b, head, &first, "nth_month", settled->nth[2], replayed->nth[2]);
  int day = (int)(replayed->served_at / ZC_DAY_SECONDS);
  if ((rc = elder_cause(c, replayed->elder, day, b, head, &first))) return rc;
  if ((rc = site_cause(c, replayed->site, b, first ? head : "", &first, 0))) return rc;
  if (first && !any) { /* nothing bears on the day: show every change of the elder */
    if ((rc = elder_cause(c, replayed->elder, ZC_NONE, b, head, &first))) return rc;
  }
  if (!first) any = 1;
  if (settled->version != replayed->version) {
    first = 1;
    cause_int(b, any ? zc_tr(c->zc, "; policy changed: ", "；政策有变化：") : zc_tr(c->zc, "policy changed: ", "政策有变化："), &first, "version", settled->version, replayed->version);
    any = 1;
  }
  if (!any) zc_buf_str(b, zc_tr(c->zc, "unexplained: same inputs, different money", "无法解释：输入相同，金额不同"));
  return b->oom ? SQLITE_NOMEM : SQLITE_OK;
}

/* Compares a settled meal with its recomputation (either may be NULL). */
static int meal_compare(ReplayCur *c, const Snap *settled, const Snap *replayed) {
  if (settled && replayed && settled->site == replayed->site && settled->subsidy == replayed->subsidy && settled->price == replayed->price &&
      settled->credit == replayed->credit && same_str(settled->parts, replayed->parts))
    return SQLITE_OK;
  Line *settled_lines = NULL, *replayed_lines = NULL;
  int n_settled = 0, n_replayed = 0, rc;
  ZcBuf cause;
  memset(&cause, 0, sizeof cause);
  if ((rc = meal_lines(c, settled, &settled_lines, &n_settled)) || (rc = meal_lines(c, replayed, &replayed_lines, &n_replayed))) goto done;
  int differs = 0;
  for (int i = 0; i < n_settled && !differs; i++) {
    int j = 0;
    while (j < n_replayed && !(replayed_lines[j].site == settled_lines[i].site && !strcmp(replayed_lines[j].payer, settled_lines[i].payer))) j++;
    if (j == n_replayed || replayed_lines[j].fen != settled_lines[i].fen) differs = 1;
  }
  if (n_settled != n_replayed) differs = 1;
  if (!differs) goto done;
  if ((rc = meal_cause(c, settled, replayed, &cause))) goto done;
  sqlite3_int64 id = settled ? settled->id : replayed->id;
  for (int i = 0; i < n_settled; i++) {
    int j = 0;
    while (j < n_replayed && !(replayed_lines[j].site == settled_lines[i].site && !strcmp(replayed_lines[j].payer, settled_lines[i].payer))) j++;
    sqlite3_int64 rf = j < n_replayed ? replayed_lines[j].fen : 0;
    if (rf != settled_lines[i].fen && (rc = diff_add(c, settled_lines[i].site, id, "meal", settled_lines[i].payer, settled_lines[i].fen, rf, cause.z))) goto done;
  }
  for (int j = 0; j < n_replayed; j++) {
    int i = 0;
    while (i < n_settled && !(replayed_lines[j].site == settled_lines[i].site && !strcmp(replayed_lines[j].payer, settled_lines[i].payer))) i++;
    if (i == n_settled && (rc = diff_add(c, replayed_lines[j].site, id, "meal", replayed_lines[j].payer, 0, replayed_lines[j].fen, cause.z))) goto done;
  }
done:
  for (int i = 0; i < n_settled; i++) sqlite3_free(settled_lines[i].payer);
  for (int i = 0; i < n_replayed; i++) sqlite3_free(replayed_lines[i].payer);
  sqlite3_free(settled_lines);
  sqlite3_free(replayed_lines);
  zc_buf_free(&cause);
  return rc;
}

/* the order zc_month_compute calls xMeal in, which is the order settle()
** stored them in: (elder_id, served_at, id) */
static sqlite3_int64 snap_key_cmp(const Snap *a, const Snap *b) {
  if (a->elder != b->elder) return a->elder < b->elder ? -1 : 1;
  if (a->served_at != b->served_at) return a->served_at < b->served_at ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

static int replay_meal(void *p, const ZcMealFacts *m, const ZcElderRec *elder, const ZcSiteFacts *site,
                       const ZcPolicyVersion *v, const ZcMealResult *res, char **pzErr) {
  ReplayCur *c = p;
  int rc;
  (void)site;
  (void)pzErr;
  Snap r;
  memset(&r, 0, sizeof r);
  r.id = m->id;
  r.elder = elder->id;
  r.site = m->site_id;
  r.served_at = m->served_at;
  r.price = m->price_fen;
  r.version = v->id;
  r.subsidy = res->total;
  r.nth[0] = m->nth_slot;
  r.nth[1] = m->nth_day;
  r.nth[2] = m->nth_month;
  r.slot = m->slot;
  r.method = m->method;
  r.device = m->device;
  r.token = m->token;
  if (res->total > 0) {
    zc_parts_json(&c->parts, res);
    if (c->parts.oom) return SQLITE_NOMEM;
    r.parts = c->parts.z;
    r.credit = zc_meal_credit(m, res);
  }
  while (c->has_settled && snap_key_cmp(&c->settled_meal, &r) < 0) {
    if ((rc = pending_add(&c->pending_settled, &c->settled_meal)) || (rc = settled_next(c))) return rc;
  }
  if (c->has_settled && snap_key_cmp(&c->settled_meal, &r) == 0) {
    if ((rc = meal_compare(c, &c->settled_meal, &r))) return rc;
    return settled_next(c);
  }
  return pending_add(&c->pending_replayed, &r);
}

static int replay_site(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteStats *t,
                       char **pzErr) {
  ReplayCur *c = p;
  int isnew;
  (void)v;
  (void)pzErr;
  sqlite3_int64 *slot = zc_map_slot(&c->stats, site->id, 1, &isnew);
  if (!slot) return SQLITE_NOMEM;
  if (!isnew) sqlite3_free((char *)(intptr_t)*slot);
  char *j = zc_stats_json(t);
  *slot = (sqlite3_int64)(intptr_t)j;
  return j ? SQLITE_OK : SQLITE_NOMEM;
}

static int replay_item(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteItem *it,
                       char **pzErr) {
  ReplayCur *c = p;
  (void)v;
  (void)pzErr;
  if (c->n_replayed_items == c->cap_replayed_items) {
    size_t ncap = c->cap_replayed_items ? c->cap_replayed_items * 2 : 16;
    Item *na = sqlite3_realloc64(c->replayed_items, ncap * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    c->replayed_items = na;
    c->cap_replayed_items = ncap;
  }
  Item *x = &c->replayed_items[c->n_replayed_items];
  x->site = site->id;
  x->quantity = it->quantity;
  x->fen = it->fen;
  x->item = zc_dup_text(it->item);
  x->payer = zc_dup_text(it->payer);
  if (!x->item || !x->payer) {
    sqlite3_free(x->item);
    sqlite3_free(x->payer);
    return SQLITE_NOMEM;
  }
  c->n_replayed_items++;
  return SQLITE_OK;
}

static int item_cmp(const void *a, const void *b) {
  const Item *x = a, *y = b;
  if (x->site != y->site) return x->site < y->site ? -1 : 1;
  int k = strcmp(x->item, y->item);
  return k ? k : strcmp(x->payer, y->payer);
}

/* Sums items with equal (site, item, payer), in place, sorted. */
static size_t items_fold(Item *a, size_t n) {
  size_t k = 0;
  if (n == 0) return 0;
  qsort(a, n, sizeof *a, item_cmp);
  for (size_t i = 1; i < n; i++) {
    if (item_cmp(&a[k], &a[i]) == 0) {
      /* sums past 2^63 saturate: the difference shows either way */
      if (!zc_add_fen(&a[k].fen, a[i].fen)) a[k].fen = a[i].fen < 0 ? INT64_MIN : INT64_MAX;
      if (!zc_add_fen(&a[k].quantity, a[i].quantity)) a[k].quantity = a[i].quantity < 0 ? INT64_MIN : INT64_MAX;
      sqlite3_free(a[i].item);
      sqlite3_free(a[i].payer);
    } else {
      a[++k] = a[i];
    }
  }
  return k + 1;
}

static int items_compare(ReplayCur *c) {
  size_t ns = items_fold(c->settled_items, c->n_settled_items), nr = items_fold(c->replayed_items, c->n_replayed_items);
  size_t i = 0, j = 0;
  int rc = SQLITE_OK;
  ZcBuf b;
  memset(&b, 0, sizeof b);
  c->n_settled_items = ns;
  c->n_replayed_items = nr;
  while (rc == SQLITE_OK && (i < ns || j < nr)) {
    int k = i == ns ? 1 : j == nr ? -1 : item_cmp(&c->settled_items[i], &c->replayed_items[j]);
    const Item *s = k <= 0 ? &c->settled_items[i] : NULL, *r = k >= 0 ? &c->replayed_items[j] : NULL;
    if (s && r && s->fen == r->fen && s->quantity == r->quantity) {
      /* same */
    } else {
      const Item *x = s ? s : r;
      int first = 1;
      b.n = 0;
      if (!s) zc_buf_str(&b, zc_tr(c->zc, "site item added", "新增了助餐点项目"));
      else if (!r) zc_buf_str(&b, zc_tr(c->zc, "site item removed", "助餐点项目已被删除"));
      else {
        cause_int(&b, zc_tr(c->zc, "site item changed: ", "助餐点项目有变化："), &first, "quantity", s->quantity, r->quantity);
        if (first) zc_buf_str(&b, zc_tr(c->zc, "site item changed", "助餐点项目有变化"));
      }
      int f2 = 1;
      if ((rc = site_cause(c, x->site, &b, zc_tr(c->zc, "; facts changed: ", "；资料有变化："), &f2, 1))) break;
      if (b.oom) { rc = SQLITE_NOMEM; break; }
      rc = diff_add(c, x->site, 0, x->item, x->payer, s ? s->fen : 0, r ? r->fen : 0, b.z);
    }
    if (k <= 0) i++;
    if (k >= 0) j++;
  }
  zc_buf_free(&b);
  return rc;
}

static int diff_cmp(const void *a, const void *b) {
  const Diff *x = a, *y = b;
  if (x->site != y->site) return x->site < y->site ? -1 : 1;
  if ((x->meal == 0) != (y->meal == 0)) return x->meal == 0 ? 1 : -1;
  if (x->meal != y->meal) return x->meal < y->meal ? -1 : 1;
  int k = strcmp(x->item, y->item);
  return k ? k : strcmp(x->payer, y->payer);
}

#define RP_SITE 0
#define RP_MEAL 1
#define RP_ITEM 2
#define RP_PAYER 3
#define RP_SETTLED 4
#define RP_REPLAYED 5
#define RP_CAUSE 6
#define RP_RUN 7

typedef struct ReplayVtab {
  sqlite3_vtab base;
  ZcConn *zc;
} ReplayVtab;

static int rp_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                      char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db,
                                "CREATE TABLE x(site_id INTEGER, meal_id INTEGER, item TEXT, payer TEXT, "
                                "settled_fen INTEGER, replayed_fen INTEGER, cause TEXT, run_id HIDDEN)");
  if (rc) return rc;
  ReplayVtab *p = sqlite3_malloc(sizeof *p);
  if (!p) return SQLITE_NOMEM;
  memset(p, 0, sizeof *p);
  p->zc = pAux;
  *ppVtab = &p->base;
  return SQLITE_OK;
}

static int rp_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* idxNum 1: run_id constrained, handed to xFilter as argv[0].  The
** argument is required: a plan without it gets a huge cost and xFilter
** reports the missing argument. */
static int rp_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  (void)tab;
  int run = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *k = &info->aConstraint[i];
    if (k->op == SQLITE_INDEX_CONSTRAINT_EQ && k->iColumn == RP_RUN) {
      if (!k->usable) return SQLITE_CONSTRAINT;
      run = i;
    }
  }
  info->idxNum = 0;
  if (run >= 0) {
    info->aConstraintUsage[run].argvIndex = 1;
    info->aConstraintUsage[run].omit = 1;
    info->idxNum = 1;
  }
  info->estimatedCost = run >= 0 ? 1e6 : 1e18;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

static int rp_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  ReplayCur *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->zc = ((ReplayVtab *)tab)->zc;
  *pp = &c->base;
  return SQLITE_OK;
}

static int rp_close(sqlite3_vtab_cursor *cur) {
  replay_reset((ReplayCur *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int rp_prepare(ReplayCur *c, const char *sql, sqlite3_stmt **pp) {
  return sqlite3_prepare_v2(c->zc->db, sql, -1, pp, NULL);
}

/* The run's row: its region (checked against today's tree), month and
** policy horizon. */
static int rp_run_row(ReplayCur *c, const ZcRegion **preg, sqlite3_int64 *horizon, char **pzErr) {
  sqlite3_stmt *st = NULL;
  char *region = NULL;
  int rc;
  if (!zc_table_exists(c->zc->db, "zhucan_run")) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "replay: run %lld does not exist (no run has been settled yet)",
                                   "replay：结算批次 %lld 不存在（还没有结算过任何批次）"),
                             c->run);
    return SQLITE_ERROR;
  }
  if ((rc = rp_prepare(c, "SELECT region, month, policy_horizon FROM zhucan_run WHERE id=?1", &st))) return rc;
  sqlite3_bind_int64(st, 1, c->run);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return rc;
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "replay: run %lld does not exist", "replay：结算批次 %lld 不存在"), c->run);
    return SQLITE_ERROR;
  }
  region = zc_dup_text((const char *)sqlite3_column_text(st, 0));
  if (!region && sqlite3_column_type(st, 0) != SQLITE_NULL) {
    sqlite3_finalize(st);
    return SQLITE_NOMEM;
  }
  const char *month = (const char *)sqlite3_column_text(st, 1);
  rc = SQLITE_OK;
  if (!month || !zc_month_parse(month, -1, &c->first, &c->next)) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "replay: run %lld has a malformed month", "replay：结算批次 %lld 的月份格式不对"), c->run);
    rc = SQLITE_ERROR;
  }
  *horizon = sqlite3_column_int64(st, 2);
  sqlite3_finalize(st);
  if (rc == SQLITE_OK && (rc = zc_regions_load(c->zc, pzErr)) != SQLITE_OK) {
    sqlite3_free(region);
    return rc;
  }
  *preg = region ? zc_region(c->zc, region) : NULL;
  if (rc == SQLITE_OK && *preg == NULL) {
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "replay: run %lld: region %Q is no longer in table region", "replay：结算批次 %lld：区划 %Q 已不在区划表（region）里"), c->run, region);
    rc = SQLITE_ERROR;
  }
  sqlite3_free(region);
  return rc;
}

/* c->settled reads the run's meals: its packs, or, for a run stored before
** packs, rows of zhucan_run_meal_v1 (or of the table zhucan_run_meal when
** no settle() has moved it aside yet). */
static int rp_open_settled(ReplayCur *c) {
  sqlite3 *db = c->zc->db;
  sqlite3_int64 npack = 0;
  char qbuf[128];
  int rc;
  if (zc_table_exists(db, "zhucan_run_pack") &&
      (rc = zc_query_int(db, sqlite3_snprintf(sizeof qbuf, qbuf,
                                              "SELECT count(*) FROM zhucan_run_pack WHERE seq>=%lld AND seq<%lld",
                                              c->run << 32, (c->run + 1) << 32),
                         &npack)))
    return rc;
  const char *v1 = NULL;
  if (npack == 0) {
    if (zc_table_exists(db, "zhucan_run_meal_v1")) v1 = "zhucan_run_meal_v1";
    else if ((rc = zc_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'zhucan_run_meal'",
                                &npack)))
      return rc;
    else if (npack) v1 = "zhucan_run_meal";
  }
  c->v1 = v1 != NULL;
  char *v1sql = v1 ? sqlite3_mprintf("SELECT meal_id, elder_id, site_id, served_at, slot, method, device, token, "
                                     "price_fen, nth_slot, nth_day, nth_month, version_id, subsidy_fen, parts "
                                     "FROM %s WHERE seq>=?1 AND seq<?2 ORDER BY seq", v1)
                   : NULL;
  if (v1 && !v1sql) return SQLITE_NOMEM;
  rc = rp_prepare(c, v1 ? v1sql : "SELECT elder_id, data FROM zhucan_run_pack WHERE seq>=?1 AND seq<?2 ORDER BY seq",
                  &c->settled);
  sqlite3_free(v1sql);
  if (rc) return rc;
  sqlite3_bind_int64(c->settled, 1, c->run << 32);
  sqlite3_bind_int64(c->settled, 2, (c->run + 1) << 32);
  return SQLITE_OK;
}

/* The statements that read the run's snapshots, for the causes. */
static int rp_open_snapshots(ReplayCur *c) {
  int rc;
  if ((rc = rp_prepare(c, "SELECT key, value FROM json_each(?1)", &c->parts_of))) return rc;
  if ((rc = rp_prepare(c,
                       "SELECT sex, birth, region, died_on, status, agreement, bed FROM zhucan_run_elder "
                       "WHERE run_id=?1 AND elder_id=?2",
                       &c->elder_of)))
    return rc;
  return rp_prepare(c,
                    "SELECT name, kind, grade, beds, area_m2, opened_on, closed_on, slots, region, stats "
                    "FROM zhucan_run_site WHERE run_id=?1 AND site_id=?2",
                    &c->site_of);
}

/* The run's site() items, in the order they were stored. */
static int rp_settled_items(ReplayCur *c) {
  sqlite3_stmt *st = NULL;
  int rc = rp_prepare(c,
                      "SELECT site_id, item, payer, quantity, amount_fen FROM zhucan_run_item "
                      "WHERE seq>=?1 AND seq<?2 ORDER BY seq",
                      &st);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, c->run << 32);
  sqlite3_bind_int64(st, 2, (c->run + 1) << 32);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (c->n_settled_items == c->cap_settled_items) {
      size_t ncap = c->cap_settled_items ? c->cap_settled_items * 2 : 16;
      Item *na = sqlite3_realloc64(c->settled_items, ncap * sizeof *na);
      if (!na) { rc = SQLITE_NOMEM; break; }
      c->settled_items = na;
      c->cap_settled_items = ncap;
    }
    Item *x = &c->settled_items[c->n_settled_items];
    x->site = sqlite3_column_int64(st, 0);
    x->item = zc_dup_text((const char *)sqlite3_column_text(st, 1));
    x->payer = zc_dup_text((const char *)sqlite3_column_text(st, 2));
    x->quantity = sqlite3_column_int64(st, 3);
    x->fen = sqlite3_column_int64(st, 4);
    c->n_settled_items++;
    if (!x->item || !x->payer) { rc = SQLITE_NOMEM; break; }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The month again, merged meal by meal with the settled stream (a meal
** whose elder or time changed is matched by id at the end), then the
** items; the differences sorted. */
static int rp_compare(ReplayCur *c, const ZcRegion *reg, sqlite3_int64 horizon, char **pzErr) {
  int rc;
  if ((rc = settled_next(c))) return rc;
  ZcMonthSink sink = {c, replay_meal, replay_site, replay_item, 0, horizon, NULL, NULL};
  if ((rc = zc_month_compute(c->zc, "replay", reg->code, c->first, c->next, &sink, pzErr))) return rc;
  while (c->has_settled) {
    if ((rc = pending_add(&c->pending_settled, &c->settled_meal)) || (rc = settled_next(c))) return rc;
  }
  for (size_t i = 0; i < c->pending_replayed.n; i++) {
    Snap *replayed = c->pending_replayed.a[i];
    Snap *settled = pending_take(&c->pending_settled, replayed->id);
    rc = meal_compare(c, settled, replayed);
    snap_free(settled);
    if (rc) return rc;
  }
  for (size_t i = 0; i < c->pending_settled.n; i++)
    if (c->pending_settled.a[i] && (rc = meal_compare(c, c->pending_settled.a[i], NULL))) return rc;
  if ((rc = items_compare(c))) return rc;
  if (c->n > 1) qsort(c->rows, c->n, sizeof *c->rows, diff_cmp);
  return SQLITE_OK;
}

/* The run id argument: 1 and c->run, 0 for NULL (no rows), or an error. */
static int rp_arg(ReplayCur *c, int idxNum, int argc, sqlite3_value **argv, char **pzErr) {
  if (argc != 1 || idxNum != 1) {
    *pzErr = sqlite3_mprintf("%s", zc_tr(c->zc, "replay: needs a run id, replay(run_id): the id settle() answered "
                             "(SELECT id FROM zhucan_run)", "replay：需要结算批次号 replay(run_id)：即 settle() 返回的批次号（SELECT id FROM zhucan_run）"));
    return -1;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    *pzErr = sqlite3_mprintf("%s", zc_tr(c->zc, "replay: run_id is NULL; expected a run id, the id settle() answered "
                                               "(SELECT id FROM zhucan_run)",
                                         "replay：run_id 为 NULL；应为结算批次号，即 settle() 返回的编号"
                                         "（SELECT id FROM zhucan_run）"));
    return -1;
  }
  sqlite3_value *n = sqlite3_value_dup(argv[0]);
  if (!n) return -2;
  int ok = sqlite3_value_numeric_type(n) == SQLITE_INTEGER;
  if (ok) c->run = sqlite3_value_int64(n);
  sqlite3_value_free(n);
  if (!ok) {
    char *r = zc_value_repr(argv[0]);
    *pzErr = sqlite3_mprintf(zc_tr(c->zc, "replay: run id %s is not an integer run id", "replay：%s 不是整数结算批次号"),
                             r ? r : "?");
    sqlite3_free(r);
    return -1;
  }
  return 1;
}

/* The run as stored passes run_verify's check (verify.c): a replay of
** rows changed after settle would compare against forged money. */
typedef struct RpProblems {
  sqlite3_int64 n;
  char *first;
  const ZcConn *zc;
} RpProblems;

static int rp_problem(void *p, sqlite3_int64 run, const char *what, const char *expected, const char *found) {
  RpProblems *x = p;
  (void)run;
  if (x->n++ == 0) {
    x->first = sqlite3_mprintf(zc_tr(x->zc, "%s: expected %s, found %s", "%s：应为 %s，实际是 %s"), what, expected, found);
    if (!x->first) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static int rp_verified(ReplayCur *c, char **pzErr) {
  RpProblems x = {0, NULL, c->zc};
  int rc = zc_run_check(c->zc, c->run, rp_problem, &x, pzErr);
  if (rc == SQLITE_OK && x.n > 0) {
    *pzErr = zc_lang_en(c->zc)
                 ? sqlite3_mprintf("replay: run %lld fails its check against what settle() stored (%lld problem%s; "
                                   "first: %s): its rows were changed after it was settled, and a replay would compare "
                                   "against them.  SELECT * FROM run_verify(%lld) lists the problems",
                                   c->run, x.n, x.n == 1 ? "" : "s", x.first, c->run)
                 : sqlite3_mprintf("replay：结算批次 %lld 与 settle() 保存时的记录核对不符（%lld 处问题；第一处：%s）："
                                   "批次保存后其中的行被改动过，重算只会与改动后的行比较。"
                                   "SELECT * FROM run_verify(%lld) 列出全部问题",
                                   c->run, x.n, x.first, c->run);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  sqlite3_free(x.first);
  return rc;
}

static int rp_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  ReplayCur *c = (ReplayCur *)cur;
  char *err = NULL;
  const ZcRegion *reg = NULL;
  sqlite3_int64 horizon = 0;
  int rc = SQLITE_OK;
  replay_reset(c);
  int a = rp_arg(c, idxNum, argc, argv, &err);
  if (a == -2) return SQLITE_NOMEM;
  if (a < 0) rc = SQLITE_ERROR;
  if (rc == SQLITE_OK) rc = zc_facts_sync(c->zc);
  if (rc == SQLITE_OK) rc = rp_run_row(c, &reg, &horizon, &err);
  if (rc == SQLITE_OK) rc = rp_verified(c, &err);
  if (rc == SQLITE_OK) rc = rp_open_settled(c);
  if (rc == SQLITE_OK) rc = rp_open_snapshots(c);
  if (rc == SQLITE_OK) rc = rp_settled_items(c);
  if (rc == SQLITE_OK) rc = rp_compare(c, reg, horizon, &err);
  if (rc == SQLITE_OK) {
    /* keep the rows, drop the pass state */
    Diff *rows = c->rows;
    size_t nrows = c->n, cap = c->cap;
    c->rows = NULL;
    c->n = c->cap = 0;
    replay_reset(c);
    c->rows = rows;
    c->n = nrows;
    c->cap = cap;
    c->i = 0;
    return SQLITE_OK;
  }
  if (!err && c->damaged)
    err = sqlite3_mprintf(zc_tr(c->zc, "replay: run %lld: the meal pack of elder %lld in zhucan_run_pack is damaged", "replay：结算批次 %lld：zhucan_run_pack 里老人 %lld 的就餐数据包已损坏"), c->run,
                          c->pack_elder);
  if (zc_lost_to_nomem(c->zc->db, rc, err)) {
    sqlite3_free(err);
    replay_reset(c);
    return SQLITE_NOMEM;
  }
  if (!err)
    err = sqlite3_mprintf(zc_tr(c->zc, "replay: run %lld: %s", "replay：结算批次 %lld：%s"), c->run, sqlite3_errmsg(c->zc->db));
  else if (strncmp(err, "replay:", 7) != 0 && strncmp(err, "replay：", strlen("replay：")) != 0) {
    char *w = sqlite3_mprintf(zc_tr(c->zc, "replay: %s", "replay：%s"), err);
    sqlite3_free(err);
    err = w;
  }
  replay_reset(c);
  sqlite3_free(cur->pVtab->zErrMsg);
  cur->pVtab->zErrMsg = err;
  return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int rp_next(sqlite3_vtab_cursor *cur) {
  ((ReplayCur *)cur)->i++;
  return SQLITE_OK;
}

static int rp_eof(sqlite3_vtab_cursor *cur) {
  ReplayCur *c = (ReplayCur *)cur;
  return c->i >= c->n;
}

static int rp_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  ReplayCur *c = (ReplayCur *)cur;
  const Diff *d = &c->rows[c->i];
  switch (col) {
    case RP_SITE: sqlite3_result_int64(ctx, d->site); break;
    case RP_MEAL:
      if (d->meal) sqlite3_result_int64(ctx, d->meal);
      else sqlite3_result_null(ctx);
      break;
    case RP_ITEM: sqlite3_result_text(ctx, d->item, -1, SQLITE_TRANSIENT); break;
    case RP_PAYER: sqlite3_result_text(ctx, d->payer, -1, SQLITE_TRANSIENT); break;
    case RP_SETTLED: sqlite3_result_int64(ctx, d->settled); break;
    case RP_REPLAYED: sqlite3_result_int64(ctx, d->replayed); break;
    case RP_CAUSE: sqlite3_result_text(ctx, d->cause, -1, SQLITE_TRANSIENT); break;
    case RP_RUN: sqlite3_result_int64(ctx, c->run); break;
    default: sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

static int rp_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = (sqlite3_int64)((ReplayCur *)cur)->i + 1;
  return SQLITE_OK;
}

static sqlite3_module replay_module = {
    0,         NULL,    rp_connect, rp_best_index, rp_disconnect, NULL, rp_open, rp_close,
    rp_filter, rp_next, rp_eof,     rp_column,     rp_rowid,      NULL, NULL,    NULL,
    NULL,      NULL,    NULL,       NULL,          NULL,          NULL, NULL,    NULL};


int zc_replay_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return sqlite3_create_module(db, "replay", &replay_module, zc);
}
