//  ws_paths - where a watershed installation keeps its state by default,
//  shared by watershedd and the CLI so that both find the same socket:
//  as root /var/lib/watershed, otherwise $XDG_STATE_HOME/watershed or
//  ~/.local/state/watershed; WATERSHED_STATE_DIR overrides both.
#ifndef WS_PATHS_H
#define WS_PATHS_H

#include <stddef.h>

//  The default state directory into out. 0, or -1 if out is too small.
int ws_paths_state_dir (char *out, size_t size);

//  The clients' endpoint for a state dir: ipc://DIR/watershedd.sock.
//  -1 if the path would pass the 100-byte limit of ipc paths.
int ws_paths_client_endpoint (const char *state_dir, char *out, size_t size);

//  The default worker endpoint the coordinator binds and workers connect.
#define WS_PATHS_WORKER_ENDPOINT "tcp://127.0.0.1:5570"

#endif
