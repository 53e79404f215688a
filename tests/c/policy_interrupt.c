/* policy_interrupt.c SO DB LIMIT_MS — every long policy call stops soon
** after sqlite3_interrupt() or a progress handler asking to stop (issue
** #12, finding 2): a rule call, policy_test, policy_install and policy_load
** of a chunk that spins, policy_install running a version's heavy cases.  Each statement is stopped DELAY ms after it
** starts, by another thread calling sqlite3_interrupt() or by the progress
** handler answering non-zero from then on; it must fail within LIMIT_MS of
** that moment with an error saying it was interrupted (not the budget's,
** which would come later), policy_test, policy_install and policy_load
** with the code SQLITE_INTERRUPT too (what a host tests; policy_install and
** policy_load answered SQLITE_ERROR before), and the connection must
** answer a normal call afterwards.  Exit 0 when all checks pass; each result is printed. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fails;
static long limit_ms;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct Stopper {
  sqlite3 *db;
  double at;        /* when to stop (now_ms) */
} Stopper;

static void *interrupter(void *p) {
  Stopper *s = p;
  double wait = s->at - now_ms();
  if (wait > 0) usleep((useconds_t)(wait * 1000));
  sqlite3_interrupt(s->db);
  return NULL;
}

static int progress(void *p) {
  return now_ms() >= ((Stopper *)p)->at;
}

/* Runs sql, stopped delay ms after it starts (by_progress: through the
** progress handler, else sqlite3_interrupt from a thread); with want_code,
** the host must get SQLITE_INTERRUPT as the code as well. */
static void stopped(sqlite3 *db, const char *what, const char *sql, double delay, int by_progress,
                    int want_code) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    printf("FAIL %s: cannot prepare: %s\n", what, sqlite3_errmsg(db));
    fails++;
    return;
  }
  Stopper s = {db, now_ms() + delay};
  pthread_t th;
  if (by_progress) sqlite3_progress_handler(db, 100, progress, &s);
  else pthread_create(&th, NULL, interrupter, &s);
  int rc = sqlite3_step(st);
  double late = now_ms() - s.at;
  if (by_progress) sqlite3_progress_handler(db, 0, NULL, NULL);
  else pthread_join(th, NULL);
  int code = sqlite3_extended_errcode(db);
  char msg[300];
  snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  const char *how = by_progress ? "progress handler" : "sqlite3_interrupt";
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
    printf("FAIL %s (%s): finished instead of stopping (%.0f ms after the stop)\n", what, how, late);
    fails++;
  } else if (!strstr(msg, "interrupt")) {
    printf("FAIL %s (%s): %.0f ms after the stop: not an interrupt: %.200s\n", what, how, late, msg);
    fails++;
  } else if (want_code && (rc != SQLITE_INTERRUPT || code != SQLITE_INTERRUPT)) {
    /* the host tells an interrupt from a failure by the code, not the text */
    printf("FAIL %s (%s): the host gets code %d (%s), errcode %d, not SQLITE_INTERRUPT: %.200s\n", what, how,
           rc, sqlite3_errstr(rc), code, msg);
    fails++;
  } else if (late > limit_ms) {
    printf("FAIL %s (%s): stopped %.0f ms after the stop (at most %ld)\n", what, how, late, limit_ms);
    fails++;
  } else {
    printf("ok   %s (%s): stopped %.0f ms after the stop, code %d: %.120s\n", what, how, late, rc, msg);
  }
}

static void check(sqlite3 *db, const char *sql, const char *want) {
  sqlite3_stmt *st = NULL;
  char got[300] = "";
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(got, sizeof got, "%s", t ? (const char *)t : "NULL");
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) snprintf(got, sizeof got, "error: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  if (strcmp(got, want) != 0) {
    printf("FAIL %s\n  want %s\n  got  %.200s\n", sql, want, got);
    fails++;
  } else {
    printf("ok   %s -> %s\n", sql, got);
  }
}

/* A rule that spins ('spin'), heavy test cases, a chunk that spins; each
** step heavy (comparing two 4 KiB strings), so the budget would take about
** a second: the stop must come first.  'slow' has 15 cases that pass, each
** about half a call's budget (its install runs them all once, ~1 s); 'many'
** has 2,000 cases that spin, which policy_install runs before it would
** install it (and would refuse it for its budget, long after the stop). */
#define SPIN_CHUNK \
  "local a, b = string.rep(\"x\", 4000) .. \"a\", string.rep(\"x\", 4000) .. \"a\" while true do local _ = a < b end"
static const char *const setup =
    "SELECT policy_install('local A, B = string.rep(\"x\", 4000) .. \"a\", string.rep(\"x\", 4000) .. \"a\""
    " return { name = \"zhongyang\", effective_from = \"2024-03-01\", payers = { \"county\" },"
    "  eligible = function(e, day, service)"
    "    if service == \"spin\" then while true do local _ = A < B end end"
    "    return true, \"normal\""
    "  end,"
    "  meal = function() return { county = 100 }, \"flat\" end }', 'a fixture of tests/c/policy_interrupt.c');"
    "SELECT policy_install('return { name = \"slow\", effective_from = \"2024-03-01\", payers = { \"county\" },"
    "  eligible = function(e, day, service) local a, b = (\"x\"):rep(4000) .. \"a\", (\"x\"):rep(4000) .. \"a\""
    "    for i = 1, 1000000 do local _ = a < b end return true end, meal = function() return {} end,"
    "  tests = (function() local t = {} for i = 1, 15 do"
    "    t[i] = { name = \"c\" .. i, call = \"eligible\", elder = {}, day = \"2024-03-05\", service = \"s\" .. i,"
    "             expect = true } end return t end)() }');";
#define MANY \
  "SELECT policy_install('return { name = \"many\", effective_from = \"2024-03-01\", payers = { \"county\" }," \
  "  eligible = function(e, day, service) local a, b = (\"x\"):rep(4000) .. \"a\", (\"x\"):rep(4000) .. \"a\"" \
  "    while true do local _ = a < b end end, meal = function() return {} end," \
  "  tests = (function() local t = {} for i = 1, 2000 do" \
  "    t[i] = { name = \"c\" .. i, call = \"eligible\", elder = {}, day = \"2024-03-05\", service = \"s\" .. i," \
  "             expect = true } end return t end)() }')"

int main(int argc, char **argv) {
  sqlite3 *db;
  char *err = NULL;
  if (argc != 4) return 2;
  limit_ms = atol(argv[3]);
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 2;
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, argv[1], NULL, &err) != SQLITE_OK) {
    printf("cannot load %s: %s\n", argv[1], err);
    return 2;
  }
  if (sqlite3_exec(db, setup, NULL, NULL, &err) != SQLITE_OK) {
    printf("setup: %s\n", err);
    return 2;
  }
  FILE *f = fopen("spin.lua", "w");
  if (!f) return 2;
  fputs(SPIN_CHUNK "\nreturn {}\n", f);
  fclose(f);
  for (int p = 0; p < 2; p++) {
    /* a rule call's code is not checked: eligible() and the other rule
    ** functions still answer SQLITE_ERROR with the interrupt's message */
    stopped(db, "a rule call", "SELECT eligible(1, '2024-03-05', 'spin')", 30, p, 0);
    check(db, "SELECT eligible(1, '2024-03-05', 'after')", "1");
    stopped(db, "policy_test of 15 heavy cases", "SELECT policy_test('slow')", 50, p, 1);
    check(db, "SELECT eligible(1, '2024-03-06', 'after')", "1");
    stopped(db, "policy_install running 2000 heavy cases", MANY, 50, p, 1);
    check(db, "SELECT count(*) FROM zhucan_policy WHERE name = 'many'", "0");
    stopped(db, "policy_install of a chunk that spins",
            "SELECT policy_install('" SPIN_CHUNK " return {}')", 30, p, 1);
    stopped(db, "policy_load of a chunk that spins", "SELECT policy_load('spin.lua')", 30, p, 1);
    check(db, "SELECT eligible(1, '2024-03-07', 'after')", "1");
  }
  if (sqlite3_close(db) != SQLITE_OK) {
    printf("FAIL close: %s\n", sqlite3_errmsg(db));
    fails++;
  }
  return fails ? 1 : 0;
}
