//  ws_results - the results a worker keeps until the coordinator ACKs
//  them (PROTOCOL.md: a worker MUST keep every result until ACKed and
//  re-send the unACKed ones after a reconnect). Each result is kept as
//  its encoded JSON, encoded once: batching and re-sending only copy
//  bytes. Results are in arrival order in a list, found by job id in a
//  hash map, so an ACK of 1,000 ids costs 1,000 lookups, not a scan.
//
//  The store is bounded: past `max` results the oldest is dropped (and
//  counted). A result that was never ACKed is re-collected anyway: the
//  coordinator dispatches its job again after the deadline, and memory
//  must not grow without bound while a coordinator's database is down.
#ifndef WS_RESULTS_H
#define WS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "ws_buf.h"

typedef struct _ws_results_t ws_results_t;

//  A store for at most max results (max >= 1). Caller owns.
ws_results_t *ws_results_new (size_t max);
void ws_results_destroy (ws_results_t **self_p);

//  Keep the result of job id: json (takes ownership of *json_p and NULLs
//  it) of len bytes, one JSON object. A result already kept for the same
//  id (an earlier attempt) is replaced. Returns how many old results were
//  dropped to make room (0 or 1).
size_t ws_results_add (ws_results_t *self, uint64_t id, char **json_p,
                       size_t len);

//  Forget the result of id (committed by the coordinator). Returns 1 if
//  it was kept, else 0 (an ACK repeated, or for a dropped result).
int ws_results_ack (ws_results_t *self, uint64_t id);

//  Write the body of the next RESULT into body (reset first):
//  {"results":[...]} with the oldest results not yet sent on this
//  connection, at most max_count of them and about max_bytes. Returns
//  their count; 0 when nothing waits or body cannot hold even one. Marks
//  nothing: call ws_results_sent once the message is out.
size_t ws_results_batch (ws_results_t *self, ws_buf_t *body, size_t max_count,
                         size_t max_bytes);

//  The last batch of count results went out.
void ws_results_sent (ws_results_t *self, size_t count);

//  A new connection: every kept result is to be sent again.
void ws_results_rewind (ws_results_t *self);

//  Results kept, and of those not yet sent on this connection.
size_t ws_results_count (ws_results_t *self);
size_t ws_results_unsent (ws_results_t *self);

#endif
