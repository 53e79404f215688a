/*
** tvf.c — the virtual-table plumbing of table-valued functions computed
** whole in xFilter (tvf.h): every hidden argument required (a plan without
** one gets an enormous cost, xFilter names the usage), rows kept as cells
** until the cursor closes.  Used by honour_roll (honour.c) and
** award_ranking (award.c).
*/
#include "tvf.h"
#include <string.h>

/* ---------------------------------------------------------------- cells */

static ZcCell *cell(ZcCells *s) {
  if (s->oom) return NULL;
  if (s->n == s->cap) {
    int ncap = s->cap ? s->cap * 2 : 256;
    ZcCell *nc = sqlite3_realloc64(s->c, (sqlite3_uint64)ncap * sizeof *nc);
    if (!nc) { s->oom = 1; return NULL; }
    s->c = nc;
    s->cap = ncap;
  }
  ZcCell *c = &s->c[s->n++];
  memset(c, 0, sizeof *c);
  c->type = SQLITE_NULL;
  return c;
}
void zc_cells_int(ZcCells *s, sqlite3_int64 x) {
  ZcCell *c = cell(s);
  if (c) { c->type = SQLITE_INTEGER; c->i = x; }
}
void zc_cells_real(ZcCells *s, double x) {
  ZcCell *c = cell(s);
  if (c) { c->type = SQLITE_FLOAT; c->r = x; }
}
void zc_cells_text(ZcCells *s, const char *z) {
  ZcCell *c = cell(s);
  if (!c || !z) return;
  if (!(c->t = sqlite3_mprintf("%s", z))) { s->oom = 1; return; }
  c->type = SQLITE_TEXT;
}
void zc_cells_null(ZcCells *s) { cell(s); }

static void cells_free(ZcCells *s) {
  for (int i = 0; i < s->n; i++) sqlite3_free(s->c[i].t);
  sqlite3_free(s->c);
  memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- vtab */

typedef struct TvfAux {
  ZcConn *zc;
  const ZcTvf *t;
} TvfAux;

typedef struct TvfVtab {
  sqlite3_vtab base;
  const TvfAux *aux;
} TvfVtab;

typedef struct TvfCursor {
  sqlite3_vtab_cursor base;
  ZcCells cells;
  int row, nrow;
} TvfCursor;

static int tvf_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **pp,
                       char **pzErr) {
  (void)argc; (void)argv; (void)pzErr;
  const TvfAux *a = pAux;
  int rc = sqlite3_declare_vtab(db, a->t->schema);
  if (rc) return rc;
  TvfVtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->aux = a;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *pp = &v->base;
  return SQLITE_OK;
}

static int tvf_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* idxNum: a bit per hidden argument given by an equality constraint */
static int tvf_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  const ZcTvf *t = ((TvfVtab *)tab)->aux->t;
  int at[8];
  for (int k = 0; k < t->nargs; k++) at[k] = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    int k = c->iColumn - t->ncol;
    if (c->op != SQLITE_INDEX_CONSTRAINT_EQ || k < 0 || k >= t->nargs) continue;
    if (!c->usable) return SQLITE_CONSTRAINT;
    at[k] = i;
  }
  info->idxNum = 0;
  for (int k = 0, n = 0; k < t->nargs; k++)
    if (at[k] >= 0) {
      info->aConstraintUsage[at[k]].argvIndex = ++n;
      info->aConstraintUsage[at[k]].omit = 1;
      info->idxNum |= 1 << k;
    }
  info->estimatedCost = info->idxNum == (1 << t->nargs) - 1 ? 1e5 : 1e18;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int tvf_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  (void)tab;
  TvfCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *pp = &c->base;
  return SQLITE_OK;
}

static int tvf_close(sqlite3_vtab_cursor *cur) {
  cells_free(&((TvfCursor *)cur)->cells);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int tvf_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  TvfCursor *c = (TvfCursor *)cur;
  const TvfAux *a = ((TvfVtab *)cur->pVtab)->aux;
  const ZcTvf *t = a->t;
  cells_free(&c->cells);
  c->row = c->nrow = 0;
  if (argc != t->nargs || idxNum != (1 << t->nargs) - 1)
    return zc_vtab_errorf(cur->pVtab, zc_tr(a->zc, "%s: needs %d arguments, %s", "%s：需要 %d 个参数，%s"), t->name,
                          t->nargs, zc_tr(a->zc, t->usage, t->usage_zh));
  char *err = NULL;
  int rc = t->fill(a->zc, argv, &c->cells, &err);
  if (rc == SQLITE_OK && c->cells.oom) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK && c->cells.n % t->ncol) {
    rc = SQLITE_INTERNAL;
    err = sqlite3_mprintf("%s: %d cells are not whole rows of %d", t->name, c->cells.n, t->ncol);
  }
  if (rc) {
    cells_free(&c->cells);
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = err;
    return rc;
  }
  c->nrow = c->cells.n / t->ncol;
  return SQLITE_OK;
}

static int tvf_next(sqlite3_vtab_cursor *cur) {
  ((TvfCursor *)cur)->row++;
  return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *cur) {
  TvfCursor *c = (TvfCursor *)cur;
  return c->row >= c->nrow;
}

static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  TvfCursor *c = (TvfCursor *)cur;
  const ZcTvf *t = ((TvfVtab *)cur->pVtab)->aux->t;
  if (col >= t->ncol) return SQLITE_OK;   /* hidden arguments: NULL */
  const ZcCell *x = &c->cells.c[c->row * t->ncol + col];
  switch (x->type) {
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, x->i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, x->r); break;
    case SQLITE_TEXT: sqlite3_result_text(ctx, x->t, -1, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = ((TvfCursor *)cur)->row + 1;
  return SQLITE_OK;
}

static sqlite3_module tvf_module = {
    0, NULL, tvf_connect, tvf_best_index, tvf_disconnect, NULL, tvf_open, tvf_close, tvf_filter, tvf_next,
    tvf_eof, tvf_column, tvf_rowid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

int zc_tvf_register(sqlite3 *db, ZcConn *zc, const ZcTvf *t) {
  TvfAux *a = sqlite3_malloc(sizeof *a);
  if (!a) return SQLITE_NOMEM;
  a->zc = zc;
  a->t = t;
  return sqlite3_create_module_v2(db, t->name, &tvf_module, a, sqlite3_free);
}
