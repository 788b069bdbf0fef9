//  test_ws_campaign - campaigns, activities and the check of an apply
//  file: valid forms round-trip through to_json, every invalid one is
//  refused with err->where pointing at the field.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ws_campaign.h"

static json_t *
s_json (const char *text)
{
    json_error_t error;
    json_t *json = json_loads (text, JSON_DECODE_ANY, &error);
    if (!json)
        fail_msg ("test JSON: %s: %s", text, error.text);
    return json;
}

#define S_CAMPAIGN                                                             \
    "\"name\": \"q1-eu\", \"objective\": \"EU trial growth\", \"channel\": "   \
    "\"email\", \"start\": \"2027-01-04\", \"end\": \"2027-04-04\""

static void
test_campaign_valid (void **state)
{
    (void) state;
    json_t *def = s_json ("{" S_CAMPAIGN ", \"budget\": 25000}");
    ws_err_t err;
    ws_campaign_t *campaign = ws_campaign_new (def, &err);
    if (!campaign)
        fail_msg ("%s", err.text);
    assert_string_equal (ws_campaign_name (campaign), "q1-eu");
    assert_string_equal (ws_campaign_channel (campaign), "email");
    double budget = 0;
    assert_true (ws_campaign_budget (campaign, &budget));
    assert_true (budget == 25000);
    assert_true (ws_campaign_end (campaign) - ws_campaign_start (campaign)
                 == 90LL * 86400000);
    json_t *normal = ws_campaign_to_json (campaign);
    assert_string_equal (json_string_value (json_object_get (normal, "start")),
                         "2027-01-04T00:00:00Z");
    //  The normalised form reads back unchanged.
    ws_campaign_t *again = ws_campaign_new (normal, &err);
    assert_non_null (again);
    json_t *normal2 = ws_campaign_to_json (again);
    assert_true (json_equal (normal, normal2));
    json_decref (normal2);
    ws_campaign_destroy (&again);
    json_decref (normal);
    ws_campaign_destroy (&campaign);
    ws_campaign_destroy (&campaign);
    json_decref (def);

    //  No budget: none in the normal form.
    def = s_json ("{" S_CAMPAIGN "}");
    campaign = ws_campaign_new (def, &err);
    assert_non_null (campaign);
    assert_false (ws_campaign_budget (campaign, NULL));
    normal = ws_campaign_to_json (campaign);
    assert_null (json_object_get (normal, "budget"));
    json_decref (normal);
    ws_campaign_destroy (&campaign);
    json_decref (def);
}

static void
s_refused_campaign (const char *text, const char *where)
{
    json_t *def = s_json (text);
    ws_err_t err;
    ws_campaign_t *campaign = ws_campaign_new (def, &err);
    if (campaign)
        fail_msg ("accepted: %s", text);
    assert_int_equal (err.code, WS_ERR_INPUT);
    if (strcmp (err.where, where) != 0)
        fail_msg ("%s: where %s, expected %s (%s)", text, err.where, where,
                  err.text);
    assert_non_null (strstr (err.text, where));
    json_decref (def);
}

static void
test_campaign_invalid (void **state)
{
    (void) state;
    s_refused_campaign ("[]", "");
    s_refused_campaign ("{" S_CAMPAIGN ", \"budjet\": 1}", "/budjet");
    s_refused_campaign ("{" S_CAMPAIGN ", \"budget\": -1}", "/budget");
    s_refused_campaign ("{" S_CAMPAIGN ", \"budget\": \"lots\"}", "/budget");
    s_refused_campaign (
        "{\"name\": \"a b\", \"objective\": \"o\", \"channel\": "
        "\"c\", \"start\": \"2027-01-01\", \"end\": "
        "\"2027-02-01\"}",
        "/name");
    s_refused_campaign ("{\"name\": \"a\", \"channel\": \"c\", \"start\": "
                        "\"2027-01-01\", \"end\": \"2027-02-01\"}",
                        "/objective");
    s_refused_campaign ("{\"name\": \"a\", \"objective\": \"o\", \"channel\": "
                        "\"\", \"start\": \"2027-01-01\", \"end\": "
                        "\"2027-02-01\"}",
                        "/channel");
    s_refused_campaign ("{\"name\": \"a\", \"objective\": \"o\", \"channel\": "
                        "\"c\", \"start\": \"January\", \"end\": "
                        "\"2027-02-01\"}",
                        "/start");
    s_refused_campaign ("{\"name\": \"a\", \"objective\": \"o\", \"channel\": "
                        "\"c\", \"start\": \"2027-03-01\", \"end\": "
                        "\"2027-02-01\"}",
                        "/end");
}

static void
test_activity (void **state)
{
    (void) state;
    json_t *def = s_json (
        "{\"campaign\": \"q1-eu\", \"kind\": \"social_post\", \"at\": "
        "\"2027-01-10 10:00+01:00\", \"segment\": {\"region\": \"eu\"}, "
        "\"note\": \"launch\"}");
    ws_err_t err;
    ws_activity_t *activity = ws_activity_new (def, &err);
    if (!activity)
        fail_msg ("%s", err.text);
    assert_string_equal (ws_activity_kind (activity), "social_post");
    assert_string_equal (ws_activity_note (activity), "launch");
    assert_string_equal (json_string_value (json_object_get (
                             ws_activity_segment (activity), "region")),
                         "eu");
    json_t *normal = ws_activity_to_json (activity);
    assert_string_equal (json_string_value (json_object_get (normal, "at")),
                         "2027-01-10T09:00:00Z");
    ws_activity_t *again = ws_activity_new (normal, &err);
    assert_non_null (again);
    json_t *normal2 = ws_activity_to_json (again);
    assert_true (json_equal (normal, normal2));
    json_decref (normal2);
    json_decref (normal);
    ws_activity_destroy (&again);
    ws_activity_destroy (&activity);
    json_decref (def);

    static const struct {
        const char *text, *where;
    } bad[] = {
        {"{\"campaign\": \"c\", \"kind\": \"fax\", \"at\": \"2027-01-10\"}",
         "/kind"},
        {"{\"campaign\": \"c\", \"kind\": \"email\"}", "/at"},
        {"{\"kind\": \"email\", \"at\": \"2027-01-10\"}", "/campaign"},
        {"{\"campaign\": \"c\", \"kind\": \"event\", \"at\": \"2027-01-10\", "
         "\"segment\": {\"region\": 1}}",
         "/segment/region"},
        {"{\"campaign\": \"c\", \"kind\": \"event\", \"at\": \"2027-01-10\", "
         "\"segment\": {\"bad-name\": \"x\"}}",
         "/segment/bad-name"},
        {"{\"campaign\": \"c\", \"kind\": \"event\", \"at\": \"2027-01-10\", "
         "\"note\": 5}",
         "/note"},
        {"{\"campaign\": \"c\", \"kind\": \"event\", \"at\": \"2027-01-10\", "
         "\"when\": \"now\"}",
         "/when"},
        {"\"email\"", ""}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        def = s_json (bad[i].text);
        activity = ws_activity_new (def, &err);
        if (activity)
            fail_msg ("accepted: %s", bad[i].text);
        if (strcmp (err.where, bad[i].where) != 0)
            fail_msg ("%s: where %s, expected %s (%s)", bad[i].text, err.where,
                      bad[i].where, err.text);
        json_decref (def);
    }
}

static void
test_check_set (void **state)
{
    (void) state;
    ws_err_t err;
    json_t *doc = s_json (
        "{\"campaigns\": [{" S_CAMPAIGN "}], \"goals\": [{\"name\": \"g\", "
        "\"kind\": \"total\", \"direction\": \"at_least\", \"target\": 100, "
        "\"start\": \"2027-01-04\", "
        "\"deadline\": \"2027-04-04\", \"metric\": \"signups\", "
        "\"campaign\": \"q1-eu\"}], \"activities\": [{\"campaign\": "
        "\"q1-eu\", \"kind\": \"email\", \"at\": \"2027-01-10\"}]}");
    json_t *set = ws_campaign_check_set (doc, &err);
    if (!set)
        fail_msg ("%s", err.text);
    assert_null (json_object_get (set, "sources"));
    assert_int_equal (json_array_size (json_object_get (set, "goals")), 1);
    json_t *goal = json_array_get (json_object_get (set, "goals"), 0);
    assert_string_equal (json_string_value (json_object_get (goal, "deadline")),
                         "2027-04-04T00:00:00Z");
    json_decref (set);
    json_decref (doc);

    static const struct {
        const char *text, *where;
    } bad[] = {
        {"{\"sauces\": []}", "/sauces"},
        {"{\"goals\": {}}", "/goals"},
        {"[]", ""},
        {"{\"goals\": [{\"name\": \"g\", \"kind\": \"total\", \"target\": "
         "\"many\", \"direction\": \"at_least\", \"start\": \"2027-01-04\", "
         "\"deadline\": "
         "\"2027-04-04\"}]}",
         "/goals/0/target"},
        {"{\"campaigns\": [{" S_CAMPAIGN "}, {" S_CAMPAIGN "}]}",
         "/campaigns/1/name"},
        {"{\"activities\": [{\"campaign\": \"c\", \"kind\": \"email\", "
         "\"at\": \"2027-01-10\"}, {\"campaign\": \"c\", \"kind\": "
         "\"email\", \"at\": \"2027-01-10T00:00:00Z\"}]}",
         "/activities/1"},
        {"{\"activities\": [{\"campaign\": \"c\", \"kind\": \"email\", "
         "\"at\": \"2027-01-10\", \"segment\": []}]}",
         "/activities/0/segment"},
        {"{\"sources\": [{\"name\": \"s\"}]}", "/sources/0/url"}};
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_campaign_valid),
        cmocka_unit_test (test_campaign_invalid),
        cmocka_unit_test (test_activity),
        cmocka_unit_test (test_check_set),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
