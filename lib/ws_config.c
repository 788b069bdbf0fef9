//  ws_config - a process's settings as one typed table.
#include "ws_config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ws_time.h"

typedef struct {
    char *text;     //  owns; the value as given
    int64_t value;  //  parsed INT, DURATION (ms), BOOL (0/1)
} s_value_t;

struct _ws_config_t {
    const ws_config_entry_t *entries;  //  borrowed; a static table
    size_t count;
    s_value_t *values;  //  owns, one per entry
};

static const ws_config_entry_t *
s_find (ws_config_t *self, const char *name, size_t *index)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->entries[i].name, name) == 0) {
            *index = i;
            return &self->entries[i];
        }
    return NULL;
}

static int
s_parse_bool (const char *text, int64_t *value)
{
    static const char *yes[] = {"true", "yes", "on", "1"};
    static const char *no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcmp (text, yes[i]) == 0) {
            *value = 1;
            return 0;
        }
        if (strcmp (text, no[i]) == 0) {
            *value = 0;
            return 0;
        }
    }
    return -1;
}

static int
s_parse (const ws_config_entry_t *entry, const char *text, int64_t *value,
         ws_err_t *err)
{
    *value = 0;
    switch (entry->type) {
    case WS_CFG_INT: {
        char *end;
        errno = 0;
        long long number = strtoll (text, &end, 10);
        if (errno || end == text || *end)
            return ws_err_set (err, WS_ERR_INPUT,
                               "config '%s': \"%s\" is not an integer",
                               entry->name, text);
        *value = number;
        break;
    }
    case WS_CFG_DURATION: {
        ws_err_t inner;
        if (ws_duration_parse (text, value, &inner))
            return ws_err_set (err, WS_ERR_INPUT, "config '%s': %s",
                               entry->name, inner.text);
        break;
    }
    case WS_CFG_BOOL:
        if (s_parse_bool (text, value))
            return ws_err_set (err, WS_ERR_INPUT,
                               "config '%s': \"%s\" is not true or false",
                               entry->name, text);
        return 0;
    case WS_CFG_STRING:
    case WS_CFG_SECRET:
        if (entry->max > 0 && (int64_t) strlen (text) > entry->max)
            return ws_err_set (err, WS_ERR_INPUT,
                               "config '%s': longer than %" PRId64
                               " characters",
                               entry->name, entry->max);
        return 0;
    }
    if (*value < entry->min)
        return ws_err_set (err, WS_ERR_INPUT,
                           "config '%s': %s is below the minimum %" PRId64 "%s",
                           entry->name, text, entry->min,
                           entry->type == WS_CFG_DURATION ? "ms" : "");
    if (*value > entry->max)
        return ws_err_set (err, WS_ERR_INPUT,
                           "config '%s': %s is above the maximum %" PRId64 "%s",
                           entry->name, text, entry->max,
                           entry->type == WS_CFG_DURATION ? "ms" : "");
    return 0;
}

ws_config_t *
ws_config_new (const ws_config_entry_t *entries, size_t count, ws_err_t *err)
{
    ws_config_t *self = calloc (1, sizeof *self);
    s_value_t *values = calloc (count ? count : 1, sizeof *values);
    if (!self || !values) {
        free (self);
        free (values);
        ws_err_set (err, WS_ERR_SYSTEM, "config: out of memory");
        return NULL;
    }
    self->entries = entries;
    self->count = count;
    self->values = values;
    for (size_t i = 0; i < count; i++)
        if (ws_config_set (self, entries[i].name, entries[i].fallback, err)) {
            ws_config_destroy (&self);
            return NULL;
        }
    return self;
}

void
ws_config_destroy (ws_config_t **self_p)
{
    if (self_p && *self_p) {
        ws_config_t *self = *self_p;
        for (size_t i = 0; i < self->count; i++)
            free (self->values[i].text);
        free (self->values);
        free (self);
        *self_p = NULL;
    }
}

int
ws_config_set (ws_config_t *self, const char *name, const char *value,
               ws_err_t *err)
{
    size_t index = 0;
    const ws_config_entry_t *entry = s_find (self, name, &index);
    if (!entry)
        return ws_err_set (err, WS_ERR_INPUT, "config '%s': unknown setting",
                           name);
    int64_t parsed;
    if (s_parse (entry, value, &parsed, err)) {
        ws_err_where (err, "%s", name);
        return -1;
    }
    char *text = strdup (value);
    if (!text)
        return ws_err_set (err, WS_ERR_SYSTEM, "config: out of memory");
    free (self->values[index].text);
    self->values[index].text = text;
    self->values[index].value = parsed;
    return 0;
}

static char *
s_trim (char *text)
{
    while (isspace ((unsigned char) *text))
        text++;
    char *end = text + strlen (text);
    while (end > text && isspace ((unsigned char) end[-1]))
        *--end = '\0';
    return text;
}

int
ws_config_load (ws_config_t *self, const char *path, ws_err_t *err)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return ws_err_set (err, WS_ERR_INPUT, "config file '%s': %s", path,
                           strerror (errno));
    char line[4096];
    int number = 0;
    int rc = 0;
    while (fgets (line, sizeof line, file)) {
        number++;
        char *hash = strchr (line, '#');
        if (hash)
            *hash = '\0';
        char *text = s_trim (line);
        if (!*text)
            continue;
        char *equals = strchr (text, '=');
        if (!equals) {
            rc = ws_err_set (err, WS_ERR_INPUT,
                             "config file '%s' line %d: expected NAME = VALUE",
                             path, number);
            break;
        }
        *equals = '\0';
        char *name = s_trim (text);
        char *value = s_trim (equals + 1);
        if (ws_config_set (self, name, value, err)) {
            rc =
                ws_err_prefix (err, "config file '%s' line %d: ", path, number);
            break;
        }
    }
    fclose (file);
    return rc;
}

int
ws_config_parse_args (ws_config_t *self, int *argc, char **argv, bool *help,
                      ws_err_t *err)
{
    *help = false;
    //  A config file first, so the command line wins over it.
    for (int i = 1; i < *argc; i++) {
        const char *file = NULL;
        if (strcmp (argv[i], "--config") == 0 && i + 1 < *argc)
            file = argv[i + 1];
        else if (strncmp (argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        if (file && ws_config_load (self, file, err))
            return -1;
    }
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        char *arg = argv[i];
        if (strncmp (arg, "--", 2) != 0 || arg[2] == '\0') {
            argv[kept++] = arg;
            continue;
        }
        if (strcmp (arg, "--help") == 0) {
            *help = true;
            continue;
        }
        char name[128];
        const char *value = NULL;
        const char *equals = strchr (arg, '=');
        size_t len = equals ? (size_t) (equals - arg - 2) : strlen (arg + 2);
        if (len >= sizeof name)
            len = sizeof name - 1;
        memcpy (name, arg + 2, len);
        name[len] = '\0';
        if (strcmp (name, "config") == 0) {
            if (!equals)
                i++;
            continue;
        }
        size_t index;
        const ws_config_entry_t *entry = s_find (self, name, &index);
        if (!entry)
            return ws_err_set (err, WS_ERR_INPUT,
                               "unknown option '--%s' (see --help)", name);
        if (equals)
            value = equals + 1;
        else if (entry->type == WS_CFG_BOOL
                 && (i + 1 >= *argc || strncmp (argv[i + 1], "--", 2) == 0))
            value = "true";
        else if (i + 1 < *argc)
            value = argv[++i];
        else
            return ws_err_set (err, WS_ERR_INPUT, "option '--%s' needs a value",
                               name);
        if (ws_config_set (self, name, value, err))
            return -1;
    }
    *argc = kept;
    argv[kept] = NULL;
    return 0;
}

int64_t
ws_config_int (ws_config_t *self, const char *name)
{
    size_t index = 0;
    const ws_config_entry_t *entry = s_find (self, name, &index);
    assert (entry);
    (void) entry;
    return self->values[index].value;
}

bool
ws_config_bool (ws_config_t *self, const char *name)
{
    return ws_config_int (self, name) != 0;
}

const char *
ws_config_string (ws_config_t *self, const char *name)
{
    size_t index = 0;
    const ws_config_entry_t *entry = s_find (self, name, &index);
    assert (entry);
    (void) entry;
    return self->values[index].text;
}

static const char *
s_type_name (ws_config_type_t type)
{
    switch (type) {
    case WS_CFG_INT: return "INT";
    case WS_CFG_DURATION: return "DURATION";
    case WS_CFG_BOOL: return "BOOL";
    case WS_CFG_STRING: return "TEXT";
    case WS_CFG_SECRET: return "SECRET";
    }
    return "?";
}

void
ws_config_print_help (ws_config_t *self, FILE *out)
{
    for (size_t i = 0; i < self->count; i++) {
        const ws_config_entry_t *entry = &self->entries[i];
        char option[64];
        snprintf (option, sizeof option, "--%s %s", entry->name,
                  s_type_name (entry->type));
        fprintf (out, "  %-28s %s", option, entry->help);
        if (entry->type != WS_CFG_SECRET && *entry->fallback)
            fprintf (out, " (default %s)", entry->fallback);
        fprintf (out, "\n");
    }
    fprintf (out, "  %-28s %s\n", "--config FILE",
             "read NAME = VALUE lines from FILE first");
}

json_t *
ws_config_to_json (ws_config_t *self)
{
    json_t *object = json_object ();
    for (size_t i = 0; object && i < self->count; i++) {
        const ws_config_entry_t *entry = &self->entries[i];
        const s_value_t *value = &self->values[i];
        json_t *item;
        switch (entry->type) {
        case WS_CFG_INT:
        case WS_CFG_DURATION: item = json_integer (value->value); break;
        case WS_CFG_BOOL: item = json_boolean (value->value); break;
        case WS_CFG_SECRET:
            item = json_string (*value->text ? "(set)" : "");
            break;
        default: item = json_string (value->text); break;
        }
        json_object_set_new (object, entry->name, item);
    }
    return object;
}
