/*
 * QMP client.  QMP sends one JSON object per line, so a line
 * reader is all the framing needed.
 */
#include "qmp-client.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

struct VgQmp {
    GSocket *sock;
    GString *inbuf;
    GQueue events;          /* event lines read while waiting for replies */
};

/* Next complete line, waiting until the deadline (monotonic µs). */
static char *read_line(VgQmp *qmp, gint64 deadline)
{
    for (;;) {
        char *nl = memchr(qmp->inbuf->str, '\n', qmp->inbuf->len);
        char buf[4096];
        gssize n;
        gint64 left;

        if (nl) {
            gsize len = nl - qmp->inbuf->str;
            char *line = g_strndup(qmp->inbuf->str, len);

            g_string_erase(qmp->inbuf, 0, len + 1);
            return line;
        }
        left = deadline - g_get_monotonic_time();
        if (left <= 0) {
            return NULL;
        }
        g_socket_set_timeout(qmp->sock, MAX(1, left / G_USEC_PER_SEC + 1));
        if (!g_socket_condition_timed_wait(qmp->sock, G_IO_IN, left,
                                           NULL, NULL)) {
            return NULL;
        }
        n = g_socket_receive(qmp->sock, buf, sizeof(buf), NULL, NULL);
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(qmp->inbuf, buf, n);
    }
}

static gboolean send_all(VgQmp *qmp, const char *text)
{
    gsize len = strlen(text), off = 0;

    while (off < len) {
        gssize n = g_socket_send(qmp->sock, text + off, len - off, NULL,
                                 NULL);
        if (n <= 0) {
            return FALSE;
        }
        off += n;
    }
    return TRUE;
}

VgQmp *vg_qmp_connect(const char *socket_path, guint timeout_ms,
                      GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(socket_path);
    VgQmp *qmp = g_new0(VgQmp, 1);
    g_autofree char *greeting = NULL, *reply = NULL;

    qmp->inbuf = g_string_new(NULL);
    g_queue_init(&qmp->events);
    /*
     * Connect and read the greeting, again until the deadline: an
     * emulator still starting up may close a connection it took before
     * its monitor was ready (seen under load), and that is no reason to
     * give up on it.
     */
    for (;;) {
        g_autoptr(GError) err = NULL;

        qmp->sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, errp);
        if (!qmp->sock) {
            goto fail;
        }
        if (g_socket_connect(qmp->sock, addr, NULL, &err)) {
            greeting = read_line(qmp, deadline);
            if (greeting && strstr(greeting, "\"QMP\"")) {
                break;
            }
            g_clear_pointer(&greeting, g_free);
            g_string_truncate(qmp->inbuf, 0);
            g_set_error(&err, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "no QMP greeting");
        }
        g_clear_object(&qmp->sock);
        if (g_get_monotonic_time() > deadline) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "cannot connect to QMP at %s: %s", socket_path,
                        err->message);
            goto fail;
        }
        g_usleep(20 * 1000);
    }
    reply = vg_qmp_command(qmp, "{\"execute\":\"qmp_capabilities\"}",
                           timeout_ms);
    if (!reply || !strstr(reply, "\"return\"")) {
        g_set_error(errp, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "qmp_capabilities failed: %s", reply ? reply : "(none)");
        goto fail;
    }
    return qmp;

fail:
    vg_qmp_close(qmp);
    return NULL;
}

char *vg_qmp_command(VgQmp *qmp, const char *json, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;
    g_autofree char *line = g_strconcat(json, "\n", NULL);

    if (!send_all(qmp, line)) {
        return NULL;
    }
    for (;;) {
        char *reply = read_line(qmp, deadline);

        if (!reply) {
            return NULL;
        }
        if (strstr(reply, "\"event\"") && !strstr(reply, "\"return\"")) {
            g_queue_push_tail(&qmp->events, reply);
            continue;
        }
        return reply;
    }
}

char *vg_qmp_wait_event(VgQmp *qmp, const char *name, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;
    g_autofree char *needle = g_strdup_printf("\"event\": \"%s\"", name);

    for (GList *l = qmp->events.head; l; l = l->next) {
        if (strstr(l->data, needle)) {
            char *ev = l->data;
            g_queue_delete_link(&qmp->events, l);
            return ev;
        }
    }
    for (;;) {
        char *line = read_line(qmp, deadline);

        if (!line) {
            return NULL;
        }
        if (strstr(line, needle)) {
            return line;
        }
        g_queue_push_tail(&qmp->events, line);
    }
}

void vg_qmp_close(VgQmp *qmp)
{
    if (!qmp) {
        return;
    }
    g_clear_object(&qmp->sock);
    g_string_free(qmp->inbuf, TRUE);
    g_queue_clear_full(&qmp->events, g_free);
    g_free(qmp);
}

/* Start of the value of member key, or NULL. */
static const char *member(const char *json, const char *key)
{
    g_autofree char *needle = g_strdup_printf("\"%s\":", key);
    const char *p = strstr(json, needle);

    if (!p) {
        return NULL;
    }
    p += strlen(needle);
    while (*p == ' ') {
        p++;
    }
    return p;
}

gboolean vg_qmp_get_uint(const char *json, const char *key, guint64 *out)
{
    const char *p = member(json, key);
    char *end;

    if (!p || !g_ascii_isdigit(*p)) {
        return FALSE;
    }
    *out = g_ascii_strtoull(p, &end, 10);
    return end != p;
}

gboolean vg_qmp_get_bool(const char *json, const char *key, gboolean *out)
{
    const char *p = member(json, key);

    if (p && g_str_has_prefix(p, "true")) {
        *out = TRUE;
        return TRUE;
    }
    if (p && g_str_has_prefix(p, "false")) {
        *out = FALSE;
        return TRUE;
    }
    return FALSE;
}

char *vg_qmp_get_string(const char *json, const char *key)
{
    const char *p = member(json, key);
    GString *s;

    if (!p || *p != '"') {
        return NULL;
    }
    s = g_string_new(NULL);
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) {
            p++;
        }
        g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}
