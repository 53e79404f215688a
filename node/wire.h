/*
** wire.h — the dqlite client requests a node sends to join a cluster
** (LEADER, ADD, ASSIGN of dqlite's own wire protocol; see wire.c).
*/
#ifndef ZC_NODE_WIRE_H
#define ZC_NODE_WIRE_H
#include <stddef.h>
#include <stdint.h>

/* Asks the node at `address` who leads: *id (0 = unknown) and its address
** ("" = unknown).  0 on an answer, -1 with err set otherwise. */
int wire_leader(const char *address, uint64_t *id, char *leader, size_t leaderlen,
                char *err, size_t errlen);

/* Asks the leader at `at` to add node (id, address) and make it a voter.
** 0 when done (or done before), -1 with err set otherwise. */
int wire_join(const char *at, uint64_t id, const char *address, char *err, size_t errlen);

#endif
