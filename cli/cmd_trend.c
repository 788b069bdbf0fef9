//  cmd_trend - 'watershed trend --csv FILE': the trend analysis of a
//  t,value CSV, offline (no coordinator). The analysis is ws_trend, the
//  same code a worker runs for an analysis job; this file reads options
//  and the CSV and prints the result as JSON or as a short summary.
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_csv.h"
#include "ws_trend.h"

static void
s_help (FILE *out)
{
    fprintf (
        out,
        "usage: watershed trend --csv FILE [--horizon H] [--season N]\n"
        "                       [--seasonal none|additive|multiplicative]\n"
        "                       [--alpha A] [--beta B] [--gamma G] [--json]\n"
        "\n"
        "Analyse a series offline: Mann-Kendall trend test, Sen's slope,\n"
        "Pettitt's change point, least squares with a 95%% prediction\n"
        "interval, and Holt / Holt-Winters when --seasonal is given.\n"
        "\n"
        "  --csv FILE       header 't,value'; t a number or an ISO 8601 date\n"
        "                   or time (then slopes are per day), increasing;\n"
        "                   '-' reads standard input\n"
        "  --horizon H      forecasts 1..H steps after the last t (default\n"
        "                   1); the step is the mean spacing of t\n"
        "  --season N       season period in points (12 for monthly data, 7\n"
        "                   for daily): Holt-Winters' period and a seasonal\n"
        "                   Mann-Kendall test\n"
        "  --seasonal KIND  none (Holt's linear trend), additive or\n"
        "                   multiplicative (Holt-Winters, needs --season)\n"
        "  --alpha/--beta/--gamma V\n"
        "                   smoothing parameters in [0, 1]; those not given\n"
        "                   are fitted by least squares of one-step errors\n"
        "  --json           print the JSON object (fields in\n"
        "                   shared/refdata/trend/README.md)\n"
        "\n"
        "Statistics the series cannot give (too few points, all values\n"
        "equal) are null, with a note. Exit 0 on success, 1 if the file\n"
        "cannot be read, 2 on a usage error.\n");
}

static int
s_parse_count (const char *text, size_t min, size_t max, size_t *value)
{
    if (!text || !*text || strspn (text, "0123456789") != strlen (text))
        return -1;
    errno = 0;
    unsigned long long v = strtoull (text, NULL, 10);
    if (errno || v < min || v > max)
        return -1;
    *value = (size_t) v;
    return 0;
}

static int
s_parse_unit (const char *text, double *value)
{
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (!*text || *end || errno || !(v >= 0 && v <= 1))
        return -1;
    *value = v;
    return 0;
}

//  ---------------------------------------------------------------------
//  The human summary, read back from the JSON object.

static double
s_get (const json_t *object, const char *key)
{
    const json_t *value = json_object_get (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

static const char *
s_string (const json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text ? text : "?";
}

//  A number, or "n/a" where the statistic is null.
static const char *
s_format (double value, const char *format, char *out, size_t size)
{
    if (isfinite (value))
        snprintf (out, size, format, value);
    else
        snprintf (out, size, "n/a");
    return out;
}

//  A t from the object: an ISO string or a number.
static const char *
s_get_t (const json_t *object, const char *key, char *out, size_t size)
{
    const json_t *value = json_object_get (object, key);
    if (json_is_string (value))
        snprintf (out, size, "%s", json_string_value (value));
    else if (json_is_number (value))
        snprintf (out, size, "%.10g", json_number_value (value));
    else
        snprintf (out, size, "?");
    return out;
}

static void
s_summary (const json_t *result, const char *path)
{
    bool is_day = strcmp (s_string (result, "t_unit"), "day") == 0;
    const char *unit = is_day ? "per day" : "per unit of t";
    char text[64], other[64];
    printf ("%s: %lld points", path,
            (long long) json_integer_value (json_object_get (result, "n")));
    double step = s_get (result, "step");
    if (isfinite (step))
        printf (", step %.6g%s", step, is_day ? " day(s)" : "");
    json_int_t missing =
        json_integer_value (json_object_get (result, "missing_steps"));
    if (missing > 0)
        printf (", %lld missing step(s)", (long long) missing);
    printf ("\n");

    const json_t *mk = json_object_get (result, "mann_kendall");
    const char *direction =
        json_string_value (json_object_get (result, "direction"));
    if (json_is_object (mk))
        printf ("trend:        %s (Mann-Kendall z = %.3f, p = %.3g, tau = "
                "%.3f)%s\n",
                direction ? direction : "?", s_get (mk, "z"), s_get (mk, "p"),
                s_get (mk, "tau"),
                direction && strcmp (direction, "none") == 0
                    ? ": not significant at 5%"
                    : ": significant at 5%");
    else
        printf ("trend:        no test (see notes)\n");
    const json_t *smk = json_object_get (result, "seasonal_mann_kendall");
    if (json_is_object (smk))
        printf (
            "seasonal:     Mann-Kendall over %lld seasons of period %lld "
            "(%s): z = %.3f, p = %.3g\n",
            (long long) json_integer_value (json_object_get (smk, "seasons")),
            (long long) json_integer_value (json_object_get (smk, "period")),
            s_string (smk, "detected_by"), s_get (smk, "z"), s_get (smk, "p"));

    const json_t *sen = json_object_get (result, "sen");
    const json_t *ols = json_object_get (result, "ols");
    if (json_is_object (sen))
        printf ("slope:        %.6g %s (Sen; %.0f%% interval %.6g to %.6g)\n",
                s_get (sen, "slope"), unit, 100 * s_get (sen, "confidence"),
                s_get (sen, "slope_low"), s_get (sen, "slope_high"));
    if (json_is_object (ols))
        printf ("%s%.6g %s (least squares, R² %s)\n",
                json_is_object (sen) ? "              " : "slope:        ",
                s_get (ols, "slope"), unit,
                s_format (s_get (ols, "r2"), "%.3f", text, sizeof text));

    const json_t *pettitt = json_object_get (result, "pettitt");
    if (json_is_object (pettitt)) {
        double p = s_get (pettitt, "p");
        printf ("change point: %s after t = %s (Pettitt p = %.3g): mean "
                "%.6g, then %.6g\n",
                p < 0.05 ? "significant," : "none significant; strongest",
                s_get_t (pettitt, "t", text, sizeof text), p,
                s_get (pettitt, "mean_before"), s_get (pettitt, "mean_after"));
    }

    const json_t *forecast = json_object_get (ols, "forecast");
    size_t count = json_array_size (forecast);
    if (count > 0) {
        const json_t *last = json_array_get (forecast, count - 1);
        printf ("projection:   %.6g at t = %s (h = %zu; least squares, %.0f%% "
                "prediction interval %.6g to %.6g)\n",
                s_get (last, "mean"), s_get_t (last, "t", text, sizeof text),
                count, 100 * s_get (ols, "confidence"), s_get (last, "low"),
                s_get (last, "high"));
    }
    const json_t *hw = json_object_get (result, "holt_winters");
    if (json_is_object (hw)) {
        const char *kind = json_string_value (json_object_get (hw, "seasonal"));
        printf ("holt-winters: %s, period %lld, alpha %.4g, beta %.4g",
                kind ? kind : "?",
                (long long) json_integer_value (json_object_get (hw, "period")),
                s_get (hw, "alpha"), s_get (hw, "beta"));
        if (json_object_get (hw, "gamma"))
            printf (", gamma %.4g", s_get (hw, "gamma"));
        printf ("%s, SSE %.6g\n",
                json_is_true (json_object_get (hw, "fitted")) ? " (fitted)"
                                                              : "",
                s_get (hw, "sse"));
        const json_t *points = json_object_get (hw, "forecast");
        size_t hw_count = json_array_size (points);
        if (hw_count > 0) {
            const json_t *last = json_array_get (points, hw_count - 1);
            printf ("              %.6g at t = %s (h = %zu",
                    s_get (last, "mean"),
                    s_get_t (last, "t", other, sizeof other), hw_count);
            if (isfinite (s_get (last, "low")))
                printf ("; interval %.6g to %.6g", s_get (last, "low"),
                        s_get (last, "high"));
            printf (")\n");
        }
    }
    const json_t *notes = json_object_get (result, "notes");
    for (size_t i = 0; i < json_array_size (notes); i++)
        printf ("note:         %s\n",
                json_string_value (json_array_get (notes, i)));
}

int
cmd_trend (int argc, char **argv)
{
    static const struct option options[] = {
        {"csv", required_argument, NULL, 'c'},
        {"horizon", required_argument, NULL, 'H'},
        {"season", required_argument, NULL, 's'},
        {"seasonal", required_argument, NULL, 'S'},
        {"alpha", required_argument, NULL, 'a'},
        {"beta", required_argument, NULL, 'b'},
        {"gamma", required_argument, NULL, 'g'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *command = "trend", *path = NULL;
    ws_trend_options_t settings;
    ws_trend_options_init (&settings);
    bool json = false;
    ws_err_t err;
    //  optind = 0 makes glibc start over, so the command can run twice in
    //  one process (the tests do).
    optind = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (option) {
        case 'c': path = optarg; break;
        case 'H':
            if (s_parse_count (optarg, 0, WS_TREND_MAX_HORIZON,
                               &settings.horizon))
                return ws_cli_usage_error (
                    command, "--horizon '%s': expected a whole number 0..%d",
                    optarg, WS_TREND_MAX_HORIZON);
            break;
        case 's':
            if (s_parse_count (optarg, 2, 100000, &settings.season))
                return ws_cli_usage_error (
                    command,
                    "--season '%s': expected a period of 2..100000 "
                    "points",
                    optarg);
            break;
        case 'S':
            if (ws_trend_seasonal_parse (optarg, &settings.seasonal, &err))
                return ws_cli_usage_error (command, "--%s", err.text);
            settings.holt_winters = true;
            break;
        case 'a':
        case 'b':
        case 'g': {
            double *target = option == 'a'   ? &settings.alpha
                             : option == 'b' ? &settings.beta
                                             : &settings.gamma;
            const char *name = option == 'a'   ? "alpha"
                               : option == 'b' ? "beta"
                                               : "gamma";
            if (s_parse_unit (optarg, target))
                return ws_cli_usage_error (
                    command, "--%s '%s': expected a number in [0, 1]", name,
                    optarg);
            break;
        }
        case 'j': json = true; break;
        case 'h': s_help (stdout); return WS_EXIT_OK;
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
    if (!path)
        return ws_cli_usage_error (command, "--csv FILE is required");
    bool any_parameter = !isnan (settings.alpha) || !isnan (settings.beta)
                         || !isnan (settings.gamma);
    if (any_parameter && !settings.holt_winters)
        return ws_cli_usage_error (command, "--alpha, --beta and --gamma "
                                            "need --seasonal");
    if (settings.holt_winters && settings.seasonal == WS_HW_NONE
        && !isnan (settings.gamma))
        return ws_cli_usage_error (command, "--gamma needs a seasonal model "
                                            "(--seasonal additive or "
                                            "multiplicative)");
    if (settings.holt_winters && settings.seasonal != WS_HW_NONE
        && settings.season == 0)
        return ws_cli_usage_error (command, "--seasonal %s needs --season N",
                                   ws_trend_seasonal_name (settings.seasonal));

    ws_csv_series_t series;
    if (ws_csv_read (&series, path, &err)) {
        fprintf (stderr, "watershed trend: %s\n", err.text);
        return WS_EXIT_FAIL;
    }
    settings.t_is_time = series.t_is_time;
    json_t *result =
        ws_trend_analyse (series.t, series.value, series.n, &settings, &err);
    ws_csv_series_free (&series);
    if (!result) {
        fprintf (stderr, "watershed trend: %s: %s\n", path, err.text);
        return WS_EXIT_FAIL;
    }
    if (json) {
        char *text =
            json_dumps (result, JSON_INDENT (2) | JSON_REAL_PRECISION (17));
        if (!text) {
            json_decref (result);
            fprintf (stderr, "watershed trend: out of memory\n");
            return WS_EXIT_FAIL;
        }
        printf ("%s\n", text);
        free (text);
    }
    else
        s_summary (result, path);
    json_decref (result);
    return fflush (stdout) == 0 ? WS_EXIT_OK : WS_EXIT_FAIL;
}
