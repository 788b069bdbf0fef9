//  ws_loop - the one zmq_poll loop of a process (CZMQ zloop, Redis ae).
//  ZeroMQ sockets and plain fds (libpq's PQsocket, curl's sockets) are
//  waited on together: the sockets in zmq_poll's items, the fds in an
//  epoll set that zmq_poll watches as one more item. Timers and a
//  before_sleep hook run in the same thread, so no state needs a lock.
//  Signal handlers only set a flag; the loop calls the on_signal handler
//  from its own thread.
#ifndef WS_LOOP_H
#define WS_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct _ws_loop_t ws_loop_t;

//  Handlers return 0 to go on, -1 to end ws_loop_run.
typedef int (ws_loop_fn) (ws_loop_t *loop, void *arg);
typedef int (ws_loop_socket_fn) (ws_loop_t *loop, void *socket, void *arg);
typedef int (ws_loop_fd_fn) (ws_loop_t *loop, int fd, int revents, void *arg);
typedef int (ws_loop_signal_fn) (ws_loop_t *loop, int signum, void *arg);

//  Create a loop. Caller owns it.
ws_loop_t *ws_loop_new (void);

//  Destroy the loop (not the sockets it watched); NULLs *self_p.
void ws_loop_destroy (ws_loop_t **self_p);

//  Call fn when the ZeroMQ socket (borrowed) is readable.
int ws_loop_reader (ws_loop_t *self, void *socket, ws_loop_socket_fn *fn,
                    void *arg);
void ws_loop_reader_end (ws_loop_t *self, void *socket);

//  Watch fd for events (ZMQ_POLLIN | ZMQ_POLLOUT); calling it again for
//  the same fd changes the events and handler.
int ws_loop_fd (ws_loop_t *self, int fd, short events, ws_loop_fd_fn *fn,
                void *arg);
void ws_loop_fd_end (ws_loop_t *self, int fd);

//  Call fn after delay_ms, then every delay_ms if repeat. Returns a
//  timer id > 0.
int ws_loop_timer (ws_loop_t *self, int64_t delay_ms, bool repeat,
                   ws_loop_fn *fn, void *arg);
void ws_loop_timer_end (ws_loop_t *self, int id);

//  Called once per loop turn before waiting (Redis beforeSleep): the
//  place for batched writes and ACKs.
void ws_loop_set_before_sleep (ws_loop_t *self, ws_loop_fn *fn, void *arg);

//  Install SIGTERM, SIGINT, SIGHUP handlers that set a flag; the loop
//  calls fn with the signal number from its own thread.
void ws_loop_on_signal (ws_loop_t *self, ws_loop_signal_fn *fn, void *arg);

//  Make ws_loop_run return after the current turn.
void ws_loop_stop (ws_loop_t *self);

//  Run until a handler returns -1 or ws_loop_stop. Returns 0, or -1 if
//  zmq_poll failed for a reason other than a signal.
int ws_loop_run (ws_loop_t *self);

//  Monotonic clock and wall clock in milliseconds.
int64_t ws_clock_ms (void);
int64_t ws_wall_ms (void);

#endif
