//  fuzz_check - shared checks of the fuzz targets (fuzz_check.h).
#include "fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
fuzz_die (const char *what, const char *detail)
{
    fprintf (stderr, "fuzz: %s: %s\n", what, detail ? detail : "");
    abort ();
}

void
fuzz_check_err (const ws_err_t *err, ws_err_code_t want, const char *what)
{
    if (err->code == WS_ERR_NONE)
        fuzz_die (what, "refused without an error code");
    if (want != WS_ERR_NONE && err->code != want)
        fuzz_die (what, "refused with an unexpected error code");
    if (!memchr (err->text, '\0', sizeof err->text)
        || !memchr (err->where, '\0', sizeof err->where))
        fuzz_die (what, "error text not terminated");
    if (!err->text[0])
        fuzz_die (what, "refused without an error text");
}

char *
fuzz_strndup (const void *data, size_t size)
{
    char *copy = malloc (size + 1);
    if (!copy)
        fuzz_die ("out of memory", NULL);
    memcpy (copy, data, size);
    copy[size] = '\0';
    return copy;
}
