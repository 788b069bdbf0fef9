//  ws_coord_client - the coordinator's answers to clients: REQUEST in,
//  REPLY out, one loop turn each. Every command validates its args and
//  answers an error naming the argument at fault; nothing a client sends
//  can stop the coordinator.
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "ws_campaign.h"
#include "ws_coord_private.h"
#include "ws_json.h"
#include "ws_log.h"
#include "ws_trend_events.h"
#include "ws_time.h"

typedef json_t *(s_command_fn) (ws_coord_t *self, json_t *args, ws_err_t *err);

//  args: {"sources", "campaigns", "goals", "activities" (each optional),
//  "prune", "dry_run"}. Everything is checked again here (the client may
//  be another program); nothing is applied from a bad set.
static json_t *
s_cmd_apply (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    json_t *doc = json_object ();
    const char *key;
    json_t *value;
    json_object_foreach (args, key, value)
        if (strcmp (key, "prune") != 0 && strcmp (key, "dry_run") != 0)
            json_object_set (doc, key, value);
    json_t *set = ws_campaign_check_set (doc, err);
    json_decref (doc);
    if (!set)
        return NULL;
    bool dry_run = json_is_true (json_object_get (args, "dry_run"));
    json_t *report = NULL;
    int rc = ws_db_apply (self->db, set,
                          json_is_true (json_object_get (args, "prune")),
                          dry_run, &report, err);
    bool sources = json_object_get (set, "sources") != NULL;
    json_decref (set);
    if (rc)
        return NULL;
    if (!dry_run) {
        ws_err_t reload_err;
        self->goals_stale = true;
        ws_coord_hooks_stale (self);
        if (sources && ws_coord_reload (self, &reload_err))
            ws_warning ("apply: %s", reload_err.text);
        static const char *kinds[] = {"sources", "campaigns", "goals",
                                      "activities", "hooks"};
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            json_t *section = json_object_get (report, kinds[k]);
            size_t created =
                json_array_size (json_object_get (section, "created"));
            size_t updated =
                json_array_size (json_object_get (section, "updated"));
            size_t unchanged =
                json_array_size (json_object_get (section, "unchanged"));
            size_t deleted =
                json_array_size (json_object_get (section, "deleted"));
            if (created + updated + unchanged + deleted)
                ws_notice ("apply: %s: %zu created, %zu updated, %zu "
                           "unchanged, %zu deleted",
                           kinds[k], created, updated, unchanged, deleted);
        }
    }
    return report;
}

static json_t *
s_ms_or_null (int64_t ms)
{
    return ms ? json_integer (ms) : json_null ();
}

typedef struct {
    json_t *array;
    const char *name;
} s_sources_walk_t;

static void
s_source_json (ws_sched_source_t *source, void *arg)
{
    s_sources_walk_t *walk = arg;
    if (walk->name && strcmp (walk->name, source->name) != 0)
        return;
    const char *last = ws_sched_last_values (source);
    json_t *values = last ? json_loads (last, 0, NULL) : NULL;
    json_t *item = json_pack (
        "{s:I, s:s, s:s, s:s, s:I, s:b, s:i, s:o, s:o, s:o, s:o, s:o, s:o,"
        " s:o, s:I, s:I, s:i, s:o}",
        "id", (json_int_t) source->id, "name", source->name, "url",
        ws_source_url (source->source), "method",
        ws_source_method (source->source), "interval_ms",
        (json_int_t) source->interval_ms, "enabled", source->enabled,
        "failures", source->failures, "next_due",
        source->enabled ? json_integer (source->next_tick) : json_null (),
        "last_tick", s_ms_or_null (source->last_tick), "last_success",
        s_ms_or_null (source->last_success), "last_error",
        source->last_error ? json_string (source->last_error) : json_null (),
        "last_error_kind",
        source->last_error_kind ? json_string (source->last_error_kind)
                                : json_null (),
        "last_error_at", s_ms_or_null (source->last_error_at), "last_values",
        values ? values : json_null (), "ticks_ok",
        (json_int_t) source->ticks_ok, "ticks_failed",
        (json_int_t) source->ticks_failed, "outstanding", source->outstanding,
        "health", json_string (ws_coord_source_health (source)));
    json_array_append_new (walk->array, item);
}

static json_t *
s_cmd_sources (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    json_t *name = json_object_get (args, "name");
    if (name && !json_is_string (name) && !json_is_null (name)) {
        ws_err_set (err, WS_ERR_INPUT, "sources: /name: expected a string");
        return NULL;
    }
    s_sources_walk_t walk = {json_array (), json_string_value (name)};
    ws_sched_each (self->sched, s_source_json, &walk);
    if (walk.name && json_array_size (walk.array) == 0) {
        json_decref (walk.array);
        ws_err_set (err, WS_ERR_NOTFOUND, "source '%s': no such source",
                    walk.name);
        return NULL;
    }
    return walk.array;
}

static int
s_worker_json (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_worker_t *worker = value;
    json_array_append_new (
        arg,
        json_pack ("{s:s, s:s, s:i, s:i, s:i, s:I, s:I, s:I}", "name",
                   worker->name, "host", worker->host, "pid", worker->pid,
                   "credit", worker->credit, "in_flight", worker->in_flight,
                   "jobs_done", (json_int_t) worker->jobs_done, "joined",
                   (json_int_t) worker->joined, "last_seen_ms_ago",
                   (json_int_t) (ws_clock_ms () - worker->last_seen)));
    return 0;
}

static json_t *
s_cmd_status (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    (void) args;
    (void) err;
    json_t *workers = json_array ();
    ws_map_each (self->workers_by_id, s_worker_json, workers);
    //  Rate over the ring of per-second snapshots.
    int newest = self->rate_slot;
    int oldest = (newest + 1) % S_RATE_SLOTS;
    double rate = 0;
    if (self->rate_times[oldest]
        && self->rate_times[newest] > self->rate_times[oldest])
        rate =
            (double) (self->rate_samples[newest] - self->rate_samples[oldest])
            * 1000.0
            / (double) (self->rate_times[newest] - self->rate_times[oldest]);
    size_t in_flight = ws_map_size (self->jobs) - self->queue_length;
    json_t *status = json_pack (
        "{s:{s:i, s:s, s:I, s:I, s:s, s:s, s:b}, s:o,"
        " s:{s:b, s:s, s:I}, s:{s:I, s:I, s:I, s:I},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}}",
        "coordinator", "pid", (int) getpid (), "version", "0.1.0", "started",
        (json_int_t) self->started, "uptime_ms",
        (json_int_t) (ws_wall_ms () - self->started), "workers_endpoint",
        self->worker_endpoint, "clients_endpoint", self->client_endpoint,
        "draining", self->draining, "workers", workers, "database", "reachable",
        !self->db_failing, "mode", self->embedded_db ? "embedded" : "external",
        "buffered_samples", (json_int_t) self->buffer.rows, "sources", "total",
        (json_int_t) ws_sched_count (self->sched), "queued",
        (json_int_t) self->queue_length, "in_flight", (json_int_t) in_flight,
        "series_cached", (json_int_t) ws_map_size (self->series_ids),
        "counters", "jobs_created", (json_int_t) self->stats.jobs_created,
        "jobs_dispatched", (json_int_t) self->stats.jobs_dispatched,
        "jobs_redispatched", (json_int_t) self->stats.jobs_redispatched,
        "jobs_abandoned", (json_int_t) self->stats.jobs_abandoned,
        "ticks_skipped", (json_int_t) self->stats.ticks_skipped, "results",
        (json_int_t) self->stats.results, "samples_committed",
        (json_int_t) self->stats.samples_committed, "samples_new",
        (json_int_t) self->stats.samples_new, "batches",
        (json_int_t) self->stats.batches, "messages_refused",
        (json_int_t) self->stats.messages_refused, "requests",
        (json_int_t) self->stats.requests, "samples_per_second", rate);
    //  Where the coordinator's own metrics are served; null when off.
    const char *metrics_url = ws_coord_metrics_url (self);
    json_object_set_new (json_object_get (status, "coordinator"), "metrics_url",
                         metrics_url ? json_string (metrics_url)
                                     : json_null ());
    json_t *counters = json_object_get (status, "counters");
    json_object_set_new (counters, "samples_superseded",
                         json_integer (self->stats.samples_superseded));
    json_object_set_new (counters, "analyses_created",
                         json_integer (self->stats.analyses_created));
    json_object_set_new (counters, "analyses_stored",
                         json_integer (self->stats.analyses_stored));
    json_object_set_new (counters, "analyses_failed",
                         json_integer (self->stats.analyses_failed));
    json_object_set_new (counters, "alerts_recorded",
                         json_integer (self->stats.alerts_recorded));
    json_object_set_new (counters, "samples_refused",
                         json_integer (self->stats.samples_refused));
    json_object_set_new (counters, "ticks_missed",
                         json_integer (self->stats.ticks_missed));
    json_object_set_new (counters, "ticks_down",
                         json_integer (self->stats.ticks_down));
    json_object_set_new (counters, "results_dropped_by_workers",
                         json_integer (self->stats.results_dropped));
    json_t *hooks = ws_coord_hooks_counters (self);
    json_object_update (counters, hooks);
    json_decref (hooks);
    //  CURVE: on or off, how many keys may connect, how many were
    //  refused. Never a key itself.
    json_t *security = json_pack ("{s:b}", "curve", self->curve_auth != NULL);
    if (self->curve_auth) {
        json_object_set_new (
            security, "keys_allowed",
            json_integer ((json_int_t) ws_curve_auth_size (self->curve_auth)));
        json_object_set_new (
            security, "refused",
            json_integer (ws_curve_auth_refused (self->curve_auth)));
        json_object_set_new (
            security, "allow_list",
            json_string (ws_curve_auth_dir (self->curve_auth)));
    }
    json_object_set_new (status, "security", security);
    //  An outage: since when, the next try, and whether dispatch waits
    //  for the buffer to drain.
    json_t *db = json_object_get (status, "database");
    json_object_set_new (db, "buffer_max", json_integer (self->buffer_max));
    json_object_set_new (db, "dispatch_paused",
                         json_boolean (self->buffer_full));
    json_object_set_new (db, "failing_since",
                         self->db_failing && self->db_failing_since
                             ? json_integer (self->db_failing_since)
                             : json_null ());
    json_object_set_new (db, "retry_in_ms",
                         self->db_failing ? json_integer (
                             self->db_retry_at > ws_clock_ms ()
                                 ? self->db_retry_at - ws_clock_ms ()
                                 : 0)
                                          : json_null ());
    return status;
}

static json_t *
s_cmd_series (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    json_t *metric = json_object_get (args, "metric");
    if (metric && !json_is_string (metric) && !json_is_null (metric)) {
        ws_err_set (err, WS_ERR_INPUT, "series: /metric: expected a string");
        return NULL;
    }
    return ws_db_list_series (self->db, json_string_value (metric), err);
}

static int
s_optional_ms (json_t *args, const char *key, int64_t *value, ws_err_t *err)
{
    json_t *item = json_object_get (args, key);
    *value = 0;
    if (!item || json_is_null (item))
        return 0;
    if (!json_is_integer (item))
        return ws_err_set (err, WS_ERR_INPUT,
                           "samples: /%s: expected an integer", key);
    *value = json_integer_value (item);
    return 0;
}

static json_t *
s_cmd_samples (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    json_t *metric = json_object_get (args, "metric");
    json_t *labels = json_object_get (args, "labels");
    if (!json_is_string (metric)) {
        ws_err_set (err, WS_ERR_INPUT, "samples: /metric: expected a string");
        return NULL;
    }
    if (labels && !json_is_object (labels) && !json_is_null (labels)) {
        ws_err_set (err, WS_ERR_INPUT, "samples: /labels: expected an object");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value)
        if (!json_is_string (value)) {
            ws_err_set (err, WS_ERR_INPUT,
                        "samples: /labels/%s: expected a string", key);
            return NULL;
        }
    int64_t from, to, limit;
    if (s_optional_ms (args, "from", &from, err)
        || s_optional_ms (args, "to", &to, err)
        || s_optional_ms (args, "limit", &limit, err))
        return NULL;
    if (limit <= 0)
        limit = 1000;
    json_t *filter =
        json_is_object (labels) ? json_incref (labels) : json_object ();
    json_t *rows = ws_db_query_samples (self->db, json_string_value (metric),
                                        filter, from, to, limit, err);
    json_decref (filter);
    return rows;
}

static int
s_trend_rank (const void *a, const void *b)
{
    json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
    static const char *order[] = {"rising", "falling", "no trend", "constant",
                                  "too few points"};
    int rank_x = 5, rank_y = 5;
    for (int i = 0; i < 5; i++) {
        if (strcmp (json_string_value (json_object_get (x, "status")), order[i])
            == 0)
            rank_x = i < 2 ? 0 : i;
        if (strcmp (json_string_value (json_object_get (y, "status")), order[i])
            == 0)
            rank_y = i < 2 ? 0 : i;
    }
    if (rank_x != rank_y)
        return rank_x - rank_y;
    double zx = fabs (json_number_value (json_object_get (x, "z")));
    double zy = fabs (json_number_value (json_object_get (y, "z")));
    return zx > zy ? -1 : zx < zy;
}

static json_t *
s_cmd_trends (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    json_t *metric = json_object_get (args, "metric");
    json_t *labels = json_object_get (args, "labels");
    json_t *window = json_object_get (args, "window_days");
    if (metric && !json_is_string (metric) && !json_is_null (metric)) {
        ws_err_set (err, WS_ERR_INPUT, "trends: /metric: expected a string");
        return NULL;
    }
    if (labels && !json_is_object (labels) && !json_is_null (labels)) {
        ws_err_set (err, WS_ERR_INPUT, "trends: /labels: expected an object");
        return NULL;
    }
    if (window && !json_is_null (window)
        && (!json_is_integer (window) || json_integer_value (window) < 1)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "trends: /window_days: expected an integer >= 1");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value)
        if (!json_is_string (value)) {
            ws_err_set (err, WS_ERR_INPUT,
                        "trends: /labels/%s: expected a string", key);
            return NULL;
        }
    json_t *rows =
        ws_db_list_trends (self->db, json_string_value (metric),
                           json_is_object (labels) ? labels : NULL, err);
    if (!rows)
        return NULL;
    //  Ranked: significant trends first, strongest first; then the rest.
    size_t count = json_array_size (rows), kept = 0;
    json_t **items = calloc (count + 1, sizeof (json_t *));
    if (!items)
        abort ();
    for (size_t i = 0; i < count; i++) {
        json_t *row = json_array_get (rows, i);
        if (json_is_integer (window)
            && json_integer_value (json_object_get (row, "window_days"))
                   != json_integer_value (window))
            continue;
        ws_trend_headline (row);
        items[kept++] = row;
    }
    qsort (items, kept, sizeof (json_t *), s_trend_rank);
    json_t *ranked = json_array ();
    for (size_t i = 0; i < kept; i++)
        json_array_append (ranked, items[i]);
    free (items);
    json_decref (rows);
    return ranked;
}

static json_t *
s_cmd_migrate (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    (void) args;
    int applied = ws_db_migrate (self->db, err);
    if (applied < 0)
        return NULL;
    return json_pack ("{s:i}", "applied", applied);
}

//  Import limits (PROTOCOL.md 11.1). Rows: a million-row history fits
//  the body limit with room; the bound keeps the coordinator's copies
//  (two arrays, two SQL array literals) to a few hundred MB at most.
#define S_IMPORT_MAX_ROWS 2000000
//  9999-12-31T23:59:59.999Z: ISO 8601 has four-digit years.
#define S_IMPORT_MAX_MS 253402300799999LL
#define S_IMPORT_PERIOD_MIN 1000
#define S_IMPORT_PERIOD_MAX (366 * 86400000LL)
#define S_IMPORT_METRIC_MAX 200
#define S_IMPORT_LABELS_MAX 64
#define S_IMPORT_LABEL_KEY_MAX 128
#define S_IMPORT_LABEL_VALUE_MAX 1024

//  "import: PATH: found <value>, expected <expected>", where = PATH.
static int
s_import_fail (ws_err_t *err, const char *where, json_t *found,
               const char *expected)
{
    ws_json_fail_found (err, "import", where, found, expected);
    return ws_err_prefix (err, "import: ");
}

static bool
s_valid_label_key (const char *key)
{
    if (!*key || strlen (key) > S_IMPORT_LABEL_KEY_MAX
        || (!isalpha ((unsigned char) *key) && *key != '_'))
        return false;
    for (const char *p = key; *p; p++)
        if (!isalnum ((unsigned char) *p) && *p != '_')
            return false;
    return true;
}

//  Everything but the rows: metric, labels, type, period_ms, dry_run,
//  and no other key.
static int
s_import_check_series (json_t *args, ws_err_t *err)
{
    static const char *const keys[] = {
        "metric", "labels", "type", "period_ms", "t", "value", "dry_run", NULL};
    if (ws_json_check_keys (args, "", keys,
                            "metric, labels, type, period_ms, t, value, "
                            "dry_run",
                            "import", err))
        return ws_err_prefix (err, "import: ");
    json_t *metric = json_object_get (args, "metric");
    if (!json_is_string (metric) || json_string_length (metric) == 0
        || json_string_length (metric) > S_IMPORT_METRIC_MAX
        || !ws_json_valid_metric (json_string_value (metric)))
        return s_import_fail (err, "/metric", metric,
                              "a metric name [A-Za-z_:][A-Za-z0-9_:.]* of at "
                              "most 200 characters");
    json_t *labels = json_object_get (args, "labels");
    if (labels && !json_is_null (labels)) {
        if (!json_is_object (labels)
            || json_object_size (labels) > S_IMPORT_LABELS_MAX)
            return s_import_fail (err, "/labels", labels,
                                  "an object of at most 64 label names to "
                                  "strings");
        const char *key;
        json_t *value;
        json_object_foreach (labels, key, value) {
            char where[160];
            ws_json_pointer_join (where, sizeof where, "/labels", key);
            if (!s_valid_label_key (key)) {
                ws_json_fail (err, "import", where,
                              "bad label name, expected "
                              "[A-Za-z_][A-Za-z0-9_]* of at most %d "
                              "characters",
                              S_IMPORT_LABEL_KEY_MAX);
                return ws_err_prefix (err, "import: ");
            }
            if (!json_is_string (value)
                || json_string_length (value) > S_IMPORT_LABEL_VALUE_MAX)
                return s_import_fail (err, where, value,
                                      "a string of at most 1024 bytes");
        }
    }
    json_t *type = json_object_get (args, "type");
    const char *name = json_string_value (type);
    if (type && !json_is_null (type)
        && (!name
            || (strcmp (name, "gauge") != 0 && strcmp (name, "counter") != 0
                && strcmp (name, "per_period") != 0)))
        return s_import_fail (err, "/type", type,
                              "\"gauge\", \"counter\" or \"per_period\"");
    json_t *period = json_object_get (args, "period_ms");
    if (period && !json_is_null (period)
        && (!json_is_integer (period)
            || json_integer_value (period) < S_IMPORT_PERIOD_MIN
            || json_integer_value (period) > S_IMPORT_PERIOD_MAX))
        return s_import_fail (err, "/period_ms", period,
                              "an integer in 1000..31622400000 (1s..366d)");
    if (period && !json_is_null (period) && name
        && strcmp (name, "per_period") != 0)
        return s_import_fail (err, "/period_ms", period,
                              "null: only a per_period series has a period");
    json_t *dry_run = json_object_get (args, "dry_run");
    if (dry_run && !json_is_boolean (dry_run) && !json_is_null (dry_run))
        return s_import_fail (err, "/dry_run", dry_run, "a boolean");
    return 0;
}

typedef struct {
    int64_t ts;
    size_t row;
} s_import_key_t;

static int
s_import_key_order (const void *a, const void *b)
{
    const s_import_key_t *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

//  The rows: "t" and "value" of equal length, 1..S_IMPORT_MAX_ROWS, each
//  t an integer ms in range and seen once, each value a number. Fills
//  ts and values (caller frees both, also on failure).
static int
s_import_check_rows (json_t *args, int64_t **ts_p, double **values_p,
                     size_t *count_p, ws_err_t *err)
{
    json_t *t = json_object_get (args, "t");
    json_t *value = json_object_get (args, "value");
    if (!json_is_array (t) || json_array_size (t) == 0
        || json_array_size (t) > S_IMPORT_MAX_ROWS)
        return s_import_fail (err, "/t", t,
                              "an array of 1..2000000 times in ms");
    size_t count = json_array_size (t);
    if (!json_is_array (value) || json_array_size (value) != count) {
        char expected[80];
        snprintf (expected, sizeof expected, "an array of %zu numbers, as /t",
                  count);
        return s_import_fail (err, "/value", value, expected);
    }
    int64_t *ts = *ts_p = malloc (count * sizeof *ts);
    double *values = *values_p = malloc (count * sizeof *values);
    s_import_key_t *keys = malloc (count * sizeof *keys);
    if (!ts || !values || !keys) {
        free (keys);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "import: %zu rows: out of memory", count);
    }
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        json_t *item = json_array_get (t, i);
        char where[48];
        if (!json_is_integer (item) || json_integer_value (item) < 0
            || json_integer_value (item) > S_IMPORT_MAX_MS) {
            snprintf (where, sizeof where, "/t/%zu", i);
            rc = s_import_fail (err, where, item,
                                "an integer time in ms in 0..253402300799999 "
                                "(1970 to 9999)");
            break;
        }
        ts[i] = json_integer_value (item);
        keys[i] = (s_import_key_t){ts[i], i};
        item = json_array_get (value, i);
        //  The codec already refuses NaN, infinities and overflow.
        if (!json_is_number (item)) {
            snprintf (where, sizeof where, "/value/%zu", i);
            rc = s_import_fail (err, where, item, "a number");
            break;
        }
        values[i] = json_number_value (item);
    }
    if (rc == 0) {
        //  One value per time: with two, which one is the history?
        qsort (keys, count, sizeof *keys, s_import_key_order);
        for (size_t i = 1; i < count; i++)
            if (keys[i].ts == keys[i - 1].ts) {
                char when[32];
                ws_iso8601_format (keys[i].ts, when, sizeof when);
                char where[48];
                snprintf (where, sizeof where, "/t/%zu", keys[i].row);
                ws_json_fail (err, "import", where,
                              "%s repeats /t/%zu, expected each time once",
                              when, keys[i - 1].row);
                rc = ws_err_prefix (err, "import: ");
                break;
            }
    }
    free (keys);
    *count_p = count;
    return rc;
}

//  args: {"metric", "labels"?, "type"?, "period_ms"?, "t": [ms, ...],
//  "value": [number, ...], "dry_run"?}: history for one series, checked
//  whole here (the client may be another program) and written in one
//  transaction (ws_db_import), or not at all.
static json_t *
s_cmd_import (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    if (!json_is_object (args)) {  //  the codec sees to it; a direct call
        ws_err_set (err, WS_ERR_INPUT, "import: args: expected an object");
        return NULL;
    }
    if (s_import_check_series (args, err))
        return NULL;
    int64_t *ts = NULL;
    double *values = NULL;
    size_t count = 0;
    json_t *report = NULL;
    if (s_import_check_rows (args, &ts, &values, &count, err) == 0) {
        const char *metric =
            json_string_value (json_object_get (args, "metric"));
        json_t *labels = json_object_get (args, "labels");
        labels =
            json_is_object (labels) ? json_incref (labels) : json_object ();
        bool dry_run = json_is_true (json_object_get (args, "dry_run"));
        if (ws_db_import (
                self->db, metric, labels,
                json_string_value (json_object_get (args, "type")),
                json_integer_value (json_object_get (args, "period_ms")), count,
                ts, values, dry_run, &report, err)
            == 0) {
            json_object_set_new (report, "metric", json_string (metric));
            json_object_set (report, "labels", labels);
            json_int_t id =
                json_integer_value (json_object_get (report, "series_id"));
            if (!dry_run) {
                ws_notice (
                    "import: series %lld '%s': %zu rows, %lld inserted, %lld "
                    "updated",
                    (long long) id, metric, count,
                    (long long) json_integer_value (
                        json_object_get (report, "inserted")),
                    (long long) json_integer_value (
                        json_object_get (report, "updated")));
                //  New history changes the series' trends: analyse it on
                //  the next turn, past its debounce.
                if (self->window_count) {
                    ws_map_delete_int (self->analysed, (uint64_t) id);
                    ws_map_put_int (self->dirty, (uint64_t) id, (void *) 1);
                }
                //  And the goals that read it, past their debounce.
                int64_t series = id;
                ws_coord_goals_touch (self, &series, 1);
            }
        }
        json_decref (labels);
    }
    free (ts);
    free (values);
    return report;
}

static const struct {
    const char *name;
    s_command_fn *fn;
} s_commands[] = {
    {"apply", s_cmd_apply},
    {"sources", s_cmd_sources},
    {"status", s_cmd_status},
    {"series", s_cmd_series},
    {"samples", s_cmd_samples},
    {"migrate", s_cmd_migrate},
    {"trends", s_cmd_trends},
    {"import", s_cmd_import},
    {"progress", ws_coord_goals_progress},
    {"goal", ws_coord_goals_detail},
    {"alerts", ws_coord_goals_alerts},
    {"silence", ws_coord_silence},
};

void
ws_coord_reply (ws_coord_t *self, const uint8_t *peer, size_t peer_len,
                json_int_t id, json_t *result, ws_err_t *err)
{
    json_t *body;
    if (result)
        body =
            json_pack ("{s:I, s:b, s:o}", "id", id, "ok", 1, "result", result);
    else {
        body = json_pack ("{s:I, s:b, s:s, s:s}", "id", id, "ok", 0, "error",
                          err->text, "code", ws_err_code_name (err->code));
        if (*err->where)
            json_object_set_new (body, "where", json_string (err->where));
    }
    ws_msg_t *msg = ws_msg_new (WS_MSG_REPLY, &body);
    ws_msg_set_routing_id (msg, peer, peer_len);
    ws_err_t send_err;
    if (ws_msg_send (&msg, self->clients, &send_err))
        ws_info ("client: reply not sent: %s", send_err.text);
}

int
ws_coord_on_clients_readable (ws_loop_t *loop, void *socket, void *arg)
{
    (void) loop;
    ws_coord_t *self = arg;
    ws_msg_t *msg;
    for (int n = 0; n < 100 && (msg = ws_coord_recv (self, socket, "client"));
         n++) {
        ws_err_t err;
        size_t peer_len;
        const uint8_t *from = ws_msg_routing_id (msg, &peer_len);
        json_t *body = ws_msg_body (msg);
        if (ws_msg_id (msg) != WS_MSG_REQUEST) {
            json_t *error =
                json_pack ("{s:s, s:s+}", "code", "proto", "text",
                           "expected REQUEST, got ", ws_msg_command (msg));
            ws_msg_t *reply = ws_msg_new (WS_MSG_ERROR, &error);
            ws_msg_set_routing_id (reply, from, peer_len);
            ws_msg_send (&reply, socket, &err);
            ws_msg_destroy (&msg);
            continue;
        }
        self->stats.requests++;
        json_int_t id = json_integer_value (json_object_get (body, "id"));
        const char *command =
            json_string_value (json_object_get (body, "command"));
        json_t *args = json_object_get (body, "args");
        json_t *result = NULL;
        ws_err_clear (&err);
        if (strcmp (command, "hook") == 0) {
            //  Answered later, when the test's delivery has an outcome.
            ws_coord_hooks_request (self, from, peer_len, id, args);
            ws_msg_destroy (&msg);
            continue;
        }
        if (strcmp (command, "probe") == 0) {
            //  Answered later, when a worker has fetched the source.
            ws_coord_probe_request (self, from, peer_len, id, args);
            ws_msg_destroy (&msg);
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
            if (strcmp (command, s_commands[i].name) == 0) {
                result = s_commands[i].fn (self, args, &err);
                break;
            }
        if (i == sizeof s_commands / sizeof s_commands[0])
            ws_err_set (&err, WS_ERR_INPUT, "unknown command '%s'", command);
        else if (!result && err.code == WS_ERR_NONE)
            ws_err_set (&err, WS_ERR_SYSTEM, "%s: failed", command);
        ws_coord_reply (self, from, peer_len, id, result, &err);
        ws_msg_destroy (&msg);
    }
    return 0;
}
