/* fuzz_json.c - request bodies through jsonx: parse exactly the bytes given,
 * and whatever parses serialises and parses again to the same text. */
#include <string.h>

#include "fuzz.h"
#include "jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sync_err err = { 0 };
    json_object *o = jsonx_parse((const char *)data, size, &err), *again;
    const char *text, *text2;
    size_t len, len2;

    if (!o)
        return 0;
    text = jsonx_text(o, &len);
    FUZZ_CHECK(text && len == strlen(text));
    again = jsonx_parse(text, len, &err);
    FUZZ_CHECK(again != NULL);
    text2 = jsonx_text(again, &len2);
    FUZZ_CHECK(len == len2 && memcmp(text, text2, len) == 0);
    if (json_object_is_type(o, json_type_object)) {
        const char *s;
        size_t n;
        int rc = jsonx_get_str(o, "path", &s, &n);
        FUZZ_CHECK(rc == SYNC_OK || rc == SYNC_ENOTFOUND || rc == SYNC_EINVAL);
        if (rc == SYNC_OK)
            FUZZ_CHECK(s != NULL && s[n] == '\0');
    }
    json_object_put(again);
    json_object_put(o);
    return 0;
}
