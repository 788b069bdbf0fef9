//  cmd_import - 'watershed import --metric NAME [--labels k=v,...] FILE':
//  backfill a series' history from a t,value CSV, so that trends and
//  goals see it from day one. The whole file is checked here first and
//  every bad row is reported (FILE:LINE: reason); then nothing is sent.
//  The coordinator writes the file in one transaction: new times are
//  inserted, stored times with another value updated, equal ones left
//  alone, so importing a file twice changes nothing and a corrected file
//  corrects.
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_csv.h"
#include "ws_json.h"
#include "ws_msg.h"
#include "ws_time.h"

//  The coordinator refuses more rows in one request (PROTOCOL.md 11.1);
//  saying so here spares sending tens of MB to hear it.
#define S_MAX_ROWS 2000000
//  Bad rows printed before "... and N more".
#define S_ERRORS_SHOWN 20
//  Epoch seconds before 1973-03-03 are refused: such a t is much more
//  likely a row index or a year (as 'watershed trend --csv' reads them)
//  than history from the early seventies, which ISO 8601 can still say.
#define S_EPOCH_SECONDS_MIN 1e8
//  9999-12-31T23:59:59.999Z, the last time ISO 8601 writes in 4 digits.
#define S_MS_MAX 253402300799999LL

static const char *s_help =
    "usage: watershed import --metric NAME [--labels k=v[,k=v...]]\n"
    "                        [--type gauge|counter|per_period] [--period D]\n"
    "                        [--dry-run] [--json] [--coordinator ENDPOINT]\n"
    "                        FILE\n"
    "\n"
    "Backfill the history of one series (NAME with exactly these labels)\n"
    "from a CSV file with the header 't,value', so trends and goals see it\n"
    "from day one. t is an ISO 8601 date or time (UTC unless it has a zone)\n"
    "or epoch seconds (from 100000000, 1973-03-03: a smaller number is\n"
    "more likely a row index or a year); value is a finite number; rows\n"
    "may come in any order, each t once. FILE '-' reads standard input.\n"
    "\n"
    "Every bad row is reported as FILE:LINE: reason, and then nothing is\n"
    "imported (exit 1). Otherwise the whole file is written in one\n"
    "transaction: new times are inserted, stored times with another value\n"
    "updated, equal ones left alone. Importing the same file again changes\n"
    "nothing; a corrected file updates the values it corrects.\n"
    "\n"
    "  -m, --metric NAME   the metric, [A-Za-z_:][A-Za-z0-9_:.]*\n"
    "  -l, --labels k=v    the series' labels, names [A-Za-z_][A-Za-z0-9_]*\n"
    "      --type T        gauge, counter or per_period; default: the\n"
    "                      stored series' type, else gauge. A series keeps\n"
    "                      its type: another one is refused\n"
    "      --period D      the period of a per_period series (default 1d)\n"
    "      --dry-run       check and count what would change, change nothing\n"
    "      --json          print the report as JSON\n"
    "      --coordinator   endpoint of watershedd (default: its ipc socket)\n"
    "\n"
    "A file of up to 2,000,000 rows (and 64 MiB) goes in one request;\n"
    "split a larger one. The timeout grows with the file;\n"
    "WATERSHED_TIMEOUT_MS sets it.\n";

#define S_OPT_TYPE 2001
#define S_OPT_PERIOD 2002
#define S_OPT_DRY_RUN 2003

typedef struct {
    const char *metric;
    json_t *labels;  //  owns
    const char *type;
    int64_t period_ms;
    bool dry_run;
} s_options_t;

typedef struct {
    size_t line;
    char text[200];
} s_bad_row_t;

//  The rows read, and the bad ones: every one counted, the first
//  S_ERRORS_SHOWN by line number kept for printing.
typedef struct {
    const char *name;  //  the file, as errors name it
    int64_t *ts;       //  owns
    double *values;    //  owns
    size_t *lines;     //  owns
    size_t count, capacity;
    s_bad_row_t bad[S_ERRORS_SHOWN];
    size_t bad_kept, bad_count;
} s_rows_t;

static bool
s_valid_label_key (const char *key)
{
    if (!*key || strlen (key) > 128)
        return false;
    for (const char *p = key; *p; p++)
        if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (p > key && *p >= '0' && *p <= '9')))
            return false;
    return true;
}

static int
s_option (int option, const char *value, void *arg)
{
    s_options_t *options = arg;
    switch (option) {
    case 'm':
        if (!*value || strlen (value) > 200 || !ws_json_valid_metric (value))
            return ws_cli_usage_error (
                "import",
                "--metric '%.60s': expected [A-Za-z_:][A-Za-z0-9_:.]* of at "
                "most 200 characters",
                value);
        options->metric = value;
        return 0;
    case 'l': {
        int rc = ws_cli_parse_labels (value, options->labels, "import");
        if (rc)
            return rc;
        const char *key;
        json_t *item;
        json_object_foreach (options->labels, key, item)
            if (!s_valid_label_key (key))
                return ws_cli_usage_error (
                    "import",
                    "--labels: bad label name '%.60s', expected "
                    "[A-Za-z_][A-Za-z0-9_]* of at most 128 characters",
                    key);
        return 0;
    }
    case S_OPT_TYPE:
        if (strcmp (value, "gauge") != 0 && strcmp (value, "counter") != 0
            && strcmp (value, "per_period") != 0)
            return ws_cli_usage_error (
                "import", "--type '%s': expected gauge, counter or per_period",
                value);
        options->type = value;
        return 0;
    case S_OPT_PERIOD: {
        ws_err_t err;
        if (ws_duration_parse (value, &options->period_ms, &err))
            return ws_cli_usage_error ("import", "--period: %s", err.text);
        if (options->period_ms < 1000 || options->period_ms > 366 * 86400000LL)
            return ws_cli_usage_error (
                "import", "--period '%s': expected 1s to 366d", value);
        return 0;
    }
    default: options->dry_run = true; return 0;
    }
}

//  Keep a bad row's message if it is among the first S_ERRORS_SHOWN by
//  line (duplicates are found after the scan, so they come late).
static void s_bad_row (s_rows_t *rows, size_t line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_bad_row (s_rows_t *rows, size_t line, const char *fmt, ...)
{
    rows->bad_count++;
    size_t at = rows->bad_kept;
    while (at > 0 && rows->bad[at - 1].line > line)
        at--;
    if (at == S_ERRORS_SHOWN)
        return;
    if (rows->bad_kept == S_ERRORS_SHOWN)
        rows->bad_kept--;  //  the last one kept drops out
    memmove (&rows->bad[at + 1], &rows->bad[at],
             (rows->bad_kept - at) * sizeof rows->bad[0]);
    rows->bad_kept++;
    rows->bad[at].line = line;
    va_list args;
    va_start (args, fmt);
    vsnprintf (rows->bad[at].text, sizeof rows->bad[at].text, fmt, args);
    va_end (args);
}

//  t as epoch ms: an ISO 8601 date or time, or epoch seconds. 0, or -1
//  after recording the row as bad.
static int
s_parse_t (s_rows_t *rows, const ws_csv_row_t *row, int64_t *ms)
{
    double seconds;
    if (ws_csv_number (row->t, &seconds)) {
        if (seconds < S_EPOCH_SECONDS_MIN) {
            s_bad_row (rows, row->line,
                       "t '%.40s' as epoch seconds is before 1973-03-03 (a "
                       "row index or a year?); write epoch seconds or an ISO "
                       "8601 time",
                       row->t);
            return -1;
        }
        if (seconds * 1000.0 > (double) S_MS_MAX) {
            s_bad_row (rows, row->line,
                       "t '%.40s' as epoch seconds is after the year 9999",
                       row->t);
            return -1;
        }
        *ms = llround (seconds * 1000.0);
        return 0;
    }
    if (ws_iso8601_parse (row->t, ms, NULL)) {
        s_bad_row (rows, row->line,
                   "t '%.40s' is not an ISO 8601 time or epoch seconds",
                   row->t);
        return -1;
    }
    if (*ms < 0) {
        s_bad_row (rows, row->line, "t '%.40s' is before 1970-01-01", row->t);
        return -1;
    }
    return 0;
}

static int
s_on_row (const ws_csv_row_t *row, void *arg, ws_err_t *err)
{
    s_rows_t *rows = arg;
    if (row->fields != 2) {
        s_bad_row (rows, row->line, "%zu fields, expected 2 (t,value)",
                   row->fields);
        return 0;
    }
    int64_t ms;
    if (s_parse_t (rows, row, &ms))
        return 0;
    double value;
    if (!ws_csv_number (row->value, &value)) {
        s_bad_row (rows, row->line, "value '%.40s' is not a finite number",
                   row->value);
        return 0;
    }
    if (rows->count == rows->capacity) {
        size_t next = rows->capacity ? rows->capacity * 2 : 1024;
        int64_t *ts = realloc (rows->ts, next * sizeof *ts);
        if (ts)
            rows->ts = ts;
        double *values =
            ts ? realloc (rows->values, next * sizeof *values) : NULL;
        if (values)
            rows->values = values;
        size_t *lines =
            values ? realloc (rows->lines, next * sizeof *lines) : NULL;
        if (!lines)
            return ws_err_set (err, WS_ERR_SYSTEM,
                               "%s: out of memory at %zu rows", rows->name,
                               rows->count);
        rows->lines = lines;
        rows->capacity = next;
    }
    rows->ts[rows->count] = ms;
    rows->values[rows->count] = value;
    rows->lines[rows->count] = row->line;
    rows->count++;
    return 0;
}

typedef struct {
    int64_t ts;
    size_t index;  //  into the rows, which are in file order
} s_key_t;

static int
s_key_order (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

//  Each t once: a later row with the t of an earlier one is bad.
static int
s_find_duplicates (s_rows_t *rows, ws_err_t *err)
{
    if (rows->count < 2)
        return 0;
    s_key_t *keys = malloc (rows->count * sizeof *keys);
    if (!keys)
        return ws_err_set (err, WS_ERR_SYSTEM, "%s: out of memory", rows->name);
    for (size_t i = 0; i < rows->count; i++)
        keys[i] = (s_key_t){rows->ts[i], i};
    qsort (keys, rows->count, sizeof *keys, s_key_order);
    size_t first = 0;
    for (size_t i = 1; i < rows->count; i++) {
        if (keys[i].ts != keys[first].ts) {
            first = i;
            continue;
        }
        char when[32];
        ws_iso8601_format (keys[i].ts, when, sizeof when);
        s_bad_row (rows, rows->lines[keys[i].index],
                   "t %s repeats line %zu, expected each t once", when,
                   rows->lines[keys[first].index]);
    }
    free (keys);
    return 0;
}

static void
s_rows_free (s_rows_t *rows)
{
    free (rows->ts);
    free (rows->values);
    free (rows->lines);
}

//  Read and check the whole file. 0 with rows filled, or the exit code
//  after printing every bad row (at most S_ERRORS_SHOWN of them).
static int
s_read_rows (const char *path, s_rows_t *rows)
{
    ws_err_t err;
    size_t len;
    char *text = ws_csv_load (path, &len, &err);
    if (!text) {
        fprintf (stderr, "watershed import: %s\n", err.text);
        return WS_EXIT_FAIL;
    }
    int rc = ws_csv_scan (text, len, rows->name, s_on_row, rows, &err);
    free (text);
    if (rc == 0)
        rc = s_find_duplicates (rows, &err);
    if (rc) {
        fprintf (stderr, "%s\n", err.text);
        return WS_EXIT_FAIL;
    }
    if (rows->bad_count) {
        for (size_t i = 0; i < rows->bad_kept; i++)
            fprintf (stderr, "%s:%zu: %s\n", rows->name, rows->bad[i].line,
                     rows->bad[i].text);
        if (rows->bad_count > rows->bad_kept)
            fprintf (stderr, "%s: ... and %zu more bad rows\n", rows->name,
                     rows->bad_count - rows->bad_kept);
        fprintf (stderr, "%s: %zu bad rows; nothing imported\n", rows->name,
                 rows->bad_count);
        return WS_EXIT_FAIL;
    }
    if (rows->count == 0) {
        fprintf (stderr, "%s: no rows after the header; nothing imported\n",
                 rows->name);
        return WS_EXIT_FAIL;
    }
    if (rows->count > S_MAX_ROWS) {
        fprintf (stderr,
                 "%s: %zu rows, more than the %d one import takes; split the "
                 "file\n",
                 rows->name, rows->count, S_MAX_ROWS);
        return WS_EXIT_FAIL;
    }
    return 0;
}

//  The request's args; NULL after printing why (too big for one message).
static json_t *
s_request (const s_options_t *options, const s_rows_t *rows)
{
    json_t *t = json_array (), *values = json_array ();
    json_t *args = json_pack (
        "{s:s, s:O, s:b, s:o, s:o}", "metric", options->metric, "labels",
        options->labels, "dry_run", options->dry_run, "t", t, "value", values);
    if (!args) {
        fprintf (stderr, "watershed import: out of memory\n");
        return NULL;
    }
    if (options->type)
        json_object_set_new (args, "type", json_string (options->type));
    if (options->period_ms)
        json_object_set_new (args, "period_ms",
                             json_integer (options->period_ms));
    int rc = 0;
    for (size_t i = 0; i < rows->count && rc == 0; i++)
        rc = json_array_append_new (t, json_integer (rows->ts[i]))
             || json_array_append_new (values, json_real (rows->values[i]));
    if (rc) {
        fprintf (stderr, "%s: out of memory at %zu rows\n", rows->name,
                 rows->count);
        json_decref (args);
        return NULL;
    }
    //  The REQUEST wraps args in {"id", "command", "args"}: 64 bytes
    //  covers that.
    size_t size = json_dumpb (args, NULL, 0, JSON_COMPACT) + 64;
    if (size > WS_MSG_MAX_BODY) {
        fprintf (stderr,
                 "%s: %zu rows make a request of %zu bytes, over the "
                 "protocol's limit of %d bytes (WS_MSG_MAX_BODY); split the "
                 "file\n",
                 rows->name, rows->count, size, WS_MSG_MAX_BODY);
        json_decref (args);
        return NULL;
    }
    return args;
}

static void
s_print (json_t *report)
{
    char labels[256], from[40], to[40];
    ws_cli_format_labels (json_object_get (report, "labels"), labels,
                          sizeof labels);
    ws_cli_format_time (json_object_get (report, "from"), from, sizeof from);
    ws_cli_format_time (json_object_get (report, "to"), to, sizeof to);
    json_t *id = json_object_get (report, "series_id");
    bool dry_run = json_is_true (json_object_get (report, "dry_run"));
    bool created = json_is_true (json_object_get (report, "created"));
    printf ("%s%s %s (%s", dry_run ? "dry run, nothing changed: " : "",
            json_string_value (json_object_get (report, "metric")), labels,
            json_string_value (json_object_get (report, "type")));
    if (json_is_integer (id))
        printf (", series %" JSON_INTEGER_FORMAT, json_integer_value (id));
    printf ("%s)\n",
            created ? (dry_run ? ", would be created" : ", created") : "");
    printf ("%" JSON_INTEGER_FORMAT " rows from %s to %s: %" JSON_INTEGER_FORMAT
            " %s, %" JSON_INTEGER_FORMAT " %s, %" JSON_INTEGER_FORMAT
            " unchanged\n",
            json_integer_value (json_object_get (report, "rows")), from, to,
            json_integer_value (json_object_get (report, "inserted")),
            dry_run ? "to insert" : "inserted",
            json_integer_value (json_object_get (report, "updated")),
            dry_run ? "to update" : "updated",
            json_integer_value (json_object_get (report, "unchanged")));
}

//  An error of the coordinator about one row ("/t/12", "/value/12")
//  names the file's line; others are printed as they come.
static void
s_print_error (const s_rows_t *rows, const ws_err_t *err)
{
    const char *text = err->text;
    if (strncmp (text, "import: ", 8) == 0)
        text += 8;
    size_t row;
    char field[8];
    if (sscanf (err->where, "/%7[a-z]/%zu", field, &row) == 2
        && row < rows->count)
        fprintf (stderr, "%s:%zu: %s\n", rows->name, rows->lines[row], text);
    else
        fprintf (stderr, "watershed import: %s\n", text);
}

int
cmd_import (int argc, char **argv)
{
    static const struct option options[] = {
        {"metric", required_argument, NULL, 'm'},
        {"labels", required_argument, NULL, 'l'},
        {"type", required_argument, NULL, S_OPT_TYPE},
        {"period", required_argument, NULL, S_OPT_PERIOD},
        {"dry-run", no_argument, NULL, S_OPT_DRY_RUN},
        {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    s_options_t parsed = {NULL, json_object (), NULL, 0, false};
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, &parsed, &common);
    if (rc == WS_CLI_GO_ON) {
        if (!parsed.metric)
            rc = ws_cli_usage_error ("import", "--metric NAME is required");
        else if (optind != argc - 1)
            rc = ws_cli_usage_error ("import", optind >= argc
                                                   ? "FILE is required"
                                                   : "one FILE only");
        else if (parsed.period_ms
                 && (!parsed.type || strcmp (parsed.type, "per_period")))
            rc = ws_cli_usage_error ("import",
                                     "--period needs --type per_period");
    }
    if (rc != WS_CLI_GO_ON) {
        json_decref (parsed.labels);
        return rc;
    }
    const char *path = argv[optind];
    s_rows_t rows;
    memset (&rows, 0, sizeof rows);
    rows.name = strcmp (path, "-") == 0 ? "stdin" : path;
    rc = s_read_rows (path, &rows);
    json_t *args = rc ? NULL : s_request (&parsed, &rows);
    json_decref (parsed.labels);
    if (!args) {
        s_rows_free (&rows);
        return rc ? rc : WS_EXIT_FAIL;
    }
    //  One transaction of up to millions of rows: the usual 10 s would
    //  give up on a coordinator that is only busy.
    int timeout_ms = 30000 + (int) (rows.count / 20);
    const char *env = getenv ("WATERSHED_TIMEOUT_MS");
    if (env && atoi (env) > 0)
        timeout_ms = atoi (env);
    ws_err_t err;
    ws_client_t *client = ws_client_new (common.endpoint, timeout_ms, &err);
    if (!client) {
        fprintf (stderr, "watershed import: %s\n", err.text);
        json_decref (args);
        s_rows_free (&rows);
        return err.code == WS_ERR_INPUT ? WS_EXIT_USAGE : WS_EXIT_UNREACHABLE;
    }
    json_t *report = ws_client_call (client, "import", args, &err);
    ws_client_destroy (&client);
    if (!report) {
        if (err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET)
            fprintf (stderr, "watershed import: %s\n", err.text);
        else
            s_print_error (&rows, &err);
        s_rows_free (&rows);
        return err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET
                   ? WS_EXIT_UNREACHABLE
                   : WS_EXIT_FAIL;
    }
    s_rows_free (&rows);
    if (common.json) {
        char *text = json_dumps (report, JSON_INDENT (2));
        printf ("%s\n", text ? text : "null");
        free (text);
    }
    else
        s_print (report);
    json_decref (report);
    return WS_EXIT_OK;
}
