//  ws_migrate - applies the numbered migrations of sql/ (compiled into
//  the library by embed_sql.cmake) to a database, each in its own
//  transaction, recorded in schema_migrations. Idempotent: a second run
//  applies nothing. Used by watershedd at start and by 'watershed
//  migrate --db CONNINFO'. Concurrent runs serialise on an advisory lock.
#ifndef WS_MIGRATE_H
#define WS_MIGRATE_H

#include <libpq-fe.h>

#include "ws_err.h"

typedef struct {
    int version;       //  the number the file name starts with
    const char *name;  //  file name, e.g. "0001_init.sql"
    const char *text;  //  the SQL
} ws_sql_file_t;

extern const ws_sql_file_t ws_sql_files[];
extern const int ws_sql_file_count;

//  Apply every migration newer than the database's. Returns the number
//  applied (0 when up to date), or -1 with *err naming the file and the
//  server's message. A database newer than this build is an error.
int ws_migrate_apply (PGconn *db, ws_err_t *err);

//  The newest version applied to the database, 0 for none, -1 on error.
int ws_migrate_version (PGconn *db, ws_err_t *err);

#endif
