//  cmd_chart - 'watershed chart': a picture in a PNG or SVG file. For a
//  goal, its burn-up from start to deadline: the value as the goal
//  counts it (ws_goal_evaluate on the stored series at each step), the
//  expected pace through the checkpoints, the target, the projection
//  fan of the latest evaluation, checkpoints and the campaign's
//  activities (the "goal" request, as 'goal show'). For a metric, one
//  series as its trend analysis saw it (rolled up per analysis step,
//  a counter's increase), Sen's trend line, Pettitt's change point with
//  the levels before and after, and the forecast ("series", "trends",
//  "samples" requests). ws_chart draws; this file only gathers.
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_chart.h"
#include "ws_cli.h"
#include "ws_client.h"
#include "ws_goal.h"
#include "ws_goal_view.h"
#include "ws_loop.h"
#include "ws_time.h"

#define S_GET(object, key) json_object_get ((object), (key))
#define S_DAY_MS 86400000LL
//  The most points of the actual curve of a goal: each is an
//  evaluation, and a year of hourly steps would be 8,760 of them.
#define S_GOAL_POINTS 1000
//  The most samples read for a metric chart.
#define S_SAMPLES_LIMIT 200000

//  Colours (0xRRGGBB), those of the status where a status is drawn.
#define S_BLUE 0x1f77b4
#define S_ORANGE 0xff7f0e
#define S_GREEN 0x2ca02c
#define S_RED 0xd62728
#define S_PURPLE 0x9467bd
#define S_BROWN 0x8c564b
#define S_GREY 0x7f7f7f

static const char *s_help =
    "usage: watershed chart GOAL -o FILE.png|FILE.svg [--as-of TIME]\n"
    "       watershed chart --metric NAME [--labels k=v[,k=v...]]\n"
    "                       [--window 28d] -o FILE.png|FILE.svg\n"
    "       [--width 900] [--height 500] [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "Draw a chart into FILE, PNG or SVG by its suffix.\n"
    "\n"
    "A goal's burn-up from its start to its deadline: the value as the\n"
    "goal counts it (the running total, the level or the running mean),\n"
    "the expected pace to the target through the checkpoints, the target,\n"
    "the projection of the latest evaluation with its 80% interval to the\n"
    "deadline, the checkpoints, and the campaign's activities as vertical\n"
    "marks; the title gives the reported status.\n"
    "\n"
    "A metric's series as its trend analysis saw it (rolled up per\n"
    "analysis step; a counter as its increase per step), with Sen's trend\n"
    "line, the change point (Pettitt, p < 0.05) and the levels before and\n"
    "after it, and the forecast with its 95% interval. The labels must\n"
    "pick one series.\n"
    "\n"
    "  -o, --output FILE  the file to write (.png or .svg)\n"
    "  --as-of TIME       a goal as it stood at a past moment (ISO 8601)\n"
    "  --metric NAME      chart a metric's series instead of a goal\n"
    "  --labels k=v,...   the series' labels (with --metric)\n"
    "  --window DAYS      the trend analysis' window (default the longest\n"
    "                     stored), e.g. 28d\n"
    "  --width PIXELS     default 900; --height PIXELS default 500\n"
    "                     (200 to 8000 each)\n"
    "  --json             print {\"file\", \"format\", \"width\", \"height\"}\n"
    "  --coordinator      endpoint of watershedd (default: its ipc socket)\n"
    "\n"
    "Exit 0 on success, 1 for an unknown goal, a metric without samples\n"
    "or a file that cannot be written, 2 on a usage error, 3 if the\n"
    "coordinator cannot be reached.\n";

enum {
    S_OPT_AS_OF = 2001,
    S_OPT_METRIC,
    S_OPT_LABELS,
    S_OPT_WINDOW,
    S_OPT_WIDTH,
    S_OPT_HEIGHT
};

typedef struct {
    const char *output;
    const char *metric;
    json_t *labels;   //  owns
    int window_days;  //  0: the longest stored
    int width, height;
    bool has_as_of;
    int64_t as_of;
} s_options_t;

static int
s_size (const char *name, const char *value, int *out)
{
    char *end;
    long size = strtol (value, &end, 10);
    if (*value == '\0' || *end || size < WS_CHART_MIN_SIZE
        || size > WS_CHART_MAX_SIZE)
        return ws_cli_usage_error ("chart", "--%s '%s': expected %d to %d",
                                   name, value, WS_CHART_MIN_SIZE,
                                   WS_CHART_MAX_SIZE);
    *out = (int) size;
    return 0;
}

static int
s_option (int option, const char *value, void *arg)
{
    s_options_t *self = arg;
    ws_err_t err;
    int64_t ms;
    switch (option) {
    case 'o': self->output = value; return 0;
    case S_OPT_METRIC: self->metric = value; return 0;
    case S_OPT_LABELS:
        return ws_cli_parse_labels (value, self->labels, "chart");
    case S_OPT_WIDTH: return s_size ("width", value, &self->width);
    case S_OPT_HEIGHT: return s_size ("height", value, &self->height);
    case S_OPT_AS_OF:
        if (ws_iso8601_parse (value, &self->as_of, &err))
            return ws_cli_usage_error ("chart", "--as-of: %s", err.text);
        self->has_as_of = true;
        return 0;
    case S_OPT_WINDOW:
        if (ws_duration_parse (value, &ms, &err) || ms < S_DAY_MS
            || ms % S_DAY_MS || ms / S_DAY_MS > 100000)
            return ws_cli_usage_error (
                "chart", "--window '%s': expected whole days, e.g. 28d", value);
        self->window_days = (int) (ms / S_DAY_MS);
        return 0;
    default: return 0;
    }
}

//  A request to the coordinator. The result (caller owns), or NULL
//  after a message with *rc the exit code.
static json_t *
s_call (ws_client_t *client, const char *request, json_t *args, int *rc)
{
    ws_err_t err;
    json_t *result = ws_client_call (client, request, args, &err);
    if (!result) {
        fprintf (stderr, "watershed chart: %s\n", err.text);
        *rc = err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET
                  ? WS_EXIT_UNREACHABLE
                  : WS_EXIT_FAIL;
    }
    return result;
}

static const char *
s_str (json_t *object, const char *key, const char *otherwise)
{
    const char *value = json_string_value (S_GET (object, key));
    return value ? value : otherwise;
}

static double
s_num (json_t *object, const char *key)
{
    json_t *value = S_GET (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

static uint32_t
s_status_colour (const char *status)
{
    if (!status)
        return S_GREY;
    if (strcmp (status, "on_track") == 0 || strcmp (status, "achieved") == 0
        || strcmp (status, "rising") == 0)
        return S_GREEN;
    if (strcmp (status, "at_risk") == 0 || strcmp (status, "stale") == 0)
        return S_ORANGE;
    if (strcmp (status, "off_track") == 0 || strcmp (status, "missed") == 0
        || strcmp (status, "falling") == 0)
        return S_RED;
    return S_GREY;
}

static int
s_render (const ws_chart_t *chart, const s_options_t *options, bool json)
{
    ws_err_t err;
    if (ws_chart_render (chart, options->output, &err)) {
        fprintf (stderr, "watershed chart: %s\n", err.text);
        return WS_EXIT_FAIL;
    }
    ws_chart_format_t format = WS_CHART_PNG;
    ws_chart_format (options->output, &format, NULL);
    const char *name = format == WS_CHART_PNG ? "png" : "svg";
    if (json)
        printf ("{\"file\": \"%s\", \"format\": \"%s\", \"width\": %d, "
                "\"height\": %d}\n",
                options->output, name, chart->width, chart->height);
    else
        printf ("wrote %s (%dx%d %s)\n", options->output, chart->width,
                chart->height, name);
    return fflush (stdout) == 0 ? WS_EXIT_OK : WS_EXIT_FAIL;
}

//  ---------------------------------------------------------------------
//  A goal's burn-up

//  What a goal chart owns while it is drawn.
typedef struct {
    ws_goal_t *goal;                //  owns
    ws_goal_sample_t *series;       //  owns
    ws_goal_sample_t *denominator;  //  owns
    size_t count, denominator_count;
    json_t *local;             //  owns: evaluation at as_of here
    ws_chart_point_t *actual;  //  owns
    size_t actual_count;
    ws_chart_point_t pace[66];  //  start, checkpoints, deadline
    size_t pace_count;
    ws_chart_point_t fan_low[2], fan_high[2], fan_mid[2];
    ws_chart_mark_t marks[64];
    size_t mark_count;
    char mark_text[64][24];
    ws_chart_event_t *events;  //  owns
    char (*event_text)[96];    //  owns
    size_t event_count;
} s_goal_chart_t;

static void
s_goal_chart_free (s_goal_chart_t *self)
{
    ws_goal_destroy (&self->goal);
    free (self->series);
    free (self->denominator);
    json_decref (self->local);
    free (self->actual);
    free (self->events);
    free (self->event_text);
}

//  The curve of the value as the goal counts it: an evaluation at each
//  step of the series from start to min(as_of, deadline), at most
//  S_GOAL_POINTS of them, then as_of itself. A total's step holds the
//  amount of the step that starts there (a day's orders), so the sum
//  is drawn where that step ends, but not past as_of.
static int
s_goal_actual (s_goal_chart_t *self, int64_t as_of, int64_t step,
               double baseline, double current, ws_err_t *err)
{
    bool total = ws_goal_kind (self->goal) == WS_GOAL_TOTAL;
    int64_t start = ws_goal_start (self->goal);
    int64_t end = ws_goal_deadline (self->goal);
    if (as_of < end)
        end = as_of;
    size_t first = 0, last = 0;
    while (first < self->count && self->series[first].t < start)
        first++;
    last = first;
    while (last < self->count && self->series[last].t <= end)
        last++;
    size_t stride = (last - first) / S_GOAL_POINTS + 1;
    self->actual = calloc ((last - first) / stride + 3, sizeof *self->actual);
    if (!self->actual)
        return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    //  Nothing has accrued at the start of a total.
    if (total && isfinite (baseline))
        self->actual[self->actual_count++] =
            (ws_chart_point_t){start, baseline};
    for (size_t i = first; i < last; i += stride) {
        //  The last step in the stride, so that the curve ends on it.
        size_t at = i + stride - 1 < last ? i + stride - 1 : last - 1;
        json_t *evaluation = ws_goal_evaluate (
            self->goal, self->series, self->count, self->denominator,
            self->denominator_count, self->series[at].t, err);
        if (!evaluation)
            return -1;
        int64_t x = self->series[at].t;
        if (total && step > 0)
            x = x + step < as_of ? x + step : as_of;
        self->actual[self->actual_count++] =
            (ws_chart_point_t){(double) x, s_num (evaluation, "current")};
        json_decref (evaluation);
    }
    if (isfinite (current) && as_of <= ws_goal_deadline (self->goal)
        && (self->actual_count == 0
            || self->actual[self->actual_count - 1].x < (double) as_of))
        self->actual[self->actual_count++] =
            (ws_chart_point_t){(double) as_of, current};
    return 0;
}

//  The campaign's activities as vertical marks: "email: launch mail".
static int
s_goal_events (s_goal_chart_t *self, json_t *activities, ws_err_t *err)
{
    size_t n = json_array_size (activities);
    self->events = calloc (n + 1, sizeof *self->events);
    self->event_text = calloc (n + 1, sizeof *self->event_text);
    if (!self->events || !self->event_text)
        return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    size_t index;
    json_t *activity;
    json_array_foreach (activities, index, activity) {
        json_t *at = S_GET (activity, "at");
        if (!json_is_integer (at))
            continue;
        const char *note = s_str (activity, "note", "");
        snprintf (self->event_text[self->event_count],
                  sizeof self->event_text[0], "%s%s%s",
                  s_str (activity, "kind", "activity"), *note ? ": " : "",
                  note);
        self->events[self->event_count] =
            (ws_chart_event_t){self->event_text[self->event_count],
                               (double) json_integer_value (at), S_BROWN};
        self->event_count++;
    }
    return 0;
}

static int
s_goal (ws_client_t *client, const char *name, const s_options_t *options,
        bool json)
{
    int rc = WS_EXIT_FAIL;
    json_t *args = json_pack ("{s:s}", "name", name);
    if (options->has_as_of)
        json_object_set_new (args, "as_of", json_integer (options->as_of));
    json_t *result = s_call (client, "goal", args, &rc);
    if (!result)
        return rc;
    rc = WS_EXIT_FAIL;
    s_goal_chart_t self;
    memset (&self, 0, sizeof self);
    ws_err_t err;
    json_t *def = S_GET (result, "def");
    json_t *stored = S_GET (result, "evaluation");
    int64_t as_of = json_is_integer (S_GET (result, "as_of"))
                        ? json_integer_value (S_GET (result, "as_of"))
                        : ws_wall_ms ();
    self.goal = ws_goal_view_goal (def, &err);
    if (!self.goal
        || ws_goal_view_samples (S_GET (result, "series"), "/series",
                                 &self.series, &self.count, &err)
        || ws_goal_view_samples (S_GET (result, "denominator"), "/denominator",
                                 &self.denominator, &self.denominator_count,
                                 &err))
        goto failed;
    //  The latest evaluation is the coordinator's; before it has one,
    //  the same code's here (the baseline of a level goal comes from
    //  the data, so it is needed either way).
    self.local =
        ws_goal_evaluate (self.goal, self.series, self.count, self.denominator,
                          self.denominator_count, as_of, &err);
    if (!self.local)
        goto failed;
    json_t *shown = json_is_object (stored) ? stored : self.local;
    ws_goal_kind_t kind = ws_goal_kind (self.goal);
    double target = ws_goal_target (self.goal);
    double baseline = s_num (shown, "baseline");
    if (!isfinite (baseline))
        baseline = s_num (self.local, "baseline");
    if (!isfinite (baseline) && kind == WS_GOAL_TOTAL)
        baseline = 0;
    double current = s_num (shown, "current");
    int64_t start = ws_goal_start (self.goal);
    int64_t deadline = ws_goal_deadline (self.goal);
    int64_t step = json_integer_value (S_GET (result, "step_ms"));
    if (s_goal_actual (&self, as_of, step, baseline, current, &err)
        || s_goal_events (&self, S_GET (result, "activities"), &err))
        goto failed;

    const char *unit = s_str (def, "unit", NULL);
    char target_text[32], label_target[96];
    ws_goal_view_number (target, target_text, sizeof target_text);
    snprintf (label_target, sizeof label_target, "target %s%s%s", target_text,
              unit ? " " : "", unit ? unit : "");
    ws_chart_rule_t rule = {label_target, target, S_GREEN, WS_CHART_DASHED};

    //  The expected pace, through the checkpoints (not for keep goals,
    //  whose value must hold all along).
    json_t *checkpoints = S_GET (def, "checkpoints");
    if (kind != WS_GOAL_KEEP && isfinite (baseline)) {
        self.pace[self.pace_count++] = (ws_chart_point_t){start, baseline};
        size_t index;
        json_t *point;
        json_array_foreach (checkpoints, index, point) {
            int64_t at;
            if (self.pace_count >= 65 || self.mark_count >= 64)
                break;
            if (ws_iso8601_parse (s_str (point, "at", ""), &at, NULL))
                continue;
            double progress = s_num (point, "progress");
            double y = baseline + progress * (target - baseline);
            self.pace[self.pace_count++] = (ws_chart_point_t){at, y};
            snprintf (self.mark_text[self.mark_count], sizeof self.mark_text[0],
                      "%.0f%%", 100 * progress);
            self.marks[self.mark_count] = (ws_chart_mark_t){
                self.mark_text[self.mark_count], at, y, S_PURPLE};
            self.mark_count++;
        }
        self.pace[self.pace_count++] = (ws_chart_point_t){deadline, target};
    }

    //  The projection fan, from now to the deadline.
    double projected = s_num (shown, "projected");
    double low = s_num (shown, "projected_low");
    double high = s_num (shown, "projected_high");
    bool fan = as_of < deadline && isfinite (current) && isfinite (projected);
    char label_projected[128];
    if (fan) {
        char a[32], b[32], c[32];
        ws_goal_view_number (projected, a, sizeof a);
        ws_goal_view_number (low, b, sizeof b);
        ws_goal_view_number (high, c, sizeof c);
        snprintf (label_projected, sizeof label_projected,
                  "projected %s (80%%: %s to %s)", a, b, c);
        self.fan_mid[0] = self.fan_low[0] = self.fan_high[0] =
            (ws_chart_point_t){as_of, current};
        self.fan_mid[1] = (ws_chart_point_t){deadline, projected};
        self.fan_low[1] =
            (ws_chart_point_t){deadline, isfinite (low) ? low : projected};
        self.fan_high[1] =
            (ws_chart_point_t){deadline, isfinite (high) ? high : projected};
    }
    ws_chart_band_t band = {"80% interval", self.fan_low, self.fan_high, 2,
                            S_ORANGE};

    const char *value_name = kind == WS_GOAL_TOTAL   ? "running total"
                             : kind == WS_GOAL_LEVEL ? "level"
                                                     : "running mean";
    ws_chart_line_t lines[3];
    size_t line_count = 0;
    if (self.pace_count >= 2)
        lines[line_count++] = (ws_chart_line_t){
            "expected pace", self.pace, self.pace_count, S_GREY, 1.5,
            WS_CHART_DASHED, false};
    lines[line_count++] = (ws_chart_line_t){
        value_name, self.actual,    self.actual_count,      S_BLUE,
        2.5,        WS_CHART_SOLID, self.actual_count <= 60};
    if (fan)
        lines[line_count++] =
            (ws_chart_line_t){label_projected, self.fan_mid, 2, S_ORANGE, 2,
                              WS_CHART_DASHED, false};

    //  Title, status and what the numbers say.
    char title[160], subtitle[512], when[40], now[32], progress[64] = "";
    const char *status =
        json_is_object (stored)
            ? s_str (stored, "reported_status", s_str (stored, "status", "?"))
            : "not evaluated yet";
    snprintf (title, sizeof title, "goal '%s'", name);
    ws_iso8601_format (as_of, when, sizeof when);
    ws_goal_view_number (current, now, sizeof now);
    if (json_is_number (S_GET (shown, "progress")))
        snprintf (progress, sizeof progress,
                  ", %.0f%% of the way (%.0f%% expected)",
                  100 * s_num (shown, "progress"),
                  100 * s_num (shown, "expected_progress"));
    snprintf (subtitle, sizeof subtitle, "%s%sas of %.10s: %s %s%s%s%s",
              s_str (def, "description", ""),
              S_GET (def, "description") ? "; " : "", when, value_name, now,
              unit ? " " : "", unit ? unit : "", progress);

    ws_chart_t chart;
    ws_chart_init (&chart);
    chart.title = title;
    chart.badge = status;
    chart.badge_colour = s_status_colour (status);
    chart.subtitle = subtitle;
    chart.y_label = unit ? unit : ws_goal_metric (self.goal);
    chart.x_is_time = true;
    chart.x_min = (double) start;
    chart.x_max = (double) deadline;
    chart.y_from_zero = kind == WS_GOAL_TOTAL;
    chart.width = options->width;
    chart.height = options->height;
    chart.bands = &band;
    chart.band_count = fan ? 1 : 0;
    chart.rules = &rule;
    chart.rule_count = 1;
    chart.events = self.events;
    chart.event_count = self.event_count;
    chart.lines = lines;
    chart.line_count = line_count;
    chart.marks = self.marks;
    chart.mark_count = self.mark_count;
    rc = s_render (&chart, options, json);
    goto done;
failed:
    if (strncmp (err.text, "goal '", 6) == 0)
        fprintf (stderr, "watershed chart: %s\n", err.text);
    else
        fprintf (stderr, "watershed chart: goal '%s': %s\n", name, err.text);
done:
    s_goal_chart_free (&self);
    json_decref (result);
    return rc;
}

//  ---------------------------------------------------------------------
//  A metric's series with its trend

//  "signups{region=eu}" or "signups".
static void
s_series_name (const char *metric, json_t *labels, char *out, size_t size)
{
    char text[256];
    ws_cli_format_labels (labels, text, sizeof text);
    if (json_object_size (labels))
        snprintf (out, size, "%s{%s}", metric, text);
    else
        snprintf (out, size, "%s", metric);
}

//  True when labels has every pair of filter.
static bool
s_labels_match (json_t *labels, json_t *filter)
{
    const char *key;
    json_t *value;
    json_object_foreach (filter, key, value)
        if (!json_equal (S_GET (labels, key), value))
            return false;
    return true;
}

//  The one series of metric whose labels have options->labels: *series
//  (borrowed from *rows, caller owns *rows), or an exit code after a
//  message.
static int
s_pick_series (ws_client_t *client, const s_options_t *options, json_t **rows,
               json_t **series)
{
    int rc = WS_EXIT_FAIL;
    char name[320];
    s_series_name (options->metric, options->labels, name, sizeof name);
    *rows = s_call (client, "series",
                    json_pack ("{s:s}", "metric", options->metric), &rc);
    if (!*rows)
        return rc;
    size_t matches = 0, index;
    json_t *row;
    char list[512] = "";
    json_array_foreach (*rows, index, row) {
        if (!s_labels_match (S_GET (row, "labels"), options->labels))
            continue;
        if (matches++ == 0)
            *series = row;
        char labels[256];
        ws_cli_format_labels (S_GET (row, "labels"), labels, sizeof labels);
        size_t used = strlen (list);
        if (matches <= 4)
            snprintf (list + used, sizeof list - used, "%s%s",
                      matches > 1 ? "; " : "", labels);
        else if (matches == 5)
            snprintf (list + used, sizeof list - used, "; ...");
    }
    if (matches == 1)
        return WS_EXIT_OK;
    if (matches == 0)
        fprintf (stderr,
                 "watershed chart: metric '%s': no samples (no such "
                 "series; 'watershed series' lists them)\n",
                 name);
    else
        fprintf (stderr,
                 "watershed chart: metric '%s': %zu series match (%s); pick "
                 "one with --labels\n",
                 name, matches, list);
    return WS_EXIT_FAIL;
}

//  The series' trend analysis with window_days (0: the longest), or
//  NULL (borrowed from rows).
static json_t *
s_pick_trend (json_t *rows, json_t *labels, int window_days)
{
    json_t *best = NULL;
    size_t index;
    json_t *row;
    json_array_foreach (rows, index, row) {
        if (!json_equal (S_GET (row, "labels"), labels))
            continue;
        json_int_t window = json_integer_value (S_GET (row, "window_days"));
        if (window_days ? window == window_days
                        : !best
                              || window > json_integer_value (
                                     S_GET (best, "window_days")))
            best = row;
    }
    return best;
}

//  Samples rolled up per step as the coordinator rolls them up for an
//  analysis: the last value in each step from the epoch, a counter's
//  increase over the step before (a drop is a reset: the reading is the
//  increase). step 0: the samples as they are. Fills points (room for
//  count), returns how many.
static size_t
s_rollup (json_t *samples, int64_t step, bool counter, ws_chart_point_t *points)
{
    size_t n = 0, index;
    json_t *sample;
    json_array_foreach (samples, index, sample) {
        int64_t t = json_integer_value (S_GET (sample, "ts"));
        double value = s_num (sample, "value");
        if (step > 0)
            t -= ((t % step) + step) % step;
        if (n > 0 && points[n - 1].x == (double) t)
            points[n - 1].y = value;
        else
            points[n++] = (ws_chart_point_t){(double) t, value};
    }
    if (counter && n > 0) {
        for (size_t i = n - 1; i > 0; i--)
            points[i].y = points[i].y >= points[i - 1].y
                              ? points[i].y - points[i - 1].y
                              : points[i].y;
        memmove (points, points + 1, (n - 1) * sizeof *points);
        n--;
    }
    return n;
}

//  The forecast of the projection's model (Holt-Winters, else least
//  squares): mean, low and high, from the last of points[0..count-1]
//  before its first step (samples that came after the analysis are
//  drawn but not forecast from). Returns how many points each got
//  (room for the forecast's steps + 1).
static size_t
s_forecast (json_t *analysis, const ws_chart_point_t *points, size_t count,
            ws_chart_point_t *mid, ws_chart_point_t *low,
            ws_chart_point_t *high, size_t room)
{
    json_t *model = S_GET (analysis, "holt_winters");
    if (!json_is_array (S_GET (model, "forecast")))
        model = S_GET (analysis, "ols");
    json_t *forecast = S_GET (model, "forecast");
    size_t n = 0, index;
    json_t *point;
    int64_t first;
    if (ws_iso8601_parse (s_str (json_array_get (forecast, 0), "t", ""), &first,
                          NULL))
        return 0;
    while (count > 0 && points[count - 1].x >= (double) first)
        count--;
    if (count > 0) {
        mid[n] = low[n] = high[n] = points[count - 1];
        n++;
    }
    json_array_foreach (forecast, index, point) {
        int64_t t;
        if (n >= room)
            break;
        if (ws_iso8601_parse (s_str (point, "t", ""), &t, NULL)
            || !json_is_number (S_GET (point, "mean")))
            continue;
        double mean = s_num (point, "mean");
        double l = s_num (point, "low"), h = s_num (point, "high");
        mid[n] = (ws_chart_point_t){t, mean};
        low[n] = (ws_chart_point_t){t, isfinite (l) ? l : mean};
        high[n] = (ws_chart_point_t){t, isfinite (h) ? h : mean};
        n++;
    }
    return n > 1 ? n : 0;
}

static int
s_metric (ws_client_t *client, const s_options_t *options, bool json)
{
    int rc = WS_EXIT_FAIL;
    json_t *rows = NULL, *series = NULL, *trends = NULL, *samples = NULL;
    ws_chart_point_t *points = NULL, *forecast = NULL;
    rc = s_pick_series (client, options, &rows, &series);
    if (rc != WS_EXIT_OK)
        goto done;
    json_t *labels = S_GET (series, "labels");
    if (!json_is_object (labels))
        labels = options->labels;  //  no labels: the filter is empty
    char name[320];
    s_series_name (options->metric, labels, name, sizeof name);
    bool counter = strcmp (s_str (series, "type", ""), "counter") == 0;
    trends = s_call (
        client, "trends",
        json_pack ("{s:s, s:O}", "metric", options->metric, "labels", labels),
        &rc);
    if (!trends)
        goto done;
    json_t *trend = s_pick_trend (trends, labels, options->window_days);
    rc = WS_EXIT_FAIL;
    if (!trend && options->window_days) {
        fprintf (stderr,
                 "watershed chart: metric '%s': no %d-day trend analysis "
                 "stored ('watershed trends --metric %s' lists the "
                 "windows)\n",
                 name, options->window_days, options->metric);
        goto done;
    }
    //  The samples the analysis saw: its window up to when it ran.
    json_t *args = json_pack ("{s:s, s:O, s:i}", "metric", options->metric,
                              "labels", labels, "limit", S_SAMPLES_LIMIT);
    int64_t step = 0;
    if (trend) {
        int64_t computed = json_integer_value (S_GET (trend, "computed_at"));
        int64_t window = json_integer_value (S_GET (trend, "window_days"));
        json_object_set_new (args, "from",
                             json_integer (computed - window * S_DAY_MS));
        json_object_set_new (args, "to", json_integer (computed));
        step = json_integer_value (S_GET (trend, "step_ms"));
    }
    samples = s_call (client, "samples", args, &rc);
    if (!samples)
        goto done;
    rc = WS_EXIT_FAIL;
    //  "samples" matches labels that include these: keep this series'.
    for (size_t i = json_array_size (samples); i-- > 0;)
        if (!json_equal (S_GET (json_array_get (samples, i), "labels"), labels))
            json_array_remove (samples, i);
    size_t count = json_array_size (samples);
    points = calloc (count + 1, sizeof *points);
    if (!points) {
        fprintf (stderr, "watershed chart: metric '%s': out of memory\n", name);
        goto done;
    }
    count = s_rollup (samples, step, counter, points);
    if (count == 0) {
        fprintf (stderr, "watershed chart: metric '%s': no samples%s\n", name,
                 trend ? " in the analysed window" : "");
        goto done;
    }

    json_t *analysis = S_GET (trend, "analysis");
    json_t *sen = S_GET (analysis, "sen");
    json_t *pettitt = S_GET (analysis, "pettitt");
    json_t *change = S_GET (trend, "change");
    double first = points[0].x, last = points[count - 1].x;
    ws_chart_line_t lines[5];
    size_t line_count = 0;
    char step_text[32] = "", y_label[96], label_trend[128] = "";
    if (step > 0)
        ws_duration_format (step, step_text, sizeof step_text);
    //  A counter is drawn as its increase per step; anything else as
    //  its last value in each step, in its own unit.
    snprintf (y_label, sizeof y_label, "%s%s%s", options->metric,
              counter && step > 0 ? ", increase per " : "",
              counter && step > 0 ? step_text : "");
    lines[line_count++] =
        (ws_chart_line_t){counter ? "increase per step" : "value",
                          points,
                          count,
                          S_BLUE,
                          2,
                          WS_CHART_SOLID,
                          count <= 120};

    //  Sen's line: intercept + slope × t, t in days since the epoch.
    ws_chart_point_t trend_line[2];
    if (json_is_object (sen) && json_is_number (S_GET (sen, "slope"))) {
        double slope = s_num (sen, "slope"),
               intercept = s_num (sen, "intercept");
        trend_line[0] =
            (ws_chart_point_t){first, intercept + slope * first / S_DAY_MS};
        trend_line[1] =
            (ws_chart_point_t){last, intercept + slope * last / S_DAY_MS};
        char a[32];
        ws_goal_view_number (slope, a, sizeof a);
        snprintf (label_trend, sizeof label_trend, "trend (Sen): %s%s per day",
                  slope > 0 ? "+" : "", a);
        lines[line_count++] = (ws_chart_line_t){
            label_trend, trend_line, 2, S_ORANGE, 2, WS_CHART_SOLID, false};
    }

    //  The change point and the levels before and after it.
    ws_chart_event_t event;
    ws_chart_point_t before[2], after[2];
    char label_change[96] = "";
    int64_t change_at = 0;
    bool has_change =
        json_is_object (change)
        && ws_iso8601_parse (s_str (change, "t", ""), &change_at, NULL) == 0;
    if (has_change) {
        char a[32];
        ws_goal_view_number (s_num (change, "size"), a, sizeof a);
        snprintf (
            label_change, sizeof label_change, "change point: %s%s (p = %.2g)",
            s_num (change, "size") > 0 ? "+" : "", a, s_num (change, "p"));
        event = (ws_chart_event_t){label_change, (double) change_at, S_RED};
        before[0] = (ws_chart_point_t){first, s_num (pettitt, "mean_before")};
        before[1] = (ws_chart_point_t){(double) change_at, before[0].y};
        after[0] = (ws_chart_point_t){(double) change_at,
                                      s_num (pettitt, "mean_after")};
        after[1] = (ws_chart_point_t){last, after[0].y};
        lines[line_count++] =
            (ws_chart_line_t){"levels before and after", before, 2, S_RED, 1.5,
                              WS_CHART_DOTTED,           false};
        lines[line_count++] = (ws_chart_line_t){
            NULL, after, 2, S_RED, 1.5, WS_CHART_DOTTED, false};
    }

    //  The forecast with its interval.
    size_t room =
        json_array_size (S_GET (S_GET (analysis, "holt_winters"), "forecast"))
        + json_array_size (S_GET (S_GET (analysis, "ols"), "forecast")) + 1;
    forecast = calloc (3 * room, sizeof *forecast);
    if (!forecast) {
        fprintf (stderr, "watershed chart: metric '%s': out of memory\n", name);
        goto done;
    }
    size_t forecast_count =
        trend ? s_forecast (analysis, points, count, forecast, forecast + room,
                            forecast + 2 * room, room)
              : 0;
    ws_chart_band_t band = {"forecast, 95% interval", forecast + room,
                            forecast + 2 * room, forecast_count, S_ORANGE};
    if (forecast_count)
        lines[line_count++] = (ws_chart_line_t){
            "forecast", forecast,        forecast_count, S_ORANGE,
            2,          WS_CHART_DASHED, false};

    char subtitle[512];
    const char *status = trend ? s_str (trend, "status", "?") : "no trend yet";
    if (trend) {
        char change_text[96] = "";
        if (has_change)
            snprintf (change_text, sizeof change_text, "; change at %.16s",
                      s_str (change, "t", "?"));
        snprintf (subtitle, sizeof subtitle,
                  "%lld-day window, %lld points%s%s%s; Mann-Kendall p = "
                  "%.2g%s",
                  (long long) json_integer_value (S_GET (trend, "window_days")),
                  (long long) json_integer_value (S_GET (trend, "n")),
                  step > 0 ? " (one per " : "", step_text, step > 0 ? ")" : "",
                  s_num (trend, "mk_p"), change_text);
    }
    else
        snprintf (subtitle, sizeof subtitle,
                  "%zu samples; no trend analysis stored for this series yet",
                  count);

    ws_chart_t chart;
    ws_chart_init (&chart);
    chart.title = name;
    chart.badge = status;
    chart.badge_colour = s_status_colour (status);
    chart.subtitle = subtitle;
    chart.y_label = y_label;
    chart.x_is_time = true;
    chart.width = options->width;
    chart.height = options->height;
    chart.bands = &band;
    chart.band_count = forecast_count ? 1 : 0;
    chart.events = &event;
    chart.event_count = has_change ? 1 : 0;
    chart.lines = lines;
    chart.line_count = line_count;
    rc = s_render (&chart, options, json);
done:
    free (points);
    free (forecast);
    json_decref (samples);
    json_decref (trends);
    json_decref (rows);
    return rc;
}

int
cmd_chart (int argc, char **argv)
{
    static const struct option extra[] = {
        {"output", required_argument, NULL, 'o'},
        {"as-of", required_argument, NULL, S_OPT_AS_OF},
        {"metric", required_argument, NULL, S_OPT_METRIC},
        {"labels", required_argument, NULL, S_OPT_LABELS},
        {"window", required_argument, NULL, S_OPT_WINDOW},
        {"width", required_argument, NULL, S_OPT_WIDTH},
        {"height", required_argument, NULL, S_OPT_HEIGHT},
        {NULL, 0, NULL, 0}};
    s_options_t options = {.labels = json_object (),
                           .width = WS_CHART_DEFAULT_WIDTH,
                           .height = WS_CHART_DEFAULT_HEIGHT};
    ws_cli_common_t common;
    int rc =
        ws_cli_parse (argc, argv, s_help, extra, s_option, &options, &common);
    const char *goal = NULL;
    ws_err_t err;
    ws_chart_format_t format;
    if (rc != WS_CLI_GO_ON)
        goto done;
    if (argc - optind > 1)
        rc = ws_cli_usage_error ("chart", "unexpected argument '%s'",
                                 argv[optind + 1]);
    else if (optind < argc && options.metric)
        rc = ws_cli_usage_error ("chart", "a GOAL or --metric NAME, not both");
    else if (optind == argc && !options.metric)
        rc = ws_cli_usage_error ("chart", "a GOAL or --metric NAME is "
                                          "required");
    else if (!options.output)
        rc = ws_cli_usage_error ("chart", "-o FILE.png or -o FILE.svg is "
                                          "required");
    else if (ws_chart_format (options.output, &format, &err))
        rc = ws_cli_usage_error ("chart", "%s", err.text);
    else if (!options.metric
             && (json_object_size (options.labels) || options.window_days))
        rc = ws_cli_usage_error ("chart",
                                 "--labels and --window go with --metric");
    else if (options.metric && options.has_as_of)
        rc = ws_cli_usage_error ("chart", "--as-of goes with a GOAL");
    if (rc != WS_CLI_GO_ON)
        goto done;
    goal = optind < argc ? argv[optind] : NULL;

    int timeout = 10000;
    const char *env = getenv ("WATERSHED_TIMEOUT_MS");
    if (env && atoi (env) > 0)
        timeout = atoi (env);
    ws_client_t *client = ws_client_new (common.endpoint, timeout, &err);
    if (!client) {
        fprintf (stderr, "watershed chart: %s\n", err.text);
        rc = err.code == WS_ERR_INPUT ? WS_EXIT_USAGE : WS_EXIT_UNREACHABLE;
        goto done;
    }
    rc = goal ? s_goal (client, goal, &options, common.json)
              : s_metric (client, &options, common.json);
    ws_client_destroy (&client);
    ws_chart_release_fonts ();
done:
    json_decref (options.labels);
    return rc;
}
