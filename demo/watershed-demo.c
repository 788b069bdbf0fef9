//  watershed-demo - the bundled demo web source: a small HTTP server
//  with synthetic marketing metrics that move over time, so the README's
//  first command has something live to collect (demo/sources.json).
//
//  Every value is a function of the wall clock alone: two demos started
//  anywhere answer the same at the same second. A daily flow (orders,
//  trials, signups) has a day total = base x trend x weekday factor x
//  day noise; the share of it done by now is the sum of per-minute
//  weights (a daily curve in the region's local time x minute noise) up
//  to now over the day's sum, so "today" counters grow every second,
//  reach the day total at midnight UTC and restart, and "total"
//  counters (the past days' totals plus today) never go down. Noise
//  comes from a hash of (series, region, time bucket), not a random
//  generator. Bodies are rebuilt at most once a second and copied to
//  each request, which keeps the server fast enough for benches.
//
//  GET /api/sales?region=eu|us|apac, /api/signups, /api/social, /health.
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws_err.h"
#include "ws_httpd.h"
#include "ws_log.h"
#include "ws_time.h"

#define S_DAY_MS INT64_C (86400000)
//  The model starts on 2024-01-01 (days since the Unix epoch): the trend
//  and the "total" counters count from there.
#define S_DAY0 INT64_C (19723)
#define S_TREND_PER_DAY 0.0012  //  about +44% a year
#define S_PI 3.14159265358979323846
#define S_REGIONS 3
#define S_NETWORKS 3

typedef struct {
    const char *name;
    int utc_offset;         //  hours, for the daily curve
    double orders_per_day;  //  on S_DAY0
    double basket;          //  average order value
    double abandon;         //  cart abandonment, mean
    double trials_per_day;  //  on S_DAY0
    int64_t orders_before;  //  orders before S_DAY0
    int64_t signups_before;
} region_t;

static const region_t s_regions[S_REGIONS] = {
    {"eu", 1, 12000, 58.0, 0.69, 420, 1250000, 41000},
    {"us", -5, 18000, 64.0, 0.66, 610, 2100000, 63000},
    {"apac", 8, 8000, 47.0, 0.73, 260, 610000, 17000}};

//  Weekday factors, Sunday first: shoppers buy at weekends, businesses
//  start trials on weekdays.
static const double s_shop_week[7] = {1.20, 0.92, 0.95, 0.97, 1.00, 1.08, 1.25};
static const double s_work_week[7] = {0.55, 1.10, 1.15, 1.12, 1.08, 1.00, 0.60};

typedef struct {
    const char *name;
    int64_t before;  //  followers on S_DAY0
    double per_day;  //  net new followers a day
} network_t;

static const network_t s_networks[S_NETWORKS] = {
    {"x", 48200, 35}, {"linkedin", 15300, 22}, {"instagram", 31900, 51}};

//  The bodies of the current second, shared by the pool threads.
typedef struct {
    pthread_mutex_t lock;
    int64_t second;  //  wall-clock second they are for; -1 before the first
    char sales[S_REGIONS][256];
    size_t sales_len[S_REGIONS];
    char signups[512];
    size_t signups_len;
    char social[256];
    size_t social_len;
    struct MHD_Response *health;  //  owns; constant
    struct MHD_Response *index;   //  owns; constant
} demo_t;

//  --now: added to the wall clock, so a test can start the demo just
//  before midnight or replay a given day.
static int64_t s_clock_offset_ms = 0;

//  The request state of a GET or HEAD between the two calls MHD makes:
//  an address, never read or freed.
static char s_headers_seen;

// --------------------------------------------------------------------
//  The model

//  splitmix64's finaliser: every input bit moves every output bit.
static uint64_t
s_mix (uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

//  Noise in [0, 1) for (series, region, bucket): deterministic, so the
//  same second gives the same values in every run.
static double
s_unit (const char *series, int region, int64_t bucket)
{
    uint64_t hash = 14695981039346656037ull;  //  FNV-1a of the series
    for (const char *p = series; *p; p++) {
        hash ^= (unsigned char) *p;
        hash *= 1099511628211ull;
    }
    hash = s_mix (hash ^ ((uint64_t) (region + 1) * 0x9e3779b97f4a7c15ull));
    hash = s_mix (hash ^ (uint64_t) bucket);
    return (double) (hash >> 11) * 0x1.0p-53;
}

//  Floor division: days and buckets stay right before 1970 too.
static int64_t
s_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int
s_weekday (int64_t day)
{
    //  1970-01-01 was a Thursday (4, Sunday = 0).
    return (int) (((day % 7) + 7 + 4) % 7);
}

static double
s_trend (int64_t day)
{
    double trend = 1 + S_TREND_PER_DAY * (double) (day - S_DAY0);
    return trend < 0.5 ? 0.5 : trend;
}

//  Activity over the day in local time: lowest at 04:00, highest at
//  16:00 (1 -/+ 0.75).
static double
s_daily_curve (double utc_hours, int utc_offset)
{
    double local = fmod (utc_hours + utc_offset + 48.0, 24.0);
    return 1 + 0.75 * sin (2 * S_PI * (local - 10) / 24);
}

//  One day's total of a daily flow: base x trend x weekday x (1 +/- 12%).
static int64_t
s_day_total (const char *series, int region, double per_day, const double *week,
             int64_t day)
{
    double noise = 1 + 0.12 * (2 * s_unit (series, region, day) - 1);
    return llround (per_day * s_trend (day) * week[s_weekday (day)] * noise);
}

//  Share of a day's total done at ms_of_day: minute weights (the daily
//  curve x 0.6..1.4 noise) summed up to now, the current minute pro rata,
//  over the whole day's sum. Grows with time, 0 at midnight, 1 at the
//  next.
static double
s_day_share (const char *series, int region, int64_t day, int64_t ms_of_day)
{
    int minute_now = (int) (ms_of_day / 60000);
    double fraction = (double) (ms_of_day % 60000) / 60000.0;
    double done = 0, all = 0;
    for (int minute = 0; minute < 1440; minute++) {
        double weight =
            s_daily_curve (minute / 60.0, s_regions[region].utc_offset)
            * (0.6 + 0.8 * s_unit (series, region, day * 1440 + minute));
        all += weight;
        if (minute < minute_now)
            done += weight;
        else if (minute == minute_now)
            done += weight * fraction;
    }
    return done / all;
}

//  Paid signups of a day: that day's trials x a 14..22% conversion.
static int64_t
s_signups_day (int region, int64_t day)
{
    int64_t trials = s_day_total (
        "trials", region, s_regions[region].trials_per_day, s_work_week, day);
    double conversion =
        0.18 + 0.04 * (2 * s_unit ("conversion", region, day) - 1);
    return llround ((double) trials * conversion);
}

static int
s_format_sales (int region, int64_t now_ms, char *out, size_t size)
{
    const region_t *r = &s_regions[region];
    int64_t day = s_floor_div (now_ms, S_DAY_MS);
    int64_t ms_of_day = now_ms - day * S_DAY_MS;
    int64_t orders_day =
        s_day_total ("orders", region, r->orders_per_day, s_shop_week, day);
    int64_t orders_today = (int64_t) floor (
        (double) orders_day * s_day_share ("orders", region, day, ms_of_day));
    int64_t orders_total = r->orders_before + orders_today;
    for (int64_t past = S_DAY0; past < day; past++)
        orders_total += s_day_total ("orders", region, r->orders_per_day,
                                     s_shop_week, past);

    //  Revenue has its own minute weights, so the average basket drifts
    //  during the day.
    double basket =
        r->basket * (1 + 0.06 * (2 * s_unit ("basket", region, day) - 1));
    double revenue_today = (double) orders_day * basket
                           * s_day_share ("revenue", region, day, ms_of_day);

    double hours = (double) ms_of_day / 3600000.0;
    double local = fmod (hours + r->utc_offset + 48.0, 24.0);
    double abandon =
        r->abandon + 0.04 * sin (2 * S_PI * (local - 14) / 24)
        + 0.05
              * (2 * s_unit ("abandon", region, s_floor_div (now_ms, 5000))
                 - 1);
    abandon = abandon < 0 ? 0 : abandon > 1 ? 1 : abandon;

    char date[32];
    ws_iso8601_format (day * S_DAY_MS, date, sizeof date);
    date[10] = '\0';
    return snprintf (out, size,
                     "{\"region\":\"%s\",\"date\":\"%s\","
                     "\"orders_today\":%" PRId64 ",\"revenue_today\":%.2f,"
                     "\"orders_total\":%" PRId64 ",\"cart_abandon_rate\":%.4f}",
                     r->name, date, orders_today,
                     floor (revenue_today * 100) / 100, orders_total, abandon);
}

static int
s_format_signups (int64_t now_ms, char *out, size_t size)
{
    int64_t day = s_floor_div (now_ms, S_DAY_MS);
    int64_t ms_of_day = now_ms - day * S_DAY_MS;
    char updated[32];
    ws_iso8601_format (s_floor_div (now_ms, 1000) * 1000, updated,
                       sizeof updated);
    int len =
        snprintf (out, size, "{\"updated\":\"%s\",\"regions\":[", updated);
    for (int region = 0; region < S_REGIONS && len > 0 && (size_t) len < size;
         region++) {
        const region_t *r = &s_regions[region];
        int64_t trials_today = (int64_t) floor (
            (double) s_day_total ("trials", region, r->trials_per_day,
                                  s_work_week, day)
            * s_day_share ("trials", region, day, ms_of_day));
        int64_t signups_total =
            r->signups_before
            + (int64_t) floor (
                (double) s_signups_day (region, day)
                * s_day_share ("signups", region, day, ms_of_day));
        for (int64_t past = S_DAY0; past < day; past++)
            signups_total += s_signups_day (region, past);
        len +=
            snprintf (out + len, size - (size_t) len,
                      "%s{\"name\":\"%s\",\"trials_today\":%" PRId64
                      ",\"signups_total\":%" PRId64 "}",
                      region ? "," : "", r->name, trials_today, signups_total);
    }
    if (len > 0 && (size_t) len < size)
        len += snprintf (out + len, size - (size_t) len, "]}");
    return len;
}

//  Mentions a minute: about 2.5 x the daily curve, and now and then a
//  viral hour at 5x.
static double
s_mentions_minute (int64_t minute)
{
    int64_t hour = s_floor_div (minute, 60);
    double viral = s_unit ("viral", 0, hour) > 0.93 ? 5.0 : 1.0;
    double hours = (double) (minute - s_floor_div (minute, 1440) * 1440) / 60;
    return floor (2.5 * s_daily_curve (hours, 0) * viral
                      * (0.5 + s_unit ("mentions", 0, minute))
                  + s_unit ("mentions-round", 0, minute));
}

static int
s_format_social (int64_t now_ms, char *out, size_t size)
{
    double days = (double) (now_ms - S_DAY0 * S_DAY_MS) / (double) S_DAY_MS;
    if (days < 0)
        days = 0;
    int64_t followers[S_NETWORKS];
    for (int i = 0; i < S_NETWORKS; i++) {
        //  Steady growth, and a wobble of a few unfollows and follows
        //  every 10 s: a gauge, not a counter.
        double wobble =
            3
            * (2 * s_unit (s_networks[i].name, 0, s_floor_div (now_ms, 10000))
               - 1);
        followers[i] = s_networks[i].before
                       + llround (s_networks[i].per_day * days + wobble);
    }
    //  A sliding hour: the 59 whole minutes before this one, this
    //  minute's elapsed part and the rest of the minute an hour ago.
    int64_t minute = s_floor_div (now_ms, 60000);
    double fraction = (double) (now_ms - minute * 60000) / 60000.0;
    double mentions = s_mentions_minute (minute) * fraction
                      + s_mentions_minute (minute - 60) * (1 - fraction);
    for (int64_t back = 1; back < 60; back++)
        mentions += s_mentions_minute (minute - back);
    return snprintf (out, size,
                     "{\"followers\":{\"x\":%" PRId64 ",\"linkedin\":%" PRId64
                     ",\"instagram\":%" PRId64 "},\"mentions_last_hour\":%lld}",
                     followers[0], followers[1], followers[2],
                     (long long) llround (mentions));
}

//  Rebuild the bodies when the second changed. Called with the lock.
static void
s_refresh (demo_t *self, int64_t now_ms)
{
    int64_t second = s_floor_div (now_ms, 1000);
    if (second == self->second)
        return;
    for (int region = 0; region < S_REGIONS; region++) {
        int len = s_format_sales (region, now_ms, self->sales[region],
                                  sizeof self->sales[region]);
        self->sales_len[region] =
            len > 0 && (size_t) len < sizeof self->sales[region] ? (size_t) len
                                                                 : 0;
    }
    int len = s_format_signups (now_ms, self->signups, sizeof self->signups);
    self->signups_len =
        len > 0 && (size_t) len < sizeof self->signups ? (size_t) len : 0;
    len = s_format_social (now_ms, self->social, sizeof self->social);
    self->social_len =
        len > 0 && (size_t) len < sizeof self->social ? (size_t) len : 0;
    self->second = second;
}

// --------------------------------------------------------------------
//  HTTP

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000
           + s_clock_offset_ms;
}

typedef enum { BODY_SALES, BODY_SIGNUPS, BODY_SOCIAL } body_t;

static enum MHD_Result
s_reply_current (demo_t *self, struct MHD_Connection *connection,
                 const char *url, body_t which, int region)
{
    char body[512];
    size_t len = 0;
    pthread_mutex_lock (&self->lock);
    s_refresh (self, s_now_ms ());
    const char *source = which == BODY_SALES     ? self->sales[region]
                         : which == BODY_SIGNUPS ? self->signups
                                                 : self->social;
    len = which == BODY_SALES     ? self->sales_len[region]
          : which == BODY_SIGNUPS ? self->signups_len
                                  : self->social_len;
    if (len <= sizeof body)
        memcpy (body, source, len);
    pthread_mutex_unlock (&self->lock);
    if (len == 0 || len > sizeof body)
        return ws_httpd_reply_error (connection, url, 500,
                                     "demo: a body did not fit its buffer");
    return ws_httpd_reply (connection, url, 200, body, len);
}

static enum MHD_Result
s_serve_sales (demo_t *self, struct MHD_Connection *connection, const char *url)
{
    const char *name = MHD_lookup_connection_value (
        connection, MHD_GET_ARGUMENT_KIND, "region");
    if (!name)
        return ws_httpd_reply_error (
            connection, url, 400,
            "query 'region': missing, expected eu, us or "
            "apac");
    for (int region = 0; region < S_REGIONS; region++)
        if (strcmp (name, s_regions[region].name) == 0)
            return s_reply_current (self, connection, url, BODY_SALES, region);
    char text[200];
    snprintf (text, sizeof text,
              "query 'region': found '%.64s', expected eu, us or apac", name);
    return ws_httpd_reply_error (connection, url, 400, text);
}

static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *connection, const char *url,
              const char *method, const char *version, const char *upload_data,
              size_t *upload_data_size, void **con_cls)
{
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    demo_t *self = cls;
    bool get = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
    if (get && *con_cls == NULL) {
        //  Answer on the second call: an answer queued on the first one
        //  makes MHD 0.9.75 close the connection (no keep-alive).
        *con_cls = &s_headers_seen;
        return MHD_YES;
    }
    if (!get) {
        char text[200];
        snprintf (text, sizeof text, "method '%.64s': expected GET or HEAD",
                  method);
        return ws_httpd_reply_error (connection, url, 405, text);
    }
    if (strcmp (url, "/api/sales") == 0)
        return s_serve_sales (self, connection, url);
    if (strcmp (url, "/api/signups") == 0)
        return s_reply_current (self, connection, url, BODY_SIGNUPS, 0);
    if (strcmp (url, "/api/social") == 0)
        return s_reply_current (self, connection, url, BODY_SOCIAL, 0);
    if (strcmp (url, "/health") == 0)
        return ws_httpd_queue (connection, url, 200, self->health);
    if (strcmp (url, "/") == 0)
        return ws_httpd_queue (connection, url, 200, self->index);
    char text[300];
    snprintf (text, sizeof text,
              "path '%.128s': not found, try /api/sales?region=eu, "
              "/api/signups, /api/social or /health",
              url);
    return ws_httpd_reply_error (connection, url, 404, text);
}

// --------------------------------------------------------------------
//  Process: options

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: watershed-demo [options]\n"
             "  --listen ADDR          address to bind (default 127.0.0.1)\n"
             "  --port N               port (default 8089; 0: any free "
             "port)\n"
             "  --port-file FILE       write the bound port there once "
             "listening\n"
             "  --threads N            thread pool size (default 2)\n"
             "  --max-connections N    connection limit (default 8192)\n"
             "  --log-level LEVEL      error..debug; info logs every "
             "request\n"
             "  --now TIME             run as if the clock read TIME "
             "(ISO 8601) at start\n"
             "  --history SERIES:REGION:DAYS\n"
             "                         print the daily totals of the DAYS "
             "days before\n"
             "                         today as a t,value CSV (orders or "
             "signups) and exit\n"
             "  --help\n"
             "Endpoints: /api/sales?region=eu|us|apac /api/signups "
             "/api/social /health\n");
}

//  --history SERIES:REGION:DAYS: the daily totals of the DAYS days before
//  today, as a t,value CSV on stdout, for 'watershed import' (the demo's
//  goals are judged on history, as real ones are).
static const char *s_history;

static int
s_print_history (const char *spec)
{
    char series[16], region_name[16];
    int days = 0;
    if (sscanf (spec, "%15[a-z]:%15[a-z]:%d", series, region_name, &days) != 3
        || days < 1 || days > 3660
        || (strcmp (series, "orders") != 0
            && strcmp (series, "signups") != 0)) {
        ws_error ("option --history: \"%s\": expected SERIES:REGION:DAYS "
                  "(orders or signups, eu, us or apac, 1..3660 days)",
                  spec);
        return 2;
    }
    int region = -1;
    for (int i = 0; i < S_REGIONS; i++)
        if (strcmp (s_regions[i].name, region_name) == 0)
            region = i;
    if (region < 0) {
        ws_error ("option --history: region \"%s\": expected eu, us or apac",
                  region_name);
        return 2;
    }
    int64_t today = s_floor_div (s_now_ms (), S_DAY_MS);
    printf ("t,value\n");
    for (int64_t day = today - days; day < today; day++) {
        char date[40];
        ws_iso8601_format (day * S_DAY_MS, date, sizeof date);
        date[10] = '\0';
        int64_t total = strcmp (series, "orders") == 0
                            ? s_day_total ("orders", region,
                                           s_regions[region].orders_per_day,
                                           s_shop_week, day)
                            : s_signups_day (region, day);
        printf ("%s,%" PRId64 "\n", date, total);
    }
    return 0;
}

//  --now TIME: run as if the clock read TIME at start.
static int
s_on_option (void *arg, const char *name, const char *value)
{
    (void) arg;
    if (strcmp (name, "--history") == 0) {
        s_history = value;
        return 0;
    }
    int64_t now_ms;
    ws_err_t err;
    if (ws_iso8601_parse (value, &now_ms, &err)) {
        ws_error ("option --now: %s", err.text);
        return -1;
    }
    s_clock_offset_ms = now_ms - s_now_ms ();
    return 0;
}

int
main (int argc, char **argv)
{
    ws_log_init ('D', false);
    ws_httpd_config_t config;
    ws_httpd_config_init (&config);
    config.port = 8089;
    static const char *const names[] = {"--now", "--history", NULL};
    int parsed =
        ws_httpd_config_parse (&config, argc, argv, names, s_on_option, NULL);
    if (parsed == 1)
        s_usage (stdout);
    if (parsed)
        return parsed == 1 ? 0 : 2;
    if (s_history)
        return s_print_history (s_history);
    ws_httpd_t *httpd = ws_httpd_new (&config);
    if (!httpd)
        return 2;

    static demo_t demo = {.second = -1};
    demo_t *self = &demo;
    pthread_mutex_init (&self->lock, NULL);
    static const char health[] = "{\"ok\":true}";
    static const char index[] =
        "{\"name\":\"watershed-demo\",\"endpoints\":[\"/api/sales?region=eu\","
        "\"/api/sales?region=us\",\"/api/sales?region=apac\","
        "\"/api/signups\",\"/api/social\",\"/health\"]}";
    self->health = ws_httpd_response (health, sizeof health - 1, true);
    self->index = ws_httpd_response (index, sizeof index - 1, true);
    if (!self->health || !self->index) {
        ws_error ("demo: out of memory at start");
        return 1;
    }
    int rc = ws_httpd_start (httpd, MHD_USE_EPOLL_INTERNAL_THREAD, s_on_request,
                             self, NULL, NULL)
                 ? 1
                 : 0;
    if (rc == 0)
        ws_httpd_run (httpd, NULL);
    ws_httpd_destroy (&httpd);
    MHD_destroy_response (self->health);
    MHD_destroy_response (self->index);
    pthread_mutex_destroy (&self->lock);
    return rc;
}
