//  cmd_source - 'watershed source test NAME | -f FILE [NAME]': one fetch
//  of a source through a worker, as collection would do it, and what
//  each rule found there. Nothing is stored.
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_client.h"

static const char *s_help =
    "usage: watershed source test NAME [--json] [--coordinator ENDPOINT]\n"
    "       watershed source test -f FILE [NAME] [--json]\n"
    "\n"
    "Fetches a source once through a worker (with the worker's environment:\n"
    "its ${NAME} headers and auth variables) and shows the HTTP status,\n"
    "time and size, then for every rule what it matched, the number that\n"
    "became and the samples, or exactly why it failed. Nothing is stored.\n"
    "NAME is an applied source; with -f the source comes from an apply file\n"
    "(NAME picks one when it has several) and need not be applied.\n"
    "Exit status 0 when the fetch worked and every rule gave its samples,\n"
    "1 otherwise.\n";

#define S_GET(object, key) json_object_get ((object), (key))

static void
s_print_labels (json_t *labels)
{
    const char *key;
    json_t *value;
    bool first = true;
    printf ("{");
    json_object_foreach (labels, key, value) {
        printf ("%s%s=%s", first ? "" : ",", key, json_string_value (value));
        first = false;
    }
    printf ("}");
}

static int
s_print (json_t *result)
{
    json_t *report = S_GET (result, "report");
    const char *error = json_string_value (S_GET (result, "error"));
    printf ("source '%s': HTTP %lld, %lld ms, %lld bytes",
            json_string_value (S_GET (report, "source")),
            (long long) json_integer_value (S_GET (result, "http_status")),
            (long long) json_integer_value (S_GET (result, "duration_ms")),
            (long long) json_integer_value (S_GET (result, "bytes")));
    const char *type = json_string_value (S_GET (report, "content_type"));
    if (type && *type)
        printf (", %s", type);
    printf ("\n");
    if (json_is_string (S_GET (report, "url")))
        printf ("url: %s\n", json_string_value (S_GET (report, "url")));
    size_t index;
    json_t *rule;
    json_array_foreach (S_GET (report, "rules"), index, rule) {
        printf ("\nrule '%s' %s '%s'\n",
                json_string_value (S_GET (rule, "metric")),
                json_string_value (S_GET (rule, "kind")),
                json_string_value (S_GET (rule, "expression")));
        size_t m;
        json_t *match;
        json_array_foreach (S_GET (rule, "matches"), m, match) {
            printf ("  match %zu: \"%s\"", m + 1,
                    json_string_value (S_GET (match, "text")));
            if (json_is_number (S_GET (match, "value")))
                printf (" -> %.15g",
                        json_number_value (S_GET (match, "value")));
            if (S_GET (match, "labels")) {
                printf ("  ");
                s_print_labels (S_GET (match, "labels"));
            }
            printf ("\n");
        }
        json_int_t found = json_integer_value (S_GET (rule, "matches_found"));
        if ((size_t) found > json_array_size (S_GET (rule, "matches")))
            printf ("  ... %lld matches in all\n", (long long) found);
        json_t *sample;
        json_array_foreach (S_GET (rule, "samples"), m, sample) {
            printf ("  sample %s", json_string_value (S_GET (rule, "metric")));
            s_print_labels (S_GET (sample, "labels"));
            printf (" = %.15g\n", json_number_value (S_GET (sample, "value")));
        }
        if (json_is_string (S_GET (rule, "error")))
            printf ("  FAILED: %s\n",
                    json_string_value (S_GET (rule, "error")));
    }
    if (!json_array_size (S_GET (report, "rules")) && error) {
        printf ("FAILED: %s\n", error);
        const char *start = json_string_value (S_GET (report, "body_start"));
        if (start && *start)
            printf ("the answer starts:\n%s\n", start);
    }
    return json_is_true (S_GET (result, "ok")) ? WS_EXIT_OK : WS_EXIT_FAIL;
}

//  The source to test from an apply file: the one named, or the only
//  one. NULL after printing why.
static json_t *
s_from_file (const char *path, const char *name)
{
    json_error_t parse;
    json_t *doc = json_load_file (path, JSON_REJECT_DUPLICATES, &parse);
    if (!doc) {
        fprintf (stderr, "%s:%d:%d: %s\n", path, parse.line, parse.column,
                 parse.text);
        return NULL;
    }
    json_t *sources = S_GET (doc, "sources");
    json_t *found = NULL;
    if (!sources && json_is_object (doc) && S_GET (doc, "url"))
        found = doc;  //  a file of one definition
    else if (!json_is_array (sources) || json_array_size (sources) == 0)
        fprintf (stderr, "%s: no \"sources\" array with a source in it\n",
                 path);
    else if (!name && json_array_size (sources) > 1) {
        fprintf (stderr, "%s: %zu sources; name the one to test:", path,
                 json_array_size (sources));
        size_t index;
        json_t *source;
        json_array_foreach (sources, index, source)
            fprintf (stderr, " %s", json_string_value (S_GET (source, "name")));
        fprintf (stderr, "\n");
    }
    else {
        size_t index;
        json_t *source;
        json_array_foreach (sources, index, source) {
            const char *its = json_string_value (S_GET (source, "name"));
            if (!name || (its && strcmp (its, name) == 0)) {
                found = source;
                break;
            }
        }
        if (!found)
            fprintf (stderr, "%s: no source named '%s'\n", path, name);
    }
    json_incref (found);
    json_decref (doc);
    return found;
}

static int
s_option (int option, const char *value, void *arg)
{
    (void) option;
    *(const char **) arg = value;
    return 0;
}

int
cmd_source (int argc, char **argv)
{
    static const struct option options[] = {
        {"file", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    const char *path = NULL;
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, &path, &common);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (optind >= argc)
        return ws_cli_usage_error ("source",
                                   "expected 'test NAME' or 'test -f FILE'");
    if (strcmp (argv[optind], "test") != 0)
        return ws_cli_usage_error (
            "source", "unknown action '%s' (expected 'test')", argv[optind]);
    const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (optind + 2 < argc)
        return ws_cli_usage_error ("source", "test: one source at a time");
    if (!path && !name)
        return ws_cli_usage_error ("source",
                                   "test: expected a source's name or -f FILE");
    json_t *args;
    if (path) {
        json_t *def = s_from_file (path, name);
        if (!def)
            return WS_EXIT_FAIL;
        args = json_pack ("{s:o}", "source", def);
    }
    else
        args = json_pack ("{s:s}", "name", name);
    //  The coordinator answers after the fetch: the source's timeout and
    //  retries, at most some minutes.
    int timeout = 300000;
    const char *env = getenv ("WATERSHED_TIMEOUT_MS");
    if (env && atoi (env) > 0)
        timeout = atoi (env);
    ws_err_t err;
    ws_client_t *client = ws_client_new (common.endpoint, timeout, &err);
    if (!client) {
        json_decref (args);
        fprintf (stderr, "watershed source: %s\n", err.text);
        return err.code == WS_ERR_INPUT ? WS_EXIT_USAGE : WS_EXIT_UNREACHABLE;
    }
    json_t *result = ws_client_call (client, "probe", args, &err);
    ws_client_destroy (&client);
    if (!result) {
        fprintf (stderr, "watershed source: %s\n", err.text);
        return err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET
                   ? WS_EXIT_UNREACHABLE
                   : WS_EXIT_FAIL;
    }
    if (common.json) {
        char *text = json_dumps (result, JSON_INDENT (2));
        printf ("%s\n", text ? text : "null");
        free (text);
        rc = json_is_true (S_GET (result, "ok")) ? WS_EXIT_OK : WS_EXIT_FAIL;
    }
    else
        rc = s_print (result);
    json_decref (result);
    return rc;
}
