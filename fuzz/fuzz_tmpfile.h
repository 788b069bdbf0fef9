//  fuzz_tmpfile - hand fuzz input to code that reads a path (the config
//  file parser, the CSV loader). One unlinked temporary file per
//  process, rewritten for each input and opened by its /proc/self/fd
//  name, so nothing is left behind whatever way the fuzzer exits.
#ifndef FUZZ_TMPFILE_H
#define FUZZ_TMPFILE_H

#include <stddef.h>

//  Replace the file's content with data; returns its path (static).
//  Aborts if the file cannot be made or written.
const char *fuzz_tmpfile_write (const void *data, size_t size);

#endif
