//  replay_main - run fuzz_msg's LLVMFuzzerTestOneInput on every file
//  given, or in the folders given, without libFuzzer (gcc builds; the
//  fuzz/msg-replay ctest). Exits 1 when no file ran: a replay of
//  nothing proves nothing.
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  Run one file; 0, or -1 if it cannot be read.
static int
s_run_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "replay: cannot open '%s'\n", path);
        return -1;
    }
    size_t size = 0, room = 4096;
    uint8_t *data = malloc (room);
    size_t got;
    while (data && (got = fread (data + size, 1, room - size, file)) > 0) {
        size += got;
        if (size == room) {
            uint8_t *bigger = realloc (data, room * 2);
            if (!bigger) {
                free (data);
                data = NULL;
                break;
            }
            data = bigger;
            room *= 2;
        }
    }
    int failed = ferror (file) || !data;
    fclose (file);
    if (failed) {
        free (data);
        fprintf (stderr, "replay: cannot read '%s'\n", path);
        return -1;
    }
    //  An exact-size copy, so ASan sees a read past the input.
    uint8_t *exact = malloc (size ? size : 1);
    if (!exact) {
        free (data);
        return -1;
    }
    memcpy (exact, data, size);
    free (data);
    LLVMFuzzerTestOneInput (exact, size);
    free (exact);
    return 0;
}

int
main (int argc, char **argv)
{
    size_t runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat (argv[i], &st)) {
            fprintf (stderr, "replay: no such file or folder '%s'\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR (st.st_mode)) {
            if (s_run_file (argv[i]))
                return 1;
            runs++;
            continue;
        }
        DIR *dir = opendir (argv[i]);
        if (!dir) {
            fprintf (stderr, "replay: cannot open folder '%s'\n", argv[i]);
            return 1;
        }
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            char path[4096];
            snprintf (path, sizeof path, "%s/%s", argv[i], entry->d_name);
            if (stat (path, &st) || !S_ISREG (st.st_mode))
                continue;
            if (s_run_file (path)) {
                closedir (dir);
                return 1;
            }
            runs++;
        }
        closedir (dir);
    }
    printf ("replay: %zu inputs ran\n", runs);
    return runs ? 0 : 1;
}
