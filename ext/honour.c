/*
** honour.c — the honour roll (光荣榜) and donation certificates (捐赠证书)
** of Zhongyang's notice (中民发〔2024〕3号, docs/notices.md):
**
**   SELECT * FROM honour_roll('141129', '2024-03');
**   SELECT donation_certificate_html(3);
**
**   CREATE TABLE x(village, village_name, payer, relation, elder, elder_id,
**                  amount_fen, yuan, paid_on, payments,
**                  region HIDDEN, month HIDDEN);                -- honour_roll
**
** honour_roll: the children (son, daughter, son- and daughter-in-law,
** grandchild; not guardians or others: the notice honours 子女) who paid a
** positive co-payment (table copayment) for the month for an elder living
** at or under the region; one row per elder and payer (several payments
** summed), names masked by mask_name, ordered by village, elder, payer.
**
** donation_certificate_html: one printable A4 certificate page (print
** CSS, no external file, no script) for one row of table donation: the
** donor's name in full (it is their certificate), kind, day, amount in
** yuan with two decimals and in capital numerals, or the goods (with
** their value when known), and the recipient site (its place) or fund.
** The donation table keeps no phone or ID number, and the page prints
** none.
*/
#include "facts.h"
#include "modules.h"
#include "month.h"
#include "notice.h"
#include "tvf.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- honour_roll */

static const char *relation_zh(const char *r) {
  static const char *const W[][2] = {{"son", "儿子"},           {"daughter", "女儿"},   {"son_in_law", "女婿"},
                                     {"daughter_in_law", "儿媳"}, {"grandchild", "孙辈"}};
  for (size_t i = 0; r && i < sizeof W / sizeof W[0]; i++)
    if (!strcmp(r, W[i][0])) return W[i][1];
  return r;
}

static const char *SQL_HONOUR =
    "SELECT c.elder_id, e.region, mask_name(e.name), mask_name(c.payer_name), c.relation, sum(c.amount_fen),"
    " max(c.paid_on), count(*) FROM copayment c JOIN elder e ON e.id = c.elder_id"
    " WHERE c.month = ?1 AND c.amount_fen > 0"
    "   AND c.relation IN ('son', 'daughter', 'son_in_law', 'daughter_in_law', 'grandchild')"
    " GROUP BY c.elder_id, c.payer_name, c.relation ORDER BY c.elder_id, c.payer_name, c.relation";

static int honour_fill(ZcConn *zc, sqlite3_value **argv, ZcCells *out, char **pzErr) {
  const char *region;
  int first, next, rc;
  static const char *const TABLES[] = {"copayment", NULL};
  if ((rc = zc_facts_sync(zc)) || (rc = zc_regions_load(zc, pzErr))) return rc;
  if ((rc = zc_month_args(zc, "honour_roll", argv[0], argv[1], &region, &first, &next, pzErr))) return rc;
  if ((rc = zc_notice_tables(zc, "honour_roll", TABLES, pzErr))) return rc;
  char mon[11];
  zc_day_format(first, mon);
  mon[7] = 0;
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(zc->db, SQL_HONOUR, -1, &st, NULL)) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, mon, -1, SQLITE_STATIC);
    /* rows by elder; the village order is made after (a stable pass per
    ** village would need the villages first): collect, then sort cells */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char *er = (const char *)sqlite3_column_text(st, 1);
      if (!er || !zc_region_under(zc, er, region)) continue;
      const ZcRegion *r = zc_region(zc, er);
      const ZcRegion *vg = r && r->village ? zc_region(zc, r->village) : NULL;
      char y[32];
      zc_notice_yuan(sqlite3_column_int64(st, 5), y);
      zc_cells_text(out, vg ? vg->code : er);
      zc_cells_text(out, vg ? vg->name : r ? r->name : NULL);
      zc_cells_text(out, (const char *)sqlite3_column_text(st, 3));
      zc_cells_text(out, relation_zh((const char *)sqlite3_column_text(st, 4)));
      zc_cells_text(out, (const char *)sqlite3_column_text(st, 2));
      zc_cells_int(out, sqlite3_column_int64(st, 0));
      zc_cells_int(out, sqlite3_column_int64(st, 5));
      zc_cells_text(out, y);
      zc_cells_text(out, (const char *)sqlite3_column_text(st, 6));
      zc_cells_int(out, sqlite3_column_int64(st, 7));
      if (out->oom) { rc = SQLITE_NOMEM; break; }
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc && rc != SQLITE_NOMEM && !*pzErr) *pzErr = sqlite3_mprintf("honour_roll: %s", sqlite3_errmsg(zc->db));
  sqlite3_finalize(st);
  return rc;
}

#define HONOUR_NCOL 10

/* rows of HONOUR_NCOL cells in village order (stable: elder, payer kept) */
static int honour_sorted(ZcConn *zc, sqlite3_value **argv, ZcCells *out, char **pzErr) {
  ZcCells tmp;
  memset(&tmp, 0, sizeof tmp);
  int rc = honour_fill(zc, argv, &tmp, pzErr);
  if (rc == SQLITE_OK && tmp.oom) rc = SQLITE_NOMEM;
  int nrow = tmp.n / HONOUR_NCOL;
  /* insertion order by village: villages few, rows per village many; a
  ** pass per distinct village keeps it stable and simple */
  char *done = nrow ? sqlite3_malloc(nrow) : NULL;
  if (rc == SQLITE_OK && nrow && !done) rc = SQLITE_NOMEM;
  if (done) memset(done, 0, (size_t)nrow);
  while (rc == SQLITE_OK) {
    int pick = -1;
    for (int i = 0; i < nrow; i++)
      if (!done[i] && (pick < 0 || strcmp(tmp.c[i * HONOUR_NCOL].t, tmp.c[pick * HONOUR_NCOL].t) < 0)) pick = i;
    if (pick < 0) break;
    const char *vg = tmp.c[pick * HONOUR_NCOL].t;
    for (int i = pick; i < nrow; i++) {
      if (done[i] || strcmp(tmp.c[i * HONOUR_NCOL].t, vg)) continue;
      done[i] = 1;
      if (out->n + HONOUR_NCOL > out->cap) {
        int ncap = out->cap ? out->cap * 2 : 256;
        while (ncap < out->n + HONOUR_NCOL) ncap *= 2;
        ZcCell *nc = sqlite3_realloc64(out->c, (sqlite3_uint64)ncap * sizeof *nc);
        if (!nc) { rc = SQLITE_NOMEM; break; }
        out->c = nc;
        out->cap = ncap;
      }
      memcpy(&out->c[out->n], &tmp.c[i * HONOUR_NCOL], HONOUR_NCOL * sizeof *out->c);
      memset(&tmp.c[i * HONOUR_NCOL], 0, HONOUR_NCOL * sizeof *out->c);
      out->n += HONOUR_NCOL;
    }
  }
  sqlite3_free(done);
  for (int i = 0; i < tmp.n; i++) sqlite3_free(tmp.c[i].t);
  sqlite3_free(tmp.c);
  return rc;
}

static const ZcTvf HONOUR = {
    "honour_roll",
    "CREATE TABLE x(village TEXT, village_name TEXT, payer TEXT, relation TEXT, elder TEXT, elder_id INTEGER,"
    " amount_fen INTEGER, yuan TEXT, paid_on TEXT, payments INTEGER, region HIDDEN, month HIDDEN)",
    HONOUR_NCOL, 2,
    "honour_roll(region, month): a region code such as '141129' and a month 'YYYY-MM'",
    "honour_roll(region, month)：区域代码（如 '141129'）和月份 'YYYY-MM'",
    honour_sorted};

/* -------------------------------------------- donation_certificate_html */

/* fen in capital numerals (大写): 壹万壹仟玖佰元整, 叁佰元零伍分 */
static void yuan_upper(ZcBuf *b, sqlite3_int64 fen) {
  static const char *const D[] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
  static const char *const U[] = {"", "拾", "佰", "仟"};
  static const char *const G[] = {"", "万", "亿", "万亿", "亿亿"};
  sqlite3_int64 y = fen / 100;
  int jiao = (int)(fen / 10 % 10), f = (int)(fen % 10);
  int groups[5], ng = 0;
  for (sqlite3_int64 x = y; x > 0 && ng < 5; x /= 10000) groups[ng++] = (int)(x % 10000);
  int any = 0, zero = 0;
  for (int g = ng - 1; g >= 0; g--) {
    int v = groups[g];
    if (v == 0) { zero = any; continue; }
    if (any && (zero || v < 1000)) zc_buf_str(b, "零");
    zero = 0;
    int gany = 0, gzero = 0;
    for (int k = 3; k >= 0; k--) {
      int d = v / (k == 3 ? 1000 : k == 2 ? 100 : k == 1 ? 10 : 1) % 10;
      if (d == 0) { gzero = gany; continue; }
      if (gzero) zc_buf_str(b, "零");
      gzero = 0;
      zc_buf_str(b, D[d]);
      zc_buf_str(b, U[k]);
      gany = 1;
    }
    zc_buf_str(b, G[g]);
    any = 1;
  }
  if (any) zc_buf_str(b, "元");
  if (!jiao && !f) { zc_buf_str(b, any ? "整" : "零元整"); return; }
  if (jiao) { zc_buf_str(b, D[jiao]); zc_buf_str(b, "角"); }
  else if (any) zc_buf_str(b, "零");
  if (f) { zc_buf_str(b, D[f]); zc_buf_str(b, "分"); }
  else zc_buf_str(b, "整");
}

static void esc(ZcBuf *b, const char *s) {
  for (const char *p = s ? s : ""; *p; p++) switch (*p) {
      case '&': zc_buf_str(b, "&amp;"); break;
      case '<': zc_buf_str(b, "&lt;"); break;
      case '>': zc_buf_str(b, "&gt;"); break;
      case '"': zc_buf_str(b, "&quot;"); break;
      default: zc_buf_add(b, p, 1); break;
    }
}

/* 11,900.00 */
static void yuan_grouped(sqlite3_int64 fen, char out[40]) {
  char y[32], t[40];
  zc_notice_yuan(fen, y);
  char *dot = strchr(y, '.');
  int nint = (int)(dot - y), k = 0;
  for (int i = 0; i < nint; i++) {
    if (i > 0 && (nint - i) % 3 == 0 && y[i - 1] != '-') t[k++] = ',';
    t[k++] = y[i];
  }
  snprintf(out, 40, "%.*s%s", k, t, dot);
}

static const char CERT_CSS[] =
    "@page{size:A4;margin:0}*{box-sizing:border-box}"
    "body{margin:0;font-family:'Noto Serif CJK SC','Noto Sans CJK SC','Source Han Serif SC',serif;color:#000}"
    ".page{width:210mm;height:296mm;padding:22mm 20mm;position:relative}"
    ".frame{border:3pt double #a0001a;height:100%;padding:16mm 14mm;position:relative}"
    "h1{text-align:center;font-size:30pt;letter-spacing:12pt;color:#a0001a;margin:4mm 0 2mm}"
    ".no{text-align:right;font-size:10pt;margin-bottom:10mm}"
    ".body{font-size:14pt;line-height:2.1;text-indent:2em}"
    ".to{font-size:15pt;font-weight:bold;margin-bottom:3mm}"
    "table{width:100%;border-collapse:collapse;margin:8mm 0;font-size:11.5pt}"
    "th,td{border:0.8pt solid #555;padding:2mm 3mm;text-align:left;vertical-align:top}"
    "th{width:28%;background:#f6eeee;font-weight:bold}"
    ".sign{position:absolute;right:16mm;bottom:26mm;text-align:center;font-size:13pt;line-height:2.2}"
    ".note{position:absolute;left:14mm;bottom:10mm;font-size:8.5pt;color:#444}";

static const char *SQL_DONATION =
    "SELECT d.donor, d.kind, d.day, d.amount_fen, d.goods, d.site_id, d.fund, s.name, s.region, typeof(d.amount_fen)"
    " FROM donation d LEFT JOIN site s ON s.id = d.site_id WHERE d.id = ?1";

#define DC(i) ((const char *)sqlite3_column_text(st, (i)))

static const char *donor_kind_zh(const char *k) {
  return !k ? "" : !strcmp(k, "enterprise") ? "企业" : !strcmp(k, "society") ? "社会组织" : !strcmp(k, "individual") ? "个人" : k;
}

static char *cert_error(ZcConn *zc, sqlite3_int64 id, const char *en, const char *zh) {
  return sqlite3_mprintf(zc_tr(zc, "donation_certificate_html: donation %lld %s", "donation_certificate_html：捐赠 %lld %s"),
                         id, zc_tr(zc, en, zh));
}

/* the recipient: a site with its place, or a fund; the issuer: the
** county's civil-affairs bureau (民政局) */
static void cert_parties(ZcConn *zc, sqlite3_stmt *st, ZcBuf *to, ZcBuf *issuer) {
  const ZcRegion *r = DC(8) ? zc_region(zc, DC(8)) : NULL;
  const ZcRegion *c = r && r->county ? zc_region(zc, r->county) : NULL;
  if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
    const ZcRegion *t = r && r->township ? zc_region(zc, r->township) : NULL;
    const ZcRegion *v = r && r->village ? zc_region(zc, r->village) : NULL;
    const char *sn = DC(7) ? DC(7) : "助餐点";
    esc(to, c ? c->name : "");
    esc(to, t ? t->name : "");
    if (v && strncmp(sn, v->name, strlen(v->name))) esc(to, v->name);
    esc(to, sn);
  } else {
    esc(to, DC(6) ? DC(6) : "助老基金");
  }
  esc(issuer, c ? c->name : "");
  zc_buf_str(issuer, "民政局");
}

static void cert_page(ZcConn *zc, sqlite3_stmt *st, sqlite3_int64 id, ZcBuf *b) {
  ZcBuf to = {0}, issuer = {0}, what = {0};
  cert_parties(zc, st, &to, &issuer);
  int has_amount = sqlite3_column_type(st, 3) != SQLITE_NULL;
  sqlite3_int64 fen = sqlite3_column_int64(st, 3);
  const char *day = DC(2);
  char yg[40], dz[48];
  yuan_grouped(fen, yg);
  snprintf(dz, sizeof dz, "%d年%d月%d日", atoi(day), atoi(day + 5), atoi(day + 8));
  if (DC(4)) {
    zc_buf_str(&what, "物资：");
    esc(&what, DC(4));
    if (has_amount) { zc_buf_str(&what, "（折合人民币 "); zc_buf_str(&what, yg); zc_buf_str(&what, " 元）"); }
  } else {
    zc_buf_str(&what, "人民币 ");
    zc_buf_str(&what, yg);
    zc_buf_str(&what, " 元（大写：");
    yuan_upper(&what, fen);
    zc_buf_str(&what, "）");
  }
  zc_buf_str(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>捐赠证书</title><style>");
  zc_buf_str(b, CERT_CSS);
  zc_buf_str(b, "</style></head><body><div class=page><div class=frame>\n<h1>捐赠证书</h1>\n");
  char no[64];
  snprintf(no, sizeof no, "<div class=no>证书编号：%.4s-%06lld</div>\n", day, id);
  zc_buf_str(b, no);
  zc_buf_str(b, "<div class=to>");
  esc(b, DC(0));
  zc_buf_str(b, "：</div>\n<div class=body>感谢您于");
  zc_buf_str(b, dz);
  zc_buf_str(b, "向");
  zc_buf_add(b, to.z ? to.z : "", to.n);
  zc_buf_str(b, "捐赠");
  zc_buf_add(b, what.z ? what.z : "", what.n);
  zc_buf_str(b, "，用于农村老年助餐服务。您的善举体现了尊老敬老、孝老爱亲的良好风尚，特发此证，以表谢忱。</div>\n<table>");
  const char *rows[][2] = {{"捐赠人", NULL}, {"捐赠人类别", donor_kind_zh(DC(1))}, {"捐赠日期", dz}};
  for (int i = 0; i < 3; i++) {
    zc_buf_str(b, "<tr><th>");
    zc_buf_str(b, rows[i][0]);
    zc_buf_str(b, "</th><td>");
    esc(b, i == 0 ? DC(0) : rows[i][1]);
    zc_buf_str(b, "</td></tr>");
  }
  zc_buf_str(b, "<tr><th>捐赠内容</th><td>");
  zc_buf_add(b, what.z ? what.z : "", what.n);
  zc_buf_str(b, "</td></tr><tr><th>金额（元）</th><td>");
  zc_buf_str(b, has_amount ? yg : "—");
  zc_buf_str(b, "</td></tr><tr><th>受赠单位</th><td>");
  zc_buf_add(b, to.z ? to.z : "", to.n);
  zc_buf_str(b, "</td></tr></table>\n<div class=sign>");
  zc_buf_add(b, issuer.z ? issuer.z : "", issuer.n);
  zc_buf_str(b, "（盖章）<br>发证日期：　　　年　　月　　日</div>\n"
                "<div class=note>依据中民发〔2024〕3号，由县民政局统一发放捐赠证书。</div>\n</div></div></body></html>\n");
  if (to.oom || issuer.oom || what.oom) b->oom = 1;
  zc_buf_free(&to);
  zc_buf_free(&issuer);
  zc_buf_free(&what);
}

static void certificate_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  char *err = NULL;
  static const char *const TABLES[] = {"donation", NULL};
  int rc = zc_facts_sync(zc);
  if (rc) { sqlite3_result_error_code(ctx, rc); return; }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_error(ctx, zc_tr(zc, "donation_certificate_html: donation_id is NULL; expected a donation id",
                                    "donation_certificate_html：donation_id 为 NULL，应为捐赠编号"), -1);
    return;
  }
  if (sqlite3_value_numeric_type(argv[0]) != SQLITE_INTEGER) {
    char *r = zc_value_repr(argv[0]);
    err = sqlite3_mprintf(zc_tr(zc, "donation_certificate_html: donation_id %s is not an integer donation id",
                                "donation_certificate_html：donation_id %s 不是整数捐赠编号"), r ? r : "?");
    sqlite3_free(r);
    goto fail;
  }
  if ((rc = zc_notice_tables(zc, "donation_certificate_html", TABLES, &err))) goto fail;
  /* the region cache loaded here: zc_region() alone answers NULL when
  ** memory runs out, which would print a certificate without its place */
  if ((rc = zc_regions_load(zc, &err))) goto fail;
  sqlite3_int64 id = sqlite3_value_int64(argv[0]);
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(zc->db, SQL_DONATION, -1, &st, NULL)) != SQLITE_OK) {
    err = sqlite3_mprintf("donation_certificate_html: %s", sqlite3_errmsg(zc->db));
    goto fail;
  }
  sqlite3_bind_int64(st, 1, id);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    err = rc == SQLITE_DONE ? cert_error(zc, id, "does not exist in table donation", "在 donation 表中不存在")
                            : sqlite3_mprintf("donation_certificate_html: %s", sqlite3_errmsg(zc->db));
  } else if (sqlite3_column_type(st, 3) == SQLITE_NULL && !DC(4)) {
    err = cert_error(zc, id, "has neither amount_fen nor goods", "既没有金额（amount_fen）也没有物资（goods）");
  } else if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
             (strcmp(DC(9), "integer") || sqlite3_column_int64(st, 3) < 0)) {
    err = cert_error(zc, id, "has an amount_fen that is not a whole number of fen >= 0",
                     "的金额（amount_fen）不是不小于 0 的整数分");
  } else if (!DC(2) || zc_day_parse(DC(2), -1) == ZC_NONE) {
    err = cert_error(zc, id, "has a day that is not a date 'YYYY-MM-DD'", "的日期不是 'YYYY-MM-DD'");
  } else {
    ZcBuf b = {0};
    cert_page(zc, st, id, &b);
    sqlite3_finalize(st);
    if (b.oom || !b.z) { zc_buf_free(&b); sqlite3_result_error_nomem(ctx); return; }
    sqlite3_result_text(ctx, b.z, (int)b.n, sqlite3_free);
    return;
  }
  sqlite3_finalize(st);
fail:
  if (err) sqlite3_result_error(ctx, err, -1);
  else sqlite3_result_error_code(ctx, rc ? rc : SQLITE_NOMEM);
  sqlite3_free(err);
}

int zc_honour_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  static const ZcFunc aFunc[] = {
      {"donation_certificate_html", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS, certificate_func}};
  int rc = zc_register_funcs(db, aFunc, 1, zc);
  if (rc == SQLITE_OK) rc = zc_tvf_register(db, zc, &HONOUR);
  return rc;
}
