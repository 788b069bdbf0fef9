//  ws_extract - the matches every extractor kind yields, and their fold.
#include "ws_extract.h"

#include <stdlib.h>
#include <string.h>

void
ws_matches_init (ws_matches_t *self)
{
    memset (self, 0, sizeof *self);
}

void
ws_matches_free (ws_matches_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        free (self->items[i].text);
        json_decref (self->items[i].labels);
    }
    free (self->items);
    ws_matches_init (self);
}

//  len cut to at most max bytes without splitting a UTF-8 sequence.
static size_t
s_utf8_cut (const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    len = max;
    while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
        len--;
    return len;
}

ws_match_t *
ws_matches_add (ws_matches_t *self, const char *text, size_t len,
                bool has_value, double value, json_t *labels)
{
    if (self->count == self->max) {
        self->max = self->max ? self->max * 2 : 8;
        self->items = realloc (self->items, self->max * sizeof *self->items);
        if (!self->items)
            abort ();
    }
    ws_match_t *match = &self->items[self->count++];
    len = text ? s_utf8_cut (text, len, WS_MATCH_TEXT_MAX) : 0;
    match->text = malloc (len + 1);
    if (!match->text)
        abort ();
    if (len)
        memcpy (match->text, text, len);
    match->text[len] = '\0';
    match->has_value = has_value;
    match->value = has_value ? value : 0;
    match->labels = labels;
    return match;
}

int
ws_matches_fold (const double *values, size_t count, ws_agg_t aggregate,
                 double *value, ws_err_t *err)
{
    if (aggregate == WS_AGG_COUNT) {
        *value = (double) count;
        return 0;
    }
    if (count == 0)
        return ws_err_set (err, WS_ERR_EXTRACT, "no match");
    if (aggregate == WS_AGG_NONE && count > 1)
        return ws_err_set (err, WS_ERR_EXTRACT,
                           "%zu matches; give an aggregate (sum, count, "
                           "min, max, avg) or a narrower expression",
                           count);
    double sum = 0, min = values[0], max = values[0];
    for (size_t i = 0; i < count; i++) {
        sum += values[i];
        if (values[i] < min)
            min = values[i];
        if (values[i] > max)
            max = values[i];
    }
    switch (aggregate) {
    case WS_AGG_MIN: *value = min; break;
    case WS_AGG_MAX: *value = max; break;
    case WS_AGG_AVG: *value = sum / (double) count; break;
    case WS_AGG_SUM: *value = sum; break;
    default: *value = values[0]; break;
    }
    return 0;
}
