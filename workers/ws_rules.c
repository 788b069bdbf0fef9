//  ws_rules - run every rule of a source on a fetched body.
#include "ws_rules.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_buf.h"
#include "ws_extract_csv.h"
#include "ws_extract_json.h"
#include "ws_extract_prom.h"
#include "ws_extract_regex.h"
#include "ws_extract_xpath.h"
#include "ws_json_select.h"
#include "ws_map.h"
#include "ws_value.h"

static char *
s_dup (const char *text)
{
    char *copy = strdup (text);
    if (!copy)
        abort ();
    return copy;
}

//  "rule 'price' regex 'Price: (...)': " + text
static void s_rule_fail (ws_rule_outcome_t *outcome, const ws_rule_t *rule,
                         const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_rule_fail (ws_rule_outcome_t *outcome, const ws_rule_t *rule, const char *fmt,
             ...)
{
    char text[400], head[300];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    if (rule->kind == WS_EXTRACT_CSV)
        snprintf (head, sizeof head, "rule '%s' %s", rule->metric,
                  rule->pointer);
    else
        snprintf (head, sizeof head, "rule '%s' %s '%.120s%s'", rule->metric,
                  ws_extract_kind_name (rule->kind), rule->pointer,
                  strlen (rule->pointer) > 120 ? "..." : "");
    size_t size = strlen (head) + strlen (text) + 3;
    free (outcome->error);
    outcome->error = malloc (size);
    if (!outcome->error)
        abort ();
    snprintf (outcome->error, size, "%s: %s", head, text);
}

static void
s_add_sample (ws_rules_t *self, size_t rule, json_t *labels, double value)
{
    if (self->sample_count == self->sample_max) {
        self->sample_max = self->sample_max ? self->sample_max * 2 : 16;
        self->samples =
            realloc (self->samples, self->sample_max * sizeof *self->samples);
        if (!self->samples)
            abort ();
    }
    ws_rule_sample_t *sample = &self->samples[self->sample_count++];
    sample->rule = rule;
    sample->labels = labels;
    sample->value = value;
}

static int
s_run_extractor (const ws_rule_t *rule, const char *body, size_t len,
                 json_t *doc, ws_matches_t *matches, ws_err_t *err)
{
    switch (rule->kind) {
    case WS_EXTRACT_JSON:
        return ws_json_select_run (rule->extractor, doc, matches, err);
    case WS_EXTRACT_REGEX:
        return ws_extract_regex_run (rule->extractor, body, len, matches, err);
    case WS_EXTRACT_XPATH:
        return ws_extract_xpath_run (rule->extractor, body, len, matches, err);
    case WS_EXTRACT_CSV:
        return ws_extract_csv_run (rule->extractor, body, len, matches, err);
    case WS_EXTRACT_PROM:
        return ws_extract_prom_run (rule->extractor, body, len, matches, err);
    }
    return ws_err_set (err, WS_ERR_EXTRACT, "not an extractor rule");
}

//  The matches of a group folded into one sample; 0, or -1 with the
//  rule failed.
static int
s_fold (ws_rule_outcome_t *outcome, const ws_rule_t *rule, const double *values,
        size_t count, const char *group, double *value)
{
    ws_err_t err;
    if (ws_matches_fold (values, count, rule->aggregate, value, &err) == 0)
        return 0;
    if (group)
        s_rule_fail (outcome, rule, "labels %s: %s", group, err.text);
    else
        s_rule_fail (outcome, rule, "%s", err.text);
    return -1;
}

//  One rule of kind regex, xpath, csv or prometheus.
static void
s_run_rule (ws_rules_t *self, ws_source_t *source, size_t index,
            const char *body, size_t len, json_t *doc, int64_t now_ms)
{
    const ws_rule_t *rule = ws_source_rule (source, index);
    ws_rule_outcome_t *outcome = &self->rules[index];
    ws_matches_t *matches = &outcome->matches;
    ws_err_t err;
    if (s_run_extractor (rule, body, len, doc, matches, &err)) {
        s_rule_fail (outcome, rule, "%s", err.text);
        return;
    }
    //  Every match as a number.
    double *values = calloc (matches->count + 1, sizeof (double));
    if (!values)
        abort ();
    //  A count counts matches, whatever they hold.
    for (size_t i = 0; rule->aggregate != WS_AGG_COUNT && i < matches->count;
         i++) {
        ws_match_t *match = &matches->items[i];
        if (match->has_value)
            values[i] = match->value;
        else if (ws_value_convert (rule->conv, match->text, now_ms, &values[i],
                                   &err)) {
            s_rule_fail (outcome, rule, "match %zu: %s", i + 1, err.text);
            free (values);
            return;
        }
        //  What a test shows: the number each match became.
        match->has_value = true;
        match->value = values[i];
        if (!isfinite (values[i])) {
            s_rule_fail (outcome, rule,
                         "match %zu: %s is not a number a "
                         "sample can hold",
                         i + 1, match->text);
            free (values);
            return;
        }
    }
    outcome->first = self->sample_count;
    if (!rule->doc_labels) {
        double value;
        if (s_fold (outcome, rule, values, matches->count, NULL, &value) == 0)
            s_add_sample (self, index, NULL, value);
        outcome->count = self->sample_count - outcome->first;
        free (values);
        return;
    }
    //  One sample per label set, in the order the sets are first found:
    //  each match's set by a map, then the values grouped by counting.
    ws_map_t *groups = ws_map_new (NULL);
    size_t n = matches->count;
    char **keys = calloc (n + 1, sizeof (char *));
    size_t *group_of = calloc (n + 1, sizeof (size_t));
    size_t *first_of = calloc (n + 1, sizeof (size_t));
    size_t *start = calloc (n + 2, sizeof (size_t));
    double *grouped = calloc (n + 1, sizeof (double));
    if (!keys || !group_of || !first_of || !start || !grouped)
        abort ();
    size_t group_count = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *found = matches->items[i].labels;
        keys[i] = found ? json_dumps (found, JSON_COMPACT | JSON_SORT_KEYS)
                        : s_dup ("{}");
        if (!keys[i])
            abort ();
        uintptr_t g =
            (uintptr_t) ws_map_get (groups, keys[i], strlen (keys[i]));
        if (!g) {
            first_of[group_count++] = i;
            g = group_count;
            ws_map_put (groups, keys[i], strlen (keys[i]), (void *) g);
        }
        group_of[i] = g - 1;
        start[g]++;
    }
    for (size_t g = 1; g <= group_count; g++)
        start[g] += start[g - 1];
    size_t *fill = calloc (group_count + 1, sizeof (size_t));
    if (!fill)
        abort ();
    for (size_t i = 0; i < n; i++)
        grouped[start[group_of[i]] + fill[group_of[i]]++] = values[i];
    free (fill);
    int max_series = ws_source_max_series (source);
    if (outcome->first + group_count > (size_t) max_series)
        s_rule_fail (outcome, rule,
                     "%zu label sets (%zu with the rules before), more than "
                     "the source's max_series (%d)",
                     group_count, outcome->first + group_count, max_series);
    for (size_t g = 0; g < group_count && !outcome->error; g++) {
        size_t lead = first_of[g];
        double value;
        if (s_fold (outcome, rule, grouped + start[g], start[g + 1] - start[g],
                    keys[lead], &value))
            break;
        json_t *labels = json_deep_copy (rule->labels);
        json_t *found = matches->items[lead].labels;
        if (!labels || (found && json_object_update (labels, found)))
            abort ();
        s_add_sample (self, index, labels, value);
    }
    if (outcome->error) {
        //  A rule gives all its label sets or none.
        for (size_t i = outcome->first; i < self->sample_count; i++)
            json_decref (self->samples[i].labels);
        self->sample_count = outcome->first;
    }
    else if (group_count == 0 && rule->aggregate != WS_AGG_COUNT)
        s_rule_fail (outcome, rule, "no match");
    outcome->count = self->sample_count - outcome->first;
    for (size_t i = 0; i < matches->count; i++)
        free (keys[i]);
    free (keys);
    free (group_of);
    free (first_of);
    free (start);
    free (grouped);
    free (values);
    ws_map_destroy (&groups);
}

size_t
ws_rules_run (ws_rules_t *self, ws_source_t *source, const char *body,
              size_t len, int64_t now_ms, bool keep_matches)
{
    memset (self, 0, sizeof *self);
    self->rule_count = ws_source_rule_count (source);
    self->rules = calloc (self->rule_count + 1, sizeof *self->rules);
    if (!self->rules)
        abort ();
    //  The JSON rules read one parsed document.
    json_t *doc = NULL;
    ws_err_t parse_err;
    bool parsed = false;
    for (size_t i = 0; i < self->rule_count; i++) {
        const ws_rule_t *rule = ws_source_rule (source, i);
        ws_rule_outcome_t *outcome = &self->rules[i];
        ws_matches_init (&outcome->matches);
        if (rule->kind != WS_EXTRACT_JSON) {
            s_run_rule (self, source, i, body, len, NULL, now_ms);
            continue;
        }
        if (!parsed) {
            doc = ws_extract_json_parse (body, len, &parse_err);
            parsed = true;
        }
        if (rule->extractor && doc) {
            //  A selection with filters, labels or a conversion.
            s_run_rule (self, source, i, body, len, doc, now_ms);
            continue;
        }
        outcome->first = self->sample_count;
        double value;
        ws_err_t err;
        if (!doc)
            outcome->error = s_dup (parse_err.text);
        else if (ws_extract_json (rule, doc, &value, &err))
            outcome->error = s_dup (err.text);
        else {
            s_add_sample (self, i, NULL, value);
            outcome->count = 1;
            if (keep_matches) {
                char text[32];
                snprintf (text, sizeof text, "%.17g", value);
                ws_matches_add (&outcome->matches, text, strlen (text), true,
                                value, NULL);
            }
        }
    }
    json_decref (doc);
    //  The errors joined, each text once (a body that is not JSON fails
    //  every JSON rule the same way).
    ws_buf_t errors;
    ws_buf_init (&errors, 64 * 1024);
    size_t failed = 0;
    for (size_t i = 0; i < self->rule_count; i++) {
        ws_rule_outcome_t *outcome = &self->rules[i];
        if (!keep_matches)
            ws_matches_free (&outcome->matches);
        if (!outcome->error)
            continue;
        failed++;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = self->rules[j].error
                   && strcmp (self->rules[j].error, outcome->error) == 0;
        if (seen)
            continue;
        if (errors.len)
            ws_buf_append (&errors, "; ", 2);
        ws_buf_append (&errors, outcome->error, strlen (outcome->error));
    }
    self->error = errors.len ? ws_buf_steal (&errors) : NULL;
    ws_buf_free (&errors);
    return failed;
}

void
ws_rules_free (ws_rules_t *self)
{
    for (size_t i = 0; i < self->rule_count; i++) {
        free (self->rules[i].error);
        ws_matches_free (&self->rules[i].matches);
    }
    free (self->rules);
    for (size_t i = 0; i < self->sample_count; i++)
        json_decref (self->samples[i].labels);
    free (self->samples);
    free (self->error);
    memset (self, 0, sizeof *self);
}
