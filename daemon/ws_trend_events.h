//  ws_trend_events - what a stored trend analysis says at a glance, and
//  which events it raises against the previous one. 'watershed trends'
//  ranks by the headline; the coordinator records the events as alerts
//  (a series turns significantly rising or falling; a new change point).
#ifndef WS_TREND_EVENTS_H
#define WS_TREND_EVENTS_H

#include <jansson.h>

//  Add to a trend row ({"n", "analysis", ...}; borrowed, changed in
//  place) its headline: "status" (rising, falling, no trend, constant,
//  too few points), "z", "level" (the series' mean), "slope_pct_per_day"
//  and, for a change point with p < 0.05, "change" {t, size, p}.
void ws_trend_headline (json_t *trend);

//  The events from previous (a headline row, or NULL for none) to
//  current (a headline row) as an array of alerts (caller owns):
//  {"kind", "fingerprint", "from", "to", "severity", "summary",
//  "evidence"}. series_id and window_days make the fingerprints;
//  now_ms stamps a status change, so the same turn is recorded once.
json_t *ws_trend_events (json_t *previous, json_t *current, long long series_id,
                         int window_days, const char *name, long long now_ms);

#endif
