//  ws_config - a process's settings as one typed table (Redis
//  static_configs[]): the table drives the file parser, the command-line
//  parser, bounds checks, --help and 'config show', so they cannot
//  disagree. A setting NAME is "--NAME VALUE" or "--NAME=VALUE" on the
//  command line and "NAME = VALUE" in a file ('#' starts a comment); the
//  command line wins over the file, the file over the default.
//
//      static const ws_config_entry_t s_entries[] = {
//          //  name        type             default  min  max    help
//          {"credit",      WS_CFG_INT,      "256",   1,   65536, "..."},
//          {"heartbeat",   WS_CFG_DURATION, "1s",    100, 60000, "..."},
//          {"db",          WS_CFG_SECRET,   "",      0,   0,     "..."},
//      };
#ifndef WS_CONFIG_H
#define WS_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ws_err.h"

typedef enum {
    WS_CFG_INT,       //  integer in [min, max]
    WS_CFG_DURATION,  //  "500ms", "10s", ...; read as ms in [min, max]
    WS_CFG_BOOL,      //  true/false, yes/no, on/off, 1/0; a bare flag is true
    WS_CFG_STRING,    //  any text; max > 0 limits its length
    WS_CFG_SECRET     //  text never printed (logs, help, config show)
} ws_config_type_t;

typedef struct {
    const char *name;
    ws_config_type_t type;
    const char *fallback;  //  default value, parsed like any other
    int64_t min;
    int64_t max;
    const char *help;
} ws_config_entry_t;

typedef struct _ws_config_t ws_config_t;

//  A config holding the defaults of entries (borrowed; static tables).
//  NULL, with *err, if a default does not parse (a programming error).
ws_config_t *ws_config_new (const ws_config_entry_t *entries, size_t count,
                            ws_err_t *err);
void ws_config_destroy (ws_config_t **self_p);

//  Set one value from text. 0 or -1 with *err, e.g.
//      config 'credit': 0 is below the minimum 1
int ws_config_set (ws_config_t *self, const char *name, const char *value,
                   ws_err_t *err);

//  Read "NAME = VALUE" lines. Errors name the file and line.
int ws_config_load (ws_config_t *self, const char *path, ws_err_t *err);

//  Parse --NAME VALUE / --NAME=VALUE for every entry, starting at argv[1].
//  "--config FILE" loads a file first (whatever its place), "--help" sets
//  *help. Arguments that are not options are left in argv, moved to the
//  front after argv[0]; *argc becomes their count + 1. Unknown options
//  are an error.
int ws_config_parse_args (ws_config_t *self, int *argc, char **argv, bool *help,
                          ws_err_t *err);

//  Values. Durations are ms, bools 0/1. Asking for a name not in the
//  table is a programming error (assert).
int64_t ws_config_int (ws_config_t *self, const char *name);
bool ws_config_bool (ws_config_t *self, const char *name);
const char *ws_config_string (ws_config_t *self, const char *name);

//  Print one line per entry: --NAME TYPE (default), help.
void ws_config_print_help (ws_config_t *self, FILE *out);

//  The values as a JSON object (caller owns); secrets as "(set)" or "".
json_t *ws_config_to_json (ws_config_t *self);

#endif
