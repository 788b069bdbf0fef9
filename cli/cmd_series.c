//  cmd_series - 'watershed series [--metric NAME]': the stored series
//  with their labels, type, sample count and latest value.
#include <getopt.h>
#include <stdio.h>

#include "ws_cli.h"
#include "ws_client.h"

static const char *s_help =
    "usage: watershed series [--metric NAME] [--json] [--coordinator ENDPOINT]\n"
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
        ws_cli_format_labels (json_object_get (item, "labels"), labels, sizeof labels);
        ws_cli_format_time (json_object_get (item, "last"), last, sizeof last);
        json_t *value = json_object_get (item, "last_value");
        printf ("%-28s %-30s %-10s %8lld %-20s ",
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

int
cmd_series (int argc, char **argv)
{
    static const struct option options[] = {
        {"metric", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"coordinator", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *endpoint = NULL, *metric = NULL;
    bool json = false;
    int option;
    optind = 1;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'm': metric = optarg; break;
        case 'j': json = true; break;
        case 'c': endpoint = optarg; break;
        case 'h': fputs (s_help, stdout); return WS_EXIT_OK;
        default:
            return ws_cli_usage_error ("series", "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ws_cli_usage_error ("series", "unexpected argument '%s'",
                                   argv[optind]);
    json_t *args = json_object ();
    if (metric)
        json_object_set_new (args, "metric", json_string (metric));
    return ws_client_run ("series", endpoint, args, json, s_print);
}
