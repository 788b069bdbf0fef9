//  ws_goal_insight - weekday pace, attainability, segments and activity
//  effects of a goal. The formulas are in ws_goal_insight.h; the
//  statistics are ws_stats'.
#include "ws_goal_insight.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_stats.h"
#include "ws_time.h"

#define S_DAY_MS 86400000LL
//  A history longer than this many days (270 years) is a wrong time, not
//  a history: refused before the per-day table is allocated.
#define S_MAX_SPAN_DAYS 100000
//  A checkpoint whose removal moves the curve by less than this (in
//  progress) lies on the line through its neighbours: left out.
#define S_COLLINEAR 1e-12
//  Sums of squares of weekday shares (each about 0.14) below this are
//  rounding: identical weeks must read as "no spread", not as noise.
#define S_SS_ROUNDING 1e-20

static const char *const s_weekday_names[7] = {"Mon", "Tue", "Wed", "Thu",
                                               "Fri", "Sat", "Sun"};

//  ---------------------------------------------------------------------
//  Helpers

//  The UTC day number of t (days since 1970-01-01), rounding down also
//  before the epoch.
static int64_t
s_day (int64_t t)
{
    return t >= 0 ? t / S_DAY_MS : -((-t + S_DAY_MS - 1) / S_DAY_MS);
}

//  Monday = 0 .. Sunday = 6; day 0 (1970-01-01) was a Thursday.
static int
s_weekday (int64_t day)
{
    return (int) (((day % 7) + 7 + 3) % 7);
}

static json_t *
s_time_json (int64_t ms)
{
    char text[40];
    ws_iso8601_format (ms, text, sizeof text);
    return json_string (text);
}

static void
s_set_number (json_t *object, const char *key, double value)
{
    if (isfinite (value))
        json_object_set_new (object, key, json_real (value));
}

//  A number of the object, NaN when absent or not a number.
static double
s_get_number (const json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

//  Mean of x[0..n-1] with the half width of its 80% t interval,
//  t_{0.9,n−1}·s/√n (0 for n < 2).
static double
s_mean (const double *x, size_t n, double *half)
{
    double mean = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double) n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    *half = 0;
    if (n >= 2) {
        double q = ws_stats_t_quantile ((1 + WS_GOAL_CONFIDENCE) / 2,
                                        (double) (n - 1));
        *half = q * sqrt (ss / (double) (n - 1)) / sqrt ((double) n);
    }
    return mean;
}

//  Median of the positive gaps of t[0..n-1]: the sampling step, robust
//  to a few missing samples (as ws_goal's sum model). NaN if none.
static double
s_step (const double *t, size_t n)
{
    double *gaps = n > 1 ? malloc ((n - 1) * sizeof (double)) : NULL;
    if (!gaps)
        return NAN;
    size_t count = 0;
    for (size_t i = 1; i < n; i++)
        if (t[i] > t[i - 1])
            gaps[count++] = t[i] - t[i - 1];
    double step = count > 0 ? ws_stats_median (gaps, count) : NAN;
    free (gaps);
    return step;
}

//  ---------------------------------------------------------------------
//  Weekday profile

int
ws_goal_insight_weekday_profile (const ws_goal_sample_t *history, size_t count,
                                 ws_goal_weekday_profile_t *out, ws_err_t *err)
{
    assert (out);
    memset (out, 0, sizeof *out);
    if (!history)
        count = 0;
    if (ws_goal_check_samples (history, count, "history", err))
        return -1;
    for (size_t i = 0; i < count; i++)
        if (history[i].value < 0)
            return ws_err_set (err, WS_ERR_INPUT,
                               "history sample %zu: amount %g is negative; "
                               "weekday shares need amounts of 0 or more",
                               i, history[i].value);
    if (count == 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "history: no samples; a weekday profile needs "
                           "at least %d full weeks",
                           WS_GOAL_INSIGHT_MIN_WEEKS);
    int64_t first = s_day (history[0].t);
    int64_t last = s_day (history[count - 1].t);
    if (last - first >= S_MAX_SPAN_DAYS)
        return ws_err_set (err, WS_ERR_INPUT,
                           "history: spans %lld days, at most %d allowed",
                           (long long) (last - first + 1), S_MAX_SPAN_DAYS);
    size_t span = (size_t) (last - first + 1);
    double *amount = calloc (span, sizeof (double));
    unsigned char *present = calloc (span, 1);
    //  At most span / 7 full weeks, 7 shares each.
    double *shares = malloc ((span / 7 + 1) * 7 * sizeof (double));
    int rc = -1;
    if (!amount || !present || !shares) {
        ws_err_set (err, WS_ERR_SYSTEM, "history: out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        size_t d = (size_t) (s_day (history[i].t) - first);
        amount[d] += history[i].value;
        present[d] = 1;
    }
    //  Full weeks: Monday to Sunday, a sample on every day.
    size_t weeks = 0, full = 0;
    size_t monday = (size_t) ((7 - s_weekday (first)) % 7);
    for (size_t d = monday; d + 6 < span; d += 7) {
        double total = 0;
        bool complete = true;
        for (size_t k = 0; k < 7; k++) {
            complete = complete && present[d + k];
            total += amount[d + k];
        }
        if (!complete)
            continue;
        full++;
        if (!(total > 0))
            continue;
        for (size_t k = 0; k < 7; k++)
            shares[weeks * 7 + k] = amount[d + k] / total;
        weeks++;
    }
    out->weeks = weeks;
    out->skipped = full - weeks;
    if (weeks < WS_GOAL_INSIGHT_MIN_WEEKS) {
        ws_err_set (err, WS_ERR_INPUT,
                    "history: %zu full weeks (Monday to Sunday, a sample "
                    "every day, a total above 0), at least %d needed for a "
                    "weekday profile",
                    weeks, WS_GOAL_INSIGHT_MIN_WEEKS);
        goto done;
    }
    //  One-way ANOVA of the shares by weekday (7 groups of `weeks`
    //  values; the grand mean is 1/7): F = (SS_b / 6) / (SS_w / (7w −
    //  7)), p = P(F_{6, 7w−7} > F) = I_{d2/(d2 + d1·F)}(d2/2, d1/2).
    double ss_between = 0, ss_within = 0, amplitude = 0;
    for (size_t k = 0; k < 7; k++) {
        double mean = 0;
        for (size_t w = 0; w < weeks; w++)
            mean += shares[w * 7 + k];
        mean /= (double) weeks;
        out->share[k] = mean;
        for (size_t w = 0; w < weeks; w++)
            ss_within +=
                (shares[w * 7 + k] - mean) * (shares[w * 7 + k] - mean);
        ss_between += (double) weeks * (mean - 1.0 / 7) * (mean - 1.0 / 7);
        amplitude = fmax (amplitude, fabs (7 * mean - 1));
    }
    double df1 = 6, df2 = 7 * (double) weeks - 7;
    if (ss_between < S_SS_ROUNDING)
        ss_between = 0;
    if (ss_within < S_SS_ROUNDING)
        ss_within = 0;
    if (ss_within > 0) {
        double f = (ss_between / df1) / (ss_within / df2);
        out->p = ws_stats_beta_inc (df2 / (df2 + df1 * f), df2 / 2, df1 / 2);
    }
    else
        out->p = ss_between > 0 ? 0 : 1;
    out->strength =
        ss_between + ss_within > 0 ? ss_between / (ss_between + ss_within) : 0;
    out->amplitude = amplitude;
    out->weekly = out->p < WS_GOAL_INSIGHT_WEEKLY_P
                  && amplitude >= WS_GOAL_INSIGHT_WEEKLY_AMPLITUDE;
    rc = 0;
done:
    free (amount);
    free (present);
    free (shares);
    return rc;
}

//  ---------------------------------------------------------------------
//  Weekday checkpoints

//  The largest gap between the line from point l to point r and the
//  exact points strictly between them.
static double
s_deviation (const double *x, const double *y, size_t l, size_t r)
{
    double worst = 0;
    for (size_t i = l + 1; i < r; i++) {
        double line = y[l] + (y[r] - y[l]) * (x[i] - x[l]) / (x[r] - x[l]);
        worst = fmax (worst, fabs (y[i] - line));
    }
    return worst;
}

json_t *
ws_goal_insight_checkpoints (const ws_goal_t *goal,
                             const ws_goal_weekday_profile_t *profile,
                             double *max_deviation, ws_err_t *err)
{
    assert (goal);
    assert (profile);
    const char *name = ws_goal_name (goal);
    if (ws_goal_kind (goal) != WS_GOAL_TOTAL) {
        ws_err_set (err, WS_ERR_INPUT,
                    "goal '%s': weekday checkpoints are for total goals "
                    "(amounts per day), not for kind %s",
                    name, ws_goal_kind_name (ws_goal_kind (goal)));
        return NULL;
    }
    for (size_t k = 0; k < 7; k++)
        if (!isfinite (profile->share[k]) || profile->share[k] < 0) {
            ws_err_set (err, WS_ERR_INPUT,
                        "weekday profile: %s's share %g is not a number of "
                        "0 or more",
                        s_weekday_names[k], profile->share[k]);
            return NULL;
        }
    int64_t start = ws_goal_start (goal), deadline = ws_goal_deadline (goal);
    double days = (double) (deadline - start) / (double) S_DAY_MS;
    if (days > WS_GOAL_INSIGHT_MAX_DAYS) {
        ws_err_set (err, WS_ERR_INPUT,
                    "goal '%s': spans %.0f days; weekday checkpoints are "
                    "offered for goals up to %d days",
                    name, days, WS_GOAL_INSIGHT_MAX_DAYS);
        return NULL;
    }
    //  Points: the start, every UTC midnight strictly inside, the
    //  deadline. Between two points the curve grows by the day's share
    //  times the part of the day covered.
    size_t n = 2;
    for (int64_t day = s_day (start) + 1; day * S_DAY_MS < deadline; day++)
        n++;
    double *x = malloc (n * sizeof (double));
    double *y = malloc (n * sizeof (double));
    double *error = malloc (n * sizeof (double));
    size_t *prev = malloc (n * sizeof (size_t));
    size_t *next = malloc (n * sizeof (size_t));
    json_t *list = NULL;
    if (!x || !y || !error || !prev || !next) {
        ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory", name);
        goto done;
    }
    x[0] = (double) start;
    y[0] = 0;
    for (size_t i = 1; i < n; i++) {
        x[i] = i + 1 < n ? (double) ((s_day (start) + (int64_t) i) * S_DAY_MS)
                         : (double) deadline;
        int64_t day = s_day ((int64_t) x[i - 1]);
        y[i] = y[i - 1]
               + profile->share[s_weekday (day)] * (x[i] - x[i - 1])
                     / (double) S_DAY_MS;
    }
    double total = y[n - 1];
    if (!(total > 0)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "goal '%s': the weekday profile gives every day of the "
                    "goal a share of 0",
                    name);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = fmin (1, y[i] / total);
    y[n - 1] = 1;

    //  Drop the point that moves the curve least, again and again, while
    //  that is nothing (a boundary between days of equal share) or there
    //  are more than ws_goal accepts (Visvalingam-style greedy, O(n²) for
    //  n <= WS_GOAL_INSIGHT_MAX_DAYS + 1).
    for (size_t i = 0; i < n; i++) {
        prev[i] = i > 0 ? i - 1 : 0;
        next[i] = i + 1 < n ? i + 1 : i;
        error[i] =
            i > 0 && i + 1 < n ? s_deviation (x, y, i - 1, i + 1) : INFINITY;
    }
    size_t kept = n - 2;
    while (kept > 0) {
        size_t best = 0;
        for (size_t i = next[0]; i + 1 < n && i != 0; i = next[i])
            if (best == 0 || error[i] < error[best])
                best = i;
        if (error[best] >= S_COLLINEAR
            && kept <= WS_GOAL_INSIGHT_MAX_CHECKPOINTS)
            break;
        size_t l = prev[best], r = next[best];
        next[l] = r;
        prev[r] = l;
        kept--;
        if (l > 0)
            error[l] = s_deviation (x, y, prev[l], r);
        if (r + 1 < n)
            error[r] = s_deviation (x, y, l, next[r]);
    }
    double worst = 0;
    for (size_t i = 0; i + 1 < n; i = next[i])
        worst = fmax (worst, s_deviation (x, y, i, next[i]));
    if (max_deviation)
        *max_deviation = worst;

    list = json_array ();
    if (!list)
        goto oom;
    for (size_t i = next[0]; i + 1 < n; i = next[i]) {
        json_t *point = json_pack (
            "{s:o, s:f}", "at", s_time_json ((int64_t) x[i]), "progress", y[i]);
        if (!point || json_array_append_new (list, point))
            goto oom;
    }
    goto done;
oom:
    json_decref (list);
    list = NULL;
    ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory", name);
done:
    free (x);
    free (y);
    free (error);
    free (prev);
    free (next);
    return list;
}

json_t *
ws_goal_insight_weekday_pace (const ws_goal_t *goal,
                              const ws_goal_sample_t *history, size_t count,
                              ws_err_t *err)
{
    assert (goal);
    ws_goal_weekday_profile_t profile;
    if (ws_goal_kind (goal) != WS_GOAL_TOTAL) {
        ws_err_set (err, WS_ERR_INPUT,
                    "goal '%s': a weekday pace is for total goals (amounts "
                    "per day), not for kind %s",
                    ws_goal_name (goal),
                    ws_goal_kind_name (ws_goal_kind (goal)));
        return NULL;
    }
    if (ws_goal_insight_weekday_profile (history, count, &profile, err)) {
        ws_err_prefix (err, "goal '%s': ", ws_goal_name (goal));
        return NULL;
    }
    json_t *shares = json_array ();
    json_t *result = json_object ();
    if (!shares || !result)
        goto oom;
    for (size_t k = 0; k < 7; k++)
        if (json_array_append_new (shares, json_real (profile.share[k])))
            goto oom;
    json_object_set_new (result, "weekly", json_boolean (profile.weekly));
    json_object_set_new (result, "weeks",
                         json_integer ((json_int_t) profile.weeks));
    json_object_set (result, "shares", shares);
    json_object_set_new (result, "p", json_real (profile.p));
    json_object_set_new (result, "strength", json_real (profile.strength));
    json_object_set_new (result, "amplitude", json_real (profile.amplitude));
    char text[512], p[32];
    snprintf (p, sizeof p, "%.2g", profile.p);
    if (profile.weekly) {
        double deviation = 0;
        json_t *checkpoints =
            ws_goal_insight_checkpoints (goal, &profile, &deviation, err);
        if (!checkpoints) {
            json_decref (shares);
            json_decref (result);
            return NULL;
        }
        json_object_set_new (result, "checkpoints", checkpoints);
        json_object_set_new (result, "max_deviation", json_real (deviation));
        size_t len = (size_t) snprintf (
            text, sizeof text,
            "weekly cycle over %zu weeks (p = %s):", profile.weeks, p);
        for (size_t k = 0; k < 7 && len < sizeof text; k++)
            len +=
                (size_t) snprintf (text + len, sizeof text - len, " %s %.0f%%",
                                   s_weekday_names[k], 100 * profile.share[k]);
        if (len < sizeof text)
            snprintf (text + len, sizeof text - len,
                      " of a week; %zu checkpoints follow it",
                      json_array_size (checkpoints));
    }
    else
        snprintf (text, sizeof text,
                  "no weekly cycle over %zu weeks (p = %s, no weekday more "
                  "than %.0f%% off an even share needed %.0f%%): the "
                  "expected pace stays a straight line",
                  profile.weeks, p, 100 * profile.amplitude,
                  100 * WS_GOAL_INSIGHT_WEEKLY_AMPLITUDE);
    json_object_set_new (result, "text", json_string (text));
    json_decref (shares);
    return result;
oom:
    json_decref (shares);
    json_decref (result);
    ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                ws_goal_name (goal));
    return NULL;
}

//  ---------------------------------------------------------------------
//  Attainability

static const char *const s_verdict_names[] = {"attainable", "stretch",
                                              "unlikely", "no_history"};

const char *
ws_goal_insight_verdict_name (ws_goal_verdict_t verdict)
{
    return verdict <= WS_GOAL_NO_HISTORY ? s_verdict_names[verdict] : "unknown";
}

//  What ws_goal.h has no accessor for, read back from the goal's
//  normalised JSON form: the explicit baseline and the aggregation.
typedef struct {
    bool has_baseline;
    double baseline;  //  0 unless has_baseline
    ws_goal_agg_t aggregation;
} s_goal_extra_t;

static int
s_goal_extra (const ws_goal_t *goal, s_goal_extra_t *out, ws_err_t *err)
{
    json_t *def = ws_goal_to_json (goal);
    if (!def)
        return ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                           ws_goal_name (goal));
    json_t *baseline = json_object_get (def, "baseline");
    out->has_baseline = json_is_number (baseline);
    out->baseline = out->has_baseline ? json_number_value (baseline) : 0;
    //  A ratio goal has no "aggregation": its value is a mean (keep) or
    //  a level, as the kind's default.
    static const ws_goal_agg_t defaults[] = {WS_GOAL_AGG_SUM, WS_GOAL_AGG_LAST,
                                             WS_GOAL_AGG_AVG};
    out->aggregation = defaults[ws_goal_kind (goal)];
    const char *name = json_string_value (json_object_get (def, "aggregation"));
    for (int i = 0; name && i <= (int) WS_GOAL_AGG_COUNT; i++)
        if (strcmp (name, ws_goal_agg_name ((ws_goal_agg_t) i)) == 0)
            out->aggregation = (ws_goal_agg_t) i;
    json_decref (def);
    return 0;
}

//  The comparable window's series: t in days since `from`, x the value
//  (1 per sample when counting, the per-timestamp ratio for a ratio goal,
//  whose sums go to num_sum and den_sum). A sample is in when from <= t
//  < to (include_to false) or from < t <= to (true).
typedef struct {
    double *t;  //  owns
    double *x;  //  owns
    size_t n;
    double num_sum, den_sum;
} s_series_t;

static bool
s_inside (int64_t t, int64_t from, int64_t to, bool include_to)
{
    return include_to ? t > from && t <= to : t >= from && t < to;
}

static int
s_series (const ws_goal_t *goal, const ws_goal_sample_t *samples, size_t count,
          const ws_goal_sample_t *denominator, size_t denominator_count,
          int64_t from, int64_t to, bool include_to, bool counting,
          s_series_t *out, ws_err_t *err)
{
    memset (out, 0, sizeof *out);
    out->t = malloc ((count + 1) * sizeof (double));
    out->x = malloc ((count + 1) * sizeof (double));
    if (!out->t || !out->x)
        return ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory",
                           ws_goal_name (goal));
    bool ratio = ws_goal_numerator (goal) != NULL;
    size_t j = 0;
    for (size_t i = 0; i < count; i++) {
        if (!s_inside (samples[i].t, from, to, include_to))
            continue;
        double t = (double) (samples[i].t - from) / (double) S_DAY_MS;
        if (!ratio) {
            out->t[out->n] = t;
            out->x[out->n++] = counting ? 1 : samples[i].value;
            continue;
        }
        //  README "ratio": the ratio where both have a sample at the same
        //  time and the denominator is not 0 (as ws_goal fits it).
        out->num_sum += samples[i].value;
        while (j < denominator_count && denominator[j].t < samples[i].t)
            j++;
        if (j < denominator_count && denominator[j].t == samples[i].t
            && denominator[j].value != 0) {
            out->t[out->n] = t;
            out->x[out->n++] = samples[i].value / denominator[j].value;
        }
    }
    for (size_t k = 0; ratio && k < denominator_count; k++)
        if (s_inside (denominator[k].t, from, to, include_to))
            out->den_sum += denominator[k].value;
    return 0;
}

static void
s_series_free (s_series_t *self)
{
    free (self->t);
    free (self->x);
    self->t = self->x = NULL;
}

//  "+1.5" for a slope, so a falling need reads as one.
static const char *
s_signed (double value, char *out, size_t size)
{
    char number[31];
    ws_goal_number_text (value, number, sizeof number);
    snprintf (out, size, "%s%s", value > 0 ? "+" : "", number);
    return out;
}

json_t *
ws_goal_insight_attainability (const ws_goal_t *goal,
                               const ws_goal_sample_t *samples, size_t count,
                               const ws_goal_sample_t *denominator,
                               size_t denominator_count, int64_t as_of,
                               ws_err_t *err)
{
    assert (goal);
    const char *name = ws_goal_name (goal);
    if (!samples)
        count = 0;
    if (!denominator)
        denominator_count = 0;
    if (ws_goal_check_samples (samples, count, "goal samples", err))
        return NULL;
    if (ws_goal_numerator (goal)) {
        if (!denominator) {
            ws_err_set (err, WS_ERR_INPUT,
                        "goal '%s': a ratio goal needs the samples of its "
                        "denominator '%s'",
                        name, ws_goal_denominator (goal));
            return NULL;
        }
        if (ws_goal_check_samples (denominator, denominator_count,
                                   "denominator samples", err))
            return NULL;
    }
    int64_t start = ws_goal_start (goal), deadline = ws_goal_deadline (goal);
    if (as_of >= deadline) {
        char when[40], end[40];
        ws_iso8601_format (as_of, when, sizeof when);
        ws_iso8601_format (deadline, end, sizeof end);
        ws_err_set (err, WS_ERR_INPUT,
                    "goal '%s': at %s its deadline %s has passed; nothing is "
                    "left to attain",
                    name, when, end);
        return NULL;
    }
    s_goal_extra_t extra;
    if (s_goal_extra (goal, &extra, err))
        return NULL;
    ws_goal_kind_t kind = ws_goal_kind (goal);
    double target = ws_goal_target (goal);
    double sign = ws_goal_direction (goal) == WS_GOAL_AT_LEAST ? 1 : -1;
    bool creation = as_of <= start;
    int64_t ref = creation ? start : as_of;
    int64_t length = deadline - start;
    int64_t from = ref - length;
    double days = (double) (deadline - ref) / (double) S_DAY_MS;
    double window_days = (double) length / (double) S_DAY_MS;

    //  The need: from the baseline over the whole goal at creation, from
    //  the current value over the days left on demand (ws_goal_evaluate
    //  says what both are, for every aggregation and for ratios).
    json_t *evaluation = ws_goal_evaluate (goal, samples, count, denominator,
                                           denominator_count, ref, err);
    if (!evaluation)
        return NULL;
    double required = NAN;
    const char *missing = NULL;
    if (kind == WS_GOAL_KEEP)
        required = target;
    else {
        double value =
            s_get_number (evaluation, creation ? "baseline" : "current");
        if (!isfinite (value) && kind == WS_GOAL_TOTAL)
            value = creation ? extra.baseline : 0;
        if (isfinite (value))
            required = (target - value) / days;
        else
            missing = creation ? "no value at or before the start to "
                                 "measure from"
                               : "no value yet in the goal's window";
    }
    json_decref (evaluation);

    //  What the comparable window showed.
    s_series_t series;
    if (s_series (goal, samples, count, denominator, denominator_count, from,
                  ref, !creation, extra.aggregation == WS_GOAL_AGG_COUNT,
                  &series, err)) {
        s_series_free (&series);
        return NULL;
    }
    char window_text[96], a[32], b[32], c[32];
    if (creation)
        snprintf (window_text, sizeof window_text,
                  "the %s days before the start",
                  ws_goal_number_text (window_days, a, sizeof a));
    else
        snprintf (window_text, sizeof window_text, "the last %s days",
                  ws_goal_number_text (window_days, a, sizeof a));
    char why[512] = "";
    double demonstrated = NAN, low = NAN, high = NAN;
    const char *measure = kind == WS_GOAL_TOTAL   ? "amount per day"
                          : kind == WS_GOAL_LEVEL ? "slope per day"
                                                  : "mean";
    if (series.n < WS_GOAL_INSIGHT_MIN_HISTORY)
        snprintf (why, sizeof why, "%zu samples in %s, at least %d needed",
                  series.n, window_text, WS_GOAL_INSIGHT_MIN_HISTORY);
    else if (missing)
        snprintf (why, sizeof why, "%s", missing);
    else if (kind == WS_GOAL_TOTAL) {
        //  Amounts, one per sampling step: the mean over the step is the
        //  rate per day, as ws_goal's sum model has it.
        double step = s_step (series.t, series.n);
        double half, mean = s_mean (series.x, series.n, &half);
        bool nonnegative = true;
        for (size_t i = 0; i < series.n; i++)
            nonnegative = nonnegative && series.x[i] >= 0;
        if (!(step > 0))
            snprintf (why, sizeof why, "the samples in %s share one time",
                      window_text);
        else {
            demonstrated = mean / step;
            low = (mean - half) / step;
            high = (mean + half) / step;
            if (nonnegative && low < 0)
                low = 0;
        }
    }
    else if (kind == WS_GOAL_LEVEL) {
        //  Sen's slope keeps every pair in memory: the newest points up
        //  to its limit are the ones that matter here.
        size_t skip =
            series.n > WS_STATS_SEN_MAX_N ? series.n - WS_STATS_SEN_MAX_N : 0;
        ws_sen_t sen;
        ws_err_t sen_err = {0};
        if (ws_stats_sen (series.t + skip, series.x + skip, series.n - skip,
                          WS_GOAL_CONFIDENCE, &sen, &sen_err))
            snprintf (why, sizeof why, "Sen's slope over %s: %s", window_text,
                      sen_err.text);
        else {
            demonstrated = sen.slope;
            low = sen.slope_low;
            high = sen.slope_high;
        }
    }
    else {
        double half, mean = s_mean (series.x, series.n, &half);
        if (ws_goal_numerator (goal)) {
            //  The goal's value is the ratio of the sums; the spread of
            //  the per-day ratios gives the interval's width.
            if (series.den_sum == 0)
                snprintf (why, sizeof why, "the denominator sums to 0 over %s",
                          window_text);
            mean = series.num_sum / series.den_sum;
        }
        if (!*why) {
            demonstrated = mean;
            low = mean - half;
            high = mean + half;
        }
    }

    ws_goal_verdict_t verdict = WS_GOAL_NO_HISTORY;
    if (isfinite (demonstrated) && isfinite (required)) {
        double gap = sign * (required - demonstrated);
        double reach = sign > 0 ? high - demonstrated : demonstrated - low;
        if (gap <= 0)
            verdict = WS_GOAL_ATTAINABLE;
        else if (gap
                 <= fmax (reach, WS_GOAL_INSIGHT_STRETCH * fabs (demonstrated)))
            verdict = WS_GOAL_STRETCH;
        else
            verdict = WS_GOAL_UNLIKELY;
    }

    char need[128], shown[192], text[1024];
    const char *side =
        ws_goal_direction (goal) == WS_GOAL_AT_LEAST ? "at least" : "at most";
    if (kind == WS_GOAL_KEEP)
        snprintf (need, sizeof need, "needs a mean %s %s", side,
                  ws_goal_number_text (required, a, sizeof a));
    else if (!isfinite (required))
        snprintf (need, sizeof need, "has no need to measure");
    else if (kind == WS_GOAL_TOTAL)
        snprintf (need, sizeof need, "needs %s/day for %s days",
                  ws_goal_number_text (required, a, sizeof a),
                  ws_goal_number_text (days, b, sizeof b));
    else
        snprintf (need, sizeof need, "needs a slope of %s/day for %s days",
                  s_signed (required, a, sizeof a),
                  ws_goal_number_text (days, b, sizeof b));
    if (verdict == WS_GOAL_NO_HISTORY)
        snprintf (text, sizeof text, "no_history: %s; %s", why, need);
    else {
        if (kind == WS_GOAL_KEEP)
            snprintf (shown, sizeof shown, "%s showed a mean of %s (%s–%s)",
                      window_text,
                      ws_goal_number_text (demonstrated, a, sizeof a),
                      ws_goal_number_text (low, b, sizeof b),
                      ws_goal_number_text (high, c, sizeof c));
        else
            snprintf (shown, sizeof shown, "%s showed %s/day (%s–%s)",
                      window_text,
                      kind == WS_GOAL_LEVEL
                          ? s_signed (demonstrated, a, sizeof a)
                          : ws_goal_number_text (demonstrated, a, sizeof a),
                      ws_goal_number_text (low, b, sizeof b),
                      ws_goal_number_text (high, c, sizeof c));
        snprintf (text, sizeof text, "%s: %s; %s",
                  ws_goal_insight_verdict_name (verdict), need, shown);
    }

    json_t *result = json_object ();
    json_t *window = json_pack ("{s:o, s:o}", "from", s_time_json (from), "to",
                                s_time_json (ref));
    if (!result || !window) {
        json_decref (result);
        json_decref (window);
        s_series_free (&series);
        ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory", name);
        return NULL;
    }
    json_object_set_new (result, "verdict",
                         json_string (ws_goal_insight_verdict_name (verdict)));
    s_set_number (result, "required_rate", required);
    s_set_number (result, "demonstrated_rate", demonstrated);
    s_set_number (result, "demonstrated_low", low);
    s_set_number (result, "demonstrated_high", high);
    json_object_set_new (result, "confidence", json_real (WS_GOAL_CONFIDENCE));
    json_object_set_new (result, "measure", json_string (measure));
    json_object_set_new (result, "window", window);
    json_object_set_new (result, "n", json_integer ((json_int_t) series.n));
    json_object_set_new (result, "days", json_real (days));
    json_object_set_new (result, "text", json_string (text));
    s_series_free (&series);
    return result;
}

//  ---------------------------------------------------------------------
//  Segments

typedef struct {
    double current, rate, baseline, past;
    double share, expected_share, target, progress, lag;
    size_t n;
    bool past_present;
    bool lagging;
} s_segment_t;

//  The goal's aggregation of one segment over the comparable past
//  window [from, start): sum (count) for total, the last value for level.
static void
s_segment_past (const ws_goal_t *goal, const s_goal_extra_t *extra,
                const ws_goal_sample_t *samples, size_t count, int64_t from,
                s_segment_t *out)
{
    int64_t start = ws_goal_start (goal);
    out->past = 0;
    out->past_present = false;
    for (size_t i = 0; i < count; i++) {
        const ws_goal_sample_t *sample = &samples[i];
        if (sample->t < from || sample->t >= start)
            continue;
        out->past_present = true;
        if (ws_goal_kind (goal) == WS_GOAL_LEVEL)
            out->past = sample->value;
        else
            out->past +=
                extra->aggregation == WS_GOAL_AGG_COUNT ? 1 : sample->value;
    }
}

json_t *
ws_goal_insight_segments (const ws_goal_t *goal, const char *label,
                          const ws_goal_segment_t *segments,
                          size_t segment_count, int64_t as_of, ws_err_t *err)
{
    assert (goal);
    const char *name = ws_goal_name (goal);
    if (ws_goal_numerator (goal)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "goal '%s': segments of a ratio goal are not supported: "
                    "each would need its own denominator",
                    name);
        return NULL;
    }
    if (!label || !*label) {
        ws_err_set (err, WS_ERR_INPUT, "goal '%s': segments need a label name",
                    name);
        return NULL;
    }
    if (!segments || segment_count == 0) {
        ws_err_set (err, WS_ERR_INPUT, "goal '%s': no segments of label '%s'",
                    name, label);
        return NULL;
    }
    s_goal_extra_t extra;
    if (s_goal_extra (goal, &extra, err))
        return NULL;
    s_segment_t *seg = calloc (segment_count, sizeof *seg);
    size_t *order = calloc (segment_count, sizeof *order);
    json_t *result = NULL, *list = NULL, *lagging = NULL;
    if (!seg || !order)
        goto oom;
    ws_goal_kind_t kind = ws_goal_kind (goal);
    int64_t start = ws_goal_start (goal);
    int64_t from = start - (ws_goal_deadline (goal) - start);
    double target = ws_goal_target (goal);
    double expected = ws_goal_expected_progress (goal, as_of);
    bool started = as_of > start;

    //  Each segment evaluated as the goal.
    for (size_t i = 0; i < segment_count; i++) {
        const ws_goal_segment_t *segment = &segments[i];
        if (!segment->value || !*segment->value) {
            ws_err_set (err, WS_ERR_INPUT,
                        "goal '%s': segment %zu of label '%s' has no value",
                        name, i, label);
            goto fail;
        }
        const ws_goal_sample_t *samples = segment->samples;
        size_t count = samples ? segment->count : 0;
        json_t *evaluation =
            ws_goal_evaluate (goal, samples, count, NULL, 0, as_of, err);
        if (!evaluation) {
            ws_err_prefix (err, "goal '%s': segment %s=%s: ", name, label,
                           segment->value);
            goto fail;
        }
        seg[i].current = s_get_number (evaluation, "current");
        seg[i].rate = s_get_number (evaluation, "actual_rate");
        seg[i].baseline = s_get_number (evaluation, "baseline");
        seg[i].n =
            (size_t) json_integer_value (json_object_get (evaluation, "n"));
        json_decref (evaluation);
        s_segment_past (goal, &extra, samples, count, from, &seg[i]);
        seg[i].share = seg[i].expected_share = seg[i].target = seg[i].progress =
            seg[i].lag = NAN;
    }

    const char *basis = NULL;
    if (kind != WS_GOAL_KEEP) {
        //  Total and level values add up across segments.
        double sum = 0, past = 0, baselines = 0;
        bool history = true;
        for (size_t i = 0; i < segment_count; i++) {
            if (isfinite (seg[i].current))
                sum += seg[i].current;
            past += seg[i].past;
            history = history && seg[i].past_present;
            if (isfinite (seg[i].baseline))
                baselines += seg[i].baseline;
        }
        history = history && past > 0;
        basis = history ? "history" : "equal";
        double base = extra.has_baseline      ? extra.baseline
                      : kind == WS_GOAL_TOTAL ? 0
                                              : baselines;
        double gain = target - base;
        bool budget = kind == WS_GOAL_TOTAL
                      && ws_goal_direction (goal) == WS_GOAL_AT_MOST;
        for (size_t i = 0; i < segment_count; i++) {
            s_segment_t *s = &seg[i];
            if (sum > 0 && isfinite (s->current))
                s->share = s->current / sum;
            s->expected_share =
                history ? s->past / past : 1.0 / (double) segment_count;
            double own =
                kind == WS_GOAL_TOTAL ? s->expected_share * base : s->baseline;
            s->target = own + s->expected_share * gain;
            if (s->expected_share * gain != 0)
                s->progress = (s->current - own) / (s->expected_share * gain);
            if (started && expected > 0 && isfinite (s->progress))
                s->lag = budget ? s->progress / expected - 1
                                : 1 - s->progress / expected;
        }
    }
    else {
        //  Each segment must keep the target itself.
        double sign = ws_goal_direction (goal) == WS_GOAL_AT_LEAST ? 1 : -1;
        double scale = fabs (target) > 0 ? fabs (target) : 1;
        for (size_t i = 0; i < segment_count; i++) {
            seg[i].target = target;
            if (started && isfinite (seg[i].current))
                seg[i].lag = sign * (target - seg[i].current) / scale;
        }
    }

    //  Lagging segments, worst first (insertion sort: N is small).
    size_t lag_count = 0;
    for (size_t i = 0; i < segment_count; i++) {
        seg[i].lagging =
            isfinite (seg[i].lag) && seg[i].lag > WS_GOAL_INSIGHT_LAG_MARGIN;
        if (!seg[i].lagging)
            continue;
        size_t k = lag_count++;
        while (k > 0 && seg[order[k - 1]].lag < seg[i].lag) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }

    result = json_object ();
    list = json_array ();
    lagging = json_array ();
    if (!result || !list || !lagging)
        goto oom;
    for (size_t i = 0; i < segment_count; i++) {
        json_t *item = json_object ();
        if (!item || json_array_append_new (list, item))
            goto oom;
        json_object_set_new (item, "value", json_string (segments[i].value));
        s_set_number (item, "current", seg[i].current);
        s_set_number (item, "share", seg[i].share);
        s_set_number (item, "expected_share", seg[i].expected_share);
        s_set_number (item, "target", seg[i].target);
        s_set_number (item, "progress", seg[i].progress);
        s_set_number (item, "actual_rate", seg[i].rate);
        s_set_number (item, "lag", seg[i].lag);
        json_object_set_new (item, "lagging", json_boolean (seg[i].lagging));
        json_object_set_new (item, "n", json_integer ((json_int_t) seg[i].n));
    }
    for (size_t k = 0; k < lag_count; k++)
        if (json_array_append_new (lagging,
                                   json_string (segments[order[k]].value)))
            goto oom;
    json_object_set_new (result, "label", json_string (label));
    json_object_set_new (result, "as_of", s_time_json (as_of));
    json_object_set_new (result, "expected_progress", json_real (expected));
    json_object_set_new (result, "margin",
                         json_real (WS_GOAL_INSIGHT_LAG_MARGIN));
    if (basis)
        json_object_set_new (result, "share_basis", json_string (basis));
    json_object_set (result, "segments", list);
    json_object_set (result, "lagging", lagging);

    char text[512], a[32], b[32];
    size_t len = 0;
#define S_ADD(...)                                                             \
    do {                                                                       \
        if (len < sizeof text)                                                 \
            len += (size_t) snprintf (text + len, sizeof text - len,           \
                                      __VA_ARGS__);                            \
    } while (0)
    S_ADD ("%s:", label);
    if (!started)
        S_ADD (" the goal has not started, nothing lags yet");
    else if (lag_count == 0 && kind == WS_GOAL_KEEP)
        S_ADD (" every segment keeps %s %s",
               ws_goal_direction (goal) == WS_GOAL_AT_LEAST ? "at least"
                                                            : "at most",
               ws_goal_number_text (target, a, sizeof a));
    else if (lag_count == 0)
        S_ADD (" no segment lags (expected progress %.0f%%)", 100 * expected);
    for (size_t k = 0; k < lag_count && k < 3; k++) {
        const s_segment_t *s = &seg[order[k]];
        if (kind == WS_GOAL_KEEP)
            S_ADD ("%s %s off target (mean %s against %s %s)", k ? ";" : "",
                   segments[order[k]].value,
                   ws_goal_number_text (s->current, a, sizeof a),
                   ws_goal_direction (goal) == WS_GOAL_AT_LEAST ? "at least"
                                                                : "at most",
                   ws_goal_number_text (target, b, sizeof b));
        else
            S_ADD ("%s %s lags (progress %.0f%% of its part against %.0f%% "
                   "expected)",
                   k ? ";" : "", segments[order[k]].value, 100 * s->progress,
                   100 * expected);
    }
    if (lag_count > 0)
        S_ADD ("; %zu of %zu segments lag", lag_count, segment_count);
#undef S_ADD
    json_object_set_new (result, "text", json_string (text));
    json_decref (list);
    json_decref (lagging);
    free (seg);
    free (order);
    return result;
oom:
    ws_err_set (err, WS_ERR_SYSTEM, "goal '%s': out of memory", name);
fail:
    json_decref (result);
    json_decref (list);
    json_decref (lagging);
    free (seg);
    free (order);
    return NULL;
}

//  ---------------------------------------------------------------------
//  Activity effects

//  A window longer than ten years compares eras, not an activity; the
//  bound also keeps the window in ms far from overflow.
#define S_MAX_EFFECT_DAYS 3650.0
//  Activity times beyond year ±9999 are not times (and at ± window
//  must not overflow).
#define S_MAX_TIME_MS 253402300799999LL

//  One side: level, Sen's slope and its interval (t in days since the
//  activity), into a new object with from, to and n.
static json_t *
s_side (const double *t, const double *x, size_t n, int64_t from, int64_t to,
        bool measure, double *level)
{
    json_t *side = json_pack ("{s:o, s:o, s:I}", "from", s_time_json (from),
                              "to", s_time_json (to), "n", (json_int_t) n);
    *level = NAN;
    if (!side || !measure)
        return side;
    double half;
    *level = s_mean (x, n, &half);
    json_object_set_new (side, "level", json_real (*level));
    ws_sen_t sen;
    if (ws_stats_sen (t, x, n, WS_GOAL_CONFIDENCE, &sen, NULL) == 0) {
        json_object_set_new (side, "slope", json_real (sen.slope));
        json_object_set_new (side, "slope_low", json_real (sen.slope_low));
        json_object_set_new (side, "slope_high", json_real (sen.slope_high));
    }
    return side;
}

json_t *
ws_goal_insight_activity_effect (const ws_goal_sample_t *samples, size_t count,
                                 int64_t at, double window_days,
                                 double near_days, ws_err_t *err)
{
    if (!samples)
        count = 0;
    if (!isfinite (window_days) || !isfinite (near_days)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "activity effect: window %g days, near %g days: "
                    "expected finite numbers",
                    window_days, near_days);
        return NULL;
    }
    if (window_days <= 0)
        window_days = WS_GOAL_INSIGHT_EFFECT_DAYS;
    if (near_days <= 0)
        near_days = WS_GOAL_INSIGHT_NEAR_DAYS;
    if (window_days > S_MAX_EFFECT_DAYS) {
        ws_err_set (err, WS_ERR_INPUT,
                    "activity effect: window of %g days, at most %g allowed",
                    window_days, S_MAX_EFFECT_DAYS);
        return NULL;
    }
    if (at > S_MAX_TIME_MS || at < -S_MAX_TIME_MS) {
        ws_err_set (err, WS_ERR_INPUT,
                    "activity effect: time %lld ms is outside the years "
                    "-9999 to 9999",
                    (long long) at);
        return NULL;
    }
    if (ws_goal_check_samples (samples, count, "activity effect", err))
        return NULL;
    int64_t window = (int64_t) llround (window_days * (double) S_DAY_MS);
    int64_t from = at - window, to = at + window;
    //  before = [from, at), after = [at, to): [b, a) and [a, e).
    size_t b = 0;
    while (b < count && samples[b].t < from)
        b++;
    size_t a = b;
    while (a < count && samples[a].t < at)
        a++;
    size_t e = a;
    while (e < count && samples[e].t < to)
        e++;
    size_t n_before = a - b, n_after = e - a, n = e - b;
    bool enough = n_before >= WS_GOAL_INSIGHT_EFFECT_MIN_POINTS
                  && n_after >= WS_GOAL_INSIGHT_EFFECT_MIN_POINTS;

    double *t = malloc ((n + 1) * sizeof (double));
    double *x = malloc ((n + 1) * sizeof (double));
    json_t *result = json_object ();
    json_t *before = NULL, *after = NULL;
    double level_before = NAN, level_after = NAN;
    if (!t || !x || !result)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        t[i] = (double) (samples[b + i].t - at) / (double) S_DAY_MS;
        x[i] = samples[b + i].value;
    }
    before = s_side (t, x, n_before, from, at, enough, &level_before);
    after = s_side (t + n_before, x + n_before, n_after, at, to, enough,
                    &level_after);
    if (!before || !after)
        goto oom;
    json_object_set_new (result, "at", s_time_json (at));
    json_object_set_new (result, "window_days", json_real (window_days));
    json_object_set_new (result, "near_days", json_real (near_days));
    json_object_set_new (result, "status",
                         json_string (enough ? "ok" : "not_enough_data"));
    json_object_set (result, "before", before);
    json_object_set (result, "after", after);

    char text[512], w[32], p1[32], p2[32];
    ws_goal_number_text (window_days, w, sizeof w);
    bool near_change = false;
    if (!enough) {
        snprintf (text, sizeof text,
                  "not enough data: %zu samples in the %s days before the "
                  "activity and %zu after, at least %d needed on each side",
                  n_before, w, n_after, WS_GOAL_INSIGHT_EFFECT_MIN_POINTS);
        json_object_set_new (result, "change_near_activity", json_false ());
        json_object_set_new (result, "text", json_string (text));
        goto done;
    }
    double change = level_after - level_before;
    double relative = level_before != 0 ? change / fabs (level_before) : NAN;
    json_object_set_new (result, "change", json_real (change));
    s_set_number (result, "relative_change", relative);
    size_t len =
        (size_t) snprintf (text, sizeof text, "level %s → %s",
                           ws_goal_number_text (level_before, p1, sizeof p1),
                           ws_goal_number_text (level_after, p2, sizeof p2));
    //  Whole percent, and no "-0%" for a change that rounds to nothing.
    double percent = round (100 * (isfinite (relative) ? relative : 0));
    if (isfinite (relative) && len < sizeof text)
        len += (size_t) snprintf (text + len, sizeof text - len, " (%s%.0f%%)",
                                  percent > 0 ? "+" : "",
                                  percent == 0 ? 0 : percent);
    if (len < sizeof text)
        len += (size_t) snprintf (text + len, sizeof text - len,
                                  " over the %s days before and after", w);

    //  Pettitt over both windows together (ws_stats, README "Pettitt"):
    //  index is the last point before the change, so the change shows at
    //  the next sample.
    ws_pettitt_t pettitt;
    if (ws_stats_pettitt (x, n, &pettitt, NULL) == 0 && pettitt.index < n) {
        int64_t change_at = samples[b + pettitt.index].t;
        double distance = (double) (change_at - at) / (double) S_DAY_MS;
        bool significant = pettitt.p < WS_GOAL_INSIGHT_CHANGE_P;
        bool near = fabs (distance) <= near_days;
        near_change = significant && near;
        json_t *point = json_pack (
            "{s:o, s:f, s:b, s:f, s:b, s:f, s:f}", "at",
            s_time_json (change_at), "p", pettitt.p, "significant", significant,
            "days_from_activity", distance, "near", near, "mean_before",
            pettitt.mean_before, "mean_after", pettitt.mean_after);
        if (!point)
            goto oom;
        json_object_set_new (result, "change_point", point);
        snprintf (p1, sizeof p1, "%.2g", pettitt.p);
        if (!significant && len < sizeof text)
            snprintf (text + len, sizeof text - len,
                      "; no significant change point (p = %s)", p1);
        else if (len < sizeof text) {
            char when[40];
            ws_iso8601_format (change_at, when, sizeof when);
            snprintf (
                text + len, sizeof text - len,
                "; change point at %s (p = %s), %s days %s the "
                "activity%s",
                when, p1, ws_goal_number_text (fabs (distance), p2, sizeof p2),
                distance < 0 ? "before" : "after", near ? "" : ": not near it");
        }
    }
    else {
        json_object_set_new (result, "change_point", json_null ());
        if (len < sizeof text)
            snprintf (text + len, sizeof text - len,
                      "; no change point: the values do not change");
    }
    json_object_set_new (result, "change_near_activity",
                         json_boolean (near_change));
    json_object_set_new (result, "text", json_string (text));
    goto done;
oom:
    json_decref (result);
    result = NULL;
    ws_err_set (err, WS_ERR_SYSTEM, "activity effect: out of memory");
done:
    json_decref (before);
    json_decref (after);
    free (t);
    free (x);
    return result;
}
