/* ws.c - RFC 6455 client framing for sio-load (see ws.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_CONTROL_MAX 125

int ws_request(struct bytes *out, const char *hostport, const char *path_query,
               char key[WS_KEY_LEN + 1])
{
    unsigned char raw[16];

    for (int i = 0; i < 16; i += 8) {
        uint64_t r = rng_next();
        memcpy(raw + i, &r, 8);
    }
    EVP_EncodeBlock((unsigned char *)key, raw, 16);
    key[WS_KEY_LEN] = '\0';
    return bytes_printf(out,
                        "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                        path_query, hostport, key);
}

static int accept_for(const char *key, char out[32])
{
    unsigned char md[SHA_DIGEST_LENGTH];
    char in[WS_KEY_LEN + sizeof WS_GUID];
    int n = snprintf(in, sizeof in, "%s%s", key, WS_GUID);

    if (n < 0 || (size_t)n >= sizeof in)
        return -1;
    SHA1((const unsigned char *)in, (size_t)n, md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
    return 0;
}

/* 1 if the n bytes at s contain word, compared without case. */
static int contains_ci(const char *s, size_t n, const char *word)
{
    size_t wl = strlen(word);

    for (size_t i = 0; i + wl <= n; i++)
        if (strncasecmp(s + i, word, wl) == 0)
            return 1;
    return 0;
}

int ws_response(const char *buf, size_t len, const char *key, size_t *consumed, int *status)
{
    const char *he = memmem(buf, len, "\r\n\r\n", 4);
    const char *line, *end;
    char want[32];
    int upgrade = 0, accepted = 0;

    *status = 0;
    if (!he)
        return len > 16384 ? -1 : 0;
    end = he + 2;
    if (len < 12 || memcmp(buf, "HTTP/1.1 ", 9) != 0)
        return -1;
    *status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (*status != 101 || accept_for(key, want) != 0)
        return -1;
    line = memchr(buf, '\n', (size_t)(end - buf));
    while (line && line + 1 < end) {
        const char *ls = line + 1, *le = memchr(ls, '\r', (size_t)(end - ls));
        size_t ll;
        if (!le)
            break;
        ll = (size_t)(le - ls);
        if (ll > 8 && strncasecmp(ls, "Upgrade:", 8) == 0 && contains_ci(ls + 8, ll - 8, "websocket"))
            upgrade = 1;
        else if (ll > 21 && strncasecmp(ls, "Sec-WebSocket-Accept:", 21) == 0) {
            const char *v = ls + 21;
            while (v < le && *v == ' ')
                v++;
            accepted = (size_t)(le - v) == strlen(want) && memcmp(v, want, strlen(want)) == 0;
        }
        line = memchr(ls, '\n', (size_t)(end - ls));
    }
    if (!upgrade || !accepted)
        return -1;
    *consumed = (size_t)(he + 4 - buf);
    return 1;
}

int ws_parse(const char *buf, size_t len, size_t max, struct ws_frame *f)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t hl = 2;
    uint64_t n;

    if (len < 2)
        return 0;
    if (p[0] & 0x70)
        return -1;                      /* no extension was negotiated */
    if (p[1] & 0x80)
        return -1;                      /* servers never mask */
    f->fin = (p[0] & 0x80) != 0;
    f->opcode = p[0] & 0x0f;
    n = p[1] & 0x7f;
    if (n == 126) {
        if (len < 4)
            return 0;
        n = ((uint64_t)p[2] << 8) | p[3];
        hl = 4;
    } else if (n == 127) {
        if (len < 10)
            return 0;
        n = 0;
        for (int i = 2; i < 10; i++)
            n = (n << 8) | p[i];
        hl = 10;
    }
    if (f->opcode >= 8 && (n > WS_CONTROL_MAX || !f->fin || f->opcode > WS_PONG))
        return -1;
    if ((f->opcode > WS_BINARY && f->opcode < WS_CLOSE) || n > max)
        return -1;
    if (len - hl < n)
        return 0;
    f->payload = buf + hl;
    f->len = (size_t)n;
    f->size = hl + (size_t)n;
    return 1;
}

static void mask_copy(unsigned char *dst, const unsigned char *src, size_t n,
                      const unsigned char mask[4], size_t phase)
{
    size_t i = 0;
    uint64_t m8;
    unsigned char m[8];

    for (int k = 0; k < 8; k++)
        m[k] = mask[(phase + (size_t)k) & 3];
    memcpy(&m8, m, 8);
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= m8;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++)
        dst[i] = src[i] ^ mask[(phase + i) & 3];
}

int ws_frame2(struct bytes *out, int opcode, const void *head, size_t hlen, const void *body,
              size_t blen)
{
    unsigned char h[14], mask[4];
    size_t n = hlen + blen, hl = 2;
    uint64_t r = rng_next();
    unsigned char *dst;

    h[0] = (unsigned char)(0x80 | (opcode & 0x0f));
    if (n < 126) {
        h[1] = (unsigned char)(0x80 | n);
    } else if (n <= 0xffff) {
        h[1] = 0x80 | 126;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        hl = 4;
    } else {
        h[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    memcpy(mask, &r, 4);
    memcpy(h + hl, mask, 4);
    hl += 4;
    if (bytes_reserve(out, hl + n) != 0)
        return -1;
    memcpy(out->data + out->len, h, hl);
    dst = (unsigned char *)out->data + out->len + hl;
    mask_copy(dst, head, hlen, mask, 0);
    mask_copy(dst + hlen, body, blen, mask, hlen);
    out->len += hl + n;
    return 0;
}

int ws_frame(struct bytes *out, int opcode, const void *payload, size_t len)
{
    return ws_frame2(out, opcode, payload, len, "", 0);
}

/* ---- self-test ---------------------------------------------------------- */

#define CHECK(cond) do { if (cond) (*pass)++; else { (*fail)++; \
    fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* Unmasks a client frame (as a server would) for the round-trip checks. */
static size_t unmask(const char *in, size_t len, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t hl = 2, n = p[1] & 0x7f;

    if (n == 126) {
        n = ((size_t)p[2] << 8) | p[3];
        hl = 4;
    } else if (n == 127) {
        n = 0;
        for (int i = 2; i < 10; i++)
            n = (n << 8) | p[i];
        hl = 10;
    }
    if (hl + 4 + n != len || n > cap)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(p[hl + 4 + i] ^ p[hl + (i & 3)]);
    return n;
}

int ws_selftest(int *pass, int *fail)
{
    struct bytes b;
    struct ws_frame f;
    char key[WS_KEY_LEN + 1], acc[32], resp[512], back[70000];
    static char big[70000];
    size_t used = 0;
    int status = 0, n;

    /* RFC 6455 section 1.3 example */
    CHECK(accept_for("dGhlIHNhbXBsZSBub25jZQ==", acc) == 0 &&
          strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);

    bytes_init(&b, 1 << 20);
    CHECK(ws_request(&b, "127.0.0.1:1", "/socket.io/?EIO=4&transport=websocket", key) == 0);
    CHECK(strlen(key) == WS_KEY_LEN && memmem(b.data, b.len, key, WS_KEY_LEN) != NULL);
    accept_for(key, acc);
    n = snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n\x81\x01" "2", acc);
    CHECK(ws_response(resp, (size_t)n, key, &used, &status) == 1 && status == 101 &&
          used == (size_t)n - 3);
    CHECK(ws_response(resp, 20, key, &used, &status) == 0);
    CHECK(ws_response(resp, (size_t)n, "AAAAAAAAAAAAAAAAAAAAAA==", &used, &status) == -1);
    CHECK(ws_response("HTTP/1.1 400 Bad Request\r\n\r\n", 28, key, &used, &status) == -1 &&
          status == 400);

    /* server frames: short, 16-bit, 64-bit lengths, fragments, control */
    CHECK(ws_parse("\x81\x01" "2", 3, 100, &f) == 1 && f.fin && f.opcode == WS_TEXT &&
          f.len == 1 && f.payload[0] == '2' && f.size == 3);
    CHECK(ws_parse("\x81\x05" "42", 4, 100, &f) == 0);
    CHECK(ws_parse("\x01\x02" "42", 4, 100, &f) == 1 && !f.fin && f.opcode == WS_TEXT);
    CHECK(ws_parse("\x80\x01" "x", 3, 100, &f) == 1 && f.fin && f.opcode == WS_CONT);
    CHECK(ws_parse("\x81\x81xxxxy", 7, 100, &f) == -1);          /* masked */
    CHECK(ws_parse("\xc1\x01" "x", 3, 100, &f) == -1);          /* RSV1 */
    CHECK(ws_parse("\x09\x00", 2, 100, &f) == -1);              /* fragmented ping */
    CHECK(ws_parse("\x89\x7e\x00\x80", 4, 1000, &f) == -1);     /* ping > 125 */
    CHECK(ws_parse("\x83\x00", 2, 100, &f) == -1);              /* reserved opcode */
    CHECK(ws_parse("\x82\x7e\x01\x00", 4, 100, &f) == -1);      /* over max */
    {
        char h[4 + 300];
        h[0] = (char)0x81; h[1] = 126; h[2] = 1; h[3] = 44;
        memset(h + 4, 'a', 300);
        CHECK(ws_parse(h, sizeof h, 1000, &f) == 1 && f.len == 300 && f.size == 304);
        CHECK(ws_parse(h, 200, 1000, &f) == 0);
    }
    {
        static char h[10 + 70000];
        h[0] = (char)0x82; h[1] = 127;
        memset(h + 2, 0, 8);
        h[7] = 0; h[8] = (char)(70000 >> 8); h[9] = (char)(70000 & 0xff);
        h[7] = (char)(70000 >> 16);
        CHECK(ws_parse(h, sizeof h, 1 << 20, &f) == 1 && f.len == 70000 && f.opcode == WS_BINARY);
    }

    /* client frames round-trip through a server-side unmask */
    for (size_t len = 0; len < 70000; len = len * 3 + 1) {
        for (size_t i = 0; i < len; i++)
            big[i] = (char)('a' + i % 26);
        b.len = 0;
        CHECK(ws_frame2(&b, WS_TEXT, "42", len < 2 ? len : 2, big + (len < 2 ? len : 2),
                        len < 2 ? 0 : len - 2) == 0);
        CHECK((unsigned char)b.data[0] == 0x81 && (b.data[1] & 0x80));
        CHECK(unmask(b.data, b.len, back, sizeof back) == len &&
              (len < 2 ? memcmp(back, "42", len) == 0
                       : memcmp(back, "42", 2) == 0 && memcmp(back + 2, big + 2, len - 2) == 0));
    }
    bytes_free(&b);
    return 0;
}
