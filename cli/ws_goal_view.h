//  ws_goal_view - how the CLI draws goals in a terminal: a progress bar
//  in Unicode blocks with the expected pace marked, a sparkline of a
//  goal's history, numbers with thousands separators, "9 days behind",
//  status colours (only on a terminal, and never with NO_COLOR set), and
//  the columns of one 'watershed progress' line. Pure: the callers
//  ('progress', 'goal show', 'apply') fetch the JSON; these functions only
//  turn it into text, so the unit test can hold every output to a
//  string. Outputs are always NUL-terminated and cut at a whole UTF-8
//  character when the buffer is short.
#ifndef WS_GOAL_VIEW_H
#define WS_GOAL_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_goal.h"

//  Cells of the bar in 'watershed progress'.
#define WS_GOAL_VIEW_BAR_WIDTH 20
//  Cells of a history sparkline in 'watershed goal show'.
#define WS_GOAL_VIEW_SPARK_WIDTH 60

//  Whether to colour: only on a terminal, and not when NO_COLOR (the
//  value of getenv ("NO_COLOR"), may be NULL) is set to a non-empty
//  string, as no-color.org asks.
bool ws_goal_view_colour (bool is_terminal, const char *no_color);

//  The ANSI SGR sequence for a status name ("on_track" green, "at_risk"
//  yellow, "off_track" red, ...), "" for an unknown or NULL name.
const char *ws_goal_view_status_colour (const char *status);

//  text in the colour of status when colour is true, else text as is.
void ws_goal_view_paint (const char *text, const char *status, bool colour,
                         char *out, size_t size);

//  A number for people: "n/a" if not finite; whole with thousands
//  separators from 100 up ("1,234,567"); three significant digits from 1
//  ("41.3"), two below ("0.05"); an exponent past 10^15.
void ws_goal_view_number (double value, char *out, size_t size);

//  A bar of width cells: progress (0..1, clamped; NaN draws none) in
//  full blocks and one partial block in eighths (▏▎▍▌▋▊▉█), the rest
//  light shade (░), and the cell where expected (0..1) falls marked │
//  when progress has not reached it (NaN: no mark). Needs 3·width + 1
//  bytes.
void ws_goal_view_bar (double progress, double expected, size_t width,
                       char *out, size_t size);

//  A sparkline of values[0..count-1] in at most width cells ▁▂▃▄▅▆▇█,
//  scaled from low to high (NaN: the data's own minimum or maximum); a
//  value outside is clamped, NaN is a space. With more values than
//  cells each cell shows the last finite value of its share of them
//  (the curves drawn are cumulative: progress, current). A flat scale
//  draws ▁. Needs 3·width + 1 bytes.
void ws_goal_view_sparkline (const double *values, size_t count, size_t width,
                             double low, double high, char *out, size_t size);

//  Days ahead (+) or behind (−) the expected pace, as ws_goal_evaluate's
//  days_ahead: "9 days behind", "1 day ahead", "on schedule" within half
//  a day; "" for NaN.
void ws_goal_view_days_ahead (double days, char *out, size_t size);

//  Days left to the deadline: "23d left", "<1d left", "ended" at or
//  below 0, "-" for NaN.
void ws_goal_view_days_left (double days, char *out, size_t size);

//  Terminal cells of UTF-8 text (one per character; the text drawn here
//  has no wide characters).
size_t ws_goal_view_cells (const char *text);

//  text followed by spaces up to width cells.
void ws_goal_view_pad (const char *text, size_t width, char *out, size_t size);

//  The columns of one line of 'watershed progress', from one element of
//  the "progress" request's "goals" (borrowed): {"goal", "campaign",
//  "def", "evaluation"}. An element without an evaluation reads "not
//  evaluated yet".
typedef struct {
    char campaign[72];  //  "-" without one
    char goal[72];
    char bar[3 * WS_GOAL_VIEW_BAR_WIDTH + 1];
    char progress[112];    //  "62% of 70% expected"; keep: "mean 3.2 (at
                           //  most 4)"
    char projected[128];   //  "1,180 [1,020–1,340] sign-ups"
    char status[160];      //  "at_risk (pending off_track 2/3)"
    char status_name[24];  //  the reported status alone, to colour by
    char left[24];         //  "23d left"
} ws_goal_view_row_t;

void ws_goal_view_row (json_t *entry, ws_goal_view_row_t *row);

//  The closing line of 'watershed progress', counts per reported status
//  in the README's order: "3 goals: 1 on_track, 1 at_risk, 1 not
//  evaluated yet". goals (borrowed) is the request's "goals".
void ws_goal_view_counts (json_t *goals, char *out, size_t size);

//  An attainability verdict's need against what was shown, as the
//  'apply' warning says it: "needs 41/day for 23 days against 28/day
//  (22–33) shown from 2026-12-05 to 2027-01-04". attainability (borrowed) is a
//  result of ws_goal_insight_attainability.
void ws_goal_view_need (json_t *attainability, char *out, size_t size);

//  A series of the "goal" request, {"t": [ms, ...], "x": [number, ...]}
//  (borrowed), as samples (caller owns *samples, NULL when empty). JSON
//  null gives none. -1 with *err naming where/t/N or where/x/N (where
//  is the series' pointer in the reply, "/series") when a time is not an
//  integer, a value not a number, or the arrays differ in length.
int ws_goal_view_samples (json_t *series, const char *where,
                          ws_goal_sample_t **samples, size_t *count,
                          ws_err_t *err);

//  The goal of a request's "def" (borrowed), for ws_goal_insight and
//  ws_goal_backtest. Keys that are the coordinator's, not ws_goal's
//  ("hysteresis", "id"), are ignored. NULL with *err as ws_goal_new.
ws_goal_t *ws_goal_view_goal (json_t *def, ws_err_t *err);

#endif
