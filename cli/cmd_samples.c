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

int
cmd_samples (int argc, char **argv)
{
    static const struct option options[] = {
        {"labels", required_argument, NULL, 'l'},
        {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},
        {"limit", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"coordinator", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *endpoint = NULL;
    bool json = false;
    json_t *args = json_pack ("{s:{}}", "labels");
    int option, rc;
    optind = 1;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'l':
            if ((rc = ws_cli_parse_labels (optarg, json_object_get (args, "labels"),
                                           "samples"))) {
                json_decref (args);
                return rc;
            }
            break;
        case 'F':
        case 'T': {
            int64_t ms;
            ws_err_t err;
            if (ws_iso8601_parse (optarg, &ms, &err)) {
                json_decref (args);
                return ws_cli_usage_error ("samples", "--%s: %s",
                                           option == 'F' ? "from" : "to",
                                           err.text);
            }
            json_object_set_new (args, option == 'F' ? "from" : "to",
                                 json_integer (ms));
            break;
        }
        case 'n': {
            char *end;
            long long limit = strtoll (optarg, &end, 10);
            if (*end || limit < 1 || limit > 10000000) {
                json_decref (args);
                return ws_cli_usage_error ("samples",
                                           "--limit '%s': expected 1..10000000",
                                           optarg);
            }
            json_object_set_new (args, "limit", json_integer (limit));
            break;
        }
        case 'j': json = true; break;
        case 'c': endpoint = optarg; break;
        case 'h':
            json_decref (args);
            fputs (s_help, stdout);
            return WS_EXIT_OK;
        default:
            json_decref (args);
            return ws_cli_usage_error ("samples", "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        json_decref (args);
        return ws_cli_usage_error ("samples", optind >= argc
                                                  ? "METRIC is required"
                                                  : "one METRIC only");
    }
    json_object_set_new (args, "metric", json_string (argv[optind]));
    return ws_client_run ("samples", endpoint, args, json, s_print);
}
