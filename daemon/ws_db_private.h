//  ws_db_private - what the ws_db_*.c files share: the statement helper
//  and the readers of result columns. Not for the rest of the daemon.
#ifndef WS_DB_PRIVATE_H
#define WS_DB_PRIVATE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "ws_db.h"

//  Run a parameterised statement with text parameters; the result when
//  its status is expect, else NULL with *err ("database: WHAT: ...").
PGresult *ws_db_exec (ws_db_t *self, const char *sql, int count,
                      const char *const *params, ExecStatusType expect,
                      const char *what, ws_err_t *err);

//  A column as an integer (0 when null), or as parsed JSON (JSON null
//  when null or not JSON; caller owns).
int64_t ws_db_int (PGresult *result, int row, int col);
json_t *ws_db_json (PGresult *result, int row, int col);
//  "{1,2,3}" for a bigint[] parameter, 0 written as NULL (caller
//  frees).
char *ws_db_id_array (const int64_t *ids, size_t count);

//  A column as a JSON string, JSON null when null (caller owns).
json_t *ws_db_text (PGresult *result, int row, int col);

#endif
