//  ws_msg - the codec of the watershed wire protocol (PROTOCOL.md).
//
//  Bodies are checked against one table per command (s_schemas below):
//  the table is the spec's field list, so the checks and PROTOCOL.md can
//  be compared line by line. Checking is linear in the size of the body
//  (a RESULT of 1,000 results x 3 samples is checked several times a
//  second per worker), and builds the JSON pointer of a field only when
//  that field is at fault.
#include "ws_msg.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zmq.h>

#define S_SIGNATURE_LEN 5
//  A signature "WSP/<digits>" longer than this is not ours at all.
#define S_VERSION_MAX_LEN 16
//  Most bytes of a string quoted in an error text.
#define S_QUOTE_MAX 32
#define S_INT_MAX ((json_int_t) INT64_MAX)

struct _ws_msg_t {
    ws_msg_id_t id;
    json_t *body;  //  owns; a JSON object
    uint8_t routing_id[WS_MSG_MAX_ROUTING_ID];
    size_t routing_id_len;  //  0 if none
};

static const char *const s_names[] = {NULL,      "READY", "HEARTBEAT",  "JOB",
                                      "RESULT",  "ACK",   "DISCONNECT", "ERROR",
                                      "REQUEST", "REPLY"};
#define S_COMMANDS (sizeof s_names / sizeof s_names[0])

static bool
s_id_valid (ws_msg_id_t id)
{
    return (int) id >= WS_MSG_READY && (int) id <= WS_MSG_REPLY;
}

//  --------------------------------------------------------------------
//  Text helpers. Error texts reach log lines, so bytes from a peer are
//  escaped (no control characters, no broken UTF-8 in a log).

typedef struct {
    char *data;  //  borrowed
    size_t size;
    size_t len;
} s_text_t;

static void
s_text_init (s_text_t *self, char *data, size_t size)
{
    self->data = data;
    self->size = size;
    self->len = 0;
    data[0] = '\0';
}

//  Append bytes as they are, cut when full.
static void
s_text_put (s_text_t *self, const char *bytes, size_t len)
{
    size_t room = self->size - 1 - self->len;
    if (len > room)
        len = room;
    memcpy (self->data + self->len, bytes, len);
    self->len += len;
    self->data[self->len] = '\0';
}

static void
s_text_puts (s_text_t *self, const char *text)
{
    s_text_put (self, text, strlen (text));
}

//  Length of the UTF-8 sequence that starts with this byte, 0 if it
//  cannot start one.
static size_t
s_utf8_len (unsigned char byte)
{
    if (byte < 0x80)
        return 1;
    if (byte >= 0xC2 && byte <= 0xDF)
        return 2;
    if (byte >= 0xE0 && byte <= 0xEF)
        return 3;
    if (byte >= 0xF0 && byte <= 0xF4)
        return 4;
    return 0;
}

//  Append peer bytes escaped: control bytes as \u00XX; bytes that are
//  not UTF-8 (or all non-ASCII when ascii) as \xNN; '~' and '/' as ~0
//  and ~1 when pointer (RFC 6901). Never cuts a character in two.
static void
s_text_escape (s_text_t *self, const char *bytes, size_t len, bool ascii,
               bool pointer)
{
    size_t at = 0;
    while (at < len) {
        unsigned char byte = (unsigned char) bytes[at];
        char esc[8];
        size_t take = 1;
        const char *out = esc;
        size_t out_len;
        if (pointer && (byte == '~' || byte == '/')) {
            esc[0] = '~';
            esc[1] = byte == '~' ? '0' : '1';
            out_len = 2;
        }
        else if (byte < 0x20 || byte == 0x7F) {
            out_len = (size_t) snprintf (esc, sizeof esc, "\\u%04x", byte);
        }
        else if (byte < 0x80) {
            out = (const char *) bytes + at;
            out_len = 1;
        }
        else {
            size_t seq = ascii ? 0 : s_utf8_len (byte);
            bool whole = seq > 1 && at + seq <= len;
            for (size_t i = 1; whole && i < seq; i++)
                whole = ((unsigned char) bytes[at + i] & 0xC0) == 0x80;
            if (whole) {
                out = (const char *) bytes + at;
                out_len = seq;
                take = seq;
            }
            else
                out_len = (size_t) snprintf (esc, sizeof esc, "\\x%02x", byte);
        }
        if (self->len + out_len > self->size - 1)
            return;
        s_text_put (self, out, out_len);
        at += take;
    }
}

//  Cut an incomplete UTF-8 sequence off the end of a text that
//  snprintf may have cut.
static void
s_utf8_trim (char *text)
{
    size_t len = strlen (text);
    size_t at = len;
    while (at > 0 && len - at < 4) {
        unsigned char byte = (unsigned char) text[at - 1];
        if ((byte & 0xC0) == 0x80) {
            at--;
            continue;
        }
        if (byte >= 0x80 && s_utf8_len (byte) > len - (at - 1))
            text[at - 1] = '\0';
        return;
    }
}

static int s_frame_fail (ws_err_t *err, const char *where, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  --------------------------------------------------------------------
//  The field tables.

typedef enum {
    S_INT,     //  JSON integer in min..max
    S_NUMBER,  //  integer or real, finite
    S_BOOL,
    S_STRING,  //  min..max bytes of UTF-8, no NUL
    S_ENUM,    //  one of choices
    S_OBJECT,  //  an object checked by schema
    S_OPEN,    //  an object whose content another module checks
    S_ANY,     //  any JSON value
    S_ARRAY,   //  min..max items, each checked by item
    S_LABELS,  //  object of at most max members, all strings
    S_HEADERS  //  as S_LABELS, for HTTP header fields
} s_kind_t;

typedef struct s_schema s_schema_t;
typedef struct s_field s_field_t;
typedef struct s_path s_path_t;
typedef struct s_check s_check_t;

struct s_field {
    const char *key;  //  NULL for an array item
    s_kind_t kind;
    bool optional;
    bool nullable;
    json_int_t min, max;
    const char *const *choices;  //  S_ENUM, NULL-terminated
    const s_schema_t *schema;    //  S_OBJECT
    const s_field_t *item;       //  S_ARRAY
};

#define S_MAX_FIELDS 24

struct s_schema {
    const s_field_t *fields;
    size_t count;
    //  Rules between fields, after each field passed on its own.
    int (*rules) (s_check_t *check, json_t *const *values,
                  const s_path_t *path);
};

//  Where we are in a body: a chain on the C stack, rendered only when
//  something is at fault.
struct s_path {
    const s_path_t *up;
    const char *key;  //  NULL: an array index
    size_t key_len;
    size_t index;
};

struct s_check {
    const char *command;
    ws_err_t *err;
};

static const char *const s_kinds[] = {"collect", "analyze", "evaluate",
                                      "deliver", "probe",   NULL};
static const char *const s_error_kinds[] = {"net",     "http",   "timeout",
                                            "extract", "input",  "size",
                                            "system",  "resend", NULL};
static const char *const s_metric_types[] = {"gauge", "counter", "per_period",
                                             NULL};

#define S_FIELDS(array) array, sizeof array / sizeof array[0]

//  READY
static const s_field_t s_ready[] = {
    {"name", S_STRING, false, false, 1, 128, NULL, NULL, NULL},
    {"credit", S_INT, false, false, 1, 65536, NULL, NULL, NULL},
    {"pid", S_INT, false, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"host", S_STRING, false, false, 0, 255, NULL, NULL, NULL},
    {"version", S_STRING, false, false, 0, 64, NULL, NULL, NULL}};

//  HEARTBEAT
static const s_field_t s_heartbeat[] = {
    {"running", S_INT, true, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"dropped", S_INT, true, false, 0, S_INT_MAX, NULL, NULL, NULL}};

//  JOB: "collect" jobs carry source_id and source or version (or both),
//  "analyze" jobs series_id, window_days, series and options, "evaluate"
//  jobs goal_id and goal, "deliver" jobs delivery_id and request
//  (s_job_rules).
enum {
    S_JOB_KIND = 2,
    S_JOB_SOURCE_ID = 5,
    S_JOB_SOURCE,
    S_JOB_SERIES_ID,
    S_JOB_WINDOW,
    S_JOB_SERIES,
    S_JOB_OPTIONS,
    S_JOB_VERSION,
    S_JOB_GOAL_ID,
    S_JOB_GOAL,
    S_JOB_DELIVERY_ID,
    S_JOB_REQUEST
};
//  The POST of a "deliver" job (PROTOCOL.md 4.3.4). The body is at most
//  1 MiB: an alert payload, not a bulk transfer.
enum { S_DELIVERY_URL = 0, S_DELIVERY_HEADERS = 2 };
static const s_field_t s_delivery_request[] = {
    {"url", S_STRING, false, false, 1, 2048, NULL, NULL, NULL},
    {"body", S_STRING, false, false, 0, 1048576, NULL, NULL, NULL},
    {"headers", S_HEADERS, true, false, 0, 64, NULL, NULL, NULL},
    {"timeout_ms", S_INT, false, false, 100, 3600000, NULL, NULL, NULL}};
static int s_delivery_request_rules (s_check_t *check, json_t *const *values,
                                     const s_path_t *path);
static const s_schema_t s_delivery_request_schema = {
    S_FIELDS (s_delivery_request), s_delivery_request_rules};

static const s_field_t s_job[] = {
    {"id", S_INT, false, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"attempt", S_INT, false, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"kind", S_ENUM, false, false, 0, 0, s_kinds, NULL, NULL},
    {"tick", S_INT, false, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"deadline", S_INT, false, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"source_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"source", S_OPEN, true, false, 0, 0, NULL, NULL, NULL},
    {"series_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"window_days", S_INT, true, false, 1, 3660, NULL, NULL, NULL},
    {"series", S_OPEN, true, false, 0, 0, NULL, NULL, NULL},
    {"options", S_OPEN, true, false, 0, 0, NULL, NULL, NULL},
    {"version", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"goal_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"goal", S_OPEN, true, false, 0, 0, NULL, NULL, NULL},
    {"delivery_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"request", S_OBJECT, true, false, 0, 0, NULL, &s_delivery_request_schema,
     NULL}};
static int s_job_rules (s_check_t *check, json_t *const *values,
                        const s_path_t *path);
static const s_schema_t s_job_schema = {S_FIELDS (s_job), s_job_rules};
static const s_field_t s_job_item = {NULL, S_OBJECT, false,         false, 0,
                                     0,    NULL,     &s_job_schema, NULL};
static const s_field_t s_jobs[] = {
    {"jobs", S_ARRAY, false, false, 1, 10000, NULL, NULL, &s_job_item}};

//  RESULT
static const s_field_t s_sample[] = {
    {"metric", S_STRING, false, false, 1, 200, NULL, NULL, NULL},
    {"labels", S_LABELS, false, false, 0, 64, NULL, NULL, NULL},
    {"type", S_ENUM, false, false, 0, 0, s_metric_types, NULL, NULL},
    {"value", S_NUMBER, false, false, 0, 0, NULL, NULL, NULL}};
static const s_schema_t s_sample_schema = {S_FIELDS (s_sample), NULL};
static const s_field_t s_sample_item = {
    NULL, S_OBJECT, false, false, 0, 0, NULL, &s_sample_schema, NULL};

//  A "collect" result carries source_id, http_status, duration_ms, bytes
//  and samples or values (with version); an "analyze" result series_id,
//  window_days and, when ok, the analysis; an "evaluate" result goal_id
//  and, when ok, the evaluation; a "deliver" result delivery_id,
//  http_status, duration_ms and optionally retry_after_ms and the start
//  of the response (s_result_rules).
enum {
    S_RESULT_KIND = 2,
    S_RESULT_SOURCE_ID = 3,
    S_RESULT_OK = 5,
    S_RESULT_ERROR = 6,
    S_RESULT_HTTP_STATUS = 8,
    S_RESULT_DURATION,
    S_RESULT_BYTES,
    S_RESULT_SAMPLES,
    S_RESULT_SERIES_ID,
    S_RESULT_WINDOW,
    S_RESULT_ANALYSIS,
    S_RESULT_VERSION,
    S_RESULT_VALUES,
    S_RESULT_GOAL_ID,
    S_RESULT_EVALUATION,
    S_RESULT_DELIVERY_ID,
    S_RESULT_RETRY_AFTER,
    S_RESULT_RESPONSE,
    S_RESULT_REPORT
};
//  One value per rule of the source, null where the rule failed.
static const s_field_t s_value_item = {NULL, S_NUMBER, false, true, 0,
                                       0,    NULL,     NULL,  NULL};
static const s_field_t s_result[] = {
    {"id", S_INT, false, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"attempt", S_INT, false, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"kind", S_ENUM, false, false, 0, 0, s_kinds, NULL, NULL},
    {"source_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"tick", S_INT, false, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"ok", S_BOOL, false, false, 0, 0, NULL, NULL, NULL},
    {"error", S_STRING, true, true, 0, S_INT_MAX, NULL, NULL, NULL},
    {"error_kind", S_ENUM, true, true, 0, 0, s_error_kinds, NULL, NULL},
    {"http_status", S_INT, true, false, 0, 999, NULL, NULL, NULL},
    {"duration_ms", S_INT, true, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"bytes", S_INT, true, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"samples", S_ARRAY, true, false, 0, 100000, NULL, NULL, &s_sample_item},
    {"series_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"window_days", S_INT, true, false, 1, 3660, NULL, NULL, NULL},
    {"analysis", S_OPEN, true, true, 0, 0, NULL, NULL, NULL},
    {"version", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"values", S_ARRAY, true, false, 0, 100000, NULL, NULL, &s_value_item},
    {"goal_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"evaluation", S_OPEN, true, true, 0, 0, NULL, NULL, NULL},
    {"delivery_id", S_INT, true, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"retry_after_ms", S_INT, true, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"response", S_STRING, true, false, 0, 4096, NULL, NULL, NULL},
    {"report", S_OPEN, true, false, 0, 0, NULL, NULL, NULL}};
static int s_result_rules (s_check_t *check, json_t *const *values,
                           const s_path_t *path);
static const s_schema_t s_result_schema = {S_FIELDS (s_result), s_result_rules};
static const s_field_t s_result_item = {
    NULL, S_OBJECT, false, false, 0, 0, NULL, &s_result_schema, NULL};
static const s_field_t s_results[] = {
    {"results", S_ARRAY, false, false, 1, 10000, NULL, NULL, &s_result_item}};

//  ACK
static const s_field_t s_id_item = {NULL,      S_INT, false, false, 1,
                                    S_INT_MAX, NULL,  NULL,  NULL};
static const s_field_t s_ack[] = {
    {"ids", S_ARRAY, false, false, 1, 100000, NULL, NULL, &s_id_item}};

//  DISCONNECT
static const s_field_t s_disconnect[] = {
    {"reason", S_STRING, false, false, 0, 512, NULL, NULL, NULL}};

//  ERROR
static const s_field_t s_error[] = {
    {"code", S_STRING, false, false, 1, 32, NULL, NULL, NULL},
    {"text", S_STRING, false, false, 0, 1024, NULL, NULL, NULL}};

//  REQUEST
static const s_field_t s_request[] = {
    {"id", S_INT, false, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"command", S_STRING, false, false, 1, 64, NULL, NULL, NULL},
    {"args", S_OPEN, false, false, 0, 0, NULL, NULL, NULL}};

//  REPLY
enum {
    S_REPLY_OK = 1,
    S_REPLY_RESULT,
    S_REPLY_ERROR,
    S_REPLY_CODE,
    S_REPLY_WHERE
};
static const s_field_t s_reply[] = {
    {"id", S_INT, false, false, 1, S_INT_MAX, NULL, NULL, NULL},
    {"ok", S_BOOL, false, false, 0, 0, NULL, NULL, NULL},
    {"result", S_ANY, true, false, 0, 0, NULL, NULL, NULL},
    {"error", S_STRING, true, false, 0, S_INT_MAX, NULL, NULL, NULL},
    {"code", S_STRING, true, false, 1, 32, NULL, NULL, NULL},
    {"where", S_STRING, true, false, 0, 256, NULL, NULL, NULL}};
static int s_reply_rules (s_check_t *check, json_t *const *values,
                          const s_path_t *path);

static const s_schema_t s_schemas[S_COMMANDS] = {
    {NULL, 0, NULL},
    {S_FIELDS (s_ready), NULL},
    {S_FIELDS (s_heartbeat), NULL},
    {S_FIELDS (s_jobs), NULL},
    {S_FIELDS (s_results), NULL},
    {S_FIELDS (s_ack), NULL},
    {S_FIELDS (s_disconnect), NULL},
    {S_FIELDS (s_error), NULL},
    {S_FIELDS (s_request), NULL},
    {S_FIELDS (s_reply), s_reply_rules}};

//  --------------------------------------------------------------------
//  Reporting a field at fault.

static void
s_path_render (const s_path_t *path, s_text_t *text)
{
    if (!path)
        return;
    s_path_render (path->up, text);
    s_text_puts (text, "/");
    if (path->key)
        s_text_escape (text, path->key, path->key_len, false, true);
    else {
        char index[24];
        snprintf (index, sizeof index, "%zu", path->index);
        s_text_puts (text, index);
    }
}

//  What a value is, for "found ...": scalars as JSON (strings cut),
//  containers by kind and size.
static void
s_describe (json_t *value, char *out, size_t size)
{
    s_text_t text;
    s_text_init (&text, out, size);
    char number[40];
    switch (json_typeof (value)) {
    case JSON_STRING: {
        size_t len = json_string_length (value);
        if (len > S_QUOTE_MAX) {
            snprintf (number, sizeof number, "a string of %zu bytes ", len);
            s_text_puts (&text, number);
        }
        s_text_puts (&text, "\"");
        s_text_escape (&text, json_string_value (value),
                       len > S_QUOTE_MAX ? S_QUOTE_MAX : len, false, false);
        s_text_puts (&text, len > S_QUOTE_MAX ? "...\"" : "\"");
        break;
    }
    case JSON_INTEGER:
        snprintf (number, sizeof number, "%" JSON_INTEGER_FORMAT,
                  json_integer_value (value));
        s_text_puts (&text, number);
        break;
    case JSON_REAL:
        //  A real that looks like an integer ("1") would hide why an
        //  integer field refused it: show it as "1.0".
        snprintf (number, sizeof number, "%.17g", json_real_value (value));
        s_text_puts (&text, number);
        if (!strpbrk (number, ".eEni"))
            s_text_puts (&text, ".0");
        break;
    case JSON_TRUE: s_text_puts (&text, "true"); break;
    case JSON_FALSE: s_text_puts (&text, "false"); break;
    case JSON_NULL: s_text_puts (&text, "null"); break;
    case JSON_ARRAY:
        snprintf (number, sizeof number, "an array of %zu items",
                  json_array_size (value));
        s_text_puts (&text, number);
        break;
    case JSON_OBJECT:
        snprintf (number, sizeof number, "an object of %zu members",
                  json_object_size (value));
        s_text_puts (&text, number);
        break;
    }
}

//  What a field must be, for "expected ...".
static void
s_expect (const s_field_t *field, char *out, size_t size)
{
    s_text_t text;
    s_text_init (&text, out, size);
    char part[96];
    switch (field->kind) {
    case S_INT:
        if (field->max == S_INT_MAX)
            snprintf (part, sizeof part, "an integer >= %" JSON_INTEGER_FORMAT,
                      field->min);
        else
            snprintf (part, sizeof part,
                      "an integer in %" JSON_INTEGER_FORMAT
                      "..%" JSON_INTEGER_FORMAT,
                      field->min, field->max);
        s_text_puts (&text, part);
        break;
    case S_NUMBER: s_text_puts (&text, "a finite number"); break;
    case S_BOOL: s_text_puts (&text, "true or false"); break;
    case S_STRING:
        if (field->min == 0 && field->max == S_INT_MAX)
            snprintf (part, sizeof part, "a string");
        else if (field->min == 0)
            snprintf (part, sizeof part,
                      "a string of at most %" JSON_INTEGER_FORMAT " bytes",
                      field->max);
        else
            snprintf (part, sizeof part,
                      "a string of %" JSON_INTEGER_FORMAT
                      "..%" JSON_INTEGER_FORMAT " bytes",
                      field->min, field->max);
        s_text_puts (&text, part);
        break;
    case S_ENUM:
        if (field->choices[1])
            s_text_puts (&text, "one of ");
        for (size_t i = 0; field->choices[i]; i++) {
            if (i)
                s_text_puts (&text, ", ");
            s_text_puts (&text, "\"");
            s_text_puts (&text, field->choices[i]);
            s_text_puts (&text, "\"");
        }
        break;
    case S_OBJECT:
    case S_OPEN: s_text_puts (&text, "an object"); break;
    case S_ANY: s_text_puts (&text, "a JSON value"); break;
    case S_ARRAY:
        snprintf (part, sizeof part,
                  "an array of %" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT
                  " items",
                  field->min, field->max);
        s_text_puts (&text, part);
        break;
    case S_LABELS:
    case S_HEADERS:
        snprintf (part, sizeof part,
                  "an object of at most %" JSON_INTEGER_FORMAT
                  " members whose values are strings",
                  field->max);
        s_text_puts (&text, part);
        break;
    }
    if (field->nullable)
        s_text_puts (&text, " or null");
}

//  Set the error: "<COMMAND>: <pointer>: <what>", where = pointer.
//  Returns -1.
static int s_fail (s_check_t *check, const s_path_t *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_fail (s_check_t *check, const s_path_t *path, const char *fmt, ...)
{
    if (!check->err)
        return -1;
    char pointer[sizeof check->err->text];
    s_text_t text;
    s_text_init (&text, pointer, sizeof pointer);
    s_path_render (path, &text);
    char what[sizeof check->err->text];
    va_list args;
    va_start (args, fmt);
    vsnprintf (what, sizeof what, fmt, args);
    va_end (args);
    ws_err_set (check->err, WS_ERR_PROTO, "%s: %s: %s", check->command, pointer,
                what);
    s_utf8_trim (check->err->text);
    s_text_init (&text, check->err->where, sizeof check->err->where);
    s_text_puts (&text, pointer);
    s_utf8_trim (check->err->where);
    return -1;
}

static int
s_fail_type (s_check_t *check, const s_path_t *path, const s_field_t *field,
             json_t *value)
{
    char expected[160], found[96];
    s_expect (field, expected, sizeof expected);
    s_describe (value, found, sizeof found);
    return s_fail (check, path, "expected %s, found %s", expected, found);
}

//  --------------------------------------------------------------------
//  Checking.

static int s_check_object (s_check_t *check, const s_schema_t *schema,
                           json_t *object, const s_path_t *path, int depth);

static int
s_check_string (s_check_t *check, json_t *value, const s_path_t *path)
{
    //  A NUL would be sent as \u0000, which every receiver refuses.
    const char *text = json_string_value (value);
    if (memchr (text, '\0', json_string_length (value)))
        return s_fail (check, path, "a string must not contain NUL");
    return 0;
}

//  Any JSON value from an open part: only what every receiver needs,
//  bounded depth, no NUL, finite numbers.
static int
s_check_any (s_check_t *check, json_t *value, const s_path_t *path, int depth)
{
    if (depth > WS_MSG_MAX_DEPTH
        && (json_is_object (value) || json_is_array (value)))
        return s_fail (check, path, "nested deeper than %d levels",
                       WS_MSG_MAX_DEPTH);
    switch (json_typeof (value)) {
    case JSON_STRING: return s_check_string (check, value, path);
    case JSON_REAL:
        if (!isfinite (json_real_value (value)))
            return s_fail (check, path, "expected a finite number");
        return 0;
    case JSON_ARRAY: {
        size_t index;
        json_t *item;
        json_array_foreach (value, index, item) {
            s_path_t at = {path, NULL, 0, index};
            if (s_check_any (check, item, &at, depth + 1))
                return -1;
        }
        return 0;
    }
    case JSON_OBJECT: {
        const char *key;
        size_t key_len;
        json_t *member;
        json_object_keylen_foreach (value, key, key_len, member)
        {
            s_path_t at = {path, key, key_len, 0};
            if (memchr (key, '\0', key_len))
                return s_fail (check, &at, "a key must not contain NUL");
            if (s_check_any (check, member, &at, depth + 1))
                return -1;
        }
        return 0;
    }
    default: return 0;
    }
}

//  depth: nesting level of value (the body is 1).
static int
s_check_value (s_check_t *check, const s_field_t *field, json_t *value,
               const s_path_t *path, int depth)
{
    if (field->nullable && json_is_null (value))
        return 0;
    switch (field->kind) {
    case S_INT: {
        if (!json_is_integer (value))
            return s_fail_type (check, path, field, value);
        json_int_t number = json_integer_value (value);
        if (number < field->min || number > field->max)
            return s_fail_type (check, path, field, value);
        return 0;
    }
    case S_NUMBER:
        if (!json_is_number (value) || !isfinite (json_number_value (value)))
            return s_fail_type (check, path, field, value);
        return 0;
    case S_BOOL:
        if (!json_is_boolean (value))
            return s_fail_type (check, path, field, value);
        return 0;
    case S_STRING: {
        if (!json_is_string (value))
            return s_fail_type (check, path, field, value);
        size_t len = json_string_length (value);
        if (len < (size_t) field->min || len > (uint64_t) field->max)
            return s_fail_type (check, path, field, value);
        return s_check_string (check, value, path);
    }
    case S_ENUM: {
        if (json_is_string (value)) {
            const char *text = json_string_value (value);
            size_t len = json_string_length (value);
            for (size_t i = 0; field->choices[i]; i++)
                if (strlen (field->choices[i]) == len
                    && memcmp (field->choices[i], text, len) == 0)
                    return 0;
        }
        return s_fail_type (check, path, field, value);
    }
    case S_OBJECT:
        if (!json_is_object (value))
            return s_fail_type (check, path, field, value);
        return s_check_object (check, field->schema, value, path, depth);
    case S_OPEN:
        if (!json_is_object (value))
            return s_fail_type (check, path, field, value);
        return s_check_any (check, value, path, depth);
    case S_ANY: return s_check_any (check, value, path, depth);
    case S_ARRAY: {
        if (!json_is_array (value))
            return s_fail_type (check, path, field, value);
        size_t size = json_array_size (value);
        if (size < (size_t) field->min || size > (size_t) field->max)
            return s_fail_type (check, path, field, value);
        for (size_t index = 0; index < size; index++) {
            s_path_t at = {path, NULL, 0, index};
            if (s_check_value (check, field->item,
                               json_array_get (value, index), &at, depth + 1))
                return -1;
        }
        return 0;
    }
    case S_LABELS:
    case S_HEADERS: {
        if (!json_is_object (value)
            || json_object_size (value) > (size_t) field->max)
            return s_fail_type (check, path, field, value);
        const char *key;
        size_t key_len;
        json_t *member;
        json_object_keylen_foreach (value, key, key_len, member)
        {
            s_path_t at = {path, key, key_len, 0};
            if (memchr (key, '\0', key_len))
                return s_fail (check, &at, "a key must not contain NUL");
            if (!json_is_string (member)) {
                char found[96];
                s_describe (member, found, sizeof found);
                return s_fail (check, &at, "expected a string (%s), found %s",
                               field->kind == S_LABELS ? "label value"
                                                       : "header value",
                               found);
            }
            if (s_check_string (check, member, &at))
                return -1;
        }
        return 0;
    }
    }
    return s_fail (check, path, "no rule for this field");
}

static int
s_check_object (s_check_t *check, const s_schema_t *schema, json_t *object,
                const s_path_t *path, int depth)
{
    assert (schema->count <= S_MAX_FIELDS);
    json_t *values[S_MAX_FIELDS];
    size_t present = 0;
    for (size_t i = 0; i < schema->count; i++) {
        values[i] = json_object_get (object, schema->fields[i].key);
        if (values[i])
            present++;
    }
    //  Every member matched a field unless there are more members than
    //  matches: only then look for the stranger (cheap when all is well).
    if (json_object_size (object) != present) {
        const char *key;
        size_t key_len;
        json_t *member;
        json_object_keylen_foreach (object, key, key_len, member)
        {
            bool known = false;
            for (size_t i = 0; i < schema->count && !known; i++)
                known = strlen (schema->fields[i].key) == key_len
                        && memcmp (schema->fields[i].key, key, key_len) == 0;
            if (!known) {
                s_path_t at = {path, key, key_len, 0};
                return s_fail (check, &at, "unknown key");
            }
        }
    }
    for (size_t i = 0; i < schema->count; i++) {
        const s_field_t *field = &schema->fields[i];
        s_path_t at = {path, field->key, strlen (field->key), 0};
        if (!values[i]) {
            if (field->optional)
                continue;
            char expected[160];
            s_expect (field, expected, sizeof expected);
            return s_fail (check, &at, "missing, expected %s", expected);
        }
        if (s_check_value (check, field, values[i], &at, depth + 1))
            return -1;
    }
    if (schema->rules)
        return schema->rules (check, values, path);
    return 0;
}

//  Fields optional in the table but required for one kind of job or
//  result.
typedef struct {
    int index;  //  -1 ends a list
    const char *key;
} s_required_t;

static int
s_require (s_check_t *check, json_t *const *values, const s_path_t *path,
           const s_required_t *fields, const char *kind)
{
    for (; fields->index >= 0; fields++)
        if (!values[fields->index]) {
            s_path_t at = {path, fields->key, strlen (fields->key), 0};
            return s_fail (check, &at, "missing, required for kind %s", kind);
        }
    return 0;
}

static int
s_result_rules (s_check_t *check, json_t *const *values, const s_path_t *path)
{
    if (json_is_false (values[S_RESULT_OK])
        && (!values[S_RESULT_ERROR] || json_is_null (values[S_RESULT_ERROR]))) {
        s_path_t at = {path, "error", 5, 0};
        return s_fail (check, &at,
                       values[S_RESULT_ERROR]
                           ? "expected a string when \"ok\" is false, found "
                             "null"
                           : "missing, required when \"ok\" is false");
    }
    static const s_required_t collect[] = {
        {S_RESULT_SOURCE_ID, "source_id"},
        {S_RESULT_HTTP_STATUS, "http_status"},
        {S_RESULT_DURATION, "duration_ms"},
        {S_RESULT_BYTES, "bytes"},
        {-1, NULL}};
    static const s_required_t analyze[] = {{S_RESULT_SERIES_ID, "series_id"},
                                           {S_RESULT_WINDOW, "window_days"},
                                           {-1, NULL}};
    static const s_required_t evaluate[] = {{S_RESULT_GOAL_ID, "goal_id"},
                                            {-1, NULL}};
    static const s_required_t deliver[] = {
        {S_RESULT_DELIVERY_ID, "delivery_id"},
        {S_RESULT_HTTP_STATUS, "http_status"},
        {S_RESULT_DURATION, "duration_ms"},
        {-1, NULL}};
    static const s_required_t probe[] = {{S_RESULT_HTTP_STATUS, "http_status"},
                                         {S_RESULT_DURATION, "duration_ms"},
                                         {S_RESULT_BYTES, "bytes"},
                                         {S_RESULT_REPORT, "report"},
                                         {-1, NULL}};
    const char *kind = json_string_value (values[S_RESULT_KIND]);
    bool is_collect = strcmp (kind, "collect") == 0;
    bool is_analyze = strcmp (kind, "analyze") == 0;
    bool is_deliver = strcmp (kind, "deliver") == 0;
    bool is_probe = strcmp (kind, "probe") == 0;
    if (s_require (check, values, path,
                   is_collect   ? collect
                   : is_analyze ? analyze
                   : is_deliver ? deliver
                   : is_probe   ? probe
                                : evaluate,
                   kind))
        return -1;
    if (is_probe)
        return 0;
    if (is_deliver) {
        //  "ok" means the receiver took the delivery: a 2xx answer.
        json_int_t status = json_integer_value (values[S_RESULT_HTTP_STATUS]);
        if (json_is_true (values[S_RESULT_OK])
            && (status < 200 || status > 299)) {
            s_path_t at = {path, "http_status", 11, 0};
            return s_fail (check, &at,
                           "expected 200..299 when \"ok\" is true, found "
                           "%" JSON_INTEGER_FORMAT,
                           status);
        }
        return 0;
    }
    if (!is_collect && !is_analyze) {
        if (json_is_true (values[S_RESULT_OK])
            && !json_is_object (values[S_RESULT_EVALUATION])) {
            s_path_t at = {path, "evaluation", 10, 0};
            return s_fail (check, &at,
                           "expected an object when \"ok\" is true");
        }
        return 0;
    }
    if (is_collect) {
        //  Samples name their series; values are the source's rules in
        //  order and mean nothing without the definition's version.
        s_path_t samples = {path, "samples", 7, 0};
        s_path_t version = {path, "version", 7, 0};
        s_path_t values_at = {path, "values", 6, 0};
        if (!values[S_RESULT_SAMPLES] && !values[S_RESULT_VALUES])
            return s_fail (check, &samples,
                           "missing, required for kind collect (or values)");
        if (values[S_RESULT_SAMPLES] && values[S_RESULT_VALUES])
            return s_fail (check, &values_at, "not allowed with samples");
        if (values[S_RESULT_VALUES] && !values[S_RESULT_VERSION])
            return s_fail (check, &version, "missing, required with values");
    }
    if (!is_collect && json_is_true (values[S_RESULT_OK])
        && !json_is_object (values[S_RESULT_ANALYSIS])) {
        s_path_t at = {path, "analysis", 8, 0};
        return s_fail (check, &at, "expected an object when \"ok\" is true");
    }
    return 0;
}

static int
s_job_rules (s_check_t *check, json_t *const *values, const s_path_t *path)
{
    static const s_required_t collect[] = {{S_JOB_SOURCE_ID, "source_id"},
                                           {-1, NULL}};
    static const s_required_t analyze[] = {{S_JOB_SERIES_ID, "series_id"},
                                           {S_JOB_WINDOW, "window_days"},
                                           {S_JOB_SERIES, "series"},
                                           {-1, NULL}};
    static const s_required_t evaluate[] = {
        {S_JOB_GOAL_ID, "goal_id"}, {S_JOB_GOAL, "goal"}, {-1, NULL}};
    static const s_required_t deliver[] = {{S_JOB_DELIVERY_ID, "delivery_id"},
                                           {S_JOB_REQUEST, "request"},
                                           {-1, NULL}};
    static const s_required_t probe[] = {{S_JOB_SOURCE, "source"}, {-1, NULL}};
    const char *kind = json_string_value (values[S_JOB_KIND]);
    bool is_collect = strcmp (kind, "collect") == 0;
    if (s_require (check, values, path,
                   is_collect                      ? collect
                   : strcmp (kind, "analyze") == 0 ? analyze
                   : strcmp (kind, "deliver") == 0 ? deliver
                   : strcmp (kind, "probe") == 0   ? probe
                                                   : evaluate,
                   kind))
        return -1;
    if (is_collect && !values[S_JOB_SOURCE] && !values[S_JOB_VERSION]) {
        //  A job names a definition the worker holds, or carries it.
        s_path_t at = {path, "source", 6, 0};
        return s_fail (check, &at,
                       "missing, required for kind collect without version");
    }
    return 0;
}

//  An HTTP field name is a token (RFC 9110 5.1, 5.6.2).
static bool
s_is_token (const char *text, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
                  || (c >= 'a' && c <= 'z') || strchr ("!#$%&'*+-.^_`|~", c);
        if (!ok || c == '\0')
            return false;
    }
    return true;
}

//  A deliver job's request: an http(s) URL, and headers that cannot
//  smuggle a header or a request of their own (no line break in a value,
//  names that are tokens).
static int
s_delivery_request_rules (s_check_t *check, json_t *const *values,
                          const s_path_t *path)
{
    const char *url = json_string_value (values[S_DELIVERY_URL]);
    if (strncasecmp (url, "http://", 7) != 0
        && strncasecmp (url, "https://", 8) != 0) {
        //  Not quoted: a webhook URL may hold its secret (a Slack URL).
        s_path_t at = {path, "url", 3, 0};
        return s_fail (check, &at, "expected an http:// or https:// URL");
    }
    if (!values[S_DELIVERY_HEADERS])
        return 0;
    s_path_t headers = {path, "headers", 7, 0};
    const char *key;
    size_t key_len;
    json_t *member;
    json_object_keylen_foreach (values[S_DELIVERY_HEADERS], key, key_len,
                                member)
    {
        s_path_t at = {&headers, key, key_len, 0};
        if (key_len > 256 || !s_is_token (key, key_len))
            return s_fail (check, &at,
                           "expected a header name of 1..256 token "
                           "characters (RFC 9110)");
        if (strpbrk (json_string_value (member), "\r\n"))
            return s_fail (check, &at,
                           "a header value must not contain a line break");
    }
    return 0;
}

static int
s_reply_rules (s_check_t *check, json_t *const *values, const s_path_t *path)
{
    bool ok = json_is_true (values[S_REPLY_OK]);
    s_path_t result = {path, "result", 6, 0};
    s_path_t error = {path, "error", 5, 0};
    s_path_t code = {path, "code", 4, 0};
    s_path_t where = {path, "where", 5, 0};
    if (ok) {
        if (!values[S_REPLY_RESULT])
            return s_fail (check, &result,
                           "missing, required when \"ok\" "
                           "is true");
        if (values[S_REPLY_ERROR])
            return s_fail (check, &error, "not allowed when \"ok\" is true");
        if (values[S_REPLY_CODE])
            return s_fail (check, &code, "not allowed when \"ok\" is true");
        if (values[S_REPLY_WHERE])
            return s_fail (check, &where, "not allowed when \"ok\" is true");
    }
    else {
        if (!values[S_REPLY_ERROR])
            return s_fail (check, &error,
                           "missing, required when \"ok\" "
                           "is false");
        if (values[S_REPLY_RESULT])
            return s_fail (check, &result, "not allowed when \"ok\" is false");
    }
    return 0;
}

int
ws_msg_validate (ws_msg_id_t id, json_t *body, ws_err_t *err)
{
    if (!s_id_valid (id))
        return ws_err_set (err, WS_ERR_PROTO, "message: unknown command id %d",
                           (int) id);
    if (!json_is_object (body)) {
        char found[96] = "nothing";
        if (body)
            s_describe (body, found, sizeof found);
        return s_frame_fail (err, "#body",
                             "%s: body: expected a JSON object, found %s",
                             s_names[id], found);
    }
    s_check_t check = {s_names[id], err};
    return s_check_object (&check, &s_schemas[id], body, NULL, 1);
}

//  --------------------------------------------------------------------
//  The message.

ws_msg_t *
ws_msg_new (ws_msg_id_t id, json_t **body_p)
{
    json_t *body = NULL;
    if (body_p) {
        body = *body_p;
        *body_p = NULL;
    }
    if (!s_id_valid (id)) {
        json_decref (body);
        return NULL;
    }
    if (!body)
        body = json_object ();
    ws_msg_t *self = calloc (1, sizeof *self);
    if (!self || !body) {
        free (self);
        json_decref (body);
        return NULL;
    }
    self->id = id;
    self->body = body;
    return self;
}

void
ws_msg_destroy (ws_msg_t **self_p)
{
    if (self_p && *self_p) {
        json_decref ((*self_p)->body);
        free (*self_p);
        *self_p = NULL;
    }
}

ws_msg_id_t
ws_msg_id (ws_msg_t *self)
{
    assert (self);
    return self->id;
}

const char *
ws_msg_command (ws_msg_t *self)
{
    assert (self);
    return ws_msg_id_name (self->id);
}

const char *
ws_msg_id_name (ws_msg_id_t id)
{
    return s_id_valid (id) ? s_names[id] : "(unknown)";
}

json_t *
ws_msg_body (ws_msg_t *self)
{
    assert (self);
    return self->body;
}

const uint8_t *
ws_msg_routing_id (ws_msg_t *self, size_t *len)
{
    assert (self);
    if (len)
        *len = self->routing_id_len;
    return self->routing_id_len ? self->routing_id : NULL;
}

void
ws_msg_set_routing_id (ws_msg_t *self, const uint8_t *data, size_t len)
{
    assert (self);
    assert (len <= WS_MSG_MAX_ROUTING_ID);
    if (!data)
        len = 0;
    if (len)
        memcpy (self->routing_id, data, len);
    self->routing_id_len = len;
}

ws_msg_t *
ws_msg_new_error (const char *code, const char *text)
{
    size_t code_len = code ? strlen (code) : 0;
    if (code_len < 1 || code_len > 32)
        return NULL;
    char cut[1025];
    snprintf (cut, sizeof cut, "%s", text ? text : "");
    s_utf8_trim (cut);
    json_t *body = json_object ();
    json_t *value = json_string (cut);
    if (!value) {
        //  Not UTF-8: keep the ASCII, mark the rest.
        for (char *at = cut; *at; at++)
            if ((unsigned char) *at >= 0x80)
                *at = '?';
        value = json_string (cut);
    }
    if (!body || !value) {
        json_decref (body);
        json_decref (value);
        return NULL;
    }
    //  json_object_set_new steals the value, also when it fails.
    int rc = json_object_set_new (body, "code", json_string (code));
    rc |= json_object_set_new (body, "text", value);
    if (rc) {
        json_decref (body);
        return NULL;
    }
    ws_msg_t *self = ws_msg_new (WS_MSG_ERROR, &body);
    if (self && ws_msg_validate (WS_MSG_ERROR, self->body, NULL))
        ws_msg_destroy (&self);
    return self;
}

const char *
ws_msg_error_code (const ws_err_t *err)
{
    if (err && strcmp (err->where, "#version") == 0)
        return "version";
    return "proto";
}

//  --------------------------------------------------------------------
//  Frames.

//  Set a fault in the framing; where names the frame. Returns -1.
static int
s_frame_fail (ws_err_t *err, const char *where, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    ws_err_vset (err, WS_ERR_PROTO, fmt, args);
    va_end (args);
    if (err)
        s_utf8_trim (err->text);
    ws_err_where (err, "%s", where);
    return -1;
}

static bool
s_is_version (const uint8_t *frame, size_t size)
{
    if (size <= 4 || size > S_VERSION_MAX_LEN || memcmp (frame, "WSP/", 4))
        return false;
    for (size_t i = 4; i < size; i++)
        if (frame[i] < '0' || frame[i] > '9')
            return false;
    return true;
}

//  Decode the frames after the routing id. Only frames[0] is read
//  unless count is 3, so a caller may pass fewer pointers than count.
static ws_msg_t *
s_decode (const uint8_t *const *frames, const size_t *sizes, size_t count,
          ws_err_t *err)
{
    if (count == 0) {
        s_frame_fail (err, "#frames", "expected 3 frames, got 0");
        return NULL;
    }
    if (sizes[0] != S_SIGNATURE_LEN
        || memcmp (frames[0], WS_MSG_SIGNATURE, S_SIGNATURE_LEN)) {
        char seen[96];
        s_text_t text;
        s_text_init (&text, seen, sizeof seen);
        s_text_escape (&text, (const char *) frames[0],
                       sizes[0] > S_VERSION_MAX_LEN ? S_VERSION_MAX_LEN
                                                    : sizes[0],
                       true, false);
        if (s_is_version (frames[0], sizes[0]))
            s_frame_fail (err, "#version", "expected protocol %s, got %s",
                          WS_MSG_SIGNATURE, seen);
        else
            s_frame_fail (err, "#signature",
                          "not a watershed message (signature frame "
                          "\"%s\"%s, expected \"%s\")",
                          seen, sizes[0] > S_VERSION_MAX_LEN ? "..." : "",
                          WS_MSG_SIGNATURE);
        return NULL;
    }
    if (count != 3) {
        s_frame_fail (err, "#frames", "expected 3 frames, got %zu", count);
        return NULL;
    }
    ws_msg_id_t id = 0;
    for (size_t i = 1; i < S_COMMANDS && !id; i++)
        if (strlen (s_names[i]) == sizes[1]
            && memcmp (s_names[i], frames[1], sizes[1]) == 0)
            id = (ws_msg_id_t) i;
    if (!id) {
        char seen[96];
        s_text_t text;
        s_text_init (&text, seen, sizeof seen);
        s_text_escape (&text, (const char *) frames[1],
                       sizes[1] > S_QUOTE_MAX ? S_QUOTE_MAX : sizes[1], true,
                       false);
        s_frame_fail (err, "#command", "unknown command \"%s\"%s", seen,
                      sizes[1] > S_QUOTE_MAX ? "..." : "");
        return NULL;
    }
    const char *name = s_names[id];
    if (sizes[2] > WS_MSG_MAX_BODY) {
        s_frame_fail (err, "#body",
                      "%s: body of %zu bytes is over the limit of %d bytes",
                      name, sizes[2], WS_MSG_MAX_BODY);
        return NULL;
    }
    json_error_t jerr;
    json_t *body = json_loadb ((const char *) frames[2], sizes[2],
                               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!body) {
        //  jansson quotes the input near the fault: escape it.
        char why[160];
        s_text_t text;
        s_text_init (&text, why, sizeof why);
        s_text_escape (&text, jerr.text, strnlen (jerr.text, sizeof jerr.text),
                       true, false);
        s_frame_fail (err, "#body",
                      "%s: body is not valid JSON: %s (at byte %d)", name, why,
                      jerr.position);
        return NULL;
    }
    if (ws_msg_validate (id, body, err)) {
        json_decref (body);
        return NULL;
    }
    ws_msg_t *self = ws_msg_new (id, &body);
    if (!self)
        ws_err_set (err, WS_ERR_SYSTEM, "%s: out of memory", name);
    return self;
}

ws_msg_t *
ws_msg_decode (const uint8_t *const *frames, const size_t *sizes, size_t count,
               bool router, ws_err_t *err)
{
    if (!router)
        return s_decode (frames, sizes, count, err);
    if (count == 0) {
        s_frame_fail (err, "#routing-id", "no routing-id frame");
        return NULL;
    }
    if (sizes[0] < 1 || sizes[0] > WS_MSG_MAX_ROUTING_ID) {
        s_frame_fail (err, "#routing-id",
                      "routing id of %zu bytes, expected 1..%d", sizes[0],
                      WS_MSG_MAX_ROUTING_ID);
        return NULL;
    }
    ws_msg_t *self = s_decode (frames + 1, sizes + 1, count - 1, err);
    if (self)
        ws_msg_set_routing_id (self, frames[0], sizes[0]);
    return self;
}

ws_msg_t *
ws_msg_recv (void *socket, bool router, int flags, ws_err_t *err,
             uint8_t routing_id[WS_MSG_MAX_ROUTING_ID], size_t *routing_id_len)
{
    assert (socket);
    if (routing_id_len)
        *routing_id_len = 0;
    //  Keep the frames we may read; count (and drop) any beyond them.
    enum { S_KEEP = 4 };
    zmq_msg_t parts[S_KEEP], extra;
    size_t kept = 0, count = 0;
    int more = 1;
    while (more) {
        //  zmq_msg_t must not be copied: receive in place.
        zmq_msg_t *part = kept < S_KEEP ? &parts[kept] : &extra;
        zmq_msg_init (part);
        int rc;
        //  Once the first frame is in, the rest are there (a message is
        //  atomic): wait for them, retrying a signal, so none is left.
        do
            rc = zmq_msg_recv (part, socket, count ? 0 : flags);
        while (rc == -1 && errno == EINTR && count);
        if (rc == -1) {
            int code = errno;
            zmq_msg_close (part);
            for (size_t i = 0; i < kept; i++)
                zmq_msg_close (&parts[i]);
            if (code == EAGAIN && count == 0)
                ws_err_set (err, WS_ERR_TIMEOUT, "recv: no message waiting");
            else
                ws_err_set (err, WS_ERR_SYSTEM, "recv: %s",
                            zmq_strerror (code));
            return NULL;
        }
        more = zmq_msg_more (part);
        count++;
        if (part == &extra)
            zmq_msg_close (&extra);
        else
            kept++;
    }
    const uint8_t *frames[S_KEEP] = {NULL};
    size_t sizes[S_KEEP] = {0};
    for (size_t i = 0; i < kept; i++) {
        frames[i] = zmq_msg_data (&parts[i]);
        sizes[i] = zmq_msg_size (&parts[i]);
    }
    if (router && routing_id && routing_id_len && sizes[0] >= 1
        && sizes[0] <= WS_MSG_MAX_ROUTING_ID) {
        memcpy (routing_id, frames[0], sizes[0]);
        *routing_id_len = sizes[0];
    }
    //  With more frames than kept, decode reads only the routing id and
    //  the signature before it refuses the count.
    ws_msg_t *self = ws_msg_decode (frames, sizes, count, router, err);
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close (&parts[i]);
    return self;
}

//  --------------------------------------------------------------------
//  Sending.

char *
ws_msg_encode_body (ws_msg_t *self, ws_err_t *err)
{
    assert (self);
    if (ws_msg_validate (self->id, self->body, err))
        return NULL;
    char *text = json_dumps (self->body, JSON_COMPACT);
    if (!text) {
        ws_err_set (err, WS_ERR_PROTO, "%s: body cannot be encoded as JSON",
                    s_names[self->id]);
        ws_err_where (err, "#body");
        return NULL;
    }
    size_t len = strlen (text);
    if (len > WS_MSG_MAX_BODY) {
        free (text);
        ws_err_set (err, WS_ERR_PROTO,
                    "%s: body of %zu bytes is over the limit of %d bytes",
                    s_names[self->id], len, WS_MSG_MAX_BODY);
        ws_err_where (err, "#body");
        return NULL;
    }
    return text;
}

static void
s_free_body (void *data, void *hint)
{
    (void) hint;
    free (data);
}

static int
s_send_fail (ws_err_t *err, const char *name, int code)
{
    ws_err_code_t kind = code == EAGAIN         ? WS_ERR_TIMEOUT
                         : code == EHOSTUNREACH ? WS_ERR_NET
                                                : WS_ERR_SYSTEM;
    const char *why = "";
    if (code == EAGAIN)
        why = "peer is not taking messages (high-water mark or timeout): ";
    else if (code == EHOSTUNREACH)
        why = "peer is not connected: ";
    return ws_err_set (err, kind, "%s: send: %s%s", name, why,
                       zmq_strerror (code));
}

//  Send one frame; later frames of a message retry a signal, so a
//  message is never left half sent.
static int
s_send_frame (void *socket, const void *data, size_t len, int flags, bool first)
{
    int rc;
    do
        rc = zmq_send (socket, data, len, flags);
    while (rc == -1 && errno == EINTR && !first);
    return rc == -1 ? -1 : 0;
}

int
ws_msg_send (ws_msg_t **self_p, void *socket, ws_err_t *err)
{
    assert (self_p);
    assert (socket);
    ws_msg_t *self = *self_p;
    *self_p = NULL;
    if (!self)
        return ws_err_set (err, WS_ERR_PROTO, "send: no message");
    char *text = ws_msg_encode_body (self, err);
    int rc = text
                 ? ws_msg_send_text (socket, self->routing_id,
                                     self->routing_id_len, self->id, &text, err)
                 : -1;
    ws_msg_destroy (&self);
    return rc;
}

int
ws_msg_send_text (void *socket, const uint8_t *routing_id,
                  size_t routing_id_len, ws_msg_id_t id, char **body_p,
                  ws_err_t *err)
{
    assert (socket);
    assert (body_p);
    char *text = *body_p;
    *body_p = NULL;
    const char *name = s_names[s_id_valid (id) ? id : 0];
    if (!text)
        return ws_err_set (err, WS_ERR_PROTO, "%s: send: no body", name);
    //  The routing id is for a ROUTER only; without one a ROUTER would
    //  take the signature for the peer's id.
    int type = 0;
    size_t type_len = sizeof type;
    if (zmq_getsockopt (socket, ZMQ_TYPE, &type, &type_len)) {
        int code = errno;
        free (text);
        return s_send_fail (err, name, code);
    }
    bool router = type == ZMQ_ROUTER;
    if (router && !routing_id_len) {
        free (text);
        return ws_err_set (err, WS_ERR_PROTO,
                           "%s: send: no routing id for a ROUTER socket", name);
    }
    bool first = true;
    if (router) {
        if (s_send_frame (socket, routing_id, routing_id_len, ZMQ_SNDMORE,
                          first))
            goto failed;
        first = false;
    }
    if (s_send_frame (socket, WS_MSG_SIGNATURE, S_SIGNATURE_LEN, ZMQ_SNDMORE,
                      first))
        goto failed;
    if (s_send_frame (socket, name, strlen (name), ZMQ_SNDMORE, false))
        goto failed;
    //  The body goes without a copy: zmq frees it when sent.
    zmq_msg_t body;
    size_t len = strlen (text);
    if (zmq_msg_init_data (&body, text, len, s_free_body, NULL)) {
        int code = errno;
        free (text);
        return s_send_fail (err, name, code);
    }
    text = NULL;
    int rc;
    do
        rc = zmq_msg_send (&body, socket, 0);
    while (rc == -1 && errno == EINTR);
    if (rc == -1) {
        int code = errno;
        zmq_msg_close (&body);
        return s_send_fail (err, name, code);
    }
    return 0;

failed:;
    int code = errno;
    free (text);
    return s_send_fail (err, name, code);
}
