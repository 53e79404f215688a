/*
** fuzz/identity.c — ID numbers, ages and masks on arbitrary text.
**
** Input: X [0x1F DAY].  X is bound as text to idcard_valid, idcard_birth,
** idcard_sex, idcard_region, mask_name and mask_id; age_on(X, DAY) and
** age_on(DAY, X) (DAY defaults to '2024-03-05').  When X is the canonical
** text of an integer it is also bound as an integer (read as its digits).
**
** Invariants checked (SPEC.md, docs/ref/idcard_*.md, mask_*.md):
**   idcard_valid is 0 or 1; valid <=> birth, sex and region all non-NULL;
**   birth is a real day (date(birth) = birth), region = the first 6
**   characters, sex 'M' or 'F', age_on(X, birth) = 0;
**   integer and text bindings of the same digits agree;
**   a mask keeps the character count and each character is kept or '*';
**   age_on is never negative.
*/
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char *col_text(sqlite3_stmt *st, int i, int *n) {
  const unsigned char *t = sqlite3_column_text(st, i);
  *n = sqlite3_column_bytes(st, i);
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : t;
}

/* Length of the UTF-8 character at z[i] (caller knows the text is valid). */
static size_t ch_len(const unsigned char *z, size_t n, size_t i) {
  size_t len = 1;
  while (i + len < n && (z[i + len] & 0xC0) == 0x80) len++;
  return len;
}

static void check_mask(const char *fn, const unsigned char *in, size_t inn, const unsigned char *out,
                       size_t outn) {
  size_t i = 0, o = 0;
  while (i < inn && o < outn) {
    size_t li = ch_len(in, inn, i), lo = ch_len(out, outn, o);
    int same = li == lo && memcmp(in + i, out + o, li) == 0;
    if (!same && !(lo == 1 && out[o] == '*'))
      fz_fail("%s: character at input byte %zu neither kept nor '*'", fn, i);
    i += li;
    o += lo;
  }
  if (i != inn || o != outn)
    fz_fail("%s: %zu-byte input masked to %zu bytes with a different character count", fn, inn,
            outn);
}

/* idcard_* on ?1; answers valid, fills birth (11 bytes). */
static int check_id(sqlite3_stmt *st, const uint8_t *x, size_t xn, char birth[11]) {
  birth[0] = 0;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) fz_fail("idcard_*: no row (%s)", sqlite3_errmsg(sqlite3_db_handle(st)));
  if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) fz_fail("idcard_valid not an integer");
  int valid = sqlite3_column_int(st, 0);
  int nb, ns, nr, nd;
  const unsigned char *b = col_text(st, 1, &nb), *s = col_text(st, 2, &ns);
  const unsigned char *r = col_text(st, 3, &nr), *d = col_text(st, 4, &nd);
  if (valid != 0 && valid != 1) fz_fail("idcard_valid answered %d", valid);
  if (valid) {
    if (!b || !s || !r) fz_fail("idcard_valid 1 but an extractor is NULL");
    if (nb != 10 || !d || nd != 10 || memcmp(b, d, 10) != 0)
      fz_fail("idcard_birth '%s' is not a real day", b);
    if (ns != 1 || (s[0] != 'M' && s[0] != 'F')) fz_fail("idcard_sex '%s'", s);
    if (nr != 6 || xn < 6 || memcmp(r, x, 6) != 0) fz_fail("idcard_region '%s'", r);
    memcpy(birth, b, 10);
    birth[10] = 0;
  } else if (b || s || r) {
    fz_fail("idcard_valid 0 but an extractor answered");
  }
  if (sqlite3_step(st) != SQLITE_DONE) fz_fail("idcard_*: more than one row");
  sqlite3_reset(st);
  return valid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *f[2];
  size_t fn[2];
  int nf = fz_split(data, size, FZ_SEP, 2, f, fn);
  const uint8_t *x = f[0];
  size_t xn = fn[0];
  const uint8_t *day = nf > 1 ? f[1] : (const uint8_t *)"2024-03-05";
  size_t dayn = nf > 1 ? fn[1] : 10;

  sqlite3 *db = fz_open();
  sqlite3_stmt *id = fz_prepare(db,
      "SELECT idcard_valid(?1), idcard_birth(?1), idcard_sex(?1), idcard_region(?1),"
      " date(idcard_birth(?1))");
  char birth[11];
  fz_bind_text(id, 1, x, xn);
  int valid = check_id(id, x, xn, birth);

  /* the same digits as an integer */
  if (xn > 0 && xn < 20) {
    char buf[32], back[32];
    memcpy(buf, x, xn);
    buf[xn] = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    snprintf(back, sizeof back, "%lld", v);
    if (strlen(buf) == xn && *end == 0 && strcmp(back, buf) == 0) {
      sqlite3_bind_int64(id, 1, v);
      char birth2[11];
      if (check_id(id, x, xn, birth2) != valid || strcmp(birth, birth2) != 0)
        fz_fail("idcard_* differ between text and integer %s", buf);
    }
  }
  sqlite3_finalize(id);

  sqlite3_stmt *age = fz_prepare(db, "SELECT age_on(?1, ?2)");
  for (int swap = 0; swap < 2; swap++) {
    fz_bind_text(age, 1, swap ? day : x, swap ? dayn : xn);
    fz_bind_text(age, 2, swap ? x : day, swap ? xn : dayn);
    sqlite3_value *v;
    if (fz_first(age, &v) == SQLITE_ROW) {
      if (sqlite3_value_type(v) != SQLITE_NULL && sqlite3_value_int64(v) < 0)
        fz_fail("age_on answered %lld", (long long)sqlite3_value_int64(v));
      sqlite3_value_free(v);
    }
  }
  if (valid) { /* aged 0 on the day of birth */
    fz_bind_text(age, 1, x, xn);
    fz_bind_text(age, 2, birth, 10);
    if (sqlite3_step(age) != SQLITE_ROW || sqlite3_column_int64(age, 0) != 0 ||
        sqlite3_column_type(age, 0) != SQLITE_INTEGER)
      fz_fail("age_on(valid id, its birth day %s) is not 0", birth);
    sqlite3_reset(age);
  }
  sqlite3_finalize(age);

  static const char *const masks[] = {"mask_name", "mask_id"};
  for (int m = 0; m < 2; m++) {
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT %s(?1)", masks[m]);
    sqlite3_stmt *st = fz_prepare(db, sql);
    fz_bind_text(st, 1, x, xn);
    sqlite3_value *v;
    if (fz_first(st, &v) == SQLITE_ROW) {
      if (sqlite3_value_type(v) != SQLITE_TEXT) fz_fail("%s: not text", masks[m]);
      const unsigned char *o = sqlite3_value_text(v);
      check_mask(masks[m], x, xn, o, (size_t)sqlite3_value_bytes(v));
      sqlite3_value_free(v);
    }
    sqlite3_finalize(st);
  }
  fz_close(db);
  return 0;
}
