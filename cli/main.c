//  watershed - the command-line client. Every command but the offline
//  ones (trend, goal eval) and 'migrate --db' speaks only the protocol
//  to the coordinator, as redis-cli talks only to the server.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ws_cli.h"

typedef struct {
    const char *name;
    ws_cmd_fn *fn;
    const char *summary;
} s_command_t;

static const s_command_t s_commands[] = {
    {"apply", cmd_apply, "create or update sources from a file"},
    {"sources", cmd_sources, "list sources with their health"},
    {"source", cmd_source,
     "test a source: fetch once through a worker, show each rule's finds"},
    {"status", cmd_status, "show the coordinator, workers and rates"},
    {"series", cmd_series, "list stored series"},
    {"samples", cmd_samples, "print stored samples of a metric"},
    {"migrate", cmd_migrate, "apply database migrations"},
    {"trends", cmd_trends, "show stored trend analyses of the series"},
    {"trend", cmd_trend,
     "analyse a t,value CSV offline: trend, change point, projection"},
    {"progress", cmd_progress, "show where every goal stands, one line each"},
    {"goal", cmd_goal,
     "explain a goal (show), replay it (backtest), evaluate offline (eval)"},
    {"alerts", cmd_alerts,
     "list recorded alerts (goals that slip, trends) and their deliveries"},
    {"hook", cmd_hook,
     "send a test alert to a hook and show the receiver's answer"},
    {"silence", cmd_silence,
     "hold back a goal's, campaign's or labels' alerts for a while"},
    {"import", cmd_import, "backfill a series' history from a t,value CSV"},
    {"chart", cmd_chart, "draw a goal's burn-up or a series' trend to PNG/SVG"},
    {"keygen", cmd_keygen,
     "make a CURVE key pair for the coordinator, a worker or a client"},
};
#define S_COMMAND_COUNT (sizeof s_commands / sizeof s_commands[0])

int
ws_cli_usage_error (const char *command, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    fprintf (stderr, "watershed %s: ", command);
    vfprintf (stderr, fmt, args);
    fprintf (stderr, "\n(see 'watershed %s --help')\n", command);
    va_end (args);
    return WS_EXIT_USAGE;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: watershed COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < S_COMMAND_COUNT; i++)
        fprintf (out, "  %-10s %s\n", s_commands[i].name,
                 s_commands[i].summary);
    fprintf (out,
             "\n'watershed COMMAND --help' describes a command.\n"
             "\nexit codes: 0 success; 1 the command failed; 2 usage error;\n"
             "3 the coordinator could not be reached\n");
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stderr);
        return WS_EXIT_USAGE;
    }
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
        || strcmp (argv[1], "help") == 0) {
        s_usage (stdout);
        return WS_EXIT_OK;
    }
    for (size_t i = 0; i < S_COMMAND_COUNT; i++)
        if (strcmp (argv[1], s_commands[i].name) == 0)
            return s_commands[i].fn (argc - 1, argv + 1);
    fprintf (stderr,
             "watershed: unknown command '%s' (see 'watershed --help')\n",
             argv[1]);
    return WS_EXIT_USAGE;
}
