/*
** common.h — what every module shares: the per-connection state, error
** messages, days and times, ID numbers, hash maps, UTF-8 and JSON helpers
** (all in common.c), and the function-table registration.
**
** Nothing here is public: the SQL surface is in ../shared/SPEC.md and docs/.
** Each module has its own header for what it offers the modules above it;
** docs/design.md draws which module uses which (checked by
** tests/modules.sh, so it cannot go stale).
*/
#ifndef ZC_COMMON_H
#define ZC_COMMON_H

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define ZC_VERSION "0.1.0"

/* The most fen one amount may be: a meal's price, a part of its subsidy,
** a site() item (10,000,000,000 fen = 100 million yuan).  Sums of amounts
** are checked with zc_add_fen: no total wraps round. */
#define ZC_MAX_FEN 10000000000LL
/* *acc += x; 0 (and *acc unchanged) when the sum would pass 2^63. */
static inline int zc_add_fen(sqlite3_int64 *acc, sqlite3_int64 x) {
  sqlite3_int64 r;
  if (__builtin_add_overflow(*acc, x, &r)) return 0;
  *acc = r;
  return 1;
}

/* A NULL day or NULL integer fact. */
#define ZC_NONE INT32_MIN
/* price_fen of a quote (subsidy_for with 4 arguments): unknown. */
#define ZC_NO_PRICE INT64_MIN

/* ------------------------------------------------------------------ */
/* Per-connection state.  Each module owns its slot and frees it in its
** zc_<module>_free(), called from zc_conn_free(). */
typedef struct ZcConn ZcConn;
struct ZcConn {
  sqlite3 *db;
  struct ZcRegexCache *regex;   /* regex.c */
  struct ZcPolicyRt *policy;    /* policy_rt.c: the Lua runtime and the version index */
  struct ZcFacts *facts;        /* facts.c */
  struct ZcMeals *meals;        /* meals.c */
  struct ZcMine *mine;          /* common.c: rows written, by caller (zc_mine_*) */
  sqlite3_stmt *poll;           /* common.c: zc_interrupted's statement */
  /* common.c: the host statements zc_caller_now saw busy, each with the
  ** serial of its current run: SQLITE_TRACE_STMT gives a watched pointer
  ** a new serial when it starts again (reset, or reused by a new
  ** statement) */
  struct { sqlite3_stmt *st; sqlite3_uint64 serial; } watch[32];
  int watch_next;
  sqlite3_uint64 serial;
  int run_writing;              /* run.c, credit_run.c: settle() or credit_settle() is writing (zhucan_run_guard) */
  int lang;                     /* lang.c: the language of messages, ZC_LANG_ZH (0) or ZC_LANG_EN */
  struct ZcNoticeCache *notice; /* notice_money.c: notices' money by run or by county pass */
};

/* The language of messages and finding texts (zhucan_lang(), lang.c):
** Chinese unless the environment variable ZHUCAN_LANG said 'en' when the
** connection opened, or zhucan_lang('en') was called since. */
enum { ZC_LANG_ZH = 0, ZC_LANG_EN = 1 };
/* One text in both languages: en, or zh when the connection speaks
** Chinese.  When the two are formats, they take the same arguments in the
** same order.  English stays complete: every message has both. */
static inline const char *zc_tr(const ZcConn *zc, const char *en, const char *zh) {
  return zc && zc->lang == ZC_LANG_EN ? en : zh;
}
/* 1 when the connection speaks English: for a message whose Chinese puts
** its arguments in another order (two sqlite3_mprintf calls, side by side). */
static inline int zc_lang_en(const ZcConn *zc) { return zc && zc->lang == ZC_LANG_EN; }
/* The connection of a function whose user data is the ZcConn. */
#define ZC_CTX(ctx) ((const ZcConn *)sqlite3_user_data(ctx))
/* "fn: text" in the connection's language ("fn：text" in Chinese). */
#define ZC_COLON(zc) zc_tr((zc), "%s: %s", "%s：%s")

/* Module registration: each module with SQL provides one of these, named
** in its header; zhucan.c keeps the table.  Returns an SQLite code; on
** error *pzErr may be set (sqlite3_malloc'd).  Modules with per-connection
** state also provide zc_<module>_free(ZcConn *), called when the
** connection closes. */
typedef int (*ZcRegisterFn)(sqlite3 *db, ZcConn *zc, char **pzErr);

/* Flags for pure functions and for anything touching files or writing. */
#define ZC_PURE   (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)
#define ZC_DIRECT (SQLITE_UTF8 | SQLITE_DIRECTONLY)

/* A row of a module's function table. */
typedef struct ZcFunc {
  const char *name;
  int nArg;
  int flags;
  void (*xFunc)(sqlite3_context *, int, sqlite3_value **);
} ZcFunc;
/* Prepares sql once per connection into *pp (SQLITE_PREPARE_PERSISTENT)
** and resets it on later calls; an error names the schema as the likely
** cause. */
int zc_prep(ZcConn *zc, sqlite3_stmt **pp, const char *sql, char **pzErr);
/* Opens path for reading when it is a regular file (a FIFO, a device
** such as /dev/zero or a directory is refused at once, never waited on or
** read without end): a file descriptor, or -1 with *pzErr ("cannot open
** 'x': No such file or directory", "'x' is not a regular file").  size
** (if not NULL) receives the file's size. */
int zc_open_regular(const ZcConn *zc, const char *path, sqlite3_int64 *size, char **pzErr);
/* The whole of a regular file of at most max bytes, sqlite3_malloc'd (with
** a NUL after it): SQLITE_OK, or an error with *pzErr. */
int zc_read_file(const ZcConn *zc, const char *path, size_t max, char **out, size_t *n, char **pzErr);

/* 1 when the statement this call runs in should stop: sqlite3_interrupt()
** was called, or the host's progress handler asked to stop (SQLite 3.40
** has no sqlite3_is_interrupted: a tiny statement of a few hundred VM steps
** is stepped, and answers SQLITE_INTERRUPT in either case).  About 10 us:
** call it every few milliseconds of work in loops that run no SQL. */
int zc_interrupted(ZcConn *zc);
/* The same, at most once per 2^k calls (*tick counts them). */
static inline int zc_interrupted_every(ZcConn *zc, unsigned *tick, unsigned k) {
  return (++*tick & ((1u << k) - 1)) == 0 && zc_interrupted(zc);
}
/* A unit of writes done with many statements that is all or nothing, even
** when sqlite3_interrupt() is called in the middle (common.c explains how:
** a guard statement kept running for the unit's length).  Begin, write,
** then end with zc_unit_commit or zc_unit_abort (either always ends it).
** Outside a transaction the unit is a transaction of its own; inside the
** caller's, a savepoint — and an interrupt that leaves no other way rolls
** back the caller's whole transaction, as SQLite does to any write
** interrupted inside one. */
typedef struct ZcUnit {
  sqlite3 *db;
  sqlite3_stmt *guard;   /* the running guard statement */
  int savepoint;         /* 1: inside the caller's transaction */
} ZcUnit;
int zc_unit_begin(ZcConn *zc, ZcUnit *u, char **pzErr);
/* SQLITE_OK when fn may write the main database; else SQLITE_READONLY
** with *pzErr saying the connection is read-only (URI mode=ro, a
** read-only file, or the host opened it so) and what to do. */
int zc_writable(const ZcConn *zc, const char *fn, char **pzErr);
/* SQLITE_OK: the writes are kept.  Else nothing of them is, and *pzErr
** says why when it can. */
int zc_unit_commit(ZcUnit *u, char **pzErr);
void zc_unit_abort(ZcUnit *u);

/* One execution of the host's statements running a call: each busy
** statement with its run count (sqlite3_stmt_status RUN).  A function that
** writes rows its own calling statement may read back (settle() in a
** SELECT ... FROM zhucan_run) remembers the caller it wrote for, and
** refuses to act again on those rows from that same execution. */
#define ZC_CALLER_MAX 8
typedef struct ZcCaller {
  int n;
  struct { sqlite3_stmt *st; sqlite3_uint64 serial; } a[ZC_CALLER_MAX];
} ZcCaller;
/* Rows a function wrote, remembered with the execution that called it:
** zc_mine_note after writing (kind: a module's own number; key: the row's
** id or a hash), zc_mine_same to ask whether the statement calling now is
** the one that wrote it. */
void zc_mine_note(ZcConn *zc, int kind, sqlite3_uint64 key, const ZcCaller *c);
int zc_mine_same(ZcConn *zc, int kind, sqlite3_uint64 key);
enum { ZC_MINE_RUN = 1, ZC_MINE_POLICY = 2, ZC_MINE_CREDIT = 3 };
/* From the connection's SQLITE_TRACE_STMT callback: st starts a run. */
void zc_stmt_started(ZcConn *zc, sqlite3_stmt *st);
/* The statements busy now (call it before preparing statements of one's own). */
void zc_caller_now(ZcConn *zc, ZcCaller *c);
/* 1 if a statement of c is still in the same execution. */
int zc_caller_same(ZcConn *zc, const ZcCaller *c);

/* Registers every row of aFunc (nFunc rows) with pApp as user data. */
int zc_register_funcs(sqlite3 *db, const ZcFunc *aFunc, int nFunc, void *pApp);

/* ------------------------------------------------------------------ */
/* common.c — errors */

/* sqlite3_result_error with a printf-style message (sqlite3_mprintf
** formats, so %q/%Q work). */
void zc_errorf(sqlite3_context *ctx, const char *fmt, ...);
/* 1 when a failure (rc) came without a message although every error of
** ours has one, and SQLite reports none: the message itself could not be
** allocated, so the failure is SQLITE_NOMEM. */
int zc_lost_to_nomem(sqlite3 *db, int rc, const char *err);
/* Replace pVtab->zErrMsg with a formatted message; returns SQLITE_ERROR. */
int zc_vtab_errorf(sqlite3_vtab *pVtab, const char *fmt, ...);
/* A short printable quote of a value for error messages: 'text', 12, NULL,
** x'..' (at most ~60 chars, sqlite3_malloc'd). */
char *zc_value_repr(sqlite3_value *v);

/* ------------------------------------------------------------------ */
/* common.c — days, times, months.
** A day number is days since 1970-01-01 (proleptic Gregorian); a time is
** seconds since 1970-01-01 00:00:00, China Standard Time taken as naive. */
int zc_days_from_civil(int y, int m, int d);
void zc_civil_from_days(int z, int *y, int *m, int *d);
int zc_valid_ymd(int y, int m, int d);
/* 'YYYY-MM-DD' exactly (n bytes, n<0 means strlen) -> day, or ZC_NONE. */
int zc_day_parse(const char *s, int n);
/* 'YYYY-MM-DD HH:MM:SS' exactly -> 1 and *t, else 0. */
int zc_time_parse(const char *s, int n, sqlite3_int64 *t);
/* The same, remembering the month of the last date parsed: a scan within a
** month parses only the day of the month.  Zero-initialise before the
** first call. */
typedef struct ZcDayMemo { char ym[7]; int first, ndays, valid; } ZcDayMemo;
int zc_time_parse_memo(ZcDayMemo *dm, const char *s, int n, sqlite3_int64 *t);
/* A served_at (text t, n bytes) against a day 'YYYY-MM-DD' (10 bytes) as
** SQLite's BINARY collation compares them: < 0, 0 (t is the day itself),
** > 0.  The reads that seek past other months ask it of every row: the ten
** bytes are compared as two big-endian words, not by a call to memcmp. */
static inline int zc_cmp_day(const char *t, int n, const char *day) {
  if (n < 10) {
    int k = memcmp(t, day, (size_t)n);
    return k ? k : n - 10;
  }
  uint64_t a, b;
  uint16_t c, d;
  memcpy(&a, t, 8);
  memcpy(&b, day, 8);
  memcpy(&c, t + 8, 2);
  memcpy(&d, day + 8, 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  a = __builtin_bswap64(a);
  b = __builtin_bswap64(b);
  c = __builtin_bswap16(c);
  d = __builtin_bswap16(d);
#endif
  if (a != b) return a < b ? -1 : 1;
  if (c != d) return c < d ? -1 : 1;
  return n - 10;
}
/* 'YYYY-MM' exactly -> 1 with first day and first day of next month. */
int zc_month_parse(const char *s, int n, int *first, int *next);
/* The month containing day: its first day and the first day after it. */
void zc_month_of(int day, int *first, int *next);
/* qsort comparator for sqlite3_int64. */
int zc_i64_cmp(const void *a, const void *b);
/* Formatting into caller buffers (11, 20, 9 and 8 bytes). */
void zc_day_format(int day, char out[11]);
void zc_time_format(sqlite3_int64 t, char out[20]);
void zc_clock_format(int secs_of_day, char out[9]); /* HH:MM:SS */
void zc_month_format(int day, char out[8]);
/* Full years from birth day to day (29 Feb birthdays turn on 1 March in
** non-leap years). */
int zc_age_years(int birth, int day);
#define ZC_DAY_SECONDS 86400
/* The days and times zhucan can write: 0001-01-01 .. 9999-12-31 23:59:59.
** Formatting anything outside writes '?' in every digit. */
#define ZC_DAY_MIN (-719162)
#define ZC_DAY_MAX 2932896
#define ZC_TIME_MIN ((sqlite3_int64)ZC_DAY_MIN * ZC_DAY_SECONDS)
#define ZC_TIME_MAX ((sqlite3_int64)ZC_DAY_MAX * ZC_DAY_SECONDS + ZC_DAY_SECONDS - 1)
/* Seconds since midnight of time t. */
static inline int zc_secs_of_day(sqlite3_int64 t) {
  sqlite3_int64 r = t % ZC_DAY_SECONDS;
  return (int)(r < 0 ? r + ZC_DAY_SECONDS : r);
}

/* GB 11643 resident ID: 1 and birth day / sex ('M','F') when x (n bytes) is
** a well-formed 18-character ID with a real birth date and a correct check
** character (X or x); else 0.  The one parser every module uses. */
int zc_idcard_parse(const char *x, int n, int *birth, char *sex);

/* ------------------------------------------------------------------ */
/* common.c — an open-addressing hash map from int64 keys to int64 values.
** Keys may be any value except INT64_MIN (the empty marker). */
typedef struct ZcMap {
  sqlite3_int64 *keys;
  sqlite3_int64 *vals;
  size_t cap, n;      /* cap is a power of two */
} ZcMap;
void zc_map_init(ZcMap *m);
void zc_map_clear(ZcMap *m);             /* frees storage */
/* Returns pointer to the value slot, inserting 0 when absent if create;
** NULL when absent and !create, or on OOM. *pIsNew set when inserted. */
sqlite3_int64 *zc_map_slot(ZcMap *m, sqlite3_int64 key, int create, int *pIsNew);
uint64_t zc_hash64(uint64_t x);
uint64_t zc_hash_bytes(const void *p, size_t n, uint64_t seed);

/* ------------------------------------------------------------------ */
/* common.c — text keys: a hash map from text to entries of a caller's
** size.  An entry begins with a ZcTextKey; the caller's fields follow and
** are zeroed when the entry is added.  Keys shorter than ZC_TEXT_INLINE
** bytes live in the entry unless the map was made with stable = 1, which
** copies every key out of line so its pointer survives the map's growth
** (interning).  Entries move when the map grows: do not keep pointers to
** them across an add. */
#define ZC_TEXT_INLINE 24
typedef struct ZcTextKey {
  uint64_t h;                 /* zc_text_hash of the key; 0: an empty slot */
  uint32_t n;                 /* key bytes */
  int inl;                    /* 1: the key is in u.k */
  union { char *z; char k[ZC_TEXT_INLINE]; } u;  /* NUL-terminated */
} ZcTextKey;
typedef struct ZcTextMap {
  unsigned char *a;           /* cap entries of esz bytes, 64-byte aligned in raw */
  void *raw;
  size_t esz, cap, n;
  int stable;
} ZcTextMap;
void zc_textmap_init(ZcTextMap *m, size_t esz, int stable);
void zc_textmap_clear(ZcTextMap *m);            /* frees keys and storage */
uint64_t zc_text_hash(const char *z, size_t n); /* never 0 */
void *zc_textmap_find(const ZcTextMap *m, const char *z, size_t n, uint64_t h);
/* A new zeroed entry for a key known to be absent; NULL on OOM. */
void *zc_textmap_add(ZcTextMap *m, const char *z, size_t n, uint64_t h);
/* find, else add (*pIsNew tells which); NULL on OOM. */
void *zc_textmap_get(ZcTextMap *m, const char *z, size_t n, uint64_t h, int *pIsNew);
const char *zc_textmap_key(const void *entry);
/* Slot i of 0..cap-1 when it holds an entry, else NULL (to visit them all). */
void *zc_textmap_at(const ZcTextMap *m, size_t i);
void zc_textmap_prefetch(const ZcTextMap *m, uint64_t h);

/* ------------------------------------------------------------------ */
/* common.c — UTF-8 and JSON */

/* 1 if s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
** surrogates, nothing above U+10FFFF); else 0 with *pBad (if not NULL) the
** byte offset of the first bad sequence. */
int zc_utf8_valid(const unsigned char *s, size_t n, size_t *pBad);
/* A short printable quote of s[0..n) for error messages: 'text' (cut near
** 60 bytes on a character boundary, with ...) or x'hex' (first 16 bytes)
** when it is not valid UTF-8 or holds a control character (C0, NUL, DEL,
** C1), so a message never carries invalid UTF-8 or control bytes.
** sqlite3_malloc'd; NULL on OOM. */
char *zc_utf8_repr(const char *s, size_t n);
/* A JSON string literal of z, or null for NULL. */
void zc_json_str(sqlite3_str *s, const char *z);

/* ------------------------------------------------------------------ */
/* common.c — a growable byte buffer, NUL-terminated after every add; oom
** is set (and sticks) when memory runs out, so a writer checks once at the
** end.  Zero-initialise. */
typedef struct ZcBuf {
  char *z;
  size_t n, cap;
  int oom;
} ZcBuf;
int zc_buf_grow(ZcBuf *b, size_t extra);
/* 1 if extra more bytes (and the NUL) fit, growing if need be; 0 on OOM. */
static inline int zc_buf_need(ZcBuf *b, size_t extra) {
  return b->n + extra + 1 <= b->cap ? !b->oom : zc_buf_grow(b, extra);
}
void zc_buf_free(ZcBuf *b);
void zc_buf_add(ZcBuf *b, const void *p, size_t n);
void zc_buf_str(ZcBuf *b, const char *s);
void zc_buf_int(ZcBuf *b, sqlite3_int64 v);
/* A JSON string literal (the same escaping as zc_json_str; z not NULL). */
void zc_buf_json_str(ZcBuf *b, const char *z);

#endif /* ZC_COMMON_H */
