//  ws_goal_track - hysteresis, stale verdicts and backtests of goal
//  statuses. The rules are in ws_goal_track.h; each block below names
//  the rule it implements.
#include "ws_goal_track.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_json.h"
#include "ws_time.h"

#define S_DAY_MS 86400000.0

static json_t *
s_time_json (int64_t ms)
{
    char text[40];
    ws_iso8601_format (ms, text, sizeof text);
    return json_string (text);
}

static json_t *
s_status_json (ws_goal_status_t status)
{
    return json_string (ws_goal_status_name (status));
}

static bool
s_is_rung (ws_goal_status_t status)
{
    return status == WS_GOAL_ON_TRACK || status == WS_GOAL_AT_RISK
           || status == WS_GOAL_OFF_TRACK;
}

//  ---------------------------------------------------------------------
//  Settings

void
ws_goal_hysteresis_init (ws_goal_hysteresis_t *self)
{
    assert (self);
    self->margin = WS_GOAL_TRACK_MARGIN;
    self->recover_margin = WS_GOAL_TRACK_RECOVER_MARGIN;
    self->hold = WS_GOAL_TRACK_HOLD;
    self->uncertainty = WS_GOAL_TRACK_UNCERTAINTY;
}

//  A share of the scale: a finite number in 0..1.
static int
s_parse_share (json_t *json, const char *key, const char *base, double *out,
               ws_err_t *err)
{
    json_t *value = json_object_get (json, key);
    if (!value)
        return 0;
    char path[160];
    ws_json_pointer_join (path, sizeof path, base, key);
    double number = json_is_number (value) ? json_number_value (value) : NAN;
    if (!(number >= 0 && number <= 1))
        return ws_json_fail_found (err, "hysteresis", path, value,
                                   "a number 0..1 (a share of |target - "
                                   "baseline|)");
    *out = number;
    return 0;
}

int
ws_goal_hysteresis_parse (ws_goal_hysteresis_t *self, json_t *json,
                          const char *base, ws_err_t *err)
{
    assert (self);
    if (!base)
        base = "";
    ws_goal_hysteresis_t next;
    ws_goal_hysteresis_init (&next);
    if (!json) {
        *self = next;
        return 0;
    }
    if (!json_is_object (json))
        return ws_json_fail_found (err, "hysteresis", base, json,
                                   "an object {\"margin\", "
                                   "\"recover_margin\", \"hold\"}");
    static const char *const keys[] = {"margin", "recover_margin", "hold",
                                       "uncertainty", NULL};
    if (ws_json_check_keys (json, base, keys,
                            "margin, recover_margin, hold, uncertainty",
                            "hysteresis", err)
        || s_parse_share (json, "margin", base, &next.margin, err)
        || s_parse_share (json, "recover_margin", base, &next.recover_margin,
                          err))
        return -1;
    json_t *hold = json_object_get (json, "hold");
    if (hold) {
        char path[160];
        ws_json_pointer_join (path, sizeof path, base, "hold");
        //  3.0 is 3; 2.5 evaluations is not a thing.
        double number = json_is_number (hold) ? json_number_value (hold) : NAN;
        if (!(number >= 1 && number <= WS_GOAL_TRACK_HOLD_MAX)
            || number != floor (number)) {
            char expected[48];
            snprintf (expected, sizeof expected, "an integer 1..%d",
                      WS_GOAL_TRACK_HOLD_MAX);
            return ws_json_fail_found (err, "hysteresis", path, hold, expected);
        }
        next.hold = (int) number;
    }
    json_t *uncertainty = json_object_get (json, "uncertainty");
    if (uncertainty) {
        char path[160];
        ws_json_pointer_join (path, sizeof path, base, "uncertainty");
        double number = json_is_number (uncertainty)
                            ? json_number_value (uncertainty)
                            : NAN;
        if (!(number >= 0 && number <= WS_GOAL_TRACK_UNCERTAINTY_MAX))
            return ws_json_fail_found (err, "hysteresis", path, uncertainty,
                                       "a number 0..10 (times the "
                                       "projection's own error)");
        next.uncertainty = number;
    }
    *self = next;
    return 0;
}

json_t *
ws_goal_hysteresis_to_json (const ws_goal_hysteresis_t *self)
{
    assert (self);
    return json_pack ("{s:f, s:f, s:i, s:f}", "margin", self->margin,
                      "recover_margin", self->recover_margin, "hold",
                      self->hold, "uncertainty", self->uncertainty);
}

//  The same bounds for settings that come from C (backtest options).
static int
s_check_hysteresis (const ws_goal_hysteresis_t *self, ws_err_t *err)
{
    if (!(self->margin >= 0 && self->margin <= 1))
        return ws_err_set (err, WS_ERR_INPUT,
                           "hysteresis margin: %g is outside 0..1",
                           self->margin);
    if (!(self->recover_margin >= 0 && self->recover_margin <= 1))
        return ws_err_set (err, WS_ERR_INPUT,
                           "hysteresis recover_margin: %g is outside 0..1",
                           self->recover_margin);
    if (self->hold < 1 || self->hold > WS_GOAL_TRACK_HOLD_MAX)
        return ws_err_set (err, WS_ERR_INPUT,
                           "hysteresis hold: %d is outside 1..%d", self->hold,
                           WS_GOAL_TRACK_HOLD_MAX);
    if (!(self->uncertainty >= 0
          && self->uncertainty <= WS_GOAL_TRACK_UNCERTAINTY_MAX))
        return ws_err_set (err, WS_ERR_INPUT,
                           "hysteresis uncertainty: %g is outside 0..%g",
                           self->uncertainty, WS_GOAL_TRACK_UNCERTAINTY_MAX);
    return 0;
}

//  ---------------------------------------------------------------------
//  State

void
ws_goal_track_init (ws_goal_track_t *self)
{
    assert (self);
    self->reported = WS_GOAL_TOO_EARLY;
    self->verdict = WS_GOAL_ON_TRACK;
    self->pending = WS_GOAL_ON_TRACK;
    self->pending_count = 0;
}

//  A status name member at path; rung_only refuses the non-rungs.
static int
s_read_status (json_t *object, const char *key, const char *path,
               bool rung_only, ws_goal_status_t *status, ws_err_t *err)
{
    json_t *value = json_object_get (object, key);
    const char *expected = rung_only ? "on_track, at_risk or off_track"
                                     : "a goal status such as \"on_track\"";
    if (!json_is_string (value)
        || ws_goal_status_parse (json_string_value (value), status, NULL)
        || (rung_only && !s_is_rung (*status)))
        return ws_json_fail_found (err, "goal evaluation", path, value,
                                   expected);
    return 0;
}

int
ws_goal_track_restore (ws_goal_track_t *self, json_t *evaluation, ws_err_t *err)
{
    assert (self);
    if (!json_is_object (evaluation))
        return ws_json_fail_found (err, "goal evaluation", "", evaluation,
                                   "an evaluation object");
    ws_goal_track_t next;
    ws_goal_track_init (&next);
    if (s_read_status (evaluation, "reported_status", "/reported_status", false,
                       &next.reported, err))
        return -1;
    if (json_object_get (evaluation, "last_verdict")) {
        if (s_read_status (evaluation, "last_verdict", "/last_verdict", true,
                           &next.verdict, err))
            return -1;
    }
    else if (s_is_rung (next.reported))
        next.verdict = next.reported;
    next.pending = next.verdict;
    json_t *pending = json_object_get (evaluation, "pending");
    if (pending) {
        if (!json_is_object (pending))
            return ws_json_fail_found (err, "goal evaluation", "/pending",
                                       pending,
                                       "an object {\"status\", \"count\"}");
        ws_goal_status_t status;
        if (s_read_status (pending, "status", "/pending/status", true, &status,
                           err))
            return -1;
        if (status <= next.verdict)
            return ws_json_fail (err, "goal evaluation", "/pending/status",
                                 "\"%s\" is not worse than the last verdict "
                                 "\"%s\"",
                                 ws_goal_status_name (status),
                                 ws_goal_status_name (next.verdict));
        json_t *count = json_object_get (pending, "count");
        double number =
            json_is_number (count) ? json_number_value (count) : NAN;
        if (!(number >= 1 && number <= WS_GOAL_TRACK_HOLD_MAX)
            || number != floor (number))
            return ws_json_fail_found (err, "goal evaluation", "/pending/count",
                                       count, "an integer 1..100");
        next.pending = status;
        next.pending_count = (int) number;
    }
    *self = next;
    return 0;
}

//  ---------------------------------------------------------------------
//  The step (rules 1-6 of the header)

static double
s_number (json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

//  How far value falls short of the target (positive: short), in the
//  goal's units. NaN stays NaN.
static double
s_shortfall (const ws_goal_t *goal, double value)
{
    double target = ws_goal_target (goal);
    return ws_goal_direction (goal) == WS_GOAL_AT_LEAST ? target - value
                                                        : value - target;
}

//  Rules 2-5 on a rung status: moves next->verdict and the pending run.
static void
s_judge (ws_goal_track_t *next, const ws_goal_hysteresis_t *settings,
         const ws_goal_t *goal, json_t *evaluation, ws_goal_status_t status)
{
    //  The scale of ws_goal's own margin: |target - baseline|, or
    //  |target| for keep goals (no baseline) and when there is none.
    double target = ws_goal_target (goal);
    double baseline = s_number (evaluation, "baseline");
    double scale = ws_goal_kind (goal) == WS_GOAL_KEEP || !isfinite (baseline)
                       ? fabs (target)
                       : fabs (target - baseline);
    //  The projection's own error from the demonstrated rate's 80%
    //  interval: days_left · half its width for a sum or a level (the
    //  rate carries on to the deadline), half that for a mean (the days
    //  to come are about half of the final mean, at half the lever).
    //  Early on this is wide and, unlike sample noise, it persists from
    //  one evaluation to the next, so `hold` alone cannot absorb it.
    double rate_width = s_number (evaluation, "actual_rate_high")
                        - s_number (evaluation, "actual_rate_low");
    double days_left = s_number (evaluation, "days_left");
    double error = fabs (rate_width) / 2 * days_left
                   * (ws_goal_kind (goal) == WS_GOAL_KEEP ? 0.5 : 1);
    if (!isfinite (error))
        error = 0;
    double worse_by = settings->margin * scale;
    double slipped_by = worse_by + settings->uncertainty * error;
    double better_by = settings->recover_margin * scale;
    bool at_least = ws_goal_direction (goal) == WS_GOAL_AT_LEAST;
    double projected = s_shortfall (goal, s_number (evaluation, "projected"));
    double reach =
        s_shortfall (goal, s_number (evaluation, at_least ? "projected_high"
                                                          : "projected_low"));

    //  Rule 3: the worst rung the evidence reaches past the margin,
    //  never worse than the evaluation's own status. Missing evidence
    //  (NaN) leaves the evaluation's word standing.
    ws_goal_status_t worse = WS_GOAL_ON_TRACK;
    if (status >= WS_GOAL_OFF_TRACK && !(reach <= slipped_by))
        worse = WS_GOAL_OFF_TRACK;
    else if (status >= WS_GOAL_AT_RISK && !(projected <= slipped_by))
        worse = WS_GOAL_AT_RISK;

    //  Rule 4: the best rung whose threshold the evidence clears by the
    //  recover margin, never better than the evaluation's own status.
    ws_goal_status_t better = WS_GOAL_OFF_TRACK;
    if (projected <= -better_by)
        better = WS_GOAL_ON_TRACK;
    else if (reach <= -better_by)
        better = WS_GOAL_AT_RISK;
    if (better < status)
        better = status;

    ws_goal_status_t verdict = next->verdict;
    if (worse > verdict) {
        //  A run goes on while every evaluation is worse than the
        //  verdict; it reports its mildest rung, which all of it backs.
        if (next->pending_count > 0 && next->pending > verdict) {
            next->pending_count++;
            if (worse < next->pending)
                next->pending = worse;
        }
        else {
            next->pending = worse;
            next->pending_count = 1;
        }
        if (next->pending_count >= settings->hold) {
            next->verdict = next->pending;
            next->pending_count = 0;
        }
    }
    else {
        //  Rule 4 at once; rule 5 either way.
        if (better < verdict)
            next->verdict = better;
        next->pending_count = 0;
    }
    if (next->pending_count == 0)
        next->pending = next->verdict;
    next->reported = next->verdict;
}

//  "stale: REASON; " in front of the summary, so a reader of 'watershed
//  progress' sees why there is no verdict before the numbers.
static int
s_stale_summary (json_t *evaluation, json_t *stale)
{
    const char *summary =
        json_string_value (json_object_get (evaluation, "summary"));
    const char *source = json_string_value (json_object_get (stale, "source"));
    const char *reason = json_string_value (json_object_get (stale, "reason"));
    if (!summary)
        return 0;
    char text[768];
    snprintf (text, sizeof text, "stale: %s%s%s%s; %s",
              source ? "source '" : "", source ? source : "",
              source ? "': " : "", reason ? reason : "no fresh data", summary);
    return json_object_set_new (evaluation, "summary", json_string (text));
}

int
ws_goal_track_step (ws_goal_track_t *self, const ws_goal_hysteresis_t *settings,
                    const ws_goal_t *goal, json_t *evaluation, json_t *stale,
                    ws_goal_status_t *reported, ws_err_t *err)
{
    assert (self);
    assert (goal);
    ws_goal_hysteresis_t defaults;
    if (!settings) {
        ws_goal_hysteresis_init (&defaults);
        settings = &defaults;
    }
    if (s_check_hysteresis (settings, err))
        return -1;
    if (!json_is_object (evaluation))
        return ws_json_fail_found (err, "goal evaluation", "", evaluation,
                                   "an evaluation object");
    ws_goal_status_t status;
    if (s_read_status (evaluation, "status", "/status", false, &status, err))
        return -1;

    ws_goal_track_t next = *self;
    ws_goal_status_t evaluated = status;
    //  Rule 1: README order, achieved and missed come before stale.
    bool went_stale = stale && !json_is_null (stale)
                      && status != WS_GOAL_ACHIEVED && status != WS_GOAL_MISSED;
    if (went_stale)
        status = WS_GOAL_STALE;
    if (s_is_rung (status))
        s_judge (&next, settings, goal, evaluation, status);
    else {
        //  Rules 1 and 5: reported at once, a pending run ends. The
        //  verdict is kept (rule 6) unless the goal was achieved: a level
        //  that falls back below its target starts again from on_track.
        next.reported = status;
        if (status == WS_GOAL_ACHIEVED)
            next.verdict = WS_GOAL_ON_TRACK;
        next.pending = next.verdict;
        next.pending_count = 0;
    }

    int rc = 0;
    if (went_stale) {
        rc |= json_object_set_new (evaluation, "evaluated_status",
                                   s_status_json (evaluated));
        rc |= json_object_set_new (evaluation, "status",
                                   s_status_json (WS_GOAL_STALE));
        rc |= json_object_set_new (evaluation, "stale", json_deep_copy (stale));
        rc |= s_stale_summary (evaluation, stale);
    }
    rc |= json_object_set_new (evaluation, "reported_status",
                               s_status_json (next.reported));
    if (next.pending_count > 0)
        rc |= json_object_set_new (
            evaluation, "pending",
            json_pack ("{s:s, s:i, s:i}", "status",
                       ws_goal_status_name (next.pending), "count",
                       next.pending_count, "hold", settings->hold));
    else
        json_object_del (evaluation, "pending");
    if (!s_is_rung (next.reported))
        rc |= json_object_set_new (evaluation, "last_verdict",
                                   s_status_json (next.verdict));
    else
        json_object_del (evaluation, "last_verdict");
    if (rc)
        return ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                           ws_goal_name (goal));
    *self = next;
    if (reported)
        *reported = next.reported;
    return 0;
}

//  ---------------------------------------------------------------------
//  Stale verdicts

void
ws_goal_stale_rule_init (ws_goal_stale_rule_t *self)
{
    assert (self);
    self->failures = WS_GOAL_STALE_FAILURES;
    self->intervals = WS_GOAL_STALE_INTERVALS;
}

//  Whether more than intervals · interval has passed from then to now;
//  in doubles, so no product or difference overflows.
static bool
s_older (int64_t then, int64_t now, int intervals, int64_t interval)
{
    return (double) now - (double) then
           > (double) intervals * (double) interval;
}

static json_t *
s_verdict (const ws_goal_source_health_t *source, const char *reason,
           int64_t newest_sample)
{
    json_t *verdict =
        json_pack ("{s:s, s:s, s:i}", "source", source->name, "reason", reason,
                   "failures", source->failures);
    if (!verdict)
        return NULL;
    int rc = 0;
    if (source->last_error)
        rc |= json_object_set_new (verdict, "last_error",
                                   json_string (source->last_error));
    if (source->last_success != WS_GOAL_NO_TIME)
        rc |= json_object_set_new (verdict, "last_success",
                                   s_time_json (source->last_success));
    if (newest_sample != WS_GOAL_NO_TIME)
        rc |= json_object_set_new (verdict, "newest_sample",
                                   s_time_json (newest_sample));
    if (rc)
        json_decref (verdict);
    return rc ? NULL : verdict;
}

int
ws_goal_stale_check (const ws_goal_source_health_t *sources, size_t count,
                     int64_t newest_sample, int64_t now,
                     const ws_goal_stale_rule_t *rule, json_t **verdict,
                     ws_err_t *err)
{
    assert (verdict);
    *verdict = NULL;
    ws_goal_stale_rule_t defaults;
    if (!rule) {
        ws_goal_stale_rule_init (&defaults);
        rule = &defaults;
    }
    if (rule->failures < 1 || rule->intervals < 1)
        return ws_err_set (err, WS_ERR_INPUT,
                           "stale rule: failures %d and intervals %d must be "
                           "at least 1",
                           rule->failures, rule->intervals);
    if (count > 0 && !sources)
        return ws_err_set (err, WS_ERR_INPUT,
                           "stale check: %zu sources but no array", count);
    int64_t longest = 0;
    for (size_t i = 0; i < count; i++) {
        const ws_goal_source_health_t *source = &sources[i];
        if (!source->name || !*source->name)
            return ws_err_set (err, WS_ERR_INPUT,
                               "stale check: source %zu has no name", i);
        if (source->failures < 0)
            return ws_err_set (err, WS_ERR_INPUT,
                               "source '%s': %d consecutive failures is "
                               "negative",
                               source->name, source->failures);
        if (source->interval <= 0)
            return ws_err_set (err, WS_ERR_INPUT,
                               "source '%s': interval %lld ms, expected more "
                               "than 0",
                               source->name, (long long) source->interval);
        if (source->interval > longest)
            longest = source->interval;
    }
    char reason[200], when[40], span[32];
    const ws_goal_source_health_t *found = NULL;
    //  Rule 1: failing now.
    for (size_t i = 0; i < count && !found; i++)
        if (sources[i].failures >= rule->failures) {
            found = &sources[i];
            snprintf (reason, sizeof reason, "%d failed fetches in a row",
                      found->failures);
        }
    //  Rule 2: not failing, but not succeeding either (no worker, paused).
    for (size_t i = 0; i < count && !found; i++)
        if (sources[i].last_success != WS_GOAL_NO_TIME
            && s_older (sources[i].last_success, now, rule->intervals,
                        sources[i].interval)) {
            found = &sources[i];
            ws_iso8601_format (found->last_success, when, sizeof when);
            ws_duration_format (found->interval, span, sizeof span);
            snprintf (reason, sizeof reason,
                      "no successful fetch since %s, more than %d intervals "
                      "of %s",
                      when, rule->intervals, span);
        }
    //  Rule 3: fetches succeed but bring no new sample (the page changed,
    //  the metric is no longer extracted).
    if (!found && count > 0 && newest_sample != WS_GOAL_NO_TIME
        && s_older (newest_sample, now, rule->intervals, longest)) {
        found = &sources[0];
        for (size_t i = 1; i < count; i++)
            if (sources[i].last_success < found->last_success)
                found = &sources[i];
        ws_iso8601_format (newest_sample, when, sizeof when);
        ws_duration_format (longest, span, sizeof span);
        snprintf (reason, sizeof reason,
                  "newest sample %s is older than %d intervals of %s", when,
                  rule->intervals, span);
    }
    if (!found)
        return 0;
    *verdict = s_verdict (found, reason, newest_sample);
    if (!*verdict)
        return ws_err_set (err, WS_ERR_SYSTEM, "source '%s': out of memory",
                           found->name);
    return 0;
}

//  ---------------------------------------------------------------------
//  Backtest

void
ws_goal_backtest_init (ws_goal_backtest_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
    self->step = (int64_t) S_DAY_MS;
    ws_goal_hysteresis_init (&self->hysteresis);
    self->sample_interval = 0;
    ws_goal_stale_rule_init (&self->stale);
    self->timeline = false;
}

static int
s_check_options (const ws_goal_t *goal, const ws_goal_backtest_t *options,
                 ws_err_t *err)
{
    const char *name = ws_goal_name (goal);
    if (!options)
        return ws_err_set (err, WS_ERR_INPUT, "goal '%s' backtest: no options",
                           name);
    if (options->step <= 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "goal '%s' backtest: step %lld ms, expected more "
                           "than 0",
                           name, (long long) options->step);
    if (options->to < options->from) {
        char from[40], to[40];
        ws_iso8601_format (options->from, from, sizeof from);
        ws_iso8601_format (options->to, to, sizeof to);
        return ws_err_set (err, WS_ERR_INPUT,
                           "goal '%s' backtest: --to %s is before --from %s",
                           name, to, from);
    }
    if (options->sample_interval < 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "goal '%s' backtest: sample interval %lld ms is "
                           "negative",
                           name, (long long) options->sample_interval);
    if (options->sample_interval > 0
        && (options->stale.failures < 1 || options->stale.intervals < 1))
        return ws_err_set (err, WS_ERR_INPUT,
                           "goal '%s' backtest: stale rule intervals %d, "
                           "expected at least 1",
                           name, options->stale.intervals);
    if (s_check_hysteresis (&options->hysteresis, err))
        return ws_err_prefix (err, "goal '%s' backtest: ", name);
    return 0;
}

//  The time of the newest sample at or before t, moving *index along
//  (samples are in time order and t only grows). WS_GOAL_NO_TIME if none.
static int64_t
s_newest (const ws_goal_sample_t *samples, size_t count, size_t *index,
          int64_t t)
{
    while (*index < count && samples[*index].t <= t)
        (*index)++;
    return *index > 0 ? samples[*index - 1].t : WS_GOAL_NO_TIME;
}

//  What a replay keeps besides the track.
typedef struct {
    json_t *report;     //  owns
    json_t *alerts;     //  borrowed from report
    json_t *timeline;   //  borrowed from report; NULL unless asked
    json_t *false_at;   //  borrowed from report
    bool in_run;        //  a slipped alert off on_track is open
    int64_t run_start;  //  its time
    int slipped;
    int false_alarms;
    int stale;
} s_replay_t;

static int
s_alert (s_replay_t *self, int64_t at, const char *kind, ws_goal_status_t from,
         ws_goal_status_t to)
{
    return json_array_append_new (self->alerts,
                                  json_pack ("{s:o, s:s, s:s, s:s}", "at",
                                             s_time_json (at), "kind", kind,
                                             "from", ws_goal_status_name (from),
                                             "to", ws_goal_status_name (to)));
}

//  A run that ends without a miss (back on track, or achieved) was a
//  false alarm.
static int
s_end_run (s_replay_t *self)
{
    if (!self->in_run)
        return 0;
    self->in_run = false;
    self->false_alarms++;
    return json_array_append_new (self->false_at,
                                  s_time_json (self->run_start));
}

//  The alerts of one step: the reported status and the rung before and
//  after it.
static int
s_on_step (s_replay_t *self, int64_t at, const ws_goal_track_t *before,
           const ws_goal_track_t *after)
{
    int rc = 0;
    if (after->reported == WS_GOAL_ACHIEVED
        && before->reported != WS_GOAL_ACHIEVED) {
        rc |= s_alert (self, at, "achieved", before->reported, after->reported);
        rc |= s_end_run (self);
    }
    else if (after->reported == WS_GOAL_MISSED
             && before->reported != WS_GOAL_MISSED)
        rc |= s_alert (self, at, "missed", before->reported, after->reported);
    else if (s_is_rung (after->reported) && after->verdict > before->verdict) {
        rc |= s_alert (self, at, "slipped", before->verdict, after->verdict);
        self->slipped++;
        if (!self->in_run) {
            self->in_run = true;
            self->run_start = at;
        }
    }
    else if (s_is_rung (after->reported) && after->verdict < before->verdict) {
        rc |= s_alert (self, at, "recovered", before->verdict, after->verdict);
        if (after->verdict == WS_GOAL_ON_TRACK)
            rc |= s_end_run (self);
    }
    return rc;
}

//  Evaluate at t, add the stale verdict, step the track, record alerts.
static int
s_replay_at (s_replay_t *self, ws_goal_track_t *track, const ws_goal_t *goal,
             const ws_goal_sample_t *samples, size_t count,
             const ws_goal_sample_t *denominator, size_t denominator_count,
             const ws_goal_backtest_t *options, size_t *index,
             size_t *denominator_index, int64_t t, ws_goal_status_t *status,
             ws_err_t *err)
{
    json_t *evaluation = ws_goal_evaluate (goal, samples, count, denominator,
                                           denominator_count, t, err);
    if (!evaluation)
        return -1;
    json_t *stale = NULL;
    int rc = 0;
    if (options->sample_interval > 0) {
        //  History has no source health: the series itself is the
        //  source, stale when its newest sample is too old (rule 3). A
        //  ratio goes stale when either of its series does.
        int64_t newest = s_newest (samples, count, index, t);
        if (ws_goal_numerator (goal)) {
            int64_t other =
                s_newest (denominator, denominator_count, denominator_index, t);
            if (other < newest)
                newest = other;
        }
        const char *metric = ws_goal_metric (goal);
        ws_goal_source_health_t source = {.name = metric ? metric
                                                         : ws_goal_name (goal),
                                          .failures = 0,
                                          .last_error = NULL,
                                          .last_success = WS_GOAL_NO_TIME,
                                          .interval = options->sample_interval};
        rc = ws_goal_stale_check (&source, 1, newest, t, &options->stale,
                                  &stale, err);
    }
    ws_goal_track_t before = *track;
    if (rc == 0)
        rc = ws_goal_track_step (track, &options->hysteresis, goal, evaluation,
                                 stale, NULL, err);
    if (rc == 0) {
        const char *name =
            json_string_value (json_object_get (evaluation, "status"));
        ws_goal_status_parse (name, status, NULL);
        if (*status == WS_GOAL_STALE)
            self->stale++;
        if (s_on_step (self, t, &before, track))
            rc = ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                             ws_goal_name (goal));
    }
    if (rc == 0 && self->timeline
        && json_array_append_new (
            self->timeline,
            json_pack ("{s:o, s:s, s:s}", "at", s_time_json (t), "status",
                       ws_goal_status_name (*status), "reported_status",
                       ws_goal_status_name (track->reported))))
        rc = ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                         ws_goal_name (goal));
    json_decref (stale);
    json_decref (evaluation);
    return rc;
}

json_t *
ws_goal_backtest (const ws_goal_t *goal, const ws_goal_sample_t *samples,
                  size_t count, const ws_goal_sample_t *denominator,
                  size_t denominator_count, const ws_goal_backtest_t *options,
                  ws_err_t *err)
{
    assert (goal);
    if (s_check_options (goal, options, err))
        return NULL;
    const char *name = ws_goal_name (goal);
    int64_t deadline = ws_goal_deadline (goal);
    //  Evaluate from `from` by steps up to min(to, deadline) (once at
    //  `from` if that is already past the deadline), and at the deadline
    //  if a step misses it: after it nothing changes.
    int64_t end = options->to < deadline ? options->to : deadline;
    if (end < options->from)
        end = options->from;
    double steps =
        floor (((double) end - (double) options->from) / (double) options->step)
        + 1;
    bool add_deadline = deadline > options->from && deadline <= options->to;
    if (steps > WS_GOAL_BACKTEST_MAX) {
        char span[32];
        ws_duration_format (options->step, span, sizeof span);
        ws_err_set (err, WS_ERR_INPUT,
                    "goal '%s' backtest: %.0f evaluations at a step of %s, at "
                    "most %d; use a longer step or a shorter period",
                    name, steps, span, WS_GOAL_BACKTEST_MAX);
        return NULL;
    }

    s_replay_t self = {.report = json_object ()};
    char span[32];
    ws_duration_format (options->step, span, sizeof span);
    if (!self.report
        || json_object_set_new (self.report, "goal", json_string (name))
        || json_object_set_new (self.report, "from",
                                s_time_json (options->from))
        || json_object_set_new (self.report, "to", s_time_json (options->to))
        || json_object_set_new (self.report, "step", json_string (span))
        || json_object_set_new (
            self.report, "hysteresis",
            ws_goal_hysteresis_to_json (&options->hysteresis))
        || json_object_set_new (self.report, "alerts", json_array ())
        || json_object_set_new (self.report, "false_alarm_at", json_array ())
        || (options->timeline
            && json_object_set_new (self.report, "timeline", json_array ())))
        goto oom;
    self.alerts = json_object_get (self.report, "alerts");
    self.false_at = json_object_get (self.report, "false_alarm_at");
    self.timeline = json_object_get (self.report, "timeline");

    ws_goal_track_t track;
    ws_goal_track_init (&track);
    ws_goal_status_t status = WS_GOAL_TOO_EARLY;
    size_t index = 0, denominator_index = 0;
    int64_t evaluations = 0, last = options->from;
    for (int64_t i = 0; i < (int64_t) steps; i++) {
        last = options->from + i * options->step;
        if (s_replay_at (&self, &track, goal, samples, count, denominator,
                         denominator_count, options, &index, &denominator_index,
                         last, &status, err))
            goto fail;
        evaluations++;
    }
    if (add_deadline && last < deadline) {
        last = deadline;
        if (s_replay_at (&self, &track, goal, samples, count, denominator,
                         denominator_count, options, &index, &denominator_index,
                         last, &status, err))
            goto fail;
        evaluations++;
    }

    const char *outcome = track.reported == WS_GOAL_ACHIEVED ? "achieved"
                          : track.reported == WS_GOAL_MISSED ? "missed"
                                                             : "open";
    //  The lead time: the warning still open when the goal was missed.
    bool warned = track.reported == WS_GOAL_MISSED && self.in_run;
    int rc = 0;
    rc |= json_object_set_new (self.report, "evaluations",
                               json_integer ((json_int_t) evaluations));
    rc |= json_object_set_new (self.report, "stale_evaluations",
                               json_integer (self.stale));
    rc |= json_object_set_new (self.report, "slipped",
                               json_integer (self.slipped));
    rc |= json_object_set_new (self.report, "false_alarms",
                               json_integer (self.false_alarms));
    rc |= json_object_set_new (self.report, "outcome", json_string (outcome));
    rc |= json_object_set_new (self.report, "warned_at",
                               warned ? s_time_json (self.run_start)
                                      : json_null ());
    rc |= json_object_set_new (
        self.report, "lead_time_days",
        warned ? json_real ((double) (deadline - self.run_start) / S_DAY_MS)
               : json_null ());
    rc |= json_object_set_new (self.report, "final_status",
                               s_status_json (status));
    rc |= json_object_set_new (self.report, "final_reported_status",
                               s_status_json (track.reported));
    if (rc)
        goto oom;
    return self.report;
oom:
    ws_err_set (err, WS_ERR_SYSTEM, "goal '%s' backtest: out of memory", name);
fail:
    json_decref (self.report);
    return NULL;
}
