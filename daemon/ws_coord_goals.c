//  ws_coord_goals - the coordinator's side of goals: which goals there
//  are, when each is evaluated, the data its evaluation job carries, the
//  goal_progress snapshots, and the 'progress' and 'goal' requests.
//
//  A goal is evaluated after new samples of its series (once its
//  debounce has passed) and every goal_interval, by a worker (kind
//  "evaluate", PROTOCOL.md 4.3.2): the job carries the goal, its series
//  rolled up per day (amounts for per_period metrics, increases for
//  counters, the last value for gauges, summed over the series that
//  match the goal's labels), the health of the sources that feed it and
//  its last evaluation, which holds the hysteresis state. The worker's
//  evaluation is stored as it is, one row per evaluation.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ws_coord.h"
#include "ws_coord_private.h"
#include "ws_goal.h"
#include "ws_goal_track.h"
#include "ws_hook.h"
#include "ws_log.h"
#include "ws_time.h"

#define S_STEP_MS 86400000LL
//  Most evaluations queued per turn: their data is read ahead in three
//  statements, then each job is built (about 0.1 ms a goal).
#define S_PER_TURN 1000

typedef struct {
    int64_t id;
    char *name;       //  owns
    json_t *def;      //  owns; normalised
    ws_goal_t *goal;  //  owns
    json_t *last;     //  owns; the newest evaluation, or NULL
    int64_t *series;  //  owns; the series it reads, as of its last job
    size_t series_count;
    int64_t evaluated;  //  wall ms of its last job, 0 never
    uint64_t job_id;    //  its job in flight, 0 none
    bool dirty;         //  new samples since its last job
} s_goal_t;

static int
s_count_status (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    const s_goal_t *goal = value;
    const char *status =
        json_string_value (json_object_get (goal->last, "reported_status"));
    ws_coord_metrics_set_add (arg, status ? status : "unevaluated", 1);
    return 0;
}

void
ws_coord_goals_count_status (ws_coord_t *self, ws_coord_metrics_set_t *set)
{
    ws_map_each (self->goals, s_count_status, set);
}

static void
s_goal_free (void *value)
{
    s_goal_t *goal = value;
    if (!goal)
        return;
    free (goal->name);
    json_decref (goal->def);
    ws_goal_destroy (&goal->goal);
    json_decref (goal->last);
    free (goal->series);
    free (goal);
}

void
ws_coord_goals_init (ws_coord_t *self)
{
    self->goals = ws_map_new (s_goal_free);
    self->goal_series = ws_map_new (NULL);
    self->goal_dirty = ws_map_new (NULL);
    self->goals_stale = true;
}

void
ws_coord_goals_destroy (ws_coord_t *self)
{
    ws_map_destroy (&self->goals);
    ws_map_destroy (&self->goal_series);
    ws_map_destroy (&self->goal_dirty);
}

//  ---------------------------------------------------------------------
//  The data of a goal

typedef struct {
    int64_t t;
    double x;
} s_point_t;

static int
s_by_time (const void *a, const void *b)
{
    const s_point_t *p = a, *q = b;
    return (p->t > q->t) - (p->t < q->t);
}

//  Points of several series, summed per step.
typedef struct {
    s_point_t *points;
    size_t count, max;
} s_points_t;

static void
s_points_add (s_points_t *self, int64_t t, double x)
{
    if (self->count == self->max) {
        self->max = self->max ? self->max * 2 : 256;
        self->points = realloc (self->points, self->max * sizeof (s_point_t));
        if (!self->points)
            abort ();
    }
    self->points[self->count].t = t;
    self->points[self->count].x = x;
    self->count++;
}

//  {"t": [...], "x": [...]}, the points summed per step (caller owns).
static json_t *
s_points_json (s_points_t *self)
{
    if (self->count)
        qsort (self->points, self->count, sizeof (s_point_t), s_by_time);
    json_t *t = json_array (), *x = json_array ();
    for (size_t i = 0; i < self->count;) {
        int64_t step = self->points[i].t;
        double sum = 0;
        for (; i < self->count && self->points[i].t == step; i++)
            sum += self->points[i].x;
        json_array_append_new (t, json_integer (step));
        json_array_append_new (x, json_real (sum));
    }
    return json_pack ("{s:o, s:o}", "t", t, "x", x);
}

//  ---------------------------------------------------------------------
//  Data read ahead for one turn's goals, so that a turn costs three
//  statements (ws_db_*_many) rather than three or more per goal. Valid
//  only inside ws_coord_goals_turn (single-threaded); elsewhere (the
//  'goal' request) every lookup misses and reads the database itself.

typedef struct {
    int64_t id, from;
} s_pair_t;

static struct {
    bool active;
    json_t *series;     //  "metric\x1ffilter" -> series rows
    ws_map_t *rollups;  //  s_pair_t -> ws_db_rollup_t
    ws_map_t *newest;   //  series id -> newest sample ms (as a pointer)
} s_ahead;

static void
s_rollup_free (void *value)
{
    ws_db_rollup_t *rollup = value;
    if (rollup) {
        free (rollup->t);
        free (rollup->x);
    }
    free (rollup);
}

//  The key of a (metric, filter) pair (caller frees).
static char *
s_series_key (const char *metric, json_t *filter)
{
    char *labels = json_is_object (filter)
                       ? json_dumps (filter, JSON_COMPACT | JSON_SORT_KEYS)
                       : strdup ("{}");
    size_t size = strlen (metric) + strlen (labels) + 2;
    char *key = malloc (size);
    if (!labels || !key)
        abort ();
    snprintf (key, size, "%s\x1f%s", metric, labels);
    free (labels);
    return key;
}

static void
s_ahead_clear (void)
{
    json_decref (s_ahead.series);
    ws_map_destroy (&s_ahead.rollups);
    ws_map_destroy (&s_ahead.newest);
    s_ahead.series = NULL;
    s_ahead.active = false;
}

static int64_t s_data_from (const ws_goal_t *goal);

//  Read the data of goals[0..count-1] ahead. On an error nothing is
//  kept and each goal reads its own.
static void
s_ahead_read (ws_coord_t *self, s_goal_t **goals, int count, int64_t now)
{
    size_t entries = 0;
    const char **metrics = calloc ((size_t) count * 2 + 1, sizeof (char *));
    json_t **filters = calloc ((size_t) count * 2 + 1, sizeof (json_t *));
    int64_t *froms = calloc ((size_t) count * 2 + 1, sizeof (int64_t));
    if (!metrics || !filters || !froms)
        abort ();
    for (int i = 0; i < count; i++) {
        const ws_goal_t *goal = goals[i]->goal;
        const char *numerator = ws_goal_numerator (goal);
        const char *denominator = ws_goal_denominator (goal);
        json_t *filter = json_object_get (goals[i]->def, "labels");
        metrics[entries] = numerator ? numerator : ws_goal_metric (goal);
        filters[entries] = filter;
        froms[entries++] = s_data_from (goal);
        if (denominator) {
            metrics[entries] = denominator;
            filters[entries] = filter;
            froms[entries++] = s_data_from (goal);
        }
    }
    ws_err_t err;
    json_t *lists =
        ws_db_goal_series_many (self->db, metrics, filters, entries, &err);
    s_pair_t *pairs = NULL;
    int64_t *ids = NULL;
    size_t pair_count = 0, id_count = 0;
    if (!lists)
        goto failed;
    s_ahead.series = json_object ();
    s_ahead.rollups = ws_map_new (s_rollup_free);
    s_ahead.newest = ws_map_new (NULL);
    ws_map_t *seen_pairs = ws_map_new (NULL), *seen_ids = ws_map_new (NULL);
    size_t total = 0;
    for (size_t e = 0; e < entries; e++)
        total += json_array_size (json_array_get (lists, e));
    pairs = calloc (total + 1, sizeof *pairs);
    ids = calloc (total + 1, sizeof *ids);
    if (!pairs || !ids)
        abort ();
    for (size_t e = 0; e < entries; e++) {
        json_t *rows = json_array_get (lists, e);
        char *key = s_series_key (metrics[e], filters[e]);
        json_object_set (s_ahead.series, key, rows);
        free (key);
        size_t index;
        json_t *row;
        json_array_foreach (rows, index, row) {
            s_pair_t pair = {json_integer_value (json_object_get (row, "id")),
                             froms[e]};
            if (!ws_map_get (seen_pairs, &pair, sizeof pair)) {
                ws_map_put (seen_pairs, &pair, sizeof pair, (void *) 1);
                pairs[pair_count++] = pair;
            }
            if (!ws_map_get_int (seen_ids, (uint64_t) pair.id)) {
                ws_map_put_int (seen_ids, (uint64_t) pair.id, (void *) 1);
                ids[id_count++] = pair.id;
            }
        }
    }
    ws_map_destroy (&seen_pairs);
    ws_map_destroy (&seen_ids);
    json_decref (lists);
    if (pair_count) {
        int64_t *pair_ids = calloc (pair_count, sizeof (int64_t));
        int64_t *pair_froms = calloc (pair_count, sizeof (int64_t));
        ws_db_rollup_t *rollups = calloc (pair_count, sizeof *rollups);
        int64_t *newest = calloc (id_count + 1, sizeof (int64_t));
        if (!pair_ids || !pair_froms || !rollups || !newest)
            abort ();
        for (size_t i = 0; i < pair_count; i++) {
            pair_ids[i] = pairs[i].id;
            pair_froms[i] = pairs[i].from;
        }
        int rc = ws_db_rollup_many (self->db, pair_ids, pair_froms, pair_count,
                                    S_STEP_MS, rollups, &err);
        if (rc == 0)
            for (size_t i = 0; i < pair_count; i++) {
                ws_db_rollup_t *copy = malloc (sizeof *copy);
                if (!copy)
                    abort ();
                *copy = rollups[i];
                ws_map_put (s_ahead.rollups, &pairs[i], sizeof pairs[i], copy);
            }
        if (rc == 0)
            rc = ws_db_newest_many (self->db, ids, id_count, now, newest, &err);
        if (rc == 0)
            for (size_t i = 0; i < id_count; i++)
                ws_map_put_int (s_ahead.newest, (uint64_t) ids[i],
                                (void *) (intptr_t) newest[i]);
        free (pair_ids);
        free (pair_froms);
        free (rollups);
        free (newest);
        if (rc)
            goto failed;
    }
    s_ahead.active = true;
    free (pairs);
    free (ids);
    free (metrics);
    free (filters);
    free (froms);
    return;
failed:
    ws_warning ("goals: reading ahead: %s", err.text);
    s_ahead_clear ();
    free (pairs);
    free (ids);
    free (metrics);
    free (filters);
    free (froms);
}

//  Add one series, rolled up per day from from to to (ms), to points: a
//  counter's increase per day, others their last value of the day.
static int
s_add_series (ws_coord_t *self, int64_t id, int64_t from, int64_t to,
              s_points_t *points, ws_err_t *err)
{
    int64_t *t = NULL;
    double *x = NULL;
    const char *type;
    long n;
    s_pair_t pair = {id, from};
    ws_db_rollup_t *ahead =
        s_ahead.active ? ws_map_get (s_ahead.rollups, &pair, sizeof pair)
                       : NULL;
    if (ahead) {
        //  A copy: a counter's steps are changed in place below.
        n = ahead->n;
        type = ahead->type;
        t = malloc ((size_t) n * sizeof (int64_t) + 1);
        x = malloc ((size_t) n * sizeof (double) + 1);
        if (!t || !x)
            abort ();
        memcpy (t, ahead->t, (size_t) n * sizeof (int64_t));
        memcpy (x, ahead->x, (size_t) n * sizeof (double));
    }
    else
        n = ws_db_rollup (self->db, id, from, S_STEP_MS, &t, &x, &type, err);
    if (n < 0)
        return -1;
    long first = 0;
    if (strcmp (type, "counter") == 0) {
        //  A drop is a reset, after which the reading is the increase.
        for (long i = n - 1; i > 0; i--)
            x[i] = x[i] >= x[i - 1] ? x[i] - x[i - 1] : x[i];
        first = 1;
    }
    for (long i = first; i < n; i++)
        if (t[i] <= to)
            s_points_add (points, t[i], x[i]);
    free (t);
    free (x);
    return 0;
}

//  The series of metric matching filter, summed: *data gets {"t", "x"}
//  (caller owns); *rows (may be NULL) the series rows (caller owns).
static int
s_metric_data (ws_coord_t *self, const char *metric, json_t *filter,
               int64_t from, int64_t to, json_t **data, json_t **rows,
               ws_err_t *err)
{
    json_t *list = NULL;
    if (s_ahead.active) {
        char *key = s_series_key (metric, filter);
        list = json_incref (json_object_get (s_ahead.series, key));
        free (key);
    }
    if (!list && !(list = ws_db_goal_series (self->db, metric, filter, err)))
        return -1;
    s_points_t points = {NULL, 0, 0};
    size_t index;
    json_t *row;
    int rc = 0;
    json_array_foreach (list, index, row) {
        if (rc)
            break;
        rc = s_add_series (self,
                           json_integer_value (json_object_get (row, "id")),
                           from, to, &points, err);
    }
    if (rc == 0)
        *data = s_points_json (&points);
    free (points.points);
    if (rc == 0 && rows)
        *rows = list;
    else
        json_decref (list);
    return rc;
}

//  The health of the sources behind rows (series rows), as the job and
//  the 'goal' request give it.
static json_t *
s_sources (ws_coord_t *self, json_t *rows)
{
    json_t *sources = json_array ();
    ws_map_t *seen = ws_map_new (NULL);
    size_t index;
    json_t *row;
    json_array_foreach (rows, index, row) {
        int64_t id = json_integer_value (json_object_get (row, "source_id"));
        ws_sched_source_t *source = id ? ws_sched_get (self->sched, id) : NULL;
        if (!source || ws_map_get_int (seen, (uint64_t) id))
            continue;
        ws_map_put_int (seen, (uint64_t) id, (void *) 1);
        json_array_append_new (
            sources,
            json_pack ("{s:s, s:i, s:o, s:o, s:I}", "name", source->name,
                       "failures", source->failures, "last_error",
                       source->failures && source->last_error
                           ? json_string (source->last_error)
                           : json_null (),
                       "last_success",
                       source->last_success
                           ? json_integer (source->last_success)
                           : json_null (),
                       "interval_ms", (json_int_t) source->interval_ms));
    }
    ws_map_destroy (&seen);
    return sources;
}

//  The first label that tells the series apart and that the goal's
//  filter does not fix: its name, or NULL.
static const char *
s_segment_label (json_t *rows, json_t *filter)
{
    json_t *first = json_object_get (json_array_get (rows, 0), "labels");
    const char *key;
    json_t *value;
    json_object_foreach (first, key, value) {
        if (json_object_get (filter, key))
            continue;
        size_t index;
        json_t *row;
        json_array_foreach (rows, index, row) {
            json_t *other =
                json_object_get (json_object_get (row, "labels"), key);
            if (!json_equal (other, value))
                return key;
        }
    }
    return NULL;
}

//  {"label", "values": [{"value", "t", "x"}]} or JSON null.
static json_t *
s_segments (ws_coord_t *self, json_t *rows, json_t *filter, int64_t from,
            int64_t to, ws_err_t *err)
{
    const char *label = s_segment_label (rows, filter);
    if (!label)
        return json_null ();
    json_t *values = json_array ();
    json_t *done = json_object ();
    size_t index;
    json_t *row;
    json_array_foreach (rows, index, row) {
        json_t *value =
            json_object_get (json_object_get (row, "labels"), label);
        if (!json_is_string (value)
            || json_object_get (done, json_string_value (value)))
            continue;
        json_object_set_new (done, json_string_value (value), json_true ());
        s_points_t points = {NULL, 0, 0};
        size_t other_index;
        json_t *other;
        int rc = 0;
        json_array_foreach (rows, other_index, other) {
            if (rc)
                break;
            if (json_equal (
                    json_object_get (json_object_get (other, "labels"), label),
                    value))
                rc = s_add_series (
                    self, json_integer_value (json_object_get (other, "id")),
                    from, to, &points, err);
        }
        if (rc) {
            free (points.points);
            json_decref (values);
            json_decref (done);
            return NULL;
        }
        json_t *data = s_points_json (&points);
        free (points.points);
        json_object_set (data, "value", value);
        json_array_append_new (values, data);
    }
    json_decref (done);
    return json_pack ("{s:s, s:o}", "label", label, "values", values);
}

//  The window a goal's data covers: the goal's length before its start
//  (history, for attainability and the weekly profile) up to as_of.
static int64_t
s_data_from (const ws_goal_t *goal)
{
    int64_t start = ws_goal_start (goal);
    return start - (ws_goal_deadline (goal) - start);
}

//  The data of a goal for its job or the 'goal' request: "series",
//  "denominator" (ratio goals), and into *rows the series read (caller
//  owns). Returns 0 or -1 with *err.
static int
s_goal_data (ws_coord_t *self, s_goal_t *goal, int64_t as_of, json_t *out,
             json_t **rows, ws_err_t *err)
{
    json_t *filter = json_object_get (goal->def, "labels");
    const char *metric = ws_goal_metric (goal->goal);
    const char *numerator = ws_goal_numerator (goal->goal);
    const char *denominator = ws_goal_denominator (goal->goal);
    int64_t from = s_data_from (goal->goal);
    json_t *data = NULL;
    if (s_metric_data (self, numerator ? numerator : metric, filter, from,
                       as_of, &data, rows, err))
        return -1;
    json_object_set_new (out, "series", data);
    if (denominator) {
        json_t *more = NULL;
        if (s_metric_data (self, denominator, filter, from, as_of, &data, &more,
                           err))
            return -1;
        json_object_set_new (out, "denominator", data);
        json_array_extend (*rows, more);
        json_decref (more);
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Loading and scheduling

static int
s_load (ws_coord_t *self)
{
    ws_err_t err;
    json_t *rows = ws_db_load_goals (self->db, &err);
    if (!rows) {
        ws_warning ("goals: %s", err.text);
        return -1;
    }
    ws_map_t *old = self->goals;
    self->goals = ws_map_new (s_goal_free);
    size_t index;
    json_t *row;
    json_array_foreach (rows, index, row) {
        int64_t id = json_integer_value (json_object_get (row, "id"));
        const char *name = json_string_value (json_object_get (row, "name"));
        json_t *def = json_object_get (row, "def");
        ws_goal_t *parsed = ws_goal_new (def, &err);
        if (!parsed) {
            ws_warning ("goal '%s': stored definition refused: %s", name,
                        err.text);
            continue;
        }
        if (!ws_goal_metric (parsed) && !ws_goal_numerator (parsed)) {
            //  A goal without a metric has nothing to be evaluated on.
            ws_goal_destroy (&parsed);
            continue;
        }
        s_goal_t *goal = calloc (1, sizeof *goal);
        if (!goal || !(goal->name = strdup (name)))
            abort ();
        goal->id = id;
        goal->def = json_incref (def);
        goal->goal = parsed;
        json_t *last = json_object_get (row, "last");
        goal->last = json_is_object (last) ? json_incref (last) : NULL;
        s_goal_t *known = ws_map_get_int (old, (uint64_t) id);
        if (known && json_equal (known->def, def)) {
            goal->evaluated = known->evaluated;
            goal->job_id = known->job_id;
            goal->dirty = known->dirty;
            goal->series = known->series;
            goal->series_count = known->series_count;
            known->series = NULL;
        }
        ws_map_put_int (self->goals, (uint64_t) id, goal);
    }
    json_decref (rows);
    ws_map_destroy (&old);
    self->goals_stale = false;
    return 0;
}

//  Whether a goal is over: its deadline passed and an evaluation after
//  it said achieved or missed.
static bool
s_finished (s_goal_t *goal)
{
    const char *status =
        json_string_value (json_object_get (goal->last, "reported_status"));
    return status
           && (strcmp (status, "missed") == 0
               || (strcmp (status, "achieved") == 0
                   && goal->evaluated > ws_goal_deadline (goal->goal)));
}

//  Queue the evaluation of one goal: its data read now, sent with it.
static void
s_evaluate (ws_coord_t *self, s_goal_t *goal, int64_t now)
{
    ws_err_t err;
    json_t *input =
        json_pack ("{s:O, s:I}", "def", goal->def, "as_of", (json_int_t) now);
    json_t *rows = NULL;
    goal->evaluated = now;
    goal->dirty = false;
    if (s_goal_data (self, goal, now, input, &rows, &err)) {
        ws_warning ("goal '%s': %s", goal->name, err.text);
        json_decref (input);
        json_decref (rows);
        return;
    }
    //  The series it reads, for the next sample that makes it dirty.
    free (goal->series);
    goal->series_count = json_array_size (rows);
    goal->series = calloc (goal->series_count + 1, sizeof (int64_t));
    if (!goal->series)
        abort ();
    for (size_t i = 0; i < goal->series_count; i++) {
        goal->series[i] = json_integer_value (
            json_object_get (json_array_get (rows, i), "id"));
        ws_map_put_int (self->goal_series, (uint64_t) goal->series[i],
                        (void *) 1);
    }
    int64_t newest = 0;
    if (s_ahead.active)
        for (size_t i = 0; i < goal->series_count; i++) {
            int64_t ms = (int64_t) (intptr_t) ws_map_get_int (
                s_ahead.newest, (uint64_t) goal->series[i]);
            newest = ms > newest ? ms : newest;
        }
    else
        newest = ws_db_newest_sample (self->db, goal->series,
                                      goal->series_count, now, &err);
    if (newest < 0)
        ws_warning ("goal '%s': %s", goal->name, err.text);
    json_object_set_new (input, "newest",
                         newest > 0 ? json_integer (newest) : json_null ());
    json_object_set_new (input, "sources", s_sources (self, rows));
    json_object_set (input, "state", goal->last ? goal->last : json_null ());
    json_decref (rows);
    char *payload = json_dumps (input, JSON_COMPACT);
    json_decref (input);
    if (!payload)
        abort ();
    if (strlen (payload) > WS_MSG_MAX_BODY / 4) {
        ws_warning ("goal '%s': too much data to evaluate", goal->name);
        free (payload);
        return;
    }
    s_job_t *job = calloc (1, sizeof *job);
    if (!job)
        abort ();
    job->kind = S_JOB_EVALUATE;
    job->goal_id = goal->id;
    job->tick = now;
    job->payload = payload;
    ws_coord_queue_job (self, job);
    goal->job_id = job->id;
}

typedef struct {
    ws_coord_t *coord;
    int64_t now;
    s_goal_t *due[S_PER_TURN];
    int count;
    bool waiting;  //  a dirty goal waits for its debounce
} s_turn_t;

static int
s_pick (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_goal_t *goal = value;
    s_turn_t *turn = arg;
    ws_coord_t *self = turn->coord;
    for (size_t i = 0; i < goal->series_count && !goal->dirty; i++)
        if (ws_map_get_int (self->goal_dirty, (uint64_t) goal->series[i]))
            goal->dirty = true;
    if (goal->job_id && ws_map_get_int (self->jobs, goal->job_id))
        return 0;  //  in flight
    goal->job_id = 0;
    if (s_finished (goal) || turn->count == S_PER_TURN)
        return 0;
    int64_t since = turn->now - goal->evaluated;
    if (!goal->evaluated || since >= self->goal_interval_ms
        || (goal->dirty && since >= self->goal_debounce_ms))
        turn->due[turn->count++] = goal;
    else if (goal->dirty)
        turn->waiting = true;  //  its debounce is not over yet
    return 0;
}

void
ws_coord_goals_turn (ws_coord_t *self)
{
    if (self->draining || self->db_failing || !ws_db_connected (self->db))
        return;
    int64_t clock = ws_clock_ms ();
    //  Once a second; every 100 ms while goals wait (new samples, or a
    //  full turn left some due).
    int64_t every =
        ws_map_size (self->goal_dirty) || self->goals_backlog ? 100 : 1000;
    if (clock - self->last_goal_turn < every)
        return;
    self->last_goal_turn = clock;
    if (self->goals_stale && s_load (self))
        return;
    s_turn_t *turn = calloc (1, sizeof *turn);
    if (!turn)
        abort ();
    turn->coord = self;
    turn->now = ws_wall_ms ();
    ws_map_each (self->goals, s_pick, turn);
    //  Dirty series whose goals still wait for their debounce stay
    //  dirty in the goals themselves (s_pick marked them).
    ws_map_destroy (&self->goal_dirty);
    self->goal_dirty = ws_map_new (NULL);
    self->goals_backlog = turn->count == S_PER_TURN || turn->waiting;
    if (turn->count > 1)
        s_ahead_read (self, turn->due, turn->count, turn->now);
    for (int i = 0; i < turn->count; i++)
        s_evaluate (self, turn->due[i], turn->now);
    s_ahead_clear ();
    free (turn);
}

void
ws_coord_goals_touch (ws_coord_t *self, const int64_t *series, size_t count)
{
    if (!ws_map_size (self->goal_series))
        return;
    for (size_t i = 0; i < count; i++)
        if (ws_map_get_int (self->goal_series, (uint64_t) series[i]))
            ws_map_put_int (self->goal_dirty, (uint64_t) series[i], (void *) 1);
}

//  The rung of a reported status for slips and recoveries (on_track 0,
//  at_risk 1, off_track 2), -1 for the others.
static int
s_rung (const char *status)
{
    static const char *const rungs[] = {"on_track", "at_risk", "off_track"};
    for (int i = 0; status && i < 3; i++)
        if (strcmp (status, rungs[i]) == 0)
            return i;
    return -1;
}

//  The fields of an evaluation that an alert carries as evidence.
static json_t *
s_evidence (s_goal_t *goal, json_t *evaluation, int64_t as_of)
{
    static const char *const keys[] = {"status",
                                       "reported_status",
                                       "current",
                                       "progress",
                                       "expected_progress",
                                       "projected",
                                       "projected_low",
                                       "projected_high",
                                       "required_rate",
                                       "actual_rate",
                                       "actual_rate_low",
                                       "actual_rate_high",
                                       "days_left",
                                       "days_ahead",
                                       "n",
                                       "window",
                                       "baseline",
                                       "unit",
                                       "summary",
                                       "stale",
                                       "pending",
                                       "newest_sample",
                                       "sources",
                                       NULL};
    char when[40];
    ws_iso8601_format (as_of, when, sizeof when);
    json_t *evidence =
        json_pack ("{s:s, s:s}", "goal", goal->name, "as_of", when);
    //  The goal's own words, for the people the alert reaches.
    json_t *description = json_object_get (goal->def, "description");
    if (json_is_string (description))
        json_object_set (evidence, "description", description);
    for (size_t i = 0; keys[i]; i++) {
        json_t *value = json_object_get (evaluation, keys[i]);
        if (value)
            json_object_set (evidence, keys[i], value);
    }
    return evidence;
}

//  The alert of a change of a goal's reported status: slipped (a worse
//  rung), recovered (a better one), achieved or missed. Moves to and
//  from stale or too_early raise none: no verdict on missing data; the
//  rung before them is what a later status is compared with.
static json_t *
s_goal_alert (s_goal_t *goal, json_t *previous, json_t *evaluation,
              int64_t as_of)
{
    const char *before =
        json_string_value (json_object_get (previous, "reported_status"));
    const char *after =
        json_string_value (json_object_get (evaluation, "reported_status"));
    if (!after)
        return NULL;
    const char *kind = NULL, *severity = "info", *from = before;
    if (strcmp (after, "achieved") == 0 || strcmp (after, "missed") == 0) {
        if (!before || strcmp (before, after) != 0) {
            kind = after;
            severity = after[0] == 'm' ? "critical" : "info";
        }
    }
    else if (s_rung (after) >= 0 && previous) {
        from = s_rung (before) >= 0 ? before
                                    : json_string_value (json_object_get (
                                        previous, "last_verdict"));
        if (s_rung (from) >= 0 && s_rung (after) > s_rung (from)) {
            kind = "slipped";
            severity = s_rung (after) == 2 ? "critical" : "warning";
        }
        else if (s_rung (from) >= 0 && s_rung (after) < s_rung (from))
            kind = "recovered";
    }
    if (!kind)
        return NULL;
    char fingerprint[160], summary[600];
    snprintf (fingerprint, sizeof fingerprint,
              "goal/%" PRId64 "/%" PRId64 "/%s", goal->id, as_of, kind);
    const char *text =
        json_string_value (json_object_get (evaluation, "summary"));
    snprintf (summary, sizeof summary, "goal '%s' %s: %s -> %s%s%s", goal->name,
              kind, from ? from : "(new)", after, text ? ": " : "",
              text ? text : "");
    return json_pack ("{s:s, s:s, s:s?, s:s, s:s, s:s, s:o, s:I}",
                      "fingerprint", fingerprint, "kind", kind, "from", from,
                      "to", after, "severity", severity, "summary", summary,
                      "evidence", s_evidence (goal, evaluation, as_of),
                      "goal_id", (json_int_t) goal->id);
}

bool
ws_coord_goals_repeat (ws_coord_t *self, int64_t goal_id, int64_t hook_id,
                       int64_t root, int number, int64_t now)
{
    s_goal_t *goal = ws_map_get_int (self->goals, (uint64_t) goal_id);
    const char *status = goal ? json_string_value (
                             json_object_get (goal->last, "reported_status"))
                              : NULL;
    if (s_rung (status) <= 0)
        return false;  //  on track again, or stale: nothing to repeat
    char fingerprint[160], summary[600];
    snprintf (fingerprint, sizeof fingerprint,
              "goal/%" PRId64 "/repeat/%" PRId64 "/%" PRId64 "/%d", goal->id,
              root, hook_id, number);
    const char *text =
        json_string_value (json_object_get (goal->last, "summary"));
    snprintf (summary, sizeof summary, "goal '%s' still %s (reminder %d)%s%s",
              goal->name, status, number, text ? ": " : "", text ? text : "");
    json_t *alert = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "fingerprint", fingerprint,
        "kind", "slipped", "from", status, "to", status, "severity",
        s_rung (status) == 2 ? "critical" : "warning", "summary", summary,
        "evidence", s_evidence (goal, goal->last, now));
    ws_err_t err;
    int64_t id =
        ws_db_record_hook_alert (self->db, alert, goal_id, hook_id, root, &err);
    json_decref (alert);
    if (id < 0)
        ws_warning ("goal '%s': %s", goal->name, err.text);
    else if (id > 0)
        ws_notice ("alert: %s", summary);
    return id > 0;
}

void
ws_coord_goals_on_results (ws_coord_t *self, json_t *results)
{
    //  The good ones, keyed by their job's tick: a result sent again
    //  (after a reconnect) is stored, and alerts, once. All in one
    //  statement, and their alerts in another.
    json_t *rows = json_array ();
    size_t index;
    json_t *result;
    json_array_foreach (results, index, result) {
        int64_t goal_id =
            json_integer_value (json_object_get (result, "goal_id"));
        json_t *evaluation = json_object_get (result, "evaluation");
        if (!json_is_true (json_object_get (result, "ok"))
            || !json_is_object (evaluation)) {
            s_goal_t *goal = ws_map_get_int (self->goals, (uint64_t) goal_id);
            self->stats.goal_evaluations_failed++;
            ws_warning ("goal '%s': evaluation failed: %s",
                        goal ? goal->name : "?",
                        json_string_value (json_object_get (result, "error")));
            continue;
        }
        json_t *tick = json_object_get (result, "tick");
        json_array_append_new (
            rows, json_pack ("{s:I, s:O, s:O, s:O}", "goal_id",
                             (json_int_t) goal_id, "evaluated_at", tick,
                             "as_of", tick, "evaluation", evaluation));
    }
    size_t count = json_array_size (rows);
    bool *stored = calloc (count + 1, sizeof (bool));
    if (!stored)
        abort ();
    ws_err_t err;
    if (ws_db_store_goal_progress_many (self->db, rows, stored, &err)) {
        //  Not stored: the next turn evaluates them again.
        ws_warning ("goals: %s", err.text);
        json_array_foreach (rows, index, result) {
            s_goal_t *goal = ws_map_get_int (
                self->goals, (uint64_t) json_integer_value (
                                 json_object_get (result, "goal_id")));
            if (goal)
                goal->evaluated = 0;
        }
        free (stored);
        json_decref (rows);
        return;
    }
    self->stats.goal_evaluations += (int64_t) count;
    json_t *alerts = json_array ();
    json_array_foreach (rows, index, result) {
        s_goal_t *goal = ws_map_get_int (
            self->goals, (uint64_t) json_integer_value (
                             json_object_get (result, "goal_id")));
        if (!goal || !stored[index])
            continue;
        json_t *evaluation = json_object_get (result, "evaluation");
        const char *before =
            json_string_value (json_object_get (goal->last, "reported_status"));
        const char *after =
            json_string_value (json_object_get (evaluation, "reported_status"));
        const char *summary =
            json_string_value (json_object_get (evaluation, "summary"));
        if (after && (!before || strcmp (before, after) != 0))
            ws_notice ("goal '%s': %s -> %s%s%s", goal->name,
                       before ? before : "(new)", after, summary ? ": " : "",
                       summary ? summary : "");
        json_t *alert = s_goal_alert (
            goal, goal->last, evaluation,
            json_integer_value (json_object_get (result, "as_of")));
        if (alert)
            json_array_append_new (alerts, alert);
        json_decref (goal->last);
        goal->last = json_incref (evaluation);
    }
    size_t alert_count = json_array_size (alerts);
    bool *recorded = calloc (alert_count + 1, sizeof (bool));
    if (!recorded)
        abort ();
    if (ws_db_record_goal_alerts (self->db, alerts, recorded, &err))
        ws_warning ("goals: %s", err.text);
    else
        json_array_foreach (alerts, index, result) {
            if (!recorded[index])
                continue;
            self->stats.alerts_recorded++;
            ws_coord_hooks_kick (self);
            ws_notice ("alert: %s",
                       json_string_value (json_object_get (result, "summary")));
        }
    free (recorded);
    free (stored);
    json_decref (alerts);
    json_decref (rows);
}

//  ---------------------------------------------------------------------
//  Requests

//  A time argument (key): ms (integer) or ISO 8601 text; 0 when absent.
static int
s_time_arg (json_t *args, const char *key, const char *request, int64_t *as_of,
            ws_err_t *err)
{
    json_t *value = json_object_get (args, key);
    *as_of = 0;
    if (!value || json_is_null (value))
        return 0;
    if (json_is_integer (value) && json_integer_value (value) > 0) {
        *as_of = json_integer_value (value);
        return 0;
    }
    if (json_is_string (value)
        && ws_iso8601_parse (json_string_value (value), as_of, err) == 0)
        return 0;
    ws_err_set (err, WS_ERR_INPUT,
                "%s: /%s: expected ms since the epoch or ISO 8601", request,
                key);
    snprintf (err->where, sizeof err->where, "/%s", key);
    return -1;
}

static int
s_optional_string (json_t *args, const char *key, const char *request,
                   const char **out, ws_err_t *err)
{
    json_t *value = json_object_get (args, key);
    *out = json_string_value (value);
    if (!value || json_is_null (value) || json_is_string (value))
        return 0;
    ws_err_set (err, WS_ERR_INPUT, "%s: /%s: expected a string", request, key);
    snprintf (err->where, sizeof err->where, "/%s", key);
    return -1;
}

json_t *
ws_coord_goals_progress (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    int64_t as_of;
    const char *campaign, *goal;
    if (s_time_arg (args, "as_of", "progress", &as_of, err)
        || s_optional_string (args, "campaign", "progress", &campaign, err)
        || s_optional_string (args, "goal", "progress", &goal, err))
        return NULL;
    json_t *rows = ws_db_progress (self->db, as_of, campaign, goal, err);
    if (!rows)
        return NULL;
    return json_pack ("{s:o, s:o}", "as_of",
                      as_of ? json_integer (as_of) : json_null (), "goals",
                      rows);
}

json_t *
ws_coord_goals_detail (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    int64_t as_of;
    const char *name;
    if (s_time_arg (args, "as_of", "goal", &as_of, err)
        || s_optional_string (args, "name", "goal", &name, err))
        return NULL;
    if (!name) {
        ws_err_set (err, WS_ERR_INPUT,
                    "goal: /name: missing, expected the "
                    "goal's name");
        snprintf (err->where, sizeof err->where, "/name");
        return NULL;
    }
    json_t *detail = ws_db_goal_detail (self->db, name, as_of, err);
    if (!detail)
        return NULL;
    if (json_is_null (detail)) {
        ws_err_set (err, WS_ERR_NOTFOUND, "goal '%s': no such goal", name);
        return NULL;
    }
    if (!as_of)
        as_of = ws_wall_ms ();
    json_object_set_new (detail, "as_of", json_integer (as_of));
    json_object_set_new (detail, "step_ms", json_integer (S_STEP_MS));
    s_goal_t view = {0};
    view.def = json_object_get (detail, "def");
    view.goal = ws_goal_new (view.def, err);
    if (!view.goal) {
        json_decref (detail);
        return NULL;
    }
    ws_goal_hysteresis_t settings;
    ws_goal_hysteresis_init (&settings);
    json_t *own = ws_goal_hysteresis_settings (view.goal);
    json_object_set_new (detail, "hysteresis",
                         own ? json_deep_copy (own)
                             : ws_goal_hysteresis_to_json (&settings));
    json_t *rows = NULL;
    int rc = -1;
    if (!ws_goal_metric (view.goal) && !ws_goal_numerator (view.goal)) {
        //  Nothing to read: the goal names no metric.
        json_object_set_new (detail, "series",
                             json_pack ("{s:[], s:[]}", "t", "x"));
        json_object_set_new (detail, "segments", json_null ());
        json_object_set_new (detail, "sources", json_array ());
        rc = 0;
    }
    else if (s_goal_data (self, &view, as_of, detail, &rows, err) == 0) {
        json_t *segments = NULL;
        if (!ws_goal_numerator (view.goal))
            segments =
                s_segments (self, rows, json_object_get (view.def, "labels"),
                            s_data_from (view.goal), as_of, err);
        else
            segments = json_null ();
        if (segments) {
            json_object_set_new (detail, "segments", segments);
            json_object_set_new (detail, "sources", s_sources (self, rows));
            rc = 0;
        }
    }
    json_decref (rows);
    ws_goal_destroy (&view.goal);
    if (rc) {
        json_decref (detail);
        return NULL;
    }
    return detail;
}

json_t *
ws_coord_goals_alerts (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    const char *goal, *kind;
    int64_t since;
    json_t *limit = json_object_get (args, "limit");
    if (s_optional_string (args, "goal", "alerts", &goal, err)
        || s_optional_string (args, "kind", "alerts", &kind, err))
        return NULL;
    if (s_time_arg (args, "since", "alerts", &since, err))
        return NULL;
    if (limit && !json_is_null (limit)
        && (!json_is_integer (limit) || json_integer_value (limit) < 1
            || json_integer_value (limit) > 10000)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "alerts: /limit: expected an integer in 1..10000");
        snprintf (err->where, sizeof err->where, "/limit");
        return NULL;
    }
    int64_t count = json_is_integer (limit) ? json_integer_value (limit) : 50;
    return ws_db_list_alerts (self->db, 0, goal, kind, since, count, err);
}

json_t *
ws_coord_silence (ws_coord_t *self, json_t *args, ws_err_t *err)
{
    const char *action;
    if (s_optional_string (args, "action", "silence", &action, err))
        return NULL;
    if (!action || strcmp (action, "list") == 0)
        return ws_db_silences (
            self->db, json_is_true (json_object_get (args, "all")), err);
    if (strcmp (action, "add") == 0) {
        ws_err_t inner;
        json_t *silence =
            ws_hook_silence_check (json_object_get (args, "silence"), &inner);
        if (!silence) {
            ws_err_set (err, WS_ERR_INPUT, "silence: /silence%s: %s",
                        inner.where, inner.text);
            snprintf (err->where, sizeof err->where, "/silence%.110s",
                      inner.where);
            return NULL;
        }
        int64_t id = ws_db_silence_add (self->db, silence, err);
        if (id < 0) {
            json_decref (silence);
            return NULL;
        }
        json_object_set_new (silence, "id", json_integer (id));
        ws_notice ("silence %" PRId64 " added: %s", id,
                   json_string_value (json_object_get (silence, "reason")));
        return silence;
    }
    if (strcmp (action, "expire") == 0) {
        json_t *id = json_object_get (args, "id");
        if (!json_is_integer (id) || json_integer_value (id) < 1) {
            ws_err_set (err, WS_ERR_INPUT,
                        "silence: /id: expected the silence's id, an integer"
                        " >= 1");
            snprintf (err->where, sizeof err->where, "/id");
            return NULL;
        }
        int found =
            ws_db_silence_expire (self->db, json_integer_value (id), err);
        if (found < 0)
            return NULL;
        if (found == 0) {
            ws_err_set (err, WS_ERR_NOTFOUND,
                        "silence %" JSON_INTEGER_FORMAT ": no such silence",
                        json_integer_value (id));
            return NULL;
        }
        return json_pack ("{s:O, s:b}", "id", id, "expired", 1);
    }
    ws_err_set (err, WS_ERR_INPUT,
                "silence: /action: \"%.40s\", expected add, list or expire",
                action);
    snprintf (err->where, sizeof err->where, "/action");
    return NULL;
}
