//  ws_trend_events - the headline of a trend analysis and its events.
#include "ws_trend_events.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The headline of one stored analysis, as 'watershed trends' ranks it:
//  status (rising, falling, no trend, too few points), |z| for the rank,
//  Sen's slope per day and as % of the series' mean level, and a change
//  point (Pettitt, p < 0.05) with its date and size.
void
ws_trend_headline (json_t *trend)
{
    json_t *analysis = json_object_get (trend, "analysis");
    json_t *mk = json_object_get (analysis, "mann_kendall");
    json_t *sen = json_object_get (analysis, "sen");
    json_t *pettitt = json_object_get (analysis, "pettitt");
    const char *status;
    double z = 0;
    if (!json_is_object (mk) || !json_is_object (sen))
        status = json_integer_value (json_object_get (trend, "n")) < 3
                     ? "too few points"
                     : "constant";
    else {
        z = json_number_value (json_object_get (mk, "z"));
        double p = json_number_value (json_object_get (mk, "p"));
        status = p >= 0.05 ? "no trend" : z > 0 ? "rising" : "falling";
    }
    json_object_set_new (trend, "status", json_string (status));
    json_object_set_new (trend, "z", json_real (z));
    if (json_is_object (pettitt)) {
        double before =
            json_number_value (json_object_get (pettitt, "mean_before"));
        double after =
            json_number_value (json_object_get (pettitt, "mean_after"));
        json_int_t index =
            json_integer_value (json_object_get (pettitt, "index"));
        json_int_t n = json_integer_value (json_object_get (analysis, "n"));
        double level =
            n ? (before * (double) index + after * (double) (n - index))
                    / (double) n
              : 0;
        json_object_set_new (trend, "level", json_real (level));
        if (json_is_object (sen) && level != 0)
            json_object_set_new (
                trend, "slope_pct_per_day",
                json_real (100.0
                           * json_number_value (json_object_get (sen, "slope"))
                           / fabs (level)));
        if (json_number_value (json_object_get (pettitt, "p")) < 0.05)
            json_object_set_new (trend, "change",
                                 json_pack ("{s:O, s:f, s:O}", "t",
                                            json_object_get (pettitt, "t"),
                                            "size", after - before, "p",
                                            json_object_get (pettitt, "p")));
    }
}

static const char *
s_text (json_t *row, const char *key)
{
    const char *text = json_string_value (json_object_get (row, key));
    return text ? text : "";
}

json_t *
ws_trend_events (json_t *previous, json_t *current, long long series_id,
                 int window_days, const char *name, long long now_ms)
{
    json_t *events = json_array ();
    const char *from = previous ? s_text (previous, "status") : "none";
    const char *to = s_text (current, "status");
    bool directional =
        strcmp (to, "rising") == 0 || strcmp (to, "falling") == 0;
    char fingerprint[160], summary[400];
    json_t *evidence = json_pack (
        "{s:O, s:O, s:O, s:O, s:O}", "n", json_object_get (current, "n"),
        "mk_p", json_object_get (current, "mk_p"), "sen_slope",
        json_object_get (current, "sen_slope"), "slope_pct_per_day",
        json_object_get (current, "slope_pct_per_day")
            ? json_object_get (current, "slope_pct_per_day")
            : json_null (),
        "window_days", json_object_get (current, "window_days"));
    if (directional && strcmp (from, to) != 0) {
        snprintf (fingerprint, sizeof fingerprint, "trend:%lld:%d:%s:%lld",
                  series_id, window_days, to, now_ms);
        snprintf (summary, sizeof summary,
                  "%s (%dd window) is now significantly %s: %+.4g per day "
                  "(p %.2g), was %s",
                  name, window_days, to,
                  json_number_value (json_object_get (current, "sen_slope")),
                  json_number_value (json_object_get (current, "mk_p")), from);
        json_array_append_new (
            events, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "kind",
                               "trend", "fingerprint", fingerprint, "from",
                               from, "to", to, "severity", "info", "summary",
                               summary, "evidence", evidence));
    }
    json_t *change = json_object_get (current, "change");
    json_t *before = previous ? json_object_get (previous, "change") : NULL;
    const char *at = json_string_value (json_object_get (change, "t"));
    const char *was = json_string_value (json_object_get (before, "t"));
    if (at && (!was || strcmp (at, was) != 0)) {
        //  The change point's own date makes the fingerprint: found again
        //  by the next analysis, it is the same event.
        snprintf (fingerprint, sizeof fingerprint, "change:%lld:%d:%s",
                  series_id, window_days, at);
        double size = json_number_value (json_object_get (change, "size"));
        snprintf (summary, sizeof summary,
                  "%s (%dd window) changed at %s: level %+.4g (p %.2g)", name,
                  window_days, at, size,
                  json_number_value (json_object_get (change, "p")));
        json_t *figures = json_deep_copy (evidence);
        json_object_set (figures, "change", change);
        json_array_append_new (
            events, json_pack ("{s:s, s:s, s:n, s:s, s:s, s:s, s:o}", "kind",
                               "change_point", "fingerprint", fingerprint,
                               "from", "to", at, "severity", "info", "summary",
                               summary, "evidence", figures));
    }
    json_decref (evidence);
    return events;
}
