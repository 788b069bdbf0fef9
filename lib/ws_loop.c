//  ws_loop - the one zmq_poll loop of a process.
#include "ws_loop.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

typedef struct {
    void *socket;  //  borrowed
    short events;
    ws_loop_socket_fn *socket_fn;
    void *arg;
    bool deleted;
} s_item_t;

typedef struct {
    int id;
    int64_t delay;
    int64_t when;
    bool repeat;
    ws_loop_fn *fn;
    void *arg;
    bool deleted;
} s_timer_t;

//  A plain fd (curl's sockets, libpq's) lives in an epoll set, indexed
//  by its number: a worker has hundreds of them, and passing them all to
//  zmq_poll on every turn (poll(2) is O(n)) and finding one by a scan
//  cost more than the fetches. zmq_poll sees only the epoll fd.
typedef struct {
    bool active;
    short events;
    ws_loop_fd_fn *fn;
    void *arg;
} s_fd_t;

struct _ws_loop_t {
    s_item_t *items;  //  owns
    size_t nitems, maxitems;
    s_timer_t *timers;  //  owns
    size_t ntimers, maxtimers;
    int next_timer_id;
    ws_loop_fn *before_sleep;
    void *before_sleep_arg;
    ws_loop_signal_fn *signal_fn;
    void *signal_arg;
    bool stopped;
    int epoll_fd;  //  owns
    s_fd_t *fds;   //  owns; indexed by fd
    size_t maxfds;
    size_t nfds;  //  active fds
};

static volatile sig_atomic_t s_signals[3];  //  SIGTERM, SIGINT, SIGHUP
static const int s_signums[3] = {SIGTERM, SIGINT, SIGHUP};

static void
s_signal_handler (int signum)
{
    for (int i = 0; i < 3; i++)
        if (s_signums[i] == signum)
            s_signals[i] = 1;
}

//  Out of memory in the loop's own bookkeeping: log and abort (Redis).
static void *
s_grow (void *array, size_t *max, size_t size)
{
    size_t next = *max ? *max * 2 : 16;
    void *grown = realloc (array, next * size);
    if (!grown)
        abort ();
    *max = next;
    return grown;
}

int64_t
ws_clock_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ws_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ws_loop_t *
ws_loop_new (void)
{
    ws_loop_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->next_timer_id = 1;
    self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    if (self->epoll_fd < 0)
        abort ();
    return self;
}

void
ws_loop_destroy (ws_loop_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->items);
        free ((*self_p)->fds);
        close ((*self_p)->epoll_fd);
        free ((*self_p)->timers);
        free (*self_p);
        *self_p = NULL;
    }
}

static s_item_t *
s_find_item (ws_loop_t *self, void *socket)
{
    for (size_t i = 0; i < self->nitems; i++) {
        s_item_t *item = &self->items[i];
        if (item->deleted)
            continue;
        if (item->socket == socket)
            return item;
    }
    return NULL;
}

static s_item_t *
s_new_item (ws_loop_t *self)
{
    if (self->nitems == self->maxitems)
        self->items = s_grow (self->items, &self->maxitems, sizeof (s_item_t));
    s_item_t *item = &self->items[self->nitems++];
    memset (item, 0, sizeof *item);
    return item;
}

int
ws_loop_reader (ws_loop_t *self, void *socket, ws_loop_socket_fn *fn, void *arg)
{
    assert (self && socket);
    s_item_t *item = s_find_item (self, socket);
    if (!item)
        item = s_new_item (self);
    item->socket = socket;
    item->events = ZMQ_POLLIN;
    item->socket_fn = fn;
    item->arg = arg;
    return 0;
}

void
ws_loop_reader_end (ws_loop_t *self, void *socket)
{
    s_item_t *item = s_find_item (self, socket);
    if (item)
        item->deleted = true;
}

static uint32_t
s_epoll_events (short events)
{
    return (events & ZMQ_POLLIN ? EPOLLIN : 0)
           | (events & ZMQ_POLLOUT ? EPOLLOUT : 0);
}

int
ws_loop_fd (ws_loop_t *self, int fd, short events, ws_loop_fd_fn *fn, void *arg)
{
    assert (self && fd >= 0);
    if ((size_t) fd >= self->maxfds) {
        size_t max = self->maxfds ? self->maxfds : 64;
        while (max <= (size_t) fd)
            max *= 2;
        s_fd_t *fds = realloc (self->fds, max * sizeof *fds);
        if (!fds)
            abort ();
        memset (fds + self->maxfds, 0, (max - self->maxfds) * sizeof *fds);
        self->fds = fds;
        self->maxfds = max;
    }
    s_fd_t *entry = &self->fds[fd];
    struct epoll_event event;
    memset (&event, 0, sizeof event);
    event.events = s_epoll_events (events);
    event.data.fd = fd;
    //  An fd closed without ws_loop_fd_end left the epoll set on its own;
    //  its number may come back: MOD then fails and ADD is right.
    int rc = -1;
    if (entry->active)
        rc = epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, fd, &event);
    if (rc)
        rc = epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &event);
    if (rc && errno == EEXIST)
        rc = epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, fd, &event);
    if (rc)
        return -1;
    if (!entry->active)
        self->nfds++;
    entry->active = true;
    entry->events = events;
    entry->fn = fn;
    entry->arg = arg;
    return 0;
}

void
ws_loop_fd_end (ws_loop_t *self, int fd)
{
    if (fd < 0 || (size_t) fd >= self->maxfds || !self->fds[fd].active)
        return;
    epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    self->fds[fd].active = false;
    self->nfds--;
}

//  Call the handlers of the fds that are ready. Returns -1 to stop.
static int
s_dispatch_fds (ws_loop_t *self)
{
    struct epoll_event events[256];
    int ready = epoll_wait (self->epoll_fd, events, 256, 0);
    for (int i = 0; i < ready; i++) {
        int fd = events[i].data.fd;
        //  An earlier handler of this turn may have ended this fd.
        if ((size_t) fd >= self->maxfds || !self->fds[fd].active)
            continue;
        s_fd_t entry = self->fds[fd];
        uint32_t got = events[i].events;
        int revents = (got & EPOLLIN ? ZMQ_POLLIN : 0)
                      | (got & EPOLLOUT ? ZMQ_POLLOUT : 0)
                      | (got & (EPOLLERR | EPOLLHUP) ? ZMQ_POLLERR : 0);
        //  poll(2) reports a hang-up as readable too; handlers expect it.
        if (got & EPOLLHUP)
            revents |= entry.events & ZMQ_POLLIN;
        if (entry.fn (self, fd, revents, entry.arg))
            return -1;
    }
    return 0;
}

int
ws_loop_timer (ws_loop_t *self, int64_t delay_ms, bool repeat, ws_loop_fn *fn,
               void *arg)
{
    assert (self && fn);
    if (self->ntimers == self->maxtimers)
        self->timers =
            s_grow (self->timers, &self->maxtimers, sizeof (s_timer_t));
    s_timer_t *timer = &self->timers[self->ntimers++];
    timer->id = self->next_timer_id++;
    timer->delay = delay_ms < 0 ? 0 : delay_ms;
    timer->when = ws_clock_ms () + timer->delay;
    timer->repeat = repeat;
    timer->fn = fn;
    timer->arg = arg;
    timer->deleted = false;
    return timer->id;
}

void
ws_loop_timer_end (ws_loop_t *self, int id)
{
    for (size_t i = 0; i < self->ntimers; i++)
        if (self->timers[i].id == id)
            self->timers[i].deleted = true;
}

void
ws_loop_set_before_sleep (ws_loop_t *self, ws_loop_fn *fn, void *arg)
{
    self->before_sleep = fn;
    self->before_sleep_arg = arg;
}

void
ws_loop_on_signal (ws_loop_t *self, ws_loop_signal_fn *fn, void *arg)
{
    self->signal_fn = fn;
    self->signal_arg = arg;
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_signal_handler;
    sigemptyset (&action.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaction (s_signums[i], &action, NULL);
    signal (SIGPIPE, SIG_IGN);
}

void
ws_loop_stop (ws_loop_t *self)
{
    self->stopped = true;
}

static void
s_compact (ws_loop_t *self)
{
    size_t keep = 0;
    for (size_t i = 0; i < self->nitems; i++)
        if (!self->items[i].deleted)
            self->items[keep++] = self->items[i];
    self->nitems = keep;
    keep = 0;
    for (size_t i = 0; i < self->ntimers; i++)
        if (!self->timers[i].deleted)
            self->timers[keep++] = self->timers[i];
    self->ntimers = keep;
}

static int
s_dispatch_signals (ws_loop_t *self)
{
    for (int i = 0; i < 3; i++)
        if (s_signals[i]) {
            s_signals[i] = 0;
            if (self->signal_fn
                && self->signal_fn (self, s_signums[i], self->signal_arg))
                return -1;
        }
    return 0;
}

//  Runs due timers. A timer added by a handler runs on a later turn.
static int
s_run_timers (ws_loop_t *self)
{
    int64_t now = ws_clock_ms ();
    size_t count = self->ntimers;
    for (size_t i = 0; i < count; i++) {
        s_timer_t *timer = &self->timers[i];
        if (timer->deleted || timer->when > now)
            continue;
        if (timer->repeat)
            timer->when = now + timer->delay;
        else
            timer->deleted = true;
        int id = timer->id;
        ws_loop_fn *fn = timer->fn;
        void *arg = timer->arg;
        if (fn (self, arg))
            return -1;
        (void) id;
    }
    return 0;
}

int
ws_loop_run (ws_loop_t *self)
{
    zmq_pollitem_t *pollset = NULL;
    size_t maxpoll = 0;
    int rc = 0;
    self->stopped = false;
    while (!self->stopped) {
        if (s_dispatch_signals (self) || self->stopped)
            break;
        if (s_run_timers (self))
            break;
        if (self->before_sleep
            && self->before_sleep (self, self->before_sleep_arg))
            break;
        if (self->stopped)
            break;
        s_compact (self);

        //  Wait until the next timer, at most 250 ms so a signal that
        //  lands just before zmq_poll is seen soon.
        int64_t timeout = 250;
        int64_t now = ws_clock_ms ();
        for (size_t i = 0; i < self->ntimers; i++) {
            int64_t wait = self->timers[i].when - now;
            if (wait < timeout)
                timeout = wait < 0 ? 0 : wait;
        }
        if (self->nitems + 1 > maxpoll) {
            maxpoll = self->nitems + 1;
            pollset = realloc (pollset, maxpoll * sizeof *pollset);
            if (!pollset)
                abort ();
        }
        size_t npoll = self->nitems;
        for (size_t i = 0; i < npoll; i++) {
            pollset[i].socket = self->items[i].socket;
            pollset[i].fd = 0;
            pollset[i].events = self->items[i].events;
            pollset[i].revents = 0;
        }
        //  The epoll set of plain fds is one more item, last.
        pollset[npoll].socket = NULL;
        pollset[npoll].fd = self->epoll_fd;
        pollset[npoll].events = ZMQ_POLLIN;
        pollset[npoll].revents = 0;
        bool with_fds = self->nfds > 0;
        int ready = zmq_poll (pollset, (int) (npoll + (with_fds ? 1 : 0)),
                              (long) timeout);
        if (ready == -1) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        for (size_t i = 0; i < npoll && ready > 0; i++) {
            if (!pollset[i].revents)
                continue;
            s_item_t *item = &self->items[i];
            if (item->deleted)
                continue;
            if (item->socket_fn (self, item->socket, item->arg)) {
                self->stopped = true;
                break;
            }
        }
        if (!self->stopped && with_fds && pollset[npoll].revents
            && s_dispatch_fds (self))
            self->stopped = true;
    }
    free (pollset);
    return rc;
}
