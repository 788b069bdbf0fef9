//  ws_results - results kept until the coordinator ACKs them.
#include "ws_results.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ws_log.h"
#include "ws_map.h"

typedef struct s_result_t s_result_t;

struct s_result_t {
    uint64_t id;
    char *json;  //  owns; one encoded result object
    size_t len;
    uint64_t sent_epoch;  //  the connection it was sent on, 0 never
    s_result_t *prev;     //  arrival order
    s_result_t *next;
};

struct _ws_results_t {
    ws_map_t *by_id;   //  id -> s_result_t, borrowed from the list
    s_result_t *head;  //  owns the list: oldest first
    s_result_t *tail;
    s_result_t *unsent;  //  first result not sent on this connection;
                         //  every later one is unsent too
    size_t count;
    size_t unsent_count;
    size_t max;
    uint64_t epoch;          //  the connection, counted from 1
    s_result_t *free_nodes;  //  pool, linked by next
};

ws_results_t *
ws_results_new (size_t max)
{
    assert (max >= 1);
    ws_results_t *self = calloc (1, sizeof *self);
    if (!self) {
        ws_error ("worker: out of memory");
        abort ();
    }
    self->by_id = ws_map_new (NULL);
    self->max = max;
    self->epoch = 1;
    return self;
}

void
ws_results_destroy (ws_results_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_results_t *self = *self_p;
    while (self->head) {
        s_result_t *node = self->head;
        self->head = node->next;
        free (node->json);
        free (node);
    }
    while (self->free_nodes) {
        s_result_t *node = self->free_nodes;
        self->free_nodes = node->next;
        free (node);
    }
    ws_map_destroy (&self->by_id);
    free (self);
    *self_p = NULL;
}

static void
s_remove (ws_results_t *self, s_result_t *node)
{
    if (node == self->unsent)
        self->unsent = node->next;
    if (node->prev)
        node->prev->next = node->next;
    else
        self->head = node->next;
    if (node->next)
        node->next->prev = node->prev;
    else
        self->tail = node->prev;
    self->count--;
    free (node->json);
    node->json = NULL;
    node->next = self->free_nodes;
    node->prev = NULL;
    self->free_nodes = node;
}

//  Whether node waits to be sent on this connection. A node is marked
//  with the epoch it was sent in; a new connection starts a new epoch,
//  so a rewind costs O(1) and this check too.
static int
s_is_unsent (ws_results_t *self, s_result_t *node)
{
    return node->sent_epoch != self->epoch;
}

size_t
ws_results_add (ws_results_t *self, uint64_t id, char **json_p, size_t len)
{
    assert (json_p && *json_p);
    s_result_t *old = ws_map_take_int (self->by_id, id);
    if (old) {
        if (s_is_unsent (self, old))
            self->unsent_count--;
        s_remove (self, old);
    }
    size_t dropped = 0;
    if (self->count >= self->max && self->head) {
        s_result_t *oldest = self->head;
        ws_map_delete_int (self->by_id, oldest->id);
        if (s_is_unsent (self, oldest))
            self->unsent_count--;
        s_remove (self, oldest);
        dropped = 1;
    }
    s_result_t *node = self->free_nodes;
    if (node)
        self->free_nodes = node->next;
    else if (!(node = malloc (sizeof *node))) {
        ws_error ("worker: out of memory");
        abort ();
    }
    node->id = id;
    node->json = *json_p;
    node->len = len;
    node->sent_epoch = 0;
    *json_p = NULL;
    node->next = NULL;
    node->prev = self->tail;
    if (self->tail)
        self->tail->next = node;
    else
        self->head = node;
    self->tail = node;
    if (!self->unsent)
        self->unsent = node;
    self->count++;
    self->unsent_count++;
    ws_map_put_int (self->by_id, id, node);
    return dropped;
}

int
ws_results_ack (ws_results_t *self, uint64_t id)
{
    s_result_t *node = ws_map_take_int (self->by_id, id);
    if (!node)
        return 0;
    if (s_is_unsent (self, node))
        self->unsent_count--;
    s_remove (self, node);
    return 1;
}

size_t
ws_results_batch (ws_results_t *self, ws_buf_t *body, size_t max_count,
                  size_t max_bytes)
{
    ws_buf_reset (body);
    if (!self->unsent || ws_buf_append (body, "{\"results\":[", 12))
        return 0;
    size_t count = 0;
    for (s_result_t *node = self->unsent; node && count < max_count;
         node = node->next) {
        //  The first result always goes, however big: the codec's limit
        //  (the buffer's) is the only hard one.
        if (count && body->len + node->len + 3 > max_bytes)
            break;
        if ((count && ws_buf_append (body, ",", 1))
            || ws_buf_append (body, node->json, node->len))
            break;
        count++;
    }
    if (!count || ws_buf_append (body, "]}", 2)) {
        ws_buf_reset (body);
        return 0;
    }
    return count;
}

void
ws_results_sent (ws_results_t *self, size_t count)
{
    while (count-- && self->unsent) {
        self->unsent->sent_epoch = self->epoch;
        self->unsent = self->unsent->next;
        self->unsent_count--;
    }
}

void
ws_results_rewind (ws_results_t *self)
{
    self->epoch++;
    self->unsent = self->head;
    self->unsent_count = self->count;
}

size_t
ws_results_count (ws_results_t *self)
{
    return self->count;
}

size_t
ws_results_unsent (ws_results_t *self)
{
    return self->unsent_count;
}
