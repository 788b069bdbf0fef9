//  ws_request - what a source's HTTP request carries besides url, method,
//  headers and body: authentication, a User-Agent and query parameters
//  that name the tick's period. Real APIs want basic or bearer auth and
//  report per period ("?since=...&until=..."), so the url alone cannot
//  say it.
//
//  Secrets never enter a definition, which the coordinator stores in
//  PostgreSQL: auth names environment variables ("password_env",
//  "token_env") that each worker reads when it fetches, as headers do
//  with ${NAME}. A literal "password" or "token" is refused.
//
//  Templates (param values and a POST body) hold placeholders for the
//  tick's period, from = tick - interval and to = tick (the period is
//  [from, to)):
//      {from}  {to}              2026-03-31T09:00:00Z (ISO 8601, UTC)
//      {from:date}  {to:date}    2026-03-31
//      {from:epoch} {to:epoch}   1774947600 (Unix seconds)
//      {{  }}                    a literal '{' and '}'
//  Any other {...} is an error, found when the definition is applied.
//
//  The definition keys, at the top level of a source definition:
//      "auth": {"type": "basic", "user": "reports",
//               "password_env": "ADS_PASSWORD"}
//      "auth": {"type": "basic", "user_env": "ADS_USER",
//               "password_env": "ADS_PASSWORD"}
//      "auth": {"type": "bearer", "token_env": "ADS_TOKEN"}
//      "user_agent": "acme-marketing/1.0 (+https://acme.example)"
//      "params": {"since": "{from}", "until": "{to}", "granularity": "day"}
#ifndef WS_REQUEST_H
#define WS_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

//  The longest url ws_request_url returns, in bytes.
#define WS_REQUEST_URL_MAX 8192

//  A buffer this size is enough for ws_request_auth_header unless the
//  secrets in the environment are unusually long (then it says so).
#define WS_REQUEST_AUTH_MAX 8192

typedef struct _ws_request_t ws_request_t;

//  Build the request options from a source definition (borrowed): its
//  "auth", "user_agent" and "params"; other keys are ignored (ws_source
//  checks them). A definition without any of the three gives an empty
//  request. Caller owns the result. NULL if one is malformed, with *err
//  (WS_ERR_INPUT) naming it by JSON pointer in err->where ("/auth/type",
//  "/params/since").
ws_request_t *ws_request_new (json_t *def, ws_err_t *err);

//  Free the request and set *self_p to NULL. Safe on NULL and on repeat.
void ws_request_destroy (ws_request_t **self_p);

//  The normalised keys for ws_source_to_json: an object holding only the
//  keys that are set ("auth", "user_agent", "params"), empty if none is,
//  so a caller can json_object_update its definition with it. Caller
//  owns; NULL only when memory runs out. ws_request_new of it gives an
//  equal request.
json_t *ws_request_to_json (ws_request_t *self);

//  The url with the query parameters for the tick (ms since the epoch)
//  and interval (ms) appended: after the url's own query with '&', else
//  after '?', before any '#fragment'. Names and rendered values are
//  percent-encoded, only RFC 3986 unreserved characters kept. The url
//  itself is taken as it is (ws_source checked it). Caller owns the
//  result. NULL with *err if it would pass WS_REQUEST_URL_MAX bytes or
//  the period falls outside the years 0000 to 9999.
char *ws_request_url (ws_request_t *self, const char *url, int64_t tick_ms,
                      int64_t interval_ms, ws_err_t *err);

//  Render a template (a POST body) for the tick and interval. Caller owns
//  the result. NULL with *err if the template is malformed (see
//  ws_request_check_template), the period falls outside the years 0000 to
//  9999, or the result would pass 8 MiB.
//  The values substituted are ISO timestamps, dates and digits, which
//  need no escaping in JSON, a form body or a query: a template that is a
//  JSON body stays valid JSON.
char *ws_request_render (const char *text, int64_t tick_ms, int64_t interval_ms,
                         ws_err_t *err);

//  Render a request body for the tick and interval, leniently: only the
//  six placeholders, written exactly ({from}, {to:date}, ...), are
//  replaced; every other brace stays as it is, so a JSON or GraphQL body
//  needs no escaping ({"query": "{ visits(since: \"{from}\") }"}).
//  Caller owns the result; NULL with *err as ws_request_render.
char *ws_request_render_body (const char *text, int64_t tick_ms,
                              int64_t interval_ms, ws_err_t *err);

//  Check a template when a definition is applied: every {...} is a known
//  placeholder and every literal brace is doubled. Returns 0, or -1 with
//  *err whose text starts with where (a JSON pointer such as "/body",
//  also set as err->where; NULL or "" for none).
int ws_request_check_template (const char *text, const char *where,
                               ws_err_t *err);

//  Write the Authorization header line into out ("Authorization: Basic
//  <base64 of user:password>" or "Authorization: Bearer <token>"), with
//  the secrets read from the environment of the calling process (the
//  worker). Returns 0; 1 if the request has no auth (out is ""); or -1
//  with *err naming the variable that is unset, empty or unusable, never
//  its value (out is "" then too).
int ws_request_auth_header (ws_request_t *self, char *out, size_t size,
                            ws_err_t *err);

//  The User-Agent to send, borrowed; NULL means the worker's default.
const char *ws_request_user_agent (ws_request_t *self);

//  The number of query parameters.
size_t ws_request_param_count (ws_request_t *self);

#endif
