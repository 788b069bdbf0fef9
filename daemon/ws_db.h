//  ws_db - the coordinator's PostgreSQL connection: the only process with
//  database credentials (DESIGN.md). Every statement is parameterised;
//  batches go in as arrays through unnest() in one statement, one
//  transaction per batch. The connection is synchronous: a batch of a few
//  thousand rows is one round trip of a few ms, cheaper than the
//  bookkeeping of an asynchronous one at this rate.
#ifndef WS_DB_H
#define WS_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

typedef struct _ws_db_t ws_db_t;

//  A connection to conninfo (copied; never logged: it may hold a
//  password). Not connected until ws_db_connect.
ws_db_t *ws_db_new (const char *conninfo);
void ws_db_destroy (ws_db_t **self_p);

//  Connect, or reconnect after a failure. 0 or -1 with *err.
int ws_db_connect (ws_db_t *self, ws_err_t *err);
bool ws_db_connected (ws_db_t *self);

//  Apply the embedded migrations (ws_migrate). Returns the count applied.
int ws_db_migrate (ws_db_t *self, ws_err_t *err);

//  Create monthly partitions of samples from this month to months_ahead
//  months ahead, if missing.
int ws_db_ensure_partitions (ws_db_t *self, int64_t now_ms, int months_ahead,
                             ws_err_t *err);

//  All sources with their stored health, as a JSON array of {"id",
//  "name", "def", "enabled", "failures", "next_due" (ms or null),
//  "last_tick", "last_success", "last_error", "last_error_at",
//  "last_error_kind", "last_values", "ticks_ok", "ticks_failed"}.
json_t *ws_db_load_sources (ws_db_t *self, ws_err_t *err);

//  Create or update sources by name from normalised definitions (an
//  array of ws_source_to_json objects), in one transaction; with prune,
//  delete the sources not named. With dry_run, roll back. *report gets
//  {"created": [names], "updated": [...], "unchanged": [...],
//  "deleted": [...]}.
int ws_db_apply_sources (ws_db_t *self, json_t *defs, bool prune, bool dry_run,
                         json_t **report, ws_err_t *err);

//  Apply a checked set (ws_campaign_check_set: {"sources", "campaigns",
//  "goals", "activities", "hooks"}, each optional, normalised) in one
//  transaction: campaigns first, then goals and activities, whose
//  "campaign" is looked up by name (WS_ERR_NOTFOUND, where
//  "/goals/N/campaign", when it is not stored). Rows are matched by name
//  (activities by campaign, kind, at and note) and updated only when
//  their definition changed. With prune, each kind present in set loses
//  the rows it does not name; with dry_run, everything is rolled back.
//  On error nothing is applied; err->where points into set. *report gets
//  {"sources": SECTION, "campaigns": ..., "goals": ..., "activities":
//  ..., "hooks": ..., "dry_run"} with SECTION = {"created": [labels],
//  "updated", "unchanged", "deleted"}, and the sources' four lists at the
//  top level. Hooks are matched by name like goals.
int ws_db_apply (ws_db_t *self, json_t *set, bool prune, bool dry_run,
                 json_t **report, ws_err_t *err);

//  Series ids for (metric, labels text, type, period, source) tuples;
//  creates the missing ones. ids[i] is set for every i.
int ws_db_resolve_series (ws_db_t *self, size_t count,
                          const char *const *metrics, const char *const *labels,
                          const char *const *types, const int64_t *period_ms,
                          const int64_t *source_ids, int64_t *ids,
                          ws_err_t *err);

//  Insert samples (series id, tick ms, value) with ON CONFLICT DO
//  NOTHING, in one transaction; the arrays go in PostgreSQL's binary
//  form. *inserted gets the rows that were new.
//  Ticks that stored nothing (sql/0008_missed_ticks.sql) travel in the
//  same statement.
typedef struct {
    int64_t source_id;
    int64_t first_ms, last_ms;  //  a run of ticks on the source's grid
    int ticks;
    const char *reason;  //  error, refused, backoff, skipped, behind, down
    char *error;         //  owned by the caller; NULL if none
} ws_db_missed_t;

int ws_db_insert_samples (ws_db_t *self, size_t count, const int64_t *series,
                          const int64_t *ts, const double *values,
                          size_t missed_count, const ws_db_missed_t *missed,
                          int64_t *inserted, ws_err_t *err);

//  The same without waiting, for the coordinator's loop: send the batch
//  (0 or -1 with *err), then while ws_db_flush_out returns 1 wait for
//  ws_db_socket to be writable and call it again (0 done, -1 failed);
//  then each time the socket is readable call ws_db_poll_samples: 1
//  while the answer is not all there, 0 when the batch is committed
//  (*inserted set), -1 with *err when it failed. ws_db_wait_samples
//  blocks for the answer instead. One batch at a time per connection,
//  and nothing else on it meanwhile: the coordinator writes on a
//  connection of its own (ws_db_dup).
//  A first try sends a plain INSERT, the cheap statement (an ON
//  CONFLICT check costs PostgreSQL a second index search per row); when
//  it fails because a sample is stored already (ws_db_duplicate), the
//  batch goes again with again set and those samples are skipped.
int ws_db_send_samples (ws_db_t *self, size_t count, const int64_t *series,
                        const int64_t *ts, const double *values,
                        size_t missed_count, const ws_db_missed_t *missed,
                        bool again, ws_err_t *err);

//  After a restart: for each source i, record as 'down' (error why) the
//  ticks from_ms[i], from_ms[i] + step_ms[i], ... below to_ms[i] that have
//  neither samples nor a missed_ticks row (ws_record_down_ticks). Returns
//  the count of ticks recorded, or -1 with *err.
int64_t ws_db_record_down_ticks (ws_db_t *self, size_t count,
                                 const int64_t *sources, const int64_t *from_ms,
                                 const int64_t *to_ms, const int64_t *step_ms,
                                 const char *why, ws_err_t *err);
bool ws_db_duplicate (ws_db_t *self);
//  The source that feeds a series (0 if none or no such series, -1
//  with *err).
int64_t ws_db_series_source (ws_db_t *self, int64_t series_id, ws_err_t *err);

//  Whether the last batch was refused for a row's sake (SQLSTATE class
//  22 or 23 other than a duplicate): sending it again fails again.
bool ws_db_row_error (ws_db_t *self);
int ws_db_socket (ws_db_t *self);
int ws_db_flush_out (ws_db_t *self, ws_err_t *err);
int ws_db_poll_samples (ws_db_t *self, int64_t *inserted, ws_err_t *err);
int ws_db_wait_samples (ws_db_t *self, int64_t *inserted, ws_err_t *err);

//  Sends that never block (PQsetnonblocking), for the writer.
int ws_db_set_nonblocking (ws_db_t *self, ws_err_t *err);

//  A new handle on the same database (not connected yet).
ws_db_t *ws_db_dup (ws_db_t *self);

//  One source's health, as the coordinator keeps it in memory.
typedef struct {
    int64_t source_id;
    int failures;
    int64_t next_due, last_tick, last_success, last_error_at;  //  ms, 0 none
    const char *last_error;       //  borrowed, NULL if none
    const char *last_error_kind;  //  borrowed
    const char *last_values;      //  borrowed JSON text, NULL if none
    int64_t ticks_ok, ticks_failed;
    int64_t accounted_before;  //  ms; every earlier tick is stored or in
                               //  missed_ticks; 0 = leave as stored
} ws_db_health_t;

//  Upsert the health rows in one statement.
int ws_db_write_health (ws_db_t *self, const ws_db_health_t *rows, size_t count,
                        ws_err_t *err);

//  Series for 'watershed series': [{"id","metric","labels","type",
//  "samples","first","last","last_value"}], optionally one metric.
json_t *ws_db_list_series (ws_db_t *self, const char *metric, ws_err_t *err);

//  Samples for 'watershed samples': [{"labels","ts","value"}] of a metric
//  whose labels contain filter (a JSON object, may be empty), from..to
//  (ms; 0 = open), newest limit rows returned oldest first.
json_t *ws_db_query_samples (ws_db_t *self, const char *metric, json_t *filter,
                             int64_t from, int64_t to, int64_t limit,
                             ws_err_t *err);

//  A series rolled up to step_ms since from_ms: the last value of each
//  step, oldest first, into *t (step start, ms) and *x (caller frees
//  both); *type gets the series' metric type (static string). Returns
//  the number of steps, -1 with *err.
long ws_db_rollup (ws_db_t *self, int64_t series_id, int64_t from_ms,
                   int64_t step_ms, int64_t **t, double **x, const char **type,
                   ws_err_t *err);

//  Ids of every series (caller frees), for the periodic analysis.
long ws_db_series_ids (ws_db_t *self, int64_t **ids, ws_err_t *err);

//  Store an analysis of a series over a window (the ws_trend object,
//  borrowed), replacing the older one.
int ws_db_store_trend (ws_db_t *self, int64_t series_id, int window_days,
                       int64_t step_ms, json_t *analysis, ws_err_t *err);

//  Stored trends for 'watershed trends': [{"metric","labels","window_days",
//  "computed_at","n","direction","mk_p","sen_slope","change_index",
//  "change_p","analysis"}], optionally of one metric.
json_t *ws_db_list_trends (ws_db_t *self, const char *metric, json_t *filter,
                           ws_err_t *err);

//  The stored trend of one series and window as a row of
//  ws_db_list_trends (caller owns), json_null () if there is none, NULL
//  with *err on error.
json_t *ws_db_get_trend (ws_db_t *self, int64_t series_id, int window_days,
                         ws_err_t *err);

//  Record an alert of ws_trend_events (borrowed) about a series; one
//  seen before (same fingerprint) is not recorded again. *recorded gets
//  1 for a new row, 0 for a repeat.
int ws_db_record_alert (ws_db_t *self, json_t *alert, int64_t series_id,
                        int window_days, int *recorded, ws_err_t *err);

//  Number of series, for status; -1 on error.
int64_t ws_db_count_series (ws_db_t *self, ws_err_t *err);

//  Import history into the series of (metric, labels: a JSON object of
//  strings, borrowed), in one transaction ('watershed import'). A missing
//  series is created with type (NULL: "gauge") and, for per_period,
//  period_ms (0: one day); an existing one keeps its type and period, and
//  a type or period_ms (0: none given) that differs from them is refused
//  (WS_ERR_INPUT, where "/type" or "/period_ms"). The count rows (ts ms,
//  value; no ts twice, the caller checks) are upserted: a new ts is
//  inserted, a stored one with another value is updated, an equal one
//  is left alone, so importing the same file twice changes nothing and a
//  corrected file corrects. With dry_run everything is rolled back.
//  *report (caller owns) gets {"series_id" (null for a series a dry run
//  would create), "created", "type", "period_ms" (or null), "rows",
//  "inserted", "updated", "unchanged", "from", "to" (ms), "dry_run"}.
int ws_db_import (ws_db_t *self, const char *metric, json_t *labels,
                  const char *type, int64_t period_ms, size_t count,
                  const int64_t *ts, const double *values, bool dry_run,
                  json_t **report, ws_err_t *err);

//  ---------------------------------------------------------------------
//  Goals (ws_db_goals.c)

//  Every goal: [{"id", "name", "def" (normalised JSON), "campaign" (name
//  or null), "last" (its newest stored evaluation or null)}].
json_t *ws_db_load_goals (ws_db_t *self, ws_err_t *err);

//  The series of metric whose labels contain filter (an object or NULL):
//  [{"id", "type", "source_id" (0 if none), "labels"}].
json_t *ws_db_goal_series (ws_db_t *self, const char *metric, json_t *filter,
                           ws_err_t *err);

//  ws_db_goal_series for count (metric, filter) pairs in one statement:
//  an array of count arrays of series rows (caller owns).
json_t *ws_db_goal_series_many (ws_db_t *self, const char *const *metrics,
                                json_t *const *filters, size_t count,
                                ws_err_t *err);

//  ws_db_rollup for count (series, from) pairs in one statement; out[i]
//  gets pair i's steps (t and x caller frees; type static).
typedef struct {
    int64_t *t;
    double *x;
    long n;
    const char *type;
} ws_db_rollup_t;
int ws_db_rollup_many (ws_db_t *self, const int64_t *ids, const int64_t *froms,
                       size_t count, int64_t step_ms, ws_db_rollup_t *out,
                       ws_err_t *err);

//  The newest sample time (ms, 0 for none) at or before before_ms of
//  each of ids[0..count-1], into newest[0..count-1].
int ws_db_newest_many (ws_db_t *self, const int64_t *ids, size_t count,
                       int64_t before_ms, int64_t *newest, ws_err_t *err);

//  The newest sample time (ms) at or before before_ms among the series
//  ids[0..count-1]; 0 if none, -1 with *err.
int64_t ws_db_newest_sample (ws_db_t *self, const int64_t *ids, size_t count,
                             int64_t before_ms, ws_err_t *err);

//  Store many evaluations in one statement: rows (borrowed) [{"goal_id",
//  "evaluated_at", "as_of", "evaluation"}]; stored[i] (count of rows)
//  says whether row i was new.
int ws_db_store_goal_progress_many (ws_db_t *self, json_t *rows, bool *stored,
                                    ws_err_t *err);

//  Record many goals' alerts in one statement, each once per
//  fingerprint: alerts (borrowed) [{"fingerprint", "kind", "from", "to",
//  "severity", "summary", "evidence", "goal_id"}]; recorded[i] says
//  whether alert i was new (not there already, its goal not gone).
int ws_db_record_goal_alerts (ws_db_t *self, json_t *alerts, bool *recorded,
                              ws_err_t *err);

//  For 'watershed alerts': the newest alerts first, at most limit, the
//  one of id when not 0, of one goal and one kind when given, created
//  since since (ms; 0: any): [{"id", "created_at", "kind", "severity",
//  "goal" (or null), "series" ({"metric", "labels"} or null), "from",
//  "to", "summary", "evidence", "deliveries" [{"hook", "state",
//  "attempts", "last_error", "last_status", "response",
//  "idempotency_key", "created_at", "last_attempt_at", "next_attempt_at"
//  (while it is to be attempted), "delivered_at"}], "silenced_by" (a
//  silence's id or null), "repeat_of" (an alert id or null), "routed"}].
json_t *ws_db_list_alerts (ws_db_t *self, int64_t id, const char *goal,
                           const char *kind, int64_t since, int64_t limit,
                           ws_err_t *err);

//  Silences (ws_hook_silence_check's form, borrowed): add one (its id,
//  -1 with *err); list the active ones, or all: [{"id", "goal",
//  "campaign", "labels", "until", "reason", "created_at", "active"}];
//  expire one now (1, or 0 when there is no such id; -1 with *err).
int64_t ws_db_silence_add (ws_db_t *self, json_t *silence, ws_err_t *err);
json_t *ws_db_silences (ws_db_t *self, bool all, ws_err_t *err);
int ws_db_silence_expire (ws_db_t *self, int64_t id, ws_err_t *err);

//  For 'watershed progress': every goal (or one campaign's, or one) with
//  its newest evaluation at or before as_of (0: the newest of all):
//  [{"goal", "campaign", "def", "evaluated_at" (ms or null),
//  "evaluation" (or null)}], by campaign and name.
json_t *ws_db_progress (ws_db_t *self, int64_t as_of, const char *campaign,
                        const char *goal, ws_err_t *err);

//  For 'watershed goal show': {"goal_id", "goal", "def", "campaign"
//  ({"name", "objective", "channel", "start", "end", "budget"} or null),
//  "activities" [{"kind", "at", "note", "segment"}], "history" (up to
//  as_of, oldest first, at most 1,000), "evaluation", "evaluated_at"};
//  JSON null when there is no such goal; NULL with *err.
json_t *ws_db_goal_detail (ws_db_t *self, const char *name, int64_t as_of,
                           ws_err_t *err);

//  ---------------------------------------------------------------------
//  Hooks and deliveries (ws_db_hooks.c)

//  Every hook: [{"id", "name", "def" (ws_hook's normalised form)}].
json_t *ws_db_load_hooks (ws_db_t *self, ws_err_t *err);

//  Up to limit alerts not routed yet, oldest first, in the form
//  ws_alert_payload reads plus what routing needs: {"id", "fingerprint",
//  "kind", "severity", "from", "to", "summary", "evidence", "goal",
//  "campaign", "series", "created_at", "labels" (the goal's or the
//  series' labels), "hook_id" (0: any hook; else for that hook only),
//  "goal_id"}.
json_t *ws_db_unrouted_alerts (ws_db_t *self, int limit, ws_err_t *err);

//  Route alerts[0..count-1] in one transaction: create the deliveries
//  (pair_alerts[i], pair_hooks[i]) (a pair already there, or of a hook
//  deleted meanwhile, is skipped) and mark each alert routed, with the
//  silence that held it back (silenced_by[i], 0 for none). *created (may
//  be NULL) gets the deliveries made.
int ws_db_route_alerts (ws_db_t *self, const int64_t *alerts,
                        const int64_t *silenced_by, size_t count,
                        const int64_t *pair_alerts, const int64_t *pair_hooks,
                        size_t pairs, int64_t *created, ws_err_t *err);

//  Take up to limit deliveries that are due (pending, failed, or sending
//  with their lease run out), oldest due first: each is marked sending,
//  its attempts counted, and leased for lease_ms (when it is due again
//  if no outcome is recorded: a crash). Returns [{"id", "key"
//  (idempotency key), "attempts" (this attempt's number), "hook_id",
//  "created_at", "last_error", "last_status", "alert" (as
//  ws_db_unrouted_alerts)}].
json_t *ws_db_take_deliveries (ws_db_t *self, int limit, int64_t lease_ms,
                               ws_err_t *err);

//  Record the outcomes of attempts: outcomes (borrowed) [{"id" (the
//  delivery), "attempt" (the attempt answered), "state" (delivered,
//  failed or given_up), "retry_in_ms" (failed: when to try again),
//  "http_status"?, "error"?, "response"?}]. A success is recorded
//  whatever the attempt, a failure only for the newest attempt, nothing
//  over a delivered row. Returns the rows changed, or -1 with *err.
int ws_db_delivery_outcomes (ws_db_t *self, json_t *outcomes, ws_err_t *err);

//  Per goal and hook whose newest delivery was a slip: [{"goal_id",
//  "hook_id", "root" (the slip's alert), "last" (ms of the newest
//  delivery or repeat), "repeats"}].
json_t *ws_db_repeat_candidates (ws_db_t *self, ws_err_t *err);

//  Record an alert for one hook only (a repeat of root repeat_of, or a
//  test when repeat_of is 0; goal_id 0 for none), left to be routed.
//  Returns its id, 0 if its fingerprint was there already, -1 with *err.
int64_t ws_db_record_hook_alert (ws_db_t *self, json_t *alert, int64_t goal_id,
                                 int64_t hook_id, int64_t repeat_of,
                                 ws_err_t *err);

//  One delivery: {"state", "attempts", "last_status", "last_error",
//  "response", "key", "hook"}; JSON null if there is none.
json_t *ws_db_delivery (ws_db_t *self, int64_t id, ws_err_t *err);

#endif
