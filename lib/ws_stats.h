//  ws_stats - the numerical statistics behind trends: distribution
//  functions, Mann-Kendall (with Knight's O(n log n) Kendall count), Sen's
//  slope, Pettitt's change point, least squares with prediction
//  intervals, and Holt / Holt-Winters as R's HoltWinters. Pure functions:
//  no global state, no I/O; the workers and the CLI call the same code.
//
//  Every formula follows ../shared/refdata/trend/README.md; each function
//  names the reference case that checks it (cases/NAME.json). Series are
//  arrays of finite doubles in time order; a function given a NaN or an
//  infinity returns -1 with *err naming the index, it never aborts.
#ifndef WS_STATS_H
#define WS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

//  Sen's slope keeps all n(n-1)/2 pairwise slopes in memory (8 bytes
//  each): 6000 points are 18 million pairs, 144 MB. Longer series are
//  refused with an error; roll them up to a coarser step first.
#define WS_STATS_SEN_MAX_N 6000

//  ---------------------------------------------------------------------
//  Distributions

//  Standard normal cdf Φ(z) = erfc(-z/√2)/2 (full double precision in
//  both tails, since erfc has no cancellation).
double ws_stats_normal_cdf (double z);

//  Two-sided normal p-value 2(1 − Φ(|z|)) computed as erfc(|z|/√2), so p
//  stays exact down to 1e-300 (co2_additive_fitted: p = 9e-188).
double ws_stats_normal_p (double z);

//  Normal quantile Φ⁻¹(p), Wichura's AS241 (PPND16), relative error about
//  1e-16. -INFINITY at 0, INFINITY at 1, NaN outside [0, 1].
//  Φ⁻¹(0.975) = 1.959963984540054.
double ws_stats_normal_quantile (double p);

//  Regularised incomplete beta I_x(a, b) by the continued fraction
//  (modified Lentz), with the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where
//  it converges faster. a, b > 0, 0 <= x <= 1; NaN otherwise.
double ws_stats_beta_inc (double x, double a, double b);

//  Student t cdf with df > 0 degrees of freedom (df need not be whole):
//  P(T <= t) = 1 − I_{df/(df+t²)}(df/2, 1/2)/2 for t >= 0.
double ws_stats_t_cdf (double t, double df);

//  Student t quantile: Hill's algorithm 396 for a start, then Newton steps
//  on ws_stats_t_cdf until the change is below 1e-15 relative. Exact
//  closed forms for df = 1 and 2. t_{0.975,1} = 12.706204736174707,
//  t_{0.975,10} = 2.228138851986274, t_{0.975,100} = 1.983971518523552.
double ws_stats_t_quantile (double p, double df);

//  ---------------------------------------------------------------------
//  Order statistics

//  The k-th smallest (0-based) of values[0..n-1] by quickselect
//  (median-of-three Hoare partitioning, expected O(n)). Reorders values.
//  n > 0 and k < n (asserted: a programming error otherwise).
double ws_stats_select (double *values, size_t n, size_t k);

//  Median of values[0..n-1]: the middle value, or the mean of the two
//  middle ones for even n (as numpy.median). Reorders values. NaN if n=0.
double ws_stats_median (double *values, size_t n);

//  ---------------------------------------------------------------------
//  Kendall and Mann-Kendall

//  Pair counts of Kendall's tau for (t_i, x_i), by Knight's algorithm
//  (1966): sort by (t, x), count ties in t and joint ties, merge-sort x
//  counting swaps (discordant pairs), count ties in x. O(n log n).
typedef struct {
    int64_t s;          //  Σ_{i<j} sign(t_j − t_i)·sign(x_j − x_i)
    int64_t n0;         //  n(n−1)/2
    int64_t n1;         //  pairs tied in t
    int64_t n2;         //  pairs tied in x
    int64_t n3;         //  pairs tied in both
    int64_t swaps;      //  discordant pairs
    double ties_x_var;  //  Σ_g t_g(t_g−1)(2t_g+5) over tie groups of x
} ws_kendall_t;

//  Knight's count. t may be NULL for the time order 0..n-1. Returns 0, or
//  -1 with *err when a value is not finite or memory runs out.
int ws_stats_kendall (const double *t, const double *x, size_t n,
                      ws_kendall_t *out, ws_err_t *err);

//  The same counts by the O(n²) definition, kept for the tests.
int ws_stats_kendall_naive (const double *t, const double *x, size_t n,
                            ws_kendall_t *out, ws_err_t *err);

//  The Mann-Kendall trend test of x in time order (README
//  "Mann-Kendall"; cases linear_noise_50, ties_integer_40,
//  decreasing_counts_30, white_noise_100):
//      s = Σ_{i<j} sign(x_j − x_i)
//      var_s = [n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18
//      z = (s − sign(s)) / √var_s  (continuity correction; 0 if s = 0)
//      p = erfc(|z|/√2), tau = s / √((n0 − n1)·n0)  (Kendall's tau-b)
typedef struct {
    int64_t s;
    double var_s;
    double z;
    double p;
    double tau;
} ws_mann_kendall_t;

//  Returns 0 and *out; -1 with *err when n < 3 ("fewer than 3 points"),
//  all values are equal (var_s = 0: no test, constant_10), a value is
//  not finite, or memory runs out. naive selects the O(n²) count.
int ws_stats_mann_kendall (const double *x, size_t n, ws_mann_kendall_t *out,
                           ws_err_t *err);
int ws_stats_mann_kendall_naive (const double *x, size_t n,
                                 ws_mann_kendall_t *out, ws_err_t *err);

//  Seasonal Mann-Kendall (Hirsch, Slack & Smith 1982): the series is split
//  by season[i] in 0..period-1 (e.g. the weekday); S and var_s are the
//  sums of each season's Mann-Kendall S and tie-corrected variance
//  (seasons assumed independent); z with continuity correction, p as
//  above. Seasons with fewer than 2 points add nothing. -1 with *err if
//  var_s = 0 or fewer than 2 seasons have 2 points or more.
typedef struct {
    int64_t s;
    double var_s;
    double z;
    double p;
    size_t period;
    size_t seasons_used;  //  seasons with at least 2 points
} ws_seasonal_mann_kendall_t;

int ws_stats_seasonal_mann_kendall (const double *x, const size_t *season,
                                    size_t n, size_t period,
                                    ws_seasonal_mann_kendall_t *out,
                                    ws_err_t *err);

//  ---------------------------------------------------------------------
//  Sen's slope (README "Sen's slope"; every case, constant_10 included)

//  slope = median of (x_j − x_i)/(t_j − t_i) over pairs with t_i != t_j;
//  intercept = median(x) − slope·median(t); interval (Sen 1968, eq. 2.6)
//  with σ² = [n(n−1)(2n+5) − Σ ties of x − Σ ties of t] / 18,
//  z = Φ⁻¹((1 + confidence)/2), 0-based indices into the N sorted slopes
//  low = max(round((N − zσ)/2) − 1, 0), high = min(round((N + zσ)/2),
//  N − 1), rounding half to even (as numpy.round). Quickselect, not a
//  sort: three order statistics (four for an even median).
typedef struct {
    double slope;
    double intercept;
    double slope_low;
    double slope_high;
    double confidence;
    size_t pairs;  //  N
} ws_sen_t;

//  Returns 0, or -1 with *err for n < 2, n > WS_STATS_SEN_MAX_N, all t
//  equal, a value not finite, or out of memory.
int ws_stats_sen (const double *t, const double *x, size_t n, double confidence,
                  ws_sen_t *out, ws_err_t *err);

//  ---------------------------------------------------------------------
//  Pettitt's change point (README "Pettitt"; step_up_60, ties_integer_40)

//  With mid-ranks r_i, U_k = 2 Σ_{i<=k} r_i − k(n+1); u = max |U_k|,
//  index = first k reaching it (1-based: the last point before the
//  change), p = min(1, 2 exp(−6u²/(n³ + n²))); means of x[1..index] and
//  x[index+1..n]. Beside it, the best single split by least squares: the
//  k in 1..n-1 that minimises the SSE of the two segment means (first
//  minimum on ties).
typedef struct {
    double u;
    size_t index;  //  1-based
    double p;
    double mean_before;
    double mean_after;
    size_t split_index;  //  1-based, least squares
    double split_sse;
    double split_mean_before;
    double split_mean_after;
} ws_pettitt_t;

//  Returns 0, or -1 with *err for n < 3, all values equal (no change
//  point to find), a value not finite, or out of memory.
int ws_stats_pettitt (const double *x, size_t n, ws_pettitt_t *out,
                      ws_err_t *err);

//  ---------------------------------------------------------------------
//  Least squares (README "Least squares"; every case)

//  x on t with an intercept, from centred sums (t̄, Sxx, Sxy):
//  r2 = 1 − SSE/SST (NaN when SST = 0), residual_se = √(SSE/(n−2)),
//  slope_se = residual_se/√Sxx.
typedef struct {
    double slope;
    double intercept;
    double r2;
    double residual_se;
    double slope_se;
    size_t n;
    double t_mean;
    double sxx;
} ws_ols_t;

//  Returns 0, or -1 with *err for n < 3, all t equal, a value not finite.
int ws_stats_ols (const double *t, const double *x, size_t n, ws_ols_t *out,
                  ws_err_t *err);

//  Prediction at t_star with an interval as R's predict.lm(interval =
//  "prediction"): mean ± t_{(1+confidence)/2, n−2} · residual_se ·
//  √(1 + 1/n + (t_star − t̄)²/Sxx).
void ws_stats_ols_predict (const ws_ols_t *self, double t_star,
                           double confidence, double *mean, double *low,
                           double *high);

//  ---------------------------------------------------------------------
//  Holt / Holt-Winters, exactly as R's HoltWinters (README "Holt /
//  Holt-Winters"; holt_fixed_60, holt_fitted_60, hw_additive_fixed_72,
//  hw_multiplicative_fixed_96, co2_additive_fitted, daily_weekly_fitted)

typedef enum {
    WS_HW_NONE = 0,  //  Holt's linear method, no season
    WS_HW_ADDITIVE,
    WS_HW_MULTIPLICATIVE
} ws_hw_seasonal_t;

typedef struct {
    ws_hw_seasonal_t seasonal;
    size_t period;  //  1 for WS_HW_NONE
    double alpha;
    double beta;
    double gamma;  //  0 for WS_HW_NONE
    bool fitted;   //  some parameter was fitted by minimising sse
    double level;
    double trend;
    double *season;       //  owns; period values, first = next point's
    double sse;           //  Σ one-step errors²
    double residual_var;  //  variance of the one-step errors (n−1)
    size_t residuals;     //  number of one-step errors
} ws_holt_winters_t;

//  Run (and fit) the model on x. alpha, beta, gamma in [0, 1], or NaN to
//  fit that parameter by minimising sse over [0, 1] (projected BFGS with
//  numerical gradients from a grid of starts; R uses L-BFGS-B from 0.3,
//  0.1, 0.1). gamma is ignored for WS_HW_NONE. Needs n >= 4 (none) or n
//  >= 2·period with period >= 2 (seasonal); multiplicative needs x and
//  the start trend non-zero. Returns 0 and *out (free its season with
//  ws_stats_holt_winters_clear), or -1 with *err saying why.
int ws_stats_holt_winters (const double *x, size_t n, ws_hw_seasonal_t seasonal,
                           size_t period, double alpha, double beta,
                           double gamma, ws_holt_winters_t *out, ws_err_t *err);

//  The SSE of one run with given parameters (what the fit minimises).
//  NaN when the input cannot make a model (as ws_stats_holt_winters).
double ws_stats_holt_winters_sse (const double *x, size_t n,
                                  ws_hw_seasonal_t seasonal, size_t period,
                                  double alpha, double beta, double gamma);

//  Forecast h >= 1 steps ahead: level + h·trend + season[(h−1) mod f]
//  (or times the season). low/high as R's predict.HoltWinters: mean ±
//  Φ⁻¹((1+confidence)/2)·√(v·(1 + Σ_{j=1}^{h−1} ψ_j²)) with ψ_j = α(1 +
//  jβ) + [j mod f = 0]·γ(1 − α); NaN for multiplicative models.
void ws_stats_holt_winters_forecast (const ws_holt_winters_t *self, size_t h,
                                     double confidence, double *mean,
                                     double *low, double *high);

//  Free the season array. Safe on a zeroed struct and on repeat.
void ws_stats_holt_winters_clear (ws_holt_winters_t *self);

//  ---------------------------------------------------------------------
//  Helpers

//  Sample autocorrelation at lag k: Σ(x_i − x̄)(x_{i+k} − x̄) / Σ(x_i −
//  x̄)². NaN if k >= n or the series is constant.
double ws_stats_autocorrelation (const double *x, size_t n, size_t lag);

#endif
