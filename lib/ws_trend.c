//  ws_trend - one trend analysis of a series as a JSON object. The
//  statistics are ws_stats; this module decides what applies, turns what
//  the series cannot give into nulls and notes, and prints times.
#include "ws_trend.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_time.h"

#define S_DAY_MS 86400000.0

//  A JSON object under construction. Any failed allocation clears ok;
//  the caller checks it once at the end (jansson frees what it was given
//  even when setting it fails).
typedef struct {
    json_t *notes;  //  owns until added to the root
    bool is_time;   //  print t as ISO 8601
    bool ok;
} s_builder_t;

static json_t *
s_number (double v)
{
    //  json_real refuses NaN and infinities: those are nulls.
    return isfinite (v) ? json_real (v) : json_null ();
}

static void
s_set (s_builder_t *self, json_t *object, const char *key, json_t *value)
{
    if (!object) {
        json_decref (value);
        self->ok = false;
    }
    else if (json_object_set_new (object, key, value))
        self->ok = false;
}

static json_t *
s_time (s_builder_t *self, double t)
{
    if (!self->is_time)
        return s_number (t);
    if (!isfinite (t))
        return json_null ();
    //  Outside years 0..9999, which ISO 8601 writes with four digits: a
    //  plain number.
    if (t < -719528 || t > 2932896)
        return json_real (t);
    char text[40];
    ws_iso8601_format ((int64_t) llround (t * S_DAY_MS), text, sizeof text);
    return json_string (text);
}

static void s_note (s_builder_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  The reason in a ws_stats error ("Mann-Kendall: all values are
//  equal..."): the note names the field itself.
static const char *
s_reason (const ws_err_t *err)
{
    const char *colon = strstr (err->text, ": ");
    return colon ? colon + 2 : err->text;
}

static void
s_note (s_builder_t *self, const char *fmt, ...)
{
    char text[320];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    if (json_array_append_new (self->notes, json_string (text)))
        self->ok = false;
}

const char *
ws_trend_seasonal_name (ws_hw_seasonal_t seasonal)
{
    switch (seasonal) {
    case WS_HW_NONE: return "none";
    case WS_HW_ADDITIVE: return "additive";
    case WS_HW_MULTIPLICATIVE: return "multiplicative";
    }
    return "none";
}

int
ws_trend_seasonal_parse (const char *text, ws_hw_seasonal_t *seasonal,
                         ws_err_t *err)
{
    static const ws_hw_seasonal_t kinds[] = {WS_HW_NONE, WS_HW_ADDITIVE,
                                             WS_HW_MULTIPLICATIVE};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (text && strcmp (text, ws_trend_seasonal_name (kinds[i])) == 0) {
            *seasonal = kinds[i];
            return 0;
        }
    return ws_err_set (err, WS_ERR_INPUT,
                       "seasonal '%s': expected none, additive or "
                       "multiplicative",
                       text ? text : "");
}

void
ws_trend_options_init (ws_trend_options_t *self)
{
    memset (self, 0, sizeof *self);
    self->horizon = 1;
    self->seasonal = WS_HW_NONE;
    self->alpha = self->beta = self->gamma = NAN;
    self->confidence = 0.95;
}

static int
s_check (const double *t, const double *x, size_t n,
         const ws_trend_options_t *options, ws_err_t *err)
{
    if (n > 0 && (!t || !x))
        return ws_err_set (err, WS_ERR_INPUT, "series: no data for %zu points",
                           n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite (t[i]))
            return ws_err_set (err, WS_ERR_INPUT,
                               "series point %zu: t %g is not a finite number",
                               i + 1, t[i]);
        if (!isfinite (x[i]))
            return ws_err_set (err, WS_ERR_INPUT,
                               "series point %zu: value %g is not a finite "
                               "number",
                               i + 1, x[i]);
        if (i > 0 && !(t[i] > t[i - 1]))
            return ws_err_set (err, WS_ERR_INPUT,
                               "series point %zu: t %.17g not increasing "
                               "(after %.17g)",
                               i + 1, t[i], t[i - 1]);
    }
    if (options->horizon > WS_TREND_MAX_HORIZON)
        return ws_err_set (err, WS_ERR_INPUT,
                           "horizon %zu: more than %d forecasts",
                           options->horizon, WS_TREND_MAX_HORIZON);
    if (!(options->confidence > 0 && options->confidence < 1))
        return ws_err_set (err, WS_ERR_INPUT,
                           "confidence %g: expected a level in (0, 1)",
                           options->confidence);
    if (options->season == 1)
        return ws_err_set (err, WS_ERR_INPUT,
                           "season 1: a season needs a period of 2 or more");
    const char *names[] = {"alpha", "beta", "gamma"};
    double values[] = {options->alpha, options->beta, options->gamma};
    for (int i = 0; i < 3; i++)
        if (!isnan (values[i]) && !(values[i] >= 0 && values[i] <= 1))
            return ws_err_set (err, WS_ERR_INPUT,
                               "%s %g: expected a value in [0, 1]", names[i],
                               values[i]);
    if (options->holt_winters && options->seasonal != WS_HW_NONE
        && options->season < 2)
        return ws_err_set (err, WS_ERR_INPUT,
                           "Holt-Winters %s: needs a season period of 2 or "
                           "more",
                           ws_trend_seasonal_name (options->seasonal));
    return 0;
}

//  Spacing of t: the mean (the forecast step), the smallest, and the
//  steps missing if the smallest spacing is the series' step.
typedef struct {
    double mean;
    double smallest;
    int64_t missing;
} s_spacing_t;

static s_spacing_t
s_spacing (const double *t, size_t n)
{
    s_spacing_t spacing = {NAN, NAN, 0};
    if (n < 2)
        return spacing;
    spacing.mean = (t[n - 1] - t[0]) / (double) (n - 1);
    spacing.smallest = t[1] - t[0];
    for (size_t i = 2; i < n; i++)
        if (t[i] - t[i - 1] < spacing.smallest)
            spacing.smallest = t[i] - t[i - 1];
    double missing = 0;
    for (size_t i = 1; i < n; i++) {
        //  Spacings within a relative 1e-6 of the smallest are one step:
        //  decimal t such as months in years (1/12) are not exact.
        double steps = (t[i] - t[i - 1]) / spacing.smallest;
        if (steps > 1 + 1e-6 && nearbyint (steps) > 1)
            missing += nearbyint (steps) - 1;
    }
    //  Absurd spacings (1e-9 then 1e9) must not overflow the count.
    spacing.missing =
        missing < 1e18 ? (int64_t) missing : INT64_C (1000000000000000000);
    return spacing;
}

static void
s_mann_kendall (s_builder_t *self, json_t *root, const double *x, size_t n)
{
    ws_mann_kendall_t mk;
    ws_err_t err;
    if (ws_stats_mann_kendall (x, n, &mk, &err)) {
        s_set (self, root, "mann_kendall", json_null ());
        s_set (self, root, "direction", json_null ());
        s_note (self, "mann_kendall: %s", s_reason (&err));
        return;
    }
    json_t *object = json_object ();
    s_set (self, object, "s", json_integer (mk.s));
    s_set (self, object, "var_s", s_number (mk.var_s));
    s_set (self, object, "z", s_number (mk.z));
    s_set (self, object, "p", s_number (mk.p));
    s_set (self, object, "tau", s_number (mk.tau));
    s_set (self, root, "mann_kendall", object);
    const char *direction = mk.p >= 0.05 ? "none" : mk.s > 0 ? "up" : "down";
    s_set (self, root, "direction", json_string (direction));
}

//  Hirsch-Slack seasonal Mann-Kendall, when --season is given or a
//  weekly cycle is found in daily data (see ws_trend.h).
static void
s_seasonal_mann_kendall (s_builder_t *self, json_t *root, const double *t,
                         const double *x, size_t n,
                         const ws_trend_options_t *options,
                         const s_spacing_t *spacing, const ws_ols_t *ols)
{
    size_t period = options->season;
    const char *detected_by = "season option";
    double acf = NAN, bound = NAN;
    if (period == 0) {
        bool daily = n >= 14 && spacing->missing == 0
                     && fabs (spacing->smallest - 1) < 1e-9;
        if (!daily || !ols)
            return;
        //  Residuals about the line: a trend alone makes every lag
        //  correlated; a weekly profile shows at lag 7 of what is left.
        double *residual = malloc (n * sizeof *residual);
        if (!residual) {
            self->ok = false;
            return;
        }
        for (size_t i = 0; i < n; i++)
            residual[i] = x[i] - (ols->intercept + ols->slope * t[i]);
        acf = ws_stats_autocorrelation (residual, n, 7);
        free (residual);
        bound = ws_stats_normal_quantile (0.975) / sqrt ((double) n);
        if (!(acf > bound))
            return;
        period = 7;
        detected_by = "lag-7 autocorrelation";
    }
    size_t *season = malloc ((n ? n : 1) * sizeof *season);
    if (!season) {
        self->ok = false;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        //  Cycle position from t, so a missing day does not shift the
        //  weekdays that follow it.
        double step = n > 1 ? nearbyint ((t[i] - t[0]) / spacing->smallest) : 0;
        season[i] = step >= 0 && step < 1e15
                        ? (size_t) fmod (step, (double) period)
                        : i % period;
    }
    ws_seasonal_mann_kendall_t smk;
    ws_err_t err;
    int rc = ws_stats_seasonal_mann_kendall (x, season, n, period, &smk, &err);
    free (season);
    if (rc) {
        s_set (self, root, "seasonal_mann_kendall", json_null ());
        s_note (self, "seasonal_mann_kendall: %s", s_reason (&err));
        return;
    }
    json_t *object = json_object ();
    s_set (self, object, "period", json_integer ((json_int_t) period));
    s_set (self, object, "s", json_integer (smk.s));
    s_set (self, object, "var_s", s_number (smk.var_s));
    s_set (self, object, "z", s_number (smk.z));
    s_set (self, object, "p", s_number (smk.p));
    s_set (self, object, "seasons",
           json_integer ((json_int_t) smk.seasons_used));
    s_set (self, object, "detected_by", json_string (detected_by));
    if (isfinite (acf)) {
        s_set (self, object, "autocorrelation", s_number (acf));
        s_set (self, object, "bound", s_number (bound));
    }
    s_set (self, root, "seasonal_mann_kendall", object);
}

static void
s_sen (s_builder_t *self, json_t *root, const double *t, const double *x,
       size_t n, double confidence)
{
    ws_sen_t sen;
    ws_err_t err;
    if (ws_stats_sen (t, x, n, confidence, &sen, &err)) {
        s_set (self, root, "sen", json_null ());
        s_note (self, "sen: %s", s_reason (&err));
        return;
    }
    json_t *object = json_object ();
    s_set (self, object, "slope", s_number (sen.slope));
    s_set (self, object, "intercept", s_number (sen.intercept));
    s_set (self, object, "slope_low", s_number (sen.slope_low));
    s_set (self, object, "slope_high", s_number (sen.slope_high));
    s_set (self, object, "confidence", s_number (sen.confidence));
    s_set (self, object, "pairs", json_integer ((json_int_t) sen.pairs));
    s_set (self, root, "sen", object);
}

static void
s_pettitt (s_builder_t *self, json_t *root, const double *t, const double *x,
           size_t n)
{
    ws_pettitt_t pettitt;
    ws_err_t err;
    if (ws_stats_pettitt (x, n, &pettitt, &err)) {
        s_set (self, root, "pettitt", json_null ());
        s_note (self, "pettitt: %s", s_reason (&err));
        return;
    }
    json_t *object = json_object ();
    s_set (self, object, "u", s_number (pettitt.u));
    s_set (self, object, "index", json_integer ((json_int_t) pettitt.index));
    s_set (self, object, "t", s_time (self, t[pettitt.index - 1]));
    s_set (self, object, "p", s_number (pettitt.p));
    s_set (self, object, "mean_before", s_number (pettitt.mean_before));
    s_set (self, object, "mean_after", s_number (pettitt.mean_after));
    json_t *split = json_object ();
    s_set (self, split, "index",
           json_integer ((json_int_t) pettitt.split_index));
    s_set (self, split, "t", s_time (self, t[pettitt.split_index - 1]));
    s_set (self, split, "sse", s_number (pettitt.split_sse));
    s_set (self, split, "mean_before", s_number (pettitt.split_mean_before));
    s_set (self, split, "mean_after", s_number (pettitt.split_mean_after));
    s_set (self, object, "split", split);
    s_set (self, root, "pettitt", object);
}

//  Returns true and *ols when least squares applies.
static bool
s_ols (s_builder_t *self, json_t *root, const double *t, const double *x,
       size_t n, const ws_trend_options_t *options, double step, ws_ols_t *ols)
{
    ws_err_t err;
    if (ws_stats_ols (t, x, n, ols, &err)) {
        s_set (self, root, "ols", json_null ());
        s_note (self, "ols: %s", s_reason (&err));
        return false;
    }
    json_t *object = json_object ();
    s_set (self, object, "slope", s_number (ols->slope));
    s_set (self, object, "intercept", s_number (ols->intercept));
    s_set (self, object, "r2", s_number (ols->r2));
    if (!isfinite (ols->r2))
        s_note (self, "ols.r2: all values are equal, so R² (1 − SSE/SST) "
                      "is undefined");
    s_set (self, object, "slope_se", s_number (ols->slope_se));
    s_set (self, object, "residual_se", s_number (ols->residual_se));
    s_set (self, object, "confidence", s_number (options->confidence));
    json_t *forecast = json_array ();
    for (size_t h = 1; h <= options->horizon; h++) {
        double at = t[n - 1] + (double) h * step, mean, low, high;
        ws_stats_ols_predict (ols, at, options->confidence, &mean, &low, &high);
        json_t *point = json_object ();
        s_set (self, point, "h", json_integer ((json_int_t) h));
        s_set (self, point, "t", s_time (self, at));
        s_set (self, point, "mean", s_number (mean));
        s_set (self, point, "low", s_number (low));
        s_set (self, point, "high", s_number (high));
        if (json_array_append_new (forecast, point))
            self->ok = false;
    }
    s_set (self, object, "forecast", forecast);
    s_set (self, root, "ols", object);
    return true;
}

static void
s_holt_winters (s_builder_t *self, json_t *root, const double *t,
                const double *x, size_t n, const ws_trend_options_t *options,
                const s_spacing_t *spacing)
{
    if (spacing->missing > 0) {
        s_set (self, root, "holt_winters", json_null ());
        s_note (self,
                "holt_winters: t has %lld missing step(s) (smallest spacing "
                "%g); Holt-Winters needs a series without gaps",
                (long long) spacing->missing, spacing->smallest);
        return;
    }
    ws_holt_winters_t hw;
    ws_err_t err;
    if (ws_stats_holt_winters (x, n, options->seasonal, options->season,
                               options->alpha, options->beta, options->gamma,
                               &hw, &err)) {
        s_set (self, root, "holt_winters", json_null ());
        s_note (self, "holt_winters: %s", s_reason (&err));
        return;
    }
    bool seasonal = hw.seasonal != WS_HW_NONE;
    json_t *object = json_object ();
    s_set (self, object, "seasonal",
           json_string (ws_trend_seasonal_name (hw.seasonal)));
    s_set (self, object, "period", json_integer ((json_int_t) hw.period));
    s_set (self, object, "alpha", s_number (hw.alpha));
    s_set (self, object, "beta", s_number (hw.beta));
    if (seasonal)
        s_set (self, object, "gamma", s_number (hw.gamma));
    s_set (self, object, "fitted", json_boolean (hw.fitted));
    s_set (self, object, "level", s_number (hw.level));
    s_set (self, object, "trend", s_number (hw.trend));
    if (seasonal) {
        json_t *season = json_array ();
        for (size_t i = 0; i < hw.period; i++)
            if (json_array_append_new (season, s_number (hw.season[i])))
                self->ok = false;
        s_set (self, object, "season", season);
    }
    s_set (self, object, "sse", s_number (hw.sse));
    s_set (self, object, "confidence", s_number (options->confidence));
    json_t *forecast = json_array ();
    for (size_t h = 1; h <= options->horizon; h++) {
        double mean, low, high;
        ws_stats_holt_winters_forecast (&hw, h, options->confidence, &mean,
                                        &low, &high);
        json_t *point = json_object ();
        s_set (self, point, "h", json_integer ((json_int_t) h));
        if (n >= 2)
            s_set (self, point, "t",
                   s_time (self, t[n - 1] + (double) h * spacing->mean));
        s_set (self, point, "mean", s_number (mean));
        if (hw.seasonal != WS_HW_MULTIPLICATIVE) {
            s_set (self, point, "low", s_number (low));
            s_set (self, point, "high", s_number (high));
        }
        if (json_array_append_new (forecast, point))
            self->ok = false;
    }
    s_set (self, object, "forecast", forecast);
    s_set (self, root, "holt_winters", object);
    if (hw.seasonal == WS_HW_MULTIPLICATIVE)
        s_note (self, "holt_winters: forecast means only; the "
                      "multiplicative model has no closed-form prediction "
                      "interval");
    ws_stats_holt_winters_clear (&hw);
}

json_t *
ws_trend_analyse (const double *t, const double *x, size_t n,
                  const ws_trend_options_t *options, ws_err_t *err)
{
    ws_trend_options_t defaults;
    if (!options) {
        ws_trend_options_init (&defaults);
        options = &defaults;
    }
    if (s_check (t, x, n, options, err))
        return NULL;
    s_builder_t self = {
        .notes = json_array (), .is_time = options->t_is_time, .ok = true};
    json_t *root = json_object ();
    s_set (&self, root, "n", json_integer ((json_int_t) n));
    s_set (&self, root, "t_unit",
           json_string (options->t_is_time ? "day" : "t"));
    s_spacing_t spacing = s_spacing (t, n);
    s_set (&self, root, "step", s_number (spacing.mean));
    s_set (&self, root, "missing_steps", json_integer (spacing.missing));

    s_mann_kendall (&self, root, x, n);
    s_sen (&self, root, t, x, n, options->confidence);
    s_pettitt (&self, root, t, x, n);
    ws_ols_t ols;
    bool have_ols = s_ols (&self, root, t, x, n, options, spacing.mean, &ols);
    s_seasonal_mann_kendall (&self, root, t, x, n, options, &spacing,
                             have_ols ? &ols : NULL);
    if (options->holt_winters)
        s_holt_winters (&self, root, t, x, n, options, &spacing);

    s_set (&self, root, "notes", self.notes);
    if (!self.ok) {
        json_decref (root);
        ws_err_set (err, WS_ERR_SYSTEM, "trend analysis: out of memory");
        return NULL;
    }
    return root;
}
