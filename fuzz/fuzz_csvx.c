//  fuzz_csvx - libFuzzer target for the CSV extractor
//  (lib/ws_extract_csv.h), as a worker runs it on a fetched body.
//
//  Input: byte 0 picks the delimiter (bits 0-1: , ; tab |) and the lines
//  to skip (bits 2-3); the rest is the document. Five rules run on it.
//  Checks, beyond no crash, leak or undefined behaviour: a refusal is
//  WS_ERR_EXTRACT with a text and leaves the match list as it was; a
//  match has no number, a text of at most WS_MATCH_TEXT_MAX bytes and
//  exactly the configured labels, as strings; the rules agree: without
//  a header every record is a row (one more than with a header, the
//  same texts after it, and the same failures), and a "where" filter
//  keeps a subset, whose label is the filter's text, of what the same
//  rule keeps without it.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ws_extract_csv.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

enum { S_NO_HEADER, S_HEADER, S_LABELS, S_NAMED, S_WHERE, S_RULES };

static const char *s_rules[S_RULES] = {
    "{\"csv\": {\"column\": 0, \"header\": false, \"delimiter\": \"%s\","
    " \"skip\": %d}}",
    "{\"csv\": {\"column\": 0, \"delimiter\": \"%s\", \"skip\": %d}}",
    "{\"csv\": {\"column\": 1, \"delimiter\": \"%s\", \"skip\": %d},"
    " \"labels_from\": {\"first\": 0, \"third\": 2}}",
    "{\"csv\": {\"column\": \"b\", \"delimiter\": \"%s\", \"skip\": %d}}",
    "{\"csv\": {\"column\": \"b\", \"delimiter\": \"%s\", \"skip\": %d,"
    " \"where\": {\"a\": \"x\"}}, \"labels_from\": {\"a\": \"a\"}}",
};

typedef struct {
    int rc;
    ws_matches_t matches;
} s_result_t;

static void
s_run (int rule, const char *delimiter, int skip, const char *body, size_t len,
       s_result_t *result)
{
    char text[256];
    snprintf (text, sizeof text, s_rules[rule], delimiter, skip);
    json_error_t jerr;
    json_t *json = json_loads (text, 0, &jerr);
    if (!json)
        fuzz_die ("csvx rule", jerr.text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_csv_t *self = ws_extract_csv_new (json, &err);
    json_decref (json);
    if (!self)
        fuzz_die ("csvx new refused a valid rule", err.text);

    ws_matches_init (&result->matches);
    ws_matches_add (&result->matches, "before", 6, true, 1, NULL);
    ws_err_clear (&err);
    result->rc = ws_extract_csv_run (self, body, len, &result->matches, &err);
    if (result->rc) {
        fuzz_check_err (&err, WS_ERR_EXTRACT, "csvx run");
        if (result->matches.count != 1
            || strcmp (result->matches.items[0].text, "before") != 0)
            fuzz_die ("csvx run", "a refusal changed the match list");
    }
    for (size_t i = 1; i < result->matches.count; i++) {
        const ws_match_t *match = &result->matches.items[i];
        if (match->has_value)
            fuzz_die ("csvx run", "a match with a number");
        if (strlen (match->text) > WS_MATCH_TEXT_MAX)
            fuzz_die ("csvx run", "a text past WS_MATCH_TEXT_MAX");
        size_t want = rule == S_LABELS ? 2 : rule == S_WHERE ? 1 : 0;
        if (want == 0 ? match->labels != NULL
                      : json_object_size (match->labels) != want)
            fuzz_die ("csvx run", "labels other than configured");
        const char *key;
        json_t *value;
        json_object_foreach (match->labels, key, value) {
            if (!json_is_string (value))
                fuzz_die ("csvx run", "a label that is not a string");
        }
        if (rule == S_WHERE
            && strcmp (json_string_value (json_object_get (match->labels, "a")),
                       "x")
                   != 0)
            fuzz_die ("csvx run", "a row the filter should drop");
    }
    ws_extract_csv_destroy (&self);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *delimiters[] = {",", ";", "\\t", "|"};
    const char *delimiter = delimiters[data[0] & 3];
    int skip = (data[0] >> 2) & 3;
    const char *body = (const char *) data + 1;
    size_t len = size - 1;

    s_result_t results[S_RULES];
    for (int rule = 0; rule < S_RULES; rule++)
        s_run (rule, delimiter, skip, body, len, &results[rule]);

    s_result_t *bare = &results[S_NO_HEADER], *header = &results[S_HEADER];
    //  (Lines skipped to the end: no header line, but no row either.)
    if (header->rc == 0 && bare->rc != 0)
        fuzz_die ("csvx", "fails without a header only");
    if (header->rc != 0 && bare->rc == 0 && bare->matches.count != 1)
        fuzz_die ("csvx", "fails with a header only, with rows");
    if (header->rc == 0 && bare->matches.count != header->matches.count + 1)
        fuzz_die ("csvx", "without a header, not one row more");
    //  The first column of each row is the same text either way.
    for (size_t i = 1; header->rc == 0 && i < header->matches.count; i++)
        if (strcmp (bare->matches.items[i + 1].text,
                    header->matches.items[i].text)
            != 0)
            fuzz_die ("csvx", "a row read differently after the header");

    s_result_t *named = &results[S_NAMED], *where = &results[S_WHERE];
    if (where->rc == 0 && named->rc != 0)
        fuzz_die ("csvx", "a filter succeeds where the bare rule fails");
    if (where->rc == 0 && where->matches.count > named->matches.count)
        fuzz_die ("csvx", "a filter keeps more rows than there are");

    for (int rule = 0; rule < S_RULES; rule++)
        ws_matches_free (&results[rule].matches);
    return 0;
}
