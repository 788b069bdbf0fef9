//  test_db - the coordinator's database layer (ws_db) against a real
//  PostgreSQL cluster started by ws_test_pg: apply, series, samples,
//  health, queries, partitions.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ws_db.h"
#include "ws_loop.h"
#include "ws_source.h"
#include "ws_test_pg.h"
#include "ws_time.h"

static ws_pgcluster_t *s_cluster;

static int
s_setup (void **state)
{
    (void) state;
    s_cluster = ws_test_pg_start ();
    return s_cluster ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return ws_test_pg_stop (&s_cluster);
}

static ws_db_t *
s_connect (void)
{
    ws_db_t *db = ws_db_new (ws_pgcluster_conninfo (s_cluster));
    ws_err_t err;
    if (ws_db_connect (db, &err) || ws_db_migrate (db, &err) < 0)
        fail_msg ("%s", err.text);
    return db;
}

static json_t *
s_def (const char *name, const char *interval)
{
    json_t *def =
        json_pack ("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "name", name, "url",
                   "http://127.0.0.1:1/x", "interval", interval, "metrics",
                   "name", "sales", "type", "gauge", "json", "/sales");
    ws_err_t err;
    ws_source_t *source = ws_source_new (def, &err);
    if (!source)
        fail_msg ("%s", err.text);
    json_decref (def);
    json_t *normal = ws_source_to_json (source);
    ws_source_destroy (&source);
    return normal;
}

static void
test_apply (void **state)
{
    (void) state;
    ws_db_t *db = s_connect ();
    ws_err_t err;
    json_t *defs = json_pack ("[o, o]", s_def ("a", "1s"), s_def ("b", "5s"));
    json_t *report;
    assert_int_equal (
        ws_db_apply_sources (db, defs, false, false, &report, &err), 0);
    assert_int_equal (json_array_size (json_object_get (report, "created")), 2);
    json_decref (report);
    //  Again: unchanged. A dry run changes nothing.
    assert_int_equal (
        ws_db_apply_sources (db, defs, false, false, &report, &err), 0);
    assert_int_equal (json_array_size (json_object_get (report, "unchanged")),
                      2);
    json_decref (report);
    json_t *changed = json_pack ("[o]", s_def ("a", "2s"));
    assert_int_equal (
        ws_db_apply_sources (db, changed, true, true, &report, &err), 0);
    assert_int_equal (json_array_size (json_object_get (report, "updated")), 1);
    assert_int_equal (json_array_size (json_object_get (report, "deleted")), 1);
    json_decref (report);
    json_t *rows = ws_db_load_sources (db, &err);
    assert_int_equal (json_array_size (rows), 2);
    json_decref (rows);
    //  For real: a updated, b pruned.
    assert_int_equal (
        ws_db_apply_sources (db, changed, true, false, &report, &err), 0);
    json_decref (report);
    rows = ws_db_load_sources (db, &err);
    assert_int_equal (json_array_size (rows), 1);
    assert_string_equal (
        json_string_value (json_object_get (
            json_object_get (json_array_get (rows, 0), "def"), "interval")),
        "2s");
    json_decref (rows);
    json_decref (changed);
    json_decref (defs);
    ws_db_destroy (&db);
}

static void
test_samples (void **state)
{
    (void) state;
    ws_db_t *db = s_connect ();
    ws_err_t err;
    json_t *rows = ws_db_load_sources (db, &err);
    int64_t source_id =
        json_integer_value (json_object_get (json_array_get (rows, 0), "id"));
    json_decref (rows);

    const char *metrics[] = {"sales", "sales", "odd \"metric\\"};
    const char *labels[] = {"{\"region\":\"eu\"}", "{\"region\":\"us\"}",
                            "{\"quote\":\"a\\\"b,c{}\"}"};
    const char *types[] = {"gauge", "gauge", "counter"};
    int64_t periods[] = {0, 0, 0};
    int64_t sources[] = {source_id, source_id, 0};
    int64_t ids[3], again[3];
    assert_int_equal (ws_db_resolve_series (db, 3, metrics, labels, types,
                                            periods, sources, ids, &err),
                      0);
    assert_true (ids[0] > 0 && ids[1] > 0 && ids[2] > 0);
    assert_true (ids[0] != ids[1]);
    //  Existing series resolve to the same ids.
    assert_int_equal (ws_db_resolve_series (db, 3, metrics, labels, types,
                                            periods, sources, again, &err),
                      0);
    assert_memory_equal (ids, again, sizeof ids);

    //  A batch, then the same batch again: nothing new the second time.
    enum { N = 3000 };
    int64_t *series = calloc (N, sizeof (int64_t));
    int64_t *ts = calloc (N, sizeof (int64_t));
    double *values = calloc (N, sizeof (double));
    int64_t base = ws_wall_ms () / 1000 * 1000 - N * 1000;
    for (int i = 0; i < N; i++) {
        series[i] = ids[i % 3];
        ts[i] = base + (i / 3) * 1000;
        values[i] = i * 0.5;
    }
    int64_t inserted;
    assert_int_equal (ws_db_ensure_partitions (db, ws_wall_ms (), 1, &err), 0);
    assert_int_equal (ws_db_insert_samples (db, N, series, ts, values, 0, NULL,
                                            &inserted, &err),
                      0);
    assert_int_equal (inserted, N);
    assert_int_equal (ws_db_insert_samples (db, N, series, ts, values, 0, NULL,
                                            &inserted, &err),
                      0);
    assert_int_equal (inserted, 0);

    json_t *filter = json_pack ("{s:s}", "region", "eu");
    json_t *found = ws_db_query_samples (db, "sales", filter, 0, 0, 10, &err);
    json_decref (filter);
    assert_non_null (found);
    assert_int_equal (json_array_size (found), 10);
    //  Oldest first among the newest ten.
    json_int_t first =
        json_integer_value (json_object_get (json_array_get (found, 0), "ts"));
    json_int_t last =
        json_integer_value (json_object_get (json_array_get (found, 9), "ts"));
    assert_true (first < last);
    assert_int_equal (last, base + (N / 3 - 1) * 1000);
    json_decref (found);
    json_t *series_list = ws_db_list_series (db, "sales", &err);
    assert_int_equal (json_array_size (series_list), 2);
    assert_int_equal (json_integer_value (json_object_get (
                          json_array_get (series_list, 0), "samples")),
                      N / 3);
    json_decref (series_list);
    assert_int_equal (ws_db_count_series (db, &err), 3);

    //  Health round trip, with text that needs quoting.
    ws_db_health_t health = {source_id,
                             2,
                             base,
                             base,
                             base - 5000,
                             base,
                             "HTTP 503: \"busy\", {retry}",
                             "http",
                             "[{\"metric\":\"sales\",\"value\":1}]",
                             10,
                             3,
                             base + 7000};
    assert_int_equal (ws_db_write_health (db, &health, 1, &err), 0);
    health.failures = 3;
    health.accounted_before = 0;  //  leaves the stored one
    assert_int_equal (ws_db_write_health (db, &health, 1, &err), 0);
    rows = ws_db_load_sources (db, &err);
    json_t *row = json_array_get (rows, 0);
    assert_int_equal (json_integer_value (json_object_get (row, "failures")),
                      3);
    assert_string_equal (
        json_string_value (json_object_get (row, "last_error")),
        "HTTP 503: \"busy\", {retry}");
    assert_int_equal (json_integer_value (json_object_get (row, "next_due")),
                      base);
    assert_int_equal (
        json_integer_value (json_object_get (row, "accounted_before")),
        base + 7000);
    json_decref (rows);

    //  Missed ticks travel with a batch (here without samples), and a
    //  batch sent again adds nothing.
    char error[] = "HTTP 503";
    ws_db_missed_t missed = {
        source_id, base + 1000 * 1000, base + 1004 * 1000, 5, "error", error};
    for (int i = 0; i < 2; i++)
        assert_int_equal (ws_db_insert_samples (db, 0, NULL, NULL, NULL, 1,
                                                &missed, &inserted, &err),
                          0);
    //  After a restart: from 5 ticks before the first sample to 5 after
    //  the missed run, the ticks with neither are recorded, once.
    int64_t from = base - 5000, to = base + 1010 * 1000, step = 1000;
    assert_int_equal (ws_db_record_down_ticks (db, 1, &source_id, &from, &to,
                                               &step, "down", &err),
                      10);
    assert_int_equal (ws_db_record_down_ticks (db, 1, &source_id, &from, &to,
                                               &step, "down", &err),
                      0);
    //  A hole inside the range is found too.
    int64_t hole_from = base - 20000, hole_to = base;
    assert_int_equal (ws_db_record_down_ticks (db, 1, &source_id, &hole_from,
                                               &hole_to, &step, "down", &err),
                      15);
    free (series);
    free (ts);
    free (values);
    ws_db_destroy (&db);
}

static void
test_partitions (void **state)
{
    (void) state;
    ws_db_t *db = s_connect ();
    ws_err_t err;
    //  A sample far in the future lands in the default partition; making
    //  its month's partition later moves it there.
    const char *metrics[] = {"future"};
    const char *labels[] = {"{}"};
    const char *types[] = {"gauge"};
    int64_t zero[] = {0}, id;
    assert_int_equal (ws_db_resolve_series (db, 1, metrics, labels, types, zero,
                                            zero, &id, &err),
                      0);
    int64_t when;
    ws_iso8601_parse ("2031-06-15T12:00:00Z", &when, &err);
    double value = 7;
    int64_t inserted;
    assert_int_equal (ws_db_insert_samples (db, 1, &id, &when, &value, 0, NULL,
                                            &inserted, &err),
                      0);
    assert_int_equal (inserted, 1);
    assert_int_equal (ws_db_ensure_partitions (db, when, 0, &err), 0);
    json_t *found = ws_db_query_samples (db, "future", NULL, 0, 0, 10, &err);
    assert_int_equal (json_array_size (found), 1);
    json_decref (found);
    //  Idempotent.
    assert_int_equal (ws_db_ensure_partitions (db, when, 0, &err), 0);
    ws_db_destroy (&db);
}

static void
test_unreachable (void **state)
{
    (void) state;
    ws_db_t *db = ws_db_new ("host=/nonexistent-dir user=watershed dbname=x "
                             "password=hunter2 connect_timeout=2");
    ws_err_t err;
    assert_int_equal (ws_db_connect (db, &err), -1);
    assert_non_null (strstr (err.text, "cannot connect"));
    assert_null (strstr (err.text, "hunter2"));
    assert_false (ws_db_connected (db));
    assert_null (ws_db_load_sources (db, &err));
    assert_non_null (strstr (err.text, "not connected"));
    ws_db_destroy (&db);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_apply),
        cmocka_unit_test (test_samples),
        cmocka_unit_test (test_partitions),
        cmocka_unit_test (test_unreachable),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
