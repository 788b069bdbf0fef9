//  ws_log - one log line shape for every process.
#include "ws_log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_role = '?';
static bool s_json = false;
static ws_log_level_t s_level = WS_LOG_NOTICE;
static const char *s_names[] = {"error", "warning", "notice", "info", "debug"};

void
ws_log_init (char role, bool json)
{
    s_role = role;
    s_json = json;
}

void
ws_log_set_level (ws_log_level_t level)
{
    s_level = level;
}

int
ws_log_level_parse (const char *name)
{
    for (int i = 0; i < 5; i++)
        if (name && strcmp (name, s_names[i]) == 0)
            return i;
    return -1;
}

bool
ws_log_enabled (ws_log_level_t level)
{
    return level <= s_level;
}

void
ws_log (ws_log_level_t level, const char *fmt, ...)
{
    if (level > s_level)
        return;
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char stamp[40];
    size_t len = strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (stamp + len, sizeof stamp - len, ".%03dZ",
              (int) (tv.tv_usec / 1000));

    char text[2048];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);

    if (s_json) {
        json_t *line = json_pack ("{s:i, s:s#, s:s, s:s, s:s}", "pid",
                                  (int) getpid (), "role", &s_role, 1, "ts",
                                  stamp, "level", s_names[level], "msg", text);
        char *out = line ? json_dumps (line, JSON_COMPACT) : NULL;
        if (out)
            fprintf (stderr, "%s\n", out);
        free (out);
        json_decref (line);
    }
    else
        fprintf (stderr, "%d:%c %s %s %s\n", (int) getpid (), s_role, stamp,
                 s_names[level], text);
}
