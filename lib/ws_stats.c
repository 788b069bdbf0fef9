//  ws_stats - numerical statistics for trends. Formulas and reference
//  cases are in ws_stats.h and ../shared/refdata/trend/README.md.
#include "ws_stats.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

//  Mann-Kendall sums n(n−1)(2n+5) in 64-bit integers: exact up to here.
#define S_MAX_N 1000000

static int
s_check_series (const double *values, size_t n, const char *name, ws_err_t *err)
{
    if (n > S_MAX_N)
        return ws_err_set (err, WS_ERR_INPUT,
                           "%s: %zu points, more than the %d this module "
                           "handles",
                           name, n, S_MAX_N);
    for (size_t i = 0; i < n; i++)
        if (!isfinite (values[i]))
            return ws_err_set (err, WS_ERR_INPUT,
                               "%s[%zu]: %g is not a finite number", name, i,
                               values[i]);
    return 0;
}

static int
s_out_of_memory (ws_err_t *err, const char *what)
{
    return ws_err_set (err, WS_ERR_SYSTEM, "%s: out of memory", what);
}

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

//  Σ_g t_g(t_g−1)(2t_g+5) and Σ_g t_g(t_g−1)/2 over runs of equal values
//  in sorted[0..n-1].
static void
s_tie_sums (const double *sorted, size_t n, int64_t *var_term, int64_t *pairs)
{
    *var_term = 0;
    *pairs = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && sorted[j] == sorted[i])
            j++;
        int64_t g = (int64_t) (j - i);
        *var_term += g * (g - 1) * (2 * g + 5);
        *pairs += g * (g - 1) / 2;
        i = j;
    }
}

//  ---------------------------------------------------------------------
//  Distributions

double
ws_stats_normal_cdf (double z)
{
    return 0.5 * erfc (-z / M_SQRT2);
}

double
ws_stats_normal_p (double z)
{
    if (isnan (z))
        return NAN;
    return erfc (fabs (z) / M_SQRT2);
}

//  Σ c[i]·r^i for i = 0..7 by Horner's rule, highest power first.
static double
s_poly8 (const double c[8], double r)
{
    double sum = c[7];
    for (int i = 6; i >= 0; i--)
        sum = sum * r + c[i];
    return sum;
}

double
ws_stats_normal_quantile (double p)
{
    //  Wichura (1988), Algorithm AS 241, PPND16: three rational
    //  approximations (central, intermediate tail, far tail); the
    //  coefficients are the paper's, lowest power first.
    static const double a[8] = {
        3.3871328727963666080e+0, 1.3314166789178437745e+2,
        1.9715909503065514427e+3, 1.3731693765509461125e+4,
        4.5921953931549871457e+4, 6.7265770927008700853e+4,
        3.3430575583588128105e+4, 2.5090809287301226727e+3};
    static const double b[8] = {1.0,
                                4.2313330701600911252e+1,
                                6.8718700749205790830e+2,
                                5.3941960214247511077e+3,
                                2.1213794301586595867e+4,
                                3.9307895800092710610e+4,
                                2.8729085735721942674e+4,
                                5.2264952788528545610e+3};
    static const double c[8] = {
        1.42343711074968357734e+0, 4.63033784615654529590e+0,
        5.76949722146069140550e+0, 3.64784832476320460504e+0,
        1.27045825245236838258e+0, 2.41780725177450611770e-1,
        2.27238449892691845833e-2, 7.74545014278341407640e-4};
    static const double d[8] = {1.0,
                                2.05319162663775882187e+0,
                                1.67638483018380384940e+0,
                                6.89767334985100004550e-1,
                                1.48103976427480074590e-1,
                                1.51986665636164571966e-2,
                                5.47593808499534494600e-4,
                                1.05075007164441684324e-9};
    static const double e[8] = {
        6.65790464350110377720e+0, 5.46378491116411436990e+0,
        1.78482653991729133580e+0, 2.96560571828504891230e-1,
        2.65321895265761230930e-2, 1.24266094738807843860e-3,
        2.71155556874348757815e-5, 2.01033439929228813265e-7};
    static const double f[8] = {1.0,
                                5.99832206555887937690e-1,
                                1.36929880922735805310e-1,
                                1.48753612908506148525e-2,
                                7.86869131145613259100e-4,
                                1.84631831751005468180e-5,
                                1.42151175831644588870e-7,
                                2.04426310338993978564e-15};
    if (isnan (p) || p < 0 || p > 1)
        return NAN;
    if (p == 0)
        return -INFINITY;
    if (p == 1)
        return INFINITY;
    double q = p - 0.5;
    if (fabs (q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q * s_poly8 (a, r) / s_poly8 (b, r);
    }
    double r = sqrt (-log (q < 0 ? p : 1 - p));
    double z = r <= 5 ? s_poly8 (c, r - 1.6) / s_poly8 (d, r - 1.6)
                      : s_poly8 (e, r - 5) / s_poly8 (f, r - 5);
    return q < 0 ? -z : z;
}

//  Continued fraction of I_x(a, b) (modified Lentz); converges fast for
//  x < (a+1)/(a+b+2).
static double
s_beta_continued_fraction (double x, double a, double b)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs (d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 100000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs (d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs (c) < tiny)
            c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
        d = 1 + aa * d;
        if (fabs (d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs (c) < tiny)
            c = tiny;
        d = 1 / d;
        double delta = d * c;
        h *= delta;
        if (fabs (delta - 1) <= 2 * DBL_EPSILON)
            break;
    }
    return h;
}

//  ω(x) = lgamma(x) − [(x − ½) log x − x + ½ log 2π], Stirling's series;
//  for x >= 10 the first omitted term is below 2e-14.
static double
s_stirling_tail (double x)
{
    double r = 1 / x, r2 = r * r;
    return r
           * (1.0 / 12
              + r2
                    * (-1.0 / 360
                       + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 / 1188))));
}

//  log B(a, b). For a large parameter, lgamma(big) − lgamma(big + small)
//  by Stirling's difference instead: the two lgamma values are ~big·log
//  big and their difference loses that many digits (1e-11 at df 5e4).
static double
s_log_beta (double a, double b)
{
    double big = a > b ? a : b, small = a > b ? b : a;
    if (big < 10)
        return lgamma (a) + lgamma (b) - lgamma (a + b);
    double difference = -(big - 0.5) * log1p (small / big)
                        - small * log (big + small) + small
                        + s_stirling_tail (big) - s_stirling_tail (big + small);
    return lgamma (small) + difference;
}

double
ws_stats_beta_inc (double x, double a, double b)
{
    if (isnan (x) || isnan (a) || isnan (b) || a <= 0 || b <= 0 || x < 0
        || x > 1)
        return NAN;
    if (x == 0)
        return 0;
    if (x == 1)
        return 1;
    double log_front = a * log (x) + b * log1p (-x) - s_log_beta (a, b);
    if (x < (a + 1) / (a + b + 2))
        return exp (log_front) * s_beta_continued_fraction (x, a, b) / a;
    return 1 - exp (log_front) * s_beta_continued_fraction (1 - x, b, a) / b;
}

//  P(T > |t|) for df degrees of freedom: I_{df/(df+t²)}(df/2, 1/2)/2.
static double
s_t_upper_tail (double t, double df)
{
    double t2 = t * t;
    //  df/(df+t²) loses precision when t² << df; 1 − x = t²/(df+t²)
    //  then goes through the symmetric branch of the beta function.
    return 0.5 * ws_stats_beta_inc (df / (df + t2), df / 2, 0.5);
}

double
ws_stats_t_cdf (double t, double df)
{
    if (isnan (t) || isnan (df) || df <= 0)
        return NAN;
    if (isinf (t))
        return t > 0 ? 1 : 0;
    double upper = s_t_upper_tail (t, df);
    return t > 0 ? 1 - upper : upper;
}

static double
s_t_density (double t, double df)
{
    //  1 / (√df · B(df/2, ½) · (1 + t²/df)^((df+1)/2))
    return exp (-s_log_beta (df / 2, 0.5) - 0.5 * log (df)
                - (df + 1) / 2 * log1p (t * t / df));
}

//  Hill (1970), Algorithm 396: a start value for |t| with two-sided tail
//  probability two_tail = 2·P(T > |t|).
static double
s_t_quantile_hill (double two_tail, double df)
{
    double a = 1 / (df - 0.5);
    double b = 48 / (a * a);
    double c = ((20700 * a / b - 98) * a - 16) * a + 96.36;
    double d = ((94.5 / (b + c) - 3) / b + 1) * sqrt (a * M_PI / 2) * df;
    double y = pow (d * two_tail, 2 / df);
    if (y > 0.05 + a) {
        double x = ws_stats_normal_quantile (0.5 * two_tail);
        y = x * x;
        if (df < 5)
            c += 0.3 * (df - 4.5) * (x + 0.6);
        c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c;
        y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x;
        y = expm1 (a * y * y);
    }
    else
        y = ((1 / (((df + 6) / (df * y) - 0.089 * d - 0.822) * (df + 2) * 3)
              + 0.5 / (df + 4))
                 * y
             - 1)
                * (df + 1) / (df + 2)
            + 1 / y;
    return sqrt (df * y);
}

double
ws_stats_t_quantile (double p, double df)
{
    if (isnan (p) || isnan (df) || df <= 0 || p < 0 || p > 1)
        return NAN;
    if (p == 0)
        return -INFINITY;
    if (p == 1)
        return INFINITY;
    if (p == 0.5)
        return 0;
    double tail = p < 0.5 ? p : 1 - p;  //  P(T > q), q > 0
    double q;
    if (df == 1)
        q = 1 / tan (M_PI * tail);
    else if (df == 2)
        q = sqrt (1 / (2 * tail * (1 - tail)) - 2);
    else if (df > 1e5) {
        //  Cornish-Fisher expansion in 1/df: its error is O(df^-5).
        double z = -ws_stats_normal_quantile (tail), z2 = z * z;
        double g1 = (z2 + 1) * z / 4;
        double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
        double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
        double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z
                    / 92160;
        q = z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
    }
    else {
        //  Newton on the upper tail inside a bracket [lo, hi] with
        //  tail(lo) >= tail >= tail(hi); bisect when a step leaves it.
        q = s_t_quantile_hill (2 * tail, df);
        double lo = 0, hi = INFINITY;
        if (!isfinite (q) || q <= 0)
            q = 1;
        for (int i = 0; i < 200; i++) {
            double g = s_t_upper_tail (q, df);
            if (g > tail)
                lo = q;
            else
                hi = q;
            double f = s_t_density (q, df);
            double next = q + (g - tail) / f;
            if (!(next > lo && next < hi))
                next = isinf (hi) ? 2 * q + 1 : 0.5 * (lo + hi);
            if (fabs (next - q) <= 4 * DBL_EPSILON * q) {
                q = next;
                break;
            }
            q = next;
        }
    }
    return p < 0.5 ? -q : q;
}

//  ---------------------------------------------------------------------
//  Order statistics

double
ws_stats_select (double *values, size_t n, size_t k)
{
    assert (values && n > 0 && k < n);
    ptrdiff_t lo = 0, hi = (ptrdiff_t) n - 1, target = (ptrdiff_t) k;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        double tmp;
#define S_SWAP(a, b) (tmp = values[a], values[a] = values[b], values[b] = tmp)
        if (values[mid] < values[lo])
            S_SWAP (mid, lo);
        if (values[hi] < values[lo])
            S_SWAP (hi, lo);
        if (values[hi] < values[mid])
            S_SWAP (hi, mid);
        double pivot = values[mid];
        ptrdiff_t i = lo, j = hi;
        //  Hoare partition: stops on equal keys, so long runs of tied
        //  slopes (integer data) split evenly instead of going O(n²).
        while (i <= j) {
            while (values[i] < pivot)
                i++;
            while (values[j] > pivot)
                j--;
            if (i <= j) {
                S_SWAP (i, j);
                i++;
                j--;
            }
        }
#undef S_SWAP
        //  Now [lo..j] <= pivot <= [i..hi]; anything between equals it.
        if (target <= j)
            hi = j;
        else if (target >= i)
            lo = i;
        else
            return values[target];
    }
    return values[target];
}

//  Smallest of values[from..n-1].
static double
s_min_from (const double *values, size_t from, size_t n)
{
    double best = values[from];
    for (size_t i = from + 1; i < n; i++)
        if (values[i] < best)
            best = values[i];
    return best;
}

double
ws_stats_median (double *values, size_t n)
{
    if (n == 0)
        return NAN;
    if (n % 2)
        return ws_stats_select (values, n, n / 2);
    //  After selecting the lower middle, everything above it is >= it,
    //  so the upper middle is the smallest of the rest.
    double lower = ws_stats_select (values, n, n / 2 - 1);
    double upper = s_min_from (values, n / 2, n);
    return (lower + upper) / 2;
}

//  ---------------------------------------------------------------------
//  Kendall

typedef struct {
    double t;
    double x;
} s_point_t;

static int
s_compare_point (const void *a, const void *b)
{
    const s_point_t *p = a, *q = b;
    if (p->t != q->t)
        return (p->t > q->t) - (p->t < q->t);
    return (p->x > q->x) - (p->x < q->x);
}

//  Sort x[0..n-1] ascending (stable merge sort, scratch of n) and return
//  the number of swaps an exchange sort would make: pairs i < j with
//  x_i > x_j. Equal keys are taken from the left first, so ties are not
//  counted as discordant.
static int64_t
s_merge_count (double *x, double *scratch, size_t n)
{
    int64_t swaps = 0;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (x[j] < x[i]) {
                    swaps += (int64_t) (mid - i);
                    scratch[k++] = x[j++];
                }
                else
                    scratch[k++] = x[i++];
            }
            while (i < mid)
                scratch[k++] = x[i++];
            while (j < hi)
                scratch[k++] = x[j++];
        }
        memcpy (x, scratch, n * sizeof *x);
    }
    return swaps;
}

int
ws_stats_kendall (const double *t, const double *x, size_t n, ws_kendall_t *out,
                  ws_err_t *err)
{
    assert (x && out);
    memset (out, 0, sizeof *out);
    if (s_check_series (x, n, "x", err)
        || (t && s_check_series (t, n, "t", err)))
        return -1;
    if (n < 2)
        return 0;
    double *sorted = malloc (2 * n * sizeof *sorted);
    if (!sorted)
        return s_out_of_memory (err, "Kendall count");
    double *scratch = sorted + n;
    out->n0 = (int64_t) n * (int64_t) (n - 1) / 2;
    if (t) {
        s_point_t *points = malloc (n * sizeof *points);
        if (!points) {
            free (sorted);
            return s_out_of_memory (err, "Kendall count");
        }
        for (size_t i = 0; i < n; i++)
            points[i] = (s_point_t){t[i], x[i]};
        qsort (points, n, sizeof *points, s_compare_point);
        //  Ties in t (n1) and joint ties (n3), runs in the sorted order.
        size_t i = 0;
        while (i < n) {
            size_t j = i + 1;
            while (j < n && points[j].t == points[i].t)
                j++;
            int64_t g = (int64_t) (j - i);
            out->n1 += g * (g - 1) / 2;
            size_t a = i;
            while (a < j) {
                size_t b = a + 1;
                while (b < j && points[b].x == points[a].x)
                    b++;
                int64_t h = (int64_t) (b - a);
                out->n3 += h * (h - 1) / 2;
                a = b;
            }
            i = j;
        }
        for (i = 0; i < n; i++)
            sorted[i] = points[i].x;
        free (points);
    }
    else
        memcpy (sorted, x, n * sizeof *x);
    out->swaps = s_merge_count (sorted, scratch, n);
    int64_t var_term;
    s_tie_sums (sorted, n, &var_term, &out->n2);
    out->ties_x_var = (double) var_term;
    //  Knight: concordant − discordant over pairs tied in neither.
    out->s = out->n0 - out->n1 - out->n2 + out->n3 - 2 * out->swaps;
    free (sorted);
    return 0;
}

static int
s_sign (double v)
{
    return (v > 0) - (v < 0);
}

int
ws_stats_kendall_naive (const double *t, const double *x, size_t n,
                        ws_kendall_t *out, ws_err_t *err)
{
    assert (x && out);
    memset (out, 0, sizeof *out);
    if (s_check_series (x, n, "x", err)
        || (t && s_check_series (t, n, "t", err)))
        return -1;
    out->n0 = (int64_t) n * (int64_t) (n > 0 ? n - 1 : 0) / 2;
    int64_t var_term = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t same = 0;  //  points with x equal to x_i, itself included
        for (size_t j = 0; j < n; j++)
            if (x[j] == x[i])
                same++;
        //  Each of a group's t_g members adds (t_g−1)(2t_g+5).
        var_term += (same - 1) * (2 * same + 5);
        for (size_t j = i + 1; j < n; j++) {
            int dt = t ? s_sign (t[j] - t[i]) : 1;
            int dx = s_sign (x[j] - x[i]);
            out->s += dt * dx;
            out->n1 += dt == 0;
            out->n2 += dx == 0;
            out->n3 += dt == 0 && dx == 0;
            out->swaps += dt * dx < 0;
        }
    }
    out->ties_x_var = (double) var_term;
    return 0;
}

static int
s_mann_kendall (const double *x, size_t n, bool naive, ws_mann_kendall_t *out,
                ws_err_t *err)
{
    assert (out);
    memset (out, 0, sizeof *out);
    if (n < 3)
        return ws_err_set (err, WS_ERR_INPUT,
                           "Mann-Kendall: %zu point(s), the test needs at "
                           "least 3",
                           n);
    ws_kendall_t k;
    if ((naive ? ws_stats_kendall_naive : ws_stats_kendall) (NULL, x, n, &k,
                                                             err))
        return -1;
    int64_t nn = (int64_t) n;
    double var_s =
        ((double) (nn * (nn - 1) * (2 * nn + 5)) - k.ties_x_var) / 18.0;
    if (!(var_s > 0))
        return ws_err_set (err, WS_ERR_INPUT,
                           "Mann-Kendall: all values are equal, so the "
                           "variance of S is 0 and there is no test");
    out->s = k.s;
    out->var_s = var_s;
    if (k.s > 0)
        out->z = (double) (k.s - 1) / sqrt (var_s);
    else if (k.s < 0)
        out->z = (double) (k.s + 1) / sqrt (var_s);
    else
        out->z = 0;
    out->p = ws_stats_normal_p (out->z);
    out->tau = (double) k.s / sqrt ((double) (k.n0 - k.n2) * (double) k.n0);
    return 0;
}

int
ws_stats_mann_kendall (const double *x, size_t n, ws_mann_kendall_t *out,
                       ws_err_t *err)
{
    return s_mann_kendall (x, n, false, out, err);
}

int
ws_stats_mann_kendall_naive (const double *x, size_t n, ws_mann_kendall_t *out,
                             ws_err_t *err)
{
    return s_mann_kendall (x, n, true, out, err);
}

int
ws_stats_seasonal_mann_kendall (const double *x, const size_t *season, size_t n,
                                size_t period, ws_seasonal_mann_kendall_t *out,
                                ws_err_t *err)
{
    assert (x && season && out);
    memset (out, 0, sizeof *out);
    out->period = period;
    if (period < 2)
        return ws_err_set (err, WS_ERR_INPUT,
                           "seasonal Mann-Kendall: period %zu, needs 2 or "
                           "more",
                           period);
    if (s_check_series (x, n, "x", err))
        return -1;
    double *part = malloc ((n ? n : 1) * sizeof *part);
    if (!part)
        return s_out_of_memory (err, "seasonal Mann-Kendall");
    double var_s = 0;
    for (size_t s = 0; s < period; s++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (season[i] == s)
                part[m++] = x[i];
        if (m < 2)
            continue;
        ws_kendall_t k;
        if (ws_stats_kendall (NULL, part, m, &k, err)) {
            free (part);
            return -1;
        }
        int64_t mm = (int64_t) m;
        out->s += k.s;
        var_s +=
            ((double) (mm * (mm - 1) * (2 * mm + 5)) - k.ties_x_var) / 18.0;
        out->seasons_used++;
    }
    free (part);
    if (out->seasons_used < 2 || !(var_s > 0))
        return ws_err_set (err, WS_ERR_INPUT,
                           "seasonal Mann-Kendall: %zu season(s) with 2 "
                           "points or more and variance %g: no test",
                           out->seasons_used, var_s);
    out->var_s = var_s;
    if (out->s > 0)
        out->z = (double) (out->s - 1) / sqrt (var_s);
    else if (out->s < 0)
        out->z = (double) (out->s + 1) / sqrt (var_s);
    out->p = ws_stats_normal_p (out->z);
    return 0;
}

//  ---------------------------------------------------------------------
//  Sen

int
ws_stats_sen (const double *t, const double *x, size_t n, double confidence,
              ws_sen_t *out, ws_err_t *err)
{
    assert (t && x && out);
    memset (out, 0, sizeof *out);
    out->confidence = confidence;
    if (n < 2)
        return ws_err_set (err, WS_ERR_INPUT,
                           "Sen's slope: %zu point(s), needs at least 2", n);
    if (n > WS_STATS_SEN_MAX_N)
        return ws_err_set (err, WS_ERR_INPUT,
                           "Sen's slope: %zu points, more than %d (it keeps "
                           "all n(n-1)/2 pairwise slopes); use a coarser step",
                           n, WS_STATS_SEN_MAX_N);
    if (!(confidence > 0 && confidence < 1))
        return ws_err_set (err, WS_ERR_INPUT,
                           "Sen's slope: confidence %g is not in (0, 1)",
                           confidence);
    if (s_check_series (t, n, "t", err) || s_check_series (x, n, "x", err))
        return -1;
    size_t total = n * (n - 1) / 2;
    double *slopes = malloc (total * sizeof *slopes);
    double *copy = malloc (n * sizeof *copy);
    if (!slopes || !copy) {
        free (slopes);
        free (copy);
        return s_out_of_memory (err, "Sen's slope");
    }
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            //  a − b is exactly −(b − a), so the order of a pair does not
            //  change its slope's bits.
            if (t[j] > t[i])
                slopes[count++] = (x[j] - x[i]) / (t[j] - t[i]);
            else if (t[j] < t[i])
                slopes[count++] = (x[i] - x[j]) / (t[i] - t[j]);
        }
    if (count == 0) {
        free (slopes);
        free (copy);
        return ws_err_set (err, WS_ERR_INPUT,
                           "Sen's slope: all t are equal, no slope");
    }
    out->pairs = count;
    out->slope = ws_stats_median (slopes, count);

    //  σ² of Sen (1968) eq. 2.6: ties of x and of t both reduce it.
    int64_t nn = (int64_t) n, ties_x, ties_t, unused;
    memcpy (copy, x, n * sizeof *copy);
    qsort (copy, n, sizeof *copy, s_compare_double);
    s_tie_sums (copy, n, &ties_x, &unused);
    double median_x = n % 2 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
    memcpy (copy, t, n * sizeof *copy);
    qsort (copy, n, sizeof *copy, s_compare_double);
    s_tie_sums (copy, n, &ties_t, &unused);
    double median_t = n % 2 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
    out->intercept = median_x - out->slope * median_t;

    double sigma2 = ((double) (nn * (nn - 1) * (2 * nn + 5)) - (double) ties_x
                     - (double) ties_t)
                    / 18.0;
    double sigma = sqrt (sigma2 > 0 ? sigma2 : 0);
    double z = -ws_stats_normal_quantile ((1 - confidence) / 2);
    //  nearbyint rounds half to even in the default rounding mode, as
    //  numpy.round does.
    double low_rank = nearbyint (((double) count - z * sigma) / 2) - 1;
    double high_rank = nearbyint (((double) count + z * sigma) / 2);
    size_t low = low_rank > 0 ? (size_t) low_rank : 0;
    size_t high =
        high_rank < (double) (count - 1) ? (size_t) high_rank : count - 1;
    if (low > count - 1)
        low = count - 1;
    out->slope_low = ws_stats_select (slopes, count, low);
    out->slope_high = ws_stats_select (slopes, count, high);
    free (slopes);
    free (copy);
    return 0;
}

//  ---------------------------------------------------------------------
//  Pettitt

typedef struct {
    double x;
    size_t i;
} s_ranked_t;

static int
s_compare_ranked (const void *a, const void *b)
{
    const s_ranked_t *p = a, *q = b;
    return (p->x > q->x) - (p->x < q->x);
}

static double
s_mean (const double *x, size_t n)
{
    //  Two passes: the second adds back the rounding error of the first
    //  (as R's mean does).
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / (double) n, correction = 0;
    for (size_t i = 0; i < n; i++)
        correction += x[i] - mean;
    return mean + correction / (double) n;
}

int
ws_stats_pettitt (const double *x, size_t n, ws_pettitt_t *out, ws_err_t *err)
{
    assert (x && out);
    memset (out, 0, sizeof *out);
    if (n < 3)
        return ws_err_set (err, WS_ERR_INPUT,
                           "Pettitt: %zu point(s), the test needs at least 3",
                           n);
    if (s_check_series (x, n, "x", err))
        return -1;
    s_ranked_t *ranked = malloc (n * sizeof *ranked);
    int64_t *rank2 = malloc (n * sizeof *rank2);
    if (!ranked || !rank2) {
        free (ranked);
        free (rank2);
        return s_out_of_memory (err, "Pettitt");
    }
    for (size_t i = 0; i < n; i++)
        ranked[i] = (s_ranked_t){x[i], i};
    qsort (ranked, n, sizeof *ranked, s_compare_ranked);
    //  Twice the mid-rank: a tie group at sorted positions a..b (1-based)
    //  has mid-rank (a+b)/2, so all of U_k stays in exact integers.
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && ranked[j].x == ranked[i].x)
            j++;
        for (size_t k = i; k < j; k++)
            rank2[ranked[k].i] = (int64_t) (i + 1) + (int64_t) j;
        i = j;
    }
    bool constant = ranked[0].x == ranked[n - 1].x;
    free (ranked);
    if (constant) {
        free (rank2);
        return ws_err_set (err, WS_ERR_INPUT,
                           "Pettitt: all values are equal, no change point");
    }
    int64_t sum = 0, best = -1;
    size_t best_k = 0;
    for (size_t k = 1; k <= n; k++) {
        sum += rank2[k - 1];
        int64_t u = sum - (int64_t) k * (int64_t) (n + 1);
        if (u < 0)
            u = -u;
        if (u > best) {
            best = u;
            best_k = k;
        }
    }
    free (rank2);
    double dn = (double) n;
    out->u = (double) best;
    out->index = best_k;
    double p = 2 * exp (-6 * out->u * out->u / (dn * dn * dn + dn * dn));
    out->p = p < 1 ? p : 1;
    out->mean_before = s_mean (x, best_k);
    out->mean_after = best_k < n ? s_mean (x + best_k, n - best_k) : NAN;

    //  Least-squares split on centred values c: with S_k = Σ_{i<=k} c_i
    //  and Σ c = 0, SSE_k = SST − S_k²·n/(k(n−k)).
    double mean = s_mean (x, n), partial = 0, best_gain = -1;
    for (size_t k = 1; k < n; k++) {
        partial += x[k - 1] - mean;
        double gain = partial * partial * dn / ((double) k * (dn - (double) k));
        if (gain > best_gain) {
            best_gain = gain;
            out->split_index = k;
        }
    }
    size_t k = out->split_index;
    out->split_mean_before = s_mean (x, k);
    out->split_mean_after = s_mean (x + k, n - k);
    double sse = 0;
    for (size_t j = 0; j < n; j++) {
        double d =
            x[j] - (j < k ? out->split_mean_before : out->split_mean_after);
        sse += d * d;
    }
    out->split_sse = sse;
    return 0;
}

//  ---------------------------------------------------------------------
//  Least squares

int
ws_stats_ols (const double *t, const double *x, size_t n, ws_ols_t *out,
              ws_err_t *err)
{
    assert (t && x && out);
    memset (out, 0, sizeof *out);
    if (n < 3)
        return ws_err_set (err, WS_ERR_INPUT,
                           "least squares: %zu point(s), needs at least 3 "
                           "for an error estimate",
                           n);
    if (s_check_series (t, n, "t", err) || s_check_series (x, n, "x", err))
        return -1;
    double t_mean = s_mean (t, n), x_mean = s_mean (x, n);
    double sxx = 0, sxy = 0, sst = 0;
    for (size_t i = 0; i < n; i++) {
        double dt = t[i] - t_mean, dx = x[i] - x_mean;
        sxx += dt * dt;
        sxy += dt * dx;
        sst += dx * dx;
    }
    if (!(sxx > 0))
        return ws_err_set (err, WS_ERR_INPUT,
                           "least squares: all t are equal, no slope");
    out->n = n;
    out->t_mean = t_mean;
    out->sxx = sxx;
    out->slope = sxy / sxx;
    out->intercept = x_mean - out->slope * t_mean;
    //  Residuals about the centred line, not SST − slope·Sxy: that
    //  difference cancels badly when the fit is close.
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
        double r = (x[i] - x_mean) - out->slope * (t[i] - t_mean);
        sse += r * r;
    }
    out->r2 = sst > 0 ? 1 - sse / sst : NAN;
    out->residual_se = sqrt (sse / (double) (n - 2));
    out->slope_se = out->residual_se / sqrt (sxx);
    return 0;
}

void
ws_stats_ols_predict (const ws_ols_t *self, double t_star, double confidence,
                      double *mean, double *low, double *high)
{
    assert (self && mean && low && high);
    double dn = (double) self->n;
    *mean = self->intercept + self->slope * t_star;
    double q = ws_stats_t_quantile ((1 + confidence) / 2, dn - 2);
    double d = t_star - self->t_mean;
    double half = q * self->residual_se * sqrt (1 + 1 / dn + d * d / self->sxx);
    *low = *mean - half;
    *high = *mean + half;
}

//  ---------------------------------------------------------------------
//  Holt-Winters

typedef struct {
    const double *x;  //  borrowed
    size_t n;
    ws_hw_seasonal_t seasonal;
    size_t period;
    size_t start;  //  0-based index of the first one-step forecast
    double level0;
    double trend0;
    double *season0;  //  owns, period values (seasonal only)
    double *ring;     //  owns, the running seasonal values
} s_hw_model_t;

static void
s_hw_model_free (s_hw_model_t *self)
{
    free (self->season0);
    free (self->ring);
    self->season0 = self->ring = NULL;
}

//  Start values as R's HoltWinters (start.periods = 2): see the header
//  and README; R's decompose() and .lm.fit() on the trend values.
static int
s_hw_model_init (s_hw_model_t *self, const double *x, size_t n,
                 ws_hw_seasonal_t seasonal, size_t period, ws_err_t *err)
{
    memset (self, 0, sizeof *self);
    self->x = x;
    self->n = n;
    self->seasonal = seasonal;
    if (seasonal == WS_HW_NONE) {
        if (n < 4)
            return ws_err_set (err, WS_ERR_INPUT,
                               "Holt: %zu point(s), needs at least 4 (two "
                               "to start, two one-step errors)",
                               n);
        self->period = 1;
        self->start = 2;
        self->level0 = x[1];
        self->trend0 = x[1] - x[0];
        return 0;
    }
    const char *name =
        seasonal == WS_HW_ADDITIVE ? "additive" : "multiplicative";
    if (period < 2)
        return ws_err_set (err, WS_ERR_INPUT,
                           "Holt-Winters %s: season %zu, needs a period of "
                           "2 or more",
                           name, period);
    if (period > n / 2)
        return ws_err_set (err, WS_ERR_INPUT,
                           "Holt-Winters %s: %zu point(s), needs at least "
                           "two periods of %zu",
                           name, n, period);
    if (seasonal == WS_HW_MULTIPLICATIVE)
        for (size_t i = 0; i < n; i++)
            if (x[i] == 0)
                return ws_err_set (err, WS_ERR_INPUT,
                                   "Holt-Winters multiplicative: value %zu "
                                   "is 0; the model divides by the values",
                                   i + 1);
    size_t f = period, window = 2 * f;
    self->period = f;
    self->start = f;
    self->season0 = calloc (f, sizeof *self->season0);
    self->ring = calloc (f, sizeof *self->ring);
    double *trend = calloc (window, sizeof *trend);
    bool *has = calloc (window, sizeof *has);
    if (!self->season0 || !self->ring || !trend || !has) {
        free (trend);
        free (has);
        s_hw_model_free (self);
        return s_out_of_memory (err, "Holt-Winters");
    }
    //  Centred moving average (R's filter(), sides = 2): weights ½,1..1,½
    //  over f+1 points for even f, f equal weights for odd f; summed from
    //  the newest point back, as filter() does.
    size_t width = f % 2 ? f : f + 1, shift = width / 2;
    for (size_t i = shift; i + shift < window; i++) {
        double z = 0;
        for (size_t j = 0; j < width; j++) {
            double w =
                (f % 2 == 0 && (j == 0 || j == width - 1)) ? 0.5 / f : 1.0 / f;
            z += w * x[i + shift - j];
        }
        trend[i] = z;
        has[i] = true;
    }
    //  Level and trend: least-squares line through the m trend values
    //  against 1..m (m = f, or f+1 for odd f, as R's na.omit gives).
    double sum_k = 0, sum_y = 0, m = 0;
    for (size_t i = 0; i < window; i++)
        if (has[i]) {
            m++;
            sum_k += m;
            sum_y += trend[i];
        }
    double k_mean = sum_k / m, y_mean = sum_y / m, skk = 0, sky = 0, k = 0;
    for (size_t i = 0; i < window; i++)
        if (has[i]) {
            k++;
            skk += (k - k_mean) * (k - k_mean);
            sky += (k - k_mean) * (trend[i] - y_mean);
        }
    self->trend0 = sky / skk;
    self->level0 = y_mean - self->trend0 * k_mean;
    //  Seasonal figure: per cycle position, the mean of x − trend (or x /
    //  trend) where the trend exists, then centred.
    double figure_sum = 0;
    for (size_t p = 0; p < f; p++) {
        double sum = 0;
        int count = 0;
        for (size_t i = p; i < window; i += f)
            if (has[i]) {
                sum += seasonal == WS_HW_ADDITIVE ? x[i] - trend[i]
                                                  : x[i] / trend[i];
                count++;
            }
        self->season0[p] = sum / count;
        figure_sum += self->season0[p];
    }
    double figure_mean = figure_sum / (double) f;
    for (size_t p = 0; p < f; p++)
        self->season0[p] = seasonal == WS_HW_ADDITIVE
                               ? self->season0[p] - figure_mean
                               : self->season0[p] / figure_mean;
    free (trend);
    free (has);
    bool finite = isfinite (self->level0) && isfinite (self->trend0);
    for (size_t p = 0; p < f; p++)
        finite = finite && isfinite (self->season0[p])
                 && (seasonal == WS_HW_ADDITIVE || self->season0[p] != 0);
    if (!finite) {
        s_hw_model_free (self);
        return ws_err_set (err, WS_ERR_INPUT,
                           "Holt-Winters %s: the start values from the "
                           "first two periods are not finite (a zero "
                           "moving average?)",
                           name);
    }
    return 0;
}

//  One pass of R's C_HoltWinters filter. Returns the SSE; fills the final
//  level and trend and, when residuals is not NULL, the one-step errors
//  (n − start of them). The final seasonal values stay in self->ring.
static double
s_hw_model_run (s_hw_model_t *self, double alpha, double beta, double gamma,
                double *level_out, double *trend_out, double *residuals)
{
    const double *x = self->x;
    bool seasonal = self->seasonal != WS_HW_NONE;
    bool additive = self->seasonal != WS_HW_MULTIPLICATIVE;
    size_t f = self->period;
    double level = self->level0, trend = self->trend0, sse = 0;
    if (seasonal)
        memcpy (self->ring, self->season0, f * sizeof *self->ring);
    for (size_t i = self->start; i < self->n; i++) {
        double s = seasonal ? self->ring[i % f] : (additive ? 0 : 1);
        double xhat = level + trend;
        xhat = additive ? xhat + s : xhat * s;
        double res = x[i] - xhat;
        sse += res * res;
        if (residuals)
            residuals[i - self->start] = res;
        double next = additive
                          ? alpha * (x[i] - s) + (1 - alpha) * (level + trend)
                          : alpha * (x[i] / s) + (1 - alpha) * (level + trend);
        trend = beta * (next - level) + (1 - beta) * trend;
        if (seasonal)
            self->ring[i % f] = additive
                                    ? gamma * (x[i] - next) + (1 - gamma) * s
                                    : gamma * (x[i] / next) + (1 - gamma) * s;
        level = next;
    }
    if (level_out)
        *level_out = level;
    if (trend_out)
        *trend_out = trend;
    return sse;
}

//  The fit: the free parameters (of alpha, beta, gamma) in [0, 1]^k.
typedef struct {
    s_hw_model_t *model;
    int k;
    int index[3];     //  which of alpha, beta, gamma each free one is
    double fixed[3];  //  all three, fixed ones set
} s_objective_t;

static double
s_objective (s_objective_t *self, const double *p)
{
    double par[3];
    memcpy (par, self->fixed, sizeof par);
    for (int i = 0; i < self->k; i++)
        par[self->index[i]] = p[i];
    double sse =
        s_hw_model_run (self->model, par[0], par[1], par[2], NULL, NULL, NULL);
    return isfinite (sse) ? sse : HUGE_VAL;
}

//  Central differences inside the box, one-sided at its walls.
static void
s_gradient (s_objective_t *self, const double *p, double fp, double *g)
{
    const double h = 1e-6;
    for (int i = 0; i < self->k; i++) {
        double q[3];
        memcpy (q, p, sizeof q);
        if (p[i] - h >= 0 && p[i] + h <= 1) {
            q[i] = p[i] + h;
            double up = s_objective (self, q);
            q[i] = p[i] - h;
            double down = s_objective (self, q);
            g[i] = (up - down) / (2 * h);
        }
        else if (p[i] + h > 1) {
            q[i] = p[i] - h;
            g[i] = (fp - s_objective (self, q)) / h;
        }
        else {
            q[i] = p[i] + h;
            g[i] = (s_objective (self, q) - fp) / h;
        }
        if (!isfinite (g[i]))
            g[i] = 0;
    }
}

static double
s_clamp01 (double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

//  Projected BFGS on the box [0,1]^k: variables on a wall with the
//  gradient pushing outwards are held (the active set); the inverse
//  Hessian H is rebuilt whenever that set changes; steps are projected
//  onto the box and backtracked to the Armijo condition. Returns the
//  minimum found, p updated in place.
static double
s_minimise (s_objective_t *self, double *p)
{
    int k = self->k;
    double H[3][3], g[3], fp = s_objective (self, p);
    bool fresh = true, was_active[3] = {false, false, false};
    s_gradient (self, p, fp, g);
    int stalls = 0;
    for (int iter = 0; iter < 300 && isfinite (fp); iter++) {
        bool active[3] = {false, false, false}, changed = false;
        double norm = 0;
        for (int i = 0; i < k; i++) {
            active[i] = (p[i] <= 0 && g[i] > 0) || (p[i] >= 1 && g[i] < 0);
            changed = changed || active[i] != was_active[i];
            was_active[i] = active[i];
            if (!active[i] && fabs (g[i]) > norm)
                norm = fabs (g[i]);
        }
        if (norm <= 1e-10 * (1 + fabs (fp)))
            break;
        if (fresh || changed) {
            //  Start with steps of at most 0.1 per parameter.
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                    H[i][j] = i == j ? 0.1 / norm : 0;
            fresh = true;
        }
        double d[3] = {0, 0, 0}, slope = 0;
        for (int i = 0; i < k; i++) {
            if (active[i])
                continue;
            for (int j = 0; j < k; j++)
                if (!active[j])
                    d[i] -= H[i][j] * g[j];
            slope += d[i] * g[i];
        }
        if (slope >= 0) {
            //  Not a descent direction: fall back to steepest descent.
            for (int i = 0; i < k; i++)
                d[i] = active[i] ? 0 : -0.1 * g[i] / norm;
            fresh = true;
        }
        double a = 1, q[3] = {0, 0, 0}, fq = fp;
        bool found = false;
        for (int tries = 0; tries < 60; tries++, a *= 0.5) {
            double decrease = 0;
            for (int i = 0; i < k; i++) {
                q[i] = s_clamp01 (p[i] + a * d[i]);
                decrease += g[i] * (q[i] - p[i]);
            }
            fq = s_objective (self, q);
            if (fq <= fp + 1e-4 * decrease && fq <= fp) {
                found = true;
                break;
            }
        }
        if (!found) {
            if (fresh)
                break;  //  even a gradient step gains nothing: done
            fresh = true;
            continue;
        }
        double gq[3], s[3], y[3], sy = 0, yy = 0;
        s_gradient (self, q, fq, gq);
        for (int i = 0; i < k; i++) {
            s[i] = q[i] - p[i];
            y[i] = gq[i] - g[i];
            sy += s[i] * y[i];
            yy += y[i] * y[i];
        }
        if (sy > 1e-16 * yy && sy > 0) {
            if (fresh) {
                //  Scale the first H by sᵀy/yᵀy (Nocedal & Wright 6.20).
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        H[i][j] = i == j ? sy / yy : 0;
                fresh = false;
            }
            //  H' = (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ
            double rho = 1 / sy, Hy[3] = {0, 0, 0}, yHy = 0;
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++)
                    Hy[i] += H[i][j] * y[j];
                yHy += y[i] * Hy[i];
            }
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                    H[i][j] += rho
                               * ((1 + rho * yHy) * s[i] * s[j] - Hy[i] * s[j]
                                  - s[i] * Hy[j]);
        }
        else
            fresh = true;
        stalls = fp - fq <= 1e-15 * fabs (fp) ? stalls + 1 : 0;
        memcpy (p, q, sizeof q);
        memcpy (g, gq, sizeof gq);
        fp = fq;
        if (stalls >= 3)
            break;
    }
    return fp;
}

//  Minimise from R's start (0.3, 0.1, 0.1) and from the two best points
//  of a grid of 4^k: the fit must land on the same optimum as R's
//  L-BFGS-B, and one local run from a poor start can stop in a shallow
//  valley. The grid is only evaluated, not descended from: a local run
//  costs ~300 model runs, a grid point one (bench/trend measured 65
//  local runs at 60 ms a series).
static void
s_fit (s_objective_t *self, double *best)
{
    static const double grid[4] = {0.125, 0.375, 0.625, 0.875};
    static const double r_start[3] = {0.3, 0.1, 0.1};
    int k = self->k, starts = 1;
    for (int i = 0; i < k; i++)
        starts *= 4;
    double p[3], seeds[2][3], seed_f[2] = {HUGE_VAL, HUGE_VAL};
    for (int start = 0; start < starts; start++) {
        int code = start;
        for (int i = 0; i < k; i++, code /= 4)
            p[i] = grid[code % 4];
        double f = s_objective (self, p);
        if (!(f < seed_f[1]))
            continue;
        int slot = f < seed_f[0] ? 0 : 1;
        if (slot == 0) {
            seed_f[1] = seed_f[0];
            memcpy (seeds[1], seeds[0], sizeof p);
        }
        seed_f[slot] = f;
        memcpy (seeds[slot], p, sizeof p);
    }
    for (int i = 0; i < k; i++)
        p[i] = r_start[self->index[i]];
    double best_f = s_minimise (self, p);
    memcpy (best, p, sizeof p);
    for (int seed = 0; seed < 2; seed++) {
        if (!isfinite (seed_f[seed]))
            continue;
        memcpy (p, seeds[seed], sizeof p);
        double f = s_minimise (self, p);
        if (f < best_f) {
            best_f = f;
            memcpy (best, p, sizeof p);
        }
    }
}

static bool
s_parameter_ok (double v)
{
    return isnan (v) || (v >= 0 && v <= 1);
}

int
ws_stats_holt_winters (const double *x, size_t n, ws_hw_seasonal_t seasonal,
                       size_t period, double alpha, double beta, double gamma,
                       ws_holt_winters_t *out, ws_err_t *err)
{
    assert (x && out);
    memset (out, 0, sizeof *out);
    if (seasonal == WS_HW_NONE) {
        period = 1;
        gamma = 0;
    }
    if (!s_parameter_ok (alpha) || !s_parameter_ok (beta)
        || !s_parameter_ok (gamma))
        return ws_err_set (err, WS_ERR_INPUT,
                           "Holt-Winters: alpha %g, beta %g, gamma %g: each "
                           "must be in [0, 1]",
                           alpha, beta, gamma);
    if (s_check_series (x, n, "x", err))
        return -1;
    s_hw_model_t model;
    if (s_hw_model_init (&model, x, n, seasonal, period, err))
        return -1;
    s_objective_t objective = {.model = &model, .k = 0};
    double par[3] = {alpha, beta, gamma};
    for (int i = 0; i < 3; i++) {
        objective.fixed[i] = isnan (par[i]) ? 0 : par[i];
        if (isnan (par[i]))
            objective.index[objective.k++] = i;
    }
    if (objective.k > 0) {
        double best[3];
        s_fit (&objective, best);
        for (int i = 0; i < objective.k; i++)
            par[objective.index[i]] = best[i];
        out->fitted = true;
    }
    size_t count = n - model.start;
    double *residuals = malloc (count * sizeof *residuals);
    out->season = malloc (model.period * sizeof *out->season);
    if (!residuals || !out->season) {
        free (residuals);
        ws_stats_holt_winters_clear (out);
        s_hw_model_free (&model);
        return s_out_of_memory (err, "Holt-Winters");
    }
    out->seasonal = seasonal;
    out->period = model.period;
    out->alpha = par[0];
    out->beta = par[1];
    out->gamma = par[2];
    out->sse = s_hw_model_run (&model, par[0], par[1], par[2], &out->level,
                               &out->trend, residuals);
    for (size_t j = 0; j < model.period; j++)
        out->season[j] =
            seasonal == WS_HW_NONE ? 0 : model.ring[(n + j) % model.period];
    out->residuals = count;
    double mean = s_mean (residuals, count), var = 0;
    for (size_t i = 0; i < count; i++)
        var += (residuals[i] - mean) * (residuals[i] - mean);
    out->residual_var = var / (double) (count - 1);
    free (residuals);
    s_hw_model_free (&model);
    if (!isfinite (out->sse) || !isfinite (out->level)
        || !isfinite (out->trend)) {
        ws_stats_holt_winters_clear (out);
        return ws_err_set (err, WS_ERR_INPUT,
                           "Holt-Winters: the model diverges on this series "
                           "(non-finite level or errors)");
    }
    return 0;
}

double
ws_stats_holt_winters_sse (const double *x, size_t n, ws_hw_seasonal_t seasonal,
                           size_t period, double alpha, double beta,
                           double gamma)
{
    if (!x || s_check_series (x, n, "x", NULL))
        return NAN;
    s_hw_model_t model;
    if (s_hw_model_init (&model, x, n, seasonal, period, NULL))
        return NAN;
    double sse =
        s_hw_model_run (&model, alpha, beta, seasonal == WS_HW_NONE ? 0 : gamma,
                        NULL, NULL, NULL);
    s_hw_model_free (&model);
    return sse;
}

void
ws_stats_holt_winters_forecast (const ws_holt_winters_t *self, size_t h,
                                double confidence, double *mean, double *low,
                                double *high)
{
    assert (self && self->season && h >= 1 && mean && low && high);
    size_t f = self->period;
    double base = self->level + (double) h * self->trend;
    double s = self->season[(h - 1) % f];
    if (self->seasonal == WS_HW_MULTIPLICATIVE) {
        *mean = base * s;
        *low = *high = NAN;
        return;
    }
    *mean = base + s;
    double sum = 1;
    for (size_t j = 1; j < h; j++) {
        double psi = self->alpha * (1 + (double) j * self->beta);
        if (self->seasonal != WS_HW_NONE && j % f == 0)
            psi += self->gamma * (1 - self->alpha);
        sum += psi * psi;
    }
    double half = ws_stats_normal_quantile ((1 + confidence) / 2)
                  * sqrt (self->residual_var * sum);
    *low = *mean - half;
    *high = *mean + half;
}

void
ws_stats_holt_winters_clear (ws_holt_winters_t *self)
{
    if (self) {
        free (self->season);
        self->season = NULL;
    }
}

double
ws_stats_autocorrelation (const double *x, size_t n, size_t lag)
{
    if (!x || lag >= n)
        return NAN;
    double mean = s_mean (x, n), num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        den += (x[i] - mean) * (x[i] - mean);
        if (i + lag < n)
            num += (x[i] - mean) * (x[i + lag] - mean);
    }
    return den > 0 ? num / den : NAN;
}
