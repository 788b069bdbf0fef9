//  ws_curve - CURVE keys and the allow-list's ZAP handler.
#include "ws_curve.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "ws_log.h"
#include "ws_loop.h"
#include "ws_map.h"
#include "ws_time.h"

//  A key file is a few lines; anything bigger is not one.
#define S_FILE_MAX 65536
//  Refusals are logged once a minute per address and key; past this
//  many distinct pairs in a minute the rest are only counted, so a
//  peer trying random keys cannot grow the table or flood the log.
#define S_LOG_INTERVAL 60000
#define S_LOG_PAIRS_MAX 1024
#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_ZAP_FRAMES_MAX 8

struct _ws_curve_cert_t {
    char public_key[WS_CURVE_KEY_LEN + 1];
    char secret_key[WS_CURVE_KEY_LEN + 1];
};

struct _ws_curve_auth_t {
    void *socket;        //  owns; REP at inproc://zeromq.zap.01
    char *dir;           //  owns
    ws_map_t *keys;      //  owns; Z85 public key -> name (owns)
    ws_map_t *logged;    //  "address key" -> ws_clock_ms of its last log
    int64_t refused;     //  since the start
    int64_t unlogged;    //  refusals not logged since the last summary
    int64_t summary_at;  //  ws_clock_ms of that summary
};

//  ---------------------------------------------------------------------
//  Key files

static const char s_z85_chars[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{"
                                  "}@%$#";

//  Whether text is 40 Z85 characters that decode to a 32-byte key.
static bool
s_key_valid (const char *text, size_t len)
{
    if (len != WS_CURVE_KEY_LEN)
        return false;
    char copy[WS_CURVE_KEY_LEN + 1];
    for (size_t i = 0; i < len; i++)
        if (!text[i] || !strchr (s_z85_chars, text[i]))
            return false;
    memcpy (copy, text, len);
    copy[len] = '\0';
    uint8_t key[32];
    return zmq_z85_decode (key, copy) != NULL;
}

typedef struct {
    char public_key[WS_CURVE_KEY_LEN + 1];  //  "" if none
    char secret_key[WS_CURVE_KEY_LEN + 1];  //  "" if none
    int public_line;                        //  where it was, for errors
    mode_t mode;
} s_key_file_t;

//  Parse one line of a key file: blank, "# comment", or
//      public-key = "KEY"   /   secret-key = "KEY"   (quotes optional)
static int
s_parse_line (char *line, int number, const char *path, s_key_file_t *file,
              ws_err_t *err)
{
    while (*line == ' ' || *line == '\t')
        line++;
    size_t len = strlen (line);
    while (len
           && (line[len - 1] == ' ' || line[len - 1] == '\t'
               || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (!*line || *line == '#')
        return 0;
    char *equals = strchr (line, '=');
    if (!equals)
        return ws_err_set (err, WS_ERR_INPUT,
                           "key file '%s': line %d: expected "
                           "'public-key = \"KEY\"' or 'secret-key = \"KEY\"'",
                           path, number);
    char *name_end = equals;
    while (name_end > line && (name_end[-1] == ' ' || name_end[-1] == '\t'))
        name_end--;
    size_t name_len = (size_t) (name_end - line);
    bool is_public = name_len == 10 && strncmp (line, "public-key", 10) == 0;
    bool is_secret = name_len == 10 && strncmp (line, "secret-key", 10) == 0;
    if (!is_public && !is_secret)
        return ws_err_set (err, WS_ERR_INPUT,
                           "key file '%s': line %d: unknown name '%.*s', "
                           "expected public-key or secret-key",
                           path, number, (int) (name_len > 40 ? 40 : name_len),
                           line);
    char *value = equals + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t value_len = strlen (value);
    if (*value == '"') {
        if (value_len < 2 || value[value_len - 1] != '"')
            return ws_err_set (err, WS_ERR_INPUT,
                               "key file '%s': line %d: the %s's closing "
                               "quote is missing",
                               path, number,
                               is_public ? "public-key" : "secret-key");
        value++;
        value_len -= 2;
    }
    //  The value itself is never quoted back: it may be a secret.
    if (!s_key_valid (value, value_len))
        return ws_err_set (err, WS_ERR_INPUT,
                           "key file '%s': line %d: the %s is not 40 Z85 "
                           "characters (found %zu characters)",
                           path, number,
                           is_public ? "public key" : "secret key", value_len);
    char *slot = is_public ? file->public_key : file->secret_key;
    if (*slot)
        return ws_err_set (err, WS_ERR_INPUT,
                           "key file '%s': line %d: a second %s", path, number,
                           is_public ? "public-key" : "secret-key");
    memcpy (slot, value, WS_CURVE_KEY_LEN);
    slot[WS_CURVE_KEY_LEN] = '\0';
    if (is_public)
        file->public_line = number;
    return 0;
}

//  Read and parse a key file. Errors name the file and the line.
static int
s_read_key_file (const char *path, s_key_file_t *file, ws_err_t *err)
{
    memset (file, 0, sizeof *file);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ws_err_set (err, WS_ERR_INPUT, "key file '%s': %s", path,
                           strerror (errno));
    struct stat st;
    if (fstat (fd, &st) || !S_ISREG (st.st_mode) || st.st_size > S_FILE_MAX) {
        close (fd);
        return ws_err_set (err, WS_ERR_INPUT,
                           "key file '%s': not a regular file of at most %d "
                           "bytes",
                           path, S_FILE_MAX);
    }
    file->mode = st.st_mode & 07777;
    char *text = malloc ((size_t) st.st_size + 1);
    if (!text) {
        close (fd);
        return ws_err_set (err, WS_ERR_SYSTEM, "key file '%s': out of memory",
                           path);
    }
    size_t used = 0;
    while (used < (size_t) st.st_size) {
        ssize_t got = read (fd, text + used, (size_t) st.st_size - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        used += (size_t) got;
    }
    close (fd);
    text[used] = '\0';
    int rc = 0;
    if (strlen (text) != used)
        rc = ws_err_set (err, WS_ERR_INPUT,
                         "key file '%s': holds a NUL byte, not a key file",
                         path);
    int number = 1;
    char *line = text;
    while (rc == 0 && line && *line) {
        char *newline = strchr (line, '\n');
        if (newline)
            *newline = '\0';
        rc = s_parse_line (line, number++, path, file, err);
        line = newline ? newline + 1 : NULL;
    }
    //  The text may have held a secret key.
    memset (text, 0, used);
    free (text);
    if (rc == 0 && !*file->public_key)
        rc = ws_err_set (err, WS_ERR_INPUT,
                         "key file '%s': no 'public-key = \"KEY\"' line", path);
    if (rc)
        memset (file->secret_key, 0, sizeof file->secret_key);
    return rc;
}

ws_curve_cert_t *
ws_curve_cert_new (ws_err_t *err)
{
    if (!zmq_has ("curve")) {
        ws_err_set (err, WS_ERR_SYSTEM,
                    "CURVE: this libzmq was built without CURVE support");
        return NULL;
    }
    ws_curve_cert_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_err_set (err, WS_ERR_SYSTEM, "CURVE: out of memory");
        return NULL;
    }
    if (zmq_curve_keypair (self->public_key, self->secret_key)) {
        ws_err_set (err, WS_ERR_SYSTEM, "CURVE: zmq_curve_keypair: %s",
                    zmq_strerror (zmq_errno ()));
        free (self);
        return NULL;
    }
    return self;
}

ws_curve_cert_t *
ws_curve_cert_load (const char *path, ws_err_t *err)
{
    s_key_file_t file;
    if (s_read_key_file (path, &file, err))
        return NULL;
    if (!*file.secret_key) {
        ws_err_set (err, WS_ERR_INPUT,
                    "key file '%s': no 'secret-key = \"KEY\"' line (a NAME.key "
                    "file holds only the public key; give the NAME.secret "
                    "file)",
                    path);
        return NULL;
    }
    //  As ssh does with its keys: a secret others can read is no longer
    //  a secret, so it is refused rather than used.
    if (file.mode & 077) {
        memset (file.secret_key, 0, sizeof file.secret_key);
        ws_err_set (err, WS_ERR_INPUT,
                    "key file '%s': mode %04o lets others read the secret "
                    "key; chmod 600 it",
                    path, (unsigned) file.mode);
        return NULL;
    }
    char derived[WS_CURVE_KEY_LEN + 1];
    if (zmq_curve_public (derived, file.secret_key)
        || strcmp (derived, file.public_key)) {
        memset (file.secret_key, 0, sizeof file.secret_key);
        ws_err_set (err, WS_ERR_INPUT,
                    "key file '%s': line %d: the public key does not belong "
                    "to the secret key",
                    path, file.public_line);
        return NULL;
    }
    ws_curve_cert_t *self = calloc (1, sizeof *self);
    if (!self) {
        memset (file.secret_key, 0, sizeof file.secret_key);
        ws_err_set (err, WS_ERR_SYSTEM, "key file '%s': out of memory", path);
        return NULL;
    }
    memcpy (self->public_key, file.public_key, sizeof self->public_key);
    memcpy (self->secret_key, file.secret_key, sizeof self->secret_key);
    memset (file.secret_key, 0, sizeof file.secret_key);
    return self;
}

void
ws_curve_cert_destroy (ws_curve_cert_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_curve_cert_t *self = *self_p;
    //  volatile: the wipe of memory about to be freed must not be
    //  optimised away.
    volatile char *secret = self->secret_key;
    for (size_t i = 0; i < sizeof self->secret_key; i++)
        secret[i] = 0;
    free (self);
    *self_p = NULL;
}

static bool
s_name_valid (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > 64 || name[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int
s_write_all (int fd, const char *text)
{
    size_t len = strlen (text), done = 0;
    while (done < len) {
        ssize_t wrote = write (fd, text + done, len - done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0)
            return -1;
        done += (size_t) wrote;
    }
    return 0;
}

int
ws_curve_cert_save (ws_curve_cert_t *self, const char *dir, const char *name,
                    ws_err_t *err)
{
    assert (self);
    if (!s_name_valid (name))
        return ws_err_set (err, WS_ERR_INPUT,
                           "key name '%s': expected 1 to 64 letters, digits, "
                           "'.', '_' or '-', not starting with '.'",
                           name);
    char secret_path[4200], public_path[4200];
    int len =
        snprintf (secret_path, sizeof secret_path, "%s/%s.secret", dir, name);
    if (len < 0 || (size_t) len >= sizeof secret_path)
        return ws_err_set (err, WS_ERR_INPUT, "key dir '%s': path too long",
                           dir);
    snprintf (public_path, sizeof public_path, "%s/%s.key", dir, name);
    //  O_EXCL: a key pair already in use is never overwritten by mistake.
    int secret_fd =
        open (secret_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (secret_fd < 0)
        return ws_err_set (err, WS_ERR_INPUT, "key file '%s': %s", secret_path,
                           errno == EEXIST ? "exists already (not overwritten)"
                                           : strerror (errno));
    int public_fd =
        open (public_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (public_fd < 0) {
        int code = errno;
        close (secret_fd);
        unlink (secret_path);
        return ws_err_set (err, WS_ERR_INPUT, "key file '%s': %s", public_path,
                           code == EEXIST ? "exists already (not overwritten)"
                                          : strerror (code));
    }
    char created[64];
    ws_iso8601_format (ws_wall_ms (), created, sizeof created);
    char secret_text[512], public_text[512];
    snprintf (secret_text, sizeof secret_text,
              "# watershed key pair '%s', created %s\n"
              "# Keep this file secret (mode 0600); share %s.key instead.\n"
              "public-key = \"%s\"\n"
              "secret-key = \"%s\"\n",
              name, created, name, self->public_key, self->secret_key);
    snprintf (public_text, sizeof public_text,
              "# watershed public key '%s', created %s\n"
              "# Put it in the coordinator's allow-list (STATE/authorized/).\n"
              "public-key = \"%s\"\n",
              name, created, self->public_key);
    //  fchmod: the umask may have taken bits of 0644, never added any to
    //  0600; say the modes outright.
    int rc = 0;
    if (fchmod (secret_fd, 0600) || s_write_all (secret_fd, secret_text)
        || fsync (secret_fd))
        rc = ws_err_set (err, WS_ERR_SYSTEM, "key file '%s': %s", secret_path,
                         strerror (errno));
    else if (fchmod (public_fd, 0644) || s_write_all (public_fd, public_text))
        rc = ws_err_set (err, WS_ERR_SYSTEM, "key file '%s': %s", public_path,
                         strerror (errno));
    memset (secret_text, 0, sizeof secret_text);
    if (close (secret_fd) && rc == 0)
        rc = ws_err_set (err, WS_ERR_SYSTEM, "key file '%s': %s", secret_path,
                         strerror (errno));
    if (close (public_fd) && rc == 0)
        rc = ws_err_set (err, WS_ERR_SYSTEM, "key file '%s': %s", public_path,
                         strerror (errno));
    if (rc) {
        unlink (secret_path);
        unlink (public_path);
    }
    return rc;
}

const char *
ws_curve_cert_public (ws_curve_cert_t *self)
{
    assert (self);
    return self->public_key;
}

const char *
ws_curve_cert_secret (ws_curve_cert_t *self)
{
    assert (self);
    return self->secret_key;
}

int
ws_curve_public_key (const char *text, char out[WS_CURVE_KEY_LEN + 1],
                     ws_err_t *err)
{
    if (!text || !*text)
        return ws_err_set (err, WS_ERR_INPUT,
                           "public key: empty; give 40 Z85 characters or a "
                           "NAME.key file");
    size_t len = strlen (text);
    if (s_key_valid (text, len)) {
        memcpy (out, text, WS_CURVE_KEY_LEN + 1);
        return 0;
    }
    //  Not a key: a file then. A 40-character path that is not a key
    //  file is reported as a file.
    struct stat st;
    if (stat (text, &st))
        return ws_err_set (err, WS_ERR_INPUT,
                           "public key '%.60s': neither 40 Z85 characters nor "
                           "a key file (%s)",
                           text, strerror (errno));
    s_key_file_t file;
    if (s_read_key_file (text, &file, err))
        return -1;
    memset (file.secret_key, 0, sizeof file.secret_key);
    memcpy (out, file.public_key, WS_CURVE_KEY_LEN + 1);
    return 0;
}

int
ws_curve_set_server (void *socket, ws_curve_cert_t *cert, const char *domain,
                     ws_err_t *err)
{
    assert (socket && cert && domain);
    int one = 1;
    if (zmq_setsockopt (socket, ZMQ_ZAP_DOMAIN, domain, strlen (domain))
        || zmq_setsockopt (socket, ZMQ_CURVE_SERVER, &one, sizeof one)
        || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, cert->secret_key,
                           WS_CURVE_KEY_LEN))
        return ws_err_set (err, WS_ERR_SYSTEM, "CURVE server socket: %s",
                           zmq_strerror (zmq_errno ()));
    return 0;
}

int
ws_curve_set_client (void *socket, ws_curve_cert_t *cert,
                     const char *server_key, ws_err_t *err)
{
    assert (socket && cert && server_key);
    if (!s_key_valid (server_key, strlen (server_key)))
        return ws_err_set (err, WS_ERR_INPUT,
                           "coordinator key: not 40 Z85 characters");
    if (zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, server_key,
                        WS_CURVE_KEY_LEN)
        || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, cert->public_key,
                           WS_CURVE_KEY_LEN)
        || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, cert->secret_key,
                           WS_CURVE_KEY_LEN))
        return ws_err_set (err, WS_ERR_SYSTEM, "CURVE client socket: %s",
                           zmq_strerror (zmq_errno ()));
    return 0;
}

bool
ws_curve_endpoint_is_local (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0
        || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *address = endpoint + 6;
    const char *semicolon = strchr (address, ';');
    if (semicolon)
        address = semicolon + 1;
    char host[256];
    const char *end;
    if (*address == '[') {
        address++;
        end = strchr (address, ']');
    }
    else
        end = strrchr (address, ':');
    if (!end || (size_t) (end - address) >= sizeof host)
        return false;
    memcpy (host, address, (size_t) (end - address));
    host[end - address] = '\0';
    if (strcmp (host, "localhost") == 0 || strcmp (host, "lo") == 0)
        return true;
    struct in_addr ipv4;
    struct in6_addr ipv6;
    if (inet_pton (AF_INET, host, &ipv4) == 1)
        return (ntohl (ipv4.s_addr) >> 24) == 127;
    if (inet_pton (AF_INET6, host, &ipv6) == 1)
        return IN6_IS_ADDR_LOOPBACK (&ipv6);
    return false;
}

//  ---------------------------------------------------------------------
//  The allow-list

static void
s_name_free (void *value)
{
    free (value);
}

//  Read every NAME.key of dir into a new map (Z85 key -> name).
static ws_map_t *
s_load_dir (const char *dir, ws_err_t *err)
{
    DIR *handle = opendir (dir);
    if (!handle) {
        ws_err_set (err, WS_ERR_INPUT,
                    "allow-list '%s': %s (put the NAME.key files of the "
                    "workers and clients allowed in it)",
                    dir, strerror (errno));
        return NULL;
    }
    ws_map_t *keys = ws_map_new (s_name_free);
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        const char *name = entry->d_name;
        size_t len = strlen (name);
        if (name[0] == '.' || len <= 4 || strcmp (name + len - 4, ".key"))
            continue;
        char path[4400];
        int path_len = snprintf (path, sizeof path, "%s/%s", dir, name);
        if (path_len < 0 || (size_t) path_len >= sizeof path) {
            ws_err_set (err, WS_ERR_INPUT, "allow-list '%s': path too long",
                        dir);
            ws_map_destroy (&keys);
            break;
        }
        s_key_file_t file;
        if (s_read_key_file (path, &file, err)) {
            ws_map_destroy (&keys);
            break;
        }
        if (*file.secret_key) {
            memset (file.secret_key, 0, sizeof file.secret_key);
            ws_err_set (err, WS_ERR_INPUT,
                        "key file '%s': holds a secret key; an allow-list "
                        "holds public NAME.key files only",
                        path);
            ws_map_destroy (&keys);
            break;
        }
        char *key_name = strndup (name, len - 4);
        if (!key_name)
            abort ();  //  the process's own bookkeeping
        ws_map_put (keys, file.public_key, WS_CURVE_KEY_LEN, key_name);
    }
    closedir (handle);
    return keys;
}

ws_curve_auth_t *
ws_curve_auth_new (void *context, const char *dir, ws_err_t *err)
{
    assert (context && dir);
    ws_curve_auth_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->dir = strdup (dir);
    self->logged = ws_map_new (NULL);
    if (!self->dir)
        abort ();
    self->keys = s_load_dir (dir, err);
    if (!self->keys) {
        ws_curve_auth_destroy (&self);
        return NULL;
    }
    self->socket = zmq_socket (context, ZMQ_REP);
    int zero = 0;
    if (!self->socket
        || zmq_setsockopt (self->socket, ZMQ_LINGER, &zero, sizeof zero)
        || zmq_bind (self->socket, S_ZAP_ENDPOINT)) {
        ws_err_set (err, WS_ERR_SYSTEM, "ZAP handler '%s': %s", S_ZAP_ENDPOINT,
                    zmq_strerror (zmq_errno ()));
        ws_curve_auth_destroy (&self);
        return NULL;
    }
    return self;
}

void
ws_curve_auth_destroy (ws_curve_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_curve_auth_t *self = *self_p;
    if (self->socket)
        zmq_close (self->socket);
    ws_map_destroy (&self->keys);
    ws_map_destroy (&self->logged);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

int
ws_curve_auth_load (ws_curve_auth_t *self, ws_err_t *err)
{
    assert (self);
    ws_map_t *keys = s_load_dir (self->dir, err);
    if (!keys)
        return -1;
    ws_map_destroy (&self->keys);
    self->keys = keys;
    return (int) ws_map_size (keys);
}

void *
ws_curve_auth_socket (ws_curve_auth_t *self)
{
    assert (self);
    return self->socket;
}

const char *
ws_curve_auth_lookup (ws_curve_auth_t *self, const char *key)
{
    assert (self);
    if (!key || strlen (key) != WS_CURVE_KEY_LEN)
        return NULL;
    return ws_map_get (self->keys, key, WS_CURVE_KEY_LEN);
}

size_t
ws_curve_auth_size (ws_curve_auth_t *self)
{
    assert (self);
    return ws_map_size (self->keys);
}

int64_t
ws_curve_auth_refused (ws_curve_auth_t *self)
{
    assert (self);
    return self->refused;
}

const char *
ws_curve_auth_dir (ws_curve_auth_t *self)
{
    assert (self);
    return self->dir;
}

static int
s_forget_old (const void *key, size_t len, void *value, void *arg)
{
    ws_curve_auth_t *self = ((void **) arg)[0];
    int64_t now = *(int64_t *) ((void **) arg)[1];
    if (now - (int64_t) (intptr_t) value >= S_LOG_INTERVAL)
        ws_map_delete (self->logged, key, len);
    return 0;
}

//  Log a refusal unless this address and key were logged in the last
//  minute; the table of pairs logged is bounded (S_LOG_PAIRS_MAX).
static void
s_log_refusal (ws_curve_auth_t *self, const char *domain, const char *address,
               const char *what)
{
    int64_t now = ws_clock_ms ();
    char pair[400];
    int len = snprintf (pair, sizeof pair, "%s %s", address, what);
    size_t pair_len = len < 0                       ? 0
                      : (size_t) len >= sizeof pair ? sizeof pair - 1
                                                    : (size_t) len;
    void *last = ws_map_get (self->logged, pair, pair_len);
    if (last && now - (int64_t) (intptr_t) last < S_LOG_INTERVAL) {
        self->unlogged++;
        return;
    }
    if (!last && ws_map_size (self->logged) >= S_LOG_PAIRS_MAX) {
        void *arg[2] = {self, &now};
        ws_map_each (self->logged, s_forget_old, arg);
    }
    if (!last && ws_map_size (self->logged) >= S_LOG_PAIRS_MAX) {
        self->unlogged++;
        if (now - self->summary_at >= S_LOG_INTERVAL) {
            self->summary_at = now;
            ws_warning ("curve: %" PRId64 " refusals not logged one by one "
                        "(more than %d addresses and keys in a minute)",
                        self->unlogged, S_LOG_PAIRS_MAX);
            self->unlogged = 0;
        }
        return;
    }
    //  Never 0, which reads as "not logged".
    ws_map_put (self->logged, pair, pair_len, (void *) (intptr_t) (now | 1));
    ws_warning ("curve: refused a %s from %s: %s (said once a minute per "
                "address and key)",
                strcmp (domain, WS_CURVE_DOMAIN_WORKERS) == 0   ? "worker"
                : strcmp (domain, WS_CURVE_DOMAIN_CLIENTS) == 0 ? "client"
                                                                : "peer",
                address, what);
}

//  Copy a frame's bytes as text into out (size > 0), cut to fit.
static void
s_frame_text (zmq_msg_t *frame, char *out, size_t size)
{
    size_t len = zmq_msg_size (frame);
    if (len >= size)
        len = size - 1;
    memcpy (out, zmq_msg_data (frame), len);
    out[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) out[i] < ' ' || (unsigned char) out[i] > '~')
            out[i] = '?';
}

//  Answer one ZAP request (RFC 27): version, request id, status code,
//  status text, user id, metadata.
static void
s_reply (ws_curve_auth_t *self, zmq_msg_t *request_id, const char *code,
         const char *text, const char *user)
{
    zmq_send (self->socket, "1.0", 3, ZMQ_SNDMORE);
    if (request_id)
        zmq_send (self->socket, zmq_msg_data (request_id),
                  zmq_msg_size (request_id), ZMQ_SNDMORE);
    else
        zmq_send (self->socket, "", 0, ZMQ_SNDMORE);
    zmq_send (self->socket, code, strlen (code), ZMQ_SNDMORE);
    zmq_send (self->socket, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (self->socket, user, strlen (user), ZMQ_SNDMORE);
    zmq_send (self->socket, "", 0, 0);
}

int
ws_curve_auth_serve (ws_curve_auth_t *self)
{
    assert (self);
    int answered = 0;
    for (;;) {
        zmq_msg_t frames[S_ZAP_FRAMES_MAX];
        int count = 0;
        bool more = true;
        //  A request's frames arrive together: only the first may be
        //  missing.
        while (more) {
            zmq_msg_t frame;
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, self->socket,
                              count == 0 ? ZMQ_DONTWAIT : 0)
                < 0) {
                zmq_msg_close (&frame);
                break;
            }
            more = zmq_msg_more (&frame);
            if (count < S_ZAP_FRAMES_MAX)
                frames[count++] = frame;
            else
                zmq_msg_close (&frame);
        }
        if (count == 0)
            break;
        char domain[64] = "", address[64] = "", mechanism[16] = "";
        if (count >= 6) {
            s_frame_text (&frames[2], domain, sizeof domain);
            s_frame_text (&frames[3], address, sizeof address);
            s_frame_text (&frames[5], mechanism, sizeof mechanism);
        }
        if (count < 6 || zmq_msg_size (&frames[0]) != 3
            || memcmp (zmq_msg_data (&frames[0]), "1.0", 3))
            s_reply (self, count >= 2 ? &frames[1] : NULL, "500",
                     "malformed ZAP request", "");
        else if (strcmp (mechanism, "CURVE") || count != 7
                 || zmq_msg_size (&frames[6]) != 32) {
            self->refused++;
            char what[64];
            snprintf (what, sizeof what, "mechanism %s, CURVE required",
                      *mechanism ? mechanism : "?");
            s_log_refusal (self, domain, address, what);
            s_reply (self, &frames[1], "400", "CURVE required", "");
        }
        else {
            char key[WS_CURVE_KEY_LEN + 1];
            zmq_z85_encode (key, zmq_msg_data (&frames[6]), 32);
            const char *name = ws_curve_auth_lookup (self, key);
            if (name) {
                ws_info ("curve: %s from %s: key '%s' accepted", domain,
                         address, name);
                s_reply (self, &frames[1], "200", "OK", name);
            }
            else {
                self->refused++;
                char what[200];
                snprintf (what, sizeof what,
                          "public key \"%s\" is not in the allow-list '%.80s'",
                          key, self->dir);
                s_log_refusal (self, domain, address, what);
                s_reply (self, &frames[1], "400", "key not allowed", "");
            }
        }
        for (int i = 0; i < count; i++)
            zmq_msg_close (&frames[i]);
        answered++;
    }
    return answered;
}
