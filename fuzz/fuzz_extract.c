//  fuzz_extract - libFuzzer target for the JSON extractor
//  (workers/ws_extract_json.h), fed the way a worker feeds it: rules
//  checked by ws_source_new, a body parsed with JSON_DECODE_ANY.
//
//  Input: rule lines, a blank line, then the document. Each rule line is
//  a JSON pointer; with no blank line the whole input is the document
//  and a fixed set of pointers is used. Every pointer is tried with each
//  aggregate ws_source accepts for it. Checks, beyond no crash, leak or
//  undefined behaviour: a value is finite; a refusal is WS_ERR_EXTRACT
//  with a text; and the aggregates agree: count is a whole number, an
//  aggregate that fails under count fails under all, one that succeeds
//  has count > 0, and min <= avg <= max.
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ws_extract_json.h"
#include "ws_source.h"

#define S_MAX_RULES 8

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_fixed[] = {"/value",   "/data/*/count", "/*",
                                "/a/*/b/*", "/items/0/x",    "/*/*/*"};

static const ws_agg_t s_aggs[] = {WS_AGG_NONE, WS_AGG_SUM, WS_AGG_COUNT,
                                  WS_AGG_MIN,  WS_AGG_MAX, WS_AGG_AVG};

//  A source with one metric reading pointer (len bytes) with aggregate,
//  or NULL if ws_source refuses it (then the worker never sees it).
static ws_source_t *
s_source (const char *pointer, size_t len, ws_agg_t aggregate)
{
    json_t *metric = json_pack ("{s:s, s:s, s:s%}", "name", "m", "type",
                                "gauge", "json", pointer, len);
    if (!metric)
        return NULL;
    if (aggregate != WS_AGG_NONE)
        json_object_set_new (metric, "aggregate",
                             json_string (ws_agg_name (aggregate)));
    json_t *def =
        json_pack ("{s:s, s:s, s:s, s:[o]}", "name", "fuzz", "url",
                   "http://127.0.0.1/", "interval", "1s", "metrics", metric);
    if (!def)
        return NULL;
    ws_err_t err;
    ws_source_t *source = ws_source_new (def, &err);
    json_decref (def);
    return source;
}

//  Run one pointer under every aggregate and check that they agree.
static void
s_run_pointer (const char *pointer, size_t len, json_t *doc)
{
    bool ran[6] = {false}, ok[6] = {false};
    double value[6] = {0};
    for (size_t i = 0; i < 6; i++) {
        ws_source_t *source = s_source (pointer, len, s_aggs[i]);
        if (!source)
            continue;
        ws_err_t err;
        ws_err_clear (&err);
        ran[i] = true;
        ok[i] =
            ws_extract_json (ws_source_rule (source, 0), doc, &value[i], &err)
            == 0;
        if (ok[i] && !isfinite (value[i]))
            fuzz_die ("extract", "a value that is not finite");
        if (!ok[i])
            fuzz_check_err (&err, WS_ERR_EXTRACT, "extract");
        ws_source_destroy (&source);
    }
    //  Indexes: 0 none, 1 sum, 2 count, 3 min, 4 max, 5 avg.
    if (!ran[2])
        return;
    if (ok[2] && (value[2] < 0 || value[2] != floor (value[2])))
        fuzz_die ("extract", "count is not a whole number");
    for (size_t i = 1; i < 6; i++) {
        if (i == 2 || !ran[i] || !ok[i])
            continue;
        if (!ok[2])
            fuzz_die ("extract", "an aggregate succeeds where count fails");
        if (value[2] == 0)
            fuzz_die ("extract", "an aggregate succeeds with no match");
    }
    if (ok[3] && ok[4] && value[3] > value[4])
        fuzz_die ("extract", "min > max");
    if (ok[3] && ok[4] && ok[5]) {
        double slack = 1e-9 * (fabs (value[3]) + fabs (value[4])) + 1e-300;
        if (value[5] < value[3] - slack * value[2]
            || value[5] > value[4] + slack * value[2])
            fuzz_die ("extract", "avg outside [min, max]");
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < size && !blank; i++)
        if (text[i] == '\n' && text[i + 1] == '\n')
            blank = text + i;
    const char *body = blank ? blank + 2 : text;
    size_t body_len = size - (size_t) (body - text);
    json_error_t jerr;
    json_t *doc = json_loadb (body, body_len, JSON_DECODE_ANY, &jerr);
    if (!doc)
        return 0;
    if (!blank) {
        for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0]; i++)
            s_run_pointer (s_fixed[i], strlen (s_fixed[i]), doc);
    }
    else {
        const char *line = text;
        size_t rules = 0;
        while (line < blank && rules < S_MAX_RULES) {
            const char *end = memchr (line, '\n', (size_t) (blank - line));
            if (!end)
                end = blank;
            s_run_pointer (line, (size_t) (end - line), doc);
            rules++;
            line = end + 1;
        }
    }
    json_decref (doc);
    return 0;
}
