/* sio.h - Socket.IO v5 codec: pure functions, bytes + length in, views out,
 * no I/O. Wire reference: shared/protocol/README.md §3. Stricter than the
 * reference decoder where §3.8 allows it: no empty packet, ack ids ≤ 2^53−1,
 * no payload-less EVENT/ACK, no whitespace around the JSON. */
#ifndef SIO_SIO_H
#define SIO_SIO_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define SIO_ACK_MAX        ((UINT64_C(1) << 53) - 1)  /* JS safe integer */
#define SIO_ACK_DIGITS_MAX 20                         /* leading zeros included */
#define SIO_NSP_MAX        256                        /* bytes of a namespace name */
#define SIO_ATTACH_MAX     10                         /* the reference's limit */
#define SIO_JSON_DEPTH     32

/* Header of one Socket.IO packet (the data of an Engine.IO message). */
struct sio_parsed {
    int type;                  /* 0..6, enum sio_type */
    unsigned attachments;      /* 1..SIO_ATTACH_MAX for types 5/6, else 0 */
    const char *nsp;           /* "/" or a view into the input; never NUL-terminated */
    size_t nsp_len;
    int has_ack;
    uint64_t ack_id;
    const char *json;          /* view of the payload, may be empty */
    size_t json_len;
};

/* Splits a packet into its header fields and its JSON payload view. Checks
 * the syntax of the header only: SYNC_OK or SYNC_EINVAL (empty input, type
 * not 0..6, bad attachment count or missing '-', namespace too long or with
 * control characters, ack id too large). */
int sio_parse(const char *buf, size_t len, struct sio_parsed *out);

/* Parses and checks the payload of a parsed packet against its type (§3.3),
 * including placeholders of binary packets (num an integer in
 * [0, attachments)). *json_out (may be NULL) receives the parsed payload,
 * owned by the caller (json_object_put), NULL when there is none.
 * SYNC_OK or SYNC_EINVAL. Client-side rules: an ack id only on EVENT/ACK. */
int sio_check(const struct sio_parsed *p, struct json_object **json_out);

/* Parses len bytes of JSON strictly: depth SIO_JSON_DEPTH, UTF-8 checked
 * (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF),
 * no whitespace around the value, no NaN/Infinity. NULL on any error.
 * Caller owns the result. */
struct json_object *sio_json_parse(const char *buf, size_t len);

/* 1 if the len bytes are valid UTF-8 (RFC 3629). */
int sio_utf8_valid(const char *s, size_t len);

/* 1 if name is one of the event names a client may never send. */
int sio_reserved_event(const char *name, size_t len);

/* Reassembly of binary packets (pure, no I/O): feed each Engine.IO message
 * of one connection in order. A text BINARY_EVENT/BINARY_ACK is kept until
 * its attachments have arrived. */
struct sio_decoder {
    char *text;                   /* copy of a pending binary packet; NULL = none */
    size_t text_len;
    struct sio_parsed hdr;        /* views into text */
    unsigned got;
    unsigned char *bin[SIO_ATTACH_MAX];
    size_t bin_len[SIO_ATTACH_MAX];
    size_t held;                  /* bytes of text + attachments */
};

enum { SIO_DEC_MORE = 0, SIO_DEC_PACKET = 1 };

void sio_decoder_init(struct sio_decoder *d);
void sio_decoder_reset(struct sio_decoder *d);      /* frees what it holds */
/* One text message. SIO_DEC_PACKET: *out is a complete non-binary packet
 * (views into buf). SIO_DEC_MORE: a binary packet now waits for its
 * attachments (the decoder keeps a copy). SYNC_EINVAL: bad header, or text
 * while attachments are due; SYNC_ENOMEM. */
int sio_decoder_text(struct sio_decoder *d, const char *buf, size_t len,
                     struct sio_parsed *out);
/* One binary message. SIO_DEC_PACKET: the pending packet is complete: *out
 * (views into the decoder) and d->bin[0..got) stay valid until the next
 * call or reset. SIO_DEC_MORE: more attachments due. SYNC_EINVAL: nothing
 * pending; SYNC_ETOOBIG: the packet would hold more than max bytes;
 * SYNC_ENOMEM. */
int sio_decoder_binary(struct sio_decoder *d, const void *buf, size_t len, size_t max,
                       struct sio_parsed *out);

/* Writes the header of a packet: type, "N-" for binary types, "nsp," unless
 * nsp is "/", the ack id when has_ack. Returns its length (NUL-terminated,
 * < cap) or SYNC_EINVAL/SYNC_ETOOBIG. */
int sio_encode_header(char *out, size_t cap, int type, unsigned attachments,
                      const char *nsp, size_t nsp_len, int has_ack, uint64_t ack_id);

#endif
