/*
** verify.c — runs checked against what is stored:
**
**   SELECT * FROM run_verify();        -- every run; no rows: all intact
**   SELECT * FROM run_verify(7);       -- run 7 only
**   SELECT run_id, what, expected, found FROM run_verify();
**     -- 7 | total_fen | 421300 | 1
**
**   CREATE TABLE x(run_id INTEGER, what TEXT, expected TEXT, found TEXT,
**                  run HIDDEN);
**
** For each run, from its stored rows alone (no facts, no policy):
**   - the rows digest: every row of zhucan_run_pack, _item, _elder, _site
**     and _cover of the run, read back in key order, hashed as settle()
**     hashed what it wrote (digest.h), must equal zhucan_run.rows_digest;
**   - the output digest: the lines (each subsidised meal's parts by payer,
**     the co-payment, the site items) rebuilt from the packs and items
**     must equal zhucan_run.output_digest;
**   - the totals: meals, subsidised_meals and total_fen recounted;
**   - the chain: each run's chain recomputed from the run before it.
** And for the database: rows of the run tables that belong to no run (or
** sit in another run's range), and missing run tables.  A run stored
** before run_verify existed is sealed (rows_digest, chain) by the next
** settle() of this version; until then only its output digest and totals
** are checked.  replay() runs the same check on its run first (zc_run_check).
**
** Cost: one read of the run's rows; the packs are decoded once.
*/
#include "digest.h"
#include "modules.h"
#include "pack.h"
#include "runrec.h"
#include "verify.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------- reading a run */

typedef struct Check {
  ZcConn *zc;
  ZcBuf payer;                 /* a payer word being unescaped */
  sqlite3_int64 run;
  int v1;                      /* the run's meals are rows of v1name */
  const char *v1name;          /* zhucan_run_meal_v1, or zhucan_run_meal while it is a table */
  int (*xProblem)(void *, sqlite3_int64, const char *, const char *, const char *);
  void *p;
  /* recounted */
  sqlite3_int64 meals, subsidised, total, covered;
  struct sha256_ctx out;
  ZcBuf hout;
  char rows[ZC_RT_N][65];
  char rows_digest[65], out_digest[65];
} Check;

static int problem(Check *k, const char *what, const char *expected, const char *found) {
  return k->xProblem(k->p, k->run, what, expected, found);
}

static int problemf(Check *k, const char *what, sqlite3_int64 expected, sqlite3_int64 found) {
  char e[24], f[24];
  snprintf(e, sizeof e, "%lld", (long long)expected);
  snprintf(f, sizeof f, "%lld", (long long)found);
  return problem(k, what, e, f);
}

/* Parses the parts JSON settle() stores ({"payer":fen,...}: zc_parts_json)
** and writes one output line per part.  0 when it is not that form. */
static int parts_lines(Check *k, const char *z, int n, sqlite3_int64 meal, sqlite3_int64 elder,
                       sqlite3_int64 site, sqlite3_int64 *sum) {
  const char *p = z, *end = z + n;
  ZcBuf *pb = &k->payer;
  *sum = 0;
  if (p >= end || *p++ != '{') return 0;
  if (p < end && *p == '}') return p + 1 == end;
  for (;;) {
    pb->n = 0;
    if (p >= end || *p++ != '"') return 0;
    while (p < end && *p != '"') {
      char ch = *p++;
      if (ch == '\\') {
        if (p >= end) return 0;
        ch = *p++;
        if (ch == 'u') {
          if (end - p < 4) return 0;
          unsigned v = 0;
          for (int i = 0; i < 4; i++) {
            char h = *p++;
            v = v * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : 99);
          }
          if (v >= 0x20) return 0;   /* zc_buf_json_str escapes control characters only */
          ch = (char)v;
        } else if (ch != '"' && ch != '\\') {
          return 0;
        }
      }
      zc_buf_add(pb, &ch, 1);
    }
    if (pb->oom) return 0;
    size_t m = pb->n;
    const char *payer = pb->z;
    if (p >= end || *p++ != '"' || p >= end || *p++ != ':') return 0;
    char *e;
    long long fen = strtoll(p, &e, 10);
    if (e == p || e > end) return 0;
    p = e;
    if (!zc_add_fen(sum, fen)) return 0;
    ZcBuf *b = &k->hout;
    if (!zc_buf_need(b, PUT_ROOM(5, m + 1))) return 0;
    unsigned char *t = (unsigned char *)b->z + b->n;
    t = put_str(t, "L", 1);
    t = put_i64(t, meal);
    t = put_i64(t, elder);
    t = put_i64(t, site);
    t = put_str(t, payer, m);
    t = put_i64(t, fen);
    b->n = (size_t)(t - (unsigned char *)b->z);
    hash_some(&k->out, b, 0);
    if (p < end && *p == ',') {
      p++;
      continue;
    }
    return p < end && *p == '}' && p + 1 == end;
  }
}

/* A co-payment line of the output (payer 'credit' or 'elder'). */
static int copay_line(Check *k, sqlite3_int64 id, sqlite3_int64 elder, sqlite3_int64 site, const char *payer,
                      sqlite3_int64 fen) {
  ZcBuf *b = &k->hout;
  if (!zc_buf_need(b, PUT_ROOM(5, 7))) return SQLITE_NOMEM;
  unsigned char *t = (unsigned char *)b->z + b->n;
  t = put_str(t, "L", 1);
  t = put_i64(t, id);
  t = put_i64(t, elder);
  t = put_i64(t, site);
  t = put_str(t, payer, strlen(payer));
  t = put_i64(t, fen);
  b->n = (size_t)(t - (unsigned char *)b->z);
  hash_some(&k->out, b, 0);
  return SQLITE_OK;
}

/* One stored meal into the output lines and the counts; credit: the part
** of its co-payment paid with points (0 to the whole co-payment, and only
** for a subsidised meal). */
static int meal_lines(Check *k, sqlite3_int64 id, sqlite3_int64 elder, sqlite3_int64 site, sqlite3_int64 price,
                      sqlite3_int64 subsidy, const char *parts, int nparts, sqlite3_int64 credit) {
  k->meals++;
  if (credit < 0 || (credit > 0 && (subsidy <= 0 || credit > price - subsidy))) {
    char m[48], f[24];
    snprintf(m, sizeof m, zc_tr(k->zc, "meal %lld credit_fen", "就餐 %lld 的 credit_fen"), (long long)id);
    snprintf(f, sizeof f, "%lld", (long long)credit);
    return problem(k, m, zc_tr(k->zc, "0 to the co-payment of a subsidised meal", "0 到有补贴的一餐的自付部分"), f);
  }
  if (subsidy <= 0) return SQLITE_OK;
  k->subsidised++;
  if (!zc_add_fen(&k->total, subsidy)) return problem(k, "total_fen", zc_tr(k->zc, "at most 2^63 fen", "最多 2^63 分"), zc_tr(k->zc, "more", "更多"));
  sqlite3_int64 sum;
  if (!parts || !parts_lines(k, parts, nparts, id, elder, site, &sum)) {
    char m[48];
    snprintf(m, sizeof m, zc_tr(k->zc, "meal %lld parts", "就餐 %lld 的补贴部分"), (long long)id);
    return problem(k, m, "{\"payer\":fen,...}", parts ? "not that" : "NULL");
  }
  if (sum != subsidy) {
    char m[48];
    snprintf(m, sizeof m, zc_tr(k->zc, "meal %lld parts", "就餐 %lld 的补贴部分"), (long long)id);
    return problemf(k, m, subsidy, sum);
  }
  int rc;
  if (credit > 0 && (rc = copay_line(k, id, elder, site, "credit", credit))) return rc;
  if (price - subsidy - credit != 0) return copay_line(k, id, elder, site, "elder", price - subsidy - credit);
  return SQLITE_OK;
}

static int prep(Check *k, const char *sql, sqlite3_stmt **st) {
  int rc = sqlite3_prepare_v2(k->zc->db, sql, -1, st, NULL);
  if (rc == SQLITE_OK) {
    int n = sqlite3_bind_parameter_count(*st);
    if (n >= 1) sqlite3_bind_int64(*st, 1, k->run << 32);
    if (n >= 2) sqlite3_bind_int64(*st, 2, (k->run + 1) << 32);
    if (n >= 3) sqlite3_bind_int64(*st, 3, k->run);
  }
  return rc;
}

/* The packs of the run (in seq order): rows digest, lines, counts. */
static int read_packs(Check *k, ZcRowHash *h) {
  sqlite3_stmt *st = NULL;
  int rc = prep(k, "SELECT seq, run_id, elder_id, meals, data FROM zhucan_run_pack "
                   "WHERE seq >= ?1 AND seq < ?2 ORDER BY seq", &st);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int i = 0; i < 5; i++) zc_rh_column(h, st, i);
    zc_rh_row(h);
    sqlite3_int64 seq = sqlite3_column_int64(st, 0), elder = sqlite3_column_int64(st, 2);
    rc = SQLITE_OK;
    if (sqlite3_column_int64(st, 1) != k->run) {
      char m[64];
      snprintf(m, sizeof m, "zhucan_run_pack seq %lld: run_id", (long long)seq);
      if ((rc = problemf(k, m, k->run, sqlite3_column_int64(st, 1)))) break;
    }
    ZcPackR r;
    ZcPackMeal pm;
    int got, n = 0;
    if (!zc_pack_open(&r, sqlite3_column_blob(st, 4), sqlite3_column_bytes(st, 4))) {
      got = -1;
    } else {
      while ((got = zc_pack_next(&r, &pm)) == 1) {
        n++;
        if ((rc = meal_lines(k, pm.id, elder, pm.site, pm.price, pm.subsidy, pm.s[4], pm.n[4], pm.credit))) break;
      }
    }
    if (rc) break;
    if (got < 0 || n != sqlite3_column_int(st, 3)) {
      char m[64];
      snprintf(m, sizeof m, "zhucan_run_pack seq %lld", (long long)seq);
      if ((rc = problem(k, m, zc_tr(k->zc, "a meal pack of its meals", "它那些就餐的数据包"), got < 0 ? zc_tr(k->zc, "damaged data", "已损坏的数据") : zc_tr(k->zc, "another count", "另一个数目")))) break;
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The meals of a run stored before packs (k->v1name). */
static int read_v1(Check *k, ZcRowHash *h) {
  sqlite3_stmt *st = NULL;
  char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" WHERE seq >= ?1 AND seq < ?2 ORDER BY seq", k->v1name);
  if (!sql) return SQLITE_NOMEM;
  int rc = prep(k, sql, &st);
  sqlite3_free(sql);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int nc = sqlite3_column_count(st);
    for (int i = 0; i < nc; i++) zc_rh_column(h, st, i);
    zc_rh_row(h);
    /* seq, run_id, meal_id, elder_id, site_id, served_at, slot, method,
    ** device, token, price_fen, nth_slot, nth_day, nth_month, version_id,
    ** subsidy_fen, parts */
    rc = meal_lines(k, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
                    sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 15),
                    (const char *)sqlite3_column_text(st, 16), sqlite3_column_bytes(st, 16), 0);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The run's items: rows digest, "I" lines, the total. */
static int read_items(Check *k, ZcRowHash *h) {
  sqlite3_stmt *st = NULL;
  int rc = prep(k, "SELECT seq, run_id, site_id, item, payer, quantity, amount_fen, version_id FROM zhucan_run_item "
                   "WHERE seq >= ?1 AND seq < ?2 ORDER BY seq", &st);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int i = 0; i < 8; i++) zc_rh_column(h, st, i);
    zc_rh_row(h);
    ZcBuf *b = &k->hout;
    ser_str(b, "I");
    ser_i64(b, sqlite3_column_int64(st, 2));
    ser_str(b, (const char *)sqlite3_column_text(st, 3));
    ser_str(b, (const char *)sqlite3_column_text(st, 4));
    ser_i64(b, sqlite3_column_int64(st, 5));
    ser_i64(b, sqlite3_column_int64(st, 6));
    hash_some(&k->out, b, 0);
    rc = SQLITE_OK;
    if (!zc_add_fen(&k->total, sqlite3_column_int64(st, 6))) rc = problem(k, "total_fen", zc_tr(k->zc, "at most 2^63 fen", "最多 2^63 分"), zc_tr(k->zc, "more", "更多"));
    if (!rc && sqlite3_column_int64(st, 1) != k->run) {
      char m[64];
      snprintf(m, sizeof m, "zhucan_run_item seq %lld: run_id", (long long)sqlite3_column_int64(st, 0));
      rc = problemf(k, m, k->run, sqlite3_column_int64(st, 1));
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Rows of a table keyed by (run_id, ...): the rows digest only. */
static int read_keyed(Check *k, ZcRowHash *h, const char *sql, sqlite3_int64 *count) {
  sqlite3_stmt *st = NULL;
  int rc = prep(k, sql, &st);
  *count = 0;
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    (*count)++;
    int nc = sqlite3_column_count(st);
    for (int i = 0; i < nc; i++) zc_rh_column(h, st, i);
    zc_rh_row(h);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Reads run k->run whole: k->rows_digest, k->out_digest and the counts. */
static int read_run(Check *k, int has_cover) {
  ZcRowHash h[ZC_RT_N];
  sqlite3_int64 n;
  memset(h, 0, sizeof h);
  k->covered = 0;
  int rc = SQLITE_OK;
  for (int t = 0; t < ZC_RT_N; t++) zc_rh_init(&h[t], t, k->run);
  sha256_init(&k->out);
  k->hout.n = 0;
  k->meals = k->subsidised = k->total = 0;
  if (k->v1) rc = read_v1(k, &h[ZC_RT_PACK]);
  else rc = read_packs(k, &h[ZC_RT_PACK]);
  if (!rc) rc = read_items(k, &h[ZC_RT_ITEM]);
  if (!rc)
    rc = read_keyed(k, &h[ZC_RT_ELDER], "SELECT run_id, elder_id, sex, birth, region, died_on, status, agreement, bed "
                                        "FROM zhucan_run_elder WHERE run_id = ?3 ORDER BY elder_id", &n);
  if (!rc)
    rc = read_keyed(k, &h[ZC_RT_SITE], "SELECT run_id, site_id, name, kind, grade, beds, area_m2, opened_on, "
                                       "closed_on, slots, region, stats FROM zhucan_run_site WHERE run_id = ?3 "
                                       "ORDER BY site_id", &n);
  if (!rc && has_cover)
    rc = read_keyed(k, &h[ZC_RT_COVER], "SELECT run_id, site_id FROM zhucan_run_cover WHERE run_id = ?3 "
                                        "ORDER BY site_id", &k->covered);
  for (int t = 0; t < ZC_RT_N && !rc; t++) rc = zc_rh_end(&h[t], k->rows[t]);
  for (int t = 0; t < ZC_RT_N; t++) zc_rh_free(&h[t]);
  if (rc) return rc;
  zc_rows_digest(k->run, k->rows, k->rows_digest);
  hash_some(&k->out, &k->hout, 1);
  if (k->hout.oom) return SQLITE_NOMEM;
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&k->out, SHA256_DIGEST_SIZE, d);
  hex32(d, k->out_digest);
  return SQLITE_OK;
}

/* --------------------------------------------------------- the checks */

static const char *col_text(sqlite3_stmt *st, int i) {
  const char *z = (const char *)sqlite3_column_text(st, i);
  return z ? z : "";
}

/* One header row st (RUN_COLS) against its stored rows; prev: the
** previous run's chain as stored (then this run's). */
#define RUN_COLS ZC_RUN_HEAD_COLS ", rows_digest, chain, superseded_by"
static int check_run(Check *k, sqlite3_stmt *st, char prev[65], int has_cover) {
  k->run = sqlite3_column_int64(st, 0);
  int rc = read_run(k, has_cover);
  if (rc) return rc;
  if (strcmp(col_text(st, 7), k->out_digest) && (rc = problem(k, "output_digest", col_text(st, 7), k->out_digest)))
    return rc;
  if (sqlite3_column_int64(st, 8) != k->meals && (rc = problemf(k, "meals", sqlite3_column_int64(st, 8), k->meals)))
    return rc;
  if (sqlite3_column_int64(st, 9) != k->subsidised &&
      (rc = problemf(k, "subsidised_meals", sqlite3_column_int64(st, 9), k->subsidised)))
    return rc;
  if (sqlite3_column_int64(st, 10) != k->total &&
      (rc = problemf(k, "total_fen", sqlite3_column_int64(st, 10), k->total)))
    return rc;
  if (sqlite3_column_type(st, 11) != SQLITE_NULL && sqlite3_column_int64(st, 11) != k->covered &&
      (rc = problemf(k, "sites", sqlite3_column_int64(st, 11), k->covered)))
    return rc;
  if (sqlite3_column_type(st, 14) == SQLITE_NULL) return SQLITE_OK;   /* not sealed yet: see above */
  if (strcmp(col_text(st, 13), k->rows_digest) && (rc = problem(k, "rows_digest", col_text(st, 13), k->rows_digest)))
    return rc;
  ZcRunHead r;
  zc_run_head(&r, st, col_text(st, 13));
  char chain[65];
  if ((rc = zc_chain(prev, &r, chain))) return rc;
  if (strcmp(chain, col_text(st, 14)) && (rc = problem(k, "chain", chain, col_text(st, 14)))) return rc;
  snprintf(prev, 65, "%s", col_text(st, 14));
  return SQLITE_OK;
}

/* superseded_by and supersedes agree: a run superseded by s is listed in
** s's supersedes (runs stored before supersedes: s is a later run of the
** same region and month), and every run listed is superseded by s. */
static int check_supersede(Check *k) {
  static const char *const sql[] = {
      /* superseded by a run that does not list it */
      "SELECT o.id, o.superseded_by, coalesce(s.id IS NULL, 1) FROM zhucan_run o LEFT JOIN zhucan_run s ON "
      "s.id = o.superseded_by WHERE o.superseded_by IS NOT NULL AND (s.id IS NULL OR s.id <= o.id OR "
      "s.month IS NOT o.month OR (s.supersedes IS NULL AND s.region IS NOT o.region) OR "
      "(s.supersedes IS NOT NULL AND NOT EXISTS (SELECT 1 FROM json_each(s.supersedes) j WHERE j.value = o.id)))",
      /* listed by a run but not superseded by it */
      "SELECT j.value, s.id, 0 FROM zhucan_run s, json_each(s.supersedes) j LEFT JOIN zhucan_run o ON o.id = "
      "j.value WHERE s.supersedes IS NOT NULL AND o.superseded_by IS NOT s.id"};
  int rc = SQLITE_OK;
  for (int i = 0; i < 2 && rc == SQLITE_OK; i++) {
    sqlite3_stmt *st = NULL;
    if ((rc = sqlite3_prepare_v2(k->zc->db, sql[i], -1, &st, NULL))) break;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      char e[64], f[64];
      k->run = sqlite3_column_int64(st, 0);
      if (i == 0) {
        snprintf(e, sizeof e, "%s", zc_tr(k->zc, "a later run of its month listing it", "本月后来的一个批次列出了它"));
        snprintf(f, sizeof f, zc_tr(k->zc, "run %lld%s", "批次 %lld%s"), (long long)sqlite3_column_int64(st, 1),
                 sqlite3_column_int(st, 2) ? zc_tr(k->zc, " (absent)", "（不存在）") : "");
      } else {
        snprintf(e, sizeof e, "%lld", (long long)sqlite3_column_int64(st, 1));
        snprintf(f, sizeof f, "%s", zc_tr(k->zc, "not that run", "不是那个批次"));
      }
      if ((rc = problem(k, "superseded_by", e, f))) break;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  return rc;
}

/* The guard triggers are all there (runschema.c). */
static int check_triggers(Check *k) {
  int rc = SQLITE_OK;
  k->run = 0;
  for (int i = 0; zc_run_triggers[i] && rc == SQLITE_OK; i++)
    if (!zc_table_exists(k->zc->db, zc_run_triggers[i]))
      rc = problem(k, zc_tr(k->zc, "missing trigger", "缺少触发器"), zc_run_triggers[i], zc_tr(k->zc, "none (dropped: writes to the runs are not refused)", "没有（已被删除：对结算批次的改写不再被拒绝）"));
  static const char *const v1[] = {"zhucan_run_meal_v1_guard_insert", "zhucan_run_meal_v1_guard_update",
                                   "zhucan_run_meal_v1_guard_delete"};
  for (int i = 0; i < 3 && rc == SQLITE_OK && k->v1name && strcmp(k->v1name, "zhucan_run_meal_v1") == 0; i++)
    if (!zc_table_exists(k->zc->db, v1[i]))
      rc = problem(k, zc_tr(k->zc, "missing trigger", "缺少触发器"), v1[i], zc_tr(k->zc, "none (dropped: writes to the runs are not refused)", "没有（已被删除：对结算批次的改写不再被拒绝）"));
  return rc;
}

/* Rows of the run tables that belong to no run. */
static int check_orphans(Check *k, int has_cover) {
  static const char *const sql[] = {
      "SELECT 'zhucan_run_pack', seq >> 32, count(*) FROM zhucan_run_pack p WHERE NOT EXISTS "
      "(SELECT 1 FROM zhucan_run r WHERE r.id = p.seq >> 32) GROUP BY 2",
      "SELECT 'zhucan_run_item', seq >> 32, count(*) FROM zhucan_run_item p WHERE NOT EXISTS "
      "(SELECT 1 FROM zhucan_run r WHERE r.id = p.seq >> 32) GROUP BY 2",
      "SELECT 'zhucan_run_elder', run_id, count(*) FROM zhucan_run_elder p WHERE NOT EXISTS "
      "(SELECT 1 FROM zhucan_run r WHERE r.id = p.run_id) GROUP BY 2",
      "SELECT 'zhucan_run_site', run_id, count(*) FROM zhucan_run_site p WHERE NOT EXISTS "
      "(SELECT 1 FROM zhucan_run r WHERE r.id = p.run_id) GROUP BY 2",
      "SELECT 'zhucan_run_cover', run_id, count(*) FROM zhucan_run_cover p WHERE NOT EXISTS "
      "(SELECT 1 FROM zhucan_run r WHERE r.id = p.run_id) GROUP BY 2"};
  int rc = SQLITE_OK;
  for (int i = 0; i < 5 && rc == SQLITE_OK; i++) {
    if (i == 4 && !has_cover) break;
    if (!zc_table_exists(k->zc->db, zc_run_table[i])) continue;   /* reported by check_layout */
    sqlite3_stmt *st = NULL;
    if ((rc = sqlite3_prepare_v2(k->zc->db, sql[i], -1, &st, NULL))) break;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      char what[80], found[32];
      k->run = sqlite3_column_int64(st, 1);
      snprintf(what, sizeof what, zc_tr(k->zc, "%s rows of no run", "%s 里不属于任何批次的行"), (const char *)sqlite3_column_text(st, 0));
      snprintf(found, sizeof found, zc_tr(k->zc, "%lld rows", "%lld 行"), (long long)sqlite3_column_int64(st, 2));
      if ((rc = problem(k, what, zc_tr(k->zc, "none", "没有"), found))) break;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  return rc;
}

/* The layout's tables and columns: SQLITE_OK with *ok 0 when something a
** run needs is missing (reported). */
static int check_layout(Check *k, int *sealed, int *ok) {
  sqlite3 *db = k->zc->db;
  static const char *const need[] = {"zhucan_run", "zhucan_run_pack", "zhucan_run_item", "zhucan_run_elder",
                                     "zhucan_run_site", "zhucan_run_cover"};
  sqlite3_int64 has = 0;
  int rc;
  *ok = 1;
  *sealed = zc_table_exists(db, "zhucan_run_cover");
  if (zc_table_exists(db, "zhucan_run") &&
      (rc = zc_query_int(db, "SELECT count(*) FROM pragma_table_info('zhucan_run') WHERE name IN "
                             "('sites', 'supersedes', 'rows_digest', 'chain')", &has)))
    return rc;
  if (has > 0) *sealed = 1;
  for (int i = 0; i < 6; i++) {
    if (i == 5 && !*sealed) break;
    if (i == 1 && k->v1name && !*sealed) continue;   /* runs from before packs only */
    if (zc_table_exists(db, need[i])) continue;
    *ok = 0;
    if ((rc = problem(k, zc_tr(k->zc, "missing table", "缺少表"), need[i], zc_tr(k->zc, "none", "没有")))) return rc;
  }
  if (*ok && *sealed && has != 4) {
    *ok = 0;
    return problem(k, zc_tr(k->zc, "missing column", "缺少列"), "zhucan_run: sites, supersedes, rows_digest, chain", zc_tr(k->zc, "some dropped", "有的已被删除"));
  }
  return SQLITE_OK;
}

int zc_run_check(ZcConn *zc, sqlite3_int64 run, int (*xProblem)(void *, sqlite3_int64, const char *, const char *,
                                                                  const char *),
                 void *p, char **pzErr) {
  Check k;
  memset(&k, 0, sizeof k);
  k.zc = zc;
  k.xProblem = xProblem;
  k.p = p;
  k.run = run;
  sqlite3 *db = zc->db;
  int rc = SQLITE_OK, sealed, ok;
  static const char *const any[] = {"zhucan_run", "zhucan_run_pack", "zhucan_run_item", "zhucan_run_elder",
                                    "zhucan_run_site", "zhucan_run_cover", "zhucan_run_meal_v1"};
  int some = 0;
  for (int i = 0; i < 7; i++) some |= zc_table_exists(db, any[i]);
  if (!some) {   /* no run was ever settled here */
    if (run > 0)
      *pzErr = sqlite3_mprintf(zc_tr(zc, "run %lld does not exist (no run has been settled yet)",
                                     "结算批次 %lld 不存在（还没有结算过任何批次）"),
                               run);
    return run > 0 ? (*pzErr ? SQLITE_ERROR : SQLITE_NOMEM) : SQLITE_OK;
  }
  if (zc_table_exists(db, "zhucan_run_meal_v1")) {
    k.v1name = "zhucan_run_meal_v1";
  } else {
    sqlite3_int64 t = 0;
    if ((rc = zc_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'zhucan_run_meal' AND type = 'table'",
                           &t)))
      return rc;
    if (t) k.v1name = "zhucan_run_meal";
  }
  if ((rc = check_layout(&k, &sealed, &ok)) || !ok) return rc;   /* nothing more can be read */
  int packs = zc_table_exists(db, "zhucan_run_pack");
  char prev[65];
  memset(prev, '0', 64);
  prev[64] = 0;
  sqlite3_stmt *st = NULL, *npack = NULL;
  char *sql = sqlite3_mprintf("SELECT %s FROM zhucan_run %s ORDER BY id",
                              sealed ? RUN_COLS
                                     : "id, region, month, created_at, policy_versions, policy_horizon, "
                                       "input_digest, output_digest, meals, subsidised_meals, total_fen, "
                                       "NULL, NULL, NULL, NULL, superseded_by",
                              run > 0 ? "WHERE id <= ?1" : "");
  if (!sql) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (!rc && packs)
    rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM zhucan_run_pack WHERE seq >= ?1 AND seq < ?2", -1, &npack, NULL);
  if (rc) goto sqlerr;
  if (run > 0) sqlite3_bind_int64(st, 1, run);
  int found = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sqlite3_int64 id = sqlite3_column_int64(st, 0);
    if (run > 0 && id < run) {   /* only its chain is needed */
      if (sqlite3_column_type(st, 14) != SQLITE_NULL) snprintf(prev, 65, "%s", col_text(st, 14));
      continue;
    }
    found = 1;
    if (npack) {
      sqlite3_bind_int64(npack, 1, id << 32);
      sqlite3_bind_int64(npack, 2, (id + 1) << 32);
      k.v1 = k.v1name && !(sqlite3_step(npack) == SQLITE_ROW && sqlite3_column_int64(npack, 0) > 0);
      sqlite3_reset(npack);
    } else {
      k.v1 = k.v1name != NULL;
    }
    if ((rc = check_run(&k, st, prev, sealed))) break;
  }
  sqlite3_finalize(st);
  sqlite3_finalize(npack);
  st = npack = NULL;
  if (rc != SQLITE_DONE && rc != SQLITE_OK) goto sqlerr;
  rc = SQLITE_OK;
  if (run > 0 && !found) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "run %lld does not exist", "结算批次 %lld 不存在"), run);
    rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  } else if (run == 0) {
    if (!rc) rc = check_orphans(&k, sealed);
    if (!rc && sealed) rc = check_supersede(&k);
    if (!rc && sealed) rc = check_triggers(&k);
  }
  zc_buf_free(&k.hout);
  zc_buf_free(&k.payer);
  return rc;
sqlerr:
  sqlite3_finalize(st);
  sqlite3_finalize(npack);
  zc_buf_free(&k.hout);
  zc_buf_free(&k.payer);
  if (rc != SQLITE_NOMEM && !*pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "reading the runs: %s", "读取结算批次时出错：%s"), sqlite3_errmsg(db));
  return rc;
}

int zc_run_rows_digest(ZcConn *zc, sqlite3_int64 run, int v1, char out[65], sqlite3_int64 counts[3]) {
  Check k;
  memset(&k, 0, sizeof k);
  k.zc = zc;
  k.run = run;
  k.v1 = v1;
  k.v1name = "zhucan_run_meal_v1";
  k.xProblem = NULL;
  int rc = read_run(&k, 1);
  if (rc == SQLITE_OK) {
    memcpy(out, k.rows_digest, 65);
    counts[0] = k.meals;
    counts[1] = k.subsidised;
    counts[2] = k.total;
  }
  zc_buf_free(&k.hout);
  zc_buf_free(&k.payer);
  return rc;
}

/* ------------------------------------------------------ run_verify vtab */

typedef struct Problem {
  sqlite3_int64 run;
  char *what, *expected, *found;
} Problem;

typedef struct VerVtab {
  sqlite3_vtab base;
  ZcConn *zc;
} VerVtab;

typedef struct VerCursor {
  sqlite3_vtab_cursor base;
  ZcConn *zc;
  Problem *a;
  size_t n, cap, i;
} VerCursor;

static void ver_clear(VerCursor *c) {
  for (size_t i = 0; i < c->n; i++) {
    sqlite3_free(c->a[i].what);
    sqlite3_free(c->a[i].expected);
    sqlite3_free(c->a[i].found);
  }
  sqlite3_free(c->a);
  c->a = NULL;
  c->n = c->cap = c->i = 0;
}

static int ver_add(void *p, sqlite3_int64 run, const char *what, const char *expected, const char *found) {
  VerCursor *c = p;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 16;
    Problem *na = sqlite3_realloc64(c->a, ncap * sizeof *na);
    if (!na) return SQLITE_NOMEM;
    c->a = na;
    c->cap = ncap;
  }
  Problem *x = &c->a[c->n];
  x->run = run;
  x->what = sqlite3_mprintf("%s", what);
  x->expected = sqlite3_mprintf("%s", expected);
  x->found = sqlite3_mprintf("%s", found);
  c->n++;
  return x->what && x->expected && x->found ? SQLITE_OK : SQLITE_NOMEM;
}

static int ver_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  (void)argc, (void)argv, (void)pzErr;
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(run_id INTEGER, what TEXT, expected TEXT, found TEXT, run HIDDEN)");
  if (rc) return rc;
  VerVtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->zc = pAux;
  *ppVtab = &v->base;
  return SQLITE_OK;
}

static int ver_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* idxNum 1: run = ?; 0: every run */
static int ver_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  (void)tab;
  info->idxNum = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    if (info->aConstraint[i].iColumn != 4) continue;
    if (info->aConstraint[i].op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!info->aConstraint[i].usable) return SQLITE_CONSTRAINT;
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 1;
    info->idxNum = 1;
  }
  info->estimatedCost = info->idxNum ? 1e5 : 1e7;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

static int ver_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  VerCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->zc = ((VerVtab *)tab)->zc;
  *pp = &c->base;
  return SQLITE_OK;
}

static int ver_close(sqlite3_vtab_cursor *cur) {
  ver_clear((VerCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int ver_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  VerCursor *c = (VerCursor *)cur;
  char *err = NULL;
  sqlite3_int64 run = 0;
  ver_clear(c);
  if (idxNum == 1 && argc == 1) {
    sqlite3_value *v = argv[0];
    if (sqlite3_value_type(v) != SQLITE_INTEGER || sqlite3_value_int64(v) < 1) {
      char *r = zc_value_repr(v);
      err = sqlite3_mprintf(zc_tr(c->zc, "run_verify: run %s is not a run id (an integer from zhucan_run.id); "
                                         "run_verify() checks every run",
                                  "run_verify：%s 不是结算批次号（zhucan_run.id 里的整数）；"
                                  "不带参数的 run_verify() 核验全部批次"),
                            r ? r : "?");
      sqlite3_free(r);
      sqlite3_free(cur->pVtab->zErrMsg);
      cur->pVtab->zErrMsg = err;
      return err ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    run = sqlite3_value_int64(v);
  }
  int rc = zc_facts_sync(c->zc);
  if (rc == SQLITE_OK) rc = zc_run_check(c->zc, run, ver_add, c, &err);
  if (rc == SQLITE_OK) return SQLITE_OK;
  if (zc_lost_to_nomem(c->zc->db, rc, err)) {
    sqlite3_free(err);
    return SQLITE_NOMEM;
  }
  sqlite3_free(cur->pVtab->zErrMsg);
  cur->pVtab->zErrMsg = sqlite3_mprintf(zc_tr(c->zc, "run_verify: %s", "run_verify：%s"), err ? err : sqlite3_errmsg(c->zc->db));
  sqlite3_free(err);
  return cur->pVtab->zErrMsg ? (rc == SQLITE_OK ? SQLITE_ERROR : rc) : SQLITE_NOMEM;
}

static int ver_next(sqlite3_vtab_cursor *cur) {
  ((VerCursor *)cur)->i++;
  return SQLITE_OK;
}

static int ver_eof(sqlite3_vtab_cursor *cur) {
  VerCursor *c = (VerCursor *)cur;
  return c->i >= c->n;
}

static int ver_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  VerCursor *c = (VerCursor *)cur;
  const Problem *x = &c->a[c->i];
  switch (col) {
    case 0:
      if (x->run > 0) sqlite3_result_int64(ctx, x->run);
      else sqlite3_result_null(ctx);
      break;
    case 1: sqlite3_result_text(ctx, x->what, -1, SQLITE_TRANSIENT); break;
    case 2: sqlite3_result_text(ctx, x->expected, -1, SQLITE_TRANSIENT); break;
    case 3: sqlite3_result_text(ctx, x->found, -1, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

static int ver_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = (sqlite3_int64)((VerCursor *)cur)->i + 1;
  return SQLITE_OK;
}

static sqlite3_module verify_module = {
    0,          NULL,     ver_connect, ver_best_index, ver_disconnect, NULL, ver_open, ver_close,
    ver_filter, ver_next, ver_eof,     ver_column,     ver_rowid,      NULL, NULL,     NULL,
    NULL,       NULL,     NULL,        NULL,           NULL,           NULL, NULL,     NULL};

int zc_verify_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return sqlite3_create_module(db, "run_verify", &verify_module, zc);
}
