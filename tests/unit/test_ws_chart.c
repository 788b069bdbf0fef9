//  test_ws_chart - the charts of 'watershed chart' drawn from fixed data
//  and read back: a PNG has the size asked for, several colours and ink
//  in the plot; an SVG is XML with an <svg> element; the suffix picks
//  the format and any other is refused naming the file; a size out of
//  range and a file that cannot be written are errors that say so, and
//  leave no file. The ticks: round numbers, dates on Mondays, months,
//  years, times of day.
#include <cairo.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws_chart.h"

//  2027-01-04T00:00:00Z, a Monday, in ms.
#define S_START 1799020800000.0
#define S_DAY 86400000.0

static char s_dir[64];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/test_ws_chart-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    ws_chart_release_fonts ();
    char path[128];
    const char *names[] = {"burnup.png", "burnup.svg", "empty.png",
                           "default.png", "nan.PNG"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf (path, sizeof path, "%s/%s", s_dir, names[i]);
        unlink (path);
    }
    return rmdir (s_dir);
}

static void
s_path (char *out, size_t size, const char *name)
{
    snprintf (out, size, "%s/%s", s_dir, name);
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

//  A goal's burn-up as cmd_chart draws one: 60 days of a running total,
//  the pace, the target, a projection fan, a checkpoint, an activity.
static ws_chart_point_t s_actual[60];
static ws_chart_point_t s_pace[3] = {
    {S_START, 0}, {S_START + 30 * S_DAY, 400}, {S_START + 90 * S_DAY, 1200}};
static ws_chart_point_t s_mid[2], s_low[2], s_high[2];
static ws_chart_line_t s_lines[3];
static ws_chart_band_t s_band;
static ws_chart_rule_t s_rule = {"target 1,200 sign-ups", 1200, 0x2ca02c,
                                 WS_CHART_DASHED};
static ws_chart_event_t s_event = {"email: launch", S_START + 10 * S_DAY,
                                   0x8c564b};
static ws_chart_mark_t s_mark = {"33%", S_START + 30 * S_DAY, 400, 0x9467bd};

static void
s_burnup (ws_chart_t *chart)
{
    for (int i = 0; i < 60; i++)
        s_actual[i] =
            (ws_chart_point_t){S_START + i * S_DAY, 11.0 * (i + 1) + (i % 7)};
    double now = S_START + 59 * S_DAY;
    s_mid[0] = s_low[0] = s_high[0] = (ws_chart_point_t){now, s_actual[59].y};
    s_mid[1] = (ws_chart_point_t){S_START + 90 * S_DAY, 1000};
    s_low[1] = (ws_chart_point_t){S_START + 90 * S_DAY, 900};
    s_high[1] = (ws_chart_point_t){S_START + 90 * S_DAY, 1100};
    s_lines[0] = (ws_chart_line_t){"expected pace", s_pace, 3, 0x7f7f7f, 1.5,
                                   WS_CHART_DASHED, false};
    s_lines[1] = (ws_chart_line_t){"running total", s_actual, 60, 0x1f77b4, 2.5,
                                   WS_CHART_SOLID,  true};
    s_lines[2] = (ws_chart_line_t){"projected 1,000", s_mid, 2, 0xff7f0e, 2,
                                   WS_CHART_DASHED,   false};
    s_band = (ws_chart_band_t){"80% interval", s_low, s_high, 2, 0xff7f0e};
    ws_chart_init (chart);
    chart->title = "goal 'eu-signups'";
    chart->badge = "at_risk";
    chart->badge_colour = 0xff7f0e;
    chart->subtitle = "as of 2027-03-04: 674 sign-ups";
    chart->y_label = "sign-ups";
    chart->x_is_time = true;
    chart->x_min = S_START;
    chart->x_max = S_START + 90 * S_DAY;
    chart->y_from_zero = true;
    chart->width = 640;
    chart->height = 360;
    chart->lines = s_lines;
    chart->line_count = 3;
    chart->bands = &s_band;
    chart->band_count = 1;
    chart->rules = &s_rule;
    chart->rule_count = 1;
    chart->events = &s_event;
    chart->event_count = 1;
    chart->marks = &s_mark;
    chart->mark_count = 1;
}

//  Distinct colours in the image (up to 64) and the non-white pixels in
//  the rectangle x0..x1, y0..y1.
static void
s_inspect (cairo_surface_t *image, int x0, int y0, int x1, int y1,
           size_t *colours, size_t *ink)
{
    uint32_t seen[64];
    *colours = 0;
    *ink = 0;
    int width = cairo_image_surface_get_width (image);
    int height = cairo_image_surface_get_height (image);
    int stride = cairo_image_surface_get_stride (image);
    cairo_surface_flush (image);
    const unsigned char *data = cairo_image_surface_get_data (image);
    assert_non_null (data);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            uint32_t pixel;
            memcpy (&pixel, data + y * stride + x * 4, 4);
            pixel &= 0xffffff;
            if (pixel != 0xffffff && x >= x0 && x < x1 && y >= y0 && y < y1)
                (*ink)++;
            size_t k = 0;
            while (k < *colours && seen[k] != pixel)
                k++;
            if (k == *colours && *colours < 64)
                seen[(*colours)++] = pixel;
        }
}

static void
test_png (void **state)
{
    (void) state;
    ws_chart_t chart;
    s_burnup (&chart);
    char path[128];
    s_path (path, sizeof path, "burnup.png");
    ws_err_t err;
    assert_int_equal (ws_chart_render (&chart, path, &err), 0);
    cairo_surface_t *image = cairo_image_surface_create_from_png (path);
    assert_int_equal (cairo_surface_status (image), CAIRO_STATUS_SUCCESS);
    assert_int_equal (cairo_image_surface_get_width (image), 640);
    assert_int_equal (cairo_image_surface_get_height (image), 360);
    size_t colours, ink;
    //  The middle of the plot: the lines, band and rule cross it.
    s_inspect (image, 160, 100, 560, 260, &colours, &ink);
    assert_true (colours >= 8);
    assert_true (ink > 2000);
    //  The running total is drawn in its blue somewhere.
    int stride = cairo_image_surface_get_stride (image);
    const unsigned char *data = cairo_image_surface_get_data (image);
    bool blue = false;
    for (int y = 0; y < 360 && !blue; y++)
        for (int x = 0; x < 640 && !blue; x++) {
            uint32_t pixel;
            memcpy (&pixel, data + y * stride + x * 4, 4);
            blue = (pixel & 0xffffff) == 0x1f77b4;
        }
    assert_true (blue);
    cairo_surface_destroy (image);

    //  Fonts released, then loaded again by the next render.
    ws_chart_release_fonts ();

    //  The default size, and lines with holes (NaN breaks a line).
    ws_chart_point_t holes[4] = {{0, 1}, {1, NAN}, {2, 3}, {INFINITY, 4}};
    ws_chart_line_t line = {"holes", holes,           4,   0x1f77b4,
                            0,       WS_CHART_DOTTED, true};
    ws_chart_init (&chart);
    chart.lines = &line;
    chart.line_count = 1;
    s_path (path, sizeof path, "nan.PNG");
    assert_int_equal (ws_chart_render (&chart, path, &err), 0);
    image = cairo_image_surface_create_from_png (path);
    assert_int_equal (cairo_surface_status (image), CAIRO_STATUS_SUCCESS);
    assert_int_equal (cairo_image_surface_get_width (image),
                      WS_CHART_DEFAULT_WIDTH);
    assert_int_equal (cairo_image_surface_get_height (image),
                      WS_CHART_DEFAULT_HEIGHT);
    s_inspect (image, 100, 60, 800, 400, &colours, &ink);
    assert_true (ink > 100);
    cairo_surface_destroy (image);

    //  Nothing to draw: the frame and grid alone, still the right size.
    ws_chart_init (&chart);
    chart.width = WS_CHART_MIN_SIZE;
    chart.height = WS_CHART_MIN_SIZE;
    s_path (path, sizeof path, "empty.png");
    assert_int_equal (ws_chart_render (&chart, path, &err), 0);
    image = cairo_image_surface_create_from_png (path);
    assert_int_equal (cairo_image_surface_get_width (image), 200);
    assert_int_equal (cairo_image_surface_get_height (image), 200);
    cairo_surface_destroy (image);
}

static void
test_svg (void **state)
{
    (void) state;
    ws_chart_t chart;
    s_burnup (&chart);
    char path[128];
    s_path (path, sizeof path, "burnup.svg");
    ws_err_t err;
    assert_int_equal (ws_chart_render (&chart, path, &err), 0);
    FILE *file = fopen (path, "rb");
    assert_non_null (file);
    static char text[1 << 20];
    size_t len = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text[len] = '\0';
    assert_true (len > 1000);
    assert_memory_equal (text, "<?xml", 5);
    char *svg = strstr (text, "<svg");
    assert_non_null (svg);
    assert_non_null (strstr (svg, "640"));
    assert_non_null (strstr (svg, "360"));
    //  Complete, and the target rule's green is in it.
    assert_non_null (strstr (text, "</svg>"));
    assert_non_null (strstr (text, "rgb(17.254902%,62.745098%,17.254902%)"));
}

static void
test_format (void **state)
{
    (void) state;
    ws_chart_format_t format = WS_CHART_SVG;
    ws_err_t err;
    assert_int_equal (ws_chart_format ("a.png", &format, &err), 0);
    assert_int_equal (format, WS_CHART_PNG);
    assert_int_equal (ws_chart_format ("dir.svg/b.PNG", &format, &err), 0);
    assert_int_equal (format, WS_CHART_PNG);
    assert_int_equal (ws_chart_format ("x.png.Svg", &format, &err), 0);
    assert_int_equal (format, WS_CHART_SVG);
    assert_int_equal (ws_chart_format ("chart.pdf", &format, &err), -1);
    assert_int_equal (err.code, WS_ERR_INPUT);
    assert_string_equal (err.text,
                         "file 'chart.pdf': unknown type, expected a name "
                         "ending in .png or .svg");
    assert_int_equal (ws_chart_format ("png", &format, &err), -1);
    assert_int_equal (ws_chart_format (".png", &format, &err), -1);
    assert_int_equal (ws_chart_format ("a.png/", &format, &err), -1);
}

static void
test_errors (void **state)
{
    (void) state;
    ws_chart_t chart;
    s_burnup (&chart);
    ws_err_t err;
    char path[128];

    s_path (path, sizeof path, "burnup.jpg");
    assert_int_equal (ws_chart_render (&chart, path, &err), -1);
    assert_non_null (strstr (err.text, path));
    assert_false (s_exists (path));

    s_path (path, sizeof path, "small.png");
    chart.width = WS_CHART_MIN_SIZE - 1;
    assert_int_equal (ws_chart_render (&chart, path, &err), -1);
    assert_non_null (strstr (err.text, "size 199x360, expected 200 to 8000"));
    assert_false (s_exists (path));
    chart.width = 640;
    chart.height = WS_CHART_MAX_SIZE + 1;
    assert_int_equal (ws_chart_render (&chart, path, &err), -1);
    assert_false (s_exists (path));
    chart.height = 360;

    s_path (path, sizeof path, "no-such-dir/c.svg");
    assert_int_equal (ws_chart_render (&chart, path, &err), -1);
    assert_int_equal (err.code, WS_ERR_SYSTEM);
    char want[256];
    snprintf (want, sizeof want, "cannot write %s: No such file or directory",
              path);
    assert_string_equal (err.text, want);

    //  A full disk: the error says so and the file is not left behind
    //  (/dev/full cannot be removed, so only the text is checked).
    if (access ("/dev/full", W_OK) == 0) {
        if (symlink ("/dev/full", "/tmp/test_ws_chart_full.png") == 0
            || s_exists ("/tmp/test_ws_chart_full.png")) {
            assert_int_equal (
                ws_chart_render (&chart, "/tmp/test_ws_chart_full.png", &err),
                -1);
            assert_string_equal (err.text,
                                 "cannot write /tmp/test_ws_chart_full.png: No "
                                 "space left on device");
            assert_false (s_exists ("/tmp/test_ws_chart_full.png"));
        }
        unlink ("/tmp/test_ws_chart_full.png");
    }
}

static void
test_ticks (void **state)
{
    (void) state;
    double ticks[16];
    assert_int_equal (ws_chart_ticks (0, 1200, 8, ticks), 7);
    for (int i = 0; i < 7; i++)
        assert_true (ticks[i] == 200.0 * i);
    assert_int_equal (ws_chart_ticks (0.42, 3.2, 8, ticks), 6);
    assert_true (ticks[0] == 0.5 && ticks[5] == 3);
    assert_int_equal (ws_chart_ticks (-7, 7, 5, ticks), 3);
    assert_true (ticks[0] == -5 && ticks[1] == 0 && !signbit (ticks[1])
                 && ticks[2] == 5);
    assert_int_equal (ws_chart_ticks (1e6, 1.6e6, 8, ticks), 7);
    assert_true (ticks[0] == 1e6 && ticks[6] == 1.6e6);
    assert_int_equal (ws_chart_ticks (1, 1, 8, ticks), 0);
    assert_int_equal (ws_chart_ticks (2, 1, 8, ticks), 0);
    assert_int_equal (ws_chart_ticks (NAN, 1, 8, ticks), 0);
    assert_int_equal (ws_chart_ticks (0, INFINITY, 8, ticks), 0);
    assert_int_equal (ws_chart_ticks (0, 1, 1, ticks), 0);
}

static void
test_time_ticks (void **state)
{
    (void) state;
    double ticks[16];
    const char *format = NULL;
    //  90 days: weekly, on Mondays.
    assert_int_equal (
        ws_chart_time_ticks (S_START, S_START + 90 * S_DAY, 16, ticks, &format),
        13);
    assert_string_equal (format, "%Y-%m-%d");
    assert_true (ticks[0] == S_START && ticks[12] == S_START + 84 * S_DAY);
    //  A day and a half from noon: every 3 hours (6 h gives 6 only).
    assert_int_equal (ws_chart_time_ticks (S_START + S_DAY / 2,
                                           S_START + 2 * S_DAY, 13, ticks,
                                           &format),
                      13);
    assert_string_equal (format, "%m-%d %H:%M");
    //  A minute from 10:00:03: every 10 s.
    double ten = S_START + 10 * 3600e3;
    assert_int_equal (
        ws_chart_time_ticks (ten + 3e3, ten + 63e3, 8, ticks, &format), 6);
    assert_string_equal (format, "%H:%M:%S");
    assert_true (ticks[0] == ten + 10e3 && ticks[5] == ten + 60e3);
    //  2025-11-15 to 2028-11-15: every six months from January.
    assert_int_equal (ws_chart_time_ticks (1763164800000.0, 1857859200000.0, 8,
                                           ticks, &format),
                      6);
    assert_string_equal (format, "%Y-%m");
    assert_true (ticks[0] == 1767225600000.0);  //  2026-01-01
    //  A century: every 20 years.
    assert_int_equal (
        ws_chart_time_ticks (0, 3155760000000.0, 8, ticks, &format), 5);
    assert_string_equal (format, "%Y");
    assert_true (ticks[0] == 315532800000.0);  //  1980-01-01
    assert_int_equal (ws_chart_time_ticks (5, 5, 8, ticks, NULL), 0);
    assert_int_equal (ws_chart_time_ticks (NAN, 5, 8, ticks, NULL), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_png),    cmocka_unit_test (test_svg),
        cmocka_unit_test (test_format), cmocka_unit_test (test_errors),
        cmocka_unit_test (test_ticks),  cmocka_unit_test (test_time_ticks),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
