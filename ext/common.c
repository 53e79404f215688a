/*
** common.c — small helpers shared by every module: error messages that
** name the function, the value and what was expected; day/time/month
** parsing and formatting; an int64 hash map.  No SQL of its own.
*/
#include "common.h"
#include "modules.h"
#include "plat.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ errors */

void zc_errorf(sqlite3_context *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *z = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if (z == NULL) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_error(ctx, z, -1);
  sqlite3_free(z);
}

int zc_lost_to_nomem(sqlite3 *db, int rc, const char *err) {
  if (rc == SQLITE_NOMEM) return 1;
  if (err || rc != SQLITE_ERROR) return 0;
  int e = sqlite3_errcode(db);
  return e == SQLITE_OK || e == SQLITE_ROW || e == SQLITE_DONE || e == SQLITE_NOMEM;
}

int zc_vtab_errorf(sqlite3_vtab *pVtab, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  return pVtab->zErrMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

char *zc_value_repr(sqlite3_value *v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      return sqlite3_mprintf("NULL");
    case SQLITE_INTEGER:
      return sqlite3_mprintf("%lld", sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return sqlite3_mprintf("%!.15g", sqlite3_value_double(v));
    case SQLITE_BLOB: {
      int n = sqlite3_value_bytes(v);
      const unsigned char *p = sqlite3_value_blob(v);
      sqlite3_str *s = sqlite3_str_new(NULL);
      sqlite3_str_appendall(s, "x'");
      for (int i = 0; i < n && i < 16; i++) sqlite3_str_appendf(s, "%02x", p[i]);
      sqlite3_str_appendall(s, n > 16 ? "...'" : "'");
      return sqlite3_str_finish(s);
    }
    default: {
      const unsigned char *t = sqlite3_value_text(v);
      int n = sqlite3_value_bytes(v);
      if (t == NULL) return sqlite3_mprintf("NULL");
      /* cut near 60 bytes on a character boundary; x'..' when not UTF-8,
      ** so a message never carries invalid UTF-8 */
      return zc_utf8_repr((const char *)t, (size_t)n);
    }
  }
}

/* ------------------------------------------------------------------ dates */

/* Howard Hinnant's days_from_civil / civil_from_days. */
int zc_days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2u) / 5u + (unsigned)d - 1u;
  const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
  return era * 146097 + (int)doe - 719468;
}

void zc_civil_from_days(int z, int *py, int *pm, int *pd) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
  const int y = (int)yoe + era * 400;
  const unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
  const unsigned mp = (5u * doy + 2u) / 153u;
  const unsigned d = doy - (153u * mp + 2u) / 5u + 1u;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  *py = y + (m <= 2);
  *pm = (int)m;
  *pd = (int)d;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int zc_valid_ymd(int y, int m, int d) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return 0;
  int lim = mdays[m - 1] + (m == 2 && is_leap(y));
  return d <= lim;
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

int zc_day_parse(const char *s, int n) {
  int y, m, d;
  if (s == NULL) return ZC_NONE;
  if (n < 0) n = (int)strlen(s);
  if (n != 10 || s[4] != '-' || s[7] != '-') return ZC_NONE;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return ZC_NONE;
  if (!zc_valid_ymd(y, m, d)) return ZC_NONE;
  return zc_days_from_civil(y, m, d);
}

int zc_time_parse(const char *s, int n, sqlite3_int64 *t) {
  ZcDayMemo dm;
  dm.valid = 0;
  return zc_time_parse_memo(&dm, s, n, t);
}

int zc_time_parse_memo(ZcDayMemo *dm, const char *s, int n, sqlite3_int64 *t) {
  int hh, mm, ss, day;
  if (s == NULL) return 0;
  if (n < 0) n = (int)strlen(s);
  if (n != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':') return 0;
  int d;
  if (dm->valid && memcmp(s, dm->ym, 7) == 0 && s[7] == '-' && digits(s + 8, 2, &d) && d >= 1 && d <= dm->ndays) {
    /* 'YYYY-MM' already checked, and a day of that month */
    day = dm->first + d - 1;
  } else {
    day = zc_day_parse(s, 10);
    if (day == ZC_NONE) return 0;
    int next;
    zc_month_of(day, &dm->first, &next);
    dm->ndays = next - dm->first;
    memcpy(dm->ym, s, 7);
    dm->valid = 1;
  }
  if (!digits(s + 11, 2, &hh) || !digits(s + 14, 2, &mm) || !digits(s + 17, 2, &ss)) return 0;
  if (hh > 23 || mm > 59 || ss > 59) return 0;
  *t = (sqlite3_int64)day * ZC_DAY_SECONDS + hh * 3600 + mm * 60 + ss;
  return 1;
}

int zc_month_parse(const char *s, int n, int *first, int *next) {
  int y, m;
  if (s == NULL) return 0;
  if (n < 0) n = (int)strlen(s);
  if (n != 7 || s[4] != '-') return 0;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &m)) return 0;
  if (y < 1 || m < 1 || m > 12) return 0;
  zc_month_of(zc_days_from_civil(y, m, 1), first, next);
  return 1;
}

void zc_month_of(int day, int *first, int *next) {
  int y, m, d;
  zc_civil_from_days(day, &y, &m, &d);
  *first = zc_days_from_civil(y, m, 1);
  *next = m == 12 ? zc_days_from_civil(y + 1, 1, 1) : zc_days_from_civil(y, m + 1, 1);
}

int zc_i64_cmp(const void *a, const void *b) {
  sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;
  return x < y ? -1 : x > y;
}

static void put2(char *p, int v) { p[0] = (char)('0' + v / 10 % 10); p[1] = (char)('0' + v % 10); }
static void put4(char *p, int v) {
  p[0] = (char)('0' + v / 1000 % 10); p[1] = (char)('0' + v / 100 % 10);
  p[2] = (char)('0' + v / 10 % 10);   p[3] = (char)('0' + v % 10);
}

void zc_day_format(int day, char out[11]) {
  int y, m, d;
  if (day < ZC_DAY_MIN || day > ZC_DAY_MAX) {
    memcpy(out, "?\?\?\?-?\?-?\?", 11); /* escaped: no trigraphs */
    return;
  }
  zc_civil_from_days(day, &y, &m, &d);
  put4(out, y); out[4] = '-'; put2(out + 5, m); out[7] = '-'; put2(out + 8, d); out[10] = 0;
}

void zc_clock_format(int s, char out[9]) {
  if (s < 0 || s >= ZC_DAY_SECONDS) {
    memcpy(out, "?\?:?\?:?\?", 9);
    return;
  }
  put2(out, s / 3600); out[2] = ':'; put2(out + 3, s / 60 % 60); out[5] = ':'; put2(out + 6, s % 60);
  out[8] = 0;
}

void zc_time_format(sqlite3_int64 t, char out[20]) {
  if (t < ZC_TIME_MIN || t > ZC_TIME_MAX) {
    memcpy(out, "?\?\?\?-?\?-?\? ?\?:?\?:?\?", 20);
    return;
  }
  sqlite3_int64 day = t >= 0 ? t / ZC_DAY_SECONDS : -((-t + ZC_DAY_SECONDS - 1) / ZC_DAY_SECONDS);
  zc_day_format((int)day, out);
  out[10] = ' ';
  zc_clock_format((int)(t - day * ZC_DAY_SECONDS), out + 11);
}

void zc_month_format(int day, char out[8]) {
  char b[11];
  zc_day_format(day, b);
  memcpy(out, b, 7);
  out[7] = 0;
}

int zc_age_years(int birth, int day) {
  int by, bm, bd, y, m, d;
  zc_civil_from_days(birth, &by, &bm, &bd);
  zc_civil_from_days(day, &y, &m, &d);
  int age = y - by;
  /* Birthday not reached yet this year?  A 29 February birthday is reached
  ** on 1 March in a non-leap year: comparing (m,d) against (2,29) does that,
  ** since 28 Feb < 29 Feb < 1 Mar. */
  if (m < bm || (m == bm && d < bd)) age--;
  return age;
}

/* ------------------------------------------------------------------ hash */

uint64_t zc_hash64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t zc_hash_bytes(const void *p, size_t n, uint64_t seed) {
  const unsigned char *s = p;
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  /* a multiply and a rotate per word, one full mix at the end: keys are
  ** short and hashed per call (the policy memo), so this is hot */
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h = (h << 31) | (h >> 33);
    s += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, s, n);
  return zc_hash64(h ^ w ^ ((uint64_t)n << 56));
}

#define ZC_EMPTY INT64_MIN

void zc_map_init(ZcMap *m) { memset(m, 0, sizeof *m); }

void zc_map_clear(ZcMap *m) {
  sqlite3_free(m->keys);
  sqlite3_free(m->vals);
  memset(m, 0, sizeof *m);
}

static int map_grow(ZcMap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 64;
  sqlite3_int64 *nk = sqlite3_malloc64(ncap * sizeof *nk);
  sqlite3_int64 *nv = sqlite3_malloc64(ncap * sizeof *nv);
  if (!nk || !nv) {
    sqlite3_free(nk);
    sqlite3_free(nv);
    return 0;
  }
  for (size_t i = 0; i < ncap; i++) nk[i] = ZC_EMPTY;
  for (size_t i = 0; i < m->cap; i++) {
    if (m->keys[i] == ZC_EMPTY) continue;
    size_t j = zc_hash64((uint64_t)m->keys[i]) & (ncap - 1);
    while (nk[j] != ZC_EMPTY) j = (j + 1) & (ncap - 1);
    nk[j] = m->keys[i];
    nv[j] = m->vals[i];
  }
  sqlite3_free(m->keys);
  sqlite3_free(m->vals);
  m->keys = nk;
  m->vals = nv;
  m->cap = ncap;
  return 1;
}

sqlite3_int64 *zc_map_slot(ZcMap *m, sqlite3_int64 key, int create, int *pIsNew) {
  if (pIsNew) *pIsNew = 0;
  if (m->cap) {
    size_t j = zc_hash64((uint64_t)key) & (m->cap - 1);
    while (m->keys[j] != ZC_EMPTY) {
      if (m->keys[j] == key) return &m->vals[j];
      j = (j + 1) & (m->cap - 1);
    }
    if (!create) return NULL;
    if ((m->n + 1) * 4 <= m->cap * 3) {
      m->keys[j] = key;
      m->vals[j] = 0;
      m->n++;
      if (pIsNew) *pIsNew = 1;
      return &m->vals[j];
    }
  }
  if (!create) return NULL;
  if (!map_grow(m)) return NULL;
  return zc_map_slot(m, key, create, pIsNew);
}

/* ------------------------------------------------------------------ ID */

int zc_idcard_parse(const char *x, int n, int *birth, char *sex) {
  static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char check[] = "10X98765432";
  int sum = 0, y, m, d;
  if (x == NULL) return 0;
  if (n < 0) n = (int)strlen(x);
  if (n != 18) return 0;
  for (int i = 0; i < 17; i++) {
    if (x[i] < '0' || x[i] > '9') return 0;
    sum += (x[i] - '0') * w[i];
  }
  char c = x[17] == 'x' ? 'X' : x[17];
  if (c != check[sum % 11]) return 0;
  if (!digits(x + 6, 4, &y) || !digits(x + 10, 2, &m) || !digits(x + 12, 2, &d)) return 0;
  if (!zc_valid_ymd(y, m, d)) return 0;
  if (birth) *birth = zc_days_from_civil(y, m, d);
  if (sex) *sex = ((x[16] - '0') & 1) ? 'M' : 'F';
  return 1;
}

/* ------------------------------------------------------------------ JSON */

void zc_json_str(sqlite3_str *s, const char *z) {
  if (z == NULL) {
    sqlite3_str_appendall(s, "null");
    return;
  }
  sqlite3_str_appendchar(s, 1, '"');
  for (const unsigned char *p = (const unsigned char *)z; *p; p++) {
    switch (*p) {
      case '"': sqlite3_str_appendall(s, "\\\""); break;
      case '\\': sqlite3_str_appendall(s, "\\\\"); break;
      case '\n': sqlite3_str_appendall(s, "\\n"); break;
      case '\r': sqlite3_str_appendall(s, "\\r"); break;
      case '\t': sqlite3_str_appendall(s, "\\t"); break;
      default:
        if (*p < 0x20) sqlite3_str_appendf(s, "\\u%04x", *p);
        else sqlite3_str_appendchar(s, 1, (char)*p);
    }
  }
  sqlite3_str_appendchar(s, 1, '"');
}

/* ------------------------------------------------------------------ UTF-8 */

int zc_utf8_valid(const unsigned char *s, size_t n, size_t *pBad) {
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      goto bad;
    }
    if (n - i < len) goto bad;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) goto bad;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) goto bad;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) goto bad;
    i += len;
  }
  return 1;
bad:
  if (pBad) *pBad = i;
  return 0;
}

/* 1 if s[0..n) (valid UTF-8) holds a control character: C0 (NUL included),
** DEL or C1 (U+0080..U+009F, C2 80..C2 9F). */
static int utf8_has_control(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x20 || s[i] == 0x7F || (s[i] == 0xC2 && i + 1 < n && s[i + 1] < 0xA0)) return 1;
  return 0;
}

/* A short printable quote of n bytes for messages: 'text' (cut at about 60
** bytes on a character boundary) or x'hex' when not valid UTF-8 or when it
** holds a control character (a terminal would act on it; a NUL would end
** the quote). */
char *zc_utf8_repr(const char *s, size_t n) {
  if (!zc_utf8_valid((const unsigned char *)s, n, NULL) || utf8_has_control((const unsigned char *)s, n)) {
    sqlite3_str *str = sqlite3_str_new(NULL);
    sqlite3_str_appendall(str, "x'");
    for (size_t i = 0; i < n && i < 16; i++)
      sqlite3_str_appendf(str, "%02x", (unsigned char)s[i]);
    sqlite3_str_appendall(str, n > 16 ? "...'" : "'");
    return sqlite3_str_finish(str);
  }
  if (n <= 60) return sqlite3_mprintf("'%.*q'", (int)n, s);
  int cut = 57;
  while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
  return sqlite3_mprintf("'%.*q...'", cut, s);
}

/* ------------------------------------------------------------ registration */

int zc_register_funcs(sqlite3 *db, const ZcFunc *aFunc, int nFunc, void *pApp) {
  for (int i = 0; i < nFunc; i++) {
    int rc = sqlite3_create_function_v2(db, aFunc[i].name, aFunc[i].nArg, aFunc[i].flags,
                                        pApp, aFunc[i].xFunc, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/* ------------------------------------------------------------ text map */

uint64_t zc_text_hash(const char *z, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, z, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    z += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, z, n);
  h = zc_hash64(h ^ w);
  return h ? h : 1;
}

void zc_textmap_init(ZcTextMap *m, size_t esz, int stable) {
  memset(m, 0, sizeof *m);
  m->esz = (esz + 7) & ~(size_t)7;
  m->stable = stable;
}

static ZcTextKey *tm_at(const ZcTextMap *m, size_t i) { return (ZcTextKey *)(m->a + i * m->esz); }

void *zc_textmap_at(const ZcTextMap *m, size_t i) {
  ZcTextKey *k = tm_at(m, i);
  return k->h ? k : NULL;
}

const char *zc_textmap_key(const void *entry) {
  const ZcTextKey *k = entry;
  return k->inl ? k->u.k : k->u.z;
}

void zc_textmap_clear(ZcTextMap *m) {
  for (size_t i = 0; i < m->cap; i++) {
    ZcTextKey *k = tm_at(m, i);
    if (k->h && !k->inl) sqlite3_free(k->u.z);
  }
  sqlite3_free(m->raw);
  zc_textmap_init(m, m->esz, m->stable);
}

void zc_textmap_prefetch(const ZcTextMap *m, uint64_t h) {
  if (m->cap) __builtin_prefetch(tm_at(m, h & (m->cap - 1)));
}

void *zc_textmap_find(const ZcTextMap *m, const char *z, size_t n, uint64_t h) {
  if (m->cap == 0) return NULL;
  for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
    ZcTextKey *k = tm_at(m, j);
    if (!k->h) return NULL;
    if (k->h == h && k->n == n && memcmp(zc_textmap_key(k), z, n) == 0) return k;
  }
}

/* Doubles the table (entries are 64-byte aligned: a map whose entries are
** 64 bytes touches one cache line per probe). */
static int tm_grow(ZcTextMap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 64;
  void *raw = sqlite3_malloc64((sqlite3_uint64)(ncap * m->esz + 64));
  if (!raw) return 0;
  unsigned char *na = (unsigned char *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
  memset(na, 0, ncap * m->esz);
  for (size_t i = 0; i < m->cap; i++) {
    ZcTextKey *k = tm_at(m, i);
    if (!k->h) continue;
    size_t j = k->h & (ncap - 1);
    while (((ZcTextKey *)(na + j * m->esz))->h) j = (j + 1) & (ncap - 1);
    memcpy(na + j * m->esz, k, m->esz);
  }
  sqlite3_free(m->raw);
  m->raw = raw;
  m->a = na;
  m->cap = ncap;
  return 1;
}

void *zc_textmap_add(ZcTextMap *m, const char *z, size_t n, uint64_t h) {
  if (4 * (m->n + 1) > 3 * m->cap && !tm_grow(m)) return NULL;
  size_t j = h & (m->cap - 1);
  while (tm_at(m, j)->h) j = (j + 1) & (m->cap - 1);
  ZcTextKey *k = tm_at(m, j);
  memset(k, 0, m->esz);
  if (!m->stable && n < ZC_TEXT_INLINE) {
    memcpy(k->u.k, z, n);
    k->inl = 1;
  } else {
    if (!(k->u.z = sqlite3_malloc64(n + 1))) return NULL;
    memcpy(k->u.z, z, n);
    k->u.z[n] = 0;
  }
  k->h = h;
  k->n = n;
  m->n++;
  return k;
}

void *zc_textmap_get(ZcTextMap *m, const char *z, size_t n, uint64_t h, int *pIsNew) {
  void *e = zc_textmap_find(m, z, n, h);
  if (pIsNew) *pIsNew = e == NULL;
  return e ? e : zc_textmap_add(m, z, n, h);
}

/* ------------------------------------------------------------ buffers */


void zc_buf_free(ZcBuf *b) {
  sqlite3_free(b->z);
  memset(b, 0, sizeof *b);
}

int zc_buf_grow(ZcBuf *b, size_t extra) {
  if (b->oom) return 0;
  size_t ncap = b->cap ? b->cap * 2 : 256;
  while (ncap < b->n + extra + 1) ncap *= 2;
  char *nz = sqlite3_realloc64(b->z, ncap);
  if (!nz) {
    b->oom = 1;
    return 0;
  }
  b->z = nz;
  b->cap = ncap;
  return 1;
}

void zc_buf_add(ZcBuf *b, const void *p, size_t n) {
  if (!zc_buf_need(b, n)) return;
  memcpy(b->z + b->n, p, n);
  b->n += n;
  b->z[b->n] = 0;
}

void zc_buf_str(ZcBuf *b, const char *s) { zc_buf_add(b, s, strlen(s)); }

void zc_buf_int(ZcBuf *b, sqlite3_int64 v) {
  char t[24];
  int n = 24;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    t[--n] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) t[--n] = '-';
  zc_buf_add(b, t + n, (size_t)(24 - n));
}

/* A JSON string literal (the same escaping as zc_json_str). */
void zc_buf_json_str(ZcBuf *b, const char *z) {
  const char *p = z;
  zc_buf_add(b, "\"", 1);
  for (; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      zc_buf_add(b, e, 2);
    } else if (c < 0x20) {
      char e[8];
      int n = snprintf(e, sizeof e, "\\u%04x", c);
      zc_buf_add(b, e, (size_t)n);
    } else {
      zc_buf_add(b, p, 1);
    }
  }
  zc_buf_add(b, "\"", 1);
}

/* ------------------------------------------------------------ statements */

int zc_prep(ZcConn *zc, sqlite3_stmt **pp, const char *sql, char **pzErr) {
  if (*pp) {
    sqlite3_reset(*pp);
    return SQLITE_OK;
  }
  int rc = sqlite3_prepare_v3(zc->db, sql, -1, SQLITE_PREPARE_PERSISTENT, pp, NULL);
  if (rc == SQLITE_INTERRUPT && pzErr)
    *pzErr = sqlite3_mprintf("%s", zc_tr(zc, "interrupted", "已中断"));
  else if (rc != SQLITE_OK && pzErr)
    *pzErr = sqlite3_mprintf(zc_tr(zc, "zhucan: cannot read the schema's tables (%s); load sql/schema.sql",
                                       "zhucan：无法读取数据库结构里的表（%s）；请先加载 sql/schema.sql"),
                             sqlite3_errmsg(zc->db));
  return rc;
}

/* ------------------------------------------------------------ interrupts */

int zc_interrupted(ZcConn *zc) {
  /* 64 rows of a recursive CTE: enough VM steps that a host's progress
  ** handler (called every N steps) is reached within a few polls */
  int rc = zc_prep(zc, &zc->poll,
                   "WITH RECURSIVE c(x) AS (VALUES(0) UNION ALL SELECT x + 1 FROM c WHERE x < 63) "
                   "SELECT count(*) FROM c",
                   NULL);
  if (rc != SQLITE_OK) return rc == SQLITE_INTERRUPT;
  rc = sqlite3_step(zc->poll);
  sqlite3_reset(zc->poll);
  return rc == SQLITE_INTERRUPT;
}

void zc_common_finalize(ZcConn *zc) {
  sqlite3_finalize(zc->poll);
  zc->poll = NULL;
}

/* ------------------------------------------------------ all-or-nothing units

** SQLite undoes a savepoint only with a statement (ROLLBACK TO), and once
** sqlite3_interrupt() was called every new statement fails at once until
** the calling statement ends: a function that wrote with many statements
** could not undo them.  But SQLite rolls back the transaction of a write
** statement that is interrupted while it runs.  So a unit keeps a write
** statement of its own running for the unit's whole length, the guard
** (INSERT ... RETURNING into a TEMP table, stepped once: it stays
** mid-execution until stepped again):
**   - outside a transaction, the guard's implicit transaction holds all the
**     unit's writes: stepping the guard to its end commits them; to abort,
**     the unit interrupts the connection and steps the guard, whose
**     interrupted halt rolls everything back;
**   - inside the caller's transaction, a savepoint holds the writes:
**     ROLLBACK TO works while the guard runs (RELEASE does not, so the
**     guard ends first); when ROLLBACK TO cannot run (the interrupt flag is
**     set), the guard's interrupted step rolls back the whole transaction. */

int zc_unit_begin(ZcConn *zc, ZcUnit *u, char **pzErr) {
  sqlite3 *db = zc->db;
  char *e = NULL;
  memset(u, 0, sizeof *u);
  u->db = db;
  int rc = sqlite3_exec(db, "CREATE TEMP TABLE IF NOT EXISTS zhucan_unit_guard(id INTEGER PRIMARY KEY)", NULL,
                        NULL, &e);
  if (rc == SQLITE_OK && !sqlite3_get_autocommit(db)) {
    rc = sqlite3_exec(db, "SAVEPOINT zhucan_unit", NULL, NULL, &e);
    u->savepoint = rc == SQLITE_OK;
  }
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO temp.zhucan_unit_guard(id) VALUES(1), (2) RETURNING id",
                            -1, &u->guard, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(u->guard)) == SQLITE_ROW) return SQLITE_OK;
  if (pzErr && !*pzErr) *pzErr = sqlite3_mprintf("%s", e ? e : sqlite3_errmsg(db));
  sqlite3_free(e);
  zc_unit_abort(u);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_ERROR : rc;
}

/* Steps the guard to its end; SQLITE_OK when it ended normally. */
static int unit_guard_end(ZcUnit *u) {
  int rc;
  if (!u->guard) return SQLITE_OK;
  while ((rc = sqlite3_step(u->guard)) == SQLITE_ROW) {
  }
  sqlite3_finalize(u->guard);
  u->guard = NULL;
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int zc_unit_commit(ZcUnit *u, char **pzErr) {
  /* outside a transaction this commits; an interrupt that arrives first
  ** makes it roll everything back instead */
  int rc = unit_guard_end(u);
  if (rc != SQLITE_OK) {
    if (pzErr && !*pzErr) *pzErr = sqlite3_mprintf("%s: nothing was stored", sqlite3_errstr(rc));
    if (u->savepoint && !sqlite3_get_autocommit(u->db)) {
      sqlite3_exec(u->db, "ROLLBACK TO zhucan_unit", NULL, NULL, NULL);
      sqlite3_exec(u->db, "RELEASE zhucan_unit", NULL, NULL, NULL);
    }
    u->savepoint = 0;
    return rc;
  }
  /* Inside the caller's transaction the writes are all there now; if an
  ** interrupt keeps RELEASE from running, the savepoint stays open inside
  ** that transaction, which commits or rolls back as a whole. */
  if (u->savepoint) sqlite3_exec(u->db, "RELEASE zhucan_unit", NULL, NULL, NULL);
  u->savepoint = 0;
  return SQLITE_OK;
}

void zc_unit_abort(ZcUnit *u) {
  if (u->savepoint && sqlite3_exec(u->db, "ROLLBACK TO zhucan_unit", NULL, NULL, NULL) == SQLITE_OK) {
    unit_guard_end(u);
    sqlite3_exec(u->db, "RELEASE zhucan_unit", NULL, NULL, NULL);
  } else if (u->guard) {
    /* no statement can undo the writes: make the guard's own halt do it */
    sqlite3_interrupt(u->db);
    unit_guard_end(u);
  }
  sqlite3_finalize(u->guard);
  u->guard = NULL;
  u->savepoint = 0;
}

/* ---------------------------------------------------------------- callers */

void zc_stmt_started(ZcConn *zc, sqlite3_stmt *st) {
  for (int i = 0; i < 32; i++)
    if (zc->watch[i].st == st) zc->watch[i].serial = ++zc->serial;
}

/* The serial of st's current run, watching st from now on if it was not. */
static sqlite3_uint64 watch_serial(ZcConn *zc, sqlite3_stmt *st) {
  for (int i = 0; i < 32; i++)
    if (zc->watch[i].st == st) return zc->watch[i].serial;
  int k = zc->watch_next;
  zc->watch_next = (k + 1) % 32;
  zc->watch[k].st = st;
  return zc->watch[k].serial = ++zc->serial;
}

void zc_caller_now(ZcConn *zc, ZcCaller *c) {
  c->n = 0;
  for (sqlite3_stmt *st = sqlite3_next_stmt(zc->db, NULL); st && c->n < ZC_CALLER_MAX;
       st = sqlite3_next_stmt(zc->db, st)) {
    if (!sqlite3_stmt_busy(st)) continue;
    c->a[c->n].st = st;
    c->a[c->n].serial = watch_serial(zc, st);
    c->n++;
  }
}

int zc_caller_same(ZcConn *zc, const ZcCaller *c) {
  /* c's statements may have been finalized since: only the connection's
  ** live statements are asked anything, c's pointers only compared */
  for (sqlite3_stmt *st = sqlite3_next_stmt(zc->db, NULL); st; st = sqlite3_next_stmt(zc->db, st)) {
    if (!sqlite3_stmt_busy(st)) continue;
    for (int i = 0; i < c->n; i++) {
      if (c->a[i].st != st) continue;
      for (int k = 0; k < 32; k++)
        if (zc->watch[k].st == st && zc->watch[k].serial == c->a[i].serial) return 1;
    }
  }
  return 0;
}

#define MINE_KEPT 32
struct ZcMine {
  int kind[MINE_KEPT];
  sqlite3_uint64 key[MINE_KEPT];
  ZcCaller caller[MINE_KEPT];
  int next;
};

void zc_mine_note(ZcConn *zc, int kind, sqlite3_uint64 key, const ZcCaller *c) {
  if (!zc->mine && (zc->mine = sqlite3_malloc(sizeof *zc->mine)) != NULL) memset(zc->mine, 0, sizeof *zc->mine);
  if (!zc->mine) return;
  struct ZcMine *m = zc->mine;
  m->kind[m->next] = kind;
  m->key[m->next] = key;
  m->caller[m->next] = *c;
  m->next = (m->next + 1) % MINE_KEPT;
}

int zc_mine_same(ZcConn *zc, int kind, sqlite3_uint64 key) {
  for (int i = 0; zc->mine && i < MINE_KEPT; i++)
    if (zc->mine->kind[i] == kind && zc->mine->key[i] == key && zc_caller_same(zc, &zc->mine->caller[i])) return 1;
  return 0;
}

void zc_common_free(ZcConn *zc) {
  zc_common_finalize(zc);
  sqlite3_free(zc->mine);
  zc->mine = NULL;
}

/* ------------------------------------------------------------------ files */

int zc_open_regular(const ZcConn *zc, const char *path, sqlite3_int64 *size, char **pzErr) {
  int fd = zc_plat_open_read(path);   /* a FIFO does not wait for a writer */
  if (fd < 0) {
    *pzErr = errno == EISDIR ? sqlite3_mprintf(zc_tr(zc, "'%s' is not a regular file", "'%s' 不是普通文件"), path)
                             : sqlite3_mprintf(zc_tr(zc, "cannot open '%s': %s", "无法打开 '%s'：%s"), path, strerror(errno));
    return -1;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    *pzErr = sqlite3_mprintf(zc_tr(zc, "'%s' is not a regular file", "'%s' 不是普通文件"), path);
    close(fd);
    return -1;
  }
  if (size) *size = (sqlite3_int64)sb.st_size;
  return fd;
}

int zc_read_file(const ZcConn *zc, const char *path, size_t max, char **out, size_t *n, char **pzErr) {
  sqlite3_int64 size = 0;
  *out = NULL;
  *n = 0;
  int fd = zc_open_regular(zc, path, &size, pzErr);
  if (fd < 0) return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  if (size < 0 || (sqlite3_uint64)size > max) {
    close(fd);
    *pzErr = sqlite3_mprintf(zc_tr(zc, "'%s' is %lld bytes; expected at most %lld", "'%s' 有 %lld 字节；最多只能 %lld 字节"),
                             path, size, (sqlite3_int64)max);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  char *buf = sqlite3_malloc64((sqlite3_uint64)size + 1);
  if (!buf) {
    close(fd);
    return SQLITE_NOMEM;
  }
  size_t got = 0;
  while (got < (size_t)size) {
    ssize_t k = read(fd, buf + got, (size_t)size - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      if (k < 0) *pzErr = sqlite3_mprintf(zc_tr(zc, "cannot read '%s': %s", "无法读取 '%s'：%s"), path, strerror(errno));
      break;
    }
    got += (size_t)k;
  }
  close(fd);
  if (*pzErr) {
    sqlite3_free(buf);
    return SQLITE_ERROR;
  }
  buf[got] = 0;   /* a file that shrank while read: what was there */
  *out = buf;
  *n = got;
  return SQLITE_OK;
}

int zc_writable(const ZcConn *zc, const char *fn, char **pzErr) {
  if (sqlite3_db_readonly(zc->db, "main") != 1) return SQLITE_OK;
  *pzErr = sqlite3_mprintf(zc_tr(zc,
                                 "%s: the database is open read-only (a mode=ro or read-only connection, as BI tools "
                                 "should use, or a file this user cannot write); %s writes to it: run it from a "
                                 "connection that can write",
                                 "%s：数据库是以只读方式打开的（mode=ro 或只读连接，BI 工具就应这样打开；或者当前用户"
                                 "没有这个文件的写权限）；%s 要写入数据库：请在可以写入的连接里运行"),
                           fn, fn);
  return *pzErr ? SQLITE_READONLY : SQLITE_NOMEM;
}
