//  ws_json - small helpers around jansson shared by the modules that
//  report on JSON they were given (source definitions, fetched
//  documents).
#ifndef WS_JSON_H
#define WS_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

//  Describe a value for an error text, "found <description>": a string
//  quoted and cut at 40 bytes on a UTF-8 character boundary (the text
//  travels in JSON), a number, true/false/null, "an object", "an array
//  of 3". With typed, scalars name their type ("string \"n/a\"", "number
//  7", "boolean true"), as extraction errors do.
void ws_json_describe (json_t *value, bool typed, char *out, size_t size);

#endif
