//  fuzz_goal_hook - libFuzzer target for the goal and hook definition
//  checkers (lib/ws_goal.h ws_goal_new, lib/ws_hook.h ws_hook_new and
//  ws_hook_silence_check), on what 'watershed apply' reads.
//
//  Input: byte 0 picks the checker (0 goal, 1 hook, 2 silence, modulo
//  3); the rest is a JSON text, loaded with JSON_REJECT_DUPLICATES.
//  Checks, beyond no crash, leak or undefined behaviour: a refusal comes
//  with an error text; an accepted definition's normalised form is
//  accepted again and written unchanged (the round trip both headers
//  promise); an accepted hook answers ws_hook_matches and
//  ws_hook_silenced on a few alerts.
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "ws_goal.h"
#include "ws_hook.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_goal (json_t *def)
{
    ws_err_t err;
    ws_err_clear (&err);
    ws_goal_t *goal = ws_goal_new (def, &err);
    if (!goal) {
        fuzz_check_err (&err, WS_ERR_NONE, "goal");
        return;
    }
    json_t *first = ws_goal_to_json (goal);
    if (!first)
        fuzz_die ("goal", "an accepted goal has no JSON form");
    ws_goal_t *again = ws_goal_new (first, &err);
    if (!again)
        fuzz_die ("normalised goal refused", err.text);
    json_t *second = ws_goal_to_json (again);
    if (!second || !json_equal (first, second))
        fuzz_die ("goal", "normalised form changed in a round trip");
    //  The pace curve is a share of the way from start to deadline.
    double mid = ws_goal_expected_progress (
        goal, ws_goal_start (goal) / 2 + ws_goal_deadline (goal) / 2);
    if (!(mid >= 0 && mid <= 1))
        fuzz_die ("goal", "expected progress outside [0, 1]");
    json_decref (second);
    json_decref (first);
    ws_goal_destroy (&again);
    ws_goal_destroy (&goal);
}

//  Alerts of each kind, for ws_hook_matches and ws_hook_silenced.
static const char *s_alerts[] = {
    ("{\"kind\": \"slipped\", \"severity\": \"critical\", \"goal\": \"g\", "
     "\"campaign\": \"c\", \"labels\": {\"team\": \"growth\"}}"),
    "{\"kind\": \"recovered\", \"severity\": \"info\"}",
    "{\"kind\": \"achieved\", \"severity\": 3, \"labels\": []}"};

static void
s_hook (json_t *def)
{
    ws_err_t err;
    ws_err_clear (&err);
    ws_hook_t *hook = ws_hook_new (def, &err);
    if (!hook) {
        fuzz_check_err (&err, WS_ERR_NONE, "hook");
        return;
    }
    json_t *first = ws_hook_to_json (hook);
    if (!first)
        fuzz_die ("hook", "an accepted hook has no JSON form");
    ws_hook_t *again = ws_hook_new (first, &err);
    if (!again)
        fuzz_die ("normalised hook refused", err.text);
    json_t *second = ws_hook_to_json (again);
    if (!second || !json_equal (first, second))
        fuzz_die ("hook", "normalised form changed in a round trip");
    for (size_t i = 0; i < sizeof s_alerts / sizeof s_alerts[0]; i++) {
        json_t *alert = json_loads (s_alerts[i], 0, NULL);
        if (!alert)
            fuzz_die ("hook", "a fixed alert does not parse");
        if (ws_hook_matches (hook, alert) != ws_hook_matches (again, alert))
            fuzz_die ("hook", "the normalised hook matches differently");
        json_decref (alert);
    }
    json_decref (second);
    json_decref (first);
    ws_hook_destroy (&again);
    ws_hook_destroy (&hook);
}

static void
s_silence (json_t *def)
{
    ws_err_t err;
    ws_err_clear (&err);
    json_t *first = ws_hook_silence_check (def, &err);
    if (!first) {
        fuzz_check_err (&err, WS_ERR_NONE, "silence");
        return;
    }
    json_t *second = ws_hook_silence_check (first, &err);
    if (!second)
        fuzz_die ("normalised silence refused", err.text);
    if (!json_equal (first, second))
        fuzz_die ("silence", "normalised form changed in a round trip");
    //  A valid silence in a list is one ws_hook_silenced may return.
    json_t *list = json_pack ("[O]", first);
    for (size_t i = 0; list && i < sizeof s_alerts / sizeof s_alerts[0]; i++) {
        json_t *alert = json_loads (s_alerts[i], 0, NULL);
        json_t *held = ws_hook_silenced (list, alert, 0);
        if (held && held != json_array_get (list, 0))
            fuzz_die ("silence", "ws_hook_silenced returned a stranger");
        json_decref (alert);
    }
    json_decref (list);
    json_decref (second);
    json_decref (first);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    json_error_t jerr;
    json_t *def = json_loadb ((const char *) data + 1, size - 1,
                              JSON_REJECT_DUPLICATES, &jerr);
    if (!def)
        return 0;
    switch (data[0] % 3) {
    case 0: s_goal (def); break;
    case 1: s_hook (def); break;
    default: s_silence (def); break;
    }
    json_decref (def);
    return 0;
}
