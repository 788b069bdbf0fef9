//  ws_buf - a growable byte buffer with a size limit (curl's dynbuf).
//  Input-driven growth goes through it: a body past the limit is an
//  error on that input, not an out-of-memory. The content is always
//  NUL-terminated so text parsers can read it in place.
#ifndef WS_BUF_H
#define WS_BUF_H

#include <stddef.h>

typedef struct {
    char *data;    //  owns; NUL-terminated, NULL until the first append
    size_t len;    //  bytes in use, without the NUL
    size_t size;   //  bytes allocated
    size_t limit;  //  most bytes it may hold
} ws_buf_t;

//  Start an empty buffer that may hold at most limit bytes.
void ws_buf_init (ws_buf_t *self, size_t limit);

//  Append bytes. Returns 0, or -1 when the limit would be passed or
//  memory runs out (then the buffer is unchanged).
int ws_buf_append (ws_buf_t *self, const void *bytes, size_t len);

//  Append formatted text. 0 or -1 as ws_buf_append.
int ws_buf_printf (ws_buf_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Forget the content, keep the memory.
void ws_buf_reset (ws_buf_t *self);

//  Give the content to the caller (owns; never NULL unless memory ran
//  out) and empty the buffer.
char *ws_buf_steal (ws_buf_t *self);

//  Free the memory.
void ws_buf_free (ws_buf_t *self);

#endif
