//  ws_extract - what every extractor kind (regex, xpath, csv, prometheus)
//  yields from a document: a list of matches, each the text it was read
//  from, a number when the document holds one natively (a Prometheus
//  sample, an XPath number()), and labels taken from the document (a CSV
//  row's region column). Turning text into a number (locales, maps,
//  dates, percentages) is the rule's conversion (ws_value), applied by
//  the caller to matches without a number; folding several matches into
//  one value is the rule's aggregate (ws_matches_fold).
//
//  Each kind has the same life cycle: ws_extract_KIND_new (spec, err)
//  compiles the rule's "extract" object once (at apply time, so a bad
//  pattern or expression is refused then, naming the field), and
//  ws_extract_KIND_run (x, body, len, matches, err) reads one document.
#ifndef WS_EXTRACT_H
#define WS_EXTRACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_source.h"

//  The matched text is kept up to this many bytes (a `source test`
//  shows it; a sample needs only the number).
#define WS_MATCH_TEXT_MAX 200

typedef struct {
    char *text;      //  owns; the text found, NUL-terminated, at most
                     //  WS_MATCH_TEXT_MAX bytes (cut on a UTF-8 boundary)
    bool has_value;  //  value holds the document's own number
    double value;
    json_t *labels;  //  owns; object of strings, NULL when none
} ws_match_t;

typedef struct {
    ws_match_t *items;
    size_t count, max;
} ws_matches_t;

void ws_matches_init (ws_matches_t *self);

//  Free every match and the array; the list is empty and usable again.
void ws_matches_free (ws_matches_t *self);

//  Append a match: text of len bytes (copied, cut at WS_MATCH_TEXT_MAX),
//  a number if has_value, labels (taken: the caller's reference moves to
//  the match; NULL for none). Returns the new match.
ws_match_t *ws_matches_add (ws_matches_t *self, const char *text, size_t len,
                            bool has_value, double value, json_t *labels);

//  Drop the matches after the first keep: a run that fails leaves the
//  list as it found it.
void ws_matches_truncate (ws_matches_t *self, size_t keep);

//  len cut to at most max bytes without splitting a UTF-8 sequence (a
//  match's text, a label found).
size_t ws_utf8_cut (const char *text, size_t len, size_t max);

//  The end of the valid UTF-8 that starts at text[start]: the offset of
//  the first byte of an invalid sequence, or len (RFC 3629: no overlong
//  forms, no surrogates, nothing past U+10FFFF; as PCRE2 checks it).
size_t ws_utf8_valid_end (const unsigned char *text, size_t start, size_t len);

//  Fold values[0..count-1] by aggregate into *value: sum, count (of all
//  matches, also 0), min, max, avg; WS_AGG_NONE takes exactly one match.
//  -1 with err (code WS_ERR_EXTRACT) when there is no match (except
//  count) or, for NONE, more than one ("3 matches; give an aggregate").
int ws_matches_fold (const double *values, size_t count, ws_agg_t aggregate,
                     double *value, ws_err_t *err);

#endif
