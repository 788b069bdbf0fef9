//  test_ws_hook - alert hooks: valid forms round-trip through to_json
//  with their defaults, every invalid field is refused with err->where
//  pointing at it, matching takes exactly the alerts asked for, silences
//  hold back what they name until their time, and an apply file's
//  "hooks" section is checked like the other kinds.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ws_campaign.h"
#include "ws_hook.h"

//  Test JSON with ' for " (a test text holds no apostrophe).
static json_t *
s_json (const char *text)
{
    char *copy = strdup (text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t error;
    json_t *json = json_loads (copy, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    if (!json)
        fail_msg ("test JSON: %s: %s", copy, error.text);
    free (copy);
    return json;
}

static ws_hook_t *
s_hook (const char *text)
{
    json_t *def = s_json (text);
    ws_err_t err;
    ws_hook_t *hook = ws_hook_new (def, &err);
    if (!hook)
        fail_msg ("%s: %s", text, err.text);
    json_decref (def);
    return hook;
}

//  The normal form reads back unchanged.
static void
s_round_trip (ws_hook_t *hook)
{
    json_t *normal = ws_hook_to_json (hook);
    ws_err_t err;
    ws_hook_t *again = ws_hook_new (normal, &err);
    if (!again)
        fail_msg ("normal form refused: %s", err.text);
    json_t *normal2 = ws_hook_to_json (again);
    assert_true (json_equal (normal, normal2));
    json_decref (normal2);
    json_decref (normal);
    ws_hook_destroy (&again);
}

#define S_WEBHOOK                                                              \
    "'name': 'ops', 'type': 'webhook', 'url': 'https://h.example/x'"
#define S_COMMAND "'name': 'cmd', 'type': 'command', 'argv': ['/bin/echo']"

static void
test_webhook_valid (void **state)
{
    (void) state;
    //  Defaults.
    ws_hook_t *hook = s_hook ("{" S_WEBHOOK "}");
    assert_string_equal (ws_hook_name (hook), "ops");
    assert_int_equal (ws_hook_type (hook), WS_HOOK_WEBHOOK);
    assert_string_equal (ws_hook_url (hook), "https://h.example/x");
    assert_string_equal (ws_hook_format (hook), "watershed");
    assert_null (ws_hook_secret_env (hook));
    assert_null (ws_hook_headers (hook));
    assert_null (ws_hook_argv (hook));
    assert_int_equal (ws_hook_repeat_interval (hook), 0);
    assert_true (ws_hook_send_resolved (hook));
    assert_int_equal (ws_hook_max_age (hook), 86400000);
    json_t *normal = ws_hook_to_json (hook);
    json_t *expected =
        s_json ("{" S_WEBHOOK ", 'format': 'watershed', 'send_resolved': true, "
                "'max_age': '1d', 'timeout': '10s'}");
    if (!json_equal (normal, expected)) {
        char *text = json_dumps (normal, JSON_SORT_KEYS);
        fail_msg ("normal form %s", text);
    }
    json_decref (expected);
    json_decref (normal);
    s_round_trip (hook);
    ws_hook_destroy (&hook);
    ws_hook_destroy (&hook);

    //  Everything given.
    hook = s_hook (
        "{" S_WEBHOOK ", 'format': 'alertmanager', 'secret_env': 'OPS_KEY', "
        "'headers': {'X-Team': 'growth ${TEAM} costs $$5'}, 'match': "
        "{'campaigns': ['q1-eu'], 'goals': ['eu-signups', 'eu.trials'], "
        "'labels': {'team': 'growth'}, 'kinds': ['slipped', 'missed'], "
        "'min_severity': 'warning'}, 'repeat_interval': '240m', "
        "'send_resolved': false, 'max_age': 7200, 'timeout': '2500ms'}");
    assert_string_equal (ws_hook_format (hook), "alertmanager");
    assert_int_equal (ws_hook_timeout (hook), 2500);
    assert_string_equal (ws_hook_secret_env (hook), "OPS_KEY");
    assert_string_equal (
        json_string_value (json_object_get (ws_hook_headers (hook), "X-Team")),
        "growth ${TEAM} costs $$5");
    assert_int_equal (ws_hook_repeat_interval (hook), 4 * 3600000);
    assert_false (ws_hook_send_resolved (hook));
    assert_int_equal (ws_hook_max_age (hook), 7200000);
    normal = ws_hook_to_json (hook);
    assert_string_equal (
        json_string_value (json_object_get (normal, "repeat_interval")), "4h");
    assert_string_equal (
        json_string_value (json_object_get (normal, "max_age")), "2h");
    json_decref (normal);
    s_round_trip (hook);
    ws_hook_destroy (&hook);

    //  http is fine too, and repeat_interval 0 means never (left out).
    hook = s_hook ("{'name': 'h', 'type': 'webhook', 'url': "
                   "'http://127.0.0.1:8080/hook?x=1', 'format': 'slack', "
                   "'repeat_interval': '0s', 'match': {}}");
    normal = ws_hook_to_json (hook);
    assert_null (json_object_get (normal, "repeat_interval"));
    assert_null (json_object_get (normal, "match"));
    json_decref (normal);
    ws_hook_destroy (&hook);
}

static void
test_command_valid (void **state)
{
    (void) state;
    ws_hook_t *hook = s_hook ("{" S_COMMAND "}");
    assert_int_equal (ws_hook_type (hook), WS_HOOK_COMMAND);
    assert_null (ws_hook_url (hook));
    assert_null (ws_hook_format (hook));
    assert_int_equal (ws_hook_timeout (hook), 10000);
    assert_int_equal (json_array_size (ws_hook_argv (hook)), 1);
    assert_null (ws_hook_env (hook));
    s_round_trip (hook);
    ws_hook_destroy (&hook);

    //  Arguments are data: quotes, ';', '$()' and newlines pass as given.
    hook = s_hook ("{" S_COMMAND ", 'argv': ['/usr/bin/notify', "
                   "'a; rm -rf / $(x) \\n \\u0027q\\u0027'], "
                   "'env': {'TOKEN': '${OPS_TOKEN}', 'MODE': 'a\\nb'}, "
                   "'timeout': '500ms'}");
    assert_string_equal (
        json_string_value (json_array_get (ws_hook_argv (hook), 1)),
        "a; rm -rf / $(x) \n 'q'");
    assert_string_equal (
        json_string_value (json_object_get (ws_hook_env (hook), "TOKEN")),
        "${OPS_TOKEN}");
    assert_int_equal (ws_hook_timeout (hook), 500);
    s_round_trip (hook);
    ws_hook_destroy (&hook);
}

static void
test_hook_invalid (void **state)
{
    (void) state;
    static const struct {
        const char *text, *where;
    } bad[] = {
        {"'webhook'", ""},
        {"{'type': 'webhook', 'url': 'https://h/x'}", "/name"},
        {"{'name': 'a b', 'type': 'webhook', 'url': 'https://h/x'}", "/name"},
        {"{'name': '', 'type': 'webhook', 'url': 'https://h/x'}", "/name"},
        {"{'name': 'n', 'url': 'https://h/x'}", "/type"},
        {"{'name': 'n', 'type': 'email'}", "/type"},
        {"{" S_WEBHOOK ", 'color': 'red'}", "/color"},
        //  the other type's keys
        {"{" S_WEBHOOK ", 'argv': ['/bin/true']}", "/argv"},
        {"{" S_COMMAND ", 'url': 'https://h/x'}", "/url"},
        {"{" S_COMMAND ", 'format': 'slack'}", "/format"},
        //  url
        {"{'name': 'n', 'type': 'webhook'}", "/url"},
        {"{'name': 'n', 'type': 'webhook', 'url': 5}", "/url"},
        {"{'name': 'n', 'type': 'webhook', 'url': 'ftp://h/x'}", "/url"},
        {"{'name': 'n', 'type': 'webhook', 'url': 'https://'}", "/url"},
        {"{'name': 'n', 'type': 'webhook', 'url': 'https:///x'}", "/url"},
        {"{'name': 'n', 'type': 'webhook', 'url': 'https://h/a b'}", "/url"},
        {"{'name': 'n', 'type': 'webhook', 'url': 'https://h/\\r\\nX: y'}",
         "/url"},
        //  format
        {"{" S_WEBHOOK ", 'format': 'teams'}", "/format"},
        {"{" S_WEBHOOK ", 'format': 1}", "/format"},
        //  secret_env: a name, never the secret
        {"{" S_WEBHOOK ", 'secret_env': 's3cr3t-value!'}", "/secret_env"},
        {"{" S_WEBHOOK ", 'secret_env': '1KEY'}", "/secret_env"},
        {"{" S_WEBHOOK ", 'secret_env': ''}", "/secret_env"},
        {"{" S_WEBHOOK ", 'secret_env': true}", "/secret_env"},
        //  headers
        {"{" S_WEBHOOK ", 'headers': ['X-A']}", "/headers"},
        {"{" S_WEBHOOK ", 'headers': {'X A': 'v'}}", "/headers/X A"},
        {"{" S_WEBHOOK ", 'headers': {'': 'v'}}", "/headers/"},
        {"{" S_WEBHOOK ", 'headers': {'X-A': 1}}", "/headers/X-A"},
        {"{" S_WEBHOOK ", 'headers': {'X-A': 'a\\r\\nX-B: b'}}",
         "/headers/X-A"},
        {"{" S_WEBHOOK ", 'headers': {'X-A': '${TEAM'}}", "/headers/X-A"},
        {"{" S_WEBHOOK ", 'headers': {'X-A': '${1X}'}}", "/headers/X-A"},
        {"{" S_WEBHOOK ", 'headers': {'X-A': 'cost $5'}}", "/headers/X-A"},
        {"{" S_WEBHOOK ", 'headers': {'Content-Length': '9'}}",
         "/headers/Content-Length"},
        {"{" S_WEBHOOK ", 'headers': {'x-watershed-signature': 'v'}}",
         "/headers/x-watershed-signature"},
        {"{" S_WEBHOOK ", 'headers': {'a/b': 'v'}}", "/headers/a~1b"},
        //  argv
        {"{'name': 'n', 'type': 'command'}", "/argv"},
        {"{'name': 'n', 'type': 'command', 'argv': []}", "/argv"},
        {"{'name': 'n', 'type': 'command', 'argv': '/bin/sh -c x'}", "/argv"},
        {"{'name': 'n', 'type': 'command', 'argv': ['notify', '-q']}",
         "/argv/0"},
        {"{'name': 'n', 'type': 'command', 'argv': ['./notify']}", "/argv/0"},
        {"{'name': 'n', 'type': 'command', 'argv': ['/bin/x', 5]}", "/argv/1"},
        {"{'name': 'n', 'type': 'command', 'argv': ['/bin/x', 'a\\u0000b']}",
         "/argv/1"},
        //  env
        {"{" S_COMMAND ", 'env': 'A=1'}", "/env"},
        {"{" S_COMMAND ", 'env': {'A-B': '1'}}", "/env/A-B"},
        {"{" S_COMMAND ", 'env': {'A': 1}}", "/env/A"},
        {"{" S_COMMAND ", 'env': {'A': '${'}}", "/env/A"},
        {"{" S_COMMAND ", 'env': {'WATERSHED_GOAL': 'x'}}",
         "/env/WATERSHED_GOAL"},
        //  timeout
        {"{" S_COMMAND ", 'timeout': 'soon'}", "/timeout"},
        {"{" S_COMMAND ", 'timeout': '10ms'}", "/timeout"},
        {"{" S_COMMAND ", 'timeout': '2h'}", "/timeout"},
        {"{" S_COMMAND ", 'timeout': -1}", "/timeout"},
        //  match
        {"{" S_WEBHOOK ", 'match': []}", "/match"},
        {"{" S_WEBHOOK ", 'match': {'goal': ['g']}}", "/match/goal"},
        {"{" S_WEBHOOK ", 'match': {'goals': 'g'}}", "/match/goals"},
        {"{" S_WEBHOOK ", 'match': {'goals': []}}", "/match/goals"},
        {"{" S_WEBHOOK ", 'match': {'goals': ['g', 'b a d']}}",
         "/match/goals/1"},
        {"{" S_WEBHOOK ", 'match': {'campaigns': [7]}}", "/match/campaigns/0"},
        {"{" S_WEBHOOK ", 'match': {'kinds': ['slipped', 'exploded']}}",
         "/match/kinds/1"},
        {"{" S_WEBHOOK ", 'match': {'labels': ['team']}}", "/match/labels"},
        {"{" S_WEBHOOK ", 'match': {'labels': {'team': 1}}}",
         "/match/labels/team"},
        {"{" S_WEBHOOK ", 'match': {'labels': {'9x': 'a'}}}",
         "/match/labels/9x"},
        {"{" S_WEBHOOK ", 'match': {'min_severity': 'fatal'}}",
         "/match/min_severity"},
        {"{" S_WEBHOOK ", 'match': {'min_severity': 2}}",
         "/match/min_severity"},
        //  repeat_interval: 0 or 1m..30d
        {"{" S_WEBHOOK ", 'repeat_interval': '30s'}", "/repeat_interval"},
        {"{" S_WEBHOOK ", 'repeat_interval': '4 hours'}", "/repeat_interval"},
        {"{" S_WEBHOOK ", 'repeat_interval': '-4h'}", "/repeat_interval"},
        {"{" S_WEBHOOK ", 'repeat_interval': '31d'}", "/repeat_interval"},
        {"{" S_WEBHOOK ", 'repeat_interval': true}", "/repeat_interval"},
        //  send_resolved
        {"{" S_WEBHOOK ", 'send_resolved': 'yes'}", "/send_resolved"},
        {"{" S_WEBHOOK ", 'send_resolved': 1}", "/send_resolved"},
        //  max_age: 1m..30d, never 0
        {"{" S_WEBHOOK ", 'max_age': '0s'}", "/max_age"},
        {"{" S_WEBHOOK ", 'max_age': '10s'}", "/max_age"},
        {"{" S_WEBHOOK ", 'max_age': '60d'}", "/max_age"},
        {"{" S_WEBHOOK ", 'max_age': null}", "/max_age"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *def = s_json (bad[i].text);
        ws_err_t err;
        ws_hook_t *hook = ws_hook_new (def, &err);
        if (hook)
            fail_msg ("accepted: %s", bad[i].text);
        if (strcmp (err.where, bad[i].where) != 0)
            fail_msg ("%s: where %s, expected %s (%s)", bad[i].text, err.where,
                      bad[i].where, err.text);
        //  The text names the field too.
        if (*bad[i].where
            && strncmp (err.text, bad[i].where, strlen (bad[i].where)) != 0)
            fail_msg ("%s: text '%s' does not start with %s", bad[i].text,
                      err.text, bad[i].where);
        assert_int_equal (err.code, WS_ERR_INPUT);
        json_decref (def);
    }

    //  Messages a reader can act on.
    json_t *def = s_json ("{" S_WEBHOOK ", 'repeat_interval': '30s'}");
    ws_err_t err;
    assert_null (ws_hook_new (def, &err));
    assert_non_null (strstr (err.text, "30s is out of range"));
    assert_non_null (strstr (err.text, "0 (never) or 1m to 30d"));
    json_decref (def);
    def = s_json ("{'name': 'n', 'type': 'command', 'argv': ['notify']}");
    assert_null (ws_hook_new (def, &err));
    assert_non_null (strstr (err.text, "absolute path"));
    json_decref (def);
    def = s_json ("{" S_COMMAND ", 'url': 'https://h/x'}");
    assert_null (ws_hook_new (def, &err));
    assert_non_null (strstr (err.text, "not a key of a command hook"));
    json_decref (def);
}

static bool
s_matches (ws_hook_t *hook, const char *alert_text)
{
    json_t *alert = s_json (alert_text);
    bool matches = ws_hook_matches (hook, alert);
    json_decref (alert);
    return matches;
}

static void
test_matches (void **state)
{
    (void) state;
    //  No match: anything.
    ws_hook_t *hook = s_hook ("{" S_WEBHOOK "}");
    assert_true (s_matches (hook, "{'kind': 'slipped', 'severity': 'info'}"));
    assert_true (s_matches (hook, "{'kind': 'trend'}"));
    assert_true (s_matches (hook, "{'kind': 'recovered', 'goal': 'g'}"));
    assert_true (s_matches (hook, "{}"));
    assert_false (s_matches (hook, "[]"));
    ws_hook_destroy (&hook);

    hook = s_hook ("{" S_WEBHOOK ", 'match': {'campaigns': ['q1-eu', 'q2'], "
                   "'goals': ['g1', 'g2'], 'labels': {'team': 'growth', "
                   "'region': 'eu'}, 'kinds': ['slipped', 'recovered'], "
                   "'min_severity': 'warning'}}");
    const char *base = "'campaign': 'q2', 'goal': 'g2', 'labels': {'team': "
                       "'growth', 'region': 'eu', 'tier': 'x'}";
    char text[512];
    snprintf (text, sizeof text,
              "{%s, 'kind': 'slipped', 'severity': "
              "'warning'}",
              base);
    assert_true (s_matches (hook, text));
    snprintf (text, sizeof text,
              "{%s, 'kind': 'recovered', 'severity': "
              "'critical'}",
              base);
    assert_true (s_matches (hook, text));
    //  each criterion on its own
    snprintf (text, sizeof text,
              "{%s, 'kind': 'missed', 'severity': "
              "'critical'}",
              base);
    assert_false (s_matches (hook, text));
    snprintf (text, sizeof text,
              "{%s, 'kind': 'slipped', 'severity': "
              "'info'}",
              base);
    assert_false (s_matches (hook, text));
    snprintf (text, sizeof text,
              "{%s, 'kind': 'slipped', 'severity': "
              "'bogus'}",
              base);
    assert_false (s_matches (hook, text));
    snprintf (text, sizeof text, "{%s, 'kind': 'slipped'}", base);
    assert_false (s_matches (hook, text));
    assert_false (s_matches (
        hook, "{'campaign': 'q3', 'goal': 'g2', 'labels': {'team': 'growth', "
              "'region': 'eu'}, 'kind': 'slipped', 'severity': 'critical'}"));
    assert_false (s_matches (
        hook, "{'campaign': 'q2', 'goal': 'g3', 'labels': {'team': 'growth', "
              "'region': 'eu'}, 'kind': 'slipped', 'severity': 'critical'}"));
    assert_false (s_matches (
        hook, "{'campaign': 'q2', 'goal': 'g2', 'labels': {'team': 'growth', "
              "'region': 'us'}, 'kind': 'slipped', 'severity': 'critical'}"));
    assert_false (s_matches (
        hook, "{'campaign': 'q2', 'goal': 'g2', 'labels': {'team': 'growth'}, "
              "'kind': 'slipped', 'severity': 'critical'}"));
    //  no goal or campaign in the alert (a trend's) fails a list
    assert_false (s_matches (
        hook, "{'labels': {'team': 'growth', 'region': 'eu'}, 'kind': "
              "'slipped', 'severity': 'critical'}"));
    assert_false (s_matches (
        hook, "{'campaign': null, 'goal': 'g2', 'labels': {'team': 'growth', "
              "'region': 'eu'}, 'kind': 'slipped', 'severity': 'critical'}"));
    ws_hook_destroy (&hook);

    //  min_severity alone: critical takes only critical.
    hook = s_hook ("{" S_WEBHOOK ", 'match': {'min_severity': 'critical'}}");
    assert_true (s_matches (hook, "{'kind': 'trend', 'severity': 'critical'}"));
    assert_false (s_matches (hook, "{'kind': 'trend', 'severity': 'warning'}"));
    ws_hook_destroy (&hook);
    hook = s_hook ("{" S_WEBHOOK ", 'match': {'min_severity': 'info'}}");
    assert_true (s_matches (hook, "{'kind': 'trend', 'severity': 'info'}"));
    assert_false (s_matches (hook, "{'kind': 'trend'}"));
    ws_hook_destroy (&hook);

    //  send_resolved false: no recovered or achieved notices.
    hook = s_hook ("{" S_COMMAND ", 'send_resolved': false}");
    assert_true (s_matches (hook, "{'kind': 'slipped'}"));
    assert_true (s_matches (hook, "{'kind': 'missed'}"));
    assert_false (s_matches (hook, "{'kind': 'recovered'}"));
    assert_false (s_matches (hook, "{'kind': 'achieved'}"));
    ws_hook_destroy (&hook);
}

static void
test_silences (void **state)
{
    (void) state;
    //  Valid forms.
    ws_err_t err;
    json_t *def =
        s_json ("{'goal': 'eu-signups', 'until': 2000, 'reason': 'known'}");
    json_t *normal = ws_hook_silence_check (def, &err);
    if (!normal)
        fail_msg ("%s", err.text);
    assert_true (json_equal (normal, def));
    json_decref (normal);
    json_decref (def);

    static const struct {
        const char *text, *where;
    } bad[] = {
        {"[]", ""},
        {"{'until': 2000, 'reason': 'r'}", ""},
        {"{'goal': 'g', 'campaign': 'c', 'until': 2000, 'reason': 'r'}", ""},
        {"{'goal': 'g', 'until': 2000, 'reason': 'r', 'by': 'me'}", "/by"},
        {"{'goal': 'b a d', 'until': 2000, 'reason': 'r'}", "/goal"},
        {"{'campaign': 5, 'until': 2000, 'reason': 'r'}", "/campaign"},
        {"{'labels': {}, 'until': 2000, 'reason': 'r'}", "/labels"},
        {"{'labels': 'team=a', 'until': 2000, 'reason': 'r'}", "/labels"},
        {"{'labels': {'team': 1}, 'until': 2000, 'reason': 'r'}",
         "/labels/team"},
        {"{'goal': 'g', 'reason': 'r'}", "/until"},
        {"{'goal': 'g', 'until': '2027-01-01', 'reason': 'r'}", "/until"},
        {"{'goal': 'g', 'until': 1.5, 'reason': 'r'}", "/until"},
        {"{'goal': 'g', 'until': -1, 'reason': 'r'}", "/until"},
        {"{'goal': 'g', 'until': 2000}", "/reason"},
        {"{'goal': 'g', 'until': 2000, 'reason': ''}", "/reason"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        def = s_json (bad[i].text);
        normal = ws_hook_silence_check (def, &err);
        if (normal)
            fail_msg ("accepted: %s", bad[i].text);
        if (strcmp (err.where, bad[i].where) != 0)
            fail_msg ("%s: where %s, expected %s (%s)", bad[i].text, err.where,
                      bad[i].where, err.text);
        json_decref (def);
    }

    //  Which silence applies.
    json_t *silences = s_json (
        "[{'goal': 'g1', 'until': 1000, 'reason': 'expired'},"
        " {'goal': 'g1', 'campaign': 'c9', 'until': 9000, 'reason': 'bad'},"
        " {'labels': {}, 'until': 9000, 'reason': 'bad: empty'},"
        " {'goal': 'g2', 'until': 5000, 'reason': 'g2 known'},"
        " {'campaign': 'c1', 'until': 5000, 'reason': 'c1 paused'},"
        " {'labels': {'team': 'ops', 'region': 'eu'}, 'until': 5000, "
        "  'reason': 'ops eu'}]");
    json_t *alert = s_json ("{'kind': 'slipped', 'goal': 'g1'}");
    //  expired, and the invalid ones never apply
    assert_null (ws_hook_silenced (silences, alert, 2000));
    //  until itself is past
    json_decref (alert);
    alert = s_json ("{'kind': 'slipped', 'goal': 'g2'}");
    assert_ptr_equal (ws_hook_silenced (silences, alert, 4999),
                      json_array_get (silences, 3));
    assert_null (ws_hook_silenced (silences, alert, 5000));
    json_decref (alert);
    alert = s_json ("{'kind': 'missed', 'goal': 'g7', 'campaign': 'c1'}");
    assert_ptr_equal (ws_hook_silenced (silences, alert, 100),
                      json_array_get (silences, 4));
    json_decref (alert);
    alert = s_json ("{'kind': 'trend', 'labels': {'team': 'ops', 'region': "
                    "'eu', 'x': 'y'}}");
    assert_ptr_equal (ws_hook_silenced (silences, alert, 100),
                      json_array_get (silences, 5));
    json_decref (alert);
    alert = s_json ("{'kind': 'trend', 'labels': {'team': 'ops'}}");
    assert_null (ws_hook_silenced (silences, alert, 100));
    json_decref (alert);
    //  The stored form ('silence list') names the other targets null.
    json_t *stored = s_json ("[{'id': 4, 'goal': 'g3', 'campaign': null, "
                             "'labels': null, 'until': 5000, 'reason': 'r', "
                             "'active': true}]");
    alert = s_json ("{'kind': 'slipped', 'goal': 'g3'}");
    assert_ptr_equal (ws_hook_silenced (stored, alert, 100),
                      json_array_get (stored, 0));
    json_decref (stored);
    json_decref (alert);
    alert = s_json ("{'kind': 'trend'}");
    assert_null (ws_hook_silenced (silences, alert, 100));
    assert_null (ws_hook_silenced (NULL, alert, 100));
    json_decref (alert);
    json_decref (silences);
}

static void
test_check_set (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *doc =
        s_json ("{'hooks': [{" S_WEBHOOK "}, {" S_COMMAND ", 'timeout': 5}]}");
    json_t *set = ws_campaign_check_set (doc, &err);
    if (!set)
        fail_msg ("%s", err.text);
    json_t *hooks = json_object_get (set, "hooks");
    assert_int_equal (json_array_size (hooks), 2);
    assert_string_equal (json_string_value (json_object_get (
                             json_array_get (hooks, 1), "timeout")),
                         "5s");
    json_decref (set);
    json_decref (doc);

    static const struct {
        const char *text, *where;
    } bad[] = {
        {"{'hooks': {}}", "/hooks"},
        {"{'hooks': [{" S_WEBHOOK "}, {" S_WEBHOOK ", 'format': 'slack'}]}",
         "/hooks/1/name"},
        {"{'hooks': [{" S_WEBHOOK "}, {" S_COMMAND
         ", 'repeat_interval': '5s'}]}",
         "/hooks/1/repeat_interval"},
        {"{'hooks': [{'name': 'c', 'type': 'command', 'argv': ['sh']}]}",
         "/hooks/0/argv/0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        doc = s_json (bad[i].text);
        set = ws_campaign_check_set (doc, &err);
        if (set)
            fail_msg ("accepted: %s", bad[i].text);
        if (strcmp (err.where, bad[i].where) != 0)
            fail_msg ("%s: where %s, expected %s (%s)", bad[i].text, err.where,
                      bad[i].where, err.text);
        json_decref (doc);
    }
}

//  ${NAME} from the environment, $$ a dollar; an unset name is pointed
//  at, a malformed template refused; values are copied as they are.
static void
test_expand (void **state)
{
    (void) state;
    setenv ("WS_TEST_TOKEN", "s3cr$t;$(id)\n", 1);
    unsetenv ("WS_TEST_UNSET");
    const char *missing;
    size_t len;
    char *text =
        ws_hook_expand ("Bearer ${WS_TEST_TOKEN} costs $$5", &missing, &len);
    assert_non_null (text);
    assert_string_equal (text, "Bearer s3cr$t;$(id)\n costs $5");
    free (text);
    text = ws_hook_expand ("", &missing, &len);
    assert_string_equal (text, "");
    free (text);
    assert_null (ws_hook_expand ("a ${WS_TEST_UNSET} b", &missing, &len));
    assert_non_null (missing);
    assert_int_equal (len, 13);
    assert_memory_equal (missing, "WS_TEST_UNSET", 13);
    static const char *const bad[] = {"$",  "${",     "${}",     "${1X}",
                                      "$X", "${A-B}", "x ${OPEN"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null (ws_hook_expand (bad[i], &missing, &len));
        assert_null (missing);
    }
}

//  The retry policy: which failures are tried again, and when.
static void
test_retry_policy (void **state)
{
    (void) state;
    //  Tried again: no answer, a timeout, 5xx, 408, 425, 429, a command.
    assert_true (ws_hook_retryable ("net", 0));
    assert_true (ws_hook_retryable ("timeout", 0));
    assert_true (ws_hook_retryable ("http", 500));
    assert_true (ws_hook_retryable ("http", 503));
    assert_true (ws_hook_retryable ("http", 408));
    assert_true (ws_hook_retryable ("http", 425));
    assert_true (ws_hook_retryable ("http", 429));
    assert_true (ws_hook_retryable (NULL, 0));
    //  Not: what the receiver means (4xx) and redirects.
    assert_false (ws_hook_retryable ("http", 400));
    assert_false (ws_hook_retryable ("http", 401));
    assert_false (ws_hook_retryable ("http", 404));
    assert_false (ws_hook_retryable ("http", 410));
    assert_false (ws_hook_retryable ("http", 302));
    //  Doubling from the base, capped, jitter 0.5..1.5.
    assert_int_equal (ws_hook_backoff (1000, 300000, 1, 0.5), 1000);
    assert_int_equal (ws_hook_backoff (1000, 300000, 2, 0.5), 2000);
    assert_int_equal (ws_hook_backoff (1000, 300000, 5, 0.5), 16000);
    assert_int_equal (ws_hook_backoff (1000, 300000, 30, 0.5), 300000);
    assert_int_equal (ws_hook_backoff (1000, 300000, 1000, 0.5), 300000);
    assert_int_equal (ws_hook_backoff (1000, 300000, 1, 0.0), 500);
    assert_true (ws_hook_backoff (1000, 300000, 1, 0.999999) < 1500);
    assert_int_equal (ws_hook_backoff (1000, 300000, 3, 0.25), 3000);
    //  A unit out of [0, 1) is taken as the middle.
    assert_int_equal (ws_hook_backoff (1000, 300000, 1, 7.0), 1000);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_webhook_valid),
        cmocka_unit_test (test_command_valid),
        cmocka_unit_test (test_hook_invalid),
        cmocka_unit_test (test_matches),
        cmocka_unit_test (test_silences),
        cmocka_unit_test (test_check_set),
        cmocka_unit_test (test_expand),
        cmocka_unit_test (test_retry_policy),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
