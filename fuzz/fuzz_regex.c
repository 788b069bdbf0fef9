//  fuzz_regex - libFuzzer target for the regex extractor
//  (lib/ws_extract_regex.h).
//
//  Input: a pattern, a NUL byte, then the document; the pattern (at most
//  S_PATTERN_MAX bytes, UTF-8 or skipped) runs with its match limit
//  lowered by (*LIMIT_MATCH=...), so that a backtracking pattern costs
//  milliseconds, not seconds. Without a NUL byte the whole input is the
//  document and a fixed set of rules runs. Checks, beyond no crash, leak
//  or undefined behaviour: a refusal at new() is WS_ERR_INPUT with a
//  text and a where; at run() WS_ERR_EXTRACT with the matches as they
//  were; a match has no number, a text of at most WS_MATCH_TEXT_MAX
//  bytes in valid UTF-8, labels that are strings; at most
//  WS_EXTRACT_REGEX_MATCHES_MAX matches; and a second run agrees.
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ws_extract_regex.h"

#define S_PATTERN_MAX 128
#define S_DOCUMENT_MAX 8192

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_fixed[] = {
    "{\"regex\": \"Price: (?<price>[0-9.,]+)\"}",
    "{\"regex\": \"(?<k>\\\\w+)=(?<v>[^;&]*)\", \"labels_from\": "
    "{\"key\": \"k\"}}",
    "{\"regex\": \"<td[^>]*>([^<]*)</td>\", \"flags\": \"is\"}",
    "{\"regex\": \"x*\"}",
    "{\"regex\": \"^\\\\s*(\\\\d+)$\", \"flags\": \"m\"}",
    "{\"regex\": \"(?<n>\\\\d+)|(?<w>\\\\pL+)\", \"group\": \"n\", "
    "\"labels_from\": {\"word\": \"w\"}}",
    "{\"regex\": \"\\\\b\\\\X\\\\b\", \"group\": 0}",
};

//  The texts and labels of matches[from..] keep the header's promises.
static void
s_check_matches (const ws_matches_t *matches, size_t from)
{
    if (matches->count - from > WS_EXTRACT_REGEX_MATCHES_MAX)
        fuzz_die ("regex", "more matches than the maximum");
    for (size_t i = from; i < matches->count; i++) {
        const ws_match_t *match = &matches->items[i];
        if (match->has_value)
            fuzz_die ("regex", "a match with a number");
        if (strlen (match->text) > WS_MATCH_TEXT_MAX)
            fuzz_die ("regex", "a text longer than WS_MATCH_TEXT_MAX");
        json_t *text = json_string (match->text);
        if (!text)
            fuzz_die ("regex", "a text that is not UTF-8");
        json_decref (text);
        const char *key;
        json_t *value;
        if (match->labels && !json_is_object (match->labels))
            fuzz_die ("regex", "labels that are not an object");
        json_object_foreach (match->labels, key, value) {
            if (!json_is_string (value))
                fuzz_die ("regex", "a label that is not a string");
            if (json_string_length (value) > WS_MATCH_TEXT_MAX)
                fuzz_die ("regex", "a label longer than WS_MATCH_TEXT_MAX");
        }
    }
}

//  Run rule (refusable only if may_refuse) on the document, twice.
static void
s_run (json_t *rule, bool may_refuse, const char *body, size_t len)
{
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_regex_t *self = ws_extract_regex_new (rule, &err);
    if (!self) {
        if (!may_refuse)
            fuzz_die ("regex", err.text);
        fuzz_check_err (&err, WS_ERR_INPUT, "regex new");
        if (err.where[0] != '/')
            fuzz_die ("regex new", "a refusal without a where");
        return;
    }
    if (!ws_extract_regex_expr (self))
        fuzz_die ("regex", "no expression");
    size_t counts[2];
    int rcs[2];
    for (int round = 0; round < 2; round++) {
        ws_matches_t matches;
        ws_matches_init (&matches);
        ws_matches_add (&matches, "earlier", 7, false, 0, NULL);
        ws_err_clear (&err);
        rcs[round] = ws_extract_regex_run (self, body, len, &matches, &err);
        if (rcs[round]) {
            fuzz_check_err (&err, WS_ERR_EXTRACT, "regex run");
            if (matches.count != 1)
                fuzz_die ("regex run", "a failed run changed the matches");
        }
        else
            s_check_matches (&matches, 1);
        counts[round] = matches.count;
        ws_matches_free (&matches);
    }
    if (rcs[0] != rcs[1] || counts[0] != counts[1])
        fuzz_die ("regex", "two runs on one document disagree");
    ws_extract_regex_destroy (&self);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    const char *nul = memchr (text, '\0', size);
    if (!nul) {
        for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0]; i++) {
            json_error_t jerr;
            json_t *rule = json_loads (s_fixed[i], 0, &jerr);
            if (!rule)
                fuzz_die ("regex", "a fixed rule is not JSON");
            s_run (rule, false, text,
                   size < S_DOCUMENT_MAX * 8 ? size : S_DOCUMENT_MAX * 8);
            json_decref (rule);
        }
        return 0;
    }
    size_t pattern_len = (size_t) (nul - text);
    if (pattern_len > S_PATTERN_MAX)
        pattern_len = S_PATTERN_MAX;
    const char *body = nul + 1;
    size_t len = size - (size_t) (body - text);
    if (len > S_DOCUMENT_MAX)
        len = S_DOCUMENT_MAX;
    char pattern[S_PATTERN_MAX + 64];
    int prefix = snprintf (pattern, sizeof pattern, "(*LIMIT_MATCH=20000)");
    memcpy (pattern + prefix, text, pattern_len);
    json_t *regex = json_stringn (pattern, (size_t) prefix + pattern_len);
    if (!regex)
        return 0;  //  not UTF-8: a rule cannot hold it
    json_t *rule = json_object ();
    json_object_set_new (rule, "regex", regex);
    s_run (rule, true, body, len);
    json_decref (rule);
    return 0;
}
