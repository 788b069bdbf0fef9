//  ws_fetch - many HTTP transfers at once inside the process's ws_loop
//  (libcurl multi, socket interface, as curl's ephiperfifo.c): curl's
//  sockets are ws_loop fds, curl's timer a ws_loop timer, so a worker
//  fetches hundreds of sources from one thread without blocking.
//
//  At most `concurrency` transfers run; the rest wait in a FIFO queue.
//  Connections are kept and reused (the multi handle's connection cache,
//  sized to the concurrency), TLS sessions and DNS answers are shared
//  through a curl share, easy handles are pooled. TLS is always verified.
//
//  One fetch is one job's request with its retries: a transient failure
//  (connection error, timeout, 429, 5xx) is tried again up to the
//  source's "retries", after 250 ms x 2^k, or after the Retry-After of a
//  429/503 when that ends before the job's deadline; other 4xx and body
//  cap overruns are not retried. The callback is called once, with the
//  last attempt's outcome.
//
//  A hostile server gets an error on its source, never more (each case
//  is in tests/e2e/t1130-hostile-sources.sh): only http and https are
//  spoken, also after a redirect (a redirect elsewhere, to file: or
//  gopher:, is an "http" error naming the target); at most 5 redirects;
//  the body cap counts decoded bytes, so a gzip bomb stops at the cap,
//  and a Content-Length over it is refused before the body is read; the
//  source's timeout covers the whole transfer, so a server that drips a
//  byte a second or never answers is a "timeout".
//
//  Header values may hold ${NAME}: it is replaced by the worker's
//  environment variable NAME when the fetch starts, so tokens never pass
//  through the coordinator or the database. Values are never logged.
//
//  A post (ws_fetch_post) is one webhook delivery: exactly one POST, no
//  retry (the coordinator retries, durably), no redirect followed (a 3xx
//  is an "http" error), TLS verified as for sources; the response body
//  is read to its end but only its first WS_FETCH_POST_KEEP bytes are
//  kept, and a longer one is no error.
#ifndef WS_FETCH_H
#define WS_FETCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_buf.h"
#include "ws_err.h"
#include "ws_loop.h"
#include "ws_source.h"

#define WS_FETCH_USER_AGENT "watershed/0.1"
//  Bytes of a post's response body kept for the result.
#define WS_FETCH_POST_KEEP 4096

typedef struct _ws_fetch_t ws_fetch_t;

//  Zero fields take the default.
typedef struct {
    size_t concurrency;          //  transfers at once, default 256
    size_t body_cap;             //  most body bytes, default 8 MiB
    int64_t connect_timeout_ms;  //  default 5 s; never above the source's
                                 //  timeout
    int64_t retry_base_ms;       //  first backoff, default 250 ms
} ws_fetch_config_t;

//  The outcome of one fetch. Everything is borrowed for the duration of
//  the callback only.
typedef struct {
    //  NULL on success, else the RESULT error_kind: "net", "timeout",
    //  "http", "size" or "system".
    const char *error_kind;
    long http_status;     //  of the last response, 0 if none
    ws_buf_t *body;       //  the last response's body (decoded); the
                          //  callback may steal its data
    int64_t duration_ms;  //  start to end, waits and retries included
    size_t bytes;         //  body bytes of the last response (for a
                          //  post: all it sent, kept or not)
    int attempts;         //  1 + retries made
    //  The last response's Retry-After in ms (delta-seconds, or an
    //  HTTP-date less now, 0 when past); -1 when it had none or it was
    //  not readable.
    int64_t retry_after_ms;
    const char *content_type;  //  of the last response, "" if none
    const char *url;           //  as requested (params appended)
} ws_fetch_result_t;

//  One POST (ws_fetch_post). Everything is copied by ws_fetch_post: the
//  caller may free it when the call returns.
typedef struct {
    const char *url;     //  http:// or https://
    json_t *headers;     //  object of strings with ${NAME}, or NULL
    const char *body;    //  len bytes, may be NULL when len is 0
    size_t len;          //  of body
    int64_t timeout_ms;  //  the whole transfer, connect included (>= 1)
} ws_fetch_request_t;

//  Called once per ws_fetch_start, from the loop, never from inside
//  ws_fetch_start. err is NULL on success, else names what failed, e.g.
//  "HTTP 503: busy (after 3 attempts)". The callback may start new
//  fetches but must not destroy the fetcher.
typedef void (ws_fetch_done_fn) (const ws_fetch_result_t *result,
                                 const ws_err_t *err, void *arg);

//  Create a fetcher driven by loop (borrowed; must outlive it). NULL with
//  *err if libcurl cannot be set up.
ws_fetch_t *ws_fetch_new (ws_loop_t *loop, const ws_fetch_config_t *config,
                          ws_err_t *err);

//  Stop every transfer (their callbacks are not called) and free all;
//  NULLs *self_p. Call before destroying the loop.
void ws_fetch_destroy (ws_fetch_t **self_p);

//  Fetch source (borrowed until the callback has run) for the tick (ms;
//  its period fills the source's params and body placeholders,
//  ws_request.h). deadline is wall clock epoch ms (0: none): no retry
//  starts after it. Returns 0, or -1 with *err (code WS_ERR_INPUT, e.g. a
//  ${NAME} or an auth variable not set in the environment; the callback
//  is then not called).
int ws_fetch_start (ws_fetch_t *self, ws_source_t *source, int64_t tick_ms,
                    int64_t deadline, ws_fetch_done_fn *fn, void *arg,
                    ws_err_t *err);

//  POST request once (see above). The callback is called once, from the
//  loop, with the response's status, Retry-After and the first
//  WS_FETCH_POST_KEEP bytes of its body; err is NULL for a 2xx answer,
//  else "HTTP 503: <first line of the body>", a network error or a
//  timeout. Returns 0, or -1 with *err (WS_ERR_INPUT: a ${NAME} not set,
//  naming the header and the variable; WS_ERR_SYSTEM: out of memory);
//  the callback is then not called.
int ws_fetch_post (ws_fetch_t *self, const ws_fetch_request_t *request,
                   ws_fetch_done_fn *fn, void *arg, ws_err_t *err);

//  Fetches started whose callback has not run yet (running, queued or
//  waiting to retry).
size_t ws_fetch_running (ws_fetch_t *self);

//  Transfers running in libcurl now (at most the concurrency).
size_t ws_fetch_active (ws_fetch_t *self);

#endif
