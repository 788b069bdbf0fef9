//  fuzz_xpath - libFuzzer target for the XPath extractor
//  (lib/ws_extract_xpath.h).
//
//  Input: byte 0 picks the parser (even: html, odd: xml); the rest is the
//  document, which a fixed set of rules reads (node-sets with labels,
//  numbers, booleans, strings, namespaces). Checks, beyond no crash, leak
//  or undefined behaviour: every fixed rule is accepted; a refusal at
//  run() is WS_ERR_EXTRACT with a text and leaves the matches as they
//  were; a match's text is at most WS_MATCH_TEXT_MAX bytes of valid
//  UTF-8, a number is finite, labels are strings; at most
//  WS_EXTRACT_XPATH_MATCHES_MAX matches; libxml2 prints nothing (its
//  handlers stay as the target set them).
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>

#include "fuzz_check.h"
#include "ws_extract_xpath.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_fixed[] = {
    "{\"xpath\": \"//span[@class='price']\"}",
    "{\"xpath\": \"//*[@id]\", \"labels_from\": {\"id\": \"string(@id)\", "
    "\"n\": \"count(*)\", \"p\": \"name(..)\"}}",
    "{\"xpath\": \"count(//item[contains(title,'#launch')])\"}",
    "{\"xpath\": \"//text()\"}",
    "{\"xpath\": \"//@*\", \"labels_from\": {\"pos\": \"position()\"}}",
    "{\"xpath\": \"boolean(//p)\"}",
    "{\"xpath\": \"sum(//td)\"}",
    "{\"xpath\": \"string(/*)\"}",
    "{\"xpath\": \"//a:entry/a:title\", \"namespaces\": "
    "{\"a\": \"http://www.w3.org/2005/Atom\"}, \"labels_from\": "
    "{\"id\": \"../a:id\"}}",
    "{\"xpath\": \"//namespace::*\"}",
    "{\"xpath\": \"(//table)[2]//tr[2]/td[last()]\"}",
};

static int s_foreign_calls;

static void
s_foreign_handler (void *context, xmlErrorPtr error)
{
    (void) context;
    (void) error;
    s_foreign_calls++;
}

static void
s_check_matches (const ws_matches_t *matches, size_t from)
{
    if (matches->count - from > WS_EXTRACT_XPATH_MATCHES_MAX)
        fuzz_die ("xpath", "more matches than the maximum");
    for (size_t i = from; i < matches->count; i++) {
        const ws_match_t *match = &matches->items[i];
        if (match->has_value && !isfinite (match->value))
            fuzz_die ("xpath", "a number that is not finite");
        if (strlen (match->text) > WS_MATCH_TEXT_MAX)
            fuzz_die ("xpath", "a text longer than WS_MATCH_TEXT_MAX");
        json_t *text = json_string (match->text);
        if (!text)
            fuzz_die ("xpath", "a text that is not UTF-8");
        json_decref (text);
        if (match->labels && !json_is_object (match->labels))
            fuzz_die ("xpath", "labels that are not an object");
        const char *key;
        json_t *value;
        json_object_foreach (match->labels, key, value) {
            if (!json_is_string (value))
                fuzz_die ("xpath", "a label that is not a string");
            if (json_string_length (value) > WS_MATCH_TEXT_MAX)
                fuzz_die ("xpath", "a label longer than WS_MATCH_TEXT_MAX");
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool xml = data[0] & 1;
    const char *body = (const char *) data + 1;
    size_t len = size - 1;
    //  A handler of the process's own: the extractor must put it back
    //  and never call it.
    xmlSetStructuredErrorFunc (&s_foreign_calls, s_foreign_handler);
    for (size_t i = 0; i < sizeof s_fixed / sizeof s_fixed[0]; i++) {
        json_error_t jerr;
        json_t *rule = json_loads (s_fixed[i], 0, &jerr);
        if (!rule)
            fuzz_die ("xpath", "a fixed rule is not JSON");
        if (xml)
            json_object_set_new (rule, "document", json_string ("xml"));
        ws_err_t err;
        ws_err_clear (&err);
        ws_extract_xpath_t *self = ws_extract_xpath_new (rule, &err);
        json_decref (rule);
        if (!self)
            fuzz_die ("xpath: a fixed rule is refused", err.text);
        ws_matches_t matches;
        ws_matches_init (&matches);
        ws_matches_add (&matches, "earlier", 7, false, 0, NULL);
        if (ws_extract_xpath_run (self, body, len, &matches, &err)) {
            fuzz_check_err (&err, WS_ERR_EXTRACT, "xpath run");
            if (matches.count != 1)
                fuzz_die ("xpath run", "a failed run changed the matches");
        }
        else
            s_check_matches (&matches, 1);
        ws_matches_free (&matches);
        ws_extract_xpath_destroy (&self);
    }
    if (s_foreign_calls || xmlStructuredError != s_foreign_handler)
        fuzz_die ("xpath", "libxml2's error handler was not put back");
    xmlSetStructuredErrorFunc (NULL, NULL);
    return 0;
}
