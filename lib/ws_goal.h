//  ws_goal - a SMART goal on a metric ("1,200 trial sign-ups in the EU by
//  31 March") and its evaluation at a moment: current value, progress, the
//  rate still required against the rate demonstrated, a projection at the
//  deadline with an 80% interval, and a status. The daemon evaluates goals
//  against stored samples; 'watershed goal eval' runs the same code on CSV
//  files. Evaluation is pure: no I/O, no clock, no history (hysteresis is
//  the daemon's, so reported_status = status here).
//
//  The JSON form (../shared/refdata/goals/README.md fixes every field):
//  {
//    "name": "eu-trial-signups",       [A-Za-z0-9_.-], 1..64 chars
//    "description": "1,200 trial sign-ups in the EU",        optional
//    "kind": "total",                  total, level or keep
//    "direction": "at_least",          at_least or at_most
//    "target": 1200,                   a finite number
//    "start": "2027-01-04T00:00:00Z",  ISO 8601
//    "deadline": "2027-04-04T00:00:00Z",           after start
//    "unit": "sign-ups",                                     optional
//    "baseline": 0,              optional; total 0, level from the data,
//                                keep none (refused)
//    "aggregation": "sum",       optional: sum, last, avg, max, min, count;
//                                default sum (total), last (level), avg
//                                (keep)
//    "ratio": {"numerator": "cost", "denominator": "acquisitions"},
//                                optional, keep and level only: the value
//                                is sum(numerator) / sum(denominator)
//    "checkpoints": [{"at": "2027-02-01T00:00:00Z", "progress": 0.2}],
//                                optional: the expected-progress curve
//                                through (start, 0), these, (deadline, 1)
//    "metric": "signups", "labels": {"region": "eu"}, "campaign": "q1-eu"
//                                optional: what 'watershed apply' files
//                                add (the series and the campaign)
//    "hysteresis": {"margin": 0.05, "recover_margin": 0.1, "hold": 3,
//                   "uncertainty": 1}
//                                optional, each key too: how the daemon's
//                                reported status resists noise
//                                (ws_goal_track.h)
//  }
//  Unknown keys are refused; errors name the field (err->where is its
//  JSON pointer, "/checkpoints/1/at").
#ifndef WS_GOAL_H
#define WS_GOAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

//  Evaluation thresholds (README "status", rule 3, and DESIGN.md).
//  too_early while less than this share of the goal's time is gone: the
//  reference cases put too_early at <= 2.5% and every verdict at >= 40%.
#define WS_GOAL_MIN_ELAPSED 0.10
//  ... or while fewer samples than this are in the window: a line through
//  two points has no error estimate, so no interval.
#define WS_GOAL_MIN_POINTS 3
//  The projection meets the target when it falls short by less than this
//  share of |target - baseline| (|target| for keep goals): a series on
//  the pace line with noise must read on_track, not flip to at_risk on
//  every other evaluation.
#define WS_GOAL_MARGIN 0.02
//  Confidence of projected_low .. projected_high.
#define WS_GOAL_CONFIDENCE 0.80

typedef enum { WS_GOAL_TOTAL = 0, WS_GOAL_LEVEL, WS_GOAL_KEEP } ws_goal_kind_t;

typedef enum { WS_GOAL_AT_LEAST = 0, WS_GOAL_AT_MOST } ws_goal_direction_t;

typedef enum {
    WS_GOAL_AGG_SUM = 0,
    WS_GOAL_AGG_LAST,
    WS_GOAL_AGG_AVG,
    WS_GOAL_AGG_MAX,
    WS_GOAL_AGG_MIN,
    WS_GOAL_AGG_COUNT
} ws_goal_agg_t;

//  Statuses in the README's order: the first that applies wins.
typedef enum {
    WS_GOAL_ACHIEVED = 0,
    WS_GOAL_MISSED,
    WS_GOAL_STALE,  //  the daemon's only: needs source health
    WS_GOAL_TOO_EARLY,
    WS_GOAL_ON_TRACK,
    WS_GOAL_AT_RISK,
    WS_GOAL_OFF_TRACK
} ws_goal_status_t;

//  One sample: t in ms since the Unix epoch, a finite value.
typedef struct {
    int64_t t;
    double value;
} ws_goal_sample_t;

typedef struct _ws_goal_t ws_goal_t;

//  Build a goal from its JSON form (borrowed). Caller owns the result.
//  NULL if invalid, with err->text naming the field and what was found
//  and err->where its JSON pointer within def ("/deadline").
ws_goal_t *ws_goal_new (json_t *def, ws_err_t *err);

//  Free the goal; NULLs *self_p. Safe on NULL and on repeat.
void ws_goal_destroy (ws_goal_t **self_p);

//  The normalised JSON form (caller owns): defaults filled in (direction,
//  aggregation), times as ISO 8601. ws_goal_new reads it back unchanged.
json_t *ws_goal_to_json (const ws_goal_t *self);

//  Fields (borrowed strings, valid while the goal lives; NULL if absent).
const char *ws_goal_name (const ws_goal_t *self);
ws_goal_kind_t ws_goal_kind (const ws_goal_t *self);
ws_goal_direction_t ws_goal_direction (const ws_goal_t *self);
double ws_goal_target (const ws_goal_t *self);
int64_t ws_goal_start (const ws_goal_t *self);     //  ms
int64_t ws_goal_deadline (const ws_goal_t *self);  //  ms
const char *ws_goal_metric (const ws_goal_t *self);
const char *ws_goal_campaign (const ws_goal_t *self);
//  The "hysteresis" settings of the definition (borrowed, normalised
//  by ws_goal_hysteresis_to_json), NULL when the goal gives none.
json_t *ws_goal_hysteresis_settings (const ws_goal_t *self);
//  The ratio's metrics; both NULL unless the goal has "ratio".
const char *ws_goal_numerator (const ws_goal_t *self);
const char *ws_goal_denominator (const ws_goal_t *self);

//  The expected progress at t (ms): clamp((t - start) / (deadline -
//  start), 0, 1), or piecewise linear through the checkpoints.
double ws_goal_expected_progress (const ws_goal_t *self, int64_t t);

//  Evaluate the goal at as_of (ms) on samples[0..count-1] (borrowed, in
//  time order; samples after as_of are ignored). A ratio goal needs the
//  denominator's samples (borrowed, in time order); other goals ignore
//  them (pass NULL, 0). Returns a new object (caller owns) with status,
//  reported_status, current, progress, expected_progress, projected,
//  projected_low, projected_high, required_rate, actual_rate (per day),
//  n, baseline, and days_left, window {from, to}, unit, summary, notes;
//  fields the README says are absent are left out. NULL with *err when a
//  value is not finite, the samples are out of order, or a ratio goal
//  has no denominator.
json_t *ws_goal_evaluate (const ws_goal_t *self,
                          const ws_goal_sample_t *samples, size_t count,
                          const ws_goal_sample_t *denominator,
                          size_t denominator_count, int64_t as_of,
                          ws_err_t *err);

//  0 when every value is finite and the times are in order; else -1
//  with *err naming what ("goal samples") and the sample's index.
int ws_goal_check_samples (const ws_goal_sample_t *samples, size_t count,
                           const char *what, ws_err_t *err);

//  A number for texts such as the summary: no exponent, about three
//  significant digits ("41", "2.35", "0.047", "n/a"). Returns out.
const char *ws_goal_number_text (double value, char *out, size_t size);

//  Names as the JSON form and the evaluation print them ("total",
//  "at_most", "avg", "at_risk").
const char *ws_goal_kind_name (ws_goal_kind_t kind);
const char *ws_goal_direction_name (ws_goal_direction_t direction);
const char *ws_goal_agg_name (ws_goal_agg_t aggregation);
const char *ws_goal_status_name (ws_goal_status_t status);

//  Parse a status name. Returns 0 and *status, or -1 with *err.
int ws_goal_status_parse (const char *name, ws_goal_status_t *status,
                          ws_err_t *err);

#endif
