/*
** digest.h — the canonical serialisation behind a run's digests (input,
** output, stored rows) and its chain (digest.c), shared by settle()
** (run.c), run_verify() (verify.c) and replay() (replay.c): the same bytes
** on every host, so a digest recomputed later matches.  docs/auditing.md
** gives the layouts.
*/
#ifndef ZC_DIGEST_H
#define ZC_DIGEST_H
#include "common.h"
#include <nettle/sha2.h>
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
static inline void ser_str(ZcBuf *b, const char *s) {
  if (s == NULL) {
    ser_u64(b, 0);
    return;
  }
  size_t n = strlen(s);
  ser_u64(b, (uint64_t)n + 1);
  zc_buf_add(b, s, n);
}
static inline void ser_double(ZcBuf *b, double d) {
  uint64_t u = 0; /* IEEE 754 binary64 bits as an integer */
  if (d != d) {
    u = 0x7ff8000000000000ULL; /* one NaN */
  } else {
    memcpy(&u, &d, sizeof u); /* IEEE 754 binary64 bits, serialised LE */
  }
  ser_u64(b, u);
}

static inline void hex32(const uint8_t d[SHA256_DIGEST_SIZE], char out[65]) {
  static const char hx[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
    out[2 * i] = hx[d[i] >> 4];
    out[2 * i + 1] = hx[d[i] & 15];
  }
  out[64] = 0;
}

/* Hashes the buffer once it holds 64 KiB (or anything, with all). */
static inline void hash_some(struct sha256_ctx *c, ZcBuf *b, int all) {
  if (b->n >= 65536 || (all && b->n)) {
    sha256_update(c, b->n, (const uint8_t *)b->z);
    b->n = 0;
  }
}

/* ---------------------------------------------------------- stored rows */

/* The rows digest: every stored row of a run, as the columns SQLite gives
** back (type and value), table by table in each table's key order (a
** ZcRowHash per table), then the tables' digests together (zc_rows_digest).
** settle() feeds it the values it binds; run_verify() the values it reads;
** both through these. */
enum { ZC_RT_PACK, ZC_RT_ITEM, ZC_RT_ELDER, ZC_RT_SITE, ZC_RT_COVER, ZC_RT_N };
extern const char *const zc_run_table[ZC_RT_N];
/* The guard triggers every run table has (runschema.c creates them;
** NULL-terminated), for run_verify's check that none was dropped. */
extern const char *const zc_run_triggers[];
typedef struct ZcRowHash {
  struct sha256_ctx c;
  ZcBuf b;
} ZcRowHash;
/* Starts the digest of table t of run (zero-initialise h first). */
void zc_rh_init(ZcRowHash *h, int t, sqlite3_int64 run);
static inline void zc_rh_null(ZcRowHash *h) { ser_u64(&h->b, 0); }
static inline void zc_rh_int(ZcRowHash *h, sqlite3_int64 v) {
  ser_u64(&h->b, 1);
  ser_i64(&h->b, v);
}
static inline void zc_rh_real(ZcRowHash *h, double v) {
  ser_u64(&h->b, 2);
  ser_double(&h->b, v);
}
void zc_rh_text(ZcRowHash *h, const char *z, size_t n);   /* z NULL: NULL */
void zc_rh_blob(ZcRowHash *h, const void *p, size_t n);
/* column i of a row read back */
void zc_rh_column(ZcRowHash *h, sqlite3_stmt *st, int i);
/* the end of a row (rows of different widths never run together) */
void zc_rh_row(ZcRowHash *h);
/* SQLITE_NOMEM, or the digest's hex into out. */
int zc_rh_end(ZcRowHash *h, char out[65]);
void zc_rh_free(ZcRowHash *h);
/* The rows digest of a run from its tables' digests. */
void zc_rows_digest(sqlite3_int64 run, char tables[ZC_RT_N][65], char out[65]);

/* ---------------------------------------------------------------- chain */

/* A run's link in the chain: sha256 over the previous run's chain (64 '0'
** for the first run) and the run's header, as stored in zhucan_run. */
typedef struct ZcRunHead {
  sqlite3_int64 id, horizon, meals, subsidised, total;
  sqlite3_int64 sites;            /* -1: NULL (a run stored before covers) */
  const char *region, *month, *created_at, *versions, *input, *output, *rows, *supersedes;
} ZcRunHead;
int zc_chain(const char *prev, const ZcRunHead *r, char out[65]);
/* The header from a row of zhucan_run read as ZC_RUN_HEAD_COLS (valid
** until the statement moves), with rows as its rows digest. */
#define ZC_RUN_HEAD_COLS                                                                                      \
  "id, region, month, created_at, policy_versions, policy_horizon, input_digest, output_digest, meals, "     \
  "subsidised_meals, total_fen, sites, supersedes"
void zc_run_head(ZcRunHead *h, sqlite3_stmt *st, const char *rows);

#endif /* ZC_DIGEST_H */
