/*
** tvf.h — eponymous table-valued functions whose rows are all computed in
** xFilter from required hidden arguments (tvf.c): a module gives the
** schema and a fill function, tvf.c does the virtual-table plumbing
** (honour_roll, award_ranking).
*/
#ifndef ZC_TVF_H
#define ZC_TVF_H
#include "common.h"

typedef struct ZcCell {
  int type;          /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
  sqlite3_int64 i;
  double r;
  char *t;           /* sqlite3_malloc'd */
} ZcCell;

/* The rows a fill function appends to, cell by cell, row-major. */
typedef struct ZcCells {
  ZcCell *c;
  int n, cap;
  int oom;
} ZcCells;
void zc_cells_int(ZcCells *s, sqlite3_int64 x);
void zc_cells_real(ZcCells *s, double x);
void zc_cells_text(ZcCells *s, const char *z);   /* copied; NULL: SQL NULL */
void zc_cells_null(ZcCells *s);

/* Computes every row for the arguments argv[0..nargs-1] (never NULL
** pointers; the values may be SQL NULL): SQLITE_OK, or an SQLite code with
** *pzErr. */
typedef int (*ZcTvfFill)(ZcConn *zc, sqlite3_value **argv, ZcCells *out, char **pzErr);

typedef struct ZcTvf {
  const char *name;     /* the function's name, for errors */
  const char *schema;   /* CREATE TABLE x(visible columns..., hidden args...) */
  int ncol;             /* visible columns */
  int nargs;            /* hidden arguments after them, all required */
  const char *usage;    /* "name(region, month): ..." for a missing argument */
  const char *usage_zh;
  ZcTvfFill fill;
} ZcTvf;

/* Registers t as an eponymous module (t must live as long as db). */
int zc_tvf_register(sqlite3 *db, ZcConn *zc, const ZcTvf *t);

#endif /* ZC_TVF_H */
