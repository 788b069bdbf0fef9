//  ws_httpd - the process around a small libmicrohttpd JSON server
//  (ws_httpd.h).
#include "ws_httpd.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "ws_log.h"

struct _ws_httpd_t {
    ws_httpd_config_t config;         //  strings borrowed from the caller
    struct sockaddr_storage address;  //  config->listen, with the port
    bool ipv6;
    sigset_t unblocked;         //  the signal mask before ws_httpd_new
    struct MHD_Daemon *daemon;  //  owns; NULL until started
    unsigned port;              //  bound; 0 until started
};

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

void
ws_httpd_config_init (ws_httpd_config_t *self)
{
    *self = (ws_httpd_config_t){.listen = "127.0.0.1",
                                .port = 0,
                                .threads = 2,
                                .max_connections = 8192};
}

int
ws_httpd_parse_ulong (const char *text, unsigned long min, unsigned long max,
                      unsigned long *out)
{
    if (!text || *text < '0' || *text > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long value = strtoul (text, &end, 10);
    if (errno || *end || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

//  Take "--name value" or "--name=value". Returns the value, or NULL if
//  argv[*i] is not this option.
static const char *
s_option (int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t len = strlen (name);
    if (strncmp (argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

//  A number option in [min, max]. 0, or -1 after logging it.
static int
s_number (const char *name, const char *value, unsigned long min,
          unsigned long max, unsigned *out)
{
    unsigned long number;
    if (ws_httpd_parse_ulong (value, min, max, &number)) {
        ws_error ("option %s '%s': expected an integer %lu..%lu", name, value,
                  min, max);
        return -1;
    }
    *out = (unsigned) number;
    return 0;
}

int
ws_httpd_config_parse (ws_httpd_config_t *self, int argc, char **argv,
                       const char *const *names, ws_httpd_option_fn *option,
                       void *arg)
{
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *value;
        int rc = 0;
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
            return 1;
        else if ((value = s_option (argc, argv, &i, "--listen", &missing)))
            self->listen = value;
        else if ((value = s_option (argc, argv, &i, "--port-file", &missing)))
            self->port_file = value;
        else if ((value = s_option (argc, argv, &i, "--port", &missing)))
            rc = s_number ("--port", value, 0, 65535, &self->port);
        else if ((value = s_option (argc, argv, &i, "--threads", &missing)))
            rc = s_number ("--threads", value, 1, 64, &self->threads);
        else if ((value =
                      s_option (argc, argv, &i, "--max-connections", &missing)))
            rc = s_number ("--max-connections", value, 1, 1000000,
                           &self->max_connections);
        else if ((value = s_option (argc, argv, &i, "--log-level", &missing))) {
            int level = ws_log_level_parse (value);
            if (level < 0) {
                ws_error ("option --log-level '%s': expected error, "
                          "warning, notice, info or debug",
                          value);
                return -1;
            }
            ws_log_set_level ((ws_log_level_t) level);
        }
        else
            for (size_t n = 0; names && names[n] && !value && !missing; n++)
                if ((value = s_option (argc, argv, &i, names[n], &missing)))
                    rc = option (arg, names[n], value);
        if (rc)
            return -1;
        if (missing) {
            ws_error ("option %s: missing its value", argv[i]);
            return -1;
        }
        if (!value) {
            ws_error ("option '%s': unknown (try --help)", argv[i]);
            return -1;
        }
    }
    return 0;
}

ws_httpd_t *
ws_httpd_new (const ws_httpd_config_t *config)
{
    ws_httpd_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_error ("http: out of memory at start");
        return NULL;
    }
    self->config = *config;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *found = NULL;
    int rc = getaddrinfo (config->listen, NULL, &hints, &found);
    if (rc || !found) {
        ws_error ("option --listen '%s': %s", config->listen,
                  rc ? gai_strerror (rc) : "no address");
        free (self);
        return NULL;
    }
    memcpy (&self->address, found->ai_addr, found->ai_addrlen);
    freeaddrinfo (found);
    self->ipv6 = self->address.ss_family == AF_INET6;
    if (self->ipv6)
        ((struct sockaddr_in6 *) &self->address)->sin6_port =
            htons ((uint16_t) config->port);
    else
        ((struct sockaddr_in *) &self->address)->sin_port =
            htons ((uint16_t) config->port);

    //  Signals go to this thread only: block them before MHD starts its
    //  threads (which inherit the mask), wait for them in sigsuspend.
    sigset_t block;
    sigemptyset (&block);
    sigaddset (&block, SIGTERM);
    sigaddset (&block, SIGINT);
    pthread_sigmask (SIG_BLOCK, &block, &self->unblocked);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    sigemptyset (&action.sa_mask);
    action.sa_handler = s_on_signal;
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    action.sa_handler = SIG_IGN;
    sigaction (SIGPIPE, &action, NULL);
    return self;
}

void
ws_httpd_destroy (ws_httpd_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_httpd_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}

//  Each connection is a file descriptor: raise the soft limit to fit the
//  connection limit, or lower the connection limit to fit the hard one.
static unsigned
s_fit_fd_limit (unsigned want)
{
    struct rlimit limit;
    rlim_t need = (rlim_t) want + 64;
    if (getrlimit (RLIMIT_NOFILE, &limit))
        return want;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < need) {
        limit.rlim_cur =
            (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= need)
                ? need
                : limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < need) {
        unsigned fit =
            limit.rlim_cur > 128 ? (unsigned) limit.rlim_cur - 64 : 64;
        ws_warning ("connection limit %u: open files limited to %lu, "
                    "using %u",
                    want, (unsigned long) limit.rlim_cur, fit);
        return fit;
    }
    return want;
}

static void
s_mhd_log (void *cls, const char *fmt, va_list args)
{
    (void) cls;
    char text[512];
    vsnprintf (text, sizeof text, fmt, args);
    size_t len = strlen (text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    ws_warning ("http: %s", text);
}

//  Write the port to path.tmp, then rename: a reader never sees a
//  half-written file.
static int
s_write_port_file (const char *path, unsigned port)
{
    size_t len = strlen (path) + 5;
    char *tmp = malloc (len);
    if (!tmp)
        return -1;
    snprintf (tmp, len, "%s.tmp", path);
    FILE *file = fopen (tmp, "w");
    int rc = -1;
    if (file) {
        bool wrote = fprintf (file, "%u\n", port) > 0;
        if (fclose (file) == 0 && wrote && rename (tmp, path) == 0)
            rc = 0;
    }
    if (rc)
        ws_error ("port file '%s': %s", path, strerror (errno));
    free (tmp);
    return rc;
}

int
ws_httpd_start (ws_httpd_t *self, unsigned flags,
                MHD_AccessHandlerCallback handler, void *handler_cls,
                MHD_RequestCompletedCallback completed, void *completed_cls)
{
    const ws_httpd_config_t *config = &self->config;
    unsigned connections = s_fit_fd_limit (config->max_connections);
    struct MHD_OptionItem pool[] = {{(flags & MHD_USE_THREAD_PER_CONNECTION)
                                         ? MHD_OPTION_END
                                         : MHD_OPTION_THREAD_POOL_SIZE,
                                     (intptr_t) config->threads, NULL},
                                    {MHD_OPTION_END, 0, NULL}};
    self->daemon = MHD_start_daemon (
        flags | MHD_USE_ERROR_LOG | (self->ipv6 ? MHD_USE_IPv6 : 0),
        (uint16_t) config->port, NULL, NULL, handler, handler_cls,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, (void *) NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &self->address,
        MHD_OPTION_CONNECTION_LIMIT, connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned) 120, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 4096,
        MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls, MHD_OPTION_ARRAY,
        pool, MHD_OPTION_END);
    if (!self->daemon) {
        ws_error ("listen %s port %u: cannot start the HTTP server "
                  "(address in use or not available?)",
                  config->listen, config->port);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : config->port;
    if (config->port_file && s_write_port_file (config->port_file, self->port))
        return -1;
    return 0;
}

void
ws_httpd_run (ws_httpd_t *self, const char *note)
{
    ws_notice ("listening on http://%s%s%s:%u%s%s%s", self->ipv6 ? "[" : "",
               self->config.listen, self->ipv6 ? "]" : "", self->port,
               note ? " (" : "", note ? note : "", note ? ")" : "");
    while (!s_stop)
        sigsuspend (&self->unblocked);
    ws_notice ("stopping on signal");
}

struct MHD_Response *
ws_httpd_response (const char *body, size_t len, bool persistent)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        len, (void *) body,
        persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (response)
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                 "application/json");
    return response;
}

enum MHD_Result
ws_httpd_queue (struct MHD_Connection *connection, const char *url,
                unsigned status, struct MHD_Response *response)
{
    ws_info ("%s: %u", url, status);
    return MHD_queue_response (connection, status, response);
}

enum MHD_Result
ws_httpd_reply (struct MHD_Connection *connection, const char *url,
                unsigned status, const char *body, size_t len)
{
    struct MHD_Response *response = ws_httpd_response (body, len, false);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, "0");
    enum MHD_Result rc = ws_httpd_queue (connection, url, status, response);
    MHD_destroy_response (response);
    return rc;
}

enum MHD_Result
ws_httpd_reply_error (struct MHD_Connection *connection, const char *url,
                      unsigned status, const char *text)
{
    json_t *doc = json_object ();
    json_object_set_new (doc, "error", json_string (text));
    char *body = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    const char *fallback = "{\"error\":\"http: out of memory\"}";
    enum MHD_Result rc =
        ws_httpd_reply (connection, url, status, body ? body : fallback,
                        strlen (body ? body : fallback));
    free (body);
    return rc;
}

enum MHD_Result
ws_httpd_reply_json (struct MHD_Connection *connection, const char *url,
                     unsigned status, json_t *doc)
{
    char *body = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    if (!body)
        return ws_httpd_reply_error (connection, url, 500,
                                     "http: out of memory");
    enum MHD_Result rc =
        ws_httpd_reply (connection, url, status, body, strlen (body));
    free (body);
    return rc;
}

typedef struct {
    json_t *headers;
    bool lowercase;
} s_headers_t;

static enum MHD_Result
s_add_header (void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
    (void) kind;
    s_headers_t *self = cls;
    char name[256];
    snprintf (name, sizeof name, "%s", key);
    for (char *c = name; self->lowercase && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char) (*c + 32);
    json_t *text = json_string (value ? value : "");
    if (!text)
        text = json_string ("(not UTF-8)");
    //  A repeated header joins as HTTP allows: "a, b".
    json_t *before = json_object_get (self->headers, name);
    if (before && text) {
        size_t len = strlen (json_string_value (before))
                     + strlen (json_string_value (text)) + 3;
        char *joined = malloc (len);
        if (joined) {
            snprintf (joined, len, "%s, %s", json_string_value (before),
                      json_string_value (text));
            json_decref (text);
            text = json_string (joined);
            free (joined);
        }
    }
    if (text)
        json_object_set_new (self->headers, name, text);
    return MHD_YES;
}

json_t *
ws_httpd_request_headers (struct MHD_Connection *connection, bool lowercase)
{
    s_headers_t self = {json_object (), lowercase};
    if (self.headers)
        MHD_get_connection_values (connection, MHD_HEADER_KIND, s_add_header,
                                   &self);
    return self.headers;
}
