//  ceiling - the ceiling for bench/collect: a plain libcurl multi loop that
//  fetches the same URLs as fast as it can and parses each body with
//  jansson, reading the same three numbers a source's rules read. No
//  scheduling, no protocol, no database: what one process can fetch and
//  parse on this machine is the most watershed could commit.
//
//  usage: ceiling BASE_URL COUNT SECONDS [CONCURRENCY]
//  fetches BASE_URL + "s%04d" for 1..COUNT round robin; prints fetches/s,
//  values parsed/s and CPU seconds per 1,000 values.
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    CURL *easy;
    char body[4096];
    size_t len;
} s_transfer_t;

static size_t
s_write (char *data, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = arg;
    size_t bytes = size * count;
    if (transfer->len + bytes >= sizeof transfer->body)
        return 0;
    memcpy (transfer->body + transfer->len, data, bytes);
    transfer->len += bytes;
    return bytes;
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
s_cpu (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
           + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int
main (int argc, char **argv)
{
    if (argc < 4) {
        fprintf (stderr,
                 "usage: ceiling BASE_URL COUNT SECONDS [CONCURRENCY]\n");
        return 2;
    }
    const char *base = argv[1];
    int count = atoi (argv[2]);
    double seconds = atof (argv[3]);
    int concurrency = argc > 4 ? atoi (argv[4]) : 256;
    if (count < 1 || seconds <= 0 || concurrency < 1)
        return 2;
    curl_global_init (CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init ();
    curl_multi_setopt (multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                       (long) concurrency);
    s_transfer_t *transfers = calloc ((size_t) concurrency, sizeof *transfers);
    int next = 0;
    long fetches = 0, values = 0, errors = 0;
    char url[1024];
    for (int i = 0; i < concurrency; i++) {
        transfers[i].easy = curl_easy_init ();
        curl_easy_setopt (transfers[i].easy, CURLOPT_WRITEFUNCTION, s_write);
        curl_easy_setopt (transfers[i].easy, CURLOPT_WRITEDATA, &transfers[i]);
        curl_easy_setopt (transfers[i].easy, CURLOPT_PRIVATE, &transfers[i]);
        curl_easy_setopt (transfers[i].easy, CURLOPT_NOSIGNAL, 1L);
        snprintf (url, sizeof url, "%ss%04d", base, next++ % count + 1);
        curl_easy_setopt (transfers[i].easy, CURLOPT_URL, url);
        curl_multi_add_handle (multi, transfers[i].easy);
    }
    double start = s_now (), cpu_start = s_cpu ();
    int running = 1;
    while (s_now () - start < seconds) {
        curl_multi_perform (multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read (multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            s_transfer_t *transfer;
            curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, &transfer);
            fetches++;
            json_t *doc =
                msg->data.result == CURLE_OK
                    ? json_loadb (transfer->body, transfer->len, 0, NULL)
                    : NULL;
            static const char *keys[] = {"sales", "signups", "visits"};
            for (int k = 0; doc && k < 3; k++)
                if (json_is_number (json_object_get (doc, keys[k])))
                    values++;
            if (!doc)
                errors++;
            json_decref (doc);
            curl_multi_remove_handle (multi, transfer->easy);
            transfer->len = 0;
            snprintf (url, sizeof url, "%ss%04d", base, next++ % count + 1);
            curl_easy_setopt (transfer->easy, CURLOPT_URL, url);
            curl_multi_add_handle (multi, transfer->easy);
        }
        curl_multi_poll (multi, NULL, 0, 100, NULL);
    }
    double elapsed = s_now () - start, cpu = s_cpu () - cpu_start;
    printf (
        "ceiling: %.0f fetches/s, %.0f values/s, %.3f CPU-s per 1000 values, "
        "%ld errors\n",
        fetches / elapsed, values / elapsed,
        values ? cpu * 1000.0 / values : 0.0, errors);
    for (int i = 0; i < concurrency; i++) {
        curl_multi_remove_handle (multi, transfers[i].easy);
        curl_easy_cleanup (transfers[i].easy);
    }
    free (transfers);
    curl_multi_cleanup (multi);
    curl_global_cleanup ();
    return 0;
}
