/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigilante-agent's control socket, from the client side. */
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "agent-client.h"

#define REPLY_TIMEOUT_S 30

char *vg_agent_request(const char *socket_path, const char *line,
                       GError **errp)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) sa = g_unix_socket_address_new(socket_path);
    g_autoptr(GSocketConnection) conn = NULL;
    g_autoptr(GDataInputStream) in = NULL;
    GOutputStream *out;
    char *reply;

    g_socket_client_set_timeout(client, REPLY_TIMEOUT_S);
    conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(sa), NULL,
                                   errp);
    if (!conn) {
        g_prefix_error(errp, "agent control socket %s: ", socket_path);
        return NULL;
    }
    out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    if (!g_output_stream_write_all(out, line, strlen(line), NULL, NULL,
                                   errp) ||
        !g_output_stream_write_all(out, "\n", 1, NULL, NULL, errp)) {
        g_prefix_error(errp, "agent control socket %s: ", socket_path);
        return NULL;
    }
    in = g_data_input_stream_new(
        g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    reply = g_data_input_stream_read_line(in, NULL, NULL, errp);
    if (!reply) {
        if (errp && !*errp) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_CLOSED,
                        "agent control socket %s: no reply", socket_path);
        }
        return NULL;
    }
    return reply;
}

char *vg_agent_submit(const char *socket_path, GBytes *encoding,
                      GError **errp)
{
    g_autofree char *b64 = g_base64_encode(g_bytes_get_data(encoding, NULL),
                                           g_bytes_get_size(encoding));
    g_autofree char *line = g_strdup_printf("submit %s", b64);

    return vg_agent_request(socket_path, line, errp);
}
