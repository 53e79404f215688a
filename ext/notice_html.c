/*
** notice_html.c — the notice of notice.c as one printable HTML page:
**
**   SELECT notice_html(12, '2024-03');     -- '<!DOCTYPE html>…'
**
** One self-contained A4 page (print CSS, no external file, no script): the
** sections of notice() as tables under Chinese headings, and an inline SVG
** bar chart of the meals of each day.  Every text from the database is
** HTML-escaped; names and ID numbers arrive masked.  The page carries no
** clock: the same data give the same bytes.
*/
#include "notice.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void esc(ZcBuf *b, const char *s) {
  if (!s) return;
  for (const char *p = s; *p; p++) {
    switch (*p) {
      case '&': zc_buf_str(b, "&amp;"); break;
      case '<': zc_buf_str(b, "&lt;"); break;
      case '>': zc_buf_str(b, "&gt;"); break;
      case '"': zc_buf_str(b, "&quot;"); break;
      default: zc_buf_add(b, p, 1); break;
    }
  }
}

static void fmt(ZcBuf *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fmt(ZcBuf *b, const char *f, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(tmp, sizeof tmp, f, ap);
  va_end(ap);
  if (n > 0) zc_buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static const char CSS[] =
    "@page{size:A4;margin:12mm 12mm 14mm 12mm}"
    "*{box-sizing:border-box}"
    "body{font-family:'Noto Sans CJK SC','Noto Serif CJK SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif;"
    "font-size:10pt;color:#000;margin:0;line-height:1.35}"
    "h1{font-size:17pt;text-align:center;margin:0 0 2mm}"
    ".sub{text-align:center;margin:0 0 3mm;font-size:9.5pt}"
    "h2{font-size:11.5pt;margin:4mm 0 1.5mm;border-left:3pt solid #a00;padding-left:2mm;break-after:avoid}"
    "table{width:100%;border-collapse:collapse;margin:0 0 1mm}"
    "th,td{border:0.6pt solid #444;padding:0.6mm 1.5mm;vertical-align:top}"
    "th{background:#eee;font-weight:bold}"
    "thead{display:table-header-group}tr{break-inside:avoid}"
    "td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    "tr.sum td{font-weight:bold;background:#f6f6f6}"
    ".run{border:0.8pt solid #000;padding:1.5mm 2mm;margin:0 0 2mm;font-size:9pt;word-break:break-all}"
    ".warn{color:#a00;font-weight:bold}"
    ".cols{columns:2;column-gap:6mm}"
    "svg{display:block;margin:0 auto}"
    "footer{margin-top:4mm;font-size:9pt;border-top:0.6pt solid #444;padding-top:1.5mm}";

enum { F_LINE, F_ITEM, F_DETAIL, F_QTY, F_YUAN, F_NOTE };
typedef struct { const char *head; int field; } Col;

static int is_sum(const ZcNoticeRow *r) { return r->item && !strcmp(r->item, "合计"); }

static void cell(ZcBuf *b, const ZcNoticeRow *r, int field, int seq) {
  char y[32];
  switch (field) {
    case F_LINE:
      if (is_sum(r)) zc_buf_str(b, "<td></td>");
      else fmt(b, "<td class=n>%d</td>", seq);
      break;
    case F_ITEM: zc_buf_str(b, "<td>"); esc(b, r->item); zc_buf_str(b, "</td>"); break;
    case F_DETAIL: zc_buf_str(b, "<td>"); esc(b, r->detail); zc_buf_str(b, "</td>"); break;
    case F_NOTE: zc_buf_str(b, "<td>"); esc(b, r->note); zc_buf_str(b, "</td>"); break;
    case F_QTY:
      if (r->has_quantity) fmt(b, "<td class=n>%lld</td>", r->quantity);
      else zc_buf_str(b, "<td></td>");
      break;
    default:
      if (r->has_amount) { zc_notice_yuan(r->amount, y); fmt(b, "<td class=n>%s</td>", y); }
      else zc_buf_str(b, "<td></td>");
      break;
  }
}

/* one section as a table; 0 rows: a line saying so */
static void table(ZcBuf *b, const ZcNotice *nt, const char *section, const Col *cols, int ncol, const char *none) {
  int n = 0;
  for (int i = 0; i < nt->n; i++) n += !strcmp(nt->rows[i].section, section) && !is_sum(&nt->rows[i]);
  if (n == 0) {
    fmt(b, "<p>%s</p>", none);
    return;
  }
  zc_buf_str(b, "<table><thead><tr>");
  for (int c = 0; c < ncol; c++) fmt(b, "<th>%s</th>", cols[c].head);
  zc_buf_str(b, "</tr></thead><tbody>");
  int seq = 0;
  for (int i = 0; i < nt->n; i++) {
    const ZcNoticeRow *r = &nt->rows[i];
    if (strcmp(r->section, section)) continue;
    zc_buf_str(b, is_sum(r) ? "<tr class=sum>" : "<tr>");
    if (!is_sum(r)) seq++;
    for (int c = 0; c < ncol; c++) cell(b, r, cols[c].field, seq);
    zc_buf_str(b, "</tr>");
  }
  zc_buf_str(b, "</tbody></table>");
}

/* bars of meals per day, y axis from 0 to a round maximum */
static void chart(ZcBuf *b, const ZcNotice *nt) {
  const int W = 680, H = 170, L = 36, B = 22, T = 8;
  sqlite3_int64 max = 0, sum = 0;
  for (int d = 0; d < nt->ndays; d++) {
    if (nt->per_day[d] > max) max = nt->per_day[d];
    sum += nt->per_day[d];
  }
  sqlite3_int64 step = 1;
  while (step * 5 < max) step = step == 1 ? 2 : step == 2 ? 5 : step * 2;
  sqlite3_int64 top = ((max + step - 1) / step) * step;
  if (top == 0) top = step;
  double pw = (double)(W - L - 4) / (nt->ndays > 0 ? nt->ndays : 1), ph = H - B - T;
  fmt(b, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' role='img'"
         " aria-label='每日用餐人次，共 %lld 人次'>", W, H, W, H, sum);
  for (sqlite3_int64 v = 0; v <= top; v += step) {
    double y = T + ph - ph * (double)v / (double)top;
    fmt(b, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#bbb' stroke-width='0.5'/>", L, y, W - 2, y);
    fmt(b, "<text x='%d' y='%.1f' font-size='9' text-anchor='end'>%lld</text>", L - 3, y + 3, v);
  }
  for (int d = 0; d < nt->ndays; d++) {
    double h = ph * (double)nt->per_day[d] / (double)top, x = L + d * pw + pw * 0.15;
    fmt(b, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#b22'><title>%d日 %lld 人次</title></rect>", x,
        T + ph - h, pw * 0.7, h, d + 1, nt->per_day[d]);
    fmt(b, "<text x='%.1f' y='%d' font-size='8' text-anchor='middle'>%d</text>", x + pw * 0.35, H - B + 11, d + 1);
  }
  fmt(b, "<text x='%d' y='%d' font-size='9' text-anchor='end'>日期（日）</text>", W - 2, H - 2);
  zc_buf_str(b, "</svg>");
}

static const ZcNoticeRow *find(const ZcNotice *nt, const char *section, int line) {
  for (int i = 0; i < nt->n; i++)
    if (!strcmp(nt->rows[i].section, section) && nt->rows[i].line == line) return &nt->rows[i];
  return NULL;
}

static void head(ZcBuf *b, const ZcNotice *nt) {
  const ZcNoticeRow *mon = find(nt, "head", 3);
  zc_buf_str(b, "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'><title>");
  esc(b, nt->site_name);
  zc_buf_str(b, " ");
  esc(b, mon ? mon->detail : nt->month);
  zc_buf_str(b, "助餐服务公示</title><style>");
  zc_buf_str(b, CSS);
  zc_buf_str(b, "</style></head><body>\n<h1>");
  esc(b, nt->site_name);
  zc_buf_str(b, "<br>");
  esc(b, mon ? mon->detail : nt->month);
  zc_buf_str(b, "助餐服务公示</h1><p class=sub>");
  esc(b, nt->place);
  zc_buf_str(b, " · ");
  esc(b, mon ? mon->note : "");
  zc_buf_str(b, "</p>\n<div class=run>");
  if (nt->settled) {
    const ZcNoticeRow *r1 = find(nt, "run", 1), *r2 = find(nt, "run", 2), *r3 = find(nt, "run", 3);
    zc_buf_str(b, "<b>结算依据：</b>");
    esc(b, r1 ? r1->detail : "");
    zc_buf_str(b, "。输出摘要 ");
    esc(b, r2 ? r2->detail : "");
    zc_buf_str(b, "；链值 ");
    esc(b, r3 ? r3->detail : "");
    zc_buf_str(b, "。本表金额以该批次为准。");
  } else {
    zc_buf_str(b, "<span class=warn>本月尚未结算：</span>以下金额按现行政策试算，结算后以结算批次为准。");
  }
  zc_buf_str(b, "</div>\n");
}

static const Col C_DINERS[] = {{"序号", F_LINE}, {"姓名", F_ITEM}, {"身份证号", F_DETAIL}, {"用餐次数", F_QTY},
                               {"补贴金额（元）", F_YUAN}, {"说明", F_NOTE}};
static const Col C_TOTAL[] = {{"项目", F_ITEM}, {"说明", F_DETAIL}, {"金额（元）", F_YUAN}};
static const Col C_ITEMS[] = {{"项目", F_ITEM}, {"出资方", F_DETAIL}, {"金额（元）", F_YUAN}};
static const Col C_BUY[] = {{"序号", F_LINE}, {"日期", F_NOTE}, {"品名", F_ITEM}, {"数量 · 供应商 · 票据", F_DETAIL},
                            {"金额（元）", F_YUAN}};
static const Col C_SPEND[] = {{"类别", F_ITEM}, {"笔数", F_DETAIL}, {"金额（元）", F_YUAN}};
static const Col C_STAFF[] = {{"职务", F_ITEM}, {"姓名", F_DETAIL}, {"联系电话", F_NOTE}};
static const Col C_TIMES[] = {{"餐次", F_ITEM}, {"时间", F_DETAIL}};
static const Col C_MENU[] = {{"日期", F_ITEM}, {"菜品", F_DETAIL}};
static const Col C_LAUNDRY[] = {{"序号", F_LINE}, {"姓名", F_ITEM}, {"次数", F_QTY}, {"日期", F_DETAIL},
                                {"内容", F_NOTE}};

static void list(ZcBuf *b, const ZcNotice *nt, const char *section) {
  zc_buf_str(b, "<ol>");
  for (int i = 0; i < nt->n; i++)
    if (!strcmp(nt->rows[i].section, section)) {
      zc_buf_str(b, "<li>");
      esc(b, nt->rows[i].item);
      zc_buf_str(b, "</li>");
    }
  zc_buf_str(b, "</ol>");
}

char *zc_notice_html(const ZcNotice *nt) {
  ZcBuf b;
  memset(&b, 0, sizeof b);
  zc_buf_need(&b, 64 * 1024);
  head(&b, nt);
  zc_buf_str(&b, "<h2>一、每月用餐人员明细</h2>");
  table(&b, nt, "diners", C_DINERS, 6, "本月无人用餐。");
  zc_buf_str(&b, "<h2>二、本月补贴合计</h2>");
  table(&b, nt, "total", C_TOTAL, 3, "");
  table(&b, nt, "site_items", C_ITEMS, 3, "本月无运营补贴项目。");
  zc_buf_str(&b, "<h2>三、每日用餐人次</h2>");
  chart(&b, nt);
  zc_buf_str(&b, "<h2>四、上月食材采购清单</h2>");
  table(&b, nt, "purchases", C_BUY, 5, "本月无食材采购记录。");
  zc_buf_str(&b, "<h2>五、各项开支</h2>");
  table(&b, nt, "spending", C_SPEND, 3, "本月无开支记录。");
  zc_buf_str(&b, "<h2>六、负责人和养老护理员</h2>");
  table(&b, nt, "staff", C_STAFF, 3, "未登记负责人和养老护理员。");
  zc_buf_str(&b, "<h2>七、用餐时间和用餐程序</h2>");
  table(&b, nt, "meal_times", C_TIMES, 2, "未登记用餐时间。");
  list(&b, nt, "procedure");
  zc_buf_str(&b, "<h2>八、每周食谱</h2>");
  table(&b, nt, "menu", C_MENU, 2, "本月未登记食谱。");
  zc_buf_str(&b, "<h2>九、助洁服务</h2>");
  table(&b, nt, "laundry", C_LAUNDRY, 5, "本月无助洁记录。");
  list(&b, nt, "laundry_rules");
  zc_buf_str(&b, "<footer>公示期内如有异议，请向村（社区）或乡镇民政办反映。姓名、身份证号和电话已按"
                 "《政府信息公开条例》和《个人信息保护法》作去标识化处理。</footer>\n</body></html>\n");
  if (b.oom) {
    zc_buf_free(&b);
    return NULL;
  }
  return b.z;
}
