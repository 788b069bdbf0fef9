//  test_ws_goal_view - every drawing helper of the CLI's goal views held
//  to exact strings: bars with partial blocks and the expected mark,
//  sparklines, grouped numbers, days ahead and left, colours only when
//  wanted, the columns of a 'watershed progress' line for each kind of
//  evaluation, the status counts, the attainability warning, and the
//  reply's series read into samples (bad ones named).
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

#include "ws_goal_view.h"

static json_t *
s_json (const char *text)
{
    json_error_t jerr;
    json_t *value = json_loads (text, 0, &jerr);
    if (!value)
        fail_msg ("bad test JSON: %s: %s", text, jerr.text);
    return value;
}

static void
test_colour (void **state)
{
    (void) state;
    assert_true (ws_goal_view_colour (true, NULL));
    assert_true (ws_goal_view_colour (true, ""));
    assert_false (ws_goal_view_colour (true, "1"));
    assert_false (ws_goal_view_colour (false, NULL));
    assert_string_equal (ws_goal_view_status_colour ("on_track"), "\033[32m");
    assert_string_equal (ws_goal_view_status_colour ("off_track"), "\033[31m");
    assert_string_equal (ws_goal_view_status_colour ("nonsense"), "");
    assert_string_equal (ws_goal_view_status_colour (NULL), "");

    char out[64];
    ws_goal_view_paint ("at_risk", "at_risk", true, out, sizeof out);
    assert_string_equal (out, "\033[33mat_risk\033[0m");
    ws_goal_view_paint ("at_risk", "at_risk", false, out, sizeof out);
    assert_string_equal (out, "at_risk");
    ws_goal_view_paint ("x", "unknown", true, out, sizeof out);
    assert_string_equal (out, "x");
    //  A short buffer cuts the text, never the reset.
    char small[14];
    ws_goal_view_paint ("off_track and more", "off_track", true, small,
                        sizeof small);
    assert_string_equal (small, "\033[31moff_\033[0m");
}

static void
test_number (void **state)
{
    (void) state;
    static const struct {
        double value;
        const char *text;
    } cases[] = {
        {1234567, "1,234,567"}, {-1234.4, "-1,234"}, {100, "100"},
        {999.6, "1,000"},       {1200, "1,200"},     {41.3, "41.3"},
        {2.5, "2.5"},           {0.051, "0.051"},    {0, "0"},
        {-0.25, "-0.25"},       {2e15, "2e+15"},     {NAN, "n/a"},
        {INFINITY, "n/a"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ws_goal_view_number (cases[i].value, out, sizeof out);
        assert_string_equal (out, cases[i].text);
    }
    //  Cut short, still terminated.
    char small[4];
    ws_goal_view_number (1234567, small, sizeof small);
    assert_int_equal (strlen (small), 3);
}

static void
test_bar (void **state)
{
    (void) state;
    char out[3 * 20 + 1];
    ws_goal_view_bar (0.5, 0.75, 4, out, sizeof out);
    assert_string_equal (out, "██░│");
    ws_goal_view_bar (0.3, NAN, 4, out, sizeof out);
    assert_string_equal (out, "█▏░░");
    ws_goal_view_bar (0.45, 0.3, 4, out, sizeof out);  //  ahead: no mark
    assert_string_equal (out, "█▊░░");
    ws_goal_view_bar (NAN, NAN, 4, out, sizeof out);
    assert_string_equal (out, "░░░░");
    ws_goal_view_bar (1.5, 0.5, 4, out, sizeof out);
    assert_string_equal (out, "████");
    ws_goal_view_bar (-0.2, 0, 4, out, sizeof out);
    assert_string_equal (out, "│░░░");
    ws_goal_view_bar (0, 1, 4, out, sizeof out);
    assert_string_equal (out, "░░░│");
    ws_goal_view_bar (0.62, 0.7, WS_GOAL_VIEW_BAR_WIDTH, out, sizeof out);
    assert_int_equal (ws_goal_view_cells (out), WS_GOAL_VIEW_BAR_WIDTH);
    assert_string_equal (out, "████████████▍░│░░░░░");
    //  A short buffer ends at a whole character.
    char small[5];
    ws_goal_view_bar (1, NAN, 4, small, sizeof small);
    assert_string_equal (small, "█");
}

static void
test_sparkline (void **state)
{
    (void) state;
    double ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    char out[3 * 60 + 1];
    ws_goal_view_sparkline (ramp, 8, 60, 0, 7, out, sizeof out);
    assert_string_equal (out, "▁▂▃▄▅▆▇█");
    ws_goal_view_sparkline (ramp, 8, 60, NAN, NAN, out, sizeof out);
    assert_string_equal (out, "▁▂▃▄▅▆▇█");
    //  Four cells for eight values: the last of each pair.
    ws_goal_view_sparkline (ramp, 8, 4, 0, 7, out, sizeof out);
    assert_string_equal (out, "▂▄▆█");
    double gaps[4] = {0, NAN, 1, 2};
    ws_goal_view_sparkline (gaps, 4, 60, 0, 1, out, sizeof out);
    assert_string_equal (out, "▁ ██");
    double flat[3] = {5, 5, 5};
    ws_goal_view_sparkline (flat, 3, 60, NAN, NAN, out, sizeof out);
    assert_string_equal (out, "▁▁▁");
    ws_goal_view_sparkline (NULL, 0, 60, 0, 1, out, sizeof out);
    assert_string_equal (out, "");
    //  A cell whose share is all NaN is blank, with more values than
    //  cells too.
    double none[4] = {NAN, NAN, 1, 1};
    ws_goal_view_sparkline (none, 4, 2, 0, 1, out, sizeof out);
    assert_string_equal (out, " █");
}

static void
test_days (void **state)
{
    (void) state;
    char out[64];
    ws_goal_view_days_ahead (-9.2, out, sizeof out);
    assert_string_equal (out, "9 days behind");
    ws_goal_view_days_ahead (1.2, out, sizeof out);
    assert_string_equal (out, "1 day ahead");
    ws_goal_view_days_ahead (0.3, out, sizeof out);
    assert_string_equal (out, "on schedule");
    ws_goal_view_days_ahead (-1234, out, sizeof out);
    assert_string_equal (out, "1,234 days behind");
    ws_goal_view_days_ahead (NAN, out, sizeof out);
    assert_string_equal (out, "");

    ws_goal_view_days_left (23.4, out, sizeof out);
    assert_string_equal (out, "23d left");
    ws_goal_view_days_left (0.5, out, sizeof out);
    assert_string_equal (out, "<1d left");
    ws_goal_view_days_left (0, out, sizeof out);
    assert_string_equal (out, "ended");
    ws_goal_view_days_left (NAN, out, sizeof out);
    assert_string_equal (out, "-");
    ws_goal_view_days_left (1500, out, sizeof out);
    assert_string_equal (out, "1,500d left");
}

static void
test_cells_and_pad (void **state)
{
    (void) state;
    assert_int_equal (ws_goal_view_cells ("██a–b"), 5);
    assert_int_equal (ws_goal_view_cells (""), 0);
    char out[32];
    ws_goal_view_pad ("█–", 4, out, sizeof out);
    assert_string_equal (out, "█–  ");
    ws_goal_view_pad ("longer", 3, out, sizeof out);
    assert_string_equal (out, "longer");
}

static void
test_row (void **state)
{
    (void) state;
    ws_goal_view_row_t row;
    json_t *entry = s_json (
        "{\"goal\": \"eu-signups\", \"campaign\": \"q1-eu\","
        " \"def\": {\"kind\": \"total\", \"direction\": \"at_least\","
        "  \"target\": 1200, \"unit\": \"sign-ups\"},"
        " \"evaluation\": {\"status\": \"off_track\","
        "  \"reported_status\": \"at_risk\", \"progress\": 0.62,"
        "  \"expected_progress\": 0.7, \"projected\": 1180.4,"
        "  \"projected_low\": 1020, \"projected_high\": 1340,"
        "  \"days_left\": 23.2, \"pending\": {\"status\": \"off_track\","
        "  \"count\": 2, \"hold\": 3}}}");
    ws_goal_view_row (entry, &row);
    assert_string_equal (row.campaign, "q1-eu");
    assert_string_equal (row.goal, "eu-signups");
    assert_string_equal (row.bar, "████████████▍░│░░░░░");
    assert_string_equal (row.progress, "62% of 70% expected");
    assert_string_equal (row.projected, "1,180 [1,020–1,340] sign-ups");
    assert_string_equal (row.status, "at_risk (pending off_track 2/3)");
    assert_string_equal (row.status_name, "at_risk");
    assert_string_equal (row.left, "23d left");
    json_decref (entry);

    //  Stale names the source; no projection, no campaign.
    entry = s_json ("{\"goal\": \"g\", \"campaign\": null,"
                    " \"def\": {\"kind\": \"level\"},"
                    " \"evaluation\": {\"status\": \"stale\","
                    "  \"reported_status\": \"stale\", \"progress\": 0.1,"
                    "  \"expected_progress\": 0.5, \"days_left\": 0.2,"
                    "  \"stale\": {\"source\": \"crm\", \"reason\": \"x\"}}}");
    ws_goal_view_row (entry, &row);
    assert_string_equal (row.campaign, "-");
    assert_string_equal (row.projected, "-");
    assert_string_equal (row.status, "stale (source 'crm')");
    assert_string_equal (row.progress, "10% of 50% expected");
    assert_string_equal (row.left, "<1d left");
    json_decref (entry);

    //  A keep goal: its mean against the target, an empty bar.
    entry = s_json ("{\"goal\": \"cpa\", \"campaign\": \"c\","
                    " \"def\": {\"kind\": \"keep\", \"direction\": \"at_most\","
                    "  \"target\": 40, \"unit\": \"EUR\"},"
                    " \"evaluation\": {\"status\": \"on_track\","
                    "  \"reported_status\": \"on_track\", \"current\": 36.5,"
                    "  \"projected\": 37, \"projected_low\": 35,"
                    "  \"projected_high\": 39, \"days_left\": 10}}");
    ws_goal_view_row (entry, &row);
    assert_string_equal (row.progress, "mean 36.5 (at most 40)");
    assert_string_equal (row.bar, "░░░░░░░░░░░░░░░░░░░░");
    assert_string_equal (row.projected, "37 [35–39] EUR");
    assert_string_equal (row.status, "on_track");
    json_decref (entry);

    //  Not evaluated yet.
    entry = s_json ("{\"goal\": \"new\", \"def\": {}, \"evaluation\": null}");
    ws_goal_view_row (entry, &row);
    assert_string_equal (row.progress, "not evaluated yet");
    assert_string_equal (row.status, "-");
    assert_string_equal (row.status_name, "");
    assert_string_equal (row.left, "-");
    json_decref (entry);

    //  Garbage where objects belong does not crash.
    entry = s_json ("{\"goal\": 5, \"def\": [], \"evaluation\": {\"status\":"
                    " 3, \"progress\": \"x\", \"pending\": {\"status\": 1}}}");
    ws_goal_view_row (entry, &row);
    assert_string_equal (row.goal, "?");
    assert_string_equal (row.status, "?");
    json_decref (entry);
}

static void
test_counts (void **state)
{
    (void) state;
    json_t *goals = s_json (
        "[{\"evaluation\": {\"status\": \"off_track\", \"reported_status\":"
        "  \"at_risk\"}},"
        " {\"evaluation\": {\"status\": \"on_track\"}},"
        " {\"evaluation\": {\"reported_status\": \"at_risk\"}},"
        " {\"evaluation\": null}, {\"evaluation\": {\"status\": \"weird\"}}]");
    char out[256];
    ws_goal_view_counts (goals, out, sizeof out);
    assert_string_equal (out, "5 goals: 1 on_track, 2 at_risk, 1 other, 1 not "
                              "evaluated yet");
    json_decref (goals);
    goals = json_array ();
    ws_goal_view_counts (goals, out, sizeof out);
    assert_string_equal (out, "0 goals");
    json_decref (goals);
}

static void
test_need (void **state)
{
    (void) state;
    json_t *verdict = s_json (
        "{\"verdict\": \"unlikely\", \"required_rate\": 41.2, \"days\": 23,"
        " \"demonstrated_rate\": 28, \"demonstrated_low\": 22,"
        " \"demonstrated_high\": 33, \"measure\": \"amount per day\","
        " \"window\": {\"from\": \"2026-12-05T00:00:00Z\","
        "  \"to\": \"2027-01-04T00:00:00Z\"}}");
    char out[512];
    ws_goal_view_need (verdict, out, sizeof out);
    assert_string_equal (out, "needs 41.2/day for 23 days against 28/day "
                              "(22–33) shown from 2026-12-05 to 2027-01-04");
    json_decref (verdict);
    verdict = s_json ("{\"required_rate\": 40, \"demonstrated_rate\": 52.5,"
                      " \"demonstrated_low\": 50, \"demonstrated_high\": 55,"
                      " \"measure\": \"mean\"}");
    ws_goal_view_need (verdict, out, sizeof out);
    assert_string_equal (out, "needs a mean of 40 against 52.5 (50–55) shown");
    json_decref (verdict);
}

static void
test_samples (void **state)
{
    (void) state;
    ws_goal_sample_t *samples;
    size_t count;
    ws_err_t err;
    json_t *series = s_json ("{\"t\": [1000, 2000], \"x\": [1, 2.5]}");
    assert_int_equal (
        ws_goal_view_samples (series, "/series", &samples, &count, &err), 0);
    assert_int_equal (count, 2);
    assert_int_equal (samples[1].t, 2000);
    //  An integer value is read as a number, not as 0.
    assert_true (samples[0].value == 1.0);
    assert_true (samples[1].value == 2.5);
    free (samples);
    json_decref (series);

    assert_int_equal (ws_goal_view_samples (json_null (), "/denominator",
                                            &samples, &count, &err),
                      0);
    assert_null (samples);
    assert_int_equal (count, 0);
    assert_int_equal (
        ws_goal_view_samples (NULL, "/denominator", &samples, &count, &err), 0);

    static const struct {
        const char *json;
        const char *where;
    } bad[] = {
        {"{\"t\": [1, 2], \"x\": [1]}", "/series"},
        {"{\"t\": [1, \"2\"], \"x\": [1, 2]}", "/series/t/1"},
        {"{\"t\": [1, 2], \"x\": [1, null]}", "/series/x/1"},
        {"{\"t\": [1.5], \"x\": [1]}", "/series/t/0"},
        {"[1, 2]", "/series"},
        {"{\"x\": [1]}", "/series"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        series = s_json (bad[i].json);
        ws_err_clear (&err);
        assert_int_equal (
            ws_goal_view_samples (series, "/series", &samples, &count, &err),
            -1);
        assert_null (samples);
        assert_string_equal (err.where, bad[i].where);
        assert_non_null (strstr (err.text, "coordinator reply /series"));
        json_decref (series);
    }
}

static void
test_goal (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *def = s_json (
        "{\"name\": \"g\", \"kind\": \"total\", \"direction\": \"at_least\","
        " \"target\": 1200, \"start\": \"2027-01-04T00:00:00Z\","
        " \"deadline\": \"2027-04-04T00:00:00Z\", \"aggregation\": \"sum\","
        " \"hysteresis\": {\"hold\": 2}, \"metric\": \"signups\"}");
    ws_goal_t *goal = ws_goal_view_goal (def, &err);
    assert_non_null (goal);
    assert_string_equal (ws_goal_name (goal), "g");
    assert_true (ws_goal_target (goal) == 1200);
    //  The definition itself is left alone.
    assert_non_null (json_object_get (def, "hysteresis"));
    ws_goal_destroy (&goal);
    json_decref (def);

    def = s_json ("{\"name\": \"g\", \"kind\": \"total\", \"direction\": "
                  "\"at_least\", \"target\": \"x\","
                  " \"start\": \"2027-01-04\", \"deadline\": \"2027-04-04\"}");
    assert_null (ws_goal_view_goal (def, &err));
    assert_string_equal (err.where, "/target");
    json_decref (def);
    assert_null (ws_goal_view_goal (NULL, &err));
    assert_string_equal (err.where, "/def");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_colour), cmocka_unit_test (test_number),
        cmocka_unit_test (test_bar),    cmocka_unit_test (test_sparkline),
        cmocka_unit_test (test_days),   cmocka_unit_test (test_cells_and_pad),
        cmocka_unit_test (test_row),    cmocka_unit_test (test_counts),
        cmocka_unit_test (test_need),   cmocka_unit_test (test_samples),
        cmocka_unit_test (test_goal),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
