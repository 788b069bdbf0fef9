//  test_ws_pgcluster - the parts of ws_pgcluster that need no server:
//  directories, path limits, conninfo quoting, the remove guard, and the
//  error for missing binaries. Starting real clusters is in
//  tests/integration/test_migrate.c.
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws_log.h"
#include "ws_pgcluster.h"

static bool
s_is_dir (const char *path, mode_t *mode)
{
    struct stat st;
    if (stat (path, &st) || !S_ISDIR (st.st_mode))
        return false;
    if (mode)
        *mode = st.st_mode & 07777;
    return true;
}

static void
test_tempdir_and_remove (void **state)
{
    (void) state;
    ws_err_t err = {0};
    char *dir = ws_pgcluster_tempdir (&err);
    assert_non_null (dir);
    assert_int_equal (strncmp (dir, "/tmp/ws-", 8), 0);
    mode_t mode;
    assert_true (s_is_dir (dir, &mode));
    assert_int_equal (mode, 0755);

    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    assert_non_null (cluster);
    assert_string_equal (ws_pgcluster_dir (cluster), dir);
    char expected[256];
    snprintf (expected, sizeof expected,
              "host=%s/run port=5432 user=watershed dbname=watershed", dir);
    assert_string_equal (ws_pgcluster_conninfo (cluster), expected);
    char run[PATH_MAX];
    snprintf (run, sizeof run, "%s/run", dir);
    assert_true (s_is_dir (run, &mode));
    assert_int_equal (mode, 0700);
    //  Nothing runs: no pid, and stop has nothing to do.
    assert_int_equal (ws_pgcluster_pid (cluster), 0);
    assert_int_equal (ws_pgcluster_stop (cluster, &err), 0);
    ws_pgcluster_set_fast (cluster, true);
    ws_pgcluster_set_timeout (cluster, 0);

    assert_int_equal (ws_pgcluster_remove (cluster, &err), 0);
    assert_false (s_is_dir (dir, NULL));
    ws_pgcluster_destroy (&cluster);
    assert_null (cluster);
    ws_pgcluster_destroy (&cluster);
    free (dir);
}

//  remove deletes only what ws_pgcluster_tempdir made.
static void
test_remove_refuses_foreign_dir (void **state)
{
    (void) state;
    ws_err_t err = {0};
    char *top = ws_pgcluster_tempdir (&err);
    assert_non_null (top);
    char dir[PATH_MAX];
    snprintf (dir, sizeof dir, "%s/data", top);
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    assert_non_null (cluster);
    assert_true (s_is_dir (dir, NULL));
    assert_int_equal (ws_pgcluster_remove (cluster, &err), -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_non_null (strstr (err.text, "refusing to remove"));
    assert_non_null (strstr (err.text, dir));
    assert_true (s_is_dir (dir, NULL));
    ws_pgcluster_destroy (&cluster);

    cluster = ws_pgcluster_new (top, &err);
    assert_non_null (cluster);
    assert_int_equal (ws_pgcluster_remove (cluster, &err), 0);
    assert_false (s_is_dir (top, NULL));
    ws_pgcluster_destroy (&cluster);
    free (top);
}

//  Relative paths become absolute (the conninfo host must be), trailing
//  slashes go, and a space or quote is quoted in the conninfo.
static void
test_paths_and_quoting (void **state)
{
    (void) state;
    ws_err_t err = {0};
    char *top = ws_pgcluster_tempdir (&err);
    assert_non_null (top);
    char cwd[PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (top), 0);
    ws_pgcluster_t *cluster = ws_pgcluster_new ("a b'c//", &err);
    assert_int_equal (chdir (cwd), 0);
    assert_non_null (cluster);
    char expected[PATH_MAX];
    snprintf (expected, sizeof expected, "%s/a b'c", top);
    assert_string_equal (ws_pgcluster_dir (cluster), expected);
    snprintf (expected, sizeof expected,
              "host='%s/a b\\'c/run' port=5432 user=watershed "
              "dbname=watershed",
              top);
    assert_string_equal (ws_pgcluster_conninfo (cluster), expected);
    ws_pgcluster_destroy (&cluster);

    cluster = ws_pgcluster_new (top, &err);
    assert_non_null (cluster);
    assert_int_equal (ws_pgcluster_remove (cluster, &err), 0);
    ws_pgcluster_destroy (&cluster);
    free (top);
}

//  DIR/run/.s.PGSQL.5432 must stay below 100 bytes; characters pg_ctl
//  cannot quote are refused; neither creates anything.
static void
test_bad_dirs_refused (void **state)
{
    (void) state;
    ws_err_t err = {0};
    char *top = ws_pgcluster_tempdir (&err);
    assert_non_null (top);
    //  strlen ("/run/.s.PGSQL.5432") is 18: 81 bytes of DIR is the most.
    char dir[200];
    snprintf (dir, sizeof dir, "%s/", top);
    while (strlen (dir) < 81)
        strcat (dir, "x");
    ws_pgcluster_t *cluster = ws_pgcluster_new (dir, &err);
    assert_non_null (cluster);
    ws_pgcluster_destroy (&cluster);
    strcat (dir, "y");
    cluster = ws_pgcluster_new (dir, &err);
    assert_null (cluster);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_non_null (strstr (err.text, dir));
    assert_non_null (strstr (err.text, "99"));
    assert_false (s_is_dir (dir, NULL));

    const char *names[] = {"q\"uote",     "dol$lar",   "back`tick",
                           "back\\slash", "new\nline", "com,ma"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf (dir, sizeof dir, "%s/%s", top, names[i]);
        cluster = ws_pgcluster_new (dir, &err);
        assert_null (cluster);
        assert_int_equal (err.code, WS_ERR_INPUT);
        assert_non_null (strstr (err.text, "tools cannot handle"));
        assert_false (s_is_dir (dir, NULL));
    }
    cluster = ws_pgcluster_new ("", &err);
    assert_null (cluster);
    assert_int_equal (err.code, WS_ERR_INPUT);

    cluster = ws_pgcluster_new (top, &err);
    assert_non_null (cluster);
    assert_int_equal (ws_pgcluster_remove (cluster, &err), 0);
    ws_pgcluster_destroy (&cluster);
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
    assert_non_null (strstr (err.text, "install the Debian package "
                                       "'postgresql' (scripts/bootstrap "
                                       "does)"));
    char pgdata[PATH_MAX];
    snprintf (pgdata, sizeof pgdata, "%s/pgdata", dir);
    assert_false (s_is_dir (pgdata, NULL));
    assert_int_equal (ws_pgcluster_remove (cluster, &err), 0);
    ws_pgcluster_destroy (&cluster);
    free (dir);
}

int
main (void)
{
    ws_log_init ('T', false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tempdir_and_remove),
        cmocka_unit_test (test_remove_refuses_foreign_dir),
        cmocka_unit_test (test_paths_and_quoting),
        cmocka_unit_test (test_bad_dirs_refused),
        cmocka_unit_test (test_missing_binaries),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
