//  ws_csv - read a t,value series from CSV.
#include "ws_csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ws_buf.h"
#include "ws_time.h"

#define S_DAY_MS 86400000.0

void
ws_csv_series_free (ws_csv_series_t *self)
{
    if (self) {
        free (self->t);
        free (self->value);
        memset (self, 0, sizeof *self);
    }
}

//  Trim spaces and one pair of surrounding double quotes, in place.
static char *
s_trim (char *text)
{
    while (isspace ((unsigned char) *text))
        text++;
    size_t len = strlen (text);
    while (len > 0 && isspace ((unsigned char) text[len - 1]))
        text[--len] = '\0';
    if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
        text[len - 1] = '\0';
        text++;
    }
    return text;
}

//  A whole-field finite number (strtod would take "12abc" as 12).
bool
ws_csv_number (const char *text, double *value)
{
    if (!*text)
        return false;
    char *end;
    errno = 0;
    *value = strtod (text, &end);
    return *end == '\0' && errno != ERANGE && isfinite (*value);
}

static int
s_grow (ws_csv_series_t *self, size_t *capacity, const char *name,
        ws_err_t *err)
{
    if (self->n < *capacity)
        return 0;
    size_t next = *capacity ? *capacity * 2 : 256;
    double *t = realloc (self->t, next * sizeof *t);
    if (t)
        self->t = t;
    double *value = t ? realloc (self->value, next * sizeof *value) : NULL;
    if (!t || !value)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "%s: out of memory at %zu points", name, self->n);
    self->value = value;
    *capacity = next;
    return 0;
}

//  Quote a field for an error message, cut to a readable length.
static const char *
s_show (const char *field, char *out, size_t size)
{
    if (strlen (field) < size)
        snprintf (out, size, "%s", field);
    else
        snprintf (out, size, "%.*s...", (int) (size - 4), field);
    return out;
}

//  The line walk of ws_csv_scan, over a NUL-terminated copy it may cut.
static int
s_scan_lines (char *text, const char *name, ws_csv_row_fn *fn, void *arg,
              ws_err_t *err)
{
    size_t line = 0;
    bool header = false;
    char *cursor = text;
    //  UTF-8 byte order mark, as spreadsheets write it.
    if ((unsigned char) cursor[0] == 0xEF && (unsigned char) cursor[1] == 0xBB
        && (unsigned char) cursor[2] == 0xBF)
        cursor += 3;
    while (*cursor) {
        char *end = strchr (cursor, '\n');
        char *next = end ? end + 1 : cursor + strlen (cursor);
        if (end)
            *end = '\0';
        line++;
        char *row = cursor;
        cursor = next;
        size_t row_len = strlen (row);
        if (row_len > 0 && row[row_len - 1] == '\r')
            row[row_len - 1] = '\0';
        char *blank = row;
        while (isspace ((unsigned char) *blank))
            blank++;
        if (!*blank)
            continue;
        char whole[48];
        if (!header)
            s_show (row, whole, sizeof whole);
        char *comma = strchr (row, ',');
        size_t fields = 1;
        for (char *c = row; *c; c++)
            fields += *c == ',';
        if (comma)
            *comma = '\0';
        char *first = s_trim (row), *second = comma ? s_trim (comma + 1) : NULL;
        if (!header) {
            bool ok = fields == 2 && strcasecmp (first, "t") == 0
                      && strcasecmp (second, "value") == 0;
            if (!ok)
                return ws_err_set (err, WS_ERR_INPUT,
                                   "%s:%zu: header '%s', expected 't,value'",
                                   name, line, whole);
            header = true;
            continue;
        }
        ws_csv_row_t data = {line, fields, first, second};
        if (fn (&data, arg, err))
            return -1;
    }
    if (!header)
        return ws_err_set (err, WS_ERR_INPUT,
                           "%s: empty, expected a header 't,value'", name);
    return 0;
}

int
ws_csv_scan (const char *text, size_t len, const char *name, ws_csv_row_fn *fn,
             void *arg, ws_err_t *err)
{
    if (!name)
        name = "csv";
    if (memchr (text, '\0', len))
        return ws_err_set (err, WS_ERR_INPUT,
                           "%s: holds a NUL byte, not a text file", name);
    char *copy = malloc (len + 1);
    if (!copy)
        return ws_err_set (err, WS_ERR_SYSTEM, "%s: out of memory", name);
    memcpy (copy, text, len);
    copy[len] = '\0';
    int rc = s_scan_lines (copy, name, fn, arg, err);
    free (copy);
    return rc;
}

//  ws_csv_parse's state between rows.
typedef struct {
    ws_csv_series_t *series;
    size_t capacity;
    const char *name;
    char previous[64];  //  the t before, as written, for an error
} s_parse_t;

static int
s_parse_row (const ws_csv_row_t *row, void *arg, ws_err_t *err)
{
    s_parse_t *parse = arg;
    ws_csv_series_t *self = parse->series;
    const char *name = parse->name;
    size_t line = row->line;
    char shown[48];
    if (row->fields != 2)
        return ws_err_set (err, WS_ERR_INPUT,
                           "%s:%zu: %zu fields, expected 2 (t,value)", name,
                           line, row->fields);
    double t, value;
    bool is_time = false;
    if (!ws_csv_number (row->t, &t)) {
        int64_t ms;
        if (ws_iso8601_parse (row->t, &ms, NULL))
            return ws_err_set (err, WS_ERR_INPUT,
                               "%s:%zu: t '%s' is not a number or ISO "
                               "8601 time",
                               name, line,
                               s_show (row->t, shown, sizeof shown));
        t = (double) ms / S_DAY_MS;
        is_time = true;
    }
    if (self->n == 0)
        self->t_is_time = is_time;
    else if (is_time != self->t_is_time)
        return ws_err_set (err, WS_ERR_INPUT,
                           "%s:%zu: t '%s' is %s but the t before it %s", name,
                           line, s_show (row->t, shown, sizeof shown),
                           is_time ? "an ISO 8601 time" : "a number",
                           is_time ? "are numbers" : "are ISO 8601 times");
    if (!ws_csv_number (row->value, &value))
        return ws_err_set (err, WS_ERR_INPUT,
                           "%s:%zu: value '%s' is not a finite number", name,
                           line, s_show (row->value, shown, sizeof shown));
    if (self->n > 0 && !(t > self->t[self->n - 1]))
        return ws_err_set (
            err, WS_ERR_INPUT, "%s:%zu: t not increasing ('%s' after '%s')",
            name, line, s_show (row->t, shown, sizeof shown), parse->previous);
    if (s_grow (self, &parse->capacity, name, err))
        return -1;
    self->t[self->n] = t;
    self->value[self->n] = value;
    self->n++;
    snprintf (parse->previous, sizeof parse->previous, "%s",
              s_show (row->t, shown, sizeof shown));
    return 0;
}

int
ws_csv_parse (ws_csv_series_t *self, const char *text, size_t len,
              const char *name, ws_err_t *err)
{
    memset (self, 0, sizeof *self);
    if (!name)
        name = "csv";
    s_parse_t parse = {self, 0, name, ""};
    int rc = ws_csv_scan (text, len, name, s_parse_row, &parse, err);
    if (rc)
        ws_csv_series_free (self);
    return rc;
}

char *
ws_csv_load (const char *path, size_t *len, ws_err_t *err)
{
    bool is_stdin = strcmp (path, "-") == 0;
    FILE *file = is_stdin ? stdin : fopen (path, "rb");
    if (!file) {
        ws_err_set (err, WS_ERR_INPUT, "%s: cannot open: %s", path,
                    strerror (errno));
        return NULL;
    }
    ws_buf_t buf;
    ws_buf_init (&buf, WS_CSV_MAX_BYTES);
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread (chunk, 1, sizeof chunk, file)) > 0)
        if (ws_buf_append (&buf, chunk, got)) {
            rc = ws_err_set (err, WS_ERR_INPUT,
                             "%s: larger than %u bytes (or out of memory)",
                             path, WS_CSV_MAX_BYTES);
            break;
        }
    if (!rc && ferror (file))
        rc = ws_err_set (err, WS_ERR_INPUT, "%s: cannot read: %s", path,
                         strerror (errno));
    if (!is_stdin)
        fclose (file);
    *len = buf.len;
    char *text = rc ? NULL : ws_buf_steal (&buf);
    ws_buf_free (&buf);
    if (!rc && !text)
        ws_err_set (err, WS_ERR_SYSTEM, "%s: out of memory", path);
    return text;
}

int
ws_csv_read (ws_csv_series_t *self, const char *path, ws_err_t *err)
{
    memset (self, 0, sizeof *self);
    size_t len;
    char *text = ws_csv_load (path, &len, err);
    if (!text)
        return -1;
    int rc = ws_csv_parse (self, text, len, path, err);
    free (text);
    return rc;
}
