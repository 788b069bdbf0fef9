//  ws_sched - the coordinator's table of sources, schedule and health.
#include "ws_sched.h"

#include <stdlib.h>
#include <string.h>

#include "ws_log.h"
#include "ws_map.h"

struct _ws_sched_t {
    ws_map_t *by_id;           //  owns the sources
    ws_sched_source_t **heap;  //  borrowed; min-heap on next_tick
    size_t heap_size, heap_max;
    int64_t backoff_max_ms;
    bool loaded;  //  a first load was made: what the previous run left
                  //  is checked only for the sources of the first
};

static void
s_source_free (void *value)
{
    ws_sched_source_t *source = value;
    if (!source)
        return;
    free (source->name);
    ws_source_destroy (&source->source);
    json_decref (source->def);
    free (source->def_text);
    free (source->rule_series);
    free (source->last_error);
    free (source->last_error_kind);
    free (source->last_values);
    free (source->rule_values);
    free (source->rule_have);
    free (source);
}

//  A definition's version: FNV-1a of its text, cut to 53 bits so that
//  any JSON reader keeps it exact; never 0.
static int64_t
s_version (const char *text)
{
    uint64_t hash = 14695981039346656037u;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        hash ^= *p;
        hash *= 1099511628211u;
    }
    hash &= (1ull << 53) - 1;
    return hash ? (int64_t) hash : 1;
}

ws_sched_t *
ws_sched_new (int64_t backoff_max_ms)
{
    ws_sched_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->by_id = ws_map_new (s_source_free);
    self->backoff_max_ms = backoff_max_ms;
    return self;
}

void
ws_sched_destroy (ws_sched_t **self_p)
{
    if (self_p && *self_p) {
        ws_map_destroy (&(*self_p)->by_id);
        free ((*self_p)->heap);
        free (*self_p);
        *self_p = NULL;
    }
}

//  Heap on next_tick, ties broken by id so the order is stable.
static bool
s_before (ws_sched_source_t *a, ws_sched_source_t *b)
{
    return a->next_tick < b->next_tick
           || (a->next_tick == b->next_tick && a->id < b->id);
}

static void
s_heap_set (ws_sched_t *self, size_t index, ws_sched_source_t *source)
{
    self->heap[index] = source;
    source->heap_index = index;
}

static void
s_heap_up (ws_sched_t *self, size_t index)
{
    ws_sched_source_t *source = self->heap[index];
    while (index > 0) {
        size_t parent = (index - 1) / 2;
        if (!s_before (source, self->heap[parent]))
            break;
        s_heap_set (self, index, self->heap[parent]);
        index = parent;
    }
    s_heap_set (self, index, source);
}

static void
s_heap_down (ws_sched_t *self, size_t index)
{
    ws_sched_source_t *source = self->heap[index];
    for (;;) {
        size_t child = 2 * index + 1;
        if (child >= self->heap_size)
            break;
        if (child + 1 < self->heap_size
            && s_before (self->heap[child + 1], self->heap[child]))
            child++;
        if (!s_before (self->heap[child], source))
            break;
        s_heap_set (self, index, self->heap[child]);
        index = child;
    }
    s_heap_set (self, index, source);
}

static void
s_heap_push (ws_sched_t *self, ws_sched_source_t *source)
{
    if (self->heap_size == self->heap_max) {
        self->heap_max = self->heap_max ? self->heap_max * 2 : 64;
        self->heap = realloc (self->heap, self->heap_max * sizeof *self->heap);
        if (!self->heap)
            abort ();
    }
    s_heap_set (self, self->heap_size++, source);
    s_heap_up (self, self->heap_size - 1);
}

//  The first grid point of the source at or after time.
static int64_t
s_grid_at_or_after (ws_sched_source_t *source, int64_t time)
{
    int64_t offset = time - source->phase_ms;
    int64_t k = offset / source->interval_ms;
    if (k * source->interval_ms < offset)
        k++;
    if (offset < 0 && k * source->interval_ms > offset + source->interval_ms)
        k--;
    return k * source->interval_ms + source->phase_ms;
}

int64_t
ws_sched_grid_at_or_after (ws_sched_source_t *source, int64_t ms)
{
    return s_grid_at_or_after (source, ms);
}

int64_t
ws_sched_accounted_before (ws_sched_source_t *source)
{
    if (source->scan_to || !source->last_planned)
        return 0;
    int64_t next = source->last_planned + source->interval_ms;
    return source->open_min < next ? source->open_min : next;
}

static int64_t
s_phase (const char *name, int64_t interval_ms)
{
    uint64_t hash = 1469598103934665603ULL;
    for (const char *p = name; *p; p++) {
        hash ^= (unsigned char) *p;
        hash *= 1099511628211ULL;
    }
    return (int64_t) (hash % (uint64_t) interval_ms);
}

static char *
s_dup (const char *text)
{
    return text ? strdup (text) : NULL;
}

int
ws_sched_load (ws_sched_t *self, json_t *rows, int64_t now_ms)
{
    //  Keep the health of sources already known: it is newer than the
    //  stored one. Everything else is rebuilt.
    ws_map_t *old = self->by_id;
    bool first_load = !self->loaded;
    self->loaded = true;
    self->by_id = ws_map_new (s_source_free);
    self->heap_size = 0;
    int enabled = 0;
    size_t index;
    json_t *row;
    json_array_foreach (rows, index, row) {
        int64_t id = json_integer_value (json_object_get (row, "id"));
        const char *name = json_string_value (json_object_get (row, "name"));
        ws_err_t err;
        ws_source_t *parsed =
            ws_source_new (json_object_get (row, "def"), &err);
        if (!parsed) {
            ws_warning ("source '%s': stored definition refused: %s",
                        name ? name : "?", err.text);
            continue;
        }
        ws_sched_source_t *source = calloc (1, sizeof *source);
        if (!source)
            abort ();
        source->id = id;
        source->name = strdup (ws_source_name (parsed));
        source->source = parsed;
        source->def = ws_source_to_json (parsed);
        source->def_text = json_dumps (source->def, JSON_COMPACT);
        size_t rules = ws_source_rule_count (parsed);
        source->rule_series = calloc (rules + 1, sizeof (int64_t));
        source->rule_values = calloc (rules + 1, sizeof (double));
        source->rule_have = calloc (rules + 1, sizeof (bool));
        if (!source->def_text || !source->rule_series || !source->rule_values
            || !source->rule_have)
            abort ();
        source->version = s_version (source->def_text);
        source->interval_ms = ws_source_interval_ms (parsed);
        source->phase_ms = s_phase (source->name, source->interval_ms);
        source->enabled = json_is_true (json_object_get (row, "enabled"))
                          && ws_source_enabled (parsed);
        ws_sched_source_t *known = ws_map_get_int (old, (uint64_t) id);
        if (known && known->version == source->version
            && strcmp (known->def_text, source->def_text) == 0)
            //  The same rules: their series are the same.
            memcpy (source->rule_series, known->rule_series,
                    rules * sizeof (int64_t));
        if (known) {
            ws_sched_last_values (known);
            source->failures = known->failures;
            source->last_tick = known->last_tick;
            source->last_success = known->last_success;
            source->last_error_at = known->last_error_at;
            source->last_error = s_dup (known->last_error);
            source->last_error_kind = s_dup (known->last_error_kind);
            source->last_values = s_dup (known->last_values);
            source->ticks_ok = known->ticks_ok;
            source->ticks_failed = known->ticks_failed;
            source->outstanding = known->outstanding;
            source->dirty = known->dirty;
            source->routine = known->routine;
            source->scan_from = known->scan_from;
            source->scan_to = known->scan_to;
            //  The same grid and kept enabled: what was skipped since
            //  the last planned tick is still to be recorded. A new grid
            //  or a source enabled again starts afresh.
            if (known->enabled && source->enabled
                && known->interval_ms == source->interval_ms
                && known->phase_ms == source->phase_ms) {
                source->last_planned = known->last_planned;
                source->skip_why = known->skip_why;
            }
        }
        else {
            source->failures =
                (int) json_integer_value (json_object_get (row, "failures"));
            source->last_tick =
                json_integer_value (json_object_get (row, "last_tick"));
            source->last_success =
                json_integer_value (json_object_get (row, "last_success"));
            source->last_error_at =
                json_integer_value (json_object_get (row, "last_error_at"));
            source->last_error =
                s_dup (json_string_value (json_object_get (row, "last_error")));
            source->last_error_kind = s_dup (
                json_string_value (json_object_get (row, "last_error_kind")));
            json_t *values = json_object_get (row, "last_values");
            source->last_values = json_is_null (values) || !values
                                      ? NULL
                                      : json_dumps (values, JSON_COMPACT);
            source->ticks_ok =
                json_integer_value (json_object_get (row, "ticks_ok"));
            source->ticks_failed =
                json_integer_value (json_object_get (row, "ticks_failed"));
        }
        //  A stored next_due from a backoff is honoured; otherwise the
        //  first grid point from now. Ticks missed while the coordinator
        //  was down are not collected after the fact: a value fetched now
        //  is not the value of a past tick.
        int64_t due = json_integer_value (json_object_get (row, "next_due"));
        if (known)
            due = known->next_tick;
        source->next_tick =
            s_grid_at_or_after (source, due > now_ms ? due : now_ms);
        if (!known && first_load) {
            //  The previous run accounted for everything before
            //  accounted_before; what lies between it and this run's
            //  first tick is checked once the results the previous run
            //  left with workers are in (ws_coord: the startup scan).
            //  Ticks a stored backoff defers are the backoff's.
            //  A source without a health row (the previous run died
            //  within a minute of creating it) is checked from its
            //  creation on.
            int64_t first = s_grid_at_or_after (source, now_ms);
            int64_t from =
                json_integer_value (json_object_get (row, "accounted_before"));
            if (from <= 0)
                from = json_integer_value (json_object_get (row, "created_at"));
            if (from > 0)
                from = s_grid_at_or_after (source, from);
            if (from > 0 && from < first) {
                source->scan_from = from;
                source->scan_to = first;
            }
            if (source->next_tick > first) {
                source->last_planned = first - source->interval_ms;
                source->skip_why = "backoff";
            }
        }
        ws_map_put_int (self->by_id, (uint64_t) id, source);
        if (source->enabled) {
            s_heap_push (self, source);
            enabled++;
        }
    }
    ws_map_destroy (&old);
    return enabled;
}

ws_sched_source_t *
ws_sched_get (ws_sched_t *self, int64_t id)
{
    return ws_map_get_int (self->by_id, (uint64_t) id);
}

size_t
ws_sched_count (ws_sched_t *self)
{
    return ws_map_size (self->by_id);
}

//  The backoff delay after f consecutive failures: 2^f intervals, capped
//  at backoff_max (but never below one interval).
static int64_t
s_backoff (ws_sched_t *self, ws_sched_source_t *source)
{
    if (source->failures <= 0)
        return source->interval_ms;
    int shift = source->failures > 20 ? 20 : source->failures;
    int64_t delay = source->interval_ms << shift;
    int64_t cap = self->backoff_max_ms > source->interval_ms
                      ? self->backoff_max_ms
                      : source->interval_ms;
    return delay > cap ? cap : delay;
}

ws_sched_source_t *
ws_sched_next_due (ws_sched_t *self, int64_t now_ms, int64_t *tick)
{
    if (self->heap_size == 0 || self->heap[0]->next_tick > now_ms)
        return NULL;
    ws_sched_source_t *source = self->heap[0];
    *tick = source->next_tick;
    int64_t backoff = s_backoff (self, source);
    source->next_tick =
        s_grid_at_or_after (source, source->next_tick + backoff);
    if (backoff > source->interval_ms)
        source->skip_why = "backoff";
    //  A coordinator that fell behind (a long stall) skips the ticks it
    //  missed instead of firing them all at once.
    if (source->next_tick <= now_ms - source->interval_ms) {
        source->next_tick = s_grid_at_or_after (source, now_ms);
        source->skip_why = "behind";
    }
    s_heap_down (self, 0);
    return source;
}

int64_t
ws_sched_wait (ws_sched_t *self, int64_t now_ms)
{
    if (self->heap_size == 0)
        return -1;
    int64_t wait = self->heap[0]->next_tick - now_ms;
    return wait < 0 ? 0 : wait;
}

static void
s_set (char **field, const char *value)
{
    if (*field && value && strcmp (*field, value) == 0)
        return;
    free (*field);
    *field = s_dup (value);
}

void
ws_sched_record (ws_sched_t *self, ws_sched_source_t *source, int64_t tick,
                 bool ok, size_t samples, const char *error,
                 const char *error_kind, const char *values, int64_t now_ms)
{
    if (tick > source->last_tick)
        source->last_tick = tick;
    bool was_failing = source->failures > 0;
    if (ok || samples > 0) {
        source->failures = 0;
        source->last_success = now_ms;
        if (values) {
            s_set (&source->last_values, values);
            source->values_pending = false;
        }
        if (was_failing) {
            ws_notice ("source '%s': recovered", source->name);
            //  Back on the normal grid at once.
            int64_t next = s_grid_at_or_after (source, now_ms);
            if (next < source->next_tick) {
                source->next_tick = next;
                if (source->enabled)
                    s_heap_up (self, source->heap_index);
            }
        }
    }
    if (ok)
        source->ticks_ok++;
    else {
        source->ticks_failed++;
        if (samples == 0) {
            source->failures++;
            if (source->failures == 1 || source->failures % 10 == 0)
                ws_warning ("source '%s': %s (%d consecutive failures)",
                            source->name, error ? error : "failed",
                            source->failures);
            //  Push the next tick out by the backoff if it is sooner.
            int64_t next =
                s_grid_at_or_after (source, tick + s_backoff (self, source));
            if (next > source->next_tick && source->enabled) {
                source->next_tick = next;
                source->skip_why = "backoff";
                s_heap_down (self, source->heap_index);
            }
        }
        s_set (&source->last_error, error ? error : "failed");
        s_set (&source->last_error_kind, error_kind ? error_kind : "unknown");
        source->last_error_at = now_ms;
    }
    //  A success like the last one changes only counters and values:
    //  written with the routine rows, less often.
    if (ok && !was_failing)
        source->routine = true;
    else
        source->dirty = true;
}

void
ws_sched_record_rules (ws_sched_t *self, ws_sched_source_t *source,
                       int64_t tick, bool ok, const double *values,
                       const bool *have, const char *error,
                       const char *error_kind, int64_t now_ms)
{
    size_t rules = ws_source_rule_count (source->source);
    size_t samples = 0;
    for (size_t i = 0; i < rules; i++)
        samples += have[i];
    if (ok || samples > 0) {
        memcpy (source->rule_values, values, rules * sizeof (double));
        memcpy (source->rule_have, have, rules * sizeof (bool));
        source->values_pending = true;
    }
    ws_sched_record (self, source, tick, ok, samples, error, error_kind, NULL,
                     now_ms);
}

const char *
ws_sched_last_values (ws_sched_source_t *source)
{
    if (!source->values_pending)
        return source->last_values;
    source->values_pending = false;
    size_t rules = ws_source_rule_count (source->source);
    size_t size = 2;
    for (size_t i = 0; i < rules; i++)
        if (source->rule_have[i]) {
            const ws_rule_t *rule = ws_source_rule (source->source, i);
            size += strlen (rule->metric) + strlen (rule->labels_text) + 64;
        }
    char *text = malloc (size);
    if (!text)
        abort ();
    //  Metric names are [A-Za-z0-9_:.] and labels_text is jansson's own
    //  encoding: safe to join as JSON.
    size_t len = 0;
    text[len++] = '[';
    for (size_t i = 0; i < rules; i++) {
        if (!source->rule_have[i])
            continue;
        const ws_rule_t *rule = ws_source_rule (source->source, i);
        len += (size_t) snprintf (
            text + len, size - len,
            "%s{\"metric\":\"%s\",\"labels\":%s,\"value\":%.17g}",
            len > 1 ? "," : "", rule->metric, rule->labels_text,
            source->rule_values[i]);
    }
    snprintf (text + len, size - len, "]");
    free (source->last_values);
    source->last_values = text;
    return text;
}

void
ws_sched_record_skipped (ws_sched_t *self, ws_sched_source_t *source,
                         int64_t tick, const char *why, int64_t now_ms)
{
    (void) self;
    if (tick > source->last_tick)
        source->last_tick = tick;
    source->ticks_failed++;
    s_set (&source->last_error, why);
    s_set (&source->last_error_kind, "skipped");
    source->last_error_at = now_ms;
    source->dirty = true;
}

typedef struct {
    ws_db_health_t *rows;
    size_t count, max;
    bool routine;
} s_dirty_t;

static int
s_collect_dirty (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    ws_sched_source_t *source = value;
    s_dirty_t *dirty = arg;
    if (!source->dirty && !(dirty->routine && source->routine))
        return 0;
    if (dirty->count == dirty->max) {
        dirty->max = dirty->max ? dirty->max * 2 : 64;
        dirty->rows = realloc (dirty->rows, dirty->max * sizeof *dirty->rows);
        if (!dirty->rows)
            abort ();
    }
    ws_db_health_t *row = &dirty->rows[dirty->count++];
    row->source_id = source->id;
    row->failures = source->failures;
    row->next_due = source->failures > 0 ? source->next_tick : 0;
    row->last_tick = source->last_tick;
    row->last_success = source->last_success;
    row->last_error_at = source->last_error_at;
    row->last_error = source->last_error;
    row->last_error_kind = source->last_error_kind;
    row->last_values = ws_sched_last_values (source);
    row->ticks_ok = source->ticks_ok;
    row->ticks_failed = source->ticks_failed;
    row->accounted_before = ws_sched_accounted_before (source);
    source->dirty = false;
    source->routine = false;
    return 0;
}

size_t
ws_sched_take_dirty (ws_sched_t *self, bool routine, ws_db_health_t **rows)
{
    s_dirty_t dirty = {NULL, 0, 0, routine};
    ws_map_each (self->by_id, s_collect_dirty, &dirty);
    *rows = dirty.rows;
    return dirty.count;
}

void
ws_sched_mark_dirty (ws_sched_t *self, const ws_db_health_t *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        ws_sched_source_t *source = ws_sched_get (self, rows[i].source_id);
        if (source)
            source->dirty = true;
    }
}

typedef struct {
    ws_sched_source_t **items;
    size_t count;
} s_list_t;

static int
s_collect (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_list_t *list = arg;
    list->items[list->count++] = value;
    return 0;
}

static int
s_by_id (const void *a, const void *b)
{
    const ws_sched_source_t *x = *(ws_sched_source_t *const *) a;
    const ws_sched_source_t *y = *(ws_sched_source_t *const *) b;
    return x->id < y->id ? -1 : x->id > y->id;
}

void
ws_sched_each (ws_sched_t *self, ws_sched_each_fn *fn, void *arg)
{
    size_t count = ws_map_size (self->by_id);
    s_list_t list = {calloc (count ? count : 1, sizeof (void *)), 0};
    if (!list.items)
        abort ();
    ws_map_each (self->by_id, s_collect, &list);
    qsort (list.items, list.count, sizeof (void *), s_by_id);
    for (size_t i = 0; i < list.count; i++)
        fn (list.items[i], arg);
    free (list.items);
}
