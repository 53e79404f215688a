/*
** tests/tsan/host.c — a tiny SQL host for the ThreadSanitizer run
** (tests/anomaly_tsan.sh): opens DB, loads the extension SO, runs each SQL
** argument and prints its rows ('|' between columns, as the sqlite3
** shell).  Built with clang -fsanitize=thread (tests/tsan/tsan.mk), so the
** TSan runtime is linked into the program: Debian's clang 14 runtime
** cannot be preloaded into an uninstrumented program such as the sqlite3
** shell or python3 (it crashes at start).  Exit 1 on an SQL error.
**
**   build/tsan/host [-serialized] DB build/tsan/zhucan.so "SELECT ..." ...
**
** The connection is opened in multi-thread mode (SQLITE_OPEN_NOMUTEX), as
** the sqlite3 shell's, or with -serialized in serialized mode
** (SQLITE_OPEN_FULLMUTEX, as Python and ODBC open theirs: a thread of the
** extension that called SQLite would wait for the connection's mutex).
** Memory statistics are off (SQLITE_CONFIG_MEMSTATUS): with them, every
** sqlite3_malloc() takes one global mutex, and ThreadSanitizer takes
** those lock and unlock pairs as an order between the two threads' work
** (happens-before), which hides their races.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  sqlite3 *db = NULL;
  char *err = NULL;
  int mode = SQLITE_OPEN_NOMUTEX;
  if (argc > 1 && strcmp(argv[1], "-serialized") == 0) {
    mode = SQLITE_OPEN_FULLMUTEX;
    argc--;
    argv++;
  }
  if (argc < 3) {
    fprintf(stderr, "usage: host [-serialized] DB SO [SQL ...]\n");
    return 2;
  }
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | mode, NULL) != SQLITE_OK || sqlite3_enable_load_extension(db, 1) != SQLITE_OK ||
      sqlite3_load_extension(db, argv[2], NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "%s: %s\n", argv[2], err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_close(db);
    return 1;
  }
  int rc = 0;
  for (int i = 3; i < argc && rc == 0; i++) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, argv[i], -1, &st, NULL) != SQLITE_OK) {
      fprintf(stderr, "Error: %s\n", sqlite3_errmsg(db));
      rc = 1;
      break;
    }
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); c++) {
        const unsigned char *z = sqlite3_column_text(st, c);
        printf("%s%s", c ? "|" : "", z ? (const char *)z : "");
      }
      printf("\n");
    }
    if (r != SQLITE_DONE) {
      fprintf(stderr, "Error: %s\n", sqlite3_errmsg(db));
      rc = 1;
    }
    sqlite3_finalize(st);
  }
  sqlite3_close_v2(db);
  return rc;
}
