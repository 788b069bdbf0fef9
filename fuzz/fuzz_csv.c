//  fuzz_csv - libFuzzer target for the CSV importer's parser
//  (lib/ws_csv.h): ws_csv_load on a file holding the input, then
//  ws_csv_scan and ws_csv_parse on what it read.
//
//  Checks, beyond no crash, leak or undefined behaviour: the loader
//  returns the file's bytes unchanged; a refusal comes with an error
//  text; the scan hands over rows with rising line numbers, at least one
//  field, a value exactly when there is a comma; and a parsed series has
//  one point per row scanned, finite values, and t strictly increasing.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_tmpfile.h"
#include "ws_csv.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
    size_t rows;
    size_t last_line;
} s_scan_t;

static int
s_row (const ws_csv_row_t *row, void *arg, ws_err_t *err)
{
    (void) err;
    s_scan_t *scan = (s_scan_t *) arg;
    if (row->line <= scan->last_line)
        fuzz_die ("csv scan", "line numbers do not rise");
    if (row->fields < 1 || !row->t)
        fuzz_die ("csv scan", "a row without a first field");
    if ((row->fields > 1) != (row->value != NULL))
        fuzz_die ("csv scan", "value and field count disagree");
    scan->last_line = row->line;
    scan->rows++;
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmpfile_write (data, size);
    ws_err_t err;
    ws_err_clear (&err);
    size_t len = 0;
    char *text = ws_csv_load (path, &len, &err);
    if (!text)
        fuzz_die ("csv load refused a small file", err.text);
    if (len != size || memcmp (text, data, size) != 0 || text[len] != '\0')
        fuzz_die ("csv load", "the text differs from the file");

    s_scan_t scan = {0, 0};
    ws_err_clear (&err);
    int scanned = ws_csv_scan (text, len, "fuzz.csv", s_row, &scan, &err);
    if (scanned)
        fuzz_check_err (&err, WS_ERR_INPUT, "csv scan");

    ws_csv_series_t series;
    ws_err_clear (&err);
    if (ws_csv_parse (&series, text, len, "fuzz.csv", &err)) {
        fuzz_check_err (&err, WS_ERR_INPUT, "csv parse");
        if (series.n || series.t || series.value)
            fuzz_die ("csv parse", "a refusal leaves a series");
    }
    else {
        if (scanned)
            fuzz_die ("csv parse", "accepted what the scan refused");
        if (series.n != scan.rows)
            fuzz_die ("csv parse", "point count differs from row count");
        for (size_t i = 0; i < series.n; i++) {
            if (!isfinite (series.t[i]) || !isfinite (series.value[i]))
                fuzz_die ("csv parse", "a point that is not finite");
            if (i > 0 && !(series.t[i] > series.t[i - 1]))
                fuzz_die ("csv parse", "t does not increase strictly");
        }
        ws_csv_series_free (&series);
    }
    free (text);
    return 0;
}
