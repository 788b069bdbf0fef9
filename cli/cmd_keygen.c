//  cmd_keygen - 'watershed keygen NAME': a CURVE key pair for the
//  coordinator, a worker or a client (ws_curve). Offline: it needs no
//  coordinator.
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ws_cli.h"
#include "ws_curve.h"

static const char *s_help =
    "usage: watershed keygen NAME [--dir DIR] [--json]\n"
    "\n"
    "Make a CURVE key pair: DIR/NAME.secret holds both keys (mode 0600;\n"
    "it stays on the host that uses it) and DIR/NAME.key the public key\n"
    "(share it). DIR is the current directory by default and is made\n"
    "(mode 0700) when missing. Existing files are never overwritten.\n"
    "\n"
    "  the coordinator:  watershed keygen coordinator --dir STATE-DIR/keys\n"
    "  a worker:         watershed keygen w-eu-1, then copy w-eu-1.key to\n"
    "                    the coordinator's STATE-DIR/authorized/ and run the\n"
    "                    worker with --key w-eu-1.secret --coordinator-key\n"
    "                    coordinator.key\n"
    "  a client:         likewise, with WATERSHED_CLIENT_KEY=NAME.secret and\n"
    "                    WATERSHED_COORDINATOR_KEY=coordinator.key\n";

static int
s_option (int option, const char *value, void *arg)
{
    (void) option;
    *(const char **) arg = value;
    return 0;
}

//  mkdir -p, mode 0700 for the directories it makes. 0, or -1 with
//  errno.
static int
s_make_dir (const char *dir)
{
    char path[4096];
    if (snprintf (path, sizeof path, "%s", dir) >= (int) sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *slash = strchr (path + 1, '/'); slash;
         slash = strchr (slash + 1, '/')) {
        *slash = '\0';
        if (mkdir (path, 0700) && errno != EEXIST)
            return -1;
        *slash = '/';
    }
    return mkdir (path, 0700) && errno != EEXIST ? -1 : 0;
}

int
cmd_keygen (int argc, char **argv)
{
    static const struct option options[] = {
        {"dir", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    const char *dir = ".";
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, &dir, &common);
    if (rc != WS_CLI_GO_ON)
        return rc;
    if (optind >= argc)
        return ws_cli_usage_error ("keygen", "a NAME is needed");
    if (argc - optind > 1)
        return ws_cli_usage_error ("keygen", "unexpected argument '%s'",
                                   argv[optind + 1]);
    const char *name = argv[optind];
    if (s_make_dir (dir)) {
        fprintf (stderr, "watershed keygen: key dir '%s': %s\n", dir,
                 strerror (errno));
        return WS_EXIT_FAIL;
    }
    ws_err_t err;
    ws_curve_cert_t *cert = ws_curve_cert_new (&err);
    if (!cert || ws_curve_cert_save (cert, dir, name, &err)) {
        fprintf (stderr, "watershed keygen: %s\n", err.text);
        ws_curve_cert_destroy (&cert);
        return err.code == WS_ERR_INPUT
                       && strncmp (err.text, "key name", 8) == 0
                   ? WS_EXIT_USAGE
                   : WS_EXIT_FAIL;
    }
    char secret_path[4200], public_path[4200];
    snprintf (secret_path, sizeof secret_path, "%s/%s.secret", dir, name);
    snprintf (public_path, sizeof public_path, "%s/%s.key", dir, name);
    if (common.json) {
        json_t *result =
            json_pack ("{s:s, s:s, s:s, s:s}", "name", name, "secret_file",
                       secret_path, "public_file", public_path, "public_key",
                       ws_curve_cert_public (cert));
        char *text = json_dumps (result, JSON_INDENT (2));
        printf ("%s\n", text ? text : "null");
        free (text);
        json_decref (result);
    }
    else
        printf ("key pair '%s': %s (secret, mode 0600) and %s (public)\n"
                "public key %s\n",
                name, secret_path, public_path, ws_curve_cert_public (cert));
    ws_curve_cert_destroy (&cert);
    return WS_EXIT_OK;
}
