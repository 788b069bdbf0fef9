//  ws_extract_prom - the samples of a Prometheus text exposition that a
//  selector picks.
#include "ws_extract_prom.h"

#include "ws_buf.h"
#include "ws_json.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Labels one sample line may carry; each is compared with the others
//  for duplicates.
#define S_MAX_LABELS 1000

//  A label value is short: a regex that needs more steps than this on
//  one is pathological, and the run fails instead of hanging.
#define S_MATCH_LIMIT 1000000
#define S_DEPTH_LIMIT 10000  //  kilobytes of backtracking memory

typedef enum { S_EQ, S_NE, S_RE, S_NRE } s_op_t;

typedef struct {
    char *label;  //  owns
    s_op_t op;
    char *value;     //  owns; unescaped
    pcre2_code *re;  //  owns; for =~ and !~
} s_matcher_t;

typedef struct {
    char *label;   //  owns; the label of the match
    char *source;  //  owns; the label of the sample it is read from
} s_label_t;

struct _ws_extract_prom_t {
    char *selector;         //  owns; as written
    char *name;             //  owns; NULL when the selector has none
    s_matcher_t *matchers;  //  owns the array and each entry
    size_t matcher_count;
    s_label_t *labels;  //  owns the array and each entry
    size_t label_count;
    pcre2_match_data *match_data;        //  owns
    pcre2_match_context *match_context;  //  owns
};

static bool
s_name_start (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
s_name_char (char c)
{
    return s_name_start (c) || (c >= '0' && c <= '9');
}

static bool
s_valid_label (const char *name)
{
    if (!s_name_start (*name))
        return false;
    for (const char *p = name + 1; *p; p++)
        if (!s_name_char (*p))
            return false;
    return true;
}

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t';
}

//  Well-formed UTF-8 (no overlong forms, surrogates or code points past
//  U+10FFFF): Prometheus refuses other label values, and jansson would.
static bool
s_utf8_valid (const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *) text;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t extra;
        unsigned int min, code;
        if (c < 0x80) {
            i++;
            continue;
        }
        else if ((c & 0xE0) == 0xC0)
            extra = 1, min = 0x80, code = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            extra = 2, min = 0x800, code = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            extra = 3, min = 0x10000, code = c & 0x07;
        else
            return false;
        if (len - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            code = (code << 6) | (p[i + k] & 0x3F);
        }
        if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

//  --------------------------------------------------------------------
//  The selector

static int s_sel_fail (ws_err_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_sel_fail (ws_err_t *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char text[sizeof err->text];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    ws_err_set (err, WS_ERR_INPUT, "prometheus: %s", text);
    ws_err_where (err, "/prometheus");
    return -1;
}

typedef struct {
    const char *text;  //  borrowed; the selector
    size_t len;
    size_t pos;
} s_cursor_t;

static void
s_skip_space (s_cursor_t *self)
{
    while (self->pos < self->len && strchr (" \t\r\n", self->text[self->pos]))
        self->pos++;
}

//  A PromQL string at pos: "..." or '...' with escapes, `...` raw.
//  *out (caller owns) is the text.
static int
s_sel_string (s_cursor_t *self, const char *label, char **out, ws_err_t *err)
{
    size_t open = self->pos;
    char quote = self->text[self->pos++];
    ws_buf_t buf;
    ws_buf_init (&buf, self->len + 1);
    if (ws_buf_append (&buf, "", 0))
        return s_sel_fail (err, "out of memory");
    while (self->pos < self->len && self->text[self->pos] != quote) {
        char c = self->text[self->pos++];
        if (c == '\\' && quote != '`') {
            if (self->pos >= self->len)
                break;
            char escaped = self->text[self->pos++];
            switch (escaped) {
            case '\\':
            case '"':
            case '\'': c = escaped; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            default:
                ws_buf_free (&buf);
                return s_sel_fail (err,
                                   "unknown escape '\\%c' in the value of "
                                   "label '%s' at offset %zu (regex escapes "
                                   "need \\\\ or a `raw` string)",
                                   escaped, label, self->pos - 2);
            }
        }
        else if ((c == '\n' || c == '\r') && quote != '`') {
            ws_buf_free (&buf);
            return s_sel_fail (err,
                               "unterminated string for label '%s' at "
                               "offset %zu",
                               label, open);
        }
        if (ws_buf_append (&buf, &c, 1)) {
            ws_buf_free (&buf);
            return s_sel_fail (err, "out of memory");
        }
    }
    if (self->pos >= self->len) {
        ws_buf_free (&buf);
        return s_sel_fail (err,
                           "unterminated string for label '%s' at offset %zu",
                           label, open);
    }
    self->pos++;
    *out = ws_buf_steal (&buf);
    return *out ? 0 : s_sel_fail (err, "out of memory");
}

static int
s_sel_regex (ws_extract_prom_t *self, s_matcher_t *matcher, ws_err_t *err)
{
    int code;
    PCRE2_SIZE offset;
    //  Anchored at both ends as Prometheus anchors its regexes; by
    //  options, not by wrapping in ^(?:...)$, which "a)|(b" would escape.
    matcher->re =
        pcre2_compile ((PCRE2_SPTR) matcher->value, PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_DOTALL | PCRE2_ANCHORED
                           | PCRE2_ENDANCHORED | PCRE2_NEVER_BACKSLASH_C,
                       &code, &offset, NULL);
    if (!matcher->re) {
        PCRE2_UCHAR message[120];
        pcre2_get_error_message (code, message, sizeof message);
        return s_sel_fail (err, "label '%s' regex '%.60s': %s at offset %zu",
                           matcher->label, matcher->value, (char *) message,
                           (size_t) offset);
    }
    if (!self->match_data) {
        self->match_data = pcre2_match_data_create (1, NULL);
        self->match_context = pcre2_match_context_create (NULL);
        if (!self->match_data || !self->match_context)
            return s_sel_fail (err, "out of memory");
        pcre2_set_match_limit (self->match_context, S_MATCH_LIMIT);
        pcre2_set_depth_limit (self->match_context, S_DEPTH_LIMIT);
    }
    return 0;
}

//  One "label op string" at pos.
static int
s_sel_matcher (ws_extract_prom_t *self, s_cursor_t *cursor, ws_err_t *err)
{
    size_t start = cursor->pos;
    if (cursor->pos >= cursor->len || !s_name_start (cursor->text[start]))
        return s_sel_fail (err, "expected a label name at offset %zu", start);
    while (cursor->pos < cursor->len && s_name_char (cursor->text[cursor->pos]))
        cursor->pos++;
    s_matcher_t *matcher = &self->matchers[self->matcher_count];
    matcher->label = strndup (cursor->text + start, cursor->pos - start);
    if (!matcher->label)
        return s_sel_fail (err, "out of memory");
    self->matcher_count++;
    s_skip_space (cursor);
    const char *op = cursor->text + cursor->pos;
    size_t rest = cursor->len - cursor->pos;
    if (rest >= 2 && op[0] == '=' && op[1] == '~')
        matcher->op = S_RE;
    else if (rest >= 2 && op[0] == '!' && op[1] == '~')
        matcher->op = S_NRE;
    else if (rest >= 2 && op[0] == '!' && op[1] == '=')
        matcher->op = S_NE;
    else if (rest >= 1 && op[0] == '=')
        matcher->op = S_EQ;
    else
        return s_sel_fail (err,
                           "expected '=', '!=', '=~' or '!~' after label '%s' "
                           "at offset %zu",
                           matcher->label, cursor->pos);
    cursor->pos += matcher->op == S_EQ ? 1 : 2;
    s_skip_space (cursor);
    if (cursor->pos >= cursor->len
        || !strchr ("\"'`", cursor->text[cursor->pos]))
        return s_sel_fail (err,
                           "expected a quoted string after label '%s' at "
                           "offset %zu",
                           matcher->label, cursor->pos);
    if (s_sel_string (cursor, matcher->label, &matcher->value, err))
        return -1;
    if (matcher->op == S_RE || matcher->op == S_NRE)
        return s_sel_regex (self, matcher, err);
    return 0;
}

static int
s_sel_parse (ws_extract_prom_t *self, ws_err_t *err)
{
    s_cursor_t cursor = {self->selector, strlen (self->selector), 0};
    s_skip_space (&cursor);
    size_t start = cursor.pos;
    if (cursor.pos < cursor.len
        && (s_name_start (cursor.text[start]) || cursor.text[start] == ':')) {
        while (cursor.pos < cursor.len
               && (s_name_char (cursor.text[cursor.pos])
                   || cursor.text[cursor.pos] == ':'))
            cursor.pos++;
        self->name = strndup (cursor.text + start, cursor.pos - start);
        if (!self->name)
            return s_sel_fail (err, "out of memory");
    }
    s_skip_space (&cursor);
    if (cursor.pos < cursor.len && cursor.text[cursor.pos] == '{') {
        //  At most one matcher per two characters of the selector.
        self->matchers = calloc (cursor.len / 2 + 1, sizeof *self->matchers);
        if (!self->matchers)
            return s_sel_fail (err, "out of memory");
        cursor.pos++;
        while (true) {
            s_skip_space (&cursor);
            if (cursor.pos < cursor.len && cursor.text[cursor.pos] == '}')
                break;
            if (s_sel_matcher (self, &cursor, err))
                return -1;
            s_skip_space (&cursor);
            if (cursor.pos < cursor.len && cursor.text[cursor.pos] == ',')
                cursor.pos++;
            else if (cursor.pos >= cursor.len || cursor.text[cursor.pos] != '}')
                return s_sel_fail (err, "expected ',' or '}' at offset %zu",
                                   cursor.pos);
        }
        cursor.pos++;
        s_skip_space (&cursor);
    }
    if (cursor.pos < cursor.len)
        return s_sel_fail (err, "unexpected '%c' at offset %zu",
                           cursor.text[cursor.pos], cursor.pos);
    if (!self->name && self->matcher_count == 0)
        return s_sel_fail (err, "expected a metric name or {matchers}, such "
                                "as http_requests_total{code=\"200\"}");
    return 0;
}

static int
s_parse_labels (ws_extract_prom_t *self, json_t *labels, ws_err_t *err)
{
    if (!json_is_object (labels))
        return ws_json_fail_found (err, "prometheus", "/labels_from", labels,
                                   "an object of label: sample label");
    self->labels = calloc (json_object_size (labels) + 1, sizeof *self->labels);
    if (!self->labels)
        return ws_json_fail (err, "prometheus", "/labels_from",
                             "out of memory");
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value) {
        char path[128];
        ws_json_pointer_join (path, sizeof path, "/labels_from", key);
        if (!s_valid_label (key))
            return ws_json_fail (err, "prometheus", path,
                                 "'%s' is not a label name "
                                 "([A-Za-z_][A-Za-z0-9_]*)",
                                 key);
        const char *source = json_string_value (value);
        if (!source || !s_valid_label (source))
            return ws_json_fail_found (err, "prometheus", path, value,
                                       "a label name of the samples");
        s_label_t *entry = &self->labels[self->label_count++];
        entry->label = strdup (key);
        entry->source = strdup (source);
        if (!entry->label || !entry->source)
            return ws_json_fail (err, "prometheus", path, "out of memory");
    }
    return 0;
}

ws_extract_prom_t *
ws_extract_prom_new (json_t *rule, ws_err_t *err)
{
    json_t *selector =
        json_is_object (rule) ? json_object_get (rule, "prometheus") : NULL;
    if (!json_is_string (selector)) {
        ws_json_fail_found (err, "prometheus", "/prometheus", selector,
                            "a selector such as "
                            "http_requests_total{code=\"200\"}");
        return NULL;
    }
    if (strlen (json_string_value (selector))
        != json_string_length (selector)) {
        s_sel_fail (err, "a NUL character in the selector");
        return NULL;
    }
    ws_extract_prom_t *self = calloc (1, sizeof *self);
    if (!self || !(self->selector = strdup (json_string_value (selector)))) {
        s_sel_fail (err, "out of memory");
        free (self);
        return NULL;
    }
    json_t *labels = json_object_get (rule, "labels_from");
    if (s_sel_parse (self, err)
        || (labels && s_parse_labels (self, labels, err)))
        ws_extract_prom_destroy (&self);
    return self;
}

void
ws_extract_prom_destroy (ws_extract_prom_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_extract_prom_t *self = *self_p;
    for (size_t i = 0; i < self->matcher_count; i++) {
        free (self->matchers[i].label);
        free (self->matchers[i].value);
        pcre2_code_free (self->matchers[i].re);
    }
    free (self->matchers);
    for (size_t i = 0; i < self->label_count; i++) {
        free (self->labels[i].label);
        free (self->labels[i].source);
    }
    free (self->labels);
    pcre2_match_data_free (self->match_data);
    pcre2_match_context_free (self->match_context);
    free (self->name);
    free (self->selector);
    free (self);
    *self_p = NULL;
}

const char *
ws_extract_prom_expr (ws_extract_prom_t *self)
{
    assert (self);
    return self->selector;
}

//  --------------------------------------------------------------------
//  The exposition

//  A label of a sample: spans of the document, or for a value with
//  escapes, of the sample's buffer (kept as an offset until the line is
//  parsed, as the buffer moves when it grows).
typedef struct {
    const char *name;  //  borrowed
    size_t name_len;
    const char *value;  //  borrowed; set once the line is parsed
    size_t offset;
    size_t value_len;
    bool copied;
} s_pair_t;

typedef struct {
    const char *text;  //  borrowed; the line, without CR LF
    size_t len;
    size_t pos;
    size_t line;
    const char *name;  //  borrowed; the metric name
    size_t name_len;
    s_pair_t *pairs;  //  owns the array
    size_t count, max;
    ws_buf_t buf;  //  unescaped label values
    const char *value_text;
    size_t value_len;
    double value;
} s_sample_t;

static int s_line_fail (s_sample_t *self, ws_err_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_line_fail (s_sample_t *self, ws_err_t *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char text[sizeof err->text];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    return ws_err_set (err, WS_ERR_EXTRACT, "prometheus line %zu: %s",
                       self->line, text);
}

static void
s_skip_blanks (s_sample_t *self)
{
    while (self->pos < self->len && s_blank (self->text[self->pos]))
        self->pos++;
}

//  A token up to the next blank.
static size_t
s_token (s_sample_t *self, const char **start)
{
    *start = self->text + self->pos;
    while (self->pos < self->len && !s_blank (self->text[self->pos]))
        self->pos++;
    return (size_t) (self->text + self->pos - *start);
}

static size_t
s_metric_name (s_sample_t *self)
{
    size_t start = self->pos;
    if (self->pos < self->len
        && (s_name_start (self->text[start]) || self->text[start] == ':'))
        while (self->pos < self->len
               && (s_name_char (self->text[self->pos])
                   || self->text[self->pos] == ':'))
            self->pos++;
    return self->pos - start;
}

//  "# HELP name text" and "# TYPE name type"; other comments pass.
static int
s_comment (s_sample_t *self, ws_err_t *err)
{
    self->pos++;
    s_skip_blanks (self);
    const char *word;
    size_t len = s_token (self, &word);
    bool help = len == 4 && memcmp (word, "HELP", 4) == 0;
    bool type = len == 4 && memcmp (word, "TYPE", 4) == 0;
    if (!help && !type)
        return 0;
    s_skip_blanks (self);
    const char *name = self->text + self->pos;
    size_t name_len = s_metric_name (self);
    if (name_len == 0
        || (self->pos < self->len && !s_blank (self->text[self->pos])))
        return s_line_fail (self, err, "# %s without a valid metric name",
                            help ? "HELP" : "TYPE");
    if (help)
        return 0;
    s_skip_blanks (self);
    const char *kind;
    size_t kind_len = s_token (self, &kind);
    s_skip_blanks (self);
    static const char *const kinds[] = {
        "counter", "gauge",   "histogram", "gaugehistogram", "summary",
        "untyped", "unknown", "info",      "stateset",       NULL};
    for (size_t i = 0; kinds[i]; i++)
        if (kind_len == strlen (kinds[i])
            && memcmp (kind, kinds[i], kind_len) == 0 && self->pos == self->len)
            return 0;
    return s_line_fail (self, err, "unknown type '%.*s' for metric '%.*s'",
                        (int) (kind_len > 40 ? 40 : kind_len), kind,
                        (int) (name_len > 80 ? 80 : name_len), name);
}

//  A label value after its opening quote: \\ \" \n are escapes, as in
//  the format; another backslash pair is kept as written, as Prometheus
//  keeps it.
static int
s_label_value (s_sample_t *self, s_pair_t *pair, ws_err_t *err)
{
    size_t start = self->pos;
    size_t segment = start;
    while (true) {
        if (self->pos >= self->len)
            return s_line_fail (self, err, "unterminated label value");
        char c = self->text[self->pos];
        if (c == '"')
            break;
        if (c != '\\') {
            self->pos++;
            continue;
        }
        if (self->pos + 1 >= self->len)
            return s_line_fail (self, err, "unterminated label value");
        char escaped = self->text[self->pos + 1];
        const char *with = escaped == 'n'    ? "\n"
                           : escaped == '\\' ? "\\"
                           : escaped == '"'  ? "\""
                                             : NULL;
        if (with) {
            if (!pair->copied) {
                pair->copied = true;
                pair->offset = self->buf.len;
            }
            if (ws_buf_append (&self->buf, self->text + segment,
                               self->pos - segment)
                || ws_buf_append (&self->buf, with, 1))
                return s_line_fail (self, err, "out of memory");
            segment = self->pos + 2;
        }
        self->pos += 2;
    }
    if (pair->copied) {
        if (ws_buf_append (&self->buf, self->text + segment,
                           self->pos - segment))
            return s_line_fail (self, err, "out of memory");
        pair->value_len = self->buf.len - pair->offset;
    }
    else {
        pair->value = self->text + start;
        pair->value_len = self->pos - start;
    }
    self->pos++;
    if (!s_utf8_valid (self->text + start, self->pos - 1 - start))
        return s_line_fail (self, err, "the value of label '%.*s' is not UTF-8",
                            (int) (pair->name_len > 80 ? 80 : pair->name_len),
                            pair->name);
    return 0;
}

static int
s_labels (s_sample_t *self, ws_err_t *err)
{
    self->pos++;
    while (true) {
        s_skip_blanks (self);
        if (self->pos < self->len && self->text[self->pos] == '}')
            break;
        s_pair_t pair;
        memset (&pair, 0, sizeof pair);
        pair.name = self->text + self->pos;
        if (self->pos >= self->len || !s_name_start (self->text[self->pos]))
            return s_line_fail (self, err, "expected a label name or '}'");
        while (self->pos < self->len && s_name_char (self->text[self->pos]))
            self->pos++;
        pair.name_len = (size_t) (self->text + self->pos - pair.name);
        int shown = (int) (pair.name_len > 80 ? 80 : pair.name_len);
        for (size_t i = 0; i < self->count; i++)
            if (self->pairs[i].name_len == pair.name_len
                && memcmp (self->pairs[i].name, pair.name, pair.name_len) == 0)
                return s_line_fail (self, err, "label '%.*s' given twice",
                                    shown, pair.name);
        s_skip_blanks (self);
        if (self->pos >= self->len || self->text[self->pos] != '=')
            return s_line_fail (self, err, "expected '=' after label '%.*s'",
                                shown, pair.name);
        self->pos++;
        s_skip_blanks (self);
        if (self->pos >= self->len || self->text[self->pos] != '"')
            return s_line_fail (self, err,
                                "expected '\"' to open the value of label "
                                "'%.*s'",
                                shown, pair.name);
        self->pos++;
        if (s_label_value (self, &pair, err))
            return -1;
        if (self->count == self->max) {
            if (self->max >= S_MAX_LABELS)
                return s_line_fail (self, err, "more than %d labels",
                                    S_MAX_LABELS);
            size_t max = self->max ? self->max * 2 : 8;
            s_pair_t *pairs = realloc (self->pairs, max * sizeof *pairs);
            if (!pairs)
                return s_line_fail (self, err, "out of memory");
            self->pairs = pairs;
            self->max = max;
        }
        self->pairs[self->count++] = pair;
        s_skip_blanks (self);
        if (self->pos < self->len && self->text[self->pos] == ',')
            self->pos++;
        else if (self->pos >= self->len || self->text[self->pos] != '}')
            return s_line_fail (self, err,
                                "expected ',' or '}' after the value of "
                                "label '%.*s'",
                                shown, pair.name);
    }
    self->pos++;
    for (size_t i = 0; i < self->count; i++)
        if (self->pairs[i].copied)
            self->pairs[i].value = self->buf.data + self->pairs[i].offset;
    return 0;
}

//  The value as Go's strconv.ParseFloat reads it: a decimal or hex
//  float, NaN, Inf with a sign or not, any case. A value too large for
//  a double is an error, as there.
static int
s_value (s_sample_t *self, ws_err_t *err)
{
    size_t len = s_token (self, &self->value_text);
    self->value_len = len;
    int shown = (int) (len > 40 ? 40 : len);
    if (len == 0)
        return s_line_fail (self, err, "expected a value after '%.*s'",
                            (int) (self->name_len > 80 ? 80 : self->name_len),
                            self->name);
    char text[64];
    if (len >= sizeof text || memchr (self->value_text, '(', len))
        return s_line_fail (self, err, "value '%.*s' is not a number", shown,
                            self->value_text);
    memcpy (text, self->value_text, len);
    text[len] = '\0';
    char *end;
    errno = 0;
    self->value = strtod (text, &end);
    if (end != text + len)
        return s_line_fail (self, err, "value '%.*s' is not a number", shown,
                            self->value_text);
    if (errno == ERANGE && isinf (self->value))
        return s_line_fail (self, err, "value '%.*s' is out of range", shown,
                            self->value_text);
    return 0;
}

//  A timestamp, milliseconds since 1970 as a 64-bit integer.
static int
s_timestamp (s_sample_t *self, ws_err_t *err)
{
    const char *start;
    size_t len = s_token (self, &start);
    size_t digits = len && (*start == '-' || *start == '+') ? 1 : 0;
    bool valid = len > digits && len - digits <= 19;
    for (size_t i = digits; valid && i < len; i++)
        valid = start[i] >= '0' && start[i] <= '9';
    if (valid && len - digits == 19) {
        //  Past INT64_MAX (9223372036854775807)?
        valid = memcmp (start + digits, "9223372036854775807", 19) <= 0;
    }
    if (!valid)
        return s_line_fail (self, err, "timestamp '%.*s' is not an integer",
                            (int) (len > 40 ? 40 : len), start);
    return 0;
}

//  Parse one line. 1 for a sample, 0 for a blank line or comment, -1
//  with err.
static int
s_sample_parse (s_sample_t *self, const char *text, size_t len, size_t line,
                ws_err_t *err)
{
    self->text = text;
    self->len = len;
    self->pos = 0;
    self->line = line;
    self->count = 0;
    ws_buf_reset (&self->buf);
    if (memchr (text, '\0', len))
        return s_line_fail (self, err, "a NUL byte");
    s_skip_blanks (self);
    if (self->pos == len)
        return 0;
    if (text[self->pos] == '#')
        return s_comment (self, err);
    self->name = text + self->pos;
    self->name_len = s_metric_name (self);
    if (self->name_len == 0) {
        const char *start;
        size_t token = s_token (self, &start);
        return s_line_fail (self, err, "expected a metric name, found '%.*s'",
                            (int) (token > 40 ? 40 : token), start);
    }
    bool blank = self->pos < len && s_blank (text[self->pos]);
    s_skip_blanks (self);
    if (self->pos < len && text[self->pos] == '{') {
        if (s_labels (self, err))
            return -1;
        blank = true;
        s_skip_blanks (self);
    }
    if (!blank && self->pos < len)
        return s_line_fail (
            self, err, "unexpected '%c' after metric '%.*s'", text[self->pos],
            (int) (self->name_len > 80 ? 80 : self->name_len), self->name);
    if (s_value (self, err))
        return -1;
    s_skip_blanks (self);
    if (self->pos < len) {
        if (s_timestamp (self, err))
            return -1;
        s_skip_blanks (self);
        if (self->pos < len)
            return s_line_fail (self, err,
                                "unexpected text after the "
                                "timestamp");
    }
    return 1;
}

//  The sample's value of a label; __name__ is the metric name. NULL if
//  the sample lacks it.
static const char *
s_sample_label (const s_sample_t *self, const char *label, size_t *len)
{
    if (strcmp (label, "__name__") == 0) {
        *len = self->name_len;
        return self->name;
    }
    size_t label_len = strlen (label);
    for (size_t i = 0; i < self->count; i++)
        if (self->pairs[i].name_len == label_len
            && memcmp (self->pairs[i].name, label, label_len) == 0) {
            *len = self->pairs[i].value_len;
            return self->pairs[i].value;
        }
    *len = 0;
    return NULL;
}

//  Does the sample match the selector? 1 yes, 0 no, -1 with err when a
//  regex gave up.
static int
s_selects (ws_extract_prom_t *self, const s_sample_t *sample, ws_err_t *err)
{
    if (self->name
        && (sample->name_len != strlen (self->name)
            || memcmp (sample->name, self->name, sample->name_len) != 0))
        return 0;
    for (size_t i = 0; i < self->matcher_count; i++) {
        const s_matcher_t *matcher = &self->matchers[i];
        size_t len;
        const char *value = s_sample_label (sample, matcher->label, &len);
        if (!value)
            value = "";
        bool hit;
        if (matcher->op == S_EQ || matcher->op == S_NE) {
            hit = len == strlen (matcher->value)
                  && memcmp (value, matcher->value, len) == 0;
        }
        else {
            //  The value was checked to be UTF-8 while parsing.
            int rc = pcre2_match (matcher->re, (PCRE2_SPTR) value, len, 0,
                                  PCRE2_NO_UTF_CHECK, self->match_data,
                                  self->match_context);
            if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
                PCRE2_UCHAR message[120];
                pcre2_get_error_message (rc, message, sizeof message);
                return ws_err_set (err, WS_ERR_EXTRACT,
                                   "prometheus line %zu: regex of label "
                                   "'%s': %s",
                                   sample->line, matcher->label,
                                   (char *) message);
            }
            hit = rc >= 0;
        }
        if (hit != (matcher->op == S_EQ || matcher->op == S_RE))
            return 0;
    }
    return 1;
}

static int
s_add_match (ws_extract_prom_t *self, const s_sample_t *sample,
             ws_matches_t *matches, ws_err_t *err)
{
    json_t *labels = NULL;
    if (self->label_count && !(labels = json_object ()))
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "prometheus line %zu: out of memory", sample->line);
    for (size_t i = 0; i < self->label_count; i++) {
        size_t len;
        const char *value =
            s_sample_label (sample, self->labels[i].source, &len);
        if (!value)
            continue;
        json_t *text = json_stringn (value, len);
        if (!text
            || json_object_set_new (labels, self->labels[i].label, text)) {
            json_decref (labels);
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "prometheus line %zu: out of memory",
                               sample->line);
        }
    }
    if (labels && json_object_size (labels) == 0) {
        //  The list holds NULL, not {}, for a match without labels.
        json_decref (labels);
        labels = NULL;
    }
    ws_matches_add (matches, sample->value_text, sample->value_len, true,
                    sample->value, labels);
    return 0;
}

int
ws_extract_prom_run (ws_extract_prom_t *self, const char *body, size_t len,
                     ws_matches_t *matches, ws_err_t *err)
{
    assert (self);
    assert (matches);
    if (!body)
        len = 0;
    size_t keep = matches->count;
    s_sample_t sample;
    memset (&sample, 0, sizeof sample);
    ws_buf_init (&sample.buf, len + 1);
    int rc = 0;
    size_t pos = 0, line = 0, found = 0;
    while (rc == 0 && pos < len) {
        const char *start = body + pos;
        const char *newline = memchr (start, '\n', len - pos);
        size_t line_len = newline ? (size_t) (newline - start) : len - pos;
        pos += line_len + (newline ? 1 : 0);
        line++;
        if (line_len && start[line_len - 1] == '\r')
            line_len--;
        int parsed = s_sample_parse (&sample, start, line_len, line, err);
        if (parsed <= 0) {
            rc = parsed;
            continue;
        }
        int selects = s_selects (self, &sample, err);
        if (selects < 0)
            rc = -1;
        else if (selects && ++found > WS_EXTRACT_PROM_MAX_MATCHES)
            rc = ws_err_set (err, WS_ERR_EXTRACT,
                             "prometheus line %zu: more than %d matching "
                             "samples",
                             line, WS_EXTRACT_PROM_MAX_MATCHES);
        else if (selects)
            rc = s_add_match (self, &sample, matches, err);
    }
    free (sample.pairs);
    ws_buf_free (&sample.buf);
    if (rc)
        ws_matches_truncate (matches, keep);
    return rc;
}
