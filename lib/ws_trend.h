//  ws_trend - one trend analysis of a series: the JSON object that
//  'watershed trend --json' prints and that a worker returns for an
//  analysis job. It takes the series in memory and returns JSON; no I/O.
//
//  The object (../shared/refdata/trend/README.md, cases/*.json):
//      n, t_unit ("day" for ISO 8601 t, else "t"), step (mean spacing,
//      the forecast step), missing_steps (gaps counted in units of the
//      smallest spacing), direction ("up", "down", "none" from the
//      Mann-Kendall test at 5%), mann_kendall, seasonal_mann_kendall
//      (when it applies, see below), sen, pettitt (with the least-squares
//      "split"), ols (with "forecast"), holt_winters (when asked), notes.
//  A statistic the series cannot give is null with a line in "notes"
//  saying which and why; the rest is still computed.
//
//  When t is a time (days since 1970-01-01T00:00:00Z, from ISO 8601),
//  every t in the output is an ISO 8601 UTC string and slopes are per day.
//
//  Seasonal Mann-Kendall: with --season N (N >= 2), the Hirsch-Slack test
//  over the N cycle positions; without it, period 7 when the series is
//  daily (step 1, ISO t or numeric t in days), has at least two full
//  weeks, no missing steps, and its residuals about the least-squares
//  line have a lag-7 autocorrelation above the white-noise bound
//  Φ⁻¹(0.975)/√n. The object says which ("detected_by"). The plain
//  mann_kendall is always on the series as given.
#ifndef WS_TREND_H
#define WS_TREND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ws_err.h"
#include "ws_stats.h"

//  At most this many forecasts: a projection further out means nothing.
#define WS_TREND_MAX_HORIZON 10000

typedef struct {
    size_t horizon;             //  forecasts h = 1..horizon; 0 for none
    size_t season;              //  period N of --season; 0 if not given
    bool holt_winters;          //  run Holt / Holt-Winters
    ws_hw_seasonal_t seasonal;  //  which, when holt_winters
    double alpha;               //  NaN: fitted
    double beta;                //  NaN: fitted
    double gamma;               //  NaN: fitted (seasonal only)
    bool t_is_time;             //  t is days since the epoch (ISO 8601)
    double confidence;          //  of every interval; 0.95
} ws_trend_options_t;

//  Defaults: horizon 1, no season, no Holt-Winters, parameters fitted,
//  numeric t, confidence 0.95.
void ws_trend_options_init (ws_trend_options_t *self);

//  Analyse x (n values) at strictly increasing times t (borrowed).
//  Returns the JSON object (caller owns), or NULL with *err when the
//  input itself is wrong: a value or t not finite, t not increasing,
//  options out of range (horizon, season, parameters, confidence), or
//  out of memory. Too few points or a constant series are not errors:
//  they give nulls and notes.
json_t *ws_trend_analyse (const double *t, const double *x, size_t n,
                          const ws_trend_options_t *options, ws_err_t *err);

//  Name of a seasonal kind: "none", "additive", "multiplicative".
const char *ws_trend_seasonal_name (ws_hw_seasonal_t seasonal);

//  Parse a seasonal kind name. 0, or -1 with *err naming the text.
int ws_trend_seasonal_parse (const char *text, ws_hw_seasonal_t *seasonal,
                             ws_err_t *err);

#endif
