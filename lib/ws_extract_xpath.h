//  ws_extract_xpath - the XPath extractor: an XPath 1.0 expression over
//  an HTML page or an XML document (RSS, Atom, sitemaps, APIs that answer
//  in XML), through libxml2. Each node it selects is a match (ws_extract.h)
//  whose text is the node's content; a number, boolean or string result
//  is one match.
//
//  The rule (a JSON object, borrowed) has these keys; others are left to
//  the caller:
//      "xpath": "//span[@class='price']"  required
//      "document": "html" | "xml"   html (default): libxml2's forgiving
//                  HTML parser, which repairs unclosed tags and stray end
//                  tags. xml: well-formed XML only; no network, no DTD
//                  loading, no external entities (XXE-safe), entity loops
//                  refused, at most 256 levels deep (no XML_PARSE_HUGE).
//      "namespaces": {"a": "http://www.w3.org/2005/Atom"}  prefixes that
//                  the expressions may use; a document's default namespace
//                  needs one (//a:entry, not //entry)
//      "labels_from": {"name": "string(@id)"}  label -> XPath evaluated
//                  with each selected node as the context node (with the
//                  document node for a number, boolean or string result);
//                  the label is its string value, trimmed
//
//  Results: a node-set gives one match per node in document order, text
//  = the node's content trimmed of white space and no-break spaces at
//  both ends (has_value false); a number one match with has_value (NaN or
//  infinity is an error); a boolean one match with value 1 or 0; a string
//  one match with that text, trimmed. Entities are decoded (&euro; and
//  &#8364; are "€", &nbsp; is U+00A0).
//
//  The expressions are compiled once, at new(): a syntax error, a
//  function XPath 1.0 does not have, a namespace prefix not in
//  "namespaces" and a variable are refused then. libxml2's messages are
//  collected into the error, never printed. Evaluation is bounded by
//  libxml2's operation limit, shared by the expression and its labels.
#ifndef WS_EXTRACT_XPATH_H
#define WS_EXTRACT_XPATH_H

#include <jansson.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_extract.h"

//  XPath steps (node visits, operations) per document, for the
//  expression and all its labels together: some seconds at most.
#define WS_EXTRACT_XPATH_OP_LIMIT 50000000

//  A node-set larger than this is an error, not that many matches.
#define WS_EXTRACT_XPATH_MATCHES_MAX 100000

typedef struct _ws_extract_xpath_t ws_extract_xpath_t;

//  Compile rule (borrowed). Caller owns the result. NULL with err (code
//  WS_ERR_INPUT, where = the key's JSON pointer) on a bad rule:
//      xpath: syntax error in '//span[@' at offset 8: invalid expression
//      xpath: unknown function 'foo()' in 'foo(//a)'
//      xpath: undefined namespace prefix 'a' in '//a:entry'
//      document: found "pdf", expected "html" or "xml"
//      labels_from 'name': syntax error in 'string(@' at offset 8: ...
ws_extract_xpath_t *ws_extract_xpath_new (json_t *rule, ws_err_t *err);

//  Parse body (len bytes, borrowed) as the rule's document kind and
//  append the expression's matches. Returns 0, also with no match (the
//  caller's fold says "no match", naming the rule), or -1 with err (code
//  WS_ERR_EXTRACT) and matches as they were before the call:
//      empty document
//      document is not XML: line 3: Opening and ending tag mismatch: ...
//      document is not HTML: line 1: Excessive depth in document: 256 ...
//      xpath 'sum(//td)' gave NaN
//      xpath '//*': more than 100000 nodes; make the expression narrower
int ws_extract_xpath_run (ws_extract_xpath_t *self, const char *body,
                          size_t len, ws_matches_t *matches, ws_err_t *err);

//  Free the extractor and set *self_p to NULL. Safe on NULL and repeat.
void ws_extract_xpath_destroy (ws_extract_xpath_t **self_p);

//  The expression as configured, for error texts ("xpath '//span'").
const char *ws_extract_xpath_expr (ws_extract_xpath_t *self);

#endif
