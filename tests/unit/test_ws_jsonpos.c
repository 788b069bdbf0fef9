//  test_ws_jsonpos - line and column of a JSON pointer in a text.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ws_jsonpos.h"

static const char *s_text =
    "{\n"
    "  \"sources\": [\n"
    "    {\"name\": \"a\", \"interval\": \"1s\"},\n"
    "    {\"name\": \"b\",\n"
    "     \"metrics\": [{\"type\": \"gaug\", \"a/b\": 1}]}\n"
    "  ]\n"
    "}\n";

static void
s_expect (const char *pointer, int line, int column)
{
    int got_line = 0, got_column = 0;
    assert_int_equal (ws_jsonpos_find (s_text, strlen (s_text), pointer,
                                       &got_line, &got_column),
                      0);
    if (got_line != line || got_column != column)
        fail_msg ("%s: expected %d:%d, got %d:%d", pointer, line, column,
                  got_line, got_column);
}

static void
test_find (void **state)
{
    (void) state;
    s_expect ("", 1, 1);
    s_expect ("/sources", 2, 14);
    s_expect ("/sources/0/interval", 3, 31);
    s_expect ("/sources/1/metrics/0/type", 5, 27);
    s_expect ("/sources/1/metrics/0/a~1b", 5, 42);
    //  A missing key points at its nearest parent.
    s_expect ("/sources/1/url", 4, 5);
    s_expect ("/sources/9", 2, 14);
    //  A prefix that is not a whole segment does not count.
    s_expect ("/sourcesX", 1, 1);
    int line, column;
    assert_int_equal (ws_jsonpos_find ("", 0, "/a", &line, &column), -1);
    //  Broken text: still finds what comes before the break.
    const char *broken = "{\"a\": {\"b\": [1, 2,";
    assert_int_equal (
        ws_jsonpos_find (broken, strlen (broken), "/a/b/1", &line, &column), 0);
    assert_int_equal (column, 17);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test (test_find)};
    return cmocka_run_group_tests (tests, NULL, NULL);
}
