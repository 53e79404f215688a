/*
** progress.c — the progress bar of settle, replay, scan and ingest.
**
** Drawn on stderr only when it is a terminal: meals (or lines) done / total,
** the rate, the time left.  sqlite3_progress_handler calls progress_tick
** every PROG_OPS virtual-machine instructions of the connection (zhucan's
** own statements run on it too); at most ten times a second the bar is
** redrawn.
**
** How "done" is known, without touching ext/:
**   settle, replay (PROG_MONTH) and scan (PROG_SCAN): zhucan reads a
**   month's meals through one of three prepared statements whose SQL text
**   is fixed (ext/meals.c zc_month_scan_open, ext/anomaly_read.c).  The
**   handler finds them with sqlite3_next_stmt and reads their instruction
**   counters (SQLITE_STMTSTATUS_VM_STEP, _RUN).  Each statement costs a
**   fixed number of instructions per run and per row returned; both are
**   measured before the work starts by running a private copy of the same
**   SQL once over no row and once over up to 1,024 rows (calibrate).  Rows
**   = (steps - runs * per_run) / per_row: the meals read so far, exact up
**   to the rows a run reads beyond its month (one per elder re-seek).
**   The total is a count query run first (main.c).
**   ingest (PROG_LINES): the recipe's WHERE clause calls zhucan_cli_line(line),
**   which records the highest line number seen and answers 1; the total is
**   the file's line count.  Exact.
** ZHUCAN_PROGRESS_LOG=file appends every drawn frame and, at the end, the
** estimate against the total (tests/cli_progress.sh checks it).
*/
#include "cli.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG_OPS 4096
#define SCAN_COLS "elder_id, id, site_id, served_at, slot, method, device, token, price_fen"

volatile int cli_interrupted;

typedef struct Meter {
  const char *sql;
  double per_run, per_row;
  int ok;
} Meter;

struct Progress {
  Cli *c;
  int kind;
  const char *label;
  long long total, done, lines;
  double est;                 /* the last estimate, uncapped */
  Meter m[2];
  int nm;
  struct timespec t0, last;
  int drawn;
  FILE *log;
};

static double secs(struct timespec a, struct timespec b) {
  return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

typedef struct Bind { int isint; sqlite3_int64 i; const char *t; } Bind;

/* Runs sql with binds, stepping at most max rows: answers the instructions
** used, and the rows in *rows. */
static double run_count(sqlite3 *db, const char *sql, const Bind *b, int nb, int max, int *rows) {
  sqlite3_stmt *st = NULL;
  *rows = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  for (int i = 0; i < nb; i++) {
    if (b[i].isint) sqlite3_bind_int64(st, i + 1, b[i].i);
    else sqlite3_bind_text(st, i + 1, b[i].t, -1, SQLITE_STATIC);
  }
  int rc;
  while (*rows < max && (rc = sqlite3_step(st)) == SQLITE_ROW) (*rows)++;
  double steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
  sqlite3_finalize(st);
  return steps;
}

/* per_run: a run over no row; per_row: the extra instructions of a row. */
static void calibrate(sqlite3 *db, Meter *m, const Bind *none, const Bind *some, int nb) {
  int r0, r1;
  double s0 = run_count(db, m->sql, none, nb, 1, &r0);
  double s1 = run_count(db, m->sql, some, nb, 1024, &r1);
  m->ok = s0 >= 0 && s1 > s0 && r0 == 0 && r1 > 0;
  if (!m->ok) return;
  m->per_run = s0;
  m->per_row = (s1 - s0) / r1;
}

static void set_meters(Progress *p, const char *first, const char *next) {
  sqlite3 *db = p->c->db;
  if (p->kind == PROG_MONTH) {
    Meter *a = &p->m[p->nm++], *b = &p->m[p->nm++];
    a->sql = "SELECT " SCAN_COLS " FROM meal WHERE (elder_id, served_at) >= (?1, ?2) "
             "ORDER BY elder_id, served_at, id";
    Bind n1[] = {{1, INT64_MAX, NULL}, {0, 0, "9999-12-31"}}, s1[] = {{1, INT64_MIN, NULL}, {0, 0, first}};
    calibrate(db, a, n1, s1, 2);
    b->sql = "SELECT " SCAN_COLS " FROM meal WHERE elder_id=?1 AND served_at>=?2 AND served_at<?3 "
             "ORDER BY served_at, id";
    sqlite3_int64 e = INT64_MIN;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT elder_id FROM meal WHERE served_at >= ?1 AND served_at < ?2 LIMIT 1", -1,
                           &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, first, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, next, -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW) e = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    Bind n2[] = {{1, INT64_MIN, NULL}, {0, 0, first}, {0, 0, next}}, s2[] = {{1, e, NULL}, {0, 0, first}, {0, 0, next}};
    calibrate(db, b, n2, s2, 3);
  } else if (p->kind == PROG_SCAN) {
    Meter *a = &p->m[p->nm++];
    a->sql = "SELECT id, elder_id, site_id, served_at, slot, method, device, token FROM meal "
             "WHERE served_at >= ?1 AND served_at < ?2 ORDER BY served_at, id";
    Bind n[] = {{0, 0, "9999-12-31"}, {0, 0, "9999-12-31"}}, s[] = {{0, 0, first}, {0, 0, next}};
    calibrate(db, a, n, s, 2);
  }
}

static double estimate(Progress *p) {
  if (p->kind == PROG_LINES || p->kind == PROG_SITES) return (double)p->lines;
  double rows = 0;
  for (sqlite3_stmt *st = sqlite3_next_stmt(p->c->db, NULL); st; st = sqlite3_next_stmt(p->c->db, st)) {
    const char *sql = sqlite3_sql(st);
    for (int i = 0; sql && i < p->nm; i++) {
      if (!p->m[i].ok || strcmp(sql, p->m[i].sql) != 0) continue;
      double steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
      double runs = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_RUN, 0);
      double r = (steps - runs * p->m[i].per_run) / p->m[i].per_row;
      if (r > 0) rows += r;
    }
  }
  return rows;
}

static void group(char *b, size_t n, long long v) {
  char t[32];
  int len = snprintf(t, sizeof t, "%lld", v), k = 0;
  size_t o = 0;
  for (int i = 0; i < len && o + 2 < n; i++) {
    b[o++] = t[i];
    k = len - i - 1;
    if (k > 0 && k % 3 == 0 && t[i] != '-') b[o++] = ',';
  }
  b[o] = 0;
}

static void draw(Progress *p, int final) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double el = secs(p->t0, now), rate = el > 0 ? (double)p->done / el : 0;
  int cols = 80;
  int w = cli_plat_cols();
  if (w > 20) cols = w;
  int barw = cols >= 100 ? 30 : cols >= 72 ? 20 : 10;
  char bar[64], d[32], t[32], r[32], tail[48];
  int fill = p->total > 0 ? (int)((double)p->done * barw / (double)p->total) : 0;
  if (fill > barw) fill = barw;
  for (int i = 0; i < barw; i++) bar[i] = i < fill ? '#' : '.';
  bar[barw] = 0;
  group(d, sizeof d, p->done);
  group(t, sizeof t, p->total);
  if (p->kind == PROG_SITES && rate < 10) snprintf(r, sizeof r, "%.1f", rate);
  else group(r, sizeof r, (long long)rate);
  const char *unit = p->kind == PROG_LINES   ? T(p->c, "lines", "行")
                     : p->kind == PROG_SITES ? T(p->c, "sites", "个站点")
                                             : T(p->c, "meals", "餐");
  if (final) snprintf(tail, sizeof tail, "%s %.1f s", T(p->c, "done in", "用时"), el);
  else if (rate > 0 && p->total > p->done) {
    long long left = (long long)((double)(p->total - p->done) / rate + 0.5);
    snprintf(tail, sizeof tail, "%s %lld:%02lld", T(p->c, "left", "剩余"), left / 60, left % 60);
  } else snprintf(tail, sizeof tail, "%s", T(p->c, "left ?", "剩余 ?"));
  fprintf(stderr, "\r%s [%s] %s/%s %s  %s %s/s  %s\033[K", p->label, bar, d, t, unit, r,
          !p->c->zh ? unit : p->kind == PROG_LINES ? "行" : p->kind == PROG_SITES ? "个" : "餐", tail);
  if (final) fputc('\n', stderr);
  fflush(stderr);
  p->drawn = 1;
  if (p->log) {
    fprintf(p->log, "%s %.3f done=%lld total=%lld est=%.0f\n", final ? "end" : "frame", el, p->done, p->total,
            p->est);
    fflush(p->log);
  }
}

static int tick(void *arg) {
  Progress *p = arg;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (secs(p->last, now) < 0.1) return 0;
  p->last = now;
  p->est = estimate(p);
  long long d = (long long)p->est;
  if (d > p->total) d = p->total;
  if (d > p->done) p->done = d;
  draw(p, 0);
  return 0;
}

Progress *progress_start(Cli *c, int kind, const char *label, long long total, const char *first,
                         const char *next) {
  if (!c->progress) return NULL;
  Progress *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->c = c;
  p->kind = kind;
  p->label = label;
  p->total = total;
  const char *lg = getenv("ZHUCAN_PROGRESS_LOG");
  if (lg && *lg) p->log = fopen(lg, "a");
  if (first && next) set_meters(p, first, next);
  clock_gettime(CLOCK_MONOTONIC, &p->t0);
  p->last = p->t0;
  sqlite3_progress_handler(c->db, PROG_OPS, tick, p);
  return p;
}

void progress_count(Progress *p, long long done) {
  if (!p) return;
  p->lines = done;
  tick(p);
}

/* A second statement of the same command (ingest's list of rejects). */
void progress_phase(Progress *p, const char *label, long long total) {
  if (!p) return;
  if (p->drawn) draw(p, 1);
  p->label = label;
  p->total = total;
  p->done = p->lines = 0;
  p->est = 0;
  p->drawn = 0;
  clock_gettime(CLOCK_MONOTONIC, &p->t0);
  p->last = p->t0;
}

void progress_end(Progress *p, int ok) {
  if (!p) return;
  sqlite3_progress_handler(p->c->db, 0, NULL, NULL);
  p->est = estimate(p);
  if (ok) {
    p->done = p->total;
    draw(p, 1);
  } else if (p->drawn) {
    fputc('\n', stderr);
  }
  if (p->log) fclose(p->log);
  free(p);
}

static void line_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  Progress **slot = sqlite3_user_data(ctx);
  if (*slot) {
    long long l = sqlite3_value_int64(argv[0]);
    if (l > (*slot)->lines) (*slot)->lines = l;
  }
  sqlite3_result_int(ctx, 1);
}

int progress_register_line_fn(sqlite3 *db, Progress **slot) {
  return sqlite3_create_function(db, "zhucan_cli_line", 1, SQLITE_UTF8, slot, line_fn, NULL, NULL);
}
