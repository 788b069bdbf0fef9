//  ws_source - one web source: URL, request, schedule, extraction rules.
//  Every check names the field by its JSON pointer within the definition
//  (err->where) and says what was found, so an operator fixing an apply
//  file goes straight to the line. Unknown keys are errors: a typo such as
//  "interva1" must not silently fall back to a default.
#include "ws_extract_csv.h"
#include "ws_extract_prom.h"
#include "ws_extract_regex.h"
#include "ws_extract_xpath.h"
#include "ws_json.h"
#include "ws_json_select.h"
#include "ws_request.h"
#include "ws_source.h"
#include "ws_value.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ws_time.h"

//  The shared definition checks (ws_json), naming this module's subject.
#define s_fail(err, path, ...)                                                 \
    ws_json_fail ((err), "source", (path), __VA_ARGS__)
#define s_fail_found(err, path, found, expected)                               \
    ws_json_fail_found ((err), "source", (path), (found), (expected))
#define s_pointer_join ws_json_pointer_join
#define s_check_keys(object, path, allowed, text, err)                         \
    ws_json_check_keys ((object), (path), (allowed), (text), "source", (err))

#define S_NAME_MAX 64
#define S_URL_MAX 4096
#define S_HEADERS_MAX 64
#define S_HEADER_VALUE_MAX 4096
#define S_BODY_MAX (1024 * 1024)
#define S_METRIC_MAX 200
#define S_RULES_MAX 256
#define S_LABELS_MAX 64
#define S_LABEL_KEY_MAX 128
#define S_LABEL_VALUE_MAX 1024
#define S_POINTER_MAX 1024
#define S_SERIES_DEFAULT 100
#define S_SERIES_MAX 10000

#define S_INTERVAL_MIN 100
#define S_INTERVAL_MAX (7 * 86400000LL)
#define S_TIMEOUT_MIN 100
#define S_TIMEOUT_MAX (10 * 60000LL)
#define S_TIMEOUT_DEFAULT 10000
#define S_INTERVAL_DEFAULT 60000
#define S_PERIOD_MIN 1000
#define S_PERIOD_MAX (366 * 86400000LL)
#define S_RETRIES_MAX 5
#define S_RETRIES_DEFAULT 2

struct _ws_source_t {
    char *name;       //  owns
    char *url;        //  owns
    char *method;     //  owns; "GET" or "POST"
    json_t *headers;  //  owns; object of strings
    char *body;       //  owns; NULL if none
    int64_t interval_ms;
    int64_t timeout_ms;
    int retries;
    int max_series;
    ws_request_t *request;  //  owns; auth, user_agent, params
    bool enabled;
    json_t *labels;        //  owns; the source's own labels
    ws_rule_t *rules;      //  owns the array and each rule's fields
    json_t **rule_labels;  //  owns; each rule's own labels, for to_json
    size_t rule_count;
};

//  Describe a JSON value for "found ..." in an error: the type and, for a
//  scalar, its text (strings cut at 40 bytes).

//  Set err with where = path and text "path: ...". Returns -1.

//  A string field: present or not (*text NULL), length 1..max.
static int
s_string (json_t *object, const char *key, const char *base, bool required,
          size_t max, const char **text, ws_err_t *err)
{
    char path[128];
    s_pointer_join (path, sizeof path, base, key);
    json_t *value = json_object_get (object, key);
    *text = NULL;
    if (!value) {
        if (required)
            return s_fail (err, path, "missing, it is required");
        return 0;
    }
    if (!json_is_string (value))
        return s_fail_found (err, path, value, "a string");
    size_t len = json_string_length (value);
    if (len == 0)
        return s_fail (err, path, "empty, expected 1 to %zu characters", max);
    if (len > max)
        return s_fail (err, path, "%zu characters, at most %zu allowed", len,
                       max);
    if (strlen (json_string_value (value)) != len)
        return s_fail (err, path, "contains a NUL character");
    *text = json_string_value (value);
    return 0;
}

//  A duration: a string such as "90s" or a number of seconds.
static int
s_duration (json_t *object, const char *key, const char *base, int64_t fallback,
            int64_t min, int64_t max, int64_t *ms, ws_err_t *err)
{
    char path[128];
    s_pointer_join (path, sizeof path, base, key);
    json_t *value = json_object_get (object, key);
    char min_text[32], max_text[32];
    ws_duration_format (min, min_text, sizeof min_text);
    ws_duration_format (max, max_text, sizeof max_text);
    if (!value) {
        *ms = fallback;
        return 0;
    }
    if (json_is_string (value)) {
        ws_err_t inner;
        if (ws_duration_parse (json_string_value (value), ms, &inner))
            return s_fail_found (err, path, value,
                                 "a duration such as \"30s\", \"5m\", \"1d\"");
    }
    else if (json_is_number (value)) {
        double seconds = json_number_value (value);
        if (!isfinite (seconds) || seconds < 0 || seconds > 1e9)
            return s_fail_found (err, path, value,
                                 "a duration such as \"30s\", \"5m\", \"1d\"");
        *ms = (int64_t) llround (seconds * 1000.0);
    }
    else
        return s_fail_found (err, path, value,
                             "a duration such as \"30s\", \"5m\", \"1d\"");
    if (*ms < min || *ms > max) {
        char found[32];
        ws_duration_format (*ms, found, sizeof found);
        return s_fail (err, path, "%s is out of range, expected %s to %s",
                       *ms ? found : "0s", min_text, max_text);
    }
    return 0;
}

static bool
s_is_token_char (unsigned char c)
{
    return isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
s_valid_label_key (const char *key)
{
    if (!isalpha ((unsigned char) *key) && *key != '_')
        return false;
    for (const char *p = key + 1; *p; p++)
        if (!isalnum ((unsigned char) *p) && *p != '_')
            return false;
    return true;
}

//  scheme://host[:port][/path][?query][#fragment], scheme http or https,
//  no spaces or control characters, no user:password (it would be stored
//  in the database; secrets go in headers as ${NAME}).
static int
s_check_url (const char *url, const char *path, ws_err_t *err)
{
    for (const unsigned char *p = (const unsigned char *) url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return s_fail (err, path,
                           "\"%.60s\": contains a space or control character "
                           "(encode it as %%XX)",
                           url);
    const char *rest;
    if (strncasecmp (url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncasecmp (url, "https://", 8) == 0)
        rest = url + 8;
    else
        return s_fail (err, path,
                       "\"%.60s\": expected an http:// or https:// URL", url);
    size_t authority = strcspn (rest, "/?#");
    const char *host = rest;
    const char *end = rest + authority;
    if (memchr (host, '@', authority))
        return s_fail (err, path,
                       "\"%.60s\": credentials in the URL would be stored; "
                       "use a header with ${NAME} instead",
                       url);
    const char *port = NULL;
    if (*host == '[') {
        const char *close = memchr (host, ']', authority);
        if (!close || close == host + 1)
            return s_fail (err, path, "\"%.60s\": bad IPv6 address", url);
        for (const char *p = host + 1; p < close; p++)
            if (!isxdigit ((unsigned char) *p) && *p != ':' && *p != '.')
                return s_fail (err, path, "\"%.60s\": bad IPv6 address", url);
        if (close + 1 < end) {
            if (close[1] != ':')
                return s_fail (err, path, "\"%.60s\": bad host", url);
            port = close + 2;
        }
    }
    else {
        const char *colon = memchr (host, ':', authority);
        const char *host_end = colon ? colon : end;
        if (host_end == host)
            return s_fail (err, path, "\"%.60s\": no host", url);
        for (const char *p = host; p < host_end; p++)
            if (!isalnum ((unsigned char) *p) && !strchr ("-._", *p))
                return s_fail (err, path,
                               "\"%.60s\": bad character '%c' in the host", url,
                               *p);
        if (colon)
            port = colon + 1;
    }
    if (port) {
        long number = 0;
        if (port == end)
            return s_fail (err, path, "\"%.60s\": empty port", url);
        for (const char *p = port; p < end; p++) {
            if (!isdigit ((unsigned char) *p) || number > 65535)
                return s_fail (err, path, "\"%.60s\": bad port", url);
            number = number * 10 + (*p - '0');
        }
        if (number < 1 || number > 65535)
            return s_fail (err, path, "\"%.60s\": port out of range 1..65535",
                           url);
    }
    return 0;
}

//  ${NAME} references must be well formed; the value is only looked up
//  by the worker at fetch time.
static int
s_check_header_value (const char *value, const char *path, ws_err_t *err)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\r' || *p == '\n')
            return s_fail (err, path, "contains a line break");
        if (p[0] == '$' && p[1] == '{') {
            const char *name = p + 2;
            const char *close = strchr (name, '}');
            if (!close)
                return s_fail (err, path, "\"${\" without a closing \"}\"");
            if (close == name || isdigit ((unsigned char) *name))
                return s_fail (err, path,
                               "bad variable name in ${...}, expected "
                               "[A-Za-z_][A-Za-z0-9_]*");
            for (const char *q = name; q < close; q++)
                if (!isalnum ((unsigned char) *q) && *q != '_')
                    return s_fail (err, path,
                                   "bad variable name in ${...}, expected "
                                   "[A-Za-z_][A-Za-z0-9_]*");
            p = close;
        }
    }
    return 0;
}

static int
s_check_headers (json_t *headers, ws_err_t *err)
{
    if (!json_is_object (headers))
        return s_fail_found (err, "/headers", headers,
                             "an object of header names to strings");
    if (json_object_size (headers) > S_HEADERS_MAX)
        return s_fail (err, "/headers", "%zu headers, at most %d allowed",
                       json_object_size (headers), S_HEADERS_MAX);
    const char *key;
    json_t *value;
    json_object_foreach (headers, key, value) {
        char path[128];
        s_pointer_join (path, sizeof path, "/headers", key);
        if (!*key)
            return s_fail (err, path, "empty header name");
        for (const char *p = key; *p; p++)
            if (!s_is_token_char ((unsigned char) *p))
                return s_fail (err, path,
                               "bad character '%c' in the header name "
                               "(letters, digits and !#$%%&'*+-.^_`|~ only)",
                               *p);
        if (!json_is_string (value))
            return s_fail_found (err, path, value, "a string");
        if (json_string_length (value) > S_HEADER_VALUE_MAX)
            return s_fail (err, path, "longer than %d characters",
                           S_HEADER_VALUE_MAX);
        if (strlen (json_string_value (value)) != json_string_length (value))
            return s_fail (err, path, "contains a NUL character");
        if (s_check_header_value (json_string_value (value), path, err))
            return -1;
    }
    return 0;
}

//  A labels object: keys [A-Za-z_][A-Za-z0-9_]*, values strings.
static int
s_check_labels (json_t *labels, const char *path, ws_err_t *err)
{
    if (!json_is_object (labels))
        return s_fail_found (err, path, labels,
                             "an object of label names to strings");
    if (json_object_size (labels) > S_LABELS_MAX)
        return s_fail (err, path, "%zu labels, at most %d allowed",
                       json_object_size (labels), S_LABELS_MAX);
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value) {
        char where[128];
        s_pointer_join (where, sizeof where, path, key);
        if (!s_valid_label_key (key) || strlen (key) > S_LABEL_KEY_MAX)
            return s_fail (err, where,
                           "bad label name \"%.40s\", expected "
                           "[A-Za-z_][A-Za-z0-9_]* of at most %d characters",
                           key, S_LABEL_KEY_MAX);
        if (!json_is_string (value))
            return s_fail_found (err, where, value, "a string");
        if (json_string_length (value) > S_LABEL_VALUE_MAX)
            return s_fail (err, where, "longer than %d characters",
                           S_LABEL_VALUE_MAX);
        if (strlen (json_string_value (value)) != json_string_length (value))
            return s_fail (err, where, "contains a NUL character");
    }
    return 0;
}

//  RFC 6901: "" or "/"-separated segments where '~' is followed by 0 or 1.
//  Sets *wildcard when a segment is exactly "*".
static int
s_check_pointer (const char *pointer, const char *path, bool *wildcard,
                 ws_err_t *err)
{
    *wildcard = false;
    if (*pointer && *pointer != '/')
        return s_fail (err, path,
                       "\"%.60s\": a JSON pointer starts with \"/\" "
                       "(or is \"\" for the whole document)",
                       pointer);
    for (const char *p = pointer; *p; p++) {
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return s_fail (err, path,
                           "\"%.60s\": '~' must be followed by 0 or 1 "
                           "(~0 is '~', ~1 is '/')",
                           pointer);
        if (*p == '/' && p[1] == '*' && (p[2] == '/' || p[2] == '\0'))
            *wildcard = true;
    }
    return 0;
}

static int
s_parse_agg (const char *text, ws_agg_t *aggregate)
{
    for (int i = WS_AGG_SUM; i <= WS_AGG_AVG; i++)
        if (strcmp (text, ws_agg_name ((ws_agg_t) i)) == 0) {
            *aggregate = (ws_agg_t) i;
            return 0;
        }
    return -1;
}

static int
s_parse_type (const char *text, ws_metric_type_t *type)
{
    for (int i = WS_METRIC_GAUGE; i <= WS_METRIC_PER_PERIOD; i++)
        if (strcmp (text, ws_metric_type_name ((ws_metric_type_t) i)) == 0) {
            *type = (ws_metric_type_t) i;
            return 0;
        }
    return -1;
}

static int
s_oom (ws_err_t *err)
{
    return ws_err_set (err, WS_ERR_SYSTEM, "source: out of memory");
}

static void
s_rule_free (ws_rule_t *rule)
{
    free (rule->metric);
    free (rule->pointer);
    json_decref (rule->labels);
    free (rule->labels_text);
    json_decref (rule->spec);
    switch (rule->kind) {
    case WS_EXTRACT_REGEX:
        ws_extract_regex_destroy ((ws_extract_regex_t **) &rule->extractor);
        break;
    case WS_EXTRACT_XPATH:
        ws_extract_xpath_destroy ((ws_extract_xpath_t **) &rule->extractor);
        break;
    case WS_EXTRACT_CSV:
        ws_extract_csv_destroy ((ws_extract_csv_t **) &rule->extractor);
        break;
    case WS_EXTRACT_PROM:
        ws_extract_prom_destroy ((ws_extract_prom_t **) &rule->extractor);
        break;
    case WS_EXTRACT_JSON:
        ws_json_select_destroy ((ws_json_select_t **) &rule->extractor);
        break;
    }
    ws_value_conv_destroy ((ws_value_conv_t **) &rule->conv);
    memset (rule, 0, sizeof *rule);
}

//  The extraction keys of each kind: its own key first, then its
//  options. Any kind may add the common ones.
static const char *const s_kind_keys[][4] = {
    [WS_EXTRACT_JSON] = {"json", NULL},
    [WS_EXTRACT_REGEX] = {"regex", "group", "flags", NULL},
    [WS_EXTRACT_XPATH] = {"xpath", "document", "namespaces", NULL},
    [WS_EXTRACT_CSV] = {"csv", NULL},
    [WS_EXTRACT_PROM] = {"prometheus", NULL},
};
static const char *const s_common_keys[] = {"labels_from", "decimal", "convert",
                                            NULL};

const char *
ws_extract_kind_name (ws_extract_kind_t kind)
{
    return s_kind_keys[kind][0];
}

//  Which kind a rule is: exactly one of the kinds' keys. -1 with err.
static int
s_rule_kind (json_t *def, const char *base, ws_extract_kind_t *kind,
             ws_err_t *err)
{
    int found = -1;
    for (int k = WS_EXTRACT_JSON; k <= WS_EXTRACT_PROM; k++) {
        if (!json_object_get (def, s_kind_keys[k][0]))
            continue;
        if (found >= 0)
            return s_fail (err, base,
                           "both \"%s\" and \"%s\": a rule reads the "
                           "document one way",
                           s_kind_keys[found][0], s_kind_keys[k][0]);
        found = k;
    }
    if (found < 0)
        return s_fail (err, base,
                       "no extraction: give one of \"json\" (a JSON "
                       "pointer such as \"/data/count\"), \"regex\", "
                       "\"xpath\", \"csv\" or \"prometheus\"");
    //  An option of another kind is a mistake worth naming.
    for (int k = WS_EXTRACT_JSON; k <= WS_EXTRACT_PROM; k++)
        for (int i = 1; k != found && s_kind_keys[k][i]; i++)
            if (json_object_get (def, s_kind_keys[k][i])) {
                char path[128];
                s_pointer_join (path, sizeof path, base, s_kind_keys[k][i]);
                return s_fail (err, path,
                               "an option of \"%s\" rules, this "
                               "one is a \"%s\" rule",
                               s_kind_keys[k][0], s_kind_keys[found][0]);
            }
    *kind = (ws_extract_kind_t) found;
    return 0;
}

//  An extractor's or conversion's refusal, placed under the rule: its
//  where under the rule's, its text "WHERE: what" with WHERE the whole
//  pointer, as every other refusal here ("/csv/column: ..." or
//  "regex: ..." become "/metrics/0/csv/column: ...").
static int
s_fail_inner (ws_err_t *err, const char *base, ws_err_t *inner)
{
    if (err) {
        char where[sizeof err->where];
        snprintf (where, sizeof where, "%s%s", base, inner->where);
        const char *text = inner->text;
        const char *key = inner->where[0] == '/' ? inner->where + 1 : "";
        size_t len = strlen (inner->where), key_len = strlen (key);
        if (len && strncmp (text, inner->where, len) == 0
            && strncmp (text + len, ": ", 2) == 0)
            text += len + 2;
        else if (key_len && strncmp (text, key, key_len) == 0
                 && strncmp (text + key_len, ": ", 2) == 0)
            text += key_len + 2;
        ws_err_set (err, WS_ERR_INPUT, "%s: %s", where, text);
        ws_err_where (err, "%s", where);
    }
    return -1;
}

//  Compile a rule of kind regex, xpath, csv or prometheus; its spec and
//  its expression (for messages) as written.
static int
s_compile (ws_rule_t *rule, json_t *def, const char *base, ws_err_t *err)
{
    ws_err_t inner;
    ws_err_clear (&inner);
    const char *expr = NULL;
    switch (rule->kind) {
    case WS_EXTRACT_REGEX:
        rule->extractor = ws_extract_regex_new (def, &inner);
        expr = rule->extractor ? ws_extract_regex_expr (rule->extractor) : NULL;
        break;
    case WS_EXTRACT_XPATH:
        rule->extractor = ws_extract_xpath_new (def, &inner);
        expr = rule->extractor ? ws_extract_xpath_expr (rule->extractor) : NULL;
        break;
    case WS_EXTRACT_CSV:
        rule->extractor = ws_extract_csv_new (def, &inner);
        expr = rule->extractor ? ws_extract_csv_expr (rule->extractor) : NULL;
        break;
    case WS_EXTRACT_PROM:
        rule->extractor = ws_extract_prom_new (def, &inner);
        expr = rule->extractor ? ws_extract_prom_expr (rule->extractor) : NULL;
        break;
    case WS_EXTRACT_JSON: return 0;  //  compiled with its pointer
    }
    if (!rule->extractor)
        return s_fail_inner (err, base, &inner);
    rule->pointer = strdup (expr);
    return rule->pointer ? 0 : s_oom (err);
}

static int
s_parse_rule (ws_source_t *self, json_t *def, size_t index, ws_err_t *err)
{
    static const char *const keys[] = {
        "name",     "type",       "period", "aggregate",  "labels",
        "json",     "regex",      "group",  "flags",      "xpath",
        "document", "namespaces", "csv",    "prometheus", "labels_from",
        "decimal",  "convert",    NULL};
    char base[64];
    snprintf (base, sizeof base, "/metrics/%zu", index);
    if (!json_is_object (def))
        return s_fail_found (err, base, def, "an object (one rule)");
    if (s_check_keys (def, base, keys,
                      "name, type, period, aggregate, labels, one of json, "
                      "regex, xpath, csv, prometheus with their options, "
                      "labels_from, decimal, convert",
                      err))
        return -1;

    ws_rule_t *rule = &self->rules[index];
    if (s_rule_kind (def, base, &rule->kind, err))
        return -1;
    const char *metric, *type_text, *pointer, *agg_text;
    char path[128];
    if (s_string (def, "name", base, true, S_METRIC_MAX, &metric, err))
        return -1;
    if (!ws_json_valid_metric (metric)) {
        snprintf (path, sizeof path, "%s/name", base);
        return s_fail (err, path,
                       "\"%.60s\": bad metric name, expected "
                       "[A-Za-z_:][A-Za-z0-9_:.]*",
                       metric);
    }
    if (s_string (def, "type", base, true, 32, &type_text, err))
        return -1;
    if (s_parse_type (type_text, &rule->type)) {
        snprintf (path, sizeof path, "%s/type", base);
        return s_fail_found (err, path, json_object_get (def, "type"),
                             "gauge, counter or per_period");
    }
    snprintf (path, sizeof path, "%s/period", base);
    if (rule->type == WS_METRIC_PER_PERIOD) {
        if (!json_object_get (def, "period"))
            return s_fail (err, path,
                           "missing, a per_period metric needs one "
                           "(e.g. \"1d\")");
        if (s_duration (def, "period", base, 0, S_PERIOD_MIN, S_PERIOD_MAX,
                        &rule->period_ms, err))
            return -1;
    }
    else if (json_object_get (def, "period"))
        return s_fail (err, path,
                       "only a per_period metric has a period, "
                       "this one is a %s",
                       type_text);

    if (s_string (def, "aggregate", base, false, 16, &agg_text, err))
        return -1;
    rule->aggregate = WS_AGG_NONE;
    snprintf (path, sizeof path, "%s/aggregate", base);
    if (agg_text && s_parse_agg (agg_text, &rule->aggregate))
        return s_fail_found (err, path, json_object_get (def, "aggregate"),
                             "sum, count, min, max or avg");
    bool wildcard = false;
    pointer = NULL;
    if (rule->kind == WS_EXTRACT_JSON) {
        //  "json" may be "" (the whole document is the number), so it is
        //  not read with s_string.
        snprintf (path, sizeof path, "%s/json", base);
        json_t *value = json_object_get (def, "json");
        if (!json_is_string (value))
            return s_fail_found (err, path, value, "a JSON pointer string");
        pointer = json_string_value (value);
        if (json_string_length (value) > S_POINTER_MAX
            || strlen (pointer) != json_string_length (value))
            return s_fail (err, path, "longer than %d characters or has a NUL",
                           S_POINTER_MAX);
        //  A plain pointer reads numbers on the fast path
        //  (ws_extract_json); filters, labels from the document or a
        //  conversion go through a compiled ws_json_select.
        bool selects = strpbrk (pointer, "[]") != NULL;
        for (int i = 0; s_common_keys[i]; i++)
            selects = selects || json_object_get (def, s_common_keys[i]);
        if (!selects && s_check_pointer (pointer, path, &wildcard, err))
            return -1;
        if (selects) {
            rule->extractor = ws_json_select_new (
                pointer, json_object_get (def, "labels_from"),
                rule->aggregate == WS_AGG_COUNT, path, err);
            if (!rule->extractor)
                return -1;
            //  A "*" takes any number of values: it needs an aggregate.
            //  A filter alone may well pick one ([name=Spring Sale]);
            //  more than one is then an error when collected.
            for (const char *p = pointer; *p && !wildcard; p++)
                wildcard = p[0] == '/' && p[1] == '*'
                           && (p[2] == '/' || p[2] == '[' || !p[2]);
        }
    }

    snprintf (path, sizeof path, "%s/aggregate", base);
    if (wildcard && rule->aggregate == WS_AGG_NONE)
        return s_fail (err, path,
                       "missing, the pointer \"%.60s\" has a \"*\" so it "
                       "needs sum, count, min, max or avg",
                       pointer);
    if (s_compile (rule, def, base, err))
        return -1;
    ws_err_t inner;
    ws_err_clear (&inner);
    rule->conv = ws_value_conv_new (def, &inner);
    if (!rule->conv)
        return s_fail_inner (err, base, &inner);
    //  The spec: the kind's keys and the common ones, as given.
    rule->spec = json_object ();
    if (!rule->spec)
        return s_oom (err);
    for (int i = 0; s_kind_keys[rule->kind][i]; i++) {
        json_t *value = json_object_get (def, s_kind_keys[rule->kind][i]);
        if (value
            && json_object_set (rule->spec, s_kind_keys[rule->kind][i], value))
            return s_oom (err);
    }
    for (int i = 0; s_common_keys[i]; i++) {
        json_t *value = json_object_get (def, s_common_keys[i]);
        if (value && json_object_set (rule->spec, s_common_keys[i], value))
            return s_oom (err);
    }

    //  The series labels: the source's, then the rule's (which win).
    json_t *own = json_object_get (def, "labels");
    snprintf (path, sizeof path, "%s/labels", base);
    if (own && s_check_labels (own, path, err))
        return -1;
    json_t *labels = json_deep_copy (self->labels);
    if (!labels || (own && json_object_update (labels, own))) {
        json_decref (labels);
        return s_oom (err);
    }
    rule->labels = labels;
    if (json_object_size (labels) > S_LABELS_MAX)
        return s_fail (err, path,
                       "%zu labels with the source's, at most %d allowed",
                       json_object_size (labels), S_LABELS_MAX);
    self->rule_labels[index] = own ? json_deep_copy (own) : json_object ();
    //  Labels from the document: names like any label's, none that the
    //  rule or source fixes already (which one would win?).
    json_t *from = json_object_get (def, "labels_from");
    if (from) {
        snprintf (path, sizeof path, "%s/labels_from", base);
        if (!json_is_object (from) || json_object_size (from) == 0)
            return s_fail_found (err, path, from,
                                 "an object: label name -> where in the "
                                 "document");
        const char *key;
        json_t *where;
        json_object_foreach (from, key, where) {
            char at[200];
            s_pointer_join (at, sizeof at, path, key);
            if (!s_valid_label_key (key) || strlen (key) > S_LABEL_KEY_MAX)
                return s_fail (err, at,
                               "bad label name, expected "
                               "[A-Za-z_][A-Za-z0-9_]*");
            if (json_object_get (labels, key))
                return s_fail (err, at,
                               "\"%.60s\" is also a fixed label of the rule "
                               "or source",
                               key);
        }
        if (json_object_size (labels) + json_object_size (from) > S_LABELS_MAX)
            return s_fail (err, path, "more than %d labels in all",
                           S_LABELS_MAX);
        rule->doc_labels = true;
    }
    rule->metric = strdup (metric);
    if (!rule->pointer)
        rule->pointer = strdup (pointer ? pointer : "");
    rule->labels_text = json_dumps (labels, JSON_COMPACT | JSON_SORT_KEYS);
    if (!self->rule_labels[index] || !rule->metric || !rule->pointer
        || !rule->labels_text)
        return s_oom (err);

    //  Two rules writing the same series would collide on (series, tick):
    //  one value would silently win.
    for (size_t i = 0; i < index; i++)
        if (strcmp (self->rules[i].metric, rule->metric) == 0
            && strcmp (self->rules[i].labels_text, rule->labels_text) == 0)
            return s_fail (err, base,
                           "same metric \"%.60s\" and labels as /metrics/%zu",
                           rule->metric, i);
    return 0;
}

static int
s_parse (ws_source_t *self, json_t *def, ws_err_t *err)
{
    static const char *const keys[] = {
        "name",       "url",    "method",   "headers", "body",    "auth",
        "user_agent", "params", "interval", "timeout", "retries", "max_series",
        "enabled",    "labels", "metrics",  NULL};
    if (!json_is_object (def))
        return s_fail_found (err, "", def, "an object (a source definition)");
    if (s_check_keys (def, "", keys,
                      "name, url, method, headers, body, auth, user_agent, "
                      "params, interval, timeout, retries, max_series, "
                      "enabled, labels, metrics",
                      err))
        return -1;

    const char *name, *url, *method, *body;
    if (s_string (def, "name", "", true, S_NAME_MAX, &name, err))
        return -1;
    if (!ws_json_valid_name (name))
        return s_fail (err, "/name",
                       "\"%.64s\": bad name, expected letters, digits, "
                       "'_', '.' and '-'",
                       name);
    if (s_string (def, "url", "", true, S_URL_MAX, &url, err)
        || s_check_url (url, "/url", err))
        return -1;
    if (s_string (def, "method", "", false, 8, &method, err))
        return -1;
    if (!method)
        method = "GET";
    else if (strcmp (method, "GET") != 0 && strcmp (method, "POST") != 0)
        return s_fail_found (err, "/method", json_object_get (def, "method"),
                             "GET or POST");

    json_t *headers = json_object_get (def, "headers");
    if (headers && s_check_headers (headers, err))
        return -1;

    json_t *body_value = json_object_get (def, "body");
    body = NULL;
    if (body_value) {
        if (!json_is_string (body_value))
            return s_fail_found (err, "/body", body_value, "a string");
        if (json_string_length (body_value) > S_BODY_MAX)
            return s_fail (err, "/body", "longer than %d bytes", S_BODY_MAX);
        if (strlen (json_string_value (body_value))
            != json_string_length (body_value))
            return s_fail (err, "/body", "contains a NUL character");
        if (strcmp (method, "POST") != 0)
            return s_fail (err, "/body",
                           "a request body needs \"method\": \"POST\"");
        body = json_string_value (body_value);
    }

    if (s_duration (def, "interval", "", S_INTERVAL_DEFAULT, S_INTERVAL_MIN,
                    S_INTERVAL_MAX, &self->interval_ms, err)
        || s_duration (def, "timeout", "", S_TIMEOUT_DEFAULT, S_TIMEOUT_MIN,
                       S_TIMEOUT_MAX, &self->timeout_ms, err))
        return -1;

    json_t *retries = json_object_get (def, "retries");
    self->retries = S_RETRIES_DEFAULT;
    if (retries) {
        if (!json_is_integer (retries) || json_integer_value (retries) < 0
            || json_integer_value (retries) > S_RETRIES_MAX)
            return s_fail_found (err, "/retries", retries,
                                 "an integer from 0 to 5");
        self->retries = (int) json_integer_value (retries);
    }

    self->request = ws_request_new (def, err);
    if (!self->request)
        return -1;

    json_t *max_series = json_object_get (def, "max_series");
    self->max_series = S_SERIES_DEFAULT;
    if (max_series) {
        if (!json_is_integer (max_series) || json_integer_value (max_series) < 1
            || json_integer_value (max_series) > S_SERIES_MAX)
            return s_fail_found (err, "/max_series", max_series,
                                 "an integer from 1 to 10000");
        self->max_series = (int) json_integer_value (max_series);
    }

    json_t *enabled = json_object_get (def, "enabled");
    self->enabled = true;
    if (enabled) {
        if (!json_is_boolean (enabled))
            return s_fail_found (err, "/enabled", enabled, "true or false");
        self->enabled = json_is_true (enabled);
    }

    json_t *labels = json_object_get (def, "labels");
    if (labels && s_check_labels (labels, "/labels", err))
        return -1;

    self->name = strdup (name);
    self->url = strdup (url);
    self->method = strdup (method);
    self->headers = headers ? json_deep_copy (headers) : json_object ();
    self->body = body ? strdup (body) : NULL;
    self->labels = labels ? json_deep_copy (labels) : json_object ();
    if (!self->name || !self->url || !self->method || !self->headers
        || (body && !self->body) || !self->labels)
        return s_oom (err);

    json_t *metrics = json_object_get (def, "metrics");
    if (!metrics)
        return s_fail (err, "/metrics", "missing, a source needs 1 to %d rules",
                       S_RULES_MAX);
    if (!json_is_array (metrics))
        return s_fail_found (err, "/metrics", metrics, "an array of rules");
    size_t count = json_array_size (metrics);
    if (count < 1 || count > S_RULES_MAX)
        return s_fail (err, "/metrics", "%zu rules, expected 1 to %d", count,
                       S_RULES_MAX);
    self->rules = calloc (count, sizeof *self->rules);
    self->rule_labels = calloc (count, sizeof *self->rule_labels);
    if (!self->rules || !self->rule_labels)
        return s_oom (err);
    self->rule_count = count;
    for (size_t i = 0; i < count; i++)
        if (s_parse_rule (self, json_array_get (metrics, i), i, err))
            return -1;
    return 0;
}

ws_source_t *
ws_source_new (json_t *def, ws_err_t *err)
{
    ws_source_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_oom (err);
        return NULL;
    }
    if (s_parse (self, def, err))
        ws_source_destroy (&self);
    return self;
}

void
ws_source_destroy (ws_source_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_source_t *self = *self_p;
    free (self->name);
    free (self->url);
    free (self->method);
    json_decref (self->headers);
    free (self->body);
    ws_request_destroy (&self->request);
    json_decref (self->labels);
    for (size_t i = 0; i < self->rule_count; i++) {
        s_rule_free (&self->rules[i]);
        json_decref (self->rule_labels[i]);
    }
    free (self->rules);
    free (self->rule_labels);
    free (self);
    *self_p = NULL;
}

//  jansson's *_new calls steal the value and fail on NULL, so one check
//  of the result at the end covers every allocation.
json_t *
ws_source_to_json (ws_source_t *self)
{
    char interval[32], timeout[32];
    ws_duration_format (self->interval_ms, interval, sizeof interval);
    ws_duration_format (self->timeout_ms, timeout, sizeof timeout);
    json_t *def = json_object ();
    json_t *metrics = json_array ();
    if (!def || !metrics) {
        json_decref (def);
        json_decref (metrics);
        return NULL;
    }
    int rc = 0;
    rc |= json_object_set_new (def, "name", json_string (self->name));
    rc |= json_object_set_new (def, "url", json_string (self->url));
    rc |= json_object_set_new (def, "method", json_string (self->method));
    rc |= json_object_set_new (def, "headers", json_deep_copy (self->headers));
    if (self->body)
        rc |= json_object_set_new (def, "body", json_string (self->body));
    json_t *request = ws_request_to_json (self->request);
    rc |= request ? json_object_update (def, request) : -1;
    json_decref (request);
    rc |= json_object_set_new (def, "interval", json_string (interval));
    rc |= json_object_set_new (def, "timeout", json_string (timeout));
    rc |= json_object_set_new (def, "retries", json_integer (self->retries));
    if (self->max_series != S_SERIES_DEFAULT)
        rc |= json_object_set_new (def, "max_series",
                                   json_integer (self->max_series));
    rc |= json_object_set_new (def, "enabled", json_boolean (self->enabled));
    rc |= json_object_set_new (def, "labels", json_deep_copy (self->labels));
    rc |= json_object_set_new (def, "metrics", metrics);
    for (size_t i = 0; i < self->rule_count; i++) {
        const ws_rule_t *rule = &self->rules[i];
        json_t *item = json_object ();
        rc |= json_array_append_new (metrics, item);
        if (!item)
            break;
        rc |= json_object_set_new (item, "name", json_string (rule->metric));
        rc |= json_object_set_new (
            item, "type", json_string (ws_metric_type_name (rule->type)));
        if (rule->type == WS_METRIC_PER_PERIOD) {
            char period[32];
            ws_duration_format (rule->period_ms, period, sizeof period);
            rc |= json_object_set_new (item, "period", json_string (period));
        }
        if (rule->kind == WS_EXTRACT_JSON)
            rc |=
                json_object_set_new (item, "json", json_string (rule->pointer));
        rc |= json_object_update (item, rule->spec);
        if (rule->aggregate != WS_AGG_NONE)
            rc |= json_object_set_new (
                item, "aggregate", json_string (ws_agg_name (rule->aggregate)));
        rc |= json_object_set_new (item, "labels",
                                   json_deep_copy (self->rule_labels[i]));
    }
    if (rc) {
        json_decref (def);
        return NULL;
    }
    return def;
}

const char *
ws_source_name (ws_source_t *self)
{
    return self->name;
}

const char *
ws_source_url (ws_source_t *self)
{
    return self->url;
}

const char *
ws_source_method (ws_source_t *self)
{
    return self->method;
}

json_t *
ws_source_headers (ws_source_t *self)
{
    return self->headers;
}

const char *
ws_source_body (ws_source_t *self)
{
    return self->body;
}

int64_t
ws_source_interval_ms (ws_source_t *self)
{
    return self->interval_ms;
}

int64_t
ws_source_timeout_ms (ws_source_t *self)
{
    return self->timeout_ms;
}

int
ws_source_retries (ws_source_t *self)
{
    return self->retries;
}

bool
ws_source_enabled (ws_source_t *self)
{
    return self->enabled;
}

size_t
ws_source_rule_count (ws_source_t *self)
{
    return self->rule_count;
}

ws_request_t *
ws_source_request (ws_source_t *self)
{
    return self->request;
}

int
ws_source_max_series (ws_source_t *self)
{
    return self->max_series;
}

bool
ws_source_doc_labels (ws_source_t *self)
{
    for (size_t i = 0; i < self->rule_count; i++)
        if (self->rules[i].doc_labels)
            return true;
    return false;
}

const ws_rule_t *
ws_source_rule (ws_source_t *self, size_t index)
{
    return index < self->rule_count ? &self->rules[index] : NULL;
}

const char *
ws_metric_type_name (ws_metric_type_t type)
{
    switch (type) {
    case WS_METRIC_GAUGE: return "gauge";
    case WS_METRIC_COUNTER: return "counter";
    case WS_METRIC_PER_PERIOD: return "per_period";
    }
    return "unknown";
}

const char *
ws_agg_name (ws_agg_t aggregate)
{
    switch (aggregate) {
    case WS_AGG_NONE: return "none";
    case WS_AGG_SUM: return "sum";
    case WS_AGG_COUNT: return "count";
    case WS_AGG_MIN: return "min";
    case WS_AGG_MAX: return "max";
    case WS_AGG_AVG: return "avg";
    }
    return "unknown";
}
