//  ws_goal_job - a goal evaluation job as a worker runs it.
#include "ws_goal_job.h"

#include <stdlib.h>
#include <string.h>

#include "ws_goal.h"
#include "ws_goal_track.h"
#include "ws_json.h"
#include "ws_time.h"

#define S_SUBJECT "goal job"

//  {"t": [ms], "x": [numbers]} at path into *samples (caller frees).
static int
s_series (json_t *series, const char *path, ws_goal_sample_t **samples,
          size_t *count, ws_err_t *err)
{
    json_t *t = json_object_get (series, "t");
    json_t *x = json_object_get (series, "x");
    if (!json_is_array (t) || !json_is_array (x)
        || json_array_size (t) != json_array_size (x))
        return ws_json_fail_found (
            err, S_SUBJECT, path, series,
            "an object {\"t\": [ms], \"x\": [numbers]} of one length");
    size_t n = json_array_size (t);
    *samples = calloc (n + 1, sizeof (ws_goal_sample_t));
    if (!*samples)
        abort ();
    for (size_t i = 0; i < n; i++) {
        json_t *time = json_array_get (t, i);
        json_t *value = json_array_get (x, i);
        if (!json_is_integer (time) || !json_is_number (value)) {
            char at[64];
            snprintf (at, sizeof at, "%s/%s/%zu", path,
                      json_is_integer (time) ? "x" : "t", i);
            free (*samples);
            *samples = NULL;
            return ws_json_fail_found (
                err, S_SUBJECT, at, json_is_integer (time) ? value : time,
                json_is_integer (time) ? "a number" : "an integer (ms)");
        }
        (*samples)[i].t = json_integer_value (time);
        (*samples)[i].value = json_number_value (value);
    }
    *count = n;
    return 0;
}

//  Whether the sources (and the newest sample) make the data stale: a
//  verdict (caller owns), JSON null when fresh, NULL with *err.
static json_t *
s_stale (json_t *input, int64_t as_of, ws_err_t *err)
{
    json_t *sources = json_object_get (input, "sources");
    json_t *newest = json_object_get (input, "newest");
    if (sources && !json_is_array (sources)) {
        ws_json_fail_found (err, S_SUBJECT, "/sources", sources, "an array");
        return NULL;
    }
    size_t count = json_array_size (sources);
    ws_goal_source_health_t *health = calloc (count + 1, sizeof *health);
    if (!health)
        abort ();
    for (size_t i = 0; i < count; i++) {
        json_t *source = json_array_get (sources, i);
        json_t *name = json_object_get (source, "name");
        json_t *failures = json_object_get (source, "failures");
        json_t *interval = json_object_get (source, "interval_ms");
        json_t *success = json_object_get (source, "last_success");
        json_t *error = json_object_get (source, "last_error");
        if (!json_is_string (name) || !json_is_integer (failures)
            || !json_is_integer (interval)
            || !(json_is_integer (success) || json_is_null (success)
                 || !success)
            || !(json_is_string (error) || json_is_null (error) || !error)) {
            char at[48];
            snprintf (at, sizeof at, "/sources/%zu", i);
            free (health);
            ws_json_fail_found (
                err, S_SUBJECT, at, source,
                "{\"name\", \"failures\", \"interval_ms\", \"last_success\","
                " \"last_error\"}");
            return NULL;
        }
        health[i].name = json_string_value (name);
        health[i].failures = (int) json_integer_value (failures);
        health[i].interval = json_integer_value (interval);
        health[i].last_success = json_is_integer (success)
                                     ? json_integer_value (success)
                                     : WS_GOAL_NO_TIME;
        health[i].last_error = json_string_value (error);
    }
    json_t *verdict = NULL;
    int rc = ws_goal_stale_check (health, count,
                                  json_is_integer (newest)
                                      ? json_integer_value (newest)
                                      : WS_GOAL_NO_TIME,
                                  as_of, NULL, &verdict, err);
    free (health);
    if (rc)
        return NULL;
    return verdict ? verdict : json_null ();
}

json_t *
ws_goal_job_run (json_t *input, ws_err_t *err)
{
    if (!json_is_object (input)) {
        ws_json_fail_found (err, S_SUBJECT, "", input, "an object");
        return NULL;
    }
    static const char *const keys[] = {"def",         "as_of",      "series",
                                       "denominator", "state",      "sources",
                                       "newest",      "hysteresis", NULL};
    if (ws_json_check_keys (input, "", keys,
                            "def, as_of, series, denominator, state, "
                            "sources, newest, hysteresis",
                            S_SUBJECT, err))
        return NULL;
    json_t *as_of_json = json_object_get (input, "as_of");
    if (!json_is_integer (as_of_json)) {
        ws_json_fail_found (err, S_SUBJECT, "/as_of", as_of_json,
                            "an integer (ms)");
        return NULL;
    }
    int64_t as_of = json_integer_value (as_of_json);
    ws_err_t inner;
    ws_goal_t *goal = ws_goal_new (json_object_get (input, "def"), &inner);
    if (!goal) {
        ws_err_set (err, WS_ERR_INPUT, "goal job: /def: %s", inner.text);
        //  The goal's pointer under "/def", cut if it does not fit.
        size_t len = strlen (inner.where);
        if (len > sizeof err->where - 5)
            len = sizeof err->where - 5;
        memcpy (err->where, "/def", 4);
        memcpy (err->where + 4, inner.where, len);
        err->where[4 + len] = '\0';
        return NULL;
    }
    ws_goal_sample_t *samples = NULL, *denominator = NULL;
    size_t count = 0, denominator_count = 0;
    json_t *evaluation = NULL, *stale = NULL;
    ws_goal_hysteresis_t settings;
    ws_goal_hysteresis_init (&settings);
    ws_goal_track_t state;
    ws_goal_track_init (&state);
    json_t *last = json_object_get (input, "state");
    json_t *denominator_json = json_object_get (input, "denominator");
    json_t *hysteresis = json_object_get (input, "hysteresis");
    if (s_series (json_object_get (input, "series"), "/series", &samples,
                  &count, err)
        || (denominator_json
            && s_series (denominator_json, "/denominator", &denominator,
                         &denominator_count, err))
        || (hysteresis
            && ws_goal_hysteresis_parse (&settings, hysteresis, "/hysteresis",
                                         err))
        || (!hysteresis && ws_goal_hysteresis_settings (goal)
            && ws_goal_hysteresis_parse (&settings,
                                         ws_goal_hysteresis_settings (goal),
                                         "/def/hysteresis", err))
        || (json_is_object (last) && ws_goal_track_restore (&state, last, err))
        || !(stale = s_stale (input, as_of, err)))
        goto done;
    evaluation = ws_goal_evaluate (goal, samples, count, denominator,
                                   denominator_count, as_of, err);
    if (evaluation
        && ws_goal_track_step (&state, &settings, goal, evaluation,
                               json_is_null (stale) ? NULL : stale, NULL,
                               err)) {
        json_decref (evaluation);
        evaluation = NULL;
    }
    if (evaluation) {
        //  What the alerts show as evidence besides the figures.
        json_t *newest = json_object_get (input, "newest");
        if (json_is_integer (newest)) {
            char when[40];
            ws_iso8601_format (json_integer_value (newest), when, sizeof when);
            json_object_set_new (evaluation, "newest_sample",
                                 json_string (when));
        }
        json_t *sources = json_object_get (input, "sources");
        if (sources)
            json_object_set (evaluation, "sources", sources);
    }
done:
    json_decref (stale);
    free (samples);
    free (denominator);
    ws_goal_destroy (&goal);
    return evaluation;
}
