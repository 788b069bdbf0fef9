//  ws_log - one log line shape for every process (Redis, CZMQ zsys):
//      4121:C 2027-03-02T09:15:04.120Z notice worker 'w-eu-2': joined
//  pid, role (C coordinator, W worker, D demo, T test), UTC time, level,
//  subject first. --log-format json writes one JSON object per line.
//  Lines go to stderr. Secrets never reach a log line: callers print the
//  name of an environment variable, never its value.
#ifndef WS_LOG_H
#define WS_LOG_H

#include <stdbool.h>

typedef enum {
    WS_LOG_ERROR = 0,  //  a person must act
    WS_LOG_WARNING,    //  degraded but retrying
    WS_LOG_NOTICE,     //  state changes (default)
    WS_LOG_INFO,       //  routine, per job
    WS_LOG_DEBUG
} ws_log_level_t;

//  Set the role letter and the output format (json or text).
void ws_log_init (char role, bool json);

//  Set the lowest level written. Default WS_LOG_NOTICE.
void ws_log_set_level (ws_log_level_t level);

//  Parse "error", "warning", "notice", "info", "debug". -1 if unknown.
int ws_log_level_parse (const char *name);

//  True if a line at this level would be written.
bool ws_log_enabled (ws_log_level_t level);

void ws_log (ws_log_level_t level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define ws_error(...) ws_log (WS_LOG_ERROR, __VA_ARGS__)
#define ws_warning(...) ws_log (WS_LOG_WARNING, __VA_ARGS__)
#define ws_notice(...) ws_log (WS_LOG_NOTICE, __VA_ARGS__)
#define ws_info(...)                                                           \
    do {                                                                       \
        if (ws_log_enabled (WS_LOG_INFO))                                      \
            ws_log (WS_LOG_INFO, __VA_ARGS__);                                 \
    } while (0)
#define ws_debug(...)                                                          \
    do {                                                                       \
        if (ws_log_enabled (WS_LOG_DEBUG))                                     \
            ws_log (WS_LOG_DEBUG, __VA_ARGS__);                                \
    } while (0)

#endif
