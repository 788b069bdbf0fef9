//  ws_goal_insight - what one evaluation of a goal does not say: whether
//  the goal is attainable at all, an expected pace that knows the week,
//  which segments of the metric lag, and what each campaign activity did
//  to the metric. 'watershed apply' offers the weekday checkpoints and
//  prints the attainability verdict; 'watershed goal show' prints the
//  segments and the activity effects. Pure, as ws_goal: no I/O, no clock;
//  the statistics are ws_stats' (Sen's slope, Pettitt, the t and F
//  distributions), never recomputed here.
//
//  Inputs are ws_goal_sample_t arrays (borrowed, in time order, finite
//  values): the metric's rolled-up daily values, amounts per day for
//  total goals. Days and weekdays are UTC, as the goal's times. Rates are
//  per day. Every JSON result is a new object the caller owns, with a
//  one-line "text" for people; intervals are 80% (WS_GOAL_CONFIDENCE).
#ifndef WS_GOAL_INSIGHT_H
#define WS_GOAL_INSIGHT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"
#include "ws_goal.h"

//  ---------------------------------------------------------------------
//  Weekday pace

//  A profile needs this many full weeks (Monday to Sunday, every day
//  with a sample): two weeks cannot tell a weekday effect from noise.
#define WS_GOAL_INSIGHT_MIN_WEEKS 3
//  The weekly cycle is real when the one-way ANOVA of the per-week
//  shares by weekday has p below this ...
#define WS_GOAL_INSIGHT_WEEKLY_P 0.01
//  ... and some weekday's share is off an even 1/7 by at least this
//  fraction of 1/7: a significant but tiny cycle would only add
//  checkpoints that change nothing.
#define WS_GOAL_INSIGHT_WEEKLY_AMPLITUDE 0.10
//  ws_goal accepts at most 100 checkpoints; longer goals get the 100 that
//  follow the day-by-day curve most closely.
#define WS_GOAL_INSIGHT_MAX_CHECKPOINTS 100
//  Weekday checkpoints are offered for goals up to this many days.
#define WS_GOAL_INSIGHT_MAX_DAYS 1000

//  Each weekday's share of a week's amount, Monday first.
typedef struct {
    double share[7];   //  mean over the weeks of day / week; sums to 1
    size_t weeks;      //  full weeks used
    size_t skipped;    //  full weeks left out because their total was 0
    double p;          //  ANOVA F test of the shares by weekday
    double strength;   //  eta² = SS_between / SS_total, 0..1
    double amplitude;  //  max over weekdays of |7·share − 1|
    bool weekly;       //  p < WS_GOAL_INSIGHT_WEEKLY_P and amplitude >=
                       //  WS_GOAL_INSIGHT_WEEKLY_AMPLITUDE
} ws_goal_weekday_profile_t;

//  The weekday profile of history[0..count-1] (daily amounts; several
//  samples in one UTC day are added up). Returns 0 and *out, weekly
//  false when there is no weekly cycle; -1 with *err when a value is not
//  finite or negative, the samples are out of order, or fewer than
//  WS_GOAL_INSIGHT_MIN_WEEKS full weeks have a positive total (the text
//  says how many there are).
int ws_goal_insight_weekday_profile (const ws_goal_sample_t *history,
                                     size_t count,
                                     ws_goal_weekday_profile_t *out,
                                     ws_err_t *err);

//  Checkpoints for a total goal whose expected cumulative curve follows
//  profile's shares from start to deadline: a new array (caller owns) of
//  {"at": ISO 8601, "progress": 0..1}, one at each UTC day boundary
//  strictly inside (start, deadline), progress non-decreasing; a
//  boundary between days of equal share is left out (the line passes
//  through it), and past WS_GOAL_INSIGHT_MAX_CHECKPOINTS those that
//  change the curve least are dropped. *max_deviation (may be NULL) is
//  the largest gap, in progress, between the curve through the result
//  and the exact day-by-day one (0 when nothing was dropped). Put the
//  array in the goal's "checkpoints" and ws_goal_new accepts it. NULL
//  with *err for a goal that is not a total, one longer than
//  WS_GOAL_INSIGHT_MAX_DAYS, or shares that are negative, not finite or
//  give the goal's days nothing. The profile's "weekly" is not checked:
//  the caller decides.
json_t *ws_goal_insight_checkpoints (const ws_goal_t *goal,
                                     const ws_goal_weekday_profile_t *profile,
                                     double *max_deviation, ws_err_t *err);

//  Both steps, as 'apply' offers them: {"weekly": bool, "weeks", "shares"
//  [7, Monday first], "p", "strength", "amplitude", "checkpoints" (only
//  when weekly), "max_deviation" (idem), "text"}. No weekly cycle is not
//  an error: weekly false, no checkpoints, and the text says so. NULL
//  with *err as the two functions above.
json_t *ws_goal_insight_weekday_pace (const ws_goal_t *goal,
                                      const ws_goal_sample_t *history,
                                      size_t count, ws_err_t *err);

//  ---------------------------------------------------------------------
//  Attainability

//  A comparable window needs this many samples (a week of daily data).
#define WS_GOAL_INSIGHT_MIN_HISTORY 7
//  A goal beyond the demonstrated estimate is still a stretch (not
//  unlikely) when it asks for no more than the interval's bound, or no
//  more than this fraction of |demonstrated| beyond it.
#define WS_GOAL_INSIGHT_STRETCH 0.25

typedef enum {
    WS_GOAL_ATTAINABLE = 0,  //  the history already shows the rate
    WS_GOAL_STRETCH,         //  beyond it, within the interval or factor
    WS_GOAL_UNLIKELY,        //  beyond both
    WS_GOAL_NO_HISTORY       //  fewer than WS_GOAL_INSIGHT_MIN_HISTORY
} ws_goal_verdict_t;

//  "attainable", "stretch", "unlikely", "no_history".
const char *ws_goal_insight_verdict_name (ws_goal_verdict_t verdict);

//  The rate the goal needs against the rate the metric showed over a
//  comparable past window, the goal's length (deadline − start) long:
//  at creation (as_of <= start) the window [start − length, start) and
//  the need from the baseline over the whole goal; on demand (start <
//  as_of < deadline) the window (as_of − length, as_of] and the need
//  from the current value over the days left (ws_goal_evaluate's
//  current and baseline). By kind:
//    total: required (target − baseline or current) / days, an amount
//           per day; demonstrated the window's mean amount per day
//           (mean / sampling step) ± t_{0.9,n−1}·s/√n;
//    level: required the slope per day; demonstrated Sen's slope per day
//           with its 80% interval (ws_stats_sen);
//    keep:  required the target itself; demonstrated the window's mean
//           (Σ numerator / Σ denominator for a ratio) ± t_{0.9,n−1}·s/√n.
//  With s = +1 for at_least, −1 for at_most and gap = s·(required −
//  demonstrated): attainable when gap <= 0; stretch when gap <= the
//  interval's far bound's distance (high for at_least, low for at_most)
//  or WS_GOAL_INSIGHT_STRETCH·|demonstrated|; unlikely otherwise.
//  samples (and a ratio goal's denominator) are the whole series, the
//  window's and the goal's. Returns {"verdict", "required_rate",
//  "demonstrated_rate", "demonstrated_low", "demonstrated_high",
//  "confidence", "measure" ("amount per day", "slope per day", "mean"),
//  "window" {from, to}, "n", "days", "text"}; no_history leaves the
//  demonstrated fields out and the text says how many samples there
//  were. NULL with *err for bad samples, a ratio goal without its
//  denominator, or as_of at or past the deadline.
json_t *ws_goal_insight_attainability (const ws_goal_t *goal,
                                       const ws_goal_sample_t *samples,
                                       size_t count,
                                       const ws_goal_sample_t *denominator,
                                       size_t denominator_count, int64_t as_of,
                                       ws_err_t *err);

//  ---------------------------------------------------------------------
//  Segments

//  A segment lags when it is more than this fraction behind its own
//  expected pace (see ws_goal_insight_segments).
#define WS_GOAL_INSIGHT_LAG_MARGIN 0.15

//  One value of the goal's label and its series.
typedef struct {
    const char *value;                //  borrowed, "eu"
    const ws_goal_sample_t *samples;  //  borrowed, in time order; the
                                      //  goal window and the history
    size_t count;
} ws_goal_segment_t;

//  Progress broken down by the values of label (borrowed, "region") at
//  as_of. Each segment is evaluated as the goal (ws_goal_evaluate: its
//  current, actual_rate, baseline, n). For total and level goals (their
//  values add up across segments):
//    share = current / Σ current;
//    expected_share = its share of the goal's aggregation (sum for total,
//      last for level) over the comparable past window [start − length,
//      start), when every segment has a sample there and the sum is
//      positive; else an equal split 1/N ("share_basis": "history" or
//      "equal");
//    target = its part of the goal: base + expected_share·(target − B),
//      B the goal's baseline (Σ segment baselines for a level goal
//      without one), base expected_share·B (total) or its own baseline
//      (level);
//    progress = (current − base) / (expected_share·(target − B));
//    lag = 1 − progress / expected_progress, the goal's (checkpoints
//      included); for an at_most total (a budget) spending ahead of pace
//      is the fault, so lag = progress / expected_progress − 1.
//  For keep goals each segment must keep the target itself: lag = s·
//  (target − current) / |target| with s = +1 for at_least, −1 for
//  at_most; share and progress are left out. A segment is "lagging"
//  when lag > WS_GOAL_INSIGHT_LAG_MARGIN; before the start nothing lags.
//  Returns {"label", "as_of", "expected_progress", "margin",
//  "share_basis", "segments": [{"value", "current", "share",
//  "expected_share", "target", "progress", "actual_rate", "lag",
//  "lagging", "n"}], "lagging": [values, worst first], "text"}. NULL
//  with *err for no segments, a segment without a value or with bad
//  samples (the text names it), or a ratio goal.
json_t *ws_goal_insight_segments (const ws_goal_t *goal, const char *label,
                                  const ws_goal_segment_t *segments,
                                  size_t segment_count, int64_t as_of,
                                  ws_err_t *err);

//  ---------------------------------------------------------------------
//  Activity effects

//  Window on each side of an activity, in days, by default.
#define WS_GOAL_INSIGHT_EFFECT_DAYS 14.0
//  A change point this close to the activity (days) is put down to it.
#define WS_GOAL_INSIGHT_NEAR_DAYS 3.0
//  Each side needs this many samples for a level and a slope.
#define WS_GOAL_INSIGHT_EFFECT_MIN_POINTS 3
//  Pettitt's change point is significant below this p.
#define WS_GOAL_INSIGHT_CHANGE_P 0.05

//  The effect on the metric's samples (borrowed, in time order) of an
//  activity at `at` (ms): before = [at − window, at), after = [at, at +
//  window). Each side's level (mean), Sen's slope per day with its 80%
//  interval and n; change = level after − level before, relative_change
//  = change / |level before| (left out when that is 0); and Pettitt's
//  change point over both windows together: its time (the first sample
//  after the change), p, whether significant, its distance in days from
//  the activity and whether it is within near_days of it
//  ("change_near_activity" = both). A steady trend also reads as a
//  change at the middle: compare the slopes before calling it an effect.
//  window_days and near_days <= 0 take the defaults above. Returns
//  {"at", "window_days", "near_days", "status" ("ok" or
//  "not_enough_data"), "before" {from, to, n, level, slope, slope_low,
//  slope_high}, "after" {...}, "change", "relative_change",
//  "change_point" {at, p, significant, days_from_activity, near,
//  mean_before, mean_after} (null when the window is constant),
//  "change_near_activity", "text"}; with too few samples on a side,
//  status not_enough_data, only the n's, and the text gives both
//  counts. NULL with *err for bad samples, a window or near_days not
//  finite, a window over ten years, or `at` outside the years ±9999.
json_t *ws_goal_insight_activity_effect (const ws_goal_sample_t *samples,
                                         size_t count, int64_t at,
                                         double window_days, double near_days,
                                         ws_err_t *err);

#endif
