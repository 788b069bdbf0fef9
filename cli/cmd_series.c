//  cmd_series - 'watershed series [--metric NAME]': the stored series
//  with their labels, type, sample count and latest value.
#include <getopt.h>
#include <stdio.h>

#include "ws_cli.h"
#include "ws_client.h"

static const char *s_help =
    "usage: watershed series [--metric NAME] [--json] [--coordinator "
    "ENDPOINT]\n"
    "\n"
    "List the stored series: metric, labels, type, number of samples, the\n"
    "newest sample's time and value, and the source that feeds it.\n";

static void
s_print (json_t *series)
{
    printf ("%-28s %-30s %-10s %8s %-20s %s\n", "METRIC", "LABELS", "TYPE",
            "SAMPLES", "LAST", "VALUE");
    size_t index;
    json_t *item;
    json_array_foreach (series, index, item) {
        char labels[256], last[40];
        ws_cli_format_labels (json_object_get (item, "labels"), labels,
                              sizeof labels);
        ws_cli_format_time (json_object_get (item, "last"), last, sizeof last);
        json_t *value = json_object_get (item, "last_value");
        printf (
            "%-28s %-30s %-10s %8lld %-20s ",
            json_string_value (json_object_get (item, "metric")), labels,
            json_string_value (json_object_get (item, "type")),
            (long long) json_integer_value (json_object_get (item, "samples")),
            last);
        if (json_is_number (value))
            printf ("%.10g\n", json_number_value (value));
        else
            printf ("-\n");
    }
    if (json_array_size (series) == 0)
        printf ("(no series yet)\n");
}

static int
s_option (int option, const char *value, void *arg)
{
    (void) option;
    json_object_set_new (arg, "metric", json_string (value));
    return 0;
}

int
cmd_series (int argc, char **argv)
{
    static const struct option options[] = {
        {"metric", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    json_t *args = json_object ();
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, args, &common);
    if (rc == WS_CLI_GO_ON && optind < argc)
        rc = ws_cli_usage_error ("series", "unexpected argument '%s'",
                                 argv[optind]);
    if (rc != WS_CLI_GO_ON) {
        json_decref (args);
        return rc;
    }
    return ws_client_run ("series", common.endpoint, args, common.json,
                          s_print);
}
