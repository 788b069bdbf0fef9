//  ws_cli_util - formatting shared by the CLI's commands.
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_loop.h"
#include "ws_time.h"

void
ws_cli_format_time (json_t *value, char *out, size_t size)
{
    if (!json_is_integer (value) || json_integer_value (value) == 0) {
        snprintf (out, size, "-");
        return;
    }
    ws_iso8601_format (json_integer_value (value), out, size);
}

void
ws_cli_format_ago (json_t *value, char *out, size_t size)
{
    if (!json_is_integer (value) || json_integer_value (value) == 0) {
        snprintf (out, size, "never");
        return;
    }
    int64_t delta = ws_wall_ms () - json_integer_value (value);
    bool future = delta < 0;
    if (future)
        delta = -delta;
    char span[32];
    if (delta < 1000)
        snprintf (span, sizeof span, "%" PRId64 "ms", delta);
    else if (delta < 120000)
        snprintf (span, sizeof span, "%" PRId64 "s", delta / 1000);
    else if (delta < 7200000)
        snprintf (span, sizeof span, "%" PRId64 "m", delta / 60000);
    else if (delta < 172800000)
        snprintf (span, sizeof span, "%" PRId64 "h", delta / 3600000);
    else
        snprintf (span, sizeof span, "%" PRId64 "d", delta / 86400000);
    snprintf (out, size, future ? "in %s" : "%s ago", span);
}

void
ws_cli_format_labels (json_t *labels, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    const char *key;
    json_t *value;
    json_object_foreach (labels, key, value) {
        int len = snprintf (out + used, size - used, "%s%s=%s", used ? "," : "",
                            key, json_string_value (value));
        if (len < 0 || (size_t) len >= size - used)
            break;
        used += (size_t) len;
    }
    if (!used)
        snprintf (out, size, "-");
}

int
ws_cli_parse_labels (const char *text, json_t *labels, const char *command)
{
    char copy[4096];
    snprintf (copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *pair = strtok_r (copy, ",", &save); pair;
         pair = strtok_r (NULL, ",", &save)) {
        char *equals = strchr (pair, '=');
        if (!equals || equals == pair)
            return ws_cli_usage_error (
                command, "--labels '%s': expected k=v[,k=v...]", text);
        *equals = '\0';
        json_object_set_new (labels, pair, json_string (equals + 1));
    }
    return 0;
}

#define S_OPT_JSON 1001
#define S_OPT_COORDINATOR 1002
#define S_OPT_HELP 1003
#define S_OPT_COORDINATOR_KEY 1004

int
ws_cli_parse (int argc, char **argv, const char *help,
              const struct option *extra, ws_cli_option_fn *on_option,
              void *arg, ws_cli_common_t *common)
{
    struct option options[32];
    char shortopts[64] = "h";
    size_t count = 0, len = 1;
    for (; extra && extra[count].name && count < 27; count++) {
        options[count] = extra[count];
        //  A one-letter value is also a short option (-f FILE).
        int value = extra[count].val;
        if (value > ' ' && value < 127 && len + 3 < sizeof shortopts) {
            shortopts[len++] = (char) value;
            if (extra[count].has_arg == required_argument)
                shortopts[len++] = ':';
            shortopts[len] = '\0';
        }
    }
    options[count++] = (struct option){"json", no_argument, NULL, S_OPT_JSON};
    options[count++] = (struct option){"coordinator", required_argument, NULL,
                                       S_OPT_COORDINATOR};
    options[count++] = (struct option){"coordinator-key", required_argument,
                                       NULL, S_OPT_COORDINATOR_KEY};
    options[count++] = (struct option){"help", no_argument, NULL, S_OPT_HELP};
    options[count] = (struct option){NULL, 0, NULL, 0};
    common->json = false;
    common->endpoint = NULL;
    optind = 1;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, shortopts, options, NULL))
           != -1) {
        switch (option) {
        case S_OPT_JSON: common->json = true; break;
        case S_OPT_COORDINATOR: common->endpoint = optarg; break;
        //  ws_client reads the key where it reads WATERSHED_CLIENT_KEY;
        //  the command line wins over the environment.
        case S_OPT_COORDINATOR_KEY:
            setenv ("WATERSHED_COORDINATOR_KEY", optarg, 1);
            break;
        case 'h':
        case S_OPT_HELP: fputs (help, stdout); return WS_EXIT_OK;
        case '?':
        case ':':
            return ws_cli_usage_error (argv[0],
                                       "unknown option or missing "
                                       "value: '%s'",
                                       argv[optind - 1]);
        default: {
            int rc = on_option ? on_option (option, optarg, arg) : 0;
            if (rc)
                return rc;
        }
        }
    }
    return WS_CLI_GO_ON;
}
