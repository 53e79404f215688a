/*
** thresholds.h — the range check of a policy version's anomaly thresholds
** (anomaly_thr.c), for the install path: a version whose thresholds are out
** of range is refused before it is stored.
*/
#ifndef ZC_THRESHOLDS_H
#define ZC_THRESHOLDS_H
#include "policy.h"

/* SQLITE_OK, or an error in *pzErr naming the threshold, value and range. */
int zc_thresholds_check(const ZcConn *zc, const ZcPolicyVersion *v, char **pzErr);

#endif
