//  fuzz_prom - libFuzzer target for the Prometheus extractor
//  (lib/ws_extract_prom.h): the selector parser and the exposition
//  reader.
//
//  Input: with a NUL byte, the part before it is a selector (given to
//  ws_extract_prom_new) and the rest the document; without one, the
//  whole input is the document and a fixed set of selectors runs.
//  Checks, beyond no crash, leak or undefined behaviour: a refused
//  selector is WS_ERR_INPUT at "/prometheus"; a refused document is
//  WS_ERR_EXTRACT with a text and leaves the match list as it was; a
//  match has a number, and its text reads back as that number; and the
//  selectors agree: one that picks every sample ({__name__=~".*"})
//  fails exactly when another does (a syntax error rejects the whole
//  document, whatever is selected; a regex past its match limit aside)
//  and picks at least as many.
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ws_extract_prom.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_fixed[] = {
    "http_requests_total{code=~\"2..\",method!=\"POST\"}",
    "a{b!~\"x|y\"}",
    "{__name__=~\"a.*|b\",le=\"+Inf\"}",
    "x",
};

static const char *s_every = "{__name__=~\".*\"}";

//  Run a selector of len bytes on body. Returns -2 when new() refused
//  it, else the run's result; *count the matches, *regex_limit whether
//  a regex gave up.
static int
s_run (const char *selector, size_t len, const char *body, size_t body_len,
       size_t *count, bool *regex_limit)
{
    json_t *rule = json_object ();
    json_t *text = json_stringn (selector, len);
    if (!rule)
        fuzz_die ("out of memory", NULL);
    if (!text) {
        //  Not UTF-8: a JSON rule cannot hold it.
        json_decref (rule);
        return -2;
    }
    json_object_set_new (rule, "prometheus", text);
    json_object_set_new (
        rule, "labels_from",
        json_pack ("{s:s, s:s}", "b", "b", "name", "__name__"));
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_prom_t *self = ws_extract_prom_new (rule, &err);
    json_decref (rule);
    if (!self) {
        fuzz_check_err (&err, WS_ERR_INPUT, "prom new");
        if (strcmp (err.where, "/prometheus") != 0)
            fuzz_die ("prom new", "a selector refused elsewhere");
        return -2;
    }
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_matches_add (&matches, "before", 6, false, 0, NULL);
    ws_err_clear (&err);
    int rc = ws_extract_prom_run (self, body, body_len, &matches, &err);
    *regex_limit = false;
    if (rc) {
        fuzz_check_err (&err, WS_ERR_EXTRACT, "prom run");
        if (matches.count != 1)
            fuzz_die ("prom run", "a refusal changed the match list");
        *regex_limit = strstr (err.text, ": regex of label") != NULL;
    }
    for (size_t i = 1; i < matches.count; i++) {
        const ws_match_t *match = &matches.items[i];
        if (!match->has_value)
            fuzz_die ("prom run", "a match without a number");
        char *end;
        double value = strtod (match->text, &end);
        if (*end
            || !(value == match->value
                 || (isnan (value) && isnan (match->value))))
            fuzz_die ("prom run", "the text does not read as the value");
        json_t *name = json_object_get (match->labels, "name");
        if (!json_is_string (name) || !json_string_length (name))
            fuzz_die ("prom run", "a match without its metric name");
    }
    *count = matches.count - 1;
    ws_matches_free (&matches);
    ws_extract_prom_destroy (&self);
    return rc;
}

static void
s_compare (const char *selector, size_t len, const char *body, size_t body_len)
{
    size_t count = 0, every_count = 0;
    bool limit = false, every_limit = false;
    int rc = s_run (selector, len, body, body_len, &count, &limit);
    int every = s_run (s_every, strlen (s_every), body, body_len, &every_count,
                       &every_limit);
    if (rc == -2 || limit || every_limit)
        return;
    if (rc != every)
        fuzz_die ("prom", "a document refused under one selector only");
    if (count > every_count)
        fuzz_die ("prom", "a selector picks more than every sample");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    const char *nul = memchr (text, '\0', size);
    if (nul) {
        size_t len = (size_t) (nul - text);
        s_compare (text, len, nul + 1, size - len - 1);
    }
    else {
        for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0]; i++)
            s_compare (s_fixed[i], strlen (s_fixed[i]), text, size);
    }
    return 0;
}
