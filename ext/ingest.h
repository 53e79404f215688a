/*
** ingest.h — private to swipe_log's files: what ingest.c (the table-valued
** function: reading, lookups, rows) uses of ingest_values.c (the values a
** device line holds: times, method and slot words, prices, words and keys,
** UTF-8 checks, GB18030 decoding).  Not a module interface (modules.h declares the
** registration).  ingest_values.c uses nothing of ingest.c.
*/
#ifndef ZC_INGEST_H
#define ZC_INGEST_H
#include "common.h"
#include "plat.h"   /* iconv */

/* A piece of the current line (or of the unquoting buffer). */
typedef struct SlStr {
  const char *p;
  int n;     /* -1 = absent */
} SlStr;

/* The longest prefix of p[0..m) that does not end inside a UTF-8 sequence
** (looks only at bytes before m). */
int sl_utf8_cut(const char *p, int m);
/* Offset of the first byte that is not valid UTF-8 or is NUL, or -1. */
int sl_utf8_bad(const unsigned char *s, int n);
/* Length of the leading ASCII (bytes < 0x80) of s[0..n). */
int sl_ascii_len(const unsigned char *s, int n);
/* Decodes the GB18030 line p[0..n) (no NUL: the caller checks) into UTF-8
** at out (room for 2 * n bytes: GB18030 never grows more than 3 bytes for
** 2, 4 for 4) with cd (a GB18030 -> UTF-8 iconv_t).  The UTF-8 length, or
** -1 and *pbad the 0-based offset of the first byte that is not GB18030
** (an invalid sequence, or one cut by the line's end).  With partial, a
** sequence cut by the end is dropped instead (a prefix of a longer line). */
int sl_gb_decode(iconv_t cd, const char *p, int n, char *out, int partial, int *pbad);
/* A space or a tab; s without them at either end (n = -1 stays). */
int sl_space(char ch);
SlStr sl_trim(SlStr s);
/* A device clock's time (2024-03-05 11:32:05, 2024/3/5 11:32,
** 2024-03-05T11:32:05, 2024-03-05 11:32:05.250) as 'YYYY-MM-DD HH:MM:SS'
** in out and seconds in *t: 1, or 0 when it is none or not a real time. */
int sl_parse_at(SlStr s, char out[20], sqlite3_int64 *t);
/* 'card', 'face', 'manual' or 'delivery' for a method word (any case), or NULL. */
const char *sl_method(SlStr s);
/* ZC_BREAKFAST.. for a slot word (any case), or -1. */
int sl_slot_word(SlStr s);
/* A price in yuan (digits, optionally '.' and one or two digits) as fen: 1, or 0. */
int sl_price(SlStr s, sqlite3_int64 *fen);
/* The next space-separated word of p[0..n) at *pi (moved past it), or n = -1. */
SlStr sl_word(const char *p, int n, int *pi);
/* 1 and *v the value when w is k=value. */
int sl_key(SlStr w, const char *k, SlStr *v);

#endif /* ZC_INGEST_H */
