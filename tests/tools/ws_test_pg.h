//  ws_test_pg - throwaway PostgreSQL clusters for the C tests, through
//  the same code as watershedd's embedded default (ws_pgcluster): a
//  fresh /tmp/ws-XXXXXX, fsync off, a private unix socket, so parallel
//  tests never share a server. Set WS_TEST_PG_KEEP=1 to keep the
//  directory (server stopped) for a look after the test.
#ifndef WS_TEST_PG_H
#define WS_TEST_PG_H

#include <libpq-fe.h>

#include "ws_pgcluster.h"

//  Start a throwaway cluster with its database 'watershed'. Caller owns;
//  free with ws_test_pg_stop. NULL after printing why to stderr, so the
//  test fails (it never skips: a missing server is a broken setup).
ws_pgcluster_t *ws_test_pg_start (void);

//  Stop the server, remove its directory (unless WS_TEST_PG_KEEP=1),
//  destroy the cluster object and set *self_p to NULL. Safe on NULL.
//  Returns 0, or -1 after printing why.
int ws_test_pg_stop (ws_pgcluster_t **self_p);

//  A connection to the cluster's database 'watershed'. Caller owns
//  (PQfinish). NULL after printing why.
PGconn *ws_test_pg_connect (ws_pgcluster_t *self);

#endif
