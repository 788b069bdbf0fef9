//  ws_extract_json - read one rule's number from a parsed JSON document.
#include "ws_extract_json.h"

#include "ws_json.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

//  Longest concrete path kept for messages; longer ones are cut (the
//  pointer itself is at most 1024 characters, see ws_source).
#define S_PATH_MAX 1200

typedef struct {
    const ws_rule_t *rule;  //  borrowed
    ws_err_t *err;          //  borrowed, may be NULL
    char path[S_PATH_MAX];  //  the concrete path walked so far
    size_t count;           //  matches
    double sum, min, max;
} s_walk_t;

static int s_fail (s_walk_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_fail (s_walk_t *self, const char *fmt, ...)
{
    if (!self->err)
        return -1;
    char text[sizeof self->err->text];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    ws_err_set (self->err, WS_ERR_EXTRACT, "rule '%s' %s: %s",
                self->rule->metric, *self->path ? self->path : "(document)",
                text);
    ws_err_where (self->err, "%s", self->path);
    return -1;
}

//  Append "/" and a segment (raw, already escaped) or a key (escaped
//  here) to the concrete path; returns the old length to restore.
static size_t
s_push (s_walk_t *self, const char *text, size_t len, bool escape)
{
    size_t old = strlen (self->path);
    size_t at = old;
    if (at + 1 < S_PATH_MAX)
        self->path[at++] = '/';
    for (size_t i = 0; i < len && at + 2 < S_PATH_MAX; i++) {
        if (escape && (text[i] == '~' || text[i] == '/')) {
            self->path[at++] = '~';
            self->path[at++] = text[i] == '~' ? '0' : '1';
        }
        else
            self->path[at++] = text[i];
    }
    self->path[at] = '\0';
    return old;
}

static size_t
s_push_index (s_walk_t *self, size_t index)
{
    char text[24];
    int len = snprintf (text, sizeof text, "%zu", index);
    return s_push (self, text, (size_t) len, false);
}

static int
s_match (s_walk_t *self, json_t *value)
{
    if (self->rule->aggregate == WS_AGG_COUNT) {
        self->count++;
        return 0;
    }
    if (!json_is_number (value)) {
        char found[80];
        ws_json_describe (value, true, found, sizeof found);
        return s_fail (self, "found %s, expected a number", found);
    }
    double number = json_number_value (value);
    if (!isfinite (number))
        return s_fail (self, "found %g, expected a finite number", number);
    //  -0 is a fine 0; stored as -0 it would print as "-0" (x + 0.0 is
    //  +0 for x = -0 and x for every other x).
    number += 0.0;
    if (self->count == 0 || number < self->min)
        self->min = number;
    if (self->count == 0 || number > self->max)
        self->max = number;
    self->sum += number;
    self->count++;
    return 0;
}

//  RFC 6901 array index: "0" or digits without a leading zero.
static bool
s_parse_index (const char *text, size_t len, size_t *index)
{
    if (len == 0 || len > 18 || (len > 1 && text[0] == '0'))
        return false;
    *index = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        *index = *index * 10 + (size_t) (text[i] - '0');
    }
    return true;
}

//  Walk node along rest ("/seg/..." or ""). strict until the first "*":
//  then a branch that lacks the path is no match rather than an error.
static int
s_walk (s_walk_t *self, json_t *node, const char *rest, bool strict)
{
    if (*rest == '\0')
        return s_match (self, node);
    const char *segment = rest + 1;
    size_t raw_len = strcspn (segment, "/");
    const char *next = segment + raw_len;

    if (raw_len == 1 && *segment == '*') {
        if (json_is_array (node)) {
            size_t count = json_array_size (node);
            for (size_t i = 0; i < count; i++) {
                size_t old = s_push_index (self, i);
                if (s_walk (self, json_array_get (node, i), next, false))
                    return -1;
                self->path[old] = '\0';
            }
            return 0;
        }
        if (json_is_object (node)) {
            const char *key;
            json_t *member;
            json_object_foreach (node, key, member) {
                size_t old = s_push (self, key, strlen (key), true);
                if (s_walk (self, member, next, false))
                    return -1;
                self->path[old] = '\0';
            }
            return 0;
        }
        if (!strict)
            return 0;
        char found[80];
        ws_json_describe (node, true, found, sizeof found);
        return s_fail (self, "found %s, expected an array or object for \"*\"",
                       found);
    }

    //  Unescape ~1 to '/' and ~0 to '~' (ws_source checked the escapes).
    char key[1100];
    size_t len = 0;
    for (size_t i = 0; i < raw_len && len + 1 < sizeof key; i++) {
        if (segment[i] == '~' && i + 1 < raw_len) {
            key[len++] = segment[i + 1] == '1' ? '/' : '~';
            i++;
        }
        else
            key[len++] = segment[i];
    }
    key[len] = '\0';

    if (json_is_object (node)) {
        json_t *member = json_object_get (node, key);
        if (!member) {
            if (!strict)
                return 0;
            s_push (self, segment, raw_len, false);
            return s_fail (self,
                           "not found (no member \"%.60s\" in the "
                           "object)",
                           key);
        }
        size_t old = s_push (self, segment, raw_len, false);
        if (s_walk (self, member, next, strict))
            return -1;
        self->path[old] = '\0';
        return 0;
    }
    if (json_is_array (node)) {
        size_t index;
        size_t count = json_array_size (node);
        if (!s_parse_index (key, len, &index) || index >= count) {
            if (!strict)
                return 0;
            s_push (self, segment, raw_len, false);
            if (!s_parse_index (key, len, &index))
                return s_fail (
                    self, "not found (\"%.40s\" is not an array index)", key);
            return s_fail (self, "not found (the array has %zu element%s)",
                           count, count == 1 ? "" : "s");
        }
        size_t old = s_push (self, segment, raw_len, false);
        if (s_walk (self, json_array_get (node, index), next, strict))
            return -1;
        self->path[old] = '\0';
        return 0;
    }
    if (!strict)
        return 0;
    char found[80];
    ws_json_describe (node, true, found, sizeof found);
    return s_fail (self,
                   "found %s, expected an object or array holding "
                   "\"%.40s\"",
                   found, key);
}

int
ws_extract_json (const ws_rule_t *rule, json_t *doc, double *value,
                 ws_err_t *err)
{
    s_walk_t walk;
    walk.rule = rule;
    walk.err = err;
    walk.path[0] = '\0';
    walk.count = 0;
    walk.sum = walk.min = walk.max = 0;
    if (s_walk (&walk, doc, rule->pointer, true))
        return -1;

    if (walk.count == 0 && rule->aggregate != WS_AGG_COUNT) {
        ws_err_set (err, WS_ERR_EXTRACT, "rule '%s': no match for %s",
                    rule->metric, rule->pointer);
        ws_err_where (err, "%s", rule->pointer);
        return -1;
    }
    double result = 0;
    switch (rule->aggregate) {
    case WS_AGG_NONE:
        //  Without "*" a pointer names one value; with "*" ws_source
        //  demands an aggregate, so more than one match cannot happen.
        result = walk.sum;
        break;
    case WS_AGG_SUM: result = walk.sum; break;
    case WS_AGG_COUNT: result = (double) walk.count; break;
    case WS_AGG_MIN: result = walk.min; break;
    case WS_AGG_MAX: result = walk.max; break;
    case WS_AGG_AVG: result = walk.sum / (double) walk.count; break;
    }
    if (!isfinite (result)) {
        ws_err_set (err, WS_ERR_EXTRACT,
                    "rule '%s' %s: the %s of %zu matches is not finite "
                    "(overflow)",
                    rule->metric, rule->pointer, ws_agg_name (rule->aggregate),
                    walk.count);
        ws_err_where (err, "%s", rule->pointer);
        return -1;
    }
    *value = result;
    return 0;
}

json_t *
ws_extract_json_parse (const char *data, size_t len, ws_err_t *err)
{
    size_t start = 0;
    while (start < len && isspace ((unsigned char) data[start]))
        start++;
    if (start == len) {
        ws_err_set (err, WS_ERR_EXTRACT, "%s body, expected JSON",
                    len ? "blank" : "empty");
        return NULL;
    }
    //  An error page or a login form served where JSON was expected:
    //  say so rather than "invalid token near '<'".
    if (data[start] == '<') {
        char head[48];
        size_t n = 0;
        for (size_t i = start; i < len && n < 40; i++) {
            unsigned char c = (unsigned char) data[i];
            if (c == '\r' || c == '\n' || c == '\t')
                c = ' ';
            if (c >= 0x20 && c < 0x7f && c != '\'')
                head[n++] = (char) c;
        }
        while (n && head[n - 1] == ' ')
            n--;
        head[n] = '\0';
        ws_err_set (err, WS_ERR_EXTRACT,
                    "body is not JSON: found HTML or XML (starts '%s'%s)", head,
                    len - start > 40 ? "..." : "");
        return NULL;
    }
    //  jansson rejects invalid UTF-8, NaN and Infinity, numbers that
    //  overflow a double or an integer that overflows json_int_t, \u0000,
    //  and nesting past JSON_PARSER_MAX_DEPTH (2048): its parser is
    //  recursive, so that limit is also what keeps the stack bounded.
    json_error_t jerr;
    json_t *doc = json_loadb (data, len, JSON_DECODE_ANY, &jerr);
    if (!doc)
        ws_err_set (err, WS_ERR_EXTRACT,
                    "body is not JSON: %s (line %d, column %d)", jerr.text,
                    jerr.line, jerr.column);
    return doc;
}
