//  cmd_migrate - 'watershed migrate': apply the database migrations. With
//  --db CONNINFO it connects to PostgreSQL itself (the one command that
//  does: for upgrading a database before the coordinator starts);
//  otherwise it asks the coordinator.
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_migrate.h"

static const char *s_help =
    "usage: watershed migrate [--db CONNINFO] [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "Apply the numbered migrations of sql/ that the database lacks. With\n"
    "--db, connect to that database directly (before watershedd starts);\n"
    "without, ask the running coordinator.\n";

static void
s_print (json_t *result)
{
    printf ("%lld migrations applied\n",
            (long long) json_integer_value (json_object_get (result, "applied")));
}

int
cmd_migrate (int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"coordinator", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *endpoint = NULL, *conninfo = NULL;
    bool json = false;
    int option;
    optind = 1;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'd': conninfo = optarg; break;
        case 'j': json = true; break;
        case 'c': endpoint = optarg; break;
        case 'h': fputs (s_help, stdout); return WS_EXIT_OK;
        default:
            return ws_cli_usage_error ("migrate", "unknown option '%s'",
                                       argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ws_cli_usage_error ("migrate", "unexpected argument '%s'",
                                   argv[optind]);
    if (!conninfo)
        return ws_client_run ("migrate", endpoint, json_object (), json, s_print);

    PGconn *db = PQconnectdb (conninfo);
    if (PQstatus (db) != CONNECTION_OK) {
        //  The message names host and user, never the password.
        fprintf (stderr, "watershed migrate: cannot connect: %s",
                 PQerrorMessage (db));
        PQfinish (db);
        return WS_EXIT_FAIL;
    }
    ws_err_t err;
    int applied = ws_migrate_apply (db, &err);
    int version = applied >= 0 ? ws_migrate_version (db, &err) : -1;
    PQfinish (db);
    if (applied < 0 || version < 0) {
        fprintf (stderr, "watershed migrate: %s\n", err.text);
        return WS_EXIT_FAIL;
    }
    if (json)
        printf ("{\"applied\": %d, \"version\": %d}\n", applied, version);
    else
        printf ("%d migrations applied; schema version %d\n", applied, version);
    return WS_EXIT_OK;
}
