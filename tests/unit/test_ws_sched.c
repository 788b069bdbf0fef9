//  test_ws_sched - the coordinator's schedule: ticks on a fixed grid with
//  a per-source phase, backoff after failures, reset on success, skipped
//  ticks without backoff, health rows.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ws_sched.h"

static json_t *
s_row (int64_t id, const char *name, const char *interval, bool enabled)
{
    return json_pack ("{s:I, s:s, s:{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]},"
                      " s:b, s:i, s:I}",
                      "id", (json_int_t) id, "name", name, "def", "name", name,
                      "url", "http://127.0.0.1:1/", "interval", interval,
                      "metrics", "name", "m", "type", "gauge", "json", "/m",
                      "enabled", enabled, "failures", 0, "next_due",
                      (json_int_t) 0);
}

static void
test_grid (void **state)
{
    (void) state;
    ws_sched_t *sched = ws_sched_new (60000);
    json_t *rows =
        json_pack ("[o, o, o]", s_row (1, "a", "1s", true),
                   s_row (2, "b", "10s", true), s_row (3, "off", "1s", false));
    int64_t now = 1800000000000LL;
    assert_int_equal (ws_sched_load (sched, rows, now), 2);
    assert_int_equal (ws_sched_count (sched), 3);
    ws_sched_source_t *a = ws_sched_get (sched, 1);
    ws_sched_source_t *b = ws_sched_get (sched, 2);
    assert_true (a->phase_ms >= 0 && a->phase_ms < 1000);
    assert_true (b->phase_ms >= 0 && b->phase_ms < 10000);
    //  Over 30 s: a ticks 30 times, b 3 times, each on its grid, in order.
    int count_a = 0, count_b = 0;
    int64_t last = 0, tick;
    for (int64_t t = now; t < now + 30000; t += 10) {
        ws_sched_source_t *due;
        while ((due = ws_sched_next_due (sched, t, &tick))) {
            assert_true (tick <= t);
            assert_true (tick >= last);
            last = tick;
            assert_int_equal ((tick - due->phase_ms) % due->interval_ms, 0);
            if (due == a)
                count_a++;
            else if (due == b)
                count_b++;
            else
                fail_msg ("a disabled source ticked");
        }
    }
    assert_int_equal (count_a, 30);
    assert_int_equal (count_b, 3);
    //  The same names give the same phases after a reload (a restart).
    int64_t phase = a->phase_ms;
    assert_int_equal (ws_sched_load (sched, rows, now + 30000), 2);
    assert_int_equal (ws_sched_get (sched, 1)->phase_ms, phase);
    assert_true (ws_sched_wait (sched, now + 30000) <= 1000);
    json_decref (rows);
    ws_sched_destroy (&sched);
    assert_null (sched);
}

static void
test_backoff (void **state)
{
    (void) state;
    ws_sched_t *sched = ws_sched_new (8000);
    json_t *rows = json_pack ("[o]", s_row (1, "a", "1s", true));
    int64_t now = 1800000000000LL;
    ws_sched_load (sched, rows, now);
    ws_sched_source_t *a = ws_sched_get (sched, 1);
    int64_t tick, t = now;
    //  Fail every tick: the gaps grow 2, 4, 8 s and stay at the 8 s cap.
    (void) a;
    int64_t ticks[8];
    int n = 0;
    while (n < 8) {
        ws_sched_source_t *due = ws_sched_next_due (sched, t, &tick);
        if (due) {
            ticks[n++] = tick;
            ws_sched_record (sched, due, tick, false, 0, "HTTP 503", "http",
                             NULL, t);
        }
        t += 10;
    }
    assert_int_equal (a->failures, 8);
    assert_int_equal (ticks[1] - ticks[0], 2000);
    assert_int_equal (ticks[2] - ticks[1], 4000);
    assert_int_equal (ticks[3] - ticks[2], 8000);
    assert_int_equal (ticks[7] - ticks[6], 8000);
    assert_string_equal (a->last_error, "HTTP 503");
    //  One success resets: the next tick is the next grid point.
    ws_sched_record (sched, a, ticks[7], true, 3, NULL, NULL,
                     "[{\"metric\":\"m\",\"value\":1}]", t);
    assert_int_equal (a->failures, 0);
    assert_true (ws_sched_wait (sched, t) <= 1000);
    //  Partial results (samples and an error) record the error, no backoff.
    ws_sched_record (sched, a, ticks[7] + 1000, false, 2, "rule 'x': not found",
                     "extract", NULL, t);
    assert_int_equal (a->failures, 0);
    assert_string_equal (a->last_error_kind, "extract");
    //  A skipped tick is an error without backoff.
    ws_sched_record_skipped (sched, a, ticks[7] + 2000, "no worker", t);
    assert_int_equal (a->failures, 0);
    assert_string_equal (a->last_error_kind, "skipped");
    //  Dirty health rows come out once.
    ws_db_health_t *health;
    size_t count = ws_sched_take_dirty (sched, true, &health);
    assert_int_equal (count, 1);
    assert_int_equal (health[0].source_id, 1);
    assert_int_equal (health[0].ticks_ok, 1);
    assert_int_equal (health[0].ticks_failed, 10);
    ws_sched_mark_dirty (sched, health, count);
    free (health);
    count = ws_sched_take_dirty (sched, true, &health);
    assert_int_equal (count, 1);
    free (health);
    count = ws_sched_take_dirty (sched, true, &health);
    assert_int_equal (count, 0);
    free (health);
    json_decref (rows);
    ws_sched_destroy (&sched);
}

static void
test_bad_rows (void **state)
{
    (void) state;
    ws_sched_t *sched = ws_sched_new (60000);
    //  A stored definition that no longer parses is skipped, not fatal.
    json_t *rows =
        json_pack ("[o, {s:i, s:s, s:{s:s}, s:b}]", s_row (1, "a", "1s", true),
                   "id", 2, "name", "bad", "def", "name", "bad", "enabled", 1);
    assert_int_equal (ws_sched_load (sched, rows, 1800000000000LL), 1);
    assert_null (ws_sched_get (sched, 2));
    json_decref (rows);
    ws_sched_destroy (&sched);
}

//  Accounting: a restart checks the ticks between the stored
//  accounted_before and its first tick; jumps over ticks say why;
//  accounted_before is the oldest open tick or the next unplanned one.
static void
test_accounting (void **state)
{
    (void) state;
    ws_sched_t *sched = ws_sched_new (60000);
    int64_t now = 1800000000000LL;
    json_t *a = s_row (1, "a", "1s", true);
    json_t *fresh = s_row (2, "fresh", "1s", true);
    json_t *old = s_row (3, "old", "1s", true);
    //  a: the previous run accounted up to 30 s ago (off its grid: the
    //  check starts at the next grid tick); fresh: never written, made
    //  10 s ago; old: written before accounting existed (neither).
    json_object_set_new (a, "accounted_before", json_integer (now - 30000));
    json_object_set_new (fresh, "created_at", json_integer (now - 10000));
    json_t *rows = json_pack ("[o, o, o]", a, fresh, old);
    assert_int_equal (ws_sched_load (sched, rows, now), 3);
    ws_sched_source_t *sa = ws_sched_get (sched, 1);
    ws_sched_source_t *sf = ws_sched_get (sched, 2);
    ws_sched_source_t *so = ws_sched_get (sched, 3);
    assert_int_equal (sa->scan_from,
                      ws_sched_grid_at_or_after (sa, now - 30000));
    assert_int_equal (sa->scan_to, ws_sched_grid_at_or_after (sa, now));
    assert_int_equal (sf->scan_from,
                      ws_sched_grid_at_or_after (sf, now - 10000));
    assert_int_equal (so->scan_to, 0);
    //  While the check is pending nothing is claimed.
    int64_t tick;
    while (ws_sched_next_due (sched, now + 5000, &tick))
        ;
    sa->last_planned = tick;
    sa->open_min = INT64_MAX;
    assert_int_equal (ws_sched_accounted_before (sa), 0);
    sa->scan_from = sa->scan_to = 0;
    assert_int_equal (ws_sched_accounted_before (sa), tick + 1000);
    sa->open_min = tick - 2000;
    assert_int_equal (ws_sched_accounted_before (sa), tick - 2000);
    //  A failure pushes the next tick out: the jump is a backoff.
    ws_sched_record (sched, so, now + 5000, false, 0, "HTTP 500", "http", NULL,
                     now + 5000);
    assert_non_null (so->skip_why);
    assert_string_equal (so->skip_why, "backoff");
    //  A stall: the next tick comes from now, the jump is "behind".
    ws_sched_source_t *due;
    sf->skip_why = NULL;
    do
        due = ws_sched_next_due (sched, now + 60000, &tick);
    while (due && due != sf);
    assert_ptr_equal (due, sf);
    assert_non_null (sf->skip_why);
    assert_string_equal (sf->skip_why, "behind");
    json_decref (rows);
    //  A source applied later is accounted from its first tick: only the
    //  first load checks what a previous run left.
    json_t *later = s_row (4, "later", "1s", true);
    json_object_set_new (later, "created_at", json_integer (now + 50000));
    rows = json_pack ("[o]", later);
    ws_sched_load (sched, rows, now + 60000);
    assert_int_equal (ws_sched_get (sched, 4)->scan_to, 0);
    json_decref (rows);
    ws_sched_destroy (&sched);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_grid),
        cmocka_unit_test (test_backoff),
        cmocka_unit_test (test_bad_rows),
        cmocka_unit_test (test_accounting),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
