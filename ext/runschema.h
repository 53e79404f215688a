/*
** runschema.h — the run tables (runschema.c): created on first use,
** upgraded from every earlier layout, guarded so that only settle() writes
** them, and runs stored before rows digests sealed into the chain.
*/
#ifndef ZC_RUNSCHEMA_H
#define ZC_RUNSCHEMA_H
#include "common.h"

/* Takes the database's write lock before anything of it is read (creating
** zhucan_run in a database without runs). */
int zc_run_lock(sqlite3 *db, char **pzErr);

/* The run tables, views and guard triggers as this version writes them;
** runs stored before rows digests get theirs and their chain links, in
** id order.  Call with zc->run_writing set, inside settle's unit. */
int zc_run_schema(ZcConn *zc, char **pzErr);

#endif /* ZC_RUNSCHEMA_H */
