/*
** verify.h — checking stored runs against themselves (verify.c): the
** checks behind run_verify(), which replay() (replay.c) runs first and
** settle() (run.c) uses to seal runs stored before rows digests existed.
*/
#ifndef ZC_VERIFY_H
#define ZC_VERIFY_H
#include "common.h"

/* Checks run (or every run, run 0) from its stored rows alone: xProblem is
** called once per problem found (run, what, expected, found) and returns
** SQLITE_OK to go on.  SQLITE_OK when the check itself ran (problems or
** none); an error with *pzErr when it could not (run absent, I/O, OOM). */
int zc_run_check(ZcConn *zc, sqlite3_int64 run,
                 int (*xProblem)(void *p, sqlite3_int64 run, const char *what, const char *expected,
                                 const char *found),
                 void *p, char **pzErr);

/* The rows digest of run as its rows are stored now (v1: its meals are
** rows of zhucan_run_meal_v1), and its meals, subsidised meals and
** total_fen recounted from them (counts[0..2]). */
int zc_run_rows_digest(ZcConn *zc, sqlite3_int64 run, int v1, char out[65], sqlite3_int64 counts[3]);

#endif /* ZC_VERIFY_H */
