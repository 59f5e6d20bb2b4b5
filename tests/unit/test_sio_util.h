/* test_sio_util.h - helpers shared by the Engine.IO/Socket.IO unit tests:
 * the shared protocol vectors, hex, and inputs placed right before a
 * PROT_NONE page so that any read past their end crashes. */
#ifndef TEST_SIO_UTIL_H
#define TEST_SIO_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

/* Run from the project root; the vectors live beside it. */
#define VECTORS_PATH "../shared/protocol/vectors.json"

static struct json_object *g_vectors;

static inline int vectors_load(void)
{
    g_vectors = json_object_from_file(VECTORS_PATH);
    if (!g_vectors) {
        fprintf(stderr, "cannot read %s (run from the project root)\n", VECTORS_PATH);
        return -1;
    }
    return 0;
}

static inline int vectors_free(void)
{
    json_object_put(g_vectors);
    g_vectors = NULL;
    return 0;
}

/* vectors.<a>.<b>, lent */
static inline struct json_object *vec_get(const char *a, const char *b)
{
    struct json_object *x = NULL, *y = NULL;

    if (!g_vectors || !json_object_object_get_ex(g_vectors, a, &x) ||
        !json_object_object_get_ex(x, b, &y))
        return NULL;
    return y;
}

static inline const char *jstr(struct json_object *o, const char *key, size_t *len)
{
    struct json_object *v = NULL;

    if (len)
        *len = 0;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    if (len)
        *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

static inline int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes hex into a malloc'd buffer (caller frees); NULL on bad input. */
static inline unsigned char *hex_decode(const char *hex, size_t *out_len)
{
    size_t n = strlen(hex), i;
    unsigned char *b;
    int hi, lo;

    if (n % 2)
        return NULL;
    b = malloc(n / 2 + 1);
    if (!b)
        return NULL;
    for (i = 0; i < n / 2; i++) {
        hi = hex_nibble(hex[2 * i]);
        lo = hex_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return NULL;
        }
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return b;
}

/* A copy of len bytes that ends right at an inaccessible page. */
struct guarded {
    void *map;
    size_t map_len;
    char *data;
};

static inline int guard_put(struct guarded *g, const void *src, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (len + page - 1) / page + 1;
    char *base;

    g->data = NULL;
    g->map_len = (pages + 1) * page;
    g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED)
        return -1;
    base = g->map;
    if (mprotect(base + pages * page, page, PROT_NONE) != 0) {
        munmap(g->map, g->map_len);
        return -1;
    }
    g->data = base + pages * page - len;
    if (len)
        memcpy(g->data, src, len);
    return 0;
}

static inline void guard_free(struct guarded *g)
{
    munmap(g->map, g->map_len);
}

#endif
