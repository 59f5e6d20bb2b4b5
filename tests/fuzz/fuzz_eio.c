/* fuzz_eio.c - an Engine.IO polling body (records split by 0x1e), each
 * record decoded as a packet, binary records through base64 and back. */
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "sio/eio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    size_t pos = 0, records = 0;
    const char *rec;
    size_t rec_len;
    int rc;

    while ((rc = eio_payload_next(body, size, &pos, &rec, &rec_len)) == 1) {
        struct eio_parsed p;
        FUZZ_CHECK(rec >= body && rec_len >= 1 && rec + rec_len <= body + size);
        FUZZ_CHECK(memchr(rec, EIO_RS, rec_len) == NULL);
        FUZZ_CHECK(++records <= size);
        if (eio_parse(rec, rec_len, &p) != SYNC_OK)
            continue;
        FUZZ_CHECK(p.type >= EIO_OPEN && p.type <= EIO_NOOP);
        FUZZ_CHECK(p.data == rec + 1 && p.data + p.len == rec + rec_len);
        FUZZ_CHECK(!p.base64 || p.type == EIO_MESSAGE);
        if (p.base64) {
            size_t cap = eio_b64_decoded_max(p.len), n = 0, n2 = 0;
            unsigned char *raw = malloc(cap + 1), *raw2 = NULL;
            char *text = NULL;
            FUZZ_CHECK(raw != NULL);
            if (eio_b64_decode(p.data, p.len, raw, cap, &n) == SYNC_OK) {
                /* decoded bytes survive a round trip through our encoder */
                size_t tl = eio_b64_encoded_len(n);
                FUZZ_CHECK(n <= cap);
                text = malloc(tl + 1);
                raw2 = malloc(eio_b64_decoded_max(tl) + 1);
                FUZZ_CHECK(text && raw2);
                eio_b64_encode(raw, n, text);
                FUZZ_CHECK(eio_b64_decode(text, tl, raw2, eio_b64_decoded_max(tl), &n2) == SYNC_OK);
                FUZZ_CHECK(n2 == n && memcmp(raw, raw2, n) == 0);
            }
            free(raw);
            free(raw2);
            free(text);
        }
    }
    FUZZ_CHECK(rc == 0 || rc == SYNC_EINVAL);
    FUZZ_CHECK(pos <= size + 1);
    return 0;
}
