//  ws_goal - a goal's JSON form and its evaluation at a moment. Each rule
//  names the field of ../shared/refdata/goals/README.md it implements.
#include "ws_goal.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_goal_track.h"
#include "ws_stats.h"
#include "ws_time.h"
#include "ws_json.h"

//  The shared definition checks (ws_json), naming this module's subject.
#define s_fail(err, path, ...) ws_json_fail ((err), "goal", (path), __VA_ARGS__)
#define s_fail_found(err, path, found, expected)                               \
    ws_json_fail_found ((err), "goal", (path), (found), (expected))
#define s_pointer_join ws_json_pointer_join
#define s_check_keys(object, path, allowed, text, err)                         \
    ws_json_check_keys ((object), (path), (allowed), (text), "goal", (err))

#define S_DAY_MS 86400000.0
#define S_NAME_MAX 64
#define S_TEXT_MAX 1024
#define S_UNIT_MAX 64
#define S_LABELS_MAX 32
#define S_CHECKPOINTS_MAX 100

struct _ws_goal_t {
    char *name;          //  owns
    char *description;   //  owns; NULL if absent
    char *unit;          //  owns; NULL if absent
    char *metric;        //  owns; NULL if absent
    char *campaign;      //  owns; NULL if absent
    char *numerator;     //  owns; NULL unless a ratio goal
    char *denominator;   //  owns; NULL unless a ratio goal
    json_t *labels;      //  owns; NULL if absent
    json_t *hysteresis;  //  owns; normalised settings, NULL if absent
    ws_goal_kind_t kind;
    ws_goal_direction_t direction;
    ws_goal_agg_t aggregation;
    double target;
    bool has_baseline;
    double baseline;
    int64_t start;     //  ms
    int64_t deadline;  //  ms, > start
    size_t checkpoint_count;
    int64_t *checkpoint_at;       //  owns; strictly increasing, in
                                  //  (start, deadline)
    double *checkpoint_progress;  //  owns; non-decreasing, in [0, 1]
};

//  ---------------------------------------------------------------------
//  Names

static const char *const s_kind_names[] = {"total", "level", "keep", NULL};
static const char *const s_direction_names[] = {"at_least", "at_most", NULL};
static const char *const s_agg_names[] = {"sum", "last",  "avg", "max",
                                          "min", "count", NULL};
static const char *const s_status_names[] = {"achieved",  "missed",   "stale",
                                             "too_early", "on_track", "at_risk",
                                             "off_track", NULL};

const char *
ws_goal_kind_name (ws_goal_kind_t kind)
{
    return kind <= WS_GOAL_KEEP ? s_kind_names[kind] : "unknown";
}

const char *
ws_goal_direction_name (ws_goal_direction_t direction)
{
    return direction <= WS_GOAL_AT_MOST ? s_direction_names[direction]
                                        : "unknown";
}

const char *
ws_goal_agg_name (ws_goal_agg_t aggregation)
{
    return aggregation <= WS_GOAL_AGG_COUNT ? s_agg_names[aggregation]
                                            : "unknown";
}

const char *
ws_goal_status_name (ws_goal_status_t status)
{
    return status <= WS_GOAL_OFF_TRACK ? s_status_names[status] : "unknown";
}

//  Index of name in a NULL-terminated list, or -1.
static int
s_lookup (const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (strcmp (names[i], name) == 0)
            return i;
    return -1;
}

int
ws_goal_status_parse (const char *name, ws_goal_status_t *status, ws_err_t *err)
{
    int index = name ? s_lookup (s_status_names, name) : -1;
    if (index < 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "goal status '%s': expected achieved, missed, "
                           "stale, too_early, on_track, at_risk or off_track",
                           name ? name : "");
    *status = (ws_goal_status_t) index;
    return 0;
}

//  ---------------------------------------------------------------------
//  Parsing: errors as ws_source's, "PATH: what was found", where = PATH

//  A string member: *out a copy (owns), or NULL when absent and optional.
static int
s_string (json_t *object, const char *key, const char *base, bool required,
          size_t max, char **out, ws_err_t *err)
{
    char path[128];
    s_pointer_join (path, sizeof path, base, key);
    json_t *value = json_object_get (object, key);
    *out = NULL;
    if (!value)
        return required ? s_fail (err, path, "missing, it is required") : 0;
    if (!json_is_string (value))
        return s_fail_found (err, path, value, "a string");
    size_t len = json_string_length (value);
    if (len == 0)
        return s_fail (err, path, "empty, expected 1 to %zu characters", max);
    if (len > max)
        return s_fail (err, path, "%zu characters, at most %zu allowed", len,
                       max);
    if (strlen (json_string_value (value)) != len)
        return s_fail (err, path, "contains a NUL character");
    *out = strdup (json_string_value (value));
    if (!*out)
        return ws_err_set (err, WS_ERR_SYSTEM, "%s: out of memory", path);
    return 0;
}

//  A metric name member ("metric", "numerator", "denominator").
static int
s_metric (json_t *object, const char *key, const char *base, bool required,
          char **out, ws_err_t *err)
{
    if (s_string (object, key, base, required, S_NAME_MAX, out, err))
        return -1;
    if (*out && !ws_json_valid_metric (*out)) {
        char path[128];
        s_pointer_join (path, sizeof path, base, key);
        s_fail (err, path,
                "\"%.40s\" is not a metric name, expected "
                "[A-Za-z_:][A-Za-z0-9_:.]*",
                *out);
        free (*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

//  One of a list of names; *index its position.
static int
s_enum (json_t *object, const char *key, const char *base, bool required,
        const char *const *names, const char *names_text, int fallback,
        int *index, ws_err_t *err)
{
    char path[128];
    s_pointer_join (path, sizeof path, base, key);
    json_t *value = json_object_get (object, key);
    *index = fallback;
    if (!value)
        return required ? s_fail (err, path, "missing, it is required") : 0;
    int found = json_is_string (value)
                    ? s_lookup (names, json_string_value (value))
                    : -1;
    if (found < 0)
        return s_fail_found (err, path, value, names_text);
    *index = found;
    return 0;
}

//  A finite number (JSON integer or real: json_number_value reads both).
static int
s_number (json_t *object, const char *key, const char *base, bool required,
          bool *present, double *out, ws_err_t *err)
{
    char path[128];
    s_pointer_join (path, sizeof path, base, key);
    json_t *value = json_object_get (object, key);
    *present = value != NULL;
    if (!value)
        return required ? s_fail (err, path, "missing, it is required") : 0;
    if (!json_is_number (value) || !isfinite (json_number_value (value)))
        return s_fail_found (err, path, value, "a number");
    *out = json_number_value (value);
    return 0;
}

//  An ISO 8601 time member, in ms.
static int
s_time (json_t *object, const char *key, const char *base, int64_t *ms,
        ws_err_t *err)
{
    char path[128];
    s_pointer_join (path, sizeof path, base, key);
    json_t *value = json_object_get (object, key);
    if (!value)
        return s_fail (err, path, "missing, it is required");
    ws_err_t time_err;
    if (!json_is_string (value)
        || ws_iso8601_parse (json_string_value (value), ms, &time_err))
        return s_fail_found (err, path, value,
                             "an ISO 8601 time such as "
                             "\"2027-03-31T00:00:00Z\"");
    return 0;
}

static int
s_parse_labels (ws_goal_t *self, json_t *def, ws_err_t *err)
{
    json_t *labels = json_object_get (def, "labels");
    if (!labels)
        return 0;
    if (!json_is_object (labels))
        return s_fail_found (err, "/labels", labels,
                             "an object of label names to strings");
    if (json_object_size (labels) > S_LABELS_MAX)
        return s_fail (err, "/labels", "%zu labels, at most %d allowed",
                       json_object_size (labels), S_LABELS_MAX);
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value) {
        char where[128];
        s_pointer_join (where, sizeof where, "/labels", key);
        if (!*key || (!isalpha ((unsigned char) *key) && *key != '_'))
            return s_fail (err, where,
                           "bad label name, expected "
                           "[A-Za-z_][A-Za-z0-9_]*");
        for (const char *p = key; *p; p++)
            if (!isalnum ((unsigned char) *p) && *p != '_')
                return s_fail (err, where,
                               "bad label name, expected "
                               "[A-Za-z_][A-Za-z0-9_]*");
        if (!json_is_string (value))
            return s_fail_found (err, where, value, "a string");
    }
    self->labels = json_deep_copy (labels);
    if (!self->labels)
        return ws_err_set (err, WS_ERR_SYSTEM, "/labels: out of memory");
    return 0;
}

//  README "ratio": {"numerator": METRIC, "denominator": METRIC}.
static int
s_parse_ratio (ws_goal_t *self, json_t *def, ws_err_t *err)
{
    json_t *ratio = json_object_get (def, "ratio");
    if (!ratio)
        return 0;
    if (!json_is_object (ratio))
        return s_fail_found (err, "/ratio", ratio,
                             "an object {\"numerator\": METRIC, "
                             "\"denominator\": METRIC}");
    static const char *const keys[] = {"numerator", "denominator", NULL};
    if (s_check_keys (ratio, "/ratio", keys, "numerator, denominator", err)
        || s_metric (ratio, "numerator", "/ratio", true, &self->numerator, err)
        || s_metric (ratio, "denominator", "/ratio", true, &self->denominator,
                     err))
        return -1;
    //  A total is a sum of amounts; a ratio of sums is a level or a mean.
    if (self->kind == WS_GOAL_TOTAL)
        return s_fail (err, "/ratio",
                       "not allowed for kind \"total\", only for "
                       "\"keep\" and \"level\"");
    if (json_object_get (def, "aggregation"))
        return s_fail (err, "/aggregation",
                       "not allowed with \"ratio\": the value is the ratio "
                       "of the two sums over the window");
    return 0;
}

//  README "checkpoints": [{"at": ISO 8601, "progress": 0..1}, ...].
static int
s_parse_checkpoints (ws_goal_t *self, json_t *def, ws_err_t *err)
{
    json_t *list = json_object_get (def, "checkpoints");
    if (!list)
        return 0;
    if (!json_is_array (list))
        return s_fail_found (err, "/checkpoints", list,
                             "an array of {\"at\": TIME, \"progress\": "
                             "0..1}");
    size_t count = json_array_size (list);
    if (count > S_CHECKPOINTS_MAX)
        return s_fail (err, "/checkpoints", "%zu checkpoints, at most %d",
                       count, S_CHECKPOINTS_MAX);
    if (count == 0)
        return 0;
    self->checkpoint_at = calloc (count, sizeof (int64_t));
    self->checkpoint_progress = calloc (count, sizeof (double));
    if (!self->checkpoint_at || !self->checkpoint_progress)
        return ws_err_set (err, WS_ERR_SYSTEM, "/checkpoints: out of memory");
    static const char *const keys[] = {"at", "progress", NULL};
    for (size_t i = 0; i < count; i++) {
        char base[64], path[80];
        snprintf (base, sizeof base, "/checkpoints/%zu", i);
        json_t *point = json_array_get (list, i);
        if (!json_is_object (point))
            return s_fail_found (err, base, point,
                                 "an object {\"at\": TIME, \"progress\": "
                                 "0..1}");
        int64_t at;
        double progress = 0;
        bool present;
        if (s_check_keys (point, base, keys, "at, progress", err)
            || s_time (point, "at", base, &at, err)
            || s_number (point, "progress", base, true, &present, &progress,
                         err))
            return -1;
        snprintf (path, sizeof path, "%s/at", base);
        if (at <= self->start || at >= self->deadline)
            return s_fail (err, path,
                           "not between the goal's start and deadline");
        if (i > 0 && at <= self->checkpoint_at[i - 1])
            return s_fail (err, path,
                           "not after the previous checkpoint's time");
        snprintf (path, sizeof path, "%s/progress", base);
        if (progress < 0 || progress > 1)
            return s_fail (err, path, "%g is outside 0..1", progress);
        if (i > 0 && progress < self->checkpoint_progress[i - 1])
            return s_fail (err, path,
                           "%g is below the previous checkpoint's %g", progress,
                           self->checkpoint_progress[i - 1]);
        self->checkpoint_at[i] = at;
        self->checkpoint_progress[i] = progress;
        self->checkpoint_count = i + 1;
    }
    return 0;
}

static int
s_parse (ws_goal_t *self, json_t *def, ws_err_t *err)
{
    if (!json_is_object (def))
        return s_fail_found (err, "", def, "a goal object");
    static const char *const keys[] = {
        "name",       "description", "kind",   "direction", "target",
        "start",      "deadline",    "unit",   "baseline",  "aggregation",
        "ratio",      "checkpoints", "metric", "labels",    "campaign",
        "hysteresis", NULL};
    int kind, direction, aggregation;
    bool present;
    if (s_check_keys (def, "", keys,
                      "name, description, kind, direction, target, start, "
                      "deadline, unit, baseline, aggregation, ratio, "
                      "checkpoints, metric, labels, campaign, hysteresis",
                      err)
        || s_string (def, "name", "", true, S_NAME_MAX, &self->name, err))
        return -1;
    if (!ws_json_valid_name (self->name))
        return s_fail (err, "/name",
                       "\"%.40s\" has a character outside "
                       "[A-Za-z0-9_.-]",
                       self->name);
    if (s_string (def, "description", "", false, S_TEXT_MAX, &self->description,
                  err)
        || s_enum (def, "kind", "", true, s_kind_names,
                   "\"total\", \"level\" or \"keep\"", 0, &kind, err)
        || s_enum (def, "direction", "", true, s_direction_names,
                   "\"at_least\" or \"at_most\"", 0, &direction, err)
        || s_number (def, "target", "", true, &present, &self->target, err)
        || s_time (def, "start", "", &self->start, err)
        || s_time (def, "deadline", "", &self->deadline, err))
        return -1;
    self->kind = (ws_goal_kind_t) kind;
    self->direction = (ws_goal_direction_t) direction;
    if (self->deadline <= self->start)
        return s_fail (err, "/deadline", "not after the start \"%s\"",
                       json_string_value (json_object_get (def, "start")));
    //  README "aggregation": default from the kind.
    static const ws_goal_agg_t defaults[] = {WS_GOAL_AGG_SUM, WS_GOAL_AGG_LAST,
                                             WS_GOAL_AGG_AVG};
    if (s_string (def, "unit", "", false, S_UNIT_MAX, &self->unit, err)
        || s_number (def, "baseline", "", false, &self->has_baseline,
                     &self->baseline, err)
        || s_enum (def, "aggregation", "", false, s_agg_names,
                   "\"sum\", \"last\", \"avg\", \"max\", \"min\" or \"count\"",
                   (int) defaults[kind], &aggregation, err))
        return -1;
    self->aggregation = (ws_goal_agg_t) aggregation;
    //  README "baseline": keep goals have none; progress divides by
    //  target - baseline.
    if (self->has_baseline && self->kind == WS_GOAL_KEEP)
        return s_fail (err, "/baseline",
                       "not allowed for kind \"keep\": a keep goal has no "
                       "progress to measure");
    double baseline = self->has_baseline ? self->baseline : 0;
    if ((self->has_baseline || self->kind == WS_GOAL_TOTAL)
        && self->target == baseline)
        return s_fail (err, "/target",
                       "%g equals the baseline %g: no "
                       "progress to make",
                       self->target, baseline);
    if (s_parse_ratio (self, def, err) || s_parse_checkpoints (self, def, err)
        || s_metric (def, "metric", "", false, &self->metric, err)
        || s_parse_labels (self, def, err)
        || s_string (def, "campaign", "", false, S_NAME_MAX, &self->campaign,
                     err))
        return -1;
    //  The hysteresis of the daemon's statuses (ws_goal_track), checked
    //  here so that 'apply' refuses bad settings.
    json_t *hysteresis = json_object_get (def, "hysteresis");
    if (hysteresis) {
        ws_goal_hysteresis_t settings;
        ws_goal_hysteresis_init (&settings);
        if (ws_goal_hysteresis_parse (&settings, hysteresis, "/hysteresis",
                                      err))
            return -1;
        self->hysteresis = ws_goal_hysteresis_to_json (&settings);
        if (!self->hysteresis)
            return ws_err_set (err, WS_ERR_SYSTEM, "goal: out of memory");
    }
    return 0;
}

ws_goal_t *
ws_goal_new (json_t *def, ws_err_t *err)
{
    ws_goal_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_err_set (err, WS_ERR_SYSTEM, "goal: out of memory");
        return NULL;
    }
    if (s_parse (self, def, err))
        ws_goal_destroy (&self);
    return self;
}

void
ws_goal_destroy (ws_goal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_goal_t *self = *self_p;
    free (self->name);
    free (self->description);
    free (self->unit);
    free (self->metric);
    free (self->campaign);
    free (self->numerator);
    free (self->denominator);
    json_decref (self->labels);
    json_decref (self->hysteresis);
    free (self->checkpoint_at);
    free (self->checkpoint_progress);
    free (self);
    *self_p = NULL;
}

//  Set key to a string, a time or a number; NULL values are skipped.
static int
s_set (json_t *object, const char *key, json_t *value)
{
    return value ? json_object_set_new (object, key, value) : -1;
}

static json_t *
s_time_json (int64_t ms)
{
    char text[40];
    ws_iso8601_format (ms, text, sizeof text);
    return json_string (text);
}

json_t *
ws_goal_to_json (const ws_goal_t *self)
{
    assert (self);
    json_t *out = json_object ();
    if (!out)
        return NULL;
    int rc = s_set (out, "name", json_string (self->name));
    if (self->description)
        rc |= s_set (out, "description", json_string (self->description));
    rc |= s_set (out, "kind", json_string (ws_goal_kind_name (self->kind)));
    rc |= s_set (out, "direction",
                 json_string (ws_goal_direction_name (self->direction)));
    rc |= s_set (out, "target", json_real (self->target));
    rc |= s_set (out, "start", s_time_json (self->start));
    rc |= s_set (out, "deadline", s_time_json (self->deadline));
    if (self->unit)
        rc |= s_set (out, "unit", json_string (self->unit));
    if (self->has_baseline)
        rc |= s_set (out, "baseline", json_real (self->baseline));
    if (self->numerator)
        rc |= s_set (out, "ratio",
                     json_pack ("{s:s, s:s}", "numerator", self->numerator,
                                "denominator", self->denominator));
    else
        rc |= s_set (out, "aggregation",
                     json_string (ws_goal_agg_name (self->aggregation)));
    if (self->checkpoint_count > 0) {
        json_t *list = json_array ();
        rc |= s_set (out, "checkpoints", list);
        for (size_t i = 0; list && i < self->checkpoint_count; i++) {
            json_t *point = json_object ();
            rc |= json_array_append_new (list, point);
            if (point) {
                rc |= s_set (point, "at", s_time_json (self->checkpoint_at[i]));
                rc |= s_set (point, "progress",
                             json_real (self->checkpoint_progress[i]));
            }
        }
    }
    if (self->metric)
        rc |= s_set (out, "metric", json_string (self->metric));
    if (self->labels)
        rc |= s_set (out, "labels", json_deep_copy (self->labels));
    if (self->campaign)
        rc |= s_set (out, "campaign", json_string (self->campaign));
    if (self->hysteresis)
        rc |= s_set (out, "hysteresis", json_deep_copy (self->hysteresis));
    if (rc) {
        json_decref (out);
        return NULL;
    }
    return out;
}

json_t *
ws_goal_hysteresis_settings (const ws_goal_t *self)
{
    assert (self);
    return self->hysteresis;
}

const char *
ws_goal_name (const ws_goal_t *self)
{
    assert (self);
    return self->name;
}

ws_goal_kind_t
ws_goal_kind (const ws_goal_t *self)
{
    assert (self);
    return self->kind;
}

ws_goal_direction_t
ws_goal_direction (const ws_goal_t *self)
{
    assert (self);
    return self->direction;
}

double
ws_goal_target (const ws_goal_t *self)
{
    assert (self);
    return self->target;
}

int64_t
ws_goal_start (const ws_goal_t *self)
{
    assert (self);
    return self->start;
}

int64_t
ws_goal_deadline (const ws_goal_t *self)
{
    assert (self);
    return self->deadline;
}

const char *
ws_goal_metric (const ws_goal_t *self)
{
    assert (self);
    return self->metric;
}

const char *
ws_goal_campaign (const ws_goal_t *self)
{
    assert (self);
    return self->campaign;
}

const char *
ws_goal_numerator (const ws_goal_t *self)
{
    assert (self);
    return self->numerator;
}

const char *
ws_goal_denominator (const ws_goal_t *self)
{
    assert (self);
    return self->denominator;
}

//  README "expected_progress": clamp((t − start) / (deadline − start), 0,
//  1), or linear between (start, 0), the checkpoints and (deadline, 1).
double
ws_goal_expected_progress (const ws_goal_t *self, int64_t t)
{
    assert (self);
    if (t <= self->start)
        return 0;
    if (t >= self->deadline)
        return 1;
    int64_t from = self->start, to = self->deadline;
    double p_from = 0, p_to = 1;
    for (size_t i = 0; i < self->checkpoint_count; i++) {
        if (self->checkpoint_at[i] <= t) {
            from = self->checkpoint_at[i];
            p_from = self->checkpoint_progress[i];
        }
        else {
            to = self->checkpoint_at[i];
            p_to = self->checkpoint_progress[i];
            break;
        }
    }
    return p_from
           + (p_to - p_from) * (double) (t - from) / (double) (to - from);
}

//  The time (ms) at which the expected-progress curve first reaches p in
//  [0, 1]: its inverse, for "days ahead / behind".
static double
s_expected_time (const ws_goal_t *self, double p)
{
    double from = (double) self->start, p_from = 0;
    for (size_t i = 0; i <= self->checkpoint_count; i++) {
        bool last = i == self->checkpoint_count;
        double to =
            last ? (double) self->deadline : (double) self->checkpoint_at[i];
        double p_to = last ? 1 : self->checkpoint_progress[i];
        if (p <= p_to && p_to > p_from)
            return from + (to - from) * (p - p_from) / (p_to - p_from);
        from = to;
        p_from = p_to;
    }
    return (double) self->deadline;
}

//  ---------------------------------------------------------------------
//  Evaluation

//  What the window holds, in days since the goal's start (small numbers
//  keep least squares well conditioned).
typedef struct {
    const ws_goal_t *goal;
    double as_of;     //  days since start
    double deadline;  //  days since start
    double end;       //  min(as_of, deadline)
    //  The series the projection is fitted on: the window's values, or
    //  for a ratio goal the per-timestamp ratios with their denominators
    //  as weights.
    double *t;       //  owns
    double *x;       //  owns
    double *weight;  //  owns; NULL unless a ratio goal
    size_t n;
    double current;  //  NaN when the window cannot give one
    //  Results of the projection model; NaN where it cannot give them.
    double rate, rate_low, rate_high;
    double projected, low, high;
    json_t *notes;  //  owns
} s_eval_t;

static double
s_days (const ws_goal_t *goal, int64_t t)
{
    return (double) (t - goal->start) / S_DAY_MS;
}

int
ws_goal_check_samples (const ws_goal_sample_t *samples, size_t count,
                       const char *what, ws_err_t *err)
{
    for (size_t i = 0; i < count; i++) {
        if (!isfinite (samples[i].value))
            return ws_err_set (err, WS_ERR_INPUT,
                               "%s sample %zu: value is not a finite number",
                               what, i);
        if (i > 0 && samples[i].t < samples[i - 1].t)
            return ws_err_set (err, WS_ERR_INPUT,
                               "%s sample %zu: not in time order", what, i);
    }
    return 0;
}

//  README "window": samples with start <= t <= min(as_of, deadline);
//  [*from, *to) are their indices.
static void
s_window (const ws_goal_t *goal, const ws_goal_sample_t *samples, size_t count,
          int64_t end, size_t *from, size_t *to)
{
    size_t i = 0;
    while (i < count && samples[i].t < goal->start)
        i++;
    *from = i;
    while (i < count && samples[i].t <= end)
        i++;
    *to = i;
}

static void
s_note (s_eval_t *self, const char *text)
{
    json_array_append_new (self->notes, json_string (text));
}

//  Median of the positive gaps between consecutive t: the sampling step,
//  robust to a few missing samples. NaN if there is none.
static double
s_step (const double *t, size_t n)
{
    double *gaps = n > 1 ? malloc ((n - 1) * sizeof (double)) : NULL;
    if (!gaps)
        return NAN;
    size_t count = 0;
    for (size_t i = 1; i < n; i++)
        if (t[i] > t[i - 1])
            gaps[count++] = t[i] - t[i - 1];
    double step = count > 0 ? ws_stats_median (gaps, count) : NAN;
    free (gaps);
    return step;
}

//  Sum model (aggregation sum or count; README "actual_rate": units per
//  day being added). Amounts x_i, one per sampling step, are taken as
//  draws around a constant mean: rate = mean / step. The projection is
//  current + rate · days_left (README "projected", total: the sum); its
//  80% interval is the prediction interval of the sum of the m =
//  days_left / step amounts still to come: m·x̄ ± t_{0.9,n−1} · s ·
//  √(m + m²/n) (their own spread plus the uncertainty of the mean).
static void
s_model_sum (s_eval_t *self)
{
    size_t n = self->n;
    double step = s_step (self->t, n);
    if (!(step > 0))
        return;
    double mean = 0, ss = 0;
    bool nonnegative = true;
    for (size_t i = 0; i < n; i++) {
        mean += self->x[i];
        nonnegative = nonnegative && self->x[i] >= 0;
    }
    mean /= (double) n;
    for (size_t i = 0; i < n; i++)
        ss += (self->x[i] - mean) * (self->x[i] - mean);
    double sd = sqrt (ss / (double) (n - 1));
    double q =
        ws_stats_t_quantile ((1 + WS_GOAL_CONFIDENCE) / 2, (double) (n - 1));
    self->rate = mean / step;
    self->rate_low = (mean - q * sd / sqrt ((double) n)) / step;
    self->rate_high = (mean + q * sd / sqrt ((double) n)) / step;
    double left = self->deadline - self->as_of;
    if (left < 0)
        left = 0;
    double m = left / step;
    self->projected = self->current + m * mean;
    double half = q * sd * sqrt (m + m * m / (double) n);
    self->low = self->projected - half;
    self->high = self->projected + half;
    //  Amounts that never go negative cannot take the sum back down: a
    //  budget already spent stays spent.
    if (nonnegative && self->low < self->current)
        self->low = self->current;
    if (nonnegative && self->rate_low < 0)
        self->rate_low = 0;
}

//  The slope's 80% interval from least squares, shared by the models.
static void
s_rate_from_ols (s_eval_t *self, const ws_ols_t *ols)
{
    double q = ws_stats_t_quantile ((1 + WS_GOAL_CONFIDENCE) / 2,
                                    (double) (ols->n - 2));
    self->rate = ols->slope;
    self->rate_low = ols->slope - q * ols->slope_se;
    self->rate_high = ols->slope + q * ols->slope_se;
}

//  Level model (aggregation last, max, min; README "actual_rate": the
//  slope per day of the value): least squares of the value on time,
//  projected = the line at the deadline with its 80% prediction interval
//  (predict.lm). max and min cannot fall back below what was seen.
static void
s_model_level (s_eval_t *self)
{
    ws_ols_t ols;
    if (ws_stats_ols (self->t, self->x, self->n, &ols, NULL))
        return;
    s_rate_from_ols (self, &ols);
    double at = self->deadline > self->as_of ? self->deadline : self->as_of;
    ws_stats_ols_predict (&ols, at, WS_GOAL_CONFIDENCE, &self->projected,
                          &self->low, &self->high);
    ws_goal_agg_t agg = self->goal->aggregation;
    if (agg == WS_GOAL_AGG_MAX || agg == WS_GOAL_AGG_MIN) {
        double *values[] = {&self->projected, &self->low, &self->high};
        for (size_t i = 0; i < 3; i++)
            if (agg == WS_GOAL_AGG_MAX ? *values[i] < self->current
                                       : *values[i] > self->current)
                *values[i] = self->current;
    }
}

//  Mean model (aggregation avg, and ratio goals; README "projected",
//  keep: the mean at the deadline). The final mean weighs what was seen
//  (S_o over W_o: the sum of values over their count, or of numerators
//  over denominators) with what is still to come: m = days_left / step
//  samples of mean weight w̄, whose values follow the least-squares line
//  of x on t. Their mean is the line at the mid-point t_f of the time
//  left, with variance σ²·(1/m + 1/n + (t_f − t̄)²/Sxx), so
//      projected = (S_o + m·w̄·ŷ(t_f)) / (W_o + m·w̄)
//  and the interval puts ŷ(t_f) ± t_{0.9,n−2}·se into the same formula
//  (it is increasing in ŷ). For a ratio the weights enter the final
//  mean but not the fit: an approximation, fine for denominators of
//  similar size from day to day.
static void
s_model_mean (s_eval_t *self, double observed_sum, double observed_weight)
{
    ws_ols_t ols;
    if (ws_stats_ols (self->t, self->x, self->n, &ols, NULL))
        return;
    s_rate_from_ols (self, &ols);
    double left = self->deadline - self->as_of;
    double step = s_step (self->t, self->n);
    if (!(left > 0) || !(step > 0)) {
        self->projected = self->low = self->high = self->current;
        return;
    }
    double weight = 1;
    if (self->weight) {
        weight = 0;
        for (size_t i = 0; i < self->n; i++)
            weight += self->weight[i];
        weight /= (double) self->n;
    }
    double m = left / step;
    double t_future = self->as_of + left / 2;
    double mean_future = ols.intercept + ols.slope * t_future;
    double d = t_future - ols.t_mean;
    double se =
        ols.residual_se * sqrt (1 / m + 1 / (double) ols.n + d * d / ols.sxx);
    double q = ws_stats_t_quantile ((1 + WS_GOAL_CONFIDENCE) / 2,
                                    (double) (ols.n - 2));
    double future_weight = m * weight;
    double total_weight = observed_weight + future_weight;
    self->projected =
        (observed_sum + future_weight * mean_future) / total_weight;
    self->low =
        (observed_sum + future_weight * (mean_future - q * se)) / total_weight;
    self->high =
        (observed_sum + future_weight * (mean_future + q * se)) / total_weight;
}

//  Whether value is on the target's side, short of it by at most margin.
static bool
s_meets (const ws_goal_t *goal, double value, double margin)
{
    if (!isfinite (value))
        return false;
    return goal->direction == WS_GOAL_AT_LEAST ? value >= goal->target - margin
                                               : value <= goal->target + margin;
}

//  README "current" and the series to fit, for a plain (not ratio) goal.
static int
s_collect (s_eval_t *self, const ws_goal_sample_t *samples, size_t count,
           int64_t end, ws_err_t *err)
{
    const ws_goal_t *goal = self->goal;
    size_t from, to;
    s_window (goal, samples, count, end, &from, &to);
    self->n = to - from;
    self->t = malloc ((self->n + 1) * sizeof (double));
    self->x = malloc ((self->n + 1) * sizeof (double));
    if (!self->t || !self->x)
        return ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                           goal->name);
    double sum = 0, max = -INFINITY, min = INFINITY;
    for (size_t i = 0; i < self->n; i++) {
        const ws_goal_sample_t *sample = &samples[from + i];
        self->t[i] = s_days (goal, sample->t);
        self->x[i] = goal->aggregation == WS_GOAL_AGG_COUNT ? 1 : sample->value;
        sum += sample->value;
        max = fmax (max, sample->value);
        min = fmin (min, sample->value);
    }
    bool any = self->n > 0;
    switch (goal->aggregation) {
    case WS_GOAL_AGG_SUM: self->current = sum; break;
    case WS_GOAL_AGG_COUNT: self->current = (double) self->n; break;
    case WS_GOAL_AGG_AVG:
        self->current = any ? sum / (double) self->n : NAN;
        break;
    case WS_GOAL_AGG_MAX: self->current = any ? max : NAN; break;
    case WS_GOAL_AGG_MIN: self->current = any ? min : NAN; break;
    case WS_GOAL_AGG_LAST:
        //  README "current", level: the latest sample at or before
        //  min(as_of, deadline), inside the window or not.
        self->current = to > 0 ? samples[to - 1].value : NAN;
        break;
    }
    return 0;
}

//  README "ratio": current = Σ numerator / Σ denominator over the window.
//  The series fitted is the ratio at each time both have a sample (and
//  the denominator is not 0), weighted by the denominator.
static int
s_collect_ratio (s_eval_t *self, const ws_goal_sample_t *samples, size_t count,
                 const ws_goal_sample_t *denominator, size_t denominator_count,
                 int64_t end, double *num_sum, double *den_sum, ws_err_t *err)
{
    const ws_goal_t *goal = self->goal;
    size_t from, to, d_from, d_to;
    s_window (goal, samples, count, end, &from, &to);
    s_window (goal, denominator, denominator_count, end, &d_from, &d_to);
    size_t n = to - from;
    self->t = malloc ((n + 1) * sizeof (double));
    self->x = malloc ((n + 1) * sizeof (double));
    self->weight = malloc ((n + 1) * sizeof (double));
    if (!self->t || !self->x || !self->weight)
        return ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                           goal->name);
    *num_sum = *den_sum = 0;
    for (size_t i = from; i < to; i++)
        *num_sum += samples[i].value;
    for (size_t j = d_from; j < d_to; j++)
        *den_sum += denominator[j].value;
    self->current = *den_sum != 0 ? *num_sum / *den_sum : NAN;
    if (*den_sum == 0)
        s_note (self, "current: the denominator's sum over the window is 0");
    size_t j = d_from, pairs = 0;
    for (size_t i = from; i < to; i++) {
        while (j < d_to && denominator[j].t < samples[i].t)
            j++;
        if (j < d_to && denominator[j].t == samples[i].t
            && denominator[j].value != 0) {
            self->t[pairs] = s_days (goal, samples[i].t);
            self->x[pairs] = samples[i].value / denominator[j].value;
            self->weight[pairs] = denominator[j].value;
            pairs++;
        }
    }
    self->n = pairs;
    return 0;
}

//  README "baseline", level: the latest sample at or before start, else
//  the first after it (up to min(as_of, deadline)). For a ratio the
//  per-timestamp ratios stand in for samples.
static double
s_level_baseline (const s_eval_t *self, const ws_goal_sample_t *samples,
                  size_t count, int64_t end)
{
    const ws_goal_t *goal = self->goal;
    if (goal->numerator) {
        //  Ratios are only known inside the window: the first of them.
        return self->n > 0 ? self->x[0] : NAN;
    }
    double baseline = NAN;
    int64_t until = goal->start < end ? goal->start : end;
    for (size_t i = 0; i < count && samples[i].t <= until; i++)
        baseline = samples[i].value;
    if (isnan (baseline))
        for (size_t i = 0; i < count && samples[i].t <= end; i++)
            if (samples[i].t > goal->start) {
                baseline = samples[i].value;
                break;
            }
    return baseline;
}

static void
s_set_number (json_t *object, const char *key, double value)
{
    if (isfinite (value))
        json_object_set_new (object, key, json_real (value));
}

const char *
ws_goal_number_text (double value, char *out, size_t size)
{
    double magnitude = fabs (value);
    if (!isfinite (value))
        snprintf (out, size, "n/a");
    else if (magnitude >= 100)
        snprintf (out, size, "%.0f", value);
    else if (magnitude >= 1)
        snprintf (out, size, "%.3g", value);
    else
        snprintf (out, size, "%.2g", value);
    return out;
}

//  The one-line human summary ("needs 41/day for the next 23 days; doing
//  28/day (22–33); 9 days behind").
static void
s_summary (const s_eval_t *self, ws_goal_status_t status, double required,
           double progress, double days_left, double days_ahead, json_t *result)
{
    const ws_goal_t *goal = self->goal;
    char text[512], a[32], b[32], c[32], d[32];
    const char *unit = goal->unit ? goal->unit : "";
    const char *space = goal->unit ? " " : "";
    const char *side =
        goal->direction == WS_GOAL_AT_LEAST ? "at least" : "at most";
    size_t len = 0;
#define S_ADD(...)                                                             \
    do {                                                                       \
        if (len < sizeof text)                                                 \
            len += (size_t) snprintf (text + len, sizeof text - len,           \
                                      __VA_ARGS__);                            \
    } while (0)
    if (status == WS_GOAL_ACHIEVED || status == WS_GOAL_MISSED) {
        S_ADD ("%s: %s%s%s against %s %s", ws_goal_status_name (status),
               ws_goal_number_text (self->current, a, sizeof a), space, unit,
               side, ws_goal_number_text (goal->target, b, sizeof b));
        if (isfinite (progress))
            S_ADD (" (%.0f%% of the way)", 100 * progress);
    }
    else if (goal->kind == WS_GOAL_KEEP) {
        S_ADD ("mean %s%s%s, to stay %s %s",
               ws_goal_number_text (self->current, a, sizeof a), space, unit,
               side, ws_goal_number_text (goal->target, b, sizeof b));
        if (isfinite (self->projected))
            S_ADD ("; projected %s (%s–%s) at the deadline in %s days",
                   ws_goal_number_text (self->projected, a, sizeof a),
                   ws_goal_number_text (self->low, b, sizeof b),
                   ws_goal_number_text (self->high, c, sizeof c),
                   ws_goal_number_text (days_left, d, sizeof d));
    }
    else {
        if (isfinite (required))
            S_ADD ("needs %s/day for the next %s days",
                   ws_goal_number_text (required, a, sizeof a),
                   ws_goal_number_text (days_left, b, sizeof b));
        else
            S_ADD ("no current value, %s days left",
                   ws_goal_number_text (days_left, b, sizeof b));
        if (isfinite (self->rate))
            S_ADD ("; doing %s/day (%s–%s)",
                   ws_goal_number_text (self->rate, a, sizeof a),
                   ws_goal_number_text (self->rate_low, b, sizeof b),
                   ws_goal_number_text (self->rate_high, c, sizeof c));
        if (isfinite (days_ahead) && fabs (days_ahead) >= 0.5)
            S_ADD ("; %s days %s",
                   ws_goal_number_text (fabs (days_ahead), a, sizeof a),
                   days_ahead > 0 ? "ahead" : "behind");
        else if (isfinite (days_ahead))
            S_ADD ("; on schedule");
    }
    if (status == WS_GOAL_TOO_EARLY)
        S_ADD ("; too early for a verdict (%zu samples, %.1f%% of the time "
               "gone)",
               self->n, 100 * fmin (1, fmax (0, self->as_of / self->deadline)));
#undef S_ADD
    json_object_set_new (result, "summary", json_string (text));
}

json_t *
ws_goal_evaluate (const ws_goal_t *goal, const ws_goal_sample_t *samples,
                  size_t count, const ws_goal_sample_t *denominator,
                  size_t denominator_count, int64_t as_of, ws_err_t *err)
{
    assert (goal);
    if (count > 0 && !samples)
        count = 0;
    if (ws_goal_check_samples (samples, count, "goal samples", err))
        return NULL;
    if (goal->numerator) {
        if (!denominator && denominator_count > 0)
            denominator_count = 0;
        if (!denominator) {
            ws_err_set (err, WS_ERR_INPUT,
                        "goal '%s': a ratio goal needs the samples of its "
                        "denominator '%s'",
                        goal->name, goal->denominator);
            return NULL;
        }
        if (ws_goal_check_samples (denominator, denominator_count,
                                   "denominator samples", err))
            return NULL;
    }
    s_eval_t self = {.goal = goal,
                     .as_of = s_days (goal, as_of),
                     .deadline = s_days (goal, goal->deadline),
                     .current = NAN,
                     .rate = NAN,
                     .rate_low = NAN,
                     .rate_high = NAN,
                     .projected = NAN,
                     .low = NAN,
                     .high = NAN,
                     .notes = json_array ()};
    int64_t end = as_of < goal->deadline ? as_of : goal->deadline;
    self.end = s_days (goal, end);
    json_t *result = NULL;
    double num_sum = 0, den_sum = 0;
    size_t window_n = 0;
    if (!self.notes)
        goto oom;
    if (goal->numerator) {
        if (s_collect_ratio (&self, samples, count, denominator,
                             denominator_count, end, &num_sum, &den_sum, err))
            goto done;
        size_t from, to;
        s_window (goal, samples, count, end, &from, &to);
        window_n = to - from;
    }
    else {
        if (s_collect (&self, samples, count, end, err))
            goto done;
        window_n = self.n;
    }

    //  README "baseline": total 0, level from the data, keep none.
    double baseline = NAN;
    if (goal->has_baseline)
        baseline = goal->baseline;
    else if (goal->kind == WS_GOAL_TOTAL)
        baseline = 0;
    else if (goal->kind == WS_GOAL_LEVEL)
        baseline = s_level_baseline (&self, samples, count, end);

    //  README "progress" = (current − baseline) / (target − baseline);
    //  absent for keep.
    double progress = NAN;
    if (goal->kind != WS_GOAL_KEEP && goal->target != baseline)
        progress = (self.current - baseline) / (goal->target - baseline);
    else if (goal->kind != WS_GOAL_KEEP && goal->target == baseline)
        s_note (&self, "progress: the baseline equals the target");

    double elapsed = fmin (1, fmax (0, self.as_of / self.deadline));
    double days_left = fmax (0, self.deadline - self.as_of);
    bool before_deadline = as_of < goal->deadline;

    //  The projection (README "projected", "actual_rate").
    if (self.n >= WS_GOAL_MIN_POINTS) {
        if (goal->numerator)
            s_model_mean (&self, num_sum, den_sum);
        else if (goal->aggregation == WS_GOAL_AGG_SUM
                 || goal->aggregation == WS_GOAL_AGG_COUNT)
            s_model_sum (&self);
        else if (goal->aggregation == WS_GOAL_AGG_AVG)
            s_model_mean (&self, self.current * (double) self.n,
                          (double) self.n);
        else
            s_model_level (&self);
    }

    //  README "status": the first rule that applies.
    ws_goal_status_t status;
    //  Rule 1: keep goals and at_most totals (a budget) are only achieved
    //  once the deadline has come: until then they can still fail.
    bool final_only =
        goal->kind == WS_GOAL_KEEP
        || (goal->kind == WS_GOAL_TOTAL && goal->direction == WS_GOAL_AT_MOST);
    if (s_meets (goal, self.current, 0) && (!final_only || !before_deadline))
        status = WS_GOAL_ACHIEVED;
    else if (!before_deadline)
        status = WS_GOAL_MISSED;
    else if (elapsed < WS_GOAL_MIN_ELAPSED || !isfinite (self.projected)
             || !isfinite (self.current))
        status = WS_GOAL_TOO_EARLY;
    else {
        //  DESIGN.md: on_track if the projection meets the target,
        //  at_risk if only its interval does, off_track if not even that.
        double scale = goal->kind == WS_GOAL_KEEP || !isfinite (baseline)
                           ? fabs (goal->target)
                           : fabs (goal->target - baseline);
        double margin = WS_GOAL_MARGIN * scale;
        double reach =
            goal->direction == WS_GOAL_AT_LEAST ? self.high : self.low;
        if (s_meets (goal, self.projected, margin))
            status = WS_GOAL_ON_TRACK;
        else if (s_meets (goal, reach, 0))
            status = WS_GOAL_AT_RISK;
        else
            status = WS_GOAL_OFF_TRACK;
    }
    if (!isfinite (self.current))
        s_note (&self, "current: no sample in the window");
    if (self.n < WS_GOAL_MIN_POINTS)
        s_note (&self, "projected: fewer than 3 samples to project from");

    //  README "required_rate" = (target − current) / days_left; absent for
    //  keep, after the deadline and once achieved.
    double required = NAN;
    if (goal->kind != WS_GOAL_KEEP && before_deadline
        && status != WS_GOAL_ACHIEVED && days_left > 0)
        required = (goal->target - self.current) / days_left;

    //  Days ahead (+) or behind (−) the expected-progress curve: when
    //  the curve reaches today's progress, less as_of.
    double days_ahead = NAN;
    if (isfinite (progress) && before_deadline && self.as_of > 0)
        days_ahead = (s_expected_time (goal, fmin (1, fmax (0, progress)))
                      - (double) as_of)
                     / S_DAY_MS;

    result = json_object ();
    if (!result)
        goto oom;
    const char *status_name = ws_goal_status_name (status);
    //  Offline there is no history, so no hysteresis: reported = status.
    json_object_set_new (result, "status", json_string (status_name));
    json_object_set_new (result, "reported_status", json_string (status_name));
    json_object_set_new (result, "name", json_string (goal->name));
    json_object_set_new (result, "kind",
                         json_string (ws_goal_kind_name (goal->kind)));
    json_object_set_new (
        result, "direction",
        json_string (ws_goal_direction_name (goal->direction)));
    json_object_set_new (result, "target", json_real (goal->target));
    if (goal->unit)
        json_object_set_new (result, "unit", json_string (goal->unit));
    json_object_set_new (result, "as_of", s_time_json (as_of));
    s_set_number (result, "current", self.current);
    if (goal->kind == WS_GOAL_KEEP)
        json_object_set_new (result, "baseline", json_null ());
    else
        s_set_number (result, "baseline", baseline);
    if (goal->kind != WS_GOAL_KEEP)
        s_set_number (result, "progress", progress);
    double expected = ws_goal_expected_progress (goal, as_of);
    json_object_set_new (result, "expected_progress", json_real (expected));
    json_object_set_new (result, "elapsed", json_real (elapsed));
    json_object_set_new (result, "days_left", json_real (days_left));
    s_set_number (result, "days_ahead", days_ahead);
    s_set_number (result, "required_rate", required);
    s_set_number (result, "actual_rate", self.rate);
    s_set_number (result, "actual_rate_low", self.rate_low);
    s_set_number (result, "actual_rate_high", self.rate_high);
    if (before_deadline && isfinite (self.projected)) {
        s_set_number (result, "projected", self.projected);
        s_set_number (result, "projected_low", self.low);
        s_set_number (result, "projected_high", self.high);
        json_object_set_new (result, "confidence",
                             json_real (WS_GOAL_CONFIDENCE));
    }
    json_object_set_new (result, "n", json_integer ((json_int_t) window_n));
    json_object_set_new (result, "window",
                         json_pack ("{s:o, s:o}", "from",
                                    s_time_json (goal->start), "to",
                                    s_time_json (end)));
    s_summary (&self, status, required, progress, days_left, days_ahead,
               result);
    json_object_set (result, "notes", self.notes);
    goto done;
oom:
    ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory", goal->name);
done:
    free (self.t);
    free (self.x);
    free (self.weight);
    json_decref (self.notes);
    return result;
}
