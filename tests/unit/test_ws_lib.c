//  test_ws_lib - the small lib modules: ws_map, ws_buf, ws_time,
//  ws_config, ws_err, ws_paths.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ws_buf.h"
#include "ws_config.h"
#include "ws_err.h"
#include "ws_map.h"
#include "ws_paths.h"
#include "ws_time.h"

static int s_freed;
static void
s_count_free (void *value)
{
    s_freed++;
    free (value);
}

static void
test_map (void **state)
{
    (void) state;
    ws_map_t *map = ws_map_new (s_count_free);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf (key, sizeof key, "key-%d", i);
        int *value = malloc (sizeof *value);
        *value = i;
        ws_map_put (map, key, strlen (key), value);
    }
    assert_int_equal (ws_map_size (map), 10000);
    for (int i = 0; i < 10000; i += 7) {
        snprintf (key, sizeof key, "key-%d", i);
        int *value = ws_map_get (map, key, strlen (key));
        assert_non_null (value);
        assert_int_equal (*value, i);
    }
    assert_null (ws_map_get (map, "absent", 6));
    //  Replacing frees the old value; deleting frees; take does not.
    s_freed = 0;
    ws_map_put (map, "key-1", 5, calloc (1, sizeof (int)));
    assert_int_equal (s_freed, 1);
    assert_int_equal (ws_map_delete (map, "key-2", 5), 1);
    assert_int_equal (ws_map_delete (map, "key-2", 5), 0);
    assert_int_equal (s_freed, 2);
    int *taken = ws_map_take (map, "key-3", 5);
    assert_non_null (taken);
    assert_int_equal (*taken, 3);
    free (taken);
    assert_int_equal (ws_map_size (map), 9998);
    //  Integer keys share the table.
    ws_map_put_int (map, 42, calloc (1, sizeof (int)));
    assert_non_null (ws_map_get_int (map, 42));
    assert_int_equal (ws_map_delete_int (map, 42), 1);
    assert_null (ws_map_take_int (map, 42));
    s_freed = 0;
    ws_map_destroy (&map);
    assert_null (map);
    assert_int_equal (s_freed, 9998);
    ws_map_destroy (&map);  //  safe on NULL
}

static void
test_buf (void **state)
{
    (void) state;
    ws_buf_t buf;
    ws_buf_init (&buf, 10);
    assert_int_equal (ws_buf_append (&buf, "hello", 5), 0);
    assert_int_equal (ws_buf_printf (&buf, "%d", 1234), 0);
    assert_string_equal (buf.data, "hello1234");
    //  Past the limit: refused, unchanged.
    assert_int_equal (ws_buf_append (&buf, "xy", 2), -1);
    assert_string_equal (buf.data, "hello1234");
    assert_int_equal (ws_buf_append (&buf, "!", 1), 0);
    assert_int_equal (buf.len, 10);
    char *text = ws_buf_steal (&buf);
    assert_string_equal (text, "hello1234!");
    free (text);
    assert_int_equal (buf.len, 0);
    ws_buf_reset (&buf);
    ws_buf_free (&buf);
}

static void
test_time (void **state)
{
    (void) state;
    int64_t ms;
    ws_err_t err;
    assert_int_equal (ws_duration_parse ("500ms", &ms, &err), 0);
    assert_int_equal (ms, 500);
    assert_int_equal (ws_duration_parse ("10s", &ms, &err), 0);
    assert_int_equal (ms, 10000);
    assert_int_equal (ws_duration_parse ("2", &ms, &err), 0);
    assert_int_equal (ms, 2000);
    assert_int_equal (ws_duration_parse ("3d", &ms, &err), 0);
    assert_int_equal (ms, 3 * 86400000LL);
    assert_int_equal (ws_duration_parse ("10 s", &ms, &err), -1);
    assert_non_null (strstr (err.text, "\"10 s\""));
    assert_int_equal (ws_duration_parse ("-1s", &ms, &err), -1);
    assert_int_equal (ws_duration_parse ("5y", &ms, &err), -1);
    assert_int_equal (ws_duration_parse ("99999999999999999999s", &ms, &err),
                      -1);
    char text[40];
    ws_duration_format (90000, text, sizeof text);
    assert_string_equal (text, "90s");
    ws_duration_format (7200000, text, sizeof text);
    assert_string_equal (text, "2h");
    ws_duration_format (1500, text, sizeof text);
    assert_string_equal (text, "1500ms");

    assert_int_equal (ws_iso8601_parse ("2027-01-04", &ms, &err), 0);
    assert_int_equal (ms, 1799020800000LL);
    assert_int_equal (ws_iso8601_parse ("2027-01-04T09:15:04Z", &ms, &err), 0);
    assert_int_equal (ms, 1799020800000LL + (9 * 3600 + 15 * 60 + 4) * 1000LL);
    assert_int_equal (
        ws_iso8601_parse ("2027-01-04T11:15:04.5+02:00", &ms, &err), 0);
    assert_int_equal (ms, 1799020800000LL + (9 * 3600 + 15 * 60 + 4) * 1000LL
                              + 500);
    assert_int_equal (ws_iso8601_parse ("2027-02-29", &ms, &err), -1);
    assert_int_equal (ws_iso8601_parse ("2028-02-29", &ms, &err), 0);
    assert_int_equal (ws_iso8601_parse ("2027-13-01", &ms, &err), -1);
    assert_int_equal (ws_iso8601_parse ("2027-01-04T25:00", &ms, &err), -1);
    assert_int_equal (ws_iso8601_parse ("yesterday", &ms, &err), -1);
    assert_non_null (strstr (err.text, "yesterday"));
    ws_iso8601_format (1799020800000LL + 120, text, sizeof text);
    assert_string_equal (text, "2027-01-04T00:00:00.120Z");
    ws_iso8601_format (0, text, sizeof text);
    assert_string_equal (text, "1970-01-01T00:00:00Z");
}

static const ws_config_entry_t s_entries[] = {
    {"credit", WS_CFG_INT, "8", 1, 1024, "jobs held at once"},
    {"heartbeat", WS_CFG_DURATION, "1s", 100, 60000, "beat"},
    {"verbose", WS_CFG_BOOL, "false", 0, 1, "talk more"},
    {"name", WS_CFG_STRING, "w", 1, 16, "a name"},
    {"token", WS_CFG_SECRET, "", 0, 0, "a secret"},
};

static void
test_config (void **state)
{
    (void) state;
    ws_err_t err;
    ws_config_t *config = ws_config_new (s_entries, 5, &err);
    assert_non_null (config);
    assert_int_equal (ws_config_int (config, "credit"), 8);
    assert_int_equal (ws_config_int (config, "heartbeat"), 1000);
    assert_false (ws_config_bool (config, "verbose"));
    //  Bounds and types name the setting.
    assert_int_equal (ws_config_set (config, "credit", "0", &err), -1);
    assert_string_equal (err.text, "config 'credit': 0 is below the minimum 1");
    assert_string_equal (err.where, "credit");
    assert_int_equal (ws_config_set (config, "credit", "many", &err), -1);
    assert_int_equal (ws_config_set (config, "heartbeat", "50ms", &err), -1);
    assert_int_equal (
        ws_config_set (config, "name", "a-very-long-name-indeed", &err), -1);
    assert_int_equal (ws_config_set (config, "nope", "1", &err), -1);
    assert_non_null (strstr (err.text, "unknown setting"));

    //  A file, then the command line over it.
    char path[] = "/tmp/ws-config-XXXXXX";
    int fd = mkstemp (path);
    FILE *file = fdopen (fd, "w");
    fprintf (file, "# a comment\ncredit = 16\n\nheartbeat=2s  # trailing\n"
                   "token = s3cret\n");
    fclose (file);
    char *argv[] = {"prog",      "--config", path, "--credit=32", "rest",
                    "--verbose", "--name",   "x",  NULL};
    int argc = 8;
    bool help;
    assert_int_equal (ws_config_parse_args (config, &argc, argv, &help, &err),
                      0);
    assert_false (help);
    assert_int_equal (argc, 2);
    assert_string_equal (argv[1], "rest");
    assert_int_equal (ws_config_int (config, "credit"), 32);
    assert_int_equal (ws_config_int (config, "heartbeat"), 2000);
    assert_true (ws_config_bool (config, "verbose"));
    assert_string_equal (ws_config_string (config, "name"), "x");
    //  Secrets never show.
    json_t *shown = ws_config_to_json (config);
    char *text = json_dumps (shown, 0);
    assert_null (strstr (text, "s3cret"));
    free (text);
    json_decref (shown);

    //  A bad file line names the file and line.
    file = fopen (path, "w");
    fprintf (file, "credit = 4\nbogus line\n");
    fclose (file);
    assert_int_equal (ws_config_load (config, path, &err), -1);
    assert_non_null (strstr (err.text, "line 2"));
    char *bad[] = {"prog", "--unknown", NULL};
    argc = 2;
    assert_int_equal (ws_config_parse_args (config, &argc, bad, &help, &err),
                      -1);
    assert_non_null (strstr (err.text, "--unknown"));
    char *missing[] = {"prog", "--credit", NULL};
    argc = 2;
    assert_int_equal (
        ws_config_parse_args (config, &argc, missing, &help, &err), -1);
    unlink (path);
    FILE *null = fopen ("/dev/null", "w");
    ws_config_print_help (config, null);
    fclose (null);
    ws_config_destroy (&config);
    assert_null (config);
}

static void
test_err (void **state)
{
    (void) state;
    ws_err_t err;
    assert_int_equal (ws_err_set (&err, WS_ERR_INPUT, "found %d", 3), -1);
    assert_int_equal (ws_err_prefix (&err, "source '%s': ", "x"), -1);
    assert_string_equal (err.text, "source 'x': found 3");
    assert_string_equal (ws_err_code_name (err.code), "input");
    ws_err_where (&err, "/a/%d", 1);
    assert_string_equal (err.where, "/a/1");
    ws_err_clear (&err);
    assert_string_equal (err.text, "");
    assert_int_equal (ws_err_set (NULL, WS_ERR_DB, "x"), -1);  //  NULL-safe
}

static void
test_paths (void **state)
{
    (void) state;
    char dir[256], endpoint[256];
    setenv ("WATERSHED_STATE_DIR", "/tmp/ws-state", 1);
    assert_int_equal (ws_paths_state_dir (dir, sizeof dir), 0);
    assert_string_equal (dir, "/tmp/ws-state");
    assert_int_equal (ws_paths_client_endpoint (dir, endpoint, sizeof endpoint),
                      0);
    assert_string_equal (endpoint, "ipc:///tmp/ws-state/watershedd.sock");
    char longdir[200];
    memset (longdir, 'a', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    assert_int_equal (
        ws_paths_client_endpoint (longdir, endpoint, sizeof endpoint), -1);
    unsetenv ("WATERSHED_STATE_DIR");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_map),  cmocka_unit_test (test_buf),
        cmocka_unit_test (test_time), cmocka_unit_test (test_config),
        cmocka_unit_test (test_err),  cmocka_unit_test (test_paths),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
