//  ws_value - turns the text an extractor found ("1.234,50 €",
//  "$1,234.50", "12.5%", "active", "Tue, 31 Mar 2026 09:15:00 GMT") into
//  the number a sample stores, following a rule's conversion keys
//  ("decimal", "convert"). Extractors that read a number natively (a
//  Prometheus sample, a JSON number) do not come here (ws_extract.h).
//
//  Reading is strict on purpose: a text that could mean two numbers
//  ("1,23" with a decimal point: 1.23 or a typo of 1,230?) is refused
//  with the text quoted, rather than stored as a wrong sample that a
//  goal would then page on.
#ifndef WS_VALUE_H
#define WS_VALUE_H

#include <jansson.h>
#include <stdint.h>

#include "ws_err.h"

//  Parse a human-written number. decimal is '.' or ','; the other of
//  the two, spaces, U+00A0, U+202F, U+2009 and apostrophes (' and
//  U+2019) are thousands separators, only between digit groups of 3
//  after a first group of 1 to 3 digits not starting with 0 ("0,123"
//  with a decimal point is refused: a European 0.123?), one kind of
//  separator per number, none in the fraction. A leading or trailing
//  currency sign (€ $ £ ¥ ₹, and the ISO codes EUR USD GBP JPY CHF INR
//  when separated by a space) is ignored; a trailing '%' is ignored
//  (12.5% -> 12.5); signs '+', '-', U+2212; "(1,234)" is negative
//  (accounting, also "$(1,234)"); exponent allowed ("1.2e3") only with
//  '.'; ".5" is read, "5." is not; leading/trailing whitespace ignored.
//  -0 is stored as 0. Anything else -> -1 with err (WS_ERR_EXTRACT)
//  quoting the text: found "n/a", expected a number. Infinite/NaN
//  results ("1e999", "NaN", "inf") are refused the same way.
int ws_number_parse (const char *text, char decimal, double *value,
                     ws_err_t *err);

typedef struct _ws_value_conv_t ws_value_conv_t;

//  From a rule's JSON object (borrowed; NULL reads as an empty rule)
//  read its conversion keys:
//    "decimal": "." | ","                      (default ".")
//    "convert": "number" (default) | "percent" (12.5% -> 0.125; a text
//               without '%' is divided by 100 too) |
//               "bool" (true/false, yes/no, on/off, 1/0,
//                       case-insensitive -> 1/0) |
//               "epoch" (an ISO 8601 date or time, or an RFC 1123/822
//                        date as in HTTP and RSS pubDate -> seconds
//                        since 1970 UTC; no zone means UTC) |
//               "age_days" (the same dates -> days from it to now,
//                           fractional, negative for a future date) |
//               {"map": {"active": 1, "paused": 0, ...},
//                "default": 0}  (exact string match after trimming
//                                whitespace; "default", optional, is the
//                                number for any other text)
//  NULL with err (WS_ERR_INPUT) naming the key (err->where "/convert",
//  "/convert/map/paused" ...) and what was found if a key is malformed:
//    convert: unknown conversion 'percnt'; expected number, percent,
//    bool, epoch, age_days or {"map": ...}
//  A rule without these keys gives the default conversion (never NULL
//  for a valid rule). Other keys of the rule are ignored. Caller owns
//  the result.
ws_value_conv_t *ws_value_conv_new (json_t *rule, ws_err_t *err);

//  Free the conversion and set *self_p to NULL. Safe on NULL and on
//  repeat.
void ws_value_conv_destroy (ws_value_conv_t **self_p);

//  Convert one text. now_ms (milliseconds since the epoch) is the wall
//  clock for age_days. 0 with a finite *value, or -1 with err
//  (WS_ERR_EXTRACT) quoting the text and saying what was expected:
//    found "maybe", expected one of true/false/yes/no/on/off/1/0
//    found "pending", not in the map (active, paused)
int ws_value_convert (const ws_value_conv_t *self, const char *text,
                      int64_t now_ms, double *value, ws_err_t *err);

#endif
