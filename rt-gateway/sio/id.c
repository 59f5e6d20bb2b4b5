/* id.c - random session and socket ids: base64url of 15 random bytes. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

void sio_random_id(char out[SIO_ID_LEN + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[15];
    size_t got = 0, i, o = 0;
    ssize_t n;
    unsigned v;

    while (got < sizeof(raw)) {
        n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof(raw)) {
        /* no entropy source: ids must still differ (they are not secrets) */
        static unsigned long counter;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        counter++;
        memcpy(raw, &ts, sizeof(ts) < sizeof(raw) ? sizeof(ts) : sizeof(raw));
        memcpy(raw + 7, &counter, sizeof(counter) < 8 ? sizeof(counter) : 8);
    }
    for (i = 0; i < sizeof(raw); i += 3) {
        v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
}
