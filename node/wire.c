/*
** wire.c — the few requests of dqlite's own client protocol that a node
** needs to join a cluster: LEADER (who leads?), ADD (add me as a spare),
** ASSIGN (make me a voter).  This is dqlite's documented wire protocol
** (dqlite.io/docs/protocol, version 1): an 8-byte handshake, then messages
** of an 8-byte header (body words, type, schema, unused) and a body of
** little-endian 64-bit words and NUL-terminated texts padded to 8 bytes.
** It is what go-dqlite's client.Add / client.Assign send; nothing here is
** a protocol of zhucan's own.
*/
#include "wire.h"
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { REQ_LEADER = 0, REQ_ADD = 12, REQ_ASSIGN = 13 };
enum { RESP_FAILURE = 0, RESP_SERVER = 1, RESP_EMPTY = 8 };
enum { WIRE_TIMEOUT_MS = 5000, WIRE_MAX_BODY = 1 << 16 };

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* All of n bytes, or -1 after WIRE_TIMEOUT_MS without progress. */
static int io_all(int fd, unsigned char *buf, size_t n, int writing) {
  size_t done = 0;
  while (done < n) {
    struct pollfd p = {fd, writing ? POLLOUT : POLLIN, 0};
    int r = poll(&p, 1, WIRE_TIMEOUT_MS);
    if (r <= 0) return -1;
    ssize_t k = writing ? send(fd, buf + done, n - done, MSG_NOSIGNAL)
                        : recv(fd, buf + done, n - done, 0);
    if (k <= 0) {
      if (k < 0 && errno == EINTR) continue;
      return -1;
    }
    done += (size_t)k;
  }
  return 0;
}

/* "host:port" -> a connected socket that has sent the handshake, or -1. */
static int wire_connect(const char *address, char *err, size_t errlen) {
  char host[256];
  const char *colon = strrchr(address, ':');
  if (!colon || (size_t)(colon - address) >= sizeof host) {
    snprintf(err, errlen, "address '%s' is not host:port", address);
    return -1;
  }
  memcpy(host, address, (size_t)(colon - address));
  host[colon - address] = 0;
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(host, colon + 1, &hints, &res);
  if (rc != 0) {
    snprintf(err, errlen, "%s: %s", address, gai_strerror(rc));
    return -1;
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    snprintf(err, errlen, "%s: %s", address, strerror(errno));
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  unsigned char hs[8];
  put64(hs, 1); /* protocol version 1 */
  if (io_all(fd, hs, 8, 1) != 0) {
    snprintf(err, errlen, "%s: handshake not sent", address);
    close(fd);
    return -1;
  }
  return fd;
}

/* One request (body already laid out, a multiple of 8 bytes) and its
** response; *type and the body (malloc'd, *len bytes) answered. */
static int wire_call(int fd, int reqtype, const unsigned char *body, size_t blen,
                     int schema, int *type, unsigned char **out, size_t *len) {
  unsigned char hdr[8] = {0};
  uint32_t words = (uint32_t)(blen / 8);
  for (int i = 0; i < 4; i++) hdr[i] = (unsigned char)(words >> (8 * i));
  hdr[4] = (unsigned char)reqtype;
  hdr[5] = (unsigned char)schema;
  if (io_all(fd, hdr, 8, 1) || io_all(fd, (unsigned char *)body, blen, 1)) return -1;
  if (io_all(fd, hdr, 8, 0)) return -1;
  words = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  if ((size_t)words * 8 > WIRE_MAX_BODY) return -1;
  *len = (size_t)words * 8;
  *type = hdr[4];
  *out = malloc(*len + 1);
  if (!*out) return -1;
  if (io_all(fd, *out, *len, 0)) {
    free(*out);
    *out = NULL;
    return -1;
  }
  (*out)[*len] = 0;
  return 0;
}

/* A response that must be EMPTY; FAILURE's message goes to err.  A refusal
** saying the change was made before ("server ID already in use", "server is
** already voter") is done; "a configuration change is already in progress"
** is not. */
static int done_before(const char *err) {
  return strstr(err, "already") && !strstr(err, "in progress");
}

static int expect_empty(int type, const unsigned char *b, size_t len, char *err, size_t errlen) {
  if (type == RESP_EMPTY) return 0;
  if (type == RESP_FAILURE && len >= 8)
    snprintf(err, errlen, "refused (code %llu): %s", (unsigned long long)get64(b), (const char *)b + 8);
  else
    snprintf(err, errlen, "unexpected response type %d", type);
  return -1;
}

int wire_leader(const char *address, uint64_t *id, char *leader, size_t leaderlen,
                char *err, size_t errlen) {
  int fd = wire_connect(address, err, errlen);
  if (fd < 0) return -1;
  unsigned char body[8] = {0}, *out = NULL;
  int type = -1, rc = -1;
  size_t len = 0;
  if (wire_call(fd, REQ_LEADER, body, 8, 0, &type, &out, &len) != 0) {
    snprintf(err, errlen, "%s: no answer to LEADER", address);
  } else if (type != RESP_SERVER || len < 16) {
    snprintf(err, errlen, "%s: unexpected answer %d to LEADER", address, type);
  } else {
    *id = get64(out);
    snprintf(leader, leaderlen, "%s", (const char *)out + 8);
    rc = 0;
  }
  free(out);
  close(fd);
  return rc;
}

/* ADD (id, address) then ASSIGN (id, role voter) on the leader at `at`.
** "already" answers (the node was added before) are not errors. */
int wire_join(const char *at, uint64_t id, const char *address, char *err, size_t errlen) {
  int fd = wire_connect(at, err, errlen);
  if (fd < 0) return -1;
  size_t alen = strlen(address), blen = 8 + ((alen + 1 + 7) / 8) * 8;
  unsigned char *body = calloc(1, blen), *out = NULL;
  int type = -1, rc = -1;
  size_t len = 0;
  if (!body) goto done;
  put64(body, id);
  memcpy(body + 8, address, alen);
  if (wire_call(fd, REQ_ADD, body, blen, 0, &type, &out, &len) != 0) {
    snprintf(err, errlen, "%s: no answer to ADD", at);
    goto done;
  }
  if (expect_empty(type, out, len, err, errlen) != 0 && !done_before(err)) goto done;
  free(out);
  out = NULL;
  put64(body, id);
  put64(body + 8, 0); /* DQLITE_VOTER */
  if (wire_call(fd, REQ_ASSIGN, body, 16, 0, &type, &out, &len) != 0) {
    snprintf(err, errlen, "%s: no answer to ASSIGN", at);
    goto done;
  }
  if (expect_empty(type, out, len, err, errlen) != 0 && !done_before(err)) goto done;
  rc = 0;
done:
  free(body);
  free(out);
  close(fd);
  return rc;
}
