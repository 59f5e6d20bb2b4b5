/* fuzz_path.c - the path, UTF-8 and extension rules (DESIGN §4) on arbitrary
 * bytes: every accepted path obeys each rule, checked independently here. */
#include <string.h>

#include "fuzz.h"
#include "limits.h"
#include "rules.h"

static int has_bad_segment(const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '/') {
            size_t len = i - start;
            if (len == 0 || (len == 1 && p[start] == '.') ||
                (len == 2 && p[start] == '.' && p[start + 1] == '.'))
                return 1;
            start = i + 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct sync_err err = { 0 };
    char ext[SYNC_PATH_MAX_BYTES + 1];
    int rc = rules_check_path(p, size, &err);
    int n;

    FUZZ_CHECK(rc == SYNC_OK || rc == SYNC_EINVAL);
    FUZZ_CHECK(rc == SYNC_OK || err.msg[0] != '\0');
    if (rc == SYNC_OK) {
        FUZZ_CHECK(utf8_valid(p, size));
        FUZZ_CHECK(size >= 1 && utf8_chars(p, size) <= SYNC_PATH_MAX_CHARS);
        FUZZ_CHECK(p[0] != '/' && p[size - 1] != '/');
        FUZZ_CHECK(!has_bad_segment(p, size));
        for (size_t i = 0; i < size; i++) {
            unsigned char c = (unsigned char)p[i];
            FUZZ_CHECK(c >= 0x20 && c != 0x7f);
            FUZZ_CHECK(!strchr("<>:\"|?*\\", c));
        }
    }
    n = rules_extension(p, size, ext, sizeof ext);
    /* only a name longer than any valid path can have a too-long extension */
    FUZZ_CHECK((n >= 0 && (size_t)n < sizeof ext) || (n == SYNC_ETOOBIG && size > SYNC_PATH_MAX_BYTES));
    if (n > 0) {
        /* lower-case, no dot, no slash, and a suffix of the last segment */
        FUZZ_CHECK(memchr(ext, '.', (size_t)n) == NULL && memchr(ext, '/', (size_t)n) == NULL);
        for (int i = 0; i < n; i++)
            FUZZ_CHECK(!(ext[i] >= 'A' && ext[i] <= 'Z'));
        FUZZ_CHECK((size_t)n < size && p[size - (size_t)n - 1] == '.');
    }
    rc = rules_check_content(p, size, &err);
    FUZZ_CHECK(rc == SYNC_OK || rc == SYNC_EINVAL || rc == SYNC_ETOOBIG);
    if (rc == SYNC_OK)
        FUZZ_CHECK(memchr(p, '\0', size) == NULL && utf8_valid(p, size));
    return 0;
}
