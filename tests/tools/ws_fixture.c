//  ws_fixture - the local HTTP server that end-to-end tests and benches
//  fetch from. It answers small JSON documents fast (a bench reads about
//  10,000 a second over keep-alive connections on two cores) and, on
//  request, every kind of bad reply a worker must survive: truncated
//  JSON, a string where a number belongs, HTTP errors, a 9 MiB body, a
//  slow answer, a source that fails N times before it works.
//
//  Endpoints (GET or HEAD; POST and PUT are accepted too, body ignored
//  but for /echo):
//      /s/<id>              {"id","sales","signups","visits","regions"}
//      /flaky/<id>?fail=N   503 + Retry-After: 0 for the first N requests
//                           of that id (default 1), then as /s/<id>
//      /bad/json            200, truncated JSON
//      /bad/notnumber       200, "sales" is a string
//      /bad/500             500 {"error":"boom"}
//      /bad/big             200, a 9 MiB document with "sales":1
//      /bad/slow?ms=N       200 after N ms (default 5000, most 600000)
//      /status/<code>       that status (200..599) with {"status":code}
//      /echo-headers        the request headers as one JSON object
//      /echo                {"method","path","query","headers","body"}
//      /stats               {"requests":n,"by_path":{"/s":n,...}}
//      /doc/<file>          with --docs DIR: the file DIR/<file> (a name
//                           of [A-Za-z0-9._-]), its Content-Type by the
//                           extension (.html .xml .rss .atom .csv .prom
//                           .json .txt): the pages and exports that the
//                           extractors of issue 8 read
//
//  Hostile answers (tests/e2e/t1130-hostile-sources.sh): each must end
//  as an error on its source and harm nothing else.
//      /hostile/loris           200, "{" then one space a second, forever
//      /hostile/endless         200, a chunked body that never ends
//      /hostile/tags            200, text/html, 100 MB of "<div>", chunked
//      /hostile/huge            200, Content-Length 1 GiB (sent only as
//                               fast as it is read)
//      /hostile/gzip-bomb       200, gzip: about 420 KB that decode to
//                               64 MiB ({"sales":1,"pad":"000...0"})
//      /hostile/utf8            200, a string with the bytes FF FE
//      /hostile/deep            200, arrays nested 100,000 deep
//      /hostile/overflow        200, {"sales":1e999,...}
//      /hostile/negzero         200, {"sales":-0,"signups":-0.0,
//                               "visits":0}: a fine 0, no error
//      /hostile/nan             200, {"sales":NaN,...} (not JSON)
//      /hostile/nan-string      200, {"sales":"NaN",...}
//      /hostile/redirect-loop   302 to itself
//      /hostile/redirect-file   302 to file:///etc/passwd
//      /hostile/redirect-gopher 302 to gopher://127.0.0.1:70/1
//      /hostile/429             429, Retry-After: 30
//      /hostile/html-200        200, text/html page
//      /hostile/html-500        500, text/html error page
//      /hostile/empty           200, application/json, no body
//
//  Modes. --mode fast (default): MHD's epoll thread pool. A slow request
//  is suspended (MHD_suspend_connection) and a timer thread resumes it at
//  its deadline, so it holds no thread and other requests on the same
//  pool thread go on. --mode threads: one thread per connection; a slow
//  request sleeps in its own thread. Both stop at once on SIGTERM, slow
//  requests included.
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "ws_buf.h"
#include "ws_httpd.h"
#include "ws_log.h"

#define S_BIG_SIZE (9u * 1024 * 1024)
#define S_SLOW_DEFAULT_MS 5000
#define S_SLOW_MAX_MS 600000
#define S_ID_MAX 128
#define S_BODY_MAX (1024 * 1024)
#define S_FLAKY_BUCKETS 4096
#define S_FLAKY_MAX_IDS 1000000
#define S_HUGE_SIZE (1024ull * 1024 * 1024)
#define S_DEEP_LEVELS 100000
//  The gzip bomb: "0" then S_BOMB_RUNS runs of 258 more, as deflate
//  length/distance pairs of 13 bits each.
#define S_BOMB_RUNS 260000
#define S_LORIS_STEP_MS 1000

//  Endpoint families counted by /stats (not per id, so the table stays
//  small however many ids a bench uses).
typedef enum {
    FAMILY_S = 0,
    FAMILY_FLAKY,
    FAMILY_BAD_JSON,
    FAMILY_BAD_NOTNUMBER,
    FAMILY_BAD_500,
    FAMILY_BAD_BIG,
    FAMILY_BAD_SLOW,
    FAMILY_STATUS,
    FAMILY_ECHO_HEADERS,
    FAMILY_ECHO,
    FAMILY_STATS,
    FAMILY_HOSTILE,
    FAMILY_DOC,
    FAMILY_OTHER,
    FAMILY_COUNT
} family_t;

static const char *s_family_names[FAMILY_COUNT] = {
    "/s",       "/flaky",    "/bad/json", "/bad/notnumber", "/bad/500",
    "/bad/big", "/bad/slow", "/status",   "/echo-headers",  "/echo",
    "/stats",   "/hostile",  "/doc",      "other"};

typedef enum {
    REQ_BODY = 0,  //  reading a request body
    REQ_READY,     //  body read, not yet answered
    REQ_WAITING,   //  slow: suspended until its deadline
    REQ_DONE       //  slow: deadline passed (or shutting down)
} req_state_t;

//  Per-request state, only for requests that need it (a body, or a slow
//  answer): the fast path allocates nothing.
typedef struct _req_t req_t;
struct _req_t {
    req_state_t state;                  //  guarded by the sleeper lock
                                        //  while on the pending list
    int64_t deadline_ms;                //  monotonic clock
    struct MHD_Connection *connection;  //  borrowed from MHD
    ws_buf_t body;                      //  owns
    bool body_too_big;
    req_t *next;  //  pending list link
};

//  Slow requests waiting for their deadline.
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;  //  on the monotonic clock
    req_t *pending;       //  borrowed; each freed by s_on_completed
    bool stopping;
    bool started;
    pthread_t thread;
} sleeper_t;

//  Per-id request counts for /flaky.
typedef struct _flaky_t flaky_t;
struct _flaky_t {
    char *id;  //  owns
    uint64_t count;
    flaky_t *next;
};

typedef struct {
    bool threads_mode;
    const char *docs;  //  --docs DIR, NULL if none
    sleeper_t sleeper;
    atomic_uint_fast64_t total;
    atomic_uint_fast64_t by_family[FAMILY_COUNT];
    atomic_uint_fast64_t s_counter;  //  makes /s values vary
    pthread_mutex_t flaky_lock;
    flaky_t *flaky[S_FLAKY_BUCKETS];  //  owns each chain
    size_t flaky_ids;
    //  Constant answers, built once, shared by all connections (MHD
    //  counts references on a response).
    struct MHD_Response *bad_json;
    struct MHD_Response *bad_notnumber;
    struct MHD_Response *bad_500;
    struct MHD_Response *bad_big;
    struct MHD_Response *slow_body;
    char *big;  //  owns the 9 MiB body
    //  Hostile constant answers (see the list above).
    struct MHD_Response *hostile_utf8;
    struct MHD_Response *hostile_deep;
    struct MHD_Response *hostile_overflow;
    struct MHD_Response *hostile_negzero;
    struct MHD_Response *hostile_nan;
    struct MHD_Response *hostile_nan_string;
    struct MHD_Response *hostile_html_200;
    struct MHD_Response *hostile_html_500;
    struct MHD_Response *hostile_empty;
    char *deep;  //  owns the nested arrays
    //  The gzip bomb, built at its first request (its CRC-32 runs over
    //  64 MiB: not at every start of the fixture).
    pthread_once_t bomb_once;
    unsigned char *bomb;  //  owns; NULL if out of memory
    size_t bomb_len;
} fixture_t;

//  A /hostile/loris answer in progress: the response's reader state,
//  freed with the response. In fast mode it waits for its next byte on
//  the sleeper's list, as a slow request does.
typedef struct {
    fixture_t *fixture;  //  borrowed
    req_t wait;          //  on the sleeper's list between bytes
    int64_t next_ms;     //  monotonic time of the next byte
} drip_t;

//  The request state of a GET or HEAD between the two calls MHD makes:
//  an address, never read or freed.
static char s_headers_seen;

static int64_t
s_now_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  FNV-1a: ids map to stable values and hash buckets.
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

static bool
s_is_token (const char *id)
{
    size_t len = strlen (id);
    if (len == 0 || len > S_ID_MAX)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || strchr ("._~-:", *p)))
            return false;
    return true;
}

// --------------------------------------------------------------------
//  Endpoints

static enum MHD_Result
s_serve_s (fixture_t *self, struct MHD_Connection *connection, const char *url,
           const char *id)
{
    if (!s_is_token (id))
        return ws_httpd_reply_error (connection, url, 400,
                                     "id: expected 1..128 characters of "
                                     "[A-Za-z0-9._~:-]");
    uint64_t hash = s_hash (id);
    uint64_t count =
        atomic_fetch_add_explicit (&self->s_counter, 1, memory_order_relaxed);
    char body[512];
    int len = snprintf (
        body, sizeof body,
        "{\"id\":\"%s\",\"sales\":%u,\"signups\":%u,\"visits\":%u,"
        "\"regions\":[{\"name\":\"eu\",\"v\":1},{\"name\":\"us\",\"v\":2}]}",
        id, (unsigned) (10 + hash % 40 + count % 5),
        (unsigned) (1 + (hash >> 8) % 9 + count % 3),
        (unsigned) (100 + (hash >> 16) % 400 + count % 17));
    return ws_httpd_reply (connection, url, 200, body, (size_t) len);
}

static enum MHD_Result
s_serve_flaky (fixture_t *self, struct MHD_Connection *connection,
               const char *url, const char *id)
{
    if (!s_is_token (id))
        return ws_httpd_reply_error (connection, url, 400,
                                     "id: expected 1..128 characters of "
                                     "[A-Za-z0-9._~:-]");
    const char *fail_text =
        MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "fail");
    unsigned long fail = 1;
    if (fail_text && ws_httpd_parse_ulong (fail_text, 0, 1000000, &fail))
        return ws_httpd_reply_error (
            connection, url, 400,
            "query 'fail': expected an integer 0..1000000");

    uint64_t hash = s_hash (id);
    uint64_t seen = 0;
    bool full = false;
    pthread_mutex_lock (&self->flaky_lock);
    flaky_t **link = &self->flaky[hash % S_FLAKY_BUCKETS];
    while (*link && strcmp ((*link)->id, id) != 0)
        link = &(*link)->next;
    if (!*link && self->flaky_ids < S_FLAKY_MAX_IDS) {
        flaky_t *entry = calloc (1, sizeof *entry);
        if (entry && (entry->id = strdup (id))) {
            *link = entry;
            self->flaky_ids++;
        }
        else
            free (entry);
    }
    if (*link)
        seen = (*link)->count++;
    else
        full = true;
    pthread_mutex_unlock (&self->flaky_lock);

    if (full)
        return ws_httpd_reply_error (
            connection, url, 500,
            "fixture: too many flaky ids or out of memory");
    if (seen < fail) {
        char body[128];
        int len =
            snprintf (body, sizeof body,
                      "{\"error\":\"flaky: attempt %" PRIu64 " of %lu fails\"}",
                      seen + 1, fail);
        return ws_httpd_reply (connection, url, MHD_HTTP_SERVICE_UNAVAILABLE,
                               body, (size_t) len);
    }
    return s_serve_s (self, connection, url, id);
}

static enum MHD_Result
s_serve_status (struct MHD_Connection *connection, const char *url,
                const char *code_text)
{
    unsigned long code;
    if (ws_httpd_parse_ulong (code_text, 200, 599, &code))
        return ws_httpd_reply_error (connection, url, 400,
                                     "status: expected an integer 200..599");
    char body[32];
    int len = snprintf (body, sizeof body, "{\"status\":%lu}", code);
    return ws_httpd_reply (connection, url, (unsigned) code, body,
                           (size_t) len);
}

static enum MHD_Result
s_add_argument (void *cls, enum MHD_ValueKind kind, const char *key,
                const char *value)
{
    (void) kind;
    json_object_set_new (cls, key, json_string (value ? value : ""));
    return MHD_YES;
}

static enum MHD_Result
s_serve_echo (struct MHD_Connection *connection, const char *url,
              const char *method, req_t *req)
{
    json_t *query = json_object ();
    MHD_get_connection_values (connection, MHD_GET_ARGUMENT_KIND,
                               s_add_argument, query);
    json_t *body = json_string ("");
    if (req && req->body.len) {
        json_decref (body);
        body = json_stringn (req->body.data, req->body.len);
        if (!body)
            body = json_string ("(not UTF-8)");
    }
    json_t *doc =
        json_pack ("{s:s, s:s, s:o?, s:o?, s:o?}", "method", method, "path",
                   url, "query", query, "headers",
                   ws_httpd_request_headers (connection, false), "body", body);
    return ws_httpd_reply_json (connection, url, 200, doc);
}

static enum MHD_Result
s_serve_stats (fixture_t *self, struct MHD_Connection *connection,
               const char *url)
{
    json_t *by_path = json_object ();
    for (int i = 0; i < FAMILY_COUNT; i++)
        json_object_set_new (
            by_path, s_family_names[i],
            json_integer ((json_int_t) atomic_load (&self->by_family[i])));
    json_t *doc =
        json_pack ("{s:I, s:o?}", "requests",
                   (json_int_t) atomic_load (&self->total), "by_path", by_path);
    return ws_httpd_reply_json (connection, url, 200, doc);
}

//  Fast mode: park the connection until the timer thread resumes it.
//  Threads mode: wait in this connection's own thread. Either way a
//  shutdown ends the wait at once.
static enum MHD_Result
s_serve_slow (fixture_t *self, struct MHD_Connection *connection,
              const char *url, void **con_cls)
{
    const char *ms_text =
        MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "ms");
    unsigned long ms = S_SLOW_DEFAULT_MS;
    if (ms_text && ws_httpd_parse_ulong (ms_text, 0, S_SLOW_MAX_MS, &ms))
        return ws_httpd_reply_error (
            connection, url, 400, "query 'ms': expected an integer 0..600000");
    sleeper_t *sleeper = &self->sleeper;
    //  + 1: the clock is read in whole milliseconds, so without it a
    //  request could be answered up to 1 ms before 'ms' passed.
    int64_t deadline = s_now_mono_ms () + (int64_t) ms + 1;

    if (self->threads_mode) {
        pthread_mutex_lock (&sleeper->lock);
        while (!sleeper->stopping && s_now_mono_ms () < deadline) {
            struct timespec until = {.tv_sec = deadline / 1000,
                                     .tv_nsec = (deadline % 1000) * 1000000};
            pthread_cond_timedwait (&sleeper->wake, &sleeper->lock, &until);
        }
        pthread_mutex_unlock (&sleeper->lock);
        return ws_httpd_queue (connection, url, 200, self->slow_body);
    }
    if (ms == 0)
        return ws_httpd_queue (connection, url, 200, self->slow_body);

    req_t *req = *con_cls;
    if (!req) {
        req = calloc (1, sizeof *req);
        if (!req)
            return ws_httpd_reply_error (connection, url, 500,
                                         "fixture: out of memory");
        ws_buf_init (&req->body, S_BODY_MAX);
        *con_cls = req;
    }
    req->deadline_ms = deadline;
    req->connection = connection;
    pthread_mutex_lock (&sleeper->lock);
    if (sleeper->stopping) {
        pthread_mutex_unlock (&sleeper->lock);
        return ws_httpd_queue (connection, url, 200, self->slow_body);
    }
    req->state = REQ_WAITING;
    req->next = sleeper->pending;
    sleeper->pending = req;
    //  Under the lock, so the timer cannot resume it before it is
    //  suspended.
    MHD_suspend_connection (connection);
    pthread_cond_signal (&sleeper->wake);
    pthread_mutex_unlock (&sleeper->lock);
    return MHD_YES;
}

// --------------------------------------------------------------------
//  Hostile endpoints

//  A body that never ends: "[1,1,1,..." as fast as it is read.
static ssize_t
s_read_endless (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    for (size_t i = 0; i < max; i++)
        buf[i] = (pos + i) == 0 ? '[' : ((pos + i) % 2 ? '1' : ',');
    return (ssize_t) max;
}

//  1 GiB announced; each block is made when it is read.
static ssize_t
s_read_huge (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    uint64_t left = S_HUGE_SIZE - pos;
    size_t len = left < max ? (size_t) left : max;
    memset (buf, ' ', len);
    if (pos == 0 && len)
        buf[0] = '[';
    return (ssize_t) len;
}

//  100 MB of "<div>" in an HTML page, chunked (no Content-Length: the
//  cap must hold while reading, not by the header).
#define S_TAGS_SIZE (100ull * 1000 * 1000)
static ssize_t
s_read_tags (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) cls;
    if (pos >= S_TAGS_SIZE)
        return MHD_CONTENT_READER_END_OF_STREAM;
    uint64_t left = S_TAGS_SIZE - pos;
    size_t len = left < max ? (size_t) left : max;
    for (size_t i = 0; i < len; i++)
        buf[i] = "<div>"[(pos + i) % 5];
    return (ssize_t) len;
}

//  "{" then one space every S_LORIS_STEP_MS, never the end. Threads
//  mode waits in the connection's thread; fast mode suspends the
//  connection until the sleeper resumes it (MHD allows a suspend from
//  the content reader), so the pool threads stay free.
static ssize_t
s_read_loris (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) max;
    drip_t *drip = cls;
    sleeper_t *sleeper = &drip->fixture->sleeper;
    if (pos == 0) {
        drip->next_ms = s_now_mono_ms () + S_LORIS_STEP_MS;
        buf[0] = '{';
        return 1;
    }
    pthread_mutex_lock (&sleeper->lock);
    if (drip->fixture->threads_mode)
        while (!sleeper->stopping && s_now_mono_ms () < drip->next_ms) {
            struct timespec until = {.tv_sec = drip->next_ms / 1000,
                                     .tv_nsec =
                                         (drip->next_ms % 1000) * 1000000};
            pthread_cond_timedwait (&sleeper->wake, &sleeper->lock, &until);
        }
    if (sleeper->stopping) {
        pthread_mutex_unlock (&sleeper->lock);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (s_now_mono_ms () < drip->next_ms) {
        drip->wait.state = REQ_WAITING;
        drip->wait.deadline_ms = drip->next_ms;
        drip->wait.next = sleeper->pending;
        sleeper->pending = &drip->wait;
        MHD_suspend_connection (drip->wait.connection);
        pthread_cond_signal (&sleeper->wake);
        pthread_mutex_unlock (&sleeper->lock);
        return 0;
    }
    pthread_mutex_unlock (&sleeper->lock);
    drip->next_ms += S_LORIS_STEP_MS;
    buf[0] = ' ';
    return 1;
}

static void
s_free_drip (void *cls)
{
    free (cls);
}

//  Deflate (RFC 1951) bits, least significant first.
typedef struct {
    unsigned char *data;
    size_t len;
    uint32_t bits;
    int count;
} bits_t;

static void
s_bits_put (bits_t *self, uint32_t value, int count)
{
    self->bits |= value << self->count;
    self->count += count;
    while (self->count >= 8) {
        self->data[self->len++] = (unsigned char) self->bits;
        self->bits >>= 8;
        self->count -= 8;
    }
}

//  A Huffman code goes most significant bit first.
static void
s_bits_code (bits_t *self, uint32_t code, int count)
{
    uint32_t reversed = 0;
    for (int i = 0; i < count; i++)
        reversed |= ((code >> i) & 1u) << (count - 1 - i);
    s_bits_put (self, reversed, count);
}

//  A literal byte (< 144) in the fixed code: 8 bits from 0x30.
static void
s_bits_literal (bits_t *self, unsigned char c)
{
    s_bits_code (self, 0x30u + c, 8);
}

static uint32_t
s_crc32 (uint32_t crc, const unsigned char *data, size_t len, size_t times)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
    crc = ~crc;
    for (size_t t = 0; t < times; t++)
        for (size_t i = 0; i < len; i++)
            crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static fixture_t *s_bomb_fixture;

//  One fixed-Huffman deflate block in a gzip member (RFC 1952): the head
//  as literals, "0", then runs of 258 copies at distance 1 (length code
//  285, 8 bits, and distance code 0, 5 bits), the tail, end of block.
static void
s_bomb_build (void)
{
    fixture_t *self = s_bomb_fixture;
    static const char head[] = "{\"sales\":1,\"pad\":\"";
    static const char tail[] = "\"}";
    size_t head_len = sizeof head - 1;
    size_t tail_len = sizeof tail - 1;
    size_t capacity = 64 + head_len + tail_len + S_BOMB_RUNS * 13 / 8;
    bits_t out = {malloc (capacity), 0, 0, 0};
    if (!out.data)
        return;
    static const unsigned char gzip_head[] = {0x1f, 0x8b, 8, 0, 0,
                                              0,    0,    0, 0, 0xff};
    memcpy (out.data, gzip_head, sizeof gzip_head);
    out.len = sizeof gzip_head;
    s_bits_put (&out, 1, 1);  //  BFINAL
    s_bits_put (&out, 1, 2);  //  BTYPE 01: fixed Huffman codes
    for (size_t i = 0; i < head_len; i++)
        s_bits_literal (&out, (unsigned char) head[i]);
    s_bits_literal (&out, '0');
    for (size_t i = 0; i < S_BOMB_RUNS; i++) {
        s_bits_code (&out, 0xc0u + (285 - 280), 8);
        s_bits_code (&out, 0, 5);
    }
    for (size_t i = 0; i < tail_len; i++)
        s_bits_literal (&out, (unsigned char) tail[i]);
    s_bits_code (&out, 0, 7);  //  256: end of block
    if (out.count)
        s_bits_put (&out, 0, 8 - out.count);
    //  Trailer: CRC-32 and length (mod 2^32) of the decoded bytes.
    static const unsigned char zero = '0';
    unsigned char zeros[258];
    memset (zeros, '0', sizeof zeros);
    uint32_t crc = s_crc32 (0, (const unsigned char *) head, head_len, 1);
    crc = s_crc32 (crc, &zero, 1, 1);
    crc = s_crc32 (crc, zeros, sizeof zeros, S_BOMB_RUNS);
    crc = s_crc32 (crc, (const unsigned char *) tail, tail_len, 1);
    uint32_t size =
        (uint32_t) (head_len + 1 + (size_t) S_BOMB_RUNS * 258 + tail_len);
    for (int i = 0; i < 4; i++)
        out.data[out.len++] = (unsigned char) (crc >> (8 * i));
    for (int i = 0; i < 4; i++)
        out.data[out.len++] = (unsigned char) (size >> (8 * i));
    self->bomb = out.data;
    self->bomb_len = out.len;
}

//  A redirect, an HTML page or a streamed body: made per request.
static enum MHD_Result
s_serve_hostile_made (fixture_t *self, struct MHD_Connection *connection,
                      const char *url, const char *kind)
{
    struct MHD_Response *response = NULL;
    unsigned status = 200;
    if (strcmp (kind, "loris") == 0) {
        drip_t *drip = calloc (1, sizeof *drip);
        if (drip) {
            drip->fixture = self;
            drip->wait.connection = connection;
            response = MHD_create_response_from_callback (
                MHD_SIZE_UNKNOWN, 64, s_read_loris, drip, s_free_drip);
            if (!response)
                free (drip);
        }
    }
    else if (strcmp (kind, "endless") == 0)
        response = MHD_create_response_from_callback (
            MHD_SIZE_UNKNOWN, 32 * 1024, s_read_endless, NULL, NULL);
    else if (strcmp (kind, "huge") == 0)
        response = MHD_create_response_from_callback (S_HUGE_SIZE, 32 * 1024,
                                                      s_read_huge, NULL, NULL);
    else if (strcmp (kind, "tags") == 0) {
        response = MHD_create_response_from_callback (
            MHD_SIZE_UNKNOWN, 32 * 1024, s_read_tags, NULL, NULL);
        if (response)
            MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                     "text/html");
    }
    else if (strcmp (kind, "gzip-bomb") == 0) {
        pthread_once (&self->bomb_once, s_bomb_build);
        if (!self->bomb)
            return ws_httpd_reply_error (connection, url, 500,
                                         "fixture: out of memory");
        response = MHD_create_response_from_buffer (self->bomb_len, self->bomb,
                                                    MHD_RESPMEM_PERSISTENT);
        if (response)
            MHD_add_response_header (response, "Content-Encoding", "gzip");
    }
    else if (strncmp (kind, "redirect-", 9) == 0) {
        const char *target = NULL;
        if (strcmp (kind + 9, "loop") == 0)
            target = "/hostile/redirect-loop";
        else if (strcmp (kind + 9, "file") == 0)
            target = "file:///etc/passwd";
        else if (strcmp (kind + 9, "gopher") == 0)
            target = "gopher://127.0.0.1:70/1";
        else
            return ws_httpd_reply_error (connection, url, 404,
                                         "hostile: no such redirect");
        status = 302;
        response = MHD_create_response_from_buffer (0, (void *) "",
                                                    MHD_RESPMEM_PERSISTENT);
        if (response)
            MHD_add_response_header (response, "Location", target);
    }
    else if (strcmp (kind, "429") == 0) {
        static const char text[] = "{\"error\":\"rate limit exceeded\"}";
        status = 429;
        response = ws_httpd_response (text, sizeof text - 1, true);
        if (response)
            MHD_add_response_header (response, "Retry-After", "30");
    }
    else
        return ws_httpd_reply_error (connection, url, 404,
                                     "hostile: no such endpoint");
    if (!response)
        return ws_httpd_reply_error (connection, url, 500,
                                     "fixture: out of memory");
    if (!MHD_get_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE))
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                 "application/json");
    enum MHD_Result rc = ws_httpd_queue (connection, url, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_serve_hostile (fixture_t *self, struct MHD_Connection *connection,
                 const char *url, const char *kind)
{
    struct {
        const char *kind;
        struct MHD_Response *response;
        unsigned status;
    } constants[] = {
        {"utf8", self->hostile_utf8, 200},
        {"deep", self->hostile_deep, 200},
        {"overflow", self->hostile_overflow, 200},
        {"negzero", self->hostile_negzero, 200},
        {"nan", self->hostile_nan, 200},
        {"nan-string", self->hostile_nan_string, 200},
        {"html-200", self->hostile_html_200, 200},
        {"html-500", self->hostile_html_500, 500},
        {"empty", self->hostile_empty, 200},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++)
        if (strcmp (kind, constants[i].kind) == 0)
            return ws_httpd_queue (connection, url, constants[i].status,
                                   constants[i].response);
    return s_serve_hostile_made (self, connection, url, kind);
}

//  /doc/<file>: a file of --docs, read at each request (they are small
//  and a test may change one between ticks).
static enum MHD_Result
s_serve_doc (fixture_t *self, struct MHD_Connection *connection,
             const char *url, const char *name)
{
    bool valid = self->docs && *name && *name != '.';
    for (const char *p = name; valid && *p; p++)
        valid =
            isalnum ((unsigned char) *p) || *p == '.' || *p == '_' || *p == '-';
    char path[1024];
    FILE *file = NULL;
    if (valid) {
        snprintf (path, sizeof path, "%s/%s", self->docs, name);
        file = fopen (path, "rb");
    }
    if (!file) {
        char text[300];
        snprintf (text, sizeof text, "document '%.200s': not found", name);
        return ws_httpd_reply_error (connection, url, 404, text);
    }
    ws_buf_t body;
    ws_buf_init (&body, 16 * 1024 * 1024);
    char chunk[65536];
    size_t got;
    while ((got = fread (chunk, 1, sizeof chunk, file)) > 0)
        if (ws_buf_append (&body, chunk, got))
            break;
    fclose (file);
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".xml", "application/xml"},
        {".rss", "application/rss+xml"},
        {".atom", "application/atom+xml"},
        {".csv", "text/csv; charset=utf-8"},
        {".prom", "text/plain; version=0.0.4"},
        {".json", "application/json"}};
    const char *type = "text/plain; charset=utf-8";
    const char *dot = strrchr (name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp (dot, types[i][0]) == 0)
            type = types[i][1];
    struct MHD_Response *response = MHD_create_response_from_buffer (
        body.len, body.data ? body.data : (void *) "", MHD_RESPMEM_MUST_COPY);
    ws_buf_free (&body);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = ws_httpd_queue (connection, url, 200, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_dispatch (fixture_t *self, struct MHD_Connection *connection, const char *url,
            const char *method, void **con_cls)
{
    family_t family = FAMILY_OTHER;
    if (strncmp (url, "/s/", 3) == 0)
        family = FAMILY_S;
    else if (strncmp (url, "/flaky/", 7) == 0)
        family = FAMILY_FLAKY;
    else if (strcmp (url, "/bad/json") == 0)
        family = FAMILY_BAD_JSON;
    else if (strcmp (url, "/bad/notnumber") == 0)
        family = FAMILY_BAD_NOTNUMBER;
    else if (strcmp (url, "/bad/500") == 0)
        family = FAMILY_BAD_500;
    else if (strcmp (url, "/bad/big") == 0)
        family = FAMILY_BAD_BIG;
    else if (strcmp (url, "/bad/slow") == 0)
        family = FAMILY_BAD_SLOW;
    else if (strncmp (url, "/status/", 8) == 0)
        family = FAMILY_STATUS;
    else if (strcmp (url, "/echo-headers") == 0)
        family = FAMILY_ECHO_HEADERS;
    else if (strcmp (url, "/echo") == 0)
        family = FAMILY_ECHO;
    else if (strcmp (url, "/stats") == 0)
        family = FAMILY_STATS;
    else if (strncmp (url, "/hostile/", 9) == 0)
        family = FAMILY_HOSTILE;
    else if (strncmp (url, "/doc/", 5) == 0)
        family = FAMILY_DOC;
    atomic_fetch_add_explicit (&self->total, 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&self->by_family[family], 1,
                               memory_order_relaxed);

    switch (family) {
    case FAMILY_S: return s_serve_s (self, connection, url, url + 3);
    case FAMILY_FLAKY: return s_serve_flaky (self, connection, url, url + 7);
    case FAMILY_BAD_JSON:
        return ws_httpd_queue (connection, url, 200, self->bad_json);
    case FAMILY_BAD_NOTNUMBER:
        return ws_httpd_queue (connection, url, 200, self->bad_notnumber);
    case FAMILY_BAD_500:
        return ws_httpd_queue (connection, url, 500, self->bad_500);
    case FAMILY_BAD_BIG:
        return ws_httpd_queue (connection, url, 200, self->bad_big);
    case FAMILY_BAD_SLOW: return s_serve_slow (self, connection, url, con_cls);
    case FAMILY_STATUS: return s_serve_status (connection, url, url + 8);
    case FAMILY_ECHO_HEADERS:
        return ws_httpd_reply_json (
            connection, url, 200, ws_httpd_request_headers (connection, false));
    case FAMILY_ECHO: return s_serve_echo (connection, url, method, *con_cls);
    case FAMILY_STATS: return s_serve_stats (self, connection, url);
    case FAMILY_HOSTILE:
        return s_serve_hostile (self, connection, url, url + 9);
    case FAMILY_DOC: return s_serve_doc (self, connection, url, url + 5);
    default: {
        char text[300];
        snprintf (text, sizeof text, "path '%.200s': not found", url);
        return ws_httpd_reply_error (connection, url, 404, text);
    }
    }
}

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url,
              const char *method, const char *version, const char *upload_data,
              size_t *upload_data_size, void **con_cls)
{
    (void) version;
    fixture_t *self = cls;
    if (*con_cls == &s_headers_seen) {
        //  Second call of a GET or HEAD: the request is complete.
        *con_cls = NULL;
        return s_dispatch (self, connection, url, method, con_cls);
    }
    req_t *req = *con_cls;
    if (!req) {
        //  GET and HEAD carry no body: answer on the second call (an
        //  answer queued on the first call makes MHD 0.9.75 close the
        //  connection: no keep-alive), with no allocation (the bench
        //  path).
        if (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0) {
            *con_cls = &s_headers_seen;
            return MHD_YES;
        }
        if (strcmp (method, "POST") != 0 && strcmp (method, "PUT") != 0) {
            char text[200];
            snprintf (text, sizeof text,
                      "method '%.100s': expected GET, HEAD, POST or PUT",
                      method);
            return ws_httpd_reply_error (connection, url, 405, text);
        }
        req = calloc (1, sizeof *req);
        if (!req)
            return MHD_NO;
        ws_buf_init (&req->body, S_BODY_MAX);
        req->state = REQ_BODY;
        *con_cls = req;
        return MHD_YES;
    }
    if (req->state == REQ_BODY) {
        if (*upload_data_size) {
            if (!req->body_too_big
                && ws_buf_append (&req->body, upload_data, *upload_data_size))
                req->body_too_big = true;
            *upload_data_size = 0;
            return MHD_YES;
        }
        req->state = REQ_READY;
        if (req->body_too_big)
            return ws_httpd_reply_error (connection, url, 413,
                                         "body: larger than 1 MiB");
        return s_dispatch (self, connection, url, method, con_cls);
    }
    //  A slow request the timer resumed.
    pthread_mutex_lock (&self->sleeper.lock);
    req_state_t state = req->state;
    pthread_mutex_unlock (&self->sleeper.lock);
    if (state == REQ_DONE)
        return ws_httpd_queue (connection, url, 200, self->slow_body);
    return MHD_YES;
}

static void
s_on_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
                enum MHD_RequestTerminationCode toe)
{
    (void) cls;
    (void) connection;
    (void) toe;
    req_t *req = *con_cls;
    if (req && *con_cls != &s_headers_seen) {
        ws_buf_free (&req->body);
        free (req);
        *con_cls = NULL;
    }
}

// --------------------------------------------------------------------
//  The timer thread (fast mode)

static void *
s_sleeper_main (void *arg)
{
    sleeper_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (!self->stopping) {
        int64_t now = s_now_mono_ms ();
        int64_t next = INT64_MAX;
        req_t **link = &self->pending;
        while (*link) {
            req_t *req = *link;
            if (req->deadline_ms <= now) {
                *link = req->next;
                req->next = NULL;
                req->state = REQ_DONE;
                MHD_resume_connection (req->connection);
            }
            else {
                if (req->deadline_ms < next)
                    next = req->deadline_ms;
                link = &req->next;
            }
        }
        if (next == INT64_MAX)
            pthread_cond_wait (&self->wake, &self->lock);
        else {
            struct timespec until = {.tv_sec = next / 1000,
                                     .tv_nsec = (next % 1000) * 1000000};
            pthread_cond_timedwait (&self->wake, &self->lock, &until);
        }
    }
    //  MHD_stop_daemon must not meet a suspended connection: answer them
    //  all now.
    while (self->pending) {
        req_t *req = self->pending;
        self->pending = req->next;
        req->next = NULL;
        req->state = REQ_DONE;
        MHD_resume_connection (req->connection);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

static int
s_sleeper_init (sleeper_t *self)
{
    memset (self, 0, sizeof *self);
    pthread_condattr_t attr;
    if (pthread_condattr_init (&attr)
        || pthread_condattr_setclock (&attr, CLOCK_MONOTONIC)
        || pthread_cond_init (&self->wake, &attr)
        || pthread_mutex_init (&self->lock, NULL))
        return -1;
    pthread_condattr_destroy (&attr);
    return 0;
}

static void
s_sleeper_stop (sleeper_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    pthread_cond_broadcast (&self->wake);
    pthread_mutex_unlock (&self->lock);
    if (self->started)
        pthread_join (self->thread, NULL);
    self->started = false;
}

// --------------------------------------------------------------------
//  Process: options

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: ws_fixture [options]\n"
             "  --listen ADDR          address to bind (default 127.0.0.1)\n"
             "  --port N               port (default 0: any free port)\n"
             "  --port-file FILE       write the bound port there once "
             "listening\n"
             "  --threads N            thread pool size, fast mode "
             "(default 2)\n"
             "  --mode fast|threads    epoll pool with suspend/resume "
             "(default),\n"
             "                         or one thread per connection\n"
             "  --max-connections N    connection limit (default 8192; "
             "threads: 1024)\n"
             "  --log-level LEVEL      error..debug; info logs every "
             "request\n"
             "  --docs DIR             serve DIR's files as /doc/<file>\n"
             "  --help\n"
             "Endpoints: /s/<id> /flaky/<id>?fail=N /bad/json "
             "/bad/notnumber /bad/500\n"
             "/bad/big /bad/slow?ms=N /status/<code> /echo-headers /echo "
             "/stats\n"
             "/hostile/<kind> with kind loris endless huge tags gzip-bomb utf8 "
             "deep\n"
             "overflow negzero nan nan-string redirect-loop redirect-file\n"
             "redirect-gopher 429 html-200 html-500 empty\n");
}

typedef struct {
    bool threads_mode;
    const char *docs;
} s_options_t;

//  --mode fast|threads, --docs DIR.
static int
s_on_option (void *arg, const char *name, const char *value)
{
    s_options_t *options = arg;
    if (strcmp (name, "--docs") == 0) {
        options->docs = value;
        return 0;
    }
    bool *threads_mode = &options->threads_mode;
    if (strcmp (value, "fast") == 0)
        *threads_mode = false;
    else if (strcmp (value, "threads") == 0)
        *threads_mode = true;
    else {
        ws_error ("option --mode '%s': expected fast or threads", value);
        return -1;
    }
    return 0;
}

//  An HTML page (persistent text) with its Content-Type.
static struct MHD_Response *
s_html_response (const char *text)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (text), (void *) text, MHD_RESPMEM_PERSISTENT);
    if (response)
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                 "text/html; charset=utf-8");
    return response;
}

static int
s_hostile_init (fixture_t *self)
{
    static const char utf8[] = "{\"sales\":1,\"name\":\"\xff\xfe\"}";
    static const char overflow[] = "{\"sales\":1e999,\"signups\":1,"
                                   "\"visits\":1}";
    static const char negzero[] = "{\"sales\":-0,\"signups\":-0.0,"
                                  "\"visits\":0}";
    static const char nan[] = "{\"sales\":NaN,\"signups\":1,\"visits\":1}";
    static const char nan_string[] = "{\"sales\":\"NaN\",\"signups\":1,"
                                     "\"visits\":1}";
    static const char html_200[] =
        "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
        "<body><form>Please sign in</form></body></html>\n";
    static const char html_500[] =
        "<html><head><title>500 Internal Server Error</title></head>"
        "<body><h1>Internal Server Error</h1></body></html>\n";
    self->bomb_once = (pthread_once_t) PTHREAD_ONCE_INIT;
    s_bomb_fixture = self;
    self->deep = malloc (2 * S_DEEP_LEVELS);
    if (!self->deep)
        return -1;
    memset (self->deep, '[', S_DEEP_LEVELS);
    memset (self->deep + S_DEEP_LEVELS, ']', S_DEEP_LEVELS);
    self->hostile_utf8 = ws_httpd_response (utf8, sizeof utf8 - 1, true);
    self->hostile_deep =
        ws_httpd_response (self->deep, 2 * S_DEEP_LEVELS, true);
    self->hostile_overflow =
        ws_httpd_response (overflow, sizeof overflow - 1, true);
    self->hostile_negzero =
        ws_httpd_response (negzero, sizeof negzero - 1, true);
    self->hostile_nan = ws_httpd_response (nan, sizeof nan - 1, true);
    self->hostile_nan_string =
        ws_httpd_response (nan_string, sizeof nan_string - 1, true);
    self->hostile_html_200 = s_html_response (html_200);
    self->hostile_html_500 = s_html_response (html_500);
    self->hostile_empty = ws_httpd_response ("", 0, true);
    if (!self->hostile_utf8 || !self->hostile_deep || !self->hostile_overflow
        || !self->hostile_negzero || !self->hostile_nan
        || !self->hostile_nan_string || !self->hostile_html_200
        || !self->hostile_html_500 || !self->hostile_empty)
        return -1;
    return 0;
}

static int
s_fixture_init (fixture_t *self, bool threads_mode)
{
    memset (self, 0, sizeof *self);
    self->threads_mode = threads_mode;
    if (s_sleeper_init (&self->sleeper)
        || pthread_mutex_init (&self->flaky_lock, NULL))
        return -1;
    static const char bad_json[] = "{\"sales\": 12,";
    static const char bad_notnumber[] =
        "{\"sales\":\"n/a\",\"signups\":3,\"visits\":4}";
    static const char bad_500[] = "{\"error\":\"boom\"}";
    static const char slow[] = "{\"sales\":1,\"signups\":1,\"visits\":1}";
    static const char big_head[] = "{\"pad\":\"";
    static const char big_tail[] = "\",\"sales\":1}";
    self->big = malloc (S_BIG_SIZE);
    if (!self->big)
        return -1;
    memcpy (self->big, big_head, sizeof big_head - 1);
    memset (self->big + sizeof big_head - 1, 'x',
            S_BIG_SIZE - (sizeof big_head - 1) - (sizeof big_tail - 1));
    memcpy (self->big + S_BIG_SIZE - (sizeof big_tail - 1), big_tail,
            sizeof big_tail - 1);
    self->bad_json = ws_httpd_response (bad_json, sizeof bad_json - 1, true);
    self->bad_notnumber =
        ws_httpd_response (bad_notnumber, sizeof bad_notnumber - 1, true);
    self->bad_500 = ws_httpd_response (bad_500, sizeof bad_500 - 1, true);
    self->slow_body = ws_httpd_response (slow, sizeof slow - 1, true);
    self->bad_big = ws_httpd_response (self->big, S_BIG_SIZE, true);
    if (!self->bad_json || !self->bad_notnumber || !self->bad_500
        || !self->slow_body || !self->bad_big)
        return -1;
    return s_hostile_init (self);
}

static void
s_fixture_free (fixture_t *self)
{
    struct MHD_Response *responses[] = {self->bad_json,
                                        self->bad_notnumber,
                                        self->bad_500,
                                        self->slow_body,
                                        self->bad_big,
                                        self->hostile_utf8,
                                        self->hostile_deep,
                                        self->hostile_overflow,
                                        self->hostile_negzero,
                                        self->hostile_nan,
                                        self->hostile_nan_string,
                                        self->hostile_html_200,
                                        self->hostile_html_500,
                                        self->hostile_empty};
    for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++)
        if (responses[i])
            MHD_destroy_response (responses[i]);
    free (self->big);
    free (self->deep);
    free (self->bomb);
    for (size_t i = 0; i < S_FLAKY_BUCKETS; i++)
        while (self->flaky[i]) {
            flaky_t *entry = self->flaky[i];
            self->flaky[i] = entry->next;
            free (entry->id);
            free (entry);
        }
    pthread_mutex_destroy (&self->flaky_lock);
    pthread_mutex_destroy (&self->sleeper.lock);
    pthread_cond_destroy (&self->sleeper.wake);
}

int
main (int argc, char **argv)
{
    ws_log_init ('T', false);
    ws_httpd_config_t config;
    ws_httpd_config_init (&config);
    config.max_connections = 0;  //  not given: by mode
    s_options_t options = {false, NULL};
    static const char *const names[] = {"--mode", "--docs", NULL};
    int parsed = ws_httpd_config_parse (&config, argc, argv, names, s_on_option,
                                        &options);
    bool threads_mode = options.threads_mode;
    if (parsed == 1)
        s_usage (stdout);
    if (parsed)
        return parsed == 1 ? 0 : 2;
    if (config.max_connections == 0)
        config.max_connections = threads_mode ? 1024 : 8192;
    ws_httpd_t *httpd = ws_httpd_new (&config);
    if (!httpd)
        return 2;

    fixture_t *self = calloc (1, sizeof *self);
    if (!self || s_fixture_init (self, threads_mode)) {
        ws_error ("fixture: out of memory at start");
        return 1;
    }
    self->docs = options.docs;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION
                     | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (!threads_mode) {
        flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
        if (pthread_create (&self->sleeper.thread, NULL, s_sleeper_main,
                            &self->sleeper)
            != 0) {
            ws_error ("fixture: cannot start the timer thread");
            return 1;
        }
        self->sleeper.started = true;
    }
    int rc =
        ws_httpd_start (httpd, flags, s_on_request, self, s_on_completed, self)
            ? 1
            : 0;
    if (rc == 0)
        ws_httpd_run (httpd, threads_mode ? "threads mode" : "fast mode");
    s_sleeper_stop (&self->sleeper);
    ws_httpd_destroy (&httpd);
    s_fixture_free (self);
    free (self);
    return rc;
}
