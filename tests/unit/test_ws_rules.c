//  test_ws_rules - a source's rules on one body: matches turned into
//  numbers, folded by the aggregate, one sample per label set found,
//  bounded by max_series; each failure names its rule.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ws_rules.h"

static ws_source_t *
s_source (const char *text)
{
    json_error_t parse;
    json_t *def = json_loads (text, 0, &parse);
    if (!def)
        fail_msg ("test definition does not parse: %s", parse.text);
    ws_err_t err;
    ws_source_t *source = ws_source_new (def, &err);
    json_decref (def);
    if (!source)
        fail_msg ("test source refused: %s", err.text);
    return source;
}

static const char *s_csv = "Region,Channel,Spend\r\n"
                           "EU,email,\"1,200.50\"\r\n"
                           "US,email,980\r\n"
                           "EU,web,300\r\n"
                           "APAC,web,n/a\r\n";

//  Labels from the document: one sample per region, summed, with the
//  rule's fixed labels; a text that is no number fails its rule only.
static void
test_labels_and_conversion (void **state)
{
    (void) state;
    ws_source_t *source = s_source (
        "{\"name\": \"spend\", \"url\": \"http://h/\", \"labels\": {\"team\": "
        "\"growth\"}, \"metrics\": ["
        "{\"name\": \"spend\", \"type\": \"gauge\", \"aggregate\": \"sum\", "
        "\"csv\": {\"column\": \"Spend\", \"where\": {\"Channel\": "
        "\"email\"}}, \"labels_from\": {\"region\": \"Region\"}},"
        "{\"name\": \"all\", \"type\": \"gauge\", \"aggregate\": \"sum\", "
        "\"csv\": {\"column\": \"Spend\"}},"
        "{\"name\": \"rows\", \"type\": \"gauge\", \"aggregate\": \"count\", "
        "\"csv\": {\"column\": \"Region\"}}]}");
    ws_rules_t run;
    size_t failed = ws_rules_run (&run, source, s_csv, strlen (s_csv), 0, true);
    assert_int_equal (failed, 1);
    //  spend: EU 1200.5, US 980, each with team and region.
    assert_null (run.rules[0].error);
    assert_int_equal (run.rules[0].count, 2);
    ws_rule_sample_t *eu = &run.samples[run.rules[0].first];
    assert_string_equal (
        json_string_value (json_object_get (eu->labels, "region")), "EU");
    assert_string_equal (
        json_string_value (json_object_get (eu->labels, "team")), "growth");
    assert_true (eu->value == 1200.5);
    assert_true (run.samples[run.rules[0].first + 1].value == 980);
    //  all: "n/a" stops it, naming the rule, the match and the text.
    assert_non_null (run.rules[1].error);
    assert_non_null (strstr (run.rules[1].error, "rule 'all' csv column"));
    assert_non_null (strstr (run.rules[1].error, "match 4"));
    assert_non_null (strstr (run.rules[1].error, "\"n/a\""));
    assert_int_equal (run.rules[1].count, 0);
    //  rows: counting needs no number.
    assert_null (run.rules[2].error);
    assert_true (run.samples[run.rules[2].first].value == 4);
    //  Kept for a test: what the matches became.
    assert_int_equal (run.rules[0].matches.count, 2);
    assert_true (run.rules[0].matches.items[0].has_value);
    assert_non_null (strstr (run.error, "rule 'all'"));
    ws_rules_free (&run);
    ws_source_destroy (&source);
}

//  More label sets than max_series: the rule fails whole, saying how
//  many it found; the other rules keep theirs.
static void
test_max_series (void **state)
{
    (void) state;
    ws_source_t *source = s_source (
        "{\"name\": \"many\", \"url\": \"http://h/\", \"max_series\": 2, "
        "\"metrics\": [{\"name\": \"first\", \"type\": \"gauge\", "
        "\"regex\": \"^(EU)\", \"flags\": \"m\", \"aggregate\": \"count\"},"
        "{\"name\": \"per_region\", \"type\": \"gauge\", \"aggregate\": "
        "\"count\", \"regex\": \"^(?<r>[A-Z]+),\", \"flags\": \"m\", "
        "\"labels_from\": {\"region\": \"r\"}}]}");
    ws_rules_t run;
    assert_int_equal (
        ws_rules_run (&run, source, s_csv, strlen (s_csv), 0, false), 1);
    assert_null (run.rules[0].error);
    assert_int_equal (run.rules[0].count, 1);
    assert_non_null (run.rules[1].error);
    assert_non_null (strstr (run.rules[1].error,
                             "3 label sets (4 with the rules before), more "
                             "than the source's max_series (2)"));
    assert_int_equal (run.rules[1].count, 0);
    assert_int_equal (run.sample_count, 1);
    ws_rules_free (&run);
    ws_source_destroy (&source);
}

//  JSON: a plain pointer, a filter with labels, a string converted, and
//  a document that is not JSON failing every JSON rule with one text.
static void
test_json (void **state)
{
    (void) state;
    ws_source_t *source = s_source (
        "{\"name\": \"api\", \"url\": \"http://h/\", \"metrics\": ["
        "{\"name\": \"total\", \"type\": \"gauge\", \"json\": \"/total\"},"
        "{\"name\": \"eu\", \"type\": \"gauge\", \"aggregate\": \"sum\", "
        "\"json\": \"/items[region=EU]/n\"},"
        "{\"name\": \"by\", \"type\": \"gauge\", \"aggregate\": \"max\", "
        "\"json\": \"/items/*/n\", \"labels_from\": {\"region\": "
        "\"/region\"}},"
        "{\"name\": \"state\", \"type\": \"gauge\", \"json\": \"/state\", "
        "\"convert\": {\"map\": {\"active\": 1, \"paused\": 0}}}]}");
    const char *doc = "{\"total\": 7, \"state\": \"paused\", \"items\": ["
                      "{\"region\": \"EU\", \"n\": 2}, {\"region\": \"US\", "
                      "\"n\": 5}, {\"region\": \"EU\", \"n\": 4}]}";
    ws_rules_t run;
    assert_int_equal (ws_rules_run (&run, source, doc, strlen (doc), 0, false),
                      0);
    assert_true (run.samples[run.rules[0].first].value == 7);
    assert_true (run.samples[run.rules[1].first].value == 6);
    assert_int_equal (run.rules[2].count, 2);
    assert_true (run.samples[run.rules[2].first].value == 4);
    assert_true (run.samples[run.rules[3].first].value == 0);
    ws_rules_free (&run);

    const char *html = "<html><body>oops</body></html>";
    assert_int_equal (
        ws_rules_run (&run, source, html, strlen (html), 0, false), 4);
    assert_non_null (strstr (run.error, "body is not JSON"));
    //  Said once, not once per rule.
    assert_null (strstr (strstr (run.error, "body is not JSON") + 1,
                         "body is not JSON"));
    ws_rules_free (&run);
    ws_source_destroy (&source);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_labels_and_conversion),
        cmocka_unit_test (test_max_series),
        cmocka_unit_test (test_json),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
