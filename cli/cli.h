/*
** cli.h — the zhucan command-line tool's internal contract.
**
** The tool is the extension linked statically into one executable
** (cli/main.c registers sqlite3_zhucan_init with sqlite3_auto_extension), so
** every command is SQL over zhucan's functions on an ordinary connection:
** no second implementation of anything.  Modules:
**   main.c      options, --help (zh/en), the commands, exit codes
**   out.c       printing rows: a table sized by display width (CJK = 2),
**               JSON, CSV; fen shown as yuan
**   progress.c  the progress bar (sqlite3_progress_handler)
**   export.c    a run's statement as an .xlsx workbook (libxlsxwriter) or CSV
**   notice.c    the month's notice pages of a region (notice_html) and its
**               lapses (notice_due)
*/
#ifndef ZC_CLI_H
#define ZC_CLI_H
#include "cli_plat.h"
#include <sqlite3.h>
#include <stdio.h>

/* Exit codes (docs/cli.md, cli/zhucan.1). */
enum {
  ZC_EXIT_OK = 0,        /* done */
  ZC_EXIT_REFUSED = 1,   /* refused or a data error: zhucan's message printed */
  ZC_EXIT_USAGE = 2,     /* bad command line */
  ZC_EXIT_FOUND = 3,     /* done, and problems found (verify, replay, ingest rejects, scan --strict) */
  ZC_EXIT_FILE = 4,      /* a file cannot be opened, read or written */
  ZC_EXIT_INTERRUPT = 130 /* interrupted (Ctrl-C): nothing stored */
};

typedef struct Cli {
  int zh;                /* messages and headers in Chinese */
  int json;              /* --json */
  int progress;          /* draw the progress bar (stderr is a terminal, or --progress) */
  const char *cmd;       /* the subcommand, for messages */
  sqlite3 *db;
} Cli;

/* T(cli, english, chinese) */
#define T(c, en_, zh_) ((c)->zh ? (zh_) : (en_))

/* out.c */
int out_width(const char *s);                       /* display columns of UTF-8 text */
void out_yuan(char *buf, size_t n, sqlite3_int64 fen);
void out_json_string(FILE *f, const char *s);
void out_json_value(FILE *f, sqlite3_stmt *st, int col);
/* Steps st to the end printing every row: a table (fen columns as yuan) or,
** with json, an array of objects.  Answers the row count, or -1 on error
** (sqlite3_errmsg of the connection says why). */
long long out_rows(Cli *c, sqlite3_stmt *st, FILE *f);
void out_csv_field(FILE *f, const char *s);
const char *out_header(Cli *c, const char *col);    /* a column's header in the user's language */

/* progress.c — a bar on stderr while one statement runs.  kind picks how
** meals done are counted: PROG_MONTH (the month pass of settle and replay),
** PROG_SCAN (anomaly_scan's read), PROG_LINES (ingest: lines, counted by
** the SQL function zhucan_cli_line that the command adds), PROG_SITES
** (notice: pages written, progress_count). */
enum { PROG_MONTH, PROG_SCAN, PROG_LINES, PROG_SITES };
typedef struct Progress Progress;
Progress *progress_start(Cli *c, int kind, const char *label, long long total, const char *first,
                         const char *next);
void progress_phase(Progress *p, const char *label, long long total);
/* PROG_SITES: done so far, counted by the caller (redrawn at most 10 times a second) */
void progress_count(Progress *p, long long done);
void progress_end(Progress *p, int ok);
int progress_register_line_fn(sqlite3 *db, Progress **slot);
extern volatile int cli_interrupted;

/* help.c: answers 0 when cmd is not a command */
int help_print(Cli *c, const char *cmd, FILE *f);

/* export.c */
int export_run(Cli *c, long long run, const char *path, int by_township, int csv);

/* notice.c */
int notice_run(Cli *c, const char *region, const char *month, const char *dir, int due_only);
void notice_safe_name(char *out, size_t n, const char *s);

/* sql text embedded at build time (build/cli/sql.c, made from sql/schema.sql and sql/statement.sql) */
extern const char cli_sql_schema[];
extern const char cli_sql_statement[];
#endif
