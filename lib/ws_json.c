//  ws_json - small helpers around jansson.
#include "ws_json.h"

#include <stdio.h>

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
