//  ws_csv - read a t,value series from CSV, for 'watershed trend --csv'
//  and 'watershed goal eval'. The first line is the header "t,value"
//  (case and spaces ignored); each other non-blank line is "t,value",
//  fields optionally in double quotes. t is a number (an index, a year,
//  days since an epoch) or an ISO 8601 date or timestamp, the same kind
//  on every line, strictly increasing; ISO t become days since
//  1970-01-01T00:00:00Z. value is a finite number. Errors name the file
//  and line: "signups.csv:12: t 'x' is not a number or ISO 8601 time".
#ifndef WS_CSV_H
#define WS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "ws_err.h"

//  A file past this size is refused (an error, not out-of-memory).
#define WS_CSV_MAX_BYTES (64u * 1024 * 1024)

typedef struct {
    size_t n;        //  points
    double *t;       //  owns; numbers, or days since the epoch
    double *value;   //  owns
    bool t_is_time;  //  t was ISO 8601
} ws_csv_series_t;

//  Parse CSV text (len bytes, borrowed; need not be NUL-terminated).
//  name is the file name used in errors. Returns 0 and *self (free with
//  ws_csv_series_free), or -1 with *err naming name:line and *self empty.
int ws_csv_parse (ws_csv_series_t *self, const char *text, size_t len,
                  const char *name, ws_err_t *err);

//  Read and parse a file; "-" reads standard input. As ws_csv_parse.
int ws_csv_read (ws_csv_series_t *self, const char *path, ws_err_t *err);

//  Free the arrays and empty the series. Safe on repeat.
void ws_csv_series_free (ws_csv_series_t *self);

//  The reader's parts, for a caller that wants every bad row rather than
//  the first ('watershed import' reports them all, then imports nothing).

//  One data line, as ws_csv_scan hands it over. The fields are trimmed
//  and unquoted, borrowed for the call only.
typedef struct {
    size_t line;        //  1-based line number in the file
    size_t fields;      //  comma-separated fields on the line
    const char *t;      //  the first field
    const char *value;  //  the rest after the first comma (the second
                        //  field when fields is 2); NULL if no comma
} ws_csv_row_t;

//  Called for each data line. Returns 0 to go on, or -1 with *err set to
//  stop the scan with that error.
typedef int (ws_csv_row_fn) (const ws_csv_row_t *row, void *arg, ws_err_t *err);

//  Walk CSV text (len bytes, borrowed; need not be NUL-terminated) as
//  ws_csv_parse reads it: a UTF-8 byte order mark, CRs and blank lines
//  are skipped, the header must be "t,value"; fn gets every other line,
//  whatever its field count. Returns 0, or -1 with *err: a NUL byte, a
//  bad or missing header (naming name:line), out of memory, or fn's
//  error.
int ws_csv_scan (const char *text, size_t len, const char *name,
                 ws_csv_row_fn *fn, void *arg, ws_err_t *err);

//  Read a whole file, "-" for standard input, of at most WS_CSV_MAX_BYTES.
//  Returns the text (caller owns, NUL-terminated) and *len, or NULL with
//  *err naming path.
char *ws_csv_load (const char *path, size_t *len, ws_err_t *err);

//  A whole field that is a finite number ("12abc", "", "nan" and "inf"
//  are not). Returns true and *value.
bool ws_csv_number (const char *text, double *value);

#endif
