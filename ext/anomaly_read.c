/*
** anomaly_read.c — anomaly_scan's read of the meals by elder
** (scan_load_meals), a bounded run of elders at a time, on two threads,
** with the checks made while reading (out_of_hours, the site counters);
** and the run's cards for revoked_card (scan_cards_load, scan_check_token).
**
** The read steps the covering index meal_elder_time in (elder, served_at,
** id) order over [lo, next): a row of another month of its elder seeks to
** that elder's days or past the elder (as meals.c's month scan), so a file
** of many months costs a seek per elder and month, not a row.  A run ends
** at the first new elder once s->chunk_cap rows are in (an elder's meals
** are never split); the statement stays on that row for the next run.
** The run's meals are already in the elder pass's order: no sort.  Every
** site's meals are read: a repeat or a second site may be at a site outside
** the region; findings are kept only for meals in the month at sites at
** or under the region.  The text columns are used during the read only:
** the time against the window, the elder a per-run key in order of
** appearance, the token copied into the run's bytes (checked in the elder
** pass against the cards of the run's elders, read by elder_id range; any
** other token is looked up on its own).  Meals before keep_from (the
** lookback beyond the two_sites margin) are kept only for elders who live
** alone at some time.  A meal is 32 bytes (anomaly.h).
**
** Two stages on two threads: the calling thread steps SQLite and copies
** each row (numbers, the method's code, the served_at, slot and token
** bytes) into chunks; a worker thread turns chunks into meals (times,
** slots, keys, indexes, counters, the window check).  The worker touches
** only the scan's own structures, never SQLite, Lua or the connection's
** caches: the thresholds of every governing policy on every day read are
** looked up before (anomaly_thr.c), and odd slot words are copies owned by
** the scan.  Without a thread (pthread_create fails, or ZHUCAN_NO_THREADS)
** the chunks are turned into meals on the calling thread, one after
** another, by the same code.  The worker is joined at the end of each run.
*/
#include "anomaly.h"
#include "pageread.h"
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

/* The meals of a run are given this much room at once (see consume). */
#define SCAN_FIRST_ROOM (1 << 21)

/* Room for need bytes in the buffer *buf of *cap bytes: doubled (from
** first) until it fits.  SQLITE_OK or SQLITE_NOMEM (the buffer kept). */
static int bytes_room(char **buf, size_t *cap, size_t need, size_t first) {
  if (need <= *cap) return SQLITE_OK;
  size_t ncap = *cap ? *cap * 2 : first;
  while (ncap < need) ncap *= 2;
  char *nb = sqlite3_realloc64(*buf, ncap);
  if (!nb) return SQLITE_NOMEM;
  *buf = nb;
  *cap = ncap;
  return SQLITE_OK;
}

/* ------------------------------------------------ per-scan numbering */

static unsigned char method_code(const char *z, int n) {
  if (n == 4 && memcmp(z, "card", 4) == 0) return M_CARD;
  if (n == 4 && memcmp(z, "face", 4) == 0) return M_FACE;
  if (n == 6 && memcmp(z, "manual", 6) == 0) return M_MANUAL;
  if (n == 8 && memcmp(z, "delivery", 8) == 0) return M_DELIVERY;
  return M_OTHER;
}

signed char slot_code(const char *z, int n) {
  if (n == 5 && memcmp(z, "lunch", 5) == 0) return ZC_LUNCH;
  if (n == 9 && memcmp(z, "breakfast", 9) == 0) return ZC_BREAKFAST;
  if (n == 6 && memcmp(z, "dinner", 6) == 0) return ZC_DINNER;
  return -1;
}

static int quiet_flagged(Scan *s, sqlite3_int64 id) {
  if (id >= 0 && id < s->nquiet) return s->quiet_flag[id];
  return zc_map_slot(&s->quiet_big, id, 0, NULL) != NULL;
}

/* The per-scan key of an elder id, numbering new ones in order of first
** appearance (the order of the elder pass). */
static int elder_key(Scan *s, sqlite3_int64 id, int *out) {
  int *slot = NULL;
  sqlite3_int64 *v = NULL;
  if (id >= 0 && id < s->nquiet) {
    slot = &s->ekey[id];
    if (*slot >= 0) { *out = *slot; return SQLITE_OK; }
  } else {
    int isnew = 0;
    if (!(v = zc_map_slot(&s->ekey_big, id, 1, &isnew))) return SQLITE_NOMEM;
    if (!isnew) { *out = (int)*v; return SQLITE_OK; }
  }
  if (s->neld == s->capeld) {
    int ncap = s->capeld ? s->capeld * 2 : 1024;
    sqlite3_int64 *ne = sqlite3_realloc64(s->eid, (sqlite3_uint64)ncap * sizeof *ne);
    if (!ne) return SQLITE_NOMEM;
    s->eid = ne;
    s->capeld = ncap;
  }
  s->eid[s->neld] = id;
  if (slot) *slot = s->neld;
  else *v = s->neld;
  *out = s->neld++;
  return SQLITE_OK;
}

/* The site index of a meal's site id: its index in s->sites, or for an id
** not in table site, -1 - its index in s->xsite. */
int scan_site_index(Scan *s, sqlite3_int64 id, int *out) {
  int ix = scan_site_lookup(s, id);
  if (ix < 0) {
    int isnew = 0;
    sqlite3_int64 *v = zc_map_slot(&s->xsite_ix, id, 1, &isnew);
    if (!v) return SQLITE_NOMEM;
    if (isnew) {
      if (s->nxsite == s->capxsite) {
        int ncap = s->capxsite ? s->capxsite * 2 : 16;
        sqlite3_int64 *nx = sqlite3_realloc64(s->xsite, (sqlite3_uint64)ncap * sizeof *nx);
        if (!nx) return SQLITE_NOMEM;
        s->xsite = nx;
        s->capxsite = ncap;
      }
      s->xsite[s->nxsite] = id;
      *v = s->nxsite++;
    }
    ix = -1 - (int)*v;
  }
  *out = ix;
  return SQLITE_OK;
}

/* The scan's own copy of an odd slot word (one per distinct word). */
static const char *odd_word(Scan *s, const char *z, int n) {
  for (int i = 0; i < s->nodd; i++)
    if ((int)strlen(s->odd_words[i]) == n && memcmp(s->odd_words[i], z, (size_t)n) == 0) return s->odd_words[i];
  char **nw = sqlite3_realloc64(s->odd_words, ((sqlite3_uint64)s->nodd + 1) * sizeof *nw);
  if (!nw) return NULL;
  s->odd_words = nw;
  char *w = sqlite3_malloc(n + 1);
  if (!w) return NULL;
  memcpy(w, z, (size_t)n);
  w[n] = 0;
  s->odd_words[s->nodd++] = w;
  return w;
}

/* ------------------------------------------ checks made while reading */

/* 1 when the token is fine: its card is the elder's, in force on day. */
static int token_ok(const Card *c, sqlite3_int64 elder, int day) {
  return c && c->elder == elder && c->issued != ZC_NONE && day >= c->issued && day < c->revoked;
}

/* What is wrong with a meal's token (tok, ntok bytes; c its card, NULL if
** none), sqlite3_mprintf'd (NULL: out of memory); only when !token_ok. */
static char *token_problem(const ZcConn *zc, const Card *c, sqlite3_int64 elder, int day, const char *tok,
                           int ntok) {
  char d[11], x[11];
  zc_day_format(day, d);
  if (!c)
    return sqlite3_mprintf(zc_tr(zc, "token %.*s is not a registered card or face id",
                                 "卡号 %.*s 不是已登记的餐卡或人脸识别号"),
                           ntok, tok);
  if (c->elder != elder)
    return sqlite3_mprintf(zc_tr(zc, "token %.*s belongs to elder %lld, not to elder %lld",
                                 "卡号 %.*s 属于老人 %lld，不属于老人 %lld"),
                           ntok, tok, c->elder, elder);
  if (c->issued == ZC_NONE)
    return sqlite3_mprintf(zc_tr(zc, "token %.*s has no valid issue date", "卡号 %.*s 没有有效的发卡日期"), ntok, tok);
  if (day < c->issued) {
    zc_day_format(c->issued, x);
    return sqlite3_mprintf(zc_tr(zc, "token %.*s used on %s, before it was issued on %s",
                                 "卡号 %.*s 于 %s 使用，早于发卡日期 %s"),
                           ntok, tok, d, x);
  }
  if (c->revoked < 0)
    return sqlite3_mprintf(zc_tr(zc, "token %.*s has a malformed revocation date", "卡号 %.*s 的注销日期格式有误"),
                           ntok, tok);
  zc_day_format(c->revoked, x);
  return sqlite3_mprintf(zc_tr(zc, "token %.*s used on %s, revoked on %s", "卡号 %.*s 于 %s 使用，但已于 %s 注销"),
                         ntok, tok, d, x);
}

/* A card row's elder and dates (columns c0..c0+2) into c. */
static void card_fill(Card *c, sqlite3_stmt *st, int c0) {
  c->none = 0;
  c->elder = sqlite3_column_int64(st, c0);
  c->issued = day_col(st, c0 + 1);
  c->revoked = sqlite3_column_type(st, c0 + 2) == SQLITE_NULL ? INT_MAX : day_col(st, c0 + 2);
  if (c->revoked == ZC_NONE) c->revoked = INT_MIN + 1; /* malformed: never valid */
}

/* A card of the run: the card, and its token's bytes in s->rcardb. */
typedef struct RunCard {
  Card card;
  size_t off;
  int n;
} RunCard;

/* The card row st is on (token in column 0, then card_fill's columns)
** appended to the run's cards. */
static int run_card_add(Scan *s, sqlite3_stmt *st, const char *tok, int n) {
  if (s->nrcard == s->caprcard) {
    int ncap = s->caprcard ? s->caprcard * 2 : 1024;
    RunCard *nc = sqlite3_realloc64(s->rcard, (sqlite3_uint64)ncap * sizeof *nc);
    if (!nc) return SQLITE_NOMEM;
    s->rcard = nc;
    s->caprcard = ncap;
  }
  if (bytes_room(&s->rcardb, &s->caprcardb, s->nrcardb + (size_t)n, 16384)) return SQLITE_NOMEM;
  RunCard *c = &s->rcard[s->nrcard++];
  card_fill(&c->card, st, 1);
  memcpy(s->rcardb + s->nrcardb, tok, (size_t)n);
  c->off = s->nrcardb;
  c->n = n;
  s->nrcardb += (size_t)n;
  return SQLITE_OK;
}

int scan_cards_load(Scan *s) {
  int rc;
  zc_textmap_clear(&s->card_ix);
  zc_textmap_init(&s->card_ix, SCAN_ENT_SIZE, 0);
  s->nrcard = 0;
  s->nrcardb = 0;
  s->rcard_at = 0;
  if (s->neld == 0) return SQLITE_OK;
  for (int k = 1; k < s->neld; k++)
    if (s->eid[k - 1] >= s->eid[k]) return SQLITE_OK;   /* not ascending: each token on its own */
  if (!s->cst_run && (rc = scan_prepare(s, &s->cst_run, "SELECT token, elder_id, issued_on, revoked_on FROM card "
                                                         "WHERE elder_id >= ?1 AND elder_id <= ?2 ORDER BY elder_id")))
    return rc;
  sqlite3_bind_int64(s->cst_run, 1, s->eid[0]);
  sqlite3_bind_int64(s->cst_run, 2, s->eid[s->neld - 1]);
  while ((rc = sqlite3_step(s->cst_run)) == SQLITE_ROW) {
    const char *tok = (const char *)sqlite3_column_text(s->cst_run, 0);
    if (!tok) continue; /* NULL token: no meal can name it */
    if ((rc = run_card_add(s, s->cst_run, tok, sqlite3_column_bytes(s->cst_run, 0)))) break;
  }
  sqlite3_reset(s->cst_run);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The card of token tok (n bytes, h its hash), a token of no card of its
** elder's in the run: looked up on its own and kept in the run's map
** (found or not). */
static int card_of(Scan *s, const char *tok, int n, uint64_t h, const Card **out) {
  const CardEnt *e = zc_textmap_find(&s->card_ix, tok, (size_t)n, h);
  int rc;
  if (!e) {
    if (!s->cst_one && (rc = scan_prepare(s, &s->cst_one, "SELECT elder_id, issued_on, revoked_on FROM card WHERE token = ?1")))
      return rc;
    CardEnt *ne = zc_textmap_get(&s->card_ix, tok, (size_t)n, h, NULL);
    if (!ne) return SQLITE_NOMEM;
    sqlite3_bind_text(s->cst_one, 1, tok, n, SQLITE_STATIC);
    rc = sqlite3_step(s->cst_one);
    if (rc == SQLITE_ROW) card_fill(&ne->card, s->cst_one, 0);
    else ne->card.none = 1;
    sqlite3_reset(s->cst_one);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
    e = ne;
  }
  *out = e->card.none ? NULL : &e->card;
  return SQLITE_OK;
}

int scan_check_token(Scan *s, const Meal *m, sqlite3_int64 elder) {
  if (m->tok < 0) return SQLITE_OK;
  int32_t n;
  memcpy(&n, s->tokb + m->tok, sizeof n);
  const char *tok = s->tokb + m->tok + sizeof n;
  const Card *c = NULL;
  /* the elder's own cards first (elders come in ascending order): most
  ** tokens are one of them; any other is looked up */
  while (s->rcard_at < s->nrcard && s->rcard[s->rcard_at].card.elder < elder) s->rcard_at++;
  for (int i = s->rcard_at; i < s->nrcard && s->rcard[i].card.elder == elder; i++)
    if (s->rcard[i].n == n && memcmp(s->rcardb + s->rcard[i].off, tok, (size_t)n) == 0) {
      c = &s->rcard[i].card;
      break;
    }
  int rc;
  if (!c && (rc = card_of(s, tok, n, zc_text_hash(tok, (size_t)n), &c))) return rc;
  if (token_ok(c, elder, m->day)) return SQLITE_OK;
  char *why = token_problem(s->zc, c, elder, m->day, tok, n);
  if (!why) return SQLITE_NOMEM;   /* never a finding dropped */
  return finding_add(&s->out, K_REVOKED_CARD, meal_site(s, m), elder, m->id, meal_t(s, m), 0, 0, why);
}

/* out_of_hours: the meal's time against its slot's window (t: the
** thresholds of its site and day).  Runs while the meals are read; elder is
** meal_elder(s, m). */
static int check_window(Scan *s, const Meal *m, sqlite3_int64 elder, const Thr *t) {
  int rc = SQLITE_OK;
  sqlite3_int64 site = meal_site(s, m), at = meal_t(s, m);
  const char *word = meal_slot_word(s, m);
  int secs = (int)(at % ZC_DAY_SECONDS);
  if (m->slot >= 0 && secs >= t->win[m->slot].from && secs <= t->win[m->slot].to) return rc;
  char hm[9];
  fmt_clock(at, hm);
  if (m->slot < 0) {
    rc = finding_add(&s->out, K_OUT_OF_HOURS, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf(zc_tr(s->zc, "meal at %s with slot '%q', which is not breakfast, lunch or dinner",
                                           "%s 的就餐记录餐次为 '%q'，不是早餐、午餐或晚餐"),
                                     hm, word));
  } else if (secs < t->win[m->slot].from || secs > t->win[m->slot].to) {
    char a[9], b[9];
    zc_clock_format(t->win[m->slot].from, a);
    zc_clock_format(t->win[m->slot].to, b);
    rc = finding_add(&s->out, K_OUT_OF_HOURS, site, elder, m->id, at, 0, 0,
                     sqlite3_mprintf(zc_tr(s->zc, "%s recorded at %s, outside the %s window %s to %s",
                                           "%s记录于 %s，不在%s时段 %s 至 %s 内"),
                                     slot_label(s->zc, word), hm, slot_label(s->zc, word), a, b));
  }
  return rc;
}

/* ------------------------------------------- rows, chunks and meals */

/* A row as read: the text columns are bytes in its chunk. */
typedef struct RawRow {
  sqlite3_int64 id, elder, site;
  unsigned char method;
  int nat, nslot;           /* bytes of served_at, slot (-1: NULL) */
  int ntok;                 /* bytes at tok (-1: NULL token) */
  size_t at, slot, tok;     /* offsets in the chunk's bytes */
} RawRow;

#define CHUNK_ROWS 4096
typedef struct Chunk {
  RawRow rows[CHUNK_ROWS];
  int n;
  char *bytes;
  size_t nb, cap;
} Chunk;

/* The meal's time, or 0 for a row that is not kept: served_at is not a
** time, or the meal is a lookback meal (before keep_from) of an elder who
** never lives alone. */
static int row_time(Scan *s, ZcDayMemo *memo, const Chunk *ch, const RawRow *w, sqlite3_int64 *pt) {
  sqlite3_int64 t;
  if (w->nat < 0 || !zc_time_parse_memo(memo, ch->bytes + w->at, w->nat, &t))
    return 0; /* not a time: cannot be placed in any order */
  if (t < s->keep_from && !quiet_flagged(s, w->elder)) return 0;
  /* cannot happen (served_at is in [lo, next)); the thresholds cover no more */
  if (t < s->t0 || t >= (sqlite3_int64)s->next * ZC_DAY_SECONDS) return 0;
  *pt = t;
  return 1;
}

/* m from row w served at t: its elder, device and site numbered, an odd
** slot word kept by meal id. */
static int meal_from_row(Scan *s, const Chunk *ch, const RawRow *w, sqlite3_int64 t, Meal *m) {
  int rc;
  m->id = w->id;
  if ((rc = elder_key(s, w->elder, &m->ek))) return rc;
  m->rt = (int)(t - s->t0);
  m->day = (int)(t / ZC_DAY_SECONDS);
  const char *z = w->nslot >= 0 ? ch->bytes + w->slot : NULL;
  m->slot = z ? slot_code(z, w->nslot) : -1;
  if (m->slot < 0) {
    /* a rare other word, kept by meal id */
    const char *word = odd_word(s, z ? z : "", z ? w->nslot : 0);
    sqlite3_int64 *v = word ? zc_map_slot(&s->odd_slot, m->id, 1, NULL) : NULL;
    if (!v) return SQLITE_NOMEM;
    *v = (sqlite3_int64)(intptr_t)word;
  }
  m->method = w->method;
  m->tok = -1;
  if ((rc = scan_site_index(s, w->site, &m->site_ix))) return rc;
  m->in_scope = m->day >= s->first && m->site_ix >= 0 && s->sites[m->site_ix].in_region;
  return SQLITE_OK;
}

/* The token of a meal (n > 0 bytes) into the run's bytes: *off, where its
** length (4 bytes) and then its bytes are. */
static int keep_token(Scan *s, const char *z, int n, int *off) {
  size_t need = s->ntokb + sizeof(int32_t) + (size_t)n;
  if (need > INT_MAX) return SQLITE_NOMEM;
  if (bytes_room(&s->tokb, &s->captokb, need, (size_t)16 * (size_t)(s->capm > 4096 ? s->capm : 4096)))
    return SQLITE_NOMEM;
  int32_t len = n;
  memcpy(s->tokb + s->ntokb, &len, sizeof len);
  memcpy(s->tokb + s->ntokb + sizeof len, z, (size_t)n);
  *off = (int)s->ntokb;
  s->ntokb = need;
  return SQLITE_OK;
}

/* A meal in scope (s->m[s->nm]): its site's counters, the window check,
** and its token kept for the check against the run's cards (the elder
** pass: scan_check_token). */
static int count_and_check(Scan *s, const Chunk *ch, const RawRow *w, Meal *m) {
  int rc;
  ScanSite *p = &s->sites[m->site_ix];
  p->meals++;
  if (m->method == M_MANUAL) p->manual++;
  if (m->slot >= 0) p->rec[(m->day - s->first) * ZC_NSLOT + m->slot]++;
  if ((rc = check_window(s, m, w->elder, site_thr(s, m)))) return rc;
  if (w->ntok > 0) return keep_token(s, ch->bytes + w->tok, w->ntok, &m->tok);
  return SQLITE_OK;
}

/* Turns one chunk into meals (the worker's stage). */
static int consume(Scan *s, ZcDayMemo *memo, const Chunk *ch) {
  int rc = SQLITE_OK;
  if (scan_stop(s, 0, 0)) return SQLITE_INTERRUPT;   /* the read failed or was interrupted */
  for (int r = 0; r < ch->n; r++) {
    const RawRow *w = &ch->rows[r];
    sqlite3_int64 t;
    if (!row_time(s, memo, ch, w, &t)) continue;
    if (s->nm == s->capm) {
      /* doubling, but not far past the run's cap (a run ends at the next
      ** elder after chunk_cap rows: one elder's meals more) */
      sqlite3_int64 lim = s->chunk_cap + 65536;
      /* the first room is the run's whole (up to 2M meals, 64 MB): growing
      ** by doubling copied the meals again and again; pages never touched
      ** cost no memory */
      sqlite3_int64 ncap = s->capm ? (sqlite3_int64)s->capm * 2 : (lim < SCAN_FIRST_ROOM ? lim : SCAN_FIRST_ROOM);
      if (s->capm < lim && ncap > lim) ncap = lim;
      if (ncap > INT_MAX / 2) return SQLITE_NOMEM;
      Meal *nm = sqlite3_realloc64(s->m, (sqlite3_uint64)ncap * sizeof *nm);
      if (!nm) return SQLITE_NOMEM;
      s->m = nm;
      s->capm = (int)ncap;
    }
    /* the elder's key is a cache miss: start loading the next row's */
    if (r + 1 < ch->n) {
      sqlite3_int64 ne = ch->rows[r + 1].elder;
      if (ne >= 0 && ne < s->nquiet) __builtin_prefetch(&s->ekey[ne]);
    }
    Meal *m = &s->m[s->nm];
    if ((rc = meal_from_row(s, ch, w, t, m))) return rc;
    if (m->in_scope && (rc = count_and_check(s, ch, w, m))) return rc;
    s->nm++;
  }
  return rc;
}

/* ------------------------------------------------------- the reader */

static int chunk_bytes(Chunk *c, const char *z, int n, size_t *off) {
  if (bytes_room(&c->bytes, &c->cap, c->nb + (size_t)n, 65536)) return SQLITE_NOMEM;
  memcpy(c->bytes + c->nb, z, (size_t)n);
  *off = c->nb;
  c->nb += (size_t)n;
  return SQLITE_OK;
}

/* Text bytes z[0..n) into the chunk (n < 0: NULL, nothing copied): *off. */
static int copy_text(Chunk *c, const char *z, int n, size_t *off) {
  return n >= 0 ? chunk_bytes(c, z, n, off) : SQLITE_OK;
}

/* The two stages: the reader fills chunk c[head] while the worker turns
** c[tail] into meals. */
typedef struct Pipe {
  Scan *s;
  Chunk *c[3];
  int full[3];              /* chunk i waits for the worker */
  int head, tail;           /* producer fills c[head]; worker takes c[tail] */
  int done, rc;             /* producer finished; the worker's result */
  ZcDayMemo memo;           /* the worker's served_at parsing (common.c) */
  int threaded;             /* the worker runs on its own thread */
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} Pipe;

static void *pipe_worker(void *arg) {
  Pipe *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->full[p->tail] && !p->done) pthread_cond_wait(&p->cv, &p->mu);
    if (!p->full[p->tail]) break; /* done, and nothing left */
    Chunk *c = p->c[p->tail];
    int rc = p->rc;
    pthread_mutex_unlock(&p->mu);
    if (rc == SQLITE_OK) rc = consume(p->s, &p->memo, c);
    pthread_mutex_lock(&p->mu);
    if (rc != SQLITE_OK && p->rc == SQLITE_OK) p->rc = rc;
    p->full[p->tail] = 0;
    p->tail = (p->tail + 1) % 3;
    pthread_cond_broadcast(&p->cv);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* The chunks, and the worker's thread when threads are allowed and one
** can be started. */
static int pipe_open(Pipe *p, Scan *s) {
  memset(p, 0, sizeof *p);
  p->s = s;
  for (int i = 0; i < 3; i++) {
    if (!(p->c[i] = sqlite3_malloc64(sizeof *p->c[i]))) return SQLITE_NOMEM;
    memset(p->c[i], 0, sizeof *p->c[i]);
  }
  if (scan_threads_allowed() && pthread_mutex_init(&p->mu, NULL) == 0) {
    if (pthread_cond_init(&p->cv, NULL) == 0) {
      if (pthread_create(&p->th, NULL, pipe_worker, p) == 0) p->threaded = 1;
      else pthread_cond_destroy(&p->cv);
    }
    if (!p->threaded) pthread_mutex_destroy(&p->mu);
  }
  return SQLITE_OK;
}

/* Hands the chunk *pc over: without a worker, turns it into meals here;
** with one, queues it and waits until the next chunk is free.  *pc is
** then the (empty) chunk to fill.  The worker's error, if any. */
static int pipe_hand_over(Pipe *p, Chunk **pc) {
  Chunk *c = *pc;
  if (!p->threaded) {
    int rc = consume(p->s, &p->memo, c);
    c->n = 0;
    c->nb = 0;
    return rc;
  }
  pthread_mutex_lock(&p->mu);
  p->full[p->head] = 1;
  p->head = (p->head + 1) % 3;
  pthread_cond_broadcast(&p->cv);
  while (p->full[p->head] && p->rc == SQLITE_OK) pthread_cond_wait(&p->cv, &p->mu);
  int wrc = p->rc;
  pthread_mutex_unlock(&p->mu);
  if (wrc != SQLITE_OK) return wrc;
  c = *pc = p->c[p->head];
  c->n = 0;
  c->nb = 0;
  return SQLITE_OK;
}

/* The read's state while SQLite steps the index: zhucan_scan_row, called
** by the statement's WHERE for each row, copies the row into the run's
** chunk (no row is returned to this file, no column is asked for one by
** one), hands full chunks to the worker, and stops the step (returns the
** row) only when the read must seek or the run is full. */
enum { FEED_ON, FEED_SEEK, FEED_RUN_END, FEED_END };
typedef struct ScanFeed {
  int kind;                 /* SCAN_FEED: first, as the pointer's kind */
  Scan *s;
  Pipe *p;
  Chunk *c;                 /* the chunk being filled */
  sqlite3_int64 rows, prev; /* rows of the run so far; the last row's elder */
  sqlite3_int64 seek;       /* FEED_SEEK: the elder id to seek to */
  int stop;                 /* why the step returned a row */
  int rc;                   /* an error met while feeding (the step fails) */
} ScanFeed;

/* A row of the read: id, elder_id, site_id, served_at, slot, method,
** token, as SQLite gives them (row_of_values) or as the file holds them
** when they have the types SQLite would not convert (read_raw). */
typedef struct FeedRow {
  sqlite3_int64 id, elder, site;
  int eint;                 /* elder_id is an INTEGER */
  int aty;                  /* served_at's type */
  const char *at, *slot, *method, *tok;
  int nat, nslot, nmethod, ntok;   /* -1: NULL */
} FeedRow;

static void value_bytes(sqlite3_value *v, const char **z, int *n) {
  *z = (const char *)sqlite3_value_text(v);
  *n = *z ? sqlite3_value_bytes(v) : -1;
}

/* v[0..6]: the columns in the order above, with SQLite's conversions. */
static void row_of_values(FeedRow *r, sqlite3_value **v) {
  r->aty = sqlite3_value_type(v[3]);
  r->eint = sqlite3_value_type(v[1]) == SQLITE_INTEGER;
  r->id = sqlite3_value_int64(v[0]);
  r->elder = sqlite3_value_int64(v[1]);
  r->site = sqlite3_value_int64(v[2]);
  value_bytes(v[3], &r->at, &r->nat);
  value_bytes(v[4], &r->slot, &r->nslot);
  value_bytes(v[5], &r->method, &r->nmethod);
  value_bytes(v[6], &r->tok, &r->ntok);
}

/* A row into the chunk. */
static int copy_row(Chunk *c, const FeedRow *r) {
  RawRow *w = &c->rows[c->n];
  int rc;
  w->id = r->id;
  w->elder = r->elder;
  w->site = r->site;
  w->nat = r->nat;
  w->nslot = r->nslot;
  w->ntok = r->ntok;
  if ((rc = copy_text(c, r->at, r->nat, &w->at))) return rc;
  if ((rc = copy_text(c, r->slot, r->nslot, &w->slot))) return rc;
  w->method = r->nmethod >= 0 ? method_code(r->method, r->nmethod) : M_OTHER;
  return copy_text(c, r->tok, r->ntok, &w->tok);
}

/* One row of the read: 0 taken (or passed over), 1 stop here (f->stop
** says why), -1 an error (f->rc).  A row of another month of its elder
** asks for a seek to that elder's days, or past the elder (as meals.c's
** month scan); the run ends at the first new elder once s->chunk_cap rows
** are in (an elder's meals are never split). */
static int feed_row(ScanFeed *f, const FeedRow *r) {
  Scan *s = f->s;
  int early, late;
  if (r->aty == SQLITE_TEXT) {
    early = zc_cmp_day(r->at, r->nat, s->ra) < 0;
    late = !early && zc_cmp_day(r->at, r->nat, s->rb) >= 0;
  } else {
    early = r->aty != SQLITE_BLOB;   /* the index puts NULL and numbers first, blobs last */
    late = !early;
  }
  sqlite3_int64 e = r->elder;
  if (early || late) {
    if (!r->eint) return 0;   /* no seek by such an id: step on */
    f->stop = late && e == INT64_MAX ? FEED_END : FEED_SEEK;
    f->seek = late ? e + 1 : e;
    return 1;
  }
  if (f->rows >= s->chunk_cap && e != f->prev) {
    f->stop = FEED_RUN_END;   /* the read stays on this row: the next run's first */
    return 1;
  }
  f->prev = e;
  f->rows++;
  Chunk *c = f->c;
  if ((f->rc = copy_row(c, r))) return -1;
  if (++c->n == CHUNK_ROWS && (f->rc = pipe_hand_over(f->p, &f->c))) return -1;
  return 0;
}

void scan_feed_func(sqlite3_context *ctx, ScanFeed *f, int argc, sqlite3_value **argv) {
  if (argc != 8) {
    sqlite3_result_error(ctx, "zhucan_scan_row: wrong number of arguments", -1);
    return;
  }
  FeedRow r;
  row_of_values(&r, argv + 1);
  int k = feed_row(f, &r);
  if (k < 0) sqlite3_result_error_code(ctx, f->rc);
  else sqlite3_result_int(ctx, k);
}

/* Reads the meals of the next run of elders into chunks, handing each full
** chunk, and the last, over.  The run ends at the first new elder once
** s->chunk_cap rows are in; the statement stays on that row (s->mrow) for
** the next run.  SQLITE_DONE when the run is in (s->mdone: and it was the
** last). */
static int read_rows(Pipe *p, sqlite3_stmt *st) {
  Scan *s = p->s;
  ScanFeed *f = s->feed;
  int rc;
  f->p = p;
  f->c = p->c[0];
  f->rows = 0;
  f->rc = SQLITE_OK;
  if (s->mrow) {
    /* the row the last run stopped on: its columns, as the statement gives them */
    sqlite3_value *v[7];
    FeedRow r;
    for (int i = 0; i < 7; i++) v[i] = sqlite3_column_value(st, i);
    row_of_values(&r, v);
    s->mrow = 0;
    f->prev = r.elder;
    f->rows = 1;
    if ((rc = copy_row(f->c, &r))) return rc;
    f->c->n++;
  }
  for (;;) {
    f->stop = FEED_ON;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && f->stop == FEED_SEEK) {
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, f->seek);
      continue;
    }
    if (rc == SQLITE_ROW && f->stop == FEED_RUN_END) {
      s->mrow = 1;
    } else if (rc == SQLITE_DONE || (rc == SQLITE_ROW && f->stop == FEED_END)) {
      s->mdone = 1;
    } else {
      if (f->rc != SQLITE_OK) rc = f->rc;
      else if (rc == SQLITE_ROW) rc = SQLITE_INTERNAL;   /* a row no stop explains */
      return rc;
    }
    /* the last chunk of the run: to the worker */
    int hrc = pipe_hand_over(p, &f->c);
    return hrc != SQLITE_OK ? hrc : SQLITE_DONE;
  }
}

/* The current entry of the file's index (elder_id, served_at, id,
** site_id, slot, method, price_fen, device, token, rowid) as a row: read
** as it lies when its types are those SQLite gives unconverted (the usual
** row), else as SQLite's values (zc_pr_values), so that SQLite converts
** it exactly as the statement would (valid until the cursor's next). */
static int raw_row(Scan *s, FeedRow *r) {
  ZcPrVal v[10];
  int rc = zc_pr_row(s->pr, v, 10);
  if (rc) return rc;
  if (v[0].type == SQLITE_INTEGER && v[3].type == SQLITE_INTEGER && v[2].type == SQLITE_INTEGER &&
      v[1].type == SQLITE_TEXT && v[4].type == SQLITE_TEXT && v[5].type == SQLITE_TEXT &&
      (v[8].type == SQLITE_TEXT || v[8].type == SQLITE_NULL)) {
    r->id = v[2].i;
    r->elder = v[0].i;
    r->eint = 1;
    r->site = v[3].i;
    r->aty = SQLITE_TEXT;
    r->at = v[1].z;
    r->nat = v[1].n;
    r->slot = v[4].z;
    r->nslot = v[4].n;
    r->method = v[5].z;
    r->nmethod = v[5].n;
    r->tok = v[8].type == SQLITE_TEXT ? v[8].z : NULL;
    r->ntok = v[8].type == SQLITE_TEXT ? v[8].n : -1;
    return SQLITE_OK;
  }
  ZcPrVal b[7] = {v[2], v[0], v[3], v[1], v[4], v[5], v[8]};
  sqlite3_value *cv[7];
  if ((rc = zc_pr_values(s->pr, b, 7, cv))) return rc;
  row_of_values(r, cv);
  return SQLITE_OK;
}

/* read_rows from the file's pages (s->pr): the same rows in the same
** order, fed the same way; a seek is the cursor's. */
static int read_raw(Pipe *p) {
  Scan *s = p->s;
  ScanFeed *f = s->feed;
  int rc = SQLITE_OK, k;
  f->p = p;
  f->c = p->c[0];
  f->rows = 0;
  f->rc = SQLITE_OK;
  if (s->mrow) {
    /* the row the last run stopped on: the cursor is still there */
    FeedRow r;
    if ((rc = raw_row(s, &r))) goto fail;
    s->mrow = 0;
    f->prev = r.elder;
    f->rows = 1;
    if ((rc = copy_row(f->c, &r))) return rc;
    f->c->n++;
    if ((rc = zc_pr_next(s->pr))) goto fail;
  }
  for (;;) {
    if (scan_stop(s, 1, 12)) return SQLITE_INTERRUPT;
    if (zc_pr_eof(s->pr)) {
      s->mdone = 1;
      break;
    }
    FeedRow r;
    if ((rc = raw_row(s, &r))) goto fail;
    f->stop = FEED_ON;
    k = feed_row(f, &r);
    if (k < 0) return f->rc;
    if (k == 1 && f->stop == FEED_SEEK) {
      ZcPrVal key[2];
      memset(key, 0, sizeof key);
      key[0].type = SQLITE_INTEGER;
      key[0].i = f->seek;
      key[1].type = SQLITE_TEXT;
      key[1].z = s->ra;
      key[1].n = 10;
      if ((rc = zc_pr_seek(s->pr, key, 2))) goto fail;
      continue;
    }
    if (k == 1 && f->stop == FEED_RUN_END) {
      s->mrow = 1;   /* the cursor stays on this row */
      break;
    }
    if (k == 1) {
      s->mdone = 1;  /* FEED_END */
      break;
    }
    if ((rc = zc_pr_next(s->pr))) goto fail;
  }
  /* the last chunk of the run: to the worker */
  rc = pipe_hand_over(p, &f->c);
  return rc != SQLITE_OK ? rc : SQLITE_DONE;
fail:
  if (rc != SQLITE_NOMEM && rc != SQLITE_INTERRUPT && !*s->pzErr) {
    *s->pzErr = sqlite3_mprintf(zc_tr(s->zc, "anomaly_scan: reading meals: the database file is malformed (index meal_elder_time, %s)",
                                      "anomaly_scan：读取就餐记录时出错：数据库文件已损坏（索引 meal_elder_time，%s）"),
                                zc_pr_errmsg(s->pr, zc_lang_en(s->zc)));
  }
  return rc;
}

/* The read from the file's pages, when the file is what the connection
** sees (pageread.c says when): opened once, at (INT64_MIN, the first day
** read), as the statement's first seek.  ZHUCAN_SCAN_TRACE=1 says which
** read runs and why. */
static void raw_open(Scan *s) {
  static const char *const cols[9] = {"elder_id", "served_at", "id", "site_id", "slot", "method", "price_fen", "device", "token"};
  const char *why = NULL;
  /* the id is the index's own column (the rowid when id is the table's
  ** rowid, as the statement's id is) */
  s->pr = zc_pr_open(s->zc->db, "meal", "meal_elder_time", cols, 9, NULL, &why);
  if (s->pr) {
    ZcPrVal key[2];
    memset(key, 0, sizeof key);
    key[0].type = SQLITE_INTEGER;
    key[0].i = INT64_MIN;
    key[1].type = SQLITE_TEXT;
    key[1].z = s->ra;
    key[1].n = 10;
    if (zc_pr_seek(s->pr, key, 2) != SQLITE_OK) {
      /* a first page SQLite may read otherwise: the statement says */
      why = "the index's first pages cannot be read here";
      zc_pr_close(s->pr);
      s->pr = NULL;
    }
  }
  if (getenv("ZHUCAN_SCAN_TRACE"))
    fprintf(stderr, "anomaly_scan: meals by elder read %s%s%s\n", s->pr ? "from the file's pages" : "through SQLite",
            why ? ": " : "", why ? why : "");
}

/* Lets the worker finish the chunks handed over and joins it; rc (the
** read's result) becomes the worker's error if the read went well.  Frees
** the chunks. */
static int pipe_close(Pipe *p, int rc) {
  if (rc != SQLITE_DONE) atomic_store_explicit(&p->s->stop, 1, memory_order_relaxed);
  if (p->threaded) {
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    if (p->rc != SQLITE_OK && (rc == SQLITE_DONE || rc == SQLITE_ROW)) rc = p->rc;
  }
  for (int i = 0; i < 3; i++)
    if (p->c[i]) {
      sqlite3_free(p->c[i]->bytes);
      sqlite3_free(p->c[i]);
    }
  return rc;
}

int scan_load_meals(Scan *s) {
  Pipe p;
  int rc;
  if (!s->mst && !s->pr) {
    if (!s->feed) {
      if (!(s->feed = sqlite3_malloc(sizeof *s->feed))) return SQLITE_NOMEM;
      memset(s->feed, 0, sizeof *s->feed);
      s->feed->kind = SCAN_FEED;
      s->feed->s = s;
    }
    zc_day_format(s->lo, s->ra);
    zc_day_format(s->next, s->rb);
    raw_open(s);
  }
  if (!s->mst && !s->pr) {
    rc = scan_prepare(s, &s->mst,
                      "SELECT id, elder_id, site_id, served_at, slot, method, token FROM meal "
                      "WHERE (elder_id, served_at) >= (?1, ?2) "
                      "AND zhucan_scan_row(?3, id, elder_id, site_id, served_at, slot, method, token) "
                      "ORDER BY elder_id, served_at, id");
    if (rc) return rc;
    sqlite3_bind_int64(s->mst, 1, INT64_MIN);
    sqlite3_bind_text(s->mst, 2, s->ra, 10, SQLITE_STATIC);
    sqlite3_bind_pointer(s->mst, 3, s->feed, SCAN_PTR, NULL);
  }
  s->nm = 0;
  if (s->mdone) return SQLITE_OK;
  rc = pipe_open(&p, s);
  if (rc == SQLITE_OK) rc = s->pr ? read_raw(&p) : read_rows(&p, s->mst);
  rc = pipe_close(&p, rc);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (!*s->pzErr && rc != SQLITE_NOMEM)
    *s->pzErr = sqlite3_mprintf(zc_tr(s->zc, "anomaly_scan: reading meals: %s", "anomaly_scan：读取就餐记录时出错：%s"), sqlite3_errmsg(s->zc->db));
  return rc;
}
