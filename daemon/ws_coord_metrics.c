//  ws_coord_metrics - watershedd's own metrics, served over HTTP in the
//  Prometheus text exposition format (version 0.0.4) at /metrics on
//  config 'metrics' (HOST:PORT, default 127.0.0.1:9478, "off").
//
//  Threading: the coordinator's loop is single-threaded and its state
//  has no locks, so the HTTP side never reads it. libmicrohttpd runs in
//  its own internal thread; once a second the loop (the cron) renders
//  the whole exposition text from a snapshot of its state and publishes
//  it by swapping one pointer under a mutex. The HTTP thread only copies
//  the latest published text under that mutex, so a scrape sees figures
//  at most a second old and never a half-updated state. The thread is
//  started with every signal blocked: SIGTERM, SIGINT and SIGHUP must
//  reach the loop's zmq_poll, never the HTTP thread, and it never logs.
//
//  The default address is a convenience, not a promise: when
//  127.0.0.1:9478 is taken (another watershedd, parallel tests) the
//  coordinator runs without metrics and says so; an address set in the
//  config that cannot be bound refuses the start.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws_coord.h"
#include "ws_coord_private.h"
#include "ws_log.h"
#include "ws_time.h"

#define S_DEFAULT_ADDRESS "127.0.0.1:9478"
#define S_VERSION "0.1.0"
#define S_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
//  The exposition grows with the kinds of errors and statuses only: a
//  few kilobytes. The limit stops a runaway, it is never reached.
#define S_TEXT_MAX (4u << 20)

struct _ws_coord_metrics_t {
    struct MHD_Daemon *daemon;  //  owns; its thread serves the text
    char url[320];
    int64_t published_at;   //  monotonic ms, loop thread only
    pthread_mutex_t mutex;  //  guards text and text_len
    char *text;             //  owns; the latest exposition, NUL-ended
    size_t text_len;
};

static int64_t
s_clock_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

//  ---------------------------------------------------------------------
//  The text

void
ws_coord_metrics_set_add (ws_coord_metrics_set_t *self, const char *value,
                          double count)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->values[i], value) == 0) {
            self->counts[i] += count;
            return;
        }
    if (self->count == WS_COORD_METRICS_VALUES) {
        //  The last slot becomes "other" for every value that does not fit.
        self->values[WS_COORD_METRICS_VALUES - 1] = "other";
        self->counts[WS_COORD_METRICS_VALUES - 1] += count;
        return;
    }
    self->values[self->count] = value;
    self->counts[self->count] = count;
    self->count++;
}

int
ws_coord_metrics_escape (ws_buf_t *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        size_t run = strcspn (p, "\\\"\n");
        if (run && ws_buf_append (out, p, run))
            return -1;
        p += run;
        if (!*p)
            break;
        const char *escaped = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n";
        if (ws_buf_append (out, escaped, 2))
            return -1;
    }
    //  An empty value still makes the buffer a string.
    return ws_buf_append (out, "", 0);
}

//  "# HELP" and "# TYPE" of one metric family.
static int
s_family (ws_buf_t *out, const char *name, const char *type, const char *help)
{
    return ws_buf_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                          type);
}

//  A family with one sample of an integer.
static int
s_integer (ws_buf_t *out, const char *name, const char *type, const char *help,
           int64_t value)
{
    return s_family (out, name, type, help)
           || ws_buf_printf (out, "%s %" PRId64 "\n", name, value);
}

//  A sample value: exact for whole numbers, else 9 significant digits;
//  NaN and infinities as the format spells them.
static int
s_value (ws_buf_t *out, double value)
{
    if (isnan (value))
        return ws_buf_printf (out, "NaN");
    if (isinf (value))
        return ws_buf_printf (out, value > 0 ? "+Inf" : "-Inf");
    if (value < 9e15 && value > -9e15 && value == (double) (int64_t) value)
        return ws_buf_printf (out, "%" PRId64, (int64_t) value);
    return ws_buf_printf (out, "%.9g", value);
}

//  A family with one sample per value of label.
static int
s_labelled (ws_buf_t *out, const char *name, const char *type, const char *help,
            const char *label, const ws_coord_metrics_set_t *set)
{
    if (s_family (out, name, type, help))
        return -1;
    for (size_t i = 0; i < set->count; i++)
        if (ws_buf_printf (out, "%s{%s=\"", name, label)
            || ws_coord_metrics_escape (out, set->values[i])
            || ws_buf_append (out, "\"} ", 3) || s_value (out, set->counts[i])
            || ws_buf_append (out, "\n", 1))
            return -1;
    return 0;
}

int
ws_coord_metrics_format (const ws_coord_metrics_snapshot_t *snapshot,
                         ws_buf_t *out)
{
    const ws_coord_metrics_snapshot_t *s = snapshot;
    int rc = 0;
    rc |= s_family (out, "watershed_build_info", "gauge",
                    "The running watershedd's version; always 1.");
    rc |= ws_buf_printf (out, "watershed_build_info{version=\"");
    rc |= ws_coord_metrics_escape (out, s->version);
    rc |= ws_buf_printf (out, "\"} 1\n");
    rc |= s_family (out, "watershed_uptime_seconds", "gauge",
                    "Seconds since watershedd started.");
    rc |= ws_buf_printf (out, "watershed_uptime_seconds %.3f\n",
                         s->uptime_seconds);
    rc |= s_integer (out, "watershed_workers_connected", "gauge",
                     "Workers connected to the coordinator.",
                     s->workers_connected);
    rc |= s_integer (out, "watershed_jobs_dispatched_total", "counter",
                     "Jobs sent to workers, first sends and retries.",
                     s->jobs_dispatched);
    rc |= s_integer (out, "watershed_jobs_in_flight", "gauge",
                     "Jobs sent to a worker and not answered yet.",
                     s->jobs_in_flight);
    rc |= s_integer (out, "watershed_jobs_queued", "gauge",
                     "Jobs waiting for a worker with credit.", s->jobs_queued);
    rc |= s_integer (out, "watershed_jobs_redispatched_total", "counter",
                     "Jobs sent again after their worker left or their "
                     "deadline passed.",
                     s->jobs_redispatched);
    rc |= s_integer (out, "watershed_jobs_abandoned_total", "counter",
                     "Jobs given up after their last attempt.",
                     s->jobs_abandoned);
    rc |= s_integer (out, "watershed_ticks_skipped_total", "counter",
                     "Collection ticks skipped: the source had too many "
                     "ticks outstanding.",
                     s->ticks_skipped);
    rc |= s_integer (out, "watershed_ticks_missed_total", "counter",
                     "Collection ticks recorded as missed (no sample "
                     "stored).",
                     s->ticks_missed);
    rc |= s_integer (out, "watershed_samples_committed_total", "counter",
                     "Samples written to PostgreSQL in committed batches.",
                     s->samples_committed);
    rc |= s_integer (out, "watershed_samples_buffered", "gauge",
                     "Samples received and not written yet.",
                     s->samples_buffered);
    rc |= s_integer (
        out, "watershed_batches_total", "counter",
        "Batches committed (samples, missed ticks, ACKs of results).",
        s->batches);
    rc |= s_labelled (out, "watershed_source_errors", "gauge",
                      "Enabled sources whose latest tick had an error, by "
                      "the kind of that error.",
                      "kind", &s->source_errors);
    rc |= s_labelled (out, "watershed_sources", "gauge",
                      "Sources by health, as 'watershed sources' shows it.",
                      "health", &s->sources);
    rc |= s_labelled (out, "watershed_goals", "gauge",
                      "Goals by the status of their latest evaluation "
                      "(unevaluated: none yet).",
                      "status", &s->goals);
    rc |= s_labelled (out, "watershed_hook_deliveries_total", "counter",
                      "Delivery attempts of alerts to hooks by outcome "
                      "(failed: an attempt to be retried; given_up: no "
                      "more attempts).",
                      "outcome", &s->deliveries);
    rc |= s_integer (out, "watershed_alerts_recorded_total", "counter",
                     "Alerts recorded (goal changes, trends).",
                     s->alerts_recorded);
    rc |= s_integer (out, "watershed_database_up", "gauge",
                     "1 while writes to PostgreSQL succeed, 0 while they "
                     "fail and samples are buffered.",
                     s->database_up ? 1 : 0);
    rc |= s_family (out, "watershed_database_batch_write_seconds", "summary",
                    "Wall time of a batch write, from sending the batch to "
                    "PostgreSQL to its commit, resends included.");
    rc |= ws_buf_printf (out, "watershed_database_batch_write_seconds_sum ");
    rc |= s_value (out, s->write_seconds_sum);
    rc |= ws_buf_printf (out,
                         "\nwatershed_database_batch_write_seconds_count "
                         "%" PRId64 "\n",
                         s->writes_timed);
    rc |= s_family (out, "watershed_database_batch_write_last_seconds", "gauge",
                    "Wall time of the latest committed batch write.");
    rc |= ws_buf_printf (out, "watershed_database_batch_write_last_seconds ");
    rc |= s_value (out, s->write_seconds_last);
    rc |= ws_buf_append (out, "\n", 1);
    rc |=
        s_integer (out, "watershed_results_dropped_by_workers_total", "counter",
                   "Results workers dropped past their limit of unACKed "
                   "results, as they reported.",
                   s->results_dropped);
    return rc ? -1 : 0;
}

//  ---------------------------------------------------------------------
//  The snapshot, on the loop

//  As 'watershed sources' shows it, but a source that has neither
//  succeeded nor failed yet is pending (there both times are 0 and it
//  shows as degraded).
const char *
ws_coord_source_health (const ws_sched_source_t *source)
{
    if (!source->enabled)
        return "disabled";
    if (source->failures > 0)
        return "failing";
    if (source->last_error_at && source->last_error_at >= source->last_success)
        return "degraded";
    return source->last_success ? "ok" : "pending";
}

static void
s_gather_source (ws_sched_source_t *source, void *arg)
{
    ws_coord_metrics_snapshot_t *snapshot = arg;
    ws_coord_metrics_set_add (&snapshot->sources,
                              ws_coord_source_health (source), 1);
    //  Its latest tick had an error: the error is newer than the last
    //  success (a failure, a rule that failed, a skipped tick).
    if (source->enabled && source->last_error_at
        && source->last_error_at >= source->last_success)
        ws_coord_metrics_set_add (
            &snapshot->source_errors,
            source->last_error_kind ? source->last_error_kind : "unknown", 1);
}

void
ws_coord_metrics_gather (ws_coord_t *self,
                         ws_coord_metrics_snapshot_t *snapshot)
{
    memset (snapshot, 0, sizeof *snapshot);
    snapshot->version = S_VERSION;
    snapshot->uptime_seconds = (double) (ws_wall_ms () - self->started) / 1000;
    snapshot->workers_connected = (int64_t) ws_map_size (self->workers_by_id);
    snapshot->jobs_queued = (int64_t) self->queue_length;
    snapshot->jobs_in_flight =
        (int64_t) (ws_map_size (self->jobs) - self->queue_length);
    snapshot->samples_buffered =
        (int64_t) (self->buffer.rows + self->writing.rows);
    snapshot->jobs_dispatched = self->stats.jobs_dispatched;
    snapshot->jobs_redispatched = self->stats.jobs_redispatched;
    snapshot->jobs_abandoned = self->stats.jobs_abandoned;
    snapshot->ticks_skipped = self->stats.ticks_skipped;
    snapshot->ticks_missed = self->stats.ticks_missed;
    snapshot->samples_committed = self->stats.samples_committed;
    snapshot->batches = self->stats.batches;
    snapshot->alerts_recorded = self->stats.alerts_recorded;
    snapshot->results_dropped = self->stats.results_dropped;
    snapshot->database_up = !self->db_failing;
    snapshot->write_seconds_last = self->stats.write_seconds_last;
    snapshot->write_seconds_sum = self->stats.write_seconds_sum;
    snapshot->writes_timed = self->stats.writes_timed;

    //  Every value a dashboard plots is there from the start, at 0.
    static const char *const healths[] = {"ok", "degraded", "failing",
                                          "pending", "disabled"};
    for (size_t i = 0; i < sizeof healths / sizeof healths[0]; i++)
        ws_coord_metrics_set_add (&snapshot->sources, healths[i], 0);
    ws_sched_each (self->sched, s_gather_source, snapshot);
    static const char *const statuses[] = {
        "on_track", "at_risk", "off_track", "achieved",
        "missed",   "stale",   "too_early", "unevaluated"};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        ws_coord_metrics_set_add (&snapshot->goals, statuses[i], 0);
    ws_coord_goals_count_status (self, &snapshot->goals);

    json_t *hooks = ws_coord_hooks_counters (self);
    ws_coord_metrics_set_add (&snapshot->deliveries, "delivered",
                              (double) json_integer_value (json_object_get (
                                  hooks, "deliveries_delivered")));
    ws_coord_metrics_set_add (&snapshot->deliveries, "failed",
                              (double) json_integer_value (json_object_get (
                                  hooks, "delivery_failures")));
    ws_coord_metrics_set_add (&snapshot->deliveries, "given_up",
                              (double) json_integer_value (json_object_get (
                                  hooks, "deliveries_given_up")));
    json_decref (hooks);
}

void
ws_coord_metrics_write_sent (ws_coord_t *self)
{
    self->write_sent_us = s_clock_us ();
}

void
ws_coord_metrics_write_done (ws_coord_t *self)
{
    if (!self->write_sent_us)
        return;
    double seconds = (double) (s_clock_us () - self->write_sent_us) / 1e6;
    self->write_sent_us = 0;
    self->stats.write_seconds_last = seconds;
    self->stats.write_seconds_sum += seconds;
    self->stats.writes_timed++;
}

//  Render now and swap the text in for the HTTP thread.
static void
s_publish (ws_coord_metrics_t *metrics, ws_coord_t *self)
{
    ws_coord_metrics_snapshot_t snapshot;
    ws_coord_metrics_gather (self, &snapshot);
    ws_buf_t text;
    ws_buf_init (&text, S_TEXT_MAX);
    if (ws_coord_metrics_format (&snapshot, &text)) {
        ws_buf_free (&text);
        ws_warning ("metrics: the exposition passed %u bytes; the previous "
                    "one is served",
                    S_TEXT_MAX);
        return;
    }
    size_t len = text.len;
    char *fresh = ws_buf_steal (&text);
    if (!fresh)
        abort ();
    pthread_mutex_lock (&metrics->mutex);
    char *old = metrics->text;
    metrics->text = fresh;
    metrics->text_len = len;
    pthread_mutex_unlock (&metrics->mutex);
    free (old);
}

void
ws_coord_metrics_publish (ws_coord_t *self)
{
    ws_coord_metrics_t *metrics = self->metrics;
    if (!metrics)
        return;
    int64_t clock = ws_clock_ms ();
    if (clock - metrics->published_at < 1000)
        return;
    metrics->published_at = clock;
    s_publish (metrics, self);
}

//  ---------------------------------------------------------------------
//  The HTTP side: runs in libmicrohttpd's thread, reads only the text.

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url,
              const char *method, const char *version, const char *upload_data,
              size_t *upload_data_size, void **request)
{
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    (void) request;
    ws_coord_metrics_t *metrics = cls;
    bool found = strcmp (url, "/metrics") == 0
                 && (strcmp (method, MHD_HTTP_METHOD_GET) == 0
                     || strcmp (method, MHD_HTTP_METHOD_HEAD) == 0);
    struct MHD_Response *response;
    if (found) {
        pthread_mutex_lock (&metrics->mutex);
        size_t len = metrics->text_len;
        char *copy = malloc (len + 1);
        if (copy && metrics->text)
            memcpy (copy, metrics->text, len + 1);
        else if (copy)
            *copy = '\0';  //  the first rendering failed: nothing yet
        pthread_mutex_unlock (&metrics->mutex);
        if (!copy)
            return MHD_NO;  //  out of memory: MHD closes the connection
        response =
            MHD_create_response_from_buffer (len, copy, MHD_RESPMEM_MUST_FREE);
        if (!response) {
            free (copy);
            return MHD_NO;
        }
    }
    else {
        static const char body[] = "not found: the metrics are at /metrics\n";
        response = MHD_create_response_from_buffer (
            sizeof body - 1, (void *) body, MHD_RESPMEM_PERSISTENT);
        if (!response)
            return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             S_CONTENT_TYPE);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    enum MHD_Result rc = MHD_queue_response (
        connection, found ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, response);
    MHD_destroy_response (response);
    return rc;
}

int
ws_coord_metrics_parse_address (const char *text, char *host, size_t host_size,
                                unsigned *port, ws_err_t *err)
{
    const char *colon = strrchr (text, ':');
    const char *host_start = text, *host_end = colon;
    if (colon && *text == '[') {
        //  [V6]:PORT
        host_start = text + 1;
        host_end = colon > text && colon[-1] == ']' ? colon - 1 : NULL;
    }
    else if (colon && memchr (text, ':', (size_t) (colon - text)))
        host_end = NULL;  //  a bare IPv6 address needs brackets
    char *end;
    errno = 0;
    unsigned long number = colon ? strtoul (colon + 1, &end, 10) : 0;
    if (!colon || !host_end || host_end == host_start || !colon[1] || *end
        || errno || number > 65535 || colon[1] == '-' || colon[1] == '+'
        || colon[1] == ' ')
        return ws_err_set (err, WS_ERR_INPUT,
                           "config 'metrics': '%s' is not HOST:PORT (e.g. "
                           "127.0.0.1:9478, [::1]:9478, or off)",
                           text);
    size_t len = (size_t) (host_end - host_start);
    if (len >= host_size)
        return ws_err_set (err, WS_ERR_INPUT,
                           "config 'metrics': host of '%s' is too long", text);
    memcpy (host, host_start, len);
    host[len] = '\0';
    *port = (unsigned) number;
    return 0;
}

//  A listening socket on address. The fd, or -1 with *err naming the
//  option and the address.
static int
s_listen (const char *address, char *url, size_t url_size, ws_err_t *err)
{
    char host[256];
    unsigned port;
    if (ws_coord_metrics_parse_address (address, host, sizeof host, &port, err))
        return -1;
    struct addrinfo hints = {0}, *found = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[8];
    snprintf (service, sizeof service, "%u", port);
    int rc = getaddrinfo (host, service, &hints, &found);
    if (rc)
        return ws_err_set (err, WS_ERR_INPUT,
                           "config 'metrics': cannot resolve '%s': %s", host,
                           gai_strerror (rc));
    int fd = socket (found->ai_family, found->ai_socktype, found->ai_protocol);
    int on = 1;
    if (fd < 0 || fcntl (fd, F_SETFD, FD_CLOEXEC)
        || fcntl (fd, F_SETFL, O_NONBLOCK)
        || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on)
        || bind (fd, found->ai_addr, found->ai_addrlen) || listen (fd, 64)) {
        int error = errno;
        if (fd >= 0)
            close (fd);
        freeaddrinfo (found);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "config 'metrics': cannot listen on %s: %s", address,
                           strerror (error));
    }
    freeaddrinfo (found);
    //  The address actually bound: port 0 picks one.
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    char numeric[NI_MAXHOST], bound_port[NI_MAXSERV];
    if (getsockname (fd, (struct sockaddr *) &bound, &bound_len)
        || getnameinfo ((struct sockaddr *) &bound, bound_len, numeric,
                        sizeof numeric, bound_port, sizeof bound_port,
                        NI_NUMERICHOST | NI_NUMERICSERV)) {
        close (fd);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "config 'metrics': %s: cannot read the address "
                           "bound",
                           address);
    }
    bool v6 = bound.ss_family == AF_INET6;
    if (snprintf (url, url_size, "http://%s%s%s:%s/metrics", v6 ? "[" : "",
                  numeric, v6 ? "]" : "", bound_port)
        >= (int) url_size) {
        close (fd);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "config 'metrics': %s: address too long", address);
    }
    return fd;
}

const char *
ws_coord_metrics_url (ws_coord_t *self)
{
    return self->metrics ? self->metrics->url : NULL;
}

int
ws_coord_metrics_start (ws_coord_t *self, ws_err_t *err)
{
    const char *address = ws_config_string (self->config, "metrics");
    if (strcmp (address, "off") == 0)
        return 0;
    bool fallback = !*address;
    if (fallback)
        address = S_DEFAULT_ADDRESS;
    ws_coord_metrics_t *metrics = calloc (1, sizeof *metrics);
    if (!metrics)
        abort ();
    int fd = s_listen (address, metrics->url, sizeof metrics->url, err);
    if (fd < 0) {
        free (metrics);
        if (!fallback)
            return -1;
        ws_warning ("%s; running without metrics (set --metrics to another "
                    "HOST:PORT, or off)",
                    err->text);
        return 0;
    }
    pthread_mutex_init (&metrics->mutex, NULL);
    self->metrics = metrics;
    //  Text to serve before the first cron.
    metrics->published_at = ws_clock_ms ();
    s_publish (metrics, self);
    //  The thread inherits this mask: no signal is ever delivered to it.
    sigset_t all, saved;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &saved);
    metrics->daemon = MHD_start_daemon (
        MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
        s_on_request, metrics, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
        MHD_OPTION_END);
    pthread_sigmask (SIG_SETMASK, &saved, NULL);
    if (!metrics->daemon) {
        //  fd is left open: whether a failed start closed it is not
        //  documented, and a second close could hit another thread's
        //  file. The process refuses to start anyway.
        ws_coord_metrics_stop (self);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "config 'metrics': %s: the HTTP server did not "
                           "start",
                           address);
    }
    ws_notice ("metrics on %s", metrics->url);
    return 0;
}

void
ws_coord_metrics_stop (ws_coord_t *self)
{
    ws_coord_metrics_t *metrics = self->metrics;
    if (!metrics)
        return;
    //  Joins the HTTP thread (and closes the listening socket) before
    //  the text it reads goes.
    if (metrics->daemon)
        MHD_stop_daemon (metrics->daemon);
    pthread_mutex_destroy (&metrics->mutex);
    free (metrics->text);
    free (metrics);
    self->metrics = NULL;
}
