/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vigilante-agent --config FILE: the host agent, in the foreground (a
 * systemd unit or an init script runs it as is).  It logs one line per
 * event on stderr and stops cleanly on SIGTERM or SIGINT.
 * Exit status: 0 stopped by a signal, 2 bad usage or configuration, 3 a
 * start-up error (certificates, sockets, profiles).
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include <gio/gunixconnection.h>
#include <gio/gunixsocketaddress.h>

#include "agent.h"
#include "sca-verify.h"

void agent_log(Agent *a, const char *fmt, ...)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%H:%M:%S");
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03d %s: %s\n", stamp,
            g_date_time_get_microsecond(now) / 1000, a->cfg->name, msg);
    fflush(stderr);
}

static gboolean on_stop_signal(gpointer opaque)
{
    Agent *a = opaque;

    if (!a->stopping) {
        agent_log(a, "stopping");
        a->stopping = true;
        g_main_loop_quit(a->loop);
    }
    return G_SOURCE_CONTINUE;
}

/*
 * GIO's types registered here, before the worker and protector threads
 * start: the first use of a type from two threads at once can deadlock in
 * this GLib (seen: the control socket's GSocketService against the
 * protector's GSocket, with a verifier's GSubprocess waiting on both).
 */
static void ensure_types(void)
{
    g_type_ensure(G_TYPE_SOCKET);
    g_type_ensure(G_TYPE_SOCKET_CLIENT);
    g_type_ensure(G_TYPE_SOCKET_SERVICE);
    g_type_ensure(G_TYPE_SOCKET_CONNECTION);
    g_type_ensure(G_TYPE_TCP_CONNECTION);
    g_type_ensure(G_TYPE_UNIX_CONNECTION);
    g_type_ensure(G_TYPE_INET_SOCKET_ADDRESS);
    g_type_ensure(G_TYPE_UNIX_SOCKET_ADDRESS);
    g_type_ensure(G_TYPE_SUBPROCESS);
    g_type_ensure(G_TYPE_SUBPROCESS_LAUNCHER);
    g_type_ensure(G_TYPE_DATA_INPUT_STREAM);
    g_type_ensure(G_TYPE_CANCELLABLE);
    g_type_ensure(G_TYPE_TASK);
}

int main(int argc, char **argv)
{
    g_autofree char *config = NULL;
    gboolean version = false;
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
          "The agent's key file (docs/agent.md)", "FILE" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version,
          "Print the version and exit", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- the Vigilante host agent: floods verified SCAs between hosts");
    g_autoptr(GError) err = NULL;
    Agent agent = { 0 }, *a = &agent;
    int status = 0;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "vigilante-agent: %s\n", err->message);
        return 2;
    }
    if (version) {
        printf("vigilante-agent %s\n", VIGILANTE_VERSION);
        return 0;
    }
    if (!config || argc > 1) {
        fprintf(stderr, "usage: vigilante-agent --config FILE\n");
        return 2;
    }
    a->cfg = vga_config_load(config, &err);
    if (!a->cfg) {
        fprintf(stderr, "vigilante-agent: %s\n", err->message);
        return 2;
    }
    if (!a->cfg->qemu) {
        a->cfg->qemu = vg_find_qemu(NULL);   /* as the CLI finds it */
    }
    a->banned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      g_free);
    a->loop = g_main_loop_new(NULL, false);
    if (g_mkdir_with_parents(a->cfg->state_dir, 0700) < 0) {
        agent_log(a, "state-dir %s: %s", a->cfg->state_dir, g_strerror(errno));
        status = 3;
        goto out;
    }
    a->tls = agent_tls_new(a->cfg, a->node_id, &err);
    if (!a->tls) {
        agent_log(a, "%s", err->message);
        status = 3;
        goto out;
    }
    agent_log(a, "vigilante-agent %s, node %s, emulator %s",
              VIGILANTE_VERSION, a->node_id, a->cfg->qemu);
    /* A peer that goes away mid-write is an error return, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    g_unix_signal_add(SIGTERM, on_stop_signal, a);
    g_unix_signal_add(SIGINT, on_stop_signal, a);
    ensure_types();
    if (!agent_store_open(a, &err) || !agent_protect_start(a, &err) ||
        !agent_flood_start(a, &err) || !agent_control_start(a, &err) ||
        !agent_links_start(a, &err)) {
        agent_log(a, "%s", err->message);
        status = 3;
    } else {
        g_main_loop_run(a->loop);
    }
    a->stopping = true;
    agent_links_stop(a);
    agent_control_stop(a);
    agent_flood_stop(a);
    agent_protect_stop(a);
    agent_store_close(a);
    agent_log(a, "stopped: %" G_GUINT64_FORMAT " SCAs seen, %" G_GUINT64_FORMAT
              " verified, %" G_GUINT64_FORMAT " refused, %" G_GUINT64_FORMAT
              " forwarded, %" G_GUINT64_FORMAT " filters made, %"
              G_GUINT64_FORMAT " installed", a->n.seen, a->n.verified,
              a->n.refused, a->n.forwarded, a->n.filters, a->n.installed);
out:
    SSL_CTX_free(a->tls);
    g_hash_table_unref(a->banned);
    g_main_loop_unref(a->loop);
    vga_config_free(a->cfg);
    return status;
}
