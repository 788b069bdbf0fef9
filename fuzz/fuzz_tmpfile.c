//  fuzz_tmpfile - the fuzz targets' temporary input file (fuzz_tmpfile.h).
#include "fuzz_tmpfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_check.h"

static int s_fd = -1;
static char s_path[64];

const char *
fuzz_tmpfile_write (const void *data, size_t size)
{
    if (s_fd < 0) {
        const char *dir = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        char name[64];
        snprintf (name, sizeof name, "%s/ws-fuzz-XXXXXX", dir);
        s_fd = mkstemp (name);
        if (s_fd < 0)
            fuzz_die ("cannot make a temporary file", name);
        unlink (name);
        snprintf (s_path, sizeof s_path, "/proc/self/fd/%d", s_fd);
    }
    if (ftruncate (s_fd, 0)
        || (size && pwrite (s_fd, data, size, 0) != (ssize_t) size))
        fuzz_die ("cannot write the temporary file", s_path);
    return s_path;
}
