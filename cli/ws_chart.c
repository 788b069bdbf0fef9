//  ws_chart - line charts drawn with cairo into a PNG or SVG file.
#include <assert.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ws_chart.h"
#include "ws_goal_view.h"

#define S_PI 3.14159265358979323846
#define S_DAY_MS 86400000.0
//  The most ticks on the y axis: more make the grid a texture.
#define S_Y_TICKS 8
//  Room for the most ticks on the x axis.
#define S_X_TICKS 16

int
ws_chart_format (const char *path, ws_chart_format_t *format, ws_err_t *err)
{
    assert (path);
    size_t len = strlen (path);
    const char *dot = strrchr (path, '.');
    if (dot && len >= 5 && dot == path + len - 4
        && strcasecmp (dot, ".png") == 0) {
        *format = WS_CHART_PNG;
        return 0;
    }
    if (dot && len >= 5 && dot == path + len - 4
        && strcasecmp (dot, ".svg") == 0) {
        *format = WS_CHART_SVG;
        return 0;
    }
    return ws_err_set (err, WS_ERR_INPUT,
                       "file '%s': unknown type, expected a name ending in "
                       ".png or .svg",
                       path);
}

void
ws_chart_init (ws_chart_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
    self->x_min = self->x_max = self->y_min = self->y_max = NAN;
    self->width = WS_CHART_DEFAULT_WIDTH;
    self->height = WS_CHART_DEFAULT_HEIGHT;
}

//  ---------------------------------------------------------------------
//  Ticks

size_t
ws_chart_ticks (double low, double high, size_t most, double *ticks)
{
    assert (ticks);
    if (!isfinite (low) || !isfinite (high) || low >= high || most < 2)
        return 0;
    //  The smallest of 1, 2, 5 times 10^k that gives at most most ticks:
    //  start a decade below the raw step and walk up.
    double raw = (high - low) / (double) (most - 1);
    double power = pow (10, floor (log10 (raw)) - 1);
    static const double factors[] = {1, 2, 5};
    for (int round = 0; round < 40; round++) {
        for (size_t f = 0; f < 3; f++) {
            double step = factors[f] * power;
            double first = ceil (low / step - 1e-9);
            double last = floor (high / step + 1e-9);
            if (last - first + 1 > (double) most || last < first)
                continue;
            size_t count = 0;
            for (double k = first; k <= last && count < most; k++) {
                double tick = k * step;
                //  -0 and 1e-17 print as 0.
                ticks[count++] = fabs (tick) < step * 1e-9 ? 0 : tick;
            }
            return count;
        }
        power *= 10;
    }
    return 0;
}

//  Ticks every step ms from origin (a multiple of step away from the
//  first tick), or how many there would be when ticks is NULL.
static size_t
s_fixed_ticks (double from, double to, double origin, double step, size_t most,
               double *ticks)
{
    double first = origin + ceil ((from - origin) / step) * step;
    if (first > to)
        return 0;
    double count = floor ((to - first) / step) + 1;
    if (!ticks)
        return count > (double) most ? most + 1 : (size_t) count;
    size_t n = 0;
    for (double t = first; t <= to && n < most; t += step)
        ticks[n++] = t;
    return n;
}

//  Ticks on the first of every months-th month (counted from January),
//  or how many there would be when ticks is NULL.
static size_t
s_month_ticks (double from, double to, int months, size_t most, double *ticks)
{
    time_t seconds = (time_t) floor (from / 1000);
    struct tm tm;
    if (!gmtime_r (&seconds, &tm))
        return 0;
    int64_t index = (int64_t) (tm.tm_year + 1900) * 12 + tm.tm_mon;
    size_t n = 0;
    for (int64_t month = index - index % months;; month += months) {
        struct tm first = {0};
        first.tm_year = (int) (month / 12) - 1900;
        first.tm_mon = (int) (month % 12);
        first.tm_mday = 1;
        double t = (double) timegm (&first) * 1000;
        if (t < from)
            continue;
        if (t > to || n > most)
            break;
        if (ticks && n < most)
            ticks[n] = t;
        n++;
    }
    return ticks && n > most ? most : n;
}

size_t
ws_chart_time_ticks (double from, double to, size_t most, double *ticks,
                     const char **format)
{
    assert (ticks);
    if (!isfinite (from) || !isfinite (to) || from >= to || most < 1)
        return 0;
    static const struct {
        double ms;
        const char *format;
    } fixed[] = {{1e3, "%H:%M:%S"},          {2e3, "%H:%M:%S"},
                 {5e3, "%H:%M:%S"},          {10e3, "%H:%M:%S"},
                 {15e3, "%H:%M:%S"},         {30e3, "%H:%M:%S"},
                 {60e3, "%m-%d %H:%M"},      {120e3, "%m-%d %H:%M"},
                 {300e3, "%m-%d %H:%M"},     {600e3, "%m-%d %H:%M"},
                 {900e3, "%m-%d %H:%M"},     {1800e3, "%m-%d %H:%M"},
                 {3600e3, "%m-%d %H:%M"},    {7200e3, "%m-%d %H:%M"},
                 {10800e3, "%m-%d %H:%M"},   {21600e3, "%m-%d %H:%M"},
                 {43200e3, "%m-%d %H:%M"},   {S_DAY_MS, "%Y-%m-%d"},
                 {2 * S_DAY_MS, "%Y-%m-%d"}, {7 * S_DAY_MS, "%Y-%m-%d"},
                 {14 * S_DAY_MS, "%Y-%m-%d"}};
    //  Weeks start on Mondays; 1970-01-05 was one.
    double monday = 4 * S_DAY_MS;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        double origin = fixed[i].ms >= 7 * S_DAY_MS ? monday : 0;
        if (s_fixed_ticks (from, to, origin, fixed[i].ms, most, NULL) <= most) {
            if (format)
                *format = fixed[i].format;
            return s_fixed_ticks (from, to, origin, fixed[i].ms, most, ticks);
        }
    }
    static const int months[] = {1, 2, 3, 6};
    for (size_t i = 0; i < sizeof months / sizeof months[0]; i++)
        if (s_month_ticks (from, to, months[i], most, NULL) <= most) {
            if (format)
                *format = "%Y-%m";
            return s_month_ticks (from, to, months[i], most, ticks);
        }
    if (format)
        *format = "%Y";
    for (int years = 1;; years *= 10) {
        static const int factors[] = {1, 2, 5};
        for (size_t f = 0; f < 3; f++)
            if (s_month_ticks (from, to, 12 * years * factors[f], most, NULL)
                    <= most
                || years >= 1000)
                return s_month_ticks (from, to, 12 * years * factors[f], most,
                                      ticks);
    }
}

//  ---------------------------------------------------------------------
//  Drawing

typedef struct {
    const ws_chart_t *chart;  //  borrowed
    cairo_t *cr;              //  borrowed
    double left, right, top, bottom;
    double x_min, x_max, y_min, y_max;
} s_plot_t;

static double
s_px (const s_plot_t *self, double x)
{
    return self->left
           + (x - self->x_min) / (self->x_max - self->x_min)
                 * (self->right - self->left);
}

static double
s_py (const s_plot_t *self, double y)
{
    return self->bottom
           - (y - self->y_min) / (self->y_max - self->y_min)
                 * (self->bottom - self->top);
}

static void
s_colour (cairo_t *cr, uint32_t colour, double alpha)
{
    cairo_set_source_rgba (cr, ((colour >> 16) & 0xff) / 255.0,
                           ((colour >> 8) & 0xff) / 255.0,
                           (colour & 0xff) / 255.0, alpha);
}

static void
s_font (cairo_t *cr, double size, bool bold)
{
    cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                            bold ? CAIRO_FONT_WEIGHT_BOLD
                                 : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size (cr, size);
}

static double
s_text_width (cairo_t *cr, const char *text)
{
    cairo_text_extents_t extents;
    cairo_text_extents (cr, text, &extents);
    return extents.x_advance;
}

//  text at (x, y) on its baseline; align 0 left, 0.5 centre, 1 right.
static void
s_text (cairo_t *cr, const char *text, double x, double y, double align)
{
    cairo_move_to (cr, x - align * s_text_width (cr, text), y);
    cairo_show_text (cr, text);
}

static void
s_stroke_style (cairo_t *cr, ws_chart_stroke_t stroke, double width)
{
    static const double dashed[] = {8, 5};
    static const double dotted[] = {2, 4};
    cairo_set_line_width (cr, width);
    if (stroke == WS_CHART_DASHED)
        cairo_set_dash (cr, dashed, 2, 0);
    else if (stroke == WS_CHART_DOTTED)
        cairo_set_dash (cr, dotted, 2, 0);
    else
        cairo_set_dash (cr, NULL, 0, 0);
}

static void
s_range_add (double *low, double *high, double value)
{
    if (!isfinite (value))
        return;
    if (isnan (*low) || value < *low)
        *low = value;
    if (isnan (*high) || value > *high)
        *high = value;
}

static void
s_points_range (const ws_chart_point_t *points, size_t count, double *x_low,
                double *x_high, double *y_low, double *y_high)
{
    for (size_t i = 0; points && i < count; i++)
        if (isfinite (points[i].x) && isfinite (points[i].y)) {
            s_range_add (x_low, x_high, points[i].x);
            s_range_add (y_low, y_high, points[i].y);
        }
}

//  The ranges shown: the chart's own, else the data's; y padded by 5%
//  so that no line runs along the frame.
static void
s_ranges (s_plot_t *self)
{
    const ws_chart_t *chart = self->chart;
    double x_low = NAN, x_high = NAN, y_low = NAN, y_high = NAN;
    for (size_t i = 0; i < chart->line_count; i++)
        s_points_range (chart->lines[i].points, chart->lines[i].count, &x_low,
                        &x_high, &y_low, &y_high);
    for (size_t i = 0; i < chart->band_count; i++) {
        s_points_range (chart->bands[i].low, chart->bands[i].count, &x_low,
                        &x_high, &y_low, &y_high);
        s_points_range (chart->bands[i].high, chart->bands[i].count, &x_low,
                        &x_high, &y_low, &y_high);
    }
    for (size_t i = 0; i < chart->rule_count; i++)
        s_range_add (&y_low, &y_high, chart->rules[i].y);
    for (size_t i = 0; i < chart->event_count; i++)
        s_range_add (&x_low, &x_high, chart->events[i].x);
    for (size_t i = 0; i < chart->mark_count; i++)
        if (isfinite (chart->marks[i].x) && isfinite (chart->marks[i].y)) {
            s_range_add (&x_low, &x_high, chart->marks[i].x);
            s_range_add (&y_low, &y_high, chart->marks[i].y);
        }
    if (chart->y_from_zero)
        s_range_add (&y_low, &y_high, 0);
    double pad = isfinite (y_low) ? (y_high - y_low) * 0.05 : 0;
    if (isfinite (y_low) && y_low != 0)
        y_low -= pad;
    if (isfinite (y_high))
        y_high += pad;
    self->x_min = isfinite (chart->x_min) ? chart->x_min : x_low;
    self->x_max = isfinite (chart->x_max) ? chart->x_max : x_high;
    self->y_min = isfinite (chart->y_min) ? chart->y_min : y_low;
    self->y_max = isfinite (chart->y_max) ? chart->y_max : y_high;
    //  Nothing, or one value: a range around it (a day for times).
    double unit = chart->x_is_time ? S_DAY_MS : 1;
    if (!isfinite (self->x_min) && !isfinite (self->x_max))
        self->x_min = 0, self->x_max = unit;
    else if (!isfinite (self->x_min))
        self->x_min = self->x_max - unit;
    else if (!isfinite (self->x_max))
        self->x_max = self->x_min + unit;
    if (self->x_min >= self->x_max) {
        self->x_min -= unit / 2;
        self->x_max = self->x_min + unit;
    }
    if (!isfinite (self->y_min) && !isfinite (self->y_max))
        self->y_min = 0, self->y_max = 1;
    else if (!isfinite (self->y_min))
        self->y_min = self->y_max - 1;
    else if (!isfinite (self->y_max))
        self->y_max = self->y_min + 1;
    if (self->y_min >= self->y_max) {
        double half = fabs (self->y_min) > 0 ? fabs (self->y_min) * 0.1 : 1;
        self->y_min -= half;
        self->y_max += half;
    }
}

//  A tick's label: a date or time, or a number.
static void
s_tick_label (const s_plot_t *self, double tick, const char *format, char *out,
              size_t size)
{
    if (self->chart->x_is_time && format) {
        time_t seconds = (time_t) floor (tick / 1000);
        struct tm tm;
        if (!gmtime_r (&seconds, &tm) || !strftime (out, size, format, &tm))
            snprintf (out, size, "?");
    }
    else
        ws_goal_view_number (tick, out, size);
}

//  The x ticks, as many as fit side by side with their labels.
static size_t
s_x_ticks (s_plot_t *self, double *ticks, const char **format)
{
    cairo_t *cr = self->cr;
    size_t most = S_X_TICKS;
    for (;; most--) {
        size_t count = self->chart->x_is_time
                           ? ws_chart_time_ticks (self->x_min, self->x_max,
                                                  most, ticks, format)
                           : ws_chart_ticks (self->x_min, self->x_max,
                                             most < 2 ? 2 : most, ticks);
        double widest = 0;
        for (size_t i = 0; i < count; i++) {
            char label[64];
            s_tick_label (self, ticks[i], *format, label, sizeof label);
            widest = fmax (widest, s_text_width (cr, label));
        }
        if (most <= 2
            || (double) count * (widest + 16) <= self->right - self->left)
            return count;
    }
}

//  A legend swatch and label for each labelled line and band, in rows
//  under the plot from y; returns the rows (0 draws nothing).
static int
s_legend (s_plot_t *self, double y, bool draw)
{
    const ws_chart_t *chart = self->chart;
    cairo_t *cr = self->cr;
    s_font (cr, 11, false);
    double x = self->left;
    int rows = 0;
    size_t total = chart->band_count + chart->line_count;
    for (size_t i = 0; i < total; i++) {
        bool band = i < chart->band_count;
        const char *label = band ? chart->bands[i].label
                                 : chart->lines[i - chart->band_count].label;
        if (!label || !*label)
            continue;
        double width = 26 + s_text_width (cr, label) + 18;
        if (rows == 0)
            rows = 1;
        else if (x + width > self->right && x > self->left) {
            rows++;
            x = self->left;
        }
        double row_y = y + (rows - 1) * 18;
        if (draw) {
            if (band) {
                s_colour (cr, chart->bands[i].colour, 0.25);
                cairo_rectangle (cr, x, row_y - 9, 20, 10);
                cairo_fill (cr);
            }
            else {
                const ws_chart_line_t *line =
                    &chart->lines[i - chart->band_count];
                s_colour (cr, line->colour, 1);
                s_stroke_style (cr, line->stroke,
                                line->width > 0 ? line->width : 2);
                cairo_move_to (cr, x, row_y - 4);
                cairo_line_to (cr, x + 20, row_y - 4);
                cairo_stroke (cr);
            }
            s_colour (cr, 0x222222, 1);
            s_text (cr, label, x + 26, row_y, 0);
        }
        x += width;
    }
    return rows;
}

static void
s_draw_bands (s_plot_t *self)
{
    cairo_t *cr = self->cr;
    for (size_t b = 0; b < self->chart->band_count; b++) {
        const ws_chart_band_t *band = &self->chart->bands[b];
        if (!band->low || !band->high || band->count < 2)
            continue;
        bool started = false;
        for (size_t i = 0; i < band->count; i++)
            if (isfinite (band->low[i].x) && isfinite (band->low[i].y)) {
                double x = s_px (self, band->low[i].x);
                double y = s_py (self, band->low[i].y);
                if (started)
                    cairo_line_to (cr, x, y);
                else
                    cairo_move_to (cr, x, y);
                started = true;
            }
        for (size_t i = band->count; i-- > 0;)
            if (started && isfinite (band->high[i].x)
                && isfinite (band->high[i].y))
                cairo_line_to (cr, s_px (self, band->high[i].x),
                               s_py (self, band->high[i].y));
        if (!started)
            continue;
        cairo_close_path (cr);
        s_colour (cr, band->colour, 0.22);
        cairo_fill (cr);
    }
}

static void
s_draw_rules (s_plot_t *self)
{
    cairo_t *cr = self->cr;
    s_font (cr, 11, false);
    for (size_t i = 0; i < self->chart->rule_count; i++) {
        const ws_chart_rule_t *rule = &self->chart->rules[i];
        if (!isfinite (rule->y))
            continue;
        double y = s_py (self, rule->y);
        s_colour (cr, rule->colour, 1);
        s_stroke_style (cr, rule->stroke, 1.5);
        cairo_move_to (cr, self->left, y);
        cairo_line_to (cr, self->right, y);
        cairo_stroke (cr);
        if (rule->label)
            s_text (cr, rule->label, self->right - 6,
                    y < self->top + 16 ? y + 14 : y - 5, 1);
    }
}

static void
s_draw_events (s_plot_t *self)
{
    cairo_t *cr = self->cr;
    s_font (cr, 11, false);
    for (size_t i = 0; i < self->chart->event_count; i++) {
        const ws_chart_event_t *event = &self->chart->events[i];
        if (!isfinite (event->x) || event->x < self->x_min
            || event->x > self->x_max)
            continue;
        double x = s_px (self, event->x);
        s_colour (cr, event->colour, 0.9);
        s_stroke_style (cr, WS_CHART_DASHED, 1.2);
        cairo_move_to (cr, x, self->top);
        cairo_line_to (cr, x, self->bottom);
        cairo_stroke (cr);
        if (!event->label)
            continue;
        //  Up along the line, on its left, from the bottom of the plot.
        cairo_save (cr);
        cairo_move_to (cr, x - 6, self->bottom - 6);
        cairo_rotate (cr, -S_PI / 2);
        cairo_show_text (cr, event->label);
        cairo_restore (cr);
    }
}

static void
s_draw_lines (s_plot_t *self)
{
    cairo_t *cr = self->cr;
    for (size_t l = 0; l < self->chart->line_count; l++) {
        const ws_chart_line_t *line = &self->chart->lines[l];
        double width = line->width > 0 ? line->width : 2;
        s_colour (cr, line->colour, 1);
        s_stroke_style (cr, line->stroke, width);
        cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
        bool drawing = false;
        for (size_t i = 0; line->points && i < line->count; i++) {
            const ws_chart_point_t *point = &line->points[i];
            if (!isfinite (point->x) || !isfinite (point->y)) {
                drawing = false;
                continue;
            }
            double x = s_px (self, point->x), y = s_py (self, point->y);
            if (drawing)
                cairo_line_to (cr, x, y);
            else
                cairo_move_to (cr, x, y);
            drawing = true;
        }
        cairo_stroke (cr);
        if (!line->dots)
            continue;
        for (size_t i = 0; line->points && i < line->count; i++) {
            const ws_chart_point_t *point = &line->points[i];
            if (!isfinite (point->x) || !isfinite (point->y))
                continue;
            cairo_new_sub_path (cr);
            cairo_arc (cr, s_px (self, point->x), s_py (self, point->y),
                       width + 1, 0, 2 * S_PI);
        }
        cairo_fill (cr);
    }
}

static void
s_draw_marks (s_plot_t *self)
{
    cairo_t *cr = self->cr;
    s_font (cr, 11, false);
    for (size_t i = 0; i < self->chart->mark_count; i++) {
        const ws_chart_mark_t *mark = &self->chart->marks[i];
        if (!isfinite (mark->x) || !isfinite (mark->y))
            continue;
        double x = s_px (self, mark->x), y = s_py (self, mark->y);
        cairo_move_to (cr, x, y - 6);
        cairo_line_to (cr, x + 6, y);
        cairo_line_to (cr, x, y + 6);
        cairo_line_to (cr, x - 6, y);
        cairo_close_path (cr);
        s_colour (cr, mark->colour, 1);
        cairo_fill_preserve (cr);
        s_colour (cr, 0xffffff, 1);
        s_stroke_style (cr, WS_CHART_SOLID, 1);
        cairo_stroke (cr);
        if (mark->label) {
            s_colour (cr, mark->colour, 1);
            s_text (cr, mark->label, x + 8, y - 7, 0);
        }
    }
}

//  The whole picture, on a white page.
static void
s_draw (const ws_chart_t *chart, cairo_t *cr)
{
    s_plot_t plot = {.chart = chart, .cr = cr};
    double width = chart->width, height = chart->height;
    s_colour (cr, 0xffffff, 1);
    cairo_paint (cr);

    s_ranges (&plot);
    double y_ticks[S_Y_TICKS];
    size_t y_count =
        ws_chart_ticks (plot.y_min, plot.y_max, S_Y_TICKS, y_ticks);
    s_font (cr, 11, false);
    double widest = 0;
    for (size_t i = 0; i < y_count; i++) {
        char label[64];
        ws_goal_view_number (y_ticks[i], label, sizeof label);
        widest = fmax (widest, s_text_width (cr, label));
    }
    plot.top = 20 + (chart->title || chart->badge ? 22 : 0)
               + (chart->subtitle ? 18 : 0);
    plot.left = 12 + (chart->y_label ? 18 : 0) + widest + 8;
    plot.right = width - 24;
    //  The legend's rows decide where the plot ends: measure, then draw.
    plot.bottom = height;
    int rows = s_legend (&plot, 0, false);
    plot.bottom = height - 28 - (chart->x_label ? 18 : 0) - rows * 18 - 6;
    if (plot.bottom - plot.top < 40) {
        rows = 0;  //  no room for a legend
        plot.bottom = height - 28;
    }

    //  Grid and tick labels.
    cairo_set_line_width (cr, 1);
    cairo_set_dash (cr, NULL, 0, 0);
    for (size_t i = 0; i < y_count; i++) {
        double y = round (s_py (&plot, y_ticks[i])) + 0.5;
        s_colour (cr, 0xe6e6e6, 1);
        cairo_move_to (cr, plot.left, y);
        cairo_line_to (cr, plot.right, y);
        cairo_stroke (cr);
        char label[64];
        ws_goal_view_number (y_ticks[i], label, sizeof label);
        s_colour (cr, 0x444444, 1);
        s_text (cr, label, plot.left - 6, y + 4, 1);
    }
    double x_ticks[S_X_TICKS];
    const char *format = NULL;
    size_t x_count = s_x_ticks (&plot, x_ticks, &format);
    for (size_t i = 0; i < x_count; i++) {
        double x = round (s_px (&plot, x_ticks[i])) + 0.5;
        s_colour (cr, 0xe6e6e6, 1);
        cairo_move_to (cr, x, plot.top);
        cairo_line_to (cr, x, plot.bottom);
        cairo_stroke (cr);
        char label[64];
        s_tick_label (&plot, x_ticks[i], format, label, sizeof label);
        s_colour (cr, 0x444444, 1);
        s_text (cr, label, x, plot.bottom + 16, 0.5);
    }

    //  The data, clipped to the plot.
    cairo_save (cr);
    cairo_rectangle (cr, plot.left, plot.top, plot.right - plot.left,
                     plot.bottom - plot.top);
    cairo_clip (cr);
    s_draw_bands (&plot);
    s_draw_rules (&plot);
    s_draw_events (&plot);
    s_draw_lines (&plot);
    s_draw_marks (&plot);
    cairo_restore (cr);

    //  Frame, titles, axis labels, legend.
    s_colour (cr, 0x999999, 1);
    s_stroke_style (cr, WS_CHART_SOLID, 1);
    cairo_rectangle (cr, plot.left + 0.5, plot.top + 0.5,
                     plot.right - plot.left - 1, plot.bottom - plot.top - 1);
    cairo_stroke (cr);
    double y = 26;
    if (chart->title || chart->badge) {
        s_font (cr, 16, true);
        s_colour (cr, 0x111111, 1);
        double x = plot.left;
        if (chart->title) {
            s_text (cr, chart->title, x, y, 0);
            x += s_text_width (cr, chart->title) + 10;
        }
        if (chart->badge) {
            s_colour (cr, chart->badge_colour, 1);
            s_text (cr, chart->badge, x, y, 0);
        }
        y += 20;
    }
    if (chart->subtitle) {
        s_font (cr, 12, false);
        s_colour (cr, 0x444444, 1);
        s_text (cr, chart->subtitle, plot.left, y - 2, 0);
    }
    s_font (cr, 12, false);
    s_colour (cr, 0x222222, 1);
    if (chart->y_label) {
        cairo_save (cr);
        cairo_move_to (cr, 16,
                       (plot.top + plot.bottom) / 2
                           + s_text_width (cr, chart->y_label) / 2);
        cairo_rotate (cr, -S_PI / 2);
        cairo_show_text (cr, chart->y_label);
        cairo_restore (cr);
    }
    if (chart->x_label)
        s_text (cr, chart->x_label, (plot.left + plot.right) / 2,
                plot.bottom + 34, 0.5);
    if (rows > 0)
        s_legend (&plot, plot.bottom + 34 + (chart->x_label ? 18 : 0), true);
}

void
ws_chart_release_fonts (void)
{
    cairo_debug_reset_static_data ();
    FcFini ();
}

//  ---------------------------------------------------------------------
//  Files

//  cairo's stream writer into a FILE, keeping errno of a failed write
//  so that the error says why.
typedef struct {
    FILE *file;  //  borrowed
    int error;   //  errno of the first failed write, 0 if none
} s_writer_t;

static cairo_status_t
s_write (void *closure, const unsigned char *data, unsigned int length)
{
    s_writer_t *writer = closure;
    if (writer->error)
        return CAIRO_STATUS_WRITE_ERROR;
    errno = 0;
    if (fwrite (data, 1, length, writer->file) != length) {
        writer->error = errno ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

int
ws_chart_render (const ws_chart_t *self, const char *path, ws_err_t *err)
{
    assert (self);
    assert (path);
    ws_chart_format_t format;
    if (ws_chart_format (path, &format, err))
        return -1;
    if (self->width < WS_CHART_MIN_SIZE || self->width > WS_CHART_MAX_SIZE
        || self->height < WS_CHART_MIN_SIZE || self->height > WS_CHART_MAX_SIZE)
        return ws_err_set (err, WS_ERR_INPUT,
                           "chart '%s': size %dx%d, expected %d to %d "
                           "pixels each way",
                           path, self->width, self->height, WS_CHART_MIN_SIZE,
                           WS_CHART_MAX_SIZE);
    FILE *file = fopen (path, "wb");
    if (!file)
        return ws_err_set (err, WS_ERR_SYSTEM, "cannot write %s: %s", path,
                           strerror (errno));
    s_writer_t writer = {file, 0};
    cairo_surface_t *surface =
        format == WS_CHART_PNG
            ? cairo_image_surface_create (CAIRO_FORMAT_ARGB32, self->width,
                                          self->height)
            : cairo_svg_surface_create_for_stream (s_write, &writer,
                                                   self->width, self->height);
    cairo_status_t status = cairo_surface_status (surface);
    if (status == CAIRO_STATUS_SUCCESS) {
        cairo_t *cr = cairo_create (surface);
        s_draw (self, cr);
        status = cairo_status (cr);
        cairo_destroy (cr);
    }
    if (status == CAIRO_STATUS_SUCCESS && format == WS_CHART_PNG)
        status = cairo_surface_write_to_png_stream (surface, s_write, &writer);
    //  An SVG is written as it is finished.
    cairo_surface_finish (surface);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_status (surface);
    cairo_surface_destroy (surface);
    if (fclose (file) && !writer.error)
        writer.error = errno ? errno : EIO;
    if (writer.error || status != CAIRO_STATUS_SUCCESS) {
        ws_err_set (err, WS_ERR_SYSTEM, "cannot write %s: %s", path,
                    writer.error ? strerror (writer.error)
                                 : cairo_status_to_string (status));
        unlink (path);
        return -1;
    }
    return 0;
}
