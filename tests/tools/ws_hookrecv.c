//  ws_hookrecv - the local webhook receiver that end-to-end tests and
//  benches deliver alert notifications to. It checks each POST's
//  X-Watershed-Signature with ws_alert_verify (the code a real receiver
//  would copy from docs/alert-payload.md), records every POST as one JSON
//  line, and misbehaves on request, so a test can see what a sender
//  retried, how long it waited and whether an Idempotency-Key reached
//  the receiver's "effect" more than once.
//
//  POST behaviour by the path's first segment (the rest is free, so each
//  hook can have its own path):
//      /ok/...                     200 {"ok":true}
//      /fail-for/<sec>/...         500 {"error":"down"} until <sec> s after
//                                  the first request on that exact path
//      /status/<code>/...          that status (200..599)
//      /retry-after/<n>/<sec>/...  429 + Retry-After: <sec> for the first
//                                  n requests on that exact path, then 200
//      /hold/<ms>/... /slow/<ms>/... logged (as 200) at once, answered
//                                  200 after <ms> ms
//      anything else               404
//  In order: a body past 1 MiB is 413; with --secret-env a bad signature
//  is 401 (before any behaviour, as a real receiver refuses a forgery
//  before it reads the path); a bad path parameter is 400; a key already
//  answered 2xx is answered 200 again and logged "duplicate": true
//  without touching the path's state. Only requests that reach the
//  behaviour count as requests "on that path" for fail-for and
//  retry-after.
//
//  GET /stats {"requests": POSTs, "verified_failures", "effects": distinct
//  keys answered 2xx (a POST without a key is never an effect),
//  "duplicates", "by_path": {path: POSTs}}.
//
//  One thread per connection: a held request sleeps in its own thread
//  and never delays another. SIGTERM or SIGINT stop it at once: held
//  requests are woken and answered 503 {"error":"stopping"} (a clean
//  answer, so stopping logs no warning), then the process exits 0.
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws_alert_payload.h"
#include "ws_buf.h"
#include "ws_err.h"
#include "ws_httpd.h"
#include "ws_log.h"

#define S_BODY_MAX (1024 * 1024)
#define S_BUCKETS 4096
#define S_TABLE_MAX 1000000
#define S_TOLERANCE_S 300
#define S_SEGMENT_MAX 32
#define S_SECONDS_MAX 86400
#define S_HOLD_MAX_MS 600000

//  One path, or one Idempotency-Key answered 2xx.
typedef struct _entry_t entry_t;
struct _entry_t {
    char *name;        //  owns
    uint64_t count;    //  path: POSTs on it (by_path)
    uint64_t served;   //  path: requests that reached its behaviour
    int64_t first_ms;  //  path: monotonic ms of the first of those
    entry_t *next;     //  bucket chain
};

//  A hash table of entries with a size limit: paths and keys come from
//  the network, so a runaway sender gets a 500, not an out-of-memory.
typedef struct {
    entry_t *buckets[S_BUCKETS];  //  owns each chain
    size_t size;
} table_t;

typedef struct {
    const char *secret_env;  //  borrowed (argv); NULL: nothing verified
    const char *secret;      //  borrowed (environ); never logged
    size_t secret_len;
    FILE *log;             //  owns; NULL without --log
    pthread_mutex_t lock;  //  guards everything below, and the log
    pthread_cond_t wake;   //  on the monotonic clock; stop wakes holds
    bool stopping;
    unsigned held;  //  held requests not yet completed
    table_t paths;
    table_t keys;
    uint64_t requests;
    uint64_t verified_failures;
    uint64_t duplicates;
} hookrecv_t;

//  A POST between MHD's calls: its body as it arrives.
typedef struct {
    ws_buf_t body;  //  owns
    bool body_too_big;
    bool held;  //  counted in hookrecv_t.held until completed
} req_t;

//  What a POST is answered, decided under the lock.
typedef struct {
    unsigned status;
    char body[320];
    unsigned long retry_after;  //  seconds, when has_retry_after
    bool has_retry_after;
    unsigned long hold_ms;  //  when holding
    bool hold;
    bool duplicate;
} answer_t;

//  The request state of a GET between the two calls MHD makes: an
//  address, never read or freed.
static char s_headers_seen;

static int64_t
s_clock_ns (clockid_t clock)
{
    struct timespec ts;
    clock_gettime (clock, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
s_clock_ms (clockid_t clock)
{
    return s_clock_ns (clock) / 1000000;
}

//  FNV-1a.
static uint64_t
s_hash (const char *text)
{
    uint64_t hash = 14695981039346656037ull;
    for (; *text; text++) {
        hash ^= (unsigned char) *text;
        hash *= 1099511628211ull;
    }
    return hash;
}

//  Text from the network as a JSON string; bytes that are not UTF-8
//  must not cost the whole log line.
static json_t *
s_text (const char *text, size_t len)
{
    json_t *string = json_stringn (text, len);
    return string ? string : json_string ("(not UTF-8)");
}

//  The entry named name, or NULL. With create, a new zeroed entry when
//  there was none; NULL then means the table is full or memory ran out.
static entry_t *
s_table_get (table_t *self, const char *name, bool create)
{
    entry_t **link = &self->buckets[s_hash (name) % S_BUCKETS];
    while (*link && strcmp ((*link)->name, name) != 0)
        link = &(*link)->next;
    if (*link || !create || self->size >= S_TABLE_MAX)
        return *link;
    entry_t *entry = calloc (1, sizeof *entry);
    if (!entry || !(entry->name = strdup (name))) {
        free (entry);
        return NULL;
    }
    *link = entry;
    self->size++;
    return entry;
}

static void
s_table_free (table_t *self)
{
    for (size_t i = 0; i < S_BUCKETS; i++)
        while (self->buckets[i]) {
            entry_t *entry = self->buckets[i];
            self->buckets[i] = entry->next;
            free (entry->name);
            free (entry);
        }
    self->size = 0;
}

//  Copy the next segment of *rest (after its '/') into out and step past
//  it. False when there is none or it is too long.
static bool
s_next_segment (const char **rest, char *out, size_t size)
{
    const char *start = *rest;
    if (*start == '/')
        start++;
    size_t len = strcspn (start, "/");
    if (len == 0 || len >= size)
        return false;
    memcpy (out, start, len);
    out[len] = '\0';
    *rest = start + len;
    return true;
}

//  The next segment as a whole number in [min, max]: true, or false with
//  answer set to a 400 naming the parameter.
static bool
s_param (const char **rest, const char *name, unsigned long min,
         unsigned long max, unsigned long *out, answer_t *answer)
{
    char text[S_SEGMENT_MAX];
    if (s_next_segment (rest, text, sizeof text)
        && ws_httpd_parse_ulong (text, min, max, out) == 0)
        return true;
    answer->status = 400;
    snprintf (answer->body, sizeof answer->body,
              "{\"error\":\"path parameter <%s>: expected an integer "
              "%lu..%lu\"}",
              name, min, max);
    return false;
}

static void
s_answer (answer_t *answer, unsigned status, const char *body)
{
    answer->status = status;
    snprintf (answer->body, sizeof answer->body, "%s", body);
}

// --------------------------------------------------------------------
//  Deciding a POST (all under the lock)

//  The behaviour the path asks for; path parameters are checked before
//  the duplicate test so a typo is a 400 even on a repeat.
typedef enum {
    KIND_OK,
    KIND_FAIL_FOR,
    KIND_STATUS,
    KIND_RETRY_AFTER,
    KIND_HOLD,
    KIND_UNKNOWN
} kind_t;

typedef struct {
    kind_t kind;
    unsigned long seconds;  //  fail-for, retry-after
    unsigned long count;    //  retry-after: requests refused
    unsigned long code;     //  status
    unsigned long hold_ms;  //  hold
} route_t;

//  Parse url into route. 0, or -1 with answer set to the 400 or 404.
static int
s_route (const char *url, route_t *route, answer_t *answer)
{
    memset (route, 0, sizeof *route);
    const char *rest = url;
    char first[S_SEGMENT_MAX] = "";
    if (!s_next_segment (&rest, first, sizeof first))
        route->kind = KIND_UNKNOWN;
    else if (strcmp (first, "ok") == 0)
        route->kind = KIND_OK;
    else if (strcmp (first, "fail-for") == 0) {
        route->kind = KIND_FAIL_FOR;
        if (!s_param (&rest, "sec", 0, S_SECONDS_MAX, &route->seconds, answer))
            return -1;
    }
    else if (strcmp (first, "status") == 0) {
        route->kind = KIND_STATUS;
        if (!s_param (&rest, "code", 200, 599, &route->code, answer))
            return -1;
    }
    else if (strcmp (first, "retry-after") == 0) {
        route->kind = KIND_RETRY_AFTER;
        if (!s_param (&rest, "n", 0, S_TABLE_MAX, &route->count, answer)
            || !s_param (&rest, "sec", 0, S_SECONDS_MAX, &route->seconds,
                         answer))
            return -1;
    }
    else if (strcmp (first, "hold") == 0 || strcmp (first, "slow") == 0) {
        route->kind = KIND_HOLD;
        if (!s_param (&rest, "ms", 0, S_HOLD_MAX_MS, &route->hold_ms, answer))
            return -1;
    }
    else
        route->kind = KIND_UNKNOWN;
    if (route->kind == KIND_UNKNOWN) {
        json_t *doc = json_object ();
        char text[160];
        snprintf (text, sizeof text, "path '%.100s': not found", url);
        json_object_set_new (doc, "error", s_text (text, strlen (text)));
        char *body = json_dumps (doc, JSON_COMPACT);
        json_decref (doc);
        s_answer (answer, 404, body ? body : "{\"error\":\"not found\"}");
        free (body);
        return -1;
    }
    return 0;
}

//  The path's behaviour for a request that reached it (path: its entry).
static void
s_behave (const route_t *route, entry_t *path, answer_t *answer)
{
    int64_t now = s_clock_ms (CLOCK_MONOTONIC);
    if (path->served++ == 0)
        path->first_ms = now;
    switch (route->kind) {
    case KIND_FAIL_FOR:
        if (now - path->first_ms < (int64_t) route->seconds * 1000)
            s_answer (answer, 500, "{\"error\":\"down\"}");
        else
            s_answer (answer, 200, "{\"ok\":true}");
        break;
    case KIND_STATUS:
        answer->status = (unsigned) route->code;
        snprintf (answer->body, sizeof answer->body, "{\"status\":%lu}",
                  route->code);
        break;
    case KIND_RETRY_AFTER:
        if (path->served <= route->count) {
            s_answer (answer, 429, "{\"error\":\"rate limited\"}");
            answer->has_retry_after = true;
            answer->retry_after = route->seconds;
        }
        else
            s_answer (answer, 200, "{\"ok\":true}");
        break;
    case KIND_HOLD:
        s_answer (answer, 200, "{\"ok\":true}");
        answer->hold = true;
        answer->hold_ms = route->hold_ms;
        break;
    default: s_answer (answer, 200, "{\"ok\":true}"); break;
    }
}

//  Append one JSON line to the log and flush it, so a test reads it the
//  moment the sender has its answer (or, for a hold, before).
static void
s_log_post (hookrecv_t *self, struct MHD_Connection *connection,
            const char *url, const ws_buf_t *body, const char *key,
            json_t *verified, const char *verify_error, int64_t t_ms,
            const answer_t *answer)
{
    if (!self->log) {
        json_decref (verified);
        return;
    }
    json_t *headers = ws_httpd_request_headers (connection, true);
    json_t *line = json_object ();
    if (line) {
        //  Set in this order: jansson keeps it, so the lines read alike.
        json_object_set_new (line, "t_ms", json_integer ((json_int_t) t_ms));
        json_object_set_new (line, "path", s_text (url, strlen (url)));
        json_object_set_new (line, "headers", headers ? headers : json_null ());
        json_object_set_new (line, "body",
                             s_text (body->data ? body->data : "", body->len));
        json_object_set_new (line, "key",
                             key ? s_text (key, strlen (key)) : json_null ());
        json_object_set_new (line, "verified",
                             verified ? verified : json_null ());
        json_object_set_new (line, "verify_error",
                             verify_error ? json_string (verify_error)
                                          : json_null ());
        json_object_set_new (line, "status", json_integer (answer->status));
        json_object_set_new (line, "duplicate",
                             json_boolean (answer->duplicate));
    }
    else {
        json_decref (headers);
        json_decref (verified);
    }
    char *dump = line ? json_dumps (line, JSON_COMPACT) : NULL;
    json_decref (line);
    if (!dump) {
        ws_error ("log: out of memory writing the line of %s", url);
        return;
    }
    if (fprintf (self->log, "%s\n", dump) < 0 || fflush (self->log))
        ws_error ("log: cannot write the line of %s", url);
    free (dump);
}

//  Decide, count and log one complete POST.
static void
s_decide (hookrecv_t *self, struct MHD_Connection *connection, const char *url,
          req_t *req, answer_t *answer)
{
    int64_t t_ms = s_clock_ms (CLOCK_REALTIME);
    const char *key = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                   WS_ALERT_IDEMPOTENCY_HEADER);
    json_t *verified = NULL;
    ws_err_t err;
    ws_err_clear (&err);
    const char *verify_error = NULL;
    memset (answer, 0, sizeof *answer);

    pthread_mutex_lock (&self->lock);
    self->requests++;
    entry_t *path = s_table_get (&self->paths, url, true);
    if (path)
        path->count++;
    route_t route;
    if (req->body_too_big)
        s_answer (answer, 413, "{\"error\":\"body: larger than 1 MiB\"}");
    else if (!path)
        s_answer (answer, 500,
                  "{\"error\":\"hookrecv: too many paths or out of memory\"}");
    else if (self->secret
             && ws_alert_verify (
                 self->secret, self->secret_len,
                 MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                              WS_ALERT_SIGNATURE_HEADER),
                 req->body.data ? req->body.data : "", req->body.len,
                 t_ms / 1000, S_TOLERANCE_S, &err)) {
        self->verified_failures++;
        verified = json_false ();
        verify_error = err.text;
        json_t *doc = json_pack ("{s:s}", "error", err.text);
        char *body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
        json_decref (doc);
        s_answer (answer, 401,
                  body ? body : "{\"error\":\"webhook signature\"}");
        free (body);
    }
    else {
        if (self->secret)
            verified = json_true ();
        if (s_route (url, &route, answer) == 0) {
            if (key && s_table_get (&self->keys, key, false)) {
                s_answer (answer, 200, "{\"ok\":true,\"duplicate\":true}");
                answer->duplicate = true;
                self->duplicates++;
            }
            else
                s_behave (&route, path, answer);
            //  Held requests count at once: the receiver did the work,
            //  the sender may die before it reads the answer.
            if (key && !answer->duplicate && answer->status >= 200
                && answer->status < 300
                && !s_table_get (&self->keys, key, true))
                ws_error ("hookrecv: too many keys or out of memory, key "
                          "'%.64s' not recorded",
                          key);
        }
    }
    s_log_post (self, connection, url, &req->body, key, verified, verify_error,
                t_ms, answer);
    pthread_mutex_unlock (&self->lock);
}

// --------------------------------------------------------------------
//  Answers

static enum MHD_Result
s_reply (struct MHD_Connection *connection, const char *url,
         const answer_t *answer)
{
    //  204 and 304 carry no body.
    size_t len = (answer->status == 204 || answer->status == 304)
                     ? 0
                     : strlen (answer->body);
    struct MHD_Response *response =
        ws_httpd_response (answer->body, len, false);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    if (answer->has_retry_after) {
        char seconds[24];
        snprintf (seconds, sizeof seconds, "%lu", answer->retry_after);
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER,
                                 seconds);
    }
    enum MHD_Result rc =
        ws_httpd_queue (connection, url, answer->status, response);
    MHD_destroy_response (response);
    return rc;
}

//  Wait in this connection's thread until hold_ms pass. False when the
//  receiver stops first.
static bool
s_hold (hookrecv_t *self, req_t *req, unsigned long hold_ms)
{
    //  In nanoseconds: a deadline on whole milliseconds answered up to
    //  1 ms early, and a sender timing the hold saw 1.4999 s for 1500.
    int64_t deadline =
        s_clock_ns (CLOCK_MONOTONIC) + (int64_t) hold_ms * 1000000;
    pthread_mutex_lock (&self->lock);
    req->held = true;
    self->held++;
    while (!self->stopping && s_clock_ns (CLOCK_MONOTONIC) < deadline) {
        struct timespec until = {.tv_sec = deadline / 1000000000,
                                 .tv_nsec = deadline % 1000000000};
        pthread_cond_timedwait (&self->wake, &self->lock, &until);
    }
    bool answered = !self->stopping;
    pthread_mutex_unlock (&self->lock);
    return answered;
}

static enum MHD_Result
s_serve_stats (hookrecv_t *self, struct MHD_Connection *connection,
               const char *url)
{
    json_t *by_path = json_object ();
    pthread_mutex_lock (&self->lock);
    for (size_t i = 0; by_path && i < S_BUCKETS; i++)
        for (entry_t *entry = self->paths.buckets[i]; entry;
             entry = entry->next)
            json_object_set_new (by_path, entry->name,
                                 json_integer ((json_int_t) entry->count));
    json_t *doc = json_pack ("{s:I, s:I, s:I, s:I, s:o?}", "requests",
                             (json_int_t) self->requests, "verified_failures",
                             (json_int_t) self->verified_failures, "effects",
                             (json_int_t) self->keys.size, "duplicates",
                             (json_int_t) self->duplicates, "by_path", by_path);
    pthread_mutex_unlock (&self->lock);
    return ws_httpd_reply_json (connection, url, 200, doc);
}

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url,
              const char *method, const char *version, const char *upload_data,
              size_t *upload_data_size, void **con_cls)
{
    (void) version;
    hookrecv_t *self = cls;
    if (*con_cls == &s_headers_seen) {
        //  Second call of a GET: answer now, so keep-alive works.
        *con_cls = NULL;
        if (strcmp (url, "/stats") == 0)
            return s_serve_stats (self, connection, url);
        char text[160];
        snprintf (text, sizeof text,
                  "path '%.100s': not found (GET serves /stats only)", url);
        return ws_httpd_reply_error (connection, url, 404, text);
    }
    req_t *req = *con_cls;
    if (!req) {
        if (strcmp (method, "GET") == 0) {
            *con_cls = &s_headers_seen;
            return MHD_YES;
        }
        if (strcmp (method, "POST") != 0) {
            char text[160];
            snprintf (text, sizeof text,
                      "method '%.100s': expected POST, or GET /stats", method);
            return ws_httpd_reply_error (connection, url, 405, text);
        }
        req = calloc (1, sizeof *req);
        if (!req)
            return MHD_NO;
        ws_buf_init (&req->body, S_BODY_MAX);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->body_too_big
            && ws_buf_append (&req->body, upload_data, *upload_data_size))
            req->body_too_big = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    answer_t answer;
    s_decide (self, connection, url, req, &answer);
    if (answer.hold && !s_hold (self, req, answer.hold_ms)) {
        s_answer (&answer, 503, "{\"error\":\"stopping\"}");
        answer.has_retry_after = true;
        answer.retry_after = 0;
    }
    return s_reply (connection, url, &answer);
}

static void
s_on_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
                enum MHD_RequestTerminationCode toe)
{
    (void) connection;
    (void) toe;
    hookrecv_t *self = cls;
    req_t *req = *con_cls;
    if (req && *con_cls != &s_headers_seen) {
        if (req->held) {
            pthread_mutex_lock (&self->lock);
            self->held--;
            pthread_cond_broadcast (&self->wake);
            pthread_mutex_unlock (&self->lock);
        }
        ws_buf_free (&req->body);
        free (req);
    }
    *con_cls = NULL;
}

// --------------------------------------------------------------------
//  Process

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: ws_hookrecv [options]\n"
             "  --listen ADDR          address to bind (default 127.0.0.1)\n"
             "  --port N               port (default 0: any free port)\n"
             "  --port-file FILE       write the bound port there once "
             "listening\n"
             "  --log FILE             append one JSON line per POST\n"
             "  --secret-env NAME      verify X-Watershed-Signature with "
             "the value of $NAME\n"
             "                         (300 s tolerance; a bad one is 401)\n"
             "  --max-connections N    connection limit (default 1024)\n"
             "  --log-level LEVEL      error..debug; info logs every "
             "request\n"
             "  --help\n"
             "POST /ok/... /fail-for/<sec>/... /status/<code>/...\n"
             "     /retry-after/<n>/<sec>/... /hold/<ms>/... /slow/<ms>/...\n"
             "GET  /stats\n");
}

typedef struct {
    const char *log_path;    //  borrowed (argv)
    const char *secret_env;  //  borrowed (argv)
} options_t;

//  --log FILE, --secret-env NAME.
static int
s_on_option (void *arg, const char *name, const char *value)
{
    options_t *options = arg;
    if (strcmp (name, "--log") == 0)
        options->log_path = value;
    else
        options->secret_env = value;
    return 0;
}

static int
s_hookrecv_init (hookrecv_t *self, const options_t *options)
{
    memset (self, 0, sizeof *self);
    if (options->secret_env) {
        const char *secret = getenv (options->secret_env);
        if (!secret || !*secret) {
            ws_error ("option --secret-env '%s': the variable is not set "
                      "or empty",
                      options->secret_env);
            return -1;
        }
        self->secret_env = options->secret_env;
        self->secret = secret;
        self->secret_len = strlen (secret);
    }
    if (options->log_path) {
        self->log = fopen (options->log_path, "a");
        if (!self->log) {
            ws_error ("option --log '%s': cannot open for appending",
                      options->log_path);
            return -1;
        }
    }
    pthread_condattr_t attr;
    if (pthread_condattr_init (&attr)
        || pthread_condattr_setclock (&attr, CLOCK_MONOTONIC)
        || pthread_cond_init (&self->wake, &attr)
        || pthread_mutex_init (&self->lock, NULL)) {
        ws_error ("hookrecv: cannot create its lock");
        return -1;
    }
    pthread_condattr_destroy (&attr);
    return 0;
}

//  Wake every held request and give them up to a second to send their
//  503: MHD_stop_daemon would otherwise close their sockets first.
static void
s_hookrecv_stop (hookrecv_t *self)
{
    int64_t deadline = s_clock_ms (CLOCK_MONOTONIC) + 1000;
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    pthread_cond_broadcast (&self->wake);
    while (self->held > 0 && s_clock_ms (CLOCK_MONOTONIC) < deadline) {
        struct timespec until = {.tv_sec = deadline / 1000,
                                 .tv_nsec = (deadline % 1000) * 1000000};
        pthread_cond_timedwait (&self->wake, &self->lock, &until);
    }
    pthread_mutex_unlock (&self->lock);
}

static void
s_hookrecv_free (hookrecv_t *self)
{
    s_table_free (&self->paths);
    s_table_free (&self->keys);
    if (self->log)
        fclose (self->log);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->wake);
}

int
main (int argc, char **argv)
{
    ws_log_init ('T', false);
    ws_httpd_config_t config;
    ws_httpd_config_init (&config);
    config.max_connections = 1024;  //  a thread each
    options_t options = {NULL, NULL};
    static const char *const names[] = {"--log", "--secret-env", NULL};
    int parsed = ws_httpd_config_parse (&config, argc, argv, names, s_on_option,
                                        &options);
    if (parsed == 1)
        s_usage (stdout);
    if (parsed)
        return parsed == 1 ? 0 : 2;
    hookrecv_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_error ("hookrecv: out of memory at start");
        return 1;
    }
    if (s_hookrecv_init (self, &options)) {
        if (self->log)
            fclose (self->log);
        free (self);
        return 2;
    }
    ws_httpd_t *httpd = ws_httpd_new (&config);
    if (!httpd) {
        s_hookrecv_free (self);
        free (self);
        return 2;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION
                     | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    int rc =
        ws_httpd_start (httpd, flags, s_on_request, self, s_on_completed, self)
            ? 1
            : 0;
    if (rc == 0) {
        char note[160] = "webhook receiver, not verifying";
        if (self->secret_env)
            snprintf (note, sizeof note,
                      "webhook receiver, verifying with $%.100s",
                      self->secret_env);
        ws_httpd_run (httpd, note);
    }
    s_hookrecv_stop (self);
    ws_httpd_destroy (&httpd);
    s_hookrecv_free (self);
    free (self);
    return rc;
}
