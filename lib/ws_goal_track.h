//  ws_goal_track - a goal's status over time. ws_goal_evaluate judges one
//  moment; a status that pages a team must not flap with the noise of a
//  daily series, must not blame the goal when its data stopped coming,
//  and must be checkable against the past. This module adds, without I/O
//  or clock:
//  - hysteresis: the state the daemon keeps between evaluations (stored
//    with each goal_progress snapshot) and the step that turns one
//    evaluation's "status" into the "reported_status" alerts use;
//  - the stale verdict: from the health of the sources feeding a goal
//    and its newest sample, whether there is any verdict to give;
//  - the backtest: the goal replayed over stored history through the
//    hysteresis, with the alerts it would have raised, the warning's lead
//    time before a miss and the false alarms.
//
//  The hysteresis rules (ws_goal_track_step). Evidence is measured as a
//  shortfall against the target, in units of the goal's scale
//  |target - baseline| (|target| for keep goals and when the evaluation
//  has no baseline), positive when short: target - value for at_least,
//  value - target for at_most. "projected" is the evaluation's
//  projection, "reach" the bound of its interval on the target's side
//  (projected_high for at_least, projected_low for at_most).
//  1. achieved, missed, stale and too_early are reported at once: they
//     are terminal or say there is no verdict. A stale verdict turns any
//     status but achieved and missed into stale (README order), so no
//     worse status is ever reported on missing data.
//  2. on_track < at_risk < off_track is a ladder. The state remembers
//     the last rung reported (on_track before the first verdict, and
//     after achieved), also across stale and too_early spells, so a
//     source that comes and goes does not restart the count.
//  3. Worse: the evidence must cross the lower rung's threshold by
//     `margin` plus `uncertainty` times the projection's own error:
//     at_risk needs projected short by more than that, off_track needs
//     reach short by more than that (capped at the evaluation's own
//     status). The projection's error is half the width of the
//     evaluation's actual_rate interval times days_left (half that for
//     keep goals, whose projection is a mean): a projection from the
//     first ten days of a series with ±30% daily noise falls more than
//     5% short one time in six, and that error persists from one
//     evaluation to the next, which `hold` alone cannot absorb
//     (uncertainty 0 gives the bare margin). It must hold
//     `hold` consecutive evaluations; the status then reported is the
//     mildest one seen in the run, so every evaluation of the run
//     supports it. Until then the rung stays and "pending" says what is
//     coming.
//  4. Better: taken at once, but only to the rung whose threshold the
//     evidence clears by `recover_margin`: on_track needs projected past
//     the target by recover_margin, at_risk needs reach past it by
//     recover_margin. The band between the two margins is where a noisy
//     series on the pace line lives, and there nothing changes.
//  5. An evaluation that neither worsens nor improves by these rules,
//     or has no verdict, ends a pending run.
//  6. Back from a no-verdict status (too_early, stale) the rung
//     remembered is reported again, judged by rules 3 and 4; a first
//     worse verdict must hold like any other.
//
//  The evaluation object gets "reported_status", "pending": {"status",
//  "count", "hold"} while a change is pending, "last_verdict" when
//  reported_status is not a rung, and with a stale verdict "stale" (the
//  verdict) and "evaluated_status" (the status it replaced).
#ifndef WS_GOAL_TRACK_H
#define WS_GOAL_TRACK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"
#include "ws_goal.h"

//  Defaults. Margins are shares of the goal's scale (see above).
//  Worse past 5%: above the 2% of WS_GOAL_MARGIN, so that a status
//  ws_goal_evaluate gives on noise alone does not count.
#define WS_GOAL_TRACK_MARGIN 0.05
//  Better past 10% on the other side of the target: twice the margin,
//  so a series that slipped must really turn before it is called back.
#define WS_GOAL_TRACK_RECOVER_MARGIN 0.10
//  Three evaluations (three days for a daily goal): one noisy sample
//  must not page a team.
#define WS_GOAL_TRACK_HOLD 3
#define WS_GOAL_TRACK_HOLD_MAX 100
//  One 80% half-width of the projection's own error on top of the
//  margin: on daily series on the pace line with 20% noise no seed of
//  400 slipped (4% did on the bare margin; a level series with ±1 on a
//  scale of 100, 0.25% against 10%), while a goal 20% behind is still
//  reported on the third evaluation after too_early ends.
#define WS_GOAL_TRACK_UNCERTAINTY 1.0
#define WS_GOAL_TRACK_UNCERTAINTY_MAX 10.0
//  Stale after 3 failed fetches in a row, or a newest sample (or last
//  success) older than 3 intervals: one late job is not an outage.
#define WS_GOAL_STALE_FAILURES 3
#define WS_GOAL_STALE_INTERVALS 3
//  "No time": a source that never succeeded, a goal with no sample.
#define WS_GOAL_NO_TIME INT64_MIN

//  The hysteresis settings of a goal ('apply' files: "hysteresis").
typedef struct {
    double margin;          //  0..1, share of the scale
    double recover_margin;  //  0..1, share of the scale
    int hold;               //  1..WS_GOAL_TRACK_HOLD_MAX evaluations
    double uncertainty;     //  0..10 (see rule 3)
} ws_goal_hysteresis_t;

//  The state carried between evaluations of one goal.
typedef struct {
    ws_goal_status_t reported;  //  last reported_status; too_early at
                                //  first
    ws_goal_status_t verdict;   //  last rung reported: on_track,
                                //  at_risk or off_track
    ws_goal_status_t pending;   //  the worse rung coming; = verdict if
                                //  none
    int pending_count;          //  evaluations it has held; 0 if none
} ws_goal_track_t;

//  Fill in the defaults.
void ws_goal_hysteresis_init (ws_goal_hysteresis_t *self);

//  Read settings from JSON (borrowed) such as {"margin": 0.05,
//  "recover_margin": 0.1, "hold": 3, "uncertainty": 1}; each key optional
//  (default), others refused. json NULL gives the defaults. base is the
//  object's JSON pointer in its document ("/goals/0/hysteresis", "" at the
//  top): errors read "/goals/0/hysteresis/hold: found 0, expected an integer
//  1..100" with err->where that pointer, as ws_goal's do. Returns 0, or
//  -1 with *err (self unchanged).
int ws_goal_hysteresis_parse (ws_goal_hysteresis_t *self, json_t *json,
                              const char *base, ws_err_t *err);

//  The settings as JSON (caller owns); ws_goal_hysteresis_parse reads it
//  back. NULL if out of memory.
json_t *ws_goal_hysteresis_to_json (const ws_goal_hysteresis_t *self);

//  Start a goal's state: nothing reported yet (too_early), on_track
//  presumed, nothing pending.
void ws_goal_track_init (ws_goal_track_t *self);

//  Restore the state from the last evaluation stored (borrowed), as
//  ws_goal_track_step wrote it: "reported_status", "last_verdict" and
//  "pending". Returns 0, or -1 with *err naming the field (err->where
//  its pointer, "/pending/count"); self unchanged on failure.
int ws_goal_track_restore (ws_goal_track_t *self, json_t *evaluation,
                           ws_err_t *err);

//  One step of the hysteresis. evaluation (borrowed) is a fresh result
//  of ws_goal_evaluate for goal (borrowed); its fields are read and the
//  ones listed above are added or replaced. stale (borrowed) is NULL (or
//  JSON null) when the data is fresh, else a verdict of
//  ws_goal_stale_check; it is copied in. settings NULL uses
//  the defaults. Updates self and sets *reported (NULL-safe). Returns 0,
//  or -1 with *err when the evaluation has no valid "status" (self
//  unchanged) or memory runs out.
int ws_goal_track_step (ws_goal_track_t *self,
                        const ws_goal_hysteresis_t *settings,
                        const ws_goal_t *goal, json_t *evaluation,
                        json_t *stale, ws_goal_status_t *reported,
                        ws_err_t *err);

//  The health of one source feeding a goal, as the coordinator knows it.
typedef struct {
    const char *name;        //  borrowed
    int failures;            //  consecutive failed fetches, >= 0
    const char *last_error;  //  borrowed; NULL if none
    int64_t last_success;    //  ms; WS_GOAL_NO_TIME if never
    int64_t interval;        //  ms between fetches, > 0
} ws_goal_source_health_t;

typedef struct {
    int failures;   //  stale at this many consecutive failures, >= 1
    int intervals;  //  stale when older than this many intervals, >= 1
} ws_goal_stale_rule_t;

//  Fill in the defaults (WS_GOAL_STALE_FAILURES, _INTERVALS).
void ws_goal_stale_rule_init (ws_goal_stale_rule_t *self);

//  Whether a goal has data to judge at now (ms). sources[0..count-1]
//  (borrowed) feed it; newest_sample is the time of its newest sample at
//  or before now (WS_GOAL_NO_TIME if none: then only the sources
//  decide). Stale, first rule that applies, naming the first source it
//  finds:
//  1. a source failed rule->failures times in a row;
//  2. a source's last success is older than rule->intervals of its
//     interval;
//  3. the newest sample is older than rule->intervals of the longest
//     interval (the slowest source sets the pace); it names the source
//     that succeeded least recently.
//  rule NULL uses the defaults. Returns 0 with *verdict NULL when fresh,
//  or a new object (caller owns) {"source", "reason", "failures",
//  "last_error" (if any), "last_success" and "newest_sample" (ISO 8601,
//  if known)}; -1 with *err on a bad source (no name, negative failures,
//  interval <= 0) or rule, or out of memory.
int ws_goal_stale_check (const ws_goal_source_health_t *sources, size_t count,
                         int64_t newest_sample, int64_t now,
                         const ws_goal_stale_rule_t *rule, json_t **verdict,
                         ws_err_t *err);

//  How to replay a goal.
typedef struct {
    int64_t from;  //  ms, first evaluation
    int64_t to;    //  ms, >= from; replay stops at the deadline
    int64_t step;  //  ms between evaluations, > 0 (86400000: daily)
    ws_goal_hysteresis_t hysteresis;
    //  The sampling interval of the series (ms): with it, an evaluation
    //  whose newest sample is older than stale.intervals of it is stale,
    //  as ws_goal_stale_check says. 0: no stale verdicts (history has no
    //  source health).
    int64_t sample_interval;
    ws_goal_stale_rule_t stale;
    bool timeline;  //  add every evaluation's statuses to the report
} ws_goal_backtest_t;

//  Replays are cut at this many evaluations: a year of hourly steps.
#define WS_GOAL_BACKTEST_MAX 10000

//  Defaults: daily steps, default hysteresis and stale rule, no
//  staleness, no timeline; from and to must be set.
void ws_goal_backtest_init (ws_goal_backtest_t *self);

//  Replay goal (borrowed) over samples[0..count-1] (borrowed, time
//  order; a ratio goal needs its denominator's too): evaluate at from,
//  from + step, ... up to to, and at the deadline if it falls in
//  between, each through the hysteresis from a fresh state. Alerts are
//  changes of reported status: "slipped" (a worse rung), "recovered" (a
//  better rung), "achieved", "missed"; stale and too_early raise none.
//  A run is the time from a slipped alert off on_track until the rung is
//  on_track again; a run that ends back on_track or achieved is a false
//  alarm; for a missed goal the lead time is from the first slipped
//  alert of the run still open at the deadline to the deadline. Returns
//  a new object (caller owns):
//    {"goal", "from", "to", "step", "hysteresis", "evaluations",
//     "stale_evaluations", "alerts": [{"at", "kind", "from", "to"}],
//     "slipped", "false_alarms", "false_alarm_at": [ISO, ...],
//     "outcome": "achieved" | "missed" | "open",
//     "warned_at" (ISO or null), "lead_time_days" (number or null),
//     "final_status", "final_reported_status",
//     "timeline": [{"at", "status", "reported_status"}]  (if asked)}
//  NULL with *err on bad options (naming the option), samples
//  ws_goal_evaluate refuses, more than WS_GOAL_BACKTEST_MAX evaluations,
//  or out of memory.
json_t *ws_goal_backtest (const ws_goal_t *goal,
                          const ws_goal_sample_t *samples, size_t count,
                          const ws_goal_sample_t *denominator,
                          size_t denominator_count,
                          const ws_goal_backtest_t *options, ws_err_t *err);

#endif
