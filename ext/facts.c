/*
** facts.c — what the rules see: the region tree, status words, slot words,
** elder and site facts, and the one way ordinals are counted (meal facts
** are meals.c's).  No SQL functions of its own; the facts show up in SQL
** through subsidy_explain(meal_id):
**
**   SELECT subsidy_explain(17) -> '$.facts';
**   -- {"elder":{"id":5,"sex":"F","age":78,...},"meal":{"nth_slot":1,...},"site":{...}}
**
** Caches (per connection):
**   regions   the whole region table, with each row's village/township/county
**   sites     the whole site table
**   elders    one record per elder looked up: identity, death, and the
**             validity intervals of statuses, agreements and bed stays
** All of them are dropped when the database changes (zc_facts_sync compares
** SQLITE_FCNTL_DATA_VERSION and sqlite3_total_changes64), so a cached fact
** is never older than the data; zc_facts_generation counts the drops for
** the modules that cache things pointing into these (meals.c).
*/
#include "modules.h"
#include "facts.h"
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OPEN_END INT32_MAX

/* Interned strings: one copy of each text for the connection's life, so
** pointer equality is string equality (a stable ZcTextMap: keys never
** move). */
static const char *strset_get(ZcTextMap *m, const char *z, int n) {
  if (n < 0) n = (int)strlen(z);
  void *e = zc_textmap_get(m, z, (size_t)n, zc_text_hash(z, (size_t)n), NULL);
  return e ? zc_textmap_key(e) : NULL;
}

struct ZcFacts {
  unsigned int data_version;
  sqlite3_int64 total_changes;
  int synced;
  ZcTextMap strings;           /* interned strings: connection lifetime */
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
  char **site_bad;             /* per site: what is malformed about it (sqlite3_malloc'd), or NULL */
  int nsite;
  ZcMap site_by_id;            /* id -> index */
  /* elders, months, meals */
  ZcMap elders;                /* id -> (ZcElderRec*) */
  int elders_preloaded;        /* zc_elder_preload ran since the last change */
  int elder_misses;            /* records loaded one by one since then */
  int bulk_at;                 /* zc_bulk_threshold(), 0 until asked */
  unsigned generation;         /* counts the drops (zc_facts_generation) */
  sqlite3_stmt *st_elder, *st_status, *st_agree, *st_bed;
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
  zc_textmap_init(&f->strings, sizeof(ZcTextKey), 1);
  for (int i = 0; i < ZC_ST_NFIXED; i++) {
    f->status_word[i] = strset_get(&f->strings, fixed_status[i], -1);
    if (!f->status_word[i]) {
      zc_textmap_clear(&f->strings);
      sqlite3_free(f);
      return NULL;
    }
  }
  f->nstatus = ZC_ST_NFIXED;
  zc->facts = f;
  return f;
}

const char *zc_intern(ZcConn *zc, const char *s, int n) {
  if (s == NULL) return NULL;
  struct ZcFacts *f = facts_get(zc);
  return f ? strset_get(&f->strings, s, n) : NULL;
}

static void sites_drop(struct ZcFacts *f) {
  for (int i = 0; f->site_bad && i < f->nsite; i++) sqlite3_free(f->site_bad[i]);
  sqlite3_free(f->site_bad);
  f->site_bad = NULL;
  sqlite3_free(f->sites);
  f->sites = NULL;
  f->nsite = 0;
  zc_map_clear(&f->site_by_id);
  f->sites_loaded = 0;
}

static void regions_drop(struct ZcFacts *f) {
  sqlite3_free(f->reg);
  sqlite3_free(f->reg_next);
  f->reg = NULL;
  f->reg_next = NULL;
  f->nreg = 0;
  zc_map_clear(&f->reg_by_code);
  memset(f->rcache, 0, sizeof f->rcache);
  f->regions_loaded = 0;
}

static void drop_data(struct ZcFacts *f) {
  f->generation++;
  regions_drop(f);
  sites_drop(f);
  for (size_t i = 0; i < f->elders.cap; i++)
    if (f->elders.keys[i] != INT64_MIN) sqlite3_free((void *)(intptr_t)f->elders.vals[i]);
  zc_map_clear(&f->elders);
  f->elders_preloaded = 0;
  f->elder_misses = 0;
  f->bulk_at = 0;
}

void zc_facts_finalize(ZcConn *zc) {
  struct ZcFacts *f = zc->facts;
  if (!f) return;
  sqlite3_finalize(f->st_elder);
  sqlite3_finalize(f->st_status);
  sqlite3_finalize(f->st_agree);
  sqlite3_finalize(f->st_bed);
  f->st_elder = f->st_status = f->st_agree = f->st_bed = NULL;
}

void zc_facts_free(ZcConn *zc) {
  struct ZcFacts *f = zc->facts;
  if (!f) return;
  drop_data(f);
  zc_facts_finalize(zc);
  zc_textmap_clear(&f->strings);
  sqlite3_free(f);
  zc->facts = NULL;
}

unsigned zc_facts_generation(ZcConn *zc) { return zc->facts ? zc->facts->generation : 0; }

const ZcElderRec *zc_elder_cached(ZcConn *zc, sqlite3_int64 id) {
  struct ZcFacts *f = zc->facts;
  sqlite3_int64 *rv = f ? zc_map_slot(&f->elders, id, 0, NULL) : NULL;
  return rv ? (const ZcElderRec *)(intptr_t)*rv : NULL;
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
  /* the first letter picks the one word to compare (every meal asks) */
  int i = name[0] == 'l' ? ZC_LUNCH : name[0] == 'b' ? ZC_BREAKFAST : name[0] == 'd' ? ZC_DINNER : -1;
  return i >= 0 && strcmp(name, zc_slot_name(i)) == 0 ? i : -1;
}

/* ------------------------------------------------------------- statuses */

int zc_status_bit(ZcConn *zc, const char *word, int create) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return ZC_STATUS_NOMEM;
  if (!word) return ZC_STATUS_NONE;
  /* a word only looked up is not interned: rules may ask for any text */
  size_t n = strlen(word);
  uint64_t h = zc_text_hash(word, n);
  void *e = create ? zc_textmap_get(&f->strings, word, n, h, NULL) : zc_textmap_find(&f->strings, word, n, h);
  if (!e) return create ? ZC_STATUS_NOMEM : ZC_STATUS_NONE;
  const char *w = zc_textmap_key(e);
  for (int i = 0; i < f->nstatus; i++)
    if (f->status_word[i] == w) return i;
  if (!create) return ZC_STATUS_NONE;
  if (f->nstatus >= ZC_MAX_STATUS) return ZC_STATUS_FULL;
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
    if (pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: cannot read table region: %s", "zhucan：无法读取区划表 region：%s"), sqlite3_errmsg(zc->db));
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
    for (int c = 0; c < 6 && rc == SQLITE_ROW; c++) {
      const char *t = (const char *)sqlite3_column_text(st, c);
      *dst[c] = t ? strset_get(&f->strings, t, sqlite3_column_bytes(st, c)) : NULL;
      if (t && !*dst[c]) rc = SQLITE_NOMEM;   /* never a region with a field lost */
    }
    if (rc != SQLITE_ROW) goto done;
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
  if (rc != SQLITE_OK) {
    /* nothing half-built stays: the next call loads from scratch */
    regions_drop(f);
    if (pzErr && !*pzErr)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: loading regions: %s", "zhucan：加载区划时出错：%s"),
                               rc == SQLITE_INTERRUPT ? zc_tr(zc, "interrupted", "已中断") : sqlite3_errstr(rc));
  }
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
  /* every region code is interned: a text that is not is no region (and
  ** is not interned now: any text may be asked for) */
  size_t n = strlen(code);
  void *e = zc_textmap_find(&f->strings, code, n, zc_text_hash(code, n));
  const char *c = e ? zc_textmap_key(e) : NULL;
  sqlite3_int64 *v = c ? zc_map_slot(&f->reg_by_code, (sqlite3_int64)(intptr_t)c, 0, NULL) : NULL;
  const ZcRegion *r = v ? &f->reg[*v - 1] : NULL;
  if (c) {
    f->rcache[h].code = c; /* interned: lives as long as the connection */
    f->rcache[h].r = r;
  }
  return r;
}

const ZcRegion *zc_region(ZcConn *zc, const char *code) { return region_lookup(zc, code); }

int zc_regions_load(ZcConn *zc, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  return f->regions_loaded ? SQLITE_OK : load_regions(zc, pzErr);
}

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

/* A date column of a site: the day, ZC_NONE for NULL; a malformed one
** sets *bad (once). */
static int site_day(const ZcConn *zc, sqlite3_stmt *st, int col, sqlite3_int64 id, const char *name, char **bad) {
  int d = day_or_none(st, col);
  if (d == ZC_NONE && sqlite3_column_type(st, col) != SQLITE_NULL && !*bad)
    *bad = sqlite3_mprintf(zc_tr(zc, "site %lld has %s %Q, expected a date 'YYYY-MM-DD'", "助餐点 %lld 的 %s 为 %Q，应为日期 'YYYY-MM-DD'"), id, name,
                           (const char *)sqlite3_column_text(st, col));
  return d;
}

/* Text column col interned into *out: 0 when memory ran out. */
static int col_intern(ZcConn *zc, sqlite3_stmt *st, int col, const char **out) {
  const char *t = (const char *)sqlite3_column_text(st, col);
  *out = zc_intern(zc, t, -1);
  return !t || *out;
}

/* Row st of table site into s (and *bad). */
static int site_row(ZcConn *zc, sqlite3_stmt *st, ZcSiteFacts *s, char **bad) {
  memset(s, 0, sizeof *s);
  *bad = NULL;
  s->id = sqlite3_column_int64(st, 0);
  if (!col_intern(zc, st, 1, &s->name) || !col_intern(zc, st, 2, &s->kind) || !col_intern(zc, st, 9, &s->region))
    return SQLITE_NOMEM;
  s->grade = sqlite3_column_type(st, 3) == SQLITE_NULL ? ZC_NONE : sqlite3_column_int(st, 3);
  s->beds = sqlite3_column_int(st, 4);
  s->area_m2 = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5);
  s->opened_on = site_day(zc, st, 6, s->id, "opened_on", bad);
  s->closed_on = site_day(zc, st, 7, s->id, "closed_on", bad);
  if (!*bad && ((s->opened_on == ZC_NONE && sqlite3_column_type(st, 6) != SQLITE_NULL) ||
                (s->closed_on == ZC_NONE && sqlite3_column_type(st, 7) != SQLITE_NULL)))
    return SQLITE_NOMEM;   /* the message could not be made */
  s->slots = parse_slots((const char *)sqlite3_column_text(st, 8));
  const ZcRegion *r = region_lookup(zc, s->region);
  s->reg = r;
  if (r) {
    s->village = r->village;
    s->township = r->township;
    s->county = r->county;
  }
  return SQLITE_OK;
}

static int load_sites(ZcConn *zc, char **pzErr) {
  struct ZcFacts *f = zc->facts;
  sqlite3_stmt *st = NULL;
  int rc = zc_regions_load(zc, pzErr);
  if (rc) return rc;
  rc = sqlite3_prepare_v2(zc->db,
                              "SELECT id, name, kind, grade, beds, area_m2, opened_on, closed_on, "
                              "slots, region FROM site",
                              -1, &st, NULL);
  if (rc != SQLITE_OK) {
    if (pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: cannot read table site: %s", "zhucan：无法读取助餐点表 site：%s"), sqlite3_errmsg(zc->db));
    return rc;
  }
  int cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (f->nsite == cap) {
      cap = cap ? cap * 2 : 256;
      ZcSiteFacts *ns = sqlite3_realloc64(f->sites, (sqlite3_uint64)cap * sizeof *ns);
      if (!ns) { rc = SQLITE_NOMEM; goto done; }
      f->sites = ns;
      char **nb = sqlite3_realloc64(f->site_bad, (sqlite3_uint64)cap * sizeof *nb);
      if (!nb) { rc = SQLITE_NOMEM; goto done; }
      f->site_bad = nb;
    }
    char *bad = NULL;
    if ((rc = site_row(zc, st, &f->sites[f->nsite], &bad))) goto done;
    f->site_bad[f->nsite++] = bad;
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
  if (rc != SQLITE_OK) {
    sites_drop(f);   /* nothing half-built stays */
    if (pzErr && !*pzErr)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: loading sites: %s", "zhucan：加载助餐点时出错：%s"), rc == SQLITE_INTERRUPT ? zc_tr(zc, "interrupted", "已中断") : sqlite3_errstr(rc));
  }
  return rc;
}

int zc_site_facts(ZcConn *zc, sqlite3_int64 id, const ZcSiteFacts **out, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  if (!f->sites_loaded) {
    int rc = load_sites(zc, pzErr);
    if (rc) return rc;
  }
  sqlite3_int64 *v = zc_map_slot(&f->site_by_id, id, 0, NULL);
  if (!v) {
    if (pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "site %lld does not exist", "助餐点 %lld 不存在"), id);
    return pzErr && !*pzErr ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  *out = &f->sites[*v];
  if (!f->site_bad[*v]) return SQLITE_OK;
  if (pzErr) *pzErr = sqlite3_mprintf("%s", f->site_bad[*v]);
  return pzErr && !*pzErr ? SQLITE_NOMEM : SQLITE_ERROR;
}

/* --------------------------------------------------------------- elders */

/* Reads (key, from, to) rows into an interval array.  kind 0: key is a
** status word -> bit. */
/* One row of a status / agreement / bed-stay query as an interval: columns
** c0 (status word or site id), c0 + 1 (from), c0 + 2 (to, NULL = open).
** 0 when the row is never in force (a malformed date, no status bit left). */
/* What an interval row's table and columns are called, for messages. */
static const char *const iv_table[3] = {"elder_status", "agreement", "bed_stay"};
static const char *const iv_cols[3][2] = {{"valid_from", "valid_to"}, {"signed_on", "ended_on"},
                                          {"admitted_on", "left_on"}};

/* One interval row of kind x (0 status, 1 agreement, 2 bed stay) from
** column c0: 1 and *iv; -1 when the row is malformed (*bad describes it,
** the first time); SQLITE_NOMEM as -2.  Malformed data is never skipped:
** the elder's record carries the message, and asking for the record is
** an error. */
static int row_interval(ZcConn *zc, sqlite3_stmt *st, int c0, int x, sqlite3_int64 id, ZcInterval *iv,
                        char **bad) {
  int from = day_or_none(st, c0 + 1);
  int to = sqlite3_column_type(st, c0 + 2) == SQLITE_NULL ? OPEN_END : day_or_none(st, c0 + 2);
  if (from == ZC_NONE || to == ZC_NONE) {
    int k = from == ZC_NONE ? 1 : 2;
    if (!*bad)
      *bad = sqlite3_mprintf("elder %lld: %s has %s %Q, expected a date 'YYYY-MM-DD'", id, iv_table[x],
                             iv_cols[x][k - 1], (const char *)sqlite3_column_text(st, c0 + k));
    return *bad ? -1 : -2;
  }
  if (x == 0) {
    const char *w = (const char *)sqlite3_column_text(st, c0);
    int bit = zc_status_bit(zc, w, 1);
    if (bit == ZC_STATUS_NOMEM) return -2;
    if (bit < 0) {
      if (!*bad)
        *bad = w ? sqlite3_mprintf(zc_tr(zc, "elder %lld: status %Q would be distinct status word number %d; zhucan "
                                   "keeps %d", "老人 %lld：身份状态 %Q 会是第 %d 个不同的状态词；zhucan 最多保存 %d 个"), id, w, ZC_MAX_STATUS + 1, ZC_MAX_STATUS)
                 : sqlite3_mprintf(zc_tr(zc, "elder %lld: elder_status has a NULL status", "老人 %lld：elder_status 里有一条状态为 NULL"), id);
      return *bad ? -1 : -2;
    }
    iv->key = bit;
  } else {
    iv->key = sqlite3_column_int64(st, c0);
  }
  iv->from = from;
  iv->to = to;
  return 1;
}

static int read_intervals(ZcConn *zc, sqlite3_stmt *st, int x, sqlite3_int64 id, ZcInterval **out, int *pn,
                          char **bad) {
  int n = 0, cap = 0, rc;
  ZcInterval *a = NULL, iv;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int k = row_interval(zc, st, 0, x, id, &iv, bad);
    if (k == -1) continue;
    if (k == -2) { rc = SQLITE_NOMEM; break; }
    if (n == cap) {
      cap = cap ? cap * 2 : 4;
      ZcInterval *na = sqlite3_realloc64(a, (sqlite3_uint64)cap * sizeof *na);
      if (!na) { rc = SQLITE_NOMEM; break; }
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
  char *bad;            /* what is malformed about the elder (sqlite3_malloc'd), or NULL */
} ElderHead;

/* SQLITE_NOMEM, or SQLITE_OK with h filled (h->bad set for malformed data). */
static int elder_head(ZcConn *zc, sqlite3_stmt *st, int c0, sqlite3_int64 id, ElderHead *h) {
  h->id = id;
  h->birth = ZC_NONE;
  h->sex = 0;
  h->bad = NULL;
  zc_idcard_parse((const char *)sqlite3_column_text(st, c0), sqlite3_column_bytes(st, c0), &h->birth, &h->sex);
  const char *region = (const char *)sqlite3_column_text(st, c0 + 1);
  h->region = zc_intern(zc, region, -1);
  if (region && !h->region) return SQLITE_NOMEM;
  h->died = day_or_none(st, c0 + 2);
  if (h->died == ZC_NONE && sqlite3_column_type(st, c0 + 2) != SQLITE_NULL) {
    h->bad = sqlite3_mprintf(zc_tr(zc, "elder %lld has died_on %Q, expected a date 'YYYY-MM-DD'", "老人 %lld 的去世日期 died_on 为 %Q，应为日期 'YYYY-MM-DD'"), id,
                             (const char *)sqlite3_column_text(st, c0 + 2));
    if (!h->bad) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* One block: the record, then its status, agreement and bed intervals, then
** the text of bad (what is malformed about the elder) if any.  The regions
** must be loaded (zc_regions_load). */
static ZcElderRec *rec_build(ZcConn *zc, const ElderHead *h, const ZcInterval *st, int nst, const ZcInterval *ag,
                             int nag, const ZcInterval *bd, int nbd, const char *bad) {
  size_t nbad = bad ? strlen(bad) + 1 : 0;
  size_t sz = sizeof(ZcElderRec) + (size_t)(nst + nag + nbd) * sizeof(ZcInterval) + nbad;
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
  rec->bed = p;    rec->nbed = nbd;    if (nbd) memcpy(p, bd, (size_t)nbd * sizeof *p); p += nbd;
  if (bad) rec->bad = memcpy(p, bad, nbad);
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
  if ((rc = zc_regions_load(zc, pzErr)) ||
      (rc = zc_prep(zc, &f->st_elder, "SELECT id_number, region, died_on FROM elder WHERE id=?1", pzErr)) ||
      (rc = zc_prep(zc, pst[0], aIvOne[0], pzErr)) || (rc = zc_prep(zc, pst[1], aIvOne[1], pzErr)) ||
      (rc = zc_prep(zc, pst[2], aIvOne[2], pzErr)))
    return rc;
  sqlite3_bind_int64(f->st_elder, 1, id);
  rc = sqlite3_step(f->st_elder);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(f->st_elder);
    if (rc == SQLITE_DONE) {
      if (pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "elder %lld does not exist", "老人 %lld 不存在"), id);
      return pzErr && !*pzErr ? SQLITE_NOMEM : SQLITE_ERROR;
    }
    return rc;
  }
  ElderHead h;
  rc = elder_head(zc, f->st_elder, 0, id, &h);
  sqlite3_reset(f->st_elder);
  if (rc) return rc;
  for (int x = 0; x < 3; x++) {
    sqlite3_bind_int64(*pst[x], 1, id);
    rc = read_intervals(zc, *pst[x], x, id, &iv[x], &niv[x], &h.bad);
    sqlite3_reset(*pst[x]);
    if (rc) goto fail;
  }
  *out = rec_build(zc, &h, iv[0], niv[0], iv[1], niv[1], iv[2], niv[2], h.bad);
  rc = *out ? SQLITE_OK : SQLITE_NOMEM;
fail:
  for (int x = 0; x < 3; x++) sqlite3_free(iv[x]);
  sqlite3_free(h.bad);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && pzErr && !*pzErr)
    *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: reading elder %lld: %s", "zhucan：读取老人 %lld 时出错：%s"), id, sqlite3_errmsg(zc->db));
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

/* One interval table read for every elder at once (aIvAll: rows in elder-id
** order), stepped alongside the elder table: the current elder's rows are
** gathered in a, reused from one elder to the next. */
typedef struct IvCursor {
  sqlite3_stmt *st;
  int rc;                      /* of the last step: SQLITE_ROW while a row is current */
  ZcInterval *a;
  int n, cap;
} IvCursor;

/* Gathers cursor c's rows of elder id (table x), passing rows of lower ids
** (no such elder) and rows whose elder_id is not an integer (the per-elder
** query binds an integer: they match no elder there either).  SQLITE_OK,
** SQLITE_NOMEM, or an error of the step (c->rc). */
static int ivc_gather(ZcConn *zc, IvCursor *c, int x, sqlite3_int64 id, char **bad) {
  c->n = 0;
  for (; c->rc == SQLITE_ROW; c->rc = sqlite3_step(c->st)) {
    if (sqlite3_column_type(c->st, 0) != SQLITE_INTEGER) continue;
    sqlite3_int64 e = sqlite3_column_int64(c->st, 0);
    if (e > id) return SQLITE_OK;
    if (e < id) continue;
    ZcInterval one;
    int k = row_interval(zc, c->st, 1, x, e, &one, bad);
    if (k == -1) continue;
    if (k == -2) return SQLITE_NOMEM;
    if (c->n == c->cap) {
      int ncap = c->cap ? c->cap * 2 : 16;
      ZcInterval *na = sqlite3_realloc64(c->a, (sqlite3_uint64)ncap * sizeof *na);
      if (!na) return SQLITE_NOMEM;
      c->a = na;
      c->cap = ncap;
    }
    c->a[c->n++] = one;
  }
  return c->rc == SQLITE_DONE ? SQLITE_OK : c->rc;
}

/* The three interval tables over elder ids [lo, hi], in the order the
** per-elder query reads them (as aIvAll). */
static const char *const aIvRange[3] = {
    "SELECT elder_id, status, valid_from, valid_to FROM elder_status WHERE elder_id >= ?1 AND elder_id <= ?2 "
    "ORDER BY elder_id, valid_from, status, valid_to, rowid",
    "SELECT elder_id, site_id, signed_on, ended_on FROM agreement WHERE elder_id >= ?1 AND elder_id <= ?2 "
    "ORDER BY elder_id, site_id, signed_on, ended_on, rowid",
    "SELECT elder_id, site_id, admitted_on, left_on FROM bed_stay WHERE elder_id >= ?1 AND elder_id <= ?2 "
    "ORDER BY elder_id, site_id, admitted_on, left_on, rowid"};

/* What a walk over the elders does with each: want (NULL: every elder)
** says whether elder id is wanted; take gets a wanted elder's head and its
** rows of the three interval tables (c[x].a, c[x].n). */
typedef struct ElderWalk {
  int (*want)(void *arg, sqlite3_int64 id);
  int (*take)(ZcConn *zc, void *arg, const ElderHead *h, const IvCursor c[3]);
  void *arg;
} ElderWalk;

/* The four tables read side by side in elder-id order — every elder, or
** (range) those with ids in [lo, hi] — each wanted elder's record made
** from its rows as they come: nothing but what take keeps grows with the
** elders (a province's 3.4M elders: no second copy of every row). */
static int elders_walk(ZcConn *zc, int range, sqlite3_int64 lo, sqlite3_int64 hi, const ElderWalk *w, char **pzErr) {
  sqlite3_stmt *st = NULL;
  IvCursor c[3];
  memset(c, 0, sizeof c);
  int rc = zc_regions_load(zc, pzErr);
  if (rc) return rc;
  rc = sqlite3_prepare_v2(zc->db,
                          range ? "SELECT id, id_number, region, died_on FROM elder WHERE id >= ?1 AND id <= ?2 ORDER BY id"
                                : "SELECT id, id_number, region, died_on FROM elder ORDER BY id",
                          -1, &st, NULL);
  if (rc) goto sqlerr;
  if (range) {
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
  }
  for (int x = 0; x < 3; x++) {
    if ((rc = sqlite3_prepare_v2(zc->db, range ? aIvRange[x] : aIvAll[x], -1, &c[x].st, NULL))) goto sqlerr;
    if (range) {
      sqlite3_bind_int64(c[x].st, 1, lo);
      sqlite3_bind_int64(c[x].st, 2, hi);
    }
    c[x].rc = sqlite3_step(c[x].st);
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_int64 id = sqlite3_column_int64(st, 0);
    if (w->want && !w->want(w->arg, id)) continue;   /* its rows are passed by the next gather */
    ElderHead h;
    if ((rc = elder_head(zc, st, 1, id, &h))) goto done;
    for (int x = 0; x < 3 && rc == SQLITE_OK; x++) rc = ivc_gather(zc, &c[x], x, h.id, &h.bad);
    if (rc == SQLITE_OK) rc = w->take(zc, w->arg, &h, c);
    sqlite3_free(h.bad);
    if (rc == SQLITE_NOMEM) goto done;
    if (rc) goto sqlerr;
  }
  if (rc != SQLITE_DONE) goto sqlerr;
  rc = SQLITE_OK;
  goto done;
sqlerr:
  if (pzErr && !*pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: reading the elders: %s", "zhucan：读取老人资料时出错：%s"), sqlite3_errmsg(zc->db));
done:
  sqlite3_finalize(st);
  for (int x = 0; x < 3; x++) {
    sqlite3_finalize(c[x].st);
    sqlite3_free(c[x].a);
  }
  return rc;
}

static ZcElderRec *rec_of_walk(ZcConn *zc, const ElderHead *h, const IvCursor c[3]) {
  return rec_build(zc, h, c[0].n ? c[0].a : NULL, c[0].n, c[1].n ? c[1].a : NULL, c[1].n, c[2].n ? c[2].a : NULL,
                   c[2].n, h->bad);
}

/* zc_elder_preload's take: the record into the connection's cache (one
** already cached is kept: others may hold it). */
static int preload_take(ZcConn *zc, void *arg, const ElderHead *h, const IvCursor c[3]) {
  struct ZcFacts *f = arg;
  if (zc_map_slot(&f->elders, h->id, 0, NULL)) return SQLITE_OK;
  ZcElderRec *rec = rec_of_walk(zc, h, c);
  sqlite3_int64 *v = rec ? zc_map_slot(&f->elders, h->id, 1, NULL) : NULL;
  if (!v) {
    sqlite3_free(rec);
    return SQLITE_NOMEM;
  }
  *v = (sqlite3_int64)(intptr_t)rec;
  return SQLITE_OK;
}

int zc_elder_preload(ZcConn *zc, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  if (f->elders_preloaded) return SQLITE_OK;
  ElderWalk w = {NULL, preload_take, f};
  int rc = elders_walk(zc, 0, 0, 0, &w, pzErr);
  if (rc == SQLITE_OK) f->elders_preloaded = 1;
  return rc;
}

/* A record read: malformed rows make asking for it an error. */
static int rec_answer(const ZcElderRec *rec, const ZcElderRec **out, char **pzErr) {
  *out = rec;
  if (!rec->bad) return SQLITE_OK;
  if (pzErr) *pzErr = sqlite3_mprintf("%s", rec->bad);
  return pzErr && !*pzErr ? SQLITE_NOMEM : SQLITE_ERROR;
}

int zc_elder_rec(ZcConn *zc, sqlite3_int64 id, const ZcElderRec **out, char **pzErr) {
  struct ZcFacts *f = facts_get(zc);
  if (!f) return SQLITE_NOMEM;
  sqlite3_int64 *v = zc_map_slot(&f->elders, id, 0, NULL);
  if (v) return rec_answer((const ZcElderRec *)(intptr_t)*v, out, pzErr);
  /* many elders asked for one by one (a scan calling subsidy_for): read
  ** them all at once instead */
  if (!f->elders_preloaded && ++f->elder_misses == bulk_threshold(zc, f)) {
    int rc = zc_elder_preload(zc, pzErr);
    if (rc) return rc;
    if ((v = zc_map_slot(&f->elders, id, 0, NULL))) return rec_answer((const ZcElderRec *)(intptr_t)*v, out, pzErr);
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
  return rec_answer(rec, out, pzErr);
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

/* ------------------------------------------- records of a run of elders */

/* zc_elder_recs' walk: the run's ids (ascending) and their records. */
typedef struct RecsWalk {
  const sqlite3_int64 *ids;
  int n, j;                  /* ids[j]: the next id not yet passed */
  ZcElderRec **out;
} RecsWalk;

static int recs_want(void *arg, sqlite3_int64 id) {
  RecsWalk *r = arg;
  while (r->j < r->n && r->ids[r->j] < id) r->j++;
  return r->j < r->n && r->ids[r->j] == id;
}

static int recs_take(ZcConn *zc, void *arg, const ElderHead *h, const IvCursor c[3]) {
  RecsWalk *r = arg;
  if (r->out[r->j]) return SQLITE_OK;   /* the same id twice (cannot happen: elder.id is the rowid) */
  return (r->out[r->j] = rec_of_walk(zc, h, c)) ? SQLITE_OK : SQLITE_NOMEM;
}

int zc_elder_recs(ZcConn *zc, const sqlite3_int64 *ids, int n, ZcElderRec **out, char **pzErr) {
  if (!facts_get(zc)) return SQLITE_NOMEM;
  memset(out, 0, (size_t)n * sizeof *out);
  if (n == 0) return SQLITE_OK;
  RecsWalk r = {ids, n, 0, out};
  ElderWalk w = {recs_want, recs_take, &r};
  int rc = elders_walk(zc, 1, ids[0], ids[n - 1], &w, pzErr);
  if (rc != SQLITE_OK)
    for (int j = 0; j < n; j++) {
      sqlite3_free(out[j]);
      out[j] = NULL;
    }
  return rc;
}
