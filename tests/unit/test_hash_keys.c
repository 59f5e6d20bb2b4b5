/* test_hash_keys.c - SHA-256 (NIST vectors), hash forms, constant-time
 * comparison, API key generation and shape, permission lists. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "hash.h"
#include "keys.h"
#include "limits.h"

/* ---- SHA-256 ----------------------------------------------------------- */

static void check_sha(int line, const void *data, size_t len, const char *want)
{
    char hex[65], full[72];

    memset(hex, 'X', sizeof(hex));
    hash_hex(data, len, hex);
    if (strcmp(hex, want) != 0)
        fprintf(stderr, "\n  line %d: hash_hex(%zu bytes) = %s, want %s\n", line, len, hex, want);
    CU_ASSERT_STRING_EQUAL(hex, want);
    hash_content(data, len, full);
    CU_ASSERT_EQUAL(strlen(full), SYNC_HASH_LEN);
    CU_ASSERT_EQUAL(memcmp(full, "sha256:", 7), 0);
    CU_ASSERT_STRING_EQUAL(full + 7, want);
    CU_ASSERT_TRUE(hash_is_valid(full, strlen(full)));
}
#define SHA(s, want) check_sha(__LINE__, s, sizeof(s) - 1, want)

static void test_sha256_nist(void)
{
    SHA("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    SHA("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    SHA("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    SHA("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
        "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    SHA("a\0b", "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
}

static void test_sha256_million(void)
{
    size_t n = 1000000;
    char *a = malloc(n);

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    memset(a, 'a', n);
    check_sha(__LINE__, a, n, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void test_sha256_null_empty(void)
{
    char hex[65];

    hash_hex(NULL, 0, hex);     /* an empty body may arrive as NULL */
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void check_valid(int line, const char *s, bool want)
{
    bool got = hash_is_valid(s, strlen(s));
    if (got != want)
        fprintf(stderr, "\n  line %d: hash_is_valid(\"%s\") = %d\n", line, s, got);
    CU_ASSERT_EQUAL(got, want);
}
#define HASH_OK(s)  check_valid(__LINE__, s, true)
#define HASH_BAD(s) check_valid(__LINE__, s, false)

static void test_hash_is_valid(void)
{
    HASH_OK("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    HASH_OK("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    HASH_BAD("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    HASH_BAD("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    HASH_BAD("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85");
    HASH_BAD("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555");
    HASH_BAD("sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    HASH_BAD("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    HASH_BAD("SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    HASH_BAD("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ");
    HASH_BAD("");
    CU_ASSERT_FALSE(hash_is_valid(NULL, 0));
}

static void check_eq(int line, const char *a, size_t al, const char *b, size_t bl, bool want)
{
    bool got = hash_equal_ct(a, al, b, bl);
    if (got != want)
        fprintf(stderr, "\n  line %d: hash_equal_ct(\"%.*s\", \"%.*s\") = %d\n", line, (int)al, a,
                (int)bl, b, got);
    CU_ASSERT_EQUAL(got, want);
}
#define EQ(a, b, want) check_eq(__LINE__, a, sizeof(a) - 1, b, sizeof(b) - 1, want)

static void test_equal_ct(void)
{
    EQ("", "", true);
    EQ("abc", "abc", true);
    EQ("sk_admin_0123456789abcdef0123456789", "sk_admin_0123456789abcdef0123456789", true);
    EQ("abc", "abd", false);
    EQ("xbc", "abc", false);
    EQ("abc", "abcd", false);           /* a prefix is not equal */
    EQ("abcd", "abc", false);
    EQ("", "a", false);
    EQ("a", "", false);
    EQ("a\0b", "a\0c", false);          /* bytes after a NUL count */
    EQ("a\0b", "a\0b", true);
}

/* ---- keys -------------------------------------------------------------- */

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* The random part decodes to 24 bytes that OpenSSL's base64 (with the URL
 * alphabet swapped in) encodes back to the same 32 characters. */
static void check_b64url(const char *s)
{
    unsigned char raw[SYNC_KEY_RANDOM_BYTES];
    unsigned char enc[64];
    size_t i;
    int n;

    for (i = 0; i < 32; i += 4) {
        int a = b64url_value(s[i]), b = b64url_value(s[i + 1]);
        int c = b64url_value(s[i + 2]), d = b64url_value(s[i + 3]);
        unsigned v;
        CU_ASSERT_FATAL(a >= 0 && b >= 0 && c >= 0 && d >= 0);
        v = ((unsigned)a << 18) | ((unsigned)b << 12) | ((unsigned)c << 6) | (unsigned)d;
        raw[i / 4 * 3] = (unsigned char)(v >> 16);
        raw[i / 4 * 3 + 1] = (unsigned char)(v >> 8);
        raw[i / 4 * 3 + 2] = (unsigned char)v;
    }
    n = EVP_EncodeBlock(enc, raw, (int)sizeof(raw));
    CU_ASSERT_EQUAL_FATAL(n, 32);
    for (i = 0; i < 32; i++) {
        if (enc[i] == '+')
            enc[i] = '-';
        else if (enc[i] == '/')
            enc[i] = '_';
    }
    CU_ASSERT_EQUAL(memcmp(enc, s, 32), 0);
}

static void test_key_generate_form(void)
{
    struct sync_err err = { 0 };
    char key[SYNC_KEY_MAX + 1];
    char hex[65], hex2[65], prefix[SYNC_KEY_PREFIX_LEN + 1];
    size_t i;

    CU_ASSERT_EQUAL_FATAL(key_generate("123E4567-e89b-12d3-a456-426614174000", key, &err), SYNC_OK);
    CU_ASSERT_EQUAL(strlen(key), 48);
    CU_ASSERT_EQUAL(strncmp(key, "sk_store_123e45_", 16), 0);
    for (i = 16; i < 48; i++)
        CU_ASSERT_TRUE(b64url_value(key[i]) >= 0);
    CU_ASSERT_TRUE(key_is_store_form(key, strlen(key)));
    CU_ASSERT_FALSE(key_is_admin_form(key, strlen(key)));
    check_b64url(key + 16);

    /* only the hash is stored: key_hash is the SHA-256 hex of the whole key */
    key_hash(key, strlen(key), hex);
    hash_hex(key, strlen(key), hex2);
    CU_ASSERT_STRING_EQUAL(hex, hex2);
    CU_ASSERT_EQUAL(strlen(hex), 64);
    key_hash("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 48, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba17a465d8a3e55274e143d1c3f85514432ff2f1055b50efbb2d6714127df372");

    key_prefix(key, strlen(key), prefix);
    CU_ASSERT_STRING_EQUAL(prefix, "sk_store_123e45_");
    key_prefix("short", 5, prefix);
    CU_ASSERT_STRING_EQUAL(prefix, "short");
    key_prefix("", 0, prefix);
    CU_ASSERT_STRING_EQUAL(prefix, "");
}

static void test_key_generate_bad_store(void)
{
    struct sync_err err = { 0 };
    char key[SYNC_KEY_MAX + 1];

    CU_ASSERT_EQUAL(key_generate("not-a-uuid", key, &err), SYNC_EINVAL);
    CU_ASSERT_STRING_EQUAL(key, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "store id"));
    CU_ASSERT_EQUAL(key_generate("123e4567e89b12d3a456426614174000", key, &err), SYNC_EINVAL);
    CU_ASSERT_EQUAL(key_generate("", key, &err), SYNC_EINVAL);
    CU_ASSERT_EQUAL(key_generate(NULL, key, &err), SYNC_EINVAL);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_key_unique(void)
{
    enum { N = 1000 };
    char (*keys)[SYNC_KEY_MAX + 1] = calloc(N, sizeof(*keys));
    struct sync_err err = { 0 };
    int seen[64] = { 0 };
    size_t i, j, dups = 0, bad = 0, missing = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(keys);
    for (i = 0; i < N; i++) {
        CU_ASSERT_EQUAL_FATAL(key_generate("abcdef01-2345-6789-abcd-ef0123456789", keys[i], &err),
                              SYNC_OK);
        if (!key_is_store_form(keys[i], strlen(keys[i])))
            bad++;
        for (j = 16; j < 48; j++)
            seen[b64url_value(keys[i][j]) & 63]++;
    }
    qsort(keys, N, sizeof(*keys), cmp_keys);
    for (i = 1; i < N; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            dups++;
    /* 32,000 random characters: every one of the 64 appears (missing one has
     * probability about 64 * (63/64)^32000, i.e. never) */
    for (i = 0; i < 64; i++)
        if (!seen[i])
            missing++;
    if (dups || bad || missing)
        fprintf(stderr, "\n  %zu duplicates, %zu malformed, %zu alphabet characters never used\n",
                dups, bad, missing);
    CU_ASSERT_EQUAL(dups, 0);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(missing, 0);
    free(keys);
}

static void check_store_form(int line, const char *k, bool want)
{
    bool got = key_is_store_form(k, strlen(k));
    if (got != want)
        fprintf(stderr, "\n  line %d: key_is_store_form(\"%s\") = %d\n", line, k, got);
    CU_ASSERT_EQUAL(got, want);
}
#define STORE_OK(k)  check_store_form(__LINE__, k, true)
#define STORE_BAD(k) check_store_form(__LINE__, k, false)

static void test_key_store_form(void)
{
    STORE_OK("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    STORE_OK("sk_store_abcdef_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_");
    STORE_OK("sk_store_000000_zZ09zZ09zZ09zZ09zZ09zZ09zZ09zZ09");
    STORE_BAD("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");     /* 47 */
    STORE_BAD("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");   /* 49 */
    STORE_BAD("sk_store_123E45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");    /* upper-case id */
    STORE_BAD("sk_store_123g45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    STORE_BAD("sk_store_123e45-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    STORE_BAD("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+");
    STORE_BAD("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/");
    STORE_BAD("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    STORE_BAD("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ");
    STORE_BAD("sk_stor3_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    STORE_BAD("SK_STORE_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    STORE_BAD("sk_admin_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    STORE_BAD("sk_store_");
    STORE_BAD("");
    CU_ASSERT_FALSE(key_is_store_form("sk_store_123e45_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 47));
    CU_ASSERT_FALSE(key_is_store_form(NULL, 0));
}

static void check_admin_form(int line, const char *k, size_t len, bool want)
{
    bool got = key_is_admin_form(k, len);
    if (got != want)
        fprintf(stderr, "\n  line %d: key_is_admin_form(\"%.*s\") = %d\n", line, (int)len, k, got);
    CU_ASSERT_EQUAL(got, want);
}
#define ADMIN_OK(k)  check_admin_form(__LINE__, k, sizeof(k) - 1, true)
#define ADMIN_BAD(k) check_admin_form(__LINE__, k, sizeof(k) - 1, false)

static void test_key_admin_form(void)
{
    char big[SYNC_ADMIN_KEY_MAX + 2];

    ADMIN_OK("sk_admin_0123456789abcdefghijklm");              /* 32 */
    ADMIN_OK("sk_admin_0123456789abcdef0123456789abcdef0123456789abcdef");
    ADMIN_OK("sk_admin_!#$%&'()*+,-./:;<=>?@[]^_`{|}~xxxxxx");
    ADMIN_BAD("sk_admin_0123456789abcdefghijkl");              /* 31 */
    ADMIN_BAD("sk_admin_0123456789abcdef ghijklm");            /* space */
    ADMIN_BAD("sk_admin_0123456789abcdef\tghijklm");
    ADMIN_BAD("sk_admin_0123456789abcdef\x7fghijklm");
    ADMIN_BAD("sk_admin_0123456789abcdef\xc3\xa9ghijklm");
    ADMIN_BAD("SK_ADMIN_0123456789abcdefghijklm");
    ADMIN_BAD("sk_store_0123456789abcdefghijklm");
    ADMIN_BAD("admin_0123456789abcdefghijklmnopqr");
    ADMIN_BAD("");
    memset(big, 'k', sizeof(big));
    memcpy(big, "sk_admin_", 9);
    check_admin_form(__LINE__, big, SYNC_ADMIN_KEY_MAX, true);
    check_admin_form(__LINE__, big, SYNC_ADMIN_KEY_MAX + 1, false);
    big[40] = '\0';                     /* a NUL inside the length */
    check_admin_form(__LINE__, big, 64, false);
}

/* ---- permissions ------------------------------------------------------- */

static void check_perms(int line, const char *s, int want_rc, unsigned want, const char *want_msg)
{
    struct sync_err err = { 0 };
    unsigned bits = 99;
    int rc = perm_parse_list(s, strlen(s), &bits, &err);
    int ok = rc == want_rc && (rc != SYNC_OK || bits == want) && (rc == SYNC_OK || bits == 0) &&
             (!want_msg || strstr(err.msg, want_msg));

    if (!ok)
        fprintf(stderr, "\n  line %d: perm_parse_list(\"%s\") = %d bits %u \"%s\"\n", line, s, rc,
                bits, rc ? err.msg : "");
    CU_ASSERT_TRUE(ok);
}
#define PERMS(s, bits)     check_perms(__LINE__, s, SYNC_OK, bits, NULL)
#define PERMS_BAD(s, msg)  check_perms(__LINE__, s, SYNC_EINVAL, 0, msg)

static void test_perm_parse(void)
{
    PERMS("read", PERM_READ);
    PERMS("write", PERM_WRITE);
    PERMS("read,write", PERM_READ | PERM_WRITE);
    PERMS("settings_write,read", PERM_SETTINGS_WRITE | PERM_READ);
    PERMS("read,write,settings_read,settings_write", 15);
    PERMS_BAD("", "no permissions given");
    PERMS_BAD(",", "permission 1 is empty");
    PERMS_BAD("read,", "permission 2 is empty");
    PERMS_BAD(",read", "permission 1 is empty");
    PERMS_BAD("read,,write", "permission 2 is empty");
    PERMS_BAD("read, write", "unknown permission ' write'");
    PERMS_BAD("READ", "unknown permission 'READ'");
    PERMS_BAD("admin", "unknown permission 'admin'");
    PERMS_BAD("settings", "unknown permission 'settings'");
    PERMS_BAD("read,read", "permission 'read' is listed twice");
    PERMS_BAD("write,read,write", "permission 'write' is listed twice");
    PERMS_BAD("readx", "unknown permission");
    PERMS_BAD("rea", "unknown permission");
    CU_ASSERT_EQUAL(perm_from_name("settings_read", 13), PERM_SETTINGS_READ);
    CU_ASSERT_EQUAL(perm_from_name("settings_read", 8), 0);     /* "settings" */
    CU_ASSERT_EQUAL(perm_from_name("read", 3), 0);
    CU_ASSERT_EQUAL(perm_from_name(NULL, 0), 0);
}

static void check_pg(int line, unsigned bits, const char *want)
{
    char out[64];
    perm_to_pg_array(bits, out);
    if (strcmp(out, want) != 0)
        fprintf(stderr, "\n  line %d: perm_to_pg_array(%u) = %s, want %s\n", line, bits, out, want);
    CU_ASSERT_STRING_EQUAL(out, want);
}

static void test_perm_pg_array(void)
{
    unsigned b;

    check_pg(__LINE__, 0, "{}");
    check_pg(__LINE__, PERM_READ, "{read}");
    check_pg(__LINE__, PERM_WRITE | PERM_READ, "{read,write}");
    check_pg(__LINE__, PERM_SETTINGS_WRITE | PERM_WRITE, "{write,settings_write}");
    check_pg(__LINE__, 15, "{read,write,settings_read,settings_write}");
    check_pg(__LINE__, 16 | PERM_READ, "{read}");             /* unknown bits dropped */
    CU_ASSERT_EQUAL(perm_from_pg_array("{read,write}"), PERM_READ | PERM_WRITE);
    CU_ASSERT_EQUAL(perm_from_pg_array("{settings_read}"), PERM_SETTINGS_READ);
    CU_ASSERT_EQUAL(perm_from_pg_array("{\"read\",\"settings_write\"}"),
                    PERM_READ | PERM_SETTINGS_WRITE);
    CU_ASSERT_EQUAL(perm_from_pg_array("{read,bogus}"), PERM_READ);
    CU_ASSERT_EQUAL(perm_from_pg_array("{}"), 0);
    CU_ASSERT_EQUAL(perm_from_pg_array("read,write"), 0);
    CU_ASSERT_EQUAL(perm_from_pg_array("{read"), 0);
    CU_ASSERT_EQUAL(perm_from_pg_array(""), 0);
    CU_ASSERT_EQUAL(perm_from_pg_array(NULL), 0);
    for (b = 0; b < 16; b++) {
        char out[64];
        perm_to_pg_array(b, out);
        if (perm_from_pg_array(out) != b)
            fprintf(stderr, "\n  round trip of %u via %s failed\n", b, out);
        CU_ASSERT_EQUAL(perm_from_pg_array(out), b);
    }
}

static CU_TestInfo hash_tests[] = {
    { "SHA-256 NIST vectors", test_sha256_nist },
    { "SHA-256 of a million 'a'", test_sha256_million },
    { "SHA-256 of NULL, 0", test_sha256_null_empty },
    { "hash_is_valid", test_hash_is_valid },
    { "hash_equal_ct", test_equal_ct },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo key_tests[] = {
    { "generated key form, hash and prefix", test_key_generate_form },
    { "bad store id", test_key_generate_bad_store },
    { "1000 keys unique, full alphabet", test_key_unique },
    { "store key shape", test_key_store_form },
    { "admin key shape", test_key_admin_form },
    { "permission list parsing", test_perm_parse },
    { "permission PostgreSQL arrays", test_perm_pg_array },
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    { "hash", NULL, NULL, NULL, NULL, hash_tests },
    { "keys", NULL, NULL, NULL, NULL, key_tests },
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return cutest_run(suites);
}
