//  ws_rules - run every rule of a source on a fetched body: the samples
//  it yields, and per rule what was found or why nothing was. A worker
//  collects with it, and `watershed source test` shows its outcome rule
//  by rule.
//
//  A JSON rule reads the document parsed once (ws_extract_json); the
//  other kinds run their compiled extractor (ws_extract.h) on the body,
//  turn each match into a number (the document's own, or the text by the
//  rule's conversion, ws_value.h), then fold the matches by the rule's
//  aggregate: into one sample, or with labels_from one sample per label
//  set found. A source's samples of one tick are bounded by its
//  max_series; past it the rule fails, naming the count.
#ifndef WS_RULES_H
#define WS_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_extract.h"
#include "ws_source.h"

typedef struct {
    size_t rule;     //  index of the rule that made it
    json_t *labels;  //  owns; the series' labels (the rule's fixed ones
                     //  and those found), NULL for the rule's own
    double value;
} ws_rule_sample_t;

typedef struct {
    char *error;           //  owns; NULL when the rule gave its samples
    size_t first, count;   //  its samples in ws_rules_t samples
    ws_matches_t matches;  //  what was found, kept with keep_matches;
                           //  has_value and value: the number each
                           //  became (unset after a failed conversion)
} ws_rule_outcome_t;

typedef struct {
    ws_rule_outcome_t *rules;  //  one per rule of the source
    size_t rule_count;
    ws_rule_sample_t *samples;
    size_t sample_count, sample_max;
    char *error;  //  owns; every rule's error joined with "; ", or NULL
} ws_rules_t;

//  Run the rules of source (borrowed) on body (len bytes, borrowed).
//  now_ms is the wall clock for "age_days" conversions. With
//  keep_matches each outcome keeps what its extractor found. Always
//  fills *self (free with ws_rules_free); returns the count of rules
//  that failed.
size_t ws_rules_run (ws_rules_t *self, ws_source_t *source, const char *body,
                     size_t len, int64_t now_ms, bool keep_matches);

void ws_rules_free (ws_rules_t *self);

#endif
