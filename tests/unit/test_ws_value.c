//  test_ws_value - number parsing and the conversions of a rule: tables
//  of texts read and refused (with the text quoted in the error), every
//  conversion kind, and every malformed conversion spec refused with
//  err->where naming the key.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ws_value.h"

static json_t *
s_json (const char *text)
{
    json_error_t error;
    json_t *json = json_loads (text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (!json)
        fail_msg ("test JSON: %s: %s", text, error.text);
    return json;
}

typedef struct {
    const char *text;
    char decimal;
    double value;
} s_read_t;

static const s_read_t s_read[] = {
    {"1.234,50 \xe2\x82\xac", ',', 1234.5},
    {"$1,234.50", '.', 1234.5},
    {"1 234 567", '.', 1234567},
    {"1 234 567", ',', 1234567},
    {"1\xc2\xa0"
     "234,5",
     ',', 1234.5},
    {"1\xe2\x80\xaf"
     "234\xe2\x80\xaf"
     "567",
     '.', 1234567},
    {"1\xe2\x80\x89"
     "234",
     '.', 1234},
    {"1'234.5", '.', 1234.5},
    {"1\xe2\x80\x99"
     "234.5",
     '.', 1234.5},
    {"1.234", ',', 1234},
    {"1,234", '.', 1234},
    {"1,234", ',', 1.234},
    {"1,234,567.25", '.', 1234567.25},
    {"-0", '.', 0},
    {"-0,0", ',', 0},
    {"(1,234)", '.', -1234},
    {"( 1,234 )", '.', -1234},
    {"$(1,234)", '.', -1234},
    {"($1,234)", '.', -1234},
    {"(1.234,50 \xe2\x82\xac)", ',', -1234.5},
    {"(1,234) USD", '.', -1234},
    {"12.5%", '.', 12.5},
    {"12,5 %", ',', 12.5},
    {"-3%", '.', -3},
    {"+5", '.', 5},
    {"\xe2\x88\x92"
     "5",
     '.', -5},
    {"-$5", '.', -5},
    {"$-5", '.', -5},
    {"\xe2\x82\xac -5", ',', -5},
    {"EUR 1.234,50", ',', 1234.5},
    {"1,234.50 USD", '.', 1234.5},
    {"CHF 1'234.50", '.', 1234.5},
    {"\xc2\xa5"
     "1,000",
     '.', 1000},
    {"\xc2\xa3"
     "9.99",
     '.', 9.99},
    {"\xe2\x82\xb9 500", '.', 500},
    {"5\xc2\xa0\xe2\x82\xac", ',', 5},
    {"1.2e3", '.', 1200},
    {"1.2E-3", '.', 0.0012},
    {"-2e+2", '.', -200},
    {"1e-999", '.', 0},  //  underflow: a number, stored as 0
    {"  42  ", '.', 42},
    {"\t\n42\r\n", '.', 42},
    {"\xc2\xa0"
     "42\xe2\x80\xaf",
     '.', 42},
    {".5", '.', 0.5},
    {",5", ',', 0.5},
    {"007", '.', 7},
    {"0", '.', 0},
    {"0.5", '.', 0.5},
    {"1234567", '.', 1234567},
    {"1234.5", '.', 1234.5},
    {"1234,5", ',', 1234.5},
};

static void
test_number_read (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_read / sizeof s_read[0]; i++) {
        ws_err_t err;
        ws_err_clear (&err);
        double value = -999;
        if (ws_number_parse (s_read[i].text, s_read[i].decimal, &value, &err))
            fail_msg ("refused \"%s\" (%c): %s", s_read[i].text,
                      s_read[i].decimal, err.text);
        if (fabs (value - s_read[i].value) > 1e-12 * fabs (s_read[i].value))
            fail_msg ("\"%s\" (%c): %.17g, expected %.17g", s_read[i].text,
                      s_read[i].decimal, value, s_read[i].value);
        //  -0 is stored as 0: no sign for a database or a JSON writer
        //  to carry along.
        if (value == 0 && signbit (value))
            fail_msg ("\"%s\": negative zero", s_read[i].text);
    }
}

typedef struct {
    const char *text;
    char decimal;
    const char *quoted;  //  how the error quotes it; NULL: as it is
} s_refused_t;

static const s_refused_t s_refused[] = {
    //  A thousands group has three digits: "1,23" is not 1.23 nor 123.
    {"1,23", '.', NULL},
    {"1.23", ',', NULL},
    {"1,2345", '.', NULL},
    {"1234,567", '.', NULL},  //  a first group of four
    {"0,123", '.', NULL},     //  a European 0.123?
    {"01,234", '.', NULL},
    {"1,234 567", '.', NULL},  //  two kinds of separator
    {"1.234,5", '.', NULL},
    {"1,234.5", ',', NULL},
    {"1 234,56", '.', NULL},
    {"1,234.567,8", '.', NULL},
    {"1.2.3", '.', NULL},
    {"1.2.3", ',', NULL},
    {"1,2e3", ',', NULL},
    {"1.2e3", ',', NULL},
    {"1e999", '.', NULL},
    {"-1e999", '.', NULL},
    {"NaN", '.', NULL},
    {"nan", '.', NULL},
    {"inf", '.', NULL},
    {"-inf", '.', NULL},
    {"Infinity", '.', NULL},
    {"0x1A", '.', NULL},
    {"", '.', NULL},
    {"   ", '.', NULL},
    {"12abc", '.', NULL},
    {"abc", '.', NULL},
    {"n/a", '.', NULL},
    {"-", '.', NULL},
    {".", '.', NULL},
    {"5.", '.', NULL},
    {"1e", '.', NULL},
    {"1e+", '.', NULL},
    {"$", '.', NULL},
    {"%", '.', NULL},
    {"()", '.', NULL},
    {"(-5)", '.', NULL},
    {"-(5)", '.', NULL},
    {"--5", '.', NULL},
    {"+-5", '.', NULL},
    {"- 5", '.', NULL},
    {"5-", '.', NULL},
    {"1 2", '.', NULL},
    {"1_000", '.', NULL},
    {"$5 \xe2\x82\xac", '.', NULL},  //  two currencies
    {"$12%", '.', NULL},
    {"12%%", '.', NULL},
    {"EUR5", '.', NULL},
    {"5EUR", '.', NULL},
    {"eur 5", '.', NULL},
    {"\xe2\x82\xb9 1,23,456", '.', NULL},  //  lakh grouping is not read
    {"(1,234", '.', NULL},
    {"1,234)", '.', NULL},
    //  Bytes that are not UTF-8, or controls, are refused and written
    //  \xNN in the error.
    {"\xff\xfe", '.', "\"\\xff\\xfe\""},
    {"1\xff", '.', "\"1\\xff\""},
    {"\xc2", '.', "\"\\xc2\""},
    {"1\xc2", '.', "\"1\\xc2\""},
    {"\xe2\x82", '.', "\"\\xe2\\x82\""},
    {"\xc0\xb1", '.', "\"\\xc0\\xb1\""},  //  overlong '1'
    {"1\x01", '.', "\"1\\x01\""},
    {"say \"5\"", '.', "\"say \\\"5\\\"\""},
};

static void
test_number_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_refused / sizeof s_refused[0]; i++) {
        const s_refused_t *c = &s_refused[i];
        ws_err_t err;
        ws_err_clear (&err);
        double value = 42;
        if (ws_number_parse (c->text, c->decimal, &value, &err) == 0)
            fail_msg ("read \"%s\" (%c) as %.17g", c->text, c->decimal, value);
        assert_int_equal (err.code, WS_ERR_EXTRACT);
        assert_true (value == 42);
        char want[128];
        if (c->quoted)
            snprintf (want, sizeof want, "found %s, expected a number",
                      c->quoted);
        else
            snprintf (want, sizeof want, "found \"%s\", expected a number",
                      c->text);
        if (!strstr (err.text, want))
            fail_msg ("\"%s\": error \"%s\", expected it to hold \"%s\"",
                      c->text, err.text, want);
    }
}

static void
test_number_errors (void **state)
{
    (void) state;
    ws_err_t err;
    double value;
    assert_int_equal (ws_number_parse ("n/a", '.', &value, &err), -1);
    assert_string_equal (err.text, "found \"n/a\", expected a number");
    assert_int_equal (ws_number_parse ("1.5", ',', &value, &err), -1);
    assert_string_equal (err.text,
                         "found \"1.5\", expected a number (decimal ',')");
    //  A decimal mark other than '.' or ',' is the caller's mistake.
    assert_int_equal (ws_number_parse ("1", 'x', &value, &err), -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    //  NULL reads as "", and a NULL err is allowed.
    assert_int_equal (ws_number_parse (NULL, '.', &value, &err), -1);
    assert_string_equal (err.text, "found \"\", expected a number");
    assert_int_equal (ws_number_parse ("x", '.', &value, NULL), -1);

    //  A long text is cut in the error, which stays within ws_err_t.
    char text[1000];
    memset (text, '7', sizeof text - 2);
    text[sizeof text - 2] = 'x';
    text[sizeof text - 1] = '\0';
    assert_int_equal (ws_number_parse (text, '.', &value, &err), -1);
    assert_non_null (strstr (err.text, "found \"777"));
    assert_non_null (strstr (err.text, "...\", expected a number"));
    assert_true (strlen (err.text) < 120);
    //  400 digits: no number a page meant (and past the clean buffer).
    text[400] = '\0';
    assert_int_equal (ws_number_parse (text, '.', &value, &err), -1);
    //  300 digits still read.
    text[300] = '\0';
    assert_int_equal (ws_number_parse (text, '.', &value, &err), 0);
    assert_true (value > 7.7e299 && value < 7.8e299);
}

//  A conversion from a rule's JSON text.
static ws_value_conv_t *
s_conv (const char *rule_text)
{
    json_t *rule = s_json (rule_text);
    ws_err_t err;
    ws_value_conv_t *conv = ws_value_conv_new (rule, &err);
    if (!conv)
        fail_msg ("refused %s: %s", rule_text, err.text);
    json_decref (rule);
    return conv;
}

static void
s_converts (const ws_value_conv_t *conv, const char *text, int64_t now_ms,
            double want)
{
    ws_err_t err;
    double value = -999;
    if (ws_value_convert (conv, text, now_ms, &value, &err))
        fail_msg ("refused \"%s\": %s", text, err.text);
    if (fabs (value - want) > 1e-9 * fmax (1, fabs (want)))
        fail_msg ("\"%s\": %.17g, expected %.17g", text, value, want);
    if (value == 0 && signbit (value))
        fail_msg ("\"%s\": negative zero", text);
}

//  Refused, with the error text holding want.
static void
s_not_converted (const ws_value_conv_t *conv, const char *text,
                 const char *want)
{
    ws_err_t err;
    ws_err_clear (&err);
    double value = 42;
    if (ws_value_convert (conv, text, 0, &value, &err) == 0)
        fail_msg ("converted \"%s\" to %.17g", text, value);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_true (value == 42);
    if (!strstr (err.text, want))
        fail_msg ("\"%s\": error \"%s\", expected it to hold \"%s\"", text,
                  err.text, want);
}

static void
test_convert_number (void **state)
{
    (void) state;
    //  No rule, an empty rule, a rule with other keys: numbers with '.'.
    ws_err_t err;
    ws_value_conv_t *conv = ws_value_conv_new (NULL, &err);
    assert_non_null (conv);
    s_converts (conv, "$1,234.50", 0, 1234.5);
    s_converts (conv, "12.5%", 0, 12.5);
    s_not_converted (conv, "n/a", "found \"n/a\", expected a number");
    ws_value_conv_destroy (&conv);
    assert_null (conv);
    ws_value_conv_destroy (&conv);

    conv = s_conv ("{}");
    s_converts (conv, "1,234", 0, 1234);
    ws_value_conv_destroy (&conv);

    conv = s_conv ("{\"name\": \"price\", \"convert\": \"number\", "
                   "\"aggregate\": \"sum\", \"decimal\": \".\"}");
    s_converts (conv, "1,234", 0, 1234);
    ws_value_conv_destroy (&conv);

    conv = s_conv ("{\"decimal\": \",\"}");
    s_converts (conv, "1.234,50 \xe2\x82\xac", 0, 1234.5);
    s_converts (conv, "1,234", 0, 1.234);
    s_not_converted (conv, "1.5",
                     "found \"1.5\", expected a number (decimal ',')");
    ws_value_conv_destroy (&conv);
}

static void
test_convert_percent (void **state)
{
    (void) state;
    ws_value_conv_t *conv = s_conv ("{\"convert\": \"percent\"}");
    s_converts (conv, "12.5%", 0, 0.125);
    s_converts (conv, " 100 % ", 0, 1);
    s_converts (conv, "-3%", 0, -0.03);
    s_converts (conv, "50", 0, 0.5);      //  no '%': divided all the same
    s_converts (conv, "-1e-323%", 0, 0);  //  underflows, and not to -0
    s_not_converted (conv, "12,5%", "found \"12,5%\", expected a number");
    ws_value_conv_destroy (&conv);

    conv = s_conv ("{\"convert\": \"percent\", \"decimal\": \",\"}");
    s_converts (conv, "12,5 %", 0, 0.125);
    ws_value_conv_destroy (&conv);
}

static void
test_convert_bool (void **state)
{
    (void) state;
    ws_value_conv_t *conv = s_conv ("{\"convert\": \"bool\"}");
    static const struct {
        const char *text;
        double value;
    } cases[] = {{"true", 1}, {"True", 1},   {"TRUE", 1},  {"yes", 1},
                 {"Yes", 1},  {"on", 1},     {"ON", 1},    {"1", 1},
                 {" 1 ", 1},  {"false", 0},  {"FaLsE", 0}, {"no", 0},
                 {"off", 0},  {" off\n", 0}, {"0", 0},     {"NO", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_converts (conv, cases[i].text, 0, cases[i].value);
    s_not_converted (
        conv, "maybe",
        "found \"maybe\", expected one of true/false/yes/no/on/off/1/0");
    const char *refused[] = {"",     "2",    "tru",       "truee", "y",
                             "n",    "o",    "01",        "1.0",   "\x10",
                             "\x11", "\xff", "true false"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        s_not_converted (conv, refused[i], "expected one of true/false");
    ws_value_conv_destroy (&conv);
}

static void
test_convert_epoch (void **state)
{
    (void) state;
    ws_value_conv_t *conv = s_conv ("{\"convert\": \"epoch\"}");
    static const struct {
        const char *text;
        double value;
    } cases[] = {
        {"2026-03-31", 1774915200},
        {" 2026-03-31 ", 1774915200},
        {"2026-03-31T09:15:00Z", 1774948500},
        {"2026-03-31T11:15:00+02:00", 1774948500},
        {"2026-03-31T04:15:00-0500", 1774948500},
        {"2026-03-31T09:15:00.250Z", 1774948500.25},
        {"2026-03-31 09:15", 1774948500},
        //  RFC 1123 (HTTP Date, Last-Modified)
        {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
        {"Sun, 6 Nov 1994 08:49:37 UTC", 784111777},
        {"sun, 06 nov 1994 08:49:37 gmt", 784111777},
        {"Sunday, 06 November 1994 08:49:37 UT", 784111777},
        //  RSS pubDate (RFC 822 with numeric zones)
        {"Tue, 31 Mar 2026 09:15:00 +0000", 1774948500},
        {"Tue, 31 Mar 2026 11:15:00 +0200", 1774948500},
        {"Tue, 31 Mar 2026 04:15:00 -0500", 1774948500},
        {"Tue, 31 Mar 2026 14:45:00 +05:30", 1774948500},
        {"31 Mar 2026 09:15 Z", 1774948500},
        {"31 Mar 26 09:15 EST", 1774966500},
        {"Fri, 31 Dec 99 23:59:59 GMT", 946684799},
        {"Tue, 29 Feb 2000 00:00:00", 951782400},  //  no zone: UTC
        {"Tue,31 Mar 2026 09:15:00 GMT", 1774948500},
        {"Mon, 31 Mar 2026 09:15:00 GMT", 1774948500},  //  wrong day name
        {"01 Jan 0000 00:00 GMT", -62167219200.0},
        {"31 Dec 9999 23:59:59 GMT", 253402300799.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_converts (conv, cases[i].text, 0, cases[i].value);
    const char *refused[] = {
        "",
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-03-31X",
        "1774915200",
        "Sun, 31 Feb 2026 09:15:00 GMT",
        "Sun, 29 Feb 2026 09:15:00 GMT",
        "Sun, 06 Nov 1994 25:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 XYZ",
        "Sun, 06 Nov 1994 08:49:37 +2400",
        "Sun, 06 Nov 1994 08:49:37 +02",
        "Sun, 06 Nov 1994 08:49:37 GMT extra",
        "Sun 06 Nov 1994 08:49:37 GMT",
        "Sunny, 06 Nov 1994 08:49:37 GMT",
        "06 Noe 1994 08:49:37 GMT",
        "06 Nov 994 08:49:37 GMT",
        "06 Nov 1994 8:49:37 GMT",
        "06 Nov 1994",
        "06 Nov 1994 08:49:37GMT",
        "01 Jan 0000 00:00 +0100",  //  before the year 0000
        "31 Dec 9999 23:59:59 -0100",
        "\xff\xfe",
        "2026-03-31\xe2\x80\x8b",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        s_not_converted (conv, refused[i], "expected an ISO 8601 or RFC 1123");
    s_not_converted (conv, "yesterday", "found \"yesterday\", expected");
    ws_value_conv_destroy (&conv);
}

static void
test_convert_age_days (void **state)
{
    (void) state;
    ws_value_conv_t *conv = s_conv ("{\"convert\": \"age_days\"}");
    int64_t now_ms = 1775779200000LL;  //  2026-04-10T00:00:00Z
    s_converts (conv, "2026-03-31", now_ms, 10);
    s_converts (conv, "2026-04-09T12:00:00Z", now_ms, 0.5);
    s_converts (conv, "Thu, 09 Apr 2026 18:00:00 GMT", now_ms, 0.25);
    s_converts (conv, "2026-04-10", now_ms, 0);
    s_converts (conv, "2026-04-11", now_ms, -1);  //  in the future
    s_not_converted (conv, "last week", "found \"last week\", expected");
    ws_value_conv_destroy (&conv);
}

static void
test_convert_map (void **state)
{
    (void) state;
    ws_value_conv_t *conv =
        s_conv ("{\"convert\": {\"map\": {\"active\": 1, \"paused\": 0, "
                "\"half\": 0.5, \"\": -1, \"none\": -0.0}}}");
    s_converts (conv, "active", 0, 1);
    s_converts (conv, "  paused\n", 0, 0);
    s_converts (conv, "half", 0, 0.5);
    s_converts (conv, "none", 0, 0);
    s_converts (conv, "  ", 0, -1);
    s_not_converted (conv, "pending",
                     "found \"pending\", not in the map (active, paused, "
                     "half, , none)");
    s_not_converted (conv, "Active", "found \"Active\", not in the map");
    s_not_converted (conv, "act", "found \"act\", not in the map");
    s_not_converted (conv, "actives", "found \"actives\", not in the map");
    ws_value_conv_destroy (&conv);

    conv = s_conv ("{\"convert\": {\"map\": {\"active\": 1, \"paused\": 0}}}");
    ws_err_t err;
    double value;
    assert_int_equal (ws_value_convert (conv, "pending", 0, &value, &err), -1);
    assert_string_equal (err.text,
                         "found \"pending\", not in the map (active, paused)");
    ws_value_conv_destroy (&conv);

    conv = s_conv ("{\"convert\": {\"map\": {\"active\": 1, \"paused\": 0}, "
                   "\"default\": -1}}");
    s_converts (conv, "active", 0, 1);
    s_converts (conv, "paused", 0, 0);
    s_converts (conv, "pending", 0, -1);
    s_converts (conv, "", 0, -1);
    ws_value_conv_destroy (&conv);

    //  Many keys: the list in the error is cut, the error stays whole.
    char rule[2048] = "{\"convert\": {\"map\": {";
    for (int i = 0; i < 50; i++) {
        char item[64];
        snprintf (item, sizeof item, "%s\"state-number-%d\": %d", i ? ", " : "",
                  i, i);
        strcat (rule, item);
    }
    strcat (rule, "}}}");
    conv = s_conv (rule);
    s_converts (conv, "state-number-49", 0, 49);
    s_not_converted (conv, "other",
                     "found \"other\", not in the map "
                     "(state-number-0, state-number-1");
    s_not_converted (conv, "other", "...)");
    ws_value_conv_destroy (&conv);
}

typedef struct {
    const char *rule;
    const char *where;
    const char *text;  //  the error text holds this
} s_bad_spec_t;

static const s_bad_spec_t s_bad_specs[] = {
    {"[]", "", "rule: found [], expected an object"},
    {"\"percent\"", "", "rule: found \"percent\", expected an object"},
    {"{\"decimal\": \";\"}", "/decimal",
     "decimal: found \";\", expected \".\" or \",\""},
    {"{\"decimal\": 1}", "/decimal", "decimal: found 1, expected"},
    {"{\"decimal\": \"..\"}", "/decimal", "decimal: found \"..\""},
    {"{\"decimal\": \"\"}", "/decimal", "decimal: found \"\""},
    {"{\"decimal\": null}", "/decimal", "decimal: found null"},
    {"{\"decimal\": \".\\u0000\"}", "/decimal", "decimal: found"},
    {"{\"convert\": \"percnt\"}", "/convert",
     "convert: unknown conversion 'percnt'; expected number, percent, bool, "
     "epoch, age_days or {\"map\": ...}"},
    {"{\"convert\": \"Number\"}", "/convert",
     "convert: unknown conversion 'Number'"},
    {"{\"convert\": \"\"}", "/convert", "convert: unknown conversion ''"},
    {"{\"convert\": \"number\\u0000x\"}", "/convert",
     "convert: unknown conversion 'number'"},
    {"{\"convert\": \"it's\"}", "/convert",
     "convert: unknown conversion 'it\\'s'"},
    {"{\"convert\": 5}", "/convert",
     "convert: found 5, expected number, percent, bool"},
    {"{\"convert\": null}", "/convert", "convert: found null"},
    {"{\"convert\": true}", "/convert", "convert: found true"},
    {"{\"convert\": [\"map\"]}", "/convert", "convert: found [\"map\"]"},
    {"{\"convert\": {}}", "/convert",
     "convert: found {}, expected {\"map\": {\"text\": number, ...}}"},
    {"{\"convert\": {\"default\": 0}}", "/convert",
     "convert: found {\"default\":0}, expected {\"map\""},
    {"{\"convert\": {\"map\": []}}", "/convert/map",
     "convert map: found [], expected an object"},
    {"{\"convert\": {\"map\": {}}}", "/convert/map",
     "convert map: found {}, expected an object of \"text\": number, at "
     "least one"},
    {"{\"convert\": {\"map\": \"active\"}}", "/convert/map",
     "convert map: found \"active\""},
    {"{\"convert\": {\"map\": {\"active\": \"1\"}}}", "/convert/map/active",
     "convert map \"active\": found \"1\", expected a number"},
    {"{\"convert\": {\"map\": {\"a\": 1, \"b\": null}}}", "/convert/map/b",
     "convert map \"b\": found null, expected a number"},
    {"{\"convert\": {\"map\": {\"a/b~c\": true}}}", "/convert/map/a~1b~0c",
     "convert map \"a/b~c\": found true"},
    {"{\"convert\": {\"map\": {\" active\": 1}}}", "/convert/map/ active",
     "convert map \" active\": a key with surrounding spaces"},
    {"{\"convert\": {\"map\": {\"active\\n\": 1}}}", "/convert/map/active\n",
     "convert map \"active\\x0a\": a key with surrounding spaces"},
    {"{\"convert\": {\"map\": {\"a\": 1}, \"default\": \"x\"}}",
     "/convert/default", "convert default: found \"x\", expected a number"},
    {"{\"convert\": {\"map\": {\"a\": 1}, \"default\": null}}",
     "/convert/default", "convert default: found null"},
    {"{\"convert\": {\"map\": {\"a\": 1}, \"defualt\": 0}}", "/convert/defualt",
     "convert: unknown key 'defualt'; expected map or default"},
    {"{\"convert\": {\"map\": {\"a\": 1}, \"x/y\": 0}}", "/convert/x~1y",
     "convert: unknown key 'x/y'"},
    {"{\"convert\": {\"map\": {\"a\": 1}, \"default\": "
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
     "/convert/default",
     "convert default: found \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..., "
     "expected a number"},
    {"{\"convert\": \"percent\", \"decimal\": \";\"}", "/decimal",
     "decimal: found \";\""},
};

static void
test_conv_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_bad_specs / sizeof s_bad_specs[0]; i++) {
        const s_bad_spec_t *c = &s_bad_specs[i];
        json_t *rule = s_json (c->rule);
        ws_err_t err;
        ws_err_clear (&err);
        ws_value_conv_t *conv = ws_value_conv_new (rule, &err);
        if (conv)
            fail_msg ("accepted %s", c->rule);
        assert_int_equal (err.code, WS_ERR_INPUT);
        if (strcmp (err.where, c->where) != 0)
            fail_msg ("%s: where \"%s\", expected \"%s\" (%s)", c->rule,
                      err.where, c->where, err.text);
        if (!strstr (err.text, c->text))
            fail_msg ("%s: error \"%s\", expected it to hold \"%s\"", c->rule,
                      err.text, c->text);
        //  A NULL err is allowed too.
        assert_null (ws_value_conv_new (rule, NULL));
        json_decref (rule);
    }

    //  A key with a NUL, which only the jansson API can make: a text
    //  never holds one, so the key could never match.
    json_t *map = json_object ();
    json_object_setn_new (map, "a\0b", 3, json_integer (1));
    json_t *rule = json_pack ("{s:{s:o}}", "convert", "map", map);
    ws_err_t err;
    assert_null (ws_value_conv_new (rule, &err));
    assert_string_equal (err.where, "/convert/map/a");
    assert_non_null (
        strstr (err.text, "a key with surrounding spaces or a NUL"));
    json_decref (rule);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_number_read),
        cmocka_unit_test (test_number_refused),
        cmocka_unit_test (test_number_errors),
        cmocka_unit_test (test_convert_number),
        cmocka_unit_test (test_convert_percent),
        cmocka_unit_test (test_convert_bool),
        cmocka_unit_test (test_convert_epoch),
        cmocka_unit_test (test_convert_age_days),
        cmocka_unit_test (test_convert_map),
        cmocka_unit_test (test_conv_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
