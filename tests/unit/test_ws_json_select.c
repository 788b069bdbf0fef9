//  test_ws_json_select - JSON selections: RFC 6901 pointers (escapes,
//  indexes, "" for the document, errors naming what is there), "*",
//  filters ([a=b], several, !=, numbers against strings, true/false/null,
//  escapes in brackets, filters on objects and after "*"), what each
//  kind of value yields, count_only, labels_from (strings, numbers,
//  missing, relative to the first wildcard), every syntax error with its
//  offset, the match cap, and a failed run leaving the matches alone.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_json_select.h"

#define S_WHERE "/metrics/0/json"

static const char *s_doc_text =
    "{\"items\": ["
    "  {\"name\": \"EU\", \"region\": \"EU\", \"channel\": \"email\","
    "   \"year\": 2026, \"sales\": 10, \"code\": \"a/b\", \"id\": 7},"
    "  {\"name\": \"US\", \"region\": \"US\", \"channel\": \"email\","
    "   \"year\": 2025, \"sales\": 20.5},"
    "  {\"name\": \"EU\", \"region\": \"EU\", \"channel\": \"ads\","
    "   \"year\": 2026.0, \"sales\": \"1.234,50 \\u20ac\"},"
    "  {\"name\": \"APAC\", \"sales\": 5},"
    "  7,"
    "  {\"name\": \"X=Y]!\", \"sales\": 1, \"flag\": true, \"none\": null,"
    "   \"off\": false, \"obj\": {}}"
    " ],"
    " \"by\": {\"eu\": {\"region\": \"EU\", \"n\": 1},"
    "        \"us\": {\"region\": \"US\", \"n\": 2}, \"x\": 3},"
    " \"a/b\": {\"~c\": [10, 20]},"
    " \"\": {\"\": 5},"
    " \"n\": null, \"t\": true, \"f\": false, \"s\": \"str\", \"e\": [],"
    " \"real\": 0.1, \"neg0\": -0.0, \"third\": 0.3333333333333333,"
    " \"big\": 9007199254740993, \"huge\": 1e308,"
    " \"nums\": [{\"k\": 9007199254740993, \"v\": 1},"
    "            {\"k\": 9007199254740992, \"v\": 2}],"
    " \"regions\": ["
    "  {\"name\": \"EU\", \"channels\": [{\"c\": \"email\", \"v\": 1},"
    "                                  {\"c\": \"ads\", \"v\": 2}]},"
    "  {\"name\": \"US\", \"channels\": [{\"c\": \"email\", \"v\": 3}]}],"
    " \"tags\": [\"a\", \"b\"], \"mixed\": [1, 2, null],"
    " \"key[0]\": 4, \"k]\": 5, \"*\": 6}";

static json_t *s_doc;

static int
s_setup (void **state)
{
    (void) state;
    json_error_t jerr;
    s_doc = json_loads (s_doc_text, 0, &jerr);
    if (!s_doc)
        fprintf (stderr, "test document: %s\n", jerr.text);
    return s_doc ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    json_decref (s_doc);
    return 0;
}

//  labels_text (JSON or NULL) parsed; fails the test if it is not JSON.
static json_t *
s_json (const char *text)
{
    if (!text)
        return NULL;
    json_error_t jerr;
    json_t *value = json_loads (text, JSON_DECODE_ANY, &jerr);
    if (!value)
        fail_msg ("bad test JSON %s: %s", text, jerr.text);
    return value;
}

//  A selection; fails the test if refused.
static ws_json_select_t *
s_new (const char *selection, const char *labels_text, bool count_only)
{
    json_t *labels = s_json (labels_text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_json_select_t *self =
        ws_json_select_new (selection, labels, count_only, S_WHERE, &err);
    json_decref (labels);
    if (!self)
        fail_msg ("\"%s\" refused: %s", selection, err.text);
    return self;
}

//  The matches from index from on, joined by '|': text, then ":VALUE"
//  when has_value, then the labels as compact JSON with sorted keys.
static void
s_render (const ws_matches_t *matches, size_t from, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = from; i < matches->count; i++) {
        const ws_match_t *match = &matches->items[i];
        size_t at = strlen (out);
        snprintf (out + at, size - at, "%s%s", i > from ? "|" : "",
                  match->text);
        if (match->has_value) {
            at = strlen (out);
            snprintf (out + at, size - at, ":%.17g", match->value);
        }
        if (match->labels) {
            char *labels =
                json_dumps (match->labels, JSON_COMPACT | JSON_SORT_KEYS);
            assert_non_null (labels);
            at = strlen (out);
            snprintf (out + at, size - at, "%s", labels);
            free (labels);
        }
    }
}

//  selection (with labels_text, count_only) on doc must yield expected.
static void
s_expect_in (json_t *doc, const char *selection, const char *labels_text,
             bool count_only, const char *expected)
{
    ws_json_select_t *self = s_new (selection, labels_text, count_only);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_json_select_run (self, doc, &matches, &err))
        fail_msg ("\"%s\": %s", selection, err.text);
    char got[4096];
    s_render (&matches, 0, got, sizeof got);
    if (strcmp (got, expected) != 0)
        fail_msg ("\"%s\": got '%s', expected '%s'", selection, got, expected);
    ws_matches_free (&matches);
    ws_json_select_destroy (&self);
}

static void
s_expect (const char *selection, const char *expected)
{
    s_expect_in (s_doc, selection, NULL, false, expected);
}

//  The run must fail with exactly text at where, leaving a match that
//  was in the list before as the only one.
static void
s_run_error_in (json_t *doc, const char *selection, const char *labels_text,
                bool count_only, const char *text, const char *where)
{
    ws_json_select_t *self = s_new (selection, labels_text, count_only);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_matches_add (&matches, "earlier", 7, true, 42, NULL);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_json_select_run (self, doc, &matches, &err) == 0) {
        char got[4096];
        s_render (&matches, 1, got, sizeof got);
        fail_msg ("\"%s\": expected '%s', got matches '%s'", selection, text,
                  got);
    }
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    if (strcmp (err.text, text) != 0)
        fail_msg ("\"%s\": got '%s', expected '%s'", selection, err.text, text);
    assert_string_equal (err.where, where);
    assert_int_equal (matches.count, 1);
    assert_string_equal (matches.items[0].text, "earlier");
    ws_matches_free (&matches);
    ws_json_select_destroy (&self);
}

static void
s_run_error (const char *selection, const char *text, const char *where)
{
    s_run_error_in (s_doc, selection, NULL, false, text, where);
}

//  The selection (with labels_text) must be refused with exactly text,
//  at where.
static void
s_refused_at (const char *selection, const char *labels_text,
              const char *given_where, const char *text, const char *where)
{
    json_t *labels = s_json (labels_text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_json_select_t *self =
        ws_json_select_new (selection, labels, false, given_where, &err);
    json_decref (labels);
    if (self)
        fail_msg ("\"%s\": accepted, expected '%s'", selection, text);
    assert_int_equal (err.code, WS_ERR_INPUT);
    if (strcmp (err.text, text) != 0)
        fail_msg ("\"%s\": got '%s', expected '%s'", selection, err.text, text);
    assert_string_equal (err.where, where);
}

static void
s_refused (const char *selection, const char *text)
{
    s_refused_at (selection, NULL, S_WHERE, text, S_WHERE);
}

static void
test_pointer (void **state)
{
    (void) state;
    s_expect ("/items/0/sales", "10:10");
    s_expect ("/items/1/sales", "20.5:20.5");
    s_expect ("/items/2/sales", "1.234,50 \xe2\x82\xac");
    s_expect ("/s", "str");
    s_expect ("/t", "true:1");
    s_expect ("/f", "false:0");
    //  ~1 is '/', ~0 is '~'; "/" is the member "" and "//" its "".
    s_expect ("/a~1b/~0c/1", "20:20");
    s_expect ("//", "5:5");
    //  Numbers read as their shortest JSON text; -0 is 0; an integer is
    //  kept exactly in the text.
    s_expect ("/real", "0.1:0.10000000000000001");
    s_expect ("/third", "0.3333333333333333:0.33333333333333331");
    s_expect ("/neg0", "0:0");
    s_expect ("/big", "9007199254740993:9007199254740992");
    s_expect ("/huge", "1e+308:1e+308");
    s_expect ("/tags/0", "a");

    ws_json_select_t *self = s_new ("/items/0/sales", NULL, false);
    assert_false (ws_json_select_has_wildcard (self));
    assert_string_equal (ws_json_select_expr (self), "/items/0/sales");
    ws_json_select_destroy (&self);
    assert_null (self);
    ws_json_select_destroy (&self);
    ws_json_select_destroy (NULL);

    //  "" is the whole document.
    json_t *number = json_integer (12);
    s_expect_in (number, "", NULL, false, "12:12");
    json_decref (number);
    s_expect_in (s_doc, "", NULL, true, "an object");
    s_run_error (
        "", "(document): found an object, expected a number or a string", "");
}

static void
test_pointer_errors (void **state)
{
    (void) state;
    s_run_error ("/nope", "/nope: not found (no member \"nope\" in the object)",
                 "/nope");
    s_run_error ("/items/9", "/items/9: not found (the array has 6 elements)",
                 "/items/9");
    s_run_error ("/tags/2", "/tags/2: not found (the array has 2 elements)",
                 "/tags/2");
    s_run_error ("/items/x",
                 "/items/x: not found (\"x\" is not an array index)",
                 "/items/x");
    s_run_error ("/items/01",
                 "/items/01: not found (\"01\" is not an array index)",
                 "/items/01");
    s_run_error ("/items/-",
                 "/items/-: not found (\"-\" is not an array index)",
                 "/items/-");
    s_run_error ("/s/x",
                 "/s/x: found string \"str\", expected an object or array "
                 "holding \"x\"",
                 "/s/x");
    s_run_error ("/a~1b/~0c/x",
                 "/a~1b/~0c/x: not found (\"x\" is not an array index)",
                 "/a~1b/~0c/x");
    s_run_error ("/n", "/n: found null, expected a number or a string", "/n");
    s_run_error ("/by", "/by: found an object, expected a number or a string",
                 "/by");
    s_run_error (
        "/e", "/e: found an empty array, expected a number or a string", "/e");
    s_run_error ("/tags",
                 "/tags: found an array of 2, expected a number or a "
                 "string",
                 "/tags");
    //  Until the first wildcard the path must be there.
    s_run_error ("/nope/*/x",
                 "/nope: not found (no member \"nope\" in the object)",
                 "/nope");
    s_run_error ("/s/*",
                 "/s: found string \"str\", expected an array or object for "
                 "\"*\"",
                 "/s");
    s_run_error ("/s[a=b]",
                 "/s: found string \"str\", expected an array or object to "
                 "filter with [a=b]",
                 "/s");
    s_run_error ("/nope[a=b]",
                 "/nope: not found (no member \"nope\" in the object)",
                 "/nope");
}

static void
test_wildcard (void **state)
{
    (void) state;
    //  Element 4 (7) has no "sales": skipped below the wildcard.
    s_expect ("/items/*/sales",
              "10:10|20.5:20.5|1.234,50 \xe2\x82\xac|5:5|1:1");
    s_expect ("/by/*/n", "1:1|2:2");
    s_expect ("/regions/*/channels/*/v", "1:1|2:2|3:3");
    s_expect ("/tags/*", "a|b");
    //  Zero matches is no error: the caller's fold says so.
    s_expect ("/e/*", "");
    s_expect ("/items/*/nope", "");
    s_expect ("/items/*/sales/x", "");
    //  Below a wildcard a value that is none is still an error.
    s_run_error ("/mixed/*",
                 "/mixed/2: found null, expected a number or a "
                 "string",
                 "/mixed/2");

    ws_json_select_t *self = s_new ("/items/*/sales", NULL, false);
    assert_true (ws_json_select_has_wildcard (self));
    ws_json_select_destroy (&self);
    self = s_new ("/items[a=b]", NULL, false);
    assert_true (ws_json_select_has_wildcard (self));
    ws_json_select_destroy (&self);
}

static void
test_filter_strings (void **state)
{
    (void) state;
    s_expect ("/items[name=EU]/sales", "10:10|1.234,50 \xe2\x82\xac");
    s_expect ("/items[region=EU][channel=email]/sales", "10:10");
    s_expect ("/items[channel=email][region=EU]/sales", "10:10");
    s_expect ("/items[region=EU][channel=tv]/sales", "");
    //  != holds for a member that differs or is missing; 7 is no object.
    s_expect ("/items[name!=EU]/sales", "20.5:20.5|5:5|1:1");
    s_expect ("/items[region!=EU]/sales", "20.5:20.5|5:5|1:1");
    s_expect ("/items[region!=EU][name!=APAC]/sales", "20.5:20.5|1:1");
    //  The comparison is exact: case, and an empty value.
    s_expect ("/items[name=eu]/sales", "");
    s_expect ("/items[name=]/sales", "");
    //  A filter with nothing after it selects the elements themselves.
    s_expect_in (s_doc, "/items[name=APAC]", NULL, true, "an object");
    //  After "*" a filter narrows what "*" takes.
    s_expect ("/items/*[name=US]/sales", "20.5:20.5");
    s_expect ("/regions/*/channels[c=email]/v", "1:1|3:3");
    s_expect ("/regions[name=US]/channels[c=email]/v", "3:3");
}

static void
test_filter_numbers (void **state)
{
    (void) state;
    //  A number member compares as a number: 2026 and 2026.0 alike.
    s_expect ("/items[year=2026]/sales", "10:10|1.234,50 \xe2\x82\xac");
    s_expect ("/items[year=2026.0]/sales", "10:10|1.234,50 \xe2\x82\xac");
    s_expect ("/items[year=2.026e3]/sales", "10:10|1.234,50 \xe2\x82\xac");
    s_expect ("/items[year=2025]/sales", "20.5:20.5");
    s_expect ("/items[year!=2026]/sales", "20.5:20.5|5:5|1:1");
    s_expect ("/items[id=7]/sales", "10:10");
    //  Not JSON numbers: never equal to a number.
    s_expect ("/items[year=02026]/sales", "");
    s_expect ("/items[year=+2026]/sales", "");
    s_expect ("/items[year= 2026]/sales", "");
    s_expect ("/items[year=0x7ea]/sales", "");
    s_expect ("/items[year=1e999]/sales", "");
    //  A string member compares as text, even when it looks a number.
    s_expect ("/items[name=2026]/sales", "");
    //  Integers beyond 2^53 compare exactly.
    s_expect ("/nums[k=9007199254740993]/v", "1:1");
    s_expect ("/nums[k=9007199254740992]/v", "2:2");
    //  true, false and null compare with their JSON text.
    s_expect ("/items[flag=true]/sales", "1:1");
    s_expect ("/items[off=false]/sales", "1:1");
    s_expect ("/items[none=null]/sales", "1:1");
    s_expect ("/items[flag=1]/sales", "");
    //  An object member equals nothing.
    s_expect ("/items[obj=]/sales", "");
    s_expect ("/items[obj!=]/sales",
              "10:10|20.5:20.5|1.234,50 \xe2\x82\xac|5:5|1:1");
}

static void
test_escapes (void **state)
{
    (void) state;
    //  In brackets: ~3 '=', ~2 ']', ~4 '!', ~1 '/', ~0 '~', ~5 '['.
    s_expect ("/items[name=X~3Y~2~4]/sales", "1:1");
    s_expect ("/items[code=a~1b]/sales", "10:10");
    json_t *doc = s_json ("[{\"a=b\": \"~[x]\", \"v\": 1}, "
                          "{\"a!\": \"1/2\", \"v\": 2}, {\"~\": 3}]");
    s_expect_in (doc, "/*[a~3b=~0~5x~2]/v", NULL, false, "1:1");
    s_expect_in (doc, "/*[a~4=1~12]/v", NULL, false, "2:2");
    s_expect_in (doc, "/*[~0=3]/~0", NULL, false, "3:3");
    json_decref (doc);
    //  Outside brackets: ~5 '[' and ~2 ']'; '=' and '!' as they are.
    s_expect ("/key~50~2", "4:4");
    s_expect ("/k~2", "5:5");
    doc = s_json ("{\"a=b!\": 1, \"a~3b~4\": 2}");
    s_expect_in (doc, "/a=b!", NULL, false, "1:1");
    s_expect_in (doc, "/a~3b~4", NULL, false, "1:1");
    s_expect_in (doc, "/a~03b~04", NULL, false, "2:2");
    json_decref (doc);
}

static void
test_filter_objects (void **state)
{
    (void) state;
    //  On an object a filter takes the members whose value matches; "x"
    //  (3) is no object.
    s_expect ("/by[region=EU]/n", "1:1");
    s_expect ("/by[region!=EU]/n", "2:2");
    s_expect_in (s_doc, "/by[region=US]/n", "{\"r\": \"/region\"}", false,
                 "2:2{\"r\":\"US\"}");
    s_run_error ("/by[region=US]",
                 "/by/us: found an object, expected a number or a string",
                 "/by/us");
}

static void
test_root_filter (void **state)
{
    (void) state;
    //  A document that is an array is filtered with "/*[...]".
    json_t *doc = s_json ("[{\"name\": \"EU\", \"v\": 1}, "
                          "{\"name\": \"US\", \"v\": 2}, 3]");
    s_expect_in (doc, "/*[name=EU]/v", NULL, false, "1:1");
    s_expect_in (doc, "/*[name!=EU]/v", NULL, false, "2:2");
    s_expect_in (doc, "/*[name=US]/v", "{\"r\": \"/name\"}", false,
                 "2:2{\"r\":\"US\"}");
    s_expect_in (doc, "/2", NULL, false, "3:3");
    json_t *number = json_integer (3);
    s_run_error_in (number, "/*[name=EU]/v", NULL, false,
                    "(document): found number 3, expected an array or "
                    "object to filter with [name=EU]",
                    "");
    json_decref (number);
    json_decref (doc);
    s_refused ("[name=EU]/v",
               S_WHERE ": \"[name=EU]/v\": a pointer starts with \"/\"; to "
                       "filter the elements of the document write /*[...] "
                       "at offset 0");
}

static void
test_labels (void **state)
{
    (void) state;
    //  Relative to the element of /items; a number label is its shortest
    //  text (2026.0 reads "2026").
    s_expect_in (s_doc, "/items[name=EU]/sales",
                 "{\"ch\": \"/channel\", \"y\": \"/year\"}", false,
                 "10:10{\"ch\":\"email\",\"y\":\"2026\"}"
                 "|1.234,50 \xe2\x82\xac{\"ch\":\"ads\",\"y\":\"2026\"}");
    s_expect_in (s_doc, "/items[name=US]/sales", "{\"s\": \"/sales\"}", false,
                 "20.5:20.5{\"s\":\"20.5\"}");
    //  Nested wildcards: relative to the first.
    s_expect_in (s_doc, "/regions/*/channels/*/v",
                 "{\"r\": \"/name\", \"first\": \"/channels/0/c\"}", false,
                 "1:1{\"first\":\"email\",\"r\":\"EU\"}"
                 "|2:2{\"first\":\"email\",\"r\":\"EU\"}"
                 "|3:3{\"first\":\"email\",\"r\":\"US\"}");
    s_expect_in (s_doc, "/regions/*/channels[c=email]/v", "{\"r\": \"/name\"}",
                 false, "1:1{\"r\":\"EU\"}|3:3{\"r\":\"US\"}");
    //  "" is the element itself.
    s_expect_in (s_doc, "/tags/*", "{\"t\": \"\"}", false,
                 "a{\"t\":\"a\"}|b{\"t\":\"b\"}");
    //  Without a wildcard, relative to the document.
    s_expect_in (s_doc, "/items/0/sales",
                 "{\"s\": \"/s\", \"x\": \"/a~1b/~0c/0\"}", false,
                 "10:10{\"s\":\"str\",\"x\":\"10\"}");
    //  Missing, or not a string or number: an error naming the path.
    s_run_error_in (s_doc, "/items/*/sales", "{\"ch\": \"/channel\"}", false,
                    "/items/3/channel: not found (no member \"channel\" in "
                    "the object), for label 'ch'",
                    "/items/3/channel");
    s_run_error_in (s_doc, "/items[name=X~3Y~2~4]/sales", "{\"f\": \"/flag\"}",
                    false,
                    "/items/5/flag: found boolean true, expected a string or "
                    "a number for label 'f'",
                    "/items/5/flag");
    s_run_error_in (s_doc, "/items[name=X~3Y~2~4]/sales", "{\"f\": \"/none\"}",
                    false,
                    "/items/5/none: found null, expected a string or a "
                    "number for label 'f'",
                    "/items/5/none");
    s_run_error_in (s_doc, "/items/0/sales", "{\"x\": \"/tags/5\"}", false,
                    "/tags/5: not found (the array has 2 elements), for "
                    "label 'x'",
                    "/tags/5");
    s_run_error_in (s_doc, "/by/*/n", "{\"x\": \"\"}", false,
                    "/by/eu: found an object, expected a string or a number "
                    "for label 'x'",
                    "/by/eu");

    //  A long string label is cut at WS_MATCH_TEXT_MAX bytes on a UTF-8
    //  boundary (2-byte characters from an odd offset).
    char text[512] = "x";
    for (size_t i = 1; i + 2 < 450; i += 2)
        strcat (text, "\xc3\xa9");
    json_t *doc = json_pack ("{s:s, s:i}", "long", text, "v", 1);
    ws_json_select_t *self = s_new ("/v", "{\"l\": \"/long\"}", false);
    ws_matches_t matches;
    ws_matches_init (&matches);
    assert_int_equal (ws_json_select_run (self, doc, &matches, NULL), 0);
    const char *label =
        json_string_value (json_object_get (matches.items[0].labels, "l"));
    assert_int_equal (strlen (label), WS_MATCH_TEXT_MAX - 1);
    ws_matches_free (&matches);
    ws_json_select_destroy (&self);
    json_decref (doc);
}

static void
test_count_only (void **state)
{
    (void) state;
    //  Counting takes any value: null, objects, arrays too.
    s_expect_in (s_doc, "/items/*", NULL, true,
                 "an object|an object|an object|an object|7:7|an object");
    s_expect_in (s_doc, "/mixed/*", NULL, true, "1:1|2:2|null");
    s_expect_in (s_doc, "/n", NULL, true, "null");
    s_expect_in (s_doc, "/e", NULL, true, "an empty array");
    s_expect_in (s_doc, "/tags", NULL, true, "an array of 2");
    s_expect_in (s_doc, "/items[name=EU]", "{\"c\": \"/channel\"}", true,
                 "an object{\"c\":\"email\"}|an object{\"c\":\"ads\"}");
    //  Without count_only the same is an error.
    s_run_error ("/items/*",
                 "/items/0: found an object, expected a number or "
                 "a string",
                 "/items/0");
    //  Labels must still be there.
    s_run_error_in (s_doc, "/items/*", "{\"c\": \"/channel\"}", true,
                    "/items/3/channel: not found (no member \"channel\" in "
                    "the object), for label 'c'",
                    "/items/3/channel");
}

static void
test_syntax_errors (void **state)
{
    (void) state;
    s_refused ("items", S_WHERE ": \"items\": a pointer starts with \"/\" (or "
                                "is \"\" for the whole document) at offset 0");
    s_refused ("/items[name=EU",
               S_WHERE ": \"/items[name=EU\": unclosed '[' at offset 6");
    s_refused ("/items[name",
               S_WHERE ": \"/items[name\": unclosed '[' at offset 6");
    s_refused ("/items[", S_WHERE ": \"/items[\": unclosed '[' at offset 6");
    s_refused ("/items[=EU]", S_WHERE ": \"/items[=EU]\": empty member name "
                                      "in a filter at offset 7");
    s_refused ("/items[!=EU]", S_WHERE ": \"/items[!=EU]\": empty member name "
                                       "in a filter at offset 7");
    s_refused ("/items[name]",
               S_WHERE ": \"/items[name]\": a filter needs '=' or '!=' "
                       "(name=value), found ']' at offset 11");
    s_refused ("/items[]", S_WHERE ": \"/items[]\": a filter needs '=' or "
                                   "'!=' (name=value), found ']' at offset 7");
    s_refused ("/items[name!EU]",
               S_WHERE ": \"/items[name!EU]\": '!' must be followed by '=' "
                       "(~4 is a literal '!') at offset 11");
    s_refused ("/items[a/b=c]", S_WHERE ": \"/items[a/b=c]\": '/' inside a "
                                        "filter; write ~1 for it at offset 8");
    s_refused ("/items[a[b=c]", S_WHERE ": \"/items[a[b=c]\": '[' inside a "
                                        "filter; write ~5 for it at offset 8");
    s_refused ("/items[a=b=c]", S_WHERE ": \"/items[a=b=c]\": '=' in a filter "
                                        "value; write ~3 for it at offset 10");
    s_refused ("/items[a=b!]", S_WHERE ": \"/items[a=b!]\": '!' in a filter "
                                       "value; write ~4 for it at offset 10");
    s_refused ("/items[a=b[c]", S_WHERE ": \"/items[a=b[c]\": '[' in a filter "
                                        "value; write ~5 for it at offset 10");
    s_refused ("/items[a=b/c]", S_WHERE ": \"/items[a=b/c]\": '/' in a filter "
                                        "value; write ~1 for it at offset 10");
    s_refused ("/items]", S_WHERE ": \"/items]\": ']' without '['; write ~2 "
                                  "for a literal ']' at offset 6");
    s_refused ("/items[a=b]]", S_WHERE ": \"/items[a=b]]\": expected '/', '[' "
                                       "or the end after ']' at offset 11");
    s_refused ("/items[a=b]x", S_WHERE ": \"/items[a=b]x\": expected '/', '[' "
                                       "or the end after ']' at offset 11");
    s_refused ("/a~9", S_WHERE ": \"/a~9\": '~' must be followed by 0 to 5 "
                               "(~0 '~', ~1 '/', ~2 ']', ~3 '=', ~4 '!', ~5 "
                               "'[') at offset 2");
    s_refused ("/a~", S_WHERE ": \"/a~\": '~' must be followed by 0 to 5 "
                              "(~0 '~', ~1 '/', ~2 ']', ~3 '=', ~4 '!', ~5 "
                              "'[') at offset 2");
    s_refused ("/x[a=~6]", S_WHERE ": \"/x[a=~6]\": '~' must be followed by 0 "
                                   "to 5 (~0 '~', ~1 '/', ~2 ']', ~3 '=', ~4 "
                                   "'!', ~5 '[') at offset 5");
    //  Without a where the subject says what it is.
    s_refused_at ("/a]", NULL, "",
                  "(selection): \"/a]\": ']' without '['; write ~2 for a "
                  "literal ']' at offset 2",
                  "");
    //  A long selection is cut in the text.
    s_refused (
        "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]",
        S_WHERE ": \"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..."
                "\": ']' without '['; write ~2 for a literal ']' at "
                "offset 62");
}

static void
test_limits (void **state)
{
    (void) state;
    //  64 segments, 16 filters, 1024 characters.
    char text[2048] = "";
    for (int i = 0; i < 64; i++)
        strcat (text, "/a");
    ws_json_select_t *self = s_new (text, NULL, false);
    ws_json_select_destroy (&self);
    strcat (text, "/a");
    s_refused (text,
               S_WHERE ": \"/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
                       "a/a/a...\": 65 segments, at most 64 allowed at offset "
                       "130");

    strcpy (text, "/x");
    for (int i = 0; i < 16; i++)
        strcat (text, "[a=b]");
    self = s_new (text, NULL, false);
    ws_json_select_destroy (&self);
    strcat (text, "[a=b]");
    s_refused (text,
               S_WHERE ": \"/x[a=b][a=b][a=b][a=b][a=b][a=b][a=b][a=b][a=b]["
                       "...\": more than 16 filters at offset 82");
    strcpy (text, "/x[a=b]/y");
    for (int i = 0; i < 16; i++)
        strcat (text, "[a=b]");
    s_refused (text, S_WHERE ": \"/x[a=b]/y[a=b][a=b][a=b][a=b][a=b][a=b][a=b]"
                             "[a=b...\": more than 16 filters at offset 84");

    memset (text, 'a', 1024);
    text[0] = '/';
    text[1024] = '\0';
    self = s_new (text, NULL, false);
    ws_json_select_destroy (&self);
    strcat (text, "a");
    s_refused (text, S_WHERE ": 1025 characters, at most 1024 allowed");
}

static void
test_labels_refused (void **state)
{
    (void) state;
    const char *where = "/metrics/0/labels_from";
    s_refused_at ("/x", "[\"/a\"]", S_WHERE,
                  "/metrics/0/labels_from: found an array of 1, expected an "
                  "object of label names to pointers",
                  where);
    s_refused_at ("/x", "{\"1x\": \"/a\"}", S_WHERE,
                  "/metrics/0/labels_from/1x: bad label name \"1x\", expected "
                  "[A-Za-z_][A-Za-z0-9_]* of at most 128 characters",
                  "/metrics/0/labels_from/1x");
    s_refused_at ("/x", "{\"\": \"/a\"}", S_WHERE,
                  "/metrics/0/labels_from/: bad label name \"\", expected "
                  "[A-Za-z_][A-Za-z0-9_]* of at most 128 characters",
                  "/metrics/0/labels_from/");
    s_refused_at ("/x", "{\"r\": 3}", S_WHERE,
                  "/metrics/0/labels_from/r: found 3, expected a JSON "
                  "pointer (a string)",
                  "/metrics/0/labels_from/r");
    s_refused_at ("/x", "{\"r\": \"/*/name\"}", S_WHERE,
                  "/metrics/0/labels_from/r: \"/*/name\": a label's pointer "
                  "names one value, no \"*\" or filters at offset 1",
                  "/metrics/0/labels_from/r");
    s_refused_at ("/x", "{\"r\": \"/a[b=c]\"}", S_WHERE,
                  "/metrics/0/labels_from/r: \"/a[b=c]\": a label's pointer "
                  "names one value, no \"*\" or filters at offset 2",
                  "/metrics/0/labels_from/r");
    s_refused_at ("/x", "{\"r\": \"name\"}", S_WHERE,
                  "/metrics/0/labels_from/r: \"name\": a pointer starts with "
                  "\"/\" (or is \"\" for the whole document) at offset 0",
                  "/metrics/0/labels_from/r");
    s_refused_at ("/x", "{\"r\": \"/a~7\"}", "json",
                  "/labels_from/r: \"/a~7\": '~' must be followed by 0 to 5 "
                  "(~0 '~', ~1 '/', ~2 ']', ~3 '=', ~4 '!', ~5 '[') at "
                  "offset 2",
                  "/labels_from/r");
    //  The selection is checked first.
    s_refused_at ("/x]", "{\"r\": \"/a~7\"}", S_WHERE,
                  S_WHERE ": \"/x]\": ']' without '['; write ~2 for a literal "
                          "']' at offset 2",
                  S_WHERE);

    json_t *labels = json_object ();
    for (int i = 0; i < 65; i++) {
        char name[16];
        snprintf (name, sizeof name, "l%d", i);
        json_object_set_new (labels, name, json_string ("/a"));
    }
    ws_err_t err;
    ws_err_clear (&err);
    ws_json_select_t *self =
        ws_json_select_new ("/x", labels, false, S_WHERE, &err);
    assert_null (self);
    assert_string_equal (err.text, "/metrics/0/labels_from: 65 labels, at "
                                   "most 64 allowed");
    json_object_del (labels, "l0");
    self = ws_json_select_new ("/x", labels, false, S_WHERE, &err);
    assert_non_null (self);
    ws_json_select_destroy (&self);
    json_decref (labels);
}

static void
test_match_cap (void **state)
{
    (void) state;
    json_t *doc = json_array ();
    for (int i = 0; i < WS_JSON_SELECT_MATCHES_MAX; i++)
        json_array_append_new (doc, json_integer (i));
    ws_json_select_t *self = s_new ("/*", NULL, false);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    ws_err_clear (&err);
    assert_int_equal (ws_json_select_run (self, doc, &matches, &err), 0);
    assert_int_equal (matches.count, WS_JSON_SELECT_MATCHES_MAX);
    assert_string_equal (matches.items[99999].text, "99999");
    ws_matches_free (&matches);

    //  One more is an error, and the list stays as it was.
    json_array_append_new (doc, json_integer (1));
    ws_matches_add (&matches, "earlier", 7, false, 0, NULL);
    assert_int_equal (ws_json_select_run (self, doc, &matches, &err), -1);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (err.text,
                         "/*: more than 100000 matches; narrow the selection");
    assert_string_equal (err.where, "/*");
    assert_int_equal (matches.count, 1);
    ws_matches_free (&matches);
    ws_json_select_destroy (&self);

    //  The cap is per run, not per list.
    json_array_remove (doc, 0);
    self = s_new ("/*", NULL, true);
    ws_matches_add (&matches, "earlier", 7, false, 0, NULL);
    assert_int_equal (ws_json_select_run (self, doc, &matches, &err), 0);
    assert_int_equal (matches.count, WS_JSON_SELECT_MATCHES_MAX + 1);
    ws_matches_free (&matches);
    ws_json_select_destroy (&self);
    json_decref (doc);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pointer),
        cmocka_unit_test (test_pointer_errors),
        cmocka_unit_test (test_wildcard),
        cmocka_unit_test (test_filter_strings),
        cmocka_unit_test (test_filter_numbers),
        cmocka_unit_test (test_escapes),
        cmocka_unit_test (test_filter_objects),
        cmocka_unit_test (test_root_filter),
        cmocka_unit_test (test_labels),
        cmocka_unit_test (test_count_only),
        cmocka_unit_test (test_syntax_errors),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_labels_refused),
        cmocka_unit_test (test_match_cap),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
