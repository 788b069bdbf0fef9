//  ws_coord_private - the coordinator's state, shared by ws_coord.c (the
//  worker side and the write path) and ws_coord_client.c (the clients'
//  requests). Not a public header.
#ifndef WS_COORD_PRIVATE_H
#define WS_COORD_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ws_buf.h"
#include "ws_coord.h"
#include "ws_curve.h"
#include "ws_map.h"
#include "ws_msg.h"
#include "ws_sched.h"

typedef struct s_worker {
    uint8_t id[WS_MSG_MAX_ROUTING_ID];  //  routing id
    size_t id_len;
    char *name;  //  owns
    char *host;  //  owns
    int pid;
    int credit;         //  most jobs it holds at once
    int in_flight;      //  jobs sent, no result yet
    int64_t last_seen;  //  monotonic ms of its last message; 0 = gone
    int64_t last_sent;  //  monotonic ms of our last message to it
    int64_t joined;     //  wall ms
    int64_t jobs_done;
    ws_map_t *defs;  //  owns; source id -> version of the definition sent
                     //  to this worker (PROTOCOL.md 4.3.2)
} s_worker_t;

typedef enum {
    S_JOB_COLLECT = 0,
    S_JOB_ANALYZE,
    S_JOB_EVALUATE,
    S_JOB_DELIVER,
    S_JOB_PROBE  //  'watershed source test' (ws_coord_probe.c)
} s_job_kind_t;

typedef struct s_job {
    uint64_t id;
    s_job_kind_t kind;
    int64_t series_id;    //  analyze: the series
    int window_days;      //  analyze: the window
    char *payload;        //  owns; analyze: "series" and "options" as JSON
                          //  members, read from the database at creation;
                          //  evaluate: the "goal" object as JSON text
    int64_t goal_id;      //  evaluate: the goal
    int64_t delivery_id;  //  deliver: the delivery ("payload" holds the
                          //  request)
    int64_t timeout_ms;   //  deliver: the hook's timeout; probe: the
                          //  source's budget (payload holds "source")
    int64_t source_id;    //  0 once a late result made a queued retry moot
    int64_t tick;         //  ms, the scheduled collection time
    int attempt;
    int64_t deadline;    //  wall ms, set at dispatch
    s_worker_t *worker;  //  borrowed; NULL while queued
    struct s_job *next;  //  queue link
    bool queued;
} s_job_t;

typedef struct {
    char *key;  //  owns; series cache key
    size_t key_len;
    char *metric;      //  owns
    char *labels;      //  owns; compact JSON, sorted keys
    const char *type;  //  static string
    int64_t period_ms;
    int64_t source_id;
} s_new_series_t;

typedef struct {
    uint8_t peer[WS_MSG_MAX_ROUTING_ID];
    size_t peer_len;
    uint64_t job_id;
    int64_t source_id, tick;  //  of a collection, else 0: open until the
                              //  batch commits (accounted_before)
} s_ack_t;

//  Results received and not yet committed. Rows refer to a series id,
//  or -(n+1) for new_series[n], resolved at flush.
typedef struct {
    int64_t *series;
    int64_t *ts;
    double *values;
    size_t rows, max_rows;
    s_new_series_t *new_series;
    size_t new_count, new_max;
    ws_map_t *new_index;  //  key -> n + 1
    s_ack_t *acks;
    size_t ack_count, ack_max;
    //  Ticks that stored nothing, written with the samples; errors owned
    ws_db_missed_t *missed;
    size_t missed_count, missed_max;
    int64_t first_at;  //  monotonic ms of the oldest unflushed result
} s_buffer_t;

#define S_RATE_SLOTS 11

typedef struct _ws_coord_hooks_t ws_coord_hooks_t;
typedef struct _ws_coord_metrics_t ws_coord_metrics_t;
typedef struct s_probe s_probe_t;

struct _ws_coord_t {
    ws_loop_t *loop;      //  borrowed
    ws_config_t *config;  //  borrowed
    ws_db_t *db;          //  borrowed
    void *workers;        //  owns; ROUTER for workers
    void *clients;        //  owns; ROUTER for clients
    char worker_endpoint[256];
    char client_endpoint[256];

    //  CURVE (PROTOCOL.md 12): the key pair, NULL for plain text, and
    //  the ZAP handler with the allow-list; both owned.
    ws_curve_cert_t *curve_cert;
    ws_curve_auth_t *curve_auth;

    ws_sched_t *sched;        //  owns
    ws_map_t *workers_by_id;  //  owns the workers
    ws_map_t *jobs;           //  owns the jobs, by id
    ws_map_t *series_ids;     //  series cache key -> id
    ws_map_t *dropped_by;     //  "name/pid" -> results that worker dropped
    s_job_t *queue_head, *queue_tail;  //  borrowed from jobs
    size_t queue_length;
    s_buffer_t buffer;
    //  The batch being written (s_flush), on a connection of its own so
    //  that the loop goes on while PostgreSQL works.
    s_buffer_t writing;
    ws_db_t *writer;  //  owns
    int writer_fd;    //  watched while write_busy, else -1
    bool write_busy;
    bool writing_again;  //  the batch was sent again, skipping duplicates
    uint64_t incarnation;
    uint64_t job_counter;
    s_probe_t *probes;  //  owns; clients waiting for 'source test'
    //  Bumped when the buffer is swapped out: a source's missed_at (an
    //  index into buffer.missed, to extend a run) is valid only for the
    //  generation it was taken in.
    uint64_t buffer_gen;
    //  The check of the ticks the previous run may have lost (sources'
    //  scan_from..scan_to), due at this monotonic ms; 0 when done.
    int64_t scan_at;
    size_t dispatch_turn;
    int cron_timer;
    //  Settings
    int64_t heartbeat_ms;
    int liveness;
    int max_attempts;
    int max_outstanding;
    int64_t batch_max;
    int64_t flush_interval_ms;
    int64_t health_interval_ms;
    int64_t health_routine_ms;
    int64_t last_routine_flush;
    int64_t buffer_max;
    int dispatch_batch;
    int64_t drain_timeout_ms;
    //  State
    bool draining;
    int64_t drain_deadline;
    bool buffer_full;
    bool db_failing;
    int64_t db_backoff_ms, db_retry_at;
    int64_t db_failing_since;  //  wall ms the writes began failing
    int64_t last_liveness_check, last_health_flush, last_partition_check;
    int64_t started;
    int64_t rate_samples[S_RATE_SLOTS], rate_times[S_RATE_SLOTS];
    int rate_slot;
    int64_t rate_at;
    struct {
        int64_t jobs_created, jobs_dispatched, jobs_redispatched;
        int64_t jobs_abandoned, ticks_skipped, results;
        int64_t ticks_missed;  //  recorded in missed_ticks (committed)
        int64_t ticks_down;    //  of those, by the check after a start
        int64_t samples_committed, samples_new, batches;
        int64_t samples_superseded;  //  values of a replaced definition
        int64_t samples_refused;     //  rows the database would not take
        int64_t results_dropped;     //  by workers, past their limit
        int64_t messages_refused, requests;
        int64_t analyses_created, analyses_stored, analyses_failed;
        int64_t alerts_recorded;
        int64_t goal_evaluations, goal_evaluations_failed;
        //  Batch writes timed from their first send to their commit
        //  (ws_coord_metrics_write_sent, ws_coord_metrics_write_done).
        double write_seconds_last, write_seconds_sum;
        int64_t writes_timed;
    } stats;
    int64_t write_sent_us;  //  monotonic us the batch in writing was sent
    bool embedded_db;
    //  Analysis (issue 4): series with new samples wait in dirty until
    //  their debounce has passed; every analysis_interval all series do.
    ws_map_t *dirty;     //  series id -> (void *) 1
    ws_map_t *analysed;  //  series id -> last analysis, wall ms
    int windows[8];      //  analysis windows in days
    int window_count;
    int64_t analysis_step_ms;
    int64_t analysis_debounce_ms;
    int64_t analysis_interval_ms;
    int analysis_horizon;
    int analysis_per_turn;  //  most series analysed per second
    int64_t last_analysis_sweep, last_analysis_turn;
    //  Goals (ws_coord_goals.c): evaluated after new samples of their
    //  series (debounced) and every goal_interval.
    ws_map_t *goals;        //  owns; goal id -> s_goal_t
    ws_map_t *goal_series;  //  series id -> (void *) 1, read by a goal
    ws_map_t *goal_dirty;   //  series id -> (void *) 1, new samples
    int64_t goal_debounce_ms;
    int64_t goal_interval_ms;
    int64_t last_goal_turn;
    bool goals_stale;    //  reload the goals at the next turn
    bool goals_backlog;  //  goals wait: turn every 100 ms
    //  Alert delivery (ws_coord_hooks.c).
    ws_coord_hooks_t *hooks;
    //  The metrics endpoint (ws_coord_metrics.c); NULL when off.
    ws_coord_metrics_t *metrics;  //  owns
};

//  Goals (ws_coord_goals.c).
void ws_coord_goals_init (ws_coord_t *self);
void ws_coord_goals_destroy (ws_coord_t *self);
//  Once a second from the cron: reload after an apply, then queue the
//  evaluations that are due.
void ws_coord_goals_turn (ws_coord_t *self);
//  Series with newly committed samples.
void ws_coord_goals_touch (ws_coord_t *self, const int64_t *series,
                           size_t count);
//  The RESULTs of kind evaluate of one message (borrowed), stored in
//  one statement, their alerts in another.
void ws_coord_goals_on_results (ws_coord_t *self, json_t *results);
//  Requests "progress" and "goal" (ws_coord_client.c's table).
json_t *ws_coord_goals_progress (ws_coord_t *self, json_t *args, ws_err_t *err);
json_t *ws_coord_goals_detail (ws_coord_t *self, json_t *args, ws_err_t *err);
//  Request "alerts": {"goal"?, "kind"?, "since"?, "limit"?}.
json_t *ws_coord_goals_alerts (ws_coord_t *self, json_t *args, ws_err_t *err);
//  Request "silence": {"action": "add", "silence": {...}} / {"action":
//  "list", "all"?} / {"action": "expire", "id"}.
json_t *ws_coord_silence (ws_coord_t *self, json_t *args, ws_err_t *err);
//  A repeat of a goal's slip for one hook (repeat_interval): recorded
//  when the goal is still at_risk or off_track; number counts the
//  repeats of root. Returns true if an alert was recorded.
bool ws_coord_goals_repeat (ws_coord_t *self, int64_t goal_id, int64_t hook_id,
                            int64_t root, int number, int64_t now);

//  Alert delivery (ws_coord_hooks.c).
void ws_coord_hooks_init (ws_coord_t *self);
void ws_coord_hooks_destroy (ws_coord_t *self);
//  From the cron: reload hooks after an apply, route new alerts, attempt
//  the deliveries that are due, repeat slips. Does the work at once
//  after a kick, else once a second.
void ws_coord_hooks_turn (ws_coord_t *self);
//  An alert was recorded: route it at the next turn.
void ws_coord_hooks_kick (ws_coord_t *self);
//  Hooks were applied: load them again.
void ws_coord_hooks_stale (ws_coord_t *self);
//  A RESULT of kind deliver: its outcome is kept for the flush.
void ws_coord_hooks_on_result (ws_coord_t *self, json_t *result);
//  Record the outcomes kept (one statement), then answer the 'hook
//  test' requests they end. After each RESULT message.
void ws_coord_hooks_flush (ws_coord_t *self);
//  A deliver job whose worker went away or whose deadline passed.
void ws_coord_hooks_job_lost (ws_coord_t *self, int64_t delivery_id,
                              const char *why);
//  Request "hook" ({"action": "test", "name"}): answered with
//  ws_coord_reply once the test alert's delivery has an outcome.
void ws_coord_hooks_request (ws_coord_t *self, const uint8_t *peer,
                             size_t peer_len, json_int_t request_id,
                             json_t *args);
//  Counters for 'status' (caller owns).
json_t *ws_coord_hooks_counters (ws_coord_t *self);

//  Request "probe" ({"name"} or {"source": definition}): one fetch
//  through a worker, answered when its result comes (ws_coord_probe.c).
void ws_coord_probe_request (ws_coord_t *self, const uint8_t *peer,
                             size_t peer_len, json_int_t id, json_t *args);
//  A probe's RESULT item: answered to its client.
void ws_coord_probe_on_result (ws_coord_t *self, json_t *result);
//  A probe's worker left or its deadline passed: the client is told.
void ws_coord_probe_lost (ws_coord_t *self, uint64_t job_id, const char *why);
void ws_coord_probe_destroy (ws_coord_t *self);

//  The coordinator's own metrics over HTTP (ws_coord_metrics.c): the
//  loop renders them, a thread of libmicrohttpd only serves the text.
//  Start serving at config 'metrics' ("off": not at all). 0, or -1 with
//  *err naming the option and the address.
int ws_coord_metrics_start (ws_coord_t *self, ws_err_t *err);
//  From the cron: render and publish the metrics, once a second.
void ws_coord_metrics_publish (ws_coord_t *self);
//  Stop serving and free the endpoint. Safe when it never started.
void ws_coord_metrics_stop (ws_coord_t *self);
//  "http://ADDR:PORT/metrics" as bound (borrowed), NULL when off.
const char *ws_coord_metrics_url (ws_coord_t *self);
//  A batch write was sent (not a resend) / committed: timed between.
void ws_coord_metrics_write_sent (ws_coord_t *self);
void ws_coord_metrics_write_done (ws_coord_t *self);
//  A source's health (static string): disabled, failing, degraded (its
//  latest tick had an error), ok, or pending (no tick yet).
const char *ws_coord_source_health (const ws_sched_source_t *source);

//  Values of one label and the number for each, e.g. sources by
//  health. Values are borrowed until the snapshot is formatted.
#define WS_COORD_METRICS_VALUES 32
typedef struct {
    const char *values[WS_COORD_METRICS_VALUES];  //  borrowed
    double counts[WS_COORD_METRICS_VALUES];
    size_t count;
} ws_coord_metrics_set_t;

//  Add count to value's number (a value past the capacity counts under
//  "other"). A count of 0 shows the value with 0.
void ws_coord_metrics_set_add (ws_coord_metrics_set_t *self, const char *value,
                               double count);

//  The goals by the reported status of their newest evaluation
//  ("unevaluated": none yet), into set (ws_coord_goals.c).
void ws_coord_goals_count_status (ws_coord_t *self,
                                  ws_coord_metrics_set_t *set);

//  Everything the exposition shows, taken from the coordinator at once.
typedef struct {
    const char *version;  //  borrowed
    double uptime_seconds;
    int64_t workers_connected, jobs_in_flight, jobs_queued;
    int64_t samples_buffered;
    int64_t jobs_dispatched, jobs_redispatched, jobs_abandoned;
    int64_t ticks_skipped, ticks_missed, samples_committed, batches;
    int64_t alerts_recorded, results_dropped;
    bool database_up;
    double write_seconds_last, write_seconds_sum;
    int64_t writes_timed;
    ws_coord_metrics_set_t source_errors;  //  by last_error_kind
    ws_coord_metrics_set_t sources;        //  by health
    ws_coord_metrics_set_t goals;          //  by reported status
    ws_coord_metrics_set_t deliveries;     //  by outcome
} ws_coord_metrics_snapshot_t;

//  Take the snapshot from the coordinator (its strings stay borrowed
//  from it until its state changes: use at once).
void ws_coord_metrics_gather (ws_coord_t *self,
                              ws_coord_metrics_snapshot_t *snapshot);
//  Append the Prometheus text exposition (version 0.0.4) of snapshot
//  to out. 0, or -1 when out is full or memory runs out.
int ws_coord_metrics_format (const ws_coord_metrics_snapshot_t *snapshot,
                             ws_buf_t *out);
//  Append value escaped as a label value of the text format (backslash,
//  double quote and line feed as \\, \" and \n). 0 or -1 as ws_buf.
int ws_coord_metrics_escape (ws_buf_t *out, const char *value);
//  Split config 'metrics' ("HOST:PORT", "[V6]:PORT") into host and
//  port. 0, or -1 with *err naming the option.
int ws_coord_metrics_parse_address (const char *text, char *host,
                                    size_t host_size, unsigned *port,
                                    ws_err_t *err);

//  Answer a client's REQUEST: result (taken), or the error in err.
void ws_coord_reply (ws_coord_t *self, const uint8_t *peer, size_t peer_len,
                     json_int_t id, json_t *result, ws_err_t *err);

//  How long a collection of source may take in all: every attempt, the
//  backoff between them, and the round trip (ws_coord.c).
int64_t ws_coord_job_budget (ws_source_t *source);

//  Queue a job (ws_coord.c).
void ws_coord_queue_job (ws_coord_t *self, s_job_t *job);

int ws_coord_on_clients_readable (ws_loop_t *loop, void *socket, void *arg);

//  The next well-formed message waiting on socket (a ROUTER), or NULL
//  when none waits. Malformed ones are refused on the way: logged with
//  who ("worker", "client") and the field at fault, counted, and
//  answered with ERROR to that peer only.
ws_msg_t *ws_coord_recv (ws_coord_t *self, void *socket, const char *who);
void ws_coord_say_goodbye (ws_coord_t *self);

#endif
