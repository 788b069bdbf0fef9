//  cmd_silence - 'watershed silence add|list|expire': hold back the alerts
//  of a goal, a campaign or a label set until a time, with a reason.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_loop.h"
#include "ws_time.h"

static const char *s_help =
    "usage: watershed silence add (--goal NAME | --campaign NAME |\n"
    "                              --labels k=v[,k=v...])\n"
    "                             (--for DURATION | --until TIME)\n"
    "                             --reason TEXT [--json]\n"
    "       watershed silence list [--all] [--json]\n"
    "       watershed silence expire ID [--json]\n"
    "\n"
    "A silence holds back the alerts of one goal, one campaign or the\n"
    "series with these labels until it ends: no hook is sent them. 'add'\n"
    "needs exactly one target, an end (--for 2d, or --until ISO 8601) and\n"
    "a reason; 'list' shows the active ones (--all: the ended too);\n"
    "'expire' ends one now.\n";

#define S_GET(object, key) json_object_get ((object), (key))

typedef struct {
    json_t *args;     //  the request's args
    json_t *silence;  //  borrowed from args
    bool ended;       //  --for or --until given
} s_parse_t;

static void
s_print_list (json_t *silences)
{
    printf ("%-5s %-30s %-20s %-6s %s\n", "ID", "TARGET", "UNTIL", "ACTIVE",
            "REASON");
    size_t index;
    json_t *silence;
    json_array_foreach (silences, index, silence) {
        char target[160], until[40];
        if (json_is_string (S_GET (silence, "goal")))
            snprintf (target, sizeof target, "goal %s",
                      json_string_value (S_GET (silence, "goal")));
        else if (json_is_string (S_GET (silence, "campaign")))
            snprintf (target, sizeof target, "campaign %s",
                      json_string_value (S_GET (silence, "campaign")));
        else {
            char labels[128];
            ws_cli_format_labels (S_GET (silence, "labels"), labels,
                                  sizeof labels);
            snprintf (target, sizeof target, "labels %s", labels);
        }
        ws_iso8601_format (json_integer_value (S_GET (silence, "until")), until,
                           sizeof until);
        until[19] = '\0';
        printf ("%-5lld %-30s %-20s %-6s %s\n",
                (long long) json_integer_value (S_GET (silence, "id")), target,
                until, json_is_true (S_GET (silence, "active")) ? "yes" : "no",
                json_string_value (S_GET (silence, "reason")));
    }
    if (json_array_size (silences) == 0)
        printf ("(no silences)\n");
}

static void
s_print_added (json_t *silence)
{
    char until[40];
    ws_iso8601_format (json_integer_value (S_GET (silence, "until")), until,
                       sizeof until);
    printf ("silence %lld added, until %s\n",
            (long long) json_integer_value (S_GET (silence, "id")), until);
}

static void
s_print_expired (json_t *result)
{
    printf ("silence %lld expired\n",
            (long long) json_integer_value (S_GET (result, "id")));
}

static int
s_option (int option, const char *value, void *arg)
{
    s_parse_t *parse = arg;
    json_t *silence = parse->silence;
    int64_t ms;
    ws_err_t err;
    switch (option) {
    case 'g':
        json_object_set_new (silence, "goal", json_string (value));
        return 0;
    case 'c':
        json_object_set_new (silence, "campaign", json_string (value));
        return 0;
    case 'l':
        if (!S_GET (silence, "labels"))
            json_object_set_new (silence, "labels", json_object ());
        return ws_cli_parse_labels (value, S_GET (silence, "labels"),
                                    "silence");
    case 'f':
        if (ws_duration_parse (value, &ms, &err) || ms <= 0)
            return ws_cli_usage_error ("silence",
                                       "--for '%s': expected a duration such"
                                       " as 2h or 3d",
                                       value);
        json_object_set_new (silence, "until",
                             json_integer (ws_wall_ms () + ms));
        parse->ended = true;
        return 0;
    case 'u':
        if (ws_iso8601_parse (value, &ms, &err))
            return ws_cli_usage_error ("silence", "--until '%s': %s", value,
                                       err.text);
        json_object_set_new (silence, "until", json_integer (ms));
        parse->ended = true;
        return 0;
    case 'r':
        json_object_set_new (silence, "reason", json_string (value));
        return 0;
    default:  //  'a'
        json_object_set_new (parse->args, "all", json_true ());
        return 0;
    }
}

int
cmd_silence (int argc, char **argv)
{
    if (argc < 2)
        return ws_cli_usage_error ("silence", "a subcommand is required: add,"
                                              " list or expire");
    const char *sub = argv[1];
    if (strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0
        || strcmp (sub, "help") == 0) {
        fputs (s_help, stdout);
        return WS_EXIT_OK;
    }
    static const struct option add_options[] = {
        {"goal", required_argument, NULL, 'g'},
        {"campaign", required_argument, NULL, 'c'},
        {"labels", required_argument, NULL, 'l'},
        {"for", required_argument, NULL, 'f'},
        {"until", required_argument, NULL, 'u'},
        {"reason", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0}};
    static const struct option list_options[] = {
        {"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
    static const struct option no_options[] = {{NULL, 0, NULL, 0}};
    bool add = strcmp (sub, "add") == 0, list = strcmp (sub, "list") == 0,
         expire = strcmp (sub, "expire") == 0;
    if (!add && !list && !expire)
        return ws_cli_usage_error ("silence",
                                   "unknown subcommand '%s', expected add, "
                                   "list or expire",
                                   sub);
    s_parse_t parse = {json_pack ("{s:s}", "action", sub), NULL, false};
    parse.silence = json_object ();
    json_object_set_new (parse.args, "silence", parse.silence);
    ws_cli_common_t common;
    int rc = ws_cli_parse (argc - 1, argv + 1, s_help,
                           add    ? add_options
                           : list ? list_options
                                  : no_options,
                           s_option, &parse, &common);
    if (rc == WS_CLI_GO_ON && expire) {
        char *end = NULL;
        long long id =
            optind < argc - 1 ? strtoll (argv[optind + 1], &end, 10) : 0;
        if (optind != argc - 2 || !end || *end || id < 1)
            rc = ws_cli_usage_error ("silence",
                                     "expire needs one silence id (see "
                                     "'watershed silence list')");
        else
            json_object_set_new (parse.args, "id", json_integer (id));
    }
    else if (rc == WS_CLI_GO_ON && optind < argc - 1)
        rc = ws_cli_usage_error ("silence", "unexpected argument '%s'",
                                 argv[optind + 1]);
    if (rc == WS_CLI_GO_ON && add && !parse.ended)
        rc = ws_cli_usage_error ("silence",
                                 "add needs an end: --for DURATION or "
                                 "--until TIME");
    if (rc != WS_CLI_GO_ON) {
        json_decref (parse.args);
        return rc;
    }
    if (!add)
        json_object_del (parse.args, "silence");
    return ws_client_run ("silence", common.endpoint, parse.args, common.json,
                          add    ? s_print_added
                          : list ? s_print_list
                                 : s_print_expired);
}
