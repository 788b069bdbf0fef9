//  fuzz_jsonsel - libFuzzer target for JSON selections
//  (lib/ws_json_select.h).
//
//  Input: a selection line, optionally a labels_from line (a JSON
//  object), a blank line, then the document (JSON). Without a blank line
//  the whole input is the document and a fixed set of selections runs.
//  Each selection runs plain and with count_only. Checks, beyond no
//  crash, leak or undefined behaviour: a refusal at new() is
//  WS_ERR_INPUT with a text and a where under /metrics/0/; at run()
//  WS_ERR_EXTRACT with the matches as they were; at most
//  WS_JSON_SELECT_MATCHES_MAX matches; a text of at most
//  WS_MATCH_TEXT_MAX bytes in valid UTF-8, and a match with a number has
//  a finite one that its text reads back as (or is true/false for 1/0);
//  labels are strings; without "*" or filter at most one match; a second
//  run agrees; and when a plain run succeeds, count_only yields the same
//  matches.
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ws_json_select.h"

#define S_WHERE "/metrics/0/json"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_fixed[][2] = {
    {"", NULL},
    {"/value", NULL},
    {"/*", "{\"self\": \"\"}"},
    {"/data/*/count", NULL},
    {"/items[name=EU]/sales", "{\"channel\": \"/channel\"}"},
    {"/items[year=2026][name!=US]/sales", "{\"y\": \"/year\"}"},
    {"/*[name=EU]/*", "{\"n\": \"/name\"}"},
    {"/a/*/b/*", "{\"first\": \"/b/0\"}"},
    {"/*/*/*", NULL},
    {"/a~1b/0/c~0d", "{\"v\": \"/value\"}"},
};

//  The matches from index from on keep the header's promises.
static void
s_check_matches (const ws_matches_t *matches, size_t from, bool wildcard)
{
    size_t count = matches->count - from;
    if (count > WS_JSON_SELECT_MATCHES_MAX)
        fuzz_die ("jsonsel", "more matches than the maximum");
    if (!wildcard && count > 1)
        fuzz_die ("jsonsel", "several matches without a wildcard");
    for (size_t i = from; i < matches->count; i++) {
        const ws_match_t *match = &matches->items[i];
        if (strlen (match->text) > WS_MATCH_TEXT_MAX)
            fuzz_die ("jsonsel", "a text longer than WS_MATCH_TEXT_MAX");
        json_t *text = json_string (match->text);
        if (!text)
            fuzz_die ("jsonsel", "a text that is not UTF-8");
        json_decref (text);
        if (match->has_value) {
            if (!isfinite (match->value))
                fuzz_die ("jsonsel", "a value that is not finite");
            if (strcmp (match->text, "true") == 0) {
                if (match->value != 1)
                    fuzz_die ("jsonsel", "true that is not 1");
            }
            else if (strcmp (match->text, "false") == 0) {
                if (match->value != 0)
                    fuzz_die ("jsonsel", "false that is not 0");
            }
            else {
                //  An integer past 2^53 reads back rounded, as the value.
                char *end;
                double back = strtod (match->text, &end);
                if (*end || back != match->value)
                    fuzz_die ("jsonsel", "a number text that does not read "
                                         "back as its value");
            }
        }
        if (match->labels && !json_is_object (match->labels))
            fuzz_die ("jsonsel", "labels that are not an object");
        const char *key;
        json_t *value;
        json_object_foreach (match->labels, key, value) {
            if (!json_is_string (value))
                fuzz_die ("jsonsel", "a label that is not a string");
            if (json_string_length (value) > WS_MATCH_TEXT_MAX)
                fuzz_die ("jsonsel", "a label longer than WS_MATCH_TEXT_MAX");
        }
    }
}

//  Run self on doc into a list holding one earlier match; the rc, and
//  the list in *out (caller frees).
static int
s_run_once (ws_json_select_t *self, json_t *doc, ws_matches_t *out)
{
    ws_matches_init (out);
    ws_matches_add (out, "earlier", 7, false, 0, NULL);
    ws_err_t err;
    ws_err_clear (&err);
    int rc = ws_json_select_run (self, doc, out, &err);
    if (rc) {
        fuzz_check_err (&err, WS_ERR_EXTRACT, "jsonsel run");
        if (out->count != 1 || strcmp (out->items[0].text, "earlier") != 0)
            fuzz_die ("jsonsel run", "a failed run changed the matches");
    }
    else
        s_check_matches (out, 1, ws_json_select_has_wildcard (self));
    return rc;
}

static bool
s_same (const ws_matches_t *a, const ws_matches_t *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        const ws_match_t *x = &a->items[i], *y = &b->items[i];
        if (strcmp (x->text, y->text) != 0 || x->has_value != y->has_value
            || (x->has_value && x->value != y->value))
            return false;
        if (!!x->labels != !!y->labels
            || (x->labels && !json_equal (x->labels, y->labels)))
            return false;
    }
    return true;
}

//  Compile (refusable only if may_refuse) and run selection both ways.
static void
s_run (const char *selection, json_t *labels, bool may_refuse, json_t *doc)
{
    ws_json_select_t *plain = NULL, *counting = NULL;
    for (int i = 0; i < 2; i++) {
        ws_err_t err;
        ws_err_clear (&err);
        ws_json_select_t *self =
            ws_json_select_new (selection, labels, i == 1, S_WHERE, &err);
        if (!self) {
            if (!may_refuse)
                fuzz_die ("jsonsel", err.text);
            if (err.code != WS_ERR_SYSTEM)
                fuzz_check_err (&err, WS_ERR_INPUT, "jsonsel new");
            if (strncmp (err.where, "/metrics/0/", 11) != 0)
                fuzz_die ("jsonsel new", "a refusal without a where");
            ws_json_select_destroy (&plain);
            return;
        }
        if (strcmp (ws_json_select_expr (self), selection) != 0)
            fuzz_die ("jsonsel", "the expression is not the selection");
        *(i ? &counting : &plain) = self;
    }
    ws_matches_t first, second, counted;
    int rc = s_run_once (plain, doc, &first);
    if (s_run_once (plain, doc, &second) != rc || !s_same (&first, &second))
        fuzz_die ("jsonsel", "two runs on one document disagree");
    int counted_rc = s_run_once (counting, doc, &counted);
    if (rc == 0 && (counted_rc != 0 || !s_same (&first, &counted)))
        fuzz_die ("jsonsel", "count_only disagrees with a plain run");
    ws_matches_free (&first);
    ws_matches_free (&second);
    ws_matches_free (&counted);
    ws_json_select_destroy (&plain);
    ws_json_select_destroy (&counting);
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
        for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0]; i++) {
            json_t *labels = NULL;
            if (s_fixed[i][1]) {
                labels = json_loads (s_fixed[i][1], 0, &jerr);
                if (!labels)
                    fuzz_die ("jsonsel", "a fixed labels_from is not JSON");
            }
            s_run (s_fixed[i][0], labels, false, doc);
            json_decref (labels);
        }
        json_decref (doc);
        return 0;
    }
    //  The selection, then an optional labels_from line.
    const char *end = memchr (text, '\n', (size_t) (blank - text));
    if (!end)
        end = blank;
    char *selection = fuzz_strndup (text, (size_t) (end - text));
    json_t *labels = NULL;
    if (end < blank) {
        labels = json_loadb (end + 1, (size_t) (blank - end - 1),
                             JSON_DECODE_ANY, &jerr);
        if (!labels) {
            free (selection);
            json_decref (doc);
            return 0;
        }
    }
    //  A selection with a NUL byte cannot come from a JSON string.
    if (strlen (selection) == (size_t) (end - text))
        s_run (selection, labels, true, doc);
    free (selection);
    json_decref (labels);
    json_decref (doc);
    return 0;
}
