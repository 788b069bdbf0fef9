//  ws_jsonpos - line and column of a JSON pointer's value in a text.
#include "ws_jsonpos.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *text;
    size_t len, pos;
    int line, column;
    char path[1024];  //  pointer of the value being scanned
    size_t path_len;
    const char *target;
    size_t best;  //  longest prefix of target matched so far
    int best_line, best_column;
    int depth;
} s_scan_t;

static void
s_advance (s_scan_t *scan)
{
    if (scan->text[scan->pos] == '\n') {
        scan->line++;
        scan->column = 1;
    }
    else
        scan->column++;
    scan->pos++;
}

static void
s_skip_space (s_scan_t *scan)
{
    while (scan->pos < scan->len && strchr (" \t\r\n", scan->text[scan->pos]))
        s_advance (scan);
}

//  Record the position if the current path is target or a longer prefix
//  of it than any seen (a prefix that ends at a segment boundary).
static void
s_mark (s_scan_t *scan)
{
    size_t target_len = strlen (scan->target);
    if (scan->path_len > target_len || scan->path_len < scan->best)
        return;
    if (strncmp (scan->target, scan->path, scan->path_len) != 0)
        return;
    if (scan->path_len < target_len && scan->target[scan->path_len] != '/')
        return;
    if (scan->path_len == scan->best && scan->best_line)
        return;
    scan->best = scan->path_len;
    scan->best_line = scan->line;
    scan->best_column = scan->column;
}

//  Append a segment (escaped as RFC 6901: ~ -> ~0, / -> ~1) to the path.
static size_t
s_push (s_scan_t *scan, const char *segment, size_t len)
{
    size_t saved = scan->path_len;
    if (scan->path_len + 1 < sizeof scan->path)
        scan->path[scan->path_len++] = '/';
    for (size_t i = 0; i < len && scan->path_len + 2 < sizeof scan->path; i++) {
        if (segment[i] == '~' || segment[i] == '/') {
            scan->path[scan->path_len++] = '~';
            scan->path[scan->path_len++] = segment[i] == '~' ? '0' : '1';
        }
        else
            scan->path[scan->path_len++] = segment[i];
    }
    scan->path[scan->path_len] = '\0';
    return saved;
}

static void
s_pop (s_scan_t *scan, size_t saved)
{
    scan->path_len = saved;
    scan->path[saved] = '\0';
}

//  A string; its raw content (escapes kept but for \" and \\) into out.
static int
s_string (s_scan_t *scan, char *out, size_t size, size_t *out_len)
{
    if (scan->pos >= scan->len || scan->text[scan->pos] != '"')
        return -1;
    s_advance (scan);
    size_t n = 0;
    while (scan->pos < scan->len && scan->text[scan->pos] != '"') {
        char c = scan->text[scan->pos];
        if (c == '\\') {
            s_advance (scan);
            if (scan->pos >= scan->len)
                return -1;
            c = scan->text[scan->pos];
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
        }
        if (out && n + 1 < size)
            out[n++] = c;
        s_advance (scan);
    }
    if (scan->pos >= scan->len)
        return -1;
    s_advance (scan);
    if (out_len)
        *out_len = n;
    return 0;
}

static int s_value (s_scan_t *scan);

static int
s_object (s_scan_t *scan)
{
    s_advance (scan);  //  {
    s_skip_space (scan);
    if (scan->pos < scan->len && scan->text[scan->pos] == '}') {
        s_advance (scan);
        return 0;
    }
    for (;;) {
        s_skip_space (scan);
        char key[512];
        size_t key_len = 0;
        if (s_string (scan, key, sizeof key, &key_len))
            return -1;
        s_skip_space (scan);
        if (scan->pos >= scan->len || scan->text[scan->pos] != ':')
            return -1;
        s_advance (scan);
        s_skip_space (scan);
        size_t saved = s_push (scan, key, key_len);
        int rc = s_value (scan);
        s_pop (scan, saved);
        if (rc)
            return -1;
        s_skip_space (scan);
        if (scan->pos >= scan->len)
            return -1;
        char c = scan->text[scan->pos];
        s_advance (scan);
        if (c == '}')
            return 0;
        if (c != ',')
            return -1;
    }
}

static int
s_array (s_scan_t *scan)
{
    s_advance (scan);  //  [
    s_skip_space (scan);
    if (scan->pos < scan->len && scan->text[scan->pos] == ']') {
        s_advance (scan);
        return 0;
    }
    for (size_t index = 0;; index++) {
        s_skip_space (scan);
        char segment[24];
        int len = snprintf (segment, sizeof segment, "%zu", index);
        size_t saved = s_push (scan, segment, (size_t) len);
        int rc = s_value (scan);
        s_pop (scan, saved);
        if (rc)
            return -1;
        s_skip_space (scan);
        if (scan->pos >= scan->len)
            return -1;
        char c = scan->text[scan->pos];
        s_advance (scan);
        if (c == ']')
            return 0;
        if (c != ',')
            return -1;
    }
}

static int
s_value (s_scan_t *scan)
{
    if (++scan->depth > 512)
        return -1;
    s_skip_space (scan);
    if (scan->pos >= scan->len) {
        scan->depth--;
        return -1;
    }
    s_mark (scan);
    char c = scan->text[scan->pos];
    int rc = 0;
    if (c == '{')
        rc = s_object (scan);
    else if (c == '[')
        rc = s_array (scan);
    else if (c == '"')
        rc = s_string (scan, NULL, 0, NULL);
    else {
        size_t start = scan->pos;
        while (scan->pos < scan->len
               && !strchr (",}] \t\r\n", scan->text[scan->pos]))
            s_advance (scan);
        rc = scan->pos > start ? 0 : -1;
    }
    scan->depth--;
    return rc;
}

int
ws_jsonpos_find (const char *text, size_t len, const char *pointer, int *line,
                 int *column)
{
    s_scan_t scan;
    memset (&scan, 0, sizeof scan);
    scan.text = text;
    scan.len = len;
    scan.line = 1;
    scan.column = 1;
    scan.target = pointer;
    s_value (&scan);
    if (!scan.best_line)
        return -1;
    *line = scan.best_line;
    *column = scan.best_column;
    return 0;
}
