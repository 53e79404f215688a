/*
** anomaly.c — the monthly early warning: the table-valued functions
** anomaly_scan (fraud, data and welfare findings of a month),
** coverage_gaps (the villages and hamlets that fall short of the meal
** duty) and needs_watch (the elders whose needs grew in a month,
** 主动发现), and their registration.
**
**   SELECT kind, severity, site_id, elder_id, meal_id, at, detail
**     FROM anomaly_scan('141129', '2024-03');
**   -- card_burst|fraud|12|5031|88412|2024-03-05 11:32:04|7 card/face meals on device D-0012 within 11 s (11:32:01 to 11:32:12)
**   -- gone_quiet|welfare||4407||2024-03-18|lives alone; ate on 12 of the 14 days before 2024-03-18, then no meal for 3 days (2024-03-18 to 2024-03-20)
**
**   SELECT * FROM coverage_gaps('141129', '2024-03-05');
**   -- 141129104207|Xiagou|hamlet|14|14 elders aged 70+ live here (more than 10) and no courtyard is open on 2024-03-05
**
**   SELECT elder_id, name, reason, day, evidence FROM needs_watch('141129', '2024-03');
**   -- 1207|王桂英|turned_80|2024-03-12|1944-03-12 出生
**
** All three are eponymous-only table-valued functions with two required
** hidden arguments:
**
**   CREATE TABLE anomaly_scan(kind, severity, site_id, elder_id, meal_id, at,
**                             detail, region HIDDEN, month HIDDEN);
**   CREATE TABLE coverage_gaps(region, name, level, elders, reason,
**                              region_arg HIDDEN, day HIDDEN);
**   CREATE TABLE needs_watch(elder_id, name, lives_in, reason, reason_text,
**                            day, site_id, evidence, region HIDDEN, month HIDDEN);
**
** (coverage_gaps' first column is the answering region's code; its argument
** columns are therefore named region_arg and day.)  xBestIndex insists on an
** equality constraint on both arguments (idxNum bit 1 = first, bit 2 =
** second); xFilter receives them in that order.  A NULL argument gives no
** rows; a malformed one, or an unknown region, is an error.
**
** xFilter computes every row: anomaly_scan in anomaly_scan.c (scan_run;
** its read by elder in anomaly_read.c, the elder pass in anomaly_pass.c,
** the device pass in anomaly_dev.c, thresholds in anomaly_thr.c),
** coverage_gaps in coverage.c (coverage_run), needs_watch in needs.c
** (needs_run).  anomaly.h
** lists the files; docs/anomalies.md explains the findings.
*/
#include "modules.h"
#include "anomaly.h"
#include <string.h>

/* --------------------------------------------------- the virtual tables */

#define AS_KIND 0
#define AS_SEVERITY 1
#define AS_SITE 2
#define AS_ELDER 3
#define AS_MEAL 4
#define AS_AT 5
#define AS_DETAIL 6
#define AS_ARG1 7 /* region */
#define AS_ARG2 8 /* month / day */

#define CG_REGION 0
#define CG_NAME 1
#define CG_LEVEL 2
#define CG_ELDERS 3
#define CG_REASON 4

#define NW_ELDER 0
#define NW_NAME 1
#define NW_LIVES_IN 2
#define NW_REASON 3
#define NW_REASON_TEXT 4
#define NW_DAY 5
#define NW_SITE 6
#define NW_EVIDENCE 7

/* The kind and severity columns of each kind, in the enum's order
** (anomaly.h). */
static const struct {
  const char *name, *severity;
} aKind[K_N] = {
    {"after_death", "fraud"},  {"card_burst", "fraud"},   {"gone_quiet", "welfare"},
    {"in_hospital", "fraud"},  {"manual_heavy", "fraud"}, {"no_agreement", "data"},
    {"not_eligible", "data"},  {"out_of_hours", "data"},  {"over_report", "fraud"},
    {"repeat_meal", "fraud"},  {"revoked_card", "fraud"}, {"two_sites", "fraud"},
    {"unknown_elder", "data"},
};

enum { TVF_SCAN, TVF_GAPS, TVF_NEEDS };

typedef struct TvfDef {
  const char *fn, *schema, *arg2, *arg2_form;
  int is_scan;     /* the second argument is a month (else a day) */
  int kind;        /* TVF_* */
  int arg1;        /* the column of the first hidden argument */
} TvfDef;

static const TvfDef scan_def = {
    "anomaly_scan",
    "CREATE TABLE x(kind, severity, site_id, elder_id, meal_id, at, detail, region HIDDEN, month HIDDEN)",
    "month", "'YYYY-MM'", 1, TVF_SCAN, AS_ARG1};
static const TvfDef gaps_def = {
    "coverage_gaps",
    "CREATE TABLE x(region, name, level, elders, reason, region_arg HIDDEN, day HIDDEN)", "day",
    "'YYYY-MM-DD'", 0, TVF_GAPS, AS_ARG1 - 2};
static const TvfDef needs_def = {
    "needs_watch",
    "CREATE TABLE x(elder_id, name, lives_in, reason, reason_text, day, site_id, evidence, region HIDDEN, "
    "month HIDDEN)",
    "month", "'YYYY-MM'", 1, TVF_NEEDS, 8};

typedef struct TvfAux {
  ZcConn *zc;
  const TvfDef *def;
} TvfAux;

typedef struct Tvf {
  sqlite3_vtab base;
  ZcConn *zc;
  const TvfDef *def;
} Tvf;

typedef struct TvfCursor {
  sqlite3_vtab_cursor base;
  int i, n;
  FindingList f;   /* anomaly_scan */
  GapList g;       /* coverage_gaps */
  NeedList nl;     /* needs_watch */
} TvfCursor;

static int tvf_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  (void)argc;
  (void)argv;
  (void)pzErr;
  const TvfAux *aux = pAux;
  int rc = sqlite3_declare_vtab(db, aux->def->schema);
  if (rc) return rc;
  Tvf *t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->zc = aux->zc;
  t->def = aux->def;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &t->base;
  return SQLITE_OK;
}

static int tvf_disconnect(sqlite3_vtab *p) {
  sqlite3_free(p);
  return SQLITE_OK;
}

/* idxNum bit 1: argument 1 (region) given; bit 2: argument 2.  argv of
** xFilter: region, then month/day.  Both are required. */
static int tvf_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *info) {
  Tvf *t = (Tvf *)pVtab;
  int seen = 0, usable = 0, at[2] = {-1, -1};
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    int col = c->iColumn - t->def->arg1;
    if (col < 0 || col > 1 || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    seen |= 1 << col;
    if (!c->usable) continue;
    usable |= 1 << col;
    at[col] = i;
  }
  if (seen != 3) {
    /* Not an error here: SQLite also asks about partial constraint sets
    ** (the terms of an OR); such a plan costs too much to be chosen when a
    ** complete one exists, and xFilter refuses it otherwise. */
    info->idxNum = 0;
    info->estimatedCost = 1e300;
    info->estimatedRows = 1000000000;
    return SQLITE_OK;
  }
  if (usable != 3) return SQLITE_CONSTRAINT;
  for (int k = 0; k < 2; k++) {
    info->aConstraintUsage[at[k]].argvIndex = k + 1;
    info->aConstraintUsage[at[k]].omit = 1;
  }
  info->idxNum = 3;
  info->estimatedCost = 1e6;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int tvf_open(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCursor) {
  (void)p;
  TvfCursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *ppCursor = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(TvfCursor *c) {
  findings_clear(&c->f);
  gaps_clear(&c->g);
  needs_clear(&c->nl);
  c->i = c->n = 0;
}

static int tvf_close(sqlite3_vtab_cursor *cur) {
  cursor_reset((TvfCursor *)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* The rows for region (interned) and the second argument, a month
** [first, next) or a day (first), into the cursor.  On failure *err may
** hold a message. */
static int cursor_compute(TvfCursor *c, const Tvf *t, const char *region, int first, int next, char **err) {
  int rc;
  if (t->def->kind == TVF_GAPS) {
    rc = coverage_run(t->zc, region, first, &c->g, err);
    if (rc == SQLITE_OK) c->n = c->g.n;
    return rc;
  }
  if (t->def->kind == TVF_NEEDS) {
    rc = needs_run(t->zc, region, first, next, &c->nl, err);
    if (rc == SQLITE_OK) c->n = c->nl.n;
    return rc;
  }
  Scan s;
  scan_init(&s, t->zc, region, first, next, err);
  rc = scan_run(&s);
  if (rc == SQLITE_OK) {
    c->f = s.out;            /* the cursor takes the findings */
    memset(&s.out, 0, sizeof s.out);
    c->n = c->f.n;
  }
  scan_clear(&s);
  return rc;
}

/* A failed computation: its message err (taken) as the table's error,
** prefixed with the function's name unless err has it. */
static int compute_failed(TvfCursor *c, int rc, char *err) {
  sqlite3_vtab *vt = c->base.pVtab;
  const char *fn = ((Tvf *)vt)->def->fn;
  if (rc == SQLITE_NOMEM) {
    sqlite3_free(err);
    return rc;
  }
  /* interrupted (sqlite3_interrupt() or the progress handler): whatever
  ** step noticed it first, and whatever it made of it, say so */
  if (rc == SQLITE_INTERRUPT || zc_interrupted(((Tvf *)vt)->zc)) {
    sqlite3_free(err);
    zc_vtab_errorf(vt, zc_tr(((Tvf *)vt)->zc, "%s: interrupted", "%s：已中断"), fn);
    cursor_reset(c);
    return SQLITE_INTERRUPT;
  }
  if (err && strncmp(err, fn, strlen(fn)) == 0) rc = zc_vtab_errorf(vt, "%s", err);
  else rc = zc_vtab_errorf(vt, ZC_COLON(((Tvf *)vt)->zc), fn, err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  cursor_reset(c);
  return rc;
}

/* Argument 0 (region) or 1 (month / day) refused. */
static int bad_argument(sqlite3_vtab *vt, int i, sqlite3_value *v) {
  const TvfDef *def = ((Tvf *)vt)->def;
  const ZcConn *zc = ((Tvf *)vt)->zc;
  char *repr = zc_value_repr(v);
  int rc = i == 0 ? zc_vtab_errorf(vt, zc_tr(zc, "%s: region %s is not a code in table region",
                                             "%s：%s 不是区划表（region）里的区划代码"),
                                   def->fn, repr ? repr : "?")
           : zc_lang_en(zc) ? zc_vtab_errorf(vt, "%s: %s %s is not a %s %s", def->fn, def->arg2, repr ? repr : "?",
                                             def->is_scan ? "month" : "date", def->arg2_form)
                            : zc_vtab_errorf(vt, "%s：%s 不是%s %s", def->fn, repr ? repr : "?",
                                             def->is_scan ? "月份" : "日期", def->arg2_form);
  sqlite3_free(repr);
  return rc;
}

static int tvf_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                      sqlite3_value **argv) {
  (void)idxStr;
  TvfCursor *c = (TvfCursor *)cur;
  Tvf *t = (Tvf *)cur->pVtab;
  const TvfDef *def = t->def;
  char *err = NULL;
  int rc;
  cursor_reset(c);
  if (idxNum != 3 || argc != 2)
    return zc_vtab_errorf(cur->pVtab, zc_tr(t->zc, "%s: region and %s are required, as in %s('141129', %s)",
                                            "%s：需要区划和 %s 两个参数，例如 %s('141129', %s)"), def->fn,
                          def->arg2, def->fn, def->is_scan ? "'2024-03'" : "'2024-03-05'");
  /* a NULL is a mistake to see, not an empty answer (docs/README.md) */
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
    return zc_vtab_errorf(cur->pVtab, zc_tr(t->zc, "%s: region is NULL; expected a region code such as '141129'",
                                            "%s：区划参数为 NULL；应为区划代码，例如 '141129'"),
                          def->fn);
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL && zc_lang_en(t->zc))
    return zc_vtab_errorf(cur->pVtab, "%s: %s is NULL; expected a %s %s such as %s", def->fn, def->arg2,
                          def->is_scan ? "month" : "date", def->arg2_form, def->is_scan ? "'2024-03'" : "'2024-03-05'");
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return zc_vtab_errorf(cur->pVtab, "%s：%s 参数为 NULL；应为%s %s，例如 %s", def->fn, def->arg2,
                          def->is_scan ? "月份" : "日期", def->arg2_form, def->is_scan ? "'2024-03'" : "'2024-03-05'");
  /* region */
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT && sqlite3_value_type(argv[0]) != SQLITE_INTEGER)
    return bad_argument(cur->pVtab, 0, argv[0]);
  if ((rc = zc_facts_sync(t->zc))) return rc;
  char *lerr = NULL;
  if ((rc = zc_regions_load(t->zc, &lerr))) {
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = lerr;
    return rc;
  }
  const char *code = (const char *)sqlite3_value_text(argv[0]);
  const ZcRegion *r = code ? zc_region(t->zc, code) : NULL;
  if (!r) return bad_argument(cur->pVtab, 0, argv[0]);
  /* month / day */
  int first = ZC_NONE, next = ZC_NONE;
  const char *z = sqlite3_value_type(argv[1]) == SQLITE_TEXT ? (const char *)sqlite3_value_text(argv[1]) : NULL;
  int n = sqlite3_value_bytes(argv[1]);
  int ok = def->is_scan ? z && zc_month_parse(z, n, &first, &next) : z && (first = zc_day_parse(z, n)) != ZC_NONE;
  if (!ok) return bad_argument(cur->pVtab, 1, argv[1]);
  rc = cursor_compute(c, t, r->code, first, next, &err);
  return rc == SQLITE_OK ? SQLITE_OK : compute_failed(c, rc, err);
}

static int tvf_next(sqlite3_vtab_cursor *cur) {
  ((TvfCursor *)cur)->i++;
  return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *cur) {
  TvfCursor *c = (TvfCursor *)cur;
  return c->i >= c->n;
}

static void result_id(sqlite3_context *ctx, sqlite3_int64 id) {
  if (id) sqlite3_result_int64(ctx, id);
  else sqlite3_result_null(ctx);
}

/* A row of needs_watch. */
static void needs_column(const ZcConn *zc, const Need *nd, sqlite3_context *ctx, int col) {
  char buf[11];
  switch (col) {
    case NW_ELDER: sqlite3_result_int64(ctx, nd->elder_id); break;
    case NW_NAME: sqlite3_result_text(ctx, nd->name, -1, SQLITE_TRANSIENT); break;
    case NW_LIVES_IN: sqlite3_result_text(ctx, nd->lives_in, -1, SQLITE_TRANSIENT); break;
    case NW_REASON: sqlite3_result_text(ctx, needs_reason_code(nd->reason), -1, SQLITE_STATIC); break;
    case NW_REASON_TEXT: sqlite3_result_text(ctx, needs_reason_text(zc, nd->reason), -1, SQLITE_STATIC); break;
    case NW_DAY:
      zc_day_format(nd->day, buf);
      sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
      break;
    case NW_SITE: result_id(ctx, nd->site_id); break;
    case NW_EVIDENCE: sqlite3_result_text(ctx, nd->evidence, -1, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx); break;
  }
}

static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  TvfCursor *c = (TvfCursor *)cur;
  Tvf *t = (Tvf *)cur->pVtab;
  if (t->def->kind == TVF_NEEDS) {
    needs_column(t->zc, &c->nl.a[c->i], ctx, col);
  } else if (t->def->is_scan) {
    const Finding *f = &c->f.a[c->i];
    char buf[20];
    switch (col) {
      case AS_KIND: sqlite3_result_text(ctx, aKind[f->kind].name, -1, SQLITE_STATIC); break;
      case AS_SEVERITY: sqlite3_result_text(ctx, aKind[f->kind].severity, -1, SQLITE_STATIC); break;
      case AS_SITE: result_id(ctx, f->site_id); break;
      case AS_ELDER: result_id(ctx, f->elder_id); break;
      case AS_MEAL: result_id(ctx, f->meal_id); break;
      case AS_AT:
        if (f->day_level) zc_day_format((int)(f->at / ZC_DAY_SECONDS), buf);
        else zc_time_format(f->at, buf);
        sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
        break;
      case AS_DETAIL: sqlite3_result_text(ctx, f->detail, -1, SQLITE_TRANSIENT); break;
      default: sqlite3_result_null(ctx); break;
    }
  } else {
    const Gap *g = &c->g.a[c->i];
    switch (col) {
      case CG_REGION: sqlite3_result_text(ctx, g->r->code, -1, SQLITE_TRANSIENT); break;
      case CG_NAME: sqlite3_result_text(ctx, g->r->name, -1, SQLITE_TRANSIENT); break;
      case CG_LEVEL: sqlite3_result_text(ctx, g->r->level, -1, SQLITE_TRANSIENT); break;
      case CG_ELDERS: sqlite3_result_int64(ctx, g->elders); break;
      case CG_REASON: sqlite3_result_text(ctx, g->reason, -1, SQLITE_TRANSIENT); break;
      default: sqlite3_result_null(ctx); break;
    }
  }
  return SQLITE_OK;
}

static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((TvfCursor *)cur)->i + 1;
  return SQLITE_OK;
}

/* Eponymous-only: xCreate is NULL, so CREATE VIRTUAL TABLE cannot make one. */
static const sqlite3_module tvf_module = {
    0,            /* iVersion */
    NULL,         /* xCreate */
    tvf_connect,  tvf_best_index, tvf_disconnect, NULL, tvf_open, tvf_close, tvf_filter,
    tvf_next,     tvf_eof,        tvf_column,     tvf_rowid,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

/* zhucan_scan_row: the per-row step of anomaly_scan's own reads, called
** by their statements with a pointer only they can bind (called by hand,
** the pointer is NULL: an error). */
static void scan_row_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  /* the pointer is kept as the argument's auxiliary data: asking for it
  ** again on every row compared its type's name (a strcmp per row, ~2% of
  ** the scan).  Only anomaly_scan's statements bind it, once, and SQLite
  ** keeps auxiliary data per statement, so what is kept is that pointer
  ** (or nothing, and it is asked for again) */
  int *kind = argc > 0 ? sqlite3_get_auxdata(ctx, 0) : NULL;
  if (!kind && argc > 0 && (kind = sqlite3_value_pointer(argv[0], SCAN_PTR))) sqlite3_set_auxdata(ctx, 0, kind, NULL);
  if (kind && *kind == SCAN_FEED) {
    scan_feed_func(ctx, (ScanFeed *)kind, argc, argv);
    return;
  }
  if (kind && *kind == SCAN_DEV) {
    scan_dev_func(ctx, (DevRead *)kind, argc, argv);
    return;
  }
  ZcConn *zc = sqlite3_user_data(ctx);
  sqlite3_result_error(ctx,
                       zc_tr(zc, "zhucan_scan_row: used by anomaly_scan's reads only, not called by hand",
                             "zhucan_scan_row：只供 anomaly_scan 读取数据时内部调用，不能直接调用"),
                       -1);
}

int zc_anomaly_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  int rc = sqlite3_create_function_v2(db, "zhucan_scan_row", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, zc,
                                      scan_row_func, NULL, NULL, NULL);
  if (rc) return rc;
  static const TvfDef *defs[3] = {&scan_def, &gaps_def, &needs_def};
  for (int i = 0; i < 3; i++) {
    TvfAux *aux = sqlite3_malloc(sizeof *aux);
    if (!aux) return SQLITE_NOMEM;
    aux->zc = zc;
    aux->def = defs[i];
    rc = sqlite3_create_module_v2(db, defs[i]->fn, &tvf_module, aux, sqlite3_free);
    if (rc) return rc;
  }
  return SQLITE_OK;
}

