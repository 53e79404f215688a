/*
** ingest_values.c — the values of a device line for swipe_log (ingest.c):
** times as device clocks write them, method and slot words, prices in yuan,
** trimming, space-separated words and key=value, the UTF-8 checks of a
** line and its GB18030 decoding (with the caller's iconv_t).  Pure functions of the text: no SQLite calls, no state (ingest.h).
*/
#include "ingest.h"
#include "facts.h"
#include <errno.h>
#include <string.h>

/* The longest prefix of p[0..m) that does not end inside a UTF-8 sequence
** (looks only at bytes before m). */
int sl_utf8_cut(const char *p, int m) {
  int j = m;
  while (j > 0 && j > m - 3 && ((unsigned char)p[j - 1] & 0xC0) == 0x80) j--;
  if (j > 0) {
    unsigned lead = (unsigned char)p[j - 1];
    int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (m - (j - 1) < need) return j - 1;
  }
  return m;
}

/* Offset of the first byte that is not valid UTF-8 or is NUL, or -1.
** zc_utf8_valid accepts U+0000; a line must not hold it. */
int sl_utf8_bad(const unsigned char *s, int n) {
  const unsigned char *nul = memchr(s, 0, (size_t)n);
  size_t m = nul ? (size_t)(nul - s) : (size_t)n, bad;
  if (!zc_utf8_valid(s, m, &bad)) return (int)bad;
  return nul ? (int)m : -1;
}

int sl_ascii_len(const unsigned char *s, int n) {
  int i = 0;
  for (; n - i >= 8; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & 0x8080808080808080ULL) break;
  }
  while (i < n && s[i] < 0x80) i++;
  return i;
}

int sl_gb_decode(iconv_t cd, const char *p, int n, char *out, int partial, int *pbad) {
  int a = sl_ascii_len((const unsigned char *)p, n);   /* ASCII is itself in GB18030 */
  memcpy(out, p, (size_t)a);
  char *in = (char *)p + a, *o = out + a;
  size_t inleft = (size_t)(n - a), outleft = (size_t)(2 * n - a);
  iconv(cd, NULL, NULL, NULL, NULL);   /* the initial state (GB18030 has no other) */
  if (inleft && iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 && !(partial && errno == EINVAL)) {
    *pbad = (int)(in - p);
    return -1;
  }
  return (int)(o - out);
}

int sl_space(char ch) { return ch == ' ' || ch == '\t'; }

SlStr sl_trim(SlStr s) {
  if (s.n < 0) return s;
  while (s.n > 0 && sl_space(s.p[0])) s.p++, s.n--;
  while (s.n > 0 && sl_space(s.p[s.n - 1])) s.n--;
  return s;
}

/* Up to maxd digits at *pi; -1 if none. */
static int sl_num(const char *s, int n, int *pi, int maxd) {
  int v = 0, d = 0;
  while (*pi < n && d < maxd && s[*pi] >= '0' && s[*pi] <= '9') {
    v = v * 10 + (s[*pi] - '0');
    (*pi)++;
    d++;
  }
  return d ? v : -1;
}

/* Device clocks write 2024-03-05 11:32:05, 2024/3/5 11:32, 2024-03-05T11:32:05
** or 2024-03-05 11:32:05.250: the date separated by '-', '/' or '.', one or
** two digits for month, day and hour, seconds optional (00), a fraction
** dropped.  The result is validated by zc_time_parse (2024-02-30 and 25:00
** are refused there).  1 and out/t set, or 0. */
int sl_parse_at(SlStr s, char out[20], sqlite3_int64 *t) {
  const char *p = s.p;
  int n = s.n, i = 0, y, mo, d, h, mi, se = 0;
  if ((y = sl_num(p, n, &i, 4)) < 0 || i != 4) return 0;
  if (i >= n || (p[i] != '-' && p[i] != '/' && p[i] != '.')) return 0;
  char sep = p[i++];
  if ((mo = sl_num(p, n, &i, 2)) < 0 || i >= n || p[i++] != sep) return 0;
  if ((d = sl_num(p, n, &i, 2)) < 0 || i >= n || (p[i] != ' ' && p[i] != 'T')) return 0;
  i++;
  if ((h = sl_num(p, n, &i, 2)) < 0 || i >= n || p[i++] != ':') return 0;
  int i0 = i;
  if ((mi = sl_num(p, n, &i, 2)) < 0 || i - i0 != 2) return 0;
  if (i < n && p[i] == ':') {
    i++;
    i0 = i;
    if ((se = sl_num(p, n, &i, 2)) < 0 || i - i0 != 2) return 0;
    if (i < n && p[i] == '.') {
      i++;
      if (sl_num(p, n, &i, 9) < 0) return 0;
    }
  }
  if (i != n) return 0;
  /* every number has at most 2 digits (the year 4): the text fits */
  const int v[6] = {y / 100, y % 100, mo, d, h, mi};
  static const char seps[6] = {0, 0, '-', '-', ' ', ':'};
  char *o = out;
  for (int k = 0; k < 6; k++) {
    if (seps[k]) *o++ = seps[k];
    *o++ = (char)('0' + v[k] / 10);
    *o++ = (char)('0' + v[k] % 10);
  }
  *o++ = ':';
  *o++ = (char)('0' + se / 10);
  *o++ = (char)('0' + se % 10);
  *o = 0;
  return zc_time_parse(out, 19, t);
}

/* Method words of card and face devices and of manual entry screens. */
static const struct {
  const char *word, *method;
} sl_methods[] = {
    {"card", "card"}, {"ic", "card"}, {"swipe", "card"}, {"刷卡", "card"}, {"卡", "card"},
    {"face", "face"}, {"刷脸", "face"}, {"人脸", "face"}, {"manual", "manual"}, {"手工", "manual"},
    {"手动", "manual"}, {"补录", "manual"}, {"delivery", "delivery"}, {"送餐", "delivery"}};

static const struct {
  const char *word;
  int slot;
} sl_slot_words[] = {
    {"breakfast", ZC_BREAKFAST}, {"早餐", ZC_BREAKFAST}, {"早", ZC_BREAKFAST}, {"lunch", ZC_LUNCH},
    {"午餐", ZC_LUNCH}, {"中餐", ZC_LUNCH}, {"午", ZC_LUNCH}, {"dinner", ZC_DINNER}, {"晚餐", ZC_DINNER},
    {"晚", ZC_DINNER}};

/* ASCII-lowercased copy of s into b (cap bytes); 0 if too long. */
static int sl_lower(SlStr s, char *b, int cap) {
  if (s.n >= cap) return 0;
  for (int i = 0; i < s.n; i++) {
    char ch = s.p[i];
    b[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
  }
  b[s.n] = 0;
  return 1;
}

const char *sl_method(SlStr s) {
  char b[16];
  if (!sl_lower(s, b, sizeof b)) return NULL;
  for (size_t i = 0; i < sizeof sl_methods / sizeof sl_methods[0]; i++)
    if (strcmp(b, sl_methods[i].word) == 0) return sl_methods[i].method;
  return NULL;
}

int sl_slot_word(SlStr s) {
  char b[16];
  if (!sl_lower(s, b, sizeof b)) return -1;
  for (size_t i = 0; i < sizeof sl_slot_words / sizeof sl_slot_words[0]; i++)
    if (strcmp(b, sl_slot_words[i].word) == 0) return sl_slot_words[i].slot;
  return -1;
}

/* A price in yuan: digits, optionally '.' and one or two digits -> fen.
** 1 on success. */
int sl_price(SlStr s, sqlite3_int64 *fen) {
  sqlite3_int64 v = 0;
  int i = 0, d = 0;
  while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9' && d < 12) v = v * 10 + (s.p[i++] - '0'), d++;
  if (d == 0) return 0;
  v *= 100;
  if (i < s.n && s.p[i] == '.') {
    i++;
    int f = 0;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9' && f < 2) {
      v += (s.p[i++] - '0') * (f == 0 ? 10 : 1);
      f++;
    }
    if (f == 0) return 0;
  }
  if (i != s.n) return 0;
  *fen = v;
  return 1;
}

/* The next space-separated word at *pi, or n = -1. */
SlStr sl_word(const char *p, int n, int *pi) {
  SlStr w = {NULL, -1};
  while (*pi < n && sl_space(p[*pi])) (*pi)++;
  if (*pi >= n) return w;
  w.p = p + *pi;
  while (*pi < n && !sl_space(p[*pi])) (*pi)++;
  w.n = (int)(p + *pi - w.p);
  return w;
}

int sl_key(SlStr w, const char *k, SlStr *v) {
  size_t kn = strlen(k);
  if ((size_t)w.n <= kn || memcmp(w.p, k, kn) != 0 || w.p[kn] != '=') return 0;
  v->p = w.p + kn + 1;
  v->n = w.n - (int)kn - 1;
  return 1;
}

