/* fuzz_sio.c - Socket.IO packets and binary reassembly. The input is split on
 * 0xff bytes: the first part is a text message, the others binary messages
 * of the same connection, fed to the decoder in order. */
#include <json-c/json.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "sio/sio.h"

#define MAX_HELD (1u << 20)

static void check_header(const char *buf, size_t len, const struct sio_parsed *p)
{
    char hdr[SIO_NSP_MAX + 64];
    struct sio_parsed q;
    int n;

    FUZZ_CHECK(p->type >= 0 && p->type <= 6);
    FUZZ_CHECK((p->type == 5 || p->type == 6) ? (p->attachments >= 1 && p->attachments <= SIO_ATTACH_MAX)
                                              : p->attachments == 0);
    FUZZ_CHECK(!p->has_ack || p->ack_id <= SIO_ACK_MAX);
    FUZZ_CHECK(p->nsp_len >= 1 && p->nsp_len <= SIO_NSP_MAX && p->nsp[0] == '/');
    FUZZ_CHECK(p->json >= buf && p->json + p->json_len == buf + len);
    /* the header we would write for it parses to the same fields */
    n = sio_encode_header(hdr, sizeof hdr, p->type, p->attachments, p->nsp, p->nsp_len,
                          p->has_ack, p->ack_id);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof hdr);
    if (sio_parse(hdr, (size_t)n, &q) == SYNC_OK) {
        FUZZ_CHECK(q.type == p->type && q.attachments == p->attachments);
        FUZZ_CHECK(q.has_ack == p->has_ack && q.ack_id == p->ack_id);
        FUZZ_CHECK(q.nsp_len == p->nsp_len && memcmp(q.nsp, p->nsp, p->nsp_len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *end = in + size, *part = in, *sep;
    struct sio_decoder d;
    struct sio_parsed p;
    json_object *j = NULL;
    int first = 1, rc;

    sep = memchr(part, 0xff, size);
    if (sio_parse(in, sep ? (size_t)(sep - in) : size, &p) == SYNC_OK) {
        check_header(in, sep ? (size_t)(sep - in) : size, &p);
        if (sio_check(&p, &j) == SYNC_OK && j)
            FUZZ_CHECK(json_object_get_type(j) != json_type_null || p.json_len == 4);
        json_object_put(j);
    }

    sio_decoder_init(&d);
    while (part <= end) {
        size_t len;
        sep = memchr(part, 0xff, (size_t)(end - part));
        len = sep ? (size_t)(sep - part) : (size_t)(end - part);
        if (first)
            rc = sio_decoder_text(&d, part, len, &p);
        else
            rc = sio_decoder_binary(&d, part, len, MAX_HELD, &p);
        FUZZ_CHECK(rc == SIO_DEC_MORE || rc == SIO_DEC_PACKET || rc == SYNC_EINVAL ||
                   rc == SYNC_ETOOBIG);
        FUZZ_CHECK(d.held <= MAX_HELD + size);
        if (rc == SIO_DEC_PACKET && !first)
            FUZZ_CHECK(d.got == p.attachments);
        first = 0;
        if (!sep)
            break;
        part = sep + 1;
    }
    sio_decoder_reset(&d);    /* frees everything it held: leaks are findings */
    return 0;
}
