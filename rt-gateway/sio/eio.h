/* eio.h - Engine.IO v4 codec: pure functions, bytes + length in, views out,
 * no I/O and no allocation. Wire reference: shared/protocol/README.md §2. */
#ifndef SIO_EIO_H
#define SIO_EIO_H

#include <stddef.h>

enum eio_type {
    EIO_OPEN = 0, EIO_CLOSE = 1, EIO_PING = 2, EIO_PONG = 3,
    EIO_MESSAGE = 4, EIO_UPGRADE = 5, EIO_NOOP = 6,
};

#define EIO_RS 0x1e            /* record separator of polling bodies */

/* One decoded text packet (a WS text message or one polling record). */
struct eio_parsed {
    int type;                  /* enum eio_type */
    int base64;                /* 1: "b<base64>", a binary message; data is the base64 text */
    const char *data;          /* view into the input, after the type byte */
    size_t len;
};

/* Decodes one text packet. SYNC_OK, or SYNC_EINVAL for an empty packet or a
 * first byte other than '0'..'6' / 'b'. Never reads past buf + len. */
int eio_parse(const char *buf, size_t len, struct eio_parsed *out);

/* Iterates the records of a polling body. Start with *pos = 0. Returns 1 and
 * the next record in *rec, *rec_len, 0 at the end, SYNC_EINVAL on an empty
 * record (empty body, leading, doubled or trailing separator). */
int eio_payload_next(const char *body, size_t len, size_t *pos,
                     const char **rec, size_t *rec_len);

/* Standard base64 (alphabet +/, '=' padding) of len bytes. */
size_t eio_b64_encoded_len(size_t len);          /* exact output length */
void eio_b64_encode(const unsigned char *in, size_t len, char *out);  /* no NUL */
/* Decodes padded or unpadded base64 into out (capacity cap, at least
 * eio_b64_decoded_max(len)). SYNC_EINVAL on a bad character, bad padding or
 * an impossible length; SYNC_ETOOBIG if cap is too small. */
size_t eio_b64_decoded_max(size_t len);
int eio_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap,
                   size_t *out_len);

/* The open packet text: 0{"sid":…,"upgrades":[…],"pingInterval":…,
 * "pingTimeout":…,"maxPayload":…}. sid must be URL-safe (no quoting done).
 * Returns its length (< cap, NUL-terminated) or SYNC_EINVAL/SYNC_ETOOBIG. */
int eio_open_packet(char *out, size_t cap, const char *sid, int upgrade_ws,
                    unsigned ping_interval_ms, unsigned ping_timeout_ms,
                    size_t max_payload);

#endif
