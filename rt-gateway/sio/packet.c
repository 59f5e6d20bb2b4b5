/* packet.c - refcounted, serialise-once packets. */
#include "packet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "eio.h"
#include "err.h"
#include "sio_server.h"

#define PKT_HEADER_MAX (16 + SIO_NSP_MAX + 24)
#define PKT_TEXT_MAX   ((size_t)1 << 31)   /* far above any maxPayload */

static struct sio_packet *pkt_alloc(void)
{
    struct sio_packet *p = calloc(1, sizeof(*p));

    if (p)
        p->refs = 1;
    return p;
}

static void pkt_free(struct sio_packet *p)
{
    unsigned i;

    free(p->text);
    for (i = 0; i < SIO_ATTACH_MAX; i++) {
        free(p->bin[i]);
        free(p->b64[i]);
    }
    free(p);
}

struct sio_packet *sio_packet_ref(struct sio_packet *p)
{
    if (p)
        p->refs++;
    return p;
}

void sio_packet_unref(struct sio_packet *p)
{
    if (p && --p->refs == 0)
        pkt_free(p);
}

size_t sio_packet_wire_size(const struct sio_packet *p)
{
    return p ? p->wire : 0;
}

int sio_pkt_new_text(struct sio_packet **out, const char *text, size_t len)
{
    struct sio_packet *p;

    *out = NULL;
    if (len > PKT_TEXT_MAX)
        return SYNC_ETOOBIG;
    p = pkt_alloc();
    if (!p)
        return SYNC_ENOMEM;
    p->text = malloc(len + 1);
    if (!p->text) {
        pkt_free(p);
        return SYNC_ENOMEM;
    }
    memcpy(p->text, text, len);
    p->text[len] = '\0';
    p->text_len = len;
    p->wire = len;
    *out = p;
    return SYNC_OK;
}

int sio_packet_new(struct sio_packet **out, enum sio_type type, const char *nsp,
                   int64_t ack_id, const char *json, size_t json_len,
                   const struct sio_bin *bin, unsigned n_bin)
{
    char header[PKT_HEADER_MAX];
    struct sio_packet *p = NULL;
    int hlen, t = (int)type, rc;
    unsigned i;

    *out = NULL;
    if (n_bin > SIO_ATTACH_MAX || (n_bin && !bin) || (json_len && !json))
        return SYNC_EINVAL;
    if (n_bin) {
        if (t == SIO_EVENT)
            t = SIO_BINARY_EVENT;
        else if (t == SIO_ACK)
            t = SIO_BINARY_ACK;
        else if (t != SIO_BINARY_EVENT && t != SIO_BINARY_ACK)
            return SYNC_EINVAL;
    } else if (t == SIO_BINARY_EVENT || t == SIO_BINARY_ACK) {
        return SYNC_EINVAL;
    }
    if (!nsp)
        nsp = "/";
    hlen = sio_encode_header(header, sizeof(header), t, n_bin, nsp, strlen(nsp),
                             ack_id >= 0, ack_id >= 0 ? (uint64_t)ack_id : 0);
    if (hlen < 0)
        return hlen;
    if (json_len > PKT_TEXT_MAX)
        return SYNC_ETOOBIG;

    p = pkt_alloc();
    if (!p)
        return SYNC_ENOMEM;
    p->text_len = 1 + (size_t)hlen + json_len;
    p->text = malloc(p->text_len + 1);
    if (!p->text) {
        rc = SYNC_ENOMEM;
        goto fail;
    }
    p->text[0] = '4';                       /* Engine.IO "message" */
    memcpy(p->text + 1, header, (size_t)hlen);
    if (json_len)
        memcpy(p->text + 1 + hlen, json, json_len);
    p->text[p->text_len] = '\0';
    p->wire = p->text_len;
    for (i = 0; i < n_bin; i++) {
        if (bin[i].len > PKT_TEXT_MAX || (bin[i].len && !bin[i].data)) {
            rc = SYNC_EINVAL;
            goto fail;
        }
        p->bin[i] = malloc(bin[i].len ? bin[i].len : 1);
        if (!p->bin[i]) {
            rc = SYNC_ENOMEM;
            goto fail;
        }
        if (bin[i].len)
            memcpy(p->bin[i], bin[i].data, bin[i].len);
        p->bin_len[i] = bin[i].len;
        p->wire += bin[i].len;
    }
    p->n_bin = n_bin;
    *out = p;
    return SYNC_OK;
fail:
    pkt_free(p);
    return rc;
}

/* JSON text of a lent json-c value, '/' unescaped. */
static const char *json_text(struct json_object *o, size_t *len)
{
    return json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

int sio_pkt_event_json(const char *event, struct json_object *args, struct buf *b)
{
    struct json_object *name = NULL;
    const char *s;
    size_t n;
    int rc;

    if (!event || (args && !json_object_is_type(args, json_type_array)))
        return SYNC_EINVAL;
    name = json_object_new_string(event);
    if (!name) {
        rc = SYNC_ENOMEM;
        goto out;
    }
    s = json_text(name, &n);
    rc = buf_append(b, "[", 1);
    if (rc == SYNC_OK)
        rc = buf_append(b, s, n);
    if (rc == SYNC_OK && args && json_object_array_length(args) > 0) {
        s = json_text(args, &n);
        if (n < 2) {
            rc = SYNC_ENOMEM;
            goto out;
        }
        rc = buf_append(b, ",", 1);
        if (rc == SYNC_OK)
            rc = buf_append(b, s + 1, n - 2);    /* without the brackets */
    }
    if (rc == SYNC_OK)
        rc = buf_append(b, "]", 1);
out:
    json_object_put(name);
    return rc;
}

int sio_packet_new_event(struct sio_packet **out, const char *nsp, const char *event,
                         struct json_object *args)
{
    struct buf b;
    int rc;

    *out = NULL;
    buf_init(&b, PKT_TEXT_MAX);
    rc = sio_pkt_event_json(event, args, &b);
    if (rc == SYNC_OK)
        rc = sio_packet_new(out, SIO_EVENT, nsp, -1, b.data, b.len, NULL, 0);
    buf_free(&b);
    return rc;
}

void sio_pkt_part_ws(const struct sio_packet *p, unsigned i, const unsigned char **data,
                 size_t *len, int *binary)
{
    if (i == 0) {
        *data = (const unsigned char *)p->text;
        *len = p->text_len;
        *binary = 0;
    } else {
        *data = p->bin[i - 1];
        *len = p->bin_len[i - 1];
        *binary = 1;
    }
}

int sio_pkt_part_poll(struct sio_packet *p, unsigned i, const char **data, size_t *len)
{
    size_t n;
    char *s;

    if (i == 0) {
        *data = p->text;
        *len = p->text_len;
        return SYNC_OK;
    }
    i--;
    if (!p->b64[i]) {
        n = eio_b64_encoded_len(p->bin_len[i]);
        s = malloc(n + 2);
        if (!s)
            return SYNC_ENOMEM;
        s[0] = 'b';
        eio_b64_encode(p->bin[i], p->bin_len[i], s + 1);
        s[n + 1] = '\0';
        p->b64[i] = s;
        p->b64_len[i] = n + 1;
    }
    *data = p->b64[i];
    *len = p->b64_len[i];
    return SYNC_OK;
}
