//  ws_worker - the protocol side of watershed-worker (PROTOCOL.md, WSP/1).
//  One DEALER socket to the coordinator: READY on every (re)connect,
//  JOBs in, each job fetched (ws_fetch) and extracted (ws_extract_json),
//  RESULTs out in batches, kept until ACKed and re-sent after a
//  reconnect, HEARTBEATs both ways (Paranoid Pirate), and a drain on
//  SIGTERM/SIGINT that finishes running jobs, waits for their ACKs and
//  says DISCONNECT. All of it runs in the process's ws_loop.
//
//  The worker keeps no state that outlives a job except unACKed results,
//  and those only in memory: a worker that dies loses them and the
//  coordinator re-dispatches the jobs after their deadline.
#ifndef WS_WORKER_H
#define WS_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "ws_config.h"
#include "ws_err.h"
#include "ws_loop.h"

#define WS_WORKER_VERSION "0.1.0"

typedef struct _ws_worker_t ws_worker_t;

//  The worker's settings (static table, borrowed): coordinator, name,
//  credit, concurrency, heartbeat, liveness, body-cap, connect-timeout,
//  drain-timeout, max-unacked, log-level, log-format.
const ws_config_entry_t *ws_worker_config_entries (size_t *count);

//  Create a worker on loop (borrowed) with config (borrowed; a config of
//  ws_worker_config_entries). Connects nothing yet. NULL with *err.
ws_worker_t *ws_worker_new (ws_loop_t *loop, ws_config_t *config,
                            ws_err_t *err);

//  Close the socket, stop every fetch, free everything; NULLs *self_p.
void ws_worker_destroy (ws_worker_t **self_p);

//  Connect to the coordinator and send READY, start the heartbeat, and
//  take SIGTERM/SIGINT (drain) and SIGHUP from the loop. 0, or -1 with
//  *err (e.g. a malformed endpoint).
int ws_worker_start (ws_worker_t *self, ws_err_t *err);

//  Begin the drain SIGTERM starts: finish the jobs in progress (and any
//  still arriving), send their results, wait for the ACKs up to
//  drain-timeout, send DISCONNECT and stop the loop.
void ws_worker_drain (ws_worker_t *self);

//  Jobs in progress; results kept until ACKed.
size_t ws_worker_running (ws_worker_t *self);
size_t ws_worker_unacked (ws_worker_t *self);

//  The process exit code once the loop has returned: 0 after a drain,
//  1 after a failure or a second signal.
int ws_worker_exit_code (ws_worker_t *self);

#endif
