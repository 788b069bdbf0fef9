//  ws_buf - a growable byte buffer with a size limit.
#include "ws_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ws_buf_init (ws_buf_t *self, size_t limit)
{
    self->data = NULL;
    self->len = 0;
    self->size = 0;
    self->limit = limit;
}

static int
s_reserve (ws_buf_t *self, size_t extra)
{
    if (extra > self->limit || self->len > self->limit - extra)
        return -1;
    size_t need = self->len + extra + 1;
    if (need <= self->size)
        return 0;
    size_t size = self->size ? self->size : 256;
    while (size < need)
        size *= 2;
    if (size > self->limit + 1)
        size = self->limit + 1;
    char *data = realloc (self->data, size);
    if (!data)
        return -1;
    self->data = data;
    self->size = size;
    return 0;
}

int
ws_buf_append (ws_buf_t *self, const void *bytes, size_t len)
{
    if (s_reserve (self, len))
        return -1;
    if (len)
        memcpy (self->data + self->len, bytes, len);
    self->len += len;
    self->data[self->len] = '\0';
    return 0;
}

int
ws_buf_printf (ws_buf_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    int len = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    if (len < 0 || s_reserve (self, (size_t) len))
        return -1;
    va_start (args, fmt);
    vsnprintf (self->data + self->len, (size_t) len + 1, fmt, args);
    va_end (args);
    self->len += (size_t) len;
    return 0;
}

void
ws_buf_reset (ws_buf_t *self)
{
    self->len = 0;
    if (self->data)
        self->data[0] = '\0';
}

char *
ws_buf_steal (ws_buf_t *self)
{
    char *data = self->data ? self->data : strdup ("");
    ws_buf_init (self, self->limit);
    return data;
}

void
ws_buf_free (ws_buf_t *self)
{
    free (self->data);
    ws_buf_init (self, self->limit);
}
