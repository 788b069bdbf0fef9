//  ws_extract_csv - the rows of a CSV document a rule selects: a value
//  column, optional "where" filters on other columns, and labels taken
//  from columns, for the CSV exports and report downloads that marketing
//  tools offer (ad spend per region, clicks per campaign).
//
//  The rule (a JSON object, borrowed) has:
//      "csv": {
//          "column": "Spend (EUR)" | 3,  the value column: a header name
//                                        (exact, then case-insensitive,
//                                        then also ignoring spaces around
//                                        it) or a 0-based index
//          "where": {"Region": "EU"},    keep rows whose column equals the
//                                        text exactly (all pairs must hold)
//          "header": true,               false: no header line; columns by
//                                        index only ("where" keys "0", "1")
//          "delimiter": ",",             one ASCII character
//          "skip": 0                     lines before the header (a title)
//      }
//      "labels_from": {"region": "Region"}  label name -> column (name or
//                                        index); each match carries them
//  Other keys of the rule are not this module's business. Each kept row
//  is a match: text = the value field as written once unquoted,
//  has_value false (the rule's conversion reads it, ws_value).
//
//  The reader is RFC 4180: fields in double quotes may hold the
//  delimiter, CR, LF and "" for a quote; records end at CR LF, LF or a
//  lone CR; a UTF-8 byte order mark is skipped, and so are blank lines
//  (nothing but spaces and tabs). A character after a closing quote, an
//  unterminated quote and a NUL byte are errors. Columns named in the rule
//  are looked up in the header of each document, so a report that moves
//  its columns still reads right; a name the header lacks is an error
//  that lists the header.
#ifndef WS_EXTRACT_CSV_H
#define WS_EXTRACT_CSV_H

#include <jansson.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_extract.h"

//  A document past these is refused with an error, not read into memory
//  without end: data rows (kept or not), bytes in one field, fields in
//  one row.
#define WS_EXTRACT_CSV_MAX_ROWS 1000000
#define WS_EXTRACT_CSV_MAX_FIELD (1024 * 1024)
#define WS_EXTRACT_CSV_MAX_FIELDS 65536

//  Lines "skip" may pass over.
#define WS_EXTRACT_CSV_MAX_SKIP 1000

typedef struct _ws_extract_csv_t ws_extract_csv_t;

//  Read the "csv" and "labels_from" keys of rule (borrowed). Caller owns
//  the result. NULL with err (WS_ERR_INPUT, where the JSON pointer at
//  fault, e.g. "/csv/column") when a key is missing or malformed, e.g.
//      /csv/column: a column name needs a header line ("header" is
//      false); give a 0-based index
ws_extract_csv_t *ws_extract_csv_new (json_t *rule, ws_err_t *err);

//  Read one document of len bytes (borrowed; need not be NUL-terminated)
//  and append a match per kept row to matches. Returns 0 (also with no
//  row kept), or -1 with err (WS_ERR_EXTRACT) and matches as they were:
//      csv: no column 'Regio'; the header has Date, Region, Campaign
//      csv line 7: 3 fields, column 'Clicks' is field 5
//      csv line 12: unterminated quoted field (field 3)
//      csv: empty document
int ws_extract_csv_run (ws_extract_csv_t *self, const char *body, size_t len,
                        ws_matches_t *matches, ws_err_t *err);

//  Free the extractor and set *self_p to NULL. Safe on NULL and repeat.
void ws_extract_csv_destroy (ws_extract_csv_t **self_p);

//  The configured selection for error texts: "csv column 'Spend (EUR)'"
//  or "csv column 3". Borrowed from self.
const char *ws_extract_csv_expr (ws_extract_csv_t *self);

#endif
