//  test_import - the coordinator's "import" request (issue 5) against a
//  real PostgreSQL, with this test as a client that does not check what
//  it sends: good history lands once (re-import changes nothing, a
//  corrected value is updated, a dry run writes nothing), and every
//  malformed request is refused with an error naming the field and row,
//  with nothing written and the coordinator still answering.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ws_config.h"
#include "ws_coord.h"
#include "ws_db.h"
#include "ws_loop.h"
#include "ws_msg.h"
#include "ws_test_pg.h"

//  What differs from watershedd's defaults (ws_coord_config_entries)
//  for a quick test.
static const char *const s_settings[][2] = {
    {"workers", "tcp://127.0.0.1:*"}, {"clients", "inproc://import-clients"},
    {"heartbeat", "200ms"},           {"max-outstanding", "16"},
    {"flush-interval", "20ms"},       {"drain-timeout", "1s"},
    {"analysis-windows", ""},         {"analysis-horizon", "3"},
};

static struct {
    ws_pgcluster_t *cluster;
    PGconn *conn;  //  this test's own look at the tables
    ws_db_t *db;
    ws_loop_t *loop;
    ws_config_t *config;
    void *context;
    ws_coord_t *coord;
    void *client;  //  DEALER
    json_int_t next_id;
} s_fx;

static int
s_stop (ws_loop_t *loop, void *arg)
{
    (void) arg;
    ws_loop_stop (loop);
    return 0;
}

//  Send a REQUEST and run the coordinator's loop until its REPLY comes.
//  Returns the REPLY's body (caller owns).
static json_t *
s_call (const char *command, json_t *args)
{
    json_int_t id = ++s_fx.next_id;
    json_t *body = json_pack ("{s:I, s:s, s:o}", "id", id, "command", command,
                              "args", args);
    ws_msg_t *msg = ws_msg_new (WS_MSG_REQUEST, &body);
    ws_err_t err;
    if (ws_msg_send (&msg, s_fx.client, &err))
        fail_msg ("send: %s", err.text);
    int64_t deadline = ws_clock_ms () + 20000;
    while (ws_clock_ms () < deadline) {
        ws_loop_timer (s_fx.loop, 5, false, s_stop, NULL);
        ws_loop_run (s_fx.loop);
        ws_msg_t *reply =
            ws_msg_recv (s_fx.client, false, ZMQ_DONTWAIT, &err, NULL, NULL);
        if (!reply && err.code != WS_ERR_TIMEOUT)
            fail_msg ("the coordinator sent a malformed message: %s", err.text);
        if (!reply)
            continue;
        assert_int_equal (ws_msg_id (reply), WS_MSG_REPLY);
        json_t *result = json_incref (ws_msg_body (reply));
        ws_msg_destroy (&reply);
        assert_int_equal (json_integer_value (json_object_get (result, "id")),
                          id);
        return result;
    }
    fail_msg ("no reply to %s", command);
    return NULL;
}

static long long
s_count (const char *sql)
{
    PGresult *result = PQexec (s_fx.conn, sql);
    if (PQresultStatus (result) != PGRES_TUPLES_OK)
        fail_msg ("%s: %s", sql, PQresultErrorMessage (result));
    long long value = atoll (PQgetvalue (result, 0, 0));
    PQclear (result);
    return value;
}

static json_int_t
s_int (json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    if (!json_is_integer (value))
        fail_msg ("\"%s\" is not an integer", key);
    return json_integer_value (value);
}

//  Three days of history, 2024-01-01..03 at midnight UTC.
static json_t *
s_args (const char *metric, double first_value)
{
    return json_pack ("{s:s, s:{s:s}, s:[I, I, I], s:[f, f, f]}", "metric",
                      metric, "labels", "region", "eu", "t",
                      (json_int_t) 1704067200000, (json_int_t) 1704153600000,
                      (json_int_t) 1704240000000, "value", first_value, 2.5,
                      3.0);
}

static int
s_setup (void **state)
{
    (void) state;
    ws_err_t err;
    s_fx.cluster = ws_test_pg_start ();
    if (!s_fx.cluster)
        return -1;
    s_fx.db = ws_db_new (ws_pgcluster_conninfo (s_fx.cluster));
    if (ws_db_connect (s_fx.db, &err) || ws_db_migrate (s_fx.db, &err) < 0)
        fail_msg ("%s", err.text);
    s_fx.conn = ws_test_pg_connect (s_fx.cluster);
    if (!s_fx.conn)
        return -1;
    s_fx.loop = ws_loop_new ();
    size_t entry_count;
    const ws_config_entry_t *entries = ws_coord_config_entries (&entry_count);
    s_fx.config = ws_config_new (entries, entry_count, &err);
    for (size_t i = 0; i < sizeof s_settings / sizeof s_settings[0]; i++)
        if (ws_config_set (s_fx.config, s_settings[i][0], s_settings[i][1],
                           &err))
            fail_msg ("%s", err.text);
    s_fx.context = zmq_ctx_new ();
    s_fx.coord =
        ws_coord_new (s_fx.loop, s_fx.config, s_fx.db, s_fx.context, &err);
    if (!s_fx.coord || ws_coord_start (s_fx.coord, &err))
        fail_msg ("%s", err.text);
    s_fx.client = zmq_socket (s_fx.context, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt (s_fx.client, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal (
        zmq_connect (s_fx.client, ws_coord_client_endpoint (s_fx.coord)), 0);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    zmq_close (s_fx.client);
    ws_coord_destroy (&s_fx.coord);
    zmq_ctx_term (s_fx.context);
    ws_loop_destroy (&s_fx.loop);
    ws_config_destroy (&s_fx.config);
    ws_db_destroy (&s_fx.db);
    PQfinish (s_fx.conn);
    return ws_test_pg_stop (&s_fx.cluster);
}

static void
test_import_idempotent (void **state)
{
    (void) state;
    //  A dry run reports and writes nothing, not even the series.
    json_t *args = s_args ("visits", 1.0);
    json_object_set_new (args, "dry_run", json_true ());
    json_t *reply = s_call ("import", args);
    assert_true (json_is_true (json_object_get (reply, "ok")));
    json_t *report = json_object_get (reply, "result");
    assert_int_equal (s_int (report, "inserted"), 3);
    assert_true (json_is_true (json_object_get (report, "created")));
    assert_true (json_is_null (json_object_get (report, "series_id")));
    json_decref (reply);
    assert_int_equal (s_count ("SELECT count(*) FROM series"), 0);

    reply = s_call ("import", s_args ("visits", 1.0));
    assert_true (json_is_true (json_object_get (reply, "ok")));
    report = json_object_get (reply, "result");
    assert_int_equal (s_int (report, "rows"), 3);
    assert_int_equal (s_int (report, "inserted"), 3);
    assert_int_equal (s_int (report, "updated"), 0);
    assert_int_equal (s_int (report, "unchanged"), 0);
    assert_int_equal (s_int (report, "from"), 1704067200000);
    assert_int_equal (s_int (report, "to"), 1704240000000);
    assert_string_equal (json_string_value (json_object_get (report, "type")),
                         "gauge");
    json_int_t id = s_int (report, "series_id");
    json_decref (reply);
    assert_int_equal (
        s_count ("SELECT count(*) FROM samples s JOIN series r ON r.id ="
                 " s.series_id WHERE r.metric = 'visits' AND r.labels ="
                 " '{\"region\": \"eu\"}'"),
        3);

    //  The same history again changes nothing.
    reply = s_call ("import", s_args ("visits", 1.0));
    report = json_object_get (reply, "result");
    assert_int_equal (s_int (report, "inserted"), 0);
    assert_int_equal (s_int (report, "updated"), 0);
    assert_int_equal (s_int (report, "unchanged"), 3);
    assert_int_equal (s_int (report, "series_id"), id);
    json_decref (reply);

    //  A corrected value is updated; a dry run of it says so and keeps
    //  the old value.
    args = s_args ("visits", 1.25);
    json_object_set_new (args, "dry_run", json_true ());
    reply = s_call ("import", args);
    assert_int_equal (s_int (json_object_get (reply, "result"), "updated"), 1);
    json_decref (reply);
    assert_int_equal (
        s_count ("SELECT count(*) FROM samples WHERE value = 1.25"), 0);
    reply = s_call ("import", s_args ("visits", 1.25));
    report = json_object_get (reply, "result");
    assert_int_equal (s_int (report, "inserted"), 0);
    assert_int_equal (s_int (report, "updated"), 1);
    assert_int_equal (s_int (report, "unchanged"), 2);
    json_decref (reply);
    assert_int_equal (
        s_count ("SELECT count(*) FROM samples WHERE value = 1.25"), 1);

    //  A series keeps its type and period.
    args = s_args ("visits", 1.25);
    json_object_set_new (args, "type", json_string ("counter"));
    reply = s_call ("import", args);
    assert_true (json_is_false (json_object_get (reply, "ok")));
    assert_string_equal (json_string_value (json_object_get (reply, "where")),
                         "/type");
    json_decref (reply);
    args = s_args ("daily", 4);
    json_object_set_new (args, "type", json_string ("per_period"));
    reply = s_call ("import", args);
    assert_int_equal (s_int (json_object_get (reply, "result"), "period_ms"),
                      86400000);
    json_decref (reply);
    args = s_args ("daily", 4);
    json_object_set_new (args, "type", json_string ("per_period"));
    json_object_set_new (args, "period_ms", json_integer (3600000));
    reply = s_call ("import", args);
    assert_string_equal (json_string_value (json_object_get (reply, "where")),
                         "/period_ms");
    json_decref (reply);
}

//  args with key set to value (steals value); NULL value removes key.
static json_t *
s_with (const char *key, json_t *value)
{
    json_t *args = s_args ("hostile", 1.0);
    if (value)
        json_object_set_new (args, key, value);
    else
        json_object_del (args, key);
    return args;
}

static void
test_import_refused (void **state)
{
    (void) state;
    long long series = s_count ("SELECT count(*) FROM series");
    long long samples = s_count ("SELECT count(*) FROM samples");
    json_t *t_bad = json_pack ("[I, s, I]", (json_int_t) 1704067200000, "x",
                               (json_int_t) 1704240000000);
    json_t *t_negative =
        json_pack ("[I, I, I]", (json_int_t) 1704067200000, (json_int_t) -5,
                   (json_int_t) 1704240000000);
    json_t *t_real = json_pack ("[I, f, I]", (json_int_t) 1704067200000,
                                1704153600000.0, (json_int_t) 1704240000000);
    json_t *t_late =
        json_pack ("[I, I, I]", (json_int_t) 1704067200000,
                   (json_int_t) 253402300800000, (json_int_t) 1704240000000);
    json_t *t_twice =
        json_pack ("[I, I, I]", (json_int_t) 1704067200000,
                   (json_int_t) 1704153600000, (json_int_t) 1704067200000);
    json_t *too_many = json_array ();
    for (int i = 0; i < 2000001; i++)
        json_array_append_new (too_many, json_integer (i));
    struct {
        json_t *args;
        const char *where;
        const char *says;
    } cases[] = {
        {s_with ("colour", json_string ("red")), "/colour", "unknown key"},
        {s_with ("metric", NULL), "/metric", "found nothing"},
        {s_with ("metric", json_string ("9lives")), "/metric", "metric name"},
        {s_with ("metric", json_integer (5)), "/metric", "found 5"},
        {s_with ("labels", json_string ("eu")), "/labels", "an object"},
        {s_with ("labels", json_pack ("{s:s}", "9x", "a")), "/labels/9x",
         "bad label name"},
        {s_with ("labels", json_pack ("{s:i}", "region", 1)), "/labels/region",
         "a string"},
        {s_with ("type", json_string ("rate")), "/type", "\"gauge\""},
        {s_with ("period_ms", json_integer (5)), "/period_ms", "1000.."},
        {s_with ("period_ms", json_integer (86400000)), "/period_ms",
         "only a per_period"},
        {s_with ("dry_run", json_string ("yes")), "/dry_run", "a boolean"},
        {s_with ("t", NULL), "/t", "found nothing"},
        {s_with ("t", json_array ()), "/t", "an empty array"},
        {s_with ("t", json_string ("x")), "/t", "an array of"},
        {s_with ("t", too_many), "/t", "1..2000000"},
        {s_with ("t", t_bad), "/t/1", "found \"x\""},
        {s_with ("t", t_negative), "/t/1", "found -5"},
        {s_with ("t", t_real), "/t/1", "an integer"},
        {s_with ("t", t_late), "/t/1", "1970 to 9999"},
        {s_with ("t", t_twice), "/t/2", "repeats /t/0"},
        {s_with ("value", json_pack ("[f, f]", 1.0, 2.0)), "/value",
         "an array of 3 numbers"},
        {s_with ("value", json_pack ("[f, s, f]", 1.0, "2", 3.0)), "/value/1",
         "a number"},
        {s_with ("value", json_pack ("[f, n, f]", 1.0, 3.0)), "/value/1",
         "found null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *reply = s_call ("import", cases[i].args);
        if (!json_is_false (json_object_get (reply, "ok")))
            fail_msg ("case %zu (%s) was not refused", i, cases[i].where);
        const char *error =
            json_string_value (json_object_get (reply, "error"));
        const char *where =
            json_string_value (json_object_get (reply, "where"));
        if (!where || strcmp (where, cases[i].where) != 0
            || !strstr (error, cases[i].says) || !strstr (error, cases[i].where)
            || strcmp (json_string_value (json_object_get (reply, "code")),
                       "input")
                   != 0)
            fail_msg ("case %zu: expected %s saying '%s', got %s: %s", i,
                      cases[i].where, cases[i].says, where ? where : "(none)",
                      error);
        json_decref (reply);
    }
    assert_int_equal (s_count ("SELECT count(*) FROM series"), series);
    assert_int_equal (s_count ("SELECT count(*) FROM samples"), samples);
    //  And the coordinator goes on answering.
    json_t *reply = s_call ("status", json_object ());
    assert_true (json_is_true (json_object_get (reply, "ok")));
    json_decref (reply);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_import_idempotent),
        cmocka_unit_test (test_import_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
