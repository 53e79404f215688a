/*
** main.c — the zhucan command: options, the commands, exit codes.
**
**   zhucan settle county.db 141129 2024-03
**   zhucan --json verify county.db
**
** The extension is linked in: sqlite3_auto_extension(sqlite3_zhucan_init)
** makes every connection the tool opens a zhucan connection, exactly as if
** `.load zhucan` had been run, without finding a .so at run time.  Each
** command is the SQL of the documentation (docs/cli.md lists it), run on
** that connection; the tool adds options, printing, exit codes and the
** progress bar, never money or rules.
*/
#include "cli.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int sqlite3_zhucan_init(sqlite3 *db, char **pzErrMsg, const void *pApi);

typedef struct Opts {
  const char *pos[8];
  int npos;
  int supersede, list, strict, csv, by_township, no_progress, help, version, due;
  const char *format, *price, *output, *by, *lang, *encoding, *out_dir;
  const char *policy[16];
  const char *untested[16];  /* untested[i]: the reason given after policy[i], or NULL */
  const char *untested_stray; /* an --untested not right after a --policy */
  int npolicy;
  const char *used[16];      /* command options given, to refuse them elsewhere */
  int nused;
} Opts;

static Cli cli;
/* a later argument that is an existing file when the first is not (the
** database given out of order): named in the message of open_db */
static const char *cli_other_db;
static const char *cli_db_path = "DB";   /* the database argument, for hints */

static void on_sigint(int sig) {
  (void)sig;
  cli_interrupted = 1;
  if (cli.db) sqlite3_interrupt(cli.db);
}

static int usage_error(Cli *c, const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "zhucan%s%s: ", c->cmd ? " " : "", c->cmd ? c->cmd : "");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n%s\n", T(c, "(zhucan --help lists the commands and options)", "(zhucan --help 列出命令和选项)"));
  return ZC_EXIT_USAGE;
}

/* A SQL error: zhucan's message as it is; exit 1, or 130 when interrupted. */
static int sql_error(Cli *c, const char *what) {
  if (cli_interrupted) {
    fprintf(stderr, "zhucan %s: %s\n", c->cmd,
            T(c, "interrupted: nothing was stored", "已中断: 未保存任何内容"));
    return ZC_EXIT_INTERRUPT;
  }
  const char *msg = sqlite3_errmsg(c->db);
  fprintf(stderr, "zhucan %s: %s%s%s\n", c->cmd, what ? what : "", what ? ": " : "", msg);
  /* the extension says "install it with policy_load()": the tool's way */
  if (strstr(msg, "policy_load()") && strcmp(c->cmd, "init") != 0)
    fprintf(stderr, "zhucan %s: %s: echo \"SELECT policy_load('POLICY.lua');\" | zhucan sql %s\n", c->cmd,
            T(c, "to install a policy file in this database", "在这个数据库里安装政策文件"), cli_db_path);
  return ZC_EXIT_REFUSED;
}

/* ZHUCAN_LANG as the extension reads it (en... English, anything else
** Chinese); else the first of LC_ALL, LC_MESSAGES, LANG that is set: a
** Chinese locale or the C/POSIX one (no language asked: a server's default)
** gives Chinese, any other language English; none set: Chinese, as the
** extension. */
static const char *lang_default(void) {
  const char *z = getenv("ZHUCAN_LANG");
  if (z && *z) return strncmp(z, "en", 2) == 0 ? "en" : "zh";
  const char *v[] = {getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG")};
  for (int i = 0; i < 3; i++) {
    if (!v[i] || !*v[i]) continue;
    if (strncmp(v[i], "zh", 2) == 0 || strcmp(v[i], "C") == 0 || strncmp(v[i], "C.", 2) == 0 ||
        strcmp(v[i], "POSIX") == 0)
      return "zh";
    return "en";
  }
  return "zh";
}

static int open_db(Cli *c, const char *path, int create) {
  struct stat sb;
  if (!create && stat(path, &sb) != 0) {
    fprintf(stderr, "zhucan %s: %s %s: %s\n", c->cmd, T(c, "database", "数据库"), path,
            T(c, "does not exist (zhucan init DB creates one)", "不存在(可用 zhucan init 新建)"));
    if (cli_other_db)
      fprintf(stderr, "zhucan %s: %s: zhucan %s %s ...\n", c->cmd,
              T(c, "the database comes first", "数据库要写在最前面"), c->cmd, cli_other_db);
    return ZC_EXIT_FILE;
  }
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
    fprintf(stderr, "zhucan %s: %s %s: %s\n", c->cmd, T(c, "cannot open database", "无法打开数据库"), path,
            c->db ? sqlite3_errmsg(c->db) : "out of memory");
    return ZC_EXIT_FILE;
  }
  sqlite3_busy_timeout(c->db, 5000);
  /* zhucan's own messages in the command's language (zhucan_lang) */
  sqlite3_exec(c->db, c->zh ? "SELECT zhucan_lang('zh')" : "SELECT zhucan_lang('en')", NULL, NULL, NULL);
  /* a file that is not a database is found by the first read */
  if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "zhucan %s: %s %s: %s\n", c->cmd, T(c, "cannot read database", "无法读取数据库"), path,
            sqlite3_errmsg(c->db));
    return ZC_EXIT_FILE;
  }
  return ZC_EXIT_OK;
}

static sqlite3_stmt *prep(Cli *c, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
  return st;
}

static long long one_int(Cli *c, const char *sql, const char *a, const char *b, const char *d) {
  sqlite3_stmt *st = prep(c, sql);
  long long v = -1;
  if (!st) return -1;
  if (a) sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
  if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
  if (d) sqlite3_bind_text(st, 3, d, -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* RUN: a positive integer, else a usage error. */
static int parse_run(Cli *c, const char *s, long long *run) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno || v <= 0)
    return usage_error(c, T(c, "run %s is not a run id: expected a positive integer such as 1%s",
                            "批次 %s 不是批次编号: 应为正整数, 如 1%s"), s, "");
  *run = v;
  return ZC_EXIT_OK;
}

/* The month's first day and the next month's: "2024-03" -> 2024-03-01, 2024-04-01.
** A malformed month is left to zhucan's own message (the bar is skipped). */
static int month_bounds(const char *m, char *first, char *next) {
  int y, mo;
  char extra;
  if (!m || strlen(m) != 7 || sscanf(m, "%4d-%2d%c", &y, &mo, &extra) != 2 || y < 1000 || y > 9998 || mo < 1 ||
      mo > 12)
    return 0;
  y %= 10000;
  snprintf(first, 32, "%04d-%02d-01", y, mo);
  snprintf(next, 32, "%04d-%02d-01", mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1);
  return 1;
}

/* Meals the month pass reads for REGION: the month's meals of every elder
** who ate at a site at or under it (all of the month when the database's
** meals are all inside it and every site is in the region: a count of the
** table, no range walk). */
static long long month_total(Cli *c, const char *region, const char *first, const char *next) {
  long long all_sites = one_int(c,
      "WITH RECURSIVE r(code) AS (SELECT ?1 UNION SELECT region.code FROM region JOIN r ON region.parent = r.code) "
      "SELECT (SELECT count(*) FROM site WHERE region IN r) = (SELECT count(*) FROM site)", region, NULL, NULL);
  long long inside = one_int(c, "SELECT (SELECT min(served_at) FROM meal) >= ?1 AND (SELECT max(served_at) FROM meal) < ?2", first, next, NULL);
  if (all_sites == 1 && inside == 1) return one_int(c, "SELECT count(*) FROM meal", NULL, NULL, NULL);
  if (all_sites == 1)
    return one_int(c, "SELECT count(*) FROM meal WHERE served_at >= ?1 AND served_at < ?2", first, next, NULL);
  return one_int(c,
      "WITH RECURSIVE r(code) AS (SELECT ?1 UNION SELECT region.code FROM region JOIN r ON region.parent = r.code), "
      "e AS (SELECT DISTINCT elder_id FROM meal WHERE site_id IN (SELECT id FROM site WHERE region IN r) "
      "      AND served_at >= ?2 AND served_at < ?3) "
      "SELECT count(*) FROM meal WHERE served_at >= ?2 AND served_at < ?3 AND elder_id IN e", region, first, next);
}

/* ------------------------------------------------------------- init */
static int cmd_init(Cli *c, Opts *o) {
  if (o->npos != 1) return usage_error(c, T(c, "expected: zhucan init DB [--policy FILE [--untested REASON]]...%s%s",
                                            "应为: zhucan init 数据库 [--policy 文件 [--untested 原因]]...%s%s"), "", "");
  if (o->untested_stray)
    return usage_error(c, T(c, "--untested %s: it gives the reason of the --policy FILE just before it%s",
                            "--untested %s: 它说明紧挨在前面的 --policy 文件为何没有用例%s"), o->untested_stray, "");
  struct stat sb;
  if (stat(o->pos[0], &sb) == 0) {
    fprintf(stderr, "zhucan init: %s %s\n", o->pos[0],
            T(c, "exists already: init creates a new database, it never changes one",
              "已存在: init 只新建数据库, 不会改动已有的数据库"));
    return ZC_EXIT_REFUSED;
  }
  int rc = open_db(c, o->pos[0], 1);
  if (rc) return rc;
  if (sqlite3_exec(c->db, cli_sql_schema, NULL, NULL, NULL) != SQLITE_OK) {
    rc = sql_error(c, "sql/schema.sql");
    goto fail;
  }
  if (c->json) printf("{\"database\":"), out_json_string(stdout, o->pos[0]), printf(",\"policies\":[");
  for (int i = 0; i < o->npolicy; i++) {
    /* policy_load(FILE, REASON): a policy without test cases is installed
    ** only with the reason why (docs/ref/policy_load.md) */
    sqlite3_stmt *st = prep(c, o->untested[i] ? "SELECT policy_load(?1, ?2)" : "SELECT policy_load(?1)");
    if (!st) { rc = sql_error(c, NULL); goto fail; }
    sqlite3_bind_text(st, 1, o->policy[i], -1, SQLITE_STATIC);
    if (o->untested[i]) sqlite3_bind_text(st, 2, o->untested[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
      sqlite3_finalize(st);
      if (c->json) printf("]}\n");
      rc = sql_error(c, NULL);
      goto fail;
    }
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (c->json) {
      printf("%s{\"file\":", i ? "," : ""), out_json_string(stdout, o->policy[i]), printf(",\"version\":%lld", v);
      if (o->untested[i]) printf(",\"untested\":"), out_json_string(stdout, o->untested[i]);
      printf("}");
    } else {
      printf("%s %s: %s %lld", T(c, "policy", "政策"), o->policy[i], T(c, "version", "版本"), v);
      if (o->untested[i]) printf(" (%s: %s)", T(c, "untested", "未经用例检验"), o->untested[i]);
      printf("\n");
    }
  }
  if (c->json) printf("]}\n");
  else printf("%s %s\n", T(c, "created", "已新建"), o->pos[0]);
  return ZC_EXIT_OK;
fail:
  /* a half-made database is removed: init is all or nothing */
  sqlite3_close(c->db);
  c->db = NULL;
  unlink(o->pos[0]);
  return rc;
}

/* ----------------------------------------------------------- ingest */
/* "12", "12.5", "12.50" yuan -> fen, exactly. */
static int yuan_to_fen(const char *s, long long *fen) {
  long long y = 0;
  int dec = -1, nd = 0;
  const char *p = s;
  if (!*p) return 0;
  for (; *p; p++) {
    if (*p == '.' && dec < 0 && p != s) { dec = 0; continue; }
    if (*p < '0' || *p > '9') return 0;
    if (dec >= 0) { if (++dec > 2) return 0; }
    else if (++nd > 9) return 0;
    y = y * 10 + (*p - '0');
  }
  if (dec == 0) return 0;
  for (int k = dec < 0 ? 0 : dec; k < 2; k++) y *= 10;
  *fen = y;
  return 1;
}

static long long count_lines(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  char buf[65536];
  size_t n;
  long long lines = 0;
  int last = '\n';
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < n; i++) lines += buf[i] == '\n';
    last = buf[n - 1];
  }
  fclose(f);
  return lines + (last != '\n');
}

static Progress *ingest_prog;

static int cmd_ingest(Cli *c, Opts *o) {
  if (o->npos != 2)
    return usage_error(c, T(c, "expected: zhucan ingest DB FILE [--format F] [--price YUAN] [--encoding E]%s%s",
                            "应为: zhucan ingest 数据库 文件 [--format 格式] [--price 元] [--encoding 编码]%s%s"), "", "");
  /* swipe_log's names, any case (docs/ref/swipe_log.md): a usage error here
  ** rather than swipe_log's refusal, so that the exit code says "command line" */
  static const char *const encs[] = {"utf-8", "utf8", "gb18030", "gbk", "gb2312", "cp936", "auto"};
  int enc_ok = !o->encoding;
  for (size_t k = 0; !enc_ok && k < sizeof encs / sizeof encs[0]; k++) enc_ok = strcasecmp(o->encoding, encs[k]) == 0;
  if (!enc_ok)
    return usage_error(c, T(c, "--encoding %s: expected utf-8 (the default), gbk, gb18030 (also gb2312, cp936) or auto%s",
                            "--encoding %s: 应为 utf-8(默认)、gbk、gb18030(或 gb2312、cp936)或 auto%s"), o->encoding, "");
  long long fen = 0;
  if (o->price && !yuan_to_fen(o->price, &fen))
    return usage_error(c, T(c, "--price %s is not a price: expected yuan with at most two decimals, such as 10 or 12.50%s",
                            "--price %s 不是价格: 应为最多两位小数的元, 如 10 或 12.50%s"), o->price, "");
  long long lines = count_lines(o->pos[1]);
  if (lines < 0) {
    fprintf(stderr, "zhucan ingest: %s %s: %s\n", T(c, "cannot read", "无法读取"), o->pos[1], strerror(errno));
    return ZC_EXIT_FILE;
  }
  int rc = open_db(c, o->pos[0], 0);
  if (rc) return rc;
  if (progress_register_line_fn(c->db, &ingest_prog) != SQLITE_OK) return sql_error(c, NULL);
  const char *fmt = o->format ? o->format : "csv", *enc = o->encoding ? o->encoding : "utf-8";
  /* sql/ingest.sql, with zhucan_cli_line(line) counting lines for the bar */
  sqlite3_stmt *ins = prep(c,
      "INSERT INTO meal(elder_id, site_id, served_at, slot, method, device, token, price_fen) "
      "SELECT elder_id, site_id, at, slot, method, device, token, coalesce(price_fen, :price_fen) "
      "  FROM swipe_log(:path, :format, :encoding) WHERE zhucan_cli_line(line) AND error IS NULL "
      "ON CONFLICT(device, token, served_at) DO NOTHING");
  if (!ins) return sql_error(c, NULL);
  sqlite3_bind_text(ins, sqlite3_bind_parameter_index(ins, ":path"), o->pos[1], -1, SQLITE_STATIC);
  sqlite3_bind_text(ins, sqlite3_bind_parameter_index(ins, ":format"), fmt, -1, SQLITE_STATIC);
  sqlite3_bind_text(ins, sqlite3_bind_parameter_index(ins, ":encoding"), enc, -1, SQLITE_STATIC);
  if (o->price) sqlite3_bind_int64(ins, sqlite3_bind_parameter_index(ins, ":price_fen"), fen);
  ingest_prog = progress_start(c, PROG_LINES, T(c, "ingest", "导入"), lines, NULL, NULL);
  int src = sqlite3_step(ins);
  sqlite3_finalize(ins);
  if (src != SQLITE_DONE) {
    progress_end(ingest_prog, 0);
    ingest_prog = NULL;
    return sql_error(c, NULL);
  }
  long long added = sqlite3_changes64(c->db);
  progress_phase(ingest_prog, T(c, "rejects", "拒收行"), lines);
  sqlite3_stmt *rej = prep(c,
      "SELECT line, error, raw FROM swipe_log(:path, :format, :encoding) "
      " WHERE zhucan_cli_line(line) AND error IS NOT NULL AND error NOT IN ('blank', 'header') ORDER BY line");
  if (!rej) return sql_error(c, NULL);
  sqlite3_bind_text(rej, 1, o->pos[1], -1, SQLITE_STATIC);
  sqlite3_bind_text(rej, 2, fmt, -1, SQLITE_STATIC);
  sqlite3_bind_text(rej, 3, enc, -1, SQLITE_STATIC);
  long long n;
  if (c->json) {
    printf("{\"meals_added\":%lld,\"rejected\":", added);
    n = out_rows(c, rej, stdout);
    printf("}\n");
  } else {
    printf("%s: %lld\n", T(c, "meals added", "新增用餐"), added);
    /* rows go to a buffer first: the count heads the list */
    char *buf = NULL;
    size_t blen = 0;
    FILE *mem = open_memstream(&buf, &blen);
    n = mem ? out_rows(c, rej, mem) : -1;
    if (mem) fclose(mem);
    if (n >= 0) {
      printf("%s: %lld\n", T(c, "rejected lines", "拒收行"), n);
      if (n > 0) fputs(buf, stdout);
    }
    /* swipe_log says a line not UTF-8 "looks like GBK/GB18030": say it the
    ** way the tool takes it */
    if (n > 0 && buf && strncasecmp(enc, "utf", 3) == 0 && strstr(buf, "GB18030"))
      fprintf(stderr, "zhucan ingest: %s: zhucan ingest %s %s --encoding gbk\n",
              T(c, "the file looks like GBK (Chinese Windows, most card terminals); load it with",
                "该文件像是 GBK 编码(中文 Windows 和多数刷卡机导出的格式), 请这样导入"),
              o->pos[0], o->pos[1]);
    free(buf);
  }
  sqlite3_finalize(rej);
  progress_end(ingest_prog, n >= 0);
  ingest_prog = NULL;
  if (n < 0) return sql_error(c, NULL);
  return n > 0 ? ZC_EXIT_FOUND : ZC_EXIT_OK;
}

/* ----------------------------------------------------------- settle */
static int print_run(Cli *c, long long run) {
  /* on screen the digests are cut to 16 hex digits; --json has them whole */
  sqlite3_stmt *st = prep(c, c->json ? "SELECT id, region, month, meals, subsidised_meals, total_fen, input_digest, "
                                       "output_digest, chain FROM zhucan_run WHERE id = ?1"
                                     : "SELECT id, region, month, meals, subsidised_meals, total_fen, "
                                       "substr(input_digest, 1, 16) AS input_digest, substr(chain, 1, 16) AS chain "
                                       "FROM zhucan_run WHERE id = ?1");
  if (!st) return sql_error(c, NULL);
  sqlite3_bind_int64(st, 1, run);
  if (c->json) {
    if (sqlite3_step(st) != SQLITE_ROW) { sqlite3_finalize(st); return sql_error(c, NULL); }
    printf("{");
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      if (i) printf(",");
      out_json_string(stdout, sqlite3_column_name(st, i));
      printf(":");
      out_json_value(stdout, st, i);
    }
    printf("}\n");
  } else if (out_rows(c, st, stdout) < 0) {
    sqlite3_finalize(st);
    return sql_error(c, NULL);
  }
  sqlite3_finalize(st);
  return ZC_EXIT_OK;
}

static int cmd_settle(Cli *c, Opts *o) {
  if (o->npos != 3) return usage_error(c, T(c, "expected: zhucan settle DB REGION MONTH [--supersede]%s%s",
                                            "应为: zhucan settle 数据库 区划 月份 [--supersede]%s%s"), "", "");
  int rc = open_db(c, o->pos[0], 0);
  if (rc) return rc;
  char first[32], next[32];
  Progress *p = NULL;
  if (c->progress && month_bounds(o->pos[2], first, next))
    p = progress_start(c, PROG_MONTH, T(c, "settle", "结算"), month_total(c, o->pos[1], first, next), first, next);
  sqlite3_stmt *st = prep(c, o->supersede ? "SELECT settle(?1, ?2, 'supersede')" : "SELECT settle(?1, ?2)");
  if (!st) { progress_end(p, 0); return sql_error(c, NULL); }
  sqlite3_bind_text(st, 1, o->pos[1], -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, o->pos[2], -1, SQLITE_STATIC);
  int src = sqlite3_step(st);
  long long run = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  progress_end(p, src == SQLITE_ROW);
  if (src != SQLITE_ROW) { rc = sql_error(c, NULL); sqlite3_finalize(st); return rc; }
  sqlite3_finalize(st);
  return print_run(c, run);
}

/* ----------------------------------------------------------- replay */
static int cmd_replay(Cli *c, Opts *o) {
  if (o->npos != 2) return usage_error(c, T(c, "expected: zhucan replay DB RUN%s%s", "应为: zhucan replay 数据库 批次%s%s"), "", "");
  long long run;
  int rc = parse_run(c, o->pos[1], &run);
  if (rc) return rc;
  if ((rc = open_db(c, o->pos[0], 0))) return rc;
  Progress *p = NULL;
  if (c->progress) {
    sqlite3_stmt *q = prep(c, "SELECT region, month FROM zhucan_run WHERE id = ?1");
    if (q) {
      sqlite3_bind_int64(q, 1, run);
      char first[32], next[32];
      if (sqlite3_step(q) == SQLITE_ROW && month_bounds((const char *)sqlite3_column_text(q, 1), first, next))
        p = progress_start(c, PROG_MONTH, T(c, "replay", "重算"),
                           month_total(c, (const char *)sqlite3_column_text(q, 0), first, next), first, next);
      sqlite3_finalize(q);
    }
  }
  sqlite3_stmt *st = prep(c, "SELECT site_id, meal_id, item, payer, settled_fen, replayed_fen, cause FROM replay(?1)");
  if (!st) { progress_end(p, 0); return sql_error(c, NULL); }
  sqlite3_bind_int64(st, 1, run);
  /* the rows are printed once replay is done: buffered, so the bar and
  ** the table do not interleave on a terminal */
  char *buf = NULL;
  size_t blen = 0;
  FILE *mem = open_memstream(&buf, &blen);
  long long n = mem ? out_rows(c, st, mem) : -1;
  if (mem) fclose(mem);
  sqlite3_finalize(st);
  progress_end(p, n >= 0);
  if (n < 0) { free(buf); return sql_error(c, NULL); }
  if (c->json) printf("{\"run\":%lld,\"differences\":%s}\n", run, buf);
  else if (n == 0) printf("%s %lld: %s\n", T(c, "run", "批次"), run,
                          T(c, "reproduced exactly from today's data", "用今天的数据分毫不差地重现"));
  else printf("%s %lld: %lld %s\n%s", T(c, "run", "批次"), run, n, T(c, "differences", "处差异"), buf);
  free(buf);
  return n > 0 ? ZC_EXIT_FOUND : ZC_EXIT_OK;
}

/* ------------------------------------------------------------- scan */
static int cmd_scan(Cli *c, Opts *o) {
  if (o->npos != 3) return usage_error(c, T(c, "expected: zhucan scan DB REGION MONTH [--list] [--strict]%s%s",
                                            "应为: zhucan scan 数据库 区划 月份 [--list] [--strict]%s%s"), "", "");
  int rc = open_db(c, o->pos[0], 0);
  if (rc) return rc;
  /* findings into a temporary table: one scan, then the counts and the
  ** list are read from it */
  char first[32], next[32];
  Progress *p = NULL;
  if (c->progress && month_bounds(o->pos[2], first, next))
    p = progress_start(c, PROG_SCAN, T(c, "scan", "筛查"),
                       one_int(c, "SELECT count(*) FROM meal WHERE served_at >= ?1 AND served_at < ?2", first, next, NULL),
                       first, next);
  sqlite3_stmt *st = prep(c, "CREATE TEMP TABLE finding AS SELECT kind, severity, site_id, elder_id, meal_id, at, detail "
                             "FROM anomaly_scan(?1, ?2)");
  if (!st) { progress_end(p, 0); return sql_error(c, NULL); }
  sqlite3_bind_text(st, 1, o->pos[1], -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, o->pos[2], -1, SQLITE_STATIC);
  int src = sqlite3_step(st);
  sqlite3_finalize(st);
  progress_end(p, src == SQLITE_DONE);
  if (src != SQLITE_DONE) return sql_error(c, NULL);
  long long n = one_int(c, "SELECT count(*) FROM temp.finding", NULL, NULL, NULL);
  if (c->json) {
    st = prep(c, "SELECT * FROM temp.finding");
    printf("{\"region\":"), out_json_string(stdout, o->pos[1]), printf(",\"month\":"), out_json_string(stdout, o->pos[2]);
    printf(",\"findings\":");
    if (out_rows(c, st, stdout) < 0) { sqlite3_finalize(st); return sql_error(c, NULL); }
    printf("}\n");
    sqlite3_finalize(st);
  } else {
    printf("%s %s %s: %lld %s\n", T(c, "scan", "筛查"), o->pos[1], o->pos[2], n, T(c, "findings", "条发现"));
    st = prep(c, "SELECT severity, kind, count(*) AS findings FROM temp.finding GROUP BY 1, 2 ORDER BY 1, 2");
    if (n > 0 && out_rows(c, st, stdout) < 0) { sqlite3_finalize(st); return sql_error(c, NULL); }
    sqlite3_finalize(st);
    if (o->list && n > 0) {
      printf("\n");
      st = prep(c, "SELECT * FROM temp.finding");
      if (out_rows(c, st, stdout) < 0) { sqlite3_finalize(st); return sql_error(c, NULL); }
      sqlite3_finalize(st);
    }
  }
  return o->strict && n > 0 ? ZC_EXIT_FOUND : ZC_EXIT_OK;
}

/* ----------------------------------------------------------- verify */
static int cmd_verify(Cli *c, Opts *o) {
  if (o->npos < 1 || o->npos > 2)
    return usage_error(c, T(c, "expected: zhucan verify DB [RUN]%s%s", "应为: zhucan verify 数据库 [批次]%s%s"), "", "");
  long long run = 0;
  int rc;
  if (o->npos == 2 && (rc = parse_run(c, o->pos[1], &run))) return rc;
  if ((rc = open_db(c, o->pos[0], 0))) return rc;
  sqlite3_stmt *st = prep(c, run ? "SELECT run_id, what, expected, found FROM run_verify(?1)"
                                 : "SELECT run_id, what, expected, found FROM run_verify()");
  if (!st) return sql_error(c, NULL);
  if (run) sqlite3_bind_int64(st, 1, run);
  char *buf = NULL;
  size_t blen = 0;
  FILE *mem = open_memstream(&buf, &blen);
  long long n = mem ? out_rows(c, st, mem) : -1;
  if (mem) fclose(mem);
  sqlite3_finalize(st);
  if (n < 0) { free(buf); return sql_error(c, NULL); }
  if (c->json) printf("{\"problems\":%s}\n", buf);
  else if (n == 0) printf("%s\n", T(c, "intact: no problem found", "完好: 未发现问题"));
  else printf("%lld %s\n%s", n, T(c, "problems", "个问题"), buf);
  free(buf);
  return n > 0 ? ZC_EXIT_FOUND : ZC_EXIT_OK;
}

/* ----------------------------------------------------------- export */
static int cmd_export(Cli *c, Opts *o) {
  if (o->npos != 2 || !o->output)
    return usage_error(c, T(c, "expected: zhucan export DB RUN -o FILE [--by site|township] [--csv]%s%s",
                            "应为: zhucan export 数据库 批次 -o 文件 [--by site|township] [--csv]%s%s"), "", "");
  long long run;
  int rc = parse_run(c, o->pos[1], &run);
  if (rc) return rc;
  if (o->by && strcmp(o->by, "site") != 0 && strcmp(o->by, "township") != 0)
    return usage_error(c, T(c, "--by %s: expected site or township%s", "--by %s: 应为 site 或 township%s"), o->by, "");
  if (o->by && o->csv)
    return usage_error(c, T(c, "--by %s applies to the workbook, not to --csv%s", "--by %s 只用于工作簿, 不用于 --csv%s"), o->by, "");
  if ((rc = open_db(c, o->pos[0], 0))) return rc;
  return export_run(c, run, o->output, o->by && strcmp(o->by, "township") == 0, o->csv);
}

/* ----------------------------------------------------------- notice */
static int cmd_notice(Cli *c, Opts *o) {
  if (o->npos != 3)
    return usage_error(c, T(c, "expected: zhucan notice DB REGION MONTH [--out DIR] [--due]%s%s",
                            "应为: zhucan notice 数据库 区划 月份 [--out 目录] [--due]%s%s"), "", "");
  if (o->due && o->out_dir)
    return usage_error(c, T(c, "--due lists the overdue notices and writes no page: --out %s does not apply%s",
                            "--due 只列出逾期的公示, 不写页面: --out %s 不适用%s"), o->out_dir, "");
  char dflt[300];
  snprintf(dflt, sizeof dflt, "notices-%.100s-%.100s", o->pos[1], o->pos[2]);
  int rc = open_db(c, o->pos[0], 0);
  if (rc) return rc;
  return notice_run(c, o->pos[1], o->pos[2], o->out_dir ? o->out_dir : dflt, o->due);
}

/* -------------------------------------------------------------- sql */
/* Statements of FILE (or stdin), each result printed as a table sized by
** display width (or JSON).  Between statements a line may be `.print TEXT`
** (printed, one level of '' or "" quotes removed) or `.mode box|table|column`
** (accepted: the output is always this table); any other dot command is
** refused.  Stops at the first error (exit 1). */
static char *read_all(FILE *f) {
  size_t cap = 65536, n = 0, k;
  char *b = malloc(cap);
  while (b && (k = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (n + 1 == cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) { free(b); return NULL; }
      b = nb;
    }
  }
  if (b) b[n] = 0;
  return b;
}

static int cmd_sql(Cli *c, Opts *o) {
  if (o->npos < 1 || o->npos > 2)
    return usage_error(c, T(c, "expected: zhucan sql DB [FILE]%s%s", "应为: zhucan sql 数据库 [文件]%s%s"), "", "");
  FILE *in = stdin;
  if (o->npos == 2 && strcmp(o->pos[1], "-") != 0 && !(in = fopen(o->pos[1], "rb"))) {
    fprintf(stderr, "zhucan sql: %s %s: %s\n", T(c, "cannot read", "无法读取"), o->pos[1], strerror(errno));
    return ZC_EXIT_FILE;
  }
  char *text = read_all(in);
  if (in != stdin) fclose(in);
  if (!text) return ZC_EXIT_FILE;
  int rc = open_db(c, o->pos[0], 0), first = 1, opened = !rc;
  const char *p = text;
  if (c->json && opened) printf("[");
  while (!rc && *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (p[0] == '-' && p[1] == '-') { p += strcspn(p, "\n"); continue; }
    if (*p == '.') {
      size_t n = strcspn(p, "\r\n");
      char line[1024];
      snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
      p += n;
      if (strncmp(line, ".print", 6) == 0 && (line[6] == ' ' || line[6] == 0)) {
        char *t = line + 6 + (line[6] == ' ');
        size_t tl = strlen(t);
        if (tl >= 2 && (t[0] == '\'' || t[0] == '"') && t[tl - 1] == t[0]) t[tl - 1] = 0, t++;
        if (!c->json) printf("%s\n", t);
      } else if (strcmp(line, ".mode box") != 0 && strcmp(line, ".mode table") != 0 &&
                 strcmp(line, ".mode column") != 0) {
        fprintf(stderr, "zhucan sql: %s %s\n", line,
                T(c, "is not supported: only .print TEXT and .mode box|table|column",
                  "不支持: 只支持 .print 文本 和 .mode box|table|column"));
        rc = ZC_EXIT_USAGE;
      }
      continue;
    }
    if (!*p) break;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(c->db, p, -1, &st, &tail) != SQLITE_OK) { rc = sql_error(c, NULL); break; }
    p = tail;
    if (!st) continue;
    if (c->json && sqlite3_column_count(st) > 0) printf(first ? "" : ",\n"), first = 0;
    long long n = sqlite3_column_count(st) > 0 ? out_rows(c, st, stdout) : (sqlite3_step(st) == SQLITE_DONE ? 0 : -1);
    sqlite3_finalize(st);
    if (n < 0) rc = sql_error(c, NULL);
  }
  if (c->json && opened) printf("]\n");
  free(text);
  return rc;
}

/* ------------------------------------------------------------- main */
static const struct {
  const char *name;
  int (*fn)(Cli *, Opts *);
  const char *opts;   /* the command options it takes, space separated */
} commands[] = {
    {"init", cmd_init, " --policy --untested "},
    {"ingest", cmd_ingest, " --format --price --encoding "},
    {"settle", cmd_settle, " --supersede "},
    {"replay", cmd_replay, " "},
    {"scan", cmd_scan, " --list --strict "},
    {"export", cmd_export, " -o --output --by --csv "},
    {"notice", cmd_notice, " --out --due "},
    {"verify", cmd_verify, " "},
    {"sql", cmd_sql, " "},
};

static int is_sqlite_file(const char *path) {
  char head[16];
  FILE *f = fopen(path, "rb");
  int yes = f && fread(head, 1, 16, f) == 16 && memcmp(head, "SQLite format 3", 16) == 0;
  if (f) fclose(f);
  return yes;
}

/* --opt VALUE or --opt=VALUE */
static const char *opt_value(Cli *c, int argc, char **argv, int *i, const char *name, int *err) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') return argv[*i] + n + 1;
  if (*i + 1 >= argc) {
    usage_error(c, T(c, "option %s needs a value%s", "选项 %s 需要一个值%s"), name, "");
    *err = 1;
    return NULL;
  }
  return argv[++*i];
}

int main(int argc, char **argv) {
  Cli *c = &cli;
  Opts o;
  memset(&o, 0, sizeof o);
  /* What the sqlite3 shell does (its main_init): the tool uses each
  ** connection from one thread (zhucan's worker threads never touch SQLite),
  ** so SQLite's per-connection mutex is not needed.  Serialized (the
  ** library's default) took a mutex pair on every API call: 5.5% of the
  ** instructions of the county's settle (callgrind, bench/cli.sh).  Before
  ** sqlite3_auto_extension, which initialises the library. */
  sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
  cli_plat_args(&argc, &argv);
  /* --lang first: every message after it is in that language */
  o.lang = lang_default();
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) o.lang = argv[i + 1];
    else if (strncmp(argv[i], "--lang=", 7) == 0) o.lang = argv[i] + 7;
  }
  if (strcmp(o.lang, "zh") != 0 && strcmp(o.lang, "en") != 0) {
    fprintf(stderr, "zhucan: --lang %s: expected zh or en (--lang %s：应为 zh 或 en)\n", o.lang, o.lang);
    return ZC_EXIT_USAGE;
  }
  c->zh = strcmp(o.lang, "zh") == 0;
  int cmd = -1, err = 0;
  for (int i = 1; i < argc && !err; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      if (cmd < 0) {
        for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
          if (strcmp(a, commands[k].name) == 0) cmd = (int)k;
        if (cmd < 0)
          return usage_error(c, T(c, "unknown command %s: expected init, ingest, settle, replay, scan, export, notice, verify or sql%s",
                                  "未知命令 %s: 应为 init、ingest、settle、replay、scan、export、notice、verify 或 sql%s"), a, "");
        c->cmd = commands[cmd].name;
        continue;
      }
      if (o.npos == (int)(sizeof o.pos / sizeof o.pos[0]))
        return usage_error(c, T(c, "too many arguments at %s%s", "参数过多: %s%s"), a, "");
      o.pos[o.npos++] = a;
      continue;
    }
    const char *name = a;
    char nbuf[32];
    const char *eq = strchr(a, '=');
    if (eq && eq - a < (long)sizeof nbuf) {
      memcpy(nbuf, a, (size_t)(eq - a));
      nbuf[eq - a] = 0;
      name = nbuf;
    }
    if (strcmp(a, "--json") == 0) c->json = 1;
    else if (strcmp(a, "--no-progress") == 0) o.no_progress = 1;
    else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) o.help = 1;
    else if (strcmp(a, "--version") == 0) o.version = 1;
    else if (strcmp(name, "--lang") == 0) { if (!eq) i++; }
    else {
      if (strcmp(a, "--supersede") == 0) o.supersede = 1;
      else if (strcmp(a, "--list") == 0) o.list = 1;
      else if (strcmp(a, "--strict") == 0) o.strict = 1;
      else if (strcmp(a, "--csv") == 0) o.csv = 1;
      else if (strcmp(a, "--due") == 0) o.due = 1;
      else if (strcmp(name, "--encoding") == 0) o.encoding = opt_value(c, argc, argv, &i, "--encoding", &err);
      else if (strcmp(name, "--out") == 0) o.out_dir = opt_value(c, argc, argv, &i, "--out", &err);
      else if (strcmp(name, "--untested") == 0) {
        const char *v = opt_value(c, argc, argv, &i, "--untested", &err);
        /* refused in cmd_init when no --policy comes just before it */
        if (v && (o.npolicy == 0 || o.untested[o.npolicy - 1])) o.untested_stray = v;
        else if (v) o.untested[o.npolicy - 1] = v;
      }
      else if (strcmp(name, "--format") == 0) o.format = opt_value(c, argc, argv, &i, "--format", &err);
      else if (strcmp(name, "--price") == 0) o.price = opt_value(c, argc, argv, &i, "--price", &err);
      else if (strcmp(name, "--by") == 0) o.by = opt_value(c, argc, argv, &i, "--by", &err);
      else if (strcmp(name, "-o") == 0 || strcmp(name, "--output") == 0)
        o.output = opt_value(c, argc, argv, &i, name, &err);
      else if (strcmp(name, "--policy") == 0) {
        const char *v = opt_value(c, argc, argv, &i, "--policy", &err);
        if (v && o.npolicy == 16) return usage_error(c, T(c, "more than 16 --policy files%s%s", "--policy 文件超过 16 个%s%s"), "", "");
        if (v) o.policy[o.npolicy++] = v;
      } else
        return usage_error(c, T(c, "unknown option %s%s", "未知选项 %s%s"), a, "");
      if (err) return ZC_EXIT_USAGE;
      /* a copy: name may be this iteration's nbuf (--opt=VALUE) */
      static char used_names[16][32];
      if (o.nused < 16) {
        snprintf(used_names[o.nused], sizeof used_names[0], "%s", strcmp(name, "--output") == 0 ? "-o" : name);
        o.used[o.nused] = used_names[o.nused];
        o.nused++;
      }
    }
  }
  if (err) return ZC_EXIT_USAGE;
  if (o.version) {
    sqlite3_auto_extension((void (*)(void))sqlite3_zhucan_init);
    sqlite3 *db;
    sqlite3_stmt *st;
    if (sqlite3_open(":memory:", &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT zhucan_version()", -1, &st, NULL) == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW) printf("%s\n", sqlite3_column_text(st, 0));
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return ZC_EXIT_OK;
  }
  if (o.help || cmd < 0) {
    help_print(c, cmd < 0 ? NULL : commands[cmd].name, o.help ? stdout : stderr);
    return o.help ? ZC_EXIT_OK : ZC_EXIT_USAGE;
  }
  for (int k = 0; k < o.nused; k++) {
    char w[40];
    snprintf(w, sizeof w, " %s ", o.used[k]);
    if (!strstr(commands[cmd].opts, w))
      return usage_error(c, T(c, "option %s does not apply to %s", "选项 %s 不适用于 %s"), o.used[k], c->cmd);
  }
  c->progress = !o.no_progress && isatty(2);
  if (o.npos > 0) cli_db_path = o.pos[0];
  if (strcmp(c->cmd, "init") != 0 && o.npos > 1 && access(o.pos[0], F_OK) != 0)
    for (int k = 1; k < o.npos && !cli_other_db; k++)
      if (is_sqlite_file(o.pos[k])) cli_other_db = o.pos[k];
  sqlite3_auto_extension((void (*)(void))sqlite3_zhucan_init);
  signal(SIGINT, on_sigint);
  int rc = commands[cmd].fn(c, &o);
  fflush(stdout);
  if (ferror(stdout)) {
    fprintf(stderr, "zhucan %s: %s\n", c->cmd, T(c, "cannot write the output", "无法写出结果"));
    if (rc == ZC_EXIT_OK) rc = ZC_EXIT_FILE;
  }
  if (c->db) sqlite3_close(c->db);
  return rc;
}
