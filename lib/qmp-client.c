/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP client.  QMP sends one JSON object per line, so a line reader is
 * all the framing needed; each line is parsed once, and kept with its
 * text for the callers that want the text.
 */
#include "qmp-client.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

/* A line longer than this is no QMP message we asked for. */
#define QMP_LINE_MAX (16u << 20)

GQuark vg_qmp_error_quark(void)
{
    return g_quark_from_static_string("vg-qmp-error-quark");
}

typedef enum { MSG_GREETING, MSG_REPLY, MSG_EVENT } MsgKind;

typedef struct {
    MsgKind kind;
    JsonNode *node;
    char *line;
} Msg;

struct VgQmp {
    GSocket *sock;
    gint64 next_id;         /* each command's "id", echoed in its reply */
    GString *inbuf;
    gsize scanned;          /* inbuf's bytes known to hold no newline */
    GQueue events;          /* of Msg: events read while waiting for replies */
};

static void msg_free(Msg *m)
{
    if (m) {
        g_clear_pointer(&m->node, json_node_unref);
        g_free(m->line);
        g_free(m);
    }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Msg, msg_free)

JsonNode *vg_json_parse(const char *text, GError **errp)
{
    g_autoptr(JsonParser) parser = json_parser_new();

    if (!json_parser_load_from_data(parser, text, -1, errp)) {
        return NULL;
    }
    if (!json_parser_get_root(parser)) {
        g_set_error(errp, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                    "empty JSON text");
        return NULL;
    }
    return json_node_ref(json_parser_get_root(parser));
}

char *vg_json_to_string(JsonNode *node)
{
    return json_to_string(node, FALSE);
}

JsonNode *vg_json_lookup(JsonNode *root, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    JsonNode *n = root;

    for (int i = 0; n && parts[i]; i++) {
        if (JSON_NODE_HOLDS_ARRAY(n)) {
            JsonArray *a = json_node_get_array(n);
            char *end;
            guint64 k = g_ascii_strtoull(parts[i], &end, 10);

            if (!*parts[i] || *end || k >= json_array_get_length(a)) {
                return NULL;
            }
            n = json_array_get_element(a, k);
        } else if (JSON_NODE_HOLDS_OBJECT(n)) {
            n = json_object_get_member(json_node_get_object(n), parts[i]);
        } else {
            return NULL;
        }
    }
    return n;
}

JsonNode *vg_qmp_member(JsonNode *msg, const char *key)
{
    static const char *const inner[] = { "data", "return", "error" };
    JsonObject *o;

    if (strchr(key, '.')) {
        return vg_json_lookup(msg, key);
    }
    if (!msg || !JSON_NODE_HOLDS_OBJECT(msg)) {
        return NULL;
    }
    o = json_node_get_object(msg);
    if (json_object_has_member(o, key)) {
        return json_object_get_member(o, key);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(inner); i++) {
        JsonNode *n = json_object_get_member(o, inner[i]);

        if (n && JSON_NODE_HOLDS_OBJECT(n) &&
            json_object_has_member(json_node_get_object(n), key)) {
            return json_object_get_member(json_node_get_object(n), key);
        }
    }
    return NULL;
}

/* Which QMP message @node is, by its top-level members. */
static gboolean classify(JsonNode *node, MsgKind *kind)
{
    JsonObject *o;
    JsonNode *ev;

    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        return FALSE;
    }
    o = json_node_get_object(node);
    ev = json_object_get_member(o, "event");
    if (ev && JSON_NODE_HOLDS_VALUE(ev) &&
        json_node_get_value_type(ev) == G_TYPE_STRING) {
        *kind = MSG_EVENT;
    } else if (json_object_has_member(o, "return") ||
               json_object_has_member(o, "error")) {
        *kind = MSG_REPLY;
    } else if (json_object_has_member(o, "QMP")) {
        *kind = MSG_GREETING;
    } else {
        return FALSE;
    }
    return TRUE;
}

/* Next message, waiting until the deadline (monotonic µs). */
static Msg *read_msg(VgQmp *qmp, gint64 deadline, GError **errp)
{
    for (;;) {
        /* Only what came since: a long reply arrives in many reads. */
        char *nl = memchr(qmp->inbuf->str + qmp->scanned, '\n',
                          qmp->inbuf->len - qmp->scanned);
        char buf[65536];
        gssize n;
        gint64 left;

        if (nl) {
            gsize len = nl - qmp->inbuf->str;
            g_autoptr(Msg) m = g_new0(Msg, 1);
            g_autoptr(GError) err = NULL;

            m->line = g_strndup(qmp->inbuf->str, len);
            g_string_erase(qmp->inbuf, 0, len + 1);
            qmp->scanned = 0;
            g_strchomp(m->line);
            m->node = vg_json_parse(m->line, &err);
            if (!m->node || !classify(m->node, &m->kind)) {
                g_set_error(errp, VG_QMP_ERROR, VG_QMP_ERROR_PROTOCOL,
                            "not a QMP message (%s): %.200s",
                            err ? err->message : "no known member",
                            m->line);
                return NULL;
            }
            return g_steal_pointer(&m);
        }
        if (qmp->inbuf->len > QMP_LINE_MAX) {
            g_set_error(errp, VG_QMP_ERROR, VG_QMP_ERROR_PROTOCOL,
                        "a QMP line longer than %u bytes", QMP_LINE_MAX);
            return NULL;
        }
        left = deadline - g_get_monotonic_time();
        if (left <= 0 ||
            !g_socket_condition_timed_wait(qmp->sock, G_IO_IN, left,
                                           NULL, NULL)) {
            g_set_error(errp, VG_QMP_ERROR, VG_QMP_ERROR_TIMEOUT,
                        "no answer from QMP in time");
            return NULL;
        }
        n = g_socket_receive(qmp->sock, buf, sizeof(buf), NULL, NULL);
        if (n <= 0) {
            g_set_error(errp, VG_QMP_ERROR, VG_QMP_ERROR_CLOSED,
                        "the emulator closed the QMP connection");
            return NULL;
        }
        qmp->scanned = qmp->inbuf->len;
        g_string_append_len(qmp->inbuf, buf, n);
    }
}

static gboolean send_node(VgQmp *qmp, JsonNode *cmd, GError **errp)
{
    g_autofree char *text = vg_json_to_string(cmd);
    g_autofree char *line = g_strconcat(text, "\n", NULL);
    gsize len = strlen(line), off = 0;

    while (off < len) {
        gssize n = g_socket_send(qmp->sock, line + off, len - off, NULL,
                                 NULL);
        if (n <= 0) {
            g_set_error(errp, VG_QMP_ERROR, VG_QMP_ERROR_CLOSED,
                        "the emulator closed the QMP connection");
            return FALSE;
        }
        off += n;
    }
    return TRUE;
}

/*
 * Is @m the reply to command @id?  A reply without an id is (the
 * emulator could not read the command's); one with another id answers a
 * command that timed out earlier, and is dropped.
 */
static gboolean reply_to(const Msg *m, gint64 id)
{
    JsonNode *n = json_object_get_member(json_node_get_object(m->node), "id");

    return !n || (JSON_NODE_HOLDS_VALUE(n) &&
                  json_node_get_value_type(n) == G_TYPE_INT64 &&
                  json_node_get_int(n) == id);
}

/* Send @cmd with a fresh id and read up to its reply, queueing events. */
static Msg *transact(VgQmp *qmp, JsonNode *cmd, guint timeout_ms,
                     GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;
    gint64 id = ++qmp->next_id;

    json_object_set_int_member(json_node_get_object(cmd), "id", id);
    if (!send_node(qmp, cmd, errp)) {
        return NULL;
    }
    for (;;) {
        Msg *m = read_msg(qmp, deadline, errp);

        if (!m || (m->kind == MSG_REPLY && reply_to(m, id))) {
            return m;
        }
        if (m->kind == MSG_EVENT) {
            g_queue_push_tail(&qmp->events, m);
        } else {
            msg_free(m);        /* a stale reply, or a greeting */
        }
    }
}

static JsonNode *command_node(const char *command, JsonNode *arguments)
{
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);

    json_object_set_string_member(o, "execute", command);
    if (arguments) {
        json_object_set_member(o, "arguments", arguments);
    }
    json_node_take_object(n, o);
    return n;
}

static VgQmpError error_code(const char *cls)
{
    static const struct {
        const char *cls;
        VgQmpError code;
    } classes[] = {
        { "GenericError", VG_QMP_ERROR_GENERIC },
        { "CommandNotFound", VG_QMP_ERROR_COMMAND_NOT_FOUND },
        { "DeviceNotFound", VG_QMP_ERROR_DEVICE_NOT_FOUND },
        { "DeviceNotActive", VG_QMP_ERROR_DEVICE_NOT_ACTIVE },
    };

    for (size_t i = 0; cls && i < G_N_ELEMENTS(classes); i++) {
        if (!strcmp(cls, classes[i].cls)) {
            return classes[i].code;
        }
    }
    return VG_QMP_ERROR_OTHER_CLASS;
}

JsonNode *vg_qmp_execute(VgQmp *qmp, const char *command,
                         JsonNode *arguments, guint timeout_ms,
                         GError **errp)
{
    g_autoptr(JsonNode) cmd = command_node(command, arguments);
    g_autoptr(Msg) reply = transact(qmp, cmd, timeout_ms, errp);
    JsonObject *o;
    JsonNode *err;

    if (!reply) {
        return NULL;
    }
    o = json_node_get_object(reply->node);
    err = json_object_get_member(o, "error");
    if (err) {
        JsonObject *e = JSON_NODE_HOLDS_OBJECT(err)
                        ? json_node_get_object(err) : NULL;
        const char *cls = e ? json_object_get_string_member_with_default(
                                  e, "class", NULL) : NULL;
        const char *desc = e ? json_object_get_string_member_with_default(
                                   e, "desc", NULL) : NULL;

        g_set_error(errp, VG_QMP_ERROR, error_code(cls), "%s: %s", command,
                    desc ? desc : "error without a description");
        return NULL;
    }
    return json_node_ref(json_object_get_member(o, "return"));
}

char *vg_qmp_command(VgQmp *qmp, const char *json, guint timeout_ms)
{
    g_autoptr(JsonNode) cmd = vg_json_parse(json, NULL);
    g_autoptr(Msg) reply = NULL;
    JsonNode *ex = cmd ? vg_json_lookup(cmd, "execute") : NULL;

    if (!ex || !JSON_NODE_HOLDS_VALUE(ex) ||
        json_node_get_value_type(ex) != G_TYPE_STRING) {
        return NULL;
    }
    reply = transact(qmp, cmd, timeout_ms, NULL);
    return reply ? g_steal_pointer(&reply->line) : NULL;
}

static gboolean is_event(const Msg *m, const char *name)
{
    return m->kind == MSG_EVENT &&
           !strcmp(json_object_get_string_member(
                       json_node_get_object(m->node), "event"), name);
}

/* The next event @name, queued ones first. */
static Msg *next_event(VgQmp *qmp, const char *name, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;

    for (GList *l = qmp->events.head; l; l = l->next) {
        if (is_event(l->data, name)) {
            Msg *m = l->data;

            g_queue_delete_link(&qmp->events, l);
            return m;
        }
    }
    for (;;) {
        Msg *m = read_msg(qmp, deadline, NULL);

        if (!m || is_event(m, name)) {
            return m;
        }
        if (m->kind == MSG_EVENT) {
            g_queue_push_tail(&qmp->events, m);
        } else {
            msg_free(m);        /* a reply nobody waits for any more */
        }
    }
}

JsonNode *vg_qmp_next_event(VgQmp *qmp, const char *name, guint timeout_ms)
{
    g_autoptr(Msg) m = next_event(qmp, name, timeout_ms);

    return m ? json_node_ref(m->node) : NULL;
}

char *vg_qmp_wait_event(VgQmp *qmp, const char *name, guint timeout_ms)
{
    g_autoptr(Msg) m = next_event(qmp, name, timeout_ms);

    return m ? g_steal_pointer(&m->line) : NULL;
}

VgQmp *vg_qmp_connect(const char *socket_path, guint timeout_ms,
                      GError **errp)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000ll;
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(socket_path);
    g_autoptr(VgQmp) qmp = g_new0(VgQmp, 1);
    g_autoptr(JsonNode) caps = NULL;
    g_autoptr(GError) err = NULL;

    qmp->inbuf = g_string_new(NULL);
    g_queue_init(&qmp->events);
    /*
     * Connect and read the greeting, again until the deadline: an
     * emulator still starting up may close a connection it took before
     * its monitor was ready (seen under load), and that is no reason to
     * give up on it.
     */
    for (;;) {
        g_clear_error(&err);
        qmp->sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, errp);
        if (!qmp->sock) {
            return NULL;
        }
        if (g_socket_connect(qmp->sock, addr, NULL, &err)) {
            g_autoptr(Msg) greeting = read_msg(qmp, deadline, &err);

            if (greeting && greeting->kind == MSG_GREETING) {
                break;
            }
            if (greeting) {
                g_set_error(&err, VG_QMP_ERROR, VG_QMP_ERROR_CONNECT,
                            "no QMP greeting");
            }
            g_string_truncate(qmp->inbuf, 0);
            qmp->scanned = 0;
        }
        g_clear_object(&qmp->sock);
        if (g_get_monotonic_time() > deadline) {
            g_set_error(errp, VG_QMP_ERROR, VG_QMP_ERROR_CONNECT,
                        "cannot connect to QMP at %s: %s", socket_path,
                        err->message);
            return NULL;
        }
        g_usleep(20 * 1000);
    }
    caps = vg_qmp_execute(qmp, "qmp_capabilities", NULL, timeout_ms, errp);
    if (!caps) {
        return NULL;
    }
    return g_steal_pointer(&qmp);
}

void vg_qmp_drop_events(VgQmp *qmp)
{
    g_queue_clear_full(&qmp->events, (GDestroyNotify)msg_free);
}

void vg_qmp_close(VgQmp *qmp)
{
    if (!qmp) {
        return;
    }
    g_clear_object(&qmp->sock);
    g_string_free(qmp->inbuf, TRUE);
    g_queue_clear_full(&qmp->events, (GDestroyNotify)msg_free);
    g_free(qmp);
}

/* @key of the message in @json, as a value of @type, or NULL. */
static JsonNode *text_member(const char *json, const char *key,
                             JsonNode **root, GType type)
{
    JsonNode *n;

    *root = json ? vg_json_parse(json, NULL) : NULL;
    n = *root ? vg_qmp_member(*root, key) : NULL;
    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != type) {
        return NULL;
    }
    return n;
}

JsonNode *vg_qmp_parse_member(const char *json, const char *key)
{
    g_autoptr(JsonNode) root = json ? vg_json_parse(json, NULL) : NULL;
    JsonNode *n = root ? vg_qmp_member(root, key) : NULL;

    return n ? json_node_copy(n) : NULL;
}

gboolean vg_qmp_get_uint(const char *json, const char *key, guint64 *out)
{
    g_autoptr(JsonNode) root = NULL;
    JsonNode *n = text_member(json, key, &root, G_TYPE_INT64);

    if (!n) {
        return FALSE;
    }
    /*
     * json-glib keeps integers as gint64: a uint64 above INT64_MAX (a
     * kernel address) comes back as its two's complement
     */
    *out = (guint64)json_node_get_int(n);
    return TRUE;
}

gboolean vg_qmp_get_bool(const char *json, const char *key, gboolean *out)
{
    g_autoptr(JsonNode) root = NULL;
    JsonNode *n = text_member(json, key, &root, G_TYPE_BOOLEAN);

    if (!n) {
        return FALSE;
    }
    *out = json_node_get_boolean(n);
    return TRUE;
}

char *vg_qmp_get_string(const char *json, const char *key)
{
    g_autoptr(JsonNode) root = NULL;
    JsonNode *n = text_member(json, key, &root, G_TYPE_STRING);

    return n ? g_strdup(json_node_get_string(n)) : NULL;
}
