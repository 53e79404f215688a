/*
** pack.c — how a stored run keeps its meals: one blob per elder of the run
** (table zhucan_run_pack), and the table-valued function that opens one:
**
**   SELECT * FROM zhucan_run_unpack((SELECT data FROM zhucan_run_pack LIMIT 1));
**
**   CREATE TABLE x(k, meal_id, site_id, served_at, slot, method, device,
**                  token, price_fen, nth_slot, nth_day, nth_month,
**                  version_id, subsidy_fen, parts, credit_fen,
**                  data HIDDEN);                              -- data required
**
** The view zhucan_run_meal (run.c) joins every pack with its unpacked
** meals, so a run reads as one row per meal; settle() writes packs, and
** replay() decodes them directly.  A row per meal cost SQLite more than the
** whole month's money (a city month: 5.3M rows, 540 MB); packs are one row
** per elder and about a fifth of the bytes.
**
** Layout (canonical: equal meals give equal bytes on every host): a byte 1
** (the layout's version), then per meal, in (served_at, id) order:
**   flags     varint: bit 0 set = site_id is the previous meal's, bit 1
**             set = version_id is (the first meal has no previous one:
**             neither bit); bit 2 set = credit_fen follows the parts
**   meal_id   zigzag varint, the difference from the previous meal's id
**   served_at zigzag varint, seconds since the previous meal's (the first:
**             since 1970-01-01 00:00:00)
**   site_id   zigzag varint, unless flagged
**   slot, method, device, token   strings (below)
**   price_fen zigzag varint
**   nth_slot, nth_day, nth_month  varints
**   version_id zigzag varint, unless flagged
**   subsidy_fen zigzag varint
**   parts     string (the JSON of the parts, NULL when the meal was not
**             subsidised)
**   credit_fen zigzag varint, only when flagged: the part of the
**             co-payment paid with credit points (docs/credit.md); a meal
**             without one has no bit 2 and no field, so packs written
**             before credit points (and every pack without them) are
**             unchanged, byte for byte
** A string is varint 0 for NULL; 1, varint(length), the bytes for a string
** new to the pack (the first 64 such are numbered from 0 in order); 2 + k
** for the pack's string number k (an elder's meals repeat a few slots,
** devices, cards and parts).
** Integers are LEB128 varints (7 bits a byte, low first); zigzag maps
** 0, -1, 1, -2 ... to 0, 1, 2, 3 ...
*/
#include "modules.h"
#include "pack.h"
#include <string.h>

/* ---------------------------------------------------------------- write */

static int pw_need(ZcPackW *w, size_t extra) {
  if (w->oom) return 0;
  if (w->n + extra <= w->cap) return 1;
  size_t ncap = w->cap ? w->cap * 2 : 1024;
  while (ncap < w->n + extra) ncap *= 2;
  unsigned char *nz = sqlite3_realloc64(w->z, ncap);
  if (!nz) {
    w->oom = 1;
    return 0;
  }
  w->z = nz;
  w->cap = ncap;
  return 1;
}

/* Writers onto a cursor into room already reserved (pw_need per meal). */
static inline unsigned char *pw_u64(unsigned char *t, uint64_t v) {
  while (v >= 0x80) {
    *t++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *t++ = (unsigned char)v;
  return t;
}

static inline unsigned char *pw_i64(unsigned char *t, sqlite3_int64 v) {
  return pw_u64(t, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* short strings: a loop beats a call to memcmp */
static inline int eq_bytes(const unsigned char *a, const char *b, int n) {
  for (int i = 0; i < n; i++)
    if (a[i] != (unsigned char)b[i]) return 0;
  return 1;
}

static inline unsigned char *pw_str(ZcPackW *w, unsigned char *t, int field, const char *s, int n) {
  if (s == NULL) return pw_u64(t, 0);
  /* the string this field had last time first, then the others */
  int h = w->hint[field];
  if (h < w->nstr && w->len[h] == n && eq_bytes(w->z + w->off[h], s, n)) return pw_u64(t, 2 + (uint64_t)h);
  for (int k = 0; k < w->nstr; k++)
    if (k != h && w->len[k] == n && eq_bytes(w->z + w->off[k], s, n)) {
      w->hint[field] = k;
      return pw_u64(t, 2 + (uint64_t)k);
    }
  t = pw_u64(t, 1);
  t = pw_u64(t, (uint64_t)n);
  memcpy(t, s, (size_t)n);
  if (w->nstr < ZC_PACK_STRINGS) {
    w->off[w->nstr] = (size_t)(t - w->z);
    w->hint[field] = w->nstr;
    w->len[w->nstr++] = n;
  }
  return t + n;
}

void zc_pack_begin(ZcPackW *w) {
  w->n = 0;
  w->count = 0;
  w->nstr = 0;
  memset(w->hint, 0, sizeof w->hint);
  memset(&w->prev, 0, sizeof w->prev);
  if (pw_need(w, 1)) w->z[w->n++] = 1;
}

void zc_pack_meal(ZcPackW *w, const ZcPackMeal *m) {
  const ZcPackMeal *p = &w->prev;
  int first = w->count == 0;
  unsigned flags = 0;
  size_t room = 16 * 10;
  for (int i = 0; i < 5; i++) room += m->s[i] ? (size_t)m->n[i] + 20 : 0;
  if (!pw_need(w, room)) return;
  unsigned char *t = w->z + w->n;
  if (!first) {
    if (m->site == p->site) flags |= 1u;
    if (m->version == p->version) flags |= 2u;
  }
  if (m->credit != 0) flags |= 4u;
  t = pw_u64(t, flags);
  t = pw_i64(t, (sqlite3_int64)((uint64_t)m->id - (uint64_t)(first ? 0 : p->id)));
  t = pw_i64(t, (sqlite3_int64)((uint64_t)m->served_at - (uint64_t)(first ? 0 : p->served_at)));
  if (!(flags & 1u)) t = pw_i64(t, m->site);
  for (int i = 0; i < 4; i++) t = pw_str(w, t, i, m->s[i], m->n[i]);
  t = pw_i64(t, m->price);
  t = pw_u64(t, (uint64_t)m->nth[0]);
  t = pw_u64(t, (uint64_t)m->nth[1]);
  t = pw_u64(t, (uint64_t)m->nth[2]);
  if (!(flags & 2u)) t = pw_i64(t, m->version);
  t = pw_i64(t, m->subsidy);
  t = pw_str(w, t, 4, m->s[4], m->n[4]);
  if (flags & 4u) t = pw_i64(t, m->credit);
  w->n = (size_t)(t - w->z);
  w->prev = *m;
  for (int i = 0; i < 5; i++) w->prev.s[i] = NULL; /* not kept */
  w->count++;
}

void zc_pack_free(ZcPackW *w) {
  sqlite3_free(w->z);
  memset(w, 0, sizeof *w);
}

/* ----------------------------------------------------------------- read */

int zc_pack_open(ZcPackR *r, const void *data, int n) {
  memset(r, 0, sizeof *r);
  if (data == NULL || n < 1) return 0;   /* an empty blob's pointer is NULL */
  r->p = data;
  r->end = r->p + n;
  if (r->p[0] != 1) return 0;
  r->p++;
  return 1;
}

static int pr_u64(ZcPackR *r, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) return 0;
    unsigned char c = *r->p++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

static int pr_i64(ZcPackR *r, sqlite3_int64 *out) {
  uint64_t u;
  if (!pr_u64(r, &u)) return 0;
  *out = (sqlite3_int64)((u >> 1) ^ (0 - (u & 1)));
  return 1;
}

static int pr_str(ZcPackR *r, const char **s, int *n) {
  uint64_t u, len;
  if (!pr_u64(r, &u)) return 0;
  if (u == 0) {
    *s = NULL;
    *n = 0;
    return 1;
  }
  if (u >= 2) {
    if (u - 2 >= (uint64_t)r->nstr) return 0;
    *s = r->str[u - 2];
    *n = r->len[u - 2];
    return 1;
  }
  if (!pr_u64(r, &len) || len > (uint64_t)(r->end - r->p) || len > 0x7fffffff) return 0;
  *s = (const char *)r->p;
  *n = (int)len;
  r->p += len;
  if (r->nstr < ZC_PACK_STRINGS) {
    r->str[r->nstr] = *s;
    r->len[r->nstr++] = *n;
  }
  return 1;
}

int zc_pack_next(ZcPackR *r, ZcPackMeal *m) {
  if (r->p == r->end) return 0;
  ZcPackMeal *p = &r->prev;
  uint64_t flags, u;
  sqlite3_int64 d;
  if (!pr_u64(r, &flags) || flags > 7 || (r->count == 0 && (flags & 3u))) return -1;
  *m = *p;
  m->credit = 0;
  if (!pr_i64(r, &d)) return -1;
  m->id = (sqlite3_int64)((uint64_t)(r->count ? p->id : 0) + (uint64_t)d);
  if (!pr_i64(r, &d)) return -1;
  m->served_at = (sqlite3_int64)((uint64_t)(r->count ? p->served_at : 0) + (uint64_t)d);
  if (m->served_at < ZC_TIME_MIN || m->served_at > ZC_TIME_MAX) return -1;   /* no time of a meal */
  if (!(flags & 1u) && !pr_i64(r, &m->site)) return -1;
  for (int i = 0; i < 4; i++)
    if (!pr_str(r, &m->s[i], &m->n[i])) return -1;
  if (!pr_i64(r, &m->price)) return -1;
  for (int i = 0; i < 3; i++) {
    if (!pr_u64(r, &u) || u > 0x7fffffff) return -1;
    m->nth[i] = (int)u;
  }
  if (!(flags & 2u) && !pr_i64(r, &m->version)) return -1;
  if (!pr_i64(r, &m->subsidy)) return -1;
  if (!pr_str(r, &m->s[4], &m->n[4])) return -1;
  if ((flags & 4u) && (!pr_i64(r, &m->credit) || m->credit == 0)) return -1;   /* canonical: no flag for 0 */
  *p = *m;
  r->count++;
  return 1;
}

/* --------------------------------------------- zhucan_run_unpack(data) */

enum {
  UP_K, UP_MEAL, UP_SITE, UP_SERVED, UP_SLOT, UP_METHOD, UP_DEVICE, UP_TOKEN, UP_PRICE,
  UP_NTH_SLOT, UP_NTH_DAY, UP_NTH_MONTH, UP_VERSION, UP_SUBSIDY, UP_PARTS, UP_CREDIT, UP_DATA
};

/* the table: its connection, for the language of messages */
typedef struct UpVtab {
  sqlite3_vtab base;
  const ZcConn *zc;
} UpVtab;

typedef struct UpCursor {
  sqlite3_vtab_cursor base;
  sqlite3_value *data;  /* a copy: the blob the reader points into */
  ZcPackR r;
  ZcPackMeal m;
  int eof;
  sqlite3_int64 k;
} UpCursor;

static int up_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                      char **pzErr) {
  (void)argc, (void)argv, (void)pzErr;
  int rc = sqlite3_declare_vtab(db,
                                "CREATE TABLE x(k INTEGER, meal_id INTEGER, site_id INTEGER, served_at TEXT, "
                                "slot TEXT, method TEXT, device TEXT, token TEXT, price_fen INTEGER, "
                                "nth_slot INTEGER, nth_day INTEGER, nth_month INTEGER, version_id INTEGER, "
                                "subsidy_fen INTEGER, parts TEXT, credit_fen INTEGER, data HIDDEN)");
  if (rc) return rc;
  UpVtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->zc = pAux;
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int up_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* data is required: a plan without it is refused (another join order
** supplies it). */
static int up_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  (void)tab;
  int seen = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    if (info->aConstraint[i].iColumn != UP_DATA) continue;
    seen = 1;
    if (info->aConstraint[i].op != SQLITE_INDEX_CONSTRAINT_EQ || !info->aConstraint[i].usable) continue;
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 1;
    info->idxNum = 1;
    /* a pack holds an elder's month (tens of meals), but a run has many
    ** packs: priced high, so that joins read the run once as the outer
    ** loop rather than once per row of another table */
    info->estimatedCost = 1e6;
    info->estimatedRows = 1000;
    return SQLITE_OK;
  }
  /* no argument at all: a plan whose xFilter says what is missing (an
  ** argument not usable in this join order: ask for another order) */
  if (seen) return SQLITE_CONSTRAINT;
  info->idxNum = 0;
  info->estimatedCost = 1e300;
  return SQLITE_OK;
}

static int up_open(sqlite3_vtab *v, sqlite3_vtab_cursor **pp) {
  (void)v;
  UpCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->eof = 1;
  *pp = &c->base;
  return SQLITE_OK;
}

static int up_close(sqlite3_vtab_cursor *cur) {
  UpCursor *c = (UpCursor *)cur;
  sqlite3_value_free(c->data);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int up_next(sqlite3_vtab_cursor *cur) {
  UpCursor *c = (UpCursor *)cur;
  int k = zc_pack_next(&c->r, &c->m);
  if (k < 0) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg =
        sqlite3_mprintf(zc_tr(((UpVtab *)cur->pVtab)->zc, "zhucan_run_unpack: data is not a meal pack of zhucan_run_pack (damaged after meal %lld)", "zhucan_run_unpack：数据不是 zhucan_run_pack 的就餐数据包（在第 %lld 餐之后损坏）"),
                        (long long)c->k);
    return SQLITE_CORRUPT;
  }
  c->eof = k == 0;
  if (k) c->k++;
  return SQLITE_OK;
}

static int up_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  UpCursor *c = (UpCursor *)cur;
  sqlite3_value_free(c->data);
  c->data = NULL;
  c->eof = 1;
  c->k = 0;
  if (idxNum != 1 || argc != 1) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("%s", zc_tr(((UpVtab *)cur->pVtab)->zc, "zhucan_run_unpack: needs one argument, a data blob of zhucan_run_pack", "zhucan_run_unpack：需要一个参数，即 zhucan_run_pack 的 data 数据块"));
    return SQLITE_ERROR;
  }
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB ||
      !(c->data = sqlite3_value_dup(argv[0])) ||
      !zc_pack_open(&c->r, sqlite3_value_blob(c->data), sqlite3_value_bytes(c->data))) {
    int nomem = sqlite3_value_type(argv[0]) == SQLITE_BLOB && c->data == NULL;
    if (nomem) return SQLITE_NOMEM;
    char *r = zc_value_repr(argv[0]);
    if (!r) return SQLITE_NOMEM;
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg =
        sqlite3_mprintf(zc_tr(((UpVtab *)cur->pVtab)->zc, "zhucan_run_unpack: %s is not a meal pack, expected a data blob of zhucan_run_pack", "zhucan_run_unpack：%s 不是就餐数据包，应为 zhucan_run_pack 的 data 数据块"), r);
    sqlite3_free(r);
    return cur->pVtab->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return up_next(cur);
}

static int up_eof(sqlite3_vtab_cursor *cur) { return ((UpCursor *)cur)->eof; }

static void result_str(sqlite3_context *ctx, const char *s, int n) {
  if (s) sqlite3_result_text(ctx, s, n, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
}

static int up_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  UpCursor *c = (UpCursor *)cur;
  const ZcPackMeal *m = &c->m;
  char t[20];
  switch (col) {
    case UP_K: sqlite3_result_int64(ctx, c->k - 1); break;
    case UP_MEAL: sqlite3_result_int64(ctx, m->id); break;
    case UP_SITE: sqlite3_result_int64(ctx, m->site); break;
    case UP_SERVED:
      zc_time_format(m->served_at, t);
      sqlite3_result_text(ctx, t, 19, SQLITE_TRANSIENT);
      break;
    case UP_SLOT: result_str(ctx, m->s[0], m->n[0]); break;
    case UP_METHOD: result_str(ctx, m->s[1], m->n[1]); break;
    case UP_DEVICE: result_str(ctx, m->s[2], m->n[2]); break;
    case UP_TOKEN: result_str(ctx, m->s[3], m->n[3]); break;
    case UP_PRICE: sqlite3_result_int64(ctx, m->price); break;
    case UP_NTH_SLOT: sqlite3_result_int(ctx, m->nth[0]); break;
    case UP_NTH_DAY: sqlite3_result_int(ctx, m->nth[1]); break;
    case UP_NTH_MONTH: sqlite3_result_int(ctx, m->nth[2]); break;
    case UP_VERSION: sqlite3_result_int64(ctx, m->version); break;
    case UP_SUBSIDY: sqlite3_result_int64(ctx, m->subsidy); break;
    case UP_PARTS: result_str(ctx, m->s[4], m->n[4]); break;
    case UP_CREDIT: sqlite3_result_int64(ctx, m->credit); break;
    default: break;
  }
  return SQLITE_OK;
}

static int up_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *r) {
  *r = ((UpCursor *)cur)->k;
  return SQLITE_OK;
}

static sqlite3_module unpack_module = {
    0,         NULL,    up_connect, up_best_index, up_disconnect, NULL, up_open, up_close,
    up_filter, up_next, up_eof,     up_column,     up_rowid,      NULL, NULL,    NULL,
    NULL,      NULL,    NULL,       NULL,          NULL,          NULL, NULL,    NULL};

int zc_pack_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return sqlite3_create_module(db, "zhucan_run_unpack", &unpack_module, zc);
}
