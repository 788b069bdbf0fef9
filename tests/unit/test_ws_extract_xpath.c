//  test_ws_extract_xpath - the XPath extractor on the fixtures of
//  tests/data/extract: a price from a broken page, entities, a nested
//  table cell by position, RSS and Atom (namespaces), labels_from on
//  table rows, numbers, booleans, strings; errors at new() (syntax,
//  unknown function, prefix, variable, keys) and at run() (empty, not
//  XML, NaN, too many nodes, the operation limit); hostile documents
//  (binary garbage, 100,000-deep nesting, XXE, entity expansion); and
//  that libxml2 never prints and its handlers are put back.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws_test_common.h"
#include <libxml/xmlerror.h>

#include "ws_extract_xpath.h"

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

static double
s_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

static ws_extract_xpath_t *
s_new (const char *rule_text)
{
    json_error_t jerr;
    json_t *rule = json_loads (rule_text, 0, &jerr);
    if (!rule)
        fail_msg ("bad test rule %s: %s", rule_text, jerr.text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_xpath_t *self = ws_extract_xpath_new (rule, &err);
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
    ws_extract_xpath_t *self = ws_extract_xpath_new (rule, &err);
    json_decref (rule);
    if (self)
        fail_msg ("%s: accepted, expected '%s'", rule_text, text);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text, text);
    assert_string_equal (err.where, where);
}

//  Run rule on a fixture (or on body when fixture is NULL) into matches;
//  fails the test on an error.
static void
s_run (const char *rule_text, const char *fixture, const char *body,
       ws_matches_t *matches)
{
    size_t len = body ? strlen (body) : 0;
    char *data = fixture ? s_fixture (fixture, &len) : NULL;
    ws_extract_xpath_t *self = s_new (rule_text);
    ws_matches_init (matches);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_extract_xpath_run (self, data ? data : body, len, matches, &err))
        fail_msg ("%s: %s", rule_text, err.text);
    ws_extract_xpath_destroy (&self);
    free (data);
}

//  The texts of rule's matches on a fixture, joined by '|'.
static void
s_expect (const char *rule_text, const char *fixture, const char *expected)
{
    ws_matches_t matches;
    s_run (rule_text, fixture, NULL, &matches);
    char texts[2048] = "";
    for (size_t i = 0; i < matches.count; i++) {
        if (i)
            strncat (texts, "|", sizeof texts - strlen (texts) - 1);
        strncat (texts, matches.items[i].text,
                 sizeof texts - strlen (texts) - 1);
    }
    ws_matches_free (&matches);
    if (strcmp (texts, expected) != 0)
        fail_msg ("%s on %s: got '%s', expected '%s'", rule_text, fixture,
                  texts, expected);
}

//  The one number rule gives on a fixture.
static double
s_number (const char *rule_text, const char *fixture)
{
    ws_matches_t matches;
    s_run (rule_text, fixture, NULL, &matches);
    assert_int_equal (matches.count, 1);
    assert_true (matches.items[0].has_value);
    double value = matches.items[0].value;
    ws_matches_free (&matches);
    return value;
}

//  rule must fail at run() on body (len bytes) with a text that starts
//  with prefix, leaving matches as they were; returns the seconds taken.
static double
s_run_fails (const char *rule_text, const char *body, size_t len,
             const char *prefix)
{
    ws_extract_xpath_t *self = s_new (rule_text);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_matches_add (&matches, "earlier", 7, false, 0, NULL);
    ws_err_t err;
    ws_err_clear (&err);
    double start = s_seconds ();
    int rc = ws_extract_xpath_run (self, body, len, &matches, &err);
    double elapsed = s_seconds () - start;
    if (rc == 0)
        fail_msg ("%s: no error, %zu matches; expected '%s...'", rule_text,
                  matches.count - 1, prefix);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    if (strncmp (err.text, prefix, strlen (prefix)) != 0)
        fail_msg ("%s: '%s', expected '%s...'", rule_text, err.text, prefix);
    assert_int_equal (matches.count, 1);
    assert_string_equal (matches.items[0].text, "earlier");
    ws_matches_free (&matches);
    ws_extract_xpath_destroy (&self);
    return elapsed;
}

static void
test_price_from_broken_html (void **state)
{
    (void) state;
    s_expect ("{\"xpath\": \"//span[@class='price']\"}", "broken.html",
              "1,299.50");
    s_expect ("{\"xpath\": \"//span[@id='stock']\", \"document\": \"html\"}",
              "broken.html", "17");
    //  The stray </td> and </span> are dropped, the unclosed <p>, <li>
    //  and <h1> closed where HTML closes them.
    s_expect ("{\"xpath\": \"//table[@class='specs']/tr[2]/td[2]\"}",
              "broken.html", "Graphite");
    s_expect ("{\"xpath\": \"//div[@id='nav']//a/@href\"}", "broken.html",
              "/|/shop");
    s_expect ("{\"xpath\": \"//p[@class='offer']/span\"}", "broken.html",
              "1,299.50");
    s_expect ("{\"xpath\": \"//div[@class='footer']\"}", "broken.html",
              "© 2027 Widget Co");
    //  The rule's expression, for error texts.
    ws_extract_xpath_t *self = s_new ("{\"xpath\": \"//span\"}");
    assert_string_equal (ws_extract_xpath_expr (self), "//span");
    ws_extract_xpath_destroy (&self);
    assert_null (self);
    ws_extract_xpath_destroy (&self);
    ws_extract_xpath_destroy (NULL);
}

static void
test_entities (void **state)
{
    (void) state;
    s_expect ("{\"xpath\": \"//title\"}", "entities.html",
              "Fish & Chips — Prices");
    s_expect ("{\"xpath\": \"//p[@id='euro']\"}", "entities.html", "€12");
    s_expect ("{\"xpath\": \"//p[@id='numeric']\"}", "entities.html",
              "€7 and €8");
    //  &nbsp; is U+00A0: kept inside a text, trimmed at its ends.
    s_expect ("{\"xpath\": \"//p[@id='sep']\"}", "entities.html",
              "1\xc2\xa0"
              "000");
    s_expect ("{\"xpath\": \"//table[@id='inner']/tr[1]/td[2]\"}",
              "entities.html", "9.50");
}

static void
test_nested_table_by_position (void **state)
{
    (void) state;
    s_expect ("{\"xpath\": \"//table[@id='outer']/tr[2]/td[2]/table/tr[3]/"
              "td[2]\"}",
              "entities.html", "12.75");
    s_expect ("{\"xpath\": \"(//table)[2]/tr[3]/td[1]\"}", "entities.html",
              "plaice");
    s_expect ("{\"xpath\": \"//table[@id='outer']/tr[3]/td[2]//td[2]\"}",
              "entities.html", "10.00");
    assert_true (s_number ("{\"xpath\": \"count(//table[@id='inner']//td)\"}",
                           "entities.html")
                 == 6);
}

static void
test_rss (void **state)
{
    (void) state;
    //  Items 1, 3 (in CDATA) and 5; "#Launch" in item 6 is another word.
    const char *rule = "{\"xpath\": \"count(//item[contains(title,"
                       "'#launch')])\", \"document\": \"xml\"}";
    assert_true (s_number (rule, "rss2.xml") == 3);
    ws_matches_t matches;
    s_run (rule, "rss2.xml", NULL, &matches);
    assert_string_equal (matches.items[0].text, "3");
    assert_null (matches.items[0].labels);
    ws_matches_free (&matches);
    s_expect ("{\"xpath\": \"//item[contains(title,'#launch')]/link\", "
              "\"document\": \"xml\"}",
              "rss2.xml",
              "https://widget.example/news/1|https://widget.example/news/3|"
              "https://widget.example/news/5");
    s_expect ("{\"xpath\": \"//item[3]/title\", \"document\": \"xml\"}",
              "rss2.xml", "Mobile app <beta> #launch");
    s_expect ("{\"xpath\": \"//item[2]/title/text()\", \"document\": \"xml\"}",
              "rss2.xml", "Weekly notes: 3 & counting");
    assert_true (s_number ("{\"xpath\": \"count(//item)\", \"document\": "
                           "\"xml\"}",
                           "rss2.xml")
                 == 6);
    //  A boolean is a number 1 or 0; a string is a text.
    assert_true (s_number ("{\"xpath\": \"boolean(//item)\", \"document\": "
                           "\"xml\"}",
                           "rss2.xml")
                 == 1);
    assert_true (s_number ("{\"xpath\": \"//item/title = 'nothing'\", "
                           "\"document\": \"xml\"}",
                           "rss2.xml")
                 == 0);
    s_expect ("{\"xpath\": \"concat(' ', string(/rss/channel/title), ' ')\", "
              "\"document\": \"xml\"}",
              "rss2.xml", "Widget Co news");
    s_run ("{\"xpath\": \"string(/rss/channel/title)\", \"document\": \"xml\"}",
           "rss2.xml", NULL, &matches);
    assert_int_equal (matches.count, 1);
    assert_false (matches.items[0].has_value);
    ws_matches_free (&matches);
}

static void
test_atom_namespaces (void **state)
{
    (void) state;
    const char *ns = "\"document\": \"xml\", \"namespaces\": "
                     "{\"a\": \"http://www.w3.org/2005/Atom\", "
                     "\"m\": \"urn:example:metrics\"}";
    char rule[512];
    snprintf (rule, sizeof rule, "{\"xpath\": \"count(//a:entry)\", %s}", ns);
    assert_true (s_number (rule, "atom.xml") == 4);
    snprintf (rule, sizeof rule,
              "{\"xpath\": \"sum(//a:entry/m:downloads)\", %s}", ns);
    assert_true (s_number (rule, "atom.xml") == 2250.5);
    snprintf (rule, sizeof rule,
              "{\"xpath\": \"//a:entry[a:title='Release 1.1']/m:downloads\", "
              "%s}",
              ns);
    s_expect (rule, "atom.xml", "800");
    snprintf (rule, sizeof rule,
              "{\"xpath\": \"//a:entry/a:title\", %s, \"labels_from\": "
              "{\"id\": \"string(../a:id)\"}}",
              ns);
    ws_matches_t matches;
    s_run (rule, "atom.xml", NULL, &matches);
    assert_int_equal (matches.count, 4);
    assert_string_equal (matches.items[2].text, "Release 1.2 &lt;beta&gt;");
    assert_string_equal (
        json_string_value (json_object_get (matches.items[3].labels, "id")),
        "urn:example:release:2.0");
    ws_matches_free (&matches);
    //  Without the prefix an element of the default namespace is not
    //  found: zero matches, not an error.
    s_run ("{\"xpath\": \"//entry\", \"document\": \"xml\"}", "atom.xml", NULL,
           &matches);
    assert_int_equal (matches.count, 0);
    ws_matches_free (&matches);
    s_expect ("{\"xpath\": \"//*[local-name()='entry'][1]/*[local-name()="
              "'title']\", \"document\": \"xml\"}",
              "atom.xml", "Release 1.0");
}

static void
test_labels_from_rows (void **state)
{
    (void) state;
    ws_matches_t matches;
    s_run ("{\"xpath\": \"//table[@id='regions']/tr[td]/td[2]\", "
           "\"labels_from\": {\"name\": \"string(../td[1])\", "
           "\"row\": \"../@id\", \"position\": \"position()\"}}",
           "entities.html", NULL, &matches);
    assert_int_equal (matches.count, 3);
    const char *texts[] = {"120", "45", "1\302\240203"};
    const char *names[] = {"North", "East & Islands", "South"};
    const char *rows[] = {"r-north", "r-east", "r-south"};
    const char *positions[] = {"1", "2", "3"};
    for (size_t i = 0; i < 3; i++) {
        ws_match_t *match = &matches.items[i];
        assert_string_equal (match->text, texts[i]);
        assert_false (match->has_value);
        assert_int_equal (json_object_size (match->labels), 3);
        assert_string_equal (
            json_string_value (json_object_get (match->labels, "name")),
            names[i]);
        assert_string_equal (
            json_string_value (json_object_get (match->labels, "row")),
            rows[i]);
        assert_string_equal (
            json_string_value (json_object_get (match->labels, "position")),
            positions[i]);
    }
    ws_matches_free (&matches);
    //  With a number, the labels are read from the document.
    s_run ("{\"xpath\": \"count(//item)\", \"document\": \"xml\", "
           "\"labels_from\": {\"feed\": \"/rss/channel/title\"}}",
           "rss2.xml", NULL, &matches);
    assert_int_equal (matches.count, 1);
    assert_string_equal (
        json_string_value (json_object_get (matches.items[0].labels, "feed")),
        "Widget Co news");
    ws_matches_free (&matches);
}

static void
test_errors_at_new (void **state)
{
    (void) state;
    s_refused ("{\"xpath\": \"//span[@\"}",
               "xpath: syntax error in '//span[@' at offset 8: invalid "
               "expression",
               "/xpath");
    s_refused ("{\"xpath\": \"//span[\"}",
               "xpath: syntax error in '//span[' at offset 7: invalid "
               "expression",
               "/xpath");
    s_refused ("{\"xpath\": \"foo(//a)\"}",
               "xpath: unknown function 'foo()' in 'foo(//a)'", "/xpath");
    s_refused ("{\"xpath\": \"//a[starts-with(@href, 'x') and "
               "ends-with(@href, 'y')]\"}",
               "xpath: unknown function 'ends-with()' in '//a[starts-with("
               "@href, 'x') and ends-with(@href, 'y')]'",
               "/xpath");
    s_refused ("{\"xpath\": \"//a:entry\"}",
               "xpath: undefined namespace prefix 'a' in '//a:entry' (give "
               "it in \"namespaces\")",
               "/xpath");
    s_refused ("{\"xpath\": \"//a:entry[b:f()]\", \"namespaces\": "
               "{\"a\": \"urn:a\", \"b\": \"urn:b\"}}",
               "xpath: unknown function 'b:f()' in '//a:entry[b:f()]'",
               "/xpath");
    s_refused ("{\"xpath\": \"//item[@id = $id]\"}",
               "xpath: variable '$id' in '//item[@id = $id]': no variables "
               "are defined",
               "/xpath");
    s_refused ("{}", "xpath: missing", "/xpath");
    s_refused ("{\"xpath\": \"\"}",
               "xpath: found \"\", expected an XPath expression", "/xpath");
    s_refused ("{\"xpath\": [\"//a\"]}",
               "xpath: found an array of 1, expected an XPath expression",
               "/xpath");
    s_refused ("\"//a\"", "rule: found \"//a\", expected an object", "");
    s_refused ("{\"xpath\": \"//a\", \"document\": \"pdf\"}",
               "document: found \"pdf\", expected \"html\" or \"xml\"",
               "/document");
    s_refused ("{\"xpath\": \"//a\", \"document\": 1}",
               "document: found 1, expected \"html\" or \"xml\"", "/document");
    s_refused ("{\"xpath\": \"//a\", \"namespaces\": [\"a\"]}",
               "namespaces: found an array of 1, expected an object of "
               "prefixes to namespace URIs",
               "/namespaces");
    s_refused ("{\"xpath\": \"//a\", \"namespaces\": {\"a:b\": \"urn:x\"}}",
               "namespaces: 'a:b' is not a prefix (a name without ':')",
               "/namespaces/a:b");
    s_refused ("{\"xpath\": \"//a\", \"namespaces\": {\"a\": 3}}",
               "namespaces 'a': found 3, expected a namespace URI",
               "/namespaces/a");
    s_refused ("{\"xpath\": \"//a\", \"labels_from\": {\"name\": "
               "\"string(@\"}}",
               "labels_from 'name': syntax error in 'string(@' at offset 8: "
               "invalid expression",
               "/labels_from/name");
    s_refused ("{\"xpath\": \"//a\", \"labels_from\": {\"n\": \"upper(.)\"}}",
               "labels_from 'n': unknown function 'upper()' in 'upper(.)'",
               "/labels_from/n");
    s_refused ("{\"xpath\": \"//a\", \"labels_from\": {\"n\": 1}}",
               "labels_from 'n': found 1, expected an XPath expression",
               "/labels_from/n");
    s_refused ("{\"xpath\": \"//a\", \"labels_from\": [1]}",
               "labels_from: found an array of 1, expected an object of "
               "label names to expressions",
               "/labels_from");

    //  What the name check must not refuse: operators that look like
    //  names, node type tests, axes, "*" both ways, xml:, literals.
    const char *good[] = {
        "//div[@class='a' and contains(., 'foo(')]",
        "count(//x) div 2 mod 3",
        "//div/div | //mod/and",
        "div",
        "//node() | //text() | //comment() | //processing-instruction('x')",
        "ancestor-or-self :: div / child::*",
        "2 * 3 * count(* | */*)",
        "//@xml:lang",
        "//x[position() mod 2 = 0 or last() > 1]",
        "-1.5 + .5 - 3",
        "sum(//td[number(translate(., ',', '')) > 0])",
        "//a-b/c.d[e-f != \"g(h)\"]",
        "id('x')/following-sibling::*[1]",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *rule = json_pack ("{s:s}", "xpath", good[i]);
        ws_err_t err;
        ws_err_clear (&err);
        ws_extract_xpath_t *self = ws_extract_xpath_new (rule, &err);
        if (!self)
            fail_msg ("'%s' refused: %s", good[i], err.text);
        ws_extract_xpath_destroy (&self);
        json_decref (rule);
    }
    //  A refusal with err NULL does not crash.
    json_t *rule = json_pack ("{s:s}", "xpath", "//[");
    assert_null (ws_extract_xpath_new (rule, NULL));
    json_decref (rule);
}

static void
test_errors_at_run (void **state)
{
    (void) state;
    const char *html = "{\"xpath\": \"//p\"}";
    const char *xml = "{\"xpath\": \"//p\", \"document\": \"xml\"}";
    s_run_fails (html, "", 0, "empty document");
    s_run_fails (html, NULL, 0, "empty document");
    s_run_fails (html, " \n\t ", 4, "empty document");
    s_run_fails (xml, "", 0, "empty document");
    s_run_fails (xml, " \n\t ", 4, "empty document");
    size_t len;
    char *broken = s_fixture ("broken.xml", &len);
    s_run_fails (xml, broken, len,
                 "document is not XML: line 5: Opening and ending tag "
                 "mismatch: title line 5 and item");
    free (broken);
    //  An HTML page read as XML.
    char *page = s_fixture ("broken.html", &len);
    s_run_fails (xml, page, len, "document is not XML: line ");
    s_run_fails ("{\"xpath\": \"sum(//td)\"}", page, len,
                 "xpath 'sum(//td)' gave NaN");
    s_run_fails ("{\"xpath\": \"1 div 0\"}", page, len,
                 "xpath '1 div 0' gave infinity");
    free (page);
}

static void
test_limits (void **state)
{
    (void) state;
    //  100001 nodes: more than WS_EXTRACT_XPATH_MATCHES_MAX.
    size_t count = WS_EXTRACT_XPATH_MATCHES_MAX + 1;
    char *body = malloc (count * 4 + 16);
    assert_non_null (body);
    strcpy (body, "<r>");
    for (size_t i = 0; i < count; i++)
        strcat (body + 3 + i * 4, "<p/>");
    strcat (body, "</r>");
    s_run_fails ("{\"xpath\": \"//p\", \"document\": \"xml\"}", body,
                 strlen (body),
                 "xpath '//p': more than 100000 nodes (100001); make the "
                 "expression narrower");
    //  A quadratic expression on 20,000 nodes: the operation limit.
    body[3 + 20000 * 4] = '\0';
    strcat (body, "</r>");
    double elapsed =
        s_run_fails ("{\"xpath\": \"count(//p[count(//p) > 0])\", "
                     "\"document\": \"xml\"}",
                     body, strlen (body),
                     "xpath 'count(//p[count(//p) > 0])': operation limit "
                     "exceeded");
    if (elapsed > 10)
        fail_msg ("the operation limit took %.1f s", elapsed);
    free (body);
}

static void
test_deep_nesting (void **state)
{
    (void) state;
    size_t depth = 100000;
    char *body = malloc (depth * 5 + 1);
    assert_non_null (body);
    for (size_t i = 0; i < depth; i++)
        memcpy (body + i * 3, "<a>", 3);
    size_t len = depth * 3;
    double elapsed = s_run_fails (
        "{\"xpath\": \"count(//a)\", \"document\": \"xml\"}", body, len,
        "document is not XML: line 1: Excessive depth in "
        "document: 256");
    assert_true (elapsed < 1);
    //  HTML closes an <a> at the next <a>: not deep, no error, fast.
    ws_extract_xpath_t *self = s_new ("{\"xpath\": \"count(//a)\"}");
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    double start = s_seconds ();
    assert_int_equal (ws_extract_xpath_run (self, body, len, &matches, &err),
                      0);
    assert_true (s_seconds () - start < 1);
    assert_int_equal (matches.count, 1);
    assert_true (matches.items[0].value == 100000);
    ws_matches_free (&matches);
    ws_extract_xpath_destroy (&self);
    //  <div> nests: the HTML parser stops at 256 levels, and a tree cut
    //  short is an error, not a wrong count.
    for (size_t i = 0; i < depth; i++)
        memcpy (body + i * 5, "<div>", 5);
    elapsed = s_run_fails ("{\"xpath\": \"count(//div)\"}", body, depth * 5,
                           "document is not HTML: line 1: Excessive depth "
                           "in document: 256");
    assert_true (elapsed < 1);
    free (body);
}

static void
test_binary_garbage (void **state)
{
    (void) state;
    const char *rules[] = {
        "{\"xpath\": \"//*\"}",
        "{\"xpath\": \"//text()\", \"labels_from\": {\"p\": \"name(..)\"}}",
        "{\"xpath\": \"count(//*)\", \"document\": \"xml\"}",
        "{\"xpath\": \"//*\", \"document\": \"xml\"}",
    };
    size_t len = 64 * 1024;
    unsigned char *body = malloc (len);
    assert_non_null (body);
    uint32_t seed = 12345;
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            body[i] = (unsigned char) (seed >> 16);
            //  Some rounds lean to markup, so the parsers get further.
            if (round % 2 && (seed >> 8) % 5 == 0)
                body[i] = (unsigned char) "<>/a= \"\0&;"[(seed >> 4) % 10];
        }
        for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
            ws_extract_xpath_t *self = s_new (rules[r]);
            ws_matches_t matches;
            ws_matches_init (&matches);
            ws_err_t err;
            ws_err_clear (&err);
            int rc = ws_extract_xpath_run (self, (const char *) body, len,
                                           &matches, &err);
            if (rc) {
                assert_int_equal (err.code, WS_ERR_EXTRACT);
                assert_true (err.text[0] != '\0');
                assert_int_equal (matches.count, 0);
            }
            for (size_t i = 0; i < matches.count; i++) {
                assert_true (strlen (matches.items[i].text)
                             <= WS_MATCH_TEXT_MAX);
                //  Every text is valid UTF-8: jansson takes it. (Round 5
                //  has an "&" before a stray byte that libxml2's HTML
                //  parser passes on as it is: repaired to U+FFFD.)
                json_t *text = json_string (matches.items[i].text);
                if (!text) {
                    for (const char *p = matches.items[i].text; *p; p++)
                        fprintf (stderr, "%02x ", (unsigned char) *p);
                    fail_msg ("round %d rule %zu match %zu not UTF-8", round, r,
                              i);
                }
                json_decref (text);
            }
            ws_matches_free (&matches);
            ws_extract_xpath_destroy (&self);
        }
    }
    free (body);
}

static void
test_hostile_xml (void **state)
{
    (void) state;
    //  XXE: the external entity is not read.
    const char *xxe = "<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE r [<!ENTITY x SYSTEM "
                      "\"file:///etc/passwd\">]>\n"
                      "<r>a&x;b</r>";
    ws_matches_t matches;
    s_run ("{\"xpath\": \"/r\", \"document\": \"xml\"}", NULL, xxe, &matches);
    assert_int_equal (matches.count, 1);
    assert_string_equal (matches.items[0].text, "ab");
    ws_matches_free (&matches);
    //  Nor over the network (XML_PARSE_NONET): no DTD is fetched.
    const char *net = "<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE r SYSTEM \"http://127.0.0.1:9/r.dtd\">\n"
                      "<r>ok</r>";
    s_run ("{\"xpath\": \"/r\", \"document\": \"xml\"}", NULL, net, &matches);
    assert_string_equal (matches.items[0].text, "ok");
    ws_matches_free (&matches);
    //  Internal entities stay: &lt; and a declared one.
    const char *internal = "<!DOCTYPE r [<!ENTITY co \"Widget Co\">]>"
                           "<r>&co; &lt;3</r>";
    s_run ("{\"xpath\": \"/r\", \"document\": \"xml\"}", NULL, internal,
           &matches);
    assert_string_equal (matches.items[0].text, "Widget Co <3");
    ws_matches_free (&matches);
    //  A billion laughs is refused while parsing.
    char laughs[2048];
    strcpy (laughs, "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"lol\">");
    for (int i = 1; i < 10; i++) {
        char line[160];
        snprintf (line, sizeof line,
                  "<!ENTITY l%d \"&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;&l%d;"
                  "&l%d;&l%d;\">",
                  i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                  i - 1, i - 1);
        strcat (laughs, line);
    }
    strcat (laughs, "]><l>&l9;</l>");
    double elapsed =
        s_run_fails ("{\"xpath\": \"string(/l)\", \"document\": \"xml\"}",
                     laughs, strlen (laughs), "document is not XML: line 1: ");
    assert_true (elapsed < 1);
}

//  libxml2 prints nothing (to stderr) and puts back the handlers it
//  found.
static int s_foreign_calls;

static void
s_foreign_handler (void *context, xmlErrorPtr error)
{
    (void) context;
    (void) error;
    s_foreign_calls++;
}

static void
test_quiet (void **state)
{
    (void) state;
    fflush (stderr);
    int saved = dup (2);
    FILE *capture = tmpfile ();
    assert_non_null (capture);
    dup2 (fileno (capture), 2);
    xmlSetStructuredErrorFunc (&s_foreign_calls, s_foreign_handler);

    s_refused ("{\"xpath\": \"//span[@\"}",
               "xpath: syntax error in '//span[@' at offset 8: invalid "
               "expression",
               "/xpath");
    size_t len;
    char *broken = s_fixture ("broken.xml", &len);
    s_run_fails ("{\"xpath\": \"//p\", \"document\": \"xml\"}", broken, len,
                 "document is not XML");
    free (broken);
    char *page = s_fixture ("broken.html", &len);
    ws_matches_t matches;
    s_run ("{\"xpath\": \"//span[@id='stock']\"}", NULL, page, &matches);
    ws_matches_free (&matches);
    free (page);

    assert_int_equal (s_foreign_calls, 0);
    assert_ptr_equal (xmlStructuredError, s_foreign_handler);
    assert_ptr_equal (xmlStructuredErrorContext, &s_foreign_calls);
    xmlSetStructuredErrorFunc (NULL, NULL);
    fflush (stderr);
    dup2 (saved, 2);
    close (saved);
    fseek (capture, 0, SEEK_END);
    long printed = ftell (capture);
    fclose (capture);
    assert_int_equal (printed, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_price_from_broken_html),
        cmocka_unit_test (test_entities),
        cmocka_unit_test (test_nested_table_by_position),
        cmocka_unit_test (test_rss),
        cmocka_unit_test (test_atom_namespaces),
        cmocka_unit_test (test_labels_from_rows),
        cmocka_unit_test (test_errors_at_new),
        cmocka_unit_test (test_errors_at_run),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_deep_nesting),
        cmocka_unit_test (test_binary_garbage),
        cmocka_unit_test (test_hostile_xml),
        cmocka_unit_test (test_quiet),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
