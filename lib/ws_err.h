//  ws_err - an error that names the thing at fault. Every function that
//  can fail on input returns 0 / -1 (or a pointer / NULL) and fills a
//  ws_err_t whose text starts with the subject, then what was found:
//      source 'eu-signups': rule 'trials' /data/0/count: found "n/a",
//      expected a number
#ifndef WS_ERR_H
#define WS_ERR_H

#include <stdarg.h>

typedef enum {
    WS_ERR_NONE = 0,
    WS_ERR_INPUT,    //  bad config, argument, file, message or reply
    WS_ERR_NET,      //  connection, DNS, TLS, timeout
    WS_ERR_HTTP,     //  an HTTP status that is not success
    WS_ERR_EXTRACT,  //  the document does not hold what a rule wants
    WS_ERR_DB,       //  PostgreSQL
    WS_ERR_SYSTEM,   //  the OS: fork, exec, files, memory
    WS_ERR_PROTO,    //  malformed or unexpected protocol message
    WS_ERR_TIMEOUT,  //  no answer in time
    WS_ERR_NOTFOUND  //  a named thing does not exist
} ws_err_code_t;

typedef struct {
    ws_err_code_t code;
    char text[256];   //  subject first, then what was found
    char where[128];  //  JSON pointer or config key at fault; "" if none
} ws_err_t;

//  Set *err (NULL-safe) and return -1, so callers can write
//  'return ws_err_set (err, WS_ERR_INPUT, "config '%s': ...", key);'.
int ws_err_set (ws_err_t *err, ws_err_code_t code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int ws_err_vset (ws_err_t *err, ws_err_code_t code, const char *fmt,
                 va_list args);

//  Put a subject in front of an existing error text: "source 'x': " +
//  text. Returns -1.
int ws_err_prefix (ws_err_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Record the JSON pointer or key of the offending field.
void ws_err_where (ws_err_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Clear the error.
void ws_err_clear (ws_err_t *err);

//  Name of an error code, e.g. "input", "net", for logs and JSON.
const char *ws_err_code_name (ws_err_code_t code);

#endif
