//  watershed-worker - fetches web sources for a watershed coordinator and
//  returns what their rules extract. Stateless: run as many as needed,
//  on any host that can reach the coordinator and the sources.
//
//      watershed-worker [--coordinator tcp://HOST:5570] [--credit 256] ...
//      watershed-worker --help
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_config.h"
#include "ws_log.h"
#include "ws_loop.h"
#include "ws_worker.h"

static void
s_usage (ws_config_t *config, FILE *out)
{
    fprintf (out, "usage: watershed-worker [OPTION VALUE]...\n\n"
                  "Fetch web sources for a watershed coordinator. Options "
                  "(also NAME = VALUE lines in --config FILE):\n");
    ws_config_print_help (config, out);
    fprintf (out, "\nHeader values of a source may use ${NAME}: NAME is read "
                  "from this worker's\nenvironment. SIGTERM or SIGINT drains "
                  "(running jobs finish, results are\nACKed), a second one "
                  "stops at once.\n");
}

//  Whether the command line sets the option itself (it then wins over
//  WATERSHED_COORDINATOR, which wins over a config file).
static int
s_has_option (int argc, char **argv, const char *name)
{
    size_t len = strlen (name);
    for (int i = 1; i < argc; i++)
        if (strncmp (argv[i], "--", 2) == 0
            && strncmp (argv[i] + 2, name, len) == 0
            && (argv[i][2 + len] == '\0' || argv[i][2 + len] == '='))
            return 1;
    return 0;
}

int
main (int argc, char **argv)
{
    ws_log_init ('W', false);
    size_t count;
    const ws_config_entry_t *entries = ws_worker_config_entries (&count);
    ws_err_t err;
    ws_config_t *config = ws_config_new (entries, count, &err);
    if (!config) {
        ws_error ("%s", err.text);
        return 1;
    }
    bool help = false;
    bool from_command_line = s_has_option (argc, argv, "coordinator");
    bool key_from_command_line[2] = {
        s_has_option (argc, argv, "key"),
        s_has_option (argc, argv, "coordinator-key")};
    if (ws_config_parse_args (config, &argc, argv, &help, &err)) {
        ws_error ("%s", err.text);
        ws_config_destroy (&config);
        return 2;
    }
    if (help) {
        s_usage (config, stdout);
        ws_config_destroy (&config);
        return 0;
    }
    if (argc > 1) {
        ws_error ("unexpected argument '%s' (see --help)", argv[1]);
        ws_config_destroy (&config);
        return 2;
    }
    const char *endpoint = getenv ("WATERSHED_COORDINATOR");
    if (endpoint && *endpoint && !from_command_line
        && ws_config_set (config, "coordinator", endpoint, &err)) {
        ws_error ("WATERSHED_COORDINATOR: %s", err.text);
        ws_config_destroy (&config);
        return 2;
    }
    //  The keys likewise: the command line, then the environment.
    const char *key_settings[][2] = {
        {"key", "WATERSHED_WORKER_KEY"},
        {"coordinator-key", "WATERSHED_COORDINATOR_KEY"}};
    for (size_t i = 0; i < 2; i++) {
        const char *value = getenv (key_settings[i][1]);
        if (value && *value && !key_from_command_line[i]
            && ws_config_set (config, key_settings[i][0], value, &err)) {
            ws_error ("%s: %s", key_settings[i][1], err.text);
            ws_config_destroy (&config);
            return 2;
        }
    }
    const char *format = ws_config_string (config, "log-format");
    if (strcmp (format, "text") != 0 && strcmp (format, "json") != 0) {
        ws_error ("config 'log-format': \"%s\", expected text or json", format);
        ws_config_destroy (&config);
        return 2;
    }
    ws_log_init ('W', strcmp (format, "json") == 0);
    int level = ws_log_level_parse (ws_config_string (config, "log-level"));
    if (level < 0) {
        ws_error ("config 'log-level': \"%s\", expected error, warning, "
                  "notice, info or debug",
                  ws_config_string (config, "log-level"));
        ws_config_destroy (&config);
        return 2;
    }
    ws_log_set_level ((ws_log_level_t) level);

    ws_loop_t *loop = ws_loop_new ();
    ws_worker_t *worker = ws_worker_new (loop, config, &err);
    int rc = 1;
    if (!worker)
        ws_error ("%s", err.text);
    else if (ws_worker_start (worker, &err))
        ws_error ("%s", err.text);
    else {
        ws_loop_run (loop);
        rc = ws_worker_exit_code (worker);
    }
    ws_worker_destroy (&worker);
    ws_loop_destroy (&loop);
    ws_config_destroy (&config);
    return rc;
}
