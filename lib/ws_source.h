//  ws_source - one web source: URL, request, schedule, extraction rules.
//  Built by the CLI from an apply file (to check it), by the coordinator
//  from the sources table and from apply requests, and by a worker from a
//  job. The same JSON form serves all three; ws_source_to_json writes the
//  normalised form (defaults filled in), which ws_source_new reads back
//  unchanged. A source never fetches; the worker's ws_fetch does.
//
//  The JSON form (every key but name, url and metrics is optional):
//  {
//    "name": "eu-signups",          [A-Za-z0-9_.-], 1..64 chars
//    "url": "https://crm.example/api/signups?region=eu",  http or https
//    "method": "GET",               GET or POST
//    "headers": {"Authorization": "Bearer ${CRM_TOKEN}"},
//                                   ${NAME} is taken from the worker's
//                                   environment at fetch time: tokens stay
//                                   out of the database
//    "body": "{...}",               request body, POST only; {from}, {to}
//                                   ... become the tick's period
//    "auth": {"type": "bearer", "token_env": "CRM_TOKEN"},
//    "user_agent": "acme/1.0",
//    "params": {"since": "{from}"}, query parameters (ws_request.h)
//    "interval": "60s",             100ms .. 7d; a number means seconds
//    "timeout": "10s",              100ms .. 10m, default 10s
//    "retries": 2,                  retries inside a tick, 0..5, default 2
//    "enabled": true,
//    "labels": {"region": "eu"},    added to every metric's labels
//    "metrics": [                   1..256 rules
//      {"name": "signups", "type": "per_period", "period": "1d",
//       "json": "/data/*/count", "aggregate": "sum",
//       "labels": {"channel": "web"}}
//    ]
//  }
//  Metric types: gauge, counter, per_period (needs "period"). "json" is an
//  RFC 6901 pointer where a segment "*" matches every element of an array
//  or member of an object; "aggregate" (sum, count, min, max, avg) is
//  required when the pointer has a "*".
//  A rule reads the document with exactly one of "json", "regex" (with
//  "group", "flags"), "xpath" (with "document", "namespaces"), "csv" (an
//  object) or "prometheus" (a selector); docs/extractors.md has an
//  example of each. Any rule may add "labels_from" (labels taken from
//  the document: one sample per label set, folded by "aggregate"),
//  "decimal" and "convert" (text to number, ws_value.h). "max_series"
//  (default 100, at most 10,000) bounds the samples of one tick.
#ifndef WS_SOURCE_H
#define WS_SOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ws_err.h"

typedef enum {
    WS_AGG_NONE = 0,
    WS_AGG_SUM,
    WS_AGG_COUNT,
    WS_AGG_MIN,
    WS_AGG_MAX,
    WS_AGG_AVG
} ws_agg_t;

typedef enum {
    WS_METRIC_GAUGE = 0,
    WS_METRIC_COUNTER,
    WS_METRIC_PER_PERIOD
} ws_metric_type_t;

//  How a rule reads the document (ws_extract.h): the key that names it.
typedef enum {
    WS_EXTRACT_JSON = 0,  //  "json": a JSON pointer (ws_extract_json)
    WS_EXTRACT_REGEX,     //  "regex": PCRE2 (ws_extract_regex)
    WS_EXTRACT_XPATH,     //  "xpath": over HTML or XML (ws_extract_xpath)
    WS_EXTRACT_CSV,       //  "csv": a column of a CSV export
    WS_EXTRACT_PROM       //  "prometheus": the text exposition format
} ws_extract_kind_t;

//  One extraction rule: a metric read from the document.
typedef struct {
    char *metric;  //  owns
    ws_metric_type_t type;
    int64_t period_ms;  //  per_period only, else 0
    char *pointer;      //  owns; JSON pointer with "*" wildcards (json
                        //  rules), else the expression as written
    ws_agg_t aggregate;
    json_t *labels;     //  owns; source labels + rule labels
    char *labels_text;  //  owns; labels as compact JSON, keys sorted
    ws_extract_kind_t kind;
    json_t *spec;     //  owns; the rule's extraction keys as given (its
                      //  kind's key and options, labels_from, decimal,
                      //  convert), written back by ws_source_to_json
    void *extractor;  //  owns; the compiled ws_extract_KIND_t, NULL for
                      //  json rules
    void *conv;       //  owns; ws_value_conv_t: text to number
    bool doc_labels;  //  labels_from: one sample per label set found
} ws_rule_t;

typedef struct _ws_source_t ws_source_t;

//  Build a source from its JSON definition (borrowed). Caller owns the
//  result. NULL if invalid, with err->text naming the field and what was
//  found, and err->where its JSON pointer within def ("/metrics/0/type").
ws_source_t *ws_source_new (json_t *def, ws_err_t *err);

//  Free the source; NULLs *self_p. Safe on NULL and on repeat.
void ws_source_destroy (ws_source_t **self_p);

//  The normalised JSON form (caller owns): all defaults filled in,
//  durations as strings, keys in a fixed order. Equal sources give equal
//  text with JSON_SORT_KEYS | JSON_COMPACT.
json_t *ws_source_to_json (ws_source_t *self);

const char *ws_source_name (ws_source_t *self);
const char *ws_source_url (ws_source_t *self);
const char *ws_source_method (ws_source_t *self);
json_t *ws_source_headers (ws_source_t *self);   //  borrowed object
const char *ws_source_body (ws_source_t *self);  //  NULL if none
int64_t ws_source_interval_ms (ws_source_t *self);
int64_t ws_source_timeout_ms (ws_source_t *self);
int ws_source_retries (ws_source_t *self);
bool ws_source_enabled (ws_source_t *self);
size_t ws_source_rule_count (ws_source_t *self);
const ws_rule_t *ws_source_rule (ws_source_t *self, size_t index);

//  Auth, User-Agent and query parameters (ws_request.h); never NULL.
struct _ws_request_t *ws_source_request (ws_source_t *self);

//  At most this many samples (label sets) per tick: rules with
//  labels_from make as many as the document holds ("max_series").
int ws_source_max_series (ws_source_t *self);

//  Whether a rule takes labels from the document (results then name
//  their series, rather than one value per rule).
bool ws_source_doc_labels (ws_source_t *self);

//  Names used in JSON and the database.
//  A rule kind's key: "json", "regex", "xpath", "csv", "prometheus".
const char *ws_extract_kind_name (ws_extract_kind_t kind);
const char *ws_metric_type_name (ws_metric_type_t type);
const char *ws_agg_name (ws_agg_t aggregate);

#endif
