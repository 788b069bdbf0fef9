//  test_ws_extract_regex - the regex extractor: the price from a broken
//  page, which group is the text (the default rules and "group"), flags,
//  labels_from, empty matches, UTF-8 and invalid bytes, the 200-byte
//  cut, every error at new(), and the limits at run(): catastrophic
//  backtracking and too many matches.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ws_test_common.h"

#include "ws_extract_regex.h"

//  A fixture of tests/data/extract (caller frees), its size in *len.
static char *
s_fixture (const char *name, size_t *len)
{
    char relative[256];
    snprintf (relative, sizeof relative, "extract/%s", name);
    char *text = ws_test_data_file (relative, len);
    if (!text)
        fail_msg ("fixture %s cannot be read", relative);
    return text;
}

//  An extractor from rule (JSON text); fails the test if refused.
static ws_extract_regex_t *
s_new (const char *rule_text)
{
    json_error_t jerr;
    json_t *rule = json_loads (rule_text, 0, &jerr);
    if (!rule)
        fail_msg ("bad test rule %s: %s", rule_text, jerr.text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_regex_t *self = ws_extract_regex_new (rule, &err);
    json_decref (rule);
    if (!self)
        fail_msg ("%s refused: %s", rule_text, err.text);
    return self;
}

//  rule must be refused at new() with exactly text, at where.
static void
s_refused (const char *rule_text, const char *text, const char *where)
{
    json_error_t jerr;
    json_t *rule = json_loads (rule_text, JSON_DECODE_ANY, &jerr);
    if (!rule)
        fail_msg ("bad test rule %s: %s", rule_text, jerr.text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_regex_t *self = ws_extract_regex_new (rule, &err);
    json_decref (rule);
    if (self)
        fail_msg ("%s: accepted, expected '%s'", rule_text, text);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text, text);
    assert_string_equal (err.where, where);
}

//  Run rule on text; the texts of the matches joined by '|'.
static void
s_texts (const char *rule_text, const char *body, size_t len, char *out,
         size_t size)
{
    ws_extract_regex_t *self = s_new (rule_text);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_extract_regex_run (self, body, len, &matches, &err))
        fail_msg ("%s: %s", rule_text, err.text);
    out[0] = '\0';
    for (size_t i = 0; i < matches.count; i++) {
        assert_false (matches.items[i].has_value);
        if (i)
            strncat (out, "|", size - strlen (out) - 1);
        strncat (out, matches.items[i].text, size - strlen (out) - 1);
    }
    ws_matches_free (&matches);
    ws_extract_regex_destroy (&self);
}

static void
s_expect (const char *rule_text, const char *body, const char *expected)
{
    char texts[2048];
    s_texts (rule_text, body, strlen (body), texts, sizeof texts);
    if (strcmp (texts, expected) != 0)
        fail_msg ("%s on '%s': got '%s', expected '%s'", rule_text, body, texts,
                  expected);
}

static double
s_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static void
test_price_from_broken_html (void **state)
{
    (void) state;
    size_t len;
    char *page = s_fixture ("broken.html", &len);
    char texts[256];
    s_texts ("{\"regex\": \"Price: <span class=\\\"price\\\">"
             "(?<price>[0-9.,]+)\"}",
             page, len, texts, sizeof texts);
    assert_string_equal (texts, "1,299.50");
    s_texts ("{\"regex\": \"in stock: <span id=\\\"stock\\\">(\\\\d+)\", "
             "\"flags\": \"i\"}",
             page, len, texts, sizeof texts);
    assert_string_equal (texts, "17");
    //  Only len bytes are read: "Widget" ends at byte 43.
    s_texts ("{\"regex\": \"Widget\"}", page, 42, texts, sizeof texts);
    assert_string_equal (texts, "");
    s_texts ("{\"regex\": \"Widget\"}", page, 43, texts, sizeof texts);
    assert_string_equal (texts, "Widget");
    free (page);
}

static void
test_no_match (void **state)
{
    (void) state;
    ws_extract_regex_t *self = s_new ("{\"regex\": \"Price: ([0-9]+)\"}");
    assert_string_equal (ws_extract_regex_expr (self), "Price: ([0-9]+)");
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    ws_err_clear (&err);
    assert_int_equal (
        ws_extract_regex_run (self, "no price here", 13, &matches, &err), 0);
    assert_int_equal (matches.count, 0);
    assert_int_equal (err.code, WS_ERR_NONE);
    //  An empty body is not an error of the regex either.
    assert_int_equal (ws_extract_regex_run (self, "", 0, &matches, &err), 0);
    assert_int_equal (ws_extract_regex_run (self, NULL, 0, &matches, &err), 0);
    assert_int_equal (matches.count, 0);
    ws_extract_regex_destroy (&self);
    assert_null (self);
    ws_extract_regex_destroy (&self);
    ws_extract_regex_destroy (NULL);
}

static void
test_group_choice (void **state)
{
    (void) state;
    const char *body = "north=12; south=7";
    //  No group: the whole match.
    s_expect ("{\"regex\": \"[a-z]+=\\\\d+\"}", body, "north=12|south=7");
    //  Unnamed groups: group 1.
    s_expect ("{\"regex\": \"([a-z]+)=(\\\\d+)\"}", body, "north|south");
    //  Exactly one named group: that one, wherever it is.
    s_expect ("{\"regex\": \"([a-z]+)=(?<n>\\\\d+)\"}", body, "12|7");
    //  Two named groups: group 1.
    s_expect ("{\"regex\": \"(?<r>[a-z]+)=(?<n>\\\\d+)\"}", body,
              "north|south");
    //  Two named groups, one a label's: the other one.
    s_expect ("{\"regex\": \"(?<r>[a-z]+)=(?<n>\\\\d+)\", "
              "\"labels_from\": {\"region\": \"r\"}}",
              body, "12|7");
    //  "group" by number and by name; 0 is the whole match.
    s_expect ("{\"regex\": \"(?<r>[a-z]+)=(?<n>\\\\d+)\", \"group\": 2}", body,
              "12|7");
    s_expect ("{\"regex\": \"(?<r>[a-z]+)=(?<n>\\\\d+)\", \"group\": 0}", body,
              "north=12|south=7");
    s_expect ("{\"regex\": \"(?<r>[a-z]+)=(?<n>\\\\d+)\", \"group\": \"n\"}",
              body, "12|7");
    //  A match whose group did not take part is skipped.
    s_expect ("{\"regex\": \"(?<n>\\\\d+)|[a-z]+\", \"group\": \"n\"}", body,
              "12|7");
    //  An empty group is a match with empty text.
    s_expect ("{\"regex\": \"=(\\\\d*)x?\"}", "a= b=5", "|5");
}

static void
test_flags (void **state)
{
    (void) state;
    s_expect ("{\"regex\": \"price: (\\\\d+)\"}", "PRICE: 5", "");
    s_expect ("{\"regex\": \"price: (\\\\d+)\", \"flags\": \"i\"}", "PRICE: 5",
              "5");
    s_expect ("{\"regex\": \"a.b\"}", "a\nb", "");
    s_expect ("{\"regex\": \"a.b\", \"flags\": \"s\"}", "a\nb", "a\nb");
    s_expect ("{\"regex\": \"^\\\\d+\"}", "1\n2\n3", "1");
    s_expect ("{\"regex\": \"^\\\\d+\", \"flags\": \"m\"}", "1\n2\n3", "1|2|3");
    s_expect ("{\"regex\": \"\\\\d+ # digits\\n  x\", \"flags\": \"x\"}",
              "12x 3x", "12x|3x");
    s_expect ("{\"regex\": \"A(.)\", \"flags\": \"ism\"}", "a\nA\n", "\n|\n");
    s_expect ("{\"regex\": \"a\", \"flags\": \"\"}", "aa", "a|a");
}

static void
test_labels_from (void **state)
{
    (void) state;
    ws_extract_regex_t *self =
        s_new ("{\"regex\": \"<tr><td>(?<reg>[^<]+)</td><td>(?<n>[0-9]+)"
               "</td>(?:<td>(?<note>[^<]+)</td>)?</tr>\", "
               "\"group\": \"n\", "
               "\"labels_from\": {\"region\": \"reg\", \"note\": \"note\"}}");
    const char *body = "<table><tr><td>North</td><td>120</td></tr>"
                       "<tr><td>East &amp; Islands</td><td>45</td>"
                       "<td>new</td></tr></table>";
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    ws_err_clear (&err);
    assert_int_equal (
        ws_extract_regex_run (self, body, strlen (body), &matches, &err), 0);
    assert_int_equal (matches.count, 2);
    assert_string_equal (matches.items[0].text, "120");
    assert_string_equal (
        json_string_value (json_object_get (matches.items[0].labels, "region")),
        "North");
    //  A label group that did not take part is "".
    assert_string_equal (
        json_string_value (json_object_get (matches.items[0].labels, "note")),
        "");
    assert_string_equal (matches.items[1].text, "45");
    assert_string_equal (
        json_string_value (json_object_get (matches.items[1].labels, "region")),
        "East &amp; Islands");
    assert_string_equal (
        json_string_value (json_object_get (matches.items[1].labels, "note")),
        "new");
    assert_int_equal (json_object_size (matches.items[1].labels), 2);
    ws_matches_free (&matches);
    ws_extract_regex_destroy (&self);

    //  Without labels_from a match has no labels.
    self = s_new ("{\"regex\": \"\\\\d+\"}");
    ws_matches_init (&matches);
    assert_int_equal (ws_extract_regex_run (self, "1 2", 3, &matches, &err), 0);
    assert_int_equal (matches.count, 2);
    assert_null (matches.items[0].labels);
    ws_matches_free (&matches);
    ws_extract_regex_destroy (&self);
}

static void
test_empty_matches_and_utf8 (void **state)
{
    (void) state;
    //  Empty matches advance one character, as Perl does.
    s_expect ("{\"regex\": \"x*\"}", "axxb", "|xx||");
    s_expect ("{\"regex\": \"x*\"}", "", "");
    //  ... one character, not one byte.
    s_expect ("{\"regex\": \"(?=.)\", \"group\": 0}", "€a", "|");
    //  UTF mode: "." is a character.
    s_expect ("{\"regex\": \"(.)5\"}", "€5 £6 $5", "€|$");
    //  Invalid UTF-8 in the document never matches, and is no error.
    s_expect ("{\"regex\": \"\\\\d+\"}", "\xff\xfe 12 \xc3\x28 7\xe2\x82",
              "12|7");
    s_expect ("{\"regex\": \"[^ ]+\"}", "a\377b c", "a|b|c");
    //  ... and no match crosses it: "." does not match it, "^" does not
    //  match after it nor "$" before it.
    s_expect ("{\"regex\": \"a.b\"}", "a\377b a\342\202\254b", "a€b");
    s_expect ("{\"regex\": \"^.\"}", "a\377b", "a");
    s_expect ("{\"regex\": \".$\"}", "a\377b", "b");
    //  A NUL byte in the document is a character like any other.
    char texts[64];
    s_texts ("{\"regex\": \"b.c\"}", "ab\0cd", 5, texts, sizeof texts);
    assert_int_equal (strlen (texts), 1);
    assert_int_equal (texts[0], 'b');
}

static void
test_text_cut (void **state)
{
    (void) state;
    char body[700];
    memset (body, 'a', 300);
    body[300] = '\0';
    ws_extract_regex_t *self = s_new (
        "{\"regex\": \"(?<all>a+)\", \"labels_from\": {\"copy\": \"all\"}}");
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    assert_int_equal (ws_extract_regex_run (self, body, 300, &matches, &err),
                      0);
    assert_int_equal (matches.count, 1);
    assert_int_equal (strlen (matches.items[0].text), WS_MATCH_TEXT_MAX);
    assert_int_equal (
        json_string_length (json_object_get (matches.items[0].labels, "copy")),
        WS_MATCH_TEXT_MAX);
    ws_matches_free (&matches);
    ws_extract_regex_destroy (&self);

    //  A cut never splits a character: "€" is 3 bytes, 200 = 66 * 3 + 2.
    body[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat (body, "€");
    self = s_new ("{\"regex\": \"(?<all>€+)\", \"labels_from\": "
                  "{\"copy\": \"all\"}}");
    assert_int_equal (
        ws_extract_regex_run (self, body, strlen (body), &matches, &err), 0);
    assert_int_equal (strlen (matches.items[0].text), 198);
    assert_int_equal (
        json_string_length (json_object_get (matches.items[0].labels, "copy")),
        198);
    ws_matches_free (&matches);
    ws_extract_regex_destroy (&self);
}

static void
test_errors_at_new (void **state)
{
    (void) state;
    s_refused ("{\"regex\": \"Price: (\"}",
               "regex: missing closing parenthesis at offset 8", "/regex");
    s_refused ("{\"regex\": \"a[b\"}",
               "regex: missing terminating ] for character class at offset 3",
               "/regex");
    s_refused ("{}", "regex: missing", "/regex");
    s_refused ("{\"regex\": 5}", "regex: found 5, expected a PCRE2 pattern",
               "/regex");
    s_refused ("{\"regex\": \"\"}",
               "regex: found \"\", expected a PCRE2 pattern", "/regex");
    s_refused ("[]", "rule: found an empty array, expected an object", "");
    //  \C could split a character; refused (PCRE2_NEVER_BACKSLASH_C).
    s_refused ("{\"regex\": \"a\\\\Cb\"}",
               "regex: using \\C is disabled by the application at offset 3",
               "/regex");

    s_refused ("{\"regex\": \"(?<r>a)\", \"group\": \"x\"}",
               "group: no group named 'x' in the regex", "/group");
    s_refused ("{\"regex\": \"(a)(b)\", \"group\": 3}",
               "group: no group 3 in the regex (it has 2)", "/group");
    s_refused ("{\"regex\": \"(a)(b)\", \"group\": -1}",
               "group: no group -1 in the regex (it has 2)", "/group");
    s_refused ("{\"regex\": \"a\", \"group\": true}",
               "group: found true, expected a group name or number", "/group");
    s_refused ("{\"regex\": \"(?J)(?<x>a)|(?<x>b)\", \"group\": \"x\"}",
               "group: the name 'x' is given to several groups", "/group");

    s_refused ("{\"regex\": \"a\", \"flags\": \"ig\"}",
               "flags: unknown flag 'g', expected i, s, m or x", "/flags");
    s_refused ("{\"regex\": \"a\", \"flags\": \"\\u0001\"}",
               "flags: unknown flag byte 0x01, expected i, s, m or x",
               "/flags");
    s_refused ("{\"regex\": \"a\", \"flags\": [\"i\"]}",
               "flags: found an array of 1, expected a string of i, s, m, x",
               "/flags");

    s_refused (
        "{\"regex\": \"(?<r>a)\", \"labels_from\": {\"region\": \"reg\"}}",
        "labels_from 'region': no group named 'reg' in the regex",
        "/labels_from/region");
    s_refused ("{\"regex\": \"(?<r>a)\", \"labels_from\": {\"a/b\": 1}}",
               "labels_from 'a/b': found 1, expected the name of a group",
               "/labels_from/a~1b");
    s_refused ("{\"regex\": \"(?<r>a)\", \"labels_from\": \"r\"}",
               "labels_from: found \"r\", expected an object of label names "
               "to group names",
               "/labels_from");
    s_refused ("{\"regex\": \"(?<r>a)\", \"labels_from\": {\"\": \"r\"}}",
               "labels_from: a label name is empty", "/labels_from/");

    //  A refusal with err NULL does not crash.
    json_t *rule = json_pack ("{s:s}", "regex", "(");
    assert_null (ws_extract_regex_new (rule, NULL));
    json_decref (rule);
}

static void
test_catastrophic_backtracking (void **state)
{
    (void) state;
    size_t len = 100 * 1024;
    char *body = malloc (len + 1);
    assert_non_null (body);
    memset (body, 'a', len);
    body[len - 1] = 'b';
    body[len] = '\0';
    ws_extract_regex_t *self = s_new ("{\"regex\": \"(a+)+$\"}");
    ws_matches_t matches;
    ws_matches_init (&matches);
    //  A match from an earlier rule stays as it was.
    ws_matches_add (&matches, "7", 1, false, 0, NULL);
    ws_err_t err;
    ws_err_clear (&err);
    double start = s_seconds ();
    assert_int_equal (ws_extract_regex_run (self, body, len, &matches, &err),
                      -1);
    double elapsed = s_seconds () - start;
    if (elapsed >= 1.0)
        fail_msg ("the match limit took %.2f s", elapsed);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (err.text,
                         "regex: match limit exceeded at offset 0 (10000000 "
                         "steps); the pattern backtracks too much on this "
                         "document");
    assert_int_equal (matches.count, 1);
    assert_string_equal (matches.items[0].text, "7");
    ws_matches_free (&matches);
    ws_extract_regex_destroy (&self);
    free (body);
}

static void
test_too_many_matches (void **state)
{
    (void) state;
    size_t len = WS_EXTRACT_REGEX_MATCHES_MAX + 10;
    char *body = malloc (len);
    assert_non_null (body);
    memset (body, 'b', len);
    ws_extract_regex_t *self = s_new ("{\"regex\": \"b\"}");
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    ws_err_clear (&err);
    //  Exactly the maximum is fine, and fast: the document is checked
    //  for UTF-8 once, not at every match.
    double start = s_seconds ();
    assert_int_equal (ws_extract_regex_run (self, body,
                                            WS_EXTRACT_REGEX_MATCHES_MAX,
                                            &matches, &err),
                      0);
    assert_int_equal (matches.count, WS_EXTRACT_REGEX_MATCHES_MAX);
    double elapsed = s_seconds () - start;
    if (elapsed >= 1.0)
        fail_msg ("100000 matches took %.2f s", elapsed);
    ws_matches_free (&matches);
    assert_int_equal (ws_extract_regex_run (self, body, len, &matches, &err),
                      -1);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (
        err.text, "regex: more than 100000 matches; make the pattern narrower");
    assert_int_equal (matches.count, 0);
    ws_matches_free (&matches);
    ws_extract_regex_destroy (&self);
    free (body);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_price_from_broken_html),
        cmocka_unit_test (test_no_match),
        cmocka_unit_test (test_group_choice),
        cmocka_unit_test (test_flags),
        cmocka_unit_test (test_labels_from),
        cmocka_unit_test (test_empty_matches_and_utf8),
        cmocka_unit_test (test_text_cut),
        cmocka_unit_test (test_errors_at_new),
        cmocka_unit_test (test_catastrophic_backtracking),
        cmocka_unit_test (test_too_many_matches),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
