//  trend_bench - the C side of bench/trend: how many series per second
//  one core puts through ws_trend_analyse with every analysis on
//  (Mann-Kendall, seasonal Mann-Kendall, Sen's slope and interval,
//  Pettitt, least squares with prediction intervals, additive
//  Holt-Winters with alpha, beta and gamma fitted, forecasts).
//
//  The series are generated from a fixed seed, so every run sees the same
//  inputs: daily values (t = day index 0..L-1) with a level, a linear
//  trend (a third of them flat), a weekly profile, Gaussian noise, a step
//  change in some, rounded to 0.01 so that ties occur as in real data.
//  --write FILE saves them for bench/trend_scipy.py, so both sides do the
//  same work on the same numbers. --check FILE writes a few figures of
//  the first K results as CSV for bench/trend to compare with SciPy's.
//
//  usage: trend_bench [--series N] [--length L] [--seed S] [--horizon H]
//                     [--time] [--write FILE] [--check FILE] [--check-count K]
//  Prints the rate, then the same run without Holt-Winters (what the fit
//  costs); the last line is "rate CPU_PER_S WALL_PER_S CPU_PER_S_NO_HW"
//  (series per second) for bench/trend. Exits 1 if an analysis fails.
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws_err.h"
#include "ws_trend.h"

//  The file bench/trend_scipy.py reads: this magic, then series and
//  length as little-endian uint32, then series x length float64 values,
//  little-endian, series after series. t is the day index 0..length-1.
#define S_MAGIC "WSTREND1"

//  2024-01-01 in days since the epoch, for --time.
#define S_EPOCH_DAY 19723.0

typedef struct {
    uint64_t state;
} s_rng_t;

//  splitmix64: small, fast, and the same numbers on every platform.
static uint64_t
s_rng_next (s_rng_t *self)
{
    uint64_t z = (self->state += UINT64_C (0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
    return z ^ (z >> 31);
}

//  Uniform in (0, 1).
static double
s_rng_uniform (s_rng_t *self)
{
    return ((double) (s_rng_next (self) >> 11) + 0.5) / 9007199254740992.0;
}

//  Standard normal by Box-Muller (one of the pair; speed is not the
//  point here).
static double
s_rng_normal (s_rng_t *self)
{
    double u = s_rng_uniform (self), v = s_rng_uniform (self);
    return sqrt (-2 * log (u)) * cos (2 * M_PI * v);
}

static void
s_generate (double *x, size_t series, size_t length, uint64_t seed)
{
    s_rng_t rng = {seed};
    for (size_t s = 0; s < series; s++) {
        double *row = x + s * length;
        double level = 50 + 950 * s_rng_uniform (&rng);
        double noise = level * (0.01 + 0.05 * s_rng_uniform (&rng));
        //  A third flat, the rest up or down by up to half the noise a day
        //  over the year.
        double slope = 0;
        if (s % 3 != 0)
            slope = (s_rng_uniform (&rng) - 0.5) * noise / 365.0 * 4;
        double week[7];
        double amplitude = noise * 2 * s_rng_uniform (&rng);
        for (int d = 0; d < 7; d++)
            week[d] = amplitude * (s_rng_uniform (&rng) - 0.5);
        //  One in four has a step change somewhere in the middle half.
        size_t change = length;
        double step = 0;
        if (s % 4 == 1) {
            change = length / 4 + (size_t) (s_rng_uniform (&rng) * length / 2);
            step = noise * (s_rng_uniform (&rng) - 0.5) * 4;
        }
        for (size_t i = 0; i < length; i++) {
            double value = level + slope * (double) i + week[i % 7]
                           + noise * s_rng_normal (&rng)
                           + (i >= change ? step : 0);
            row[i] = round (value * 100) / 100;
        }
    }
}

static int
s_write_u32 (FILE *file, uint32_t value)
{
    unsigned char bytes[4];
    for (int i = 0; i < 4; i++)
        bytes[i] = (unsigned char) (value >> (8 * i));
    return fwrite (bytes, 1, 4, file) == 4 ? 0 : -1;
}

static int
s_write_series (const char *path, const double *x, size_t series, size_t length)
{
    FILE *file = fopen (path, "wb");
    if (!file) {
        fprintf (stderr, "trend_bench: %s: %s\n", path, strerror (errno));
        return -1;
    }
    int rc = fwrite (S_MAGIC, 1, 8, file) == 8 ? 0 : -1;
    if (rc == 0)
        rc = s_write_u32 (file, (uint32_t) series);
    if (rc == 0)
        rc = s_write_u32 (file, (uint32_t) length);
    for (size_t i = 0; rc == 0 && i < series * length; i++) {
        uint64_t bits;
        memcpy (&bits, &x[i], sizeof bits);
        unsigned char bytes[8];
        for (int b = 0; b < 8; b++)
            bytes[b] = (unsigned char) (bits >> (8 * b));
        if (fwrite (bytes, 1, 8, file) != 8)
            rc = -1;
    }
    if (fclose (file) != 0)
        rc = -1;
    if (rc)
        fprintf (stderr, "trend_bench: %s: write failed\n", path);
    return rc;
}

static double
s_clock (clockid_t clock)
{
    struct timespec ts;
    clock_gettime (clock, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

//  A number at a JSON path of two keys, NaN when absent or null.
static double
s_get (json_t *root, const char *object, const char *key)
{
    json_t *value = json_object_get (json_object_get (root, object), key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

//  The figures bench/trend compares with SciPy's, one line per series.
static void
s_check_line (FILE *file, size_t index, json_t *root)
{
    fprintf (file, "%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
             index, s_get (root, "mann_kendall", "s"),
             s_get (root, "mann_kendall", "var_s"),
             s_get (root, "seasonal_mann_kendall", "s"),
             s_get (root, "sen", "slope"), s_get (root, "pettitt", "index"),
             s_get (root, "ols", "slope"), s_get (root, "holt_winters", "sse"),
             s_get (root, "holt_winters", "alpha"));
}

static int
s_parse_size (const char *name, const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull (text ? text : "", &end, 10);
    if (!text || !*text || *end || errno || value == 0 || text[0] == '-') {
        fprintf (stderr, "trend_bench: %s '%s': expected a positive integer\n",
                 name, text ? text : "");
        return -1;
    }
    *out = (size_t) value;
    return 0;
}

int
main (int argc, char **argv)
{
    size_t series = 10000, length = 365, horizon = 14, check_count = 0;
    size_t seed = 20240101;
    const char *write_path = NULL, *check_path = NULL;
    bool is_time = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp (arg, "--series") == 0)
            rc = s_parse_size (arg, value, &series), i++;
        else if (strcmp (arg, "--length") == 0)
            rc = s_parse_size (arg, value, &length), i++;
        else if (strcmp (arg, "--seed") == 0)
            rc = s_parse_size (arg, value, &seed), i++;
        else if (strcmp (arg, "--horizon") == 0)
            rc = s_parse_size (arg, value, &horizon), i++;
        else if (strcmp (arg, "--check-count") == 0)
            rc = s_parse_size (arg, value, &check_count), i++;
        else if (strcmp (arg, "--write") == 0 && value)
            write_path = value, i++;
        else if (strcmp (arg, "--check") == 0 && value)
            check_path = value, i++;
        else if (strcmp (arg, "--time") == 0)
            is_time = true;
        else {
            fprintf (stderr,
                     "usage: trend_bench [--series N] [--length L] [--seed S] "
                     "[--horizon H] [--time] [--write FILE] [--check FILE] "
                     "[--check-count K]\n");
            return 2;
        }
        if (rc)
            return 2;
    }
    if (series > UINT32_MAX || length > UINT32_MAX
        || series > SIZE_MAX / length / sizeof (double)) {
        fprintf (stderr, "trend_bench: %zu series of %zu points: too many\n",
                 series, length);
        return 2;
    }
    double *x = malloc (series * length * sizeof *x);
    double *t = malloc (length * sizeof *t);
    if (!x || !t) {
        fprintf (stderr, "trend_bench: out of memory for %zu series\n", series);
        return 1;
    }
    s_generate (x, series, length, (uint64_t) seed);
    for (size_t i = 0; i < length; i++)
        t[i] = (is_time ? S_EPOCH_DAY : 0) + (double) i;
    if (write_path && s_write_series (write_path, x, series, length))
        return 1;

    ws_trend_options_t options;
    ws_trend_options_init (&options);
    options.horizon = horizon;
    options.season = 7;
    options.holt_winters = true;
    options.seasonal = WS_HW_ADDITIVE;
    options.t_is_time = is_time;  //  alpha, beta, gamma stay NaN: fitted

    //  The check figures first, outside the timing.
    if (check_path) {
        FILE *file = fopen (check_path, "w");
        if (!file) {
            fprintf (stderr, "trend_bench: %s: %s\n", check_path,
                     strerror (errno));
            return 1;
        }
        fprintf (file, "series,mk_s,mk_var_s,smk_s,sen_slope,pettitt_index,"
                       "ols_slope,hw_sse,hw_alpha\n");
        for (size_t s = 0; s < check_count && s < series; s++) {
            ws_err_t err;
            json_t *root =
                ws_trend_analyse (t, x + s * length, length, &options, &err);
            if (!root) {
                fprintf (stderr, "trend_bench: series %zu: %s\n", s, err.text);
                return 1;
            }
            s_check_line (file, s, root);
            json_decref (root);
        }
        if (fclose (file) != 0) {
            fprintf (stderr, "trend_bench: %s: write failed\n", check_path);
            return 1;
        }
    }

    //  The timed run: analyse and free, one series after another.
    double checksum = 0;
    double cpu0 = s_clock (CLOCK_PROCESS_CPUTIME_ID);
    double wall0 = s_clock (CLOCK_MONOTONIC);
    for (size_t s = 0; s < series; s++) {
        ws_err_t err;
        json_t *root =
            ws_trend_analyse (t, x + s * length, length, &options, &err);
        if (!root) {
            fprintf (stderr, "trend_bench: series %zu: %s\n", s, err.text);
            return 1;
        }
        //  Read one result so the work cannot be skipped.
        checksum += s_get (root, "sen", "slope");
        json_decref (root);
    }
    double cpu = s_clock (CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    double wall = s_clock (CLOCK_MONOTONIC) - wall0;
    printf ("ws_trend: %zu series of %zu points, every analysis, horizon %zu: "
            "%.2f CPU-s, %.2f s wall\n",
            series, length, horizon, cpu, wall);
    printf ("ws_trend: %.0f series/s (CPU), %.0f series/s (wall), "
            "%.1f us per series; checksum %.6g\n",
            series / cpu, series / wall, cpu / series * 1e6, checksum);
    //  The same without Holt-Winters, to show what the fit costs.
    options.holt_winters = false;
    double cpu_no_hw = s_clock (CLOCK_PROCESS_CPUTIME_ID);
    for (size_t s = 0; s < series; s++) {
        ws_err_t err;
        json_t *root =
            ws_trend_analyse (t, x + s * length, length, &options, &err);
        if (!root) {
            fprintf (stderr, "trend_bench: series %zu: %s\n", s, err.text);
            return 1;
        }
        checksum += s_get (root, "sen", "slope");
        json_decref (root);
    }
    cpu_no_hw = s_clock (CLOCK_PROCESS_CPUTIME_ID) - cpu_no_hw;
    printf ("ws_trend without Holt-Winters: %.0f series/s (CPU), %.1f us per "
            "series; so Holt-Winters takes %.0f%% of the time\n",
            series / cpu_no_hw, cpu_no_hw / series * 1e6,
            100 * (cpu - cpu_no_hw) / cpu);
    printf ("rate %.3f %.3f %.3f\n", series / cpu, series / wall,
            series / cpu_no_hw);
    free (x);
    free (t);
    return 0;
}
