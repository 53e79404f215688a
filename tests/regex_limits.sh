#!/bin/bash
# The work of one regexp call is bounded, and every regexp function stops
# soon after sqlite3_interrupt() or a progress handler asking to stop:
#   1. a C host (below) runs statements that would take seconds to minutes
#      (patterns that rescan the rest of the text from every position) and
#      stops each after 100 ms, once with sqlite3_interrupt() from another
#      thread and once with a progress handler; each must fail with
#      SQLITE_INTERRUPT within 250 ms of the request (about 10 ms is usual;
#      the margin is for a loaded machine), the connection must work after,
#      and under ASan nothing may leak;
#   2. without an interrupt the same kind of call ends with the time-budget
#      error (1 s + 1 us per byte of text) instead of running on: before the
#      budget, regexp_replace(200 KB of 'a', '\w*c|a', '-') took about a
#      minute (the interrupt noticed 80 s late, the progress handler never),
#      regexp_like(40 KB of 'a', '(?:\w|-)*c|x') 10 s.
# modes: plain asan
set -eu
flags="-O1 -g"
[ "$ZC_MODE" = asan ] && flags="$flags -fsanitize=address,undefined -fno-sanitize-recover=all"
cat > host.c <<'EOF'
#include <sqlite3.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sqlite3 *db;
static double t_start, t_request;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}
static void *interrupter(void *p) {
  (void)p;
  usleep(100000);
  t_request = now();
  sqlite3_interrupt(db);
  return NULL;
}
static int progress(void *p) {
  (void)p;
  if (now() - t_start < 0.1) return 0;
  if (t_request == 0) t_request = now();
  return 1;
}

/* Runs sql, stopped after 100 ms by mode; 0 when it stopped as it must. */
static int stop_one(const char *mode, const char *fn, const char *sql) {
  pthread_t th;
  sqlite3_stmt *st = NULL;
  t_request = 0;
  t_start = now();
  int threaded = strcmp(mode, "sqlite3_interrupt") == 0;
  if (threaded) pthread_create(&th, NULL, interrupter, NULL);
  else sqlite3_progress_handler(db, 100, progress, NULL);
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) do rc = sqlite3_step(st); while (rc == SQLITE_ROW);
  double t_end = now();
  if (threaded) pthread_join(th, NULL);
  sqlite3_progress_handler(db, 0, NULL, NULL);
  char msg[200];
  snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  double late = t_request > 0 ? (t_end - t_request) * 1000 : -1;
  char want[64];
  snprintf(want, sizeof want, "%s: interrupted", fn);
  int ok = rc == SQLITE_INTERRUPT && (strcmp(msg, want) == 0 || strcmp(msg, "interrupted") == 0) &&
           late >= 0 && late < 250;
  printf("%-4s %-17s %-14s stopped %6.1f ms after the request: %s\n", ok ? "ok" : "FAIL", mode, fn,
         late, msg);
  /* the connection goes on working */
  char *err = NULL;
  int rc2 = sqlite3_exec(db, "SELECT regexp_replace('abc', 'b', 'x')", NULL, NULL, &err);
  if (rc2 != SQLITE_OK) {
    printf("FAIL after the interrupt: %s\n", err ? err : "?");
    ok = 0;
  }
  sqlite3_free(err);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  /* seconds to minutes each without a stop: a minute of matches that each
  ** scan the rest of the text, or one search that does so from every
  ** position (10 s for 40 KB before the windows) */
  static const char *const cases[][2] = {
      {"regexp_replace", "SELECT length(regexp_replace(printf('%.*c', 200000, 'a'), '\\w*c|a', '-'))"},
      {"regexp_like", "SELECT regexp_like(printf('%.*c', 40000, 'a'), '(?:\\w|-)*c|x')"},
      {"regexp_substr", "SELECT regexp_substr(printf('%.*c', 40000, 'a'), '(?:\\w|-)*c|x')"},
      {"regexp_capture", "SELECT regexp_capture(printf('%.*c', 40000, 'a'), '((?:\\w|-)*c|x)', 1)"},
      {"regexp", "SELECT printf('%.*c', 40000, 'a') REGEXP '(?:\\w|-)*c|x'"},
  };
  static const char *const modes[] = {"sqlite3_interrupt", "progress handler"};
  if (argc < 2) return 2;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 2;
  sqlite3_enable_load_extension(db, 1);
  char *err = NULL;
  if (sqlite3_load_extension(db, argv[1], NULL, &err) != SQLITE_OK) {
    printf("cannot load %s: %s\n", argv[1], err ? err : "?");
    return 2;
  }
  int fails = 0;
  for (size_t m = 0; m < 2; m++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      fails += stop_one(modes[m], cases[i][0], cases[i][1]);
  if (sqlite3_close(db) != SQLITE_OK) {
    printf("FAIL close: %s\n", sqlite3_errmsg(db));
    fails++;
  }
  return fails ? 1 : 0;
}
EOF
gcc $flags -o host host.c $(pkg-config --cflags --libs sqlite3) -lpthread
fail=0
ASAN_OPTIONS=detect_leaks=1 ./host "$ZC_SO" || fail=1

# 2. the time budget, through the shell; `timeout` turns "runs for a
# minute" into a failure rather than a hang
budget() { # label sql [answer: a correct result within the time is fine too]
  local t0 t1 out
  t0=$(date +%s%N)
  out=$(timeout 60 $SQLITE3 -batch -cmd ".load $ZC_SO" :memory: "$2" 2>&1) || true
  t1=$(date +%s%N)
  local ms=$(( (t1 - t0) / 1000000 ))
  if printf '%s' "$out" | grep -q "the search ran longer than a call may" && [ "$ms" -lt 10000 ]; then
    echo "ok   budget $1: stopped after $ms ms: $(printf '%s' "$out" | cut -c1-150)"
  elif [ -n "${3:-}" ] && [ "$out" = "$3" ] && [ "$ms" -lt 10000 ]; then
    echo "ok   budget $1: finished within the budget, $ms ms, with the right answer $out"
  else
    echo "FAIL budget $1: $ms ms: $(printf '%s' "$out" | cut -c1-300)"
    fail=1
  fi
}
budget "replace 200 KB" "SELECT length(regexp_replace(printf('%.*c', 200000, 'a'), '\w*c|a', '-'))"
budget "like 40 KB" "SELECT regexp_like(printf('%.*c', 40000, 'a'), '(?:\w|-)*c|x')"
# (on a fast machine this one can finish inside the budget: then its answer must be right)
budget "replace 20 KB, empty matches" "SELECT length(regexp_replace(printf('%.*c', 20000, 'a'), '(?:a|b)*?c|', '-'))" 40001
exit $fail
