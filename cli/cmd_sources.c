//  cmd_sources - 'watershed sources': every source with its health, last
//  values, last error and next tick.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_time.h"

static const char *s_help =
    "usage: watershed sources [NAME] [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "List the sources: health (ok, degraded, failing, pending, disabled),\n"
    "interval, last success, last values, next tick and last error.\n";

static void
s_print (json_t *sources)
{
    printf ("%-24s %-9s %-8s %-12s %-10s %s\n", "NAME", "HEALTH", "INTERVAL",
            "LAST OK", "NEXT", "LAST VALUES / LAST ERROR");
    size_t index;
    json_t *source;
    json_array_foreach (sources, index, source) {
        char interval[32], last_ok[32], next[32];
        ws_duration_format (json_integer_value (json_object_get (source, "interval_ms")),
                            interval, sizeof interval);
        ws_cli_format_ago (json_object_get (source, "last_success"), last_ok,
                           sizeof last_ok);
        ws_cli_format_ago (json_object_get (source, "next_due"), next, sizeof next);
        char values[400] = "";
        size_t used = 0;
        size_t i;
        json_t *value;
        json_array_foreach (json_object_get (source, "last_values"), i, value) {
            char labels[96] = "";
            if (json_object_size (json_object_get (value, "labels"))) {
                char inner[90];
                ws_cli_format_labels (json_object_get (value, "labels"), inner,
                                      sizeof inner);
                snprintf (labels, sizeof labels, "{%s}", inner);
            }
            int len = snprintf (values + used, sizeof values - used,
                                "%s%s%s=%.10g", used ? " " : "",
                                json_string_value (json_object_get (value, "metric")),
                                labels,
                                json_number_value (json_object_get (value, "value")));
            if (len < 0 || (size_t) len >= sizeof values - used)
                break;
            used += (size_t) len;
        }
        printf ("%-24s %-9s %-8s %-12s %-10s %s\n",
                json_string_value (json_object_get (source, "name")),
                json_string_value (json_object_get (source, "health")), interval,
                last_ok, next, used ? values : "-");
        const char *error = json_string_value (json_object_get (source, "last_error"));
        if (error) {
            char when[32];
            ws_cli_format_ago (json_object_get (source, "last_error_at"), when,
                               sizeof when);
            printf ("%-24s   last error (%s, %s): %s\n", "", when,
                    json_string_value (json_object_get (source, "last_error_kind")),
                    error);
        }
    }
    if (json_array_size (sources) == 0)
        printf ("(no sources: add some with 'watershed apply -f FILE')\n");
}

int
cmd_sources (int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"coordinator", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *endpoint = NULL;
    bool json = false;
    int option;
    optind = 1;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'j': json = true; break;
        case 'c': endpoint = optarg; break;
        case 'h': fputs (s_help, stdout); return WS_EXIT_OK;
        default:
            return ws_cli_usage_error ("sources", "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    json_t *args = json_object ();
    if (optind < argc)
        json_object_set_new (args, "name", json_string (argv[optind++]));
    if (optind < argc) {
        json_decref (args);
        return ws_cli_usage_error ("sources", "unexpected argument '%s'",
                                   argv[optind]);
    }
    return ws_client_run ("sources", endpoint, args, json, s_print);
}
