/* route.h - the route table: method + path pattern -> handler. Pure.
 *
 * A pattern is a full path ("/api/v1/files"); a segment ":id" matches only a
 * canonical UUID, so a malformed id never reaches a handler and is a 404
 * like any unknown path. A path that matches some pattern with another
 * method is a 405 (with the Allow list); HEAD is served by GET routes. */
#ifndef API_ROUTE_H
#define API_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include "limits.h"

#define ROUTE_MAX_IDS 2

struct call;
typedef void (*handler_fn)(struct call *c);

enum route_auth {
    AUTH_NONE,        /* /health */
    AUTH_STORE,       /* a store key with perm; the admin key is 403 */
    AUTH_ADMIN,       /* the admin key; a store key is 403 */
};

struct route {
    const char *method;       /* "GET", "POST", ... */
    const char *pattern;
    enum route_auth auth;
    unsigned perm;            /* PERM_* bits a store key needs */
    bool body;                /* reads a JSON object body */
    handler_fn fn;
};

enum route_result { ROUTE_OK, ROUTE_NO_PATH, ROUTE_NO_METHOD };

struct route_match {
    const struct route *route;                    /* ROUTE_OK */
    char ids[ROUTE_MAX_IDS][SYNC_UUID_LEN + 1];   /* the ":id" segments, in order */
    char allow[96];                               /* ROUTE_NO_METHOD: "GET, HEAD, OPTIONS" */
};

/* Finds the route of (method, path). path is NUL-free, len bytes. */
enum route_result route_find(const struct route *table, size_t n, const char *method,
                             const char *path, size_t len, struct route_match *m);

#endif
