//  test_ws_command - ws_command: programs run through execve with their
//  arguments verbatim, exactly the given environment, their input, exit
//  codes, signals, timeouts (process group included), the output cap,
//  execve failures, and no descriptor or child left behind.
//
//  The test process does not ignore SIGPIPE: a program that does not
//  read its input must not kill us whatever the disposition.
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ws_command.h"
#include "ws_loop.h"

//  What a callback saw.
typedef struct {
    int calls;
    int exit_status;
    int signal;
    bool timed_out;
    bool truncated;
    char *output;  //  owns
    size_t output_len;
    int64_t duration_ms;
    bool failed;
    ws_err_t err;
} s_outcome_t;

static int s_pending;        //  runs started and not yet reported
static bool s_inside_run;    //  ws_commander_run is on the stack
static bool s_called_early;  //  a callback ran inside ws_commander_run

static void
s_outcome_free (s_outcome_t *outcome)
{
    free (outcome->output);
    memset (outcome, 0, sizeof *outcome);
}

static void
s_on_done (const ws_command_result_t *result, const ws_err_t *err, void *arg)
{
    s_outcome_t *outcome = arg;
    if (s_inside_run)
        s_called_early = true;
    outcome->calls++;
    outcome->exit_status = result->exit_status;
    outcome->signal = result->signal;
    outcome->timed_out = result->timed_out;
    outcome->truncated = result->truncated;
    outcome->duration_ms = result->duration_ms;
    //  The output is borrowed: copy it, with its NUL.
    free (outcome->output);
    outcome->output = malloc (result->output_len + 1);
    assert_non_null (outcome->output);
    memcpy (outcome->output, result->output, result->output_len + 1);
    outcome->output_len = result->output_len;
    outcome->failed = err != NULL;
    if (err)
        outcome->err = *err;
    s_pending--;
}

static int
s_stop_when_done (ws_loop_t *loop, void *arg)
{
    (void) arg;
    if (s_pending == 0)
        ws_loop_stop (loop);
    return 0;
}

static int
s_on_too_long (ws_loop_t *loop, void *arg)
{
    (void) loop;
    (void) arg;
    fail_msg ("runs did not end within 20 s");
    return -1;
}

//  Run the loop until every started run has been reported.
static void
s_wait_all (ws_loop_t *loop)
{
    ws_loop_set_before_sleep (loop, s_stop_when_done, NULL);
    int guard = ws_loop_timer (loop, 20000, false, s_on_too_long, NULL);
    ws_loop_run (loop);
    ws_loop_timer_end (loop, guard);
    ws_loop_set_before_sleep (loop, NULL, NULL);
    assert_int_equal (s_pending, 0);
}

static int
s_start (ws_commander_t *commander, json_t *argv, json_t *env,
         const char *input, size_t input_len, int64_t timeout_ms, size_t cap,
         s_outcome_t *outcome, ws_err_t *err)
{
    s_inside_run = true;
    int rc = ws_commander_run (commander, argv, env, input, input_len,
                               timeout_ms, cap, s_on_done, outcome, err);
    s_inside_run = false;
    if (rc == 0)
        s_pending++;
    return rc;
}

//  Run one program to its end. argv and env are JSON texts (env may be
//  NULL).
static void
s_run (const char *argv_json, const char *env_json, const char *input,
       size_t input_len, int64_t timeout_ms, size_t cap, s_outcome_t *outcome)
{
    json_t *argv = json_loads (argv_json, 0, NULL);
    assert_non_null (argv);
    json_t *env = env_json ? json_loads (env_json, 0, NULL) : NULL;
    assert_true (env || !env_json);
    ws_loop_t *loop = ws_loop_new ();
    ws_commander_t *commander = ws_commander_new (loop);
    ws_err_t err;
    ws_err_clear (&err);
    assert_int_equal (s_start (commander, argv, env, input, input_len,
                               timeout_ms, cap, outcome, &err),
                      0);
    assert_int_equal (ws_commander_running (commander), 1);
    assert_int_equal (outcome->calls, 0);
    s_wait_all (loop);
    assert_int_equal (outcome->calls, 1);
    assert_false (s_called_early);
    assert_int_equal (ws_commander_running (commander), 0);
    ws_commander_destroy (&commander);
    assert_null (commander);
    ws_loop_destroy (&loop);
    json_decref (argv);
    json_decref (env);
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

//  True once pid is gone or a zombie (killed grandchildren go to pid 1,
//  which in a container may never reap them). Waits up to 2 s.
static bool
s_dead (pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        char path[64], text[512] = "";
        snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
        FILE *file = fopen (path, "r");
        if (!file)
            return true;
        size_t got = fread (text, 1, sizeof text - 1, file);
        fclose (file);
        text[got] = '\0';
        //  "pid (comm) S ...": the state follows the last ')'.
        char *end = strrchr (text, ')');
        if (end && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X'))
            return true;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    return false;
}

static int
s_count_fds (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    assert_non_null (dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        if (entry->d_name[0] != '.')
            count++;
    closedir (dir);
    return count;
}

static void
s_assert_no_child (void)
{
    errno = 0;
    assert_int_equal (waitpid (-1, NULL, WNOHANG), -1);
    assert_int_equal (errno, ECHILD);
}

//  Characters a shell would act on reach the program as they are, and
//  the command substitutions run nothing.
static void
test_argv_verbatim (void **state)
{
    (void) state;
    char marker[64], marker2[64];
    snprintf (marker, sizeof marker, "/tmp/ws-command-%d", (int) getpid ());
    snprintf (marker2, sizeof marker2, "/tmp/ws-command-%d-b", (int) getpid ());
    unlink (marker);
    unlink (marker2);
    char substitution[128], backticks[128];
    snprintf (substitution, sizeof substitution, "$(touch %s)", marker);
    snprintf (backticks, sizeof backticks, "`touch %s`", marker2);
    const char *args[] = {"it's \"quoted\"",
                          "a;b && c || d",
                          substitution,
                          backticks,
                          "line one\nline two\n",
                          "  two  spaces  ",
                          "*",
                          "/etc/*",
                          "~",
                          "",
                          "$HOME ${PATH}",
                          "| & < > 2>&1 \\ \t!",
                          "caf\xc3\xa9"};
    size_t count = sizeof args / sizeof *args;
    json_t *argv = json_array ();
    json_array_append_new (argv, json_string ("/usr/bin/printf"));
    json_array_append_new (argv, json_string ("%s\\0"));
    char expected[1024];
    size_t expected_len = 0;
    for (size_t i = 0; i < count; i++) {
        json_array_append_new (argv, json_string (args[i]));
        size_t len = strlen (args[i]) + 1;  //  with its NUL
        memcpy (expected + expected_len, args[i], len);
        expected_len += len;
    }
    char *argv_json = json_dumps (argv, 0);
    s_outcome_t outcome = {0};
    s_run (argv_json, NULL, NULL, 0, 5000, 4096, &outcome);
    assert_false (outcome.failed);
    assert_int_equal (outcome.exit_status, 0);
    assert_int_equal (outcome.signal, 0);
    assert_false (outcome.timed_out);
    assert_false (outcome.truncated);
    assert_int_equal (outcome.output_len, expected_len);
    assert_memory_equal (outcome.output, expected, expected_len);
    assert_false (s_exists (marker));
    assert_false (s_exists (marker2));
    s_outcome_free (&outcome);
    free (argv_json);
    json_decref (argv);
}

static int
s_compare_lines (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  The program's environment is the given object, nothing inherited.
static void
test_env_exact (void **state)
{
    (void) state;
    setenv ("WS_COMMAND_TEST_SECRET", "must-not-leak", 1);
    s_outcome_t outcome = {0};
    s_run ("[\"/usr/bin/env\"]",
           "{\"ALERT_GOAL\": \"q1 signups\", \"EMPTY\": \"\", "
           "\"ODD\": \"a=b; $(x)\\nnext\"}",
           NULL, 0, 5000, 4096, &outcome);
    assert_false (outcome.failed);
    assert_int_equal (outcome.exit_status, 0);
    //  env prints in environ's order; compare sorted lines.
    char *lines[8];
    size_t count = 0;
    for (char *line = strtok (outcome.output, "\n"); line && count < 8;
         line = strtok (NULL, "\n"))
        lines[count++] = line;
    qsort (lines, count, sizeof *lines, s_compare_lines);
    assert_int_equal (count, 4);
    assert_string_equal (lines[0], "ALERT_GOAL=q1 signups");
    assert_string_equal (lines[1], "EMPTY=");
    assert_string_equal (lines[2], "ODD=a=b; $(x)");
    assert_string_equal (lines[3], "next");
    s_outcome_free (&outcome);

    //  No env at all: an empty environment.
    s_run ("[\"/usr/bin/env\"]", NULL, NULL, 0, 5000, 4096, &outcome);
    assert_int_equal (outcome.exit_status, 0);
    assert_int_equal (outcome.output_len, 0);
    s_outcome_free (&outcome);
    s_run ("[\"/usr/bin/env\"]", "{}", NULL, 0, 5000, 4096, &outcome);
    assert_int_equal (outcome.exit_status, 0);
    assert_int_equal (outcome.output_len, 0);
    s_outcome_free (&outcome);
    unsetenv ("WS_COMMAND_TEST_SECRET");
}

//  A JSON document of at least 200 KB (several pipe buffers). Caller
//  owns.
static char *
s_big_document (size_t *len)
{
    json_t *items = json_array ();
    for (int i = 0; i < 3000; i++)
        json_array_append_new (items,
                               json_pack ("{s:i, s:s, s:s}", "i", i, "goal",
                                          "q1-signups", "text",
                                          "slipped: 812 of 1200 \"expected\" "
                                          "by 2027-03-31; $(rm -rf /) `x`"));
    json_t *doc = json_pack ("{s:s, s:o}", "kind", "slipped", "items", items);
    char *text = json_dumps (doc, JSON_INDENT (2));
    json_decref (doc);
    assert_non_null (text);
    *len = strlen (text);
    assert_true (*len >= 200 * 1024);
    return text;
}

//  The input arrives intact; a program that does not read it, or closes
//  it early, costs nothing.
static void
test_stdin (void **state)
{
    (void) state;
    size_t len;
    char *document = s_big_document (&len);
    s_outcome_t outcome = {0};
    s_run ("[\"/bin/cat\"]", NULL, document, len, 10000, 1024 * 1024, &outcome);
    assert_false (outcome.failed);
    assert_int_equal (outcome.exit_status, 0);
    assert_false (outcome.truncated);
    assert_int_equal (outcome.output_len, len);
    assert_memory_equal (outcome.output, document, len);
    s_outcome_free (&outcome);

    s_run ("[\"/bin/true\"]", NULL, document, len, 10000, 4096, &outcome);
    assert_false (outcome.failed);
    assert_int_equal (outcome.exit_status, 0);
    assert_int_equal (outcome.signal, 0);
    s_outcome_free (&outcome);

    //  Closes its input, then lives on and writes.
    s_run ("[\"/bin/sh\", \"-c\", \"exec 0<&-; sleep 0.2; echo done\"]", NULL,
           document, len, 10000, 4096, &outcome);
    assert_int_equal (outcome.exit_status, 0);
    assert_string_equal (outcome.output, "done\n");
    s_outcome_free (&outcome);

    //  A SIGPIPE from our writes was taken back, not left pending.
    sigset_t pending;
    sigemptyset (&pending);
    sigpending (&pending);
    assert_int_equal (sigismember (&pending, SIGPIPE), 0);
    free (document);
}

//  Exit codes, signals, and the timeout, which kills the program's
//  whole process group.
static void
test_exit_signal_timeout (void **state)
{
    (void) state;
    s_outcome_t outcome = {0};
    s_run ("[\"/bin/sh\", \"-c\", \"echo out; echo err >&2; exit 3\"]", NULL,
           NULL, 0, 5000, 4096, &outcome);
    assert_false (outcome.failed);
    assert_int_equal (outcome.exit_status, 3);
    assert_int_equal (outcome.signal, 0);
    assert_false (outcome.timed_out);
    assert_string_equal (outcome.output, "out\nerr\n");
    s_outcome_free (&outcome);

    s_run ("[\"/bin/sh\", \"-c\", \"kill -TERM $$\"]", NULL, NULL, 0, 5000,
           4096, &outcome);
    assert_false (outcome.failed);
    assert_int_equal (outcome.exit_status, -1);
    assert_int_equal (outcome.signal, SIGTERM);
    assert_false (outcome.timed_out);
    s_outcome_free (&outcome);

    int64_t start = ws_clock_ms ();
    s_run ("[\"/bin/sleep\", \"10\"]", NULL, NULL, 0, 200, 4096, &outcome);
    int64_t took = ws_clock_ms () - start;
    assert_false (outcome.failed);
    assert_true (outcome.timed_out);
    assert_int_equal (outcome.signal, SIGKILL);
    assert_int_equal (outcome.exit_status, -1);
    assert_true (outcome.duration_ms >= 200);
    assert_true (took < 2000);
    s_outcome_free (&outcome);

    //  The background sleep holds the output pipe too: the run still ends
    //  at the timeout, and the grandchild dies with its group.
    start = ws_clock_ms ();
    s_run ("[\"/bin/sh\", \"-c\", \"sleep 10 & echo $!; sleep 10\"]", NULL,
           NULL, 0, 200, 4096, &outcome);
    took = ws_clock_ms () - start;
    assert_true (outcome.timed_out);
    assert_true (took < 2000);
    pid_t grandchild = (pid_t) atoi (outcome.output);
    assert_true (grandchild > 1);
    assert_true (s_dead (grandchild));
    s_outcome_free (&outcome);

    //  Closes its output and lives on: reaped later, exit code kept.
    s_run ("[\"/bin/sh\", \"-c\", \"exec >&- 2>&-; sleep 0.3; exit 4\"]", NULL,
           NULL, 0, 5000, 4096, &outcome);
    assert_int_equal (outcome.exit_status, 4);
    assert_false (outcome.timed_out);
    assert_true (outcome.duration_ms >= 300);
    s_outcome_free (&outcome);
    //  ... and the timeout still applies to it.
    s_run ("[\"/bin/sh\", \"-c\", \"exec >&- 2>&-; sleep 10\"]", NULL, NULL, 0,
           200, 4096, &outcome);
    assert_true (outcome.timed_out);
    assert_int_equal (outcome.signal, SIGKILL);
    assert_true (outcome.duration_ms < 2000);
    s_outcome_free (&outcome);
    s_assert_no_child ();
}

//  Output past the cap is read and dropped.
static void
test_output_cap (void **state)
{
    (void) state;
    s_outcome_t outcome = {0};
    s_run ("[\"/usr/bin/head\", \"-c\", \"1048576\", \"/dev/zero\"]", NULL,
           NULL, 0, 10000, 4096, &outcome);
    assert_false (outcome.failed);
    assert_int_equal (outcome.exit_status, 0);
    assert_int_equal (outcome.output_len, 4096);
    assert_true (outcome.truncated);
    char zeros[4096] = {0};
    assert_memory_equal (outcome.output, zeros, 4096);
    assert_int_equal (outcome.output[4096], '\0');
    s_outcome_free (&outcome);

    //  Exactly the cap is not truncated; one more byte is.
    s_run ("[\"/usr/bin/printf\", \"abc\"]", NULL, NULL, 0, 5000, 3, &outcome);
    assert_string_equal (outcome.output, "abc");
    assert_false (outcome.truncated);
    s_outcome_free (&outcome);
    s_run ("[\"/usr/bin/printf\", \"abcd\"]", NULL, NULL, 0, 5000, 3, &outcome);
    assert_string_equal (outcome.output, "abc");
    assert_true (outcome.truncated);
    s_outcome_free (&outcome);
    s_run ("[\"/usr/bin/printf\", \"abcd\"]", NULL, NULL, 0, 5000, 0, &outcome);
    assert_int_equal (outcome.output_len, 0);
    assert_string_equal (outcome.output, "");
    assert_true (outcome.truncated);
    s_outcome_free (&outcome);
}

//  execve failures reach the callback naming the path; bad arguments
//  fail the call and no callback comes.
static void
test_errors (void **state)
{
    (void) state;
    s_outcome_t outcome = {0};
    s_run ("[\"/nonexistent/ws-command-hook\", \"x\"]", NULL, "in", 2, 5000,
           4096, &outcome);
    assert_true (outcome.failed);
    assert_int_equal (outcome.err.code, WS_ERR_NOTFOUND);
    assert_non_null (strstr (outcome.err.text, "/nonexistent/ws-command-hook"));
    assert_non_null (strstr (outcome.err.text, strerror (ENOENT)));
    assert_false (outcome.timed_out);
    s_outcome_free (&outcome);

    //  Exists, not executable.
    s_run ("[\"/etc/passwd\"]", NULL, NULL, 0, 5000, 4096, &outcome);
    assert_true (outcome.failed);
    assert_int_equal (outcome.err.code, WS_ERR_SYSTEM);
    assert_non_null (strstr (outcome.err.text, "'/etc/passwd'"));
    assert_non_null (strstr (outcome.err.text, strerror (EACCES)));
    s_outcome_free (&outcome);

    ws_loop_t *loop = ws_loop_new ();
    ws_commander_t *commander = ws_commander_new (loop);
    struct {
        const char *argv;
        const char *env;
        int64_t timeout_ms;
        const char *text;
        const char *where;
    } cases[] = {
        {"[\"printf\", \"x\"]", NULL, 1000,
         "command argv[0] 'printf': not an absolute path", "/argv/0"},
        {"[]", NULL, 1000, "command argv: expected a non-empty array", "/argv"},
        {"{\"a\": 1}", NULL, 1000, "command argv: expected", "/argv"},
        {"[\"/bin/echo\", 3]", NULL, 1000, "command argv[1]: not a string",
         "/argv/1"},
        {"[\"/bin/echo\", \"a\\u0000b\"]", NULL, 1000,
         "command argv[1]: holds a NUL", "/argv/1"},
        {"[\"/bin/echo\"]", "{\"N\": 1}", 1000,
         "command '/bin/echo': env 'N': not a string", "/env/N"},
        {"[\"/bin/echo\"]", "{\"A=B\": \"x\"}", 1000,
         "command '/bin/echo': env 'A=B': a name", "/env/A=B"},
        {"[\"/bin/echo\"]", "[\"A=B\"]", 1000,
         "command '/bin/echo': env: expected an object", "/env"},
        {"[\"/bin/echo\"]", NULL, 0, "command '/bin/echo': timeout 0 ms", ""},
    };
    int before = s_count_fds ();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *argv = json_loads (cases[i].argv, JSON_ALLOW_NUL, NULL);
        json_t *env = cases[i].env ? json_loads (cases[i].env, 0, NULL) : NULL;
        assert_non_null (argv);
        ws_err_t err;
        ws_err_clear (&err);
        assert_int_equal (s_start (commander, argv, env, NULL, 0,
                                   cases[i].timeout_ms, 100, &outcome, &err),
                          -1);
        if (!strstr (err.text, cases[i].text))
            fail_msg ("case %zu: '%s' lacks '%s'", i, err.text, cases[i].text);
        assert_string_equal (err.where, cases[i].where);
        assert_int_equal (ws_commander_running (commander), 0);
        json_decref (argv);
        json_decref (env);
    }
    assert_int_equal (s_count_fds (), before);
    assert_int_equal (outcome.calls, 0);
    ws_commander_destroy (&commander);
    ws_loop_destroy (&loop);
}

//  The 300-run test: callbacks start the next runs, up to 8 at a time.
typedef struct {
    ws_commander_t *commander;
    int started;
    int finished;
    int failures;  //  results that were not what the program should give
    int kinds[8];  //  which program runs in each slot
} s_batch_t;

static s_batch_t s_batch;

static void s_start_next (int slot);

static void
s_on_batch_done (const ws_command_result_t *result, const ws_err_t *err,
                 void *arg)
{
    int slot = (int) (intptr_t) arg;
    int kind = s_batch.kinds[slot];
    bool ok;
    switch (kind % 5) {
    case 0: ok = !err && result->exit_status == 0; break;
    case 1:
        ok = !err && result->output_len == 6
             && memcmp (result->output, "hello\n", 6) == 0;
        break;
    case 2: ok = !err && result->exit_status == 7; break;
    case 3: ok = err && strstr (err->text, "/nonexistent/ws"); break;
    default: ok = !err && result->timed_out; break;
    }
    if (!ok)
        s_batch.failures++;
    s_batch.finished++;
    s_pending--;
    if (s_batch.started < 300)
        s_start_next (slot);
}

static void
s_start_next (int slot)
{
    static const char *programs[] = {"[\"/bin/true\"]", "[\"/bin/cat\"]",
                                     "[\"/bin/sh\", \"-c\", \"exit 7\"]",
                                     "[\"/nonexistent/ws\"]",
                                     "[\"/bin/sleep\", \"5\"]"};
    int kind = s_batch.started % 5;
    s_batch.kinds[slot] = kind;
    json_t *argv = json_loads (programs[kind], 0, NULL);
    json_t *env = json_pack ("{s:s}", "RUN", "batch");
    ws_err_t err;
    int rc = ws_commander_run (s_batch.commander, argv, env, "hello\n", 6,
                               kind == 4 ? 30 : 5000, 64, s_on_batch_done,
                               (void *) (intptr_t) slot, &err);
    assert_int_equal (rc, 0);
    s_batch.started++;
    s_pending++;
    json_decref (argv);
    json_decref (env);
}

//  300 runs, 8 at a time, leave no descriptor and no child.
static void
test_many_runs_leave_nothing (void **state)
{
    (void) state;
    ws_loop_t *loop = ws_loop_new ();
    memset (&s_batch, 0, sizeof s_batch);
    s_batch.commander = ws_commander_new (loop);
    int before = s_count_fds ();
    for (int slot = 0; slot < 8; slot++)
        s_start_next (slot);
    assert_int_equal (ws_commander_running (s_batch.commander), 8);
    s_wait_all (loop);
    assert_int_equal (s_batch.started, 300);
    assert_int_equal (s_batch.finished, 300);
    assert_int_equal (s_batch.failures, 0);
    assert_int_equal (ws_commander_running (s_batch.commander), 0);
    assert_int_equal (s_count_fds (), before);
    s_assert_no_child ();
    ws_commander_destroy (&s_batch.commander);
    ws_loop_destroy (&loop);
}

//  Destroy kills and reaps running programs and their groups, and calls
//  no callback.
static void
test_destroy_kills (void **state)
{
    (void) state;
    char pidfile[64];
    snprintf (pidfile, sizeof pidfile, "/tmp/ws-command-%d.pid",
              (int) getpid ());
    unlink (pidfile);
    char script[256];
    snprintf (script, sizeof script,
              "sleep 10 & echo $! > %s.tmp; mv %s.tmp %s; sleep 10", pidfile,
              pidfile, pidfile);
    json_t *group = json_pack ("[s, s, s]", "/bin/sh", "-c", script);
    json_t *sleeper = json_pack ("[s, s]", "/bin/sleep", "10");
    json_t *env = json_pack ("{s:s}", "PATH", "/usr/bin:/bin");

    ws_loop_t *loop = ws_loop_new ();
    int before = s_count_fds ();
    ws_commander_t *commander = ws_commander_new (loop);
    s_outcome_t outcomes[3];
    memset (outcomes, 0, sizeof outcomes);
    ws_err_t err;
    assert_int_equal (s_start (commander, group, env, NULL, 0, 10000, 100,
                               &outcomes[0], &err),
                      0);
    assert_int_equal (s_start (commander, sleeper, NULL, "x", 1, 10000, 100,
                               &outcomes[1], &err),
                      0);
    assert_int_equal (s_start (commander, sleeper, NULL, NULL, 0, 10000, 100,
                               &outcomes[2], &err),
                      0);
    assert_int_equal (ws_commander_running (commander), 3);
    //  Let the script start its grandchild.
    for (int i = 0; i < 300 && !s_exists (pidfile); i++) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep (&pause, NULL);
    }
    FILE *file = fopen (pidfile, "r");
    assert_non_null (file);
    int grandchild = 0;
    assert_int_equal (fscanf (file, "%d", &grandchild), 1);
    fclose (file);
    unlink (pidfile);

    int64_t start = ws_clock_ms ();
    ws_commander_destroy (&commander);
    assert_null (commander);
    ws_commander_destroy (&commander);
    assert_true (ws_clock_ms () - start < 2000);
    s_assert_no_child ();
    assert_true (s_dead (grandchild));
    for (int i = 0; i < 3; i++)
        assert_int_equal (outcomes[i].calls, 0);
    s_pending = 0;
    assert_int_equal (s_count_fds (), before);
    ws_loop_destroy (&loop);
    json_decref (group);
    json_decref (sleeper);
    json_decref (env);
}

//  The child setup shared with ws_pgcluster: standard streams, the
//  report pipe on 3, nothing else open, default signals.
static void
test_child_setup (void **state)
{
    (void) state;
    //  A descriptor moved above the standard streams is close-on-exec.
    int fd = ws_command_fd_above_stdio (dup (0));
    assert_true (fd > 2);
    close (fd);
    assert_int_equal (ws_command_fd_above_stdio (-1), -1);

    int out[2], report[2];
    assert_int_equal (pipe (out), 0);
    assert_int_equal (pipe (report), 0);
    for (int i = 0; i < 2; i++) {
        out[i] = ws_command_fd_above_stdio (out[i]);
        report[i] = ws_command_fd_above_stdio (report[i]);
    }
    //  Ignored and blocked here; the program must get the defaults.
    signal (SIGUSR1, SIG_IGN);
    sigset_t blocked, old_mask;
    sigemptyset (&blocked);
    sigaddset (&blocked, SIGUSR2);
    sigprocmask (SIG_BLOCK, &blocked, &old_mask);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int fd = report[1];
        if (ws_command_child_setup (out[1], out[1], &fd) || fd != 3)
            _exit (1);
        //  ls lists its own descriptors, grep its signal mask and ignored
        //  set (both inherited through execve).
        char *const argv[] = {"/bin/sh", "-c",
                              "ls /proc/self/fd | tr '\\n' ' '; "
                              "grep -E '^Sig(Blk|Ign)' /proc/self/status",
                              NULL};
        char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
        execve (argv[0], argv, envp);
        _exit (2);
    }
    signal (SIGUSR1, SIG_DFL);
    sigprocmask (SIG_SETMASK, &old_mask, NULL);
    close (out[1]);
    close (report[1]);
    char text[256] = "";
    size_t len = 0;
    ssize_t got;
    while ((got = read (out[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t) got;
    text[len] = '\0';
    char failure[8];
    assert_int_equal (read (report[0], failure, sizeof failure), 0);
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    //  0, 1, 2 and the descriptor ls opens for the listing (the report
    //  pipe on 3 closed at execve); nothing blocked, nothing ignored.
    assert_string_equal (text, "0 1 2 3 SigBlk:\t0000000000000000\n"
                               "SigIgn:\t0000000000000000\n");
    close (out[0]);
    close (report[0]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_argv_verbatim),
        cmocka_unit_test (test_env_exact),
        cmocka_unit_test (test_stdin),
        cmocka_unit_test (test_exit_signal_timeout),
        cmocka_unit_test (test_output_cap),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_many_runs_leave_nothing),
        cmocka_unit_test (test_destroy_kills),
        cmocka_unit_test (test_child_setup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
