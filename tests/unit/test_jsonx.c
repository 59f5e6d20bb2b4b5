/* test_jsonx.c - strict parsing with an explicit length, the errors it
 * reports, serialisation without "\/", escaping round trips, and json-c
 * ownership through the jsonx_add helpers (ASan checks the frees). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "jsonx.h"
#include "limits.h"
#include "rules.h"

static void show(const char *s, size_t len)
{
    size_t i, n = len > 80 ? 80 : len;

    fputc('"', stderr);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputc('"', stderr);
    if (n < len)
        fprintf(stderr, "... (%zu bytes)", len);
}

/* ---- parsing ----------------------------------------------------------- */

/* Parses in; want_type < 0 means failure expected with want_msg in the
 * message; otherwise success with that type (json_type_null: NULL, rc OK). */
static void check_parse(int line, const char *in, size_t len, int want_type, const char *want_msg)
{
    struct sync_err err = { .rc = 12345 };
    json_object *o = jsonx_parse(in, len, &err);
    int ok;

    if (want_type < 0)
        ok = !o && err.rc == SYNC_EINVAL && (!want_msg || strstr(err.msg, want_msg));
    else if (want_type == json_type_null)
        ok = !o && err.rc == SYNC_OK;
    else
        ok = o && err.rc == SYNC_OK && (int)json_object_get_type(o) == want_type;
    if (!ok) {
        fprintf(stderr, "\n  line %d: jsonx_parse(", line);
        show(in, len);
        fprintf(stderr, ") = %s rc %d \"%s\", want %s \"%s\"\n",
                o ? json_type_to_name(json_object_get_type(o)) : "NULL", err.rc, err.msg,
                want_type < 0 ? "failure" : json_type_to_name((enum json_type)want_type),
                want_msg ? want_msg : "");
    }
    CU_ASSERT_TRUE(ok);
    json_object_put(o);
}
#define PARSE_OK(s, type)  check_parse(__LINE__, s, sizeof(s) - 1, type, NULL)
#define PARSE_BAD(s, msg)  check_parse(__LINE__, s, sizeof(s) - 1, -1, msg)

static void test_parse_ok(void)
{
    PARSE_OK("{}", json_type_object);
    PARSE_OK("{\"path\":\"a.md\",\"content\":\"x\"}", json_type_object);
    PARSE_OK(" \n\t{ \"a\" : [1, 2.5, true, false, null] }\r\n ", json_type_object);
    PARSE_OK("[]", json_type_array);
    PARSE_OK("\"str\"", json_type_string);
    PARSE_OK("12", json_type_int);
    PARSE_OK("-0", json_type_int);
    PARSE_OK("1.5e3", json_type_double);
    PARSE_OK("true", json_type_boolean);
    PARSE_OK(" false ", json_type_boolean);
    PARSE_OK("null", json_type_null);
    PARSE_OK("\"\\u00e9\\ud83d\\ude00\"", json_type_string);
}

static void test_parse_truncated(void)
{
    PARSE_BAD("{", "truncated JSON");
    PARSE_BAD("{\"a\"", "truncated JSON");
    PARSE_BAD("{\"a\":", "truncated JSON");
    PARSE_BAD("{\"a\":\"b", "truncated JSON");
    PARSE_BAD("{\"a\":\"b\"", "truncated JSON");
    PARSE_BAD("[1,2", "truncated JSON");
    PARSE_BAD("\"abc", "truncated JSON");
    PARSE_BAD("\"abc\\", "truncated JSON");
    PARSE_BAD("\"\\u00", "truncated JSON");
    PARSE_BAD("nul", "truncated JSON");
    PARSE_BAD("tr", "truncated JSON");
    PARSE_BAD("-", "truncated JSON");
    /* the length is respected: a complete document cut short */
    check_parse(__LINE__, "{\"a\":1}", 6, -1, "truncated JSON");
    check_parse(__LINE__, "true", 3, -1, "truncated JSON");
}

static void test_parse_trailing(void)
{
    PARSE_BAD("{} x", "invalid JSON at byte 3: unexpected data after the value");
    PARSE_BAD("{}x", "invalid JSON at byte 2: unexpected data after the value");
    PARSE_BAD("{\"a\":1}}", "byte 7: unexpected data after the value");
    PARSE_BAD("[1]]", "unexpected data after the value");
    PARSE_BAD("1 2", "unexpected data after the value");
    PARSE_BAD("\"a\" \"b\"", "unexpected data after the value");
    PARSE_BAD("{}{}", "unexpected data after the value");
    PARSE_BAD("{}\0", "unexpected data after the value");
    PARSE_BAD("{}\0garbage", "unexpected data after the value");
    PARSE_BAD("null x", "unexpected data after the value");
}

static void test_parse_invalid(void)
{
    PARSE_BAD("", "empty JSON");
    PARSE_BAD("  \n ", "empty JSON");
    PARSE_BAD("['a']", "invalid JSON at byte 1");
    PARSE_BAD("{\"a\":'b'}", "invalid JSON at byte 5");
    PARSE_BAD("[1,]", "invalid JSON at byte 3");
    PARSE_BAD("{\"a\":1,}", "invalid JSON at byte 7");
    PARSE_BAD("{a:1}", "invalid JSON at byte 1");
    PARSE_BAD("[tRue]", "invalid JSON");
    PARSE_BAD("\"\\x41\"", "invalid JSON");
    PARSE_BAD("/* c */ 1", "invalid JSON");
    PARSE_BAD("01", NULL);
    PARSE_BAD("[01]", "invalid JSON");
    PARSE_BAD("[NaN]", "NaN, Infinity");
    PARSE_BAD("{\"a\":Infinity}", "NaN, Infinity");
    PARSE_BAD("{\"a\":[-Infinity]}", "NaN, Infinity");
    PARSE_BAD("[1e999]", "NaN, Infinity");
    PARSE_BAD("NaN", "NaN, Infinity");
}

static void test_parse_utf8(void)
{
    PARSE_OK("\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8\"", json_type_string);
    PARSE_BAD("\"\xff\"", "invalid JSON at byte 1: not valid UTF-8");
    PARSE_BAD("{\"\xff\":1}", "invalid JSON at byte 2: not valid UTF-8");
    PARSE_BAD("\"\xc0\xaf\"", "not valid UTF-8");               /* overlong */
    PARSE_BAD("\"\xe0\x80\xaf\"", "not valid UTF-8");
    PARSE_BAD("\"\xed\xa0\x80\"", "not valid UTF-8");           /* surrogate */
    PARSE_BAD("\"\xf4\x90\x80\x80\"", "not valid UTF-8");       /* > U+10FFFF */
    PARSE_BAD("\"\xf5\x80\x80\x80\"", "not valid UTF-8");
    PARSE_BAD("\"ab\xe2\x82\"", "invalid JSON at byte 3: not valid UTF-8");   /* truncated */
    PARSE_BAD("[\"ok\", \"\xc3\"]", "invalid JSON at byte 8: not valid UTF-8");
}

static void test_parse_depth(void)
{
    char buf[200];
    int d;

    for (d = 1; d <= 34; d++) {
        memset(buf, '[', (size_t)d);
        memset(buf + d, ']', (size_t)d);
        check_parse(__LINE__, buf, 2 * (size_t)d, d <= SYNC_JSON_MAX_DEPTH ? json_type_array : -1,
                    d <= SYNC_JSON_MAX_DEPTH ? NULL : "nesting too deep");
    }
    /* json-c counts a scalar leaf as a level: 32 objects around a number
     * are 33 levels, 31 are 32 */
    {
        size_t o = 0;
        for (d = 0; d < 32; d++) {
            memcpy(buf + o, "{\"a\":", 5);
            o += 5;
        }
        buf[o++] = '1';
        memset(buf + o, '}', 32);
        o += 32;
        check_parse(__LINE__, buf, o, -1, "nesting too deep");
        check_parse(__LINE__, buf + 5, o - 6, json_type_object, NULL);
    }
}

static void test_parse_too_large(void)
{
    struct sync_err err = { 0 };
    static const char tiny[] = "{}";

    /* refused before a byte is read (json-c takes an int length) */
    CU_ASSERT_PTR_NULL(jsonx_parse(tiny, (size_t)INT32_MAX, &err));
    CU_ASSERT_EQUAL(err.rc, SYNC_ETOOBIG);
    CU_ASSERT_PTR_NULL(jsonx_parse(tiny, SIZE_MAX, &err));
    CU_ASSERT_EQUAL(err.rc, SYNC_ETOOBIG);
    CU_ASSERT_PTR_NULL(jsonx_parse(NULL, 0, &err));
    CU_ASSERT_EQUAL(err.rc, SYNC_EINVAL);
}

/* "\u0000" parses into a string holding a NUL; rules_check_content refuses it. */
static void test_parse_nul_escape(void)
{
    static const char in[] = "{\"path\":\"a.md\",\"content\":\"a\\u0000b\"}";
    struct sync_err err = { 0 };
    json_object *o = jsonx_parse_object(in, sizeof(in) - 1, &err);
    const char *s = NULL;
    size_t len = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "content", &s, &len), SYNC_OK);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_EQUAL(memcmp(s, "a\0b", 3), 0);
    CU_ASSERT_EQUAL(rules_check_content(s, len, &err), SYNC_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "content contains a NUL character");
    json_object_put(o);
}

static void check_parse_object(int line, const char *in, const char *want_msg)
{
    struct sync_err err = { 0 };
    json_object *o = jsonx_parse_object(in, strlen(in), &err);
    int ok = want_msg ? (!o && err.rc == SYNC_EINVAL && strstr(err.msg, want_msg) != NULL)
                      : (o && json_object_is_type(o, json_type_object));

    if (!ok)
        fprintf(stderr, "\n  line %d: jsonx_parse_object(\"%s\") = %p \"%s\"\n", line, in,
                (void *)o, err.msg);
    CU_ASSERT_TRUE(ok);
    json_object_put(o);
}

static void test_parse_object(void)
{
    check_parse_object(__LINE__, "{\"a\":1}", NULL);
    check_parse_object(__LINE__, "null", "expected a JSON object, got null");
    check_parse_object(__LINE__, "[]", "expected a JSON object, got array");
    check_parse_object(__LINE__, "\"s\"", "expected a JSON object, got string");
    check_parse_object(__LINE__, "12", "expected a JSON object, got int");
    check_parse_object(__LINE__, "{", "truncated JSON");
    check_parse_object(__LINE__, "{}x", "unexpected data after the value");
}

/* ---- members ----------------------------------------------------------- */

static void test_get_str(void)
{
    static const char in[] =
        "{\"s\":\"hello\",\"e\":\"\",\"n\":null,\"i\":5,\"o\":{},\"a\":[\"x\"],\"b\":false}";
    json_object *o = jsonx_parse(in, sizeof(in) - 1, NULL);
    const char *s = (const char *)1;
    size_t len = 99;

    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "s", &s, &len), SYNC_OK);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_STRING_EQUAL(s, "hello");
    CU_ASSERT_EQUAL(jsonx_get_str(o, "e", &s, &len), SYNC_OK);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "missing", &s, &len), SYNC_ENOTFOUND);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "n", &s, &len), SYNC_EINVAL);     /* null is not a string */
    CU_ASSERT_EQUAL(jsonx_get_str(o, "i", &s, &len), SYNC_EINVAL);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "o", &s, &len), SYNC_EINVAL);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "a", &s, &len), SYNC_EINVAL);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "b", &s, &len), SYNC_EINVAL);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "s", &s, NULL), SYNC_OK);         /* len optional */
    CU_ASSERT_EQUAL(jsonx_get_str(json_object_object_get(o, "a"), "s", &s, &len), SYNC_EINVAL);
    CU_ASSERT_EQUAL(jsonx_get_str(NULL, "s", &s, &len), SYNC_EINVAL);
    json_object_put(o);
}

static void test_only_keys(void)
{
    static const char *const allowed[] = { "path", "content", NULL };
    static const char *const none[] = { NULL };
    static const char in[] = "{\"path\":\"a\",\"content\":\"b\"}";
    static const char extra[] = "{\"path\":\"a\",\"contents\":\"b\"}";
    json_object *a = jsonx_parse(in, sizeof(in) - 1, NULL);
    json_object *b = jsonx_parse(extra, sizeof(extra) - 1, NULL);
    json_object *e = json_object_new_object();
    json_object *arr = json_object_new_array();
    const char *bad = "x";

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(jsonx_only_keys(a, allowed, &bad), 0);
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_EQUAL(jsonx_only_keys(b, allowed, &bad), -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    CU_ASSERT_STRING_EQUAL(bad, "contents");
    CU_ASSERT_EQUAL(jsonx_only_keys(e, none, &bad), 0);
    CU_ASSERT_EQUAL(jsonx_only_keys(a, none, &bad), -1);
    CU_ASSERT_STRING_EQUAL(bad, "path");
    CU_ASSERT_EQUAL(jsonx_only_keys(arr, allowed, &bad), -1);
    CU_ASSERT_PTR_NULL(bad);
    json_object_put(a);
    json_object_put(b);
    json_object_put(e);
    json_object_put(arr);
}

/* ---- building and serialising ------------------------------------------ */

static void check_text(int line, json_object *o, const char *want)
{
    size_t len = 0;
    const char *s = jsonx_text(o, &len);
    int ok = s && len == strlen(want) && memcmp(s, want, len) == 0;

    if (!ok) {
        fprintf(stderr, "\n  line %d: jsonx_text = ", line);
        show(s ? s : "", s ? len : 0);
        fprintf(stderr, ", want %s\n", want);
    }
    CU_ASSERT_TRUE(ok);
}

static void test_build(void)
{
    json_object *o = json_object_new_object();

    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(jsonx_add_cstr(o, "path", "dir/note.md"), 0);
    CU_ASSERT_EQUAL(jsonx_add_str(o, "hash", "sha256:abcdef", 6), 0);   /* len respected */
    CU_ASSERT_EQUAL(jsonx_add_int(o, "size", 10485760), 0);
    CU_ASSERT_EQUAL(jsonx_add_int(o, "big", INT64_MAX), 0);
    CU_ASSERT_EQUAL(jsonx_add_int(o, "neg", -1), 0);
    CU_ASSERT_EQUAL(jsonx_add_bool(o, "isBinary", 0), 0);
    CU_ASSERT_EQUAL(jsonx_add_bool(o, "yes", 42), 0);
    CU_ASSERT_EQUAL(jsonx_add_cstr(o, "extension", NULL), 0);
    CU_ASSERT_EQUAL(jsonx_add_str(o, "expiresAt", NULL, 0), 0);
    CU_ASSERT_EQUAL(jsonx_add(o, "nested", json_object_new_array()), 0);
    check_text(__LINE__, o,
               "{\"path\":\"dir/note.md\",\"hash\":\"sha256\",\"size\":10485760,"
               "\"big\":9223372036854775807,\"neg\":-1,\"isBinary\":false,\"yes\":true,"
               "\"extension\":null,\"expiresAt\":null,\"nested\":[]}");
    /* adding a key again replaces its value (the old one is freed) */
    CU_ASSERT_EQUAL(jsonx_add_int(o, "size", 1), 0);
    CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(o, "size")), 1);
    CU_ASSERT_EQUAL(json_object_object_length(o), 10);
    json_object_put(o);
    check_text(__LINE__, NULL, "null");
}

/* A failed add frees the value: ASan's leak check fails the run otherwise. */
static void test_add_ownership(void)
{
    json_object *arr = json_object_new_array();
    json_object *o = json_object_new_object();

    CU_ASSERT_EQUAL(jsonx_add(arr, "k", json_object_new_string("leak?")), -1);
    CU_ASSERT_EQUAL(jsonx_add(NULL, "k", json_object_new_object()), -1);
    CU_ASSERT_EQUAL(jsonx_add(o, NULL, json_object_new_int(1)), -1);
    CU_ASSERT_EQUAL(jsonx_add_cstr(arr, "k", "v"), -1);
    CU_ASSERT_EQUAL(jsonx_add_int(arr, "k", 1), -1);
    CU_ASSERT_EQUAL(jsonx_add_bool(arr, "k", 1), -1);
    CU_ASSERT_EQUAL(jsonx_add_str(o, "k", "v", (size_t)INT32_MAX), -1);   /* too long for json-c */
    CU_ASSERT_EQUAL(json_object_array_length(arr), 0);
    CU_ASSERT_EQUAL(json_object_object_length(o), 0);
    json_object_put(arr);
    json_object_put(o);
}

/* Serialises s as {"c":s}, checks the text against want (NULL: unchecked),
 * parses it back and compares the bytes. */
static void check_roundtrip(int line, const char *s, size_t len, const char *want)
{
    json_object *o = json_object_new_object();
    json_object *back;
    struct sync_err err = { 0 };
    const char *txt, *got = NULL;
    size_t tlen = 0, glen = 0;
    int ok;

    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL_FATAL(jsonx_add_str(o, "c", s, len), 0);
    txt = jsonx_text(o, &tlen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    if (want) {
        ok = tlen == strlen(want) && memcmp(txt, want, tlen) == 0;
        if (!ok) {
            fprintf(stderr, "\n  line %d: serialised ", line);
            show(txt, tlen);
            fprintf(stderr, ", want %s\n", want);
        }
        CU_ASSERT_TRUE(ok);
    }
    back = jsonx_parse_object(txt, tlen, &err);
    if (!back)
        fprintf(stderr, "\n  line %d: parse back failed: %s\n", line, err.msg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(jsonx_get_str(back, "c", &got, &glen), SYNC_OK);
    ok = got && glen == len && memcmp(got, s, len) == 0;
    if (!ok) {
        fprintf(stderr, "\n  line %d: round trip of ", line);
        show(s, len);
        fprintf(stderr, " gave %zu bytes\n", glen);
    }
    CU_ASSERT_TRUE(ok);
    json_object_put(back);
    json_object_put(o);
}
#define ROUNDTRIP(s, want) check_roundtrip(__LINE__, s, sizeof(s) - 1, want)

static void test_escaping(void)
{
    ROUNDTRIP("plain", "{\"c\":\"plain\"}");
    ROUNDTRIP("", "{\"c\":\"\"}");
    ROUNDTRIP("a/b/c", "{\"c\":\"a/b/c\"}");                     /* '/' not escaped */
    ROUNDTRIP("</script>", "{\"c\":\"</script>\"}");
    ROUNDTRIP("say \"hi\"", "{\"c\":\"say \\\"hi\\\"\"}");
    ROUNDTRIP("C:\\dir\\", "{\"c\":\"C:\\\\dir\\\\\"}");
    ROUNDTRIP("l1\nl2\r\n\tx", "{\"c\":\"l1\\nl2\\r\\n\\tx\"}");
    ROUNDTRIP("\x01\x1f", "{\"c\":\"\\u0001\\u001f\"}");
    ROUNDTRIP("\b\f", "{\"c\":\"\\b\\f\"}");
    ROUNDTRIP("del\x7f", "{\"c\":\"del\x7f\"}");
    ROUNDTRIP("\xe2\x80\xa8\xe2\x80\xa9", "{\"c\":\"\xe2\x80\xa8\xe2\x80\xa9\"}");   /* U+2028/9 raw */
    ROUNDTRIP("\xf0\x9f\x98\x80 caf\xc3\xa9", "{\"c\":\"\xf0\x9f\x98\x80 caf\xc3\xa9\"}");
    ROUNDTRIP("nel\xc2\x85", "{\"c\":\"nel\xc2\x85\"}");
    ROUNDTRIP("a\0b", "{\"c\":\"a\\u0000b\"}");                  /* NUL survives as \u0000 */
}

/* 10 MiB strings: plain, all quotes, and a mix of every ASCII byte and
 * multibyte characters. */
static void test_escaping_large(void)
{
    size_t n = SYNC_CONTENT_MAX, i;
    char *s = malloc(n);
    json_object *o;
    size_t tlen = 0;
    static const char *const mix[] = {
        "\"", "\\", "/", "\n", "\t", "\x01", "\x7f", "\xe2\x80\xa8", "\xf0\x9f\x98\x80",
        "\xc3\xa9", "abc", " ", "\r\n", "<>", "\x1b[0m",
    };
    size_t m = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    memset(s, 'x', n);
    check_roundtrip(__LINE__, s, n, NULL);

    memset(s, '"', n);
    o = json_object_new_object();
    CU_ASSERT_EQUAL_FATAL(jsonx_add_str(o, "c", s, n), 0);
    CU_ASSERT_PTR_NOT_NULL(jsonx_text(o, &tlen));
    CU_ASSERT_EQUAL(tlen, 2 * n + 8);       /* {"c":"..."}: every quote doubled */
    json_object_put(o);
    check_roundtrip(__LINE__, s, n, NULL);

    i = 0;
    while (i < n) {
        const char *piece = mix[m++ % (sizeof(mix) / sizeof(mix[0]))];
        size_t pl = strlen(piece);
        if (pl > n - i)
            pl = 0;
        if (pl == 0) {
            memset(s + i, 'y', n - i);
            break;
        }
        memcpy(s + i, piece, pl);
        i += pl;
    }
    CU_ASSERT_TRUE(utf8_valid(s, n));
    check_roundtrip(__LINE__, s, n, NULL);
    free(s);
}

static CU_TestInfo parse_tests[] = {
    { "valid documents", test_parse_ok },
    { "truncated input", test_parse_truncated },
    { "trailing garbage", test_parse_trailing },
    { "invalid JSON", test_parse_invalid },
    { "invalid UTF-8", test_parse_utf8 },
    { "depth cap: 32 ok, 33 refused", test_parse_depth },
    { "length >= INT_MAX refused", test_parse_too_large },
    { "\\u0000 parses, content rule refuses", test_parse_nul_escape },
    { "jsonx_parse_object", test_parse_object },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo member_tests[] = {
    { "jsonx_get_str", test_get_str },
    { "jsonx_only_keys", test_only_keys },
    { "building objects and serialising", test_build },
    { "failed adds free the value", test_add_ownership },
    { "escaping of odd strings, round trip", test_escaping },
    { "10 MiB strings, round trip", test_escaping_large },
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    { "jsonx_parse", NULL, NULL, NULL, NULL, parse_tests },
    { "jsonx build", NULL, NULL, NULL, NULL, member_tests },
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return cutest_run(suites);
}
