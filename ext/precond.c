/*
** precond.c — what must hold before settle() stores a run (precond.h):
**
**   SELECT settle('141129', '2026-12');
**     -- settle: month 2026-12 has not ended (today is 2026-12-06 in China);
**     --   it can be settled from 2027-01-01
**   SELECT settle('141129', '2023-12');
**     -- settle: 4 site-days of 141129 in 2023-12 have no policy in force:
**     --   site 3 2023-12-01..2023-12-31 (policy huairen: ...); ...
**   SELECT settle('141129100', '2024-03');
**     -- settle: region 141129100 month 2024-03: its sites are already paid
**     --   by current run 1 (region 141129) ...
**
** A run is immutable and pays real money: settling too early, under no
** policy, or twice for the same site and month would store a run that only
** 'supersede' can replace.  These checks refuse such a run before anything
** is computed; run.c words the overlap refusal.
*/
#include "precond.h"
#include "policy.h"
#include "runrec.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- today */

int zc_today(const ZcConn *zc, const char *fn, int *day, char **pzErr) {
  const char *env = getenv("ZHUCAN_TODAY");
  if (env && *env) {
    int d = zc_day_parse(env, -1);
    if (d == ZC_NONE) {
      *pzErr = sqlite3_mprintf(zc_tr(zc,
                                     "%s: the environment variable ZHUCAN_TODAY is '%.40s', expected a day "
                                     "'YYYY-MM-DD' (or unset it to use the system clock)",
                                     "%s：环境变量 ZHUCAN_TODAY 的值是 '%.40s'，应为日期 'YYYY-MM-DD'"
                                     "（或者删除这个变量，改用系统时钟）"),
                               fn, env);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    *day = d;
    return SQLITE_OK;
  }
  time_t now = time(NULL);
  /* China Standard Time is UTC+8 all year */
  *day = (int)(((long long)now + 8 * 3600) / ZC_DAY_SECONDS);
  return SQLITE_OK;
}

int zc_month_ended(const ZcConn *zc, const char *fn, const char *month, int next, char **pzErr) {
  int today;
  int rc = zc_today(zc, fn, &today, pzErr);
  if (rc) return rc;
  if (today >= next) return SQLITE_OK;
  char t[11], n[11];
  zc_day_format(today, t);
  zc_day_format(next, n);
  *pzErr = sqlite3_mprintf(zc_tr(zc,
                                 "%s: month %s has not ended (today is %s in China); its meals are not all in yet, "
                                 "and a run cannot be changed once stored: settle it on or after %s",
                                 "%s：%s 月还没有结束（今天是北京时间 %s），这个月的就餐记录还没有全部上传，"
                                 "而结算批次一经保存就不能更改：请在 %s 或之后再结算"),
                           fn, month, t, n);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* ---------------------------------------------------------------- cover */

int zc_cover_of(ZcConn *zc, const char *fn, const char *region, ZcCover *out, char **pzErr) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  memset(out, 0, sizeof *out);
  int rc = sqlite3_prepare_v2(zc->db, "SELECT id, region FROM site ORDER BY id", -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: cannot read table site: %s", "%s：无法读取助餐点表 site：%s"), fn, sqlite3_errmsg(zc->db));
    return rc;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *code = (const char *)sqlite3_column_text(st, 1);
    if (!code || !zc_region_under(zc, code, region)) continue;
    if (out->n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      sqlite3_int64 *a = sqlite3_realloc64(out->ids, ncap * sizeof *a);
      if (!a) {
        rc = SQLITE_NOMEM;
        break;
      }
      out->ids = a;
      cap = ncap;
    }
    out->ids[out->n++] = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc != SQLITE_NOMEM && !*pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: reading table site: %s", "%s：读取助餐点表 site 时出错：%s"), fn, sqlite3_errmsg(zc->db));
  zc_cover_free(out);
  return rc;
}

int zc_cover_has(const ZcCover *c, sqlite3_int64 id) {
  size_t lo = 0, hi = c->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo < c->n && c->ids[lo] == id;
}

void zc_cover_free(ZcCover *c) {
  sqlite3_free(c->ids);
  c->ids = NULL;
  c->n = 0;
}

/* ---------------------------------------------------------- policy gaps */

#define GAPS_SHOWN 10

/* One range of days of a site without a policy, into the message. */
static void gap_range(const ZcConn *zc, ZcBuf *b, int *shown, const ZcSiteFacts *s, int from, int to) {
  if ((*shown)++ >= GAPS_SHOWN) return;
  char f[11], t[11];
  zc_day_format(from, f);
  zc_day_format(to, t);
  char line[160];
  int n = snprintf(line, sizeof line, zc_tr(zc, "%ssite %lld %s..%s", "%s助餐点 %lld %s 至 %s"),
                   *shown > 1 ? zc_tr(zc, "; ", "；") : "", (long long)s->id, f, t);
  zc_buf_add(b, line, (size_t)n);
  const ZcRegion *g = s->reg ? s->reg->gov : NULL;
  if (!g) {
    n = snprintf(line, sizeof line,
                 zc_tr(zc, " (no region above its region %.20s names a policy)",
                       "（所在区划 %.20s 及其上级区划都没有指定政策）"),
                 s->region ? s->region : "?");
  } else {
    n = snprintf(line, sizeof line,
                 zc_tr(zc, " (policy %.60s of region %.20s has no version in force)",
                       "（政策 %.60s 没有生效的版本，该政策由区划 %.20s 指定）"),
                 g->policy, g->code);
  }
  if (n > 0) zc_buf_add(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

int zc_policy_gaps(ZcConn *zc, const char *fn, const ZcCover *c, int first, int next, char **pzErr) {
  ZcPolicyPick pick = {0, 0, NULL};
  ZcBuf b;
  memset(&b, 0, sizeof b);
  sqlite3_int64 days = 0;
  int shown = 0, rc = SQLITE_OK;
  unsigned tick = 0;
  for (size_t i = 0; i < c->n && rc == SQLITE_OK; i++) {
    const ZcSiteFacts *s;
    if ((rc = zc_site_facts(zc, c->ids[i], &s, pzErr))) break;
    int from = s->opened_on == ZC_NONE ? first : s->opened_on;
    int to = s->closed_on == ZC_NONE ? next : s->closed_on;
    if (from < first) from = first;
    if (to > next) to = next;
    int gap = -1;   /* the first day of the current gap */
    for (int d = from; d < to; d++) {
      const ZcPolicyVersion *v = NULL;
      if ((rc = zc_policy_for_site(zc, &pick, s, d, &v, pzErr))) break;
      if (!v && gap < 0) gap = d;
      if (v && gap >= 0) {
        gap_range(zc, &b, &shown, s, gap, d - 1);
        days += d - gap;
        gap = -1;
      }
    }
    if (!rc && gap >= 0) {
      gap_range(zc, &b, &shown, s, gap, to - 1);
      days += to - gap;
    }
    if (!rc && zc_interrupted_every(zc, &tick, 6)) rc = SQLITE_INTERRUPT;
  }
  if (rc == SQLITE_OK && days > 0) {
    char f[11];
    zc_day_format(first, f);
    if (b.oom) rc = SQLITE_NOMEM;
    else if (zc_lang_en(zc))
      *pzErr = sqlite3_mprintf("%s: %lld site-day%s of %.7s %s no policy in force: %.*s%s; a meal there could "
                               "not be priced.  Install a policy version in force on those days "
                               "(policy_install, with effective_from on or before the first of them), or name "
                               "a policy for the region (region.policy), or correct the site's opened_on / "
                               "closed_on if it was not open then",
                               fn, days, days == 1 ? "" : "s", f, days == 1 ? "has" : "have", (int)b.n,
                               b.z ? b.z : "", shown > GAPS_SHOWN ? "; and more" : "");
    else
      *pzErr = sqlite3_mprintf("%s：%.7s 共有 %lld 个助餐点营业日没有生效的政策：%.*s%s；这些天的就餐无法核算补贴。"
                               "请安装在这些天生效的政策版本（policy_install，effective_from 不晚于其中第一天），"
                               "或为区划指定政策（region.policy）；如果助餐点当时并未开放，请更正它的 "
                               "opened_on / closed_on",
                               fn, f, days, (int)b.n, b.z ? b.z : "", shown > GAPS_SHOWN ? "；等等" : "");
    if (rc == SQLITE_OK) rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  zc_buf_free(&b);
  return rc;
}

/* ------------------------------------------------------------- overlaps */

void zc_overlaps_free(ZcOverlap *a, int n) {
  for (int i = 0; i < n; i++) sqlite3_free(a[i].region);
  sqlite3_free(a);
}

/* The sites of run r (of region code) as a sorted set: its zhucan_run_cover
** rows, or for a run stored before them (sites NULL), the sites under its
** region now and those in its zhucan_run_site rows. */
static int run_cover(ZcConn *zc, sqlite3_int64 run, const char *code, int recorded, ZcCover *out, char **pzErr) {
  memset(out, 0, sizeof *out);
  int rc = SQLITE_OK;
  ZcCover now;
  memset(&now, 0, sizeof now);
  if (!recorded && zc_region(zc, code) && (rc = zc_cover_of(zc, "settle", code, &now, pzErr))) return rc;
  sqlite3_stmt *st = NULL;
  const char *sql = recorded ? "SELECT site_id FROM zhucan_run_cover WHERE run_id = ?1"
                             : "SELECT site_id FROM zhucan_run_site WHERE run_id = ?1";
  size_t cap = now.n + 64;
  out->ids = sqlite3_malloc64(cap * sizeof *out->ids);
  if (!out->ids) rc = SQLITE_NOMEM;
  if (!rc) {
    memcpy(out->ids, now.ids ? now.ids : out->ids, now.n * sizeof *out->ids);
    out->n = now.n;
    rc = sqlite3_prepare_v2(zc->db, sql, -1, &st, NULL);
  }
  if (!rc) sqlite3_bind_int64(st, 1, run);
  while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->n == cap) {
      sqlite3_int64 *a = sqlite3_realloc64(out->ids, cap * 2 * sizeof *a);
      if (!a) {
        rc = SQLITE_NOMEM;
        break;
      }
      out->ids = a;
      cap *= 2;
    }
    out->ids[out->n++] = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  zc_cover_free(&now);
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  if (rc) {
    if (rc != SQLITE_NOMEM && !*pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "settle: reading run %lld: %s", "settle：读取结算批次 %lld 时出错：%s"), run, sqlite3_errmsg(zc->db));
    zc_cover_free(out);
    return rc;
  }
  /* sorted, without repeats */
  qsort(out->ids, out->n, sizeof *out->ids, zc_i64_cmp);
  size_t w = 0;
  for (size_t i = 0; i < out->n; i++)
    if (w == 0 || out->ids[w - 1] != out->ids[i]) out->ids[w++] = out->ids[i];
  out->n = w;
  return SQLITE_OK;
}

int zc_overlaps(ZcConn *zc, const char *region, const char *month, const ZcCover *c, ZcOverlap **out, int *n,
                char **pzErr) {
  *out = NULL;
  *n = 0;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db,
                              "SELECT id, region, sites IS NOT NULL FROM zhucan_run WHERE month = ?1 AND "
                              "superseded_by IS NULL ORDER BY id",
                              -1, &st, NULL);
  if (rc) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "settle: reading zhucan_run: %s", "settle：读取 zhucan_run 时出错：%s"), sqlite3_errmsg(zc->db));
    return rc;
  }
  sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
  int cap = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *code = (const char *)sqlite3_column_text(st, 1);
    ZcCover rc_cover;
    rc = run_cover(zc, sqlite3_column_int64(st, 0), code ? code : "", sqlite3_column_int(st, 2), &rc_cover, pzErr);
    if (rc) break;
    sqlite3_int64 common = 0, example = 0;
    for (size_t i = 0; i < rc_cover.n; i++)
      if (zc_cover_has(c, rc_cover.ids[i]) && common++ == 0) example = rc_cover.ids[i];
    sqlite3_int64 others = (sqlite3_int64)rc_cover.n - common;
    zc_cover_free(&rc_cover);
    if (common == 0 && !(code && strcmp(code, region) == 0)) continue;
    if (*n == cap) {
      int ncap = cap ? cap * 2 : 4;
      ZcOverlap *a = sqlite3_realloc64(*out, (sqlite3_uint64)ncap * sizeof *a);
      if (!a) {
        rc = SQLITE_NOMEM;
        break;
      }
      *out = a;
      cap = ncap;
    }
    ZcOverlap *o = &(*out)[*n];
    o->run = sqlite3_column_int64(st, 0);
    o->region = zc_dup_text(code ? code : "");
    o->common = common;
    o->example = example;
    o->others = others;
    (*n)++;
    if (!o->region) {
      rc = SQLITE_NOMEM;
      break;
    }
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc != SQLITE_NOMEM && !*pzErr) *pzErr = sqlite3_mprintf(zc_tr(zc, "settle: reading zhucan_run: %s", "settle：读取 zhucan_run 时出错：%s"), sqlite3_errmsg(zc->db));
  zc_overlaps_free(*out, *n);
  *out = NULL;
  *n = 0;
  return rc;
}

/* One overlapping run, as the refusal names it. */
static void overlap_text(const ZcConn *zc, ZcBuf *b, const ZcOverlap *o, const char *region) {
  char line[200];
  int n;
  if (strcmp(o->region, region) == 0)
    n = snprintf(line, sizeof line, zc_tr(zc, "run %lld (the same region)", "批次 %lld（同一区划）"), (long long)o->run);
  else if (zc_lang_en(zc))
    n = snprintf(line, sizeof line, "run %lld (region %.40s: %lld site%s in common, e.g. site %lld)",
                 (long long)o->run, o->region, (long long)o->common, o->common == 1 ? "" : "s",
                 (long long)o->example);
  else
    n = snprintf(line, sizeof line, "批次 %lld（区划 %.40s：有 %lld 个助餐点重合，例如助餐点 %lld）",
                 (long long)o->run, o->region, (long long)o->common, (long long)o->example);
  if (n > 0) zc_buf_add(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

int zc_overlap_check(ZcConn *zc, const char *region, const char *month, int supersede, const ZcOverlap *ov, int n,
                     char **pzErr) {
  for (int i = 0; i < n; i++) {
    /* a statement that reads zhucan_run while it settles (SELECT
    ** settle(region, month, 'supersede') FROM zhucan_run) would otherwise
    ** supersede its own new runs for ever */
    if (zc_mine_same(zc, ZC_MINE_RUN, (sqlite3_uint64)ov[i].run)) {
      *pzErr = sqlite3_mprintf(zc_tr(zc,
                                     "settle: region %s month %s: run %lld, which pays its sites, was settled by this "
                                     "same statement; a statement settles a site's month once (does it read "
                                     "zhucan_run while it settles?)",
                                     "settle：区划 %s %s 月：结算其助餐点的批次 %lld 正是这同一条语句刚刚保存的；"
                                     "一条语句对一个助餐点的一个月只结算一次（这条语句是否一边结算一边读取 "
                                     "zhucan_run？）"),
                               region, month, ov[i].run);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  }
  if (n == 0 || supersede) return SQLITE_OK;
  if (n == 1 && strcmp(ov[0].region, region) == 0) {
    *pzErr = sqlite3_mprintf(zc_tr(zc,
                                   "settle: region %s month %s is already settled as run %lld; "
                                   "runs are immutable: settle('%s', '%s', 'supersede') stores a new run and "
                                   "marks run %lld superseded",
                                   "settle：区划 %s %s 月已经结算过，批次号 %lld；结算批次不能更改："
                                   "settle('%s', '%s', 'supersede') 会保存一个新批次，并把批次 %lld 标记为已被取代"),
                             region, month, ov[0].run, region, month, ov[0].run);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  ZcBuf b, ids, orphans;
  memset(&b, 0, sizeof b);
  memset(&ids, 0, sizeof ids);
  memset(&orphans, 0, sizeof orphans);
  for (int i = 0; i < n; i++) {
    if (i) zc_buf_str(&b, zc_tr(zc, "; ", "；"));
    overlap_text(zc, &b, &ov[i], region);
    char t[100];
    int m = snprintf(t, sizeof t, "%s%lld", i ? (i == n - 1 ? zc_tr(zc, " and ", "和") : zc_tr(zc, ", ", "、")) : "",
                     (long long)ov[i].run);
    zc_buf_add(&ids, t, (size_t)m);
    if (ov[i].others > 0) {
      m = snprintf(t, sizeof t, zc_tr(zc, "%s%lld of run %lld (region %.40s)", "%s%lld 个属于批次 %lld（区划 %.40s）"),
                   orphans.n ? zc_tr(zc, ", ", "、") : "", (long long)ov[i].others, (long long)ov[i].run, ov[i].region);
      if (m > 0) zc_buf_add(&orphans, t, (size_t)m < sizeof t ? (size_t)m : sizeof t - 1);
    }
  }
  zc_buf_add(&b, "", 1);
  zc_buf_add(&ids, "", 1);
  zc_buf_add(&orphans, "", 1);
  if (!b.oom && !ids.oom && !orphans.oom && !zc_lang_en(zc))
    *pzErr = sqlite3_mprintf("settle：区划 %s %s 月：其中的助餐点已由现行的%s支付；每个助餐点每月只由一个现行批次支付。"
                             "settle('%s', '%s', 'supersede') 会保存新批次，并把批次 %s 标记为已被取代%s%s%s",
                             region, month, b.z, region, month, ids.z,
                             orphans.n > 1 ? "（届时这些批次中的其他助餐点将没有现行批次支付：" : "",
                             orphans.n > 1 ? orphans.z : "", orphans.n > 1 ? "；请按它们各自的区划重新结算）" : "");
  else if (!b.oom && !ids.oom && !orphans.oom)
    *pzErr = sqlite3_mprintf("settle: region %s month %s: its sites are already paid by current %s; each site "
                             "is paid by one current run a month.  settle('%s', '%s', 'supersede') stores the "
                             "new run and marks %s %s superseded%s%s%s%s%s",
                             region, month, b.z, region, month, n == 1 ? "run" : "runs",
                             ids.z, orphans.n > 1 ? " (the other sites of " : "", orphans.n > 1 ? (n == 1 ? "that run" : "those runs") : "",
                             orphans.n > 1 ? " would then be paid by no current run: " : "", orphans.n > 1 ? orphans.z : "",
                             orphans.n > 1 ? "; settle them again under their own regions)" : "");
  zc_buf_free(&b);
  zc_buf_free(&ids);
  zc_buf_free(&orphans);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}
