//  test_ws_stats - the statistics against R/SciPy reference values
//  ($WATERSHED_REFDATA/trend/cases), against their O(n²) definitions on
//  random series with ties (fixed seed), and on bad input.
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "ws_csv.h"
#include "ws_stats.h"
#include "ws_test_common.h"

//  ---------------------------------------------------------------------
//  Helpers

//  splitmix64: a fixed-seed generator local to each test.
static uint64_t
s_next (uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double
s_uniform (uint64_t *state)
{
    return (double) (s_next (state) >> 11) / 9007199254740992.0;
}

static double
s_gauss (uint64_t *state)
{
    double u = s_uniform (state), v = s_uniform (state);
    return sqrt (-2 * log (u + 1e-300)) * cos (2 * M_PI * v);
}

static void
s_assert_close (double got, double want, double rel, const char *what)
{
    double diff = fabs (got - want);
    if (!(diff <= rel * fabs (want) + 1e-300)) {
        fail_msg ("%s: got %.17g, want %.17g (rel diff %.3g > %.3g)", what, got,
                  want, diff / fabs (want), rel);
    }
}

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

//  ---------------------------------------------------------------------
//  Distributions

static void
test_normal (void **state)
{
    (void) state;
    s_assert_close (ws_stats_normal_quantile (0.975), 1.959963984540054, 1e-15,
                    "Φ⁻¹(0.975)");
    s_assert_close (ws_stats_normal_quantile (0.025), -1.959963984540054, 1e-15,
                    "Φ⁻¹(0.025)");
    //  R: qnorm(0.8) and qnorm(1e-10), qnorm(1e-300)
    s_assert_close (ws_stats_normal_quantile (0.8), 0.8416212335729143, 1e-15,
                    "Φ⁻¹(0.8)");
    s_assert_close (ws_stats_normal_quantile (1e-10), -6.361340902404056, 1e-14,
                    "Φ⁻¹(1e-10)");
    //  (1e-300: by bisection on erfc, which is exact to rounding there)
    s_assert_close (ws_stats_normal_quantile (1e-300), -37.0470962993612, 1e-12,
                    "Φ⁻¹(1e-300)");
    assert_true (ws_stats_normal_quantile (0.5) == 0);
    assert_true (isinf (ws_stats_normal_quantile (0)));
    assert_true (isinf (ws_stats_normal_quantile (1)));
    assert_true (isnan (ws_stats_normal_quantile (1.5)));
    assert_true (isnan (ws_stats_normal_quantile (NAN)));
    //  Φ and Φ⁻¹ invert each other across the range.
    for (double p = 1e-12; p < 1; p = p < 0.01 ? p * 10 : p + 0.01) {
        double z = ws_stats_normal_quantile (p);
        s_assert_close (ws_stats_normal_cdf (z), p, 1e-13, "Φ(Φ⁻¹(p))");
    }
    //  Two-sided p down to 1e-300 without underflowing to 0.
    s_assert_close (ws_stats_normal_p (1.959963984540054), 0.05, 1e-14,
                    "p(1.96)");
    double tiny = ws_stats_normal_p (-37);
    assert_true (tiny > 0 && tiny < 1e-298);
    s_assert_close (ws_stats_normal_p (-37), 2 * 0.5 * erfc (37 / M_SQRT2),
                    1e-15, "p(37)");
    assert_true (ws_stats_normal_p (0) == 1);
}

static void
test_t_quantile (void **state)
{
    (void) state;
    s_assert_close (ws_stats_t_quantile (0.975, 1), 12.706204736174707, 1e-13,
                    "t(0.975, 1)");
    s_assert_close (ws_stats_t_quantile (0.975, 10), 2.228138851986274, 1e-13,
                    "t(0.975, 10)");
    s_assert_close (ws_stats_t_quantile (0.975, 100), 1.983971518523552, 1e-13,
                    "t(0.975, 100)");
    //  qt(0.975, df) for df 2, 3, 5, 30 (df 3 checked with 60-digit
    //  arithmetic on its closed-form cdf)
    s_assert_close (ws_stats_t_quantile (0.975, 2), 4.302652729749464, 1e-13,
                    "t(0.975, 2)");
    s_assert_close (ws_stats_t_quantile (0.975, 3), 3.182446305283710, 1e-13,
                    "t(0.975, 3)");
    s_assert_close (ws_stats_t_quantile (0.975, 5), 2.570581835636314, 1e-13,
                    "t(0.975, 5)");
    s_assert_close (ws_stats_t_quantile (0.975, 30), 2.042272456301238, 1e-13,
                    "t(0.975, 30)");
    s_assert_close (ws_stats_t_quantile (0.025, 10), -2.228138851986274, 1e-13,
                    "t(0.025, 10)");
    //  Very large df: the normal quantile plus (z³ + z)/(4 df).
    double z = 1.959963984540054;
    s_assert_close (ws_stats_t_quantile (0.975, 1e9), z + (z * z * z + z) / 4e9,
                    1e-15, "t(0.975, 1e9)");
    assert_true (ws_stats_t_quantile (0.5, 7) == 0);
    assert_true (isnan (ws_stats_t_quantile (0.9, 0)));
    assert_true (isnan (ws_stats_t_quantile (-0.1, 3)));
    //  cdf(quantile(p)) = p for whole and fractional df, both tails.
    static const double dfs[] = {1, 1.5, 2, 3, 4, 7, 12.5, 29, 58, 466, 5e4};
    static const double ps[] = {1e-8, 0.001, 0.025, 0.1,   0.3,
                                0.6,  0.9,   0.975, 0.995, 0.9999};
    for (size_t i = 0; i < sizeof dfs / sizeof dfs[0]; i++)
        for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++) {
            double q = ws_stats_t_quantile (ps[j], dfs[i]);
            char what[64];
            snprintf (what, sizeof what, "t cdf(quantile(%g, df %g))", ps[j],
                      dfs[i]);
            s_assert_close (ws_stats_t_cdf (q, dfs[i]), ps[j], 1e-11, what);
        }
    //  Regularised incomplete beta: I_x(1,1) = x, I_x(2,3) in closed form.
    s_assert_close (ws_stats_beta_inc (0.3, 1, 1), 0.3, 1e-15, "I(1,1)");
    double x = 0.4;  //  I_x(2,3) = 6x² − 8x³ + 3x⁴
    s_assert_close (ws_stats_beta_inc (x, 2, 3),
                    6 * x * x - 8 * x * x * x + 3 * x * x * x * x, 1e-14,
                    "I(2,3)");
    assert_true (isnan (ws_stats_beta_inc (0.5, -1, 2)));
}

//  ---------------------------------------------------------------------
//  Order statistics

static void
test_select (void **state)
{
    (void) state;
    uint64_t rng = 42;
    double values[501], sorted[501];
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + s_next (&rng) % 500;
        int levels = 1 + (int) (s_next (&rng) % 20);  //  many ties
        for (size_t i = 0; i < n; i++)
            sorted[i] = (double) (s_next (&rng) % (uint64_t) levels);
        qsort (sorted, n, sizeof *sorted, s_compare_double);
        size_t k = s_next (&rng) % n;
        memcpy (values, sorted, n * sizeof *values);
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = s_next (&rng) % (i + 1);
            double tmp = values[i];
            values[i] = values[j];
            values[j] = tmp;
        }
        assert_true (ws_stats_select (values, n, k) == sorted[k]);
        double median =
            n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        assert_true (ws_stats_median (values, n) == median);
    }
    assert_true (isnan (ws_stats_median (values, 0)));
}

//  ---------------------------------------------------------------------
//  Kendall: Knight against the definition

static void
test_kendall_knight_vs_naive (void **state)
{
    (void) state;
    uint64_t rng = 20270302;
    double t[400], x[400];
    for (int round = 0; round < 3000; round++) {
        size_t n = s_next (&rng) % 400;
        int x_levels = 1 + (int) (s_next (&rng) % 30);
        int t_levels = 1 + (int) (s_next (&rng) % 400);
        for (size_t i = 0; i < n; i++) {
            x[i] = (double) (s_next (&rng) % (uint64_t) x_levels) - 7.5;
            t[i] = (double) (s_next (&rng) % (uint64_t) t_levels);
        }
        for (int with_t = 0; with_t < 2; with_t++) {
            ws_kendall_t fast, slow;
            const double *tt = with_t ? t : NULL;
            assert_int_equal (ws_stats_kendall (tt, x, n, &fast, NULL), 0);
            assert_int_equal (ws_stats_kendall_naive (tt, x, n, &slow, NULL),
                              0);
            assert_int_equal (fast.s, slow.s);
            assert_int_equal (fast.n0, slow.n0);
            assert_int_equal (fast.n1, slow.n1);
            assert_int_equal (fast.n2, slow.n2);
            assert_int_equal (fast.n3, slow.n3);
            assert_int_equal (fast.swaps, slow.swaps);
            assert_true (fast.ties_x_var == slow.ties_x_var);
        }
        if (n >= 3) {
            ws_mann_kendall_t fast, slow;
            int a = ws_stats_mann_kendall (x, n, &fast, NULL);
            int b = ws_stats_mann_kendall_naive (x, n, &slow, NULL);
            assert_int_equal (a, b);
            if (a == 0) {
                assert_int_equal (fast.s, slow.s);
                assert_true (fast.var_s == slow.var_s);
                assert_true (fast.z == slow.z && fast.p == slow.p
                             && fast.tau == slow.tau);
            }
        }
    }
}

//  Mann-Kendall by the README's formulas, straight from the definition.
static void
test_mann_kendall_formulas (void **state)
{
    (void) state;
    //  1 2 2 3 1: s = Σ sign(x_j − x_i)
    double x[] = {1, 2, 2, 3, 1};
    ws_mann_kendall_t mk;
    assert_int_equal (ws_stats_mann_kendall (x, 5, &mk, NULL), 0);
    //  pairs: (1,2)+ (1,2)+ (1,3)+ (1,1)0 (2,2)0 (2,3)+ (2,1)- (2,3)+
    //  (2,1)- (3,1)-  => s = 5 − 3 = 2
    assert_int_equal (mk.s, 2);
    //  ties: two groups of 2: 2·(2·1·9) = 36; n(n−1)(2n+5) = 300
    s_assert_close (mk.var_s, (300.0 - 36) / 18, 1e-15, "var_s");
    s_assert_close (mk.z, 1 / sqrt (mk.var_s), 1e-15, "z");
    s_assert_close (mk.p, erfc (mk.z / M_SQRT2), 1e-15, "p");
    s_assert_close (mk.tau, 2 / sqrt ((10.0 - 2) * 10), 1e-15, "tau");
    double down[] = {5, 4, 3, 2, 1, 0};
    assert_int_equal (ws_stats_mann_kendall (down, 6, &mk, NULL), 0);
    assert_int_equal (mk.s, -15);
    s_assert_close (mk.tau, -1, 1e-15, "tau = -1");
}

static void
test_seasonal_mann_kendall (void **state)
{
    (void) state;
    uint64_t rng = 7;
    double x[70];
    size_t season[70];
    for (size_t i = 0; i < 70; i++) {
        season[i] = i % 7;
        x[i] = 10 * (double) (i % 7) + 0.05 * (double) i
               + (double) (s_next (&rng) % 3);
    }
    ws_seasonal_mann_kendall_t smk;
    assert_int_equal (
        ws_stats_seasonal_mann_kendall (x, season, 70, 7, &smk, NULL), 0);
    //  The sum of each weekday's own Mann-Kendall S and variance.
    int64_t s = 0;
    double var = 0;
    for (size_t d = 0; d < 7; d++) {
        double part[10];
        for (size_t k = 0; k < 10; k++)
            part[k] = x[d + 7 * k];
        ws_mann_kendall_t mk;
        assert_int_equal (ws_stats_mann_kendall_naive (part, 10, &mk, NULL), 0);
        s += mk.s;
        var += mk.var_s;
    }
    assert_int_equal (smk.s, s);
    s_assert_close (smk.var_s, var, 1e-14, "seasonal var_s");
    s_assert_close (smk.z, (double) (s - 1) / sqrt (var), 1e-14, "seasonal z");
    assert_int_equal (smk.seasons_used, 7);
    ws_err_t err;
    assert_int_equal (
        ws_stats_seasonal_mann_kendall (x, season, 70, 1, &smk, &err), -1);
    assert_non_null (strstr (err.text, "period"));
}

//  ---------------------------------------------------------------------
//  Sen, Pettitt, least squares against their definitions

static void
test_sen_vs_sort (void **state)
{
    (void) state;
    uint64_t rng = 99;
    double t[120], x[120], slopes[120 * 119 / 2], copy[120];
    for (int round = 0; round < 200; round++) {
        size_t n = 2 + s_next (&rng) % 119;
        double now = 0;
        for (size_t i = 0; i < n; i++) {
            now += 1 + (double) (s_next (&rng) % 3);  //  uneven spacing
            t[i] = now;
            x[i] = (double) (s_next (&rng) % 12) + 0.1 * (double) i;
        }
        ws_sen_t sen;
        assert_int_equal (ws_stats_sen (t, x, n, 0.95, &sen, NULL), 0);
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                slopes[count++] = (x[j] - x[i]) / (t[j] - t[i]);
        qsort (slopes, count, sizeof *slopes, s_compare_double);
        double median = count % 2
                            ? slopes[count / 2]
                            : (slopes[count / 2 - 1] + slopes[count / 2]) / 2;
        assert_true (sen.slope == median);
        assert_int_equal (sen.pairs, count);
        //  σ² with ties of x (t has none here), indices rounded half even
        memcpy (copy, x, n * sizeof *copy);
        qsort (copy, n, sizeof *copy, s_compare_double);
        double ties = 0;
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && copy[j] == copy[i])
                j++;
            double g = (double) (j - i);
            ties += g * (g - 1) * (2 * g + 5);
            i = j;
        }
        double dn = (double) n;
        double sigma = sqrt ((dn * (dn - 1) * (2 * dn + 5) - ties) / 18);
        double z = 1.959963984540054;
        double lo = nearbyint (((double) count - z * sigma) / 2) - 1;
        double hi = nearbyint (((double) count + z * sigma) / 2);
        size_t low = lo < 0 ? 0 : (size_t) lo;
        size_t high = hi > (double) (count - 1) ? count - 1 : (size_t) hi;
        assert_true (sen.slope_low == slopes[low]);
        assert_true (sen.slope_high == slopes[high]);
    }
    //  Round half to even: N = 45 pairs and σ = 0 give (45/2) = 22.5 → 22.
    double flat_t[10], flat_x[10];
    for (int i = 0; i < 10; i++) {
        flat_t[i] = i;
        flat_x[i] = 5;
    }
    ws_sen_t sen;
    assert_int_equal (ws_stats_sen (flat_t, flat_x, 10, 0.95, &sen, NULL), 0);
    assert_true (sen.slope == 0 && sen.intercept == 5);
}

static void
test_pettitt_vs_definition (void **state)
{
    (void) state;
    uint64_t rng = 1234;
    double x[150];
    for (int round = 0; round < 300; round++) {
        size_t n = 3 + s_next (&rng) % 148;
        size_t shift = s_next (&rng) % n;
        for (size_t i = 0; i < n; i++)
            x[i] = (double) (s_next (&rng) % 6) + (i >= shift ? 2 : 0);
        //  U_k = Σ_{i<=k} Σ_{j>k} sign(x_i − x_j)
        int64_t best = -1;
        size_t best_k = 0;
        for (size_t k = 1; k <= n; k++) {
            int64_t u = 0;
            for (size_t i = 0; i < k; i++)
                for (size_t j = k; j < n; j++)
                    u += (x[i] > x[j]) - (x[i] < x[j]);
            if (llabs (u) > best) {
                best = llabs (u);
                best_k = k;
            }
        }
        ws_pettitt_t pettitt;
        ws_err_t err;
        int rc = ws_stats_pettitt (x, n, &pettitt, &err);
        bool constant = true;
        for (size_t i = 1; i < n; i++)
            constant = constant && x[i] == x[0];
        if (constant) {
            assert_int_equal (rc, -1);
            continue;
        }
        assert_int_equal (rc, 0);
        assert_true (pettitt.u == (double) best);
        assert_int_equal (pettitt.index, best_k);
        double dn = (double) n;
        double p = 2
                   * exp (-6.0 * (double) best * (double) best
                          / (dn * dn * dn + dn * dn));
        s_assert_close (pettitt.p, p < 1 ? p : 1, 1e-14, "pettitt p");
        //  Least-squares split: no k has a smaller SSE.
        for (size_t k = 1; k < n; k++) {
            double a = 0, b = 0, sse = 0;
            for (size_t i = 0; i < k; i++)
                a += x[i];
            for (size_t i = k; i < n; i++)
                b += x[i];
            a /= (double) k;
            b /= (double) (n - k);
            for (size_t i = 0; i < n; i++)
                sse += (x[i] - (i < k ? a : b)) * (x[i] - (i < k ? a : b));
            assert_true (pettitt.split_sse <= sse * (1 + 1e-12) + 1e-12);
        }
    }
}

static void
test_ols_line (void **state)
{
    (void) state;
    //  An exact line: slope 2, intercept −1, no error.
    double t[] = {1, 2, 4, 8}, x[] = {1, 3, 7, 15};
    ws_ols_t ols;
    assert_int_equal (ws_stats_ols (t, x, 4, &ols, NULL), 0);
    s_assert_close (ols.slope, 2, 1e-15, "slope");
    s_assert_close (ols.intercept, -1, 1e-15, "intercept");
    s_assert_close (ols.r2, 1, 1e-15, "r2");
    assert_true (ols.residual_se < 1e-14);
    double mean, low, high;
    ws_stats_ols_predict (&ols, 10, 0.95, &mean, &low, &high);
    s_assert_close (mean, 19, 1e-14, "prediction");
    assert_true (high - low < 1e-12);
}

//  ---------------------------------------------------------------------
//  Bad input: never a crash, always -1 and a reason naming the method

static void
test_bad_input (void **state)
{
    (void) state;
    double t[] = {1, 2, 3, 4, 5}, x[] = {1, 2, NAN, 4, 5};
    double fine[] = {3, 1, 2, 5, 4};
    ws_err_t err;
    ws_mann_kendall_t mk;
    ws_sen_t sen;
    ws_pettitt_t pettitt;
    ws_ols_t ols;
    ws_holt_winters_t hw;
    for (size_t n = 0; n < 3; n++) {
        assert_int_equal (ws_stats_mann_kendall (fine, n, &mk, &err), -1);
        assert_non_null (strstr (err.text, "Mann-Kendall"));
        assert_int_equal (ws_stats_pettitt (fine, n, &pettitt, &err), -1);
        assert_non_null (strstr (err.text, "Pettitt"));
        assert_int_equal (ws_stats_ols (t, fine, n, &ols, &err), -1);
        assert_non_null (strstr (err.text, "least squares"));
        assert_int_equal (ws_stats_holt_winters (fine, n, WS_HW_NONE, 1, NAN,
                                                 NAN, NAN, &hw, &err),
                          -1);
        assert_non_null (strstr (err.text, "Holt"));
    }
    assert_int_equal (ws_stats_sen (t, fine, 1, 0.95, &sen, &err), -1);
    assert_int_equal (ws_stats_sen (t, fine, 2, 0.95, &sen, &err), 0);
    s_assert_close (sen.slope, -2, 1e-15, "two-point slope");
    //  NaN named by index
    assert_int_equal (ws_stats_mann_kendall (x, 5, &mk, &err), -1);
    assert_non_null (strstr (err.text, "x[2]"));
    assert_int_equal (ws_stats_sen (t, x, 5, 0.95, &sen, &err), -1);
    assert_non_null (strstr (err.text, "x[2]"));
    assert_int_equal (ws_stats_pettitt (x, 5, &pettitt, &err), -1);
    assert_int_equal (ws_stats_ols (t, x, 5, &ols, &err), -1);
    assert_int_equal (
        ws_stats_holt_winters (x, 5, WS_HW_NONE, 1, 0.5, 0.5, NAN, &hw, &err),
        -1);
    double inf[] = {1, INFINITY, 3};
    assert_int_equal (ws_stats_mann_kendall (inf, 3, &mk, &err), -1);
    //  Constant series: no Mann-Kendall, no Pettitt, Sen's slope 0.
    double flat[] = {4, 4, 4, 4, 4};
    assert_int_equal (ws_stats_mann_kendall (flat, 5, &mk, &err), -1);
    assert_non_null (strstr (err.text, "equal"));
    assert_int_equal (ws_stats_pettitt (flat, 5, &pettitt, &err), -1);
    assert_int_equal (ws_stats_sen (t, flat, 5, 0.95, &sen, &err), 0);
    assert_true (sen.slope == 0 && sen.intercept == 4);
    assert_int_equal (ws_stats_ols (t, flat, 5, &ols, &err), 0);
    assert_true (isnan (ols.r2));
    //  Holt-Winters: parameters out of range, too short, zero values.
    assert_int_equal (ws_stats_holt_winters (fine, 5, WS_HW_NONE, 1, 1.5, 0.1,
                                             NAN, &hw, &err),
                      -1);
    assert_non_null (strstr (err.text, "[0, 1]"));
    assert_int_equal (ws_stats_holt_winters (fine, 5, WS_HW_ADDITIVE, 3, 0.5,
                                             0.1, 0.1, &hw, &err),
                      -1);
    assert_non_null (strstr (err.text, "two periods"));
    double zero[] = {1, 2, 0, 4, 5, 6, 7, 8};
    assert_int_equal (ws_stats_holt_winters (zero, 8, WS_HW_MULTIPLICATIVE, 2,
                                             0.5, 0.1, 0.1, &hw, &err),
                      -1);
    assert_non_null (strstr (err.text, "is 0"));
    assert_int_equal (ws_stats_holt_winters (fine, 5, WS_HW_ADDITIVE, 1, 0.5,
                                             0.1, 0.1, &hw, &err),
                      -1);
    //  Sen refuses what it cannot hold.
    static double big[WS_STATS_SEN_MAX_N + 1];
    assert_int_equal (
        ws_stats_sen (big, big, WS_STATS_SEN_MAX_N + 1, 0.95, &sen, &err), -1);
    assert_non_null (strstr (err.text, "coarser"));
    ws_stats_holt_winters_clear (&hw);
}

//  ---------------------------------------------------------------------
//  Holt-Winters: the fit is a minimum

static void
test_holt_winters_fit_is_minimum (void **state)
{
    (void) state;
    uint64_t rng = 555;
    double x[96];
    static const ws_hw_seasonal_t kinds[] = {WS_HW_NONE, WS_HW_ADDITIVE,
                                             WS_HW_MULTIPLICATIVE};
    for (int round = 0; round < 6; round++) {
        ws_hw_seasonal_t kind = kinds[round % 3];
        size_t f = kind == WS_HW_NONE ? 1 : 12;
        for (size_t i = 0; i < 96; i++)
            x[i] = 100 + 0.4 * (double) i
                   + (kind == WS_HW_NONE ? 0
                                         : 8 * sin (2 * M_PI * (double) i / 12))
                   + 3 * s_gauss (&rng);
        ws_holt_winters_t hw;
        assert_int_equal (
            ws_stats_holt_winters (x, 96, kind, f, NAN, NAN, NAN, &hw, NULL),
            0);
        assert_true (hw.fitted);
        s_assert_close (ws_stats_holt_winters_sse (x, 96, kind, f, hw.alpha,
                                                   hw.beta, hw.gamma),
                        hw.sse, 1e-14, "sse of the fitted parameters");
        //  No point of a 11^k grid does better.
        for (int a = 0; a <= 10; a++)
            for (int b = 0; b <= 10; b++)
                for (int g = 0; g <= (kind == WS_HW_NONE ? 0 : 10); g++) {
                    double sse = ws_stats_holt_winters_sse (
                        x, 96, kind, f, a / 10.0, b / 10.0, g / 10.0);
                    assert_true (hw.sse <= sse * (1 + 1e-9));
                }
        ws_stats_holt_winters_clear (&hw);
        ws_stats_holt_winters_clear (&hw);  //  safe on repeat
    }
}

//  ---------------------------------------------------------------------
//  Reference cases

typedef struct {
    const char *name;
    const json_t *tolerance;  //  the case's "tolerance" object
    int failures;
} s_case_t;

//  The tolerance of a field path ("holt_winters.forecast[].mean"): its
//  own entry, else its parent's, else the default (check-cli's rule).
static const json_t *
s_tolerance (const s_case_t *c, const char *path)
{
    const json_t *fields = json_object_get (c->tolerance, "fields");
    char key[128];
    snprintf (key, sizeof key, "%s", path);
    while (*key) {
        const json_t *entry = json_object_get (fields, key);
        if (entry)
            return entry;
        char *dot = strrchr (key, '.');
        if (!dot)
            break;
        *dot = '\0';
    }
    return json_object_get (c->tolerance, "default");
}

//  Compare got with the expected value per the README: integers exact,
//  other numbers within abs + rel·|expected| or at_most_rel.
static void
s_check (s_case_t *c, const char *path, const json_t *expected, double got)
{
    if (!expected)
        return;  //  the case does not fix this field
    bool ok;
    double want = json_number_value (expected);
    if (json_is_integer (expected))
        ok = got == want;
    else {
        const json_t *tol = s_tolerance (c, path);
        const json_t *at_most = json_object_get (tol, "at_most_rel");
        if (at_most)
            ok = got <= want * (1 + json_number_value (at_most)) + 1e-12;
        else {
            double abs_tol = json_number_value (json_object_get (tol, "abs"));
            double rel_tol = json_number_value (json_object_get (tol, "rel"));
            ok = isfinite (got)
                 && fabs (got - want) <= abs_tol + rel_tol * fabs (want);
        }
    }
    if (!ok) {
        c->failures++;
        print_error ("%s: %s: expected %.17g, got %.17g\n", c->name, path, want,
                     got);
    }
}

#define S_GET(object, key) json_object_get ((object), (key))

static void
s_run_case (const char *folder, const char *name)
{
    char path[512];
    snprintf (path, sizeof path, "%s/%s.json", folder, name);
    json_error_t jerr;
    json_t *root = json_load_file (path, 0, &jerr);
    if (!root)
        fail_msg ("%s: %s", path, jerr.text);
    s_case_t c = {name, S_GET (root, "tolerance"), 0};
    const json_t *expected = S_GET (root, "expected");
    snprintf (path, sizeof path, "%s/%s.csv", folder, name);
    ws_csv_series_t series;
    ws_err_t err;
    if (ws_csv_read (&series, path, &err))
        fail_msg ("%s", err.text);
    //  The case's arguments.
    size_t horizon = 1, season = 0;
    double par[3] = {NAN, NAN, NAN};
    ws_hw_seasonal_t seasonal = WS_HW_NONE;
    bool holt = false;
    const json_t *args = S_GET (root, "args");
    for (size_t i = 0; i + 1 < json_array_size (args); i += 2) {
        const char *option = json_string_value (json_array_get (args, i));
        const char *value = json_string_value (json_array_get (args, i + 1));
        if (strcmp (option, "--horizon") == 0)
            horizon = (size_t) atoi (value);
        else if (strcmp (option, "--season") == 0)
            season = (size_t) atoi (value);
        else if (strcmp (option, "--seasonal") == 0) {
            holt = true;
            seasonal = strcmp (value, "none") == 0       ? WS_HW_NONE
                       : strcmp (value, "additive") == 0 ? WS_HW_ADDITIVE
                                                         : WS_HW_MULTIPLICATIVE;
        }
        else if (strcmp (option, "--alpha") == 0)
            par[0] = atof (value);
        else if (strcmp (option, "--beta") == 0)
            par[1] = atof (value);
        else if (strcmp (option, "--gamma") == 0)
            par[2] = atof (value);
        else
            fail_msg ("%s: unknown argument %s", name, option);
    }
    const double *t = series.t, *x = series.value;
    size_t n = series.n;
    s_check (&c, "n", S_GET (expected, "n"), (double) n);

    const json_t *e = S_GET (expected, "mann_kendall");
    ws_mann_kendall_t mk;
    int rc = ws_stats_mann_kendall (x, n, &mk, &err);
    if (json_is_null (e))
        assert_int_equal (rc, -1);
    else if (e) {
        assert_int_equal (rc, 0);
        s_check (&c, "mann_kendall.s", S_GET (e, "s"), (double) mk.s);
        s_check (&c, "mann_kendall.var_s", S_GET (e, "var_s"), mk.var_s);
        s_check (&c, "mann_kendall.z", S_GET (e, "z"), mk.z);
        s_check (&c, "mann_kendall.p", S_GET (e, "p"), mk.p);
        s_check (&c, "mann_kendall.tau", S_GET (e, "tau"), mk.tau);
    }

    e = S_GET (expected, "sen");
    ws_sen_t sen;
    rc = ws_stats_sen (t, x, n, 0.95, &sen, &err);
    if (json_is_null (e))
        assert_int_equal (rc, -1);
    else if (e) {
        assert_int_equal (rc, 0);
        s_check (&c, "sen.slope", S_GET (e, "slope"), sen.slope);
        s_check (&c, "sen.intercept", S_GET (e, "intercept"), sen.intercept);
        s_check (&c, "sen.slope_low", S_GET (e, "slope_low"), sen.slope_low);
        s_check (&c, "sen.slope_high", S_GET (e, "slope_high"), sen.slope_high);
        s_check (&c, "sen.confidence", S_GET (e, "confidence"), sen.confidence);
    }

    e = S_GET (expected, "pettitt");
    ws_pettitt_t pettitt;
    rc = ws_stats_pettitt (x, n, &pettitt, &err);
    if (json_is_null (e))
        assert_int_equal (rc, -1);
    else if (e) {
        assert_int_equal (rc, 0);
        s_check (&c, "pettitt.u", S_GET (e, "u"), pettitt.u);
        s_check (&c, "pettitt.index", S_GET (e, "index"),
                 (double) pettitt.index);
        s_check (&c, "pettitt.t", S_GET (e, "t"), t[pettitt.index - 1]);
        s_check (&c, "pettitt.p", S_GET (e, "p"), pettitt.p);
        s_check (&c, "pettitt.mean_before", S_GET (e, "mean_before"),
                 pettitt.mean_before);
        s_check (&c, "pettitt.mean_after", S_GET (e, "mean_after"),
                 pettitt.mean_after);
    }

    double step = n > 1 ? (t[n - 1] - t[0]) / (double) (n - 1) : NAN;
    e = S_GET (expected, "ols");
    ws_ols_t ols;
    rc = ws_stats_ols (t, x, n, &ols, &err);
    if (json_is_null (e))
        assert_int_equal (rc, -1);
    else if (e) {
        assert_int_equal (rc, 0);
        s_check (&c, "ols.slope", S_GET (e, "slope"), ols.slope);
        s_check (&c, "ols.intercept", S_GET (e, "intercept"), ols.intercept);
        s_check (&c, "ols.r2", S_GET (e, "r2"), ols.r2);
        s_check (&c, "ols.slope_se", S_GET (e, "slope_se"), ols.slope_se);
        s_check (&c, "ols.residual_se", S_GET (e, "residual_se"),
                 ols.residual_se);
        const json_t *forecast = S_GET (e, "forecast");
        if (forecast)
            assert_int_equal (json_array_size (forecast), horizon);
        for (size_t i = 0; i < json_array_size (forecast); i++) {
            const json_t *point = json_array_get (forecast, i);
            double at = t[n - 1] + (double) (i + 1) * step, mean, low, high;
            ws_stats_ols_predict (&ols, at, 0.95, &mean, &low, &high);
            s_check (&c, "ols.forecast[].h", S_GET (point, "h"),
                     (double) (i + 1));
            s_check (&c, "ols.forecast[].t", S_GET (point, "t"), at);
            s_check (&c, "ols.forecast[].mean", S_GET (point, "mean"), mean);
            s_check (&c, "ols.forecast[].low", S_GET (point, "low"), low);
            s_check (&c, "ols.forecast[].high", S_GET (point, "high"), high);
        }
    }

    e = S_GET (expected, "holt_winters");
    if (e && holt) {
        ws_holt_winters_t hw;
        rc = ws_stats_holt_winters (x, n, seasonal, season, par[0], par[1],
                                    par[2], &hw, &err);
        if (json_is_null (e))
            assert_int_equal (rc, -1);
        else {
            if (rc)
                fail_msg ("%s: %s", name, err.text);
            s_check (&c, "holt_winters.period", S_GET (e, "period"),
                     (double) hw.period);
            s_check (&c, "holt_winters.alpha", S_GET (e, "alpha"), hw.alpha);
            s_check (&c, "holt_winters.beta", S_GET (e, "beta"), hw.beta);
            s_check (&c, "holt_winters.gamma", S_GET (e, "gamma"), hw.gamma);
            s_check (&c, "holt_winters.sse", S_GET (e, "sse"), hw.sse);
            s_check (&c, "holt_winters.level", S_GET (e, "level"), hw.level);
            s_check (&c, "holt_winters.trend", S_GET (e, "trend"), hw.trend);
            const json_t *season_list = S_GET (e, "season");
            for (size_t i = 0; i < json_array_size (season_list); i++)
                s_check (&c, "holt_winters.season[]",
                         json_array_get (season_list, i), hw.season[i]);
            const json_t *forecast = S_GET (e, "forecast");
            for (size_t i = 0; i < json_array_size (forecast); i++) {
                const json_t *point = json_array_get (forecast, i);
                double mean, low, high;
                ws_stats_holt_winters_forecast (&hw, i + 1, 0.95, &mean, &low,
                                                &high);
                s_check (&c, "holt_winters.forecast[].mean",
                         S_GET (point, "mean"), mean);
                s_check (&c, "holt_winters.forecast[].low",
                         S_GET (point, "low"), low);
                s_check (&c, "holt_winters.forecast[].high",
                         S_GET (point, "high"), high);
            }
            //  At R's own parameters the SSE is R's to rounding: this
            //  pins the start values (decompose, the trend line), which a
            //  fit's loose tolerance would not.
            double alpha = json_number_value (S_GET (e, "alpha"));
            double beta = json_number_value (S_GET (e, "beta"));
            double gamma = json_number_value (S_GET (e, "gamma"));
            double sse = ws_stats_holt_winters_sse (x, n, seasonal, season,
                                                    alpha, beta, gamma);
            s_assert_close (sse, json_number_value (S_GET (e, "sse")), 1e-9,
                            "sse at R's parameters");
            ws_stats_holt_winters_clear (&hw);
        }
    }
    ws_csv_series_free (&series);
    json_decref (root);
    if (c.failures)
        fail_msg ("%s: %d field(s) differ from the reference", name,
                  c.failures);
}

static void
test_reference_cases (void **state)
{
    (void) state;
    char *folder = ws_test_refdata_path ("trend/cases");
    assert_non_null (folder);
    DIR *dir = opendir (folder);
    if (!dir)
        fail_msg ("reference cases folder '%s' is missing", folder);
    struct dirent *entry;
    int cases = 0;
    while ((entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len <= 5 || strcmp (entry->d_name + len - 5, ".json") != 0)
            continue;
        char name[256];
        snprintf (name, sizeof name, "%.*s", (int) (len - 5), entry->d_name);
        s_run_case (folder, name);
        cases++;
    }
    closedir (dir);
    free (folder);
    assert_true (cases >= 14);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_normal),
        cmocka_unit_test (test_t_quantile),
        cmocka_unit_test (test_select),
        cmocka_unit_test (test_kendall_knight_vs_naive),
        cmocka_unit_test (test_mann_kendall_formulas),
        cmocka_unit_test (test_seasonal_mann_kendall),
        cmocka_unit_test (test_sen_vs_sort),
        cmocka_unit_test (test_pettitt_vs_definition),
        cmocka_unit_test (test_ols_line),
        cmocka_unit_test (test_bad_input),
        cmocka_unit_test (test_holt_winters_fit_is_minimum),
        cmocka_unit_test (test_reference_cases),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
