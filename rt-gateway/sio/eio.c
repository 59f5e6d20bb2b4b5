/* eio.c - Engine.IO v4 codec (pure). */
#include "eio.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int eio_parse(const char *buf, size_t len, struct eio_parsed *out)
{
    out->type = -1;
    out->base64 = 0;
    out->data = NULL;
    out->len = 0;
    if (!buf || len == 0)
        return SYNC_EINVAL;
    if (buf[0] == 'b') {
        out->type = EIO_MESSAGE;
        out->base64 = 1;
    } else if (buf[0] >= '0' && buf[0] <= '6') {
        out->type = buf[0] - '0';
    } else {
        return SYNC_EINVAL;
    }
    out->data = buf + 1;
    out->len = len - 1;
    return SYNC_OK;
}

int eio_payload_next(const char *body, size_t len, size_t *pos,
                     const char **rec, size_t *rec_len)
{
    const char *start, *sep;
    size_t left;

    *rec = NULL;
    *rec_len = 0;
    if (*pos > len)
        return 0;                           /* the last record was consumed */
    start = body + *pos;
    left = len - *pos;
    sep = left ? memchr(start, EIO_RS, left) : NULL;
    if (sep) {
        *rec_len = (size_t)(sep - start);
        *pos += *rec_len + 1;
    } else {
        *rec_len = left;
        *pos = len + 1;
    }
    *rec = start;
    if (*rec_len == 0)
        return SYNC_EINVAL;
    return 1;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t eio_b64_encoded_len(size_t len)
{
    return (len / 3 + (len % 3 != 0)) * 4;
}

void eio_b64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t i = 0;
    uint32_t v;

    while (len - i >= 3) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[(v >> 12) & 63];
        *out++ = b64_alphabet[(v >> 6) & 63];
        *out++ = b64_alphabet[v & 63];
        i += 3;
    }
    if (len - i == 1) {
        v = (uint32_t)in[i] << 16;
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[(v >> 12) & 63];
        *out++ = '=';
        *out++ = '=';
    } else if (len - i == 2) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[(v >> 12) & 63];
        *out++ = b64_alphabet[(v >> 6) & 63];
        *out++ = '=';
    }
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t eio_b64_decoded_max(size_t len)
{
    return len / 4 * 3 + 3;
}

int eio_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap,
                   size_t *out_len)
{
    size_t i, n = 0, pad = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    int v;

    *out_len = 0;
    /* at most two '=' at the very end, and only on a padded length */
    while (pad < 2 && len > 0 && in[len - 1] == '=') {
        len--;
        pad++;
    }
    if (pad && (len + pad) % 4 != 0)
        return SYNC_EINVAL;
    if (len % 4 == 1)
        return SYNC_EINVAL;                 /* 6 bits cannot make a byte */
    for (i = 0; i < len; i++) {
        v = b64_value((unsigned char)in[i]);
        if (v < 0)
            return SYNC_EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap)
                return SYNC_ETOOBIG;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return SYNC_EINVAL;                 /* non-zero leftover bits: not canonical */
    *out_len = n;
    return SYNC_OK;
}

int eio_open_packet(char *out, size_t cap, const char *sid, int upgrade_ws,
                    unsigned ping_interval_ms, unsigned ping_timeout_ms,
                    size_t max_payload)
{
    int n;

    if (!out || !sid || cap == 0)
        return SYNC_EINVAL;
    n = snprintf(out, cap,
                 "0{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%u,"
                 "\"pingTimeout\":%u,\"maxPayload\":%zu}",
                 sid, upgrade_ws ? "\"websocket\"" : "", ping_interval_ms,
                 ping_timeout_ms, max_payload);
    if (n < 0)
        return SYNC_EINVAL;
    if ((size_t)n >= cap)
        return SYNC_ETOOBIG;
    return n;
}
