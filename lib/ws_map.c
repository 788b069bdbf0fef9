//  ws_map - a hash map from byte-string keys to pointers.
#include "ws_map.h"

#include <stdlib.h>
#include <string.h>

typedef struct s_entry {
    struct s_entry *next;
    uint64_t hash;
    void *value;
    size_t len;
    unsigned char key[];  //  owns (flexible member)
} s_entry_t;

struct _ws_map_t {
    s_entry_t **buckets;  //  owns the array and every entry
    size_t nbuckets;      //  a power of two
    size_t size;
    ws_map_free_fn *free_fn;
};

static uint64_t
s_hash (const void *key, size_t len)
{
    const unsigned char *bytes = key;
    uint64_t hash = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        hash ^= bytes[i];
        hash *= 1099511628211ULL;
    }
    return hash ^ (hash >> 29);
}

ws_map_t *
ws_map_new (ws_map_free_fn *free_fn)
{
    ws_map_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->nbuckets = 64;
    self->buckets = calloc (self->nbuckets, sizeof *self->buckets);
    if (!self->buckets)
        abort ();
    self->free_fn = free_fn;
    return self;
}

void
ws_map_destroy (ws_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ws_map_t *self = *self_p;
    for (size_t i = 0; i < self->nbuckets; i++) {
        s_entry_t *entry = self->buckets[i];
        while (entry) {
            s_entry_t *next = entry->next;
            if (self->free_fn)
                self->free_fn (entry->value);
            free (entry);
            entry = next;
        }
    }
    free (self->buckets);
    free (self);
    *self_p = NULL;
}

static void
s_grow (ws_map_t *self)
{
    size_t nbuckets = self->nbuckets * 2;
    s_entry_t **buckets = calloc (nbuckets, sizeof *buckets);
    if (!buckets)
        abort ();
    for (size_t i = 0; i < self->nbuckets; i++) {
        s_entry_t *entry = self->buckets[i];
        while (entry) {
            s_entry_t *next = entry->next;
            size_t slot = entry->hash & (nbuckets - 1);
            entry->next = buckets[slot];
            buckets[slot] = entry;
            entry = next;
        }
    }
    free (self->buckets);
    self->buckets = buckets;
    self->nbuckets = nbuckets;
}

static s_entry_t **
s_find (ws_map_t *self, const void *key, size_t len, uint64_t hash)
{
    s_entry_t **link = &self->buckets[hash & (self->nbuckets - 1)];
    while (*link) {
        s_entry_t *entry = *link;
        if (entry->hash == hash && entry->len == len
            && memcmp (entry->key, key, len) == 0)
            return link;
        link = &entry->next;
    }
    return link;
}

void
ws_map_put (ws_map_t *self, const void *key, size_t len, void *value)
{
    uint64_t hash = s_hash (key, len);
    s_entry_t **link = s_find (self, key, len, hash);
    if (*link) {
        if (self->free_fn && (*link)->value != value)
            self->free_fn ((*link)->value);
        (*link)->value = value;
        return;
    }
    s_entry_t *entry = malloc (sizeof *entry + len);
    if (!entry)
        abort ();
    entry->next = NULL;
    entry->hash = hash;
    entry->value = value;
    entry->len = len;
    memcpy (entry->key, key, len);
    *link = entry;
    if (++self->size > self->nbuckets)
        s_grow (self);
}

void *
ws_map_get (ws_map_t *self, const void *key, size_t len)
{
    s_entry_t **link = s_find (self, key, len, s_hash (key, len));
    return *link ? (*link)->value : NULL;
}

void *
ws_map_take (ws_map_t *self, const void *key, size_t len)
{
    s_entry_t **link = s_find (self, key, len, s_hash (key, len));
    s_entry_t *entry = *link;
    if (!entry)
        return NULL;
    void *value = entry->value;
    *link = entry->next;
    free (entry);
    self->size--;
    return value;
}

int
ws_map_delete (ws_map_t *self, const void *key, size_t len)
{
    s_entry_t **link = s_find (self, key, len, s_hash (key, len));
    if (!*link)
        return 0;
    void *value = ws_map_take (self, key, len);
    if (self->free_fn)
        self->free_fn (value);
    return 1;
}

size_t
ws_map_size (ws_map_t *self)
{
    return self->size;
}

void
ws_map_put_int (ws_map_t *self, uint64_t key, void *value)
{
    ws_map_put (self, &key, sizeof key, value);
}

void *
ws_map_get_int (ws_map_t *self, uint64_t key)
{
    return ws_map_get (self, &key, sizeof key);
}

int
ws_map_delete_int (ws_map_t *self, uint64_t key)
{
    return ws_map_delete (self, &key, sizeof key);
}

void *
ws_map_take_int (ws_map_t *self, uint64_t key)
{
    return ws_map_take (self, &key, sizeof key);
}

void
ws_map_each (ws_map_t *self, ws_map_each_fn *fn, void *arg)
{
    for (size_t i = 0; i < self->nbuckets; i++) {
        s_entry_t *entry = self->buckets[i];
        while (entry) {
            s_entry_t *next = entry->next;
            if (fn (entry->key, entry->len, entry->value, arg))
                return;
            entry = next;
        }
    }
}
