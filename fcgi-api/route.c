/* route.c - matching a path against the route table. */
#include <string.h>

#include "route.h"
#include "rules.h"

/* Does path match pattern? Fills ids with the ":id" segments. */
static bool pattern_match(const char *pat, const char *path, size_t len,
                          char ids[ROUTE_MAX_IDS][SYNC_UUID_LEN + 1])
{
    const char *p = path, *end = path + len;
    int nid = 0;

    while (*pat) {
        size_t pl, sl;
        const char *seg_end;

        /* both are at a '/' */
        if (*pat != '/' || p == end || *p != '/')
            return false;
        pat++;
        p++;
        pl = strcspn(pat, "/");
        seg_end = memchr(p, '/', (size_t)(end - p));
        sl = seg_end ? (size_t)(seg_end - p) : (size_t)(end - p);
        if (pl == 3 && memcmp(pat, ":id", 3) == 0) {
            if (nid == ROUTE_MAX_IDS || !rules_is_uuid(p, sl))
                return false;
            memcpy(ids[nid], p, sl);
            ids[nid][sl] = '\0';
            nid++;
        } else if (pl != sl || memcmp(pat, p, sl) != 0) {
            return false;
        }
        pat += pl;
        p += sl;
    }
    return p == end;
}

static void allow_add(char *allow, size_t size, const char *method)
{
    size_t used = strlen(allow);
    size_t need = strlen(method) + (used ? 2 : 0);

    if (strstr(allow, method) || used + need + 1 > size)
        return;
    if (used) {
        memcpy(allow + used, ", ", 2);
        used += 2;
    }
    memcpy(allow + used, method, strlen(method) + 1);
}

enum route_result route_find(const struct route *table, size_t n, const char *method,
                             const char *path, size_t len, struct route_match *m)
{
    bool path_known = false;
    bool head = strcmp(method, "HEAD") == 0;
    size_t i;

    memset(m, 0, sizeof *m);
    for (i = 0; i < n; i++) {
        const struct route *r = &table[i];
        char ids[ROUTE_MAX_IDS][SYNC_UUID_LEN + 1] = {{0}};
        if (!pattern_match(r->pattern, path, len, ids))
            continue;
        if (strcmp(r->method, method) == 0 || (head && strcmp(r->method, "GET") == 0)) {
            m->route = r;
            memcpy(m->ids, ids, sizeof ids);
            return ROUTE_OK;
        }
        path_known = true;
    }
    if (!path_known)
        return ROUTE_NO_PATH;
    for (i = 0; i < n; i++) {
        char ids[ROUTE_MAX_IDS][SYNC_UUID_LEN + 1];
        if (!pattern_match(table[i].pattern, path, len, ids))
            continue;
        allow_add(m->allow, sizeof m->allow, table[i].method);
        if (strcmp(table[i].method, "GET") == 0)
            allow_add(m->allow, sizeof m->allow, "HEAD");
    }
    allow_add(m->allow, sizeof m->allow, "OPTIONS");
    return ROUTE_NO_METHOD;
}
