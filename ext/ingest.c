/*
** ingest.c — swipe_log(path, format): a device export file as rows.
**
**   SELECT line, at, device, site_id, method, token, elder_id, slot, error
**     FROM swipe_log('exports/dev12-2024-03.csv', 'csv');
**   SELECT * FROM swipe_log('terminal.log', 'terminal') WHERE error IS NOT NULL;
**   SELECT count(*) FROM swipe_log('x.txt',
**     '^(?<at>\S+ \S+)\|(?<device>[^|]+)\|(?<method>[^|]+)\|(?<token>[^|]+)$');
**
** An eponymous-only, direct-only table-valued function (a view or trigger
** cannot call it: it reads files).  Its schema:
**
**   CREATE TABLE x(line INTEGER, at TEXT, device TEXT, site_id INTEGER,
**                  method TEXT, token TEXT, elder_id INTEGER, slot TEXT,
**                  error TEXT, raw, price_fen INTEGER,
**                  path HIDDEN, format HIDDEN)
**
** One row per line of the file, in file order; a line that cannot be used
** is still a row, with `error` saying why (docs/ingest.md lists the
** vocabulary: "unknown device: 'D-9999'", 'out of hours: 10:15:00', ...;
** a value from the line is echoed through zc_utf8_repr).
**
** How it works.  xFilter opens the file, a regular file only (a FIFO, a
** device, a directory are refused), and reads at most the size it had
** then; xNext reads the next line from a fixed 256 KiB buffer (memchr for
** the newline, fread to refill, which polls for an interrupt), so memory is
** constant whatever the file size.  A line longer than SL_LINE_MAX bytes is
** one error row (its `raw` cut at the limit) and the rest of the line is
** skipped.  The line is checked for UTF-8, split by the format — a
** hand-written parser for 'csv' and 'terminal', the connection's pattern
** cache and matcher (regex.h: its limits) for a custom pattern — and then
** resolved:
** device -> site (device table, site table), token -> elder (card table,
** valid on the day), time -> slot (windows of the policy governing the
** site's region on that day, or the SPEC defaults when none governs; a
** region naming a policy that is not installed makes the lines that need
** its windows error rows).
** Lookups are cached per cursor (one statement) in text maps (common.c),
** so a million lines cost one query per distinct device and token.  The
** values of a line (times, method and slot words, prices, UTF-8 checks)
** are ingest_values.c's (ingest.h).
**
** xBestIndex: both hidden columns must be constrained by '='; argv[0] of
** xFilter is path, argv[1] is format.  idxNum is always 1.
*/
#include "ingest.h"
#include "modules.h"
#include "policy.h"
#include "regex.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Column numbers. */
#define SL_LINE 0
#define SL_AT 1
#define SL_DEVICE 2
#define SL_SITE_ID 3
#define SL_METHOD 4
#define SL_TOKEN 5
#define SL_ELDER_ID 6
#define SL_SLOT 7
#define SL_ERROR 8
#define SL_RAW 9
#define SL_PRICE 10
#define SL_PATH 11
#define SL_FORMAT 12
#define SL_ENCODING 13

#define SL_LINE_MAX 65536            /* bytes of a line, terminator excluded */
#define SL_BUF (4 * SL_LINE_MAX)     /* read buffer */

enum { SL_FMT_CSV = 1, SL_FMT_TERMINAL, SL_FMT_PCRE };
/* How a line's bytes are read: UTF-8 (the default), GB18030 (GBK, GB2312
** and CP936 are subsets), or UTF-8 when the line is valid UTF-8, else
** GB18030.  Names as the encoding column shows them. */
enum { SL_ENC_UTF8 = 0, SL_ENC_GB18030, SL_ENC_AUTO };
static const char *const sl_enc_names[] = {"utf-8", "gb18030", "auto"};


/* ------------------------------------------------------------ lookup caches */

/* An entry of a lookup cache (a ZcTextMap keyed on the text): a device or
** a card token. */
typedef struct SlEntry {
  ZcTextKey key;             /* the device id or the token */
  int found;                 /* the device / card row exists */
  sqlite3_int64 id;          /* device: site_id; card: elder_id */
  int site_found;            /* device: the site row exists */
  char *region;              /* device: the site's region */
  int issued, revoked;       /* card: day numbers (revoked ZC_NONE = open) */
  int bad_dates;             /* card: issued_on/revoked_on not dates */
  int pday;                  /* device: day of the cached policy version */
  const ZcPolicyVersion *pv; /* device: policy version on pday (NULL = none) */
  char *pmissing;            /* device: the governing policy is not installed (the row error) */
} SlEntry;

static void sl_cache_clear(ZcTextMap *m) {
  for (size_t i = 0; i < m->cap; i++) {
    SlEntry *e = zc_textmap_at(m, i);
    if (e) sqlite3_free(e->region), sqlite3_free(e->pmissing);
  }
  zc_textmap_clear(m);
}

/* ------------------------------------------------------------ the vtab */

typedef struct SlVtab {
  sqlite3_vtab base;
  sqlite3 *db;
  ZcConn *zc;
} SlVtab;

#define SL_NFIELD 7 /* at device method token site slot price */

typedef struct SlCursor {
  sqlite3_vtab_cursor base;
  SlVtab *vt;
  /* input */
  FILE *f;
  char *path;
  unsigned char *buf;         /* SL_BUF bytes */
  size_t pos, end;            /* unread data is buf[pos..end) */
  sqlite3_int64 left;         /* bytes still to read: the file's size when opened, less what was read */
  unsigned tick;              /* interrupt polls (zc_interrupted_every) */
  int feof;                   /* fread reached the end of the file */
  int done;                   /* no current row */
  sqlite3_int64 line;
  /* encoding */
  int enc;                    /* SL_ENC_UTF8.. */
  iconv_t cd;                 /* GB18030 -> UTF-8, opened when first needed; (iconv_t)-1 = not yet */
  char *conv;                 /* a decoded line: 2 * (SL_LINE_MAX + 1) bytes */
  /* format */
  int fmt;
  char *fmt_text;
  pcre2_code *re;
  pcre2_match_data *md;
  /* the groups of each field's name, in sl_format's names[] order: several when the format
  ** names two alternatives' groups alike with (?J); a line takes the
  ** first of them that matched */
  uint32_t grp[SL_NFIELD][ZC_REGEX_MAX_DUPS];
  int ngrp[SL_NFIELD];
  /* the current row */
  const char *raw;
  int raw_n, raw_blob;
  char *rawcopy;              /* a cut over-long line */
  char *work;                 /* unquoted CSV fields */
  size_t work_cap;
  char at[20];
  int has_at;
  SlStr device, token;
  const char *method;
  sqlite3_int64 site_id, elder_id, price;
  int has_site, has_elder, has_price;
  int slot;                   /* ZC_BREAKFAST.., -1 = none */
  char *err;                  /* sqlite3_malloc'd, NULL = good row */
  int fatal;                  /* an SQLite error stopped the scan */
  /* lookups */
  ZcTextMap devices, cards;   /* of SlEntry */
  sqlite3_stmt *q_device, *q_card;
} SlCursor;

static int sl_connect(sqlite3 *db, void *pAux, int argc, const char *const *argv,
                      sqlite3_vtab **ppVtab, char **pzErr) {
  (void)argc, (void)argv, (void)pzErr;
  int rc = sqlite3_declare_vtab(
      db,
      "CREATE TABLE x(line INTEGER, at TEXT, device TEXT, site_id INTEGER, method TEXT,"
      " token TEXT, elder_id INTEGER, slot TEXT, error TEXT, raw, price_fen INTEGER,"
      " path HIDDEN, format HIDDEN, encoding HIDDEN)");
  /* Reads files: callable only from top-level SQL, never from a view or a
  ** trigger a hostile schema could plant. */
  if (rc == SQLITE_OK) rc = sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  if (rc != SQLITE_OK) return rc;
  SlVtab *vt = sqlite3_malloc(sizeof *vt);
  if (vt == NULL) return SQLITE_NOMEM;
  memset(vt, 0, sizeof *vt);
  vt->db = db;
  vt->zc = pAux;
  *ppVtab = &vt->base;
  return SQLITE_OK;
}

static int sl_disconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int sl_best_index(sqlite3_vtab *pVtab, sqlite3_index_info *info) {
  int iPath = -1, iFmt = -1, iEnc = -1, seenPath = 0, seenFmt = 0, seenEnc = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->iColumn != SL_PATH && c->iColumn != SL_FORMAT && c->iColumn != SL_ENCODING) continue;
    if (c->iColumn == SL_PATH) seenPath = 1;
    if (c->iColumn == SL_FORMAT) seenFmt = 1;
    if (c->iColumn == SL_ENCODING) seenEnc = 1;
    if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (c->iColumn == SL_PATH) iPath = i;
    else if (c->iColumn == SL_FORMAT) iFmt = i;
    else iEnc = i;
  }
  if (!seenPath || !seenFmt)
    return zc_vtab_errorf(pVtab, sl_msg(((SlVtab *)pVtab)->zc, SLM_MISSING_ARG),
                          seenPath ? "format" : "path", sl_msg(((SlVtab *)pVtab)->zc, SLM_USAGE));
  if (iPath < 0 || iFmt < 0 || (seenEnc && iEnc < 0)) return SQLITE_CONSTRAINT;
  info->aConstraintUsage[iPath].argvIndex = 1;
  info->aConstraintUsage[iPath].omit = 1;
  info->aConstraintUsage[iFmt].argvIndex = 2;
  info->aConstraintUsage[iFmt].omit = 1;
  info->idxNum = 1;
  if (iEnc >= 0) {   /* the optional third argument */
    info->aConstraintUsage[iEnc].argvIndex = 3;
    info->aConstraintUsage[iEnc].omit = 1;
    info->idxNum = 2;
  }
  info->estimatedCost = 1e6;
  info->estimatedRows = 100000;
  return SQLITE_OK;
}

static int sl_open(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur) {
  SlCursor *c = sqlite3_malloc(sizeof *c);
  if (c == NULL) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->vt = (SlVtab *)pVtab;
  zc_textmap_init(&c->devices, sizeof(SlEntry), 0);
  zc_textmap_init(&c->cards, sizeof(SlEntry), 0);
  c->done = 1;
  c->slot = -1;
  c->cd = (iconv_t)-1;
  *ppCur = &c->base;
  return SQLITE_OK;
}

static void sl_row_reset(SlCursor *c) {
  sqlite3_free(c->err);
  c->err = NULL;
  c->raw = c->method = NULL;
  c->raw_n = c->raw_blob = c->has_at = c->has_site = c->has_elder = c->has_price = 0;
  c->device.n = c->token.n = c->slot = -1;
}

static void sl_input_close(SlCursor *c) {
  if (c->f) fclose(c->f);
  c->f = NULL;
  sqlite3_free(c->path);
  c->path = NULL;
  c->pos = c->end = 0;
  c->feof = c->left = c->line = 0;
  c->done = 1;
  sl_row_reset(c);
}

static void sl_format_free(SlCursor *c) {
  pcre2_match_data_free(c->md);   /* c->re belongs to the connection's cache */
  c->md = NULL;
  c->re = NULL;
  sqlite3_free(c->fmt_text);
  c->fmt_text = NULL;
  c->fmt = 0;
}

static int sl_close(sqlite3_vtab_cursor *cur) {
  SlCursor *c = (SlCursor *)cur;
  sl_input_close(c);
  sl_format_free(c);
  sqlite3_free(c->buf);
  sqlite3_free(c->rawcopy);
  sqlite3_free(c->work);
  sqlite3_free(c->conv);
  if (c->cd != (iconv_t)-1) iconv_close(c->cd);
  sl_cache_clear(&c->devices);
  sl_cache_clear(&c->cards);
  sqlite3_finalize(c->q_device);
  sqlite3_finalize(c->q_card);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* ------------------------------------------------------------ errors */

/* Sets the row's error (the first one wins): prefix, then ": " and the
** value v[0..n) through zc_utf8_repr ('text' cut near 60 bytes, or x'hex'
** when it holds a control character), when v is given. */
static void sl_err(SlCursor *c, int msg, const char *v, int n) {
  if (c->err) return;
  const char *prefix = sl_msg(c->vt->zc, msg);
  if (v == NULL) {
    c->err = sqlite3_mprintf("%s", prefix);
  } else {
    char *r = zc_utf8_repr(v, (size_t)n);
    c->err = r ? sqlite3_mprintf(zc_tr(c->vt->zc, "%s: %s", "%s：%s"), prefix, r) : NULL;
    sqlite3_free(r);
  }
  if (c->err == NULL) c->fatal = SQLITE_NOMEM;
}

/* A device's or card's key (text of a line) through zc_utf8_repr; NULL
** with c->fatal set on OOM. */
static char *sl_key_repr(SlCursor *c, const void *entry) {
  const char *k = zc_textmap_key(entry);
  char *r = zc_utf8_repr(k, strlen(k));
  if (r == NULL) c->fatal = SQLITE_NOMEM;
  return r;
}

static void sl_errf(SlCursor *c, int msg, ...) {
  if (c->err) return;
  va_list ap;
  va_start(ap, msg);
  c->err = sqlite3_vmprintf(sl_msg(c->vt->zc, msg), ap);
  va_end(ap);
  if (c->err == NULL) c->fatal = SQLITE_NOMEM;
}

/* Stops the read with rc and the table's error fmt (the first one wins):
** "swipe_log: interrupted" instead whenever the statement is interrupted
** (sqlite3_interrupt() or the progress handler), whatever failed. */
static void sl_fatal(SlCursor *c, int rc, int msg, ...) {
  sqlite3_vtab *vt = c->base.pVtab;
  if (c->fatal) return;
  if (rc == SQLITE_INTERRUPT || (rc != SQLITE_NOMEM && zc_interrupted(c->vt->zc))) {
    rc = SQLITE_INTERRUPT;
    msg = SLM_INTERRUPTED;
  }
  c->fatal = rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_ERROR : rc;
  if (rc == SQLITE_NOMEM) return;
  va_list ap;
  va_start(ap, msg);
  sqlite3_free(vt->zErrMsg);
  vt->zErrMsg = sqlite3_vmprintf(sl_msg(c->vt->zc, msg), ap);
  va_end(ap);
}

/* ------------------------------------------------------------ reading */

/* Reads from the file into c->buf[at..SL_BUF), at most c->left bytes in
** all; at the end sets c->feof.  The bytes read, or -1 on a read error or
** an interrupt (c->fatal set). */
static sqlite3_int64 sl_fill(SlCursor *c, size_t at) {
  if (zc_interrupted_every(c->vt->zc, &c->tick, 0)) {
    sl_fatal(c, SQLITE_INTERRUPT, SLM_INTERRUPTED);
    return -1;
  }
  size_t want = SL_BUF - at;
  if ((sqlite3_int64)want > c->left) want = (size_t)c->left;
  size_t got = want ? fread(c->buf + at, 1, want, c->f) : 0;
  if (got == 0) {
    if (want && ferror(c->f)) {
      sl_fatal(c, SQLITE_ERROR, SLM_READING, c->path, strerror(errno));
      return -1;
    }
    c->feof = 1;
  }
  c->left -= (sqlite3_int64)got;
  return (sqlite3_int64)got;
}

/* Reads the next line into *pp, *pn (terminator excluded, CR kept).  *plen is
** the line's full length.  Returns 1 with a line, 2 with a line too long
** for the buffer (only its first SL_LINE_MAX+1 bytes are in *pp, the rest
** was skipped), 0 at the end of the file, -1 on a read error (c->fatal
** set). */
static int sl_read_line(SlCursor *c, const char **pp, int *pn, sqlite3_int64 *plen) {
  size_t scan = c->pos;   /* bytes before scan hold no newline */
  for (;;) {
    unsigned char *nl = memchr(c->buf + scan, '\n', c->end - scan);
    if (nl) {
      *pp = (const char *)c->buf + c->pos;
      *pn = (int)(nl - (c->buf + c->pos));
      *plen = *pn;
      c->pos = (size_t)(nl - c->buf) + 1;
      return 1;
    }
    if (c->end - c->pos > SL_LINE_MAX + 1) break;   /* over-long */
    if (c->feof) {
      if (c->pos == c->end) return 0;
      *pp = (const char *)c->buf + c->pos;
      *pn = (int)(c->end - c->pos);
      *plen = *pn;
      c->pos = c->end;
      return 1;
    }
    if (c->pos > 0) {
      memmove(c->buf, c->buf + c->pos, c->end - c->pos);
      c->end -= c->pos;
      c->pos = 0;
    }
    scan = c->end;
    sqlite3_int64 got = sl_fill(c, c->end);
    if (got < 0) return -1;
    c->end += (size_t)got;
  }
  /* Over-long: keep the first SL_LINE_MAX+1 bytes, skip to the newline. */
  if (c->rawcopy == NULL && (c->rawcopy = sqlite3_malloc(SL_LINE_MAX + 1)) == NULL) {
    c->fatal = SQLITE_NOMEM;
    return -1;
  }
  memcpy(c->rawcopy, c->buf + c->pos, SL_LINE_MAX + 1);
  sqlite3_int64 len = 0;
  for (;;) {
    unsigned char *nl = memchr(c->buf + c->pos, '\n', c->end - c->pos);
    if (nl) {
      len += nl - (c->buf + c->pos);
      c->pos = (size_t)(nl - c->buf) + 1;
      break;
    }
    len += (sqlite3_int64)(c->end - c->pos);
    c->pos = c->end = 0;
    if (c->feof) break;
    sqlite3_int64 got = sl_fill(c, 0);
    if (got < 0) return -1;
    c->end = (size_t)got;
  }
  *pp = c->rawcopy;
  *pn = SL_LINE_MAX + 1;
  *plen = len;
  return 2;
}

/* ------------------------------------------------------------ encodings */

/* The converter (GB18030 -> UTF-8) and the buffer of decoded lines, made
** once per cursor: 0, -1 out of memory, or the errno of iconv_open (glibc's
** gconv modules missing). */
static int sl_gb_open(SlCursor *c) {
  if (c->conv == NULL && (c->conv = sqlite3_malloc(2 * (SL_LINE_MAX + 1))) == NULL) return -1;
  if (c->cd == (iconv_t)-1) {
    errno = 0;
    if ((c->cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1) return errno ? errno : EINVAL;
  }
  return 0;
}

/* p[0..n) decoded from GB18030 into c->conv (sl_gb_open first): its UTF-8
** length, or -1 and *pbad the offset of the first byte that is not GB18030
** (a NUL is not a line's, as in UTF-8).  partial: see sl_gb_decode. */
static int sl_gb_line(SlCursor *c, const char *p, int n, int partial, int *pbad) {
  const char *nul = memchr(p, 0, (size_t)n);
  int m = sl_gb_decode(c->cd, p, nul ? (int)(nul - p) : n, c->conv, partial && !nul, pbad);
  if (m >= 0 && nul) *pbad = (int)(nul - p), m = -1;
  return m;
}

/* The bytes at p[bad..n) that are not GB18030, at most 4 (its longest
** sequence), through zc_utf8_repr (x'hex'); NULL with c->fatal on OOM. */
static char *sl_gb_bytes(SlCursor *c, const char *p, int n, int bad) {
  char *r = zc_utf8_repr(p + bad, (size_t)(n - bad < 4 ? n - bad : 4));
  if (r == NULL) c->fatal = SQLITE_NOMEM;
  return r;
}

/* A line of a UTF-8 read that is not UTF-8 at bad: a BLOB row; the error
** hints at the encoding argument when the line reads as GB18030. */
static void sl_not_utf8(SlCursor *c, const char *p, int n, int bad) {
  int gbad, hint = 0, r;
  c->raw_blob = 1;
  if (p[bad] != 0) {   /* a NUL is no encoding's */
    if ((r = sl_gb_open(c)) < 0) {
      c->fatal = SQLITE_NOMEM;
      return;
    }
    hint = r == 0 && sl_gb_line(c, p, n, 0, &gbad) >= 0;
  }
  sl_errf(c, SLM_NOT_UTF8, (unsigned char)p[bad], bad + 1, hint ? sl_msg(c->vt->zc, SLM_GBK_HINT) : "");
}

/* A line of a 'gb18030' or 'auto' read (c->raw is p[0..n)): 1 and *pp,
** *pn (and c->raw) the line in UTF-8, or 0 with the row's error set and
** raw the line's bytes as a BLOB. */
static int sl_decode(SlCursor *c, const char **pp, int *pn) {
  const char *p = *pp;
  int n = *pn, ubad = -1, gbad, m;
  if (c->enc == SL_ENC_AUTO && (ubad = sl_utf8_bad((const unsigned char *)p, n)) < 0) return 1;
  if ((m = sl_gb_line(c, p, n, 0, &gbad)) >= 0) {
    p = c->conv;
    if (c->line == 1 && m >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3, m -= 3;   /* GB18030's BOM 84 31 95 33 */
    c->raw = *pp = p;
    c->raw_n = *pn = m;
    return 1;
  }
  char *b = sl_gb_bytes(c, p, n, gbad);
  c->raw_blob = 1;
  if (b == NULL) return 0;
  if (c->enc == SL_ENC_AUTO)
    sl_errf(c, SLM_NEITHER, (unsigned char)p[ubad],
            ubad + 1, b, gbad + 1);
  else
    sl_errf(c, SLM_NOT_GB, b, gbad + 1);
  sqlite3_free(b);
  return 0;
}

/* A line longer than SL_LINE_MAX (len bytes; its first n in p): an error
** row whose raw is its first SL_LINE_MAX bytes, cut on a character
** boundary and decoded as the read's encoding says (a BLOB when they are
** not in it). */
static void sl_too_long(SlCursor *c, const char *p, int n, sqlite3_int64 len) {
  int m = n < SL_LINE_MAX ? n : SL_LINE_MAX, gbad, k;
  c->raw = p;
  c->raw_n = sl_utf8_cut(p, m);
  c->raw_blob = sl_utf8_bad((const unsigned char *)p, c->raw_n) >= 0;
  if (c->enc == SL_ENC_GB18030 || (c->enc == SL_ENC_AUTO && c->raw_blob)) {
    if ((k = sl_gb_line(c, p, m, 1, &gbad)) >= 0) c->raw = c->conv, c->raw_n = k, c->raw_blob = 0;
    else c->raw_n = m, c->raw_blob = 1;
  }
  sl_errf(c, SLM_TOO_LONG, len, SL_LINE_MAX);
}

/* ------------------------------------------------------------ lookups */

static int sl_prepare(SlCursor *c, sqlite3_stmt **pq, const char *sql) {
  if (*pq) return SQLITE_OK;
  int rc = sqlite3_prepare_v2(c->vt->db, sql, -1, pq, NULL);
  if (rc != SQLITE_OK) sl_fatal(c, rc, SLM_SQL, sqlite3_errmsg(c->vt->db));
  return rc;
}

/* The cache entry for a device (looked up once, with its site); NULL with
** c->fatal set on an SQLite error. */
static SlEntry *sl_device(SlCursor *c, SlStr k) {
  uint64_t h = zc_text_hash(k.p, (size_t)k.n);
  SlEntry *e = zc_textmap_find(&c->devices, k.p, (size_t)k.n, h);
  if (e) return e;
  int rc = sl_prepare(c, &c->q_device,
                      "SELECT d.site_id, s.region FROM device d LEFT JOIN site s ON s.id = d.site_id WHERE d.id = ?1");
  if (rc != SQLITE_OK) return NULL;
  if ((e = zc_textmap_add(&c->devices, k.p, (size_t)k.n, h)) == NULL) {
    rc = SQLITE_NOMEM;
    goto device_error;
  }
  e->pday = ZC_NONE;
  sqlite3_bind_text(c->q_device, 1, k.p, k.n, SQLITE_STATIC);
  if ((rc = sqlite3_step(c->q_device)) == SQLITE_ROW) {
    const char *r = (const char *)sqlite3_column_text(c->q_device, 1);
    e->found = 1;
    e->id = sqlite3_column_int64(c->q_device, 0);
    if (r && (e->region = sqlite3_mprintf("%s", r)) == NULL) rc = SQLITE_NOMEM;
    else e->site_found = r != NULL, rc = sqlite3_step(c->q_device);
  }
  sqlite3_reset(c->q_device);
  if (rc == SQLITE_DONE) return e;
device_error:
  sl_fatal(c, rc, SLM_SQL, sqlite3_errmsg(c->vt->db));
  return NULL;
}

static SlEntry *sl_card(SlCursor *c, SlStr k) {
  uint64_t h = zc_text_hash(k.p, (size_t)k.n);
  SlEntry *e = zc_textmap_find(&c->cards, k.p, (size_t)k.n, h);
  if (e) return e;
  int rc = sl_prepare(c, &c->q_card,
                      "SELECT elder_id, issued_on, revoked_on FROM card WHERE token = ?1");
  if (rc != SQLITE_OK) goto card_error;
  if ((e = zc_textmap_add(&c->cards, k.p, (size_t)k.n, h)) == NULL) {
    rc = SQLITE_NOMEM;
    goto card_error;
  }
  e->pday = ZC_NONE;
  sqlite3_bind_text(c->q_card, 1, k.p, k.n, SQLITE_STATIC);
  if ((rc = sqlite3_step(c->q_card)) == SQLITE_ROW) {
    e->found = 1;
    e->id = sqlite3_column_int64(c->q_card, 0);
    e->issued = zc_day_parse((const char *)sqlite3_column_text(c->q_card, 1), -1);
    e->revoked = ZC_NONE;
    if (e->issued == ZC_NONE) e->bad_dates = 1;
    if (sqlite3_column_type(c->q_card, 2) != SQLITE_NULL) {
      e->revoked = zc_day_parse((const char *)sqlite3_column_text(c->q_card, 2), -1);
      if (e->revoked == ZC_NONE) e->bad_dates = 1;
    }
    rc = sqlite3_step(c->q_card);
  }
  sqlite3_reset(c->q_card);
  if (rc == SQLITE_DONE) return e;
card_error:
  sl_fatal(c, rc, SLM_SQL, sqlite3_errmsg(c->vt->db));
  return NULL;
}

/* The SPEC windows when no policy governs (= zc_default_windows, policy_int.h). */
static const ZcWindow sl_default_windows[ZC_NSLOT] = {
    {6 * 3600, 9 * 3600}, {11 * 3600, 13 * 3600 + 30 * 60}, {17 * 3600, 19 * 3600 + 30 * 60}};

/* 1 when a version of policy name is installed (a row of zhucan_policy). */
static int sl_policy_installed(SlCursor *c, const char *name) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(c->vt->db, "SELECT 1 FROM zhucan_policy WHERE name = ?1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

/* The version of the policy governing the device's site on day into
** dev->pv (NULL: none governs, or none in force yet: the SPEC windows).  A
** governing region naming a policy that is not installed is a data error
** of the lines that need its windows (dev->pmissing); any other failure
** stops the read, naming the regions.  0, or -2 with c->fatal set. */
static int sl_policy_at(SlCursor *c, SlEntry *dev, int day) {
  char *zErr = NULL;
  sqlite3_free(dev->pmissing);
  dev->pmissing = NULL;
  dev->pday = day;
  dev->pv = NULL;
  int rc = zc_policy_for_region(c->vt->zc, NULL, dev->region, day, &dev->pv, &zErr);
  if (rc == SQLITE_OK) return 0;
  const ZcRegion *g = zc_region_governing(c->vt->zc, dev->region);
  if (rc == SQLITE_ERROR && g && g->policy && !sl_policy_installed(c, g->policy) && !zc_interrupted(c->vt->zc)) {
    char *pr = zc_utf8_repr(g->policy, strlen(g->policy));
    dev->pmissing = pr ? sqlite3_mprintf(sl_msg(c->vt->zc, SLM_POLICY_MISSING),
                                         pr, g->code, dev->id) : NULL;
    sqlite3_free(pr);
    rc = dev->pmissing ? SQLITE_OK : SQLITE_NOMEM;
  }
  if (rc != SQLITE_OK) {
    char d[11];
    zc_day_format(day, d);
    dev->pday = ZC_NONE;
    sl_fatal(c, rc, SLM_POLICY_OF_SITE, dev->id,
             dev->region, g ? g->code : sl_msg(c->vt->zc, SLM_NONE), d, zErr ? zErr : sqlite3_errstr(rc));
  }
  sqlite3_free(zErr);
  return rc == SQLITE_OK ? 0 : -2;
}

/* Slot for secs of day at the device's site on day, through the governing
** policy (cached per device and day).  -1 = outside every window, -2 =
** error (c->fatal set), -3 = the governing policy is not installed (the
** row's error is set). */
static int sl_slot_at(SlCursor *c, SlEntry *dev, int day, int secs) {
  if (dev->pday != day && sl_policy_at(c, dev, day) < 0) return -2;
  if (dev->pmissing) {
    if (c->err == NULL && (c->err = sqlite3_mprintf("%s", dev->pmissing)) == NULL) c->fatal = SQLITE_NOMEM;
    return -3;
  }
  if (dev->pv) return zc_policy_slot_at(dev->pv, secs);
  for (int i = 0; i < ZC_NSLOT; i++)
    if (secs >= sl_default_windows[i].from && secs <= sl_default_windows[i].to) return i;
  return -1;
}

/* ------------------------------------------------------------ a line */

/* The fields a format found in a line (n = -1: absent). */
typedef struct SlFields {
  SlStr at, device, method, token, site, slot, price;
} SlFields;

/* What a line says besides the row's own columns. */
typedef struct SlLine {
  int day, secs;             /* of the time, when c->has_at */
  int slot;                  /* the line's slot word, -1 = none or bad */
  int has_site;              /* the line names a site ... */
  sqlite3_int64 site;        /* ... this one */
} SlLine;

/* The fields' own values: time, method, slot, price, site, device, token
** (trimmed; the first error wins, in this order). */
static void sl_values(SlCursor *c, SlFields *F, SlLine *L) {
  sqlite3_int64 t = 0;
  SlStr *all[] = {&F->at, &F->device, &F->method, &F->token, &F->site, &F->slot, &F->price};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) *all[i] = sl_trim(*all[i]);
  if (F->at.n > 0 && sl_parse_at(F->at, c->at, &t)) {
    c->has_at = 1;
    L->day = (int)(t / ZC_DAY_SECONDS);
    L->secs = (int)(t - (sqlite3_int64)L->day * ZC_DAY_SECONDS);
  } else if (F->at.n > 0) {
    sl_err(c, SLM_BAD_TIME, F->at.p, F->at.n);
  } else {
    sl_err(c, SLM_MISSING_TIME, NULL, 0);
  }
  if (F->method.n > 0) {
    c->method = sl_method(F->method);
    if (c->method == NULL) sl_err(c, SLM_BAD_METHOD, F->method.p, F->method.n);
  } else {
    sl_err(c, SLM_MISSING_METHOD, NULL, 0);
  }
  if (F->slot.n > 0) {
    L->slot = sl_slot_word(F->slot);
    if (L->slot < 0) sl_err(c, SLM_BAD_SLOT, F->slot.p, F->slot.n);
  }
  if (F->price.n > 0) {
    if (sl_price(F->price, &c->price)) c->has_price = 1;
    else sl_err(c, SLM_BAD_PRICE, F->price.p, F->price.n);
  }
  if (F->site.n > 0) {
    int i = 0;
    for (; i < F->site.n && i < 18 && F->site.p[i] >= '0' && F->site.p[i] <= '9'; i++)
      L->site = L->site * 10 + (F->site.p[i] - '0');
    if (i == F->site.n) L->has_site = 1;
    else sl_err(c, SLM_BAD_SITE, F->site.p, F->site.n);
  }
  if (F->device.n > 0) c->device = F->device;
  else sl_err(c, SLM_MISSING_DEVICE, NULL, 0);
  if (F->token.n > 0) c->token = F->token;
  else sl_err(c, SLM_MISSING_TOKEN, NULL, 0);
}

/* The device's site (and whether the line agrees); 0 with c->fatal set on
** an SQLite error.  *pdev: the device's cache entry, NULL without one. */
static int sl_check_device(SlCursor *c, const SlLine *L, SlEntry **pdev) {
  *pdev = NULL;
  if (c->device.n <= 0) return 1;
  SlEntry *dev = *pdev = sl_device(c, c->device);
  if (dev == NULL) return 0;
  if (!dev->found) {
    sl_err(c, SLM_UNKNOWN_DEVICE, c->device.p, c->device.n);
    return 1;
  }
  c->site_id = dev->id;
  c->has_site = 1;
  if (c->err || (dev->site_found && (!L->has_site || L->site == dev->id))) return 1;
  char *k = sl_key_repr(c, dev);
  if (k == NULL) return 0;
  if (!dev->site_found) sl_errf(c, SLM_UNKNOWN_SITE, dev->id, k);
  else sl_errf(c, SLM_SITE_MISMATCH, L->site, k, dev->id);
  sqlite3_free(k);
  return 1;
}

/* The token's elder, and whether the card is valid on the day; 0 with
** c->fatal set on an SQLite error. */
static int sl_check_card(SlCursor *c, const SlLine *L) {
  if (c->token.n <= 0) return 1;
  SlEntry *card = sl_card(c, c->token);
  if (card == NULL) return 0;
  if (!card->found) {
    sl_err(c, SLM_UNKNOWN_TOKEN, c->token.p, c->token.n);
    return 1;
  }
  char d[11];
  c->elder_id = card->id;
  c->has_elder = 1;
  int bad = card->bad_dates, early = c->has_at && L->day < card->issued,
      revoked = c->has_at && card->revoked != ZC_NONE && L->day >= card->revoked;
  if (c->err || !(bad || early || revoked)) return 1;
  char *k = sl_key_repr(c, card);
  if (k == NULL) return 0;
  if (bad) {
    sl_errf(c, SLM_BAD_CARD, k);
  } else if (early) {
    zc_day_format(card->issued, d);
    sl_errf(c, SLM_NOT_ISSUED, k, d);
  } else {
    zc_day_format(card->revoked, d);
    sl_errf(c, SLM_REVOKED, k, d);
  }
  sqlite3_free(k);
  return 1;
}

/* Turns the fields into the row: values, lookups and the first error. */
static void sl_resolve(SlCursor *c, SlFields *F) {
  SlLine L = {0, 0, -1, 0, 0};
  SlEntry *dev;
  sl_values(c, F, &L);
  if (!sl_check_device(c, &L, &dev)) return;
  if (!sl_check_card(c, &L)) return;
  if (L.slot >= 0) {
    c->slot = L.slot;
  } else if (F->slot.n <= 0 && c->has_at && dev && dev->site_found) {
    /* no slot word: the slot whose window holds the time */
    c->slot = sl_slot_at(c, dev, L.day, L.secs);
    if (c->slot == -1) sl_errf(c, SLM_OUT_OF_HOURS, c->at + 11);   /* the time as normalised */
    if (c->slot < 0) c->slot = -1;
  }
}

/* The built-in 'csv' format: at,device,method,token[,price]; fields may be
** quoted ("a ""b"""), spaces around fields are dropped. */
static void sl_parse_csv(SlCursor *c, const char *p, int n) {
  SlStr fl[6];
  int nf = 0, i = 0;
  if (memchr(p, '"', (size_t)n) == NULL) {
    for (;;) {
      const char *q = memchr(p + i, ',', (size_t)(n - i));
      int e = q ? (int)(q - p) : n;
      if (nf == 6) break;
      fl[nf].p = p + i;
      fl[nf].n = e - i;
      nf++;
      if (q == NULL) break;
      i = e + 1;
    }
  } else {
    if (c->work_cap < (size_t)n + 1) {
      char *w = sqlite3_realloc64(c->work, (size_t)n + 1);
      if (w == NULL) {
        c->fatal = SQLITE_NOMEM;
        return;
      }
      c->work = w;
      c->work_cap = (size_t)n + 1;
    }
    char *w = c->work;
    int wn = 0;
    for (;;) {
      if (nf == 6) break;
      while (i < n && sl_space(p[i])) i++;
      if (i < n && p[i] == '"') {
        int start = wn;
        i++;
        for (;;) {
          if (i >= n) {
            sl_err(c, SLM_UNBALANCED_QUOTE, NULL, 0);
            return;
          }
          if (p[i] == '"') {
            if (i + 1 < n && p[i + 1] == '"') {
              w[wn++] = '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          w[wn++] = p[i++];
        }
        fl[nf].p = w + start;
        fl[nf].n = wn - start;
        nf++;
        while (i < n && sl_space(p[i])) i++;
        if (i < n && p[i] != ',') {
          sl_err(c, SLM_AFTER_QUOTE, NULL, 0);
          return;
        }
      } else {
        const char *q = memchr(p + i, ',', (size_t)(n - i));
        int e = q ? (int)(q - p) : n;
        if (memchr(p + i, '"', (size_t)(e - i))) {
          sl_err(c, SLM_QUOTE_INSIDE, NULL, 0);
          return;
        }
        fl[nf].p = p + i;
        fl[nf].n = e - i;
        nf++;
        i = e;
      }
      if (i >= n) break;
      i++;   /* the comma */
    }
  }
  if (nf < 4 || nf > 5) {
    sl_errf(c, nf > 5 ? SLM_FIELDS_MORE : nf == 1 ? SLM_FIELD_1 : SLM_FIELDS, nf > 5 ? 5 : nf);
    return;
  }
  SlFields F = {fl[0], fl[1], fl[2], fl[3], {NULL, -1}, {NULL, -1}, nf == 5 ? fl[4] : (SlStr){NULL, -1}};
  sl_resolve(c, &F);
}

/* The built-in 'terminal' format:
**   [2024-03-05 11:32:05] DEV-0012 FACE ok uid=E00042 score=0.93
**   [2024-03-05 11:32:07] DEV-0012 CARD ok card=6212340000123456 price=12.00
**   [2024-03-05 11:33:10] DEV-0012 FACE FAIL reason=nomatch
** status 'ok' (any case) is a meal; any other status is an error row.  Keys
** uid=, card= or token= give the token, price= (yuan) and slot= are used,
** others ignored. */
static void sl_parse_terminal(SlCursor *c, const char *p, int n) {
  SlFields F = {{NULL, -1}, {NULL, -1}, {NULL, -1}, {NULL, -1},
                {NULL, -1}, {NULL, -1}, {NULL, -1}};
  int i = 0;
  while (i < n && sl_space(p[i])) i++;
  const char *close = i < n && p[i] == '[' ? memchr(p + i, ']', (size_t)(n - i)) : NULL;
  if (close == NULL) {
    sl_err(c, SLM_NOT_TERMINAL, NULL, 0);
    return;
  }
  F.at.p = p + i + 1;
  F.at.n = (int)(close - F.at.p);
  i = (int)(close - p) + 1;
  F.device = sl_word(p, n, &i);
  F.method = sl_word(p, n, &i);
  SlStr status = sl_word(p, n, &i);
  if (status.n < 0) {
    sl_err(c, SLM_NOT_TERMINAL, NULL, 0);
    return;
  }
  if (!(status.n == 2 && (status.p[0] | 32) == 'o' && (status.p[1] | 32) == 'k'))
    sl_err(c, SLM_DEVICE_STATUS, status.p, (int)(p + n - status.p));
  for (SlStr w = sl_word(p, n, &i); w.n > 0; w = sl_word(p, n, &i)) {
    SlStr v;
    if (sl_key(w, "uid", &v) || sl_key(w, "card", &v) || sl_key(w, "token", &v)) F.token = v;
    else if (sl_key(w, "price", &v)) F.price = v;
    else if (sl_key(w, "slot", &v)) F.slot = v;
  }
  sl_resolve(c, &F);
}

static SlStr sl_group(SlCursor *c, const char *p, int field) {
  SlStr s = {NULL, -1};
  if (c->ngrp[field] == 0) return s;
  uint32_t g = zc_regex_first_set(c->md, c->grp[field], c->ngrp[field]);
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
  if (ov[2 * g] == PCRE2_UNSET) return s;
  s.p = p + ov[2 * g];
  s.n = (int)(ov[2 * g + 1] - ov[2 * g]);
  return s;
}

/* A custom format: the pattern through the connection's matcher (its
** limits).  A failure to match (a limit reached) is the pattern's, not the
** line's: it stops the read at once instead of costing every line. */
static void sl_parse_pcre(SlCursor *c, const char *p, int n) {
  char *err = NULL;
  int rc = zc_regex_match(c->vt->zc, c->re, p, (size_t)n, 0, c->md, &err);
  if (rc < 0) {
    sl_fatal(c, err ? SQLITE_ERROR : SQLITE_NOMEM,
             SLM_PATTERN_FAILED, c->line, err);
    sqlite3_free(err);
    return;
  }
  if (rc == 0) {
    sl_err(c, SLM_NO_MATCH, NULL, 0);
    return;
  }
  SlFields F = {sl_group(c, p, 0), sl_group(c, p, 1), sl_group(c, p, 2), sl_group(c, p, 3),
                sl_group(c, p, 4), sl_group(c, p, 5), sl_group(c, p, 6)};
  sl_resolve(c, &F);
}

/* Advances to the next line; sets c->done at the end. */
static int sl_next(sqlite3_vtab_cursor *cur) {
  SlCursor *c = (SlCursor *)cur;
  const char *p;
  int n;
  sqlite3_int64 len;
  sl_row_reset(c);
  int r = sl_read_line(c, &p, &n, &len);
  if (r <= 0) {   /* the end, or an error (c->fatal) */
    c->done = 1;
    return r < 0 ? c->fatal : SQLITE_OK;
  }
  c->line++;
  if (c->line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3, n -= 3, len -= 3;
  if (r == 1 && n > 0 && p[n - 1] == '\r') n--, len--;
  if (len > SL_LINE_MAX) {
    sl_too_long(c, p, n, len);
    goto next_done;
  }
  c->raw = p;
  c->raw_n = n;
  if (c->enc == SL_ENC_UTF8) {   /* the only test a UTF-8 read pays per line */
    int bad = sl_utf8_bad((const unsigned char *)p, n);
    if (bad >= 0) {
      sl_not_utf8(c, p, n, bad);
      goto next_done;
    }
  } else if (!sl_decode(c, &p, &n)) {
    goto next_done;
  }
  int i = 0;
  while (i < n && (sl_space(p[i]) || p[i] == '\r')) i++;
  if (i == n) {
    sl_err(c, SLM_BLANK, NULL, 0);
    goto next_done;
  }
  if (c->fmt == SL_FMT_CSV) {
    if (c->line == 1) {
      if (p[i] == '"') i++;
      if (i < n && (p[i] < '0' || p[i] > '9')) {
        sl_err(c, SLM_HEADER, NULL, 0);
        goto next_done;
      }
    }
    sl_parse_csv(c, p, n);
  } else if (c->fmt == SL_FMT_TERMINAL) {
    sl_parse_terminal(c, p, n);
  } else {
    sl_parse_pcre(c, p, n);
  }
next_done:
  if (c->fatal) c->done = 1;
  return c->fatal;
}

/* Compiles a custom format (or recognises a built-in one). */
static int sl_format(SlCursor *c, const char *fmt) {
  sqlite3_vtab *vt = c->base.pVtab;
  int rc = SQLITE_OK;
  if (c->fmt_text && strcmp(c->fmt_text, fmt) == 0) return SQLITE_OK;
  sl_format_free(c);
  c->fmt_text = sqlite3_mprintf("%s", fmt);
  if (c->fmt_text == NULL) return SQLITE_NOMEM;
  if (strcmp(fmt, "csv") == 0 || strcmp(fmt, "terminal") == 0) {
    c->fmt = fmt[0] == 'c' ? SL_FMT_CSV : SL_FMT_TERMINAL;
    return SQLITE_OK;
  }
  /* compiled (JIT) and kept by the connection's pattern cache (regex.c) */
  char *err = NULL;
  if ((rc = zc_regex_get(c->vt->zc, fmt, -1, &c->re, &err)) != SQLITE_OK) {
    if (rc != SQLITE_NOMEM) rc = zc_vtab_errorf(vt, sl_msg(c->vt->zc, SLM_FORMAT_BAD), err, sl_msg(c->vt->zc, SLM_USAGE));
    sqlite3_free(err);
    goto format_error;
  }
  if ((c->md = pcre2_match_data_create_from_pattern(c->re, NULL)) == NULL) {
    rc = SQLITE_NOMEM;
    goto format_error;
  }
  static const char *const names[] = {"at", "device", "method", "token", "site", "slot", "price"};
  char missing[40] = "";
  for (int i = 0; i < SL_NFIELD; i++) {
    /* duplicate names ((?J)) are fine: zc_regex_groups lists them all */
    int ng = zc_regex_groups(c->re, names[i], c->grp[i], ZC_REGEX_MAX_DUPS);
    c->ngrp[i] = ng < ZC_REGEX_MAX_DUPS ? ng : ZC_REGEX_MAX_DUPS;
    if (ng <= 0 && i < 4) {
      if (missing[0]) strcat(missing, ", ");
      strcat(missing, names[i]);   /* at most "at, device, method, token" */
    }
  }
  if (missing[0]) {
    char *r = zc_utf8_repr(fmt, strlen(fmt));
    rc = r ? zc_vtab_errorf(vt, sl_msg(c->vt->zc, SLM_FORMAT_GROUPS), r, missing, sl_msg(c->vt->zc, SLM_USAGE))
           : SQLITE_NOMEM;
    sqlite3_free(r);
    goto format_error;
  }
  c->fmt = SL_FMT_PCRE;
  return SQLITE_OK;
format_error:
  sl_format_free(c);
  return rc;
}

/* What a file that is not a regular file is. */
static const char *sl_file_kind(const ZcConn *zc, mode_t m) {
  return sl_msg(zc, S_ISDIR(m) ? SLM_KIND_DIR : S_ISFIFO(m) ? SLM_KIND_FIFO : S_ISCHR(m) ? SLM_KIND_CHR
                    : S_ISBLK(m) ? SLM_KIND_BLK : S_ISSOCK(m) ? SLM_KIND_SOCK : SLM_KIND_OTHER);
}

/* Opens path for reading, if it is a regular file: opened without
** blocking (a FIFO with no writer would block in open), checked with
** fstat, then read as a stream of at most the size it has now (a file that
** grows meanwhile, or never ends, is read no further). */
static int sl_open_file(SlCursor *c, const char *path) {
  struct stat st;
  int fd = zc_plat_open_read(path), rc = SQLITE_OK;
  if (fd < 0 && errno != EISDIR)
    return zc_vtab_errorf(c->base.pVtab, sl_msg(c->vt->zc, SLM_CANNOT_OPEN), path, strerror(errno));
  if (fd < 0) st.st_mode = S_IFDIR;   /* Windows opens no directory (plat.c) */
  else if (fstat(fd, &st) != 0) {
    rc = zc_vtab_errorf(c->base.pVtab, sl_msg(c->vt->zc, SLM_CANNOT_READ), path, strerror(errno));
    close(fd);
    return rc;
  }
  if (!S_ISREG(st.st_mode))
    rc = zc_vtab_errorf(c->base.pVtab, sl_msg(c->vt->zc, SLM_NOT_REGULAR), path,
                        sl_file_kind(c->vt->zc, st.st_mode));
  else if ((c->f = fdopen(fd, "rb")) == NULL)
    rc = zc_vtab_errorf(c->base.pVtab, sl_msg(c->vt->zc, SLM_CANNOT_READ), path, strerror(errno));
  if (rc == SQLITE_OK) c->left = st.st_size;
  else if (fd >= 0) close(fd);
  return rc;
}

/* The encoding argument (any case), or an error naming it. */
static int sl_encoding(SlCursor *c, sqlite3_value *v) {
  static const struct { const char *name; int enc; } names[] = {
      {"utf-8", SL_ENC_UTF8}, {"utf8", SL_ENC_UTF8}, {"gb18030", SL_ENC_GB18030}, {"gbk", SL_ENC_GB18030},
      {"gb2312", SL_ENC_GB18030}, {"cp936", SL_ENC_GB18030}, {"auto", SL_ENC_AUTO}};
  if (sqlite3_value_type(v) == SQLITE_TEXT) {
    const char *t = (const char *)sqlite3_value_text(v);
    if (t == NULL) return SQLITE_NOMEM;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      if (sqlite3_stricmp(t, names[i].name) == 0 && (int)strlen(t) == sqlite3_value_bytes(v)) {
        c->enc = names[i].enc;
        return SQLITE_OK;
      }
  }
  char *r = zc_value_repr(v);
  int rc = r ? zc_vtab_errorf(c->base.pVtab, sl_msg(c->vt->zc, SLM_BAD_ENCODING), r,
                              sl_msg(c->vt->zc, SLM_ENC_USAGE))
             : SQLITE_NOMEM;
  sqlite3_free(r);
  return rc;
}

/* A text argument, or an error naming it. */
static int sl_arg(SlCursor *c, sqlite3_value *v, const char *what, const char **out) {
  if (sqlite3_value_type(v) == SQLITE_TEXT && sqlite3_value_bytes(v) > 0) {
    *out = (const char *)sqlite3_value_text(v);
    if (*out == NULL) return SQLITE_NOMEM;
    if ((int)strlen(*out) == sqlite3_value_bytes(v)) return SQLITE_OK;
  }
  char *r = zc_value_repr(v);
  int rc = zc_vtab_errorf(c->base.pVtab, sl_msg(c->vt->zc, strcmp(what, "path") == 0 ? SLM_BAD_PATH : SLM_BAD_FORMAT),
                          r ? r : "?", sl_msg(c->vt->zc, SLM_USAGE));
  sqlite3_free(r);
  return rc;
}

static int sl_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                     sqlite3_value **argv) {
  SlCursor *c = (SlCursor *)cur;
  const char *path = NULL, *fmt = NULL;
  int rc;
  (void)idxStr;
  sl_input_close(c);
  c->fatal = 0;
  c->enc = SL_ENC_UTF8;
  if (idxNum != argc - 1 || argc < 2 || argc > 3) {
    rc = zc_vtab_errorf(cur->pVtab, sl_msg(c->vt->zc, SLM_EXPECTED), sl_msg(c->vt->zc, SLM_USAGE));
    goto filter_error;
  }
  if ((rc = sl_arg(c, argv[0], "path", &path)) != SQLITE_OK) goto filter_error;
  if ((rc = sl_arg(c, argv[1], "format", &fmt)) != SQLITE_OK) goto filter_error;
  if ((rc = sl_format(c, fmt)) != SQLITE_OK) goto filter_error;
  if (argc == 3 && (rc = sl_encoding(c, argv[2])) != SQLITE_OK) goto filter_error;
  if (c->enc != SL_ENC_UTF8 && (rc = sl_gb_open(c)) != 0) {
    rc = rc < 0 ? SQLITE_NOMEM
                : zc_vtab_errorf(cur->pVtab, sl_msg(c->vt->zc, SLM_NO_ICONV), strerror(rc));
    goto filter_error;
  }
  /* region and policy caches must see the data as it is now */
  if ((rc = zc_facts_sync(c->vt->zc)) != SQLITE_OK) goto filter_error;
  if ((c->buf == NULL && (c->buf = sqlite3_malloc(SL_BUF)) == NULL) || (c->path = sqlite3_mprintf("%s", path)) == NULL) {
    rc = SQLITE_NOMEM;
    goto filter_error;
  }
  if ((rc = sl_open_file(c, path)) != SQLITE_OK) goto filter_error;
  c->done = 0;
  return sl_next(cur);
filter_error:
  sl_input_close(c);
  return rc;
}

static int sl_eof(sqlite3_vtab_cursor *cur) { return ((SlCursor *)cur)->done; }

static void sl_text(sqlite3_context *ctx, const char *p, int n) {
  if (p == NULL || n < 0) sqlite3_result_null(ctx);
  else sqlite3_result_text(ctx, p, n, SQLITE_TRANSIENT);
}

static int sl_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i) {
  SlCursor *c = (SlCursor *)cur;
  switch (i) {
    case SL_LINE: sqlite3_result_int64(ctx, c->line); break;
    case SL_AT: sl_text(ctx, c->has_at ? c->at : NULL, 19); break;
    case SL_DEVICE: sl_text(ctx, c->device.p, c->device.n); break;
    case SL_SITE_ID:
      if (c->has_site) sqlite3_result_int64(ctx, c->site_id);
      break;
    case SL_METHOD: sl_text(ctx, c->method, c->method ? (int)strlen(c->method) : -1); break;
    case SL_TOKEN: sl_text(ctx, c->token.p, c->token.n); break;
    case SL_ELDER_ID:
      if (c->has_elder) sqlite3_result_int64(ctx, c->elder_id);
      break;
    case SL_SLOT:
      if (c->slot >= 0) sqlite3_result_text(ctx, zc_slot_name(c->slot), -1, SQLITE_STATIC);
      break;
    case SL_ERROR: sl_text(ctx, c->err, c->err ? (int)strlen(c->err) : -1); break;
    case SL_RAW:
      if (c->raw_blob) sqlite3_result_blob(ctx, c->raw, c->raw_n, SQLITE_TRANSIENT);
      else sl_text(ctx, c->raw ? c->raw : "", c->raw_n);
      break;
    case SL_PRICE:
      if (c->has_price) sqlite3_result_int64(ctx, c->price);
      break;
    case SL_PATH: sl_text(ctx, c->path, c->path ? (int)strlen(c->path) : -1); break;
    case SL_FORMAT: sl_text(ctx, c->fmt_text, c->fmt_text ? (int)strlen(c->fmt_text) : -1); break;
    case SL_ENCODING: sqlite3_result_text(ctx, sl_enc_names[c->enc], -1, SQLITE_STATIC); break;
    default: break;
  }
  return SQLITE_OK;
}

static int sl_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid) {
  *pRowid = ((SlCursor *)cur)->line;
  return SQLITE_OK;
}

/* Eponymous-only: xCreate is NULL, so CREATE VIRTUAL TABLE cannot make one. */
static sqlite3_module sl_module = {
    0, NULL, sl_connect, sl_best_index, sl_disconnect, NULL, sl_open, sl_close, sl_filter, sl_next,
    sl_eof, sl_column, sl_rowid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

int zc_ingest_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  return sqlite3_create_module_v2(db, "swipe_log", &sl_module, zc, NULL);
}
