//  cmd_apply - 'watershed apply -f FILE': declarative sources, campaigns,
//  goals, activities and alert hooks, created or updated by name. The file
//  is checked here first (with the same ws_source code the coordinator
//  uses) so errors point at a line and column; nothing is applied from an
//  invalid file.
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_buf.h"
#include "ws_cli.h"
#include "ws_client.h"
#include "ws_goal_insight.h"
#include "ws_goal_view.h"
#include "ws_jsonpos.h"
#include "ws_campaign.h"
#include "ws_loop.h"

#define S_FILE_LIMIT (64u * 1024 * 1024)

static const char *s_help =
    "usage: watershed apply -f FILE [--prune] [--dry-run] [--json]\n"
    "                       [--coordinator ENDPOINT]\n"
    "\n"
    "Create or update what FILE declares (JSON: {\"sources\": [...],\n"
    "\"campaigns\": [...], \"goals\": [...], \"activities\": [...],\n"
    "\"hooks\": [...]}, each optional) by name, in one transaction. FILE\n"
    "'-' reads standard input. Everything is checked before anything is\n"
    "applied; an error names the file, line, column and field.\n"
    "\n"
    "  -f, --file FILE     the file to apply\n"
    "      --prune         delete, of each kind FILE holds, what it does\n"
    "                      not name\n"
    "      --dry-run       check and report, change nothing\n"
    "      --json          print the report as JSON\n"
    "      --coordinator   endpoint of watershedd (default: its ipc socket)\n"
    "\n"
    "Each goal created or updated gets an attainability verdict: the rate it\n"
    "needs against the rate its metric has shown (attainable, stretch,\n"
    "unlikely, no_history); 'unlikely' is also a warning on stderr. A total\n"
    "goal without checkpoints whose metric has a weekly cycle gets a hint:\n"
    "'watershed goal show NAME --pace' prints checkpoints that follow it.\n"
    "With --json these are the report's \"attainability\" and\n"
    "\"weekday_pace\", by goal.\n";

static char *
s_read (const char *path, size_t *len, char *error, size_t size)
{
    FILE *file = strcmp (path, "-") == 0 ? stdin : fopen (path, "rb");
    if (!file) {
        snprintf (error, size, "%s: %s", path, strerror (errno));
        return NULL;
    }
    ws_buf_t buf;
    ws_buf_init (&buf, S_FILE_LIMIT);
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread (chunk, 1, sizeof chunk, file)) > 0)
        if ((rc = ws_buf_append (&buf, chunk, got)))
            break;
    if (file != stdin)
        fclose (file);
    if (rc) {
        snprintf (error, size, "%s: larger than 64 MiB", path);
        ws_buf_free (&buf);
        return NULL;
    }
    *len = buf.len;
    return ws_buf_steal (&buf);
}

static void
s_report_error (const char *path, const char *text, size_t len,
                const char *where, const char *message)
{
    //  Errors of ws_source start with the field's pointer relative to
    //  the source; the full pointer is printed instead.
    const char *slash = message[0] == '/' ? strstr (message, ": ") : NULL;
    if (slash && where && strlen (where) >= (size_t) (slash - message)
        && strncmp (where + strlen (where) - (size_t) (slash - message),
                    message, (size_t) (slash - message))
               == 0)
        message = slash + 2;
    int line, column;
    if (where && *where
        && ws_jsonpos_find (text, len, where, &line, &column) == 0)
        fprintf (stderr, "%s:%d:%d: %s: %s\n", path, line, column, where,
                 message);
    else if (where && *where)
        fprintf (stderr, "%s: %s: %s\n", path, where, message);
    else
        fprintf (stderr, "%s: %s\n", path, message);
}

//  Check the document with the coordinator's own code
//  (ws_campaign_check_set): known kinds only, every element valid.
static int
s_check (json_t *doc, const char *path, const char *text, size_t len)
{
    ws_err_t err;
    json_t *set = ws_campaign_check_set (doc, &err);
    if (!set) {
        s_report_error (path, text, len, err.where, err.text);
        return -1;
    }
    json_decref (set);
    return 0;
}

//  One line per non-empty list of a kind: "goals      created   a, b".
static void
s_print_kind (json_t *report, const char *kind)
{
    json_t *section = json_object_get (report, kind);
    static const char *lists[] = {"created", "updated", "deleted"};
    for (size_t l = 0; l < 3; l++) {
        json_t *names = json_object_get (section, lists[l]);
        if (json_array_size (names) == 0)
            continue;
        printf ("%-11s%-10s", kind, lists[l]);
        size_t index;
        json_t *name;
        json_array_foreach (names, index, name) {
            if (index == 10) {
                printf (" and %zu more", json_array_size (names) - index);
                break;
            }
            printf ("%s%s", index ? ", " : "", json_string_value (name));
        }
        printf ("\n");
    }
    size_t unchanged = json_array_size (json_object_get (section, "unchanged"));
    if (unchanged)
        printf ("%-11s%-10s%zu\n", kind, "unchanged", unchanged);
}

//  What 'apply' says about one goal it created or updated: attainability
//  now (ws_goal_insight_attainability on the series the "goal" request
//  carries), a warning when unlikely, and, for a total goal without
//  checkpoints on a metric with a weekly cycle, where to get checkpoints
//  that follow it. Best-effort: a goal the coordinator cannot describe
//  gets a note on stderr, never a failed apply.
static void
s_goal_insight (ws_client_t *client, const char *name, json_t *report,
                bool json)
{
    ws_err_t err;
    int64_t now = ws_wall_ms ();
    json_t *result = ws_client_call (
        client, "goal", json_pack ("{s:s, s:I}", "name", name, "as_of", now),
        &err);
    ws_goal_t *goal = NULL;
    ws_goal_sample_t *series = NULL, *denominator = NULL;
    size_t count = 0, denominator_count = 0;
    json_t *attainability = NULL, *pace = NULL;
    if (!result
        || !(goal = ws_goal_view_goal (json_object_get (result, "def"), &err))
        || ws_goal_view_samples (json_object_get (result, "series"), "/series",
                                 &series, &count, &err)
        || ws_goal_view_samples (json_object_get (result, "denominator"),
                                 "/denominator", &denominator,
                                 &denominator_count, &err)
        || !(attainability = ws_goal_insight_attainability (
                 goal, series, count, denominator, denominator_count, now,
                 &err))) {
        fprintf (stderr,
                 "watershed apply: note: goal '%s': no attainability "
                 "verdict: %s\n",
                 name, err.text);
        goto done;
    }
    if (json)
        json_object_set (json_object_get (report, "attainability"), name,
                         attainability);
    else {
        printf ("goal '%s': %s\n", name,
                json_string_value (json_object_get (attainability, "text")));
        fflush (stdout);
    }
    const char *verdict =
        json_string_value (json_object_get (attainability, "verdict"));
    if (verdict && strcmp (verdict, "unlikely") == 0) {
        char need[512];
        ws_goal_view_need (attainability, need, sizeof need);
        fprintf (stderr, "warning: goal '%s' looks unlikely: %s\n", name, need);
    }
    //  A weekly cycle is worth a curve only for an amount that adds up
    //  over the days and has no curve of its own.
    json_t *checkpoints =
        json_object_get (json_object_get (result, "def"), "checkpoints");
    if (ws_goal_kind (goal) == WS_GOAL_TOTAL
        && json_array_size (checkpoints) == 0
        && (pace = ws_goal_insight_weekday_pace (goal, series, count, NULL))
        && json_is_true (json_object_get (pace, "weekly"))) {
        if (json)
            json_object_set (json_object_get (report, "weekday_pace"), name,
                             pace);
        else
            printf ("goal '%s': %s: 'watershed goal show %s --pace' prints "
                    "them to paste\n",
                    name, json_string_value (json_object_get (pace, "text")),
                    name);
    }
done:
    json_decref (pace);
    json_decref (attainability);
    free (series);
    free (denominator);
    ws_goal_destroy (&goal);
    json_decref (result);
}

//  The goals the apply created or updated, each through s_goal_insight.
static void
s_goal_insights (const char *endpoint, json_t *report, bool json)
{
    json_t *goals = json_object_get (report, "goals");
    json_t *created = json_object_get (goals, "created");
    json_t *updated = json_object_get (goals, "updated");
    if (json_array_size (created) + json_array_size (updated) == 0)
        return;
    ws_err_t err;
    ws_client_t *client = ws_client_new (endpoint, 10000, &err);
    if (!client) {
        fprintf (stderr,
                 "watershed apply: note: no attainability verdicts: "
                 "%s\n",
                 err.text);
        return;
    }
    if (json) {
        json_object_set_new (report, "attainability", json_object ());
        json_object_set_new (report, "weekday_pace", json_object ());
    }
    json_t *lists[2] = {created, updated};
    for (size_t l = 0; l < 2; l++) {
        size_t index;
        json_t *name;
        json_array_foreach (lists[l], index, name)
            if (json_is_string (name))
                s_goal_insight (client, json_string_value (name), report, json);
    }
    ws_client_destroy (&client);
}

typedef struct {
    const char *path;
    bool prune, dry_run;
} s_options_t;

static int
s_option (int option, const char *value, void *arg)
{
    s_options_t *options = arg;
    if (option == 'f')
        options->path = value;
    else if (option == 'p')
        options->prune = true;
    else
        options->dry_run = true;
    return 0;
}

int
cmd_apply (int argc, char **argv)
{
    static const struct option options[] = {
        {"file", required_argument, NULL, 'f'},
        {"prune", no_argument, NULL, 'p'},
        {"dry-run", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    s_options_t parsed = {NULL, false, false};
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, &parsed, &common);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (optind < argc)
        return ws_cli_usage_error ("apply", "unexpected argument '%s'",
                                   argv[optind]);
    if (!parsed.path)
        return ws_cli_usage_error ("apply", "-f FILE is required");
    const char *path = parsed.path, *endpoint = common.endpoint;
    bool prune = parsed.prune, dry_run = parsed.dry_run, json = common.json;

    char error[600];
    size_t len;
    char *text = s_read (path, &len, error, sizeof error);
    if (!text) {
        fprintf (stderr, "watershed apply: %s\n", error);
        return WS_EXIT_FAIL;
    }
    json_error_t parse;
    json_t *doc = json_loadb (text, len, JSON_REJECT_DUPLICATES, &parse);
    if (!doc) {
        fprintf (stderr, "%s:%d:%d: %s\n", path, parse.line, parse.column,
                 parse.text);
        free (text);
        return WS_EXIT_FAIL;
    }
    if (s_check (doc, path, text, len)) {
        json_decref (doc);
        free (text);
        return WS_EXIT_FAIL;
    }
    //  The file's kinds as written: the coordinator checks them again and
    //  its errors point into the same arrays.
    json_t *args = json_pack ("{s:b, s:b}", "prune", prune, "dry_run", dry_run);
    json_object_update (args, doc);
    json_decref (doc);

    ws_err_t err;
    ws_client_t *client = ws_client_new (endpoint, 30000, &err);
    if (!client) {
        fprintf (stderr, "watershed apply: %s\n", err.text);
        json_decref (args);
        free (text);
        return WS_EXIT_UNREACHABLE;
    }
    json_t *report = ws_client_call (client, "apply", args, &err);
    ws_client_destroy (&client);
    if (!report) {
        if (err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET) {
            fprintf (stderr, "watershed apply: %s\n", err.text);
            free (text);
            return WS_EXIT_UNREACHABLE;
        }
        s_report_error (path, text, len, err.where, err.text);
        free (text);
        return WS_EXIT_FAIL;
    }
    free (text);
    if (json) {
        if (!dry_run)
            s_goal_insights (endpoint, report, true);
        char *out = json_dumps (report, JSON_INDENT (2));
        printf ("%s\n", out);
        free (out);
    }
    else {
        if (dry_run)
            printf ("dry run: nothing changed\n");
        s_print_kind (report, "sources");
        s_print_kind (report, "campaigns");
        s_print_kind (report, "goals");
        s_print_kind (report, "activities");
        s_print_kind (report, "hooks");
        if (!dry_run) {
            fflush (stdout);
            s_goal_insights (endpoint, report, false);
        }
    }
    json_decref (report);
    return WS_EXIT_OK;
}
