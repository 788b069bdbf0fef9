//  ws_coord_hooks - the coordinator delivers alerts to hooks.
//
//  An alert, once recorded, is routed: in one transaction it gets a
//  delivery for every hook that takes it (ws_hook_matches), unless a
//  silence holds it back (recorded on the alert). Deliveries that are
//  due are taken (marked sending, with a lease, before anything goes
//  out) and attempted: a webhook as a "deliver" job that a worker POSTs
//  (workers own the network), a command here with execve (ws_command).
//  Each attempt's outcome is recorded: delivered; failed, to be tried
//  again after a backoff with jitter (or the receiver's Retry-After); or
//  given up (a 4xx other than 408/425/429, max_age passed, a silence
//  that came later). A crash after sending and before recording leaves
//  the row sending; its lease runs out and it is sent again with the
//  same idempotency key, which the receiver uses to drop the repeat.
//
//  A goal that stays off track is told again after a hook's
//  repeat_interval (ws_coord_goals_repeat records the repeat, for that
//  hook only). 'watershed hook test NAME' records a test alert for one
//  hook and answers the client with the outcome of its one attempt.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_alert_payload.h"
#include "ws_buf.h"
#include "ws_command.h"
#include "ws_coord_private.h"
#include "ws_db.h"
#include "ws_hook.h"
#include "ws_log.h"
#include "ws_time.h"

#define S_ROUTE_BATCH 1000   //  alerts routed per statement
#define S_TAKE_BATCH 1000    //  deliveries taken per statement
#define S_OUTPUT_CAP 4096    //  bytes of a command's output kept
#define S_POLL_MS 1000       //  due deliveries are looked for this often
#define S_REPEAT_MS 10000    //  goals to repeat are looked for this often
#define S_LEASE_SLACK 15000  //  lease beyond the longest hook timeout
#define S_TEST_SLACK 15000   //  a test waits its timeout and this long

typedef struct {
    int64_t id;
    ws_hook_t *hook;  //  owns
} s_hook_t;

//  The outcome of one attempt, as ws_db_delivery_outcomes records it.
typedef struct {
    int64_t id;            //  the delivery
    int attempt;           //  the attempt answered
    const char *state;     //  delivered, failed or given_up
    int64_t retry_in_ms;   //  failed: when to try again
    int http_status;       //  0: none
    const char *error;     //  NULL on success
    const char *response;  //  the receiver's answer or the command's
                           //  output, may be NULL
} s_outcome_t;

//  A delivery being attempted (webhook job in flight or command running).
typedef struct {
    ws_coord_t *coord;
    int64_t id, alert_id, hook_id;
    int attempt;
    int64_t created_at;  //  the delivery's, wall ms
    int64_t max_age;     //  the hook's
    bool test;           //  a 'hook test': one attempt, no retry
    char *hook_name;     //  owns
} s_attempt_t;

//  A client waiting for the outcome of 'hook test'.
typedef struct s_test {
    int64_t alert_id;
    uint8_t peer[WS_MSG_MAX_ROUTING_ID];
    size_t peer_len;
    json_int_t request_id;
    int64_t started, deadline;  //  wall ms
    struct s_test *next;
} s_test_t;

struct _ws_coord_hooks_t {
    s_hook_t *hooks;
    size_t count;
    bool stale;           //  reload before the next pass
    ws_map_t *in_flight;  //  delivery id -> s_attempt_t (owns)
    ws_commander_t *commander;
    bool kicked;  //  an alert was recorded: route now
    int64_t last_poll, last_repeat;
    int64_t backoff_ms, backoff_max_ms;
    int max_in_flight;
    s_test_t *tests;
    json_t *outcomes;  //  to record at the next flush
    uint64_t rng;
    struct {
        int64_t routed, silenced, attempts, delivered, failed, given_up;
        int64_t repeats;
    } stats;
};

static void
s_attempt_free (void *value)
{
    s_attempt_t *attempt = value;
    if (attempt)
        free (attempt->hook_name);
    free (attempt);
}

static void
s_hooks_clear (ws_coord_hooks_t *hooks)
{
    for (size_t i = 0; i < hooks->count; i++)
        ws_hook_destroy (&hooks->hooks[i].hook);
    free (hooks->hooks);
    hooks->hooks = NULL;
    hooks->count = 0;
}

void
ws_coord_hooks_init (ws_coord_t *self)
{
    ws_coord_hooks_t *hooks = calloc (1, sizeof *hooks);
    if (!hooks)
        abort ();
    hooks->stale = true;
    hooks->kicked = true;  //  alerts of a previous run may wait
    hooks->in_flight = ws_map_new (s_attempt_free);
    hooks->outcomes = json_array ();
    hooks->commander = ws_commander_new (self->loop);
    hooks->backoff_ms = ws_config_int (self->config, "hook-backoff");
    hooks->backoff_max_ms = ws_config_int (self->config, "hook-backoff-max");
    hooks->max_in_flight = (int) ws_config_int (self->config, "hook-in-flight");
    hooks->rng = (uint64_t) ws_wall_ms () * 0x9E3779B97F4A7C15ULL | 1;
    self->hooks = hooks;
}

void
ws_coord_hooks_destroy (ws_coord_t *self)
{
    ws_coord_hooks_t *hooks = self->hooks;
    if (!hooks)
        return;
    //  Outcomes not written yet are written now. Commands still running
    //  are killed; their deliveries stay 'sending' and are attempted
    //  again when the lease runs out.
    ws_coord_hooks_flush (self);
    ws_commander_destroy (&hooks->commander);
    ws_map_destroy (&hooks->in_flight);
    json_decref (hooks->outcomes);
    s_hooks_clear (hooks);
    while (hooks->tests) {
        s_test_t *next = hooks->tests->next;
        free (hooks->tests);
        hooks->tests = next;
    }
    free (hooks);
    self->hooks = NULL;
}

void
ws_coord_hooks_kick (ws_coord_t *self)
{
    self->hooks->kicked = true;
}

void
ws_coord_hooks_stale (ws_coord_t *self)
{
    self->hooks->stale = true;
}

static int
s_reload (ws_coord_t *self, ws_err_t *err)
{
    ws_coord_hooks_t *hooks = self->hooks;
    json_t *rows = ws_db_load_hooks (self->db, err);
    if (!rows)
        return -1;
    s_hooks_clear (hooks);
    hooks->hooks = calloc (json_array_size (rows) + 1, sizeof (s_hook_t));
    if (!hooks->hooks)
        abort ();
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        ws_err_t hook_err;
        ws_hook_t *hook = ws_hook_new (json_object_get (row, "def"), &hook_err);
        if (!hook) {
            //  Checked at apply; a definition from another version that
            //  this one refuses is named and left out.
            ws_warning ("hook '%s': %s",
                        json_string_value (json_object_get (row, "name")),
                        hook_err.text);
            continue;
        }
        hooks->hooks[hooks->count].id =
            json_integer_value (json_object_get (row, "id"));
        hooks->hooks[hooks->count++].hook = hook;
    }
    json_decref (rows);
    hooks->stale = false;
    ws_info ("hooks: %zu loaded", hooks->count);
    return 0;
}

static s_hook_t *
s_find (ws_coord_hooks_t *hooks, int64_t id)
{
    for (size_t i = 0; i < hooks->count; i++)
        if (hooks->hooks[i].id == id)
            return &hooks->hooks[i];
    return NULL;
}

static s_hook_t *
s_find_name (ws_coord_hooks_t *hooks, const char *name)
{
    for (size_t i = 0; i < hooks->count; i++)
        if (strcmp (ws_hook_name (hooks->hooks[i].hook), name) == 0)
            return &hooks->hooks[i];
    return NULL;
}

//  ---------------------------------------------------------------------
//  Routing

//  Route the alerts not routed yet. Returns the number routed, -1 on a
//  database error (logged; the next pass tries again).
static int
s_route (ws_coord_t *self, int64_t now)
{
    ws_coord_hooks_t *hooks = self->hooks;
    ws_err_t err;
    json_t *alerts = ws_db_unrouted_alerts (self->db, S_ROUTE_BATCH, &err);
    json_t *silences = NULL;
    if (alerts && json_array_size (alerts))
        silences = ws_db_silences (self->db, false, &err);
    if (!alerts || (json_array_size (alerts) && !silences)) {
        ws_warning ("hooks: %s", err.text);
        json_decref (alerts);
        return -1;
    }
    size_t count = json_array_size (alerts);
    int64_t *ids = calloc (count + 1, sizeof (int64_t));
    int64_t *held = calloc (count + 1, sizeof (int64_t));
    size_t max_pairs = count * (hooks->count + 1) + 1;
    int64_t *pair_alerts = calloc (max_pairs, sizeof (int64_t));
    int64_t *pair_hooks = calloc (max_pairs, sizeof (int64_t));
    if (!ids || !held || !pair_alerts || !pair_hooks)
        abort ();
    size_t pairs = 0, silenced = 0;
    for (size_t i = 0; i < count; i++) {
        json_t *alert = json_array_get (alerts, i);
        ids[i] = json_integer_value (json_object_get (alert, "id"));
        int64_t only = json_integer_value (json_object_get (alert, "hook_id"));
        const char *kind = json_string_value (json_object_get (alert, "kind"));
        json_t *silence = strcmp (kind, "test") == 0
                              ? NULL
                              : ws_hook_silenced (silences, alert, now);
        if (silence) {
            held[i] = json_integer_value (json_object_get (silence, "id"));
            silenced++;
            ws_notice ("alert %" PRId64 " silenced by silence %" PRId64
                       " (%s): %s",
                       ids[i], held[i],
                       json_string_value (json_object_get (silence, "reason")),
                       json_string_value (json_object_get (alert, "summary")));
            continue;
        }
        for (size_t h = 0; h < hooks->count; h++) {
            s_hook_t *hook = &hooks->hooks[h];
            if (only ? hook->id == only : ws_hook_matches (hook->hook, alert)) {
                pair_alerts[pairs] = ids[i];
                pair_hooks[pairs++] = hook->id;
            }
        }
    }
    int64_t created = 0;
    int rc = ws_db_route_alerts (self->db, ids, held, count, pair_alerts,
                                 pair_hooks, pairs, &created, &err);
    if (rc)
        ws_warning ("hooks: %s", err.text);
    else {
        hooks->stats.routed += (int64_t) count;
        hooks->stats.silenced += (int64_t) silenced;
        if (created)
            ws_info ("hooks: %zu alerts routed, %" PRId64 " deliveries", count,
                     created);
    }
    free (ids);
    free (held);
    free (pair_alerts);
    free (pair_hooks);
    json_decref (silences);
    json_decref (alerts);
    return rc ? -1 : (int) count;
}

//  ---------------------------------------------------------------------
//  Outcomes

static uint64_t
s_random (ws_coord_hooks_t *hooks)
{
    //  xorshift64*: jitter only, no secrets.
    hooks->rng ^= hooks->rng >> 12;
    hooks->rng ^= hooks->rng << 25;
    hooks->rng ^= hooks->rng >> 27;
    return hooks->rng * 0x2545F4914F6CDD1DULL;
}

//  The wait before attempt + 1 (ws_hook_backoff), with this
//  coordinator's settings and a jitter from its generator.
static int64_t
s_backoff (ws_coord_hooks_t *hooks, int attempt)
{
    double unit = (double) (s_random (hooks) >> 11) / 9007199254740992.0;
    return ws_hook_backoff (hooks->backoff_ms, hooks->backoff_max_ms, attempt,
                            unit);
}

static void s_test_answer (ws_coord_t *self, int64_t alert_id);

//  Keep an outcome for the next flush; alert_id for a waiting test.
static void
s_record (ws_coord_t *self, const s_outcome_t *outcome, int64_t alert_id)
{
    json_t *row = json_pack (
        "{s:I, s:i, s:s, s:I, s:I}", "id", (json_int_t) outcome->id, "attempt",
        outcome->attempt, "state", outcome->state, "retry_in_ms",
        (json_int_t) outcome->retry_in_ms, "alert_id", (json_int_t) alert_id);
    if (outcome->http_status)
        json_object_set_new (row, "http_status",
                             json_integer (outcome->http_status));
    if (outcome->error)
        json_object_set_new (row, "error", json_string (outcome->error));
    if (outcome->response)
        json_object_set_new (row, "response", json_string (outcome->response));
    json_array_append_new (self->hooks->outcomes, row);
}

void
ws_coord_hooks_flush (ws_coord_t *self)
{
    ws_coord_hooks_t *hooks = self->hooks;
    if (json_array_size (hooks->outcomes) == 0)
        return;
    json_t *outcomes = hooks->outcomes;
    hooks->outcomes = json_array ();
    ws_err_t err;
    if (ws_db_delivery_outcomes (self->db, outcomes, &err) < 0)
        //  The rows stay sending; their leases run out and they are
        //  attempted again with the same keys.
        ws_warning ("hooks: %s", err.text);
    size_t index;
    json_t *row;
    json_array_foreach (outcomes, index, row)
        if (json_integer_value (json_object_get (row, "alert_id")))
            s_test_answer (
                self, json_integer_value (json_object_get (row, "alert_id")));
    json_decref (outcomes);
}

//  Record an attempt's outcome and forget the attempt. retryable: the
//  failure may pass (a timeout, 5xx, 429, a lost worker); retry_after:
//  the receiver's wish in ms, or -1.
static void
s_finish (ws_coord_t *self, s_attempt_t *attempt, bool ok, bool retryable,
          int64_t retry_after, int http_status, const char *error,
          const char *response)
{
    ws_coord_hooks_t *hooks = self->hooks;
    int64_t now = ws_wall_ms ();
    char reason[600];
    s_outcome_t outcome = {.id = attempt->id,
                           .attempt = attempt->attempt,
                           .http_status = http_status,
                           .error = error,
                           .response = response};
    if (ok) {
        outcome.state = "delivered";
        hooks->stats.delivered++;
        ws_info ("delivery %" PRId64 " to hook '%s' delivered (attempt %d)",
                 attempt->id, attempt->hook_name, attempt->attempt);
    }
    else {
        int64_t wait = s_backoff (hooks, attempt->attempt);
        if (retry_after > wait)
            wait = retry_after;
        char age[32];
        ws_duration_format (attempt->max_age, age, sizeof age);
        if (attempt->test || !retryable
            || now + wait > attempt->created_at + attempt->max_age) {
            if (attempt->test || !retryable)
                snprintf (reason, sizeof reason, "%s (%s)", error,
                          attempt->test ? "a test is not retried"
                                        : "not retried");
            else
                snprintf (reason, sizeof reason,
                          "gave up after %d attempts: max_age %s would pass "
                          "before the next; last error: %s",
                          attempt->attempt, age, error);
            outcome.state = "given_up";
            outcome.error = reason;
            hooks->stats.given_up++;
            ws_warning ("delivery %" PRId64 " to hook '%s' given up: %s",
                        attempt->id, attempt->hook_name, reason);
        }
        else {
            outcome.state = "failed";
            outcome.retry_in_ms = wait;
            hooks->stats.failed++;
            ws_info ("delivery %" PRId64 " to hook '%s' failed (attempt %d, "
                     "again in %" PRId64 " ms): %s",
                     attempt->id, attempt->hook_name, attempt->attempt, wait,
                     error);
        }
    }
    s_record (self, &outcome, attempt->test ? attempt->alert_id : 0);
    if (attempt->coord)  //  not a late result's stand-in
        ws_map_delete_int (hooks->in_flight, (uint64_t) attempt->id);
}

//  Give up on a delivery without an attempt (no hook any more, past
//  max_age, silenced since it was routed).
static void
s_drop (ws_coord_t *self, int64_t id, int attempt, const char *why)
{
    s_outcome_t outcome = {
        .id = id, .attempt = attempt, .state = "given_up", .error = why};
    s_record (self, &outcome, 0);
    self->hooks->stats.given_up++;
    ws_notice ("delivery %" PRId64 " given up: %s", id, why);
}

void
ws_coord_hooks_on_result (ws_coord_t *self, json_t *result)
{
    ws_coord_hooks_t *hooks = self->hooks;
    int64_t id = json_integer_value (json_object_get (result, "delivery_id"));
    s_attempt_t *attempt = ws_map_get_int (hooks->in_flight, (uint64_t) id);
    s_attempt_t late = {.id = id, .hook_name = "?"};
    if (!attempt)
        //  A result of an attempt from before a restart, or one given up
        //  on: a success is still recorded, a failure changes nothing.
        attempt = &late;
    bool ok = json_is_true (json_object_get (result, "ok"));
    int status =
        (int) json_integer_value (json_object_get (result, "http_status"));
    const char *kind =
        json_string_value (json_object_get (result, "error_kind"));
    const char *error = json_string_value (json_object_get (result, "error"));
    json_t *after = json_object_get (result, "retry_after_ms");
    //  Not retried: a 4xx the receiver means (bad request, gone, ...).
    bool retryable = ws_hook_retryable (kind, status);
    if (attempt == &late) {
        if (ok) {
            s_outcome_t outcome = {.id = id,
                                   .state = "delivered",
                                   .http_status = status,
                                   .response = json_string_value (
                                       json_object_get (result, "response"))};
            s_record (self, &outcome, 0);
        }
        return;
    }
    s_finish (self, attempt, ok, retryable,
              json_is_integer (after) ? json_integer_value (after) : -1, status,
              ok ? NULL : (error ? error : "failed"),
              json_string_value (json_object_get (result, "response")));
}

void
ws_coord_hooks_job_lost (ws_coord_t *self, int64_t delivery_id, const char *why)
{
    s_attempt_t *attempt =
        ws_map_get_int (self->hooks->in_flight, (uint64_t) delivery_id);
    if (!attempt)
        return;
    char error[300];
    snprintf (error, sizeof error, "no answer from the worker: %s", why);
    s_finish (self, attempt, false, true, -1, 0, error, NULL);
    ws_coord_hooks_flush (self);
}

//  ---------------------------------------------------------------------
//  Attempts

static void
s_on_command (const ws_command_result_t *result, const ws_err_t *err, void *arg)
{
    s_attempt_t *attempt = arg;
    ws_coord_t *self = attempt->coord;
    char error[300];
    bool ok = false;
    if (err)
        snprintf (error, sizeof error, "%s", err->text);
    else if (result->timed_out) {
        char took[32];
        ws_duration_format (result->duration_ms, took, sizeof took);
        snprintf (error, sizeof error, "timed out after %s, killed", took);
    }
    else if (result->signal)
        snprintf (error, sizeof error, "killed by signal %d", result->signal);
    else if (result->exit_status != 0)
        snprintf (error, sizeof error, "exit status %d", result->exit_status);
    else
        ok = true;
    s_finish (self, attempt, ok, true, -1, 0, ok ? NULL : error,
              result ? result->output : NULL);
    ws_coord_hooks_flush (self);
}

//  Set name=value in env (an object); value copied.
static void
s_env_set (json_t *env, const char *name, json_t *value)
{
    if (json_is_string (value))
        json_object_set (env, name, value);
    else if (json_is_integer (value)) {
        char text[32];
        snprintf (text, sizeof text, "%" JSON_INTEGER_FORMAT,
                  json_integer_value (value));
        json_object_set_new (env, name, json_string (text));
    }
}

//  The command's environment: the alert's fields as WATERSHED_*, PATH,
//  and the hook's "env" with ${NAME} from watershedd's environment.
//  NULL with *error naming a variable that is not set.
static json_t *
s_command_env (ws_hook_t *hook, json_t *alert, const char *key, int attempt,
               char *error, size_t size)
{
    json_t *env = json_object ();
    json_object_set_new (env, "PATH",
                         json_string ("/usr/local/bin:/usr/bin:/bin"));
    static const struct {
        const char *name, *field;
    } fields[] = {{"WATERSHED_ALERT_ID", "id"},
                  {"WATERSHED_ALERT_KIND", "kind"},
                  {"WATERSHED_SEVERITY", "severity"},
                  {"WATERSHED_FROM", "from"},
                  {"WATERSHED_TO", "to"},
                  {"WATERSHED_GOAL", "goal"},
                  {"WATERSHED_CAMPAIGN", "campaign"},
                  {"WATERSHED_SUMMARY", "summary"},
                  {"WATERSHED_FINGERPRINT", "fingerprint"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        s_env_set (env, fields[i].name,
                   json_object_get (alert, fields[i].field));
    s_env_set (
        env, "WATERSHED_DESCRIPTION",
        json_object_get (json_object_get (alert, "evidence"), "description"));
    json_object_set_new (env, "WATERSHED_DELIVERY_ID", json_string (key));
    json_object_set_new (env, "WATERSHED_HOOK",
                         json_string (ws_hook_name (hook)));
    json_object_set_new (env, "WATERSHED_ATTEMPT",
                         json_sprintf ("%d", attempt));
    const char *name;
    json_t *value;
    json_object_foreach (ws_hook_env (hook), name, value) {
        const char *missing;
        size_t missing_len;
        char *text =
            ws_hook_expand (json_string_value (value), &missing, &missing_len);
        if (!text) {
            snprintf (error, size,
                      "env '%s': environment variable %.*s is not set in "
                      "watershedd's environment",
                      name, (int) missing_len, missing ? missing : "?");
            json_decref (env);
            return NULL;
        }
        json_object_set_new (env, name, json_string (text));
        free (text);
    }
    return env;
}

//  A hook's header template in the form the worker expands (as source
//  headers): "${NAME}" stays for the worker's environment, "$$" (the
//  hook's literal "$") becomes "$". The worker's form has no way to say
//  a literal "${", so "$${" reaches it as "${" and names a variable.
static json_t *
s_worker_template (const char *text)
{
    size_t len = strlen (text);
    char *out = malloc (len + 1);
    if (!out)
        abort ();
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        out[n++] = text[i];
        if (text[i] == '$' && text[i + 1] == '$')
            i++;
    }
    out[n] = '\0';
    json_t *value = json_string (out);
    free (out);
    return value;
}

//  The JSON text of a deliver job's "request", or NULL with *error.
static char *
s_webhook_request (ws_hook_t *hook, const char *body, const char *content_type,
                   const char *key, int64_t now, char *error, size_t size)
{
    json_t *headers = json_object ();
    const char *name;
    json_t *value;
    json_object_foreach (ws_hook_headers (hook), name, value)
        json_object_set_new (headers, name,
                             s_worker_template (json_string_value (value)));
    json_object_set_new (headers, "Content-Type", json_string (content_type));
    json_object_set_new (headers, WS_ALERT_IDEMPOTENCY_HEADER,
                         json_string (key));
    const char *secret_env = ws_hook_secret_env (hook);
    if (secret_env) {
        const char *secret = getenv (secret_env);
        char signature[WS_ALERT_SIGNATURE_MAX];
        ws_err_t err;
        if (!secret || !*secret) {
            snprintf (error, size,
                      "secret_env %s is not set in watershedd's environment",
                      secret_env);
            json_decref (headers);
            return NULL;
        }
        if (ws_alert_sign (secret, strlen (secret), now / 1000, body,
                           strlen (body), signature, &err)) {
            snprintf (error, size, "signing: %s", err.text);
            json_decref (headers);
            return NULL;
        }
        json_object_set_new (headers, WS_ALERT_SIGNATURE_HEADER,
                             json_string (signature));
    }
    json_t *request = json_pack (
        "{s:s, s:s, s:o, s:I}", "url", ws_hook_url (hook), "body", body,
        "headers", headers, "timeout_ms", (json_int_t) ws_hook_timeout (hook));
    char *text = request ? json_dumps (request, JSON_COMPACT) : NULL;
    json_decref (request);
    if (!text)
        abort ();
    return text;
}

//  Attempt one delivery taken from the database.
static void
s_attempt (ws_coord_t *self, json_t *row, json_t **silences, int64_t now)
{
    ws_coord_hooks_t *hooks = self->hooks;
    int64_t id = json_integer_value (json_object_get (row, "id"));
    int number = (int) json_integer_value (json_object_get (row, "attempts"));
    json_t *alert = json_object_get (row, "alert");
    const char *key = json_string_value (json_object_get (row, "key"));
    const char *kind = json_string_value (json_object_get (alert, "kind"));
    bool test = strcmp (kind, "test") == 0;
    if (ws_map_get_int (hooks->in_flight, (uint64_t) id))
        return;  //  still being attempted (its lease was too short)
    s_hook_t *entry =
        s_find (hooks, json_integer_value (json_object_get (row, "hook_id")));
    if (!entry) {
        //  Created by an apply this process has not loaded yet.
        hooks->stale = true;
        s_outcome_t outcome = {.id = id,
                               .attempt = number,
                               .state = "failed",
                               .retry_in_ms = 1000,
                               .error = "hook not loaded yet"};
        s_record (self, &outcome, 0);
        return;
    }
    ws_hook_t *hook = entry->hook;
    int64_t created = json_integer_value (json_object_get (row, "created_at"));
    char why[700];
    if (!test && now - created > ws_hook_max_age (hook)) {
        char age[32];
        ws_duration_format (ws_hook_max_age (hook), age, sizeof age);
        json_t *last = json_object_get (row, "last_error");
        snprintf (why, sizeof why,
                  "not delivered within max_age %s (%d attempts); last "
                  "error: %s",
                  age, number - 1,
                  json_is_string (last) ? json_string_value (last) : "none");
        s_drop (self, id, number, why);
        return;
    }
    if (!test && !*silences) {
        ws_err_t err;
        if (!(*silences = ws_db_silences (self->db, false, &err)))
            ws_warning ("hooks: %s", err.text);
    }
    json_t *silence = test ? NULL : ws_hook_silenced (*silences, alert, now);
    if (silence) {
        char until[40];
        ws_iso8601_format (
            json_integer_value (json_object_get (silence, "until")), until,
            sizeof until);
        snprintf (why, sizeof why,
                  "silenced by silence %" JSON_INTEGER_FORMAT " until %s: %s",
                  json_integer_value (json_object_get (silence, "id")), until,
                  json_string_value (json_object_get (silence, "reason")));
        s_drop (self, id, number, why);
        return;
    }
    s_attempt_t *attempt = calloc (1, sizeof *attempt);
    if (!attempt)
        abort ();
    *attempt = (s_attempt_t){
        .coord = self,
        .id = id,
        .alert_id = json_integer_value (json_object_get (alert, "id")),
        .hook_id = entry->id,
        .attempt = number,
        .created_at = created,
        .max_age = ws_hook_max_age (hook),
        .test = test,
        .hook_name = strdup (ws_hook_name (hook))};
    if (!attempt->hook_name)
        abort ();
    ws_map_put_int (hooks->in_flight, (uint64_t) id, attempt);
    hooks->stats.attempts++;

    json_t *list = json_pack ("[O]", alert);
    ws_alert_payload_opts_t opts = {.receiver = ws_hook_name (hook)};
    bool webhook = ws_hook_type (hook) == WS_HOOK_WEBHOOK;
    char *body = NULL;
    const char *content_type = NULL;
    ws_err_t err;
    int rc = ws_alert_payload_build_with (
        webhook ? ws_hook_format (hook) : "watershed", list, key, now, &opts,
        &body, &content_type, &err);
    json_decref (list);
    if (rc) {
        snprintf (why, sizeof why, "payload: %s", err.text);
        s_finish (self, attempt, false, false, -1, 0, why, NULL);
        return;
    }
    if (webhook) {
        char *request = s_webhook_request (hook, body, content_type, key, now,
                                           why, sizeof why);
        free (body);
        if (!request) {
            s_finish (self, attempt, false, true, -1, 0, why, NULL);
            return;
        }
        s_job_t *job = calloc (1, sizeof *job);
        if (!job)
            abort ();
        job->kind = S_JOB_DELIVER;
        job->delivery_id = id;
        job->tick = now;
        job->timeout_ms = ws_hook_timeout (hook);
        job->payload = request;
        ws_coord_queue_job (self, job);
        return;
    }
    json_t *env = s_command_env (hook, alert, key, number, why, sizeof why);
    if (!env) {
        free (body);
        s_finish (self, attempt, false, true, -1, 0, why, NULL);
        return;
    }
    rc = ws_commander_run (hooks->commander, ws_hook_argv (hook), env, body,
                           strlen (body), ws_hook_timeout (hook), S_OUTPUT_CAP,
                           s_on_command, attempt, &err);
    json_decref (env);
    free (body);
    if (rc)
        s_finish (self, attempt, false, true, -1, 0, err.text, NULL);
}

//  Take what is due and attempt it.
static void
s_dispatch (ws_coord_t *self, int64_t now)
{
    ws_coord_hooks_t *hooks = self->hooks;
    int room = hooks->max_in_flight - (int) ws_map_size (hooks->in_flight);
    if (room <= 0 || hooks->count == 0)
        return;
    if (room > S_TAKE_BATCH)
        room = S_TAKE_BATCH;
    //  The lease outlasts the longest attempt, so that only a crash
    //  lets it run out.
    int64_t lease = 0;
    for (size_t i = 0; i < hooks->count; i++)
        if (ws_hook_timeout (hooks->hooks[i].hook) > lease)
            lease = ws_hook_timeout (hooks->hooks[i].hook);
    lease += S_LEASE_SLACK;
    ws_err_t err;
    json_t *taken = ws_db_take_deliveries (self->db, room, lease, &err);
    if (!taken) {
        ws_warning ("hooks: %s", err.text);
        return;
    }
    json_t *silences = NULL;
    size_t i;
    json_t *row;
    json_array_foreach (taken, i, row)
        s_attempt (self, row, &silences, now);
    json_decref (silences);
    ws_coord_hooks_flush (self);  //  attempts that ended at once
    //  A full batch: more may be due at once.
    if (json_array_size (taken) == (size_t) room)
        hooks->kicked = true;
    json_decref (taken);
}

//  Goals still off track whose hooks want to hear it again.
static void
s_repeats (ws_coord_t *self, int64_t now)
{
    ws_coord_hooks_t *hooks = self->hooks;
    bool any = false;
    for (size_t i = 0; i < hooks->count && !any; i++)
        any = ws_hook_repeat_interval (hooks->hooks[i].hook) > 0;
    if (!any)
        return;
    ws_err_t err;
    json_t *rows = ws_db_repeat_candidates (self->db, &err);
    if (!rows) {
        ws_warning ("hooks: %s", err.text);
        return;
    }
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        s_hook_t *entry = s_find (
            hooks, json_integer_value (json_object_get (row, "hook_id")));
        int64_t interval = entry ? ws_hook_repeat_interval (entry->hook) : 0;
        if (!interval
            || now - json_integer_value (json_object_get (row, "last"))
                   < interval)
            continue;
        if (ws_coord_goals_repeat (
                self, json_integer_value (json_object_get (row, "goal_id")),
                entry->id, json_integer_value (json_object_get (row, "root")),
                (int) json_integer_value (json_object_get (row, "repeats")) + 1,
                now)) {
            hooks->stats.repeats++;
            hooks->kicked = true;
        }
    }
    json_decref (rows);
}

void
ws_coord_hooks_turn (ws_coord_t *self)
{
    ws_coord_hooks_t *hooks = self->hooks;
    int64_t now = ws_wall_ms ();
    //  Tests that got no answer in time.
    for (s_test_t **p = &hooks->tests; *p;) {
        s_test_t *test = *p;
        if (now < test->deadline) {
            p = &test->next;
            continue;
        }
        *p = test->next;
        ws_err_t err;
        ws_err_set (&err, WS_ERR_TIMEOUT,
                    "hook test: no outcome within %" PRId64
                    " ms (is a worker connected?); the delivery stays "
                    "queued, see 'watershed alerts --kind test'",
                    test->deadline - test->started);
        ws_coord_reply (self, test->peer, test->peer_len, test->request_id,
                        NULL, &err);
        free (test);
    }
    if (self->db_failing)
        return;
    if (!hooks->kicked && now - hooks->last_poll < S_POLL_MS)
        return;
    if (hooks->stale) {
        ws_err_t err;
        if (s_reload (self, &err)) {
            ws_warning ("hooks: %s", err.text);
            return;
        }
    }
    hooks->kicked = false;
    hooks->last_poll = now;
    if (now - hooks->last_repeat >= S_REPEAT_MS) {
        hooks->last_repeat = now;
        s_repeats (self, now);
    }
    if (s_route (self, now) == S_ROUTE_BATCH)
        hooks->kicked = true;
    s_dispatch (self, now);
}

//  ---------------------------------------------------------------------
//  'hook test' and status

static void
s_test_answer (ws_coord_t *self, int64_t alert_id)
{
    ws_coord_hooks_t *hooks = self->hooks;
    for (s_test_t **p = &hooks->tests; *p; p = &(*p)->next) {
        s_test_t *test = *p;
        if (test->alert_id != alert_id)
            continue;
        *p = test->next;
        ws_err_t err;
        json_t *delivery = NULL;
        json_t *alerts =
            ws_db_list_alerts (self->db, alert_id, NULL, NULL, 0, 1, &err);
        if (alerts) {
            json_t *alert = json_array_get (alerts, 0);
            delivery = json_pack (
                "{s:I, s:O, s:I}", "alert_id", (json_int_t) alert_id,
                "delivery",
                json_array_get (json_object_get (alert, "deliveries"), 0)
                    ? json_array_get (json_object_get (alert, "deliveries"), 0)
                    : json_null (),
                "duration_ms", (json_int_t) (ws_wall_ms () - test->started));
            json_decref (alerts);
        }
        ws_coord_reply (self, test->peer, test->peer_len, test->request_id,
                        delivery, &err);
        free (test);
        return;
    }
}

void
ws_coord_hooks_request (ws_coord_t *self, const uint8_t *peer, size_t peer_len,
                        json_int_t request_id, json_t *args)
{
    ws_coord_hooks_t *hooks = self->hooks;
    ws_err_t err;
    ws_err_clear (&err);
    const char *action = json_string_value (json_object_get (args, "action"));
    const char *name = json_string_value (json_object_get (args, "name"));
    if (!action || strcmp (action, "test") != 0) {
        ws_err_set (&err, WS_ERR_INPUT, "hook: /action: expected \"test\"");
        ws_err_where (&err, "/action");
        ws_coord_reply (self, peer, peer_len, request_id, NULL, &err);
        return;
    }
    if (!name) {
        ws_err_set (&err, WS_ERR_INPUT, "hook: /name: expected a hook's name");
        ws_err_where (&err, "/name");
        ws_coord_reply (self, peer, peer_len, request_id, NULL, &err);
        return;
    }
    if ((hooks->stale || !s_find_name (hooks, name)) && s_reload (self, &err)) {
        ws_coord_reply (self, peer, peer_len, request_id, NULL, &err);
        return;
    }
    s_hook_t *entry = s_find_name (hooks, name);
    if (!entry) {
        ws_err_set (&err, WS_ERR_NOTFOUND,
                    "hook '%s': no such hook (declare it with 'watershed "
                    "apply')",
                    name);
        ws_coord_reply (self, peer, peer_len, request_id, NULL, &err);
        return;
    }
    int64_t now = ws_wall_ms ();
    char fingerprint[200], when[40];
    snprintf (fingerprint, sizeof fingerprint,
              "test/%" PRId64 "/%" PRId64 "/%" PRIu64, entry->id, now,
              s_random (hooks) & 0xffffff);
    ws_iso8601_format (now, when, sizeof when);
    json_t *alert = json_pack (
        "{s:s, s:s, s:s, s:o, s:{s:s, s:s, s:b}}", "fingerprint", fingerprint,
        "kind", "test", "severity", "info", "summary",
        json_sprintf ("watershed test alert for hook '%s': if you read this, "
                      "the hook works",
                      name),
        "evidence", "hook", name, "sent_at", when, "test", 1);
    int64_t alert_id =
        ws_db_record_hook_alert (self->db, alert, 0, entry->id, 0, &err);
    json_decref (alert);
    if (alert_id <= 0) {
        if (alert_id == 0)
            ws_err_set (&err, WS_ERR_SYSTEM, "hook test: alert not recorded");
        ws_coord_reply (self, peer, peer_len, request_id, NULL, &err);
        return;
    }
    s_test_t *test = calloc (1, sizeof *test);
    if (!test)
        abort ();
    test->alert_id = alert_id;
    memcpy (test->peer, peer, peer_len);
    test->peer_len = peer_len;
    test->request_id = request_id;
    test->started = now;
    test->deadline = now + ws_hook_timeout (entry->hook) + S_TEST_SLACK;
    test->next = hooks->tests;
    hooks->tests = test;
    hooks->kicked = true;
    ws_notice ("hook '%s': test alert %" PRId64 " queued", name, alert_id);
}

json_t *
ws_coord_hooks_counters (ws_coord_t *self)
{
    ws_coord_hooks_t *hooks = self->hooks;
    return json_pack (
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "hooks",
        (json_int_t) hooks->count, "alerts_routed",
        (json_int_t) hooks->stats.routed, "alerts_silenced",
        (json_int_t) hooks->stats.silenced, "delivery_attempts",
        (json_int_t) hooks->stats.attempts, "deliveries_delivered",
        (json_int_t) hooks->stats.delivered, "delivery_failures",
        (json_int_t) hooks->stats.failed, "deliveries_given_up",
        (json_int_t) hooks->stats.given_up, "deliveries_in_flight",
        (json_int_t) ws_map_size (hooks->in_flight), "repeats",
        (json_int_t) hooks->stats.repeats);
}
