//  test_ws_goal_job - a goal evaluation job as the worker runs it: the
//  evaluation of a clear case, the hysteresis state carried from one job
//  to the next through "state", a failing source making it stale, and
//  bad input refused with the field's pointer.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_goal_job.h"

#define DAY 86400000LL
//  2027-01-04T00:00:00Z
#define START 1799020800000LL

//  A total goal of 1,000 over 100 days, and 50 days of 12 a day: on
//  pace for 1,200.
static json_t *
s_input (int days, double per_day)
{
    json_t *t = json_array (), *x = json_array ();
    for (int i = 0; i < days; i++) {
        json_array_append_new (t, json_integer (START + i * DAY));
        json_array_append_new (x, json_real (per_day));
    }
    return json_pack (
        "{s:{s:s, s:s, s:s, s:i, s:s, s:s}, s:I, s:{s:o, s:o}}", "def", "name",
        "g", "kind", "total", "direction", "at_least", "target", 1000, "start",
        "2027-01-04T00:00:00Z", "deadline", "2027-04-14T00:00:00Z", "as_of",
        (json_int_t) (START + days * DAY - 1), "series", "t", t, "x", x);
}

static const char *
s_field (json_t *evaluation, const char *key)
{
    return json_string_value (json_object_get (evaluation, key));
}

static void
test_clear_cases (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *input = s_input (50, 12);
    json_t *evaluation = ws_goal_job_run (input, &err);
    assert_non_null (evaluation);
    assert_string_equal (s_field (evaluation, "status"), "on_track");
    assert_string_equal (s_field (evaluation, "reported_status"), "on_track");
    assert_float_equal (
        json_number_value (json_object_get (evaluation, "current")), 600, 1e-9);
    json_decref (evaluation);
    json_decref (input);

    //  Far behind: off track at once, reported after it held (three
    //  evaluations by default), the state travelling in "state".
    input = s_input (50, 3);
    json_t *last = json_null ();
    char reported[4][16];
    for (int i = 0; i < 4; i++) {
        json_object_set (input, "state", last);
        json_decref (last);
        evaluation = ws_goal_job_run (input, &err);
        assert_non_null (evaluation);
        assert_string_equal (s_field (evaluation, "status"), "off_track");
        snprintf (reported[i], sizeof reported[i], "%s",
                  s_field (evaluation, "reported_status"));
        last = evaluation;
    }
    assert_string_equal (reported[0], "on_track");
    assert_string_equal (reported[3], "off_track");
    json_decref (last);
    json_decref (input);
}

//  The goal's own hysteresis: hold 1 reports a slip at once; a bad
//  setting is refused where it is.
static void
test_goal_hysteresis (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *input = s_input (50, 3);
    json_object_set_new (json_object_get (input, "def"), "hysteresis",
                         json_pack ("{s:i}", "hold", 1));
    json_t *evaluation = ws_goal_job_run (input, &err);
    assert_non_null (evaluation);
    assert_string_equal (s_field (evaluation, "reported_status"), "off_track");
    json_decref (evaluation);
    json_object_set_new (json_object_get (input, "def"), "hysteresis",
                         json_pack ("{s:i}", "hold", 0));
    assert_null (ws_goal_job_run (input, &err));
    assert_string_equal (err.where, "/def/hysteresis/hold");
    json_decref (input);
}

static void
test_stale (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *input = s_input (50, 3);
    json_object_set_new (input, "sources",
                         json_pack ("[{s:s, s:i, s:s, s:n, s:i}]", "name",
                                    "crm", "failures", 5, "last_error",
                                    "HTTP 503", "last_success", "interval_ms",
                                    60000));
    json_t *evaluation = ws_goal_job_run (input, &err);
    assert_non_null (evaluation);
    //  No verdict on missing data: stale, naming the source.
    assert_string_equal (s_field (evaluation, "reported_status"), "stale");
    json_t *stale = json_object_get (evaluation, "stale");
    assert_string_equal (s_field (stale, "source"), "crm");
    assert_string_equal (s_field (stale, "last_error"), "HTTP 503");
    json_decref (evaluation);
    json_decref (input);
}

//  Set key of input to value (JSON text) and expect a refusal at where.
static void
s_refused (const char *key, const char *value, const char *where)
{
    ws_err_t err;
    json_t *input = s_input (10, 12);
    if (value)
        json_object_set_new (input, key,
                             json_loads (value, JSON_DECODE_ANY, NULL));
    else
        json_object_del (input, key);
    json_t *evaluation = ws_goal_job_run (input, &err);
    if (evaluation)
        fail_msg ("%s=%s: accepted, expected refused at '%s'", key,
                  value ? value : "(none)", where);
    if (strcmp (err.where, where) != 0)
        fail_msg ("%s=%s: refused at '%s' (%s), expected '%s'", key,
                  value ? value : "(none)", err.where, err.text, where);
    json_decref (input);
}

static void
test_bad_input (void **state)
{
    (void) state;
    s_refused ("as_of", "\"soon\"", "/as_of");
    s_refused ("as_of", NULL, "/as_of");
    s_refused ("series", "{\"t\": [1], \"x\": []}", "/series");
    s_refused ("series", "{\"t\": [1, \"x\"], \"x\": [1, 2]}", "/series/t/1");
    s_refused ("series", "{\"t\": [1, 2], \"x\": [1, null]}", "/series/x/1");
    s_refused ("def", "{\"name\": \"g\", \"kind\": \"sum\"}", "/def/kind");
    s_refused ("sources", "[{\"name\": 7}]", "/sources/0");
    s_refused ("sources", "{}", "/sources");
    s_refused ("bogus", "1", "/bogus");
    ws_err_t err;
    assert_null (ws_goal_job_run (NULL, &err));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_clear_cases),
        cmocka_unit_test (test_goal_hysteresis),
        cmocka_unit_test (test_stale),
        cmocka_unit_test (test_bad_input),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
