/*
** pageread.h — a read-only cursor over one index b-tree of the main
** database file, reading its pages through the connection's own file
** handle (pageread.c).
**
** For the hot reads of anomaly_scan only: stepping an index through
** SQLite costs ~1,000 instructions a row in the VDBE (a Column op per
** column, the rowid, the function call); this cursor decodes the record in
** place.  It is opened only when what the file holds is exactly what the
** connection sees (zc_pr_open says when), and gives rows in the index's
** order with the index's comparisons (BINARY, ascending: checked).  Values
** are as stored: nothing is converted; a caller that needs SQLite's
** conversions asks for the row as SQLite's values (zc_pr_values).
*/
#ifndef ZC_PAGEREAD_H
#define ZC_PAGEREAD_H

#include "common.h"

/* One field of a record, as stored. */
typedef struct ZcPrVal {
  int type;              /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL */
  sqlite3_int64 i;       /* INTEGER */
  double r;              /* FLOAT */
  const char *z;         /* TEXT, BLOB: the bytes (in the page or the cursor's buffer) */
  int n;                 /* their length */
} ZcPrVal;

typedef struct ZcPr ZcPr;

/* Opens a cursor on index idx of table tbl in schema main, whose columns
** must be exactly cols[0..ncol) (names, ascending, BINARY; then the rowid),
** and whose column rowid_as (unless NULL) must be the table's rowid.
** NULL, and *why a static reason, when the file cannot be read so: no
** file, WAL, a write pending, another encoding, a temp table named tbl,
** another index shape.  The cursor holds a read transaction (a statement
** left on its row) until zc_pr_close. */
ZcPr *zc_pr_open(sqlite3 *db, const char *tbl, const char *idx, const char *const *cols, int ncol, const char *rowid_as,
                 const char **why);
void zc_pr_close(ZcPr *c);

/* Moves to the first entry not less than key[0..nkey) (a prefix of the
** index's columns; INTEGER or TEXT values).  SQLITE_OK (then zc_pr_eof
** may be 1) or SQLITE_CORRUPT, SQLITE_IOERR, SQLITE_NOMEM. */
int zc_pr_seek(ZcPr *c, const ZcPrVal *key, int nkey);
/* The next entry. */
int zc_pr_next(ZcPr *c);
int zc_pr_eof(const ZcPr *c);
/* The current entry's fields: v[0..nv) (nv is ncol + 1: the rowid last).
** Text and blobs point into the cursor, valid until it moves. */
int zc_pr_row(ZcPr *c, ZcPrVal *v, int nv);
/* v[0..n) (n <= 16) as SQLite's own values (*out[0..n)), for a caller
** that needs SQLite's conversions of them (sqlite3_value_int64 of a text,
** and so on): bound into a SELECT ?1, ... of the cursor's and stepped.
** Valid until the next call or the close. */
int zc_pr_values(ZcPr *c, const ZcPrVal *v, int n, sqlite3_value **out);
/* What the last error was, in English (en) or Chinese: "page 17: bad
** cell", "第 17 页：单元损坏". */
const char *zc_pr_errmsg(const ZcPr *c, int en);

#endif
