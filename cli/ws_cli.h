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

int cmd_trend (int argc, char **argv);

#endif
