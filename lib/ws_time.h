//  ws_time - durations ("500ms", "10s", "5m", "2h", "7d") and ISO 8601
//  UTC times, as config files, apply files, CSV imports and the CLI
//  write them. Times are milliseconds since the Unix epoch.
#ifndef WS_TIME_H
#define WS_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

//  Parse a duration: a non-negative integer followed by ms, s, m, h, d or
//  w; a bare number is seconds. Returns 0 and *ms, or -1 with *err.
int ws_duration_parse (const char *text, int64_t *ms, ws_err_t *err);

//  Format a duration as the shortest exact form ("90s", "1500ms", "2h").
void ws_duration_format (int64_t ms, char *out, size_t size);

//  Parse an ISO 8601 date or timestamp: "2027-01-04", "2027-01-04T09:15",
//  "2027-01-04T09:15:04Z", "2027-01-04 09:15:04.120+02:00". No zone
//  means UTC. Returns 0 and *ms, or -1 with *err.
int ws_iso8601_parse (const char *text, int64_t *ms, ws_err_t *err);

//  Format as "2027-01-04T09:15:04Z", or with ".120" when ms is not whole
//  seconds. out needs 32 bytes.
void ws_iso8601_format (int64_t ms, char *out, size_t size);

#endif
