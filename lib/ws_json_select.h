//  ws_json_select - the values of a parsed JSON document that a selection
//  picks, as matches (ws_extract.h) with labels read from the document:
//  the sales of the "EU" items, each tagged with its channel.
//
//  A selection is an RFC 6901 pointer ("" is the whole document, "/a/0"
//  member "a" then index 0, ~0 is '~' and ~1 is '/') with two additions:
//
//      "*"            a segment that is exactly "*" takes every element of
//                     an array or member of an object: /regions/*/count
//      [name=value]   filters written after a segment. "/items[name=EU]"
//                     steps to /items, then takes those of its elements
//                     (or, for an object, members) that are objects whose
//                     member "name" equals "EU"; it reads as
//                     "/items/*[name=EU]". After "*" a filter narrows
//                     what "*" takes: "/*[name=EU]/sales" filters the
//                     elements of the document itself (the way to filter
//                     a document that is an array). Several filters must
//                     all hold: /items[region=EU][channel=email].
//                     [name!=value] holds when the member differs or is
//                     missing. An element that is not an object is never
//                     taken by a filter.
//
//  How a member compares to the value written in a filter:
//      string          the same bytes: [name=EU]
//      number          the value read as a JSON number, compared as a
//                      number: [year=2026] takes 2026 and 2026.0, and
//                      [year=2.026e3] too; a value that is not a JSON
//                      number never equals a number
//      true/false/null the value "true", "false", "null"
//      object/array    never equal
//  A selection that starts with '[' is refused: to filter the elements of
//  the document write "/*[...]".
//
//  Escapes, anywhere in a selection and in a labels_from pointer:
//      ~0 '~'   ~1 '/'   ~2 ']'   ~3 '='   ~4 '!'   ~5 '['
//  Inside brackets the characters '/', '[', ']', '=' and '!' have a
//  meaning or are refused (a raw '/' is kept free for a later
//  [meta/region=EU] reading a nested member), so a member name or value
//  holding one writes it escaped: [path=a~1b] compares with "a/b", [title=Hi~4]
//  with "Hi!". Outside brackets '[' starts a filter and a lone ']' is refused:
//  a member named "a[0]" is /a~50~2. '=' and '!' need no escape there. A member
//  named "*" stays out of reach, as it was before filters.
//
//  labels_from maps a label to a pointer (the same syntax without "*" or
//  filters) RELATIVE to the element taken by the first "*" or filter
//  segment, so with /items[name=EU]/channels/*/sales and {"region":
//  "/name"} each match carries the "name" of its element of /items.
//  Without "*" or filter the pointers are relative to the document; ""
//  is the element itself. A label's value must be a string (cut at
//  WS_MATCH_TEXT_MAX bytes) or a number (its shortest JSON text).
//
//  Until the first "*" or filter a selection must resolve: a missing
//  member or index is an error that says what is there instead. Below
//  it a branch that lacks the rest of the path is skipped (not every
//  item has every field), and zero matches is not an error: the caller's
//  fold says "no match", naming the rule.
//
//  Each selected value is one match:
//      number       has_value, text its shortest JSON form ("1234.5")
//      string       text the string, has_value false: the caller's
//                   conversion reads "1.234,50 €" or "active" (ws_value)
//      true/false   has_value 1 / 0, text "true" / "false"
//      null, object, array
//                   an error naming the concrete path, except for a
//                   selection made with count_only, which counts any
//                   value: text "null", "an object", "an array of 3"
#ifndef WS_JSON_SELECT_H
#define WS_JSON_SELECT_H

#include <jansson.h>
#include <stdbool.h>

#include "ws_err.h"
#include "ws_extract.h"

//  Bytes in a selection or a labels_from pointer (as ws_source's
//  pointers), "/" segments in one, filters in a selection, labels.
#define WS_JSON_SELECT_LEN_MAX 1024
#define WS_JSON_SELECT_SEGMENTS_MAX 64
#define WS_JSON_SELECT_FILTERS_MAX 16
#define WS_JSON_SELECT_LABELS_MAX 64

//  More matches than this in one document is an error (run).
#define WS_JSON_SELECT_MATCHES_MAX 100000

typedef struct _ws_json_select_t ws_json_select_t;

//  Compile selection (borrowed) and labels_from (borrowed, may be NULL:
//  an object of label name -> pointer). where is the JSON pointer of the
//  key that holds the selection in its definition ("/metrics/0/json");
//  labels_from is taken to be its sibling, so its errors are at
//  "/metrics/0/labels_from/LABEL". Caller owns the result. NULL with err
//  (code WS_ERR_INPUT, where as said) when either is malformed, e.g.
//      /metrics/0/json: "/items[name=EU": unclosed '[' at offset 6
//      /metrics/0/json: "/items[=EU]": empty member name in a filter at
//      offset 7
//      /metrics/0/labels_from/region: "/*/name": a label's pointer names
//      one value, no "*" or filters at offset 1
//  (the selection is shown cut at 48 bytes, the offset counts bytes).
//  A label name is [A-Za-z_][A-Za-z0-9_]*, as a series label. With
//  where "" or NULL the texts start "(selection): ".
ws_json_select_t *ws_json_select_new (const char *selection,
                                      json_t *labels_from, bool count_only,
                                      const char *where, ws_err_t *err);

//  Free the selection and set *self_p to NULL. Safe on NULL and repeat.
void ws_json_select_destroy (ws_json_select_t **self_p);

//  True if the selection has a "*" or a filter, so it may take any
//  number of values (the caller then wants an aggregate).
bool ws_json_select_has_wildcard (ws_json_select_t *self);

//  The selection as written, for error texts. Borrowed from self.
const char *ws_json_select_expr (ws_json_select_t *self);

//  Append the values doc (borrowed) holds at the selection to matches.
//  Returns 0, also with no match, or -1 with err (code WS_ERR_EXTRACT,
//  where the concrete path at fault; for the cap, the selection) and
//  matches as they were:
//      /items/2/sales: found null, expected a number or a string
//      /items/5: not found (the array has 3 elements)
//      /total/eu: found number 7, expected an object or array holding
//      "eu"
//      /total: found number 7, expected an array or object to filter
//      with [name=EU]
//      /items/1/name: not found (no member "name" in the object), for
//      label 'region'
//      /items/*/sales: more than 100000 matches; narrow the selection
int ws_json_select_run (ws_json_select_t *self, json_t *doc,
                        ws_matches_t *matches, ws_err_t *err);

#endif
