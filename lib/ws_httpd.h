//  ws_httpd - the process around a small libmicrohttpd JSON server, shared
//  by watershed-demo and the test fixture (tests/tools/ws_fixture): the
//  command-line options every such server takes (--listen, --port,
//  --port-file, --threads, --max-connections, --log-level, --help), the
//  listening address, the open-file limit, the port file a test waits
//  for, SIGTERM/SIGINT, and JSON replies. Each program keeps its own
//  endpoints and its own extra options.
//
//      ws_httpd_config_t config;
//      ws_httpd_config_init (&config);
//      int rc = ws_httpd_config_parse (&config, argc, argv, names,
//                                      s_on_option, &options);
//      ...                             //  1: print the usage; -1: exit 2
//      ws_httpd_t *httpd = ws_httpd_new (&config); //  before any thread
//      if (ws_httpd_start (httpd, MHD_USE_EPOLL_INTERNAL_THREAD,
//                          s_on_request, self, NULL, NULL) == 0)
//          ws_httpd_run (httpd, NULL);             //  until SIGTERM
//      ws_httpd_destroy (&httpd);
//
//  Signals are process-wide: one ws_httpd_t per process.
#ifndef WS_HTTPD_H
#define WS_HTTPD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct {
    const char *listen;        //  borrowed (argv); default 127.0.0.1
    unsigned port;             //  default 0: any free port
    const char *port_file;     //  borrowed (argv); NULL: none
    unsigned threads;          //  MHD thread pool size; default 2
    unsigned max_connections;  //  default 8192
} ws_httpd_config_t;

typedef struct _ws_httpd_t ws_httpd_t;

//  A program's own option: name is its entry in the names list, value
//  its text (borrowed from argv). 0, or -1 after logging what is wrong.
typedef int (ws_httpd_option_fn) (void *arg, const char *name,
                                  const char *value);

//  Set the defaults above.
void ws_httpd_config_init (ws_httpd_config_t *self);

//  Parse argv: the shared options into self (--log-level is applied at
//  once), the program's own "--name value" or "--name=value" options
//  (names: NULL-terminated, may be NULL) through option. Returns 0; 1
//  when --help or -h came first (print the usage, exit 0); -1 after
//  logging the option at fault (exit 2).
int ws_httpd_config_parse (ws_httpd_config_t *self, int argc, char **argv,
                           const char *const *names, ws_httpd_option_fn *option,
                           void *arg);

//  Parse a whole decimal number in [min, max] (an option or a query
//  argument). 0, or -1 and *out unchanged.
int ws_httpd_parse_ulong (const char *text, unsigned long min,
                          unsigned long max, unsigned long *out);

//  Resolve config->listen and take over SIGTERM and SIGINT (blocked in
//  every thread started after this call; SIGPIPE ignored), so call it
//  before starting any thread. Copies config (its strings stay
//  borrowed). Caller owns the result. NULL after logging the --listen
//  address at fault.
ws_httpd_t *ws_httpd_new (const ws_httpd_config_t *config);

//  Stop the server if it runs, free it and set *self_p to NULL. Safe on
//  NULL and on repeat. Suspended connections must be resumed first.
void ws_httpd_destroy (ws_httpd_t **self_p);

//  Start listening: fit the open-file limit to the connection limit,
//  start MHD with flags (MHD_USE_ERROR_LOG and MHD_USE_IPv6 are added as
//  needed; a thread pool of config->threads unless flags ask for a
//  thread per connection), handler for each request and completed
//  (may be NULL) when one ends, then write the bound port to the port
//  file. 0, or -1 after logging why.
int ws_httpd_start (ws_httpd_t *self, unsigned flags,
                    MHD_AccessHandlerCallback handler, void *handler_cls,
                    MHD_RequestCompletedCallback completed,
                    void *completed_cls);

//  Log "listening on http://ADDR:PORT (note)" (note may be NULL), wait
//  for SIGTERM or SIGINT, log that it stops.
void ws_httpd_run (ws_httpd_t *self, const char *note);

//  A JSON response of len bytes of body: copied, or borrowed when
//  persistent (body must outlive the response, e.g. a constant). Caller
//  owns the result (MHD_destroy_response). NULL if out of memory.
struct MHD_Response *ws_httpd_response (const char *body, size_t len,
                                        bool persistent);

//  Queue response (borrowed; MHD counts its references) with status,
//  logging "url: status" at info level.
enum MHD_Result ws_httpd_queue (struct MHD_Connection *connection,
                                const char *url, unsigned status,
                                struct MHD_Response *response);

//  Reply with a copy of the JSON body (borrowed), marked not to be
//  cached; a 503 also says Retry-After: 0.
enum MHD_Result ws_httpd_reply (struct MHD_Connection *connection,
                                const char *url, unsigned status,
                                const char *body, size_t len);

//  Reply {"error": text}; text may quote the request, jansson escapes it.
enum MHD_Result ws_httpd_reply_error (struct MHD_Connection *connection,
                                      const char *url, unsigned status,
                                      const char *text);

//  The request's headers as a JSON object (caller owns; NULL if out of
//  memory): names as sent, or lowercased; a repeated header joined as
//  HTTP allows ("a, b"); a value that is not UTF-8 as "(not UTF-8)".
json_t *ws_httpd_request_headers (struct MHD_Connection *connection,
                                  bool lowercase);

//  Reply with a JSON value (steals doc; NULL is a 500 out of memory).
enum MHD_Result ws_httpd_reply_json (struct MHD_Connection *connection,
                                     const char *url, unsigned status,
                                     json_t *doc);

#endif
