/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The local control socket (a unix socket, mode 0600): one command line
 * in, one JSON line out (docs/agent.md).
 *
 *   status           name, node ID, counters, verifiers
 *   peers            the links
 *   scas             the SCAs seen, oldest first
 *   vms              the local VMs and the filters installed on them
 *   submit BASE64    an SCA from a local detector (its encoding)
 */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"

#define CONTROL_LINE_MAX    (2 * 1024 * 1024)

static void counters_json(Agent *a, JsonBuilder *b)
{
    const AgentCounters *n = &a->n;
    struct {
        const char *name;
        uint64_t v;
    } c[] = {
        { "seen", n->seen }, { "duplicates", n->duplicates },
        { "verified", n->verified }, { "refused", n->refused },
        { "unverifiable", n->unverifiable }, { "forwarded", n->forwarded },
        { "rate-limited", n->rate_limited }, { "malformed", n->malformed },
        { "filters", n->filters }, { "filter-failures", n->filter_failures },
        { "installed", n->installed },
    };

    json_builder_begin_object(b);
    for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
        json_builder_set_member_name(b, c[i].name);
        json_builder_add_int_value(b, c[i].v);
    }
    json_builder_end_object(b);
}

static void error_reply(JsonBuilder *b, const char *msg)
{
    agent_json_str(b, "error", msg);
}

static void submit(Agent *a, JsonBuilder *b, const char *arg)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) enc = NULL;
    gsize n = 0;
    guchar *raw;
    ScaEntry *e;
    bool is_new;

    if (!arg || !*arg) {
        error_reply(b, "submit: the SCA's encoding in base64 is missing");
        return;
    }
    raw = g_base64_decode(arg, &n);
    enc = g_bytes_new_take(raw, n);
    if (!n) {
        error_reply(b, "submit: not base64");
        return;
    }
    e = agent_sca_arrived(a, enc, 0, &is_new, &err);
    if (!e) {
        error_reply(b, err->message);
        return;
    }
    agent_json_str(b, "digest", e->digest);
    json_builder_set_member_name(b, "new");
    json_builder_add_boolean_value(b, is_new);
    agent_json_str(b, "state", sca_state_name(e->state));
}

static char *run_command(Agent *a, const char *line)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    const char *sp = strchr(line, ' ');
    g_autofree char *cmd = sp ? g_strndup(line, sp - line) : g_strdup(line);
    const char *arg = sp ? sp + 1 : NULL;

    json_builder_begin_object(b);
    if (!strcmp(cmd, "status")) {
        agent_json_str(b, "name", a->cfg->name);
        agent_json_str(b, "node", a->node_id);
        agent_json_int(b, "links", g_list_length(a->links));
        json_builder_set_member_name(b, "counters");
        counters_json(a, b);
        json_builder_set_member_name(b, "verifiers");
        agent_workers_json(a, b);
    } else if (!strcmp(cmd, "peers")) {
        json_builder_set_member_name(b, "peers");
        agent_links_json(a, b);
    } else if (!strcmp(cmd, "scas")) {
        json_builder_set_member_name(b, "scas");
        agent_scas_json(a, b);
    } else if (!strcmp(cmd, "vms")) {
        json_builder_set_member_name(b, "vms");
        agent_vms_json(a, b);
    } else if (!strcmp(cmd, "submit")) {
        submit(a, b, arg);
    } else {
        g_autofree char *msg = g_strdup_printf(
            "unknown command '%.40s' (status, peers, scas, vms, "
            "submit BASE64)",
            cmd);

        error_reply(b, msg);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

typedef struct {
    Agent *a;
    GSocketConnection *conn;
    GDataInputStream *in;
} Client;

static void client_free(Client *c)
{
    g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    g_object_unref(c->in);
    g_object_unref(c->conn);
    g_free(c);
}

static void on_line(GObject *src, GAsyncResult *res, gpointer opaque)
{
    Client *c = opaque;
    gsize len = 0;
    g_autofree char *line = g_data_input_stream_read_line_finish(
        c->in, res, &len, NULL);
    g_autofree char *reply = NULL;
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->conn));

    if (line && len <= CONTROL_LINE_MAX && !c->a->stopping) {
        g_strchomp(line);
        reply = run_command(c->a, line);
        /* Local and small: a blocking write is fine. */
        g_output_stream_write_all(out, reply, strlen(reply), NULL, NULL,
                                  NULL);
        g_output_stream_write_all(out, "\n", 1, NULL, NULL, NULL);
    }
    client_free(c);
}

static gboolean on_client(GSocketService *service, GSocketConnection *conn,
                          GObject *source, gpointer opaque)
{
    Client *c = g_new0(Client, 1);

    c->a = opaque;
    c->conn = g_object_ref(conn);
    c->in = g_data_input_stream_new(
        g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, NULL,
                                        on_line, c);
    return TRUE;
}

bool agent_control_start(Agent *a, GError **errp)
{
    g_autoptr(GSocketAddress) sa = g_unix_socket_address_new(a->cfg->control);
    mode_t old;
    bool ok;

    g_unlink(a->cfg->control);
    a->control = g_socket_service_new();
    old = umask(077);
    ok = g_socket_listener_add_address(G_SOCKET_LISTENER(a->control), sa,
                                       G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL,
                                       errp);
    umask(old);
    if (!ok) {
        g_prefix_error(errp, "control socket %s: ", a->cfg->control);
        return false;
    }
    g_signal_connect(a->control, "incoming", G_CALLBACK(on_client), a);
    g_socket_service_start(a->control);
    agent_log(a, "control socket %s", a->cfg->control);
    return true;
}

void agent_control_stop(Agent *a)
{
    if (a->control) {
        g_socket_service_stop(a->control);
        g_socket_listener_close(G_SOCKET_LISTENER(a->control));
        g_clear_object(&a->control);
        g_unlink(a->cfg->control);
    }
}
