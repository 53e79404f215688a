/*
** rowkeys.h — the index of a month's statement rows by (site, item, payer),
** shared by settlement() (settle.c) and policy_impact() (impact.c).  The
** caller keeps its own row array (each function's row carries different
** amounts); this index only says at which position the row of a key stands,
** and whether the caller must append it now.  Words are interned, so they
** compare by address.
*/
#ifndef ZC_ROWKEYS_H
#define ZC_ROWKEYS_H
#include "common.h"

#define ZC_ROWKEYS_HOT 4096

typedef struct ZcRowKey {
  sqlite3_int64 site;
  const char *item, *payer;
} ZcRowKey;

typedef struct ZcRowKeys {
  ZcMap hash_pos;            /* hash(site, item, payer), probed on -> position */
  ZcRowKey *keys;            /* position -> its key */
  int n, cap;
  struct {                   /* direct-mapped: (site, payer) -> position of its 'meal' row */
    sqlite3_int64 site;
    const char *payer;
    int pos;                 /* -1 empty */
  } hot[ZC_ROWKEYS_HOT];
} ZcRowKeys;

void zc_rowkeys_init(ZcRowKeys *k);
void zc_rowkeys_clear(ZcRowKeys *k);   /* frees storage, keeps it usable */

/* The position of (site, item, payer); *pIsNew set when the key was not
** there: its position is the old count, and the caller appends its row
** there (so the caller makes room for one more row before it asks: see
** zc_rows_room).  -1 when out of memory, the index unchanged. */
int zc_rowkeys_find(ZcRowKeys *k, sqlite3_int64 site, const char *item, const char *payer, int *pIsNew);

/* The same for the (site, meal, payer) rows a month pass asks for meal
** after meal, through the direct-mapped cache first. */
int zc_rowkeys_meal(ZcRowKeys *k, sqlite3_int64 site, const char *meal, const char *payer, int *pIsNew);

/* Grows *prows (rows of `size` bytes, *pcap of them) to hold n + 1: 0, or
** SQLITE_NOMEM with the array as it was. */
int zc_rows_room(void **prows, int *pcap, int n, size_t size);

#endif
