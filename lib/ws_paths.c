//  ws_paths - default locations.
#include "ws_paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
ws_paths_state_dir (char *out, size_t size)
{
    const char *dir = getenv ("WATERSHED_STATE_DIR");
    int len;
    if (dir && *dir)
        len = snprintf (out, size, "%s", dir);
    else if (geteuid () == 0)
        len = snprintf (out, size, "/var/lib/watershed");
    else if ((dir = getenv ("XDG_STATE_HOME")) && *dir)
        len = snprintf (out, size, "%s/watershed", dir);
    else
        len = snprintf (out, size, "%s/.local/state/watershed",
                        getenv ("HOME") ? getenv ("HOME") : "/tmp");
    return len < 0 || (size_t) len >= size ? -1 : 0;
}

int
ws_paths_client_endpoint (const char *state_dir, char *out, size_t size)
{
    //  ipc paths are unix socket paths: at most 107 bytes, we keep 100.
    if (strlen (state_dir) + strlen ("/watershedd.sock") >= 100)
        return -1;
    int len = snprintf (out, size, "ipc://%s/watershedd.sock", state_dir);
    return len < 0 || (size_t) len >= size ? -1 : 0;
}
