/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QMP client (lib/qmp-client.c) against a fake QMP server on a unix
 * socket, with no emulator: the greeting and capabilities handshake,
 * events interleaved with replies, error replies as GErrors by class,
 * lines that only look like events or replies, malformed and oversized
 * lines, a server that closes or never answers, commands whose strings
 * need escaping, and the member lookups of the text forms.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp-client.h"

#define TIMEOUT_MS 2000

/*
 * What the server answers to one command line (the command as parsed):
 * lines to send (each gets a '\n'), or NULL to close the connection.
 * An empty array sends nothing.
 */
typedef GPtrArray *Handler(JsonNode *cmd, gpointer data);

typedef struct {
    char *dir, *path;
    int lfd;
    GThread *thread;
    const char *greeting;       /* NULL: the usual one */
    Handler *handler;
    gpointer data;
    GPtrArray *seen;            /* command lines received, as text */
} Server;

static const char greeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
    "\"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}";

static void send_line(int fd, const char *text)
{
    g_autofree char *line = g_strconcat(text, "\n", NULL);
    size_t off = 0, len = strlen(line);

    while (off < len) {
        ssize_t n = write(fd, line + off, len - off);

        if (n <= 0) {
            return;
        }
        off += n;
    }
}

static char *recv_line(int fd)
{
    GString *s = g_string_new(NULL);
    char c;

    while (read(fd, &c, 1) == 1) {
        if (c == '\n') {
            return g_string_free(s, FALSE);
        }
        g_string_append_c(s, c);
    }
    g_string_free(s, TRUE);
    return NULL;
}

static gpointer serve(gpointer opaque)
{
    Server *sv = opaque;
    int fd = accept(sv->lfd, NULL, NULL);
    char *line;

    if (fd < 0) {
        return NULL;
    }
    send_line(fd, sv->greeting ? sv->greeting : greeting);
    while ((line = recv_line(fd)) != NULL) {
        g_autoptr(JsonNode) cmd = vg_json_parse(line, NULL);
        g_autoptr(GPtrArray) out = NULL;
        JsonNode *ex = cmd ? vg_json_lookup(cmd, "execute") : NULL;

        g_ptr_array_add(sv->seen, line);
        if (ex && !strcmp(json_node_get_string(ex), "qmp_capabilities")) {
            send_line(fd, "{\"return\": {}}");
            continue;
        }
        out = sv->handler(cmd, sv->data);
        if (!out) {
            break;
        }
        for (guint i = 0; i < out->len; i++) {
            send_line(fd, out->pdata[i]);
        }
    }
    close(fd);
    return NULL;
}

static Server *server_start(Handler *h, gpointer data, const char *greet)
{
    Server *sv = g_new0(Server, 1);
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    sv->dir = g_dir_make_tmp("vg-qmp-XXXXXX", NULL);
    g_assert_nonnull(sv->dir);
    sv->path = g_build_filename(sv->dir, "qmp.sock", NULL);
    g_strlcpy(a.sun_path, sv->path, sizeof(a.sun_path));
    sv->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(sv->lfd, >=, 0);
    g_assert_cmpint(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(sv->lfd, 1), ==, 0);
    sv->handler = h;
    sv->data = data;
    sv->greeting = greet;
    sv->seen = g_ptr_array_new_with_free_func(g_free);
    sv->thread = g_thread_new("fake-qmp", serve, sv);
    return sv;
}

static void server_stop(Server *sv)
{
    shutdown(sv->lfd, SHUT_RDWR);
    g_thread_join(sv->thread);
    close(sv->lfd);
    g_unlink(sv->path);
    g_rmdir(sv->dir);
    g_ptr_array_unref(sv->seen);
    g_free(sv->path);
    g_free(sv->dir);
    g_free(sv);
}

static GPtrArray *lines(const char *first, ...)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    va_list ap;

    va_start(ap, first);
    for (const char *l = first; l; l = va_arg(ap, const char *)) {
        g_ptr_array_add(a, g_strdup(l));
    }
    va_end(ap);
    return a;
}

static const char *command_name(JsonNode *cmd)
{
    return json_node_get_string(vg_json_lookup(cmd, "execute"));
}

/*
 * query-status: an event first, then the reply; bad-command: an error
 * reply; echo: its arguments back; tricky: a reply whose text contains
 * "event", then an event whose data holds a "return" member.
 */
static GPtrArray *script(JsonNode *cmd, gpointer data)
{
    const char *name = command_name(cmd);

    if (!strcmp(name, "query-status")) {
        return lines("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2},"
                     " \"event\": \"STOP\"}",
                     "{\"return\": {\"status\": \"paused\", "
                     "\"running\": false}}", NULL);
    }
    if (!strcmp(name, "bad-command")) {
        return lines("{\"error\": {\"class\": \"CommandNotFound\", "
                     "\"desc\": \"The command bad-command has not been "
                     "found\"}}", NULL);
    }
    if (!strcmp(name, "failing")) {
        return lines("{\"error\": {\"class\": \"GenericError\", "
                     "\"desc\": \"no alert 999\"}}", NULL);
    }
    if (!strcmp(name, "echo")) {
        JsonObject *o = json_object_new();
        g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
        g_autofree char *text = NULL;

        json_object_set_member(o, "return",
                               json_node_copy(vg_json_lookup(cmd,
                                                             "arguments")));
        json_node_take_object(n, o);
        text = vg_json_to_string(n);
        return lines(text, NULL);
    }
    if (!strcmp(name, "tricky")) {
        return lines("{\"return\": {\"text\": \"\\\"event\\\": \\\"X\\\"\"}}",
                     "{\"event\": \"VIGILANTE_ALERT\", \"data\": "
                     "{\"return\": 1, \"id\": 7, \"target\": "
                     "18446744071562067968, \"labels\": [{\"offset\": 42, "
                     "\"event\": 3}, {\"offset\": 43, \"event\": 3}]}}",
                     NULL);
    }
    if (!strcmp(name, "stale")) {
        /* the answer to a command that timed out, then this one's */
        g_autofree char *mine = g_strdup_printf(
            "{\"return\": {\"which\": \"mine\"}, \"id\": %" G_GINT64_FORMAT
            "}", json_node_get_int(vg_json_lookup(cmd, "id")));

        return lines("{\"return\": {\"which\": \"old\"}, \"id\": 1}", mine,
                     NULL);
    }
    if (!strcmp(name, "garbage")) {
        return lines("{\"return\": {}", NULL);
    }
    if (!strcmp(name, "stray")) {
        return lines("{\"neither\": 1}", NULL);
    }
    if (!strcmp(name, "silent")) {
        return lines(NULL, NULL);
    }
    return NULL;                /* "close" and anything else */
}

static VgQmp *connect_to(Server *sv)
{
    g_autoptr(GError) err = NULL;
    VgQmp *qmp = vg_qmp_connect(sv->path, TIMEOUT_MS, &err);

    g_assert_no_error(err);
    g_assert_nonnull(qmp);
    return qmp;
}

static void test_handshake_and_events(void)
{
    Server *sv = server_start(script, NULL, NULL);
    g_autoptr(VgQmp) qmp = connect_to(sv);
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = vg_qmp_execute(qmp, "query-status", NULL,
                                             TIMEOUT_MS, &err);
    g_autoptr(JsonNode) ev = NULL;

    g_assert_no_error(err);
    g_assert_cmpstr(json_node_get_string(vg_json_lookup(ret, "status")), ==,
                    "paused");
    /* The event that came first was queued, not taken for the reply. */
    ev = vg_qmp_next_event(qmp, "STOP", 0);
    g_assert_nonnull(ev);
    g_assert_cmpint(json_node_get_int(vg_json_lookup(ev,
                                                     "timestamp.seconds")),
                    ==, 1);
    g_assert_null(vg_qmp_next_event(qmp, "STOP", 100));
    /* The handshake: capabilities first, the command built as JSON. */
    g_assert_cmpuint(sv->seen->len, ==, 2);
    g_assert_cmpstr(sv->seen->pdata[0], ==,
                    "{\"execute\":\"qmp_capabilities\",\"id\":1}");
    g_assert_cmpstr(sv->seen->pdata[1], ==,
                    "{\"execute\":\"query-status\",\"id\":2}");
    g_clear_pointer(&qmp, vg_qmp_close);
    server_stop(sv);
}

static void test_errors_by_class(void)
{
    Server *sv = server_start(script, NULL, NULL);
    g_autoptr(VgQmp) qmp = connect_to(sv);
    g_autoptr(GError) e1 = NULL, e2 = NULL;

    g_assert_null(vg_qmp_execute(qmp, "bad-command", NULL, TIMEOUT_MS, &e1));
    g_assert_error(e1, VG_QMP_ERROR, VG_QMP_ERROR_COMMAND_NOT_FOUND);
    g_assert_nonnull(strstr(e1->message, "has not been found"));
    g_assert_null(vg_qmp_execute(qmp, "failing", NULL, TIMEOUT_MS, &e2));
    g_assert_error(e2, VG_QMP_ERROR, VG_QMP_ERROR_GENERIC);
    g_assert_cmpstr(e2->message, ==, "failing: no alert 999");
    g_clear_pointer(&qmp, vg_qmp_close);
    server_stop(sv);
}

/* Strings that would break a command pasted together with printf. */
static void test_arguments_escaped(void)
{
    static const char *const nasty[] = {
        "a\"b", "back\\slash", "line\nbreak", "}, \"execute\": \"quit",
        "\xc3\xa9t\xc3\xa9",
    };
    Server *sv = server_start(script, NULL, NULL);
    g_autoptr(VgQmp) qmp = connect_to(sv);

    for (gsize i = 0; i < G_N_ELEMENTS(nasty); i++) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(GError) err = NULL;
        g_autoptr(JsonNode) ret = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, nasty[i]);
        json_builder_end_object(b);
        ret = vg_qmp_execute(qmp, "echo", json_builder_get_root(b),
                             TIMEOUT_MS, &err);
        g_assert_no_error(err);
        g_assert_cmpstr(json_node_get_string(vg_json_lookup(ret, "path")),
                        ==, nasty[i]);
        /* One line per command, whatever the string held. */
        g_assert_null(strchr(sv->seen->pdata[sv->seen->len - 1], '\n'));
    }
    g_clear_pointer(&qmp, vg_qmp_close);
    server_stop(sv);
}

/* A reply that mentions "event" and an event holding "return". */
static void test_lookalikes(void)
{
    Server *sv = server_start(script, NULL, NULL);
    g_autoptr(VgQmp) qmp = connect_to(sv);
    g_autofree char *reply = vg_qmp_command(qmp, "{\"execute\": \"tricky\"}",
                                            TIMEOUT_MS);
    g_autofree char *ev = NULL, *text = NULL;
    guint64 id, target, ret;

    g_assert_nonnull(reply);
    text = vg_qmp_get_string(reply, "text");
    g_assert_cmpstr(text, ==, "\"event\": \"X\"");
    ev = vg_qmp_wait_event(qmp, "VIGILANTE_ALERT", TIMEOUT_MS);
    g_assert_nonnull(ev);
    g_assert_true(vg_qmp_get_uint(ev, "id", &id));
    g_assert_cmpuint(id, ==, 7);
    g_assert_true(vg_qmp_get_uint(ev, "return", &ret));
    g_assert_cmpuint(ret, ==, 1);
    /* A kernel address, above INT64_MAX, comes back whole. */
    g_assert_true(vg_qmp_get_uint(ev, "target", &target));
    g_assert_cmphex(target, ==, G_GUINT64_CONSTANT(0xffffffff80000000));
    g_assert_true(vg_qmp_get_uint(ev, "data.labels.1.offset", &id));
    g_assert_cmpuint(id, ==, 43);
    g_assert_false(vg_qmp_get_uint(ev, "data.labels.2.offset", &id));
    g_assert_false(vg_qmp_get_uint(ev, "data.labels.x", &id));
    g_assert_null(vg_qmp_get_string(ev, "id"));     /* not a string */
    g_assert_false(vg_qmp_get_uint("{\"id\": 7", "id", &id));
    g_clear_pointer(&qmp, vg_qmp_close);
    server_stop(sv);
}

static void test_protocol_errors(void)
{
    static const char *const bad[] = { "garbage", "stray" };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        Server *sv = server_start(script, NULL, NULL);
        g_autoptr(VgQmp) qmp = connect_to(sv);
        g_autoptr(GError) err = NULL;

        g_assert_null(vg_qmp_execute(qmp, bad[i], NULL, TIMEOUT_MS, &err));
        g_assert_error(err, VG_QMP_ERROR, VG_QMP_ERROR_PROTOCOL);
        g_clear_pointer(&qmp, vg_qmp_close);
        server_stop(sv);
    }
}

static void test_closed_and_timeout(void)
{
    Server *sv = server_start(script, NULL, NULL);
    g_autoptr(VgQmp) qmp = connect_to(sv);
    g_autoptr(GError) e1 = NULL, e2 = NULL;

    g_assert_null(vg_qmp_execute(qmp, "silent", NULL, 300, &e1));
    g_assert_error(e1, VG_QMP_ERROR, VG_QMP_ERROR_TIMEOUT);
    g_assert_null(vg_qmp_execute(qmp, "close", NULL, TIMEOUT_MS, &e2));
    g_assert_error(e2, VG_QMP_ERROR, VG_QMP_ERROR_CLOSED);
    g_assert_null(vg_qmp_command(qmp, "{\"execute\": \"x\"}", 300));
    g_clear_pointer(&qmp, vg_qmp_close);
    server_stop(sv);
}

/* A late reply to an earlier command is not taken for this one's. */
static void test_stale_reply(void)
{
    Server *sv = server_start(script, NULL, NULL);
    g_autoptr(VgQmp) qmp = connect_to(sv);
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = vg_qmp_execute(qmp, "stale", NULL, TIMEOUT_MS,
                                             &err);

    g_assert_no_error(err);
    g_assert_cmpstr(json_node_get_string(vg_json_lookup(ret, "which")), ==,
                    "mine");
    g_clear_pointer(&qmp, vg_qmp_close);
    server_stop(sv);
}

/* A text command that does not parse, or names no command, is not sent. */
static void test_bad_text_command(void)
{
    Server *sv = server_start(script, NULL, NULL);
    g_autoptr(VgQmp) qmp = connect_to(sv);

    g_assert_null(vg_qmp_command(qmp, "{\"execute\": ", TIMEOUT_MS));
    g_assert_null(vg_qmp_command(qmp, "{\"arguments\": {}}", TIMEOUT_MS));
    g_assert_null(vg_qmp_command(qmp, "[1]", TIMEOUT_MS));
    g_assert_cmpuint(sv->seen->len, ==, 1);     /* capabilities only */
    g_clear_pointer(&qmp, vg_qmp_close);
    server_stop(sv);
}

/* A peer that greets with something else is no emulator. */
static void test_no_greeting(void)
{
    Server *sv = server_start(script, NULL, "{\"hello\": 1}");
    g_autoptr(GError) err = NULL;
    g_autoptr(VgQmp) qmp = vg_qmp_connect(sv->path, 300, &err);

    g_assert_null(qmp);
    g_assert_error(err, VG_QMP_ERROR, VG_QMP_ERROR_CONNECT);
    server_stop(sv);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp-client/handshake-and-events",
                    test_handshake_and_events);
    g_test_add_func("/qmp-client/errors-by-class", test_errors_by_class);
    g_test_add_func("/qmp-client/arguments-escaped", test_arguments_escaped);
    g_test_add_func("/qmp-client/lookalikes", test_lookalikes);
    g_test_add_func("/qmp-client/protocol-errors", test_protocol_errors);
    g_test_add_func("/qmp-client/closed-and-timeout",
                    test_closed_and_timeout);
    g_test_add_func("/qmp-client/stale-reply", test_stale_reply);
    g_test_add_func("/qmp-client/bad-text-command", test_bad_text_command);
    g_test_add_func("/qmp-client/no-greeting", test_no_greeting);
    return g_test_run();
}
