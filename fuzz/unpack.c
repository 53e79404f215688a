/*
** fuzz/unpack.c — the meal-pack decoder (ext/pack.c) on arbitrary blobs.
**
** Input: a blob.  First `SELECT * FROM zhucan_run_unpack(?)` on a bare
** connection.  When that decodes without error, the blob also replaces the
** first pack of a stored run on a copy of a settled database
** (fixtures/hand/zhongyang.sql settled for 141129, 2024-03 under
** lua/zhongyang.lua; the packs' no-update triggers dropped on the copy), and
** the readers of stored runs go through it: replay(1) (which decodes packs
** itself), the views zhucan_run_meal and zhucan_run_line.
**
** Invariants (docs/ref/zhucan_run_unpack.md): k counts 0, 1, 2 ...; an
** error is a message, never a crash.
**
** Seeds: real packs of a run settled on data/small.db (fuzz/seeds.sh).
*/
#include "common.h"
#include <stdio.h>
#include <string.h>

static const char fixture[] =
    "@fixtures/hand/zhongyang.sql\n"
    "SELECT policy_load('%ROOT%/lua/zhongyang.lua');\n"
    "SELECT settle('141129', '2024-03');\n";

static int g_no_store; /* the stored-run half is unavailable (tables changed) */

static void stored_run(const uint8_t *data, size_t size) {
  sqlite3 *db = fz_open_fixture(fixture);
  /* drop the triggers guarding the packs (this copy is ours) */
  sqlite3_stmt *tr;
  char names[8][128];
  int nt = 0;
  if (sqlite3_prepare_v2(db,
          "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'zhucan_run_pack'",
          -1, &tr, NULL) != SQLITE_OK)
    goto unavailable;
  while (sqlite3_step(tr) == SQLITE_ROW && nt < 8)
    snprintf(names[nt++], sizeof names[0], "%s", (const char *)sqlite3_column_text(tr, 0));
  sqlite3_finalize(tr);
  for (int i = 0; i < nt; i++) {
    char *sql = sqlite3_mprintf("DROP TRIGGER \"%w\"", names[i]);
    fz_exec_ok(db, sql);
    sqlite3_free(sql);
  }
  sqlite3_stmt *up;
  if (sqlite3_prepare_v2(db,
          "UPDATE zhucan_run_pack SET data = ?1"
          " WHERE seq = (SELECT min(seq) FROM zhucan_run_pack WHERE run_id = 1)",
          -1, &up, NULL) != SQLITE_OK)
    goto unavailable;
  fz_bind_blob(up, 1, data, size);
  fz_run(up, NULL);
  sqlite3_finalize(up);
  static const char *const readers[] = {
      "SELECT * FROM replay(1)",
      "SELECT * FROM zhucan_run_meal WHERE run_id = 1",
      "SELECT * FROM zhucan_run_line WHERE run_id = 1",
  };
  for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, readers[i], -1, &st, NULL) != SQLITE_OK) goto unavailable;
    fz_run(st, NULL);
    sqlite3_finalize(st);
  }
  fz_close(db);
  return;
unavailable:
  fprintf(stderr, "unpack: stored-run half disabled: %s\n", sqlite3_errmsg(db));
  g_no_store = 1;
  fz_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sqlite3 *db = fz_open();
  sqlite3_stmt *st = fz_prepare(db, "SELECT k FROM zhucan_run_unpack(?1)");
  sqlite3_stmt *all = fz_prepare(db, "SELECT * FROM zhucan_run_unpack(?1)");
  fz_bind_blob(st, 1, data, size);
  fz_bind_blob(all, 1, data, size);
  int rc, k = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_int(st, 0) != k) fz_fail("row %d has k = %d", k, sqlite3_column_int(st, 0));
    k++;
  }
  fz_finish(st, rc);
  int ok = fz_run(all, NULL) == SQLITE_DONE;
  sqlite3_finalize(st);
  sqlite3_finalize(all);
  fz_close(db);
  if (ok && !g_no_store) stored_run(data, size);
  return 0;
}
