//  ws_test_pg - throwaway PostgreSQL clusters for the C tests.
#include "ws_test_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ws_pgcluster_t *
ws_test_pg_start (void)
{
    ws_err_t err = {0};
    char *dir = ws_pgcluster_tempdir (&err);
    if (!dir) {
        fprintf (stderr, "ws_test_pg: %s\n", err.text);
        return NULL;
    }
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    if (cluster) {
        ws_pgcluster_set_fast (cluster, true);
        if (ws_pgcluster_start (cluster, &err) == 0) {
            free (dir);
            return cluster;
        }
    }
    fprintf (stderr, "ws_test_pg: cannot start a cluster in %s: %s\n", dir,
             err.text);
    if (cluster && !getenv ("WS_TEST_PG_KEEP")) {
        ws_err_t ignored;
        ws_pgcluster_remove (cluster, &ignored);
    }
    ws_pgcluster_destroy (&cluster);
    free (dir);
    return NULL;
}

int
ws_test_pg_stop (ws_pgcluster_t **self_p)
{
    if (!self_p || !*self_p)
        return 0;
    ws_err_t err = {0};
    const char *keep = getenv ("WS_TEST_PG_KEEP");
    int rc;
    if (keep && strcmp (keep, "1") == 0) {
        rc = ws_pgcluster_stop (*self_p, &err);
        fprintf (stderr, "ws_test_pg: kept %s (WS_TEST_PG_KEEP=1)\n",
                 ws_pgcluster_dir (*self_p));
    }
    else
        rc = ws_pgcluster_remove (*self_p, &err);
    if (rc)
        fprintf (stderr, "ws_test_pg: %s\n", err.text);
    ws_pgcluster_destroy (self_p);
    return rc;
}

PGconn *
ws_test_pg_connect (ws_pgcluster_t *self)
{
    PGconn *db = PQconnectdb (ws_pgcluster_conninfo (self));
    if (PQstatus (db) != CONNECTION_OK) {
        fprintf (stderr, "ws_test_pg: cannot connect to '%s': %s",
                 ws_pgcluster_conninfo (self), PQerrorMessage (db));
        PQfinish (db);
        return NULL;
    }
    return db;
}
