//  ws_alert_payload - notification bodies (watershed, Alertmanager v4,
//  Slack) and their HMAC-SHA256 signature. docs/alert-payload.md is the
//  receiver's side of this file.
#include "ws_alert_payload.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ws_buf.h"
#include "ws_goal.h"
#include "ws_json.h"
#include "ws_time.h"

//  Alertmanager's "zero" time: what endsAt holds while an alert fires.
#define S_AM_ZERO_TIME "0001-01-01T00:00:00Z"
//  Slack's limits: a header's text 150 characters, a section's text
//  3000, a field 2000. Texts are cut in bytes, which are never fewer
//  than characters.
#define S_SLACK_HEADER_MAX 150
#define S_SLACK_TEXT_MAX 2900
#define S_SLACK_FIELD_MAX 1900
//  An idempotency key travels in a header: printable ASCII, bounded.
#define S_DELIVERY_ID_MAX 128
#define S_KIND_MAX 32

static const char *const s_formats[] = {"watershed", "alertmanager", "slack",
                                        NULL};

//  ---------------------------------------------------------------------
//  Input

static const char *
s_text (json_t *alert, const char *key)
{
    return json_string_value (json_object_get (alert, key));
}

//  A kind that ends a condition: Alertmanager's "resolved".
static bool
s_resolves (const char *kind)
{
    return strcmp (kind, "recovered") == 0 || strcmp (kind, "achieved") == 0;
}

static bool
s_goal_kind (const char *kind)
{
    static const char *const kinds[] = {"slipped", "recovered", "achieved",
                                        "missed", NULL};
    for (size_t i = 0; kinds[i]; i++)
        if (strcmp (kind, kinds[i]) == 0)
            return true;
    return false;
}

//  Fail on the field key of the alert at path, naming the alert by id.
static int
s_fail (ws_err_t *err, json_t *alert, const char *path, const char *key,
        json_t *found, const char *expected)
{
    char where[160];
    ws_json_pointer_join (where, sizeof where, path, key);
    ws_json_fail_found (err, "alert", where, found, expected);
    json_t *id = json_object_get (alert, "id");
    if (json_is_integer (id))
        ws_err_prefix (err, "alert %" PRId64 ": ",
                       (int64_t) json_integer_value (id));
    else
        ws_err_prefix (err, "alert: ");
    return -1;
}

//  key: a string, or also null / absent when nullable.
static int
s_check_string (json_t *alert, const char *path, const char *key, bool nullable,
                bool nonempty, ws_err_t *err)
{
    json_t *value = json_object_get (alert, key);
    if (nullable && (!value || json_is_null (value)))
        return 0;
    if (!json_is_string (value) || (nonempty && !*json_string_value (value)))
        return s_fail (err, alert, path, key, value,
                       nullable   ? "a string or null"
                       : nonempty ? "a non-empty string"
                                  : "a string");
    return 0;
}

int
ws_alert_payload_check (json_t *alert, const char *path, ws_err_t *err)
{
    if (!path)
        path = "";
    if (!json_is_object (alert)) {
        ws_json_fail_found (err, "alert", path, alert, "an alert object");
        return *path ? ws_err_prefix (err, "alert: ") : -1;
    }
    json_t *id = json_object_get (alert, "id");
    if (!json_is_integer (id) || json_integer_value (id) < 0)
        return s_fail (err, alert, path, "id", id, "a non-negative integer");
    if (s_check_string (alert, path, "fingerprint", false, true, err)
        || s_check_string (alert, path, "kind", false, true, err))
        return -1;
    //  The kind names a label value and a group key: a short word.
    const char *kind = s_text (alert, "kind");
    bool word = strlen (kind) <= S_KIND_MAX;
    for (const char *c = kind; word && *c; c++)
        word = (*c >= 'a' && *c <= 'z') || *c == '_';
    if (!word)
        return s_fail (err, alert, path, "kind",
                       json_object_get (alert, "kind"),
                       "a kind such as slipped, recovered, achieved, missed, "
                       "trend or change_point");
    const char *severity = s_text (alert, "severity");
    if (!severity
        || (strcmp (severity, "info") != 0 && strcmp (severity, "warning") != 0
            && strcmp (severity, "critical") != 0))
        return s_fail (err, alert, path, "severity",
                       json_object_get (alert, "severity"),
                       "info, warning or critical");
    if (s_check_string (alert, path, "from", true, false, err)
        || s_check_string (alert, path, "to", true, false, err)
        || s_check_string (alert, path, "summary", false, false, err)
        || s_check_string (alert, path, "goal", true, true, err)
        || s_check_string (alert, path, "campaign", true, true, err))
        return -1;
    json_t *evidence = json_object_get (alert, "evidence");
    if (!json_is_object (evidence))
        return s_fail (err, alert, path, "evidence", evidence, "an object");
    json_t *series = json_object_get (alert, "series");
    if (series && !json_is_null (series)) {
        char where[160];
        ws_json_pointer_join (where, sizeof where, path, "series");
        json_t *labels = json_object_get (series, "labels");
        if (!json_is_object (series))
            return s_fail (err, alert, path, "series", series,
                           "{\"metric\", \"labels\"} or null");
        json_t *metric = json_object_get (series, "metric");
        if (!json_is_string (metric) || !*json_string_value (metric))
            return s_fail (err, alert, where, "metric", metric,
                           "a non-empty string");
        if (labels && !json_is_null (labels)) {
            if (!json_is_object (labels))
                return s_fail (err, alert, where, "labels", labels,
                               "an object of strings");
            const char *name;
            json_t *value;
            char at[200];
            ws_json_pointer_join (at, sizeof at, where, "labels");
            json_object_foreach (labels, name, value) {
                if (!json_is_string (value))
                    return s_fail (err, alert, at, name, value, "a string");
            }
        }
    }
    json_t *created = json_object_get (alert, "created_at");
    double ms = json_number_value (created);
    //  Up to year 9999: ISO 8601 with four digits.
    if (!json_is_number (created) || !isfinite (ms) || ms < 0
        || ms > 253402300799999.0)
        return s_fail (err, alert, path, "created_at", created,
                       "milliseconds since the epoch");
    return 0;
}

int
ws_alert_payload_format_valid (const char *format)
{
    for (size_t i = 0; format && s_formats[i]; i++)
        if (strcmp (format, s_formats[i]) == 0)
            return 1;
    return 0;
}

//  The whole array: non-empty, each alert valid, one kind.
static int
s_check_all (json_t *alerts, const char *delivery_id, ws_err_t *err)
{
    size_t length = strlen (delivery_id);
    bool printable = length > 0 && length <= S_DELIVERY_ID_MAX;
    for (size_t i = 0; printable && i < length; i++)
        printable = delivery_id[i] > 0x20 && delivery_id[i] < 0x7f;
    if (!printable)
        return ws_err_set (err, WS_ERR_INPUT,
                           "delivery id: expected 1 to %d printable ASCII "
                           "characters without spaces (an Idempotency-Key)",
                           S_DELIVERY_ID_MAX);
    if (!json_is_array (alerts) || json_array_size (alerts) == 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "notification %s: expected a non-empty array of "
                           "alerts",
                           delivery_id);
    const char *kind = NULL;
    size_t index;
    json_t *alert;
    json_array_foreach (alerts, index, alert) {
        char path[32];
        snprintf (path, sizeof path, "/%zu", index);
        if (ws_alert_payload_check (alert, path, err))
            return -1;
        const char *this_kind = s_text (alert, "kind");
        if (!kind)
            kind = this_kind;
        else if (strcmp (kind, this_kind) != 0) {
            ws_err_set (
                err, WS_ERR_INPUT,
                "notification %s: alert %" PRId64 " is '%s', alert %" PRId64
                " is '%s': one notification carries one kind",
                delivery_id,
                (int64_t) json_integer_value (
                    json_object_get (json_array_get (alerts, 0), "id")),
                kind,
                (int64_t) json_integer_value (json_object_get (alert, "id")),
                this_kind);
            ws_err_where (err, "/%zu/kind", index);
            return -1;
        }
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Texts

static void
s_iso (int64_t ms, char *out, size_t size)
{
    ws_iso8601_format (ms, out, size);
}

static int64_t
s_created (json_t *alert)
{
    return (int64_t) json_number_value (json_object_get (alert, "created_at"));
}

//  The length of text cut to at most max bytes on a UTF-8 character
//  boundary (never inside a multi-byte sequence).
static size_t
s_utf8_cut (const char *text, size_t max)
{
    size_t length = strlen (text);
    if (length <= max)
        return length;
    size_t cut = max;
    while (cut > 0 && ((unsigned char) text[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

//  Drop an incomplete UTF-8 sequence that snprintf left at the end of
//  text when it cut it: jansson refuses invalid UTF-8.
static void
s_utf8_trim (char *text)
{
    size_t length = strlen (text);
    size_t start = length;
    while (start > 0 && length - start < 4
           && ((unsigned char) text[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0)
        return;
    unsigned char lead = (unsigned char) text[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (length - (start - 1) < need)
        text[start - 1] = '\0';
}

//  A JSON string of text cut to max bytes, with "…" when cut.
static json_t *
s_cut_string (const char *text, size_t max)
{
    size_t length = strlen (text);
    if (length <= max)
        return json_string (text);
    size_t cut = s_utf8_cut (text, max - 3);
    char *copy = malloc (cut + 4);
    if (!copy)
        return NULL;
    memcpy (copy, text, cut);
    memcpy (copy + cut, "\xE2\x80\xA6", 4);  //  U+2026, with the NUL
    json_t *result = json_string (copy);
    free (copy);
    return result;
}

//  A number of the evidence, or NaN.
static double
s_figure (json_t *evidence, const char *key)
{
    json_t *value = json_object_get (evidence, key);
    return json_is_number (value) ? json_number_value (value) : NAN;
}

static const char *
s_number (double value, char *out, size_t size)
{
    return ws_goal_number_text (value, out, size);
}

//  One figure of an alert, label and value ("Required rate", "41/day").
typedef struct {
    const char *label;
    char value[200];
} s_fact_t;

#define S_FACTS_MAX 8

//  The key evidence figures of an alert, as Slack's fields and the
//  lines of Alertmanager's description show them. Goals: required vs
//  demonstrated rate (with its interval), projection with its interval,
//  days left, progress vs expected, newest sample. Trends: slope, p, n,
//  change point.
static size_t
s_facts (json_t *alert, s_fact_t *facts)
{
    json_t *evidence = json_object_get (alert, "evidence");
    const char *unit = json_string_value (json_object_get (evidence, "unit"));
    char a[32], b[32], c[32];
    size_t count = 0;
    char per_day[80];
    char unit_text[64];
    snprintf (unit_text, sizeof unit_text, "%s%s", unit ? " " : "",
              unit ? unit : "");
    s_utf8_trim (unit_text);
    snprintf (per_day, sizeof per_day, "%s/day", unit_text);
    double required = s_figure (evidence, "required_rate");
    if (isfinite (required)) {
        facts[count].label = "Required rate";
        snprintf (facts[count++].value, sizeof facts[0].value, "%s%s",
                  s_number (required, a, sizeof a), per_day);
    }
    double actual = s_figure (evidence, "actual_rate");
    if (isfinite (actual)) {
        double low = s_figure (evidence, "actual_rate_low");
        double high = s_figure (evidence, "actual_rate_high");
        facts[count].label = "Demonstrated rate";
        if (isfinite (low) && isfinite (high))
            snprintf (facts[count++].value, sizeof facts[0].value,
                      "%s%s (%s to %s)", s_number (actual, a, sizeof a),
                      per_day, s_number (low, b, sizeof b),
                      s_number (high, c, sizeof c));
        else
            snprintf (facts[count++].value, sizeof facts[0].value, "%s%s",
                      s_number (actual, a, sizeof a), per_day);
    }
    double projected = s_figure (evidence, "projected");
    if (isfinite (projected)) {
        double low = s_figure (evidence, "projected_low");
        double high = s_figure (evidence, "projected_high");
        facts[count].label = "Projected at deadline";
        if (isfinite (low) && isfinite (high))
            snprintf (facts[count++].value, sizeof facts[0].value,
                      "%s%s (%s to %s)", s_number (projected, a, sizeof a),
                      unit_text, s_number (low, b, sizeof b),
                      s_number (high, c, sizeof c));
        else
            snprintf (facts[count++].value, sizeof facts[0].value, "%s%s",
                      s_number (projected, a, sizeof a), unit_text);
    }
    double days_left = s_figure (evidence, "days_left");
    if (isfinite (days_left)) {
        facts[count].label = "Days left";
        snprintf (facts[count++].value, sizeof facts[0].value, "%s",
                  s_number (days_left, a, sizeof a));
    }
    double progress = s_figure (evidence, "progress");
    if (isfinite (progress)) {
        double expected = s_figure (evidence, "expected_progress");
        facts[count].label = "Progress";
        if (isfinite (expected))
            snprintf (facts[count++].value, sizeof facts[0].value,
                      "%s%% (expected %s%%)",
                      s_number (100 * progress, a, sizeof a),
                      s_number (100 * expected, b, sizeof b));
        else
            snprintf (facts[count++].value, sizeof facts[0].value, "%s%%",
                      s_number (100 * progress, a, sizeof a));
    }
    const char *newest =
        json_string_value (json_object_get (evidence, "newest_sample"));
    if (newest) {
        facts[count].label = "Newest sample";
        snprintf (facts[count++].value, sizeof facts[0].value, "%s", newest);
    }
    //  A trend's or change point's figures (ws_trend_events).
    double slope = s_figure (evidence, "sen_slope");
    if (isfinite (slope)) {
        facts[count].label = "Slope";
        double pct = s_figure (evidence, "slope_pct_per_day");
        if (isfinite (pct))
            snprintf (facts[count++].value, sizeof facts[0].value,
                      "%+g/day (%+.2g%%/day)", slope, pct);
        else
            snprintf (facts[count++].value, sizeof facts[0].value, "%+g/day",
                      slope);
    }
    double p = s_figure (evidence, "mk_p");
    if (isfinite (p)) {
        facts[count].label = "p (Mann-Kendall)";
        snprintf (facts[count++].value, sizeof facts[0].value, "%.2g", p);
    }
    json_t *change = json_object_get (evidence, "change");
    const char *at = json_string_value (json_object_get (change, "t"));
    if (at && count < S_FACTS_MAX) {
        facts[count].label = "Change point";
        snprintf (facts[count++].value, sizeof facts[0].value, "%s, level %+g",
                  at, json_number_value (json_object_get (change, "size")));
    }
    json_t *n = json_object_get (evidence, "n");
    if (json_is_integer (n) && count < S_FACTS_MAX) {
        facts[count].label = "Samples in window";
        snprintf (facts[count++].value, sizeof facts[0].value, "%" PRId64,
                  (int64_t) json_integer_value (n));
    }
    //  Values hold evidence text (newest_sample, a change's date):
    //  snprintf may have cut it inside a character.
    for (size_t i = 0; i < count; i++)
        s_utf8_trim (facts[i].value);
    return count;
}

//  ---------------------------------------------------------------------
//  The watershed format

static json_t *
s_watershed (json_t *alerts, const char *delivery_id, int64_t now)
{
    char when[40];
    s_iso (now, when, sizeof when);
    json_t *list = json_array ();
    json_t *body = json_pack (
        "{s:i, s:s, s:s, s:s, s:o}", "version", WS_ALERT_PAYLOAD_VERSION,
        "delivery_id", delivery_id, "sent_at", when, "kind",
        s_text (json_array_get (alerts, 0), "kind"), "alerts", list);
    if (!body)
        return NULL;
    size_t index;
    json_t *alert;
    json_array_foreach (alerts, index, alert) {
        char created[40];
        s_iso (s_created (alert), created, sizeof created);
        json_t *series = json_object_get (alert, "series");
        json_t *item = json_pack (
            "{s:O, s:O, s:O, s:O, s:s?, s:s?, s:O, s:s?, s:s?, s:O, s:s, "
            "s:O}",
            "id", json_object_get (alert, "id"), "fingerprint",
            json_object_get (alert, "fingerprint"), "kind",
            json_object_get (alert, "kind"), "severity",
            json_object_get (alert, "severity"), "from", s_text (alert, "from"),
            "to", s_text (alert, "to"), "summary",
            json_object_get (alert, "summary"), "goal", s_text (alert, "goal"),
            "campaign", s_text (alert, "campaign"), "series",
            series ? series : json_null (), "created_at", created, "evidence",
            json_object_get (alert, "evidence"));
        //  s? leaves a key out when NULL; receivers get every key, null.
        static const char *const nullable[] = {"from", "to", "goal", "campaign",
                                               NULL};
        for (size_t i = 0; item && nullable[i]; i++)
            if (!json_object_get (item, nullable[i]))
                json_object_set_new (item, nullable[i], json_null ());
        if (!item || json_array_append_new (list, item)) {
            json_decref (body);
            return NULL;
        }
    }
    return body;
}

//  ---------------------------------------------------------------------
//  The Alertmanager format (webhook_config, version "4")

static void
s_alertname (const char *kind, char *out, size_t size)
{
    if (s_goal_kind (kind))
        snprintf (out, size, "watershed_goal");
    else
        snprintf (out, size, "watershed_%s", kind);
}

//  The labels that say which condition an alert is about (not how bad,
//  not which transition): the same for a goal's slip and its recovery,
//  so their fingerprints match, as a firing alert and its resolution do
//  in Alertmanager.
static json_t *
s_identity (json_t *labels)
{
    json_t *identity = json_deep_copy (labels);
    if (identity) {
        json_object_del (identity, "severity");
        json_object_del (identity, "kind");
    }
    return identity;
}

//  Alertmanager's fingerprint is 16 hex digits of a hash of the labels;
//  ours: the first 8 bytes of SHA-256 of the identity labels as sorted
//  compact JSON.
static int
s_am_fingerprint (json_t *labels, char out[17])
{
    json_t *identity = s_identity (labels);
    char *text =
        identity ? json_dumps (identity, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref (identity);
    if (!text)
        return -1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    int ok =
        EVP_Digest (text, strlen (text), digest, &length, EVP_sha256 (), NULL);
    free (text);
    if (!ok || length < 8)
        return -1;
    for (int i = 0; i < 8; i++)
        snprintf (out + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

static json_t *
s_am_labels (json_t *alert)
{
    char name[64];
    const char *kind = s_text (alert, "kind");
    s_alertname (kind, name, sizeof name);
    json_t *labels =
        json_pack ("{s:s, s:s, s:s}", "alertname", name, "severity",
                   s_text (alert, "severity"), "kind", kind);
    if (!labels)
        return NULL;
    int rc = 0;
    if (s_text (alert, "goal"))
        rc |= json_object_set (labels, "goal", json_object_get (alert, "goal"));
    if (s_text (alert, "campaign"))
        rc |= json_object_set (labels, "campaign",
                               json_object_get (alert, "campaign"));
    json_t *series = json_object_get (alert, "series");
    if (json_is_object (series)) {
        rc |= json_object_set (labels, "metric",
                               json_object_get (series, "metric"));
        //  A series label never replaces one of ours (a label "alertname"
        //  on a series must not rename the alert).
        const char *key;
        json_t *value;
        json_object_foreach (json_object_get (series, "labels"), key, value) {
            if (!json_object_get (labels, key))
                rc |= json_object_set (labels, key, value);
        }
        json_t *window = json_object_get (json_object_get (alert, "evidence"),
                                          "window_days");
        if (json_is_integer (window) && !json_object_get (labels, "window")) {
            char days[32];
            snprintf (days, sizeof days, "%" PRId64 "d",
                      (int64_t) json_integer_value (window));
            rc |= json_object_set_new (labels, "window", json_string (days));
        }
    }
    if (rc) {
        json_decref (labels);
        return NULL;
    }
    return labels;
}

//  The figures as lines: "Required rate: 41/day".
static char *
s_description (json_t *alert)
{
    s_fact_t facts[S_FACTS_MAX];
    size_t count = s_facts (alert, facts);
    size_t size = 1;
    for (size_t i = 0; i < count; i++)
        size += strlen (facts[i].label) + strlen (facts[i].value) + 3;
    char *text = malloc (size);
    if (!text)
        return NULL;
    size_t at = 0;
    text[0] = '\0';
    for (size_t i = 0; i < count; i++)
        at += (size_t) snprintf (text + at, size - at, "%s%s: %s",
                                 i ? "\n" : "", facts[i].label, facts[i].value);
    return text;
}

static json_t *
s_am_annotations (json_t *alert)
{
    char *description = s_description (alert);
    char *evidence =
        json_dumps (json_object_get (alert, "evidence"),
                    JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION (15));
    char id[32];
    snprintf (id, sizeof id, "%" PRId64,
              (int64_t) json_integer_value (json_object_get (alert, "id")));
    json_t *annotations =
        description && evidence
            ? json_pack ("{s:O, s:s, s:s, s:O, s:s}", "summary",
                         json_object_get (alert, "summary"), "description",
                         description, "alert_id", id, "watershed_fingerprint",
                         json_object_get (alert, "fingerprint"), "evidence",
                         evidence)
            : NULL;
    free (description);
    free (evidence);
    if (annotations && s_text (alert, "from"))
        json_object_set (annotations, "from", json_object_get (alert, "from"));
    if (annotations && s_text (alert, "to"))
        json_object_set (annotations, "to", json_object_get (alert, "to"));
    return annotations;
}

//  The pairs that every object of the list holds with equal values.
static json_t *
s_common (json_t *list, const char *member)
{
    json_t *first = json_object_get (json_array_get (list, 0), member);
    json_t *common = json_object ();
    const char *key;
    json_t *value;
    json_object_foreach (first, key, value) {
        bool shared = true;
        size_t index;
        json_t *item;
        json_array_foreach (list, index, item) {
            if (!json_equal (
                    json_object_get (json_object_get (item, member), key),
                    value)) {
                shared = false;
                break;
            }
        }
        if (shared && json_object_set (common, key, value)) {
            json_decref (common);
            return NULL;
        }
    }
    return common;
}

//  Go's %q of a label value, as Alertmanager writes group keys.
static void
s_quote (ws_buf_t *out, const char *text)
{
    ws_buf_append (out, "\"", 1);
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            ws_buf_printf (out, "\\%c", *c);
        else if (*c == '\n')
            ws_buf_append (out, "\\n", 2);
        else if ((unsigned char) *c < 0x20)
            ws_buf_printf (out, "\\x%02x", (unsigned char) *c);
        else
            ws_buf_append (out, c, 1);
    }
    ws_buf_append (out, "\"", 1);
}

static json_t *
s_alertmanager (json_t *alerts, const ws_alert_payload_opts_t *opts)
{
    const char *kind = s_text (json_array_get (alerts, 0), "kind");
    const char *status = s_resolves (kind) ? "resolved" : "firing";
    const char *external = opts && opts->external_url ? opts->external_url : "";
    size_t total = json_array_size (alerts);
    size_t shown = opts && opts->max_alerts && opts->max_alerts < total
                       ? opts->max_alerts
                       : total;
    json_t *list = json_array ();
    if (!list)
        return NULL;
    for (size_t i = 0; i < shown; i++) {
        json_t *alert = json_array_get (alerts, i);
        char created[40], fingerprint[17];
        size_t url_size = strlen (external) + 40;
        char *url = malloc (url_size);
        if (url)
            url[0] = '\0';
        s_iso (s_created (alert), created, sizeof created);
        json_t *labels = s_am_labels (alert);
        json_t *annotations = s_am_annotations (alert);
        if (url && *external)
            snprintf (
                url, url_size, "%s/alerts/%" PRId64, external,
                (int64_t) json_integer_value (json_object_get (alert, "id")));
        json_t *item =
            url && labels && annotations
                    && !s_am_fingerprint (labels, fingerprint)
                ? json_pack ("{s:s, s:O, s:O, s:s, s:s, s:s, s:s}", "status",
                             status, "labels", labels, "annotations",
                             annotations, "startsAt", created, "endsAt",
                             s_resolves (kind) ? created : S_AM_ZERO_TIME,
                             "generatorURL", url, "fingerprint", fingerprint)
                : NULL;
        free (url);
        json_decref (labels);
        json_decref (annotations);
        if (!item || json_array_append_new (list, item)) {
            json_decref (list);
            return NULL;
        }
    }
    //  Notifications are grouped by kind, so alertname and kind are the
    //  group's labels; the group key is written as Alertmanager writes
    //  it: route matchers, then the group labels sorted.
    char alertname[64];
    s_alertname (kind, alertname, sizeof alertname);
    ws_buf_t key;
    ws_buf_init (&key, 4096);
    ws_buf_printf (&key, "{}:{alertname=");
    s_quote (&key, alertname);
    ws_buf_printf (&key, ", kind=");
    s_quote (&key, kind);
    ws_buf_append (&key, "}", 1);
    char *group_key = ws_buf_steal (&key);
    json_t *common_labels = s_common (list, "labels");
    json_t *common_annotations = s_common (list, "annotations");
    json_t *body =
        group_key && common_labels && common_annotations ? json_pack (
            "{s:s, s:s, s:o, s:{s:s, s:s}, s:O, s:O, s:s, s:s, "
            "s:s, s:I}",
            "receiver", opts && opts->receiver ? opts->receiver : "watershed",
            "status", status, "alerts", list, "groupLabels", "alertname",
            alertname, "kind", kind, "commonLabels", common_labels,
            "commonAnnotations", common_annotations, "externalURL", external,
            "version", "4", "groupKey", group_key, "truncatedAlerts",
            (json_int_t) (total - shown))
                                                         : NULL;
    if (!body && !(group_key && common_labels && common_annotations))
        json_decref (list);
    free (group_key);
    json_decref (common_labels);
    json_decref (common_annotations);
    return body;
}

//  ---------------------------------------------------------------------
//  The Slack format (incoming webhook, Block Kit)

//  Slack's mrkdwn reads &, < and > as markup ("<!channel>" pings
//  everyone): escape them, as Slack's formatting reference asks. The
//  result (a JSON string) holds at most max bytes, cut between whole
//  characters and entities, with "…" when cut.
static size_t
s_slack_piece (const char *c, const char **piece)
{
    unsigned char lead = (unsigned char) *c;
    *piece = c;
    if (*c == '&')
        *piece = "&amp;";
    else if (*c == '<')
        *piece = "&lt;";
    else if (*c == '>')
        *piece = "&gt;";
    else {
        //  A whole UTF-8 character, never past the NUL of a broken one.
        size_t need = lead >= 0xF0   ? 4
                      : lead >= 0xE0 ? 3
                      : lead >= 0xC0 ? 2
                                     : 1;
        size_t length = 1;
        while (length < need && ((unsigned char) c[length] & 0xC0) == 0x80)
            length++;
        return length;
    }
    return strlen (*piece);
}

static json_t *
s_slack_escape (const char *text, size_t max)
{
    size_t total = 0;
    const char *piece;
    for (const char *c = text; *c;) {
        size_t length = s_slack_piece (c, &piece);
        total += length;
        //  A piece's source is one byte for an entity, else itself.
        c += piece == c ? length : 1;
    }
    size_t budget = total <= max ? total : max - 3;
    char *out = malloc (budget + 4);
    if (!out)
        return NULL;
    size_t at = 0;
    for (const char *c = text; *c;) {
        size_t length = s_slack_piece (c, &piece);
        if (at + length > budget)
            break;
        memcpy (out + at, piece, length);
        at += length;
        c += piece == c ? length : 1;
    }
    if (total > budget)
        memcpy (out + at, "\xE2\x80\xA6", 3);  //  U+2026
    out[at + (total > budget ? 3 : 0)] = '\0';
    json_t *result = json_string (out);
    free (out);
    return result;
}

static const char *
s_slack_mark (const char *severity, const char *kind)
{
    if (s_resolves (kind))
        return ":white_check_mark:";
    if (strcmp (severity, "critical") == 0)
        return ":red_circle:";
    if (strcmp (severity, "warning") == 0)
        return ":warning:";
    return ":information_source:";
}

static json_t *
s_slack_section (json_t *alert)
{
    const char *mark =
        s_slack_mark (s_text (alert, "severity"), s_text (alert, "kind"));
    json_t *summary =
        s_slack_escape (s_text (alert, "summary"), S_SLACK_TEXT_MAX);
    char *text = summary
                     ? malloc (strlen (mark) + json_string_length (summary) + 2)
                     : NULL;
    if (text)
        sprintf (text, "%s %s", mark, json_string_value (summary));
    json_decref (summary);
    json_t *fields = json_array ();
    s_fact_t facts[S_FACTS_MAX];
    size_t count = s_facts (alert, facts);
    for (size_t i = 0; fields && i < count; i++) {
        char field[sizeof facts[0].value + 64];
        snprintf (field, sizeof field, "*%s*\n%s", facts[i].label,
                  facts[i].value);
        json_t *line = s_slack_escape (field, S_SLACK_FIELD_MAX);
        if (!line
            || json_array_append_new (
                fields,
                json_pack ("{s:s, s:o}", "type", "mrkdwn", "text", line))) {
            json_decref (fields);
            fields = NULL;
        }
    }
    json_t *section = NULL;
    if (text && fields) {
        section = json_pack ("{s:s, s:{s:s, s:s}}", "type", "section", "text",
                             "type", "mrkdwn", "text", text);
        //  Slack refuses an empty "fields".
        if (section && json_array_size (fields)
            && json_object_set (section, "fields", fields)) {
            json_decref (section);
            section = NULL;
        }
    }
    free (text);
    json_decref (fields);
    return section;
}

//  "from → to · kind alert ID at TIME", from and to as long as they are.
static json_t *
s_slack_context (json_t *alert)
{
    char created[40];
    s_iso (s_created (alert), created, sizeof created);
    const char *from = s_text (alert, "from");
    const char *to = s_text (alert, "to");
    ws_buf_t text;
    ws_buf_init (&text, 1 << 20);
    int rc = ws_buf_printf (
        &text, "%s%s%s%s%s alert %" PRId64 " at %s", from ? from : "",
        from || to ? " \xE2\x86\x92 " : "", to ? to : "",
        from || to ? " \xC2\xB7 " : "", s_text (alert, "kind"),
        (int64_t) json_integer_value (json_object_get (alert, "id")), created);
    char *plain = rc ? NULL : ws_buf_steal (&text);
    ws_buf_free (&text);
    json_t *line = plain ? s_slack_escape (plain, S_SLACK_TEXT_MAX) : NULL;
    free (plain);
    return line ? json_pack ("{s:s, s:[{s:s, s:o}]}", "type", "context",
                             "elements", "type", "mrkdwn", "text", line)
                : NULL;
}

static json_t *
s_slack (json_t *alerts, const char *delivery_id)
{
    json_t *first = json_array_get (alerts, 0);
    const char *kind = s_text (first, "kind");
    size_t total = json_array_size (alerts);
    size_t shown =
        total < WS_ALERT_SLACK_ALERTS ? total : WS_ALERT_SLACK_ALERTS;
    //  "text" is the notification's fallback (phone, screen reader):
    //  plain, the one summary or a count.
    ws_buf_t headline;
    ws_buf_init (&headline, 1 << 20);
    if (total == 1 && s_text (first, "goal"))
        ws_buf_printf (&headline, "Goal %s %s", s_text (first, "goal"), kind);
    else if (total == 1)
        ws_buf_printf (&headline, "watershed: %s", kind);
    else
        ws_buf_printf (&headline, "%zu %s: %s", total,
                       s_goal_kind (kind) ? "goals" : "series", kind);
    char *title = ws_buf_steal (&headline);
    ws_buf_free (&headline);
    //  Whole summaries only, so the text stays UTF-8 before the cut.
    ws_buf_t fallback;
    ws_buf_init (&fallback, 40000);
    size_t index;
    json_t *alert;
    json_array_foreach (alerts, index, alert) {
        if (ws_buf_printf (&fallback, "%s%s", index ? "\n" : "",
                           s_text (alert, "summary")))
            break;
    }
    char *plain = ws_buf_steal (&fallback);
    ws_buf_free (&fallback);
    json_t *text = plain ? s_slack_escape (plain, S_SLACK_TEXT_MAX) : NULL;
    free (plain);
    json_t *blocks = json_array ();
    json_t *header = title ? s_cut_string (title, S_SLACK_HEADER_MAX) : NULL;
    free (title);
    int rc = !text || !blocks || !header;
    if (!rc)
        rc = json_array_append_new (
            blocks,
            json_pack ("{s:s, s:{s:s, s:O, s:b}}", "type", "header", "text",
                       "type", "plain_text", "text", header, "emoji", 0));
    for (size_t i = 0; !rc && i < shown; i++) {
        alert = json_array_get (alerts, i);
        json_t *section = s_slack_section (alert);
        json_t *context = s_slack_context (alert);
        rc = !section || !context || json_array_append (blocks, section)
             || json_array_append (blocks, context);
        json_decref (section);
        json_decref (context);
    }
    char more[200];
    snprintf (more, sizeof more, "%zu more not shown \xC2\xB7 delivery %s",
              total - shown, delivery_id);
    if (!rc && total > shown)
        rc = json_array_append_new (
            blocks, json_pack ("{s:s, s:[{s:s, s:o}]}", "type", "context",
                               "elements", "type", "mrkdwn", "text",
                               s_slack_escape (more, S_SLACK_TEXT_MAX)));
    json_decref (header);
    json_t *body =
        rc ? NULL : json_pack ("{s:o, s:o}", "text", text, "blocks", blocks);
    if (rc) {
        json_decref (text);
        json_decref (blocks);
    }
    return body;
}

//  ---------------------------------------------------------------------

int
ws_alert_payload_build_with (const char *format, json_t *alerts,
                             const char *delivery_id, int64_t now,
                             const ws_alert_payload_opts_t *opts, char **body,
                             const char **content_type, ws_err_t *err)
{
    assert (body && content_type);
    *body = NULL;
    *content_type = NULL;
    if (!ws_alert_payload_format_valid (format))
        return ws_err_set (err, WS_ERR_INPUT,
                           "alert format '%s': unknown, expected watershed, "
                           "alertmanager or slack",
                           format ? format : "(null)");
    if (!delivery_id)
        delivery_id = "";
    if (s_check_all (alerts, delivery_id, err))
        return -1;
    json_t *document;
    if (strcmp (format, "watershed") == 0)
        document = s_watershed (alerts, delivery_id, now);
    else if (strcmp (format, "alertmanager") == 0)
        document = s_alertmanager (alerts, opts);
    else
        document = s_slack (alerts, delivery_id);
    char *text = document ? json_dumps (document,
                                        JSON_COMPACT | JSON_REAL_PRECISION (15))
                          : NULL;
    json_decref (document);
    if (!text)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "notification %s: could not build the %s payload "
                           "(out of memory, or a receiver or external URL "
                           "that is not UTF-8)",
                           delivery_id, format);
    *body = text;
    *content_type = "application/json";
    return 0;
}

int
ws_alert_payload_build (const char *format, json_t *alerts,
                        const char *delivery_id, int64_t now, char **body,
                        const char **content_type, ws_err_t *err)
{
    return ws_alert_payload_build_with (format, alerts, delivery_id, now, NULL,
                                        body, content_type, err);
}

//  ---------------------------------------------------------------------
//  Signatures

//  HMAC over the parts, in order, without joining them in a copy.
static int
s_hmac (const void *key, size_t key_len, const void *const *parts,
        const size_t *lengths, size_t count, unsigned char out[32])
{
    //  OpenSSL's HMAC refuses a NULL key; an empty one is a valid key.
    static const unsigned char empty = 0;
    EVP_MAC *mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
    EVP_MAC_CTX *context = mac ? EVP_MAC_CTX_new (mac) : NULL;
    OSSL_PARAM params[2];
    params[0] =
        OSSL_PARAM_construct_utf8_string ("digest", (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end ();
    int ok = context
             && EVP_MAC_init (context, key_len ? key : &empty, key_len, params);
    for (size_t i = 0; ok && i < count; i++)
        ok = EVP_MAC_update (context, parts[i], lengths[i]);
    size_t length = 0;
    ok = ok && EVP_MAC_final (context, out, &length, 32) && length == 32;
    EVP_MAC_CTX_free (context);
    EVP_MAC_free (mac);
    return ok ? 0 : -1;
}

int
ws_alert_hmac_sha256 (const void *key, size_t key_len, const void *data,
                      size_t len, unsigned char out[32])
{
    const void *parts[] = {data ? data : ""};
    size_t lengths[] = {data ? len : 0};
    return s_hmac (key, key_len, parts, lengths, 1, out);
}

static void
s_hex (const unsigned char *bytes, size_t count, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < count; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * count] = '\0';
}

//  HMAC of "<timestamp>.<body>".
static int
s_signed_digest (const void *secret, size_t secret_len, int64_t timestamp,
                 const char *body, size_t len, unsigned char out[32])
{
    char prefix[32];
    int prefix_len =
        snprintf (prefix, sizeof prefix, "%" PRId64 ".", timestamp);
    const void *parts[] = {prefix, body ? body : ""};
    size_t lengths[] = {(size_t) prefix_len, body ? len : 0};
    return s_hmac (secret, secret_len, parts, lengths, 2, out);
}

int
ws_alert_sign (const void *secret, size_t secret_len, int64_t timestamp,
               const char *body, size_t len, char out[WS_ALERT_SIGNATURE_MAX],
               ws_err_t *err)
{
    out[0] = '\0';
    if (!secret || secret_len == 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "webhook signature: the secret is empty");
    if (timestamp < 0)
        return ws_err_set (
            err, WS_ERR_INPUT,
            "webhook signature: timestamp %" PRId64 " is negative", timestamp);
    unsigned char digest[32];
    if (s_signed_digest (secret, secret_len, timestamp, body, len, digest))
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "webhook signature: HMAC-SHA256 failed in "
                           "libcrypto");
    char hex[65];
    s_hex (digest, 32, hex);
    snprintf (out, WS_ALERT_SIGNATURE_MAX, "t=%" PRId64 ",v1=%s", timestamp,
              hex);
    OPENSSL_cleanse (digest, sizeof digest);
    return 0;
}

static int
s_unhex (const char *text, size_t length, unsigned char *out)
{
    if (length != 64)
        return -1;
    for (size_t i = 0; i < 32; i++) {
        int value = 0;
        for (int j = 0; j < 2; j++) {
            char c = text[2 * i + (size_t) j];
            int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
            if (digit < 0)
                return -1;
            value = value * 16 + digit;
        }
        out[i] = (unsigned char) value;
    }
    return 0;
}

//  A header's parts are "key=value", comma separated; at most this many
//  v1 (a receiver accepts any of the sender's current secrets).
#define S_V1_MAX 8

int
ws_alert_verify (const void *secret, size_t secret_len, const char *header,
                 const char *body, size_t len, int64_t now, int64_t tolerance,
                 ws_err_t *err)
{
    if (!secret || secret_len == 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "webhook signature: the secret is empty");
    if (!header || !*header)
        return ws_err_set (err, WS_ERR_INPUT,
                           "webhook signature: header %s is missing",
                           WS_ALERT_SIGNATURE_HEADER);
    int64_t timestamp = -1;
    unsigned char given[S_V1_MAX][32];
    size_t given_count = 0;
    const char *part = header;
    while (*part) {
        const char *end = strchr (part, ',');
        size_t length = end ? (size_t) (end - part) : strlen (part);
        const char *equals = memchr (part, '=', length);
        if (!equals || equals == part)
            return ws_err_set (err, WS_ERR_INPUT,
                               "webhook signature: bad format, expected "
                               "t=<seconds>,v1=<64 hex digits>");
        size_t key_len = (size_t) (equals - part);
        const char *value = equals + 1;
        size_t value_len = length - key_len - 1;
        if (key_len == 1 && part[0] == 't') {
            bool digits = value_len > 0 && value_len <= 18 && timestamp < 0;
            int64_t t = 0;
            for (size_t i = 0; digits && i < value_len; i++) {
                digits = isdigit ((unsigned char) value[i]);
                t = t * 10 + (value[i] - '0');
            }
            if (!digits)
                return ws_err_set (err, WS_ERR_INPUT,
                                   "webhook signature: bad format, t must be "
                                   "one number of seconds");
            timestamp = t;
        }
        else if (key_len == 2 && part[0] == 'v' && part[1] == '1') {
            if (given_count == S_V1_MAX
                || s_unhex (value, value_len, given[given_count]))
                return ws_err_set (err, WS_ERR_INPUT,
                                   "webhook signature: bad format, v1 must "
                                   "be 64 hex digits (at most %d of them)",
                                   S_V1_MAX);
            given_count++;
        }
        //  Other schemes (v0, a future v2) are skipped, as Stripe's are.
        part += length;
        if (*part == ',')
            part++;
    }
    if (timestamp < 0 || given_count == 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "webhook signature: bad format, expected "
                           "t=<seconds>,v1=<64 hex digits>");
    int64_t age = now - timestamp;
    if (age > tolerance)
        return ws_err_set (err, WS_ERR_INPUT,
                           "webhook signature: timestamp %" PRId64
                           " is %" PRId64 " s old, past the %" PRId64
                           " s replay window",
                           timestamp, age, tolerance);
    if (-age > tolerance)
        return ws_err_set (err, WS_ERR_INPUT,
                           "webhook signature: timestamp %" PRId64
                           " is %" PRId64 " s in the future (clock skew "
                           "past %" PRId64 " s)",
                           timestamp, -age, tolerance);
    unsigned char expected[32];
    if (s_signed_digest (secret, secret_len, timestamp, body, len, expected))
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "webhook signature: HMAC-SHA256 failed in "
                           "libcrypto");
    //  Constant time: a timing difference must not reveal how many
    //  leading bytes of a forged signature were right. Every v1 is
    //  compared, so the count of them does not show either.
    int match = 0;
    for (size_t i = 0; i < given_count; i++)
        match |= CRYPTO_memcmp (given[i], expected, 32) == 0;
    OPENSSL_cleanse (expected, sizeof expected);
    if (!match)
        return ws_err_set (err, WS_ERR_INPUT,
                           "webhook signature: wrong signature (the body "
                           "or the secret differs)");
    return 0;
}
