//  ws_extract_prom - the samples of a Prometheus text exposition (the
//  /metrics page of a service, version 0.0.4 of the format) that a
//  PromQL-like selector picks, so a source can watch a number a service
//  already exports without a Prometheus server in between.
//
//  The rule (a JSON object, borrowed) has:
//      "prometheus": "http_requests_total{code=~\"2..\",method=\"GET\"}"
//          a metric name, then optionally {matchers}, each a label name,
//          one of = != =~ !~, and a string in "", '' (escapes \\ \" \'
//          \n \t \r) or `` (raw). Regexes are PCRE2, fully anchored as
//          in Prometheus ("2.." matches all of "200", not "1200"), and
//          '.' matches a newline. Without a name, the braces must hold a
//          matcher ({__name__=~"http_.*"}); __name__ is the metric name.
//          A label a sample lacks reads as "" (code!="500" keeps it).
//      "labels_from": {"code": "code"}  label name -> a label of the
//          sample (or __name__); a label the sample lacks is left out
//  Other keys of the rule are not this module's business.
//
//  Each sample line that matches is a match with has_value true, value
//  parsed as Prometheus does (a float, NaN, +Inf, -Inf: reported as
//  they are, the caller refuses what is not finite), text = the value as
//  written. The timestamp after the value is checked and not kept.
//
//  Like Prometheus, a syntax error anywhere rejects the whole document:
//  a scrape that is cut or corrupt must not yield a partial sum. # HELP
//  and # TYPE lines are checked (a metric name; a known type), other
//  comments and blank lines skipped, CR before LF tolerated.
#ifndef WS_EXTRACT_PROM_H
#define WS_EXTRACT_PROM_H

#include <jansson.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_extract.h"

//  Matches one document may give; past it, an error (not out of memory).
#define WS_EXTRACT_PROM_MAX_MATCHES 1000000

typedef struct _ws_extract_prom_t ws_extract_prom_t;

//  Parse the selector and "labels_from" of rule (borrowed). Caller owns
//  the result. NULL with err (WS_ERR_INPUT, where "/prometheus" or
//  "/labels_from/NAME") when malformed, e.g.
//      prometheus: expected '=', '!=', '=~' or '!~' after label 'code' at
//      offset 24
//      prometheus: label 'code' regex '2(..': missing closing
//      parenthesis at offset 4
ws_extract_prom_t *ws_extract_prom_new (json_t *rule, ws_err_t *err);

//  Read one document of len bytes (borrowed; need not be NUL-terminated)
//  and append a match per selected sample. Returns 0 (also when nothing
//  matched), or -1 with err (WS_ERR_EXTRACT) and matches as they were:
//      prometheus line 12: unterminated label value
//      prometheus line 3: value '12abc' is not a number
int ws_extract_prom_run (ws_extract_prom_t *self, const char *body, size_t len,
                         ws_matches_t *matches, ws_err_t *err);

//  Free the extractor and set *self_p to NULL. Safe on NULL and repeat.
void ws_extract_prom_destroy (ws_extract_prom_t **self_p);

//  The selector as written, for error texts. Borrowed from self.
const char *ws_extract_prom_expr (ws_extract_prom_t *self);

#endif
