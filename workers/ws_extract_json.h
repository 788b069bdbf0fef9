//  ws_extract_json - read one rule's number from a parsed JSON document.
//  The rule's pointer is RFC 6901 with one addition: a segment "*"
//  matches every element of an array or member of an object, at any
//  depth and any number of times ("/regions/*/channels/*/count"). The
//  matches are folded by the rule's aggregate (sum, count, min, max,
//  avg). A worker parses a body once and runs every rule of the source
//  on the same document.
//
//  Until the first "*" a pointer must resolve: a missing key or index is
//  an error that says what is there instead. Below a "*" a branch that
//  does not have the rest of the path is skipped (not every item has
//  every field); zero matches in all is an error, except for count,
//  which is then 0. Every match must be a finite number (count counts
//  any value): a string, boolean, null, object or array is an error,
//  never a sample.
#ifndef WS_EXTRACT_JSON_H
#define WS_EXTRACT_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_source.h"

//  Evaluate rule (borrowed) on doc (borrowed). Returns 0 with *value, or
//  -1 with err (code WS_ERR_EXTRACT, where = the path at fault), e.g.
//      rule 'signups' /data/0/count: found string "n/a", expected a number
//      rule 'signups' /data/5: not found (the array has 3 elements)
//      rule 'signups': no match for /items/*/x
int ws_extract_json (const ws_rule_t *rule, json_t *doc, double *value,
                     ws_err_t *err);

//  Parse a response body of len bytes (borrowed) as one JSON value, the
//  way a worker reads a source's reply. Caller owns the result. NULL
//  with err (code WS_ERR_EXTRACT) naming what the body holds instead:
//      empty body, expected JSON
//      body is not JSON: found HTML or XML (starts '<html><head>'...)
//      body is not JSON: unable to decode byte 0xff near '"' (line 1,
//      column 6)
//      body is not JSON: real number overflow near '1e999' (line 1, ...)
//      body is not JSON: maximum parsing depth reached near '[' (...)
//  So no value in a document is infinite or NaN (jansson cannot hold
//  one either); a rule's -0 reads as 0.
json_t *ws_extract_json_parse (const char *data, size_t len, ws_err_t *err);

#endif
