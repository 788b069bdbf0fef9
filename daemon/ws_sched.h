//  ws_sched - the coordinator's table of sources: their parsed
//  definitions, their schedule and their health. Each source ticks on a
//  fixed grid, tick k at k * interval + phase, where the phase comes from a
//  hash of the name: ticks of many sources spread over the interval
//  (jitter), and a restarted coordinator reproduces the same tick times,
//  so a tick collected twice is one sample (samples are keyed by tick).
//  After consecutive failures a source backs off exponentially (2^f
//  intervals, up to backoff_max), staying on its grid; one success resets
//  it. Health lives here and is flushed to source_health in batches.
#ifndef WS_SCHED_H
#define WS_SCHED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_db.h"
#include "ws_err.h"
#include "ws_source.h"

typedef struct {
    int64_t id;
    char *name;            //  owns
    ws_source_t *source;   //  owns
    json_t *def;           //  owns; normalised definition
    char *def_text;        //  owns; def as compact JSON, sent in jobs
    int64_t version;       //  of def_text: a hash in 1..2^53-1, so jobs
                           //  can name a definition a worker holds
    int64_t *rule_series;  //  owns; series id per rule, 0 = not known yet
    int64_t interval_ms;
    int64_t phase_ms;  //  0 <= phase < interval
    bool enabled;
    int64_t next_tick;  //  ms; the next tick to dispatch
    int outstanding;    //  jobs queued or in flight
    //  Accounting (sql/0008_missed_ticks.sql): every tick is stored or
    //  recorded as missed.
    int64_t last_planned;  //  ms; the newest tick handed out by
                           //  ws_sched_next_due, 0 = none yet this run
    const char *skip_why;  //  static; why the schedule jumps over ticks
                           //  ("backoff", "behind"), NULL if it does not
    int64_t scan_from;     //  ms; the previous run's accounted_before:
    int64_t scan_to;       //  ticks in [scan_from, scan_to) may be lost
                           //  (a crash); 0 when there is nothing to check
    int64_t open_min;      //  ms; the oldest tick not committed, set by
                           //  the coordinator before ws_sched_take_dirty
    size_t missed_at;      //  1 + index of its last run in the
    uint64_t missed_gen;   //  coordinator's buffer of that generation
    //  Health
    int failures;  //  consecutive ticks that yielded nothing
    int64_t last_tick, last_success, last_error_at;  //  ms, 0 = never
    char *last_error;                                //  owns, NULL if none
    char *last_error_kind;                           //  owns
    char *last_values;    //  owns; JSON text of the latest samples
    double *rule_values;  //  owns; the latest value per rule, and
    bool *rule_have;      //  owns; whether the rule gave one
    bool values_pending;  //  rule_values newer than last_values
    int64_t ticks_ok, ticks_failed;
    bool dirty;    //  health changed (a failure, a recovery), not written
    bool routine;  //  only successes since the last write
    size_t heap_index;
} ws_sched_source_t;

typedef struct _ws_sched_t ws_sched_t;

ws_sched_t *ws_sched_new (int64_t backoff_max_ms);
void ws_sched_destroy (ws_sched_t **self_p);

//  Replace the table with the rows of ws_db_load_sources (borrowed).
//  Health already in memory wins over the stored one (it is newer). A
//  row whose definition no longer parses is skipped with a warning.
//  Returns the number of enabled sources.
int ws_sched_load (ws_sched_t *self, json_t *rows, int64_t now_ms);

ws_sched_source_t *ws_sched_get (ws_sched_t *self, int64_t id);
size_t ws_sched_count (ws_sched_t *self);

//  The next source whose tick is due at now_ms, with *tick set to that
//  tick, and its next tick planned; NULL when none is due.
ws_sched_source_t *ws_sched_next_due (ws_sched_t *self, int64_t now_ms,
                                      int64_t *tick);

//  Ms until the earliest tick (0 if due, -1 if no source).
int64_t ws_sched_wait (ws_sched_t *self, int64_t now_ms);

//  Record the outcome of a tick. A result with samples and an error (one
//  rule failed) records the error but does not back off: the other rules
//  still deliver. values is the JSON text of its samples (borrowed).
void ws_sched_record (ws_sched_t *self, ws_sched_source_t *source, int64_t tick,
                      bool ok, size_t samples, const char *error,
                      const char *error_kind, const char *values,
                      int64_t now_ms);

//  The same for a result that gives one value per rule of the source
//  (values[i] valid where have[i]): the latest values are kept as
//  numbers and rendered as text only when asked for.
void ws_sched_record_rules (ws_sched_t *self, ws_sched_source_t *source,
                            int64_t tick, bool ok, const double *values,
                            const bool *have, const char *error,
                            const char *error_kind, int64_t now_ms);

//  The latest samples as JSON text ([{"metric", "labels", "value"}]),
//  borrowed until the next record; NULL if none yet.
const char *ws_sched_last_values (ws_sched_source_t *source);

//  Record a tick that was never collected through no fault of the
//  source (no worker free): an error to show, but no backoff.
void ws_sched_record_skipped (ws_sched_t *self, ws_sched_source_t *source,
                              int64_t tick, const char *why, int64_t now_ms);

//  The first tick at or after ms on the source's grid.
int64_t ws_sched_grid_at_or_after (ws_sched_source_t *source, int64_t ms);

//  Everything before the returned tick (ms) is committed (stored or
//  recorded as missed), from last_planned and open_min; 0 when unknown
//  (nothing planned yet, or the previous run's ticks still unchecked).
int64_t ws_sched_accounted_before (ws_sched_source_t *source);

//  The health rows of dirty sources into *rows (caller frees the array,
//  not the strings, which stay borrowed until the next call); marks them
//  clean. Returns the count.
//  With routine, also the sources that only had successes.
size_t ws_sched_take_dirty (ws_sched_t *self, bool routine,
                            ws_db_health_t **rows);

//  Mark every source dirty again (after a failed health write).
void ws_sched_mark_dirty (ws_sched_t *self, const ws_db_health_t *rows,
                          size_t count);

//  Call fn for every source, in id order.
typedef void (ws_sched_each_fn) (ws_sched_source_t *source, void *arg);
void ws_sched_each (ws_sched_t *self, ws_sched_each_fn *fn, void *arg);

#endif
