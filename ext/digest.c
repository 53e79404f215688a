/*
** digest.c — the digests of stored runs that settle() writes and
** run_verify() recomputes: the rows digest (every stored row of a run) and
** the chain (each run's header linked to the run before it).  No SQL of
** its own.  Layouts: docs/auditing.md.
*/
#include "digest.h"
#include <stdio.h>

const char *const zc_run_table[ZC_RT_N] = {"zhucan_run_pack", "zhucan_run_item", "zhucan_run_elder",
                                           "zhucan_run_site", "zhucan_run_cover"};

/* the guard triggers runschema.c creates: run_verify checks they are there */
const char *const zc_run_triggers[] = {
    "zhucan_run_guard_insert",       "zhucan_run_guard_update",       "zhucan_run_guard_delete",
    "zhucan_run_pack_guard_insert",  "zhucan_run_pack_guard_update",  "zhucan_run_pack_guard_delete",
    "zhucan_run_elder_guard_insert", "zhucan_run_elder_guard_update", "zhucan_run_elder_guard_delete",
    "zhucan_run_site_guard_insert",  "zhucan_run_site_guard_update",  "zhucan_run_site_guard_delete",
    "zhucan_run_item_guard_insert",  "zhucan_run_item_guard_update",  "zhucan_run_item_guard_delete",
    "zhucan_run_cover_guard_insert", "zhucan_run_cover_guard_update", "zhucan_run_cover_guard_delete",
    NULL};

void zc_rh_init(ZcRowHash *h, int t, sqlite3_int64 run) {
  sha256_init(&h->c);
  h->b.n = 0;
  ser_str(&h->b, zc_run_table[t]);
  ser_i64(&h->b, run);
}

void zc_rows_digest(sqlite3_int64 run, char tables[ZC_RT_N][65], char out[65]) {
  struct sha256_ctx c;
  uint8_t d[SHA256_DIGEST_SIZE];
  char head[64];
  int n = snprintf(head, sizeof head, "zhucan rows 1 %lld", (long long)run);
  sha256_init(&c);
  sha256_update(&c, (size_t)n + 1, (const uint8_t *)head);
  for (int t = 0; t < ZC_RT_N; t++) sha256_update(&c, 65, (const uint8_t *)tables[t]);
  sha256_digest(&c, SHA256_DIGEST_SIZE, d);
  hex32(d, out);
}

void zc_rh_text(ZcRowHash *h, const char *z, size_t n) {
  if (!z) {
    zc_rh_null(h);
    return;
  }
  ser_u64(&h->b, 3);
  ser_u64(&h->b, (uint64_t)n);
  zc_buf_add(&h->b, z, n);
  hash_some(&h->c, &h->b, 0);
}

void zc_rh_blob(ZcRowHash *h, const void *p, size_t n) {
  ser_u64(&h->b, 4);
  ser_u64(&h->b, (uint64_t)n);
  /* big blobs (packs) go to the hash directly */
  hash_some(&h->c, &h->b, 1);
  if (n) sha256_update(&h->c, n, (const uint8_t *)p);
}

void zc_rh_column(ZcRowHash *h, sqlite3_stmt *st, int i) {
  sqlite3_value *v = sqlite3_column_value(st, i);
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: zc_rh_int(h, sqlite3_value_int64(v)); break;
    case SQLITE_FLOAT: zc_rh_real(h, sqlite3_value_double(v)); break;
    case SQLITE_TEXT:
      zc_rh_text(h, (const char *)sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v));
      break;
    case SQLITE_BLOB: zc_rh_blob(h, sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v)); break;
    default: zc_rh_null(h); break;
  }
}

void zc_rh_row(ZcRowHash *h) {
  ser_u64(&h->b, 5);
  hash_some(&h->c, &h->b, 0);
}

int zc_rh_end(ZcRowHash *h, char out[65]) {
  uint8_t d[SHA256_DIGEST_SIZE];
  hash_some(&h->c, &h->b, 1);
  if (h->b.oom) return SQLITE_NOMEM;
  sha256_digest(&h->c, SHA256_DIGEST_SIZE, d);
  hex32(d, out);
  return SQLITE_OK;
}

void zc_rh_free(ZcRowHash *h) { zc_buf_free(&h->b); }

int zc_chain(const char *prev, const ZcRunHead *r, char out[65]) {
  struct sha256_ctx c;
  uint8_t d[SHA256_DIGEST_SIZE];
  ZcBuf b;
  memset(&b, 0, sizeof b);
  ser_str(&b, "zhucan chain 1");
  ser_str(&b, prev);
  ser_i64(&b, r->id);
  ser_str(&b, r->region);
  ser_str(&b, r->month);
  ser_str(&b, r->created_at);
  ser_str(&b, r->versions);
  ser_i64(&b, r->horizon);
  ser_str(&b, r->input);
  ser_str(&b, r->output);
  ser_str(&b, r->rows);
  ser_str(&b, r->supersedes);
  if (r->sites < 0) {
    ser_u64(&b, 0);
  } else {
    ser_u64(&b, 1);
    ser_i64(&b, r->sites);
  }
  ser_i64(&b, r->meals);
  ser_i64(&b, r->subsidised);
  ser_i64(&b, r->total);
  if (b.oom) {
    zc_buf_free(&b);
    return SQLITE_NOMEM;
  }
  sha256_init(&c);
  sha256_update(&c, b.n, (const uint8_t *)b.z);
  sha256_digest(&c, SHA256_DIGEST_SIZE, d);
  hex32(d, out);
  zc_buf_free(&b);
  return SQLITE_OK;
}

static const char *head_text(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

void zc_run_head(ZcRunHead *h, sqlite3_stmt *st, const char *rows) {
  h->id = sqlite3_column_int64(st, 0);
  h->region = head_text(st, 1);
  h->month = head_text(st, 2);
  h->created_at = head_text(st, 3);
  h->versions = head_text(st, 4);
  h->horizon = sqlite3_column_int64(st, 5);
  h->input = head_text(st, 6);
  h->output = head_text(st, 7);
  h->meals = sqlite3_column_int64(st, 8);
  h->subsidised = sqlite3_column_int64(st, 9);
  h->total = sqlite3_column_int64(st, 10);
  h->sites = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 11);
  h->supersedes = head_text(st, 12);
  h->rows = rows;
}
