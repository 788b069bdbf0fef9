//  ws_pgcluster - a private PostgreSQL cluster under a state directory:
//  data in DIR/pgdata, the socket in DIR/run, server and tool output in
//  DIR/pg.log. watershedd runs one when no database is configured (the
//  "embedded default" of DESIGN.md); the tests run throwaway ones.
//
//  The cluster listens on its own unix socket only (listen_addresses =
//  ''), so clusters never collide with each other or with a system
//  cluster on port 5432. PostgreSQL refuses to run as root: when this
//  process is root, initdb and pg_ctl run as the system user 'watershed'
//  (created by scripts/bootstrap), which owns DIR, DIR/pgdata and DIR/run.
//  Clients connect as the database role 'watershed' with trust
//  authentication; DIR/run is mode 0700, so only that user (and root)
//  can reach the socket.
#ifndef WS_PGCLUSTER_H
#define WS_PGCLUSTER_H

#include <stdbool.h>

#include "ws_err.h"

//  The system user the cluster runs as when this process is root, and the
//  database role and database every conninfo names.
#define WS_PGCLUSTER_USER "watershed"
#define WS_PGCLUSTER_DB "watershed"

//  unix socket paths (sun_path) are limited to 108 bytes on Linux and 104
//  on the BSDs; DIR/run/.s.PGSQL.5432 must stay below this.
#define WS_PGCLUSTER_SOCKET_MAX 100

typedef struct _ws_pgcluster_t ws_pgcluster_t;

//  A cluster under the state directory DIR (created if missing, as are
//  DIR/run). Starts nothing. NULL with *err naming DIR when the socket
//  path DIR/run/.s.PGSQL.5432 would be WS_PGCLUSTER_SOCKET_MAX bytes or
//  longer, or a directory cannot be created. Caller owns the result.
ws_pgcluster_t *ws_pgcluster_new (const char *dir, ws_err_t *err);

//  Free the cluster object and set *self_p to NULL. Does not stop the
//  server (watershedd stops it on exit; a crash leaves it to be adopted
//  at the next start). Safe on NULL and on repeat.
void ws_pgcluster_destroy (ws_pgcluster_t **self_p);

//  For tests: fsync, synchronous_commit and full_page_writes off, and
//  initdb --no-sync. A crash of the machine may lose or corrupt data.
void ws_pgcluster_set_fast (ws_pgcluster_t *self, bool fast);

//  Seconds to wait for the server to start or stop, and for a running
//  postmaster found at start to answer. Default 60.
void ws_pgcluster_set_timeout (ws_pgcluster_t *self, int seconds);

//  Make the cluster run: initdb on first use, write the server settings
//  (DIR/pgdata/watershed.conf), pg_ctl start, then create the database
//  'watershed' if missing. A server left running (a crash of the owning
//  process) is adopted. Returns 0, or -1 with *err saying what failed;
//  errors from initdb and pg_ctl quote the last lines of DIR/pg.log.
int ws_pgcluster_start (ws_pgcluster_t *self, ws_err_t *err);

//  pg_ctl stop -m fast. 0 also when the server was not running.
int ws_pgcluster_stop (ws_pgcluster_t *self, ws_err_t *err);

//  For tests: stop the server, then delete DIR and everything in it.
//  Refuses (-1) a DIR that ws_pgcluster_tempdir did not create, so a
//  mistaken path never deletes someone's data.
int ws_pgcluster_remove (ws_pgcluster_t *self, ws_err_t *err);

//  libpq conninfo of the database 'watershed' on the cluster's socket:
//  "host=DIR/run port=5432 user=watershed dbname=watershed", values
//  quoted where needed. Borrowed, valid while the cluster object lives.
const char *ws_pgcluster_conninfo (ws_pgcluster_t *self);

//  The state directory as an absolute path. Borrowed.
const char *ws_pgcluster_dir (ws_pgcluster_t *self);

//  Pid of the live postmaster of DIR/pgdata, or 0 if none is running.
int ws_pgcluster_pid (ws_pgcluster_t *self);

//  A fresh, short directory /tmp/ws-XXXXXX (mode 0755, so the user
//  'watershed' can reach it when we are root), marked as removable by
//  ws_pgcluster_remove. Caller owns the returned path. NULL with *err.
char *ws_pgcluster_tempdir (ws_err_t *err);

#endif
