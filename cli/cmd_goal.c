//  cmd_goal - 'watershed goal SUBCOMMAND': one goal at a time.
//  'goal show' explains a stored goal: its evaluation, history as a
//  sparkline, checkpoints, attainability, lagging segments, what each
//  activity did and the health of its sources (the "goal" request, then
//  ws_goal_insight on the series it carries); 'goal backtest' replays
//  the stored history through the goal's hysteresis (ws_goal_backtest);
//  'goal eval' evaluates a goal file against t,value CSV samples offline,
//  with ws_goal, the code the daemon runs on stored samples.
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_csv.h"
#include "ws_goal.h"
#include "ws_goal_insight.h"
#include "ws_goal_track.h"
#include "ws_goal_view.h"
#include "ws_loop.h"
#include "ws_time.h"

#define S_GET(object, key) json_object_get ((object), (key))

static void
s_help (FILE *out)
{
    fprintf (out, "usage: watershed goal SUBCOMMAND [OPTIONS]\n"
                  "\n"
                  "subcommands:\n"
                  "  show       a goal explained: evaluation, history, "
                  "checkpoints,\n"
                  "             attainability, segments, activities, sources\n"
                  "  backtest   replay a goal over stored history: its alerts, "
                  "lead\n"
                  "             time before a miss, false alarms\n"
                  "  eval       evaluate a goal file against CSV samples, "
                  "offline\n"
                  "\n"
                  "'watershed goal SUBCOMMAND --help' describes a "
                  "subcommand.\n");
}

static void
s_eval_help (FILE *out)
{
    fprintf (
        out,
        "usage: watershed goal eval --goal GOAL.json --csv SAMPLES.csv\n"
        "                           [--csv-denominator FILE] [--as-of TIME]\n"
        "                           [--json]\n"
        "\n"
        "Evaluate a goal at a moment, offline: current value, progress, the\n"
        "rate required against the rate demonstrated, the projection at the\n"
        "deadline with an 80%% interval, and a status: achieved, missed,\n"
        "too_early, on_track, at_risk or off_track (stale needs source\n"
        "health and is the daemon's only).\n"
        "\n"
        "  --goal FILE             the goal as JSON (format in\n"
        "                          shared/refdata/goals/README.md)\n"
        "  --csv FILE              its samples: header 't,value', t in ISO\n"
        "                          8601, increasing; '-' reads standard "
        "input\n"
        "  --csv-denominator FILE  a ratio goal's denominator samples\n"
        "  --as-of TIME            the moment of evaluation, ISO 8601\n"
        "                          (default: now)\n"
        "  --json                  print the JSON object\n"
        "\n"
        "too_early while less than %.0f%% of the goal's time is gone or\n"
        "fewer than %d samples are in the window. Exit 0 on success, 1 if a\n"
        "file cannot be read or is invalid, 2 on a usage error.\n",
        100 * WS_GOAL_MIN_ELAPSED, WS_GOAL_MIN_POINTS);
}

//  Read a CSV of ISO 8601 t into samples (caller owns *samples).
static int
s_read_samples (const char *path, ws_goal_sample_t **samples, size_t *count)
{
    ws_csv_series_t series;
    ws_err_t err;
    if (ws_csv_read (&series, path, &err)) {
        fprintf (stderr, "watershed goal eval: %s\n", err.text);
        return -1;
    }
    if (series.n > 0 && !series.t_is_time) {
        fprintf (stderr,
                 "watershed goal eval: %s: t is a number, expected ISO 8601 "
                 "times such as 2027-01-04T00:00:00Z\n",
                 path);
        ws_csv_series_free (&series);
        return -1;
    }
    *samples = calloc (series.n + 1, sizeof (ws_goal_sample_t));
    if (!*samples) {
        fprintf (stderr, "watershed goal eval: %s: out of memory\n", path);
        ws_csv_series_free (&series);
        return -1;
    }
    //  ws_csv gives days since the epoch; samples are in ms.
    for (size_t i = 0; i < series.n; i++) {
        (*samples)[i].t = (int64_t) llround (series.t[i] * 86400000.0);
        (*samples)[i].value = series.value[i];
    }
    *count = series.n;
    ws_csv_series_free (&series);
    return 0;
}

static void
s_print_summary (const json_t *result)
{
    const char *name = json_string_value (json_object_get (result, "name"));
    const char *status = json_string_value (json_object_get (result, "status"));
    const char *summary =
        json_string_value (json_object_get (result, "summary"));
    printf ("goal '%s': %s\n", name ? name : "?", status ? status : "?");
    const json_t *window = json_object_get (result, "window");
    const char *unit = json_string_value (json_object_get (result, "unit"));
    const json_t *current = json_object_get (result, "current");
    const json_t *progress = json_object_get (result, "progress");
    printf ("  as of %s: ",
            json_string_value (json_object_get (result, "as_of")));
    if (current)
        printf ("%.6g%s%s", json_number_value (current), unit ? " " : "",
                unit ? unit : "");
    else
        printf ("no current value");
    if (progress)
        printf (", %.1f%% of the way", 100 * json_number_value (progress));
    printf (
        " (%.1f%% expected; %lld samples from %s)\n",
        100 * json_number_value (json_object_get (result, "expected_progress")),
        (long long) json_integer_value (json_object_get (result, "n")),
        json_string_value (json_object_get (window, "from")));
    const json_t *projected = json_object_get (result, "projected");
    if (projected)
        printf ("  projected %.6g at the deadline (80%% interval %.6g to "
                "%.6g)\n",
                json_number_value (projected),
                json_number_value (json_object_get (result, "projected_low")),
                json_number_value (json_object_get (result, "projected_high")));
    if (summary)
        printf ("  %s\n", summary);
    const json_t *notes = json_object_get (result, "notes");
    for (size_t i = 0; i < json_array_size (notes); i++)
        printf ("  note: %s\n", json_string_value (json_array_get (notes, i)));
}

static int
s_eval (int argc, char **argv)
{
    static const struct option options[] = {
        {"goal", required_argument, NULL, 'g'},
        {"csv", required_argument, NULL, 'c'},
        {"csv-denominator", required_argument, NULL, 'd'},
        {"as-of", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *command = "goal eval";
    const char *goal_path = NULL, *csv_path = NULL, *denominator_path = NULL;
    bool json = false;
    int64_t as_of = (int64_t) time (NULL) * 1000;
    ws_err_t err;
    //  optind = 0 makes glibc start over, so the command can run twice in
    //  one process.
    optind = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (option) {
        case 'g': goal_path = optarg; break;
        case 'c': csv_path = optarg; break;
        case 'd': denominator_path = optarg; break;
        case 'a':
            if (ws_iso8601_parse (optarg, &as_of, &err))
                return ws_cli_usage_error (command, "--as-of: %s", err.text);
            break;
        case 'j': json = true; break;
        case 'h': s_eval_help (stdout); return WS_EXIT_OK;
        case ':':
            return ws_cli_usage_error (command, "%s needs a value",
                                       argv[optind - 1]);
        default:
            return ws_cli_usage_error (command, "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ws_cli_usage_error (command, "unexpected argument '%s'",
                                   argv[optind]);
    if (!goal_path)
        return ws_cli_usage_error (command, "--goal FILE is required");
    if (!csv_path)
        return ws_cli_usage_error (command, "--csv FILE is required");

    json_error_t json_err;
    json_t *def = json_load_file (goal_path, JSON_REJECT_DUPLICATES, &json_err);
    if (!def) {
        fprintf (stderr, "watershed goal eval: %s:%d:%d: %s\n", goal_path,
                 json_err.line, json_err.column, json_err.text);
        return WS_EXIT_FAIL;
    }
    ws_goal_t *goal = ws_goal_new (def, &err);
    json_decref (def);
    if (!goal) {
        fprintf (stderr, "watershed goal eval: %s: %s\n", goal_path, err.text);
        return WS_EXIT_FAIL;
    }
    int rc = WS_EXIT_FAIL;
    ws_goal_sample_t *samples = NULL, *denominator = NULL;
    size_t count = 0, denominator_count = 0;
    json_t *result = NULL;
    if (ws_goal_numerator (goal) && !denominator_path) {
        rc = ws_cli_usage_error (command,
                                 "%s is a ratio goal: --csv-denominator FILE "
                                 "is required (the samples of '%s')",
                                 goal_path, ws_goal_denominator (goal));
        goto done;
    }
    if (!ws_goal_numerator (goal) && denominator_path) {
        rc = ws_cli_usage_error (
            command, "--csv-denominator: %s is not a ratio goal", goal_path);
        goto done;
    }
    if (s_read_samples (csv_path, &samples, &count))
        goto done;
    if (denominator_path
        && s_read_samples (denominator_path, &denominator, &denominator_count))
        goto done;
    result = ws_goal_evaluate (goal, samples, count, denominator,
                               denominator_count, as_of, &err);
    if (!result) {
        fprintf (stderr, "watershed goal eval: %s: %s\n", csv_path, err.text);
        goto done;
    }
    if (json) {
        char *text =
            json_dumps (result, JSON_INDENT (2) | JSON_REAL_PRECISION (17));
        if (!text) {
            fprintf (stderr, "watershed goal eval: out of memory\n");
            goto done;
        }
        printf ("%s\n", text);
        free (text);
    }
    else
        s_print_summary (result);
    rc = fflush (stdout) == 0 ? WS_EXIT_OK : WS_EXIT_FAIL;
done:
    json_decref (result);
    free (samples);
    free (denominator);
    ws_goal_destroy (&goal);
    return rc;
}

//  ---------------------------------------------------------------------
//  show and backtest: a stored goal, through the "goal" request

static const char *s_show_help =
    "usage: watershed goal show NAME [--as-of TIME] [--pace] [--json]\n"
    "                           [--coordinator ENDPOINT]\n"
    "\n"
    "One goal explained: what it is (kind, target, window), its latest\n"
    "evaluation with the rate it needs against the rate shown (\"needs\n"
    "41/day for the next 23 days; doing 28/day (22–33); 9 days behind\"),\n"
    "its history as a sparkline beside the expected pace, its\n"
    "checkpoints, whether it is attainable from here, the segments that\n"
    "lag (by the first label that varies among its series), the\n"
    "campaign's activities with what each did to the metric, and the\n"
    "health of the sources feeding it.\n"
    "\n"
    "  --as-of TIME     the state at a past moment (ISO 8601)\n"
    "  --pace           print checkpoints that follow the metric's weekday\n"
    "                   profile, as JSON to paste into the goal (total\n"
    "                   goals with a weekly cycle), and exit\n"
    "  --json           the coordinator's result with \"attainability\",\n"
    "                   \"segments_view\" and \"activity_effects\" added\n"
    "  --coordinator    endpoint of watershedd (default: its ipc socket)\n"
    "\n"
    "Exit 0 on success, 1 for an unknown goal or another error, 2 on a\n"
    "usage error, 3 if the coordinator cannot be reached.\n";

static const char *s_backtest_help =
    "usage: watershed goal backtest NAME --from TIME --to TIME [--step 1d]\n"
    "                               [--timeline] [--json]\n"
    "                               [--coordinator ENDPOINT]\n"
    "\n"
    "Replay a goal over its stored history with its own settings\n"
    "(hysteresis included): evaluate it every STEP from FROM to TO (and at\n"
    "the deadline) as the coordinator would have, and report the alerts it\n"
    "would have raised (slipped, recovered, achieved, missed), the lead\n"
    "time of the warning before a miss, and the false alarms (a slip that\n"
    "came back on track). A day without data for three steps reads as\n"
    "stale, as a silent source does.\n"
    "\n"
    "  --from TIME      the first evaluation (ISO 8601)\n"
    "  --to TIME        the last one (ISO 8601; the replay stops at the\n"
    "                   deadline)\n"
    "  --step DURATION  between evaluations (default 1d)\n"
    "  --timeline       list every evaluation's status\n"
    "  --json           print the report as JSON\n"
    "  --coordinator    endpoint of watershedd (default: its ipc socket)\n"
    "\n"
    "Exit 0 on success, 1 for an unknown goal or another error, 2 on a\n"
    "usage error, 3 if the coordinator cannot be reached.\n";

//  Options of show and backtest (long only: a one-letter value would
//  also be a short option).
#define S_OPT_AS_OF 2001
#define S_OPT_PACE 2002
#define S_OPT_FROM 2003
#define S_OPT_TO 2004
#define S_OPT_STEP 2005
#define S_OPT_TIMELINE 2006

typedef struct {
    const char *command;  //  "goal show", for messages
    int64_t as_of, from, to, step;
    bool has_as_of, has_from, has_to, pace, timeline;
} s_options_t;

static int
s_option (int option, const char *value, void *arg)
{
    s_options_t *self = arg;
    ws_err_t err;
    int64_t *time = option == S_OPT_AS_OF  ? &self->as_of
                    : option == S_OPT_FROM ? &self->from
                    : option == S_OPT_TO   ? &self->to
                                           : NULL;
    if (time) {
        if (ws_iso8601_parse (value, time, &err))
            return ws_cli_usage_error (self->command, "--%s: %s",
                                       option == S_OPT_AS_OF  ? "as-of"
                                       : option == S_OPT_FROM ? "from"
                                                              : "to",
                                       err.text);
        self->has_as_of |= option == S_OPT_AS_OF;
        self->has_from |= option == S_OPT_FROM;
        self->has_to |= option == S_OPT_TO;
    }
    else if (option == S_OPT_STEP) {
        if (ws_duration_parse (value, &self->step, &err) || self->step <= 0)
            return ws_cli_usage_error (self->command,
                                       "--step '%s': expected a duration "
                                       "such as 1d or 6h",
                                       value);
    }
    else if (option == S_OPT_PACE)
        self->pace = true;
    else if (option == S_OPT_TIMELINE)
        self->timeline = true;
    return 0;
}

//  Parse a subcommand's options; argv[0] is the subcommand. Returns
//  WS_CLI_GO_ON with *name the one operand, or an exit code.
static int
s_parse (int argc, char **argv, const char *help, const struct option *extra,
         s_options_t *options, ws_cli_common_t *common, const char **name)
{
    //  ws_cli_parse names the command after argv[0] in its messages.
    char **args = calloc ((size_t) argc + 1, sizeof *args);
    if (!args) {
        fprintf (stderr, "watershed %s: out of memory\n", options->command);
        return WS_EXIT_FAIL;
    }
    memcpy (args, argv, (size_t) argc * sizeof *args);
    args[0] = (char *) options->command;
    int rc = ws_cli_parse (argc, args, help, extra, s_option, options, common);
    if (rc == WS_CLI_GO_ON && optind >= argc)
        rc = ws_cli_usage_error (options->command, "the goal's NAME is "
                                                   "required");
    else if (rc == WS_CLI_GO_ON && argc - optind > 1)
        rc = ws_cli_usage_error (options->command, "unexpected argument '%s'",
                                 args[optind + 1]);
    if (rc == WS_CLI_GO_ON)
        *name = args[optind];
    free (args);
    return rc;
}

//  Ask the coordinator for a goal. Returns WS_EXIT_OK with *result
//  (caller owns), or the exit code after a message.
static int
s_fetch (const char *command, const char *endpoint, const char *name,
         const int64_t *as_of, json_t **result)
{
    ws_err_t err;
    int timeout = 10000;
    const char *env = getenv ("WATERSHED_TIMEOUT_MS");
    if (env && atoi (env) > 0)
        timeout = atoi (env);
    ws_client_t *client = ws_client_new (endpoint, timeout, &err);
    if (!client) {
        fprintf (stderr, "watershed %s: %s\n", command, err.text);
        return err.code == WS_ERR_INPUT ? WS_EXIT_USAGE : WS_EXIT_UNREACHABLE;
    }
    json_t *args = json_pack ("{s:s}", "name", name);
    if (as_of)
        json_object_set_new (args, "as_of", json_integer (*as_of));
    *result = ws_client_call (client, "goal", args, &err);
    ws_client_destroy (&client);
    if (!*result) {
        fprintf (stderr, "watershed %s: %s\n", command, err.text);
        return err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET
                   ? WS_EXIT_UNREACHABLE
                   : WS_EXIT_FAIL;
    }
    return WS_EXIT_OK;
}

//  Report err on stderr, naming the goal unless the text already does
//  (ws_goal's errors start with "goal 'NAME'").
static void
s_fail (const char *command, const char *name, const ws_err_t *err)
{
    if (strncmp (err->text, "goal '", 6) == 0)
        fprintf (stderr, "watershed %s: %s\n", command, err->text);
    else
        fprintf (stderr, "watershed %s: goal '%s': %s\n", command, name,
                 err->text);
}

//  A goal and its series out of a "goal" result (borrowed).
typedef struct {
    ws_goal_t *goal;                //  owns
    ws_goal_sample_t *series;       //  owns
    ws_goal_sample_t *denominator;  //  owns; NULL unless a ratio goal
    size_t count, denominator_count;
    int64_t as_of;
} s_stored_t;

static void
s_stored_free (s_stored_t *self)
{
    ws_goal_destroy (&self->goal);
    free (self->series);
    free (self->denominator);
    memset (self, 0, sizeof *self);
}

static int
s_stored_load (s_stored_t *self, json_t *result, int64_t as_of, ws_err_t *err)
{
    memset (self, 0, sizeof *self);
    json_t *at = S_GET (result, "as_of");
    self->as_of = json_is_integer (at) ? json_integer_value (at) : as_of;
    self->goal = ws_goal_view_goal (S_GET (result, "def"), err);
    if (!self->goal
        || ws_goal_view_samples (S_GET (result, "series"), "/series",
                                 &self->series, &self->count, err)
        || ws_goal_view_samples (S_GET (result, "denominator"), "/denominator",
                                 &self->denominator, &self->denominator_count,
                                 err)) {
        s_stored_free (self);
        return -1;
    }
    //  The samples the goal sees are those up to as_of.
    while (self->count > 0 && self->series[self->count - 1].t > self->as_of)
        self->count--;
    while (self->denominator_count > 0
           && self->denominator[self->denominator_count - 1].t > self->as_of)
        self->denominator_count--;
    return 0;
}

static int
s_print_json (json_t *value)
{
    char *text = json_dumps (value, JSON_INDENT (2) | JSON_REAL_PRECISION (17));
    if (!text) {
        fprintf (stderr, "watershed goal: out of memory\n");
        return WS_EXIT_FAIL;
    }
    printf ("%s\n", text);
    free (text);
    return fflush (stdout) == 0 ? WS_EXIT_OK : WS_EXIT_FAIL;
}

//  Segments by the reply's "segments" {"label", "values": [{"value",
//  "t", "x"}]}: ws_goal_insight_segments, or NULL with *err.
static json_t *
s_segments (const s_stored_t *stored, json_t *segments, ws_err_t *err)
{
    const char *label = json_string_value (S_GET (segments, "label"));
    json_t *values = S_GET (segments, "values");
    size_t n = json_array_size (values);
    if (!label || n == 0) {
        ws_err_set (err, WS_ERR_INPUT,
                    "coordinator reply /segments: expected a label and "
                    "values");
        return NULL;
    }
    ws_goal_segment_t *list = calloc (n, sizeof *list);
    ws_goal_sample_t **owned = calloc (n, sizeof *owned);
    json_t *view = NULL;
    size_t i = 0;
    if (!list || !owned) {
        ws_err_set (err, WS_ERR_SYSTEM, "segments: out of memory");
        goto done;
    }
    for (; i < n; i++) {
        json_t *value = json_array_get (values, i);
        char where[64];
        snprintf (where, sizeof where, "/segments/values/%zu", i);
        if (ws_goal_view_samples (value, where, &owned[i], &list[i].count, err))
            goto done;
        list[i].value = json_string_value (S_GET (value, "value"));
        list[i].samples = owned[i];
        while (list[i].count > 0
               && owned[i][list[i].count - 1].t > stored->as_of)
            list[i].count--;
    }
    view = ws_goal_insight_segments (stored->goal, label, list, n,
                                     stored->as_of, err);
done:
    for (size_t k = 0; owned && k < i; k++)
        free (owned[k]);
    free (owned);
    free (list);
    return view;
}

//  The insights 'show' adds to the reply: "attainability",
//  "segments_view", "activity_effects" (one per activity, null where it
//  cannot be told), and "insight_notes" saying why any is missing.
static void
s_add_insights (json_t *result, const s_stored_t *stored)
{
    json_t *notes = json_array ();
    ws_err_t err;
    json_t *attainability = ws_goal_insight_attainability (
        stored->goal, stored->series, stored->count, stored->denominator,
        stored->denominator_count, stored->as_of, &err);
    if (!attainability)
        json_array_append_new (notes,
                               json_sprintf ("attainability: %s", err.text));
    json_object_set_new (result, "attainability",
                         attainability ? attainability : json_null ());

    json_t *segments = S_GET (result, "segments");
    json_t *view = NULL;
    if (json_is_object (segments)) {
        view = s_segments (stored, segments, &err);
        if (!view)
            json_array_append_new (notes,
                                   json_sprintf ("segments: %s", err.text));
    }
    json_object_set_new (result, "segments_view", view ? view : json_null ());

    json_t *effects = json_array ();
    size_t index;
    json_t *activity;
    json_array_foreach (S_GET (result, "activities"), index, activity) {
        json_t *at = S_GET (activity, "at");
        json_t *effect = NULL;
        if (!json_is_integer (at))
            ws_err_set (&err, WS_ERR_INPUT, "no time");
        else
            effect = ws_goal_insight_activity_effect (
                stored->series, stored->count, json_integer_value (at), 0, 0,
                &err);
        if (!effect)
            json_array_append_new (
                notes, json_sprintf ("activity %zu: %s", index, err.text));
        json_array_append_new (effects, effect ? effect : json_null ());
    }
    json_object_set_new (result, "activity_effects", effects);
    json_object_set_new (result, "insight_notes", notes);
}

static const char *
s_str (json_t *object, const char *key, const char *otherwise)
{
    const char *value = json_string_value (S_GET (object, key));
    return value ? value : otherwise;
}

static double
s_num (json_t *object, const char *key)
{
    json_t *value = S_GET (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

//  History as two sparklines on one scale: progress (current for keep
//  goals) and, under it, the expected pace; then the status changes.
static void
s_print_history (json_t *history, bool keep, double target, bool colour)
{
    size_t n = json_array_size (history);
    if (n == 0) {
        printf ("history:  none yet\n");
        return;
    }
    double *value = calloc (n, sizeof *value);
    double *expected = calloc (n, sizeof *expected);
    char *line = malloc (3 * WS_GOAL_VIEW_SPARK_WIDTH + 1);
    if (!value || !expected || !line) {
        free (value);
        free (expected);
        free (line);
        return;
    }
    double low = keep ? target : 0, high = keep ? target : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *entry = json_array_get (history, i);
        value[i] = s_num (entry, keep ? "current" : "progress");
        expected[i] = s_num (entry, "expected_progress");
        if (isfinite (value[i])) {
            low = fmin (low, value[i]);
            high = fmax (high, value[i]);
        }
    }
    char first[40], last[40], a[32], b[32];
    ws_cli_format_time (S_GET (json_array_get (history, 0), "evaluated_at"),
                        first, sizeof first);
    ws_cli_format_time (S_GET (json_array_get (history, n - 1), "evaluated_at"),
                        last, sizeof last);
    ws_goal_view_sparkline (value, n, WS_GOAL_VIEW_SPARK_WIDTH, low, high, line,
                            3 * WS_GOAL_VIEW_SPARK_WIDTH + 1);
    if (keep) {
        ws_goal_view_number (low, a, sizeof a);
        ws_goal_view_number (high, b, sizeof b);
        char goal[32];
        ws_goal_view_number (target, goal, sizeof goal);
        printf ("history:  %s  current, %s..%s (target %s)\n", line, a, b,
                goal);
    }
    else {
        printf ("history:  %s  progress %.0f%%..%.0f%%\n", line, 100 * low,
                100 * high);
        ws_goal_view_sparkline (expected, n, WS_GOAL_VIEW_SPARK_WIDTH, low,
                                high, line, 3 * WS_GOAL_VIEW_SPARK_WIDTH + 1);
        printf ("expected: %s  the pace to the target\n", line);
    }
    printf ("          %zu evaluations, %s to %s\n", n, first, last);
    //  Changes of the reported status: what alerts were raised on.
    const char *before = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *entry = json_array_get (history, i);
        const char *status =
            s_str (entry, "reported_status", s_str (entry, "status", NULL));
        if (status && before && strcmp (status, before) != 0) {
            char when[40], painted[96];
            ws_cli_format_time (S_GET (entry, "evaluated_at"), when,
                                sizeof when);
            ws_goal_view_paint (status, status, colour, painted,
                                sizeof painted);
            printf ("          %s: %s → %s\n", when, before, painted);
        }
        if (status)
            before = status;
    }
    free (value);
    free (expected);
    free (line);
}

static void
s_print_show (json_t *result)
{
    bool colour =
        ws_goal_view_colour (isatty (STDOUT_FILENO), getenv ("NO_COLOR"));
    json_t *def = S_GET (result, "def");
    json_t *campaign = S_GET (result, "campaign");
    json_t *evaluation = S_GET (result, "evaluation");
    const char *kind = s_str (def, "kind", "?");
    const char *unit = s_str (def, "unit", "");
    char a[64], b[64], c[64], line[1024];

    printf ("goal '%s'", s_str (result, "goal", "?"));
    if (json_is_object (campaign))
        printf (" of campaign '%s' (%s)", s_str (campaign, "name", "?"),
                s_str (campaign, "objective", "no objective"));
    printf ("\n");
    if (S_GET (def, "description"))
        printf ("  %s\n", s_str (def, "description", ""));
    //  What is measured: "signups{region=eu} (sum)" or "cost / acquisitions".
    char labels[256], what[512];
    json_t *ratio = S_GET (def, "ratio");
    ws_cli_format_labels (S_GET (def, "labels"), labels, sizeof labels);
    if (ratio)
        snprintf (what, sizeof what, "%s / %s", s_str (ratio, "numerator", "?"),
                  s_str (ratio, "denominator", "?"));
    else
        snprintf (what, sizeof what, "%s%s%s%s (%s)",
                  s_str (def, "metric", "no metric"),
                  json_object_size (S_GET (def, "labels")) ? "{" : "",
                  json_object_size (S_GET (def, "labels")) ? labels : "",
                  json_object_size (S_GET (def, "labels")) ? "}" : "",
                  s_str (def, "aggregation", "?"));
    ws_goal_view_number (s_num (def, "target"), a, sizeof a);
    printf ("  %s goal: %s %s%s%s of %s, from %s to %s\n", kind,
            strcmp (s_str (def, "direction", ""), "at_most") == 0 ? "at most"
                                                                  : "at least",
            a, *unit ? " " : "", unit, what, s_str (def, "start", "?"),
            s_str (def, "deadline", "?"));

    ws_cli_format_time (S_GET (result, "as_of"), a, sizeof a);
    if (!json_is_object (evaluation))
        printf ("as of %s: not evaluated yet\n", a);
    else {
        ws_goal_view_row_t row;
        json_t *entry =
            json_pack ("{s:O, s:O}", "def", def, "evaluation", evaluation);
        ws_goal_view_row (entry, &row);
        json_decref (entry);
        ws_goal_view_paint (row.status, row.status_name, colour, line,
                            sizeof line);
        printf ("as of %s: %s, %s\n", a, line, row.left);
        ws_goal_view_number (s_num (evaluation, "current"), b, sizeof b);
        if (strcmp (kind, "keep") == 0)
            printf ("  %s\n", row.progress);
        else
            printf ("  %s %s; now %s%s%s\n", row.bar, row.progress, b,
                    *unit ? " " : "", unit);
        if (strcmp (row.projected, "-") != 0)
            printf ("  projected at the deadline: %s (80%% interval)\n",
                    row.projected);
        printf ("  %s\n", s_str (evaluation, "summary", ""));
        json_t *stale = S_GET (evaluation, "stale");
        if (json_is_object (stale))
            printf ("  no verdict: source '%s' %s%s%s\n",
                    s_str (stale, "source", "?"), s_str (stale, "reason", ""),
                    S_GET (stale, "last_error") ? ": " : "",
                    s_str (stale, "last_error", ""));
    }

    s_print_history (S_GET (result, "history"), strcmp (kind, "keep") == 0,
                     s_num (def, "target"), colour);

    json_t *checkpoints = S_GET (def, "checkpoints");
    if (json_array_size (checkpoints) == 0)
        printf ("checkpoints: none (the expected pace is a straight line)\n");
    else {
        printf ("checkpoints:");
        size_t index;
        json_t *point;
        json_array_foreach (checkpoints, index, point) {
            if (index == 8) {
                printf (" and %zu more", json_array_size (checkpoints) - 8);
                break;
            }
            printf ("%s %.10s %.0f%%", index ? "," : "",
                    s_str (point, "at", "?"), 100 * s_num (point, "progress"));
        }
        printf ("\n");
    }

    json_t *attainability = S_GET (result, "attainability");
    if (json_is_object (attainability))
        printf ("attainability: %s\n", s_str (attainability, "text", "?"));
    json_t *view = S_GET (result, "segments_view");
    if (json_is_object (view))
        printf ("segments: %s\n", s_str (view, "text", "?"));

    json_t *activities = S_GET (result, "activities");
    json_t *effects = S_GET (result, "activity_effects");
    if (json_array_size (activities) > 0)
        printf ("activities:\n");
    size_t index;
    json_t *activity;
    json_array_foreach (activities, index, activity) {
        ws_cli_format_time (S_GET (activity, "at"), a, sizeof a);
        labels[0] = '\0';
        if (json_object_size (S_GET (activity, "segment")))
            ws_cli_format_labels (S_GET (activity, "segment"), labels,
                                  sizeof labels);
        const char *note = s_str (activity, "note", "");
        printf ("  %s %s%s%s%s%s%s\n", a, s_str (activity, "kind", "?"),
                *labels ? " {" : "", labels, *labels ? "}" : "",
                *note ? ": " : "", note);
        json_t *effect = json_array_get (effects, index);
        if (json_is_object (effect))
            printf ("    %s\n", s_str (effect, "text", ""));
    }

    json_t *sources = S_GET (result, "sources");
    if (json_array_size (sources) > 0)
        printf ("sources:\n");
    json_t *source;
    json_array_foreach (sources, index, source) {
        ws_cli_format_ago (S_GET (source, "last_success"), a, sizeof a);
        ws_duration_format (json_integer_value (S_GET (source, "interval_ms")),
                            b, sizeof b);
        json_int_t failures = json_integer_value (S_GET (source, "failures"));
        snprintf (c, sizeof c, "%s",
                  failures >= WS_GOAL_STALE_FAILURES ? "failing"
                  : failures > 0                     ? "degraded"
                                                     : "ok");
        ws_goal_view_paint (c,
                            failures >= WS_GOAL_STALE_FAILURES ? "off_track"
                            : failures > 0                     ? "at_risk"
                                                               : "on_track",
                            colour, line, sizeof line);
        printf ("  %-24s %s, every %s, last success %s, %lld failures in a "
                "row%s%s\n",
                s_str (source, "name", "?"), line, b, a, (long long) failures,
                json_is_string (S_GET (source, "last_error")) ? "; last error: "
                                                              : "",
                s_str (source, "last_error", ""));
    }
    size_t i;
    json_t *note;
    json_array_foreach (S_GET (result, "insight_notes"), i, note)
        printf ("note: %s\n", json_string_value (note));
}

static int
s_show (int argc, char **argv)
{
    static const struct option options[] = {
        {"as-of", required_argument, NULL, S_OPT_AS_OF},
        {"pace", no_argument, NULL, S_OPT_PACE},
        {NULL, 0, NULL, 0}};
    s_options_t parsed = {.command = "goal show"};
    ws_cli_common_t common;
    const char *name = NULL;
    int rc =
        s_parse (argc, argv, s_show_help, options, &parsed, &common, &name);
    if (rc != WS_CLI_GO_ON)
        return rc;
    json_t *result = NULL;
    rc = s_fetch (parsed.command, common.endpoint, name,
                  parsed.has_as_of ? &parsed.as_of : NULL, &result);
    if (rc != WS_EXIT_OK)
        return rc;
    s_stored_t stored;
    ws_err_t err;
    if (s_stored_load (&stored, result,
                       parsed.has_as_of ? parsed.as_of : ws_wall_ms (), &err)) {
        s_fail ("goal show", name, &err);
        json_decref (result);
        return WS_EXIT_FAIL;
    }
    if (parsed.pace) {
        json_t *pace = NULL;
        if (ws_goal_kind (stored.goal) != WS_GOAL_TOTAL)
            fprintf (stderr,
                     "watershed goal show: goal '%s' is a %s goal: weekday "
                     "checkpoints are for total goals\n",
                     name, ws_goal_kind_name (ws_goal_kind (stored.goal)));
        else if (!(pace = ws_goal_insight_weekday_pace (
                       stored.goal, stored.series, stored.count, &err)))
            s_fail ("goal show", name, &err);
        else if (common.json)
            rc = s_print_json (pace);
        else if (!json_is_true (S_GET (pace, "weekly")))
            fprintf (stderr, "watershed goal show: goal '%s': %s\n", name,
                     s_str (pace, "text", "no weekly cycle"));
        else {
            //  On stderr the why, on stdout only what to paste.
            fprintf (stderr, "# goal '%s': %s\n", name,
                     s_str (pace, "text", ""));
            json_t *paste =
                json_pack ("{s:O}", "checkpoints", S_GET (pace, "checkpoints"));
            rc = s_print_json (paste);
            json_decref (paste);
        }
        if (!pace || (!common.json && !json_is_true (S_GET (pace, "weekly"))))
            rc = WS_EXIT_FAIL;
        json_decref (pace);
    }
    else {
        s_add_insights (result, &stored);
        if (common.json)
            rc = s_print_json (result);
        else {
            s_print_show (result);
            rc = fflush (stdout) == 0 ? WS_EXIT_OK : WS_EXIT_FAIL;
        }
    }
    s_stored_free (&stored);
    json_decref (result);
    return rc;
}

static void
s_print_backtest (json_t *report)
{
    bool colour =
        ws_goal_view_colour (isatty (STDOUT_FILENO), getenv ("NO_COLOR"));
    printf (
        "backtest of goal '%s' from %s to %s, every %s: %lld "
        "evaluations (%lld stale)\n",
        s_str (report, "goal", "?"), s_str (report, "from", "?"),
        s_str (report, "to", "?"), s_str (report, "step", "?"),
        (long long) json_integer_value (S_GET (report, "evaluations")),
        (long long) json_integer_value (S_GET (report, "stale_evaluations")));
    json_t *alerts = S_GET (report, "alerts");
    printf ("alerts:%s\n", json_array_size (alerts) ? "" : " none");
    size_t index;
    json_t *alert;
    char painted[96];
    json_array_foreach (alerts, index, alert) {
        const char *to = s_str (alert, "to", "?");
        ws_goal_view_paint (to, to, colour, painted, sizeof painted);
        printf ("  %-22s %-10s %s → %s\n", s_str (alert, "at", "?"),
                s_str (alert, "kind", "?"), s_str (alert, "from", "?"),
                painted);
    }
    const char *outcome = s_str (report, "outcome", "?");
    ws_goal_view_paint (outcome, outcome, colour, painted, sizeof painted);
    printf ("outcome: %s (last status %s, reported %s)\n", painted,
            s_str (report, "final_status", "?"),
            s_str (report, "final_reported_status", "?"));
    if (strcmp (outcome, "missed") == 0) {
        if (json_is_number (S_GET (report, "lead_time_days"))) {
            char days[32];
            ws_goal_view_number (s_num (report, "lead_time_days"), days,
                                 sizeof days);
            printf ("lead time: warned at %s, %s days before the miss\n",
                    s_str (report, "warned_at", "?"), days);
        }
        else
            printf ("lead time: none, the miss came without a warning\n");
    }
    json_t *false_alarms = S_GET (report, "false_alarm_at");
    printf ("false alarms: %lld",
            (long long) json_integer_value (S_GET (report, "false_alarms")));
    json_t *at;
    json_array_foreach (false_alarms, index, at)
        printf ("%s%s", index ? ", " : " (slipped at ", json_string_value (at));
    printf ("%s\n", json_array_size (false_alarms) ? ")" : "");
    json_t *step;
    json_array_foreach (S_GET (report, "timeline"), index, step)
        printf ("  %-22s %-10s reported %s\n", s_str (step, "at", "?"),
                s_str (step, "status", "?"),
                s_str (step, "reported_status", "?"));
}

static int
s_backtest (int argc, char **argv)
{
    static const struct option options[] = {
        {"from", required_argument, NULL, S_OPT_FROM},
        {"to", required_argument, NULL, S_OPT_TO},
        {"step", required_argument, NULL, S_OPT_STEP},
        {"timeline", no_argument, NULL, S_OPT_TIMELINE},
        {NULL, 0, NULL, 0}};
    s_options_t parsed = {.command = "goal backtest", .step = 86400000};
    ws_cli_common_t common;
    const char *name = NULL;
    int rc =
        s_parse (argc, argv, s_backtest_help, options, &parsed, &common, &name);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (!parsed.has_from || !parsed.has_to)
        return ws_cli_usage_error (parsed.command,
                                   "--from TIME and --to TIME are required");
    if (parsed.to < parsed.from)
        return ws_cli_usage_error (parsed.command,
                                   "--to is before --from: nothing to replay");
    json_t *result = NULL;
    rc = s_fetch (parsed.command, common.endpoint, name, &parsed.to, &result);
    if (rc != WS_EXIT_OK)
        return rc;
    s_stored_t stored;
    ws_err_t err;
    ws_goal_backtest_t backtest;
    ws_goal_backtest_init (&backtest);
    backtest.from = parsed.from;
    backtest.to = parsed.to;
    backtest.step = parsed.step;
    backtest.timeline = parsed.timeline;
    json_t *settings = S_GET (result, "hysteresis");
    json_t *report = NULL;
    rc = WS_EXIT_FAIL;
    if (s_stored_load (&stored, result, parsed.to, &err))
        goto failed;
    if (ws_goal_hysteresis_parse (&backtest.hysteresis,
                                  json_is_null (settings) ? NULL : settings,
                                  "/hysteresis", &err))
        goto failed;
    //  The series is rolled up per step_ms, and the slowest source sets
    //  how old its newest sample may be before the replay calls it stale.
    backtest.sample_interval = json_integer_value (S_GET (result, "step_ms"));
    size_t index;
    json_t *source;
    json_array_foreach (S_GET (result, "sources"), index, source) {
        json_int_t interval =
            json_integer_value (S_GET (source, "interval_ms"));
        if (interval > backtest.sample_interval)
            backtest.sample_interval = interval;
    }
    if (backtest.sample_interval < 0)
        backtest.sample_interval = 0;
    report = ws_goal_backtest (stored.goal, stored.series, stored.count,
                               stored.denominator, stored.denominator_count,
                               &backtest, &err);
    if (!report)
        goto failed;
    if (common.json)
        rc = s_print_json (report);
    else {
        s_print_backtest (report);
        rc = fflush (stdout) == 0 ? WS_EXIT_OK : WS_EXIT_FAIL;
    }
    goto done;
failed:
    s_fail ("goal backtest", name, &err);
done:
    json_decref (report);
    s_stored_free (&stored);
    json_decref (result);
    return rc;
}

int
cmd_goal (int argc, char **argv)
{
    if (argc < 2)
        return ws_cli_usage_error ("goal", "a subcommand is required: show, "
                                           "backtest or eval");
    const char *sub = argv[1];
    if (strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0
        || strcmp (sub, "help") == 0) {
        s_help (stdout);
        return WS_EXIT_OK;
    }
    if (strcmp (sub, "eval") == 0)
        return s_eval (argc - 1, argv + 1);
    if (strcmp (sub, "show") == 0)
        return s_show (argc - 1, argv + 1);
    if (strcmp (sub, "backtest") == 0)
        return s_backtest (argc - 1, argv + 1);
    return ws_cli_usage_error ("goal",
                               "unknown subcommand '%s', expected show, "
                               "backtest or eval",
                               sub);
}
