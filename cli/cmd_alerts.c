//  cmd_alerts - 'watershed alerts': the alerts the coordinator recorded
//  (goals that slipped, recovered, were achieved or missed; new trends
//  and change points), newest first, with the state of their deliveries.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_time.h"

static const char *s_help =
    "usage: watershed alerts [--goal NAME] [--kind KIND] [--since TIME]\n"
    "                        [--limit N] [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "The alerts recorded, newest first (50 unless --limit): when, kind\n"
    "(slipped, recovered, achieved, missed, trend, change_point, test),\n"
    "severity, what it is about (a goal, or a series), the change of\n"
    "status, how its\n"
    "deliveries to the hooks stand (delivered/all, or 'silenced'), and its\n"
    "summary; a delivery not done yet or given up gets a line of its own\n"
    "with its attempts, next attempt and last error.\n"
    "--since takes ISO 8601. --json prints each alert whole, with its\n"
    "evidence (window, n, current value, required and demonstrated rate,\n"
    "projection and interval, newest sample, source health) and every\n"
    "delivery.\n";

#define S_GET(object, key) json_object_get ((object), (key))

static void
s_print (json_t *alerts)
{
    printf ("%-20s %-12s %-8s %-28s %-24s %-6s %s\n", "TIME", "KIND",
            "SEVERITY", "SUBJECT", "CHANGE", "SENT", "SUMMARY");
    size_t index;
    json_t *alert;
    json_array_foreach (alerts, index, alert) {
        char when[40], subject[160], change[64], sent[16];
        ws_iso8601_format (json_integer_value (S_GET (alert, "created_at")),
                           when, sizeof when);
        when[19] = '\0';
        json_t *series = S_GET (alert, "series");
        if (json_is_string (S_GET (alert, "goal")))
            snprintf (subject, sizeof subject, "goal %s",
                      json_string_value (S_GET (alert, "goal")));
        else if (json_is_object (series)) {
            char labels[128];
            ws_cli_format_labels (S_GET (series, "labels"), labels,
                                  sizeof labels);
            snprintf (subject, sizeof subject, "%s %s",
                      json_string_value (S_GET (series, "metric")), labels);
        }
        else
            snprintf (subject, sizeof subject, "-");
        const char *from = json_string_value (S_GET (alert, "from"));
        const char *to = json_string_value (S_GET (alert, "to"));
        snprintf (change, sizeof change, "%s -> %s", from ? from : "-",
                  to ? to : "-");
        json_t *deliveries = S_GET (alert, "deliveries");
        size_t done = 0, i;
        json_t *delivery;
        json_array_foreach (deliveries, i, delivery)
            done += json_is_string (S_GET (delivery, "state"))
                    && strcmp (json_string_value (S_GET (delivery, "state")),
                               "delivered")
                           == 0;
        if (json_is_integer (S_GET (alert, "silenced_by")))
            snprintf (sent, sizeof sent, "silenced");
        else
            snprintf (sent, sizeof sent, "%zu/%zu", done,
                      json_array_size (deliveries));
        printf ("%-20s %-12s %-8s %-28s %-24s %-6s %s\n", when,
                json_string_value (S_GET (alert, "kind")),
                json_string_value (S_GET (alert, "severity")), subject, change,
                sent, json_string_value (S_GET (alert, "summary")));
        //  Deliveries that are not done yet, or were given up, each on a
        //  line of its own: where it stands and why.
        json_array_foreach (deliveries, i, delivery) {
            const char *state = json_string_value (S_GET (delivery, "state"));
            if (!state || strcmp (state, "delivered") == 0)
                continue;
            char next[40] = "";
            if (json_is_integer (S_GET (delivery, "next_attempt_at"))) {
                ws_iso8601_format (
                    json_integer_value (S_GET (delivery, "next_attempt_at")),
                    next, sizeof next);
                next[19] = '\0';
            }
            const char *error =
                json_string_value (S_GET (delivery, "last_error"));
            printf (
                "    hook %s: %s after %lld attempt%s%s%s%s%s\n",
                json_string_value (S_GET (delivery, "hook")), state,
                (long long) json_integer_value (S_GET (delivery, "attempts")),
                json_integer_value (S_GET (delivery, "attempts")) == 1 ? ""
                                                                       : "s",
                *next ? ", next at " : "", next, error ? ": " : "",
                error ? error : "");
        }
    }
    if (json_array_size (alerts) == 0)
        printf ("(no alerts)\n");
}

static int
s_option (int option, const char *value, void *arg)
{
    json_t *args = arg;
    if (option == 'g')
        json_object_set_new (args, "goal", json_string (value));
    else if (option == 'k')
        json_object_set_new (args, "kind", json_string (value));
    else if (option == 's') {
        int64_t ms;
        ws_err_t err;
        if (ws_iso8601_parse (value, &ms, &err))
            return ws_cli_usage_error ("alerts", "--since '%s': %s", value,
                                       err.text);
        json_object_set_new (args, "since", json_integer (ms));
    }
    else {
        char *end;
        long limit = strtol (value, &end, 10);
        if (*value == '\0' || *end != '\0' || limit < 1 || limit > 10000)
            return ws_cli_usage_error (
                "alerts", "--limit '%s': expected a whole number in 1..10000",
                value);
        json_object_set_new (args, "limit", json_integer (limit));
    }
    return 0;
}

int
cmd_alerts (int argc, char **argv)
{
    static const struct option options[] = {
        {"goal", required_argument, NULL, 'g'},
        {"kind", required_argument, NULL, 'k'},
        {"since", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    json_t *args = json_object ();
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, args, &common);
    if (rc == WS_CLI_GO_ON && optind < argc)
        rc = ws_cli_usage_error ("alerts", "unexpected argument '%s'",
                                 argv[optind]);
    if (rc != WS_CLI_GO_ON) {
        json_decref (args);
        return rc;
    }
    return ws_client_run ("alerts", common.endpoint, args, common.json,
                          s_print);
}
