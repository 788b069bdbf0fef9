//  cmd_hook - 'watershed hook test NAME': send a test alert through the
//  real path (recorded, routed to that hook only, taken from the queue,
//  POSTed by a worker or run as a command, its outcome recorded) and
//  show what the receiver answered.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_cli.h"
#include "ws_client.h"

static const char *s_help =
    "usage: watershed hook test NAME [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "Sends a test alert (kind 'test') to the hook NAME the way real alerts\n"
    "go: signed, with an idempotency key, POSTed by a worker (webhooks) or\n"
    "run by watershedd (commands). Prints the outcome of that one attempt:\n"
    "the HTTP status or exit status, the time taken, and the receiver's\n"
    "answer or the command's output. A test is not retried and ignores\n"
    "silences. Exit status 0 when the hook acknowledged it, 1 otherwise.\n"
    "The test stays in 'watershed alerts --kind test'.\n";

#define S_GET(object, key) json_object_get ((object), (key))

static int
s_print (json_t *result, const char *name)
{
    json_t *delivery = S_GET (result, "delivery");
    const char *state = json_string_value (S_GET (delivery, "state"));
    bool ok = state && strcmp (state, "delivered") == 0;
    printf ("hook '%s': %s in %lld ms", name, state ? state : "no delivery",
            (long long) json_integer_value (S_GET (result, "duration_ms")));
    if (json_is_integer (S_GET (delivery, "last_status")))
        printf (" (HTTP %lld)", (long long) json_integer_value (
                                    S_GET (delivery, "last_status")));
    printf ("\n");
    if (json_is_string (S_GET (delivery, "last_error")))
        printf ("error: %s\n",
                json_string_value (S_GET (delivery, "last_error")));
    if (json_is_string (S_GET (delivery, "idempotency_key")))
        printf ("idempotency key: %s\n",
                json_string_value (S_GET (delivery, "idempotency_key")));
    const char *response = json_string_value (S_GET (delivery, "response"));
    if (response && *response)
        printf ("answer:\n%s%s", response,
                response[strlen (response) - 1] == '\n' ? "" : "\n");
    return ok ? WS_EXIT_OK : WS_EXIT_FAIL;
}

int
cmd_hook (int argc, char **argv)
{
    ws_cli_common_t common;
    int rc = ws_cli_parse (argc, argv, s_help, NULL, NULL, NULL, &common);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (optind >= argc)
        return ws_cli_usage_error ("hook", "expected 'test NAME'");
    if (strcmp (argv[optind], "test") != 0)
        return ws_cli_usage_error ("hook",
                                   "unknown action '%s' (expected "
                                   "'test NAME')",
                                   argv[optind]);
    if (optind + 2 != argc)
        return ws_cli_usage_error ("hook", optind + 1 >= argc
                                               ? "test: expected a hook's name"
                                               : "test: one hook at a time");
    const char *name = argv[optind + 1];
    //  The coordinator answers after the attempt: the hook's timeout
    //  (at most an hour) and some.
    int timeout = 120000;
    const char *env = getenv ("WATERSHED_TIMEOUT_MS");
    if (env && atoi (env) > 0)
        timeout = atoi (env);
    ws_err_t err;
    ws_client_t *client = ws_client_new (common.endpoint, timeout, &err);
    if (!client) {
        fprintf (stderr, "watershed hook: %s\n", err.text);
        return err.code == WS_ERR_INPUT ? WS_EXIT_USAGE : WS_EXIT_UNREACHABLE;
    }
    json_t *result = ws_client_call (
        client, "hook",
        json_pack ("{s:s, s:s}", "action", "test", "name", name), &err);
    ws_client_destroy (&client);
    if (!result) {
        fprintf (stderr, "watershed hook: %s\n", err.text);
        return err.code == WS_ERR_TIMEOUT || err.code == WS_ERR_NET
                   ? WS_EXIT_UNREACHABLE
                   : WS_EXIT_FAIL;
    }
    if (common.json) {
        char *text = json_dumps (result, JSON_INDENT (2));
        printf ("%s\n", text ? text : "null");
        free (text);
        const char *state =
            json_string_value (S_GET (S_GET (result, "delivery"), "state"));
        rc = state && strcmp (state, "delivered") == 0 ? WS_EXIT_OK
                                                       : WS_EXIT_FAIL;
    }
    else
        rc = s_print (result, name);
    json_decref (result);
    return rc;
}
