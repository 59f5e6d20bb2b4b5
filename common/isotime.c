/* isotime.c - JavaScript's toISOString() form, both ways:
 * YYYY-MM-DDTHH:MM:SS.mmmZ, UTC, years 0000..9999. */
#include "isotime.h"

#include <time.h>

#include "limits.h"

/* 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z */
#define ISO_MIN_MS (-62167219200000LL)
#define ISO_MAX_MS (253402300799999LL)

static void put_digits(char *out, int v, int n)
{
    while (n-- > 0) {
        out[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

int iso_format_ms(int64_t ms, char out[25])
{
    struct tm tm;
    int64_t secs, frac;
    time_t t;

    out[0] = '\0';
    if (ms < ISO_MIN_MS || ms > ISO_MAX_MS)
        return -1;
    /* floor division: -1 ms is 1969-12-31T23:59:59.999Z */
    secs = ms / 1000;
    frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        secs -= 1;
    }
    t = (time_t)secs;
    if (!gmtime_r(&t, &tm))
        return -1;
    put_digits(out, tm.tm_year + 1900, 4);
    out[4] = '-';
    put_digits(out + 5, tm.tm_mon + 1, 2);
    out[7] = '-';
    put_digits(out + 8, tm.tm_mday, 2);
    out[10] = 'T';
    put_digits(out + 11, tm.tm_hour, 2);
    out[13] = ':';
    put_digits(out + 14, tm.tm_min, 2);
    out[16] = ':';
    put_digits(out + 17, tm.tm_sec, 2);
    out[19] = '.';
    put_digits(out + 20, (int)frac, 3);
    out[23] = 'Z';
    out[SYNC_TS_LEN] = '\0';
    return 0;
}

/* n ASCII digits at s, or -1. */
static int get_digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int year, int mon)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return mon == 2 ? 28 + leap : days[mon - 1];
}

int iso_parse_ms(const char *s, size_t len, int64_t *ms)
{
    int year, mon, day, hour, min, sec, milli;
    struct tm tm = { 0 };
    time_t t;

    if (!s || len != SYNC_TS_LEN)
        return -1;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || s[23] != 'Z')
        return -1;
    year = get_digits(s, 4);
    mon = get_digits(s + 5, 2);
    day = get_digits(s + 8, 2);
    hour = get_digits(s + 11, 2);
    min = get_digits(s + 14, 2);
    sec = get_digits(s + 17, 2);
    milli = get_digits(s + 20, 3);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 59 || milli < 0)
        return -1;
    if (day > days_in_month(year, mon))
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    t = timegm(&tm);
    /* the fields were checked, so timegm cannot fail: -1 is 1969-12-31T23:59:59 */
    *ms = (int64_t)t * 1000 + milli;
    return 0;
}

int64_t iso_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (int64_t)time(NULL) * 1000;
    /* truncated, like Date.now() */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
