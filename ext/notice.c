/*
** notice.c — a site's monthly public notice (公示) under Zhongyang's rule
** (中民发〔2024〕3号 五: by the 10th, for at least 5 days), as rows:
**
**   SELECT section, line, item, detail, quantity, yuan FROM notice(12, '2024-03');
**
**   CREATE TABLE x(section TEXT, line INTEGER, title TEXT, item TEXT,
**                  detail TEXT, quantity INTEGER, amount_fen INTEGER,
**                  yuan TEXT, note TEXT,
**                  site_id HIDDEN, month HIDDEN);      -- both required
**
** Sections, in this order (docs/ref/notice.md gives every row's columns):
**   head        site, place, month, posting rule
**   run         the current run paying the site for the month (id, output
**               digest, chain), or a line saying the month is not settled
**   diners      one line per elder who ate there: masked name (item) and ID
**               number (detail), meals, public subsidy; a 合计 line
**   total       public money for the site (= settlement()'s rows of the
**               site other than payers 'elder' and 'credit'), the
**               co-payments, and (when points paid some) 信用积分抵扣合计:
**               the co-payments paid with credit points
**   site_items  each item the policy's site() pays
**   daily       meals recorded per day (the chart of notice_html)
**   purchases   food purchases of the month, with a 合计 line
**   spending    all spending by kind, with a 合计 line
**   staff       person in charge and caregivers in force in the month,
**               phones masked
**   meal_times  the policy's windows for the slots the site serves
**   procedure   the meal procedure
**   menu        the menus of the month's days
**   laundry     laundry help by elder (masked), its procedure and times
**
** The money comes from the one month pass (zc_month_compute over the site's
** region, the pass settlement() runs), so the diners' subsidies add up to
** settlement()'s meal rows of the site to the fen.  Names and ID numbers
** are masked by mask_name / mask_id (identity.c), through SQL.
*/
#include "modules.h"
#include "month.h"
#include "notice.h"
#include "runrec.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ rows */

static ZcNoticeRow *nt_row(ZcNotice *nt, const char *section, const char *title, int line) {
  if (nt->n == nt->cap) {
    int ncap = nt->cap ? nt->cap * 2 : 64;
    ZcNoticeRow *r = sqlite3_realloc64(nt->rows, (sqlite3_uint64)ncap * sizeof *r);
    if (!r) { nt->oom = 1; return NULL; }
    nt->rows = r;
    nt->cap = ncap;
  }
  ZcNoticeRow *r = &nt->rows[nt->n++];
  memset(r, 0, sizeof *r);
  r->section = section;
  r->title = title;
  r->line = line;
  return r;
}

/* a row with printf-made texts (NULL format: no text) */
static ZcNoticeRow *nt_add(ZcNotice *nt, const char *section, const char *title, int line, const char *item,
                           const char *detail, const char *note) {
  ZcNoticeRow *r = nt_row(nt, section, title, line);
  if (!r) return NULL;
  if (item && !(r->item = sqlite3_mprintf("%s", item))) nt->oom = 1;
  if (detail && !(r->detail = sqlite3_mprintf("%s", detail))) nt->oom = 1;
  if (note && !(r->note = sqlite3_mprintf("%s", note))) nt->oom = 1;
  return r;
}

static void nt_qty(ZcNoticeRow *r, sqlite3_int64 q) {
  if (r) { r->quantity = q; r->has_quantity = 1; }
}
static void nt_amount(ZcNoticeRow *r, sqlite3_int64 fen) {
  if (r) { r->amount = fen; r->has_amount = 1; }
}

void zc_notice_free(ZcNotice *nt) {
  for (int i = 0; i < nt->n; i++) {
    sqlite3_free(nt->rows[i].item);
    sqlite3_free(nt->rows[i].detail);
    sqlite3_free(nt->rows[i].note);
  }
  sqlite3_free(nt->rows);
  sqlite3_free(nt->site_name);
  sqlite3_free(nt->place);
  sqlite3_free(nt->run_key);
  memset(nt, 0, sizeof *nt);
}

void zc_notice_yuan(sqlite3_int64 fen, char out[32]) {
  sqlite3_uint64 a = fen < 0 ? (sqlite3_uint64)0 - (sqlite3_uint64)fen : (sqlite3_uint64)fen;
  snprintf(out, 32, "%s%llu.%02llu", fen < 0 ? "-" : "", a / 100, a % 100);
}

int zc_notice_tables(ZcConn *zc, const char *fn, const char *const *names, char **pzErr) {
  for (int i = 0; names[i]; i++)
    if (!zc_table_exists(zc->db, names[i])) {
      *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: table '%s' is missing: add the notice tables with "
                                         "sqlite3 DB '.read sql/schema.sql' (CREATE ... IF NOT EXISTS: existing tables "
                                         "are kept; see docs/notices.md)",
                                     "%s：缺少表 '%s'：请用 sqlite3 DB '.read sql/schema.sql' 加上公示用的表"
                                     "（CREATE ... IF NOT EXISTS：已有的表保留不动；见 docs/notices.md）"),
                               fn, names[i]);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  return SQLITE_OK;
}

/* 138****5678: the first 3 and last 4 characters of a phone of 7 or more
** ASCII characters kept; anything shorter or stranger entirely starred */
static char *mask_phone(const char *p) {
  size_t n = p ? strlen(p) : 0;
  int ascii = 1;
  for (size_t i = 0; i < n; i++) ascii &= (unsigned char)p[i] < 0x80;
  if (!p) return sqlite3_mprintf("");
  if (n < 7 || !ascii) return sqlite3_mprintf("****");
  return sqlite3_mprintf("%.3s%.*s%s", p, (int)(n - 7), "********************************", p + n - 4);
}

/* --------------------------------------------------- the money pass */

static const char *payer_zh(const char *p) {
  static const char *const W[][2] = {{"province", "省级"}, {"city", "市级"}, {"county", "县级"},
                                     {"township", "乡镇"}, {"village", "村集体"}, {"charity", "慈善"},
                                     {"enterprise", "企业"}};
  for (size_t i = 0; i < sizeof W / sizeof W[0]; i++)
    if (!strcmp(p, W[i][0])) return W[i][1];
  return p;
}

#define T_DINERS "每月用餐人员明细"

/* "，信用积分抵扣 12.00 元" after a note: the part of the co-payment credit
** points paid (docs/credit.md); only when there is one, so a notice
** without it reads as before */
static void credit_note(char *note, size_t size, sqlite3_int64 fen) {
  char y[32];
  size_t n = strlen(note);
  zc_notice_yuan(fen, y);
  snprintf(note + n, size - n, "，信用积分抵扣 %s 元", y);
}
#define T_TOTAL "本月补贴合计"

/* diners (masked), their total, and the site's items */
static int sec_money(ZcConn *zc, ZcNotice *nt, const ZcNoticeMoney *mo, char **pzErr) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db, "SELECT mask_name(name), mask_id(id_number) FROM elder WHERE id = ?1", -1,
                              &st, NULL);
  if (rc) { *pzErr = sqlite3_mprintf("notice: %s", sqlite3_errmsg(zc->db)); return rc; }
  sqlite3_int64 meals = 0, subsidised = 0, subsidy = 0, copay = 0, credit = 0;
  char note[160], y1[32];
  for (int i = 0; i < mo->n && !nt->oom; i++) {
    const ZcNoticeDiner *d = &mo->d[i];
    sqlite3_bind_int64(st, 1, d->elder);
    const char *nm = "（未登记）", *idn = "";
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      nm = (const char *)sqlite3_column_text(st, 0);
      idn = (const char *)sqlite3_column_text(st, 1);
    } else if (rc != SQLITE_DONE) break;
    zc_notice_yuan(d->copay, y1);
    snprintf(note, sizeof note, "补贴 %lld 餐，个人自付 %s 元", d->subsidised, y1);
    if (d->credit) credit_note(note, sizeof note, d->credit);
    ZcNoticeRow *r = nt_add(nt, "diners", T_DINERS, i + 1, nm ? nm : "", idn ? idn : "", note);
    nt_qty(r, d->meals);
    nt_amount(r, d->subsidy);
    sqlite3_reset(st);
    rc = SQLITE_OK;
    meals += d->meals; subsidised += d->subsidised; subsidy += d->subsidy; copay += d->copay; credit += d->credit;
  }
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    *pzErr = sqlite3_mprintf("notice: %s", sqlite3_errmsg(zc->db));
    sqlite3_finalize(st);
    return rc;
  }
  sqlite3_finalize(st);
  zc_notice_yuan(copay, y1);
  snprintf(note, sizeof note, "%d 人，补贴 %lld 餐，个人自付 %s 元", mo->n, subsidised, y1);
  if (credit) credit_note(note, sizeof note, credit);
  ZcNoticeRow *r = nt_add(nt, "diners", T_DINERS, mo->n + 1, "合计", NULL, note);
  nt_qty(r, meals);
  nt_amount(r, subsidy);
  for (int i = 0; i < mo->nit; i++) {
    snprintf(note, sizeof note, "数量 %lld", mo->it[i].qty);
    r = nt_add(nt, "site_items", "运营补贴", i + 1, mo->it[i].item, payer_zh(mo->it[i].payer), note);
    nt_amount(r, mo->it[i].fen);
  }
  sqlite3_int64 total = subsidy;
  if (!zc_add_fen(&total, mo->items_fen)) return SQLITE_TOOBIG;
  char det[96];
  if (nt->settled) snprintf(det, sizeof det, "助餐补贴加运营补贴，即第 %lld 号结算所付", nt->run_id);
  else snprintf(det, sizeof det, "助餐补贴加运营补贴，按今日数据试算");
  r = nt_add(nt, "total", T_TOTAL, 1, "财政补贴合计", det, NULL);
  nt_amount(r, total);
  r = nt_add(nt, "total", T_TOTAL, 2, "老人自付合计",
             credit ? "已补贴餐次的个人自付部分（不含信用积分抵扣）" : "已补贴餐次的个人自付部分", NULL);
  nt_amount(r, copay);
  if (credit) {
    r = nt_add(nt, "total", T_TOTAL, 3, "信用积分抵扣合计", "已补贴餐次的个人自付中以信用积分支付的部分", NULL);
    nt_amount(r, credit);
  }
  memcpy(nt->per_day, mo->per_day, sizeof nt->per_day);
  return SQLITE_OK;
}

/* --------------------------------------------------- other sections */

/* runs one query and hands each row to fn; binds ?1 site, ?2 first day,
** ?3 next first day, ?4 month */
typedef int (*RowFn)(ZcNotice *nt, sqlite3_stmt *st, int line);
static int each_row(ZcConn *zc, ZcNotice *nt, const char *sql, const char *first, const char *next, RowFn fn,
                    char **pzErr) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(zc->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, nt->site_id);
    sqlite3_bind_text(st, 2, first, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, next, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, nt->month, -1, SQLITE_STATIC);
    int line = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      if ((rc = fn(nt, st, ++line)) != SQLITE_OK || nt->oom) break;
    if (rc == SQLITE_DONE || (rc == SQLITE_ROW && nt->oom)) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK && !nt->oom) *pzErr = sqlite3_mprintf("notice: %s", sqlite3_errmsg(zc->db));
  sqlite3_finalize(st);
  return nt->oom ? SQLITE_NOMEM : rc;
}

#define COL(i) ((const char *)sqlite3_column_text(st, (i)))

static int row_run(ZcNotice *nt, sqlite3_stmt *st, int line) {
  (void)line;
  char buf[160];
  nt->settled = 1;
  nt->run_id = sqlite3_column_int64(st, 0);
  if (!(nt->run_key = sqlite3_mprintf("%s|%s", COL(3) ? COL(3) : "", COL(4) ? COL(4) : ""))) return SQLITE_NOMEM;
  snprintf(buf, sizeof buf, "第 %lld 号结算（区域 %s，%s 结算）", sqlite3_column_int64(st, 0), COL(1), COL(2));
  ZcNoticeRow *r = nt_add(nt, "run", "结算依据", 1, "结算批次", buf, "金额以该批次为准，可用 replay() 复核");
  nt_qty(r, sqlite3_column_int64(st, 0));
  nt_add(nt, "run", "结算依据", 2, "输出摘要", COL(3), NULL);
  nt_add(nt, "run", "结算依据", 3, "链值", COL(4) ? COL(4) : "", NULL);
  return SQLITE_OK;
}

static int row_purchase(ZcNotice *nt, sqlite3_stmt *st, int line) {
  char det[200];
  snprintf(det, sizeof det, "%s %s · %s · 票据 %s", COL(2) ? COL(2) : "", COL(3) ? COL(3) : "",
           COL(5) ? COL(5) : "—", COL(6) ? COL(6) : "—");
  ZcNoticeRow *r = nt_add(nt, "purchases", "上月食材采购清单", line, COL(1), det, COL(0));
  nt_amount(r, sqlite3_column_int64(st, 4));
  return SQLITE_OK;
}

static const char *kind_zh(const char *k) {
  static const char *const W[][2] = {{"food", "食材采购"}, {"fuel", "燃料"}, {"utilities", "水电"},
                                     {"wages", "养老护理员报酬"}, {"supplies", "用品"}, {"other", "其他"}};
  for (size_t i = 0; k && i < sizeof W / sizeof W[0]; i++)
    if (!strcmp(k, W[i][0])) return W[i][1];
  return k ? k : "其他";
}

static int row_spending(ZcNotice *nt, sqlite3_stmt *st, int line) {
  char det[64];
  snprintf(det, sizeof det, "%lld 笔", sqlite3_column_int64(st, 2));
  ZcNoticeRow *r = nt_add(nt, "spending", "各项开支", line, kind_zh(COL(0)), det, NULL);
  nt_amount(r, sqlite3_column_int64(st, 1));
  nt_qty(r, sqlite3_column_int64(st, 2));
  return SQLITE_OK;
}

static int row_staff(ZcNotice *nt, sqlite3_stmt *st, int line) {
  const char *role = COL(0);
  const char *zh = role && !strcmp(role, "in_charge") ? "负责人" : role && !strcmp(role, "caregiver") ? "养老护理员" : role;
  char *ph = mask_phone(COL(2));
  if (!ph) return SQLITE_NOMEM;
  nt_add(nt, "staff", "负责人和养老护理员", line, zh ? zh : "", COL(1), ph);
  sqlite3_free(ph);
  return SQLITE_OK;
}

static int row_menu(ZcNotice *nt, sqlite3_stmt *st, int line) {
  static const char *WD[] = {"", "周一", "周二", "周三", "周四", "周五", "周六", "周日"};
  int wd = sqlite3_column_int(st, 1);
  char item[48];
  const char *day = COL(0);
  snprintf(item, sizeof item, "%d月%d日（%s）", atoi(day + 5), atoi(day + 8), wd >= 1 && wd <= 7 ? WD[wd] : "");
  nt_add(nt, "menu", "每周食谱", line, item, COL(2), NULL);
  return SQLITE_OK;
}

static int row_laundry(ZcNotice *nt, sqlite3_stmt *st, int line) {
  ZcNoticeRow *r = nt_add(nt, "laundry", "助洁服务", line, COL(0) ? COL(0) : "（未登记）", COL(2), COL(3));
  nt_qty(r, sqlite3_column_int64(st, 1));
  return SQLITE_OK;
}

static const char *SQL_RUN =
    "SELECT r.id, r.region, r.created_at, r.output_digest, r.chain FROM zhucan_run_cover c"
    " JOIN zhucan_run r ON r.id = c.run_id WHERE c.site_id = ?1 AND r.month = ?4 AND r.superseded_by IS NULL"
    " ORDER BY r.id DESC LIMIT 1";
static const char *SQL_PURCHASE =
    "SELECT day, item, CASE WHEN quantity = CAST(quantity AS INTEGER) THEN CAST(quantity AS INTEGER)"
    " ELSE quantity END, unit, amount_fen, supplier, receipt_no FROM purchase"
    " WHERE site_id = ?1 AND kind = 'food' AND day >= ?2 AND day < ?3 ORDER BY day, id";
static const char *SQL_SPENDING =
    "SELECT kind, sum(amount_fen), count(*) FROM purchase WHERE site_id = ?1 AND day >= ?2 AND day < ?3"
    " GROUP BY kind ORDER BY CASE kind WHEN 'food' THEN 1 WHEN 'fuel' THEN 2 WHEN 'utilities' THEN 3"
    " WHEN 'wages' THEN 4 WHEN 'supplies' THEN 5 ELSE 6 END, kind";
static const char *SQL_STAFF =
    "SELECT role, name, phone FROM staff WHERE site_id = ?1 AND from_on < ?3 AND (to_on IS NULL OR to_on > ?2)"
    " ORDER BY role <> 'in_charge', from_on, id";
static const char *SQL_MENU =
    "SELECT date(week, '+' || (weekday - 1) || ' days') AS d, weekday,"
    " group_concat(CASE slot WHEN 'breakfast' THEN '早餐' WHEN 'lunch' THEN '午餐' WHEN 'dinner' THEN '晚餐'"
    " ELSE slot END || '：' || dishes, '；') FROM"
    " (SELECT * FROM menu WHERE site_id = ?1 AND week >= date(?2, '-6 days') AND week < ?3"
    "  ORDER BY week, weekday, CASE slot WHEN 'breakfast' THEN 1 WHEN 'lunch' THEN 2 ELSE 3 END)"
    " GROUP BY week, weekday HAVING d >= ?2 AND d < ?3 ORDER BY d";
static const char *SQL_LAUNDRY =
    "SELECT mask_name(e.name), count(*), group_concat(CAST(substr(l.day, 6, 2) AS INTEGER) || '月'"
    " || CAST(substr(l.day, 9, 2) AS INTEGER) || '日', '、'), group_concat(DISTINCT l.items)"
    " FROM (SELECT * FROM laundry WHERE site_id = ?1 AND day >= ?2 AND day < ?3 ORDER BY day, id) l"
    " LEFT JOIN elder e ON e.id = l.elder_id GROUP BY l.elder_id ORDER BY l.elder_id";

/* total lines of a section whose rows carry amounts */
static void nt_total(ZcNotice *nt, const char *section, const char *title, const char *what) {
  sqlite3_int64 sum = 0;
  int n = 0;
  for (int i = 0; i < nt->n; i++)
    if (!strcmp(nt->rows[i].section, section)) { zc_add_fen(&sum, nt->rows[i].amount); n++; }
  char det[48];
  snprintf(det, sizeof det, "%d %s", n, what);
  nt_amount(nt_add(nt, section, title, n + 1, "合计", det, NULL), sum);
}

static const char *const NOTICE_TABLES[] = {"staff", "menu", "purchase", "laundry", NULL};

static int sec_fixed(ZcConn *zc, ZcNotice *nt, const ZcSiteFacts *site, int first, char **pzErr) {
  const ZcPolicyVersion *v = NULL;
  int rc = zc_policy_for_site(zc, NULL, site, first, &v, pzErr);
  if (rc) return rc;
  static const char *SLOT_ZH[ZC_NSLOT] = {"早餐", "午餐", "晚餐"};
  int line = 0;
  for (int s = 0; s < ZC_NSLOT; s++) {
    if (!(site->slots & (1u << s))) continue;
    const ZcWindow *w = v ? &v->windows[s] : NULL;
    char det[48];
    if (w) snprintf(det, sizeof det, "%02d:%02d—%02d:%02d", w->from / 3600, w->from / 60 % 60, w->to / 3600,
                    w->to / 60 % 60);
    else snprintf(det, sizeof det, "（未定）");
    nt_add(nt, "meal_times", "用餐时间", ++line, SLOT_ZH[s], det, v ? "按政策规定的刷卡时段" : NULL);
  }
  static const char *PROC[] = {"老人、监护人与村（社区）签订三方助餐协议",
                               "就餐时刷卡或刷脸登记，每餐只登记一次",
                               "在用餐时间内就餐；行动不便的老人可申请送餐上门",
                               "对菜品、数量和补贴有疑问，可向负责人或乡镇民政办反映"};
  for (int i = 0; i < 4; i++) nt_add(nt, "procedure", "用餐程序", i + 1, PROC[i], NULL, NULL);
  return SQLITE_OK;
}

static int sec_run(ZcConn *zc, ZcNotice *nt, const char *first, const char *next, char **pzErr) {
  int rc;
  if (zc_table_exists(zc->db, "zhucan_run") && zc_table_exists(zc->db, "zhucan_run_cover"))
    if ((rc = each_row(zc, nt, SQL_RUN, first, next, row_run, pzErr))) return rc;
  if (!nt->settled)
    nt_add(nt, "run", "结算依据", 1, "结算状态", "本月尚未结算",
           "以下金额按现行政策试算，结算后以结算批次为准");
  return nt->oom ? SQLITE_NOMEM : SQLITE_OK;
}

static int sec_tables(ZcConn *zc, ZcNotice *nt, const char *first, const char *next, char **pzErr) {
  int rc;
  if ((rc = each_row(zc, nt, SQL_PURCHASE, first, next, row_purchase, pzErr))) return rc;
  nt_total(nt, "purchases", "上月食材采购清单", "笔");
  if ((rc = each_row(zc, nt, SQL_SPENDING, first, next, row_spending, pzErr))) return rc;
  nt_total(nt, "spending", "各项开支", "类");
  if ((rc = each_row(zc, nt, SQL_STAFF, first, next, row_staff, pzErr))) return rc;
  return SQLITE_OK;
}

static int sec_late(ZcConn *zc, ZcNotice *nt, const char *first, const char *next, char **pzErr) {
  int rc;
  if ((rc = each_row(zc, nt, SQL_MENU, first, next, row_menu, pzErr))) return rc;
  if ((rc = each_row(zc, nt, SQL_LAUNDRY, first, next, row_laundry, pzErr))) return rc;
  static const char *LP[] = {"助洁程序：老人或家属向负责人登记，养老护理员收取床单、被罩、衣物，清洗晾干后当面交还并登记",
                             "助洁内容：为有需求的70周岁以上老人清洗床单、被罩、衣物",
                             "助洁时间：每周开放，日期见上表；急需时可随时登记"};
  for (int i = 0; i < 3; i++) nt_add(nt, "laundry_rules", "助洁程序和时间", i + 1, LP[i], NULL, NULL);
  return nt->oom ? SQLITE_NOMEM : SQLITE_OK;
}

static int sec_head(ZcConn *zc, ZcNotice *nt, const ZcSiteFacts *site, int first, char **pzErr) {
  (void)pzErr;
  const ZcRegion *t = site->township ? zc_region(zc, site->township) : NULL;
  const ZcRegion *vg = site->village ? zc_region(zc, site->village) : NULL;
  const ZcRegion *c = site->county ? zc_region(zc, site->county) : NULL;
  nt->site_name = sqlite3_mprintf("%s", site->name ? site->name : "");
  nt->place = sqlite3_mprintf("%s%s%s", c ? c->name : "", t ? t->name : "", vg ? vg->name : "");
  if (!nt->site_name || !nt->place) return SQLITE_NOMEM;
  int y, m, d;
  zc_civil_from_days(first, &y, &m, &d);
  char mon[48], rule[96];
  snprintf(mon, sizeof mon, "%d年%d月", y, m);
  snprintf(rule, sizeof rule, "应于%d年%d月10日前张贴，公示不少于5天", m == 12 ? y + 1 : y, m % 12 + 1);
  nt_add(nt, "head", "公示", 1, "助餐点", nt->site_name, NULL);
  nt_add(nt, "head", "公示", 2, "所在地", nt->place, NULL);
  nt_add(nt, "head", "公示", 3, "公示月份", mon, rule);
  return nt->oom ? SQLITE_NOMEM : SQLITE_OK;
}

static int notice_args(ZcConn *zc, const char *fn, sqlite3_value *vs, sqlite3_value *vm, ZcNotice *nt,
                       const ZcSiteFacts **site, int *first, int *next, char **pzErr) {
  if (!vs || sqlite3_value_type(vs) == SQLITE_NULL || !vm || sqlite3_value_type(vm) == SQLITE_NULL) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: %s is NULL: needs %s(site_id, month), a site id and a month 'YYYY-MM'",
                                   "%s：%s 为 NULL：%s(site_id, month) 需要助餐点编号和月份 'YYYY-MM'"),
                             fn, !vs || sqlite3_value_type(vs) == SQLITE_NULL ? "site_id" : "month", fn);
    return SQLITE_ERROR;
  }
  if (sqlite3_value_numeric_type(vs) != SQLITE_INTEGER) {
    char *r = zc_value_repr(vs);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: site_id %s is not an integer site id", "%s：site_id %s 不是整数助餐点编号"), fn,
                             r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  const char *m = (const char *)sqlite3_value_text(vm);
  if (!m || !zc_month_parse(m, sqlite3_value_bytes(vm), first, next)) {
    char *r = zc_value_repr(vm);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "%s: month %s is not a month 'YYYY-MM'", "%s：月份 %s 不是 'YYYY-MM' 格式"), fn,
                             r ? r : "?");
    sqlite3_free(r);
    return SQLITE_ERROR;
  }
  nt->site_id = sqlite3_value_int64(vs);
  memcpy(nt->month, m, 7);
  nt->ndays = *next - *first;
  char *e = NULL;
  int rc = zc_site_facts(zc, nt->site_id, site, &e);
  if (rc) {
    *pzErr = sqlite3_mprintf("%s: %s", fn, e ? e : "site not readable");
    sqlite3_free(e);
    return rc;
  }
  return SQLITE_OK;
}

int zc_notice_build(ZcConn *zc, const char *fn, sqlite3_value *vs, sqlite3_value *vm, ZcNotice *nt,
                    char **pzErr) {
  const ZcSiteFacts *site = NULL;
  int first, next, rc;
  char fd[11], nd[11];
  memset(nt, 0, sizeof *nt);
  if ((rc = zc_facts_sync(zc))) return rc;
  if ((rc = zc_notice_tables(zc, fn, NOTICE_TABLES, pzErr))) return rc;
  if ((rc = notice_args(zc, fn, vs, vm, nt, &site, &first, &next, pzErr))) return rc;
  zc_day_format(first, fd);
  zc_day_format(next, nd);
  const ZcNoticeMoney *mo = NULL;
  if ((rc = sec_head(zc, nt, site, first, pzErr))) goto done;
  if ((rc = sec_run(zc, nt, fd, nd, pzErr))) goto done;
  if ((rc = zc_notice_money(zc, fn, site, first, next, nt->run_id, nt->run_key, &mo, pzErr))) goto done;
  /* sections in notice order */
  if ((rc = sec_money(zc, nt, mo, pzErr))) goto done;
  for (int d = 0; d < nt->ndays && !nt->oom; d++) {
    char item[16];
    snprintf(item, sizeof item, "%d日", d + 1);
    nt_qty(nt_add(nt, "daily", "每日用餐人次", d + 1, item, NULL, NULL), nt->per_day[d]);
  }
  if ((rc = sec_tables(zc, nt, fd, nd, pzErr))) goto done;
  if ((rc = sec_fixed(zc, nt, site, first, pzErr))) goto done;
  rc = sec_late(zc, nt, fd, nd, pzErr);
done:
  if (!rc && nt->oom) rc = SQLITE_NOMEM;
  if (rc) zc_notice_free(nt);
  return rc;
}
