/* request.h - reading one HTTP request the way every web server hands it over.
 *
 * Pure functions (no I/O): the FastCGI parameters are reached through a
 * lookup callback and the body through a read callback, so the unit tests
 * can feed each web server's form of a request without a socket.
 *
 * The route comes from REQUEST_URI's path part when the server sets it
 * (lighttpd, nginx and Apache all do; it is raw, so it is percent-decoded
 * here, strictly), else from SCRIPT_NAME + PATH_INFO (already decoded by the
 * server, so taken as is). The query comes from QUERY_STRING, else from
 * REQUEST_URI after '?'. */
#ifndef API_REQUEST_H
#define API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"
#include "limits.h"

/* A raw query string longer than this is refused (400). A 1000-character
 * path percent-encodes to at most 12,000 bytes; the web servers' own request
 * line limits (8 KiB by default) usually bite first. */
#define API_QUERY_RAW_MAX   (3 * SYNC_PATH_MAX_BYTES + SYNC_QUERY_MAX)
/* At most this many name=value pairs in one query. */
#define API_QUERY_MAX_PARAMS 64
/* A raw REQUEST_URI path longer than this cannot name any route. */
#define API_ROUTE_RAW_MAX    1024

/* FastCGI parameter lookup: NULL when the server did not set it. */
typedef const char *(*api_param_fn)(void *ctx, const char *name);
/* Body reader: up to n bytes into buf; returns bytes read, 0 at end, < 0 on error. */
typedef int (*api_read_fn)(void *ctx, char *buf, int n);

/* Percent-decodes src[0..len) into a new NUL-terminated string (*out, *out_len;
 * caller frees). plus_is_space turns '+' into ' ' (query strings). Refuses a
 * '%' not followed by two hex digits, a decoded NUL, and a result that is not
 * valid UTF-8 (overlongs, surrogates, > U+10FFFF): SYNC_EINVAL with a message.
 * SYNC_ENOMEM when allocation fails. */
int pct_decode(const char *src, size_t len, bool plus_is_space, char **out, size_t *out_len,
               struct sync_err *err);

struct query_param {
    char *name;   size_t name_len;
    char *value;  size_t value_len;     /* "" for a bare "name" */
};
struct query {
    struct query_param *items;
    size_t n;
};
/* Splits on '&', decodes names and values (plus_is_space). Empty pieces
 * ("a=1&&b=2") are skipped. A repeated name is SYNC_EINVAL (which one would
 * the client mean?); so are too many pairs and an over-long string. */
int query_parse(const char *raw, size_t len, struct query *q, struct sync_err *err);
void query_free(struct query *q);
/* The value of name, or NULL (value_len set when found). */
const char *query_get(const struct query *q, const char *name, size_t *value_len);
bool query_has(const struct query *q, const char *name);

/* Boolean query value: true/false/1/0 (exactly). SYNC_OK, or SYNC_EINVAL. */
int query_bool(const char *s, size_t len, bool *out);
/* Decimal integer of digits only (no sign, no spaces), at most max.
 * SYNC_OK or SYNC_EINVAL. */
int parse_uint(const char *s, size_t len, long long max, long long *out);

/* Where the route path comes from (for logs and tests). */
enum route_source { ROUTE_FROM_REQUEST_URI, ROUTE_FROM_SCRIPT_NAME };

/* The request line as the program sees it. Everything is owned (freed by
 * request_free); the header values are copies, so the request outlives the
 * FastCGI parameter block only through these fields. */
struct request {
    char method[16];              /* REQUEST_METHOD, upper-case as sent */
    char *path;                   /* decoded route path, e.g. "/api/v1/files" */
    size_t path_len;
    enum route_source path_source;
    bool path_bad;                /* undecodable path: answered 404 */
    char *query_raw;              /* raw query (may be ""), decoded on demand */
    size_t query_raw_len;
    struct query query;
    bool query_parsed;

    const char *api_key;          /* HTTP_X_API_KEY (lent by the params), NULL when absent */
    const char *origin;           /* HTTP_ORIGIN */
    const char *if_match;         /* HTTP_IF_MATCH */
    const char *if_none_match;    /* HTTP_IF_NONE_MATCH */

    bool has_length;              /* CONTENT_LENGTH was set (and non-empty) */
    bool length_bad;              /* CONTENT_LENGTH is not a plain decimal number */
    unsigned long long length;    /* its value */

    char *body;                   /* after request_read_body: owned, NUL-terminated */
    size_t body_len;
};

/* Reads the parameters. SYNC_OK or SYNC_ENOMEM; a bad path or length is
 * recorded in the struct (path_bad, length_bad) for the dispatcher to answer. */
int request_init(struct request *r, api_param_fn param, void *ctx);
void request_free(struct request *r);

/* Parses the query once (later calls return the first result). */
int request_query(struct request *r, struct sync_err *err);

/* Reads the body: exactly CONTENT_LENGTH bytes (never more), or, when no
 * length was announced, until the end but at most max + 1 bytes.
 * SYNC_ETOOBIG when over max, SYNC_EINVAL when the stream ends before the
 * announced length (a lying length), SYNC_ENOMEM. */
int request_read_body(struct request *r, api_read_fn rd, void *ctx, size_t max,
                      struct sync_err *err);

/* Entity tags (RFC 9110 §8.8.3): a header value is "*" or a comma list of
 * tags, quoted or bare (we accept both), optionally weak (W/). Does the list
 * contain tag (compared without quotes)? "*" matches any tag. */
bool etag_list_matches(const char *header, const char *tag, size_t tag_len);
/* Is the header exactly "*" (spaces around allowed)? */
bool etag_is_star(const char *header);
/* The single tag of an If-Match value, unquoted, into out (W/ and quotes
 * removed). Returns its length, or -1 when the value is not one tag. */
int etag_single(const char *header, char *out, size_t outsz);

/* Case-insensitive ASCII comparison of exactly n bytes. */
bool ascii_ieq(const char *a, const char *b, size_t n);

#endif
