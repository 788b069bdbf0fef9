//  fuzz_value - libFuzzer target for number parsing and value
//  conversions (lib/ws_value.h ws_number_parse, ws_value_conv_new,
//  ws_value_convert), on what extractors find in web pages.
//
//  Input: byte 0 picks the mode (modulo 3): 0 and 1 parse the rest as a
//  number with decimal '.' and ',' respectively; 2 reads a rule (JSON)
//  up to the first newline and converts the text after it.
//  Checks, beyond no crash, leak or undefined behaviour: a number read
//  is finite and never -0; it reads the same with spaces around it and
//  through the default conversion; its "%.17g" form reads back to the
//  same double; a refusal is WS_ERR_EXTRACT with the text quoted first
//  ("found \"..."); a refused rule comes with an error text; a "bool"
//  gives 0 or 1 and an "epoch" lies in the years 0000 to 9999.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ws_value.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  Now for age_days: 2026-04-10T00:00:00Z.
#define S_NOW_MS 1775779200000LL

static void
s_check_refusal (const ws_err_t *err, const char *what)
{
    fuzz_check_err (err, WS_ERR_EXTRACT, what);
    if (strncmp (err->text, "found \"", 7) != 0)
        fuzz_die (what, "the error does not quote the text first");
}

static void
s_number (const char *text, char decimal)
{
    ws_err_t err;
    ws_err_clear (&err);
    double value;
    int rc = ws_number_parse (text, decimal, &value, &err);

    //  Whitespace around the text changes nothing.
    size_t len = strlen (text);
    char *padded = malloc (len + 3);
    if (!padded)
        fuzz_die ("out of memory", NULL);
    padded[0] = ' ';
    memcpy (padded + 1, text, len);
    memcpy (padded + 1 + len, "\t", 2);
    ws_err_t padded_err;
    double padded_value;
    int padded_rc =
        ws_number_parse (padded, decimal, &padded_value, &padded_err);
    free (padded);
    if (padded_rc != rc || (rc == 0 && padded_value != value))
        fuzz_die ("number", "spaces around the text change the result");

    //  The default conversion with this decimal mark is the same parse.
    json_t *rule = json_pack ("{s:s}", "decimal", decimal == ',' ? "," : ".");
    ws_value_conv_t *conv = ws_value_conv_new (rule, &err);
    json_decref (rule);
    if (!conv)
        fuzz_die ("default conversion refused", err.text);
    double converted;
    ws_err_t convert_err;
    int convert_rc =
        ws_value_convert (conv, text, S_NOW_MS, &converted, &convert_err);
    ws_value_conv_destroy (&conv);
    if (convert_rc != rc || (rc == 0 && converted != value))
        fuzz_die ("number", "the default conversion differs from the parse");

    if (rc) {
        s_check_refusal (&err, "number refused");
        return;
    }
    if (!isfinite (value))
        fuzz_die ("number", "a value that is not finite");
    if (value == 0 && signbit (value))
        fuzz_die ("number", "negative zero");
    char shortest[64];
    snprintf (shortest, sizeof shortest, "%.17g", value);
    double again;
    if (ws_number_parse (shortest, '.', &again, &err))
        fuzz_die ("number: its %.17g form is refused", err.text);
    if (again != value)
        fuzz_die ("number", "its %.17g form reads as another value");
}

static void
s_convert (const char *input)
{
    const char *newline = strchr (input, '\n');
    const char *text = newline ? newline + 1 : "";
    size_t rule_len = newline ? (size_t) (newline - input) : strlen (input);
    json_error_t error;
    json_t *rule = json_loadb (
        input, rule_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error);
    if (!rule)
        return;
    ws_err_t err;
    ws_err_clear (&err);
    ws_value_conv_t *conv = ws_value_conv_new (rule, &err);
    if (!conv) {
        fuzz_check_err (&err, WS_ERR_NONE, "rule refused");
        json_decref (rule);
        return;
    }
    const char *kind = json_string_value (json_object_get (rule, "convert"));
    double value;
    ws_err_clear (&err);
    if (ws_value_convert (conv, text, S_NOW_MS, &value, &err))
        s_check_refusal (&err, "conversion refused");
    else {
        if (!isfinite (value))
            fuzz_die ("conversion", "a value that is not finite");
        if (kind && strcmp (kind, "bool") == 0 && value != 0 && value != 1)
            fuzz_die ("conversion", "a bool other than 0 or 1");
        //  Years 0000 to 9999, in seconds.
        if (kind && strcmp (kind, "epoch") == 0
            && !(value >= -62167219200.0 && value < 253402300800.0))
            fuzz_die ("conversion", "an epoch outside the years 0000-9999");
    }
    ws_value_conv_destroy (&conv);
    ws_value_conv_destroy (&conv);
    json_decref (rule);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *input = fuzz_strndup (data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: s_number (input, '.'); break;
    case 1: s_number (input, ','); break;
    default: s_convert (input); break;
    }
    free (input);
    return 0;
}
