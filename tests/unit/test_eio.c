/* test_eio.c - the Engine.IO v4 codec (rt-gateway/sio/eio.c) against the
 * shared protocol vectors, plus its edges: polling payload splitting,
 * base64, the open packet, and reads bounded by the input length. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "sio/eio.h"
#include "test_sio_util.h"

static int type_of(const char *name)
{
    static const char *names[] = { "open", "close", "ping", "pong", "message", "upgrade", "noop" };
    int i;

    for (i = 0; i < 7; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Checks one decoded record against a vector packet {type, data}. */
static int record_matches(const char *rec, size_t len, struct json_object *pkt)
{
    struct json_object *data = NULL, *bin = NULL;
    struct eio_parsed ep;
    unsigned char *want, *got;
    size_t want_len, got_len;
    int ok;

    if (eio_parse(rec, len, &ep) != SYNC_OK)
        return 0;
    if (ep.type != type_of(jstr(pkt, "type", NULL)))
        return 0;
    json_object_object_get_ex(pkt, "data", &data);
    if (data && json_object_is_type(data, json_type_object) &&
        json_object_object_get_ex(data, "$binary", &bin)) {
        if (!ep.base64)
            return 0;
        want = hex_decode(json_object_get_string(bin), &want_len);
        got = malloc(eio_b64_decoded_max(ep.len));
        ok = want && got &&
             eio_b64_decode(ep.data, ep.len, got, eio_b64_decoded_max(ep.len), &got_len) == SYNC_OK &&
             got_len == want_len && memcmp(got, want, want_len) == 0;
        free(want);
        free(got);
        return ok;
    }
    if (ep.base64)
        return 0;
    if (!data)
        return ep.len == 0;
    return ep.len == (size_t)json_object_get_string_len(data) &&
           memcmp(ep.data, json_object_get_string(data), ep.len) == 0;
}

static void test_vector_packets(void)
{
    struct json_object *list = vec_get("engineio", "packets"), *v, *pkt, *frame, *body;
    size_t i, n, len;
    const char *text, *name;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    n = json_object_array_length(list);
    CU_ASSERT(n >= 14);
    for (i = 0; i < n; i++) {
        v = json_object_array_get_idx(list, i);
        name = jstr(v, "name", NULL);
        json_object_object_get_ex(v, "packet", &pkt);
        json_object_object_get_ex(v, "ws_frame", &frame);
        json_object_object_get_ex(v, "polling_body", &body);
        text = jstr(frame, "text", &len);
        if (text && !record_matches(text, len, pkt)) {
            fprintf(stderr, "\n  ws frame of %s does not decode to its packet\n", name);
            CU_FAIL("engineio packet (ws)");
        }
        text = jstr(body, "text", &len);
        if (!text || !record_matches(text, len, pkt)) {
            fprintf(stderr, "\n  polling body of %s does not decode to its packet\n", name);
            CU_FAIL("engineio packet (polling)");
        }
    }
}

static void test_vector_payloads(void)
{
    struct json_object *list = vec_get("engineio", "payloads"), *v, *pkts, *body;
    size_t i, n, k, pos, len = 0, rlen;
    const char *text, *rec;
    int rc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    n = json_object_array_length(list);
    for (i = 0; i < n; i++) {
        v = json_object_array_get_idx(list, i);
        json_object_object_get_ex(v, "packets", &pkts);
        json_object_object_get_ex(v, "polling_body", &body);
        text = jstr(body, "text", &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        pos = 0;
        k = 0;
        while ((rc = eio_payload_next(text, len, &pos, &rec, &rlen)) == 1) {
            if (k >= json_object_array_length(pkts) ||
                !record_matches(rec, rlen, json_object_array_get_idx(pkts, k))) {
                fprintf(stderr, "\n  payload %s: record %zu differs\n", jstr(v, "name", NULL), k);
                CU_FAIL("engineio payload record");
            }
            k++;
        }
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(k, json_object_array_length(pkts));
    }
}

/* The reference's verdicts; "b!!!" is the one place this codec is stricter
 * (invalid base64 is refused instead of decoding to nothing). */
static void test_vector_decode(void)
{
    struct json_object *list = vec_get("engineio", "decode"), *v, *in, *res, *rej;
    const char *name, *fn, *text, *rec;
    size_t i, n, len = 0, pos, rlen, good;
    struct eio_parsed ep;
    unsigned char out[64];
    int rejected, ours, rc;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    n = json_object_array_length(list);
    for (i = 0; i < n; i++) {
        v = json_object_array_get_idx(list, i);
        name = jstr(v, "name", NULL);
        fn = jstr(v, "function", NULL);
        json_object_object_get_ex(v, "input", &in);
        json_object_object_get_ex(v, "result", &res);
        json_object_object_get_ex(v, "rejected", &rej);
        rejected = json_object_get_boolean(rej);
        text = jstr(in, "text", &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        if (strcmp(fn, "decodePacket") == 0) {
            rc = eio_parse(text, len, &ep);
            ours = rc != SYNC_OK;
            if (rc == SYNC_OK && ep.base64)
                ours = eio_b64_decode(ep.data, ep.len, out, sizeof(out), &rlen) != SYNC_OK;
            if (strcmp(name, "b_prefix_invalid_base64_is_lenient") == 0)
                rejected = 1;                         /* stricter on purpose */
        } else {
            /* decodePayload: the packets before the bad record are kept */
            pos = 0;
            good = 0;
            ours = 0;
            while ((rc = eio_payload_next(text, len, &pos, &rec, &rlen)) == 1) {
                if (eio_parse(rec, rlen, &ep) != SYNC_OK) {
                    ours = 1;
                    break;
                }
                good++;
            }
            if (rc < 0)
                ours = 1;
            CU_ASSERT_EQUAL(good + (size_t)ours, json_object_array_length(res));
        }
        if (ours != rejected) {
            fprintf(stderr, "\n  engineio decode %s: rejected=%d, want %d\n", name, ours, rejected);
            CU_FAIL("engineio decode verdict");
        }
    }
}

static void test_payload_edges(void)
{
    const char *rec;
    size_t pos = 0, rlen;

    CU_ASSERT_EQUAL(eio_payload_next("", 0, &pos, &rec, &rlen), SYNC_EINVAL);
    pos = 0;
    CU_ASSERT_EQUAL(eio_payload_next("4a", 2, &pos, &rec, &rlen), 1);
    CU_ASSERT_EQUAL(rlen, 2);
    CU_ASSERT_EQUAL(eio_payload_next("4a", 2, &pos, &rec, &rlen), 0);
    CU_ASSERT_EQUAL(eio_payload_next("4a", 2, &pos, &rec, &rlen), 0);
    pos = 0;
    CU_ASSERT_EQUAL(eio_payload_next("\x1e", 1, &pos, &rec, &rlen), SYNC_EINVAL);
    /* a NUL inside a record is data, not an end */
    pos = 0;
    CU_ASSERT_EQUAL(eio_payload_next("4\0b\x1e" "2", 5, &pos, &rec, &rlen), 1);
    CU_ASSERT_EQUAL(rlen, 3);
    CU_ASSERT_EQUAL(eio_payload_next("4\0b\x1e" "2", 5, &pos, &rec, &rlen), 1);
    CU_ASSERT_EQUAL(rlen, 1);
    CU_ASSERT_EQUAL(rec[0], '2');
}

static void test_parse_edges(void)
{
    struct eio_parsed ep;

    CU_ASSERT_EQUAL(eio_parse(NULL, 0, &ep), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_parse("", 0, &ep), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_parse("7", 1, &ep), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_parse("/", 1, &ep), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_parse("B", 1, &ep), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_parse("\xff", 1, &ep), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_parse("6", 1, &ep), SYNC_OK);
    CU_ASSERT_EQUAL(ep.type, EIO_NOOP);
    CU_ASSERT_EQUAL(eio_parse("2probe", 6, &ep), SYNC_OK);
    CU_ASSERT_EQUAL(ep.type, EIO_PING);
    CU_ASSERT_EQUAL(ep.len, 5);
    CU_ASSERT_EQUAL(eio_parse("b", 1, &ep), SYNC_OK);
    CU_ASSERT_EQUAL(ep.base64, 1);
    CU_ASSERT_EQUAL(ep.len, 0);
}

static void test_base64(void)
{
    unsigned char in[64], out[64];
    char enc[128];
    size_t len, n, got;
    unsigned seed = 12345;

    for (len = 0; len <= sizeof(in); len++) {
        for (n = 0; n < len; n++) {
            seed = seed * 1103515245u + 12345u;
            in[n] = (unsigned char)(seed >> 16);
        }
        eio_b64_encode(in, len, enc);
        n = eio_b64_encoded_len(len);
        CU_ASSERT_EQUAL(n % 4, 0);
        CU_ASSERT_EQUAL_FATAL(eio_b64_decode(enc, n, out, sizeof(out), &got), SYNC_OK);
        CU_ASSERT_EQUAL(got, len);
        CU_ASSERT(memcmp(in, out, len) == 0);
        while (n > 0 && enc[n - 1] == '=')
            n--;                              /* unpadded is accepted too */
        CU_ASSERT_EQUAL(eio_b64_decode(enc, n, out, sizeof(out), &got), SYNC_OK);
        CU_ASSERT_EQUAL(got, len);
    }
    CU_ASSERT_EQUAL(eio_b64_decode("AQIDBA==", 8, out, 4, &got), SYNC_OK);
    CU_ASSERT_EQUAL(eio_b64_decode("AQIDBA==", 8, out, 3, &got), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(eio_b64_decode("!!!", 3, out, sizeof(out), &got), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_b64_decode("A", 1, out, sizeof(out), &got), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_b64_decode("A===", 4, out, sizeof(out), &got), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_b64_decode("AB=C", 4, out, sizeof(out), &got), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_b64_decode("AB==", 4, out, sizeof(out), &got), SYNC_EINVAL); /* stray bits */
    CU_ASSERT_EQUAL(eio_b64_decode("AQ==", 4, out, sizeof(out), &got), SYNC_OK);
    CU_ASSERT_EQUAL(eio_b64_decode("AQ=", 3, out, sizeof(out), &got), SYNC_EINVAL);
    CU_ASSERT_EQUAL(eio_b64_decode("-_==", 4, out, sizeof(out), &got), SYNC_EINVAL); /* url alphabet */
}

static void test_open_packet(void)
{
    struct json_object *list = vec_get("engineio", "packets"), *v, *frame;
    char buf[256];
    const char *want;
    size_t i, wlen;
    int n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        if (strncmp(jstr(v, "name", NULL), "open_", 5) != 0)
            continue;
        json_object_object_get_ex(v, "ws_frame", &frame);
        want = jstr(frame, "text", &wlen);
        n = eio_open_packet(buf, sizeof(buf), "lv_VI97HAXpY6yYWAAAC",
                            strcmp(jstr(v, "name", NULL), "open_polling") == 0, 25000, 20000,
                            1000000);
        CU_ASSERT_EQUAL(n, (int)wlen);
        CU_ASSERT(n > 0 && memcmp(buf, want, wlen) == 0);
    }
    CU_ASSERT_EQUAL(eio_open_packet(buf, 20, "x", 1, 1, 1, 1), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(eio_open_packet(buf, sizeof(buf), NULL, 1, 1, 1, 1), SYNC_EINVAL);
}

/* Every prefix of every polling body, placed against a guard page. */
static void test_bounded_reads(void)
{
    struct json_object *list = vec_get("engineio", "payloads"), *v, *body;
    struct guarded g = { NULL, 0, NULL };
    struct eio_parsed ep;
    const char *text, *rec;
    size_t i, cut, len = 0, pos, rlen;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        json_object_object_get_ex(v, "polling_body", &body);
        text = jstr(body, "text", &len);
        for (cut = 0; cut <= len; cut++) {
            CU_ASSERT_EQUAL_FATAL(guard_put(&g, text, cut), 0);
            pos = 0;
            while (eio_payload_next(g.data, cut, &pos, &rec, &rlen) == 1) {
                CU_ASSERT(rec >= g.data && rec + rlen <= g.data + cut);
                if (eio_parse(rec, rlen, &ep) == SYNC_OK)
                    CU_ASSERT(ep.data + ep.len == rec + rlen);
            }
            guard_free(&g);
        }
    }
}

int main(void)
{
    static CU_TestInfo vectors[] = {
        { "packets decode from ws frames and polling bodies", test_vector_packets },
        { "polling payloads split into their packets", test_vector_payloads },
        { "malformed input: the reference's verdicts", test_vector_decode },
        { "the open packet, byte for byte", test_open_packet },
        CU_TEST_INFO_NULL,
    };
    static CU_TestInfo edges[] = {
        { "payload splitting edges", test_payload_edges },
        { "packet type edges", test_parse_edges },
        { "base64 round trips and refusals", test_base64 },
        { "no read past the input (guard page)", test_bounded_reads },
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        { "eio vectors", vectors_load, vectors_free, NULL, NULL, vectors },
        { "eio edges", vectors_load, vectors_free, NULL, NULL, edges },
        CU_SUITE_INFO_NULL,
    };

    return cutest_run(suites);
}
