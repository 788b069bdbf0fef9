//  ws_deliver - the worker side of webhook deliveries ("deliver" jobs,
//  PROTOCOL.md 4.3.4). The coordinator decides what to send and when,
//  and retries durably; a worker owns the network: one POST attempt per
//  job (ws_fetch_post), answered by one RESULT item that says whether
//  the receiver took it (a 2xx), what it answered (status, Retry-After,
//  the start of its body) and, when it did not, why.
//
//  A job whose deadline has passed is answered "timeout" without being
//  sent, one whose header names a ${NAME} the worker's environment lacks
//  is answered "input" (naming the header and the variable, never a
//  value). URLs and header values are never logged: a webhook URL often
//  holds its secret.
#ifndef WS_DELIVER_H
#define WS_DELIVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_fetch.h"

typedef struct _ws_deliver_t ws_deliver_t;

//  Called once per job with its RESULT item (borrowed for the call: a
//  "deliver" result the codec accepts) and the job's id.
typedef void (ws_deliver_done_fn) (int64_t id, json_t *result, void *arg);

//  Deliveries over fetch (borrowed; must outlive the deliverer), each
//  answered through fn. Aborts when out of memory (the loop's own
//  bookkeeping, STYLE.md).
ws_deliver_t *ws_deliver_new (ws_fetch_t *fetch, ws_deliver_done_fn *fn,
                              void *arg);

//  Free the deliverer and the jobs whose POST has not ended (their fn is
//  not called); NULLs *self_p. Call once ws_fetch_destroy has dropped
//  their transfers, or before the loop turns again.
void ws_deliver_destroy (ws_deliver_t **self_p);

//  Run one job: def (borrowed for the call) is a JOB item of kind
//  "deliver" that the codec accepted. fn is called once for it: before
//  this returns when the job is answered without a POST (deadline passed,
//  ${NAME} not set), else from the loop when the POST ends.
void ws_deliver_start (ws_deliver_t *self, json_t *def);

//  Jobs whose POST has not ended yet.
size_t ws_deliver_running (ws_deliver_t *self);

//  Copy at most max bytes of text into a JSON string that is valid
//  UTF-8 and holds no NUL: a byte that does not belong to a valid
//  sequence (and a NUL) becomes '?', and a character cut by max is
//  dropped into '?'s. NULL only when out of memory. For a receiver's
//  answer, which may be anything.
json_t *ws_deliver_text (const char *text, size_t len, size_t max);

#endif
