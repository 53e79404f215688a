/*
** run.c — stored settlement runs and their audit replay:
**
**   SELECT settle('141129', '2024-03');                -- 1: the new run id
**   SELECT settle('141129', '2024-03', 'supersede');   -- 2; run 1 gets superseded_by = 2
**   SELECT * FROM replay(1);                           -- no rows: reproduced exactly
**   SELECT site_id, meal_id, payer, settled_fen, replayed_fen, cause FROM replay(1);
**     -- 3 | 1017 | county | 500 | 0 | facts changed: died_on NULL -> 2024-03-10
**
**   replay: CREATE TABLE x(site_id, meal_id, item, payer, settled_fen,
**                          replayed_fen, cause, run_id HIDDEN);  -- run_id required
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
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ buffers */

typedef struct Buf {
  char *z;
  size_t n, cap;
  int oom;
} Buf;

static void buf_free(Buf *b) {
  sqlite3_free(b->z);
  memset(b, 0, sizeof *b);
}

static int buf_need(Buf *b, size_t extra) {
  if (b->oom) return 0;
  if (b->n + extra + 1 <= b->cap) return 1;
  size_t ncap = b->cap ? b->cap * 2 : 256;
  while (ncap < b->n + extra + 1) ncap *= 2;
  char *nz = sqlite3_realloc64(b->z, ncap);
  if (!nz) {
    b->oom = 1;
    return 0;
  }
  b->z = nz;
  b->cap = ncap;
  return 1;
}

static void buf_add(Buf *b, const void *p, size_t n) {
  if (!buf_need(b, n)) return;
  memcpy(b->z + b->n, p, n);
  b->n += n;
  b->z[b->n] = 0;
}

static void buf_str(Buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_int(Buf *b, sqlite3_int64 v) {
  char t[24];
  int n = 24;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    t[--n] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) t[--n] = '-';
  buf_add(b, t + n, (size_t)(24 - n));
}

/* A JSON string literal (the same escaping as zc_json_str). */
static void buf_json_str(Buf *b, const char *z) {
  const char *p = z;
  buf_add(b, "\"", 1);
  for (; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      buf_add(b, e, 2);
    } else if (c < 0x20) {
      char e[8];
      int n = snprintf(e, sizeof e, "\\u%04x", c);
      buf_add(b, e, (size_t)n);
    } else {
      buf_add(b, p, 1);
    }
  }
  buf_add(b, "\"", 1);
}

/* Canonical binary serialisation for digests, the same bytes on every
** host: unsigned integers as LEB128 varints, signed ones zigzag-encoded
** first, strings as varint(length + 1) then the bytes (0 = NULL). */
static inline void ser_u64(Buf *b, uint64_t v) {
  if (b->n + 11 > b->cap && !buf_need(b, 10)) return;
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

static inline void ser_i64(Buf *b, sqlite3_int64 v) { ser_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
static void ser_str(Buf *b, const char *s) {
  if (s == NULL) {
    ser_u64(b, 0);
    return;
  }
  size_t n = strlen(s);
  ser_u64(b, (uint64_t)n + 1);
  buf_add(b, s, n);
}
static void ser_double(Buf *b, double d) {
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

static const char *zRunSchema =
    "CREATE TABLE IF NOT EXISTS zhucan_run(\n"
    "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, month TEXT NOT NULL,\n"
    "  created_at TEXT NOT NULL, policy_versions TEXT NOT NULL, policy_horizon INTEGER NOT NULL,\n"
    "  input_digest TEXT NOT NULL, output_digest TEXT NOT NULL, superseded_by INTEGER,\n"
    "  meals INTEGER NOT NULL, subsidised_meals INTEGER NOT NULL, total_fen INTEGER NOT NULL);\n"
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

static int table_exists(sqlite3 *db, const char *name) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE name=?1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

/* One integer from a query (0 when no row or NULL). */
static int query_int(sqlite3 *db, const char *sql, sqlite3_int64 *out) {
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

/* ------------------------------------------------------ fact snapshots */

/* The canonical text of an elder's (or site's) facts, as stored in
** zhucan_run_elder and compared by replay.  Intervals are those
** overlapping [first, next), sorted, "word from..to" ('..' open end),
** joined by ';'. */
typedef struct ElderSnap {
  char sex[2];
  const char *birth, *died_on;       /* in the buffers below, or NULL */
  const char *region;                /* the record's (valid while it is) */
  char *status, *agreement, *bed;    /* sqlite3_malloc'd or NULL */
  char birth_buf[11], died_buf[11];
} ElderSnap;

static void elder_snap_free(ElderSnap *s) {
  sqlite3_free(s->status);
  sqlite3_free(s->agreement);
  sqlite3_free(s->bed);
  memset(s, 0, sizeof *s);
}

static char *dup_text(const char *z) { return z ? sqlite3_mprintf("%s", z) : NULL; }

typedef struct IvText {
  char *z;
} IvText;

static int ivtext_cmp(const void *a, const void *b) { return strcmp(((const IvText *)a)->z, ((const IvText *)b)->z); }

/* kind 0: key is a status bit; 1: key is a site id. NULL when none. */
static char *intervals_text(ZcConn *zc, const ZcInterval *iv, int n, int kind, int first, int next, int *oom) {
  IvText *a = NULL;
  int k = 0;
  char *out = NULL;
  Buf b;
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
    if (i) buf_add(&b, ";", 1);
    buf_str(&b, a[i].z);
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
  buf_free(&b);
  return out;
}

static int elder_snap_make(ZcConn *zc, const ZcElderRec *e, int first, int next, ElderSnap *s) {
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
    elder_snap_free(s);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static void slots_text(unsigned slots, char out[24]) {
  out[0] = 0;
  if (slots & ZC_SLOT_BREAKFAST) strcat(out, "breakfast");
  if (slots & ZC_SLOT_LUNCH) strcat(out, out[0] ? ",lunch" : "lunch");
  if (slots & ZC_SLOT_DINNER) strcat(out, out[0] ? ",dinner" : "dinner");
}

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
  Buf hin, hout;
  const void *site_seen[256];  /* sites already in the sites map, by id % 256 */
  Buf row;
  struct {          /* the JSON of recent parts (an elder's slots alternate) */
    int n;          /* -1: empty */
    ZcPart parts[ZC_MAX_PARTS];
    Buf json;
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
static void hash_some(struct sha256_ctx *c, Buf *b, int all) {
  if (b->n >= 65536 || (all && b->n)) {
    sha256_update(c, b->n, (const uint8_t *)b->z);
    b->n = 0;
  }
}

static void ser_status(ZcConn *zc, Buf *b, uint64_t status) {
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
static void parts_json(Buf *b, const ZcMealResult *r) {
  b->n = 0;
  buf_add(b, "{", 1);
  for (int i = 0; i < r->nparts; i++) {
    if (i) buf_add(b, ",", 1);
    buf_json_str(b, r->parts[i].payer);
    buf_add(b, ":", 1);
    buf_int(b, r->parts[i].fen);
  }
  buf_add(b, "}", 1);
}

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
static void ser_facts(ZcConn *zc, Buf *b, const ZcElderFacts *e) {
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

static int settle_meal(void *p, const ZcMealFacts *m, const ZcElderRec *e, const ZcSiteFacts *site,
                       const ZcPolicyVersion *v, const ZcMealResult *r, char **pzErr) {
  Settle *s = p;
  ZcConn *zc = s->zc;
  int rc;
  (void)pzErr;
  if (e != s->last_elder && (rc = seen(&s->elders, e->id, e))) return rc;
  if (site != s->last_site && s->site_seen[site->id & 255] != site) {
    if ((rc = seen(&s->sites, site->id, site))) return rc;
    s->site_seen[site->id & 255] = site;
  }
  if (v != s->last_v && (rc = seen(&s->vers, v->id, v))) return rc;
  s->last_elder = e;
  s->last_site = site;
  s->last_v = v;
  /* input: the elder facts of the day, once per elder and day (meals come
  ** elder by elder, in time order), then the meal, its ordinals, version
  ** and agreement with its site */
  Buf *b = &s->hin;
  if (e != s->fact_elder || m->day != s->fact_day) {
    /* the facts eligible() saw (the month pass's), else built here */
    ZcElderFacts fb;
    const ZcElderFacts *fp = s->sink ? s->sink->day_facts : NULL;
    if (!fp || fp->id != e->id) {
      zc_elder_facts(zc, e, m->day, 0, &fb);
      fp = &fb;
    }
    const ZcElderFacts f = *fp;
    /* a record when the elder's facts differ from the last one written
    ** (most of an elder's facts do not change within the month) */
    int same = e == s->fact_elder && facts_equal(&f, &s->fact_last);
    if (e != s->fact_elder)
      for (int i = 0; i < 4; i++) s->rep[i].n = -1;
    s->fact_elder = e;
    s->fact_day = m->day;
    if (same) goto meal;
    s->fact_last = f;
    ser_str(b, "F");
    ser_i64(b, m->day);
    ser_facts(zc, b, &f);
  }
meal:;
  size_t nslot = (size_t)str_len(m->slot), nmethod = (size_t)str_len(m->method),
         ndevice = (size_t)str_len(m->device), ntoken = (size_t)str_len(m->token);
  if (!buf_need(b, PUT_ROOM(16, 1 + nslot + nmethod + ndevice + ntoken))) return SQLITE_NOMEM;
  unsigned char *t = (unsigned char *)b->z + b->n;
  t = put_str(t, "M", 1);
  t = put_i64(t, m->id);
  t = put_i64(t, e->id);
  t = put_i64(t, m->site_id);
  t = put_i64(t, m->served_at);
  t = put_rep(t, &s->rep[0], m->slot, nslot);
  t = put_rep(t, &s->rep[1], m->method, nmethod);
  t = put_rep(t, &s->rep[2], m->device, ndevice);
  t = put_rep(t, &s->rep[3], m->token, ntoken);
  t = put_i64(t, m->price_fen);
  t = put_i64(t, m->nth_slot);
  t = put_i64(t, m->nth_day);
  t = put_i64(t, m->nth_month);
  t = put_i64(t, v->id);
  t = put_i64(t, zc_elder_agreement(e, m->day, site->id));
  b->n = (size_t)(t - (unsigned char *)b->z);
  hash_some(&s->in_meals, b, 0);

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
  x.s[0] = m->slot, x.n[0] = (int)nslot;
  x.s[1] = m->method, x.n[1] = (int)nmethod;
  x.s[2] = m->device, x.n[2] = (int)ndevice;
  x.s[3] = m->token, x.n[3] = (int)ntoken;
  x.s[4] = NULL, x.n[4] = 0;
  if (r->total > 0) {
    /* most meals repeat a recent meal's parts: reuse its JSON (payer
    ** words are interned: equal words are equal pointers) */
    int k = 0;
    for (; k < 4; k++) {
      if (s->pj[k].n != r->nparts) continue;
      int i = 0;
      while (i < r->nparts && s->pj[k].parts[i].payer == r->parts[i].payer && s->pj[k].parts[i].fen == r->parts[i].fen)
        i++;
      if (i == r->nparts) break;
    }
    if (k == 4) {
      k = s->pj_next;
      s->pj_next = (k + 1) % 4;
      parts_json(&s->pj[k].json, r);
      if (s->pj[k].json.oom) return SQLITE_NOMEM;
      s->pj[k].n = r->nparts;
      memcpy(s->pj[k].parts, r->parts, (size_t)r->nparts * sizeof(ZcPart));
    }
    x.s[4] = s->pj[k].json.z;
    x.n[4] = (int)s->pj[k].json.n;
    /* output: one line per payer, then the co-payment */
    b = &s->hout;
    size_t room = PUT_ROOM(5 * (r->nparts + 1), 2 * (r->nparts + 1) + 5);
    for (int i = 0; i < r->nparts; i++) room += strlen(r->parts[i].payer);
    if (!buf_need(b, room)) return SQLITE_NOMEM;
    t = (unsigned char *)b->z + b->n;
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
    s->subsidised++;
    s->total += r->total;
  }
  zc_pack_meal(&s->pack, &x);
  return s->pack.oom ? SQLITE_NOMEM : SQLITE_OK;
}

static void stats_map_clear(ZcMap *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i] != INT64_MIN) sqlite3_free((char *)(intptr_t)m->vals[i]);
  zc_map_clear(m);
}

/* The stats site() was given, as the JSON stored in zhucan_run_site.stats. */
static char *stats_json(const ZcSiteStats *t) {
  return sqlite3_mprintf("{\"meals\":%lld,\"subsidised_meals\":%lld,\"diners\":%lld,\"days_served\":%lld,"
                         "\"residents_full\":%lld,\"residents_semi\":%lld}",
                         t->meals, t->subsidised_meals, t->diners, t->days_served, t->residents_full,
                         t->residents_semi);
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
  char *j = stats_json(t);
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
  Buf *b = &s->hout;
  ser_str(b, "I");
  ser_i64(b, site->id);
  ser_str(b, it->item);
  ser_str(b, it->payer);
  ser_i64(b, it->quantity);
  ser_i64(b, it->fen);
  if (b->oom) return SQLITE_NOMEM;
  hash_some(&s->out, b, 0);
  s->total += it->fen;
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
  ElderSnap es;
  memset(&es, 0, sizeof es);
  rc = sqlite3_prepare_v2(zc->db,
                          "INSERT INTO zhucan_run_elder(run_id, elder_id, sex, birth, region, died_on, status, "
                          "agreement, bed) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                          -1, &st, NULL);
  if (rc) goto error;
  if ((rc = sorted_keys(&s->elders, &keys, &n))) goto error;
  for (size_t i = 0; i < n; i++) {
    const ZcElderRec *e = (const ZcElderRec *)(intptr_t)map_get(&s->elders, keys[i]);
    if ((rc = elder_snap_make(zc, e, s->first, s->next, &es))) goto error;
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
    elder_snap_free(&es);
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
    slots_text(f->slots, sl);
    Buf *b = &s->row;
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
  elder_snap_free(&es);
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
  Buf j;
  memset(&j, 0, sizeof j);
  int rc = map_keys(&s->vers, &keys, &n);
  if (rc) return rc;
  vs = sqlite3_malloc64((n ? n : 1) * sizeof *vs);
  if (!vs) { sqlite3_free(keys); return SQLITE_NOMEM; }
  for (size_t i = 0; i < n; i++) vs[i] = (const ZcPolicyVersion *)(intptr_t)map_get(&s->vers, keys[i]);
  qsort(vs, n, sizeof *vs, ver_cmp);
  Buf *b = &s->row;
  b->n = 0;
  ser_u64(b, n);
  buf_add(&j, "[", 1);
  for (size_t i = 0; i < n; i++) {
    ser_i64(b, vs[i]->id);
    ser_str(b, vs[i]->name);
    ser_str(b, vs[i]->effective_text);
    ser_str(b, vs[i]->sha256);
    if (i) buf_add(&j, ",", 1);
    buf_str(&j, "{\"id\":");
    buf_int(&j, vs[i]->id);
    buf_str(&j, ",\"name\":");
    buf_json_str(&j, vs[i]->name);
    buf_str(&j, ",\"effective_from\":");
    buf_json_str(&j, vs[i]->effective_text);
    buf_str(&j, ",\"sha256\":");
    buf_json_str(&j, vs[i]->sha256);
    buf_str(&j, "}");
  }
  buf_add(&j, "]", 1);
  sqlite3_free(keys);
  sqlite3_free((void *)vs);
  if (b->oom || j.oom) {
    buf_free(&j);
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
  if (!v1) v1 = table_exists(db, "zhucan_run_meal_v1");
  if ((rc = exec_sql(db, zRunSchema, pzErr))) return rc;
  char *views = sqlite3_mprintf(zRunViews, v1 ? "\n  UNION ALL SELECT " RUN_MEAL_COLS " FROM zhucan_run_meal_v1" : "");
  if (!views) return SQLITE_NOMEM;
  rc = exec_sql(db, views, pzErr);
  sqlite3_free(views);
  return rc;
}

static void settle_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3 *db = zc->db;
  char *err = NULL, *vjson = NULL, *region_copy = NULL;
  const char *region = NULL;
  int rc, supersede = 0, open = 0;
  sqlite3_int64 prior = 0;
  sqlite3_stmt *st = NULL;
  Settle s;
  memset(&s, 0, sizeof s);
  for (int k = 0; k < 4; k++) s.pj[k].n = -1;
  s.zc = zc;
  if (argc == 3) {
    const char *mode = (const char *)sqlite3_value_text(argv[2]);
    if (sqlite3_value_type(argv[2]) != SQLITE_TEXT || strcmp(mode, "supersede") != 0) {
      char *r = zc_value_repr(argv[2]);
      err = sqlite3_mprintf("settle: third argument %s is not 'supersede'", r ? r : "?");
      sqlite3_free(r);
      rc = SQLITE_ERROR;
      goto error;
    }
    supersede = 1;
  }
  if ((rc = zc_facts_sync(zc))) goto error;
  if ((rc = zc_month_args(zc, "settle", argv[0], argv[1], &region, &s.first, &s.next, &err))) goto error;
  /* our own copy: the facts caches (which own the code) may be dropped */
  if ((region_copy = sqlite3_mprintf("%s", region)) == NULL) { rc = SQLITE_NOMEM; goto error; }
  region = region_copy;
  if ((rc = exec_sql(db, "SAVEPOINT zhucan_settle", &err))) goto error;
  open = 1;
  if (!table_exists(db, "zhucan_run_pack") && (rc = run_schema(db, &err))) goto error;
  {
    /* runs stored before zhucan_run_site had stats: add the column (NULL
    ** in the old rows: their stats were not recorded) */
    sqlite3_int64 has = 0;
    if ((rc = query_int(db, "SELECT count(*) FROM pragma_table_info('zhucan_run_site') WHERE name = 'stats'",
                        &has)))
      goto error;
    if (!has && (rc = exec_sql(db, "ALTER TABLE zhucan_run_site ADD COLUMN stats TEXT", &err))) goto error;
  }

  char month[8];
  zc_month_format(s.first, month);
  rc = sqlite3_prepare_v2(db,
                          "SELECT id, created_at FROM zhucan_run WHERE region=?1 AND month=?2 AND superseded_by "
                          "IS NULL ORDER BY id DESC LIMIT 1",
                          -1, &st, NULL);
  if (rc) goto error;
  sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    prior = sqlite3_column_int64(st, 0);
    if (!supersede) {
      err = sqlite3_mprintf("settle: region %s month %s is already settled as run %lld; "
                            "runs are immutable: settle('%s', '%s', 'supersede') stores a new run and "
                            "marks run %lld superseded",
                            region, month, prior, region, month, prior);
      rc = SQLITE_ERROR;
      goto error;
    }
  } else if (rc != SQLITE_DONE) {
    goto error;
  }
  sqlite3_finalize(st);
  st = NULL;

  sqlite3_int64 horizon = 0;
  if (table_exists(db, "zhucan_policy") &&
      (rc = query_int(db, "SELECT max(id) FROM zhucan_policy", &horizon)))
    goto error;
  if ((rc = query_int(db, "SELECT coalesce(max(id), 0) + 1 FROM zhucan_run", &s.run))) goto error;

  rc = sqlite3_prepare_v2(db, "INSERT INTO zhucan_run_pack(seq, run_id, elder_id, meals, data) VALUES(?1,?5,?2,?3,?4)",
                          -1, &s.ins_pack, NULL);
  if (rc) goto error;
  sqlite3_bind_int64(s.ins_pack, 5, s.run);
  rc = sqlite3_prepare_v2(db,
                          "INSERT INTO zhucan_run_item(seq, run_id, site_id, item, payer, quantity, amount_fen, "
                          "version_id) VALUES(?1,?8,?2,?3,?4,?5,?6,?7)",
                          -1, &s.ins_item, NULL);
  if (rc) goto error;
  sqlite3_bind_int64(s.ins_item, 8, s.run);
  sha256_init(&s.in_meals);
  sha256_init(&s.out);
  ZcMonthSink sink = {&s, settle_meal, settle_site, settle_item, 0, 0, NULL};
  s.sink = &sink;
  if ((rc = zc_month_compute(zc, "settle", region, s.first, s.next, &sink, &err))) goto error;
  if ((rc = pack_flush(&s))) goto error;

  struct sha256_ctx in;
  uint8_t d[SHA256_DIGEST_SIZE];
  char in_hex[65], out_hex[65];
  sha256_init(&in);
  Buf *b = &s.row;
  b->n = 0;
  ser_str(b, "zhucan input 2");
  ser_str(b, region);
  ser_str(b, month);
  if (b->oom) { rc = SQLITE_NOMEM; goto error; }
  sha256_update(&in, b->n, (const uint8_t *)b->z);
  if ((rc = versions_json(&s, &in, &vjson))) goto error;
  if ((rc = settle_snapshots(&s, &in, &err))) goto error;
  hash_some(&s.in_meals, &s.hin, 1);
  hash_some(&s.out, &s.hout, 1);
  if (s.hin.oom || s.hout.oom) { rc = SQLITE_NOMEM; goto error; }
  sha256_digest(&s.in_meals, SHA256_DIGEST_SIZE, d);
  sha256_update(&in, SHA256_DIGEST_SIZE, d);
  sha256_digest(&in, SHA256_DIGEST_SIZE, d);
  hex32(d, in_hex);
  sha256_digest(&s.out, SHA256_DIGEST_SIZE, d);
  hex32(d, out_hex);

  rc = sqlite3_prepare_v2(db,
                          "INSERT INTO zhucan_run(id, region, month, created_at, policy_versions, policy_horizon, "
                          "input_digest, output_digest, superseded_by, meals, subsidised_meals, total_fen) "
                          "VALUES(?1,?2,?3,datetime('now','+8 hours'),?4,?5,?6,?7,NULL,?8,?9,?10)",
                          -1, &st, NULL);
  if (rc) goto error;
  sqlite3_bind_int64(st, 1, s.run);
  sqlite3_bind_text(st, 2, region, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, month, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, vjson, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, horizon);
  sqlite3_bind_text(st, 6, in_hex, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, out_hex, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 8, s.nmeal);
  sqlite3_bind_int64(st, 9, s.subsidised);
  sqlite3_bind_int64(st, 10, s.total);
  rc = sqlite3_step(st);
  if (rc != SQLITE_DONE) goto error;
  sqlite3_finalize(st);
  st = NULL;
  if (prior) {
    rc = sqlite3_prepare_v2(db, "UPDATE zhucan_run SET superseded_by=?1 WHERE id=?2", -1, &st, NULL);
    if (rc) goto error;
    sqlite3_bind_int64(st, 1, s.run);
    sqlite3_bind_int64(st, 2, prior);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) goto error;
    sqlite3_finalize(st);
    st = NULL;
  }
  sqlite3_finalize(s.ins_pack);
  sqlite3_finalize(s.ins_item);
  s.ins_pack = s.ins_item = NULL;
  open = 0;
  if ((rc = exec_sql(db, "RELEASE zhucan_settle", &err))) {
    exec_sql(db, "ROLLBACK TO zhucan_settle", NULL);
    exec_sql(db, "RELEASE zhucan_settle", NULL);
    goto error;
  }
  sqlite3_result_int64(ctx, s.run);
  goto done;

error:
  if (!err) {
    const char *m = sqlite3_errmsg(db);
    err = sqlite3_mprintf("settle: %s", rc == SQLITE_NOMEM ? "out of memory" : (m ? m : sqlite3_errstr(rc)));
  }
  sqlite3_finalize(st);
  st = NULL;
  sqlite3_finalize(s.ins_pack);
  sqlite3_finalize(s.ins_item);
  s.ins_pack = s.ins_item = NULL;
  if (open) {
    exec_sql(db, "ROLLBACK TO zhucan_settle", NULL);
    exec_sql(db, "RELEASE zhucan_settle", NULL);
  }
  if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
  else if (strncmp(err, "settle:", 7) == 0) sqlite3_result_error(ctx, err, -1);
  else zc_errorf(ctx, "settle: %s", err);
done:
  sqlite3_free(err);
  sqlite3_free(vjson);
  sqlite3_free(region_copy);
  buf_free(&s.row);
  zc_pack_free(&s.pack);
  for (int k = 0; k < 4; k++) buf_free(&s.pj[k].json);
  buf_free(&s.hin);
  buf_free(&s.hout);
  zc_map_clear(&s.elders);
  zc_map_clear(&s.sites);
  zc_map_clear(&s.vers);
  stats_map_clear(&s.stats);
}

/* --------------------------------------------------------- replay() */

/* One meal as settled (from zhucan_run_meal) or as replayed (from the
** month pass).  Strings are borrowed in place and owned (copied) once the
** meal waits in a pending list. */
typedef struct Snap {
  sqlite3_int64 id, elder, site, served_at, price, version, subsidy;
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
  c->slot = dup_text(p->slot);
  c->method = dup_text(p->method);
  c->device = dup_text(p->device);
  c->token = dup_text(p->token);
  c->parts = dup_text(p->parts);
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
  Buf sbuf;          /* the current settled meal's strings */
  int damaged;       /* settled_next met a damaged pack */
  int has_s;
  Snap s;
  Pending ps, pr;
  Item *items_s, *items_r;
  size_t nis, cis, nir, cir;
  Buf parts;
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
  buf_free(&c->sbuf);
  c->v1 = 0;
  c->damaged = 0;
  c->has_s = 0;
  pending_clear(&c->ps);
  pending_clear(&c->pr);
  items_free(c->items_s, c->nis);
  items_free(c->items_r, c->nir);
  c->items_s = c->items_r = NULL;
  c->nis = c->cis = c->nir = c->cir = 0;
  buf_free(&c->parts);
  stats_map_clear(&c->stats);
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
  d->item = dup_text(item);
  d->payer = dup_text(payer);
  d->cause = dup_text(cause);
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
** c->s (borrowed). */
static void settled_row(ReplayCur *c) {
  sqlite3_stmt *st = c->settled;
  Snap *s = &c->s;
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

/* The next meal of the current pack into c->s: 1, or 0 at its end. */
static int pack_meal(ReplayCur *c) {
  ZcPackMeal m;
  int k = zc_pack_next(&c->rd, &m);
  if (k <= 0) return k;
  Snap *s = &c->s;
  memset(s, 0, sizeof *s);
  s->id = m.id;
  s->elder = c->pack_elder;
  s->site = m.site;
  s->served_at = m.served_at;
  s->price = m.price;
  for (int i = 0; i < 3; i++) s->nth[i] = m.nth[i];
  s->version = m.version;
  s->subsidy = m.subsidy;
  /* the strings, NUL-terminated, in sbuf (placed first, pointed at after) */
  size_t off[5];
  c->sbuf.n = 0;
  for (int i = 0; i < 5; i++) {
    off[i] = c->sbuf.n;
    if (m.s[i]) buf_add(&c->sbuf, m.s[i], (size_t)m.n[i] + 1), c->sbuf.z[c->sbuf.n - 1] = 0;
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
      c->has_s = 1;
      settled_row(c);
      return SQLITE_OK;
    }
    c->has_s = 0;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  for (;;) {
    if (c->pack) {
      int k = pack_meal(c);
      if (k == 1) {
        c->has_s = 1;
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
      c->has_s = 0;
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

static int meal_lines(ReplayCur *c, const Snap *m, Line **out, int *pn) {
  Line *a = NULL;
  int n = 0, cap = 0, rc = SQLITE_OK;
  *out = NULL;
  *pn = 0;
  if (m == NULL || m->subsidy <= 0 || m->parts == NULL) return SQLITE_OK;
  sqlite3_reset(c->parts_of);
  sqlite3_bind_text(c->parts_of, 1, m->parts, -1, SQLITE_STATIC);
  for (int copay = 0;;) {
    const char *payer;
    sqlite3_int64 fen;
    if (!copay) {
      rc = sqlite3_step(c->parts_of);
      if (rc == SQLITE_DONE) {
        copay = 1;
        rc = SQLITE_OK;
        if (m->price == m->subsidy) break;
        payer = "elder";
        fen = m->price - m->subsidy;
      } else if (rc != SQLITE_ROW) {
        break;
      } else {
        payer = (const char *)sqlite3_column_text(c->parts_of, 0);
        fen = sqlite3_column_int64(c->parts_of, 1);
        rc = SQLITE_OK;
      }
    } else {
      break;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      Line *na = sqlite3_realloc64(a, (sqlite3_uint64)cap * sizeof *na);
      if (!na) { rc = SQLITE_NOMEM; break; }
      a = na;
    }
    a[n].site = m->site;
    a[n].fen = fen;
    a[n].payer = dup_text(payer);
    if (!a[n].payer) { rc = SQLITE_NOMEM; break; }
    n++;
    if (copay) break;
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

static void cause_sep(Buf *b, const char *head, int *first) {
  buf_str(b, *first ? head : ", ");
  *first = 0;
}

static void cause_field(Buf *b, const char *head, int *first, const char *name, const char *was, const char *now) {
  if (same_str(was, now)) return;
  cause_sep(b, head, first);
  buf_str(b, name);
  buf_str(b, " ");
  buf_str(b, was ? was : "NULL");
  buf_str(b, " -> ");
  buf_str(b, now ? now : "NULL");
}

static void cause_int(Buf *b, const char *head, int *first, const char *name, sqlite3_int64 was, sqlite3_int64 now) {
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
static void cause_list(Buf *b, const char *head, int *first, const char *word, const char *was, const char *now,
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
        buf_str(b, word);
        buf_add(b, " ", 1);
        buf_add(b, p, len);
        buf_str(b, verb);
      }
      p = e ? e + 1 : NULL;
    }
  }
}

/* Changes of the elder's facts, the stored snapshot against today's data.
** With a day, a death date or an interval counts only if the change makes
** a difference on that day. */
static int elder_cause(ReplayCur *c, sqlite3_int64 elder, int day, Buf *b, const char *head, int *first) {
  const ZcElderRec *e = NULL;
  char *err = NULL;
  ElderSnap now;
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
    buf_str(b, "elder ");
    buf_int(b, elder);
    buf_str(b, " removed");
    sqlite3_reset(c->elder_of);
    return SQLITE_OK;
  }
  if ((rc = elder_snap_make(c->zc, e, c->first, c->next, &now))) {
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
  elder_snap_free(&now);
  sqlite3_reset(c->elder_of);
  return SQLITE_OK;
}

/* Changes of a site's facts: "site 3 closed_on NULL -> 2024-03-20". */
static int site_cause(ReplayCur *c, sqlite3_int64 site, Buf *b, const char *head0, int *first, int with_stats) {
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
  char *head = sqlite3_mprintf("%ssite %lld ", head0, (long long)site);
  char *sep = sqlite3_mprintf(", site %lld ", (long long)site);
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
    buf_str(b, "removed");
  } else {
    char op[11], cl[11], sl[24], gr[24], bd[24];
    zc_day_format(f->opened_on, op);
    if (f->closed_on != ZC_NONE) zc_day_format(f->closed_on, cl);
    slots_text(f->slots, sl);
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
        buf_str(b, "site() no longer called");
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

/* Why settled meal s and replayed meal r differ: "meal added", "meal
** removed", or groups "meal changed: ...", "facts changed: ...", "policy
** changed: ..." joined by "; ". */
static int meal_cause(ReplayCur *c, const Snap *s, const Snap *r, Buf *b) {
  int any = 0, first = 1, rc;
  char x[20], y[20];
  b->n = 0;
  if (s == NULL || r == NULL) {
    buf_str(b, s ? "meal removed" : "meal added");
    return b->oom ? SQLITE_NOMEM : SQLITE_OK;
  }
  const char *head = "meal changed: ";
  cause_int(b, head, &first, "elder_id", s->elder, r->elder);
  cause_int(b, head, &first, "site_id", s->site, r->site);
  zc_time_format(s->served_at, x);
  zc_time_format(r->served_at, y);
  cause_field(b, head, &first, "served_at", x, y);
  cause_field(b, head, &first, "slot", s->slot, r->slot);
  cause_field(b, head, &first, "method", s->method, r->method);
  cause_field(b, head, &first, "device", s->device, r->device);
  cause_field(b, head, &first, "token", s->token, r->token);
  cause_int(b, head, &first, "price_fen", s->price, r->price);
  if (!first) any = 1;
  first = 1;
  head = any ? "; facts changed: " : "facts changed: ";
  cause_int(b, head, &first, "nth_slot", s->nth[0], r->nth[0]);
  cause_int(b, head, &first, "nth_day", s->nth[1], r->nth[1]);
  cause_int(b, head, &first, "nth_month", s->nth[2], r->nth[2]);
  int day = (int)(r->served_at / ZC_DAY_SECONDS);
  if ((rc = elder_cause(c, r->elder, day, b, head, &first))) return rc;
  if ((rc = site_cause(c, r->site, b, first ? head : "", &first, 0))) return rc;
  if (first && !any) { /* nothing bears on the day: show every change of the elder */
    if ((rc = elder_cause(c, r->elder, ZC_NONE, b, head, &first))) return rc;
  }
  if (!first) any = 1;
  if (s->version != r->version) {
    first = 1;
    cause_int(b, any ? "; policy changed: " : "policy changed: ", &first, "version", s->version, r->version);
    any = 1;
  }
  if (!any) buf_str(b, "unexplained: same inputs, different money");
  return b->oom ? SQLITE_NOMEM : SQLITE_OK;
}

/* Compares a settled meal with its recomputation (either may be NULL). */
static int meal_compare(ReplayCur *c, const Snap *s, const Snap *r) {
  if (s && r && s->site == r->site && s->subsidy == r->subsidy && s->price == r->price &&
      same_str(s->parts, r->parts))
    return SQLITE_OK;
  Line *ls = NULL, *lr = NULL;
  int ns = 0, nr = 0, rc;
  Buf cause;
  memset(&cause, 0, sizeof cause);
  if ((rc = meal_lines(c, s, &ls, &ns)) || (rc = meal_lines(c, r, &lr, &nr))) goto done;
  int differs = 0;
  for (int i = 0; i < ns && !differs; i++) {
    int j = 0;
    while (j < nr && !(lr[j].site == ls[i].site && !strcmp(lr[j].payer, ls[i].payer))) j++;
    if (j == nr || lr[j].fen != ls[i].fen) differs = 1;
  }
  if (ns != nr) differs = 1;
  if (!differs) goto done;
  if ((rc = meal_cause(c, s, r, &cause))) goto done;
  sqlite3_int64 id = s ? s->id : r->id;
  for (int i = 0; i < ns; i++) {
    int j = 0;
    while (j < nr && !(lr[j].site == ls[i].site && !strcmp(lr[j].payer, ls[i].payer))) j++;
    sqlite3_int64 rf = j < nr ? lr[j].fen : 0;
    if (rf != ls[i].fen && (rc = diff_add(c, ls[i].site, id, "meal", ls[i].payer, ls[i].fen, rf, cause.z))) goto done;
  }
  for (int j = 0; j < nr; j++) {
    int i = 0;
    while (i < ns && !(lr[j].site == ls[i].site && !strcmp(lr[j].payer, ls[i].payer))) i++;
    if (i == ns && (rc = diff_add(c, lr[j].site, id, "meal", lr[j].payer, 0, lr[j].fen, cause.z))) goto done;
  }
done:
  for (int i = 0; i < ns; i++) sqlite3_free(ls[i].payer);
  for (int i = 0; i < nr; i++) sqlite3_free(lr[i].payer);
  sqlite3_free(ls);
  sqlite3_free(lr);
  buf_free(&cause);
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
    parts_json(&c->parts, res);
    if (c->parts.oom) return SQLITE_NOMEM;
    r.parts = c->parts.z;
  }
  while (c->has_s && snap_key_cmp(&c->s, &r) < 0) {
    if ((rc = pending_add(&c->ps, &c->s)) || (rc = settled_next(c))) return rc;
  }
  if (c->has_s && snap_key_cmp(&c->s, &r) == 0) {
    if ((rc = meal_compare(c, &c->s, &r))) return rc;
    return settled_next(c);
  }
  return pending_add(&c->pr, &r);
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
  char *j = stats_json(t);
  *slot = (sqlite3_int64)(intptr_t)j;
  return j ? SQLITE_OK : SQLITE_NOMEM;
}

static int replay_item(void *p, const ZcSiteFacts *site, const ZcPolicyVersion *v, const ZcSiteItem *it,
                       char **pzErr) {
  ReplayCur *c = p;
  (void)v;
  (void)pzErr;
  if (c->nir == c->cir) {
    size_t ncap = c->cir ? c->cir * 2 : 16;
    Item *na = sqlite3_realloc64(c->items_r, ncap * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    c->items_r = na;
    c->cir = ncap;
  }
  Item *x = &c->items_r[c->nir];
  x->site = site->id;
  x->quantity = it->quantity;
  x->fen = it->fen;
  x->item = dup_text(it->item);
  x->payer = dup_text(it->payer);
  if (!x->item || !x->payer) {
    sqlite3_free(x->item);
    sqlite3_free(x->payer);
    return SQLITE_NOMEM;
  }
  c->nir++;
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
      a[k].fen += a[i].fen;
      a[k].quantity += a[i].quantity;
      sqlite3_free(a[i].item);
      sqlite3_free(a[i].payer);
    } else {
      a[++k] = a[i];
    }
  }
  return k + 1;
}

static int items_compare(ReplayCur *c) {
  size_t ns = items_fold(c->items_s, c->nis), nr = items_fold(c->items_r, c->nir);
  size_t i = 0, j = 0;
  int rc = SQLITE_OK;
  Buf b;
  memset(&b, 0, sizeof b);
  c->nis = ns;
  c->nir = nr;
  while (rc == SQLITE_OK && (i < ns || j < nr)) {
    int k = i == ns ? 1 : j == nr ? -1 : item_cmp(&c->items_s[i], &c->items_r[j]);
    const Item *s = k <= 0 ? &c->items_s[i] : NULL, *r = k >= 0 ? &c->items_r[j] : NULL;
    if (s && r && s->fen == r->fen && s->quantity == r->quantity) {
      /* same */
    } else {
      const Item *x = s ? s : r;
      int first = 1;
      b.n = 0;
      if (!s) buf_str(&b, "site item added");
      else if (!r) buf_str(&b, "site item removed");
      else {
        cause_int(&b, "site item changed: ", &first, "quantity", s->quantity, r->quantity);
        if (first) buf_str(&b, "site item changed");
      }
      int f2 = 1;
      if ((rc = site_cause(c, x->site, &b, "; facts changed: ", &f2, 1))) break;
      if (b.oom) { rc = SQLITE_NOMEM; break; }
      rc = diff_add(c, x->site, 0, x->item, x->payer, s ? s->fen : 0, r ? r->fen : 0, b.z);
    }
    if (k <= 0) i++;
    if (k >= 0) j++;
  }
  buf_free(&b);
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

static int rp_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  ReplayCur *c = (ReplayCur *)cur;
  ZcConn *zc = c->zc;
  sqlite3 *db = zc->db;
  sqlite3_stmt *st = NULL;
  char *err = NULL, *region = NULL;
  int rc = SQLITE_OK;
  sqlite3_int64 horizon = 0;
  replay_reset(c);
  if (argc != 1 || idxNum != 1) {
    err = sqlite3_mprintf("replay: needs a run id, replay(run_id): the id settle() answered "
                          "(SELECT id FROM zhucan_run)");
    rc = SQLITE_ERROR;
    goto error;
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK;
  sqlite3_value *n = sqlite3_value_dup(argv[0]);
  int ok = n && sqlite3_value_numeric_type(n) == SQLITE_INTEGER;
  if (ok) c->run = sqlite3_value_int64(n);
  sqlite3_value_free(n);
  if (!ok) {
    char *r = zc_value_repr(argv[0]);
    err = sqlite3_mprintf("replay: run id %s is not an integer run id", r ? r : "?");
    sqlite3_free(r);
    rc = SQLITE_ERROR;
    goto error;
  }
  if ((rc = zc_facts_sync(zc))) goto error;
  if (!table_exists(db, "zhucan_run")) {
    err = sqlite3_mprintf("replay: run %lld does not exist (no run has been settled yet)", c->run);
    rc = SQLITE_ERROR;
    goto error;
  }
  if ((rc = rp_prepare(c, "SELECT region, month, policy_horizon FROM zhucan_run WHERE id=?1", &st))) goto error;
  sqlite3_bind_int64(st, 1, c->run);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_DONE) {
      err = sqlite3_mprintf("replay: run %lld does not exist", c->run);
      rc = SQLITE_ERROR;
    }
    goto error;
  }
  region = dup_text((const char *)sqlite3_column_text(st, 0));
  const char *month = (const char *)sqlite3_column_text(st, 1);
  if (!month || !zc_month_parse(month, -1, &c->first, &c->next)) {
    err = sqlite3_mprintf("replay: run %lld has a malformed month", c->run);
    rc = SQLITE_ERROR;
    goto error;
  }
  horizon = sqlite3_column_int64(st, 2);
  sqlite3_finalize(st);
  st = NULL;
  const ZcRegion *reg = region ? zc_region(zc, region) : NULL;
  if (reg == NULL) {
    err = sqlite3_mprintf("replay: run %lld: region %Q is no longer in table region", c->run, region);
    rc = SQLITE_ERROR;
    goto error;
  }
  /* the run's meals: packs, or rows of a run stored before packs */
  sqlite3_int64 npack = 0;
  char qbuf[128];
  if (table_exists(zc->db, "zhucan_run_pack") &&
      (rc = query_int(zc->db, sqlite3_snprintf(sizeof qbuf, qbuf,
                                               "SELECT count(*) FROM zhucan_run_pack WHERE seq>=%lld AND seq<%lld",
                                               c->run << 32, (c->run + 1) << 32),
                      &npack)))
    goto error;
  /* runs from before packs: rows of zhucan_run_meal_v1, or of the table
  ** zhucan_run_meal when no settle() has moved it aside yet */
  const char *v1 = NULL;
  if (npack == 0) {
    if (table_exists(zc->db, "zhucan_run_meal_v1")) v1 = "zhucan_run_meal_v1";
    else if ((rc = query_int(zc->db,
                             "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'zhucan_run_meal'",
                             &npack)))
      goto error;
    else if (npack) v1 = "zhucan_run_meal";
  }
  c->v1 = v1 != NULL;
  char *v1sql = v1 ? sqlite3_mprintf("SELECT meal_id, elder_id, site_id, served_at, slot, method, device, token, "
                                     "price_fen, nth_slot, nth_day, nth_month, version_id, subsidy_fen, parts "
                                     "FROM %s WHERE seq>=?1 AND seq<?2 ORDER BY seq", v1)
                   : NULL;
  if (v1 && !v1sql) { rc = SQLITE_NOMEM; goto error; }
  rc = rp_prepare(c, v1 ? v1sql : "SELECT elder_id, data FROM zhucan_run_pack WHERE seq>=?1 AND seq<?2 ORDER BY seq",
                  &c->settled);
  sqlite3_free(v1sql);
  if (rc) goto error;
  if ((rc = rp_prepare(c, "SELECT key, value FROM json_each(?1)", &c->parts_of)) ||
      (rc = rp_prepare(c,
                       "SELECT sex, birth, region, died_on, status, agreement, bed FROM zhucan_run_elder "
                       "WHERE run_id=?1 AND elder_id=?2",
                       &c->elder_of)) ||
      (rc = rp_prepare(c,
                       "SELECT name, kind, grade, beds, area_m2, opened_on, closed_on, slots, region, stats "
                       "FROM zhucan_run_site WHERE run_id=?1 AND site_id=?2",
                       &c->site_of)) ||
      (rc = rp_prepare(c,
                       "SELECT site_id, item, payer, quantity, amount_fen FROM zhucan_run_item "
                       "WHERE seq>=?1 AND seq<?2 ORDER BY seq",
                       &st)))
    goto error;
  sqlite3_bind_int64(st, 1, c->run << 32);
  sqlite3_bind_int64(st, 2, (c->run + 1) << 32);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (c->nis == c->cis) {
      size_t ncap = c->cis ? c->cis * 2 : 16;
      Item *na = sqlite3_realloc64(c->items_s, ncap * sizeof *na);
      if (!na) { rc = SQLITE_NOMEM; goto error; }
      c->items_s = na;
      c->cis = ncap;
    }
    Item *x = &c->items_s[c->nis];
    x->site = sqlite3_column_int64(st, 0);
    x->item = dup_text((const char *)sqlite3_column_text(st, 1));
    x->payer = dup_text((const char *)sqlite3_column_text(st, 2));
    x->quantity = sqlite3_column_int64(st, 3);
    x->fen = sqlite3_column_int64(st, 4);
    c->nis++;
    if (!x->item || !x->payer) { rc = SQLITE_NOMEM; goto error; }
  }
  if (rc != SQLITE_DONE) goto error;
  sqlite3_finalize(st);
  st = NULL;
  sqlite3_bind_int64(c->settled, 1, c->run << 32);
  sqlite3_bind_int64(c->settled, 2, (c->run + 1) << 32);
  if ((rc = settled_next(c))) goto error;

  ZcMonthSink sink = {c, replay_meal, replay_site, replay_item, 0, horizon, NULL};
  rc = zc_month_compute(zc, "replay", reg->code, c->first, c->next, &sink, &err);
  if (rc) goto error;
  while (c->has_s) {
    if ((rc = pending_add(&c->ps, &c->s)) || (rc = settled_next(c))) goto error;
  }
  for (size_t i = 0; i < c->pr.n; i++) {
    Snap *r = c->pr.a[i];
    Snap *s = pending_take(&c->ps, r->id);
    rc = meal_compare(c, s, r);
    snap_free(s);
    if (rc) goto error;
  }
  for (size_t i = 0; i < c->ps.n; i++)
    if (c->ps.a[i] && (rc = meal_compare(c, c->ps.a[i], NULL))) goto error;
  if ((rc = items_compare(c))) goto error;
  if (c->n > 1) qsort(c->rows, c->n, sizeof *c->rows, diff_cmp);
  c->i = 0;
  sqlite3_free(region);
  {
    /* keep the rows, drop the pass state */
    Diff *rows = c->rows;
    size_t nrows = c->n, cap = c->cap;
    c->rows = NULL;
    c->n = c->cap = 0;
    replay_reset(c);
    c->rows = rows;
    c->n = nrows;
    c->cap = cap;
  }
  return SQLITE_OK;
error:
  if (!err && c->damaged)
    err = sqlite3_mprintf("replay: run %lld: the pack of elder %lld in zhucan_run_pack is damaged", c->run,
                          c->pack_elder);
  if (!err) err = sqlite3_mprintf("replay: run %lld: %s", c->run, rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
  else if (strncmp(err, "replay:", 7) != 0) {
    char *w = sqlite3_mprintf("replay: %s", err);
    sqlite3_free(err);
    err = w;
  }
  sqlite3_finalize(st);
  sqlite3_free(region);
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

static const ZcFunc aFunc[] = {
    /* DIRECTONLY: settle writes tables; a view or trigger must not call it. */
    {"settle", 2, ZC_DIRECT, settle_func},
    {"settle", 3, ZC_DIRECT, settle_func},
};

int zc_run_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  int rc = zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "replay", &replay_module, zc);
  return rc;
}
