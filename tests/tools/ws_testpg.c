//  ws_testpg - throwaway PostgreSQL clusters for the shell tests, through
//  ws_pgcluster (the code of watershedd's embedded default):
//      ws_testpg start [--migrate]   prints dir=DIR and conninfo=...,
//                                    leaves the server running
//      ws_testpg stop DIR            stops the server and removes DIR
//      ws_testpg halt DIR            stops the server, keeps DIR (an
//                                    outage, for fault injection)
//      ws_testpg resume DIR          starts it again, same conninfo
//  A shell test does:
//      out=$(ws_testpg start) || exit 1
//      dir=$(printf '%s\n' "$out" | sed -n 's/^dir=//p')
//      conninfo=$(printf '%s\n' "$out" | sed -n 's/^conninfo=//p')
//      trap 'ws_testpg stop "$dir"' EXIT
//  Exit status 0 on success, 1 on failure (the reason on stderr), 2 on
//  a usage error.
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ws_log.h"
#include "ws_migrate.h"
#include "ws_pgcluster.h"

static int
s_usage (void)
{
    fprintf (stderr, "usage: ws_testpg start [--migrate]\n"
                     "       ws_testpg stop|halt|resume DIR\n");
    return 2;
}

static int
s_migrate (ws_pgcluster_t *cluster, ws_err_t *err)
{
    PGconn *db = PQconnectdb (ws_pgcluster_conninfo (cluster));
    int rc = 0;
    if (PQstatus (db) != CONNECTION_OK)
        rc = ws_err_set (err, WS_ERR_DB, "database '%s': %s",
                         ws_pgcluster_conninfo (cluster), PQerrorMessage (db));
    else if (ws_migrate_apply (db, err) < 0)
        rc = -1;
    PQfinish (db);
    return rc;
}

static int
s_start (bool migrate)
{
    ws_err_t err = {0};
    char *dir = ws_pgcluster_tempdir (&err);
    ws_pgcluster_t *cluster = dir ? ws_pgcluster_new (dir, &err) : NULL;
    int rc = cluster ? 0 : -1;
    if (cluster) {
        ws_pgcluster_set_fast (cluster, true);
        rc = ws_pgcluster_start (cluster, &err);
        if (rc == 0 && migrate)
            rc = s_migrate (cluster, &err);
    }
    if (rc == 0) {
        printf ("dir=%s\nconninfo=%s\n", ws_pgcluster_dir (cluster),
                ws_pgcluster_conninfo (cluster));
        fflush (stdout);
    }
    else {
        fprintf (stderr, "ws_testpg: %s\n", err.text);
        //  Leave nothing behind on failure, unless asked to.
        if (cluster && !getenv ("WS_TEST_PG_KEEP")) {
            ws_err_t ignored;
            ws_pgcluster_remove (cluster, &ignored);
        }
    }
    ws_pgcluster_destroy (&cluster);
    free (dir);
    return rc == 0 ? 0 : 1;
}

//  stop (remove), halt (stop, keep) or resume (start again) the cluster
//  in dir.
static int
s_stop (const char *dir, const char *how)
{
    //  ws_pgcluster_new would create a mistyped DIR.
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        fprintf (stderr, "ws_testpg: '%s' is not a directory\n", dir);
        return 1;
    }
    ws_err_t err = {0};
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    int rc = -1;
    if (cluster) {
        ws_pgcluster_set_fast (cluster, true);
        rc = strcmp (how, "stop") == 0   ? ws_pgcluster_remove (cluster, &err)
             : strcmp (how, "halt") == 0 ? ws_pgcluster_stop (cluster, &err)
                                         : ws_pgcluster_start (cluster, &err);
    }
    if (rc)
        fprintf (stderr, "ws_testpg: %s\n", err.text);
    ws_pgcluster_destroy (&cluster);
    return rc == 0 ? 0 : 1;
}

int
main (int argc, char *argv[])
{
    ws_log_init ('T', false);
    if (argc == 2 && strcmp (argv[1], "start") == 0)
        return s_start (false);
    if (argc == 3 && strcmp (argv[1], "start") == 0
        && strcmp (argv[2], "--migrate") == 0)
        return s_start (true);
    if (argc == 3
        && (strcmp (argv[1], "stop") == 0 || strcmp (argv[1], "halt") == 0
            || strcmp (argv[1], "resume") == 0))
        return s_stop (argv[2], argv[1]);
    return s_usage ();
}
