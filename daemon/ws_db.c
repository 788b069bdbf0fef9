//  ws_db - the coordinator's PostgreSQL connection.
#include "ws_db.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_buf.h"
#include "ws_log.h"
#include "ws_migrate.h"
#include "ws_time.h"

struct _ws_db_t {
    char *conninfo;  //  owns; may hold a password: never logged
    PGconn *conn;    //  owns
    bool duplicate;  //  the last sample batch hit a stored sample
    bool row_error;  //  ... or refused a row (a data or constraint
                     //  error other than a duplicate)
};

//  Arrays for unnest() are sent as text literals: '{1,2,3}'. A batch of
//  tens of thousands of rows fits easily under the 1 GB parameter limit.
#define S_ARRAY_LIMIT (512u * 1024 * 1024)

ws_db_t *
ws_db_new (const char *conninfo)
{
    ws_db_t *self = calloc (1, sizeof *self);
    if (!self || !(self->conninfo = strdup (conninfo)))
        abort ();
    return self;
}

void
ws_db_destroy (ws_db_t **self_p)
{
    if (self_p && *self_p) {
        ws_db_t *self = *self_p;
        if (self->conn)
            PQfinish (self->conn);
        free (self->conninfo);
        free (self);
        *self_p = NULL;
    }
}

//  First line of the server's message, for an error text.
static const char *
s_pg_message (PGconn *conn, PGresult *result, char *out, size_t size)
{
    const char *text = result ? PQresultErrorMessage (result) : "";
    if (!text || !*text)
        text = PQerrorMessage (conn);
    snprintf (out, size, "%s", text && *text ? text : "unknown error");
    char *newline = strchr (out, '\n');
    if (newline)
        *newline = '\0';
    return out;
}

static int
s_fail (ws_db_t *self, PGresult *result, ws_err_t *err, const char *what)
{
    char message[200];
    s_pg_message (self->conn, result, message, sizeof message);
    if (result)
        PQclear (result);
    return ws_err_set (err, WS_ERR_DB, "database: %s: %s", what, message);
}

int
ws_db_connect (ws_db_t *self, ws_err_t *err)
{
    if (self->conn)
        PQfinish (self->conn);
    self->conn = PQconnectdb (self->conninfo);
    if (PQstatus (self->conn) != CONNECTION_OK) {
        char message[200];
        s_pg_message (self->conn, NULL, message, sizeof message);
        PQfinish (self->conn);
        self->conn = NULL;
        return ws_err_set (err, WS_ERR_DB, "database: cannot connect: %s",
                           message);
    }
    PGresult *result = PQexec (self->conn, "SET TIME ZONE 'UTC'");
    if (PQresultStatus (result) != PGRES_COMMAND_OK)
        return s_fail (self, result, err, "SET TIME ZONE");
    PQclear (result);
    return 0;
}

bool
ws_db_connected (ws_db_t *self)
{
    return self->conn && PQstatus (self->conn) == CONNECTION_OK;
}

int
ws_db_migrate (ws_db_t *self, ws_err_t *err)
{
    if (!ws_db_connected (self))
        return ws_err_set (err, WS_ERR_DB, "database: not connected");
    return ws_migrate_apply (self->conn, err);
}

//  Run a parameterised statement with text parameters; returns the
//  result when its status is the expected one, else NULL with *err.
static PGresult *
s_exec (ws_db_t *self, const char *sql, int count, const char *const *params,
        ExecStatusType expect, const char *what, ws_err_t *err)
{
    if (!ws_db_connected (self)) {
        ws_err_set (err, WS_ERR_DB, "database: not connected");
        return NULL;
    }
    PGresult *result =
        PQexecParams (self->conn, sql, count, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (result) != expect) {
        s_fail (self, result, err, what);
        return NULL;
    }
    return result;
}

static int
s_command (ws_db_t *self, const char *sql, const char *what, ws_err_t *err)
{
    PGresult *result = s_exec (self, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

int
ws_db_ensure_partitions (ws_db_t *self, int64_t now_ms, int months_ahead,
                         ws_err_t *err)
{
    for (int month = 0; month <= months_ahead; month++) {
        char date[40];
        ws_iso8601_format (now_ms, date, sizeof date);
        date[10] = '\0';  //  YYYY-MM-DD
        char param[64];
        snprintf (param, sizeof param, "%s", date);
        const char *params[] = {param, NULL};
        char months[16];
        snprintf (months, sizeof months, "%d", month);
        params[1] = months;
        PGresult *result = s_exec (
            self,
            "SELECT ws_ensure_partition(($1::date + make_interval(months =>"
            " $2::int))::date)",
            2, params, PGRES_TUPLES_OK, "creating a samples partition", err);
        if (!result)
            return -1;
        if (strcmp (PQgetvalue (result, 0, 0), "t") == 0)
            ws_notice ("database: created the samples partition for %s + %d "
                       "months",
                       date, month);
        PQclear (result);
    }
    return 0;
}

static int64_t
s_ms (PGresult *result, int row, int col)
{
    if (PQgetisnull (result, row, col))
        return 0;
    return strtoll (PQgetvalue (result, row, col), NULL, 10);
}

static json_t *
s_text_or_null (PGresult *result, int row, int col)
{
    return PQgetisnull (result, row, col)
               ? json_null ()
               : json_string (PQgetvalue (result, row, col));
}

static json_t *
s_json_or_null (PGresult *result, int row, int col)
{
    if (PQgetisnull (result, row, col))
        return json_null ();
    json_t *value = json_loads (PQgetvalue (result, row, col), 0, NULL);
    return value ? value : json_null ();
}

//  The helpers above for the other ws_db_*.c files (ws_db_private.h).
PGresult *
ws_db_exec (ws_db_t *self, const char *sql, int count,
            const char *const *params, ExecStatusType expect, const char *what,
            ws_err_t *err)
{
    return s_exec (self, sql, count, params, expect, what, err);
}

int64_t
ws_db_int (PGresult *result, int row, int col)
{
    return s_ms (result, row, col);
}

char *
ws_db_id_array (const int64_t *values, size_t count)
{
    ws_buf_t buf;
    ws_buf_init (&buf, 64 + count * 22);  //  "-9223372036854775808,"
    int rc = ws_buf_append (&buf, "{", 1);
    for (size_t i = 0; i < count && !rc; i++) {
        if (values[i])
            rc = ws_buf_printf (&buf, "%s%" PRId64, i ? "," : "", values[i]);
        else
            rc = ws_buf_printf (&buf, "%sNULL", i ? "," : "");
    }
    if (rc || ws_buf_append (&buf, "}", 2))
        abort ();
    return ws_buf_steal (&buf);
}

json_t *
ws_db_json (PGresult *result, int row, int col)
{
    return s_json_or_null (result, row, col);
}

json_t *
ws_db_text (PGresult *result, int row, int col)
{
    return s_text_or_null (result, row, col);
}

//  Times come back as integer milliseconds, (extract(epoch FROM ts) *
//  1000)::bigint, to spare parsing text; they go in as
//  timestamptz 'epoch' + ms * interval '1 ms'.
json_t *
ws_db_load_sources (ws_db_t *self, ws_err_t *err)
{
    PGresult *result = s_exec (
        self,
        "SELECT s.id, s.name, s.def::text, s.enabled,"
        " coalesce(h.failures, 0), (extract(epoch FROM h.next_due) *"
        " 1000)::bigint, (extract(epoch FROM h.last_tick) *"
        " 1000)::bigint, (extract(epoch FROM h.last_success) *"
        " 1000)::bigint, h.last_error, (extract(epoch FROM"
        " h.last_error_at) * 1000)::bigint, h.last_error_kind,"
        " h.last_values::text, coalesce(h.ticks_ok, 0),"
        " coalesce(h.ticks_failed, 0), (extract(epoch FROM"
        " h.accounted_before) * 1000)::bigint, (extract(epoch FROM CASE WHEN"
        " h.source_id IS NULL THEN s.created_at END) * 1000)::bigint"
        " FROM sources s LEFT JOIN"
        " source_health h ON h.source_id = s.id ORDER BY s.id",
        0, NULL, PGRES_TUPLES_OK, "loading sources", err);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++) {
        json_t *item = json_object ();
        json_object_set_new (item, "id", json_integer (s_ms (result, row, 0)));
        json_object_set_new (item, "name",
                             json_string (PQgetvalue (result, row, 1)));
        json_object_set_new (item, "def", s_json_or_null (result, row, 2));
        json_object_set_new (
            item, "enabled",
            json_boolean (strcmp (PQgetvalue (result, row, 3), "t") == 0));
        json_object_set_new (item, "failures",
                             json_integer (s_ms (result, row, 4)));
        static const char *times[] = {"next_due", "last_tick", "last_success"};
        for (int i = 0; i < 3; i++)
            json_object_set_new (item, times[i],
                                 json_integer (s_ms (result, row, 5 + i)));
        json_object_set_new (item, "last_error",
                             s_text_or_null (result, row, 8));
        json_object_set_new (item, "last_error_at",
                             json_integer (s_ms (result, row, 9)));
        json_object_set_new (item, "last_error_kind",
                             s_text_or_null (result, row, 10));
        json_object_set_new (item, "last_values",
                             s_json_or_null (result, row, 11));
        json_object_set_new (item, "ticks_ok",
                             json_integer (s_ms (result, row, 12)));
        json_object_set_new (item, "ticks_failed",
                             json_integer (s_ms (result, row, 13)));
        json_object_set_new (item, "accounted_before",
                             json_integer (s_ms (result, row, 14)));
        json_object_set_new (item, "created_at",
                             json_integer (s_ms (result, row, 15)));
        json_array_append_new (array, item);
    }
    PQclear (result);
    return array;
}

//  Append one element of a text array literal, quoted: "a\"b".
static int
s_array_text (ws_buf_t *buf, const char *text)
{
    if (buf->len > 1 && ws_buf_append (buf, ",", 1))
        return -1;
    if (!text)
        return ws_buf_append (buf, "NULL", 4);
    if (ws_buf_append (buf, "\"", 1))
        return -1;
    for (const char *p = text; *p; p++) {
        if ((*p == '"' || *p == '\\') && ws_buf_append (buf, "\\", 1))
            return -1;
        if (ws_buf_append (buf, p, 1))
            return -1;
    }
    return ws_buf_append (buf, "\"", 1);
}

static int
s_array_int (ws_buf_t *buf, int64_t value, bool null)
{
    if (buf->len > 1 && ws_buf_append (buf, ",", 1))
        return -1;
    if (null)
        return ws_buf_append (buf, "NULL", 4);
    char text[24];
    int len = snprintf (text, sizeof text, "%" PRId64, value);
    return ws_buf_append (buf, text, (size_t) len);
}

static int
s_array_double (ws_buf_t *buf, double value)
{
    if (buf->len > 1 && ws_buf_append (buf, ",", 1))
        return -1;
    char text[32];
    int len = snprintf (text, sizeof text, "%.17g", value);
    return ws_buf_append (buf, text, (size_t) len);
}

static void
s_array_open (ws_buf_t *buf)
{
    ws_buf_init (buf, S_ARRAY_LIMIT);
    ws_buf_append (buf, "{", 1);
}

static int
s_array_close (ws_buf_t *buf)
{
    return ws_buf_append (buf, "}", 1);
}

//  A report section: {"created": [], "updated": [], "unchanged": [],
//  "deleted": []}.
static json_t *
s_section (void)
{
    return json_pack ("{s:[], s:[], s:[], s:[]}", "created", "updated",
                      "unchanged", "deleted");
}

static void
s_section_add (json_t *section, const char *list, const char *name)
{
    json_array_append_new (json_object_get (section, list), json_string (name));
}

static int
s_apply_sources (ws_db_t *self, json_t *defs, bool prune, json_t *section,
                 ws_err_t *err)
{
    ws_buf_t names;
    s_array_open (&names);
    size_t index;
    json_t *def;
    int rc = 0;
    json_array_foreach (defs, index, def) {
        const char *name = json_string_value (json_object_get (def, "name"));
        char *text = json_dumps (def, JSON_COMPACT | JSON_SORT_KEYS);
        json_t *enabled = json_object_get (def, "enabled");
        int64_t interval_ms = 0;
        ws_duration_parse (
            json_string_value (json_object_get (def, "interval")), &interval_ms,
            NULL);
        char interval[24];
        snprintf (interval, sizeof interval, "%" PRId64, interval_ms);
        const char *params[] = {name, text, interval,
                                json_is_false (enabled) ? "f" : "t"};
        //  xmax = 0 tells an inserted row from an updated one; an update
        //  only happens when the definition changed.
        PGresult *result = s_exec (
            self,
            "INSERT INTO sources (name, def, interval_ms, enabled) VALUES"
            " ($1, $2::jsonb, $3::bigint, $4::boolean) ON CONFLICT (name)"
            " DO UPDATE SET def = excluded.def, interval_ms ="
            " excluded.interval_ms, enabled = excluded.enabled, updated_at"
            " = now() WHERE sources.def IS DISTINCT FROM excluded.def OR"
            " sources.enabled IS DISTINCT FROM excluded.enabled RETURNING"
            " id, (xmax = 0)",
            4, params, PGRES_TUPLES_OK, "applying a source", err);
        free (text);
        if (!result) {
            ws_err_prefix (err, "source '%s': ", name);
            ws_err_where (err, "/sources/%zu", index);
            rc = -1;
            break;
        }
        if (PQntuples (result) == 0)
            s_section_add (section, "unchanged", name);
        else if (strcmp (PQgetvalue (result, 0, 1), "t") == 0)
            s_section_add (section, "created", name);
        else
            s_section_add (section, "updated", name);
        PQclear (result);
        s_array_text (&names, name);
    }
    s_array_close (&names);
    if (rc == 0 && prune) {
        const char *params[] = {names.data};
        PGresult *result =
            s_exec (self,
                    "DELETE FROM sources WHERE NOT (name = ANY ($1::text[]))"
                    " RETURNING name",
                    1, params, PGRES_TUPLES_OK, "pruning sources", err);
        if (!result)
            rc = -1;
        else {
            for (int row = 0; row < PQntuples (result); row++)
                s_section_add (section, "deleted", PQgetvalue (result, row, 0));
            PQclear (result);
        }
    }
    ws_buf_free (&names);
    return rc;
}

//  Upsert one row of a kind by its key: look the row up (id and whether
//  def is the same), then insert, update or leave it. find takes the
//  key parameters and $N = def; insert and update take all params (the
//  update's last one is the id). *id gets the row's id.
typedef struct {
    const char *find, *insert, *update, *what;
} s_upsert_t;

static int
s_upsert (ws_db_t *self, const s_upsert_t *sql, int find_count, int count,
          const char **params, const char *name, json_t *section, int64_t *id,
          ws_err_t *err)
{
    PGresult *result = s_exec (self, sql->find, find_count, params,
                               PGRES_TUPLES_OK, sql->what, err);
    if (!result)
        return -1;
    const char *list = "created";
    char id_text[24] = "";
    if (PQntuples (result) > 0) {
        snprintf (id_text, sizeof id_text, "%s", PQgetvalue (result, 0, 0));
        list = strcmp (PQgetvalue (result, 0, 1), "t") == 0 ? "unchanged"
                                                            : "updated";
    }
    PQclear (result);
    if (strcmp (list, "unchanged") != 0) {
        const char *sql_text = sql->insert;
        if (*id_text) {
            params[count] = id_text;
            sql_text = sql->update;
        }
        result = s_exec (self, sql_text, *id_text ? count + 1 : count, params,
                         PGRES_TUPLES_OK, sql->what, err);
        if (!result)
            return -1;
        snprintf (id_text, sizeof id_text, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
    }
    *id = strtoll (id_text, NULL, 10);
    s_section_add (section, list, name);
    return 0;
}

//  Delete the rows of table whose ids are not in ids; the deleted rows'
//  labels (from the statement) go to the section.
static int
s_prune (ws_db_t *self, const char *sql, ws_buf_t *ids, json_t *section,
         const char *what, ws_err_t *err)
{
    const char *params[] = {ids->data};
    PGresult *result =
        s_exec (self, sql, 1, params, PGRES_TUPLES_OK, what, err);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples (result); row++)
        s_section_add (section, "deleted", PQgetvalue (result, row, 0));
    PQclear (result);
    return 0;
}

static void
s_ms_text (json_t *def, const char *key, char *out, size_t size)
{
    int64_t ms = 0;
    ws_iso8601_parse (json_string_value (json_object_get (def, key)), &ms,
                      NULL);
    snprintf (out, size, "%" PRId64, ms);
}

#define S_AT(n) "'epoch'::timestamptz + $" #n "::bigint * interval '1 ms'"

//  Scratch for one definition's parameters: texts that must live until
//  its statements ran.
typedef struct {
    const char *params[8];  //  s_upsert puts the id after the last one
    char label[200];        //  the name in reports and errors
    char text[4][32];
    char *owned[2];  //  freed after the statements
} s_row_t;

//  One kind of definition that 'apply' stores by name (or, for
//  activities, by campaign, kind, moment and note): its statements, and
//  how a definition becomes their parameters.
typedef struct {
    const char *noun;     //  "goal", in errors
    const char *section;  //  "goals", in pointers
    s_upsert_t sql;
    int find_count, count;
    const char *prune, *prune_what;
    //  Fill row (label first) for def, the index-th of its section; 0,
    //  or -1 with *err (its where set).
    int (*fill) (ws_db_t *self, json_t *def, size_t index, s_row_t *row,
                 ws_err_t *err);
} s_kind_t;

//  The id of a stored campaign, for a goal or activity at pointer where.
static int
s_campaign_id (ws_db_t *self, const char *name, const char *where, char *id,
               size_t size, ws_err_t *err)
{
    const char *params[] = {name};
    PGresult *result =
        s_exec (self, "SELECT id FROM campaigns WHERE name = $1", 1, params,
                PGRES_TUPLES_OK, "looking up a campaign", err);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        ws_err_set (err, WS_ERR_NOTFOUND,
                    "campaign '%s' is neither in the file nor stored", name);
        ws_err_where (err, "%s", where);
        return -1;
    }
    snprintf (id, size, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    return 0;
}

static int
s_fill_campaign (ws_db_t *self, json_t *def, size_t index, s_row_t *row,
                 ws_err_t *err)
{
    (void) self;
    (void) index;
    (void) err;
    const char *name = json_string_value (json_object_get (def, "name"));
    snprintf (row->label, sizeof row->label, "%s", name);
    row->owned[0] = json_dumps (def, JSON_COMPACT | JSON_SORT_KEYS);
    s_ms_text (def, "start", row->text[0], sizeof row->text[0]);
    s_ms_text (def, "end", row->text[1], sizeof row->text[1]);
    json_t *budget = json_object_get (def, "budget");
    if (budget)
        snprintf (row->text[2], sizeof row->text[2], "%.17g",
                  json_number_value (budget));
    const char *params[] = {
        name,
        row->owned[0],
        json_string_value (json_object_get (def, "objective")),
        json_string_value (json_object_get (def, "channel")),
        row->text[0],
        row->text[1],
        budget ? row->text[2] : NULL};
    memcpy (row->params, params, sizeof params);
    return 0;
}

static int
s_fill_goal (ws_db_t *self, json_t *def, size_t index, s_row_t *row,
             ws_err_t *err)
{
    const char *name = json_string_value (json_object_get (def, "name"));
    snprintf (row->label, sizeof row->label, "%s", name);
    const char *campaign =
        json_string_value (json_object_get (def, "campaign"));
    char where[64];
    snprintf (where, sizeof where, "/goals/%zu/campaign", index);
    if (campaign
        && s_campaign_id (self, campaign, where, row->text[0],
                          sizeof row->text[0], err))
        return -1;
    json_t *labels = json_object_get (def, "labels");
    row->owned[0] = json_dumps (def, JSON_COMPACT | JSON_SORT_KEYS);
    row->owned[1] =
        labels ? json_dumps (labels, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *params[] = {name, row->owned[0], campaign ? row->text[0] : NULL,
                            json_string_value (json_object_get (def, "metric")),
                            row->owned[1]};
    memcpy (row->params, params, sizeof params);
    return 0;
}

//  An activity's label in reports: "q1-eu email 2027-01-10T09:00:00Z".
static void
s_activity_label (json_t *def, char *out, size_t size)
{
    snprintf (out, size, "%s %s %s",
              json_string_value (json_object_get (def, "campaign")),
              json_string_value (json_object_get (def, "kind")),
              json_string_value (json_object_get (def, "at")));
}

static int
s_fill_activity (ws_db_t *self, json_t *def, size_t index, s_row_t *row,
                 ws_err_t *err)
{
    s_activity_label (def, row->label, sizeof row->label);
    char where[64];
    snprintf (where, sizeof where, "/activities/%zu/campaign", index);
    if (s_campaign_id (self,
                       json_string_value (json_object_get (def, "campaign")),
                       where, row->text[0], sizeof row->text[0], err))
        return -1;
    s_ms_text (def, "at", row->text[1], sizeof row->text[1]);
    json_t *segment = json_object_get (def, "segment");
    json_t *note = json_object_get (def, "note");
    row->owned[0] = json_dumps (def, JSON_COMPACT | JSON_SORT_KEYS);
    row->owned[1] =
        segment ? json_dumps (segment, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *params[] = {
        row->text[0],  json_string_value (json_object_get (def, "kind")),
        row->text[1],  note ? json_string_value (note) : "",
        row->owned[0], row->owned[1]};
    memcpy (row->params, params, sizeof params);
    return 0;
}

//  Hooks by name. Their "match" names campaigns and goals as text, not
//  by id: a hook may name a goal before it exists, and outlives one that
//  is pruned.
static int
s_fill_hook (ws_db_t *self, json_t *def, size_t index, s_row_t *row,
             ws_err_t *err)
{
    (void) self;
    (void) index;
    (void) err;
    const char *name = json_string_value (json_object_get (def, "name"));
    snprintf (row->label, sizeof row->label, "%s", name);
    row->owned[0] = json_dumps (def, JSON_COMPACT | JSON_SORT_KEYS);
    const char *params[] = {name, row->owned[0],
                            json_string_value (json_object_get (def, "type"))};
    memcpy (row->params, params, sizeof params);
    return 0;
}

static const s_kind_t s_campaigns = {
    "campaign",
    "campaigns",
    {"SELECT id, def = $2::jsonb FROM campaigns WHERE name = $1",
     "INSERT INTO campaigns (name, def, objective, channel, start_at,"
     " end_at, budget) VALUES ($1, $2::jsonb, $3, $4, " S_AT (5) ", " S_AT (
         6) ", $7::double precision) RETURNING id",
     "UPDATE campaigns SET name = $1, def = $2::jsonb, objective = $3,"
     " channel = $4, start_at = " S_AT (5) ", end_at = " S_AT (
         6) ", budget = $7::double precision, updated_at = now() WHERE id"
            " = $8::bigint RETURNING id",
     "applying a campaign"},
    2,
    7,
    "DELETE FROM campaigns WHERE NOT (id = ANY"
    " ($1::bigint[])) RETURNING name",
    "pruning campaigns",
    s_fill_campaign};

static const s_kind_t s_goals = {
    "goal",
    "goals",
    {"SELECT id, def = $2::jsonb AND campaign_id IS NOT DISTINCT FROM"
     " $3::bigint FROM goals WHERE name = $1",
     "INSERT INTO goals (name, def, campaign_id, metric, labels) VALUES"
     " ($1, $2::jsonb, $3::bigint, $4, $5::jsonb) RETURNING id",
     "UPDATE goals SET name = $1, def = $2::jsonb, campaign_id ="
     " $3::bigint, metric = $4, labels = $5::jsonb, updated_at = now()"
     " WHERE id = $6::bigint RETURNING id",
     "applying a goal"},
    3,
    5,
    "DELETE FROM goals WHERE NOT (id = ANY ($1::bigint[]))"
    " RETURNING name",
    "pruning goals",
    s_fill_goal};

static const s_kind_t s_activities = {
    "activity",
    "activities",
    {"SELECT id, def = $5::jsonb FROM activities WHERE campaign_id ="
     " $1::bigint AND kind = $2 AND at = " S_AT (3) " AND note = $4",
     "INSERT INTO activities (campaign_id, kind, at, note, def, segment)"
     " VALUES ($1::bigint, $2, " S_AT (
         3) ", $4, $5::jsonb, $6::jsonb) RETURNING id",
     "UPDATE activities SET campaign_id = $1::bigint, kind = $2, at "
     "= " S_AT (
         3) ", note = $4, def = $5::jsonb, segment = $6::jsonb, updated_at"
            " = now() WHERE id = $7::bigint RETURNING id",
     "applying an activity"},
    5,
    6,
    "DELETE FROM activities a USING campaigns c WHERE c.id ="
    " a.campaign_id AND NOT (a.id = ANY ($1::bigint[])) RETURNING"
    " c.name || ' ' || a.kind || ' ' || to_char(a.at AT TIME ZONE"
    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    "pruning activities",
    s_fill_activity};

static const s_kind_t s_hooks = {
    "hook",
    "hooks",
    {"SELECT id, def = $2::jsonb FROM hooks WHERE name = $1",
     "INSERT INTO hooks (name, def, type) VALUES ($1, $2::jsonb, $3)"
     " RETURNING id",
     "UPDATE hooks SET name = $1, def = $2::jsonb, type = $3, updated_at"
     " = now() WHERE id = $4::bigint RETURNING id",
     "applying a hook"},
    2,
    3,
    "DELETE FROM hooks WHERE NOT (id = ANY ($1::bigint[]))"
    " RETURNING name",
    "pruning hooks",
    s_fill_hook};

//  Store the definitions of one kind, each created, updated or left as it
//  is; with prune, delete the stored ones not among them.
static int
s_apply_kind (ws_db_t *self, const s_kind_t *kind, json_t *defs, bool prune,
              json_t *section, ws_err_t *err)
{
    ws_buf_t ids;
    s_array_open (&ids);
    size_t index;
    json_t *def;
    int rc = 0;
    json_array_foreach (defs, index, def) {
        s_row_t row;
        memset (&row, 0, sizeof row);
        int64_t id = 0;
        rc = kind->fill (self, def, index, &row, err);
        if (rc == 0) {
            rc = s_upsert (self, &kind->sql, kind->find_count, kind->count,
                           row.params, row.label, section, &id, err);
            if (rc)
                ws_err_where (err, "/%s/%zu", kind->section, index);
        }
        free (row.owned[0]);
        free (row.owned[1]);
        if (rc) {
            ws_err_prefix (err, "%s '%s': ", kind->noun, row.label);
            break;
        }
        s_array_int (&ids, id, false);
    }
    s_array_close (&ids);
    if (rc == 0 && prune)
        rc = s_prune (self, kind->prune, &ids, section, kind->prune_what, err);
    ws_buf_free (&ids);
    return rc;
}

int
ws_db_apply (ws_db_t *self, json_t *set, bool prune, bool dry_run,
             json_t **report, ws_err_t *err)
{
    *report = NULL;
    if (s_command (self, "BEGIN", "apply", err))
        return -1;
    //  Campaigns before goals and activities, which look them up (and
    //  after a prune of campaigns, find only the ones kept).
    static const char *kinds[] = {"sources", "campaigns", "goals", "activities",
                                  "hooks"};
    static const s_kind_t *const stored[] = {NULL, &s_campaigns, &s_goals,
                                             &s_activities, &s_hooks};
    json_t *sections = json_object ();
    int rc = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && rc == 0; k++) {
        json_t *section = s_section ();
        json_object_set_new (sections, kinds[k], section);
        json_t *defs = json_object_get (set, kinds[k]);
        if (defs)
            rc = stored[k]
                     ? s_apply_kind (self, stored[k], defs, prune, section, err)
                     : s_apply_sources (self, defs, prune, section, err);
    }
    if (rc == 0 && !dry_run)
        rc = s_command (self, "COMMIT", "apply", err);
    else {
        ws_err_t ignored;
        s_command (self, "ROLLBACK", "apply", &ignored);
    }
    if (rc) {
        json_decref (sections);
        return -1;
    }
    //  The sources' lists stay at the top level too, as before the other
    //  kinds existed.
    json_t *sources = json_object_get (sections, "sources");
    *report =
        json_pack ("{s:O, s:O, s:O, s:O, s:b}", "created",
                   json_object_get (sources, "created"), "updated",
                   json_object_get (sources, "updated"), "unchanged",
                   json_object_get (sources, "unchanged"), "deleted",
                   json_object_get (sources, "deleted"), "dry_run", dry_run);
    json_object_update (*report, sections);
    json_decref (sections);
    return 0;
}

int
ws_db_apply_sources (ws_db_t *self, json_t *defs, bool prune, bool dry_run,
                     json_t **report, ws_err_t *err)
{
    json_t *set = json_pack ("{s:O}", "sources", defs);
    int rc = ws_db_apply (self, set, prune, dry_run, report, err);
    json_decref (set);
    return rc;
}

int
ws_db_resolve_series (ws_db_t *self, size_t count, const char *const *metrics,
                      const char *const *labels, const char *const *types,
                      const int64_t *period_ms, const int64_t *source_ids,
                      int64_t *ids, ws_err_t *err)
{
    ws_buf_t arrays[5];
    for (int i = 0; i < 5; i++)
        s_array_open (&arrays[i]);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = s_array_text (&arrays[0], metrics[i])
             || s_array_text (&arrays[1], labels[i])
             || s_array_text (&arrays[2], types[i])
             || s_array_int (&arrays[3], period_ms[i], period_ms[i] <= 0)
             || s_array_int (&arrays[4], source_ids[i], source_ids[i] <= 0);
    for (int i = 0; i < 5; i++)
        rc = rc || s_array_close (&arrays[i]);
    if (rc) {
        for (int i = 0; i < 5; i++)
            ws_buf_free (&arrays[i]);
        return ws_err_set (err, WS_ERR_DB, "database: series batch too large");
    }
    const char *params[] = {arrays[0].data, arrays[1].data, arrays[2].data,
                            arrays[3].data, arrays[4].data};
    PGresult *result = s_exec (
        self,
        "INSERT INTO series (metric, labels, type, period_ms, source_id)"
        //  A source deleted since its samples were collected leaves
        //  its series without one, instead of failing the batch.
        " SELECT m, l, t, p, (SELECT id FROM sources WHERE id = u.s)"
        " FROM unnest($1::text[], $2::jsonb[], $3::text[],"
        " $4::bigint[], $5::bigint[]) AS u(m, l, t, p, s) ON CONFLICT"
        " (metric, labels) DO NOTHING",
        5, params, PGRES_COMMAND_OK, "creating series", err);
    if (result) {
        PQclear (result);
        result = s_exec (
            self,
            "SELECT u.ord, s.id FROM unnest($1::text[], $2::jsonb[]) WITH"
            " ORDINALITY AS u(m, l, ord) JOIN series s ON s.metric = u.m"
            " AND s.labels = u.l",
            2, params, PGRES_TUPLES_OK, "reading series ids", err);
    }
    for (int i = 0; i < 5; i++)
        ws_buf_free (&arrays[i]);
    if (!result)
        return -1;
    for (size_t i = 0; i < count; i++)
        ids[i] = 0;
    for (int row = 0; row < PQntuples (result); row++) {
        int64_t ord = s_ms (result, row, 0);
        if (ord >= 1 && (size_t) ord <= count)
            ids[ord - 1] = s_ms (result, row, 1);
    }
    PQclear (result);
    for (size_t i = 0; i < count; i++)
        if (ids[i] == 0)
            return ws_err_set (err, WS_ERR_DB,
                               "database: series '%s' %s was not created",
                               metrics[i], labels[i]);
    return 0;
}

//  Element type oids of the binary arrays below (pg_type.dat).
#define S_INT8_OID 20
#define S_FLOAT8_OID 701
#define S_TIMESTAMPTZ_OID 1184
#define S_INT8_ARRAY_OID 1016
#define S_FLOAT8_ARRAY_OID 1022
#define S_TIMESTAMPTZ_ARRAY_OID 1185
//  timestamptz counts microseconds from 2000-01-01 UTC.
#define S_PG_EPOCH_MS 946684800000LL

static char *
s_put32 (char *at, uint32_t value)
{
    for (int i = 3; i >= 0; i--)
        *at++ = (char) (value >> (i * 8));
    return at;
}

//  A one-dimensional array of 8-byte values in PostgreSQL's binary form
//  (array_recv): a header, then each element's length and big-endian
//  bytes. Nothing to print here or parse there for tens of thousands of
//  numbers. Caller frees; *len gets the size.
static char *
s_array_binary (uint32_t element_oid, const uint64_t *words, size_t count,
                int *len)
{
    size_t size = 20 + count * 12;
    char *data = malloc (size);
    if (!data)
        abort ();
    char *at = s_put32 (data, 1);  //  dimensions
    at = s_put32 (at, 0);          //  no nulls
    at = s_put32 (at, element_oid);
    at = s_put32 (at, (uint32_t) count);
    at = s_put32 (at, 1);  //  lower bound
    for (size_t i = 0; i < count; i++) {
        at = s_put32 (at, 8);
        at = s_put32 (at, (uint32_t) (words[i] >> 32));
        at = s_put32 (at, (uint32_t) words[i]);
    }
    *len = (int) size;
    return data;
}

//  The statement and binary parameters of a sample batch: three arrays
//  (caller frees params[0..2]).
#define S_INSERT_SAMPLES                                                       \
    "INSERT INTO samples (series_id, ts, value) SELECT * FROM"                 \
    " unnest($1::bigint[], $2::timestamptz[], $3::float8[])"
//  The same, skipping samples already stored: a re-sent batch.
#define S_INSERT_SAMPLES_AGAIN S_INSERT_SAMPLES " ON CONFLICT DO NOTHING"
//  The missed ticks of the batch go in the same statement (one
//  transaction); a source deleted meanwhile has none.
#define S_WITH_MISSED                                                          \
    "WITH missed AS (INSERT INTO missed_ticks (source_id, first_tick,"         \
    " last_tick, ticks, reason, error) SELECT u.s, timestamptz 'epoch' +"      \
    " u.f * interval '1 ms', timestamptz 'epoch' + u.l * interval '1 ms',"     \
    " u.n, u.r, u.e FROM unnest($4::bigint[], $5::bigint[], $6::bigint[],"     \
    " $7::int[], $8::text[], $9::text[]) AS u(s, f, l, n, r, e) JOIN sources"  \
    " ON sources.id = u.s ON CONFLICT DO NOTHING) "
#define S_INSERT_MISSED S_WITH_MISSED S_INSERT_SAMPLES
#define S_INSERT_MISSED_AGAIN S_WITH_MISSED S_INSERT_SAMPLES_AGAIN

static void
s_sample_params (size_t count, const int64_t *series, const int64_t *ts,
                 const double *values, char *params[3], int lengths[3])
{
    uint64_t *words = calloc (count + 1, sizeof (uint64_t));
    if (!words)
        abort ();
    for (size_t i = 0; i < count; i++)
        words[i] = (uint64_t) series[i];
    params[0] = s_array_binary (S_INT8_OID, words, count, &lengths[0]);
    for (size_t i = 0; i < count; i++)
        words[i] = (uint64_t) ((ts[i] - S_PG_EPOCH_MS) * 1000);
    params[1] = s_array_binary (S_TIMESTAMPTZ_OID, words, count, &lengths[1]);
    for (size_t i = 0; i < count; i++)
        memcpy (&words[i], &values[i], sizeof (uint64_t));
    params[2] = s_array_binary (S_FLOAT8_OID, words, count, &lengths[2]);
    free (words);
}

static const Oid s_sample_types[9] = {S_INT8_ARRAY_OID, S_TIMESTAMPTZ_ARRAY_OID,
                                      S_FLOAT8_ARRAY_OID};
static const int s_sample_formats[9] = {1, 1, 1};

//  The missed ticks as six text array literals into params[3..8].
static int
s_missed_params (size_t count, const ws_db_missed_t *missed, ws_buf_t arrays[6])
{
    for (int i = 0; i < 6; i++)
        s_array_open (&arrays[i]);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = s_array_int (&arrays[0], missed[i].source_id, false)
             || s_array_int (&arrays[1], missed[i].first_ms, false)
             || s_array_int (&arrays[2], missed[i].last_ms, false)
             || s_array_int (&arrays[3], missed[i].ticks, false)
             || s_array_text (&arrays[4], missed[i].reason)
             || s_array_text (&arrays[5], missed[i].error);
    for (int i = 0; i < 6; i++)
        rc = rc || s_array_close (&arrays[i]);
    return rc;
}

int
ws_db_insert_samples (ws_db_t *self, size_t count, const int64_t *series,
                      const int64_t *ts, const double *values,
                      size_t missed_count, const ws_db_missed_t *missed,
                      int64_t *inserted, ws_err_t *err)
{
    if (ws_db_send_samples (self, count, series, ts, values, missed_count,
                            missed, true, err))
        return -1;
    return ws_db_wait_samples (self, inserted, err);
}

int
ws_db_send_samples (ws_db_t *self, size_t count, const int64_t *series,
                    const int64_t *ts, const double *values,
                    size_t missed_count, const ws_db_missed_t *missed,
                    bool again, ws_err_t *err)
{
    if (!ws_db_connected (self))
        return ws_err_set (err, WS_ERR_DB, "database: not connected");
    if (count > S_ARRAY_LIMIT / 12)
        return ws_err_set (err, WS_ERR_DB, "database: sample batch too large");
    char *params[9] = {NULL};
    int lengths[9] = {0};
    ws_buf_t arrays[6];
    int nparams = missed_count ? 9 : 3;
    if (missed_count) {
        if (s_missed_params (missed_count, missed, arrays)) {
            for (int i = 0; i < 6; i++)
                ws_buf_free (&arrays[i]);
            return ws_err_set (err, WS_ERR_DB,
                               "database: missed ticks batch too large");
        }
        for (int i = 0; i < 6; i++)
            params[3 + i] = arrays[i].data;
    }
    s_sample_params (count, series, ts, values, params, lengths);
    //  One statement is one transaction: the batch lands whole or not at
    //  all, and a re-sent batch inserts nothing twice.
    self->duplicate = false;
    self->row_error = false;
    int sent = PQsendQueryParams (
        self->conn,
        missed_count ? (again ? S_INSERT_MISSED_AGAIN : S_INSERT_MISSED)
                     : (again ? S_INSERT_SAMPLES_AGAIN : S_INSERT_SAMPLES),
        nparams, s_sample_types, (const char *const *) params, lengths,
        s_sample_formats, 0);
    for (int i = 0; i < 3; i++)
        free (params[i]);
    if (missed_count)
        for (int i = 0; i < 6; i++)
            ws_buf_free (&arrays[i]);
    if (!sent)
        return s_fail (self, NULL, err, "inserting samples");
    return 0;
}

int64_t
ws_db_record_down_ticks (ws_db_t *self, size_t count, const int64_t *sources,
                         const int64_t *from_ms, const int64_t *to_ms,
                         const int64_t *step_ms, const char *why, ws_err_t *err)
{
    ws_buf_t arrays[4];
    for (int i = 0; i < 4; i++)
        s_array_open (&arrays[i]);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = s_array_int (&arrays[0], sources[i], false)
             || s_array_int (&arrays[1], from_ms[i], false)
             || s_array_int (&arrays[2], to_ms[i], false)
             || s_array_int (&arrays[3], step_ms[i], false);
    for (int i = 0; i < 4; i++)
        rc = rc || s_array_close (&arrays[i]);
    PGresult *result = NULL;
    if (rc)
        ws_err_set (err, WS_ERR_DB, "database: too many sources to account");
    else {
        const char *params[5] = {arrays[0].data, arrays[1].data, arrays[2].data,
                                 arrays[3].data, why};
        result = s_exec (
            self,
            "SELECT coalesce(sum(ws_record_down_ticks(u.s, timestamptz"
            " 'epoch' + u.f * interval '1 ms', timestamptz 'epoch' + u.t *"
            " interval '1 ms', u.st, $5)), 0)::bigint FROM"
            " unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])"
            " AS u(s, f, t, st) JOIN sources ON sources.id = u.s",
            5, params, PGRES_TUPLES_OK, "recording ticks not collected", err);
    }
    for (int i = 0; i < 4; i++)
        ws_buf_free (&arrays[i]);
    if (!result)
        return -1;
    int64_t recorded = s_ms (result, 0, 0);
    PQclear (result);
    return recorded;
}

bool
ws_db_duplicate (ws_db_t *self)
{
    return self->duplicate;
}

int64_t
ws_db_series_source (ws_db_t *self, int64_t series_id, ws_err_t *err)
{
    char id[24];
    snprintf (id, sizeof id, "%" PRId64, series_id);
    const char *params[] = {id};
    PGresult *result =
        s_exec (self,
                "SELECT coalesce (source_id, 0) FROM series WHERE id ="
                " $1::bigint",
                1, params, PGRES_TUPLES_OK, "finding a series' source", err);
    if (!result)
        return -1;
    int64_t source = PQntuples (result) ? s_ms (result, 0, 0) : 0;
    PQclear (result);
    return source;
}

bool
ws_db_row_error (ws_db_t *self)
{
    return self->row_error;
}

int
ws_db_socket (ws_db_t *self)
{
    return self->conn ? PQsocket (self->conn) : -1;
}

int
ws_db_flush_out (ws_db_t *self, ws_err_t *err)
{
    int rc = self->conn ? PQflush (self->conn) : -1;
    if (rc < 0)
        s_fail (self, NULL, err, "sending samples");
    return rc;
}

//  The outcome of the statement sent: every result read, the first
//  failure kept.
static int
s_take_results (ws_db_t *self, int64_t *inserted, ws_err_t *err)
{
    int rc = 0;
    PGresult *result;
    while ((result = PQgetResult (self->conn))) {
        if (rc == 0 && PQresultStatus (result) != PGRES_COMMAND_OK) {
            const char *state = PQresultErrorField (result, PG_DIAG_SQLSTATE);
            self->duplicate = state && strcmp (state, "23505") == 0;
            //  Classes 22 (data exception) and 23 (integrity constraint):
            //  a row's fault, not the connection's.
            self->row_error = state && !self->duplicate
                              && (strncmp (state, "22", 2) == 0
                                  || strncmp (state, "23", 2) == 0);
            rc = s_fail (self, result, err, "inserting samples");
            continue;  //  s_fail cleared it
        }
        if (rc == 0 && inserted)
            *inserted = strtoll (PQcmdTuples (result), NULL, 10);
        PQclear (result);
    }
    return rc;
}

int
ws_db_poll_samples (ws_db_t *self, int64_t *inserted, ws_err_t *err)
{
    if (!self->conn || !PQconsumeInput (self->conn))
        return s_fail (self, NULL, err, "inserting samples");
    if (PQisBusy (self->conn))
        return 1;
    return s_take_results (self, inserted, err);
}

int
ws_db_wait_samples (ws_db_t *self, int64_t *inserted, ws_err_t *err)
{
    if (!self->conn)
        return ws_err_set (err, WS_ERR_DB, "database: not connected");
    //  Blocking: whatever is left to send goes first.
    while (PQflush (self->conn) == 1)
        if (PQconsumeInput (self->conn) == 0)
            break;
    return s_take_results (self, inserted, err);
}

int
ws_db_set_nonblocking (ws_db_t *self, ws_err_t *err)
{
    if (!self->conn || PQsetnonblocking (self->conn, 1) != 0)
        return s_fail (self, NULL, err, "setting non-blocking mode");
    return 0;
}

ws_db_t *
ws_db_dup (ws_db_t *self)
{
    return ws_db_new (self->conninfo);
}

int
ws_db_write_health (ws_db_t *self, const ws_db_health_t *rows, size_t count,
                    ws_err_t *err)
{
    enum { COLUMNS = 12 };
    ws_buf_t arrays[COLUMNS];
    for (int i = 0; i < COLUMNS; i++)
        s_array_open (&arrays[i]);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const ws_db_health_t *row = &rows[i];
        rc =
            s_array_int (&arrays[0], row->source_id, false)
            || s_array_int (&arrays[1], row->failures, false)
            || s_array_int (&arrays[2], row->next_due, !row->next_due)
            || s_array_int (&arrays[3], row->last_tick, !row->last_tick)
            || s_array_int (&arrays[4], row->last_success, !row->last_success)
            || s_array_text (&arrays[5], row->last_error)
            || s_array_int (&arrays[6], row->last_error_at, !row->last_error_at)
            || s_array_text (&arrays[7], row->last_error_kind)
            || s_array_text (&arrays[8], row->last_values)
            || s_array_int (&arrays[9], row->ticks_ok, false)
            || s_array_int (&arrays[10], row->ticks_failed, false)
            || s_array_int (&arrays[11], row->accounted_before,
                            !row->accounted_before);
    }
    for (int i = 0; i < COLUMNS; i++)
        rc = rc || s_array_close (&arrays[i]);
    PGresult *result = NULL;
    if (rc)
        ws_err_set (err, WS_ERR_DB, "database: health batch too large");
    else {
        const char *params[COLUMNS];
        for (int i = 0; i < COLUMNS; i++)
            params[i] = arrays[i].data;
        //  Sources deleted since are skipped by the join.
        result = s_exec (
            self,
            "INSERT INTO source_health AS h (source_id, failures, next_due,"
            " last_tick, last_success, last_error, last_error_at,"
            " last_error_kind, last_values, ticks_ok, ticks_failed,"
            " accounted_before, updated_at) SELECT u.id, u.f, timestamptz"
            " 'epoch' + u.nd *"
            " interval '1 ms', timestamptz 'epoch' + u.lt * interval '1"
            " ms', timestamptz 'epoch' + u.ls * interval '1 ms', u.le,"
            " timestamptz 'epoch' + u.lea * interval '1 ms', u.lek, u.lv,"
            " u.tok, u.tf, timestamptz 'epoch' + u.ab * interval '1 ms',"
            " now() FROM unnest($1::bigint[], $2::int[],"
            " $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],"
            " $7::bigint[], $8::text[], $9::jsonb[], $10::bigint[],"
            " $11::bigint[], $12::bigint[]) AS u(id, f, nd, lt, ls, le, lea,"
            " lek, lv, tok, tf, ab) JOIN sources s ON s.id = u.id"
            " ON CONFLICT (source_id) DO"
            " UPDATE SET failures = excluded.failures, next_due ="
            " excluded.next_due, last_tick = excluded.last_tick,"
            " last_success = excluded.last_success, last_error ="
            " excluded.last_error, last_error_at = excluded.last_error_at,"
            " last_error_kind = excluded.last_error_kind, last_values ="
            " coalesce(excluded.last_values, h.last_values), ticks_ok ="
            " excluded.ticks_ok, ticks_failed = excluded.ticks_failed,"
            " accounted_before = coalesce(excluded.accounted_before,"
            " h.accounted_before), updated_at = now()",
            COLUMNS, params, PGRES_COMMAND_OK, "writing source health", err);
    }
    for (int i = 0; i < COLUMNS; i++)
        ws_buf_free (&arrays[i]);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

json_t *
ws_db_list_series (ws_db_t *self, const char *metric, ws_err_t *err)
{
    const char *params[] = {metric};
    PGresult *result =
        s_exec (self,
                "SELECT s.id, s.metric, s.labels::text, s.type, (SELECT"
                " count(*) FROM samples x WHERE x.series_id = s.id),"
                " (extract(epoch FROM (SELECT min(ts) FROM samples x WHERE"
                " x.series_id = s.id)) * 1000)::bigint, (extract(epoch FROM"
                " l.ts) * 1000)::bigint, l.value, src.name FROM series s LEFT"
                " JOIN LATERAL (SELECT ts, value FROM samples x   WHERE"
                " x.series_id = s.id ORDER BY ts DESC LIMIT 1) l ON true LEFT"
                " JOIN sources src ON src.id = s.source_id WHERE $1::text IS"
                " NULL OR s.metric = $1 ORDER BY s.metric, s.labels::text",
                1, params, PGRES_TUPLES_OK, "listing series", err);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++) {
        json_t *item = json_object ();
        json_object_set_new (item, "id", json_integer (s_ms (result, row, 0)));
        json_object_set_new (item, "metric",
                             json_string (PQgetvalue (result, row, 1)));
        json_object_set_new (item, "labels", s_json_or_null (result, row, 2));
        json_object_set_new (item, "type",
                             json_string (PQgetvalue (result, row, 3)));
        json_object_set_new (item, "samples",
                             json_integer (s_ms (result, row, 4)));
        json_object_set_new (item, "first",
                             PQgetisnull (result, row, 5)
                                 ? json_null ()
                                 : json_integer (s_ms (result, row, 5)));
        json_object_set_new (item, "last",
                             PQgetisnull (result, row, 6)
                                 ? json_null ()
                                 : json_integer (s_ms (result, row, 6)));
        json_object_set_new (
            item, "last_value",
            PQgetisnull (result, row, 7)
                ? json_null ()
                : json_real (strtod (PQgetvalue (result, row, 7), NULL)));
        json_object_set_new (item, "source", s_text_or_null (result, row, 8));
        json_array_append_new (array, item);
    }
    PQclear (result);
    return array;
}

json_t *
ws_db_query_samples (ws_db_t *self, const char *metric, json_t *filter,
                     int64_t from, int64_t to, int64_t limit, ws_err_t *err)
{
    char *labels = filter ? json_dumps (filter, JSON_COMPACT) : strdup ("{}");
    char from_text[24], to_text[24], limit_text[24];
    snprintf (from_text, sizeof from_text, "%" PRId64, from);
    snprintf (to_text, sizeof to_text, "%" PRId64, to);
    snprintf (limit_text, sizeof limit_text, "%" PRId64, limit);
    const char *params[] = {metric, labels, from ? from_text : NULL,
                            to ? to_text : NULL, limit_text};
    PGresult *result =
        s_exec (self,
                "SELECT labels, ms, value FROM ( SELECT s.labels::text AS"
                " labels, (extract(epoch FROM x.ts) * 1000)::bigint AS ms,"
                " x.value, x.ts, s.id FROM samples x JOIN series s ON s.id ="
                " x.series_id WHERE s.metric = $1 AND s.labels @> $2::jsonb AND"
                " ($3::bigint IS NULL OR x.ts >= timestamptz 'epoch' +"
                " $3::bigint   * interval '1 millisecond') AND ($4::bigint IS"
                " NULL OR x.ts <= timestamptz 'epoch' + $4::bigint   * interval"
                " '1 millisecond') ORDER BY x.ts DESC, s.id LIMIT $5::bigint)"
                " newest ORDER BY ts, id",
                5, params, PGRES_TUPLES_OK, "querying samples", err);
    free (labels);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (
            array, json_pack ("{s:o, s:I, s:f}", "labels",
                              s_json_or_null (result, row, 0), "ts",
                              (json_int_t) s_ms (result, row, 1), "value",
                              strtod (PQgetvalue (result, row, 2), NULL)));
    PQclear (result);
    return array;
}

int64_t
ws_db_count_series (ws_db_t *self, ws_err_t *err)
{
    PGresult *result = s_exec (self, "SELECT count(*) FROM series", 0, NULL,
                               PGRES_TUPLES_OK, "counting series", err);
    if (!result)
        return -1;
    int64_t count = s_ms (result, 0, 0);
    PQclear (result);
    return count;
}

long
ws_db_rollup (ws_db_t *self, int64_t series_id, int64_t from_ms,
              int64_t step_ms, int64_t **t, double **x, const char **type,
              ws_err_t *err)
{
    ws_db_rollup_t rollup;
    if (ws_db_rollup_many (self, &series_id, &from_ms, 1, step_ms, &rollup,
                           err))
        return -1;
    *t = rollup.t;
    *x = rollup.x;
    *type = rollup.type;
    return rollup.n;
}

long
ws_db_series_ids (ws_db_t *self, int64_t **ids, ws_err_t *err)
{
    PGresult *result =
        s_exec (self, "SELECT id FROM series ORDER BY id", 0, NULL,
                PGRES_TUPLES_OK, "listing series ids", err);
    if (!result)
        return -1;
    long rows = PQntuples (result);
    *ids = calloc ((size_t) rows + 1, sizeof (int64_t));
    if (!*ids)
        abort ();
    for (long row = 0; row < rows; row++)
        (*ids)[row] = s_ms (result, (int) row, 0);
    PQclear (result);
    return rows;
}

int
ws_db_store_trend (ws_db_t *self, int64_t series_id, int window_days,
                   int64_t step_ms, json_t *analysis, ws_err_t *err)
{
    char id_text[24], window_text[16], step_text[24];
    snprintf (id_text, sizeof id_text, "%" PRId64, series_id);
    snprintf (window_text, sizeof window_text, "%d", window_days);
    snprintf (step_text, sizeof step_text, "%" PRId64, step_ms);
    char *text = json_dumps (analysis, JSON_COMPACT);
    if (!text)
        return ws_err_set (err, WS_ERR_SYSTEM, "trend: cannot encode");
    const char *params[] = {id_text, window_text, step_text, text};
    //  Headline figures come out of the stored analysis, so they cannot
    //  disagree with it.
    PGresult *result =
        s_exec (self,
                "INSERT INTO trends AS t (series_id, window_days, step_ms, n,"
                " direction, mk_p, sen_slope, change_index, change_p, analysis,"
                " computed_at) SELECT $1::bigint, $2::int, $3::bigint,"
                " coalesce((a->>'n')::int, 0), a->>'direction',"
                " (a->'mann_kendall'->>'p')::float8,"
                " (a->'sen'->>'slope')::float8, (a->'pettitt'->>'index')::int,"
                " (a->'pettitt'->>'p')::float8, a, now() FROM (SELECT $4::jsonb"
                " AS a) x WHERE EXISTS (SELECT 1 FROM series WHERE id ="
                " $1::bigint) ON CONFLICT (series_id, window_days) DO UPDATE"
                " SET step_ms = excluded.step_ms, n = excluded.n, direction ="
                " excluded.direction, mk_p = excluded.mk_p, sen_slope ="
                " excluded.sen_slope, change_index = excluded.change_index,"
                " change_p = excluded.change_p, analysis = excluded.analysis,"
                " computed_at = now()",
                4, params, PGRES_COMMAND_OK, "storing a trend", err);
    free (text);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

static json_t *s_trend_row (PGresult *result, int row);

json_t *
ws_db_list_trends (ws_db_t *self, const char *metric, json_t *filter,
                   ws_err_t *err)
{
    char *labels = filter ? json_dumps (filter, JSON_COMPACT) : strdup ("{}");
    const char *params[] = {metric, labels};
    PGresult *result =
        s_exec (self,
                "SELECT s.metric, s.labels::text, t.window_days, (extract(epoch"
                " FROM t.computed_at) * 1000)::bigint, t.n, t.direction,"
                " t.mk_p, t.sen_slope, t.change_index, t.change_p,"
                " t.analysis::text, t.step_ms FROM trends t JOIN series s ON"
                " s.id = t.series_id WHERE ($1::text IS NULL OR s.metric = $1)"
                " AND s.labels @> $2::jsonb ORDER BY s.metric, s.labels::text,"
                " t.window_days",
                2, params, PGRES_TUPLES_OK, "listing trends", err);
    free (labels);
    if (!result)
        return NULL;
    json_t *array = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (array, s_trend_row (result, row));
    PQclear (result);
    return array;
}

static json_t *
s_trend_row (PGresult *result, int row)
{
    {
        json_t *item = json_object ();
        json_object_set_new (item, "metric",
                             json_string (PQgetvalue (result, row, 0)));
        json_object_set_new (item, "labels", s_json_or_null (result, row, 1));
        json_object_set_new (item, "window_days",
                             json_integer (s_ms (result, row, 2)));
        json_object_set_new (item, "computed_at",
                             json_integer (s_ms (result, row, 3)));
        json_object_set_new (item, "n", json_integer (s_ms (result, row, 4)));
        json_object_set_new (item, "direction",
                             s_text_or_null (result, row, 5));
        static const int reals[] = {6, 7, 9};
        static const char *names[] = {"mk_p", "sen_slope", "change_p"};
        for (int i = 0; i < 3; i++)
            json_object_set_new (
                item, names[i],
                PQgetisnull (result, row, reals[i])
                    ? json_null ()
                    : json_real (
                        strtod (PQgetvalue (result, row, reals[i]), NULL)));
        json_object_set_new (item, "change_index",
                             PQgetisnull (result, row, 8)
                                 ? json_null ()
                                 : json_integer (s_ms (result, row, 8)));
        json_object_set_new (item, "analysis",
                             s_json_or_null (result, row, 10));
        json_object_set_new (item, "step_ms",
                             json_integer (s_ms (result, row, 11)));
        return item;
    }
}

//  The columns s_trend_row reads, in its order.
#define S_TREND_SELECT                                                         \
    "SELECT s.metric, s.labels::text, t.window_days,"                          \
    " (extract(epoch FROM t.computed_at) * 1000)::bigint, t.n,"                \
    " t.direction, t.mk_p, t.sen_slope, t.change_index, t.change_p,"           \
    " t.analysis::text, t.step_ms"                                             \
    " FROM trends t JOIN series s ON s.id = t.series_id"

json_t *
ws_db_get_trend (ws_db_t *self, int64_t series_id, int window_days,
                 ws_err_t *err)
{
    char id_text[24], window_text[16];
    snprintf (id_text, sizeof id_text, "%" PRId64, series_id);
    snprintf (window_text, sizeof window_text, "%d", window_days);
    const char *params[] = {id_text, window_text};
    PGresult *result =
        s_exec (self,
                S_TREND_SELECT " WHERE t.series_id = $1::bigint"
                               " AND t.window_days = $2::int",
                2, params, PGRES_TUPLES_OK, "reading a trend", err);
    if (!result)
        return NULL;
    json_t *row = PQntuples (result) ? s_trend_row (result, 0) : json_null ();
    PQclear (result);
    return row;
}

int
ws_db_record_alert (ws_db_t *self, json_t *alert, int64_t series_id,
                    int window_days, int *recorded, ws_err_t *err)
{
    char id_text[24], window_text[16];
    snprintf (id_text, sizeof id_text, "%" PRId64, series_id);
    snprintf (window_text, sizeof window_text, "%d", window_days);
    char *evidence =
        json_dumps (json_object_get (alert, "evidence"), JSON_COMPACT);
    const char *params[] = {
        json_string_value (json_object_get (alert, "fingerprint")),
        json_string_value (json_object_get (alert, "kind")),
        id_text,
        window_text,
        json_string_value (json_object_get (alert, "from")),
        json_string_value (json_object_get (alert, "to")),
        json_string_value (json_object_get (alert, "severity")),
        json_string_value (json_object_get (alert, "summary")),
        evidence ? evidence : "{}"};
    PGresult *result =
        s_exec (self,
                "INSERT INTO alerts (fingerprint, kind, series_id, window_days,"
                " from_state, to_state, severity, summary, evidence) SELECT $1,"
                " $2, $3::bigint, $4::int, $5, $6, $7, $8, $9::jsonb WHERE"
                " EXISTS (SELECT 1 FROM series WHERE id = $3::bigint) ON"
                " CONFLICT (fingerprint) DO NOTHING",
                9, params, PGRES_COMMAND_OK, "recording an alert", err);
    free (evidence);
    if (!result)
        return -1;
    *recorded = atoi (PQcmdTuples (result));
    PQclear (result);
    return 0;
}

//  The series an import writes to, found or created inside the import's
//  transaction. 0, or -1 with *err (the caller rolls back).
static int
s_import_series (ws_db_t *self, const char *metric, const char *labels,
                 const char *type, int64_t period_ms, int64_t *id,
                 bool *created, char *stored_type, size_t type_size,
                 int64_t *stored_period, ws_err_t *err)
{
    char period_text[24];
    snprintf (period_text, sizeof period_text, "%" PRId64,
              period_ms ? period_ms : (int64_t) 86400000);
    const char *params[] = {metric, labels, type ? type : "gauge", period_text};
    //  period_ms only for per_period, as ws_source gives it.
    PGresult *result = s_exec (
        self,
        "INSERT INTO series (metric, labels, type, period_ms) VALUES ($1,"
        " $2::jsonb, $3, CASE WHEN $3 = 'per_period' THEN $4::bigint END) ON"
        " CONFLICT (metric, labels) DO NOTHING RETURNING id",
        4, params, PGRES_TUPLES_OK, "creating the series to import into", err);
    if (!result)
        return -1;
    *created = PQntuples (result) == 1;
    PQclear (result);
    result = s_exec (self,
                     "SELECT id, type, period_ms FROM series WHERE metric = $1"
                     " AND labels = $2::jsonb",
                     2, params, PGRES_TUPLES_OK,
                     "reading the series to import into", err);
    if (!result)
        return -1;
    if (PQntuples (result) != 1) {
        PQclear (result);
        return ws_err_set (err, WS_ERR_DB,
                           "database: series '%s' %s was not created", metric,
                           labels);
    }
    *id = s_ms (result, 0, 0);
    snprintf (stored_type, type_size, "%s", PQgetvalue (result, 0, 1));
    *stored_period = s_ms (result, 0, 2);
    PQclear (result);
    if (type && strcmp (type, stored_type) != 0) {
        ws_err_set (err, WS_ERR_INPUT,
                    "import: /type: series '%s' %s is a %s, the import says "
                    "%s (a series keeps its type)",
                    metric, labels, stored_type, type);
        ws_err_where (err, "/type");
        return -1;
    }
    if (period_ms && strcmp (stored_type, "per_period") != 0) {
        ws_err_set (err, WS_ERR_INPUT,
                    "import: /period_ms: series '%s' %s is a %s; only a "
                    "per_period series has a period",
                    metric, labels, stored_type);
        ws_err_where (err, "/period_ms");
        return -1;
    }
    if (period_ms && *stored_period && period_ms != *stored_period) {
        char want[32], have[32];
        ws_duration_format (period_ms, want, sizeof want);
        ws_duration_format (*stored_period, have, sizeof have);
        ws_err_set (err, WS_ERR_INPUT,
                    "import: /period_ms: series '%s' %s has a period of %s, "
                    "not %s",
                    metric, labels, have, want);
        ws_err_where (err, "/period_ms");
        return -1;
    }
    return 0;
}

int
ws_db_import (ws_db_t *self, const char *metric, json_t *labels,
              const char *type, int64_t period_ms, size_t count,
              const int64_t *ts, const double *values, bool dry_run,
              json_t **report, ws_err_t *err)
{
    *report = NULL;
    char *labels_text = json_dumps (labels, JSON_COMPACT | JSON_SORT_KEYS);
    if (!labels_text)
        return ws_err_set (err, WS_ERR_SYSTEM, "import: out of memory");
    ws_buf_t arrays[2];
    s_array_open (&arrays[0]);
    s_array_open (&arrays[1]);
    int rc = 0;
    int64_t from = count ? ts[0] : 0, to = from;
    for (size_t i = 0; i < count && rc == 0; i++) {
        rc = s_array_int (&arrays[0], ts[i], false)
             || s_array_double (&arrays[1], values[i]);
        from = ts[i] < from ? ts[i] : from;
        to = ts[i] > to ? ts[i] : to;
    }
    rc = rc || s_array_close (&arrays[0]) || s_array_close (&arrays[1]);
    if (rc) {
        ws_buf_free (&arrays[0]);
        ws_buf_free (&arrays[1]);
        free (labels_text);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "import: %zu rows: out of memory", count);
    }
    int64_t id = 0, stored_period = 0;
    bool created = false;
    char stored_type[16] = "";
    PGresult *result = NULL;
    rc = s_command (self, "BEGIN", "import", err)
         || s_import_series (self, metric, labels_text, type, period_ms, &id,
                             &created, stored_type, sizeof stored_type,
                             &stored_period, err);
    if (rc == 0) {
        char id_text[24];
        snprintf (id_text, sizeof id_text, "%" PRId64, id);
        const char *params[] = {id_text, arrays[0].data, arrays[1].data};
        //  Every part of one statement sees the table as it was before
        //  the statement, so "before" counts what the upsert will find:
        //  no row (inserted) or a row with another value (updated).
        result = s_exec (
            self,
            "WITH u AS (SELECT timestamptz 'epoch' + t * interval '1"
            " millisecond' AS ts, v FROM unnest($2::bigint[], $3::float8[])"
            " AS u(t, v)), before AS (SELECT count(*) FILTER (WHERE x.value"
            " IS NULL) AS fresh, count(*) FILTER (WHERE x.value <> u.v) AS"
            " changed FROM u LEFT JOIN samples x ON x.series_id = $1::bigint"
            " AND x.ts = u.ts), w AS (INSERT INTO samples AS x (series_id, ts,"
            " value) SELECT $1::bigint, ts, v FROM u ON CONFLICT (series_id,"
            " ts) DO UPDATE SET value = excluded.value, collected_at = now()"
            " WHERE x.value IS DISTINCT FROM excluded.value RETURNING 1)"
            " SELECT fresh, changed, (SELECT count(*) FROM w) FROM before",
            3, params, PGRES_TUPLES_OK, "importing samples", err);
        rc = result ? 0 : -1;
    }
    ws_buf_free (&arrays[0]);
    ws_buf_free (&arrays[1]);
    free (labels_text);
    int64_t inserted = 0, updated = 0, written = 0;
    if (result) {
        inserted = s_ms (result, 0, 0);
        updated = s_ms (result, 0, 1);
        written = s_ms (result, 0, 2);
        PQclear (result);
        if (written != inserted + updated)
            rc = ws_err_set (err, WS_ERR_DB,
                             "database: import wrote %" PRId64
                             " rows, expected %" PRId64 " new and %" PRId64
                             " changed",
                             written, inserted, updated);
    }
    if (rc == 0 && !dry_run)
        rc = s_command (self, "COMMIT", "import", err);
    else {
        ws_err_t ignored;
        s_command (self, "ROLLBACK", "import", &ignored);
    }
    if (rc)
        return -1;
    *report = json_pack (
        "{s:o, s:b, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "series_id",
        created && dry_run ? json_null () : json_integer (id), "created",
        created, "type", stored_type, "period_ms",
        stored_period ? json_integer (stored_period) : json_null (), "rows",
        (json_int_t) count, "inserted", (json_int_t) inserted, "updated",
        (json_int_t) updated, "unchanged",
        (json_int_t) ((int64_t) count - inserted - updated), "from",
        (json_int_t) from, "to", (json_int_t) to, "dry_run", dry_run);
    return 0;
}
