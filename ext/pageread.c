/*
** pageread.c — a read-only cursor over one index b-tree of the main
** database file (pageread.h), decoding SQLite's documented file format
** (https://www.sqlite.org/fileformat2.html): index pages (interior 0x02,
** leaf 0x0a), cells with their payload spilled to overflow pages past the
** local limit, records of varint serial types.
**
** When the file is what the connection sees.  The cursor reads the file
** through the connection's own handle (SQLITE_FCNTL_FILE_POINTER), on the
** calling thread, inside a read transaction it holds itself (a statement
** stepped to its row and left there), and only when:
**   - the connection has no write pending (sqlite3_txn_state is READ: no
**     page of its cache differs from the file);
**   - the file is in a rollback-journal mode (header bytes 18-19 are 1):
**     in WAL mode newer pages may be in the log;
**   - the shared lock of that transaction stops any other connection from
**     writing the file until the cursor is closed;
**   - the file starts with SQLite's header, in UTF-8;
**   - the index has exactly the columns asked for, ascending, BINARY, is
**     not partial, and its table is not shadowed by a temp table.
** Otherwise zc_pr_open says why and the caller steps SQLite as before.
**
** A malformed page is never trusted: every offset, length, page number and
** depth is checked against the page and the file before it is used, and
** the cursor fails with SQLITE_CORRUPT naming the page (as SQLite would
** fail reading it).  Pages are read one at a time into one buffer per
** level of the tree (kept while the level's page does not change, so a
** seek re-reads only the levels it leaves).
*/
#include "pageread.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PR_MAXDEPTH 24   /* SQLite's own limit is 20 */

typedef struct Level {
  unsigned char *pg;     /* the page: page-size bytes */
  unsigned pgno;         /* its number; 0: none read */
  int hdr;               /* where its b-tree header is (100 on page 1) */
  int leaf;
  int ncell;
  int i;                 /* leaf: the current cell; interior: the child gone into (ncell: the right-most) */
} Level;

struct ZcPr {
  sqlite3 *db;
  sqlite3_file *fd;
  sqlite3_stmt *conv;    /* SELECT ?1, ...: zc_pr_values */
  int nconv;
  sqlite3_stmt *pin;     /* on its row: the read transaction */
  int pgsz, usable;
  unsigned npage;
  unsigned root;
  int nfield;            /* the index's columns and the rowid */
  int cur;               /* the level of the current entry; -1: past the end */
  Level lv[PR_MAXDEPTH];
  unsigned char *buf;    /* a spilled payload, put together */
  size_t cap;
  unsigned char *ovpg;   /* an overflow page */
  sqlite3_int64 ovreads, seeks;   /* overflow pages read; seeks made (the budget, cell) */
  /* the checks that a damaged tree cannot send the cursor round: no page
  ** of the index is read twice (seen: a bit per page), and the entry a
  ** seek lands on is not below the key sought (low) */
  unsigned char *seen;
  unsigned char *lowz;   /* the seek key's text (a copy) */
  size_t caplow;
  ZcPrVal low[2];
  int nlow;              /* 0: no seek key to check */
  char msg[80], msg_zh[80];
};

static unsigned get2(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned get4(const unsigned char *p) {
  return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* A varint at p (before end): its length (1-9), 0 if it runs past end. */
static int varint_long(const unsigned char *p, const unsigned char *end, sqlite3_uint64 *out) {
  ptrdiff_t left = end - p;
  sqlite3_uint64 v = 0;
  for (int k = 0; k < 8; k++) {
    if (k >= left) return 0;
    v = (v << 7) | (p[k] & 0x7f);
    if (!(p[k] & 0x80)) {
      *out = v;
      return k + 1;
    }
  }
  if (left < 9) return 0;
  *out = (v << 8) | p[8];
  return 9;
}

static inline int varint(const unsigned char *p, const unsigned char *end, sqlite3_uint64 *out) {
  if (p < end && p[0] < 0x80) {   /* most: serial types, short texts, sizes below 128 */
    *out = p[0];
    return 1;
  }
  return varint_long(p, end, out);
}

/* What is wrong, in both languages (zc_pr_errmsg). */
static const char *const whats[][2] = {
    {"page number out of range", "页号超出文件范围"},
    {"not an index b-tree page", "不是索引 B 树页"},
    {"too many cells", "单元数超出页面"},
    {"bad cell offset", "单元偏移错误"},
    {"bad cell", "单元损坏"},
    {"bad payload size", "记录长度错误"},
    {"payload past the page", "记录超出页面"},
    {"bad overflow pointer", "溢出页指针错误"},
    {"overflow chain loops", "溢出页链成环"},
    {"bad record header", "记录头损坏"},
    {"record past its payload", "字段超出记录"},
    {"reserved serial type", "保留的字段类型"},
    {"the tree is too deep", "B 树层数过多"},
    {"an entry before the key sought", "条目早于所查找的键"},
    {"a page reached twice", "同一页被读到两次"},
    {"an entry with too few columns", "条目的列数不足"},
};

static int corrupt(ZcPr *c, unsigned pgno, const char *what) {
  const char *zh = what;
  for (size_t k = 0; k < sizeof whats / sizeof whats[0]; k++)
    if (strcmp(whats[k][0], what) == 0) zh = whats[k][1];
  snprintf(c->msg, sizeof c->msg, "page %u: %s", pgno, what);
  snprintf(c->msg_zh, sizeof c->msg_zh, "第 %u 页：%s", pgno, zh);
  return SQLITE_CORRUPT;
}

/* Reads page pgno into buf. */
static int read_page(ZcPr *c, unsigned pgno, unsigned char *buf) {
  if (pgno < 1 || pgno > c->npage) return corrupt(c, pgno, "page number out of range");
  int rc = c->fd->pMethods->xRead(c->fd, buf, c->pgsz, (sqlite3_int64)(pgno - 1) * c->pgsz);
  if (rc != SQLITE_OK) {
    snprintf(c->msg, sizeof c->msg, "page %u: cannot be read", pgno);
    snprintf(c->msg_zh, sizeof c->msg_zh, "第 %u 页：无法读取", pgno);
    return (rc & 0xff) == SQLITE_IOERR ? rc : SQLITE_IOERR;
  }
  return SQLITE_OK;
}

/* Level d holds page pgno (read unless it is there already), checked as an
** index page. */
static int load(ZcPr *c, int d, unsigned pgno) {
  if (d >= PR_MAXDEPTH) return corrupt(c, pgno, "the tree is too deep");
  Level *L = &c->lv[d];
  if (!L->pg && !(L->pg = sqlite3_malloc(c->pgsz))) return SQLITE_NOMEM;
  if (L->pgno != pgno) {
    L->pgno = 0;
    /* stepping forward, and seeking only forward past the entries given
    ** (the callers' seeks do), reads each page of a sound index once */
    if (!c->seen) {
      size_t nb = ((size_t)c->npage >> 3) + 1;
      if (!(c->seen = sqlite3_malloc64(nb))) return SQLITE_NOMEM;
      memset(c->seen, 0, nb);
    }
    if (pgno >= 1 && pgno <= c->npage) {
      if (c->seen[pgno >> 3] & (1u << (pgno & 7))) return corrupt(c, pgno, "a page reached twice");
      c->seen[pgno >> 3] |= (unsigned char)(1u << (pgno & 7));
    }
    int rc = read_page(c, pgno, L->pg);
    if (rc) return rc;
    int hdr = pgno == 1 ? 100 : 0;
    unsigned char t = L->pg[hdr];
    if (t != 0x0a && t != 0x02) return corrupt(c, pgno, "not an index b-tree page");
    L->hdr = hdr;
    L->leaf = t == 0x0a;
    L->ncell = (int)get2(L->pg + hdr + 3);
    if (hdr + (L->leaf ? 8 : 12) + 2 * L->ncell > c->usable) return corrupt(c, pgno, "too many cells");
    L->pgno = pgno;
  }
  return SQLITE_OK;
}

static unsigned right_child(const ZcPr *c, const Level *L) {
  (void)c;
  return get4(L->pg + L->hdr + 8);
}

/* Cell i of level L: its child (interior), and its payload, put together
** in c->buf when it spills.  *rec, *nrec. */
static int cell(ZcPr *c, Level *L, int i, int local_only, unsigned *child, const unsigned char **rec, sqlite3_int64 *nrec) {
  int ptrs = L->hdr + (L->leaf ? 8 : 12);
  unsigned off = get2(L->pg + ptrs + 2 * i);
  if (off < (unsigned)(ptrs + 2 * L->ncell) || off >= (unsigned)c->usable) return corrupt(c, L->pgno, "bad cell offset");
  const unsigned char *p = L->pg + off, *end = L->pg + c->usable;
  if (!L->leaf) {
    if (end - p < 4) return corrupt(c, L->pgno, "bad cell");
    *child = get4(p);
    p += 4;
  }
  sqlite3_uint64 P;
  int k = varint(p, end, &P);
  /* no larger than the file's pages could hold */
  if (!k || P > 0x7fffffff || P > (sqlite3_uint64)c->npage * (sqlite3_uint64)(c->usable - 4))
    return corrupt(c, L->pgno, "bad payload size");
  p += k;
  /* the local part (fileformat2, "B-tree Pages": index pages) */
  sqlite3_int64 U = c->usable, X = ((U - 12) * 64 / 255) - 23, local = (sqlite3_int64)P;
  if (local > X) {
    sqlite3_int64 M = ((U - 12) * 32 / 255) - 23, K = M + (((sqlite3_int64)P - M) % (U - 4));
    local = K <= X ? K : M;
  }
  /* lengths against what is left of the page (no pointer is formed past it) */
  if (local > end - p) return corrupt(c, L->pgno, "payload past the page");
  if (local < (sqlite3_int64)P && local + 4 > end - p) return corrupt(c, L->pgno, "bad overflow pointer");
  if (local == (sqlite3_int64)P || local_only) {
    *rec = p;
    *nrec = local;
    return local == (sqlite3_int64)P ? SQLITE_OK : SQLITE_DONE;   /* DONE: only the local part */
  }
  if ((size_t)P > c->cap) {
    unsigned char *nb = sqlite3_realloc64(c->buf, P);
    if (!nb) return SQLITE_NOMEM;
    c->buf = nb;
    c->cap = (size_t)P;
  }
  if (!c->ovpg && !(c->ovpg = sqlite3_malloc(c->pgsz))) return SQLITE_NOMEM;
  memcpy(c->buf, p, (size_t)local);
  sqlite3_int64 have = local;
  unsigned next = get4(p + local);
  for (unsigned hops = 0; have < (sqlite3_int64)P; hops++) {
    /* each overflow page belongs to one entry, read once as the index is
    ** stepped, and by the seeks' comparisons: more is a damaged chain */
    if (hops > c->npage || ++c->ovreads > 8 * (sqlite3_int64)c->npage + 2048 * (c->seeks + 1))
      return corrupt(c, next, "overflow chain loops");
    int rc = read_page(c, next, c->ovpg);
    if (rc) return rc;
    sqlite3_int64 n = (sqlite3_int64)P - have;
    if (n > U - 4) n = U - 4;
    memcpy(c->buf + have, c->ovpg + 4, (size_t)n);
    have += n;
    next = get4(c->ovpg);
  }
  *rec = c->buf;
  *nrec = (sqlite3_int64)P;
  return SQLITE_OK;
}

/* The first nv fields of record a[0..n): *got of them. */
/* (partial: a[0..n) is the local part of a longer payload; SQLITE_DONE
** when the fields asked for run past it.) */
#define PAST(what) (partial ? SQLITE_DONE : corrupt(c, pgno, what))
static int fields(ZcPr *c, unsigned pgno, const unsigned char *a, sqlite3_int64 n, int partial, ZcPrVal *v, int nv,
                  int *got) {
  const unsigned char *end = a + n;
  sqlite3_uint64 hs;
  int k = varint(a, end, &hs);
  if (!k) return PAST("bad record header");
  if (hs < (sqlite3_uint64)k) return corrupt(c, pgno, "bad record header");
  if (hs > (sqlite3_uint64)n) return PAST("bad record header");
  const unsigned char *h = a + k, *hend = a + hs, *d = a + hs;
  int j = 0;
  while (h < hend && j < nv) {
    sqlite3_uint64 t = *h, len;
    if (t < 0x80) {
      h++;
    } else {
      if (!(k = varint(h, hend, &t))) return corrupt(c, pgno, "bad record header");
      h += k;
    }
    ZcPrVal *x = &v[j++];
    if (t >= 12) {   /* text and blobs: most columns */
      len = (t - 12) >> 1;
      if ((sqlite3_uint64)(end - d) < len) return PAST("record past its payload");
      x->type = (t & 1) ? SQLITE_TEXT : SQLITE_BLOB;
      x->z = (const char *)d;
      x->n = (int)len;
    } else if (t >= 1 && t <= 6) {
      static const unsigned char isz[7] = {0, 1, 2, 3, 4, 6, 8};
      len = isz[t];
      if ((sqlite3_uint64)(end - d) < len) return PAST("record past its payload");
      x->type = SQLITE_INTEGER;
      switch (t) {   /* big-endian two's complement of 1, 2, 3, 4, 6 or 8 bytes */
        case 1: x->i = (signed char)d[0]; break;
        case 2: x->i = (sqlite3_int64)(int16_t)(d[0] << 8 | d[1]); break;
        case 3: x->i = (sqlite3_int64)((int32_t)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8) >> 8); break;
        case 4: x->i = (sqlite3_int64)(int32_t)get4(d); break;
        default: {
          sqlite3_uint64 u = (d[0] & 0x80) ? ~(sqlite3_uint64)0 : 0;
          for (sqlite3_uint64 b = 0; b < len; b++) u = (u << 8) | d[b];
          x->i = (sqlite3_int64)u;
        }
      }
    } else if (t == 0 || t == 8 || t == 9) {
      len = 0;
      x->type = t == 0 ? SQLITE_NULL : SQLITE_INTEGER;
      x->i = t == 9;
    } else if (t == 7) {
      len = 8;
      if (end - d < 8) return PAST("record past its payload");
      sqlite3_uint64 u = 0;
      for (int b = 0; b < 8; b++) u = (u << 8) | d[b];
      x->type = SQLITE_FLOAT;
      memcpy(&x->r, &u, 8);
    } else {
      return corrupt(c, pgno, "reserved serial type");
    }
    d += len;
  }
  *got = j;
  return SQLITE_OK;
}
#undef PAST

/* -1, 0, 1: a (a record's field) against b, in SQLite's order: NULL,
** numbers, text, blobs; text and blobs by their bytes (BINARY). */
static int cls(int type) {
  return type == SQLITE_NULL ? 0 : type == SQLITE_INTEGER || type == SQLITE_FLOAT ? 1 : type == SQLITE_TEXT ? 2 : 3;
}
static int int_real_cmp(sqlite3_int64 i, double r) {
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  sqlite3_int64 y = (sqlite3_int64)r;
  if (i != y) return i < y ? -1 : 1;
  /* |r| >= 2^53 is a whole number (then r == y); below, (double)i is exact */
  double s = (double)i;
  return s < r ? -1 : s > r ? 1 : 0;
}
static int val_cmp_slow(const ZcPrVal *a, const ZcPrVal *b) {
  int ca = cls(a->type), cb = cls(b->type);
  if (ca != cb) return ca < cb ? -1 : 1;
  if (ca == 0) return 0;
  if (ca == 1) {
    if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER) return a->i < b->i ? -1 : a->i > b->i;
    if (a->type == SQLITE_FLOAT && b->type == SQLITE_FLOAT) return a->r < b->r ? -1 : a->r > b->r;
    if (a->type == SQLITE_INTEGER) return int_real_cmp(a->i, b->r);
    return -int_real_cmp(b->i, a->r);
  }
  int n = a->n < b->n ? a->n : b->n;
  int r = n ? memcmp(a->z, b->z, (size_t)n) : 0;
  if (r) return r < 0 ? -1 : 1;
  return a->n < b->n ? -1 : a->n > b->n;
}

static inline int val_cmp(const ZcPrVal *a, const ZcPrVal *b) {
  if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER) return a->i < b->i ? -1 : a->i > b->i;
  if (a->type == SQLITE_TEXT && b->type == SQLITE_TEXT) {
    int n = a->n < b->n ? a->n : b->n;
    int r = n ? memcmp(a->z, b->z, (size_t)n) : 0;
    if (r) return r < 0 ? -1 : 1;
    return a->n < b->n ? -1 : a->n > b->n;
  }
  return val_cmp_slow(a, b);
}

/* Fields of rec[0..nrec) against key[0..nkey): < 0, 0 (equal on the
** key's columns), > 0. */
static int rec_cmp(const ZcPrVal *v, int got, const ZcPrVal *key, int nkey) {
  for (int j = 0; j < got && j < nkey; j++) {
    int r = val_cmp(&v[j], &key[j]);
    if (r) return r;
  }
  return got < nkey ? -1 : 0;   /* a shorter record sorts first */
}

/* Cell i of L against key[0..nkey): read from the page alone when the
** key's columns are there (a spilled entry is put together only when they
** are not). */
static int cell_cmp(ZcPr *c, Level *L, int i, const ZcPrVal *key, int nkey, int *rc) {
  unsigned child;
  const unsigned char *rec;
  sqlite3_int64 nrec;
  ZcPrVal v[8];
  int got = 0;
  if (nkey > 8) nkey = 8;
  *rc = cell(c, L, i, 1, &child, &rec, &nrec);
  if (*rc == SQLITE_DONE) {
    *rc = fields(c, L->pgno, rec, nrec, 1, v, nkey, &got);
    if (*rc == SQLITE_DONE) *rc = cell(c, L, i, 0, &child, &rec, &nrec);
    else if (*rc == SQLITE_OK) return rec_cmp(v, got, key, nkey);
  }
  if (*rc || (*rc = fields(c, L->pgno, rec, nrec, 0, v, nkey, &got))) return 0;
  return rec_cmp(v, got, key, nkey);
}

/* The current leaf is done: the next entry is the first interior cell
** above it not yet given (or the end). */
static int up(ZcPr *c) {
  for (int d = c->cur; d > 0;) {
    Level *L = &c->lv[--d];
    if (L->i < L->ncell) {
      c->cur = d;
      return SQLITE_OK;
    }
  }
  c->cur = -1;
  return SQLITE_OK;
}

/* Keeps key[0..nkey) (at most 2 columns) for the order check. */
static int keep_low(ZcPr *c, const ZcPrVal *key, int nkey) {
  size_t need = 0;
  if (nkey > 2) nkey = 2;
  for (int j = 0; j < nkey; j++)
    if (key[j].type == SQLITE_TEXT || key[j].type == SQLITE_BLOB) need += (size_t)key[j].n;
  if (need + 1 > c->caplow) {
    unsigned char *nz = sqlite3_realloc64(c->lowz, need + 64);
    if (!nz) return SQLITE_NOMEM;
    c->lowz = nz;
    c->caplow = need + 64;
  }
  size_t at = 0;
  for (int j = 0; j < nkey; j++) {
    c->low[j] = key[j];
    if (key[j].type == SQLITE_TEXT || key[j].type == SQLITE_BLOB) {
      if (key[j].n) memcpy(c->lowz + at, key[j].z, (size_t)key[j].n);
      c->low[j].z = (const char *)c->lowz + at;
      at += (size_t)key[j].n;
    }
  }
  c->nlow = nkey;
  return SQLITE_OK;
}

int zc_pr_seek(ZcPr *c, const ZcPrVal *key, int nkey) {
  unsigned pgno = c->root;
  c->cur = -1;
  c->seeks++;
  int krc = keep_low(c, key, nkey);
  if (krc) return krc;
  for (int d = 0;; d++) {
    int rc = load(c, d, pgno);
    if (rc) return rc;
    Level *L = &c->lv[d];
    int lo = 0, hi = L->ncell;
    while (lo < hi) {
      int mid = lo + (hi - lo) / 2;
      int r = cell_cmp(c, L, mid, key, nkey, &rc);
      if (rc) return rc;
      if (r < 0) lo = mid + 1;
      else hi = mid;
    }
    L->i = lo;
    if (L->leaf) {
      c->cur = d;
      return lo < L->ncell ? SQLITE_OK : up(c);
    }
    if (lo < L->ncell) {
      const unsigned char *rec;
      sqlite3_int64 nrec;
      if ((rc = cell(c, L, lo, 1, &pgno, &rec, &nrec)) && rc != SQLITE_DONE) return rc;
    } else {
      pgno = right_child(c, L);
    }
  }
}

int zc_pr_next(ZcPr *c) {
  if (c->cur < 0) return SQLITE_OK;
  Level *L = &c->lv[c->cur];
  if (L->leaf) return ++L->i < L->ncell ? SQLITE_OK : up(c);
  /* past interior cell i: the leftmost entry of the child after it */
  unsigned pgno;
  const unsigned char *rec;
  sqlite3_int64 nrec;
  int rc;
  if (++L->i < L->ncell) {
    if ((rc = cell(c, L, L->i, 1, &pgno, &rec, &nrec)) && rc != SQLITE_DONE) return rc;
  } else {
    pgno = right_child(c, L);
  }
  for (int d = c->cur + 1;; d++) {
    if ((rc = load(c, d, pgno))) return rc;
    Level *M = &c->lv[d];
    M->i = 0;
    if (M->leaf) {
      c->cur = d;
      return M->ncell > 0 ? SQLITE_OK : up(c);
    }
    if (M->ncell > 0) {
      if ((rc = cell(c, M, 0, 1, &pgno, &rec, &nrec)) && rc != SQLITE_DONE) return rc;
    } else {
      pgno = right_child(c, M);
    }
  }
}

int zc_pr_eof(const ZcPr *c) { return c->cur < 0; }

/* Every entry after a seek is not below the key sought (SQLite's own
** statement would skip it, as its WHERE says so): then each seek the
** callers make is past the last one, and with no page read twice the
** cursor cannot go round. */
static int check_low(ZcPr *c, unsigned pgno, const ZcPrVal *v, int nv) {
  if (c->nlow && rec_cmp(v, nv, c->low, c->nlow) < 0) return corrupt(c, pgno, "an entry before the key sought");
  return SQLITE_OK;
}

int zc_pr_row(ZcPr *c, ZcPrVal *v, int nv) {
  if (c->cur < 0 || nv != c->nfield || nv > 16) return SQLITE_MISUSE;
  Level *L = &c->lv[c->cur];
  unsigned child;
  const unsigned char *rec;
  sqlite3_int64 nrec;
  int got, rc;
  if ((rc = cell(c, L, L->i, 0, &child, &rec, &nrec)) || (rc = fields(c, L->pgno, rec, nrec, 0, v, nv, &got))) return rc;
  if (got != nv) return corrupt(c, L->pgno, "an entry with too few columns");
  return check_low(c, L->pgno, v, nv);
}

int zc_pr_values(ZcPr *c, const ZcPrVal *v, int n, sqlite3_value **out) {
  if (n < 1 || n > 16) return SQLITE_MISUSE;
  if (c->conv && c->nconv != n) {
    sqlite3_finalize(c->conv);
    c->conv = NULL;
  }
  if (!c->conv) {
    char sql[128];
    int at = snprintf(sql, sizeof sql, "SELECT ?1");
    for (int j = 2; j <= n; j++) at += snprintf(sql + at, sizeof sql - (size_t)at, ", ?%d", j);
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &c->conv, NULL);
    if (rc) return rc;
    c->nconv = n;
  }
  sqlite3_reset(c->conv);
  for (int j = 0; j < n; j++) {
    switch (v[j].type) {
      case SQLITE_INTEGER: sqlite3_bind_int64(c->conv, j + 1, v[j].i); break;
      case SQLITE_FLOAT: sqlite3_bind_double(c->conv, j + 1, v[j].r); break;
      case SQLITE_TEXT: sqlite3_bind_text(c->conv, j + 1, v[j].z, v[j].n, SQLITE_TRANSIENT); break;
      case SQLITE_BLOB: sqlite3_bind_blob(c->conv, j + 1, v[j].z, v[j].n, SQLITE_TRANSIENT); break;
      default: sqlite3_bind_null(c->conv, j + 1);
    }
  }
  int rc = sqlite3_step(c->conv);
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
  for (int j = 0; j < n; j++) out[j] = sqlite3_column_value(c->conv, j);
  return SQLITE_OK;
}

const char *zc_pr_errmsg(const ZcPr *c, int en) { return en ? c->msg : c->msg_zh; }

/* ---------------------------------------------------------- opening */

/* The index's columns are cols[0..ncol), ascending, BINARY, then the
** rowid; the index is not partial. */
static int index_shape(sqlite3 *db, const char *tbl, const char *idx, const char *const *cols, int ncol) {
  sqlite3_stmt *st = NULL;
  int ok = 1, n = 0;
  char *sql = sqlite3_mprintf("PRAGMA main.index_xinfo(%Q)", idx);
  if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) ok = 0;
  sqlite3_free(sql);
  while (ok && sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 2);
    const char *coll = (const char *)sqlite3_column_text(st, 4);
    int desc = sqlite3_column_int(st, 3), key = sqlite3_column_int(st, 5), cid = sqlite3_column_int(st, 1);
    if (n < ncol)
      ok = name && sqlite3_stricmp(name, cols[n]) == 0 && key == 1 && desc == 0 && coll && sqlite3_stricmp(coll, "BINARY") == 0;
    else
      ok = n == ncol && cid == -1 && key == 0;
    n++;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (!ok || n != ncol + 1) return 0;
  sql = sqlite3_mprintf("PRAGMA main.index_list(%Q)", tbl);
  ok = 0;
  if (sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 1);
      if (name && sqlite3_stricmp(name, idx) == 0) ok = sqlite3_column_int(st, 4) == 0;
    }
  sqlite3_free(sql);
  sqlite3_finalize(st);
  return ok;
}

/* Column col of tbl (main) is its rowid: declared INTEGER, the sole
** PRIMARY KEY, not declared DESC (SQLite's one exception). */
static int rowid_alias(sqlite3 *db, const char *tbl, const char *col) {
  const char *type = NULL;
  int pk = 0;
  if (sqlite3_table_column_metadata(db, "main", tbl, col, &type, NULL, NULL, &pk, NULL) != SQLITE_OK || !pk || !type ||
      sqlite3_stricmp(type, "INTEGER") != 0)
    return 0;
  sqlite3_stmt *st = NULL;
  int ok = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT (SELECT count(*) FROM pragma_table_info(?1, 'main') WHERE pk > 0) = 1 "
                         "AND (SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE) "
                         "NOT LIKE '%PRIMARY%KEY%DESC%'",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
  }
  sqlite3_finalize(st);
  return ok;
}

static const char *refused(sqlite3 *db, const char *tbl) {
  const char *file = sqlite3_db_filename(db, "main");
  if (getenv("ZHUCAN_SCAN_SQL_READ")) return "ZHUCAN_SCAN_SQL_READ";
  if (!file || !*file) return "no database file";
  sqlite3_stmt *st = NULL;
  int n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM temp.sqlite_master WHERE name = ?1 COLLATE NOCASE", -1, &st, NULL) ==
      SQLITE_OK) {
    sqlite3_bind_text(st, 1, tbl, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  if (n != 0) return "a temp table of the same name";
  return NULL;
}

ZcPr *zc_pr_open(sqlite3 *db, const char *tbl, const char *idx, const char *const *cols, int ncol, const char *rowid_as,
                 const char **why) {
  if ((*why = refused(db, tbl))) return NULL;
  ZcPr *c = sqlite3_malloc(sizeof *c);
  *why = "out of memory";
  if (!c) return NULL;
  memset(c, 0, sizeof *c);
  c->db = db;
  c->cur = -1;
  c->nfield = ncol + 1;
  /* the read transaction: this statement stays on its row until the close */
  *why = "the index is not in the main schema";
  if (sqlite3_prepare_v2(db,
                         "SELECT rootpage FROM main.sqlite_schema WHERE type = 'index' AND name = ?1 "
                         "AND tbl_name = ?2 COLLATE NOCASE",
                         -1, &c->pin, NULL) != SQLITE_OK)
    goto refuse;
  sqlite3_bind_text(c->pin, 1, idx, -1, SQLITE_STATIC);
  sqlite3_bind_text(c->pin, 2, tbl, -1, SQLITE_STATIC);
  if (sqlite3_step(c->pin) != SQLITE_ROW) goto refuse;
  sqlite3_int64 root = sqlite3_column_int64(c->pin, 0);
  if (root < 1 || root > 0xffffffffLL) goto refuse;
  c->root = (unsigned)root;
  *why = "not in a read transaction (a write may be pending)";
  if (sqlite3_txn_state(db, "main") != SQLITE_TXN_READ) goto refuse;
  *why = "no file handle";
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &c->fd) != SQLITE_OK || !c->fd || !c->fd->pMethods)
    goto refuse;
  unsigned char h[100];
  *why = "the file's header cannot be read";
  if (c->fd->pMethods->xRead(c->fd, h, 100, 0) != SQLITE_OK || memcmp(h, "SQLite format 3", 16) != 0) goto refuse;
  *why = "the file is in WAL mode";
  if (h[18] != 1 || h[19] != 1) goto refuse;
  *why = "the file's text is not UTF-8";
  if (get4(h + 56) != 1) goto refuse;
  unsigned ps = get2(h + 16);
  c->pgsz = ps == 1 ? 65536 : (int)ps;
  c->usable = c->pgsz - h[20];
  *why = "an unknown page size";
  if (c->pgsz < 512 || (c->pgsz & (c->pgsz - 1)) || c->usable < 480) goto refuse;
  if (get4(h + 92) == get4(h + 24) && get4(h + 28) > 0) {
    c->npage = get4(h + 28);
  } else {
    sqlite3_int64 sz = 0;
    if (c->fd->pMethods->xFileSize(c->fd, &sz) != SQLITE_OK) goto refuse;
    c->npage = (unsigned)(sz / c->pgsz);
  }
  *why = "the index has another shape";
  if (!index_shape(db, tbl, idx, cols, ncol)) goto refuse;
  *why = "the table's id is not its rowid";
  if (rowid_as && !rowid_alias(db, tbl, rowid_as)) goto refuse;
  *why = NULL;
  return c;
refuse:
  zc_pr_close(c);
  return NULL;
}

void zc_pr_close(ZcPr *c) {
  if (!c) return;
  sqlite3_finalize(c->pin);
  sqlite3_finalize(c->conv);
  for (int d = 0; d < PR_MAXDEPTH; d++) sqlite3_free(c->lv[d].pg);
  sqlite3_free(c->buf);
  sqlite3_free(c->ovpg);
  sqlite3_free(c->seen);
  sqlite3_free(c->lowz);
  sqlite3_free(c);
}
