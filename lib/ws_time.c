//  ws_time - durations and ISO 8601 UTC times.
#include "ws_time.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in seconds since the
//  epoch: the years an ISO 8601 text of four digits can name.
#define S_YEAR_0 (-62167219200LL)
#define S_YEAR_10000 253402300800LL

int
ws_duration_parse (const char *text, int64_t *ms, ws_err_t *err)
{
    if (!text || !isdigit ((unsigned char) *text))
        return ws_err_set (err, WS_ERR_INPUT,
                           "duration \"%s\": expected a number and a unit "
                           "(ms, s, m, h, d, w), e.g. \"30s\"",
                           text ? text : "");
    char *end;
    errno = 0;
    unsigned long long value = strtoull (text, &end, 10);
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1},      {"s", 1000},     {"", 1000},      {"m", 60000},
                 {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp (end, units[i].unit) == 0) {
            if (errno || value > (unsigned long long) INT64_MAX / units[i].ms)
                break;
            *ms = (int64_t) value * units[i].ms;
            return 0;
        }
    return ws_err_set (err, WS_ERR_INPUT,
                       "duration \"%s\": expected a number and a unit "
                       "(ms, s, m, h, d, w), e.g. \"30s\"",
                       text);
}

void
ws_duration_format (int64_t ms, char *out, size_t size)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"w", 604800000},
                 {"d", 86400000},
                 {"h", 3600000},
                 {"m", 60000},
                 {"s", 1000}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms && ms % units[i].ms == 0) {
            snprintf (out, size, "%" PRId64 "%s", ms / units[i].ms,
                      units[i].unit);
            return;
        }
    snprintf (out, size, "%" PRId64 "ms", ms);
}

static int
s_digits (const char **p, int count, int *value)
{
    *value = 0;
    for (int i = 0; i < count; i++) {
        if (!isdigit ((unsigned char) **p))
            return -1;
        *value = *value * 10 + (**p - '0');
        (*p)++;
    }
    return 0;
}

int
ws_iso8601_parse (const char *text, int64_t *ms, ws_err_t *err)
{
    const char *p = text;
    int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
    int offset_minutes = 0;
    if (!p || s_digits (&p, 4, &year) || *p++ != '-' || s_digits (&p, 2, &month)
        || *p++ != '-' || s_digits (&p, 2, &day))
        goto bad;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (s_digits (&p, 2, &hour) || *p++ != ':' || s_digits (&p, 2, &minute))
            goto bad;
        if (*p == ':') {
            p++;
            if (s_digits (&p, 2, &second))
                goto bad;
            if (*p == '.' || *p == ',') {
                p++;
                int digits = 0;
                while (isdigit ((unsigned char) *p)) {
                    if (digits < 3)
                        millis = millis * 10 + (*p - '0');
                    digits++;
                    p++;
                }
                if (digits == 0)
                    goto bad;
                for (; digits < 3; digits++)
                    millis *= 10;
            }
        }
        if (*p == 'Z' || *p == 'z')
            p++;
        else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int oh, om = 0;
            if (s_digits (&p, 2, &oh))
                goto bad;
            if (*p == ':')
                p++;
            if (*p && s_digits (&p, 2, &om))
                goto bad;
            offset_minutes = sign * (oh * 60 + om);
        }
    }
    if (*p != '\0')
        goto bad;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1]
        || hour > 23 || minute > 59 || second > 60)
        goto bad;
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t seconds = timegm (&tm);
    if (tm.tm_mday != day)  //  Feb 30 and the like
        goto bad;
    //  An offset must not carry the time out of years 0000..9999, which
    //  ws_iso8601_format could not write back in a form read here.
    int64_t utc = (int64_t) seconds - offset_minutes * 60;
    if (utc < S_YEAR_0 || utc >= S_YEAR_10000)
        goto bad;
    *ms = utc * 1000 + millis;
    return 0;
bad:
    return ws_err_set (err, WS_ERR_INPUT,
                       "time \"%s\": expected ISO 8601, e.g. "
                       "\"2027-03-31\" or \"2027-03-31T09:15:00Z\"",
                       text ? text : "");
}

void
ws_iso8601_format (int64_t ms, char *out, size_t size)
{
    int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int millis = (int) (ms - seconds * 1000);
    time_t t = (time_t) seconds;
    struct tm tm;
    gmtime_r (&t, &tm);
    //  Four-digit years, as ws_iso8601_parse wants them (strftime's %Y
    //  writes "506" for the year 506).
    int written =
        snprintf (out, size, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    size_t len = written < 0 ? 0 : (size_t) written;
    if (len >= size)
        return;
    if (millis)
        snprintf (out + len, size - len, ".%03dZ", millis);
    else
        snprintf (out + len, size - len, "Z");
}
