/*
** rowkeys.c — the (site, item, payer) index of statement rows that
** settlement() and policy_impact() accumulate a month into (rowkeys.h).
*/
#include "rowkeys.h"
#include <string.h>

static void hot_empty(ZcRowKeys *k) {
  for (int i = 0; i < ZC_ROWKEYS_HOT; i++) k->hot[i].pos = -1;
}

void zc_rowkeys_init(ZcRowKeys *k) {
  memset(k, 0, sizeof *k);
  zc_map_init(&k->hash_pos);
  hot_empty(k);
}

void zc_rowkeys_clear(ZcRowKeys *k) {
  zc_map_clear(&k->hash_pos);
  sqlite3_free(k->keys);
  k->keys = NULL;
  k->n = k->cap = 0;
  hot_empty(k);
}

int zc_rows_room(void **prows, int *pcap, int n, size_t size) {
  if (n < *pcap) return SQLITE_OK;
  int ncap = *pcap ? *pcap * 2 : 64;
  void *nr = sqlite3_realloc64(*prows, (sqlite3_uint64)ncap * size);
  if (!nr) return SQLITE_NOMEM;
  *prows = nr;
  *pcap = ncap;
  return SQLITE_OK;
}

int zc_rowkeys_find(ZcRowKeys *k, sqlite3_int64 site, const char *item, const char *payer, int *pIsNew) {
  uint64_t h = zc_hash64((uint64_t)site ^ zc_hash64((uint64_t)(uintptr_t)item) ^
                         zc_hash64((uint64_t)(uintptr_t)payer * 31u));
  sqlite3_int64 key = (sqlite3_int64)(h & 0x7fffffffffffffffULL);
  *pIsNew = 0;
  /* room first, so that a failure leaves the index as it was */
  if (zc_rows_room((void **)&k->keys, &k->cap, k->n, sizeof *k->keys)) return -1;
  for (;;) {
    int isnew;
    sqlite3_int64 *v = zc_map_slot(&k->hash_pos, key, 1, &isnew);
    if (!v) return -1;
    if (!isnew) {
      const ZcRowKey *x = &k->keys[*v];
      if (x->site == site && x->item == item && x->payer == payer) return (int)*v;
      key = (key + 1) & 0x7fffffffffffffffLL; /* hash collision: probe on */
      continue;
    }
    k->keys[k->n] = (ZcRowKey){site, item, payer};
    *v = k->n;
    *pIsNew = 1;
    return k->n++;
  }
}

int zc_rowkeys_meal(ZcRowKeys *k, sqlite3_int64 site, const char *meal, const char *payer, int *pIsNew) {
  unsigned h = (unsigned)zc_hash64((uint64_t)site * 0x9e3779b97f4a7c15ULL + (uint64_t)(uintptr_t)payer) &
               (ZC_ROWKEYS_HOT - 1);
  if (k->hot[h].pos >= 0 && k->hot[h].site == site && k->hot[h].payer == payer) {
    *pIsNew = 0;
    return k->hot[h].pos;
  }
  int pos = zc_rowkeys_find(k, site, meal, payer, pIsNew);
  if (pos >= 0) {
    k->hot[h].site = site;
    k->hot[h].payer = payer;
    k->hot[h].pos = pos;
  }
  return pos;
}
