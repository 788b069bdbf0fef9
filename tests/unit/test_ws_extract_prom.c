//  test_ws_extract_prom - the Prometheus extractor on
//  tests/data/extract/metrics.prom: exact matchers, != =~ !~ (anchored),
//  __name__, absent labels as "", labels_from; escapes in label values;
//  histogram buckets with le="+Inf"; NaN and infinities; timestamps,
//  comments, blanks and CR LF; every syntax error rejecting the whole
//  document; selector errors at new(); a regex that hits the match
//  limit; random bytes without a crash.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_test_common.h"

#include "ws_extract_prom.h"

static char *s_body;
static size_t s_len;

static int
s_setup (void **state)
{
    (void) state;
    s_body = ws_test_data_file ("extract/metrics.prom", &s_len);
    return s_body && s_len ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    free (s_body);
    return 0;
}

static ws_extract_prom_t *
s_new_rule (const char *rule_text)
{
    json_error_t jerr;
    json_t *rule = json_loads (rule_text, 0, &jerr);
    if (!rule)
        fail_msg ("test rule: %s", jerr.text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_prom_t *self = ws_extract_prom_new (rule, &err);
    json_decref (rule);
    if (!self)
        fail_msg ("%s: %s", rule_text, err.text);
    return self;
}

//  A rule of the selector (as written, not JSON-escaped) and labels.
static ws_extract_prom_t *
s_new (const char *selector, const char *labels_from)
{
    json_t *rule = json_pack ("{s:s}", "prometheus", selector);
    assert_non_null (rule);
    if (labels_from) {
        json_error_t jerr;
        json_object_set_new (rule, "labels_from",
                             json_loads (labels_from, 0, &jerr));
    }
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_prom_t *self = ws_extract_prom_new (rule, &err);
    json_decref (rule);
    if (!self)
        fail_msg ("%s: %s", selector, err.text);
    assert_string_equal (ws_extract_prom_expr (self), selector);
    return self;
}

//  Run selector on body (the fixture if NULL); must succeed.
static void
s_run (const char *selector, const char *labels_from, const char *body,
       ws_matches_t *matches)
{
    ws_extract_prom_t *self = s_new (selector, labels_from);
    ws_matches_init (matches);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_extract_prom_run (self, body ? body : s_body,
                             body ? strlen (body) : s_len, matches, &err))
        fail_msg ("%s: %s", selector, err.text);
    for (size_t i = 0; i < matches->count; i++)
        assert_true (matches->items[i].has_value);
    ws_extract_prom_destroy (&self);
    assert_null (self);
}

//  The number of samples selector picks from the fixture.
static size_t
s_count (const char *selector)
{
    ws_matches_t matches;
    s_run (selector, NULL, NULL, &matches);
    size_t count = matches.count;
    ws_matches_free (&matches);
    return count;
}

//  The only sample selector picks from the fixture.
static double
s_value (const char *selector, const char *text)
{
    ws_matches_t matches;
    s_run (selector, NULL, NULL, &matches);
    if (matches.count != 1)
        fail_msg ("%s: %zu matches", selector, matches.count);
    assert_string_equal (matches.items[0].text, text);
    double value = matches.items[0].value;
    ws_matches_free (&matches);
    return value;
}

//  Running on body must fail with exactly text, the list left as it was.
static void
s_run_error (const char *body, const char *text)
{
    ws_extract_prom_t *self = s_new ("up", NULL);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_matches_add (&matches, "before", 6, true, 1, NULL);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_extract_prom_run (self, body, strlen (body), &matches, &err) == 0)
        fail_msg ("%s: expected an error, got %zu matches", body,
                  matches.count);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (err.text, text);
    assert_int_equal (matches.count, 1);
    assert_string_equal (matches.items[0].text, "before");
    ws_matches_free (&matches);
    ws_extract_prom_destroy (&self);
}

//  new() must refuse selector with exactly text.
static void
s_new_error (const char *selector, const char *text)
{
    json_t *rule = json_pack ("{s:s}", "prometheus", selector);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_prom_t *self = ws_extract_prom_new (rule, &err);
    json_decref (rule);
    if (self)
        fail_msg ("%s: expected an error", selector);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text, text);
    assert_string_equal (err.where, "/prometheus");
}

static void
test_exact (void **state)
{
    (void) state;
    assert_true (
        s_value ("http_requests_total{method=\"GET\",code=\"200\"}", "1027")
        == 1027);
    //  Order, blanks and a trailing comma in the selector do not matter.
    assert_true (s_value (" http_requests_total { code = '200' , method="
                          "`GET`, } ",
                          "1027")
                 == 1027);
    assert_int_equal (s_count ("http_requests_total"), 5);
    assert_int_equal (s_count ("http_requests_total{method=\"POST\"}"), 2);
    //  The name is whole: a prefix is another metric.
    assert_int_equal (s_count ("http_requests"), 0);
    assert_true (s_value ("metric_without_timestamp_and_labels", "12.47")
                 == 12.47);
    assert_true (s_value ("rpc_duration_seconds_sum", "1.7560473e+07")
                 == 1.7560473e+07);
    //  Blanks and a tab around the tokens, a trailing comma in labels.
    assert_true (s_value ("build_info{version=\"1.2.3\"}", "1") == 1);
}

static void
test_operators (void **state)
{
    (void) state;
    assert_int_equal (s_count ("http_requests_total{code!=\"200\"}"), 3);
    assert_int_equal (s_count ("http_requests_total{code=~\"2..\"}"), 3);
    assert_int_equal (s_count ("http_requests_total{code=~\"2..|5..\"}"), 4);
    //  Anchored at both ends, as in Prometheus.
    assert_int_equal (s_count ("http_requests_total{code=~\"20\"}"), 0);
    assert_int_equal (s_count ("http_requests_total{code=~\"00\"}"), 0);
    assert_int_equal (s_count ("http_requests_total{code=~\"2\"}"), 0);
    assert_int_equal (s_count ("http_requests_total{code=~\"20|1\"}"), 0);
    assert_int_equal (s_count ("http_requests_total{code=~\".*0.*\"}"), 5);
    assert_int_equal (s_count ("http_requests_total{code!~\"2..|5..\"}"), 1);
    assert_int_equal (s_count ("http_requests_total{code!~\"2\"}"), 5);
    //  All matchers must hold.
    assert_int_equal (
        s_count ("http_requests_total{code=~\"2..\",method!=\"GET\"}"), 1);

    //  A label the sample lacks reads as "".
    assert_int_equal (s_count ("rpc_duration_seconds_sum{quantile=\"\"}"), 1);
    assert_int_equal (s_count ("rpc_duration_seconds_sum{quantile!=\"x\"}"), 1);
    assert_int_equal (s_count ("rpc_duration_seconds_sum{quantile=~\".+\"}"),
                      0);
    assert_int_equal (s_count ("rpc_duration_seconds{quantile!=\"0.5\"}"), 2);

    //  __name__, with or without a name before the braces.
    assert_int_equal (s_count ("{__name__=~\"rpc_duration_seconds.*\"}"), 5);
    assert_int_equal (s_count ("{__name__=~\"http_request_duration_seconds_"
                               "bucket\",le=~\"0.*\"}"),
                      4);
    assert_int_equal (s_count ("rpc_duration_seconds{__name__!=\"x\"}"), 3);

    //  labels_from: a label the sample lacks is left out.
    ws_matches_t matches;
    s_run ("http_requests_total{code!~\"2..\"}",
           "{\"code\": \"code\", \"verb\": \"method\", \"le\": \"le\","
           " \"metric\": \"__name__\"}",
           NULL, &matches);
    assert_int_equal (matches.count, 2);
    json_t *labels = matches.items[0].labels;
    assert_int_equal (json_object_size (labels), 3);
    assert_string_equal (json_string_value (json_object_get (labels, "code")),
                         "404");
    assert_string_equal (json_string_value (json_object_get (labels, "verb")),
                         "GET");
    assert_string_equal (json_string_value (json_object_get (labels, "metric")),
                         "http_requests_total");
    assert_string_equal (
        json_string_value (json_object_get (matches.items[1].labels, "verb")),
        "POST");
    assert_true (matches.items[1].value == 2);
    ws_matches_free (&matches);
    //  None of the labels: no label object.
    s_run ("metric_without_timestamp_and_labels", "{\"code\": \"code\"}", NULL,
           &matches);
    assert_int_equal (matches.count, 1);
    assert_null (matches.items[0].labels);
    ws_matches_free (&matches);
}

static void
test_escapes (void **state)
{
    (void) state;
    //  In the selector, PromQL escapes; in the document, \\ \" \n.
    assert_true (s_value ("msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\"
                          "FILE.TXT\"}",
                          "1.458255915e9")
                 == 1.458255915e9);
    assert_int_equal (
        s_count ("msdos_file_access_time_seconds{path=`C:\\DIR\\FILE.TXT`}"),
        1);
    assert_int_equal (s_count ("msdos_file_access_time_seconds{error="
                               "\"Cannot find file:\\n\\\"FILE.TXT\\\"\"}"),
                      1);
    assert_int_equal (
        s_count ("msdos_file_access_time_seconds{error=~'Cannot.*TXT\"'}"), 1);
    ws_matches_t matches;
    s_run ("msdos_file_access_time_seconds",
           "{\"path\": \"path\", \"error\":"
           " \"error\"}",
           NULL, &matches);
    assert_int_equal (matches.count, 1);
    json_t *labels = matches.items[0].labels;
    assert_string_equal (json_string_value (json_object_get (labels, "path")),
                         "C:\\DIR\\FILE.TXT");
    assert_string_equal (json_string_value (json_object_get (labels, "error")),
                         "Cannot find file:\n\"FILE.TXT\"");
    ws_matches_free (&matches);

    //  Another escape is kept as written, as Prometheus keeps it.
    s_run ("a", "{\"p\": \"p\"}", "a{p=\"x\\ty\\\\\"} 1\n", &matches);
    assert_string_equal (
        json_string_value (json_object_get (matches.items[0].labels, "p")),
        "x\\ty\\");
    ws_matches_free (&matches);
}

static void
test_histogram (void **state)
{
    (void) state;
    assert_true (
        s_value ("http_request_duration_seconds_bucket{le=\"+Inf\"}", "144320")
        == 144320);
    assert_true (
        s_value ("http_request_duration_seconds_bucket{le=\"0.05\"}", "24054")
        == 24054);
    assert_int_equal (s_count ("http_request_duration_seconds_bucket"), 6);
    assert_true (s_value ("http_request_duration_seconds_count", "144320")
                 == 144320);
    //  The histogram's own name is not a sample.
    assert_int_equal (s_count ("http_request_duration_seconds"), 0);
}

static void
test_non_finite (void **state)
{
    (void) state;
    double value = s_value ("something_weird", "+Inf");
    assert_true (isinf (value) && value > 0);
    value = s_value ("queue_depth_ratio{queue=\"mail\"}", "NaN");
    assert_true (isnan (value));
    value = s_value ("queue_depth_ratio{queue=\"sms\"}", "-Inf");
    assert_true (isinf (value) && value < 0);
    //  Go's ParseFloat spellings, any case.
    ws_matches_t matches;
    s_run ("x", NULL, "x inf\nx -infinity\nx nan\nx 0x1p-2\nx -0\nx 1e-400\n",
           &matches);
    assert_int_equal (matches.count, 6);
    assert_true (isinf (matches.items[0].value));
    assert_true (isinf (matches.items[1].value) && matches.items[1].value < 0);
    assert_true (isnan (matches.items[2].value));
    assert_true (matches.items[3].value == 0.25);
    assert_true (matches.items[4].value == 0);
    assert_true (matches.items[5].value == 0);
    ws_matches_free (&matches);
}

static void
test_format (void **state)
{
    (void) state;
    ws_matches_t matches;
    //  Timestamps are not values; a negative one is allowed.
    s_run ("a", NULL,
           "a 1 1395066363000\na{x=\"1\"} 2 -3982045\na 3   \t\n"
           "a{x=\"2\"} 4 9223372036854775807\n",
           &matches);
    assert_int_equal (matches.count, 4);
    assert_string_equal (matches.items[0].text, "1");
    assert_string_equal (matches.items[1].text, "2");
    assert_string_equal (matches.items[2].text, "3");
    assert_true (matches.items[3].value == 4);
    ws_matches_free (&matches);

    //  Comments of any kind, blank lines, CR LF, no final line end.
    s_run ("a", NULL,
           "#comment\r\n  # another\r\n#\r\n\r\n   \r\n# HELP a text \\ "
           "\"here\"\r\n# TYPE a gauge\r\n# TYPE b untyped\r\na 5\r\na 6",
           &matches);
    assert_int_equal (matches.count, 2);
    assert_string_equal (matches.items[0].text, "5");
    assert_string_equal (matches.items[1].text, "6");
    ws_matches_free (&matches);

    //  Unknown metric and an empty document: no match, no error.
    assert_int_equal (s_count ("no_such_metric"), 0);
    s_run ("up", NULL, "", &matches);
    assert_int_equal (matches.count, 0);
    ws_matches_free (&matches);
    ws_extract_prom_t *self = s_new ("up", NULL);
    ws_matches_init (&matches);
    ws_err_t err;
    assert_int_equal (ws_extract_prom_run (self, NULL, 0, &matches, &err), 0);
    ws_extract_prom_destroy (&self);
    ws_extract_prom_destroy (&self);
    ws_extract_prom_destroy (NULL);
}

static void
test_syntax_errors (void **state)
{
    (void) state;
    //  The whole document is refused, even the samples that parsed.
    s_run_error ("up 1\n# TYPE up gauge\nup{job=\"a} 1\n",
                 "prometheus line 3: unterminated label value");
    s_run_error ("up{job=\"a\\", "prometheus line 1: unterminated label value");
    s_run_error ("up 1\nup{job=\"a\nb\"} 1\n",
                 "prometheus line 2: unterminated label value");
    s_run_error ("up{job=a} 1", "prometheus line 1: expected '\"' to open the "
                                "value of label 'job'");
    s_run_error ("up{job} 1",
                 "prometheus line 1: expected '=' after label 'job'");
    s_run_error ("up{job=\"a\" x=\"b\"} 1",
                 "prometheus line 1: expected ',' or '}' after the value of "
                 "label 'job'");
    s_run_error ("up{,} 1", "prometheus line 1: expected a label name or '}'");
    s_run_error ("up{a=\"1\",a=\"2\"} 1",
                 "prometheus line 1: label 'a' given twice");
    s_run_error ("up 12abc", "prometheus line 1: value '12abc' is not a "
                             "number");
    s_run_error ("up nan(1)", "prometheus line 1: value 'nan(1)' is not a "
                              "number");
    s_run_error ("up 1e999", "prometheus line 1: value '1e999' is out of "
                             "range");
    s_run_error ("up", "prometheus line 1: expected a value after 'up'");
    s_run_error ("up{} ", "prometheus line 1: expected a value after 'up'");
    s_run_error ("up 1 12x",
                 "prometheus line 1: timestamp '12x' is not an integer");
    s_run_error ("up 1 1.5",
                 "prometheus line 1: timestamp '1.5' is not an integer");
    s_run_error ("up 1 9223372036854775808",
                 "prometheus line 1: timestamp '9223372036854775808' is not "
                 "an integer");
    s_run_error ("up 1 2 3",
                 "prometheus line 1: unexpected text after the timestamp");
    s_run_error ("up-1 1", "prometheus line 1: unexpected '-' after metric "
                           "'up'");
    s_run_error ("9up 1",
                 "prometheus line 1: expected a metric name, found '9up'");
    s_run_error ("{a=\"b\"} 1",
                 "prometheus line 1: expected a metric name, found "
                 "'{a=\"b\"}'");
    s_run_error ("# TYPE up gauges\nup 1",
                 "prometheus line 1: unknown type 'gauges' for metric 'up'");
    s_run_error ("# TYPE up\nup 1",
                 "prometheus line 1: unknown type '' for metric 'up'");
    s_run_error ("# HELP\n", "prometheus line 1: # HELP without a valid "
                             "metric name");
    s_run_error ("# TYPE 9x gauge\n",
                 "prometheus line 1: # TYPE without a valid metric name");
    s_run_error ("up{a=\"M\xE4rz\"} 1",
                 "prometheus line 1: the value of label 'a' is not UTF-8");
    ws_extract_prom_t *self = s_new ("up", NULL);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    assert_int_equal (
        ws_extract_prom_run (self, "up 1\nup\0 1\n", 11, &matches, &err), -1);
    assert_string_equal (err.text, "prometheus line 2: a NUL byte");
    assert_int_equal (matches.count, 0);
    ws_matches_free (&matches);
    ws_extract_prom_destroy (&self);
}

static void
test_selector_errors (void **state)
{
    (void) state;
    s_new_error ("http_requests_total{code>\"2\"}",
                 "prometheus: expected '=', '!=', '=~' or '!~' after label "
                 "'code' at offset 24");
    s_new_error ("x{code=~\"2(..\"}",
                 "prometheus: label 'code' regex '2(..': missing closing "
                 "parenthesis at offset 4");
    s_new_error ("x{a=\"b\"", "prometheus: expected ',' or '}' at offset 7");
    s_new_error ("x{a=\"b", "prometheus: unterminated string for label 'a' "
                            "at offset 4");
    s_new_error ("x{a=b}", "prometheus: expected a quoted string after "
                           "label 'a' at offset 4");
    s_new_error ("x{=\"b\"}", "prometheus: expected a label name at offset 2");
    s_new_error ("x{a=\"\\d\"}",
                 "prometheus: unknown escape '\\d' in the value of label 'a' "
                 "at offset 5 (regex escapes need \\\\ or a `raw` string)");
    s_new_error ("x y", "prometheus: unexpected 'y' at offset 2");
    s_new_error ("x{a=\"b\"} z", "prometheus: unexpected 'z' at offset 9");
    s_new_error ("", "prometheus: expected a metric name or {matchers}, such "
                     "as http_requests_total{code=\"200\"}");
    s_new_error ("{}", "prometheus: expected a metric name or {matchers}, "
                       "such as http_requests_total{code=\"200\"}");
    s_new_error ("9x", "prometheus: unexpected '9' at offset 0");

    //  The rule's keys.
    json_error_t jerr;
    json_t *rule = json_loads ("{\"prometheus\": 1}", 0, &jerr);
    ws_err_t err;
    assert_null (ws_extract_prom_new (rule, &err));
    assert_string_equal (err.text,
                         "/prometheus: found 1, expected a selector such as "
                         "http_requests_total{code=\"200\"}");
    assert_string_equal (err.where, "/prometheus");
    json_decref (rule);
    rule =
        json_loads ("{\"prometheus\": \"up\\u0000x\"}", JSON_ALLOW_NUL, &jerr);
    assert_null (ws_extract_prom_new (rule, &err));
    assert_string_equal (err.text,
                         "prometheus: a NUL character in the selector");
    json_decref (rule);
    rule = json_loads (
        "{\"prometheus\": \"up\", \"labels_from\": {\"a\": \"b-c\"}}", 0,
        &jerr);
    assert_null (ws_extract_prom_new (rule, &err));
    assert_string_equal (err.text, "/labels_from/a: found \"b-c\", expected "
                                   "a label name of the samples");
    assert_string_equal (err.where, "/labels_from/a");
    json_decref (rule);
    rule =
        json_loads ("{\"prometheus\": \"up\", \"labels_from\": []}", 0, &jerr);
    assert_null (ws_extract_prom_new (rule, &err));
    assert_string_equal (err.where, "/labels_from");
    json_decref (rule);
    //  Other keys of the rule are not the extractor's.
    ws_extract_prom_t *self =
        s_new_rule ("{\"prometheus\": \"up\", \"aggregate\": \"sum\","
                    " \"labels_from\": {\"job\": \"job\"}}");
    ws_extract_prom_destroy (&self);
}

//  A regex that backtracks without end fails the run instead of
//  hanging it.
static void
test_match_limit (void **state)
{
    (void) state;
    ws_extract_prom_t *self = s_new ("x{a=~\"(a|a?)+\"}", NULL);
    char body[200] = "x{a=\"";
    memset (body + 5, 'a', 60);
    strcpy (body + 65, "b\"} 1\n");
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    assert_int_equal (
        ws_extract_prom_run (self, body, strlen (body), &matches, &err), -1);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (err.text, "prometheus line 1: regex of label 'a': "
                                   "match limit exceeded");
    ws_extract_prom_destroy (&self);
}

//  Random bytes, rich in the format's syntax: an error with a text or
//  matches with values, never a crash.
static void
test_garbage (void **state)
{
    (void) state;
    ws_extract_prom_t *selectors[2] = {s_new ("a{b=~\".*\"}", "{\"b\": \"b\"}"),
                                       s_new ("{__name__!=\"\"}", NULL)};
    uint32_t seed = 777;
    char body[256];
    for (int round = 0; round < 5000; round++) {
        size_t len = 1 + (size_t) (round % (int) sizeof body);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245 + 12345;
            uint32_t byte = (seed >> 16) & 0xFF;
            if (byte % 2)
                byte = (uint32_t) "ab{}=\",\\ \n#1.e+-"[(byte >> 1) % 17];
            body[i] = (char) byte;
        }
        ws_matches_t matches;
        ws_matches_init (&matches);
        ws_err_t err;
        ws_err_clear (&err);
        if (ws_extract_prom_run (selectors[round % 2], body, len, &matches,
                                 &err)) {
            assert_int_equal (err.code, WS_ERR_EXTRACT);
            assert_true (strlen (err.text) > 0);
            assert_int_equal (matches.count, 0);
        }
        for (size_t i = 0; i < matches.count; i++)
            assert_true (matches.items[i].has_value);
        ws_matches_free (&matches);
    }
    ws_extract_prom_destroy (&selectors[0]);
    ws_extract_prom_destroy (&selectors[1]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_exact),
        cmocka_unit_test (test_operators),
        cmocka_unit_test (test_escapes),
        cmocka_unit_test (test_histogram),
        cmocka_unit_test (test_non_finite),
        cmocka_unit_test (test_format),
        cmocka_unit_test (test_syntax_errors),
        cmocka_unit_test (test_selector_errors),
        cmocka_unit_test (test_match_limit),
        cmocka_unit_test (test_garbage),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
