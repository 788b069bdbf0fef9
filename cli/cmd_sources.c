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
        ws_duration_format (
            json_integer_value (json_object_get (source, "interval_ms")),
            interval, sizeof interval);
        ws_cli_format_ago (json_object_get (source, "last_success"), last_ok,
                           sizeof last_ok);
        ws_cli_format_ago (json_object_get (source, "next_due"), next,
                           sizeof next);
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
            int len = snprintf (
                values + used, sizeof values - used, "%s%s%s=%.10g",
                used ? " " : "",
                json_string_value (json_object_get (value, "metric")), labels,
                json_number_value (json_object_get (value, "value")));
            if (len < 0 || (size_t) len >= sizeof values - used)
                break;
            used += (size_t) len;
        }
        printf ("%-24s %-9s %-8s %-12s %-10s %s\n",
                json_string_value (json_object_get (source, "name")),
                json_string_value (json_object_get (source, "health")),
                interval, last_ok, next, used ? values : "-");
        const char *error =
            json_string_value (json_object_get (source, "last_error"));
        if (error) {
            char when[32];
            ws_cli_format_ago (json_object_get (source, "last_error_at"), when,
                               sizeof when);
            printf (
                "%-24s   last error (%s, %s): %s\n", "", when,
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
    ws_cli_common_t common;
    int rc = ws_cli_parse (argc, argv, s_help, NULL, NULL, NULL, &common);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (argc - optind > 1)
        return ws_cli_usage_error ("sources", "unexpected argument '%s'",
                                   argv[optind + 1]);
    json_t *args = json_object ();
    if (optind < argc)
        json_object_set_new (args, "name", json_string (argv[optind]));
    return ws_client_run ("sources", common.endpoint, args, common.json,
                          s_print);
}
