//  ws_migrate - applies the embedded sql/ migrations in order, each in
//  its own transaction together with its schema_migrations row, so a
//  migration is either applied and recorded or neither.
#include "ws_migrate.h"

#include "ws_log.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Key of the session advisory lock that serialises migrations, so two
//  coordinators starting at once never apply the same file twice. Any
//  fixed number works; this one spells "wsmigrat" in ASCII.
#define WS_MIGRATE_LOCK_KEY "8607343612309692788"

//  The first line of a libpq message (they end in a newline, and a
//  DETAIL or HINT may follow).
static void
s_first_line (const char *message, char *out, size_t size)
{
    if (!message || !*message)
        message = "(no message from the server)";
    size_t len = strcspn (message, "\n");
    if (len >= size)
        len = size - 1;
    memcpy (out, message, len);
    out[len] = '\0';
}

//  Run a statement without parameters; 0 if it reached STATUS.
static int
s_exec (PGconn *db, const char *sql, ExecStatusType status, ws_err_t *err,
        const char *subject)
{
    PGresult *result = PQexec (db, sql);
    int rc = 0;
    if (PQresultStatus (result) != status) {
        char line[200];
        s_first_line (result ? PQresultErrorMessage (result)
                             : PQerrorMessage (db),
                      line, sizeof line);
        rc = ws_err_set (err, WS_ERR_DB, "%s: %s", subject, line);
    }
    PQclear (result);
    return rc;
}

//  1 if schema_migrations exists (where the search path puts it, as
//  every unqualified name in the migrations), 0 if not, -1 on error.
static int
s_have_table (PGconn *db, ws_err_t *err)
{
    const char *values[] = {"schema_migrations"};
    PGresult *result = PQexecParams (db, "SELECT to_regclass($1) IS NOT NULL",
                                     1, NULL, values, NULL, NULL, 0);
    int rc;
    if (PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1) {
        char line[200];
        s_first_line (result ? PQresultErrorMessage (result)
                             : PQerrorMessage (db),
                      line, sizeof line);
        rc =
            ws_err_set (err, WS_ERR_DB, "database schema_migrations: %s", line);
    }
    else
        rc = strcmp (PQgetvalue (result, 0, 0), "t") == 0;
    PQclear (result);
    return rc;
}

int
ws_migrate_version (PGconn *db, ws_err_t *err)
{
    assert (db);
    if (PQstatus (db) != CONNECTION_OK) {
        char line[200];
        s_first_line (PQerrorMessage (db), line, sizeof line);
        return ws_err_set (err, WS_ERR_DB, "database: not connected: %s", line);
    }
    int have = s_have_table (db, err);
    if (have <= 0)
        return have;
    PGresult *result =
        PQexec (db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    int version;
    if (PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1) {
        char line[200];
        s_first_line (result ? PQresultErrorMessage (result)
                             : PQerrorMessage (db),
                      line, sizeof line);
        version =
            ws_err_set (err, WS_ERR_DB, "database schema_migrations: %s", line);
    }
    else
        version = (int) strtol (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return version;
}

//  Apply one file and record it, in one transaction.
static int
s_apply_file (PGconn *db, const ws_sql_file_t *file, ws_err_t *err)
{
    char subject[160];
    snprintf (subject, sizeof subject, "migration %s", file->name);
    if (s_exec (db, "BEGIN", PGRES_COMMAND_OK, err, subject))
        return -1;
    //  PQexec runs multi-statement text as one query string, stopping at
    //  the first error, whose result it returns.
    PGresult *result = PQexec (db, file->text);
    ExecStatusType status = PQresultStatus (result);
    int rc = 0;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK
        && status != PGRES_EMPTY_QUERY) {
        char line[200];
        s_first_line (result ? PQresultErrorMessage (result)
                             : PQerrorMessage (db),
                      line, sizeof line);
        rc = ws_err_set (err, WS_ERR_DB, "%s: %s", subject, line);
    }
    PQclear (result);
    //  A file with its own COMMIT would break the all-or-nothing rule.
    if (rc == 0 && PQtransactionStatus (db) != PQTRANS_INTRANS)
        rc = ws_err_set (err, WS_ERR_DB,
                         "%s: it ended the transaction itself; a migration "
                         "must not contain BEGIN, COMMIT or ROLLBACK",
                         subject);
    if (rc == 0) {
        char version[16];
        snprintf (version, sizeof version, "%d", file->version);
        const char *values[] = {version, file->name};
        result = PQexecParams (
            db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            2, NULL, values, NULL, NULL, 0);
        if (PQresultStatus (result) != PGRES_COMMAND_OK) {
            char line[200];
            s_first_line (result ? PQresultErrorMessage (result)
                                 : PQerrorMessage (db),
                          line, sizeof line);
            rc = ws_err_set (err, WS_ERR_DB, "%s: recording it: %s", subject,
                             line);
        }
        PQclear (result);
    }
    if (rc == 0)
        rc = s_exec (db, "COMMIT", PGRES_COMMAND_OK, err, subject);
    if (rc) {
        //  The error above is the one to report, not the rollback's.
        PQclear (PQexec (db, "ROLLBACK"));
        ws_err_where (err, "%s", file->name);
    }
    return rc;
}

int
ws_migrate_apply (PGconn *db, ws_err_t *err)
{
    assert (db);
    if (PQstatus (db) != CONNECTION_OK) {
        char line[200];
        s_first_line (PQerrorMessage (db), line, sizeof line);
        return ws_err_set (err, WS_ERR_DB, "database: not connected: %s", line);
    }
    const char *key[] = {WS_MIGRATE_LOCK_KEY};
    PGresult *result = PQexecParams (db, "SELECT pg_advisory_lock($1::bigint)",
                                     1, NULL, key, NULL, NULL, 0);
    if (PQresultStatus (result) != PGRES_TUPLES_OK) {
        char line[200];
        s_first_line (result ? PQresultErrorMessage (result)
                             : PQerrorMessage (db),
                      line, sizeof line);
        PQclear (result);
        return ws_err_set (err, WS_ERR_DB,
                           "database: cannot take the migration lock: %s",
                           line);
    }
    PQclear (result);

    int newest = 0;
    for (int i = 0; i < ws_sql_file_count; i++)
        if (ws_sql_files[i].version > newest)
            newest = ws_sql_files[i].version;

    //  Created under the lock, and only when missing, so a routine start
    //  prints no "already exists" notice.
    int applied = 0;
    int have = s_have_table (db, err);
    if (have == 0
        && s_exec (db,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version int PRIMARY KEY,"
                   " name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())",
                   PGRES_COMMAND_OK, err, "database schema_migrations"))
        have = -1;
    int current = have < 0 ? -1 : ws_migrate_version (db, err);
    if (current < 0)
        applied = -1;
    else if (current > newest)
        applied = ws_err_set (err, WS_ERR_DB,
                              "database schema version %d is newer than this "
                              "build (%d)",
                              current, newest);
    //  The files are in version order: embed_sql.cmake checks it.
    for (int i = 0; applied >= 0 && i < ws_sql_file_count; i++) {
        const ws_sql_file_t *file = &ws_sql_files[i];
        if (file->version <= current)
            continue;
        if (s_apply_file (db, file, err))
            applied = -1;
        else {
            applied++;
            ws_notice ("database: applied migration %s", file->name);
        }
    }
    result = PQexecParams (db, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL,
                           key, NULL, NULL, 0);
    PQclear (result);
    return applied;
}
