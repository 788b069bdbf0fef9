//  cmd_trends - 'watershed trends [METRIC]': the stored trend analyses
//  (ws_trend on a worker, per series and window): direction, Sen's slope
//  per day with Mann-Kendall's p, the change point, the projection.
#include <getopt.h>
#include <stdio.h>

#include "ws_cli.h"
#include "ws_client.h"

static const char *s_help =
    "usage: watershed trends [METRIC] [--labels k=v[,k=v...]] [--json]\n"
    "                        [--coordinator ENDPOINT]\n"
    "\n"
    "Show the latest trend analysis of each series and window: direction\n"
    "(Mann-Kendall at 5%), Sen's slope per day and its p-value, Pettitt's\n"
    "change point, and the projection at the horizon with its 95%\n"
    "interval. --json prints every statistic (the fields of 'watershed\n"
    "trend --json').\n";

#define S_GET(object, key) json_object_get ((object), (key))

static void
s_print (json_t *trends)
{
    printf ("%-22s %-22s %6s %5s %-9s %12s %9s %-22s %s\n", "METRIC", "LABELS",
            "WINDOW", "N", "DIRECTION", "SLOPE/DAY", "P", "CHANGE AT",
            "PROJECTION");
    size_t index;
    json_t *trend;
    json_array_foreach (trends, index, trend) {
        char labels[128], window[16], slope[32] = "-", p[32] = "-";
        ws_cli_format_labels (S_GET (trend, "labels"), labels, sizeof labels);
        snprintf (
            window, sizeof window, "%lldd",
            (long long) json_integer_value (S_GET (trend, "window_days")));
        if (json_is_number (S_GET (trend, "sen_slope")))
            snprintf (slope, sizeof slope, "%.4g",
                      json_number_value (S_GET (trend, "sen_slope")));
        if (json_is_number (S_GET (trend, "mk_p")))
            snprintf (p, sizeof p, "%.2g",
                      json_number_value (S_GET (trend, "mk_p")));
        json_t *analysis = S_GET (trend, "analysis");
        json_t *pettitt = S_GET (analysis, "pettitt");
        const char *change = "-";
        if (json_is_number (S_GET (pettitt, "p"))
            && json_number_value (S_GET (pettitt, "p")) < 0.05
            && json_is_string (S_GET (pettitt, "t")))
            change = json_string_value (S_GET (pettitt, "t"));
        //  The last forecast of the model used for projection.
        json_t *model = S_GET (analysis, "holt_winters");
        if (!json_is_object (model))
            model = S_GET (analysis, "ols");
        json_t *forecast = S_GET (model, "forecast");
        json_t *last =
            json_array_get (forecast, json_array_size (forecast) - 1);
        char projection[96] = "-";
        if (last && json_is_number (S_GET (last, "mean"))) {
            if (json_is_number (S_GET (last, "low")))
                snprintf (projection, sizeof projection, "%.6g (%.6g .. %.6g)",
                          json_number_value (S_GET (last, "mean")),
                          json_number_value (S_GET (last, "low")),
                          json_number_value (S_GET (last, "high")));
            else
                snprintf (projection, sizeof projection, "%.6g",
                          json_number_value (S_GET (last, "mean")));
        }
        const char *direction = json_string_value (S_GET (trend, "direction"));
        printf ("%-22s %-22s %6s %5lld %-9s %12s %9s %-22s %s\n",
                json_string_value (S_GET (trend, "metric")), labels, window,
                (long long) json_integer_value (S_GET (trend, "n")),
                direction ? direction : "-", slope, p, change, projection);
    }
    if (json_array_size (trends) == 0)
        printf (
            "(no trends yet: series are analysed once they have samples)\n");
}

static int
s_option (int option, const char *value, void *arg)
{
    (void) option;
    return ws_cli_parse_labels (value, json_object_get (arg, "labels"),
                                "trends");
}

int
cmd_trends (int argc, char **argv)
{
    static const struct option options[] = {
        {"labels", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    json_t *args = json_pack ("{s:{}}", "labels");
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, args, &common);
    if (rc == WS_CLI_GO_ON && argc - optind > 1)
        rc = ws_cli_usage_error ("trends", "unexpected argument '%s'",
                                 argv[optind + 1]);
    if (rc != WS_CLI_GO_ON) {
        json_decref (args);
        return rc;
    }
    if (optind < argc)
        json_object_set_new (args, "metric", json_string (argv[optind]));
    return ws_client_run ("trends", common.endpoint, args, common.json,
                          s_print);
}
