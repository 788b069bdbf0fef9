//  ws_client - the CLI's connection to the coordinator: one DEALER, one
//  REQUEST, one REPLY (PROTOCOL.md). The endpoint is --coordinator, else
//  WATERSHED_COORDINATOR, else the ipc socket in the default state dir.
#ifndef WS_CLIENT_H
#define WS_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "ws_err.h"

typedef struct _ws_client_t ws_client_t;

//  Connect to endpoint (NULL: the default). NULL with *err when the
//  endpoint cannot be used.
ws_client_t *ws_client_new (const char *endpoint, int timeout_ms,
                            ws_err_t *err);
void ws_client_destroy (ws_client_t **self_p);

//  Send a request (args: steals) and wait for the reply. Returns the
//  result (caller owns), or NULL with *err: WS_ERR_TIMEOUT when the
//  coordinator did not answer, otherwise the coordinator's error (its
//  text, and its "where" when the error names a field).
json_t *ws_client_call (ws_client_t *self, const char *command, json_t *args,
                        ws_err_t *err);

//  Run a command against the coordinator and print the result: as JSON
//  with json, else with the printer. Returns the CLI exit code.
typedef void (ws_client_print_fn) (json_t *result);
int ws_client_run (const char *command_name, const char *endpoint, json_t *args,
                   bool json, ws_client_print_fn *print);

#endif
