/*
** ingest.h — private to swipe_log's files: what ingest.c (the table-valued
** function: reading, lookups, rows) uses of ingest_values.c (the values a
** device line holds: times, method and slot words, prices, words and keys,
** UTF-8 checks, GB18030 decoding) and of ingest_msg.c (its messages in both
** languages).  Not a module interface (modules.h declares the
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

/* ingest_msg.c: swipe_log's messages, the text of the connection's
** language (English formats and Chinese ones take the same arguments). */
enum {
  SLM_BLANK, SLM_HEADER, SLM_BAD_TIME, SLM_MISSING_TIME, SLM_BAD_METHOD, SLM_MISSING_METHOD,
  SLM_BAD_SLOT, SLM_BAD_PRICE, SLM_BAD_SITE, SLM_MISSING_DEVICE, SLM_MISSING_TOKEN,
  SLM_UNKNOWN_DEVICE, SLM_UNKNOWN_TOKEN, SLM_DEVICE_STATUS, SLM_UNBALANCED_QUOTE, SLM_AFTER_QUOTE,
  SLM_QUOTE_INSIDE, SLM_NOT_TERMINAL, SLM_NO_MATCH, SLM_TOO_LONG, SLM_NOT_UTF8, SLM_GBK_HINT,
  SLM_NEITHER, SLM_NOT_GB, SLM_FIELDS, SLM_FIELD_1, SLM_FIELDS_MORE, SLM_UNKNOWN_SITE,
  SLM_SITE_MISMATCH, SLM_BAD_CARD, SLM_NOT_ISSUED, SLM_REVOKED, SLM_OUT_OF_HOURS,
  SLM_POLICY_MISSING, SLM_USAGE, SLM_ENC_USAGE, SLM_MISSING_ARG, SLM_EXPECTED, SLM_INTERRUPTED,
  SLM_READING, SLM_SQL, SLM_POLICY_OF_SITE, SLM_NONE, SLM_PATTERN_FAILED, SLM_FORMAT_BAD,
  SLM_FORMAT_GROUPS, SLM_CANNOT_OPEN, SLM_CANNOT_READ, SLM_NOT_REGULAR, SLM_KIND_DIR, SLM_KIND_FIFO,
  SLM_KIND_CHR, SLM_KIND_BLK, SLM_KIND_SOCK, SLM_KIND_OTHER, SLM_BAD_ENCODING, SLM_BAD_PATH,
  SLM_BAD_FORMAT, SLM_NO_ICONV, SLM_COUNT
};
const char *sl_msg(const ZcConn *zc, int id);

#endif /* ZC_INGEST_H */
