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

#endif
