//  watershedd - the coordinator daemon. Parses its config, takes the
//  state directory's lock, runs the embedded PostgreSQL cluster when no
//  database is given, applies the migrations, then runs ws_coord's loop
//  until SIGTERM/SIGINT (drain, then stop) and reloads sources on SIGHUP.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "ws_config.h"
#include "ws_coord.h"
#include "ws_db.h"
#include "ws_log.h"
#include "ws_loop.h"
#include "ws_paths.h"
#include "ws_pgcluster.h"

static ws_coord_t *s_coord;

static int
s_on_signal (ws_loop_t *loop, int signum, void *arg)
{
    (void) loop;
    (void) arg;
    if (signum == SIGHUP) {
        ws_err_t err;
        ws_notice ("SIGHUP: reloading sources");
        if (ws_coord_reload (s_coord, &err))
            ws_error ("reload: %s", err.text);
        if (ws_coord_reload_keys (s_coord, &err))
            ws_error ("reload: %s; the old allow-list stays", err.text);
        return 0;
    }
    ws_notice ("%s: draining", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    ws_coord_drain (s_coord);
    return 0;
}

//  One watershedd per state directory: an flock held for the process's
//  life. A second one is refused with the pid of the first.
static int
s_lock_state_dir (const char *dir, ws_err_t *err)
{
    if (mkdir (dir, 0755) && errno != EEXIST)
        return ws_err_set (err, WS_ERR_SYSTEM, "state dir '%s': %s", dir,
                           strerror (errno));
    char path[4200];
    snprintf (path, sizeof path, "%s/watershedd.pid", dir);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return ws_err_set (err, WS_ERR_SYSTEM, "state dir '%s': %s", path,
                           strerror (errno));
    if (flock (fd, LOCK_EX | LOCK_NB)) {
        char pid[32] = "";
        ssize_t len = read (fd, pid, sizeof pid - 1);
        pid[len > 0 ? len : 0] = '\0';
        pid[strcspn (pid, "\n")] = '\0';
        close (fd);
        return ws_err_set (err, WS_ERR_INPUT,
                           "state dir '%s' is in use by watershedd pid %s", dir,
                           *pid ? pid : "?");
    }
    char pid[32];
    int len = snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
    if (ftruncate (fd, 0) || write (fd, pid, (size_t) len) != len)
        ws_warning ("state dir '%s': cannot write the pid file", dir);
    return fd;  //  kept open: the lock lives as long as the process
}

int
main (int argc, char **argv)
{
    ws_log_init ('C', false);
    ws_err_t err;
    size_t entry_count;
    const ws_config_entry_t *entries = ws_coord_config_entries (&entry_count);
    ws_config_t *config = ws_config_new (entries, entry_count, &err);
    bool help = false;
    if (!config || ws_config_parse_args (config, &argc, argv, &help, &err)) {
        ws_error ("%s", err.text);
        return 2;
    }
    if (help) {
        printf ("usage: watershedd [OPTIONS]\n\n");
        ws_config_print_help (config, stdout);
        ws_config_destroy (&config);
        return 0;
    }
    if (argc > 1) {
        ws_error ("unexpected argument '%s' (see --help)", argv[1]);
        return 2;
    }
    int level = ws_log_level_parse (ws_config_string (config, "log-level"));
    const char *format = ws_config_string (config, "log-format");
    if (level < 0 || (strcmp (format, "text") && strcmp (format, "json"))) {
        ws_error ("config 'log-level' or 'log-format': unknown value");
        return 2;
    }
    ws_log_init ('C', strcmp (format, "json") == 0);
    ws_log_set_level ((ws_log_level_t) level);

    char state_dir[4096];
    if (*ws_config_string (config, "state-dir"))
        snprintf (state_dir, sizeof state_dir, "%s",
                  ws_config_string (config, "state-dir"));
    else if (ws_paths_state_dir (state_dir, sizeof state_dir)) {
        ws_error ("state dir: path too long");
        return 1;
    }
    //  ws_coord finds the key pair and the allow-list in the state dir.
    if (ws_config_set (config, "state-dir", state_dir, &err)) {
        ws_error ("%s", err.text);
        return 1;
    }
    if (!*ws_config_string (config, "clients")) {
        char endpoint[256];
        if (ws_paths_client_endpoint (state_dir, endpoint, sizeof endpoint)) {
            ws_error ("state dir '%s': too long for an ipc socket (100 bytes); "
                      "use a shorter --state-dir or set --clients",
                      state_dir);
            return 1;
        }
        ws_config_set (config, "clients", endpoint, &err);
    }
    int lock = s_lock_state_dir (state_dir, &err);
    if (lock < 0) {
        ws_error ("refusing to start: %s", err.text);
        return 1;
    }

    //  The database: given, or the private cluster.
    const char *conninfo = ws_config_string (config, "db");
    if (!*conninfo && getenv ("WATERSHED_DB"))
        conninfo = getenv ("WATERSHED_DB");
    ws_pgcluster_t *cluster = NULL;
    if (!*conninfo) {
        cluster = ws_pgcluster_new (state_dir, &err);
        if (!cluster || ws_pgcluster_start (cluster, &err)) {
            ws_error ("refusing to start: embedded database: %s", err.text);
            ws_pgcluster_destroy (&cluster);
            return 1;
        }
        conninfo = ws_pgcluster_conninfo (cluster);
        ws_notice ("embedded database running in %s/pgdata", state_dir);
    }
    ws_db_t *db = ws_db_new (conninfo);
    int rc = 1;
    void *context = zmq_ctx_new ();
    ws_loop_t *loop = ws_loop_new ();
    int applied;
    if (ws_db_connect (db, &err) || (applied = ws_db_migrate (db, &err)) < 0) {
        ws_error ("refusing to start: %s", err.text);
        goto done;
    }
    if (applied)
        ws_notice ("database: %d migrations applied", applied);
    s_coord = ws_coord_new (loop, config, db, context, &err);
    if (!s_coord) {
        ws_error ("refusing to start: %s", err.text);
        goto done;
    }
    ws_coord_set_embedded (s_coord, cluster != NULL);
    if (ws_coord_start (s_coord, &err)) {
        ws_error ("refusing to start: %s", err.text);
        goto done;
    }
    ws_loop_on_signal (loop, s_on_signal, NULL);
    ws_notice ("watershedd ready: workers on %s, clients on %s",
               ws_coord_worker_endpoint (s_coord),
               ws_coord_client_endpoint (s_coord));
    rc = ws_loop_run (loop) ? 1 : 0;
    ws_notice ("watershedd stopping");

done:
    ws_coord_destroy (&s_coord);
    ws_loop_destroy (&loop);
    ws_db_destroy (&db);
    zmq_ctx_term (context);
    if (cluster) {
        if (ws_pgcluster_stop (cluster, &err))
            ws_error ("embedded database: %s", err.text);
        else
            ws_notice ("embedded database stopped");
        ws_pgcluster_destroy (&cluster);
    }
    ws_config_destroy (&config);
    close (lock);
    return rc;
}
