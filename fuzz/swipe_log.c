/*
** fuzz/swipe_log.c — device exports through swipe_log(path, format).
**
** Input: one control byte C, then (for padded inputs) one byte K, then the
** file's bytes.  C & 3 picks the format:
**   0 'csv'   1 'terminal'
**   2 a custom PCRE2 pattern with every optional group (site, slot, price)
**   3 a custom pattern read from the input: its first line is the pattern,
**     the rest is the file
** (C >> 2) & 3 pads the file in front, so a small input reaches the
** reader's limits (docs/ref/swipe_log.md: lines of at most 65,536 bytes, a
** 256 KiB buffer):
**   1 a first line of 65,528 + K % 16 bytes running into the input (a line
**     just under, at or over the limit)
**   2 whole CSV lines filling 262,144 - 40 + K % 64 bytes (the input
**     straddles a buffer refill)
**   3 one line of 262,136 + K % 16 bytes (an over-long line across a
**     refill)
** The bytes are written to a per-process file under /dev/shm (else
** $TMPDIR, else /tmp) and read on a copy of a database holding
** sql/schema.sql, fixtures/hand/zhongyang.sql (its county governed by
** lua/zhongyang.lua, so slots come from policy windows),
** fixtures/swipes/setup.sql and a few more devices and cards (valid,
** revoked, not issued yet, with bad dates, on a missing site), so every
** lookup runs.
**
** Invariants (docs/ref/swipe_log.md, docs/ingest.md): one row per line of
** the file, numbered 1, 2, 3 ... in order (nothing vanishes); raw is at
** most 65,536 bytes; a row without error has a normalised time
** 'YYYY-MM-DD HH:MM:SS', a device, a site, a method and a slot from the
** vocabulary and an elder.
*/
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 65536
#define BUF_BYTES (4 * LINE_MAX_BYTES)

static const char fixture[] =
    "@fixtures/hand/zhongyang.sql\n"
    "@fixtures/swipes/setup.sql\n"
    "INSERT INTO device(id, site_id) VALUES ('D1', 1), ('D2', 2), ('D3', 3), ('D9', 77);\n"
    "INSERT INTO card(token, elder_id, issued_on, revoked_on) VALUES\n"
    "  ('C1', 1, '2023-01-01', NULL), ('C2', 2, '2023-01-01', NULL),\n"
    "  ('C3', 3, '2023-01-01', '2024-03-10'), ('C5', 5, '2024-04-01', NULL),\n"
    "  ('F2', 2, '2024-02-01', NULL), ('C6', 6, '2024-13-01', NULL), ('C7', 99, 'x', 'y');\n"
    "SELECT policy_load('%ROOT%/lua/zhongyang.lua');\n";

static const char custom_pattern[] =
    "^(?<at>[^|]+)\\|(?<site>\\d*)\\|(?<device>[^|]+)\\|(?<method>[^|]+)\\|(?<token>[^|]+)"
    "\\|(?<slot>[^|]*)\\|(?<price>[^|]*)$";

static char g_path[512];

static void remove_file(void) {
  if (g_path[0]) unlink(g_path);
}

static const char *file_path(void) {
  if (!g_path[0]) {
    const char *dir = "/dev/shm";
    if (access(dir, W_OK) != 0) dir = getenv("TMPDIR");
    if (!dir || !*dir || access(dir, W_OK) != 0) dir = "/tmp";
    snprintf(g_path, sizeof g_path, "%s/zhucan-fuzz-swipe-%ld.txt", dir, (long)getpid());
    atexit(remove_file);
  }
  return g_path;
}

static void put_n(FILE *f, int ch, size_t n) {
  static char block[4096];
  if (block[0] != ch) memset(block, ch, sizeof block);
  while (n > 0) {
    size_t k = n < sizeof block ? n : sizeof block;
    fwrite(block, 1, k, f);
    n -= k;
  }
}

/* Writes the file; answers the number of lines swipe_log must report. */
static long write_file(const char *path, int pad, int k, const uint8_t *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) fz_fail("cannot write %s", path);
  long lines = 0;
  int at_line_start = 1;
  if (pad == 1) {
    put_n(f, 'x', LINE_MAX_BYTES - 8 + (size_t)(k % 16));
    at_line_start = 0;
  } else if (pad == 2) {
    static const char row[] = "2024-03-05 11:32:05,D1,CARD,C1,12.50\n"; /* 37 bytes */
    size_t want = BUF_BYTES - 40 + (size_t)(k % 64), have = 0;
    while (have + sizeof row - 1 <= want) {
      fwrite(row, 1, sizeof row - 1, f);
      have += sizeof row - 1;
      lines++;
    }
    put_n(f, ' ', want - have); /* the input continues a blank-prefixed line */
    at_line_start = want == have;
  } else if (pad == 3) {
    put_n(f, 'y', BUF_BYTES - 8 + (size_t)(k % 16));
    at_line_start = 0;
  }
  if (n) fwrite(p, 1, n, f);
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\n') {
      lines++;
      at_line_start = 1;
    } else {
      at_line_start = 0;
    }
  }
  if (!at_line_start) lines++;
  if (fclose(f) != 0) fz_fail("cannot write %s", path);
  return lines;
}

static int in_list(const unsigned char *s, const char *const *list) {
  for (int i = 0; list[i]; i++)
    if (strcmp((const char *)s, list[i]) == 0) return 1;
  return 0;
}

static int is_time(const unsigned char *t, int n) {
  static const char shape[] = "dddd-dd-dd dd:dd:dd";
  if (n != 19) return 0;
  for (int i = 0; i < 19; i++) {
    if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != (unsigned char)shape[i]) return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int fmt = data[0] & 3, pad = (data[0] >> 2) & 3, k = 0;
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  if (pad) {
    if (n < 1) return 0;
    k = p[0];
    p++;
    n--;
  }
  const char *format = NULL;
  size_t formatn = 0;
  switch (fmt) {
    case 0: format = "csv"; break;
    case 1: format = "terminal"; break;
    case 2: format = custom_pattern; break;
    default: {
      const uint8_t *nl = memchr(p, '\n', n);
      formatn = nl ? (size_t)(nl - p) : n;
      format = (const char *)p;
      p += nl ? formatn + 1 : formatn;
      n -= nl ? formatn + 1 : formatn;
      break;
    }
  }
  if (fmt != 3) formatn = strlen(format);

  const char *path = file_path();
  long lines = write_file(path, pad, k, p, n);

  sqlite3 *db = fz_open_fixture(fixture);
  sqlite3_stmt *st = fz_prepare(db,
      "SELECT line, at, device, site_id, method, token, elder_id, slot, error, raw, price_fen"
      " FROM swipe_log(?1, ?2)");
  sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
  fz_bind_text(st, 2, format, formatn);
  static const char *const methods[] = {"card", "face", "manual", "delivery", NULL};
  static const char *const slots[] = {"breakfast", "lunch", "dinner", NULL};
  long row = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    row++;
    if (sqlite3_column_int64(st, 0) != row)
      fz_fail("row %ld has line %lld", row, (long long)sqlite3_column_int64(st, 0));
    for (int i = 1; i <= 10; i++) (void)sqlite3_column_text(st, i);
    if (sqlite3_column_bytes(st, 9) > LINE_MAX_BYTES)
      fz_fail("line %ld: raw is %d bytes", row, sqlite3_column_bytes(st, 9));
    if (sqlite3_column_type(st, 8) == SQLITE_NULL) {
      const unsigned char *at = sqlite3_column_text(st, 1), *m = sqlite3_column_text(st, 4),
                          *sl = sqlite3_column_text(st, 7);
      if (!at || !is_time(at, sqlite3_column_bytes(st, 1)))
        fz_fail("line %ld: no error but at is '%s'", row, at ? (const char *)at : "NULL");
      if (!m || !in_list(m, methods)) fz_fail("line %ld: no error but method is not a method word", row);
      if (!sl || !in_list(sl, slots)) fz_fail("line %ld: no error but slot is not a slot word", row);
      if (sqlite3_column_type(st, 2) == SQLITE_NULL || sqlite3_column_type(st, 3) == SQLITE_NULL ||
          sqlite3_column_type(st, 6) == SQLITE_NULL)
        fz_fail("line %ld: no error but no device, site or elder", row);
    }
  }
  if (rc == SQLITE_DONE && row != lines)
    fz_fail("the file has %ld lines, swipe_log answered %ld rows", lines, row);
  fz_finish(st, rc);
  sqlite3_finalize(st);
  fz_close(db);
  return 0;
}
