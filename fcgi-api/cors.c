/* cors.c - Access-Control-* headers. */
#include <string.h>

#include "config.h"
#include "cors.h"

bool cors_list_is_any(const char *list)
{
    const char *p = list;

    if (!list)
        return false;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e - s == 1 && *s == '*')
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

static bool allowed(const char *list, const char *origin)
{
    if (!list || !origin || !*origin)
        return false;
    if (cors_list_is_any(list))
        return true;
    return config_origin_allowed(list, origin, strlen(origin)) != 0;
}

void cors_apply(struct response *rs, const char *list, const char *origin)
{
    if (!allowed(list, origin))
        return;
    if (cors_list_is_any(list)) {
        resp_header(rs, "Access-Control-Allow-Origin", "*");
    } else {
        /* a value the header cannot carry is simply not echoed */
        if (resp_header(rs, "Access-Control-Allow-Origin", origin) != 0)
            return;
        resp_header(rs, "Vary", "Origin");
    }
    resp_header(rs, "Access-Control-Expose-Headers", "ETag");
}

void cors_preflight(struct response *rs, const char *list, const char *origin)
{
    resp_empty(rs, 204);
    if (!allowed(list, origin))
        return;
    resp_header(rs, "Access-Control-Allow-Methods", CORS_ALLOW_METHODS);
    resp_header(rs, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    resp_header(rs, "Access-Control-Max-Age", CORS_MAX_AGE);
}
