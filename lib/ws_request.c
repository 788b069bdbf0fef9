//  ws_request - auth, User-Agent and period query parameters of a
//  source's request. Errors name the field by its JSON pointer within the
//  source definition, as ws_source's do. No error text ever holds a
//  secret: not the value of an environment variable, and not what was
//  written in a *_env key (someone may have pasted the secret there).
#include "ws_request.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ws_buf.h"
#include "ws_json.h"
#include "ws_time.h"

#define s_fail(err, path, ...)                                                 \
    ws_json_fail ((err), "source", (path), __VA_ARGS__)
#define s_fail_found(err, path, found, expected)                               \
    ws_json_fail_found ((err), "source", (path), (found), (expected))

#define S_USER_MAX 200
#define S_ENV_NAME_MAX 128
#define S_USER_AGENT_MAX 200
#define S_PARAMS_MAX 32
#define S_PARAM_NAME_MAX 100
#define S_PARAM_VALUE_MAX 1000
//  A 1 MiB body (ws_source's limit) of "{to}" renders to 6 MiB.
#define S_RENDER_MAX (8 * 1024 * 1024)
//  The longest text one placeholder becomes: "2026-03-31T09:15:00.120Z".
#define S_VALUE_MAX 32

//  0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in ms: the period must
//  lie in the years ws_iso8601_format writes with four digits.
#define S_YEAR_0_MS (-62167219200000LL)
#define S_YEAR_10000_MS 253402300800000LL

#define S_PLACEHOLDERS                                                         \
    "{from}, {to}, {from:date}, {to:date}, {from:epoch}, {to:epoch}"

typedef enum { S_AUTH_NONE, S_AUTH_BASIC, S_AUTH_BEARER } s_auth_t;

struct _ws_request_t {
    s_auth_t auth;
    char *user;          //  owns; basic: the literal user, or NULL
    char *user_env;      //  owns; basic: the user's variable, or NULL
    char *password_env;  //  owns; basic: the password's variable
    char *token_env;     //  owns; bearer: the token's variable
    char *user_agent;    //  owns; NULL = the worker's default
    char **names;        //  owns the array and each name
    char **values;       //  owns the array and each value (a template)
    size_t param_count;
};

//  The period of one tick, as the placeholders see it.
typedef struct {
    int64_t from_ms;
    int64_t to_ms;
} s_period_t;

static int
s_oom (ws_err_t *err)
{
    return ws_err_set (err, WS_ERR_SYSTEM, "request: out of memory");
}

//  ---------------------------------------------------------------------
//  Templates

//  The placeholders, in the order of S_PLACEHOLDERS: an even index is
//  from, an odd one to; index / 2 is the form (ISO, date, epoch).
static const char *const s_placeholders[] = {
    "from", "to", "from:date", "to:date", "from:epoch", "to:epoch", NULL};

//  Write placeholder index for the period into out (S_VALUE_MAX bytes).
static void
s_placeholder_value (int index, const s_period_t *period, char *out)
{
    int64_t ms = index % 2 ? period->to_ms : period->from_ms;
    if (index / 2 == 2) {
        //  Floor, so a time before 1970 counts its second as date does.
        int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
        snprintf (out, S_VALUE_MAX, "%" PRId64, seconds);
        return;
    }
    ws_iso8601_format (ms, out, S_VALUE_MAX);
    if (index / 2 == 1)
        out[10] = '\0';  //  "YYYY-MM-DD", the years being four digits
}

//  Fail on a placeholder's text (name bytes from start), cut at 40 bytes
//  on a UTF-8 character boundary since the error travels in JSON.
static int
s_fail_placeholder (ws_err_t *err, const char *where, const char *start,
                    size_t len)
{
    size_t cut = len;
    if (cut > 40)
        for (cut = 40; cut && (start[cut] & 0xC0) == 0x80; cut--)
            ;
    return ws_json_fail (
        err, "template", where,
        "unknown placeholder {%.*s%s}; expected " S_PLACEHOLDERS, (int) cut,
        start, cut < len ? "..." : "");
}

//  Append bytes to a buffer with a limit: 0, 1 when the limit would be
//  passed, -1 when memory runs out (ws_buf_append says -1 for both).
static int
s_append (ws_buf_t *out, const char *bytes, size_t len)
{
    if (len > out->limit - out->len)
        return 1;
    return ws_buf_append (out, bytes, len);
}

//  Walk a template: check it and, when out is set, render it for the
//  period into out. The grammar is {{, }}, {name} and other bytes.
static int
s_template (const char *text, const char *where, const s_period_t *period,
            ws_buf_t *out, ws_err_t *err)
{
    if (!where)
        where = "";
    const char *p = text;
    int rc = 0;
    while (*p && rc == 0) {
        size_t plain = strcspn (p, "{}");
        if (out && (rc = s_append (out, p, plain)))
            break;
        p += plain;
        if (!*p)
            break;
        if (p[0] == p[1]) {  //  {{ or }}
            if (out)
                rc = s_append (out, p, 1);
            p += 2;
            continue;
        }
        size_t offset = (size_t) (p - text);
        if (*p == '}')
            return ws_json_fail (err, "template", where,
                                 "'}' at byte %zu without an opening '{' "
                                 "(write }} for a literal '}')",
                                 offset);
        const char *name = p + 1;
        size_t len = strcspn (name, "{}");
        if (name[len] != '}')
            return ws_json_fail (err, "template", where,
                                 "'{' at byte %zu without a closing '}' "
                                 "(write {{ for a literal '{')",
                                 offset);
        int index = 0;
        while (s_placeholders[index]
               && (strlen (s_placeholders[index]) != len
                   || memcmp (s_placeholders[index], name, len) != 0))
            index++;
        if (!s_placeholders[index])
            return s_fail_placeholder (err, where, name, len);
        if (out) {
            char value[S_VALUE_MAX];
            s_placeholder_value (index, period, value);
            rc = s_append (out, value, strlen (value));
        }
        p = name + len + 1;
    }
    if (rc > 0)
        return ws_json_fail (err, "template", where,
                             "rendered longer than %zu bytes", out->limit);
    if (rc < 0)
        return s_oom (err);
    return 0;
}

//  The period of a tick, refused outside the years 0000..9999 where
//  ws_iso8601_format would not write four-digit years (and gmtime may
//  fail).
static int
s_period (int64_t tick_ms, int64_t interval_ms, s_period_t *period,
          ws_err_t *err)
{
    assert (interval_ms >= 0);
    if (tick_ms < S_YEAR_0_MS + interval_ms || tick_ms >= S_YEAR_10000_MS)
        return ws_err_set (err, WS_ERR_INPUT,
                           "request: the period of tick %" PRId64
                           " ms and interval %" PRId64
                           " ms lies outside the years 0000 to 9999",
                           tick_ms, interval_ms);
    period->from_ms = tick_ms - interval_ms;
    period->to_ms = tick_ms;
    return 0;
}

//  ---------------------------------------------------------------------
//  Definition checks

//  A string key of object at base: absent (*text NULL) or 1..max bytes
//  without NUL.
static int
s_string (json_t *object, const char *key, const char *base, size_t max,
          const char **text, ws_err_t *err)
{
    char path[160];
    ws_json_pointer_join (path, sizeof path, base, key);
    json_t *value = json_object_get (object, key);
    *text = NULL;
    if (!value)
        return 0;
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

//  An environment variable's name: [A-Z_][A-Z0-9_]*. What was found is
//  not repeated in the error: it may be the secret itself.
static int
s_env_name (json_t *auth, const char *key, const char **name, ws_err_t *err)
{
    char path[64];
    snprintf (path, sizeof path, "/auth/%s", key);
    json_t *value = json_object_get (auth, key);
    *name = NULL;
    if (!value)
        return 0;
    const char *text = json_string_value (value);
    bool valid = text && json_string_length (value) >= 1
                 && json_string_length (value) <= S_ENV_NAME_MAX
                 && strlen (text) == json_string_length (value)
                 && !(*text >= '0' && *text <= '9');
    for (const char *p = text; valid && *p; p++)
        valid =
            (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (!valid)
        return s_fail (err, path,
                       "expected the name of an environment variable of the "
                       "workers, [A-Z_][A-Z0-9_]* of at most %d characters "
                       "(such as \"ADS_PASSWORD\"), not the secret itself",
                       S_ENV_NAME_MAX);
    *name = text;
    return 0;
}

static int
s_parse_auth (ws_request_t *self, json_t *auth, ws_err_t *err)
{
    static const char *const keys[] = {"type",         "user",      "user_env",
                                       "password_env", "token_env", NULL};
    if (!json_is_object (auth))
        return s_fail_found (err, "/auth", auth,
                             "an object such as {\"type\": \"bearer\", "
                             "\"token_env\": \"API_TOKEN\"}");
    //  Before the unknown keys, to say why and what to write instead.
    static const char *const secrets[] = {"password", "token", NULL};
    for (int i = 0; secrets[i]; i++)
        if (json_object_get (auth, secrets[i])) {
            char path[64];
            snprintf (path, sizeof path, "/auth/%s", secrets[i]);
            return s_fail (err, path,
                           "a secret is not written in a definition (it "
                           "would be stored in the database); set it in an "
                           "environment variable of the workers and name "
                           "that with \"%s_env\"",
                           secrets[i]);
        }
    if (ws_json_check_keys (auth, "/auth", keys,
                            "type, user, user_env, password_env, token_env",
                            "source", err))
        return -1;

    json_t *type = json_object_get (auth, "type");
    if (!type)
        return s_fail (err, "/auth/type",
                       "missing, expected \"basic\" or \"bearer\"");
    const char *type_text = json_string_value (type);
    if (type_text && strcmp (type_text, "basic") == 0)
        self->auth = S_AUTH_BASIC;
    else if (type_text && strcmp (type_text, "bearer") == 0)
        self->auth = S_AUTH_BEARER;
    else
        return s_fail_found (err, "/auth/type", type,
                             "\"basic\" or \"bearer\"");

    const char *user, *user_env, *password_env, *token_env;
    if (s_string (auth, "user", "/auth", S_USER_MAX, &user, err)
        || s_env_name (auth, "user_env", &user_env, err)
        || s_env_name (auth, "password_env", &password_env, err)
        || s_env_name (auth, "token_env", &token_env, err))
        return -1;
    if (self->auth == S_AUTH_BASIC) {
        if (token_env)
            return s_fail (err, "/auth/token_env",
                           "a basic auth has no token; name the password's "
                           "variable with \"password_env\"");
        if (user && user_env)
            return s_fail (err, "/auth/user_env",
                           "give either \"user\" or \"user_env\", not both");
        if (!user && !user_env)
            return s_fail (err, "/auth/user",
                           "missing, a basic auth needs \"user\" or "
                           "\"user_env\"");
        //  RFC 7617: the user-id ends at the first ':'.
        if (user && strchr (user, ':'))
            return s_fail (err, "/auth/user",
                           "contains ':', which basic auth cannot carry in "
                           "a user name");
        for (const char *p = user; p && *p; p++)
            if ((unsigned char) *p < 0x20 || *p == 0x7f)
                return s_fail (err, "/auth/user",
                               "contains a control character");
        if (!password_env)
            return s_fail (err, "/auth/password_env",
                           "missing, a basic auth needs the name of the "
                           "environment variable holding the password");
    }
    else {
        static const char *const others[] = {"user", "user_env", "password_env",
                                             NULL};
        for (int i = 0; others[i]; i++)
            if (json_object_get (auth, others[i])) {
                char path[64];
                snprintf (path, sizeof path, "/auth/%s", others[i]);
                return s_fail (err, path,
                               "a bearer auth has only \"token_env\"");
            }
        if (!token_env)
            return s_fail (err, "/auth/token_env",
                           "missing, a bearer auth needs the name of the "
                           "environment variable holding the token");
    }
    if ((user && !(self->user = strdup (user)))
        || (user_env && !(self->user_env = strdup (user_env)))
        || (password_env && !(self->password_env = strdup (password_env)))
        || (token_env && !(self->token_env = strdup (token_env))))
        return s_oom (err);
    return 0;
}

//  1..200 printable ASCII: it goes into a header line as it is.
static int
s_parse_user_agent (ws_request_t *self, json_t *def, ws_err_t *err)
{
    const char *text;
    if (s_string (def, "user_agent", "", S_USER_AGENT_MAX, &text, err))
        return -1;
    if (!text)
        return 0;
    for (const char *p = text; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return s_fail (err, "/user_agent",
                           "byte 0x%02x at %zu, expected printable ASCII "
                           "(no line breaks)",
                           (unsigned char) *p, (size_t) (p - text));
    if (!(self->user_agent = strdup (text)))
        return s_oom (err);
    return 0;
}

static int
s_parse_params (ws_request_t *self, json_t *params, ws_err_t *err)
{
    if (!json_is_object (params))
        return s_fail_found (err, "/params", params,
                             "an object of parameter names to strings");
    size_t count = json_object_size (params);
    if (count > S_PARAMS_MAX)
        return s_fail (err, "/params", "%zu parameters, at most %d allowed",
                       count, S_PARAMS_MAX);
    if (count == 0)
        return 0;
    self->names = calloc (count, sizeof *self->names);
    self->values = calloc (count, sizeof *self->values);
    if (!self->names || !self->values)
        return s_oom (err);
    //  jansson keeps an object's keys in insertion order, so the query
    //  lists the parameters as the definition does.
    const char *name;
    json_t *value;
    json_object_foreach (params, name, value) {
        char path[160];
        ws_json_pointer_join (path, sizeof path, "/params", name);
        size_t name_len = strlen (name);
        if (name_len == 0)
            return s_fail (err, path, "empty parameter name");
        if (name_len > S_PARAM_NAME_MAX)
            return s_fail (err, path,
                           "parameter name of %zu characters, at most %d "
                           "allowed",
                           name_len, S_PARAM_NAME_MAX);
        if (!json_is_string (value))
            return s_fail_found (err, path, value, "a string");
        size_t len = json_string_length (value);
        if (len > S_PARAM_VALUE_MAX)
            return s_fail (err, path, "%zu characters, at most %d allowed", len,
                           S_PARAM_VALUE_MAX);
        if (strlen (json_string_value (value)) != len)
            return s_fail (err, path, "contains a NUL character");
        if (ws_request_check_template (json_string_value (value), path, err))
            return -1;
        size_t i = self->param_count;
        self->names[i] = strdup (name);
        self->values[i] = strdup (json_string_value (value));
        self->param_count++;
        if (!self->names[i] || !self->values[i])
            return s_oom (err);
    }
    return 0;
}

static int
s_parse (ws_request_t *self, json_t *def, ws_err_t *err)
{
    if (!json_is_object (def))
        return s_fail_found (err, "", def, "an object (a source definition)");
    json_t *auth = json_object_get (def, "auth");
    if (auth && s_parse_auth (self, auth, err))
        return -1;
    if (s_parse_user_agent (self, def, err))
        return -1;
    json_t *params = json_object_get (def, "params");
    if (params && s_parse_params (self, params, err))
        return -1;
    return 0;
}

//  ---------------------------------------------------------------------
//  The url

static bool
s_unreserved (unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}

//  Append text percent-encoded as RFC 3986 2.1 says, keeping only the
//  unreserved characters (2.3): a space is %20, '&' %26, '=' %3D, and
//  each byte of a UTF-8 character is encoded on its own. 0, 1 past the
//  limit, -1 out of memory, as s_append.
static int
s_append_encoded (ws_buf_t *out, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t need = 0;
    for (size_t i = 0; i < len; i++)
        need += s_unreserved ((unsigned char) text[i]) ? 1 : 3;
    if (need > out->limit - out->len)
        return 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        char escaped[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (s_unreserved (c) ? ws_buf_append (out, &text[i], 1)
                             : ws_buf_append (out, escaped, 3))
            return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Public API

ws_request_t *
ws_request_new (json_t *def, ws_err_t *err)
{
    ws_request_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_oom (err);
        return NULL;
    }
    if (s_parse (self, def, err))
        ws_request_destroy (&self);
    return self;
}

void
ws_request_destroy (ws_request_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_request_t *self = *self_p;
    free (self->user);
    free (self->user_env);
    free (self->password_env);
    free (self->token_env);
    free (self->user_agent);
    for (size_t i = 0; i < self->param_count; i++) {
        free (self->names[i]);
        free (self->values[i]);
    }
    free (self->names);
    free (self->values);
    free (self);
    *self_p = NULL;
}

//  jansson's *_new calls steal the value and fail on NULL, so one check
//  of rc at the end covers every allocation.
json_t *
ws_request_to_json (ws_request_t *self)
{
    assert (self);
    json_t *def = json_object ();
    if (!def)
        return NULL;
    int rc = 0;
    if (self->auth != S_AUTH_NONE) {
        json_t *auth = json_object ();
        rc |= json_object_set_new (def, "auth", auth);
        if (auth && self->auth == S_AUTH_BASIC) {
            rc |= json_object_set_new (auth, "type", json_string ("basic"));
            if (self->user)
                rc |= json_object_set_new (auth, "user",
                                           json_string (self->user));
            else
                rc |= json_object_set_new (auth, "user_env",
                                           json_string (self->user_env));
            rc |= json_object_set_new (auth, "password_env",
                                       json_string (self->password_env));
        }
        else if (auth) {
            rc |= json_object_set_new (auth, "type", json_string ("bearer"));
            rc |= json_object_set_new (auth, "token_env",
                                       json_string (self->token_env));
        }
    }
    if (self->user_agent)
        rc |= json_object_set_new (def, "user_agent",
                                   json_string (self->user_agent));
    if (self->param_count) {
        json_t *params = json_object ();
        rc |= json_object_set_new (def, "params", params);
        for (size_t i = 0; params && i < self->param_count; i++)
            rc |= json_object_set_new (params, self->names[i],
                                       json_string (self->values[i]));
    }
    if (rc) {
        json_decref (def);
        return NULL;
    }
    return def;
}

char *
ws_request_url (ws_request_t *self, const char *url, int64_t tick_ms,
                int64_t interval_ms, ws_err_t *err)
{
    assert (self && url);
    s_period_t period = {0, 0};
    if (self->param_count && s_period (tick_ms, interval_ms, &period, err))
        return NULL;
    //  The query goes before a fragment (which is not sent anyway).
    size_t head = strcspn (url, "#");
    ws_buf_t out, value;
    ws_buf_init (&out, WS_REQUEST_URL_MAX);
    //  Holds the longest rendering of the longest value.
    ws_buf_init (&value, S_PARAM_VALUE_MAX * S_VALUE_MAX);
    int rc = s_append (&out, url, head);
    for (size_t i = 0; rc == 0 && i < self->param_count; i++) {
        const char *separator = "&";
        if (i == 0 && !memchr (url, '?', head))
            separator = "?";
        else if (i == 0 && (url[head - 1] == '?' || url[head - 1] == '&'))
            separator = "";  //  "https://h/api?" or "...?a=1&"
        ws_buf_reset (&value);
        if (s_template (self->values[i], "", &period, &value, err)) {
            ws_buf_free (&out);
            ws_buf_free (&value);
            return NULL;
        }
        if ((rc = s_append (&out, separator, strlen (separator)))
            || (rc = s_append_encoded (&out, self->names[i],
                                       strlen (self->names[i])))
            || (rc = s_append (&out, "=", 1)))
            break;
        rc = s_append_encoded (&out, value.data ? value.data : "", value.len);
    }
    if (rc == 0)
        rc = s_append (&out, url + head, strlen (url + head));
    ws_buf_free (&value);
    if (rc) {
        ws_buf_free (&out);
        if (rc > 0)
            s_fail (err, "/params",
                    "the url with its query parameters would pass %d bytes",
                    WS_REQUEST_URL_MAX);
        else
            s_oom (err);
        return NULL;
    }
    char *result = ws_buf_steal (&out);
    if (!result)
        s_oom (err);
    return result;
}

char *
ws_request_render (const char *text, int64_t tick_ms, int64_t interval_ms,
                   ws_err_t *err)
{
    assert (text);
    s_period_t period;
    if (s_period (tick_ms, interval_ms, &period, err))
        return NULL;
    ws_buf_t out;
    ws_buf_init (&out, S_RENDER_MAX);
    if (s_template (text, "", &period, &out, err)) {
        ws_buf_free (&out);
        return NULL;
    }
    char *result = ws_buf_steal (&out);
    if (!result)
        s_oom (err);
    return result;
}

char *
ws_request_render_body (const char *text, int64_t tick_ms, int64_t interval_ms,
                        ws_err_t *err)
{
    assert (text);
    s_period_t period;
    if (s_period (tick_ms, interval_ms, &period, err))
        return NULL;
    ws_buf_t out;
    ws_buf_init (&out, S_RENDER_MAX);
    int rc = 0;
    for (const char *p = text; *p && rc == 0;) {
        size_t plain = strcspn (p + 1, "{") + 1;
        int index = -1;
        if (*p == '{')
            for (int i = 0; s_placeholders[i] && index < 0; i++) {
                size_t len = strlen (s_placeholders[i]);
                if (strncmp (p + 1, s_placeholders[i], len) == 0
                    && p[1 + len] == '}')
                    index = i;
            }
        if (index < 0) {
            rc = s_append (&out, p, plain);
            p += plain;
            continue;
        }
        char value[S_VALUE_MAX];
        s_placeholder_value (index, &period, value);
        rc = s_append (&out, value, strlen (value));
        p += strlen (s_placeholders[index]) + 2;
    }
    if (rc) {
        ws_buf_free (&out);
        if (rc > 0)
            ws_err_set (err, WS_ERR_INPUT,
                        "body: rendered longer than %d bytes", S_RENDER_MAX);
        else
            s_oom (err);
        return NULL;
    }
    char *result = ws_buf_steal (&out);
    if (!result)
        s_oom (err);
    return result;
}

int
ws_request_check_template (const char *text, const char *where, ws_err_t *err)
{
    assert (text);
    return s_template (text, where, NULL, NULL, err);
}

//  Read a variable for the auth header: set and not empty. Only its name
//  is ever written in an error.
static const char *
s_secret (const char *name, ws_err_t *err)
{
    const char *value = getenv (name);
    if (!value)
        ws_err_set (err, WS_ERR_INPUT,
                    "auth: environment variable %s is not set on this worker",
                    name);
    else if (!*value)
        ws_err_set (err, WS_ERR_INPUT,
                    "auth: environment variable %s is empty on this worker",
                    name);
    return value && *value ? value : NULL;
}

int
ws_request_auth_header (ws_request_t *self, char *out, size_t size,
                        ws_err_t *err)
{
    assert (self && out && size);
    out[0] = '\0';
    if (self->auth == S_AUTH_NONE)
        return 1;
    if (self->auth == S_AUTH_BEARER) {
        const char *token = s_secret (self->token_env, err);
        if (!token)
            return -1;
        //  A line break would smuggle a header of its own.
        for (const char *p = token; *p; p++)
            if ((unsigned char) *p < 0x20 || *p == 0x7f)
                return ws_err_set (err, WS_ERR_INPUT,
                                   "auth: environment variable %s holds a "
                                   "control character or line break",
                                   self->token_env);
        int len = snprintf (out, size, "Authorization: Bearer %s", token);
        if (len < 0 || (size_t) len >= size) {
            OPENSSL_cleanse (out, size);
            out[0] = '\0';
            return ws_err_set (err, WS_ERR_INPUT,
                               "auth: the token in %s makes a header longer "
                               "than %zu bytes",
                               self->token_env, size - 1);
        }
        return 0;
    }
    const char *user = self->user;
    if (!user) {
        if (!(user = s_secret (self->user_env, err)))
            return -1;
        if (strchr (user, ':'))
            return ws_err_set (err, WS_ERR_INPUT,
                               "auth: environment variable %s holds a ':', "
                               "which basic auth cannot carry in a user name",
                               self->user_env);
    }
    const char *password = s_secret (self->password_env, err);
    if (!password)
        return -1;
    //  "Authorization: Basic " and base64 of "user:password", 4 bytes for
    //  every 3 begun, and the NUL.
    static const char prefix[] = "Authorization: Basic ";
    size_t plain = strlen (user) + 1 + strlen (password);
    if (plain > (size_t) INT32_MAX / 2
        || sizeof prefix + (plain + 2) / 3 * 4 > size)
        return ws_err_set (err, WS_ERR_INPUT,
                           "auth: the user and password in %s make a header "
                           "longer than %zu bytes",
                           self->password_env, size - 1);
    char *credentials = malloc (plain + 1);
    if (!credentials)
        return s_oom (err);
    size_t user_len = strlen (user);
    memcpy (credentials, user, user_len);
    credentials[user_len] = ':';
    memcpy (credentials + user_len + 1, password, strlen (password) + 1);
    memcpy (out, prefix, sizeof prefix);
    EVP_EncodeBlock ((unsigned char *) out + sizeof prefix - 1,
                     (const unsigned char *) credentials, (int) plain);
    //  The password in clear must not linger in freed memory.
    OPENSSL_cleanse (credentials, plain + 1);
    free (credentials);
    return 0;
}

const char *
ws_request_user_agent (ws_request_t *self)
{
    assert (self);
    return self->user_agent;
}

size_t
ws_request_param_count (ws_request_t *self)
{
    assert (self);
    return self->param_count;
}
