//  ws_goal_view - drawing goals for a terminal (see the header).
#include "ws_goal_view.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_GET(object, key) json_object_get ((object), (key))

//  The eighths of a cell, one to eight, then the sparkline's levels.
static const char *const s_eighths[8] = {"▏", "▎", "▍", "▌",
                                         "▋", "▊", "▉", "█"};
static const char *const s_levels[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
#define S_EMPTY "░"
#define S_MARK "│"

//  Append text to out (size bytes, holding used), cutting at a whole
//  UTF-8 character so that a short buffer never ends mid-character.
static void
s_append (char *out, size_t size, size_t *used, const char *text)
{
    if (size == 0 || *used >= size - 1)
        return;
    size_t room = size - 1 - *used;
    size_t len = strlen (text);
    if (len > room) {
        len = room;
        while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy (out + *used, text, len);
    *used += len;
    out[*used] = '\0';
}

static void
s_copy (char *out, size_t size, const char *text)
{
    size_t used = 0;
    if (size)
        out[0] = '\0';
    s_append (out, size, &used, text);
}

bool
ws_goal_view_colour (bool is_terminal, const char *no_color)
{
    return is_terminal && !(no_color && *no_color);
}

const char *
ws_goal_view_status_colour (const char *status)
{
    static const struct {
        const char *status;
        const char *sgr;
    } colours[] = {
        {"achieved", "\033[1;32m"}, {"on_track", "\033[32m"},
        {"at_risk", "\033[33m"},    {"off_track", "\033[31m"},
        {"missed", "\033[1;31m"},   {"stale", "\033[35m"},
        {"too_early", "\033[2m"},
    };
    for (size_t i = 0; status && i < sizeof colours / sizeof colours[0]; i++)
        if (strcmp (status, colours[i].status) == 0)
            return colours[i].sgr;
    return "";
}

void
ws_goal_view_paint (const char *text, const char *status, bool colour,
                    char *out, size_t size)
{
    const char *sgr = colour ? ws_goal_view_status_colour (status) : "";
    if (!*sgr) {
        s_copy (out, size, text);
        return;
    }
    //  The reset must survive a short buffer, or the terminal stays
    //  coloured: leave room for it before the text.
    const char *reset = "\033[0m";
    if (size < strlen (sgr) + strlen (reset) + 1) {
        s_copy (out, size, text);
        return;
    }
    size_t used = 0;
    out[0] = '\0';
    s_append (out, size - strlen (reset), &used, sgr);
    s_append (out, size - strlen (reset), &used, text);
    s_append (out, size, &used, reset);
}

void
ws_goal_view_number (double value, char *out, size_t size)
{
    double magnitude = fabs (value);
    if (!isfinite (value)) {
        s_copy (out, size, "n/a");
        return;
    }
    if (magnitude >= 1e15) {
        snprintf (out, size, "%.3g", value);
        return;
    }
    if (magnitude < 1) {
        snprintf (out, size, "%.2g", value);
        return;
    }
    if (magnitude < 100) {
        snprintf (out, size, "%.3g", value);
        return;
    }
    //  Whole, grouped by three from the right.
    char digits[32], grouped[48];
    long long whole = llround (magnitude);
    int len = snprintf (digits, sizeof digits, "%lld", whole);
    size_t used = 0;
    if (value < 0)
        grouped[used++] = '-';
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            grouped[used++] = ',';
        grouped[used++] = digits[i];
    }
    grouped[used] = '\0';
    s_copy (out, size, grouped);
}

void
ws_goal_view_bar (double progress, double expected, size_t width, char *out,
                  size_t size)
{
    size_t used = 0;
    if (size)
        out[0] = '\0';
    //  Eighths filled: the bar never claims more than the progress.
    size_t filled = 0;
    if (isfinite (progress)) {
        double clamped = fmin (1, fmax (0, progress));
        filled = (size_t) floor (clamped * (double) width * 8);
    }
    long mark = -1;
    if (isfinite (expected) && width > 0) {
        double clamped = fmin (1, fmax (0, expected));
        mark = (long) floor (clamped * (double) width);
        if (mark >= (long) width)
            mark = (long) width - 1;
    }
    for (size_t cell = 0; cell < width; cell++) {
        size_t eighths = filled > cell * 8 ? filled - cell * 8 : 0;
        if (eighths >= 8)
            s_append (out, size, &used, s_eighths[7]);
        else if (eighths > 0)
            s_append (out, size, &used, s_eighths[eighths - 1]);
        else if ((long) cell == mark)
            s_append (out, size, &used, S_MARK);
        else
            s_append (out, size, &used, S_EMPTY);
    }
}

void
ws_goal_view_sparkline (const double *values, size_t count, size_t width,
                        double low, double high, char *out, size_t size)
{
    size_t used = 0;
    if (size)
        out[0] = '\0';
    if (!values || count == 0 || width == 0)
        return;
    double min = INFINITY, max = -INFINITY;
    for (size_t i = 0; i < count; i++)
        if (isfinite (values[i])) {
            min = fmin (min, values[i]);
            max = fmax (max, values[i]);
        }
    if (!isfinite (low))
        low = min;
    if (!isfinite (high))
        high = max;
    size_t cells = count < width ? count : width;
    for (size_t cell = 0; cell < cells; cell++) {
        //  The cell's share of the values: [first, last).
        size_t first = cell * count / cells;
        size_t last = (cell + 1) * count / cells;
        double value = NAN;
        for (size_t i = first; i < last; i++)
            if (isfinite (values[i]))
                value = values[i];
        if (!isfinite (value)) {
            s_append (out, size, &used, " ");
            continue;
        }
        int level = 0;
        if (isfinite (low) && isfinite (high) && high > low) {
            double share = fmin (1, fmax (0, (value - low) / (high - low)));
            level = (int) lround (share * 7);
        }
        s_append (out, size, &used, s_levels[level]);
    }
}

void
ws_goal_view_days_ahead (double days, char *out, size_t size)
{
    if (!isfinite (days)) {
        s_copy (out, size, "");
        return;
    }
    double whole = round (fabs (days));
    if (fabs (days) < 0.5)
        s_copy (out, size, "on schedule");
    else {
        char number[32];
        ws_goal_view_number (whole, number, sizeof number);
        snprintf (out, size, "%s day%s %s", number, whole == 1 ? "" : "s",
                  days > 0 ? "ahead" : "behind");
    }
}

void
ws_goal_view_days_left (double days, char *out, size_t size)
{
    if (!isfinite (days))
        s_copy (out, size, "-");
    else if (days <= 0)
        s_copy (out, size, "ended");
    else if (days < 1)
        s_copy (out, size, "<1d left");
    else {
        char number[32];
        ws_goal_view_number (round (days), number, sizeof number);
        snprintf (out, size, "%sd left", number);
    }
}

size_t
ws_goal_view_cells (const char *text)
{
    size_t cells = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        if ((*p & 0xC0) != 0x80)
            cells++;
    return cells;
}

void
ws_goal_view_pad (const char *text, size_t width, char *out, size_t size)
{
    size_t used = 0;
    if (size)
        out[0] = '\0';
    s_append (out, size, &used, text);
    for (size_t cells = ws_goal_view_cells (text); cells < width; cells++)
        s_append (out, size, &used, " ");
}

//  A JSON number as a double; NaN when absent or not a number.
static double
s_number (json_t *object, const char *key)
{
    json_t *value = S_GET (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

static const char *
s_string (json_t *object, const char *key)
{
    return json_string_value (S_GET (object, key));
}

void
ws_goal_view_row (json_t *entry, ws_goal_view_row_t *row)
{
    json_t *def = S_GET (entry, "def");
    json_t *evaluation = S_GET (entry, "evaluation");
    const char *campaign = s_string (entry, "campaign");
    const char *goal = s_string (entry, "goal");
    s_copy (row->campaign, sizeof row->campaign, campaign ? campaign : "-");
    s_copy (row->goal, sizeof row->goal, goal ? goal : "?");
    ws_goal_view_bar (NAN, NAN, WS_GOAL_VIEW_BAR_WIDTH, row->bar,
                      sizeof row->bar);
    s_copy (row->projected, sizeof row->projected, "-");
    s_copy (row->left, sizeof row->left, "-");
    if (!json_is_object (evaluation)) {
        s_copy (row->progress, sizeof row->progress, "not evaluated yet");
        s_copy (row->status, sizeof row->status, "-");
        s_copy (row->status_name, sizeof row->status_name, "");
        return;
    }
    const char *unit = s_string (evaluation, "unit");
    if (!unit)
        unit = s_string (def, "unit");
    const char *kind = s_string (def, "kind");
    if (!kind)
        kind = s_string (evaluation, "kind");
    double progress = s_number (evaluation, "progress");
    double expected = s_number (evaluation, "expected_progress");
    char a[32], b[32], c[32];
    if (kind && strcmp (kind, "keep") == 0) {
        //  A keep goal has no progress: its mean against the target.
        const char *direction = s_string (def, "direction");
        ws_goal_view_number (s_number (evaluation, "current"), a, sizeof a);
        ws_goal_view_number (s_number (def, "target"), b, sizeof b);
        snprintf (row->progress, sizeof row->progress, "mean %s (%s %s)", a,
                  direction && strcmp (direction, "at_most") == 0 ? "at most"
                                                                  : "at least",
                  b);
        ws_goal_view_bar (NAN, NAN, WS_GOAL_VIEW_BAR_WIDTH, row->bar,
                          sizeof row->bar);
    }
    else {
        ws_goal_view_bar (progress, expected, WS_GOAL_VIEW_BAR_WIDTH, row->bar,
                          sizeof row->bar);
        if (isfinite (progress))
            snprintf (a, sizeof a, "%.0f%%", 100 * progress);
        else
            s_copy (a, sizeof a, "-");
        snprintf (row->progress, sizeof row->progress, "%s of %.0f%% expected",
                  a, isfinite (expected) ? 100 * expected : 0);
    }
    double projected = s_number (evaluation, "projected");
    if (isfinite (projected)) {
        ws_goal_view_number (projected, a, sizeof a);
        ws_goal_view_number (s_number (evaluation, "projected_low"), b,
                             sizeof b);
        ws_goal_view_number (s_number (evaluation, "projected_high"), c,
                             sizeof c);
        snprintf (row->projected, sizeof row->projected, "%s [%s–%s]%s%s", a, b,
                  c, unit ? " " : "", unit ? unit : "");
    }
    ws_goal_view_days_left (s_number (evaluation, "days_left"), row->left,
                            sizeof row->left);

    const char *reported = s_string (evaluation, "reported_status");
    if (!reported)
        reported = s_string (evaluation, "status");
    if (!reported)
        reported = "?";
    s_copy (row->status_name, sizeof row->status_name, reported);
    size_t used = 0;
    row->status[0] = '\0';
    s_append (row->status, sizeof row->status, &used, reported);
    char extra[128];
    json_t *stale = S_GET (evaluation, "stale");
    if (strcmp (reported, "stale") == 0 && s_string (stale, "source")) {
        snprintf (extra, sizeof extra, " (source '%s')",
                  s_string (stale, "source"));
        s_append (row->status, sizeof row->status, &used, extra);
    }
    json_t *pending = S_GET (evaluation, "pending");
    if (json_is_object (pending) && s_string (pending, "status")) {
        snprintf (extra, sizeof extra, " (pending %s %lld/%lld)",
                  s_string (pending, "status"),
                  (long long) json_integer_value (S_GET (pending, "count")),
                  (long long) json_integer_value (S_GET (pending, "hold")));
        s_append (row->status, sizeof row->status, &used, extra);
    }
}

void
ws_goal_view_counts (json_t *goals, char *out, size_t size)
{
    //  Statuses in the README's order, then any other name, then the
    //  goals not evaluated yet.
    static const char *const order[] = {"achieved",  "missed",   "stale",
                                        "too_early", "on_track", "at_risk",
                                        "off_track"};
    size_t total = json_array_size (goals), counts[8] = {0}, missing = 0;
    size_t index;
    json_t *entry;
    json_array_foreach (goals, index, entry) {
        json_t *evaluation = S_GET (entry, "evaluation");
        const char *status = s_string (evaluation, "reported_status");
        if (!status)
            status = s_string (evaluation, "status");
        if (!status) {
            missing++;
            continue;
        }
        size_t k = 0;
        while (k < 7 && strcmp (status, order[k]) != 0)
            k++;
        counts[k]++;  //  counts[7]: another status
    }
    size_t used = 0;
    char part[64];
    if (size)
        out[0] = '\0';
    snprintf (part, sizeof part, "%zu goal%s", total, total == 1 ? "" : "s");
    s_append (out, size, &used, part);
    const char *separator = ": ";
    for (size_t k = 0; k < 8; k++)
        if (counts[k]) {
            snprintf (part, sizeof part, "%s%zu %s", separator, counts[k],
                      k < 7 ? order[k] : "other");
            s_append (out, size, &used, part);
            separator = ", ";
        }
    if (missing) {
        snprintf (part, sizeof part, "%s%zu not evaluated yet", separator,
                  missing);
        s_append (out, size, &used, part);
    }
}

void
ws_goal_view_need (json_t *attainability, char *out, size_t size)
{
    const char *measure = s_string (attainability, "measure");
    char required[32], days[32], shown[32], low[32], high[32];
    ws_goal_view_number (s_number (attainability, "required_rate"), required,
                         sizeof required);
    ws_goal_view_number (s_number (attainability, "days"), days, sizeof days);
    ws_goal_view_number (s_number (attainability, "demonstrated_rate"), shown,
                         sizeof shown);
    ws_goal_view_number (s_number (attainability, "demonstrated_low"), low,
                         sizeof low);
    ws_goal_view_number (s_number (attainability, "demonstrated_high"), high,
                         sizeof high);
    //  The comparable window, by its days: "from 2027-01-04 to 2027-02-03".
    char window[64] = "";
    json_t *span = S_GET (attainability, "window");
    const char *from = s_string (span, "from"), *to = s_string (span, "to");
    if (from && to)
        snprintf (window, sizeof window, " from %.10s to %.10s", from, to);
    if (measure && strcmp (measure, "mean") == 0)
        snprintf (out, size, "needs a mean of %s against %s (%s–%s) shown%s",
                  required, shown, low, high, window);
    else if (measure && strcmp (measure, "slope per day") == 0)
        snprintf (out, size,
                  "needs a slope of %s/day for %s days against %s/day "
                  "(%s–%s) shown%s",
                  required, days, shown, low, high, window);
    else
        snprintf (out, size,
                  "needs %s/day for %s days against %s/day (%s–%s) shown%s",
                  required, days, shown, low, high, window);
}

int
ws_goal_view_samples (json_t *series, const char *where,
                      ws_goal_sample_t **samples, size_t *count, ws_err_t *err)
{
    *samples = NULL;
    *count = 0;
    if (!series || json_is_null (series))
        return 0;
    json_t *t = S_GET (series, "t"), *x = S_GET (series, "x");
    if (!json_is_object (series) || !json_is_array (t) || !json_is_array (x)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "coordinator reply %s: expected {\"t\": [...], \"x\": "
                    "[...]}",
                    where);
        ws_err_where (err, "%s", where);
        return -1;
    }
    if (json_array_size (t) != json_array_size (x)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "coordinator reply %s: %zu times but %zu values", where,
                    json_array_size (t), json_array_size (x));
        ws_err_where (err, "%s", where);
        return -1;
    }
    size_t n = json_array_size (t);
    if (n == 0)
        return 0;
    ws_goal_sample_t *out = calloc (n, sizeof *out);
    if (!out)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "coordinator reply %s: out of memory for %zu "
                           "samples",
                           where, n);
    for (size_t i = 0; i < n; i++) {
        json_t *time = json_array_get (t, i), *value = json_array_get (x, i);
        const char *field = !json_is_integer (time)   ? "t"
                            : !json_is_number (value) ? "x"
                                                      : NULL;
        if (field) {
            free (out);
            ws_err_set (err, WS_ERR_INPUT,
                        "coordinator reply %s/%s/%zu: expected %s", where,
                        field, i,
                        *field == 't' ? "an integer time in ms" : "a number");
            ws_err_where (err, "%s/%s/%zu", where, field, i);
            return -1;
        }
        out[i].t = (int64_t) json_integer_value (time);
        out[i].value = json_number_value (value);
    }
    *samples = out;
    *count = n;
    return 0;
}

ws_goal_t *
ws_goal_view_goal (json_t *def, ws_err_t *err)
{
    if (!json_is_object (def)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "coordinator reply /def: expected the goal's definition");
        ws_err_where (err, "/def");
        return NULL;
    }
    json_t *copy = json_copy (def);
    if (!copy) {
        ws_err_set (err, WS_ERR_SYSTEM, "goal definition: out of memory");
        return NULL;
    }
    json_object_del (copy, "hysteresis");
    json_object_del (copy, "id");
    ws_goal_t *goal = ws_goal_new (copy, err);
    json_decref (copy);
    return goal;
}
