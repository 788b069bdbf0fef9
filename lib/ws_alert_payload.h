//  ws_alert_payload - the body of an alert notification and its signature.
//  A webhook hook sends one notification per delivery: one or more alerts
//  of ONE kind (slipped and recovered never share a message, so a
//  receiver that pages on one never misreads the other), in one of three
//  formats: watershed's own JSON (docs/alert-payload.md), the Prometheus
//  Alertmanager webhook payload version "4" (receivers written for
//  Alertmanager work unchanged) and a Slack incoming-webhook message.
//  The body is signed with HMAC-SHA256 over "<timestamp>.<body>", so a
//  receiver can check who sent it and refuse a replay.
//
//  Pure: no I/O, no clock; the caller gives the time. The worker that
//  POSTs, the coordinator's 'hook test' and the tests' receiver share it.
//
//  An alert, as input (what a row of 'alerts' holds):
//      {"id": 12, "fingerprint": "goal/3/1790000000000/slipped",
//       "kind": "slipped", "severity": "critical",
//       "from": "on_track", "to": "off_track", "summary": "goal ...",
//       "evidence": {...}, "goal": "eu-signups" or null,
//       "campaign": "spring" or null,
//       "series": {"metric": "signups", "labels": {...}} or null,
//       "created_at": 1790000000000}
//  Other keys are ignored.
#ifndef WS_ALERT_PAYLOAD_H
#define WS_ALERT_PAYLOAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

//  The headers a webhook request carries besides Content-Type.
#define WS_ALERT_SIGNATURE_HEADER "X-Watershed-Signature"
#define WS_ALERT_IDEMPOTENCY_HEADER "Idempotency-Key"

//  Room for a signature header value: "t=" 20 digits ",v1=" 64 hex, NUL.
#define WS_ALERT_SIGNATURE_MAX 96

//  The version of the "watershed" format; a change that can break a
//  receiver gets a new number (docs/alert-payload.md).
#define WS_ALERT_PAYLOAD_VERSION 1

//  What a hook adds to the body; every field may be NULL or 0.
typedef struct {
    const char *receiver;      //  hook name: Alertmanager's "receiver"
    const char *external_url;  //  link back to watershed ("externalURL")
    //  Alertmanager's max_alerts: alerts past it are left out and
    //  counted in "truncatedAlerts"; 0 sends all. Slack always shows at
    //  most WS_ALERT_SLACK_ALERTS and counts the rest.
    size_t max_alerts;
} ws_alert_payload_opts_t;

//  Slack allows 50 blocks a message: a header, then per alert a section
//  and a context, then a line for the rest.
#define WS_ALERT_SLACK_ALERTS 20

//  Build the body of one notification. format: "watershed",
//  "alertmanager" or "slack". alerts (borrowed): a non-empty array of
//  alerts of one kind. delivery_id: the idempotency key, also in the
//  watershed body. now: ms since the epoch ("sent_at"). On success *body
//  (caller owns, free ()) holds the compact JSON text and *content_type
//  a static string. Returns 0, or -1 with *err naming the alert and the
//  field at fault (err->where = "/INDEX/FIELD"), a mixed array, or an
//  unknown format.
int ws_alert_payload_build (const char *format, json_t *alerts,
                            const char *delivery_id, int64_t now, char **body,
                            const char **content_type, ws_err_t *err);

//  The same with a hook's receiver name, external URL and max_alerts;
//  opts may be NULL.
int ws_alert_payload_build_with (const char *format, json_t *alerts,
                                 const char *delivery_id, int64_t now,
                                 const ws_alert_payload_opts_t *opts,
                                 char **body, const char **content_type,
                                 ws_err_t *err);

//  Check one alert as ws_alert_payload_build reads it; path prefixes
//  err->where ("" for a lone alert). Returns 0 or -1 with *err.
int ws_alert_payload_check (json_t *alert, const char *path, ws_err_t *err);

//  True if a format name is known.
int ws_alert_payload_format_valid (const char *format);

//  HMAC-SHA256 (RFC 2104, FIPS 180-4) of data under key into out (32
//  bytes). Returns 0, or -1 if libcrypto fails.
int ws_alert_hmac_sha256 (const void *key, size_t key_len, const void *data,
                          size_t len, unsigned char out[32]);

//  The X-Watershed-Signature value of a body sent at timestamp (seconds
//  since the epoch): "t=<timestamp>,v1=<hex HMAC-SHA256 of
//  '<timestamp>.<body>' under secret>", into out
//  (WS_ALERT_SIGNATURE_MAX bytes). The secret is never copied into an
//  error. Returns 0, or -1 with *err (empty secret, negative timestamp).
int ws_alert_sign (const void *secret, size_t secret_len, int64_t timestamp,
                   const char *body, size_t len,
                   char out[WS_ALERT_SIGNATURE_MAX], ws_err_t *err);

//  Check a signature header as a receiver does: well formed ("t=DIGITS"
//  and one or more "v1=64 hex", comma separated, other schemes
//  ignored), timestamp within tolerance seconds of now (seconds; older
//  is a replay, newer a wrong clock), and one v1 equal, in constant
//  time, to the HMAC of '<t>.<body>'. Returns 0, or -1 with *err saying
//  which check failed.
int ws_alert_verify (const void *secret, size_t secret_len, const char *header,
                     const char *body, size_t len, int64_t now,
                     int64_t tolerance, ws_err_t *err);

#endif
