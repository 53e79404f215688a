/*
** run.c — stored settlement runs and their audit replay:
**
**   SELECT settle('141129', '2024-03');                -- 1: the new run id
**   SELECT settle('141129', '2024-03', 'supersede');   -- 2; run 1 gets superseded_by = 2
**
** settle(region, month [, 'supersede']) computes the month with
** zc_month_compute (settle.c, the same pass settlement() uses, so the same
** money path) and stores it, in one SAVEPOINT, in these tables (created on
** first use, each guarded by triggers that refuse UPDATE and DELETE):
**
**   zhucan_run        one row per run: region, month, created_at, the policy
**                     versions used (JSON), the policy horizon (the highest
**                     version id installed at settle time), input and output
**                     digests (sha256 hex), superseded_by, meals,
**                     subsidised_meals, total_fen.  The one update allowed:
**                     superseded_by from NULL to a later run of the same
**                     region and month.
**   zhucan_run_pack   one row per elder of the run: the elder's meals at the
**                     region's sites as settled (columns, the ordinals and
**                     version the rules saw, the subsidy and its parts
**                     '{"county":500}') in one blob (pack.c).  seq = run_id
**                     << 32 | the ordinal of its first meal, so a run's
**                     packs are one rowid range in (elder_id, served_at, id)
**                     order.
**   zhucan_run_meal   a VIEW: one row per meal, the packs opened by
**                     zhucan_run_unpack (and the rows of runs stored before
**                     packs, in zhucan_run_meal_v1).
**   zhucan_run_elder  per elder of the run (WITHOUT ROWID, key run_id,
**                     elder_id): sex, birth, region, died_on and the
**                     status / agreement / bed-stay intervals overlapping the
**                     month, as canonical text ("dibao 2020-01-01..;...").
**   zhucan_run_site   per site of the run: the site facts the rules saw,
**                     and stats: the JSON of the numbers site() was given.
**   zhucan_run_item   per site() item: site, item, payer, quantity, fen.
**   zhucan_run_line   a VIEW of the lines: one per subsidised meal and payer,
**                     the elder's co-payment, and the site items.
**
** The input digest is sha256 over a canonical, explicitly serialised stream
** (integers as zigzag LEB128 varints, strings length-prefixed): the policy
** versions used (id, name, effective_from, sha256), the facts of every site (with the stats its site() was given)
** of the run, and the meals in (elder_id, served_at, id) order: before an
** elder's first meal of a day the elder facts the rules saw that day (a
** record "F"), then per meal (a record "M") its columns, ordinals, version
** and agreement with its site.  The output digest is
** sha256 over the lines in the same order (meal parts in payer order, the
** co-payment, then the site items).  See docs/auditing.md.
**
** replay() (replay.c) recomputes a run and names what changed.
*/
#include "modules.h"
#include "month.h"
#include "pack.h"
#include "digest.h"
#include "precond.h"
#include "runrec.h"
#include "runschema.h"
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- settle() */

typedef struct VerRef {
  const ZcPolicyVersion *v;
} VerRef;

typedef struct Settle {
  ZcConn *zc;
  sqlite3_int64 run;
  int first, next;
  sqlite3_int64 nmeal, nitem, subsidised, total;
  sqlite3_stmt *ins_pack, *ins_item;
  /* the current elder's meals, written as one pack when the next elder
  ** comes (pack.c) */
  ZcPackW pack;
  sqlite3_int64 pack_elder, pack_seq;
  /* the digests' streams, hashed 64 KiB at a time */
  struct sha256_ctx in_meals, out;
  ZcBuf hin, hout;
  const void *site_seen[256];  /* sites already in the sites map, by id % 256 */
  ZcBuf row;
  struct {          /* the JSON of recent parts (an elder's slots alternate) */
    int n;          /* -1: empty */
    ZcPart parts[ZC_MAX_PARTS];
    ZcBuf json;
  } pj[4];
  int pj_next;
  const ZcMonthSink *sink;
  RepStr rep[4];           /* slot, method, device, token of the elder's last meal */
  const void *fact_elder;  /* the elder and day of the last meal */
  int fact_day;
  ZcElderFacts fact_last;     /* the elder facts last written */
  ZcMap elders;     /* elder id -> (intptr) ZcElderRec* */
  ZcMap sites;      /* site id -> (intptr) ZcSiteFacts* */
  ZcMap stats;      /* site id -> (intptr) char* JSON of the stats site() saw */
  ZcMap vers;       /* version id -> (intptr) ZcPolicyVersion* */
  const void *last_elder, *last_site, *last_v;  /* skip repeated lookups */
  ZcRowHash rh[ZC_RT_N];     /* the stored rows, table by table (digest.h) */
} Settle;

static int seen(ZcMap *m, sqlite3_int64 key, const void *p) {
  int isnew;
  sqlite3_int64 *v = zc_map_slot(m, key, 1, &isnew);
  if (!v) return SQLITE_NOMEM;
  if (isnew) *v = (sqlite3_int64)(intptr_t)p;
  return SQLITE_OK;
}

/* Hashes what waits in b once there is enough of it (or all, at the end). */

static void ser_status(ZcConn *zc, ZcBuf *b, uint64_t status) {
  /* fixed words by their fixed bit; other words by name, in name order */
  uint64_t fixed = status & (((uint64_t)1 << ZC_ST_NFIXED) - 1);
  ser_u64(b, fixed);
  const char *names[ZC_MAX_STATUS];
  int n = 0;
  for (int i = ZC_ST_NFIXED; i < ZC_MAX_STATUS; i++)
    if (status & ((uint64_t)1 << i)) names[n++] = zc_status_name(zc, i);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      const char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  ser_u64(b, (uint64_t)n);
  for (int i = 0; i < n; i++) ser_str(b, names[i]);
}

/* Payer words of a result as the JSON object stored in parts. */
/* Writes the current elder's pack. */
static int pack_flush(Settle *s) {
  if (s->pack.count == 0) return SQLITE_OK;
  if (s->pack.oom) return SQLITE_NOMEM;
  sqlite3_stmt *st = s->ins_pack;
  sqlite3_bind_int64(st, 1, s->pack_seq);
  sqlite3_bind_int64(st, 2, s->pack_elder);
  sqlite3_bind_int(st, 3, s->pack.count);
  sqlite3_bind_blob64(st, 4, s->pack.z, s->pack.n, SQLITE_STATIC);
  /* the row as stored: seq, run_id, elder_id, meals, data */
  ZcRowHash *h = &s->rh[ZC_RT_PACK];
  zc_rh_int(h, s->pack_seq);
  zc_rh_int(h, s->run);
  zc_rh_int(h, s->pack_elder);
  zc_rh_int(h, s->pack.count);
  zc_rh_blob(h, s->pack.z, s->pack.n);
  zc_rh_row(h);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  s->pack.count = 0;
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int str_len(const char *z) { return z ? (int)strlen(z) : 0; }

/* The elder facts record of the input digest: every elder field of
** fields.h, in its order (x: the field's value in f). */
#define ZF_SER_I64(x) ser_i64(b, (x))
#define ZF_SER_INTN(x) ser_i64(b, (x))
#define ZF_SER_ID0(x) ser_i64(b, (x))
#define ZF_SER_SEX(x) ser_i64(b, (x))
#define ZF_SER_DAY(x) ser_i64(b, (x))
#define ZF_SER_BOOL(x) ser_i64(b, (x))
#define ZF_SER_STR(x) ser_str(b, (x))
#define ZF_SER_STATUS(x) ser_status(zc, b, (x))
static void ser_facts(ZcConn *zc, ZcBuf *b, const ZcElderFacts *e) {
#define ZF_SER_FIELD_(K, N, name, T, expr) ZF_SER_##T(expr);
  ZC_ELDER_FIELDS(ZF_SER_FIELD_)
#undef ZF_SER_FIELD_
}

static int str_eq(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }
#define ZF_EQ_I64(x, y) ((x) == (y))
#define ZF_EQ_INTN(x, y) ((x) == (y))
#define ZF_EQ_ID0(x, y) ((x) == (y))
#define ZF_EQ_SEX(x, y) ((x) == (y))
#define ZF_EQ_DAY(x, y) ((x) == (y))
#define ZF_EQ_BOOL(x, y) (((x) != 0) == ((y) != 0))
#define ZF_EQ_STR(x, y) str_eq((x), (y))
#define ZF_EQ_STATUS(x, y) ((x) == (y))
/* 1 if a and b agree on every elder field of fields.h */
static int facts_equal(const ZcElderFacts *a, const ZcElderFacts *b) {
  const ZcElderFacts *e;
#define ZF_EQ_FIELD_(K, N, name, T, expr) \
  {                                       \
    e = a;                                \
    __typeof__(expr) x_ = (expr);         \
    e = b;                                \
    if (!ZF_EQ_##T(x_, (expr))) return 0; \
  }
  ZC_ELDER_FIELDS(ZF_EQ_FIELD_)
#undef ZF_EQ_FIELD_
  return 1;
}

/* The elder, site and version of a meal are in the run's maps (for the
** snapshots and the versions list); repeats are skipped cheaply. */
static int note_refs(Settle *s, const ZcElderRec *e, const ZcSiteFacts *site, const ZcPolicyVersion *v) {
  int rc;
  if (e != s->last_elder && (rc = seen(&s->elders, e->id, e))) return rc;
  if (site != s->last_site && s->site_seen[site->id & 255] != site) {
    if ((rc = seen(&s->sites, site->id, site))) return rc;
    s->site_seen[site->id & 255] = site;
  }
  if (v != s->last_v && (rc = seen(&s->vers, v->id, v))) return rc;
  s->last_elder = e;
  s->last_site = site;
  s->last_v = v;
  return SQLITE_OK;
}

/* Input: the elder facts of the day (record "F"), once per elder and day
** (meals come elder by elder, in time order), and only when they differ
** from the last record written (most of an elder's facts do not change
** within the month). */
static void input_facts(Settle *s, const ZcMealFacts *m, const ZcElderRec *e) {
  if (e == s->fact_elder && m->day == s->fact_day) return;
  /* the facts eligible() saw (the month pass's), else built here */
  ZcElderFacts fb;
  const ZcElderFacts *fp = s->sink ? s->sink->day_facts : NULL;
  if (!fp || fp->id != e->id) {
    zc_elder_facts(s->zc, e, m->day, 0, &fb);
    fp = &fb;
  }
  const ZcElderFacts f = *fp;
  int same = e == s->fact_elder && facts_equal(&f, &s->fact_last);
  if (e != s->fact_elder)
    for (int i = 0; i < 4; i++) s->rep[i].n = -1;
  s->fact_elder = e;
  s->fact_day = m->day;
  if (same) return;
  s->fact_last = f;
  ser_str(&s->hin, "F");
  ser_i64(&s->hin, m->day);
  ser_facts(s->zc, &s->hin, &f);
}

/* Input: the meal (record "M"): its columns, ordinals, version and
** agreement with its site; strings repeated from the elder's last meal are
** written as a reference (put_rep). */
static int input_meal(Settle *s, const ZcMealFacts *m, const ZcElderRec *e, const ZcSiteFacts *site,
                      const ZcPolicyVersion *v, const size_t len[4]) {
  ZcBuf *b = &s->hin;
  if (!zc_buf_need(b, PUT_ROOM(16, 1 + len[0] + len[1] + len[2] + len[3]))) return SQLITE_NOMEM;
  unsigned char *t = (unsigned char *)b->z + b->n;
  t = put_str(t, "M", 1);
  t = put_i64(t, m->id);
  t = put_i64(t, e->id);
  t = put_i64(t, m->site_id);
  t = put_i64(t, m->served_at);
  t = put_rep(t, &s->rep[0], m->slot, len[0]);
  t = put_rep(t, &s->rep[1], m->method, len[1]);
  t = put_rep(t, &s->rep[2], m->device, len[2]);
  t = put_rep(t, &s->rep[3], m->token, len[3]);
  t = put_i64(t, m->price_fen);
  t = put_i64(t, m->nth_slot);
  t = put_i64(t, m->nth_day);
  t = put_i64(t, m->nth_month);
  t = put_i64(t, v->id);
  t = put_i64(t, zc_elder_agreement(e, m->day, site->id));
  b->n = (size_t)(t - (unsigned char *)b->z);
  hash_some(&s->in_meals, b, 0);
  return SQLITE_OK;
}

/* Input: the part of a meal's co-payment its credit_redemption rows pay
** (record "C": meal id, fen), after its "M", only for a meal that has one. */
static int input_credit(Settle *s, const ZcMealFacts *m, sqlite3_int64 credit) {
  ZcBuf *b = &s->hin;
  if (!zc_buf_need(b, PUT_ROOM(3, 1))) return SQLITE_NOMEM;
  unsigned char *t = (unsigned char *)b->z + b->n;
  t = put_str(t, "C", 1);
  t = put_i64(t, m->id);
  t = put_i64(t, credit);
  b->n = (size_t)(t - (unsigned char *)b->z);
  hash_some(&s->in_meals, b, 0);
  return SQLITE_OK;
}

/* The JSON of r's parts: most meals repeat a recent meal's parts, whose
** JSON is reused (payer words are interned: equal words are equal
** pointers).  NULL on OOM. */
static const ZcBuf *parts_text(Settle *s, const ZcMealResult *r) {
  int k = 0;
  for (; k < 4; k++) {
    if (s->pj[k].n != r->nparts) continue;
    int i = 0;
    while (i < r->nparts && s->pj[k].parts[i].payer == r->parts[i].payer && s->pj[k].parts[i].fen == r->parts[i].fen)
      i++;
    if (i == r->nparts) return &s->pj[k].json;
  }
  k = s->pj_next;
  s->pj_next = (k + 1) % 4;
  zc_parts_json(&s->pj[k].json, r);
  if (s->pj[k].json.oom) return NULL;
  s->pj[k].n = r->nparts;
  memcpy(s->pj[k].parts, r->parts, (size_t)r->nparts * sizeof(ZcPart));
  return &s->pj[k].json;
}

/* Output: one line per payer, then the co-payment: the part points paid
** ('credit', only when there is one), the rest ('elder'). */
static int output_lines(Settle *s, const ZcMealFacts *m, const ZcElderRec *e, const ZcMealResult *r,
                        sqlite3_int64 credit) {
  ZcBuf *b = &s->hout;
  size_t room = PUT_ROOM(5 * (r->nparts + 2), 2 * (r->nparts + 2) + 11);
  for (int i = 0; i < r->nparts; i++) room += strlen(r->parts[i].payer);
  if (!zc_buf_need(b, room)) return SQLITE_NOMEM;
  unsigned char *t = (unsigned char *)b->z + b->n;
  for (int i = 0; i < r->nparts; i++) {
    t = put_str(t, "L", 1);
    t = put_i64(t, m->id);
    t = put_i64(t, e->id);
    t = put_i64(t, m->site_id);
    t = put_str(t, r->parts[i].payer, strlen(r->parts[i].payer));
    t = put_i64(t, r->parts[i].fen);
  }
  if (credit > 0) {
    t = put_str(t, "L", 1);
    t = put_i64(t, m->id);
    t = put_i64(t, e->id);
    t = put_i64(t, m->site_id);
    t = put_str(t, "credit", 6);
    t = put_i64(t, credit);
  }
  if (m->price_fen - r->total - credit != 0) {
    t = put_str(t, "L", 1);
    t = put_i64(t, m->id);
    t = put_i64(t, e->id);
    t = put_i64(t, m->site_id);
    t = put_str(t, "elder", 5);
    t = put_i64(t, m->price_fen - r->total - credit);
  }
  b->n = (size_t)(t - (unsigned char *)b->z);
  hash_some(&s->out, b, 0);
  return SQLITE_OK;
}

/* The run's total past 2^63 fen: an error, never a wrap. */
static int settle_overflow(const ZcConn *zc, char **pzErr) {
  *pzErr = sqlite3_mprintf(zc_tr(zc, "settle: the run's amounts add up to more than 2^63 fen", "settle：这个批次的金额加起来超过 2^63 分"));
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* The month pass's xMeal: the meal into both digests and its elder's pack. */
static int settle_meal(void *p, const ZcMealFacts *m, const ZcElderRec *e, const ZcSiteFacts *site,
                       const ZcPolicyVersion *v, const ZcMealResult *r, char **pzErr) {
  Settle *s = p;
  int rc;
  (void)pzErr;
  if ((rc = note_refs(s, e, site, v))) return rc;
  input_facts(s, m, e);
  size_t len[4] = {(size_t)str_len(m->slot), (size_t)str_len(m->method), (size_t)str_len(m->device),
                   (size_t)str_len(m->token)};
  if ((rc = input_meal(s, m, e, site, v, len))) return rc;
  /* stored: the meal in its elder's pack */
  if (s->pack.count == 0 || e->id != s->pack_elder) {
    if ((rc = pack_flush(s))) return rc;
    zc_pack_begin(&s->pack);
    s->pack_elder = e->id;
    s->pack_seq = (s->run << 32) | s->nmeal;
  }
  s->nmeal++;
  ZcPackMeal x;
  x.id = m->id;
  x.site = m->site_id;
  x.served_at = m->served_at;
  x.price = m->price_fen;
  x.version = v->id;
  x.subsidy = r->total;
  x.nth[0] = m->nth_slot;
  x.nth[1] = m->nth_day;
  x.nth[2] = m->nth_month;
  x.s[0] = m->slot, x.n[0] = (int)len[0];
  x.s[1] = m->method, x.n[1] = (int)len[1];
  x.s[2] = m->device, x.n[2] = (int)len[2];
  x.s[3] = m->token, x.n[3] = (int)len[3];
  x.s[4] = NULL, x.n[4] = 0;
  x.credit = zc_meal_credit(m, r);
  if (x.credit > 0 && (rc = input_credit(s, m, x.credit))) return rc;
  if (r->total > 0) {
    const ZcBuf *pj = parts_text(s, r);
    if (!pj) return SQLITE_NOMEM;
    x.s[4] = pj->z;
    x.n[4] = (int)pj->n;
    if ((rc = output_lines(s, m, e, r, x.credit))) return rc;
    s->subsidised++;
    if (!zc_add_fen(&s->total, r->total)) return settle_overflow(s->zc, pzErr);
  }
  zc_pack_meal(&s->pack, &x);
  return s->pack.oom ? SQLITE_NOMEM : SQLITE_OK;
}

static int settle_site(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteStats *t,
                       char **pzErr) {
  Settle *s = p;
  int isnew, rc;
  (void)pzErr;
  if ((rc = seen(&s->sites, site->id, site)) || (rc = seen(&s->vers, v->id, v))) return rc;
  sqlite3_int64 *slot = zc_map_slot(&s->stats, site->id, 1, &isnew);
  if (!slot) return SQLITE_NOMEM;
  if (!isnew) sqlite3_free((char *)(intptr_t)*slot);
  char *j = zc_stats_json(t);
  *slot = (sqlite3_int64)(intptr_t)j;
  return j ? SQLITE_OK : SQLITE_NOMEM;
}

static int settle_item(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteItem *it,
                       char **pzErr) {
  Settle *s = p;
  sqlite3_stmt *st = s->ins_item;
  int rc;
  (void)pzErr;
  if ((rc = seen(&s->sites, site->id, site)) || (rc = seen(&s->vers, v->id, v))) return rc;
  ZcBuf *b = &s->hout;
  ser_str(b, "I");
  ser_i64(b, site->id);
  ser_str(b, it->item);
  ser_str(b, it->payer);
  ser_i64(b, it->quantity);
  ser_i64(b, it->fen);
  if (b->oom) return SQLITE_NOMEM;
  hash_some(&s->out, b, 0);
  if (!zc_add_fen(&s->total, it->fen)) return settle_overflow(s->zc, pzErr);
  sqlite3_int64 seq = (s->run << 32) | s->nitem;
  sqlite3_bind_int64(st, 1, seq);
  s->nitem++;
  sqlite3_bind_int64(st, 2, site->id);
  sqlite3_bind_text(st, 3, it->item, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, it->payer, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, it->quantity);
  sqlite3_bind_int64(st, 6, it->fen);
  sqlite3_bind_int64(st, 7, v->id);
  /* as stored: seq, run_id, site_id, item, payer, quantity, amount_fen, version_id */
  ZcRowHash *h = &s->rh[ZC_RT_ITEM];
  zc_rh_int(h, seq);
  zc_rh_int(h, s->run);
  zc_rh_int(h, site->id);
  zc_rh_text(h, it->item, strlen(it->item));
  zc_rh_text(h, it->payer, strlen(it->payer));
  zc_rh_int(h, it->quantity);
  zc_rh_int(h, it->fen);
  zc_rh_int(h, v->id);
  zc_rh_row(h);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The keys of a map, sorted (sqlite3_malloc'd). */
static int map_keys(const ZcMap *m, sqlite3_int64 **out, size_t *pn) {
  size_t n = 0;
  sqlite3_int64 *a = sqlite3_malloc64((m->n ? m->n : 1) * sizeof *a);
  if (!a) return SQLITE_NOMEM;
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] != INT64_MIN) a[n++] = m->keys[i];
  *out = a;
  *pn = n;
  return SQLITE_OK;
}

static int sorted_keys(const ZcMap *m, sqlite3_int64 **out, size_t *pn) {
  int rc = map_keys(m, out, pn);
  if (rc == SQLITE_OK) qsort(*out, *pn, sizeof **out, zc_i64_cmp);
  return rc;
}

static sqlite3_int64 map_get(ZcMap *m, sqlite3_int64 key) {
  sqlite3_int64 *v = zc_map_slot(m, key, 0, NULL);
  return v ? *v : 0;
}

/* Binding a stored row's values, each also fed to the table's row hash
** in column order (what run_verify will read back). */
static void bt(sqlite3_stmt *st, int i, ZcRowHash *h, const char *z) {
  if (z) sqlite3_bind_text(st, i, z, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_null(st, i);
  zc_rh_text(h, z, z ? strlen(z) : 0);
}
static void bi(sqlite3_stmt *st, int i, ZcRowHash *h, sqlite3_int64 v) {
  sqlite3_bind_int64(st, i, v);
  zc_rh_int(h, v);
}
static void bn(sqlite3_stmt *st, int i, ZcRowHash *h) {
  sqlite3_bind_null(st, i);
  zc_rh_null(h);
}
static void br(sqlite3_stmt *st, int i, ZcRowHash *h, double v) {
  sqlite3_bind_double(st, i, v);
  zc_rh_real(h, v);
}

/* The elders of the run: their snapshot rows. */
static int settle_elders(Settle *s) {
  ZcConn *zc = s->zc;
  sqlite3_stmt *st = NULL;
  sqlite3_int64 *keys = NULL;
  size_t n = 0;
  int rc;
  ZcElderSnap es;
  memset(&es, 0, sizeof es);
  rc = sqlite3_prepare_v2(zc->db,
                          "INSERT INTO zhucan_run_elder(run_id, elder_id, sex, birth, region, died_on, status, "
                          "agreement, bed) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                          -1, &st, NULL);
  if (rc) goto error;
  if ((rc = sorted_keys(&s->elders, &keys, &n))) goto error;
  for (size_t i = 0; i < n; i++) {
    const ZcElderRec *e = (const ZcElderRec *)(intptr_t)map_get(&s->elders, keys[i]);
    if ((rc = zc_elder_snap_make(zc, e, s->first, s->next, &es))) goto error;
    ZcRowHash *h = &s->rh[ZC_RT_ELDER];
    bi(st, 1, h, s->run);
    bi(st, 2, h, e->id);
    bt(st, 3, h, es.sex[0] ? es.sex : NULL);
    bt(st, 4, h, es.birth);
    bt(st, 5, h, es.region);
    bt(st, 6, h, es.died_on);
    bt(st, 7, h, es.status);
    bt(st, 8, h, es.agreement);
    bt(st, 9, h, es.bed);
    zc_rh_row(h);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    zc_elder_snap_free(&es);
    if (rc != SQLITE_DONE) goto error;
  }
  rc = SQLITE_OK;
error:
  zc_elder_snap_free(&es);
  sqlite3_free(keys);
  sqlite3_finalize(st);
  return rc;
}

/* The sites of the run: snapshot rows and the digest section. */
static int settle_snapshots(Settle *s, struct sha256_ctx *in, char **pzErr) {
  ZcConn *zc = s->zc;
  sqlite3_stmt *st = NULL;
  sqlite3_int64 *keys = NULL;
  size_t n = 0;
  int rc;
  if ((rc = settle_elders(s))) goto error;
  rc = sqlite3_prepare_v2(zc->db,
                          "INSERT INTO zhucan_run_site(run_id, site_id, name, kind, grade, beds, area_m2, "
                          "opened_on, closed_on, slots, region, stats) "
                          "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                          -1, &st, NULL);
  if (rc) goto error;
  if ((rc = sorted_keys(&s->sites, &keys, &n))) goto error;
  for (size_t i = 0; i < n; i++) {
    const ZcSiteFacts *f = (const ZcSiteFacts *)(intptr_t)map_get(&s->sites, keys[i]);
    char op[11], cl[11], sl[24];
    zc_day_format(f->opened_on, op);
    if (f->closed_on != ZC_NONE) zc_day_format(f->closed_on, cl);
    zc_slots_text(f->slots, sl);
    ZcBuf *b = &s->row;
    b->n = 0;
    ser_i64(b, f->id);
    ser_str(b, f->name);
    ser_str(b, f->kind);
    ser_i64(b, f->grade);
    ser_i64(b, f->beds);
    ser_double(b, f->area_m2);
    ser_i64(b, f->opened_on);
    ser_i64(b, f->closed_on);
    ser_i64(b, f->slots);
    ser_str(b, f->region);
    ser_str(b, f->village);
    ser_str(b, f->township);
    ser_str(b, f->county);
    /* what site() was given: meals, diners, days, residents by bed stay */
    sqlite3_int64 *sj = zc_map_slot(&s->stats, f->id, 0, NULL);
    const char *stats = sj ? (const char *)(intptr_t)*sj : NULL;
    ser_str(b, stats);
    if (b->oom) { rc = SQLITE_NOMEM; goto error; }
    sha256_update(in, b->n, (const uint8_t *)b->z);
    ZcRowHash *h = &s->rh[ZC_RT_SITE];
    bi(st, 1, h, s->run);
    bi(st, 2, h, f->id);
    bt(st, 3, h, f->name);
    bt(st, 4, h, f->kind);
    if (f->grade == ZC_NONE) bn(st, 5, h);
    else bi(st, 5, h, f->grade);
    bi(st, 6, h, f->beds);
    if (f->area_m2 != f->area_m2) bn(st, 7, h);
    else br(st, 7, h, f->area_m2);
    bt(st, 8, h, f->opened_on == ZC_NONE ? NULL : op);
    bt(st, 9, h, f->closed_on == ZC_NONE ? NULL : cl);
    bt(st, 10, h, sl);
    bt(st, 11, h, f->region);
    bt(st, 12, h, stats);
    zc_rh_row(h);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) goto error;
  }
  rc = SQLITE_OK;
error:
  if (rc != SQLITE_OK && !*pzErr)
    *pzErr = sqlite3_mprintf(zc_tr(zc, "settle: storing the run's facts: %s", "settle：保存批次的事实资料时出错：%s"), sqlite3_errmsg(zc->db));
  sqlite3_free(keys);
  sqlite3_finalize(st);
  return rc;
}

static int ver_cmp(const void *a, const void *b) {
  const ZcPolicyVersion *x = *(const ZcPolicyVersion *const *)a, *y = *(const ZcPolicyVersion *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* JSON list of the versions used, in id order, and their digest section. */
static int versions_json(Settle *s, struct sha256_ctx *in, char **out) {
  sqlite3_int64 *keys = NULL;
  size_t n = 0;
  const ZcPolicyVersion **vs = NULL;
  ZcBuf j;
  memset(&j, 0, sizeof j);
  int rc = map_keys(&s->vers, &keys, &n);
  if (rc) return rc;
  vs = sqlite3_malloc64((n ? n : 1) * sizeof *vs);
  if (!vs) { sqlite3_free(keys); return SQLITE_NOMEM; }
  for (size_t i = 0; i < n; i++) vs[i] = (const ZcPolicyVersion *)(intptr_t)map_get(&s->vers, keys[i]);
  qsort(vs, n, sizeof *vs, ver_cmp);
  ZcBuf *b = &s->row;
  b->n = 0;
  ser_u64(b, n);
  zc_buf_add(&j, "[", 1);
  for (size_t i = 0; i < n; i++) {
    ser_i64(b, vs[i]->id);
    ser_str(b, vs[i]->name);
    ser_str(b, vs[i]->effective_text);
    ser_str(b, vs[i]->sha256);
    if (i) zc_buf_add(&j, ",", 1);
    zc_buf_str(&j, "{\"id\":");
    zc_buf_int(&j, vs[i]->id);
    zc_buf_str(&j, ",\"name\":");
    zc_buf_json_str(&j, vs[i]->name);
    zc_buf_str(&j, ",\"effective_from\":");
    zc_buf_json_str(&j, vs[i]->effective_text);
    zc_buf_str(&j, ",\"sha256\":");
    zc_buf_json_str(&j, vs[i]->sha256);
    zc_buf_str(&j, "}");
  }
  zc_buf_add(&j, "]", 1);
  sqlite3_free(keys);
  sqlite3_free((void *)vs);
  if (b->oom || j.oom) {
    zc_buf_free(&j);
    return SQLITE_NOMEM;
  }
  sha256_update(in, b->n, (const uint8_t *)b->z);
  *out = j.z;
  return SQLITE_OK;
}

/* What one settle() call works with besides the pass's state. */
typedef struct SettleCall {
  ZcConn *zc;
  ZcCaller caller;             /* the statement execution settle() runs in */
  const char *region;          /* our own copy: the facts caches own the code */
  char month[8];
  int supersede;
  ZcCover cover;               /* the sites the run pays (precond.h) */
  ZcOverlap *ov;               /* the current runs it overlaps (superseded by it) */
  int nov;
  char *supersedes;            /* their ids, JSON; NULL if none */
  sqlite3_int64 horizon;       /* the highest policy version id installed */
  char *vjson;                 /* the versions used, JSON */
  char created_at[20];
  char in_hex[65], out_hex[65], rows_hex[65], chain_hex[65];
} SettleCall;

/* settle's third argument: 'supersede' or absent. */
static int settle_mode(SettleCall *k, int argc, sqlite3_value **argv, char **pzErr) {
  if (argc == 3) {
    const char *mode = (const char *)sqlite3_value_text(argv[2]);
    if (sqlite3_value_type(argv[2]) != SQLITE_TEXT || strcmp(mode, "supersede") != 0) {
      char *r = zc_value_repr(argv[2]);
      *pzErr = sqlite3_mprintf(zc_tr(k->zc, "settle: third argument %s is not 'supersede'",
                                     "settle：第三个参数 %s 不是 'supersede'"), r ? r : "?");
      sqlite3_free(r);
      return SQLITE_ERROR;
    }
    k->supersede = 1;
  }
  return SQLITE_OK;
}

/* settle(region, month, ...): the region must exist, the month be
** 'YYYY-MM'. */
static int settle_args(Settle *s, SettleCall *k, sqlite3_value **argv, char **pzErr) {
  const char *region = NULL;
  int rc;
  if ((rc = zc_facts_sync(s->zc))) return rc;
  if ((rc = zc_month_args(s->zc, "settle", argv[0], argv[1], &region, &s->first, &s->next, pzErr))) return rc;
  if ((k->region = sqlite3_mprintf("%s", region)) == NULL) return SQLITE_NOMEM;
  zc_month_format(s->first, k->month);
  return SQLITE_OK;
}

/* What must hold before anything is computed (precond.c): the month
** has ended, no other current run pays its sites (unless superseding),
** every open site-day has a policy in force. */
static int settle_checks(Settle *s, SettleCall *k, char **pzErr) {
  ZcConn *zc = s->zc;
  int rc;
  if ((rc = zc_month_ended(zc, "settle", k->month, s->next, pzErr))) return rc;
  if ((rc = zc_cover_of(zc, "settle", k->region, &k->cover, pzErr))) return rc;
  if ((rc = zc_overlaps(zc, k->region, k->month, &k->cover, &k->ov, &k->nov, pzErr))) return rc;
  if ((rc = zc_overlap_check(zc, k->region, k->month, k->supersede, k->ov, k->nov, pzErr))) return rc;
  if (k->nov > 0) {
    ZcBuf j;
    memset(&j, 0, sizeof j);
    zc_buf_add(&j, "[", 1);
    for (int i = 0; i < k->nov; i++) {
      if (i) zc_buf_add(&j, ",", 1);
      zc_buf_int(&j, k->ov[i].run);
    }
    zc_buf_add(&j, "]", 2);   /* with the NUL */
    if (j.oom) {
      zc_buf_free(&j);
      return SQLITE_NOMEM;
    }
    k->supersedes = j.z;
  }
  return zc_policy_gaps(zc, "settle", &k->cover, s->first, s->next, pzErr);
}

/* The new run's id and horizon, and the statements its rows go through. */
static int settle_prepare(Settle *s, SettleCall *k) {
  sqlite3 *db = s->zc->db;
  int rc;
  if (zc_table_exists(db, "zhucan_policy") &&
      (rc = zc_query_int(db, "SELECT max(id) FROM zhucan_policy", &k->horizon)))
    return rc;
  if ((rc = zc_query_int(db, "SELECT coalesce(max(id), 0) + 1 FROM zhucan_run", &s->run))) return rc;
  for (int t = 0; t < ZC_RT_N; t++) zc_rh_init(&s->rh[t], t, s->run);
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(db, "SELECT datetime('now', '+8 hours')", -1, &st, NULL))) return rc;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 19)
    memcpy(k->created_at, sqlite3_column_text(st, 0), 20);
  sqlite3_finalize(st);
  if (!k->created_at[0]) return SQLITE_NOMEM;
  /* the sites it pays */
  if ((rc = sqlite3_prepare_v2(db, "INSERT INTO zhucan_run_cover(run_id, site_id) VALUES(?1, ?2)", -1, &st, NULL)))
    return rc;
  ZcRowHash *h = &s->rh[ZC_RT_COVER];
  for (size_t i = 0; i < k->cover.n && rc == SQLITE_OK; i++) {
    bi(st, 1, h, s->run);
    bi(st, 2, h, k->cover.ids[i]);
    zc_rh_row(h);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  if (rc) return rc;
  rc = sqlite3_prepare_v2(db, "INSERT INTO zhucan_run_pack(seq, run_id, elder_id, meals, data) VALUES(?1,?5,?2,?3,?4)",
                          -1, &s->ins_pack, NULL);
  if (rc) return rc;
  sqlite3_bind_int64(s->ins_pack, 5, s->run);
  rc = sqlite3_prepare_v2(db,
                          "INSERT INTO zhucan_run_item(seq, run_id, site_id, item, payer, quantity, amount_fen, "
                          "version_id) VALUES(?1,?8,?2,?3,?4,?5,?6,?7)",
                          -1, &s->ins_item, NULL);
  if (rc) return rc;
  sqlite3_bind_int64(s->ins_item, 8, s->run);
  return SQLITE_OK;
}

/* The input digest: header, versions, snapshots, then the meal stream
** hashed during the pass; the output digest: the lines' stream. */
static int settle_digests(Settle *s, SettleCall *k, char **pzErr) {
  struct sha256_ctx in;
  uint8_t d[SHA256_DIGEST_SIZE];
  int rc;
  sha256_init(&in);
  ZcBuf *b = &s->row;
  b->n = 0;
  ser_str(b, "zhucan input 2");
  ser_str(b, k->region);
  ser_str(b, k->month);
  if (b->oom) return SQLITE_NOMEM;
  sha256_update(&in, b->n, (const uint8_t *)b->z);
  if ((rc = versions_json(s, &in, &k->vjson))) return rc;
  if ((rc = settle_snapshots(s, &in, pzErr))) return rc;
  hash_some(&s->in_meals, &s->hin, 1);
  hash_some(&s->out, &s->hout, 1);
  if (s->hin.oom || s->hout.oom) return SQLITE_NOMEM;
  sha256_digest(&s->in_meals, SHA256_DIGEST_SIZE, d);
  sha256_update(&in, SHA256_DIGEST_SIZE, d);
  sha256_digest(&in, SHA256_DIGEST_SIZE, d);
  hex32(d, k->in_hex);
  sha256_digest(&s->out, SHA256_DIGEST_SIZE, d);
  hex32(d, k->out_hex);
  /* the stored rows, and the link from the run before */
  char tables[ZC_RT_N][65];
  for (int t = 0; t < ZC_RT_N; t++)
    if ((rc = zc_rh_end(&s->rh[t], tables[t]))) return rc;
  zc_rows_digest(s->run, tables, k->rows_hex);
  char prev[65];
  memset(prev, '0', 64);
  prev[64] = 0;
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(s->zc->db, "SELECT chain FROM zhucan_run WHERE id < ?1 ORDER BY id DESC LIMIT 1", -1,
                               &st, NULL)))
    return rc;
  sqlite3_bind_int64(st, 1, s->run);
  if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 64)
    memcpy(prev, sqlite3_column_text(st, 0), 64);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
  ZcRunHead r = {s->run,      k->horizon,   s->nmeal,     s->subsidised, s->total,  (sqlite3_int64)k->cover.n,
                 k->region,   k->month,     k->created_at, k->vjson,     k->in_hex, k->out_hex,
                 k->rows_hex, k->supersedes};
  return zc_chain(prev, &r, k->chain_hex);
}

/* The run's row, and the runs it overlaps marked superseded by it. */
static int settle_insert(Settle *s, SettleCall *k) {
  sqlite3 *db = s->zc->db;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT INTO zhucan_run(id, region, month, created_at, policy_versions, policy_horizon, "
                              "input_digest, output_digest, superseded_by, meals, subsidised_meals, total_fen, "
                              "sites, supersedes, rows_digest, chain) "
                              "VALUES(?1,?2,?3,?11,?4,?5,?6,?7,NULL,?8,?9,?10,?12,?13,?14,?15)",
                              -1, &st, NULL);
  if (rc) return rc;
  sqlite3_bind_int64(st, 1, s->run);
  sqlite3_bind_text(st, 2, k->region, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, k->month, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, k->vjson, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, k->horizon);
  sqlite3_bind_text(st, 6, k->in_hex, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, k->out_hex, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 8, s->nmeal);
  sqlite3_bind_int64(st, 9, s->subsidised);
  sqlite3_bind_int64(st, 10, s->total);
  sqlite3_bind_text(st, 11, k->created_at, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 12, (sqlite3_int64)k->cover.n);
  if (k->supersedes) sqlite3_bind_text(st, 13, k->supersedes, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 14, k->rows_hex, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 15, k->chain_hex, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc;
  if (k->nov == 0) return SQLITE_OK;
  if ((rc = sqlite3_prepare_v2(db, "UPDATE zhucan_run SET superseded_by=?1 WHERE id=?2", -1, &st, NULL))) return rc;
  for (int i = 0; i < k->nov; i++) {
    sqlite3_bind_int64(st, 1, s->run);
    sqlite3_bind_int64(st, 2, k->ov[i].run);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) break;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inside the savepoint: everything that writes the run. */
static int settle_write(Settle *s, SettleCall *k, char **pzErr) {
  int rc;
  if ((rc = zc_run_schema(s->zc, pzErr))) return rc;
  if ((rc = settle_checks(s, k, pzErr))) return rc;
  if ((rc = settle_prepare(s, k))) return rc;
  sha256_init(&s->in_meals);
  sha256_init(&s->out);
  ZcMonthSink sink = {s, settle_meal, settle_site, settle_item, 0, 0, NULL, NULL};
  s->sink = &sink;
  if ((rc = zc_month_compute(s->zc, "settle", k->region, s->first, s->next, &sink, pzErr))) return rc;
  if ((rc = pack_flush(s))) return rc;
  if ((rc = settle_digests(s, k, pzErr))) return rc;
  return settle_insert(s, k);
}

static void settle_free(Settle *s, SettleCall *k) {
  sqlite3_finalize(s->ins_pack);
  sqlite3_finalize(s->ins_item);
  s->ins_pack = s->ins_item = NULL;
  sqlite3_free(k->vjson);
  sqlite3_free((char *)k->region);
  sqlite3_free(k->supersedes);
  zc_cover_free(&k->cover);
  zc_overlaps_free(k->ov, k->nov);
  for (int t = 0; t < ZC_RT_N; t++) zc_rh_free(&s->rh[t]);
  zc_buf_free(&s->row);
  zc_pack_free(&s->pack);
  for (int i = 0; i < 4; i++) zc_buf_free(&s->pj[i].json);
  zc_buf_free(&s->hin);
  zc_buf_free(&s->hout);
  zc_map_clear(&s->elders);
  zc_map_clear(&s->sites);
  zc_map_clear(&s->vers);
  zc_stats_map_clear(&s->stats);
}

static void settle_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  char *err = NULL;
  Settle s;
  SettleCall k;
  memset(&s, 0, sizeof s);
  memset(&k, 0, sizeof k);
  for (int i = 0; i < 4; i++) s.pj[i].n = -1;
  s.zc = zc;
  k.zc = zc;
  zc_caller_now(zc, &k.caller);
  ZcUnit unit;
  /* all or nothing, even when interrupted (common.c: zc_unit_*), and the
  ** write lock taken first */
  int rc = settle_mode(&k, argc, argv, &err);
  if (rc == SQLITE_OK) rc = zc_writable(zc, "settle", &err);
  if (rc == SQLITE_OK && (rc = zc_unit_begin(zc, &unit, &err)) == SQLITE_OK) {
    /* the run tables' triggers let settle's own writes through */
    zc->run_writing = 1;
    if ((rc = zc_run_lock(db, &err)) == SQLITE_OK && (rc = settle_args(&s, &k, argv, &err)) == SQLITE_OK)
      rc = settle_write(&s, &k, &err);
    zc->run_writing = 0;
    sqlite3_finalize(s.ins_pack);
    sqlite3_finalize(s.ins_item);
    s.ins_pack = s.ins_item = NULL;
    if (rc != SQLITE_OK) {
      /* the message of the failure, before the rollback replaces it */
      if (zc_lost_to_nomem(db, rc, err)) rc = SQLITE_NOMEM;
      else if (!err) err = sqlite3_mprintf(zc_tr(zc, "settle: %s", "settle：%s"), sqlite3_errmsg(db));
      zc_unit_abort(&unit);
    } else {
      rc = zc_unit_commit(&unit, &err);
    }
  }
  if (rc == SQLITE_OK) {
    zc_mine_note(zc, ZC_MINE_RUN, (sqlite3_uint64)s.run, &k.caller);
    sqlite3_result_int64(ctx, s.run);
  } else if (zc_lost_to_nomem(db, rc, err)) {
    sqlite3_result_error_nomem(ctx);
  } else if (!err) {
    zc_errorf(ctx, zc_tr(zc, "settle: %s", "settle：%s"), sqlite3_errmsg(db));
  } else if (strncmp(err, "settle:", 7) == 0 || strncmp(err, "settle：", strlen("settle：")) == 0) {
    sqlite3_result_error(ctx, err, -1);
  } else {
    zc_errorf(ctx, zc_tr(zc, "settle: %s", "settle：%s"), err);
  }
  sqlite3_free(err);
  settle_free(&s, &k);
}

/* zhucan_run_guard(): 1 while settle() writes a run on this connection,
** else 0.  The run tables' triggers refuse every other write with it. */
static void guard_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc, (void)argv;
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3_result_int(ctx, zc->run_writing ? 1 : 0);
}

static const ZcFunc aFunc[] = {
    /* INNOCUOUS: the run tables' triggers call it (even when trusted_schema is off) */
    {"zhucan_run_guard", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, guard_func},
    /* DIRECTONLY: settle writes tables; a view or trigger must not call it. */
    {"settle", 2, ZC_DIRECT, settle_func},
    {"settle", 3, ZC_DIRECT, settle_func},
};

int zc_run_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
