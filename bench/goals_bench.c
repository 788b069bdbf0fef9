//  goals_bench - the C side of bench/goals: how many goal evaluations per
//  second one core does, alone (ws_goal_evaluate) and as the daemon's
//  whole step (ws_goal_evaluate, ws_goal_stale_check on the goal's
//  sources, ws_goal_track_step with the default hysteresis), against a
//  baseline measured in the same run: the least work any evaluation
//  must do, reading the window's samples and summing them. The ratio
//  to that baseline is the evaluation's own overhead.
//
//  The goals and their series are generated from a fixed seed, so every
//  run sees the same inputs. Each goal runs from 2027-01-01 for L days
//  and has L daily samples (two series of L for a ratio); the kinds go
//  round five at a time:
//    total at_least  daily sign-ups around a mean, noise 30%;
//    level at_least  followers growing by a trend with noise;
//    keep at_most    a daily latency around a mean with a slight drift;
//    ratio keep      cost / acquisitions at most a CPA (two series);
//    total at_most   a budget: daily spend, noise 20%.
//  Targets are the generating process's value at the deadline times a
//  factor from 0.85 to 1.15 or so, so every status occurs. Each goal
//  has an as_of drawn uniformly over the year, any time of day, but
//  early enough that round r, which evaluates every goal at its as_of + r
//  days, stays before the deadline; the state the daemon carries between
//  evaluations (ws_goal_track_t) so moves forward in time.
//  One goal in 50 has a source that failed three times (stale).
//
//  usage: goals_bench [--goals N] [--rounds R] [--repeat K] [--length L]
//                     [--seed S]
//  Each measurement runs K times (3; the baseline 5K) and the fastest
//  counts.
//  Prints the figures, then "rate BASE EVAL STEP BASE_WALL EVAL_WALL
//  STEP_WALL" (evaluations per second, CPU then wall) for bench/goals.
//  Exits 1 if an evaluation fails, 2 on bad arguments.
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
#include "ws_goal.h"
#include "ws_goal_track.h"
#include "ws_time.h"

#define S_DAY_MS INT64_C (86400000)
#define S_HOUR_MS INT64_C (3600000)
#define S_START "2027-01-01T00:00:00Z"
#define S_KINDS 5
//  One goal in this many has a failing source.
#define S_STALE_EVERY 50

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

//  One goal with its data and the daemon's view of its sources.
typedef struct {
    ws_goal_t *goal;                //  owned
    ws_goal_sample_t *samples;      //  owned, length
    ws_goal_sample_t *denominator;  //  owned, length; NULL unless ratio
    size_t length;
    int64_t offset;     //  ms from start to round 0's as_of
    char names[2][32];  //  the sources' names
    ws_goal_source_health_t sources[2];
    size_t source_count;
    ws_goal_track_t track;
} s_case_t;

static double
s_round2 (double value)
{
    return round (value * 100) / 100;
}

//  Fill the case's series and return its goal's JSON form (caller owns).
static json_t *
s_generate (s_case_t *self, size_t index, s_rng_t *rng, int64_t start,
            const char *start_text, const char *deadline_text)
{
    size_t length = self->length;
    double days = (double) length;
    char name[32];
    snprintf (name, sizeof name, "goal-%05zu", index);
    for (size_t i = 0; i < length; i++) {
        self->samples[i].t = start + (int64_t) i * S_DAY_MS;
        if (self->denominator)
            self->denominator[i].t = self->samples[i].t;
    }
    double factor = 0.85 + 0.3 * s_rng_uniform (rng);
    const char *kind = "total", *direction = "at_least", *metric, *unit;
    double target;
    switch (index % S_KINDS) {
    case 0: {
        double mean = 5 + 95 * s_rng_uniform (rng);
        for (size_t i = 0; i < length; i++)
            self->samples[i].value =
                fmax (0, round (mean + 0.3 * mean * s_rng_normal (rng)));
        target = round (days * mean * factor);
        metric = "signups", unit = "sign-ups";
        break;
    }
    case 1: {
        double level = 1000 + 9000 * s_rng_uniform (rng);
        double slope = level * (0.1 + 0.5 * s_rng_uniform (rng)) / 365;
        double start_level = level;
        for (size_t i = 0; i < length; i++) {
            level += slope + 2 * slope * s_rng_normal (rng);
            self->samples[i].value = round (level);
        }
        target = round (start_level + slope * days * factor);
        kind = "level", metric = "followers", unit = "followers";
        break;
    }
    case 2: {
        double mean = 100 + 900 * s_rng_uniform (rng);
        double drift = 0.1 * mean * (s_rng_uniform (rng) - 0.5) / 365;
        for (size_t i = 0; i < length; i++)
            self->samples[i].value = s_round2 (
                mean * (1 + 0.1 * s_rng_normal (rng)) + drift * (double) i);
        target = s_round2 (mean * (0.95 + 0.15 * s_rng_uniform (rng)));
        kind = "keep", direction = "at_most", metric = "latency", unit = "ms";
        break;
    }
    case 3: {
        double acquisitions = 10 + 90 * s_rng_uniform (rng);
        double cpa = 2 + 48 * s_rng_uniform (rng);
        for (size_t i = 0; i < length; i++) {
            double count =
                fmax (1, round (acquisitions * (1 + 0.3 * s_rng_normal (rng))));
            self->denominator[i].value = count;
            self->samples[i].value = fmax (
                0, s_round2 (count * cpa * (1 + 0.15 * s_rng_normal (rng))));
        }
        target = s_round2 (cpa * (0.95 + 0.15 * s_rng_uniform (rng)));
        kind = "keep", direction = "at_most", metric = "cost", unit = "EUR";
        break;
    }
    default: {
        double mean = 100 + 900 * s_rng_uniform (rng);
        for (size_t i = 0; i < length; i++)
            self->samples[i].value =
                fmax (0, s_round2 (mean * (1 + 0.2 * s_rng_normal (rng))));
        target = round (days * mean * (0.9 + 0.25 * s_rng_uniform (rng)));
        direction = "at_most", metric = "spend", unit = "EUR";
        break;
    }
    }
    //  The daemon's view of the sources: fetched daily, last success two
    //  hours before as_of (set per evaluation); some failing.
    self->source_count = self->denominator ? 2 : 1;
    snprintf (self->names[0], sizeof self->names[0], "%s-%05zu", metric, index);
    snprintf (self->names[1], sizeof self->names[1], "acquisitions-%05zu",
              index);
    for (size_t i = 0; i < self->source_count; i++)
        self->sources[i] =
            (ws_goal_source_health_t){.name = self->names[i],
                                      .failures = 0,
                                      .last_error = NULL,
                                      .last_success = WS_GOAL_NO_TIME,
                                      .interval = S_DAY_MS};
    if (index % S_STALE_EVERY == S_STALE_EVERY - 1) {
        self->sources[0].failures = WS_GOAL_STALE_FAILURES;
        self->sources[0].last_error = "HTTP 503 Service Unavailable";
    }
    json_t *def = json_pack ("{s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s}", "name",
                             name, "kind", kind, "direction", direction,
                             "target", target, "start", start_text, "deadline",
                             deadline_text, "unit", unit, "metric", metric);
    if (def && self->denominator)
        json_object_set_new (def, "ratio",
                             json_pack ("{s:s, s:s}", "numerator", "cost",
                                        "denominator", "acquisitions"));
    return def;
}

//  The time of the newest sample at or before t, WS_GOAL_NO_TIME if
//  none (what the daemon reads with the samples).
static int64_t
s_newest (const ws_goal_sample_t *samples, size_t count, int64_t t)
{
    size_t low = 0, high = count;  //  first sample after t
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (samples[mid].t <= t)
            low = mid + 1;
        else
            high = mid;
    }
    return low > 0 ? samples[low - 1].t : WS_GOAL_NO_TIME;
}

//  The baseline: the least an evaluation must do, read the window
//  start <= t <= min(as_of, deadline) and sum it (both series of a
//  ratio).
static double
s_read_window (const s_case_t *self, int64_t as_of)
{
    int64_t start = ws_goal_start (self->goal);
    int64_t deadline = ws_goal_deadline (self->goal);
    int64_t end = as_of < deadline ? as_of : deadline;
    double sum = 0;
    for (size_t s = 0; s < (self->denominator ? 2u : 1u); s++) {
        const ws_goal_sample_t *samples =
            s == 0 ? self->samples : self->denominator;
        size_t i = 0;
        while (i < self->length && samples[i].t < start)
            i++;
        for (; i < self->length && samples[i].t <= end; i++)
            sum += samples[i].value;
    }
    return sum;
}

//  ws_goal_evaluate alone. Returns the status, or -1 with *err.
static int
s_evaluate (const s_case_t *self, int64_t as_of, ws_err_t *err)
{
    json_t *evaluation = ws_goal_evaluate (
        self->goal, self->samples, self->length, self->denominator,
        self->denominator ? self->length : 0, as_of, err);
    if (!evaluation)
        return -1;
    ws_goal_status_t status;
    int rc = ws_goal_status_parse (
        json_string_value (json_object_get (evaluation, "status")), &status,
        err);
    json_decref (evaluation);
    return rc ? -1 : (int) status;
}

//  The daemon's step: evaluate, judge the sources, step the hysteresis.
//  Returns the reported status, or -1 with *err.
static int
s_step (s_case_t *self, int64_t as_of, ws_err_t *err)
{
    json_t *evaluation = ws_goal_evaluate (
        self->goal, self->samples, self->length, self->denominator,
        self->denominator ? self->length : 0, as_of, err);
    if (!evaluation)
        return -1;
    int64_t newest = s_newest (self->samples, self->length, as_of);
    if (self->denominator) {
        int64_t other = s_newest (self->denominator, self->length, as_of);
        if (other < newest)
            newest = other;
    }
    for (size_t i = 0; i < self->source_count; i++)
        self->sources[i].last_success = as_of - 2 * S_HOUR_MS;
    json_t *stale = NULL;
    ws_goal_status_t reported = WS_GOAL_TOO_EARLY;
    int rc = ws_goal_stale_check (self->sources, self->source_count, newest,
                                  as_of, NULL, &stale, err);
    if (rc == 0)
        rc = ws_goal_track_step (&self->track, NULL, self->goal, evaluation,
                                 stale, &reported, err);
    json_decref (stale);
    json_decref (evaluation);
    return rc ? -1 : (int) reported;
}

static double
s_clock (clockid_t clock)
{
    struct timespec ts;
    clock_gettime (clock, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef enum { S_READ = 0, S_EVALUATE, S_STEP, S_MODES } s_mode_t;

//  One measurement: every goal at its as_of + r days for r < rounds,
//  by one of the three ways. Counts the statuses (not for S_READ) and
//  adds the window sums to *checksum, so no work can be skipped. Returns
//  0 and the CPU and wall seconds, or -1 after printing the error.
static int
s_measure (s_case_t *cases, size_t goals, size_t rounds, int64_t start,
           s_mode_t mode, size_t *statuses, double *checksum, double *cpu,
           double *wall)
{
    //  The hysteresis state starts fresh and is carried from round to
    //  round, as the daemon carries it from one evaluation to the next.
    for (size_t g = 0; g < goals; g++)
        ws_goal_track_init (&cases[g].track);
    double cpu0 = s_clock (CLOCK_PROCESS_CPUTIME_ID);
    double wall0 = s_clock (CLOCK_MONOTONIC);
    for (size_t r = 0; r < rounds; r++)
        for (size_t g = 0; g < goals; g++) {
            int64_t as_of = start + cases[g].offset + (int64_t) r * S_DAY_MS;
            ws_err_t err;
            int status = 0;
            if (mode == S_READ)
                *checksum += s_read_window (&cases[g], as_of);
            else if (mode == S_EVALUATE)
                status = s_evaluate (&cases[g], as_of, &err);
            else
                status = s_step (&cases[g], as_of, &err);
            if (status < 0) {
                fprintf (stderr, "goals_bench: goal %zu: %s\n", g, err.text);
                return -1;
            }
            if (mode != S_READ)
                statuses[status]++;
        }
    *cpu = s_clock (CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    *wall = s_clock (CLOCK_MONOTONIC) - wall0;
    return 0;
}

static int
s_parse_size (const char *name, const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull (text ? text : "", &end, 10);
    if (!text || !*text || *end || errno || value == 0 || text[0] == '-') {
        fprintf (stderr, "goals_bench: %s '%s': expected a positive integer\n",
                 name, text ? text : "");
        return -1;
    }
    *out = (size_t) value;
    return 0;
}

static void
s_print_statuses (const char *what, const size_t *counts, size_t total)
{
    printf ("%s:", what);
    for (int s = WS_GOAL_ACHIEVED; s <= WS_GOAL_OFF_TRACK; s++)
        if (counts[s])
            printf (" %s %.1f%%", ws_goal_status_name ((ws_goal_status_t) s),
                    100.0 * (double) counts[s] / (double) total);
    printf ("\n");
}

int
main (int argc, char **argv)
{
    size_t goals = 10000, rounds = 5, repeat = 3, length = 365;
    size_t seed = 20270101;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp (arg, "--goals") == 0)
            rc = s_parse_size (arg, value, &goals), i++;
        else if (strcmp (arg, "--rounds") == 0)
            rc = s_parse_size (arg, value, &rounds), i++;
        else if (strcmp (arg, "--repeat") == 0)
            rc = s_parse_size (arg, value, &repeat), i++;
        else if (strcmp (arg, "--length") == 0)
            rc = s_parse_size (arg, value, &length), i++;
        else if (strcmp (arg, "--seed") == 0)
            rc = s_parse_size (arg, value, &seed), i++;
        else {
            fprintf (stderr, "usage: goals_bench [--goals N] [--rounds R] "
                             "[--repeat K] [--length L] [--seed S]\n");
            return 2;
        }
        if (rc)
            return 2;
    }
    //  Every as_of + the rounds stays inside the goal's time.
    if (length > 100000 || rounds >= length) {
        fprintf (stderr,
                 "goals_bench: --length %zu, --rounds %zu: expected rounds "
                 "< length <= 100000\n",
                 length, rounds);
        return 2;
    }
    if (goals > SIZE_MAX / 2 / length / sizeof (ws_goal_sample_t)) {
        fprintf (stderr, "goals_bench: --goals %zu: too many\n", goals);
        return 2;
    }
    ws_err_t err;
    int64_t start;
    if (ws_iso8601_parse (S_START, &start, &err))
        return fprintf (stderr, "goals_bench: %s\n", err.text), 1;
    char deadline_text[32];
    ws_iso8601_format (start + (int64_t) length * S_DAY_MS, deadline_text,
                       sizeof deadline_text);

    s_case_t *cases = calloc (goals, sizeof *cases);
    if (!cases) {
        fprintf (stderr, "goals_bench: out of memory for %zu goals\n", goals);
        return 1;
    }
    s_rng_t rng = {(uint64_t) seed};
    size_t points = 0;
    for (size_t g = 0; g < goals; g++) {
        s_case_t *self = &cases[g];
        self->length = length;
        self->samples = malloc (length * sizeof *self->samples);
        if (g % S_KINDS == 3)
            self->denominator = malloc (length * sizeof *self->denominator);
        if (!self->samples || (g % S_KINDS == 3 && !self->denominator)) {
            fprintf (stderr, "goals_bench: out of memory for goal %zu\n", g);
            return 1;
        }
        points += self->denominator ? 2 * length : length;
        json_t *def = s_generate (self, g, &rng, start, S_START, deadline_text);
        self->goal = def ? ws_goal_new (def, &err) : NULL;
        json_decref (def);
        if (!self->goal) {
            fprintf (stderr, "goals_bench: goal %zu: %s\n", g,
                     def ? err.text : "out of memory");
            return 1;
        }
        //  Uniform over the days that leave room for the rounds.
        self->offset =
            (int64_t) (s_rng_uniform (&rng)
                       * (double) ((int64_t) (length - rounds) * S_DAY_MS));
    }
    size_t evaluations = goals * rounds;
    printf ("goals: %zu (total, level, keep, ratio keep, total at_most in "
            "turn), %zu daily points each (%zu in all), %zu rounds a day "
            "apart: %zu evaluations per measurement, fastest of %zu runs "
            "(baseline %zu)\n",
            goals, length, points, rounds, evaluations, repeat, 5 * repeat);

    //  Each measurement runs `repeat` times and the fastest counts: the
    //  machine is shared, and the baseline, bound by memory, suffers most.
    double best_cpu[S_MODES], best_wall[S_MODES];
    double checksum = 0;
    size_t statuses[S_MODES][WS_GOAL_OFF_TRACK + 1];
    for (int mode = 0; mode < S_MODES; mode++) {
        best_cpu[mode] = best_wall[mode] = INFINITY;
        //  The baseline takes a few ms a run: five times the runs.
        size_t runs = mode == S_READ ? 5 * repeat : repeat;
        for (size_t k = 0; k < runs; k++) {
            memset (statuses[mode], 0, sizeof statuses[mode]);
            double cpu, wall;
            if (s_measure (cases, goals, rounds, start, (s_mode_t) mode,
                           statuses[mode], &checksum, &cpu, &wall))
                return 1;
            best_cpu[mode] = fmin (best_cpu[mode], cpu);
            best_wall[mode] = fmin (best_wall[mode], wall);
        }
    }
    double base_cpu = best_cpu[S_READ], eval_cpu = best_cpu[S_EVALUATE],
           step_cpu = best_cpu[S_STEP];
    double base_wall = best_wall[S_READ], eval_wall = best_wall[S_EVALUATE],
           step_wall = best_wall[S_STEP];

    s_print_statuses ("status", statuses[S_EVALUATE], evaluations);
    char label[120];
    snprintf (label, sizeof label,
              "reported_status (from a fresh state, a worse rung must hold "
              "%d evaluations)",
              WS_GOAL_TRACK_HOLD);
    s_print_statuses (label, statuses[S_STEP], evaluations);
    double n = (double) evaluations;
    printf ("read the window (baseline): %.0f evaluations/s (CPU), %.3f us "
            "each; checksum %.6g\n",
            n / base_cpu, base_cpu / n * 1e6, checksum);
    printf ("ws_goal_evaluate: %.0f evaluations/s (CPU), %.0f/s (wall), "
            "%.2f us each\n",
            n / eval_cpu, n / eval_wall, eval_cpu / n * 1e6);
    printf ("daemon step (evaluate + stale check + hysteresis): %.0f "
            "evaluations/s (CPU), %.0f/s (wall), %.2f us each\n",
            n / step_cpu, n / step_wall, step_cpu / n * 1e6);
    printf ("rate %.3f %.3f %.3f %.3f %.3f %.3f\n", n / base_cpu, n / eval_cpu,
            n / step_cpu, n / base_wall, n / eval_wall, n / step_wall);
    for (size_t g = 0; g < goals; g++) {
        ws_goal_destroy (&cases[g].goal);
        free (cases[g].samples);
        free (cases[g].denominator);
    }
    free (cases);
    return 0;
}
