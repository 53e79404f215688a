/*
** out.c — how the zhucan tool prints rows.
**
**   table  columns padded by display width: a CJK ideograph or full-width
**          form takes two terminal columns (the sqlite3 3.40 shell counts
**          code points, which is why its .box mode misaligns Chinese); a
**          column named *_fen is shown in yuan with two decimals and headed
**          *_yuan (金额 in Chinese);
**   json   an array of objects, values typed as SQLite stores them (fen
**          stay integers: exact for scripts);
**   csv    RFC 4180 quoting (export.c writes the BOM).
*/
#include "cli.h"
#include <stdlib.h>
#include <string.h>

/* East Asian Wide and Fullwidth ranges (Unicode 15, UAX #11), combining
** marks zero.  Enough for Chinese text, punctuation and full-width forms. */
static int cp_width(unsigned cp) {
  if (cp == 0) return 0;
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || cp == 0xFE0F) return 0;
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
      (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
      (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x20000 && cp <= 0x3FFFD))
    return 2;
  return 1;
}

int out_width(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  int w = 0;
  while (*p) {
    unsigned cp;
    int n;
    if (*p < 0x80) cp = *p, n = 1;
    else if ((*p & 0xE0) == 0xC0) cp = *p & 0x1F, n = 2;
    else if ((*p & 0xF0) == 0xE0) cp = *p & 0x0F, n = 3;
    else if ((*p & 0xF8) == 0xF0) cp = *p & 0x07, n = 4;
    else { w++; p++; continue; }
    int k = 1;
    for (; k < n && (p[k] & 0xC0) == 0x80; k++) cp = cp << 6 | (p[k] & 0x3F);
    if (k < n) { w++; p++; continue; }
    w += cp_width(cp);
    p += n;
  }
  return w;
}

void out_yuan(char *buf, size_t n, sqlite3_int64 fen) {
  /* exact: integer division, no floating point; -0.50 keeps its sign */
  unsigned long long a = fen < 0 ? 0ULL - (unsigned long long)fen : (unsigned long long)fen;
  snprintf(buf, n, "%s%llu.%02llu", fen < 0 ? "-" : "", a / 100, a % 100);
}

void out_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
  }
  fputc('"', f);
}

void out_json_value(FILE *f, sqlite3_stmt *st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: fputs("null", f); break;
    case SQLITE_INTEGER: fprintf(f, "%lld", (long long)sqlite3_column_int64(st, col)); break;
    case SQLITE_FLOAT: fprintf(f, "%.17g", sqlite3_column_double(st, col)); break;
    case SQLITE_BLOB: {
      /* a line that is not UTF-8 (swipe_log's raw): its bytes in hex */
      const unsigned char *b = sqlite3_column_blob(st, col);
      int n = sqlite3_column_bytes(st, col);
      fputs("{\"hex\":\"", f);
      for (int i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
      fputs("\"}", f);
      break;
    }
    default: out_json_string(f, (const char *)sqlite3_column_text(st, col));
  }
}

void out_csv_field(FILE *f, const char *s) {
  if (s == NULL) return;
  if (strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* Chinese headers of the columns the commands print. */
static const struct { const char *col, *zh; } zh_headers[] = {
    {"id", "编号"}, {"run", "运行"}, {"run_id", "运行"}, {"region", "区划"}, {"month", "月份"},
    {"meals", "用餐"}, {"subsidised_meals", "补贴餐次"}, {"total_fen", "公共资金(元)"},
    {"total_yuan", "公共资金(元)"}, {"site_id", "站点"}, {"site", "站点名称"}, {"meal_id", "餐次编号"},
    {"elder_id", "老人"}, {"item", "项目"}, {"payer", "付款方"}, {"quantity", "数量"},
    {"amount_fen", "金额(元)"}, {"settled_fen", "已结(元)"}, {"replayed_fen", "重算(元)"},
    {"cause", "原因"}, {"kind", "类别"}, {"severity", "严重程度"}, {"at", "时间"}, {"detail", "详情"},
    {"what", "检查项"}, {"expected", "应为"}, {"found", "实为"}, {"line", "行"}, {"error", "错误"},
    {"raw", "原文"}, {"findings", "条数"}, {"input_digest", "输入摘要"}, {"output_digest", "输出摘要"},
    {"chain", "链"}, {"superseded_by", "被替代"}, {"created_at", "创建时间"}, {"status", "状态"},
    {"meals_added", "新增用餐"}, {"rejected", "拒收行"}, {"name", "名称"}, {"file", "文件"}, {"reason", "原因"},
    {"posted_on", "张贴日期"}, {"taken_down_on", "撤下日期"}, {"days_up", "公示天数"},
};

const char *out_header(Cli *c, const char *col) {
  if (!c->zh) return col;
  for (size_t i = 0; i < sizeof zh_headers / sizeof zh_headers[0]; i++)
    if (strcmp(zh_headers[i].col, col) == 0) return zh_headers[i].zh;
  return col;
}

static int is_fen(const char *col) {
  size_t n = strlen(col);
  return n > 4 && strcmp(col + n - 4, "_fen") == 0;
}

typedef struct Cell { char *s; } Cell;

/* The cell's text as shown: fen as yuan, NULL empty, a BLOB as x'hex'. */
static char *cell_text(sqlite3_stmt *st, int i, int fen) {
  int t = sqlite3_column_type(st, i);
  if (t == SQLITE_NULL) return sqlite3_mprintf("%s", "");
  if (fen && t == SQLITE_INTEGER) {
    char b[32];
    out_yuan(b, sizeof b, sqlite3_column_int64(st, i));
    return sqlite3_mprintf("%s", b);
  }
  if (t == SQLITE_BLOB) {
    const unsigned char *b = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    char *h = sqlite3_malloc(2 * n + 4);
    if (!h) return NULL;
    int k = 0;
    h[k++] = 'x', h[k++] = '\'';
    for (int j = 0; j < n; j++) k += snprintf(h + k, 3, "%02x", b[j]);
    h[k++] = '\'', h[k] = 0;
    return h;
  }
  return sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, i));
}

static void pad(FILE *f, const char *s, int w, int right) {
  int sw = out_width(s);
  if (right) for (int k = sw; k < w; k++) fputc(' ', f);
  fputs(s, f);
  if (!right) for (int k = sw; k < w; k++) fputc(' ', f);
}

long long out_rows(Cli *c, sqlite3_stmt *st, FILE *f) {
  int nc = sqlite3_column_count(st), rc;
  long long nrow = 0;
  if (c->json) {
    fputc('[', f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      fputs(nrow++ ? ",\n {" : "{", f);
      for (int i = 0; i < nc; i++) {
        if (i) fputc(',', f);
        out_json_string(f, sqlite3_column_name(st, i));
        fputc(':', f);
        out_json_value(f, st, i);
      }
      fputc('}', f);
    }
    fputs("]", f);
    return rc == SQLITE_DONE ? nrow : -1;
  }
  /* a table: every row kept to size the columns */
  Cell *cells = NULL;
  size_t cap = 0, n = 0;
  int *w = calloc((size_t)nc + 1, sizeof *w), *fen = calloc((size_t)nc + 1, sizeof *fen), *num = calloc((size_t)nc + 1, sizeof *num);
  char **head = calloc((size_t)nc + 1, sizeof *head);
  if (!w || !fen || !num || !head) { rc = SQLITE_NOMEM; goto done; }
  for (int i = 0; i < nc; i++) {
    const char *col = sqlite3_column_name(st, i);
    fen[i] = is_fen(col);
    if (fen[i] && !c->zh) head[i] = sqlite3_mprintf("%.*s_yuan", (int)strlen(col) - 4, col);
    else head[i] = sqlite3_mprintf("%s", out_header(c, col));
    if (!head[i]) { rc = SQLITE_NOMEM; goto done; }
    w[i] = out_width(head[i]);
    num[i] = 1;
  }
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n + (size_t)nc > cap) {
      cap = cap ? cap * 2 : 64 * (size_t)nc;
      Cell *nn = realloc(cells, cap * sizeof *nn);
      if (!nn) { rc = SQLITE_NOMEM; goto done; }
      cells = nn;
    }
    for (int i = 0; i < nc; i++) {
      int t = sqlite3_column_type(st, i);
      if (t == SQLITE_TEXT || t == SQLITE_BLOB) num[i] = 0;
      char *s = cell_text(st, i, fen[i]);
      if (!s) { rc = SQLITE_NOMEM; goto done; }
      cells[n++].s = s;
      int sw = out_width(s);
      if (sw > w[i]) w[i] = sw;
    }
    nrow++;
  }
  if (rc != SQLITE_DONE) goto done;
  for (int i = 0; i < nc; i++) {
    if (i) fputs("  ", f);
    pad(f, head[i], i == nc - 1 && !num[i] ? 0 : w[i], num[i]);
  }
  fputc('\n', f);
  for (int i = 0; i < nc; i++) {
    if (i) fputs("  ", f);
    for (int k = 0; k < w[i]; k++) fputc('-', f);
  }
  fputc('\n', f);
  for (size_t r = 0; r < n; r += (size_t)nc) {
    for (int i = 0; i < nc; i++) {
      if (i) fputs("  ", f);
      pad(f, cells[r + (size_t)i].s, i == nc - 1 && !num[i] ? 0 : w[i], num[i]);
    }
    fputc('\n', f);
  }
done:
  for (size_t k = 0; k < n; k++) sqlite3_free(cells[k].s);
  free(cells);
  for (int i = 0; head && i < nc; i++) sqlite3_free(head[i]);
  free(head);
  free(w);
  free(fen);
  free(num);
  return rc == SQLITE_DONE ? nrow : -1;
}
