/*
** fuzz/common.h — what every zhucan fuzz target shares.
**
** The targets drive zhucan only through its SQL surface: they open an
** in-memory database with the system libsqlite3, zhucan registered as an
** auto-extension (its entry point sqlite3_zhucan_init, linked in from the
** objects of every C file in ext/), bind the fuzz bytes to prepared statements and step
** them to the end.  Nothing here includes a header of ext/, so the targets
** survive any refactor of ext/ that keeps the SQL surface (SPEC.md).
**
** Every input gets a fresh connection (fz_open, or fz_open_fixture for a
** copy of a database built once per process), so a crash file reproduces on
** its own and libFuzzer's leak check sees every allocation freed.
**
** Outcomes: an SQL error is a normal answer to bad input.  A crash, a
** sanitizer report, a leak or a timeout is a finding; so is an SQLite code
** no input may produce (SQLITE_MISUSE, SQLITE_INTERNAL, SQLITE_CORRUPT ...)
** and a broken invariant of the SPEC checked by a target (fz_fail aborts).
*/
#ifndef ZHUCAN_FUZZ_COMMON_H
#define ZHUCAN_FUZZ_COMMON_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* zhucan's entry point (ext/zhucan.c). */
int sqlite3_zhucan_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

/* The repository root: $ZC_ROOT, else the directory the targets were built
** from (FZ_ROOT, set by fuzz/fuzz.mk). */
const char *fz_root(void);

/* Once per process: registers zhucan as an auto-extension, quiets SQLite's
** log.  Idempotent. */
void fz_init(void);

/* A fresh ":memory:" connection with zhucan loaded; aborts on failure. */
sqlite3 *fz_open(void);

/* Builds, once per process, a database from sql/schema.sql (under fz_root())
** followed by the SQL in setup (may be NULL; "@file" lines are replaced by
** the contents of that file under fz_root(), "%ROOT%" by fz_root()), and
** keeps its image.  Each call after the first answers a fresh connection
** holding a private copy of that image (sqlite3_deserialize). */
sqlite3 *fz_open_fixture(const char *setup);

/* Runs SQL that must succeed (fixture set-up); aborts with the message
** otherwise. */
void fz_exec_ok(sqlite3 *db, const char *sql);

/* Prepares sql (aborts if it does not prepare: the SQL surface the target
** relies on is gone), binds nothing. */
sqlite3_stmt *fz_prepare(sqlite3 *db, const char *sql);

/* Steps st to the end reading every column of every row (text and blob
** both, so lazily computed values are materialised); answers the final
** code: SQLITE_DONE, or the error.  Aborts on codes no input may produce.
** Resets st (bindings kept).  *nrow, when given, receives the row count. */
int fz_run(sqlite3_stmt *st, int *nrow);

/* After the caller stepped st itself and got rc (not SQLITE_ROW): checks
** rc and the reset as fz_run does, resets st, answers rc. */
int fz_finish(sqlite3_stmt *st, int rc);

/* Steps st once: when it answers a row, the rest is stepped by fz_run and
** the answer is SQLITE_ROW with the first row's values copied into *row
** (sqlite3_value_dup of column 0, NULL when not wanted) ; otherwise the
** code, after fz_finish.  Caller frees *row with sqlite3_value_free. */
int fz_first(sqlite3_stmt *st, sqlite3_value **row);

/* Like fz_run for a one-shot SQL text with up to 4 text parameters (NULL =
** SQL NULL); answers the code.  On SQLITE_ROW-producing statements the
** first column of the first row is copied into out (size outn) when out is
** not NULL (empty string when NULL or no row). */
int fz_query(sqlite3 *db, const char *sql, int npar, const char *const *par, const int *parn,
             char *out, size_t outn);

/* 1 when the last error message of db says a policy ran out of its
** instruction budget or memory cap: such inputs stop early to stay fast. */
int fz_budget_hit(sqlite3 *db);

/* Closes db; aborts when close fails (a statement left unfinalized by
** zhucan). */
void fz_close(sqlite3 *db);

/* Splits data[0..size) at each sep byte into at most max fields (the last
** field keeps any further separators).  Answers the field count (>= 1). */
int fz_split(const uint8_t *data, size_t size, uint8_t sep, int max, const uint8_t **f,
             size_t *fn);

/* Binds n bytes at p as text (p may be NULL when n is 0: empty text, not
** NULL). */
void fz_bind_text(sqlite3_stmt *st, int i, const void *p, size_t n);
void fz_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);

/* 1 while the guards that keep known, not yet fixed findings out of the
** way are on (each guard is marked PENDING(name) and listed in
** fuzz/pending/README.md); FZ_NO_GUARDS=1 in the environment turns them
** off, so `sh fuzz/run.sh pending` shows whether ext/ is fixed.  (Pending
** UBSan reports are silenced by fuzz/ubsan.supp instead.) */
int fz_guarded(void);

/* Aborts with a message naming the broken invariant (a finding). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The field separator of the multi-field targets: ASCII unit separator. */
#define FZ_SEP 0x1F
/* The record separator (regex: several records in one input). */
#define FZ_RS 0x1E

#endif
