/*
** credit.h — the time bank's account engine (credit.c), shared by the SQL
** of credit_sql.c: an account's movements read from credit_hours,
** credit_redemption and credit_transfer up to a day, replayed in day order
** under the credit rules of the policy version in force on each day.
**
** Points are milli-points (1 point = 1000).  Per event, in (day, kind, id)
** order, after expiring the lots whose day has come:
**   earn      verified minutes; the year's points are the tier function of
**             the year-to-date minutes, f(ytd + m) - f(ytd) under the
**             version of the day; above the version's cap the rest is
**             over_cap (recorded, not credited)
**   in        a transfer received: a lot (checked against the cap)
**   out, donate, redeem   spend lots, oldest first; more than the balance
**             is a problem (the balance goes negative, never silently)
** Lots expire expire_months after the day they were earned or received.
*/
#ifndef ZC_CREDIT_H
#define ZC_CREDIT_H
#include "policy.h"
#include <nettle/sha2.h>

enum { CR_EARN, CR_IN, CR_OUT, CR_DONATE, CR_REDEEM, CR_NKIND,
       /* lines the engine adds */ CR_EXPIRE, CR_OVERCAP, CR_UNVERIFIED };

typedef struct CrEv {
  int day, kind;
  sqlite3_int64 id;              /* row id in its table */
  sqlite3_int64 amount;          /* minutes (earn) or milli-points */
  sqlite3_int64 other;           /* the meal (redeem), the other account (transfers) */
  int verified;                  /* earn: verified_by is set */
  const char *word;              /* activity, what, relation (interned) */
} CrEv;

typedef struct CrSum {
  sqlite3_int64 minutes, unverified, earned, over_cap, tin, tout, donated, redeemed, expired, balance;
  int problems;                  /* overdrafts and receipts past the cap */
  int nver;
  struct { sqlite3_int64 vid, mp; } ver[16];  /* milli-points earned per version */
  int more_versions;             /* more than 16 versions earned (the rest not listed) */
} CrSum;

/* A line of an account's history (credit_statement). */
typedef struct CrLine {
  int day, kind;
  const CrEv *ev;                /* NULL for an expiry */
  sqlite3_int64 mp;              /* signed: + in, - out */
  sqlite3_int64 balance;         /* after the line */
  sqlite3_int64 ytd;             /* earn: year-to-date minutes after it */
  sqlite3_int64 short_by;        /* spending past the balance: by how much */
  const ZcPolicyVersion *v;      /* the version of the day (earn, in) */
} CrLine;
typedef struct CrEmit {
  void *p;
  int (*xLine)(void *p, const CrLine *l, char **pzErr);
} CrEmit;

typedef struct CrAcct {
  sqlite3_int64 id;
  const char *region;            /* a region row's code (cache lifetime) */
  int birth;                     /* from id_number; ZC_NONE if invalid */
} CrAcct;

/* The credit rules of the version in force for region on day: *pv, or an
** error naming fn and the account when none is in force or it has no
** credit section. */
int zc_credit_rules(ZcConn *zc, const char *fn, const ZcPolicyPick *pick, const CrAcct *a, int day,
                    const ZcPolicyVersion **pv, char **pzErr);

/* Replays events ev[0..n) of account a (sorted here) up to as_of; lines to
** emit when not NULL.  sum is zeroed first. */
int zc_credit_replay(ZcConn *zc, const char *fn, const ZcPolicyPick *pick, const CrAcct *a, CrEv *ev, int n,
                     int as_of, CrSum *sum, const CrEmit *emit, char **pzErr);

/* Reading events: one account (id >= 0) or every account in id order
** (id < 0, the ledger's merge), rows with day <= as_of. */
typedef struct CrReader CrReader;
int zc_credit_reader_open(ZcConn *zc, const char *fn, sqlite3_int64 id, int as_of, CrReader **out, char **pzErr);
/* The events of account id (ids must be asked in increasing order), into
** *pev (grown, owned by the reader); *pn their number. */
int zc_credit_reader_events(CrReader *r, sqlite3_int64 id, CrEv **pev, int *pn, char **pzErr);
void zc_credit_reader_close(CrReader *r);

/* The account row: SQLITE_OK and a->id < 0 when there is none. */
int zc_credit_account(ZcConn *zc, const char *fn, sqlite3_int64 id, CrAcct *a, char **pzErr);

/* credit_statement's rows (credit_stmt.c): every line of the account's
** year, after an 'opening' line (kind CR_OPENING) with the balance brought
** forward; reasons in the connection's language. */
#define CR_OPENING 9
typedef struct StRow {
  int day, kind;
  sqlite3_int64 mp, balance, version, ref;
  char *reason;
} StRow;
int zc_credit_statement_rows(ZcConn *zc, sqlite3_value *person, sqlite3_value *year, StRow **prows, int *pn,
                             char **pzErr);

/* "102.5" for 102500 milli-points (no trailing zeros); out >= 32 bytes. */
void zc_credit_fmt(sqlite3_int64 mp, char *out);

/* The ledger walk behind credit_ledger (credit_sql.c): every account at or
** under scope, in id order, replayed up to as_of; after each
** zc_credit_walk_next, a (the account), sum (its ledger row) and ev[0..n)
** (its events, sorted) until eof.  credit_settle and credit_verify
** (credit_run.c, credit_verify.c) walk the same way. */
typedef struct ZcCreditWalk {
  ZcConn *zc;
  const char *fn;
  const char *scope;
  int as_of;
  ZcPolicyPick pick;
  sqlite3_stmt *acc;             /* the accounts, in id order */
  CrReader *rd;
  CrAcct a;
  CrSum sum;
  CrEv *ev;                      /* the account's events (the reader's) */
  int n;
  int eof;
} ZcCreditWalk;
/* (region, as_of [, horizon]) checked as credit_ledger checks them, the
** walk opened. */
int zc_credit_walk_open(ZcCreditWalk *w, ZcConn *zc, const char *fn, int argc, sqlite3_value **argv, char **pzErr);
/* The same from values already checked (scope a region row's code; call
** zc_facts_sync and zc_regions_load first). */
int zc_credit_walk_start(ZcCreditWalk *w, ZcConn *zc, const char *fn, const char *scope, int as_of,
                         sqlite3_int64 horizon, char **pzErr);
int zc_credit_walk_next(ZcCreditWalk *w, char **pzErr);
void zc_credit_walk_close(ZcCreditWalk *w);
/* The ledger's versions column: {"3":102500,"5":20000} in version order. */
char *zc_credit_versions_json(const CrSum *s);

/* credit_ledger_digest's stream: init with the walk's arguments, a row per
** account walked, end with the versions that earned (hex digest). */
typedef struct ZcCreditDigest {
  struct sha256_ctx h;
  ZcBuf b;
  ZcMap vers;
} ZcCreditDigest;
void zc_credit_digest_init(ZcCreditDigest *d, const ZcCreditWalk *w);
int zc_credit_digest_row(ZcCreditDigest *d, const ZcCreditWalk *w);
int zc_credit_digest_end(ZcCreditDigest *d, ZcConn *zc, char hex[65], char **pzErr);
void zc_credit_digest_free(ZcCreditDigest *d);

#endif /* ZC_CREDIT_H */
