/*
** export.c — `zhucan export`: a run's monthly statement as an .xlsx
** workbook (libxlsxwriter) or as CSV with a UTF-8 byte-order mark.
**
** The rows are those of sql/statement.sql (built into the tool), run with
** @run bound: no money is computed here.  The workbook:
**   汇总 (summary)  one row per site or township: meals, subsidised meals,
**                   public money and co-payments as formulas pointing at
**                   the group's sheet; 合计 rows as SUM formulas; the run's
**                   totals by item and payer as SUMIFS over 明细.
**   明细 (lines)    every line of the statement: site, township, item,
**                   payer, quantity, amount in yuan.
**   one sheet per site (--by site, the default) or township: the group's
**                   lines, each site's subtotals (public, co-payments) as
**                   SUM formulas of its line cells, a township's totals as
**                   SUM of its sites' subtotals.
** Amounts are numbers (fen / 100) with the format 0.00; every formula is
** stored with its value, computed from the statement's own total rows, so
** a reader that does not recalculate shows the same money.
*/
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

typedef struct Line {
  long long site;             /* -1: the run's grand total rows */
  char *name, *kind, *item, *payer;
  long long meals, subsidised, quantity, fen;
  int has_qty;
} Line;

typedef struct Site {
  long long id;
  char *name, *town_code, *town_name;
  long long meals, subsidised, public_fen, copay_fen;
  int group;
  int pub_row, cop_row;         /* the subtotal cells on the group sheet */
} Site;

typedef struct Group {
  char *key, *title, *sheet;
  long long meals, subsidised, public_fen, copay_fen;
  int nsite;
  int pub_row, cop_row;
} Group;

static char *dup(const unsigned char *s) { return strdup(s ? (const char *)s : ""); }

static const char *payer_zh(const char *p) {
  static const char *map[][2] = {{"county", "县级财政"}, {"city", "市级财政"}, {"province", "省级财政"},
                                 {"township", "乡镇"},    {"village", "村集体"},  {"charity", "慈善"},
                                 {"enterprise", "企业"},  {"elder", "老人自付"}, {"public", "公共资金"}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i][0], p) == 0) return map[i][1];
  return p;
}

/* A sheet name Excel accepts: no []:*?/\', at most 31 characters, unique. */
static char *sheet_name(const char *want, char **taken, int ntaken) {
  char base[128];
  size_t o = 0, chars = 0;
  for (const unsigned char *p = (const unsigned char *)want; *p && chars < 28 && o + 5 < sizeof base;) {
    int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
    if (n == 1 && strchr("[]:*?/\\'", *p)) base[o++] = '_', p++;
    else for (int k = 0; k < n && *p; k++) base[o++] = (char)*p++;
    chars++;
  }
  base[o] = 0;
  char *name = strdup(base);
  for (int k = 2; name; k++) {
    int clash = 0;
    for (int i = 0; i < ntaken; i++) clash |= strcmp(taken[i], name) == 0;
    if (!clash) return name;
    free(name);
    char t[140];
    snprintf(t, sizeof t, "%s~%d", base, k);
    name = strdup(t);
  }
  return name;
}

/* 'sheet'!G5 into buf */
static void ref(char *buf, size_t n, const char *sheet, int row, int col) {
  char cell[16];
  lxw_rowcol_to_cell(cell, (lxw_row_t)row, (lxw_col_t)col);
  size_t o = 0;
  if (sheet) {
    buf[o++] = '\'';
    for (const char *s = sheet; *s && o + 4 < n; s++) buf[o++] = *s;
    buf[o++] = '\'', buf[o++] = '!';
  }
  snprintf(buf + o, n - o, "%s", cell);
}

/* "=SUM(G5,G7)" of the listed rows of one column; "=0" for none. */
static char *sum_of(const int *rows, int n, int col) {
  size_t cap = 16 + (size_t)n * 12;
  char *f = malloc(cap);
  if (!f) return NULL;
  if (n == 0) { strcpy(f, "=0"); return f; }
  size_t o = (size_t)snprintf(f, cap, "=SUM(");
  for (int i = 0; i < n; i++) {
    char cell[16];
    lxw_rowcol_to_cell(cell, (lxw_row_t)rows[i], (lxw_col_t)col);
    o += (size_t)snprintf(f + o, cap - o, "%s%s", i ? "," : "", cell);
  }
  snprintf(f + o, cap - o, ")");
  return f;
}

static int csv_export(Cli *c, sqlite3_stmt *st, const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "zhucan export: %s %s\n", T(c, "cannot write", "无法写入"), path);
    return ZC_EXIT_FILE;
  }
  fputs("\xEF\xBB\xBF", f);
  int nc = sqlite3_column_count(st), rc;
  for (int i = 0; i < nc; i++) {
    const char *col = sqlite3_column_name(st, i);
    const char *h = !c->zh ? col : strcmp(col, "amount_fen") == 0 ? "金额(分)"
                                 : strcmp(col, "amount_yuan") == 0 ? "金额(元)" : out_header(c, col);
    if (i) fputc(',', f);
    out_csv_field(f, h);
  }
  fputs("\r\n", f);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int i = 0; i < nc; i++) {
      if (i) fputc(',', f);
      out_csv_field(f, (const char *)sqlite3_column_text(st, i));
    }
    fputs("\r\n", f);
  }
  if (fclose(f) != 0) {
    fprintf(stderr, "zhucan export: %s %s\n", T(c, "cannot write", "无法写入"), path);
    return ZC_EXIT_FILE;
  }
  if (rc != SQLITE_DONE) {
    fprintf(stderr, "zhucan export: %s\n", sqlite3_errmsg(c->db));
    return ZC_EXIT_REFUSED;
  }
  if (c->json) printf("{\"file\":"), out_json_string(stdout, path), printf(",\"format\":\"csv\"}\n");
  else printf("%s %s\n", T(c, "wrote", "已写出"), path);
  return ZC_EXIT_OK;
}

int export_run(Cli *c, long long run, const char *path, int by_township, int csv) {
  int rc = ZC_EXIT_REFUSED;
  sqlite3_stmt *st = NULL;
  Line *lines = NULL;
  Site *sites = NULL;
  Group *groups = NULL;
  int nline = 0, nsite = 0, ngroup = 0;
  char region[64] = "", month[16] = "", status[64] = "";
  if (sqlite3_prepare_v2(c->db, "SELECT region, month, superseded_by FROM zhucan_run WHERE id = ?1", -1, &st, NULL)) {
    fprintf(stderr, "zhucan export: %s\n", sqlite3_errmsg(c->db));
    return ZC_EXIT_REFUSED;
  }
  sqlite3_bind_int64(st, 1, run);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    fprintf(stderr, "zhucan export: %s %lld %s\n", T(c, "run", "批次"), run,
            T(c, "does not exist: SELECT id, region, month FROM zhucan_run lists the runs",
              "不存在: SELECT id, region, month FROM zhucan_run 可列出全部批次"));
    return ZC_EXIT_REFUSED;
  }
  snprintf(region, sizeof region, "%s", sqlite3_column_text(st, 0));
  snprintf(month, sizeof month, "%s", sqlite3_column_text(st, 1));
  if (sqlite3_column_type(st, 2) != SQLITE_NULL)
    snprintf(status, sizeof status, T(c, " (superseded by run %lld)", "（已被批次 %lld 替代）"),
             (long long)sqlite3_column_int64(st, 2));
  sqlite3_finalize(st);

  if (sqlite3_prepare_v2(c->db, cli_sql_statement, -1, &st, NULL)) {
    fprintf(stderr, "zhucan export: sql/statement.sql: %s\n", sqlite3_errmsg(c->db));
    return ZC_EXIT_REFUSED;
  }
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, "@run"), run);
  if (csv) {
    rc = csv_export(c, st, path);
    sqlite3_finalize(st);
    return rc;
  }
  /* columns of sql/statement.sql */
  enum { S_SITE_ID = 4, S_SITE, S_MEALS, S_SUBS, S_KIND, S_ITEM, S_PAYER, S_QTY, S_FEN };
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    Line *nl = realloc(lines, (size_t)(nline + 1) * sizeof *nl);
    if (!nl) { src = SQLITE_NOMEM; break; }
    lines = nl;
    Line *l = &lines[nline++];
    l->site = sqlite3_column_type(st, S_SITE_ID) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, S_SITE_ID);
    l->name = dup(sqlite3_column_text(st, S_SITE));
    l->kind = dup(sqlite3_column_text(st, S_KIND));
    l->item = dup(sqlite3_column_text(st, S_ITEM));
    l->payer = dup(sqlite3_column_text(st, S_PAYER));
    l->meals = sqlite3_column_int64(st, S_MEALS);
    l->subsidised = sqlite3_column_int64(st, S_SUBS);
    l->has_qty = sqlite3_column_type(st, S_QTY) != SQLITE_NULL;
    l->quantity = sqlite3_column_int64(st, S_QTY);
    l->fen = sqlite3_column_int64(st, S_FEN);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (src != SQLITE_DONE) {
    fprintf(stderr, "zhucan export: %s\n", sqlite3_errmsg(c->db));
    goto out;
  }
  /* sites in statement order, with their totals from the statement */
  for (int i = 0; i < nline; i++) {
    Line *l = &lines[i];
    if (l->site < 0) continue;
    if (nsite == 0 || sites[nsite - 1].id != l->site) {
      Site *ns = realloc(sites, (size_t)(nsite + 1) * sizeof *ns);
      if (!ns) goto out;
      sites = ns;
      memset(&sites[nsite], 0, sizeof *sites);
      sites[nsite].id = l->site;
      sites[nsite].name = strdup(l->name);
      sites[nsite].meals = l->meals;
      sites[nsite].subsidised = l->subsidised;
      nsite++;
    }
    Site *s = &sites[nsite - 1];
    if (strcmp(l->kind, "total") == 0 && strcmp(l->payer, "public") == 0) s->public_fen = l->fen;
    if (strcmp(l->kind, "total") == 0 && strcmp(l->payer, "elder") == 0) s->copay_fen = l->fen;
  }
  /* each site's township (the region table above the site's region) */
  if (sqlite3_prepare_v2(c->db,
        "WITH RECURSIVE up(code, depth) AS (SELECT ?1, 0 UNION ALL "
        "  SELECT r.parent, depth + 1 FROM up JOIN region r ON r.code = up.code WHERE r.parent IS NOT NULL AND depth < 16) "
        "SELECT r.code, r.name FROM up JOIN region r ON r.code = up.code WHERE r.level = 'township' LIMIT 1",
        -1, &st, NULL) == SQLITE_OK) {
    sqlite3_stmt *sr = NULL;
    sqlite3_prepare_v2(c->db, "SELECT region FROM zhucan_run_site WHERE run_id = ?1 AND site_id = ?2", -1, &sr, NULL);
    for (int i = 0; i < nsite && sr; i++) {
      sqlite3_bind_int64(sr, 1, run);
      sqlite3_bind_int64(sr, 2, sites[i].id);
      if (sqlite3_step(sr) == SQLITE_ROW) {
        sqlite3_bind_text(st, 1, (const char *)sqlite3_column_text(sr, 0), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
          sites[i].town_code = dup(sqlite3_column_text(st, 0));
          sites[i].town_name = dup(sqlite3_column_text(st, 1));
        }
        sqlite3_reset(st);
      }
      sqlite3_reset(sr);
    }
    sqlite3_finalize(sr);
    sqlite3_finalize(st);
    st = NULL;
  }
  for (int i = 0; i < nsite; i++) {
    if (!sites[i].town_code) sites[i].town_code = strdup("");
    if (!sites[i].town_name) sites[i].town_name = strdup(T(c, "(no township)", "（无乡镇）"));
  }
  /* groups: each site, or each township in order of its code */
  for (int i = 0; i < nsite; i++) {
    char key[64];
    if (by_township) snprintf(key, sizeof key, "%s", sites[i].town_code);
    else snprintf(key, sizeof key, "%lld", sites[i].id);
    int g = 0;
    while (g < ngroup && strcmp(groups[g].key, key) != 0) g++;
    if (g == ngroup) {
      Group *ng = realloc(groups, (size_t)(ngroup + 1) * sizeof *ng);
      if (!ng) goto out;
      groups = ng;
      memset(&groups[g], 0, sizeof *groups);
      groups[g].key = strdup(key);
      char title[300];
      if (by_township) snprintf(title, sizeof title, "%s", sites[i].town_name);
      else snprintf(title, sizeof title, "%lld %s", sites[i].id, sites[i].name);
      groups[g].title = strdup(title);
      ngroup++;
    }
    sites[i].group = g;
    groups[g].nsite++;
    groups[g].meals += sites[i].meals;
    groups[g].subsidised += sites[i].subsidised;
    groups[g].public_fen += sites[i].public_fen;
    groups[g].copay_fen += sites[i].copay_fen;
  }

  lxw_workbook_options wopt = {.constant_memory = LXW_FALSE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
  lxw_workbook *wb = workbook_new_opt(path, &wopt);
  if (!wb) {
    fprintf(stderr, "zhucan export: %s %s\n", T(c, "cannot write", "无法写入"), path);
    rc = ZC_EXIT_FILE;
    goto out;
  }
  lxw_format *bold = workbook_add_format(wb), *money = workbook_add_format(wb), *mbold = workbook_add_format(wb);
  format_set_bold(bold);
  format_set_num_format(money, "0.00");
  format_set_num_format(mbold, "0.00");
  format_set_bold(mbold);
  lxw_worksheet *sum = workbook_add_worksheet(wb, "汇总");
  lxw_worksheet *det = workbook_add_worksheet(wb, "明细");
  char **taken = calloc((size_t)ngroup + 2, sizeof *taken);
  if (!taken) { workbook_close(wb); goto out; }
  taken[0] = strdup("汇总");
  taken[1] = strdup("明细");
  char title[400];
  snprintf(title, sizeof title, "助餐结算单 · 批次 %lld · 区划 %s · 月份 %s%s", run, region, month, status);

  /* 明细: every line */
  static const char *dh[] = {"站点编号", "站点", "乡镇", "项目", "付款方", "付款方（中文）", "数量", "金额（元）"};
  worksheet_write_string(det, 0, 0, title, bold);
  for (int k = 0; k < 8; k++) worksheet_write_string(det, 2, (lxw_col_t)k, dh[k], bold);
  int drow = 3;
  for (int i = 0, si = 0; i < nline; i++) {
    Line *l = &lines[i];
    if (l->site < 0 || strcmp(l->kind, "line") != 0) continue;
    while (sites[si].id != l->site) si++;
    worksheet_write_number(det, (lxw_row_t)drow, 0, (double)l->site, NULL);
    worksheet_write_string(det, (lxw_row_t)drow, 1, l->name, NULL);
    worksheet_write_string(det, (lxw_row_t)drow, 2, sites[si].town_name, NULL);
    worksheet_write_string(det, (lxw_row_t)drow, 3, l->item, NULL);
    worksheet_write_string(det, (lxw_row_t)drow, 4, l->payer, NULL);
    worksheet_write_string(det, (lxw_row_t)drow, 5, payer_zh(l->payer), NULL);
    if (l->has_qty) worksheet_write_number(det, (lxw_row_t)drow, 6, (double)l->quantity, NULL);
    worksheet_write_number(det, (lxw_row_t)drow, 7, (double)l->fen / 100.0, money);
    drow++;
  }
  worksheet_set_column(det, 1, 2, 28, NULL);
  worksheet_set_column(det, 5, 5, 14, NULL);

  /* one sheet per group */
  static const char *gh[] = {"站点编号", "站点", "项目", "付款方", "付款方（中文）", "数量", "金额（元）"};
  for (int g = 0; g < ngroup; g++) {
    Group *gr = &groups[g];
    gr->sheet = sheet_name(gr->title, taken, g + 2);
    taken[g + 2] = strdup(gr->sheet);
    lxw_worksheet *ws = workbook_add_worksheet(wb, gr->sheet);
    worksheet_write_string(ws, 0, 0, title, bold);
    worksheet_write_string(ws, 1, 0, gr->title, bold);
    for (int k = 0; k < 7; k++) worksheet_write_string(ws, 2, (lxw_col_t)k, gh[k], bold);
    int row = 3;
    int *sub_pub = calloc((size_t)gr->nsite + 1, sizeof *sub_pub), *sub_cop = calloc((size_t)gr->nsite + 1, sizeof *sub_cop);
    int nsub = 0;
    for (int s = 0; s < nsite; s++) {
      if (sites[s].group != g) continue;
      int *pub = calloc((size_t)nline + 1, sizeof *pub), *cop = calloc((size_t)nline + 1, sizeof *cop), np = 0, nc = 0;
      for (int i = 0; i < nline; i++) {
        Line *l = &lines[i];
        if (l->site != sites[s].id || strcmp(l->kind, "line") != 0) continue;
        worksheet_write_number(ws, (lxw_row_t)row, 0, (double)l->site, NULL);
        worksheet_write_string(ws, (lxw_row_t)row, 1, l->name, NULL);
        worksheet_write_string(ws, (lxw_row_t)row, 2, l->item, NULL);
        worksheet_write_string(ws, (lxw_row_t)row, 3, l->payer, NULL);
        worksheet_write_string(ws, (lxw_row_t)row, 4, payer_zh(l->payer), NULL);
        if (l->has_qty) worksheet_write_number(ws, (lxw_row_t)row, 5, (double)l->quantity, NULL);
        worksheet_write_number(ws, (lxw_row_t)row, 6, (double)l->fen / 100.0, money);
        if (strcmp(l->payer, "elder") == 0) cop[nc++] = row;
        else pub[np++] = row;
        row++;
      }
      char *f1 = sum_of(pub, np, 6), *f2 = sum_of(cop, nc, 6);
      worksheet_write_number(ws, (lxw_row_t)row, 0, (double)sites[s].id, bold);
      worksheet_write_string(ws, (lxw_row_t)row, 1, sites[s].name, bold);
      worksheet_write_string(ws, (lxw_row_t)row, 2, "小计", bold);
      worksheet_write_string(ws, (lxw_row_t)row, 4, "公共资金", bold);
      if (f1) worksheet_write_formula_num(ws, (lxw_row_t)row, 6, f1, mbold, (double)sites[s].public_fen / 100.0);
      sites[s].pub_row = row++;
      worksheet_write_number(ws, (lxw_row_t)row, 0, (double)sites[s].id, bold);
      worksheet_write_string(ws, (lxw_row_t)row, 1, sites[s].name, bold);
      worksheet_write_string(ws, (lxw_row_t)row, 2, "小计", bold);
      worksheet_write_string(ws, (lxw_row_t)row, 4, "老人自付", bold);
      if (f2) worksheet_write_formula_num(ws, (lxw_row_t)row, 6, f2, mbold, (double)sites[s].copay_fen / 100.0);
      sites[s].cop_row = row++;
      row++;
      free(f1);
      free(f2);
      free(pub);
      free(cop);
      sub_pub[nsub] = sites[s].pub_row;
      sub_cop[nsub++] = sites[s].cop_row;
    }
    if (by_township) {
      char *f1 = sum_of(sub_pub, nsub, 6), *f2 = sum_of(sub_cop, nsub, 6);
      worksheet_write_string(ws, (lxw_row_t)row, 2, "乡镇合计", bold);
      worksheet_write_string(ws, (lxw_row_t)row, 4, "公共资金", bold);
      if (f1) worksheet_write_formula_num(ws, (lxw_row_t)row, 6, f1, mbold, (double)gr->public_fen / 100.0);
      gr->pub_row = row++;
      worksheet_write_string(ws, (lxw_row_t)row, 2, "乡镇合计", bold);
      worksheet_write_string(ws, (lxw_row_t)row, 4, "老人自付", bold);
      if (f2) worksheet_write_formula_num(ws, (lxw_row_t)row, 6, f2, mbold, (double)gr->copay_fen / 100.0);
      gr->cop_row = row++;
      free(f1);
      free(f2);
    } else {
      gr->pub_row = sub_pub[0];
      gr->cop_row = sub_cop[0];
    }
    free(sub_pub);
    free(sub_cop);
    worksheet_set_column(ws, 1, 1, 28, NULL);
    worksheet_set_column(ws, 4, 4, 14, NULL);
    worksheet_set_column(ws, 6, 6, 12, NULL);
  }

  /* 汇总: a row per group, 合计, then the run's totals by item and payer */
  worksheet_write_string(sum, 0, 0, title, bold);
  static const char *sh_site[] = {"站点编号", "站点", "乡镇", "用餐", "补贴餐次", "公共资金（元）", "老人自付（元）"};
  static const char *sh_town[] = {"乡镇代码", "乡镇", "站点数", "用餐", "补贴餐次", "公共资金（元）", "老人自付（元）"};
  for (int k = 0; k < 7; k++) worksheet_write_string(sum, 2, (lxw_col_t)k, by_township ? sh_town[k] : sh_site[k], bold);
  int row = 3;
  long long tm = 0, ts = 0, tp = 0, tc = 0;
  for (int g = 0; g < ngroup; g++) {
    Group *gr = &groups[g];
    char f[300], r1[200];
    if (by_township) {
      worksheet_write_string(sum, (lxw_row_t)row, 0, gr->key, NULL);
      worksheet_write_string(sum, (lxw_row_t)row, 1, gr->title, NULL);
      worksheet_write_number(sum, (lxw_row_t)row, 2, gr->nsite, NULL);
    } else {
      int s = 0;
      while (sites[s].group != g) s++;
      worksheet_write_number(sum, (lxw_row_t)row, 0, (double)sites[s].id, NULL);
      worksheet_write_string(sum, (lxw_row_t)row, 1, sites[s].name, NULL);
      worksheet_write_string(sum, (lxw_row_t)row, 2, sites[s].town_name, NULL);
    }
    worksheet_write_number(sum, (lxw_row_t)row, 3, (double)gr->meals, NULL);
    worksheet_write_number(sum, (lxw_row_t)row, 4, (double)gr->subsidised, NULL);
    ref(r1, sizeof r1, gr->sheet, gr->pub_row, 6);
    snprintf(f, sizeof f, "=%s", r1);
    worksheet_write_formula_num(sum, (lxw_row_t)row, 5, f, money, (double)gr->public_fen / 100.0);
    ref(r1, sizeof r1, gr->sheet, gr->cop_row, 6);
    snprintf(f, sizeof f, "=%s", r1);
    worksheet_write_formula_num(sum, (lxw_row_t)row, 6, f, money, (double)gr->copay_fen / 100.0);
    tm += gr->meals, ts += gr->subsidised, tp += gr->public_fen, tc += gr->copay_fen;
    row++;
  }
  worksheet_write_string(sum, (lxw_row_t)row, 1, "合计", bold);
  if (ngroup > 0) {
    char f[64], a[16], b[16];
    long long v[4] = {tm, ts, tp, tc};
    for (int k = 3; k <= 6; k++) {
      lxw_rowcol_to_cell(a, 3, (lxw_col_t)k);
      lxw_rowcol_to_cell(b, (lxw_row_t)(row - 1), (lxw_col_t)k);
      snprintf(f, sizeof f, "=SUM(%s:%s)", a, b);
      worksheet_write_formula_num(sum, (lxw_row_t)row, (lxw_col_t)k, f, k >= 5 ? mbold : bold,
                                  k >= 5 ? (double)v[k - 3] / 100.0 : (double)v[k - 3]);
    }
  }
  row += 2;
  static const char *ph[] = {"项目", "付款方", "付款方（中文）", "数量", "金额（元）"};
  worksheet_write_string(sum, (lxw_row_t)row++, 0, "按项目和付款方合计", bold);
  for (int k = 0; k < 5; k++) worksheet_write_string(sum, (lxw_row_t)row, (lxw_col_t)k, ph[k], bold);
  row++;
  char dq[8], dp[32], dqty[32], damt[32];
  (void)dq;
  snprintf(dp, sizeof dp, "E4:E%d", drow > 3 ? drow : 4);
  snprintf(dqty, sizeof dqty, "G4:G%d", drow > 3 ? drow : 4);
  snprintf(damt, sizeof damt, "H4:H%d", drow > 3 ? drow : 4);
  for (int i = 0; i < nline; i++) {
    Line *l = &lines[i];
    if (l->site >= 0 || strcmp(l->payer, "public") == 0) continue;
    char f[300], esc_item[128];
    size_t o = 0;
    for (const char *s = l->item; *s && o + 3 < sizeof esc_item; s++) {
      if (*s == '"') esc_item[o++] = '"';
      esc_item[o++] = *s;
    }
    esc_item[o] = 0;
    worksheet_write_string(sum, (lxw_row_t)row, 0, l->item, NULL);
    worksheet_write_string(sum, (lxw_row_t)row, 1, l->payer, NULL);
    worksheet_write_string(sum, (lxw_row_t)row, 2, payer_zh(l->payer), NULL);
    snprintf(f, sizeof f, "=SUMIFS('明细'!%s,'明细'!D4:D%d,\"%s\",'明细'!%s,\"%s\")", dqty, drow > 3 ? drow : 4,
             esc_item, dp, l->payer);
    worksheet_write_formula_num(sum, (lxw_row_t)row, 3, f, NULL, (double)l->quantity);
    snprintf(f, sizeof f, "=SUMIFS('明细'!%s,'明细'!D4:D%d,\"%s\",'明细'!%s,\"%s\")", damt, drow > 3 ? drow : 4,
             esc_item, dp, l->payer);
    worksheet_write_formula_num(sum, (lxw_row_t)row, 4, f, money, (double)l->fen / 100.0);
    row++;
  }
  worksheet_set_column(sum, 1, 2, 28, NULL);
  worksheet_set_column(sum, 5, 6, 14, NULL);
  worksheet_activate(sum);
  for (int i = 0; i < ngroup + 2; i++) free(taken[i]);
  free(taken);
  lxw_error e = workbook_close(wb);
  if (e != LXW_NO_ERROR) {
    fprintf(stderr, "zhucan export: %s %s: %s\n", T(c, "cannot write", "无法写入"), path, lxw_strerror(e));
    rc = ZC_EXIT_FILE;
    goto out;
  }
  if (c->json)
    printf("{\"file\":"), out_json_string(stdout, path), printf(",\"format\":\"xlsx\",\"sheets\":%d,\"sites\":%d}\n", ngroup + 2, nsite);
  else
    printf("%s %s: %d %s, %d %s\n", T(c, "wrote", "已写出"), path, ngroup + 2, T(c, "sheets", "张表"), nsite,
           T(c, "sites", "个站点"));
  rc = ZC_EXIT_OK;
out:
  for (int i = 0; i < nline; i++) free(lines[i].name), free(lines[i].kind), free(lines[i].item), free(lines[i].payer);
  free(lines);
  for (int i = 0; i < nsite; i++) free(sites[i].name), free(sites[i].town_code), free(sites[i].town_name);
  free(sites);
  for (int i = 0; i < ngroup; i++) free(groups[i].key), free(groups[i].title), free(groups[i].sheet);
  free(groups);
  return rc;
}
