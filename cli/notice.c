/*
** notice.c — `zhucan notice`: the month's public notices of a region, one
** printable HTML page per site, and the sites whose notice is overdue.
**
**   SELECT * FROM notice_due(REGION, MONTH)            the lapses, first: it
**                                                      also checks REGION and
**                                                      MONTH (zhucan's words)
**   SELECT notice_html(site_id, MONTH)                 for every site at or
**                                                      under REGION with a meal
**                                                      in MONTH, by site id
**
** Only the documented interface of those two functions is used (docs/ref/
** notice_html.md, notice_due.md): the pages are notice_html's bytes as they
** are.  A page is written to a temporary name in the directory and renamed,
** so an interrupted run never leaves half a page.  File names are the site
** id, its name and the month (`5-城关镇幸福院-2024-03.html`) with every
** character Windows or a shell would trip on replaced by `_`.
*/
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The sites of the notices: at or under ?1, a meal in month ?2 (checked by
** notice_due before), ordered by id. */
static const char sites_sql[] =
    "WITH RECURSIVE r(code) AS (SELECT ?1 UNION SELECT g.code FROM region g JOIN r ON g.parent = r.code) "
    "SELECT s.id, s.name FROM site s WHERE s.region IN r AND EXISTS (SELECT 1 FROM meal m WHERE m.site_id = s.id "
    "  AND m.served_at >= ?2 || '-01' AND m.served_at < date(?2 || '-01', '+1 month')) ORDER BY s.id";

/* A file-name part from UTF-8 text: letters of any script and digits kept,
** `/\:*?"<>|`, spaces, control characters, a leading dot and bytes that are
** not UTF-8 become `_`; at most 60 bytes, cut at a character boundary. */
void notice_safe_name(char *out, size_t n, const char *s) {
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  while (*p && o + 1 < n && o < 60) {
    int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
    int k = 1;
    for (; k < len && (p[k] & 0xC0) == 0x80; k++) {}
    if (len == 0 || k < len || (len == 2 && *p < 0xC2)) { out[o++] = '_'; p++; continue; }
    if (len > 1) {
      if (o + (size_t)len >= n || o + (size_t)len > 60) break;
      memcpy(out + o, p, (size_t)len);
      o += (size_t)len, p += len;
      continue;
    }
    unsigned char ch = *p++;
    int bad = ch < 0x20 || ch == 0x7f || ch == ' ' || strchr("/\\:*?\"<>|'`$&;#%", ch) != NULL || (o == 0 && ch == '.');
    out[o++] = bad ? '_' : (char)ch;
  }
  out[o] = 0;
}

static int write_page(Cli *c, const char *dir, const char *name, const void *data, int len) {
  char tmp[4096], path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s/.%s.part", dir, name);
  FILE *f = fopen(tmp, "wb");
  if (!f || fwrite(data, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0 || rename(tmp, path) != 0) {
    int e = errno;
    if (f) unlink(tmp);
    fprintf(stderr, "zhucan notice: %s %s: %s\n", T(c, "cannot write", "无法写入"), path, strerror(e));
    return ZC_EXIT_FILE;
  }
  return ZC_EXIT_OK;
}

static int sql_fail(Cli *c, const char *site) {
  if (cli_interrupted) {
    fprintf(stderr, "zhucan notice: %s\n", T(c, "interrupted: the pages written so far are whole",
                                             "已中断: 已写出的页面都是完整的"));
    return ZC_EXIT_INTERRUPT;
  }
  fprintf(stderr, "zhucan notice: %s%s%s\n", site ? site : "", site ? ": " : "", sqlite3_errmsg(c->db));
  return ZC_EXIT_REFUSED;
}

static sqlite3_stmt *prep2(Cli *c, const char *sql, const char *a, const char *b) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
  if (a) sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
  return st;
}

/* The pages: temp.notice_page(site_id, name, file), one row per page written. */
static int write_pages(Cli *c, const char *region, const char *month, const char *dir) {
  long long total = 0;
  char *count_sql = sqlite3_mprintf("SELECT count(*) FROM (%s)", sites_sql);
  sqlite3_stmt *st = count_sql ? prep2(c, count_sql, region, month) : NULL;
  sqlite3_free(count_sql);
  if (!st || sqlite3_step(st) != SQLITE_ROW) { sqlite3_finalize(st); return sql_fail(c, NULL); }
  total = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (sqlite3_exec(c->db, "CREATE TEMP TABLE notice_page(site_id INTEGER, name TEXT, file TEXT)", NULL, NULL,
                   NULL) != SQLITE_OK)
    return sql_fail(c, NULL);
  sqlite3_stmt *sites = prep2(c, sites_sql, region, month);
  sqlite3_stmt *html = prep2(c, "SELECT notice_html(?1, ?2)", NULL, month);
  sqlite3_stmt *add = prep2(c, "INSERT INTO temp.notice_page VALUES (?1, ?2, ?3)", NULL, NULL);
  int rc = ZC_EXIT_OK, src;
  long long done = 0;
  if (!sites || !html || !add) { rc = sql_fail(c, NULL); goto out; }
  Progress *p = progress_start(c, PROG_SITES, T(c, "notices", "公示"), total, NULL, NULL);
  while (rc == ZC_EXIT_OK && (src = sqlite3_step(sites)) == SQLITE_ROW) {
    sqlite3_int64 id = sqlite3_column_int64(sites, 0);
    const char *nm = (const char *)sqlite3_column_text(sites, 1);
    char safe[80], file[160], label[32];
    notice_safe_name(safe, sizeof safe, nm);
    snprintf(file, sizeof file, "%lld%s%s-%s.html", (long long)id, *safe ? "-" : "", safe, month);
    snprintf(label, sizeof label, "%s %lld", T(c, "site", "站点"), (long long)id);
    sqlite3_bind_int64(html, 1, id);
    if (sqlite3_step(html) != SQLITE_ROW) { rc = sql_fail(c, label); break; }
    rc = write_page(c, dir, file, sqlite3_column_blob(html, 0), sqlite3_column_bytes(html, 0));
    sqlite3_reset(html);
    sqlite3_bind_int64(add, 1, id);
    sqlite3_bind_text(add, 2, nm ? nm : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(add, 3, file, -1, SQLITE_STATIC);
    if (rc == ZC_EXIT_OK && sqlite3_step(add) != SQLITE_DONE) rc = sql_fail(c, NULL);
    sqlite3_reset(add);
    progress_count(p, ++done);
  }
  if (rc == ZC_EXIT_OK && src != SQLITE_DONE) rc = sql_fail(c, NULL);
  progress_end(p, rc == ZC_EXIT_OK);
out:
  sqlite3_finalize(sites);
  sqlite3_finalize(html);
  sqlite3_finalize(add);
  return rc;
}

static long long count_of(Cli *c, const char *sql) {
  sqlite3_stmt *st = prep2(c, sql, NULL, NULL);
  long long n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

/* Prints temp.notice_page (unless due_only) and temp.notice_lapse. */
static int print_all(Cli *c, const char *region, const char *month, const char *dir, int due_only) {
  const char *pages_sql = "SELECT site_id, name, file FROM temp.notice_page ORDER BY site_id";
  const char *due_sql = "SELECT site_id, name, kind, reason FROM temp.notice_lapse ORDER BY site_id, kind";
  long long npages = due_only ? 0 : count_of(c, "SELECT count(*) FROM temp.notice_page");
  long long ndue = count_of(c, "SELECT count(*) FROM temp.notice_lapse");
  sqlite3_stmt *st;
  if (c->json) {
    printf("{\"region\":"), out_json_string(stdout, region), printf(",\"month\":"), out_json_string(stdout, month);
    if (!due_only) {
      printf(",\"dir\":"), out_json_string(stdout, dir), printf(",\"pages\":");
      st = prep2(c, pages_sql, NULL, NULL);
      if (!st || out_rows(c, st, stdout) < 0) { sqlite3_finalize(st); return sql_fail(c, NULL); }
      sqlite3_finalize(st);
    }
    printf(",\"due\":");
    st = prep2(c, "SELECT * FROM temp.notice_lapse ORDER BY site_id, kind", NULL, NULL);
    if (!st || out_rows(c, st, stdout) < 0) { sqlite3_finalize(st); return sql_fail(c, NULL); }
    sqlite3_finalize(st);
    printf("}\n");
    return ZC_EXIT_OK;
  }
  if (!due_only) {
    printf("%s %s %s: %lld %s %s\n", T(c, "notices", "公示"), region, month, npages,
           T(c, "pages written in", "个页面已写入"), dir);
    st = prep2(c, pages_sql, NULL, NULL);
    if (npages > 0 && (!st || out_rows(c, st, stdout) < 0)) { sqlite3_finalize(st); return sql_fail(c, NULL); }
    sqlite3_finalize(st);
    if (ndue > 0) printf("\n");
  }
  if (ndue == 0) {
    printf("%s\n", T(c, "no notice is overdue", "没有逾期或不合规的公示"));
    return ZC_EXIT_OK;
  }
  printf("%s: %lld\n", T(c, "notices not posted as the rule says (notice_due)", "未按规定张贴的公示(notice_due)"), ndue);
  st = prep2(c, due_sql, NULL, NULL);
  if (!st || out_rows(c, st, stdout) < 0) { sqlite3_finalize(st); return sql_fail(c, NULL); }
  sqlite3_finalize(st);
  return ZC_EXIT_OK;
}

int notice_run(Cli *c, const char *region, const char *month, const char *dir, int due_only) {
  /* notice_due first: it checks the region and the month in zhucan's words */
  sqlite3_stmt *st = prep2(c, "CREATE TEMP TABLE notice_lapse AS SELECT site_id, name, kind, reason, posted_on, "
                              "taken_down_on, days_up FROM notice_due(?1, ?2)", region, month);
  int src = st ? sqlite3_step(st) : SQLITE_ERROR;
  sqlite3_finalize(st);
  if (src != SQLITE_DONE) return sql_fail(c, NULL);
  if (!due_only) {
    struct stat sb;
    if (stat(dir, &sb) != 0 && mkdir(dir, 0777) != 0) {
      fprintf(stderr, "zhucan notice: %s %s: %s\n", T(c, "cannot create the directory", "无法创建目录"), dir,
              strerror(errno));
      return ZC_EXIT_FILE;
    }
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      fprintf(stderr, "zhucan notice: %s %s\n", dir, T(c, "is not a directory", "不是目录"));
      return ZC_EXIT_FILE;
    }
    int rc = write_pages(c, region, month, dir);
    if (rc) return rc;
  }
  int rc = print_all(c, region, month, dir, due_only);
  if (rc) return rc;
  /* 3 when a lapse is listed: missing, late, short ('pending' is not one yet) */
  return count_of(c, "SELECT count(*) FROM temp.notice_lapse WHERE kind <> 'pending'") > 0 ? ZC_EXIT_FOUND
                                                                                         : ZC_EXIT_OK;
}
