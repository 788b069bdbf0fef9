//  ws_worker - the protocol side of watershed-worker.
#include "ws_worker.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ws_buf.h"
#include "ws_curve.h"
#include "ws_deliver.h"
#include "ws_extract.h"
#include "ws_extract_json.h"
#include "ws_fetch.h"
#include "ws_goal_job.h"
#include "ws_log.h"
#include "ws_map.h"
#include "ws_msg.h"
#include "ws_paths.h"
#include "ws_results.h"
#include "ws_rules.h"
#include "ws_source.h"
#include "ws_trend.h"

//  Queue limits of the DEALER socket, in messages. A JOB or RESULT
//  message carries up to ~1,000 jobs or results, so 1,000 messages is far
//  more than a worker holds at once (its credit); past it a send fails
//  at once (ZMQ_SNDTIMEO 0) instead of blocking the loop, and the result
//  stays kept for the next turn.
#define S_HWM 1000
//  Results per RESULT message, and about the most bytes of one.
#define S_BATCH_COUNT 1000
#define S_BATCH_BYTES (16 * 1024 * 1024)
//  Messages read from the socket per loop turn, so fetches get their turn.
#define S_READ_BURST 256
//  Reconnect backoff: 250 ms doubling to 8 s.
#define S_BACKOFF_MIN 250
#define S_BACKOFF_MAX 8000
//  A DISCONNECT at shutdown gets this long to leave the socket.
#define S_LINGER_AT_EXIT 1000

static const ws_config_entry_t s_entries[] = {
    //  name            type             default  min  max  help
    {"coordinator", WS_CFG_STRING, WS_PATHS_WORKER_ENDPOINT, 0, 1024,
     "coordinator endpoint (env WATERSHED_COORDINATOR)"},
    {"key", WS_CFG_STRING, "", 0, 4096,
     "this worker's key pair, a NAME.secret file of 'watershed keygen' "
     "(env WATERSHED_WORKER_KEY); with coordinator-key, CURVE"},
    {"coordinator-key", WS_CFG_STRING, "", 0, 4096,
     "the coordinator's public key: 40 Z85 characters or its .key file "
     "(env WATERSHED_COORDINATOR_KEY)"},
    {"name", WS_CFG_STRING, "", 0, 128,
     "worker name in the coordinator's status (default HOST-PID)"},
    {"credit", WS_CFG_INT, "256", 1, 65536, "most jobs held at once"},
    {"concurrency", WS_CFG_INT, "256", 1, 65536,
     "most HTTP transfers at once (the rest queue)"},
    {"heartbeat", WS_CFG_DURATION, "1s", 100, 60000,
     "heartbeat interval to the coordinator"},
    {"liveness", WS_CFG_INT, "3", 1, 100,
     "heartbeats of silence before reconnecting"},
    {"body-cap", WS_CFG_INT, "8388608", 1024, 1073741824,
     "most bytes of a response body (bigger is an error)"},
    {"connect-timeout", WS_CFG_DURATION, "5s", 100, 600000,
     "TCP+TLS connect timeout (never above a source's timeout)"},
    {"drain-timeout", WS_CFG_DURATION, "10s", 0, 600000,
     "on SIGTERM, how long to wait for running jobs and ACKs"},
    {"max-unacked", WS_CFG_INT, "100000", 1, 10000000,
     "results kept until ACKed; past it the oldest is dropped"},
    {"log-level", WS_CFG_STRING, "notice", 0, 16,
     "error, warning, notice, info or debug"},
    {"log-format", WS_CFG_STRING, "text", 0, 16, "text or json"},
};

typedef struct s_job_t s_job_t;

//  A parsed source definition, shared by the jobs of that source while
//  its definition stays the same. Parsing and checking the definition
//  was a worker's largest cost per job. A job names its definition by
//  version and carries it only the first time this connection sees it
//  (PROTOCOL.md 4.3.2); the cache is emptied at every READY, when the
//  coordinator forgets what it sent. Entries are counted: a job holds
//  one while it runs; a replaced entry goes when its last job ends.
typedef struct {
    json_t *def;          //  owns (a reference)
    ws_source_t *source;  //  owns
    int64_t version;      //  0 when the job gave none
    int refs;             //  the cache's own, plus one per job
} s_cached_source_t;

struct s_job_t {
    ws_worker_t *worker;  //  borrowed; the owner
    int64_t id;
    int64_t attempt;
    int64_t tick;
    int64_t deadline;
    int64_t source_id;
    int64_t version;            //  of the definition; 0 if not given
    bool probe;                 //  'watershed source test': report, store
                                //  nothing (PROTOCOL.md 4.3.5)
    ws_source_t *source;        //  borrowed from cached
    s_cached_source_t *cached;  //  one reference
    s_job_t *next;              //  free list
    s_job_t *all_next;          //  every job allocated, for ws_worker_destroy
};

struct _ws_worker_t {
    ws_loop_t *loop;        //  borrowed
    ws_config_t *config;    //  borrowed
    void *context;          //  owns
    void *socket;           //  owns; NULL while waiting to reconnect
    ws_fetch_t *fetch;      //  owns
    ws_deliver_t *deliver;  //  owns; POSTs of "deliver" jobs over fetch
    ws_results_t *results;  //  owns
    ws_buf_t batch;         //  owns; RESULT body, reused
    char *endpoint;         //  owns
    char *name;             //  owns
    char host[256];
    int64_t heartbeat_ms;
    int64_t liveness;
    int64_t credit;
    int64_t drain_timeout_ms;
    int64_t last_recv;   //  ws_clock_ms of the last message in
    int64_t last_send;   //  and out
    int64_t backoff_ms;  //  the next reconnect's delay
    bool answered;       //  the coordinator spoke since READY
    int heartbeat_timer;
    int reconnect_timer;
    int drain_timer;
    size_t running;          //  jobs in progress
    s_job_t *free_jobs;      //  pool
    ws_map_t *sources;       //  source id -> s_cached_source_t
    s_job_t *all_jobs;       //  owns every job, running or pooled
    size_t dropped;          //  results dropped since the last warning
    int64_t dropped_total;   //  since start, told in HEARTBEAT
    int64_t dropped_told;    //  the total the coordinator was last told
    int64_t dropped_warned;  //  ws_clock_ms of that warning
    bool draining;
    int64_t drain_deadline;  //  ws_clock_ms
    int exit_code;
    //  CURVE, when both keys are set: this worker's key pair (owns; NULL
    //  for plain text) and the coordinator's public key (Z85).
    ws_curve_cert_t *cert;
    char server_key[WS_CURVE_KEY_LEN + 1];
};

const ws_config_entry_t *
ws_worker_config_entries (size_t *count)
{
    *count = sizeof s_entries / sizeof s_entries[0];
    return s_entries;
}

//  ---------------------------------------------------------------------
//  The socket

static int s_on_message (ws_loop_t *loop, void *socket, void *arg);
static int s_on_reconnect (ws_loop_t *loop, void *arg);

//  Send a message built here (a bug, not input, if it is invalid).
static void
s_send (ws_worker_t *self, ws_msg_id_t id, json_t *body)
{
    if (!body) {
        ws_error ("worker: out of memory");
        abort ();
    }
    if (!self->socket) {
        json_decref (body);
        return;
    }
    ws_msg_t *msg = ws_msg_new (id, &body);
    ws_err_t err;
    if (ws_msg_send (&msg, self->socket, &err))
        ws_debug ("worker '%s': %s", self->name, err.text);
    else
        self->last_send = ws_clock_ms ();
}

static void s_cached_free (void *value);

static void
s_send_ready (ws_worker_t *self)
{
    //  A new session: the coordinator sends every definition again.
    ws_map_destroy (&self->sources);
    self->sources = ws_map_new (s_cached_free);
    s_send (self, WS_MSG_READY,
            json_pack ("{s:s, s:I, s:I, s:s, s:s}", "name", self->name,
                       "credit", (json_int_t) self->credit, "pid",
                       (json_int_t) getpid (), "host", self->host, "version",
                       WS_WORKER_VERSION));
}

static int
s_connect (ws_worker_t *self, ws_err_t *err)
{
    void *socket = zmq_socket (self->context, ZMQ_DEALER);
    if (!socket)
        return ws_err_set (err, WS_ERR_SYSTEM, "worker: zmq_socket: %s",
                           zmq_strerror (errno));
    int linger = 0;
    int64_t max_size = WS_MSG_MAX_BODY + 4096;
    int hwm = S_HWM;
    int send_timeout = 0;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    zmq_setsockopt (socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (socket, ZMQ_SNDTIMEO, &send_timeout, sizeof send_timeout);
    if (self->cert
        && ws_curve_set_client (socket, self->cert, self->server_key, err)) {
        zmq_close (socket);
        return -1;
    }
    if (zmq_connect (socket, self->endpoint)) {
        int code = errno;
        zmq_close (socket);
        ws_err_set (err, WS_ERR_INPUT,
                    "config 'coordinator': \"%s\" is not an endpoint ZeroMQ "
                    "can connect to: %s",
                    self->endpoint, zmq_strerror (code));
        ws_err_where (err, "coordinator");
        return -1;
    }
    self->socket = socket;
    ws_loop_reader (self->loop, socket, s_on_message, self);
    self->last_recv = ws_clock_ms ();
    self->answered = false;
    //  READY first, then every unACKed result again (before_sleep sends
    //  them after this).
    s_send_ready (self);
    ws_results_rewind (self->results);
    return 0;
}

static void
s_close (ws_worker_t *self)
{
    if (!self->socket)
        return;
    ws_loop_reader_end (self->loop, self->socket);
    zmq_close (self->socket);
    self->socket = NULL;
}

//  Close the socket and open a new one after the backoff (Paranoid
//  Pirate): a fresh socket drops whatever the old one had queued.
static void
s_reconnect_later (ws_worker_t *self)
{
    s_close (self);
    if (self->reconnect_timer)
        return;
    self->reconnect_timer = ws_loop_timer (self->loop, self->backoff_ms, false,
                                           s_on_reconnect, self);
    self->backoff_ms *= 2;
    if (self->backoff_ms > S_BACKOFF_MAX)
        self->backoff_ms = S_BACKOFF_MAX;
}

static int
s_on_reconnect (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_worker_t *self = (ws_worker_t *) arg;
    self->reconnect_timer = 0;
    ws_err_t err;
    if (s_connect (self, &err)) {
        ws_warning ("worker '%s': %s", self->name, err.text);
        s_reconnect_later (self);
        return 0;
    }
    ws_notice ("worker '%s': reconnecting to %s, %zu results to send again",
               self->name, self->endpoint, ws_results_count (self->results));
    return 0;
}

//  Send every result not yet sent on this connection, ~1,000 a message.
//  The bodies are pasted from the kept encodings, not encoded again.
static void
s_flush_results (ws_worker_t *self)
{
    while (self->socket && ws_results_unsent (self->results)) {
        size_t count = ws_results_batch (self->results, &self->batch,
                                         S_BATCH_COUNT, S_BATCH_BYTES);
        if (!count)
            break;
        //  A multipart message is all or nothing once its first frame is
        //  accepted, so only the first send may fail (EAGAIN at the HWM).
        if (zmq_send (self->socket, WS_MSG_SIGNATURE, strlen (WS_MSG_SIGNATURE),
                      ZMQ_SNDMORE | ZMQ_DONTWAIT)
            == -1) {
            ws_debug ("worker '%s': RESULT waits: %s", self->name,
                      zmq_strerror (errno));
            break;
        }
        zmq_send (self->socket, "RESULT", 6, ZMQ_SNDMORE);
        zmq_send (self->socket, self->batch.data, self->batch.len, 0);
        ws_results_sent (self->results, count);
        self->last_send = ws_clock_ms ();
    }
    //  Give a big batch's memory back; a small one is kept for reuse.
    if (self->batch.size > 1024 * 1024)
        ws_buf_free (&self->batch);
}

//  ---------------------------------------------------------------------
//  Jobs

static s_job_t *
s_job_get (ws_worker_t *self)
{
    s_job_t *job = self->free_jobs;
    if (job)
        self->free_jobs = job->next;
    else {
        if (!(job = calloc (1, sizeof *job))) {
            ws_error ("worker: out of memory");
            abort ();
        }
        job->all_next = self->all_jobs;
        self->all_jobs = job;
    }
    job->worker = self;
    job->next = NULL;
    job->source = NULL;
    return job;
}

static void
s_cached_unref (s_cached_source_t *cached)
{
    if (cached && --cached->refs == 0) {
        json_decref (cached->def);
        ws_source_destroy (&cached->source);
        free (cached);
    }
}

static void
s_cached_free (void *value)
{
    s_cached_unref (value);
}

//  The parsed source for a job's definition: the cached one when the
//  definition is unchanged, else a new one (replacing the cached).
//  Returns a reference, or NULL with *err for an invalid definition.
static s_cached_source_t *
s_source_for (ws_worker_t *self, int64_t source_id, int64_t version,
              json_t *def, ws_err_t *err)
{
    s_cached_source_t *cached =
        ws_map_get_int (self->sources, (uint64_t) source_id);
    bool same =
        cached
        && (version ? cached->version == version
                    : !cached->version && json_equal (cached->def, def));
    if (!def && !same) {
        ws_err_set (err, WS_ERR_PROTO,
                    "source %" PRId64 " version %" PRId64
                    ": definition not held by this worker",
                    source_id, version);
        return NULL;
    }
    if (!same) {
        ws_source_t *source = ws_source_new (def, err);
        if (!source)
            return NULL;
        cached = calloc (1, sizeof *cached);
        if (!cached)
            abort ();
        cached->def = json_incref (def);
        cached->source = source;
        cached->version = version;
        cached->refs = 1;
        ws_map_put_int (self->sources, (uint64_t) source_id, cached);
    }
    cached->refs++;
    return cached;
}

static void
s_job_put (ws_worker_t *self, s_job_t *job)
{
    s_cached_unref (job->cached);
    job->cached = NULL;
    job->source = NULL;
    job->next = self->free_jobs;
    self->free_jobs = job;
}

static void s_store (ws_worker_t *self, int64_t id, char **text_p, size_t len);

static void
s_keep (ws_worker_t *self, int64_t id, json_t *result)
{
    //  Check the result as the coordinator will: one bad result must not
    //  get a whole RESULT batch refused again and again.
    json_t *wrapper = json_pack ("{s:[O]}", "results", result);
    ws_err_t err;
    if (!wrapper) {
        ws_error ("worker: out of memory");
        abort ();
    }
    if (ws_msg_validate (WS_MSG_RESULT, wrapper, &err)) {
        ws_error ("worker '%s': job %" PRId64 ": built an invalid result "
                  "(a bug): %s",
                  self->name, id, err.text);
        json_t *samples = json_array ();
        json_object_set_new (result, "samples", samples);
        json_object_set_new (result, "ok", json_false ());
        json_object_set_new (result, "error_kind", json_string ("system"));
        json_object_set_new (result, "error",
                             json_string ("worker built an invalid result"));
    }
    json_decref (wrapper);
    char *text = json_dumps (result, JSON_COMPACT);
    if (!text) {
        ws_error ("worker: out of memory");
        abort ();
    }
    s_store (self, id, &text, strlen (text));
}

//  Keep an encoded result until its ACK. Takes ownership of *text_p.
static void
s_store (ws_worker_t *self, int64_t id, char **text_p, size_t len)
{
    size_t dropped = ws_results_add (self->results, (uint64_t) id, text_p, len);
    self->dropped += dropped;
    self->dropped_total += (int64_t) dropped;
    int64_t now = ws_clock_ms ();
    if (self->dropped && now - self->dropped_warned >= 10000) {
        ws_warning ("worker '%s': %zu results dropped, over max-unacked "
                    "%" PRId64 " (is the coordinator committing?)",
                    self->name, self->dropped,
                    ws_config_int (self->config, "max-unacked"));
        self->dropped = 0;
        self->dropped_warned = now;
    }
}

static json_t *
s_result_new (s_job_t *job)
{
    json_t *result = json_object ();
    if (!result || json_object_set_new (result, "id", json_integer (job->id))
        || json_object_set_new (result, "attempt", json_integer (job->attempt))
        || json_object_set_new (result, "kind",
                                json_string (job->probe ? "probe" : "collect"))
        || (!job->probe
            && json_object_set_new (result, "source_id",
                                    json_integer (job->source_id)))
        || json_object_set_new (result, "tick", json_integer (job->tick))) {
        ws_error ("worker: out of memory");
        abort ();
    }
    return result;
}

//  Text as a JSON string, at most max bytes cut on a character
//  boundary; bytes that are not UTF-8, and NULs, become '?' (JSON and the
//  protocol want valid UTF-8 without U+0000). Error texts are cut to fit
//  buffers (ws_err_t holds 256 bytes), which may split a character of a
//  source's text; a report shows the start of a body, which may be
//  binary.
static json_t *
s_text_json (const char *data, size_t len, size_t max)
{
    len = ws_utf8_cut (data, len, max);
    char *copy = malloc (len + 1);
    if (!copy)
        abort ();
    memcpy (copy, data, len);
    copy[len] = '\0';
    for (size_t i = 0; i < len;) {
        i = ws_utf8_valid_end ((const unsigned char *) copy, i, len);
        if (i < len)
            copy[i++] = '?';
    }
    for (size_t i = 0; i < len; i++)
        if (!copy[i])
            copy[i] = '?';
    json_t *text = json_stringn (copy, len);
    free (copy);
    if (!text)
        abort ();
    return text;
}

static json_t *
s_error_string (const char *text)
{
    return s_text_json (text, strlen (text), strlen (text));
}

static void
s_result_finish (json_t *result, const char *error, const char *kind,
                 long status, int64_t duration_ms, size_t bytes,
                 json_t *samples)
{
    if (status < 0 || status > 999)
        status = 0;
    if (json_object_set_new (result, "ok", json_boolean (error == NULL))
        || json_object_set_new (result, "error",
                                error ? s_error_string (error) : json_null ())
        || json_object_set_new (result, "error_kind",
                                kind ? json_string (kind) : json_null ())
        || json_object_set_new (result, "http_status", json_integer (status))
        || json_object_set_new (result, "duration_ms",
                                json_integer (duration_ms))
        || json_object_set_new (result, "bytes",
                                json_integer ((json_int_t) bytes))
        || json_object_set_new (result, "samples",
                                samples ? samples : json_array ())) {
        ws_error ("worker: out of memory");
        abort ();
    }
}

//  A job that failed before any fetch: a bad source, a missing ${NAME}.
static void
s_job_fail (ws_worker_t *self, s_job_t *job, const char *kind,
            const char *error)
{
    json_t *result = s_result_new (job);
    s_result_finish (result, error, kind, 0, 0, 0, NULL);
    if (job->probe) {
        json_object_del (result, "samples");
        json_object_set_new (result, "report", json_object ());
    }
    s_keep (self, job->id, result);
    json_decref (result);
}

//  Join a rule's error to the others with "; ", cut at the buffer.
static void
s_append_error (ws_buf_t *errors, const char *text)
{
    if (errors->len)
        ws_buf_append (errors, "; ", 2);
    ws_buf_append (errors, text, strlen (text));
}

//  A whole value within 2^53 goes as a JSON integer ("3", not
//  "3.0000000000000000"): shorter, and exact either way.
static json_t *
s_number (double value)
{
    //  The range check comes first: casting a double out of int64_t's
    //  range is undefined.
    if (value < 9007199254740992.0 && value > -9007199254740992.0
        && value == (double) (int64_t) value)
        return json_integer ((json_int_t) value);
    return json_real (value);
}

//  A number as JSON text: a whole value within 2^53 as an integer.
static void
s_number_text (char *out, size_t size, double value)
{
    if (value < 9007199254740992.0 && value > -9007199254740992.0
        && value == (double) (int64_t) value)
        snprintf (out, size, "%" PRId64, (int64_t) value);
    else
        snprintf (out, size, "%.17g", value);
}

//  One sample as RESULT text. Every part is already checked: metric
//  names are [A-Za-z0-9_:.] (ws_source), labels_text is jansson's own
//  compact encoding, and ws_extract_json returns finite numbers only.
//  test_ws_worker's results pass the coordinator's codec.
static void
s_sample_text (ws_buf_t *text, const ws_rule_t *rule, json_t *labels,
               double value)
{
    char number[32];
    s_number_text (number, sizeof number, value);
    //  Labels found in the document go through jansson's encoder.
    char *found =
        labels ? json_dumps (labels, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if ((labels && !found)
        || ws_buf_printf (text,
                          "%s{\"metric\":\"%s\",\"labels\":%s,\"type\":"
                          "\"%s\",\"value\":%s}",
                          text->len ? "," : "", rule->metric,
                          found ? found : rule->labels_text,
                          ws_metric_type_name (rule->type), number)) {
        ws_error ("worker: out of memory");
        abort ();
    }
    free (found);
}

//  Keep a successful result, encoded as text around its samples.
static void
s_keep_text (ws_worker_t *self, s_job_t *job, const ws_fetch_result_t *fetched,
             ws_buf_t *samples)
{
    long status = fetched->http_status;
    if (status < 0 || status > 999)
        status = 0;
    ws_buf_t text;
    ws_buf_init (&text, WS_MSG_MAX_BODY);
    if (ws_buf_printf (&text,
                       "{\"id\":%" PRId64 ",\"attempt\":%" PRId64
                       ",\"kind\":\"collect\",\"source_id\":%" PRId64
                       ",\"tick\":%" PRId64 ",\"ok\":true,\"error\":null,"
                       "\"error_kind\":null,\"http_status\":%ld,"
                       "\"duration_ms\":%" PRId64 ",\"bytes\":%zu,"
                       "\"samples\":[%s]}",
                       job->id, job->attempt, job->source_id, job->tick, status,
                       fetched->duration_ms, fetched->bytes,
                       samples->data ? samples->data : "")) {
        ws_error ("worker: out of memory");
        abort ();
    }
    size_t len = text.len;
    char *body = ws_buf_steal (&text);
    s_store (self, job->id, &body, len);
}

//  Keep a result in the compact form (PROTOCOL.md 4.4): one value per
//  rule, null where the rule failed. A result without an error is built
//  as text from checked parts; one with an error goes through jansson,
//  which escapes the error text.
static void
s_keep_values (ws_worker_t *self, s_job_t *job,
               const ws_fetch_result_t *fetched, const double *values,
               const bool *have, size_t rules, const char *error,
               const char *kind)
{
    long status = fetched->http_status;
    if (status < 0 || status > 999)
        status = 0;
    if (error) {
        json_t *result = s_result_new (job);
        s_result_finish (result, error, kind, status, fetched->duration_ms,
                         fetched->bytes, NULL);
        json_object_del (result, "samples");
        json_t *array = json_array ();
        for (size_t i = 0; i < rules; i++)
            json_array_append_new (array, have[i] ? s_number (values[i])
                                                  : json_null ());
        json_object_set_new (result, "values", array);
        json_object_set_new (result, "version", json_integer (job->version));
        s_keep (self, job->id, result);
        json_decref (result);
        return;
    }
    ws_buf_t text;
    ws_buf_init (&text, WS_MSG_MAX_BODY);
    int rc =
        ws_buf_printf (&text,
                       "{\"id\":%" PRId64 ",\"attempt\":%" PRId64
                       ",\"kind\":\"collect\",\"source_id\":%" PRId64
                       ",\"tick\":%" PRId64 ",\"ok\":true,"
                       "\"http_status\":%ld,\"duration_ms\":%" PRId64
                       ",\"bytes\":%zu,\"version\":%" PRId64 ",\"values\":[",
                       job->id, job->attempt, job->source_id, job->tick, status,
                       fetched->duration_ms, fetched->bytes, job->version);
    for (size_t i = 0; i < rules && rc == 0; i++) {
        char number[32] = "null";
        if (have[i])
            s_number_text (number, sizeof number, values[i]);
        rc = ws_buf_printf (&text, "%s%s", i ? "," : "", number);
    }
    if (rc || ws_buf_append (&text, "]}", 2)) {
        ws_error ("worker: out of memory");
        abort ();
    }
    size_t len = text.len;
    char *body = ws_buf_steal (&text);
    s_store (self, job->id, &body, len);
}

//  The result of a probe job: the fetch, and for every rule what it
//  found, what that became, and its samples or why none.
static void
s_on_probed (ws_worker_t *self, s_job_t *job, const ws_fetch_result_t *fetched,
             const ws_err_t *fetch_err)
{
    json_t *result = s_result_new (job);
    json_t *report = json_object ();
    json_t *rules = json_array ();
    ws_rules_t run;
    memset (&run, 0, sizeof run);
    const char *error = fetch_err ? fetch_err->text : NULL;
    const char *kind = fetched->error_kind;
    if (!fetch_err) {
        if (ws_rules_run (&run, job->source, fetched->body->data,
                          fetched->body->len, ws_wall_ms (), true))
            kind = "extract";
        error = run.error;
    }
    for (size_t i = 0; i < run.rule_count; i++) {
        const ws_rule_t *rule = ws_source_rule (job->source, i);
        ws_rule_outcome_t *outcome = &run.rules[i];
        json_t *matches = json_array ();
        for (size_t m = 0; m < outcome->matches.count && m < 20; m++) {
            ws_match_t *match = &outcome->matches.items[m];
            json_t *item = json_pack (
                "{s:o}", "text",
                s_text_json (match->text, strlen (match->text), 200));
            if (match->has_value && isfinite (match->value))
                json_object_set_new (item, "value", s_number (match->value));
            if (match->labels)
                json_object_set (item, "labels", match->labels);
            json_array_append_new (matches, item);
        }
        json_t *samples = json_array ();
        for (size_t k = outcome->first; k < outcome->first + outcome->count;
             k++)
            json_array_append_new (
                samples,
                json_pack ("{s:O, s:o}", "labels",
                           run.samples[k].labels ? run.samples[k].labels
                                                 : rule->labels,
                           "value", s_number (run.samples[k].value)));
        json_t *item = json_pack (
            "{s:s, s:s, s:s, s:o, s:I, s:o, s:o}", "metric", rule->metric,
            "kind", ws_extract_kind_name (rule->kind), "expression",
            rule->pointer, "error",
            outcome->error ? s_error_string (outcome->error) : json_null (),
            "matches_found", (json_int_t) outcome->matches.count, "matches",
            matches, "samples", samples);
        json_array_append_new (rules, item);
    }
    json_object_set_new (report, "source",
                         json_string (ws_source_name (job->source)));
    json_object_set_new (
        report, "url",
        fetched->url ? s_text_json (fetched->url, strlen (fetched->url), 4096)
                     : json_null ());
    json_object_set_new (report, "content_type",
                         s_text_json (fetched->content_type,
                                      strlen (fetched->content_type), 128));
    json_object_set_new (report, "attempts", json_integer (fetched->attempts));
    json_object_set_new (
        report, "body_start",
        fetched->body && fetched->body->len
            ? s_text_json (fetched->body->data, fetched->body->len, 400)
            : json_string (""));
    json_object_set_new (report, "rules", rules);
    s_result_finish (result, error, error ? kind : NULL, fetched->http_status,
                     fetched->duration_ms, fetched->bytes, NULL);
    json_object_del (result, "samples");
    json_object_set_new (result, "report", report);
    ws_rules_free (&run);
    s_keep (self, job->id, result);
    json_decref (result);
}

static void
s_on_fetched (const ws_fetch_result_t *fetched, const ws_err_t *fetch_err,
              void *arg)
{
    s_job_t *job = (s_job_t *) arg;
    ws_worker_t *self = job->worker;
    if (job->probe) {
        ws_info ("source '%s': test job %" PRId64 ": %" PRId64 " ms",
                 ws_source_name (job->source), job->id, fetched->duration_ms);
        s_on_probed (self, job, fetched, fetch_err);
        self->running--;
        s_job_put (self, job);
        return;
    }
    const char *name = ws_source_name (job->source);
    size_t rules = ws_source_rule_count (job->source);
    double *values = calloc (rules + 1, sizeof (double));
    bool *have = calloc (rules + 1, sizeof (bool));
    if (!values || !have) {
        ws_error ("worker: out of memory");
        abort ();
    }
    ws_buf_t errors;
    ws_buf_init (&errors, 4096);
    const char *kind = fetched->error_kind;
    ws_rules_t run;
    memset (&run, 0, sizeof run);
    if (fetch_err)
        s_append_error (&errors, fetch_err->text);
    else {
        //  Every rule reads the same body (a JSON document is parsed
        //  once); an empty body, or HTML where JSON was expected, is said
        //  as such.
        if (ws_rules_run (&run, job->source, fetched->body->data,
                          fetched->body->len, ws_wall_ms (), false))
            kind = "extract";
        if (run.error)
            s_append_error (&errors, run.error);
        for (size_t i = 0; i < run.sample_count; i++) {
            values[run.samples[i].rule] = run.samples[i].value;
            have[run.samples[i].rule] = true;
        }
    }
    const char *error = errors.len ? errors.data : NULL;
    if (error)
        ws_info ("source '%s': job %" PRId64 " failed (%s): %s", name, job->id,
                 kind, error);
    else
        ws_info ("source '%s': job %" PRId64 ": %" PRId64 " ms", name, job->id,
                 fetched->duration_ms);
    if (job->version && !ws_source_doc_labels (job->source))
        s_keep_values (self, job, fetched, values, have, rules, error, kind);
    else {
        //  Labels from the document (or a job without a version, from an
        //  older coordinator): samples that name their series.
        ws_buf_t text;
        ws_buf_init (&text, WS_MSG_MAX_BODY);
        for (size_t i = 0; i < run.sample_count; i++)
            s_sample_text (&text,
                           ws_source_rule (job->source, run.samples[i].rule),
                           run.samples[i].labels, run.samples[i].value);
        if (!error)
            s_keep_text (self, job, fetched, &text);
        else {
            json_t *result = s_result_new (job);
            json_t *samples = json_array ();
            for (size_t i = 0; i < run.sample_count; i++) {
                const ws_rule_t *rule =
                    ws_source_rule (job->source, run.samples[i].rule);
                json_t *labels = run.samples[i].labels;
                if (json_array_append_new (
                        samples,
                        json_pack ("{s:s, s:O, s:s, s:o}", "metric",
                                   rule->metric, "labels",
                                   labels ? labels : rule->labels, "type",
                                   ws_metric_type_name (rule->type), "value",
                                   s_number (run.samples[i].value)))) {
                    ws_error ("worker: out of memory");
                    abort ();
                }
            }
            s_result_finish (result, error, kind, fetched->http_status,
                             fetched->duration_ms, fetched->bytes, samples);
            s_keep (self, job->id, result);
            json_decref (result);
        }
        ws_buf_free (&text);
    }
    ws_rules_free (&run);
    free (values);
    free (have);
    ws_buf_free (&errors);
    self->running--;
    s_job_put (self, job);
}

//  An analysis job: the series rolled up by the coordinator, analysed
//  with the same code as 'watershed trend' (ws_trend), answered at once
//  (a year of daily points takes about a millisecond).
static void
s_on_analyze (ws_worker_t *self, json_t *def)
{
    json_t *series = json_object_get (def, "series");
    json_t *times = json_object_get (series, "t");
    json_t *values = json_object_get (series, "x");
    json_t *options_json = json_object_get (def, "options");
    size_t n = json_array_size (times);
    ws_trend_options_t options;
    ws_trend_options_init (&options);
    options.t_is_time = true;
    options.horizon = 7;
    json_t *horizon = json_object_get (options_json, "horizon");
    if (json_is_integer (horizon) && json_integer_value (horizon) >= 0
        && json_integer_value (horizon) <= 366)
        options.horizon = (size_t) json_integer_value (horizon);
    //  The projection: Holt-Winters with the given season (a week of
    //  daily steps) once two seasons are there, else Holt's linear
    //  method; ws_trend says why not when the series cannot have it
    //  (gaps, too few points) and least squares still projects.
    json_t *season = json_object_get (options_json, "season");
    json_int_t period =
        json_is_integer (season) ? json_integer_value (season) : 0;
    options.holt_winters = true;
    if (period >= 2 && period <= 366
        && json_array_size (times) >= 2 * (size_t) period) {
        options.seasonal = WS_HW_ADDITIVE;
        options.season = (size_t) period;
    }
    double *t = calloc (n ? n : 1, sizeof (double));
    double *x = calloc (n ? n : 1, sizeof (double));
    if (!t || !x) {
        ws_error ("worker: out of memory");
        abort ();
    }
    const char *error = NULL;
    ws_err_t err;
    for (size_t i = 0; i < n && !error; i++) {
        json_t *time = json_array_get (times, i);
        json_t *value = json_array_get (values, i);
        if (!json_is_integer (time) || !json_is_number (value))
            error = "series: t must be integers (ms) and x numbers, of one "
                    "length";
        t[i] = (double) json_integer_value (time) / 86400000.0;
        x[i] = json_number_value (value);
    }
    if (!error && json_array_size (values) != n)
        error = "series: t and x differ in length";
    json_t *analysis = NULL;
    if (!error && !(analysis = ws_trend_analyse (t, x, n, &options, &err)))
        error = err.text;
    free (t);
    free (x);
    json_t *result = json_pack (
        "{s:O, s:O, s:s, s:O, s:O, s:O, s:b, s:s?, s:s?, s:o?}", "id",
        json_object_get (def, "id"), "attempt",
        json_object_get (def, "attempt"), "kind", "analyze", "tick",
        json_object_get (def, "tick"), "series_id",
        json_object_get (def, "series_id"), "window_days",
        json_object_get (def, "window_days"), "ok", error == NULL, "error",
        error, "error_kind", error ? "input" : NULL, "analysis", analysis);
    if (!result) {
        ws_error ("worker: out of memory");
        abort ();
    }
    if (error) {
        json_object_set_new (result, "analysis", json_null ());
        ws_info ("job %" JSON_INTEGER_FORMAT ": analysis failed: %s",
                 json_integer_value (json_object_get (def, "id")), error);
    }
    else {
        json_object_set_new (result, "error", json_null ());
        json_object_set_new (result, "error_kind", json_null ());
    }
    s_keep (self, json_integer_value (json_object_get (def, "id")), result);
    json_decref (result);
}

//  A goal evaluation job: answered at once, like an analysis.
static void
s_on_evaluate (ws_worker_t *self, json_t *def)
{
    ws_err_t err;
    json_t *evaluation = ws_goal_job_run (json_object_get (def, "goal"), &err);
    json_t *result = json_pack (
        "{s:O, s:O, s:s, s:O, s:O, s:b}", "id", json_object_get (def, "id"),
        "attempt", json_object_get (def, "attempt"), "kind", "evaluate", "tick",
        json_object_get (def, "tick"), "goal_id",
        json_object_get (def, "goal_id"), "ok", evaluation != NULL);
    if (!result) {
        ws_error ("worker: out of memory");
        abort ();
    }
    if (evaluation)
        json_object_set_new (result, "evaluation", evaluation);
    else {
        ws_info ("job %" JSON_INTEGER_FORMAT ": goal evaluation failed: %s",
                 json_integer_value (json_object_get (def, "id")), err.text);
        json_object_set_new (result, "error", s_error_string (err.text));
        json_object_set_new (result, "error_kind", json_string ("input"));
    }
    s_keep (self, json_integer_value (json_object_get (def, "id")), result);
    json_decref (result);
}

//  A delivery's RESULT item, now or when its POST ends (ws_deliver).
static void
s_on_delivered (int64_t id, json_t *result, void *arg)
{
    ws_worker_t *self = (ws_worker_t *) arg;
    s_keep (self, id, result);
    self->running--;
}

static void
s_on_job (ws_worker_t *self, json_t *def)
{
    const char *kind = json_string_value (json_object_get (def, "kind"));
    if (strcmp (kind, "deliver") == 0) {
        //  Counted first: a job answered at once is uncounted inside.
        self->running++;
        ws_deliver_start (self->deliver, def);
        return;
    }
    if (strcmp (kind, "analyze") == 0) {
        s_on_analyze (self, def);
        return;
    }
    if (strcmp (kind, "evaluate") == 0) {
        s_on_evaluate (self, def);
        return;
    }
    s_job_t *job = s_job_get (self);
    //  The codec checked every field's type and range.
    job->id = json_integer_value (json_object_get (def, "id"));
    job->attempt = json_integer_value (json_object_get (def, "attempt"));
    job->tick = json_integer_value (json_object_get (def, "tick"));
    job->deadline = json_integer_value (json_object_get (def, "deadline"));
    job->source_id = json_integer_value (json_object_get (def, "source_id"));
    job->version = json_integer_value (json_object_get (def, "version"));
    job->probe = strcmp (kind, "probe") == 0;
    json_t *source_def = json_object_get (def, "source");
    ws_err_t err;
    if (job->probe) {
        //  A test's definition is its own, never cached.
        ws_source_t *source = ws_source_new (source_def, &err);
        if (source) {
            job->cached = calloc (1, sizeof *job->cached);
            if (!job->cached)
                abort ();
            job->cached->def = json_incref (source_def);
            job->cached->source = source;
            job->cached->refs = 1;
        }
    }
    else
        //  Held first: a definition is kept even when its job is
        //  answered at once, since later jobs only name it.
        job->cached =
            s_source_for (self, job->source_id, job->version, source_def, &err);
    job->source = job->cached ? job->cached->source : NULL;
    //  Too late to be of use (PROTOCOL.md 8.3): answered, not fetched.
    if (job->deadline > 0 && ws_wall_ms () >= job->deadline) {
        ws_info ("job %" PRId64 ": deadline passed before it started", job->id);
        s_job_fail (self, job, "timeout",
                    "the job's deadline passed before it started");
        s_job_put (self, job);
        return;
    }
    if (!job->source && !source_def) {
        ws_info ("job %" PRId64 ": %s", job->id, err.text);
        s_job_fail (self, job, "resend", err.text);
        s_job_put (self, job);
        return;
    }
    if (!job->source) {
        const char *name =
            json_string_value (json_object_get (source_def, "name"));
        char text[400];
        snprintf (text, sizeof text, "source definition: %s", err.text);
        ws_info ("source '%s': job %" PRId64 " refused: %s", name ? name : "?",
                 job->id, text);
        s_job_fail (self, job, "input", text);
        s_job_put (self, job);
        return;
    }
    if (ws_fetch_start (self->fetch, job->source, job->tick, job->deadline,
                        s_on_fetched, job, &err)) {
        ws_info ("source '%s': job %" PRId64 " refused: %s",
                 ws_source_name (job->source), job->id, err.text);
        s_job_fail (self, job, "input", err.text);
        s_job_put (self, job);
        return;
    }
    self->running++;
}

//  ---------------------------------------------------------------------
//  Messages from the coordinator

static void
s_on_ack (ws_worker_t *self, json_t *body)
{
    json_t *ids = json_object_get (body, "ids");
    size_t index;
    json_t *id;
    json_array_foreach (ids, index, id)
        ws_results_ack (self->results, (uint64_t) json_integer_value (id));
}

static void
s_on_error (ws_worker_t *self, json_t *body)
{
    const char *code = json_string_value (json_object_get (body, "code"));
    const char *text = json_string_value (json_object_get (body, "text"));
    if (strcmp (code, "unknown-peer") == 0) {
        //  A restarted coordinator does not know this socket: READY again
        //  on a fresh one.
        ws_notice ("worker '%s': coordinator does not know us (restarted?); "
                   "reconnecting",
                   self->name);
        self->backoff_ms = S_BACKOFF_MIN;
        s_reconnect_later (self);
    }
    else if (strcmp (code, "version") == 0)
        ws_error ("worker '%s': coordinator speaks another protocol version: "
                  "%s",
                  self->name, text);
    else
        ws_warning ("worker '%s': coordinator refused a message (%s): %s",
                    self->name, code, text);
}

static void
s_dispatch (ws_worker_t *self, ws_msg_t *msg)
{
    json_t *body = ws_msg_body (msg);
    switch (ws_msg_id (msg)) {
    case WS_MSG_JOB: {
        json_t *jobs = json_object_get (body, "jobs");
        size_t index;
        json_t *job;
        json_array_foreach (jobs, index, job)
            s_on_job (self, job);
        if (self->running > (size_t) self->credit)
            ws_debug ("worker '%s': %zu jobs held, credit %" PRId64, self->name,
                      self->running, self->credit);
        break;
    }
    case WS_MSG_ACK: s_on_ack (self, body); break;
    case WS_MSG_HEARTBEAT: break;
    case WS_MSG_DISCONNECT: {
        const char *reason =
            json_string_value (json_object_get (body, "reason"));
        ws_notice ("worker '%s': coordinator disconnects (%s); reconnecting",
                   self->name, reason && *reason ? reason : "no reason");
        self->backoff_ms = S_BACKOFF_MIN;
        s_reconnect_later (self);
        break;
    }
    case WS_MSG_ERROR: s_on_error (self, body); break;
    default:
        ws_warning ("worker '%s': unexpected %s from the coordinator",
                    self->name, ws_msg_command (msg));
        break;
    }
}

static int
s_on_message (ws_loop_t *loop, void *socket, void *arg)
{
    (void) loop;
    ws_worker_t *self = (ws_worker_t *) arg;
    for (int i = 0; i < S_READ_BURST && self->socket == socket; i++) {
        ws_err_t err;
        ws_msg_t *msg =
            ws_msg_recv (socket, false, ZMQ_DONTWAIT, &err, NULL, NULL);
        if (!msg) {
            if (err.code == WS_ERR_TIMEOUT)
                break;
            //  Still a sign of life, but nothing to act on.
            ws_warning ("worker '%s': malformed message from the "
                        "coordinator: %s",
                        self->name, err.text);
            self->last_recv = ws_clock_ms ();
            continue;
        }
        self->last_recv = ws_clock_ms ();
        //  WORKING (PROTOCOL.md 5.1) once anything but ERROR arrives.
        if (!self->answered && ws_msg_id (msg) != WS_MSG_ERROR) {
            self->answered = true;
            self->backoff_ms = S_BACKOFF_MIN;
            ws_notice ("worker '%s': connected to %s", self->name,
                       self->endpoint);
        }
        s_dispatch (self, msg);
        ws_msg_destroy (&msg);
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Heartbeat, drain, loop hooks

static int
s_on_heartbeat (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_worker_t *self = (ws_worker_t *) arg;
    if (!self->socket)
        return 0;
    int64_t now = ws_clock_ms ();
    if (now - self->last_recv > self->liveness * self->heartbeat_ms) {
        ws_warning ("worker '%s': coordinator at %s silent for %" PRId64
                    " ms; reconnecting in %" PRId64 " ms",
                    self->name, self->endpoint, now - self->last_recv,
                    self->backoff_ms);
        s_reconnect_later (self);
        return 0;
    }
    //  Only when nothing else went out lately: any message is a sign of
    //  life. Half an interval keeps timer jitter from skipping a beat.
    //  Results dropped are told at once, so the coordinator counts them.
    if (now - self->last_send >= self->heartbeat_ms / 2
        || self->dropped_told != self->dropped_total) {
        s_send (self, WS_MSG_HEARTBEAT,
                json_pack ("{s:I, s:I}", "running", (json_int_t) self->running,
                           "dropped", (json_int_t) self->dropped_total));
        self->dropped_told = self->dropped_total;
    }
    return 0;
}

static void
s_finish (ws_worker_t *self)
{
    size_t lost = ws_results_count (self->results);
    if (self->running || lost)
        ws_warning ("worker '%s': drain time over: %zu jobs still running, "
                    "%zu results not ACKed (the coordinator dispatches "
                    "them again)",
                    self->name, self->running, lost);
    if (self->socket) {
        s_send (self, WS_MSG_DISCONNECT,
                json_pack ("{s:s}", "reason", "shutdown"));
        //  Let the DISCONNECT leave before the socket closes.
        int linger = S_LINGER_AT_EXIT;
        zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger);
    }
    ws_notice ("worker '%s': stopped", self->name);
    self->exit_code = 0;
    ws_loop_stop (self->loop);
}

static int
s_before_sleep (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_worker_t *self = (ws_worker_t *) arg;
    s_flush_results (self);
    if (self->draining
        && ((self->running == 0 && ws_results_count (self->results) == 0)
            || ws_clock_ms () >= self->drain_deadline))
        s_finish (self);
    return 0;
}

static int
s_on_drain_timeout (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_worker_t *self = (ws_worker_t *) arg;
    self->drain_timer = 0;
    //  Only wakes the loop; before_sleep sees the deadline.
    return 0;
}

static int
s_on_signal (ws_loop_t *loop, int signum, void *arg)
{
    (void) loop;
    ws_worker_t *self = (ws_worker_t *) arg;
    if (signum == SIGHUP) {
        ws_notice ("worker '%s': SIGHUP ignored (restart to change settings)",
                   self->name);
        return 0;
    }
    if (self->draining) {
        ws_notice ("worker '%s': second signal, stopping now", self->name);
        self->exit_code = 1;
        return -1;
    }
    ws_worker_drain (self);
    return 0;
}

//  CURVE (PROTOCOL.md 12) when both keys are set: this worker's key
//  pair and the coordinator's public key. One without the other is a
//  mistake, not a reason to talk in plain text.
static int
s_curve_keys (ws_worker_t *self, ws_err_t *err)
{
    const char *key = ws_config_string (self->config, "key");
    const char *server_key = ws_config_string (self->config, "coordinator-key");
    if (!*key && !*server_key)
        return 0;
    if (!*key || !*server_key) {
        ws_err_set (
            err, WS_ERR_INPUT, "config '%s': CURVE needs '%s' too (or neither)",
            *key ? "key" : "coordinator-key", *key ? "coordinator-key" : "key");
        ws_err_where (err, "%s", *key ? "coordinator-key" : "key");
        return -1;
    }
    if (ws_curve_public_key (server_key, self->server_key, err)) {
        ws_err_prefix (err, "config 'coordinator-key': ");
        return -1;
    }
    self->cert = ws_curve_cert_load (key, err);
    if (!self->cert)
        return ws_err_prefix (err, "config 'key': ");
    return 0;
}

//  ---------------------------------------------------------------------
//  Public API

ws_worker_t *
ws_worker_new (ws_loop_t *loop, ws_config_t *config, ws_err_t *err)
{
    assert (loop && config);
    ws_worker_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_err_set (err, WS_ERR_SYSTEM, "worker: out of memory");
        return NULL;
    }
    self->loop = loop;
    self->config = config;
    self->exit_code = 1;
    self->heartbeat_ms = ws_config_int (config, "heartbeat");
    self->liveness = ws_config_int (config, "liveness");
    self->credit = ws_config_int (config, "credit");
    self->drain_timeout_ms = ws_config_int (config, "drain-timeout");
    self->backoff_ms = S_BACKOFF_MIN;
    if (gethostname (self->host, sizeof self->host))
        snprintf (self->host, sizeof self->host, "localhost");
    self->host[sizeof self->host - 1] = '\0';
    const char *name = ws_config_string (config, "name");
    char fallback[300];
    if (!*name) {
        snprintf (fallback, sizeof fallback, "%.100s-%d", self->host,
                  (int) getpid ());
        name = fallback;
    }
    self->name = strdup (name);
    self->endpoint = strdup (ws_config_string (config, "coordinator"));
    ws_buf_init (&self->batch, WS_MSG_MAX_BODY);
    self->sources = ws_map_new (s_cached_free);
    self->results =
        ws_results_new ((size_t) ws_config_int (config, "max-unacked"));
    ws_fetch_config_t fetch_config = {
        (size_t) ws_config_int (config, "concurrency"),
        (size_t) ws_config_int (config, "body-cap"),
        ws_config_int (config, "connect-timeout"), 0};
    self->fetch = ws_fetch_new (loop, &fetch_config, err);
    if (self->fetch)
        self->deliver = ws_deliver_new (self->fetch, s_on_delivered, self);
    self->context = zmq_ctx_new ();
    if (!self->name || !self->endpoint || !self->fetch || !self->context) {
        if (self->fetch && !self->context)
            ws_err_set (err, WS_ERR_SYSTEM, "worker: zmq_ctx_new: %s",
                        zmq_strerror (errno));
        ws_worker_destroy (&self);
        return NULL;
    }
    if (s_curve_keys (self, err)) {
        ws_worker_destroy (&self);
        return NULL;
    }
    return self;
}

void
ws_worker_destroy (ws_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_worker_t *self = *self_p;
    if (self->heartbeat_timer)
        ws_loop_timer_end (self->loop, self->heartbeat_timer);
    if (self->reconnect_timer)
        ws_loop_timer_end (self->loop, self->reconnect_timer);
    if (self->drain_timer)
        ws_loop_timer_end (self->loop, self->drain_timer);
    ws_loop_set_before_sleep (self->loop, NULL, NULL);
    //  Stopping the fetcher drops the jobs in flight without callbacks.
    ws_fetch_destroy (&self->fetch);
    ws_deliver_destroy (&self->deliver);
    s_close (self);
    if (self->context)
        zmq_ctx_term (self->context);
    ws_results_destroy (&self->results);
    ws_buf_free (&self->batch);
    //  Jobs still running had their transfers dropped with the fetcher
    //  (no callback); free them with the pooled ones.
    while (self->all_jobs) {
        s_job_t *job = self->all_jobs;
        self->all_jobs = job->all_next;
        s_cached_unref (job->cached);
        free (job);
    }
    ws_map_destroy (&self->sources);
    free (self->name);
    free (self->endpoint);
    ws_curve_cert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

int
ws_worker_start (ws_worker_t *self, ws_err_t *err)
{
    if (s_connect (self, err))
        return -1;
    ws_notice ("worker '%s': connecting to %s, credit %" PRId64
               ", concurrency %" PRId64,
               self->name, self->endpoint, self->credit,
               ws_config_int (self->config, "concurrency"));
    self->heartbeat_timer = ws_loop_timer (self->loop, self->heartbeat_ms, true,
                                           s_on_heartbeat, self);
    ws_loop_set_before_sleep (self->loop, s_before_sleep, self);
    ws_loop_on_signal (self->loop, s_on_signal, self);
    return 0;
}

void
ws_worker_drain (ws_worker_t *self)
{
    if (self->draining)
        return;
    self->draining = true;
    self->drain_deadline = ws_clock_ms () + self->drain_timeout_ms;
    ws_notice ("worker '%s': draining: %zu jobs running, %zu results not "
               "ACKed, waiting up to %" PRId64 " ms",
               self->name, self->running, ws_results_count (self->results),
               self->drain_timeout_ms);
    self->drain_timer = ws_loop_timer (self->loop, self->drain_timeout_ms,
                                       false, s_on_drain_timeout, self);
}

size_t
ws_worker_running (ws_worker_t *self)
{
    return self->running;
}

size_t
ws_worker_unacked (ws_worker_t *self)
{
    return ws_results_count (self->results);
}

int
ws_worker_exit_code (ws_worker_t *self)
{
    return self->exit_code;
}
