//  test_goals_apply - campaigns, goals and activities through
//  ws_campaign_check_set and ws_db_apply against a real PostgreSQL
//  cluster (ws_test_pg): create, unchanged, update, prune, dry run, an
//  unknown campaign refused, nothing applied from a bad set.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "ws_campaign.h"
#include "ws_db.h"
#include "ws_test_pg.h"

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

//  A count straight from the database, to check what the report says.
static long
s_count (const char *sql)
{
    PGconn *conn = ws_test_pg_connect (s_cluster);
    assert_non_null (conn);
    PGresult *result = PQexec (conn, sql);
    if (PQresultStatus (result) != PGRES_TUPLES_OK)
        fail_msg ("%s: %s", sql, PQerrorMessage (conn));
    long count = strtol (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    PQfinish (conn);
    return count;
}

static json_t *
s_goal (const char *name, double target, const char *campaign)
{
    json_t *goal =
        json_pack ("{s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:{s:s}}", "name", name,
                   "kind", "total", "direction", "at_least", "target", target,
                   "start", "2027-01-04", "deadline", "2027-04-04", "metric",
                   "signups", "labels", "region", "eu");
    if (campaign)
        json_object_set_new (goal, "campaign", json_string (campaign));
    return goal;
}

static json_t *
s_campaign (const char *name)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:i}", "name", name,
                      "objective", "EU trial growth", "channel", "email",
                      "start", "2027-01-04", "end", "2027-04-04", "budget",
                      25000);
}

static json_t *
s_activity (const char *campaign, const char *kind, const char *at)
{
    return json_pack ("{s:s, s:s, s:s, s:{s:s}, s:s}", "campaign", campaign,
                      "kind", kind, "at", at, "segment", "region", "eu", "note",
                      "launch");
}

//  Check doc and apply it; returns the report (caller owns) or NULL with
//  *err.
static json_t *
s_apply (ws_db_t *db, json_t *doc, bool prune, bool dry_run, ws_err_t *err)
{
    json_t *set = ws_campaign_check_set (doc, err);
    json_decref (doc);
    if (!set)
        return NULL;
    json_t *report = NULL;
    int rc = ws_db_apply (db, set, prune, dry_run, &report, err);
    json_decref (set);
    return rc ? NULL : report;
}

static size_t
s_listed (json_t *report, const char *kind, const char *list)
{
    return json_array_size (
        json_object_get (json_object_get (report, kind), list));
}

static void
test_apply (void **state)
{
    (void) state;
    ws_db_t *db = s_connect ();
    ws_err_t err;
#define S_DOC(goal_b_target)                                                   \
    json_pack ("{s:[o, o], s:[o, o, o], s:[o, o]}", "campaigns",               \
               s_campaign ("q1-eu"), s_campaign ("q2-us"), "goals",            \
               s_goal ("a", 100, "q1-eu"), s_goal ("b", goal_b_target, NULL),  \
               s_goal ("c", 5, "q2-us"), "activities",                         \
               s_activity ("q1-eu", "email", "2027-01-10T09:00:00Z"),          \
               s_activity ("q2-us", "paid_ad", "2027-02-01"))
    json_t *report = s_apply (db, S_DOC (200), false, false, &err);
    if (!report)
        fail_msg ("%s", err.text);
    assert_int_equal (s_listed (report, "campaigns", "created"), 2);
    assert_int_equal (s_listed (report, "goals", "created"), 3);
    assert_int_equal (s_listed (report, "activities", "created"), 2);
    //  No sources in the file: the old top-level lists are empty.
    assert_int_equal (json_array_size (json_object_get (report, "created")), 0);
    json_decref (report);
    assert_int_equal (s_count ("SELECT count(*) FROM goals g JOIN campaigns c"
                               " ON c.id = g.campaign_id WHERE g.name = 'a'"
                               " AND c.name = 'q1-eu' AND g.metric ="
                               " 'signups' AND g.labels->>'region' = 'eu'"),
                      1);
    assert_int_equal (s_count ("SELECT count(*) FROM activities WHERE kind ="
                               " 'paid_ad' AND at = '2027-02-01T00:00:00Z'"
                               " AND segment->>'region' = 'eu'"),
                      1);
    assert_int_equal (s_count ("SELECT count(*) FROM campaigns WHERE budget ="
                               " 25000 AND end_at - start_at = '90 days'"),
                      2);

    //  Again: all unchanged.
    report = s_apply (db, S_DOC (200), false, false, &err);
    assert_non_null (report);
    assert_int_equal (s_listed (report, "campaigns", "unchanged"), 2);
    assert_int_equal (s_listed (report, "goals", "unchanged"), 3);
    assert_int_equal (s_listed (report, "activities", "unchanged"), 2);
    json_decref (report);

    //  One goal changed: updated, the rest unchanged.
    report = s_apply (db, S_DOC (250), false, false, &err);
    assert_non_null (report);
    json_t *updated =
        json_object_get (json_object_get (report, "goals"), "updated");
    assert_int_equal (json_array_size (updated), 1);
    assert_string_equal (json_string_value (json_array_get (updated, 0)), "b");
    assert_int_equal (s_listed (report, "goals", "unchanged"), 2);
    json_decref (report);
    assert_int_equal (s_count ("SELECT count(*) FROM goals WHERE name = 'b'"
                               " AND (def->>'target')::float = 250"),
                      1);

    //  Dry run of a prune: reported, nothing changed.
    json_t *small = json_pack (
        "{s:[o], s:[o]}", "goals", s_goal ("a", 100, "q1-eu"), "activities",
        s_activity ("q1-eu", "email", "2027-01-10T09:00:00Z"));
    report = s_apply (db, json_deep_copy (small), true, true, &err);
    if (!report)
        fail_msg ("%s", err.text);
    assert_true (json_is_true (json_object_get (report, "dry_run")));
    assert_int_equal (s_listed (report, "goals", "deleted"), 2);
    assert_int_equal (s_listed (report, "activities", "deleted"), 1);
    //  Campaigns are not in the file: not pruned.
    assert_int_equal (s_listed (report, "campaigns", "deleted"), 0);
    json_decref (report);
    assert_int_equal (s_count ("SELECT count(*) FROM goals"), 3);

    //  The prune for real: goal "a" names a stored campaign.
    report = s_apply (db, small, true, false, &err);
    assert_non_null (report);
    assert_int_equal (s_listed (report, "goals", "deleted"), 2);
    json_decref (report);
    assert_int_equal (s_count ("SELECT count(*) FROM goals"), 1);
    assert_int_equal (s_count ("SELECT count(*) FROM activities"), 1);
    assert_int_equal (s_count ("SELECT count(*) FROM campaigns"), 2);

    //  Pruning campaigns cascades to their activities, keeps goals.
    report =
        s_apply (db, json_pack ("{s:[o]}", "campaigns", s_campaign ("q2-us")),
                 true, false, &err);
    assert_non_null (report);
    assert_int_equal (s_listed (report, "campaigns", "deleted"), 1);
    json_decref (report);
    assert_int_equal (s_count ("SELECT count(*) FROM activities"), 0);
    assert_int_equal (
        s_count ("SELECT count(*) FROM goals WHERE campaign_id IS NULL"), 1);
    ws_db_destroy (&db);
}

static void
test_refused (void **state)
{
    (void) state;
    ws_db_t *db = s_connect ();
    ws_err_t err;
    long goals = s_count ("SELECT count(*) FROM goals");
    long campaigns = s_count ("SELECT count(*) FROM campaigns");
    //  A goal on a campaign neither in the set nor stored: refused, and
    //  the campaign and goal before it are not applied either.
    json_t *report = s_apply (db,
                              json_pack ("{s:[o], s:[o, o]}", "campaigns",
                                         s_campaign ("fresh"), "goals",
                                         s_goal ("ok", 1, "fresh"),
                                         s_goal ("orphan", 1, "nowhere")),
                              false, false, &err);
    assert_null (report);
    assert_int_equal (err.code, WS_ERR_NOTFOUND);
    assert_string_equal (err.where, "/goals/1/campaign");
    assert_non_null (strstr (err.text, "'nowhere'"));
    assert_int_equal (s_count ("SELECT count(*) FROM goals"), goals);
    assert_int_equal (s_count ("SELECT count(*) FROM campaigns"), campaigns);

    //  An activity likewise.
    report = s_apply (db,
                      json_pack ("{s:[o]}", "activities",
                                 s_activity ("nowhere", "event", "2027-03-01")),
                      false, false, &err);
    assert_null (report);
    assert_string_equal (err.where, "/activities/0/campaign");

    //  A bad goal is caught by the check before any SQL.
    json_t *bad = s_goal ("bad", 1, NULL);
    json_object_set_new (bad, "target", json_string ("lots"));
    report = s_apply (db,
                      json_pack ("{s:[o], s:[o]}", "campaigns",
                                 s_campaign ("fresh"), "goals", bad),
                      false, false, &err);
    assert_null (report);
    assert_string_equal (err.where, "/goals/0/target");
    assert_int_equal (s_count ("SELECT count(*) FROM campaigns"), campaigns);
    ws_db_destroy (&db);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_apply),
        cmocka_unit_test (test_refused),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
