//  ws_coord - the coordinator: workers, jobs, results, the write path.
#include "ws_coord.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ws_coord_private.h"
#include "ws_buf.h"
#include "ws_curve.h"
#include "ws_log.h"
#include "ws_msg.h"
#include "ws_time.h"
#include "ws_trend_events.h"

static void s_queue_push (ws_coord_t *self, s_job_t *job);
static void s_queue_push_front (ws_coord_t *self, s_job_t *job);

//  ---------------------------------------------------------------------
//  Workers

static void
s_worker_free (void *value)
{
    s_worker_t *worker = value;
    if (worker) {
        free (worker->name);
        free (worker->host);
        ws_map_destroy (&worker->defs);
        free (worker);
    }
}

static void
s_job_free (void *value)
{
    s_job_t *job = value;
    if (job)
        free (job->payload);
    free (job);
}

static void
s_send (ws_coord_t *self, void *socket, const uint8_t *peer, size_t peer_len,
        ws_msg_id_t id, json_t *body)
{
    ws_msg_t *msg = ws_msg_new (id, &body);
    ws_msg_set_routing_id (msg, peer, peer_len);
    ws_err_t err;
    if (ws_msg_send (&msg, socket, &err))
        ws_info ("send %s: %s", ws_msg_id_name (id), err.text);
    (void) self;
}

static void
s_send_worker (ws_coord_t *self, s_worker_t *worker, ws_msg_id_t id,
               json_t *body)
{
    ws_msg_t *msg = ws_msg_new (id, &body);
    ws_msg_set_routing_id (msg, worker->id, worker->id_len);
    ws_err_t err;
    if (ws_msg_send (&msg, self->workers, &err)) {
        //  ROUTER_MANDATORY: the peer is gone. Expire it at the next cron.
        ws_info ("worker '%s': send %s failed: %s", worker->name,
                 ws_msg_id_name (id), err.text);
        worker->last_seen = 0;
    }
    else
        worker->last_sent = ws_clock_ms ();
}

static void s_scan_lost (ws_coord_t *self);
static void s_missed_add (ws_coord_t *self, ws_sched_source_t *source,
                          int64_t first, int64_t last, const char *reason,
                          const char *error);

//  Queue a job again after its worker died or its deadline passed; past
//  the attempt limit the tick is recorded as failed for the source.
static void
s_retry_job (ws_coord_t *self, s_job_t *job, const char *why)
{
    if (job->worker) {
        job->worker->in_flight--;
        job->worker = NULL;
    }
    if (job->kind == S_JOB_PROBE) {
        //  A test is one attempt: its client hears why there is none.
        ws_coord_probe_lost (self, job->id, why);
        ws_map_delete_int (self->jobs, job->id);
        return;
    }
    if (job->kind == S_JOB_DELIVER) {
        //  Whether the POST went out is unknown: the delivery records a
        //  failed attempt and is retried with its backoff and the same
        //  key, from the database rather than from here.
        ws_coord_hooks_job_lost (self, job->delivery_id, why);
        ws_map_delete_int (self->jobs, job->id);
        return;
    }
    if (job->kind != S_JOB_COLLECT) {
        if (job->attempt >= self->max_attempts) {
            if (job->kind == S_JOB_ANALYZE) {
                ws_warning ("series %" PRId64 ": analysis abandoned after %d "
                            "attempts: %s",
                            job->series_id, job->attempt, why);
                self->stats.analyses_failed++;
            }
            else {
                ws_warning ("goal %" PRId64 ": evaluation abandoned after %d "
                            "attempts: %s",
                            job->goal_id, job->attempt, why);
                self->stats.goal_evaluations_failed++;
            }
            ws_map_delete_int (self->jobs, job->id);
            return;
        }
        job->attempt++;
        self->stats.jobs_redispatched++;
        s_queue_push_front (self, job);
        return;
    }
    ws_sched_source_t *source = ws_sched_get (self->sched, job->source_id);
    if (job->attempt >= self->max_attempts || !source) {
        if (source) {
            char error[200];
            snprintf (error, sizeof error,
                      "tick abandoned after %d attempts: %s", job->attempt,
                      why);
            source->outstanding--;
            ws_sched_record (self->sched, source, job->tick, false, 0, error,
                             "timeout", NULL, ws_wall_ms ());
            s_missed_add (self, source, job->tick, job->tick, "error", error);
        }
        self->stats.jobs_abandoned++;
        ws_map_delete_int (self->jobs, job->id);
        return;
    }
    job->attempt++;
    self->stats.jobs_redispatched++;
    s_queue_push_front (self, job);
}

static int
s_requeue_worker_job (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_job_t *job = value;
    void **pair = arg;
    if (job->worker == pair[1])
        s_retry_job (pair[0], job, "its worker left");
    return 0;
}

static void
s_worker_remove (ws_coord_t *self, s_worker_t *worker, const char *why)
{
    ws_notice ("worker '%s': %s; %d jobs go to other workers", worker->name,
               why, worker->in_flight);
    void *pair[2] = {self, worker};
    ws_map_each (self->jobs, s_requeue_worker_job, pair);
    ws_map_delete (self->workers_by_id, worker->id, worker->id_len);
}

//  ---------------------------------------------------------------------
//  The job queue: jobs waiting for a worker, oldest first.

static void
s_queue_push (ws_coord_t *self, s_job_t *job)
{
    job->next = NULL;
    job->queued = true;
    if (self->queue_tail)
        self->queue_tail->next = job;
    else
        self->queue_head = job;
    self->queue_tail = job;
    self->queue_length++;
}

void
ws_coord_queue_job (ws_coord_t *self, s_job_t *job)
{
    job->id = self->incarnation | ++self->job_counter;
    job->attempt = 1;
    ws_map_put_int (self->jobs, job->id, job);
    s_queue_push (self, job);
}

static void
s_queue_push_front (ws_coord_t *self, s_job_t *job)
{
    job->queued = true;
    job->next = self->queue_head;
    self->queue_head = job;
    if (!self->queue_tail)
        self->queue_tail = job;
    self->queue_length++;
}

static s_job_t *
s_queue_pop (ws_coord_t *self)
{
    s_job_t *job = self->queue_head;
    if (job) {
        self->queue_head = job->next;
        if (!self->queue_head)
            self->queue_tail = NULL;
        job->next = NULL;
        job->queued = false;
        self->queue_length--;
    }
    return job;
}

//  ---------------------------------------------------------------------
//  Scheduling and dispatch

//  The ticks the schedule jumped over since the source's last planned
//  one (a backoff, a stall) are recorded as missed, with why.
static void
s_account_jump (ws_coord_t *self, ws_sched_source_t *source, int64_t tick)
{
    int64_t step = source->interval_ms;
    if (source->last_planned && tick > source->last_planned + step) {
        //  A backoff keeps the error that caused it; falling behind is
        //  said by the reason alone.
        bool backoff =
            source->skip_why && strcmp (source->skip_why, "backoff") == 0;
        s_missed_add (self, source, source->last_planned + step, tick - step,
                      backoff ? "backoff" : "behind",
                      backoff ? source->last_error : NULL);
    }
    source->skip_why = NULL;
    source->last_planned = tick;
}

static void
s_schedule_due (ws_coord_t *self)
{
    if (self->draining)
        return;
    int64_t now = ws_wall_ms ();
    int64_t tick;
    ws_sched_source_t *source;
    while ((source = ws_sched_next_due (self->sched, now, &tick))) {
        s_account_jump (self, source, tick);
        //  A source whose earlier ticks are all still waiting (no worker
        //  free) does not pile up jobs without bound: the tick is
        //  recorded as skipped.
        if (source->outstanding >= self->max_outstanding) {
            char error[160];
            snprintf (error, sizeof error,
                      "tick skipped: %d earlier ticks still outstanding "
                      "(no worker free?)",
                      source->outstanding);
            ws_sched_record_skipped (self->sched, source, tick, error, now);
            //  The reason says it all: no text to store with every
            //  skipped tick, and runs of them merge.
            s_missed_add (self, source, tick, tick, "skipped", NULL);
            self->stats.ticks_skipped++;
            continue;
        }
        s_job_t *job = calloc (1, sizeof *job);
        if (!job)
            abort ();
        job->id = self->incarnation | ++self->job_counter;
        job->source_id = source->id;
        job->tick = tick;
        job->attempt = 1;
        source->outstanding++;
        ws_map_put_int (self->jobs, job->id, job);
        s_queue_push (self, job);
        self->stats.jobs_created++;
    }
}

int64_t
ws_coord_job_budget (ws_source_t *source)
{
    //  Room for every attempt inside the job and its backoff, plus slack
    //  for the round trip.
    int retries = ws_source_retries (source);
    return ws_source_timeout_ms (source) * (retries + 1) + (250LL << retries)
           + 5000;
}

//  Append one job to a JOB body being built as text. The source's
//  definition was encoded once when it was loaded (def_text): encoding it
//  again for every tick was the coordinator's largest cost per job.
//  test_ws_coord checks that these bodies pass ws_msg_validate.
static void
s_job_append (ws_buf_t *body, s_job_t *job, ws_sched_source_t *source,
              s_worker_t *worker, int64_t now)
{
    //  Jobs that carry their data (payload, JSON text): the same frame,
    //  their own subject fields.
    char fields[128];
    const char *kind = NULL;
    int64_t wait = 30000;
    if (job->kind == S_JOB_DELIVER) {
        kind = "deliver";
        wait = job->timeout_ms + 10000;  //  the hook's timeout, and the
                                         //  round trip
        snprintf (fields, sizeof fields,
                  "\"delivery_id\":%" PRId64 ",\"request\":", job->delivery_id);
    }
    else if (job->kind == S_JOB_EVALUATE) {
        kind = "evaluate";
        snprintf (fields, sizeof fields,
                  "\"goal_id\":%" PRId64 ",\"goal\":", job->goal_id);
    }
    else if (job->kind == S_JOB_PROBE) {
        kind = "probe";
        wait = job->timeout_ms;
        fields[0] = '\0';
    }
    else if (job->kind == S_JOB_ANALYZE) {
        kind = "analyze";
        snprintf (fields, sizeof fields,
                  "\"series_id\":%" PRId64 ",\"window_days\":%d,",
                  job->series_id, job->window_days);
    }
    if (kind) {
        job->deadline = now + wait;
        if (ws_buf_printf (body,
                           "%s{\"id\":%" PRIu64 ",\"attempt\":%d,\"kind\":"
                           "\"%s\",\"tick\":%" PRId64 ",\"deadline\":%" PRId64
                           ",%s",
                           body->len > 9 ? "," : "", job->id, job->attempt,
                           kind, job->tick, job->deadline, fields)
            || ws_buf_append (body, job->payload, strlen (job->payload))
            || ws_buf_append (body, "}", 1))
            abort ();
        return;
    }
    job->deadline = now + ws_coord_job_budget (source->source);
    //  The definition goes once per worker and version; later jobs name
    //  it by its version (the worker keeps it while connected).
    bool held = (int64_t) (intptr_t) ws_map_get_int (worker->defs,
                                                     (uint64_t) source->id)
                == source->version;
    if (ws_buf_printf (body,
                       "%s{\"id\":%" PRIu64 ",\"attempt\":%d,\"kind\":"
                       "\"collect\",\"tick\":%" PRId64 ",\"deadline\":%" PRId64
                       ",\"source_id\":%" PRId64 ",\"version\":%" PRId64,
                       body->len > 9 ? "," : "", job->id, job->attempt,
                       job->tick, job->deadline, job->source_id,
                       source->version)
        || (!held
            && (ws_buf_append (body, ",\"source\":", 10)
                || ws_buf_append (body, source->def_text,
                                  strlen (source->def_text))))
        || ws_buf_append (body, "}", 1))
        abort ();  //  the loop's own bookkeeping: out of memory
    if (!held)
        ws_map_put_int (worker->defs, (uint64_t) source->id,
                        (void *) (intptr_t) source->version);
}

typedef struct {
    s_worker_t **items;
    size_t count, max;
} s_worker_list_t;

static int
s_collect_ready (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_worker_t *worker = value;
    s_worker_list_t *list = arg;
    if (worker->in_flight < worker->credit && worker->last_seen) {
        if (list->count == list->max) {
            list->max = list->max ? list->max * 2 : 16;
            list->items = realloc (list->items, list->max * sizeof (void *));
            if (!list->items)
                abort ();
        }
        list->items[list->count++] = worker;
    }
    return 0;
}

//  Hand queued jobs to workers with free credit, a batch per JOB message.
//  Workers are served in turn, starting after the last one served, so the
//  load spreads evenly.
static void
s_dispatch (ws_coord_t *self)
{
    if (!self->queue_head || self->draining || self->buffer_full)
        return;
    s_worker_list_t list = {NULL, 0, 0};
    ws_map_each (self->workers_by_id, s_collect_ready, &list);
    int64_t now = ws_wall_ms ();
    size_t start = list.count ? self->dispatch_turn++ % list.count : 0;
    bool progress = true;
    while (self->queue_head && progress) {
        progress = false;
        for (size_t n = 0; n < list.count && self->queue_head; n++) {
            s_worker_t *worker = list.items[(start + n) % list.count];
            int room = worker->credit - worker->in_flight;
            if (room <= 0)
                continue;
            //  Share the queue among the workers rather than filling the
            //  first one up to its credit.
            size_t share = self->queue_length / (list.count - n) + 1;
            if ((size_t) room > share)
                room = (int) share;
            if (room > self->dispatch_batch)
                room = self->dispatch_batch;
            ws_buf_t body;
            ws_buf_init (&body, WS_MSG_MAX_BODY);
            ws_buf_append (&body, "{\"jobs\":[", 9);
            size_t count = 0;
            while (room > 0 && self->queue_head) {
                s_job_t *job = s_queue_pop (self);
                ws_sched_source_t *source =
                    job->kind == S_JOB_COLLECT
                        ? ws_sched_get (self->sched, job->source_id)
                        : NULL;
                if (job->kind == S_JOB_COLLECT && !source) {
                    //  Deleted by an apply meanwhile.
                    ws_map_delete_int (self->jobs, job->id);
                    continue;
                }
                job->worker = worker;
                worker->in_flight++;
                s_job_append (&body, job, source, worker, now);
                count++;
                room--;
            }
            if (count) {
                ws_buf_append (&body, "]}", 2);
                self->stats.jobs_dispatched += count;
                char *text = ws_buf_steal (&body);
                ws_err_t err;
                if (ws_msg_send_text (self->workers, worker->id, worker->id_len,
                                      WS_MSG_JOB, &text, &err)) {
                    ws_info ("worker '%s': send JOB failed: %s", worker->name,
                             err.text);
                    worker->last_seen = 0;  //  expired at the next cron
                }
                else
                    worker->last_sent = ws_clock_ms ();
                progress = true;
            }
            ws_buf_free (&body);
        }
    }
    free (list.items);
}

//  ---------------------------------------------------------------------
//  Results and the write path

//  The series cache key: metric, a NUL, then the labels as compact JSON
//  with sorted keys.
static char *
s_series_key (const char *metric, json_t *labels, size_t *len,
              char **labels_text)
{
    char *text = json_dumps (labels, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return NULL;
    size_t metric_len = strlen (metric), text_len = strlen (text);
    char *key = malloc (metric_len + text_len + 2);
    if (!key)
        abort ();
    memcpy (key, metric, metric_len + 1);
    memcpy (key + metric_len + 1, text, text_len + 1);
    *len = metric_len + 1 + text_len;
    *labels_text = text;
    return key;
}

static void
s_rows_reserve (ws_coord_t *self, size_t extra)
{
    s_buffer_t *buffer = &self->buffer;
    if (buffer->rows + extra <= buffer->max_rows)
        return;
    size_t max = buffer->max_rows ? buffer->max_rows : 4096;
    while (max < buffer->rows + extra)
        max *= 2;
    buffer->series = realloc (buffer->series, max * sizeof (int64_t));
    buffer->ts = realloc (buffer->ts, max * sizeof (int64_t));
    buffer->values = realloc (buffer->values, max * sizeof (double));
    if (!buffer->series || !buffer->ts || !buffer->values)
        abort ();
    buffer->max_rows = max;
}

//  A series id for a sample, or -(n+1) for the n-th series of this batch
//  not yet in the database (resolved at flush).
static int64_t
s_series_ref (ws_coord_t *self, const char *metric, json_t *labels,
              const char *type, int64_t period_ms, int64_t source_id)
{
    size_t len;
    char *labels_text;
    char *key = s_series_key (metric, labels, &len, &labels_text);
    if (!key)
        return 0;
    intptr_t id = (intptr_t) ws_map_get (self->series_ids, key, len);
    if (id) {
        free (key);
        free (labels_text);
        return id;
    }
    s_buffer_t *buffer = &self->buffer;
    intptr_t index = (intptr_t) ws_map_get (buffer->new_index, key, len);
    if (index) {
        free (key);
        free (labels_text);
        return -index;
    }
    if (buffer->new_count == buffer->new_max) {
        buffer->new_max = buffer->new_max ? buffer->new_max * 2 : 64;
        buffer->new_series = realloc (
            buffer->new_series, buffer->new_max * sizeof *buffer->new_series);
        if (!buffer->new_series)
            abort ();
    }
    s_new_series_t *series = &buffer->new_series[buffer->new_count++];
    series->key = key;
    series->key_len = len;
    series->metric = strdup (metric);
    series->labels = labels_text;
    series->type = type;
    series->period_ms = period_ms;
    series->source_id = source_id;
    ws_map_put (buffer->new_index, key, len,
                (void *) (intptr_t) buffer->new_count);
    return -(int64_t) buffer->new_count;
}

static void
s_ack_tick (ws_coord_t *self, s_worker_t *worker, uint64_t job_id,
            int64_t source_id, int64_t tick)
{
    s_buffer_t *buffer = &self->buffer;
    if (buffer->ack_count == buffer->ack_max) {
        buffer->ack_max = buffer->ack_max ? buffer->ack_max * 2 : 1024;
        buffer->acks =
            realloc (buffer->acks, buffer->ack_max * sizeof *buffer->acks);
        if (!buffer->acks)
            abort ();
    }
    s_ack_t *ack = &buffer->acks[buffer->ack_count++];
    memcpy (ack->peer, worker->id, worker->id_len);
    ack->peer_len = worker->id_len;
    ack->job_id = job_id;
    ack->source_id = source_id;
    ack->tick = tick;
}

static void
s_ack_later (ws_coord_t *self, s_worker_t *worker, uint64_t job_id)
{
    s_ack_tick (self, worker, job_id, 0, 0);
}

//  Append a missed run to buffer (its error moves along).
static ws_db_missed_t *
s_missed_push (s_buffer_t *buffer, const ws_db_missed_t *run)
{
    if (buffer->missed_count == buffer->missed_max) {
        buffer->missed_max = buffer->missed_max ? buffer->missed_max * 2 : 256;
        buffer->missed = realloc (buffer->missed,
                                  buffer->missed_max * sizeof *buffer->missed);
        if (!buffer->missed)
            abort ();
    }
    buffer->missed[buffer->missed_count] = *run;
    return &buffer->missed[buffer->missed_count++];
}

//  Record ticks first..last of source as missed (sql/0008): with the
//  next batch, in the same statement as its samples. A run that
//  continues the source's last one in this buffer, for the same reason
//  and error, extends it: a long outage holds one run per source.
static void
s_missed_add (ws_coord_t *self, ws_sched_source_t *source, int64_t first,
              int64_t last, const char *reason, const char *error)
{
    s_buffer_t *buffer = &self->buffer;
    int64_t step = source->interval_ms;
    int ticks = (int) ((last - first) / step + 1);
    if (source->missed_at && source->missed_gen == self->buffer_gen
        && source->missed_at <= buffer->missed_count) {
        ws_db_missed_t *run = &buffer->missed[source->missed_at - 1];
        if (run->source_id == source->id && run->last_ms + step == first
            && strcmp (run->reason, reason) == 0
            && ((!run->error && !error)
                || (run->error && error && strcmp (run->error, error) == 0))) {
            run->last_ms = last;
            run->ticks += ticks;
            return;
        }
    }
    ws_db_missed_t run = {source->id, first,  last,
                          ticks,      reason, error ? strdup (error) : NULL};
    s_missed_push (buffer, &run);
    source->missed_at = buffer->missed_count;
    source->missed_gen = self->buffer_gen;
    if (!buffer->first_at)
        buffer->first_at = ws_clock_ms ();
}

static void
s_missed_free (s_buffer_t *buffer)
{
    for (size_t i = 0; i < buffer->missed_count; i++)
        free (buffer->missed[i].error);
    buffer->missed_count = 0;
}

//  One result from a worker: health, samples into the buffer, an ACK
//  once they are committed.
//  "metric{k=v,...}" of a trend row, for an alert's summary.
static void
s_series_name (json_t *row, char *out, size_t size)
{
    size_t used = (size_t) snprintf (
        out, size, "%s", json_string_value (json_object_get (row, "metric")));
    const char *key;
    json_t *value;
    bool first = true;
    json_object_foreach (json_object_get (row, "labels"), key, value) {
        if (used >= size)
            break;
        used += (size_t) snprintf (out + used, size - used, "%s%s=%s",
                                   first ? "{" : ",", key,
                                   json_string_value (value));
        first = false;
    }
    if (!first && used < size)
        snprintf (out + used, size - used, "}");
}

//  Record the events of a new analysis against the one it replaced (a
//  series turns significantly rising or falling; a new change point) as
//  alerts for the hooks.
static void
s_trend_alerts (ws_coord_t *self, int64_t series_id, int window,
                json_t *previous)
{
    ws_err_t err;
    json_t *current = ws_db_get_trend (self->db, series_id, window, &err);
    if (!json_is_object (current)) {
        json_decref (current);
        return;
    }
    if (json_is_object (previous))
        ws_trend_headline (previous);
    ws_trend_headline (current);
    char name[300];
    s_series_name (current, name, sizeof name);
    json_t *events = ws_trend_events (
        json_is_object (previous) ? previous : NULL, current,
        (long long) series_id, window, name, (long long) ws_wall_ms ());
    size_t index;
    json_t *event;
    json_array_foreach (events, index, event) {
        int recorded = 0;
        if (ws_db_record_alert (self->db, event, series_id, window, &recorded,
                                &err))
            ws_warning ("series %" PRId64 ": %s", series_id, err.text);
        else if (recorded) {
            self->stats.alerts_recorded++;
            ws_coord_hooks_kick (self);
            ws_notice ("alert: %s",
                       json_string_value (json_object_get (event, "summary")));
        }
    }
    json_decref (events);
    json_decref (current);
}

//  The job of an analysis or evaluation result is done, if it is still
//  the one in flight (kind and subject match, not queued for a retry).
static void
s_job_done (ws_coord_t *self, uint64_t job_id, s_job_kind_t kind,
            int64_t subject)
{
    s_job_t *job = ws_map_get_int (self->jobs, job_id);
    if (job && job->kind == kind
        && (kind == S_JOB_ANALYZE   ? job->series_id
            : kind == S_JOB_DELIVER ? job->delivery_id
                                    : job->goal_id)
               == subject
        && !job->queued) {
        if (job->worker) {
            job->worker->in_flight--;
            job->worker->jobs_done++;
        }
        ws_map_delete_int (self->jobs, job_id);
    }
}

//  An analysis result: stored at once (a few per second at most), and
//  ACKed with the next batch. A failed write is not ACKed: the worker
//  sends the result again.
static void
s_on_analysis (ws_coord_t *self, s_worker_t *worker, json_t *result)
{
    uint64_t job_id =
        (uint64_t) json_integer_value (json_object_get (result, "id"));
    int64_t series_id =
        json_integer_value (json_object_get (result, "series_id"));
    int window =
        (int) json_integer_value (json_object_get (result, "window_days"));
    s_job_done (self, job_id, S_JOB_ANALYZE, series_id);
    if (json_is_true (json_object_get (result, "ok"))) {
        ws_err_t err;
        json_t *previous = ws_db_get_trend (self->db, series_id, window, &err);
        if (!previous
            || ws_db_store_trend (self->db, series_id, window,
                                  self->analysis_step_ms,
                                  json_object_get (result, "analysis"), &err)) {
            ws_warning ("series %" PRId64 ": %s", series_id, err.text);
            json_decref (previous);
            return;
        }
        self->stats.analyses_stored++;
        s_trend_alerts (self, series_id, window, previous);
        json_decref (previous);
    }
    else {
        self->stats.analyses_failed++;
        ws_info ("series %" PRId64 ": analysis failed: %s", series_id,
                 json_string_value (json_object_get (result, "error")));
    }
    s_ack_later (self, worker, job_id);
    if (!self->buffer.first_at)
        self->buffer.first_at = ws_clock_ms ();
}

//  A result in the compact form: one value (or null) per rule of the
//  definition named by its version. Values of another version than the
//  source's current one belong to rules that were changed meanwhile by
//  an apply; they are counted and not stored under the new rules.
//  Returns why nothing is stored, should nothing be (borrowed).
static const char *
s_on_values (ws_coord_t *self, ws_sched_source_t *source, json_t *result,
             json_t *values, int64_t now)
{
    int64_t tick = json_integer_value (json_object_get (result, "tick"));
    bool ok = json_is_true (json_object_get (result, "ok"));
    const char *error = json_string_value (json_object_get (result, "error"));
    const char *kind =
        json_string_value (json_object_get (result, "error_kind"));
    size_t rules = ws_source_rule_count (source->source);
    size_t count = json_array_size (values);
    if (json_integer_value (json_object_get (result, "version"))
            != source->version
        || count != rules) {
        size_t given = 0;
        for (size_t i = 0; i < count; i++)
            given += json_is_number (json_array_get (values, i));
        self->stats.samples_superseded += given;
        ws_info ("source '%s': %zu values of a replaced definition not "
                 "stored (tick %" PRId64 ")",
                 source->name, given, tick);
        return "values of a replaced definition of the source, not stored";
    }
    s_rows_reserve (self, count);
    double *numbers = calloc (count + 1, sizeof (double));
    bool *have = calloc (count + 1, sizeof (bool));
    if (!numbers || !have)
        abort ();
    for (size_t r = 0; r < count; r++) {
        json_t *value = json_array_get (values, r);
        have[r] = json_is_number (value);
        numbers[r] = have[r] ? json_number_value (value) : 0;
        if (!have[r])
            continue;
        int64_t ref = source->rule_series[r];
        if (!ref) {
            const ws_rule_t *rule = ws_source_rule (source->source, r);
            ref = s_series_ref (self, rule->metric, rule->labels,
                                ws_metric_type_name (rule->type),
                                rule->period_ms, source->id);
            if (!ref) {
                have[r] = false;
                continue;
            }
            if (ref > 0)
                source->rule_series[r] = ref;
        }
        s_buffer_t *buffer = &self->buffer;
        buffer->series[buffer->rows] = ref;
        buffer->ts[buffer->rows] = tick;
        buffer->values[buffer->rows] = numbers[r];
        buffer->rows++;
    }
    //  Only the newest tick speaks for the source's health.
    if (tick >= source->last_tick)
        ws_sched_record_rules (self->sched, source, tick, ok, numbers, have,
                               error, kind, now);
    free (numbers);
    free (have);
    return error ? error : "the result held no values";
}

//  A goal's evaluation: kept with the others of its message (evaluated,
//  stored at the end of the message), ACKed with the next batch.
static void
s_on_evaluation (ws_coord_t *self, s_worker_t *worker, json_t *result,
                 json_t *evaluations)
{
    uint64_t job_id =
        (uint64_t) json_integer_value (json_object_get (result, "id"));
    int64_t goal_id = json_integer_value (json_object_get (result, "goal_id"));
    s_job_done (self, job_id, S_JOB_EVALUATE, goal_id);
    json_array_append (evaluations, result);
    s_ack_later (self, worker, job_id);
    if (!self->buffer.first_at)
        self->buffer.first_at = ws_clock_ms ();
}

//  A delivery's outcome: recorded at once, ACKed with the next batch.
static void
s_on_delivery (ws_coord_t *self, s_worker_t *worker, json_t *result)
{
    uint64_t job_id =
        (uint64_t) json_integer_value (json_object_get (result, "id"));
    int64_t delivery_id =
        json_integer_value (json_object_get (result, "delivery_id"));
    s_job_done (self, job_id, S_JOB_DELIVER, delivery_id);
    ws_coord_hooks_on_result (self, result);
    s_ack_later (self, worker, job_id);
    if (!self->buffer.first_at)
        self->buffer.first_at = ws_clock_ms ();
}

static void
s_on_result (ws_coord_t *self, s_worker_t *worker, json_t *result, int64_t now,
             json_t *evaluations)
{
    const char *kind = json_string_value (json_object_get (result, "kind"));
    if (strcmp (kind, "deliver") == 0) {
        s_on_delivery (self, worker, result);
        return;
    }
    if (strcmp (kind, "analyze") == 0) {
        s_on_analysis (self, worker, result);
        return;
    }
    if (strcmp (kind, "evaluate") == 0) {
        s_on_evaluation (self, worker, result, evaluations);
        return;
    }
    if (strcmp (kind, "probe") == 0) {
        ws_coord_probe_on_result (self, result);
        s_ack_later (
            self, worker,
            (uint64_t) json_integer_value (json_object_get (result, "id")));
        return;
    }
    uint64_t job_id =
        (uint64_t) json_integer_value (json_object_get (result, "id"));
    int64_t source_id =
        json_integer_value (json_object_get (result, "source_id"));
    int64_t tick = json_integer_value (json_object_get (result, "tick"));
    bool ok = json_is_true (json_object_get (result, "ok"));
    json_t *samples = json_object_get (result, "samples");
    self->stats.results++;

    s_job_t *job = ws_map_get_int (self->jobs, job_id);
    bool current = job && job->source_id == source_id && job->tick == tick;
    const char *error_kind =
        json_string_value (json_object_get (result, "error_kind"));
    if (error_kind && strcmp (error_kind, "resend") == 0) {
        //  The worker no longer holds the definition the job named: the
        //  job goes out again with it. Not a failure of the source.
        ws_map_delete_int (worker->defs, (uint64_t) source_id);
        if (current && job->worker == worker && !job->queued) {
            worker->in_flight--;
            job->worker = NULL;
            s_queue_push_front (self, job);
        }
        s_ack_later (self, worker, job_id);
        return;
    }
    json_t *values = json_object_get (result, "values");
    bool failed = !ok && json_array_size (samples) == 0;
    for (size_t i = 0; failed && i < json_array_size (values); i++)
        failed = !json_is_number (json_array_get (values, i));
    if (current && failed && job->worker && job->worker != worker
        && !job->queued) {
        //  This worker was given up on and the tick went to another,
        //  whose answer decides: a failure here would count it twice.
        s_ack_later (self, worker, job_id);
        return;
    }
    //  A tick that stored nothing is recorded as missed once: by the
    //  result that completes its job, or by a result of an earlier
    //  incarnation of watershedd (re-sent after a restart; no job here).
    bool account = current || (job_id & ~0xffffffffULL) != self->incarnation;
    if (current) {
        if (job->worker) {
            job->worker->in_flight--;
            job->worker->jobs_done++;
        }
        if (job->queued) {
            //  It came back while queued for a retry: drop the retry.
            job->source_id = 0;
        }
        else
            ws_map_delete_int (self->jobs, job_id);
    }
    ws_sched_source_t *source = ws_sched_get (self->sched, source_id);
    if (!source) {
        //  Its source was deleted: nothing to store, but the worker may
        //  forget the result.
        s_ack_later (self, worker, job_id);
        return;
    }
    if (current)
        source->outstanding--;
    size_t rows_before = self->buffer.rows;
    s_ack_tick (self, worker, job_id, source_id, tick);
    if (!self->buffer.first_at)
        self->buffer.first_at = ws_clock_ms ();
    if (values) {
        const char *why = s_on_values (self, source, result, values, now);
        if (self->buffer.rows == rows_before && account)
            s_missed_add (self, source, tick, tick, "error", why);
        return;
    }

    size_t count = json_array_size (samples);
    s_rows_reserve (self, count);
    size_t index;
    json_t *sample;
    //  The newest values for 'watershed sources', as JSON text.
    ws_buf_t latest;
    ws_buf_init (&latest, 64 * 1024);
    ws_buf_append (&latest, "[", 1);
    json_array_foreach (samples, index, sample) {
        const char *metric =
            json_string_value (json_object_get (sample, "metric"));
        json_t *labels = json_object_get (sample, "labels");
        //  The codec admits only these three; a static name outlives
        //  the message.
        const char *type = json_string_value (json_object_get (sample, "type"));
        type = strcmp (type, "counter") == 0      ? "counter"
               : strcmp (type, "per_period") == 0 ? "per_period"
                                                  : "gauge";
        double value = json_number_value (json_object_get (sample, "value"));
        //  A sample of one of the source's own rules (all of them, until
        //  rules take labels from the document) finds its series id on
        //  the rule, without building the cache key.
        int64_t period = 0, ref = 0;
        const ws_rule_t *rule = NULL;
        size_t r;
        for (r = 0; r < ws_source_rule_count (source->source); r++) {
            rule = ws_source_rule (source->source, r);
            if (strcmp (rule->metric, metric) == 0
                && json_equal (rule->labels, labels))
                break;
        }
        if (r < ws_source_rule_count (source->source)) {
            period = rule->period_ms;
            ref = source->rule_series[r];
        }
        else
            rule = NULL;
        if (!ref)
            ref = s_series_ref (self, metric, labels, type, period, source_id);
        if (!ref)
            continue;
        if (rule && ref > 0)
            source->rule_series[r] = ref;
        s_buffer_t *buffer = &self->buffer;
        buffer->series[buffer->rows] = ref;
        buffer->ts[buffer->rows] = tick;
        buffer->values[buffer->rows] = value;
        buffer->rows++;
        if (index < 16) {
            char *labels_text = rule ? NULL : json_dumps (labels, JSON_COMPACT);
            //  Metric names are [A-Za-z0-9_:.] (checked by ws_source and the
            //  codec), safe to write between quotes.
            ws_buf_printf (&latest,
                           "%s{\"metric\":\"%s\",\"labels\":%s,"
                           "\"value\":%.17g}",
                           index ? "," : "", metric,
                           rule          ? rule->labels_text
                           : labels_text ? labels_text
                                         : "{}",
                           value);
            free (labels_text);
        }
    }
    ws_buf_append (&latest, "]", 1);
    //  Only the newest tick speaks for the source's health: a late result
    //  of an older tick does not undo a newer failure.
    if (tick >= source->last_tick)
        ws_sched_record (
            self->sched, source, tick, ok, count,
            json_string_value (json_object_get (result, "error")),
            json_string_value (json_object_get (result, "error_kind")),
            count ? latest.data : NULL, now);
    ws_buf_free (&latest);
    if (self->buffer.rows == rows_before && account) {
        const char *error =
            json_string_value (json_object_get (result, "error"));
        s_missed_add (self, source, tick, tick, "error",
                      error ? error : "the result held no samples");
    }
}

static void
s_buffer_clear (ws_coord_t *self)
{
    s_buffer_t *buffer = &self->buffer;
    for (size_t i = 0; i < buffer->new_count; i++) {
        free (buffer->new_series[i].key);
        free (buffer->new_series[i].metric);
        free (buffer->new_series[i].labels);
    }
    buffer->new_count = 0;
    ws_map_destroy (&buffer->new_index);
    buffer->new_index = ws_map_new (NULL);
    buffer->rows = 0;
    buffer->ack_count = 0;
    buffer->first_at = 0;
}

static int
s_send_acks (ws_coord_t *self, s_buffer_t *buffer)
{
    //  Group by worker: one ACK message per worker per batch.
    ws_map_t *by_peer = ws_map_new ((ws_map_free_fn *) json_decref);
    for (size_t i = 0; i < buffer->ack_count; i++) {
        s_ack_t *ack = &buffer->acks[i];
        json_t *ids = ws_map_get (by_peer, ack->peer, ack->peer_len);
        if (!ids) {
            ids = json_array ();
            ws_map_put (by_peer, ack->peer, ack->peer_len, ids);
        }
        json_array_append_new (ids, json_integer ((json_int_t) ack->job_id));
    }
    for (size_t i = 0; i < buffer->ack_count; i++) {
        s_ack_t *ack = &buffer->acks[i];
        json_t *ids = ws_map_take (by_peer, ack->peer, ack->peer_len);
        if (!ids)
            continue;
        s_worker_t *worker =
            ws_map_get (self->workers_by_id, ack->peer, ack->peer_len);
        if (worker)
            s_send_worker (self, worker, WS_MSG_ACK,
                           json_pack ("{s:o}", "ids", ids));
        else
            //  A worker that left still gets its ACK if it is there: it
            //  may have reconnected under a new id, in which case it
            //  re-sends and the re-sent result is ACKed then.
            s_send (self, self->workers, ack->peer, ack->peer_len, WS_MSG_ACK,
                    json_pack ("{s:o}", "ids", ids));
    }
    ws_map_destroy (&by_peer);
    return 0;
}

//  Backoff after a failed write; everything stays buffered (nothing is
//  ACKed, so workers keep their results) until the retry.
static void
s_write_failed (ws_coord_t *self, ws_err_t *err)
{
    self->db_backoff_ms = self->db_backoff_ms ? self->db_backoff_ms * 2 : 250;
    if (self->db_backoff_ms > 10000)
        self->db_backoff_ms = 10000;
    self->db_retry_at = ws_clock_ms () + self->db_backoff_ms;
    if (!self->db_failing || ws_log_enabled (WS_LOG_INFO))
        ws_error ("%s; %zu samples buffered, retrying in %" PRId64 " ms",
                  err->text, self->buffer.rows, self->db_backoff_ms);
    if (!self->db_failing)
        self->db_failing_since = ws_wall_ms ();
    self->db_failing = true;
}

//  The batch in writing is committed: count it, ACK it.
static void
s_write_committed (ws_coord_t *self, int64_t inserted)
{
    s_buffer_t *batch = &self->writing;
    ws_coord_metrics_write_done (self);
    self->stats.samples_committed += batch->rows;
    self->stats.samples_new += inserted;
    if (self->window_count)
        for (size_t i = 0; i < batch->rows; i++)
            ws_map_put_int (self->dirty, (uint64_t) batch->series[i],
                            (void *) 1);
    ws_coord_goals_touch (self, batch->series, batch->rows);
    self->stats.batches++;
    for (size_t i = 0; i < batch->missed_count; i++)
        self->stats.ticks_missed += batch->missed[i].ticks;
    s_missed_free (batch);
    s_send_acks (self, batch);
    batch->rows = 0;
    batch->ack_count = 0;
    batch->first_at = 0;
    if (self->db_failing) {
        ws_notice ("database: writes resumed after %" PRId64 " ms",
                   ws_wall_ms () - self->db_failing_since);
        self->db_failing = false;
    }
    self->db_backoff_ms = 0;
}

//  One sample the database refused: counted, logged, and recorded as an
//  error of the source whose rule made it (its series' source).
static void
s_row_refused (ws_coord_t *self, size_t row, const ws_err_t *err)
{
    s_buffer_t *batch = &self->writing;
    ws_err_t lookup_err;
    int64_t source_id =
        ws_db_series_source (self->db, batch->series[row], &lookup_err);
    ws_sched_source_t *source =
        source_id > 0 ? ws_sched_get (self->sched, source_id) : NULL;
    char tick[40], why[600];
    ws_iso8601_format (batch->ts[row], tick, sizeof tick);
    snprintf (why, sizeof why,
              "sample of series %" PRId64 " at %s (%.17g) refused by the "
              "database: %s",
              batch->series[row], tick, batch->values[row], err->text);
    self->stats.samples_refused++;
    ws_warning ("source '%s': %s", source ? source->name : "?", why);
    if (source) {
        ws_sched_record_skipped (self->sched, source, batch->ts[row], why,
                                 ws_wall_ms ());
        s_missed_add (self, source, batch->ts[row], batch->ts[row], "refused",
                      why);
    }
}

//  A batch refused for one of its rows (a constraint, a value the
//  database will not take): sent again it would fail for ever and hold
//  every other row back. Find the bad rows by halves on the main
//  connection, store the others (a part stored before is skipped: ON
//  CONFLICT DO NOTHING), and record each bad row. 0 when the batch is
//  settled, -1 when the database failed otherwise meanwhile.
static int
s_bisect (ws_coord_t *self, size_t from, size_t count, int64_t *inserted)
{
    s_buffer_t *batch = &self->writing;
    ws_err_t err;
    int64_t n = 0;
    if (ws_db_insert_samples (self->db, count, batch->series + from,
                              batch->ts + from, batch->values + from, 0, NULL,
                              &n, &err)
        == 0) {
        *inserted += n;
        return 0;
    }
    if (!ws_db_row_error (self->db))
        return -1;
    if (count == 1) {
        s_row_refused (self, from, &err);
        return 0;
    }
    size_t half = count / 2;
    if (s_bisect (self, from, half, inserted))
        return -1;
    return s_bisect (self, from + half, count - half, inserted);
}

//  The batch in writing failed: its rows and ACKs go back to the buffer,
//  to be written again after the backoff.
static void
s_write_returned (ws_coord_t *self, ws_err_t *err)
{
    s_buffer_t *batch = &self->writing, *buffer = &self->buffer;
    s_rows_reserve (self, batch->rows);
    memcpy (buffer->series + buffer->rows, batch->series,
            batch->rows * sizeof (int64_t));
    memcpy (buffer->ts + buffer->rows, batch->ts,
            batch->rows * sizeof (int64_t));
    memcpy (buffer->values + buffer->rows, batch->values,
            batch->rows * sizeof (double));
    buffer->rows += batch->rows;
    for (size_t i = 0; i < batch->ack_count; i++) {
        if (buffer->ack_count == buffer->ack_max) {
            buffer->ack_max = buffer->ack_max ? buffer->ack_max * 2 : 1024;
            buffer->acks =
                realloc (buffer->acks, buffer->ack_max * sizeof *buffer->acks);
            if (!buffer->acks)
                abort ();
        }
        buffer->acks[buffer->ack_count++] = batch->acks[i];
    }
    for (size_t i = 0; i < batch->missed_count; i++)
        s_missed_push (buffer, &batch->missed[i]);
    batch->missed_count = 0;
    if (!buffer->first_at)
        buffer->first_at = batch->first_at;
    batch->rows = 0;
    batch->ack_count = 0;
    batch->first_at = 0;
    //  A broken connection is reopened by the next s_flush.
    s_write_failed (self, err);
}

static void
s_writer_unwatch (ws_coord_t *self)
{
    if (self->writer_fd >= 0)
        ws_loop_fd_end (self->loop, self->writer_fd);
    self->writer_fd = -1;
    self->write_busy = false;
}

static int s_on_writer (ws_loop_t *loop, int fd, int revents, void *arg);

//  Send the batch in writing on the writer's connection (plain, or again
//  skipping samples stored already). 0, or -1 with *err.
static int
s_write_send (ws_coord_t *self, bool again, ws_err_t *err)
{
    if (!again)
        ws_coord_metrics_write_sent (self);
    if ((!ws_db_connected (self->writer)
         && (ws_db_connect (self->writer, err)
             || ws_db_set_nonblocking (self->writer, err)))
        || ws_db_send_samples (self->writer, self->writing.rows,
                               self->writing.series, self->writing.ts,
                               self->writing.values, self->writing.missed_count,
                               self->writing.missed, again, err))
        return -1;
    self->writing_again = again;
    self->write_busy = true;
    return 0;
}

//  Watch the writer's socket until the answer is read (s_on_writer).
static int
s_write_watch (ws_coord_t *self, ws_err_t *err)
{
    int pending = ws_db_flush_out (self->writer, err);
    if (pending < 0) {
        self->write_busy = false;
        return -1;
    }
    self->writer_fd = ws_db_socket (self->writer);
    ws_loop_fd (self->loop, self->writer_fd,
                pending ? ZMQ_POLLIN | ZMQ_POLLOUT : ZMQ_POLLIN, s_on_writer,
                self);
    return 0;
}

//  The writer's answer (rc 0: committed): count and ACK the batch; a
//  batch that met samples stored already (a result sent twice) goes
//  once more, skipping them; any other failure puts it back in the
//  buffer. With wait the resent batch is not watched: the caller waits.
static void
s_write_outcome (ws_coord_t *self, int rc, int64_t inserted, ws_err_t *err,
                 bool wait)
{
    s_writer_unwatch (self);
    if (rc == 0) {
        s_write_committed (self, inserted);
        return;
    }
    if (ws_db_duplicate (self->writer) && !self->writing_again
        && s_write_send (self, true, err) == 0
        && (wait || s_write_watch (self, err) == 0))
        return;
    self->write_busy = false;
    int64_t inserted_by_halves = 0;
    if (ws_db_row_error (self->writer)) {
        ws_warning ("%s: finding the rows at fault", err->text);
        //  The missed ticks first, on their own (they have no row a
        //  database refuses: a failure here is the database's).
        int64_t none = 0;
        ws_err_t missed_err;
        if (self->writing.missed_count
            && ws_db_insert_samples (
                self->db, 0, NULL, NULL, NULL, self->writing.missed_count,
                self->writing.missed, &none, &missed_err)) {
            s_write_returned (self, &missed_err);
            return;
        }
        if (s_bisect (self, 0, self->writing.rows, &inserted_by_halves) == 0) {
            s_write_committed (self, inserted_by_halves);
            return;
        }
    }
    s_write_returned (self, err);
}

//  The writer's socket: send what is left of the batch, then read the
//  answer; the loop goes on meanwhile.
static int
s_on_writer (ws_loop_t *loop, int fd, int revents, void *arg)
{
    (void) loop;
    (void) fd;
    ws_coord_t *self = arg;
    ws_err_t err;
    if (revents & ZMQ_POLLOUT) {
        int rc = ws_db_flush_out (self->writer, &err);
        if (rc < 0) {
            s_writer_unwatch (self);
            s_write_returned (self, &err);
            return 0;
        }
        if (rc == 0)
            ws_loop_fd (self->loop, self->writer_fd, ZMQ_POLLIN, s_on_writer,
                        self);
    }
    if (revents & ZMQ_POLLIN) {
        int64_t inserted = 0;
        int rc = ws_db_poll_samples (self->writer, &inserted, &err);
        if (rc == 1)
            return 0;
        s_write_outcome (self, rc, inserted, &err, false);
    }
    return 0;
}

//  The new series of the buffer into the database (on the main
//  connection, before their samples are sent).
static int
s_resolve_new (ws_coord_t *self, ws_err_t *err)
{
    s_buffer_t *buffer = &self->buffer;
    size_t count = buffer->new_count;
    if (!count)
        return 0;
    const char **metrics = calloc (count, sizeof (char *));
    const char **labels = calloc (count, sizeof (char *));
    const char **types = calloc (count, sizeof (char *));
    int64_t *periods = calloc (count, sizeof (int64_t));
    int64_t *sources = calloc (count, sizeof (int64_t));
    int64_t *ids = calloc (count, sizeof (int64_t));
    if (!metrics || !labels || !types || !periods || !sources || !ids)
        abort ();
    for (size_t i = 0; i < count; i++) {
        metrics[i] = buffer->new_series[i].metric;
        labels[i] = buffer->new_series[i].labels;
        types[i] = buffer->new_series[i].type;
        periods[i] = buffer->new_series[i].period_ms;
        sources[i] = buffer->new_series[i].source_id;
    }
    int rc = ws_db_resolve_series (self->db, count, metrics, labels, types,
                                   periods, sources, ids, err);
    if (rc == 0)
        for (size_t i = 0; i < count; i++)
            ws_map_put (self->series_ids, buffer->new_series[i].key,
                        buffer->new_series[i].key_len,
                        (void *) (intptr_t) ids[i]);
    for (size_t i = 0; rc == 0 && i < buffer->rows; i++)
        if (buffer->series[i] < 0)
            buffer->series[i] = ids[-buffer->series[i] - 1];
    free (metrics);
    free (labels);
    free (types);
    free (periods);
    free (sources);
    free (ids);
    if (rc)
        return -1;
    //  Every reference is resolved now; forget the batch's list.
    size_t rows = buffer->rows, acks = buffer->ack_count;
    int64_t first = buffer->first_at;
    s_buffer_clear (self);
    buffer->rows = rows;
    buffer->ack_count = acks;
    buffer->first_at = first;
    return 0;
}

//  Swap the rows, ACKs and missed runs of two buffers (their arrays
//  with them); the new series stay where they are (s_resolve_new has
//  resolved them before a swap).
static void
s_buffer_swap (s_buffer_t *a, s_buffer_t *b)
{
    s_buffer_t keep = *a;
    *a = *b;
    *b = keep;
    //  The new series' list and index go back to their own buffer.
    s_new_series_t *series = a->new_series;
    size_t count = a->new_count, max = a->new_max;
    ws_map_t *index = a->new_index;
    a->new_series = b->new_series;
    a->new_count = b->new_count;
    a->new_max = b->new_max;
    a->new_index = b->new_index;
    b->new_series = series;
    b->new_count = count;
    b->new_max = max;
    b->new_index = index;
}

//  Write the buffer: new series first (a short statement on the main
//  connection), then all samples in one statement on the writer's own
//  connection, sent without waiting: the loop goes on collecting while
//  PostgreSQL works, and the batch is ACKed when its commit is read
//  (s_on_writer). One batch is in flight at a time. With wait (drain,
//  shutdown) the batch in flight and the buffer are written before it
//  returns.
static int
s_flush (ws_coord_t *self, bool wait)
{
    ws_err_t err;
    if (self->write_busy && !wait)
        return 0;
    while (self->write_busy) {
        int64_t inserted = 0;
        int rc = ws_db_wait_samples (self->writer, &inserted, &err);
        s_write_outcome (self, rc, inserted, &err, true);
    }
    s_buffer_t *buffer = &self->buffer;
    if (!buffer->ack_count && !buffer->rows && !buffer->missed_count)
        return 0;
    int64_t now = ws_clock_ms ();
    if (!wait && buffer->rows < (size_t) self->batch_max
        && now - buffer->first_at < self->flush_interval_ms)
        return 0;
    if (now < self->db_retry_at)
        return 0;
    if ((!ws_db_connected (self->db) && ws_db_connect (self->db, &err))
        || s_resolve_new (self, &err)) {
        s_write_failed (self, &err);
        //  A broken connection is reopened on the next try.
        if (err.code == WS_ERR_DB && !ws_db_connected (self->db))
            ws_db_connect (self->db, &err);
        return -1;
    }
    s_buffer_swap (buffer, &self->writing);
    self->buffer_gen++;
    if (!self->writing.rows && !self->writing.missed_count) {
        //  Only results without samples (analyses, goals): ACK now.
        s_write_committed (self, 0);
        return 0;
    }
    if (s_write_send (self, false, &err)) {
        s_write_returned (self, &err);
        return -1;
    }
    if (wait)
        return s_flush (self, true);
    if (s_write_watch (self, &err)) {
        s_write_returned (self, &err);
        return -1;
    }
    return 0;
}

static void
s_open_reset (ws_sched_source_t *source, void *arg)
{
    (void) arg;
    source->open_min = INT64_MAX;
}

static void
s_open_tick (ws_coord_t *self, int64_t source_id, int64_t tick)
{
    ws_sched_source_t *source = ws_sched_get (self->sched, source_id);
    if (source && tick < source->open_min)
        source->open_min = tick;
}

static int
s_open_job (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_job_t *job = value;
    if (job->kind == S_JOB_COLLECT && job->source_id)
        s_open_tick (arg, job->source_id, job->tick);
    return 0;
}

//  Each source's oldest tick not committed yet: a job queued or out, a
//  result or a missed run in the buffer or in the batch being written.
//  Health rows then say up to where everything is accounted for.
static void
s_open_ticks (ws_coord_t *self)
{
    ws_sched_each (self->sched, s_open_reset, NULL);
    ws_map_each (self->jobs, s_open_job, self);
    s_buffer_t *buffers[] = {&self->buffer, &self->writing};
    for (int b = 0; b < 2; b++) {
        for (size_t i = 0; i < buffers[b]->ack_count; i++)
            if (buffers[b]->acks[i].source_id)
                s_open_tick (self, buffers[b]->acks[i].source_id,
                             buffers[b]->acks[i].tick);
        for (size_t i = 0; i < buffers[b]->missed_count; i++)
            s_open_tick (self, buffers[b]->missed[i].source_id,
                         buffers[b]->missed[i].first_ms);
    }
}

static void
s_flush_health (ws_coord_t *self, bool routine)
{
    s_open_ticks (self);
    ws_db_health_t *rows;
    size_t count = ws_sched_take_dirty (self->sched, routine, &rows);
    if (count) {
        ws_err_t err;
        if (ws_db_write_health (self->db, rows, count, &err)) {
            ws_warning ("%s", err.text);
            ws_sched_mark_dirty (self->sched, rows, count);
        }
    }
    free (rows);
}

//  ---------------------------------------------------------------------
//  Messages from workers

static void
s_on_worker_message (ws_coord_t *self, ws_msg_t *msg)
{
    size_t peer_len;
    const uint8_t *peer = ws_msg_routing_id (msg, &peer_len);
    s_worker_t *worker = ws_map_get (self->workers_by_id, peer, peer_len);
    json_t *body = ws_msg_body (msg);
    int64_t clock = ws_clock_ms ();
    ws_msg_id_t id = ws_msg_id (msg);

    if (id == WS_MSG_READY) {
        if (worker)
            s_worker_remove (self, worker, "sent READY again (restarted)");
        worker = calloc (1, sizeof *worker);
        if (!worker)
            abort ();
        memcpy (worker->id, peer, peer_len);
        worker->id_len = peer_len;
        worker->name =
            strdup (json_string_value (json_object_get (body, "name")));
        worker->host =
            strdup (json_string_value (json_object_get (body, "host")));
        worker->pid = (int) json_integer_value (json_object_get (body, "pid"));
        worker->credit =
            (int) json_integer_value (json_object_get (body, "credit"));
        worker->defs = ws_map_new (NULL);
        worker->last_seen = clock;
        worker->joined = ws_wall_ms ();
        ws_map_put (self->workers_by_id, peer, peer_len, worker);
        ws_notice ("worker '%s': joined from %s pid %d, credit %d",
                   worker->name, worker->host, worker->pid, worker->credit);
        return;
    }
    if (!worker) {
        //  A worker we do not know (we restarted, or it expired): it must
        //  say READY again, then re-send its unACKed results.
        s_send (self, self->workers, peer, peer_len, WS_MSG_ERROR,
                json_pack ("{s:s, s:s}", "code", "unknown-peer", "text",
                           "send READY first"));
        return;
    }
    worker->last_seen = clock;
    if (id == WS_MSG_RESULT) {
        json_t *results = json_object_get (body, "results");
        size_t index;
        json_t *result;
        int64_t now = ws_wall_ms ();
        json_t *evaluations = json_array ();
        json_array_foreach (results, index, result)
            s_on_result (self, worker, result, now, evaluations);
        if (json_array_size (evaluations))
            ws_coord_goals_on_results (self, evaluations);
        json_decref (evaluations);
        ws_coord_hooks_flush (self);
    }
    else if (id == WS_MSG_DISCONNECT) {
        const char *reason =
            json_string_value (json_object_get (body, "reason"));
        char why[600];
        snprintf (why, sizeof why, "left (%s)", reason ? reason : "");
        s_worker_remove (self, worker, why);
    }
    else if (id == WS_MSG_HEARTBEAT) {
        //  Results a worker had to drop (it kept more than its limit
        //  unACKed): counted exactly, never silently.
        //  The total is the worker process's: kept by name and pid, so
        //  a reconnect does not count the same drops twice.
        json_t *dropped = json_object_get (body, "dropped");
        char key[300];
        snprintf (key, sizeof key, "%s/%d", worker->name, worker->pid);
        int64_t told = (int64_t) (intptr_t) ws_map_get (self->dropped_by, key,
                                                        strlen (key));
        if (json_is_integer (dropped) && json_integer_value (dropped) > told) {
            int64_t more = json_integer_value (dropped) - told;
            self->stats.results_dropped += more;
            ws_error (
                "worker '%s': %" PRId64 " unACKed results dropped (%" PRId64
                " in all by this worker): not kept for a re-send, lost "
                "if this coordinator loses them too",
                worker->name, more, (int64_t) json_integer_value (dropped));
            ws_map_put (self->dropped_by, key, strlen (key),
                        (void *) (intptr_t) json_integer_value (dropped));
        }
    }
    else
        s_send_worker (self, worker, WS_MSG_ERROR,
                       json_pack ("{s:s, s:s+}", "code", "proto", "text",
                                  "unexpected command ", ws_msg_id_name (id)));
}

ws_msg_t *
ws_coord_recv (ws_coord_t *self, void *socket, const char *who)
{
    for (;;) {
        ws_err_t err;
        uint8_t peer[WS_MSG_MAX_ROUTING_ID];
        size_t peer_len = 0;
        ws_msg_t *msg =
            ws_msg_recv (socket, true, ZMQ_DONTWAIT, &err, peer, &peer_len);
        if (msg || err.code == WS_ERR_TIMEOUT)
            return msg;
        //  A malformed message: that peer is told and logged; nobody else
        //  is affected.
        ws_warning ("%s message refused: %s", who, err.text);
        self->stats.messages_refused++;
        if (peer_len) {
            ws_msg_t *error =
                ws_msg_new_error (ws_msg_error_code (&err), err.text);
            ws_msg_set_routing_id (error, peer, peer_len);
            ws_msg_send (&error, socket, &err);
        }
    }
}

static int
s_on_workers_readable (ws_loop_t *loop, void *socket, void *arg)
{
    (void) loop;
    ws_coord_t *self = arg;
    //  Drain what is waiting, bounded so clients and timers get a turn.
    ws_msg_t *msg;
    for (int n = 0; n < 1000 && (msg = ws_coord_recv (self, socket, "worker"));
         n++) {
        s_on_worker_message (self, msg);
        ws_msg_destroy (&msg);
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Housekeeping

static int
s_expire_job (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_job_t *job = value;
    ws_coord_t *self = arg;
    if (job->queued || !job->worker)
        return 0;
    if (job->deadline && ws_wall_ms () > job->deadline)
        s_retry_job (self, job, "deadline passed");
    return 0;
}

typedef struct {
    ws_coord_t *coord;
    s_worker_t **dead;
    size_t count, max;
} s_expiry_t;

static int
s_check_worker (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_worker_t *worker = value;
    s_expiry_t *expiry = arg;
    ws_coord_t *self = expiry->coord;
    int64_t clock = ws_clock_ms ();
    if (clock - worker->last_seen > self->heartbeat_ms * self->liveness) {
        if (expiry->count == expiry->max) {
            expiry->max = expiry->max ? expiry->max * 2 : 8;
            expiry->dead =
                realloc (expiry->dead, expiry->max * sizeof (void *));
            if (!expiry->dead)
                abort ();
        }
        expiry->dead[expiry->count++] = worker;
    }
    else if (clock - worker->last_sent >= self->heartbeat_ms)
        s_send_worker (self, worker, WS_MSG_HEARTBEAT, json_object ());
    return 0;
}

//  Queue the analysis jobs of one series: its samples rolled up to the
//  analysis step over each window, read now, sent with the job.
static void
s_analyse_series (ws_coord_t *self, int64_t series_id, int64_t now)
{
    for (int w = 0; w < self->window_count; w++) {
        int64_t *t = NULL;
        double *x = NULL;
        const char *type;
        ws_err_t err;
        int64_t from = now - (int64_t) self->windows[w] * 86400000LL;
        long n = ws_db_rollup (self->db, series_id, from,
                               self->analysis_step_ms, &t, &x, &type, &err);
        if (n < 0) {
            ws_warning ("series %" PRId64 ": %s", series_id, err.text);
            return;
        }
        //  A counter's trend is that of its increase per step; a drop is
        //  a reset, after which the reading itself is the increase.
        if (strcmp (type, "counter") == 0 && n > 0) {
            for (long i = n - 1; i > 0; i--)
                x[i] = x[i] >= x[i - 1] ? x[i] - x[i - 1] : x[i];
            memmove (t, t + 1, (size_t) (n - 1) * sizeof *t);
            memmove (x, x + 1, (size_t) (n - 1) * sizeof *x);
            n--;
        }
        ws_buf_t payload;
        ws_buf_init (&payload, WS_MSG_MAX_BODY / 4);
        int rc = ws_buf_append (&payload, "\"series\":{\"t\":[", 15);
        for (long i = 0; i < n && rc == 0; i++)
            rc = ws_buf_printf (&payload, "%s%" PRId64, i ? "," : "", t[i]);
        rc = rc || ws_buf_append (&payload, "],\"x\":[", 7);
        for (long i = 0; i < n && rc == 0; i++)
            rc = ws_buf_printf (&payload, "%s%.17g", i ? "," : "", x[i]);
        //  Daily steps have a weekly season (DESIGN.md, Upstream).
        rc = rc
             || ws_buf_printf (&payload,
                               "]},\"options\":{\"horizon\":%d,\"season\":%d}",
                               self->analysis_horizon,
                               self->analysis_step_ms == 86400000 ? 7 : 0);
        free (t);
        free (x);
        if (rc) {
            ws_warning ("series %" PRId64 ": too many points to analyse",
                        series_id);
            ws_buf_free (&payload);
            return;
        }
        s_job_t *job = calloc (1, sizeof *job);
        if (!job)
            abort ();
        job->id = self->incarnation | ++self->job_counter;
        job->kind = S_JOB_ANALYZE;
        job->series_id = series_id;
        job->window_days = self->windows[w];
        job->tick = now;
        job->attempt = 1;
        job->payload = ws_buf_steal (&payload);
        ws_map_put_int (self->jobs, job->id, job);
        s_queue_push (self, job);
        self->stats.analyses_created++;
    }
    ws_map_put_int (self->analysed, (uint64_t) series_id,
                    (void *) (intptr_t) now);
}

typedef struct {
    ws_coord_t *coord;
    int64_t now;
    int64_t *picked;
    int count;
} s_pick_t;

static int
s_pick_dirty (const void *key, size_t len, void *value, void *arg)
{
    (void) len;
    (void) value;
    s_pick_t *pick = arg;
    ws_coord_t *self = pick->coord;
    uint64_t id;
    memcpy (&id, key, sizeof id);
    intptr_t last = (intptr_t) ws_map_get_int (self->analysed, id);
    if (last && pick->now - last < self->analysis_debounce_ms)
        return 0;
    pick->picked[pick->count++] = (int64_t) id;
    return pick->count >= self->analysis_per_turn;
}

//  Once a second: analyse up to analysis_per_turn dirty series whose
//  debounce has passed; every analysis_interval, mark all series dirty.
static void
s_schedule_analyses (ws_coord_t *self)
{
    if (!self->window_count || self->draining || self->db_failing)
        return;
    int64_t clock = ws_clock_ms (), now = ws_wall_ms ();
    if (clock - self->last_analysis_turn < 1000)
        return;
    self->last_analysis_turn = clock;
    if (!self->last_analysis_sweep
        || clock - self->last_analysis_sweep >= self->analysis_interval_ms) {
        self->last_analysis_sweep = clock;
        int64_t *ids;
        ws_err_t err;
        long count = ws_db_series_ids (self->db, &ids, &err);
        for (long i = 0; i < count; i++) {
            ws_map_delete_int (self->analysed, (uint64_t) ids[i]);
            ws_map_put_int (self->dirty, (uint64_t) ids[i], (void *) 1);
        }
        if (count >= 0)
            free (ids);
    }
    int64_t picked[256];
    s_pick_t pick = {self, now, picked, 0};
    ws_map_each (self->dirty, s_pick_dirty, &pick);
    for (int i = 0; i < pick.count; i++) {
        ws_map_delete_int (self->dirty, (uint64_t) picked[i]);
        s_analyse_series (self, picked[i], now);
    }
}

static int
s_cron (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_coord_t *self = arg;
    int64_t clock = ws_clock_ms ();

    //  Heartbeats and expiry, every quarter of a heartbeat.
    if (clock - self->last_liveness_check >= self->heartbeat_ms / 4) {
        self->last_liveness_check = clock;
        s_expiry_t expiry = {self, NULL, 0, 0};
        ws_map_each (self->workers_by_id, s_check_worker, &expiry);
        for (size_t i = 0; i < expiry.count; i++)
            s_worker_remove (self, expiry.dead[i], "silent past its liveness");
        free (expiry.dead);
        ws_map_each (self->jobs, s_expire_job, self);
    }
    if (self->scan_at && clock >= self->scan_at && !self->db_failing)
        s_scan_lost (self);
    s_schedule_analyses (self);
    ws_coord_goals_turn (self);
    ws_coord_hooks_turn (self);
    //  Health, once a second.
    if (clock - self->last_health_flush >= self->health_interval_ms
        && !self->db_failing) {
        self->last_health_flush = clock;
        bool routine =
            clock - self->last_routine_flush >= self->health_routine_ms;
        if (routine)
            self->last_routine_flush = clock;
        s_flush_health (self, routine);
    }
    //  Rate for status: samples committed per second over ~10 s.
    if (clock - self->rate_at >= 1000) {
        self->rate_slot = (self->rate_slot + 1) % S_RATE_SLOTS;
        self->rate_samples[self->rate_slot] = self->stats.samples_committed;
        self->rate_times[self->rate_slot] = clock;
        self->rate_at = clock;
    }
    //  Partitions, hourly.
    if (clock - self->last_partition_check >= 3600 * 1000) {
        self->last_partition_check = clock;
        ws_err_t err;
        if (ws_db_ensure_partitions (self->db, ws_wall_ms (), 2, &err))
            ws_warning ("%s", err.text);
    }
    ws_coord_metrics_publish (self);
    if (self->draining) {
        bool idle = ws_map_size (self->jobs) == 0 && self->buffer.rows == 0
                    && self->buffer.ack_count == 0 && !self->write_busy;
        if (idle || clock >= self->drain_deadline) {
            s_flush (self, true);
            s_flush_health (self, true);
            if (!idle)
                ws_warning ("drain: time is up with %zu jobs outstanding; "
                            "they will run again after a restart",
                            ws_map_size (self->jobs));
            ws_coord_say_goodbye (self);
            ws_loop_stop (self->loop);
        }
    }
    return 0;
}

//  Before the loop sleeps: schedule, dispatch, flush (Redis beforeSleep).
static int
s_before_sleep (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_coord_t *self = arg;
    s_schedule_due (self);
    s_flush (self, self->draining);
    size_t limit = (size_t) self->buffer_max;
    bool full = self->buffer.rows + self->writing.rows >= limit;
    if (full != self->buffer_full) {
        self->buffer_full = full;
        if (full)
            ws_warning ("write buffer full (%zu samples): dispatch paused "
                        "until the database takes them",
                        self->buffer.rows);
        else
            ws_notice ("write buffer drained: dispatch resumed");
    }
    s_dispatch (self);
    return 0;
}

//  ---------------------------------------------------------------------
//  Construction

//  Bind a ROUTER at the endpoint of config entry name ("workers" or
//  "clients", also its ZAP domain, WS_CURVE_DOMAIN_*). With a key pair
//  the socket is a CURVE server whose peers the ZAP handler checks;
//  without one, plain text only where it stays on this host, unless
//  allow-plaintext (PROTOCOL.md 12).
static void *
s_bind (ws_coord_t *self, void *context, const char *name, char *bound,
        size_t bound_size, ws_err_t *err)
{
    const char *endpoint = ws_config_string (self->config, name);
    if (!self->curve_cert && !ws_curve_endpoint_is_local (endpoint)
        && !ws_config_bool (self->config, "allow-plaintext")) {
        ws_err_set (err, WS_ERR_INPUT,
                    "config '%s': %s is not on this host and there is no key "
                    "pair for CURVE: run 'watershed keygen coordinator --dir "
                    "STATE-DIR/keys' (see README, Security), or pass "
                    "--allow-plaintext",
                    name, endpoint);
        ws_err_where (err, "%s", name);
        return NULL;
    }
    void *socket = zmq_socket (context, ZMQ_ROUTER);
    if (!socket) {
        ws_err_set (err, WS_ERR_SYSTEM, "zmq_socket: %s",
                    zmq_strerror (zmq_errno ()));
        return NULL;
    }
    int one = 1, zero = 0;
    int64_t max_size = WS_MSG_MAX_BODY + 4096;
    //  High-water marks: a burst of a few thousand messages per peer is
    //  normal (jobs and results are batched); past that the peer is not
    //  keeping up and ROUTER_MANDATORY reports it instead of dropping.
    int hwm = 10000;
    zmq_setsockopt (socket, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt (socket, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    zmq_setsockopt (socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (self->curve_cert
        && ws_curve_set_server (socket, self->curve_cert, name, err)) {
        zmq_close (socket);
        return NULL;
    }
    if (zmq_bind (socket, endpoint)) {
        ws_err_set (err, WS_ERR_SYSTEM, "bind '%s': %s", endpoint,
                    zmq_strerror (zmq_errno ()));
        zmq_close (socket);
        return NULL;
    }
    size_t size = bound_size;
    zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, bound, &size);
    return socket;
}

//  ZAP requests from libzmq's I/O thread, answered from the loop.
static int
s_on_zap (ws_loop_t *loop, void *socket, void *arg)
{
    (void) loop;
    (void) socket;
    ws_coord_t *self = arg;
    ws_curve_auth_serve (self->curve_auth);
    return 0;
}

//  CURVE is on when the coordinator has a key pair: --curve-key FILE, or
//  STATE-DIR/keys/coordinator.secret when that exists. Its allow-list is
//  --curve-authorized DIR, or STATE-DIR/authorized. The ZAP handler
//  binds before the sockets, which would let every key in otherwise.
static int
s_curve_start (ws_coord_t *self, void *context, ws_err_t *err)
{
    const char *state_dir = ws_config_string (self->config, "state-dir");
    const char *key = ws_config_string (self->config, "curve-key");
    char key_path[4200], dir_path[4200];
    if (!*key && *state_dir) {
        snprintf (key_path, sizeof key_path, "%s/keys/coordinator.secret",
                  state_dir);
        if (access (key_path, F_OK) == 0)
            key = key_path;
    }
    if (!*key)
        return 0;  //  plain text (s_bind says where it may be)
    self->curve_cert = ws_curve_cert_load (key, err);
    if (!self->curve_cert)
        return -1;
    const char *dir = ws_config_string (self->config, "curve-authorized");
    if (!*dir) {
        snprintf (dir_path, sizeof dir_path, "%s/authorized",
                  *state_dir ? state_dir : ".");
        dir = dir_path;
    }
    self->curve_auth = ws_curve_auth_new (context, dir, err);
    if (!self->curve_auth)
        return -1;
    ws_loop_reader (self->loop, ws_curve_auth_socket (self->curve_auth),
                    s_on_zap, self);
    ws_notice ("curve: on for workers and clients, %zu keys allowed in '%s'",
               ws_curve_auth_size (self->curve_auth), dir);
    return 0;
}

int
ws_coord_reload_keys (ws_coord_t *self, ws_err_t *err)
{
    if (!self->curve_auth)
        return 0;
    int count = ws_curve_auth_load (self->curve_auth, err);
    if (count < 0)
        return -1;
    ws_notice ("curve: allow-list reloaded, %d keys", count);
    return 0;
}

//  "28,90": the analysis windows in days; "" for no analysis.
static int
s_parse_windows (ws_coord_t *self, const char *text, ws_err_t *err)
{
    self->window_count = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long days = strtol (p, &end, 10);
        if (end == p || days < 1 || days > 3660 || self->window_count == 8
            || (*end && *end != ','))
            return ws_err_set (err, WS_ERR_INPUT,
                               "config 'analysis-windows': \"%s\": expected "
                               "up to 8 day counts 1..3660, e.g. \"28,90\"",
                               text);
        self->windows[self->window_count++] = (int) days;
        p = *end ? end + 1 : end;
    }
    return 0;
}

ws_coord_t *
ws_coord_new (ws_loop_t *loop, ws_config_t *config, ws_db_t *db,
              void *zmq_context, ws_err_t *err)
{
    ws_coord_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->loop = loop;
    self->config = config;
    self->db = db;
    self->writer = ws_db_dup (db);
    self->writer_fd = -1;
    self->heartbeat_ms = ws_config_int (config, "heartbeat");
    self->liveness = (int) ws_config_int (config, "liveness");
    self->max_attempts = (int) ws_config_int (config, "job-attempts");
    self->max_outstanding = (int) ws_config_int (config, "max-outstanding");
    self->batch_max = ws_config_int (config, "batch-max");
    self->flush_interval_ms = ws_config_int (config, "flush-interval");
    self->health_interval_ms = ws_config_int (config, "health-interval");
    self->health_routine_ms = ws_config_int (config, "health-routine");
    self->buffer_max = ws_config_int (config, "buffer-max");
    self->dispatch_batch = (int) ws_config_int (config, "dispatch-batch");
    self->drain_timeout_ms = ws_config_int (config, "drain-timeout");
    self->sched = ws_sched_new (ws_config_int (config, "backoff-max"));
    self->dirty = ws_map_new (NULL);
    ws_coord_goals_init (self);
    ws_coord_hooks_init (self);
    self->goal_debounce_ms = ws_config_int (config, "goal-debounce");
    self->goal_interval_ms = ws_config_int (config, "goal-interval");
    self->analysed = ws_map_new (NULL);
    self->analysis_step_ms = ws_config_int (config, "analysis-step");
    self->analysis_debounce_ms = ws_config_int (config, "analysis-debounce");
    self->analysis_interval_ms = ws_config_int (config, "analysis-interval");
    self->analysis_horizon = (int) ws_config_int (config, "analysis-horizon");
    self->analysis_per_turn = 20;
    if (s_parse_windows (self, ws_config_string (config, "analysis-windows"),
                         err)) {
        ws_coord_destroy (&self);
        return NULL;
    }
    self->workers_by_id = ws_map_new (s_worker_free);
    self->jobs = ws_map_new (s_job_free);
    self->series_ids = ws_map_new (NULL);
    self->dropped_by = ws_map_new (NULL);
    self->buffer.new_index = ws_map_new (NULL);
    //  Job ids: the incarnation (start time in seconds) in the high 32
    //  bits, so a result from before a restart never matches a new job.
    self->incarnation = ((uint64_t) (ws_wall_ms () / 1000) & 0x7fffffffULL)
                        << 32;
    self->started = ws_wall_ms ();

    if (s_curve_start (self, zmq_context, err) == 0)
        self->workers =
            s_bind (self, zmq_context, WS_CURVE_DOMAIN_WORKERS,
                    self->worker_endpoint, sizeof self->worker_endpoint, err);
    if (self->workers)
        self->clients =
            s_bind (self, zmq_context, WS_CURVE_DOMAIN_CLIENTS,
                    self->client_endpoint, sizeof self->client_endpoint, err);
    if (!self->workers || !self->clients
        || ws_coord_metrics_start (self, err)) {
        ws_coord_destroy (&self);
        return NULL;
    }
    ws_loop_reader (loop, self->workers, s_on_workers_readable, self);
    ws_loop_reader (loop, self->clients, ws_coord_on_clients_readable, self);
    self->cron_timer = ws_loop_timer (loop, 20, true, s_cron, self);
    ws_loop_set_before_sleep (loop, s_before_sleep, self);
    return self;
}

void
ws_coord_destroy (ws_coord_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_coord_t *self = *self_p;
    ws_coord_metrics_stop (self);
    if (self->workers) {
        ws_loop_reader_end (self->loop, self->workers);
        zmq_close (self->workers);
    }
    if (self->clients) {
        ws_loop_reader_end (self->loop, self->clients);
        zmq_close (self->clients);
    }
    if (self->curve_auth) {
        ws_loop_reader_end (self->loop,
                            ws_curve_auth_socket (self->curve_auth));
        ws_curve_auth_destroy (&self->curve_auth);
    }
    ws_curve_cert_destroy (&self->curve_cert);
    if (self->cron_timer)
        ws_loop_timer_end (self->loop, self->cron_timer);
    ws_loop_set_before_sleep (self->loop, NULL, NULL);
    s_buffer_clear (self);
    ws_map_destroy (&self->buffer.new_index);
    free (self->buffer.series);
    free (self->buffer.ts);
    free (self->buffer.values);
    free (self->buffer.new_series);
    free (self->buffer.acks);
    s_missed_free (&self->buffer);
    free (self->buffer.missed);
    if (self->write_busy)
        s_writer_unwatch (self);
    free (self->writing.series);
    free (self->writing.ts);
    free (self->writing.values);
    free (self->writing.acks);
    s_missed_free (&self->writing);
    free (self->writing.missed);
    ws_db_destroy (&self->writer);
    ws_map_destroy (&self->jobs);
    ws_map_destroy (&self->workers_by_id);
    ws_map_destroy (&self->series_ids);
    ws_map_destroy (&self->dropped_by);
    ws_map_destroy (&self->dirty);
    ws_coord_hooks_destroy (self);
    ws_coord_probe_destroy (self);
    ws_coord_goals_destroy (self);
    ws_map_destroy (&self->analysed);
    ws_sched_destroy (&self->sched);
    free (self);
    *self_p = NULL;
}

int
ws_coord_reload (ws_coord_t *self, ws_err_t *err)
{
    json_t *rows = ws_db_load_sources (self->db, err);
    if (!rows)
        return -1;
    int enabled = ws_sched_load (self->sched, rows, ws_wall_ms ());
    ws_notice ("sources: %zu loaded, %d enabled", json_array_size (rows),
               enabled);
    json_decref (rows);
    return 0;
}

static void
s_longest_job (ws_sched_source_t *source, void *arg)
{
    int64_t *longest = arg;
    int64_t budget = ws_coord_job_budget (source->source);
    if (source->scan_to && budget > *longest)
        *longest = budget;
}

int
ws_coord_start (ws_coord_t *self, ws_err_t *err)
{
    if (ws_db_ensure_partitions (self->db, ws_wall_ms (), 2, err))
        return -1;
    self->last_partition_check = ws_clock_ms ();
    if (ws_coord_reload (self, err))
        return -1;
    //  The ticks the previous run may have lost are checked once the
    //  results it left with workers are in: workers notice the restart
    //  within their liveness, re-send what was not ACKed, and finish
    //  the jobs they hold within the jobs' deadline.
    int64_t longest = 0;
    ws_sched_each (self->sched, s_longest_job, &longest);
    if (longest)
        self->scan_at =
            ws_clock_ms () + longest + 2 * self->heartbeat_ms * self->liveness;
    return 0;
}

typedef struct {
    int64_t *ids, *from, *to, *step;
    size_t count, max;
} s_scan_t;

static void
s_scan_collect (ws_sched_source_t *source, void *arg)
{
    s_scan_t *scan = arg;
    if (!source->scan_to)
        return;
    if (scan->count == scan->max) {
        scan->max = scan->max ? scan->max * 2 : 64;
        scan->ids = realloc (scan->ids, scan->max * sizeof (int64_t));
        scan->from = realloc (scan->from, scan->max * sizeof (int64_t));
        scan->to = realloc (scan->to, scan->max * sizeof (int64_t));
        scan->step = realloc (scan->step, scan->max * sizeof (int64_t));
        if (!scan->ids || !scan->from || !scan->to || !scan->step)
            abort ();
    }
    scan->ids[scan->count] = source->id;
    scan->from[scan->count] = source->scan_from;
    scan->to[scan->count] = source->scan_to;
    scan->step[scan->count] = source->interval_ms;
    scan->count++;
}

static void
s_scan_done (ws_sched_source_t *source, void *arg)
{
    (void) arg;
    source->scan_from = source->scan_to = 0;
}

//  After a start: record as missed ('down') the ticks between where the
//  previous run's accounting ended and this run's first tick that have
//  neither samples nor a record: watershedd was not running, or died
//  before they were stored.
static void
s_scan_lost (ws_coord_t *self)
{
    s_scan_t scan = {0};
    ws_sched_each (self->sched, s_scan_collect, &scan);
    ws_err_t err;
    int64_t recorded =
        scan.count
            ? ws_db_record_down_ticks (self->db, scan.count, scan.ids,
                                       scan.from, scan.to, scan.step,
                                       "not collected: watershedd was not "
                                       "running, or stopped before the tick "
                                       "was stored",
                                       &err)
            : 0;
    if (recorded < 0) {
        ws_warning ("%s; trying again in 10 s", err.text);
        self->scan_at = ws_clock_ms () + 10000;
    }
    else {
        ws_sched_each (self->sched, s_scan_done, NULL);
        self->scan_at = 0;
        self->stats.ticks_down += recorded;
        self->stats.ticks_missed += recorded;
        if (recorded)
            ws_notice ("%" PRId64 " ticks of %zu sources recorded as not "
                       "collected (watershedd was not running)",
                       recorded, scan.count);
    }
    free (scan.ids);
    free (scan.from);
    free (scan.to);
    free (scan.step);
}

const char *
ws_coord_worker_endpoint (ws_coord_t *self)
{
    return self->worker_endpoint;
}

const char *
ws_coord_client_endpoint (ws_coord_t *self)
{
    return self->client_endpoint;
}

void
ws_coord_set_embedded (ws_coord_t *self, bool embedded)
{
    self->embedded_db = embedded;
}

void
ws_coord_drain (ws_coord_t *self)
{
    if (self->draining) {
        ws_notice ("drain: second signal, stopping now");
        self->drain_deadline = 0;
        return;
    }
    self->draining = true;
    self->drain_deadline = ws_clock_ms () + self->drain_timeout_ms;
    //  Queued jobs were never sent: they are simply not run.
    s_job_t *job;
    while ((job = s_queue_pop (self))) {
        ws_sched_source_t *source = ws_sched_get (self->sched, job->source_id);
        if (source)
            source->outstanding--;
        ws_map_delete_int (self->jobs, job->id);
    }
    ws_notice ("drain: waiting up to %" PRId64 " ms for %zu jobs in flight",
               self->drain_timeout_ms, ws_map_size (self->jobs));
}

static int
s_goodbye (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_send_worker (arg, value, WS_MSG_DISCONNECT,
                   json_pack ("{s:s}", "reason", "coordinator stopping"));
    return 0;
}

void
ws_coord_say_goodbye (ws_coord_t *self)
{
    ws_map_each (self->workers_by_id, s_goodbye, self);
}
