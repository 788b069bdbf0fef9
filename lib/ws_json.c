//  ws_json - small helpers around jansson.
#include "ws_json.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ws_json_describe (json_t *value, bool typed, char *out, size_t size)
{
    switch (json_typeof (value)) {
    case JSON_OBJECT: snprintf (out, size, "an object"); break;
    case JSON_ARRAY:
        if (json_array_size (value))
            snprintf (out, size, "an array of %zu", json_array_size (value));
        else
            snprintf (out, size, "an empty array");
        break;
    case JSON_STRING: {
        const char *text = json_string_value (value);
        size_t len = json_string_length (value);
        size_t cut = len;
        if (cut > 40)
            for (cut = 40; cut && (text[cut] & 0xC0) == 0x80; cut--)
                ;
        snprintf (out, size, "%s\"%.*s%s\"", typed ? "string " : "", (int) cut,
                  text, cut < len ? "..." : "");
        break;
    }
    case JSON_INTEGER:
        snprintf (out, size, "%s%" JSON_INTEGER_FORMAT, typed ? "number " : "",
                  json_integer_value (value));
        break;
    case JSON_REAL:
        snprintf (out, size, "%s%g", typed ? "number " : "",
                  json_real_value (value));
        break;
    case JSON_TRUE:
        snprintf (out, size, "%strue", typed ? "boolean " : "");
        break;
    case JSON_FALSE:
        snprintf (out, size, "%sfalse", typed ? "boolean " : "");
        break;
    case JSON_NULL: snprintf (out, size, "null"); break;
    }
}

int
ws_json_fail (ws_err_t *err, const char *subject, const char *path,
              const char *fmt, ...)
{
    if (!err)
        return -1;
    char text[sizeof err->text];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    if (*path)
        ws_err_set (err, WS_ERR_INPUT, "%s: %s", path, text);
    else
        ws_err_set (err, WS_ERR_INPUT, "(%s): %s", subject, text);
    ws_err_where (err, "%s", path);
    return -1;
}

int
ws_json_fail_found (ws_err_t *err, const char *subject, const char *path,
                    json_t *found, const char *expected)
{
    char what[64] = "nothing";
    if (found)
        ws_json_describe (found, false, what, sizeof what);
    return ws_json_fail (err, subject, path, "found %s, expected %s", what,
                         expected);
}

void
ws_json_pointer_join (char *out, size_t size, const char *base, const char *key)
{
    size_t len = strlen (base);
    if (len >= size)
        len = size - 1;
    memmove (out, base, len);
    if (len + 1 < size)
        out[len++] = '/';
    for (const char *p = key; *p && len + 2 < size; p++) {
        if (*p == '~' || *p == '/') {
            out[len++] = '~';
            out[len++] = *p == '~' ? '0' : '1';
        }
        else
            out[len++] = *p;
    }
    out[len] = '\0';
}

int
ws_json_check_keys (json_t *object, const char *path,
                    const char *const *allowed, const char *allowed_text,
                    const char *subject, ws_err_t *err)
{
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value) {
        size_t i = 0;
        while (allowed[i] && strcmp (key, allowed[i]) != 0)
            i++;
        if (!allowed[i]) {
            char where[128];
            ws_json_pointer_join (where, sizeof where, path, key);
            return ws_json_fail (err, subject, where,
                                 "unknown key, expected one of %s",
                                 allowed_text);
        }
    }
    return 0;
}

bool
ws_json_valid_name (const char *name)
{
    for (const char *p = name; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("_.-", *p))
            return false;
    return true;
}

bool
ws_json_valid_metric (const char *name)
{
    if (!isalpha ((unsigned char) *name) && *name != '_' && *name != ':')
        return false;
    for (const char *p = name + 1; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("_:.", *p))
            return false;
    return true;
}
