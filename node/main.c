/*
** main.c — zhucan-node: one dqlite node whose every SQLite connection is a
** zhucan connection (docs/cluster.md).
**
**   zhucan-node --id 1 --address 10.0.0.1:9001 --dir /var/lib/zhucan-node
**   zhucan-node --id 2 --address 10.0.0.2:9001 --dir /var/lib/zhucan-node \
**               --join 10.0.0.1:9001
**
** The extension's objects are linked in and registered with
** sqlite3_auto_extension before the node starts, so each connection dqlite
** opens (leader and follower) has zhucan's functions — dqlite's connections
** cannot load_extension.  Node 1 bootstraps a one-node cluster the first
** time it starts on an empty directory (dqlite's rule); any other new node
** asks the leader, through dqlite's own client requests (wire.c), to add it
** and make it a voter.  A node restarted on its directory rejoins by itself.
** SIGTERM or SIGINT stops the node cleanly.  Logs go to stderr, one line
** each, UTC time first.
*/
#define _GNU_SOURCE
#include "wire.h"
#include <dirent.h>
#include <dqlite.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sqlite3_zhucan_init(sqlite3 *db, char **pzErrMsg, const void *pApi);

typedef struct Opts {
  unsigned long long id;
  const char *address, *dir, *join;
  unsigned election_ms, join_timeout_s;
  int watch;
} Opts;

static unsigned long long g_id;

/* Every connection dqlite opens may keep up to 1 GiB of pages in its cache.
** dqlite 1.11's VFS cannot take pages spilled into the WAL before a
** transaction commits: a transaction whose changed pages outgrow the cache
** (SQLite's default, 2000 pages: 8 MiB) fails with "disk I/O error"
** (measured: an INSERT of 80,000 rows; docs/cluster.md).  The cache grows
** only as pages are used. */
static int node_conn_init(sqlite3 *db, char **err, const void *api) {
  (void)api;
  return sqlite3_exec(db, "PRAGMA cache_size = -1048576", NULL, NULL, err);
}

static void logf_(const char *fmt, ...) {
  char ts[32];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03ldZ zhucan-node[%llu] ", ts, now.tv_nsec / 1000000, g_id);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
}

static int usage(const char *why) {
  if (why) fprintf(stderr, "zhucan-node: %s\n", why);
  fprintf(stderr,
          "usage: zhucan-node --id N --address HOST:PORT --dir DIR [--join HOST:PORT[,HOST:PORT...]]\n"
          "                   [--election-ms MS] [--join-timeout S] [--watch]\n"
          "  --id N            this node's id; node 1 bootstraps a new cluster\n"
          "  --address A       address to listen on and to be reached at (raft and clients)\n"
          "  --dir DIR         data directory (created if missing)\n"
          "  --join LIST       for a new node other than 1: nodes of the cluster to ask\n"
          "  --election-ms MS  raft election timeout (default 3000; heartbeat = MS/10)\n"
          "  --join-timeout S  give up joining after S seconds (default 60)\n"
          "  --watch           log the leader each time it changes (asked once a second)\n");
  return 2;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out) {
  char *end;
  errno = 0;
  if (!s || !*s || *s == '-') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v == 0 || v > max) return -1;
  *out = v;
  return 0;
}

static int parse_opts(int argc, char **argv, Opts *o) {
  unsigned long long v;
  o->election_ms = 3000;
  o->join_timeout_s = 60;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--watch")) { o->watch = 1; continue; }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(NULL);
    if (!val) return usage("an option is missing its value");
    i++;
    if (!strcmp(a, "--id")) {
      if (parse_uint(val, ~0ULL, &o->id)) return usage("--id wants a positive integer");
    } else if (!strcmp(a, "--address")) o->address = val;
    else if (!strcmp(a, "--dir")) o->dir = val;
    else if (!strcmp(a, "--join")) o->join = val;
    else if (!strcmp(a, "--election-ms")) {
      if (parse_uint(val, 3600000, &v) || v < 15) return usage("--election-ms wants 15..3600000");
      o->election_ms = (unsigned)v;
    } else if (!strcmp(a, "--join-timeout")) {
      if (parse_uint(val, 86400, &v)) return usage("--join-timeout wants 1..86400 seconds");
      o->join_timeout_s = (unsigned)v;
    } else return usage("unknown option");
  }
  if (!o->id || !o->address || !o->dir) return usage("--id, --address and --dir are required");
  return 0;
}

/* A directory with raft's metadata files has been a node before. */
static int dir_is_fresh(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 1;
  int fresh = 1;
  struct dirent *e;
  while ((e = readdir(d)))
    if (!strncmp(e->d_name, "metadata", 8)) fresh = 0;
  closedir(d);
  return fresh;
}

/* Ask each node of the list who leads, then ask the leader to add us; retried
** once a second until it is done or join_timeout_s has passed. */
static int join_cluster(const Opts *o) {
  time_t until = time(NULL) + (time_t)o->join_timeout_s;
  char err[512] = "", leader[256];
  while (time(NULL) < until) {
    char *list = strdup(o->join), *save = NULL;
    if (!list) return -1;
    for (char *at = strtok_r(list, ",", &save); at; at = strtok_r(NULL, ",", &save)) {
      uint64_t lid = 0;
      if (wire_leader(at, &lid, leader, sizeof leader, err, sizeof err) != 0) continue;
      if (!lid || !*leader) { snprintf(err, sizeof err, "%s knows no leader yet", at); continue; }
      if (wire_join(leader, o->id, o->address, err, sizeof err) == 0) {
        logf_("joined the cluster through leader %llu at %s (voter)", (unsigned long long)lid, leader);
        free(list);
        return 0;
      }
    }
    free(list);
    logf_("joining: %s; retrying", err);
    sleep(1);
  }
  logf_("could not join within %u s: %s", o->join_timeout_s, err);
  return -1;
}

static int start_node(const Opts *o, dqlite_node **node) {
  int rc = dqlite_node_create(o->id, o->address, o->dir, node);
  if (rc != 0) {
    logf_("dqlite_node_create: %s", *node ? dqlite_node_errmsg(*node) : "failed");
    return -1;
  }
  /* dqlite derives heartbeat (1.5x) and election timeout (15x) from latency. */
  if ((rc = dqlite_node_set_network_latency_ms(*node, o->election_ms / 15)) == 0 &&
      (rc = dqlite_node_set_bind_address(*node, o->address)) == 0)
    rc = dqlite_node_start(*node);
  if (rc != 0) {
    logf_("starting the node: %s (code %d)", dqlite_node_errmsg(*node), rc);
    return -1;
  }
  return 0;
}

/* Until SIGTERM/SIGINT: with --watch, the leader asked once a second and
** logged when it changes. */
static void serve(const Opts *o, const sigset_t *sigs) {
  char last[256] = "?", now[256], err[512];
  for (;;) {
    struct timespec tick = {1, 0};
    int sig = sigtimedwait(sigs, NULL, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      logf_("signal %d: stopping", sig);
      return;
    }
    if (!o->watch) continue;
    uint64_t lid = 0;
    if (wire_leader(o->address, &lid, now, sizeof now, err, sizeof err) != 0)
      snprintf(now, sizeof now, "(no answer)");
    else if (!lid)
      snprintf(now, sizeof now, "(none)");
    if (strcmp(now, last)) {
      logf_("leader: %s", now);
      snprintf(last, sizeof last, "%s", now);
    }
  }
}

int main(int argc, char **argv) {
  Opts o = {0};
  int rc = parse_opts(argc, argv, &o);
  if (rc) return rc == 2 && argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? 2 : 0;
  g_id = o.id;
  if (o.id == 1 && o.join) return usage("node 1 bootstraps the cluster: it takes no --join");
  if (mkdir(o.dir, 0750) != 0 && errno != EEXIST) {
    logf_("cannot create %s: %s", o.dir, strerror(errno));
    return 1;
  }
  int fresh = dir_is_fresh(o.dir);
  if (fresh && o.id != 1 && !o.join) return usage("a new node other than 1 needs --join");

  /* Signals are taken by sigtimedwait; dqlite's threads inherit the mask. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  sqlite3_auto_extension((void (*)(void))sqlite3_zhucan_init);
  sqlite3_auto_extension((void (*)(void))node_conn_init);
  dqlite_node *node = NULL;
  if (start_node(&o, &node) != 0) {
    if (node) dqlite_node_destroy(node);
    return 1;
  }
  logf_("started at %s, data in %s, election timeout %u ms%s", o.address, o.dir,
        o.election_ms / 15 * 15, fresh ? (o.id == 1 ? ", new cluster" : ", new node") : "");
  rc = 0;
  if (fresh && o.id != 1 && join_cluster(&o) != 0) rc = 1;
  if (rc == 0) serve(&o, &sigs);
  dqlite_node_stop(node);
  dqlite_node_destroy(node);
  logf_("stopped");
  return rc;
}
