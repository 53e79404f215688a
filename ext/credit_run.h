/*
** credit_run.h — stored credit ledger snapshots (credit_run.c): the tables
** zhucan_credit_run and zhucan_credit_balance, their guard triggers, and
** the rows digest and chain that credit_settle() writes and credit_verify()
** (credit_verify.c) recomputes from the stored rows alone.
*/
#ifndef ZC_CREDIT_RUN_H
#define ZC_CREDIT_RUN_H
#include "credit.h"
#include "digest.h"
#include "runrec.h"

/* zhucan_credit_balance's columns after run_id, in key order's table */
#define ZC_CB_COLS                                                                                              \
  "volunteer_id, region, minutes, unverified_minutes, earned_milli, over_cap_milli, in_milli, out_milli, "     \
  "donated_milli, redeemed_milli, expired_milli, balance_milli, problems, versions, hours_rows, "              \
  "redemption_rows, transfer_rows, inputs"
#define ZC_CB_NCOL 18
/* the ledger's integer columns, minutes .. problems: index 2 .. 12 */
#define ZC_CB_FIRST_INT 2
#define ZC_CB_LAST_INT 12
extern const char *const zc_cb_col[ZC_CB_NCOL];

/* the guard triggers of both tables (NULL-terminated) */
extern const char *const zc_credit_run_triggers[];

/* Creates the tables, or brings an older layout up to date; takes the
** write lock first.  Call inside a unit with zc->run_writing set. */
int zc_credit_run_schema(ZcConn *zc, char **pzErr);

/* The rows digest of snapshot run: zc_credit_rows_init, then per stored
** row (volunteer order) its columns after run_id, zc_rh_row; zc_rh_end. */
void zc_credit_rows_init(ZcRowHash *h, sqlite3_int64 run);

/* A snapshot's header as stored in zhucan_credit_run. */
typedef struct ZcCreditHead {
  sqlite3_int64 id, horizon, accounts, balance;
  sqlite3_int64 supersedes;        /* 0: none */
  const char *region, *as_of, *created_at, *versions, *last_ids, *ledger, *rows;
} ZcCreditHead;
#define ZC_CREDIT_HEAD_COLS                                                                                  \
  "id, region, as_of, created_at, policy_versions, policy_horizon, accounts, balance_milli, last_ids, "      \
  "ledger_digest, rows_digest, supersedes"
/* from a row read as ZC_CREDIT_HEAD_COLS (valid until the statement moves) */
void zc_credit_head(ZcCreditHead *h, sqlite3_stmt *st);
/* sha256 over the previous snapshot's chain (64 '0' for the first) and h */
int zc_credit_chain(const char *prev, const ZcCreditHead *h, char out[65]);

/* What an account's ledger row was computed from: its rows of each table
** dated on or before as_of, and a fingerprint of all of them (every column
** the engine reads), 16 hex digits. */
typedef struct ZcCreditInputs {
  sqlite3_int64 hours, redemptions, transfers;
  char fp[17];
} ZcCreditInputs;
void zc_credit_inputs(const ZcCreditWalk *w, ZcCreditInputs *out);

#endif /* ZC_CREDIT_RUN_H */
