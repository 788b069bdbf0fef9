//  ws_coord_config - watershedd's settings: one table for the daemon,
//  its --help and the tests.
#include "ws_coord.h"

static const ws_config_entry_t s_entries[] = {
    //  name              type             default   min  max   help
    {"state-dir", WS_CFG_STRING, "", 0, 4096,
     "state directory (lock, socket, embedded database); default "
     "/var/lib/watershed as root, else ~/.local/state/watershed"},
    {"db", WS_CFG_SECRET, "", 0, 4096,
     "PostgreSQL conninfo (or env WATERSHED_DB); empty runs a private "
     "cluster in the state directory"},
    {"workers", WS_CFG_STRING, "tcp://127.0.0.1:5570", 1, 255,
     "endpoint to bind for workers"},
    {"clients", WS_CFG_STRING, "", 0, 255,
     "endpoint to bind for clients; default ipc://STATE-DIR/watershedd.sock"},
    {"curve-key", WS_CFG_STRING, "", 0, 4096,
     "the coordinator's key pair (NAME.secret of 'watershed keygen'); "
     "default STATE-DIR/keys/coordinator.secret if it exists. With a key "
     "pair both sockets use CURVE and admit only allowed keys"},
    {"curve-authorized", WS_CFG_STRING, "", 0, 4096,
     "directory of the NAME.key files of the workers and clients allowed "
     "in (read again on SIGHUP); default STATE-DIR/authorized"},
    {"allow-plaintext", WS_CFG_BOOL, "false", 0, 0,
     "without a key pair, bind endpoints off this host too (plain text, "
     "no authentication); ipc and loopback need no flag"},
    {"metrics", WS_CFG_STRING, "", 0, 255,
     "HOST:PORT to serve the coordinator's own metrics on, at /metrics "
     "in the Prometheus text format; port 0 picks a free port; \"off\" "
     "disables. Default 127.0.0.1:9478, left off with a warning when that "
     "port is taken (an address set here that cannot be bound refuses "
     "the start)"},
    {"heartbeat", WS_CFG_DURATION, "1s", 100, 60000,
     "heartbeat interval towards workers"},
    {"liveness", WS_CFG_INT, "3", 2, 100,
     "heartbeats a worker may miss before its jobs go elsewhere"},
    {"job-attempts", WS_CFG_INT, "3", 1, 10,
     "dispatches of one tick before it is recorded as failed"},
    {"max-outstanding", WS_CFG_INT, "3", 1, 100,
     "ticks of one source queued or in flight at once; more are skipped"},
    {"dispatch-batch", WS_CFG_INT, "256", 1, 10000,
     "most jobs in one JOB message"},
    {"batch-max", WS_CFG_INT, "20000", 1, 1000000,
     "samples that trigger a write at once"},
    {"flush-interval", WS_CFG_DURATION, "100ms", 1, 60000,
     "longest a result waits before its batch is written"},
    {"health-interval", WS_CFG_DURATION, "5s", 100, 600000,
     "how often changes of source health (failures, recoveries) are "
     "written to the database (the coordinator serves health from memory; "
     "the table is for restarts and SQL)"},
    {"health-routine", WS_CFG_DURATION, "1m", 100, 3600000,
     "how often the health of sources that only succeeded is written"},
    {"buffer-max", WS_CFG_INT, "1000000", 1000, 100000000,
     "samples buffered while the database is away; past it dispatch pauses"},
    {"backoff-max", WS_CFG_DURATION, "10m", 1000, 86400000,
     "longest backoff of a failing source"},
    {"drain-timeout", WS_CFG_DURATION, "10s", 0, 600000,
     "on SIGTERM, how long jobs in flight may take to finish"},
    {"goal-debounce", WS_CFG_DURATION, "1m", 100, 86400000,
     "after new samples, how long a goal waits before it is evaluated"},
    {"goal-interval", WS_CFG_DURATION, "1h", 1000, 604800000,
     "how often every goal is evaluated, new samples or not"},
    {"hook-backoff", WS_CFG_DURATION, "1s", 100, 3600000,
     "first wait before a failed delivery is tried again; doubled per "
     "attempt, with jitter"},
    {"hook-backoff-max", WS_CFG_DURATION, "5m", 1000, 86400000,
     "longest wait between two attempts of a delivery"},
    {"hook-in-flight", WS_CFG_INT, "2000", 1, 100000,
     "most deliveries being attempted at once"},
    {"analysis-windows", WS_CFG_STRING, "28,90", 0, 64,
     "trend analysis windows in days, comma-separated; empty: none"},
    {"analysis-step", WS_CFG_DURATION, "1d", 1000, 604800000,
     "step the series are rolled up to before analysis"},
    {"analysis-debounce", WS_CFG_DURATION, "10m", 100, 604800000,
     "least time between two analyses of a series with new samples"},
    {"analysis-interval", WS_CFG_DURATION, "6h", 1000, 604800000,
     "every series is analysed again this often"},
    {"analysis-horizon", WS_CFG_INT, "7", 0, 366,
     "steps projected ahead by each analysis"},
    {"log-level", WS_CFG_STRING, "notice", 1, 16,
     "error, warning, notice, info or debug"},
    {"log-format", WS_CFG_STRING, "text", 1, 8, "text or json"},
};

const ws_config_entry_t *
ws_coord_config_entries (size_t *count)
{
    *count = sizeof s_entries / sizeof s_entries[0];
    return s_entries;
}
