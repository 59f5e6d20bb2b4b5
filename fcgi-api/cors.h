/* cors.h - CORS for browser-based clients (DESIGN §5, §5.1). Pure.
 *
 * The allowed origins are CORS_ORIGINS, a comma list; "*" in it allows any.
 * Every answer to an allowed Origin carries Access-Control-Allow-Origin (the
 * origin itself, or "*" when the list allows any) and, unless the list allows
 * any, Vary: Origin. Answers expose ETag so a browser client can read it. A
 * preflight (OPTIONS on a known route) is a 204 that also names the methods
 * and headers; from an origin that is not allowed it is a 204 without any
 * Access-Control-* header, which the browser treats as a refusal. */
#ifndef API_CORS_H
#define API_CORS_H

#include <stdbool.h>
#include "respond.h"

#define CORS_ALLOW_METHODS "GET,POST,PUT,PATCH,DELETE,OPTIONS"
#define CORS_ALLOW_HEADERS "Content-Type,X-API-Key,If-Match,If-None-Match"
#define CORS_MAX_AGE       "86400"

/* Does the comma list allow any origin ("*" as one of its items)? */
bool cors_list_is_any(const char *list);
/* Adds the headers every answer to an allowed origin carries. origin may be
 * NULL (no Origin header: nothing added). */
void cors_apply(struct response *rs, const char *list, const char *origin);
/* Turns rs into the answer to a preflight. */
void cors_preflight(struct response *rs, const char *list, const char *origin);

#endif
