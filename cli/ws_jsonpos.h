//  ws_jsonpos - where a JSON pointer's value sits in a JSON text, as a
//  line and column, so that 'watershed apply' can point at the field at
//  fault ("sources.json:14:17: /sources/2/interval: ..."). jansson keeps
//  no positions for parsed values, so the text is scanned once more.
#ifndef WS_JSONPOS_H
#define WS_JSONPOS_H

#include <stddef.h>

//  Line and column (1-based) of the value at pointer in text, or of its
//  nearest existing parent when the value is missing (a missing key is
//  reported at its object). 0 if found, -1 if the text does not scan.
int ws_jsonpos_find (const char *text, size_t len, const char *pointer,
                     int *line, int *column);

#endif
