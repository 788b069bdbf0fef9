//  ws_client - the CLI's connection to the coordinator.
#include "ws_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "ws_cli.h"
#include "ws_curve.h"
#include "ws_loop.h"
#include "ws_msg.h"
#include "ws_paths.h"

struct _ws_client_t {
    void *context;  //  owns
    void *socket;   //  owns
    void *monitor;  //  owns; the socket's handshake failures
    bool curve;     //  keys from WATERSHED_CLIENT_KEY and _COORDINATOR_KEY
    char endpoint[512];
    int timeout_ms;
    json_int_t next_id;
};

//  CURVE (PROTOCOL.md 12) when both are set: WATERSHED_CLIENT_KEY, this
//  client's key pair (a NAME.secret file), and WATERSHED_COORDINATOR_KEY
//  (or --coordinator-key), the coordinator's public key or .key file.
static int
s_curve_setup (ws_client_t *self, ws_err_t *err)
{
    const char *key = getenv ("WATERSHED_CLIENT_KEY");
    const char *server = getenv ("WATERSHED_COORDINATOR_KEY");
    bool has_key = key && *key, has_server = server && *server;
    if (!has_key && !has_server)
        return 0;
    if (!has_key)
        return ws_err_set (err, WS_ERR_INPUT,
                           "WATERSHED_COORDINATOR_KEY is set but not "
                           "WATERSHED_CLIENT_KEY: CURVE needs this client's "
                           "key pair too (watershed keygen NAME)");
    if (!has_server)
        return ws_err_set (err, WS_ERR_INPUT,
                           "WATERSHED_CLIENT_KEY is set but not the "
                           "coordinator's public key: set "
                           "WATERSHED_COORDINATOR_KEY or --coordinator-key");
    char server_key[WS_CURVE_KEY_LEN + 1];
    if (ws_curve_public_key (server, server_key, err))
        return ws_err_prefix (err, "WATERSHED_COORDINATOR_KEY: ");
    ws_curve_cert_t *cert = ws_curve_cert_load (key, err);
    if (!cert)
        return ws_err_prefix (err, "WATERSHED_CLIENT_KEY: ");
    int rc = ws_curve_set_client (self->socket, cert, server_key, err);
    ws_curve_cert_destroy (&cert);
    self->curve = rc == 0;
    return rc;
}

//  Watch the socket's handshakes: a coordinator that refuses our key (or
//  wants CURVE when we have none) is said at once, not after the
//  timeout.
static int
s_monitor (ws_client_t *self, ws_err_t *err)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://ws-client-monitor-%p",
              (void *) self);
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor (self->socket, endpoint, events))
        return ws_err_set (err, WS_ERR_SYSTEM, "zmq_socket_monitor: %s",
                           zmq_strerror (zmq_errno ()));
    self->monitor = zmq_socket (self->context, ZMQ_PAIR);
    if (!self->monitor || zmq_connect (self->monitor, endpoint))
        return ws_err_set (err, WS_ERR_SYSTEM, "monitor: %s",
                           zmq_strerror (zmq_errno ()));
    return 0;
}

//  A handshake failure the monitor reported, as an error. -1.
static int
s_handshake_failed (ws_client_t *self, ws_err_t *err)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    uint16_t event = 0;
    uint32_t value = 0;
    if (zmq_msg_recv (&frame, self->monitor, 0) >= 6) {
        memcpy (&event, zmq_msg_data (&frame), 2);
        memcpy (&value, (uint8_t *) zmq_msg_data (&frame) + 2, 4);
    }
    while (zmq_msg_more (&frame)
           && zmq_msg_recv (&frame, self->monitor, 0) >= 0)
        ;
    zmq_msg_close (&frame);
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return ws_err_set (err, WS_ERR_NET,
                           "coordinator at %s refused this client's key "
                           "(ZAP status %u): add its NAME.key to the "
                           "coordinator's allow-list",
                           self->endpoint, (unsigned) value);
    if (!self->curve)
        return ws_err_set (err, WS_ERR_NET,
                           "coordinator at %s refused the handshake: it "
                           "probably requires CURVE (set WATERSHED_CLIENT_KEY "
                           "and WATERSHED_COORDINATOR_KEY)",
                           self->endpoint);
    return ws_err_set (err, WS_ERR_NET,
                       "coordinator at %s: CURVE handshake failed (is "
                       "WATERSHED_COORDINATOR_KEY the coordinator's key, "
                       "and does the coordinator use CURVE?)",
                       self->endpoint);
}

ws_client_t *
ws_client_new (const char *endpoint, int timeout_ms, ws_err_t *err)
{
    ws_client_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        return NULL;
    }
    if (!endpoint || !*endpoint)
        endpoint = getenv ("WATERSHED_COORDINATOR");
    if (endpoint && *endpoint)
        snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    else {
        char dir[4096];
        if (ws_paths_state_dir (dir, sizeof dir)
            || ws_paths_client_endpoint (dir, self->endpoint,
                                         sizeof self->endpoint)) {
            free (self);
            ws_err_set (err, WS_ERR_INPUT,
                        "no coordinator endpoint: the default state dir is "
                        "too long; use --coordinator");
            return NULL;
        }
    }
    //  An ipc socket that does not exist means no coordinator: say so
    //  at once instead of waiting for the timeout.
    if (strncmp (self->endpoint, "ipc://", 6) == 0) {
        struct stat st;
        if (stat (self->endpoint + 6, &st)) {
            ws_err_set (err, WS_ERR_NET,
                        "no coordinator at %s (is watershedd running? "
                        "--coordinator or WATERSHED_COORDINATOR name another)",
                        self->endpoint);
            free (self);
            return NULL;
        }
    }
    self->timeout_ms = timeout_ms;
    self->next_id = 1;
    self->context = zmq_ctx_new ();
    self->socket = zmq_socket (self->context, ZMQ_DEALER);
    int zero = 0;
    int64_t max_size = WS_MSG_MAX_BODY + 4096;
    zmq_setsockopt (self->socket, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (self->socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    if (s_curve_setup (self, err) || s_monitor (self, err)) {
        ws_client_destroy (&self);
        return NULL;
    }
    if (zmq_connect (self->socket, self->endpoint)) {
        ws_err_set (err, WS_ERR_INPUT, "coordinator endpoint '%s': %s",
                    self->endpoint, zmq_strerror (zmq_errno ()));
        ws_client_destroy (&self);
        return NULL;
    }
    return self;
}

void
ws_client_destroy (ws_client_t **self_p)
{
    if (self_p && *self_p) {
        ws_client_t *self = *self_p;
        if (self->socket)
            zmq_close (self->socket);
        if (self->monitor)
            zmq_close (self->monitor);
        if (self->context)
            zmq_ctx_term (self->context);
        free (self);
        *self_p = NULL;
    }
}

json_t *
ws_client_call (ws_client_t *self, const char *command, json_t *args,
                ws_err_t *err)
{
    json_int_t id = self->next_id++;
    json_t *body = json_pack ("{s:I, s:s, s:o}", "id", id, "command", command,
                              "args", args ? args : json_object ());
    ws_msg_t *msg = ws_msg_new (WS_MSG_REQUEST, &body);
    if (ws_msg_send (&msg, self->socket, err))
        return NULL;
    int64_t deadline = ws_clock_ms () + self->timeout_ms;
    for (;;) {
        int64_t wait = deadline - ws_clock_ms ();
        if (wait <= 0)
            break;
        zmq_pollitem_t items[2] = {{self->socket, 0, ZMQ_POLLIN, 0},
                                   {self->monitor, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll (items, 2, (long) wait) <= 0)
            continue;
        if (items[1].revents & ZMQ_POLLIN) {
            s_handshake_failed (self, err);
            return NULL;
        }
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        ws_msg_t *reply = ws_msg_recv (self->socket, false, 0, err, NULL, NULL);
        if (!reply)
            return NULL;
        json_t *rbody = ws_msg_body (reply);
        if (ws_msg_id (reply) == WS_MSG_ERROR) {
            ws_err_set (err, WS_ERR_PROTO,
                        "coordinator refused the request: %s",
                        json_string_value (json_object_get (rbody, "text")));
            ws_msg_destroy (&reply);
            return NULL;
        }
        if (ws_msg_id (reply) != WS_MSG_REPLY
            || json_integer_value (json_object_get (rbody, "id")) != id) {
            ws_msg_destroy (&reply);
            continue;
        }
        json_t *result = NULL;
        if (json_is_true (json_object_get (rbody, "ok")))
            result = json_incref (json_object_get (rbody, "result"));
        else {
            const char *code =
                json_string_value (json_object_get (rbody, "code"));
            ws_err_set (
                err,
                code && strcmp (code, "input") == 0      ? WS_ERR_INPUT
                : code && strcmp (code, "notfound") == 0 ? WS_ERR_NOTFOUND
                                                         : WS_ERR_DB,
                "%s", json_string_value (json_object_get (rbody, "error")));
            const char *where =
                json_string_value (json_object_get (rbody, "where"));
            if (where)
                ws_err_where (err, "%s", where);
        }
        ws_msg_destroy (&reply);
        return result;
    }
    ws_err_set (err, WS_ERR_TIMEOUT,
                "coordinator at %s did not answer within %d ms (is watershedd "
                "running?)",
                self->endpoint, self->timeout_ms);
    return NULL;
}

int
ws_client_run (const char *command_name, const char *endpoint, json_t *args,
               bool json, ws_client_print_fn *print)
{
    ws_err_t err;
    int timeout = 10000;
    const char *env = getenv ("WATERSHED_TIMEOUT_MS");
    if (env && atoi (env) > 0)
        timeout = atoi (env);
    ws_client_t *client = ws_client_new (endpoint, timeout, &err);
    if (!client) {
        json_decref (args);
        fprintf (stderr, "watershed %s: %s\n", command_name, err.text);
        return err.code == WS_ERR_INPUT ? WS_EXIT_USAGE : WS_EXIT_UNREACHABLE;
    }
    json_t *result = ws_client_call (client, command_name, args, &err);
    ws_client_destroy (&client);
    if (!result) {
        fprintf (stderr, "watershed %s: %s\n", command_name, err.text);
        return err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET
                   ? WS_EXIT_UNREACHABLE
                   : WS_EXIT_FAIL;
    }
    if (json || !print) {
        char *text = json_dumps (result, JSON_INDENT (2) | JSON_ENCODE_ANY);
        printf ("%s\n", text ? text : "null");
        free (text);
    }
    else
        print (result);
    json_decref (result);
    return WS_EXIT_OK;
}
