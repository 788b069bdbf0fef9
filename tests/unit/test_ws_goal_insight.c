//  test_ws_goal_insight - weekday pace (a series with strong weekends and
//  flat ones), each attainability verdict on constructed history,
//  segments where regions lag, and activity effects on a series with a
//  known step and on ones without.
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
#include "ws_goal_insight.h"
#include "ws_time.h"

#define S_DAY 86400000LL

//  ---------------------------------------------------------------------
//  Helpers

static int64_t
s_ms (const char *iso)
{
    int64_t ms;
    assert_int_equal (ws_iso8601_parse (iso, &ms, NULL), 0);
    return ms;
}

//  A goal from JSON text; fails the test if invalid.
static ws_goal_t *
s_goal (const char *text)
{
    json_error_t jerr;
    json_t *def = json_loads (text, 0, &jerr);
    if (!def)
        fail_msg ("bad test JSON: %s: %s", text, jerr.text);
    ws_err_t err;
    ws_goal_t *goal = ws_goal_new (def, &err);
    json_decref (def);
    if (!goal)
        fail_msg ("%s: %s", text, err.text);
    return goal;
}

//  Deterministic noise in [-1, 1]: a linear congruential generator.
static double
s_noise (uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double) (*seed >> 11) / (double) (1ULL << 53) * 2 - 1;
}

//  The value on day `day` (0-based from the series' first day), whose
//  weekday is `weekday` (Monday 0).
typedef double (s_value_fn) (long day, int weekday, uint64_t *seed);

//  Daily samples at midnight from `first` (ms) for `days` days. Caller
//  frees.
static ws_goal_sample_t *
s_daily (int64_t first, long days, s_value_fn *fn, uint64_t seed)
{
    ws_goal_sample_t *samples = calloc ((size_t) days + 1, sizeof *samples);
    assert_non_null (samples);
    for (long d = 0; d < days; d++) {
        int64_t t = first + d * S_DAY;
        int weekday = (int) ((((t / S_DAY) % 7) + 7 + 3) % 7);
        samples[d].t = t;
        samples[d].value = fn (d, weekday, &seed);
    }
    return samples;
}

static double
s_number (const json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    if (!json_is_number (value))
        fail_msg ("%s: missing or not a number", key);
    return json_number_value (value);
}

static const char *
s_string (const json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    if (!json_is_string (value))
        fail_msg ("%s: missing or not a string", key);
    return json_string_value (value);
}

static void
s_print (const char *what, const json_t *value)
{
    char *text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY
                                        | JSON_REAL_PRECISION (4));
    print_message ("%s: %s\n", what, text ? text : "?");
    free (text);
}

//  ---------------------------------------------------------------------
//  Weekday pace

//  Business sign-ups: 100 a weekday, about 8 on Saturday and Sunday.
static double
s_weekends_low (long day, int weekday, uint64_t *seed)
{
    (void) day;
    return weekday >= 5 ? 8 + 2 * s_noise (seed) : 100 + 5 * s_noise (seed);
}

//  The same without noise: Monday to Friday have equal shares.
static double
s_weekends_exact (long day, int weekday, uint64_t *seed)
{
    (void) day;
    (void) seed;
    return weekday >= 5 ? 8 : 100;
}

static double
s_flat (long day, int weekday, uint64_t *seed)
{
    (void) day;
    (void) weekday;
    return 100 + 10 * s_noise (seed);
}

static double
s_constant (long day, int weekday, uint64_t *seed)
{
    (void) day;
    (void) weekday;
    (void) seed;
    return 42;
}

//  A 28-day total goal from Friday 2027-01-08 (the day after history).
static const char *s_weekday_goal =
    "{\"name\": \"signups\", \"kind\": \"total\", \"direction\": "
    "\"at_least\", \"target\": 2064, \"start\": \"2027-01-08T00:00:00Z\", "
    "\"deadline\": \"2027-02-05T00:00:00Z\"}";

//  Six full weeks, Monday 2026-11-23 to Sunday 2027-01-03, and Monday to
//  Thursday of the next.
#define S_HISTORY_FIRST "2026-11-23T00:00:00Z"
#define S_HISTORY_DAYS 46

static ws_goal_t *
s_goal_with (const char *text, json_t *checkpoints)
{
    json_t *def = json_loads (text, 0, NULL);
    assert_non_null (def);
    if (checkpoints)
        json_object_set (def, "checkpoints", checkpoints);
    ws_err_t err;
    ws_goal_t *goal = ws_goal_new (def, &err);
    json_decref (def);
    if (!goal)
        fail_msg ("ws_goal_new refused the checkpoints: %s (%s)", err.text,
                  err.where);
    return goal;
}

static void
test_weekday_profile (void **state)
{
    (void) state;
    ws_goal_sample_t *history =
        s_daily (s_ms (S_HISTORY_FIRST), S_HISTORY_DAYS, s_weekends_low, 7);
    ws_goal_weekday_profile_t profile;
    ws_err_t err;
    assert_int_equal (ws_goal_insight_weekday_profile (history, S_HISTORY_DAYS,
                                                       &profile, &err),
                      0);
    assert_int_equal (profile.weeks, 6);
    assert_true (profile.weekly);
    assert_true (profile.p < 1e-6);
    assert_true (profile.strength > 0.9);
    double sum = 0;
    for (int k = 0; k < 7; k++) {
        sum += profile.share[k];
        if (k < 5)
            assert_true (profile.share[k] > 0.18 && profile.share[k] < 0.20);
        else
            assert_true (profile.share[k] > 0.01 && profile.share[k] < 0.02);
    }
    assert_true (fabs (sum - 1) < 1e-12);
    free (history);

    //  A flat series and a constant one: no weekly cycle.
    history = s_daily (s_ms (S_HISTORY_FIRST), S_HISTORY_DAYS, s_flat, 11);
    assert_int_equal (ws_goal_insight_weekday_profile (history, S_HISTORY_DAYS,
                                                       &profile, &err),
                      0);
    print_message ("flat: p %g amplitude %g\n", profile.p, profile.amplitude);
    assert_false (profile.weekly);
    assert_true (profile.p > WS_GOAL_INSIGHT_WEEKLY_P);
    free (history);
    history = s_daily (s_ms (S_HISTORY_FIRST), S_HISTORY_DAYS, s_constant, 1);
    assert_int_equal (ws_goal_insight_weekday_profile (history, S_HISTORY_DAYS,
                                                       &profile, &err),
                      0);
    assert_false (profile.weekly);
    assert_true (profile.p == 1 && profile.amplitude < 1e-12);

    //  Two full weeks are not enough, and the error says how many.
    assert_int_equal (
        ws_goal_insight_weekday_profile (history, 20, &profile, &err), -1);
    print_message ("%s\n", err.text);
    assert_non_null (strstr (err.text, "2 full weeks"));
    //  A missing day breaks its week: the Tuesdays of the first four
    //  weeks removed leave two.
    ws_goal_sample_t gappy[S_HISTORY_DAYS];
    size_t n = 0;
    for (size_t i = 0; i < S_HISTORY_DAYS; i++)
        if (i % 7 != 1 || i >= 28)
            gappy[n++] = history[i];
    assert_int_equal (
        ws_goal_insight_weekday_profile (gappy, n, &profile, &err), -1);
    assert_non_null (strstr (err.text, "2 full weeks"));
    assert_int_equal (ws_goal_insight_weekday_profile (NULL, 0, &profile, &err),
                      -1);
    //  Negative amounts, NaN, disorder: errors naming the sample.
    history[5].value = -1;
    assert_int_equal (ws_goal_insight_weekday_profile (history, S_HISTORY_DAYS,
                                                       &profile, &err),
                      -1);
    assert_non_null (strstr (err.text, "sample 5"));
    history[5].value = NAN;
    assert_int_equal (ws_goal_insight_weekday_profile (history, S_HISTORY_DAYS,
                                                       &profile, &err),
                      -1);
    assert_non_null (strstr (err.text, "not a finite number"));
    history[5].value = 1;
    history[5].t = 0;
    assert_int_equal (ws_goal_insight_weekday_profile (history, S_HISTORY_DAYS,
                                                       &profile, &err),
                      -1);
    assert_non_null (strstr (err.text, "not in time order"));
    free (history);
}

static void
test_weekday_pace (void **state)
{
    (void) state;
    ws_goal_t *linear = s_goal (s_weekday_goal);
    ws_goal_sample_t *history =
        s_daily (s_ms (S_HISTORY_FIRST), S_HISTORY_DAYS, s_weekends_low, 7);
    ws_err_t err;
    json_t *pace =
        ws_goal_insight_weekday_pace (linear, history, S_HISTORY_DAYS, &err);
    assert_non_null (pace);
    s_print ("pace", json_object_get (pace, "text"));
    assert_true (json_is_true (json_object_get (pace, "weekly")));
    assert_int_equal (json_array_size (json_object_get (pace, "shares")), 7);
    json_t *checkpoints = json_object_get (pace, "checkpoints");
    //  One at each midnight strictly inside the 28 days: the noise makes
    //  every day's share differ from the next.
    assert_int_equal (json_array_size (checkpoints), 27);
    assert_true (s_number (pace, "max_deviation") < 1e-12);
    double last = 0;
    int64_t start = ws_goal_start (linear),
            deadline = ws_goal_deadline (linear);
    size_t i;
    json_t *point;
    json_array_foreach (checkpoints, i, point) {
        int64_t at = s_ms (s_string (point, "at"));
        double progress = s_number (point, "progress");
        assert_true (at > start && at < deadline);
        assert_int_equal (at % S_DAY, 0);
        assert_true (progress >= last && progress <= 1);
        //  A weekend day adds under 2% of a week, a weekday about 19%.
        int weekday = (int) ((((at / S_DAY) - 1) % 7 + 7 + 3) % 7);
        double step = progress - last;
        if (weekday >= 5)
            assert_true (step < 0.02 * 7 / 28.0);
        else if (i > 0)
            assert_true (step > 0.18 * 7 / 28.0);
        last = progress;
    }
    ws_goal_t *weekly = s_goal_with (s_weekday_goal, checkpoints);

    //  Ten days of the goal, Friday to the second Sunday, at the pace of
    //  history, evaluated late on that Sunday: the straight line calls it
    //  behind (the weekend's lull), the weekday pace does not.
    ws_goal_sample_t *samples = s_daily (start, 10, s_weekends_low, 99);
    int64_t sunday = s_ms ("2027-01-17T23:00:00Z");
    json_t *on_line =
        ws_goal_evaluate (linear, samples, 10, NULL, 0, sunday, &err);
    json_t *on_week =
        ws_goal_evaluate (weekly, samples, 10, NULL, 0, sunday, &err);
    assert_non_null (on_line);
    assert_non_null (on_week);
    s_print ("linear", json_object_get (on_line, "summary"));
    s_print ("weekday", json_object_get (on_week, "summary"));
    assert_true (s_number (on_line, "days_ahead") < -1);
    assert_true (fabs (s_number (on_week, "days_ahead")) < 0.5);
    assert_true (s_number (on_week, "progress")
                 >= s_number (on_week, "expected_progress") - 0.01);
    assert_true (s_number (on_line, "progress")
                 < s_number (on_line, "expected_progress") - 0.03);
    json_decref (on_line);
    json_decref (on_week);
    free (samples);
    ws_goal_destroy (&weekly);
    json_decref (pace);

    //  Equal shares Monday to Friday (and Saturday, Sunday): only the
    //  midnights where the share changes, Saturday and Monday, remain.
    ws_goal_weekday_profile_t profile;
    ws_goal_sample_t *exact =
        s_daily (s_ms (S_HISTORY_FIRST), S_HISTORY_DAYS, s_weekends_exact, 0);
    assert_int_equal (
        ws_goal_insight_weekday_profile (exact, S_HISTORY_DAYS, &profile, &err),
        0);
    assert_true (profile.weekly);
    assert_true (profile.p == 0);
    double deviation = 1;
    checkpoints =
        ws_goal_insight_checkpoints (linear, &profile, &deviation, &err);
    assert_non_null (checkpoints);
    assert_int_equal (json_array_size (checkpoints), 8);
    assert_true (deviation < 1e-9);
    json_array_foreach (checkpoints, i, point) {
        int64_t at = s_ms (s_string (point, "at"));
        int weekday = (int) ((((at / S_DAY)) % 7 + 7 + 3) % 7);
        assert_true (weekday == 5 || weekday == 0);
    }
    weekly = s_goal_with (s_weekday_goal, checkpoints);
    //  The curve through them matches the exact one at every midnight:
    //  Friday 8 Jan is 100 of 516 a week, four weeks.
    assert_true (fabs (ws_goal_expected_progress (weekly, start + S_DAY)
                       - 100.0 / (4 * 516))
                 < 1e-12);
    assert_true (fabs (ws_goal_expected_progress (weekly, start + 5 * S_DAY)
                       - (100.0 + 16 + 200) / (4 * 516))
                 < 1e-12);
    ws_goal_destroy (&weekly);
    json_decref (checkpoints);
    free (exact);

    //  A flat history: no weekly cycle, no checkpoints, and it says so.
    ws_goal_sample_t *flat =
        s_daily (s_ms (S_HISTORY_FIRST), S_HISTORY_DAYS, s_flat, 11);
    pace = ws_goal_insight_weekday_pace (linear, flat, S_HISTORY_DAYS, &err);
    assert_non_null (pace);
    s_print ("flat", json_object_get (pace, "text"));
    assert_true (json_is_false (json_object_get (pace, "weekly")));
    assert_null (json_object_get (pace, "checkpoints"));
    assert_non_null (strstr (s_string (pace, "text"), "no weekly cycle"));
    json_decref (pace);
    free (flat);

    //  Too little history: the error names the goal and the weeks.
    assert_null (ws_goal_insight_weekday_pace (linear, history, 16, &err));
    assert_non_null (strstr (err.text, "goal 'signups'"));
    assert_non_null (strstr (err.text, "full weeks"));

    //  A level goal has no cumulative pace.
    ws_goal_t *level =
        s_goal ("{\"name\": \"followers\", \"kind\": \"level\", \"direction\": "
                "\"at_least\", \"target\": 5000, \"start\": \"2027-01-08\", "
                "\"deadline\": \"2027-02-05\"}");
    assert_null (
        ws_goal_insight_weekday_pace (level, history, S_HISTORY_DAYS, &err));
    assert_non_null (strstr (err.text, "total goals"));
    assert_int_equal (ws_goal_insight_weekday_profile (history, S_HISTORY_DAYS,
                                                       &profile, &err),
                      0);
    assert_null (ws_goal_insight_checkpoints (level, &profile, NULL, &err));
    ws_goal_destroy (&level);

    //  A 400-day goal: at most 100 checkpoints, close to the exact
    //  curve, and ws_goal accepts them. Past 1000 days: refused.
    ws_goal_t *year = s_goal (
        "{\"name\": \"year\", \"kind\": \"total\", \"direction\": "
        "\"at_least\", \"target\": 30000, \"start\": \"2027-01-08T06:00:00Z\", "
        "\"deadline\": \"2028-02-12T18:00:00Z\"}");
    checkpoints =
        ws_goal_insight_checkpoints (year, &profile, &deviation, &err);
    assert_non_null (checkpoints);
    print_message ("400 days: %zu checkpoints, max deviation %g\n",
                   json_array_size (checkpoints), deviation);
    assert_int_equal (json_array_size (checkpoints),
                      WS_GOAL_INSIGHT_MAX_CHECKPOINTS);
    assert_true (deviation > 0 && deviation < 0.01);
    const char *text =
        "{\"name\": \"year\", \"kind\": \"total\", \"direction\": "
        "\"at_least\", \"target\": 30000, \"start\": \"2027-01-08T06:00:00Z\", "
        "\"deadline\": \"2028-02-12T18:00:00Z\"}";
    weekly = s_goal_with (text, checkpoints);
    ws_goal_destroy (&weekly);
    json_decref (checkpoints);
    ws_goal_destroy (&year);
    ws_goal_t *long_goal =
        s_goal ("{\"name\": \"long\", \"kind\": \"total\", \"direction\": "
                "\"at_least\", \"target\": 30000, \"start\": \"2027-01-08\", "
                "\"deadline\": \"2030-01-08\"}");
    assert_null (ws_goal_insight_checkpoints (long_goal, &profile, NULL, &err));
    assert_non_null (strstr (err.text, "1000 days"));
    ws_goal_destroy (&long_goal);

    //  A profile that gives the goal's only day nothing, and a bad share.
    ws_goal_t *sunday_goal = s_goal (
        "{\"name\": \"sunday\", \"kind\": \"total\", \"direction\": "
        "\"at_least\", \"target\": 10, \"start\": \"2027-01-10T00:00:00Z\", "
        "\"deadline\": \"2027-01-11T00:00:00Z\"}");
    ws_goal_weekday_profile_t weekdays_only = {
        .share = {0.2, 0.2, 0.2, 0.2, 0.2, 0, 0}};
    assert_null (
        ws_goal_insight_checkpoints (sunday_goal, &weekdays_only, NULL, &err));
    assert_non_null (strstr (err.text, "share of 0"));
    weekdays_only.share[6] = NAN;
    assert_null (
        ws_goal_insight_checkpoints (sunday_goal, &weekdays_only, NULL, &err));
    assert_non_null (strstr (err.text, "Sun"));
    ws_goal_destroy (&sunday_goal);

    ws_goal_destroy (&linear);
    free (history);
}

//  ---------------------------------------------------------------------
//  Attainability

//  1,200 sign-ups in 90 days: 13.3 a day.
static const char *s_total_goal =
    "{\"name\": \"eu-trial-signups\", \"kind\": \"total\", \"direction\": "
    "\"at_least\", \"target\": 1200, \"start\": \"2027-01-04T00:00:00Z\", "
    "\"deadline\": \"2027-04-04T00:00:00Z\", \"unit\": \"sign-ups\"}";

static double s_history_mean;
static double s_history_spread;

static double
s_amounts (long day, int weekday, uint64_t *seed)
{
    (void) day;
    (void) weekday;
    return s_history_mean + s_history_spread * s_noise (seed);
}

//  The verdict on 90 days of daily history before the start, at creation.
static json_t *
s_attain (const ws_goal_t *goal, s_value_fn *fn, long days)
{
    int64_t start = ws_goal_start (goal);
    ws_goal_sample_t *history = s_daily (start - days * S_DAY, days, fn, 5);
    ws_err_t err;
    json_t *result = ws_goal_insight_attainability (
        goal, history, (size_t) days, NULL, 0, start, &err);
    free (history);
    if (!result)
        fail_msg ("attainability: %s", err.text);
    s_print ("attainability", result);
    return result;
}

static void
test_attainability_total (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (s_total_goal);
    //  20 a day shown, 13.3 needed.
    s_history_mean = 20, s_history_spread = 4;
    json_t *result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "attainable");
    assert_true (fabs (s_number (result, "required_rate") - 1200.0 / 90)
                 < 1e-9);
    assert_true (fabs (s_number (result, "demonstrated_rate") - 20) < 0.5);
    assert_true (s_number (result, "demonstrated_low")
                 < s_number (result, "demonstrated_rate"));
    assert_true (s_number (result, "demonstrated_high")
                 > s_number (result, "demonstrated_rate"));
    assert_int_equal (s_number (result, "n"), 90);
    json_t *window = json_object_get (result, "window");
    assert_string_equal (s_string (window, "from"), "2026-10-06T00:00:00Z");
    assert_string_equal (s_string (window, "to"), "2027-01-04T00:00:00Z");
    assert_string_equal (s_string (result, "measure"), "amount per day");
    assert_non_null (strstr (s_string (result, "text"), "attainable"));
    json_decref (result);
    //  12 a day: beyond the estimate, within a quarter of it.
    s_history_mean = 12, s_history_spread = 3;
    result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "stretch");
    assert_true (s_number (result, "demonstrated_high") < 1200.0 / 90);
    json_decref (result);
    //  Within the interval, not the factor: a few days of very noisy
    //  history with a mean near 11 (high spread, small n).
    s_history_mean = 11, s_history_spread = 10;
    result = s_attain (goal, s_amounts, 8);
    assert_string_equal (s_string (result, "verdict"), "stretch");
    assert_true (s_number (result, "demonstrated_high") >= 1200.0 / 90);
    json_decref (result);
    //  5 a day: unlikely.
    s_history_mean = 5, s_history_spread = 2;
    result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "unlikely");
    assert_non_null (strstr (s_string (result, "text"), "unlikely"));
    json_decref (result);
    //  Three days of history: no verdict, and it says how many.
    result = s_attain (goal, s_amounts, 3);
    assert_string_equal (s_string (result, "verdict"), "no_history");
    assert_int_equal (s_number (result, "n"), 3);
    assert_null (json_object_get (result, "demonstrated_rate"));
    assert_non_null (strstr (s_string (result, "text"), "3 samples"));
    assert_non_null (strstr (s_string (result, "text"), "at least 7"));
    json_decref (result);

    //  On demand, 45 days in at 5 a day after 20 a day before: 975 still
    //  to come in 45 days (21.7 a day) against the last 90 days' 12.4
    //  (days -44 to 44: the window ends at as_of, inclusive).
    int64_t start = ws_goal_start (goal);
    ws_goal_sample_t samples[135];
    for (int d = 0; d < 135; d++) {
        samples[d].t = start + (d - 90) * S_DAY;
        samples[d].value = d < 90 ? 20 : 5;
    }
    int64_t as_of = start + 45 * S_DAY;
    ws_err_t err;
    result = ws_goal_insight_attainability (goal, samples, 135, NULL, 0, as_of,
                                            &err);
    assert_non_null (result);
    s_print ("on demand", result);
    assert_string_equal (s_string (result, "verdict"), "unlikely");
    assert_true (fabs (s_number (result, "required_rate") - 975.0 / 45) < 1e-9);
    assert_true (fabs (s_number (result, "demonstrated_rate")
                       - (44 * 20.0 + 45 * 5) / 89)
                 < 1e-9);
    assert_int_equal (s_number (result, "n"), 89);
    assert_true (fabs (s_number (result, "days") - 45) < 1e-9);
    window = json_object_get (result, "window");
    assert_string_equal (s_string (window, "to"), "2027-02-18T00:00:00Z");
    assert_non_null (strstr (s_string (result, "text"), "the last 90 days"));
    json_decref (result);

    //  At or past the deadline: nothing to attain.
    assert_null (ws_goal_insight_attainability (goal, samples, 135, NULL, 0,
                                                ws_goal_deadline (goal), &err));
    assert_non_null (strstr (err.text, "deadline"));
    //  Bad samples.
    samples[7].value = INFINITY;
    assert_null (ws_goal_insight_attainability (goal, samples, 135, NULL, 0,
                                                start, &err));
    assert_non_null (strstr (err.text, "sample 7"));
    ws_goal_destroy (&goal);

    //  A budget (at most 900 in 90 days): spending 8 a day fits, 14 not.
    goal = s_goal ("{\"name\": \"budget\", \"kind\": \"total\", \"direction\": "
                   "\"at_most\", \"target\": 900, \"start\": "
                   "\"2027-01-04T00:00:00Z\", \"deadline\": "
                   "\"2027-04-04T00:00:00Z\"}");
    s_history_mean = 8, s_history_spread = 2;
    result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "attainable");
    json_decref (result);
    s_history_mean = 14, s_history_spread = 2;
    result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "unlikely");
    json_decref (result);
    ws_goal_destroy (&goal);
}

static double s_slope;

//  A level that reaches 1000 on the day before the start, rising s_slope
//  a day, with a little noise.
static double
s_rising (long day, int weekday, uint64_t *seed)
{
    (void) weekday;
    return 1000 + s_slope * (double) (day - 89) + 3 * s_noise (seed);
}

static double
s_rate (long day, int weekday, uint64_t *seed)
{
    (void) weekday;
    return 0.5 + s_slope * (double) (day - 89) + 0.01 * s_noise (seed);
}

static void
test_attainability_level_keep (void **state)
{
    (void) state;
    //  Followers 1000 → 1500 in 90 days: 5.56 a day.
    ws_goal_t *goal = s_goal (
        "{\"name\": \"followers\", \"kind\": \"level\", \"direction\": "
        "\"at_least\", \"target\": 1500, \"start\": \"2027-01-04T00:00:00Z\", "
        "\"deadline\": \"2027-04-04T00:00:00Z\"}");
    s_slope = 6;
    json_t *result = s_attain (goal, s_rising, 90);
    assert_string_equal (s_string (result, "verdict"), "attainable");
    assert_string_equal (s_string (result, "measure"), "slope per day");
    assert_true (fabs (s_number (result, "demonstrated_rate") - 6) < 0.2);
    //  The baseline is the last value before the start, near 1000.
    assert_true (fabs (s_number (result, "required_rate") - 500.0 / 90) < 0.1);
    json_decref (result);
    s_slope = 2;
    result = s_attain (goal, s_rising, 90);
    assert_string_equal (s_string (result, "verdict"), "unlikely");
    assert_non_null (strstr (s_string (result, "text"), "+2"));
    json_decref (result);
    //  No value at or before the start to measure from.
    ws_goal_sample_t later[10];
    for (int d = 0; d < 10; d++)
        later[d] =
            (ws_goal_sample_t){ws_goal_start (goal) + (d + 1) * S_DAY, 1000};
    ws_err_t err;
    result = ws_goal_insight_attainability (goal, later, 10, NULL, 0,
                                            ws_goal_start (goal), &err);
    assert_non_null (result);
    assert_string_equal (s_string (result, "verdict"), "no_history");
    json_decref (result);
    ws_goal_destroy (&goal);

    //  A bounce rate 0.5 → 0.3: a slope of −0.0022 a day needed.
    goal = s_goal (
        "{\"name\": \"bounce\", \"kind\": \"level\", \"direction\": "
        "\"at_most\", \"target\": 0.3, \"start\": \"2027-01-04T00:00:00Z\", "
        "\"deadline\": \"2027-04-04T00:00:00Z\"}");
    s_slope = -0.003;
    result = s_attain (goal, s_rate, 90);
    assert_string_equal (s_string (result, "verdict"), "attainable");
    json_decref (result);
    s_slope = 0.0005;
    result = s_attain (goal, s_rate, 90);
    assert_string_equal (s_string (result, "verdict"), "unlikely");
    json_decref (result);
    ws_goal_destroy (&goal);

    //  Cost per acquisition at most 4.00.
    goal = s_goal ("{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": "
                   "\"at_most\", \"target\": 4, \"start\": "
                   "\"2027-01-04T00:00:00Z\", \"deadline\": "
                   "\"2027-04-04T00:00:00Z\"}");
    s_history_mean = 3.5, s_history_spread = 0.3;
    result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "attainable");
    assert_string_equal (s_string (result, "measure"), "mean");
    assert_true (s_number (result, "required_rate") == 4);
    json_decref (result);
    s_history_mean = 4.3;
    result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "stretch");
    json_decref (result);
    s_history_mean = 6;
    result = s_attain (goal, s_amounts, 90);
    assert_string_equal (s_string (result, "verdict"), "unlikely");
    json_decref (result);
    ws_goal_destroy (&goal);

    //  The same as a ratio, cost / acquisitions: 350 / 100 a day.
    goal = s_goal ("{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": "
                   "\"at_most\", \"target\": 4, \"start\": "
                   "\"2027-01-04T00:00:00Z\", \"deadline\": "
                   "\"2027-04-04T00:00:00Z\", \"ratio\": {\"numerator\": "
                   "\"cost\", \"denominator\": \"acquisitions\"}}");
    int64_t start = ws_goal_start (goal);
    ws_goal_sample_t cost[90], acquisitions[90];
    uint64_t seed = 3;
    for (int d = 0; d < 90; d++) {
        cost[d] = (ws_goal_sample_t){start + (d - 90) * S_DAY,
                                     350 + 20 * s_noise (&seed)};
        acquisitions[d] = (ws_goal_sample_t){cost[d].t, 100};
    }
    result = ws_goal_insight_attainability (goal, cost, 90, acquisitions, 90,
                                            start, &err);
    assert_non_null (result);
    s_print ("ratio", result);
    assert_string_equal (s_string (result, "verdict"), "attainable");
    assert_true (fabs (s_number (result, "demonstrated_rate") - 3.5) < 0.05);
    json_decref (result);
    assert_null (
        ws_goal_insight_attainability (goal, cost, 90, NULL, 0, start, &err));
    assert_non_null (strstr (err.text, "denominator 'acquisitions'"));
    ws_goal_destroy (&goal);

    for (int v = 0; v <= WS_GOAL_NO_HISTORY; v++)
        assert_string_not_equal (
            ws_goal_insight_verdict_name ((ws_goal_verdict_t) v), "unknown");
    assert_string_equal (ws_goal_insight_verdict_name (WS_GOAL_STRETCH),
                         "stretch");
    assert_string_equal (ws_goal_insight_verdict_name ((ws_goal_verdict_t) 9),
                         "unknown");
}

//  ---------------------------------------------------------------------
//  Segments

//  90 days of history at `before` a day, then 45 days at `after`.
static ws_goal_sample_t *
s_region (int64_t start, double before, double after, bool history)
{
    ws_goal_sample_t *samples = calloc (135, sizeof *samples);
    assert_non_null (samples);
    size_t n = 0;
    for (int d = history ? -90 : 0; d < 45; d++)
        samples[n++] =
            (ws_goal_sample_t){start + d * S_DAY, d < 0 ? before : after};
    return samples;
}

static void
test_segments (void **state)
{
    (void) state;
    //  1,800 in 90 days: 20 a day, as history shows, split 10 / 6 / 4.
    ws_goal_t *goal = s_goal (
        "{\"name\": \"signups\", \"kind\": \"total\", \"direction\": "
        "\"at_least\", \"target\": 1800, \"start\": \"2027-01-04T00:00:00Z\", "
        "\"deadline\": \"2027-04-04T00:00:00Z\"}");
    int64_t start = ws_goal_start (goal);
    int64_t as_of = start + 45 * S_DAY;
    ws_goal_sample_t *eu = s_region (start, 10, 10, true);
    ws_goal_sample_t *us = s_region (start, 6, 4, true);
    ws_goal_sample_t *apac = s_region (start, 4, 1, true);
    ws_goal_segment_t segments[] = {
        {"eu", eu, 135}, {"us", us, 135}, {"apac", apac, 135}};
    ws_err_t err;
    json_t *result =
        ws_goal_insight_segments (goal, "region", segments, 3, as_of, &err);
    if (!result)
        fail_msg ("%s", err.text);
    s_print ("segments", result);
    assert_string_equal (s_string (result, "share_basis"), "history");
    assert_true (fabs (s_number (result, "expected_progress") - 0.5) < 1e-12);
    json_t *list = json_object_get (result, "segments");
    assert_int_equal (json_array_size (list), 3);
    json_t *first = json_array_get (list, 0);
    json_t *third = json_array_get (list, 2);
    assert_string_equal (s_string (first, "value"), "eu");
    assert_true (fabs (s_number (first, "current") - 450) < 1e-9);
    assert_true (fabs (s_number (first, "expected_share") - 0.5) < 1e-12);
    assert_true (fabs (s_number (first, "share") - 450.0 / 675) < 1e-12);
    assert_true (fabs (s_number (first, "target") - 900) < 1e-9);
    assert_true (fabs (s_number (first, "progress") - 0.5) < 1e-12);
    assert_true (fabs (s_number (first, "actual_rate") - 10) < 1e-9);
    assert_true (json_is_false (json_object_get (first, "lagging")));
    assert_true (fabs (s_number (third, "progress") - 45.0 / 360) < 1e-12);
    assert_true (fabs (s_number (third, "lag") - 0.75) < 1e-12);
    assert_true (json_is_true (json_object_get (third, "lagging")));
    //  us: 180 of 540, a third of the way at half time: it lags too, less.
    json_t *lagging = json_object_get (result, "lagging");
    assert_int_equal (json_array_size (lagging), 2);
    assert_string_equal (json_string_value (json_array_get (lagging, 0)),
                         "apac");
    assert_string_equal (json_string_value (json_array_get (lagging, 1)), "us");
    assert_non_null (strstr (s_string (result, "text"), "apac lags"));
    json_decref (result);

    //  Before the start nothing lags.
    result =
        ws_goal_insight_segments (goal, "region", segments, 3, start, &err);
    assert_non_null (result);
    assert_int_equal (json_array_size (json_object_get (result, "lagging")), 0);
    assert_non_null (strstr (s_string (result, "text"), "not started"));
    json_decref (result);

    //  Without history: an equal split; eu and us ahead, apac lags.
    free (eu);
    free (us);
    free (apac);
    eu = s_region (start, 0, 10, false);
    us = s_region (start, 0, 10, false);
    apac = s_region (start, 0, 2, false);
    ws_goal_segment_t fresh[] = {
        {"eu", eu, 45}, {"us", us, 45}, {"apac", apac, 45}};
    result = ws_goal_insight_segments (goal, "region", fresh, 3, as_of, &err);
    assert_non_null (result);
    s_print ("equal", json_object_get (result, "text"));
    assert_string_equal (s_string (result, "share_basis"), "equal");
    list = json_object_get (result, "segments");
    assert_true (
        fabs (s_number (json_array_get (list, 0), "expected_share") - 1.0 / 3)
        < 1e-12);
    lagging = json_object_get (result, "lagging");
    assert_int_equal (json_array_size (lagging), 1);
    assert_string_equal (json_string_value (json_array_get (lagging, 0)),
                         "apac");
    json_decref (result);

    //  Errors: none, a segment without a value, a bad sample.
    assert_null (
        ws_goal_insight_segments (goal, "region", fresh, 0, as_of, &err));
    assert_non_null (strstr (err.text, "no segments"));
    fresh[1].value = NULL;
    assert_null (
        ws_goal_insight_segments (goal, "region", fresh, 3, as_of, &err));
    assert_non_null (strstr (err.text, "segment 1"));
    fresh[1].value = "us";
    us[3].value = NAN;
    assert_null (
        ws_goal_insight_segments (goal, "region", fresh, 3, as_of, &err));
    print_message ("%s\n", err.text);
    assert_non_null (strstr (err.text, "region=us"));
    assert_null (ws_goal_insight_segments (goal, "", fresh, 3, as_of, &err));
    ws_goal_destroy (&goal);
    free (eu);
    free (us);
    free (apac);

    //  A keep goal: each channel must keep the cost at most 4.
    goal = s_goal ("{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": "
                   "\"at_most\", \"target\": 4, \"start\": "
                   "\"2027-01-04T00:00:00Z\", \"deadline\": "
                   "\"2027-04-04T00:00:00Z\"}");
    ws_goal_sample_t *search = s_region (start, 3.5, 3.5, true);
    ws_goal_sample_t *social = s_region (start, 5.5, 5.5, true);
    ws_goal_segment_t channels[] = {{"search", search, 135},
                                    {"social", social, 135}};
    result =
        ws_goal_insight_segments (goal, "channel", channels, 2, as_of, &err);
    assert_non_null (result);
    s_print ("keep", result);
    lagging = json_object_get (result, "lagging");
    assert_int_equal (json_array_size (lagging), 1);
    assert_string_equal (json_string_value (json_array_get (lagging, 0)),
                         "social");
    assert_true (fabs (s_number (json_array_get (
                                     json_object_get (result, "segments"), 1),
                                 "lag")
                       - 0.375)
                 < 1e-12);
    assert_null (json_object_get (
        json_array_get (json_object_get (result, "segments"), 0), "share"));
    json_decref (result);
    ws_goal_destroy (&goal);

    //  A ratio goal cannot be split without per-segment denominators.
    goal = s_goal ("{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": "
                   "\"at_most\", \"target\": 4, \"start\": "
                   "\"2027-01-04T00:00:00Z\", \"deadline\": "
                   "\"2027-04-04T00:00:00Z\", \"ratio\": {\"numerator\": "
                   "\"cost\", \"denominator\": \"acquisitions\"}}");
    assert_null (
        ws_goal_insight_segments (goal, "channel", channels, 2, as_of, &err));
    assert_non_null (strstr (err.text, "ratio"));
    ws_goal_destroy (&goal);
    free (search);
    free (social);
}

//  ---------------------------------------------------------------------
//  Activity effects

static long s_step_day;

//  100 until s_step_day, 130 from it (a 30% step), noise ±2.
static double
s_step (long day, int weekday, uint64_t *seed)
{
    (void) weekday;
    return (day < s_step_day ? 100 : 130) + 2 * s_noise (seed);
}

static void
test_activity_effect (void **state)
{
    (void) state;
    int64_t first = s_ms ("2027-01-04T00:00:00Z");
    s_step_day = 30;
    ws_goal_sample_t *samples = s_daily (first, 60, s_step, 17);
    int64_t at = first + 30 * S_DAY;
    ws_err_t err;
    json_t *result =
        ws_goal_insight_activity_effect (samples, 60, at, 0, 0, &err);
    assert_non_null (result);
    s_print ("step", result);
    assert_string_equal (s_string (result, "status"), "ok");
    assert_true (s_number (result, "window_days") == 14);
    assert_true (s_number (result, "near_days") == 3);
    json_t *before = json_object_get (result, "before");
    json_t *after = json_object_get (result, "after");
    assert_int_equal (s_number (before, "n"), 14);
    assert_int_equal (s_number (after, "n"), 14);
    assert_true (fabs (s_number (before, "level") - 100) < 2);
    assert_true (fabs (s_number (after, "level") - 130) < 2);
    assert_true (fabs (s_number (before, "slope")) < 0.5);
    assert_true (s_number (before, "slope_low") <= s_number (before, "slope"));
    //  The relative change within 5% of the 30% step.
    double relative = s_number (result, "relative_change");
    assert_true (fabs (relative - 0.30) <= 0.05 * 0.30);
    json_t *point = json_object_get (result, "change_point");
    assert_true (json_is_true (json_object_get (point, "significant")));
    assert_true (fabs (s_number (point, "days_from_activity")) <= 3);
    assert_true (json_is_true (json_object_get (point, "near")));
    assert_true (
        json_is_true (json_object_get (result, "change_near_activity")));
    assert_non_null (strstr (s_string (result, "text"), "+30%"));
    json_decref (result);

    //  The same step 10 days before the activity: a change point, not
    //  near it.
    at = first + 40 * S_DAY;
    result = ws_goal_insight_activity_effect (samples, 60, at, 14, 3, &err);
    assert_non_null (result);
    s_print ("earlier step", json_object_get (result, "text"));
    point = json_object_get (result, "change_point");
    assert_true (json_is_true (json_object_get (point, "significant")));
    assert_true (fabs (s_number (point, "days_from_activity") + 10) <= 3);
    assert_true (
        json_is_false (json_object_get (result, "change_near_activity")));
    assert_non_null (strstr (s_string (result, "text"), "not near it"));
    json_decref (result);
    free (samples);

    //  No step at all: no change point near the activity.
    s_step_day = 1000;
    samples = s_daily (first, 60, s_step, 23);
    at = first + 30 * S_DAY;
    result = ws_goal_insight_activity_effect (samples, 60, at, 14, 3, &err);
    assert_non_null (result);
    s_print ("flat", json_object_get (result, "text"));
    assert_true (
        json_is_false (json_object_get (result, "change_near_activity")));
    assert_true (fabs (s_number (result, "relative_change")) < 0.02);
    json_decref (result);

    //  An activity on the second day: not enough data before it.
    at = first + S_DAY;
    result = ws_goal_insight_activity_effect (samples, 60, at, 14, 3, &err);
    assert_non_null (result);
    assert_string_equal (s_string (result, "status"), "not_enough_data");
    assert_int_equal (s_number (json_object_get (result, "before"), "n"), 1);
    assert_null (json_object_get (json_object_get (result, "before"), "level"));
    assert_non_null (strstr (s_string (result, "text"), "not enough data"));
    assert_true (
        json_is_false (json_object_get (result, "change_near_activity")));
    json_decref (result);
    //  No samples at all, and a constant series.
    result = ws_goal_insight_activity_effect (NULL, 0, at, 14, 3, &err);
    assert_non_null (result);
    assert_string_equal (s_string (result, "status"), "not_enough_data");
    json_decref (result);
    for (int d = 0; d < 60; d++)
        samples[d].value = 7;
    at = first + 30 * S_DAY;
    result = ws_goal_insight_activity_effect (samples, 60, at, 14, 3, &err);
    assert_non_null (result);
    assert_true (json_is_null (json_object_get (result, "change_point")));
    assert_true (s_number (result, "change") == 0);
    json_decref (result);

    //  Bad input: a window that is not a number, samples out of order.
    assert_null (
        ws_goal_insight_activity_effect (samples, 60, at, NAN, 3, &err));
    assert_non_null (strstr (err.text, "finite"));
    assert_null (
        ws_goal_insight_activity_effect (samples, 60, at, 1e9, 3, &err));
    assert_non_null (strstr (err.text, "at most"));
    assert_null (
        ws_goal_insight_activity_effect (samples, 60, INT64_MAX, 14, 3, &err));
    assert_non_null (strstr (err.text, "outside the years"));
    samples[10].t = samples[30].t;
    assert_null (
        ws_goal_insight_activity_effect (samples, 60, at, 14, 3, &err));
    assert_non_null (strstr (err.text, "sample 11"));
    free (samples);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_weekday_profile),
        cmocka_unit_test (test_weekday_pace),
        cmocka_unit_test (test_attainability_total),
        cmocka_unit_test (test_attainability_level_keep),
        cmocka_unit_test (test_segments),
        cmocka_unit_test (test_activity_effect),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
