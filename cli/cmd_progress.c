//  cmd_progress - 'watershed progress': one line per goal from the
//  coordinator's latest evaluations (the "progress" request): campaign,
//  goal, a bar of progress with the expected pace marked, "62% of 70%
//  expected", the projection at the deadline with its 80% interval, the
//  reported status with any change pending, and the days left. The
//  drawing is ws_goal_view's.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ws_cli.h"
#include "ws_client.h"
#include "ws_goal_view.h"
#include "ws_time.h"

static const char *s_help =
    "usage: watershed progress [GOAL] [--campaign NAME] [--as-of TIME]\n"
    "                          [--json] [--coordinator ENDPOINT]\n"
    "\n"
    "Where every goal stands, one line each, by campaign and goal: a bar of\n"
    "progress (│ marks where the expected pace is), the progress against\n"
    "the progress expected by now, the value projected at the deadline\n"
    "with its 80% interval, the reported status (with '(pending off_track\n"
    "2/3)' while a worse status is holding), and the days left; then the\n"
    "count of goals per status. Colour on a terminal only, never with\n"
    "NO_COLOR set.\n"
    "\n"
    "  GOAL               only this goal\n"
    "  --campaign NAME    only the goals of this campaign\n"
    "  --as-of TIME       the state at a past moment (ISO 8601): the latest\n"
    "                     evaluation at or before it\n"
    "  --json             print the coordinator's result as it is\n"
    "  --coordinator      endpoint of watershedd (default: its ipc socket)\n"
    "\n"
    "'watershed goal show GOAL' explains one goal. Exit 0 on success, 1 on\n"
    "an error from the coordinator, 2 on a usage error, 3 if the\n"
    "coordinator cannot be reached.\n";

//  Long only: a one-letter value would also be a short option.
#define S_OPT_AS_OF 2001

static void
s_print (json_t *result)
{
    json_t *goals = json_object_get (result, "goals");
    bool colour =
        ws_goal_view_colour (isatty (STDOUT_FILENO), getenv ("NO_COLOR"));
    size_t count = json_array_size (goals);
    json_t *as_of = json_object_get (result, "as_of");
    if (json_is_integer (as_of)) {
        char when[40];
        ws_cli_format_time (as_of, when, sizeof when);
        printf ("as of %s\n", when);
    }
    if (count == 0) {
        printf ("(no goals: declare some with 'watershed apply -f FILE')\n");
        return;
    }
    ws_goal_view_row_t *rows = calloc (count, sizeof *rows);
    if (!rows) {
        fprintf (stderr, "watershed progress: out of memory\n");
        return;
    }
    //  Column widths in cells, so the UTF-8 of bars and dashes aligns.
    size_t campaign_width = 8, goal_width = 4, progress_width = 8,
           projected_width = 9, status_width = 6;
    for (size_t i = 0; i < count; i++) {
        ws_goal_view_row (json_array_get (goals, i), &rows[i]);
#define S_WIDEN(width, text)                                                   \
    if (ws_goal_view_cells (text) > width)                                     \
        width = ws_goal_view_cells (text);
        S_WIDEN (campaign_width, rows[i].campaign);
        S_WIDEN (goal_width, rows[i].goal);
        S_WIDEN (progress_width, rows[i].progress);
        S_WIDEN (projected_width, rows[i].projected);
        S_WIDEN (status_width, rows[i].status);
#undef S_WIDEN
    }
    char a[256], b[256], c[256], d[256], e[256], f[512];
    ws_goal_view_pad ("CAMPAIGN", campaign_width, a, sizeof a);
    ws_goal_view_pad ("GOAL", goal_width, b, sizeof b);
    ws_goal_view_pad ("PROGRESS", WS_GOAL_VIEW_BAR_WIDTH + 1 + progress_width,
                      c, sizeof c);
    ws_goal_view_pad ("PROJECTED", projected_width, d, sizeof d);
    ws_goal_view_pad ("STATUS", status_width, e, sizeof e);
    printf ("%s  %s  %s  %s  %s  %s\n", a, b, c, d, e, "LEFT");
    for (size_t i = 0; i < count; i++) {
        ws_goal_view_row_t *row = &rows[i];
        ws_goal_view_pad (row->campaign, campaign_width, a, sizeof a);
        ws_goal_view_pad (row->goal, goal_width, b, sizeof b);
        ws_goal_view_pad (row->progress, progress_width, c, sizeof c);
        ws_goal_view_pad (row->projected, projected_width, d, sizeof d);
        ws_goal_view_pad (row->status, status_width, e, sizeof e);
        ws_goal_view_paint (e, row->status_name, colour, f, sizeof f);
        printf ("%s  %s  %s %s  %s  %s  %s\n", a, b, row->bar, c, d, f,
                row->left);
    }
    free (rows);
    char counts[512];
    ws_goal_view_counts (goals, counts, sizeof counts);
    printf ("%s\n", counts);
}

static int
s_option (int option, const char *value, void *arg)
{
    if (option == 'c') {
        json_object_set_new (arg, "campaign", json_string (value));
        return 0;
    }
    int64_t ms;
    ws_err_t err;
    if (ws_iso8601_parse (value, &ms, &err))
        return ws_cli_usage_error ("progress", "--as-of: %s", err.text);
    json_object_set_new (arg, "as_of", json_integer (ms));
    return 0;
}

int
cmd_progress (int argc, char **argv)
{
    static const struct option options[] = {
        {"campaign", required_argument, NULL, 'c'},
        {"as-of", required_argument, NULL, S_OPT_AS_OF},
        {NULL, 0, NULL, 0}};
    ws_cli_common_t common;
    json_t *args = json_object ();
    int rc =
        ws_cli_parse (argc, argv, s_help, options, s_option, args, &common);
    if (rc == WS_CLI_GO_ON && argc - optind > 1)
        rc = ws_cli_usage_error ("progress", "unexpected argument '%s'",
                                 argv[optind + 1]);
    if (rc != WS_CLI_GO_ON) {
        json_decref (args);
        return rc;
    }
    if (optind < argc)
        json_object_set_new (args, "goal", json_string (argv[optind]));
    return ws_client_run ("progress", common.endpoint, args, common.json,
                          s_print);
}
