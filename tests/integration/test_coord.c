//  test_coord - the coordinator (ws_coord) against a real PostgreSQL,
//  with this test playing the worker over a real DEALER socket: READY,
//  JOBs that pass the codec, credit respected, RESULTs committed then
//  ACKed, a re-sent result stored once, an unknown peer told to READY,
//  a silent worker's jobs dispatched again, malformed messages refused.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <zmq.h>

#include "ws_config.h"
#include "ws_coord.h"
#include "ws_db.h"
#include "ws_loop.h"
#include "ws_msg.h"
#include "ws_source.h"
#include "ws_test_pg.h"

//  What differs from watershedd's defaults (ws_coord_config_entries)
//  for a quick test.
static const char *const s_settings[][2] = {
    {"workers", "tcp://127.0.0.1:*"}, {"clients", "inproc://clients"},
    {"heartbeat", "200ms"},           {"max-outstanding", "16"},
    {"flush-interval", "20ms"},       {"drain-timeout", "1s"},
    {"analysis-windows", "1"},        {"analysis-step", "1s"},
    {"analysis-debounce", "500ms"},   {"analysis-interval", "1h"},
    {"analysis-horizon", "3"},
};

typedef struct {
    ws_pgcluster_t *cluster;
    ws_db_t *db;
    ws_loop_t *loop;
    ws_config_t *config;
    void *context;
    ws_coord_t *coord;
    void *worker;  //  DEALER: this test as a worker
} s_fixture_t;

static s_fixture_t s_fx;

//  Run the coordinator's loop for about ms milliseconds.
static int
s_stop (ws_loop_t *loop, void *arg)
{
    (void) arg;
    ws_loop_stop (loop);
    return 0;
}

static void
s_run (int ms)
{
    ws_loop_timer (s_fx.loop, ms, false, s_stop, NULL);
    ws_loop_run (s_fx.loop);
}

//  The next message to the worker, running the loop while waiting.
static ws_msg_t *
s_next (ws_msg_id_t want, int timeout_ms)
{
    int64_t deadline = ws_clock_ms () + timeout_ms;
    while (ws_clock_ms () < deadline) {
        ws_err_t err;
        ws_msg_t *msg =
            ws_msg_recv (s_fx.worker, false, ZMQ_DONTWAIT, &err, NULL, NULL);
        if (!msg && err.code != WS_ERR_TIMEOUT)
            fail_msg ("the coordinator sent a malformed message: %s", err.text);
        if (msg && ws_msg_id (msg) == want)
            return msg;
        ws_msg_destroy (&msg);
        //  A live worker beats; only test_silent_worker goes quiet, by
        //  running the loop without calling this.
        json_t *beat = json_object ();
        ws_msg_t *heartbeat = ws_msg_new (WS_MSG_HEARTBEAT, &beat);
        ws_msg_send (&heartbeat, s_fx.worker, &err);
        s_run (10);
    }
    return NULL;
}

static void
s_send (ws_msg_id_t id, json_t *body)
{
    ws_msg_t *msg = ws_msg_new (id, &body);
    ws_err_t err;
    if (ws_msg_send (&msg, s_fx.worker, &err))
        fail_msg ("send: %s", err.text);
}

static void
s_worker_connect (void)
{
    if (s_fx.worker)
        zmq_close (s_fx.worker);
    s_fx.worker = zmq_socket (s_fx.context, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt (s_fx.worker, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal (
        zmq_connect (s_fx.worker, ws_coord_worker_endpoint (s_fx.coord)), 0);
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
    //  Four sources at 200 ms, three metrics each.
    json_t *defs = json_array ();
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf (name, sizeof name, "src%d", i);
        json_t *def = json_pack (
            "{s:s, s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s},"
            " {s:s, s:s, s:s, s:s}]}",
            "name", name, "url", "http://127.0.0.1:1/x", "interval", "200ms",
            "labels", "src", name, "metrics", "name", "a", "type", "gauge",
            "json", "/a", "name", "b", "type", "counter", "json", "/b", "name",
            "c", "type", "per_period", "period", "1d", "json", "/c");
        ws_source_t *source = ws_source_new (def, &err);
        if (!source)
            fail_msg ("%s", err.text);
        json_array_append_new (defs, ws_source_to_json (source));
        ws_source_destroy (&source);
        json_decref (def);
    }
    json_t *report;
    if (ws_db_apply_sources (s_fx.db, defs, false, false, &report, &err))
        fail_msg ("%s", err.text);
    json_decref (report);
    json_decref (defs);
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
    s_worker_connect ();
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    zmq_close (s_fx.worker);
    ws_coord_destroy (&s_fx.coord);
    zmq_ctx_term (s_fx.context);
    ws_loop_destroy (&s_fx.loop);
    ws_config_destroy (&s_fx.config);
    ws_db_destroy (&s_fx.db);
    return ws_test_pg_stop (&s_fx.cluster);
}

static json_t *
s_result_for (json_t *job, double value)
{
    json_t *samples = json_array ();
    static const char *metrics[] = {"a", "b", "c"};
    static const char *types[] = {"gauge", "counter", "per_period"};
    const char *name = json_string_value (
        json_object_get (json_object_get (job, "source"), "name"));
    for (int i = 0; i < 3; i++)
        json_array_append_new (samples,
                               json_pack ("{s:s, s:{s:s}, s:s, s:f}", "metric",
                                          metrics[i], "labels", "src", name,
                                          "type", types[i], "value", value));
    return json_pack ("{s:O, s:O, s:s, s:O, s:O, s:b, s:n, s:n, s:i, s:i, s:i,"
                      " s:o}",
                      "id", json_object_get (job, "id"), "attempt",
                      json_object_get (job, "attempt"), "kind", "collect",
                      "source_id", json_object_get (job, "source_id"), "tick",
                      json_object_get (job, "tick"), "ok", 1, "error",
                      "error_kind", "http_status", 200, "duration_ms", 3,
                      "bytes", 40, "samples", samples);
}

static void
test_jobs_results_acks (void **state)
{
    (void) state;
    //  Before READY the coordinator does not know us.
    s_send (WS_MSG_HEARTBEAT, json_object ());
    ws_msg_t *error = s_next (WS_MSG_ERROR, 2000);
    assert_non_null (error);
    assert_string_equal (
        json_string_value (json_object_get (ws_msg_body (error), "code")),
        "unknown-peer");
    ws_msg_destroy (&error);

    s_send (WS_MSG_READY,
            json_pack ("{s:s, s:i, s:i, s:s, s:s}", "name", "t", "credit", 3,
                       "pid", 1, "host", "test", "version", "0"));
    //  Jobs come (they passed ws_msg_recv's checks) within our credit.
    ws_msg_t *msg = s_next (WS_MSG_JOB, 3000);
    assert_non_null (msg);
    json_t *jobs = json_incref (json_object_get (ws_msg_body (msg), "jobs"));
    ws_msg_destroy (&msg);
    assert_true (json_array_size (jobs) >= 1 && json_array_size (jobs) <= 3);
    //  Credit: nothing more until results come back.
    msg = s_next (WS_MSG_JOB, 500);
    if (msg) {
        size_t more =
            json_array_size (json_object_get (ws_msg_body (msg), "jobs"));
        assert_true (json_array_size (jobs) + more <= 3);
        ws_msg_destroy (&msg);
    }
    //  Results: committed, then ACKed.
    json_t *results = json_array ();
    size_t index;
    json_t *job;
    json_array_foreach (jobs, index, job)
        json_array_append_new (results, s_result_for (job, 42));
    json_t *again = json_deep_copy (results);
    s_send (WS_MSG_RESULT, json_pack ("{s:o}", "results", results));
    ws_msg_t *ack = s_next (WS_MSG_ACK, 3000);
    assert_non_null (ack);
    assert_int_equal (
        json_array_size (json_object_get (ws_msg_body (ack), "ids")),
        json_array_size (jobs));
    ws_msg_destroy (&ack);
    ws_err_t err;
    json_t *stored = ws_db_query_samples (s_fx.db, "a", NULL, 0, 0, 100, &err);
    assert_int_equal (json_array_size (stored), json_array_size (jobs));
    json_decref (stored);
    //  The same results again (as after a reconnect): ACKed, stored once.
    s_send (WS_MSG_RESULT, json_pack ("{s:o}", "results", again));
    ack = s_next (WS_MSG_ACK, 3000);
    assert_non_null (ack);
    ws_msg_destroy (&ack);
    stored = ws_db_query_samples (s_fx.db, "b", NULL, 0, 0, 100, &err);
    assert_int_equal (json_array_size (stored), json_array_size (jobs));
    json_decref (stored);
    json_decref (jobs);
}

//  The compact form of a result (PROTOCOL.md 4.4): one value per rule.
static json_t *
s_values_result (json_t *job, double value)
{
    return json_pack ("{s:O, s:O, s:s, s:O, s:O, s:b, s:i, s:i, s:i, s:O,"
                      " s:[f, f, f]}",
                      "id", json_object_get (job, "id"), "attempt",
                      json_object_get (job, "attempt"), "kind", "collect",
                      "source_id", json_object_get (job, "source_id"), "tick",
                      json_object_get (job, "tick"), "ok", 1, "http_status",
                      200, "duration_ms", 3, "bytes", 40, "version",
                      json_object_get (job, "version"), "values", value, value,
                      value);
}

//  The writer's connection dies between two batches: the next batch
//  fails, stays buffered (nothing ACKed), and is written after the
//  writer reconnects; then it is ACKed and stored once.
static void
test_writer_lost (void **state)
{
    (void) state;
    PGconn *conn = ws_test_pg_connect (s_fx.cluster);
    assert_non_null (conn);
    PGresult *killed = PQexec (
        conn, "SELECT count(*) FROM (SELECT pg_terminate_backend"
              " (pid) FROM pg_stat_activity WHERE query LIKE"
              " 'INSERT INTO samples%' AND pid <> pg_backend_pid ()) t");
    assert_int_equal (PQresultStatus (killed), PGRES_TUPLES_OK);
    assert_int_equal (atoi (PQgetvalue (killed, 0, 0)), 1);
    PQclear (killed);
    //  A fresh worker, so that jobs come at once.
    s_worker_connect ();
    s_send (WS_MSG_READY,
            json_pack ("{s:s, s:i, s:i, s:s, s:s}", "name", "w2", "credit", 3,
                       "pid", 4, "host", "test", "version", "0"));
    ws_msg_t *msg = s_next (WS_MSG_JOB, 3000);
    assert_non_null (msg);
    json_t *jobs = json_object_get (ws_msg_body (msg), "jobs");
    json_t *results = json_array ();
    size_t index;
    json_t *job;
    json_array_foreach (jobs, index, job)
        json_array_append_new (results, s_values_result (job, 7.5));
    size_t count = json_array_size (jobs);
    ws_msg_destroy (&msg);
    s_send (WS_MSG_RESULT, json_pack ("{s:o}", "results", results));
    ws_msg_t *ack = s_next (WS_MSG_ACK, 5000);
    assert_non_null (ack);
    assert_int_equal (
        json_array_size (json_object_get (ws_msg_body (ack), "ids")), count);
    ws_msg_destroy (&ack);
    PGresult *stored = PQexec (conn, "SELECT count(*) FROM samples WHERE"
                                     " value = 7.5");
    assert_int_equal (atoi (PQgetvalue (stored, 0, 0)), (int) count * 3);
    PQclear (stored);
    PQfinish (conn);
}

//  A client's REQUEST to the coordinator, answered while the loop runs:
//  the REPLY's body (caller owns), or NULL.
static json_t *
s_request (const char *command, json_t *args)
{
    void *client = zmq_socket (s_fx.context, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt (client, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal (zmq_connect (client, "inproc://clients"), 0);
    json_t *body = json_pack ("{s:i, s:s, s:o}", "id", 1, "command", command,
                              "args", args);
    ws_msg_t *msg = ws_msg_new (WS_MSG_REQUEST, &body);
    ws_err_t err;
    assert_int_equal (ws_msg_send (&msg, client, &err), 0);
    json_t *reply = NULL;
    for (int i = 0; i < 300 && !reply; i++) {
        s_run (10);
        ws_msg_t *answer =
            ws_msg_recv (client, false, ZMQ_DONTWAIT, &err, NULL, NULL);
        if (answer)
            reply = json_incref (ws_msg_body (answer));
        ws_msg_destroy (&answer);
    }
    zmq_close (client);
    assert_non_null (reply);
    return reply;
}

//  One bad row never sinks a batch: a constraint of the DBA's refuses
//  one value; the batch is split until the row is found, the other rows
//  are stored and ACKed, the refused one is counted and shown as an
//  error of its source.
static void
test_bad_row (void **state)
{
    (void) state;
    PGconn *conn = ws_test_pg_connect (s_fx.cluster);
    assert_non_null (conn);
    PGresult *result = PQexec (conn, "ALTER TABLE samples ADD CONSTRAINT"
                                     " not_666 CHECK (value <> 666)");
    assert_int_equal (PQresultStatus (result), PGRES_COMMAND_OK);
    PQclear (result);
    s_worker_connect ();
    s_send (WS_MSG_READY,
            json_pack ("{s:s, s:i, s:i, s:s, s:s}", "name", "w3", "credit", 3,
                       "pid", 5, "host", "test", "version", "0"));
    ws_msg_t *msg = s_next (WS_MSG_JOB, 3000);
    assert_non_null (msg);
    json_t *jobs = json_object_get (ws_msg_body (msg), "jobs");
    size_t count = json_array_size (jobs);
    json_t *results = json_array ();
    size_t index;
    json_t *job;
    //  Per job: a good a, a refused b, a good c.
    json_array_foreach (jobs, index, job) {
        json_t *one = s_values_result (job, 8.25);
        json_array_set_new (json_object_get (one, "values"), 1,
                            json_real (666));
        json_array_append_new (results, one);
    }
    ws_msg_destroy (&msg);
    s_send (WS_MSG_RESULT, json_pack ("{s:o}", "results", results));
    ws_msg_t *ack = s_next (WS_MSG_ACK, 5000);
    assert_non_null (ack);
    assert_int_equal (
        json_array_size (json_object_get (ws_msg_body (ack), "ids")), count);
    ws_msg_destroy (&ack);
    result = PQexec (conn, "SELECT count(*) FILTER (WHERE value = 8.25),"
                           " count(*) FILTER (WHERE value = 666) FROM samples");
    assert_int_equal (atoi (PQgetvalue (result, 0, 0)), (int) count * 2);
    assert_int_equal (atoi (PQgetvalue (result, 0, 1)), 0);
    PQclear (result);
    result = PQexec (conn, "ALTER TABLE samples DROP CONSTRAINT not_666");
    PQclear (result);
    PQfinish (conn);
    //  Counted in status; each source says why.
    json_t *reply = s_request ("status", json_object ());
    assert_int_equal (
        json_integer_value (json_object_get (
            json_object_get (json_object_get (reply, "result"), "counters"),
            "samples_refused")),
        (json_int_t) count);
    json_decref (reply);
    reply = s_request ("sources", json_object ());
    size_t refused = 0;
    json_t *source;
    json_array_foreach (json_object_get (reply, "result"), index, source) {
        const char *error =
            json_string_value (json_object_get (source, "last_error"));
        refused += error && strstr (error, "refused by the database")
                   && strstr (error, "not_666");
    }
    json_decref (reply);
    assert_true (refused >= 1);
}

//  A RESULT for an analysis job: rising when p < 0.05, with a change
//  point on 2026-01-05 either way. round makes a new job id (the
//  coordinator stores results of jobs it does not know, as after its
//  restart).
static json_t *
s_analysis_result (json_t *job, int round, double p)
{
    return json_pack (
        "{s:I, s:O, s:s, s:O, s:O, s:O, s:b, s:n, s:n,"
        " s:{s:i, s:s, s:{s:f, s:f}, s:{s:f}, s:{s:f, s:s, s:i, s:f, s:f}}}",
        "id",
        json_integer_value (json_object_get (job, "id")) + 1000000 * round,
        "attempt", json_object_get (job, "attempt"), "kind", "analyze", "tick",
        json_object_get (job, "tick"), "series_id",
        json_object_get (job, "series_id"), "window_days",
        json_object_get (job, "window_days"), "ok", 1, "error", "error_kind",
        "analysis", "n", 5, "direction", "up", "mann_kendall", "z", 3.1, "p", p,
        "sen", "slope", 2.0, "pettitt", "p", 0.01, "t", "2026-01-05T00:00:00Z",
        "index", 2, "mean_before", 1.0, "mean_after", 3.0);
}

static int
s_alert_count (void)
{
    PGconn *db = ws_test_pg_connect (s_fx.cluster);
    PGresult *result = PQexec (db, "SELECT count(*) FROM alerts");
    int count = atoi (PQgetvalue (result, 0, 0));
    PQclear (result);
    PQfinish (db);
    return count;
}

//  Send one analysis result and wait for its ACK.
static void
s_analysis_round (json_t *job, int round, double p)
{
    json_t *result = s_analysis_result (job, round, p);
    json_t *id = json_incref (json_object_get (result, "id"));
    s_send (WS_MSG_RESULT, json_pack ("{s:[o]}", "results", result));
    bool acked = false;
    for (int i = 0; i < 20 && !acked; i++) {
        ws_msg_t *ack = s_next (WS_MSG_ACK, 500);
        if (!ack)
            continue;
        size_t index;
        json_t *item;
        json_array_foreach (json_object_get (ws_msg_body (ack), "ids"), index,
                            item)
            if (json_equal (item, id))
                acked = true;
        ws_msg_destroy (&ack);
    }
    json_decref (id);
    assert_true (acked);
}

static void
test_analysis (void **state)
{
    (void) state;
    //  The samples committed above make their series dirty: after the
    //  debounce, analysis jobs arrive with the rolled-up series. Collect
    //  jobs are answered too, so more samples keep arriving.
    s_worker_connect ();
    s_send (WS_MSG_READY,
            json_pack ("{s:s, s:i, s:i, s:s, s:s}", "name", "analyst", "credit",
                       100, "pid", 4, "host", "test", "version", "0"));
    json_t *analyze = NULL;
    for (int i = 0; i < 40 && !analyze; i++) {
        ws_msg_t *msg = s_next (WS_MSG_JOB, 500);
        if (!msg)
            continue;
        json_t *results = json_array ();
        size_t index;
        json_t *job;
        json_array_foreach (json_object_get (ws_msg_body (msg), "jobs"), index,
                            job) {
            if (strcmp (json_string_value (json_object_get (job, "kind")),
                        "analyze")
                == 0) {
                if (!analyze)
                    analyze = json_incref (job);
            }
            else
                json_array_append_new (results, s_result_for (job, i));
        }
        if (json_array_size (results))
            s_send (WS_MSG_RESULT, json_pack ("{s:o}", "results", results));
        else
            json_decref (results);
        ws_msg_destroy (&msg);
    }
    assert_non_null (analyze);
    json_t *series = json_object_get (analyze, "series");
    assert_int_equal (json_array_size (json_object_get (series, "t")),
                      json_array_size (json_object_get (series, "x")));
    assert_int_equal (
        json_integer_value (json_object_get (analyze, "window_days")), 1);
    json_t *result = s_analysis_result (analyze, 0, 0.001);
    s_send (WS_MSG_RESULT, json_pack ("{s:[o]}", "results", result));
    //  Its ACK (other ACKs, of collect results, may come first).
    bool acked = false;
    for (int i = 0; i < 20 && !acked; i++) {
        ws_msg_t *ack = s_next (WS_MSG_ACK, 500);
        if (!ack)
            continue;
        size_t index;
        json_t *id;
        json_array_foreach (json_object_get (ws_msg_body (ack), "ids"), index,
                            id)
            if (json_equal (id, json_object_get (analyze, "id")))
                acked = true;
        ws_msg_destroy (&ack);
    }
    assert_true (acked);
    ws_err_t err;
    json_t *trends = ws_db_list_trends (s_fx.db, NULL, NULL, &err);
    assert_non_null (trends);
    assert_true (json_array_size (trends) >= 1);
    json_t *first = json_array_get (trends, 0);
    assert_string_equal (
        json_string_value (json_object_get (first, "direction")), "up");
    assert_int_equal (json_integer_value (json_object_get (first, "n")), 5);
    json_decref (trends);

    //  The first analysis raised two alerts: the series turned rising,
    //  and a change point. The same analysis again raises none; losing
    //  the trend raises none; rising again is a new turn.
    assert_int_equal (s_alert_count (), 2);
    s_analysis_round (analyze, 1, 0.001);
    assert_int_equal (s_alert_count (), 2);
    s_analysis_round (analyze, 2, 0.5);
    assert_int_equal (s_alert_count (), 2);
    s_analysis_round (analyze, 3, 0.002);
    assert_int_equal (s_alert_count (), 3);
    json_decref (analyze);
}

static void
test_silent_worker (void **state)
{
    (void) state;
    //  A worker that takes jobs and goes silent: after its liveness the
    //  jobs go to the next worker with attempt 2.
    s_worker_connect ();
    s_send (WS_MSG_READY,
            json_pack ("{s:s, s:i, s:i, s:s, s:s}", "name", "silent", "credit",
                       2, "pid", 2, "host", "test", "version", "0"));
    ws_msg_t *msg = s_next (WS_MSG_JOB, 3000);
    assert_non_null (msg);
    ws_msg_destroy (&msg);
    //  Say nothing for > 3 heartbeats, then come back as a new worker.
    s_run (1000);
    s_worker_connect ();
    s_send (WS_MSG_READY,
            json_pack ("{s:s, s:i, s:i, s:s, s:s}", "name", "second", "credit",
                       50, "pid", 3, "host", "test", "version", "0"));
    bool retried = false;
    for (int i = 0; i < 20 && !retried; i++) {
        msg = s_next (WS_MSG_JOB, 500);
        if (!msg)
            continue;
        size_t index;
        json_t *job;
        json_array_foreach (json_object_get (ws_msg_body (msg), "jobs"), index,
                            job)
            if (json_integer_value (json_object_get (job, "attempt")) >= 2)
                retried = true;
        ws_msg_destroy (&msg);
    }
    assert_true (retried);
}

static void
test_malformed (void **state)
{
    (void) state;
    //  A malformed message is refused with an ERROR to that peer only.
    zmq_send (s_fx.worker, "WSP/1", 5, ZMQ_SNDMORE);
    zmq_send (s_fx.worker, "RESULT", 6, ZMQ_SNDMORE);
    zmq_send (s_fx.worker, "{\"results\": 7}", 14, 0);
    ws_msg_t *error = s_next (WS_MSG_ERROR, 2000);
    assert_non_null (error);
    assert_non_null (strstr (
        json_string_value (json_object_get (ws_msg_body (error), "text")),
        "/results"));
    ws_msg_destroy (&error);
    //  The coordinator goes on: a heartbeat still gets answered.
    s_send (WS_MSG_HEARTBEAT, json_object ());
    s_run (300);
    ws_coord_drain (s_fx.coord);
    s_run (1500);
}

//  A message over ZMQ_MAXMSGSIZE (WS_MSG_MAX_BODY and some) cuts that
//  peer's connection only: the coordinator goes on with the others.
static void
test_oversized (void **state)
{
    (void) state;
    void *intruder = zmq_socket (s_fx.context, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt (intruder, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal (zmq_socket_monitor (intruder, "inproc://intruder",
                                          ZMQ_EVENT_DISCONNECTED),
                      0);
    void *monitor = zmq_socket (s_fx.context, ZMQ_PAIR);
    assert_int_equal (zmq_connect (monitor, "inproc://intruder"), 0);
    assert_int_equal (
        zmq_connect (intruder, ws_coord_worker_endpoint (s_fx.coord)), 0);
    size_t size = WS_MSG_MAX_BODY + 8192;
    char *body = malloc (size);
    assert_non_null (body);
    memset (body, ' ', size);
    zmq_send (intruder, "WSP/1", 5, ZMQ_SNDMORE);
    zmq_send (intruder, "RESULT", 6, ZMQ_SNDMORE);
    zmq_send (intruder, body, size, 0);
    free (body);
    bool cut = false;
    for (int i = 0; i < 500 && !cut; i++) {
        s_run (10);
        zmq_msg_t event;
        zmq_msg_init (&event);
        if (zmq_msg_recv (&event, monitor, ZMQ_DONTWAIT) >= 0) {
            uint16_t id;
            memcpy (&id, zmq_msg_data (&event), sizeof id);
            cut = id == ZMQ_EVENT_DISCONNECTED;
            if (zmq_msg_more (&event)) {  //  the endpoint frame
                zmq_msg_close (&event);
                zmq_msg_init (&event);
                zmq_msg_recv (&event, monitor, 0);
            }
        }
        zmq_msg_close (&event);
    }
    zmq_socket_monitor (intruder, NULL, 0);
    zmq_close (monitor);
    zmq_close (intruder);
    assert_true (cut);
    //  The worker of the test is still served: a READY gets jobs.
    s_worker_connect ();
    s_send (WS_MSG_READY,
            json_pack ("{s:s, s:i, s:i, s:s, s:s}", "name", "after", "credit",
                       2, "pid", 6, "host", "test", "version", "0"));
    ws_msg_t *job = s_next (WS_MSG_JOB, 3000);
    assert_non_null (job);
    ws_msg_destroy (&job);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_jobs_results_acks),
        cmocka_unit_test (test_writer_lost),
        cmocka_unit_test (test_bad_row),
        cmocka_unit_test (test_analysis),
        cmocka_unit_test (test_silent_worker),
        cmocka_unit_test (test_oversized),
        cmocka_unit_test (test_malformed),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
