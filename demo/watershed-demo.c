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
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ws_log.h"
#include "ws_time.h"

#define S_DAY_MS INT64_C (86400000)
//  The model starts on 2024-01-01 (days since the Unix epoch): the trend
//  and the "total" counters count from there.
#define S_DAY0 INT64_C (19723)
#define S_TREND_PER_DAY 0.0012 //  about +44% a year
#define S_PI 3.14159265358979323846
#define S_REGIONS 3
#define S_NETWORKS 3

typedef struct {
    const char *name;
    int utc_offset;        //  hours, for the daily curve
    double orders_per_day; //  on S_DAY0
    double basket;         //  average order value
    double abandon;        //  cart abandonment, mean
    double trials_per_day; //  on S_DAY0
    int64_t orders_before; //  orders before S_DAY0
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
    int64_t before; //  followers on S_DAY0
    double per_day; //  net new followers a day
} network_t;

static const network_t s_networks[S_NETWORKS] = {
    {"x", 48200, 35}, {"linkedin", 15300, 22}, {"instagram", 31900, 51}};

//  The bodies of the current second, shared by the pool threads.
typedef struct {
    pthread_mutex_t lock;
    int64_t second; //  wall-clock second they are for; -1 before the first
    char sales[S_REGIONS][256];
    size_t sales_len[S_REGIONS];
    char signups[512];
    size_t signups_len;
    char social[256];
    size_t social_len;
    struct MHD_Response *health; //  owns; constant
    struct MHD_Response *index;  //  owns; constant
} demo_t;

typedef struct {
    const char *listen; //  borrowed from argv
    unsigned port;
    const char *port_file; //  borrowed from argv
    unsigned threads;
    unsigned max_connections;
} options_t;

static volatile sig_atomic_t s_stop = 0;

//  --now: added to the wall clock, so a test can start the demo just
//  before midnight or replay a given day.
static int64_t s_clock_offset_ms = 0;

//  The request state of a GET or HEAD between the two calls MHD makes:
//  an address, never read or freed.
static char s_headers_seen;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

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
    uint64_t hash = 14695981039346656037ull; //  FNV-1a of the series
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
            s_daily_curve (minute / 60.0, s_regions[region].utc_offset) *
            (0.6 + 0.8 * s_unit (series, region, day * 1440 + minute));
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
    double revenue_today = (double) orders_day * basket *
                           s_day_share ("revenue", region, day, ms_of_day);

    double hours = (double) ms_of_day / 3600000.0;
    double local = fmod (hours + r->utc_offset + 48.0, 24.0);
    double abandon =
        r->abandon + 0.04 * sin (2 * S_PI * (local - 14) / 24) +
        0.05 * (2 * s_unit ("abandon", region, s_floor_div (now_ms, 5000)) - 1);
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
                                  s_work_week, day) *
            s_day_share ("trials", region, day, ms_of_day));
        int64_t signups_total =
            r->signups_before +
            (int64_t) floor ((double) s_signups_day (region, day) *
                             s_day_share ("signups", region, day, ms_of_day));
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
    return floor (2.5 * s_daily_curve (hours, 0) * viral *
                      (0.5 + s_unit ("mentions", 0, minute)) +
                  s_unit ("mentions-round", 0, minute));
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
        double wobble = 3 * (2 * s_unit (s_networks[i].name, 0,
                                         s_floor_div (now_ms, 10000)) -
                             1);
        followers[i] = s_networks[i].before +
                       llround (s_networks[i].per_day * days + wobble);
    }
    //  A sliding hour: the 59 whole minutes before this one, this
    //  minute's elapsed part and the rest of the minute an hour ago.
    int64_t minute = s_floor_div (now_ms, 60000);
    double fraction = (double) (now_ms - minute * 60000) / 60000.0;
    double mentions = s_mentions_minute (minute) * fraction +
                      s_mentions_minute (minute - 60) * (1 - fraction);
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
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
           s_clock_offset_ms;
}

static enum MHD_Result
s_queue (struct MHD_Connection *connection, const char *url, unsigned status,
         struct MHD_Response *response)
{
    ws_info ("%s: %u", url, status);
    return MHD_queue_response (connection, status, response);
}

//  Reply with a copy of body (borrowed).
static enum MHD_Result
s_reply (struct MHD_Connection *connection, const char *url, unsigned status,
         const char *body, size_t len)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        len, (void *) body, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                             "application/json");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             "no-store");
    enum MHD_Result rc = s_queue (connection, url, status, response);
    MHD_destroy_response (response);
    return rc;
}

//  Reply {"error": text}; text may quote the request, so jansson
//  escapes it.
static enum MHD_Result
s_reply_error (struct MHD_Connection *connection, const char *url,
               unsigned status, const char *text)
{
    json_t *doc = json_object ();
    json_object_set_new (doc, "error", json_string (text));
    char *body = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    const char *fallback = "{\"error\":\"demo: out of memory\"}";
    enum MHD_Result rc =
        s_reply (connection, url, status, body ? body : fallback,
                 strlen (body ? body : fallback));
    free (body);
    return rc;
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
        return s_reply_error (connection, url, 500,
                              "demo: a body did not fit its buffer");
    return s_reply (connection, url, 200, body, len);
}

static enum MHD_Result
s_serve_sales (demo_t *self, struct MHD_Connection *connection, const char *url)
{
    const char *name = MHD_lookup_connection_value (
        connection, MHD_GET_ARGUMENT_KIND, "region");
    if (!name)
        return s_reply_error (connection, url, 400,
                              "query 'region': missing, expected eu, us or "
                              "apac");
    for (int region = 0; region < S_REGIONS; region++)
        if (strcmp (name, s_regions[region].name) == 0)
            return s_reply_current (self, connection, url, BODY_SALES, region);
    char text[200];
    snprintf (text, sizeof text,
              "query 'region': found '%.64s', expected eu, us or apac", name);
    return s_reply_error (connection, url, 400, text);
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
        return s_reply_error (connection, url, 405, text);
    }
    if (strcmp (url, "/api/sales") == 0)
        return s_serve_sales (self, connection, url);
    if (strcmp (url, "/api/signups") == 0)
        return s_reply_current (self, connection, url, BODY_SIGNUPS, 0);
    if (strcmp (url, "/api/social") == 0)
        return s_reply_current (self, connection, url, BODY_SOCIAL, 0);
    if (strcmp (url, "/health") == 0)
        return s_queue (connection, url, 200, self->health);
    if (strcmp (url, "/") == 0)
        return s_queue (connection, url, 200, self->index);
    char text[300];
    snprintf (text, sizeof text,
              "path '%.128s': not found, try /api/sales?region=eu, "
              "/api/signups, /api/social or /health",
              url);
    return s_reply_error (connection, url, 404, text);
}

static struct MHD_Response *
s_static_response (const char *body)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (body), (void *) body, MHD_RESPMEM_PERSISTENT);
    if (response)
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                 "application/json");
    return response;
}

// --------------------------------------------------------------------
//  Process: options, listening, signals

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
             "  --help\n"
             "Endpoints: /api/sales?region=eu|us|apac /api/signups "
             "/api/social /health\n");
}

//  Parse a whole decimal number in [min, max]. 0 or -1.
static int
s_parse_ulong (const char *text, unsigned long min, unsigned long max,
               unsigned long *out)
{
    if (!text || *text < '0' || *text > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long value = strtoul (text, &end, 10);
    if (errno || *end || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

//  Take "--name value" or "--name=value". Returns the value, or NULL if
//  argv[*i] is not this option.
static const char *
s_option (int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t len = strlen (name);
    if (strncmp (argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int
s_parse_options (int argc, char **argv, options_t *options)
{
    *options = (options_t){.listen = "127.0.0.1",
                           .port = 8089,
                           .threads = 2,
                           .max_connections = 8192};
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *value;
        unsigned long number;
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_usage (stdout);
            exit (0);
        }
        else if ((value = s_option (argc, argv, &i, "--listen", &missing)))
            options->listen = value;
        else if ((value = s_option (argc, argv, &i, "--port-file", &missing)))
            options->port_file = value;
        else if ((value = s_option (argc, argv, &i, "--port", &missing))) {
            if (s_parse_ulong (value, 0, 65535, &number)) {
                ws_error ("option --port '%s': expected an integer 0..65535",
                          value);
                return -1;
            }
            options->port = (unsigned) number;
        }
        else if ((value = s_option (argc, argv, &i, "--threads", &missing))) {
            if (s_parse_ulong (value, 1, 64, &number)) {
                ws_error ("option --threads '%s': expected an integer 1..64",
                          value);
                return -1;
            }
            options->threads = (unsigned) number;
        }
        else if ((value = s_option (argc, argv, &i, "--max-connections",
                                    &missing))) {
            if (s_parse_ulong (value, 1, 1000000, &number)) {
                ws_error ("option --max-connections '%s': expected an "
                          "integer 1..1000000",
                          value);
                return -1;
            }
            options->max_connections = (unsigned) number;
        }
        else if ((value = s_option (argc, argv, &i, "--log-level", &missing))) {
            int level = ws_log_level_parse (value);
            if (level < 0) {
                ws_error ("option --log-level '%s': expected error, "
                          "warning, notice, info or debug",
                          value);
                return -1;
            }
            ws_log_set_level ((ws_log_level_t) level);
        }
        else if ((value = s_option (argc, argv, &i, "--now", &missing))) {
            int64_t now_ms;
            ws_err_t err;
            if (ws_iso8601_parse (value, &now_ms, &err)) {
                ws_error ("option --now: %s", err.text);
                return -1;
            }
            s_clock_offset_ms = now_ms - s_now_ms ();
        }
        if (missing) {
            ws_error ("option %s: missing its value", argv[i]);
            return -1;
        }
        if (!value) {
            ws_error ("option '%s': unknown (try --help)", argv[i]);
            return -1;
        }
    }
    return 0;
}

//  Each connection is a file descriptor: raise the soft limit to fit the
//  connection limit, or lower the connection limit to fit the hard one.
static unsigned
s_fit_fd_limit (unsigned want)
{
    struct rlimit limit;
    rlim_t need = (rlim_t) want + 64;
    if (getrlimit (RLIMIT_NOFILE, &limit))
        return want;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < need) {
        limit.rlim_cur =
            (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= need)
                ? need
                : limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < need) {
        unsigned fit =
            limit.rlim_cur > 128 ? (unsigned) limit.rlim_cur - 64 : 64;
        ws_warning ("connection limit %u: open files limited to %lu, "
                    "using %u",
                    want, (unsigned long) limit.rlim_cur, fit);
        return fit;
    }
    return want;
}

static int
s_resolve (const char *listen, struct sockaddr_storage *address)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *found = NULL;
    int rc = getaddrinfo (listen, NULL, &hints, &found);
    if (rc || !found) {
        ws_error ("option --listen '%s': %s", listen,
                  rc ? gai_strerror (rc) : "no address");
        return -1;
    }
    memcpy (address, found->ai_addr, found->ai_addrlen);
    freeaddrinfo (found);
    return 0;
}

static void
s_mhd_log (void *cls, const char *fmt, va_list args)
{
    (void) cls;
    char text[512];
    vsnprintf (text, sizeof text, fmt, args);
    size_t len = strlen (text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    ws_warning ("http: %s", text);
}

static int
s_write_port_file (const char *path, unsigned port)
{
    size_t len = strlen (path) + 5;
    char *tmp = malloc (len);
    if (!tmp)
        return -1;
    snprintf (tmp, len, "%s.tmp", path);
    FILE *file = fopen (tmp, "w");
    int rc = -1;
    if (file) {
        bool wrote = fprintf (file, "%u\n", port) > 0;
        if (fclose (file) == 0 && wrote && rename (tmp, path) == 0)
            rc = 0;
    }
    if (rc)
        ws_error ("port file '%s': %s", path, strerror (errno));
    free (tmp);
    return rc;
}

int
main (int argc, char **argv)
{
    ws_log_init ('D', false);
    options_t options;
    if (s_parse_options (argc, argv, &options))
        return 2;
    struct sockaddr_storage address;
    if (s_resolve (options.listen, &address))
        return 2;
    bool ipv6 = address.ss_family == AF_INET6;
    if (ipv6)
        ((struct sockaddr_in6 *) &address)->sin6_port =
            htons ((uint16_t) options.port);
    else
        ((struct sockaddr_in *) &address)->sin_port =
            htons ((uint16_t) options.port);

    //  Signals go to this thread only: block them before MHD starts its
    //  threads (which inherit the mask), wait for them in sigsuspend.
    sigset_t block, unblocked;
    sigemptyset (&block);
    sigaddset (&block, SIGTERM);
    sigaddset (&block, SIGINT);
    pthread_sigmask (SIG_BLOCK, &block, &unblocked);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    sigemptyset (&action.sa_mask);
    action.sa_handler = s_on_signal;
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    action.sa_handler = SIG_IGN;
    sigaction (SIGPIPE, &action, NULL);

    static demo_t demo = {.second = -1};
    demo_t *self = &demo;
    pthread_mutex_init (&self->lock, NULL);
    self->health = s_static_response ("{\"ok\":true}");
    self->index = s_static_response (
        "{\"name\":\"watershed-demo\",\"endpoints\":[\"/api/sales?region=eu\","
        "\"/api/sales?region=us\",\"/api/sales?region=apac\","
        "\"/api/signups\",\"/api/social\",\"/health\"]}");
    if (!self->health || !self->index) {
        ws_error ("demo: out of memory at start");
        return 1;
    }
    unsigned connections = s_fit_fd_limit (options.max_connections);
    struct MHD_Daemon *daemon = MHD_start_daemon (
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
            (ipv6 ? MHD_USE_IPv6 : 0),
        (uint16_t) options.port, NULL, NULL, s_on_request, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, (void *) NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_THREAD_POOL_SIZE, options.threads,
        MHD_OPTION_CONNECTION_LIMIT, connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned) 120, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 4096,
        MHD_OPTION_END);
    int rc = 0;
    if (!daemon) {
        ws_error ("listen %s port %u: cannot start the HTTP server "
                  "(address in use or not available?)",
                  options.listen, options.port);
        rc = 1;
    }
    else {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info (daemon, MHD_DAEMON_INFO_BIND_PORT);
        unsigned port = info ? info->port : options.port;
        if (options.port_file && s_write_port_file (options.port_file, port))
            rc = 1;
        else {
            ws_notice ("listening on http://%s%s%s:%u", ipv6 ? "[" : "",
                       options.listen, ipv6 ? "]" : "", port);
            while (!s_stop)
                sigsuspend (&unblocked);
            ws_notice ("stopping on signal");
        }
        MHD_stop_daemon (daemon);
    }
    MHD_destroy_response (self->health);
    MHD_destroy_response (self->index);
    pthread_mutex_destroy (&self->lock);
    return rc;
}
