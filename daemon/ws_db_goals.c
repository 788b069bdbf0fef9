//  ws_db_goals - the goal side of the coordinator's database: goals with
//  their last evaluation, the series a goal reads, goal_progress
//  snapshots, and what 'watershed progress' and 'watershed goal' show.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_db_private.h"

static json_t *
s_number_or_null (PGresult *result, int row, int col)
{
    if (PQgetisnull (result, row, col))
        return json_null ();
    return json_real (strtod (PQgetvalue (result, row, col), NULL));
}

static json_t *
s_ms_or_null (PGresult *result, int row, int col)
{
    if (PQgetisnull (result, row, col))
        return json_null ();
    return json_integer (ws_db_int (result, row, col));
}

json_t *
ws_db_load_goals (ws_db_t *self, ws_err_t *err)
{
    PGresult *result = ws_db_exec (
        self,
        "SELECT g.id, g.name, g.def::text, c.name, p.evaluation::text FROM"
        " goals g LEFT JOIN campaigns c ON c.id = g.campaign_id LEFT JOIN"
        " LATERAL (SELECT evaluation FROM goal_progress WHERE goal_id = g.id"
        " ORDER BY evaluated_at DESC LIMIT 1) p ON true ORDER BY g.id",
        0, NULL, PGRES_TUPLES_OK, "loading goals", err);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            array, json_pack ("{s:I, s:s, s:o, s:o, s:o}", "id",
                              (json_int_t) ws_db_int (result, row, 0), "name",
                              PQgetvalue (result, row, 1), "def",
                              ws_db_json (result, row, 2), "campaign",
                              ws_db_text (result, row, 3), "last",
                              ws_db_json (result, row, 4)));
    PQclear (result);
    return array;
}

json_t *
ws_db_goal_series (ws_db_t *self, const char *metric, json_t *filter,
                   ws_err_t *err)
{
    json_t *lists = ws_db_goal_series_many (self, &metric, &filter, 1, err);
    json_t *list = json_incref (json_array_get (lists, 0));
    json_decref (lists);
    return list;
}

int64_t
ws_db_newest_sample (ws_db_t *self, const int64_t *ids, size_t count,
                     int64_t before_ms, ws_err_t *err)
{
    if (count == 0)
        return 0;
    int64_t *each = calloc (count, sizeof (int64_t));
    if (!each)
        abort ();
    int64_t newest = 0;
    if (ws_db_newest_many (self, ids, count, before_ms, each, err))
        newest = -1;
    for (size_t i = 0; newest >= 0 && i < count; i++)
        newest = each[i] > newest ? each[i] : newest;
    free (each);
    return newest;
}

int
ws_db_store_goal_progress_many (ws_db_t *self, json_t *rows, bool *stored,
                                ws_err_t *err)
{
    size_t count = json_array_size (rows);
    memset (stored, 0, count * sizeof *stored);
    if (count == 0)
        return 0;
    char *text = json_dumps (rows, JSON_COMPACT);
    if (!text)
        abort ();
    const char *params[] = {text};
    //  The columns repeat the evaluation's fields for queries; a goal
    //  deleted by an apply meanwhile stores nothing. One statement for
    //  a RESULT's evaluations: a round trip each was most of the time
    //  from a slip to its alert when many goals slip at once.
    PGresult *result = ws_db_exec (
        self,
        "INSERT INTO goal_progress (goal_id, evaluated_at, as_of, status,"
        " reported_status, current, progress, expected_progress, projected,"
        " projected_low, projected_high, required_rate, actual_rate, n,"
        " evaluation) SELECT (r->>'goal_id')::bigint, timestamptz 'epoch' +"
        " (r->>'evaluated_at')::bigint * interval '1 millisecond',"
        " timestamptz 'epoch' + (r->>'as_of')::bigint * interval '1"
        " millisecond', e->>'status', coalesce (e->>'reported_status',"
        " e->>'status'), (e->>'current')::float8, (e->>'progress')::float8,"
        " (e->>'expected_progress')::float8, (e->>'projected')::float8,"
        " (e->>'projected_low')::float8, (e->>'projected_high')::float8,"
        " (e->>'required_rate')::float8, (e->>'actual_rate')::float8,"
        " coalesce ((e->>'n')::int, 0), e FROM (SELECT r, r->'evaluation' AS"
        " e FROM jsonb_array_elements($1::jsonb) AS x (r)) y WHERE EXISTS"
        " (SELECT 1 FROM goals WHERE id = (r->>'goal_id')::bigint) ON"
        " CONFLICT (goal_id, evaluated_at) DO NOTHING RETURNING goal_id,"
        " (extract(epoch FROM evaluated_at) * 1000)::bigint",
        1, params, PGRES_TUPLES_OK, "storing goals' progress", err);
    free (text);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples (result); row++) {
        int64_t goal = ws_db_int (result, row, 0);
        int64_t at = ws_db_int (result, row, 1);
        for (size_t i = 0; i < count; i++) {
            json_t *r = json_array_get (rows, i);
            if (!stored[i]
                && json_integer_value (json_object_get (r, "goal_id")) == goal
                && json_integer_value (json_object_get (r, "evaluated_at"))
                       == at) {
                stored[i] = true;
                break;
            }
        }
    }
    PQclear (result);
    return 0;
}

json_t *
ws_db_progress (ws_db_t *self, int64_t as_of, const char *campaign,
                const char *goal, ws_err_t *err)
{
    char of[24];
    snprintf (of, sizeof of, "%" PRId64, as_of);
    const char *params[] = {as_of ? of : NULL, campaign, goal};
    PGresult *result =
        ws_db_exec (self,
                    "SELECT g.name, c.name, g.def::text, (extract(epoch FROM "
                    "p.evaluated_at) * 1000)::bigint, p.evaluation::text FROM "
                    "goals g LEFT JOIN"
                    " campaigns c ON c.id = g.campaign_id LEFT JOIN"
                    " LATERAL (SELECT evaluated_at, evaluation FROM"
                    " goal_progress WHERE goal_id = g.id AND"
                    " ($1::bigint IS NULL OR evaluated_at <="
                    " timestamptz 'epoch' + $1::bigint * interval '1"
                    " millisecond') ORDER BY evaluated_at DESC LIMIT"
                    " 1) p ON true WHERE ($2::text IS NULL OR"
                    " c.name = $2) AND ($3::text IS NULL OR g.name"
                    " = $3) ORDER BY c.name NULLS LAST, g.name",
                    3, params, PGRES_TUPLES_OK, "reading goal progress", err);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            array, json_pack ("{s:s, s:o, s:o, s:o, s:o}", "goal",
                              PQgetvalue (result, row, 0), "campaign",
                              ws_db_text (result, row, 1), "def",
                              ws_db_json (result, row, 2), "evaluated_at",
                              s_ms_or_null (result, row, 3), "evaluation",
                              ws_db_json (result, row, 4)));
    PQclear (result);
    return array;
}

//  The campaign of a goal and its activities, into detail.
static int
s_campaign (ws_db_t *self, const char *campaign_id, json_t *detail,
            ws_err_t *err)
{
    const char *params[] = {campaign_id};
    PGresult *result = ws_db_exec (
        self,
        "SELECT name, objective, channel, (extract(epoch FROM start_at) * "
        "1000)::bigint, (extract(epoch FROM end_at) * 1000)::bigint, budget "
        "FROM campaigns WHERE id = $1::bigint",
        1, params, PGRES_TUPLES_OK, "reading a goal's campaign", err);
    if (!result)
        return -1;
    json_t *campaign = json_null ();
    if (PQntuples (result) == 1)
        campaign = json_pack ("{s:s, s:s, s:s, s:I, s:I, s:o}", "name",
                              PQgetvalue (result, 0, 0), "objective",
                              PQgetvalue (result, 0, 1), "channel",
                              PQgetvalue (result, 0, 2), "start",
                              (json_int_t) ws_db_int (result, 0, 3), "end",
                              (json_int_t) ws_db_int (result, 0, 4), "budget",
                              s_number_or_null (result, 0, 5));
    PQclear (result);
    json_object_set_new (detail, "campaign", campaign);
    result = ws_db_exec (self,
                         "SELECT kind, (extract(epoch FROM at) * "
                         "1000)::bigint, note, segment::text FROM activities"
                         " WHERE campaign_id = $1::bigint ORDER BY"
                         " at, id",
                         1, params, PGRES_TUPLES_OK,
                         "reading a campaign's activities", err);
    if (!result)
        return -1;
    json_t *activities = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            activities, json_pack ("{s:s, s:I, s:s, s:o}", "kind",
                                   PQgetvalue (result, row, 0), "at",
                                   (json_int_t) ws_db_int (result, row, 1),
                                   "note", PQgetvalue (result, row, 2),
                                   "segment", ws_db_json (result, row, 3)));
    PQclear (result);
    json_object_set_new (detail, "activities", activities);
    return 0;
}

//  The goal's snapshots up to as_of, oldest first, at most limit.
static int
s_history (ws_db_t *self, const char *goal_id, int64_t as_of, json_t *detail,
           ws_err_t *err)
{
    char of[24];
    snprintf (of, sizeof of, "%" PRId64, as_of);
    const char *params[] = {goal_id, as_of ? of : NULL};
    PGresult *result = ws_db_exec (
        self,
        "SELECT * FROM (SELECT (extract(epoch FROM evaluated_at) * "
        "1000)::bigint AS at, status, reported_status, current,"
        " progress, expected_progress, projected,"
        " projected_low, projected_high, evaluation::text"
        " FROM goal_progress WHERE goal_id = $1::bigint"
        " AND ($2::bigint IS NULL OR evaluated_at <="
        " timestamptz 'epoch' + $2::bigint * interval '1"
        " millisecond') ORDER BY evaluated_at DESC LIMIT"
        " 1000) h ORDER BY at",
        2, params, PGRES_TUPLES_OK, "reading a goal's history", err);
    if (!result)
        return -1;
    json_t *history = json_array ();
    int rows = PQntuples (result);
    for (int row = 0; row < rows; row++) {
        json_t *item =
            json_pack ("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
                       "evaluated_at", (json_int_t) ws_db_int (result, row, 0),
                       "status", PQgetvalue (result, row, 1), "reported_status",
                       PQgetvalue (result, row, 2), "current",
                       s_number_or_null (result, row, 3), "progress",
                       s_number_or_null (result, row, 4), "expected_progress",
                       s_number_or_null (result, row, 5), "projected",
                       s_number_or_null (result, row, 6), "projected_low",
                       s_number_or_null (result, row, 7), "projected_high",
                       s_number_or_null (result, row, 8));
        json_array_append_new (history, item);
    }
    json_object_set_new (detail, "history", history);
    json_object_set_new (detail, "evaluation",
                         rows ? ws_db_json (result, rows - 1, 9)
                              : json_null ());
    json_object_set_new (detail, "evaluated_at",
                         rows ? json_integer (ws_db_int (result, rows - 1, 0))
                              : json_null ());
    PQclear (result);
    return 0;
}

json_t *
ws_db_goal_detail (ws_db_t *self, const char *name, int64_t as_of,
                   ws_err_t *err)
{
    const char *params[] = {name};
    PGresult *result =
        ws_db_exec (self,
                    "SELECT id, def::text, campaign_id FROM goals WHERE name"
                    " = $1",
                    1, params, PGRES_TUPLES_OK, "reading a goal", err);
    if (!result)
        return NULL;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return json_null ();
    }
    char id[24];
    snprintf (id, sizeof id, "%" PRId64, ws_db_int (result, 0, 0));
    json_t *detail =
        json_pack ("{s:I, s:s, s:o}", "goal_id", (json_int_t) atoll (id),
                   "goal", name, "def", ws_db_json (result, 0, 1));
    int rc = 0;
    if (PQgetisnull (result, 0, 2)) {
        json_object_set_new (detail, "campaign", json_null ());
        json_object_set_new (detail, "activities", json_array ());
    }
    else
        rc = s_campaign (self, PQgetvalue (result, 0, 2), detail, err);
    PQclear (result);
    if (rc || s_history (self, id, as_of, detail, err)) {
        json_decref (detail);
        return NULL;
    }
    return detail;
}

int
ws_db_record_goal_alerts (ws_db_t *self, json_t *alerts, bool *recorded,
                          ws_err_t *err)
{
    size_t count = json_array_size (alerts);
    memset (recorded, 0, count * sizeof *recorded);
    if (count == 0)
        return 0;
    char *text = json_dumps (alerts, JSON_COMPACT);
    if (!text)
        abort ();
    const char *params[] = {text};
    PGresult *result = ws_db_exec (
        self,
        "INSERT INTO alerts (fingerprint, kind, goal_id, from_state,"
        " to_state, severity, summary, evidence) SELECT a->>'fingerprint',"
        " a->>'kind', (a->>'goal_id')::bigint, a->>'from', a->>'to',"
        " a->>'severity', a->>'summary', a->'evidence' FROM"
        " jsonb_array_elements($1::jsonb) AS x (a) WHERE EXISTS (SELECT 1"
        " FROM goals WHERE id = (a->>'goal_id')::bigint) ON CONFLICT"
        " (fingerprint) DO NOTHING RETURNING fingerprint",
        1, params, PGRES_TUPLES_OK, "recording goals' alerts", err);
    free (text);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples (result); row++)
        for (size_t i = 0; i < count; i++)
            if (!recorded[i]
                && strcmp (json_string_value (json_object_get (
                               json_array_get (alerts, i), "fingerprint")),
                           PQgetvalue (result, row, 0))
                       == 0) {
                recorded[i] = true;
                break;
            }
    PQclear (result);
    return 0;
}

json_t *
ws_db_list_alerts (ws_db_t *self, int64_t id, const char *goal,
                   const char *kind, int64_t since, int64_t limit,
                   ws_err_t *err)
{
    char since_text[24], limit_text[24], id_text[24];
    snprintf (since_text, sizeof since_text, "%" PRId64, since);
    snprintf (limit_text, sizeof limit_text, "%" PRId64, limit);
    snprintf (id_text, sizeof id_text, "%" PRId64, id);
    const char *params[] = {goal, kind, since ? since_text : NULL, limit_text,
                            id ? id_text : NULL};
    PGresult *result = ws_db_exec (
        self,
        "SELECT a.id, (extract(epoch FROM a.created_at) * 1000)::bigint,"
        " a.kind, a.severity, g.name, s.metric, s.labels::text, a.from_state,"
        " a.to_state, a.summary, a.evidence::text, (SELECT"
        " coalesce(json_agg(json_build_object('hook', h.name, 'state',"
        " d.state, 'attempts', d.attempts, 'last_error', d.last_error,"
        " 'last_status', d.last_status, 'response', d.response,"
        " 'idempotency_key', d.idempotency_key, 'created_at', (extract(epoch"
        " FROM d.created_at) * 1000)::bigint, 'last_attempt_at',"
        " (extract(epoch FROM d.last_attempt_at) * 1000)::bigint,"
        " 'next_attempt_at', CASE WHEN d.state IN ('pending', 'failed',"
        " 'sending') THEN (extract(epoch FROM d.next_attempt_at) *"
        " 1000)::bigint END, 'delivered_at', (extract(epoch FROM"
        " d.delivered_at) * 1000)::bigint) ORDER BY h.name), '[]')::text FROM"
        " deliveries d JOIN hooks h ON h.id = d.hook_id WHERE d.alert_id ="
        " a.id), a.silenced_by, a.repeat_of, a.routed_at IS NOT NULL FROM"
        " alerts a LEFT JOIN goals g ON g.id = a.goal_id LEFT JOIN series s"
        " ON s.id = a.series_id WHERE ($1::text IS NULL OR g.name = $1) AND"
        " ($2::text IS NULL OR a.kind = $2) AND ($3::bigint IS NULL OR"
        " a.created_at >= timestamptz 'epoch' + $3::bigint * interval '1"
        " millisecond') AND ($5::bigint IS NULL OR a.id = $5::bigint) ORDER"
        " BY a.id DESC LIMIT $4::bigint",
        5, params, PGRES_TUPLES_OK, "listing alerts", err);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++) {
        json_t *series = json_null ();
        if (!PQgetisnull (result, row, 5))
            series =
                json_pack ("{s:s, s:o}", "metric", PQgetvalue (result, row, 5),
                           "labels", ws_db_json (result, row, 6));
        json_array_append_new (
            array,
            json_pack ("{s:I, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o,"
                       " s:o, s:o, s:o, s:b}",
                       "id", (json_int_t) ws_db_int (result, row, 0),
                       "created_at", (json_int_t) ws_db_int (result, row, 1),
                       "kind", PQgetvalue (result, row, 2), "severity",
                       PQgetvalue (result, row, 3), "goal",
                       ws_db_text (result, row, 4), "series", series, "from",
                       ws_db_text (result, row, 7), "to",
                       ws_db_text (result, row, 8), "summary",
                       PQgetvalue (result, row, 9), "evidence",
                       ws_db_json (result, row, 10), "deliveries",
                       ws_db_json (result, row, 11), "silenced_by",
                       s_ms_or_null (result, row, 12), "repeat_of",
                       s_ms_or_null (result, row, 13), "routed",
                       PQgetvalue (result, row, 14)[0] == 't'));
    }
    PQclear (result);
    return array;
}

int64_t
ws_db_silence_add (ws_db_t *self, json_t *silence, ws_err_t *err)
{
    char until[24];
    snprintf (until, sizeof until, "%" JSON_INTEGER_FORMAT,
              json_integer_value (json_object_get (silence, "until")));
    json_t *labels = json_object_get (silence, "labels");
    char *labels_text = labels ? json_dumps (labels, JSON_COMPACT) : NULL;
    const char *params[] = {
        json_string_value (json_object_get (silence, "goal")),
        json_string_value (json_object_get (silence, "campaign")), labels_text,
        until, json_string_value (json_object_get (silence, "reason"))};
    PGresult *result = ws_db_exec (
        self,
        "INSERT INTO silences (goal, campaign, labels, until, reason) VALUES"
        " ($1, $2, $3::jsonb, timestamptz 'epoch' + $4::bigint * interval '1"
        " millisecond', $5) RETURNING id",
        5, params, PGRES_TUPLES_OK, "adding a silence", err);
    free (labels_text);
    if (!result)
        return -1;
    int64_t id = ws_db_int (result, 0, 0);
    PQclear (result);
    return id;
}

json_t *
ws_db_silences (ws_db_t *self, bool all, ws_err_t *err)
{
    const char *params[] = {all ? "t" : "f"};
    PGresult *result = ws_db_exec (
        self,
        "SELECT id, goal, campaign, labels::text, (extract(epoch FROM until) *"
        " 1000)::bigint, reason, (extract(epoch FROM created_at) *"
        " 1000)::bigint, until > now() FROM silences WHERE $1::boolean OR"
        " until > now() ORDER BY id",
        1, params, PGRES_TUPLES_OK, "listing silences", err);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            array, json_pack ("{s:I, s:o, s:o, s:o, s:I, s:s, s:I, s:b}", "id",
                              (json_int_t) ws_db_int (result, row, 0), "goal",
                              ws_db_text (result, row, 1), "campaign",
                              ws_db_text (result, row, 2), "labels",
                              ws_db_json (result, row, 3), "until",
                              (json_int_t) ws_db_int (result, row, 4), "reason",
                              PQgetvalue (result, row, 5), "created_at",
                              (json_int_t) ws_db_int (result, row, 6), "active",
                              PQgetvalue (result, row, 7)[0] == 't'));
    PQclear (result);
    return array;
}

int
ws_db_silence_expire (ws_db_t *self, int64_t id, ws_err_t *err)
{
    char text[24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *params[] = {text};
    PGresult *result = ws_db_exec (
        self,
        "UPDATE silences SET until = least (until, now()) WHERE id ="
        " $1::bigint",
        1, params, PGRES_COMMAND_OK, "expiring a silence", err);
    if (!result)
        return -1;
    int found = atoi (PQcmdTuples (result));
    PQclear (result);
    return found;
}

json_t *
ws_db_goal_series_many (ws_db_t *self, const char *const *metrics,
                        json_t *const *filters, size_t count, ws_err_t *err)
{
    //  Two text[] parameters, built by jansson: a JSON array of strings
    //  is not a PostgreSQL array literal, so pass them as one jsonb.
    json_t *pairs = json_array ();
    for (size_t i = 0; i < count; i++)
        //  "O" keeps the caller's filter; a goal without labels gets a
        //  fresh {} that the pair takes ("o").
        json_array_append_new (
            pairs, json_is_object (filters[i])
                       ? json_pack ("[s, O]", metrics[i], filters[i])
                       : json_pack ("[s, o]", metrics[i], json_object ()));
    char *text = json_dumps (pairs, JSON_COMPACT);
    json_decref (pairs);
    if (!text)
        abort ();
    const char *params[] = {text};
    PGresult *result = ws_db_exec (
        self,
        "SELECT p.i - 1, s.id, s.type, s.source_id, s.labels::text FROM"
        " jsonb_array_elements($1::jsonb) WITH ORDINALITY AS p (e, i) JOIN"
        " series s ON s.metric = p.e->>0 AND s.labels @> (p.e->1) ORDER BY"
        " p.i, s.id",
        1, params, PGRES_TUPLES_OK, "finding goals' series", err);
    free (text);
    if (!result)
        return NULL;
    json_t *lists = json_array ();
    for (size_t i = 0; i < count; i++)
        json_array_append_new (lists, json_array ());
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            json_array_get (lists, (size_t) ws_db_int (result, row, 0)),
            json_pack ("{s:I, s:s, s:I, s:o}", "id",
                       (json_int_t) ws_db_int (result, row, 1), "type",
                       PQgetvalue (result, row, 2), "source_id",
                       (json_int_t) ws_db_int (result, row, 3), "labels",
                       ws_db_json (result, row, 4)));
    PQclear (result);
    return lists;
}

int
ws_db_rollup_many (ws_db_t *self, const int64_t *ids, const int64_t *froms,
                   size_t count, int64_t step_ms, ws_db_rollup_t *out,
                   ws_err_t *err)
{
    char *id_text = ws_db_id_array (ids, count);
    //  (ws_db_id_array writes 0 as NULL: a from of the epoch itself
    //  becomes 1 ms after it, the same day.)
    int64_t *nonzero = calloc (count + 1, sizeof (int64_t));
    if (!nonzero)
        abort ();
    for (size_t i = 0; i < count; i++)
        nonzero[i] = froms[i] ? froms[i] : 1;
    char *from_text = ws_db_id_array (nonzero, count);
    free (nonzero);
    char step[24];
    snprintf (step, sizeof step, "%" PRId64, step_ms);
    const char *params[] = {id_text, from_text, step};
    //  ws_db_rollup's statement for each (series, from) pair at once.
    PGresult *result = ws_db_exec (
        self,
        "SELECT r.i - 1, s.type, (extract(epoch FROM q.b) * 1000)::bigint,"
        " q.v FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS r"
        " (id, from_ms, i) JOIN series s ON s.id = r.id LEFT JOIN LATERAL"
        " (SELECT date_bin($3::bigint * interval '1 millisecond', ts,"
        " timestamptz 'epoch') AS b, (array_agg(value ORDER BY ts DESC))[1]"
        " AS v FROM samples WHERE series_id = r.id AND ts >= timestamptz"
        " 'epoch' + r.from_ms * interval '1 ms' GROUP BY 1) q ON true ORDER"
        " BY r.i, q.b",
        3, params, PGRES_TUPLES_OK, "rolling up goals' series", err);
    free (id_text);
    free (from_text);
    if (!result)
        return -1;
    int rows = PQntuples (result);
    memset (out, 0, count * sizeof *out);
    for (size_t i = 0; i < count; i++)
        out[i].type = "gauge";
    //  Rows come grouped by pair: count first, then fill.
    for (int row = 0; row < rows; row++)
        if (!PQgetisnull (result, row, 2))
            out[ws_db_int (result, row, 0)].n++;
    for (size_t i = 0; i < count; i++) {
        out[i].t = calloc ((size_t) out[i].n + 1, sizeof (int64_t));
        out[i].x = calloc ((size_t) out[i].n + 1, sizeof (double));
        if (!out[i].t || !out[i].x)
            abort ();
        out[i].n = 0;
    }
    for (int row = 0; row < rows; row++) {
        ws_db_rollup_t *rollup = &out[ws_db_int (result, row, 0)];
        const char *type = PQgetvalue (result, row, 1);
        rollup->type = strcmp (type, "counter") == 0      ? "counter"
                       : strcmp (type, "per_period") == 0 ? "per_period"
                                                          : "gauge";
        if (PQgetisnull (result, row, 2))
            continue;
        rollup->t[rollup->n] = ws_db_int (result, row, 2);
        rollup->x[rollup->n] = strtod (PQgetvalue (result, row, 3), NULL);
        rollup->n++;
    }
    PQclear (result);
    return 0;
}

int
ws_db_newest_many (ws_db_t *self, const int64_t *ids, size_t count,
                   int64_t before_ms, int64_t *newest, ws_err_t *err)
{
    char *array = ws_db_id_array (ids, count);
    char before[24];
    snprintf (before, sizeof before, "%" PRId64, before_ms);
    const char *params[] = {array, before};
    PGresult *result = ws_db_exec (
        self,
        "SELECT r.i - 1, (extract(epoch FROM (SELECT max(ts) FROM samples"
        " WHERE series_id = r.id AND ts <= timestamptz 'epoch' + $2::bigint"
        " * interval '1 millisecond')) * 1000)::bigint FROM"
        " unnest($1::bigint[]) WITH ORDINALITY AS r (id, i)",
        2, params, PGRES_TUPLES_OK, "finding goals' newest samples", err);
    free (array);
    if (!result)
        return -1;
    memset (newest, 0, count * sizeof *newest);
    for (int row = 0; row < PQntuples (result); row++)
        newest[ws_db_int (result, row, 0)] = ws_db_int (result, row, 1);
    PQclear (result);
    return 0;
}
