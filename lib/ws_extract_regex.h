//  ws_extract_regex - the regex extractor: every non-overlapping match of
//  a PCRE2 pattern in a document is a match (ws_extract.h), its text one
//  capture group's. For pages that hold a number in running text
//  ("Price: 1,299.50") where no structure (XPath, JSON) reaches it.
//
//  The rule (a JSON object, borrowed) has these keys; others are left to
//  the caller:
//      "regex": "Price: (?<price>[0-9.,]+)"   PCRE2, UTF mode, required
//      "group": "price" | 1     the capture that is the text. Default: the
//                               only named group not used by labels_from
//                               if there is exactly one, else group 1 if
//                               the pattern has groups, else the whole
//                               match (group 0)
//      "flags": "isx"           i caseless, s dotall, m multiline,
//                               x extended
//      "labels_from": {"region": "reg"}  label -> named group; each match
//                               carries {"region": <text of the group>}
//                               ("" when that group did not take part)
//  A match whose text group did not take part is skipped. Invalid UTF-8
//  in a document never matches and no match crosses it (as with
//  PCRE2_MATCH_INVALID_UTF): a Latin-1 page is not an error, and every
//  text and label is valid UTF-8.
//
//  The pattern is compiled once, at new(). Each match attempt is bounded
//  (match, depth and heap limits below), so a pattern that backtracks
//  catastrophically on a big page fails with an error, not a hang. The
//  bound is per start position: a pattern that is slow but under the
//  limits at every position still costs that much times the positions.
#ifndef WS_EXTRACT_REGEX_H
#define WS_EXTRACT_REGEX_H

#include <jansson.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_extract.h"

//  Backtracking steps per match attempt (PCRE2's default too; about a
//  tenth of a second), nested backtracking depth, and heap for the
//  backtracking frames in KiB.
#define WS_EXTRACT_REGEX_MATCH_LIMIT 10000000
#define WS_EXTRACT_REGEX_DEPTH_LIMIT 1000000
#define WS_EXTRACT_REGEX_HEAP_LIMIT 65536

//  More matches than this in one document is an error: the pattern is
//  too wide (an empty pattern matches between every two characters).
#define WS_EXTRACT_REGEX_MATCHES_MAX 100000

typedef struct _ws_extract_regex_t ws_extract_regex_t;

//  Compile rule (borrowed). Caller owns the result. NULL with err (code
//  WS_ERR_INPUT, where = the key's JSON pointer) on a bad rule:
//      regex: missing closing parenthesis at offset 8       (/regex)
//      group: no group named 'x' in the regex                (/group)
//      group: no group 3 in the regex (it has 2)             (/group)
//      flags: unknown flag 'g', expected i, s, m or x        (/flags)
//      labels_from 'region': no group named 'reg' in the regex
//                                                (/labels_from/region)
ws_extract_regex_t *ws_extract_regex_new (json_t *rule, ws_err_t *err);

//  Append every match in body (len bytes, borrowed; need not end in NUL)
//  to matches. Returns 0, also with no match (the caller's fold says "no
//  match", naming the rule), or -1 with err (code WS_ERR_EXTRACT), and
//  matches as they were before the call:
//      regex: match limit exceeded at offset 0 (10000000 steps); the
//      pattern backtracks too much on this document
//      regex: more than 100000 matches; make the pattern narrower
int ws_extract_regex_run (ws_extract_regex_t *self, const char *body,
                          size_t len, ws_matches_t *matches, ws_err_t *err);

//  Free the extractor and set *self_p to NULL. Safe on NULL and repeat.
void ws_extract_regex_destroy (ws_extract_regex_t **self_p);

//  The pattern as configured, for error texts ("regex 'Price: (...)'").
const char *ws_extract_regex_expr (ws_extract_regex_t *self);

#endif
