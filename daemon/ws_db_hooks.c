//  ws_db_hooks - the delivery side of the coordinator's database: hooks,
//  routing alerts to them (deliveries), taking the deliveries that are
//  due, recording each attempt's outcome, and the goals whose slip a
//  hook should hear of again (repeat_interval).
//
//  Every step that must not be lost is one statement, so one
//  transaction: routing creates an alert's deliveries and marks it
//  routed together; taking a delivery marks it 'sending' with a lease
//  (next_attempt_at) before anything is sent, so after a crash the lease
//  runs out and the delivery is sent again with the same idempotency
//  key.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_buf.h"
#include "ws_db_private.h"

//  The columns of an alert as ws_alert_payload and ws_hook_matches read
//  it, from alerts a joined to its goal g, campaign c and series s.
#define S_ALERT_COLUMNS                                                        \
    "a.id, a.fingerprint, a.kind, a.severity, a.from_state, a.to_state,"       \
    " a.summary, a.evidence::text, g.name, c.name, s.metric,"                  \
    " s.labels::text, (extract(epoch FROM a.created_at) * 1000)::bigint,"      \
    " coalesce(g.labels, s.labels)::text, a.hook_id, a.goal_id"
#define S_ALERT_COUNT 16
#define S_ALERT_JOINS                                                          \
    " LEFT JOIN goals g ON g.id = a.goal_id LEFT JOIN campaigns c ON c.id ="   \
    " g.campaign_id LEFT JOIN series s ON s.id = a.series_id"

static json_t *
s_alert (PGresult *result, int row, int col)
{
    json_t *series = json_null ();
    if (!PQgetisnull (result, row, col + 10))
        series = json_pack ("{s:s, s:o}", "metric",
                            PQgetvalue (result, row, col + 10), "labels",
                            ws_db_json (result, row, col + 11));
    json_t *labels = ws_db_json (result, row, col + 13);
    if (!json_is_object (labels)) {
        json_decref (labels);
        labels = json_object ();
    }
    json_t *alert = json_pack (
        "{s:I, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:I, s:o,"
        " s:I, s:I}",
        "id", (json_int_t) ws_db_int (result, row, col), "fingerprint",
        PQgetvalue (result, row, col + 1), "kind",
        PQgetvalue (result, row, col + 2), "severity",
        PQgetvalue (result, row, col + 3), "from",
        ws_db_text (result, row, col + 4), "to",
        ws_db_text (result, row, col + 5), "summary",
        PQgetvalue (result, row, col + 6), "evidence",
        ws_db_json (result, row, col + 7), "goal",
        ws_db_text (result, row, col + 8), "campaign",
        ws_db_text (result, row, col + 9), "series", series, "created_at",
        (json_int_t) ws_db_int (result, row, col + 12), "labels", labels,
        "hook_id", (json_int_t) ws_db_int (result, row, col + 14), "goal_id",
        (json_int_t) ws_db_int (result, row, col + 15));
    if (!alert)
        abort ();
    return alert;
}

json_t *
ws_db_load_hooks (ws_db_t *self, ws_err_t *err)
{
    PGresult *result =
        ws_db_exec (self, "SELECT id, name, def::text FROM hooks ORDER BY name",
                    0, NULL, PGRES_TUPLES_OK, "loading hooks", err);
    if (!result)
        return NULL;
    json_t *hooks = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            hooks, json_pack ("{s:I, s:s, s:o}", "id",
                              (json_int_t) ws_db_int (result, row, 0), "name",
                              PQgetvalue (result, row, 1), "def",
                              ws_db_json (result, row, 2)));
    PQclear (result);
    return hooks;
}

json_t *
ws_db_unrouted_alerts (ws_db_t *self, int limit, ws_err_t *err)
{
    char limit_text[16];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    const char *params[] = {limit_text};
    PGresult *result =
        ws_db_exec (self,
                    "SELECT " S_ALERT_COLUMNS " FROM alerts a" S_ALERT_JOINS
                    " WHERE a.routed_at IS NULL ORDER BY a.id LIMIT $1::int",
                    1, params, PGRES_TUPLES_OK, "reading alerts to route", err);
    if (!result)
        return NULL;
    json_t *alerts = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (alerts, s_alert (result, row, 0));
    PQclear (result);
    return alerts;
}

int
ws_db_route_alerts (ws_db_t *self, const int64_t *alerts,
                    const int64_t *silenced_by, size_t count,
                    const int64_t *pair_alerts, const int64_t *pair_hooks,
                    size_t pairs, int64_t *created, ws_err_t *err)
{
    char *texts[] = {
        ws_db_id_array (pair_alerts, pairs), ws_db_id_array (pair_hooks, pairs),
        ws_db_id_array (alerts, count), ws_db_id_array (silenced_by, count)};
    const char *params[] = {texts[0], texts[1], texts[2], texts[3]};
    //  One statement: the deliveries and the mark go in together.
    PGresult *result = ws_db_exec (
        self,
        "WITH ins AS (INSERT INTO deliveries (alert_id, hook_id,"
        " idempotency_key) SELECT p.a, p.h, gen_random_uuid()::text FROM"
        " unnest($1::bigint[], $2::bigint[]) AS p (a, h) WHERE EXISTS (SELECT"
        " 1 FROM hooks WHERE id = p.h) ON CONFLICT (alert_id, hook_id) DO"
        " NOTHING RETURNING 1), mark AS (UPDATE alerts SET routed_at ="
        " now(), silenced_by = m.s FROM unnest($3::bigint[], $4::bigint[]) AS"
        " m (a, s) WHERE alerts.id = m.a RETURNING 1) SELECT (SELECT count(*)"
        " FROM ins), (SELECT count(*) FROM mark)",
        4, params, PGRES_TUPLES_OK, "routing alerts", err);
    for (size_t i = 0; i < 4; i++)
        free (texts[i]);
    if (!result)
        return -1;
    if (created)
        *created = ws_db_int (result, 0, 0);
    PQclear (result);
    return 0;
}

json_t *
ws_db_take_deliveries (ws_db_t *self, int limit, int64_t lease_ms,
                       ws_err_t *err)
{
    char limit_text[16], lease_text[24];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    snprintf (lease_text, sizeof lease_text, "%" PRId64, lease_ms);
    const char *params[] = {limit_text, lease_text};
    PGresult *result = ws_db_exec (
        self,
        "WITH due AS (UPDATE deliveries d SET state = 'sending', attempts ="
        " d.attempts + 1, next_attempt_at = now() + $2::bigint * interval '1"
        " millisecond', last_attempt_at = now(), updated_at = now() FROM"
        " (SELECT id FROM deliveries WHERE state IN ('pending', 'sending',"
        " 'failed') AND next_attempt_at <= now() ORDER BY next_attempt_at"
        " LIMIT $1::int FOR UPDATE SKIP LOCKED) x WHERE d.id = x.id RETURNING"
        " d.id, d.idempotency_key, d.attempts, d.hook_id, d.alert_id,"
        " d.created_at, d.last_error, d.last_status) SELECT due.id,"
        " due.idempotency_key, due.attempts, due.hook_id, (extract(epoch FROM"
        " due.created_at) * 1000)::bigint, due.last_error, "
        "due.last_status, " S_ALERT_COLUMNS
        " FROM due JOIN alerts a ON a.id = due.alert_id" S_ALERT_JOINS
        " ORDER BY due.id",
        2, params, PGRES_TUPLES_OK, "taking due deliveries", err);
    if (!result)
        return NULL;
    json_t *taken = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            taken,
            json_pack ("{s:I, s:s, s:i, s:I, s:I, s:o, s:o, s:o}", "id",
                       (json_int_t) ws_db_int (result, row, 0), "key",
                       PQgetvalue (result, row, 1), "attempts",
                       (int) ws_db_int (result, row, 2), "hook_id",
                       (json_int_t) ws_db_int (result, row, 3), "created_at",
                       (json_int_t) ws_db_int (result, row, 4), "last_error",
                       ws_db_text (result, row, 5), "last_status",
                       PQgetisnull (result, row, 6)
                           ? json_null ()
                           : json_integer (ws_db_int (result, row, 6)),
                       "alert", s_alert (result, row, 7)));
    PQclear (result);
    return taken;
}

int
ws_db_delivery_outcomes (ws_db_t *self, json_t *outcomes, ws_err_t *err)
{
    if (json_array_size (outcomes) == 0)
        return 0;
    char *text = json_dumps (outcomes, JSON_COMPACT);
    if (!text)
        abort ();
    const char *params[] = {text};
    //  A success is recorded whatever attempt it answers (the receiver
    //  has it); a failure only for the newest attempt, so a late answer
    //  to an attempt given up on never overwrites a newer one. Nothing
    //  changes a delivered row. One statement for all the outcomes of a
    //  RESULT message.
    PGresult *result = ws_db_exec (
        self,
        "UPDATE deliveries d SET state = o->>'state', next_attempt_at = now()"
        " + coalesce ((o->>'retry_in_ms')::bigint, 0) * interval '1"
        " millisecond', last_status = (o->>'http_status')::int, last_error ="
        " o->>'error', response = o->>'response', updated_at = now(),"
        " delivered_at = CASE WHEN o->>'state' = 'delivered' THEN now() END"
        " FROM jsonb_array_elements($1::jsonb) AS x (o) WHERE d.id ="
        " (o->>'id')::bigint AND d.state <> 'delivered' AND (o->>'state' ="
        " 'delivered' OR d.attempts = (o->>'attempt')::int)",
        1, params, PGRES_COMMAND_OK, "recording deliveries", err);
    free (text);
    if (!result)
        return -1;
    int changed = atoi (PQcmdTuples (result));
    PQclear (result);
    return changed;
}

json_t *
ws_db_repeat_candidates (ws_db_t *self, ws_err_t *err)
{
    //  Per goal and hook, the newest delivery; a slip (or a repeat of
    //  one) is a candidate, as of the later of that delivery and the
    //  newest repeat made for the hook (a silenced repeat has none).
    PGresult *result = ws_db_exec (
        self,
        "WITH last AS (SELECT DISTINCT ON (a.goal_id, d.hook_id) a.goal_id,"
        " d.hook_id, a.kind, coalesce(a.repeat_of, a.id) AS root,"
        " d.created_at FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
        " WHERE a.goal_id IS NOT NULL AND a.kind <> 'test' ORDER BY"
        " a.goal_id, d.hook_id, d.created_at DESC) SELECT l.goal_id,"
        " l.hook_id, l.root, (extract(epoch FROM greatest(l.created_at,"
        " (SELECT max(r.created_at) FROM alerts r WHERE r.repeat_of = l.root"
        " AND r.hook_id = l.hook_id))) * 1000)::bigint, (SELECT count(*) FROM"
        " alerts r WHERE r.repeat_of = l.root AND r.hook_id = l.hook_id) FROM"
        " last l WHERE l.kind = 'slipped'",
        0, NULL, PGRES_TUPLES_OK, "finding goals to repeat", err);
    if (!result)
        return NULL;
    json_t *rows = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            rows, json_pack ("{s:I, s:I, s:I, s:I, s:I}", "goal_id",
                             (json_int_t) ws_db_int (result, row, 0), "hook_id",
                             (json_int_t) ws_db_int (result, row, 1), "root",
                             (json_int_t) ws_db_int (result, row, 2), "last",
                             (json_int_t) ws_db_int (result, row, 3), "repeats",
                             (json_int_t) ws_db_int (result, row, 4)));
    PQclear (result);
    return rows;
}

int64_t
ws_db_record_hook_alert (ws_db_t *self, json_t *alert, int64_t goal_id,
                         int64_t hook_id, int64_t repeat_of, ws_err_t *err)
{
    char goal[24], hook[24], repeat[24];
    snprintf (goal, sizeof goal, "%" PRId64, goal_id);
    snprintf (hook, sizeof hook, "%" PRId64, hook_id);
    snprintf (repeat, sizeof repeat, "%" PRId64, repeat_of);
    char *evidence =
        json_dumps (json_object_get (alert, "evidence"), JSON_COMPACT);
    if (!evidence)
        abort ();
    const char *params[] = {
        json_string_value (json_object_get (alert, "fingerprint")),
        json_string_value (json_object_get (alert, "kind")),
        goal_id ? goal : NULL,
        json_string_value (json_object_get (alert, "from")),
        json_string_value (json_object_get (alert, "to")),
        json_string_value (json_object_get (alert, "severity")),
        json_string_value (json_object_get (alert, "summary")),
        evidence,
        hook,
        repeat_of ? repeat : NULL};
    PGresult *result = ws_db_exec (
        self,
        "INSERT INTO alerts (fingerprint, kind, goal_id, from_state,"
        " to_state, severity, summary, evidence, hook_id, repeat_of) VALUES"
        " ($1, $2, $3::bigint, $4, $5, $6, $7, $8::jsonb, $9::bigint,"
        " $10::bigint) ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
        10, params, PGRES_TUPLES_OK, "recording a hook's alert", err);
    free (evidence);
    if (!result)
        return -1;
    int64_t id = PQntuples (result) ? ws_db_int (result, 0, 0) : 0;
    PQclear (result);
    return id;
}

json_t *
ws_db_delivery (ws_db_t *self, int64_t id, ws_err_t *err)
{
    char text[24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *params[] = {text};
    PGresult *result = ws_db_exec (
        self,
        "SELECT d.state, d.attempts, d.last_status, d.last_error, d.response,"
        " d.idempotency_key, h.name FROM deliveries d JOIN hooks h ON h.id ="
        " d.hook_id WHERE d.id = $1::bigint",
        1, params, PGRES_TUPLES_OK, "reading a delivery", err);
    if (!result)
        return NULL;
    json_t *row = json_null ();
    if (PQntuples (result))
        row = json_pack ("{s:s, s:i, s:o, s:o, s:o, s:s, s:s}", "state",
                         PQgetvalue (result, 0, 0), "attempts",
                         (int) ws_db_int (result, 0, 1), "last_status",
                         PQgetisnull (result, 0, 2)
                             ? json_null ()
                             : json_integer (ws_db_int (result, 0, 2)),
                         "last_error", ws_db_text (result, 0, 3), "response",
                         ws_db_text (result, 0, 4), "key",
                         PQgetvalue (result, 0, 5), "hook",
                         PQgetvalue (result, 0, 6));
    PQclear (result);
    return row;
}
