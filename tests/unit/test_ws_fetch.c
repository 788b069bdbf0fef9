//  test_ws_fetch - libcurl multi inside ws_loop against a real HTTP
//  server (libmicrohttpd in this process, 127.0.0.1, a free port): JSON,
//  errors and retries, Retry-After, the body cap (plain, chunked and
//  gzip), timeouts, redirects, ${NAME} headers, POST, 50 in parallel.
//  And ws_fetch_post, a webhook delivery's one POST: its headers and
//  body on the wire, no retry, no redirect, Retry-After in both forms,
//  the start of a long answer kept, the first line of an error's body.
//  Hostile servers: redirects to file: and gopher:, 1 GiB announced, a
//  body without end, one byte every 100 ms.
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
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "ws_fetch.h"

//  ---------------------------------------------------------------------
//  The HTTP server

static struct MHD_Daemon *s_daemon;
static int s_port;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_hits_flaky;  //  requests to /flaky429
static int s_hits_500;    //  requests to /500
static int s_hits_404;
static int s_hits_hook;  //  POSTs to /hook/...
static int s_open;       //  /parallel requests being answered now
static int s_max_open;   //  most at once

//  gzip of {"count": 7, "pad": "x...x"} (200 x): 45 bytes that decode
//  to 223.
static const unsigned char s_gzip[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xab, 0x56,
    0x4a, 0xce, 0x2f, 0xcd, 0x2b, 0x51, 0xb2, 0x52, 0x30, 0xd7, 0x51, 0x50,
    0x2a, 0x48, 0x4c, 0x01, 0xb2, 0x94, 0x2a, 0x86, 0x09, 0x50, 0xaa, 0x05,
    0x00, 0xcb, 0xa5, 0x46, 0xe1, 0xdf, 0x00, 0x00, 0x00};

static void
s_sleep_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    nanosleep (&ts, NULL);
}

static enum MHD_Result
s_reply (struct MHD_Connection *connection, unsigned int status,
         const char *body, const char *header, const char *value)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (body), (void *) body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header (response, "Content-Type", "application/json");
    if (header)
        MHD_add_response_header (response, header, value);
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_add_header (void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
    (void) kind;
    json_object_set_new ((json_t *) cls, key, json_string (value ? value : ""));
    return MHD_YES;
}

//  A chunked body of 4 x 1000 bytes: no Content-Length for curl to check.
static ssize_t
s_chunked (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    if (pos >= 4000)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t len = max < 1000 ? max : 1000;
    memset (buf, 'x', len);
    return (ssize_t) len;
}

//  A body that never ends, as fast as it is read (chunked).
static ssize_t
s_endless (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    (void) pos;
    memset (buf, '1', max);
    return (ssize_t) max;
}

//  1 GiB announced, made as it is read.
static ssize_t
s_huge (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    uint64_t left = (1ull << 30) - pos;
    size_t len = left < max ? (size_t) left : max;
    memset (buf, ' ', len);
    return (ssize_t) len;
}

//  Slow-loris: one byte every 100 ms, never the end (this connection's
//  own thread sleeps).
static ssize_t
s_drip (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    (void) max;
    if (pos)
        s_sleep_ms (100);
    buf[0] = pos ? ' ' : '{';
    return 1;
}

typedef struct {
    char data[4096];
    size_t len;
} s_upload_t;

//  An HTTP-date (RFC 9110 5.6.7) seconds from now.
static void
s_http_date (int64_t seconds, char *out, size_t size)
{
    time_t when = time (NULL) + (time_t) seconds;
    struct tm tm;
    gmtime_r (&when, &tm);
    strftime (out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

//  The webhook receiver: POST /hook/<what>.
static enum MHD_Result
s_hook (struct MHD_Connection *connection, const char *url,
        const s_upload_t *upload)
{
    pthread_mutex_lock (&s_lock);
    s_hits_hook++;
    pthread_mutex_unlock (&s_lock);
    const char *what = url + 6;
    char date[64];
    if (strcmp (what, "echo") == 0) {
        json_t *headers = json_object ();
        MHD_get_connection_values (connection, MHD_HEADER_KIND, s_add_header,
                                   headers);
        json_t *echo = json_pack ("{s:s#, s:o}", "body", upload->data,
                                  (int) upload->len, "headers", headers);
        char *text = json_dumps (echo, JSON_COMPACT);
        enum MHD_Result rc = s_reply (connection, 200, text, NULL, NULL);
        free (text);
        json_decref (echo);
        return rc;
    }
    if (strcmp (what, "204") == 0)
        return s_reply (connection, 204, "", NULL, NULL);
    if (strcmp (what, "429") == 0)
        return s_reply (connection, 429, "\n  slow down\nretry later",
                        "Retry-After", "30");
    if (strcmp (what, "503-date") == 0) {
        s_http_date (120, date, sizeof date);
        return s_reply (connection, 503, "busy", "Retry-After", date);
    }
    if (strcmp (what, "503-past") == 0) {
        s_http_date (-3600, date, sizeof date);
        return s_reply (connection, 503, "busy", "Retry-After", date);
    }
    if (strcmp (what, "503-bad") == 0)
        return s_reply (connection, 503, "busy", "Retry-After", "soon");
    if (strcmp (what, "302") == 0)
        return s_reply (connection, 302, "", "Location", "/hook/echo");
    if (strcmp (what, "big") == 0) {
        char big[10001];
        memset (big, 'y', 10000);
        big[10000] = '\0';
        return s_reply (connection, 200, big, NULL, NULL);
    }
    if (strcmp (what, "500") == 0) {
        char body[400];
        memset (body, 'e', 300);
        snprintf (body + 300, sizeof body - 300, "\nsecond line");
        return s_reply (connection, 500, body, NULL, NULL);
    }
    if (strcmp (what, "slow") == 0) {
        s_sleep_ms (1500);
        return s_reply (connection, 200, "late", NULL, NULL);
    }
    return s_reply (connection, 404, "no such hook", NULL, NULL);
}

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
        enum MHD_Result rc;
        if (strncmp (url, "/hook/", 6) == 0)
            rc = s_hook (connection, url, upload);
        else {
            json_t *echo = json_pack ("{s:s, s:s#}", "method", method, "body",
                                      upload->data, (int) upload->len);
            char *text = json_dumps (echo, JSON_COMPACT);
            rc = s_reply (connection, 200, text, NULL, NULL);
            free (text);
            json_decref (echo);
        }
        free (upload);
        *con_cls = NULL;
        return rc;
    }

    enum MHD_Result rc;
    if (strcmp (url, "/json") == 0 || strcmp (url, "/redirect/0") == 0)
        rc = s_reply (connection, 200, "{\"count\": 3}", NULL, NULL);
    else if (strcmp (url, "/parallel") == 0) {
        pthread_mutex_lock (&s_lock);
        if (++s_open > s_max_open)
            s_max_open = s_open;
        pthread_mutex_unlock (&s_lock);
        //  Hold each answer a little so transfers overlap.
        s_sleep_ms (20);
        rc = s_reply (connection, 200, "{\"count\": 1}", NULL, NULL);
        pthread_mutex_lock (&s_lock);
        s_open--;
        pthread_mutex_unlock (&s_lock);
    }
    else if (strcmp (url, "/500") == 0) {
        pthread_mutex_lock (&s_lock);
        s_hits_500++;
        pthread_mutex_unlock (&s_lock);
        rc = s_reply (connection, 500, "internal\n  error", NULL, NULL);
    }
    else if (strcmp (url, "/404") == 0) {
        pthread_mutex_lock (&s_lock);
        s_hits_404++;
        pthread_mutex_unlock (&s_lock);
        rc = s_reply (connection, 404, "", NULL, NULL);
    }
    else if (strcmp (url, "/flaky429") == 0) {
        pthread_mutex_lock (&s_lock);
        int hit = ++s_hits_flaky;
        pthread_mutex_unlock (&s_lock);
        if (hit == 1)
            rc = s_reply (connection, 429, "slow down", "Retry-After", "0");
        else
            rc = s_reply (connection, 200, "{\"count\": 5}", NULL, NULL);
    }
    else if (strcmp (url, "/busy") == 0)
        rc = s_reply (connection, 503, "busy", "Retry-After", "120");
    else if (strcmp (url, "/big") == 0) {
        char body[2001];
        memset (body, 'x', 2000);
        body[2000] = '\0';
        rc = s_reply (connection, 200, body, NULL, NULL);
    }
    else if (strcmp (url, "/chunked") == 0) {
        struct MHD_Response *response = MHD_create_response_from_callback (
            MHD_SIZE_UNKNOWN, 1000, s_chunked, NULL, NULL);
        rc = MHD_queue_response (connection, 200, response);
        MHD_destroy_response (response);
    }
    else if (strcmp (url, "/endless") == 0 || strcmp (url, "/huge") == 0
             || strcmp (url, "/drip") == 0) {
        struct MHD_Response *response =
            strcmp (url, "/endless") == 0 ? MHD_create_response_from_callback (
                MHD_SIZE_UNKNOWN, 16384, s_endless, NULL, NULL)
            : strcmp (url, "/huge") == 0
                ? MHD_create_response_from_callback (1ull << 30, 16384, s_huge,
                                                     NULL, NULL)
                : MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 16,
                                                     s_drip, NULL, NULL);
        rc = MHD_queue_response (connection, 200, response);
        MHD_destroy_response (response);
    }
    else if (strcmp (url, "/redirect-file") == 0)
        rc = s_reply (connection, 302, "", "Location", "file:///etc/passwd");
    else if (strcmp (url, "/redirect-gopher") == 0)
        rc = s_reply (connection, 302, "", "Location",
                      "gopher://127.0.0.1:70/1");
    else if (strcmp (url, "/gzip") == 0) {
        struct MHD_Response *response = MHD_create_response_from_buffer (
            sizeof s_gzip, (void *) s_gzip, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header (response, "Content-Encoding", "gzip");
        MHD_add_response_header (response, "Content-Type", "application/json");
        rc = MHD_queue_response (connection, 200, response);
        MHD_destroy_response (response);
    }
    else if (strcmp (url, "/slow") == 0) {
        s_sleep_ms (1500);
        rc = s_reply (connection, 200, "{\"count\": 1}", NULL, NULL);
    }
    else if (strncmp (url, "/redirect/", 10) == 0) {
        char next[64];
        snprintf (next, sizeof next, "/redirect/%d", atoi (url + 10) - 1);
        rc = s_reply (connection, 302, "", "Location", next);
    }
    else if (strcmp (url, "/headers") == 0) {
        json_t *headers = json_object ();
        MHD_get_connection_values (connection, MHD_HEADER_KIND, s_add_header,
                                   headers);
        char *text = json_dumps (headers, JSON_COMPACT);
        rc = s_reply (connection, 200, text, NULL, NULL);
        free (text);
        json_decref (headers);
    }
    else
        rc = s_reply (connection, 404, "{\"error\": \"no such path\"}", NULL,
                      NULL);
    return rc;
}

static int
s_server_start (void **state)
{
    (void) state;
    struct sockaddr_in address;
    memset (&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    //  A thread per connection: /slow sleeps without holding the others.
    s_daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
        NULL, NULL, s_handler, NULL, MHD_OPTION_SOCK_ADDR, &address,
        MHD_OPTION_END);
    if (!s_daemon)
        return -1;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (s_daemon, MHD_DAEMON_INFO_BIND_PORT);
    s_port = info ? info->port : 0;
    return s_port ? 0 : -1;
}

static int
s_server_stop (void **state)
{
    (void) state;
    MHD_stop_daemon (s_daemon);
    return 0;
}

//  ---------------------------------------------------------------------
//  Running fetches

typedef struct {
    ws_loop_t *loop;
    int done;
    int expected;
    //  The last outcome, copied out of the callback.
    bool ok;
    char kind[16];
    long status;
    char body[8192];
    size_t body_len;  //  bytes kept
    size_t bytes;
    int attempts;
    int64_t duration_ms;
    int64_t retry_after_ms;
    char error[256];
} s_outcome_t;

static void
s_on_done (const ws_fetch_result_t *result, const ws_err_t *err, void *arg)
{
    s_outcome_t *outcome = (s_outcome_t *) arg;
    outcome->done++;
    outcome->ok = err == NULL;
    snprintf (outcome->kind, sizeof outcome->kind, "%s",
              result->error_kind ? result->error_kind : "");
    assert_true ((err == NULL) == (result->error_kind == NULL));
    outcome->status = result->http_status;
    snprintf (outcome->body, sizeof outcome->body, "%s",
              result->body->data ? result->body->data : "");
    outcome->body_len = result->body->len;
    outcome->bytes = result->bytes;
    outcome->attempts = result->attempts;
    outcome->retry_after_ms = result->retry_after_ms;
    outcome->duration_ms = result->duration_ms;
    snprintf (outcome->error, sizeof outcome->error, "%s",
              err ? err->text : "");
    if (outcome->done >= outcome->expected)
        ws_loop_stop (outcome->loop);
}

static int
s_on_too_long (ws_loop_t *loop, void *arg)
{
    (void) loop;
    (void) arg;
    fail_msg ("fetches did not finish within 10 s");
    return -1;
}

static ws_source_t *
s_source (const char *path, const char *extra)
{
    char text[2048];
    snprintf (text, sizeof text,
              "{\"name\": \"t\", \"url\": \"http://127.0.0.1:%d%s\", %s"
              " \"metrics\": [{\"name\": \"m\", \"type\": \"gauge\","
              " \"json\": \"/count\"}]}",
              s_port, path, extra ? extra : "");
    json_error_t jerr;
    json_t *def = json_loads (text, 0, &jerr);
    assert_non_null (def);
    ws_err_t err;
    ws_source_t *source = ws_source_new (def, &err);
    if (!source)
        fail_msg ("%s", err.text);
    json_decref (def);
    return source;
}

//  Fetch one source to the end with the given fetcher config.
static void
s_fetch (const char *path, const char *extra, const ws_fetch_config_t *config,
         int64_t deadline, s_outcome_t *outcome)
{
    memset (outcome, 0, sizeof *outcome);
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_t *fetch = ws_fetch_new (loop, config, &err);
    assert_non_null (fetch);
    ws_source_t *source = s_source (path, extra);
    outcome->loop = loop;
    outcome->expected = 1;
    assert_int_equal (ws_fetch_start (fetch, source, ws_wall_ms (), deadline,
                                      s_on_done, outcome, &err),
                      0);
    //  The callback never runs inside ws_fetch_start.
    assert_int_equal (outcome->done, 0);
    assert_int_equal (ws_fetch_running (fetch), 1);
    int guard = ws_loop_timer (loop, 10000, false, s_on_too_long, NULL);
    ws_loop_run (loop);
    ws_loop_timer_end (loop, guard);
    assert_int_equal (outcome->done, 1);
    assert_int_equal (ws_fetch_running (fetch), 0);
    assert_int_equal (ws_fetch_active (fetch), 0);
    ws_fetch_destroy (&fetch);
    assert_null (fetch);
    ws_source_destroy (&source);
    ws_loop_destroy (&loop);
}

static const ws_fetch_config_t s_fast = {0, 0, 0, 20};

static void
test_json (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_fetch ("/json", NULL, NULL, 0, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.status, 200);
    assert_string_equal (outcome.body, "{\"count\": 3}");
    assert_int_equal (outcome.bytes, 12);
    assert_int_equal (outcome.attempts, 1);
    assert_true (outcome.duration_ms >= 0 && outcome.duration_ms < 5000);
}

static void
test_http_500_retried (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_hits_500 = 0;
    s_fetch ("/500", "\"retries\": 2,", &s_fast, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "http");
    assert_int_equal (outcome.status, 500);
    assert_int_equal (outcome.attempts, 3);
    assert_int_equal (s_hits_500, 3);
    assert_string_equal (outcome.error,
                         "HTTP 500: internal error (after 3 attempts)");
    //  Backoff 20 ms, then 40 ms.
    assert_true (outcome.duration_ms >= 60);

    s_hits_500 = 0;
    s_fetch ("/500", "\"retries\": 0,", &s_fast, 0, &outcome);
    assert_int_equal (outcome.attempts, 1);
    assert_int_equal (s_hits_500, 1);
    assert_string_equal (outcome.error, "HTTP 500: internal error");
}

static void
test_http_404_not_retried (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_hits_404 = 0;
    s_fetch ("/404", "\"retries\": 3,", &s_fast, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "http");
    assert_int_equal (outcome.status, 404);
    assert_int_equal (outcome.attempts, 1);
    assert_int_equal (s_hits_404, 1);
    assert_string_equal (outcome.error, "HTTP 404");
}

static void
test_retry_after (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_hits_flaky = 0;
    //  Retry-After: 0 is honoured at once, not after the 5 s base.
    ws_fetch_config_t config = {0, 0, 0, 5000};
    s_fetch ("/flaky429", NULL, &config, 0, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.status, 200);
    assert_int_equal (outcome.attempts, 2);
    assert_string_equal (outcome.body, "{\"count\": 5}");
    assert_true (outcome.duration_ms < 4000);

    //  Retry-After: 120 does not fit before a deadline 2 s away: no retry.
    s_fetch ("/busy", NULL, &s_fast, ws_wall_ms () + 2000, &outcome);
    assert_false (outcome.ok);
    assert_int_equal (outcome.status, 503);
    assert_int_equal (outcome.attempts, 1);
    assert_string_equal (outcome.error, "HTTP 503: busy");
}

static void
test_body_cap (void **state)
{
    (void) state;
    s_outcome_t outcome;
    ws_fetch_config_t config = {0, 1024, 0, 20};
    //  Content-Length over the cap.
    s_fetch ("/big", NULL, &config, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "size");
    assert_string_equal (outcome.error, "body over the 1 KiB cap");
    assert_int_equal (outcome.attempts, 1);
    //  Chunked: no length announced, the write callback stops it.
    s_fetch ("/chunked", NULL, &config, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "size");
    assert_string_equal (outcome.error, "body over the 1 KiB cap");
    //  Under the cap.
    config.body_cap = 4000;
    s_fetch ("/chunked", NULL, &config, 0, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.bytes, 4000);
    //  The default cap is 8 MiB.
    s_fetch ("/big", NULL, NULL, 0, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.bytes, 2000);
}

static void
test_gzip (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_fetch ("/gzip", NULL, NULL, 0, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.bytes, 223);
    assert_non_null (strstr (outcome.body, "{\"count\": 7,"));
    //  45 bytes on the wire but 223 decoded: the cap counts decoded bytes.
    ws_fetch_config_t config = {0, 100, 0, 20};
    s_fetch ("/gzip", NULL, &config, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "size");
    assert_string_equal (outcome.error, "body over the 100 bytes cap");
}

static void
test_timeout (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_fetch ("/slow", "\"timeout\": \"300ms\", \"retries\": 0,", &s_fast, 0,
             &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "timeout");
    assert_int_equal (outcome.attempts, 1);
    assert_non_null (strstr (outcome.error, "timed out"));
    assert_true (outcome.duration_ms >= 250 && outcome.duration_ms < 1400);
}

static void
test_net_error (void **state)
{
    (void) state;
    s_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    //  Port 1 on loopback: connection refused, retried once.
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_t *fetch = ws_fetch_new (loop, &s_fast, &err);
    json_t *def =
        json_pack ("{s:s, s:s, s:i, s:[{s:s, s:s, s:s}]}", "name", "t", "url",
                   "http://127.0.0.1:1/x", "retries", 1, "metrics", "name", "m",
                   "type", "gauge", "json", "/x");
    ws_source_t *source = ws_source_new (def, &err);
    assert_non_null (source);
    outcome.loop = loop;
    outcome.expected = 1;
    assert_int_equal (ws_fetch_start (fetch, source, ws_wall_ms (), 0,
                                      s_on_done, &outcome, &err),
                      0);
    ws_loop_run (loop);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "net");
    assert_int_equal (outcome.status, 0);
    assert_int_equal (outcome.attempts, 2);
    assert_non_null (strstr (outcome.error, "(after 2 attempts)"));
    ws_fetch_destroy (&fetch);
    ws_source_destroy (&source);
    json_decref (def);
    ws_loop_destroy (&loop);
}

static void
test_redirects (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_fetch ("/redirect/5", NULL, NULL, 0, &outcome);
    assert_true (outcome.ok);
    assert_string_equal (outcome.body, "{\"count\": 3}");
    s_fetch ("/redirect/6", NULL, &s_fast, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "http");
    assert_int_equal (outcome.attempts, 1);
    assert_string_equal (outcome.error, "more than 5 redirects (HTTP 302)");
}

//  Hostile servers: each is an error of its kind, found quickly, with
//  the body never read past the cap.
static void
test_hostile (void **state)
{
    (void) state;
    s_outcome_t outcome;
    //  A redirect to another scheme is refused, not followed, not retried.
    s_fetch ("/redirect-file", "\"retries\": 2,", &s_fast, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "http");
    assert_int_equal (outcome.status, 302);
    assert_int_equal (outcome.attempts, 1);
    assert_string_equal (outcome.error,
                         "redirect to 'file:///etc/passwd' refused (HTTP 302): "
                         "only http and https are followed");
    s_fetch ("/redirect-gopher", NULL, &s_fast, 0, &outcome);
    assert_string_equal (outcome.kind, "http");
    assert_string_equal (outcome.error,
                         "redirect to 'gopher://127.0.0.1:70/1' refused (HTTP "
                         "302): only http and https are followed");
    //  1 GiB announced: refused on its Content-Length, before the body.
    s_fetch ("/huge", NULL, &s_fast, 0, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "size");
    assert_string_equal (outcome.error, "body over the 8 MiB cap");
    assert_int_equal (outcome.attempts, 1);
    assert_true (outcome.bytes == 0);
    assert_true (outcome.duration_ms < 2000);
    //  A chunked body without end stops at the cap.
    s_fetch ("/endless", NULL, &s_fast, 0, &outcome);
    assert_string_equal (outcome.kind, "size");
    assert_string_equal (outcome.error, "body over the 8 MiB cap");
    assert_int_equal (outcome.attempts, 1);
    //  Slow-loris: bytes keep coming, the source's timeout still ends it.
    s_fetch ("/drip", "\"timeout\": \"500ms\", \"retries\": 0,", &s_fast, 0,
             &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "timeout");
    assert_non_null (strstr (outcome.error, "timed out after"));
    assert_true (outcome.duration_ms >= 450 && outcome.duration_ms < 1500);
}

static void
test_headers (void **state)
{
    (void) state;
    setenv ("WS_TEST_TOKEN", "s3cret", 1);
    setenv ("WS_TEST_EMPTY", "", 1);
    s_outcome_t outcome;
    s_fetch ("/headers",
             "\"headers\": {\"Authorization\": \"Bearer ${WS_TEST_TOKEN}\","
             " \"X-Mix\": \"a${WS_TEST_TOKEN}b${WS_TEST_TOKEN}\","
             " \"X-Empty\": \"${WS_TEST_EMPTY}\", \"X-Plain\": \"$x {y}\"},",
             NULL, 0, &outcome);
    assert_true (outcome.ok);
    json_error_t jerr;
    json_t *echo = json_loads (outcome.body, 0, &jerr);
    assert_non_null (echo);
    assert_string_equal (
        json_string_value (json_object_get (echo, "Authorization")),
        "Bearer s3cret");
    assert_string_equal (json_string_value (json_object_get (echo, "X-Mix")),
                         "as3cretbs3cret");
    assert_string_equal (json_string_value (json_object_get (echo, "X-Empty")),
                         "");
    assert_string_equal (json_string_value (json_object_get (echo, "X-Plain")),
                         "$x {y}");
    assert_string_equal (
        json_string_value (json_object_get (echo, "User-Agent")),
        "watershed/0.1");
    assert_non_null (strstr (
        json_string_value (json_object_get (echo, "Accept-Encoding")), "gzip"));
    json_decref (echo);

    //  A variable missing from the environment: named, and no fetch.
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_t *fetch = ws_fetch_new (loop, NULL, &err);
    ws_source_t *source = s_source (
        "/headers", "\"headers\": {\"X-Key\": \"${WS_TEST_MISSING_VAR}\","
                    " \"Authorization\": \"${WS_TEST_TOKEN}\"},");
    unsetenv ("WS_TEST_MISSING_VAR");
    memset (&outcome, 0, sizeof outcome);
    assert_int_equal (ws_fetch_start (fetch, source, ws_wall_ms (), 0,
                                      s_on_done, &outcome, &err),
                      -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text,
                         "header 'X-Key': environment variable "
                         "WS_TEST_MISSING_VAR is not set on this worker");
    assert_int_equal (ws_fetch_running (fetch), 0);
    ws_source_destroy (&source);

    //  A value with a line break would inject a header.
    setenv ("WS_TEST_TOKEN", "a\r\nX-Evil: 1", 1);
    source = s_source (
        "/headers", "\"headers\": {\"Authorization\": \"${WS_TEST_TOKEN}\"},");
    assert_int_equal (ws_fetch_start (fetch, source, ws_wall_ms (), 0,
                                      s_on_done, &outcome, &err),
                      -1);
    assert_non_null (strstr (err.text, "WS_TEST_TOKEN holds a line break"));
    assert_null (strstr (err.text, "Evil"));
    assert_int_equal (outcome.done, 0);
    ws_source_destroy (&source);
    ws_fetch_destroy (&fetch);
    ws_loop_destroy (&loop);
}

static void
test_post (void **state)
{
    (void) state;
    s_outcome_t outcome;
    s_fetch ("/post",
             "\"method\": \"POST\", \"body\": \"{\\\"q\\\": \\\"signups\\\"}\","
             " \"headers\": {\"Content-Type\": \"application/json\"},",
             NULL, 0, &outcome);
    assert_true (outcome.ok);
    assert_string_equal (outcome.body,
                         "{\"method\":\"POST\",\"body\":\"{\\\"q\\\": "
                         "\\\"signups\\\"}\"}");
}

//  A pooled handle is not reset between transfers: a GET after a POST
//  on the same handle is a GET, without the POST's headers.
static void
test_handle_reuse (void **state)
{
    (void) state;
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_config_t config = {1, 0, 0, 0};
    ws_fetch_t *fetch = ws_fetch_new (loop, &config, &err);
    ws_source_t *post =
        s_source ("/post", "\"method\": \"POST\", \"body\": \"{}\","
                           " \"headers\": {\"X-Only-Post\": \"1\"},");
    ws_source_t *get = s_source ("/headers", NULL);
    ws_source_t *sources[] = {post, get, post, get};
    for (int i = 0; i < 4; i++) {
        s_outcome_t outcome;
        memset (&outcome, 0, sizeof outcome);
        outcome.loop = loop;
        outcome.expected = 1;
        assert_int_equal (ws_fetch_start (fetch, sources[i], ws_wall_ms (), 0,
                                          s_on_done, &outcome, &err),
                          0);
        ws_loop_run (loop);
        assert_true (outcome.ok);
        if (sources[i] == post)
            assert_string_equal (outcome.body,
                                 "{\"method\":\"POST\",\"body\":\"{}\"}");
        else {
            assert_null (strstr (outcome.body, "POST"));
            assert_null (strstr (outcome.body, "X-Only-Post"));
            assert_non_null (strstr (outcome.body, "User-Agent"));
        }
    }
    ws_source_destroy (&post);
    ws_source_destroy (&get);
    ws_fetch_destroy (&fetch);
    ws_loop_destroy (&loop);
}

//  50 fetches through 8 slots: all complete, never more than 8 at once,
//  and connections are reused.
static void
test_parallel (void **state)
{
    (void) state;
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_config_t config = {8, 0, 0, 0};
    ws_fetch_t *fetch = ws_fetch_new (loop, &config, &err);
    ws_source_t *source = s_source ("/parallel", NULL);
    s_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    outcome.loop = loop;
    outcome.expected = 50;
    s_max_open = 0;
    for (int i = 0; i < 50; i++)
        assert_int_equal (ws_fetch_start (fetch, source, ws_wall_ms (), 0,
                                          s_on_done, &outcome, &err),
                          0);
    assert_int_equal (ws_fetch_running (fetch), 50);
    assert_true (ws_fetch_active (fetch) <= 8);
    int guard = ws_loop_timer (loop, 10000, false, s_on_too_long, NULL);
    ws_loop_run (loop);
    ws_loop_timer_end (loop, guard);
    assert_int_equal (outcome.done, 50);
    assert_true (outcome.ok);
    assert_int_equal (ws_fetch_running (fetch), 0);
    //  The server saw at most 8 at once, and more than 1.
    assert_true (s_max_open <= 8);
    assert_true (s_max_open > 1);

    //  Destroy with transfers in flight: no callback, no leak.
    outcome.expected = 1000;
    int before = outcome.done;
    for (int i = 0; i < 20; i++)
        ws_fetch_start (fetch, source, ws_wall_ms (), 0, s_on_done, &outcome,
                        &err);
    ws_fetch_destroy (&fetch);
    assert_int_equal (outcome.done, before);
    ws_source_destroy (&source);
    ws_loop_destroy (&loop);
}

//  ---------------------------------------------------------------------
//  Posts (webhook deliveries)

//  POST body to path with headers (borrowed; NULL for none), to the end.
static void
s_post (const char *path, json_t *headers, const char *body, int64_t timeout_ms,
        s_outcome_t *outcome)
{
    memset (outcome, 0, sizeof *outcome);
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_t *fetch = ws_fetch_new (loop, &s_fast, &err);
    assert_non_null (fetch);
    char url[256];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", s_port, path);
    ws_fetch_request_t request = {url, headers, body, body ? strlen (body) : 0,
                                  timeout_ms};
    outcome->loop = loop;
    outcome->expected = 1;
    assert_int_equal (ws_fetch_post (fetch, &request, s_on_done, outcome, &err),
                      0);
    assert_int_equal (outcome->done, 0);
    assert_int_equal (ws_fetch_running (fetch), 1);
    int guard = ws_loop_timer (loop, 10000, false, s_on_too_long, NULL);
    ws_loop_run (loop);
    ws_loop_timer_end (loop, guard);
    assert_int_equal (outcome->done, 1);
    assert_int_equal (ws_fetch_running (fetch), 0);
    ws_fetch_destroy (&fetch);
    ws_loop_destroy (&loop);
}

//  The request on the wire: POST, the body as given, the caller's
//  headers with ${NAME} from the environment, no "Expect: 100-continue"
//  even for a body over 1 KiB.
static void
test_post_request (void **state)
{
    (void) state;
    setenv ("WS_TEST_HOOK_TOKEN", "h00k", 1);
    json_t *headers = json_pack (
        "{s:s, s:s, s:s, s:s}", "Content-Type", "application/json",
        "Idempotency-Key", "delivery-12", "X-Watershed-Signature", "sha256=abc",
        "Authorization", "Bearer ${WS_TEST_HOOK_TOKEN}");
    s_outcome_t outcome;
    s_post ("/hook/echo", headers, "{\"alert\":\"slip\"}", 5000, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.status, 200);
    assert_int_equal (outcome.attempts, 1);
    assert_int_equal (outcome.retry_after_ms, -1);
    json_error_t jerr;
    json_t *echo = json_loads (outcome.body, 0, &jerr);
    assert_non_null (echo);
    assert_string_equal (json_string_value (json_object_get (echo, "body")),
                         "{\"alert\":\"slip\"}");
    json_t *seen = json_object_get (echo, "headers");
    assert_string_equal (
        json_string_value (json_object_get (seen, "Content-Type")),
        "application/json");
    assert_string_equal (
        json_string_value (json_object_get (seen, "Idempotency-Key")),
        "delivery-12");
    assert_string_equal (
        json_string_value (json_object_get (seen, "X-Watershed-Signature")),
        "sha256=abc");
    assert_string_equal (
        json_string_value (json_object_get (seen, "Authorization")),
        "Bearer h00k");
    assert_string_equal (
        json_string_value (json_object_get (seen, "User-Agent")),
        "watershed/0.1");
    assert_null (json_object_get (seen, "Expect"));
    json_decref (echo);

    //  A body of 2,000 bytes, no headers at all, an empty body.
    char body[2001];
    memset (body, 'b', 2000);
    body[2000] = '\0';
    s_post ("/hook/echo", NULL, body, 5000, &outcome);
    assert_true (outcome.ok);
    echo = json_loads (outcome.body, 0, &jerr);
    assert_non_null (echo);
    assert_int_equal (json_string_length (json_object_get (echo, "body")),
                      2000);
    assert_null (json_object_get (json_object_get (echo, "headers"), "Expect"));
    json_decref (echo);
    s_post ("/hook/echo", NULL, NULL, 5000, &outcome);
    assert_true (outcome.ok);
    assert_non_null (strstr (outcome.body, "\"body\":\"\""));
    s_post ("/hook/204", NULL, "{}", 5000, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.status, 204);
    assert_int_equal (outcome.bytes, 0);

    //  A ${NAME} missing on this worker: named with its header, nothing
    //  sent, no callback.
    unsetenv ("WS_TEST_HOOK_MISSING");
    json_object_set_new (headers, "X-Key",
                         json_string ("k=${WS_TEST_HOOK_MISSING}"));
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_t *fetch = ws_fetch_new (loop, NULL, &err);
    char url[256];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/hook/echo", s_port);
    ws_fetch_request_t request = {url, headers, "{}", 2, 5000};
    pthread_mutex_lock (&s_lock);
    s_hits_hook = 0;
    pthread_mutex_unlock (&s_lock);
    memset (&outcome, 0, sizeof outcome);
    assert_int_equal (
        ws_fetch_post (fetch, &request, s_on_done, &outcome, &err), -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text,
                         "header 'X-Key': environment variable "
                         "WS_TEST_HOOK_MISSING is not set on this worker");
    assert_null (strstr (err.text, "h00k"));
    assert_int_equal (ws_fetch_running (fetch), 0);
    //  A header value with a line break is refused as well.
    json_object_del (headers, "X-Key");
    json_object_set_new (headers, "X-Evil", json_string ("a\r\nX-B: 1"));
    assert_int_equal (
        ws_fetch_post (fetch, &request, s_on_done, &outcome, &err), -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_non_null (strstr (err.text, "header 'X-Evil'"));
    assert_int_equal (outcome.done, 0);
    assert_int_equal (s_hits_hook, 0);
    ws_fetch_destroy (&fetch);
    ws_loop_destroy (&loop);
    json_decref (headers);
}

//  Failures: tried once (the coordinator retries), with the status, the
//  first line of the body and the Retry-After the receiver gave.
static void
test_post_failures (void **state)
{
    (void) state;
    s_outcome_t outcome;
    pthread_mutex_lock (&s_lock);
    s_hits_hook = 0;
    pthread_mutex_unlock (&s_lock);
    s_post ("/hook/429", NULL, "{}", 5000, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "http");
    assert_int_equal (outcome.status, 429);
    assert_int_equal (outcome.attempts, 1);
    assert_int_equal (s_hits_hook, 1);
    assert_int_equal (outcome.retry_after_ms, 30000);
    assert_string_equal (outcome.error, "HTTP 429: slow down");
    assert_string_equal (outcome.body, "\n  slow down\nretry later");

    //  Retry-After as an HTTP-date: two minutes ahead, an hour past, or
    //  neither form.
    s_post ("/hook/503-date", NULL, "{}", 5000, &outcome);
    assert_int_equal (outcome.status, 503);
    assert_int_equal (outcome.attempts, 1);
    assert_true (outcome.retry_after_ms > 110000
                 && outcome.retry_after_ms <= 121000);
    s_post ("/hook/503-past", NULL, "{}", 5000, &outcome);
    assert_int_equal (outcome.retry_after_ms, 0);
    s_post ("/hook/503-bad", NULL, "{}", 5000, &outcome);
    assert_int_equal (outcome.retry_after_ms, -1);
    assert_string_equal (outcome.error, "HTTP 503: busy");

    //  The first line of the body, at most 200 characters.
    s_post ("/hook/500", NULL, "{}", 5000, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "http");
    assert_int_equal (outcome.attempts, 1);
    assert_int_equal (strlen (outcome.error), strlen ("HTTP 500: ") + 200);
    assert_null (strstr (outcome.error, "second"));

    //  A redirect is the answer, not followed.
    pthread_mutex_lock (&s_lock);
    s_hits_hook = 0;
    pthread_mutex_unlock (&s_lock);
    s_post ("/hook/302", NULL, "{}", 5000, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "http");
    assert_int_equal (outcome.status, 302);
    assert_string_equal (outcome.error,
                         "HTTP 302 (redirects are not followed)");
    assert_int_equal (s_hits_hook, 1);

    //  A long answer is no error: its start is kept, all of it counted.
    s_post ("/hook/big", NULL, "{}", 5000, &outcome);
    assert_true (outcome.ok);
    assert_int_equal (outcome.body_len, WS_FETCH_POST_KEEP);
    assert_int_equal (outcome.bytes, 10000);

    //  The request's timeout, then a port nobody listens on: once each.
    s_post ("/hook/slow", NULL, "{}", 300, &outcome);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "timeout");
    assert_int_equal (outcome.attempts, 1);
    assert_int_equal (outcome.status, 0);
    assert_true (outcome.duration_ms >= 250 && outcome.duration_ms < 1400);

    memset (&outcome, 0, sizeof outcome);
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_t *fetch = ws_fetch_new (loop, &s_fast, &err);
    ws_fetch_request_t request = {"http://127.0.0.1:1/hook", NULL, "{}", 2,
                                  5000};
    outcome.loop = loop;
    outcome.expected = 1;
    assert_int_equal (
        ws_fetch_post (fetch, &request, s_on_done, &outcome, &err), 0);
    ws_loop_run (loop);
    assert_false (outcome.ok);
    assert_string_equal (outcome.kind, "net");
    assert_int_equal (outcome.attempts, 1);
    assert_int_equal (outcome.status, 0);
    assert_int_equal (outcome.retry_after_ms, -1);
    ws_fetch_destroy (&fetch);
    ws_loop_destroy (&loop);
}

//  Posts and sources share pooled handles: a source after a post still
//  follows redirects and keeps its cap; a post after a source does not
//  follow and keeps only the start of a body bigger than that cap.
static void
test_post_handle_reuse (void **state)
{
    (void) state;
    ws_loop_t *loop = ws_loop_new ();
    ws_err_t err;
    ws_fetch_config_t config = {1, 1024, 0, 20};
    ws_fetch_t *fetch = ws_fetch_new (loop, &config, &err);
    ws_source_t *redirected = s_source ("/redirect/2", NULL);
    ws_source_t *big = s_source ("/big", NULL);
    char url[256];
    for (int round = 0; round < 2; round++) {
        s_outcome_t outcome;
        memset (&outcome, 0, sizeof outcome);
        outcome.loop = loop;
        outcome.expected = 1;
        snprintf (url, sizeof url, "http://127.0.0.1:%d/hook/302", s_port);
        ws_fetch_request_t request = {url, NULL, "{}", 2, 5000};
        assert_int_equal (
            ws_fetch_post (fetch, &request, s_on_done, &outcome, &err), 0);
        ws_loop_run (loop);
        assert_int_equal (outcome.status, 302);

        memset (&outcome, 0, sizeof outcome);
        outcome.loop = loop;
        outcome.expected = 1;
        assert_int_equal (ws_fetch_start (fetch, redirected, ws_wall_ms (), 0,
                                          s_on_done, &outcome, &err),
                          0);
        ws_loop_run (loop);
        assert_true (outcome.ok);
        assert_string_equal (outcome.body, "{\"count\": 3}");

        memset (&outcome, 0, sizeof outcome);
        outcome.loop = loop;
        outcome.expected = 1;
        assert_int_equal (ws_fetch_start (fetch, big, ws_wall_ms (), 0,
                                          s_on_done, &outcome, &err),
                          0);
        ws_loop_run (loop);
        assert_string_equal (outcome.kind, "size");

        memset (&outcome, 0, sizeof outcome);
        outcome.loop = loop;
        outcome.expected = 1;
        snprintf (url, sizeof url, "http://127.0.0.1:%d/hook/big", s_port);
        request.url = url;
        assert_int_equal (
            ws_fetch_post (fetch, &request, s_on_done, &outcome, &err), 0);
        ws_loop_run (loop);
        assert_true (outcome.ok);
        assert_int_equal (outcome.body_len, WS_FETCH_POST_KEEP);
        assert_int_equal (outcome.bytes, 10000);
    }
    //  Destroyed with a post in flight: no callback, no leak.
    s_outcome_t outcome;
    memset (&outcome, 0, sizeof outcome);
    snprintf (url, sizeof url, "http://127.0.0.1:%d/hook/slow", s_port);
    ws_fetch_request_t request = {url, NULL, "{}", 2, 5000};
    assert_int_equal (
        ws_fetch_post (fetch, &request, s_on_done, &outcome, &err), 0);
    ws_fetch_destroy (&fetch);
    assert_int_equal (outcome.done, 0);
    ws_source_destroy (&redirected);
    ws_source_destroy (&big);
    ws_loop_destroy (&loop);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_json),
        cmocka_unit_test (test_http_500_retried),
        cmocka_unit_test (test_http_404_not_retried),
        cmocka_unit_test (test_retry_after),
        cmocka_unit_test (test_body_cap),
        cmocka_unit_test (test_gzip),
        cmocka_unit_test (test_timeout),
        cmocka_unit_test (test_net_error),
        cmocka_unit_test (test_redirects),
        cmocka_unit_test (test_hostile),
        cmocka_unit_test (test_headers),
        cmocka_unit_test (test_post),
        cmocka_unit_test (test_handle_reuse),
        cmocka_unit_test (test_parallel),
        cmocka_unit_test (test_post_request),
        cmocka_unit_test (test_post_failures),
        cmocka_unit_test (test_post_handle_reuse),
    };
    return cmocka_run_group_tests (tests, s_server_start, s_server_stop);
}
