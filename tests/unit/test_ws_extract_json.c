//  test_ws_extract_json - JSON pointers with "*" and aggregates: values,
//  escapes, wildcards at any depth, every aggregate, every error text;
//  -0 and values that are not finite; bodies parsed the worker's way:
//  empty, HTML, invalid UTF-8, overflow, NaN, nesting 100,000 deep.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_extract_json.h"

static const char *s_doc_text =
    "{\"data\": [{\"count\": 3}, {\"count\": 4.5}, {\"count\": \"n/a\"}],"
    " \"a/b\": {\"~c\": [10, 20]},"
    " \"items\": [{\"x\": 1}, {\"y\": 2}, {\"x\": 3}],"
    " \"obj\": {\"p\": {\"v\": 1}, \"q\": {\"v\": 2}, \"r\": 7},"
    " \"deep\": [{\"c\": [1, 2]}, {\"c\": [3]}, {\"c\": []}],"
    " \"n\": null, \"t\": true, \"f\": false, \"s\": \"str\", \"e\": [],"
    " \"big\": [1e308, 1e308], \"neg\": [-5, 2, -7.5],"
    " \"\": {\"\": 5}}";

static json_t *s_doc;

static int
s_setup (void **state)
{
    (void) state;
    json_error_t jerr;
    s_doc = json_loads (s_doc_text, 0, &jerr);
    return s_doc ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    json_decref (s_doc);
    return 0;
}

static ws_rule_t
s_rule (const char *pointer, ws_agg_t aggregate)
{
    ws_rule_t rule;
    memset (&rule, 0, sizeof rule);
    rule.metric = (char *) "signups";
    rule.pointer = (char *) pointer;
    rule.aggregate = aggregate;
    return rule;
}

static double
s_value (json_t *doc, const char *pointer, ws_agg_t aggregate)
{
    ws_rule_t rule = s_rule (pointer, aggregate);
    ws_err_t err;
    double value = -12345;
    if (ws_extract_json (&rule, doc, &value, &err))
        fail_msg ("%s: %s", pointer, err.text);
    return value;
}

//  The error text must be exactly this, and where the given path.
static void
s_error (const char *pointer, ws_agg_t aggregate, const char *text,
         const char *where)
{
    ws_rule_t rule = s_rule (pointer, aggregate);
    ws_err_t err;
    ws_err_clear (&err);
    double value = -12345;
    if (ws_extract_json (&rule, s_doc, &value, &err) == 0)
        fail_msg ("%s: expected an error, got %g", pointer, value);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (err.text, text);
    assert_string_equal (err.where, where);
    assert_true (value == -12345);
}

static void
test_pointers (void **state)
{
    (void) state;
    assert_true (s_value (s_doc, "/data/0/count", WS_AGG_NONE) == 3);
    assert_true (s_value (s_doc, "/data/1/count", WS_AGG_NONE) == 4.5);
    assert_true (s_value (s_doc, "/a~1b/~0c/1", WS_AGG_NONE) == 20);
    assert_true (s_value (s_doc, "/obj/r", WS_AGG_NONE) == 7);
    assert_true (s_value (s_doc, "/neg/2", WS_AGG_NONE) == -7.5);
    //  "/" is the member "" (RFC 6901), "//" the member "" within it.
    assert_true (s_value (s_doc, "//", WS_AGG_NONE) == 5);

    //  "" is the whole document.
    json_t *number = json_integer (42);
    assert_true (s_value (number, "", WS_AGG_NONE) == 42);
    json_decref (number);
    //  An aggregate on a single match is that match.
    assert_true (s_value (s_doc, "/data/0/count", WS_AGG_SUM) == 3);
    assert_true (s_value (s_doc, "/data/0/count", WS_AGG_COUNT) == 1);
}

static void
test_wildcards (void **state)
{
    (void) state;
    //  Items without "x" are skipped below a "*".
    assert_true (s_value (s_doc, "/items/*/x", WS_AGG_SUM) == 4);
    assert_true (s_value (s_doc, "/items/*/x", WS_AGG_COUNT) == 2);
    assert_true (s_value (s_doc, "/items/*/x", WS_AGG_MIN) == 1);
    assert_true (s_value (s_doc, "/items/*/x", WS_AGG_MAX) == 3);
    assert_true (s_value (s_doc, "/items/*/x", WS_AGG_AVG) == 2);
    //  count counts any value, objects too.
    assert_true (s_value (s_doc, "/items/*", WS_AGG_COUNT) == 3);
    assert_true (s_value (s_doc, "/data/*/count", WS_AGG_COUNT) == 3);
    //  Object members; "r" has no "v" and is skipped.
    assert_true (s_value (s_doc, "/obj/*/v", WS_AGG_SUM) == 3);
    assert_true (s_value (s_doc, "/obj/*", WS_AGG_COUNT) == 3);
    //  Any number of "*".
    assert_true (s_value (s_doc, "/deep/*/c/*", WS_AGG_SUM) == 6);
    assert_true (s_value (s_doc, "/deep/*/c/*", WS_AGG_COUNT) == 3);
    assert_true (s_value (s_doc, "/deep/*/c/*", WS_AGG_MAX) == 3);
    assert_true (s_value (s_doc, "/neg/*", WS_AGG_MIN) == -7.5);
    assert_true (s_value (s_doc, "/neg/*", WS_AGG_MAX) == 2);
    assert_true (s_value (s_doc, "/neg/*", WS_AGG_AVG) == (-5 + 2 - 7.5) / 3);
    //  Zero matches: count is 0.
    assert_true (s_value (s_doc, "/e/*", WS_AGG_COUNT) == 0);
    assert_true (s_value (s_doc, "/items/*/z", WS_AGG_COUNT) == 0);
    //  A "*" below a "*" on a scalar is no match.
    assert_true (s_value (s_doc, "/neg/*/*", WS_AGG_COUNT) == 0);
}

static void
test_errors (void **state)
{
    (void) state;
    s_error ("/data/2/count", WS_AGG_NONE,
             "rule 'signups' /data/2/count: found string \"n/a\", expected a "
             "number",
             "/data/2/count");
    s_error ("/data/*/count", WS_AGG_SUM,
             "rule 'signups' /data/2/count: found string \"n/a\", expected a "
             "number",
             "/data/2/count");
    s_error ("/data/5", WS_AGG_NONE,
             "rule 'signups' /data/5: not found (the array has 3 elements)",
             "/data/5");
    s_error ("/data/5/count", WS_AGG_NONE,
             "rule 'signups' /data/5: not found (the array has 3 elements)",
             "/data/5");
    s_error ("/data/01", WS_AGG_NONE,
             "rule 'signups' /data/01: not found (\"01\" is not an array "
             "index)",
             "/data/01");
    s_error ("/data/-", WS_AGG_NONE,
             "rule 'signups' /data/-: not found (\"-\" is not an array "
             "index)",
             "/data/-");
    s_error ("/nope/x", WS_AGG_NONE,
             "rule 'signups' /nope: not found (no member \"nope\" in the "
             "object)",
             "/nope");
    s_error ("/a~1b/~0d", WS_AGG_NONE,
             "rule 'signups' /a~1b/~0d: not found (no member \"~d\" in the "
             "object)",
             "/a~1b/~0d");
    s_error ("/s/x", WS_AGG_NONE,
             "rule 'signups' /s: found string \"str\", expected an object or "
             "array holding \"x\"",
             "/s");
    s_error ("/n", WS_AGG_NONE,
             "rule 'signups' /n: found null, expected a number", "/n");
    s_error ("/t", WS_AGG_NONE,
             "rule 'signups' /t: found boolean true, expected a number", "/t");
    s_error ("/f", WS_AGG_NONE,
             "rule 'signups' /f: found boolean false, expected a number", "/f");
    s_error ("/data", WS_AGG_NONE,
             "rule 'signups' /data: found an array of 3, expected a number",
             "/data");
    s_error ("/obj", WS_AGG_NONE,
             "rule 'signups' /obj: found an object, expected a number", "/obj");
    s_error ("", WS_AGG_NONE,
             "rule 'signups' (document): found an object, expected a number",
             "");
    s_error ("/s/*", WS_AGG_SUM,
             "rule 'signups' /s: found string \"str\", expected an array or "
             "object for \"*\"",
             "/s");
    s_error ("/items/*/x/*", WS_AGG_SUM,
             "rule 'signups': no match for /items/*/x/*", "/items/*/x/*");
    s_error ("/items/*/z", WS_AGG_SUM,
             "rule 'signups': no match for /items/*/z", "/items/*/z");
    s_error ("/e/*", WS_AGG_MIN, "rule 'signups': no match for /e/*", "/e/*");
    s_error ("/e/*", WS_AGG_AVG, "rule 'signups': no match for /e/*", "/e/*");
    s_error ("/obj/*", WS_AGG_MAX,
             "rule 'signups' /obj/p: found an object, expected a number",
             "/obj/p");
    s_error ("/big/*", WS_AGG_SUM,
             "rule 'signups' /big/*: the sum of 2 matches is not finite "
             "(overflow)",
             "/big/*");
    //  A long string is cut in the message.
    json_t *doc = json_pack ("{s:s}", "v",
                             "0123456789012345678901234567890123456789"
                             "0123456789");
    ws_rule_t rule = s_rule ("/v", WS_AGG_NONE);
    ws_err_t err;
    double value;
    assert_int_equal (ws_extract_json (&rule, doc, &value, &err), -1);
    assert_string_equal (err.text,
                         "rule 'signups' /v: found string "
                         "\"0123456789012345678901234567890123456789...\", "
                         "expected a number");
    json_decref (doc);
    //  NULL err is allowed.
    assert_int_equal (ws_extract_json (&rule, s_doc, &value, NULL), -1);
}

//  Rules of a source evaluated on one parsed document, as the worker does.
static void
test_with_source (void **state)
{
    (void) state;
    json_error_t jerr;
    json_t *def = json_loads (
        "{\"name\": \"s\", \"url\": \"http://h\", \"metrics\": ["
        "{\"name\": \"a\", \"type\": \"gauge\", \"json\": \"/items/0/x\"},"
        "{\"name\": \"b\", \"type\": \"counter\", \"json\": \"/items/*/x\","
        " \"aggregate\": \"sum\"},"
        "{\"name\": \"c\", \"type\": \"gauge\", \"json\": \"/a~1b/~0c/0\"}]}",
        0, &jerr);
    ws_err_t err;
    ws_source_t *source = ws_source_new (def, &err);
    assert_non_null (source);
    double expected[] = {1, 4, 10};
    for (size_t i = 0; i < ws_source_rule_count (source); i++) {
        double value;
        assert_int_equal (
            ws_extract_json (ws_source_rule (source, i), s_doc, &value, &err),
            0);
        assert_true (value == expected[i]);
    }
    ws_source_destroy (&source);
    json_decref (def);
}

//  -0 is a fine 0, stored as +0; no value in a document is infinite.
static void
test_non_finite (void **state)
{
    (void) state;
    json_t *doc = json_pack ("{s:f, s:i}", "a", -0.0, "c", 0);
    ws_rule_t rule = s_rule ("/a", WS_AGG_NONE);
    ws_err_t err;
    double value = -1;
    assert_int_equal (ws_extract_json (&rule, doc, &value, &err), 0);
    assert_true (value == 0);
    assert_false (signbit (value));
    json_decref (doc);
    //  jansson holds no inf or NaN (json_real refuses them), so a document
    //  cannot bring one; a sum can overflow (test_errors: /big/*).
    assert_null (json_real (INFINITY));
    assert_null (json_real (NAN));

    //  Parsed: -0 and -0.0 read as 0.
    doc = ws_extract_json_parse ("{\"a\": -0, \"b\": -0.0}", 20, &err);
    assert_non_null (doc);
    rule = s_rule ("/a", WS_AGG_NONE);
    assert_int_equal (ws_extract_json (&rule, doc, &value, &err), 0);
    assert_true (value == 0 && !signbit (value));
    rule = s_rule ("/b", WS_AGG_NONE);
    assert_int_equal (ws_extract_json (&rule, doc, &value, &err), 0);
    assert_true (value == 0 && !signbit (value));
    json_decref (doc);
}

//  The body must parse to a document, or the error says what it holds.
static void
s_parse_error (const char *body, size_t len, const char *text)
{
    ws_err_t err;
    ws_err_clear (&err);
    json_t *doc = ws_extract_json_parse (body, len, &err);
    if (doc)
        fail_msg ("expected an error for %.40s", body);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (err.text, text);
}

static void
test_parse (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *doc = ws_extract_json_parse (" {\"sales\": 3} ", 14, &err);
    assert_non_null (doc);
    double value;
    ws_rule_t rule = s_rule ("/sales", WS_AGG_NONE);
    assert_int_equal (ws_extract_json (&rule, doc, &value, &err), 0);
    assert_true (value == 3);
    json_decref (doc);
    //  Any value, not only an object or array.
    doc = ws_extract_json_parse ("42", 2, &err);
    assert_true (json_is_integer (doc));
    json_decref (doc);

    s_parse_error (NULL, 0, "empty body, expected JSON");
    s_parse_error (" \r\n\t", 4, "blank body, expected JSON");
    s_parse_error ("<!DOCTYPE html>\n<html><head><title>Sign in</title>", 49,
                   "body is not JSON: found HTML or XML (starts "
                   "'<!DOCTYPE html> <html><head><title>Sign'...)");
    s_parse_error ("\n<h1>x</h1>", 11,
                   "body is not JSON: found HTML or XML (starts '<h1>x</h1>')");
    //  Invalid UTF-8 inside a string.
    s_parse_error ("{\"a\": \"\xff\xfe\"}", 11,
                   "body is not JSON: unable to decode byte 0xff near '\"' "
                   "(line 1, column 7)");
    //  Overflow is an error, never inf; NaN and Infinity are no JSON.
    s_parse_error ("{\"sales\": 1e999}", 16,
                   "body is not JSON: real number overflow near '1e999' "
                   "(line 1, column 15)");
    s_parse_error ("{\"sales\": -1e999}", 17,
                   "body is not JSON: real number overflow near '-1e999' "
                   "(line 1, column 16)");
    s_parse_error ("{\"sales\": NaN}", 14,
                   "body is not JSON: invalid token near 'NaN' (line 1, "
                   "column 13)");
    s_parse_error ("{\"sales\": Infinity}", 19,
                   "body is not JSON: invalid token near 'Infinity' (line 1, "
                   "column 18)");
    s_parse_error ("{\"sales\": 99999999999999999999}", 30,
                   "body is not JSON: too big integer near "
                   "'99999999999999999999' (line 1, column 30)");
    s_parse_error ("{\"a\": \"\\u0000\"}", 15,
                   "body is not JSON: \\u0000 is not allowed without "
                   "JSON_ALLOW_NUL near '\"\\u0000\"' (line 1, column 14)");
    //  100,000 deep: refused at jansson's depth limit, the stack bounded.
    size_t deep = 100000;
    char *body = malloc (2 * deep);
    assert_non_null (body);
    memset (body, '[', deep);
    memset (body + deep, ']', deep);
    s_parse_error (body, 2 * deep,
                   "body is not JSON: maximum parsing depth reached near '[' "
                   "(line 1, column 2049)");
    //  2,000 deep is still a document.
    memset (body + 2000, ']', 2000);
    doc = ws_extract_json_parse (body, 4000, &err);
    assert_non_null (doc);
    json_decref (doc);
    free (body);
    //  Cut short.
    s_parse_error ("{\"sales\": 12,", 13,
                   "body is not JSON: string or '}' expected near end of file "
                   "(line 1, "
                   "column 13)");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pointers),   cmocka_unit_test (test_wildcards),
        cmocka_unit_test (test_errors),     cmocka_unit_test (test_with_source),
        cmocka_unit_test (test_non_finite), cmocka_unit_test (test_parse),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
