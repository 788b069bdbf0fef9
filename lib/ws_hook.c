//  ws_hook - alert hooks, their matching and silences.
#include "ws_hook.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_buf.h"
#include "ws_json.h"
#include "ws_time.h"

#define s_fail(err, path, ...) ws_json_fail ((err), "hook", (path), __VA_ARGS__)
#define s_fail_found(err, path, found, expected)                               \
    ws_json_fail_found ((err), "hook", (path), (found), (expected))

#define S_NAME_MAX 64
#define S_URL_MAX 2048
#define S_TEXT_MAX 1024
#define S_ARG_MAX 4096
#define S_ARGV_MAX 64
#define S_MAP_MAX 32
#define S_LIST_MAX 256
#define S_VAR_MAX 128
#define S_MINUTE 60000LL
#define S_DAY 86400000LL

struct _ws_hook_t {
    char *name;
    ws_hook_type_t type;
    char *url;           //  webhook, else NULL
    const char *format;  //  static: one of s_formats; NULL for a command
    char *secret_env;    //  NULL if none
    json_t *headers;     //  owned, NULL if none
    json_t *argv;        //  owned, command only
    json_t *env;         //  owned, NULL if none
    int64_t timeout;     //  of one attempt (a POST, a command run)
    json_t *match;       //  owned, normalised, NULL if it takes anything
    int64_t repeat_interval, max_age;
    bool send_resolved;
};

static const char *s_formats[] = {"watershed", "alertmanager", "slack", NULL};
static const char *s_kinds[] = {"slipped", "recovered",    "achieved", "missed",
                                "trend",   "change_point", NULL};
static const char *s_severities[] = {"info", "warning", "critical", NULL};

//  Headers the delivery sets itself: a definition may not replace them.
static const char *s_reserved_headers[] = {"host",
                                           "content-length",
                                           "content-type",
                                           "transfer-encoding",
                                           "connection",
                                           "idempotency-key",
                                           "x-watershed-signature",
                                           "x-watershed-delivery",
                                           NULL};

static int
s_lookup (const char *const *names, const char *name)
{
    for (int index = 0; names[index]; index++)
        if (strcmp (names[index], name) == 0)
            return index;
    return -1;
}

static bool
s_valid_name (json_t *value)
{
    if (!json_is_string (value))
        return false;
    size_t len = json_string_length (value);
    return len > 0 && len <= S_NAME_MAX
           && strlen (json_string_value (value)) == len
           && ws_json_valid_name (json_string_value (value));
}

//  An environment variable's name: [A-Za-z_][A-Za-z0-9_]*, 1..128.
static bool
s_valid_var (const char *name, size_t len)
{
    if (len == 0 || len > S_VAR_MAX
        || !(isalpha ((unsigned char) *name) || *name == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!isalnum ((unsigned char) name[i]) && name[i] != '_')
            return false;
    return true;
}

//  A label's name, as goals and activities have them.
static bool
s_valid_label (const char *name)
{
    return s_valid_var (name, strlen (name));
}

//  A value that may hold ${NAME} references: every "$" starts a
//  well-formed one ("$$" is a literal "$"), and no control character
//  (headers travel in one line; a NUL ends a C string). *why gets what is
//  wrong.
static bool
s_valid_template (json_t *value, bool allow_newline, const char **why)
{
    const char *text = json_string_value (value);
    size_t len = json_string_length (value);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        if (c < 0x20 && !(allow_newline && (c == '\n' || c == '\t'))) {
            *why = "a control character";
            return false;
        }
        if (c == 0x7f) {
            *why = "a control character";
            return false;
        }
        if (c != '$')
            continue;
        if (i + 1 < len && text[i + 1] == '$') {
            i++;
            continue;
        }
        const char *close = i + 1 < len && text[i + 1] == '{'
                                ? memchr (text + i + 2, '}', len - i - 2)
                                : NULL;
        if (!close
            || !s_valid_var (text + i + 2, (size_t) (close - (text + i + 2)))) {
            *why = "a '$' that does not start ${NAME} ($$ for a '$')";
            return false;
        }
        i = (size_t) (close - text);
    }
    return true;
}

//  A duration given as a string ("4h") or a number of seconds; absent
//  gives fallback. zero_ok lets 0 through below min.
static int
s_duration (json_t *object, const char *key, int64_t fallback, int64_t min,
            int64_t max, bool zero_ok, int64_t *ms, ws_err_t *err)
{
    char path[64];
    snprintf (path, sizeof path, "/%s", key);
    json_t *value = json_object_get (object, key);
    if (!value) {
        *ms = fallback;
        return 0;
    }
    const char *expected = "a duration such as \"30s\", \"5m\", \"4h\"";
    if (json_is_string (value)) {
        if (strlen (json_string_value (value)) != json_string_length (value)
            || ws_duration_parse (json_string_value (value), ms, NULL))
            return s_fail_found (err, path, value, expected);
    }
    else if (json_is_number (value)) {
        double seconds = json_number_value (value);
        if (!(seconds >= 0 && seconds <= 1e9))
            return s_fail_found (err, path, value, expected);
        *ms = (int64_t) (seconds * 1000.0 + 0.5);
    }
    else
        return s_fail_found (err, path, value, expected);
    if (*ms == 0 && zero_ok)
        return 0;
    if (*ms < min || *ms > max) {
        char found[32], min_text[32], max_text[32];
        ws_duration_format (*ms, found, sizeof found);
        ws_duration_format (min, min_text, sizeof min_text);
        ws_duration_format (max, max_text, sizeof max_text);
        return s_fail (err, path, "%s is out of range, expected %s%s to %s",
                       *ms ? found : "0s", zero_ok ? "0 (never) or " : "",
                       min_text, max_text);
    }
    return 0;
}

//  An object of names to ${NAME}-templated strings, at path; names are
//  checked by header (HTTP token) or variable rules.
static int
s_get_map (json_t *def, const char *key, bool header, json_t **out,
           ws_err_t *err)
{
    char path[64];
    snprintf (path, sizeof path, "/%s", key);
    json_t *map = json_object_get (def, key);
    if (!map)
        return 0;
    if (!json_is_object (map))
        return s_fail_found (err, path, map,
                             header ? "an object of header names to strings"
                                    : "an object of variable names to "
                                      "strings");
    if (json_object_size (map) > S_MAP_MAX)
        return s_fail (err, path, "%zu entries, at most %d allowed",
                       json_object_size (map), S_MAP_MAX);
    const char *name;
    json_t *value;
    json_object_foreach (map, name, value) {
        char where[128];
        ws_json_pointer_join (where, sizeof where, path, name);
        if (header) {
            //  RFC 9110 token characters.
            bool good = *name && strlen (name) <= S_VAR_MAX;
            char lower[S_VAR_MAX + 1] = "";
            for (size_t i = 0; good && name[i]; i++) {
                if (!isalnum ((unsigned char) name[i])
                    && !strchr ("!#$%&'*+-.^_`|~", name[i]))
                    good = false;
                lower[i] = (char) tolower ((unsigned char) name[i]);
            }
            if (!good)
                return s_fail (err, where,
                               "bad header name, expected 1..128 token "
                               "characters [A-Za-z0-9!#$%%&'*+-.^_`|~]");
            if (s_lookup (s_reserved_headers, lower) >= 0)
                return s_fail (err, where,
                               "a header that the delivery sets itself");
        }
        else {
            if (!s_valid_var (name, strlen (name)))
                return s_fail (err, where,
                               "bad variable name, expected "
                               "[A-Za-z_][A-Za-z0-9_]*, up to 128 characters");
            if (strncmp (name, "WATERSHED_", 10) == 0)
                return s_fail (err, where,
                               "WATERSHED_* variables carry the alert and "
                               "cannot be set here");
        }
        if (!json_is_string (value))
            return s_fail_found (err, where, value, "a string");
        if (json_string_length (value) > S_ARG_MAX)
            return s_fail (err, where, "%zu characters, at most %d allowed",
                           json_string_length (value), S_ARG_MAX);
        const char *why;
        if (!s_valid_template (value, !header, &why))
            return s_fail (err, where, "holds %s", why);
    }
    if (json_object_size (map) > 0 && !(*out = json_deep_copy (map)))
        return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    return 0;
}

static int
s_parse_webhook (ws_hook_t *self, json_t *def, ws_err_t *err)
{
    json_t *url = json_object_get (def, "url");
    const char *expected = "an http:// or https:// URL of up to 2048 "
                           "characters";
    if (!json_is_string (url))
        return s_fail_found (err, "/url", url, expected);
    const char *text = json_string_value (url);
    size_t len = json_string_length (url);
    size_t scheme = strncmp (text, "http://", 7) == 0    ? 7
                    : strncmp (text, "https://", 8) == 0 ? 8
                                                         : 0;
    if (!scheme || len > S_URL_MAX || strlen (text) != len)
        return s_fail_found (err, "/url", url, expected);
    if (len == scheme || strchr ("/?#", text[scheme]))
        return s_fail (err, "/url", "the URL has no host");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text[i] <= 0x20 || text[i] == 0x7f)
            return s_fail (err, "/url",
                           "a space or control character at offset %zu; "
                           "percent-encode it",
                           i);
    if (!(self->url = strdup (text)))
        return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");

    json_t *format = json_object_get (def, "format");
    int index = 0;
    if (format
        && (!json_is_string (format)
            || (index = s_lookup (s_formats, json_string_value (format))) < 0))
        return s_fail_found (err, "/format", format,
                             "watershed, alertmanager or slack");
    self->format = s_formats[index];

    json_t *secret = json_object_get (def, "secret_env");
    if (secret) {
        if (!json_is_string (secret)
            || !s_valid_var (json_string_value (secret),
                             json_string_length (secret))
            || strlen (json_string_value (secret))
                   != json_string_length (secret))
            return s_fail_found (err, "/secret_env", secret,
                                 "the name of an environment variable "
                                 "[A-Za-z_][A-Za-z0-9_]* (not the secret "
                                 "itself)");
        if (!(self->secret_env = strdup (json_string_value (secret))))
            return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    }
    return s_get_map (def, "headers", true, &self->headers, err)
           || s_duration (def, "timeout", 10000, 100, 3600000, false,
                          &self->timeout, err);
}

static int
s_parse_command (ws_hook_t *self, json_t *def, ws_err_t *err)
{
    json_t *argv = json_object_get (def, "argv");
    if (!json_is_array (argv) || json_array_size (argv) == 0
        || json_array_size (argv) > S_ARGV_MAX)
        return s_fail_found (err, "/argv", argv,
                             "an array of 1..64 strings: an absolute path, "
                             "then arguments");
    size_t index;
    json_t *arg;
    json_array_foreach (argv, index, arg) {
        char where[32];
        snprintf (where, sizeof where, "/argv/%zu", index);
        if (!json_is_string (arg))
            return s_fail_found (err, where, arg, "a string");
        if (json_string_length (arg) > S_ARG_MAX)
            return s_fail (err, where, "%zu characters, at most %d allowed",
                           json_string_length (arg), S_ARG_MAX);
        if (strlen (json_string_value (arg)) != json_string_length (arg))
            return s_fail (err, where, "holds a NUL character");
        if (index == 0 && json_string_value (arg)[0] != '/')
            return s_fail_found (err, where, arg,
                                 "an absolute path (the command runs without "
                                 "a shell or PATH search)");
    }
    if (!(self->argv = json_deep_copy (argv)))
        return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    if (s_get_map (def, "env", false, &self->env, err)
        || s_duration (def, "timeout", 10000, 100, 3600000, false,
                       &self->timeout, err))
        return -1;
    return 0;
}

//  A non-empty list of names (or of kinds) at /match/key.
static int
s_match_list (json_t *match, const char *key, const char *const *allowed,
              const char *allowed_text, json_t *normal, ws_err_t *err)
{
    json_t *list = json_object_get (match, key);
    if (!list)
        return 0;
    char path[64], expected[160];
    snprintf (path, sizeof path, "/match/%s", key);
    snprintf (expected, sizeof expected, "a non-empty array of %s",
              allowed ? "kinds" : "names");
    if (!json_is_array (list) || json_array_size (list) == 0
        || json_array_size (list) > S_LIST_MAX)
        return s_fail_found (err, path, list, expected);
    json_t *copy = json_array ();
    size_t index;
    json_t *item;
    json_array_foreach (list, index, item) {
        char where[128];
        snprintf (where, sizeof where, "%s/%zu", path, index);
        bool good =
            allowed ? json_is_string (item)
                          && s_lookup (allowed, json_string_value (item)) >= 0
                    : s_valid_name (item);
        if (!good) {
            json_decref (copy);
            return s_fail_found (err, where, item,
                                 allowed ? allowed_text
                                         : "a name of 1..64 characters "
                                           "[A-Za-z0-9_.-]");
        }
        json_array_append (copy, item);
    }
    json_object_set_new (normal, key, copy);
    return 0;
}

static const char *s_match_keys[] = {"campaigns", "goals",        "labels",
                                     "kinds",     "min_severity", NULL};

//  Labels of a silence or a match: names as goals have them, string
//  values; copied into normal[key] when not empty.
static int
s_labels (json_t *labels, const char *path, const char *subject, json_t *normal,
          const char *key, ws_err_t *err)
{
    if (!json_is_object (labels))
        return ws_json_fail_found (err, subject, path, labels,
                                   "an object of label names to strings");
    if (json_object_size (labels) > S_MAP_MAX)
        return ws_json_fail (err, subject, path,
                             "%zu labels, at most %d allowed",
                             json_object_size (labels), S_MAP_MAX);
    const char *name;
    json_t *value;
    json_object_foreach (labels, name, value) {
        char where[128];
        ws_json_pointer_join (where, sizeof where, path, name);
        if (!s_valid_label (name))
            return ws_json_fail (err, subject, where,
                                 "bad label name, expected "
                                 "[A-Za-z_][A-Za-z0-9_]*");
        if (!json_is_string (value))
            return ws_json_fail_found (err, subject, where, value, "a string");
    }
    if (json_object_size (labels) > 0)
        json_object_set_new (normal, key, json_deep_copy (labels));
    return 0;
}

static int
s_parse_match (ws_hook_t *self, json_t *def, ws_err_t *err)
{
    json_t *match = json_object_get (def, "match");
    if (!match)
        return 0;
    if (!json_is_object (match))
        return s_fail_found (err, "/match", match,
                             "an object with campaigns, goals, labels, kinds "
                             "or min_severity");
    if (ws_json_check_keys (match, "/match", s_match_keys,
                            "campaigns, goals, labels, kinds, min_severity",
                            "hook", err))
        return -1;
    json_t *normal = json_object ();
    int rc = s_match_list (match, "campaigns", NULL, NULL, normal, err)
             || s_match_list (match, "goals", NULL, NULL, normal, err)
             || s_match_list (match, "kinds", s_kinds,
                              "slipped, recovered, achieved, missed, trend "
                              "or change_point",
                              normal, err);
    json_t *labels = json_object_get (match, "labels");
    if (!rc && labels)
        rc = s_labels (labels, "/match/labels", "hook", normal, "labels", err);
    json_t *severity = json_object_get (match, "min_severity");
    if (!rc && severity) {
        if (!json_is_string (severity)
            || s_lookup (s_severities, json_string_value (severity)) < 0)
            rc = s_fail_found (err, "/match/min_severity", severity,
                               "info, warning or critical");
        else
            json_object_set (normal, "min_severity", severity);
    }
    if (rc || json_object_size (normal) == 0) {
        json_decref (normal);
        return rc ? -1 : 0;
    }
    self->match = normal;
    return 0;
}

static const char *s_common_keys[] = {
    "name",          "type",    "match", "repeat_interval",
    "send_resolved", "max_age", NULL};
static const char *s_webhook_keys[] = {"url",     "format",  "secret_env",
                                       "headers", "timeout", NULL};
static const char *s_command_keys[] = {"argv", "env", "timeout", NULL};

//  Unknown keys, and keys of the other type, refused.
static int
s_check_keys (json_t *def, ws_hook_type_t type, ws_err_t *err)
{
    const char *const *own =
        type == WS_HOOK_WEBHOOK ? s_webhook_keys : s_command_keys;
    const char *const *other =
        type == WS_HOOK_WEBHOOK ? s_command_keys : s_webhook_keys;
    const char *key;
    json_t *value;
    json_object_foreach (def, key, value) {
        if (s_lookup (s_common_keys, key) >= 0 || s_lookup (own, key) >= 0)
            continue;
        char where[128];
        ws_json_pointer_join (where, sizeof where, "", key);
        if (s_lookup (other, key) >= 0)
            return s_fail (err, where, "not a key of a %s hook",
                           type == WS_HOOK_WEBHOOK ? "webhook" : "command");
        return s_fail (err, where,
                       "unknown key, expected one of name, type, %s, match, "
                       "repeat_interval, send_resolved, max_age",
                       type == WS_HOOK_WEBHOOK
                           ? "url, format, secret_env, headers, timeout"
                           : "argv, env, timeout");
    }
    return 0;
}

ws_hook_t *
ws_hook_new (json_t *def, ws_err_t *err)
{
    if (!json_is_object (def)) {
        s_fail_found (err, "", def, "a hook object");
        return NULL;
    }
    json_t *name = json_object_get (def, "name");
    if (!s_valid_name (name)) {
        s_fail_found (err, "/name", name,
                      "a name of 1..64 characters [A-Za-z0-9_.-]");
        return NULL;
    }
    json_t *type = json_object_get (def, "type");
    if (!json_is_string (type)
        || (strcmp (json_string_value (type), "webhook") != 0
            && strcmp (json_string_value (type), "command") != 0)) {
        s_fail_found (err, "/type", type, "webhook or command");
        return NULL;
    }
    ws_hook_type_t kind = strcmp (json_string_value (type), "webhook") == 0
                              ? WS_HOOK_WEBHOOK
                              : WS_HOOK_COMMAND;
    if (s_check_keys (def, kind, err))
        return NULL;
    ws_hook_t *self = calloc (1, sizeof *self);
    if (!self || !(self->name = strdup (json_string_value (name)))) {
        free (self);
        ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        return NULL;
    }
    self->type = kind;
    if (kind == WS_HOOK_WEBHOOK ? s_parse_webhook (self, def, err)
                                : s_parse_command (self, def, err))
        goto fail;
    if (s_parse_match (self, def, err)
        || s_duration (def, "repeat_interval", 0, S_MINUTE, 30 * S_DAY, true,
                       &self->repeat_interval, err)
        || s_duration (def, "max_age", S_DAY, S_MINUTE, 30 * S_DAY, false,
                       &self->max_age, err))
        goto fail;
    json_t *resolved = json_object_get (def, "send_resolved");
    if (resolved && !json_is_boolean (resolved)) {
        s_fail_found (err, "/send_resolved", resolved, "true or false");
        goto fail;
    }
    self->send_resolved = !json_is_false (resolved);
    return self;
fail:
    ws_hook_destroy (&self);
    return NULL;
}

void
ws_hook_destroy (ws_hook_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_hook_t *self = *self_p;
    free (self->name);
    free (self->url);
    free (self->secret_env);
    json_decref (self->headers);
    json_decref (self->argv);
    json_decref (self->env);
    json_decref (self->match);
    free (self);
    *self_p = NULL;
}

static void
s_set_duration (json_t *json, const char *key, int64_t ms)
{
    char text[32];
    ws_duration_format (ms, text, sizeof text);
    json_object_set_new (json, key, json_string (text));
}

json_t *
ws_hook_to_json (const ws_hook_t *self)
{
    json_t *json =
        json_pack ("{s:s, s:s}", "name", self->name, "type",
                   self->type == WS_HOOK_WEBHOOK ? "webhook" : "command");
    if (!json)
        return NULL;
    if (self->type == WS_HOOK_WEBHOOK) {
        json_object_set_new (json, "url", json_string (self->url));
        json_object_set_new (json, "format", json_string (self->format));
        if (self->secret_env)
            json_object_set_new (json, "secret_env",
                                 json_string (self->secret_env));
        if (self->headers)
            json_object_set_new (json, "headers",
                                 json_deep_copy (self->headers));
        s_set_duration (json, "timeout", self->timeout);
    }
    else {
        json_object_set_new (json, "argv", json_deep_copy (self->argv));
        if (self->env)
            json_object_set_new (json, "env", json_deep_copy (self->env));
        s_set_duration (json, "timeout", self->timeout);
    }
    if (self->match)
        json_object_set_new (json, "match", json_deep_copy (self->match));
    if (self->repeat_interval)
        s_set_duration (json, "repeat_interval", self->repeat_interval);
    json_object_set_new (json, "send_resolved",
                         json_boolean (self->send_resolved));
    s_set_duration (json, "max_age", self->max_age);
    return json;
}

const char *
ws_hook_name (const ws_hook_t *self)
{
    return self->name;
}

ws_hook_type_t
ws_hook_type (const ws_hook_t *self)
{
    return self->type;
}

const char *
ws_hook_url (const ws_hook_t *self)
{
    return self->url;
}

const char *
ws_hook_format (const ws_hook_t *self)
{
    return self->format;
}

const char *
ws_hook_secret_env (const ws_hook_t *self)
{
    return self->secret_env;
}

json_t *
ws_hook_headers (const ws_hook_t *self)
{
    return self->headers;
}

json_t *
ws_hook_argv (const ws_hook_t *self)
{
    return self->argv;
}

json_t *
ws_hook_env (const ws_hook_t *self)
{
    return self->env;
}

int64_t
ws_hook_timeout (const ws_hook_t *self)
{
    return self->timeout;
}

int64_t
ws_hook_repeat_interval (const ws_hook_t *self)
{
    return self->repeat_interval;
}

bool
ws_hook_send_resolved (const ws_hook_t *self)
{
    return self->send_resolved;
}

int64_t
ws_hook_max_age (const ws_hook_t *self)
{
    return self->max_age;
}

//  ---------------------------------------------------------------------
//  Matching

//  Whether list (an array of strings) holds value (a JSON string).
static bool
s_in_list (json_t *list, json_t *value)
{
    if (!json_is_string (value))
        return false;
    size_t index;
    json_t *item;
    json_array_foreach (list, index, item)
        if (json_equal (item, value))
            return true;
    return false;
}

//  Whether every pair of want is in have (an object, or anything else:
//  no labels).
static bool
s_labels_hold (json_t *want, json_t *have)
{
    const char *key;
    json_t *value;
    json_object_foreach (want, key, value)
        if (!json_equal (value, json_object_get (have, key)))
            return false;
    return true;
}

bool
ws_hook_matches (const ws_hook_t *self, json_t *alert)
{
    if (!json_is_object (alert))
        return false;
    const char *kind = json_string_value (json_object_get (alert, "kind"));
    if (!self->send_resolved && kind
        && (strcmp (kind, "recovered") == 0 || strcmp (kind, "achieved") == 0))
        return false;
    if (!self->match)
        return true;
    static const struct {
        const char *list, *field;
    } lists[] = {
        {"campaigns", "campaign"}, {"goals", "goal"}, {"kinds", "kind"}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        json_t *list = json_object_get (self->match, lists[i].list);
        if (list && !s_in_list (list, json_object_get (alert, lists[i].field)))
            return false;
    }
    json_t *labels = json_object_get (self->match, "labels");
    if (labels && !s_labels_hold (labels, json_object_get (alert, "labels")))
        return false;
    json_t *min = json_object_get (self->match, "min_severity");
    if (min) {
        json_t *severity = json_object_get (alert, "severity");
        int rank = json_is_string (severity)
                       ? s_lookup (s_severities, json_string_value (severity))
                       : -1;
        if (rank < s_lookup (s_severities, json_string_value (min)))
            return false;
    }
    return true;
}

//  ---------------------------------------------------------------------
//  Silences

static const char *s_silence_keys[] = {"goal",  "campaign", "labels",
                                       "until", "reason",   NULL};

json_t *
ws_hook_silence_check (json_t *def, ws_err_t *err)
{
    const char *subject = "silence";
    if (!json_is_object (def)) {
        ws_json_fail_found (err, subject, "", def, "a silence object");
        return NULL;
    }
    if (ws_json_check_keys (def, "", s_silence_keys,
                            "goal, campaign, labels, until, reason", subject,
                            err))
        return NULL;
    int targets = 0;
    for (int k = 0; k < 3; k++)
        targets += json_object_get (def, s_silence_keys[k]) != NULL;
    if (targets != 1) {
        ws_json_fail (err, subject, "",
                      "%d of goal, campaign and labels given, expected "
                      "exactly one",
                      targets);
        return NULL;
    }
    json_t *normal = json_object ();
    for (int k = 0; k < 2; k++) {
        json_t *value = json_object_get (def, s_silence_keys[k]);
        if (!value)
            continue;
        char path[16];
        snprintf (path, sizeof path, "/%s", s_silence_keys[k]);
        if (!s_valid_name (value)) {
            ws_json_fail_found (err, subject, path, value,
                                "a name of 1..64 characters [A-Za-z0-9_.-]");
            goto fail;
        }
        json_object_set (normal, s_silence_keys[k], value);
    }
    json_t *labels = json_object_get (def, "labels");
    if (labels) {
        if (s_labels (labels, "/labels", subject, normal, "labels", err))
            goto fail;
        if (json_object_size (labels) == 0) {
            //  No labels would silence everything: say so rather than
            //  take it.
            ws_json_fail_found (err, subject, "/labels", labels,
                                "at least one label");
            goto fail;
        }
    }
    json_t *until = json_object_get (def, "until");
    if (!json_is_integer (until) || json_integer_value (until) < 0) {
        ws_json_fail_found (err, subject, "/until", until,
                            "an integer time in ms since the epoch");
        goto fail;
    }
    json_object_set (normal, "until", until);
    json_t *reason = json_object_get (def, "reason");
    if (!json_is_string (reason) || json_string_length (reason) == 0
        || json_string_length (reason) > S_TEXT_MAX
        || strlen (json_string_value (reason)) != json_string_length (reason)) {
        ws_json_fail_found (err, subject, "/reason", reason,
                            "a reason of 1..1024 characters");
        goto fail;
    }
    json_object_set (normal, "reason", reason);
    return normal;
fail:
    json_decref (normal);
    return NULL;
}

static json_t *
s_non_null (json_t *value)
{
    return json_is_null (value) ? NULL : value;
}

json_t *
ws_hook_silenced (json_t *silences, json_t *alert, int64_t now)
{
    if (!json_is_array (silences) || !json_is_object (alert))
        return NULL;
    size_t index;
    json_t *silence;
    json_array_foreach (silences, index, silence) {
        json_t *until = json_object_get (silence, "until");
        if (!json_is_integer (until) || json_integer_value (until) <= now)
            continue;
        //  A target given as null is absent (the stored form lists all
        //  three).
        json_t *goal = s_non_null (json_object_get (silence, "goal"));
        json_t *campaign = s_non_null (json_object_get (silence, "campaign"));
        json_t *labels = s_non_null (json_object_get (silence, "labels"));
        //  Exactly one target, as ws_hook_silence_check wants.
        if ((goal != NULL) + (campaign != NULL) + (labels != NULL) != 1)
            continue;
        if (goal && json_is_string (goal)
            && json_equal (goal, json_object_get (alert, "goal")))
            return silence;
        if (campaign && json_is_string (campaign)
            && json_equal (campaign, json_object_get (alert, "campaign")))
            return silence;
        if (json_is_object (labels) && json_object_size (labels) > 0
            && s_labels_hold (labels, json_object_get (alert, "labels")))
            return silence;
    }
    return NULL;
}

char *
ws_hook_expand (const char *template_text, const char **missing,
                size_t *missing_len)
{
    *missing = NULL;
    *missing_len = 0;
    ws_buf_t out;
    ws_buf_init (&out, 1024 * 1024);
    const char *p = template_text;
    int rc = 0;
    while (*p && !rc) {
        const char *dollar = strchr (p, '$');
        if (!dollar) {
            rc = ws_buf_append (&out, p, strlen (p));
            break;
        }
        rc = ws_buf_append (&out, p, (size_t) (dollar - p));
        if (dollar[1] == '$') {
            rc = rc || ws_buf_append (&out, "$", 1);
            p = dollar + 2;
            continue;
        }
        const char *close = dollar[1] == '{' ? strchr (dollar + 2, '}') : NULL;
        size_t len = close ? (size_t) (close - dollar - 2) : 0;
        if (!close || !s_valid_var (dollar + 2, len)) {
            ws_buf_free (&out);
            return NULL;
        }
        char name[S_VAR_MAX + 1];
        memcpy (name, dollar + 2, len);
        name[len] = '\0';
        const char *value = getenv (name);
        if (!value) {
            *missing = dollar + 2;
            *missing_len = len;
            ws_buf_free (&out);
            return NULL;
        }
        rc = rc || ws_buf_append (&out, value, strlen (value));
        p = close + 1;
    }
    if (rc || ws_buf_append (&out, "", 1)) {
        ws_buf_free (&out);
        return NULL;
    }
    return ws_buf_steal (&out);
}

bool
ws_hook_retryable (const char *error_kind, int status)
{
    return !(error_kind && strcmp (error_kind, "http") == 0 && status >= 300
             && status < 500 && status != 408 && status != 425
             && status != 429);
}

int64_t
ws_hook_backoff (int64_t base, int64_t max, int attempt, double unit)
{
    int64_t wait = base;
    for (int i = 1; i < attempt && wait < max; i++)
        wait *= 2;
    if (wait > max)
        wait = max;
    if (!(unit >= 0 && unit < 1))
        unit = 0.5;
    return (int64_t) ((double) wait * (0.5 + unit));
}
