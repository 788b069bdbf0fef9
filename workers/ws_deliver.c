//  ws_deliver - the worker side of webhook deliveries.
#include "ws_deliver.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_log.h"

typedef struct s_delivery_t s_delivery_t;

//  One job whose POST is under way.
struct s_delivery_t {
    ws_deliver_t *owner;  //  borrowed
    int64_t id;
    int64_t attempt;
    int64_t tick;
    int64_t delivery_id;
    s_delivery_t *prev;  //  the owner's list of running jobs
    s_delivery_t *next;
};

struct _ws_deliver_t {
    ws_fetch_t *fetch;  //  borrowed
    ws_deliver_done_fn *fn;
    void *arg;
    s_delivery_t *running;  //  owns each
    size_t count;
};

//  Out of memory in the worker's bookkeeping aborts (STYLE.md).
static void *
s_check (void *memory)
{
    if (!memory) {
        ws_error ("worker: out of memory");
        abort ();
    }
    return memory;
}

//  json_object_set_new, which steals value also when it fails.
static void
s_set (json_t *object, const char *key, json_t *value)
{
    if (json_object_set_new (object, key, value)) {
        ws_error ("worker: out of memory");
        abort ();
    }
}

//  Length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
//  surrogates, nothing past U+10FFFF) at text, of at most left bytes; 0
//  if none starts there.
static size_t
s_utf8_valid (const unsigned char *text, size_t left)
{
    unsigned char c = text[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char low = 0x80, high = 0xBF;  //  range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            low = 0xA0;
        if (c == 0xED)
            high = 0x9F;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            low = 0x90;
        if (c == 0xF4)
            high = 0x8F;
    }
    else
        return 0;
    if (len > left || text[1] < low || text[1] > high)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((text[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

json_t *
ws_deliver_text (const char *text, size_t len, size_t max)
{
    if (len > max)
        len = max;
    char *copy = malloc (len + 1);
    if (!copy)
        return NULL;
    const unsigned char *bytes = (const unsigned char *) text;
    size_t at = 0;
    while (at < len) {
        size_t seq = s_utf8_valid (bytes + at, len - at);
        if (seq == 0 || bytes[at] == '\0') {
            copy[at++] = '?';
            continue;
        }
        memcpy (copy + at, bytes + at, seq);
        at += seq;
    }
    copy[len] = '\0';
    json_t *string = json_stringn (copy, len);
    free (copy);
    return string;
}

//  The RESULT item. body is the response (NULL when there was none);
//  retry_after_ms < 0 leaves Retry-After out.
static json_t *
s_result (const s_delivery_t *job, const char *kind, const char *error,
          long status, int64_t duration_ms, int64_t retry_after_ms,
          const ws_buf_t *body)
{
    if (status < 0 || status > 999)
        status = 0;
    json_t *result = s_check (json_pack (
        "{s:I, s:I, s:s, s:I, s:I, s:b, s:o, s:o, s:I, s:I}", "id",
        (json_int_t) job->id, "attempt", (json_int_t) job->attempt, "kind",
        "deliver", "tick", (json_int_t) job->tick, "delivery_id",
        (json_int_t) job->delivery_id, "ok", error == NULL, "error",
        error ? s_check (ws_deliver_text (error, strlen (error), SIZE_MAX))
              : json_null (),
        "error_kind", kind ? json_string (kind) : json_null (), "http_status",
        (json_int_t) status, "duration_ms",
        (json_int_t) (duration_ms > 0 ? duration_ms : 0)));
    if (retry_after_ms >= 0)
        s_set (result, "retry_after_ms", json_integer (retry_after_ms));
    //  What the receiver said, when it said anything: a webhook's
    //  answer is often the only clue to why it refused.
    if (body && status > 0)
        s_set (result, "response",
               ws_deliver_text (body->data ? body->data : "", body->len,
                                WS_FETCH_POST_KEEP));
    return result;
}

static void
s_answer (ws_deliver_t *self, const s_delivery_t *job, json_t *result)
{
    self->fn (job->id, result, self->arg);
    json_decref (result);
}

static void
s_unlink (ws_deliver_t *self, s_delivery_t *job)
{
    if (job->prev)
        job->prev->next = job->next;
    else
        self->running = job->next;
    if (job->next)
        job->next->prev = job->prev;
    self->count--;
}

static void
s_on_posted (const ws_fetch_result_t *posted, const ws_err_t *err, void *arg)
{
    s_delivery_t *job = (s_delivery_t *) arg;
    ws_deliver_t *self = job->owner;
    s_unlink (self, job);
    if (err)
        ws_info ("delivery %" PRId64 ": job %" PRId64 " failed (%s): %s",
                 job->delivery_id, job->id, posted->error_kind, err->text);
    else
        ws_info ("delivery %" PRId64 ": job %" PRId64 ": HTTP %ld, %" PRId64
                 " ms",
                 job->delivery_id, job->id, posted->http_status,
                 posted->duration_ms);
    s_answer (self, job,
              s_result (job, posted->error_kind, err ? err->text : NULL,
                        posted->http_status, posted->duration_ms,
                        posted->retry_after_ms, posted->body));
    free (job);
}

ws_deliver_t *
ws_deliver_new (ws_fetch_t *fetch, ws_deliver_done_fn *fn, void *arg)
{
    assert (fetch && fn);
    ws_deliver_t *self = s_check (calloc (1, sizeof *self));
    self->fetch = fetch;
    self->fn = fn;
    self->arg = arg;
    return self;
}

void
ws_deliver_destroy (ws_deliver_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_deliver_t *self = *self_p;
    while (self->running) {
        s_delivery_t *job = self->running;
        self->running = job->next;
        free (job);
    }
    free (self);
    *self_p = NULL;
}

void
ws_deliver_start (ws_deliver_t *self, json_t *def)
{
    assert (self && def);
    //  The codec checked every field's type and range.
    json_t *request = json_object_get (def, "request");
    s_delivery_t *job = s_check (calloc (1, sizeof *job));
    job->owner = self;
    job->id = json_integer_value (json_object_get (def, "id"));
    job->attempt = json_integer_value (json_object_get (def, "attempt"));
    job->tick = json_integer_value (json_object_get (def, "tick"));
    job->delivery_id =
        json_integer_value (json_object_get (def, "delivery_id"));
    int64_t deadline = json_integer_value (json_object_get (def, "deadline"));
    int64_t timeout =
        json_integer_value (json_object_get (request, "timeout_ms"));
    int64_t now = ws_wall_ms ();
    //  Too late to be of use (PROTOCOL.md 8.3): answered, not sent. A
    //  POST never outlives the deadline either: the coordinator has
    //  stopped waiting by then and sends the delivery again.
    if (deadline > 0 && now >= deadline) {
        ws_info ("delivery %" PRId64 ": job %" PRId64
                 ": deadline passed before it was sent",
                 job->delivery_id, job->id);
        s_answer (self, job,
                  s_result (job, "timeout",
                            "the job's deadline passed before it was sent", 0,
                            0, -1, NULL));
        free (job);
        return;
    }
    if (deadline > 0 && deadline - now < timeout)
        timeout = deadline - now;
    json_t *body = json_object_get (request, "body");
    ws_fetch_request_t post = {
        json_string_value (json_object_get (request, "url")),
        json_object_get (request, "headers"), json_string_value (body),
        json_string_length (body), timeout};
    ws_err_t err;
    if (ws_fetch_post (self->fetch, &post, s_on_posted, job, &err)) {
        const char *kind = err.code == WS_ERR_INPUT ? "input" : "system";
        ws_info ("delivery %" PRId64 ": job %" PRId64 " refused (%s): %s",
                 job->delivery_id, job->id, kind, err.text);
        s_answer (self, job, s_result (job, kind, err.text, 0, 0, -1, NULL));
        free (job);
        return;
    }
    job->next = self->running;
    if (job->next)
        job->next->prev = job;
    self->running = job;
    self->count++;
}

size_t
ws_deliver_running (ws_deliver_t *self)
{
    assert (self);
    return self->count;
}
