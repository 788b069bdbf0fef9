//  ws_pgcluster - a private PostgreSQL cluster under a state directory.
//  The known ways to fail are in DESIGN.md, "Embedded default"; each is
//  handled where its comment says so.

//  nftw is XSI, not base POSIX 2008: ask for it before any header.
#define _XOPEN_SOURCE 700

#include "ws_pgcluster.h"

#include "ws_command.h"
#include "ws_log.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WS_PGCLUSTER_PORT "5432"
#define WS_PGCLUSTER_SOCKET_NAME "/run/.s.PGSQL." WS_PGCLUSTER_PORT
#define WS_PGCLUSTER_MARKER ".ws-pgcluster-tempdir"
#define WS_PGCLUSTER_INCLUDE "include_if_exists = 'watershed.conf'"
#define WS_PGCLUSTER_DEBIAN_ROOT "/usr/lib/postgresql"

struct _ws_pgcluster_t {
    char *dir;             //  owns: absolute state directory
    char *pgdata;          //  owns: DIR/pgdata
    char *rundir;          //  owns: DIR/run, the socket directory
    char *logpath;         //  owns: DIR/pg.log
    char *conninfo;        //  owns: database 'watershed'
    char *admin_conninfo;  //  owns: database 'postgres', to create ours
    char *ping_conninfo;   //  owns: short connect_timeout, for PQping
    char *bindir;          //  owns: initdb and pg_ctl; NULL until found
    const char *locale;    //  "C.UTF-8" where the C library has it, else "C"
    bool fast;             //  tests: no fsync
    bool started;          //  this object started or adopted the server
    int timeout;           //  seconds for pg_ctl -t and for adoption
    bool switch_user;      //  we are root: children run as uid/gid
    uid_t uid;
    gid_t gid;
};

//  How a forked child failed before or at execve, written to the parent
//  over a close-on-exec pipe (nothing arrives when execve succeeds).
typedef struct {
    int stage;  //  index into s_stages
    int code;   //  errno
} s_child_failure_t;

static const char *s_stages[] = {"redirect output", "change directory",
                                 "setgroups",       "setgid",
                                 "setuid",          "execute"};

//  A printf into a fresh string; caller owns. NULL when out of memory.
static char *s_format (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static char *
s_format (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    int len = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    if (len < 0)
        return NULL;
    char *text = malloc ((size_t) len + 1);
    if (!text)
        return NULL;
    va_start (args, fmt);
    vsnprintf (text, (size_t) len + 1, fmt, args);
    va_end (args);
    return text;
}

//  A conninfo value: bare when safe, else in single quotes with a
//  backslash before ' and \ (libpq, "Keyword/Value Connection Strings").
//  Caller owns.
static char *
s_conninfo_quote (const char *value)
{
    bool bare = *value != '\0';
    for (const char *c = value; *c; c++)
        if (isspace ((unsigned char) *c) || *c == '\'' || *c == '\\')
            bare = false;
    size_t len = strlen (value);
    char *out = malloc (2 * len + 3);
    if (!out || bare) {
        if (out)
            memcpy (out, value, len + 1);
        return out;
    }
    char *next = out;
    *next++ = '\'';
    for (const char *c = value; *c; c++) {
        if (*c == '\'' || *c == '\\')
            *next++ = '\\';
        *next++ = *c;
    }
    *next++ = '\'';
    *next = '\0';
    return out;
}

//  A postgresql.conf string: single quotes, ' doubled, \ escaped.
//  Caller owns.
static char *
s_conf_quote (const char *value)
{
    char *out = malloc (2 * strlen (value) + 3);
    if (!out)
        return NULL;
    char *next = out;
    *next++ = '\'';
    for (const char *c = value; *c; c++) {
        if (*c == '\'')
            *next++ = '\'';
        else if (*c == '\\')
            *next++ = '\\';
        *next++ = *c;
    }
    *next++ = '\'';
    *next = '\0';
    return out;
}

//  The first line of a libpq message, which ends in a newline.
static void
s_first_line (const char *message, char *out, size_t size)
{
    size_t len = strcspn (message ? message : "", "\n");
    if (len >= size)
        len = size - 1;
    memcpy (out, message ? message : "", len);
    out[len] = '\0';
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

static bool
s_is_executable (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode)
           && access (path, X_OK) == 0;
}

//  True if DIR holds both tools we run (postgres is found by pg_ctl).
static bool
s_has_tools (const char *dir)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/initdb", dir);
    if (!s_is_executable (path))
        return false;
    snprintf (path, sizeof path, "%s/pg_ctl", dir);
    return s_is_executable (path);
}

//  Full path of NAME in $PATH, or NULL. Caller owns.
static char *
s_find_in_path (const char *name)
{
    const char *path = getenv ("PATH");
    while (path && *path) {
        size_t len = strcspn (path, ":");
        //  An empty element means the current directory: not trusted.
        if (len > 0) {
            char *candidate = s_format ("%.*s/%s", (int) len, path, name);
            if (candidate && s_is_executable (candidate))
                return candidate;
            free (candidate);
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return NULL;
}

//  After fork: only async-signal-safe calls until execve, because the
//  parent may have threads (ZeroMQ's I/O threads) and a child of a
//  threaded process may hold copies of their locks. Never returns.
static void
s_child_exec (const char *const argv[], char *const envp[], int in_fd,
              int out_fd, int report_fd, const char *workdir, bool switch_user,
              uid_t uid, gid_t gid)
{
    s_child_failure_t failure = {0, 0};
    //  The postmaster must not inherit our descriptors (ZeroMQ sockets, a
    //  listening port): it would hold them after we exit. PostgreSQL
    //  expects the default signals (ws_loop ignores SIGPIPE).
    int report = report_fd;
    if (ws_command_child_setup (in_fd, out_fd, &report))
        goto failed;

    //  PostgreSQL refuses to run as root: drop to the cluster user, the
    //  supplementary groups first, while we still may.
    if (switch_user) {
        failure.stage = 2;
        if (setgroups (0, NULL))
            goto failed;
        failure.stage = 3;
        if (setgid (gid))
            goto failed;
        failure.stage = 4;
        if (setuid (uid))
            goto failed;
    }
    //  initdb and pg_ctl (up to 15) start with getcwd and fail if the
    //  user cannot read the current directory, e.g. /root.
    failure.stage = 1;
    if (chdir (workdir))
        goto failed;
    failure.stage = 5;
    execve (argv[0], (char *const *) argv, envp);
failed:
    failure.code = errno;
    if (write (report, &failure, sizeof failure) < 0)
        _exit (126);
    _exit (127);
}

//  Best lines of pg.log written since START for an error message: the
//  last FATAL/PANIC/ERROR or "error:" line if any, else the last two.
static void
s_log_tail (const char *path, off_t start, char *out, size_t size)
{
    snprintf (out, size, "(nothing in the log)");
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t end = lseek (fd, 0, SEEK_END);
    //  Only the last lines matter; a server log may be large.
    if (end - start > 8192)
        start = end - 8192;
    if (start < 0 || end <= start) {
        close (fd);
        return;
    }
    size_t len = (size_t) (end - start);
    char *text = malloc (len + 1);
    ssize_t got = text ? pread (fd, text, len, start) : -1;
    close (fd);
    if (got <= 0) {
        free (text);
        return;
    }
    text[got] = '\0';

    //  The last three lines, or from the last line that names an error.
    const char *important = NULL, *lines[3] = {NULL, NULL, NULL};
    static const char *keywords[] = {"PANIC:", "FATAL:", "ERROR:"};
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        //  Our own header line, and pg_ctl's advice we are following.
        if (strncmp (line, "---- watershed", 14) == 0
            || strcmp (line, "Examine the log output.") == 0)
            continue;
        lines[0] = lines[1];
        lines[1] = lines[2];
        lines[2] = line;
        //  Server lines start with a time stamp and pid: quote from the
        //  level on, which is the part that explains.
        for (size_t i = 0; i < 3; i++)
            if (strstr (line, keywords[i]))
                important = strstr (line, keywords[i]);
        if (strstr (line, "error:"))
            important = line;
    }
    char joined[1024] = "";
    if (important)
        snprintf (joined, sizeof joined, "%s", important);
    else
        for (size_t i = 0; i < 3; i++)
            if (lines[i]) {
                size_t used = strlen (joined);
                snprintf (joined + used, sizeof joined - used, "%s%s",
                          used ? " | " : "", lines[i]);
            }
    //  Too long: the end says more than the beginning.
    size_t used = strlen (joined);
    if (used >= size && size > 4)
        snprintf (out, size, "...%s", joined + used - (size - 4));
    else if (used)
        snprintf (out, size, "%s", joined);
    free (text);
}

//  Run ARGV (argv[0] an absolute path) with stdin /dev/null and output
//  appended to pg.log, as the cluster user when we are root, in a clean
//  environment. Returns its exit status and sets *log_start to where its
//  output begins in pg.log; -1 with *err if it could not run or was
//  killed.
static int
s_run (ws_pgcluster_t *self, const char *what, const char *const argv[],
       off_t *log_start, ws_err_t *err)
{
    int log_fd = ws_command_fd_above_stdio (
        open (self->logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (log_fd < 0)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot open '%s': %s",
                           self->dir, self->logpath, strerror (errno));
    //  pg_ctl -l opens pg.log again as the cluster user.
    if (self->switch_user && fchown (log_fd, self->uid, self->gid)) {
        int code = errno;
        close (log_fd);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot give '%s' to "
                           "user '%s': %s",
                           self->dir, self->logpath, WS_PGCLUSTER_USER,
                           strerror (code));
    }
    *log_start = lseek (log_fd, 0, SEEK_END);
    char stamp[32];
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    dprintf (log_fd, "---- watershed %s: %s", stamp, argv[0]);
    for (size_t i = 1; argv[i]; i++)
        dprintf (log_fd, " %s", argv[i]);
    dprintf (log_fd, "\n");

    int null_fd =
        ws_command_fd_above_stdio (open ("/dev/null", O_RDONLY | O_CLOEXEC));
    int report[2] = {-1, -1};
    if (null_fd < 0 || pipe (report)) {
        int code = errno;
        close (log_fd);
        if (null_fd >= 0)
            close (null_fd);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot run %s: %s",
                           self->dir, what, strerror (code));
    }
    for (int i = 0; i < 2; i++)
        report[i] = ws_command_fd_above_stdio (report[i]);
    if (report[0] < 0 || report[1] < 0) {
        int code = errno;
        for (int i = 0; i < 2; i++)
            if (report[i] >= 0)
                close (report[i]);
        close (log_fd);
        close (null_fd);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot run %s: %s",
                           self->dir, what, strerror (code));
    }
    //  A clean environment: nothing of ours (PGHOST, PGPORT, secrets)
    //  leaks into the server, and the locale is one that exists.
    char *path_env = s_format ("PATH=%s:/usr/bin:/bin", self->bindir);
    char *locale_env = s_format ("LC_ALL=%s", self->locale);
    char *envp[] = {path_env, locale_env, NULL};

    pid_t pid = (path_env && locale_env) ? fork () : -1;
    if (pid == 0)
        s_child_exec (argv, envp, null_fd, log_fd, report[1], self->dir,
                      self->switch_user, self->uid, self->gid);
    int fork_errno = errno;
    free (path_env);
    free (locale_env);
    close (log_fd);
    close (null_fd);
    close (report[1]);
    if (pid < 0) {
        close (report[0]);
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot start %s: %s",
                           self->dir, what, strerror (fork_errno));
    }
    s_child_failure_t failure;
    ssize_t got;
    do
        got = read (report[0], &failure, sizeof failure);
    while (got < 0 && errno == EINTR);
    close (report[0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0)
        if (errno != EINTR)
            return ws_err_set (err, WS_ERR_SYSTEM,
                               "PostgreSQL cluster '%s': lost %s: %s",
                               self->dir, what, strerror (errno));
    if (got == (ssize_t) sizeof failure) {
        int stage = failure.stage;
        if (stage < 0 || stage >= (int) (sizeof s_stages / sizeof *s_stages))
            stage = 0;
        return ws_err_set (
            err, WS_ERR_SYSTEM,
            "PostgreSQL cluster '%s': cannot run %s%s: %s: %s", self->dir,
            argv[0],
            self->switch_user ? " as user '" WS_PGCLUSTER_USER "'" : "",
            s_stages[stage], strerror (failure.code));
    }
    if (WIFSIGNALED (status))
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': %s killed by signal %d",
                           self->dir, what, WTERMSIG (status));
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  Run a tool and turn a failure into an error quoting pg.log.
static int
s_run_tool (ws_pgcluster_t *self, const char *what, const char *const argv[],
            ws_err_t *err)
{
    off_t log_start = 0;
    int status = s_run (self, what, argv, &log_start, err);
    if (status == 0)
        return 0;
    if (status > 0) {
        char tail[160];
        s_log_tail (self->logpath, log_start, tail, sizeof tail);
        ws_err_set (err, WS_ERR_SYSTEM,
                    "PostgreSQL cluster '%s': %s failed (exit %d), "
                    "pg.log says: %s",
                    self->dir, what, status, tail);
    }
    return -1;
}

//  The directory 'pg_config --bindir' names (pg_config comes with
//  libpq-dev, so it may name a version without a server). NULL if
//  pg_config is missing or fails. Caller owns.
static char *
s_pg_config_bindir (void)
{
    char *pg_config = s_find_in_path ("pg_config");
    if (!pg_config)
        return NULL;
    int out[2];
    int null_fd =
        ws_command_fd_above_stdio (open ("/dev/null", O_RDWR | O_CLOEXEC));
    if (null_fd < 0 || pipe (out)) {
        if (null_fd >= 0)
            close (null_fd);
        free (pg_config);
        return NULL;
    }
    for (int i = 0; i < 2; i++)
        out[i] = ws_command_fd_above_stdio (out[i]);
    pid_t pid = out[0] >= 0 && out[1] >= 0 ? fork () : -1;
    if (pid == 0) {
        if (dup2 (null_fd, 0) < 0 || dup2 (out[1], 1) < 0
            || dup2 (null_fd, 2) < 0)
            _exit (127);
        closefrom (3);
        const char *argv[] = {pg_config, "--bindir", NULL};
        execv (pg_config, (char *const *) argv);
        _exit (127);
    }
    close (out[1]);
    close (null_fd);
    char text[PATH_MAX];
    size_t len = 0;
    while (pid > 0 && len < sizeof text - 1) {
        ssize_t got = read (out[0], text + len, sizeof text - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t) got;
    }
    close (out[0]);
    int status = -1;
    while (pid > 0 && waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    free (pg_config);
    text[len] = '\0';
    text[strcspn (text, "\r\n")] = '\0';
    if (pid < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0
        || text[0] != '/')
        return NULL;
    return strdup (text);
}

//  /usr/lib/postgresql/VERSION/bin if it has the tools; with VERSION
//  NULL the highest version that has them. NULL if none. Caller owns.
static char *
s_debian_bindir (const char *version)
{
    DIR *dir = opendir (WS_PGCLUSTER_DEBIAN_ROOT);
    if (!dir)
        return NULL;
    char *best = NULL;
    long best_score = -1;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        const char *name = entry->d_name;
        if (!isdigit ((unsigned char) name[0]))
            continue;
        if (version && strcmp (name, version) != 0)
            continue;
        //  "9.6", "10", "15": compare major, then minor.
        char *end;
        long major = strtol (name, &end, 10);
        long minor = 0;
        if (*end == '.')
            minor = strtol (end + 1, &end, 10);
        if (*end || major > 100000 || minor > 999)
            continue;
        char *bindir = s_format ("%s/%s/bin", WS_PGCLUSTER_DEBIAN_ROOT, name);
        if (bindir && s_has_tools (bindir)
            && major * 1000 + minor > best_score) {
            free (best);
            best = bindir;
            best_score = major * 1000 + minor;
        }
        else
            free (bindir);
    }
    closedir (dir);
    return best;
}

//  The major version recorded in DIR/pgdata/PG_VERSION, or "" if none.
static void
s_data_version (ws_pgcluster_t *self, char *out, size_t size)
{
    out[0] = '\0';
    char *path = s_format ("%s/PG_VERSION", self->pgdata);
    FILE *file = path ? fopen (path, "r") : NULL;
    if (file) {
        if (!fgets (out, (int) size, file))
            out[0] = '\0';
        out[strcspn (out, "\r\n")] = '\0';
        fclose (file);
    }
    free (path);
}

//  Debian keeps the server binaries off PATH, in
//  /usr/lib/postgresql/<version>/bin; look there as well as in the places
//  a source build uses.
static int
s_find_bindir (ws_pgcluster_t *self, ws_err_t *err)
{
    if (self->bindir)
        return 0;
    const char *env = getenv ("WATERSHED_PG_BINDIR");
    if (env && *env) {
        if (s_has_tools (env)) {
            self->bindir = strdup (env);
            return self->bindir
                       ? 0
                       : ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        }
        return ws_err_set (err, WS_ERR_NOTFOUND,
                           "PostgreSQL server binaries not found (initdb, "
                           "pg_ctl) in WATERSHED_PG_BINDIR '%s': install the "
                           "Debian package 'postgresql' (scripts/bootstrap "
                           "does) or correct WATERSHED_PG_BINDIR",
                           env);
    }
    //  Data made by one major version needs that version's server.
    char version[32];
    s_data_version (self, version, sizeof version);
    char *bindir = version[0] ? s_debian_bindir (version) : NULL;
    if (!bindir) {
        bindir = s_pg_config_bindir ();
        if (bindir && !s_has_tools (bindir)) {
            free (bindir);
            bindir = NULL;
        }
    }
    if (!bindir)
        bindir = s_debian_bindir (NULL);
    if (!bindir) {
        bindir = s_find_in_path ("initdb");
        if (bindir) {
            *strrchr (bindir, '/') = '\0';
            if (!s_has_tools (bindir)) {
                free (bindir);
                bindir = NULL;
            }
        }
    }
    if (!bindir)
        return ws_err_set (err, WS_ERR_NOTFOUND,
                           "PostgreSQL server binaries not found (initdb, "
                           "pg_ctl): install the Debian package 'postgresql' "
                           "(scripts/bootstrap does)");
    self->bindir = bindir;
    ws_debug ("PostgreSQL cluster '%s': server binaries in %s", self->dir,
              bindir);
    return 0;
}

//  As root, the children run as WS_PGCLUSTER_USER.
static int
s_resolve_user (ws_pgcluster_t *self, ws_err_t *err)
{
    self->switch_user = geteuid () == 0;
    if (!self->switch_user)
        return 0;
    struct passwd *user = getpwnam (WS_PGCLUSTER_USER);
    if (!user)
        return ws_err_set (err, WS_ERR_NOTFOUND,
                           "system user '%s' not found: PostgreSQL refuses to "
                           "run as root, so as root the embedded cluster runs "
                           "as '%s'; scripts/bootstrap creates it",
                           WS_PGCLUSTER_USER, WS_PGCLUSTER_USER);
    self->uid = user->pw_uid;
    self->gid = user->pw_gid;
    return 0;
}

//  True if the cluster user may search (enter) a directory. The child
//  drops supplementary groups, so only the primary group counts.
static bool
s_user_can_enter (ws_pgcluster_t *self, const struct stat *st)
{
    if (st->st_uid == self->uid)
        return st->st_mode & S_IXUSR;
    if (st->st_gid == self->gid)
        return st->st_mode & S_IXGRP;
    return st->st_mode & S_IXOTH;
}

//  Give DIR, DIR/run, DIR/pgdata and pg.log to the cluster user, and
//  check that the user can reach DIR at all: every directory above it
//  must let the user through (/root, mode 0700, does not).
static int
s_prepare_dirs (ws_pgcluster_t *self, ws_err_t *err)
{
    if (mkdir (self->rundir, 0700) && errno != EEXIST)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot create '%s': %s",
                           self->dir, self->rundir, strerror (errno));
    //  Trust authentication: only the socket directory's owner (and
    //  root) may reach the socket.
    if (chmod (self->rundir, 0700))
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot chmod '%s': %s",
                           self->dir, self->rundir, strerror (errno));
    if (!self->switch_user)
        return 0;

    struct stat st;
    if (stat (self->dir, &st) == 0 && (st.st_mode & S_ISVTX))
        return ws_err_set (err, WS_ERR_INPUT,
                           "state directory '%s' is a shared directory "
                           "(sticky bit): give watershed a directory of its "
                           "own, e.g. /var/lib/watershed",
                           self->dir);
    const char *paths[] = {self->dir, self->rundir, self->pgdata,
                           self->logpath};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (chown (paths[i], self->uid, self->gid) && errno != ENOENT)
            return ws_err_set (err, WS_ERR_SYSTEM,
                               "PostgreSQL cluster '%s': cannot give '%s' to "
                               "user '%s': %s",
                               self->dir, paths[i], WS_PGCLUSTER_USER,
                               strerror (errno));

    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s", self->dir);
    for (size_t i = 1; path[i - 1]; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (stat (path, &st) == 0 && !s_user_can_enter (self, &st))
            return ws_err_set (err, WS_ERR_INPUT,
                               "state directory '%s': user '%s' cannot enter "
                               "'%s' (mode %04o), so PostgreSQL could not "
                               "reach its data: use a directory outside it, "
                               "e.g. /var/lib/watershed",
                               self->dir, WS_PGCLUSTER_USER, path,
                               (unsigned) (st.st_mode & 0777));
        path[i] = saved;
    }
    return 0;
}

//  Read a small text file; caller owns. NULL if it cannot be read.
static char *
s_read_text (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    size_t size = 0, len = 0;
    char *text = NULL;
    for (;;) {
        if (len + 4096 + 1 > size) {
            size = size ? 2 * size : 8192;
            char *bigger = realloc (text, size);
            if (!bigger) {
                free (text);
                fclose (file);
                return NULL;
            }
            text = bigger;
        }
        size_t got = fread (text + len, 1, 4096, file);
        len += got;
        if (got < 4096)
            break;
    }
    bool failed = ferror (file);
    fclose (file);
    if (failed) {
        free (text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

//  Write TEXT to PATH (mode 0600, owned by the cluster user).
static int
s_write_text (ws_pgcluster_t *self, const char *path, const char *text,
              int flags, ws_err_t *err)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);
    if (fd < 0)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot write '%s': %s",
                           self->dir, path, strerror (errno));
    size_t len = strlen (text), done = 0;
    int rc = 0;
    if (self->switch_user && fchown (fd, self->uid, self->gid))
        rc = -1;
    while (rc == 0 && done < len) {
        ssize_t wrote = write (fd, text + done, len - done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote < 0)
            rc = -1;
        else
            done += (size_t) wrote;
    }
    int code = errno;
    if (close (fd) && rc == 0) {
        rc = -1;
        code = errno;
    }
    if (rc)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot write '%s': %s",
                           self->dir, path, strerror (code));
    return 0;
}

//  DIR/pgdata/watershed.conf, rewritten at every start so a new build's
//  settings apply, and included once from postgresql.conf.
static int
s_write_settings (ws_pgcluster_t *self, ws_err_t *err)
{
    //  unix_socket_directories is a list: double-quote the directory so a
    //  comma or space in DIR stays part of the name.
    size_t len = strlen (self->rundir);
    char *listed = malloc (2 * len + 3);
    char *next = listed;
    if (listed) {
        *next++ = '"';
        for (const char *c = self->rundir; *c; c++) {
            if (*c == '"')
                *next++ = '"';
            *next++ = *c;
        }
        *next++ = '"';
        *next = '\0';
    }
    char *quoted = listed ? s_conf_quote (listed) : NULL;
    free (listed);
    const char *fast =
        "#  Tests only (ws_pgcluster_set_fast): a crash of the machine may "
        "lose data.\n"
        "fsync = off\n"
        "synchronous_commit = off\n"
        "full_page_writes = off\n";
    char *text = NULL;
    if (quoted)
        text = s_format (
            "#  Written by watershed (ws_pgcluster) at every start: edits "
            "are lost.\n"
            "#  The private socket only, so clusters never collide with each "
            "other\n#  or with a system cluster on port 5432.\n"
            "listen_addresses = ''\n"
            "port = " WS_PGCLUSTER_PORT "\n"
            "unix_socket_directories = %s\n"
            "unix_socket_permissions = 0700\n"
            "max_connections = 50\n"
            "%s",
            quoted, self->fast ? fast : "");
    free (quoted);
    char *path = s_format ("%s/watershed.conf", self->pgdata);
    char *temp = s_format ("%s/watershed.conf.new", self->pgdata);
    char *main_conf = s_format ("%s/postgresql.conf", self->pgdata);
    int rc = 0;
    if (!text || !path || !temp || !main_conf)
        rc = ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    else if (s_write_text (self, temp, text, O_TRUNC, err))
        rc = -1;
    else if (rename (temp, path))
        rc = ws_err_set (err, WS_ERR_SYSTEM,
                         "PostgreSQL cluster '%s': cannot rename '%s': %s",
                         self->dir, temp, strerror (errno));
    else {
        char *conf = s_read_text (main_conf);
        if (!conf)
            rc = ws_err_set (err, WS_ERR_SYSTEM,
                             "PostgreSQL cluster '%s': cannot read '%s': %s",
                             self->dir, main_conf, strerror (errno));
        else if (!strstr (conf, "\n" WS_PGCLUSTER_INCLUDE))
            rc = s_write_text (self, main_conf,
                               "\n#  watershed: settings of the embedded "
                               "cluster (ws_pgcluster)\n" WS_PGCLUSTER_INCLUDE
                               "\n",
                               O_APPEND, err);
        free (conf);
    }
    free (text);
    free (path);
    free (temp);
    free (main_conf);
    return rc;
}

//  initdb with the role, encoding and locale every conninfo assumes.
static int
s_initdb (ws_pgcluster_t *self, ws_err_t *err)
{
    if (mkdir (self->pgdata, 0700) && errno != EEXIST)
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot create '%s': %s",
                           self->dir, self->pgdata, strerror (errno));
    if (self->switch_user && chown (self->pgdata, self->uid, self->gid))
        return ws_err_set (err, WS_ERR_SYSTEM,
                           "PostgreSQL cluster '%s': cannot give '%s' to "
                           "user '%s': %s",
                           self->dir, self->pgdata, WS_PGCLUSTER_USER,
                           strerror (errno));
    char *initdb = s_format ("%s/initdb", self->bindir);
    char *locale = s_format ("--locale=%s", self->locale);
    if (!initdb || !locale) {
        free (initdb);
        free (locale);
        return ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    }
    const char *argv[] = {initdb,
                          "-D",
                          self->pgdata,
                          "-U",
                          WS_PGCLUSTER_USER,
                          "--auth=trust",
                          "-E",
                          "UTF8",
                          locale,
                          self->fast ? "-N" : NULL,
                          NULL};
    ws_notice ("PostgreSQL cluster '%s': initialising (%s%s)", self->dir,
               initdb,
               self->switch_user ? " as user '" WS_PGCLUSTER_USER "'" : "");
    int rc = s_run_tool (self, "initdb", argv, err);
    free (initdb);
    free (locale);
    return rc;
}

//  Pid in DIR/pgdata/postmaster.pid if that process lives, else 0.
static int
s_live_pid (ws_pgcluster_t *self)
{
    char *path = s_format ("%s/postmaster.pid", self->pgdata);
    FILE *file = path ? fopen (path, "r") : NULL;
    free (path);
    if (!file)
        return 0;
    char line[32] = "";
    if (!fgets (line, sizeof line, file))
        line[0] = '\0';
    fclose (file);
    char *end;
    long pid = strtol (line, &end, 10);
    if (end == line || pid <= 0 || pid > INT_MAX)
        return 0;
    //  EPERM: alive, and someone else's (the cluster user's).
    if (kill ((pid_t) pid, 0) == 0 || errno == EPERM)
        return (int) pid;
    return 0;
}

static double
s_now (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  Wait up to the timeout for the server to accept connections on our
//  socket (a server in crash recovery rejects them for a while).
static bool
s_answers (ws_pgcluster_t *self)
{
    double deadline = s_now () + self->timeout;
    for (;;) {
        if (PQping (self->ping_conninfo) == PQPING_OK)
            return true;
        if (s_now () >= deadline)
            return false;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
}

//  CREATE DATABASE watershed unless it exists.
static int
s_ensure_database (ws_pgcluster_t *self, ws_err_t *err)
{
    char line[200];
    PGconn *db = PQconnectdb (self->admin_conninfo);
    if (PQstatus (db) != CONNECTION_OK) {
        s_first_line (PQerrorMessage (db), line, sizeof line);
        PQfinish (db);
        return ws_err_set (err, WS_ERR_DB,
                           "PostgreSQL cluster '%s': cannot connect to "
                           "database 'postgres': %s",
                           self->dir, line);
    }
    const char *values[] = {WS_PGCLUSTER_DB};
    PGresult *result =
        PQexecParams (db, "SELECT 1 FROM pg_database WHERE datname = $1", 1,
                      NULL, values, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus (result) != PGRES_TUPLES_OK) {
        s_first_line (PQresultErrorMessage (result), line, sizeof line);
        rc = ws_err_set (err, WS_ERR_DB,
                         "PostgreSQL cluster '%s': cannot list databases: %s",
                         self->dir, line);
    }
    else if (PQntuples (result) == 0) {
        PQclear (result);
        //  An identifier cannot be a parameter; this one is a constant.
        result = PQexec (db, "CREATE DATABASE " WS_PGCLUSTER_DB);
        const char *state = PQresultErrorField (result, PG_DIAG_SQLSTATE);
        //  42P04 duplicate_database: another process was quicker.
        if (PQresultStatus (result) == PGRES_COMMAND_OK)
            ws_notice ("PostgreSQL cluster '%s': created database '%s'",
                       self->dir, WS_PGCLUSTER_DB);
        else if (!state || strcmp (state, "42P04") != 0) {
            s_first_line (PQresultErrorMessage (result), line, sizeof line);
            rc = ws_err_set (err, WS_ERR_DB,
                             "PostgreSQL cluster '%s': cannot create "
                             "database '%s': %s",
                             self->dir, WS_PGCLUSTER_DB, line);
        }
    }
    PQclear (result);
    PQfinish (db);
    return rc;
}

//  The locale initdb gets: C.UTF-8 exists on a bare Debian 12 (glibc
//  2.35 and later build it in); elsewhere fall back to C.
static const char *
s_pick_locale (void)
{
    locale_t probe = newlocale (LC_ALL_MASK, "C.UTF-8", (locale_t) 0);
    if (!probe)
        return "C";
    freelocale (probe);
    return "C.UTF-8";
}

//  mkdir -p, mode 0755 for what it creates.
static int
s_make_dirs (const char *dir, ws_err_t *err)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s", dir);
    for (size_t i = 1; path[i - 1]; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir (path, 0755) == 0)
            chmod (path, 0755);  //  whatever the umask, so others can enter
        else if (errno != EEXIST)
            return ws_err_set (err, WS_ERR_SYSTEM,
                               "state directory '%s': cannot create '%s': %s",
                               dir, path, strerror (errno));
        path[i] = saved;
    }
    return 0;
}

//  Refuse a state directory whose socket path would not fit sun_path,
//  or that the tools cannot take: pg_ctl start runs the server through
//  /bin/sh with the paths in double quotes, and libpq reads a comma in
//  host as a list of hosts, with no way to escape it.
static int
s_check_dir_name (const char *dir, ws_err_t *err)
{
    size_t len = strlen (dir) + strlen (WS_PGCLUSTER_SOCKET_NAME);
    if (len >= WS_PGCLUSTER_SOCKET_MAX)
        return ws_err_set (err, WS_ERR_INPUT,
                           "state directory '%s': its PostgreSQL socket "
                           "DIR" WS_PGCLUSTER_SOCKET_NAME
                           " would be %zu bytes, unix sockets allow %d: "
                           "choose a shorter directory",
                           dir, len, WS_PGCLUSTER_SOCKET_MAX - 1);
    const char *bad = dir + strcspn (dir, "\"$`\\\n,");
    if (*bad == '\n')
        return ws_err_set (err, WS_ERR_INPUT,
                           "state directory '%s': PostgreSQL's tools cannot "
                           "handle a newline in its path: choose another "
                           "directory",
                           dir);
    if (*bad)
        return ws_err_set (err, WS_ERR_INPUT,
                           "state directory '%s': PostgreSQL's tools cannot "
                           "handle '%c' in its path: choose another "
                           "directory",
                           dir, *bad);
    return 0;
}

ws_pgcluster_t *
ws_pgcluster_new (const char *dir, ws_err_t *err)
{
    assert (dir);
    if (!*dir) {
        ws_err_set (err, WS_ERR_INPUT, "state directory: empty path");
        return NULL;
    }
    char absolute[PATH_MAX];
    int written;
    if (dir[0] == '/')
        written = snprintf (absolute, sizeof absolute, "%s", dir);
    else {
        char cwd[PATH_MAX];
        if (!getcwd (cwd, sizeof cwd)) {
            ws_err_set (err, WS_ERR_SYSTEM,
                        "state directory '%s': cannot find the current "
                        "directory: %s",
                        dir, strerror (errno));
            return NULL;
        }
        written = snprintf (absolute, sizeof absolute, "%s/%s", cwd, dir);
    }
    if (written < 0 || (size_t) written >= sizeof absolute) {
        ws_err_set (err, WS_ERR_INPUT, "state directory '%s': path too long",
                    dir);
        return NULL;
    }
    size_t len = strlen (absolute);
    while (len > 1 && absolute[len - 1] == '/')
        absolute[--len] = '\0';
    //  Check before creating anything: a refused path leaves no trace.
    if (s_check_dir_name (absolute, err) || s_make_dirs (absolute, err))
        return NULL;
    char real[PATH_MAX];
    if (!realpath (absolute, real)) {
        ws_err_set (err, WS_ERR_SYSTEM, "state directory '%s': %s", absolute,
                    strerror (errno));
        return NULL;
    }
    if (s_check_dir_name (real, err))
        return NULL;

    ws_pgcluster_t *self = calloc (1, sizeof *self);
    char *host = NULL;
    if (self) {
        self->dir = strdup (real);
        self->pgdata = s_format ("%s/pgdata", real);
        self->rundir = s_format ("%s/run", real);
        self->logpath = s_format ("%s/pg.log", real);
        host = self->rundir ? s_conninfo_quote (self->rundir) : NULL;
    }
    if (host) {
        const char *common =
            "port=" WS_PGCLUSTER_PORT " user=" WS_PGCLUSTER_USER;
        self->conninfo =
            s_format ("host=%s %s dbname=%s", host, common, WS_PGCLUSTER_DB);
        self->admin_conninfo = s_format (
            "host=%s %s dbname=postgres connect_timeout=10", host, common);
        self->ping_conninfo = s_format (
            "host=%s %s dbname=postgres connect_timeout=2", host, common);
    }
    free (host);
    if (!self || !self->dir || !self->pgdata || !self->logpath
        || !self->conninfo || !self->admin_conninfo || !self->ping_conninfo) {
        ws_pgcluster_destroy (&self);
        ws_err_set (err, WS_ERR_SYSTEM, "state directory '%s': out of memory",
                    real);
        return NULL;
    }
    self->locale = s_pick_locale ();
    self->timeout = 60;
    if (mkdir (self->rundir, 0700) && errno != EEXIST) {
        ws_err_set (err, WS_ERR_SYSTEM,
                    "state directory '%s': cannot create "
                    "'%s': %s",
                    real, self->rundir, strerror (errno));
        ws_pgcluster_destroy (&self);
        return NULL;
    }
    return self;
}

void
ws_pgcluster_destroy (ws_pgcluster_t **self_p)
{
    assert (self_p);
    ws_pgcluster_t *self = *self_p;
    if (!self)
        return;
    free (self->dir);
    free (self->pgdata);
    free (self->rundir);
    free (self->logpath);
    free (self->conninfo);
    free (self->admin_conninfo);
    free (self->ping_conninfo);
    free (self->bindir);
    free (self);
    *self_p = NULL;
}

void
ws_pgcluster_set_fast (ws_pgcluster_t *self, bool fast)
{
    assert (self);
    self->fast = fast;
}

void
ws_pgcluster_set_timeout (ws_pgcluster_t *self, int seconds)
{
    assert (self);
    self->timeout = seconds < 1 ? 1 : seconds;
}

int
ws_pgcluster_start (ws_pgcluster_t *self, ws_err_t *err)
{
    assert (self);
    if (self->started && s_live_pid (self) && s_answers (self))
        return 0;
    if (s_find_bindir (self, err) || s_resolve_user (self, err)
        || s_prepare_dirs (self, err))
        return -1;
    char *version = s_format ("%s/PG_VERSION", self->pgdata);
    bool fresh = version && !s_exists (version);
    free (version);
    if (fresh && s_initdb (self, err))
        return -1;
    if (s_write_settings (self, err))
        return -1;

    //  A server left running by a crash of the process that owned it:
    //  adopt it if it answers on our socket.
    int pid = s_live_pid (self);
    if (pid) {
        if (!s_answers (self))
            return ws_err_set (err, WS_ERR_TIMEOUT,
                               "PostgreSQL postmaster pid %d of data "
                               "directory '%s' is alive but did not answer "
                               "within %d s: stop it, or if pid %d is not "
                               "PostgreSQL remove postmaster.pid",
                               pid, self->pgdata, self->timeout, pid);
        ws_notice ("PostgreSQL cluster '%s': adopted the running server "
                   "(pid %d)",
                   self->dir, pid);
    }
    else {
        //  A stale postmaster.pid (its process gone) is fine: the server
        //  replaces it.
        char *pg_ctl = s_format ("%s/pg_ctl", self->bindir);
        char *timeout = s_format ("%d", self->timeout);
        int rc = -1;
        if (pg_ctl && timeout) {
            const char *argv[] = {pg_ctl,        "start", "-w",         "-t",
                                  timeout,       "-D",    self->pgdata, "-l",
                                  self->logpath, NULL};
            rc = s_run_tool (self, "pg_ctl start", argv, err);
        }
        else
            ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        free (pg_ctl);
        free (timeout);
        if (rc)
            return -1;
        ws_notice ("PostgreSQL cluster '%s': started (pid %d, socket in %s)",
                   self->dir, s_live_pid (self), self->rundir);
    }
    if (s_ensure_database (self, err))
        return -1;
    self->started = true;
    return 0;
}

//  pg_ctl stop in MODE (fast: roll back sessions; immediate: no
//  shutdown checkpoint, recovery at the next start).
static int
s_stop (ws_pgcluster_t *self, const char *mode, ws_err_t *err)
{
    if (!s_live_pid (self))
        return 0;
    if (s_find_bindir (self, err) || s_resolve_user (self, err))
        return -1;
    char *pg_ctl = s_format ("%s/pg_ctl", self->bindir);
    char *timeout = s_format ("%d", self->timeout);
    int rc = -1;
    if (pg_ctl && timeout) {
        const char *argv[] = {pg_ctl, "stop", "-D", self->pgdata, "-m",
                              mode,   "-w",   "-t", timeout,      NULL};
        rc = s_run_tool (self, "pg_ctl stop", argv, err);
    }
    else
        ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
    free (pg_ctl);
    free (timeout);
    //  It may have stopped on its own meanwhile.
    if (rc && !s_live_pid (self))
        rc = 0;
    if (rc == 0)
        ws_notice ("PostgreSQL cluster '%s': stopped", self->dir);
    return rc;
}

int
ws_pgcluster_stop (ws_pgcluster_t *self, ws_err_t *err)
{
    assert (self);
    self->started = false;
    return s_stop (self, "fast", err);
}

//  nftw has no argument for the callback: the first failure goes here.
//  Only tests remove clusters, one at a time.
static char s_remove_failure[256];

static int
s_remove_entry (const char *path, const struct stat *st, int type,
                struct FTW *ftw)
{
    (void) st;
    (void) type;
    (void) ftw;
    if (remove (path) == 0 || errno == ENOENT)
        return 0;
    snprintf (s_remove_failure, sizeof s_remove_failure, "'%s': %s", path,
              strerror (errno));
    return -1;
}

int
ws_pgcluster_remove (ws_pgcluster_t *self, ws_err_t *err)
{
    assert (self);
    char *marker = s_format ("%s/" WS_PGCLUSTER_MARKER, self->dir);
    bool marked = marker && s_exists (marker);
    free (marker);
    if (!marked || strcmp (self->dir, "/") == 0)
        return ws_err_set (err, WS_ERR_INPUT,
                           "refusing to remove '%s': ws_pgcluster_tempdir "
                           "did not make it (no " WS_PGCLUSTER_MARKER ")",
                           self->dir);
    if (ws_pgcluster_stop (self, err)) {
        //  Leave no server behind a test: try harder first.
        ws_warning ("%s", err ? err->text : "pg_ctl stop failed");
        if (s_stop (self, "immediate", err))
            return -1;
    }
    s_remove_failure[0] = '\0';
    if (nftw (self->dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT)
        && errno != ENOENT)
        return ws_err_set (
            err, WS_ERR_SYSTEM, "PostgreSQL cluster '%s': cannot remove %s",
            self->dir,
            s_remove_failure[0] ? s_remove_failure : strerror (errno));
    return 0;
}

const char *
ws_pgcluster_conninfo (ws_pgcluster_t *self)
{
    assert (self);
    return self->conninfo;
}

const char *
ws_pgcluster_dir (ws_pgcluster_t *self)
{
    assert (self);
    return self->dir;
}

int
ws_pgcluster_pid (ws_pgcluster_t *self)
{
    assert (self);
    return s_live_pid (self);
}

char *
ws_pgcluster_tempdir (ws_err_t *err)
{
    char *path = strdup ("/tmp/ws-XXXXXX");
    if (!path) {
        ws_err_set (err, WS_ERR_SYSTEM, "out of memory");
        return NULL;
    }
    if (!mkdtemp (path)) {
        ws_err_set (err, WS_ERR_SYSTEM, "cannot create a directory in /tmp: %s",
                    strerror (errno));
        free (path);
        return NULL;
    }
    //  mkdtemp makes it 0700; the cluster user must be able to enter.
    char *marker = s_format ("%s/" WS_PGCLUSTER_MARKER, path);
    int fd = marker
                 ? open (marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)
                 : -1;
    const char *note = "made by ws_pgcluster_tempdir: ws_pgcluster_remove "
                       "may delete this directory\n";
    bool ok = fd >= 0 && chmod (path, 0755) == 0
              && write (fd, note, strlen (note)) == (ssize_t) strlen (note);
    int code = errno;
    if (fd >= 0)
        close (fd);
    if (!ok) {
        ws_err_set (err, WS_ERR_SYSTEM, "temporary directory '%s': %s", path,
                    strerror (code));
        if (marker)
            unlink (marker);
        rmdir (path);
        free (marker);
        free (path);
        return NULL;
    }
    free (marker);
    return path;
}
