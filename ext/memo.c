/*
** memo.c — results of the rules memoised on the facts they read.  No SQL.
**
** A rule is a deterministic function of the values it read: its inputs are
** the facts (read only through the proxies, each read recorded,
** policy_facts.c), the day/service arguments (always part of the key) and
** the version's own frozen tables (immutable, as the version is).  So if a
** new call agrees with an earlier call on every field the earlier call
** read, the rule takes the same path, reads the same fields and returns the
** same result.  Per version and function we keep the distinct masks
** observed and a hash table from (mask, values of the masked fields) to the
** result; a call probes each known mask and calls Lua only on a miss.
** Entries never go stale: versions are immutable and the caller rebuilds
** facts from the data for every call, so changed data means changed key
** values, not a stale entry.  A field's key bytes come from its row in
** fields.h, so no field can be read by a rule and left out of the key.  A
** memo holding MEMO_MAX_ENTRIES entries or MEMO_MAX_MASKS masks is
** cleared.  ZHUCAN_NO_MEMO=1 in the environment at load time turns it off
** (tests compare both).
*/
#include "policy_int.h"
#include <math.h>
#include <string.h>

static int kb_grow(Rt *rt, size_t n) {
  size_t ncap = rt->kcap ? rt->kcap * 2 : 256;
  while (ncap < rt->klen + n) ncap *= 2;
  unsigned char *nb = sqlite3_realloc64(rt->kbuf, ncap);
  if (!nb) {
    rt->koom = 1;   /* no key is built */
    return 0;
  }
  rt->kbuf = nb;
  rt->kcap = ncap;
  return 1;
}
static inline void kb_put(Rt *rt, const void *p, size_t n) {
  if (rt->klen + n > rt->kcap && !kb_grow(rt, n)) return;
  memcpy(rt->kbuf + rt->klen, p, n);
  rt->klen += n;
}
static void kb_i64(Rt *rt, sqlite3_int64 x) { kb_put(rt, &x, sizeof x); }
static void kb_str(Rt *rt, const char *s) {
  uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
  kb_put(rt, &n, sizeof n);
  if (s) kb_put(rt, s, n);
}

static void kb_real(Rt *rt, double x) {
  double d = isnan(x) ? NAN : x + 0.0;  /* one NaN, one zero */
  kb_put(rt, &d, sizeof d);
}

/* How each TYPE of fields.h goes into a key (x: the field's C value). */
#define ZF_KEY_I64(x) kb_i64(rt, (x))
#define ZF_KEY_INTN(x) kb_i64(rt, (x))
#define ZF_KEY_ID0(x) kb_i64(rt, (x))
#define ZF_KEY_PRICE(x) kb_i64(rt, (x))
#define ZF_KEY_SEX(x) kb_i64(rt, (x))
#define ZF_KEY_DAY(x) kb_i64(rt, (x))
#define ZF_KEY_TIME(x) kb_i64(rt, (x))
#define ZF_KEY_CLOCK(x) kb_i64(rt, (x))
#define ZF_KEY_STR(x) kb_str(rt, (x))
#define ZF_KEY_BOOL(x) kb_i64(rt, (x) != 0)
#define ZF_KEY_REAL(x) kb_real(rt, (x))
#define ZF_KEY_STATUS(x) kb_i64(rt, (sqlite3_int64)(x))
#define ZF_KEY_SLOTS(x) kb_i64(rt, (x))

/* Appends the C value behind field f (what the rule saw).  Stats are not
** memoised (site() runs once per site and month). */
static void kb_field(Rt *rt, int f, const ZcElderFacts *e, const ZcMealFacts *m, const ZcSiteFacts *s) {
  switch (f) {
#define ZF_CASE_(K, N, name, T, expr) \
  case ZF_##K##_##N:                  \
    ZF_KEY_##T(expr);                 \
    break;
    ZC_ELDER_FIELDS(ZF_CASE_)
    ZC_MEAL_FIELDS(ZF_CASE_)
    ZC_SITE_FIELDS(ZF_CASE_)
#undef ZF_CASE_
  }
}

int zc_memo_key(Rt *rt, const Mask *mk, int day, const char *service,
                    const ZcElderFacts *e, const ZcMealFacts *m, const ZcSiteFacts *s) {
  rt->klen = 0;
  rt->koom = 0;
  /* the buffer exists even for an empty key: hashing, storing and
  ** comparing 0 bytes must not pass NULL to memcpy/memcmp */
  if (!rt->kbuf && !kb_grow(rt, 1)) return 0;
  if (service) {
    kb_i64(rt, day);
    kb_str(rt, service);
  }
  for (uint64_t f = mk->f; f; f &= f - 1) kb_field(rt, __builtin_ctzll(f), e, m, s);
  if (mk->st) kb_i64(rt, (sqlite3_int64)(e->status & mk->st));
  return !rt->koom;
}

static sqlite3_int64 memo_hash(Rt *rt, int imask) {
  uint64_t h = zc_hash_bytes(rt->kbuf, rt->klen, (uint64_t)imask * 0x9e3779b97f4a7c15ULL);
  sqlite3_int64 k = (sqlite3_int64)h;
  return k == INT64_MIN ? 0 : k;
}

void zc_memo_clear(Memo *mo) {
  for (size_t i = 0; i < mo->map.cap; i++) {
    if (mo->map.keys[i] == INT64_MIN) continue;
    MemoEntry *e = (MemoEntry *)(intptr_t)mo->map.vals[i];
    while (e) {
      MemoEntry *nx = e->next;
      sqlite3_free(e);
      e = nx;
    }
  }
  zc_map_clear(&mo->map);
  mo->nmask = 0;
  mo->n = 0;
}

const MemoEntry *zc_memo_find(Rt *rt, Memo *mo, int day, const char *service,
                                  const ZcElderFacts *e, const ZcMealFacts *m,
                                  const ZcSiteFacts *s) {
  /* Any mask that matches gives the right answer (the rule would take the
  ** path that mask records), so the order is free: most calls take the
  ** same path as the last one, which is probed first. */
  for (int k = 0; k < mo->nmask; k++) {
    int i = mo->order[k];
    if (!zc_memo_key(rt, &mo->masks[i], day, service, e, m, s)) return NULL;
    sqlite3_int64 *slot = zc_map_slot(&mo->map, memo_hash(rt, i), 0, NULL);
    if (!slot) continue;
    for (const MemoEntry *x = (const MemoEntry *)(intptr_t)*slot; x; x = x->next) {
      if (x->imask == i && (size_t)x->klen == rt->klen &&
          memcmp((const unsigned char *)(x->parts + x->nparts), rt->kbuf, rt->klen) == 0) {
        if (k > 0) {
          memmove(mo->order + 1, mo->order, (size_t)k);
          mo->order[0] = (unsigned char)i;
        }
        return x;
      }
    }
  }
  return NULL;
}

void zc_memo_add(Rt *rt, Memo *mo, const Mask *seen, int day, const char *service, const ZcElderFacts *e,
                 const ZcMealFacts *m, const ZcSiteFacts *s, int ok, const char *reason, const ZcPart *parts,
                 int nparts) {
  if (mo->n >= MEMO_MAX_ENTRIES) zc_memo_clear(mo);
  int i = 0;
  while (i < mo->nmask && (mo->masks[i].f != seen->f || mo->masks[i].st != seen->st)) i++;
  if (i == mo->nmask) {
    if (mo->nmask == MEMO_MAX_MASKS) {
      zc_memo_clear(mo);
      i = 0;
    }
    mo->masks[i] = *seen;
    mo->order[i] = (unsigned char)i;
    mo->nmask = i + 1;
  }
  if (!zc_memo_key(rt, &mo->masks[i], day, service, e, m, s)) return;
  size_t sz = sizeof(MemoEntry) + (size_t)nparts * sizeof(ZcPart) + rt->klen;
  MemoEntry *x = sqlite3_malloc64(sz);
  if (!x) return;
  sqlite3_int64 *slot = zc_map_slot(&mo->map, memo_hash(rt, i), 1, NULL);
  if (!slot) {
    sqlite3_free(x);
    return;
  }
  x->imask = i;
  x->klen = (int)rt->klen;
  x->ok = ok;
  x->reason = reason;
  x->nparts = nparts;
  if (nparts) memcpy(x->parts, parts, (size_t)nparts * sizeof(ZcPart));
  memcpy((unsigned char *)(x->parts + x->nparts), rt->kbuf, rt->klen);
  x->next = (MemoEntry *)(intptr_t)*slot;
  *slot = (sqlite3_int64)(intptr_t)x;
  mo->n++;
}

