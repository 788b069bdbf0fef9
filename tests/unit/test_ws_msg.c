//  test_ws_msg - the protocol codec: every command round trip over a real
//  inproc ROUTER/DEALER pair and through ws_msg_decode; every field of
//  every body missing, of the wrong type, out of range and next to an
//  unknown key; every fault of the framing.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "ws_msg.h"

//  One valid body per command (two for HEARTBEAT and REPLY), then the
//  JOB and RESULT of a delivery.
typedef struct {
    ws_msg_id_t id;
    const char *body;
} s_sample_t;

static const s_sample_t s_valid[] = {
    {WS_MSG_READY, "{\"name\":\"w-eu-2\",\"credit\":8,\"pid\":4188,"
                   "\"host\":\"eu-2.example\",\"version\":\"0.1.0\"}"},
    {WS_MSG_HEARTBEAT, "{}"},
    {WS_MSG_HEARTBEAT, "{\"running\":3}"},
    {WS_MSG_JOB,
     "{\"jobs\":[{\"id\":4294967297,\"attempt\":1,\"kind\":\"collect\","
     "\"tick\":1700000000000,\"deadline\":1700000010000,\"source_id\":7,"
     "\"source\":{\"name\":\"eu-signups\",\"url\":\"https://crm.example/x\","
     "\"metrics\":[{\"name\":\"signups\",\"json\":\"/n\"}]}},"
     "{\"id\":4294967298,\"attempt\":2,\"kind\":\"collect\",\"tick\":0,"
     "\"deadline\":0,\"source_id\":1,\"source\":{}}]}"},
    {WS_MSG_RESULT,
     "{\"results\":[{\"id\":4294967297,\"attempt\":1,\"kind\":\"collect\","
     "\"source_id\":7,\"tick\":1700000000000,\"ok\":true,\"error\":null,"
     "\"error_kind\":null,\"http_status\":200,\"duration_ms\":12,"
     "\"bytes\":345,\"samples\":[{\"metric\":\"signups\","
     "\"labels\":{\"region\":\"eu\"},\"type\":\"per_period\","
     "\"value\":12.5}]},"
     "{\"id\":4294967298,\"attempt\":2,\"kind\":\"collect\",\"source_id\":1,"
     "\"tick\":0,\"ok\":false,\"error\":\"HTTP 503\",\"error_kind\":\"http\","
     "\"http_status\":503,\"duration_ms\":0,\"bytes\":0,\"samples\":[]}]}"},
    {WS_MSG_ACK, "{\"ids\":[1,2,4294967297]}"},
    {WS_MSG_DISCONNECT, "{\"reason\":\"draining\"}"},
    {WS_MSG_ERROR, "{\"code\":\"unknown-peer\",\"text\":\"send READY\"}"},
    {WS_MSG_REQUEST, "{\"id\":1,\"command\":\"samples\",\"args\":{"
                     "\"metric\":\"signups\",\"labels\":{},\"limit\":10}}"},
    {WS_MSG_REPLY, "{\"id\":1,\"ok\":true,\"result\":[1,2.5,\"x\",null]}"},
    {WS_MSG_REPLY, "{\"id\":2,\"ok\":false,\"error\":\"no such source\","
                   "\"code\":\"notfound\",\"where\":\"/name\"}"},
    {WS_MSG_JOB,
     "{\"jobs\":[{\"id\":4294967301,\"attempt\":1,\"kind\":\"deliver\","
     "\"tick\":1700000000000,\"deadline\":1700000040000,\"delivery_id\":12,"
     "\"request\":{\"url\":\"https://hooks.example/a\","
     "\"body\":\"{\\\"alert\\\":1}\",\"headers\":{\"Content-Type\":"
     "\"application/json\",\"Idempotency-Key\":\"delivery-12\","
     "\"X-Watershed-Signature\":\"sha256=ab\"},\"timeout_ms\":10000}}]}"},
    {WS_MSG_RESULT,
     "{\"results\":[{\"id\":4294967301,\"attempt\":1,\"kind\":\"deliver\","
     "\"tick\":1700000000000,\"delivery_id\":12,\"ok\":true,\"error\":null,"
     "\"error_kind\":null,\"http_status\":202,\"duration_ms\":35,"
     "\"response\":\"{\\\"accepted\\\":true}\"},"
     "{\"id\":4294967302,\"attempt\":2,\"kind\":\"deliver\","
     "\"tick\":1700000000000,\"delivery_id\":13,\"ok\":false,"
     "\"error\":\"HTTP 429 (slow down)\",\"error_kind\":\"http\","
     "\"http_status\":429,\"duration_ms\":8,\"retry_after_ms\":30000,"
     "\"response\":\"slow down\"}]}"}};
#define S_VALID_COUNT (sizeof s_valid / sizeof s_valid[0])

static json_t *
s_parse (const char *text)
{
    json_error_t jerr;
    json_t *json = json_loads (text, JSON_DECODE_ANY, &jerr);
    if (!json)
        fail_msg ("test body does not parse: %s: %s", jerr.text, text);
    return json;
}

//  Decode a 3-frame message, without routing id.
static ws_msg_t *
s_decode3 (const char *signature, const char *command, const char *body,
           size_t body_len, ws_err_t *err)
{
    const uint8_t *frames[3] = {(const uint8_t *) signature,
                                (const uint8_t *) command,
                                (const uint8_t *) body};
    size_t sizes[3] = {strlen (signature), strlen (command), body_len};
    return ws_msg_decode (frames, sizes, 3, false, err);
}

//  Expect body (text) refused for command id with where and, if given,
//  a piece of the error text.
static void
s_expect_refused (ws_msg_id_t id, json_t *body, const char *where,
                  const char *text)
{
    ws_err_t err;
    ws_err_clear (&err);
    int rc = ws_msg_validate (id, body, &err);
    char *dump = json_dumps (body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (rc != -1)
        fail_msg ("%s %s: accepted, expected refused at %s",
                  ws_msg_id_name (id), dump, where);
    if (err.code != WS_ERR_PROTO || strcmp (err.where, where) != 0)
        fail_msg ("%s %s: refused at '%s' (%s), expected at '%s'",
                  ws_msg_id_name (id), dump, err.where, err.text, where);
    if (text && !strstr (err.text, text))
        fail_msg ("%s %s: error '%s' lacks '%s'", ws_msg_id_name (id), dump,
                  err.text, text);
    //  The same body on the wire is refused the same way.
    char *wire = json_dumps (body, JSON_COMPACT | JSON_ENCODE_ANY);
    if (wire) {
        ws_err_t wire_err;
        ws_msg_t *msg = s_decode3 (WS_MSG_SIGNATURE, ws_msg_id_name (id), wire,
                                   strlen (wire), &wire_err);
        if (msg)
            fail_msg ("%s %s: decoded, expected refused", ws_msg_id_name (id),
                      wire);
        assert_string_equal (wire_err.where, err.where);
        assert_string_equal (wire_err.text, err.text);
        free (wire);
    }
    free (dump);
}

static void
s_expect_accepted (ws_msg_id_t id, json_t *body)
{
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_msg_validate (id, body, &err)) {
        char *dump = json_dumps (body, JSON_COMPACT | JSON_ENCODE_ANY);
        fail_msg ("%s %s: refused: %s", ws_msg_id_name (id), dump, err.text);
    }
}

//  --------------------------------------------------------------------
//  Round trips.

static void
test_names (void **state)
{
    (void) state;
    assert_string_equal (ws_msg_id_name (WS_MSG_READY), "READY");
    assert_string_equal (ws_msg_id_name (WS_MSG_REPLY), "REPLY");
    assert_string_equal (ws_msg_id_name ((ws_msg_id_t) 0), "(unknown)");
    assert_string_equal (ws_msg_id_name ((ws_msg_id_t) 99), "(unknown)");
    json_t *body = json_object ();
    assert_null (ws_msg_new ((ws_msg_id_t) 99, &body));
    assert_null (body);
    //  A NULL body means an empty object.
    ws_msg_t *msg = ws_msg_new (WS_MSG_HEARTBEAT, NULL);
    assert_non_null (msg);
    assert_int_equal (ws_msg_id (msg), WS_MSG_HEARTBEAT);
    assert_string_equal (ws_msg_command (msg), "HEARTBEAT");
    assert_true (json_is_object (ws_msg_body (msg)));
    size_t len = 99;
    assert_null (ws_msg_routing_id (msg, &len));
    assert_int_equal (len, 0);
    ws_msg_set_routing_id (msg, (const uint8_t *) "\0abc", 4);
    const uint8_t *id = ws_msg_routing_id (msg, &len);
    assert_int_equal (len, 4);
    assert_memory_equal (id, "\0abc", 4);
    ws_msg_destroy (&msg);
    assert_null (msg);
    ws_msg_destroy (&msg);
    ws_msg_destroy (NULL);
    ws_err_t err;
    assert_int_equal (ws_msg_validate ((ws_msg_id_t) 0, NULL, &err), -1);
    assert_int_equal (ws_msg_validate (WS_MSG_HEARTBEAT, NULL, &err), -1);
    assert_string_equal (err.where, "#body");
}

static void
test_decode_round_trip (void **state)
{
    (void) state;
    for (size_t i = 0; i < S_VALID_COUNT; i++) {
        json_t *body = s_parse (s_valid[i].body);
        json_t *copy = json_deep_copy (body);
        ws_msg_t *msg = ws_msg_new (s_valid[i].id, &body);
        assert_non_null (msg);
        ws_err_t err;
        char *text = ws_msg_encode_body (msg, &err);
        if (!text)
            fail_msg ("%s: %s", s_valid[i].body, err.text);
        //  Compact: no blank after ':' or ','.
        assert_null (strstr (text, ": "));
        const uint8_t *frames[4] = {
            (const uint8_t *) "peer-1", (const uint8_t *) WS_MSG_SIGNATURE,
            (const uint8_t *) ws_msg_command (msg), (const uint8_t *) text};
        size_t sizes[4] = {6, strlen (WS_MSG_SIGNATURE),
                           strlen (ws_msg_command (msg)), strlen (text)};
        ws_msg_t *back = ws_msg_decode (frames + 1, sizes + 1, 3, false, &err);
        if (!back)
            fail_msg ("%s: %s", text, err.text);
        assert_int_equal (ws_msg_id (back), s_valid[i].id);
        assert_true (json_equal (ws_msg_body (back), copy));
        size_t len;
        assert_null (ws_msg_routing_id (back, &len));
        ws_msg_destroy (&back);
        //  ROUTER side: the routing id is kept.
        back = ws_msg_decode (frames, sizes, 4, true, &err);
        assert_non_null (back);
        const uint8_t *id = ws_msg_routing_id (back, &len);
        assert_int_equal (len, 6);
        assert_memory_equal (id, "peer-1", 6);
        assert_true (json_equal (ws_msg_body (back), copy));
        ws_msg_destroy (&back);
        free (text);
        ws_msg_destroy (&msg);
        json_decref (copy);
    }
}

typedef struct {
    void *context;
    void *router;
    void *dealer;
} s_pair_t;

static int
s_pair_setup (void **state)
{
    static int counter;
    s_pair_t *pair = calloc (1, sizeof *pair);
    assert_non_null (pair);
    pair->context = zmq_ctx_new ();
    pair->router = zmq_socket (pair->context, ZMQ_ROUTER);
    pair->dealer = zmq_socket (pair->context, ZMQ_DEALER);
    int on = 1, timeout = 2000, linger = 0;
    assert_int_equal (
        zmq_setsockopt (pair->router, ZMQ_ROUTER_MANDATORY, &on, sizeof on), 0);
    void *sockets[2] = {pair->router, pair->dealer};
    for (int i = 0; i < 2; i++) {
        zmq_setsockopt (sockets[i], ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt (sockets[i], ZMQ_SNDTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt (sockets[i], ZMQ_LINGER, &linger, sizeof linger);
    }
    assert_int_equal (
        zmq_setsockopt (pair->dealer, ZMQ_ROUTING_ID, "worker-7", 8), 0);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://test-ws-msg-%d", counter++);
    assert_int_equal (zmq_bind (pair->router, endpoint), 0);
    assert_int_equal (zmq_connect (pair->dealer, endpoint), 0);
    *state = pair;
    return 0;
}

static int
s_pair_teardown (void **state)
{
    s_pair_t *pair = *state;
    zmq_close (pair->dealer);
    zmq_close (pair->router);
    zmq_ctx_term (pair->context);
    free (pair);
    return 0;
}

static void
test_socket_round_trip (void **state)
{
    s_pair_t *pair = *state;
    for (size_t i = 0; i < S_VALID_COUNT; i++) {
        json_t *body = s_parse (s_valid[i].body);
        json_t *copy = json_deep_copy (body);
        ws_msg_t *msg = ws_msg_new (s_valid[i].id, &body);
        ws_err_t err;
        //  DEALER -> ROUTER
        if (ws_msg_send (&msg, pair->dealer, &err))
            fail_msg ("send %s: %s", s_valid[i].body, err.text);
        assert_null (msg);
        uint8_t id[WS_MSG_MAX_ROUTING_ID];
        size_t id_len = 0;
        ws_msg_t *got = ws_msg_recv (pair->router, true, 0, &err, id, &id_len);
        if (!got)
            fail_msg ("recv %s: %s", s_valid[i].body, err.text);
        assert_int_equal (ws_msg_id (got), s_valid[i].id);
        assert_true (json_equal (ws_msg_body (got), copy));
        assert_int_equal (id_len, 8);
        assert_memory_equal (id, "worker-7", 8);
        size_t len;
        assert_memory_equal (ws_msg_routing_id (got, &len), "worker-7", 8);
        assert_int_equal (len, 8);
        //  ROUTER -> DEALER: the received message goes back as it came,
        //  its routing id choosing the peer.
        assert_int_equal (ws_msg_send (&got, pair->router, &err), 0);
        got = ws_msg_recv (pair->dealer, false, 0, &err, id, &id_len);
        if (!got)
            fail_msg ("recv back %s: %s", s_valid[i].body, err.text);
        assert_int_equal (id_len, 0);
        assert_int_equal (ws_msg_id (got), s_valid[i].id);
        assert_true (json_equal (ws_msg_body (got), copy));
        ws_msg_destroy (&got);
        json_decref (copy);
    }
    //  Nothing is left over.
    ws_err_t err;
    assert_null (
        ws_msg_recv (pair->router, true, ZMQ_DONTWAIT, &err, NULL, NULL));
    assert_int_equal (err.code, WS_ERR_TIMEOUT);
    assert_null (
        ws_msg_recv (pair->dealer, false, ZMQ_DONTWAIT, &err, NULL, NULL));
    assert_int_equal (err.code, WS_ERR_TIMEOUT);
}

static void
test_send_refuses_invalid (void **state)
{
    s_pair_t *pair = *state;
    json_t *body = s_parse ("{\"name\":\"w\",\"credit\":0,\"pid\":1,"
                            "\"host\":\"\",\"version\":\"\"}");
    ws_msg_t *msg = ws_msg_new (WS_MSG_READY, &body);
    ws_err_t err;
    assert_int_equal (ws_msg_send (&msg, pair->dealer, &err), -1);
    assert_null (msg);
    assert_int_equal (err.code, WS_ERR_PROTO);
    assert_string_equal (err.where, "/credit");
    assert_string_equal (err.text, "READY: /credit: expected an integer in "
                                   "1..65536, found 0");
    //  Nothing reached the wire.
    assert_null (
        ws_msg_recv (pair->router, true, ZMQ_DONTWAIT, &err, NULL, NULL));
    assert_int_equal (err.code, WS_ERR_TIMEOUT);
    //  A string with a NUL would be sent as \u0000, which receivers
    //  refuse: the sender refuses it first.
    body = json_object ();
    json_object_set_new (body, "reason", json_stringn ("a\0b", 3));
    msg = ws_msg_new (WS_MSG_DISCONNECT, &body);
    assert_int_equal (ws_msg_send (&msg, pair->dealer, &err), -1);
    assert_string_equal (err.where, "/reason");
    body = json_pack ("{s:i, s:s, s:{}}", "id", 1, "command", "x", "args");
    json_object_setn_new (json_object_get (body, "args"), "k\0", 2,
                          json_true ());
    msg = ws_msg_new (WS_MSG_REQUEST, &body);
    assert_int_equal (ws_msg_send (&msg, pair->dealer, &err), -1);
    assert_string_equal (err.where, "/args/k\\u0000");
    //  No message at all.
    assert_int_equal (ws_msg_send (&msg, pair->dealer, &err), -1);
}

static void
test_send_unroutable (void **state)
{
    s_pair_t *pair = *state;
    ws_msg_t *msg = ws_msg_new (WS_MSG_HEARTBEAT, NULL);
    ws_msg_set_routing_id (msg, (const uint8_t *) "nobody", 6);
    ws_err_t err;
    assert_int_equal (ws_msg_send (&msg, pair->router, &err), -1);
    assert_null (msg);
    assert_int_equal (err.code, WS_ERR_NET);
    assert_non_null (strstr (err.text, "HEARTBEAT: send:"));
    //  A ROUTER needs a routing id.
    msg = ws_msg_new (WS_MSG_HEARTBEAT, NULL);
    assert_int_equal (ws_msg_send (&msg, pair->router, &err), -1);
    assert_string_equal (err.text,
                         "HEARTBEAT: send: no routing id for a ROUTER socket");
    //  A DEALER ignores one (a message passed on as it came).
    msg = ws_msg_new (WS_MSG_HEARTBEAT, NULL);
    ws_msg_set_routing_id (msg, (const uint8_t *) "x", 1);
    assert_int_equal (ws_msg_send (&msg, pair->dealer, &err), 0);
    size_t id_len = 0;
    uint8_t id[WS_MSG_MAX_ROUTING_ID];
    msg = ws_msg_recv (pair->router, true, 0, &err, id, &id_len);
    assert_non_null (msg);
    assert_int_equal (id_len, 8);
    ws_msg_destroy (&msg);
}

//  Send raw frames from the dealer.
static void
s_send_raw (void *socket, size_t count, ...)
{
    va_list args;
    va_start (args, count);
    for (size_t i = 0; i < count; i++) {
        const char *frame = va_arg (args, const char *);
        int flags = i + 1 < count ? ZMQ_SNDMORE : 0;
        assert_int_equal (zmq_send (socket, frame, strlen (frame), flags),
                          (int) strlen (frame));
    }
    va_end (args);
}

static void
test_recv_malformed (void **state)
{
    s_pair_t *pair = *state;
    struct {
        size_t count;
        const char *frames[6];
        const char *where;
        const char *text;
    } cases[] = {
        {3,
         {"HTTP/1.1", "READY", "{}"},
         "#signature",
         "not a watershed message (signature frame \"HTTP/1.1\", expected "
         "\"WSP/1\")"},
        {3,
         {"WSP/2", "READY", "{}"},
         "#version",
         "expected protocol WSP/1, got WSP/2"},
        {2, {"WSP/1", "HEARTBEAT"}, "#frames", "expected 3 frames, got 2"},
        {1, {"WSP/1"}, "#frames", "expected 3 frames, got 1"},
        {5,
         {"WSP/1", "HEARTBEAT", "{}", "{}", "x"},
         "#frames",
         "expected 3 frames, got 5"},
        {3, {"WSP/1", "FETCH", "{}"}, "#command", "unknown command \"FETCH\""},
        {3,
         {"WSP/1", "HEARTBEAT", "{\"running\":"},
         "#body",
         "HEARTBEAT: body is not valid JSON"},
        {3,
         {"WSP/1", "HEARTBEAT", "[]"},
         "#body",
         "HEARTBEAT: body: expected a JSON object, found an array of 0 "
         "items"},
        {3,
         {"WSP/1", "HEARTBEAT", "{\"running\":-1}"},
         "/running",
         "HEARTBEAT: /running: expected an integer >= 0, found -1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const *f = cases[i].frames;
        switch (cases[i].count) {
        case 1: s_send_raw (pair->dealer, 1, f[0]); break;
        case 2: s_send_raw (pair->dealer, 2, f[0], f[1]); break;
        case 3: s_send_raw (pair->dealer, 3, f[0], f[1], f[2]); break;
        case 5:
            s_send_raw (pair->dealer, 5, f[0], f[1], f[2], f[3], f[4]);
            break;
        }
        //  And a good message right behind it: the bad one must have
        //  been consumed whole.
        ws_msg_t *good = ws_msg_new (WS_MSG_HEARTBEAT, NULL);
        ws_err_t err;
        assert_int_equal (ws_msg_send (&good, pair->dealer, &err), 0);

        uint8_t id[WS_MSG_MAX_ROUTING_ID];
        size_t id_len = 0;
        ws_msg_t *msg = ws_msg_recv (pair->router, true, 0, &err, id, &id_len);
        assert_null (msg);
        assert_int_equal (err.code, WS_ERR_PROTO);
        assert_string_equal (err.where, cases[i].where);
        if (!strstr (err.text, cases[i].text))
            fail_msg ("case %zu: '%s' lacks '%s'", i, err.text, cases[i].text);
        //  The caller can answer that peer only.
        assert_int_equal (id_len, 8);
        assert_memory_equal (id, "worker-7", 8);
        assert_string_equal (
            ws_msg_error_code (&err),
            strcmp (cases[i].where, "#version") == 0 ? "version" : "proto");

        msg = ws_msg_recv (pair->router, true, 0, &err, id, &id_len);
        assert_non_null (msg);
        assert_int_equal (ws_msg_id (msg), WS_MSG_HEARTBEAT);
        //  Answer the fault with an ERROR, as the coordinator does.
        ws_msg_t *reply = ws_msg_new_error (ws_msg_error_code (&err), "bad");
        ws_msg_set_routing_id (reply, id, id_len);
        assert_int_equal (ws_msg_send (&reply, pair->router, &err), 0);
        ws_msg_destroy (&msg);
        msg = ws_msg_recv (pair->dealer, false, 0, &err, NULL, NULL);
        assert_non_null (msg);
        assert_int_equal (ws_msg_id (msg), WS_MSG_ERROR);
        ws_msg_destroy (&msg);
    }
    //  A DEALER gets malformed messages too (from a ROUTER).
    zmq_send (pair->router, "worker-7", 8, ZMQ_SNDMORE);
    zmq_send (pair->router, "WSP/1", 5, ZMQ_SNDMORE);
    zmq_send (pair->router, "JOB", 3, ZMQ_SNDMORE);
    zmq_send (pair->router, "{\"jobs\":[]}", 11, 0);
    ws_err_t err;
    size_t id_len = 99;
    uint8_t id[WS_MSG_MAX_ROUTING_ID];
    assert_null (ws_msg_recv (pair->dealer, false, 0, &err, id, &id_len));
    assert_int_equal (id_len, 0);
    assert_string_equal (err.where, "/jobs");
    assert_string_equal (err.text, "JOB: /jobs: expected an array of 1..10000 "
                                   "items, found an array of 0 items");
}

//  --------------------------------------------------------------------
//  Framing faults through ws_msg_decode.

static void
test_decode_frames (void **state)
{
    (void) state;
    ws_err_t err;
    const char *ok_body = "{\"reason\":\"x\"}";
    ws_msg_t *msg =
        s_decode3 ("WSP/1", "DISCONNECT", ok_body, strlen (ok_body), &err);
    assert_non_null (msg);
    ws_msg_destroy (&msg);

    struct {
        const char *signature, *command, *body;
        const char *where, *text;
    } cases[] = {
        {"WSP/2", "DISCONNECT", "{}", "#version",
         "expected protocol WSP/1, got WSP/2"},
        {"WSP/10", "DISCONNECT", "{}", "#version",
         "expected protocol WSP/1, got WSP/10"},
        {"WSP/", "DISCONNECT", "{}", "#signature", "not a watershed message"},
        {"WSP/1x", "DISCONNECT", "{}", "#signature", "not a watershed message"},
        {"wsp/1", "DISCONNECT", "{}", "#signature", "not a watershed message"},
        {"", "DISCONNECT", "{}", "#signature", "not a watershed message"},
        {"\x01\x02\n", "DISCONNECT", "{}", "#signature",
         "signature frame \"\\u0001\\u0002\\u000a\""},
        {"WSP/1", "disconnect", "{}", "#command",
         "unknown command \"disconnect\""},
        {"WSP/1", "", "{}", "#command", "unknown command \"\""},
        {"WSP/1", "READY ", "{}", "#command", "unknown command \"READY \""},
        {"WSP/1", "\xff\n", "{}", "#command",
         "unknown command \"\\xff\\u000a\""},
        {"WSP/1", "DISCONNECT", "", "#body", "not valid JSON"},
        {"WSP/1", "DISCONNECT", "{\"reason\":\"x\"", "#body", "not valid JSON"},
        {"WSP/1", "DISCONNECT", "{\"reason\":\"x\"} {}", "#body",
         "not valid JSON"},
        {"WSP/1", "DISCONNECT", "{reason:1}", "#body", "not valid JSON"},
        {"WSP/1", "DISCONNECT", "{\"reason\":\"\xc3\x28\"}", "#body",
         "not valid JSON"},
        {"WSP/1", "DISCONNECT", "{\"reason\":\"a\\u0000b\"}", "#body",
         "not valid JSON"},
        {"WSP/1", "DISCONNECT", "{\"reason\":\"a\",\"reason\":\"b\"}", "#body",
         "duplicate"},
        {"WSP/1", "HEARTBEAT", "{\"running\":1e400}", "#body",
         "not valid JSON"},
        {"WSP/1", "HEARTBEAT", "{\"running\":NaN}", "#body", "not valid JSON"},
        {"WSP/1", "HEARTBEAT", "{\"running\":99999999999999999999}", "#body",
         "not valid JSON"},
        {"WSP/1", "HEARTBEAT", "\"x\"", "#body",
         "HEARTBEAT: body: expected a JSON object, found \"x\""},
        {"WSP/1", "HEARTBEAT", "null", "#body", "found null"},
        {"WSP/1", "HEARTBEAT", "3", "#body", "found 3"},
        {"WSP/1", "HEARTBEAT", "[{}]", "#body", "found an array of 1 items"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ws_err_clear (&err);
        msg = s_decode3 (cases[i].signature, cases[i].command, cases[i].body,
                         strlen (cases[i].body), &err);
        if (msg)
            fail_msg ("case %zu: decoded", i);
        assert_int_equal (err.code, WS_ERR_PROTO);
        if (strcmp (err.where, cases[i].where)
            || !strstr (err.text, cases[i].text))
            fail_msg ("case %zu: '%s' at '%s', expected '%s' at '%s'", i,
                      err.text, err.where, cases[i].text, cases[i].where);
    }

    //  A body with a NUL byte in the frame.
    msg = s_decode3 ("WSP/1", "HEARTBEAT", "{}\0", 3, &err);
    assert_null (msg);
    assert_string_equal (err.where, "#body");

    //  Frame counts, with and without a routing id.
    const uint8_t *frames[5] = {(const uint8_t *) "id",
                                (const uint8_t *) "WSP/1",
                                (const uint8_t *) "HEARTBEAT",
                                (const uint8_t *) "{}", (const uint8_t *) "{}"};
    size_t sizes[5] = {2, 5, 9, 2, 2};
    assert_null (ws_msg_decode (frames + 1, sizes + 1, 0, false, &err));
    assert_string_equal (err.where, "#frames");
    assert_string_equal (err.text, "expected 3 frames, got 0");
    assert_null (ws_msg_decode (frames + 1, sizes + 1, 2, false, &err));
    assert_string_equal (err.text, "expected 3 frames, got 2");
    assert_null (ws_msg_decode (frames + 1, sizes + 1, 4, false, &err));
    assert_string_equal (err.text, "expected 3 frames, got 4");
    assert_null (ws_msg_decode (frames, sizes, 5, true, &err));
    assert_string_equal (err.text, "expected 3 frames, got 4");
    //  A ROUTER message without its routing id: the signature is taken
    //  for the routing id and then the command for the signature.
    assert_null (ws_msg_decode (frames + 1, sizes + 1, 3, true, &err));
    assert_string_equal (err.where, "#signature");
    assert_null (ws_msg_decode (frames, sizes, 0, true, &err));
    assert_string_equal (err.where, "#routing-id");
    size_t bad_sizes[4] = {0, 5, 9, 2};
    assert_null (ws_msg_decode (frames, bad_sizes, 4, true, &err));
    assert_string_equal (err.where, "#routing-id");
    uint8_t long_id[WS_MSG_MAX_ROUTING_ID + 1];
    memset (long_id, 'r', sizeof long_id);
    const uint8_t *long_frames[4] = {long_id, frames[1], frames[2], frames[3]};
    size_t long_sizes[4] = {sizeof long_id, 5, 9, 2};
    assert_null (ws_msg_decode (long_frames, long_sizes, 4, true, &err));
    assert_string_equal (err.where, "#routing-id");
    long_sizes[0] = WS_MSG_MAX_ROUTING_ID;
    msg = ws_msg_decode (long_frames, long_sizes, 4, true, &err);
    assert_non_null (msg);
    ws_msg_destroy (&msg);

    //  Oversized body: refused before it is parsed (calloc'd pages are
    //  never touched).
    size_t big = (size_t) WS_MSG_MAX_BODY + 1;
    char *huge = calloc (1, big);
    assert_non_null (huge);
    msg = s_decode3 ("WSP/1", "RESULT", huge, big, &err);
    assert_null (msg);
    assert_string_equal (err.where, "#body");
    assert_non_null (strstr (err.text, "RESULT: body of 67108865 bytes is "
                                       "over the limit of 67108864 bytes"));
    free (huge);
}

//  --------------------------------------------------------------------
//  Every field of every body: missing, wrong type, unknown key next to
//  it, on every object of the body.

//  Fields that may be left out of the sample body they are in.
static bool
s_optional (ws_msg_id_t id, const char *key, json_t *object)
{
    if (id == WS_MSG_HEARTBEAT && strcmp (key, "running") == 0)
        return true;
    if (id == WS_MSG_REPLY
        && (strcmp (key, "code") == 0 || strcmp (key, "where") == 0))
        return true;
    //  A delivery's headers; the Retry-After and response it may not have.
    if (id == WS_MSG_JOB && strcmp (key, "headers") == 0)
        return true;
    if (id == WS_MSG_RESULT
        && (strcmp (key, "retry_after_ms") == 0
            || strcmp (key, "response") == 0))
        return true;
    //  A result's error may be left out when there is none.
    if (id == WS_MSG_RESULT
        && (strcmp (key, "error_kind") == 0
            || (strcmp (key, "error") == 0
                && json_is_true (json_object_get (object, "ok")))))
        return true;
    return false;
}

//  Pointer + "/" + key, escaped as RFC 6901.
static void
s_join (char *out, size_t size, const char *pointer, const char *key)
{
    size_t len = (size_t) snprintf (out, size, "%s/", pointer);
    for (const char *at = key; *at && len + 3 < size; at++) {
        if (*at == '~' || *at == '/') {
            out[len++] = '~';
            out[len++] = *at == '~' ? '0' : '1';
        }
        else
            out[len++] = *at;
    }
    out[len] = '\0';
}

//  A value of a type no field at this key accepts.
static json_t *
s_wrong_type (json_t *value)
{
    if (json_is_array (value))
        return json_string ("x");
    if (json_is_string (value) || json_is_null (value))
        return json_integer (1);
    return json_array ();
}

static void
s_mutate_object (ws_msg_id_t id, json_t *body, json_t *object,
                 const char *pointer, bool open)
{
    //  An unknown key next to the others.
    char where[512];
    s_join (where, sizeof where, pointer, "zz/unknown~");
    //  (A string: labels take any key whose value is a string.)
    json_object_set_new (object, "zz/unknown~", json_string ("v"));
    if (open)
        s_expect_accepted (id, body);
    else
        s_expect_refused (id, body, where, "unknown key");
    json_object_del (object, "zz/unknown~");
    if (open)
        return;

    //  Each member removed, then given the wrong type. Putting a member
    //  back moves it to the end, so walk a copy of the keys.
    size_t count = json_object_size (object);
    char **keys = calloc (count, sizeof *keys);
    const char *member_key;
    json_t *member;
    size_t n = 0;
    json_object_foreach (object, member_key, member)
        keys[n++] = strdup (member_key);
    for (size_t k = 0; k < count; k++) {
        const char *key = keys[k];
        json_t *value = json_object_get (object, key);
        s_join (where, sizeof where, pointer, key);
        json_incref (value);
        json_object_del (object, key);
        if (s_optional (id, key, object))
            s_expect_accepted (id, body);
        else
            s_expect_refused (id, body, where, "missing");
        //  REPLY "result" is any value.
        if (!(id == WS_MSG_REPLY && strcmp (key, "result") == 0)) {
            json_object_set_new (object, key, s_wrong_type (value));
            s_expect_refused (id, body, where, "expected");
            //  Integers only where integers are asked for.
            if (json_is_integer (value)) {
                json_object_set_new (
                    object, key,
                    json_real ((double) json_integer_value (value)));
                s_expect_refused (id, body, where, "expected an integer");
            }
        }
        json_object_set_new (object, key, value);
        s_expect_accepted (id, body);
    }
    for (size_t k = 0; k < count; k++)
        free (keys[k]);
    free (keys);
}

//  Walk every object in the body; "source", "args", "result" and
//  "labels" are open (or of their own shape) and only get the unknown
//  key test (accepted). A delivery's "headers" take any key that is an
//  HTTP token: their rows are in s_rows.
static void
s_mutate_all (ws_msg_id_t id, json_t *body, json_t *value, const char *pointer,
              const char *key)
{
    char where[512];
    if (key && strcmp (key, "headers") == 0)
        return;
    if (json_is_object (value)) {
        bool open =
            key
            && (strcmp (key, "source") == 0 || strcmp (key, "args") == 0
                || strcmp (key, "result") == 0 || strcmp (key, "labels") == 0);
        if (!open) {
            const char *member_key;
            json_t *member;
            json_object_foreach (value, member_key, member) {
                s_join (where, sizeof where, pointer, member_key);
                s_mutate_all (id, body, member, where, member_key);
            }
        }
        s_mutate_object (id, body, value, pointer, open);
    }
    else if (json_is_array (value) && key && strcmp (key, "result")) {
        size_t index;
        json_t *item;
        json_array_foreach (value, index, item) {
            snprintf (where, sizeof where, "%s/%zu", pointer, index);
            s_mutate_all (id, body, item, where, NULL);
        }
    }
}

static void
test_every_field (void **state)
{
    (void) state;
    for (size_t i = 0; i < S_VALID_COUNT; i++) {
        json_t *body = s_parse (s_valid[i].body);
        s_expect_accepted (s_valid[i].id, body);
        s_mutate_all (s_valid[i].id, body, body, "", NULL);
        json_decref (body);
    }
}

//  --------------------------------------------------------------------
//  Ranges and rules, one row each: set pointer to value in a valid
//  body; where NULL means accepted. "@S<n>" is a string of n bytes,
//  "@L<n>" a labels object of n members, "@I<n>" an array of n ids.

typedef struct {
    size_t sample;  //  index in s_valid
    const char *pointer;
    const char *value;
    const char *where;
    const char *text;
} s_row_t;

#define READY_ 0
#define HEARTBEAT_ 2
#define JOB_ 3
#define RESULT_ 4
#define ACK_ 5
#define DISCONNECT_ 6
#define ERROR_ 7
#define REQUEST_ 8
#define REPLY_OK 9
#define REPLY_FAIL 10
#define DELIVER_JOB 11
#define DELIVER_RESULT 12

static const s_row_t s_rows[] = {
    {READY_, "/credit", "0", "/credit",
     "READY: /credit: expected an integer in 1..65536, found 0"},
    {READY_, "/credit", "1", NULL, NULL},
    {READY_, "/credit", "65536", NULL, NULL},
    {READY_, "/credit", "65537", "/credit", "found 65537"},
    {READY_, "/credit", "\"8\"", "/credit", "found \"8\""},
    {READY_, "/credit", "8.0", "/credit", "found 8.0"},
    {READY_, "/credit", "8e0", "/credit", "found 8.0"},
    {READY_, "/credit", "1e300", "/credit", "found 1.0000000000000001e+300"},
    {READY_, "/name", "\"\"", "/name",
     "READY: /name: expected a string of 1..128 bytes, found \"\""},
    {READY_, "/name", "@S128", NULL, NULL},
    {READY_, "/name", "@S129", "/name",
     "found a string of 129 bytes \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""},
    {READY_, "/name", "null", "/name", "found null"},
    {READY_, "/pid", "-1", "/pid", "expected an integer >= 0, found -1"},
    {READY_, "/pid", "0", NULL, NULL},
    {READY_, "/host", "\"\"", NULL, NULL},
    {READY_, "/host", "@S255", NULL, NULL},
    {READY_, "/host", "@S256", "/host",
     "expected a string of at most 255 bytes"},
    {READY_, "/version", "@S64", NULL, NULL},
    {READY_, "/version", "@S65", "/version", NULL},
    {READY_, "/name", "\"\xc3\xa9t\xc3\xa9\"", NULL, NULL},
    {HEARTBEAT_, "/running", "0", NULL, NULL},
    {HEARTBEAT_, "/running", "-1", "/running", NULL},
    {HEARTBEAT_, "/running", "true", "/running",
     "expected an integer >= 0, found true"},
    {JOB_, "/jobs", "[]", "/jobs", "expected an array of 1..10000 items"},
    {JOB_, "/jobs", "{}", "/jobs", "found an object of 0 members"},
    {JOB_, "/jobs/1", "7", "/jobs/1",
     "JOB: /jobs/1: expected an object, "
     "found 7"},
    {JOB_, "/jobs/1/attempt", "\"x\"", "/jobs/1/attempt",
     "JOB: /jobs/1/attempt: expected an integer >= 1, found \"x\""},
    {JOB_, "/jobs/1/attempt", "0", "/jobs/1/attempt", NULL},
    {JOB_, "/jobs/0/id", "0", "/jobs/0/id", NULL},
    {JOB_, "/jobs/0/id", "9223372036854775807", NULL, NULL},
    {JOB_, "/jobs/0/kind", "\"fetch\"", "/jobs/0/kind",
     "expected one of \"collect\", \"analyze\", \"evaluate\", \"deliver\", "
     "\"probe\", found \"fetch\""},
    {RESULT_, "/results/0/kind", "\"probe\"", "/results/0/report",
     "missing, required for kind probe"},
    {JOB_, "/jobs/0/kind", "\"deliver\"", "/jobs/0/delivery_id",
     "missing, required for kind deliver"},
    {RESULT_, "/results/0/kind", "\"deliver\"", "/results/0/delivery_id",
     "missing, required for kind deliver"},
    {DELIVER_JOB, "/jobs/0/request", "[]", "/jobs/0/request",
     "JOB: /jobs/0/request: expected an object, found an array of 0 items"},
    {DELIVER_JOB, "/jobs/0/delivery_id", "0", "/jobs/0/delivery_id",
     "expected an integer >= 1, found 0"},
    {DELIVER_JOB, "/jobs/0/request/url", "\"ftp://hooks.example/a\"",
     "/jobs/0/request/url",
     "JOB: /jobs/0/request/url: expected an http:// or https:// URL"},
    {DELIVER_JOB, "/jobs/0/request/url", "\"hooks.example\"",
     "/jobs/0/request/url", "expected an http:// or https:// URL"},
    {DELIVER_JOB, "/jobs/0/request/url", "\"HTTP://hooks.example/a\"", NULL,
     NULL},
    {DELIVER_JOB, "/jobs/0/request/url", "\"http://127.0.0.1:8080/\"", NULL,
     NULL},
    {DELIVER_JOB, "/jobs/0/request/url", "\"\"", "/jobs/0/request/url",
     "expected a string of 1..2048 bytes, found \"\""},
    {DELIVER_JOB, "/jobs/0/request/url", "@S2049", "/jobs/0/request/url",
     "expected a string of 1..2048 bytes"},
    {DELIVER_JOB, "/jobs/0/request/body", "\"\"", NULL, NULL},
    {DELIVER_JOB, "/jobs/0/request/body", "@S1048576", NULL, NULL},
    {DELIVER_JOB, "/jobs/0/request/body", "@S1048577", "/jobs/0/request/body",
     "expected a string of at most 1048576 bytes"},
    {DELIVER_JOB, "/jobs/0/request/timeout_ms", "99",
     "/jobs/0/request/timeout_ms",
     "expected an integer in 100..3600000, found 99"},
    {DELIVER_JOB, "/jobs/0/request/timeout_ms", "100", NULL, NULL},
    {DELIVER_JOB, "/jobs/0/request/timeout_ms", "3600000", NULL, NULL},
    {DELIVER_JOB, "/jobs/0/request/timeout_ms", "3600001",
     "/jobs/0/request/timeout_ms", "found 3600001"},
    {DELIVER_JOB, "/jobs/0/request/headers", "{}", NULL, NULL},
    {DELIVER_JOB, "/jobs/0/request/headers", "@L64", NULL, NULL},
    {DELIVER_JOB, "/jobs/0/request/headers", "@L65", "/jobs/0/request/headers",
     "expected an object of at most 64 members whose values are strings, "
     "found an object of 65 members"},
    {DELIVER_JOB, "/jobs/0/request/headers", "\"x\"", "/jobs/0/request/headers",
     NULL},
    {DELIVER_JOB, "/jobs/0/request/headers",
     "{\"Authorization\":\"Bearer ${HOOK_TOKEN}\",\"X-Empty\":\"\"}", NULL,
     NULL},
    {DELIVER_JOB, "/jobs/0/request/headers", "{\"X-A\":1}",
     "/jobs/0/request/headers/X-A",
     "JOB: /jobs/0/request/headers/X-A: expected a string (header value), "
     "found 1"},
    {DELIVER_JOB, "/jobs/0/request/headers", "{\"Bad Name\":\"v\"}",
     "/jobs/0/request/headers/Bad Name",
     "expected a header name of 1..256 token characters"},
    {DELIVER_JOB, "/jobs/0/request/headers", "{\"X-A:\":\"v\"}",
     "/jobs/0/request/headers/X-A:", "expected a header name"},
    {DELIVER_JOB, "/jobs/0/request/headers", "{\"\":\"v\"}",
     "/jobs/0/request/headers/", "expected a header name"},
    {DELIVER_JOB, "/jobs/0/request/headers", "{\"X-A\":\"a\\r\\nX-Evil: 1\"}",
     "/jobs/0/request/headers/X-A",
     "a header value must not contain a line break"},
    {DELIVER_JOB, "/jobs/0/request/headers", "{\"X-A\":\"a\\nb\"}",
     "/jobs/0/request/headers/X-A", "line break"},
    {DELIVER_RESULT, "/results/0/http_status", "302", "/results/0/http_status",
     "RESULT: /results/0/http_status: expected 200..299 when \"ok\" is "
     "true, found 302"},
    {DELIVER_RESULT, "/results/0/http_status", "0", "/results/0/http_status",
     "found 0"},
    {DELIVER_RESULT, "/results/0/http_status", "200", NULL, NULL},
    {DELIVER_RESULT, "/results/0/http_status", "299", NULL, NULL},
    {DELIVER_RESULT, "/results/1/http_status", "0", NULL, NULL},
    {DELIVER_RESULT, "/results/1/http_status", "200", NULL, NULL},
    {DELIVER_RESULT, "/results/0/delivery_id", "0", "/results/0/delivery_id",
     "expected an integer >= 1, found 0"},
    {DELIVER_RESULT, "/results/1/retry_after_ms", "0", NULL, NULL},
    {DELIVER_RESULT, "/results/1/retry_after_ms", "-1",
     "/results/1/retry_after_ms", "expected an integer >= 0, found -1"},
    {DELIVER_RESULT, "/results/1/retry_after_ms", "1.5",
     "/results/1/retry_after_ms", "found 1.5"},
    {DELIVER_RESULT, "/results/1/response", "\"\"", NULL, NULL},
    {DELIVER_RESULT, "/results/1/response", "@S4096", NULL, NULL},
    {DELIVER_RESULT, "/results/1/response", "@S4097", "/results/1/response",
     "expected a string of at most 4096 bytes"},
    {DELIVER_RESULT, "/results/1/response", "null", "/results/1/response",
     NULL},
    {DELIVER_RESULT, "/results/1/error_kind", "\"net\"", NULL, NULL},
    {DELIVER_RESULT, "/results/1/error_kind", "\"input\"", NULL, NULL},
    {DELIVER_RESULT, "/results/1/error_kind", "\"timeout\"", NULL, NULL},
    {DELIVER_RESULT, "/results/1/error", "null", "/results/1/error",
     "expected a string when \"ok\" is false"},
    {JOB_, "/jobs/0/kind", "\"evaluate\"", "/jobs/0/goal_id",
     "missing, required for kind evaluate"},
    {RESULT_, "/results/0/kind", "\"evaluate\"", "/results/0/goal_id",
     "missing, required for kind evaluate"},
    {JOB_, "/jobs/0/kind", "\"analyze\"", "/jobs/0/series_id",
     "missing, required for kind analyze"},
    {JOB_, "/jobs/0/window_days", "0", "/jobs/0/window_days", NULL},
    {RESULT_, "/results/0/kind", "\"analyze\"", "/results/0/series_id",
     "missing, required for kind analyze"},
    {JOB_, "/jobs/0/tick", "-1", "/jobs/0/tick", NULL},
    {JOB_, "/jobs/0/deadline", "-5", "/jobs/0/deadline", NULL},
    {JOB_, "/jobs/0/source_id", "0", "/jobs/0/source_id", NULL},
    {JOB_, "/jobs/0/source", "[]", "/jobs/0/source",
     "expected an object, found an array of 0 items"},
    {JOB_, "/jobs/0/source", "{\"anything\":[1,{\"goes\":null}]}", NULL, NULL},
    {RESULT_, "/results", "[]", "/results", NULL},
    {RESULT_, "/results/0/ok", "1", "/results/0/ok",
     "expected true or false, found 1"},
    {RESULT_, "/results/0/ok", "false", "/results/0/error",
     "RESULT: /results/0/error: expected a string when \"ok\" is false, "
     "found null"},
    {RESULT_, "/results/1/error", "null", "/results/1/error", NULL},
    {RESULT_, "/results/0/error", "\"slow\"", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "\"bogus\"", "/results/1/error_kind",
     "expected one of \"net\", \"http\", \"timeout\", \"extract\", "
     "\"input\", \"size\", \"system\", \"resend\" or null, found "
     "\"bogus\""},
    {RESULT_, "/results/1/error_kind", "\"resend\"", NULL, NULL},
    {RESULT_, "/results/0/values", "[1,null,2.5]", "/results/0/values",
     "not allowed with samples"},
    {JOB_, "/jobs/0/version", "0", "/jobs/0/version",
     "expected an integer >= 1, found 0"},
    {JOB_, "/jobs/0/version", "3", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "\"net\"", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "\"timeout\"", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "\"extract\"", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "\"input\"", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "\"size\"", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "\"system\"", NULL, NULL},
    {RESULT_, "/results/1/error_kind", "null", NULL, NULL},
    {RESULT_, "/results/1/error", "7", "/results/1/error",
     "expected a string or null, found 7"},
    {RESULT_, "/results/0/http_status", "999", NULL, NULL},
    {RESULT_, "/results/0/http_status", "1000", "/results/0/http_status",
     "expected an integer in 0..999"},
    {RESULT_, "/results/0/http_status", "0", NULL, NULL},
    {RESULT_, "/results/0/duration_ms", "-1", "/results/0/duration_ms", NULL},
    {RESULT_, "/results/0/bytes", "-1", "/results/0/bytes", NULL},
    {RESULT_, "/results/0/tick", "1.5", "/results/0/tick",
     "expected an integer >= 0, found 1.5"},
    {RESULT_, "/results/1/samples",
     "[{\"metric\":\"m\",\"labels\":{},\"type\":\"gauge\",\"value\":1}]", NULL,
     NULL},
    {RESULT_, "/results/0/samples/0/type", "\"counter\"", NULL, NULL},
    {RESULT_, "/results/0/samples/0/type", "\"gauge\"", NULL, NULL},
    {RESULT_, "/results/0/samples/0/type", "\"histogram\"",
     "/results/0/samples/0/type",
     "expected one of \"gauge\", \"counter\", \"per_period\", found "
     "\"histogram\""},
    {RESULT_, "/results/0/samples/0/value", "-3", NULL, NULL},
    {RESULT_, "/results/0/samples/0/value", "1e308", NULL, NULL},
    {RESULT_, "/results/0/samples/0/value", "\"1\"",
     "/results/0/samples/0/value", "expected a finite number, found \"1\""},
    {RESULT_, "/results/0/samples/0/value", "null",
     "/results/0/samples/0/value", NULL},
    {RESULT_, "/results/0/samples/0/metric", "\"\"",
     "/results/0/samples/0/metric", NULL},
    {RESULT_, "/results/0/samples/0/metric", "@S200", NULL, NULL},
    {RESULT_, "/results/0/samples/0/metric", "@S201",
     "/results/0/samples/0/metric", NULL},
    {RESULT_, "/results/0/samples/0/labels", "@L64", NULL, NULL},
    {RESULT_, "/results/0/samples/0/labels", "@L65",
     "/results/0/samples/0/labels",
     "expected an object of at most 64 members whose values are strings, "
     "found an object of 65 members"},
    {RESULT_, "/results/0/samples/0/labels", "[]",
     "/results/0/samples/0/labels", NULL},
    {RESULT_, "/results/0/samples/0/labels", "{\"a/b\":1}",
     "/results/0/samples/0/labels/a~1b",
     "RESULT: /results/0/samples/0/labels/a~1b: expected a string (label "
     "value), found 1"},
    {RESULT_, "/results/0/samples/0/labels", "{\"\":\"\",\"~\":\"x\"}", NULL,
     NULL},
    {RESULT_, "/results/0/samples/0/labels", "{\"k\":null}",
     "/results/0/samples/0/labels/k", NULL},
    {RESULT_, "/results/0/samples/0", "[]", "/results/0/samples/0", NULL},
    {ACK_, "/ids", "[]", "/ids", NULL},
    {ACK_, "/ids", "[1,0]", "/ids/1",
     "ACK: /ids/1: expected an integer >= "
     "1, found 0"},
    {ACK_, "/ids", "[1,\"2\"]", "/ids/1", NULL},
    {ACK_, "/ids", "@I100000", NULL, NULL},
    {ACK_, "/ids", "@I100001", "/ids",
     "expected an array of 1..100000 items, found an array of 100001 "
     "items"},
    {DISCONNECT_, "/reason", "\"\"", NULL, NULL},
    {DISCONNECT_, "/reason", "@S512", NULL, NULL},
    {DISCONNECT_, "/reason", "@S513", "/reason", NULL},
    {ERROR_, "/code", "\"\"", "/code", NULL},
    {ERROR_, "/code", "@S32", NULL, NULL},
    {ERROR_, "/code", "@S33", "/code", NULL},
    {ERROR_, "/text", "@S1024", NULL, NULL},
    {ERROR_, "/text", "@S1025", "/text", NULL},
    {REQUEST_, "/id", "0", "/id", NULL},
    {REQUEST_, "/command", "\"\"", "/command", NULL},
    {REQUEST_, "/command", "@S64", NULL, NULL},
    {REQUEST_, "/command", "@S65", "/command", NULL},
    {REQUEST_, "/args", "[]", "/args", NULL},
    {REQUEST_, "/args", "null", "/args", NULL},
    {REQUEST_, "/args", "{\"sources\":[{\"a\":1.5}],\"prune\":true}", NULL,
     NULL},
    {REPLY_OK, "/result", "null", NULL, NULL},
    {REPLY_OK, "/result", "{\"a\":[[[]]]}", NULL, NULL},
    {REPLY_OK, "/error", "\"x\"", "/error",
     "REPLY: /error: not allowed when \"ok\" is true"},
    {REPLY_OK, "/code", "\"x\"", "/code", NULL},
    {REPLY_OK, "/ok", "false", "/error",
     "REPLY: /error: missing, required when \"ok\" is false"},
    {REPLY_FAIL, "/result", "1", "/result", "not allowed when \"ok\" is false"},
    {REPLY_FAIL, "/ok", "true", "/result",
     "missing, required when \"ok\" is true"},
    {REPLY_FAIL, "/code", "\"\"", "/code", NULL},
    {REPLY_FAIL, "/code", "@S33", "/code", NULL},
    {REPLY_FAIL, "/error", "\"\"", NULL, NULL},
    {REPLY_FAIL, "/where", "\"\"", NULL, NULL},
    {REPLY_FAIL, "/where", "@S256", NULL, NULL},
    {REPLY_FAIL, "/where", "@S257", "/where", NULL},
    {REPLY_OK, "/where", "\"/a\"", "/where",
     "REPLY: /where: not allowed when \"ok\" is true"},
};

static json_t *
s_row_value (const char *text)
{
    if (text[0] != '@')
        return s_parse (text);
    long n = strtol (text + 2, NULL, 10);
    if (text[1] == 'S') {
        char *chars = malloc ((size_t) n + 1);
        memset (chars, 'a', (size_t) n);
        chars[n] = '\0';
        json_t *value = json_string (chars);
        free (chars);
        return value;
    }
    json_t *value = text[1] == 'L' ? json_object () : json_array ();
    for (long i = 0; i < n; i++) {
        if (text[1] == 'L') {
            char key[24];
            snprintf (key, sizeof key, "k%ld", i);
            json_object_set_new (value, key, json_string ("v"));
        }
        else
            json_array_append_new (value, json_integer (i + 1));
    }
    return value;
}

//  Set the member at a simple pointer (no escapes) to value (steals).
static void
s_set (json_t *body, const char *pointer, json_t *value)
{
    char path[256];
    snprintf (path, sizeof path, "%s", pointer);
    char *last = strrchr (path, '/');
    *last = '\0';
    json_t *parent = body;
    char *save = NULL;
    for (char *part = strtok_r (path, "/", &save); part;
         part = strtok_r (NULL, "/", &save)) {
        parent = json_is_array (parent)
                     ? json_array_get (parent, strtoul (part, NULL, 10))
                     : json_object_get (parent, part);
        assert_non_null (parent);
    }
    if (json_is_array (parent))
        assert_int_equal (
            json_array_set_new (parent, strtoul (last + 1, NULL, 10), value),
            0);
    else
        assert_int_equal (json_object_set_new (parent, last + 1, value), 0);
}

static void
test_ranges_and_rules (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
        const s_row_t *row = &s_rows[i];
        json_t *body = s_parse (s_valid[row->sample].body);
        s_set (body, row->pointer, s_row_value (row->value));
        if (row->where)
            s_expect_refused (s_valid[row->sample].id, body, row->where,
                              row->text);
        else
            s_expect_accepted (s_valid[row->sample].id, body);
        json_decref (body);
    }
}

//  The compact forms: a job that names a definition the worker holds by
//  its version, and a result that gives one value per rule.
static void
test_compact_forms (void **state)
{
    (void) state;
    json_t *job =
        s_parse ("{\"jobs\":[{\"id\":1,\"attempt\":1,\"kind\":\"collect\","
                 "\"tick\":0,\"deadline\":9,\"source_id\":7,\"version\":3}]}");
    s_expect_accepted (WS_MSG_JOB, job);
    json_object_del (json_array_get (json_object_get (job, "jobs"), 0),
                     "version");
    s_expect_refused (WS_MSG_JOB, job, "/jobs/0/source",
                      "missing, required for kind collect without version");
    json_decref (job);

    json_t *result =
        s_parse ("{\"results\":[{\"id\":1,\"attempt\":1,\"kind\":\"collect\","
                 "\"source_id\":7,\"tick\":0,\"ok\":true,\"http_status\":200,"
                 "\"duration_ms\":1,\"bytes\":9,\"version\":3,"
                 "\"values\":[1,null,2.5]}]}");
    s_expect_accepted (WS_MSG_RESULT, result);
    json_t *item = json_array_get (json_object_get (result, "results"), 0);
    json_array_append_new (json_object_get (item, "values"), json_string ("7"));
    s_expect_refused (WS_MSG_RESULT, result, "/results/0/values/3",
                      "expected a finite number or null, found \"7\"");
    json_array_remove (json_object_get (item, "values"), 3);
    json_object_del (item, "version");
    s_expect_refused (WS_MSG_RESULT, result, "/results/0/version",
                      "missing, required with values");
    json_object_del (item, "values");
    s_expect_refused (WS_MSG_RESULT, result, "/results/0/samples",
                      "missing, required for kind collect (or values)");
    json_decref (result);
}

static void
test_error_text (void **state)
{
    (void) state;
    //  The example of the header, word for word.
    json_t *body = s_parse (s_valid[JOB_].body);
    json_t *jobs = json_object_get (body, "jobs");
    json_t *job = json_array_get (jobs, 0);
    json_array_append (jobs, job);
    json_t *bad = json_deep_copy (job);
    json_object_set_new (bad, "attempt", json_string ("x"));
    json_array_append_new (jobs, bad);
    ws_err_t err;
    assert_int_equal (ws_msg_validate (WS_MSG_JOB, body, &err), -1);
    assert_string_equal (err.text, "JOB: /jobs/3/attempt: expected an integer "
                                   ">= 1, found \"x\"");
    assert_string_equal (err.where, "/jobs/3/attempt");
    assert_int_equal (err.code, WS_ERR_PROTO);
    json_decref (body);

    //  A hostile key: escaped in the text (no control bytes reach a
    //  log), '/' and '~' as RFC 6901 says.
    body = s_parse ("{\"reason\":\"x\",\"a\\nb/c~\":1}");
    assert_int_equal (ws_msg_validate (WS_MSG_DISCONNECT, body, &err), -1);
    assert_string_equal (err.text, "DISCONNECT: /a\\u000ab~1c~0: unknown key");
    assert_string_equal (err.where, "/a\\u000ab~1c~0");
    json_decref (body);

    //  A long key fills the text without breaking a character.
    char key[600];
    size_t len = 0;
    while (len + 2 < sizeof key) {
        key[len++] = '\xc3';
        key[len++] = '\xa9';
    }
    key[len] = '\0';
    body = json_pack ("{s:s, s:i}", "reason", "x", key, 1);
    assert_non_null (body);
    assert_int_equal (ws_msg_validate (WS_MSG_DISCONNECT, body, &err), -1);
    json_t *check = json_string (err.text);  //  NULL if not UTF-8
    assert_non_null (check);
    json_decref (check);
    check = json_string (err.where);
    assert_non_null (check);
    json_decref (check);
    json_decref (body);

    //  A missing field names what it wants.
    body = s_parse ("{\"name\":\"w\",\"pid\":1,\"host\":\"\","
                    "\"version\":\"\"}");
    assert_int_equal (ws_msg_validate (WS_MSG_READY, body, &err), -1);
    assert_string_equal (err.text, "READY: /credit: missing, expected an "
                                   "integer in 1..65536");
    json_decref (body);
}

static void
test_depth (void **state)
{
    (void) state;
    //  REQUEST args at level 2; 63 more levels are allowed (64 in all).
    char text[512] = "{\"id\":1,\"command\":\"x\",\"args\":";
    for (int i = 2; i <= WS_MSG_MAX_DEPTH; i++)
        strcat (text, "[");
    for (int i = 2; i <= WS_MSG_MAX_DEPTH; i++)
        strcat (text, "]");
    strcat (text, "}");
    //  Level 2 is args (an object): replace the outer '[' with '{'.
    json_t *body = s_parse (text);
    json_t *args = json_object ();
    json_object_set (args, "a",
                     json_array_get (json_object_get (body, "args"), 0));
    json_object_set_new (body, "args", args);
    s_expect_accepted (WS_MSG_REQUEST, body);
    //  One more level.
    json_t *inner = json_object_get (args, "a");
    while (json_array_size (inner))
        inner = json_array_get (inner, 0);
    json_array_append_new (inner, json_array ());
    ws_err_t err;
    assert_int_equal (ws_msg_validate (WS_MSG_REQUEST, body, &err), -1);
    assert_non_null (strstr (err.text, "nested deeper than 64 levels"));
    json_decref (body);

    //  A cycle cannot make validation loop.
    body = s_parse ("{\"id\":1,\"ok\":true,\"result\":[[]]}");
    json_t *result = json_object_get (body, "result");
    json_t *loop = json_array_get (result, 0);
    assert_int_equal (json_array_append (loop, result), 0);
    assert_int_equal (ws_msg_validate (WS_MSG_REPLY, body, &err), -1);
    assert_non_null (strstr (err.text, "nested deeper"));
    json_array_clear (loop);
    json_decref (body);
}

static void
test_new_error (void **state)
{
    (void) state;
    ws_msg_t *msg = ws_msg_new_error ("proto", "READY: /credit: bad");
    assert_non_null (msg);
    assert_int_equal (ws_msg_id (msg), WS_MSG_ERROR);
    assert_string_equal (
        json_string_value (json_object_get (ws_msg_body (msg), "code")),
        "proto");
    ws_msg_destroy (&msg);
    assert_null (ws_msg_new_error ("", "x"));
    assert_null (ws_msg_new_error (NULL, "x"));
    assert_null (ws_msg_new_error ("0123456789012345678901234567890123", "x"));
    msg = ws_msg_new_error ("version", NULL);
    assert_non_null (msg);
    ws_msg_destroy (&msg);
    //  Not UTF-8, and too long: still a valid ERROR.
    char text[3000];
    memset (text, '\xff', sizeof text);
    text[sizeof text - 1] = '\0';
    msg = ws_msg_new_error ("proto", text);
    assert_non_null (msg);
    json_t *value = json_object_get (ws_msg_body (msg), "text");
    assert_int_equal (json_string_length (value), 1024);
    assert_int_equal (json_string_value (value)[0], '?');
    ws_msg_destroy (&msg);
    //  Cut at a character boundary.
    size_t len = 0;
    text[len++] = 'x';
    while (len + 2 < sizeof text) {
        text[len++] = '\xc3';
        text[len++] = '\xa9';
    }
    text[len] = '\0';
    msg = ws_msg_new_error ("proto", text);
    assert_non_null (msg);
    value = json_object_get (ws_msg_body (msg), "text");
    assert_int_equal (json_string_length (value), 1023);
    ws_msg_destroy (&msg);
    ws_err_t err;
    ws_err_clear (&err);
    assert_string_equal (ws_msg_error_code (&err), "proto");
    assert_string_equal (ws_msg_error_code (NULL), "proto");
}

//  The coordinator decodes RESULTs of 1,000 results x 3 samples several
//  times a second per worker: one must take well under 100 ms.
static void
test_result_speed (void **state)
{
    (void) state;
    json_t *results = json_array ();
    for (int i = 0; i < 1000; i++) {
        json_t *samples = json_array ();
        for (int j = 0; j < 3; j++)
            json_array_append_new (
                samples, json_pack ("{s:s, s:{s:s, s:s}, s:s, s:f}", "metric",
                                    "signups", "labels", "region", "eu",
                                    "channel", j ? "web" : "app", "type",
                                    "per_period", "value", 1.5 * j));
        json_array_append_new (
            results,
            json_pack ("{s:I, s:i, s:s, s:i, s:I, s:b, s:n, s:n, s:i, s:i, "
                       "s:i, s:o}",
                       "id", (json_int_t) i + 1, "attempt", 1, "kind",
                       "collect", "source_id", 7, "tick",
                       (json_int_t) 1700000000000, "ok", 1, "error",
                       "error_kind", "http_status", 200, "duration_ms", 10,
                       "bytes", 1000, "samples", samples));
    }
    json_t *body = json_pack ("{s:o}", "results", results);
    ws_msg_t *msg = ws_msg_new (WS_MSG_RESULT, &body);
    ws_err_t err;
    char *text = ws_msg_encode_body (msg, &err);
    assert_non_null (text);
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    const int rounds = 5;
    for (int i = 0; i < rounds; i++) {
        ws_msg_t *back =
            s_decode3 ("WSP/1", "RESULT", text, strlen (text), &err);
        if (!back)
            fail_msg ("%s", err.text);
        ws_msg_destroy (&back);
    }
    clock_gettime (CLOCK_MONOTONIC, &end);
    double ms = (double) (end.tv_sec - start.tv_sec) * 1e3
                + (double) (end.tv_nsec - start.tv_nsec) / 1e6;
    printf ("# RESULT 1000x3 (%zu bytes): %.1f ms per decode\n", strlen (text),
            ms / rounds);
    //  Generous: valgrind and sanitizers slow it down many times.
    assert_true (ms / rounds < 2000.0);
    free (text);
    ws_msg_destroy (&msg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_decode_round_trip),
        cmocka_unit_test_setup_teardown (test_socket_round_trip, s_pair_setup,
                                         s_pair_teardown),
        cmocka_unit_test_setup_teardown (test_send_refuses_invalid,
                                         s_pair_setup, s_pair_teardown),
        cmocka_unit_test_setup_teardown (test_send_unroutable, s_pair_setup,
                                         s_pair_teardown),
        cmocka_unit_test_setup_teardown (test_recv_malformed, s_pair_setup,
                                         s_pair_teardown),
        cmocka_unit_test (test_decode_frames),
        cmocka_unit_test (test_every_field),
        cmocka_unit_test (test_ranges_and_rules),
        cmocka_unit_test (test_compact_forms),
        cmocka_unit_test (test_error_text),
        cmocka_unit_test (test_depth),
        cmocka_unit_test (test_new_error),
        cmocka_unit_test (test_result_speed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
