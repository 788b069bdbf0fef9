//  test_ws_request - auth, user_agent and params of a source: every
//  check with its exact text and JSON pointer, the url and templates for
//  a known tick, the Authorization header from the environment (no
//  secret in any error), the round trip through ws_request_to_json.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ws_request.h"

//  2026-03-31T09:15:00Z, and a 15 minute interval: the period starts at
//  2026-03-31T09:00:00Z (Unix 1774947600).
#define S_TICK 1774948500000LL
#define S_QUARTER 900000LL

//  JSON written with ' for " so the cases stay readable.
static json_t *
s_parse (const char *text)
{
    char *copy = strdup (text);
    assert_non_null (copy);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t jerr;
    json_t *def = json_loads (copy, 0, &jerr);
    if (!def)
        fail_msg ("test JSON does not parse: %s: %s", jerr.text, copy);
    free (copy);
    return def;
}

static ws_request_t *
s_new (const char *text, ws_err_t *err)
{
    json_t *def = s_parse (text);
    ws_request_t *request = ws_request_new (def, err);
    json_decref (def);
    return request;
}

//  The request of a definition that must be valid.
static ws_request_t *
s_valid (const char *text)
{
    ws_err_t err;
    ws_err_clear (&err);
    ws_request_t *request = s_new (text, &err);
    if (!request)
        fail_msg ("%s: %s", text, err.text);
    return request;
}

//  new must fail on def with exactly this text and where.
static void
s_refused (json_t *def, const char *where, const char *text)
{
    ws_err_t err;
    ws_err_clear (&err);
    ws_request_t *request = ws_request_new (def, &err);
    if (request)
        fail_msg ("accepted, expected \"%s\"", text);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text, text);
    assert_string_equal (err.where, where);
}

static void
test_empty (void **state)
{
    (void) state;
    //  The other keys of a source are ws_source's business.
    ws_request_t *request =
        s_valid ("{'name': 's', 'url': 'http://h/x?a=1', 'method': 'GET', "
                 "'headers': {'X': '${Y}'}, 'metrics': []}");
    assert_null (ws_request_user_agent (request));
    assert_int_equal (ws_request_param_count (request), 0);
    json_t *normal = ws_request_to_json (request);
    assert_non_null (normal);
    assert_int_equal (json_object_size (normal), 0);
    json_decref (normal);

    char out[64] = "garbage";
    ws_err_t err;
    assert_int_equal (ws_request_auth_header (request, out, sizeof out, &err),
                      1);
    assert_string_equal (out, "");

    //  Without params the url is the url, whatever the tick.
    char *url = ws_request_url (request, "http://h/x?a=1#f", INT64_MAX,
                                S_QUARTER, &err);
    assert_non_null (url);
    assert_string_equal (url, "http://h/x?a=1#f");
    free (url);

    ws_request_destroy (&request);
    assert_null (request);
    ws_request_destroy (&request);
    ws_request_destroy (NULL);

    //  An empty params object is as good as none.
    request = s_valid ("{'params': {}}");
    assert_int_equal (ws_request_param_count (request), 0);
    normal = ws_request_to_json (request);
    assert_int_equal (json_object_size (normal), 0);
    json_decref (normal);
    ws_request_destroy (&request);
}

static void
test_full (void **state)
{
    (void) state;
    ws_request_t *request = s_valid (
        "{'name': 'ads', 'user_agent': 'acme-marketing/1.0 "
        "(+https://acme.example)', 'auth': {'type': 'basic', 'user': "
        "'reports', 'password_env': 'ADS_PASSWORD'}, 'params': {'since': "
        "'{from}', 'until': '{to}', 'granularity': 'day', 'date': "
        "'{to:date}'}}");
    assert_string_equal (ws_request_user_agent (request),
                         "acme-marketing/1.0 (+https://acme.example)");
    assert_int_equal (ws_request_param_count (request), 4);
    ws_request_destroy (&request);
}

static const struct {
    const char *def;
    const char *where;
    const char *text;
} s_bad[] = {
    {"[]", "",
     "(source): found an empty array, expected an object (a source "
     "definition)"},
    //  auth
    {"{'auth': 'bearer'}", "/auth",
     "/auth: found \"bearer\", expected an object such as {\"type\": "
     "\"bearer\", \"token_env\": \"API_TOKEN\"}"},
    {"{'auth': null}", "/auth",
     "/auth: found null, expected an object such as {\"type\": \"bearer\", "
     "\"token_env\": \"API_TOKEN\"}"},
    {"{'auth': {'type': 'basic', 'user': 'reports', 'password': "
     "'hunter2'}}",
     "/auth/password",
     "/auth/password: a secret is not written in a definition (it would be "
     "stored in the database); set it in an environment variable of the "
     "workers and name that with \"password_env\""},
    {"{'auth': {'type': 'bearer', 'token': 'hunter2'}}", "/auth/token",
     "/auth/token: a secret is not written in a definition (it would be "
     "stored in the database); set it in an environment variable of the "
     "workers and name that with \"token_env\""},
    {"{'auth': {'type': 'bearer', 'token_env': 'T', 'scope': 'x'}}",
     "/auth/scope",
     "/auth/scope: unknown key, expected one of type, user, user_env, "
     "password_env, token_env"},
    {"{'auth': {'token_env': 'T'}}", "/auth/type",
     "/auth/type: missing, expected \"basic\" or \"bearer\""},
    {"{'auth': {'type': 'digest'}}", "/auth/type",
     "/auth/type: found \"digest\", expected \"basic\" or \"bearer\""},
    {"{'auth': {'type': 1}}", "/auth/type",
     "/auth/type: found 1, expected \"basic\" or \"bearer\""},
    //  A secret pasted where a variable's name goes is not repeated.
    {"{'auth': {'type': 'basic', 'user': 'r', 'password_env': "
     "'hunter2'}}",
     "/auth/password_env",
     "/auth/password_env: expected the name of an environment variable of "
     "the workers, [A-Z_][A-Z0-9_]* of at most 128 characters (such as "
     "\"ADS_PASSWORD\"), not the secret itself"},
    {"{'auth': {'type': 'bearer', 'token_env': 'HUNTER2!'}}", "/auth/token_env",
     "/auth/token_env: expected the name of an environment variable of the "
     "workers, [A-Z_][A-Z0-9_]* of at most 128 characters (such as "
     "\"ADS_PASSWORD\"), not the secret itself"},
    {"{'auth': {'type': 'bearer', 'token_env': '9TOKEN'}}", "/auth/token_env",
     "/auth/token_env: expected the name of an environment variable of the "
     "workers, [A-Z_][A-Z0-9_]* of at most 128 characters (such as "
     "\"ADS_PASSWORD\"), not the secret itself"},
    {"{'auth': {'type': 'bearer', 'token_env': ''}}", "/auth/token_env",
     "/auth/token_env: expected the name of an environment variable of the "
     "workers, [A-Z_][A-Z0-9_]* of at most 128 characters (such as "
     "\"ADS_PASSWORD\"), not the secret itself"},
    {"{'auth': {'type': 'basic', 'user_env': 3, 'password_env': 'P'}}",
     "/auth/user_env",
     "/auth/user_env: expected the name of an environment variable of the "
     "workers, [A-Z_][A-Z0-9_]* of at most 128 characters (such as "
     "\"ADS_PASSWORD\"), not the secret itself"},
    {"{'auth': {'type': 'basic', 'password_env': 'P'}}", "/auth/user",
     "/auth/user: missing, a basic auth needs \"user\" or \"user_env\""},
    {"{'auth': {'type': 'basic', 'user': 'r', 'user_env': 'U', "
     "'password_env': 'P'}}",
     "/auth/user_env",
     "/auth/user_env: give either \"user\" or \"user_env\", not both"},
    {"{'auth': {'type': 'basic', 'user': 'a:b', 'password_env': 'P'}}",
     "/auth/user",
     "/auth/user: contains ':', which basic auth cannot carry in a user "
     "name"},
    {"{'auth': {'type': 'basic', 'user': 'a\\tb', 'password_env': 'P'}}",
     "/auth/user", "/auth/user: contains a control character"},
    {"{'auth': {'type': 'basic', 'user': '', 'password_env': 'P'}}",
     "/auth/user", "/auth/user: empty, expected 1 to 200 characters"},
    {"{'auth': {'type': 'basic', 'user': 5, 'password_env': 'P'}}",
     "/auth/user", "/auth/user: found 5, expected a string"},
    {"{'auth': {'type': 'basic', 'user': 'r'}}", "/auth/password_env",
     "/auth/password_env: missing, a basic auth needs the name of the "
     "environment variable holding the password"},
    {"{'auth': {'type': 'basic', 'user': 'r', 'password_env': 'P', "
     "'token_env': 'T'}}",
     "/auth/token_env",
     "/auth/token_env: a basic auth has no token; name the password's "
     "variable with \"password_env\""},
    {"{'auth': {'type': 'bearer', 'user': 'r', 'token_env': 'T'}}",
     "/auth/user", "/auth/user: a bearer auth has only \"token_env\""},
    {"{'auth': {'type': 'bearer', 'password_env': 'P', 'token_env': 'T'}}",
     "/auth/password_env",
     "/auth/password_env: a bearer auth has only \"token_env\""},
    {"{'auth': {'type': 'bearer'}}", "/auth/token_env",
     "/auth/token_env: missing, a bearer auth needs the name of the "
     "environment variable holding the token"},
    //  user_agent
    {"{'user_agent': 7}", "/user_agent",
     "/user_agent: found 7, expected a string"},
    {"{'user_agent': ''}", "/user_agent",
     "/user_agent: empty, expected 1 to 200 characters"},
    {"{'user_agent': 'a/1\\r\\nX-Evil: 1'}", "/user_agent",
     "/user_agent: byte 0x0d at 3, expected printable ASCII (no line "
     "breaks)"},
    {"{'user_agent': 'caf\\u00e9/1'}", "/user_agent",
     "/user_agent: byte 0xc3 at 3, expected printable ASCII (no line "
     "breaks)"},
    //  params
    {"{'params': []}", "/params",
     "/params: found an empty array, expected an object of parameter names "
     "to strings"},
    {"{'params': {'since': '{frm}'}}", "/params/since",
     "/params/since: unknown placeholder {frm}; expected {from}, {to}, "
     "{from:date}, {to:date}, {from:epoch}, {to:epoch}"},
    {"{'params': {'a': 'x', 'limit': 100}}", "/params/limit",
     "/params/limit: found 100, expected a string"},
    {"{'params': {'': 'x'}}", "/params/", "/params/: empty parameter name"},
    {"{'params': {'a/b': '{to'}}", "/params/a~1b",
     "/params/a~1b: '{' at byte 0 without a closing '}' (write {{ for a "
     "literal '{')"},
    {"{'params': {'q': 'x}'}}", "/params/q",
     "/params/q: '}' at byte 1 without an opening '{' (write }} for a "
     "literal '}')"},
};

static void
test_invalid (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad[0]; i++) {
        json_t *def = s_parse (s_bad[i].def);
        s_refused (def, s_bad[i].where, s_bad[i].text);
        json_decref (def);
    }
    //  Nothing that was written as a secret comes back in an error.
    ws_err_t err;
    ws_request_t *request =
        s_new ("{'auth': {'type': 'basic', 'user': 'r', 'password_env': "
               "'hunter2'}}",
               &err);
    assert_null (request);
    assert_null (strstr (err.text, "hunter2"));
    request = s_new ("{'auth': {'type': 'bearer', 'token': 'hunter2'}}", &err);
    assert_null (request);
    assert_null (strstr (err.text, "hunter2"));
}

static void
test_limits (void **state)
{
    (void) state;
    char text[2048];

    //  User-Agent: 200 characters, not 201.
    memset (text, 'a', 201);
    text[201] = '\0';
    json_t *def = json_pack ("{s:s}", "user_agent", text);
    s_refused (def, "/user_agent",
               "/user_agent: 201 characters, at most 200 allowed");
    json_decref (def);
    text[200] = '\0';
    def = json_pack ("{s:s}", "user_agent", text);
    ws_err_t err;
    ws_request_t *request = ws_request_new (def, &err);
    assert_non_null (request);
    assert_string_equal (ws_request_user_agent (request), text);
    ws_request_destroy (&request);
    json_decref (def);

    //  The name of a variable: 128 characters, not 129.
    memset (text, 'A', 129);
    text[129] = '\0';
    def = json_pack ("{s:{s:s, s:s}}", "auth", "type", "bearer", "token_env",
                     text);
    s_refused (def, "/auth/token_env",
               "/auth/token_env: expected the name of an environment "
               "variable of the workers, [A-Z_][A-Z0-9_]* of at most 128 "
               "characters (such as \"ADS_PASSWORD\"), not the secret "
               "itself");
    json_decref (def);
    text[128] = '\0';
    def = json_pack ("{s:{s:s, s:s}}", "auth", "type", "bearer", "token_env",
                     text);
    request = ws_request_new (def, &err);
    assert_non_null (request);
    ws_request_destroy (&request);
    json_decref (def);

    //  32 parameters, not 33.
    def = json_pack ("{s:{}}", "params");
    json_t *params = json_object_get (def, "params");
    for (int i = 0; i < 32; i++) {
        snprintf (text, sizeof text, "p%d", i);
        json_object_set_new (params, text, json_string ("{to}"));
    }
    request = ws_request_new (def, &err);
    assert_non_null (request);
    assert_int_equal (ws_request_param_count (request), 32);
    ws_request_destroy (&request);
    json_object_set_new (params, "p32", json_string ("x"));
    s_refused (def, "/params", "/params: 33 parameters, at most 32 allowed");
    json_decref (def);

    //  Names of 100 characters, not 101.
    memset (text, 'n', 101);
    text[101] = '\0';
    def = json_pack ("{s:{s:s}}", "params", text, "x");
    char where[160], message[256];
    snprintf (where, sizeof where, "/params/%.101s", text);
    snprintf (message, sizeof message,
              "%.120s: parameter name of 101 characters, at most 100 "
              "allowed",
              where);
    s_refused (def, where, message);
    json_decref (def);
    text[100] = '\0';
    def = json_pack ("{s:{s:s}}", "params", text, "x");
    request = ws_request_new (def, &err);
    assert_non_null (request);
    ws_request_destroy (&request);
    json_decref (def);

    //  Values of 1000 characters, not 1001; no NUL.
    memset (text, 'v', 1001);
    text[1001] = '\0';
    def = json_pack ("{s:{s:s}}", "params", "v", text);
    s_refused (def, "/params/v",
               "/params/v: 1001 characters, at most 1000 allowed");
    json_decref (def);
    text[1000] = '\0';
    def = json_pack ("{s:{s:s}}", "params", "v", text);
    request = ws_request_new (def, &err);
    assert_non_null (request);
    ws_request_destroy (&request);
    json_decref (def);
    def = json_pack ("{s:{s:s#}}", "params", "v", "a\0b", 3);
    s_refused (def, "/params/v", "/params/v: contains a NUL character");
    json_decref (def);
    def = json_pack ("{s:s#}", "user_agent", "a\0b", 3);
    s_refused (def, "/user_agent", "/user_agent: contains a NUL character");
    json_decref (def);
}

//  The url for S_TICK and S_QUARTER, which must succeed.
static char *
s_url (ws_request_t *request, const char *url)
{
    ws_err_t err;
    char *result = ws_request_url (request, url, S_TICK, S_QUARTER, &err);
    if (!result)
        fail_msg ("%s: %s", url, err.text);
    return result;
}

static void
test_url (void **state)
{
    (void) state;
    ws_request_t *request = s_valid (
        "{'params': {'since': '{from}', 'until': '{to}', 'granularity': "
        "'day', 'date': '{to:date}', 'start': '{from:epoch}', 'end': "
        "'{to:epoch}'}}");
    const char *query =
        "since=2026-03-31T09%3A00%3A00Z&until=2026-03-31T09%3A15%3A00Z"
        "&granularity=day&date=2026-03-31&start=1774947600&end=1774948500";
    char expected[512];
    char *url = s_url (request, "https://ads.example/v2/report");
    snprintf (expected, sizeof expected, "https://ads.example/v2/report?%s",
              query);
    assert_string_equal (url, expected);
    free (url);

    //  After the url's own query, with '&'.
    url = s_url (request, "https://ads.example/report?account=7");
    snprintf (expected, sizeof expected,
              "https://ads.example/report?account=7&%s", query);
    assert_string_equal (url, expected);
    free (url);

    //  A url ending in '?' or '&' gets no second separator.
    url = s_url (request, "https://ads.example/report?");
    snprintf (expected, sizeof expected, "https://ads.example/report?%s",
              query);
    assert_string_equal (url, expected);
    free (url);
    url = s_url (request, "https://ads.example/report?account=7&");
    snprintf (expected, sizeof expected,
              "https://ads.example/report?account=7&%s", query);
    assert_string_equal (url, expected);
    free (url);

    //  Before a fragment, even one holding '?'.
    url = s_url (request, "https://ads.example/report#a?b");
    snprintf (expected, sizeof expected, "https://ads.example/report?%s#a?b",
              query);
    assert_string_equal (url, expected);
    free (url);
    ws_request_destroy (&request);

    //  Names and values percent-encoded: space, &, =, /, ?, UTF-8, braces;
    //  the unreserved - . _ ~ kept; an empty value stays.
    request =
        s_valid ("{'params': {'q a&b=c': 'x y&z=1/\\u00e9\\u20ac?', 'braces': "
                 "'{{lit}}', 'keep': 'A-z.0_9~', 'flag': '', 'plus': '1+1%'}}");
    url = s_url (request, "http://h/p");
    assert_string_equal (url, "http://h/p?q%20a%26b%3Dc=x%20y%26z%3D1%2F"
                              "%C3%A9%E2%82%AC%3F&braces=%7Blit%7D"
                              "&keep=A-z.0_9~&flag=&plus=1%2B1%25");
    free (url);
    ws_request_destroy (&request);

    //  A period outside the years 0000..9999 is refused.
    request = s_valid ("{'params': {'t': '{to}'}}");
    ws_err_t err;
    assert_null (
        ws_request_url (request, "http://h/", 253402300800000LL, 0, &err));
    assert_string_equal (err.text,
                         "request: the period of tick 253402300800000 ms and "
                         "interval 0 ms lies outside the years 0000 to 9999");
    url = ws_request_url (request, "http://h/", 253402300799000LL, 0, &err);
    assert_string_equal (url, "http://h/?t=9999-12-31T23%3A59%3A59Z");
    free (url);
    ws_request_destroy (&request);
}

//  The url may hold 8192 bytes, not one more.
static void
test_url_limit (void **state)
{
    (void) state;
    //  "http://h/" (9) "?a=" (3) 250 x {to} as 24 bytes (6000) "&b=" (3)
    //  and 725 '%' as %25 (2175): 8190, and then 'x' bytes.
    char to[1001] = "", percent[1001];
    for (int i = 0; i < 250; i++)
        strcat (to, "{to}");
    memset (percent, '%', 725);
    memcpy (percent + 725, "xx", 3);
    json_t *def = json_pack ("{s:{s:s, s:s}}", "params", "a", to, "b", percent);
    ws_err_t err;
    ws_request_t *request = ws_request_new (def, &err);
    assert_non_null (request);
    char *url = ws_request_url (request, "http://h/", S_TICK, S_QUARTER, &err);
    assert_non_null (url);
    assert_int_equal (strlen (url), 8192);
    assert_int_equal (strlen (url), WS_REQUEST_URL_MAX);
    free (url);
    ws_request_destroy (&request);
    json_decref (def);

    memcpy (percent + 725, "xxx", 4);
    def = json_pack ("{s:{s:s, s:s}}", "params", "a", to, "b", percent);
    request = ws_request_new (def, &err);
    assert_non_null (request);
    ws_err_clear (&err);
    assert_null (
        ws_request_url (request, "http://h/", S_TICK, S_QUARTER, &err));
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text, "/params: the url with its query "
                                   "parameters would pass 8192 bytes");
    assert_string_equal (err.where, "/params");
    ws_request_destroy (&request);
    json_decref (def);
}

//  ws_request_render, which must succeed.
static void
s_rendered (const char *text, int64_t tick_ms, int64_t interval_ms,
            const char *expected)
{
    ws_err_t err;
    char *result = ws_request_render (text, tick_ms, interval_ms, &err);
    if (!result)
        fail_msg ("%s: %s", text, err.text);
    assert_string_equal (result, expected);
    free (result);
}

static void
test_render (void **state)
{
    (void) state;
    s_rendered ("{from}|{to}|{from:date}|{to:date}|{from:epoch}|{to:epoch}",
                S_TICK, S_QUARTER,
                "2026-03-31T09:00:00Z|2026-03-31T09:15:00Z|2026-03-31|"
                "2026-03-31|1774947600|1774948500");
    //  A daily tick at midnight: the period is the day before.
    s_rendered ("{from:date}..{to:date} {from}", 1775001600000LL, 86400000LL,
                "2026-03-31..2026-04-01 2026-03-31T00:00:00Z");
    //  Milliseconds when the tick has them; epoch seconds round down,
    //  also before 1970.
    s_rendered ("{to} {to:epoch}", S_TICK + 120, 0,
                "2026-03-31T09:15:00.120Z 1774948500");
    s_rendered ("{to} {to:epoch} {to:date}", -1, 0,
                "1969-12-31T23:59:59.999Z -1 1969-12-31");
    s_rendered ("{from} {from:epoch}", 0, 1000, "1969-12-31T23:59:59Z -1");
    //  Literal braces, plain text, nothing.
    s_rendered ("{{}}{{from}} a}}b{{", S_TICK, S_QUARTER, "{}{from} a}b{");
    s_rendered ("no placeholder", S_TICK, S_QUARTER, "no placeholder");
    s_rendered ("", S_TICK, S_QUARTER, "");

    //  A GraphQL body stays JSON.
    ws_err_t err;
    char *body = ws_request_render (
        "{{\"query\": \"{{ spend(since: \\\"{from}\\\", until: "
        "\\\"{to}\\\") {{ total }} }}\", \"day\": \"{to:date}\"}}",
        S_TICK, S_QUARTER, &err);
    assert_non_null (body);
    json_error_t jerr;
    json_t *parsed = json_loads (body, 0, &jerr);
    assert_non_null (parsed);
    assert_string_equal (json_string_value (json_object_get (parsed, "query")),
                         "{ spend(since: \"2026-03-31T09:00:00Z\", until: "
                         "\"2026-03-31T09:15:00Z\") { total } }");
    assert_string_equal (json_string_value (json_object_get (parsed, "day")),
                         "2026-03-31");
    json_decref (parsed);
    free (body);

    //  Malformed templates and periods out of range.
    ws_err_clear (&err);
    assert_null (ws_request_render ("{frm}", S_TICK, S_QUARTER, &err));
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text,
                         "(template): unknown placeholder {frm}; expected "
                         "{from}, {to}, {from:date}, {to:date}, "
                         "{from:epoch}, {to:epoch}");
    assert_string_equal (err.where, "");
    assert_null (
        ws_request_render ("{to}", -62167219200000LL + 999, 1000, &err));
    assert_string_equal (err.text,
                         "request: the period of tick -62167219199001 ms and "
                         "interval 1000 ms lies outside the years 0000 to "
                         "9999");
    s_rendered ("{from}", -62167219200000LL + 1000, 1000,
                "0000-01-01T00:00:00Z");

    //  The rendering is bounded: 2 MiB of {to} would make 10 MiB.
    size_t count = 2 * 1024 * 1024 / 4;
    char *big = malloc (count * 4 + 1);
    assert_non_null (big);
    for (size_t i = 0; i < count; i++)
        memcpy (big + i * 4, "{to}", 4);
    big[count * 4] = '\0';
    assert_null (ws_request_render (big, S_TICK, S_QUARTER, &err));
    assert_string_equal (err.text,
                         "(template): rendered longer than 8388608 bytes");
    free (big);
}

static const struct {
    const char *text;
    const char *error;  //  NULL if valid
} s_templates[] = {
    {"", NULL},
    {"plain text", NULL},
    {"{{", NULL},
    {"}}", NULL},
    {"{{from}}", NULL},
    {"{to:epoch}{from:epoch}", NULL},
    {"{\"a\": 1}",
     "/body: unknown placeholder {\"a\": 1}; expected {from}, {to}, "
     "{from:date}, {to:date}, {from:epoch}, {to:epoch}"},
    {"{}", "/body: unknown placeholder {}; expected {from}, {to}, {from:date}, "
           "{to:date}, {from:epoch}, {to:epoch}"},
    {"{FROM}", "/body: unknown placeholder {FROM}; expected {from}, {to}, "
               "{from:date}, {to:date}, {from:epoch}, {to:epoch}"},
    {"{from }", "/body: unknown placeholder {from }; expected {from}, {to}, "
                "{from:date}, {to:date}, {from:epoch}, {to:epoch}"},
    {"{to:iso}", "/body: unknown placeholder {to:iso}; expected {from}, {to}, "
                 "{from:date}, {to:date}, {from:epoch}, {to:epoch}"},
    //  Cut at 40 bytes, here back to 39 so as not to split the 'é'.
    {"{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9zzz}",
     "/body: unknown placeholder {aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...}"
     "; expected {from}, {to}, {from:date}, {to:date}, {from:epoch}, "
     "{to:epoch}"},
    {"ab{from",
     "/body: '{' at byte 2 without a closing '}' (write {{ for a literal "
     "'{')"},
    {"{ {from} }",
     "/body: '{' at byte 0 without a closing '}' (write {{ for a literal "
     "'{')"},
    {"{from}}",
     "/body: '}' at byte 6 without an opening '{' (write }} for a literal "
     "'}')"},
    {"}}}",
     "/body: '}' at byte 2 without an opening '{' (write }} for a literal "
     "'}')"},
};

static void
test_check_template (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_templates / sizeof s_templates[0]; i++) {
        ws_err_t err;
        ws_err_clear (&err);
        int rc = ws_request_check_template (s_templates[i].text, "/body", &err);
        if (!s_templates[i].error) {
            if (rc)
                fail_msg ("%s: %s", s_templates[i].text, err.text);
            continue;
        }
        if (rc != -1)
            fail_msg ("%s: accepted", s_templates[i].text);
        assert_int_equal (err.code, WS_ERR_INPUT);
        assert_string_equal (err.text, s_templates[i].error);
        assert_string_equal (err.where, "/body");
    }
    //  No where: the subject is the template.
    ws_err_t err;
    assert_int_equal (ws_request_check_template ("}", NULL, &err), -1);
    assert_string_equal (err.text, "(template): '}' at byte 0 without an "
                                   "opening '{' (write }} for a literal '}')");
    assert_string_equal (err.where, "");
    assert_int_equal (ws_request_check_template ("{to}", "", &err), 0);
}

//  ws_request_auth_header must fail with text; out is left empty and
//  neither the text nor out holds secret.
static void
s_auth_refused (ws_request_t *request, size_t size, const char *text,
                const char *secret)
{
    char out[256];
    memset (out, 'x', sizeof out);
    ws_err_t err;
    ws_err_clear (&err);
    assert_true (size <= sizeof out);
    assert_int_equal (ws_request_auth_header (request, out, size, &err), -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text, text);
    assert_string_equal (out, "");
    if (secret) {
        assert_null (strstr (err.text, secret));
        //  Not even past the NUL: a cut header is wiped.
        for (size_t i = 0; i + strlen (secret) <= size; i++)
            assert_false (memcmp (out + i, secret, strlen (secret)) == 0);
    }
}

static void
s_auth_header (ws_request_t *request, size_t size, const char *expected)
{
    char out[256];
    ws_err_t err;
    assert_true (size <= sizeof out);
    if (ws_request_auth_header (request, out, size, &err))
        fail_msg ("%s", err.text);
    assert_string_equal (out, expected);
}

static void
test_auth_header (void **state)
{
    (void) state;
    //  Basic, literal user: base64 of "reports:s3cret pass:x" (a password
    //  may hold ':').
    ws_request_t *request = s_valid (
        "{'auth': {'type': 'basic', 'user': 'reports', 'password_env': "
        "'WS_TEST_PASSWORD'}}");
    unsetenv ("WS_TEST_PASSWORD");
    s_auth_refused (request, 256,
                    "auth: environment variable WS_TEST_PASSWORD is not set "
                    "on this worker",
                    NULL);
    setenv ("WS_TEST_PASSWORD", "", 1);
    s_auth_refused (request, 256,
                    "auth: environment variable WS_TEST_PASSWORD is empty on "
                    "this worker",
                    NULL);
    setenv ("WS_TEST_PASSWORD", "s3cret pass:x", 1);
    s_auth_header (request, 256,
                   "Authorization: Basic cmVwb3J0czpzM2NyZXQgcGFzczp4");
    //  49 characters and the NUL.
    s_auth_header (request, 50,
                   "Authorization: Basic cmVwb3J0czpzM2NyZXQgcGFzczp4");
    s_auth_refused (request, 49,
                    "auth: the user and password in WS_TEST_PASSWORD make a "
                    "header longer than 48 bytes",
                    "s3cret");
    ws_request_destroy (&request);

    //  Basic, user from the environment: base64 of UTF-8 "ops:päss".
    request = s_valid ("{'auth': {'type': 'basic', 'user_env': "
                       "'WS_TEST_USER', 'password_env': 'WS_TEST_PASSWORD'}}");
    setenv ("WS_TEST_PASSWORD", "p\xc3\xa4ss", 1);
    unsetenv ("WS_TEST_USER");
    s_auth_refused (request, 256,
                    "auth: environment variable WS_TEST_USER is not set on "
                    "this worker",
                    "p\xc3\xa4ss");
    setenv ("WS_TEST_USER", "ops", 1);
    s_auth_header (request, 256, "Authorization: Basic b3BzOnDDpHNz");
    setenv ("WS_TEST_USER", "op:s", 1);
    s_auth_refused (request, 256,
                    "auth: environment variable WS_TEST_USER holds a ':', "
                    "which basic auth cannot carry in a user name",
                    "op:s");
    unsetenv ("WS_TEST_USER");
    unsetenv ("WS_TEST_PASSWORD");
    ws_request_destroy (&request);

    //  Bearer.
    request = s_valid ("{'auth': {'type': 'bearer', 'token_env': "
                       "'WS_TEST_TOKEN'}}");
    unsetenv ("WS_TEST_TOKEN");
    s_auth_refused (request, 256,
                    "auth: environment variable WS_TEST_TOKEN is not set on "
                    "this worker",
                    NULL);
    setenv ("WS_TEST_TOKEN", "", 1);
    s_auth_refused (request, 256,
                    "auth: environment variable WS_TEST_TOKEN is empty on "
                    "this worker",
                    NULL);
    //  A line break would smuggle a header.
    setenv ("WS_TEST_TOKEN", "tok3n\r\nX-Evil: 1", 1);
    s_auth_refused (request, 256,
                    "auth: environment variable WS_TEST_TOKEN holds a "
                    "control character or line break",
                    "tok3n");
    setenv ("WS_TEST_TOKEN", "tok.en-123", 1);
    s_auth_header (request, 256, "Authorization: Bearer tok.en-123");
    //  32 characters and the NUL.
    s_auth_header (request, 33, "Authorization: Bearer tok.en-123");
    s_auth_refused (request, 32,
                    "auth: the token in WS_TEST_TOKEN makes a header longer "
                    "than 31 bytes",
                    "tok.en-123");
    s_auth_refused (request, 30,
                    "auth: the token in WS_TEST_TOKEN makes a header longer "
                    "than 29 bytes",
                    "tok.en");
    unsetenv ("WS_TEST_TOKEN");
    ws_request_destroy (&request);
}

//  ws_request_new (ws_request_to_json (r)) gives r again, normalised.
static void
test_round_trip (void **state)
{
    (void) state;
    static const struct {
        const char *def;
        const char *normal;
    } cases[] = {
        {"{'params': {'since': '{from}', 'until': '{to}'}, 'user_agent': "
         "'acme/1.0', 'auth': {'password_env': 'ADS_PASSWORD', 'user': "
         "'reports', 'type': 'basic'}, 'name': 'ignored'}",
         "{\"auth\":{\"type\":\"basic\",\"user\":\"reports\","
         "\"password_env\":\"ADS_PASSWORD\"},\"user_agent\":\"acme/1.0\","
         "\"params\":{\"since\":\"{from}\",\"until\":\"{to}\"}}"},
        {"{'auth': {'password_env': 'P', 'user_env': 'U', 'type': 'basic'}}",
         "{\"auth\":{\"type\":\"basic\",\"user_env\":\"U\","
         "\"password_env\":\"P\"}}"},
        {"{'auth': {'token_env': 'ADS_TOKEN', 'type': 'bearer'}, 'params': "
         "{'z': '{{x}}', 'a': ''}}",
         "{\"auth\":{\"type\":\"bearer\",\"token_env\":\"ADS_TOKEN\"},"
         "\"params\":{\"z\":\"{{x}}\",\"a\":\"\"}}"},
        {"{'user_agent': 'x'}", "{\"user_agent\":\"x\"}"},
        {"{}", "{}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ws_request_t *request = s_valid (cases[i].def);
        json_t *normal = ws_request_to_json (request);
        assert_non_null (normal);
        char *text = json_dumps (normal, JSON_COMPACT);
        assert_string_equal (text, cases[i].normal);
        free (text);
        ws_err_t err;
        ws_request_t *again = ws_request_new (normal, &err);
        assert_non_null (again);
        json_t *twice = ws_request_to_json (again);
        assert_true (json_equal (normal, twice));
        text = json_dumps (twice, JSON_COMPACT);
        assert_string_equal (text, cases[i].normal);
        free (text);
        //  The same url for the same tick: the params kept their order.
        char *first = s_url (request, "http://h/");
        char *second = s_url (again, "http://h/");
        assert_string_equal (first, second);
        free (first);
        free (second);
        json_decref (twice);
        json_decref (normal);
        ws_request_destroy (&again);
        ws_request_destroy (&request);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_empty),
        cmocka_unit_test (test_full),
        cmocka_unit_test (test_invalid),
        cmocka_unit_test (test_limits),
        cmocka_unit_test (test_url),
        cmocka_unit_test (test_url_limit),
        cmocka_unit_test (test_render),
        cmocka_unit_test (test_check_template),
        cmocka_unit_test (test_auth_header),
        cmocka_unit_test (test_round_trip),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
