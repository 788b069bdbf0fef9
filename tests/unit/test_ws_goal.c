//  test_ws_goal - goal parsing and evaluation: every reference case in
//  $WATERSHED_REFDATA/goals/cases compared as check-cli compares them,
//  constructed series for each status and kind, checkpoints, ratio goals,
//  bad goal files field by field, and the command's exit codes.
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws_cli.h"  //  exit codes
#include "ws_csv.h"
#include "ws_goal.h"
#include "ws_test_common.h"
#include "ws_time.h"

#define S_DAY 86400000LL

//  ---------------------------------------------------------------------
//  check-cli's comparison, ported

static int
s_compare (const char *name, const json_t *expected, const json_t *got,
           const json_t *tolerance)
{
    int failures = 0;
    const char *key;
    const json_t *want;
    json_object_foreach ((json_t *) expected, key, want) {
        const json_t *mine = json_object_get (got, key);
        if (!mine) {
            print_error ("%s: %s: missing\n", name, key);
            failures++;
            continue;
        }
        if (json_is_string (want)) {
            if (!json_equal ((json_t *) want, (json_t *) mine)) {
                print_error ("%s: %s: expected %s\n", name, key,
                             json_string_value (want));
                failures++;
            }
            continue;
        }
        if (json_is_integer (want)) {
            if (!json_is_number (mine)
                || json_number_value (mine) != json_number_value (want)) {
                print_error ("%s: %s: expected exactly %lld\n", name, key,
                             (long long) json_integer_value (want));
                failures++;
            }
            continue;
        }
        const json_t *tol =
            json_object_get (json_object_get (tolerance, "fields"), key);
        if (!tol)
            tol = json_object_get (tolerance, "default");
        double value = json_number_value (mine),
               goal = json_number_value (want);
        double allowed =
            json_number_value (json_object_get (tol, "abs"))
            + json_number_value (json_object_get (tol, "rel")) * fabs (goal);
        if (!json_is_number (mine) || !(fabs (value - goal) <= allowed)) {
            print_error ("%s: %s: expected %.17g, got %.17g\n", name, key, goal,
                         value);
            failures++;
        }
    }
    const json_t *low = json_object_get (got, "projected_low");
    const json_t *mid = json_object_get (got, "projected");
    const json_t *high = json_object_get (got, "projected_high");
    if (mid
        && !(json_number_value (low) <= json_number_value (mid)
             && json_number_value (mid) <= json_number_value (high))) {
        print_error ("%s: projected_low <= projected <= projected_high fails\n",
                     name);
        failures++;
    }
    return failures;
}

//  Samples of a CSV with ISO t, as the command reads them.
static ws_goal_sample_t *
s_read_csv (const char *path, size_t *count)
{
    ws_csv_series_t series;
    ws_err_t err;
    if (ws_csv_read (&series, path, &err))
        fail_msg ("%s", err.text);
    assert_true (series.t_is_time);
    ws_goal_sample_t *samples = calloc (series.n + 1, sizeof *samples);
    assert_non_null (samples);
    for (size_t i = 0; i < series.n; i++) {
        samples[i].t = (int64_t) llround (series.t[i] * 86400000.0);
        samples[i].value = series.value[i];
    }
    *count = series.n;
    ws_csv_series_free (&series);
    return samples;
}

static void
test_reference_cases (void **state)
{
    (void) state;
    char *folder = ws_test_refdata_path ("goals/cases");
    if (!folder)
        fail_msg ("reference data folder (WATERSHED_REFDATA) is missing");
    DIR *dir = opendir (folder);
    if (!dir)
        fail_msg ("reference cases folder '%s' is missing", folder);
    struct dirent *entry;
    int cases = 0, failed = 0;
    while ((entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len <= 5 || strcmp (entry->d_name + len - 5, ".json") != 0
            || (len > 10
                && strcmp (entry->d_name + len - 10, ".goal.json") == 0))
            continue;
        char path[1024], name[256];
        snprintf (name, sizeof name, "%.*s", (int) (len - 5), entry->d_name);
        snprintf (path, sizeof path, "%s/%s.json", folder, name);
        json_error_t jerr;
        json_t *root = json_load_file (path, 0, &jerr);
        if (!root)
            fail_msg ("%s: %s", path, jerr.text);
        snprintf (path, sizeof path, "%s/%s.goal.json", folder, name);
        json_t *def = json_load_file (path, 0, &jerr);
        if (!def)
            fail_msg ("%s: %s", path, jerr.text);
        ws_err_t err;
        ws_goal_t *goal = ws_goal_new (def, &err);
        if (!goal)
            fail_msg ("%s: %s", path, err.text);
        snprintf (path, sizeof path, "%s/%s.csv", folder, name);
        size_t count;
        ws_goal_sample_t *samples = s_read_csv (path, &count);
        int64_t as_of;
        assert_int_equal (ws_iso8601_parse (json_string_value (json_object_get (
                                                root, "as_of")),
                                            &as_of, &err),
                          0);
        json_t *result =
            ws_goal_evaluate (goal, samples, count, NULL, 0, as_of, &err);
        if (!result)
            fail_msg ("%s: %s", name, err.text);
        failed += s_compare (name, json_object_get (root, "expected"), result,
                             json_object_get (root, "tolerance"))
                  > 0;
        assert_true (json_equal (json_object_get (result, "status"),
                                 json_object_get (result, "reported_status")));
        cases++;
        json_decref (result);
        free (samples);
        ws_goal_destroy (&goal);
        json_decref (def);
        json_decref (root);
    }
    closedir (dir);
    free (folder);
    assert_int_equal (failed, 0);
    assert_true (cases >= 5);
}

//  ---------------------------------------------------------------------
//  Constructed series

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

//  2027-01-04T00:00:00Z, the start of every constructed goal.
static int64_t
s_start (void)
{
    int64_t ms;
    assert_int_equal (ws_iso8601_parse ("2027-01-04T00:00:00Z", &ms, NULL), 0);
    return ms;
}

//  Deterministic noise in [-1, 1]: a linear congruential generator.
static double
s_noise (uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double) (*seed >> 11) / (double) (1ULL << 53) * 2 - 1;
}

typedef double (s_value_fn) (double day, uint64_t *seed);

//  Daily samples from day 0 to day days-1 (inclusive) and the evaluation
//  at start + as_of_days. Caller owns the result.
static json_t *
s_eval_series (const ws_goal_t *goal, size_t days, s_value_fn *fn,
               uint64_t seed, double as_of_days)
{
    ws_goal_sample_t *samples = calloc (days + 1, sizeof *samples);
    assert_non_null (samples);
    for (size_t i = 0; i < days; i++) {
        samples[i].t = s_start () + (int64_t) i * S_DAY;
        samples[i].value = fn ((double) i, &seed);
    }
    ws_err_t err;
    json_t *result =
        ws_goal_evaluate (goal, samples, days, NULL, 0,
                          s_start () + (int64_t) (as_of_days * S_DAY), &err);
    free (samples);
    if (!result)
        fail_msg ("%s", err.text);
    return result;
}

static const char *
s_status (const json_t *result)
{
    return json_string_value (json_object_get (result, "status"));
}

static double
s_field (const json_t *result, const char *key)
{
    const json_t *value = json_object_get (result, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

static void
s_check_interval (const json_t *result)
{
    if (!json_object_get (result, "projected"))
        return;
    assert_true (s_field (result, "projected_low")
                 <= s_field (result, "projected"));
    assert_true (s_field (result, "projected")
                 <= s_field (result, "projected_high"));
}

//  Evaluate and check the status, the interval and that it prints.
static json_t *
s_expect (const ws_goal_t *goal, size_t days, s_value_fn *fn, uint64_t seed,
          double as_of_days, const char *status)
{
    json_t *result = s_eval_series (goal, days, fn, seed, as_of_days);
    if (strcmp (s_status (result), status) != 0) {
        char *text = json_dumps (result, JSON_INDENT (1));
        fail_msg ("expected %s, got %s", status, text);
    }
    s_check_interval (result);
    char *text = json_dumps (result, 0);
    assert_non_null (text);
    free (text);
    return result;
}

#define S_TOTAL_GOAL                                                           \
    "{\"name\": \"signups\", \"kind\": \"total\", \"direction\": "             \
    "\"at_least\", \"target\": 1200, \"start\": \"2027-01-04T00:00:00Z\", "    \
    "\"deadline\": \"2027-04-04T00:00:00Z\", \"unit\": \"sign-ups\"}"

static double
s_twenty (double day, uint64_t *seed)
{
    (void) day;
    return round (20 + 3 * s_noise (seed));
}

static double
s_eight (double day, uint64_t *seed)
{
    (void) day;
    return round (8 + 2 * s_noise (seed));
}

//  Mean 12.6 a day, alternating 0 and 25.2: projection 5% short, but
//  the spread leaves the target inside the interval.
static double
s_lumpy (double day, uint64_t *seed)
{
    (void) seed;
    return ((int) day % 2) ? 25.2 : 0;
}

static void
test_total (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    //  20/day against 13.3 needed: on track, projected near 1800.
    json_t *result = s_expect (goal, 45, s_twenty, 1, 45, "on_track");
    assert_true (fabs (s_field (result, "projected") - 1800) < 90);
    assert_true (fabs (s_field (result, "actual_rate") - 20) < 1);
    assert_true (s_field (result, "required_rate") > 0);
    assert_int_equal (json_integer_value (json_object_get (result, "n")), 45);
    assert_true (s_field (result, "baseline") == 0);
    json_decref (result);
    //  8/day: off track.
    result = s_expect (goal, 45, s_eight, 2, 45, "off_track");
    json_decref (result);
    //  Within the interval: at risk.
    result = s_expect (goal, 46, s_lumpy, 0, 46, "at_risk");
    assert_true (s_field (result, "projected") < 1200);
    assert_true (s_field (result, "projected_high") > 1200);
    json_decref (result);
    //  Achieved on day 60 of 90: no required_rate once achieved.
    result = s_expect (goal, 62, s_twenty, 3, 62, "achieved");
    assert_null (json_object_get (result, "required_rate"));
    assert_true (s_field (result, "progress") > 1);
    json_decref (result);
    //  Missed: the deadline passed at 8/day. Samples after it are outside
    //  the window.
    result = s_expect (goal, 100, s_eight, 4, 95, "missed");
    assert_int_equal (json_integer_value (json_object_get (result, "n")), 91);
    assert_null (json_object_get (result, "required_rate"));
    assert_null (json_object_get (result, "projected"));
    json_decref (result);
    //  Too few points, though half the time is gone.
    result = s_expect (goal, 2, s_twenty, 5, 45, "too_early");
    json_decref (result);
    //  Too little time gone, though with points.
    result = s_expect (goal, 5, s_twenty, 6, 5, "too_early");
    json_decref (result);
    ws_goal_destroy (&goal);
}

static void
test_budget (void **state)
{
    (void) state;
    //  An at_most total is a budget: spending 8/day of 1200 over 90 days
    //  is on track, but only achieved at the deadline.
    ws_goal_t *goal =
        s_goal ("{\"name\": \"spend\", \"kind\": \"total\", \"direction\": "
                "\"at_most\", \"target\": 1200, \"start\": "
                "\"2027-01-04T00:00:00Z\", \"deadline\": "
                "\"2027-04-04T00:00:00Z\"}");
    json_t *result = s_expect (goal, 45, s_eight, 1, 45, "on_track");
    assert_true (s_field (result, "required_rate") > 0);
    json_decref (result);
    result = s_expect (goal, 90, s_eight, 1, 91, "achieved");
    json_decref (result);
    //  Going the wrong way: 20/day overspends.
    result = s_expect (goal, 45, s_twenty, 2, 45, "off_track");
    json_decref (result);
    result = s_expect (goal, 90, s_twenty, 2, 90, "missed");
    json_decref (result);
    ws_goal_destroy (&goal);
}

#define S_LEVEL_GOAL                                                           \
    "{\"name\": \"followers\", \"kind\": \"level\", \"direction\": "           \
    "\"at_least\", \"target\": 50000, \"start\": \"2027-01-04T00:00:00Z\", "   \
    "\"deadline\": \"2027-03-05T00:00:00Z\"}"

//  On the pace line from 40000 to 50000 over 60 days, with noise of 1%
//  of the distance.
static double
s_on_pace (double day, uint64_t *seed)
{
    return 40000 + 10000 * day / 60 + 100 * s_noise (seed);
}

static double
s_slow (double day, uint64_t *seed)
{
    return 40000 + 50 * day + 100 * s_noise (seed);
}

static double
s_fast (double day, uint64_t *seed)
{
    return 40000 + 300 * day + 50 * s_noise (seed);
}

//  A bounce rate from 60%: rising 0.1 a day, or falling 0.5 a day.
static double
s_rising (double day, uint64_t *seed)
{
    return 60 + 0.1 * day + 0.5 * s_noise (seed);
}

static double
s_falling (double day, uint64_t *seed)
{
    return 60 - 0.5 * day + 0.5 * s_noise (seed);
}

static void
test_level (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_LEVEL_GOAL);
    json_t *result = s_expect (goal, 25, s_fast, 1, 24.5, "on_track");
    assert_true (fabs (s_field (result, "baseline") - 40000) < 100);
    assert_true (fabs (s_field (result, "actual_rate") - 300) < 30);
    assert_true (fabs (s_field (result, "projected") - 58000) < 5800);
    json_decref (result);
    result = s_expect (goal, 30, s_slow, 2, 30, "off_track");
    json_decref (result);
    //  Pure noise around the pace line reads on_track, whatever the seed.
    for (uint64_t seed = 1; seed <= 20; seed++) {
        result = s_expect (goal, 30, s_on_pace, seed, 29.5, "on_track");
        json_decref (result);
    }
    //  Achieved early: the level passed 50000 on day 34.
    result = s_expect (goal, 40, s_fast, 3, 40, "achieved");
    json_decref (result);
    result = s_expect (goal, 70, s_slow, 3, 70, "missed");
    json_decref (result);
    ws_goal_destroy (&goal);

    //  at_most level going the wrong way: a bounce rate to bring from 60
    //  down to 40 that rises instead.
    goal = s_goal ("{\"name\": \"bounce\", \"kind\": \"level\", "
                   "\"direction\": \"at_most\", \"target\": 40, \"start\": "
                   "\"2027-01-04T00:00:00Z\", \"deadline\": "
                   "\"2027-03-05T00:00:00Z\"}");
    result = s_expect (goal, 30, s_rising, 4, 30, "off_track");
    assert_true (s_field (result, "required_rate") < 0);
    assert_true (s_field (result, "progress") < 0);
    json_decref (result);
    result = s_expect (goal, 30, s_falling, 5, 30, "on_track");
    json_decref (result);
    ws_goal_destroy (&goal);
}

//  Cost per acquisition around 3.5 or 4.5, to stay at most 4.
static double
s_cheap (double day, uint64_t *seed)
{
    (void) day;
    return 3.5 + 0.3 * s_noise (seed);
}

static double
s_dear (double day, uint64_t *seed)
{
    (void) day;
    return 4.5 + 0.3 * s_noise (seed);
}

static void
test_keep (void **state)
{
    (void) state;
    ws_goal_t *goal =
        s_goal ("{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": "
                "\"at_most\", \"target\": 4, \"start\": "
                "\"2027-01-04T00:00:00Z\", \"deadline\": "
                "\"2027-03-05T00:00:00Z\", \"unit\": \"EUR\"}");
    //  Below the target, yet only achieved at the deadline.
    json_t *result = s_expect (goal, 30, s_cheap, 1, 30, "on_track");
    assert_null (json_object_get (result, "progress"));
    assert_null (json_object_get (result, "required_rate"));
    assert_true (json_is_null (json_object_get (result, "baseline")));
    assert_true (fabs (s_field (result, "projected") - 3.5) < 0.35);
    json_decref (result);
    result = s_expect (goal, 60, s_cheap, 1, 60, "achieved");
    json_decref (result);
    result = s_expect (goal, 30, s_dear, 2, 30, "off_track");
    assert_true (fabs (s_field (result, "current") - 4.5) < 0.1);
    json_decref (result);
    result = s_expect (goal, 60, s_dear, 2, 60, "missed");
    json_decref (result);
    ws_goal_destroy (&goal);
}

static void
test_checkpoints (void **state)
{
    (void) state;
    //  A slow start: 10% by 1 February, 50% by 1 March, 100% by 31 March.
    ws_goal_t *goal = s_goal (
        "{\"name\": \"q1\", \"kind\": \"total\", \"direction\": "
        "\"at_least\", \"target\": 1000, \"start\": "
        "\"2027-01-01T00:00:00Z\", \"deadline\": \"2027-03-31T00:00:00Z\", "
        "\"checkpoints\": [{\"at\": \"2027-02-01T00:00:00Z\", "
        "\"progress\": 0.1}, {\"at\": \"2027-03-01T00:00:00Z\", "
        "\"progress\": 0.5}]}");
    int64_t start, jan17, feb1, feb15, mar1, end;
    ws_iso8601_parse ("2027-01-01T00:00:00Z", &start, NULL);
    ws_iso8601_parse ("2027-01-16T12:00:00Z", &jan17, NULL);
    ws_iso8601_parse ("2027-02-01T00:00:00Z", &feb1, NULL);
    ws_iso8601_parse ("2027-02-15T00:00:00Z", &feb15, NULL);
    ws_iso8601_parse ("2027-03-01T00:00:00Z", &mar1, NULL);
    ws_iso8601_parse ("2027-03-31T00:00:00Z", &end, NULL);
    assert_true (ws_goal_expected_progress (goal, start - S_DAY) == 0);
    assert_true (fabs (ws_goal_expected_progress (goal, jan17) - 0.05) < 1e-12);
    assert_true (fabs (ws_goal_expected_progress (goal, feb1) - 0.1) < 1e-12);
    assert_true (fabs (ws_goal_expected_progress (goal, feb15) - 0.3) < 1e-12);
    assert_true (fabs (ws_goal_expected_progress (goal, mar1) - 0.5) < 1e-12);
    assert_true (ws_goal_expected_progress (goal, end + S_DAY) == 1);
    //  The evaluation prints the same curve, and the schedule against it:
    //  100 on 15 February is 10%, where the curve was on 1 February.
    ws_goal_sample_t samples[] = {
        {start, 40}, {start + 10 * S_DAY, 30}, {start + 20 * S_DAY, 30}};
    ws_err_t err;
    json_t *result = ws_goal_evaluate (goal, samples, 3, NULL, 0, feb15, &err);
    assert_non_null (result);
    assert_true (fabs (s_field (result, "expected_progress") - 0.3) < 1e-12);
    assert_true (fabs (s_field (result, "days_ahead") + 14) < 1e-9);
    json_decref (result);
    ws_goal_destroy (&goal);
}

static void
test_ratio (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (
        "{\"name\": \"cpa\", \"kind\": \"keep\", \"direction\": "
        "\"at_most\", \"target\": 4, \"start\": \"2027-01-04T00:00:00Z\", "
        "\"deadline\": \"2027-03-05T00:00:00Z\", \"ratio\": {\"numerator\": "
        "\"cost\", \"denominator\": \"acquisitions\"}}");
    assert_string_equal (ws_goal_numerator (goal), "cost");
    assert_string_equal (ws_goal_denominator (goal), "acquisitions");
    //  Cost 35 for 10 acquisitions a day, one day 70 for 10: the ratio
    //  of the sums, not the mean of the ratios.
    ws_goal_sample_t cost[30], acquisitions[30];
    for (int i = 0; i < 30; i++) {
        cost[i] = (ws_goal_sample_t){s_start () + i * S_DAY, 35};
        acquisitions[i] = (ws_goal_sample_t){s_start () + i * S_DAY, 10};
    }
    cost[5].value = 70;
    acquisitions[6].value = 40;
    ws_err_t err;
    int64_t as_of = s_start () + 30 * S_DAY;
    json_t *result =
        ws_goal_evaluate (goal, cost, 30, acquisitions, 30, as_of, &err);
    assert_non_null (result);
    assert_true (fabs (s_field (result, "current") - 1085.0 / 330) < 1e-12);
    assert_string_equal (s_status (result), "on_track");
    s_check_interval (result);
    json_decref (result);
    //  Without the denominator: an error naming it.
    assert_null (ws_goal_evaluate (goal, cost, 30, NULL, 0, as_of, &err));
    assert_non_null (strstr (err.text, "acquisitions"));
    ws_goal_destroy (&goal);
}

//  ---------------------------------------------------------------------
//  Bad goals: each names the field at fault

static void
test_bad_goals (void **state)
{
    (void) state;
    static const struct {
        const char *json;
        const char *where;
    } cases[] = {
        {"[]", ""},
        {"{\"kind\": \"total\"}", "/name"},
        {"{\"name\": \"a b\"}", "/name"},
        {"{\"name\": 3}", "/name"},
        {"{\"name\": \"g\"}", "/kind"},
        {"{\"name\": \"g\", \"kind\": \"sum\"}", "/kind"},
        {"{\"name\": \"g\", \"kind\": \"total\"}", "/direction"},
        {"{\"name\": \"g\", \"kind\": \"total\", \"direction\": \"up\"}",
         "/direction"},
        {"{\"name\": \"g\", \"kind\": \"total\", \"direction\": "
         "\"at_least\"}",
         "/target"},
        {"{\"name\": \"g\", \"kind\": \"total\", \"direction\": "
         "\"at_least\", \"target\": \"1200\"}",
         "/target"},
        {"{\"name\": \"g\", \"kind\": \"total\", \"direction\": "
         "\"at_least\", \"target\": 1200}",
         "/start"},
        {"{\"name\": \"g\", \"kind\": \"total\", \"direction\": "
         "\"at_least\", \"target\": 1200, \"start\": \"soon\"}",
         "/start"},
        {"{\"name\": \"g\", \"kind\": \"total\", \"direction\": "
         "\"at_least\", \"target\": 1200, \"start\": \"2027-01-04\"}",
         "/deadline"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *def = json_loads (cases[i].json, 0, NULL);
        assert_non_null (def);
        ws_err_t err;
        ws_goal_t *goal = ws_goal_new (def, &err);
        if (goal || strcmp (err.where, cases[i].where) != 0)
            fail_msg ("%s: expected an error at '%s', got '%s' (%s)",
                      cases[i].json, cases[i].where, goal ? "" : err.where,
                      goal ? "accepted" : err.text);
        json_decref (def);
    }
    //  Fields of a complete goal, one at a time.
    static const struct {
        const char *key;
        const char *value;
        const char *where;
    } fields[] = {
        {"deadline", "\"2027-01-01T00:00:00Z\"", "/deadline"},
        {"deadline", "\"2027-01-04T00:00:00Z\"", "/deadline"},
        {"bogus", "1", "/bogus"},
        {"unit", "\"\"", "/unit"},
        {"description", "7", "/description"},
        {"baseline", "\"0\"", "/baseline"},
        {"baseline", "1200", "/target"},
        {"aggregation", "\"median\"", "/aggregation"},
        {"ratio", "{\"numerator\": \"cost\", \"denominator\": \"n\"}",
         "/ratio"},
        {"checkpoints", "{}", "/checkpoints"},
        {"checkpoints", "[3]", "/checkpoints/0"},
        {"checkpoints", "[{\"at\": \"2027-02-01\"}]",
         "/checkpoints/0/progress"},
        {"checkpoints", "[{\"at\": \"2026-02-01\", \"progress\": 0.5}]",
         "/checkpoints/0/at"},
        {"checkpoints",
         "[{\"at\": \"2027-02-01\", \"progress\": 0.5, \"x\": 1}]",
         "/checkpoints/0/x"},
        {"checkpoints", "[{\"at\": \"2027-02-01\", \"progress\": 1.5}]",
         "/checkpoints/0/progress"},
        {"checkpoints",
         "[{\"at\": \"2027-02-01\", \"progress\": 0.5}, {\"at\": "
         "\"2027-01-20\", \"progress\": 0.6}]",
         "/checkpoints/1/at"},
        {"checkpoints",
         "[{\"at\": \"2027-02-01\", \"progress\": 0.5}, {\"at\": "
         "\"2027-03-01\", \"progress\": 0.4}]",
         "/checkpoints/1/progress"},
        {"metric", "\"9lives\"", "/metric"},
        {"labels", "{\"region\": 1}", "/labels/region"},
        {"labels", "[]", "/labels"},
        {"campaign", "false", "/campaign"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *def = json_loads (S_TOTAL_GOAL, 0, NULL);
        json_object_set_new (
            def, fields[i].key,
            json_loads (fields[i].value, JSON_DECODE_ANY, NULL));
        ws_err_t err;
        ws_goal_t *goal = ws_goal_new (def, &err);
        if (goal || strcmp (err.where, fields[i].where) != 0)
            fail_msg ("%s = %s: expected an error at '%s', got '%s' (%s)",
                      fields[i].key, fields[i].value, fields[i].where,
                      goal ? "" : err.where, goal ? "accepted" : err.text);
        assert_non_null (strstr (err.text, fields[i].where));
        json_decref (def);
    }
    //  keep goals have no baseline; ratio needs keep or level and no
    //  aggregation.
    const char *keep = "{\"name\": \"k\", \"kind\": \"keep\", \"direction\": "
                       "\"at_most\", \"target\": 4, \"start\": \"2027-01-04\", "
                       "\"deadline\": \"2027-03-05\", \"baseline\": 3}";
    json_t *def = json_loads (keep, 0, NULL);
    ws_err_t err;
    assert_null (ws_goal_new (def, &err));
    assert_string_equal (err.where, "/baseline");
    json_object_del (def, "baseline");
    json_object_set_new (def, "aggregation", json_string ("max"));
    json_object_set_new (
        def, "ratio",
        json_pack ("{s:s, s:s}", "numerator", "cost", "denominator", "n"));
    assert_null (ws_goal_new (def, &err));
    assert_string_equal (err.where, "/aggregation");
    json_object_set_new (def, "ratio",
                         json_pack ("{s:s}", "numerator", "cost"));
    assert_null (ws_goal_new (def, &err));
    assert_string_equal (err.where, "/ratio/denominator");
    json_decref (def);
}

static void
test_round_trip (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (
        "{\"name\": \"q1\", \"description\": \"Q1 sales\", \"kind\": "
        "\"level\", \"direction\": \"at_most\", \"target\": 40, "
        "\"start\": \"2027-01-01\", \"deadline\": \"2027-03-31\", "
        "\"baseline\": 60, \"aggregation\": \"min\", \"unit\": \"%\", "
        "\"checkpoints\": [{\"at\": \"2027-02-01\", \"progress\": 0.25}], "
        "\"metric\": \"bounce_rate\", \"labels\": {\"site\": \"eu\"}, "
        "\"campaign\": \"spring\"}");
    assert_string_equal (ws_goal_name (goal), "q1");
    assert_int_equal (ws_goal_kind (goal), WS_GOAL_LEVEL);
    assert_int_equal (ws_goal_direction (goal), WS_GOAL_AT_MOST);
    assert_true (ws_goal_target (goal) == 40);
    assert_true (ws_goal_deadline (goal) > ws_goal_start (goal));
    assert_string_equal (ws_goal_metric (goal), "bounce_rate");
    assert_string_equal (ws_goal_campaign (goal), "spring");
    assert_null (ws_goal_numerator (goal));
    json_t *json = ws_goal_to_json (goal);
    assert_non_null (json);
    ws_err_t err;
    ws_goal_t *copy = ws_goal_new (json, &err);
    assert_non_null (copy);
    json_t *again = ws_goal_to_json (copy);
    assert_true (json_equal (json, again));
    json_decref (json);
    json_decref (again);
    ws_goal_destroy (&copy);
    ws_goal_destroy (&goal);
    ws_goal_destroy (&goal);

    ws_goal_status_t status;
    for (int i = WS_GOAL_ACHIEVED; i <= WS_GOAL_OFF_TRACK; i++) {
        assert_int_equal (
            ws_goal_status_parse (ws_goal_status_name (i), &status, &err), 0);
        assert_int_equal (status, i);
    }
    assert_int_equal (ws_goal_status_parse ("late", &status, &err), -1);
    assert_string_equal (ws_goal_kind_name (WS_GOAL_KEEP), "keep");
    assert_string_equal (ws_goal_direction_name (WS_GOAL_AT_LEAST), "at_least");
    assert_string_equal (ws_goal_agg_name (WS_GOAL_AGG_COUNT), "count");
}

static void
test_bad_samples (void **state)
{
    (void) state;
    ws_goal_t *goal = s_goal (S_TOTAL_GOAL);
    int64_t t = s_start ();
    ws_goal_sample_t unordered[] = {{t + S_DAY, 1}, {t, 2}, {t + 2 * S_DAY, 3}};
    ws_goal_sample_t infinite[] = {{t, 1}, {t + S_DAY, INFINITY}};
    ws_err_t err;
    assert_null (ws_goal_evaluate (goal, unordered, 3, NULL, 0, t, &err));
    assert_non_null (strstr (err.text, "sample 1"));
    assert_null (ws_goal_evaluate (goal, infinite, 2, NULL, 0, t, &err));
    assert_non_null (strstr (err.text, "sample 1"));
    //  No samples at all: too early, with a note, never a crash.
    json_t *result = ws_goal_evaluate (goal, NULL, 0, NULL, 0, t, &err);
    assert_non_null (result);
    assert_string_equal (s_status (result), "too_early");
    assert_true (s_field (result, "current") == 0);
    json_decref (result);
    ws_goal_destroy (&goal);
}

//  ---------------------------------------------------------------------
//  The command: exit codes

static int
s_run (const char *first, ...)
{
    const char *build = getenv ("WS_BUILD_DIR");
    if (!build)
        fail_msg ("WS_BUILD_DIR is not set: run this test through ctest");
    char exe[1024];
    snprintf (exe, sizeof exe, "%s/cli/watershed", build);
    if (access (exe, X_OK))
        fail_msg ("client '%s' is missing: build the watershed target", exe);
    char *argv[32];
    int argc = 0;
    argv[argc++] = exe;
    va_list args;
    va_start (args, first);
    for (const char *arg = first; arg && argc < 31;
         arg = va_arg (args, const char *))
        argv[argc++] = (char *) arg;
    va_end (args);
    argv[argc] = NULL;
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int null = open ("/dev/null", O_WRONLY);
        dup2 (null, 1);
        dup2 (null, 2);
        execv (exe, argv);
        _exit (127);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    return WEXITSTATUS (status);
}

static void
s_write (char *path, const char *text)
{
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
}

static void
test_command (void **state)
{
    (void) state;
    char goal[] = "/tmp/test_ws_goal_goal_XXXXXX";
    char bad_goal[] = "/tmp/test_ws_goal_bad_XXXXXX";
    char not_json[] = "/tmp/test_ws_goal_nj_XXXXXX";
    char csv[] = "/tmp/test_ws_goal_csv_XXXXXX";
    char bad_csv[] = "/tmp/test_ws_goal_badcsv_XXXXXX";
    char number_csv[] = "/tmp/test_ws_goal_num_XXXXXX";
    s_write (goal, S_TOTAL_GOAL);
    s_write (bad_goal, "{\"name\": \"g\", \"kind\": \"total\", "
                       "\"direction\": \"at_least\", \"target\": 5, "
                       "\"start\": \"2027-02-01\", \"deadline\": "
                       "\"2027-01-01\"}");
    s_write (not_json, "{\"name\": ");
    s_write (csv, "t,value\n2027-01-04,20\n2027-01-05,21\n2027-01-06,19\n");
    s_write (bad_csv, "t,value\n2027-01-04,20\n2027-01-05,many\n");
    s_write (number_csv, "t,value\n1,20\n2,21\n");
    const char *as_of = "2027-02-01T00:00:00Z";
    assert_int_equal (s_run ("goal", "eval", "--goal", goal, "--csv", csv,
                             "--as-of", as_of, "--json", NULL),
                      WS_EXIT_OK);
    assert_int_equal (s_run ("goal", "eval", "--goal", goal, "--csv", csv,
                             "--as-of", as_of, NULL),
                      WS_EXIT_OK);
    assert_int_equal (s_run ("goal", "--help", NULL), WS_EXIT_OK);
    assert_int_equal (s_run ("goal", "eval", "--help", NULL), WS_EXIT_OK);
    assert_int_equal (s_run ("goal", NULL), WS_EXIT_USAGE);
    assert_int_equal (s_run ("goal", "list", NULL), WS_EXIT_USAGE);
    assert_int_equal (s_run ("goal", "eval", "--csv", csv, NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (s_run ("goal", "eval", "--goal", goal, NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (s_run ("goal", "eval", "--goal", goal, "--csv", csv,
                             "--as-of", "yesterday", NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (
        s_run ("goal", "eval", "--goal", goal, "--csv", csv, "--bogus", NULL),
        WS_EXIT_USAGE);
    assert_int_equal (s_run ("goal", "eval", "--goal", goal, "--csv", csv,
                             "--csv-denominator", csv, NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (
        s_run ("goal", "eval", "--goal", bad_goal, "--csv", csv, NULL),
        WS_EXIT_FAIL);
    assert_int_equal (
        s_run ("goal", "eval", "--goal", not_json, "--csv", csv, NULL),
        WS_EXIT_FAIL);
    assert_int_equal (s_run ("goal", "eval", "--goal", "/nonexistent.json",
                             "--csv", csv, NULL),
                      WS_EXIT_FAIL);
    assert_int_equal (
        s_run ("goal", "eval", "--goal", goal, "--csv", bad_csv, NULL),
        WS_EXIT_FAIL);
    assert_int_equal (
        s_run ("goal", "eval", "--goal", goal, "--csv", number_csv, NULL),
        WS_EXIT_FAIL);
    assert_int_equal (s_run ("goal", "eval", "--goal", goal, "--csv",
                             "/nonexistent.csv", NULL),
                      WS_EXIT_FAIL);
    unlink (goal);
    unlink (bad_goal);
    unlink (not_json);
    unlink (csv);
    unlink (bad_csv);
    unlink (number_csv);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_reference_cases),
        cmocka_unit_test (test_total),
        cmocka_unit_test (test_budget),
        cmocka_unit_test (test_level),
        cmocka_unit_test (test_keep),
        cmocka_unit_test (test_checkpoints),
        cmocka_unit_test (test_ratio),
        cmocka_unit_test (test_bad_goals),
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_bad_samples),
        cmocka_unit_test (test_command),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
