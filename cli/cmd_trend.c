//  cmd_trend - placeholder until the statistics module lands.
#include <stdio.h>

#include "ws_cli.h"

int
cmd_trend (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "watershed trend: not built yet\n");
    return WS_EXIT_FAIL;
}
