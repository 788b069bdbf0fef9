//  cmd_samples - 'watershed samples METRIC [--labels k=v,...]': stored
//  samples of one metric, newest N, printed oldest first.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_time.h"

static const char *s_help =
    "usage: watershed samples METRIC [--labels k=v[,k=v...]] [--from TIME]\n"
    "                         [--to TIME] [--limit N] [--json]\n"
    "                         [--coordinator ENDPOINT]\n"
    "\n"
    "Print the samples of METRIC in series whose labels include the given\n"
    "ones: the newest N (default 1000) between --from and --to (ISO 8601),\n"
    "oldest first. Times are the scheduled ticks of the collection.\n";

static void
s_print (json_t *samples)
{
    size_t index;
    json_t *sample;
    json_array_foreach (samples, index, sample) {
        char when[40], labels[256];
        ws_cli_format_time (json_object_get (sample, "ts"), when, sizeof when);
        ws_cli_format_labels (json_object_get (sample, "labels"), labels,
                              sizeof labels);
        printf ("%-24s %-30s %.10g\n", when, labels,
                json_number_value (json_object_get (sample, "value")));
    }
    if (json_array_size (samples) == 0)
        printf ("(no samples)\n");
}

static int
s_option (int option, const char *value, void *arg)
{
    json_t *args = arg;
    if (option == 'l')
        return ws_cli_parse_labels (value, json_object_get (args, "labels"),
                                    "samples");
    if (option == 'F' || option == 'T') {
        int64_t ms;
        ws_err_t err;
        const char *name = option == 'F' ? "from" : "to";
        if (ws_iso8601_parse (value, &ms, &err))
            return ws_cli_usage_error ("samples", "--%s: %s", name, err.text);
        json_object_set_new (args, name, json_integer (ms));
        return 0;
    }
    char *end;
    long long limit = strtoll (value, &end, 10);
    if (*end || limit < 1 || limit > 10000000)
        return ws_cli_usage_error ("samples",
                                   "--limit '%s': expected 1..10000000", value);
    json_object_set_new (args, "limit", json_integer (limit));
    return 0;
}

int
cmd_samples (int argc, char **argv)
{
    static const struct option options[] = {
        {"labels", required_argument, NULL, 'l'},
        {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},
        {"limit", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    json_t *args = json_pack ("{s:{}}", "labels");
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, args, &common);
    if (rc == WS_CLI_GO_ON && optind != argc - 1)
        rc =
            ws_cli_usage_error ("samples", optind >= argc ? "METRIC is required"
                                                          : "one METRIC only");
    if (rc != WS_CLI_GO_ON) {
        json_decref (args);
        return rc;
    }
    json_object_set_new (args, "metric", json_string (argv[optind]));
    return ws_client_run ("samples", common.endpoint, args, common.json,
                          s_print);
}
