/*
** facts.c — what the rules see: the region tree, elder, site and meal facts,
** and the one way ordinals are counted.  No SQL functions of its own; the
** facts show up in SQL through subsidy_explain(meal_id):
**
**   SELECT subsidy_explain(17) -> '$.facts';
**   -- {"elder":{"id":5,"sex":"F","age":78,...},"meal":{"nth_slot":1,...},"site":{...}}
**
** Caches (per connection):
**   regions   the whole region table, with each row's village/township/county
**   sites     the whole site table
**   elders    one record per elder looked up: identity, death, and the
**             validity intervals of statuses, agreements and bed stays
**   months    one record per (elder, month) looked up: that elder's meals of
**             the month in (served_at, id) order with their ordinals; every
**             meal id in it is indexed, so subsidy_for(id) over a whole table
**             costs one index range scan per elder-month, not one per meal
** All of them are dropped when the database changes (zc_facts_sync compares
** SQLITE_FCNTL_DATA_VERSION and sqlite3_total_changes64), so a cached fact
** is never older than the data.
*/
#include "modules.h"
#include "facts.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OPEN_END INT32_MAX
/* Meal rows kept by the elder-month cache (about 100 bytes each).  A whole
** month is touched every day by a scan in id order, so a cap below the
** month makes each elder-month reload once a day: keep a city month. */
#define ZC_FACTS_MAX_ROWS 12000000

/* ------------------------------------------------------------ string set */

typedef struct StrSet {
  char **slot;
  size_t cap, n;
} StrSet;

static void strset_clear(StrSet *s) {
  for (size_t i = 0; i < s->cap; i++) sqlite3_free(s->slot[i]);
  sqlite3_free(s->slot);
  memset(s, 0, sizeof *s);
}

static const char *strset_get(StrSet *s, const char *z, int n) {
  if (n < 0) n = (int)strlen(z);
  if ((s->n + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 256;
    char **ns = sqlite3_malloc64(ncap * sizeof *ns);
    if (!ns) return NULL;
    memset(ns, 0, ncap * sizeof *ns);
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slot[i]) continue;
      size_t j = zc_hash_bytes(s->slot[i], strlen(s->slot[i]), 0) & (ncap - 1);
      while (ns[j]) j = (j + 1) & (ncap - 1);
      ns[j] = s->slot[i];
    }
    sqlite3_free(s->slot);
    s->slot = ns;
    s->cap = ncap;
  }
  size_t j = zc_hash_bytes(z, (size_t)n, 0) & (s->cap - 1);
  while (s->slot[j]) {
    if (strncmp(s->slot[j], z, (size_t)n) == 0 && s->slot[j][n] == 0) return s->slot[j];
    j = (j + 1) & (s->cap - 1);
  }
  char *c = sqlite3_malloc(n + 1);
  if (!c) return NULL;
  memcpy(c, z, (size_t)n);
  c[n] = 0;
  s->slot[j] = c;
  s->n++;
  return c;
}

/* --------------------------------------------------------------- state */

typedef struct MonthRec {      /* one elder's meals of one month */
  int n;
  sqlite3_int64 *ids;          /* in (served_at, id) order; rows via meal_find */
  struct MealRow *extra;       /* rows of ids beyond the dense pages */
} MonthRec;

typedef struct MealRow {
  sqlite3_int64 id, elder, served_at, price, site_id;
  const char *slot, *method;   /* interned */
  const char *device, *token;  /* in the month's block */
  const ZcElderRec *rec;       /* looked up on first use (cached as long as the row) */
  int nth_month;               /* 0: an empty page slot */
  uint16_t nth_slot, nth_day;  /* ZcOrd counts up to 0xffff */
} MealRow;                     /* 88 bytes: a city month is ~5M of them */

static int row_day(const MealRow *r) { return (int)(r->served_at / ZC_DAY_SECONDS); }

struct ZcFacts {
  unsigned int data_version;
  sqlite3_int64 total_changes;
  int synced;
  StrSet strings;              /* interned strings: connection lifetime */
  /* status dictionary */
  const char *status_word[ZC_MAX_STATUS];
  int nstatus;
  /* regions */
  int regions_loaded;
#define ZC_RCACHE 256
  struct { const char *code; const ZcRegion *r; } rcache[ZC_RCACHE];
  ZcRegion *reg;
  int nreg;
  ZcMap reg_by_code;           /* hash of code -> index+1 chain via reg_next */
  int *reg_next;
  /* sites */
  int sites_loaded;
  ZcSiteFacts *sites;
  int nsite;
  ZcMap site_by_id;            /* id -> index */
  /* elders, months, meals */
  ZcMap elders;                /* id -> (ZcElderRec*) */
  int elders_preloaded;        /* zc_elder_preload ran since the last change */
  int elder_misses;            /* records loaded one by one since then */
  int miss_month, miss_count;  /* elder-months of month miss_month loaded one by one */
  int bulk_at;                 /* bulk_threshold(), 0 until asked */
  ZcMap months;                /* elder*4096+month -> (MonthRec*) */
  ZcMap meals;                 /* meal id -> (MealRow*), ids beyond the dense array */
  /* meal id -> row for ids 0..nmeal_dense-1: pages of MEAL_PAGE rows,
  ** stored by id (a scan in id or time order reads them in order),
  ** allocated when a meal of the page is cached */
  MealRow **meal_dense;
  sqlite3_int64 nmeal_dense;
  int meal_dense_tried;
  /* load_month's scratch, reused from one elder-month to the next */
  MealRow *scratch;
  size_t scratch_cap;
  char *sbytes;
  size_t sbytes_len, sbytes_cap;
  size_t cached_rows;
  /* subsidy per meal id (zc_money_*): pages of MONEY_PAGE, MONEY_UNKNOWN
  ** where not computed; ids 0..nmeal_dense-1 only */
  int32_t **money;
  int money_month, money_misses; /* meals of month money_month priced one by one */
  int money_bulk_month;          /* the month last priced whole (-1: none) */
  sqlite3_stmt *st_elder, *st_status, *st_agree, *st_bed, *st_meal, *st_month;
  /* civil dates of recent days ages were computed on, by day % 64 (age_y
  ** 0: empty) */
  int age_day[64], age_y[64], age_md[64];
};

static const char *const fixed_status[ZC_ST_NFIXED] = {
    "dibao",         "tekun",         "low_income", "lives_alone", "empty_nest",     "left_behind",
    "disabled_full", "disabled_semi", "disability", "veteran",     "family_special", "hospitalized"};

static struct ZcFacts *facts_get(ZcConn *zc) {
  if (zc->facts) return zc->facts;
  struct ZcFacts *f = sqlite3_malloc(sizeof *f);
  if (!f) return NULL;
  memset(f, 0, sizeof *f);
  for (int i = 0; i < ZC_ST_NFIXED; i++) {
    f->status_word[i] = strset_get(&f->strings, fixed_status[i], -1);
    if (!f->status_word[i]) {
      strset_clear(&f->strings);
      sqlite3_free(f);
      return NULL;
    }
  }
  f->nstatus = ZC_ST_NFIXED;
  f->money_month = f->money_bulk_month = f->miss_month = -1;
  zc->facts = f;
  return f;
}

const char *zc_intern(ZcConn *zc, const char *s, int n) {
  if (s == NULL) return NULL;
  struct ZcFacts *f = facts_get(zc);
  return f ? strset_get(&f->strings, s, n) : NULL;
}

#define MEAL_PAGE 4096

static void meal_dense_free(struct ZcFacts *f) {
  if (!f->meal_dense) return;
  for (sqlite3_int64 i = 0; i < (f->nmeal_dense + MEAL_PAGE - 1) / MEAL_PAGE; i++) sqlite3_free(f->meal_dense[i]);
  sqlite3_free(f->meal_dense);
}

/* forgets every cached meal (the pages stay allocated) */
static void meal_dense_zero(struct ZcFacts *f) {
  if (!f->meal_dense) return;
  for (sqlite3_int64 i = 0; i < (f->nmeal_dense + MEAL_PAGE - 1) / MEAL_PAGE; i++)
    if (f->meal_dense[i]) memset(f->meal_dense[i], 0, MEAL_PAGE * sizeof(MealRow));
}

#define MONEY_PAGE 16384
#define MONEY_UNKNOWN INT32_MIN

static void money_free(struct ZcFacts *f) {
  if (!f->money) return;
  for (sqlite3_int64 i = 0; i < (f->nmeal_dense + MONEY_PAGE - 1) / MONEY_PAGE; i++) sqlite3_free(f->money[i]);
  sqlite3_free(f->money);
  f->money = NULL;
}

static void drop_data(struct ZcFacts *f) {
  money_free(f);
  f->money_month = f->money_bulk_month = -1;
  f->money_misses = 0;
  sqlite3_free(f->reg);
  sqlite3_free(f->reg_next);
  f->reg = NULL;
  f->reg_next = NULL;
  f->nreg = 0;
  zc_map_clear(&f->reg_by_code);
  memset(f->rcache, 0, sizeof f->rcache);
  f->regions_loaded = 0;
  sqlite3_free(f->sites);
  f->sites = NULL;
  f->nsite = 0;
  zc_map_clear(&f->site_by_id);
  f->sites_loaded = 0;
  for (size_t i = 0; i < f->elders.cap; i++)
    if (f->elders.keys[i] != INT64_MIN) sqlite3_free((void *)(intptr_t)f->elders.vals[i]);
  zc_map_clear(&f->elders);
  f->elders_preloaded = 0;
  f->elder_misses = 0;
  f->miss_month = -1;
  f->miss_count = 0;
  f->bulk_at = 0;
  for (size_t i = 0; i < f->months.cap; i++)
    if (f->months.keys[i] != INT64_MIN) sqlite3_free((void *)(intptr_t)f->months.vals[i]);
  zc_map_clear(&f->months);
  zc_map_clear(&f->meals);
  meal_dense_free(f);
  sqlite3_free(f->scratch);
  sqlite3_free(f->sbytes);
  f->scratch = NULL;
  f->sbytes = NULL;
  f->scratch_cap = f->sbytes_cap = f->sbytes_len = 0;
  f->meal_dense = NULL;
  f->nmeal_dense = 0;
  f->meal_dense_tried = 0;
  f->cached_rows = 0;
}

static void finalize_all(struct ZcFacts *f) {
  sqlite3_finalize(f->st_elder);
  sqlite3_finalize(f->st_status);
  sqlite3_finalize(f->st_agree);
  sqlite3_finalize(f->st_bed);
  sqlite3_finalize(f->st_meal);
  sqlite3_finalize(f->st_month);
  f->st_elder = f->st_status = f->st_agree = f->st_bed = f->st_meal = f->st_month = NULL;
}

void zc_facts_free(ZcConn *zc) {
  struct ZcFacts *f = zc->facts;
  if (!f) return;
  drop_data(f);
  finalize_all(f);
  strset_clear(&f->strings);
  sqlite3_free(f);
  zc->facts = NULL;
}

int zc_facts_sync(ZcConn *zc) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  unsigned int dv = 0;
  sqlite3_file_control(zc->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv);
  sqlite3_int64 tc = sqlite3_total_changes64(zc->db);
  if (!f->synced || dv != f->data_version || tc != f->total_changes) {
    drop_data(f);
    /* Statements are kept: a schema change makes SQLite re-prepare them. */
    f->data_version = dv;
    f->total_changes = tc;
    f->synced = 1;
  }
  return SQLITE_OK;
}

static int prep(ZcConn *zc, sqlite3_stmt **pp, const char *sql, char **pzErr) {
  if (*pp) {
    sqlite3_reset(*pp);
    return SQLITE_OK;
  }
  int rc = sqlite3_prepare_v3(zc->db, sql, -1, SQLITE_PREPARE_PERSISTENT, pp, NULL);
  if (rc != SQLITE_OK && pzErr)
    *pzErr = sqlite3_mprintf("zhucan: cannot read the schema's tables (%s); load sql/schema.sql",
                             sqlite3_errmsg(zc->db));
  return rc;
}

static int day_or_none(sqlite3_stmt *st, int col) {
  if (sqlite3_column_type(st, col) == SQLITE_NULL) return ZC_NONE;
  return zc_day_parse((const char *)sqlite3_column_text(st, col), sqlite3_column_bytes(st, col));
}

/* --------------------------------------------------------- field names */

#define ZF_NAME_(K, N, name, T, expr) name,
const char *const zc_field_name[ZF_COUNT] = {ZC_ALL_FIELDS(ZF_NAME_)};
#undef ZF_NAME_
const char *const zc_field_kind_name[ZF_NKIND] = {"elder", "meal", "site", "stats"};

/* ---------------------------------------------------------- slot words */

const char *zc_slot_name(int slot) {
  static const char *const names[] = {"breakfast", "lunch", "dinner"};
  return slot >= 0 && slot < ZC_NSLOT ? names[slot] : NULL;
}

int zc_slot_index(const char *name) {
  if (name == NULL) return -1;
  for (int i = 0; i < ZC_NSLOT; i++)
    if (strcmp(name, zc_slot_name(i)) == 0) return i;
  return -1;
}

/* ------------------------------------------------------------- statuses */

int zc_status_bit(ZcConn *zc, const char *word, int create) {
  struct ZcFacts *f = facts_get(zc);
  if (!f || !word) return -1;
  const char *w = strset_get(&f->strings, word, -1);
  for (int i = 0; i < f->nstatus; i++)
    if (f->status_word[i] == w) return i;
  if (!create || f->nstatus >= ZC_MAX_STATUS) return -1;
  f->status_word[f->nstatus] = w;
  return f->nstatus++;
}

const char *zc_status_name(ZcConn *zc, int bit) {
  struct ZcFacts *f = facts_get(zc);
  if (!f || bit < 0 || bit >= f->nstatus) return NULL;
  return f->status_word[bit];
}

/* -------------------------------------------------------------- regions */

static int load_regions(ZcConn *zc, char **pzErr) {
  struct ZcFacts *f = zc->facts;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db,
                              "SELECT code, parent, level, name, policy, exempt FROM region", -1,
                              &st, NULL);
  if (rc != SQLITE_OK) {
    if (pzErr) *pzErr = sqlite3_mprintf("zhucan: cannot read table region: %s", sqlite3_errmsg(zc->db));
    return rc;
  }
  int cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (f->nreg == cap) {
      cap = cap ? cap * 2 : 256;
      ZcRegion *nr = sqlite3_realloc64(f->reg, (sqlite3_uint64)cap * sizeof *nr);
      if (!nr) { rc = SQLITE_NOMEM; goto done; }
      f->reg = nr;
    }
    ZcRegion *r = &f->reg[f->nreg++];
    memset(r, 0, sizeof *r);
    const char **dst[6] = {&r->code, &r->parent, &r->level, &r->name, &r->policy, &r->exempt};
    for (int c = 0; c < 6; c++) {
      const char *t = (const char *)sqlite3_column_text(st, c);
      *dst[c] = t ? strset_get(&f->strings, t, sqlite3_column_bytes(st, c)) : NULL;
    }
    if (!r->code) f->nreg--;   /* a NULL code is not a region */
  }
  if (rc != SQLITE_DONE) goto done;
  rc = SQLITE_OK;
  /* index by code (interned pointer) */
  f->reg_next = sqlite3_malloc64(((sqlite3_uint64)f->nreg + 1) * sizeof(int));
  if (!f->reg_next) { rc = SQLITE_NOMEM; goto done; }
  for (int i = 0; i < f->nreg; i++) {
    sqlite3_int64 *v = zc_map_slot(&f->reg_by_code, (sqlite3_int64)(intptr_t)f->reg[i].code, 1, NULL);
    if (!v) { rc = SQLITE_NOMEM; goto done; }
    *v = i + 1;
  }
  /* parents and level chains (a cycle or a missing parent just ends the
  ** chain) */
  for (int i = 0; i < f->nreg; i++) {
    ZcRegion *r = &f->reg[i];
    if (r->parent) {
      sqlite3_int64 *v = zc_map_slot(&f->reg_by_code, (sqlite3_int64)(intptr_t)r->parent, 0, NULL);
      if (v && *v - 1 != i) r->up = &f->reg[*v - 1];
    }
  }
  for (int i = 0; i < f->nreg; i++) {
    ZcRegion *r = &f->reg[i];
    int guard = 0;
    for (const ZcRegion *p = r; p && guard < 64; p = p->up, guard++) {
      if (!p->level) continue;
      if (!r->village && strcmp(p->level, "village") == 0) r->village = p->code;
      if (!r->township && strcmp(p->level, "township") == 0) r->township = p->code;
      if (!r->county && strcmp(p->level, "county") == 0) r->county = p->code;
    }
    guard = 0;
    for (const ZcRegion *p = r; p && guard < 64 && !r->gov; p = p->up, guard++)
      if (p->policy) r->gov = p;
  }
  f->regions_loaded = 1;
done:
  sqlite3_finalize(st);
  if (rc != SQLITE_OK && pzErr && !*pzErr) *pzErr = sqlite3_mprintf("zhucan: loading regions: %s", sqlite3_errstr(rc));
  return rc;
}

static const ZcRegion *region_lookup(ZcConn *zc, const char *code) {
  struct ZcFacts *f = facts_get(zc);
  if (!f || !code) return NULL;
  if (!f->regions_loaded) {
    char *err = NULL;
    if (load_regions(zc, &err) != SQLITE_OK) {
      sqlite3_free(err);
      return NULL;
    }
  }
  /* a small cache by the code's address, checked by content (codes are
  ** mostly interned: the same few pointers again and again) */
  unsigned h = (unsigned)(((uintptr_t)code >> 3) ^ ((uintptr_t)code >> 11)) & (ZC_RCACHE - 1);
  if (f->rcache[h].code && strcmp(f->rcache[h].code, code) == 0) return f->rcache[h].r;
  const char *c = strset_get(&f->strings, code, -1);
  sqlite3_int64 *v = zc_map_slot(&f->reg_by_code, (sqlite3_int64)(intptr_t)c, 0, NULL);
  const ZcRegion *r = v ? &f->reg[*v - 1] : NULL;
  if (c) {
    f->rcache[h].code = c; /* interned: lives as long as the connection */
    f->rcache[h].r = r;
  }
  return r;
}

const ZcRegion *zc_region(ZcConn *zc, const char *code) { return region_lookup(zc, code); }

const ZcRegion *zc_region_governing(ZcConn *zc, const char *code) {
  const ZcRegion *r = region_lookup(zc, code);
  return r ? r->gov : NULL;
}

int zc_region_under(ZcConn *zc, const char *code, const char *region) {
  const ZcRegion *top = region_lookup(zc, region);
  int guard = 0;
  if (!top) return 0;
  for (const ZcRegion *r = region_lookup(zc, code); r && guard < 64; r = r->up, guard++)
    if (r == top) return 1;
  return 0;
}

/* ---------------------------------------------------------------- sites */

static unsigned parse_slots(const char *s) {
  unsigned bits = 0;
  if (!s) return 0;
  while (*s) {
    while (*s == ',' || *s == ' ') s++;
    const char *e = s;
    while (*e && *e != ',' && *e != ' ') e++;
    size_t n = (size_t)(e - s);
    if (n == 9 && !memcmp(s, "breakfast", 9)) bits |= ZC_SLOT_BREAKFAST;
    else if (n == 5 && !memcmp(s, "lunch", 5)) bits |= ZC_SLOT_LUNCH;
    else if (n == 6 && !memcmp(s, "dinner", 6)) bits |= ZC_SLOT_DINNER;
    s = e;
  }
  return bits;
}

static int load_sites(ZcConn *zc, char **pzErr) {
  struct ZcFacts *f = zc->facts;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db,
                              "SELECT id, name, kind, grade, beds, area_m2, opened_on, closed_on, "
                              "slots, region FROM site",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) {
    if (pzErr) *pzErr = sqlite3_mprintf("zhucan: cannot read table site: %s", sqlite3_errmsg(zc->db));
    return rc;
  }
  int cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (f->nsite == cap) {
      cap = cap ? cap * 2 : 256;
      ZcSiteFacts *ns = sqlite3_realloc64(f->sites, (sqlite3_uint64)cap * sizeof *ns);
      if (!ns) { rc = SQLITE_NOMEM; goto done; }
      f->sites = ns;
    }
    ZcSiteFacts *s = &f->sites[f->nsite++];
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    s->name = zc_intern(zc, (const char *)sqlite3_column_text(st, 1), -1);
    s->kind = zc_intern(zc, (const char *)sqlite3_column_text(st, 2), -1);
    s->grade = sqlite3_column_type(st, 3) == SQLITE_NULL ? ZC_NONE : sqlite3_column_int(st, 3);
    s->beds = sqlite3_column_int(st, 4);
    s->area_m2 = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5);
    s->opened_on = day_or_none(st, 6);
    s->closed_on = day_or_none(st, 7);
    s->slots = parse_slots((const char *)sqlite3_column_text(st, 8));
    s->region = zc_intern(zc, (const char *)sqlite3_column_text(st, 9), -1);
    const ZcRegion *r = region_lookup(zc, s->region);
    s->reg = r;
    if (r) {
      s->village = r->village;
      s->township = r->township;
      s->county = r->county;
    }
  }
  if (rc != SQLITE_DONE) goto done;
  rc = SQLITE_OK;
  for (int i = 0; i < f->nsite; i++) {
    sqlite3_int64 *v = zc_map_slot(&f->site_by_id, f->sites[i].id, 1, NULL);
    if (!v) { rc = SQLITE_NOMEM; goto done; }
    *v = i;
  }
  f->sites_loaded = 1;
done:
  sqlite3_finalize(st);
  if (rc != SQLITE_OK && pzErr && !*pzErr) *pzErr = sqlite3_mprintf("zhucan: loading sites: %s", sqlite3_errstr(rc));
  return rc;
}

int zc_site_facts(ZcConn *zc, sqlite3_int64 id, const ZcSiteFacts **out, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  if (!f->regions_loaded) {
    int rc = load_regions(zc, pzErr);
    if (rc) return rc;
  }
  if (!f->sites_loaded) {
    int rc = load_sites(zc, pzErr);
    if (rc) return rc;
  }
  sqlite3_int64 *v = zc_map_slot(&f->site_by_id, id, 0, NULL);
  if (!v) {
    if (pzErr) *pzErr = sqlite3_mprintf("site %lld does not exist", id);
    return SQLITE_ERROR;
  }
  *out = &f->sites[*v];
  return SQLITE_OK;
}

/* --------------------------------------------------------------- elders */

/* Reads (key, from, to) rows into an interval array.  kind 0: key is a
** status word -> bit. */
/* One row of a status / agreement / bed-stay query as an interval: columns
** c0 (status word or site id), c0 + 1 (from), c0 + 2 (to, NULL = open).
** 0 when the row is never in force (a malformed date, no status bit left). */
static int row_interval(ZcConn *zc, sqlite3_stmt *st, int c0, int status_words, ZcInterval *iv) {
  int from = day_or_none(st, c0 + 1);
  int to = sqlite3_column_type(st, c0 + 2) == SQLITE_NULL ? OPEN_END : day_or_none(st, c0 + 2);
  if (from == ZC_NONE || to == ZC_NONE) return 0; /* malformed dates are never in force */
  if (status_words) {
    int bit = zc_status_bit(zc, (const char *)sqlite3_column_text(st, c0), 1);
    if (bit < 0) return 0;
    iv->key = bit;
  } else {
    iv->key = sqlite3_column_int64(st, c0);
  }
  iv->from = from;
  iv->to = to;
  return 1;
}

static int read_intervals(ZcConn *zc, sqlite3_stmt *st, int status_words, ZcInterval **out, int *pn) {
  int n = 0, cap = 0, rc;
  ZcInterval *a = NULL, iv;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!row_interval(zc, st, 0, status_words, &iv)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      ZcInterval *na = sqlite3_realloc64(a, (sqlite3_uint64)cap * sizeof *na);
      if (!na) { sqlite3_free(a); return SQLITE_NOMEM; }
      a = na;
    }
    a[n++] = iv;
  }
  if (rc != SQLITE_DONE) { sqlite3_free(a); return rc; }
  *out = a;
  *pn = n;
  return SQLITE_OK;
}

/* The identity half of a record, from a row of table elder. */
typedef struct ElderHead {
  sqlite3_int64 id;
  int birth, died;
  char sex;
  const char *region;   /* interned */
} ElderHead;

static void elder_head(ZcConn *zc, sqlite3_stmt *st, int c0, sqlite3_int64 id, ElderHead *h) {
  h->id = id;
  h->birth = ZC_NONE;
  h->sex = 0;
  zc_idcard_parse((const char *)sqlite3_column_text(st, c0), sqlite3_column_bytes(st, c0), &h->birth, &h->sex);
  h->region = zc_intern(zc, (const char *)sqlite3_column_text(st, c0 + 1), -1);
  h->died = day_or_none(st, c0 + 2);
}

/* One block: the record, then its status, agreement and bed intervals. */
static ZcElderRec *rec_build(ZcConn *zc, const ElderHead *h, const ZcInterval *st, int nst, const ZcInterval *ag,
                             int nag, const ZcInterval *bd, int nbd) {
  size_t sz = sizeof(ZcElderRec) + (size_t)(nst + nag + nbd) * sizeof(ZcInterval);
  ZcElderRec *rec = sqlite3_malloc64(sz);
  if (!rec) return NULL;
  memset(rec, 0, sizeof *rec);
  rec->id = h->id;
  rec->sex = h->sex;
  rec->birth = h->birth;
  if (h->birth != ZC_NONE) {
    int y, m, d;
    zc_civil_from_days(h->birth, &y, &m, &d);
    rec->birth_y = y;
    rec->birth_md = m * 100 + d;
  }
  rec->died_on = h->died;
  rec->region_code = h->region;
  rec->region = region_lookup(zc, h->region);
  ZcInterval *p = (ZcInterval *)(rec + 1);
  rec->status = p; rec->nstatus = nst; if (nst) memcpy(p, st, (size_t)nst * sizeof *p); p += nst;
  rec->agree = p;  rec->nagree = nag;  if (nag) memcpy(p, ag, (size_t)nag * sizeof *p); p += nag;
  rec->bed = p;    rec->nbed = nbd;    if (nbd) memcpy(p, bd, (size_t)nbd * sizeof *p);
  return rec;
}

/* The three interval queries, per elder and for every elder: the bulk form
** orders rows as the per-elder one reads them (its covering index, then
** rowid), so both build the same record. */
static const char *const aIvOne[3] = {
    "SELECT status, valid_from, valid_to FROM elder_status WHERE elder_id=?1",
    "SELECT site_id, signed_on, ended_on FROM agreement WHERE elder_id=?1",
    "SELECT site_id, admitted_on, left_on FROM bed_stay WHERE elder_id=?1"};
static const char *const aIvAll[3] = {
    "SELECT elder_id, status, valid_from, valid_to FROM elder_status "
    "ORDER BY elder_id, valid_from, status, valid_to, rowid",
    "SELECT elder_id, site_id, signed_on, ended_on FROM agreement "
    "ORDER BY elder_id, site_id, signed_on, ended_on, rowid",
    "SELECT elder_id, site_id, admitted_on, left_on FROM bed_stay "
    "ORDER BY elder_id, site_id, admitted_on, left_on, rowid"};

static int load_elder(ZcConn *zc, sqlite3_int64 id, ZcElderRec **out, char **pzErr) {
  struct ZcFacts *f = zc->facts;
  ZcInterval *iv[3] = {NULL, NULL, NULL};
  int niv[3] = {0, 0, 0}, rc;
  sqlite3_stmt **pst[3] = {&f->st_status, &f->st_agree, &f->st_bed};
  if ((rc = prep(zc, &f->st_elder, "SELECT id_number, region, died_on FROM elder WHERE id=?1", pzErr)) ||
      (rc = prep(zc, pst[0], aIvOne[0], pzErr)) || (rc = prep(zc, pst[1], aIvOne[1], pzErr)) ||
      (rc = prep(zc, pst[2], aIvOne[2], pzErr)))
    return rc;
  sqlite3_bind_int64(f->st_elder, 1, id);
  rc = sqlite3_step(f->st_elder);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(f->st_elder);
    if (rc == SQLITE_DONE) {
      if (pzErr) *pzErr = sqlite3_mprintf("elder %lld does not exist", id);
      return SQLITE_ERROR;
    }
    return rc;
  }
  ElderHead h;
  elder_head(zc, f->st_elder, 0, id, &h);
  sqlite3_reset(f->st_elder);
  for (int x = 0; x < 3 && rc != SQLITE_NOMEM; x++) {
    sqlite3_bind_int64(*pst[x], 1, id);
    rc = read_intervals(zc, *pst[x], x == 0, &iv[x], &niv[x]);
    sqlite3_reset(*pst[x]);
    if (rc) goto fail;
  }
  *out = rec_build(zc, &h, iv[0], niv[0], iv[1], niv[1], iv[2], niv[2]);
  rc = *out ? SQLITE_OK : SQLITE_NOMEM;
fail:
  for (int x = 0; x < 3; x++) sqlite3_free(iv[x]);
  if (rc != SQLITE_OK && pzErr && !*pzErr) *pzErr = sqlite3_mprintf("zhucan: reading elder %lld: %s", id, sqlite3_errmsg(zc->db));
  return rc;
}

/* How many one-by-one loads (of elder records, or of one month's
** elder-months) before reading all at once: 1/64 of the elders (by the
** largest elder id, one b-tree descent), at least 256.  A query that touches
** that many elders is likely to touch most of them. */
static int bulk_threshold(ZcConn *zc, struct ZcFacts *f) {
  if (f->bulk_at == 0) {
    sqlite3_int64 mx = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(zc->db, "SELECT max(id) FROM elder", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      mx = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    mx /= 64;
    f->bulk_at = mx < 256 ? 256 : mx > (1 << 30) ? (1 << 30) : (int)mx;
  }
  return f->bulk_at;
}

int zc_bulk_threshold(ZcConn *zc) {
  struct ZcFacts *f = facts_get(zc);
  return f ? bulk_threshold(zc, f) : 256;
}

int zc_elder_preload(ZcConn *zc, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  if (f->elders_preloaded) return SQLITE_OK;
  sqlite3_stmt *st = NULL;
  ElderHead *head = NULL;
  size_t n = 0, cap = 0;
  ZcInterval *iv[3] = {NULL, NULL, NULL};
  size_t niv[3] = {0, 0, 0}, civ[3] = {0, 0, 0};
  size_t *off[3] = {NULL, NULL, NULL};
  int *cnt[3] = {NULL, NULL, NULL};
  int rc = sqlite3_prepare_v2(zc->db, "SELECT id, id_number, region, died_on FROM elder ORDER BY id", -1, &st, NULL);
  if (rc) goto sqlerr;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      ElderHead *nh = sqlite3_realloc64(head, cap * sizeof *nh);
      if (!nh) { rc = SQLITE_NOMEM; goto done; }
      head = nh;
    }
    elder_head(zc, st, 1, sqlite3_column_int64(st, 0), &head[n++]);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (rc != SQLITE_DONE) goto sqlerr;
  for (int x = 0; x < 3; x++) {
    off[x] = sqlite3_malloc64((n + 1) * sizeof(size_t));
    cnt[x] = sqlite3_malloc64((n + 1) * sizeof(int));
    if (!off[x] || !cnt[x]) { rc = SQLITE_NOMEM; goto done; }
    memset(cnt[x], 0, (n + 1) * sizeof(int));
    if ((rc = sqlite3_prepare_v2(zc->db, aIvAll[x], -1, &st, NULL))) goto sqlerr;
    size_t j = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      /* rows come by elder id; the per-elder query binds an integer, so
      ** an elder_id stored as text matches no elder there either */
      if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) continue;
      sqlite3_int64 e = sqlite3_column_int64(st, 0);
      while (j < n && head[j].id < e) j++;
      if (j == n) break;
      if (head[j].id != e) continue;
      ZcInterval one;
      if (!row_interval(zc, st, 1, x == 0, &one)) continue;
      if (niv[x] == civ[x]) {
        size_t ncap = civ[x] ? civ[x] * 2 : 4096;
        ZcInterval *na = sqlite3_realloc64(iv[x], ncap * sizeof *na);
        if (!na) { rc = SQLITE_NOMEM; goto done; }
        iv[x] = na;
        civ[x] = ncap;
      }
      if (cnt[x][j] == 0) off[x][j] = niv[x];
      iv[x][niv[x]++] = one;
      cnt[x][j]++;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) goto sqlerr;
  }
  for (size_t j = 0; j < n; j++) {
    /* already cached: keep it, others may hold that record */
    if (zc_map_slot(&f->elders, head[j].id, 0, NULL)) continue;
    ZcElderRec *rec = rec_build(zc, &head[j], cnt[0][j] ? iv[0] + off[0][j] : NULL, cnt[0][j],
                                cnt[1][j] ? iv[1] + off[1][j] : NULL, cnt[1][j],
                                cnt[2][j] ? iv[2] + off[2][j] : NULL, cnt[2][j]);
    sqlite3_int64 *v = rec ? zc_map_slot(&f->elders, head[j].id, 1, NULL) : NULL;
    if (!v) {
      sqlite3_free(rec);
      rc = SQLITE_NOMEM;
      goto done;
    }
    *v = (sqlite3_int64)(intptr_t)rec;
  }
  f->elders_preloaded = 1;
  rc = SQLITE_OK;
  goto done;
sqlerr:
  if (pzErr && !*pzErr) *pzErr = sqlite3_mprintf("zhucan: reading the elders: %s", sqlite3_errmsg(zc->db));
done:
  sqlite3_finalize(st);
  sqlite3_free(head);
  for (int x = 0; x < 3; x++) {
    sqlite3_free(iv[x]);
    sqlite3_free(off[x]);
    sqlite3_free(cnt[x]);
  }
  return rc;
}

int zc_elder_rec(ZcConn *zc, sqlite3_int64 id, const ZcElderRec **out, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  sqlite3_int64 *v = zc_map_slot(&f->elders, id, 0, NULL);
  if (v) {
    *out = (const ZcElderRec *)(intptr_t)*v;
    return SQLITE_OK;
  }
  /* many elders asked for one by one (a scan calling subsidy_for): read
  ** them all at once instead */
  if (!f->elders_preloaded && ++f->elder_misses == bulk_threshold(zc, f)) {
    int rc = zc_elder_preload(zc, pzErr);
    if (rc) return rc;
    if ((v = zc_map_slot(&f->elders, id, 0, NULL))) {
      *out = (const ZcElderRec *)(intptr_t)*v;
      return SQLITE_OK;
    }
  }
  ZcElderRec *rec = NULL;
  int rc = load_elder(zc, id, &rec, pzErr);
  if (rc) return rc;
  v = zc_map_slot(&f->elders, id, 1, NULL);
  if (!v) {
    sqlite3_free(rec);
    return SQLITE_NOMEM;
  }
  *v = (sqlite3_int64)(intptr_t)rec;
  *out = rec;
  return SQLITE_OK;
}

static int in_force(const ZcInterval *iv, int day) { return iv->from <= day && day < iv->to; }

/* zc_age_years with the birth split once per elder and the day once per
** day (ages are asked for every meal) */
static int age_on_day(struct ZcFacts *f, const ZcElderRec *rec, int day) {
  if (rec->birth == ZC_NONE) return ZC_NONE;
  int k = day & 63;
  if (f->age_day[k] != day || f->age_y[k] == 0) {
    int y, m, d;
    zc_civil_from_days(day, &y, &m, &d);
    f->age_day[k] = day;
    f->age_y[k] = y;
    f->age_md[k] = m * 100 + d;
  }
  /* 29 February is reached on 1 March in other years: 229 < 301 */
  return f->age_y[k] - rec->birth_y - (f->age_md[k] < rec->birth_md);
}

void zc_elder_facts(ZcConn *zc, const ZcElderRec *rec, int day, sqlite3_int64 site_id, ZcElderFacts *o) {
  memset(o, 0, sizeof *o);
  o->id = rec->id;
  o->sex = rec->sex;
  o->birth = rec->birth;
  o->age = age_on_day(zc->facts, rec, day); /* records live in zc->facts */
  o->region = rec->region_code;
  if (rec->region) {
    o->village = rec->region->village;
    o->township = rec->region->township;
    o->county = rec->region->county;
  }
  o->died_on = rec->died_on;
  for (int i = 0; i < rec->nstatus; i++)
    if (in_force(&rec->status[i], day)) o->status |= (uint64_t)1 << rec->status[i].key;
  o->agreement = zc_elder_agreement(rec, day, site_id);
  for (int i = 0; i < rec->nbed; i++)
    if (in_force(&rec->bed[i], day) && (o->bed == 0 || rec->bed[i].key < o->bed)) o->bed = rec->bed[i].key;
}

int zc_elder_agreement(const ZcElderRec *rec, int day, sqlite3_int64 site_id) {
  for (int i = 0; i < rec->nagree; i++)
    if (in_force(&rec->agree[i], day) && (site_id == 0 || rec->agree[i].key == site_id)) return 1;
  return 0;
}

/* ------------------------------------------------------------- ordinals */

void zc_ord_reset(ZcOrd *o) {
  memset(o, 0, sizeof *o);
  o->day = ZC_NONE;
}

/* slot words are the SPEC's three; any other word (bad data) is counted in
** a fourth counter, shared if a day has more than one such word */
void zc_ord_next(ZcOrd *o, int day, const char *slot, int *nth_slot, int *nth_day, int *nth_month) {
  if (day != o->day) {
    o->day = day;
    o->nday = 0;
    memset(o->count, 0, sizeof o->count);
    o->other = NULL;
  }
  if (o->nday < 0xffff) o->nday++;
  o->nmonth++;
  int i = zc_slot_index(slot);
  if (i < 0) {
    i = 3;
    if (!o->other) o->other = slot;
  }
  if (o->count[i] < 0xffff) o->count[i]++;
  *nth_slot = o->count[i];
  *nth_day = o->nday;
  *nth_month = o->nmonth;
}

/* ----------------------------------------------------------- month scan */

/* Columns are read as sqlite3_column_value then sqlite3_value_*: one entry
** into the connection's mutex per column instead of one per call (hosts in
** serialized mode, such as Python's sqlite3 or the ODBC driver, pay a lock
** for each).  The statements are stepped by the thread that holds it. */
int zc_elder_col(const char *fn, sqlite3_stmt *st, int col, sqlite3_int64 *out, char **pzErr) {
  sqlite3_value *v = sqlite3_column_value(st, col);
  if (sqlite3_value_type(v) != SQLITE_INTEGER) {
    if (pzErr)
      *pzErr = sqlite3_mprintf("%s: a meal of the month has elder_id %Q, expected an integer elder id", fn,
                               (const char *)sqlite3_value_text(v));
    return SQLITE_ERROR;
  }
  *out = sqlite3_value_int64(v);
  return SQLITE_OK;
}

int zc_month_scan_open(ZcConn *zc, const char *fn, int first, int next, const sqlite3_int64 *elders,
                       size_t nelder, ZcMonthScan *s, char **pzErr) {
  int rc;
  memset(s, 0, sizeof *s);
  s->fn = fn;
  s->elders = elders;
  s->nelder = nelder;
  zc_day_format(first, s->a);
  zc_day_format(next, s->b);
  if (!elders) {
    rc = sqlite3_prepare_v2(zc->db,
                            "SELECT " ZC_SCAN_COLS " FROM meal WHERE (elder_id, served_at) >= (?1, ?2) "
                            "ORDER BY elder_id, served_at, id", -1, &s->st, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_int64(s->st, 1, INT64_MIN);
      sqlite3_bind_text(s->st, 2, s->a, 10, SQLITE_STATIC);
    }
  } else {
    rc = sqlite3_prepare_v2(zc->db,
                            "SELECT " ZC_SCAN_COLS " FROM meal WHERE elder_id=?1 AND served_at>=?2 AND served_at<?3 "
                            "ORDER BY served_at, id", -1, &s->st, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(s->st, 2, s->a, 10, SQLITE_STATIC);
      sqlite3_bind_text(s->st, 3, s->b, 10, SQLITE_STATIC);
    }
  }
  if (rc && pzErr) *pzErr = sqlite3_mprintf("%s: cannot read table meal: %s", fn, sqlite3_errmsg(zc->db));
  return rc;
}

void zc_month_scan_close(ZcMonthScan *s) {
  sqlite3_finalize(s->st);
  s->st = NULL;
}

/* served_at (text, n bytes) against a day 'YYYY-MM-DD', as SQLite's BINARY
** collation compares them */
static int text_cmp10(const char *t, int n, const char *day) {
  int k = memcmp(t, day, (size_t)(n < 10 ? n : 10));
  return k ? k : n - 10;
}

int zc_month_scan_next(ZcMonthScan *s, char **pzErr) {
  int rc;
  if (s->elders) {
    for (;;) {
      if (s->open) {
        rc = sqlite3_step(s->st);
        if (rc == SQLITE_ROW) {
          sqlite3_value *v = sqlite3_column_value(s->st, 3);
          s->at = (const char *)sqlite3_value_text(v);
          s->at_n = sqlite3_value_bytes(v);
        }
        if (rc != SQLITE_DONE) return rc;
        sqlite3_reset(s->st);
        s->open = 0;
      }
      if (s->ielder == s->nelder) return SQLITE_DONE;
      sqlite3_bind_int64(s->st, 1, s->elders[s->ielder++]);
      s->open = 1;
    }
  }
  for (;;) {
    rc = sqlite3_step(s->st);
    if (rc != SQLITE_ROW) return rc;
    /* the index orders an elder's served_at as NULL, numbers, text, blobs:
    ** only text between the bounds is of the month, as in served_at>=?2 */
    sqlite3_value *v = sqlite3_column_value(s->st, 3);
    int ty = sqlite3_value_type(v), early, late;
    if (ty == SQLITE_TEXT) {
      const char *t = (const char *)sqlite3_value_text(v);
      int n = sqlite3_value_bytes(v);
      early = text_cmp10(t, n, s->a) < 0;
      late = !early && text_cmp10(t, n, s->b) >= 0;
      if (!early && !late) {
        s->at = t;
        s->at_n = n;
        return SQLITE_ROW;
      }
    } else {
      early = ty != SQLITE_BLOB;
      late = !early;
    }
    /* another month of this elder: seek to its month, or past it */
    sqlite3_int64 e;
    if ((rc = zc_elder_col(s->fn, s->st, 0, &e, pzErr))) return rc;
    if (late && e == INT64_MAX) return SQLITE_DONE;
    sqlite3_reset(s->st);
    sqlite3_bind_int64(s->st, 1, late ? e + 1 : e);
  }
}

/* ---------------------------------------------------------------- meals */

static sqlite3_int64 month_key(sqlite3_int64 elder, int day) {
  int y, m, d;
  zc_civil_from_days(day, &y, &m, &d);
  return elder * 16384 + (sqlite3_int64)(y * 12 + m - 1) % 16384;
}

/* Interns a short, repetitive word (slot, method) with a one-entry memo. */
static const char *word(ZcConn *zc, const char **last, const char *t, int n) {
  if (t == NULL) return NULL;
  if (*last && (int)strlen(*last) == n && memcmp(*last, t, (size_t)n) == 0) return *last;
  return *last = zc_intern(zc, t, n);
}

/* Appends a column's text to the scratch bytes; answers its offset, -1 for
** NULL, -2 when out of memory. */
static sqlite3_int64 arena_put(struct ZcFacts *f, sqlite3_stmt *st, int col) {
  const char *t = (const char *)sqlite3_column_text(st, col);
  if (t == NULL) return -1;
  size_t n = (size_t)sqlite3_column_bytes(st, col);
  if (f->sbytes_len + n + 1 > f->sbytes_cap) {
    size_t ncap = f->sbytes_cap ? f->sbytes_cap * 2 : 4096;
    while (ncap < f->sbytes_len + n + 1) ncap *= 2;
    char *nb = sqlite3_realloc64(f->sbytes, ncap);
    if (!nb) return -2;
    f->sbytes = nb;
    f->sbytes_cap = ncap;
  }
  sqlite3_int64 off = (sqlite3_int64)f->sbytes_len;
  memcpy(f->sbytes + off, t, n);
  f->sbytes[off + (sqlite3_int64)n] = 0;
  f->sbytes_len += n + 1;
  return off;
}

/* Meal ids are usually dense (INTEGER PRIMARY KEY): index cached rows
** through pages of pointers by id (max(id) is one b-tree descent; a page is
** allocated when one of its meals is cached) when ids are below 2^31, else
** through the hash map. */
static void meal_dense_init(ZcConn *zc, struct ZcFacts *f) {
  sqlite3_stmt *st = NULL;
  f->meal_dense_tried = 1;
  if (sqlite3_prepare_v2(zc->db, "SELECT max(id) FROM meal", -1, &st, NULL) != SQLITE_OK) return;
  if (sqlite3_step(st) == SQLITE_ROW) {
    sqlite3_int64 mx = sqlite3_column_int64(st, 0);
    if (mx >= 0 && mx < ((sqlite3_int64)1 << 31)) {
      sqlite3_int64 npage = mx / MEAL_PAGE + 1;
      f->meal_dense = sqlite3_malloc64((sqlite3_uint64)npage * sizeof(MealRow *));
      if (f->meal_dense) {
        memset(f->meal_dense, 0, (size_t)npage * sizeof(MealRow *));
        f->nmeal_dense = mx + 1;
      }
    }
  }
  sqlite3_finalize(st);
}

/* The cached row of meal id: in its page, or in a month's block through the
** map (ids beyond the pages, and months loaded one by one). */
static MealRow *meal_find(struct ZcFacts *f, sqlite3_int64 id) {
  if (id >= 0 && id < f->nmeal_dense) {
    MealRow *page = f->meal_dense[id / MEAL_PAGE];
    if (page && page[id % MEAL_PAGE].nth_month) return &page[id % MEAL_PAGE];
  }
  if (f->meals.n == 0) return NULL;
  sqlite3_int64 *v = zc_map_slot(&f->meals, id, 0, NULL);
  return v ? (MealRow *)(intptr_t)*v : NULL;
}

/* The slot row r goes to: its page slot (dense: a month read whole, whose
** rows fill the pages), or *spare, indexed by the map (ids beyond the
** pages, and an elder's month loaded alone: its meals are scattered over
** the ids, and a page each would cost 360 KiB per few meals). */
static MealRow *meal_place(struct ZcFacts *f, sqlite3_int64 id, int dense, MealRow **spare) {
  if (dense && id >= 0 && id < f->nmeal_dense) {
    MealRow **page = &f->meal_dense[id / MEAL_PAGE];
    if (!*page) {
      *page = sqlite3_malloc64(MEAL_PAGE * sizeof(MealRow));
      if (!*page) return NULL;
      memset(*page, 0, MEAL_PAGE * sizeof(MealRow));
    }
    return &(*page)[id % MEAL_PAGE];
  }
  sqlite3_int64 *mv = zc_map_slot(&f->meals, id, 1, NULL);
  if (!mv) return NULL;
  MealRow *r = (*spare)++;
  *mv = (sqlite3_int64)(intptr_t)r;
  return r;
}

/* Gathering one elder-month: rows and their strings go to scratch buffers
** kept from one load to the next, then month_commit copies the month into
** one block and the pages. */
typedef struct Gather {
  int n;
  const char *last_slot, *last_method;
  ZcOrd ord;
} Gather;

static void gather_reset(struct ZcFacts *f, Gather *g) {
  g->n = 0;
  g->last_slot = g->last_method = NULL;
  zc_ord_reset(&g->ord);
  f->sbytes_len = 0;
}

/* One row of ZC_SCAN_COLS of elder's month. */
static int gather_row(ZcConn *zc, struct ZcFacts *f, Gather *g, sqlite3_stmt *st, sqlite3_int64 elder) {
  if ((size_t)g->n == f->scratch_cap) {
    size_t ncap = f->scratch_cap ? f->scratch_cap * 2 : 64;
    MealRow *nr = sqlite3_realloc64(f->scratch, ncap * sizeof(MealRow));
    if (!nr) return SQLITE_NOMEM;
    f->scratch = nr;
    f->scratch_cap = ncap;
  }
  MealRow *r = &f->scratch[g->n];
  memset(r, 0, sizeof *r);
  r->id = sqlite3_column_int64(st, 1);
  r->elder = elder;
  r->site_id = sqlite3_column_int64(st, 2);
  /* served_at >= 'YYYY-MM-01' as text also admits malformed times; those
  ** have no day and get no ordinal */
  if (!zc_time_parse((const char *)sqlite3_column_text(st, 3), sqlite3_column_bytes(st, 3), &r->served_at))
    return SQLITE_OK;
  int day = row_day(r), ns, nd;
  r->slot = word(zc, &g->last_slot, (const char *)sqlite3_column_text(st, 4), sqlite3_column_bytes(st, 4));
  r->method = word(zc, &g->last_method, (const char *)sqlite3_column_text(st, 5), sqlite3_column_bytes(st, 5));
  /* device and token: offsets into the scratch bytes until the block is built */
  sqlite3_int64 dv = arena_put(f, st, 6), tk = arena_put(f, st, 7);
  if (dv == -2 || tk == -2) return SQLITE_NOMEM;
  r->device = (const char *)(intptr_t)dv;
  r->token = (const char *)(intptr_t)tk;
  r->price = sqlite3_column_int64(st, 8);
  zc_ord_next(&g->ord, day, r->slot, &ns, &nd, &r->nth_month);
  r->nth_slot = (uint16_t)ns;
  r->nth_day = (uint16_t)nd;
  g->n++;
  return SQLITE_OK;
}

/* The gathered month of elder (day: any day of it) into the cache. */
static int month_commit(struct ZcFacts *f, Gather *g, sqlite3_int64 elder, int day, const ZcElderRec *rec,
                        int dense, MonthRec **out) {
  int n = g->n;
  MealRow *rows = f->scratch;
  size_t arena_len = f->sbytes_len;
  int nextra = 0;
  for (int i = 0; i < n; i++) nextra += !(dense && rows[i].id >= 0 && rows[i].id < f->nmeal_dense);
  /* one block: header, rows beyond the pages, ids, strings */
  MonthRec *mr = sqlite3_malloc64(sizeof *mr + (size_t)nextra * sizeof(MealRow) + (size_t)n * sizeof(sqlite3_int64) +
                                  arena_len + 1);
  if (!mr) return SQLITE_NOMEM;
  mr->n = n;
  mr->extra = (MealRow *)(mr + 1);
  mr->ids = (sqlite3_int64 *)(mr->extra + nextra);
  char *str = (char *)(mr->ids + n);
  if (arena_len) memcpy(str, f->sbytes, arena_len);
  /* Bound the cache: beyond a few million rows start over (correct, only
  ** slower). */
  if (f->cached_rows + (size_t)n > ZC_FACTS_MAX_ROWS) {
    for (size_t i = 0; i < f->months.cap; i++)
      if (f->months.keys[i] != INT64_MIN) sqlite3_free((void *)(intptr_t)f->months.vals[i]);
    zc_map_clear(&f->months);
    zc_map_clear(&f->meals);
    meal_dense_zero(f);
    f->cached_rows = 0;
  }
  sqlite3_int64 *v = zc_map_slot(&f->months, month_key(elder, day), 1, NULL);
  if (!v) { sqlite3_free(mr); return SQLITE_NOMEM; }
  *v = (sqlite3_int64)(intptr_t)mr;
  MealRow *spare = mr->extra;
  for (int i = 0; i < n; i++) {
    MealRow *r = meal_place(f, rows[i].id, dense, &spare);
    if (!r) return SQLITE_NOMEM;
    /* rows land all over the pages (by id): ask for the next ones' lines */
    if (dense && i + 4 < n) {
      sqlite3_int64 nid = rows[i + 4].id;
      if (nid >= 0 && nid < f->nmeal_dense && f->meal_dense[nid / MEAL_PAGE]) {
        MealRow *d = &f->meal_dense[nid / MEAL_PAGE][nid % MEAL_PAGE];
        __builtin_prefetch(d, 1);
        __builtin_prefetch((char *)d + sizeof *d - 1, 1);
      }
    }
    *r = rows[i];
    intptr_t dv = (intptr_t)rows[i].device, tk = (intptr_t)rows[i].token;
    r->device = dv < 0 ? NULL : str + dv;
    r->token = tk < 0 ? NULL : str + tk;
    r->rec = rec;
    mr->ids[i] = rows[i].id;
  }
  f->cached_rows += (size_t)n;
  if (out) *out = mr;
  return SQLITE_OK;
}

/* Loads one elder's meals of the month containing day, with ordinals, and
** indexes every meal id. */
static int load_month(ZcConn *zc, sqlite3_int64 elder, int day, MonthRec **out, char **pzErr) {
  struct ZcFacts *f = zc->facts;
  int first, next, rc;
  char a[11], b[11];
  zc_month_of(day, &first, &next);
  zc_day_format(first, a);
  zc_day_format(next, b);
  rc = prep(zc, &f->st_month,
            "SELECT " ZC_SCAN_COLS " FROM meal WHERE elder_id=?1 AND served_at>=?2 AND served_at<?3 "
            "ORDER BY served_at, id",
            pzErr);
  if (rc) return rc;
  sqlite3_bind_int64(f->st_month, 1, elder);
  sqlite3_bind_text(f->st_month, 2, a, 10, SQLITE_TRANSIENT);
  sqlite3_bind_text(f->st_month, 3, b, 10, SQLITE_TRANSIENT);
  Gather g;
  gather_reset(f, &g);
  while ((rc = sqlite3_step(f->st_month)) == SQLITE_ROW)
    if ((rc = gather_row(zc, f, &g, f->st_month, elder)) != SQLITE_OK) break;
  sqlite3_reset(f->st_month);
  if (rc == SQLITE_DONE) rc = month_commit(f, &g, elder, day, NULL, 0, out);
  else if (pzErr && !*pzErr && rc != SQLITE_NOMEM)
    *pzErr = sqlite3_mprintf("zhucan: reading meals of elder %lld: %s", elder, sqlite3_errmsg(zc->db));
  return rc;
}

/* Every elder's meals of the month containing day, in one scan (ZcMonthScan)
** instead of a range query per elder: when many elder-months of one month
** are asked for one by one (a scan calling subsidy_for).  Months already
** cached are kept.  Stops quietly at the cache's bound or at a row it cannot
** read: the elders left are loaded one by one, with their own errors. */
static void month_preload(ZcConn *zc, int day) {
  struct ZcFacts *f = zc->facts;
  int first, next, rc, have = 0;
  char *err = NULL;
  sqlite3_int64 cur = 0;
  ZcMonthScan sc;
  Gather g;
  zc_month_of(day, &first, &next);
  /* the elders' records too, so that the rows can point at them */
  if (zc_elder_preload(zc, &err) != SQLITE_OK) {
    sqlite3_free(err);
    err = NULL;
  }
  if (zc_month_scan_open(zc, "zhucan", first, next, NULL, 0, &sc, &err)) goto done;
  gather_reset(f, &g);
  for (;;) {
    rc = zc_month_scan_next(&sc, &err);
    sqlite3_int64 e = 0;
    if (rc == SQLITE_ROW && zc_elder_col("zhucan", sc.st, 0, &e, &err)) break;
    if (have && (rc != SQLITE_ROW || e != cur)) {
      /* the last elder's month is complete */
      if (!zc_map_slot(&f->months, month_key(cur, first), 0, NULL)) {
        if (f->cached_rows + (size_t)g.n > ZC_FACTS_MAX_ROWS) break;
        sqlite3_int64 *rv = zc_map_slot(&f->elders, cur, 0, NULL);  /* no load: looked up on use */
        if (month_commit(f, &g, cur, first, rv ? (const ZcElderRec *)(intptr_t)*rv : NULL, 1, NULL)) break;
      }
      gather_reset(f, &g);
    }
    if (rc != SQLITE_ROW) break;
    cur = e;
    have = 1;
    if (gather_row(zc, f, &g, sc.st, e)) break;
  }
done:
  zc_month_scan_close(&sc);
  sqlite3_free(err);
}

/* year * 12 + month - 1 of a day: months counted one by one */
static int month_index(int day) {
  int y, m, d;
  zc_civil_from_days(day, &y, &m, &d);
  return y * 12 + m - 1;
}

static int get_month(ZcConn *zc, sqlite3_int64 elder, int day, MonthRec **out, char **pzErr) {
  struct ZcFacts *f = zc->facts;
  sqlite3_int64 *v = zc_map_slot(&f->months, month_key(elder, day), 0, NULL);
  if (v) {
    *out = (MonthRec *)(intptr_t)*v;
    return SQLITE_OK;
  }
  /* many elder-months of one month loaded one by one: read the month */
  int mi = month_index(day);
  if (f->miss_month != mi) {
    f->miss_month = mi;
    f->miss_count = 0;
  }
  if (++f->miss_count == bulk_threshold(zc, f)) {
    month_preload(zc, day);
    if ((v = zc_map_slot(&f->months, month_key(elder, day), 0, NULL))) {
      *out = (MonthRec *)(intptr_t)*v;
      return SQLITE_OK;
    }
  }
  return load_month(zc, elder, day, out, pzErr);
}

static void meal_from_row(const MealRow *r, ZcMealFacts *m) {
  memset(m, 0, sizeof *m);
  m->id = r->id;
  m->slot = r->slot;
  m->day = row_day(r);
  m->served_at = r->served_at;
  m->method = r->method;
  m->device = r->device;
  m->token = r->token;
  m->price_fen = r->price;
  m->site_id = r->site_id;
  m->nth_slot = r->nth_slot;
  m->nth_day = r->nth_day;
  m->nth_month = r->nth_month;
}

int zc_meal_facts(ZcConn *zc, sqlite3_int64 meal_id, ZcMealFacts *m, const ZcElderRec **elder,
                  const ZcSiteFacts **site, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  int rc;
  if (!f) return SQLITE_NOMEM;
  if (!f->meal_dense_tried) meal_dense_init(zc, f);
  MealRow *row = meal_find(f, meal_id);
  if (!row) {
    /* Not cached: find its elder and day, then load that elder's month
    ** (which caches every meal of it). */
    rc = prep(zc, &f->st_meal, "SELECT elder_id, served_at FROM meal WHERE id=?1", pzErr);
    if (rc) return rc;
    sqlite3_bind_int64(f->st_meal, 1, meal_id);
    rc = sqlite3_step(f->st_meal);
    if (rc != SQLITE_ROW) {
      sqlite3_reset(f->st_meal);
      if (rc == SQLITE_DONE) {
        if (pzErr) *pzErr = sqlite3_mprintf("meal %lld does not exist", meal_id);
        return SQLITE_ERROR;
      }
      if (pzErr) *pzErr = sqlite3_mprintf("zhucan: reading meal %lld: %s", meal_id, sqlite3_errmsg(zc->db));
      return rc;
    }
    sqlite3_int64 elder_id = sqlite3_column_int64(f->st_meal, 0), t;
    const char *at = (const char *)sqlite3_column_text(f->st_meal, 1);
    if (!zc_time_parse(at, sqlite3_column_bytes(f->st_meal, 1), &t)) {
      if (pzErr)
        *pzErr = sqlite3_mprintf("meal %lld has served_at %Q, expected 'YYYY-MM-DD HH:MM:SS'", meal_id, at);
      sqlite3_reset(f->st_meal);
      return SQLITE_ERROR;
    }
    sqlite3_reset(f->st_meal);
    MonthRec *mr;
    rc = get_month(zc, elder_id, (int)(t / ZC_DAY_SECONDS), &mr, pzErr);
    if (rc) return rc;
    row = meal_find(f, meal_id);
    if (!row) {
      if (pzErr) *pzErr = sqlite3_mprintf("zhucan: meal %lld not found in its elder's month", meal_id);
      return SQLITE_ERROR;
    }
  }
  meal_from_row(row, m);
  /* Scans ask for meals in id (or time) order, and the next meal's elder is
  ** anybody: start fetching that record now, while this meal is priced. */
  if (meal_id >= 0 && meal_id + 2 < f->nmeal_dense && (meal_id + 1) % MEAL_PAGE && (meal_id + 2) % MEAL_PAGE &&
      f->meal_dense[meal_id / MEAL_PAGE] && row == &f->meal_dense[meal_id / MEAL_PAGE][meal_id % MEAL_PAGE]) {
    const MealRow *nx = row + 2;
    if (nx->rec) {
      __builtin_prefetch(nx->rec);
      __builtin_prefetch((const char *)nx->rec + 64);
    }
  }
  /* the records live until the data changes, as the row does */
  if (!row->rec && (rc = zc_elder_rec(zc, row->elder, &row->rec, pzErr))) return rc;
  if ((rc = zc_site_facts(zc, row->site_id, site, pzErr))) return rc;
  *elder = row->rec;
  return SQLITE_OK;
}

int zc_quote_facts(ZcConn *zc, sqlite3_int64 elder_id, sqlite3_int64 site_id, sqlite3_int64 served_at,
                   const char *slot, ZcMealFacts *m, const ZcElderRec **elder, const ZcSiteFacts **site,
                   char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  int rc;
  if (!f) return SQLITE_NOMEM;
  if ((rc = zc_elder_rec(zc, elder_id, elder, pzErr))) return rc;
  if ((rc = zc_site_facts(zc, site_id, site, pzErr))) return rc;
  int day = (int)(served_at / ZC_DAY_SECONDS);
  MonthRec *mr;
  if ((rc = get_month(zc, elder_id, day, &mr, pzErr))) return rc;
  const char *islot = zc_intern(zc, slot, -1);
  ZcOrd ord;
  zc_ord_reset(&ord);
  int a, b, c;
  for (int i = 0; i < mr->n; i++) {
    const MealRow *r = meal_find(f, mr->ids[i]);
    if (!r || r->served_at > served_at) break;
    zc_ord_next(&ord, row_day(r), r->slot, &a, &b, &c);
  }
  memset(m, 0, sizeof *m);
  m->id = 0;
  m->slot = islot;
  m->day = day;
  m->served_at = served_at;
  m->price_fen = ZC_NO_PRICE;
  m->site_id = site_id;
  zc_ord_next(&ord, day, islot, &m->nth_slot, &m->nth_day, &m->nth_month);
  return SQLITE_OK;
}

/* ---------------------------------------------------------------- money */

int zc_money_cached(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 *fen) {
  struct ZcFacts *f = zc->facts;
  if (!f || !f->money || meal_id < 0 || meal_id >= f->nmeal_dense) return 0;
  const int32_t *page = f->money[meal_id / MONEY_PAGE];
  if (!page || page[meal_id % MONEY_PAGE] == MONEY_UNKNOWN) return 0;
  *fen = page[meal_id % MONEY_PAGE];
  return 1;
}

void zc_money_store(ZcConn *zc, sqlite3_int64 meal_id, sqlite3_int64 fen) {
  struct ZcFacts *f = facts_get(zc);
  if (!f || fen <= MONEY_UNKNOWN || fen > INT32_MAX) return;
  if (!f->meal_dense_tried) meal_dense_init(zc, f);
  if (meal_id < 0 || meal_id >= f->nmeal_dense) return;
  sqlite3_int64 npage = (f->nmeal_dense + MONEY_PAGE - 1) / MONEY_PAGE;
  if (!f->money) {
    if (!(f->money = sqlite3_malloc64((sqlite3_uint64)npage * sizeof *f->money))) return;
    memset(f->money, 0, (size_t)npage * sizeof *f->money);
  }
  int32_t **page = &f->money[meal_id / MONEY_PAGE];
  if (!*page) {
    if (!(*page = sqlite3_malloc64(MONEY_PAGE * sizeof **page))) return;
    for (int i = 0; i < MONEY_PAGE; i++) (*page)[i] = MONEY_UNKNOWN;
  }
  (*page)[meal_id % MONEY_PAGE] = (int32_t)fen;
}

int zc_money_miss(ZcConn *zc, int day) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return 0;
  int mi = month_index(day);
  if (f->money_month != mi) {
    f->money_month = mi;
    f->money_misses = 0;
  }
  /* one short of the facts' own threshold (get_month counts elder-months,
  ** never more than meals): the month is priced before its meal rows
  ** would be read in bulk for nothing */
  int at = bulk_threshold(zc, f) - 1;
  if (++f->money_misses != at || f->money_bulk_month == mi) return 0;
  f->money_bulk_month = mi;
  return 1;
}
