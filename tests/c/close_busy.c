/* close_busy.c SO DB — zhucan's state lives exactly as long as the
** connection.  sqlite3_close() answers SQLITE_BUSY while a statement of
** the host's is open; the connection stays open, and every zhucan function
** must go on working on it (the extension used to free its state on the
** close attempt).  Then the statement is finalized, and the close
** succeeds.  Exit 0 when all checks pass; each failure is printed. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int fails;

static void check(sqlite3 *db, const char *sql, const char *want) {
  sqlite3_stmt *st = NULL;
  char got[256] = "";
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(got, sizeof got, "%s", t ? (const char *)t : "NULL");
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) snprintf(got, sizeof got, "error: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  if (strcmp(got, want) != 0) {
    printf("FAIL %s\n  want %s\n  got  %s\n", sql, want, got);
    fails++;
  } else {
    printf("ok   %s -> %s\n", sql, got);
  }
}

static void round_of_calls(sqlite3 *db, const char *total) {
  check(db, "SELECT regexp_like('DEV-0012', '^DEV-\\d+$')", "1");
  check(db, "SELECT idcard_valid('11010519491231002X')", "1");
  check(db, "SELECT sum(amount_fen) FROM settlement('141129', '2024-03')", total);
  check(db, "SELECT subsidy_for(1) IS NOT NULL", "1");
}

int main(int argc, char **argv) {
  sqlite3 *db;
  char *err = NULL;
  if (argc != 3) return 2;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 2;
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, argv[1], NULL, &err) != SQLITE_OK) {
    printf("cannot load %s: %s\n", argv[1], err);
    return 2;
  }
  if (sqlite3_exec(db, "SELECT policy_load('lua/zhongyang.lua')", NULL, NULL, &err) != SQLITE_OK) {
    printf("policy_load: %s\n", err);
    return 2;
  }
  /* the money of the month, computed before any close attempt */
  sqlite3_stmt *st = NULL;
  char total[64] = "";
  sqlite3_prepare_v2(db, "SELECT sum(amount_fen) FROM settlement('141129', '2024-03')", -1, &st, NULL);
  if (sqlite3_step(st) == SQLITE_ROW) snprintf(total, sizeof total, "%s", sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  round_of_calls(db, total);
  /* a statement of the host's, left open: close must refuse */
  sqlite3_prepare_v2(db, "SELECT id FROM meal", -1, &st, NULL);
  sqlite3_step(st);
  int rc = sqlite3_close(db);
  if (rc != SQLITE_BUSY) {
    printf("FAIL sqlite3_close with an open statement answered %d, expected SQLITE_BUSY\n", rc);
    return 1;
  }
  printf("ok   sqlite3_close -> SQLITE_BUSY\n");
  /* the connection is open: zhucan must still work, twice over */
  round_of_calls(db, total);
  round_of_calls(db, total);
  sqlite3_finalize(st);
  rc = sqlite3_close(db);
  if (rc != SQLITE_OK) {
    printf("FAIL the second sqlite3_close answered %d\n", rc);
    fails++;
  } else {
    printf("ok   sqlite3_close -> SQLITE_OK\n");
  }
  return fails ? 1 : 0;
}
