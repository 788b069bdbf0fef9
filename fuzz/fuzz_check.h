//  fuzz_check - what every fuzz target of this folder asserts besides
//  "no crash": a refusal comes with an error fit for an operator, and a
//  broken promise aborts so that libFuzzer (or the replay) reports the
//  input. Compiled into each target (README.md).
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stddef.h>

#include "ws_err.h"

//  Print "TARGET: what: detail" to stderr and abort.
void fuzz_die (const char *what, const char *detail) __attribute__ ((noreturn));

//  A refusal: err must carry a code other than WS_ERR_NONE (want, if not
//  WS_ERR_NONE, exactly that one) and a non-empty text. Aborts otherwise.
void fuzz_check_err (const ws_err_t *err, ws_err_code_t want, const char *what);

//  A NUL-terminated copy of data (caller frees). Aborts if out of memory.
char *fuzz_strndup (const void *data, size_t size);

#endif
