/* hash.c - SHA-256 through OpenSSL's EVP interface, lowercase hex, and
 * constant-time comparison. */
#include "hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define HASH_PREFIX     "sha256:"
#define HASH_PREFIX_LEN 7
#define HASH_HEX_LEN    64

static const char hexdigits[] = "0123456789abcdef";

void hash_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    static const unsigned char empty;

    /* EVP_Digest only fails when OpenSSL cannot allocate; an empty string
     * then never matches a real hash, so nothing authenticates by accident. */
    if (!EVP_Digest(len ? data : &empty, len, md, &mdlen, EVP_sha256(), NULL) ||
        mdlen * 2 != HASH_HEX_LEN) {
        out[0] = '\0';
        return;
    }
    for (i = 0; i < mdlen; i++) {
        out[2 * i] = hexdigits[md[i] >> 4];
        out[2 * i + 1] = hexdigits[md[i] & 0x0F];
    }
    out[HASH_HEX_LEN] = '\0';
}

void hash_content(const void *data, size_t len, char out[72])
{
    memcpy(out, HASH_PREFIX, HASH_PREFIX_LEN);
    hash_hex(data, len, out + HASH_PREFIX_LEN);
    if (out[HASH_PREFIX_LEN] == '\0')
        out[0] = '\0';
}

bool hash_is_valid(const char *s, size_t len)
{
    size_t i;

    if (!s || len != HASH_PREFIX_LEN + HASH_HEX_LEN)
        return false;
    if (memcmp(s, HASH_PREFIX, HASH_PREFIX_LEN) != 0)
        return false;
    for (i = HASH_PREFIX_LEN; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

bool hash_equal_ct(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int diff;

    /* the contents are always compared over the shorter length, so the time
     * taken depends on the lengths only, never on where the bytes differ */
    diff = n ? CRYPTO_memcmp(a, b, n) : 0;
    return (diff == 0) & (alen == blen);
}
