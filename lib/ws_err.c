//  ws_err - an error that names the thing at fault.
#include "ws_err.h"

#include <stdio.h>
#include <string.h>

int
ws_err_vset (ws_err_t *err, ws_err_code_t code, const char *fmt, va_list args)
{
    if (err) {
        err->code = code;
        err->where[0] = '\0';
        vsnprintf (err->text, sizeof err->text, fmt, args);
    }
    return -1;
}

int
ws_err_set (ws_err_t *err, ws_err_code_t code, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    ws_err_vset (err, code, fmt, args);
    va_end (args);
    return -1;
}

int
ws_err_prefix (ws_err_t *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[sizeof err->text];
    va_list args;
    va_start (args, fmt);
    vsnprintf (prefix, sizeof prefix, fmt, args);
    va_end (args);
    char joined[sizeof err->text];
    size_t len = strlen (prefix);
    if (len >= sizeof joined)
        len = sizeof joined - 1;
    memcpy (joined, prefix, len);
    size_t rest = strnlen (err->text, sizeof err->text);
    if (rest > sizeof joined - 1 - len)
        rest = sizeof joined - 1 - len;
    memcpy (joined + len, err->text, rest);
    joined[len + rest] = '\0';
    memcpy (err->text, joined, sizeof err->text);
    return -1;
}

void
ws_err_where (ws_err_t *err, const char *fmt, ...)
{
    if (err) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (err->where, sizeof err->where, fmt, args);
        va_end (args);
    }
}

void
ws_err_clear (ws_err_t *err)
{
    if (err) {
        err->code = WS_ERR_NONE;
        err->text[0] = '\0';
        err->where[0] = '\0';
    }
}

const char *
ws_err_code_name (ws_err_code_t code)
{
    switch (code) {
    case WS_ERR_NONE: return "none";
    case WS_ERR_INPUT: return "input";
    case WS_ERR_NET: return "net";
    case WS_ERR_HTTP: return "http";
    case WS_ERR_EXTRACT: return "extract";
    case WS_ERR_DB: return "db";
    case WS_ERR_SYSTEM: return "system";
    case WS_ERR_PROTO: return "proto";
    case WS_ERR_TIMEOUT: return "timeout";
    case WS_ERR_NOTFOUND: return "notfound";
    }
    return "unknown";
}
