//  ws_coord - the coordinator: owns the schedule, the job table, the
//  workers' and clients' sockets and the write path to PostgreSQL. It
//  schedules every enabled source at its interval (each source on its own
//  fixed phase, so ticks spread out and a restart reproduces the same tick
//  times), hands jobs to ready workers within their credit in batches,
//  re-dispatches jobs whose worker died or whose deadline passed, writes
//  samples in batches and ACKs results only after they are committed.
//  Clients' requests (apply, sources, status, series, samples, migrate)
//  are answered from the same loop.
#ifndef WS_COORD_H
#define WS_COORD_H

#include <stdbool.h>

#include "ws_config.h"
#include "ws_db.h"
#include "ws_err.h"
#include "ws_loop.h"

typedef struct _ws_coord_t ws_coord_t;

//  watershedd's settings (names, types, defaults, ranges, help), static.
const ws_config_entry_t *ws_coord_config_entries (size_t *count);

//  A coordinator on the given loop, config and database (all borrowed;
//  the database is connected and migrated). Binds its sockets: the
//  "workers" and "clients" endpoints of config. NULL with *err.
ws_coord_t *ws_coord_new (ws_loop_t *loop, ws_config_t *config, ws_db_t *db,
                          void *zmq_context, ws_err_t *err);
void ws_coord_destroy (ws_coord_t **self_p);

//  Load the sources from the database and start scheduling.
int ws_coord_start (ws_coord_t *self, ws_err_t *err);

//  The endpoint actually bound for workers / clients (after a "*" port
//  is resolved), borrowed.
const char *ws_coord_worker_endpoint (ws_coord_t *self);
const char *ws_coord_client_endpoint (ws_coord_t *self);

//  Say whether the database is the embedded cluster (for status).
void ws_coord_set_embedded (ws_coord_t *self, bool embedded);

//  Begin a drain (SIGTERM): stop scheduling, let in-flight jobs finish up
//  to drain-timeout, commit, ACK, then tell workers and stop the loop.
void ws_coord_drain (ws_coord_t *self);

//  Reload the sources from the database (SIGHUP).
int ws_coord_reload (ws_coord_t *self, ws_err_t *err);

//  Read the CURVE allow-list again (SIGHUP); nothing when CURVE is off.
//  On error the old list stays. Peers already connected stay connected.
int ws_coord_reload_keys (ws_coord_t *self, ws_err_t *err);

#endif
