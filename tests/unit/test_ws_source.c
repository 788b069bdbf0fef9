//  test_ws_source - the source definition: defaults, every field's
//  checks with the JSON pointer of the field at fault, the round trip
//  through ws_source_to_json.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_source.h"

//  JSON written with ' for " so the cases stay readable.
static json_t *
s_parse (const char *text)
{
    char *copy = strdup (text);
    assert_non_null (copy);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t jerr;
    json_t *def = json_loads (copy, 0, &jerr);
    if (!def)
        fail_msg ("test JSON does not parse: %s: %s", jerr.text, copy);
    free (copy);
    return def;
}

static ws_source_t *
s_new (const char *text, ws_err_t *err)
{
    json_t *def = s_parse (text);
    ws_source_t *source = ws_source_new (def, err);
    json_decref (def);
    return source;
}

static void
test_minimal_defaults (void **state)
{
    (void) state;
    ws_err_t err;
    ws_source_t *source = s_new (
        "{'name': 'eu-signups', 'url': 'https://crm.example/api?region=eu',"
        " 'metrics': [{'name': 'signups', 'type': 'gauge', 'json': "
        "'/count'}]}",
        &err);
    assert_non_null (source);
    assert_string_equal (ws_source_name (source), "eu-signups");
    assert_string_equal (ws_source_url (source),
                         "https://crm.example/api?region=eu");
    assert_string_equal (ws_source_method (source), "GET");
    assert_int_equal (json_object_size (ws_source_headers (source)), 0);
    assert_null (ws_source_body (source));
    assert_int_equal (ws_source_interval_ms (source), 60000);
    assert_int_equal (ws_source_timeout_ms (source), 10000);
    assert_int_equal (ws_source_retries (source), 2);
    assert_true (ws_source_enabled (source));
    assert_int_equal (ws_source_rule_count (source), 1);
    const ws_rule_t *rule = ws_source_rule (source, 0);
    assert_string_equal (rule->metric, "signups");
    assert_int_equal (rule->type, WS_METRIC_GAUGE);
    assert_int_equal (rule->period_ms, 0);
    assert_string_equal (rule->pointer, "/count");
    assert_int_equal (rule->aggregate, WS_AGG_NONE);
    assert_string_equal (rule->labels_text, "{}");
    assert_null (ws_source_rule (source, 1));
    ws_source_destroy (&source);
    assert_null (source);
    ws_source_destroy (&source);
    ws_source_destroy (NULL);
}

static void
test_full (void **state)
{
    (void) state;
    ws_err_t err;
    ws_source_t *source = s_new (
        "{'name': 'crm.eu_1', 'url': 'http://[::1]:8089/x#frag',"
        " 'method': 'POST', 'body': '{\\'q\\': 1}',"
        " 'headers': {'Authorization': 'Bearer ${CRM_TOKEN}',"
        "             'X-Two': '${A}-${B_2}', 'Accept': 'application/json'},"
        " 'interval': 90, 'timeout': '1500ms', 'retries': 0,"
        " 'enabled': false, 'labels': {'region': 'eu', 'team': 'growth'},"
        " 'metrics': ["
        "  {'name': 'trials_today', 'type': 'per_period', 'period': '1d',"
        "   'json': '/data/*/count', 'aggregate': 'sum',"
        "   'labels': {'channel': 'web', 'region': 'eu-west'}},"
        "  {'name': 'ns:total.all', 'type': 'counter', 'json': '',"
        "   'aggregate': 'max'},"
        "  {'name': '_x', 'type': 'gauge', 'json': '/a~1b/~0c/0'}]}",
        &err);
    if (!source)
        fail_msg ("%s", err.text);
    assert_string_equal (ws_source_method (source), "POST");
    assert_string_equal (ws_source_body (source), "{\"q\": 1}");
    assert_int_equal (ws_source_interval_ms (source), 90000);
    assert_int_equal (ws_source_timeout_ms (source), 1500);
    assert_int_equal (ws_source_retries (source), 0);
    assert_false (ws_source_enabled (source));
    assert_string_equal (json_string_value (json_object_get (
                             ws_source_headers (source), "Authorization")),
                         "Bearer ${CRM_TOKEN}");
    assert_int_equal (ws_source_rule_count (source), 3);
    const ws_rule_t *rule = ws_source_rule (source, 0);
    assert_int_equal (rule->type, WS_METRIC_PER_PERIOD);
    assert_int_equal (rule->period_ms, 86400000);
    assert_int_equal (rule->aggregate, WS_AGG_SUM);
    //  Source labels + rule labels, the rule's win; keys sorted.
    assert_string_equal (
        rule->labels_text,
        "{\"channel\":\"web\",\"region\":\"eu-west\",\"team\":\"growth\"}");
    rule = ws_source_rule (source, 1);
    assert_int_equal (rule->type, WS_METRIC_COUNTER);
    assert_string_equal (rule->pointer, "");
    assert_int_equal (rule->aggregate, WS_AGG_MAX);
    assert_string_equal (rule->labels_text,
                         "{\"region\":\"eu\",\"team\":\"growth\"}");
    assert_string_equal (ws_source_rule (source, 2)->pointer, "/a~1b/~0c/0");
    ws_source_destroy (&source);

    //  A fractional number of seconds is fine while it is whole ms.
    source = s_new ("{'name': 'a', 'url': 'http://h', 'interval': 0.5,"
                    " 'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
                    "'/x'}]}",
                    &err);
    assert_non_null (source);
    assert_int_equal (ws_source_interval_ms (source), 500);
    ws_source_destroy (&source);
}

typedef struct {
    const char *def;
    const char *where;
    const char *text;  //  expected substring of err.text
} s_case_t;

#define S_RULE "{'name': 'm', 'type': 'gauge', 'json': '/x'}"
#define S_HEAD "'name': 's', 'url': 'http://h/', "

static const s_case_t s_cases[] = {
    {"[]", "", "(source): found an empty array, expected an object"},
    {"{'url': 'http://h', 'metrics': [" S_RULE "]}", "/name",
     "/name: missing, it is required"},
    {"{'name': 5, 'url': 'http://h', 'metrics': [" S_RULE "]}", "/name",
     "/name: found 5, expected a string"},
    {"{'name': '', 'url': 'http://h', 'metrics': [" S_RULE "]}", "/name",
     "empty"},
    {"{'name': 'a b', 'url': 'http://h', 'metrics': [" S_RULE "]}", "/name",
     "bad name"},
    {"{'name': "
     "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', "
     "'url': 'http://h', 'metrics': [" S_RULE "]}",
     "/name", "65 characters, at most 64"},
    {"{'name': 's', 'metrics': [" S_RULE "]}", "/url", "/url: missing"},
    {"{'name': 's', 'url': 'ftp://h/x', 'metrics': [" S_RULE "]}", "/url",
     "expected an http:// or https:// URL"},
    {"{'name': 's', 'url': 'http://', 'metrics': [" S_RULE "]}", "/url",
     "no host"},
    {"{'name': 's', 'url': 'http:///x', 'metrics': [" S_RULE "]}", "/url",
     "no host"},
    {"{'name': 's', 'url': 'http://h x/', 'metrics': [" S_RULE "]}", "/url",
     "space or control character"},
    {"{'name': 's', 'url': 'http://h:99999/', 'metrics': [" S_RULE "]}", "/url",
     "port"},
    {"{'name': 's', 'url': 'http://h:/', 'metrics': [" S_RULE "]}", "/url",
     "empty port"},
    {"{'name': 's', 'url': 'http://u:pw@h/', 'metrics': [" S_RULE "]}", "/url",
     "credentials"},
    {"{'name': 's', 'url': 'http://h!/', 'metrics': [" S_RULE "]}", "/url",
     "bad character '!' in the host"},
    {"{" S_HEAD "'method': 'PUT', 'metrics': [" S_RULE "]}", "/method",
     "/method: found \"PUT\", expected GET or POST"},
    {"{" S_HEAD "'headers': [], 'metrics': [" S_RULE "]}", "/headers",
     "found an empty array, expected an object"},
    {"{" S_HEAD "'headers': {'Bad Name': 'x'}, 'metrics': [" S_RULE "]}",
     "/headers/Bad Name", "bad character ' ' in the header name"},
    {"{" S_HEAD "'headers': {'a/b': 'x'}, 'metrics': [" S_RULE "]}",
     "/headers/a~1b", "bad character '/'"},
    {"{" S_HEAD "'headers': {'X': 1}, 'metrics': [" S_RULE "]}", "/headers/X",
     "found 1, expected a string"},
    {"{" S_HEAD "'headers': {'X': 'a\\r\\nEvil: 1'}, 'metrics': [" S_RULE "]}",
     "/headers/X", "line break"},
    {"{" S_HEAD "'headers': {'X': '${TOKEN'}, 'metrics': [" S_RULE "]}",
     "/headers/X", "without a closing"},
    {"{" S_HEAD "'headers': {'X': '${1X}'}, 'metrics': [" S_RULE "]}",
     "/headers/X", "bad variable name"},
    {"{" S_HEAD "'headers': {'X': '${A-B}'}, 'metrics': [" S_RULE "]}",
     "/headers/X", "bad variable name"},
    {"{" S_HEAD "'body': 'x', 'metrics': [" S_RULE "]}", "/body",
     "needs \"method\": \"POST\""},
    {"{" S_HEAD "'method': 'POST', 'body': 3, 'metrics': [" S_RULE "]}",
     "/body", "found 3, expected a string"},
    {"{" S_HEAD "'interval': '10 s', 'metrics': [" S_RULE "]}", "/interval",
     "/interval: found \"10 s\", expected a duration"},
    {"{" S_HEAD "'interval': '50ms', 'metrics': [" S_RULE "]}", "/interval",
     "50ms is out of range, expected 100ms to 1w"},
    {"{" S_HEAD "'interval': '8d', 'metrics': [" S_RULE "]}", "/interval",
     "out of range"},
    {"{" S_HEAD "'interval': -1, 'metrics': [" S_RULE "]}", "/interval",
     "found -1"},
    {"{" S_HEAD "'interval': true, 'metrics': [" S_RULE "]}", "/interval",
     "found true"},
    {"{" S_HEAD "'timeout': '11m', 'metrics': [" S_RULE "]}", "/timeout",
     "11m is out of range, expected 100ms to 10m"},
    {"{" S_HEAD "'retries': 6, 'metrics': [" S_RULE "]}", "/retries",
     "found 6, expected an integer from 0 to 5"},
    {"{" S_HEAD "'retries': 1.5, 'metrics': [" S_RULE "]}", "/retries",
     "found 1.5"},
    {"{" S_HEAD "'enabled': 'yes', 'metrics': [" S_RULE "]}", "/enabled",
     "found \"yes\", expected true or false"},
    {"{" S_HEAD "'labels': {'1x': 'a'}, 'metrics': [" S_RULE "]}", "/labels/1x",
     "bad label name"},
    {"{" S_HEAD "'labels': {'x': 2}, 'metrics': [" S_RULE "]}", "/labels/x",
     "found 2, expected a string"},
    {"{" S_HEAD "'labels': 'x', 'metrics': [" S_RULE "]}", "/labels",
     "expected an object"},
    {"{" S_HEAD "'interva1': '5s', 'metrics': [" S_RULE "]}", "/interva1",
     "/interva1: unknown key, expected one of name, url"},
    {"{" S_HEAD "'metric': []}", "/metric", "unknown key"},
    {"{" S_HEAD "'enabled': true}", "/metrics", "/metrics: missing"},
    {"{" S_HEAD "'metrics': []}", "/metrics", "0 rules, expected 1 to 256"},
    {"{" S_HEAD "'metrics': {}}", "/metrics", "expected an array of rules"},
    {"{" S_HEAD "'metrics': [3]}", "/metrics/0", "found 3, expected an object"},
    {"{" S_HEAD "'metrics': [{'type': 'gauge', 'json': '/x'}]}",
     "/metrics/0/name", "/metrics/0/name: missing"},
    {"{" S_HEAD "'metrics': [{'name': '9m', 'type': 'gauge', 'json': '/x'}]}",
     "/metrics/0/name", "bad metric name"},
    {"{" S_HEAD "'metrics': [{'name': 'a-b', 'type': 'gauge', 'json': "
     "'/x'}]}",
     "/metrics/0/name", "bad metric name"},
    {"{" S_HEAD "'metrics': [" S_RULE ", {'name': 'm2', 'type': 'foo', "
     "'json': '/x'}]}",
     "/metrics/1/type",
     "/metrics/1/type: found \"foo\", expected gauge, counter or per_period"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'json': '/x'}]}", "/metrics/0/type",
     "missing"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'per_period', 'json': "
     "'/x'}]}",
     "/metrics/0/period", "missing, a per_period metric needs one"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'per_period', 'period': "
     "'1x', 'json': '/x'}]}",
     "/metrics/0/period", "found \"1x\""},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'per_period', 'period': "
     "'10ms', 'json': '/x'}]}",
     "/metrics/0/period", "out of range"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'period': '1d', "
     "'json': '/x'}]}",
     "/metrics/0/period", "only a per_period metric has a period"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge'}]}", "/metrics/0",
     "no extraction: give one of \"json\""},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': '/x', "
     "'regex': 'a'}]}",
     "/metrics/0", "both \"json\" and \"regex\""},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'regex': 'a', "
     "'document': 'xml'}]}",
     "/metrics/0/document", "an option of \"xpath\" rules"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'regex': "
     "'(a'}]}",
     "/metrics/0/regex", "/metrics/0/regex: missing closing"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'xpath': "
     "'//span[@'}]}",
     "/metrics/0/xpath", "/metrics/0/xpath: syntax error"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'prometheus': "
     "'up{job=}'}]}",
     "/metrics/0/prometheus", "/metrics/0/prometheus: "},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'csv': "
     "{'column': 'a', 'header': false}}]}",
     "/metrics/0/csv/column", "/metrics/0/csv/column: a column name needs"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'regex': 'a', "
     "'convert': 'percnt'}]}",
     "/metrics/0/convert", "unknown conversion"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
     "'/items[name=EU/n', 'aggregate': 'sum'}]}",
     "/metrics/0/json", "/metrics/0/json"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
     "'/items/*[name=EU]/n'}]}",
     "/metrics/0/aggregate", "needs sum, count"},
    {"{" S_HEAD "'labels': {'region': 'eu'}, 'metrics': [{'name': 'm', "
     "'type': 'gauge', 'csv': {'column': 'n'}, 'labels_from': {'region': "
     "'r'}}]}",
     "/metrics/0/labels_from/region", "also a fixed label"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'csv': "
     "{'column': 'n'}, 'labels_from': {'bad-name': 'r'}}]}",
     "/metrics/0/labels_from/bad-name", "is not a label name"},
    {"{" S_HEAD "'max_series': 0, 'metrics': [" S_RULE "]}", "/max_series",
     "expected an integer from 1 to 10000"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': 4}]}",
     "/metrics/0/json", "found 4, expected a JSON pointer"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
     "'data/x'}]}",
     "/metrics/0/json", "starts with \"/\""},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
     "'/a~2'}]}",
     "/metrics/0/json", "'~' must be followed by 0 or 1"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
     "'/a~'}]}",
     "/metrics/0/json", "'~' must be followed by 0 or 1"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
     "'/items/*/x'}]}",
     "/metrics/0/aggregate", "has a \"*\" so it needs sum"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': "
     "'/items/*', 'aggregate': 'median'}]}",
     "/metrics/0/aggregate",
     "found \"median\", expected sum, count, min, max or avg"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': '/x', "
     "'labels': {'a': 1}}]}",
     "/metrics/0/labels/a", "found 1, expected a string"},
    {"{" S_HEAD "'metrics': [{'name': 'm', 'type': 'gauge', 'json': '/x', "
     "'jsn': '/y'}]}",
     "/metrics/0/jsn", "unknown key, expected one of name, type"},
    {"{" S_HEAD "'metrics': [" S_RULE ", {'name': 'm', 'type': 'counter', "
     "'json': '/y'}]}",
     "/metrics/1", "same metric \"m\" and labels as /metrics/0"},
};

static void
test_invalid (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        ws_err_t err;
        ws_err_clear (&err);
        ws_source_t *source = s_new (s_cases[i].def, &err);
        if (source)
            fail_msg ("case %zu accepted: %s", i, s_cases[i].def);
        if (err.code != WS_ERR_INPUT || strcmp (err.where, s_cases[i].where)
            || !strstr (err.text, s_cases[i].text))
            fail_msg ("case %zu: got where \"%s\" text \"%s\", expected "
                      "where \"%s\" text with \"%s\"",
                      i, err.where, err.text, s_cases[i].where,
                      s_cases[i].text);
    }
}

//  Limits that need generated input: 257 rules, 65 labels, a long metric.
static void
test_limits (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *def = s_parse ("{'name': 's', 'url': 'https://h', 'metrics': []}");
    json_t *metrics = json_object_get (def, "metrics");
    for (int i = 0; i < 257; i++) {
        char name[32];
        snprintf (name, sizeof name, "m%d", i);
        json_array_append_new (metrics,
                               json_pack ("{s:s, s:s, s:s}", "name", name,
                                          "type", "gauge", "json", "/x"));
    }
    assert_null (ws_source_new (def, &err));
    assert_string_equal (err.where, "/metrics");
    assert_non_null (strstr (err.text, "257 rules"));
    json_array_remove (metrics, 0);
    ws_source_t *source = ws_source_new (def, &err);
    assert_non_null (source);
    assert_int_equal (ws_source_rule_count (source), 256);
    ws_source_destroy (&source);
    json_decref (def);

    def = s_parse ("{'name': 's', 'url': 'https://h', 'labels': {},"
                   " 'metrics': [{'name': 'm', 'type': 'gauge', 'json': '/x',"
                   " 'labels': {'extra': 'x'}}]}");
    json_t *labels = json_object_get (def, "labels");
    for (int i = 0; i < 64; i++) {
        char key[16];
        snprintf (key, sizeof key, "l%d", i);
        json_object_set_new (labels, key, json_string ("v"));
    }
    //  64 source labels alone are fine; with the rule's it is 65.
    assert_null (ws_source_new (def, &err));
    assert_string_equal (err.where, "/metrics/0/labels");
    assert_non_null (strstr (err.text, "65 labels"));
    json_object_del (
        json_object_get (json_array_get (json_object_get (def, "metrics"), 0),
                         "labels"),
        "extra");
    source = ws_source_new (def, &err);
    assert_non_null (source);
    ws_source_destroy (&source);
    json_decref (def);

    char metric[202];
    memset (metric, 'a', 201);
    metric[201] = '\0';
    def = json_pack ("{s:s, s:s, s:[{s:s, s:s, s:s}]}", "name", "s", "url",
                     "http://h", "metrics", "name", metric, "type", "gauge",
                     "json", "/x");
    assert_null (ws_source_new (def, &err));
    assert_string_equal (err.where, "/metrics/0/name");
    assert_non_null (strstr (err.text, "201 characters, at most 200"));
    metric[200] = '\0';
    json_object_set_new (json_array_get (json_object_get (def, "metrics"), 0),
                         "name", json_string (metric));
    source = ws_source_new (def, &err);
    assert_non_null (source);
    ws_source_destroy (&source);
    json_decref (def);
}

static char *
s_dump (json_t *def)
{
    char *text = json_dumps (def, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null (text);
    return text;
}

static void
test_round_trip (void **state)
{
    (void) state;
    static const char *defs[] = {
        "{'name': 's', 'url': 'http://h', 'metrics': [{'name': 'm', 'type': "
        "'gauge', 'json': '/x'}]}",
        "{'name': 'crm.eu_1', 'url': 'https://h:8443/a?b=c', 'method': "
        "'POST', 'body': 'q=1', 'headers': {'Authorization': 'Bearer "
        "${T}'}, 'interval': 90, 'timeout': 2.5, 'retries': 5, 'enabled': "
        "false, 'labels': {'region': 'eu'}, 'metrics': [{'name': 'a', "
        "'type': 'per_period', 'period': 86400, 'json': '/d/*/n', "
        "'aggregate': 'avg', 'labels': {'region': 'us', 'k': 'v'}}, {'name': "
        "'b', 'type': 'counter', 'json': '', 'aggregate': 'count'}]}",
        "{'name': 'page', 'url': 'http://h', 'max_series': 500, 'metrics': "
        "[{'name': 'price', 'type': 'gauge', 'regex': 'Price: ([0-9.,]+)', "
        "'flags': 'i', 'decimal': ','}, {'name': 'items', 'type': 'gauge', "
        "'xpath': 'count(//item)', 'document': 'xml'}, {'name': 'spend', "
        "'type': 'gauge', 'csv': {'column': 'Spend', 'where': {'Region': "
        "'EU'}}, 'aggregate': 'sum', 'labels_from': {'channel': 'Channel'}}, "
        "{'name': 'reqs', 'type': 'counter', 'prometheus': "
        "'http_requests_total', 'aggregate': 'sum'}, "
        "{'name': 'state', 'type': 'gauge', 'regex': 'state=(\\\\w+)', "
        "'convert': {'map': {'active': 1, 'paused': 0}}}]}",
        "{'name': 'api', 'url': 'http://h', 'metrics': [{'name': 'eu', "
        "'type': 'gauge', 'json': '/items[region=EU]/n', 'aggregate': "
        "'sum'}, {'name': 'by_region', 'type': 'gauge', 'json': "
        "'/items/*/n', 'aggregate': 'sum', 'labels_from': {'region': "
        "'/region'}}, {'name': 'spend', 'type': 'gauge', 'json': '/spend', "
        "'decimal': ','}]}",
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        ws_err_t err;
        ws_source_t *first = s_new (defs[i], &err);
        assert_non_null (first);
        json_t *normal = ws_source_to_json (first);
        assert_non_null (normal);
        ws_source_t *second = ws_source_new (normal, &err);
        if (!second)
            fail_msg ("normalised form refused: %s", err.text);
        json_t *again = ws_source_to_json (second);
        char *one = s_dump (normal);
        char *two = s_dump (again);
        assert_string_equal (one, two);

        //  The same values through the accessors.
        assert_string_equal (ws_source_name (first), ws_source_name (second));
        assert_string_equal (ws_source_url (first), ws_source_url (second));
        assert_string_equal (ws_source_method (first),
                             ws_source_method (second));
        assert_true (
            json_equal (ws_source_headers (first), ws_source_headers (second)));
        assert_int_equal (ws_source_interval_ms (first),
                          ws_source_interval_ms (second));
        assert_int_equal (ws_source_timeout_ms (first),
                          ws_source_timeout_ms (second));
        assert_int_equal (ws_source_retries (first),
                          ws_source_retries (second));
        assert_int_equal (ws_source_enabled (first),
                          ws_source_enabled (second));
        assert_int_equal (ws_source_rule_count (first),
                          ws_source_rule_count (second));
        for (size_t r = 0; r < ws_source_rule_count (first); r++) {
            const ws_rule_t *a = ws_source_rule (first, r);
            const ws_rule_t *b = ws_source_rule (second, r);
            assert_string_equal (a->metric, b->metric);
            assert_int_equal (a->type, b->type);
            assert_int_equal (a->period_ms, b->period_ms);
            assert_string_equal (a->pointer, b->pointer);
            assert_int_equal (a->aggregate, b->aggregate);
            assert_string_equal (a->labels_text, b->labels_text);
        }
        free (one);
        free (two);
        json_decref (normal);
        json_decref (again);
        ws_source_destroy (&first);
        ws_source_destroy (&second);
    }

    //  The normalised form itself: defaults filled, durations as text.
    ws_err_t err;
    ws_source_t *source = s_new (defs[0], &err);
    json_t *normal = ws_source_to_json (source);
    char *text = json_dumps (normal, JSON_COMPACT);
    assert_string_equal (
        text, "{\"name\":\"s\",\"url\":\"http://h\",\"method\":\"GET\","
              "\"headers\":{},\"interval\":\"1m\",\"timeout\":\"10s\","
              "\"retries\":2,\"enabled\":true,\"labels\":{},\"metrics\":[{"
              "\"name\":\"m\",\"type\":\"gauge\",\"json\":\"/x\","
              "\"labels\":{}}]}");
    free (text);
    json_decref (normal);
    ws_source_destroy (&source);
}

static void
test_names (void **state)
{
    (void) state;
    assert_string_equal (ws_metric_type_name (WS_METRIC_GAUGE), "gauge");
    assert_string_equal (ws_metric_type_name (WS_METRIC_COUNTER), "counter");
    assert_string_equal (ws_metric_type_name (WS_METRIC_PER_PERIOD),
                         "per_period");
    assert_string_equal (ws_agg_name (WS_AGG_NONE), "none");
    assert_string_equal (ws_agg_name (WS_AGG_SUM), "sum");
    assert_string_equal (ws_agg_name (WS_AGG_COUNT), "count");
    assert_string_equal (ws_agg_name (WS_AGG_MIN), "min");
    assert_string_equal (ws_agg_name (WS_AGG_MAX), "max");
    assert_string_equal (ws_agg_name (WS_AGG_AVG), "avg");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_minimal_defaults),
        cmocka_unit_test (test_full),
        cmocka_unit_test (test_invalid),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
