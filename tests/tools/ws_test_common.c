//  ws_test_common - small helpers for the C tests.
#include "ws_test_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *
ws_test_refdata_path (const char *relative)
{
    const char *root = getenv ("WATERSHED_REFDATA");
    struct stat st;
    if (!root || stat (root, &st) || !S_ISDIR (st.st_mode)) {
        fprintf (stderr,
                 "reference data folder '%s' is missing "
                 "(set the CMake cache variable WATERSHED_REFDATA)\n",
                 root ? root : "(WATERSHED_REFDATA unset)");
        return NULL;
    }
    size_t len = strlen (root) + strlen (relative) + 2;
    char *path = malloc (len);
    if (path)
        snprintf (path, len, "%s/%s", root, relative);
    return path;
}

char *
ws_test_read_file (const char *path, size_t *len)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    char *data = size >= 0 ? malloc ((size_t) size + 1) : NULL;
    if (data && fread (data, 1, (size_t) size, file) != (size_t) size) {
        free (data);
        data = NULL;
    }
    fclose (file);
    if (data) {
        data[size] = '\0';
        if (len)
            *len = (size_t) size;
    }
    return data;
}

char *
ws_test_data_file (const char *relative, size_t *len)
{
    const char *root = getenv ("WS_TEST_DATA");
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", root ? root : "(WS_TEST_DATA unset)",
              relative);
    char *data = root ? ws_test_read_file (path, len) : NULL;
    if (!data)
        fprintf (stderr, "test data '%s' cannot be read\n", path);
    return data;
}
