//  test_ws_trend - the analysis object: every reference case compared as
//  check-cli compares it, ISO 8601 t, nulls and notes, the weekly season,
//  gaps, the CSV reader's errors and the command's exit codes.
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "ws_cli.h"  //  exit codes
#include "ws_csv.h"
#include "ws_test_common.h"
#include "ws_trend.h"

//  ---------------------------------------------------------------------
//  check-cli's comparison, ported

typedef struct {
    const char *name;
    const json_t *tolerance;
    int failures;
} s_case_t;

static void
s_mismatch (s_case_t *c, const char *path, const char *fmt, ...)
{
    char text[256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    c->failures++;
    print_error ("%s: %s: %s\n", c->name, *path ? path : "(top)", text);
}

static const json_t *
s_tolerance (const s_case_t *c, const char *path)
{
    const json_t *fields = json_object_get (c->tolerance, "fields");
    char key[256];
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

static void
s_compare (s_case_t *c, const json_t *expected, const json_t *got,
           const char *path)
{
    char sub[256];
    if (json_is_object (expected)) {
        if (!json_is_object (got))
            return s_mismatch (c, path, "expected an object");
        const char *key;
        const json_t *value;
        json_object_foreach ((json_t *) expected, key, value) {
            snprintf (sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
            const json_t *mine = json_object_get (got, key);
            if (!mine)
                s_mismatch (c, sub, "missing");
            else
                s_compare (c, value, mine, sub);
        }
    }
    else if (json_is_array (expected)) {
        if (!json_is_array (got)
            || json_array_size (got) != json_array_size (expected))
            return s_mismatch (c, path, "expected a list of %zu",
                               json_array_size (expected));
        snprintf (sub, sizeof sub, "%s[]", path);
        for (size_t i = 0; i < json_array_size (expected); i++)
            s_compare (c, json_array_get (expected, i), json_array_get (got, i),
                       sub);
    }
    else if (json_is_null (expected)) {
        if (!json_is_null (got))
            s_mismatch (c, path, "expected null");
    }
    else if (json_is_string (expected) || json_is_boolean (expected)) {
        if (!json_equal ((json_t *) expected, (json_t *) got))
            s_mismatch (c, path, "expected %s",
                        json_is_string (expected) ? json_string_value (expected)
                                                  : "a boolean");
    }
    else if (json_is_integer (expected)) {
        if (!json_is_number (got)
            || json_number_value (got) != json_number_value (expected))
            s_mismatch (c, path, "expected exactly %lld",
                        (long long) json_integer_value (expected));
    }
    else {
        double want = json_real_value (expected);
        if (!json_is_number (got) || !isfinite (json_number_value (got)))
            return s_mismatch (c, path, "expected a number near %.17g", want);
        double value = json_number_value (got);
        const json_t *tol = s_tolerance (c, path);
        const json_t *at_most = json_object_get (tol, "at_most_rel");
        bool ok;
        if (at_most)
            ok = value <= want * (1 + json_number_value (at_most)) + 1e-12;
        else
            ok = fabs (value - want)
                 <= json_number_value (json_object_get (tol, "abs"))
                        + json_number_value (json_object_get (tol, "rel"))
                              * fabs (want);
        if (!ok)
            s_mismatch (c, path, "expected %.17g, got %.17g", want, value);
    }
}

//  Options from a case's argument list, as the command reads them.
static void
s_options (const json_t *args, ws_trend_options_t *options)
{
    ws_trend_options_init (options);
    for (size_t i = 0; i + 1 < json_array_size (args); i += 2) {
        const char *option = json_string_value (json_array_get (args, i));
        const char *value = json_string_value (json_array_get (args, i + 1));
        if (strcmp (option, "--horizon") == 0)
            options->horizon = (size_t) atoi (value);
        else if (strcmp (option, "--season") == 0)
            options->season = (size_t) atoi (value);
        else if (strcmp (option, "--seasonal") == 0) {
            options->holt_winters = true;
            assert_int_equal (
                ws_trend_seasonal_parse (value, &options->seasonal, NULL), 0);
        }
        else if (strcmp (option, "--alpha") == 0)
            options->alpha = atof (value);
        else if (strcmp (option, "--beta") == 0)
            options->beta = atof (value);
        else if (strcmp (option, "--gamma") == 0)
            options->gamma = atof (value);
        else
            fail_msg ("unknown argument %s", option);
    }
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
    int cases = 0, failed = 0;
    while ((entry = readdir (dir))) {
        size_t len = strlen (entry->d_name);
        if (len <= 5 || strcmp (entry->d_name + len - 5, ".json") != 0)
            continue;
        char path[1024], name[256];
        snprintf (name, sizeof name, "%.*s", (int) (len - 5), entry->d_name);
        snprintf (path, sizeof path, "%s/%s.json", folder, name);
        json_error_t jerr;
        json_t *root = json_load_file (path, 0, &jerr);
        if (!root)
            fail_msg ("%s: %s", path, jerr.text);
        ws_trend_options_t options;
        s_options (json_object_get (root, "args"), &options);
        snprintf (path, sizeof path, "%s/%s.csv", folder, name);
        ws_csv_series_t series;
        ws_err_t err;
        if (ws_csv_read (&series, path, &err))
            fail_msg ("%s", err.text);
        options.t_is_time = series.t_is_time;
        json_t *result =
            ws_trend_analyse (series.t, series.value, series.n, &options, &err);
        if (!result)
            fail_msg ("%s: %s", name, err.text);
        s_case_t c = {name, json_object_get (root, "tolerance"), 0};
        s_compare (&c, json_object_get (root, "expected"), result, "");
        //  The object always prints: no NaN sneaks into a json_real.
        char *text = json_dumps (result, JSON_REAL_PRECISION (17));
        assert_non_null (text);
        free (text);
        failed += c.failures > 0;
        cases++;
        json_decref (result);
        json_decref (root);
        ws_csv_series_free (&series);
    }
    closedir (dir);
    free (folder);
    assert_int_equal (failed, 0);
    assert_true (cases >= 14);
}

//  ---------------------------------------------------------------------
//  Shapes, nulls and notes

static bool
s_has_note (const json_t *result, const char *field)
{
    const json_t *notes = json_object_get (result, "notes");
    for (size_t i = 0; i < json_array_size (notes); i++)
        if (strncmp (json_string_value (json_array_get (notes, i)), field,
                     strlen (field))
            == 0)
            return true;
    return false;
}

static void
test_short_series (void **state)
{
    (void) state;
    double t[] = {1, 2, 3}, x[] = {3, 1, 2};
    ws_trend_options_t options;
    ws_trend_options_init (&options);
    options.holt_winters = true;
    options.seasonal = WS_HW_NONE;
    for (size_t n = 0; n <= 3; n++) {
        ws_err_t err;
        json_t *result = ws_trend_analyse (t, x, n, &options, &err);
        assert_non_null (result);
        assert_int_equal (json_integer_value (json_object_get (result, "n")),
                          n);
        //  Mann-Kendall, Pettitt and OLS need 3 points, Sen 2, Holt 4.
        bool mk = n >= 3, sen = n >= 2;
        assert_true (json_is_null (json_object_get (result, "mann_kendall"))
                     == !mk);
        assert_true (s_has_note (result, "mann_kendall") == !mk);
        assert_true (json_is_null (json_object_get (result, "sen")) == !sen);
        assert_true (s_has_note (result, "sen") == !sen);
        assert_true (json_is_null (json_object_get (result, "pettitt")) == !mk);
        assert_true (json_is_null (json_object_get (result, "ols")) == !mk);
        assert_true (json_is_null (json_object_get (result, "holt_winters")));
        assert_true (s_has_note (result, "holt_winters"));
        json_decref (result);
    }
}

static void
test_constant_series (void **state)
{
    (void) state;
    double t[12], x[12];
    for (int i = 0; i < 12; i++) {
        t[i] = i + 1;
        x[i] = 5;
    }
    ws_trend_options_t options;
    ws_trend_options_init (&options);
    options.horizon = 3;
    json_t *result = ws_trend_analyse (t, x, 12, &options, NULL);
    assert_non_null (result);
    assert_true (json_is_null (json_object_get (result, "mann_kendall")));
    assert_true (s_has_note (result, "mann_kendall"));
    assert_true (json_is_null (json_object_get (result, "pettitt")));
    const json_t *sen = json_object_get (result, "sen");
    assert_true (json_number_value (json_object_get (sen, "slope")) == 0);
    assert_true (json_number_value (json_object_get (sen, "intercept")) == 5);
    const json_t *ols = json_object_get (result, "ols");
    assert_true (json_is_null (json_object_get (ols, "r2")));
    assert_true (s_has_note (result, "ols.r2"));
    assert_int_equal (json_array_size (json_object_get (ols, "forecast")), 3);
    json_decref (result);
}

static void
test_bad_options (void **state)
{
    (void) state;
    double t[] = {1, 2, 3, 4}, x[] = {1, 2, 3, 4};
    ws_trend_options_t options;
    ws_err_t err;
    ws_trend_options_init (&options);
    options.holt_winters = true;
    options.seasonal = WS_HW_ADDITIVE;  //  without a season
    assert_null (ws_trend_analyse (t, x, 4, &options, &err));
    assert_non_null (strstr (err.text, "season"));
    ws_trend_options_init (&options);
    options.alpha = 1.5;
    assert_null (ws_trend_analyse (t, x, 4, &options, &err));
    assert_non_null (strstr (err.text, "alpha"));
    ws_trend_options_init (&options);
    options.horizon = WS_TREND_MAX_HORIZON + 1;
    assert_null (ws_trend_analyse (t, x, 4, &options, &err));
    assert_non_null (strstr (err.text, "horizon"));
    ws_trend_options_init (&options);
    double back[] = {1, 3, 2, 4};
    assert_null (ws_trend_analyse (back, x, 4, &options, &err));
    assert_non_null (strstr (err.text, "point 3"));
    double nan[] = {1, NAN, 3, 4};
    assert_null (ws_trend_analyse (t, nan, 4, &options, &err));
    assert_non_null (strstr (err.text, "point 2"));
    ws_hw_seasonal_t kind;
    assert_int_equal (ws_trend_seasonal_parse ("weekly", &kind, &err), -1);
    assert_non_null (strstr (err.text, "'weekly'"));
    assert_string_equal (ws_trend_seasonal_name (WS_HW_MULTIPLICATIVE),
                         "multiplicative");
}

//  ---------------------------------------------------------------------
//  ISO 8601 t, the weekly season, gaps

//  A daily CSV from 2024-01-01 with a weekday profile (weekends low).
static char *
s_daily_csv (size_t days, double weekday_effect, uint64_t seed)
{
    size_t size = 64 + days * 48;
    char *text = malloc (size);
    size_t len = (size_t) snprintf (text, size, "t,value\n");
    for (size_t i = 0; i < days; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        double noise = (double) (seed >> 40) / 16777216.0 * 10 - 5;
        double profile =
            (i % 7 == 5 || i % 7 == 6) ? -weekday_effect : weekday_effect / 2;
        int day = (int) i + 1, month = 1;
        static const int mdays[] = {31, 29, 31, 30, 31, 30};
        while (day > mdays[month - 1]) {
            day -= mdays[month - 1];
            month++;
        }
        len += (size_t) snprintf (text + len, size - len,
                                  "2024-%02d-%02d,%.3f\n", month, day,
                                  100 + 0.2 * (double) i + profile + noise);
    }
    return text;
}

static void
test_iso_days (void **state)
{
    (void) state;
    char *text = s_daily_csv (56, 30, 1);
    ws_csv_series_t series;
    ws_err_t err;
    assert_int_equal (
        ws_csv_parse (&series, text, strlen (text), "d.csv", &err), 0);
    assert_true (series.t_is_time);
    assert_int_equal (series.n, 56);
    assert_true (series.t[0] == 19723);  //  2024-01-01 in days
    ws_trend_options_t options;
    ws_trend_options_init (&options);
    options.t_is_time = true;
    options.horizon = 2;
    json_t *result =
        ws_trend_analyse (series.t, series.value, series.n, &options, &err);
    assert_non_null (result);
    assert_string_equal (json_string_value (json_object_get (result, "t_unit")),
                         "day");
    //  Every t printed as ISO 8601 UTC.
    const json_t *pettitt = json_object_get (result, "pettitt");
    const char *change = json_string_value (json_object_get (pettitt, "t"));
    assert_non_null (change);
    assert_int_equal (strlen (change), 20);
    assert_true (strncmp (change, "2024-0", 6) == 0 && change[19] == 'Z');
    const json_t *forecast =
        json_object_get (json_object_get (result, "ols"), "forecast");
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (forecast, 1), "t")),
        "2024-02-27T00:00:00Z");
    //  The same series with numeric days gives the same numbers.
    options.t_is_time = false;
    json_t *numeric =
        ws_trend_analyse (series.t, series.value, series.n, &options, &err);
    assert_true (json_equal (json_object_get (result, "sen"),
                             json_object_get (numeric, "sen")));
    assert_true (json_is_number (
        json_object_get (json_object_get (numeric, "pettitt"), "t")));
    //  A weekly cycle in daily data: the seasonal test, found by lag 7.
    const json_t *smk = json_object_get (result, "seasonal_mann_kendall");
    assert_true (json_is_object (smk));
    assert_int_equal (json_integer_value (json_object_get (smk, "period")), 7);
    assert_string_equal (
        json_string_value (json_object_get (smk, "detected_by")),
        "lag-7 autocorrelation");
    assert_true (json_number_value (json_object_get (smk, "autocorrelation"))
                 > json_number_value (json_object_get (smk, "bound")));
    json_decref (numeric);
    json_decref (result);
    ws_csv_series_free (&series);
    free (text);

    //  No weekday profile: no seasonal test unless asked for.
    text = s_daily_csv (56, 0, 2);
    assert_int_equal (
        ws_csv_parse (&series, text, strlen (text), "d.csv", &err), 0);
    options.t_is_time = true;
    result =
        ws_trend_analyse (series.t, series.value, series.n, &options, &err);
    assert_null (json_object_get (result, "seasonal_mann_kendall"));
    json_decref (result);
    options.season = 7;
    result =
        ws_trend_analyse (series.t, series.value, series.n, &options, &err);
    smk = json_object_get (result, "seasonal_mann_kendall");
    assert_true (json_is_object (smk));
    assert_string_equal (
        json_string_value (json_object_get (smk, "detected_by")),
        "season option");
    json_decref (result);
    //  Fewer than two weeks: never detected.
    options.season = 0;
    result = ws_trend_analyse (series.t, series.value, 13, &options, &err);
    assert_null (json_object_get (result, "seasonal_mann_kendall"));
    json_decref (result);
    ws_csv_series_free (&series);
    free (text);
}

static void
test_gaps (void **state)
{
    (void) state;
    //  Days 1..20 without 6, 7 and 15: three missing steps.
    double t[20], x[20];
    size_t n = 0;
    for (int day = 1; n < 17; day++) {
        if (day == 6 || day == 7 || day == 15)
            continue;
        t[n] = day;
        x[n] = day * 0.5 + (day % 3);
        n++;
    }
    ws_trend_options_t options;
    ws_trend_options_init (&options);
    options.holt_winters = true;
    json_t *result = ws_trend_analyse (t, x, n, &options, NULL);
    assert_non_null (result);
    assert_int_equal (
        json_integer_value (json_object_get (result, "missing_steps")), 3);
    assert_true (json_is_null (json_object_get (result, "holt_winters")));
    assert_true (s_has_note (result, "holt_winters"));
    //  The forecast step is still the mean spacing (README).
    const json_t *forecast =
        json_object_get (json_object_get (result, "ols"), "forecast");
    double step = (t[n - 1] - t[0]) / (double) (n - 1);
    assert_true (
        json_number_value (json_object_get (json_array_get (forecast, 0), "t"))
        == t[n - 1] + step);
    json_decref (result);
}

//  ---------------------------------------------------------------------
//  CSV reader

static void
s_expect_csv_error (const char *text, const char *message)
{
    ws_csv_series_t series;
    ws_err_t err;
    assert_int_equal (
        ws_csv_parse (&series, text, strlen (text), "in.csv", &err), -1);
    if (!strstr (err.text, message))
        fail_msg ("CSV %s: error '%s' does not say '%s'", text, err.text,
                  message);
    assert_int_equal (series.n, 0);
    assert_null (series.t);
}

static void
test_csv (void **state)
{
    (void) state;
    ws_csv_series_t series;
    ws_err_t err;
    const char *good = "\xEF\xBB\xBF T , Value \r\n1,2.5\r\n\r\n2 , \"3\"\n"
                       "3,-1e3";
    assert_int_equal (
        ws_csv_parse (&series, good, strlen (good), "g.csv", &err), 0);
    assert_int_equal (series.n, 3);
    assert_false (series.t_is_time);
    assert_true (series.value[0] == 2.5 && series.value[1] == 3
                 && series.value[2] == -1000);
    ws_csv_series_free (&series);
    ws_csv_series_free (&series);  //  safe on repeat
    //  Only a header: an empty series, not an error.
    assert_int_equal (ws_csv_parse (&series, "t,value\n", 8, "e.csv", &err), 0);
    assert_int_equal (series.n, 0);
    ws_csv_series_free (&series);

    s_expect_csv_error ("", "in.csv: empty");
    s_expect_csv_error ("1,2\n2,3\n", "in.csv:1: header '1,2'");
    s_expect_csv_error ("time,value\n1,2\n", "in.csv:1: header");
    s_expect_csv_error ("t,value\n1,2\nx,3\n",
                        "in.csv:3: t 'x' is not a number or ISO 8601 time");
    s_expect_csv_error ("t,value\n1,2\n2,nan\n",
                        "in.csv:3: value 'nan' is not a finite number");
    s_expect_csv_error ("t,value\n1,2\n2,inf\n", "in.csv:3: value 'inf'");
    s_expect_csv_error ("t,value\n1,2\n2,\n", "in.csv:3: value ''");
    s_expect_csv_error ("t,value\n1,2\n2,12abc\n", "in.csv:3: value '12abc'");
    s_expect_csv_error ("t,value\n1,2\n3,2\n2,5\n",
                        "in.csv:4: t not increasing ('2' after '3')");
    s_expect_csv_error ("t,value\n1,2\n1,5\n", "in.csv:3: t not increasing");
    s_expect_csv_error ("t,value\n1,2\n2,3,4\n", "in.csv:3: 3 fields");
    s_expect_csv_error ("t,value\n1\n", "in.csv:2: 1 fields");
    s_expect_csv_error ("t,value\n2024-01-01,2\n5,3\n",
                        "in.csv:3: t '5' is a number but the t before it are "
                        "ISO 8601 times");
    s_expect_csv_error ("t,value\n2024-02-30,2\n", "in.csv:2: t '2024-02-30'");
    assert_int_equal (
        ws_csv_parse (&series, "t,value\n1,2\0\n", 13, "n.csv", &err), -1);
    assert_non_null (strstr (err.text, "n.csv: holds a NUL byte"));
    //  ISO timestamps with zones become UTC days.
    const char *iso = "t,value\n2024-01-01T12:00:00Z,1\n"
                      "2024-01-02T14:00:00+02:00,2\n";
    assert_int_equal (ws_csv_parse (&series, iso, strlen (iso), "i.csv", &err),
                      0);
    assert_true (series.t_is_time);
    assert_true (series.t[0] == 19723.5 && series.t[1] == 19724.5);
    ws_csv_series_free (&series);
    assert_int_equal (ws_csv_read (&series, "/nonexistent/x.csv", &err), -1);
    assert_non_null (strstr (err.text, "/nonexistent/x.csv: cannot open"));
}

//  ---------------------------------------------------------------------
//  The command: exit codes

//  Run the built client (WS_BUILD_DIR/cli/watershed) with its output
//  sent to /dev/null; returns its exit code.
static int
s_run (const char *first, ...)
{
    const char *build = getenv ("WS_BUILD_DIR");
    if (!build)
        fail_msg ("WS_BUILD_DIR is not set: run this test through ctest");
    char exe[1024];
    snprintf (exe, sizeof exe, "%s/cli/watershed", build);
    if (access (exe, X_OK))
        fail_msg ("client '%s' is missing: build the watershed target", exe);
    char *argv[32];
    int argc = 0;
    argv[argc++] = exe;
    va_list args;
    va_start (args, first);
    for (const char *arg = first; arg && argc < 31;
         arg = va_arg (args, const char *))
        argv[argc++] = (char *) arg;
    va_end (args);
    argv[argc] = NULL;
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int null = open ("/dev/null", O_WRONLY);
        dup2 (null, 1);
        dup2 (null, 2);
        execv (exe, argv);
        _exit (127);
    }
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    return WEXITSTATUS (status);
}

static void
test_command (void **state)
{
    (void) state;
    char path[] = "/tmp/test_ws_trend_XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text = "t,value\n1,3\n2,4\n3,4.5\n4,6\n5,5.5\n6,7\n";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    char bad[] = "/tmp/test_ws_trend_bad_XXXXXX";
    fd = mkstemp (bad);
    assert_true (fd >= 0);
    text = "t,value\n1,3\n2,x\n";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);

    assert_int_equal (s_run ("trend", "--csv", path, "--json", NULL),
                      WS_EXIT_OK);
    assert_int_equal (s_run ("trend", "--csv", path, "--horizon", "3",
                             "--seasonal", "none", "--alpha", "0.5", NULL),
                      WS_EXIT_OK);
    assert_int_equal (s_run ("trend", "--help", NULL), WS_EXIT_OK);
    assert_int_equal (s_run ("trend", "--csv", bad, NULL), WS_EXIT_FAIL);
    assert_int_equal (s_run ("trend", "--csv", "/nonexistent.csv", NULL),
                      WS_EXIT_FAIL);
    assert_int_equal (s_run ("trend", NULL), WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", NULL), WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", path, "--bogus", NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", path, "--horizon", "-1", NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", path, "--season", "1", NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (
        s_run ("trend", "--csv", path, "--seasonal", "weekly", NULL),
        WS_EXIT_USAGE);
    assert_int_equal (
        s_run ("trend", "--csv", path, "--seasonal", "additive", NULL),
        WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", path, "--alpha", "0.3", NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", path, "--seasonal", "none",
                             "--gamma", "0.3", NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", path, "--seasonal", "none",
                             "--alpha", "2", NULL),
                      WS_EXIT_USAGE);
    assert_int_equal (s_run ("trend", "--csv", path, "extra", NULL),
                      WS_EXIT_USAGE);
    unlink (path);
    unlink (bad);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_reference_cases),
        cmocka_unit_test (test_short_series),
        cmocka_unit_test (test_constant_series),
        cmocka_unit_test (test_bad_options),
        cmocka_unit_test (test_iso_days),
        cmocka_unit_test (test_gaps),
        cmocka_unit_test (test_csv),
        cmocka_unit_test (test_command),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
