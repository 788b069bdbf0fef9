//  ws_map - a hash map from byte-string keys to pointers (chaining,
//  FNV-1a, doubles at load 1). Keys are copied; values are borrowed, or
//  owned when a destructor is given. Used for the coordinator's job,
//  worker, source and series tables.
#ifndef WS_MAP_H
#define WS_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct _ws_map_t ws_map_t;
typedef void (ws_map_free_fn) (void *value);

//  Create a map; free_fn (may be NULL) frees values on delete/destroy.
ws_map_t *ws_map_new (ws_map_free_fn *free_fn);
void ws_map_destroy (ws_map_t **self_p);

//  Insert or replace (the old value is freed). Out of memory aborts: the
//  map holds the loop's own bookkeeping (STYLE.md, Errors).
void ws_map_put (ws_map_t *self, const void *key, size_t len, void *value);
void *ws_map_get (ws_map_t *self, const void *key, size_t len);
//  Remove and free (if a free_fn) the value. Returns 1 if it was there.
int ws_map_delete (ws_map_t *self, const void *key, size_t len);
//  Remove without freeing and return the value, or NULL.
void *ws_map_take (ws_map_t *self, const void *key, size_t len);
size_t ws_map_size (ws_map_t *self);

//  Integer keys.
void ws_map_put_int (ws_map_t *self, uint64_t key, void *value);
void *ws_map_get_int (ws_map_t *self, uint64_t key);
int ws_map_delete_int (ws_map_t *self, uint64_t key);
void *ws_map_take_int (ws_map_t *self, uint64_t key);

//  Walk every entry: fn returns 0 to go on; deleting the current entry
//  from fn is allowed, other changes are not.
typedef int (ws_map_each_fn) (const void *key, size_t len, void *value,
                              void *arg);
void ws_map_each (ws_map_t *self, ws_map_each_fn *fn, void *arg);

#endif
