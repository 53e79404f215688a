/*
** award.h — the award parameters of a policy version (award.c), checked
** at install like the anomaly thresholds: a version whose award_* params
** are out of range is refused before it is stored.
*/
#ifndef ZC_AWARD_H
#define ZC_AWARD_H
#include "policy.h"

/* SQLITE_OK, or an error in *pzErr naming the param, value and range. */
int zc_award_check(ZcConn *zc, const ZcPolicyVersion *v, char **pzErr);

#endif
