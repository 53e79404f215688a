/*
** fuzz/pageread.c — anomaly_scan's reads of the file's pages
** (ext/pageread.c) over damaged index pages.
**
** Once per process: a database file from sql/schema.sql,
** fixtures/hand/zhongyang.sql under lua/zhongyang.lua, and 4,000 more meals
** over February to April (so both indexes have interior pages, other
** months to seek past, and some entries spill to overflow pages: every
** 97th token is 1,500 bytes long) at page size 1024; its bytes are kept, and
** the pages of meal_elder_time and meal_device_time listed (dbstat).
**
** Input: patches, each 5 bytes then data: the page (2 bytes, taken modulo
** the number of index pages), the offset in it (2 bytes, modulo the page
** size), n (1 byte, 1 to 32), then n bytes written there.  The patched
** image is written to a file of its own, opened, and
** anomaly_scan('141129', '2024-03') stepped to the end.
**
** Invariants: rows, or an error (SQLITE_CORRUPT: malformed, from the page
** reader or from SQLite; SQLITE_ERROR) -- never a crash, a sanitizer
** report, a leak or a hang (libFuzzer's -timeout), never SQLITE_NOMEM on
** this small file (a damaged size must not be believed), SQLITE_MISUSE or
** SQLITE_INTERNAL.
**
** Seeds: fuzz/corpus/pageread/ (a few patches at headers, cell pointers
** and child pointers).
*/
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char fixture[] =
    "@fixtures/hand/zhongyang.sql\n"
    "SELECT policy_load('%ROOT%/lua/zhongyang.lua');\n"
    "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 4000)\n"
    "INSERT INTO meal(id, elder_id, site_id, served_at, slot, method, device, token, price_fen)\n"
    "  SELECT 100 + n, 1 + n % 6, 1 + n % 2,\n"
    "         printf('2024-%02d-%02d %02d:%02d:%02d', 2 + n % 3, 1 + n % 28, 11 + n % 2, n % 60, (n * 7) % 60),\n"
    "         'lunch', CASE n % 5 WHEN 0 THEN 'manual' ELSE 'card' END, 'D' || (n % 7),\n"
    "         CASE WHEN n % 97 = 0 THEN printf('%.1500c', 'x') ELSE 'C' || n END, 1200\n"
    "    FROM k;\n";

static unsigned char *g_img;
static size_t g_n;
static int g_pgsz;
static unsigned g_pages[4096];
static int g_npages;
static char g_path[256];

static void build(void) {
  sqlite3 *db = fz_open_fixture(fixture);
  char base[256];
  snprintf(base, sizeof base, "/tmp/zc_fuzz_pageread_base.%d.db", (int)getpid());
  unlink(base);
  char *sql = sqlite3_mprintf("VACUUM INTO %Q", base);
  fz_exec_ok(db, sql);
  sqlite3_free(sql);
  fz_close(db);
  if (sqlite3_open_v2(base, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) fz_fail("cannot open %s", base);
  fz_exec_ok(db, "PRAGMA page_size = 1024; VACUUM;");
  fz_close(db);
  FILE *f = fopen(base, "rb");
  if (!f) fz_fail("cannot read %s", base);
  fseek(f, 0, SEEK_END);
  g_n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  g_img = malloc(g_n);
  if (!g_img || fread(g_img, 1, g_n, f) != g_n) fz_fail("cannot read %s", base);
  fclose(f);
  if (sqlite3_open_v2(base, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) fz_fail("cannot open %s", base);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db,
                         "SELECT pageno FROM dbstat WHERE name IN ('meal_elder_time', 'meal_device_time') "
                         "ORDER BY pageno",
                         -1, &st, NULL) != SQLITE_OK)
    fz_fail("dbstat: %s", sqlite3_errmsg(db));
  while (sqlite3_step(st) == SQLITE_ROW && g_npages < 4096) g_pages[g_npages++] = (unsigned)sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
    fz_fail("page_size");
  g_pgsz = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  unlink(base);
  if (g_npages < 4 || g_pgsz != 1024) fz_fail("the fixture's indexes: %d pages of %d bytes", g_npages, g_pgsz);
  snprintf(g_path, sizeof g_path, "/tmp/zc_fuzz_pageread.%d.db", (int)getpid());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_init();
  if (!g_img) build();
  unsigned char *img = malloc(g_n);
  if (!img) return 0;
  memcpy(img, g_img, g_n);
  size_t at = 0;
  while (at + 5 <= size) {
    unsigned page = g_pages[((unsigned)data[at] << 8 | data[at + 1]) % (unsigned)g_npages];
    unsigned off = ((unsigned)data[at + 2] << 8 | data[at + 3]) % (unsigned)g_pgsz;
    size_t n = 1 + data[at + 4] % 32;
    at += 5;
    if (n > size - at) n = size - at;
    size_t pos = (size_t)(page - 1) * (size_t)g_pgsz + off;
    for (size_t k = 0; k < n && pos + k < g_n && off + k < (size_t)g_pgsz; k++) img[pos + k] = data[at + k];
    at += n;
  }
  FILE *f = fopen(g_path, "wb");
  if (!f || fwrite(img, 1, g_n, f) != g_n) fz_fail("cannot write %s", g_path);
  fclose(f);
  free(img);
  sqlite3 *db;
  if (sqlite3_open_v2(g_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) fz_fail("cannot open %s", g_path);
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, "SELECT * FROM anomaly_scan('141129', '2024-03')", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      for (int i = 0; i < sqlite3_column_count(st); i++) (void)sqlite3_column_text(st, i);
    sqlite3_finalize(st);
  }
  /* a damaged schema page cannot happen (only index pages are patched),
  ** but SQLite's own reads of them may fail: CORRUPT or ERROR */
  if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CORRUPT && rc != SQLITE_ERROR)
    fz_fail("anomaly_scan on damaged index pages: code %d (%s)", rc, sqlite3_errmsg(db));
  fz_close(db);
  unlink(g_path);
  return 0;
}
