//  ws_fetch - many HTTP transfers at once inside the process's ws_loop.
#include "ws_fetch.h"

#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ws_log.h"
#include "ws_request.h"

#define S_CONCURRENCY_DEFAULT 256
#define S_BODY_CAP_DEFAULT (8 * 1024 * 1024)
#define S_CONNECT_TIMEOUT_DEFAULT 5000
#define S_RETRY_BASE_DEFAULT 250
//  A pooled transfer keeps its body buffer for the next one unless it
//  grew past this: one large reply must not pin megabytes per slot.
#define S_KEEP_BUFFER 65536
//  Without a job deadline a Retry-After longer than this is not waited.
#define S_RETRY_AFTER_MAX 60000
#define S_MAX_REDIRECTS 5

typedef struct s_transfer_t s_transfer_t;

struct s_transfer_t {
    ws_fetch_t *fetch;           //  borrowed; the owner
    CURL *easy;                  //  owns while running, else NULL
    ws_source_t *source;         //  borrowed until the callback ran; NULL
                                 //  for a post
    char *url;                   //  owns; a post's
    char *post_body;             //  owns; a post's
    size_t post_len;             //  of post_body
    int64_t timeout_ms;          //  a post's
    size_t received;             //  a post's response bytes, kept or not
    struct curl_slist *headers;  //  owns; with ${NAME} expanded
    ws_buf_t body;               //  owns the memory; reused
    ws_fetch_done_fn *fn;
    void *arg;
    int64_t deadline;  //  wall clock ms, 0 none
    int64_t started;   //  ws_clock_ms at ws_fetch_start
    int attempt;       //  1 for the first try
    int timer;         //  retry timer id, 0 none
    bool too_big;      //  the write callback hit the cap
    char errbuf[CURL_ERROR_SIZE];
    s_transfer_t *next;       //  queue or free list
    s_transfer_t *live_prev;  //  every unfinished transfer, for
    s_transfer_t *live_next;  //  ws_fetch_destroy
};

struct _ws_fetch_t {
    ws_loop_t *loop;  //  borrowed
    CURLM *multi;     //  owns
    CURLSH *share;    //  owns
    ws_fetch_config_t config;
    int timer;                 //  curl's timeout as a loop timer
    size_t running;            //  started, callback not yet run
    size_t active;             //  in the multi handle now
    s_transfer_t *queue_head;  //  waiting for a slot, FIFO
    s_transfer_t *queue_tail;
    s_transfer_t *free_transfers;  //  pool
    CURL **free_easy;              //  pool of reset easy handles
    size_t free_easy_count;
    s_transfer_t *live;  //  list of unfinished transfers
};

static void s_check_done (ws_fetch_t *self);
static void s_pump (ws_fetch_t *self);

//  Out of memory in the fetcher's own bookkeeping aborts (STYLE.md:
//  the loop's state); a job's input never gets here.
static void *
s_alloc (size_t size)
{
    void *memory = calloc (1, size);
    if (!memory) {
        ws_error ("worker: out of memory");
        abort ();
    }
    return memory;
}

static void
s_format_size (size_t bytes, char *out, size_t size)
{
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
        snprintf (out, size, "%zu MiB", bytes / (1024 * 1024));
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf (out, size, "%zu KiB", bytes / 1024);
    else
        snprintf (out, size, "%zu bytes", bytes);
}

//  ---------------------------------------------------------------------
//  libcurl's socket and timer callbacks: hand curl's needs to ws_loop

static int
s_on_socket (ws_loop_t *loop, int fd, int revents, void *arg)
{
    (void) loop;
    ws_fetch_t *self = (ws_fetch_t *) arg;
    int flags = 0;
    if (revents & ZMQ_POLLIN)
        flags |= CURL_CSELECT_IN;
    if (revents & ZMQ_POLLOUT)
        flags |= CURL_CSELECT_OUT;
    if (revents & ZMQ_POLLERR)
        flags |= CURL_CSELECT_ERR;
    int still_running;
    curl_multi_socket_action (self->multi, fd, flags, &still_running);
    s_check_done (self);
    return 0;
}

static int
s_curl_socket (CURL *easy, curl_socket_t socket, int what, void *userp,
               void *socketp)
{
    (void) easy;
    (void) socketp;
    ws_fetch_t *self = (ws_fetch_t *) userp;
    if (what == CURL_POLL_REMOVE)
        ws_loop_fd_end (self->loop, socket);
    else {
        short events = 0;
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
            events |= ZMQ_POLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
            events |= ZMQ_POLLOUT;
        ws_loop_fd (self->loop, socket, events, s_on_socket, self);
    }
    return 0;
}

static int
s_on_timeout (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_fetch_t *self = (ws_fetch_t *) arg;
    //  The loop timer is one-shot and has fired; curl may set a new one
    //  from inside socket_action.
    self->timer = 0;
    int still_running;
    curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0,
                              &still_running);
    s_check_done (self);
    return 0;
}

static int
s_curl_timer (CURLM *multi, long timeout_ms, void *userp)
{
    (void) multi;
    ws_fetch_t *self = (ws_fetch_t *) userp;
    if (self->timer)
        ws_loop_timer_end (self->loop, self->timer);
    self->timer = 0;
    //  -1 deletes the timer; 0 means "act at once", which must not call
    //  socket_action from inside this callback: the loop does it next
    //  turn.
    if (timeout_ms >= 0)
        self->timer =
            ws_loop_timer (self->loop, timeout_ms, false, s_on_timeout, self);
    return 0;
}

static size_t
s_on_write (char *data, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = (s_transfer_t *) arg;
    size_t len = size * count;
    if (!transfer->source) {
        //  A post keeps the start of the answer and reads the rest
        //  away: a receiver's long reply is no failure of the delivery.
        transfer->received += len;
        size_t room = transfer->body.limit - transfer->body.len;
        size_t keep = len < room ? len : room;
        if (keep && ws_buf_append (&transfer->body, data, keep))
            return 0;
        return len;
    }
    //  The cap is checked here, not only with MAXFILESIZE: a chunked or
    //  compressed body announces no size. Returning short fails the
    //  transfer (CURLE_WRITE_ERROR); a truncated body never becomes a
    //  sample.
    if (ws_buf_append (&transfer->body, data, len)) {
        transfer->too_big = true;
        return 0;
    }
    return len;
}

//  ---------------------------------------------------------------------
//  Transfers: pool, queue, start, finish

static s_transfer_t *
s_transfer_get (ws_fetch_t *self)
{
    s_transfer_t *transfer = self->free_transfers;
    if (transfer)
        self->free_transfers = transfer->next;
    else {
        transfer = s_alloc (sizeof *transfer);
        ws_buf_init (&transfer->body, self->config.body_cap);
    }
    transfer->fetch = self;
    transfer->next = NULL;
    transfer->live_prev = NULL;
    transfer->live_next = self->live;
    if (self->live)
        self->live->live_prev = transfer;
    self->live = transfer;
    return transfer;
}

//  A pooled handle is not reset (curl_easy_reset cost more than the rest
//  of a transfer's set-up): the options all transfers share were set
//  when it was made (s_easy_new), and s_setup sets every option that
//  differs between transfers, so nothing of the last transfer carries
//  over; the pointers it still holds into that transfer are never used
//  before s_setup replaces them.
static void
s_easy_put (ws_fetch_t *self, CURL *easy)
{
    if (self->free_easy_count < self->config.concurrency) {
        self->free_easy[self->free_easy_count++] = easy;
        return;
    }
    curl_easy_cleanup (easy);
}

static void
s_transfer_put (ws_fetch_t *self, s_transfer_t *transfer)
{
    if (transfer->easy) {
        curl_multi_remove_handle (self->multi, transfer->easy);
        s_easy_put (self, transfer->easy);
        transfer->easy = NULL;
        self->active--;
    }
    if (transfer->timer)
        ws_loop_timer_end (self->loop, transfer->timer);
    transfer->timer = 0;
    curl_slist_free_all (transfer->headers);
    transfer->headers = NULL;
    free (transfer->url);
    transfer->url = NULL;
    free (transfer->post_body);
    transfer->post_body = NULL;
    transfer->post_len = 0;
    if (transfer->body.size > S_KEEP_BUFFER)
        ws_buf_free (&transfer->body);
    else
        ws_buf_reset (&transfer->body);
    transfer->source = NULL;
    transfer->fn = NULL;
    transfer->arg = NULL;
    if (transfer->live_prev)
        transfer->live_prev->live_next = transfer->live_next;
    else
        self->live = transfer->live_next;
    if (transfer->live_next)
        transfer->live_next->live_prev = transfer->live_prev;
    transfer->next = self->free_transfers;
    self->free_transfers = transfer;
}

static void
s_enqueue (ws_fetch_t *self, s_transfer_t *transfer)
{
    transfer->next = NULL;
    if (self->queue_tail)
        self->queue_tail->next = transfer;
    else
        self->queue_head = transfer;
    self->queue_tail = transfer;
}

//  Call the callback once and return the transfer to the pool.
static void
s_finish (ws_fetch_t *self, s_transfer_t *transfer, const char *kind,
          long status, int64_t retry_after_ms, const ws_err_t *err)
{
    //  The Content-Type, copied before the handle goes back to the pool.
    char content_type[128] = "";
    if (transfer->easy) {
        char *type = NULL;
        if (curl_easy_getinfo (transfer->easy, CURLINFO_CONTENT_TYPE, &type)
                == CURLE_OK
            && type)
            snprintf (content_type, sizeof content_type, "%s", type);
        curl_multi_remove_handle (self->multi, transfer->easy);
        s_easy_put (self, transfer->easy);
        transfer->easy = NULL;
        self->active--;
    }
    ws_fetch_result_t result;
    result.content_type = content_type;
    result.url = transfer->url;
    result.error_kind = kind;
    result.http_status = status;
    result.body = &transfer->body;
    result.duration_ms = ws_clock_ms () - transfer->started;
    result.bytes = transfer->source ? transfer->body.len : transfer->received;
    result.attempts = transfer->attempt;
    result.retry_after_ms = retry_after_ms;
    self->running--;
    ws_fetch_done_fn *fn = transfer->fn;
    void *arg = transfer->arg;
    fn (&result, err, arg);
    s_transfer_put (self, transfer);
}

static int
s_on_finish_later (ws_loop_t *loop, void *arg)
{
    (void) loop;
    s_transfer_t *transfer = (s_transfer_t *) arg;
    transfer->timer = 0;
    ws_err_t err;
    ws_err_set (&err, WS_ERR_SYSTEM,
                "cannot set up a transfer (libcurl out of memory)");
    s_finish (transfer->fetch, transfer, "system", 0, -1, &err);
    return 0;
}

static int
s_setup (ws_fetch_t *self, s_transfer_t *transfer, CURL *easy)
{
    ws_source_t *source = transfer->source;
    int64_t timeout =
        source ? ws_source_timeout_ms (source) : transfer->timeout_ms;
    int64_t connect = self->config.connect_timeout_ms;
    if (connect > timeout)
        connect = timeout;
    CURLcode rc = CURLE_OK;
#define S_SET(option, value)                                                   \
    if (rc == CURLE_OK)                                                        \
    rc = curl_easy_setopt (easy, option, value)
    S_SET (CURLOPT_URL, transfer->url);
    const char *agent =
        source ? ws_request_user_agent (ws_source_request (source)) : NULL;
    S_SET (CURLOPT_USERAGENT, agent ? agent : WS_FETCH_USER_AGENT);
    S_SET (CURLOPT_CONNECTTIMEOUT_MS, (long) connect);
    S_SET (CURLOPT_TIMEOUT_MS, (long) timeout);
    S_SET (CURLOPT_WRITEDATA, transfer);
    S_SET (CURLOPT_ERRORBUFFER, transfer->errbuf);
    S_SET (CURLOPT_PRIVATE, transfer);
    //  Set even when empty or a GET: the handle may come from the pool.
    S_SET (CURLOPT_HTTPHEADER, transfer->headers);
    //  A source follows redirects and has its body capped; a post does
    //  neither (a 3xx is its answer; s_on_write keeps its start).
    S_SET (CURLOPT_FOLLOWLOCATION, source ? 1L : 0L);
    S_SET (CURLOPT_MAXFILESIZE_LARGE,
           (curl_off_t) (source ? self->config.body_cap : 0));
    if (!source || strcmp (ws_source_method (source), "POST") == 0) {
        //  Never NULL (that would mean "use the read callback").
        S_SET (CURLOPT_POSTFIELDS,
               transfer->post_body ? transfer->post_body : "");
        S_SET (CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) transfer->post_len);
    }
    else {
        S_SET (CURLOPT_HTTPGET, 1L);
    }
#undef S_SET
    return rc == CURLE_OK ? 0 : -1;
}

//  A new easy handle with the options every transfer shares; s_setup
//  sets the rest for each transfer. NULL if libcurl is out of memory.
static CURL *
s_easy_new (ws_fetch_t *self)
{
    CURL *easy = curl_easy_init ();
    if (!easy)
        return NULL;
    CURLcode rc = CURLE_OK;
#define S_SET(option, value)                                                   \
    if (rc == CURLE_OK)                                                        \
    rc = curl_easy_setopt (easy, option, value)
    S_SET (CURLOPT_PROTOCOLS_STR, "http,https");
    S_SET (CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    S_SET (CURLOPT_MAXREDIRS, (long) S_MAX_REDIRECTS);
    S_SET (CURLOPT_NOSIGNAL, 1L);
    S_SET (CURLOPT_USERAGENT, WS_FETCH_USER_AGENT);
    S_SET (CURLOPT_ACCEPT_ENCODING, "");
    S_SET (CURLOPT_WRITEFUNCTION, s_on_write);
    S_SET (CURLOPT_SHARE, self->share);
    S_SET (CURLOPT_TCP_KEEPALIVE, 1L);
#undef S_SET
    if (rc != CURLE_OK) {
        curl_easy_cleanup (easy);
        return NULL;
    }
    return easy;
}

//  Give a queued transfer an easy handle and add it to the multi handle.
static void
s_activate (ws_fetch_t *self, s_transfer_t *transfer)
{
    CURL *easy = self->free_easy_count
                     ? self->free_easy[--self->free_easy_count]
                     : s_easy_new (self);
    transfer->too_big = false;
    transfer->errbuf[0] = '\0';
    transfer->received = 0;
    ws_buf_reset (&transfer->body);
    //  A pooled transfer may have served the other kind last.
    transfer->body.limit =
        transfer->source ? self->config.body_cap : WS_FETCH_POST_KEEP;
    if (!easy || s_setup (self, transfer, easy)
        || curl_multi_add_handle (self->multi, easy) != CURLM_OK) {
        if (easy)
            s_easy_put (self, easy);
        //  Never call back from inside ws_fetch_start: finish next turn.
        transfer->timer =
            ws_loop_timer (self->loop, 0, false, s_on_finish_later, transfer);
        return;
    }
    transfer->easy = easy;
    self->active++;
}

static void
s_pump (ws_fetch_t *self)
{
    while (self->queue_head && self->active < self->config.concurrency) {
        s_transfer_t *transfer = self->queue_head;
        self->queue_head = transfer->next;
        if (!self->queue_head)
            self->queue_tail = NULL;
        transfer->next = NULL;
        s_activate (self, transfer);
    }
}

static int
s_on_retry (ws_loop_t *loop, void *arg)
{
    (void) loop;
    s_transfer_t *transfer = (s_transfer_t *) arg;
    transfer->timer = 0;
    transfer->attempt++;
    s_enqueue (transfer->fetch, transfer);
    s_pump (transfer->fetch);
    return 0;
}

//  A short, printable start of an error body for the message: servers
//  often say why ("rate limit exceeded"). At most max characters; with
//  first_line, only the first line that is not blank (a webhook
//  receiver's answer is often a page of HTML or a stack trace).
static void
s_snippet (const ws_buf_t *body, size_t max, bool first_line, char *out,
           size_t size)
{
    size_t len = 0;
    for (size_t i = 0; i < body->len && len + 1 < size && len < max; i++) {
        unsigned char c = (unsigned char) body->data[i];
        if (first_line && len && (c == '\r' || c == '\n'))
            break;
        if (c == '\r' || c == '\n' || c == '\t')
            c = ' ';
        if (c < 0x20 || c >= 0x7f)
            continue;
        if (c == ' ' && (len == 0 || out[len - 1] == ' '))
            continue;
        out[len++] = (char) c;
    }
    while (len && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
}

//  The response's Retry-After (RFC 9110 10.2.3) in ms: delta-seconds or
//  an HTTP-date, less now and 0 when past. -1 when there is none or it
//  is neither form. Read with curl's header API rather than
//  CURLINFO_RETRY_AFTER, which gives 0 both for "Retry-After: 0" and
//  for no header at all.
static int64_t
s_retry_after_ms (CURL *easy)
{
    struct curl_header *header = NULL;
    if (curl_easy_header (easy, "Retry-After", 0, CURLH_HEADER, -1, &header)
            != CURLHE_OK
        || !header || !header->value)
        return -1;
    const char *value = header->value;
    while (*value == ' ' || *value == '\t')
        value++;
    if (isdigit ((unsigned char) *value)) {
        int64_t seconds = 0;
        const char *at = value;
        //  Past ten years is as good as never: no overflow.
        for (; isdigit ((unsigned char) *at); at++)
            if (seconds < 315360000)
                seconds = seconds * 10 + (*at - '0');
        while (*at == ' ' || *at == '\t')
            at++;
        if (*at)
            return -1;
        if (seconds > 315360000)
            seconds = 315360000;
        return seconds * 1000;
    }
    time_t date = curl_getdate (value, NULL);
    if (date == (time_t) -1)
        return -1;
    int64_t delay = (int64_t) date * 1000 - ws_wall_ms ();
    return delay > 0 ? delay : 0;
}

//  Redirects followed by the attempt so far.
static long
s_redirect_count (CURL *easy)
{
    long count = 0;
    curl_easy_getinfo (easy, CURLINFO_REDIRECT_COUNT, &count);
    return count;
}

//  Decide the outcome of one attempt: done (ok or failed) or retry.
static void
s_on_done (ws_fetch_t *self, s_transfer_t *transfer, CURLcode code)
{
    CURL *easy = transfer->easy;
    long status = 0;
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &status);
    bool post = transfer->source == NULL;
    int64_t retry_after_ms = status ? s_retry_after_ms (easy) : -1;
    const char *kind = NULL;
    bool transient = false;
    ws_err_t err;
    ws_err_clear (&err);
    const char *detail =
        transfer->errbuf[0] ? transfer->errbuf : curl_easy_strerror (code);

    if (transfer->too_big || code == CURLE_FILESIZE_EXCEEDED) {
        char cap[32];
        s_format_size (self->config.body_cap, cap, sizeof cap);
        kind = "size";
        ws_err_set (&err, WS_ERR_INPUT, "body over the %s cap", cap);
    }
    else if (code == CURLE_OK) {
        if (post && (status < 200 || status > 299)) {
            //  Not followed: a delivery goes where it was told, or
            //  fails (its redirect may be a misconfigured receiver).
            char snippet[208];
            s_snippet (&transfer->body, 200, true, snippet, sizeof snippet);
            kind = "http";
            ws_err_set (&err, WS_ERR_HTTP, "HTTP %ld%s%s%s", status,
                        status >= 300 && status < 400
                            ? " (redirects are not followed)"
                            : "",
                        *snippet ? ": " : "", snippet);
        }
        else if (!post && status >= 400) {
            char snippet[96];
            s_snippet (&transfer->body, 80, false, snippet, sizeof snippet);
            kind = "http";
            transient = status == 429 || status >= 500;
            ws_err_set (&err, WS_ERR_HTTP, "HTTP %ld%s%s", status,
                        *snippet ? ": " : "", snippet);
        }
    }
    else if (code == CURLE_OPERATION_TIMEDOUT) {
        kind = "timeout";
        transient = true;
        ws_err_set (&err, WS_ERR_TIMEOUT, "%s", detail);
    }
    else if (code == CURLE_UNSUPPORTED_PROTOCOL && !post
             && s_redirect_count (easy) > 0) {
        //  A server sent us to file:, gopher:, ... (CURLOPT_REDIR_
        //  PROTOCOLS_STR): its answer is at fault, not the network.
        char *target = NULL;
        curl_easy_getinfo (easy, CURLINFO_EFFECTIVE_URL, &target);
        kind = "http";
        ws_err_set (&err, WS_ERR_HTTP,
                    "redirect to '%.120s' refused (HTTP %ld): only http and "
                    "https are followed",
                    target ? target : "?", status);
    }
    else if (code == CURLE_TOO_MANY_REDIRECTS) {
        kind = "http";
        ws_err_set (&err, WS_ERR_HTTP, "more than %d redirects (HTTP %ld)",
                    S_MAX_REDIRECTS, status);
    }
    else if (code == CURLE_OUT_OF_MEMORY || code == CURLE_WRITE_ERROR) {
        kind = "system";
        ws_err_set (&err, WS_ERR_SYSTEM, "%s", detail);
    }
    else {
        kind = "net";
        switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM: transient = true; break;
        default: break;
        }
        ws_err_set (&err, WS_ERR_NET, "%s", detail);
    }

    if (!kind) {
        s_finish (self, transfer, NULL, status, retry_after_ms, NULL);
        return;
    }
    //  A post is tried once: the coordinator retries it, durably.
    if (transient && !post
        && transfer->attempt <= ws_source_retries (transfer->source)) {
        int64_t delay = self->config.retry_base_ms << (transfer->attempt - 1);
        curl_off_t retry_after = -1;
        if ((status == 429 || status == 503) && code == CURLE_OK
            && curl_easy_getinfo (easy, CURLINFO_RETRY_AFTER, &retry_after)
                   == CURLE_OK
            && retry_after >= 0)
            delay = (int64_t) retry_after * 1000;
        bool fits = transfer->deadline
                        ? ws_wall_ms () + delay < transfer->deadline
                        : delay <= S_RETRY_AFTER_MAX;
        if (fits) {
            ws_debug ("source '%s': attempt %d failed (%s), retry in %lld ms",
                      ws_source_name (transfer->source), transfer->attempt,
                      err.text, (long long) delay);
            curl_multi_remove_handle (self->multi, easy);
            s_easy_put (self, easy);
            transfer->easy = NULL;
            self->active--;
            transfer->timer =
                ws_loop_timer (self->loop, delay, false, s_on_retry, transfer);
            return;
        }
    }
    if (transfer->attempt > 1) {
        char suffix[48];
        snprintf (suffix, sizeof suffix, " (after %d attempts)",
                  transfer->attempt);
        size_t len = strlen (err.text);
        size_t extra = strlen (suffix);
        if (len + extra >= sizeof err.text)
            len = sizeof err.text - 1 - extra;
        memcpy (err.text + len, suffix, extra + 1);
    }
    s_finish (self, transfer, kind, status, retry_after_ms, &err);
}

static void
s_check_done (ws_fetch_t *self)
{
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read (self->multi, &left))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        char *private_data = NULL;
        curl_easy_getinfo (message->easy_handle, CURLINFO_PRIVATE,
                           &private_data);
        s_transfer_t *transfer = (s_transfer_t *) private_data;
        assert (transfer && transfer->easy == message->easy_handle);
        s_on_done (self, transfer, message->data.result);
    }
    s_pump (self);
}

//  ---------------------------------------------------------------------
//  Headers with ${NAME} from the environment

static int
s_expand (const char *name, const char *value, ws_buf_t *out, ws_err_t *err)
{
    ws_buf_reset (out);
    if (ws_buf_printf (out, "%s", name))
        return ws_err_set (err, WS_ERR_INPUT, "header '%s': too long", name);
    const char *p = value;
    //  curl sends "Name;" as a header with an empty value; "Name:" would
    //  remove the header instead.
    const char *separator = ": ";
    size_t mark = out->len;
    if (ws_buf_append (out, separator, 2))
        return ws_err_set (err, WS_ERR_INPUT, "header '%s': too long", name);
    while (*p) {
        const char *start = strstr (p, "${");
        const char *close = start ? strchr (start + 2, '}') : NULL;
        if (!start || !close) {
            if (ws_buf_append (out, p, strlen (p)))
                return ws_err_set (err, WS_ERR_INPUT, "header '%s': too long",
                                   name);
            break;
        }
        char variable[256];
        size_t len = (size_t) (close - start - 2);
        if (len >= sizeof variable)
            return ws_err_set (err, WS_ERR_INPUT,
                               "header '%s': variable name too long", name);
        memcpy (variable, start + 2, len);
        variable[len] = '\0';
        const char *found = getenv (variable);
        if (!found)
            return ws_err_set (err, WS_ERR_INPUT,
                               "header '%s': environment variable %s is not "
                               "set on this worker",
                               name, variable);
        //  A line break would smuggle a header of its own.
        if (strpbrk (found, "\r\n"))
            return ws_err_set (err, WS_ERR_INPUT,
                               "header '%s': environment variable %s holds a "
                               "line break",
                               name, variable);
        if (ws_buf_append (out, p, (size_t) (start - p))
            || ws_buf_append (out, found, strlen (found)))
            return ws_err_set (err, WS_ERR_INPUT, "header '%s': too long",
                               name);
        p = close + 1;
    }
    if (out->len == mark + 2) {
        out->data[mark] = ';';
        out->data[mark + 1] = '\0';
        out->len = mark + 1;
    }
    return 0;
}

//  The header lines of headers (an object of strings, or NULL) with
//  ${NAME} expanded; post: the request has a body.
static int
s_build_headers (json_t *headers, bool post, struct curl_slist **list,
                 ws_err_t *err)
{
    const char *name;
    json_t *value;
    ws_buf_t line;
    ws_buf_init (&line, 65536);
    *list = NULL;
    //  A POST over 1 KiB would wait a second for "100 Continue" that few
    //  APIs send.
    if (post && !(*list = curl_slist_append (*list, "Expect:")))
        goto oom;
    json_object_foreach (headers, name, value) {
        //  Checked by ws_source and the codec already; a post's caller
        //  may not have: a line break would smuggle a header.
        const char *text = json_string_value (value);
        if (!text || !*name || strpbrk (name, ":\r\n")
            || strpbrk (text, "\r\n")) {
            ws_buf_free (&line);
            curl_slist_free_all (*list);
            *list = NULL;
            return ws_err_set (err, WS_ERR_INPUT,
                               "header '%s': expected a name without ':' and "
                               "a string value, without line breaks",
                               name);
        }
        if (s_expand (name, text, &line, err)) {
            ws_buf_free (&line);
            curl_slist_free_all (*list);
            *list = NULL;
            return -1;
        }
        struct curl_slist *grown = curl_slist_append (*list, line.data);
        if (!grown)
            goto oom;
        *list = grown;
    }
    ws_buf_free (&line);
    return 0;
oom:
    ws_buf_free (&line);
    curl_slist_free_all (*list);
    *list = NULL;
    return ws_err_set (err, WS_ERR_SYSTEM, "headers: out of memory");
}

//  ---------------------------------------------------------------------
//  Public API

ws_fetch_t *
ws_fetch_new (ws_loop_t *loop, const ws_fetch_config_t *config, ws_err_t *err)
{
    assert (loop);
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ws_err_set (err, WS_ERR_SYSTEM, "libcurl: global init failed");
        return NULL;
    }
    ws_fetch_t *self = s_alloc (sizeof *self);
    self->loop = loop;
    if (config)
        self->config = *config;
    if (!self->config.concurrency)
        self->config.concurrency = S_CONCURRENCY_DEFAULT;
    if (!self->config.body_cap)
        self->config.body_cap = S_BODY_CAP_DEFAULT;
    if (self->config.connect_timeout_ms <= 0)
        self->config.connect_timeout_ms = S_CONNECT_TIMEOUT_DEFAULT;
    if (self->config.retry_base_ms <= 0)
        self->config.retry_base_ms = S_RETRY_BASE_DEFAULT;
    self->free_easy = s_alloc (self->config.concurrency * sizeof (CURL *));
    self->multi = curl_multi_init ();
    self->share = curl_share_init ();
    if (!self->multi || !self->share) {
        ws_err_set (err, WS_ERR_SYSTEM, "libcurl: cannot create handles");
        ws_fetch_destroy (&self);
        return NULL;
    }
    //  The multi handle already shares its connection cache among its
    //  easy handles; the share adds TLS session ids (per easy handle
    //  otherwise) and DNS. No lock functions: one thread.
    curl_share_setopt (self->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt (self->share, CURLSHOPT_SHARE,
                       CURL_LOCK_DATA_SSL_SESSION);
    long connections = (long) self->config.concurrency;
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, s_curl_socket);
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, s_curl_timer);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
    curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, connections);
    curl_multi_setopt (self->multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
    return self;
}

void
ws_fetch_destroy (ws_fetch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_fetch_t *self = *self_p;
    while (self->live)
        s_transfer_put (self, self->live);
    while (self->free_transfers) {
        s_transfer_t *transfer = self->free_transfers;
        self->free_transfers = transfer->next;
        ws_buf_free (&transfer->body);
        free (transfer);
    }
    for (size_t i = 0; i < self->free_easy_count; i++)
        curl_easy_cleanup (self->free_easy[i]);
    free (self->free_easy);
    if (self->multi)
        curl_multi_cleanup (self->multi);
    if (self->share)
        curl_share_cleanup (self->share);
    if (self->timer)
        ws_loop_timer_end (self->loop, self->timer);
    free (self);
    curl_global_cleanup ();
    *self_p = NULL;
}

//  Queue a transfer taken from the pool (its request set) and start
//  what the concurrency allows.
static void
s_transfer_start (ws_fetch_t *self, s_transfer_t *transfer,
                  struct curl_slist *headers, ws_fetch_done_fn *fn, void *arg,
                  int64_t deadline)
{
    transfer->headers = headers;
    transfer->fn = fn;
    transfer->arg = arg;
    transfer->deadline = deadline;
    transfer->started = ws_clock_ms ();
    transfer->attempt = 1;
    transfer->timer = 0;
    self->running++;
    s_enqueue (self, transfer);
    s_pump (self);
}

int
ws_fetch_start (ws_fetch_t *self, ws_source_t *source, int64_t tick_ms,
                int64_t deadline, ws_fetch_done_fn *fn, void *arg,
                ws_err_t *err)
{
    assert (self && source && fn);
    ws_request_t *request = ws_source_request (source);
    bool post = strcmp (ws_source_method (source), "POST") == 0;
    struct curl_slist *headers;
    if (s_build_headers (ws_source_headers (source), post, &headers, err))
        return -1;
    //  The Authorization header from this worker's environment; the
    //  secret is wiped from the stack once libcurl has its copy.
    char auth[WS_REQUEST_AUTH_MAX];
    int rc = ws_request_auth_header (request, auth, sizeof auth, err);
    if (rc == 0) {
        struct curl_slist *grown = curl_slist_append (headers, auth);
        if (!grown)
            rc = ws_err_set (err, WS_ERR_SYSTEM, "headers: out of memory");
        else
            headers = grown;
        OPENSSL_cleanse (auth, sizeof auth);
    }
    int64_t interval = ws_source_interval_ms (source);
    char *url = rc < 0 ? NULL
                       : ws_request_url (request, ws_source_url (source),
                                         tick_ms, interval, err);
    const char *template = ws_source_body (source);
    char *body = url && post && template
                     ? ws_request_render_body (template, tick_ms, interval, err)
                     : NULL;
    if (!url || (post && template && !body)) {
        free (url);
        curl_slist_free_all (headers);
        return -1;
    }
    s_transfer_t *transfer = s_transfer_get (self);
    transfer->source = source;
    transfer->url = url;
    transfer->post_body = body;
    transfer->post_len = body ? strlen (body) : 0;
    s_transfer_start (self, transfer, headers, fn, arg, deadline);
    return 0;
}

int
ws_fetch_post (ws_fetch_t *self, const ws_fetch_request_t *request,
               ws_fetch_done_fn *fn, void *arg, ws_err_t *err)
{
    assert (self && request && request->url && fn);
    assert (request->body || !request->len);
    struct curl_slist *headers;
    if (s_build_headers (request->headers, true, &headers, err))
        return -1;
    char *url = strdup (request->url);
    char *body = malloc (request->len + 1);
    if (!url || !body) {
        free (url);
        free (body);
        curl_slist_free_all (headers);
        return ws_err_set (err, WS_ERR_SYSTEM, "post: out of memory");
    }
    if (request->len)
        memcpy (body, request->body, request->len);
    body[request->len] = '\0';
    s_transfer_t *transfer = s_transfer_get (self);
    transfer->source = NULL;
    transfer->url = url;
    transfer->post_body = body;
    transfer->post_len = request->len;
    transfer->timeout_ms = request->timeout_ms > 0 ? request->timeout_ms : 1;
    s_transfer_start (self, transfer, headers, fn, arg, 0);
    return 0;
}

size_t
ws_fetch_running (ws_fetch_t *self)
{
    return self->running;
}

size_t
ws_fetch_active (ws_fetch_t *self)
{
    return self->active;
}
