//  fuzz_source - libFuzzer target for the source definition checker
//  (lib/ws_source.h), on what 'watershed apply' reads: a JSON text
//  loaded with JSON_REJECT_DUPLICATES.
//
//  Checks, beyond no crash, leak or undefined behaviour: a refusal comes
//  with an error text; an accepted source writes a normalised form that
//  ws_source_new accepts again and that is then written unchanged (the
//  round trip ws_source.h promises), with the same rule count.
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "ws_source.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *def =
        json_loadb ((const char *) data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!def)
        return 0;
    ws_err_t err;
    ws_err_clear (&err);
    ws_source_t *source = ws_source_new (def, &err);
    json_decref (def);
    if (!source) {
        fuzz_check_err (&err, WS_ERR_NONE, "source");
        return 0;
    }
    json_t *first = ws_source_to_json (source);
    if (!first)
        fuzz_die ("source", "an accepted source has no JSON form");
    ws_source_t *again = ws_source_new (first, &err);
    if (!again)
        fuzz_die ("normalised source refused", err.text);
    json_t *second = ws_source_to_json (again);
    if (!second || !json_equal (first, second))
        fuzz_die ("source", "normalised form changed in a round trip");
    if (ws_source_rule_count (again) != ws_source_rule_count (source))
        fuzz_die ("source", "rule count changed in a round trip");
    json_decref (second);
    json_decref (first);
    ws_source_destroy (&again);
    ws_source_destroy (&source);
    return 0;
}
