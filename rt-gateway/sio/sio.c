/* sio.c - Socket.IO v5 codec (pure). */
#include "sio.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "err.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int sio_parse(const char *buf, size_t len, struct sio_parsed *out)
{
    const char *p = buf, *end = buf + len, *start;
    unsigned digits;

    memset(out, 0, sizeof(*out));
    out->nsp = "/";
    out->nsp_len = 1;
    if (!buf || len == 0 || *p < '0' || *p > '6')
        return SYNC_EINVAL;
    out->type = *p++ - '0';

    if (out->type == 5 || out->type == 6) {
        unsigned n = 0;
        digits = 0;
        while (p < end && is_digit(*p)) {
            n = n * 10 + (unsigned)(*p++ - '0');
            if (++digits > 2)
                return SYNC_EINVAL;             /* ≥ 100 is far past the cap */
        }
        if (digits == 0 || p == end || *p != '-' || n == 0 || n > SIO_ATTACH_MAX)
            return SYNC_EINVAL;
        p++;
        out->attachments = n;
    }

    if (p < end && *p == '/') {
        start = p;
        while (p < end && *p != ',') {
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return SYNC_EINVAL;
            p++;
        }
        if ((size_t)(p - start) > SIO_NSP_MAX || !sio_utf8_valid(start, (size_t)(p - start)))
            return SYNC_EINVAL;
        out->nsp = start;
        out->nsp_len = (size_t)(p - start);
        if (p < end)
            p++;                                /* the ',' */
    }

    digits = 0;
    while (p < end && is_digit(*p)) {
        unsigned d = (unsigned)(*p++ - '0');
        if (++digits > SIO_ACK_DIGITS_MAX || out->ack_id > (SIO_ACK_MAX - d) / 10)
            return SYNC_EINVAL;
        out->ack_id = out->ack_id * 10 + d;
        out->has_ack = 1;
    }
    out->json = p;
    out->json_len = (size_t)(end - p);
    return SYNC_OK;
}

int sio_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    unsigned c, need, cp, min;

    while (p < end) {
        c = *p++;
        if (c < 0x80)
            continue;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return 0;                     /* continuation byte, 0xc0/0xc1, 0xf5.. */
        }
        if ((size_t)(end - p) < need)
            return 0;
        while (need--) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (*p++ & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* JSON.stringify never writes NaN or Infinity (they become null). */
static int finite_numbers(struct json_object *o)
{
    size_t i, n;
    double d;

    switch (json_object_get_type(o)) {
    case json_type_double:
        d = json_object_get_double(o);
        return !isnan(d) && !isinf(d);
    case json_type_array:
        n = json_object_array_length(o);
        for (i = 0; i < n; i++)
            if (!finite_numbers(json_object_array_get_idx(o, i)))
                return 0;
        return 1;
    case json_type_object: {
        json_object_object_foreach(o, key, val) {
            (void)key;
            if (!finite_numbers(val))
                return 0;
        }
        return 1;
    }
    default:
        return 1;
    }
}

struct json_object *sio_json_parse(const char *buf, size_t len)
{
    struct json_tokener *tok;
    struct json_object *root;

    if (!buf || len == 0 || len >= (size_t)INT32_MAX)
        return NULL;
    /* JSON.stringify never puts whitespace around the value */
    if (is_space(buf[0]) || is_space(buf[len - 1]))
        return NULL;
    if (!sio_utf8_valid(buf, len))
        return NULL;
    tok = json_tokener_new_ex(SIO_JSON_DEPTH);
    if (!tok)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, buf, (int)len);
    if (root && (json_tokener_get_parse_end(tok) != len || !finite_numbers(root))) {
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    return root;
}

int sio_reserved_event(const char *name, size_t len)
{
    static const char *const reserved[] = {
        "connect", "connect_error", "disconnect", "disconnecting",
        "newListener", "removeListener",
    };
    size_t i;

    for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strlen(reserved[i]) == len && memcmp(reserved[i], name, len) == 0)
            return 1;
    return 0;
}

/* Every {"_placeholder":true,...} needs an integer "num" in [0, n). The
 * depth is bounded by the tokener. */
static int check_placeholders(struct json_object *o, unsigned n)
{
    struct json_object *flag, *num;
    size_t i, count;
    int64_t v;

    switch (json_object_get_type(o)) {
    case json_type_object:
        if (json_object_object_get_ex(o, "_placeholder", &flag) &&
            json_object_is_type(flag, json_type_boolean) && json_object_get_boolean(flag)) {
            if (!json_object_object_get_ex(o, "num", &num) ||
                !json_object_is_type(num, json_type_int))
                return SYNC_EINVAL;
            errno = 0;
            v = json_object_get_int64(num);
            if (v < 0 || (uint64_t)v >= n)
                return SYNC_EINVAL;
            return SYNC_OK;
        }
        {
            json_object_object_foreach(o, key, val) {
                (void)key;
                if (check_placeholders(val, n) != SYNC_OK)
                    return SYNC_EINVAL;
            }
        }
        return SYNC_OK;
    case json_type_array:
        count = json_object_array_length(o);
        for (i = 0; i < count; i++)
            if (check_placeholders(json_object_array_get_idx(o, i), n) != SYNC_OK)
                return SYNC_EINVAL;
        return SYNC_OK;
    default:
        return SYNC_OK;
    }
}

static int check_event_array(struct json_object *j)
{
    struct json_object *name;
    const char *s;

    if (!json_object_is_type(j, json_type_array) || json_object_array_length(j) < 1)
        return SYNC_EINVAL;
    name = json_object_array_get_idx(j, 0);
    if (json_object_is_type(name, json_type_string)) {
        s = json_object_get_string(name);
        if (sio_reserved_event(s, (size_t)json_object_get_string_len(name)))
            return SYNC_EINVAL;
        return SYNC_OK;
    }
    if (json_object_is_type(name, json_type_int) || json_object_is_type(name, json_type_double))
        return SYNC_OK;
    return SYNC_EINVAL;
}

int sio_check(const struct sio_parsed *p, struct json_object **json_out)
{
    struct json_object *j = NULL;
    int rc = SYNC_EINVAL;

    if (json_out)
        *json_out = NULL;
    if (p->has_ack && p->type != 2 && p->type != 3 && p->type != 5 && p->type != 6)
        goto out;
    if (p->json_len > 0) {
        j = sio_json_parse(p->json, p->json_len);
        if (!j)
            goto out;
    }
    switch (p->type) {
    case 0: /* CONNECT: nothing or an object */
        if (j && !json_object_is_type(j, json_type_object))
            goto out;
        break;
    case 1: /* DISCONNECT: nothing */
        if (j)
            goto out;
        break;
    case 2:
    case 5: /* (BINARY_)EVENT: [name, ...] */
        if (!j || check_event_array(j) != SYNC_OK)
            goto out;
        break;
    case 3:
    case 6: /* (BINARY_)ACK: an id and an array */
        if (!p->has_ack || !j || !json_object_is_type(j, json_type_array))
            goto out;
        break;
    case 4: /* CONNECT_ERROR: {message[, data]} */
        if (!j || !json_object_is_type(j, json_type_object))
            goto out;
        break;
    default:
        goto out;
    }
    if ((p->type == 5 || p->type == 6) && check_placeholders(j, p->attachments) != SYNC_OK)
        goto out;
    if (json_out) {
        *json_out = j;
        j = NULL;
    }
    rc = SYNC_OK;
out:
    json_object_put(j);
    return rc;
}

int sio_encode_header(char *out, size_t cap, int type, unsigned attachments,
                      const char *nsp, size_t nsp_len, int has_ack, uint64_t ack_id)
{
    size_t n = 0;
    int w;

    if (!out || cap == 0 || type < 0 || type > 6)
        return SYNC_EINVAL;
    if (!nsp) {
        nsp = "/";
        nsp_len = 1;
    }
    if (nsp_len == 0 || nsp[0] != '/' || nsp_len > SIO_NSP_MAX ||
        memchr(nsp, ',', nsp_len))
        return SYNC_EINVAL;
    if ((type == 5 || type == 6) != (attachments > 0) || attachments > SIO_ATTACH_MAX)
        return SYNC_EINVAL;
    if (has_ack && ack_id > SIO_ACK_MAX)
        return SYNC_EINVAL;

    w = snprintf(out, cap, "%d", type);
    if (w < 0 || (size_t)w >= cap)
        return SYNC_ETOOBIG;
    n = (size_t)w;
    if (attachments) {
        w = snprintf(out + n, cap - n, "%u-", attachments);
        if (w < 0 || (size_t)w >= cap - n)
            return SYNC_ETOOBIG;
        n += (size_t)w;
    }
    if (!(nsp_len == 1 && nsp[0] == '/')) {
        if (nsp_len + 1 >= cap - n)
            return SYNC_ETOOBIG;
        memcpy(out + n, nsp, nsp_len);
        n += nsp_len;
        out[n++] = ',';
        out[n] = '\0';
    }
    if (has_ack) {
        w = snprintf(out + n, cap - n, "%llu", (unsigned long long)ack_id);
        if (w < 0 || (size_t)w >= cap - n)
            return SYNC_ETOOBIG;
        n += (size_t)w;
    }
    return (int)n;
}

void sio_decoder_init(struct sio_decoder *d)
{
    memset(d, 0, sizeof(*d));
}

void sio_decoder_reset(struct sio_decoder *d)
{
    unsigned i;

    free(d->text);
    for (i = 0; i < SIO_ATTACH_MAX; i++)
        free(d->bin[i]);
    sio_decoder_init(d);
}

int sio_decoder_text(struct sio_decoder *d, const char *buf, size_t len,
                     struct sio_parsed *out)
{
    int rc;

    if (d->text && d->got == d->hdr.attachments)
        sio_decoder_reset(d);             /* the previous packet was handed out */
    if (d->text)
        return SYNC_EINVAL;               /* text while attachments are due */
    rc = sio_parse(buf, len, out);
    if (rc != SYNC_OK)
        return rc;
    if (out->type != 5 && out->type != 6)
        return SIO_DEC_PACKET;
    d->text = malloc(len);
    if (!d->text)
        return SYNC_ENOMEM;
    memcpy(d->text, buf, len);
    d->text_len = len;
    d->held = len;
    rc = sio_parse(d->text, len, &d->hdr);       /* the same views, into the copy */
    if (rc != SYNC_OK) {
        sio_decoder_reset(d);
        return rc;
    }
    return SIO_DEC_MORE;
}

int sio_decoder_binary(struct sio_decoder *d, const void *buf, size_t len, size_t max,
                       struct sio_parsed *out)
{
    if (d->text && d->got == d->hdr.attachments)
        sio_decoder_reset(d);
    if (!d->text)
        return SYNC_EINVAL;               /* no header waits for it */
    if (d->held > max || len > max - d->held)
        return SYNC_ETOOBIG;
    d->bin[d->got] = malloc(len ? len : 1);
    if (!d->bin[d->got])
        return SYNC_ENOMEM;
    if (len)
        memcpy(d->bin[d->got], buf, len);
    d->bin_len[d->got] = len;
    d->got++;
    d->held += len;
    if (d->got < d->hdr.attachments)
        return SIO_DEC_MORE;
    *out = d->hdr;
    return SIO_DEC_PACKET;
}
