//  ws_campaign - campaigns, activities and the check of an apply file.
#include "ws_campaign.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_goal.h"
#include "ws_hook.h"
#include "ws_source.h"
#include "ws_time.h"
#include "ws_json.h"

//  The shared definition checks (ws_json), naming this module's subject.
#define s_fail(err, path, ...) ws_json_fail ((err), "top", (path), __VA_ARGS__)
#define s_fail_found(err, path, found, expected)                               \
    ws_json_fail_found ((err), "top", (path), (found), (expected))
#define s_pointer_join ws_json_pointer_join
#define s_check_keys(object, allowed, text, err)                               \
    ws_json_check_keys ((object), "", (allowed), (text), "top", (err))

#define S_NAME_MAX 64
#define S_TEXT_MAX 1024
#define S_LABELS_MAX 32

struct _ws_campaign_t {
    char *name, *objective, *channel;
    int64_t start, end;
    bool has_budget;
    double budget;
};

struct _ws_activity_t {
    char *campaign;
    const char *kind;  //  static: one of s_kinds
    int64_t at;
    json_t *segment;  //  owned, NULL if none
    char *note;       //  owned, "" if none
};

static const char *s_kinds[] = {"email",        "social_post", "paid_ad",
                                "blog_article", "event",       NULL};

static int
s_lookup (const char *const *names, const char *name)
{
    for (int index = 0; names[index]; index++)
        if (strcmp (names[index], name) == 0)
            return index;
    return -1;
}

static bool
s_valid_name (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > S_NAME_MAX)
        return false;
    return ws_json_valid_name (name);
}

//  A required name ([A-Za-z0-9_.-], 1..64) into *out (copied).
static int
s_get_name (json_t *def, const char *key, char **out, ws_err_t *err)
{
    char path[80];
    snprintf (path, sizeof path, "/%s", key);
    json_t *value = json_object_get (def, key);
    if (!json_is_string (value) || !s_valid_name (json_string_value (value)))
        return s_fail_found (err, path, value,
                             "a name of 1..64 characters [A-Za-z0-9_.-]");
    *out = strdup (json_string_value (value));
    return *out ? 0 : ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
}

//  A string of 1..max characters (0..max when optional) into *out.
static int
s_get_text (json_t *def, const char *key, size_t max, bool optional, char **out,
            ws_err_t *err)
{
    char path[80], expected[80];
    snprintf (path, sizeof path, "/%s", key);
    json_t *value = json_object_get (def, key);
    if (!value && optional)
        *out = strdup ("");
    else {
        snprintf (expected, sizeof expected, "a string of %d..%zu characters",
                  optional ? 0 : 1, max);
        if (!json_is_string (value))
            return s_fail_found (err, path, value, expected);
        size_t len = json_string_length (value);
        if ((len == 0 && !optional) || len > max)
            return s_fail (err, path, "%zu characters, expected %s", len,
                           expected);
        if (strlen (json_string_value (value)) != len)
            return s_fail (err, path, "holds a NUL character");
        *out = strdup (json_string_value (value));
    }
    return *out ? 0 : ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
}

static int
s_get_time (json_t *def, const char *key, int64_t *ms, ws_err_t *err)
{
    char path[80];
    snprintf (path, sizeof path, "/%s", key);
    json_t *value = json_object_get (def, key);
    if (!json_is_string (value))
        return s_fail_found (err, path, value, "an ISO 8601 date or time");
    ws_err_t parse;
    if (ws_iso8601_parse (json_string_value (value), ms, &parse))
        return s_fail (err, path, "%s", parse.text);
    return 0;
}

//  ---------------------------------------------------------------------
//  Campaigns

static const char *s_campaign_keys[] = {"name", "objective", "channel", "start",
                                        "end",  "budget",    NULL};

ws_campaign_t *
ws_campaign_new (json_t *def, ws_err_t *err)
{
    if (!json_is_object (def)) {
        s_fail_found (err, "", def, "a campaign object");
        return NULL;
    }
    if (s_check_keys (def, s_campaign_keys,
                      "name, objective, channel, start, end, budget", err))
        return NULL;
    ws_campaign_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        return NULL;
    }
    json_t *budget = json_object_get (def, "budget");
    if (s_get_name (def, "name", &self->name, err)
        || s_get_text (def, "objective", S_TEXT_MAX, false, &self->objective,
                       err)
        || s_get_text (def, "channel", S_NAME_MAX, false, &self->channel, err)
        || s_get_time (def, "start", &self->start, err)
        || s_get_time (def, "end", &self->end, err))
        goto fail;
    if (self->end <= self->start) {
        s_fail (err, "/end", "%s is not after start %s",
                json_string_value (json_object_get (def, "end")),
                json_string_value (json_object_get (def, "start")));
        goto fail;
    }
    if (budget) {
        if (!json_is_number (budget) || !isfinite (json_number_value (budget))
            || json_number_value (budget) < 0) {
            s_fail_found (err, "/budget", budget, "a number >= 0");
            goto fail;
        }
        self->has_budget = true;
        self->budget = json_number_value (budget);
    }
    return self;
fail:
    ws_campaign_destroy (&self);
    return NULL;
}

void
ws_campaign_destroy (ws_campaign_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_campaign_t *self = *self_p;
    free (self->name);
    free (self->objective);
    free (self->channel);
    free (self);
    *self_p = NULL;
}

json_t *
ws_campaign_to_json (const ws_campaign_t *self)
{
    char start[32], end[32];
    ws_iso8601_format (self->start, start, sizeof start);
    ws_iso8601_format (self->end, end, sizeof end);
    json_t *json = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "name", self->name,
                              "objective", self->objective, "channel",
                              self->channel, "start", start, "end", end);
    if (json && self->has_budget)
        json_object_set_new (json, "budget", json_real (self->budget));
    return json;
}

const char *
ws_campaign_name (const ws_campaign_t *self)
{
    return self->name;
}

const char *
ws_campaign_objective (const ws_campaign_t *self)
{
    return self->objective;
}

const char *
ws_campaign_channel (const ws_campaign_t *self)
{
    return self->channel;
}

int64_t
ws_campaign_start (const ws_campaign_t *self)
{
    return self->start;
}

int64_t
ws_campaign_end (const ws_campaign_t *self)
{
    return self->end;
}

bool
ws_campaign_budget (const ws_campaign_t *self, double *budget)
{
    if (self->has_budget && budget)
        *budget = self->budget;
    return self->has_budget;
}

//  ---------------------------------------------------------------------
//  Activities

static const char *s_activity_keys[] = {"campaign", "kind", "at",
                                        "segment",  "note", NULL};

static int
s_parse_segment (ws_activity_t *self, json_t *def, ws_err_t *err)
{
    json_t *segment = json_object_get (def, "segment");
    if (!segment)
        return 0;
    if (!json_is_object (segment))
        return s_fail_found (err, "/segment", segment,
                             "an object of label names to strings");
    if (json_object_size (segment) > S_LABELS_MAX)
        return s_fail (err, "/segment", "%zu labels, at most %d allowed",
                       json_object_size (segment), S_LABELS_MAX);
    const char *key;
    json_t *value;
    json_object_foreach (segment, key, value) {
        char where[128];
        s_pointer_join (where, sizeof where, "/segment", key);
        bool good = *key && (isalpha ((unsigned char) *key) || *key == '_');
        for (const char *p = key; *p; p++)
            if (!isalnum ((unsigned char) *p) && *p != '_')
                good = false;
        if (!good)
            return s_fail (err, where,
                           "bad label name, expected [A-Za-z_][A-Za-z0-9_]*");
        if (!json_is_string (value))
            return s_fail_found (err, where, value, "a string");
    }
    if (json_object_size (segment) > 0) {
        self->segment = json_deep_copy (segment);
        if (!self->segment)
            return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    }
    return 0;
}

ws_activity_t *
ws_activity_new (json_t *def, ws_err_t *err)
{
    if (!json_is_object (def)) {
        s_fail_found (err, "", def, "an activity object");
        return NULL;
    }
    if (s_check_keys (def, s_activity_keys, "campaign, kind, at, segment, note",
                      err))
        return NULL;
    ws_activity_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        return NULL;
    }
    if (s_get_name (def, "campaign", &self->campaign, err))
        goto fail;
    json_t *kind = json_object_get (def, "kind");
    int index = json_is_string (kind)
                    ? s_lookup (s_kinds, json_string_value (kind))
                    : -1;
    if (index < 0) {
        s_fail_found (err, "/kind", kind,
                      "email, social_post, paid_ad, blog_article or event");
        goto fail;
    }
    self->kind = s_kinds[index];
    if (s_get_time (def, "at", &self->at, err)
        || s_parse_segment (self, def, err)
        || s_get_text (def, "note", S_TEXT_MAX, true, &self->note, err))
        goto fail;
    return self;
fail:
    ws_activity_destroy (&self);
    return NULL;
}

void
ws_activity_destroy (ws_activity_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_activity_t *self = *self_p;
    free (self->campaign);
    json_decref (self->segment);
    free (self->note);
    free (self);
    *self_p = NULL;
}

json_t *
ws_activity_to_json (const ws_activity_t *self)
{
    char at[32];
    ws_iso8601_format (self->at, at, sizeof at);
    json_t *json = json_pack ("{s:s, s:s, s:s}", "campaign", self->campaign,
                              "kind", self->kind, "at", at);
    if (json && self->segment)
        json_object_set_new (json, "segment", json_deep_copy (self->segment));
    if (json && *self->note)
        json_object_set_new (json, "note", json_string (self->note));
    return json;
}

const char *
ws_activity_campaign (const ws_activity_t *self)
{
    return self->campaign;
}

const char *
ws_activity_kind (const ws_activity_t *self)
{
    return self->kind;
}

int64_t
ws_activity_at (const ws_activity_t *self)
{
    return self->at;
}

json_t *
ws_activity_segment (const ws_activity_t *self)
{
    return self->segment;
}

const char *
ws_activity_note (const ws_activity_t *self)
{
    return self->note;
}

//  ---------------------------------------------------------------------
//  An apply file

static const char *s_set_keys[] = {"sources",    "goals", "campaigns",
                                   "activities", "hooks", NULL};

//  Re-locate an element's error: where = /KIND/INDEX + the element's
//  pointer; the text stays the element's own.
static void
s_relocate (ws_err_t *err, const char *kind, size_t index)
{
    if (!err)
        return;
    char where[sizeof err->where];
    snprintf (where, sizeof where, "/%s/%zu%.100s", kind, index, err->where);
    ws_err_where (err, "%s", where);
}

//  Normalise one element of kind; *name gets its identity (caller frees).
static json_t *
s_normalise (const char *kind, json_t *def, char **name, ws_err_t *err)
{
    json_t *normal = NULL;
    if (strcmp (kind, "sources") == 0) {
        ws_source_t *source = ws_source_new (def, err);
        if (source) {
            normal = ws_source_to_json (source);
            *name = strdup (ws_source_name (source));
            ws_source_destroy (&source);
        }
    }
    else if (strcmp (kind, "campaigns") == 0) {
        ws_campaign_t *campaign = ws_campaign_new (def, err);
        if (campaign) {
            normal = ws_campaign_to_json (campaign);
            *name = strdup (ws_campaign_name (campaign));
            ws_campaign_destroy (&campaign);
        }
    }
    else if (strcmp (kind, "goals") == 0) {
        ws_goal_t *goal = ws_goal_new (def, err);
        if (goal) {
            normal = ws_goal_to_json (goal);
            *name = strdup (ws_goal_name (goal));
            ws_goal_destroy (&goal);
        }
    }
    else if (strcmp (kind, "hooks") == 0) {
        ws_hook_t *hook = ws_hook_new (def, err);
        if (hook) {
            normal = ws_hook_to_json (hook);
            *name = strdup (ws_hook_name (hook));
            ws_hook_destroy (&hook);
        }
    }
    else {
        ws_activity_t *activity = ws_activity_new (def, err);
        if (activity) {
            normal = ws_activity_to_json (activity);
            //  The stored key: campaign, kind, at, note.
            json_t *key =
                json_pack ("[s, s, I, s]", activity->campaign, activity->kind,
                           (json_int_t) activity->at, activity->note);
            *name = key ? json_dumps (key, JSON_COMPACT) : NULL;
            json_decref (key);
            ws_activity_destroy (&activity);
        }
    }
    if (normal && !*name) {
        json_decref (normal);
        ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        return NULL;
    }
    return normal;
}

json_t *
ws_campaign_check_set (json_t *doc, ws_err_t *err)
{
    if (!json_is_object (doc)) {
        s_fail_found (err, "", doc,
                      "an object with \"sources\", \"campaigns\", \"goals\", "
                      "\"activities\" or \"hooks\"");
        return NULL;
    }
    if (s_check_keys (doc, s_set_keys,
                      "sources, campaigns, goals, activities, hooks", err))
        return NULL;
    json_t *set = json_object ();
    for (int k = 0; s_set_keys[k]; k++) {
        const char *kind = s_set_keys[k];
        json_t *array = json_object_get (doc, kind);
        if (!array)
            continue;
        char path[32];
        snprintf (path, sizeof path, "/%s", kind);
        if (!json_is_array (array)) {
            s_fail_found (err, path, array, "an array");
            json_decref (set);
            return NULL;
        }
        json_t *normals = json_array ();
        json_t *seen = json_object ();
        json_object_set_new (set, kind, normals);
        size_t index;
        json_t *def;
        json_array_foreach (array, index, def) {
            char *name = NULL;
            json_t *normal = s_normalise (kind, def, &name, err);
            if (!normal) {
                s_relocate (err, kind, index);
                json_decref (seen);
                json_decref (set);
                return NULL;
            }
            json_t *first = json_object_get (seen, name);
            if (first) {
                bool activity = strcmp (kind, "activities") == 0;
                char where[64];
                snprintf (where, sizeof where, "/%s/%zu%s", kind, index,
                          activity ? "" : "/name");
                s_fail (err, where,
                        "%s twice (also /%s/%" JSON_INTEGER_FORMAT ")",
                        activity ? "the same activity (campaign, kind, at, "
                                   "note)"
                                 : "named",
                        kind, json_integer_value (first));
                free (name);
                json_decref (normal);
                json_decref (seen);
                json_decref (set);
                return NULL;
            }
            json_object_set_new (seen, name, json_integer ((json_int_t) index));
            free (name);
            json_array_append_new (normals, normal);
        }
        json_decref (seen);
    }
    return set;
}
