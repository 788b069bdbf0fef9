//  ws_curve - CURVE keys (RFC 26, CurveZMQ) and the coordinator's
//  allow-list checked by a ZAP handler (RFC 27). A key pair lives in a
//  text file readable by its owner only, as CZMQ's zcert keeps it:
//
//      # watershed key pair 'w-eu-1', created 2026-11-23T15:38:49.000Z
//      public-key = "<40 Z85 characters>"
//      secret-key = "<40 Z85 characters>"
//
//  NAME.secret holds both keys (mode 0600); NAME.key the public one only
//  and may be shared. The coordinator's allow-list is a directory of
//  such NAME.key files (STATE/authorized/ by default): a worker or
//  client whose public key is not there is refused during the handshake,
//  before it can send a single message. Secret keys never reach a log
//  line or an error text; public keys are not secret and are logged when
//  refused, so the operator can tell who knocked.
#ifndef WS_CURVE_H
#define WS_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"

//  Z85 text of a 32-byte CURVE key, without the NUL.
#define WS_CURVE_KEY_LEN 40

//  The ZAP domains of the coordinator's two sockets (ZMQ_ZAP_DOMAIN).
#define WS_CURVE_DOMAIN_WORKERS "workers"
#define WS_CURVE_DOMAIN_CLIENTS "clients"

typedef struct _ws_curve_cert_t ws_curve_cert_t;

//  A new key pair (zmq_curve_keypair). Caller owns it. NULL with *err if
//  libzmq was built without CURVE.
ws_curve_cert_t *ws_curve_cert_new (ws_err_t *err);

//  Load a key pair from a NAME.secret file. Caller owns it. NULL with
//  *err naming the file (and the line) when the file cannot be read,
//  can be read by others than its owner, holds a line that is not a
//  comment or a key, a key that is not 40 Z85 characters, or a public
//  key that does not belong to the secret one.
ws_curve_cert_t *ws_curve_cert_load (const char *path, ws_err_t *err);

//  Free the key pair (wiping the secret) and set *self_p to NULL. Safe
//  on NULL and on repeat.
void ws_curve_cert_destroy (ws_curve_cert_t **self_p);

//  Write DIR/NAME.secret (mode 0600, both keys) and DIR/NAME.key (the
//  public key, mode 0644). Never overwrites: an existing file is an
//  error naming it. NAME is letters, digits, '.', '_' and '-' and does
//  not start with '.'. 0, or -1 with *err.
int ws_curve_cert_save (ws_curve_cert_t *self, const char *dir,
                        const char *name, ws_err_t *err);

//  The keys as Z85 text (borrowed). Never log the secret one.
const char *ws_curve_cert_public (ws_curve_cert_t *self);
const char *ws_curve_cert_secret (ws_curve_cert_t *self);

//  A public key given as text or as a file: 40 Z85 characters, or the
//  path of a NAME.key file (or of a NAME.secret file, whose public key is
//  taken). Writes the Z85 text and a NUL to out. 0, or -1 with *err
//  naming the file and line, or saying what the text is not.
int ws_curve_public_key (const char *text, char out[WS_CURVE_KEY_LEN + 1],
                         ws_err_t *err);

//  Make socket (not yet bound) a CURVE server with cert's secret key;
//  its ZAP requests carry domain. 0, or -1 with *err.
int ws_curve_set_server (void *socket, ws_curve_cert_t *cert,
                         const char *domain, ws_err_t *err);

//  Make socket (not yet connected) a CURVE client with cert's keys,
//  talking to the server whose public key is server_key (Z85). 0, or -1
//  with *err.
int ws_curve_set_client (void *socket, ws_curve_cert_t *cert,
                         const char *server_key, ws_err_t *err);

//  Whether plain text on this endpoint stays on this host: ipc://,
//  inproc://, or tcp:// to 127.0.0.0/8, ::1 or localhost (also with a
//  source address "SRC;HOST:PORT" on the same terms for HOST).
bool ws_curve_endpoint_is_local (const char *endpoint);

//  ---------------------------------------------------------------------
//  The allow-list and its ZAP handler

typedef struct _ws_curve_auth_t ws_curve_auth_t;

//  A ZAP handler for context (borrowed): a REP socket bound at
//  inproc://zeromq.zap.01, which must exist before any CURVE server
//  socket of the context binds. The allow-list is every NAME.key file
//  in dir, loaded here. Caller owns the handler; drive it with
//  ws_curve_auth_serve when ws_curve_auth_socket is readable (the
//  process's loop: ZAP requests come from libzmq's I/O thread, which
//  does not wait for the answer). NULL with *err if dir cannot be read,
//  a key file in it is bad (naming file and line), or the address is
//  taken.
ws_curve_auth_t *ws_curve_auth_new (void *context, const char *dir,
                                    ws_err_t *err);

//  Close the socket, free the allow-list and set *self_p to NULL.
void ws_curve_auth_destroy (ws_curve_auth_t **self_p);

//  Read the directory again (SIGHUP). On error the old list stays and
//  *err says why. Returns the number of keys, or -1.
int ws_curve_auth_load (ws_curve_auth_t *self, ws_err_t *err);

//  The REP socket (borrowed), for the loop's reader.
void *ws_curve_auth_socket (ws_curve_auth_t *self);

//  Answer every ZAP request waiting, without blocking: 200 for a CURVE
//  key in the list (its file name becomes the peer's User-Id), 400 for
//  any other. A refusal is logged at warning with the peer's address,
//  the domain and the key's Z85 text, at most once a minute per address
//  and key. Returns the number of requests answered.
int ws_curve_auth_serve (ws_curve_auth_t *self);

//  The name (file name without .key) a public key (Z85) has in the
//  list, borrowed; NULL if it is not there.
const char *ws_curve_auth_lookup (ws_curve_auth_t *self, const char *key);

//  Keys in the list; peers refused since the start; the directory.
size_t ws_curve_auth_size (ws_curve_auth_t *self);
int64_t ws_curve_auth_refused (ws_curve_auth_t *self);
const char *ws_curve_auth_dir (ws_curve_auth_t *self);

#endif
