//  ws_hook - an alert hook as 'watershed apply' files declare it, which
//  alerts it takes (ws_hook_matches), and the silences that hold alerts
//  back (ws_hook_silenced). Built by the CLI (to point at a line and
//  column) and by the coordinator (to validate again before storing, and
//  to route alerts).
//
//  A hook's JSON form:
//  {
//    "name": "ops-slack",              [A-Za-z0-9_.-], 1..64 chars
//    "type": "webhook",                webhook or command
//    -- webhook:
//    "url": "https://hooks.example/x", http or https, up to 2048 chars
//    "format": "slack",                watershed (default), alertmanager
//                                      or slack
//    "secret_env": "OPS_HOOK_KEY",     optional: the NAME of the variable
//                                      holding the HMAC key (its value is
//                                      never in a definition)
//    "headers": {"X-Team": "${TEAM}"}, optional; values may name
//                                      variables as ${NAME}, expanded
//                                      from the environment of the
//                                      worker that POSTs
//    "timeout": "5s",                  one POST, 100ms..1h, default 10s
//    -- command:
//    "argv": ["/usr/bin/notify", "-q"], absolute path then arguments; run
//                                      with execve, no shell
//    "env": {"TOKEN": "${TOKEN}"},     optional extra environment
//    "timeout": "10s",                 100ms..1h, default 10s
//    -- both, all optional:
//    "match": {"campaigns": ["q1-eu"], "goals": [...],
//              "labels": {"team": "growth"}, "kinds": ["slipped"],
//              "min_severity": "warning"},   absent = any
//    "repeat_interval": "4h",          0 or absent = never repeat; else
//                                      1m..30d
//    "send_resolved": true,            "recovered"/"achieved" notices,
//                                      default true
//    "max_age": "24h"                  give up delivering after; 1m..30d,
//                                      default 24h
//  }
//  Unknown keys (and the other type's keys) are refused; errors name the
//  field ("/repeat_interval: 30s is out of range, ...") and err->where is
//  its JSON pointer.
//
//  A silence's JSON form: exactly one of "goal" (a name), "campaign" (a
//  name) or "labels" (an object of label names to strings), "until" (ms
//  since the epoch, an integer) and "reason" (1..1024 chars).
#ifndef WS_HOOK_H
#define WS_HOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ws_err.h"

typedef struct _ws_hook_t ws_hook_t;

typedef enum { WS_HOOK_WEBHOOK, WS_HOOK_COMMAND } ws_hook_type_t;

//  Build a hook from its JSON form (borrowed). Caller owns the result.
//  NULL if invalid, with *err (where = pointer within def).
ws_hook_t *ws_hook_new (json_t *def, ws_err_t *err);

//  Free the hook; NULLs *self_p. Safe on NULL and on repeat.
void ws_hook_destroy (ws_hook_t **self_p);

//  The normalised JSON form (caller owns): defaults written out
//  ("format", "timeout", "send_resolved", "max_age"), durations in their
//  shortest form, no "repeat_interval" when 0, no empty "headers", "env"
//  or "match". ws_hook_new reads it back unchanged.
json_t *ws_hook_to_json (const ws_hook_t *self);

//  Fields (borrowed, valid while the hook lives). Strings of the other
//  type are NULL; secret_env is NULL when absent; headers, env and argv
//  are NULL when absent (argv is a JSON array of strings, headers and env
//  objects of strings, ${NAME} not yet expanded).
const char *ws_hook_name (const ws_hook_t *self);
ws_hook_type_t ws_hook_type (const ws_hook_t *self);
const char *ws_hook_url (const ws_hook_t *self);
const char *ws_hook_format (const ws_hook_t *self);
const char *ws_hook_secret_env (const ws_hook_t *self);
json_t *ws_hook_headers (const ws_hook_t *self);
json_t *ws_hook_argv (const ws_hook_t *self);
json_t *ws_hook_env (const ws_hook_t *self);
int64_t ws_hook_timeout (const ws_hook_t *self);          //  ms
int64_t ws_hook_repeat_interval (const ws_hook_t *self);  //  ms, 0 = never
bool ws_hook_send_resolved (const ws_hook_t *self);
int64_t ws_hook_max_age (const ws_hook_t *self);  //  ms

//  Whether the hook takes alert (borrowed): {"kind", "severity", "goal",
//  "campaign", "labels"}, each optional. Every criterion of "match" that
//  is given must hold (a list criterion needs the alert's field to be in
//  the list, so an alert without a goal never passes "goals"; "labels"
//  needs each pair in the alert's labels; a severity the hook does not
//  know ranks below info). A hook without send_resolved takes no
//  "recovered" or "achieved" alert.
bool ws_hook_matches (const ws_hook_t *self, json_t *alert);

//  Check a silence (borrowed). Returns its normalised form (caller
//  owns), or NULL with *err (where = pointer within def).
json_t *ws_hook_silence_check (json_t *def, ws_err_t *err);

//  The first silence of silences (an array, borrowed) that holds alert
//  back at now (ms): until > now and its goal, campaign or labels match
//  the alert's (labels: each pair of the silence in the alert's labels).
//  Returns the element (borrowed from silences), or NULL. Elements that
//  are not valid silences never apply.
json_t *ws_hook_silenced (json_t *silences, json_t *alert, int64_t now);

//  The retry policy of deliveries. Whether a failed attempt is tried
//  again: error_kind is the RESULT's ("net", "timeout", "http", ...;
//  NULL for a command) and status the HTTP status (0 for none). Every
//  failure is, but an HTTP 3xx or 4xx the receiver means (not 408, 425
//  or 429).
bool ws_hook_retryable (const char *error_kind, int status);

//  The wait in ms before attempt + 1: base x 2^(attempt - 1), at most
//  max, times a jitter of 0.5 + unit (unit in [0, 1)), so deliveries that
//  failed together do not come back together.
int64_t ws_hook_backoff (int64_t base, int64_t max, int attempt, double unit);

//  Expand a template of the hook's form: "$$" is a "$", "${NAME}" the
//  value of the environment variable NAME. Returns the text (caller
//  frees), or NULL with *missing pointing at the NAME that is not set
//  (within template, of *missing_len bytes) or, for a malformed
//  template, *missing NULL.
char *ws_hook_expand (const char *template_text, const char **missing,
                      size_t *missing_len);

#endif
