//  test_ws_goal_track - hysteresis, stale verdicts and backtests: every
//  rule of ws_goal_track.h on hand-made evaluations whose numbers sit on
//  either side of each margin, then constructed series replayed through
//  ws_goal_evaluate: on track, off track, achieved early, at_most the
//  wrong way, too few points, a stopped source, pure noise on the pace
//  line, a slip held for `hold` evaluations, and a dip, recovery and
//  collapse for the backtest's figures.
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_goal.h"
#include "ws_goal_track.h"
#include "ws_time.h"

#define S_DAY 86400000LL

//  ---------------------------------------------------------------------
//  Helpers

static json_t *
s_json (const char *text)
{
    json_error_t jerr;
    json_t *json = json_loads (text, 0, &jerr);
    if (!json)
        fail_msg ("bad test JSON: %s: %s", text, jerr.text);
    return json;
}

static ws_goal_t *
s_goal (const char *text)
{
    json_t *def = s_json (text);
    ws_err_t err;
    ws_goal_t *goal = ws_goal_new (def, &err);
    json_decref (def);
    if (!goal)
        fail_msg ("%s: %s", text, err.text);
    return goal;
}

//  2027-01-04T00:00:00Z, the start of every constructed goal; deadlines
//  are 90 days later, 2027-04-04.
static int64_t
s_start (void)
{
    int64_t ms;
    assert_int_equal (ws_iso8601_parse ("2027-01-04T00:00:00Z", &ms, NULL), 0);
    return ms;
}

static int64_t
s_day (double day)
{
    return s_start () + (int64_t) (day * (double) S_DAY);
}

static const char *
s_string (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

static double
s_number (const json_t *object, const char *key)
{
    const json_t *value = json_object_get (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

//  Deterministic noise in [-1, 1]: a linear congruential generator.
static double
s_noise (uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double) (*seed >> 11) / (double) (1ULL << 53) * 2 - 1;
}

typedef double (s_value_fn) (double day, uint64_t *seed);

//  Daily samples on days first..last-1 (caller owns).
static ws_goal_sample_t *
s_series (int first, int last, s_value_fn *fn, uint64_t seed)
{
    ws_goal_sample_t *samples =
        calloc ((size_t) (last - first) + 1, sizeof *samples);
    assert_non_null (samples);
    for (int i = first; i < last; i++) {
        samples[i - first].t = s_day (i);
        samples[i - first].value = fn ((double) i, &seed);
    }
    return samples;
}

static json_t *
s_backtest (const ws_goal_t *goal, const ws_goal_sample_t *samples,
            size_t count, const ws_goal_backtest_t *options)
{
    ws_err_t err;
    json_t *report =
        ws_goal_backtest (goal, samples, count, NULL, 0, options, &err);
    if (!report)
        fail_msg ("backtest: %s", err.text);
    return report;
}

//  Daily, over the whole goal, with its timeline.
static void
s_options (ws_goal_backtest_t *options)
{
    ws_goal_backtest_init (options);
    options->from = s_day (0);
    options->to = s_day (90);
    options->timeline = true;
}

//  The number of alerts of a kind.
static int
s_alerts (const json_t *report, const char *kind)
{
    int count = 0;
    size_t i;
    json_t *alert;
    json_array_foreach (json_object_get (report, "alerts"), i, alert)
        count += strcmp (s_string (alert, "kind"), kind) == 0;
    return count;
}

//  The time of the nth alert of a kind, in days since start; NaN if none.
static double
s_alert_day (const json_t *report, const char *kind, int nth)
{
    size_t i;
    json_t *alert;
    json_array_foreach (json_object_get (report, "alerts"), i, alert)
        if (strcmp (s_string (alert, "kind"), kind) == 0 && nth-- == 0) {
            int64_t ms;
            assert_int_equal (
                ws_iso8601_parse (s_string (alert, "at"), &ms, NULL), 0);
            return (double) (ms - s_start ()) / (double) S_DAY;
        }
    return NAN;
}

static void
s_dump (const char *what, const json_t *json)
{
    char *text = json_dumps (json, JSON_INDENT (1));
    print_message ("%s: %s\n", what, text);
    free (text);
}

#define S_TOTAL_GOAL                                                           \
    "{\"name\": \"signups\", \"kind\": \"total\", \"direction\": "             \
    "\"at_least\", \"target\": 900, \"start\": \"2027-01-04T00:00:00Z\", "     \
    "\"deadline\": \"2027-04-04T00:00:00Z\", \"metric\": \"signups\"}"

//  Scale 1000: the margins are 50 (worse) and 100 (better).
#define S_THOUSAND_GOAL                                                        \
    "{\"name\": \"thousand\", \"kind\": \"total\", \"direction\": "            \
    "\"at_least\", \"target\": 1000, \"start\": \"2027-01-04T00:00:00Z\", "    \
    "\"deadline\": \"2027-04-04T00:00:00Z\"}"

//  ---------------------------------------------------------------------
//  Settings

static void
test_hysteresis_parse (void **state)
{
    (void) state;
    ws_goal_hysteresis_t settings;
    ws_err_t err;
    assert_int_equal (ws_goal_hysteresis_parse (&settings, NULL, "", &err), 0);
    assert_true (settings.margin == WS_GOAL_TRACK_MARGIN);
    assert_true (settings.recover_margin == WS_GOAL_TRACK_RECOVER_MARGIN);
    assert_int_equal (settings.hold, WS_GOAL_TRACK_HOLD);
    assert_true (settings.uncertainty == WS_GOAL_TRACK_UNCERTAINTY);

    json_t *json = s_json ("{\"margin\": 0.1, \"recover_margin\": 0.2, "
                           "\"hold\": 5, \"uncertainty\": 2}");
    assert_int_equal (ws_goal_hysteresis_parse (&settings, json, "", &err), 0);
    assert_true (settings.margin == 0.1);
    assert_true (settings.recover_margin == 0.2);
    assert_int_equal (settings.hold, 5);
    assert_true (settings.uncertainty == 2);
    //  Round trip; integers read as numbers (json_number_value).
    json_t *back = ws_goal_hysteresis_to_json (&settings);
    ws_goal_hysteresis_t again;
    assert_int_equal (ws_goal_hysteresis_parse (&again, back, "", &err), 0);
    assert_true (again.margin == settings.margin);
    assert_true (again.recover_margin == settings.recover_margin);
    assert_int_equal (again.hold, settings.hold);
    assert_true (again.uncertainty == settings.uncertainty);
    json_decref (back);
    json_decref (json);

    //  Partial: the rest default; 1 and 0 as integers.
    json = s_json ("{\"margin\": 0, \"hold\": 1.0, \"recover_margin\": 1}");
    assert_int_equal (ws_goal_hysteresis_parse (&settings, json, "", &err), 0);
    assert_true (settings.margin == 0);
    assert_true (settings.recover_margin == 1);
    assert_int_equal (settings.hold, 1);
    assert_true (settings.uncertainty == WS_GOAL_TRACK_UNCERTAINTY);
    json_decref (json);

    struct {
        const char *text, *where, *words;
    } bad[] = {
        {"{\"margin\": \"5%\"}", "/goals/0/hysteresis/margin", "\"5%\""},
        {"{\"margin\": 1.5}", "/goals/0/hysteresis/margin", "0..1"},
        {"{\"recover_margin\": -0.1}", "/goals/0/hysteresis/recover_margin",
         "0..1"},
        {"{\"hold\": 0}", "/goals/0/hysteresis/hold", "1..100"},
        {"{\"hold\": 2.5}", "/goals/0/hysteresis/hold", "integer"},
        {"{\"hold\": 101}", "/goals/0/hysteresis/hold", "1..100"},
        {"{\"hold\": null}", "/goals/0/hysteresis/hold", "integer"},
        {"{\"holds\": 3}", "/goals/0/hysteresis/holds", "unknown key"},
        {"{\"uncertainty\": 11}", "/goals/0/hysteresis/uncertainty", "0..10"},
        {"{\"uncertainty\": true}", "/goals/0/hysteresis/uncertainty",
         "found true"},
        {"[1]", "/goals/0/hysteresis", "an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json = s_json (bad[i].text);
        ws_goal_hysteresis_t before = settings;
        assert_int_equal (ws_goal_hysteresis_parse (
                              &settings, json, "/goals/0/hysteresis", &err),
                          -1);
        assert_string_equal (err.where, bad[i].where);
        if (!strstr (err.text, bad[i].words)
            || strncmp (err.text, bad[i].where, strlen (bad[i].where)) != 0)
            fail_msg ("%s: %s", bad[i].text, err.text);
        assert_true (before.margin == settings.margin);
        assert_int_equal (before.hold, settings.hold);
        json_decref (json);
    }
}

//  ---------------------------------------------------------------------
//  The step, rule by rule, on hand-made evaluations

//  An evaluation as ws_goal_evaluate shapes it (caller owns).
static json_t *
s_evaluation (const char *status, double projected, double low, double high,
              double baseline)
{
    json_t *evaluation =
        json_pack ("{s:s, s:s}", "status", status, "summary", "numbers");
    assert_non_null (evaluation);
    //  NaN: absent, as ws_goal_evaluate leaves fields it cannot give.
    const char *keys[] = {"projected", "projected_low", "projected_high"};
    double values[] = {projected, low, high};
    for (size_t i = 0; i < 3; i++)
        if (isfinite (values[i]))
            json_object_set_new (evaluation, keys[i], json_real (values[i]));
    if (isfinite (baseline))
        json_object_set_new (evaluation, "baseline", json_real (baseline));
    else
        json_object_set_new (evaluation, "baseline", json_null ());
    return evaluation;
}

//  Step once; returns the reported status's name (static) and leaves the
//  evaluation's added fields in *out if asked (caller owns).
static const char *
s_step (ws_goal_track_t *track, const ws_goal_hysteresis_t *settings,
        const ws_goal_t *goal, const char *status, double projected, double low,
        double high, json_t *stale, json_t **out)
{
    json_t *evaluation = s_evaluation (status, projected, low, high, 0);
    ws_goal_status_t reported;
    ws_err_t err;
    if (ws_goal_track_step (track, settings, goal, evaluation, stale, &reported,
                            &err))
        fail_msg ("step: %s", err.text);
    assert_string_equal (s_string (evaluation, "reported_status"),
                         ws_goal_status_name (reported));
    assert_int_equal (reported, track->reported);
    //  What the daemon stores restores the same state.
    ws_goal_track_t restored;
    if (ws_goal_track_restore (&restored, evaluation, &err))
        fail_msg ("restore: %s", err.text);
    assert_memory_equal (&restored, track, sizeof restored);
    if (out)
        *out = evaluation;
    else
        json_decref (evaluation);
    return ws_goal_status_name (reported);
}

//  Rules 2-5 with the default margins (scale 1000: worse past 50 short,
//  better past 100 over).
static void
test_step_worse_and_better (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_THOUSAND_GOAL);
    ws_goal_track_t track;
    ws_goal_track_init (&track);
    assert_int_equal (track.reported, WS_GOAL_TOO_EARLY);
    assert_int_equal (track.verdict, WS_GOAL_ON_TRACK);

    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 1010, 900, 1100, NULL, NULL),
        "on_track");
    //  4% short: at_risk by ws_goal (past its 2%), not past our 5%.
    for (int i = 0; i < 6; i++)
        assert_string_equal (
            s_step (&track, NULL, goal, "at_risk", 960, 850, 1080, NULL, NULL),
            "on_track");
    assert_int_equal (track.pending_count, 0);

    //  7% short: pending for 2 evaluations, reported on the 3rd.
    json_t *evaluation;
    assert_string_equal (s_step (&track, NULL, goal, "at_risk", 930, 850, 1080,
                                 NULL, &evaluation),
                         "on_track");
    json_t *pending = json_object_get (evaluation, "pending");
    assert_string_equal (s_string (pending, "status"), "at_risk");
    assert_int_equal (json_integer_value (json_object_get (pending, "count")),
                      1);
    assert_int_equal (json_integer_value (json_object_get (pending, "hold")),
                      3);
    assert_string_equal (s_string (evaluation, "status"), "at_risk");
    assert_null (json_object_get (evaluation, "last_verdict"));
    json_decref (evaluation);
    //  An evaluation inside the margin breaks the run.
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 970, 850, 1080, NULL, NULL),
        "on_track");
    assert_int_equal (track.pending_count, 0);
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 930, 850, 1080, NULL, NULL),
        "on_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 920, 850, 1080, NULL, NULL),
        "on_track");
    assert_int_equal (track.pending_count, 2);
    assert_string_equal (s_step (&track, NULL, goal, "at_risk", 925, 850, 1080,
                                 NULL, &evaluation),
                         "at_risk");
    assert_null (json_object_get (evaluation, "pending"));
    json_decref (evaluation);

    //  Better: on_track by ws_goal but only 5% over: stays at_risk;
    //  11% over clears the recover margin.
    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 1050, 980, 1150, NULL, NULL),
        "at_risk");
    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 1000, 950, 1050, NULL, NULL),
        "at_risk");
    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 1110, 1050, 1200, NULL, NULL),
        "on_track");

    //  Off track: the interval's top 10% short, three times.
    for (int i = 0; i < 2; i++)
        assert_string_equal (
            s_step (&track, NULL, goal, "off_track", 700, 600, 900, NULL, NULL),
            "on_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "off_track", 700, 600, 900, NULL, NULL),
        "off_track");
    //  Back to at_risk only when the top clears the target by 10%;
    //  at_risk is as far as that goes, even from an on_track evaluation
    //  whose projection is not 10% over.
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 950, 800, 1050, NULL, NULL),
        "off_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 1020, 900, 1120, NULL, NULL),
        "at_risk");

    //  A mixed run reports its mildest rung: at_risk, then off_track.
    ws_goal_track_init (&track);
    assert_string_equal (
        s_step (&track, NULL, goal, "off_track", 700, 600, 900, NULL, NULL),
        "on_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 930, 850, 1080, NULL, NULL),
        "on_track");
    assert_int_equal (track.pending, WS_GOAL_AT_RISK);
    assert_string_equal (
        s_step (&track, NULL, goal, "off_track", 700, 600, 900, NULL, NULL),
        "at_risk");
    //  The interval top only 3% short: off_track by ws_goal, not past
    //  the margin: no worse than at_risk.
    for (int i = 0; i < 4; i++)
        assert_string_equal (
            s_step (&track, NULL, goal, "off_track", 800, 700, 970, NULL, NULL),
            "at_risk");

    //  hold 1: at once.
    ws_goal_hysteresis_t settings;
    ws_goal_hysteresis_init (&settings);
    settings.hold = 1;
    ws_goal_track_init (&track);
    assert_string_equal (
        s_step (&track, &settings, goal, "at_risk", 930, 850, 1080, NULL, NULL),
        "at_risk");
    //  margin 0: anything ws_goal calls at_risk counts.
    settings.margin = 0;
    ws_goal_track_init (&track);
    assert_string_equal (
        s_step (&track, &settings, goal, "at_risk", 990, 850, 1080, NULL, NULL),
        "at_risk");
    //  Bad settings are refused, the state untouched.
    settings.hold = 0;
    ws_goal_track_t before = track;
    json_t *bad = s_evaluation ("at_risk", 900, 800, 1000, 0);
    ws_err_t err;
    assert_int_equal (
        ws_goal_track_step (&track, &settings, goal, bad, NULL, NULL, &err),
        -1);
    assert_non_null (strstr (err.text, "hold"));
    assert_memory_equal (&before, &track, sizeof track);
    json_decref (bad);
    ws_goal_destroy (&goal);
}

//  Rule 1 and 6: statuses without a verdict, stale, terminal ones.
static void
test_step_no_verdict (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_THOUSAND_GOAL);
    ws_goal_track_t track;
    ws_goal_track_init (&track);
    json_t *evaluation;
    assert_string_equal (s_step (&track, NULL, goal, "too_early", NAN, NAN, NAN,
                                 NULL, &evaluation),
                         "too_early");
    assert_string_equal (s_string (evaluation, "last_verdict"), "on_track");
    json_decref (evaluation);
    //  The first verdict worse than on_track must hold too.
    assert_string_equal (
        s_step (&track, NULL, goal, "off_track", 600, 500, 800, NULL, NULL),
        "on_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "off_track", 600, 500, 800, NULL, NULL),
        "on_track");
    //  too_early ends the run.
    assert_string_equal (
        s_step (&track, NULL, goal, "too_early", NAN, NAN, NAN, NULL, NULL),
        "too_early");
    assert_int_equal (track.pending_count, 0);
    for (int i = 0; i < 2; i++)
        assert_string_equal (
            s_step (&track, NULL, goal, "off_track", 600, 500, 800, NULL, NULL),
            "on_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "off_track", 600, 500, 800, NULL, NULL),
        "off_track");

    //  Stale: whatever the evaluation says, reported stale; the verdict
    //  is kept for when data comes back, and nothing gets worse on it.
    json_t *stale = s_json ("{\"source\": \"shop-eu\", \"reason\": \"3 "
                            "failed fetches in a row\", \"last_error\": "
                            "\"HTTP 503\", \"failures\": 3}");
    ws_goal_track_init (&track);
    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 1010, 900, 1100, NULL, NULL),
        "on_track");
    for (int i = 0; i < 5; i++) {
        assert_string_equal (s_step (&track, NULL, goal, "off_track", 600, 500,
                                     800, stale, &evaluation),
                             "stale");
        assert_string_equal (s_string (evaluation, "status"), "stale");
        assert_string_equal (s_string (evaluation, "evaluated_status"),
                             "off_track");
        assert_string_equal (s_string (evaluation, "last_verdict"), "on_track");
        assert_null (json_object_get (evaluation, "pending"));
        assert_true (json_equal (json_object_get (evaluation, "stale"), stale));
        assert_string_equal (s_string (evaluation, "summary"),
                             "stale: source 'shop-eu': 3 failed fetches in a "
                             "row; numbers");
        json_decref (evaluation);
    }
    //  Data back: the remembered rung, judged as before.
    assert_string_equal (s_step (&track, NULL, goal, "at_risk", 960, 850, 1080,
                                 json_null (), &evaluation),
                         "on_track");
    assert_null (json_object_get (evaluation, "stale"));
    json_decref (evaluation);
    //  Stale after a slip: the rung comes back as it was, no new count.
    for (int i = 0; i < 3; i++)
        s_step (&track, NULL, goal, "at_risk", 900, 850, 1080, NULL, NULL);
    assert_int_equal (track.reported, WS_GOAL_AT_RISK);
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 900, 850, 1080, stale, NULL),
        "stale");
    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 1020, 900, 1120, NULL, NULL),
        "at_risk");

    //  achieved and missed come before stale (README order).
    assert_string_equal (s_step (&track, NULL, goal, "achieved", NAN, NAN, NAN,
                                 stale, &evaluation),
                         "achieved");
    assert_string_equal (s_string (evaluation, "status"), "achieved");
    assert_null (json_object_get (evaluation, "stale"));
    json_decref (evaluation);
    //  Achieved resets the rung: a level that falls back starts afresh.
    assert_int_equal (track.verdict, WS_GOAL_ON_TRACK);
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 900, 850, 1080, NULL, NULL),
        "on_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "missed", NAN, NAN, NAN, stale, NULL),
        "missed");
    json_decref (stale);

    //  An evaluation without a status is refused, naming the field.
    ws_err_t err;
    json_t *bad = s_json ("{\"status\": \"fine\"}");
    ws_goal_track_t before = track;
    assert_int_equal (
        ws_goal_track_step (&track, NULL, goal, bad, NULL, NULL, &err), -1);
    assert_string_equal (err.where, "/status");
    assert_non_null (strstr (err.text, "\"fine\""));
    assert_memory_equal (&before, &track, sizeof track);
    json_decref (bad);
    bad = json_array ();
    assert_int_equal (
        ws_goal_track_step (&track, NULL, goal, bad, NULL, NULL, &err), -1);
    json_decref (bad);
    ws_goal_destroy (&goal);
}

//  Direction and scale: at_most, a level's baseline, keep's |target|.
static void
test_step_direction (void **state)
{
    (void) state;
    //  Bounce rate from 200 down to at most 100: scale 100, margins 5
    //  and 10.
    ws_goal_t *goal = s_goal (
        "{\"name\": \"bounce\", \"kind\": \"level\", \"direction\": "
        "\"at_most\", \"target\": 100, \"baseline\": 200, \"start\": "
        "\"2027-01-04T00:00:00Z\", \"deadline\": \"2027-04-04T00:00:00Z\"}");
    ws_goal_track_t track;
    ws_goal_track_init (&track);
    //  4 over: inside the margin.
    for (int i = 0; i < 4; i++)
        assert_string_equal (
            s_step (&track, NULL, goal, "at_risk", 104, 95, 115, NULL, NULL),
            "on_track");
    //  6 over, three times. The bound that matters is the low one.
    for (int i = 0; i < 3; i++)
        s_step (&track, NULL, goal, "at_risk", 106, 95, 115, NULL, NULL);
    assert_int_equal (track.reported, WS_GOAL_AT_RISK);
    for (int i = 0; i < 3; i++)
        s_step (&track, NULL, goal, "off_track", 130, 108, 150, NULL, NULL);
    assert_int_equal (track.reported, WS_GOAL_OFF_TRACK);
    //  Recover to at_risk: the low bound 10 under the target.
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 105, 92, 115, NULL, NULL),
        "off_track");
    assert_string_equal (
        s_step (&track, NULL, goal, "at_risk", 105, 89, 115, NULL, NULL),
        "at_risk");
    assert_string_equal (
        s_step (&track, NULL, goal, "on_track", 89, 80, 95, NULL, NULL),
        "on_track");
    ws_goal_destroy (&goal);

    //  Keep: cost per acquisition at most 4, no baseline: scale 4, margin
    //  0.2.
    goal = s_goal (
        "{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": \"at_most\", "
        "\"target\": 4, \"start\": \"2027-01-04T00:00:00Z\", \"deadline\": "
        "\"2027-04-04T00:00:00Z\"}");
    ws_goal_track_init (&track);
    for (int i = 0; i < 3; i++) {
        json_t *evaluation = s_evaluation ("at_risk", 4.15, 3.9, 4.4, NAN);
        assert_int_equal (ws_goal_track_step (&track, NULL, goal, evaluation,
                                              NULL, NULL, NULL),
                          0);
        json_decref (evaluation);
    }
    assert_int_equal (track.reported, WS_GOAL_ON_TRACK);
    for (int i = 0; i < 3; i++) {
        json_t *evaluation = s_evaluation ("at_risk", 4.25, 3.9, 4.4, NAN);
        assert_int_equal (ws_goal_track_step (&track, NULL, goal, evaluation,
                                              NULL, NULL, NULL),
                          0);
        json_decref (evaluation);
    }
    assert_int_equal (track.reported, WS_GOAL_AT_RISK);
    ws_goal_destroy (&goal);
}

//  Rule 3's second term: a shortfall inside the projection's own error
//  is not evidence yet.
static void
test_step_uncertainty (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_THOUSAND_GOAL);
    ws_goal_hysteresis_t settings;
    ws_goal_hysteresis_init (&settings);
    settings.hold = 1;
    //  Rate 9.3/day (8.3 .. 10.3), 50 days left: error 50; 7% short is
    //  past the margin (50) but not past margin + error (100).
    json_t *evaluation = s_evaluation ("at_risk", 930, 850, 1080, 0);
    json_object_set_new (evaluation, "actual_rate_low", json_real (8.3));
    json_object_set_new (evaluation, "actual_rate_high", json_real (10.3));
    json_object_set_new (evaluation, "days_left", json_real (50));
    ws_goal_track_t track;
    ws_goal_track_init (&track);
    ws_goal_status_t reported;
    assert_int_equal (ws_goal_track_step (&track, &settings, goal, evaluation,
                                          NULL, &reported, NULL),
                      0);
    assert_int_equal (reported, WS_GOAL_ON_TRACK);
    //  12% short is past both.
    json_object_set_new (evaluation, "projected", json_real (880));
    assert_int_equal (ws_goal_track_step (&track, &settings, goal, evaluation,
                                          NULL, &reported, NULL),
                      0);
    assert_int_equal (reported, WS_GOAL_AT_RISK);
    //  Without it, the bare margin.
    settings.uncertainty = 0;
    ws_goal_track_init (&track);
    json_object_set_new (evaluation, "projected", json_real (930));
    assert_int_equal (ws_goal_track_step (&track, &settings, goal, evaluation,
                                          NULL, &reported, NULL),
                      0);
    assert_int_equal (reported, WS_GOAL_AT_RISK);
    //  Off track likewise: the top 8% short, error 50: not yet with
    //  uncertainty 1 (at_risk is as far as projected 12% short goes);
    //  the top 11% short is.
    settings.uncertainty = 1;
    ws_goal_track_init (&track);
    json_object_set_new (evaluation, "status", json_string ("off_track"));
    json_object_set_new (evaluation, "projected", json_real (800));
    json_object_set_new (evaluation, "projected_high", json_real (920));
    assert_int_equal (ws_goal_track_step (&track, &settings, goal, evaluation,
                                          NULL, &reported, NULL),
                      0);
    assert_int_equal (reported, WS_GOAL_AT_RISK);
    json_object_set_new (evaluation, "projected_high", json_real (890));
    assert_int_equal (ws_goal_track_step (&track, &settings, goal, evaluation,
                                          NULL, &reported, NULL),
                      0);
    assert_int_equal (reported, WS_GOAL_OFF_TRACK);
    json_decref (evaluation);
    ws_goal_destroy (&goal);
}

static void
test_restore (void **state)
{
    (void) state;
    ws_goal_track_t track;
    ws_err_t err;
    json_t *json = s_json ("{\"reported_status\": \"stale\", \"last_verdict\": "
                           "\"at_risk\"}");
    assert_int_equal (ws_goal_track_restore (&track, json, &err), 0);
    assert_int_equal (track.reported, WS_GOAL_STALE);
    assert_int_equal (track.verdict, WS_GOAL_AT_RISK);
    assert_int_equal (track.pending_count, 0);
    json_decref (json);
    json = s_json ("{\"reported_status\": \"on_track\", \"pending\": "
                   "{\"status\": \"off_track\", \"count\": 2, \"hold\": 3}}");
    assert_int_equal (ws_goal_track_restore (&track, json, &err), 0);
    assert_int_equal (track.verdict, WS_GOAL_ON_TRACK);
    assert_int_equal (track.pending, WS_GOAL_OFF_TRACK);
    assert_int_equal (track.pending_count, 2);
    json_decref (json);
    //  An old snapshot from before hysteresis: its status stands.
    json = s_json ("{\"reported_status\": \"achieved\"}");
    assert_int_equal (ws_goal_track_restore (&track, json, &err), 0);
    assert_int_equal (track.verdict, WS_GOAL_ON_TRACK);
    json_decref (json);

    struct {
        const char *text, *where;
    } bad[] = {
        {"{}", "/reported_status"},
        {"{\"reported_status\": 3}", "/reported_status"},
        {"{\"reported_status\": \"stale\", \"last_verdict\": \"stale\"}",
         "/last_verdict"},
        {"{\"reported_status\": \"on_track\", \"pending\": 1}", "/pending"},
        {"{\"reported_status\": \"on_track\", \"pending\": {\"status\": "
         "\"at_risk\", \"count\": 0}}",
         "/pending/count"},
        {"{\"reported_status\": \"on_track\", \"pending\": {\"status\": "
         "\"at_risk\", \"count\": 1.5}}",
         "/pending/count"},
        {"{\"reported_status\": \"at_risk\", \"pending\": {\"status\": "
         "\"on_track\", \"count\": 1}}",
         "/pending/status"},
        {"[]", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json = s_json (bad[i].text);
        ws_goal_track_t before = track;
        if (ws_goal_track_restore (&track, json, &err) != -1)
            fail_msg ("%s: accepted", bad[i].text);
        assert_string_equal (err.where, bad[i].where);
        assert_memory_equal (&before, &track, sizeof track);
        json_decref (json);
    }
}

//  ---------------------------------------------------------------------
//  Stale verdicts

static void
test_stale_check (void **state)
{
    (void) state;
    int64_t now = s_day (40);
    ws_goal_source_health_t sources[] = {
        {"shop-us", 0, NULL, now - S_DAY / 2, S_DAY},
        {"shop-eu", 2, "HTTP 503", now - S_DAY, S_DAY},
    };
    json_t *verdict;
    ws_err_t err;
    //  Two failures of three, fresh samples: no verdict to withhold.
    assert_int_equal (ws_goal_stale_check (sources, 2, now - S_DAY / 2, now,
                                           NULL, &verdict, &err),
                      0);
    assert_null (verdict);
    //  The third failure.
    sources[1].failures = 3;
    assert_int_equal (ws_goal_stale_check (sources, 2, now - S_DAY / 2, now,
                                           NULL, &verdict, &err),
                      0);
    assert_non_null (verdict);
    assert_string_equal (s_string (verdict, "source"), "shop-eu");
    assert_string_equal (s_string (verdict, "last_error"), "HTTP 503");
    assert_string_equal (s_string (verdict, "reason"),
                         "3 failed fetches in a row");
    assert_int_equal (
        json_integer_value (json_object_get (verdict, "failures")), 3);
    assert_string_equal (s_string (verdict, "last_success"),
                         "2027-02-12T00:00:00Z");
    assert_string_equal (s_string (verdict, "newest_sample"),
                         "2027-02-12T12:00:00Z");
    json_decref (verdict);
    //  A stricter rule lets it pass; a looser one does not.
    ws_goal_stale_rule_t rule;
    ws_goal_stale_rule_init (&rule);
    assert_int_equal (rule.failures, WS_GOAL_STALE_FAILURES);
    rule.failures = 4;
    assert_int_equal (ws_goal_stale_check (sources, 2, now - S_DAY / 2, now,
                                           &rule, &verdict, &err),
                      0);
    assert_null (verdict);

    //  Silent: no failure, no success for more than 3 intervals.
    sources[1].failures = 0;
    sources[0].last_success = now - 3 * S_DAY - 1000;
    assert_int_equal (ws_goal_stale_check (sources, 2, now - S_DAY / 2, now,
                                           NULL, &verdict, &err),
                      0);
    assert_non_null (verdict);
    assert_string_equal (s_string (verdict, "source"), "shop-us");
    assert_non_null (
        strstr (s_string (verdict, "reason"), "no successful fetch since"));
    assert_null (json_object_get (verdict, "last_error"));
    json_decref (verdict);
    //  Exactly 3 intervals is not yet "older than".
    sources[0].last_success = now - 3 * S_DAY;
    assert_int_equal (ws_goal_stale_check (sources, 2, now - S_DAY / 2, now,
                                           NULL, &verdict, &err),
                      0);
    assert_null (verdict);

    //  Fetches succeed but the newest sample is 4 days old: the source
    //  that succeeded least recently is named.
    sources[0].last_success = now - S_DAY / 4;
    assert_int_equal (ws_goal_stale_check (sources, 2, now - 4 * S_DAY, now,
                                           NULL, &verdict, &err),
                      0);
    assert_non_null (verdict);
    assert_string_equal (s_string (verdict, "source"), "shop-eu");
    assert_string_equal (s_string (verdict, "reason"),
                         "newest sample 2027-02-09T00:00:00Z is older than 3 "
                         "intervals of 1d");
    json_decref (verdict);
    //  No sample yet, sources fine: nothing to say (too_early's job).
    assert_int_equal (ws_goal_stale_check (sources, 2, WS_GOAL_NO_TIME, now,
                                           NULL, &verdict, &err),
                      0);
    assert_null (verdict);
    //  A source that never succeeded and fails.
    ws_goal_source_health_t never = {"new-shop", 5, "DNS: no such host",
                                     WS_GOAL_NO_TIME, 3600000};
    assert_int_equal (ws_goal_stale_check (&never, 1, WS_GOAL_NO_TIME, now,
                                           NULL, &verdict, &err),
                      0);
    assert_string_equal (s_string (verdict, "source"), "new-shop");
    assert_null (json_object_get (verdict, "last_success"));
    assert_null (json_object_get (verdict, "newest_sample"));
    json_decref (verdict);

    //  Bad input names the source.
    never.interval = 0;
    assert_int_equal (ws_goal_stale_check (&never, 1, WS_GOAL_NO_TIME, now,
                                           NULL, &verdict, &err),
                      -1);
    assert_non_null (strstr (err.text, "source 'new-shop': interval 0"));
    never.interval = 1000;
    never.failures = -1;
    assert_int_equal (ws_goal_stale_check (&never, 1, WS_GOAL_NO_TIME, now,
                                           NULL, &verdict, &err),
                      -1);
    assert_non_null (strstr (err.text, "new-shop"));
    never.failures = 0;
    never.name = "";
    assert_int_equal (ws_goal_stale_check (&never, 1, WS_GOAL_NO_TIME, now,
                                           NULL, &verdict, &err),
                      -1);
    assert_non_null (strstr (err.text, "no name"));
    never.name = "x";
    rule.intervals = 0;
    assert_int_equal (ws_goal_stale_check (&never, 1, WS_GOAL_NO_TIME, now,
                                           &rule, &verdict, &err),
                      -1);
    assert_int_equal (ws_goal_stale_check (NULL, 2, WS_GOAL_NO_TIME, now, NULL,
                                           &verdict, &err),
                      -1);
    assert_null (verdict);
}

//  ---------------------------------------------------------------------
//  Backtests of constructed series (target 900 in 90 days: pace 10/day)

static double
s_ahead (double day, uint64_t *seed)
{
    (void) day;
    (void) seed;
    return 10.5;
}

static double
s_slow (double day, uint64_t *seed)
{
    (void) day;
    return 6 + s_noise (seed);
}

static double
s_fast (double day, uint64_t *seed)
{
    (void) day;
    return 20 + 2 * s_noise (seed);
}

//  The whole timeline's reported statuses are among allowed (a
//  NULL-ended list).
static void
s_only_reported (const json_t *report, const char *const *allowed)
{
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (report, "timeline"), i, entry) {
        const char *reported = s_string (entry, "reported_status");
        bool ok = false;
        for (size_t j = 0; allowed[j]; j++)
            ok = ok || strcmp (reported, allowed[j]) == 0;
        if (!ok) {
            s_dump ("report", report);
            fail_msg ("day %zu: reported %s", i, reported);
        }
    }
}

static void
test_backtest_clean (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    ws_goal_backtest_t options;
    s_options (&options);

    //  10.5 a day, every day: on track, achieved on day 85 (86 samples).
    ws_goal_sample_t *samples = s_series (0, 90, s_ahead, 0);
    json_t *report = s_backtest (goal, samples, 90, &options);
    assert_int_equal (
        json_integer_value (json_object_get (report, "evaluations")), 91);
    assert_int_equal (json_array_size (json_object_get (report, "timeline")),
                      91);
    assert_int_equal (json_array_size (json_object_get (report, "alerts")), 1);
    assert_true (s_alert_day (report, "achieved", 0) == 85);
    assert_int_equal (s_alerts (report, "slipped"), 0);
    assert_int_equal (
        json_integer_value (json_object_get (report, "false_alarms")), 0);
    assert_string_equal (s_string (report, "outcome"), "achieved");
    assert_true (json_is_null (json_object_get (report, "lead_time_days")));
    assert_string_equal (s_string (report, "final_reported_status"),
                         "achieved");
    assert_string_equal (s_string (report, "step"), "1d");
    static const char *const fine[] = {"too_early", "on_track", "achieved",
                                       NULL};
    s_only_reported (report, fine);
    json_decref (report);
    free (samples);

    //  20 a day: achieved early, day 44 or so, never a slip.
    samples = s_series (0, 90, s_fast, 7);
    report = s_backtest (goal, samples, 90, &options);
    double day = s_alert_day (report, "achieved", 0);
    assert_true (day >= 40 && day <= 48);
    assert_int_equal (s_alerts (report, "slipped"), 0);
    assert_string_equal (s_string (report, "outcome"), "achieved");
    s_only_reported (report, fine);
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

static void
test_backtest_off_track (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    ws_goal_backtest_t options;
    s_options (&options);
    //  6 a day against 10: off track from the first verdict (day 9, 10%
    //  of the time), reported after 3 evaluations, missed at the
    //  deadline with 540.
    ws_goal_sample_t *samples = s_series (0, 90, s_slow, 3);
    json_t *report = s_backtest (goal, samples, 90, &options);
    assert_int_equal (s_alerts (report, "slipped"), 1);
    assert_true (s_alert_day (report, "slipped", 0) == 11);
    json_t *alert = json_array_get (json_object_get (report, "alerts"), 0);
    assert_string_equal (s_string (alert, "from"), "on_track");
    assert_string_equal (s_string (alert, "to"), "off_track");
    assert_true (s_alert_day (report, "missed", 0) == 90);
    assert_string_equal (s_string (report, "outcome"), "missed");
    assert_string_equal (s_string (report, "warned_at"),
                         "2027-01-15T00:00:00Z");
    assert_true (s_number (report, "lead_time_days") == 79);
    assert_int_equal (
        json_integer_value (json_object_get (report, "false_alarms")), 0);
    assert_string_equal (s_string (report, "final_status"), "missed");
    json_decref (report);

    //  The same replay stopped halfway: open, no lead time; the deadline
    //  is not evaluated.
    options.to = s_day (45);
    report = s_backtest (goal, samples, 90, &options);
    assert_string_equal (s_string (report, "outcome"), "open");
    assert_int_equal (
        json_integer_value (json_object_get (report, "evaluations")), 46);
    assert_string_equal (s_string (report, "final_reported_status"),
                         "off_track");
    assert_true (json_is_null (json_object_get (report, "warned_at")));
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

//  A bounce rate to bring from 60 to at most 40, rising instead.
static double
s_rising (double day, uint64_t *seed)
{
    return 60 + 0.1 * day + 0.5 * s_noise (seed);
}

static void
test_backtest_at_most (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (
        "{\"name\": \"bounce\", \"kind\": \"level\", \"direction\": "
        "\"at_most\", \"target\": 40, \"start\": \"2027-01-04T00:00:00Z\", "
        "\"deadline\": \"2027-04-04T00:00:00Z\"}");
    ws_goal_backtest_t options;
    s_options (&options);
    ws_goal_sample_t *samples = s_series (0, 90, s_rising, 11);
    json_t *report = s_backtest (goal, samples, 90, &options);
    assert_int_equal (s_alerts (report, "slipped"), 1);
    assert_true (s_alert_day (report, "slipped", 0) == 11);
    json_t *alert = json_array_get (json_object_get (report, "alerts"), 0);
    assert_string_equal (s_string (alert, "to"), "off_track");
    assert_string_equal (s_string (report, "outcome"), "missed");
    assert_true (s_number (report, "lead_time_days") == 79);
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

static void
test_backtest_too_few (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    ws_goal_backtest_t options;
    s_options (&options);
    options.to = s_day (60);
    //  Two samples: no projection, no verdict, no alert.
    ws_goal_sample_t *samples = s_series (0, 2, s_ahead, 0);
    json_t *report = s_backtest (goal, samples, 2, &options);
    assert_int_equal (json_array_size (json_object_get (report, "alerts")), 0);
    assert_string_equal (s_string (report, "final_status"), "too_early");
    static const char *const early[] = {"too_early", NULL};
    s_only_reported (report, early);
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

//  A source that stopped on day 40 after a good start: stale, never
//  slipped; without stale verdicts the same history would page.
static void
test_backtest_stopped_source (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    ws_goal_backtest_t options;
    s_options (&options);
    options.sample_interval = S_DAY;
    ws_goal_sample_t *samples = s_series (0, 40, s_ahead, 0);
    json_t *report = s_backtest (goal, samples, 40, &options);
    assert_int_equal (s_alerts (report, "slipped"), 0);
    //  Newest sample day 39; older than 3 days from day 43 on, up to 89,
    //  and missed at the deadline with 420: a fact, not a warning.
    assert_int_equal (
        json_integer_value (json_object_get (report, "stale_evaluations")), 47);
    json_t *day50 = json_array_get (json_object_get (report, "timeline"), 50);
    assert_string_equal (s_string (day50, "status"), "stale");
    assert_string_equal (s_string (day50, "reported_status"), "stale");
    assert_int_equal (s_alerts (report, "missed"), 1);
    json_t *alert = json_array_get (json_object_get (report, "alerts"), 0);
    assert_string_equal (s_string (alert, "from"), "stale");
    assert_true (json_is_null (json_object_get (report, "lead_time_days")));
    json_decref (report);

    options.sample_interval = 0;
    report = s_backtest (goal, samples, 40, &options);
    assert_int_equal (s_alerts (report, "slipped"), 1);
    assert_true (s_alert_day (report, "slipped", 0) < 60);
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

//  ±2 around 10 a day: the pace line exactly, with noise.
static double
s_noisy_total (double day, uint64_t *seed)
{
    (void) day;
    return 10 + 2 * s_noise (seed);
}

//  A level from 100 to 200 on the pace line, ±1.
static double
s_noisy_level (double day, uint64_t *seed)
{
    return 100 + 100 * day / 90 + s_noise (seed);
}

//  Noise on the pace line never pages: over the whole goal (up to the
//  day before the deadline, where the coin decides between achieved and
//  missed), nothing worse than on_track is reported, though single
//  evaluations say at_risk, and without hysteresis the same series
//  would page.
static void
test_backtest_noise (void **state)
{
    (void) state;
    static const char *const fine[] = {"too_early", "on_track", "achieved",
                                       NULL};
    struct {
        const char *goal;
        s_value_fn *fn;
    } cases[] = {
        {S_TOTAL_GOAL, s_noisy_total},
        {"{\"name\": \"followers\", \"kind\": \"level\", \"direction\": "
         "\"at_least\", \"target\": 200, \"baseline\": 100, \"start\": "
         "\"2027-01-04T00:00:00Z\", \"deadline\": \"2027-04-04T00:00:00Z\"}",
         s_noisy_level},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ws_goal_t *goal = s_goal (cases[c].goal);
        ws_goal_backtest_t options, bare;
        s_options (&options);
        options.to = s_day (89);
        bare = options;
        bare.hysteresis.hold = 1;
        bare.hysteresis.margin = 0;
        bare.hysteresis.uncertainty = 0;
        int raw_worse = 0, bare_slips = 0;
        for (uint64_t seed = 1; seed <= 12; seed++) {
            ws_goal_sample_t *samples = s_series (0, 90, cases[c].fn, seed);
            json_t *report = s_backtest (goal, samples, 90, &options);
            s_only_reported (report, fine);
            assert_int_equal (s_alerts (report, "slipped"), 0);
            size_t i;
            json_t *entry;
            json_array_foreach (json_object_get (report, "timeline"), i,
                                entry) {
                const char *status = s_string (entry, "status");
                raw_worse += strcmp (status, "at_risk") == 0
                             || strcmp (status, "off_track") == 0;
            }
            json_decref (report);
            report = s_backtest (goal, samples, 90, &bare);
            bare_slips += s_alerts (report, "slipped");
            json_decref (report);
            free (samples);
        }
        print_message ("case %zu: %d evaluations worse than on_track, %d "
                       "slips without hysteresis\n",
                       c, raw_worse, bare_slips);
        assert_true (raw_worse > 0);
        assert_true (bare_slips > 0);
        ws_goal_destroy (&goal);
    }
}

//  On pace for 40 days, then 2 a day.
static double
s_slip (double day, uint64_t *seed)
{
    (void) seed;
    return day < 40 ? 10.5 : 2;
}

//  A real slip is reported `hold` evaluations after the evidence first
//  crosses the margin (hold 1 reports that day).
static void
test_backtest_hold (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    ws_goal_backtest_t options;
    s_options (&options);
    ws_goal_sample_t *samples = s_series (0, 90, s_slip, 0);
    double first = NAN;
    for (int hold = 1; hold <= 5; hold++) {
        options.hysteresis.hold = hold;
        json_t *report = s_backtest (goal, samples, 90, &options);
        double day = s_alert_day (report, "slipped", 0);
        if (hold == 1)
            first = day;
        assert_true (first > 40 && first < 60);
        if (day != first + hold - 1) {
            s_dump ("report", report);
            fail_msg ("hold %d: slipped on day %g, expected %g", hold, day,
                      first + hold - 1);
        }
        assert_string_equal (s_string (report, "outcome"), "missed");
        assert_true (s_number (report, "lead_time_days") == 90 - day);
        json_decref (report);
    }
    //  A wider margin sees it later.
    options.hysteresis.hold = 1;
    options.hysteresis.margin = 0.15;
    json_t *report = s_backtest (goal, samples, 90, &options);
    assert_true (s_alert_day (report, "slipped", 0) > first);
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

//  Ahead for 20 days, nothing for 15, a strong rally, then nothing from
//  day 50: 240 + 525 = 765 of 900.
static double
s_dip_recover_collapse (double day, uint64_t *seed)
{
    (void) seed;
    if (day < 20)
        return 12;
    if (day < 35)
        return 0;
    if (day < 50)
        return 35;
    return 0;
}

static void
test_backtest_figures (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    ws_goal_backtest_t options;
    s_options (&options);
    ws_goal_sample_t *samples = s_series (0, 90, s_dip_recover_collapse, 0);
    json_t *report = s_backtest (goal, samples, 90, &options);
    //  Slipped in the dip, recovered in the rally, slipped in the
    //  collapse (maybe down two rungs), missed with 765.
    double dip = s_alert_day (report, "slipped", 0);
    double back = s_alert_day (report, "recovered", 0);
    int slips = s_alerts (report, "slipped");
    double collapse = NAN;
    for (int i = 1; i < slips; i++)
        if (s_alert_day (report, "slipped", i) > back) {
            collapse = s_alert_day (report, "slipped", i);
            break;
        }
    if (!(dip > 20 && dip < 35 && back > 35 && back < 50 && collapse > 50
          && collapse < 90)) {
        s_dump ("report", report);
        fail_msg ("dip %g, back %g, collapse %g", dip, back, collapse);
    }
    //  Every recovery in the rally ends back on track.
    json_t *alerts = json_object_get (report, "alerts");
    size_t i;
    json_t *alert;
    int64_t ms;
    json_array_foreach (alerts, i, alert) {
        if (strcmp (s_string (alert, "kind"), "recovered") == 0) {
            assert_int_equal (
                ws_iso8601_parse (s_string (alert, "at"), &ms, NULL), 0);
            assert_true (ms < s_day (50));
        }
    }
    assert_int_equal (
        json_integer_value (json_object_get (report, "false_alarms")), 1);
    json_t *false_at = json_object_get (report, "false_alarm_at");
    assert_int_equal (json_array_size (false_at), 1);
    assert_int_equal (
        ws_iso8601_parse (json_string_value (json_array_get (false_at, 0)), &ms,
                          NULL),
        0);
    assert_true (ms == s_day (dip));
    assert_string_equal (s_string (report, "outcome"), "missed");
    assert_int_equal (
        ws_iso8601_parse (s_string (report, "warned_at"), &ms, NULL), 0);
    assert_true (ms == s_day (collapse));
    assert_true (s_number (report, "lead_time_days") == 90 - collapse);
    json_t *last = json_array_get (alerts, json_array_size (alerts) - 1);
    assert_string_equal (s_string (last, "kind"), "missed");
    print_message ("dip %g, back %g, collapse %g, lead %g days\n", dip, back,
                   collapse, s_number (report, "lead_time_days"));
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

//  Cost per acquisition at most 4: cost 30 a day over 10 acquisitions.
static double
s_cost (double day, uint64_t *seed)
{
    (void) day;
    return 30 + 2 * s_noise (seed);
}

static double
s_acquisitions (double day, uint64_t *seed)
{
    (void) day;
    (void) seed;
    return 10;
}

static void
test_backtest_ratio (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (
        "{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": \"at_most\", "
        "\"target\": 4, \"start\": \"2027-01-04T00:00:00Z\", \"deadline\": "
        "\"2027-04-04T00:00:00Z\", \"ratio\": {\"numerator\": \"cost\", "
        "\"denominator\": \"acquisitions\"}}");
    ws_goal_backtest_t options;
    s_options (&options);
    options.sample_interval = S_DAY;
    ws_goal_sample_t *cost = s_series (0, 90, s_cost, 5);
    ws_goal_sample_t *acquisitions = s_series (0, 90, s_acquisitions, 0);
    ws_err_t err;
    json_t *report =
        ws_goal_backtest (goal, cost, 90, acquisitions, 90, &options, &err);
    assert_non_null (report);
    assert_int_equal (s_alerts (report, "slipped"), 0);
    assert_string_equal (s_string (report, "outcome"), "achieved");
    json_decref (report);
    //  The denominator stops on day 50: stale from day 53 to 89, though
    //  the costs keep coming.
    report =
        ws_goal_backtest (goal, cost, 90, acquisitions, 50, &options, &err);
    assert_non_null (report);
    assert_int_equal (
        json_integer_value (json_object_get (report, "stale_evaluations")), 37);
    json_decref (report);
    //  No denominator at all: ws_goal_evaluate's error.
    assert_null (ws_goal_backtest (goal, cost, 90, NULL, 0, &options, &err));
    assert_non_null (strstr (err.text, "denominator"));
    free (cost);
    free (acquisitions);
    ws_goal_destroy (&goal);
}

static void
test_backtest_bad (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    ws_goal_sample_t *samples = s_series (0, 20, s_ahead, 0);
    ws_goal_backtest_t options;
    ws_err_t err;
    s_options (&options);
    options.step = 0;
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    assert_non_null (strstr (err.text, "goal 'signups' backtest: step 0"));
    s_options (&options);
    options.to = s_day (-1);
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    assert_non_null (strstr (err.text, "--to 2027-01-03T00:00:00Z is before"));
    s_options (&options);
    options.step = 60000;  //  a minute: 129601 evaluations
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    assert_non_null (strstr (err.text, "at most 10000"));
    s_options (&options);
    options.hysteresis.margin = -1;
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    assert_non_null (strstr (err.text, "margin"));
    s_options (&options);
    options.sample_interval = -5;
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    s_options (&options);
    options.sample_interval = S_DAY;
    options.stale.intervals = 0;
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, NULL, &err));
    //  Out of order samples: ws_goal_evaluate's error comes through.
    s_options (&options);
    samples[5].t = s_day (1);
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    assert_non_null (strstr (err.text, "not in time order"));
    samples[5].value = NAN;
    samples[5].t = s_day (5);
    assert_null (ws_goal_backtest (goal, samples, 20, NULL, 0, &options, &err));
    assert_non_null (strstr (err.text, "finite"));

    //  Edge periods: one evaluation (from = to), a period past the
    //  deadline (one evaluation at from), an hourly step that misses the
    //  deadline only by stepping past it.
    samples[5].value = 10.5;
    s_options (&options);
    options.to = options.from;
    json_t *report = s_backtest (goal, samples, 20, &options);
    assert_int_equal (
        json_integer_value (json_object_get (report, "evaluations")), 1);
    json_decref (report);
    options.from = s_day (100);
    options.to = s_day (120);
    report = s_backtest (goal, samples, 20, &options);
    assert_int_equal (
        json_integer_value (json_object_get (report, "evaluations")), 1);
    assert_string_equal (s_string (report, "outcome"), "missed");
    json_decref (report);
    options.from = s_day (80) + 1000;
    options.to = s_day (95);
    options.step = 7 * S_DAY;
    report = s_backtest (goal, samples, 20, &options);
    //  80d+1s, 87d+1s, then the deadline.
    assert_int_equal (
        json_integer_value (json_object_get (report, "evaluations")), 3);
    assert_string_equal (s_string (report, "step"), "1w");
    assert_string_equal (s_string (report, "final_status"), "missed");
    json_decref (report);
    free (samples);
    ws_goal_destroy (&goal);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hysteresis_parse),
        cmocka_unit_test (test_step_worse_and_better),
        cmocka_unit_test (test_step_no_verdict),
        cmocka_unit_test (test_step_direction),
        cmocka_unit_test (test_step_uncertainty),
        cmocka_unit_test (test_restore),
        cmocka_unit_test (test_stale_check),
        cmocka_unit_test (test_backtest_clean),
        cmocka_unit_test (test_backtest_off_track),
        cmocka_unit_test (test_backtest_at_most),
        cmocka_unit_test (test_backtest_too_few),
        cmocka_unit_test (test_backtest_stopped_source),
        cmocka_unit_test (test_backtest_noise),
        cmocka_unit_test (test_backtest_hold),
        cmocka_unit_test (test_backtest_figures),
        cmocka_unit_test (test_backtest_ratio),
        cmocka_unit_test (test_backtest_bad),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
