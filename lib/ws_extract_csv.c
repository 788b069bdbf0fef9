//  ws_extract_csv - the rows of a CSV document a rule selects.
#include "ws_extract_csv.h"

#include "ws_buf.h"
#include "ws_json.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  A column as the rule names it: by header name or by 0-based index.
typedef struct {
    char *name;    //  owns; NULL when by index
    size_t index;  //  when name is NULL
} s_column_t;

typedef struct {
    s_column_t column;
    char *text;  //  owns; the field must equal it
} s_where_t;

typedef struct {
    char *label;  //  owns; the label name
    s_column_t column;
} s_label_t;

struct _ws_extract_csv_t {
    s_column_t value;
    s_where_t *wheres;  //  owns the array and each entry
    size_t where_count;
    s_label_t *labels;  //  owns the array and each entry
    size_t label_count;
    bool header;
    char delimiter;
    size_t skip;
    char *expr;  //  owns; "csv column 'Spend (EUR)'"
};

//  One field of the current record: a span of the document, or, when it
//  held "" (a quote), of the reader's buffer of unescaped copies. The
//  buffer moves as it grows, so a copy is kept as an offset until the
//  record is complete.
typedef struct {
    const char *data;  //  borrowed; set once the record is complete
    size_t offset;     //  into the buffer, when copied
    size_t len;
    bool copied;
    bool quoted;
} s_field_t;

//  The RFC 4180 reader: one record at a time.
typedef struct {
    const char *text;  //  borrowed; the document
    size_t len;
    size_t pos;
    size_t line;  //  1-based line of pos
    char delimiter;
    s_field_t *fields;  //  owns; the current record
    size_t count, max;
    ws_buf_t buf;        //  unescaped copies of quoted fields with ""
    size_t record_line;  //  line where the current record starts
} s_reader_t;

//  --------------------------------------------------------------------
//  The reader

static void
s_reader_init (s_reader_t *self, const char *text, size_t len, char delimiter)
{
    memset (self, 0, sizeof *self);
    self->text = text;
    self->len = len;
    self->line = 1;
    self->delimiter = delimiter;
    //  An unescaped copy is never longer than the document.
    ws_buf_init (&self->buf, len + 1);
}

static void
s_reader_free (s_reader_t *self)
{
    free (self->fields);
    ws_buf_free (&self->buf);
}

//  Line ends in text[from..to): LF, and CR not followed by LF (a lone
//  CR ends a line too).
static size_t
s_count_lines (const s_reader_t *self, size_t from, size_t to)
{
    size_t lines = 0;
    for (size_t i = from; i < to; i++) {
        if (self->text[i] == '\n')
            lines++;
        else if (self->text[i] == '\r'
                 && (i + 1 >= self->len || self->text[i + 1] != '\n'))
            lines++;
    }
    return lines;
}

static int
s_add_field (s_reader_t *self, s_field_t field, ws_err_t *err)
{
    if (field.len > WS_EXTRACT_CSV_MAX_FIELD)
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "csv line %zu: field %zu is longer than %d bytes",
                           self->record_line, self->count + 1,
                           WS_EXTRACT_CSV_MAX_FIELD);
    if (self->count == self->max) {
        if (self->max == WS_EXTRACT_CSV_MAX_FIELDS)
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "csv line %zu: more than %d fields",
                               self->record_line, WS_EXTRACT_CSV_MAX_FIELDS);
        size_t max = self->max ? self->max * 2 : 16;
        if (max > WS_EXTRACT_CSV_MAX_FIELDS)
            max = WS_EXTRACT_CSV_MAX_FIELDS;
        s_field_t *fields = realloc (self->fields, max * sizeof *fields);
        if (!fields)
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "csv line %zu: out of memory",
                               self->record_line);
        self->fields = fields;
        self->max = max;
    }
    self->fields[self->count++] = field;
    return 0;
}

//  A quoted field starting at the opening quote at pos. Leaves pos after
//  the closing quote.
static int
s_read_quoted (s_reader_t *self, s_field_t *field, ws_err_t *err)
{
    size_t open_line = self->line;
    size_t start = ++self->pos;
    size_t segment = start;  //  start of the part not yet copied
    field->quoted = true;
    while (true) {
        const char *quote =
            memchr (self->text + self->pos, '"', self->len - self->pos);
        if (!quote)
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "csv line %zu: unterminated quoted field "
                               "(field %zu)",
                               open_line, self->count + 1);
        size_t at = (size_t) (quote - self->text);
        self->line += s_count_lines (self, self->pos, at);
        if (at + 1 < self->len && self->text[at + 1] == '"') {
            //  "" is one quote: copy up to and with the first.
            if (!field->copied) {
                field->copied = true;
                field->offset = self->buf.len;
            }
            if (ws_buf_append (&self->buf, self->text + segment,
                               at + 1 - segment))
                return ws_err_set (err, WS_ERR_EXTRACT,
                                   "csv line %zu: out of memory", open_line);
            self->pos = segment = at + 2;
            continue;
        }
        if (field->copied) {
            if (ws_buf_append (&self->buf, self->text + segment, at - segment))
                return ws_err_set (err, WS_ERR_EXTRACT,
                                   "csv line %zu: out of memory", open_line);
            field->len = self->buf.len - field->offset;
        }
        else {
            field->data = self->text + start;
            field->len = at - start;
        }
        self->pos = at + 1;
        break;
    }
    if (self->pos < self->len) {
        char next = self->text[self->pos];
        if (next != self->delimiter && next != '\r' && next != '\n')
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "csv line %zu: text after the closing quote "
                               "of field %zu",
                               self->line, self->count + 1);
    }
    return 0;
}

//  A record of nothing but spaces and tabs (or nothing) is a blank line.
static bool
s_record_blank (const s_reader_t *self)
{
    if (self->count != 1 || self->fields[0].quoted)
        return false;
    for (size_t i = 0; i < self->fields[0].len; i++)
        if (self->fields[0].data[i] != ' ' && self->fields[0].data[i] != '\t')
            return false;
    return true;
}

//  Read the next record that is not blank. Returns 1, 0 at the end of the
//  document, or -1 with err.
static int
s_reader_next (s_reader_t *self, ws_err_t *err)
{
    while (self->pos < self->len) {
        self->count = 0;
        ws_buf_reset (&self->buf);
        self->record_line = self->line;
        bool more = true;
        while (more) {
            s_field_t field;
            memset (&field, 0, sizeof field);
            if (self->pos < self->len && self->text[self->pos] == '"') {
                if (s_read_quoted (self, &field, err))
                    return -1;
            }
            else {
                size_t start = self->pos;
                while (self->pos < self->len) {
                    char c = self->text[self->pos];
                    if (c == self->delimiter || c == '\r' || c == '\n')
                        break;
                    self->pos++;
                }
                field.data = self->text + start;
                field.len = self->pos - start;
            }
            if (s_add_field (self, field, err))
                return -1;
            if (self->pos >= self->len)
                more = false;
            else if (self->text[self->pos] == self->delimiter)
                self->pos++;
            else {
                if (self->text[self->pos] == '\r')
                    self->pos++;
                if (self->pos < self->len && self->text[self->pos] == '\n')
                    self->pos++;
                self->line++;
                more = false;
            }
        }
        for (size_t i = 0; i < self->count; i++)
            if (self->fields[i].copied)
                self->fields[i].data = self->buf.data + self->fields[i].offset;
        if (!s_record_blank (self))
            return 1;
    }
    return 0;
}

//  Pass over lines before the header (a report's title); quotes there
//  mean nothing.
static void
s_reader_skip_lines (s_reader_t *self, size_t lines)
{
    for (size_t i = 0; i < lines && self->pos < self->len; i++) {
        const char *end =
            memchr (self->text + self->pos, '\n', self->len - self->pos);
        self->pos = end ? (size_t) (end - self->text) + 1 : self->len;
        self->line++;
    }
}

//  --------------------------------------------------------------------
//  The rule

static void
s_describe (const s_column_t *column, char *out, size_t size)
{
    if (column->name)
        snprintf (out, size, "column '%s'", column->name);
    else
        snprintf (out, size, "column %zu", column->index);
}

static bool
s_valid_label (const char *name)
{
    if (!(*name == '_' || (*name >= 'a' && *name <= 'z')
          || (*name >= 'A' && *name <= 'Z')))
        return false;
    for (const char *p = name + 1; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

static int
s_oom (ws_err_t *err, const char *path)
{
    ws_err_set (err, WS_ERR_INPUT, "%s: out of memory", path);
    ws_err_where (err, "%s", path);
    return -1;
}

//  A column from a JSON string (a header name) or integer (an index).
static int
s_column_parse (s_column_t *column, json_t *value, bool header,
                const char *path, ws_err_t *err)
{
    if (json_is_string (value)) {
        const char *name = json_string_value (value);
        if (!*name)
            return ws_json_fail (err, "csv", path, "an empty column name");
        if (!header)
            return ws_json_fail (err, "csv", path,
                                 "a column name needs a header line "
                                 "(\"header\" is false); give a 0-based index");
        column->name = strdup (name);
        return column->name ? 0 : s_oom (err, path);
    }
    if (json_is_integer (value) && json_integer_value (value) >= 0
        && json_integer_value (value) < WS_EXTRACT_CSV_MAX_FIELDS) {
        column->index = (size_t) json_integer_value (value);
        return 0;
    }
    return ws_json_fail_found (err, "csv", path, value,
                               "a column name or a 0-based index below 65536");
}

//  A "where" key: a header name, or without a header an index in
//  decimal ("2"), as JSON keys are strings.
static int
s_where_column (s_column_t *column, const char *key, bool header,
                const char *path, ws_err_t *err)
{
    if (!*key)
        return ws_json_fail (err, "csv", path, "an empty column name");
    if (header) {
        column->name = strdup (key);
        return column->name ? 0 : s_oom (err, path);
    }
    size_t index = 0;
    for (const char *p = key; *p; p++) {
        if (*p < '0' || *p > '9' || index >= WS_EXTRACT_CSV_MAX_FIELDS)
            return ws_json_fail (err, "csv", path,
                                 "a column name needs a header line "
                                 "(\"header\" is false); give a 0-based "
                                 "index as the key, e.g. \"1\"");
        index = index * 10 + (size_t) (*p - '0');
    }
    if (index >= WS_EXTRACT_CSV_MAX_FIELDS)
        return ws_json_fail (err, "csv", path,
                             "column index %zu is not below 65536", index);
    column->index = index;
    return 0;
}

static int
s_parse_options (ws_extract_csv_t *self, json_t *csv, ws_err_t *err)
{
    json_t *header = json_object_get (csv, "header");
    if (header) {
        if (!json_is_boolean (header))
            return ws_json_fail_found (err, "csv", "/csv/header", header,
                                       "true or false");
        self->header = json_is_true (header);
    }
    json_t *delimiter = json_object_get (csv, "delimiter");
    if (delimiter) {
        const char *text = json_string_value (delimiter);
        if (!text || strlen (text) != 1 || (unsigned char) text[0] > 0x7F
            || strchr ("\"\r\n", text[0]))
            return ws_json_fail_found (
                err, "csv", "/csv/delimiter", delimiter,
                "one ASCII character other than a quote, CR or LF, "
                "such as \",\", \";\", \"\\t\" or \"|\"");
        self->delimiter = text[0];
    }
    json_t *skip = json_object_get (csv, "skip");
    if (skip) {
        if (!json_is_integer (skip) || json_integer_value (skip) < 0
            || json_integer_value (skip) > WS_EXTRACT_CSV_MAX_SKIP)
            return ws_json_fail_found (err, "csv", "/csv/skip", skip,
                                       "a number of lines from 0 to 1000");
        self->skip = (size_t) json_integer_value (skip);
    }
    return 0;
}

static int
s_parse_where (ws_extract_csv_t *self, json_t *where, ws_err_t *err)
{
    if (!json_is_object (where))
        return ws_json_fail_found (err, "csv", "/csv/where", where,
                                   "an object of column: text");
    self->wheres = calloc (json_object_size (where) + 1, sizeof *self->wheres);
    if (!self->wheres)
        return s_oom (err, "/csv/where");
    const char *key;
    json_t *value;
    json_object_foreach (where, key, value) {
        char path[128];
        ws_json_pointer_join (path, sizeof path, "/csv/where", key);
        s_where_t *entry = &self->wheres[self->where_count];
        if (!json_is_string (value))
            return ws_json_fail_found (err, "csv", path, value,
                                       "the text the column must hold");
        if (s_where_column (&entry->column, key, self->header, path, err))
            return -1;
        self->where_count++;
        entry->text = strdup (json_string_value (value));
        if (!entry->text)
            return s_oom (err, path);
    }
    return 0;
}

static int
s_parse_labels (ws_extract_csv_t *self, json_t *labels, ws_err_t *err)
{
    if (!json_is_object (labels))
        return ws_json_fail_found (err, "csv", "/labels_from", labels,
                                   "an object of label: column");
    self->labels = calloc (json_object_size (labels) + 1, sizeof *self->labels);
    if (!self->labels)
        return s_oom (err, "/labels_from");
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value) {
        char path[128];
        ws_json_pointer_join (path, sizeof path, "/labels_from", key);
        if (!s_valid_label (key))
            return ws_json_fail (err, "csv", path,
                                 "'%s' is not a label name "
                                 "([A-Za-z_][A-Za-z0-9_]*)",
                                 key);
        s_label_t *entry = &self->labels[self->label_count];
        if (s_column_parse (&entry->column, value, self->header, path, err))
            return -1;
        self->label_count++;
        entry->label = strdup (key);
        if (!entry->label)
            return s_oom (err, path);
    }
    return 0;
}

ws_extract_csv_t *
ws_extract_csv_new (json_t *rule, ws_err_t *err)
{
    json_t *csv = json_is_object (rule) ? json_object_get (rule, "csv") : NULL;
    if (!json_is_object (csv)) {
        ws_json_fail_found (err, "csv", "/csv", csv,
                            "an object with \"column\"");
        return NULL;
    }
    static const char *const allowed[] = {"column",    "where", "header",
                                          "delimiter", "skip",  NULL};
    if (ws_json_check_keys (csv, "/csv", allowed,
                            "column, where, header, delimiter, skip", "csv",
                            err))
        return NULL;
    ws_extract_csv_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_oom (err, "/csv");
        return NULL;
    }
    self->header = true;
    self->delimiter = ',';
    json_t *where = json_object_get (csv, "where");
    json_t *labels = json_object_get (rule, "labels_from");
    if (s_parse_options (self, csv, err)
        || s_column_parse (&self->value, json_object_get (csv, "column"),
                           self->header, "/csv/column", err)
        || (where && s_parse_where (self, where, err))
        || (labels && s_parse_labels (self, labels, err))) {
        ws_extract_csv_destroy (&self);
        return NULL;
    }
    char column[160];
    s_describe (&self->value, column, sizeof column);
    size_t size = strlen (column) + 5;
    self->expr = malloc (size);
    if (!self->expr) {
        s_oom (err, "/csv");
        ws_extract_csv_destroy (&self);
        return NULL;
    }
    snprintf (self->expr, size, "csv %s", column);
    return self;
}

void
ws_extract_csv_destroy (ws_extract_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_extract_csv_t *self = *self_p;
    free (self->value.name);
    for (size_t i = 0; i < self->where_count; i++) {
        free (self->wheres[i].column.name);
        free (self->wheres[i].text);
    }
    free (self->wheres);
    for (size_t i = 0; i < self->label_count; i++) {
        free (self->labels[i].label);
        free (self->labels[i].column.name);
    }
    free (self->labels);
    free (self->expr);
    free (self);
    *self_p = NULL;
}

const char *
ws_extract_csv_expr (ws_extract_csv_t *self)
{
    assert (self);
    return self->expr;
}

//  --------------------------------------------------------------------
//  Reading a document

//  The header field a name stands for: exact, then ignoring case, then
//  also ignoring spaces and tabs around the header field ("Date, Region"
//  as some tools write it). SIZE_MAX if none.
static size_t
s_find_column (const s_reader_t *reader, const char *name)
{
    size_t len = strlen (name);
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < reader->count; i++) {
            const char *data = reader->fields[i].data;
            size_t field_len = reader->fields[i].len;
            if (pass == 2) {
                while (field_len && (*data == ' ' || *data == '\t')) {
                    data++;
                    field_len--;
                }
                while (field_len
                       && (data[field_len - 1] == ' '
                           || data[field_len - 1] == '\t'))
                    field_len--;
            }
            if (field_len != len)
                continue;
            if (pass == 0 ? memcmp (data, name, len) == 0
                          : strncasecmp (data, name, len) == 0)
                return i;
        }
    }
    return SIZE_MAX;
}

//  "csv: no column 'Regio'; the header has Date, Region, ..." for a name
//  the header lacks.
static int
s_fail_no_column (const s_reader_t *reader, const char *name, ws_err_t *err)
{
    char list[160] = "";
    size_t at = 0;
    for (size_t i = 0; i < reader->count; i++) {
        size_t len = reader->fields[i].len;
        if (at + 2 + len + 4 >= sizeof list) {
            snprintf (list + at, sizeof list - at, "%s...", i ? ", " : "");
            break;
        }
        at += (size_t) snprintf (list + at, sizeof list - at, "%s%.*s",
                                 i ? ", " : "", (int) len,
                                 reader->fields[i].data);
    }
    return ws_err_set (err, WS_ERR_EXTRACT,
                       "csv: no column '%s'; the header has %s", name, list);
}

static const s_column_t *
s_column_at (ws_extract_csv_t *self, size_t i)
{
    if (i == 0)
        return &self->value;
    if (i <= self->where_count)
        return &self->wheres[i - 1].column;
    return &self->labels[i - 1 - self->where_count].column;
}

//  The field index of each column the rule uses: [0] the value, then the
//  wheres, then the labels (s_column_at). Names are looked up in the
//  header record the reader holds.
static int
s_resolve (ws_extract_csv_t *self, const s_reader_t *reader, size_t *at,
           ws_err_t *err)
{
    size_t count = 1 + self->where_count + self->label_count;
    for (size_t i = 0; i < count; i++) {
        const s_column_t *column = s_column_at (self, i);
        if (!column->name)
            at[i] = column->index;
        else if ((at[i] = s_find_column (reader, column->name)) == SIZE_MAX)
            return s_fail_no_column (reader, column->name, err);
    }
    return 0;
}

//  One data record the reader holds: checked, filtered, and a match if
//  kept. Returns 0 or -1 with err.
static int
s_row (ws_extract_csv_t *self, const s_reader_t *reader, const size_t *at,
       ws_matches_t *matches, ws_err_t *err)
{
    size_t count = 1 + self->where_count + self->label_count;
    for (size_t i = 0; i < count; i++) {
        if (at[i] >= reader->count) {
            char column[160];
            s_describe (s_column_at (self, i), column, sizeof column);
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "csv line %zu: %zu field%s, %s is field %zu",
                               reader->record_line, reader->count,
                               reader->count == 1 ? "" : "s", column,
                               at[i] + 1);
        }
    }
    for (size_t i = 0; i < self->where_count; i++) {
        const s_field_t *field = &reader->fields[at[1 + i]];
        const char *text = self->wheres[i].text;
        if (field->len != strlen (text)
            || memcmp (field->data, text, field->len) != 0)
            return 0;
    }
    json_t *labels = NULL;
    if (self->label_count) {
        labels = json_object ();
        if (!labels)
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "csv line %zu: out of memory",
                               reader->record_line);
    }
    for (size_t i = 0; i < self->label_count; i++) {
        const s_field_t *field = &reader->fields[at[1 + self->where_count + i]];
        json_t *text = json_stringn (field->data, field->len);
        if (!text
            || json_object_set_new (labels, self->labels[i].label, text)) {
            json_decref (labels);
            char column[160];
            s_describe (&self->labels[i].column, column, sizeof column);
            return ws_err_set (err, WS_ERR_EXTRACT,
                               "csv line %zu: %s for label '%s' is not "
                               "UTF-8 text",
                               reader->record_line, column,
                               self->labels[i].label);
        }
    }
    const s_field_t *value = &reader->fields[at[0]];
    ws_matches_add (matches, value->data, value->len, false, 0, labels);
    return 0;
}

int
ws_extract_csv_run (ws_extract_csv_t *self, const char *body, size_t len,
                    ws_matches_t *matches, ws_err_t *err)
{
    assert (self);
    assert (matches);
    if (!body)
        len = 0;
    const char *nul = len ? memchr (body, '\0', len) : NULL;
    if (nul) {
        s_reader_t counter;
        s_reader_init (&counter, body, len, self->delimiter);
        size_t line = 1 + s_count_lines (&counter, 0, (size_t) (nul - body));
        s_reader_free (&counter);
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "csv line %zu: a NUL byte; the document is not "
                           "text",
                           line);
    }
    size_t keep = matches->count;
    size_t count = 1 + self->where_count + self->label_count;
    size_t *at = calloc (count, sizeof *at);
    if (!at)
        return ws_err_set (err, WS_ERR_EXTRACT, "csv: out of memory");

    s_reader_t reader;
    s_reader_init (&reader, body, len, self->delimiter);
    if (len >= 3 && memcmp (body, "\xEF\xBB\xBF", 3) == 0)
        reader.pos = 3;
    bool empty = true;
    for (size_t i = reader.pos; i < len && empty; i++)
        if (!strchr (" \t\r\n", body[i]))
            empty = false;
    s_reader_skip_lines (&reader, self->skip);

    int rc = 0;
    int next = s_reader_next (&reader, err);
    if (next == 0)
        rc = empty ? ws_err_set (err, WS_ERR_EXTRACT, "csv: empty document")
             : self->header
                 ? ws_err_set (err, WS_ERR_EXTRACT,
                               "csv: no header line after the %zu skipped "
                               "line%s",
                               self->skip, self->skip == 1 ? "" : "s")
                 : 0;
    else if (next < 0)
        rc = -1;
    else if (self->header) {
        rc = s_resolve (self, &reader, at, err);
        next = rc ? -1 : s_reader_next (&reader, err);
    }
    else
        rc = s_resolve (self, &reader, at, err);

    size_t rows = 0;
    while (rc == 0 && next == 1) {
        if (++rows > WS_EXTRACT_CSV_MAX_ROWS) {
            rc = ws_err_set (err, WS_ERR_EXTRACT,
                             "csv line %zu: more than %d rows",
                             reader.record_line, WS_EXTRACT_CSV_MAX_ROWS);
            break;
        }
        rc = s_row (self, &reader, at, matches, err);
        if (rc == 0)
            next = s_reader_next (&reader, err);
    }
    if (next < 0)
        rc = -1;
    s_reader_free (&reader);
    free (at);
    if (rc)
        ws_matches_truncate (matches, keep);
    return rc;
}
