/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Links to peers: TCP from GIO (listening, and connecting with retries),
 * TLS from OpenSSL on the non-blocking socket, frames in and out.  A
 * link that sends anything malformed, or outruns its queue, is closed
 * with a close frame that says why; nothing else is disturbed.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <glib-unix.h>
#include <stdarg.h>
#include <string.h>

#include "agent.h"

#define RECONNECT_S     1
#define READ_CHUNK      16384
#define WANT_TTL_S      60
#define HANDSHAKE_S     10      /* to finish TLS, or the link is dropped */
#define HANDSHAKES_MAX  64      /* unauthenticated connections at once */

typedef enum {
    LINK_HANDSHAKE,
    LINK_OPEN,
    LINK_CLOSED,
} LinkState;

struct Link {
    Agent *a;
    uint64_t id;
    GSocketConnection *conn;
    int fd;
    SSL *ssl;
    int peer_index;             /* outbound: [peers] connect index; or -1 */
    char *addr;                 /* the other end, for logs */
    LinkState state;
    char peer_id[VGA_NODE_ID_HEX];
    char *peer_name;            /* from its hello */
    VgaDecoder *dec;
    GQueue out;                 /* whole frames, GBytes */
    size_t out_off;             /* bytes of the head frame already sent */
    guint watch;
    guint handshake_timer;
    GIOCondition cond;
    double tokens;
    int64_t refill_us;
    unsigned failures;
    GHashTable *wanted;         /* digest we asked for -> until when */
    GHashTable *sent;           /* digests of the SCAs sent on it */
    uint64_t rx_scas, verified, refused, rate_limited, forwarded;
};

static void link_io(Link *l);
static void connect_peer(Agent *a, int index);

uint64_t link_id(const Link *l)
{
    return l->id;
}

const char *link_peer(const Link *l)
{
    return l->peer_id[0] ? l->peer_id : l->addr;
}

bool link_is_open(const Link *l)
{
    return l->state == LINK_OPEN;
}

Link *agent_find_link(Agent *a, uint64_t id)
{
    for (GList *i = a->links; i; i = i->next) {
        Link *l = i->data;

        if (l->id == id) {
            return l;
        }
    }
    return NULL;
}

/* Short peer names for logs: the first 12 hex digits of the node ID. */
static const char *short_id(const Link *l)
{
    static char buf[13];

    if (!l->peer_id[0]) {
        return "?";
    }
    g_strlcpy(buf, l->peer_id, sizeof(buf));
    return buf;
}

static gboolean on_io(gint fd, GIOCondition cond, gpointer opaque)
{
    Link *l = opaque;

    l->watch = 0;               /* re-armed by link_io with what it needs */
    link_io(l);
    return G_SOURCE_REMOVE;
}

static void arm(Link *l, GIOCondition cond)
{
    if (l->watch && cond == l->cond) {
        return;
    }
    if (l->watch) {
        g_source_remove(l->watch);
    }
    l->cond = cond;
    l->watch = g_unix_fd_add(l->fd, cond, on_io, l);
}

static gboolean reconnect(gpointer opaque)
{
    Agent *a = ((gpointer *)opaque)[0];
    int index = GPOINTER_TO_INT(((gpointer *)opaque)[1]);

    g_free(opaque);
    if (!a->stopping) {
        connect_peer(a, index);
    }
    return G_SOURCE_REMOVE;
}

static void schedule_reconnect(Agent *a, int index, unsigned seconds)
{
    gpointer *args = g_new(gpointer, 2);

    args[0] = a;
    args[1] = GINT_TO_POINTER(index);
    g_timeout_add_seconds(seconds, reconnect, args);
}

static void link_free(Link *l)
{
    if (l->watch) {
        g_source_remove(l->watch);
    }
    if (l->handshake_timer) {
        g_source_remove(l->handshake_timer);
    }
    SSL_free(l->ssl);
    if (l->conn) {
        g_io_stream_close(G_IO_STREAM(l->conn), NULL, NULL);
        g_object_unref(l->conn);
    }
    vga_decoder_free(l->dec);
    g_hash_table_unref(l->wanted);
    g_hash_table_unref(l->sent);
    g_queue_clear_full(&l->out, (GDestroyNotify)g_bytes_unref);
    g_free(l->addr);
    g_free(l->peer_name);
    g_free(l);
}

static gboolean free_later(gpointer opaque)
{
    link_free(opaque);
    return G_SOURCE_REMOVE;
}

/* Leave the link now: callers up the stack see LINK_CLOSED. */
static void drop(Link *l)
{
    Agent *a = l->a;
    unsigned delay = RECONNECT_S;

    if (l->state == LINK_CLOSED) {
        return;
    }
    l->state = LINK_CLOSED;
    if (l->watch) {
        g_source_remove(l->watch);
        l->watch = 0;
    }
    if (l->handshake_timer) {
        g_source_remove(l->handshake_timer);
        l->handshake_timer = 0;
    }
    a->links = g_list_remove(a->links, l);
    if (l->peer_index >= 0 && !a->stopping) {
        if (l->peer_id[0] && g_hash_table_contains(a->banned, l->peer_id)) {
            delay = MAX(a->cfg->ban_s, RECONNECT_S);
        }
        schedule_reconnect(a, l->peer_index, delay);
    }
    g_idle_add(free_later, l);
}

void link_close(Link *l, VgaCloseReason reason, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    if (l->state == LINK_CLOSED) {
        return;
    }
    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    agent_log(l->a, "link %s (%s) closed: %s: %s", short_id(l), l->addr,
              vga_close_reason_name(reason), text);
    if (l->state == LINK_OPEN) {
        /* Best effort: one write of the close frame, then TLS close. */
        g_autoptr(GBytes) f = vga_frame_close(reason, text);
        size_t n;
        const void *p = g_bytes_get_data(f, &n);

        if (!l->out_off) {
            ERR_clear_error();
            SSL_write(l->ssl, p, n);
        }
        SSL_shutdown(l->ssl);
    }
    ERR_clear_error();
    drop(l);
}

bool link_send(Link *l, GBytes *frame)
{
    if (l->state != LINK_OPEN) {
        return false;
    }
    if (g_queue_get_length(&l->out) >= l->a->cfg->queue) {
        link_close(l, VGA_CLOSE_OVERLOAD, "%u frames queued to it",
                   g_queue_get_length(&l->out));
        return false;
    }
    g_queue_push_tail(&l->out, g_bytes_ref(frame));
    arm(l, l->cond | G_IO_OUT);
    return true;
}

bool link_take_token(Link *l)
{
    int64_t now = g_get_monotonic_time();
    const VgaConfig *c = l->a->cfg;

    l->tokens = MIN((double)c->burst,
                    l->tokens + (now - l->refill_us) / 1e6 * c->rate);
    l->refill_us = now;
    if (l->tokens < 1) {
        l->rate_limited++;
        return false;
    }
    l->tokens -= 1;
    return true;
}

void link_penalise(Link *l, const char *why)
{
    Agent *a = l->a;

    l->refused++;
    if (l->state != LINK_OPEN || ++l->failures < a->cfg->max_failures) {
        return;
    }
    if (a->cfg->ban_s) {
        g_hash_table_insert(a->banned, g_strdup(l->peer_id),
                            g_memdup2(&(int64_t){ g_get_monotonic_time() +
                                      (int64_t)a->cfg->ban_s *
                                      G_USEC_PER_SEC }, sizeof(int64_t)));
    }
    {
        char id[VGA_NODE_ID_HEX];
        GList *links = g_list_copy(a->links);

        g_strlcpy(id, l->peer_id, sizeof(id));
        link_close(l, VGA_CLOSE_PENALISED, "%u SCAs from it did not verify "
                   "(last: %s); banned for %u s", l->failures, why,
                   a->cfg->ban_s);
        /* The same node on other links: the ban is the node's. */
        for (GList *i = links; i; i = i->next) {
            Link *o = i->data;

            if (o != l && o->state == LINK_OPEN && !strcmp(o->peer_id, id)) {
                link_close(o, VGA_CLOSE_PENALISED, "its node was banned on "
                           "another link");
            }
        }
        g_list_free(links);
    }
}

void link_count_verified(Link *l)
{
    l->verified++;
}

void link_count_forwarded(Link *l)
{
    l->forwarded++;
}

static gboolean want_expired(gpointer key, gpointer value, gpointer now)
{
    return *(int64_t *)value <= *(int64_t *)now;
}

/*
 * At most VGA_MAX_DIGESTS wants per link, each for WANT_TTL_S: a peer's
 * have frames cannot grow the set without bound, nor keep a rate-limit
 * exemption for SCAs it announced and never sent.
 */
bool link_want_add(Link *l, const char *digest)
{
    int64_t now = g_get_monotonic_time();

    if (g_hash_table_size(l->wanted) >= VGA_MAX_DIGESTS) {
        g_hash_table_foreach_remove(l->wanted, want_expired, &now);
    }
    if (g_hash_table_size(l->wanted) >= VGA_MAX_DIGESTS) {
        return false;
    }
    g_hash_table_insert(l->wanted, g_strdup(digest),
                        g_memdup2(&(int64_t){ now + WANT_TTL_S *
                                              G_USEC_PER_SEC },
                                  sizeof(int64_t)));
    return true;
}

bool link_mark_sent(Link *l, const char *digest)
{
    return g_hash_table_add(l->sent, g_strdup(digest));
}

bool link_want_take(Link *l, const char *digest)
{
    int64_t *until = g_hash_table_lookup(l->wanted, digest);
    bool live = until && *until > g_get_monotonic_time();

    g_hash_table_remove(l->wanted, digest);
    return live;
}

static bool is_banned(Agent *a, const char *id)
{
    int64_t *until = g_hash_table_lookup(a->banned, id);

    if (until && *until <= g_get_monotonic_time()) {
        g_hash_table_remove(a->banned, id);
        return false;
    }
    return until != NULL;
}

static gboolean handshake_timeout(gpointer opaque)
{
    Link *l = opaque;

    l->handshake_timer = 0;
    agent_log(l->a, "link (%s) refused: no TLS handshake in %d s", l->addr,
              HANDSHAKE_S);
    drop(l);
    return G_SOURCE_REMOVE;
}

static unsigned handshaking(Agent *a)
{
    unsigned n = 0;

    for (GList *i = a->links; i; i = i->next) {
        n += ((Link *)i->data)->state == LINK_HANDSHAKE;
    }
    return n;
}

static void handshake_done(Link *l)
{
    Agent *a = l->a;
    g_autoptr(GBytes) hello = NULL;

    if (l->handshake_timer) {
        g_source_remove(l->handshake_timer);
        l->handshake_timer = 0;
    }

    if (!agent_tls_peer_id(l->ssl, l->peer_id)) {
        l->peer_id[0] = '\0';
        link_close(l, VGA_CLOSE_PROTOCOL, "no verified certificate");
        return;
    }
    if (!strcmp(l->peer_id, a->node_id)) {
        link_close(l, VGA_CLOSE_DUPLICATE, "that is this agent");
        return;
    }
    if (is_banned(a, l->peer_id)) {
        l->state = LINK_HANDSHAKE;      /* no close frame: not a peer now */
        agent_log(a, "link %s (%s) refused: banned", short_id(l), l->addr);
        SSL_shutdown(l->ssl);
        drop(l);
        return;
    }
    l->state = LINK_OPEN;
    agent_log(a, "link %s (%s, %s) up, %s", short_id(l), l->addr,
              l->peer_index >= 0 ? "outbound" : "inbound",
              SSL_get_version(l->ssl));
    hello = vga_frame_hello(a->cfg->name);
    link_send(l, hello);
    agent_flood_link_up(a, l);
}

static void handle_frame(Link *l, VgaFrame *f)
{
    Agent *a = l->a;
    g_autoptr(GError) err = NULL;
    bool is_new;

    if (!l->peer_name && f->type != VGA_FRAME_HELLO &&
        f->type != VGA_FRAME_CLOSE) {
        link_close(l, VGA_CLOSE_PROTOCOL, "%s frame before hello",
                   vga_frame_type_name(f->type));
        return;
    }
    switch (f->type) {
    case VGA_FRAME_HELLO:
        if (l->peer_name) {
            link_close(l, VGA_CLOSE_PROTOCOL, "a second hello");
            return;
        }
        l->peer_name = g_strdup(f->name);
        agent_log(a, "link %s is agent '%s'", short_id(l), f->name);
        break;
    case VGA_FRAME_SCA: {
        char digest[2 * 32 + 1];

        l->rx_scas++;
        agent_sca_digest(f->payload, digest);
        if (!link_want_take(l, digest) && !link_take_token(l)) {
            a->n.rate_limited++;
            return;
        }
        if (!agent_sca_arrived(a, f->payload, l->id, &is_new, &err) &&
            l->state == LINK_OPEN) {
            link_penalise(l, err->message);
        }
        break;
    }
    case VGA_FRAME_HAVE:
        agent_flood_have(a, l, f->digests, f->ndigests);
        break;
    case VGA_FRAME_WANT:
        agent_flood_want(a, l, f->digests, f->ndigests);
        break;
    case VGA_FRAME_CLOSE:
        agent_log(a, "link %s (%s): the peer closes: %s: %s", short_id(l),
                  l->addr, vga_close_reason_name(f->reason), f->reason_text);
        SSL_shutdown(l->ssl);
        drop(l);
        break;
    }
}

static const char *ssl_reason(void)
{
    static char buf[256];
    unsigned long e = ERR_get_error();

    if (!e) {
        return "connection lost";
    }
    ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return buf;
}

/* Read what TLS has; false when the link went away. */
static bool read_frames(Link *l)
{
    uint8_t buf[READ_CHUNK];

    for (;;) {
        int r, e;

        ERR_clear_error();
        r = SSL_read(l->ssl, buf, sizeof(buf));
        if (r <= 0) {
            e = SSL_get_error(l->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                return true;
            }
            if (e == SSL_ERROR_ZERO_RETURN) {
                agent_log(l->a, "link %s (%s): the peer closed TLS",
                          short_id(l), l->addr);
                if (vga_decoder_pending(l->dec)) {
                    agent_log(l->a, "link %s: %zu bytes of a truncated frame "
                              "dropped", short_id(l),
                              vga_decoder_pending(l->dec));
                }
            } else {
                agent_log(l->a, "link %s (%s) lost: %s", short_id(l),
                          l->addr, ssl_reason());
            }
            drop(l);
            return false;
        }
        vga_decoder_feed(l->dec, buf, r);
        for (;;) {
            g_autoptr(GError) err = NULL;
            VgaFrame f;
            int got = vga_decoder_next(l->dec, &f, &err);

            if (got < 0) {
                link_close(l, VGA_CLOSE_MALFORMED, "%s", err->message);
                return false;
            }
            if (!got) {
                break;
            }
            handle_frame(l, &f);
            vga_frame_clear(&f);
            if (l->state != LINK_OPEN) {
                return false;
            }
        }
    }
}

/* Write queued frames; false when the link went away. */
static bool write_frames(Link *l, bool *blocked)
{
    *blocked = false;
    while (!g_queue_is_empty(&l->out)) {
        GBytes *head = g_queue_peek_head(&l->out);
        size_t n;
        const uint8_t *p = g_bytes_get_data(head, &n);
        int r, e;

        ERR_clear_error();
        r = SSL_write(l->ssl, p + l->out_off, n - l->out_off);
        if (r <= 0) {
            e = SSL_get_error(l->ssl, r);
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                *blocked = true;
                return true;
            }
            agent_log(l->a, "link %s (%s) lost while sending: %s",
                      short_id(l), l->addr, ssl_reason());
            drop(l);
            return false;
        }
        l->out_off += r;
        if (l->out_off == n) {
            g_bytes_unref(g_queue_pop_head(&l->out));
            l->out_off = 0;
        }
    }
    return true;
}

static void link_io(Link *l)
{
    bool blocked;

    if (l->state == LINK_HANDSHAKE) {
        int r, e;

        ERR_clear_error();
        r = SSL_do_handshake(l->ssl);
        if (r != 1) {
            e = SSL_get_error(l->ssl, r);
            if (e == SSL_ERROR_WANT_READ) {
                arm(l, G_IO_IN);
                return;
            }
            if (e == SSL_ERROR_WANT_WRITE) {
                arm(l, G_IO_IN | G_IO_OUT);
                return;
            }
            agent_log(l->a, "link (%s) refused: TLS handshake: %s", l->addr,
                      ssl_reason());
            drop(l);
            return;
        }
        handshake_done(l);
        if (l->state != LINK_OPEN) {
            return;
        }
    }
    if (l->state != LINK_OPEN || !read_frames(l) ||
        !write_frames(l, &blocked)) {
        return;
    }
    arm(l, G_IO_IN | (blocked ? G_IO_OUT : 0));
}

static void link_new(Agent *a, GSocketConnection *conn, int peer_index)
{
    Link *l = g_new0(Link, 1);
    GSocket *sock = g_socket_connection_get_socket(conn);
    g_autoptr(GSocketAddress) remote =
        g_socket_connection_get_remote_address(conn, NULL);

    l->a = a;
    l->id = ++a->next_link_id;
    l->conn = g_object_ref(conn);
    l->fd = g_socket_get_fd(sock);
    l->peer_index = peer_index;
    l->dec = vga_decoder_new();
    l->wanted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      g_free);
    l->sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    l->tokens = a->cfg->burst;
    l->refill_us = g_get_monotonic_time();
    g_queue_init(&l->out);
    if (remote && G_IS_INET_SOCKET_ADDRESS(remote)) {
        g_autofree char *ip = g_inet_address_to_string(
            g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));

        l->addr = g_strdup_printf("%s:%u", ip, g_inet_socket_address_get_port(
                                  G_INET_SOCKET_ADDRESS(remote)));
    } else {
        l->addr = g_strdup("?");
    }
    g_socket_set_blocking(sock, false);
    /* Frames are small and latency is the point: no Nagle delay. */
    g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    l->ssl = SSL_new(a->tls);
    SSL_set_fd(l->ssl, l->fd);
    if (peer_index >= 0) {
        SSL_set_connect_state(l->ssl);
    } else {
        SSL_set_accept_state(l->ssl);
    }
    a->links = g_list_prepend(a->links, l);
    l->handshake_timer = g_timeout_add_seconds(HANDSHAKE_S,
                                               handshake_timeout, l);
    link_io(l);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn,
                            GObject *source, gpointer opaque)
{
    Agent *a = opaque;

    if (a->stopping) {
        return TRUE;
    }
    /* Before TLS anyone can connect: a bounded number at a time. */
    if (handshaking(a) >= HANDSHAKES_MAX) {
        agent_log(a, "connection refused: %d handshakes in progress",
                  HANDSHAKES_MAX);
        g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
        return TRUE;
    }
    link_new(a, conn, -1);
    return TRUE;
}

typedef struct {
    Agent *a;
    int index;
} ConnectJob;

static void on_connected(GObject *src, GAsyncResult *res, gpointer opaque)
{
    ConnectJob *job = opaque;
    Agent *a = job->a;
    g_autoptr(GError) err = NULL;
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_finish(G_SOCKET_CLIENT(src), res, &err);
    const VgaAddress *p = &g_array_index(a->cfg->peers, VgaAddress,
                                         job->index);

    if (!conn) {
        if (!a->stopping) {
            agent_log(a, "peer %s:%u: %s; again in %u s", p->host, p->port,
                      err->message, RECONNECT_S);
            schedule_reconnect(a, job->index, RECONNECT_S);
        }
    } else if (!a->stopping) {
        link_new(a, conn, job->index);
    }
    g_free(job);
}

static void connect_peer(Agent *a, int index)
{
    const VgaAddress *p = &g_array_index(a->cfg->peers, VgaAddress, index);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    ConnectJob *job = g_new0(ConnectJob, 1);

    job->a = a;
    job->index = index;
    g_socket_client_set_timeout(client, 10);
    g_socket_client_connect_to_host_async(client, p->host, p->port, NULL,
                                          on_connected, job);
}

bool agent_links_start(Agent *a, GError **errp)
{
    const VgaConfig *c = a->cfg;

    if (c->listen.host) {
        g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(
            c->listen.host);
        g_autoptr(GSocketAddress) sa = NULL;
        g_autoptr(GSocketAddress) bound = NULL;

        if (!ip) {
            g_set_error(errp, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "listen: '%s' is not an IP address", c->listen.host);
            return false;
        }
        sa = g_inet_socket_address_new(ip, c->listen.port);
        a->listener = g_socket_service_new();
        if (!g_socket_listener_add_address(G_SOCKET_LISTENER(a->listener), sa,
                                           G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, NULL,
                                           &bound, errp)) {
            g_prefix_error(errp, "listen on %s:%u: ", c->listen.host,
                           c->listen.port);
            return false;
        }
        g_signal_connect(a->listener, "incoming", G_CALLBACK(on_incoming), a);
        g_socket_service_start(a->listener);
        agent_log(a, "listening on %s:%u", c->listen.host,
                  g_inet_socket_address_get_port(
                      G_INET_SOCKET_ADDRESS(bound)));
    }
    for (guint i = 0; i < c->peers->len; i++) {
        connect_peer(a, i);
    }
    return true;
}

void agent_links_stop(Agent *a)
{
    if (a->listener) {
        g_socket_service_stop(a->listener);
        g_socket_listener_close(G_SOCKET_LISTENER(a->listener));
        g_clear_object(&a->listener);
    }
    while (a->links) {
        Link *l = a->links->data;

        if (l->state == LINK_OPEN) {
            link_close(l, VGA_CLOSE_NORMAL, "the agent stops");
        } else {
            drop(l);
        }
    }
}

void agent_links_json(Agent *a, JsonBuilder *b)
{
    json_builder_begin_array(b);
    for (GList *i = a->links; i; i = i->next) {
        Link *l = i->data;

        json_builder_begin_object(b);
        agent_json_str(b, "node", l->peer_id);
        agent_json_str(b, "name", l->peer_name ? l->peer_name : "");
        agent_json_str(b, "address", l->addr);
        agent_json_str(b, "direction",
                       l->peer_index >= 0 ? "outbound" : "inbound");
        agent_json_str(b, "state",
                       l->state == LINK_OPEN ? "open" : "handshake");
        agent_json_int(b, "scas-received", l->rx_scas);
        agent_json_int(b, "verified", l->verified);
        agent_json_int(b, "refused", l->refused);
        agent_json_int(b, "rate-limited", l->rate_limited);
        agent_json_int(b, "forwarded", l->forwarded);
        agent_json_int(b, "queued", g_queue_get_length(&l->out));
        agent_json_int(b, "wanted", g_hash_table_size(l->wanted));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}
