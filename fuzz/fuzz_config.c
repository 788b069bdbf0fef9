//  fuzz_config - libFuzzer target for the config file parser
//  (lib/ws_config.h ws_config_load) and, on the same bytes cut into
//  lines, the command-line parser (ws_config_parse_args).
//
//  The input is the config file, written to a temporary file. Its lines
//  (up to 32, "--config" ones left out so the fuzzer opens no file of
//  its choosing) are then the arguments. A table with an entry of each
//  type stands in for a process's. Checks, beyond no crash, leak or
//  undefined behaviour: a refusal comes with an error text; after
//  success every int and duration is within its bounds, every bool 0 or
//  1, the bounded string no longer than its maximum, and the secret
//  never shows in ws_config_to_json.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_tmpfile.h"
#include "ws_config.h"

#define S_MAX_ARGS 32

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const ws_config_entry_t s_entries[] = {
    {"credit", WS_CFG_INT, "256", 1, 65536, "an int"},
    {"offset", WS_CFG_INT, "0", -100, 100, "a negative range"},
    {"heartbeat", WS_CFG_DURATION, "1s", 100, 60000, "a duration"},
    {"verbose", WS_CFG_BOOL, "false", 0, 0, "a bool"},
    {"name", WS_CFG_STRING, "w1", 0, 16, "a bounded string"},
    {"endpoint", WS_CFG_STRING, "", 0, 0, "a string"},
    {"db", WS_CFG_SECRET, "", 0, 0, "a secret"},
};
#define S_COUNT (sizeof s_entries / sizeof s_entries[0])

//  The promises of a config that loaded.
static void
s_check (ws_config_t *config, const char *what)
{
    for (size_t i = 0; i < S_COUNT; i++) {
        const ws_config_entry_t *entry = &s_entries[i];
        if (entry->type == WS_CFG_INT || entry->type == WS_CFG_DURATION) {
            int64_t value = ws_config_int (config, entry->name);
            if (value < entry->min || value > entry->max)
                fuzz_die (what, "a value out of its bounds");
        }
        else if (entry->type == WS_CFG_BOOL)
            (void) ws_config_bool (config, entry->name);
        else {
            const char *text = ws_config_string (config, entry->name);
            if (!text)
                fuzz_die (what, "a string setting without a value");
            if (entry->max > 0 && strlen (text) > (size_t) entry->max)
                fuzz_die (what, "a string longer than its maximum");
        }
    }
    json_t *shown = ws_config_to_json (config);
    if (!shown)
        fuzz_die (what, "no JSON form");
    const char *db = json_string_value (json_object_get (shown, "db"));
    const char *secret = ws_config_string (config, "db");
    if (!db || (strcmp (db, "(set)") != 0 && strcmp (db, "") != 0)
        || (*secret && strcmp (db, "(set)") != 0))
        fuzz_die (what, "the secret shows in ws_config_to_json");
    json_decref (shown);
}

static ws_config_t *
s_new (void)
{
    ws_err_t err;
    ws_config_t *config = ws_config_new (s_entries, S_COUNT, &err);
    if (!config)
        fuzz_die ("config table refused", err.text);
    return config;
}

static void
s_args (const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup (data, size);
    char *argv[S_MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "fuzz_config";
    char *line = text;
    while (line && argc <= S_MAX_ARGS) {
        char *end = strchr (line, '\n');
        if (end)
            *end = '\0';
        if (strncmp (line, "--config", 8) != 0)
            argv[argc++] = line;
        line = end ? end + 1 : NULL;
    }
    argv[argc] = NULL;
    int before = argc;
    ws_config_t *config = s_new ();
    ws_err_t err;
    ws_err_clear (&err);
    bool help;
    if (ws_config_parse_args (config, &argc, argv, &help, &err))
        fuzz_check_err (&err, WS_ERR_INPUT, "config args");
    else {
        if (argc < 1 || argc > before)
            fuzz_die ("config args", "argc out of range after parsing");
        s_check (config, "config args");
    }
    ws_config_destroy (&config);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmpfile_write (data, size);
    ws_config_t *config = s_new ();
    ws_err_t err;
    ws_err_clear (&err);
    if (ws_config_load (config, path, &err))
        fuzz_check_err (&err, WS_ERR_INPUT, "config file");
    else
        s_check (config, "config file");
    ws_config_destroy (&config);
    s_args (data, size);
    return 0;
}
