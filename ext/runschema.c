/*
** runschema.c — the run tables (runschema.h).
**
**   zhucan_run        one row per run: region, month, created_at, the policy
**                     versions used (JSON), the policy horizon, input and
**                     output digests, superseded_by, meals,
**                     subsidised_meals, total_fen; sites (how many sites
**                     the run pays: zhucan_run_cover), supersedes (JSON
**                     array of the runs it replaced), rows_digest (every
**                     stored row of the run) and chain (the link to the run
**                     before it).  See run.c and docs/auditing.md.
**   zhucan_run_pack, _elder, _site, _item   the run's rows (run.c)
**   zhucan_run_cover  the sites the run pays (every site at or under its
**                     region when it was settled): one payer of record per
**                     site and month.
**   zhucan_run_meal, zhucan_run_line   views.
**
** Only settle() writes them.  Every table has BEFORE INSERT, UPDATE and
** DELETE triggers: INSERT (and UPDATE of zhucan_run: superseded_by, and the
** seal of an old run) pass only while zhucan_run_guard() is 1, which it is
** only inside settle() on this connection; the rest always RAISE.  INSERT
** OR REPLACE, UPSERT and UPDATE OR REPLACE fire them too, so no form of
** write gets through.  What triggers cannot stop (DROP TABLE, DROP TRIGGER,
** another program editing the file) run_verify() finds.
**
** Layouts met on the way: runs before packs (zhucan_run_meal a table: kept
** as zhucan_run_meal_v1), before site stats (zhucan_run_site.stats added),
** before chains (columns added, triggers replaced, runs sealed), before
** credit points (the view zhucan_run_line replaced: its 'credit' lines).
*/
#include "runschema.h"
#include "runrec.h"
#include "verify.h"
#include "digest.h"
#include <stdio.h>
#include <string.h>

#define RUN_ERR_IMMUTABLE \
  "runs are immutable and only settle() writes them: settle a new run with settle(region, month, ''supersede'')"

#define RUN_TABLE                                                                                     \
  "CREATE TABLE IF NOT EXISTS zhucan_run(\n"                                                          \
  "  id INTEGER PRIMARY KEY, region TEXT NOT NULL, month TEXT NOT NULL,\n"                            \
  "  created_at TEXT NOT NULL, policy_versions TEXT NOT NULL, policy_horizon INTEGER NOT NULL,\n"     \
  "  input_digest TEXT NOT NULL, output_digest TEXT NOT NULL, superseded_by INTEGER,\n"               \
  "  meals INTEGER NOT NULL, subsidised_meals INTEGER NOT NULL, total_fen INTEGER NOT NULL,\n"        \
  "  sites INTEGER, supersedes TEXT, rows_digest TEXT, chain TEXT);\n"

/* BEFORE triggers of a run table: w, when writes pass under the guard */
#define REFUSE(t, what) "  BEGIN SELECT RAISE(ABORT, '" t ": " RUN_ERR_IMMUTABLE "'); END;\n"
#define GUARDED(t, op) \
  "CREATE TRIGGER IF NOT EXISTS " t "_guard_" op " BEFORE " op " ON " t " WHEN zhucan_run_guard() IS NOT 1\n" REFUSE(t, op)
#define ALWAYS(t, op) "CREATE TRIGGER IF NOT EXISTS " t "_guard_" op " BEFORE " op " ON " t "\n" REFUSE(t, op)
#define ROWS_TABLE(t) GUARDED(t, "insert") ALWAYS(t, "update") ALWAYS(t, "delete")

static const char *zRunSchema =
    RUN_TABLE
    "CREATE INDEX IF NOT EXISTS zhucan_run_month ON zhucan_run(region, month);\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_pack(\n"
    "  seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, elder_id INTEGER NOT NULL,\n"
    "  meals INTEGER NOT NULL, data BLOB NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS zhucan_run_pack_run ON zhucan_run_pack(run_id);\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_elder(\n"
    "  run_id INTEGER NOT NULL, elder_id INTEGER NOT NULL, sex TEXT, birth TEXT, region TEXT,\n"
    "  died_on TEXT, status TEXT, agreement TEXT, bed TEXT,\n"
    "  PRIMARY KEY(run_id, elder_id)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_site(\n"
    "  run_id INTEGER NOT NULL, site_id INTEGER NOT NULL, name TEXT, kind TEXT, grade INTEGER,\n"
    "  beds INTEGER, area_m2 REAL, opened_on TEXT, closed_on TEXT, slots TEXT, region TEXT,\n"
    "  stats TEXT,\n"
    "  PRIMARY KEY(run_id, site_id)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_item(\n"
    "  seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, site_id INTEGER NOT NULL, item TEXT NOT NULL,\n"
    "  payer TEXT NOT NULL, quantity INTEGER NOT NULL, amount_fen INTEGER NOT NULL,\n"
    "  version_id INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS zhucan_run_cover(\n"
    "  run_id INTEGER NOT NULL, site_id INTEGER NOT NULL,\n"
    "  PRIMARY KEY(run_id, site_id)) WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS zhucan_run_cover_site ON zhucan_run_cover(site_id);\n"
    GUARDED("zhucan_run", "insert") GUARDED("zhucan_run", "update") ALWAYS("zhucan_run", "delete")
    ROWS_TABLE("zhucan_run_pack") ROWS_TABLE("zhucan_run_elder") ROWS_TABLE("zhucan_run_site")
    ROWS_TABLE("zhucan_run_item") ROWS_TABLE("zhucan_run_cover");

/* the meals of runs stored before packs: never written again */
static const char *zRunV1Guard =
    ALWAYS("zhucan_run_meal_v1", "insert") ALWAYS("zhucan_run_meal_v1", "update")
    ALWAYS("zhucan_run_meal_v1", "delete");

/* the triggers of layouts before the guard */
static const char *zOldTriggers =
    "DROP TRIGGER IF EXISTS zhucan_run_no_update; DROP TRIGGER IF EXISTS zhucan_run_no_delete;\n"
    "DROP TRIGGER IF EXISTS zhucan_run_pack_no_update; DROP TRIGGER IF EXISTS zhucan_run_pack_no_delete;\n"
    "DROP TRIGGER IF EXISTS zhucan_run_elder_no_update; DROP TRIGGER IF EXISTS zhucan_run_elder_no_delete;\n"
    "DROP TRIGGER IF EXISTS zhucan_run_site_no_update; DROP TRIGGER IF EXISTS zhucan_run_site_no_delete;\n"
    "DROP TRIGGER IF EXISTS zhucan_run_item_no_update; DROP TRIGGER IF EXISTS zhucan_run_item_no_delete;\n"
    "DROP TRIGGER IF EXISTS zhucan_run_meal_no_update; DROP TRIGGER IF EXISTS zhucan_run_meal_no_delete;\n";

/* The views over the stored meals: zhucan_run_meal, one row per meal
** (the packs opened by zhucan_run_unpack, pack.c; and the rows of runs
** stored before packs, when the database has them), and zhucan_run_line. */
#define RUN_MEAL_COLS \
  "seq, run_id, meal_id, elder_id, site_id, served_at, slot, method, device, token, price_fen, " \
  "nth_slot, nth_day, nth_month, version_id, subsidy_fen, parts"
static const char *zRunViews =
    "CREATE VIEW IF NOT EXISTS zhucan_run_meal(" RUN_MEAL_COLS ") AS\n"
    "  SELECT p.seq + u.k, p.run_id, u.meal_id, p.elder_id, u.site_id, u.served_at, u.slot, u.method,\n"
    "         u.device, u.token, u.price_fen, u.nth_slot, u.nth_day, u.nth_month, u.version_id,\n"
    "         u.subsidy_fen, u.parts\n"
    "    FROM zhucan_run_pack p, zhucan_run_unpack(p.data) u%s;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_meal_view_no_insert INSTEAD OF INSERT ON zhucan_run_meal\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_meal: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_meal_view_no_update INSTEAD OF UPDATE ON zhucan_run_meal\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_meal: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS zhucan_run_meal_view_no_delete INSTEAD OF DELETE ON zhucan_run_meal\n"
    "  BEGIN SELECT RAISE(ABORT, 'zhucan_run_meal: " RUN_ERR_IMMUTABLE "'); END;\n"
    "CREATE VIEW IF NOT EXISTS zhucan_run_line(run_id, site_id, meal_id, elder_id, item, payer,\n"
    "  quantity, amount_fen) AS\n"
    "  SELECT m.run_id, m.site_id, m.meal_id, m.elder_id, 'meal', p.key, 1, p.value\n"
    "    FROM zhucan_run_meal m, json_each(m.parts) p WHERE m.parts IS NOT NULL\n"
    "  UNION ALL\n"
    "  SELECT p.run_id, u.site_id, u.meal_id, p.elder_id, 'meal', 'credit', 1, u.credit_fen\n"
    "    FROM zhucan_run_pack p, zhucan_run_unpack(p.data) u WHERE u.credit_fen > 0\n"
    "  UNION ALL\n"
    "  SELECT p.run_id, u.site_id, u.meal_id, p.elder_id, 'meal', 'elder', 1,\n"
    "         u.price_fen - u.subsidy_fen - u.credit_fen\n"
    "    FROM zhucan_run_pack p, zhucan_run_unpack(p.data) u\n"
    "    WHERE u.subsidy_fen > 0 AND u.price_fen - u.subsidy_fen - u.credit_fen <> 0%s\n"
    "  UNION ALL\n"
    "  SELECT run_id, site_id, NULL, NULL, item, payer, quantity, amount_fen FROM zhucan_run_item;\n";

static int exec_sql(sqlite3 *db, const char *sql, char **pzErr) {
  char *e = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &e);
  if (rc != SQLITE_OK && pzErr && !*pzErr) *pzErr = sqlite3_mprintf("settle: %s", e ? e : sqlite3_errstr(rc));
  sqlite3_free(e);
  return rc;
}

/* A database with runs from before packs has zhucan_run_meal as a table:
** it is kept, renamed zhucan_run_meal_v1 (its rows unchanged), and the
** view zhucan_run_meal reads its rows with the packs'. */
/* *old = 1 for a line view from before credit points (no 'credit' line):
** run_tables replaces it. */
static int old_line_view(sqlite3 *db, int *old) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE name = 'zhucan_run_line' AND type = 'view' "
                              "AND sql NOT LIKE '%u.credit_fen%'", -1, &st, NULL);
  if (rc) return rc;
  rc = sqlite3_step(st);
  *old = rc == SQLITE_ROW;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int run_tables(sqlite3 *db, char **pzErr) {
  int rc, v1 = 0, old = 0;
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(db, "SELECT type FROM sqlite_schema WHERE name = 'zhucan_run_meal'", -1, &st,
                               NULL)))
    return rc;
  if (sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "table") == 0) v1 = 1;
  sqlite3_finalize(st);
  if (v1 && (rc = exec_sql(db,
                           "DROP VIEW IF EXISTS zhucan_run_line;"
                           "ALTER TABLE zhucan_run_meal RENAME TO zhucan_run_meal_v1;",
                           pzErr)))
    return rc;
  if (!v1) v1 = zc_table_exists(db, "zhucan_run_meal_v1");
  if ((rc = old_line_view(db, &old))) return rc;
  if (old && (rc = exec_sql(db, "DROP VIEW zhucan_run_line", pzErr))) return rc;
  if ((rc = exec_sql(db, zOldTriggers, pzErr))) return rc;
  if ((rc = exec_sql(db, zRunSchema, pzErr))) return rc;
  if (v1 && (rc = exec_sql(db, zRunV1Guard, pzErr))) return rc;
  char *views = sqlite3_mprintf(zRunViews, v1 ? "\n  UNION ALL SELECT " RUN_MEAL_COLS " FROM zhucan_run_meal_v1" : "",
                                v1 ? "\n  UNION ALL\n  SELECT run_id, site_id, meal_id, elder_id, 'meal', 'elder', 1, price_fen - subsidy_fen\n"
                                     "    FROM zhucan_run_meal_v1 WHERE subsidy_fen > 0 AND price_fen <> subsidy_fen"
                                   : "");
  if (!views) return SQLITE_NOMEM;
  rc = exec_sql(db, views, pzErr);
  sqlite3_free(views);
  return rc;
}

int zc_run_lock(sqlite3 *db, char **pzErr) {
  /* A connection that has read cannot wait for another writer to finish
  ** (each would wait for the other), so SQLite fails its first write at
  ** once, whatever the busy timeout; one that writes first waits its turn.
  ** The write changes nothing: an empty DELETE from zhucan_run, or, in a
  ** database without runs yet, creating that table. */
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "DELETE FROM main.zhucan_run WHERE 0", -1, &st, NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    return exec_sql(db, RUN_TABLE, pzErr);
  }
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int has_column(sqlite3 *db, const char *table, const char *col, int *has) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2", -1, &st, NULL);
  if (rc) return rc;
  sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  *has = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Columns added since the first layout. */
static int run_columns(sqlite3 *db, char **pzErr) {
  static const struct { const char *table, *col, *sql; } add[] = {
      {"zhucan_run_site", "stats", "ALTER TABLE zhucan_run_site ADD COLUMN stats TEXT"},
      {"zhucan_run", "sites", "ALTER TABLE zhucan_run ADD COLUMN sites INTEGER"},
      {"zhucan_run", "supersedes", "ALTER TABLE zhucan_run ADD COLUMN supersedes TEXT"},
      {"zhucan_run", "rows_digest", "ALTER TABLE zhucan_run ADD COLUMN rows_digest TEXT"},
      {"zhucan_run", "chain", "ALTER TABLE zhucan_run ADD COLUMN chain TEXT"},
  };
  for (size_t i = 0; i < sizeof add / sizeof add[0]; i++) {
    int has = 0, rc;
    if (!zc_table_exists(db, add[i].table)) continue;
    if ((rc = has_column(db, add[i].table, add[i].col, &has))) return rc;
    if (!has && (rc = exec_sql(db, add[i].sql, pzErr))) return rc;
  }
  return SQLITE_OK;
}

/* Seals the runs stored before chains, in id order: each gets the rows
** digest of its rows as stored now and its link from the run before. */
static int seal_old_runs(ZcConn *zc, char **pzErr) {
  sqlite3 *db = zc->db;
  sqlite3_int64 unsealed = 0;
  int rc = zc_query_int(db, "SELECT count(*) FROM zhucan_run WHERE chain IS NULL", &unsealed);
  if (rc || unsealed == 0) return rc;
  int v1 = zc_table_exists(db, "zhucan_run_meal_v1");
  sqlite3_stmt *st = NULL, *up = NULL, *npack = NULL;
  char prev[65];
  memset(prev, '0', 64);
  prev[64] = 0;
  rc = sqlite3_prepare_v2(db,
                          "SELECT " ZC_RUN_HEAD_COLS ", chain FROM zhucan_run ORDER BY id",
                          -1, &st, NULL);
  if (!rc) rc = sqlite3_prepare_v2(db, "UPDATE zhucan_run SET rows_digest = ?1, chain = ?2 WHERE id = ?3", -1, &up, NULL);
  if (!rc)
    rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM zhucan_run_pack WHERE seq >= ?1 AND seq < ?2", -1, &npack, NULL);
  while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    sqlite3_int64 id = sqlite3_column_int64(st, 0);
    if (sqlite3_column_type(st, 13) != SQLITE_NULL) {
      snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(st, 13));
      continue;
    }
    sqlite3_bind_int64(npack, 1, id << 32);
    sqlite3_bind_int64(npack, 2, (id + 1) << 32);
    int packed = sqlite3_step(npack) == SQLITE_ROW && sqlite3_column_int64(npack, 0) > 0;
    sqlite3_reset(npack);
    char rows[65], chain[65];
    sqlite3_int64 counts[3];
    if ((rc = zc_run_rows_digest(zc, id, v1 && !packed, rows, counts))) break;
    ZcRunHead h;
    zc_run_head(&h, st, rows);
    if ((rc = zc_chain(prev, &h, chain))) break;
    sqlite3_bind_text(up, 1, rows, -1, SQLITE_STATIC);
    sqlite3_bind_text(up, 2, chain, -1, SQLITE_STATIC);
    sqlite3_bind_int64(up, 3, id);
    rc = sqlite3_step(up);
    sqlite3_reset(up);
    if (rc != SQLITE_DONE) break;
    rc = SQLITE_OK;
    memcpy(prev, chain, sizeof prev);
  }
  sqlite3_finalize(st);
  sqlite3_finalize(up);
  sqlite3_finalize(npack);
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  if (rc && rc != SQLITE_NOMEM && !*pzErr)
    *pzErr = sqlite3_mprintf(zc_tr(zc, "settle: sealing the runs stored before chains: %s", "settle：封存早期保存的批次时出错：%s"), sqlite3_errmsg(db));
  return rc;
}

int zc_run_schema(ZcConn *zc, char **pzErr) {
  sqlite3 *db = zc->db;
  int rc;
  int old = 0;
  if ((rc = run_columns(db, pzErr)) || (rc = old_line_view(db, &old))) return rc;
  /* the newest layout has the cover table's guard and the line view with
  ** 'credit' lines */
  if (old || !zc_table_exists(db, "zhucan_run_pack") || !zc_table_exists(db, "zhucan_run_cover") ||
      !zc_table_exists(db, "zhucan_run_cover_guard_delete")) {
    if ((rc = run_tables(db, pzErr))) return rc;
    if ((rc = run_columns(db, pzErr))) return rc;
  }
  return seal_old_runs(zc, pzErr);
}
