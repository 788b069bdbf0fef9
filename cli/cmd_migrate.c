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
    "usage: watershed migrate [--db CONNINFO] [--json] [--coordinator "
    "ENDPOINT]\n"
    "\n"
    "Apply the numbered migrations of sql/ that the database lacks. With\n"
    "--db, connect to that database directly (before watershedd starts);\n"
    "without, ask the running coordinator.\n";

static void
s_print (json_t *result)
{
    printf (
        "%lld migrations applied\n",
        (long long) json_integer_value (json_object_get (result, "applied")));
}

static int
s_option (int option, const char *value, void *arg)
{
    (void) option;
    *(const char **) arg = value;
    return 0;
}

int
cmd_migrate (int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    const char *conninfo = NULL;
    int rc = ws_cli_parse (argc, argv, s_help, options, s_option, &conninfo,
                           &common);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (optind < argc)
        return ws_cli_usage_error ("migrate", "unexpected argument '%s'",
                                   argv[optind]);
    bool json = common.json;
    if (!conninfo)
        return ws_client_run ("migrate", common.endpoint, json_object (), json,
                              s_print);

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
