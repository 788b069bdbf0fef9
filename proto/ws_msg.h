//  ws_msg - the codec of the watershed wire protocol (PROTOCOL.md). One
//  message is a signature-and-version frame "WSP/1", a command frame and
//  a JSON body frame; a ROUTER socket sees one routing-id frame in front.
//  Every process links this codec. ws_msg_recv and ws_msg_decode check
//  the signature, the version, the command, and every field of the body
//  against the spec; anything malformed is refused with an error naming
//  the command and the field, and never crashes the caller.
#ifndef WS_MSG_H
#define WS_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

#define WS_MSG_SIGNATURE "WSP/1"
//  Most bytes a body frame may have; sockets set ZMQ_MAXMSGSIZE to it.
#define WS_MSG_MAX_BODY (64 * 1024 * 1024)
#define WS_MSG_MAX_ROUTING_ID 255
//  Deepest nesting of arrays and objects in a body, the body itself
//  being level 1. Bounds the recursion of every reader of a body.
#define WS_MSG_MAX_DEPTH 64

typedef enum {
    WS_MSG_READY = 1,   //  worker -> coordinator
    WS_MSG_HEARTBEAT,   //  both ways
    WS_MSG_JOB,         //  coordinator -> worker, a batch of jobs
    WS_MSG_RESULT,      //  worker -> coordinator, a batch of results
    WS_MSG_ACK,         //  coordinator -> worker, results committed
    WS_MSG_DISCONNECT,  //  both ways
    WS_MSG_ERROR,       //  coordinator -> peer, a refused message
    WS_MSG_REQUEST,     //  client -> coordinator
    WS_MSG_REPLY        //  coordinator -> client
} ws_msg_id_t;

typedef struct _ws_msg_t ws_msg_t;

//  Create a message with the given command and body. Takes ownership of
//  *body_p (a JSON object) and NULLs it; a NULL body_p or *body_p means
//  an empty object. The body is not checked here; ws_msg_send checks it.
//  NULL if id is not a command or memory ran out.
ws_msg_t *ws_msg_new (ws_msg_id_t id, json_t **body_p);

//  Destroy the message; NULLs *self_p. Safe on NULL.
void ws_msg_destroy (ws_msg_t **self_p);

//  Command of the message, and its name ("READY", ...).
ws_msg_id_t ws_msg_id (ws_msg_t *self);
const char *ws_msg_command (ws_msg_t *self);
const char *ws_msg_id_name (ws_msg_id_t id);

//  The body (borrowed; valid while the message lives).
json_t *ws_msg_body (ws_msg_t *self);

//  Routing id of the peer (ROUTER side), borrowed, and its length; 0 if
//  none. ws_msg_set_routing_id copies it.
const uint8_t *ws_msg_routing_id (ws_msg_t *self, size_t *len);
void ws_msg_set_routing_id (ws_msg_t *self, const uint8_t *data, size_t len);

//  Check the body of a message against the spec for its command. 0 or -1
//  with *err naming the command and field, e.g.
//      JOB: /jobs/3/attempt: expected an integer >= 1, found "x"
int ws_msg_validate (ws_msg_id_t id, json_t *body, ws_err_t *err);

//  Send and destroy the message (also on failure). On a ROUTER socket
//  the routing id goes first (a message without one is refused); other
//  sockets do not send it. Flags 0: set ZMQ_SNDTIMEO to bound the wait.
//  0 or -1 with *err: WS_ERR_PROTO for an invalid body (nothing sent),
//  WS_ERR_TIMEOUT on EAGAIN, WS_ERR_NET on EHOSTUNREACH (a ROUTER with
//  ZMQ_ROUTER_MANDATORY and a peer that is gone), WS_ERR_SYSTEM else.
int ws_msg_send (ws_msg_t **self_p, void *socket, ws_err_t *err);

//  Send a body that is already encoded (compact JSON, NUL-terminated,
//  malloc'd; takes ownership of *body_p and NULLs it, also on failure),
//  with the routing id on a ROUTER. The body is NOT validated: this is
//  for a sender's own encoder on a hot path (the coordinator's JOB
//  batches), whose output its unit test checks with ws_msg_validate.
int ws_msg_send_text (void *socket, const uint8_t *routing_id,
                      size_t routing_id_len, ws_msg_id_t id, char **body_p,
                      ws_err_t *err);

//  Receive one whole message (all its frames) from the socket. Set
//  router when the socket is a ROUTER (a routing-id frame comes first).
//  Returns the message, or NULL with *err: EAGAIN when flags has
//  ZMQ_DONTWAIT and nothing waits (err->code WS_ERR_TIMEOUT), or a
//  malformed message (WS_ERR_PROTO; its frames are consumed). When
//  routing_id is given it receives the sender's routing id even for a
//  malformed message, so the caller can answer or drop that peer only.
ws_msg_t *ws_msg_recv (void *socket, bool router, int flags, ws_err_t *err,
                       uint8_t routing_id[WS_MSG_MAX_ROUTING_ID],
                       size_t *routing_id_len);

//  Decode a message from frames already read (for tests and the fuzzer):
//  frames[i] of sizes[i] bytes, count frames; router as above.
ws_msg_t *ws_msg_decode (const uint8_t *const *frames, const size_t *sizes,
                         size_t count, bool router, ws_err_t *err);

//  Encode the message's frames: returns the body as compact JSON (caller
//  owns) after validating it; for tests.
char *ws_msg_encode_body (ws_msg_t *self, ws_err_t *err);

//  Faults found by ws_msg_recv / ws_msg_decode / ws_msg_validate set
//  err->where to the JSON pointer of the field at fault, or, for a fault
//  in the framing, to the frame: "#routing-id", "#signature", "#version"
//  (a WSP/<n> signature of another version), "#frames" (their count),
//  "#command" or "#body" (too big, not JSON, not an object).
//
//  The ERROR code that answers a refused message: "version" when err
//  says the peer speaks another protocol version, else "proto".
const char *ws_msg_error_code (const ws_err_t *err);

//  Build an ERROR message (caller owns) with the given code (1..32
//  bytes) and text; the text is cut to 1024 bytes at a character
//  boundary and bytes that are not UTF-8 become '?', so any error text
//  may be passed. NULL if out of memory or the code is invalid.
ws_msg_t *ws_msg_new_error (const char *code, const char *text);

#endif
