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

size_t
ws_utf8_cut (const char *text, size_t len, size_t max)
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
    len = text ? ws_utf8_cut (text, len, WS_MATCH_TEXT_MAX) : 0;
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

void
ws_matches_truncate (ws_matches_t *self, size_t keep)
{
    while (self->count > keep) {
        ws_match_t *match = &self->items[--self->count];
        free (match->text);
        json_decref (match->labels);
    }
}

size_t
ws_utf8_valid_end (const unsigned char *text, size_t start, size_t len)
{
    size_t i = start;
    while (i < len) {
        unsigned char c = text[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t more;
        unsigned char low = 0x80, high = 0xBF;  //  of the second byte
        if (c >= 0xC2 && c <= 0xDF)
            more = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0)
                low = 0xA0;
            else if (c == 0xED)
                high = 0x9F;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0)
                low = 0x90;
            else if (c == 0xF4)
                high = 0x8F;
        }
        else
            return i;
        if (len - i <= more || text[i + 1] < low || text[i + 1] > high)
            return i;
        for (size_t k = 2; k <= more; k++)
            if ((text[i + k] & 0xC0) != 0x80)
                return i;
        i += more + 1;
    }
    return len;
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
