//  fuzz_alert - libFuzzer target for the alert payload builder and the
//  signature verifier (lib/ws_alert_payload.h).
//
//  Input: byte 0 picks what runs. Bits 0-1: 0 watershed, 1 alertmanager,
//  2 slack, 3 the verifier. Builder: byte 1 is max_alerts, the rest a
//  JSON array of alerts. Verifier: the rest is a signature header, a
//  newline, and the body it claims to sign.
//  Checks, beyond no crash, leak or undefined behaviour: a refusal comes
//  with an error text; a built body is JSON, and its signature verifies
//  while the signature of another body or time does not; the verifier
//  only accepts a header that holds the right signature of the body at
//  its own timestamp.
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ws_alert_payload.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char s_secret[] = "fuzz-secret";
#define S_SECRET_LEN (sizeof s_secret - 1)
#define S_NOW_MS 1790000000000LL
#define S_NOW (S_NOW_MS / 1000)
#define S_TOLERANCE 300

static const char *s_formats[] = {"watershed", "alertmanager", "slack"};

static void
s_build (const char *format, size_t max_alerts, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *alerts = json_loadb (text, len, 0, &jerr);
    if (!alerts)
        return;
    ws_alert_payload_opts_t opts = {"fuzz-hook", "http://watershed.example/",
                                    max_alerts};
    char *body = NULL;
    const char *content_type = NULL;
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_alert_payload_build_with (format, alerts, "d-1", S_NOW_MS, &opts,
                                     &body, &content_type, &err)) {
        fuzz_check_err (&err, WS_ERR_NONE, "alert payload");
        if (body)
            fuzz_die ("alert payload", "a refusal leaves a body");
        json_decref (alerts);
        return;
    }
    //  Every element passed the builder, so each passes the check alone.
    size_t index;
    json_t *alert;
    json_array_foreach (alerts, index, alert) {
        if (ws_alert_payload_check (alert, "", &err))
            fuzz_die ("built alert fails ws_alert_payload_check", err.text);
    }
    json_decref (alerts);
    if (!body || !content_type)
        fuzz_die ("alert payload", "success without a body");
    json_t *parsed = json_loads (body, 0, &jerr);
    if (!json_is_object (parsed))
        fuzz_die ("alert payload body is not a JSON object", body);
    json_decref (parsed);

    size_t body_len = strlen (body);
    char header[WS_ALERT_SIGNATURE_MAX];
    if (ws_alert_sign (s_secret, S_SECRET_LEN, S_NOW, body, body_len, header,
                       &err))
        fuzz_die ("cannot sign a body", err.text);
    if (ws_alert_verify (s_secret, S_SECRET_LEN, header, body, body_len, S_NOW,
                         S_TOLERANCE, &err))
        fuzz_die ("own signature does not verify", err.text);
    if (ws_alert_verify (s_secret, S_SECRET_LEN, header, body, body_len - 1,
                         S_NOW, S_TOLERANCE, &err)
        == 0)
        fuzz_die ("alert verify", "a signature verifies a shorter body");
    if (ws_alert_verify (s_secret, S_SECRET_LEN, header, body, body_len,
                         S_NOW + S_TOLERANCE + 1, S_TOLERANCE, &err)
        == 0)
        fuzz_die ("alert verify", "a stale signature verifies");
    free (body);
}

static void
s_verify (const char *text, size_t len)
{
    const char *newline = memchr (text, '\n', len);
    if (!newline)
        return;
    char *header = fuzz_strndup (text, (size_t) (newline - text));
    const char *body = newline + 1;
    size_t body_len = len - (size_t) (body - text);
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_alert_verify (s_secret, S_SECRET_LEN, header, body, body_len, S_NOW,
                         S_TOLERANCE, &err)) {
        fuzz_check_err (&err, WS_ERR_NONE, "alert verify");
        free (header);
        return;
    }
    //  Accepted: the header must hold t=T and the v1 we would write at T.
    long long t = 0;
    if (sscanf (header, "t=%lld", &t) != 1 && !strstr (header, ",t="))
        fuzz_die ("alert verify accepted a header without t", header);
    const char *at = strstr (header, "t=");
    if (at != header)
        at = strstr (header, ",t=") + 1;
    t = strtoll (at + 2, NULL, 10);
    char expected[WS_ALERT_SIGNATURE_MAX];
    if (ws_alert_sign (s_secret, S_SECRET_LEN, t, body, body_len, expected,
                       &err))
        fuzz_die ("cannot sign at an accepted timestamp", err.text);
    //  Hex digits may come in either case.
    for (char *c = header; *c; c++)
        *c = (char) tolower ((unsigned char) *c);
    const char *v1 = strstr (expected, ",v1=");
    if (!v1 || !strstr (header, v1 + 1))
        fuzz_die ("alert verify accepted a wrong signature", header);
    free (header);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *text = (const char *) data;
    unsigned mode = data[0] & 3;
    if (mode == 3)
        s_verify (text + 1, size - 1);
    else
        s_build (s_formats[mode], data[1], text + 2, size - 2);
    return 0;
}
