//  ws_command - run programs from the event loop without a shell.
//
//  A run owns three pipes: the program's input (we write, non-blocking,
//  as it reads), its output (standard output and error together; we
//  read, non-blocking) and a close-on-exec report pipe on which the child
//  writes errno when execve fails (nothing arrives when it succeeds).
//  A run ends when its output pipe is closed (end of file, or closed by
//  us at the timeout) and the child is reaped. The child is reaped only
//  after its output pipe closed: until then its pid, and so its process
//  group id, cannot be reused, so the timeout's kill of the group can
//  never hit a stranger.
#include "ws_command.h"

#include "ws_buf.h"
#include "ws_log.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

//  While any program runs, children are checked this often for their end
//  (waitpid) and their deadline: a program whose output closed is
//  reported within this time.
#define WS_COMMAND_TICK_MS 20

//  Bytes read from one output pipe per wake-up at most, so one chatty
//  program cannot hold the loop.
#define WS_COMMAND_READ_MAX (256 * 1024)

//  Why a child failed before or at execve, sent to the parent over the
//  close-on-exec report pipe.
typedef struct {
    int stage;  //  index into s_stages
    int code;   //  errno
} s_child_failure_t;

static const char *s_stages[] = {"cannot set up descriptors", "cannot execute"};

typedef struct _s_child_t s_child_t;

struct _s_child_t {
    s_child_t *next;            //  next in the commander's list
    ws_commander_t *commander;  //  borrowed: the owner
    ws_loop_t *loop;            //  borrowed
    pid_t pid;
    bool reaped;  //  waitpid returned it: pid no longer ours
    int status;   //  from waitpid; valid if reaped and status_known
    bool status_known;
    char *path;     //  owns: argv[0], for errors
    int input_fd;   //  owns: write end of its stdin, -1 when closed
    int output_fd;  //  owns: read end of its stdout+stderr, -1 when closed
    int report_fd;  //  owns: read end of the report pipe, -1 when closed
    char *input;    //  owns: stdin data
    size_t input_len;
    size_t input_sent;
    ws_buf_t output;  //  owns: kept output, limit = the cap
    bool truncated;
    int64_t started;
    int64_t deadline;
    int64_t ended;
    bool timed_out;
    ws_command_done_fn *fn;
    void *arg;
};

struct _ws_commander_t {
    ws_loop_t *loop;      //  borrowed
    s_child_t *children;  //  owns the list and each child
    size_t running;       //  children in the list
    int timer_id;         //  the pending tick, 0 if none
    int64_t timer_when;   //  when it fires
    bool reporting;       //  callbacks are running
};

static int s_on_tick (ws_loop_t *loop, void *arg);

int
ws_command_fd_above_stdio (int fd)
{
    if (fd < 0)
        return fd;
    if (fd > 2) {
        if (fcntl (fd, F_SETFD, FD_CLOEXEC) == 0)
            return fd;
        int code = errno;
        close (fd);
        errno = code;
        return -1;
    }
    int moved = fcntl (fd, F_DUPFD_CLOEXEC, 3);
    int code = errno;
    close (fd);
    errno = code;
    return moved;
}

int
ws_command_child_setup (int in_fd, int out_fd, int *report_fd)
{
    //  dup2 clears close-on-exec on 0, 1 and 2: the program keeps them.
    if (dup2 (in_fd, 0) < 0 || dup2 (out_fd, 1) < 0 || dup2 (out_fd, 2) < 0)
        return -1;
    if (*report_fd != 3 && dup2 (*report_fd, 3) < 0)
        return -1;
    if (fcntl (3, F_SETFD, FD_CLOEXEC) < 0)
        return -1;
    *report_fd = 3;
    closefrom (4);

    //  Blocked and ignored signals stay so across execve (handlers do
    //  not: they go back to the default by themselves). Programs expect
    //  the defaults: a shell script's 'yes | head' needs SIGPIPE.
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset (&action.sa_mask);
    for (int signum = 1; signum < NSIG; signum++) {
        struct sigaction old;
        //  Numbers the C library reserves fail here; that is fine.
        if (sigaction (signum, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            sigaction (signum, &action, NULL);
    }
    return 0;
}

//  After fork: only async-signal-safe calls until execve. Never returns.
static void
s_child_exec (char *const argv[], char *const envp[], int in_fd, int out_fd,
              int report_fd)
{
    s_child_failure_t failure = {0, 0};
    //  Lead a process group of our own, so the timeout kills whatever the
    //  program starts too. The parent does the same, whichever runs first.
    setpgid (0, 0);
    if (ws_command_child_setup (in_fd, out_fd, &report_fd) == 0) {
        failure.stage = 1;
        execve (argv[0], argv, envp);
    }
    failure.code = errno;
    if (write (report_fd, &failure, sizeof failure) < 0)
        _exit (126);
    _exit (127);
}

//  write without dying of SIGPIPE, whatever its disposition: block it,
//  write, and take back the SIGPIPE this write raised (libpq's
//  pq_block_sigpipe). errno as write sets it.
static ssize_t
s_write_quietly (int fd, const void *data, size_t len)
{
    sigset_t pipe_set, old_mask, pending;
    sigemptyset (&pipe_set);
    sigaddset (&pipe_set, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &pipe_set, &old_mask);
    sigemptyset (&pending);
    sigpending (&pending);
    bool was_pending = sigismember (&pending, SIGPIPE) == 1;
    ssize_t put = write (fd, data, len);
    int code = errno;
    if (put < 0 && code == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
    errno = code;
    return put;
}

static void
s_close_fd (ws_loop_t *loop, int *fd_p, bool watched)
{
    if (*fd_p < 0)
        return;
    if (watched)
        ws_loop_fd_end (loop, *fd_p);
    close (*fd_p);
    *fd_p = -1;
}

//  Free a child and close what is still open. Does not kill or reap.
static void
s_child_destroy (s_child_t **child_p)
{
    s_child_t *child = *child_p;
    if (!child)
        return;
    s_close_fd (child->loop, &child->input_fd, true);
    s_close_fd (child->loop, &child->output_fd, true);
    s_close_fd (child->loop, &child->report_fd, false);
    ws_buf_free (&child->output);
    free (child->input);
    free (child->path);
    free (child);
    *child_p = NULL;
}

//  Write input while the pipe takes it; close it when all is written or
//  the program will take no more (EPIPE: it exited or closed its stdin).
static void
s_write_input (s_child_t *child)
{
    while (child->input_fd >= 0 && child->input_sent < child->input_len) {
        ssize_t put =
            s_write_quietly (child->input_fd, child->input + child->input_sent,
                             child->input_len - child->input_sent);
        if (put > 0)
            child->input_sent += (size_t) put;
        else if (put < 0 && errno == EINTR)
            continue;
        else if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        else
            break;
    }
    s_close_fd (child->loop, &child->input_fd, true);
}

//  Keep what fits under the cap, drop the rest.
static void
s_keep_output (s_child_t *child, const char *bytes, size_t len)
{
    size_t room = child->output.limit - child->output.len;
    size_t keep = len < room ? len : room;
    //  Out of memory for output: keep what we have and say it is cut.
    if (keep && ws_buf_append (&child->output, bytes, keep))
        keep = 0;
    if (keep < len)
        child->truncated = true;
}

//  Read what the output pipe holds now, up to WS_COMMAND_READ_MAX.
//  Closes the pipe at end of file or on an error.
static void
s_read_output (s_child_t *child)
{
    char chunk[65536];
    size_t total = 0;
    while (child->output_fd >= 0 && total < WS_COMMAND_READ_MAX) {
        ssize_t got = read (child->output_fd, chunk, sizeof chunk);
        if (got > 0) {
            s_keep_output (child, chunk, (size_t) got);
            total += (size_t) got;
        }
        else if (got < 0 && errno == EINTR)
            continue;
        else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        else
            s_close_fd (child->loop, &child->output_fd, true);
    }
}

//  Reap the child if its output is closed (see the top of the file for
//  why not before) and it has ended.
static void
s_try_reap (s_child_t *child)
{
    if (child->reaped || child->output_fd >= 0)
        return;
    int status = 0;
    pid_t got;
    do
        got = waitpid (child->pid, &status, WNOHANG);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        return;
    child->reaped = true;
    child->ended = ws_clock_ms ();
    if (got == child->pid) {
        child->status = status;
        child->status_known = true;
    }
    else
        //  ECHILD: someone reaped it for us (SIGCHLD ignored, or a
        //  waitpid (-1) elsewhere); its end is unknown.
        ws_warning ("command '%s': pid %d was reaped elsewhere (%s), its "
                    "exit status is lost",
                    child->path, (int) child->pid, strerror (errno));
}

//  SIGKILL the child's process group. Only while it is not reaped: then
//  pid and group are still ours. The second kill covers a child that
//  has not yet made its group.
static void
s_kill (s_child_t *child)
{
    assert (!child->reaped);
    kill (-child->pid, SIGKILL);
    kill (child->pid, SIGKILL);
}

//  The deadline passed: kill, keep what output is already there, and stop
//  listening (a process that left the group may hold the pipe open).
static void
s_time_out (s_child_t *child)
{
    s_kill (child);
    child->timed_out = true;
    s_read_output (child);
    s_close_fd (child->loop, &child->output_fd, true);
    s_close_fd (child->loop, &child->input_fd, true);
}

//  Fire the tick at the next deadline, at most WS_COMMAND_TICK_MS from
//  now, while any child runs.
static void
s_arm (ws_commander_t *self)
{
    if (!self->children) {
        if (self->timer_id)
            ws_loop_timer_end (self->loop, self->timer_id);
        self->timer_id = 0;
        return;
    }
    int64_t now = ws_clock_ms ();
    int64_t when = now + WS_COMMAND_TICK_MS;
    for (s_child_t *child = self->children; child; child = child->next)
        if (!child->timed_out && child->deadline < when)
            when = child->deadline < now ? now : child->deadline;
    if (self->timer_id && self->timer_when <= when)
        return;
    if (self->timer_id)
        ws_loop_timer_end (self->loop, self->timer_id);
    self->timer_id =
        ws_loop_timer (self->loop, when - now, false, s_on_tick, self);
    self->timer_when = when;
}

//  Report a finished child to its callback and free it.
static void
s_report (s_child_t *child)
{
    ws_command_result_t result;
    memset (&result, 0, sizeof result);
    result.exit_status = -1;
    if (child->status_known && WIFEXITED (child->status))
        result.exit_status = WEXITSTATUS (child->status);
    if (child->status_known && WIFSIGNALED (child->status))
        result.signal = WTERMSIG (child->status);
    result.timed_out = child->timed_out;
    result.output = child->output.data ? child->output.data : "";
    result.output_len = child->output.len;
    result.truncated = child->truncated;
    result.duration_ms = child->ended - child->started;

    //  The child has ended, so the report pipe holds all it will.
    s_child_failure_t failure;
    ssize_t got;
    do
        got = read (child->report_fd, &failure, sizeof failure);
    while (got < 0 && errno == EINTR);
    ws_err_t err;
    ws_err_clear (&err);
    bool failed = got == (ssize_t) sizeof failure;
    if (failed) {
        int stage = failure.stage;
        if (stage < 0 || stage >= (int) (sizeof s_stages / sizeof *s_stages))
            stage = 0;
        ws_err_set (&err,
                    failure.code == ENOENT ? WS_ERR_NOTFOUND : WS_ERR_SYSTEM,
                    "command '%s': %s: %s", child->path, s_stages[stage],
                    strerror (failure.code));
    }
    child->fn (&result, failed ? &err : NULL, child->arg);
    s_child_destroy (&child);
}

//  Take the finished children off the list, then report them: a
//  callback may start new runs, which go onto the list.
static void
s_report_finished (ws_commander_t *self)
{
    s_child_t *finished = NULL, **last = &finished;
    s_child_t **link = &self->children;
    while (*link) {
        s_child_t *child = *link;
        if (child->reaped && child->output_fd < 0) {
            *link = child->next;
            child->next = NULL;
            *last = child;
            last = &child->next;
            self->running--;
        }
        else
            link = &child->next;
    }
    self->reporting = true;
    while (finished) {
        s_child_t *child = finished;
        finished = child->next;
        s_report (child);
    }
    self->reporting = false;
    s_arm (self);
}

static int
s_on_tick (ws_loop_t *loop, void *arg)
{
    (void) loop;
    ws_commander_t *self = arg;
    self->timer_id = 0;  //  a one-shot timer ends by itself
    int64_t now = ws_clock_ms ();
    for (s_child_t *child = self->children; child; child = child->next) {
        if (!child->reaped && !child->timed_out && now >= child->deadline)
            s_time_out (child);
        s_try_reap (child);
    }
    s_report_finished (self);
    return 0;
}

//  The loop may hand us an event of an fd that an earlier handler of the
//  same turn closed and a new run reopened: check the fd, and treat the
//  event as a hint (reads and writes are non-blocking).
static int
s_on_input (ws_loop_t *loop, int fd, int revents, void *arg)
{
    (void) loop;
    (void) revents;
    s_child_t *child = arg;
    if (fd == child->input_fd)
        s_write_input (child);
    return 0;
}

static int
s_on_output (ws_loop_t *loop, int fd, int revents, void *arg)
{
    (void) loop;
    (void) revents;
    s_child_t *child = arg;
    if (fd != child->output_fd)
        return 0;
    s_read_output (child);
    if (child->output_fd < 0) {
        //  Most programs end as their output closes: report at once
        //  rather than at the next tick. The child may be freed here.
        s_try_reap (child);
        if (child->reaped)
            s_report_finished (child->commander);
    }
    return 0;
}

ws_commander_t *
ws_commander_new (ws_loop_t *loop)
{
    assert (loop);
    ws_commander_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->loop = loop;
    return self;
}

void
ws_commander_destroy (ws_commander_t **self_p)
{
    assert (self_p);
    ws_commander_t *self = *self_p;
    if (!self)
        return;
    //  The callbacks' loop would go on with freed children.
    assert (!self->reporting);
    //  Kill all first, then reap: the children die in parallel.
    for (s_child_t *child = self->children; child; child = child->next)
        if (!child->reaped)
            s_kill (child);
    while (self->children) {
        s_child_t *child = self->children;
        self->children = child->next;
        //  Close first: a child blocked writing to a full pipe must not
        //  wait for us, though SIGKILL does not wait for that either.
        s_close_fd (self->loop, &child->input_fd, true);
        s_close_fd (self->loop, &child->output_fd, true);
        while (!child->reaped && waitpid (child->pid, NULL, 0) < 0
               && errno == EINTR)
            ;
        s_child_destroy (&child);
    }
    if (self->timer_id)
        ws_loop_timer_end (self->loop, self->timer_id);
    free (self);
    *self_p = NULL;
}

//  argv as execve wants it: pointers into the JSON strings (borrowed,
//  valid during the run call). Caller owns the array. NULL with *err
//  naming the element at fault.
static char **
s_build_argv (json_t *argv, ws_err_t *err)
{
    if (!json_is_array (argv) || json_array_size (argv) == 0) {
        ws_err_set (err, WS_ERR_INPUT,
                    "command argv: expected a non-empty array of strings");
        ws_err_where (err, "/argv");
        return NULL;
    }
    size_t count = json_array_size (argv);
    for (size_t i = 0; i < count; i++) {
        json_t *arg = json_array_get (argv, i);
        if (!json_is_string (arg)) {
            ws_err_set (err, WS_ERR_INPUT, "command argv[%zu]: not a string",
                        i);
            ws_err_where (err, "/argv/%zu", i);
            return NULL;
        }
        //  execve takes C strings: a NUL would silently cut the argument.
        if (strlen (json_string_value (arg)) != json_string_length (arg)) {
            ws_err_set (err, WS_ERR_INPUT,
                        "command argv[%zu]: holds a NUL character", i);
            ws_err_where (err, "/argv/%zu", i);
            return NULL;
        }
    }
    const char *path = json_string_value (json_array_get (argv, 0));
    //  No PATH search: the program run is the one named.
    if (path[0] != '/') {
        ws_err_set (err, WS_ERR_INPUT,
                    "command argv[0] '%s': not an absolute path", path);
        ws_err_where (err, "/argv/0");
        return NULL;
    }
    char **array = calloc (count + 1, sizeof *array);
    if (!array) {
        ws_err_set (err, WS_ERR_SYSTEM, "command '%s': out of memory", path);
        return NULL;
    }
    for (size_t i = 0; i < count; i++)
        array[i] = (char *) json_string_value (json_array_get (argv, i));
    return array;
}

static void
s_free_env (char **envp)
{
    for (size_t i = 0; envp && envp[i]; i++)
        free (envp[i]);
    free (envp);
}

//  envp as execve wants it, "NAME=value" each; caller owns the array and
//  the strings. NULL with *err naming the variable at fault.
static char **
s_build_env (const char *path, json_t *env, ws_err_t *err)
{
    if (env && !json_is_object (env)) {
        ws_err_set (err, WS_ERR_INPUT,
                    "command '%s': env: expected an object of strings", path);
        ws_err_where (err, "/env");
        return NULL;
    }
    char **envp = calloc (json_object_size (env) + 1, sizeof *envp);
    if (!envp) {
        ws_err_set (err, WS_ERR_SYSTEM, "command '%s': out of memory", path);
        return NULL;
    }
    size_t count = 0;
    const char *name;
    json_t *value;
    json_object_foreach (env, name, value) {
        const char *problem = NULL;
        if (!json_is_string (value))
            problem = "not a string";
        else if (strlen (json_string_value (value))
                 != json_string_length (value))
            problem = "holds a NUL character";
        //  getenv would read NAME=A=B as the variable NAME.
        else if (name[0] == '\0' || strchr (name, '='))
            problem = "a name must be non-empty and hold no '='";
        if (problem) {
            ws_err_set (err, WS_ERR_INPUT, "command '%s': env '%s': %s", path,
                        name, problem);
            ws_err_where (err, "/env/%s", name);
            s_free_env (envp);
            return NULL;
        }
        size_t len = strlen (name) + 1 + json_string_length (value) + 1;
        envp[count] = malloc (len);
        if (!envp[count]) {
            ws_err_set (err, WS_ERR_SYSTEM, "command '%s': out of memory",
                        path);
            s_free_env (envp);
            return NULL;
        }
        snprintf (envp[count], len, "%s=%s", name, json_string_value (value));
        count++;
    }
    return envp;
}

//  A pipe whose ends are both 3 or above and close-on-exec (so no other
//  child inherits them), the parent's end (0 = read, 1 = write)
//  non-blocking. 0, or -1 with errno and nothing open.
static int
s_pipe (int fds[2], int parent_end)
{
    if (pipe (fds))
        return -1;
    fds[0] = ws_command_fd_above_stdio (fds[0]);
    fds[1] = ws_command_fd_above_stdio (fds[1]);
    if (fds[0] >= 0 && fds[1] >= 0) {
        int flags = fcntl (fds[parent_end], F_GETFL);
        if (flags >= 0
            && fcntl (fds[parent_end], F_SETFL, flags | O_NONBLOCK) == 0)
            return 0;
    }
    int code = errno;
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close (fds[i]);
    fds[0] = fds[1] = -1;
    errno = code;
    return -1;
}

int
ws_commander_run (ws_commander_t *self, json_t *argv, json_t *env,
                  const char *stdin_data, size_t stdin_len, int64_t timeout_ms,
                  size_t output_cap, ws_command_done_fn *fn, void *arg,
                  ws_err_t *err)
{
    assert (self);
    assert (fn);
    assert (stdin_data || stdin_len == 0);
    char **args = s_build_argv (argv, err);
    if (!args)
        return -1;
    const char *path = args[0];
    if (timeout_ms <= 0) {
        free (args);
        return ws_err_set (err, WS_ERR_INPUT,
                           "command '%s': timeout %lld ms: must be above 0",
                           path, (long long) timeout_ms);
    }
    char **envp = s_build_env (path, env, err);
    if (!envp) {
        free (args);
        return -1;
    }
    s_child_t *child = calloc (1, sizeof *child);
    if (child) {
        child->commander = self;
        child->loop = self->loop;
        child->input_fd = child->output_fd = child->report_fd = -1;
        ws_buf_init (&child->output, output_cap);
        child->path = strdup (path);
        child->input = malloc (stdin_len ? stdin_len : 1);
        child->input_len = stdin_len;
        child->fn = fn;
        child->arg = arg;
    }
    if (!child || !child->path || !child->input) {
        ws_err_set (err, WS_ERR_SYSTEM, "command '%s': out of memory", path);
        goto failed;
    }
    if (stdin_len)
        memcpy (child->input, stdin_data, stdin_len);

    //  in[0], out[1] and report[1] go to the child; the parent keeps the
    //  other ends and closes these after fork.
    int in[2] = {-1, -1}, out[2] = {-1, -1}, report[2] = {-1, -1};
    if (s_pipe (in, 1) || s_pipe (out, 0) || s_pipe (report, 0)) {
        int code = errno;
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0)
                close (in[i]);
            if (out[i] >= 0)
                close (out[i]);
        }
        ws_err_set (err, WS_ERR_SYSTEM, "command '%s': cannot make a pipe: %s",
                    path, strerror (code));
        goto failed;
    }
    child->input_fd = in[1];
    child->output_fd = out[0];
    child->report_fd = report[0];
    child->started = ws_clock_ms ();
    child->deadline = child->started + timeout_ms;
    pid_t pid = fork ();
    if (pid == 0)
        s_child_exec (args, envp, in[0], out[1], report[1]);
    int fork_errno = errno;
    close (in[0]);
    close (out[1]);
    close (report[1]);
    if (pid < 0) {
        ws_err_set (err, WS_ERR_SYSTEM, "command '%s': cannot fork: %s", path,
                    strerror (fork_errno));
        goto failed;
    }
    child->pid = pid;
    //  Also here, so the group exists before we could need to kill it.
    //  EACCES once the child has run execve: then it did it itself.
    setpgid (pid, pid);
    free (args);
    args = NULL;
    s_free_env (envp);
    envp = NULL;

    if (ws_loop_fd (self->loop, child->output_fd, ZMQ_POLLIN, s_on_output,
                    child)
        || (stdin_len
            && ws_loop_fd (self->loop, child->input_fd, ZMQ_POLLOUT, s_on_input,
                           child))) {
        int code = errno;
        s_kill (child);
        s_close_fd (self->loop, &child->input_fd, true);
        s_close_fd (self->loop, &child->output_fd, true);
        while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
            ;
        ws_err_set (err, WS_ERR_SYSTEM,
                    "command '%s': cannot watch its pipes: %s", path,
                    strerror (code));
        goto failed;
    }
    //  Nothing to write: the program reads end of file at once.
    if (!stdin_len)
        s_close_fd (self->loop, &child->input_fd, false);

    child->next = self->children;
    self->children = child;
    self->running++;
    s_arm (self);
    return 0;

failed:
    free (args);
    s_free_env (envp);
    s_child_destroy (&child);
    return -1;
}

size_t
ws_commander_running (ws_commander_t *self)
{
    assert (self);
    return self->running;
}
