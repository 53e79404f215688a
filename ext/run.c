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
#include "runrec.h"
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Canonical binary serialisation for digests, the same bytes on every
** host: unsigned integers as LEB128 varints, signed ones zigzag-encoded
** first, strings as varint(length + 1) then the bytes (0 = NULL). */
static inline void ser_u64(ZcBuf *b, uint64_t v) {
  if (b->n + 11 > b->cap && !zc_buf_need(b, 10)) return;
  unsigned char *t = (unsigned char *)b->z + b->n;
  while (v >= 0x80) {
    *t++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *t++ = (unsigned char)v;
  b->n = (size_t)(t - (unsigned char *)b->z);
}
/* The same encodings onto a cursor into room already reserved (the meal
** records, written per meal: no checks per field). */
static inline unsigned char *put_u64(unsigned char *t, uint64_t v) {
  while (v >= 0x80) {
    *t++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *t++ = (unsigned char)v;
  return t;
}
static inline unsigned char *put_i64(unsigned char *t, sqlite3_int64 v) {
  return put_u64(t, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
static inline unsigned char *put_str(unsigned char *t, const char *s, size_t n) {
  if (s == NULL) return put_u64(t, 0);
  t = put_u64(t, (uint64_t)n + 1);
  memcpy(t, s, n);
  return t + n;
}
/* A string of a meal record that may repeat the same field of the elder's
** previous meal: 0 NULL, 1 the same as that meal's (strings of up to 64
** bytes are remembered), else varint(length + 2) then the bytes. */
typedef struct RepStr {
  char z[64];
  int n;             /* -1: nothing remembered */
} RepStr;
static inline unsigned char *put_rep(unsigned char *t, RepStr *r, const char *s, size_t n) {
  if (s == NULL) {
    r->n = -1;
    return put_u64(t, 0);
  }
  if (r->n == (int)n && memcmp(r->z, s, n) == 0) return put_u64(t, 1);
  t = put_u64(t, (uint64_t)n + 2);
  memcpy(t, s, n);
  if (n <= sizeof r->z) {
    memcpy(r->z, s, n);
    r->n = (int)n;
  } else {
    r->n = -1;
  }
  return t + n;
}

/* room for k integers and strings of n bytes in all */
#define PUT_ROOM(k, n) ((size_t)(k) * 10 + (n))

static inline void ser_i64(ZcBuf *b, sqlite3_int64 v) { ser_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
static void ser_str(ZcBuf *b, const char *s) {
  if (s == NULL) {
    ser_u64(b, 0);
    return;
  }
  size_t n = strlen(s);
  ser_u64(b, (uint64_t)n + 1);
  zc_buf_add(b, s, n);
}
static void ser_double(ZcBuf *b, double d) {
  uint64_t u = 0; /* IEEE 754 binary64 bits as an integer */
  if (d != d) {
    u = 0x7ff8000000000000ULL; /* one NaN */
  } else {
    memcpy(&u, &d, sizeof u); /* IEEE 754 binary64 bits, serialised LE */
  }
  ser_u64(b, u);
}

static void hex32(const uint8_t d[SHA256_DIGEST_SIZE], char out[65]) {
  static const char hx[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
    out[2 * i] = hx[d[i] >> 4];
    out[2 * i + 1] = hx[d[i] & 15];
  }
  out[64] = 0;
}

/* ------------------------------------------------------------- tables */

#define RUN_ERR_IMMUTABLE "runs are immutable: settle a new run with settle(region, month, ''supersede'')"

#define RUN_TABLE                                                                              \
  "CREATE TABLE IF NOT EXISTS zhucan_run(\n"                                                   \
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, month TEXT NOT NULL,\n"                    \
  "  created_at TEXT NOT NULL, policy_versions TEXT NOT NULL, policy_horizon INTEGER NOT NULL,\n" \
  "  input_digest TEXT NOT NULL, output_digest TEXT NOT NULL, superseded_by INTEGER,\n"       \
  "  meals INTEGER NOT NULL, subsidised_meals INTEGER NOT NULL, total_fen INTEGER NOT NULL);\n"
static const char *zRunSchema =
    RUN_TABLE
    "CREATE INDEX IF NOT EXISTS zhucan_run_month ON zhucan_run(region, month);\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_pack(\n"
    "  seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, elder_id INTEGER NOT NULL,\n"
    "  meals INTEGER NOT NULL, data BLOB NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS zhucan_run_pack_run ON zhucan_run_pack(run_id);\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_elder(\n"
    "  run_id INTEGER NOT NULL, elder_id INTEGER NOT NULL, sex TEXT, birth TEXT, region TEXT,\n"
    "  died_on TEXT, status TEXT, agreement TEXT, bed TEXT,\n"
    "  PRIMARY KEY(run_id, elder_id)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_site(\n"
    "  run_id INTEGER NOT NULL, site_id INTEGER NOT NULL, name TEXT, kind TEXT, grade INTEGER,\n"
    "  beds INTEGER, area_m2 REAL, opened_on TEXT, closed_on TEXT, slots TEXT, region TEXT,\n"
    "  stats TEXT,\n"
    "  PRIMARY KEY(run_id, site_id)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_item(\n"
    "  seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, site_id INTEGER NOT NULL, item TEXT NOT NULL,\n"
    "  payer TEXT NOT NULL, quantity INTEGER NOT NULL, amount_fen INTEGER NOT NULL,\n"
    "  version_id INTEGER NOT NULL);\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_no_update BEFORE UPDATE ON zhucan_run\n"
    "  WHEN NOT (OLD.superseded_by IS NULL AND NEW.superseded_by IS NOT NULL\n"
    "    AND NEW.id IS OLD.id AND NEW.region IS OLD.region AND NEW.month IS OLD.month\n"
    "    AND NEW.created_at IS OLD.created_at AND NEW.policy_versions IS OLD.policy_versions\n"
    "    AND NEW.policy_horizon IS OLD.policy_horizon AND NEW.input_digest IS OLD.input_digest\n"
    "    AND NEW.output_digest IS OLD.output_digest AND NEW.meals IS OLD.meals\n"
    "    AND NEW.subsidised_meals IS OLD.subsidised_meals AND NEW.total_fen IS OLD.total_fen\n"
    "    AND EXISTS(SELECT 1 FROM zhucan_run r WHERE r.id = NEW.superseded_by AND r.id > OLD.id\n"
    "               AND r.region = OLD.region AND r.month = OLD.month))\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_no_delete BEFORE DELETE ON zhucan_run\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_pack_no_update BEFORE UPDATE ON zhucan_run_pack\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_pack: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_pack_no_delete BEFORE DELETE ON zhucan_run_pack\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_pack: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_elder_no_update BEFORE UPDATE ON zhucan_run_elder\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_elder: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_elder_no_delete BEFORE DELETE ON zhucan_run_elder\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_elder: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_site_no_update BEFORE UPDATE ON zhucan_run_site\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_site: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_site_no_delete BEFORE DELETE ON zhucan_run_site\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_site: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_item_no_update BEFORE UPDATE ON zhucan_run_item\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_item: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_item_no_delete BEFORE DELETE ON zhucan_run_item\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_item: " RUN_ERR_IMMUTABLE "'); END;\n";

/* The views over the stored meals: zhucan_run_meal, one row per meal
** (the packs opened by zhucan_run_unpack, pack.c; and the rows of runs
** stored before packs, when the database has them), and zhucan_run_line. */
#define RUN_MEAL_COLS \
  "seq, run_id, meal_id, elder_id, site_id, served_at, slot, method, device, token, price_fen, " \
  "nth_slot, nth_day, nth_month, version_id, subsidy_fen, parts"
static const char *zRunViews =
    "CREATE VIEW IF NOT EXISTS zhucan_run_meal(" RUN_MEAL_COLS ") AS\n"
    "  SELECT p.seq + u.k, p.run_id, u.meal_id, p.elder_id, u.site_id, u.served_at, u.slot, u.method,\n"
    "         u.device, u.token, u.price_fen, u.nth_slot, u.nth_day, u.nth_month, u.version_id,\n"
    "         u.subsidy_fen, u.parts\n"
    "    FROM zhucan_run_pack p, zhucan_run_unpack(p.data) u%s;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_meal_view_no_insert INSTEAD OF INSERT ON zhucan_run_meal\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_meal: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_meal_view_no_update INSTEAD OF UPDATE ON zhucan_run_meal\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_meal: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_meal_view_no_delete INSTEAD OF DELETE ON zhucan_run_meal\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_meal: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE VIEW IF NOT EXISTS zhucan_run_line(run_id, site_id, meal_id, elder_id, item, payer,\n"
    "  quantity, amount_fen) AS\n"
    "  SELECT m.run_id, m.site_id, m.meal_id, m.elder_id, 'meal', p.key, 1, p.value\n"
    "    FROM zhucan_run_meal m, json_each(m.parts) p WHERE m.parts IS NOT NULL\n"
    "  UNION ALL\n"
    "  SELECT run_id, site_id, meal_id, elder_id, 'meal', 'elder', 1, price_fen - subsidy_fen\n"
    "    FROM zhucan_run_meal WHERE subsidy_fen > 0 AND price_fen <> subsidy_fen\n"
    "  UNION ALL\n"
    "  SELECT run_id, site_id, NULL, NULL, item, payer, quantity, amount_fen FROM zhucan_run_item;\n";

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
} Settle;

static int seen(ZcMap *m, sqlite3_int64 key, const void *p) {
  int isnew;
  sqlite3_int64 *v = zc_map_slot(m, key, 1, &isnew);
  if (!v) return SQLITE_NOMEM;
  if (isnew) *v = (sqlite3_int64)(intptr_t)p;
  return SQLITE_OK;
}

/* Hashes what waits in b once there is enough of it (or all, at the end). */
static void hash_some(struct sha256_ctx *c, ZcBuf *b, int all) {
  if (b->n >= 65536 || (all && b->n)) {
    sha256_update(c, b->n, (const uint8_t *)b->z);
    b->n = 0;
  }
}

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

/* Output: one line per payer, then the co-payment. */
static int output_lines(Settle *s, const ZcMealFacts *m, const ZcElderRec *e, const ZcMealResult *r) {
  ZcBuf *b = &s->hout;
  size_t room = PUT_ROOM(5 * (r->nparts + 1), 2 * (r->nparts + 1) + 5);
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
  if (m->price_fen != r->total) {
    t = put_str(t, "L", 1);
    t = put_i64(t, m->id);
    t = put_i64(t, e->id);
    t = put_i64(t, m->site_id);
    t = put_str(t, "elder", 5);
    t = put_i64(t, m->price_fen - r->total);
  }
  b->n = (size_t)(t - (unsigned char *)b->z);
  hash_some(&s->out, b, 0);
  return SQLITE_OK;
}

/* The run's total past 2^63 fen: an error, never a wrap. */
static int settle_overflow(char **pzErr) {
  *pzErr = sqlite3_mprintf("settle: the run's amounts add up to more than 2^63 fen");
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
  if (r->total > 0) {
    const ZcBuf *pj = parts_text(s, r);
    if (!pj) return SQLITE_NOMEM;
    x.s[4] = pj->z;
    x.n[4] = (int)pj->n;
    if ((rc = output_lines(s, m, e, r))) return rc;
    s->subsidised++;
    if (!zc_add_fen(&s->total, r->total)) return settle_overflow(pzErr);
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
  if (!zc_add_fen(&s->total, it->fen)) return settle_overflow(pzErr);
  sqlite3_bind_int64(st, 1, (s->run << 32) | s->nitem);
  s->nitem++;
  sqlite3_bind_int64(st, 2, site->id);
  sqlite3_bind_text(st, 3, it->item, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, it->payer, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, it->quantity);
  sqlite3_bind_int64(st, 6, it->fen);
  sqlite3_bind_int64(st, 7, v->id);
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

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *z) {
  return z ? sqlite3_bind_text(st, i, z, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Elders and sites of the run: snapshot rows and the digest sections. */
static int settle_snapshots(Settle *s, struct sha256_ctx *in, char **pzErr) {
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
    sqlite3_bind_int64(st, 1, s->run);
    sqlite3_bind_int64(st, 2, e->id);
    bind_text_or_null(st, 3, es.sex[0] ? es.sex : NULL);
    bind_text_or_null(st, 4, es.birth);
    bind_text_or_null(st, 5, es.region);
    bind_text_or_null(st, 6, es.died_on);
    bind_text_or_null(st, 7, es.status);
    bind_text_or_null(st, 8, es.agreement);
    bind_text_or_null(st, 9, es.bed);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    zc_elder_snap_free(&es);
    if (rc != SQLITE_DONE) goto error;
  }
  sqlite3_finalize(st);
  st = NULL;
  sqlite3_free(keys);
  keys = NULL;

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
    sqlite3_bind_int64(st, 1, s->run);
    sqlite3_bind_int64(st, 2, f->id);
    bind_text_or_null(st, 3, f->name);
    bind_text_or_null(st, 4, f->kind);
    if (f->grade == ZC_NONE) sqlite3_bind_null(st, 5);
    else sqlite3_bind_int(st, 5, f->grade);
    sqlite3_bind_int(st, 6, f->beds);
    if (f->area_m2 != f->area_m2) sqlite3_bind_null(st, 7);
    else sqlite3_bind_double(st, 7, f->area_m2);
    bind_text_or_null(st, 8, f->opened_on == ZC_NONE ? NULL : op);
    bind_text_or_null(st, 9, f->closed_on == ZC_NONE ? NULL : cl);
    sqlite3_bind_text(st, 10, sl, -1, SQLITE_TRANSIENT);
    bind_text_or_null(st, 11, f->region);
    bind_text_or_null(st, 12, stats);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) goto error;
  }
  rc = SQLITE_OK;
error:
  if (rc != SQLITE_OK && !*pzErr)
    *pzErr = sqlite3_mprintf("settle: storing the run's facts: %s", sqlite3_errmsg(zc->db));
  zc_elder_snap_free(&es);
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

static int exec_sql(sqlite3 *db, const char *sql, char **pzErr) {
  char *e = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &e);
  if (rc != SQLITE_OK && pzErr && !*pzErr) *pzErr = sqlite3_mprintf("settle: %s", e ? e : sqlite3_errstr(rc));
  sqlite3_free(e);
  return rc;
}

/* Creates the run tables and views.  A database with runs from before
** packs has zhucan_run_meal as a table: it is kept, renamed
** zhucan_run_meal_v1 (its rows and triggers unchanged), and the view
** zhucan_run_meal reads its rows with the packs'. */
static int run_schema(sqlite3 *db, char **pzErr) {
  int rc, v1 = 0;
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(db, "SELECT type FROM sqlite_schema WHERE name = 'zhucan_run_meal'", -1, &st,
                               NULL)))
    return rc;
  if (sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "table") == 0) v1 = 1;
  sqlite3_finalize(st);
  if (v1 && (rc = exec_sql(db,
                           "DROP VIEW IF EXISTS zhucan_run_line;"
                           "ALTER TABLE zhucan_run_meal RENAME TO zhucan_run_meal_v1;",
                           pzErr)))
    return rc;
  if (!v1) v1 = zc_table_exists(db, "zhucan_run_meal_v1");
  if ((rc = exec_sql(db, zRunSchema, pzErr))) return rc;
  char *views = sqlite3_mprintf(zRunViews, v1 ? "\n  UNION ALL SELECT " RUN_MEAL_COLS " FROM zhucan_run_meal_v1" : "");
  if (!views) return SQLITE_NOMEM;
  rc = exec_sql(db, views, pzErr);
  sqlite3_free(views);
  return rc;
}

/* What one settle() call works with besides the pass's state. */
typedef struct SettleCall {
  ZcConn *zc;
  ZcCaller caller;             /* the statement execution settle() runs in */
  const char *region;          /* our own copy: the facts caches own the code */
  char month[8];
  int supersede;
  sqlite3_int64 prior;         /* the current run of (region, month), 0 if none */
  sqlite3_int64 horizon;       /* the highest policy version id installed */
  char *vjson;                 /* the versions used, JSON */
  char in_hex[65], out_hex[65];
} SettleCall;

/* settle's third argument: 'supersede' or absent. */
static int settle_mode(SettleCall *k, int argc, sqlite3_value **argv, char **pzErr) {
  if (argc == 3) {
    const char *mode = (const char *)sqlite3_value_text(argv[2]);
    if (sqlite3_value_type(argv[2]) != SQLITE_TEXT || strcmp(mode, "supersede") != 0) {
      char *r = zc_value_repr(argv[2]);
      *pzErr = sqlite3_mprintf("settle: third argument %s is not 'supersede'", r ? r : "?");
      sqlite3_free(r);
      return SQLITE_ERROR;
    }
    k->supersede = 1;
  }
  return SQLITE_OK;
}

/* Takes the database's write lock before anything of it is read.  A
** connection that has read cannot wait for another writer to finish (each
** would wait for the other), so SQLite fails its first write at once,
** whatever the busy timeout; one that writes first waits its turn.  The
** write changes nothing: an empty DELETE from zhucan_run, or, in a
** database without runs yet, creating that table. */
static int settle_lock(sqlite3 *db, char **pzErr) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "DELETE FROM main.zhucan_run WHERE 0", -1, &st, NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    return exec_sql(db, RUN_TABLE, pzErr);
  }
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
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

/* The run tables exist, with every column this version writes: runs
** stored before zhucan_run_site had stats get the column (NULL in the old
** rows: their stats were not recorded). */
static int schema_upgrade(sqlite3 *db, char **pzErr) {
  int rc;
  sqlite3_int64 has = 0;
  if (!zc_table_exists(db, "zhucan_run_pack") && (rc = run_schema(db, pzErr))) return rc;
  if ((rc = zc_query_int(db, "SELECT count(*) FROM pragma_table_info('zhucan_run_site') WHERE name = 'stats'",
                         &has)))
    return rc;
  if (!has && (rc = exec_sql(db, "ALTER TABLE zhucan_run_site ADD COLUMN stats TEXT", pzErr))) return rc;
  return SQLITE_OK;
}

/* The current run of the region and month: an error unless superseding. */
static int prior_run(sqlite3 *db, SettleCall *k, char **pzErr) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT id, created_at FROM zhucan_run WHERE region=?1 AND month=?2 AND superseded_by "
                              "IS NULL ORDER BY id DESC LIMIT 1",
                              -1, &st, NULL);
  if (rc) return rc;
  sqlite3_bind_text(st, 1, k->region, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, k->month, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    k->prior = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
    /* a statement that reads zhucan_run while it settles (SELECT
    ** settle(region, month, 'supersede') FROM zhucan_run) would otherwise
    ** supersede its own new runs for ever */
    if (zc_mine_same(k->zc, ZC_MINE_RUN, (sqlite3_uint64)k->prior)) {
      *pzErr = sqlite3_mprintf("settle: region %s month %s was settled as run %lld by this same statement; "
                               "a statement settles a region and month once (does it read zhucan_run while "
                               "it settles?)",
                               k->region, k->month, k->prior);
      rc = SQLITE_ERROR;
    } else if (!k->supersede) {
      *pzErr = sqlite3_mprintf("settle: region %s month %s is already settled as run %lld; "
                               "runs are immutable: settle('%s', '%s', 'supersede') stores a new run and "
                               "marks run %lld superseded",
                               k->region, k->month, k->prior, k->region, k->month, k->prior);
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* The new run's id and horizon, and the statements its rows go through. */
static int settle_prepare(Settle *s, SettleCall *k) {
  sqlite3 *db = s->zc->db;
  int rc;
  if (zc_table_exists(db, "zhucan_policy") &&
      (rc = zc_query_int(db, "SELECT max(id) FROM zhucan_policy", &k->horizon)))
    return rc;
  if ((rc = zc_query_int(db, "SELECT coalesce(max(id), 0) + 1 FROM zhucan_run", &s->run))) return rc;
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
  return SQLITE_OK;
}

/* The run's row, and the prior run marked superseded by it. */
static int settle_insert(Settle *s, SettleCall *k) {
  sqlite3 *db = s->zc->db;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT INTO zhucan_run(id, region, month, created_at, policy_versions, policy_horizon, "
                              "input_digest, output_digest, superseded_by, meals, subsidised_meals, total_fen) "
                              "VALUES(?1,?2,?3,datetime('now','+8 hours'),?4,?5,?6,?7,NULL,?8,?9,?10)",
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
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return rc;
  if (!k->prior) return SQLITE_OK;
  if ((rc = sqlite3_prepare_v2(db, "UPDATE zhucan_run SET superseded_by=?1 WHERE id=?2", -1, &st, NULL))) return rc;
  sqlite3_bind_int64(st, 1, s->run);
  sqlite3_bind_int64(st, 2, k->prior);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Inside the savepoint: everything that writes the run. */
static int settle_write(Settle *s, SettleCall *k, char **pzErr) {
  sqlite3 *db = s->zc->db;
  int rc;
  if ((rc = schema_upgrade(db, pzErr))) return rc;
  if ((rc = prior_run(db, k, pzErr))) return rc;
  if ((rc = settle_prepare(s, k))) return rc;
  sha256_init(&s->in_meals);
  sha256_init(&s->out);
  ZcMonthSink sink = {s, settle_meal, settle_site, settle_item, 0, 0, NULL};
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
  if (rc == SQLITE_OK && (rc = zc_unit_begin(zc, &unit, &err)) == SQLITE_OK) {
    if ((rc = settle_lock(db, &err)) == SQLITE_OK && (rc = settle_args(&s, &k, argv, &err)) == SQLITE_OK)
      rc = settle_write(&s, &k, &err);
    sqlite3_finalize(s.ins_pack);
    sqlite3_finalize(s.ins_item);
    s.ins_pack = s.ins_item = NULL;
    if (rc != SQLITE_OK) {
      /* the message of the failure, before the rollback replaces it */
      if (zc_lost_to_nomem(db, rc, err)) rc = SQLITE_NOMEM;
      else if (!err) err = sqlite3_mprintf("settle: %s", sqlite3_errmsg(db));
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
    zc_errorf(ctx, "settle: %s", sqlite3_errmsg(db));
  } else if (strncmp(err, "settle:", 7) == 0) {
    sqlite3_result_error(ctx, err, -1);
  } else {
    zc_errorf(ctx, "settle: %s", err);
  }
  sqlite3_free(err);
  settle_free(&s, &k);
}

static const ZcFunc aFunc[] = {
    /* DIRECTONLY: settle writes tables; a view or trigger must not call it. */
    {"settle", 2, ZC_DIRECT, settle_func},
    {"settle", 3, ZC_DIRECT, settle_func},
};

int zc_run_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
