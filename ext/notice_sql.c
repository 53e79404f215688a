/*
** notice_sql.c — the SQL of public notices (docs/notices.md):
**
**   SELECT * FROM notice(12, '2024-03');          -- the notice as rows (notice.c)
**   SELECT notice_html(12, '2024-03');            -- one printable page (notice_html.c)
**   SELECT * FROM notice_due('141129', '2024-03');
**
**   CREATE TABLE x(section, line, title, item, detail, quantity, amount_fen,
**                  yuan, note, site_id HIDDEN, month HIDDEN);     -- notice
**   CREATE TABLE x(site_id, kind, reason, name, posted_on, taken_down_on,
**                  days_up, region HIDDEN, month HIDDEN);          -- notice_due
**
** Both table-valued functions need both hidden arguments (xBestIndex gives
** a plan without them an enormous cost, xFilter names what is missing) and
** compute every row in xFilter.
**
** notice_due: every site at or under the region with a meal in the month
** must post the month's notice by the 10th of the next month (the 10th
** itself is in time) and keep it up at least 5 days ([posted_on,
** taken_down_on), a posting still up counts until today).  kind:
**   missing   no posting and the 10th has passed
**   pending   no posting yet, the 10th not passed (today: ZHUCAN_TODAY or
**             the clock in China)
**   late      the first posting went up after the 10th
**   short     every posting came down before 5 days
** A site can be both late and short (two rows).
*/
#include "modules.h"
#include "month.h"
#include "notice.h"
#include "precond.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct NtVtab {
  sqlite3_vtab base;
  ZcConn *zc;
  int due;        /* 1: notice_due */
} NtVtab;

typedef struct DueRow {
  sqlite3_int64 site;
  const char *kind;
  char *reason, *name, *posted, *down;
  sqlite3_int64 days;
  int has_days;
} DueRow;

typedef struct NtCursor {
  sqlite3_vtab_cursor base;
  ZcNotice nt;
  DueRow *due;
  int n, cap, i;
} NtCursor;

#define NT_NCOL 9   /* notice's visible columns; then site_id, month */
#define DUE_NCOL 7  /* notice_due's; then region, month */

static int nt_create(sqlite3 *db, void *pAux, int due, sqlite3_vtab **pp) {
  int rc = sqlite3_declare_vtab(
      db, due ? "CREATE TABLE x(site_id INTEGER, kind TEXT, reason TEXT, name TEXT, posted_on TEXT,"
                " taken_down_on TEXT, days_up INTEGER, region HIDDEN, month HIDDEN)"
              : "CREATE TABLE x(section TEXT, line INTEGER, title TEXT, item TEXT, detail TEXT, quantity INTEGER,"
                " amount_fen INTEGER, yuan TEXT, note TEXT, site_id HIDDEN, month HIDDEN)");
  if (rc) return rc;
  NtVtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->zc = pAux;
  v->due = due;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *pp = &v->base;
  return SQLITE_OK;
}
static int notice_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **pp,
                          char **pzErr) {
  (void)argc; (void)argv; (void)pzErr;
  return nt_create(db, pAux, 0, pp);
}
static int due_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **pp,
                       char **pzErr) {
  (void)argc; (void)argv; (void)pzErr;
  return nt_create(db, pAux, 1, pp);
}
static int nt_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

/* idxNum bits: 1 = first hidden argument (argv[0]), 2 = month (argv[next]) */
static int nt_best_index(sqlite3_vtab *tab, sqlite3_index_info *info) {
  int ncol = ((NtVtab *)tab)->due ? DUE_NCOL : NT_NCOL;
  int a = -1, m = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (c->iColumn == ncol || c->iColumn == ncol + 1) {
      if (!c->usable) return SQLITE_CONSTRAINT;
      if (c->iColumn == ncol) a = i; else m = i;
    }
  }
  int n = 0;
  info->idxNum = 0;
  if (a >= 0) { info->aConstraintUsage[a].argvIndex = ++n; info->aConstraintUsage[a].omit = 1; info->idxNum |= 1; }
  if (m >= 0) { info->aConstraintUsage[m].argvIndex = ++n; info->aConstraintUsage[m].omit = 1; info->idxNum |= 2; }
  info->estimatedCost = info->idxNum == 3 ? 1e5 : 1e18;
  info->estimatedRows = 200;
  return SQLITE_OK;
}

static int nt_open(sqlite3_vtab *tab, sqlite3_vtab_cursor **pp) {
  (void)tab;
  NtCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *pp = &c->base;
  return SQLITE_OK;
}

static void nt_reset(NtCursor *c) {
  zc_notice_free(&c->nt);
  for (int i = 0; i < c->n; i++) {
    sqlite3_free(c->due[i].reason);
    sqlite3_free(c->due[i].name);
    sqlite3_free(c->due[i].posted);
    sqlite3_free(c->due[i].down);
  }
  sqlite3_free(c->due);
  c->due = NULL;
  c->n = c->cap = c->i = 0;
}

static int nt_close(sqlite3_vtab_cursor *cur) {
  nt_reset((NtCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* ---------------------------------------------------------- notice_due */

static DueRow *due_add(NtCursor *c, sqlite3_int64 site, const char *kind) {
  if (c->n == c->cap) {
    int ncap = c->cap ? c->cap * 2 : 64;
    DueRow *r = sqlite3_realloc64(c->due, (sqlite3_uint64)ncap * sizeof *r);
    if (!r) return NULL;
    c->due = r;
    c->cap = ncap;
  }
  DueRow *r = &c->due[c->n++];
  memset(r, 0, sizeof *r);
  r->site = site;
  r->kind = kind;
  return r;
}

static char *zh_day(const char *d) {
  return d ? sqlite3_mprintf("%d年%d月%d日", atoi(d), atoi(d + 5), atoi(d + 8)) : sqlite3_mprintf("");
}

/* Per site with a meal in the month: first posting, whether any posting
** stayed 5 days, and the longest stay.  ?1 first day, ?2 next month's
** first day, ?3 month, ?4 deadline, ?5 today. */
static const char *SQL_DUE =
    "WITH s AS (SELECT id, name, region FROM site WHERE EXISTS (SELECT 1 FROM meal m WHERE m.site_id = site.id"
    "   AND m.served_at >= ?1 AND m.served_at < ?2)),"
    " p AS (SELECT site_id, posted_on, taken_down_on,"
    "   CAST(julianday(coalesce(taken_down_on, ?5)) - julianday(posted_on) AS INTEGER) AS up"
    "   FROM notice_posting WHERE month = ?3)"
    " SELECT s.id, s.name, s.region, (SELECT min(posted_on) FROM p WHERE p.site_id = s.id),"
    "   (SELECT max(up) FROM p WHERE p.site_id = s.id),"
    "   (SELECT count(*) FROM p WHERE p.site_id = s.id AND (up >= 5 OR taken_down_on IS NULL)),"
    "   (SELECT taken_down_on FROM p WHERE p.site_id = s.id ORDER BY up DESC, posted_on LIMIT 1),"
    "   (SELECT posted_on FROM p WHERE p.site_id = s.id ORDER BY up DESC, posted_on LIMIT 1)"
    " FROM s ORDER BY s.id";

static int due_site(NtCursor *c, sqlite3_stmt *st, const char *deadline, int today_after) {
  sqlite3_int64 id = sqlite3_column_int64(st, 0);
  const char *name = (const char *)sqlite3_column_text(st, 1);
  const char *first = (const char *)sqlite3_column_text(st, 3);
  char *dl = zh_day(deadline);
  if (!dl) return SQLITE_NOMEM;
  DueRow *r = NULL;
  int rc = SQLITE_OK;
  if (!first) {
    r = due_add(c, id, today_after ? "missing" : "pending");
    if (r) r->reason = today_after ? sqlite3_mprintf("未张贴：没有本月公示的张贴记录，应于%s前张贴", dl)
                                   : sqlite3_mprintf("尚未张贴：截止日期为%s", dl);
  } else {
    if (strcmp(first, deadline) > 0) {
      char *f = zh_day(first);
      r = due_add(c, id, "late");
      if (r) {
        r->reason = sqlite3_mprintf("逾期张贴：%s才张贴，应于%s前张贴", f ? f : first, dl);
        r->posted = sqlite3_mprintf("%s", first);
      }
      sqlite3_free(f);
      if (!r || !r->reason) rc = SQLITE_NOMEM;
    }
    if (rc == SQLITE_OK && sqlite3_column_int(st, 5) == 0) {
      const char *on = (const char *)sqlite3_column_text(st, 7), *off = (const char *)sqlite3_column_text(st, 6);
      sqlite3_int64 up = sqlite3_column_int64(st, 4);
      char *a = zh_day(on), *b = zh_day(off);
      r = due_add(c, id, "short");
      if (r) {
        r->reason = sqlite3_mprintf("公示不足5天：%s张贴，%s撤下，只公示了%lld天", a ? a : "", b ? b : "", up);
        r->posted = sqlite3_mprintf("%s", on ? on : "");
        r->down = sqlite3_mprintf("%s", off ? off : "");
        r->days = up;
        r->has_days = 1;
      }
      sqlite3_free(a);
      sqlite3_free(b);
    }
  }
  if (r && !r->reason) rc = SQLITE_NOMEM;
  if (c->n > 0 && c->due[c->n - 1].site == id)
    for (int i = c->n - 1; i >= 0 && c->due[i].site == id; i--)
      if (!c->due[i].name && !(c->due[i].name = sqlite3_mprintf("%s", name ? name : ""))) rc = SQLITE_NOMEM;
  if (!r && !first) rc = SQLITE_NOMEM;
  sqlite3_free(dl);
  return rc;
}

static int due_filter(NtCursor *c, ZcConn *zc, sqlite3_value **argv, char **pzErr) {
  const char *region;
  int first, next, today, rc;
  static const char *const TABLES[] = {"notice_posting", NULL};
  if ((rc = zc_facts_sync(zc))) return rc;
  if ((rc = zc_month_args(zc, "notice_due", argv[0], argv[1], &region, &first, &next, pzErr))) return rc;
  if ((rc = zc_notice_tables(zc, "notice_due", TABLES, pzErr))) return rc;
  if ((rc = zc_today(zc, "notice_due", &today, pzErr))) return rc;
  char fd[11], nd[11], dl[11], td[11], mon[8];
  zc_day_format(first, fd);
  zc_day_format(next, nd);
  zc_day_format(next + 9, dl);
  zc_day_format(today, td);
  memcpy(mon, fd, 7);
  mon[7] = 0;
  sqlite3_stmt *st = NULL;
  if ((rc = sqlite3_prepare_v2(zc->db, SQL_DUE, -1, &st, NULL)) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, fd, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, nd, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, mon, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, dl, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, td, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char *sreg = (const char *)sqlite3_column_text(st, 2);
      if (!sreg || !zc_region_under(zc, sreg, region)) continue;
      if ((rc = due_site(c, st, dl, today > next + 9))) break;
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc && rc != SQLITE_NOMEM && !*pzErr) *pzErr = sqlite3_mprintf("notice_due: %s", sqlite3_errmsg(zc->db));
  sqlite3_finalize(st);
  return rc;
}

/* ------------------------------------------------------------- common */

static int nt_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  NtCursor *c = (NtCursor *)cur;
  NtVtab *v = (NtVtab *)cur->pVtab;
  char *err = NULL;
  int rc;
  nt_reset(c);
  if (argc != 2 || idxNum != 3)
    return zc_vtab_errorf(cur->pVtab, "%s",
                          v->due ? zc_tr(v->zc, "notice_due: needs two arguments, notice_due(region, month): a region "
                                                "code such as '141129' and a month 'YYYY-MM'",
                                         "notice_due：需要两个参数 notice_due(region, month)：区域代码（如 '141129'）"
                                         "和月份 'YYYY-MM'")
                                 : zc_tr(v->zc, "notice: needs two arguments, notice(site_id, month): a site id and a "
                                                "month 'YYYY-MM'",
                                         "notice：需要两个参数 notice(site_id, month)：助餐点编号和月份 'YYYY-MM'"));
  if (v->due) rc = due_filter(c, v->zc, argv, &err);
  else rc = zc_notice_build(v->zc, "notice", argv[0], argv[1], &c->nt, &err);
  if (rc) {
    nt_reset(c);
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = err;
    return rc;
  }
  return SQLITE_OK;
}

static int nt_next(sqlite3_vtab_cursor *cur) {
  ((NtCursor *)cur)->i++;
  return SQLITE_OK;
}
static int nt_eof(sqlite3_vtab_cursor *cur) {
  NtCursor *c = (NtCursor *)cur;
  return c->i >= (((NtVtab *)cur->pVtab)->due ? c->n : c->nt.n);
}

static void text_or_null(sqlite3_context *ctx, const char *s) {
  if (s) sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
}

static int nt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  NtCursor *c = (NtCursor *)cur;
  if (((NtVtab *)cur->pVtab)->due) {
    const DueRow *r = &c->due[c->i];
    switch (col) {
      case 0: sqlite3_result_int64(ctx, r->site); break;
      case 1: text_or_null(ctx, r->kind); break;
      case 2: text_or_null(ctx, r->reason); break;
      case 3: text_or_null(ctx, r->name); break;
      case 4: text_or_null(ctx, r->posted); break;
      case 5: text_or_null(ctx, r->down); break;
      case 6: if (r->has_days) sqlite3_result_int64(ctx, r->days); break;
      default: break;
    }
    return SQLITE_OK;
  }
  const ZcNoticeRow *r = &c->nt.rows[c->i];
  char y[32];
  switch (col) {
    case 0: text_or_null(ctx, r->section); break;
    case 1: sqlite3_result_int(ctx, r->line); break;
    case 2: text_or_null(ctx, r->title); break;
    case 3: text_or_null(ctx, r->item); break;
    case 4: text_or_null(ctx, r->detail); break;
    case 5: if (r->has_quantity) sqlite3_result_int64(ctx, r->quantity); break;
    case 6: if (r->has_amount) sqlite3_result_int64(ctx, r->amount); break;
    case 7: if (r->has_amount) { zc_notice_yuan(r->amount, y); text_or_null(ctx, y); } break;
    case 8: text_or_null(ctx, r->note); break;
    default: break;
  }
  return SQLITE_OK;
}

static int nt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid) {
  *pRowid = ((NtCursor *)cur)->i + 1;
  return SQLITE_OK;
}

static sqlite3_module notice_module = {
    0, NULL, notice_connect, nt_best_index, nt_disconnect, NULL, nt_open, nt_close, nt_filter, nt_next, nt_eof,
    nt_column, nt_rowid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
static sqlite3_module due_module = {
    0, NULL, due_connect, nt_best_index, nt_disconnect, NULL, nt_open, nt_close, nt_filter, nt_next, nt_eof,
    nt_column, nt_rowid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

/* ---------------------------------------------------------- notice_html */

static void notice_html_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  ZcConn *zc = sqlite3_user_data(ctx);
  ZcNotice nt;
  char *err = NULL;
  int rc = zc_notice_build(zc, "notice_html", argv[0], argv[1], &nt, &err);
  if (rc) {
    if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
    else if (err) sqlite3_result_error(ctx, err, -1);
    else sqlite3_result_error_code(ctx, rc);
    sqlite3_free(err);
    return;
  }
  char *html = zc_notice_html(&nt);
  zc_notice_free(&nt);
  if (!html) { sqlite3_result_error_nomem(ctx); return; }
  sqlite3_result_text(ctx, html, -1, sqlite3_free);
}

int zc_notice_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  /* reads the database only, like settlement(); not deterministic (the
  ** data change) */
  static const ZcFunc aFunc[] = {{"notice_html", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, notice_html_func}};
  int rc = zc_register_funcs(db, aFunc, 1, zc);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "notice", &notice_module, zc);
  if (rc == SQLITE_OK) rc = sqlite3_create_module(db, "notice_due", &due_module, zc);
  return rc;
}
