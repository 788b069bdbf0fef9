//  ws_command - run programs from the event loop without a shell: the
//  "command" alert hooks of the coordinator. A program gets its argv
//  through execve (never /bin/sh, so no quoting can turn an alert's text
//  into a command), exactly the environment it is given, its input on a
//  pipe, and a timeout; its standard output and error are captured
//  together, up to a cap, for the delivery record.
//
//  The coordinator runs for months in one thread that must never block:
//  pipes are non-blocking and watched by ws_loop, children are reaped by
//  their own pid (never waitpid (-1): the coordinator also has a
//  PostgreSQL child), and a run leaves no descriptor and no zombie
//  behind. Each program leads its own process group, so the timeout
//  kills what it started too (a shell script's children).
//
//  The process must not ignore SIGCHLD (children would vanish before
//  they are reaped). SIGPIPE may be ignored or not: a program that exits
//  without reading its input costs an EPIPE, never a signal.
#ifndef WS_COMMAND_H
#define WS_COMMAND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_err.h"
#include "ws_loop.h"

typedef struct _ws_commander_t ws_commander_t;

//  How a run ended.
typedef struct {
    int exit_status;      //  the exit code if it exited, else -1
    int signal;           //  the signal that ended it, else 0
    bool timed_out;       //  killed at the timeout
    const char *output;   //  stdout and stderr as they came, NUL-terminated
                          //  (may hold NULs itself); borrowed during the
                          //  callback
    size_t output_len;    //  at most the cap
    bool truncated;       //  more output came than the cap
    int64_t duration_ms;  //  from the start to the end of the process
} ws_command_result_t;

//  Called from the loop once per successful ws_commander_run. err is NULL
//  when the program ran, whatever its end (exit code, signal, timeout);
//  it is set when the program could not be started (execve failed: no
//  such file, not executable), naming the path. result (borrowed) is
//  never NULL.
typedef void (ws_command_done_fn) (const ws_command_result_t *result,
                                   const ws_err_t *err, void *arg);

//  A commander runs programs from loop (borrowed, must outlive it).
//  Caller owns the result.
ws_commander_t *ws_commander_new (ws_loop_t *loop);

//  Kill (SIGKILL to each process group) and reap every running program,
//  close their pipes, free the commander and NULL *self_p. Callbacks are
//  not called. Not from inside a callback. Safe on NULL and on repeat.
void ws_commander_destroy (ws_commander_t **self_p);

//  Start a program and return at once. argv (borrowed) is a JSON array
//  of strings, argv[0] an absolute path; env (borrowed, may be NULL for
//  none) a JSON object of strings that is the WHOLE environment of the
//  program: nothing of ours is inherited. stdin_data (copied) is written
//  to the program's standard input as it reads, then the pipe is closed.
//  After timeout_ms (> 0) the program's process group is killed. At most
//  output_cap bytes of output are kept; the rest is read and dropped.
//  fn (with arg) is called from the loop when the program has ended,
//  never from inside this call. Returns 0, or -1 with *err (bad argv or
//  env, naming the element; fork or pipe failed) and then fn is never
//  called.
int ws_commander_run (ws_commander_t *self, json_t *argv, json_t *env,
                      const char *stdin_data, size_t stdin_len,
                      int64_t timeout_ms, size_t output_cap,
                      ws_command_done_fn *fn, void *arg, ws_err_t *err);

//  Programs started and not yet reported.
size_t ws_commander_running (ws_commander_t *self);

//  For every module that forks (this one, ws_pgcluster): in the child,
//  between fork and execve, make in_fd standard input and out_fd standard
//  output and error, move *report_fd (the close-on-exec pipe that tells
//  the parent why execve failed) to descriptor 3 and set *report_fd to 3,
//  close every other descriptor (the child must not hold our ZeroMQ
//  sockets, listening ports or other children's pipes), then clear the
//  signal mask and reset ignored signals to their default, which execve
//  would otherwise keep (ws_loop blocks nothing but ignores SIGPIPE).
//  All three descriptors must be 3 or above (ws_command_fd_above_stdio).
//  Only async-signal-safe calls: the parent has threads (ZeroMQ's) whose
//  locks the child may hold copies of. Returns 0, or -1 with errno, and
//  then *report_fd is still open.
int ws_command_child_setup (int in_fd, int out_fd, int *report_fd);

//  Move fd to 3 or above, close-on-exec, so a child's dup2 onto 0, 1 and
//  2 never overwrites it: a daemon may run with its standard streams
//  closed, and then open () and pipe () return 0, 1 or 2. Returns the
//  new fd (fd itself when already above), or -1 with fd closed. A
//  negative fd is returned as it is.
int ws_command_fd_above_stdio (int fd);

#endif
