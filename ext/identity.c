/*
** identity.c — resident ID numbers (GB 11643-1999), ages and masks for
** public notices.
**
**   SELECT idcard_valid('11010519491231002X');     -- 1
**   SELECT idcard_valid('11010519490230002X');     -- 0 (no 30 February)
**   SELECT idcard_birth('11010519491231002X');     -- '1949-12-31'
**   SELECT idcard_sex('11010519491231002X');       -- 'F' (17th digit 2 is even)
**   SELECT idcard_sex_label('11010519491231002X'); -- '女' ('Female' under zhucan_lang('en'))
**   SELECT idcard_sex_label('M', 'en');            -- 'Male' (a code, and a fixed language)
**   SELECT idcard_region('11010519491231002X');    -- '110105'
**   SELECT age_on('11010519491231002X', '2024-03-05');  -- 74
**   SELECT age_on('1952-02-29', '2023-02-28');     -- 70 (71 on 2023-03-01)
**   SELECT mask_name('张三'), mask_name('张三丰'), mask_name('欧阳娜娜');
**                                                  -- '张*', '张*丰', '欧阳**'
**   SELECT mask_id('14112919491231001X');          -- '141129********001X'
**
** An ID number is 18 characters: a 6-digit address code, the birth date
** YYYYMMDD, a 3-digit sequence (odd = male) and a check character: the
** first 17 digits weighted 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum
** mod 11 indexing "10X98765432".  'x' is accepted for 'X'.  A birth date in
** the future is not checked (the ID is well-formed; whether it is plausible
** is the caller's business).
**
** Conventions: idcard_valid answers 0/1 (NULL, a blob or a real -> 0; an
** integer is read as its digits).  The extractors answer NULL for an invalid
** ID.  age_on answers NULL for an invalid ID or birth day, or a day before
** the birth; a malformed day is an error.  The masks are errors on a blob or
** invalid UTF-8, since a notice must never print a half-masked name.
**
** Mask rules (counting characters, not bytes; one '*' per hidden character):
**   mask_name: 1 character -> '*'; 2 -> first kept ('张*'); 3 -> first and
**   last kept ('张*丰'); 4 or more -> first two kept ('欧阳**', since a
**   four-character Chinese name is most often a two-character surname).
**   mask_id: 18 or 15 characters -> first 6 and last 4 kept; any other
**   length -> every character hidden (not an ID: show nothing of it).
*/
#include "modules.h"
#include "common.h"
#include <string.h>

#define ID_LEN 18

/* Parsed ID number. */
typedef struct IdCard {
  char region[7];
  int birth;          /* day number */
  char sex;           /* 'M' | 'F' */
} IdCard;

/* 1 if v is a valid ID number (filling *id), else 0: text (or an integer
** read as its digits) checked by zc_idcard_parse, the parser every module
** uses (facts.c derives an elder's age and sex with it too). */
static int id_parse(sqlite3_value *v, IdCard *id) {
  int t = sqlite3_value_type(v);
  if (t != SQLITE_TEXT && t != SQLITE_INTEGER) return 0;
  const char *s = (const char *)sqlite3_value_text(v);
  if (s == NULL || sqlite3_value_bytes(v) != ID_LEN) return 0;
  if (!zc_idcard_parse(s, ID_LEN, &id->birth, &id->sex)) return 0;
  memcpy(id->region, s, 6);
  id->region[6] = 0;
  return 1;
}

static void idcard_valid_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  IdCard id;
  sqlite3_result_int(ctx, id_parse(argv[0], &id));
}

static void idcard_birth_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  IdCard id;
  char buf[11];
  if (!id_parse(argv[0], &id)) return; /* NULL */
  zc_day_format(id.birth, buf);
  sqlite3_result_text(ctx, buf, 10, SQLITE_TRANSIENT);
}

static void idcard_sex_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  IdCard id;
  if (!id_parse(argv[0], &id)) return;
  sqlite3_result_text(ctx, id.sex == 'M' ? "M" : "F", 1, SQLITE_STATIC);
}

/* idcard_sex_label(x [, lang]): x an ID number or the code 'M' / 'F';
** 男/女 or Male/Female in lang, or in the connection's language. */
static void idcard_sex_label_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  ZcConn *zc = sqlite3_user_data(ctx);
  int en = zc->lang == ZC_LANG_EN;
  if (argc == 2) {
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return; /* NULL in, NULL out */
    const char *l = (const char *)sqlite3_value_text(argv[1]);
    if (l && strcmp(l, "en") == 0) en = 1;
    else if (l && strcmp(l, "zh") == 0) en = 0;
    else {
      char *r = zc_value_repr(argv[1]);
      zc_errorf(ctx, zc_tr(zc, "idcard_sex_label: language %s is not 'zh' or 'en'",
                           "idcard_sex_label：语言参数 %s 应为 'zh'（中文）或 'en'（英文）"),
                r ? r : "?");
      sqlite3_free(r);
      return;
    }
  }
  char sex;
  const char *z = (const char *)sqlite3_value_text(argv[0]);
  IdCard id;
  if (z && (strcmp(z, "M") == 0 || strcmp(z, "F") == 0)) sex = z[0];
  else if (id_parse(argv[0], &id)) sex = id.sex;
  else return; /* NULL, as idcard_sex */
  const char *label = sex == 'M' ? (en ? "Male" : "男") : (en ? "Female" : "女");
  sqlite3_result_text(ctx, label, -1, SQLITE_STATIC);
}

static void idcard_region_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  IdCard id;
  if (!id_parse(argv[0], &id)) return;
  sqlite3_result_text(ctx, id.region, 6, SQLITE_TRANSIENT);
}

/* age_on(x, day): x an ID number or a birth day 'YYYY-MM-DD'. */
static void age_on_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  sqlite3_value *vd = argv[1];
  if (sqlite3_value_type(vd) == SQLITE_NULL) return;
  int day = ZC_NONE;
  if (sqlite3_value_type(vd) == SQLITE_TEXT)
    day = zc_day_parse((const char *)sqlite3_value_text(vd), sqlite3_value_bytes(vd));
  if (day == ZC_NONE) {
    char *q = zc_value_repr(vd);
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "age_on: day %s is not a date 'YYYY-MM-DD'", "age_on：%s 不是日期 'YYYY-MM-DD'"), q ? q : "?");
    sqlite3_free(q);
    return;
  }
  sqlite3_value *vx = argv[0];
  int birth = ZC_NONE;
  IdCard id;
  if (sqlite3_value_type(vx) == SQLITE_TEXT && sqlite3_value_bytes(vx) == 10)
    birth = zc_day_parse((const char *)sqlite3_value_text(vx), 10);
  else if (id_parse(vx, &id))
    birth = id.birth;
  if (birth == ZC_NONE || day < birth) return; /* NULL */
  sqlite3_result_int(ctx, zc_age_years(birth, day));
}

/* Text of argument v for a mask: 1 with *pz and *pn, 0 for NULL, -1 after an
** error (blob, invalid UTF-8). */
static int mask_arg(sqlite3_context *ctx, sqlite3_value *v, const char *fn, const char *what,
                    const unsigned char **pz, size_t *pn) {
  int t = sqlite3_value_type(v);
  if (t == SQLITE_NULL) return 0;
  char *q = NULL;
  if (t == SQLITE_BLOB) {
    q = zc_value_repr(v);
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: %s %s is a blob, expected text", "%s：%s %s 是二进制数据（blob），应为文本"), fn, what, q ? q : "?");
    sqlite3_free(q);
    return -1;
  }
  const unsigned char *z = sqlite3_value_text(v);
  if (z == NULL) {
    sqlite3_result_error_nomem(ctx);
    return -1;
  }
  size_t n = (size_t)sqlite3_value_bytes(v);
  size_t bad = 0;
  if (!zc_utf8_valid(z, n, &bad)) {
    q = zc_utf8_repr((const char *)z, n);
    zc_errorf(ctx, zc_tr(ZC_CTX(ctx), "%s: %s %s is not valid UTF-8 (bad byte at offset %llu)", "%s：%s %s 不是有效的 UTF-8（第 %llu 个字节处有错误字节）"), fn, what,
              q ? q : "?", (unsigned long long)bad);
    sqlite3_free(q);
    return -1;
  }
  *pz = z;
  *pn = n;
  return 1;
}

/* Emit z[0..n) (valid UTF-8, nch characters) keeping the first `head` and
** the last `tail` characters and replacing each other one with '*'. */
static void mask_result(sqlite3_context *ctx, const unsigned char *z, size_t n, size_t nch,
                        size_t head, size_t tail) {
  sqlite3_str *out = sqlite3_str_new(NULL);
  size_t ich = 0;
  for (size_t i = 0; i < n;) {
    size_t len = 1;
    while (i + len < n && (z[i + len] & 0xC0) == 0x80) len++;
    if (ich < head || ich >= nch - tail) sqlite3_str_append(out, (const char *)z + i, (int)len);
    else sqlite3_str_appendchar(out, 1, '*');
    ich++;
    i += len;
  }
  int rc = sqlite3_str_errcode(out);
  int len = sqlite3_str_length(out);
  char *r = sqlite3_str_finish(out);
  if (rc != SQLITE_OK) {
    sqlite3_free(r);
    if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
    else sqlite3_result_error_toobig(ctx);
    return;
  }
  if (r == NULL) sqlite3_result_text(ctx, "", 0, SQLITE_STATIC); /* empty input */
  else sqlite3_result_text(ctx, r, len, sqlite3_free);
}

static size_t utf8_chars(const unsigned char *z, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += (z[i] & 0xC0) != 0x80;
  return c;
}

static void mask_name_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const unsigned char *z;
  size_t n;
  if (mask_arg(ctx, argv[0], "mask_name", "name", &z, &n) <= 0) return;
  size_t nch = utf8_chars(z, n);
  size_t head = 0, tail = 0;
  if (nch == 2) head = 1;
  else if (nch == 3) head = tail = 1;
  else if (nch >= 4) head = 2;
  mask_result(ctx, z, n, nch, head, tail);
}

static void mask_id_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const unsigned char *z;
  size_t n;
  if (mask_arg(ctx, argv[0], "mask_id", "id_number", &z, &n) <= 0) return;
  size_t nch = utf8_chars(z, n);
  size_t keep = nch == 18 || nch == 15;
  mask_result(ctx, z, n, nch, keep ? 6 : 0, keep ? 4 : 0);
}

int zc_identity_register(sqlite3 *db, ZcConn *zc, char **pzErr) {
  (void)pzErr;
  static const ZcFunc aFunc[] = {
      {"idcard_valid", 1, ZC_PURE, idcard_valid_func},
      {"idcard_birth", 1, ZC_PURE, idcard_birth_func},
      {"idcard_sex", 1, ZC_PURE, idcard_sex_func},
      /* the connection's language: not deterministic; with the language given, it is */
      {"idcard_sex_label", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS, idcard_sex_label_func},
      {"idcard_sex_label", 2, ZC_PURE, idcard_sex_label_func},
      {"idcard_region", 1, ZC_PURE, idcard_region_func},
      {"age_on", 2, ZC_PURE, age_on_func},
      {"mask_name", 1, ZC_PURE, mask_name_func},
      {"mask_id", 1, ZC_PURE, mask_id_func},
  };
  return zc_register_funcs(db, aFunc, (int)(sizeof aFunc / sizeof aFunc[0]), zc);
}
