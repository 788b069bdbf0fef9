//  test_ws_extract_csv - the CSV extractor on tests/data/extract: a
//  value column by name or index, where filters, labels from columns,
//  header=false, another delimiter and a title line; RFC 4180 quoting
//  (delimiters, "" and line ends inside quotes, reproduced exactly),
//  CRLF, a byte order mark; every error text (unterminated quote, short
//  row, a column the header lacks, empty document, NUL bytes, the row
//  and field caps, malformed rules); random bytes without a crash.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_test_common.h"

#include "ws_extract_csv.h"

//  A fixture of tests/data/extract, whole (caller frees).
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

static ws_extract_csv_t *
s_new (const char *rule_text)
{
    json_error_t jerr;
    json_t *rule = json_loads (rule_text, 0, &jerr);
    if (!rule)
        fail_msg ("test rule: %s", jerr.text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_csv_t *self = ws_extract_csv_new (rule, &err);
    json_decref (rule);
    if (!self)
        fail_msg ("%s: %s", rule_text, err.text);
    return self;
}

//  Run rule on body; it must succeed. matches is filled (caller frees).
static void
s_run (const char *rule_text, const char *body, size_t len,
       ws_matches_t *matches)
{
    ws_extract_csv_t *self = s_new (rule_text);
    ws_matches_init (matches);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_extract_csv_run (self, body, len, matches, &err))
        fail_msg ("%s: %s", rule_text, err.text);
    ws_extract_csv_destroy (&self);
    assert_null (self);
}

//  Run rule on the fixture name.
static void
s_run_fixture (const char *rule_text, const char *name, ws_matches_t *matches)
{
    size_t len;
    char *body = s_fixture (name, &len);
    s_run (rule_text, body, len, matches);
    free (body);
}

//  Run rule on body; it must fail with exactly text. A match already in
//  the list must be all that is left.
static void
s_run_error (const char *rule_text, const char *body, size_t len,
             const char *text)
{
    ws_extract_csv_t *self = s_new (rule_text);
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_matches_add (&matches, "before", 6, true, 1, NULL);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_extract_csv_run (self, body, len, &matches, &err) == 0)
        fail_msg ("%s: expected an error, got %zu matches", rule_text,
                  matches.count);
    assert_int_equal (err.code, WS_ERR_EXTRACT);
    assert_string_equal (err.text, text);
    assert_int_equal (matches.count, 1);
    assert_string_equal (matches.items[0].text, "before");
    ws_matches_free (&matches);
    ws_extract_csv_destroy (&self);
}

//  new() must refuse rule with exactly text and where.
static void
s_new_error (const char *rule_text, const char *text, const char *where)
{
    json_error_t jerr;
    json_t *rule = json_loads (rule_text, 0, &jerr);
    if (!rule)
        fail_msg ("test rule: %s", jerr.text);
    ws_err_t err;
    ws_err_clear (&err);
    ws_extract_csv_t *self = ws_extract_csv_new (rule, &err);
    json_decref (rule);
    if (self)
        fail_msg ("%s: expected an error", rule_text);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text, text);
    assert_string_equal (err.where, where);
}

static const char *
s_label (const ws_match_t *match, const char *name)
{
    json_t *value = json_object_get (match->labels, name);
    assert_non_null (value);
    return json_string_value (value);
}

static void
test_where (void **state)
{
    (void) state;
    ws_matches_t matches;
    s_run_fixture ("{\"csv\": {\"column\": \"Spend (EUR)\","
                   " \"where\": {\"Region\": \"EU\"}}}",
                   "spend.csv", &matches);
    assert_int_equal (matches.count, 4);
    assert_string_equal (matches.items[0].text, "1200.50");
    assert_string_equal (matches.items[1].text, "1100.00");
    assert_string_equal (matches.items[2].text, "1250.00");
    //  Quoted for its comma; the caller's conversion reads it.
    assert_string_equal (matches.items[3].text, "1,300.00");
    for (size_t i = 0; i < matches.count; i++) {
        assert_false (matches.items[i].has_value);
        assert_null (matches.items[i].labels);
    }
    ws_matches_free (&matches);

    //  All pairs must hold.
    s_run_fixture ("{\"csv\": {\"column\": \"Clicks\", \"where\":"
                   " {\"Region\": \"US\", \"Campaign\": \"Spring Sale\"}}}",
                   "spend.csv", &matches);
    assert_int_equal (matches.count, 2);
    assert_string_equal (matches.items[0].text, "430");
    assert_string_equal (matches.items[1].text, "440");
    ws_matches_free (&matches);

    //  Exact text: "eu" is not "EU"; no row kept is not an error.
    s_run_fixture ("{\"csv\": {\"column\": \"Clicks\", \"where\":"
                   " {\"Region\": \"eu\"}}}",
                   "spend.csv", &matches);
    assert_int_equal (matches.count, 0);
    ws_matches_free (&matches);
}

static void
test_labels_from (void **state)
{
    (void) state;
    ws_matches_t matches;
    s_run_fixture ("{\"csv\": {\"column\": \"Clicks\"}, \"labels_from\":"
                   " {\"region\": \"Region\", \"day\": 0}}",
                   "spend.csv", &matches);
    assert_int_equal (matches.count, 12);
    static const char *regions[] = {"EU", "US", "APAC"};
    static const char *clicks[] = {"340", "410", "120", "300", "430", "130",
                                   "360", "90",  "140", "380", "440", "150"};
    for (size_t i = 0; i < 12; i++) {
        //  The last field of a CRLF line holds no CR.
        assert_string_equal (matches.items[i].text, clicks[i]);
        assert_string_equal (s_label (&matches.items[i], "region"),
                             regions[i % 3]);
        assert_int_equal (json_object_size (matches.items[i].labels), 2);
    }
    assert_string_equal (s_label (&matches.items[0], "day"), "2026-03-01");
    assert_string_equal (s_label (&matches.items[11], "day"), "2026-03-04");
    ws_matches_free (&matches);
}

static void
test_index_and_names (void **state)
{
    (void) state;
    ws_matches_t matches;
    //  By 0-based index, the header still read as a header.
    s_run_fixture ("{\"csv\": {\"column\": 4}}", "spend.csv", &matches);
    assert_int_equal (matches.count, 12);
    assert_string_equal (matches.items[0].text, "340");
    ws_matches_free (&matches);

    //  The byte order mark is not part of the first name.
    s_run_fixture ("{\"csv\": {\"column\": \"Date\"}}", "spend.csv", &matches);
    assert_int_equal (matches.count, 12);
    assert_string_equal (matches.items[0].text, "2026-03-01");
    ws_matches_free (&matches);

    //  Exact first, then any case, then spaces around the header name.
    const char *doc = "Name,name, Total \nexact,lower,7\n";
    s_run ("{\"csv\": {\"column\": \"name\"}}", doc, strlen (doc), &matches);
    assert_string_equal (matches.items[0].text, "lower");
    ws_matches_free (&matches);
    s_run ("{\"csv\": {\"column\": \"NAME\"}}", doc, strlen (doc), &matches);
    assert_string_equal (matches.items[0].text, "exact");
    ws_matches_free (&matches);
    s_run ("{\"csv\": {\"column\": \"total\"}}", doc, strlen (doc), &matches);
    assert_string_equal (matches.items[0].text, "7");
    ws_matches_free (&matches);

    ws_extract_csv_t *self = s_new ("{\"csv\": {\"column\": \"Spend (EUR)\"}}");
    assert_string_equal (ws_extract_csv_expr (self),
                         "csv column 'Spend (EUR)'");
    ws_extract_csv_destroy (&self);
    ws_extract_csv_destroy (&self);
    self = s_new ("{\"csv\": {\"column\": 3}}");
    assert_string_equal (ws_extract_csv_expr (self), "csv column 3");
    ws_extract_csv_destroy (&self);
    ws_extract_csv_destroy (NULL);
}

static void
test_no_header (void **state)
{
    (void) state;
    const char *doc = "EU,10,a\nUS,20,b\nEU,30,c\n";
    ws_matches_t matches;
    s_run ("{\"csv\": {\"column\": 1, \"header\": false, \"where\": {\"0\": "
           "\"EU\"}}, \"labels_from\": {\"tag\": 2}}",
           doc, strlen (doc), &matches);
    //  The first line is a row.
    assert_int_equal (matches.count, 2);
    assert_string_equal (matches.items[0].text, "10");
    assert_string_equal (s_label (&matches.items[0], "tag"), "a");
    assert_string_equal (matches.items[1].text, "30");
    assert_string_equal (s_label (&matches.items[1], "tag"), "c");
    ws_matches_free (&matches);

    //  Names need a header.
    s_new_error ("{\"csv\": {\"column\": \"Spend\", \"header\": false}}",
                 "/csv/column: a column name needs a header line "
                 "(\"header\" is false); give a 0-based index",
                 "/csv/column");
    s_new_error ("{\"csv\": {\"column\": 1, \"header\": false, \"where\":"
                 " {\"Region\": \"EU\"}}}",
                 "/csv/where/Region: a column name needs a header line "
                 "(\"header\" is false); give a 0-based index as the key, "
                 "e.g. \"1\"",
                 "/csv/where/Region");
    s_new_error ("{\"csv\": {\"column\": 1, \"header\": false},"
                 " \"labels_from\": {\"region\": \"Region\"}}",
                 "/labels_from/region: a column name needs a header line "
                 "(\"header\" is false); give a 0-based index",
                 "/labels_from/region");
}

static void
test_semicolon (void **state)
{
    (void) state;
    ws_matches_t matches;
    //  A title line, then the header; decimal commas stay text.
    s_run_fixture ("{\"csv\": {\"column\": \"Umsatz\", \"delimiter\": \";\","
                   " \"skip\": 1}, \"labels_from\": {\"region\": \"Region\"}}",
                   "semicolon.csv", &matches);
    assert_int_equal (matches.count, 5);
    assert_string_equal (matches.items[0].text, "1.234,50");
    assert_string_equal (matches.items[1].text, "987,25");
    assert_string_equal (matches.items[4].text, "1.250,00");
    assert_string_equal (s_label (&matches.items[1], "region"), "US");
    ws_matches_free (&matches);

    //  Without the skip the title is the header.
    size_t len;
    char *body = s_fixture ("semicolon.csv", &len);
    s_run_error ("{\"csv\": {\"column\": \"Umsatz\", \"delimiter\": \";\"}}",
                 body, len,
                 "csv: no column 'Umsatz'; the header has Umsatzbericht "
                 "M\xC3\xA4rz 2026,  alle Regionen");
    free (body);

    //  Tab and pipe.
    const char *tabs = "a\tb\n1\t\"x\ty\"\n";
    s_run ("{\"csv\": {\"column\": \"b\", \"delimiter\": \"\\t\"}}", tabs,
           strlen (tabs), &matches);
    assert_string_equal (matches.items[0].text, "x\ty");
    ws_matches_free (&matches);
    const char *pipes = "a|b\n1|2,3\n";
    s_run ("{\"csv\": {\"column\": \"b\", \"delimiter\": \"|\"}}", pipes,
           strlen (pipes), &matches);
    assert_string_equal (matches.items[0].text, "2,3");
    ws_matches_free (&matches);
}

static void
test_quoting (void **state)
{
    (void) state;
    ws_matches_t matches;
    s_run_fixture ("{\"csv\": {\"column\": \"Campaign\"}}", "spend.csv",
                   &matches);
    assert_int_equal (matches.count, 12);
    assert_string_equal (matches.items[1].text, "Spring Sale, US");
    assert_string_equal (matches.items[3].text, "The \"Big\" One");
    //  The line end inside the quotes is kept as written (CR LF).
    assert_string_equal (matches.items[5].text,
                         "Launch, \"Phase 2\"\r\n(APAC)");
    assert_string_equal (matches.items[7].text, "Retarget, \"warm\"");
    ws_matches_free (&matches);

    //  The row after the quoted line end is still a row of its own.
    s_run_fixture ("{\"csv\": {\"column\": \"Spend (EUR)\", \"where\":"
                   " {\"Campaign\": \"Launch, \\\"Phase 2\\\"\\r\\n(APAC)\"}}}",
                   "spend.csv", &matches);
    assert_int_equal (matches.count, 1);
    assert_string_equal (matches.items[0].text, "470.00");
    ws_matches_free (&matches);

    //  Empty fields, quoted and not; a trailing delimiter is an empty
    //  field; "" alone is an empty quoted field, not a blank line; LF
    //  only and no final line end.
    const char *doc = "a,b,c\n\"\",,\n  \n\"\"\"\",\"\",x";
    s_run ("{\"csv\": {\"column\": \"c\"}, \"labels_from\": {\"a\": \"a\"}}",
           doc, strlen (doc), &matches);
    assert_int_equal (matches.count, 2);
    assert_string_equal (matches.items[0].text, "");
    assert_string_equal (s_label (&matches.items[0], "a"), "");
    assert_string_equal (matches.items[1].text, "x");
    assert_string_equal (s_label (&matches.items[1], "a"), "\"");
    ws_matches_free (&matches);

    //  A quote inside an unquoted field is a character.
    const char *inch = "size,n\n12\",3\n";
    s_run ("{\"csv\": {\"column\": \"size\"}}", inch, strlen (inch), &matches);
    assert_string_equal (matches.items[0].text, "12\"");
    ws_matches_free (&matches);
}

static void
test_line_ends (void **state)
{
    (void) state;
    ws_matches_t matches;
    //  Lone CRs end lines too; blank lines and CRLF mixed.
    const char *doc = "a,b\r1,2\r\n\r\n3,4\n\n5,6\r";
    s_run ("{\"csv\": {\"column\": \"b\"}}", doc, strlen (doc), &matches);
    assert_int_equal (matches.count, 3);
    assert_string_equal (matches.items[0].text, "2");
    assert_string_equal (matches.items[1].text, "4");
    assert_string_equal (matches.items[2].text, "6");
    ws_matches_free (&matches);

    //  Line numbers count every kind of line end, inside quotes too.
    const char *quoted = "a,b\r\"x\ny\r\nz\",1\r2\n";
    s_run_error ("{\"csv\": {\"column\": \"b\"}}", quoted, strlen (quoted),
                 "csv line 5: 1 field, column 'b' is field 2");

    //  A header and no rows: no match, no error.
    const char *header = "\xEF\xBB\xBF"
                         "a,b\r\n";
    s_run ("{\"csv\": {\"column\": \"b\"}}", header, strlen (header), &matches);
    assert_int_equal (matches.count, 0);
    ws_matches_free (&matches);
}

static void
test_errors (void **state)
{
    (void) state;
    const char *doc = "a,b\n1,\"x\n2,3\n";
    s_run_error ("{\"csv\": {\"column\": \"b\"}}", doc, strlen (doc),
                 "csv line 2: unterminated quoted field (field 2)");
    doc = "a,b\n1,\"x\"y,3\n";
    s_run_error ("{\"csv\": {\"column\": \"b\"}}", doc, strlen (doc),
                 "csv line 2: text after the closing quote of field 2");

    //  A short row, by name and by index.
    size_t len;
    char *body = s_fixture ("spend.csv", &len);
    char *cut = malloc (len + 64);
    assert_non_null (cut);
    memcpy (cut, body, len);
    strcpy (cut + len, "2026-03-05,EU,Spring Sale\r\n");
    s_run_error ("{\"csv\": {\"column\": \"Clicks\"}}", cut, strlen (cut),
                 "csv line 15: 3 fields, column 'Clicks' is field 5");
    s_run_error ("{\"csv\": {\"column\": 3}}", cut, strlen (cut),
                 "csv line 15: 3 fields, column 3 is field 4");
    //  Also a column only a filter or a label needs.
    s_run_error ("{\"csv\": {\"column\": 0}, \"labels_from\": {\"c\": 7}}", cut,
                 strlen (cut), "csv line 2: 5 fields, column 7 is field 8");

    //  A name the header lacks, with the header it has.
    s_run_error ("{\"csv\": {\"column\": \"Clicks\", \"where\": {\"Regio\":"
                 " \"EU\"}}}",
                 body, len,
                 "csv: no column 'Regio'; the header has Date, Region, "
                 "Campaign, Spend (EUR), Clicks");
    s_run_error ("{\"csv\": {\"column\": \"Spend\"}}", body, len,
                 "csv: no column 'Spend'; the header has Date, Region, "
                 "Campaign, Spend (EUR), Clicks");
    free (cut);
    free (body);

    //  A long header is cut.
    char header[400] = "";
    for (int i = 0; i < 40; i++)
        snprintf (header + strlen (header), sizeof header - strlen (header),
                  "%scolumn%d", i ? "," : "", i);
    strcat (header, "\n");
    ws_extract_csv_t *self = s_new ("{\"csv\": {\"column\": \"x\"}}");
    ws_matches_t matches;
    ws_matches_init (&matches);
    ws_err_t err;
    assert_int_equal (
        ws_extract_csv_run (self, header, strlen (header), &matches, &err), -1);
    assert_non_null (strstr (err.text, "the header has column0, column1, "));
    assert_non_null (strstr (err.text, "..."));
    ws_matches_free (&matches);
    ws_extract_csv_destroy (&self);

    //  Empty documents; skip past the end.
    s_run_error ("{\"csv\": {\"column\": 0}}", "", 0, "csv: empty document");
    s_run_error ("{\"csv\": {\"column\": 0}}", NULL, 0, "csv: empty document");
    s_run_error ("{\"csv\": {\"column\": 0, \"header\": false}}",
                 "\xEF\xBB\xBF\r\n \r\n", 8, "csv: empty document");
    s_run_error ("{\"csv\": {\"column\": 0, \"skip\": 2}}", "title\n\n", 7,
                 "csv: no header line after the 2 skipped lines");

    //  NUL bytes: not a text document.
    s_run_error ("{\"csv\": {\"column\": 0}}", "a\nb\n\0c", 6,
                 "csv line 3: a NUL byte; the document is not text");

    //  A label must be UTF-8 (it travels in JSON); a value need not be
    //  (the conversion reads it).
    const char *latin1 = "r,v\nM\xE4rz,1\n";
    s_run_error ("{\"csv\": {\"column\": \"v\"}, \"labels_from\": {\"r\": 0}}",
                 latin1, strlen (latin1),
                 "csv line 2: column 0 for label 'r' is not UTF-8 text");
    s_run ("{\"csv\": {\"column\": \"r\"}}", latin1, strlen (latin1), &matches);
    assert_string_equal (matches.items[0].text, "M\xE4rz");
    ws_matches_free (&matches);
}

static void
test_rules (void **state)
{
    (void) state;
    s_new_error ("{\"regex\": \"x\"}",
                 "/csv: found nothing, expected an object with \"column\"",
                 "/csv");
    s_new_error ("{\"csv\": {}}",
                 "/csv/column: found nothing, expected a column name or a "
                 "0-based index below 65536",
                 "/csv/column");
    s_new_error ("{\"csv\": {\"column\": -1}}",
                 "/csv/column: found -1, expected a column name or a "
                 "0-based index below 65536",
                 "/csv/column");
    s_new_error ("{\"csv\": {\"column\": \"\"}}",
                 "/csv/column: an empty column name", "/csv/column");
    s_new_error ("{\"csv\": {\"colum\": 1}}",
                 "/csv/colum: unknown key, expected one of column, where, "
                 "header, delimiter, skip",
                 "/csv/colum");
    s_new_error ("{\"csv\": {\"column\": 1, \"delimiter\": \"ab\"}}",
                 "/csv/delimiter: found \"ab\", expected one ASCII "
                 "character other than a quote, CR or LF, such as \",\", "
                 "\";\", \"\\t\" or \"|\"",
                 "/csv/delimiter");
    s_new_error ("{\"csv\": {\"column\": 1, \"delimiter\": \"\\\"\"}}",
                 "/csv/delimiter: found \"\"\", expected one ASCII "
                 "character other than a quote, CR or LF, such as \",\", "
                 "\";\", \"\\t\" or \"|\"",
                 "/csv/delimiter");
    s_new_error ("{\"csv\": {\"column\": 1, \"skip\": 1001}}",
                 "/csv/skip: found 1001, expected a number of lines from 0 "
                 "to 1000",
                 "/csv/skip");
    s_new_error ("{\"csv\": {\"column\": 1, \"header\": 1}}",
                 "/csv/header: found 1, expected true or false", "/csv/header");
    s_new_error ("{\"csv\": {\"column\": 1, \"where\": {\"a\": 1}}}",
                 "/csv/where/a: found 1, expected the text the column must "
                 "hold",
                 "/csv/where/a");
    s_new_error ("{\"csv\": {\"column\": 1, \"where\": [1]}}",
                 "/csv/where: found an array of 1, expected an object of "
                 "column: text",
                 "/csv/where");
    s_new_error ("{\"csv\": {\"column\": 1}, \"labels_from\": {\"a-b\": 1}}",
                 "/labels_from/a-b: 'a-b' is not a label name "
                 "([A-Za-z_][A-Za-z0-9_]*)",
                 "/labels_from/a-b");
    s_new_error ("{\"csv\": {\"column\": 1}, \"labels_from\": {\"ab\": 1.5}}",
                 "/labels_from/ab: found 1.5, expected a column name or a "
                 "0-based index below 65536",
                 "/labels_from/ab");
}

//  A document of n copies of unit after head (caller frees).
static char *
s_repeat (const char *head, const char *unit, size_t n, size_t *len)
{
    size_t head_len = strlen (head), unit_len = strlen (unit);
    *len = head_len + n * unit_len;
    char *text = malloc (*len + 1);
    assert_non_null (text);
    memcpy (text, head, head_len);
    for (size_t i = 0; i < n; i++)
        memcpy (text + head_len + i * unit_len, unit, unit_len);
    text[*len] = '\0';
    return text;
}

static void
test_limits (void **state)
{
    (void) state;
    //  1,000,000 data rows pass (filtered or not), one more does not.
    size_t len;
    char *doc = s_repeat ("v\n", "1\n", WS_EXTRACT_CSV_MAX_ROWS, &len);
    ws_matches_t matches;
    s_run ("{\"csv\": {\"column\": \"v\", \"where\": {\"v\": \"2\"}}}", doc,
           len, &matches);
    assert_int_equal (matches.count, 0);
    ws_matches_free (&matches);
    free (doc);
    doc = s_repeat ("v\n", "1\n", WS_EXTRACT_CSV_MAX_ROWS + 1, &len);
    s_run_error ("{\"csv\": {\"column\": \"v\", \"where\": {\"v\": \"2\"}}}",
                 doc, len, "csv line 1000002: more than 1000000 rows");
    free (doc);

    //  A 10 MB row: one field past 1 MB, unquoted, quoted with "" (a
    //  copy), and ten fields of 1 MB each, which pass.
    doc = s_repeat ("a,b\n1,", "xxxxxxxxxx", 1024 * 1024, &len);
    s_run_error ("{\"csv\": {\"column\": \"a\"}}", doc, len,
                 "csv line 2: field 2 is longer than 1048576 bytes");
    free (doc);
    doc = s_repeat ("a,b\n1,\"", "xxxx\"\"xxxx", 1024 * 1024, &len);
    s_run_error ("{\"csv\": {\"column\": \"a\"}}", doc, len,
                 "csv line 2: unterminated quoted field (field 2)");
    doc[len - 1] = '"';
    s_run_error ("{\"csv\": {\"column\": \"a\"}}", doc, len,
                 "csv line 2: field 2 is longer than 1048576 bytes");
    free (doc);
    char *field = s_repeat ("", "x", 1024 * 1024, &len);
    size_t row_len = 10 * (len + 1);
    char *row = malloc (row_len + 16);
    assert_non_null (row);
    strcpy (row, "a\n");
    for (int i = 0; i < 10; i++) {
        strcat (row, field);
        strcat (row, i < 9 ? "," : "\n");
    }
    s_run ("{\"csv\": {\"column\": 0}}", row, strlen (row), &matches);
    assert_int_equal (matches.count, 1);
    //  The text is cut, on a character boundary.
    assert_int_equal (strlen (matches.items[0].text), WS_MATCH_TEXT_MAX);
    ws_matches_free (&matches);
    free (row);
    free (field);

    //  Too many fields in one row.
    doc = s_repeat ("a\n", ",", WS_EXTRACT_CSV_MAX_FIELDS, &len);
    s_run_error ("{\"csv\": {\"column\": 0}}", doc, len,
                 "csv line 2: more than 65536 fields");
    free (doc);
}

//  Random bytes, NULs among them or not: an error with a text or
//  matches, never a crash (the sanitizer build watches).
static void
test_garbage (void **state)
{
    (void) state;
    uint32_t seed = 12345;
    ws_extract_csv_t *rules[3] = {
        s_new ("{\"csv\": {\"column\": 1}, \"labels_from\": {\"l\": 0}}"),
        s_new ("{\"csv\": {\"column\": 0, \"header\": false,"
               " \"delimiter\": \";\"}}"),
        s_new ("{\"csv\": {\"column\": \"a\", \"where\": {\"b\": \"\"}}}")};
    char body[512];
    for (int round = 0; round < 3000; round++) {
        size_t len = 1 + (size_t) (round % (int) sizeof body);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245 + 12345;
            uint32_t byte = (seed >> 16) & 0xFF;
            //  Half the rounds without NUL, and rich in CSV syntax.
            if (round % 2 && byte == 0)
                byte = '"';
            if (byte % 4 == 0)
                byte = (uint32_t) ",\"\n\r;ab"[(byte >> 2) % 7];
            body[i] = (char) byte;
        }
        if (round % 3 == 2)
            memcpy (body, "a,b\n", len < 4 ? len : 4);
        ws_matches_t matches;
        ws_matches_init (&matches);
        ws_err_t err;
        ws_err_clear (&err);
        int rc =
            ws_extract_csv_run (rules[round % 3], body, len, &matches, &err);
        if (rc) {
            assert_int_equal (err.code, WS_ERR_EXTRACT);
            assert_true (strlen (err.text) > 0);
            assert_int_equal (matches.count, 0);
        }
        ws_matches_free (&matches);
    }
    for (int i = 0; i < 3; i++)
        ws_extract_csv_destroy (&rules[i]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_where),
        cmocka_unit_test (test_labels_from),
        cmocka_unit_test (test_index_and_names),
        cmocka_unit_test (test_no_header),
        cmocka_unit_test (test_semicolon),
        cmocka_unit_test (test_quoting),
        cmocka_unit_test (test_line_ends),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_rules),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_garbage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
