/*
** pack.h — a run's meals, one blob per elder (zhucan_run_pack.data):
** pack.c writes and reads them and provides zhucan_run_unpack(data).
*/
#ifndef ZC_PACK_H
#define ZC_PACK_H
#include "common.h"

/* A run's meals, one blob per elder (zhucan_run_pack.data); the
** layout is described there.  Strings are (pointer, length); s[] holds
** slot, method, device, token and parts, NULL for SQL NULL.  credit: the
** fen of the co-payment paid with credit points (0 for none). */
typedef struct ZcPackMeal {
  sqlite3_int64 id, site, served_at, price, version, subsidy, credit;
  int nth[3];
  const char *s[5];
  int n[5];
} ZcPackMeal;
#define ZC_PACK_STRINGS 64
typedef struct ZcPackW {
  unsigned char *z;
  size_t n, cap;
  int oom, count;
  ZcPackMeal prev;   /* the previous meal's numbers */
  int nstr;          /* the pack's strings so far, where they are in z */
  size_t off[ZC_PACK_STRINGS];
  int len[ZC_PACK_STRINGS];
  int hint[5];       /* per string field: the string it had last */
} ZcPackW;
void zc_pack_begin(ZcPackW *w);
void zc_pack_meal(ZcPackW *w, const ZcPackMeal *m);
void zc_pack_free(ZcPackW *w);
typedef struct ZcPackR {
  const unsigned char *p, *end;
  int count, nstr;
  ZcPackMeal prev;
  const char *str[ZC_PACK_STRINGS];
  int len[ZC_PACK_STRINGS];
} ZcPackR;
/* 0 if data is not a pack */
int zc_pack_open(ZcPackR *r, const void *data, int n);
/* 1: *m is the next meal (strings point into data); 0: the end; -1: damaged */
int zc_pack_next(ZcPackR *r, ZcPackMeal *m);

#endif /* ZC_PACK_H */
