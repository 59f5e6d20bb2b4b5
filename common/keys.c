/* keys.c - API key format, generation and hashing; permission names. */
#include "keys.h"

#include <openssl/rand.h>
#include <string.h>

#include "hash.h"
#include "rules.h"

#define STORE_KEY_PREFIX     "sk_store_"
#define STORE_KEY_PREFIX_LEN 9
#define STORE_KEY_ID_HEX     6
#define STORE_KEY_RAND_CHARS 32   /* base64url of SYNC_KEY_RANDOM_BYTES, no padding */
#define STORE_KEY_LEN        (STORE_KEY_PREFIX_LEN + STORE_KEY_ID_HEX + 1 + STORE_KEY_RAND_CHARS)
#define ADMIN_KEY_PREFIX     "sk_admin_"
#define ADMIN_KEY_PREFIX_LEN 9

_Static_assert(SYNC_KEY_RANDOM_BYTES % 3 == 0, "key bytes must encode without padding");
_Static_assert(SYNC_KEY_RANDOM_BYTES / 3 * 4 == STORE_KEY_RAND_CHARS, "32 base64url characters");
_Static_assert(STORE_KEY_LEN <= SYNC_KEY_MAX, "a store key fits SYNC_KEY_MAX");

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* n must be a multiple of 3; writes n / 3 * 4 characters, no NUL. */
static void base64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64url[(v >> 18) & 0x3F];
        out[o++] = b64url[(v >> 12) & 0x3F];
        out[o++] = b64url[(v >> 6) & 0x3F];
        out[o++] = b64url[v & 0x3F];
    }
}

static bool is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int key_generate(const char *store_id, char out[SYNC_KEY_MAX + 1], struct sync_err *err)
{
    unsigned char rnd[SYNC_KEY_RANDOM_BYTES];
    size_t i, o = 0;

    out[0] = '\0';
    if (!store_id || !rules_is_uuid(store_id, strlen(store_id)))
        return sync_err_set(err, SYNC_EINVAL, "store id is not a UUID");
    if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
        return sync_err_set(err, SYNC_ENOMEM, "cannot get random bytes for a key");

    memcpy(out, STORE_KEY_PREFIX, STORE_KEY_PREFIX_LEN);
    o = STORE_KEY_PREFIX_LEN;
    /* a canonical UUID starts with 8 hex digits: the first 6 need no dash removal */
    for (i = 0; i < STORE_KEY_ID_HEX; i++) {
        char c = store_id[i];
        out[o++] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    out[o++] = '_';
    base64url_encode(rnd, sizeof(rnd), out + o);
    o += STORE_KEY_RAND_CHARS;
    out[o] = '\0';
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return SYNC_OK;
}

bool key_is_store_form(const char *key, size_t len)
{
    size_t i;

    if (!key || len != STORE_KEY_LEN)
        return false;
    if (memcmp(key, STORE_KEY_PREFIX, STORE_KEY_PREFIX_LEN) != 0)
        return false;
    for (i = STORE_KEY_PREFIX_LEN; i < STORE_KEY_PREFIX_LEN + STORE_KEY_ID_HEX; i++)
        if (!is_lower_hex(key[i]))
            return false;
    if (key[i++] != '_')
        return false;
    for (; i < len; i++)
        if (!is_b64url(key[i]))
            return false;
    return true;
}

bool key_is_admin_form(const char *key, size_t len)
{
    size_t i;

    if (!key || len < SYNC_ADMIN_KEY_MIN || len > SYNC_ADMIN_KEY_MAX)
        return false;
    if (memcmp(key, ADMIN_KEY_PREFIX, ADMIN_KEY_PREFIX_LEN) != 0)
        return false;
    for (i = ADMIN_KEY_PREFIX_LEN; i < len; i++)
        if (key[i] <= ' ' || key[i] > '~')   /* printable ASCII, no space */
            return false;
    return true;
}

void key_hash(const char *key, size_t len, char out[65])
{
    hash_hex(key, len, out);
}

void key_prefix(const char *key, size_t len, char out[SYNC_KEY_PREFIX_LEN + 1])
{
    size_t n = len < SYNC_KEY_PREFIX_LEN ? len : SYNC_KEY_PREFIX_LEN;

    if (n)
        memcpy(out, key, n);
    out[n] = '\0';
}

/* In the SQL enum's order, which is also the bits' order. */
static const struct {
    const char *name;
    unsigned bit;
} perm_names[] = {
    { "read", PERM_READ },
    { "write", PERM_WRITE },
    { "settings_read", PERM_SETTINGS_READ },
    { "settings_write", PERM_SETTINGS_WRITE },
};
#define PERM_COUNT (sizeof(perm_names) / sizeof(perm_names[0]))

unsigned perm_from_name(const char *s, size_t len)
{
    size_t i;

    if (!s)
        return 0;
    for (i = 0; i < PERM_COUNT; i++)
        if (strlen(perm_names[i].name) == len && memcmp(perm_names[i].name, s, len) == 0)
            return perm_names[i].bit;
    return 0;
}

/* Longest piece of user text quoted in an error message. */
#define PERM_QUOTE_MAX 40

int perm_parse_list(const char *s, size_t len, unsigned *out, struct sync_err *err)
{
    size_t i = 0, start, item = 1;
    unsigned bits = 0, b;

    *out = 0;
    if (!s || len == 0)
        return sync_err_set(err, SYNC_EINVAL, "no permissions given");
    for (;;) {
        start = i;
        while (i < len && s[i] != ',')
            i++;
        if (i == start)
            return sync_err_set(err, SYNC_EINVAL, "permission %zu is empty", item);
        b = perm_from_name(s + start, i - start);
        if (b == 0)
            return sync_err_set(err, SYNC_EINVAL,
                                "unknown permission '%.*s' (use read, write, settings_read, settings_write)",
                                (int)(i - start > PERM_QUOTE_MAX ? PERM_QUOTE_MAX : i - start),
                                s + start);
        if (bits & b)
            return sync_err_set(err, SYNC_EINVAL, "permission '%.*s' is listed twice",
                                (int)(i - start), s + start);
        bits |= b;
        if (i == len)
            break;
        i++;            /* the comma */
        item++;
    }
    *out = bits;
    return SYNC_OK;
}

void perm_to_pg_array(unsigned perms, char out[64])
{
    size_t i, o = 0, n;

    out[o++] = '{';
    for (i = 0; i < PERM_COUNT; i++) {
        if (!(perms & perm_names[i].bit))
            continue;
        if (o > 1)
            out[o++] = ',';
        n = strlen(perm_names[i].name);
        memcpy(out + o, perm_names[i].name, n);
        o += n;
    }
    out[o++] = '}';
    out[o] = '\0';      /* at most 2 + 4 names (41 bytes) + 3 commas + NUL = 47 */
}

unsigned perm_from_pg_array(const char *s)
{
    size_t len, i, start, n;
    unsigned bits = 0;

    if (!s)
        return 0;
    len = strlen(s);
    if (len < 2 || s[0] != '{' || s[len - 1] != '}')
        return 0;
    i = 1;
    len--;              /* up to the closing brace */
    while (i < len) {
        start = i;
        while (i < len && s[i] != ',')
            i++;
        n = i - start;
        /* enum labels never need quoting, but a quoted element is valid array text */
        if (n >= 2 && s[start] == '"' && s[start + n - 1] == '"') {
            start++;
            n -= 2;
        }
        bits |= perm_from_name(s + start, n);
        i++;
    }
    return bits;
}
