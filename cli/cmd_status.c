//  cmd_status - 'watershed status': the coordinator, its workers with
//  credit and jobs in flight, the queue, the database and samples/s.
#include <getopt.h>
#include <stdio.h>

#include "ws_cli.h"
#include "ws_client.h"

static const char *s_help =
    "usage: watershed status [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "Show the coordinator (pid, uptime, endpoints), its workers (credit,\n"
    "jobs in flight, jobs done), the job queue, the database and the rate\n"
    "of samples committed per second.\n";

#define S_GET(object, key) json_object_get ((object), (key))
#define S_INT(object, key) json_integer_value (S_GET ((object), (key)))

static void
s_print (json_t *status)
{
    json_t *coord = S_GET (status, "coordinator");
    json_t *sources = S_GET (status, "sources");
    json_t *counters = S_GET (status, "counters");
    json_t *db = S_GET (status, "database");
    printf ("coordinator  pid %lld, up %llds%s\n",
            (long long) S_INT (coord, "pid"),
            (long long) S_INT (coord, "uptime_ms") / 1000,
            json_is_true (S_GET (coord, "draining")) ? ", draining" : "");
    printf ("endpoints    workers %s, clients %s\n",
            json_string_value (S_GET (coord, "workers_endpoint")),
            json_string_value (S_GET (coord, "clients_endpoint")));
    printf ("database     %s, %s, %lld samples buffered (at most %lld)\n",
            json_string_value (S_GET (db, "mode")),
            json_is_true (S_GET (db, "reachable")) ? "reachable"
                                                   : "UNREACHABLE",
            (long long) S_INT (db, "buffered_samples"),
            (long long) S_INT (db, "buffer_max"));
    if (json_is_integer (S_GET (db, "failing_since"))) {
        char since[40];
        ws_cli_format_time (S_GET (db, "failing_since"), since, sizeof since);
        printf ("             failing since %s, next try in %lld ms%s\n", since,
                (long long) S_INT (db, "retry_in_ms"),
                json_is_true (S_GET (db, "dispatch_paused"))
                    ? "; buffer full: dispatch paused"
                    : "");
    }
    json_t *security = S_GET (status, "security");
    if (json_is_true (S_GET (security, "curve")))
        printf ("security     CURVE on: %lld keys allowed (%s), %lld refused\n",
                (long long) S_INT (security, "keys_allowed"),
                json_string_value (S_GET (security, "allow_list")),
                (long long) S_INT (security, "refused"));
    else
        printf ("security     CURVE off (plain text on local endpoints)\n");
    printf ("sources      %lld; jobs queued %lld, in flight %lld\n",
            (long long) S_INT (sources, "total"),
            (long long) S_INT (sources, "queued"),
            (long long) S_INT (sources, "in_flight"));
    printf ("samples      %.1f/s; %lld committed (%lld new), %lld results\n",
            json_number_value (S_GET (counters, "samples_per_second")),
            (long long) S_INT (counters, "samples_committed"),
            (long long) S_INT (counters, "samples_new"),
            (long long) S_INT (counters, "results"));
    printf ("jobs         %lld dispatched, %lld re-dispatched, %lld abandoned, "
            "%lld ticks skipped\n",
            (long long) S_INT (counters, "jobs_dispatched"),
            (long long) S_INT (counters, "jobs_redispatched"),
            (long long) S_INT (counters, "jobs_abandoned"),
            (long long) S_INT (counters, "ticks_skipped"));
    printf ("analyses     %lld made, %lld stored, %lld failed; %lld alerts "
            "recorded\n",
            (long long) S_INT (counters, "analyses_created"),
            (long long) S_INT (counters, "analyses_stored"),
            (long long) S_INT (counters, "analyses_failed"),
            (long long) S_INT (counters, "alerts_recorded"));
    printf ("hooks        %lld: %lld delivered, %lld attempts failed, %lld "
            "given up, %lld in flight; %lld alerts silenced, %lld reminders\n",
            (long long) S_INT (counters, "hooks"),
            (long long) S_INT (counters, "deliveries_delivered"),
            (long long) S_INT (counters, "delivery_failures"),
            (long long) S_INT (counters, "deliveries_given_up"),
            (long long) S_INT (counters, "deliveries_in_flight"),
            (long long) S_INT (counters, "alerts_silenced"),
            (long long) S_INT (counters, "repeats"));
    json_t *workers = S_GET (status, "workers");
    printf ("workers      %zu\n", json_array_size (workers));
    size_t index;
    json_t *worker;
    json_array_foreach (workers, index, worker)
        printf ("  %-28s %s pid %lld: credit %lld, in flight %lld, done %lld, "
                "seen %lldms ago\n",
                json_string_value (S_GET (worker, "name")),
                json_string_value (S_GET (worker, "host")),
                (long long) S_INT (worker, "pid"),
                (long long) S_INT (worker, "credit"),
                (long long) S_INT (worker, "in_flight"),
                (long long) S_INT (worker, "jobs_done"),
                (long long) S_INT (worker, "last_seen_ms_ago"));
}

int
cmd_status (int argc, char **argv)
{
    ws_cli_common_t common;
    int rc = ws_cli_parse (argc, argv, s_help, NULL, NULL, NULL, &common);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (optind < argc)
        return ws_cli_usage_error ("status", "unexpected argument '%s'",
                                   argv[optind]);
    return ws_client_run ("status", common.endpoint, json_object (),
                          common.json, s_print);
}
