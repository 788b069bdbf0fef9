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
static bool
s_number (const char *text, double *value)
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

static int
s_parse_lines (ws_csv_series_t *self, char *text, const char *name,
               ws_err_t *err)
{
    size_t capacity = 0, line = 0;
    bool header = false;
    char previous[64] = "";
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
        char shown[48], whole[48];
        s_show (row, whole, sizeof whole);
        char *comma = strchr (row, ',');
        size_t fields = 1;
        for (char *c = row; *c; c++)
            fields += *c == ',';
        if (!header) {
            char *first = row, *second = comma ? comma + 1 : NULL;
            if (comma)
                *comma = '\0';
            bool ok = fields == 2 && strcasecmp (s_trim (first), "t") == 0
                      && strcasecmp (s_trim (second), "value") == 0;
            if (!ok)
                return ws_err_set (err, WS_ERR_INPUT,
                                   "%s:%zu: header '%s', expected 't,value'",
                                   name, line, whole);
            header = true;
            continue;
        }
        if (fields != 2)
            return ws_err_set (err, WS_ERR_INPUT,
                               "%s:%zu: %zu fields, expected 2 (t,value)", name,
                               line, fields);
        *comma = '\0';
        char *t_text = s_trim (row), *value_text = s_trim (comma + 1);
        double t, value;
        bool is_time = false;
        if (!s_number (t_text, &t)) {
            int64_t ms;
            if (ws_iso8601_parse (t_text, &ms, NULL))
                return ws_err_set (err, WS_ERR_INPUT,
                                   "%s:%zu: t '%s' is not a number or ISO "
                                   "8601 time",
                                   name, line,
                                   s_show (t_text, shown, sizeof shown));
            t = (double) ms / S_DAY_MS;
            is_time = true;
        }
        if (self->n == 0)
            self->t_is_time = is_time;
        else if (is_time != self->t_is_time)
            return ws_err_set (err, WS_ERR_INPUT,
                               "%s:%zu: t '%s' is %s but the t before it %s",
                               name, line, s_show (t_text, shown, sizeof shown),
                               is_time ? "an ISO 8601 time" : "a number",
                               is_time ? "are numbers" : "are ISO 8601 times");
        if (!s_number (value_text, &value))
            return ws_err_set (
                err, WS_ERR_INPUT, "%s:%zu: value '%s' is not a finite number",
                name, line, s_show (value_text, shown, sizeof shown));
        if (self->n > 0 && !(t > self->t[self->n - 1]))
            return ws_err_set (
                err, WS_ERR_INPUT, "%s:%zu: t not increasing ('%s' after '%s')",
                name, line, s_show (t_text, shown, sizeof shown), previous);
        if (s_grow (self, &capacity, name, err))
            return -1;
        self->t[self->n] = t;
        self->value[self->n] = value;
        self->n++;
        snprintf (previous, sizeof previous, "%s",
                  s_show (t_text, shown, sizeof shown));
    }
    if (!header)
        return ws_err_set (err, WS_ERR_INPUT,
                           "%s: empty, expected a header 't,value'", name);
    return 0;
}

int
ws_csv_parse (ws_csv_series_t *self, const char *text, size_t len,
              const char *name, ws_err_t *err)
{
    memset (self, 0, sizeof *self);
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
    int rc = s_parse_lines (self, copy, name, err);
    free (copy);
    if (rc)
        ws_csv_series_free (self);
    return rc;
}

int
ws_csv_read (ws_csv_series_t *self, const char *path, ws_err_t *err)
{
    memset (self, 0, sizeof *self);
    bool is_stdin = strcmp (path, "-") == 0;
    FILE *file = is_stdin ? stdin : fopen (path, "rb");
    if (!file)
        return ws_err_set (err, WS_ERR_INPUT, "%s: cannot open: %s", path,
                           strerror (errno));
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
    if (!rc)
        rc = ws_csv_parse (self, buf.data ? buf.data : "", buf.len, path, err);
    ws_buf_free (&buf);
    return rc;
}
