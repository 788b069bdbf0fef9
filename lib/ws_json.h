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

//  The checks that the definition modules (ws_source, ws_goal,
//  ws_campaign) share. Their errors read "PATH: message", or "(subject):
//  message" at the top, and set err->where to PATH, the JSON pointer of
//  the field at fault.
#include "ws_err.h"

int ws_json_fail (ws_err_t *err, const char *subject, const char *path,
                  const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

//  "PATH: found <ws_json_describe>, expected <expected>"; found NULL
//  reads "found nothing".
int ws_json_fail_found (ws_err_t *err, const char *subject, const char *path,
                        json_t *found, const char *expected);

//  base + "/" + key, the key escaped as RFC 6901 says (~ as ~0, / as ~1),
//  so err->where stays a valid pointer for keys such as "a/b".
void ws_json_pointer_join (char *out, size_t size, const char *base,
                           const char *key);

//  Refuse the first key of object (at path) that allowed (NULL-ended)
//  does not name: "PATH/KEY: unknown key, expected one of <allowed_text>".
int ws_json_check_keys (json_t *object, const char *path,
                        const char *const *allowed, const char *allowed_text,
                        const char *subject, ws_err_t *err);

//  A name of a source, goal or campaign: [A-Za-z0-9_.-] (the length is
//  each module's own rule).
bool ws_json_valid_name (const char *name);

//  A metric name: [A-Za-z_:][A-Za-z0-9_:.]*, Prometheus' names plus '.'.
bool ws_json_valid_metric (const char *name);

#endif
