//  fuzz_msg - libFuzzer target for the protocol codec (README.md).
//
//  Input: byte 0 holds flags (bit 0: the frames came in on a ROUTER, so
//  the first one is a routing id); then frames, each a 2-byte big-endian
//  length and that many bytes (a last frame shorter than its length
//  takes what is left). The target decodes the frames; a message that
//  decodes must encode and decode again to an equal message, and a
//  refusal must come with an error text fit for a log line and an ERROR
//  reply. Any other outcome aborts, which the fuzzer reports.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_msg.h"

#define S_MAX_FRAMES 16

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_die (const char *what, const char *detail)
{
    fprintf (stderr, "fuzz_msg: %s: %s\n", what, detail ? detail : "");
    abort ();
}

//  Error texts go to log lines and into ERROR bodies: valid UTF-8, no
//  control characters.
static void
s_check_text (const char *text, const char *what)
{
    for (const char *at = text; *at; at++)
        if ((unsigned char) *at < 0x20 || *at == 0x7F)
            s_die (what, "holds a control character");
    json_t *string = json_string (text);
    if (!string)
        s_die (what, "is not UTF-8");
    json_decref (string);
}

static void
s_round_trip (ws_msg_t *msg, bool router)
{
    ws_err_t err;
    char *body = ws_msg_encode_body (msg, &err);
    if (!body)
        s_die ("decoded message does not encode", err.text);
    size_t id_len;
    const uint8_t *id = ws_msg_routing_id (msg, &id_len);
    const char *command = ws_msg_command (msg);
    const uint8_t *frames[4] = {id, (const uint8_t *) WS_MSG_SIGNATURE,
                                (const uint8_t *) command,
                                (const uint8_t *) body};
    size_t sizes[4] = {id_len, strlen (WS_MSG_SIGNATURE), strlen (command),
                       strlen (body)};
    size_t first = router ? 0 : 1;
    ws_msg_t *again =
        ws_msg_decode (frames + first, sizes + first, 4 - first, router, &err);
    if (!again)
        s_die ("encoded message does not decode", err.text);
    if (ws_msg_id (again) != ws_msg_id (msg)
        || !json_equal (ws_msg_body (again), ws_msg_body (msg)))
        s_die ("message changed in a round trip", body);
    size_t again_len;
    const uint8_t *again_id = ws_msg_routing_id (again, &again_len);
    if (again_len != id_len || (id_len && memcmp (again_id, id, id_len)))
        s_die ("routing id changed in a round trip", command);
    ws_msg_destroy (&again);
    free (body);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool router = data[0] & 1;
    const uint8_t *frames[S_MAX_FRAMES];
    size_t sizes[S_MAX_FRAMES];
    size_t count = 0;
    size_t at = 1;
    while (at + 2 <= size && count < S_MAX_FRAMES) {
        size_t len = (size_t) data[at] << 8 | data[at + 1];
        at += 2;
        if (len > size - at)
            len = size - at;
        frames[count] = data + at;
        sizes[count] = len;
        count++;
        at += len;
    }
    ws_err_t err;
    ws_err_clear (&err);
    ws_msg_t *msg = ws_msg_decode (frames, sizes, count, router, &err);
    if (msg) {
        s_round_trip (msg, router);
        ws_msg_destroy (&msg);
        return 0;
    }
    if (err.code != WS_ERR_PROTO)
        s_die ("refusal without WS_ERR_PROTO", err.text);
    if (!err.text[0] || !err.where[0])
        s_die ("refusal without text or where", err.text);
    s_check_text (err.text, "error text");
    s_check_text (err.where, "error where");
    ws_msg_t *reply = ws_msg_new_error (ws_msg_error_code (&err), err.text);
    if (!reply)
        s_die ("no ERROR for the refusal", err.text);
    s_round_trip (reply, false);
    ws_msg_destroy (&reply);
    return 0;
}
