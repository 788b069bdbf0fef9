//  test_ws_worker - the real watershed-worker binary (WS_BUILD_DIR) as a
//  child process, this test as its coordinator (a ROUTER socket on
//  127.0.0.1, a free port) and as the web (libmicrohttpd in-process):
//  READY, a JOB yields a RESULT with samples and errors, no ACK -> the
//  result comes again after a reconnect, ACK stops it, HEARTBEATs flow,
//  ERROR unknown-peer -> READY again, SIGTERM drains: the running job
//  finishes, its result is ACKed, DISCONNECT, exit 0. Deliver jobs: one
//  POST each, answered with the receiver's status, Retry-After and
//  answer. Also the store of unACKed results (ws_results) and the text
//  of a receiver's answer (ws_deliver_text) in-process.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "ws_deliver.h"
#include "ws_loop.h"
#include "ws_msg.h"
#include "ws_results.h"

//  Ten times U+00E9 (two bytes each in UTF-8).
#define S_E10                                                                  \
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" \
    "\xc3\xa9"

static struct MHD_Daemon *s_daemon;
static int s_port;
static void *s_context;
static void *s_router;
static char s_endpoint[256];
static pid_t s_child;

//  ---------------------------------------------------------------------
//  The web

static enum MHD_Result
s_add_header (void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
    (void) kind;
    json_object_set_new ((json_t *) cls, key, json_string (value ? value : ""));
    return MHD_YES;
}

//  A webhook receiver: POST /hook/echo answers the headers and body it
//  got, /hook/busy 503 with Retry-After: 7, /hook/odd 202 with bytes
//  that are not UTF-8, /hook/slow after a second.
static enum MHD_Result
s_hook (struct MHD_Connection *connection, const char *url, const char *body,
        size_t len)
{
    unsigned int status = 404;
    char *text = NULL;
    const char *header = NULL, *value = NULL;
    if (strcmp (url, "/hook/echo") == 0) {
        json_t *headers = json_object ();
        MHD_get_connection_values (connection, MHD_HEADER_KIND, s_add_header,
                                   headers);
        json_t *echo = json_pack ("{s:s#, s:o}", "body", body, (int) len,
                                  "headers", headers);
        text = json_dumps (echo, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref (echo);
        status = 200;
    }
    else if (strcmp (url, "/hook/busy") == 0) {
        text = strdup ("busy\ntry later");
        header = "Retry-After";
        value = "7";
        status = 503;
    }
    else if (strcmp (url, "/hook/odd") == 0) {
        text = strdup ("acc\xff\xc3(epted \xc3\xa9");
        status = 202;
    }
    else if (strcmp (url, "/hook/slow") == 0) {
        struct timespec ts = {1, 0};
        nanosleep (&ts, NULL);
        text = strdup ("late");
        status = 200;
    }
    else
        text = strdup ("no such hook");
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (text), text, MHD_RESPMEM_MUST_FREE);
    if (header)
        MHD_add_response_header (response, header, value);
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

typedef struct {
    char data[4096];
    size_t len;
} s_upload_t;

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *connection, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    (void) cls;
    (void) version;
    if (strcmp (method, "POST") == 0) {
        s_upload_t *upload = *con_cls;
        if (!upload) {
            *con_cls = calloc (1, sizeof (s_upload_t));
            return MHD_YES;
        }
        if (*upload_data_size) {
            size_t len = *upload_data_size;
            if (len > sizeof upload->data - 1 - upload->len)
                len = sizeof upload->data - 1 - upload->len;
            memcpy (upload->data + upload->len, upload_data, len);
            upload->len += len;
            *upload_data_size = 0;
            return MHD_YES;
        }
        enum MHD_Result rc =
            s_hook (connection, url, upload->data, upload->len);
        free (upload);
        *con_cls = NULL;
        return rc;
    }
    const char *body = "{\"error\": \"no such path\"}";
    unsigned int status = 404;
    if (strcmp (url, "/json") == 0 || strcmp (url, "/slow") == 0) {
        if (strcmp (url, "/slow") == 0) {
            struct timespec ts = {0, 400 * 1000000L};
            nanosleep (&ts, NULL);
        }
        body = "{\"data\": {\"count\": 3, \"label\": \"n/a\"},"
               " \"items\": [{\"x\": 1}, {\"x\": 2.5}],"
               " \"text\": \"a" S_E10 S_E10 S_E10 "\"}";
        status = 200;
    }
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (body), (void *) body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

static int
s_setup (void **state)
{
    (void) state;
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    s_daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
        NULL, NULL, s_handler, NULL, MHD_OPTION_SOCK_ADDR, &address,
        MHD_OPTION_END);
    if (!s_daemon)
        return -1;
    s_port = MHD_get_daemon_info (s_daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
    s_context = zmq_ctx_new ();
    return s_context ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    zmq_ctx_term (s_context);
    MHD_stop_daemon (s_daemon);
    return 0;
}

//  ---------------------------------------------------------------------
//  The coordinator side

static void
s_bind (void)
{
    s_router = zmq_socket (s_context, ZMQ_ROUTER);
    assert_non_null (s_router);
    int linger = 0;
    zmq_setsockopt (s_router, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal (zmq_bind (s_router, "tcp://127.0.0.1:*"), 0);
    size_t size = sizeof s_endpoint;
    assert_int_equal (
        zmq_getsockopt (s_router, ZMQ_LAST_ENDPOINT, s_endpoint, &size), 0);
}

static void
s_start_worker (const char *drain_timeout)
{
    const char *build = getenv ("WS_BUILD_DIR");
    if (!build)
        fail_msg ("WS_BUILD_DIR is not set (run through ctest)");
    char path[1024];
    snprintf (path, sizeof path, "%s/workers/watershed-worker", build);
    s_child = fork ();
    assert_true (s_child >= 0);
    if (s_child == 0) {
        setenv ("WS_TEST_TOKEN", "tok", 1);
        execl (path, path, "--coordinator", s_endpoint, "--name", "test-w",
               "--heartbeat", "200ms", "--liveness", "3", "--credit", "10",
               "--drain-timeout", drain_timeout, "--log-level", "info",
               (char *) NULL);
        _exit (127);
    }
}

static void
s_stop_worker (void)
{
    if (s_child > 0) {
        kill (s_child, SIGKILL);
        waitpid (s_child, NULL, 0);
    }
    s_child = 0;
    if (s_router)
        zmq_close (s_router);
    s_router = NULL;
}

//  Receive one message within timeout_ms, or NULL.
static ws_msg_t *
s_recv (int64_t timeout_ms)
{
    zmq_pollitem_t item = {s_router, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, (long) timeout_ms) <= 0)
        return NULL;
    ws_err_t err;
    ws_msg_t *msg = ws_msg_recv (s_router, true, 0, &err, NULL, NULL);
    if (!msg)
        fail_msg ("worker sent a malformed message: %s", err.text);
    return msg;
}

//  Receive until a message with command id arrives (others are counted
//  in *skipped, if given), within timeout_ms. Fails the test otherwise.
static ws_msg_t *
s_expect (ws_msg_id_t id, int64_t timeout_ms, int *heartbeats)
{
    int64_t until = ws_clock_ms () + timeout_ms;
    for (int64_t now = ws_clock_ms (); now < until; now = ws_clock_ms ()) {
        ws_msg_t *msg = s_recv (until - now);
        if (!msg)
            break;
        if (ws_msg_id (msg) == id)
            return msg;
        if (ws_msg_id (msg) == WS_MSG_HEARTBEAT && heartbeats)
            (*heartbeats)++;
        else if (ws_msg_id (msg) != WS_MSG_HEARTBEAT)
            fail_msg ("expected %s, got %s", ws_msg_id_name (id),
                      ws_msg_command (msg));
        ws_msg_destroy (&msg);
    }
    fail_msg ("no %s within %lld ms", ws_msg_id_name (id),
              (long long) timeout_ms);
    return NULL;
}

static void s_send_to (ws_msg_t *from, ws_msg_id_t id, json_t *body);

//  As s_expect, but keep the worker's coordinator alive meanwhile: a
//  HEARTBEAT to peer every 100 ms, so no reconnect interferes.
static ws_msg_t *
s_expect_alive (ws_msg_id_t id, int64_t timeout_ms, ws_msg_t *peer)
{
    int64_t until = ws_clock_ms () + timeout_ms;
    while (ws_clock_ms () < until) {
        s_send_to (peer, WS_MSG_HEARTBEAT, json_object ());
        ws_msg_t *msg = s_recv (100);
        if (!msg)
            continue;
        if (ws_msg_id (msg) == id)
            return msg;
        if (ws_msg_id (msg) != WS_MSG_HEARTBEAT)
            fail_msg ("expected %s, got %s", ws_msg_id_name (id),
                      ws_msg_command (msg));
        ws_msg_destroy (&msg);
    }
    fail_msg ("no %s within %lld ms", ws_msg_id_name (id),
              (long long) timeout_ms);
    return NULL;
}

//  Send to the peer that sent from.
static void
s_send_to (ws_msg_t *from, ws_msg_id_t id, json_t *body)
{
    ws_msg_t *msg = ws_msg_new (id, &body);
    size_t len;
    const uint8_t *routing = ws_msg_routing_id (from, &len);
    ws_msg_set_routing_id (msg, routing, len);
    ws_err_t err;
    if (ws_msg_send (&msg, s_router, &err))
        fail_msg ("send: %s", err.text);
}

static json_t *
s_job (int64_t id, const char *path, const char *source_extra)
{
    char text[2048];
    snprintf (
        text, sizeof text,
        "{\"id\": %lld, \"attempt\": 1, \"kind\": \"collect\", \"tick\": "
        "1700000000000, \"deadline\": %lld, \"source_id\": 7, \"source\": "
        "{\"name\": \"crm\", \"url\": \"http://127.0.0.1:%d%s\", %s"
        "\"labels\": {\"region\": \"eu\"}, \"metrics\": ["
        "{\"name\": \"count\", \"type\": \"gauge\", \"json\": \"/data/count\"},"
        "{\"name\": \"label\", \"type\": \"gauge\", \"json\": \"/data/label\"},"
        "{\"name\": \"x_sum\", \"type\": \"counter\", \"json\": "
        "\"/items/*/x\", \"aggregate\": \"sum\", \"labels\": {\"k\": "
        "\"v\"}}]}}",
        (long long) id, (long long) (ws_wall_ms () + 5000), s_port, path,
        source_extra);
    json_error_t jerr;
    json_t *job = json_loads (text, 0, &jerr);
    if (!job)
        fail_msg ("%s", jerr.text);
    return job;
}

//  Collect results by id from RESULT messages until want are seen.
static json_t *
s_collect_results (size_t want, int64_t timeout_ms)
{
    json_t *by_id = json_object ();
    while (json_object_size (by_id) < want) {
        ws_msg_t *msg = s_expect (WS_MSG_RESULT, timeout_ms, NULL);
        size_t index;
        json_t *result;
        json_array_foreach (json_object_get (ws_msg_body (msg), "results"),
                            index, result) {
            char key[32];
            snprintf (key, sizeof key, "%lld",
                      (long long) json_integer_value (
                          json_object_get (result, "id")));
            json_object_set (by_id, key, result);
        }
        ws_msg_destroy (&msg);
    }
    return by_id;
}

static void
s_check_results (json_t *by_id)
{
    json_t *first = json_object_get (by_id, "1");
    assert_non_null (first);
    assert_int_equal (json_integer_value (json_object_get (first, "attempt")),
                      1);
    assert_int_equal (json_integer_value (json_object_get (first, "source_id")),
                      7);
    assert_int_equal (json_integer_value (json_object_get (first, "tick")),
                      1700000000000LL);
    assert_true (json_is_false (json_object_get (first, "ok")));
    assert_string_equal (
        json_string_value (json_object_get (first, "error_kind")), "extract");
    assert_string_equal (json_string_value (json_object_get (first, "error")),
                         "rule 'label' /data/label: found string \"n/a\", "
                         "expected a number");
    assert_int_equal (
        json_integer_value (json_object_get (first, "http_status")), 200);
    assert_true (json_integer_value (json_object_get (first, "bytes")) > 0);
    //  The rules that worked still give their samples.
    json_t *samples = json_object_get (first, "samples");
    assert_int_equal (json_array_size (samples), 2);
    json_t *count = json_array_get (samples, 0);
    assert_string_equal (json_string_value (json_object_get (count, "metric")),
                         "count");
    assert_string_equal (json_string_value (json_object_get (count, "type")),
                         "gauge");
    assert_true (json_number_value (json_object_get (count, "value")) == 3);
    char *labels = json_dumps (json_object_get (count, "labels"), JSON_COMPACT);
    assert_string_equal (labels, "{\"region\":\"eu\"}");
    free (labels);
    json_t *sum = json_array_get (samples, 1);
    assert_string_equal (json_string_value (json_object_get (sum, "metric")),
                         "x_sum");
    assert_string_equal (json_string_value (json_object_get (sum, "type")),
                         "counter");
    assert_true (json_number_value (json_object_get (sum, "value")) == 3.5);
    labels = json_dumps (json_object_get (sum, "labels"),
                         JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal (labels, "{\"k\":\"v\",\"region\":\"eu\"}");
    free (labels);

    //  An invalid source: a failed result naming the field.
    json_t *second = json_object_get (by_id, "2");
    assert_non_null (second);
    assert_true (json_is_false (json_object_get (second, "ok")));
    assert_string_equal (
        json_string_value (json_object_get (second, "error_kind")), "input");
    assert_non_null (
        strstr (json_string_value (json_object_get (second, "error")),
                "/retries: found 9, expected an integer from 0 to 5"));
    assert_int_equal (json_array_size (json_object_get (second, "samples")), 0);

    //  A ${NAME} missing on the worker: named, its value never sent.
    json_t *third = json_object_get (by_id, "3");
    assert_non_null (third);
    assert_string_equal (
        json_string_value (json_object_get (third, "error_kind")), "input");
    assert_string_equal (json_string_value (json_object_get (third, "error")),
                         "header 'X-Key': environment variable "
                         "WS_TEST_NOT_SET is not set on this worker");
}

//  Analysis jobs: a daily series of four weeks with a weekly pattern
//  gets a seasonal Holt-Winters projection (season 7); a broken series
//  is an input error naming the series.
static void
test_analyze (void **state)
{
    (void) state;
    s_bind ();
    s_start_worker ("5s");
    ws_msg_t *ready = s_expect (WS_MSG_READY, 5000, NULL);
    json_t *t = json_array (), *x = json_array ();
    static const double week[7] = {10, 12, 13, 12, 11, 4, 3};
    for (int day = 0; day < 28; day++) {
        json_array_append_new (
            t, json_integer (1798761600000LL + day * 86400000LL));
        json_array_append_new (x, json_real (week[day % 7] + 0.3 * day));
    }
    json_t *jobs = json_pack (
        "[{s:i, s:i, s:s, s:I, s:I, s:i, s:i, s:{s:o, s:o}, s:{s:i, s:i}},"
        " {s:i, s:i, s:s, s:I, s:I, s:i, s:i, s:{s:[i], s:[]}}]",
        "id", 41, "attempt", 1, "kind", "analyze", "tick",
        (json_int_t) 1800000000000LL, "deadline",
        (json_int_t) (ws_wall_ms () + 5000), "series_id", 5, "window_days", 28,
        "series", "t", t, "x", x, "options", "horizon", 7, "season", 7, "id",
        42, "attempt", 1, "kind", "analyze", "tick",
        (json_int_t) 1800000000000LL, "deadline",
        (json_int_t) (ws_wall_ms () + 5000), "series_id", 6, "window_days", 28,
        "series", "t", 1, "x");
    s_send_to (ready, WS_MSG_JOB, json_pack ("{s:o}", "jobs", jobs));
    json_t *results = s_collect_results (2, 3000);
    json_t *good = json_object_get (results, "41");
    assert_non_null (good);
    assert_true (json_is_true (json_object_get (good, "ok")));
    assert_string_equal (json_string_value (json_object_get (good, "kind")),
                         "analyze");
    assert_int_equal (json_integer_value (json_object_get (good, "series_id")),
                      5);
    json_t *analysis = json_object_get (good, "analysis");
    assert_int_equal (json_integer_value (json_object_get (analysis, "n")), 28);
    json_t *model = json_object_get (analysis, "holt_winters");
    assert_true (json_is_object (model));
    assert_int_equal (json_array_size (json_object_get (model, "season")), 7);
    assert_int_equal (json_array_size (json_object_get (model, "forecast")), 7);
    assert_true (json_is_number (
        json_object_get (json_object_get (analysis, "sen"), "slope")));
    json_t *bad = json_object_get (results, "42");
    assert_non_null (bad);
    assert_true (json_is_false (json_object_get (bad, "ok")));
    assert_string_equal (
        json_string_value (json_object_get (bad, "error_kind")), "input");
    assert_true (json_is_null (json_object_get (bad, "analysis")));
    json_decref (results);
    ws_msg_destroy (&ready);
}

static void
test_protocol (void **state)
{
    (void) state;
    s_bind ();
    s_start_worker ("5s");

    //  READY with the announced credit.
    ws_msg_t *ready = s_expect (WS_MSG_READY, 5000, NULL);
    json_t *body = ws_msg_body (ready);
    assert_string_equal (json_string_value (json_object_get (body, "name")),
                         "test-w");
    assert_int_equal (json_integer_value (json_object_get (body, "credit")),
                      10);
    assert_int_equal (json_integer_value (json_object_get (body, "pid")),
                      s_child);
    assert_string_equal (json_string_value (json_object_get (body, "version")),
                         "0.1.0");

    //  Three jobs in one JOB: a good source, a bad one, a missing ${NAME}.
    json_t *jobs = json_array ();
    json_array_append_new (jobs, s_job (1, "/json", ""));
    json_array_append_new (jobs, s_job (2, "/json", "\"retries\": 9,"));
    json_array_append_new (
        jobs, s_job (3, "/json",
                     "\"headers\": {\"Authorization\": \"${WS_TEST_TOKEN}\","
                     " \"X-Key\": \"${WS_TEST_NOT_SET}\"},"));
    s_send_to (ready, WS_MSG_JOB, json_pack ("{s:o}", "jobs", jobs));
    json_t *results = s_collect_results (3, 3000);
    s_check_results (results);
    json_decref (results);

    //  Silence from us: heartbeats, then after 3 x 200 ms a new socket
    //  with READY, and the unACKed results again.
    int heartbeats = 0;
    ws_msg_t *again = s_expect (WS_MSG_READY, 3000, &heartbeats);
    assert_true (heartbeats >= 1);
    size_t len1, len2;
    const uint8_t *id1 = ws_msg_routing_id (ready, &len1);
    const uint8_t *id2 = ws_msg_routing_id (again, &len2);
    assert_false (len1 == len2 && memcmp (id1, id2, len1) == 0);
    results = s_collect_results (3, 2000);
    s_check_results (results);
    json_decref (results);
    ws_msg_destroy (&ready);

    //  ACK them: after the next reconnect (ERROR unknown-peer, as a
    //  restarted coordinator answers) nothing comes again.
    s_send_to (again, WS_MSG_ACK, json_pack ("{s:[i,i,i]}", "ids", 1, 2, 3));
    s_send_to (again, WS_MSG_ERROR,
               json_pack ("{s:s, s:s}", "code", "unknown-peer", "text",
                          "send READY first"));
    ws_msg_destroy (&again);
    ready = s_expect (WS_MSG_READY, 3000, NULL);
    //  Keep it alive with heartbeats for 500 ms: only HEARTBEATs arrive.
    int64_t until = ws_clock_ms () + 500;
    heartbeats = 0;
    while (ws_clock_ms () < until) {
        s_send_to (ready, WS_MSG_HEARTBEAT, json_object ());
        ws_msg_t *msg = s_recv (100);
        if (!msg)
            continue;
        if (ws_msg_id (msg) != WS_MSG_HEARTBEAT)
            fail_msg ("expected only HEARTBEAT after the ACK, got %s",
                      ws_msg_command (msg));
        assert_int_equal (
            json_integer_value (json_object_get (ws_msg_body (msg), "running")),
            0);
        heartbeats++;
        ws_msg_destroy (&msg);
    }
    assert_true (heartbeats >= 1);

    //  Drain: a slow job is running when SIGTERM comes. It finishes, its
    //  result comes, and after our ACK the worker says DISCONNECT, exit 0.
    jobs = json_array ();
    json_array_append_new (jobs, s_job (4, "/slow", ""));
    s_send_to (ready, WS_MSG_JOB, json_pack ("{s:o}", "jobs", jobs));
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep (&ts, NULL);
    kill (s_child, SIGTERM);
    ws_msg_t *msg = s_expect_alive (WS_MSG_RESULT, 3000, ready);
    json_t *result =
        json_array_get (json_object_get (ws_msg_body (msg), "results"), 0);
    assert_int_equal (json_integer_value (json_object_get (result, "id")), 4);
    assert_int_equal (
        json_integer_value (json_object_get (result, "http_status")), 200);
    assert_int_equal (json_array_size (json_object_get (result, "samples")), 2);
    assert_true (json_integer_value (json_object_get (result, "duration_ms"))
                 >= 300);
    ws_msg_destroy (&msg);
    //  No DISCONNECT before the ACK.
    until = ws_clock_ms () + 300;
    while (ws_clock_ms () < until) {
        s_send_to (ready, WS_MSG_HEARTBEAT, json_object ());
        msg = s_recv (100);
        if (msg) {
            assert_int_equal (ws_msg_id (msg), WS_MSG_HEARTBEAT);
            ws_msg_destroy (&msg);
        }
    }
    s_send_to (ready, WS_MSG_ACK, json_pack ("{s:[i]}", "ids", 4));
    msg = s_expect_alive (WS_MSG_DISCONNECT, 3000, ready);
    assert_string_equal (
        json_string_value (json_object_get (ws_msg_body (msg), "reason")),
        "shutdown");
    ws_msg_destroy (&msg);
    ws_msg_destroy (&ready);
    int status = -1;
    for (int i = 0; i < 300 && waitpid (s_child, &status, WNOHANG) == 0; i++)
        nanosleep (&ts, NULL);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    s_child = 0;
    s_stop_worker ();
}

//  A deliver job to path with the given extra request members.
static json_t *
s_deliver_job (int64_t id, const char *path, const char *headers,
               int64_t timeout_ms, int64_t deadline)
{
    char text[2048];
    snprintf (text, sizeof text,
              "{\"id\": %lld, \"attempt\": 2, \"kind\": \"deliver\", "
              "\"tick\": 1700000000000, \"deadline\": %lld, "
              "\"delivery_id\": %lld, \"request\": {\"url\": "
              "\"http://127.0.0.1:%d%s\", \"body\": \"{\\\"alert\\\": %lld}\", "
              "\"headers\": {%s}, \"timeout_ms\": %lld}}",
              (long long) id, (long long) deadline, (long long) id + 100,
              s_port, path, (long long) id, headers, (long long) timeout_ms);
    json_error_t jerr;
    json_t *job = json_loads (text, 0, &jerr);
    if (!job)
        fail_msg ("%s: %s", text, jerr.text);
    return job;
}

//  A coordinator that never ACKs: the drain ends at drain-timeout with
//  DISCONNECT and exit 0.
static void
test_drain_timeout (void **state)
{
    (void) state;
    s_bind ();
    s_start_worker ("300ms");
    ws_msg_t *ready = s_expect (WS_MSG_READY, 5000, NULL);
    //  Whole numbers go as JSON integers; error texts cut inside a UTF-8
    //  character (at 40 bytes of a found string, at the 256 bytes of an
    //  error) still make a valid RESULT.
    char url[128], pointer[400];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/json", s_port);
    snprintf (pointer, sizeof pointer, "/%s",
              S_E10 S_E10 S_E10 S_E10 S_E10 S_E10 S_E10 S_E10 S_E10 S_E10 S_E10
                  S_E10 S_E10 S_E10 S_E10);
    json_t *jobs = json_pack (
        "[{s:i, s:i, s:s, s:I, s:I, s:i, s:{s:s, s:s, s:[{s:s, s:s, s:s}, "
        "{s:s, s:s, s:s}, {s:s, s:s, s:s}]}}]",
        "id", 11, "attempt", 1, "kind", "collect", "tick",
        (json_int_t) 1700000000000LL, "deadline",
        (json_int_t) (ws_wall_ms () + 5000), "source_id", 7, "source", "name",
        "crm", "url", url, "metrics", "name", "whole", "type", "gauge", "json",
        "/data/count", "name", "text", "type", "gauge", "json", "/text", "name",
        "lab_x", "type", "gauge", "json", pointer);
    assert_non_null (jobs);
    //  A job whose deadline passed: answered, not fetched.
    json_t *late = s_job (12, "/json", "");
    json_object_set_new (late, "deadline", json_integer (1000));
    json_array_append_new (jobs, late);
    //  A POST still in flight when the drain time runs out: dropped, and
    //  freed (the sanitizer build's leak check sees to it: exit 0).
    json_array_append_new (
        jobs, s_deliver_job (13, "/hook/slow", "", 5000, ws_wall_ms () + 5000));
    s_send_to (ready, WS_MSG_JOB, json_pack ("{s:o}", "jobs", jobs));
    json_t *by_id = s_collect_results (2, 3000);
    json_t *result = json_object_get (by_id, "12");
    assert_string_equal (
        json_string_value (json_object_get (result, "error_kind")), "timeout");
    assert_string_equal (json_string_value (json_object_get (result, "error")),
                         "the job's deadline passed before it started");
    assert_int_equal (
        json_integer_value (json_object_get (result, "http_status")), 0);
    result = json_object_get (by_id, "11");
    json_t *value = json_object_get (
        json_array_get (json_object_get (result, "samples"), 0), "value");
    assert_true (json_is_integer (value));
    assert_int_equal (json_integer_value (value), 3);
    const char *error = json_string_value (json_object_get (result, "error"));
    assert_non_null (strstr (error,
                             "rule 'text' /text: found string \"a" S_E10
                             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                             "\xc3\xa9\xc3\xa9\xc3\xa9...\", expected a "
                             "number; rule 'lab_x' /" S_E10));
    //  The second error was cut inside a character: that byte is '?'.
    assert_int_equal (error[strlen (error) - 1], '?');
    json_decref (by_id);
    ws_msg_t *msg;
    int64_t start = ws_clock_ms ();
    kill (s_child, SIGTERM);
    msg = s_expect_alive (WS_MSG_DISCONNECT, 3000, ready);
    ws_msg_destroy (&msg);
    assert_true (ws_clock_ms () - start >= 250);
    ws_msg_destroy (&ready);
    int status = -1;
    struct timespec ts = {0, 10 * 1000000L};
    for (int i = 0; i < 300 && waitpid (s_child, &status, WNOHANG) == 0; i++)
        nanosleep (&ts, NULL);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    s_child = 0;
    s_stop_worker ();
}

//  Deliver jobs: one POST each (${NAME} from the worker's environment),
//  answered with what the receiver said; a job too late or whose header
//  names an unset variable is answered without a POST. The worker
//  counts POSTs in flight as running jobs.
static void
test_deliver (void **state)
{
    (void) state;
    s_bind ();
    s_start_worker ("5s");
    ws_msg_t *ready = s_expect (WS_MSG_READY, 5000, NULL);
    int64_t deadline = ws_wall_ms () + 5000;
    json_t *jobs = json_array ();
    json_array_append_new (
        jobs, s_deliver_job (61, "/hook/echo",
                             "\"Authorization\": \"Bearer ${WS_TEST_TOKEN}\", "
                             "\"Idempotency-Key\": \"delivery-161\", "
                             "\"Content-Type\": \"application/json\"",
                             5000, deadline));
    json_array_append_new (
        jobs, s_deliver_job (62, "/hook/busy", "", 5000, deadline));
    json_array_append_new (jobs,
                           s_deliver_job (63, "/hook/echo", "", 5000, 1000));
    json_array_append_new (jobs,
                           s_deliver_job (64, "/hook/echo",
                                          "\"X-Key\": \"${WS_TEST_NOT_SET}\"",
                                          5000, deadline));
    json_array_append_new (jobs,
                           s_deliver_job (65, "/hook/odd", "", 5000, deadline));
    json_array_append_new (jobs,
                           s_deliver_job (66, "/hook/slow", "", 600, deadline));
    s_send_to (ready, WS_MSG_JOB, json_pack ("{s:o}", "jobs", jobs));

    //  Collect the six results, keeping the worker's coordinator alive,
    //  and note how many jobs its heartbeats say are running.
    json_t *by_id = json_object ();
    json_int_t most_running = 0, last_running = -1;
    int64_t until = ws_clock_ms () + 5000;
    while (json_object_size (by_id) < 6 && ws_clock_ms () < until) {
        s_send_to (ready, WS_MSG_HEARTBEAT, json_object ());
        ws_msg_t *msg = s_recv (100);
        if (!msg)
            continue;
        json_t *body = ws_msg_body (msg);
        if (ws_msg_id (msg) == WS_MSG_HEARTBEAT) {
            last_running =
                json_integer_value (json_object_get (body, "running"));
            if (last_running > most_running)
                most_running = last_running;
        }
        else {
            assert_int_equal (ws_msg_id (msg), WS_MSG_RESULT);
            size_t index;
            json_t *result;
            json_array_foreach (json_object_get (body, "results"), index,
                                result) {
                char key[32];
                snprintf (key, sizeof key, "%lld",
                          (long long) json_integer_value (
                              json_object_get (result, "id")));
                json_object_set (by_id, key, result);
            }
        }
        ws_msg_destroy (&msg);
    }
    assert_int_equal (json_object_size (by_id), 6);
    //  The slow POST was in flight over several heartbeats.
    assert_true (most_running >= 1);

    json_t *echo = json_object_get (by_id, "61");
    assert_string_equal (json_string_value (json_object_get (echo, "kind")),
                         "deliver");
    assert_int_equal (json_integer_value (json_object_get (echo, "attempt")),
                      2);
    assert_int_equal (json_integer_value (json_object_get (echo, "tick")),
                      1700000000000LL);
    assert_int_equal (
        json_integer_value (json_object_get (echo, "delivery_id")), 161);
    assert_true (json_is_true (json_object_get (echo, "ok")));
    assert_true (json_is_null (json_object_get (echo, "error")));
    assert_int_equal (
        json_integer_value (json_object_get (echo, "http_status")), 200);
    assert_true (json_integer_value (json_object_get (echo, "duration_ms"))
                 >= 0);
    assert_null (json_object_get (echo, "retry_after_ms"));
    json_error_t jerr;
    json_t *seen = json_loads (
        json_string_value (json_object_get (echo, "response")), 0, &jerr);
    assert_non_null (seen);
    assert_string_equal (json_string_value (json_object_get (seen, "body")),
                         "{\"alert\": 61}");
    json_t *headers = json_object_get (seen, "headers");
    assert_string_equal (
        json_string_value (json_object_get (headers, "Authorization")),
        "Bearer tok");
    assert_string_equal (
        json_string_value (json_object_get (headers, "Idempotency-Key")),
        "delivery-161");
    assert_string_equal (
        json_string_value (json_object_get (headers, "Content-Type")),
        "application/json");
    json_decref (seen);

    json_t *busy = json_object_get (by_id, "62");
    assert_true (json_is_false (json_object_get (busy, "ok")));
    assert_string_equal (
        json_string_value (json_object_get (busy, "error_kind")), "http");
    assert_string_equal (json_string_value (json_object_get (busy, "error")),
                         "HTTP 503: busy");
    assert_int_equal (
        json_integer_value (json_object_get (busy, "http_status")), 503);
    assert_int_equal (
        json_integer_value (json_object_get (busy, "retry_after_ms")), 7000);
    assert_string_equal (json_string_value (json_object_get (busy, "response")),
                         "busy\ntry later");

    json_t *late = json_object_get (by_id, "63");
    assert_true (json_is_false (json_object_get (late, "ok")));
    assert_string_equal (
        json_string_value (json_object_get (late, "error_kind")), "timeout");
    assert_string_equal (json_string_value (json_object_get (late, "error")),
                         "the job's deadline passed before it was sent");
    assert_int_equal (
        json_integer_value (json_object_get (late, "http_status")), 0);
    assert_null (json_object_get (late, "response"));

    json_t *unset = json_object_get (by_id, "64");
    assert_string_equal (
        json_string_value (json_object_get (unset, "error_kind")), "input");
    assert_string_equal (json_string_value (json_object_get (unset, "error")),
                         "header 'X-Key': environment variable "
                         "WS_TEST_NOT_SET is not set on this worker");

    json_t *odd = json_object_get (by_id, "65");
    assert_true (json_is_true (json_object_get (odd, "ok")));
    assert_int_equal (json_integer_value (json_object_get (odd, "http_status")),
                      202);
    assert_string_equal (json_string_value (json_object_get (odd, "response")),
                         "acc?"
                         "?(epted \xc3\xa9");

    json_t *slow = json_object_get (by_id, "66");
    assert_string_equal (
        json_string_value (json_object_get (slow, "error_kind")), "timeout");
    assert_int_equal (
        json_integer_value (json_object_get (slow, "http_status")), 0);
    assert_true (json_integer_value (json_object_get (slow, "duration_ms"))
                 >= 500);
    json_decref (by_id);

    //  All answered: nothing runs any more.
    until = ws_clock_ms () + 1000;
    last_running = -1;
    while (last_running != 0 && ws_clock_ms () < until) {
        s_send_to (ready, WS_MSG_HEARTBEAT, json_object ());
        ws_msg_t *msg = s_recv (100);
        if (msg && ws_msg_id (msg) == WS_MSG_HEARTBEAT)
            last_running = json_integer_value (
                json_object_get (ws_msg_body (msg), "running"));
        ws_msg_destroy (&msg);
    }
    assert_int_equal (last_running, 0);
    ws_msg_destroy (&ready);
    s_stop_worker ();
}

//  A receiver's answer as a JSON string: valid UTF-8 kept, anything else
//  (overlong forms, surrogates, past U+10FFFF, a character cut at the
//  limit, NUL) a '?' per byte.
static void
test_deliver_text (void **state)
{
    (void) state;
    static const struct {
        const char *in;
        size_t len;
        size_t max;
        const char *out;
    } cases[] = {
        {"plain", 5, 4096, "plain"},
        {"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, 4096,
         "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"a\xff"
         "b",
         3, 4096, "a?b"},
        {"\xc0\xaf", 2, 4096, "??"},
        {"\xe0\x80\xaf", 3, 4096, "???"},
        {"\xed\xa0\x80", 3, 4096, "???"},
        {"\xf4\x90\x80\x80", 4, 4096, "????"},
        {"\xf8\x88\x80\x80\x80", 5, 4096, "?????"},
        {"\xc3(", 2, 4096, "?("},
        {"ab\xc3\xa9", 4, 3, "ab?"},
        {"ab\xe2\x82\xac", 5, 4, "ab??"},
        {"a\0b", 3, 4096, "a?b"},
        {"", 0, 4096, ""},
        {"abcdef", 6, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *text =
            ws_deliver_text (cases[i].in, cases[i].len, cases[i].max);
        if (!text)
            fail_msg ("case %zu: not a JSON string", i);
        if (strcmp (json_string_value (text), cases[i].out) != 0)
            fail_msg ("case %zu: got '%s', expected '%s'", i,
                      json_string_value (text), cases[i].out);
        json_decref (text);
    }
}

static int
s_cleanup (void **state)
{
    (void) state;
    s_stop_worker ();
    return 0;
}

//  ---------------------------------------------------------------------
//  ws_results, in-process

static void
s_add (ws_results_t *results, uint64_t id, const char *json, size_t dropped)
{
    char *text = strdup (json);
    assert_int_equal (ws_results_add (results, id, &text, strlen (json)),
                      dropped);
    assert_null (text);
}

static void
test_results (void **state)
{
    (void) state;
    ws_results_t *results = ws_results_new (3);
    ws_buf_t body;
    ws_buf_init (&body, 1 << 20);
    assert_int_equal (ws_results_batch (results, &body, 10, 1 << 20), 0);

    s_add (results, 1, "{\"id\":1}", 0);
    s_add (results, 2, "{\"id\":2}", 0);
    assert_int_equal (ws_results_count (results), 2);
    assert_int_equal (ws_results_unsent (results), 2);
    assert_int_equal (ws_results_batch (results, &body, 10, 1 << 20), 2);
    assert_string_equal (body.data, "{\"results\":[{\"id\":1},{\"id\":2}]}");
    ws_results_sent (results, 2);
    assert_int_equal (ws_results_unsent (results), 0);
    assert_int_equal (ws_results_batch (results, &body, 10, 1 << 20), 0);

    //  A new one is sent alone; at most max_count per batch.
    s_add (results, 3, "{\"id\":3}", 0);
    assert_int_equal (ws_results_batch (results, &body, 1, 1 << 20), 1);
    assert_string_equal (body.data, "{\"results\":[{\"id\":3}]}");
    ws_results_sent (results, 1);

    //  ACK forgets; a repeated ACK is harmless.
    assert_int_equal (ws_results_ack (results, 2), 1);
    assert_int_equal (ws_results_ack (results, 2), 0);
    assert_int_equal (ws_results_ack (results, 99), 0);
    assert_int_equal (ws_results_count (results), 2);

    //  Reconnect: everything kept goes again, oldest first.
    ws_results_rewind (results);
    assert_int_equal (ws_results_unsent (results), 2);
    assert_int_equal (ws_results_batch (results, &body, 10, 1 << 20), 2);
    assert_string_equal (body.data, "{\"results\":[{\"id\":1},{\"id\":3}]}");
    //  ACK of an unsent one keeps the counts right.
    assert_int_equal (ws_results_ack (results, 1), 1);
    assert_int_equal (ws_results_unsent (results), 1);
    assert_int_equal (ws_results_batch (results, &body, 10, 1 << 20), 1);
    ws_results_sent (results, 1);
    assert_int_equal (ws_results_unsent (results), 0);

    //  A later attempt of the same job replaces the kept result.
    s_add (results, 3, "{\"id\":3,\"attempt\":2}", 0);
    assert_int_equal (ws_results_count (results), 1);
    assert_int_equal (ws_results_unsent (results), 1);
    assert_int_equal (ws_results_batch (results, &body, 10, 1 << 20), 1);
    assert_string_equal (body.data, "{\"results\":[{\"id\":3,\"attempt\":2}]}");
    ws_results_sent (results, 1);

    //  Full (max 3): the oldest goes.
    s_add (results, 4, "{\"id\":4}", 0);
    s_add (results, 5, "{\"id\":5}", 0);
    s_add (results, 6, "{\"id\":6}", 1);
    assert_int_equal (ws_results_count (results), 3);
    assert_int_equal (ws_results_ack (results, 3), 0);
    assert_int_equal (ws_results_unsent (results), 3);
    //  A byte budget cuts the batch, but one result always goes.
    assert_int_equal (ws_results_batch (results, &body, 10, 20), 1);
    assert_int_equal (ws_results_batch (results, &body, 10, 35), 2);
    ws_results_destroy (&results);
    assert_null (results);
    ws_results_destroy (&results);
    ws_buf_free (&body);

    //  Many: ACKs in any order stay cheap and exact.
    results = ws_results_new (100000);
    for (uint64_t id = 1; id <= 50000; id++)
        s_add (results, id, "{}", 0);
    size_t sent = 0;
    ws_buf_init (&body, 1 << 24);
    size_t count;
    while ((count = ws_results_batch (results, &body, 1000, 1 << 24))) {
        ws_results_sent (results, count);
        sent += count;
    }
    assert_int_equal (sent, 50000);
    for (uint64_t id = 50000; id >= 1; id -= 2)
        assert_int_equal (ws_results_ack (results, id), 1);
    assert_int_equal (ws_results_count (results), 25000);
    assert_int_equal (ws_results_unsent (results), 0);
    ws_results_rewind (results);
    assert_int_equal (ws_results_unsent (results), 25000);
    for (uint64_t id = 1; id <= 50000; id += 2)
        assert_int_equal (ws_results_ack (results, id), 1);
    assert_int_equal (ws_results_count (results), 0);
    assert_int_equal (ws_results_unsent (results), 0);
    ws_buf_free (&body);
    ws_results_destroy (&results);
}

static void
test_help (void **state)
{
    (void) state;
    const char *build = getenv ("WS_BUILD_DIR");
    if (!build)
        fail_msg ("WS_BUILD_DIR is not set (run through ctest)");
    char command[1200];
    snprintf (command, sizeof command,
              "%s/workers/watershed-worker --help 2>&1", build);
    FILE *out = popen (command, "r");
    assert_non_null (out);
    char text[8192];
    size_t len = fread (text, 1, sizeof text - 1, out);
    text[len] = '\0';
    assert_int_equal (pclose (out), 0);
    static const char *options[] = {
        "--coordinator",   "--name",        "--credit",    "--concurrency",
        "--heartbeat",     "--liveness",    "--body-cap",  "--connect-timeout",
        "--drain-timeout", "--max-unacked", "--log-level", "--log-format"};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (!strstr (text, options[i]))
            fail_msg ("--help does not list %s", options[i]);

    //  A bad setting is refused with its name, exit 2.
    snprintf (command, sizeof command,
              "%s/workers/watershed-worker --credit 0 2>&1", build);
    out = popen (command, "r");
    len = fread (text, 1, sizeof text - 1, out);
    text[len] = '\0';
    int status = pclose (out);
    assert_int_equal (WEXITSTATUS (status), 2);
    assert_non_null (
        strstr (text, "config 'credit': 0 is below the minimum 1"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_results),
        cmocka_unit_test (test_help),
        cmocka_unit_test_teardown (test_protocol, s_cleanup),
        cmocka_unit_test_teardown (test_analyze, s_cleanup),
        cmocka_unit_test_teardown (test_drain_timeout, s_cleanup),
        cmocka_unit_test_teardown (test_deliver, s_cleanup),
        cmocka_unit_test (test_deliver_text),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
