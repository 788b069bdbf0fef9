//  test_migrate - migrations and the embedded cluster against a real
//  PostgreSQL: apply, idempotence, a newer database refused, concurrent
//  runs, restart and adoption of a running cluster, and the known ways
//  to fail (no binaries, socket path too long, unreachable directory,
//  a live process in postmaster.pid that is not a server).
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws_log.h"
#include "ws_migrate.h"
#include "ws_pgcluster.h"
#include "ws_test_pg.h"

static ws_pgcluster_t *s_cluster;  //  shared by the tests, in order

static int
s_newest (void)
{
    int newest = 0;
    for (int i = 0; i < ws_sql_file_count; i++)
        if (ws_sql_files[i].version > newest)
            newest = ws_sql_files[i].version;
    return newest;
}

//  The single value of a query, as a number; fails the test on error.
static long
s_query_long (PGconn *db, const char *sql)
{
    PGresult *result = PQexec (db, sql);
    if (PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1)
        fail_msg ("%s: %s", sql, PQresultErrorMessage (result));
    long value = strtol (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return value;
}

static void
s_command (PGconn *db, const char *sql)
{
    PGresult *result = PQexec (db, sql);
    if (PQresultStatus (result) != PGRES_COMMAND_OK)
        fail_msg ("%s: %s", sql, PQresultErrorMessage (result));
    PQclear (result);
}

//  Write postmaster.pid with PID, owned like the data directory (a file
//  left by a crashed server belongs to the cluster user).
static void
s_fake_pidfile (ws_pgcluster_t *cluster, long pid)
{
    char pgdata[PATH_MAX], path[PATH_MAX + 32];
    snprintf (pgdata, sizeof pgdata, "%s/pgdata", ws_pgcluster_dir (cluster));
    snprintf (path, sizeof path, "%s/postmaster.pid", pgdata);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "%ld\n%s\n", pid, pgdata);
    fclose (file);
    struct stat st;
    assert_int_equal (stat (pgdata, &st), 0);
    assert_int_equal (chown (path, st.st_uid, st.st_gid), 0);
    assert_int_equal (chmod (path, 0600), 0);
}

static int
s_group_setup (void **state)
{
    (void) state;
    s_cluster = ws_test_pg_start ();
    return s_cluster ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    return ws_test_pg_stop (&s_cluster);
}

static void
test_apply_twice (void **state)
{
    (void) state;
    assert_true (ws_sql_file_count >= 1);
    assert_int_equal (ws_sql_files[0].version, 1);
    assert_string_equal (ws_sql_files[0].name, "0001_init.sql");
    assert_non_null (strstr (ws_sql_files[0].text, "CREATE TABLE sources"));

    PGconn *db = ws_test_pg_connect (s_cluster);
    assert_non_null (db);
    ws_err_t err = {0};
    assert_int_equal (ws_migrate_version (db, &err), 0);
    assert_int_equal (ws_migrate_apply (db, &err), ws_sql_file_count);
    assert_int_equal (ws_migrate_apply (db, &err), 0);
    assert_int_equal (ws_migrate_version (db, &err), s_newest ());
    assert_int_equal (
        s_query_long (db, "SELECT count(*) FROM schema_migrations"),
        ws_sql_file_count);
    assert_int_equal (s_query_long (db, "SELECT count(*) FROM "
                                        "schema_migrations WHERE name = "
                                        "'0001_init.sql' AND version = 1 "
                                        "AND applied_at <= now()"),
                      1);
    const char *tables[] = {"sources", "source_health",   "series",
                            "samples", "samples_default", "schema_migrations"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const char *values[] = {tables[i]};
        PGresult *result =
            PQexecParams (db, "SELECT to_regclass($1) IS NOT NULL", 1, NULL,
                          values, NULL, NULL, 0);
        assert_int_equal (PQresultStatus (result), PGRES_TUPLES_OK);
        if (strcmp (PQgetvalue (result, 0, 0), "t") != 0)
            fail_msg ("table %s missing after migration", tables[i]);
        PQclear (result);
    }
    PQfinish (db);
}

static void
test_sample_written_once (void **state)
{
    (void) state;
    PGconn *db = ws_test_pg_connect (s_cluster);
    assert_non_null (db);
    s_command (db, "INSERT INTO series (metric, labels, type) VALUES "
                   "('signups', '{\"region\": \"eu\"}', 'counter')");
    //  A re-sent result writes the same tick again: nothing new.
    for (int i = 0; i < 2; i++)
        s_command (db, "INSERT INTO samples (series_id, ts, value) "
                       "SELECT id, '2027-03-02T09:00:00Z', 42 FROM series "
                       "WHERE metric = 'signups' ON CONFLICT DO NOTHING");
    assert_int_equal (s_query_long (db, "SELECT count(*) FROM samples"), 1);
    assert_int_equal (s_query_long (db, "SELECT count(*) FROM samples_default"),
                      1);
    PQfinish (db);
}

static void
test_newer_database_refused (void **state)
{
    (void) state;
    PGconn *db = ws_test_pg_connect (s_cluster);
    assert_non_null (db);
    char sql[200];
    snprintf (sql, sizeof sql,
              "INSERT INTO schema_migrations (version, name) "
              "VALUES (%d, '9999_future.sql')",
              s_newest () + 1);
    s_command (db, sql);
    ws_err_t err = {0};
    assert_int_equal (ws_migrate_apply (db, &err), -1);
    char expected[120];
    snprintf (expected, sizeof expected,
              "database schema version %d is newer than this build (%d)",
              s_newest () + 1, s_newest ());
    assert_string_equal (err.text, expected);
    //  The lock was released: a second session can migrate.
    s_command (db, "DELETE FROM schema_migrations WHERE name = "
                   "'9999_future.sql'");
    PGconn *other = ws_test_pg_connect (s_cluster);
    assert_non_null (other);
    assert_int_equal (ws_migrate_apply (other, &err), 0);
    PQfinish (other);
    PQfinish (db);
}

//  Two coordinators migrating one fresh database at once: the advisory
//  lock makes one apply everything and the other nothing.
static void
test_concurrent_apply (void **state)
{
    (void) state;
    PGconn *db = ws_test_pg_connect (s_cluster);
    assert_non_null (db);
    s_command (db, "CREATE DATABASE race");
    PQfinish (db);
    const char *keywords[] = {"dbname", "dbname", NULL};
    const char *values[] = {ws_pgcluster_conninfo (s_cluster), "race", NULL};

    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        PGconn *mine = PQconnectdbParams (keywords, values, 1);
        ws_err_t err;
        int applied = PQstatus (mine) == CONNECTION_OK
                          ? ws_migrate_apply (mine, &err)
                          : -1;
        PQfinish (mine);
        _exit (applied < 0 ? 255 : applied);
    }
    PGconn *mine = PQconnectdbParams (keywords, values, 1);
    assert_int_equal (PQstatus (mine), CONNECTION_OK);
    ws_err_t err = {0};
    int applied = ws_migrate_apply (mine, &err);
    int status;
    assert_int_equal (waitpid (child, &status, 0), child);
    assert_true (WIFEXITED (status));
    assert_int_not_equal (WEXITSTATUS (status), 255);
    assert_int_not_equal (applied, -1);
    assert_int_equal (applied + WEXITSTATUS (status), ws_sql_file_count);
    assert_int_equal (ws_migrate_version (mine, &err), s_newest ());
    PQfinish (mine);
}

static void
test_restart_keeps_data (void **state)
{
    (void) state;
    ws_err_t err = {0};
    int before = ws_pgcluster_pid (s_cluster);
    assert_true (before > 0);
    assert_int_equal (ws_pgcluster_stop (s_cluster, &err), 0);
    assert_int_equal (ws_pgcluster_pid (s_cluster), 0);
    assert_int_equal (PQping (ws_pgcluster_conninfo (s_cluster)),
                      PQPING_NO_RESPONSE);
    //  Stopping a stopped cluster is fine.
    assert_int_equal (ws_pgcluster_stop (s_cluster, &err), 0);
    assert_int_equal (ws_pgcluster_start (s_cluster, &err), 0);
    assert_true (ws_pgcluster_pid (s_cluster) > 0);

    PGconn *db = ws_test_pg_connect (s_cluster);
    assert_non_null (db);
    assert_int_equal (s_query_long (db, "SELECT count(*) FROM samples"), 1);
    assert_int_equal (ws_migrate_apply (db, &err), 0);
    //  The include line is added once, however many starts.
    assert_int_equal (
        s_query_long (db, "SELECT count(*) FROM pg_file_settings WHERE name "
                          "= 'unix_socket_directories'"),
        1);
    PQfinish (db);
}

//  watershedd crashed and restarts: a second object on the same
//  directory finds the server running and adopts it.
static void
test_adopt_running (void **state)
{
    (void) state;
    ws_err_t err = {0};
    int pid = ws_pgcluster_pid (s_cluster);
    assert_true (pid > 0);
    ws_pgcluster_t *again =
        ws_pgcluster_new (ws_pgcluster_dir (s_cluster), &err);
    assert_non_null (again);
    assert_int_equal (ws_pgcluster_start (again, &err), 0);
    assert_int_equal (ws_pgcluster_pid (again), pid);
    assert_string_equal (ws_pgcluster_conninfo (again),
                         ws_pgcluster_conninfo (s_cluster));
    ws_pgcluster_destroy (&again);
    assert_null (again);
    //  destroy does not stop
    assert_int_equal (PQping (ws_pgcluster_conninfo (s_cluster)), PQPING_OK);
}

//  A crash left postmaster.pid behind and its pid is gone: start copes.
static void
test_stale_pidfile (void **state)
{
    (void) state;
    ws_err_t err = {0};
    assert_int_equal (ws_pgcluster_stop (s_cluster, &err), 0);
    pid_t dead = fork ();
    assert_true (dead >= 0);
    if (dead == 0)
        _exit (0);
    assert_int_equal (waitpid (dead, NULL, 0), dead);
    s_fake_pidfile (s_cluster, (long) dead);
    assert_int_equal (ws_pgcluster_pid (s_cluster), 0);
    assert_int_equal (ws_pgcluster_start (s_cluster, &err), 0);
    assert_int_equal (PQping (ws_pgcluster_conninfo (s_cluster)), PQPING_OK);
}

//  postmaster.pid names a live process that is not our server (a pid
//  reused after a reboot): refuse, naming the pid and the data dir.
static void
test_live_pid_not_answering (void **state)
{
    (void) state;
    ws_err_t err = {0};
    assert_int_equal (ws_pgcluster_stop (s_cluster, &err), 0);
    s_fake_pidfile (s_cluster, (long) getpid ());
    ws_pgcluster_set_timeout (s_cluster, 1);
    assert_int_equal (ws_pgcluster_start (s_cluster, &err), -1);
    assert_int_equal (err.code, WS_ERR_TIMEOUT);
    char pid[32], pgdata[PATH_MAX];
    snprintf (pid, sizeof pid, "pid %d ", (int) getpid ());
    snprintf (pgdata, sizeof pgdata, "'%s/pgdata'",
              ws_pgcluster_dir (s_cluster));
    assert_non_null (strstr (err.text, pid));
    assert_non_null (strstr (err.text, pgdata));

    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/pgdata/postmaster.pid",
              ws_pgcluster_dir (s_cluster));
    assert_int_equal (unlink (path), 0);
    ws_pgcluster_set_timeout (s_cluster, 60);
    assert_int_equal (ws_pgcluster_start (s_cluster, &err), 0);
}

//  A space and a single quote in the state directory survive the
//  conninfo and postgresql.conf quoting.
static void
test_quoted_dir (void **state)
{
    (void) state;
    ws_err_t err = {0};
    char *top = ws_pgcluster_tempdir (&err);
    assert_non_null (top);
    char dir[PATH_MAX];
    snprintf (dir, sizeof dir, "%s/it's a dir", top);
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    assert_non_null (cluster);
    assert_non_null (
        strstr (ws_pgcluster_conninfo (cluster), "host='/tmp/ws-"));
    assert_non_null (
        strstr (ws_pgcluster_conninfo (cluster), "/it\\'s a dir/run'"));
    ws_pgcluster_set_fast (cluster, true);
    if (ws_pgcluster_start (cluster, &err))
        fail_msg ("%s", err.text);
    PGconn *db = ws_test_pg_connect (cluster);
    assert_non_null (db);
    assert_int_equal (s_query_long (db, "SELECT 1"), 1);
    PQfinish (db);
    assert_int_equal (ws_pgcluster_stop (cluster, &err), 0);
    //  Not made by ws_pgcluster_tempdir: remove refuses.
    assert_int_equal (ws_pgcluster_remove (cluster, &err), -1);
    assert_non_null (strstr (err.text, "refusing to remove"));
    ws_pgcluster_destroy (&cluster);

    ws_pgcluster_t *outer = ws_pgcluster_new (top, &err);
    assert_non_null (outer);
    assert_int_equal (ws_pgcluster_remove (outer, &err), 0);
    ws_pgcluster_destroy (&outer);
    struct stat st;
    assert_int_equal (stat (top, &st), -1);
    free (top);
}

static void
test_missing_binaries (void **state)
{
    (void) state;
    ws_err_t err = {0};
    char *dir = ws_pgcluster_tempdir (&err);
    assert_non_null (dir);
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    assert_non_null (cluster);
    setenv ("WATERSHED_PG_BINDIR", "/nonexistent", 1);
    int rc = ws_pgcluster_start (cluster, &err);
    unsetenv ("WATERSHED_PG_BINDIR");
    assert_int_equal (rc, -1);
    assert_int_equal (err.code, WS_ERR_NOTFOUND);
    assert_non_null (strstr (err.text, "PostgreSQL server binaries not found "
                                       "(initdb, pg_ctl)"));
    assert_non_null (strstr (err.text, "/nonexistent"));
    assert_non_null (strstr (err.text, "install the Debian package "
                                       "'postgresql' (scripts/bootstrap "
                                       "does)"));
    assert_int_equal (ws_pgcluster_remove (cluster, &err), 0);
    ws_pgcluster_destroy (&cluster);
    free (dir);
}

static void
test_socket_path_too_long (void **state)
{
    (void) state;
    char dir[200] = "/tmp/ws-too-long-";
    while (strlen (dir) < 90)
        strcat (dir, "x");
    ws_err_t err = {0};
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    assert_null (cluster);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_non_null (strstr (err.text, dir));
    assert_non_null (strstr (err.text, "choose a shorter directory"));
    struct stat st;
    assert_int_equal (stat (dir, &st), -1);  //  refused before creating
}

//  As root the cluster runs as 'watershed', which cannot pass a 0700
//  directory of root's (the /root case).
static void
test_unreachable_dir (void **state)
{
    (void) state;
    if (geteuid () != 0)
        skip ();
    ws_err_t err = {0};
    char *top = ws_pgcluster_tempdir (&err);
    assert_non_null (top);
    char locked[PATH_MAX], dir[PATH_MAX + 16];
    snprintf (locked, sizeof locked, "%s/locked", top);
    snprintf (dir, sizeof dir, "%s/state", locked);
    assert_int_equal (mkdir (locked, 0700), 0);
    assert_int_equal (chmod (locked, 0700), 0);
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    assert_non_null (cluster);
    assert_int_equal (ws_pgcluster_start (cluster, &err), -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    char expected[PATH_MAX + 20];
    snprintf (expected, sizeof expected, "cannot enter '%s'", locked);
    if (!strstr (err.text, expected))
        fail_msg ("unexpected error: %s", err.text);
    ws_pgcluster_destroy (&cluster);

    ws_pgcluster_t *outer = ws_pgcluster_new (top, &err);
    assert_non_null (outer);
    assert_int_equal (ws_pgcluster_remove (outer, &err), 0);
    ws_pgcluster_destroy (&outer);
    free (top);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_apply_twice),
        cmocka_unit_test (test_sample_written_once),
        cmocka_unit_test (test_newer_database_refused),
        cmocka_unit_test (test_concurrent_apply),
        cmocka_unit_test (test_restart_keeps_data),
        cmocka_unit_test (test_adopt_running),
        cmocka_unit_test (test_stale_pidfile),
        cmocka_unit_test (test_live_pid_not_answering),
        cmocka_unit_test (test_quoted_dir),
        cmocka_unit_test (test_missing_binaries),
        cmocka_unit_test (test_socket_path_too_long),
        cmocka_unit_test (test_unreachable_dir),
    };
    ws_log_init ('T', false);
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
