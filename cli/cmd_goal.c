//  cmd_goal - 'watershed goal SUBCOMMAND': goals without the coordinator.
//  'goal eval' evaluates a goal file against t,value CSV samples at a
//  given moment, with ws_goal, the code the daemon runs on stored
//  samples; this file reads the options and files and prints the result
//  as JSON or as a short summary.
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws_cli.h"
#include "ws_csv.h"
#include "ws_goal.h"
#include "ws_time.h"

static void
s_help (FILE *out)
{
    fprintf (out, "usage: watershed goal SUBCOMMAND [OPTIONS]\n"
                  "\n"
                  "subcommands:\n"
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

int
cmd_goal (int argc, char **argv)
{
    if (argc < 2)
        return ws_cli_usage_error ("goal", "a subcommand is required: eval");
    const char *sub = argv[1];
    if (strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0
        || strcmp (sub, "help") == 0) {
        s_help (stdout);
        return WS_EXIT_OK;
    }
    if (strcmp (sub, "eval") == 0)
        return s_eval (argc - 1, argv + 1);
    return ws_cli_usage_error ("goal", "unknown subcommand '%s', expected eval",
                               sub);
}
