//  ws_json_select - the values a pointer with "*" and filters picks.
#include "ws_json_select.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_json.h"

//  Longest concrete path kept for messages; longer ones are cut (a
//  document's keys may be longer than any selection).
#define S_PATH_MAX 1200

//  Longest label name, as ws_source's labels.
#define S_LABEL_NAME_MAX 128

//  One [name=value] or [name!=value].
typedef struct {
    char *name;   //  owns; unescaped
    char *value;  //  owns; unescaped
    size_t value_len;
    bool negate;      //  "!="
    bool is_number;   //  value is a JSON number, read into number
    double number;    //  the value as a number when is_number
    bool is_integer;  //  value is a JSON integer that fits a json_int_t
    json_int_t integer;
} s_filter_t;

//  One "/" segment: a member name or index, or "*"; then its filters.
typedef struct {
    char *key;  //  owns; unescaped; NULL for "*"
    size_t key_len;
    s_filter_t *filters;  //  borrowed from the selection's array
    size_t filter_count;
    char *filters_text;  //  owns; the brackets as written, NULL if none
} s_segment_t;

//  A parsed pointer: the selection or one labels_from pointer.
typedef struct {
    s_segment_t *segments;  //  owns the array and each segment
    size_t count;
    s_filter_t *filters;  //  owns the array and each filter
    size_t filter_count;
} s_path_t;

typedef struct {
    char *name;     //  owns; the label
    s_path_t path;  //  owns; no "*" and no filter
} s_label_t;

struct _ws_json_select_t {
    char *expr;         //  owns; the selection as written
    s_path_t path;      //  owns
    s_label_t *labels;  //  owns the array and each label
    size_t label_count;
    bool count_only;
    //  Index of the first segment that takes several values ("*" or a
    //  filter); path.count when none.
    size_t first_wildcard;
};

//  A pointer being parsed.
typedef struct {
    const char *text;   //  borrowed; the pointer
    const char *where;  //  borrowed; the key holding it
    ws_err_t *err;      //  borrowed, may be NULL
} s_parser_t;

static int s_syntax (s_parser_t *parser, size_t offset, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  "WHERE: \"POINTER\": message at offset N", code WS_ERR_INPUT.
static int
s_syntax (s_parser_t *parser, size_t offset, const char *fmt, ...)
{
    char text[160];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    char shown[64];
    size_t len = strlen (parser->text);
    size_t cut = len > 48 ? 48 : len;
    while (cut < len && cut > 0
           && ((unsigned char) parser->text[cut] & 0xC0) == 0x80)
        cut--;
    snprintf (shown, sizeof shown, "%.*s%s", (int) cut, parser->text,
              cut < len ? "..." : "");
    return ws_json_fail (parser->err, "selection", parser->where,
                         "\"%s\": %s at offset %zu", shown, text, offset);
}

static int
s_oom (ws_err_t *err, const char *where)
{
    ws_err_set (err, WS_ERR_SYSTEM, "%s: out of memory",
                *where ? where : "(selection)");
    ws_err_where (err, "%s", where);
    return -1;
}

//  The escaped character for ~0 .. ~5, or 0 for another digit.
static char
s_escape (char digit)
{
    static const char map[] = "~/]=![";
    if (digit < '0' || digit > '5')
        return 0;
    return map[digit - '0'];
}

//  Read from *at up to a character in stops (or the end), checking and
//  undoing escapes; refuse characters in refused. The text is returned
//  (caller frees) with its length in *len; NULL with err (also for
//  memory).
static char *
s_read (s_parser_t *parser, size_t *at, const char *stops, const char *refused,
        const char *what, size_t *len)
{
    const char *text = parser->text;
    size_t start = *at, end = start;
    while (text[end] && !strchr (stops, text[end])) {
        if (strchr (refused, text[end])) {
            //  The escape digit is the character's place in "~/]=![".
            static const char order[] = "~/]=![";
            s_syntax (parser, end, "'%c' %s; write ~%d for it", text[end], what,
                      (int) (strchr (order, text[end]) - order));
            return NULL;
        }
        if (text[end] == '~') {
            if (!s_escape (text[end + 1])) {
                s_syntax (parser, end,
                          "'~' must be followed by 0 to 5 (~0 '~', ~1 '/', "
                          "~2 ']', ~3 '=', ~4 '!', ~5 '[')");
                return NULL;
            }
            end++;
        }
        end++;
    }
    char *out = malloc (end - start + 1);
    if (!out) {
        s_oom (parser->err, parser->where);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = start; i < end; i++)
        out[n++] = text[i] == '~' ? s_escape (text[++i]) : text[i];
    out[n] = '\0';
    *len = n;
    *at = end;
    return out;
}

//  RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and
//  whether it has neither fraction nor exponent.
static bool
s_json_number (const char *text, bool *integer)
{
    const char *p = text;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    *integer = true;
    if (*p == '.') {
        *integer = false;
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        *integer = false;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

//  Read the value of a filter as a number if it is one. A number too big
//  for a double (1e999) is no number: no member can equal it.
static void
s_filter_number (s_filter_t *filter)
{
    bool integer;
    if (!s_json_number (filter->value, &integer))
        return;
    errno = 0;
    double number = strtod (filter->value, NULL);
    if (errno == ERANGE && (number > 1 || number < -1))
        return;
    filter->is_number = true;
    filter->number = number;
    if (integer) {
        errno = 0;
        long long value = strtoll (filter->value, NULL, 10);
        if (errno == 0) {
            filter->is_integer = true;
            filter->integer = (json_int_t) value;
        }
    }
}

//  Parse one "[...]" at *at (on the '[') into filter.
static int
s_parse_filter (s_parser_t *parser, size_t *at, s_filter_t *filter)
{
    const char *text = parser->text;
    size_t open = *at;
    size_t pos = open + 1;
    size_t len;
    filter->name = s_read (parser, &pos, "=!]", "/[", "inside a filter", &len);
    if (!filter->name)
        return -1;
    if (text[pos] == '\0')
        return s_syntax (parser, open, "unclosed '['");
    if (text[pos] == ']')
        return s_syntax (parser, pos,
                         "a filter needs '=' or '!=' (name=value), found ']'");
    if (text[pos] == '!') {
        if (text[pos + 1] != '=')
            return s_syntax (parser, pos,
                             "'!' must be followed by '=' (~4 is a "
                             "literal '!')");
        filter->negate = true;
        pos++;
    }
    if (len == 0)
        return s_syntax (parser, open + 1, "empty member name in a filter");
    pos++;
    filter->value = s_read (parser, &pos, "]", "/[=!", "in a filter value",
                            &filter->value_len);
    if (!filter->value)
        return -1;
    if (text[pos] == '\0')
        return s_syntax (parser, open, "unclosed '['");
    *at = pos + 1;
    s_filter_number (filter);
    return 0;
}

static void
s_path_free (s_path_t *path)
{
    for (size_t i = 0; i < path->count; i++) {
        free (path->segments[i].key);
        free (path->segments[i].filters_text);
    }
    free (path->segments);
    for (size_t i = 0; i < path->filter_count; i++) {
        free (path->filters[i].name);
        free (path->filters[i].value);
    }
    free (path->filters);
    memset (path, 0, sizeof *path);
}

//  Parse parser->text into path. plain refuses "*" and filters (a
//  label's pointer names one value).
static int
s_parse (s_parser_t *parser, bool plain, s_path_t *path)
{
    const char *text = parser->text;
    memset (path, 0, sizeof *path);
    size_t length = strlen (text);
    if (length > WS_JSON_SELECT_LEN_MAX)
        return ws_json_fail (parser->err, "selection", parser->where,
                             "%zu characters, at most %d allowed", length,
                             WS_JSON_SELECT_LEN_MAX);
    if (*text == '[')
        return s_syntax (parser, 0,
                         "a pointer starts with \"/\"; to filter the "
                         "elements of the document write /*[...]");
    if (*text && *text != '/')
        return s_syntax (parser, 0,
                         "a pointer starts with \"/\" (or is \"\" for the "
                         "whole document)");
    //  Every '/' starts a segment (one inside brackets is refused) and
    //  every '[' a filter, so these bound the arrays.
    size_t slashes = 0, brackets = 0;
    for (const char *p = text; *p; p++) {
        slashes += *p == '/';
        brackets += *p == '[';
    }
    if (slashes > WS_JSON_SELECT_SEGMENTS_MAX)
        return s_syntax (parser, length, "%zu segments, at most %d allowed",
                         slashes, WS_JSON_SELECT_SEGMENTS_MAX);
    if (slashes)
        path->segments = calloc (slashes, sizeof *path->segments);
    if (brackets)
        path->filters = calloc (brackets < WS_JSON_SELECT_FILTERS_MAX
                                    ? brackets
                                    : WS_JSON_SELECT_FILTERS_MAX,
                                sizeof *path->filters);
    if ((slashes && !path->segments) || (brackets && !path->filters))
        return s_oom (parser->err, parser->where);

    size_t pos = 0;
    while (text[pos] == '/') {
        size_t start = ++pos;
        s_segment_t *segment = &path->segments[path->count++];
        segment->key = s_read (parser, &pos, "/[]", "", "", &segment->key_len);
        if (!segment->key)
            return -1;
        if (text[pos] == ']')
            return s_syntax (parser, pos,
                             "']' without '['; write ~2 for a literal ']'");
        //  Exactly "*" is the wildcard; "*x" and "a*" are names.
        bool star = pos - start == 1 && text[start] == '*';
        if (star) {
            free (segment->key);
            segment->key = NULL;
        }
        size_t open = pos;
        if (path->filters)
            segment->filters = path->filters + path->filter_count;
        while (text[pos] == '[') {
            if (path->filter_count == WS_JSON_SELECT_FILTERS_MAX)
                return s_syntax (parser, pos, "more than %d filters",
                                 WS_JSON_SELECT_FILTERS_MAX);
            if (s_parse_filter (parser, &pos,
                                &path->filters[path->filter_count++]))
                return -1;
            segment->filter_count++;
        }
        if (segment->filter_count) {
            segment->filters_text = strndup (text + open, pos - open);
            if (!segment->filters_text)
                return s_oom (parser->err, parser->where);
        }
        if (text[pos] && text[pos] != '/')
            return s_syntax (parser, pos,
                             "expected '/', '[' or the end after ']'");
        if (plain && (star || segment->filter_count))
            return s_syntax (parser, star ? start : open,
                             "a label's pointer names one value, no \"*\" "
                             "or filters");
    }
    return 0;
}

//  A label name: [A-Za-z_][A-Za-z0-9_]*, as ws_source's labels.
static bool
s_valid_label (const char *name)
{
    if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z')
          || *name == '_'))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

//  Read labels_from into self->labels; base is the JSON pointer of the
//  labels_from key.
static int
s_parse_labels (ws_json_select_t *self, json_t *labels_from, const char *base,
                ws_err_t *err)
{
    if (!json_is_object (labels_from))
        return ws_json_fail_found (err, "labels_from", base, labels_from,
                                   "an object of label names to pointers");
    size_t size = json_object_size (labels_from);
    if (size > WS_JSON_SELECT_LABELS_MAX)
        return ws_json_fail (err, "labels_from", base,
                             "%zu labels, at most %d allowed", size,
                             WS_JSON_SELECT_LABELS_MAX);
    if (size == 0)
        return 0;
    self->labels = calloc (size, sizeof *self->labels);
    if (!self->labels)
        return s_oom (err, base);
    const char *name;
    json_t *value;
    json_object_foreach (labels_from, name, value) {
        char where[128];
        ws_json_pointer_join (where, sizeof where, base, name);
        if (!s_valid_label (name) || strlen (name) > S_LABEL_NAME_MAX)
            return ws_json_fail (err, "labels_from", where,
                                 "bad label name \"%.40s\", expected "
                                 "[A-Za-z_][A-Za-z0-9_]* of at most %d "
                                 "characters",
                                 name, S_LABEL_NAME_MAX);
        if (!json_is_string (value))
            return ws_json_fail_found (err, "labels_from", where, value,
                                       "a JSON pointer (a string)");
        if (strlen (json_string_value (value)) != json_string_length (value))
            return ws_json_fail (err, "labels_from", where,
                                 "contains a NUL character");
        s_label_t *label = &self->labels[self->label_count++];
        label->name = strdup (name);
        if (!label->name)
            return s_oom (err, where);
        s_parser_t parser = {json_string_value (value), where, err};
        if (s_parse (&parser, true, &label->path))
            return -1;
    }
    return 0;
}

ws_json_select_t *
ws_json_select_new (const char *selection, json_t *labels_from, bool count_only,
                    const char *where, ws_err_t *err)
{
    assert (selection);
    if (!where)
        where = "";
    ws_json_select_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_oom (err, where);
        return NULL;
    }
    self->count_only = count_only;
    self->expr = strdup (selection);
    if (!self->expr) {
        s_oom (err, where);
        goto fail;
    }
    s_parser_t parser = {selection, where, err};
    if (s_parse (&parser, false, &self->path))
        goto fail;
    self->first_wildcard = self->path.count;
    for (size_t i = 0; i < self->path.count; i++)
        if (!self->path.segments[i].key
            || self->path.segments[i].filter_count) {
            self->first_wildcard = i;
            break;
        }
    if (labels_from) {
        //  labels_from sits beside the selection's key: /metrics/0/json
        //  -> /metrics/0/labels_from.
        char base[128];
        const char *slash = strrchr (where, '/');
        int parent = slash ? (int) (slash - where) : 0;
        snprintf (base, sizeof base, "%.*s/labels_from", parent, where);
        if (s_parse_labels (self, labels_from, base, err))
            goto fail;
    }
    return self;
fail:
    ws_json_select_destroy (&self);
    return NULL;
}

void
ws_json_select_destroy (ws_json_select_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_json_select_t *self = *self_p;
    free (self->expr);
    s_path_free (&self->path);
    for (size_t i = 0; i < self->label_count; i++) {
        free (self->labels[i].name);
        s_path_free (&self->labels[i].path);
    }
    free (self->labels);
    free (self);
    *self_p = NULL;
}

bool
ws_json_select_has_wildcard (ws_json_select_t *self)
{
    assert (self);
    return self->first_wildcard < self->path.count;
}

const char *
ws_json_select_expr (ws_json_select_t *self)
{
    assert (self);
    return self->expr;
}

//  ---------------------------------------------------------------------
//  Running a selection on a document

typedef struct {
    ws_json_select_t *self;  //  borrowed
    ws_matches_t *matches;   //  borrowed
    ws_err_t *err;           //  borrowed, may be NULL
    char path[S_PATH_MAX];   //  the concrete path walked so far
    json_t *anchor;          //  borrowed; what labels are relative to
    size_t anchor_len;       //  length of path at the anchor
    size_t found;            //  matches added by this run
} s_run_t;

static int s_fail (s_run_t *run, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  "PATH: message" with where = the concrete path, code WS_ERR_EXTRACT.
static int
s_fail (s_run_t *run, const char *fmt, ...)
{
    if (!run->err)
        return -1;
    char text[sizeof run->err->text];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    ws_err_set (run->err, WS_ERR_EXTRACT, "%s: %s",
                *run->path ? run->path : "(document)", text);
    ws_err_where (run->err, "%s", run->path);
    return -1;
}

//  Append "/" and key (escaped as RFC 6901 says) to the concrete path;
//  returns the old length to restore.
static size_t
s_push (s_run_t *run, const char *key, size_t len)
{
    size_t old = strlen (run->path);
    size_t at = old;
    if (at + 1 < S_PATH_MAX)
        run->path[at++] = '/';
    for (size_t i = 0; i < len && at + 2 < S_PATH_MAX; i++) {
        if (key[i] == '~' || key[i] == '/') {
            run->path[at++] = '~';
            run->path[at++] = key[i] == '~' ? '0' : '1';
        }
        else
            run->path[at++] = key[i];
    }
    run->path[at] = '\0';
    return old;
}

static size_t
s_push_index (s_run_t *run, size_t index)
{
    char text[24];
    int len = snprintf (text, sizeof text, "%zu", index);
    return s_push (run, text, (size_t) len);
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

//  The child of node that segment names, pushed on the path; NULL when
//  there is none, with the path pushed too and *why saying what is
//  there instead.
static json_t *
s_step (s_run_t *run, json_t *node, const s_segment_t *segment, char *why,
        size_t size)
{
    s_push (run, segment->key, segment->key_len);
    if (json_is_object (node)) {
        //  A key read from a C string holds no NUL: json_object_get does.
        json_t *member = json_object_get (node, segment->key);
        if (!member)
            snprintf (why, size,
                      "not found (no member \"%.60s\" in the object)",
                      segment->key);
        return member;
    }
    if (json_is_array (node)) {
        size_t index, count = json_array_size (node);
        if (!s_parse_index (segment->key, segment->key_len, &index))
            snprintf (why, size, "not found (\"%.40s\" is not an array index)",
                      segment->key);
        else if (index >= count)
            snprintf (why, size, "not found (the array has %zu element%s)",
                      count, count == 1 ? "" : "s");
        else
            return json_array_get (node, index);
        return NULL;
    }
    char found[80];
    ws_json_describe (node, true, found, sizeof found);
    //  The path names the missing child; the text what holds it.
    //  Cut to fit when it must (the path says the rest).
    if (snprintf (why, size,
                  "found %s, expected an object or array holding "
                  "\"%.40s\"",
                  found, segment->key)
        >= (int) size)
        why[size - 1] = '\0';
    return NULL;
}

//  The shortest text that reads back as number ("0.1", not
//  "0.10000000000000001"); a JSON integer exactly as it is.
static void
s_number_text (json_t *value, char *out, size_t size)
{
    if (json_is_integer (value)) {
        snprintf (out, size, "%" JSON_INTEGER_FORMAT,
                  json_integer_value (value));
        return;
    }
    //  -0 is a fine 0 (x + 0.0 is +0 for x = -0 and x for every other x).
    double number = json_real_value (value) + 0.0;
    for (int precision = 15; precision <= 17; precision++) {
        snprintf (out, size, "%.*g", precision, number);
        if (strtod (out, NULL) == number)
            return;
    }
}

//  The labels of a match at run->anchor, or NULL when there are none.
static int
s_labels (s_run_t *run, json_t **labels)
{
    ws_json_select_t *self = run->self;
    *labels = NULL;
    if (self->label_count == 0)
        return 0;
    json_t *object = json_object ();
    if (!object)
        return s_fail (run, "out of memory");
    char saved[S_PATH_MAX];
    size_t saved_len = strlen (run->path);
    memcpy (saved, run->path, saved_len + 1);
    int rc = 0;
    for (size_t i = 0; i < self->label_count && rc == 0; i++) {
        s_label_t *label = &self->labels[i];
        run->path[run->anchor_len] = '\0';
        json_t *node = run->anchor;
        char why[160];
        for (size_t s = 0; s < label->path.count && node; s++)
            node =
                s_step (run, node, &label->path.segments[s], why, sizeof why);
        if (!node) {
            rc = s_fail (run, "%s, for label '%s'", why, label->name);
            break;
        }
        json_t *value = NULL;
        if (json_is_string (node)) {
            const char *text = json_string_value (node);
            size_t len = json_string_length (node);
            if (len > WS_MATCH_TEXT_MAX) {
                len = WS_MATCH_TEXT_MAX;
                while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
                    len--;
            }
            value = json_stringn (text, len);
        }
        else if (json_is_number (node)) {
            char text[40];
            s_number_text (node, text, sizeof text);
            value = json_string (text);
        }
        else {
            char found[80];
            ws_json_describe (node, true, found, sizeof found);
            rc = s_fail (run,
                         "found %s, expected a string or a number for "
                         "label '%s'",
                         found, label->name);
            break;
        }
        if (!value || json_object_set_new (object, label->name, value))
            rc = s_fail (run, "out of memory for label '%s'", label->name);
    }
    memcpy (run->path, saved, saved_len + 1);
    if (rc) {
        json_decref (object);
        return -1;
    }
    *labels = object;
    return 0;
}

//  node is selected: one match, or an error for a value that is none.
static int
s_match (s_run_t *run, json_t *node)
{
    if (run->found == WS_JSON_SELECT_MATCHES_MAX) {
        ws_err_set (run->err, WS_ERR_EXTRACT,
                    "%.100s: more than %d matches; narrow the selection",
                    run->self->expr, WS_JSON_SELECT_MATCHES_MAX);
        ws_err_where (run->err, "%s", run->self->expr);
        return -1;
    }
    char text[80];
    const char *chars = text;
    size_t len;
    bool has_value = false;
    double value = 0;
    switch (json_typeof (node)) {
    case JSON_INTEGER:
    case JSON_REAL:
        s_number_text (node, text, sizeof text);
        len = strlen (text);
        has_value = true;
        value = json_number_value (node) + 0.0;
        break;
    case JSON_STRING:
        chars = json_string_value (node);
        len = json_string_length (node);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        has_value = true;
        value = json_is_true (node) ? 1 : 0;
        chars = json_is_true (node) ? "true" : "false";
        len = strlen (chars);
        break;
    default:
        ws_json_describe (node, true, text, sizeof text);
        if (!run->self->count_only)
            return s_fail (run, "found %s, expected a number or a string",
                           text);
        len = strlen (text);
        break;
    }
    json_t *labels;
    if (s_labels (run, &labels))
        return -1;
    ws_matches_add (run->matches, chars, len, has_value, value, labels);
    run->found++;
    return 0;
}

//  True if member of an object equals filter's value (see the header).
static bool
s_equal (const s_filter_t *filter, json_t *member)
{
    switch (json_typeof (member)) {
    case JSON_STRING:
        return json_string_length (member) == filter->value_len
               && memcmp (json_string_value (member), filter->value,
                          filter->value_len)
                      == 0;
    case JSON_INTEGER:
        if (filter->is_integer)
            return json_integer_value (member) == filter->integer;
        return filter->is_number
               && (double) json_integer_value (member) == filter->number;
    case JSON_REAL:
        return filter->is_number && json_real_value (member) == filter->number;
    case JSON_TRUE: return strcmp (filter->value, "true") == 0;
    case JSON_FALSE: return strcmp (filter->value, "false") == 0;
    case JSON_NULL: return strcmp (filter->value, "null") == 0;
    default: return false;
    }
}

//  True if element passes every filter of segment.
static bool
s_filters_hold (const s_segment_t *segment, json_t *element)
{
    if (segment->filter_count && !json_is_object (element))
        return false;
    for (size_t i = 0; i < segment->filter_count; i++) {
        const s_filter_t *filter = &segment->filters[i];
        json_t *member = json_object_get (element, filter->name);
        bool equal = member && s_equal (filter, member);
        if (equal == filter->negate)
            return false;
    }
    return true;
}

static int s_walk (s_run_t *run, json_t *node, size_t index, bool strict);

//  Walk each element of node that passes the filters of segment index.
static int
s_expand (s_run_t *run, json_t *node, size_t index, bool strict)
{
    const s_segment_t *segment = &run->self->path.segments[index];
    bool anchor = index == run->self->first_wildcard;
    if (json_is_array (node)) {
        size_t count = json_array_size (node);
        for (size_t i = 0; i < count; i++) {
            json_t *element = json_array_get (node, i);
            if (!s_filters_hold (segment, element))
                continue;
            size_t old = s_push_index (run, i);
            if (anchor) {
                run->anchor = element;
                run->anchor_len = strlen (run->path);
            }
            if (s_walk (run, element, index + 1, false))
                return -1;
            run->path[old] = '\0';
        }
        return 0;
    }
    if (json_is_object (node)) {
        const char *key;
        json_t *member;
        json_object_foreach (node, key, member) {
            if (!s_filters_hold (segment, member))
                continue;
            size_t old = s_push (run, key, strlen (key));
            if (anchor) {
                run->anchor = member;
                run->anchor_len = strlen (run->path);
            }
            if (s_walk (run, member, index + 1, false))
                return -1;
            run->path[old] = '\0';
        }
        return 0;
    }
    if (!strict)
        return 0;
    char found[80];
    ws_json_describe (node, true, found, sizeof found);
    if (segment->filters_text)
        return s_fail (run,
                       "found %s, expected an array or object to "
                       "filter with %.60s",
                       found, segment->filters_text);
    return s_fail (run, "found %s, expected an array or object for \"*\"",
                   found);
}

//  Walk node along the segments from index. strict until the first "*"
//  or filter: then a branch that lacks the path is no match rather than
//  an error.
static int
s_walk (s_run_t *run, json_t *node, size_t index, bool strict)
{
    ws_json_select_t *self = run->self;
    if (index == self->path.count)
        return s_match (run, node);
    const s_segment_t *segment = &self->path.segments[index];
    if (!segment->key)
        return s_expand (run, node, index, strict);
    char why[160];
    size_t old = strlen (run->path);
    json_t *child = s_step (run, node, segment, why, sizeof why);
    if (!child) {
        if (strict)
            return s_fail (run, "%s", why);
        run->path[old] = '\0';
        return 0;
    }
    int rc = segment->filter_count ? s_expand (run, child, index, strict)
                                   : s_walk (run, child, index + 1, strict);
    if (rc == 0)
        run->path[old] = '\0';
    return rc;
}

int
ws_json_select_run (ws_json_select_t *self, json_t *doc, ws_matches_t *matches,
                    ws_err_t *err)
{
    assert (self);
    assert (doc);
    assert (matches);
    //  The walk state holds a path buffer: keep it off the stack of
    //  callers that run many selections.
    s_run_t *run = calloc (1, sizeof *run);
    if (!run)
        return ws_err_set (err, WS_ERR_SYSTEM, "%.100s: out of memory",
                           self->expr);
    run->self = self;
    run->matches = matches;
    run->err = err;
    run->anchor = doc;
    size_t keep = matches->count;
    int rc = s_walk (run, doc, 0, true);
    free (run);
    if (rc)  //  a failed run leaves the list as it found it
        ws_matches_truncate (matches, keep);
    return rc;
}
