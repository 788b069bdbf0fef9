//  test_ws_alert_payload - notification bodies and signatures: HMAC-SHA256
//  against RFC 4231, sign and verify (tampered body, old and future
//  timestamps, bad headers), the fields of each format for a slipped and
//  a recovered goal alert and a trend alert, one kind per notification,
//  refused inputs naming the field, and hostile text staying valid JSON.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_alert_payload.h"

static json_t *
s_json (const char *text)
{
    json_error_t error;
    json_t *json = json_loads (text, JSON_DECODE_ANY, &error);
    if (!json)
        fail_msg ("test JSON: %s: %s", text, error.text);
    return json;
}

static void
s_hex (const unsigned char *bytes, size_t count, char *out)
{
    for (size_t i = 0; i < count; i++)
        sprintf (out + 2 * i, "%02x", bytes[i]);
}

//  ---------------------------------------------------------------------
//  RFC 4231, section 4: HMAC-SHA-256 test cases 1 to 7.

static void
test_hmac_rfc4231 (void **state)
{
    (void) state;
    unsigned char key_0b[20], key_aa20[20], key_25[25], key_0c[20],
        key_aa131[131], data_dd[50], data_cd[50];
    memset (key_0b, 0x0b, sizeof key_0b);
    memset (key_aa20, 0xaa, sizeof key_aa20);
    for (int i = 0; i < 25; i++)
        key_25[i] = (unsigned char) (i + 1);
    memset (key_0c, 0x0c, sizeof key_0c);
    memset (key_aa131, 0xaa, sizeof key_aa131);
    memset (data_dd, 0xdd, sizeof data_dd);
    memset (data_cd, 0xcd, sizeof data_cd);
    const char *large_data =
        "This is a test using a larger than block-size key and a larger "
        "than block-size data. The key needs to be hashed before being "
        "used by the HMAC algorithm.";
    struct {
        const void *key;
        size_t key_len;
        const void *data;
        size_t len;
        const char *hex;  //  case 5 is truncated to 128 bits
    } cases[] = {
        {key_0b, 20, "Hi There", 8,
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", 4, "what do ya want for nothing?", 28,
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {key_aa20, 20, data_dd, 50,
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {key_25, 25, data_cd, 50,
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {key_0c, 20, "Test With Truncation", 20,
         "a3b6167473100ee06e0c796c2955552b"},
        {key_aa131, 131,
         "Test Using Larger Than Block-Size Key - Hash Key First", 54,
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {key_aa131, 131, large_data, strlen (large_data),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char mac[32];
        char hex[65];
        assert_int_equal (ws_alert_hmac_sha256 (cases[i].key, cases[i].key_len,
                                                cases[i].data, cases[i].len,
                                                mac),
                          0);
        s_hex (mac, 32, hex);
        assert_memory_equal (hex, cases[i].hex, strlen (cases[i].hex));
    }
}

//  ---------------------------------------------------------------------
//  Sign and verify

static void
test_sign_verify (void **state)
{
    (void) state;
    const char *secret = "whsec_test";
    const char *body = "{\"a\":1}";
    char header[WS_ALERT_SIGNATURE_MAX];
    ws_err_t err;
    assert_int_equal (ws_alert_sign (secret, strlen (secret), 1790000000, body,
                                     strlen (body), header, &err),
                      0);
    //  Computed independently: Python's hmac over "1790000000.{"a":1}".
    assert_string_equal (header,
                         "t=1790000000,v1=f08690bbaaecbd1607eb9af71f092a9f7054"
                         "e2b83f8b9d6a0690744d24fc6059");
    assert_int_equal (ws_alert_verify (secret, strlen (secret), header, body,
                                       strlen (body), 1790000100, 300, &err),
                      0);

    //  Tampered body, wrong secret.
    const char *tampered = "{\"a\":2}";
    assert_int_equal (ws_alert_verify (secret, strlen (secret), header,
                                       tampered, strlen (tampered), 1790000000,
                                       300, &err),
                      -1);
    assert_non_null (strstr (err.text, "wrong signature"));
    assert_int_equal (ws_alert_verify ("other", 5, header, body, strlen (body),
                                       1790000000, 300, &err),
                      -1);
    assert_non_null (strstr (err.text, "wrong signature"));
    assert_null (strstr (err.text, secret));

    //  Too old (a replay) and too far in the future.
    assert_int_equal (ws_alert_verify (secret, strlen (secret), header, body,
                                       strlen (body), 1790000301, 300, &err),
                      -1);
    assert_non_null (strstr (err.text, "replay window"));
    assert_int_equal (ws_alert_verify (secret, strlen (secret), header, body,
                                       strlen (body), 1789999000, 300, &err),
                      -1);
    assert_non_null (strstr (err.text, "future"));

    //  A header with the timestamp changed: the HMAC covers it.
    char moved[WS_ALERT_SIGNATURE_MAX];
    snprintf (moved, sizeof moved, "t=1790000001%s", strchr (header, ','));
    assert_int_equal (ws_alert_verify (secret, strlen (secret), moved, body,
                                       strlen (body), 1790000000, 300, &err),
                      -1);
    assert_non_null (strstr (err.text, "wrong signature"));

    //  Secret rotation: any one v1 may match; unknown schemes skipped.
    char rotated[300];
    snprintf (rotated, sizeof rotated, "t=1790000000,v0=abc,v1=%064d,%s", 0,
              strchr (header, 'v'));
    assert_int_equal (ws_alert_verify (secret, strlen (secret), rotated, body,
                                       strlen (body), 1790000000, 300, &err),
                      0);

    //  Malformed headers.
    const char *bad[] = {
        "",
        "t=1790000000",
        "v1=f08690bbaaecbd1607eb9af71f092a9f7054e2b83f8b9d6a06"
        "90744d24fc6059",
        "t=17x,v1=f08690bbaaecbd1607eb9af71f092a9f7054e2b83f8b"
        "9d6a0690744d24fc6059",
        "t=1790000000,v1=f086",
        "t=1790000000,v1=g08690bbaaecbd1607eb9af71f092a9f7054e2"
        "b83f8b9d6a0690744d24fc6059",
        "t=1790000000,t=1790000000,v1=f08690bbaaecbd1607eb9af7"
        "1f092a9f7054e2b83f8b9d6a0690744d24fc6059",
        "garbage",
        "=1,v1=2",
        NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal (ws_alert_verify (secret, strlen (secret), bad[i],
                                           body, strlen (body), 1790000000, 300,
                                           &err),
                          -1);
        assert_true (strstr (err.text, "bad format")
                     || strstr (err.text, "missing"));
    }
    assert_int_equal (ws_alert_verify (secret, strlen (secret), NULL, body,
                                       strlen (body), 1790000000, 300, &err),
                      -1);

    //  An empty secret signs nothing.
    assert_int_equal (
        ws_alert_sign ("", 0, 1, body, strlen (body), header, &err), -1);
    assert_non_null (strstr (err.text, "secret is empty"));
    assert_int_equal (ws_alert_sign (secret, strlen (secret), -5, body,
                                     strlen (body), header, &err),
                      -1);

    //  A large body with NUL bytes: signed by length, not by C string.
    size_t large = 1 << 20;
    char *big = calloc (large, 1);
    assert_non_null (big);
    big[large - 1] = 'x';
    assert_int_equal (
        ws_alert_sign (secret, strlen (secret), 42, big, large, header, &err),
        0);
    assert_int_equal (ws_alert_verify (secret, strlen (secret), header, big,
                                       large, 42, 0, &err),
                      0);
    big[0] = 'y';
    assert_int_equal (ws_alert_verify (secret, strlen (secret), header, big,
                                       large, 42, 0, &err),
                      -1);
    free (big);
}

//  ---------------------------------------------------------------------
//  Alerts

//  2027-03-02T09:15:04Z
#define S_CREATED 1803978904000LL
#define S_NOW (S_CREATED + 1500)

//  A goal alert as the coordinator records it (s_goal_alert, s_evidence).
static json_t *
s_goal_alert (int64_t id, const char *goal, const char *kind,
              const char *severity, const char *from, const char *to)
{
    json_t *alert = s_json (
        "{\"evidence\": {\"goal\": \"g\", \"as_of\": \"2027-03-02T09:15:04Z\","
        " \"status\": \"off_track\", \"reported_status\": \"off_track\","
        " \"current\": 512, \"progress\": 0.4267, \"expected_progress\": 0.6,"
        " \"projected\": 950.4, \"projected_low\": 880, \"projected_high\": "
        "1020, \"required_rate\": 41.2, \"actual_rate\": 28.1,"
        " \"actual_rate_low\": 22, \"actual_rate_high\": 33.4, \"days_left\": "
        "23, \"days_ahead\": -9, \"n\": 37, \"window\": {\"from\": "
        "\"2027-01-04T00:00:00Z\", \"to\": \"2027-03-02T09:15:04Z\"},"
        " \"baseline\": 0, \"unit\": \"signups\", \"summary\": \"needs "
        "41/day\", \"newest_sample\": \"2027-03-02T09:00:00Z\", \"sources\": "
        "[{\"name\": \"eu\", \"failures\": 0, \"last_error\": null}]},"
        " \"series\": null, \"campaign\": \"spring\"}");
    json_object_set_new (alert, "id", json_integer (id));
    char fingerprint[200];
    snprintf (fingerprint, sizeof fingerprint, "goal/%lld/%lld/%s",
              (long long) id, (long long) S_CREATED, kind);
    json_object_set_new (alert, "fingerprint", json_string (fingerprint));
    json_object_set_new (alert, "kind", json_string (kind));
    json_object_set_new (alert, "severity", json_string (severity));
    json_object_set_new (alert, "from", json_string (from));
    json_object_set_new (alert, "to", json_string (to));
    json_object_set_new (alert, "goal", json_string (goal));
    size_t size = strlen (goal) + strlen (from) + strlen (to) + 100;
    char *summary = malloc (size);
    snprintf (summary, size, "goal '%s' %s: %s -> %s: needs 41/day", goal, kind,
              from, to);
    json_object_set_new (alert, "summary", json_string (summary));
    free (summary);
    json_object_set_new (alert, "created_at", json_integer (S_CREATED));
    return alert;
}

static json_t *
s_build (const char *format, json_t *alerts,
         const ws_alert_payload_opts_t *opts)
{
    char *body = NULL;
    const char *content_type = NULL;
    ws_err_t err;
    int rc = ws_alert_payload_build_with (format, alerts, "d-77", S_NOW, opts,
                                          &body, &content_type, &err);
    if (rc)
        fail_msg ("%s: %s", format, err.text);
    assert_string_equal (content_type, "application/json");
    json_error_t error;
    json_t *json = json_loads (body, 0, &error);
    if (!json)
        fail_msg ("%s body is not JSON: %s: %s", format, error.text, body);
    free (body);
    return json;
}

static const char *
s_at (json_t *json, const char *path)
{
    //  A tiny "a/b/0/c" walker for readable asserts.
    char copy[200];
    snprintf (copy, sizeof copy, "%s", path);
    json_t *at = json;
    for (char *part = strtok (copy, "/"); part && at;
         part = strtok (NULL, "/")) {
        if (json_is_array (at))
            at = json_array_get (at, (size_t) atoi (part));
        else
            at = json_object_get (at, part);
    }
    if (!at)
        fail_msg ("%s: missing", path);
    return json_string_value (at);
}

static json_t *
s_get (json_t *json, const char *path)
{
    char copy[200];
    snprintf (copy, sizeof copy, "%s", path);
    json_t *at = json;
    for (char *part = strtok (copy, "/"); part && at;
         part = strtok (NULL, "/")) {
        if (json_is_array (at))
            at = json_array_get (at, (size_t) atoi (part));
        else
            at = json_object_get (at, part);
    }
    return at;
}

static void
test_watershed_format (void **state)
{
    (void) state;
    json_t *alerts =
        json_pack ("[o, o]",
                   s_goal_alert (7, "eu-signups", "slipped", "critical",
                                 "on_track", "off_track"),
                   s_goal_alert (8, "us-signups", "slipped", "warning",
                                 "on_track", "at_risk"));
    json_t *body = s_build ("watershed", alerts, NULL);
    assert_int_equal (json_integer_value (s_get (body, "version")), 1);
    assert_string_equal (s_at (body, "delivery_id"), "d-77");
    assert_string_equal (s_at (body, "sent_at"), "2027-03-02T09:15:05.500Z");
    assert_string_equal (s_at (body, "kind"), "slipped");
    assert_int_equal (json_array_size (s_get (body, "alerts")), 2);
    assert_int_equal (json_integer_value (s_get (body, "alerts/0/id")), 7);
    assert_string_equal (s_at (body, "alerts/0/fingerprint"),
                         "goal/7/1803978904000/slipped");
    assert_string_equal (s_at (body, "alerts/0/kind"), "slipped");
    assert_string_equal (s_at (body, "alerts/0/severity"), "critical");
    assert_string_equal (s_at (body, "alerts/0/from"), "on_track");
    assert_string_equal (s_at (body, "alerts/0/to"), "off_track");
    assert_string_equal (s_at (body, "alerts/0/goal"), "eu-signups");
    assert_string_equal (s_at (body, "alerts/0/campaign"), "spring");
    assert_true (json_is_null (s_get (body, "alerts/0/series")));
    assert_string_equal (s_at (body, "alerts/0/created_at"),
                         "2027-03-02T09:15:04Z");
    assert_string_equal (s_at (body, "alerts/0/summary"),
                         "goal 'eu-signups' slipped: on_track -> off_track: "
                         "needs 41/day");
    assert_true (
        json_equal (s_get (body, "alerts/0/evidence"),
                    json_object_get (json_array_get (alerts, 0), "evidence")));
    assert_string_equal (s_at (body, "alerts/1/severity"), "warning");
    //  Every documented key is present, null when unknown.
    json_t *achieved =
        json_pack ("[o]", s_goal_alert (9, "g", "achieved", "info", "on_track",
                                        "achieved"));
    json_object_set_new (json_array_get (achieved, 0), "from", json_null ());
    json_object_del (json_array_get (achieved, 0), "campaign");
    json_t *second = s_build ("watershed", achieved, NULL);
    assert_true (json_is_null (s_get (second, "alerts/0/from")));
    assert_true (json_is_null (s_get (second, "alerts/0/campaign")));
    assert_int_equal (json_object_size (s_get (second, "alerts/0")), 12);
    json_decref (second);
    json_decref (achieved);
    json_decref (body);
    json_decref (alerts);
}

static void
test_alertmanager_format (void **state)
{
    (void) state;
    json_t *slipped =
        json_pack ("[o]", s_goal_alert (7, "eu-signups", "slipped", "critical",
                                        "on_track", "off_track"));
    ws_alert_payload_opts_t opts = {"ops-hook", "https://ws.example", 0};
    json_t *body = s_build ("alertmanager", slipped, &opts);
    //  Exactly the version 4 keys.
    const char *keys[] = {"receiver",
                          "status",
                          "alerts",
                          "groupLabels",
                          "commonLabels",
                          "commonAnnotations",
                          "externalURL",
                          "version",
                          "groupKey",
                          "truncatedAlerts",
                          NULL};
    for (size_t i = 0; keys[i]; i++)
        assert_non_null (json_object_get (body, keys[i]));
    assert_int_equal (json_object_size (body), 10);
    assert_string_equal (s_at (body, "version"), "4");
    assert_string_equal (s_at (body, "receiver"), "ops-hook");
    assert_string_equal (s_at (body, "status"), "firing");
    assert_string_equal (s_at (body, "externalURL"), "https://ws.example");
    assert_int_equal (json_integer_value (s_get (body, "truncatedAlerts")), 0);
    assert_string_equal (s_at (body, "groupKey"),
                         "{}:{alertname=\"watershed_goal\", kind=\"slipped\"}");
    assert_string_equal (s_at (body, "groupLabels/alertname"),
                         "watershed_goal");
    assert_string_equal (s_at (body, "groupLabels/kind"), "slipped");
    assert_string_equal (s_at (body, "alerts/0/status"), "firing");
    assert_string_equal (s_at (body, "alerts/0/labels/alertname"),
                         "watershed_goal");
    assert_string_equal (s_at (body, "alerts/0/labels/severity"), "critical");
    assert_string_equal (s_at (body, "alerts/0/labels/goal"), "eu-signups");
    assert_string_equal (s_at (body, "alerts/0/labels/campaign"), "spring");
    assert_string_equal (s_at (body, "alerts/0/labels/kind"), "slipped");
    assert_string_equal (s_at (body, "alerts/0/annotations/summary"),
                         "goal 'eu-signups' slipped: on_track -> off_track: "
                         "needs 41/day");
    const char *description = s_at (body, "alerts/0/annotations/description");
    assert_non_null (strstr (description, "Required rate: 41.2 signups/day"));
    assert_non_null (strstr (
        description, "Demonstrated rate: 28.1 signups/day (22 to 33.4)"));
    assert_non_null (strstr (
        description, "Projected at deadline: 950 signups (880 to 1020)"));
    assert_non_null (strstr (description, "Days left: 23"));
    assert_non_null (strstr (description, "Progress: 42.7% (expected 60%)"));
    assert_string_equal (s_at (body, "alerts/0/annotations/alert_id"), "7");
    json_t *evidence = s_json (s_at (body, "alerts/0/annotations/evidence"));
    assert_true (json_equal (
        evidence, json_object_get (json_array_get (slipped, 0), "evidence")));
    json_decref (evidence);
    assert_string_equal (s_at (body, "alerts/0/startsAt"),
                         "2027-03-02T09:15:04Z");
    assert_string_equal (s_at (body, "alerts/0/endsAt"),
                         "0001-01-01T00:00:00Z");
    assert_string_equal (s_at (body, "alerts/0/generatorURL"),
                         "https://ws.example/alerts/7");
    const char *fingerprint = s_at (body, "alerts/0/fingerprint");
    assert_int_equal (strlen (fingerprint), 16);
    assert_int_equal (strspn (fingerprint, "0123456789abcdef"), 16);
    assert_string_equal (s_at (body, "commonLabels/goal"), "eu-signups");

    //  The recovery of the same goal: resolved, ended at its creation,
    //  and the same fingerprint, so a receiver closes what it opened.
    json_t *recovered =
        json_pack ("[o]", s_goal_alert (8, "eu-signups", "recovered", "info",
                                        "off_track", "on_track"));
    json_t *resolved = s_build ("alertmanager", recovered, NULL);
    assert_string_equal (s_at (resolved, "status"), "resolved");
    assert_string_equal (s_at (resolved, "receiver"), "watershed");
    assert_string_equal (s_at (resolved, "externalURL"), "");
    assert_string_equal (s_at (resolved, "alerts/0/status"), "resolved");
    assert_string_equal (s_at (resolved, "alerts/0/endsAt"),
                         "2027-03-02T09:15:04Z");
    assert_string_equal (s_at (resolved, "alerts/0/generatorURL"), "");
    assert_string_equal (s_at (resolved, "alerts/0/fingerprint"), fingerprint);
    json_t *achieved =
        json_pack ("[o]", s_goal_alert (9, "eu-signups", "achieved", "info",
                                        "on_track", "achieved"));
    json_t *done = s_build ("alertmanager", achieved, NULL);
    assert_string_equal (s_at (done, "status"), "resolved");
    json_decref (done);
    json_decref (achieved);

    //  Several alerts: common labels are the shared ones; max_alerts cuts.
    json_t *three = json_pack (
        "[o, o, o]",
        s_goal_alert (1, "a", "slipped", "critical", "on_track", "off_track"),
        s_goal_alert (2, "b", "slipped", "critical", "at_risk", "off_track"),
        s_goal_alert (3, "c", "slipped", "warning", "on_track", "at_risk"));
    opts.max_alerts = 2;
    json_t *cut = s_build ("alertmanager", three, &opts);
    assert_int_equal (json_array_size (s_get (cut, "alerts")), 2);
    assert_int_equal (json_integer_value (s_get (cut, "truncatedAlerts")), 1);
    assert_string_equal (s_at (cut, "commonLabels/severity"), "critical");
    assert_null (s_get (cut, "commonLabels/goal"));
    assert_string_equal (s_at (cut, "commonLabels/campaign"), "spring");
    assert_null (s_get (cut, "commonAnnotations/summary"));
    assert_string_not_equal (s_at (cut, "alerts/0/fingerprint"),
                             s_at (cut, "alerts/1/fingerprint"));
    json_decref (cut);
    json_decref (three);

    json_decref (resolved);
    json_decref (recovered);
    json_decref (body);
    json_decref (slipped);
}

static void
test_trend_alert (void **state)
{
    (void) state;
    //  As ws_trend_events writes a change point, with its series.
    json_t *alerts = s_json (
        "[{\"id\": 40, \"fingerprint\": \"change:5:28:2027-02-01\", \"kind\": "
        "\"change_point\", \"severity\": \"info\", \"from\": null, \"to\": "
        "\"2027-02-01\", \"summary\": \"signups (28d window) changed\", "
        "\"evidence\": {\"n\": 28, \"mk_p\": 0.001, \"sen_slope\": 1.5, "
        "\"slope_pct_per_day\": null, \"window_days\": 28, \"change\": "
        "{\"t\": \"2027-02-01\", \"size\": 12.5, \"p\": 0.01}}, \"goal\": "
        "null, \"campaign\": null, \"series\": {\"metric\": \"signups\", "
        "\"labels\": {\"region\": \"eu\", \"alertname\": \"spoof\"}}, "
        "\"created_at\": 1803978904000}]");
    json_t *am = s_build ("alertmanager", alerts, NULL);
    assert_string_equal (s_at (am, "alerts/0/labels/alertname"),
                         "watershed_change_point");
    assert_string_equal (s_at (am, "alerts/0/labels/metric"), "signups");
    assert_string_equal (s_at (am, "alerts/0/labels/region"), "eu");
    assert_string_equal (s_at (am, "alerts/0/labels/window"), "28d");
    assert_null (s_get (am, "alerts/0/labels/goal"));
    assert_string_equal (s_at (am, "status"), "firing");
    assert_non_null (strstr (s_at (am, "alerts/0/annotations/description"),
                             "Change point: 2027-02-01, level +12.5"));
    json_t *ws = s_build ("watershed", alerts, NULL);
    assert_string_equal (s_at (ws, "alerts/0/series/metric"), "signups");
    assert_true (json_is_null (s_get (ws, "alerts/0/goal")));
    json_t *slack = s_build ("slack", alerts, NULL);
    assert_non_null (strstr (s_at (slack, "blocks/1/fields/0/text"), "Slope"));
    json_decref (slack);
    json_decref (ws);
    json_decref (am);
    json_decref (alerts);
}

static void
test_slack_format (void **state)
{
    (void) state;
    json_t *alerts =
        json_pack ("[o]", s_goal_alert (7, "eu-signups", "slipped", "critical",
                                        "on_track", "off_track"));
    json_t *body = s_build ("slack", alerts, NULL);
    //  mrkdwn: '>' escaped as Slack asks.
    assert_string_equal (s_at (body, "text"),
                         "goal 'eu-signups' slipped: on_track -&gt; off_track: "
                         "needs 41/day");
    assert_string_equal (s_at (body, "blocks/0/type"), "header");
    assert_string_equal (s_at (body, "blocks/0/text/type"), "plain_text");
    assert_string_equal (s_at (body, "blocks/0/text/text"),
                         "Goal eu-signups slipped");
    assert_string_equal (s_at (body, "blocks/1/type"), "section");
    assert_non_null (strstr (s_at (body, "blocks/1/text/text"),
                             ":red_circle: goal 'eu-signups' slipped"));
    //  The key figures as fields.
    json_t *fields = s_get (body, "blocks/1/fields");
    assert_true (json_array_size (fields) >= 4
                 && json_array_size (fields) <= 10);
    char all[4000] = "";
    size_t index;
    json_t *field;
    json_array_foreach (fields, index, field) {
        strncat (all, json_string_value (json_object_get (field, "text")),
                 sizeof all - strlen (all) - 2);
        strcat (all, "|");
    }
    assert_non_null (strstr (all, "*Required rate*\n41.2 signups/day"));
    assert_non_null (
        strstr (all, "*Demonstrated rate*\n28.1 signups/day (22 to 33.4)"));
    assert_non_null (
        strstr (all, "*Projected at deadline*\n950 signups (880 to 1020)"));
    assert_non_null (strstr (all, "*Days left*\n23"));
    assert_string_equal (s_at (body, "blocks/2/type"), "context");
    assert_non_null (strstr (s_at (body, "blocks/2/elements/0/text"),
                             "on_track \xE2\x86\x92 off_track"));
    json_decref (body);

    //  A recovery is marked as such.
    json_t *recovered =
        json_pack ("[o]", s_goal_alert (8, "eu-signups", "recovered", "info",
                                        "off_track", "on_track"));
    body = s_build ("slack", recovered, NULL);
    assert_non_null (
        strstr (s_at (body, "blocks/1/text/text"), ":white_check_mark:"));
    json_decref (body);
    json_decref (recovered);

    //  Many alerts: at most WS_ALERT_SLACK_ALERTS shown, 50 blocks at most.
    json_t *many = json_array ();
    for (int i = 0; i < 25; i++) {
        char name[16];
        snprintf (name, sizeof name, "g%d", i);
        json_array_append_new (many,
                               s_goal_alert (i + 1, name, "slipped", "warning",
                                             "on_track", "at_risk"));
    }
    body = s_build ("slack", many, NULL);
    json_t *blocks = s_get (body, "blocks");
    assert_true (json_array_size (blocks) <= 50);
    assert_int_equal (json_array_size (blocks),
                      1 + 2 * WS_ALERT_SLACK_ALERTS + 1);
    assert_string_equal (s_at (body, "blocks/0/text/text"),
                         "25 goals: slipped");
    assert_non_null (
        strstr (s_at (body, "blocks/41/elements/0/text"), "5 more not shown"));
    json_decref (body);
    json_decref (many);
    json_decref (alerts);
}

//  ---------------------------------------------------------------------
//  Refusals

static void
test_refused (void **state)
{
    (void) state;
    char *body = NULL;
    const char *content_type = NULL;
    ws_err_t err;

    //  Mixed kinds: slipped and recovered never share a message.
    json_t *mixed = json_pack (
        "[o, o]",
        s_goal_alert (7, "a", "slipped", "critical", "on_track", "off_track"),
        s_goal_alert (8, "b", "recovered", "info", "off_track", "on_track"));
    const char *formats[] = {"watershed", "alertmanager", "slack", NULL};
    for (size_t i = 0; formats[i]; i++) {
        assert_int_equal (ws_alert_payload_build (formats[i], mixed, "d-1", 0,
                                                  &body, &content_type, &err),
                          -1);
        assert_null (body);
        assert_non_null (strstr (err.text, "one kind"));
        assert_non_null (strstr (err.text, "'slipped'"));
        assert_non_null (strstr (err.text, "'recovered'"));
        assert_string_equal (err.where, "/1/kind");
    }
    assert_string_equal (err.text,
                         "notification d-1: alert 7 is 'slipped', alert 8 is "
                         "'recovered': one notification carries one kind");
    json_decref (mixed);

    assert_int_equal (ws_alert_payload_build ("pagerduty", NULL, "d-1", 0,
                                              &body, &content_type, &err),
                      -1);
    assert_non_null (strstr (err.text, "'pagerduty'"));
    json_t *empty = json_array ();
    assert_int_equal (ws_alert_payload_build ("watershed", empty, "d-1", 0,
                                              &body, &content_type, &err),
                      -1);
    assert_non_null (strstr (err.text, "non-empty array"));
    json_decref (empty);

    //  Each broken field is named by its pointer.
    struct {
        const char *key;
        const char *value;  //  JSON; NULL deletes the key
        const char *where;
    } cases[] = {
        {"id", "\"7\"", "/0/id"},
        {"id", "-1", "/0/id"},
        {"fingerprint", "\"\"", "/0/fingerprint"},
        {"kind", "\"Slipped!\"", "/0/kind"},
        {"kind", NULL, "/0/kind"},
        {"severity", "\"page\"", "/0/severity"},  //  see below
        {"from", "3", "/0/from"},
        {"summary", "null", "/0/summary"},
        {"goal", "\"\"", "/0/goal"},
        {"evidence", "[]", "/0/evidence"},
        {"evidence", NULL, "/0/evidence"},
        {"series", "\"signups\"", "/0/series"},
        {"series", "{\"labels\": {}}", "/0/series/metric"},
        {"series", "{\"metric\": \"m\", \"labels\": {\"a/b\": 1}}",
         "/0/series/labels/a~1b"},
        {"created_at", "\"2027-03-02\"", "/0/created_at"},
        {"created_at", "-5", "/0/created_at"},
        {"created_at", "1e300", "/0/created_at"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *alerts =
            json_pack ("[o]", s_goal_alert (7, "a", "slipped", "critical",
                                            "on_track", "off_track"));
        json_t *alert = json_array_get (alerts, 0);
        if (cases[i].value)
            json_object_set_new (alert, cases[i].key, s_json (cases[i].value));
        else
            json_object_del (alert, cases[i].key);
        assert_int_equal (ws_alert_payload_build ("alertmanager", alerts, "d-1",
                                                  0, &body, &content_type,
                                                  &err),
                          -1);
        if (strcmp (err.where, cases[i].where) != 0)
            fail_msg ("case %zu: where '%s', expected '%s' (%s)", i, err.where,
                      cases[i].where, err.text);
        //  Named by its id, unless the id is what is wrong.
        const char *prefix =
            strcmp (cases[i].key, "id") == 0 ? "alert" : "alert 7: /0/";
        assert_true (strncmp (err.text, prefix, strlen (prefix)) == 0);
        json_decref (alerts);
    }
    //  One message in full: the alert, the field, what was found.
    json_t *paged = json_pack ("[o]", s_goal_alert (7, "a", "slipped", "page",
                                                    "on_track", "off_track"));
    assert_int_equal (ws_alert_payload_build ("slack", paged, "d-1", 0, &body,
                                              &content_type, &err),
                      -1);
    assert_string_equal (err.text, "alert 7: /0/severity: found \"page\", "
                                   "expected info, warning or critical");
    json_decref (paged);
    json_t *not_object = s_json ("[3]");
    assert_int_equal (ws_alert_payload_build ("slack", not_object, "d-1", 0,
                                              &body, &content_type, &err),
                      -1);
    assert_string_equal (err.where, "/0");
    json_decref (not_object);

    //  The idempotency key goes into a header: no CR/LF, no spaces.
    json_t *alerts =
        json_pack ("[o]", s_goal_alert (7, "a", "slipped", "critical",
                                        "on_track", "off_track"));
    const char *bad_ids[] = {"", "d 1", "d\r\nX-Evil: 1", NULL};
    for (size_t i = 0; bad_ids[i]; i++) {
        assert_int_equal (ws_alert_payload_build ("watershed", alerts,
                                                  bad_ids[i], 0, &body,
                                                  &content_type, &err),
                          -1);
        assert_non_null (strstr (err.text, "delivery id"));
    }
    assert_int_equal (ws_alert_payload_build ("watershed", alerts, NULL, 0,
                                              &body, &content_type, &err),
                      -1);
    //  The lone check, for callers that hold one alert.
    assert_int_equal (
        ws_alert_payload_check (json_array_get (alerts, 0), "", &err), 0);
    assert_true (ws_alert_payload_format_valid ("slack"));
    assert_false (ws_alert_payload_format_valid ("Slack"));
    assert_false (ws_alert_payload_format_valid (NULL));
    json_decref (alerts);
}

//  ---------------------------------------------------------------------
//  Hostile text: quotes, backslashes, newlines, control characters,
//  non-ASCII and Slack markup stay data in every format.

static void
test_hostile_text (void **state)
{
    (void) state;
    const char *name = "q\"uo\\te;$(rm -rf /)\n<!channel> & <@U1>\t\x01"
                       "\xC3\xA9t\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC "
                       "\xF0\x9F\x9A\x80";
    json_t *alerts =
        json_pack ("[o]", s_goal_alert (7, name, "slipped", "critical",
                                        "on_track", "off_track"));
    json_t *alert = json_array_get (alerts, 0);
    json_object_set_new (alert, "campaign", json_string (name));
    json_object_set_new (json_object_get (alert, "evidence"), "unit",
                         json_string ("\xE2\x82\xAC \"<b>\""));
    //  A summary past Slack's limits, with multi-byte characters at the
    //  cut: the cut stays on a character boundary.
    char *long_summary = malloc (12001);
    assert_non_null (long_summary);
    for (int i = 0; i < 4000; i++)
        memcpy (long_summary + 3 * i, "\xE6\x97\xA5", 3);
    long_summary[12000] = '\0';
    json_object_set_new (alert, "summary", json_string (long_summary));
    free (long_summary);

    //  Long multi-byte texts where fixed buffers would cut them: the
    //  unit, the newest sample, from, and the goal name in Slack's header.
    char euros[301], stars[2000];
    for (int i = 0; i < 100; i++)
        memcpy (euros + 3 * i, "\xE2\x82\xAC", 3);
    euros[300] = '\0';
    for (int i = 0; i < 499; i++)
        memcpy (stars + 4 * i, "\xF0\x9F\x8C\x9F", 4);
    stars[1996] = '\0';
    json_t *long_alerts = json_pack (
        "[o]", s_goal_alert (8, stars, "slipped", "critical", euros, stars));
    json_t *evidence =
        json_object_get (json_array_get (long_alerts, 0), "evidence");
    json_object_set_new (evidence, "unit", json_string (euros));
    json_object_set_new (evidence, "newest_sample", json_string (stars));
    ws_alert_payload_opts_t opts = {stars, stars, 0};
    const char *formats[] = {"watershed", "alertmanager", "slack", NULL};
    for (size_t i = 0; formats[i]; i++) {
        json_t *body = s_build (formats[i], long_alerts, &opts);
        if (strcmp (formats[i], "slack") == 0) {
            assert_true (strlen (s_at (body, "blocks/0/text/text")) <= 150);
            assert_true (strlen (s_at (body, "blocks/2/elements/0/text"))
                         <= 3000);
        }
        if (strcmp (formats[i], "alertmanager") == 0)
            assert_int_equal (strlen (s_at (body, "alerts/0/generatorURL")),
                              strlen (stars) + strlen ("/alerts/8"));
        json_decref (body);
    }
    json_decref (long_alerts);

    for (size_t i = 0; formats[i]; i++) {
        json_t *body = s_build (formats[i], alerts, NULL);  //  parses
        if (strcmp (formats[i], "watershed") == 0) {
            assert_string_equal (s_at (body, "alerts/0/goal"), name);
            assert_string_equal (s_at (body, "alerts/0/campaign"), name);
        }
        else if (strcmp (formats[i], "alertmanager") == 0) {
            assert_string_equal (s_at (body, "alerts/0/labels/goal"), name);
            //  The group key quotes as Go does: still one JSON string.
            assert_non_null (s_at (body, "groupKey"));
        }
        else {
            //  Markup escaped: no <!channel> ping, no broken entity.
            const char *text = s_at (body, "blocks/1/text/text");
            assert_null (strstr (text, "<!channel>"));
            assert_true (strlen (text) <= 3000);
            //  The header is plain_text: Slack shows it as written.
            assert_non_null (
                strstr (s_at (body, "blocks/0/text/text"), "q\"uo"));
            assert_true (strlen (s_at (body, "blocks/0/text/text")) <= 150);
            json_t *fields = s_get (body, "blocks/1/fields");
            size_t index;
            json_t *field;
            json_array_foreach (fields, index, field) {
                const char *line =
                    json_string_value (json_object_get (field, "text"));
                assert_null (strchr (line, '<'));
            }
            assert_non_null (
                strstr (s_at (body, "blocks/2/elements/0/text"), "alert 7"));
        }
        json_decref (body);
    }
    json_decref (alerts);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hmac_rfc4231),
        cmocka_unit_test (test_sign_verify),
        cmocka_unit_test (test_watershed_format),
        cmocka_unit_test (test_alertmanager_format),
        cmocka_unit_test (test_trend_alert),
        cmocka_unit_test (test_slack_format),
        cmocka_unit_test (test_refused),
        cmocka_unit_test (test_hostile_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
