/* request.c - the request as lighttpd, nginx and Apache hand it over. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "rules.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int pct_decode(const char *src, size_t len, bool plus_is_space, char **out, size_t *out_len,
               struct sync_err *err)
{
    char *dst;
    size_t i = 0, n = 0;

    *out = NULL;
    *out_len = 0;
    dst = malloc(len + 1);                  /* decoding never grows */
    if (!dst)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    while (i < len) {
        unsigned char c = (unsigned char)src[i];
        if (c == '%') {
            int hi, lo;
            if (len - i < 3) {
                free(dst);
                return sync_err_set(err, SYNC_EINVAL, "truncated percent-escape at byte %zu", i);
            }
            hi = hexval((unsigned char)src[i + 1]);
            lo = hexval((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0) {
                free(dst);
                return sync_err_set(err, SYNC_EINVAL, "bad percent-escape at byte %zu", i);
            }
            c = (unsigned char)(hi * 16 + lo);
            i += 3;
        } else {
            if (c == '+' && plus_is_space)
                c = ' ';
            i++;
        }
        if (c == '\0') {
            free(dst);
            return sync_err_set(err, SYNC_EINVAL, "NUL character in the URL");
        }
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
    if (!utf8_valid(dst, n)) {
        free(dst);
        return sync_err_set(err, SYNC_EINVAL, "URL is not valid UTF-8 once decoded");
    }
    *out = dst;
    *out_len = n;
    return SYNC_OK;
}

void query_free(struct query *q)
{
    size_t i;

    if (!q)
        return;
    for (i = 0; i < q->n; i++) {
        free(q->items[i].name);
        free(q->items[i].value);
    }
    free(q->items);
    q->items = NULL;
    q->n = 0;
}

const char *query_get(const struct query *q, const char *name, size_t *value_len)
{
    size_t i, nlen = strlen(name);

    for (i = 0; i < q->n; i++) {
        if (q->items[i].name_len == nlen && memcmp(q->items[i].name, name, nlen) == 0) {
            if (value_len)
                *value_len = q->items[i].value_len;
            return q->items[i].value;
        }
    }
    return NULL;
}

bool query_has(const struct query *q, const char *name)
{
    return query_get(q, name, NULL) != NULL;
}

int query_parse(const char *raw, size_t len, struct query *q, struct sync_err *err)
{
    size_t start = 0;
    int rc = SYNC_OK;

    q->items = NULL;
    q->n = 0;
    if (len > API_QUERY_RAW_MAX)
        return sync_err_set(err, SYNC_EINVAL, "query string too long");
    while (start < len) {
        const char *piece = raw + start, *amp, *eq;
        size_t plen, nlen;
        struct query_param p = {0};

        amp = memchr(piece, '&', len - start);
        plen = amp ? (size_t)(amp - piece) : len - start;
        start += plen + 1;
        if (plen == 0)
            continue;
        if (q->n == API_QUERY_MAX_PARAMS) {
            rc = sync_err_set(err, SYNC_EINVAL, "too many query parameters");
            goto fail;
        }
        eq = memchr(piece, '=', plen);
        nlen = eq ? (size_t)(eq - piece) : plen;
        rc = pct_decode(piece, nlen, true, &p.name, &p.name_len, err);
        if (rc != SYNC_OK)
            goto fail;
        if (eq)
            rc = pct_decode(eq + 1, plen - nlen - 1, true, &p.value, &p.value_len, err);
        else
            rc = pct_decode("", 0, true, &p.value, &p.value_len, err);
        if (rc != SYNC_OK) {
            free(p.name);
            goto fail;
        }
        if (query_has(q, p.name)) {
            rc = sync_err_set(err, SYNC_EINVAL, "query parameter '%.40s' given twice", p.name);
            free(p.name);
            free(p.value);
            goto fail;
        }
        if (q->n == 0) {
            q->items = calloc(API_QUERY_MAX_PARAMS, sizeof *q->items);
            if (!q->items) {
                free(p.name);
                free(p.value);
                rc = sync_err_set(err, SYNC_ENOMEM, "out of memory");
                goto fail;
            }
        }
        q->items[q->n++] = p;
    }
    return SYNC_OK;
fail:
    query_free(q);
    return rc;
}

int query_bool(const char *s, size_t len, bool *out)
{
    if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1')) {
        *out = true;
        return SYNC_OK;
    }
    if ((len == 5 && memcmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0')) {
        *out = false;
        return SYNC_OK;
    }
    return SYNC_EINVAL;
}

int parse_uint(const char *s, size_t len, long long max, long long *out)
{
    long long v = 0;
    size_t i;

    if (len == 0)
        return SYNC_EINVAL;
    for (i = 0; i < len; i++) {
        int d;
        if (s[i] < '0' || s[i] > '9')
            return SYNC_EINVAL;
        d = s[i] - '0';
        if (v > (max - d) / 10)
            return SYNC_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return SYNC_OK;
}

bool ascii_ieq(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

/* The path part of REQUEST_URI: skips an absolute-form "scheme://authority"
 * and stops at '?' or '#'. */
static void uri_path_part(const char *uri, const char **p, size_t *len)
{
    const char *s = uri, *e;

    if (*s != '/') {
        const char *sep = strstr(s, "://");
        if (sep) {
            s = strchr(sep + 3, '/');
            if (!s)
                s = sep + strlen(sep);      /* "http://host": empty path */
        }
    }
    e = s + strcspn(s, "?#");
    *p = s;
    *len = (size_t)(e - s);
}

static char *dup_len(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static const char *nonempty(const char *s)
{
    return (s && *s) ? s : NULL;
}

int request_init(struct request *r, api_param_fn param, void *ctx)
{
    const char *m, *uri, *qs, *cl;
    struct sync_err err;

    memset(r, 0, sizeof *r);
    m = param(ctx, "REQUEST_METHOD");
    if (!m || strlen(m) >= sizeof r->method)
        m = "";
    memcpy(r->method, m, strlen(m) + 1);

    uri = nonempty(param(ctx, "REQUEST_URI"));
    if (uri) {
        const char *p;
        size_t plen;
        uri_path_part(uri, &p, &plen);
        r->path_source = ROUTE_FROM_REQUEST_URI;
        if (plen > API_ROUTE_RAW_MAX) {
            r->path_bad = true;
        } else if (pct_decode(p, plen, false, &r->path, &r->path_len, &err) != SYNC_OK) {
            if (err.rc == SYNC_ENOMEM)
                return SYNC_ENOMEM;
            r->path_bad = true;
        }
    } else {
        const char *sn = param(ctx, "SCRIPT_NAME"), *pi = param(ctx, "PATH_INFO");
        size_t a = sn ? strlen(sn) : 0, b = pi ? strlen(pi) : 0;
        r->path_source = ROUTE_FROM_SCRIPT_NAME;
        if (a + b > API_ROUTE_RAW_MAX) {
            r->path_bad = true;
        } else {
            r->path = malloc(a + b + 1);
            if (!r->path)
                return SYNC_ENOMEM;
            memcpy(r->path, sn ? sn : "", a);
            memcpy(r->path + a, pi ? pi : "", b);
            r->path[a + b] = '\0';
            r->path_len = a + b;
            if (!utf8_valid(r->path, r->path_len))
                r->path_bad = true;
        }
    }
    if (r->path_bad) {
        free(r->path);
        r->path = NULL;
        r->path_len = 0;
    }

    qs = param(ctx, "QUERY_STRING");
    if (!qs && uri) {
        const char *q = strchr(uri, '?');
        qs = q ? q + 1 : "";
        r->query_raw_len = strcspn(qs, "#");
    } else {
        if (!qs)
            qs = "";
        r->query_raw_len = strlen(qs);
    }
    r->query_raw = dup_len(qs, r->query_raw_len);
    if (!r->query_raw)
        return SYNC_ENOMEM;

    r->api_key = nonempty(param(ctx, "HTTP_X_API_KEY"));
    r->origin = nonempty(param(ctx, "HTTP_ORIGIN"));
    r->if_match = nonempty(param(ctx, "HTTP_IF_MATCH"));
    r->if_none_match = nonempty(param(ctx, "HTTP_IF_NONE_MATCH"));

    cl = nonempty(param(ctx, "CONTENT_LENGTH"));
    if (cl) {
        long long v;
        r->has_length = true;
        if (parse_uint(cl, strlen(cl), INT64_MAX, &v) != SYNC_OK)
            r->length_bad = true;
        else
            r->length = (unsigned long long)v;
    }
    return SYNC_OK;
}

void request_free(struct request *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->query_raw);
    free(r->body);
    query_free(&r->query);
    memset(r, 0, sizeof *r);
}

int request_query(struct request *r, struct sync_err *err)
{
    int rc;

    if (r->query_parsed)
        return SYNC_OK;
    rc = query_parse(r->query_raw, r->query_raw_len, &r->query, err);
    if (rc == SYNC_OK)
        r->query_parsed = true;
    return rc;
}

int request_read_body(struct request *r, api_read_fn rd, void *ctx, size_t max,
                      struct sync_err *err)
{
    size_t want, cap, len = 0;
    char *buf;

    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    if (r->length_bad)
        return sync_err_set(err, SYNC_EINVAL, "malformed Content-Length");
    if (r->has_length) {
        if (r->length > max)
            return sync_err_set(err, SYNC_ETOOBIG, "request body over %zu bytes", max);
        want = (size_t)r->length;
        cap = want;
    } else {
        want = max + 1;                 /* read to the end, one byte past the limit at most */
        cap = 64 * 1024;
    }
    buf = malloc(cap + 1);
    if (!buf)
        return sync_err_set(err, SYNC_ENOMEM, "out of memory");
    while (len < want) {
        size_t chunk = want - len;
        int got;
        if (chunk > 1024 * 1024)
            chunk = 1024 * 1024;
        if (len + chunk > cap) {
            size_t ncap = cap * 2 < len + chunk ? len + chunk : cap * 2;
            char *nb;
            if (ncap > want)
                ncap = want;
            nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                return sync_err_set(err, SYNC_ENOMEM, "out of memory");
            }
            buf = nb;
            cap = ncap;
        }
        got = rd(ctx, buf + len, (int)chunk);
        if (got < 0) {
            free(buf);
            return sync_err_set(err, SYNC_EINVAL, "error reading the request body");
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    if (r->has_length && len < want) {
        free(buf);
        return sync_err_set(err, SYNC_EINVAL,
                            "request body ended after %zu of %zu announced bytes", len, want);
    }
    if (!r->has_length && len > max) {
        free(buf);
        return sync_err_set(err, SYNC_ETOOBIG, "request body over %zu bytes", max);
    }
    buf[len] = '\0';
    r->body = buf;
    r->body_len = len;
    return SYNC_OK;
}

/* ---- entity tags --------------------------------------------------------- */

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* One tag at p: sets [*t, *tlen) to it without W/ and quotes; returns the
 * position after it, or NULL when malformed. */
static const char *etag_next(const char *p, const char **t, size_t *tlen)
{
    p = skip_ows(p);
    if (p[0] == 'W' && p[1] == '/')
        p += 2;
    if (*p == '"') {
        const char *e = strchr(p + 1, '"');
        if (!e)
            return NULL;
        *t = p + 1;
        *tlen = (size_t)(e - p - 1);
        return e + 1;
    }
    *t = p;
    *tlen = strcspn(p, ", \t");
    return p + *tlen;
}

bool etag_is_star(const char *header)
{
    const char *p;

    if (!header)
        return false;
    p = skip_ows(header);
    if (*p != '*')
        return false;
    p = skip_ows(p + 1);
    return *p == '\0';
}

bool etag_list_matches(const char *header, const char *tag, size_t tag_len)
{
    const char *p = header;

    if (!header)
        return false;
    if (etag_is_star(header))
        return true;
    while (*p) {
        const char *t;
        size_t tl;
        p = etag_next(p, &t, &tl);
        if (!p)
            return false;
        if (tl == tag_len && tl > 0 && memcmp(t, tag, tl) == 0)
            return true;
        p = skip_ows(p);
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return false;
    }
    return false;
}

int etag_single(const char *header, char *out, size_t outsz)
{
    const char *t, *p;
    size_t tl;

    if (!header)
        return -1;
    p = etag_next(header, &t, &tl);
    if (!p || tl == 0 || tl >= outsz)
        return -1;
    p = skip_ows(p);
    if (*p != '\0')
        return -1;
    memcpy(out, t, tl);
    out[tl] = '\0';
    return (int)tl;
}
