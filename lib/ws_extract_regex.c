//  ws_extract_regex - every match of a PCRE2 pattern, one group's text.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "ws_extract_regex.h"

#include <assert.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_json.h"

//  One label: its name and the group whose text it carries.
typedef struct {
    char *name;  //  owns
    uint32_t group;
} s_label_t;

struct _ws_extract_regex_t {
    char *expr;                    //  owns; the pattern as configured
    pcre2_code *code;              //  owns
    pcre2_match_context *context;  //  owns; the limits
    pcre2_match_data *match_data;  //  owns; sized for the pattern
    uint32_t group;                //  the capture that is the text
    s_label_t *labels;             //  owns the array and each name
    size_t label_count;
    bool crlf;  //  CRLF is a newline (pcre2demo)
};

//  "KEY: message" with where = pointer, code WS_ERR_INPUT. Returns NULL
//  so that new() can return it.
static void *s_refuse (ws_err_t *err, const char *where, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void *
s_refuse (ws_err_t *err, const char *where, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    ws_err_vset (err, WS_ERR_INPUT, fmt, args);
    va_end (args);
    ws_err_where (err, "%s", where);
    return NULL;
}

//  "KEY: found <value>, expected <expected>" at pointer where.
static void *
s_refuse_found (ws_err_t *err, const char *key, const char *where,
                json_t *found, const char *expected)
{
    char what[64] = "nothing";
    if (found)
        ws_json_describe (found, false, what, sizeof what);
    return s_refuse (err, where, "%s: found %s, expected %s", key, what,
                     expected);
}

//  The number of the group called name, or -1 with err at where ("KEY:
//  no group named 'x' in the regex"). A name used twice ((?J)) is
//  refused: the text would depend on which one took part.
static int
s_group_by_name (ws_extract_regex_t *self, const char *name, const char *key,
                 const char *where, ws_err_t *err)
{
    int number =
        pcre2_substring_number_from_name (self->code, (PCRE2_SPTR) name);
    if (number == PCRE2_ERROR_NOUNIQUESUBSTRING) {
        s_refuse (err, where, "%s: the name '%s' is given to several groups",
                  key, name);
        return -1;
    }
    if (number < 0) {
        s_refuse (err, where, "%s: no group named '%s' in the regex", key,
                  name);
        return -1;
    }
    return number;
}

//  Compile options from "flags" (NULL for none), or -1 with err.
static int
s_flags (json_t *flags, uint32_t *options, ws_err_t *err)
{
    if (!flags)
        return 0;
    if (!json_is_string (flags)) {
        s_refuse_found (err, "flags", "/flags", flags,
                        "a string of i, s, m, x");
        return -1;
    }
    const char *text = json_string_value (flags);
    for (size_t i = 0; i < json_string_length (flags); i++) {
        switch (text[i]) {
        case 'i': *options |= PCRE2_CASELESS; break;
        case 's': *options |= PCRE2_DOTALL; break;
        case 'm': *options |= PCRE2_MULTILINE; break;
        case 'x': *options |= PCRE2_EXTENDED; break;
        default:
            if ((unsigned char) text[i] < 0x20
                || (unsigned char) text[i] >= 0x7F)
                s_refuse (err, "/flags",
                          "flags: unknown flag byte 0x%02x, expected i, s, "
                          "m or x",
                          (unsigned char) text[i]);
            else
                s_refuse (err, "/flags",
                          "flags: unknown flag '%c', expected i, s, m or x",
                          text[i]);
            return -1;
        }
    }
    return 0;
}

//  Read "labels_from" (NULL for none) into self->labels, or -1 with err.
static int
s_labels (ws_extract_regex_t *self, json_t *labels_from, ws_err_t *err)
{
    if (!labels_from)
        return 0;
    if (!json_is_object (labels_from)) {
        s_refuse_found (err, "labels_from", "/labels_from", labels_from,
                        "an object of label names to group names");
        return -1;
    }
    size_t size = json_object_size (labels_from);
    if (size == 0)
        return 0;
    self->labels = calloc (size, sizeof *self->labels);
    if (!self->labels) {
        s_refuse (err, "/labels_from", "labels_from: out of memory");
        return -1;
    }
    const char *name;
    json_t *value;
    json_object_foreach (labels_from, name, value) {
        char where[128];
        ws_json_pointer_join (where, sizeof where, "/labels_from", name);
        char key[96];
        snprintf (key, sizeof key, "labels_from '%.60s'", name);
        if (!*name) {
            s_refuse (err, where, "labels_from: a label name is empty");
            return -1;
        }
        if (!json_is_string (value)) {
            s_refuse_found (err, key, where, value, "the name of a group");
            return -1;
        }
        int group =
            s_group_by_name (self, json_string_value (value), key, where, err);
        if (group < 0)
            return -1;
        s_label_t *label = &self->labels[self->label_count];
        label->name = strdup (name);
        if (!label->name) {
            s_refuse (err, where, "%s: out of memory", key);
            return -1;
        }
        label->group = (uint32_t) group;
        self->label_count++;
    }
    return 0;
}

//  True if group is named by a label.
static bool
s_is_label_group (ws_extract_regex_t *self, uint32_t group)
{
    for (size_t i = 0; i < self->label_count; i++)
        if (self->labels[i].group == group)
            return true;
    return false;
}

//  Choose the text group from "group" (NULL for the default), or -1.
static int
s_choose_group (ws_extract_regex_t *self, json_t *group, ws_err_t *err)
{
    uint32_t captures = 0;
    pcre2_pattern_info (self->code, PCRE2_INFO_CAPTURECOUNT, &captures);
    if (json_is_string (group)) {
        int number = s_group_by_name (self, json_string_value (group), "group",
                                      "/group", err);
        if (number < 0)
            return -1;
        self->group = (uint32_t) number;
        return 0;
    }
    if (json_is_integer (group)) {
        json_int_t number = json_integer_value (group);
        if (number < 0 || number > (json_int_t) captures) {
            s_refuse (err, "/group",
                      "group: no group %" JSON_INTEGER_FORMAT
                      " in the regex (it has %u)",
                      number, captures);
            return -1;
        }
        self->group = (uint32_t) number;
        return 0;
    }
    if (group) {
        s_refuse_found (err, "group", "/group", group,
                        "a group name or number");
        return -1;
    }
    //  Default: the one named group that is not a label's, else group 1
    //  if there is one, else the whole match. Name table entries start
    //  with the group number, most significant byte first (pcre2api).
    uint32_t names = 0, entry_size = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info (self->code, PCRE2_INFO_NAMECOUNT, &names);
    pcre2_pattern_info (self->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    pcre2_pattern_info (self->code, PCRE2_INFO_NAMETABLE, &table);
    uint32_t unlabelled = 0, named = 0;
    for (uint32_t i = 0; i < names; i++) {
        PCRE2_SPTR entry = table + (size_t) i * entry_size;
        uint32_t number = ((uint32_t) entry[0] << 8) | entry[1];
        if (!s_is_label_group (self, number)) {
            unlabelled++;
            named = number;
        }
    }
    if (unlabelled == 1)
        self->group = named;
    else
        self->group = captures > 0 ? 1 : 0;
    return 0;
}

ws_extract_regex_t *
ws_extract_regex_new (json_t *rule, ws_err_t *err)
{
    if (!json_is_object (rule))
        return s_refuse_found (err, "rule", "", rule, "an object");
    json_t *pattern = json_object_get (rule, "regex");
    if (!json_is_string (pattern) || json_string_length (pattern) == 0) {
        if (!pattern)
            return s_refuse (err, "/regex", "regex: missing");
        return s_refuse_found (err, "regex", "/regex", pattern,
                               "a PCRE2 pattern");
    }
    uint32_t options = PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C;
    if (s_flags (json_object_get (rule, "flags"), &options, err))
        return NULL;

    ws_extract_regex_t *self = calloc (1, sizeof *self);
    if (!self)
        return s_refuse (err, "/regex", "regex: out of memory");
    self->expr = strdup (json_string_value (pattern));
    if (!self->expr) {
        s_refuse (err, "/regex", "regex: out of memory");
        goto fail;
    }
    int code;
    PCRE2_SIZE offset;
    self->code = pcre2_compile ((PCRE2_SPTR) json_string_value (pattern),
                                json_string_length (pattern), options, &code,
                                &offset, NULL);
    if (!self->code) {
        PCRE2_UCHAR message[160];
        pcre2_get_error_message (code, message, sizeof message);
        s_refuse (err, "/regex", "regex: %s at offset %zu", (char *) message,
                  (size_t) offset);
        goto fail;
    }
    self->context = pcre2_match_context_create (NULL);
    self->match_data = pcre2_match_data_create_from_pattern (self->code, NULL);
    if (!self->context || !self->match_data) {
        s_refuse (err, "/regex", "regex: out of memory");
        goto fail;
    }
    pcre2_set_match_limit (self->context, WS_EXTRACT_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit (self->context, WS_EXTRACT_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit (self->context, WS_EXTRACT_REGEX_HEAP_LIMIT);
    uint32_t newline = 0;
    pcre2_pattern_info (self->code, PCRE2_INFO_NEWLINE, &newline);
    self->crlf = newline == PCRE2_NEWLINE_ANY || newline == PCRE2_NEWLINE_CRLF
                 || newline == PCRE2_NEWLINE_ANYCRLF;

    if (s_labels (self, json_object_get (rule, "labels_from"), err)
        || s_choose_group (self, json_object_get (rule, "group"), err))
        goto fail;
    return self;
fail:
    ws_extract_regex_destroy (&self);
    return NULL;
}

//  The labels of the current match, or NULL when the rule has none.
//  -1 with err if jansson cannot make them (out of memory).
static int
s_match_labels (ws_extract_regex_t *self, const char *body,
                const PCRE2_SIZE *ovector, json_t **labels, ws_err_t *err)
{
    *labels = NULL;
    if (self->label_count == 0)
        return 0;
    json_t *object = json_object ();
    if (!object)
        return ws_err_set (err, WS_ERR_EXTRACT, "regex: out of memory");
    for (size_t i = 0; i < self->label_count; i++) {
        PCRE2_SIZE start = ovector[2 * self->labels[i].group];
        PCRE2_SIZE end = ovector[2 * self->labels[i].group + 1];
        size_t len = 0;
        if (start != PCRE2_UNSET && end > start)
            len = ws_utf8_cut (body + start, end - start, WS_MATCH_TEXT_MAX);
        //  A group lies in a stretch of valid UTF-8 (ws_extract_regex_run),
        //  so json_stringn fails only for want of memory.
        json_t *value = json_stringn (len ? body + start : "", len);
        if (!value
            || json_object_set_new (object, self->labels[i].name, value)) {
            json_decref (object);
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "regex: cannot make label '%s'",
                               self->labels[i].name);
        }
    }
    *labels = object;
    return 0;
}

//  The error of a failed pcre2_match at offset.
static int
s_match_error (int code, size_t offset, ws_err_t *err)
{
    switch (code) {
    case PCRE2_ERROR_MATCHLIMIT:
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "regex: match limit exceeded at offset %zu (%u "
                           "steps); the pattern backtracks too much on this "
                           "document",
                           offset, (unsigned) WS_EXTRACT_REGEX_MATCH_LIMIT);
    case PCRE2_ERROR_DEPTHLIMIT:
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "regex: depth limit exceeded at offset %zu (%u "
                           "nested backtracking points); make the pattern "
                           "more specific",
                           offset, (unsigned) WS_EXTRACT_REGEX_DEPTH_LIMIT);
    case PCRE2_ERROR_HEAPLIMIT:
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "regex: heap limit exceeded at offset %zu (%u "
                           "KiB); make the pattern more specific",
                           offset, (unsigned) WS_EXTRACT_REGEX_HEAP_LIMIT);
    default: {
        PCRE2_UCHAR message[160];
        pcre2_get_error_message (code, message, sizeof message);
        return ws_err_set (err, WS_ERR_EXTRACT, "regex: %s at offset %zu",
                           (char *) message, offset);
    }
    }
}

//  Add the matches in one stretch of valid UTF-8, body[base, base+len),
//  to matches; found counts them across stretches. -1 with err.
static int
s_run_stretch (ws_extract_regex_t *self, const char *body, size_t base,
               size_t len, uint32_t stretch_options, ws_matches_t *matches,
               size_t *found, ws_err_t *err)
{
    const char *subject = body + base;
    PCRE2_SIZE offset = 0;
    uint32_t options = 0;
    //  The loop of pcre2demo.c: after an empty match, try a non-empty
    //  one at the same place, else move on one character.
    while (offset <= len) {
        int rc = pcre2_match (self->code, (PCRE2_SPTR) subject, len, offset,
                              stretch_options | options, self->match_data,
                              self->context);
        if (rc == PCRE2_ERROR_NOMATCH) {
            if (options == 0 || offset >= len)
                break;
            options = 0;
            if (self->crlf && offset + 1 < len && subject[offset] == '\r'
                && subject[offset + 1] == '\n')
                offset += 2;
            else {
                offset++;
                while (offset < len
                       && ((unsigned char) subject[offset] & 0xC0) == 0x80)
                    offset++;
            }
            continue;
        }
        if (rc < 0)
            return s_match_error (rc, base + offset, err);
        PCRE2_SIZE *ovector = pcre2_get_ovector_pointer (self->match_data);
        //  \K in a lookahead can end a match before its start; PCRE2
        //  refuses that at compile time since 10.38, this is for older.
        if (ovector[1] < ovector[0])
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "regex: a match ends before it starts (\\K "
                               "in a lookahead) at offset %zu",
                               (size_t) (base + ovector[0]));
        PCRE2_SIZE start = ovector[2 * self->group];
        PCRE2_SIZE end = ovector[2 * self->group + 1];
        if (start != PCRE2_UNSET) {
            if (++*found > WS_EXTRACT_REGEX_MATCHES_MAX)
                return ws_err_set (err, WS_ERR_EXTRACT,
                                   "regex: more than %d matches; make the "
                                   "pattern narrower",
                                   WS_EXTRACT_REGEX_MATCHES_MAX);
            json_t *labels;
            if (s_match_labels (self, subject, ovector, &labels, err))
                return -1;
            ws_matches_add (matches, subject + start,
                            end > start ? end - start : 0, false, 0, labels);
        }
        options = ovector[0] == ovector[1]
                      ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED
                      : 0;
        offset = ovector[1];
    }
    return 0;
}

int
ws_extract_regex_run (ws_extract_regex_t *self, const char *body, size_t len,
                      ws_matches_t *matches, ws_err_t *err)
{
    assert (self);
    assert (matches);
    if (!body)
        body = "";
    size_t before = matches->count, found = 0, start = 0;
    //  Invalid UTF-8 is a barrier no match crosses: each stretch of
    //  valid UTF-8 between is a subject of its own, checked here once.
    //  (PCRE2_MATCH_INVALID_UTF does the same, but checks the rest of
    //  the document again at every match: quadratic on a big page.)
    while (start <= len) {
        size_t end =
            ws_utf8_valid_end ((const unsigned char *) body, start, len);
        uint32_t options = PCRE2_NO_UTF_CHECK;
        if (start > 0)
            options |= PCRE2_NOTBOL;
        if (end < len)
            options |= PCRE2_NOTEOL;
        if ((end > start || len == 0)
            && s_run_stretch (self, body, start, end - start, options, matches,
                              &found, err)) {
            ws_matches_truncate (matches, before);
            return -1;
        }
        if (end >= len)
            break;
        start = end + 1;
    }
    return 0;
}

void
ws_extract_regex_destroy (ws_extract_regex_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_extract_regex_t *self = *self_p;
    for (size_t i = 0; i < self->label_count; i++)
        free (self->labels[i].name);
    free (self->labels);
    pcre2_match_data_free (self->match_data);
    pcre2_match_context_free (self->context);
    pcre2_code_free (self->code);
    free (self->expr);
    free (self);
    *self_p = NULL;
}

const char *
ws_extract_regex_expr (ws_extract_regex_t *self)
{
    assert (self);
    return self->expr;
}
