//  ws_chart - line charts drawn with cairo into a PNG or SVG file: the
//  pictures of 'watershed chart' (a goal's burn-up, a series with its
//  trend). Pure drawing: the caller fills a ws_chart_t with plain data
//  (lines of points, bands, horizontal rules, vertical events, point
//  marks, a title) and a path; no client calls, no JSON, so the unit
//  test renders fixed data and reads the pixels back.
//
//  Layout: title (and a coloured badge such as the status) and subtitle
//  on top, the plot with a light grid, y ticks on the left (numbers as
//  ws_goal_view_number prints them), x ticks below (dates and times when
//  x is a time), the legend under the plot. Everything drawn from data
//  is clipped to the plot; points that are not finite break a line.
#ifndef WS_CHART_H
#define WS_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

//  Pixels a chart may have on each side: below the minimum the labels
//  overlap, above the maximum a PNG is hundreds of MB.
#define WS_CHART_MIN_SIZE 200
#define WS_CHART_MAX_SIZE 8000
#define WS_CHART_DEFAULT_WIDTH 900
#define WS_CHART_DEFAULT_HEIGHT 500

typedef enum { WS_CHART_PNG = 0, WS_CHART_SVG } ws_chart_format_t;

//  The format a path's suffix asks for: ".png" or ".svg", in any case.
//  0 and *format, or -1 with *err naming the file.
int ws_chart_format (const char *path, ws_chart_format_t *format,
                     ws_err_t *err);

typedef struct {
    double x, y;
} ws_chart_point_t;

typedef enum {
    WS_CHART_SOLID = 0,
    WS_CHART_DASHED,
    WS_CHART_DOTTED
} ws_chart_stroke_t;

//  A polyline through points (in x order). Colours are 0xRRGGBB.
typedef struct {
    const char *label;               //  legend text; NULL: not in it
    const ws_chart_point_t *points;  //  borrowed
    size_t count;
    uint32_t colour;
    double width;  //  pixels; 0 draws 2
    ws_chart_stroke_t stroke;
    bool dots;  //  a dot at each point as well
} ws_chart_line_t;

//  The area between two polylines with the same x: an interval, the
//  projection fan. Drawn translucent, under the lines.
typedef struct {
    const char *label;
    const ws_chart_point_t *low;   //  borrowed, count points
    const ws_chart_point_t *high;  //  borrowed, count points
    size_t count;
    uint32_t colour;
} ws_chart_band_t;

//  A horizontal line across the plot at y (a target), its label at the
//  right end above it.
typedef struct {
    const char *label;
    double y;
    uint32_t colour;
    ws_chart_stroke_t stroke;
} ws_chart_rule_t;

//  A vertical line at x (an activity, a change point), its label
//  written up along it from the bottom of the plot.
typedef struct {
    const char *label;
    double x;
    uint32_t colour;
} ws_chart_event_t;

//  A diamond at (x, y) (a checkpoint), its label beside it.
typedef struct {
    const char *label;
    double x, y;
    uint32_t colour;
} ws_chart_mark_t;

typedef struct {
    const char *title;  //  may be NULL
    const char *badge;  //  drawn after the title in badge_colour
    uint32_t badge_colour;
    const char *subtitle;  //  may be NULL
    const char *y_label;   //  the unit, written up the left side
    const char *x_label;   //  under the x ticks; NULL: none
    bool x_is_time;        //  x in ms since the epoch: ticks are dates
    //  The ranges shown; NaN: from the data (lines, bands, rules, marks,
    //  events). y_from_zero puts 0 in a range taken from the data.
    double x_min, x_max, y_min, y_max;
    bool y_from_zero;
    int width, height;  //  pixels, WS_CHART_MIN_SIZE..WS_CHART_MAX_SIZE
    //  What is drawn, all borrowed.
    const ws_chart_band_t *bands;
    size_t band_count;
    const ws_chart_rule_t *rules;
    size_t rule_count;
    const ws_chart_event_t *events;
    size_t event_count;
    const ws_chart_line_t *lines;
    size_t line_count;
    const ws_chart_mark_t *marks;
    size_t mark_count;
} ws_chart_t;

//  Nothing to draw, ranges from the data, the default size.
void ws_chart_init (ws_chart_t *self);

//  Draw the chart into path, PNG or SVG by its suffix (ws_chart_format),
//  replacing the file. 0, or -1 with *err: "file 'FILE': unknown type"
//  for a bad suffix, "chart 'FILE': size WxH ..." for a bad size,
//  "cannot write FILE: reason" when the file cannot be written (then no
//  partial file is left).
int ws_chart_render (const ws_chart_t *self, const char *path, ws_err_t *err);

//  Free the fonts cairo and fontconfig keep for the whole process, so
//  that a leak checker sees none at exit. Call once, after the last
//  render, with no cairo object alive; a later render loads them again.
void ws_chart_release_fonts (void);

//  At most most (>= 2) round ticks (1, 2 or 5 times a power of ten)
//  from the first multiple of their step at or above low to the last at
//  or below high, into ticks (room for most). Returns how many; 0 when
//  low >= high or either is not finite.
size_t ws_chart_ticks (double low, double high, size_t most, double *ticks);

//  The same for times in ms since the epoch (UTC): steps of seconds,
//  minutes, hours, days, weeks (from Mondays), months or years (from
//  the first of the month, of January), so that at most most fall in
//  from..to. *format (may be NULL) gets the strftime format that tells
//  them apart: "%H:%M:%S", "%m-%d %H:%M", "%Y-%m-%d", "%Y-%m" or "%Y".
size_t ws_chart_time_ticks (double from, double to, size_t most, double *ticks,
                            const char **format);

#endif
