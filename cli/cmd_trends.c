//  cmd_trends - 'watershed trends': the stored trend analyses (ws_trend
//  on a worker, per series and window), ranked by the coordinator:
//  status, Sen's slope per day and in % of level, Mann-Kendall's p, the
//  change point with its date and size, the projection.
#include <getopt.h>
#include <stdio.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_time.h"

static const char *s_help =
    "usage: watershed trends [--metric M] [--labels k=v[,k=v...]]\n"
    "                        [--window 28d] [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "What is rising, what is falling, what just changed: the latest trend\n"
    "analysis of each series and window, ranked by the strength of its\n"
    "significant trend (Mann-Kendall at 5%, strongest |z| first), then the\n"
    "series without one, then those with too few points. For each: Sen's\n"
    "slope per day and as % of the series' mean level, the p-value,\n"
    "Pettitt's change point (p < 0.05) with its date and size, and the\n"
    "projection at the horizon with its 95% interval. --json prints every\n"
    "statistic (the fields of 'watershed trend --json').\n";

#define S_GET(object, key) json_object_get ((object), (key))

static void
s_print (json_t *trends)
{
    printf ("%-18s %-20s %4s %5s %-14s %11s %8s %8s  %-28s %s\n", "METRIC",
            "LABELS", "WIN", "N", "STATUS", "SLOPE/DAY", "%/DAY", "P",
            "CHANGE (DATE, SIZE)", "PROJECTION");
    size_t index;
    json_t *trend;
    json_array_foreach (trends, index, trend) {
        char labels[128], window[16], slope[32] = "-", pct[32] = "-",
                                      p[32] = "-", change[64] = "-",
                                      projection[96] = "-";
        ws_cli_format_labels (S_GET (trend, "labels"), labels, sizeof labels);
        snprintf (
            window, sizeof window, "%lldd",
            (long long) json_integer_value (S_GET (trend, "window_days")));
        if (json_is_number (S_GET (trend, "sen_slope")))
            snprintf (slope, sizeof slope, "%+.4g",
                      json_number_value (S_GET (trend, "sen_slope")));
        if (json_is_number (S_GET (trend, "slope_pct_per_day")))
            snprintf (pct, sizeof pct, "%+.2f%%",
                      json_number_value (S_GET (trend, "slope_pct_per_day")));
        if (json_is_number (S_GET (trend, "mk_p")))
            snprintf (p, sizeof p, "%.2g",
                      json_number_value (S_GET (trend, "mk_p")));
        json_t *at = S_GET (trend, "change");
        if (at)
            snprintf (change, sizeof change, "%.20s %+.4g",
                      json_is_string (S_GET (at, "t"))
                          ? json_string_value (S_GET (at, "t"))
                          : "?",
                      json_number_value (S_GET (at, "size")));
        //  The last forecast of the model used for projection.
        json_t *analysis = S_GET (trend, "analysis");
        json_t *model = S_GET (analysis, "holt_winters");
        if (!json_is_object (model))
            model = S_GET (analysis, "ols");
        json_t *forecast = S_GET (model, "forecast");
        json_t *last =
            json_array_get (forecast, json_array_size (forecast) - 1);
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
        printf ("%-18s %-20s %4s %5lld %-14s %11s %8s %8s  %-28s %s\n",
                json_string_value (S_GET (trend, "metric")), labels, window,
                (long long) json_integer_value (S_GET (trend, "n")),
                json_string_value (S_GET (trend, "status")), slope, pct, p,
                change, projection);
    }
    if (json_array_size (trends) == 0)
        printf (
            "(no trends yet: series are analysed once they have samples)\n");
}

static int
s_option (int option, const char *value, void *arg)
{
    if (option == 'l')
        return ws_cli_parse_labels (value, json_object_get (arg, "labels"),
                                    "trends");
    if (option == 'm') {
        json_object_set_new (arg, "metric", json_string (value));
        return 0;
    }
    int64_t ms;
    ws_err_t err;
    if (ws_duration_parse (value, &ms, &err) || ms < 86400000 || ms % 86400000)
        return ws_cli_usage_error ("trends",
                                   "--window '%s': expected whole days, e.g. "
                                   "28d",
                                   value);
    json_object_set_new (arg, "window_days", json_integer (ms / 86400000));
    return 0;
}

int
cmd_trends (int argc, char **argv)
{
    static const struct option options[] = {
        {"labels", required_argument, NULL, 'l'},
        {"metric", required_argument, NULL, 'm'},
        {"window", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0}};
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
