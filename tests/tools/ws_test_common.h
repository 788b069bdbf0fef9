//  ws_test_common - small helpers for the C tests.
#ifndef WS_TEST_COMMON_H
#define WS_TEST_COMMON_H

#include <stddef.h>

//  Path of a file in the reference data folder (WATERSHED_REFDATA), or
//  NULL with a message naming the missing folder. Caller owns.
char *ws_test_refdata_path (const char *relative);

//  Read a whole file; caller owns. NULL if it cannot be read.
char *ws_test_read_file (const char *path, size_t *len);

//  A file of the committed test data (WS_TEST_DATA, tests/data), whole
//  and NUL-terminated; caller owns. NULL, with the path said on stderr,
//  if it cannot be read.
char *ws_test_data_file (const char *relative, size_t *len);

#endif
