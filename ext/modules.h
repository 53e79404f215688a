/*
** modules.h — the registration and clean-up entry of every module, the
** rows of zhucan.c's module table.  A module includes it to have its own
** entry checked against this declaration; only zhucan.c calls them.
*/
#ifndef ZC_MODULES_H
#define ZC_MODULES_H
#include "common.h"

/* SQL functions and table-valued functions, in registration order */
int zc_lang_register(sqlite3 *db, ZcConn *zc, char **pzErr);     /* lang.c     */
int zc_identity_register(sqlite3 *db, ZcConn *zc, char **pzErr); /* identity.c */
int zc_regex_register(sqlite3 *db, ZcConn *zc, char **pzErr);    /* regex.c    */
int zc_policy_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* policy_store.c */
int zc_policy_test_register(sqlite3 *db, ZcConn *zc, char **pzErr); /* policy_test.c */
int zc_policy_life_register(sqlite3 *db, ZcConn *zc, char **pzErr); /* policy_life.c */
int zc_subsidy_register(sqlite3 *db, ZcConn *zc, char **pzErr);  /* subsidy.c  */
int zc_settle_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* settle.c   */
int zc_run_register(sqlite3 *db, ZcConn *zc, char **pzErr);      /* run.c      */
int zc_replay_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* replay.c   */
int zc_pack_register(sqlite3 *db, ZcConn *zc, char **pzErr);     /* pack.c     */
int zc_anomaly_register(sqlite3 *db, ZcConn *zc, char **pzErr);  /* anomaly.c  */
int zc_ingest_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* ingest.c   */
int zc_verify_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* verify.c   */
int zc_impact_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* impact.c   */
int zc_notice_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* notice_sql.c */
int zc_honour_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* honour.c */
int zc_award_register(sqlite3 *db, ZcConn *zc, char **pzErr);    /* award.c */
int zc_credit_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* credit_sql.c */
int zc_credit_write_register(sqlite3 *db, ZcConn *zc, char **pzErr); /* credit_write.c */
int zc_credit_run_register(sqlite3 *db, ZcConn *zc, char **pzErr);   /* credit_run.c */
int zc_credit_verify_register(sqlite3 *db, ZcConn *zc, char **pzErr); /* credit_verify.c */

/* prepared statements kept between calls, finalized when the connection
** is asked to close (prepared again if it stays open) */
void zc_facts_finalize(ZcConn *zc);   /* facts.c  */
void zc_meals_finalize(ZcConn *zc);   /* meals.c  */
void zc_common_finalize(ZcConn *zc);  /* common.c */

/* per-connection state, released when the connection closes */
void zc_regex_free(ZcConn *zc);   /* regex.c  */
void zc_policy_free(ZcConn *zc);  /* policy_rt.c */
void zc_facts_free(ZcConn *zc);   /* facts.c  */
void zc_common_free(ZcConn *zc);  /* common.c */
void zc_meals_free(ZcConn *zc);   /* meals.c  */
void zc_notice_cache_free(ZcConn *zc); /* notice_money.c */

#endif /* ZC_MODULES_H */
