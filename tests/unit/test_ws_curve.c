//  test_ws_curve - ws_curve: key pairs made, saved (modes 0600 / 0644,
//  never overwritten) and loaded back; bad key files refused naming the
//  file and the line, and never quoting a secret; public keys as text or
//  file; which endpoints count as local; the allow-list directory and
//  its reload; and the ZAP handler in a real CURVE handshake over tcp:
//  an allowed key gets through with its name as User-Id, an unknown key
//  and a plain-text peer get nothing through.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "ws_curve.h"
#include "ws_loop.h"

static char s_dir[64];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/test_ws_curve-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    char command[128];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    return system (command) == 0 ? 0 : -1;
}

//  Write text to DIR/name with mode; returns the path (static buffer).
static const char *
s_write (const char *name, const char *text, mode_t mode)
{
    static char path[256];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    assert_int_equal (chmod (path, mode), 0);
    return path;
}

static void
test_keygen_round_trip (void **state)
{
    (void) state;
    ws_err_t err;
    ws_curve_cert_t *cert = ws_curve_cert_new (&err);
    assert_non_null (cert);
    assert_int_equal (strlen (ws_curve_cert_public (cert)), 40);
    assert_int_equal (strlen (ws_curve_cert_secret (cert)), 40);
    assert_string_not_equal (ws_curve_cert_public (cert),
                             ws_curve_cert_secret (cert));
    assert_int_equal (ws_curve_cert_save (cert, s_dir, "w-eu_1.a", &err), 0);

    char secret_path[128], public_path[128];
    snprintf (secret_path, sizeof secret_path, "%s/w-eu_1.a.secret", s_dir);
    snprintf (public_path, sizeof public_path, "%s/w-eu_1.a.key", s_dir);
    struct stat st;
    assert_int_equal (stat (secret_path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    assert_int_equal (stat (public_path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0644);

    //  The public file holds no secret.
    FILE *file = fopen (public_path, "r");
    char text[1024] = "";
    size_t len = fread (text, 1, sizeof text - 1, file);
    text[len] = '\0';
    fclose (file);
    assert_null (strstr (text, ws_curve_cert_secret (cert)));
    assert_non_null (strstr (text, ws_curve_cert_public (cert)));

    ws_curve_cert_t *loaded = ws_curve_cert_load (secret_path, &err);
    assert_non_null (loaded);
    assert_string_equal (ws_curve_cert_public (loaded),
                         ws_curve_cert_public (cert));
    assert_string_equal (ws_curve_cert_secret (loaded),
                         ws_curve_cert_secret (cert));

    //  A public key as its text, its .key file, or the .secret file.
    char key[WS_CURVE_KEY_LEN + 1];
    assert_int_equal (
        ws_curve_public_key (ws_curve_cert_public (cert), key, &err), 0);
    assert_string_equal (key, ws_curve_cert_public (cert));
    memset (key, 0, sizeof key);
    assert_int_equal (ws_curve_public_key (public_path, key, &err), 0);
    assert_string_equal (key, ws_curve_cert_public (cert));
    memset (key, 0, sizeof key);
    assert_int_equal (ws_curve_public_key (secret_path, key, &err), 0);
    assert_string_equal (key, ws_curve_cert_public (cert));
    assert_int_equal (ws_curve_public_key ("not-a-key", key, &err), -1);
    assert_non_null (strstr (err.text, "not-a-key"));
    assert_int_equal (ws_curve_public_key ("", key, &err), -1);

    //  Never overwritten, by either file.
    assert_int_equal (ws_curve_cert_save (loaded, s_dir, "w-eu_1.a", &err), -1);
    assert_non_null (strstr (err.text, secret_path));
    assert_non_null (strstr (err.text, "exists already"));
    assert_int_equal (unlink (secret_path), 0);
    assert_int_equal (ws_curve_cert_save (loaded, s_dir, "w-eu_1.a", &err), -1);
    assert_non_null (strstr (err.text, public_path));
    assert_int_equal (access (secret_path, F_OK), -1);  //  not left behind

    //  Names that could escape the directory or hide.
    const char *bad_names[] = {"", ".hidden", "../up", "a/b", "a b", NULL};
    for (int i = 0; bad_names[i]; i++) {
        assert_int_equal (ws_curve_cert_save (cert, s_dir, bad_names[i], &err),
                          -1);
        assert_int_equal (err.code, WS_ERR_INPUT);
        assert_non_null (strstr (err.text, "key name"));
    }
    ws_curve_cert_destroy (&cert);
    ws_curve_cert_destroy (&loaded);
    assert_null (cert);
    ws_curve_cert_destroy (&loaded);  //  safe on repeat
}

//  A key file that must be refused, and what the error must say.
typedef struct {
    const char *text;
    mode_t mode;
    const char *expect;  //  in err.text, after the path
} s_bad_t;

static void
test_bad_files (void **state)
{
    (void) state;
    ws_err_t err;
    ws_curve_cert_t *one = ws_curve_cert_new (&err);
    ws_curve_cert_t *two = ws_curve_cert_new (&err);
    assert_non_null (one);
    assert_non_null (two);
    char good[256], mismatched[256], short_secret[256], unquoted[256];
    snprintf (good, sizeof good,
              "# a comment\n\n  public-key = \"%s\"  \r\nsecret-key=\"%s\"\n",
              ws_curve_cert_public (one), ws_curve_cert_secret (one));
    snprintf (mismatched, sizeof mismatched,
              "# two's public key, one's secret\n"
              "public-key = \"%s\"\nsecret-key = \"%s\"\n",
              ws_curve_cert_public (two), ws_curve_cert_secret (one));
    //  A secret one character short: the error must not quote it.
    snprintf (short_secret, sizeof short_secret,
              "public-key = \"%s\"\nsecret-key = \"%.39s\"\n",
              ws_curve_cert_public (one), ws_curve_cert_secret (one));
    snprintf (unquoted, sizeof unquoted, "public-key = %s\nsecret-key = %s\n",
              ws_curve_cert_public (one), ws_curve_cert_secret (one));

    //  The good file and its unquoted form load.
    const char *path = s_write ("good.secret", good, 0600);
    ws_curve_cert_t *cert = ws_curve_cert_load (path, &err);
    assert_non_null (cert);
    assert_string_equal (ws_curve_cert_public (cert),
                         ws_curve_cert_public (one));
    ws_curve_cert_destroy (&cert);
    path = s_write ("unquoted.secret", unquoted, 0600);
    cert = ws_curve_cert_load (path, &err);
    assert_non_null (cert);
    ws_curve_cert_destroy (&cert);

    char with_tail[512];
    snprintf (with_tail, sizeof with_tail, "%s\nowner = me\n", good);
    char twice[512];
    snprintf (twice, sizeof twice, "%spublic-key = \"%s\"\n", good,
              ws_curve_cert_public (two));
    char no_quote[256];
    snprintf (no_quote, sizeof no_quote, "public-key = \"%s\n",
              ws_curve_cert_public (one));
    char secret_no_quote[256];
    snprintf (secret_no_quote, sizeof secret_no_quote,
              "public-key = \"%s\"\nsecret-key = \"%s\n",
              ws_curve_cert_public (one), ws_curve_cert_secret (one));
    char public_only[256];
    snprintf (public_only, sizeof public_only, "public-key = \"%s\"\n",
              ws_curve_cert_public (one));
    char bad_chars[256];
    snprintf (bad_chars, sizeof bad_chars,
              "public-key = \"%.39s~\"\nsecret-key = \"%s\"\n",
              ws_curve_cert_public (one), ws_curve_cert_secret (one));
    s_bad_t cases[] = {
        {with_tail, 0600, "line 6: unknown name 'owner'"},
        {twice, 0600, "line 5: a second public-key"},
        {no_quote, 0600, "line 1: the public-key's closing quote"},
        {secret_no_quote, 0600, "line 2: the secret-key's closing quote"},
        {short_secret, 0600,
         "line 2: the secret key is not 40 Z85 characters (found 39"},
        {bad_chars, 0600, "line 1: the public key is not 40 Z85 characters"},
        {mismatched, 0600, "line 2: the public key does not belong"},
        {"just text\n", 0600, "line 1: expected 'public-key"},
        {"# nothing\n", 0600, "no 'public-key"},
        {public_only, 0600, "no 'secret-key"},
        {good, 0640, "mode 0640 lets others read the secret key"},
        {good, 0604, "mode 0604"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf (name, sizeof name, "bad-%zu.secret", i);
        path = s_write (name, cases[i].text, cases[i].mode);
        ws_err_clear (&err);
        assert_null (ws_curve_cert_load (path, &err));
        char expect[512];
        snprintf (expect, sizeof expect, "key file '%s': ", path);
        if (!strstr (err.text, expect) || !strstr (err.text, cases[i].expect))
            fail_msg ("case %zu: \"%s\" lacks \"%s\" or \"%s\"", i, err.text,
                      expect, cases[i].expect);
        assert_int_equal (err.code, WS_ERR_INPUT);
        //  Neither secret is ever in an error.
        assert_null (strstr (err.text, ws_curve_cert_secret (one)));
        char prefix[20];
        snprintf (prefix, sizeof prefix, "%.16s", ws_curve_cert_secret (one));
        assert_null (strstr (err.text, prefix));
    }
    assert_null (ws_curve_cert_load ("/nonexistent/k.secret", &err));
    assert_non_null (strstr (err.text, "'/nonexistent/k.secret'"));
    assert_non_null (strstr (err.text, "No such file"));
    ws_curve_cert_destroy (&one);
    ws_curve_cert_destroy (&two);
}

static void
test_endpoint_is_local (void **state)
{
    (void) state;
    const char *local[] = {
        "ipc:///tmp/w.sock",    "inproc://x",
        "tcp://127.0.0.1:5570", "tcp://127.8.9.10:1",
        "tcp://localhost:5570", "tcp://[::1]:5570",
        "tcp://lo:5570",        "tcp://10.0.0.1;127.0.0.1:5"};
    const char *remote[] = {"tcp://0.0.0.0:5570",       "tcp://*:5570",
                            "tcp://10.1.2.3:5570",      "tcp://[::]:5570",
                            "tcp://eth0:5570",          "tcp://128.0.0.1:5570",
                            "tcp://localhost.x:5570",   "udp://127.0.0.1:5570",
                            "tcp://127.0.0.1",          "ws://127.0.0.1:80",
                            "tcp://[::ffff:10.0.0.1]:1"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (!ws_curve_endpoint_is_local (local[i]))
            fail_msg ("%s should be local", local[i]);
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
        if (ws_curve_endpoint_is_local (remote[i]))
            fail_msg ("%s should not be local", remote[i]);
}

//  Make a key pair, save NAME.secret and NAME.key in s_dir/sub. Caller
//  owns the result.
static ws_curve_cert_t *
s_make (const char *sub, const char *name)
{
    char dir[128];
    snprintf (dir, sizeof dir, "%s/%s", s_dir, sub);
    mkdir (dir, 0700);
    ws_err_t err;
    ws_curve_cert_t *cert = ws_curve_cert_new (&err);
    assert_non_null (cert);
    assert_int_equal (ws_curve_cert_save (cert, dir, name, &err), 0);
    return cert;
}

static void
test_allow_list (void **state)
{
    (void) state;
    ws_err_t err;
    void *context = zmq_ctx_new ();
    char allowed[128];
    snprintf (allowed, sizeof allowed, "%s/authorized", s_dir);
    assert_null (ws_curve_auth_new (context, allowed, &err));
    assert_non_null (strstr (err.text, allowed));
    assert_non_null (strstr (err.text, "No such file"));

    ws_curve_cert_t *a = s_make ("authorized", "a");
    ws_curve_cert_t *b = s_make ("authorized", "b");
    ws_curve_cert_t *c = s_make ("elsewhere", "c");
    //  Secret files and other files in the directory are not read.
    s_write ("authorized/notes.txt", "public-key = nonsense\n", 0644);
    s_write ("authorized/.hidden.key", "nonsense\n", 0644);
    ws_curve_auth_t *auth = ws_curve_auth_new (context, allowed, &err);
    assert_non_null (auth);
    assert_int_equal (ws_curve_auth_size (auth), 2);
    assert_string_equal (ws_curve_auth_dir (auth), allowed);
    assert_string_equal (ws_curve_auth_lookup (auth, ws_curve_cert_public (a)),
                         "a");
    assert_string_equal (ws_curve_auth_lookup (auth, ws_curve_cert_public (b)),
                         "b");
    assert_null (ws_curve_auth_lookup (auth, ws_curve_cert_public (c)));
    assert_null (ws_curve_auth_lookup (auth, "short"));
    assert_null (ws_curve_auth_lookup (auth, NULL));
    assert_int_equal (ws_curve_auth_refused (auth), 0);
    assert_non_null (ws_curve_auth_socket (auth));

    //  Reload: a new key counts; a bad file keeps the old list.
    char from[256], to[256];
    snprintf (from, sizeof from, "%s/elsewhere/c.key", s_dir);
    snprintf (to, sizeof to, "%s/authorized/c.key", s_dir);
    assert_int_equal (rename (from, to), 0);
    assert_int_equal (ws_curve_auth_load (auth, &err), 3);
    assert_string_equal (ws_curve_auth_lookup (auth, ws_curve_cert_public (c)),
                         "c");
    const char *bad =
        s_write ("authorized/d.key", "public-key = \"x\"\n", 0644);
    assert_int_equal (ws_curve_auth_load (auth, &err), -1);
    assert_non_null (strstr (err.text, bad));
    assert_non_null (strstr (err.text, "line 1"));
    assert_int_equal (ws_curve_auth_size (auth), 3);
    //  A key pair put there by mistake is refused: it holds a secret.
    snprintf (from, sizeof from, "%s/elsewhere/c.secret", s_dir);
    assert_int_equal (rename (from, bad), 0);
    assert_int_equal (ws_curve_auth_load (auth, &err), -1);
    assert_non_null (strstr (err.text, "holds a secret key"));
    assert_int_equal (unlink (bad), 0);
    assert_int_equal (ws_curve_auth_load (auth, &err), 3);

    //  One ZAP handler per context: the address is taken.
    ws_err_clear (&err);
    assert_null (ws_curve_auth_new (context, allowed, &err));
    assert_non_null (strstr (err.text, "zeromq.zap.01"));

    ws_curve_auth_destroy (&auth);
    assert_null (auth);
    ws_curve_auth_destroy (&auth);
    ws_curve_cert_destroy (&a);
    ws_curve_cert_destroy (&b);
    ws_curve_cert_destroy (&c);
    zmq_ctx_term (context);
}

//  Send "hello" from a DEALER (its own context) and drive the server and
//  its ZAP handler for up to wait_ms. Returns true if the server got the
//  message; *user is the User-Id it carried.
static bool
s_try (ws_curve_auth_t *auth, void *server, const char *endpoint,
       ws_curve_cert_t *client_cert, const char *server_key, int wait_ms,
       char *user, size_t user_size)
{
    void *context = zmq_ctx_new ();
    void *client = zmq_socket (context, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt (client, ZMQ_LINGER, &zero, sizeof zero);
    ws_err_t err;
    if (client_cert)
        assert_int_equal (
            ws_curve_set_client (client, client_cert, server_key, &err), 0);
    assert_int_equal (zmq_connect (client, endpoint), 0);
    zmq_send (client, "hello", 5, ZMQ_DONTWAIT);
    bool got = false;
    int64_t deadline = ws_clock_ms () + wait_ms;
    while (!got && ws_clock_ms () < deadline) {
        zmq_pollitem_t items[2] = {
            {server, 0, ZMQ_POLLIN, 0},
            {ws_curve_auth_socket (auth), 0, ZMQ_POLLIN, 0}};
        zmq_poll (items, 2, 50);
        if (items[1].revents & ZMQ_POLLIN)
            ws_curve_auth_serve (auth);
        if (items[0].revents & ZMQ_POLLIN) {
            zmq_msg_t frame;
            zmq_msg_init (&frame);
            zmq_msg_recv (&frame, server, 0);  //  routing id
            zmq_msg_recv (&frame, server, 0);
            const char *id = zmq_msg_gets (&frame, "User-Id");
            snprintf (user, user_size, "%s", id ? id : "");
            got = zmq_msg_size (&frame) == 5;
            zmq_msg_close (&frame);
        }
    }
    zmq_close (client);
    zmq_ctx_term (context);
    return got;
}

static void
test_zap_handshake (void **state)
{
    (void) state;
    ws_err_t err;
    void *context = zmq_ctx_new ();
    ws_curve_cert_t *server_cert = s_make ("keys", "coordinator");
    ws_curve_cert_t *good = s_make ("allowed", "good");
    ws_curve_cert_t *unknown = s_make ("keys", "unknown");
    char allowed[128];
    snprintf (allowed, sizeof allowed, "%s/allowed", s_dir);
    ws_curve_auth_t *auth = ws_curve_auth_new (context, allowed, &err);
    assert_non_null (auth);
    void *server = zmq_socket (context, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt (server, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal (ws_curve_set_server (server, server_cert,
                                           WS_CURVE_DOMAIN_WORKERS, &err),
                      0);
    assert_int_equal (zmq_bind (server, "tcp://127.0.0.1:*"), 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &size);
    const char *server_key = ws_curve_cert_public (server_cert);

    char user[64] = "";
    assert_true (s_try (auth, server, endpoint, good, server_key, 3000, user,
                        sizeof user));
    assert_string_equal (user, "good");
    assert_int_equal (ws_curve_auth_refused (auth), 0);
    assert_false (s_try (auth, server, endpoint, unknown, server_key, 1000,
                         user, sizeof user));
    assert_true (ws_curve_auth_refused (auth) >= 1);
    //  No key at all: the mechanisms differ, nothing gets through.
    assert_false (
        s_try (auth, server, endpoint, NULL, NULL, 1000, user, sizeof user));
    //  The right client key but a wrong server key: no handshake.
    assert_false (s_try (auth, server, endpoint, good,
                         ws_curve_cert_public (unknown), 1000, user,
                         sizeof user));
    //  Allowed after a reload.
    char from[256], to[256];
    snprintf (from, sizeof from, "%s/keys/unknown.key", s_dir);
    snprintf (to, sizeof to, "%s/allowed/unknown.key", s_dir);
    assert_int_equal (rename (from, to), 0);
    assert_int_equal (ws_curve_auth_load (auth, &err), 2);
    assert_true (s_try (auth, server, endpoint, unknown, server_key, 3000, user,
                        sizeof user));
    assert_string_equal (user, "unknown");

    assert_int_equal (ws_curve_set_client (server, good, "bad", &err), -1);
    zmq_close (server);
    ws_curve_auth_destroy (&auth);
    ws_curve_cert_destroy (&server_cert);
    ws_curve_cert_destroy (&good);
    ws_curve_cert_destroy (&unknown);
    zmq_ctx_term (context);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_keygen_round_trip, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_files, s_setup, s_teardown),
        cmocka_unit_test (test_endpoint_is_local),
        cmocka_unit_test_setup_teardown (test_allow_list, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_zap_handshake, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
