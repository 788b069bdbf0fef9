//  test_ws_coord_metrics - the coordinator's /metrics: label escaping,
//  the exposition text of a given snapshot, the address option, the
//  health of a source, the timing of batch writes, and the HTTP side
//  serving what the loop published (a coordinator without sockets or
//  database: the state the metrics read, nothing more).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws_config.h"
#include "ws_coord.h"
#include "ws_coord_private.h"
#include "ws_loop.h"

//  The escaped form of value, as a static string.
static const char *
s_escaped (const char *value)
{
    static char text[256];
    ws_buf_t buf;
    ws_buf_init (&buf, sizeof text);
    assert_int_equal (ws_coord_metrics_escape (&buf, value), 0);
    snprintf (text, sizeof text, "%s", buf.data);
    ws_buf_free (&buf);
    return text;
}

static void
test_escape (void **state)
{
    (void) state;
    assert_string_equal (s_escaped ("http"), "http");
    assert_string_equal (s_escaped (""), "");
    assert_string_equal (s_escaped ("a\\b"), "a\\\\b");
    assert_string_equal (s_escaped ("say \"hi\""), "say \\\"hi\\\"");
    assert_string_equal (s_escaped ("two\nlines\n"), "two\\nlines\\n");
    assert_string_equal (s_escaped ("\\\"\n"), "\\\\\\\"\\n");
    //  Other bytes, UTF-8 and tabs included, pass as they are.
    assert_string_equal (s_escaped ("caf\xc3\xa9\t"), "caf\xc3\xa9\t");
    //  A buffer too small is an error, not a cut value.
    ws_buf_t buf;
    ws_buf_init (&buf, 4);
    assert_int_equal (ws_coord_metrics_escape (&buf, "\"\"\""), -1);
    ws_buf_free (&buf);
}

static void
test_set (void **state)
{
    (void) state;
    ws_coord_metrics_set_t set = {0};
    ws_coord_metrics_set_add (&set, "ok", 0);
    ws_coord_metrics_set_add (&set, "failing", 1);
    ws_coord_metrics_set_add (&set, "ok", 2);
    ws_coord_metrics_set_add (&set, "ok", 1);
    assert_int_equal (set.count, 2);
    assert_string_equal (set.values[0], "ok");
    assert_true (set.counts[0] == 3);
    assert_true (set.counts[1] == 1);
    //  Past the capacity, the last slot counts every other value.
    static char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf (names[i], sizeof names[i], "k%d", i);
        ws_coord_metrics_set_add (&set, names[i], 1);
    }
    assert_int_equal (set.count, WS_COORD_METRICS_VALUES);
    assert_string_equal (set.values[WS_COORD_METRICS_VALUES - 1], "other");
    double sum = 0;
    for (size_t i = 0; i < set.count; i++)
        sum += set.counts[i];
    assert_true (sum == 3 + 1 + 40);
}

//  The line of text that starts with prefix, or NULL.
static const char *
s_line (const char *text, const char *prefix)
{
    size_t len = strlen (prefix);
    for (const char *p = text; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : p)
        if (strncmp (p, prefix, len) == 0)
            return p;
    return NULL;
}

static void
s_snapshot (ws_coord_metrics_snapshot_t *snapshot)
{
    memset (snapshot, 0, sizeof *snapshot);
    snapshot->version = "0.1.0";
    snapshot->uptime_seconds = 12.5;
    snapshot->workers_connected = 2;
    snapshot->jobs_dispatched = 1234567890123LL;
    snapshot->samples_committed = 42;
    snapshot->database_up = true;
    snapshot->write_seconds_last = 0.25;
    snapshot->write_seconds_sum = 1.5;
    snapshot->writes_timed = 6;
    ws_coord_metrics_set_add (&snapshot->source_errors, "http", 3);
    ws_coord_metrics_set_add (&snapshot->source_errors, "we\"ird\\\n", 1);
    ws_coord_metrics_set_add (&snapshot->goals, "on_track", 4);
    ws_coord_metrics_set_add (&snapshot->deliveries, "delivered", 9);
    ws_coord_metrics_set_add (&snapshot->deliveries, "nan", NAN);
    ws_coord_metrics_set_add (&snapshot->deliveries, "inf", -INFINITY);
    ws_coord_metrics_set_add (&snapshot->deliveries, "huge", 1e300);
}

static void
test_format (void **state)
{
    (void) state;
    ws_coord_metrics_snapshot_t snapshot;
    s_snapshot (&snapshot);
    ws_buf_t out;
    ws_buf_init (&out, 1 << 20);
    assert_int_equal (ws_coord_metrics_format (&snapshot, &out), 0);
    const char *text = out.data;
    assert_non_null (
        s_line (text, "watershed_build_info{version=\"0.1.0\"} 1\n"));
    assert_non_null (s_line (text, "watershed_uptime_seconds 12.500\n"));
    assert_non_null (s_line (text, "watershed_workers_connected 2\n"));
    assert_non_null (
        s_line (text, "watershed_jobs_dispatched_total 1234567890123\n"));
    assert_non_null (s_line (text, "watershed_samples_committed_total 42\n"));
    assert_non_null (s_line (text, "watershed_database_up 1\n"));
    assert_non_null (
        s_line (text, "watershed_source_errors{kind=\"http\"} 3\n"));
    assert_non_null (s_line (
        text, "watershed_source_errors{kind=\"we\\\"ird\\\\\\n\"} 1\n"));
    assert_non_null (s_line (text, "watershed_goals{status=\"on_track\"} 4\n"));
    assert_non_null (s_line (
        text, "watershed_hook_deliveries_total{outcome=\"delivered\"} 9\n"));
    assert_non_null (s_line (
        text, "watershed_hook_deliveries_total{outcome=\"nan\"} NaN\n"));
    assert_non_null (s_line (
        text, "watershed_hook_deliveries_total{outcome=\"inf\"} -Inf\n"));
    assert_non_null (s_line (
        text, "watershed_hook_deliveries_total{outcome=\"huge\"} 1e+300\n"));
    assert_non_null (
        s_line (text, "watershed_database_batch_write_seconds_sum 1.5\n"));
    assert_non_null (
        s_line (text, "watershed_database_batch_write_seconds_count 6\n"));
    assert_non_null (
        s_line (text, "watershed_database_batch_write_last_seconds 0.25\n"));
    //  HELP, then TYPE, then the samples, for each family.
    const char *help = s_line (text, "# HELP watershed_workers_connected ");
    const char *type =
        s_line (text, "# TYPE watershed_workers_connected gauge\n");
    const char *sample = s_line (text, "watershed_workers_connected ");
    assert_true (help && type && sample && help < type && type < sample);
    assert_non_null (
        s_line (text, "# TYPE watershed_jobs_dispatched_total counter\n"));
    assert_non_null (s_line (
        text, "# TYPE watershed_database_batch_write_seconds summary\n"));
    //  Every counter's name ends in _total.
    for (const char *p = text; (p = strstr (p, "# TYPE ")); p++) {
        const char *end = strchr (p, '\n');
        if (end - p > 8 && strncmp (end - 8, " counter", 8) == 0)
            assert_memory_equal (end - 14, "_total", 6);
    }
    assert_int_equal (text[out.len - 1], '\n');
    //  The database down shows 0; a buffer too small fails whole.
    snapshot.database_up = false;
    ws_buf_reset (&out);
    assert_int_equal (ws_coord_metrics_format (&snapshot, &out), 0);
    assert_non_null (s_line (out.data, "watershed_database_up 0\n"));
    ws_buf_free (&out);
    ws_buf_init (&out, 512);
    assert_int_equal (ws_coord_metrics_format (&snapshot, &out), -1);
    ws_buf_free (&out);
}

static void
test_address (void **state)
{
    (void) state;
    char host[64];
    unsigned port = 1;
    ws_err_t err;
    assert_int_equal (ws_coord_metrics_parse_address ("127.0.0.1:9478", host,
                                                      sizeof host, &port, &err),
                      0);
    assert_string_equal (host, "127.0.0.1");
    assert_int_equal (port, 9478);
    assert_int_equal (ws_coord_metrics_parse_address ("[::1]:0", host,
                                                      sizeof host, &port, &err),
                      0);
    assert_string_equal (host, "::1");
    assert_int_equal (port, 0);
    assert_int_equal (ws_coord_metrics_parse_address ("localhost:65535", host,
                                                      sizeof host, &port, &err),
                      0);
    assert_string_equal (host, "localhost");
    static const char *const bad[] = {
        "9478",      ":9478",   "host:",    "host:65536",
        "host:-1",   "host:+1", "host:1x",  "::1:9478",
        "[::1:9478", "[]:80",   "host: 80", "host:99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal (ws_coord_metrics_parse_address (
                              bad[i], host, sizeof host, &port, &err),
                          -1);
        assert_non_null (strstr (err.text, "config 'metrics': "));
    }
    //  A host longer than the room for it.
    assert_int_equal (ws_coord_metrics_parse_address (
                          "a-rather-long-host-name:80", host, 8, &port, &err),
                      -1);
}

static void
test_health (void **state)
{
    (void) state;
    ws_sched_source_t source = {0};
    source.enabled = true;
    assert_string_equal (ws_coord_source_health (&source), "pending");
    //  A skipped tick before any success (no worker free): degraded.
    source.last_error_at = 500;
    assert_string_equal (ws_coord_source_health (&source), "degraded");
    source.last_error_at = 0;
    source.last_success = 1000;
    assert_string_equal (ws_coord_source_health (&source), "ok");
    source.last_error_at = 2000;
    assert_string_equal (ws_coord_source_health (&source), "degraded");
    source.failures = 1;
    assert_string_equal (ws_coord_source_health (&source), "failing");
    source.enabled = false;
    assert_string_equal (ws_coord_source_health (&source), "disabled");
}

static void
test_write_timing (void **state)
{
    (void) state;
    ws_coord_t *coord = calloc (1, sizeof *coord);
    assert_non_null (coord);
    //  A commit without a send (a bisection after a failure) is not timed.
    ws_coord_metrics_write_done (coord);
    assert_int_equal (coord->stats.writes_timed, 0);
    ws_coord_metrics_write_sent (coord);
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep (&pause, NULL);
    ws_coord_metrics_write_done (coord);
    assert_int_equal (coord->stats.writes_timed, 1);
    assert_true (coord->stats.write_seconds_last >= 0.019);
    assert_true (coord->stats.write_seconds_last < 5);
    assert_true (coord->stats.write_seconds_sum
                 == coord->stats.write_seconds_last);
    //  Once: the next commit needs its own send.
    ws_coord_metrics_write_done (coord);
    assert_int_equal (coord->stats.writes_timed, 1);
    free (coord);
}

//  The body of "METHOD path" on 127.0.0.1:port, the status line in
//  status. Caller frees.
static char *
s_get (unsigned port, const char *method, const char *path, char *status,
       size_t status_size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons ((uint16_t) port);
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (
        connect (fd, (struct sockaddr *) &address, sizeof address), 0);
    char request[256];
    int len = snprintf (
        request, sizeof request,
        "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", method, path);
    assert_int_equal (write (fd, request, (size_t) len), len);
    size_t size = 1 << 20, got = 0;
    char *reply = malloc (size);
    assert_non_null (reply);
    ssize_t n;
    while ((n = read (fd, reply + got, size - 1 - got)) > 0)
        got += (size_t) n;
    reply[got] = '\0';
    close (fd);
    size_t line = strcspn (reply, "\r");
    snprintf (status, status_size, "%.*s", (int) line, reply);
    char *body = strstr (reply, "\r\n\r\n");
    char *copy = strdup (body ? body + 4 : "");
    if (body)
        *body = '\0';  //  reply: the headers only
    //  Every 200 of /metrics has the text format's content type.
    if (strcmp (path, "/metrics") == 0 && strstr (status, " 200 "))
        assert_non_null (strstr (
            reply, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    free (reply);
    return copy;
}

static void
test_serve (void **state)
{
    (void) state;
    ws_err_t err;
    size_t entry_count;
    const ws_config_entry_t *entries = ws_coord_config_entries (&entry_count);
    ws_config_t *config = ws_config_new (entries, entry_count, &err);
    assert_non_null (config);
    ws_coord_t *coord = calloc (1, sizeof *coord);
    assert_non_null (coord);
    coord->loop = ws_loop_new ();
    coord->config = config;
    coord->started = 0;
    coord->sched = ws_sched_new (60000);
    coord->workers_by_id = ws_map_new (NULL);
    coord->jobs = ws_map_new (NULL);
    ws_coord_goals_init (coord);
    ws_coord_hooks_init (coord);
    coord->stats.samples_committed = 7;

    //  A malformed address is refused, naming the option.
    assert_int_equal (ws_config_set (config, "metrics", "nowhere", &err), 0);
    assert_int_equal (ws_coord_metrics_start (coord, &err), -1);
    assert_non_null (strstr (err.text, "config 'metrics': "));
    assert_null (ws_coord_metrics_url (coord));
    //  Off: nothing served.
    assert_int_equal (ws_config_set (config, "metrics", "off", &err), 0);
    assert_int_equal (ws_coord_metrics_start (coord, &err), 0);
    assert_null (ws_coord_metrics_url (coord));

    assert_int_equal (ws_config_set (config, "metrics", "127.0.0.1:0", &err),
                      0);
    assert_int_equal (ws_coord_metrics_start (coord, &err), 0);
    const char *url = ws_coord_metrics_url (coord);
    assert_non_null (url);
    unsigned port = 0;
    assert_int_equal (sscanf (url, "http://127.0.0.1:%u/metrics", &port), 1);
    assert_true (port > 0);

    char status[128];
    char *body = s_get (port, "GET", "/metrics", status, sizeof status);
    assert_string_equal (status, "HTTP/1.1 200 OK");
    assert_non_null (s_line (body, "watershed_samples_committed_total 7\n"));
    assert_non_null (s_line (body, "watershed_goals{status=\"on_track\"} 0\n"));
    free (body);

    //  The server serves what was published, not the live state: a
    //  change shows after the next publication, once a second.
    coord->stats.samples_committed = 8;
    ws_coord_metrics_publish (coord);
    body = s_get (port, "GET", "/metrics", status, sizeof status);
    assert_non_null (s_line (body, "watershed_samples_committed_total 7\n"));
    free (body);
    struct timespec pause = {1, 50 * 1000 * 1000};
    nanosleep (&pause, NULL);
    ws_coord_metrics_publish (coord);
    body = s_get (port, "GET", "/metrics", status, sizeof status);
    assert_non_null (s_line (body, "watershed_samples_committed_total 8\n"));
    free (body);

    body = s_get (port, "HEAD", "/metrics", status, sizeof status);
    assert_string_equal (status, "HTTP/1.1 200 OK");
    assert_string_equal (body, "");
    free (body);
    body = s_get (port, "GET", "/", status, sizeof status);
    assert_string_equal (status, "HTTP/1.1 404 Not Found");
    free (body);
    body = s_get (port, "POST", "/metrics", status, sizeof status);
    assert_string_equal (status, "HTTP/1.1 404 Not Found");
    free (body);

    //  A second server on the same port is refused, naming the address.
    ws_coord_t *second = calloc (1, sizeof *second);
    assert_non_null (second);
    second->config = config;
    char taken[64];
    snprintf (taken, sizeof taken, "127.0.0.1:%u", port);
    assert_int_equal (ws_config_set (config, "metrics", taken, &err), 0);
    assert_int_equal (ws_coord_metrics_start (second, &err), -1);
    assert_non_null (strstr (err.text, "config 'metrics': cannot listen on "));
    assert_non_null (strstr (err.text, taken));
    free (second);

    ws_coord_metrics_stop (coord);
    assert_null (ws_coord_metrics_url (coord));
    ws_coord_metrics_stop (coord);  //  again: nothing to do
    ws_coord_hooks_destroy (coord);
    ws_coord_goals_destroy (coord);
    ws_map_destroy (&coord->jobs);
    ws_map_destroy (&coord->workers_by_id);
    ws_sched_destroy (&coord->sched);
    ws_loop_destroy (&coord->loop);
    free (coord);
    ws_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_escape), cmocka_unit_test (test_set),
        cmocka_unit_test (test_format), cmocka_unit_test (test_address),
        cmocka_unit_test (test_health), cmocka_unit_test (test_write_timing),
        cmocka_unit_test (test_serve),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
