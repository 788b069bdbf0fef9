//  ws_coord_probe - 'watershed source test': one fetch of a source
//  through a worker, answered to the client with what the worker found
//  (PROTOCOL.md 4.3.5). Nothing is stored: a probe job has no source
//  id, its result writes no sample and no health.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_coord_private.h"
#include "ws_log.h"
#include "ws_source.h"
#include "ws_time.h"

//  A client waiting for its probe.
struct s_probe {
    uint64_t job_id;
    uint8_t peer[WS_MSG_MAX_ROUTING_ID];
    size_t peer_len;
    json_int_t request_id;
    s_probe_t *next;
};

static s_probe_t *
s_take (ws_coord_t *self, uint64_t job_id)
{
    for (s_probe_t **at = &self->probes; *at; at = &(*at)->next)
        if ((*at)->job_id == job_id) {
            s_probe_t *probe = *at;
            *at = probe->next;
            return probe;
        }
    return NULL;
}

typedef struct {
    const char *name;
    ws_sched_source_t *found;
} s_find_t;

static void
s_find (ws_sched_source_t *source, void *arg)
{
    s_find_t *find = arg;
    if (!find->found && strcmp (source->name, find->name) == 0)
        find->found = source;
}

static int
s_count_ready (const void *key, size_t len, void *value, void *arg)
{
    (void) key;
    (void) len;
    s_worker_t *worker = value;
    *(size_t *) arg += worker->last_seen != 0;
    return 0;
}

void
ws_coord_probe_request (ws_coord_t *self, const uint8_t *peer, size_t peer_len,
                        json_int_t id, json_t *args)
{
    ws_err_t err;
    ws_err_clear (&err);
    const char *name = json_string_value (json_object_get (args, "name"));
    json_t *def = json_object_get (args, "source");
    ws_source_t *source = NULL;
    json_t *normal = NULL;
    if (json_is_object (def)) {
        //  A definition not applied yet: checked as an apply would.
        source = ws_source_new (def, &err);
        if (!source)
            ws_err_prefix (&err, "source");
    }
    else if (name) {
        //  By name: the definition the coordinator collects with.
        s_find_t find = {name, NULL};
        ws_sched_each (self->sched, s_find, &find);
        ws_sched_source_t *known = find.found;
        if (!known)
            ws_err_set (&err, WS_ERR_NOTFOUND, "source '%s': no such source",
                        name);
        else
            source = ws_source_new (known->def, &err);
    }
    else
        ws_err_set (&err, WS_ERR_INPUT,
                    "probe: expected \"name\" or \"source\"");
    size_t ready = 0;
    ws_map_each (self->workers_by_id, s_count_ready, &ready);
    if (source && !ready)
        ws_err_set (&err, WS_ERR_NOTFOUND,
                    "no worker connected to run the test");
    if (!source || !ready) {
        ws_source_destroy (&source);
        ws_coord_reply (self, peer, peer_len, id, NULL, &err);
        return;
    }
    normal = ws_source_to_json (source);
    char *text = normal ? json_dumps (normal, JSON_COMPACT) : NULL;
    json_decref (normal);
    s_job_t *job = calloc (1, sizeof *job);
    size_t size = text ? strlen (text) + 16 : 0;
    char *payload = text ? malloc (size) : NULL;
    if (!job || !payload)
        abort ();
    snprintf (payload, size, "\"source\":%s", text);
    free (text);
    job->kind = S_JOB_PROBE;
    job->payload = payload;
    job->tick = ws_wall_ms ();
    job->timeout_ms = ws_coord_job_budget (source);
    ws_source_destroy (&source);
    ws_coord_queue_job (self, job);
    s_probe_t *probe = calloc (1, sizeof *probe);
    if (!probe)
        abort ();
    probe->job_id = job->id;
    memcpy (probe->peer, peer, peer_len);
    probe->peer_len = peer_len;
    probe->request_id = id;
    probe->next = self->probes;
    self->probes = probe;
}

void
ws_coord_probe_on_result (ws_coord_t *self, json_t *result)
{
    uint64_t job_id =
        (uint64_t) json_integer_value (json_object_get (result, "id"));
    s_job_t *job = ws_map_get_int (self->jobs, job_id);
    if (job && job->kind == S_JOB_PROBE && !job->queued) {
        if (job->worker)
            job->worker->in_flight--;
        ws_map_delete_int (self->jobs, job_id);
    }
    s_probe_t *probe = s_take (self, job_id);
    if (!probe)
        return;  //  answered already (its worker was given up on)
    json_t *answer = json_deep_copy (result);
    json_object_del (answer, "id");
    json_object_del (answer, "attempt");
    json_object_del (answer, "kind");
    ws_coord_reply (self, probe->peer, probe->peer_len, probe->request_id,
                    answer, NULL);
    free (probe);
}

void
ws_coord_probe_lost (ws_coord_t *self, uint64_t job_id, const char *why)
{
    s_probe_t *probe = s_take (self, job_id);
    if (!probe)
        return;
    ws_err_t err;
    ws_err_set (&err, WS_ERR_TIMEOUT, "the test got no answer: %s", why);
    ws_coord_reply (self, probe->peer, probe->peer_len, probe->request_id, NULL,
                    &err);
    free (probe);
}

void
ws_coord_probe_destroy (ws_coord_t *self)
{
    while (self->probes) {
        s_probe_t *probe = self->probes;
        self->probes = probe->next;
        free (probe);
    }
}
