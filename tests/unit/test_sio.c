/* test_sio.c - the Socket.IO v5 codec (rt-gateway/sio/sio.c) and packet
 * building (packet.c) against the shared protocol vectors: every packet
 * decodes to its fields and encodes back byte for byte, every malformed
 * input gets the expected verdict, and the parser never reads past its
 * input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "hash.h"
#include "sio/packet.h"
#include "sio/sio.h"
#include "sio/sio_server.h"
#include "test_sio_util.h"

#define MAX_MSG (64u * 1024 * 1024)

/* ----- helpers ----- */

/* A deep copy of vector data with {"$binary": hex} replaced by placeholders
 * numbered in depth-first order; the bytes go to bins (caller frees). */
static struct json_object *with_placeholders(struct json_object *o, unsigned char **bins,
                                             size_t *bin_lens, unsigned *n)
{
    struct json_object *copy = NULL, *hex, *ph;
    size_t i, len;

    if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "$binary", &hex)) {
        bins[*n] = hex_decode(json_object_get_string(hex), &bin_lens[*n]);
        ph = json_object_new_object();
        json_object_object_add(ph, "_placeholder", json_object_new_boolean(1));
        json_object_object_add(ph, "num", json_object_new_int((int)*n));
        (*n)++;
        return ph;
    }
    if (json_object_is_type(o, json_type_array)) {
        copy = json_object_new_array();
        len = json_object_array_length(o);
        for (i = 0; i < len; i++)
            json_object_array_add(copy, with_placeholders(json_object_array_get_idx(o, i), bins,
                                                          bin_lens, n));
        return copy;
    }
    if (json_object_is_type(o, json_type_object)) {
        copy = json_object_new_object();
        json_object_object_foreach(o, key, val)
            json_object_object_add(copy, key, with_placeholders(val, bins, bin_lens, n));
        return copy;
    }
    return json_object_get(o);
}

struct fed {
    struct sio_decoder dec;
    struct sio_parsed p;
    int rc;                        /* last decoder result */
};

/* Feeds the inputs [{kind,text|hex}] of a vector through a decoder. */
static int feed(struct fed *f, struct json_object *inputs)
{
    struct json_object *in;
    const char *kind, *text;
    unsigned char *bin;
    size_t i, len = 0;

    sio_decoder_init(&f->dec);
    f->rc = SYNC_EINVAL;
    for (i = 0; i < json_object_array_length(inputs); i++) {
        in = json_object_array_get_idx(inputs, i);
        kind = jstr(in, "kind", NULL);
        if (strcmp(kind, "text") == 0) {
            text = jstr(in, "text", &len);
            f->rc = sio_decoder_text(&f->dec, text, len, &f->p);
        } else if (strcmp(kind, "binary") == 0) {
            bin = hex_decode(jstr(in, "hex", NULL), &len);
            if (!bin)
                return -1;
            f->rc = sio_decoder_binary(&f->dec, bin, len, MAX_MSG, &f->p);
            free(bin);
        } else {
            return -1;                 /* a JS value that bytes cannot carry */
        }
        if (f->rc < 0)
            return 0;
    }
    return 0;
}

static int is_inline(struct json_object *v)
{
    struct json_object *pkt = NULL, *d = NULL;

    json_object_object_get_ex(v, "packet", &pkt);
    return pkt && !json_object_object_get_ex(pkt, "$described", &d);
}

/* ----- vectors: packets ----- */

static void test_packets_decode(void)
{
    struct json_object *list = vec_get("socketio", "packets"), *v, *pkt, *enc, *t, *nsp, *id, *data;
    struct json_object *want = NULL, *got = NULL;
    unsigned char *bins[SIO_ATTACH_MAX + 1] = { NULL };
    size_t bin_lens[SIO_ATTACH_MAX + 1], i, k;
    unsigned n;
    struct fed f;
    const char *name;
    int type, ok;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        if (!is_inline(v))
            continue;
        name = jstr(v, "name", NULL);
        json_object_object_get_ex(v, "packet", &pkt);
        json_object_object_get_ex(v, "socketio_encoded", &enc);
        json_object_object_get_ex(pkt, "type", &t);
        json_object_object_get_ex(pkt, "nsp", &nsp);
        id = data = NULL;
        json_object_object_get_ex(pkt, "id", &id);
        json_object_object_get_ex(pkt, "data", &data);
        n = 0;
        want = data ? with_placeholders(data, bins, bin_lens, &n) : NULL;
        type = json_object_get_int(t);
        if (n)
            type += 3;                 /* EVENT -> BINARY_EVENT, ACK -> BINARY_ACK */

        feed(&f, enc);
        ok = f.rc == SIO_DEC_PACKET && f.p.type == type && f.p.attachments == n &&
             f.p.nsp_len == (size_t)json_object_get_string_len(nsp) &&
             memcmp(f.p.nsp, json_object_get_string(nsp), f.p.nsp_len) == 0 &&
             f.p.has_ack == (id != NULL) &&
             (!id || f.p.ack_id == (uint64_t)json_object_get_int64(id));
        got = NULL;
        ok = ok && sio_check(&f.p, &got) == SYNC_OK;
        ok = ok && (want ? (got && json_object_equal(got, want)) : got == NULL);
        for (k = 0; ok && k < n; k++)
            ok = f.dec.bin_len[k] == bin_lens[k] &&
                 memcmp(f.dec.bin[k], bins[k], bin_lens[k]) == 0;
        if (!ok) {
            fprintf(stderr, "\n  socketio packet %s does not decode to its fields (rc %d)\n",
                    name, f.rc);
            CU_FAIL("socketio packet decode");
        }
        json_object_put(got);
        json_object_put(want);
        sio_decoder_reset(&f.dec);
        for (k = 0; k < n; k++) {
            free(bins[k]);
            bins[k] = NULL;
        }
    }
}

/* sio_packet_new with the header fields and the payload text of each vector
 * gives the exact WebSocket frames and polling body. */
static void test_packets_encode(void)
{
    struct json_object *list = vec_get("socketio", "packets"), *v, *pkt, *t, *nsp, *id, *frames,
                       *body, *fr;
    struct sio_bin bins[SIO_ATTACH_MAX];
    unsigned char *raw[SIO_ATTACH_MAX] = { NULL };
    struct sio_packet *p;
    struct sio_parsed hdr;
    char joined[4096];
    const char *text, *want, *part;
    size_t i, k, len, wlen, plen, jl;
    unsigned nb;
    int ok, type;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        if (!is_inline(v))
            continue;
        json_object_object_get_ex(v, "packet", &pkt);
        json_object_object_get_ex(pkt, "type", &t);
        json_object_object_get_ex(pkt, "nsp", &nsp);
        id = NULL;
        json_object_object_get_ex(pkt, "id", &id);
        json_object_object_get_ex(v, "ws_frames", &frames);
        json_object_object_get_ex(v, "polling_body", &body);
        text = jstr(json_object_array_get_idx(frames, 0), "text", &len);
        CU_ASSERT_EQUAL_FATAL(sio_parse(text + 1, len - 1, &hdr), SYNC_OK);
        nb = 0;
        for (k = 1; k < json_object_array_length(frames); k++) {
            fr = json_object_array_get_idx(frames, k);
            raw[nb] = hex_decode(jstr(fr, "hex", NULL), &bins[nb].len);
            bins[nb].data = raw[nb];
            nb++;
        }
        type = json_object_get_int(t);
        p = NULL;
        ok = sio_packet_new(&p, (enum sio_type)type, json_object_get_string(nsp),
                            id ? (int64_t)json_object_get_int64(id) : -1, hdr.json, hdr.json_len,
                            bins, nb) == SYNC_OK;
        ok = ok && p->text_len == len && memcmp(p->text, text, len) == 0 && p->n_bin == nb;
        for (k = 0; ok && k < nb; k++)
            ok = p->bin_len[k] == bins[k].len && memcmp(p->bin[k], bins[k].data, bins[k].len) == 0;
        /* the polling body: parts joined by 0x1e */
        jl = 0;
        for (k = 0; ok && k <= nb; k++) {
            ok = sio_pkt_part_poll(p, (unsigned)k, &part, &plen) == SYNC_OK &&
                 jl + plen + 1 < sizeof(joined);
            if (!ok)
                break;
            if (k)
                joined[jl++] = 0x1e;
            memcpy(joined + jl, part, plen);
            jl += plen;
        }
        want = jstr(body, "text", &wlen);
        ok = ok && jl == wlen && memcmp(joined, want, wlen) == 0;
        if (!ok) {
            fprintf(stderr, "\n  socketio packet %s does not encode to its frames\n",
                    jstr(v, "name", NULL));
            CU_FAIL("socketio packet encode");
        }
        sio_packet_unref(p);
        for (k = 0; k < nb; k++) {
            free(raw[k]);
            raw[k] = NULL;
        }
    }
}

/* What json-c writes back (PLAIN | NOSLASHESCAPE) after parsing is what
 * JSON.stringify wrote, except for escaped lone surrogates: the app's own
 * packets are byte-identical to the reference's for ordinary content.
 * (Parsed doubles keep their original text, so even 1e+21 survives.) */
static void test_json_c_matches_js(void)
{
    static const char *expected_differ[] = { "event_lone_surrogate", NULL };
    struct json_object *list = vec_get("socketio", "packets"), *v, *frames, *j;
    struct sio_parsed hdr;
    const char *text, *name, *out;
    size_t i, k, len, olen;
    int same, differ;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        if (!is_inline(v))
            continue;
        name = jstr(v, "name", NULL);
        json_object_object_get_ex(v, "ws_frames", &frames);
        text = jstr(json_object_array_get_idx(frames, 0), "text", &len);
        if (sio_parse(text + 1, len - 1, &hdr) != SYNC_OK || hdr.json_len == 0)
            continue;
        j = sio_json_parse(hdr.json, hdr.json_len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        out = json_object_to_json_string_length(j, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE, &olen);
        same = olen == hdr.json_len && memcmp(out, hdr.json, olen) == 0;
        differ = 0;
        for (k = 0; expected_differ[k]; k++)
            differ |= strcmp(expected_differ[k], name) == 0;
        if (same == differ) {
            fprintf(stderr, "\n  %s: json-c %s JSON.stringify\n  js: %.*s\n  c:  %.*s\n", name,
                    same ? "unexpectedly matches" : "differs from", (int)hdr.json_len, hdr.json,
                    (int)olen, out);
            CU_FAIL("json-c vs JSON.stringify");
        }
        json_object_put(j);
    }
}

/* The recipes of the big vectors: serialise once with json-c, compare the
 * frame's length and SHA-256, and decode it back. */
static void test_large_vectors(void)
{
    struct json_object *list = vec_get("socketio", "packets"), *v, *r, *frames, *fr, *pat, *rep;
    struct json_object *arr, *obj, *back = NULL, *content;
    struct sio_packet *p = NULL;
    struct sio_parsed hdr;
    const char *pattern, *txt, *want_sha;
    char *buf, sha[65];
    size_t i, k, plen, count, tlen, want_len;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        if (!json_object_object_get_ex(v, "recipe", &r))
            continue;
        json_object_object_get_ex(r, "pattern", &pat);
        json_object_object_get_ex(r, "repeat", &rep);
        pattern = json_object_get_string(pat);
        plen = (size_t)json_object_get_string_len(pat);
        count = (size_t)json_object_get_int64(rep);
        buf = malloc(plen * count);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        for (k = 0; k < count; k++)
            memcpy(buf + k * plen, pattern, plen);
        arr = json_object_new_array();
        obj = json_object_new_object();
        json_object_object_add(obj, "path", json_object_new_string("big/file.md"));
        json_object_object_add(obj, "content", json_object_new_string_len(buf, (int)(plen * count)));
        json_object_array_add(arr, json_object_new_string("modified-file"));
        json_object_array_add(arr, obj);
        txt = json_object_to_json_string_length(arr, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE, &tlen);
        CU_ASSERT_EQUAL_FATAL(sio_packet_new(&p, SIO_EVENT, NULL, 7, txt, tlen, NULL, 0), SYNC_OK);
        json_object_object_get_ex(v, "ws_frames", &frames);
        fr = json_object_array_get_idx(frames, 0);
        want_sha = jstr(fr, "sha256", NULL);
        json_object_object_get_ex(fr, "utf8_len", &r);
        want_len = (size_t)json_object_get_int64(r);
        CU_ASSERT_EQUAL(p->text_len, want_len);
        hash_hex(p->text, p->text_len, sha);
        CU_ASSERT_STRING_EQUAL(sha, want_sha);
        /* and back */
        CU_ASSERT_EQUAL(sio_parse(p->text + 1, p->text_len - 1, &hdr), SYNC_OK);
        CU_ASSERT_EQUAL(hdr.ack_id, 7);
        CU_ASSERT_EQUAL_FATAL(sio_check(&hdr, &back), SYNC_OK);
        obj = json_object_array_get_idx(back, 1);
        CU_ASSERT(json_object_object_get_ex(obj, "content", &content) &&
                  (size_t)json_object_get_string_len(content) == plen * count &&
                  memcmp(json_object_get_string(content), buf, plen * count) == 0);
        json_object_put(back);
        back = NULL;
        sio_packet_unref(p);
        p = NULL;
        json_object_put(arr);
        free(buf);
    }
}

/* ----- vectors: malformed input ----- */

/* Inputs the reference accepts and this codec refuses (README §3.8 allows
 * a stricter server), or accepts with the same meaning. */
static const struct { const char *name; int rejected; } ours[] = {
    { "empty_string_is_connect", 1 },
    { "event_without_payload", 1 },
    { "ack_without_payload", 1 },
    { "connect_error_without_payload", 1 },
    { "connect_error_string_payload", 1 },
    { "namespace_without_comma", 0 },
    { "namespace_swallows_payload_without_comma", 1 },
    { "empty_namespace_slash_comma", 0 },
    { "ack_id_leading_zeros", 0 },
    { "ack_id_beyond_2_53", 1 },
    { "space_parsed_as_ack_id_digit", 1 },
    { "whitespace_after_json", 1 },
    { "binary_count_hex_literal", 1 },
    { "event_name_numeric", 0 },
    { NULL, 0 },
};

static void test_decode_verdicts(void)
{
    struct json_object *list = vec_get("socketio", "decode"), *v, *inputs, *rej, *j = NULL;
    const char *name;
    struct fed f;
    size_t i, k;
    int want, got, checked = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        name = jstr(v, "name", NULL);
        json_object_object_get_ex(v, "inputs", &inputs);
        json_object_object_get_ex(v, "rejected", &rej);
        want = json_object_get_boolean(rej);
        if (!want) {
            want = -1;
            for (k = 0; ours[k].name; k++)
                if (strcmp(ours[k].name, name) == 0)
                    want = ours[k].rejected;
            if (want < 0) {
                fprintf(stderr, "\n  %s: accepted by the reference, no verdict here\n", name);
                CU_FAIL("a new vector needs a verdict");
                continue;
            }
        }
        if (feed(&f, inputs) < 0) {
            sio_decoder_reset(&f.dec);
            continue;                 /* JS numbers/undefined: not bytes */
        }
        got = 1;
        if (f.rc == SIO_DEC_PACKET) {
            j = NULL;
            got = sio_check(&f.p, &j) != SYNC_OK;
            json_object_put(j);
        }
        if (got != want) {
            fprintf(stderr, "\n  socketio decode %s: rejected=%d, want %d\n", name, got, want);
            CU_FAIL("socketio decode verdict");
        }
        checked++;
        sio_decoder_reset(&f.dec);
    }
    CU_ASSERT(checked >= 50);
}

/* ----- edges the vectors do not cover ----- */

static int verdict(const char *in, size_t len)
{
    struct sio_parsed p;
    struct json_object *j = NULL;
    int rc = sio_parse(in, len, &p);

    if (rc == SYNC_OK) {
        rc = sio_check(&p, &j);
        json_object_put(j);
    }
    return rc;
}

static void check(const char *in, size_t len, int want_ok)
{
    int rc = verdict(in, len);

    if ((rc == SYNC_OK) != want_ok) {
        fprintf(stderr, "\n  sio \"%.*s\" (%zu bytes) = %d, want %s\n", (int)len, in, len, rc,
                want_ok ? "ok" : "refused");
        CU_FAIL("sio verdict");
    }
}
#define CHECK(lit, ok) check(lit, sizeof(lit) - 1, ok)

static void test_ack_ids(void)
{
    struct sio_parsed p;

    CHECK("29007199254740991[\"a\"]", 1);          /* 2^53 - 1 */
    CHECK("29007199254740992[\"a\"]", 0);          /* 2^53 */
    CHECK("218446744073709551616[\"a\"]", 0);      /* 2^64: no wrap-around */
    CHECK("2000000000000000000007[\"a\"]", 0);     /* 22 digits */
    CHECK("30[]", 1);
    CHECK("3[]", 0);                               /* an ACK needs an id */
    CHECK("05{}", 0);                              /* an id on CONNECT */
    CHECK("15", 0);
    CHECK("45{\"message\":\"x\"}", 0);
    CU_ASSERT_EQUAL(sio_parse("2/admin,0[\"a\"]", 14, &p), SYNC_OK);
    CU_ASSERT(p.has_ack && p.ack_id == 0 && p.nsp_len == 6);
}

static void test_bad_utf8(void)
{
    CHECK("2[\"ok \xc3\xa9\"]", 1);
    CHECK("2[\"\xff\"]", 0);                       /* not UTF-8 at all */
    CHECK("2[\"\xc0\xaf\"]", 0);                   /* overlong '/' */
    CHECK("2[\"\xe2\x82\"]", 0);                   /* truncated sequence */
    CHECK("2[\"\xed\xa0\x80\"]", 0);               /* a surrogate encoded as UTF-8 */
    CHECK("2[\"\xf4\x90\x80\x80\"]", 0);           /* above U+10FFFF */
    CHECK("2[\"a\",\"\\ud800\"]", 1);              /* an escaped lone surrogate is JSON */
    check("2[\"a\0b\"]", 7, 0);                    /* a raw NUL inside a string */
}

static void test_bad_json(void)
{
    char deep[200];
    size_t i, n = 0;

    CHECK("2[\"a\"", 0);                           /* truncated */
    CHECK("2[\"a\"]]", 0);                         /* trailing */
    CHECK("2[\"a\",]", 0);
    CHECK("2['a']", 0);
    CHECK("2[\"a\",NaN]", 0);
    CHECK("2[\"a\",-Infinity]", 0);
    CHECK("2[\"a\",1e999]", 0);
    CHECK("2[\"a\"] ", 0);
    CHECK("2[\"a\",01]", 0);
    CHECK("2[\"a\"]\n", 0);
    CHECK("0{\"token\":\"x\"}", 1);
    CHECK("0{\"token\":\"x\",}", 0);
    CHECK("2[\"disconnecting\"]", 0);
    CHECK("2[\"newListenerx\"]", 1);
    CHECK("2[true]", 0);
    CHECK("2[1.5,\"x\"]", 1);
    /* depth: 32 nested arrays are fine, 40 are not */
    deep[n++] = '2';
    deep[n++] = '[';
    deep[n++] = '"';
    deep[n++] = 'd';
    deep[n++] = '"';
    deep[n++] = ',';
    for (i = 0; i < 30; i++)
        deep[n++] = '[';
    for (i = 0; i < 30; i++)
        deep[n++] = ']';
    deep[n++] = ']';
    check(deep, n, 1);
    n = 6;
    for (i = 0; i < 40; i++)
        deep[n++] = '[';
    for (i = 0; i < 40; i++)
        deep[n++] = ']';
    deep[n++] = ']';
    check(deep, n, 0);
}

static void test_namespaces(void)
{
    char nsp[SIO_NSP_MAX + 16];
    struct sio_parsed p;

    CHECK("0/admin,", 1);
    CHECK("0/adm\x01in,", 0);
    CHECK("0/admin\x7f,", 0);
    nsp[0] = '0';
    memset(nsp + 1, 'a', SIO_NSP_MAX + 1);
    nsp[1] = '/';
    nsp[SIO_NSP_MAX + 1] = ',';
    check(nsp, SIO_NSP_MAX + 2, 1);                /* exactly the limit */
    nsp[SIO_NSP_MAX + 1] = 'a';
    nsp[SIO_NSP_MAX + 2] = ',';
    check(nsp, SIO_NSP_MAX + 3, 0);                /* one more */
    CU_ASSERT_EQUAL(sio_parse("2/a,b,[\"x\"]", 11, &p), SYNC_OK);   /* nsp ends at the first ',' */
    CU_ASSERT_EQUAL(p.nsp_len, 2);
    CU_ASSERT_EQUAL(verdict("2/a,b,[\"x\"]", 11), SYNC_EINVAL);
}

static void test_attachments(void)
{
    struct sio_decoder d;
    struct sio_parsed p;
    const char *ten = "510-[\"a\",{\"_placeholder\":true,\"num\":9}]";
    const char *one = "51-[\"a\",{\"_placeholder\":true,\"num\":0}]";
    unsigned i;

    CHECK("511-[\"a\"]", 0);
    CHECK("500-[\"a\"]", 0);
    CHECK("51-[\"a\",{\"_placeholder\":true,\"num\":1.5}]", 0);
    CHECK("51-[\"a\",{\"_placeholder\":true}]", 0);
    CHECK("51-[\"a\",{\"_placeholder\":true,\"num\":0}]", 1);
    CHECK("51-[\"a\",{\"_placeholder\":false,\"num\":7}]", 1);  /* not a placeholder */
    CHECK("61-3[{\"_placeholder\":true,\"num\":0}]", 1);
    CHECK("61-[{\"_placeholder\":true,\"num\":0}]", 0);          /* BINARY_ACK without id */

    /* ten attachments, the most allowed */
    sio_decoder_init(&d);
    CU_ASSERT_EQUAL(sio_decoder_text(&d, ten, strlen(ten), &p), SIO_DEC_MORE);
    for (i = 0; i < 9; i++)
        CU_ASSERT_EQUAL(sio_decoder_binary(&d, "x", 1, MAX_MSG, &p), SIO_DEC_MORE);
    CU_ASSERT_EQUAL(sio_decoder_binary(&d, "", 0, MAX_MSG, &p), SIO_DEC_PACKET);
    CU_ASSERT_EQUAL(p.attachments, 10);
    CU_ASSERT_EQUAL(d.bin_len[9], 0);
    CU_ASSERT_EQUAL(sio_check(&p, NULL), SYNC_OK);
    /* after a complete packet the decoder starts afresh */
    CU_ASSERT_EQUAL(sio_decoder_binary(&d, "x", 1, MAX_MSG, &p), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_decoder_text(&d, "2[\"b\"]", 6, &p), SIO_DEC_PACKET);
    /* text while an attachment is due */
    CU_ASSERT_EQUAL(sio_decoder_text(&d, one, strlen(one), &p), SIO_DEC_MORE);
    CU_ASSERT_EQUAL(sio_decoder_text(&d, "2[\"b\"]", 6, &p), SYNC_EINVAL);
    sio_decoder_reset(&d);
    /* the byte bound counts the header and every attachment */
    CU_ASSERT_EQUAL(sio_decoder_text(&d, ten, strlen(ten), &p), SIO_DEC_MORE);
    CU_ASSERT_EQUAL(sio_decoder_binary(&d, "0123456789", 10, strlen(ten) + 15, &p), SIO_DEC_MORE);
    CU_ASSERT_EQUAL(sio_decoder_binary(&d, "0123456789", 10, strlen(ten) + 15, &p), SYNC_ETOOBIG);
    sio_decoder_reset(&d);
    sio_decoder_reset(&d);                         /* twice is fine */
}

static void test_encode_header(void)
{
    char buf[64];

    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 2, 0, "/", 1, 0, 0), 1);
    CU_ASSERT_STRING_EQUAL(buf, "2");
    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 6, 2, "/a", 2, 1, 15), 8);
    CU_ASSERT_STRING_EQUAL(buf, "62-/a,15");
    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 2, 0, "a", 1, 0, 0), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 2, 0, "/a,b", 4, 0, 0), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 5, 0, "/", 1, 0, 0), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 2, 1, "/", 1, 0, 0), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 7, 0, "/", 1, 0, 0), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_encode_header(buf, sizeof(buf), 2, 0, "/", 1, 1, SIO_ACK_MAX + 1),
                    SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_encode_header(buf, 4, 2, 0, "/abc", 4, 0, 0), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(sio_encode_header(buf, 3, 2, 0, "/", 1, 1, 12345), SYNC_ETOOBIG);
}

static void test_packet_api(void)
{
    struct sio_bin bins[SIO_ATTACH_MAX + 1];
    struct json_object *args;
    struct sio_packet *p = NULL;
    unsigned i;

    for (i = 0; i <= SIO_ATTACH_MAX; i++) {
        bins[i].data = "z";
        bins[i].len = 1;
    }
    CU_ASSERT_EQUAL(sio_packet_new(&p, SIO_EVENT, NULL, -1, "[\"a\"]", 5, bins, 11), SYNC_EINVAL);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_EQUAL(sio_packet_new(&p, SIO_BINARY_EVENT, NULL, -1, "[\"a\"]", 5, NULL, 0),
                    SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_packet_new(&p, SIO_CONNECT, NULL, -1, "{}", 2, bins, 1), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_packet_new(&p, SIO_EVENT, "nope", -1, "[\"a\"]", 5, NULL, 0), SYNC_EINVAL);
    CU_ASSERT_EQUAL(sio_packet_new(&p, SIO_EVENT, NULL, -1, NULL, 3, NULL, 0), SYNC_EINVAL);

    CU_ASSERT_EQUAL_FATAL(sio_packet_new(&p, SIO_ACK, "/x", 3, "[1]", 3, bins, 1), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(p->text, "461-/x,3[1]");
    CU_ASSERT_EQUAL(sio_packet_wire_size(p), p->text_len + 1);
    CU_ASSERT_PTR_EQUAL(sio_packet_ref(p), p);
    CU_ASSERT_EQUAL(p->refs, 2);
    sio_packet_unref(p);
    sio_packet_unref(p);
    sio_packet_unref(NULL);

    args = json_object_new_array();
    json_object_array_add(args, json_object_new_string("a/b"));
    json_object_array_add(args, json_object_new_int(2));
    CU_ASSERT_EQUAL_FATAL(sio_packet_new_event(&p, "/", "file-deleted", args), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(p->text, "42[\"file-deleted\",\"a/b\",2]");
    sio_packet_unref(p);
    CU_ASSERT_EQUAL_FATAL(sio_packet_new_event(&p, "/n", "x", NULL), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(p->text, "42/n,[\"x\"]");
    sio_packet_unref(p);
    CU_ASSERT_EQUAL(sio_packet_new_event(&p, NULL, "x", json_object_array_get_idx(args, 0)),
                    SYNC_EINVAL);
    json_object_put(args);
}

/* Every prefix of every vector, right before a guard page. */
static void test_bounded_reads(void)
{
    struct json_object *list = vec_get("socketio", "packets"), *v, *enc;
    struct guarded g = { NULL, 0, NULL };
    struct sio_parsed p;
    const char *text;
    size_t i, cut, len = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (i = 0; i < json_object_array_length(list); i++) {
        v = json_object_array_get_idx(list, i);
        if (!is_inline(v))
            continue;
        json_object_object_get_ex(v, "socketio_encoded", &enc);
        text = jstr(json_object_array_get_idx(enc, 0), "text", &len);
        for (cut = 0; cut <= len; cut++) {
            CU_ASSERT_EQUAL_FATAL(guard_put(&g, text, cut), 0);
            if (sio_parse(g.data, cut, &p) == SYNC_OK) {
                CU_ASSERT(p.type >= 0 && p.type <= 6);
                CU_ASSERT(p.ack_id <= SIO_ACK_MAX);
                CU_ASSERT(p.json + p.json_len == g.data + cut);
                sio_check(&p, NULL);
            }
            guard_free(&g);
        }
    }
}

int main(void)
{
    static CU_TestInfo vectors[] = {
        { "packets decode to their fields", test_packets_decode },
        { "packets encode to their frames and polling body", test_packets_encode },
        { "json-c writes what JSON.stringify wrote", test_json_c_matches_js },
        { "100 KiB and 10 MiB recipes, by SHA-256", test_large_vectors },
        { "malformed input: verdicts", test_decode_verdicts },
        CU_TEST_INFO_NULL,
    };
    static CU_TestInfo edges[] = {
        { "ack ids: bounds and placement", test_ack_ids },
        { "bad UTF-8 is refused", test_bad_utf8 },
        { "bad JSON is refused", test_bad_json },
        { "namespace bounds", test_namespaces },
        { "attachments: counts, placeholders, reassembly", test_attachments },
        { "header encoding", test_encode_header },
        { "packet constructors and refcounts", test_packet_api },
        { "no read past the input (guard page)", test_bounded_reads },
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        { "sio vectors", vectors_load, vectors_free, NULL, NULL, vectors },
        { "sio edges", vectors_load, vectors_free, NULL, NULL, edges },
        CU_SUITE_INFO_NULL,
    };

    return cutest_run(suites);
}
