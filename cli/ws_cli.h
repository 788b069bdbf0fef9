//  ws_cli - what the commands of the 'watershed' client share: the
//  command table's signature, exit codes, and usage errors.
//
//  Exit codes (documented in watershed --help and the README):
//      0  success
//      1  the command ran and failed (bad file, an error from the
//         coordinator, a reference case that does not hold)
//      2  usage: unknown command, option or argument
//      3  the coordinator could not be reached
#ifndef WS_CLI_H
#define WS_CLI_H

#define WS_EXIT_OK 0
#define WS_EXIT_FAIL 1
#define WS_EXIT_USAGE 2
#define WS_EXIT_UNREACHABLE 3

//  A command: argv[0] is the command's name. Returns an exit code.
typedef int (ws_cmd_fn) (int argc, char **argv);

//  Print "watershed CMD: <message>" and a hint to --help on stderr;
//  returns WS_EXIT_USAGE.
int ws_cli_usage_error (const char *command, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Formatting shared by the commands: an epoch-ms JSON integer as ISO
//  8601 or "-", as "12s ago" / "in 3s" or "never"; labels as k=v,k=v.
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
void ws_cli_format_time (json_t *value, char *out, size_t size);
void ws_cli_format_ago (json_t *value, char *out, size_t size);
void ws_cli_format_labels (json_t *labels, char *out, size_t size);

//  Parse "k=v,k=v" into labels. 0, or WS_EXIT_USAGE after a message.
int ws_cli_parse_labels (const char *text, json_t *labels, const char *command);

//  The options every client command has, --json, --coordinator ENDPOINT
//  and --help, parsed with the command's own (extra, getopt_long form,
//  may be NULL; on_option gets each of those with its argument, and
//  returns 0 or an exit code). Returns WS_CLI_GO_ON with optind at the
//  first operand, or the exit code to return at once: WS_EXIT_OK after
//  printing help, WS_EXIT_USAGE after a usage message.
#define WS_CLI_GO_ON (-1)
struct option;
typedef struct {
    bool json;
    const char *endpoint;  //  NULL: the default
} ws_cli_common_t;
typedef int (ws_cli_option_fn) (int option, const char *value, void *arg);
int ws_cli_parse (int argc, char **argv, const char *help,
                  const struct option *extra, ws_cli_option_fn *on_option,
                  void *arg, ws_cli_common_t *common);

int cmd_apply (int argc, char **argv);
int cmd_sources (int argc, char **argv);
int cmd_source (int argc, char **argv);
int cmd_status (int argc, char **argv);
int cmd_series (int argc, char **argv);
int cmd_samples (int argc, char **argv);
int cmd_migrate (int argc, char **argv);
int cmd_trend (int argc, char **argv);
int cmd_trends (int argc, char **argv);
int cmd_goal (int argc, char **argv);
int cmd_import (int argc, char **argv);
int cmd_progress (int argc, char **argv);
int cmd_alerts (int argc, char **argv);
int cmd_silence (int argc, char **argv);
int cmd_hook (int argc, char **argv);
int cmd_keygen (int argc, char **argv);
int cmd_chart (int argc, char **argv);

#endif
