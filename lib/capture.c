/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Flows from a packet capture (lib/capture.h).  Frames of every link
 * type that carries IP are given an Ethernet header so that the NIC
 * filters' parser (vigilante/packet.c) reads them.  Checksums are not
 * checked: captures taken on the sending host hold offloaded (unset)
 * ones.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <string.h>

#include "capture.h"
#include "packet.h"

GQuark vg_capture_error_quark(void)
{
    return g_quark_from_static_string("vg-capture-error-quark");
}

#define ETH_HLEN        14

typedef struct {
    uint32_t seq;
    GBytes *data;
} Segment;

/* A flow while the capture is read. */
typedef struct {
    VgCaptureFlow *f;
    GArray *segments;           /* TCP: Segment, in order of arrival */
    bool syn;
    uint32_t isn;               /* the client's SYN's sequence number */
    bool closed;                /* FIN or RST seen: a new SYN starts anew */
} FlowState;

typedef struct {
    const VgProfile *p;
    const VgPortMap *map;
    guint nmap;
    VgCapture *cap;
    GHashTable *live;           /* key text -> FlowState */
    GPtrArray *states;          /* every FlowState, for the end */
} Reader;

/* The profile's port @port of @transport is for, after the map; or 0. */
static uint16_t profile_port(const Reader *r, uint8_t transport,
                             uint16_t port)
{
    const char *t = transport == 6 ? "tcp" : "udp";

    for (guint i = 0; i < r->nmap; i++) {
        if (r->map[i].from == port) {
            port = r->map[i].to;
            break;
        }
    }
    for (guint i = 0; i < r->p->ports->len; i++) {
        const VgProfilePort *pp = &g_array_index(r->p->ports,
                                                 VgProfilePort, i);

        if (pp->port == port && !strcmp(pp->transport, t)) {
            return port;
        }
    }
    return 0;
}

static char *endpoint(uint8_t version, const uint8_t *addr, uint16_t port)
{
    char text[INET6_ADDRSTRLEN];

    inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
    return g_strdup_printf(version == 4 ? "%s:%u" : "[%s]:%u", text, port);
}

static void flow_free(gpointer data)
{
    VgCaptureFlow *f = data;

    g_free(f->client);
    g_free(f->server);
    g_ptr_array_unref(f->messages);
    g_free(f);
}

static void state_free(gpointer data)
{
    FlowState *s = data;

    for (guint i = 0; s->segments && i < s->segments->len; i++) {
        g_bytes_unref(g_array_index(s->segments, Segment, i).data);
    }
    if (s->segments) {
        g_array_unref(s->segments);
    }
    g_free(s);
}

static FlowState *new_flow(Reader *r, const VgPacket *pk, bool to_server,
                           uint16_t port, guint number, double time)
{
    FlowState *s = g_new0(FlowState, 1);
    VgCaptureFlow *f = g_new0(VgCaptureFlow, 1);
    const uint8_t *ca = to_server ? pk->src : pk->dst;
    const uint8_t *sa = to_server ? pk->dst : pk->src;

    f->index = r->cap->flows->len + 1;
    f->transport = pk->transport;
    f->client = endpoint(pk->ip_version, ca,
                         to_server ? pk->src_port : pk->dst_port);
    f->server = endpoint(pk->ip_version, sa,
                         to_server ? pk->dst_port : pk->src_port);
    f->port = port;
    f->first_packet = number;
    f->first_time = time;
    f->messages = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    s->f = f;
    if (pk->transport == 6) {
        s->segments = g_array_new(FALSE, FALSE, sizeof(Segment));
    }
    g_ptr_array_add(r->cap->flows, f);
    g_ptr_array_add(r->states, s);
    return s;
}

/* Add one parsed packet that is for the profile. */
static void add_packet(Reader *r, const VgPacket *pk, bool to_server,
                       uint16_t port, guint number, double time,
                       bool snapped)
{
    g_autofree char *client = endpoint(pk->ip_version,
        to_server ? pk->src : pk->dst,
        to_server ? pk->src_port : pk->dst_port);
    g_autofree char *server = endpoint(pk->ip_version,
        to_server ? pk->dst : pk->src,
        to_server ? pk->dst_port : pk->src_port);
    g_autofree char *key = g_strdup_printf("%u %s %s", pk->transport,
                                           client, server);
    FlowState *s = g_hash_table_lookup(r->live, key);
    bool syn = pk->transport == 6 && to_server &&
               (pk->tcp_flags & (VG_TCP_SYN | VG_TCP_ACK)) == VG_TCP_SYN;

    /* A new connection on the same ports: a SYN after the old one ended. */
    if (s && syn && (s->closed || (s->syn && pk->seq != s->isn))) {
        s = NULL;
    }
    if (!s) {
        if (!to_server && pk->transport == 6 && !pk->payload_len) {
            /* A server's bare ACK or RST of a flow not seen: nothing. */
            r->cap->other_ports++;
            return;
        }
        s = new_flow(r, pk, to_server, port, number, time);
        g_hash_table_replace(r->live, g_steal_pointer(&key), s);
    }
    s->f->packets++;
    s->f->snapped += snapped;
    r->cap->in_flows++;
    if (!to_server) {
        s->f->server_bytes += pk->payload_len;
        return;
    }
    s->f->client_bytes += pk->payload_len;
    if (pk->transport == 17) {
        if (s->f->messages->len >= VG_FLOW_MAX_DATAGRAMS) {
            s->f->cut = true;
        } else if (pk->payload_len) {
            g_ptr_array_add(s->f->messages,
                            g_bytes_new(pk->payload, pk->payload_len));
        }
        return;
    }
    if (syn && !s->syn) {
        s->syn = true;
        s->isn = pk->seq;
        s->f->start_seen = true;
    }
    if (pk->tcp_flags & (VG_TCP_FIN | VG_TCP_RST)) {
        s->closed = true;
    }
    if (pk->payload_len) {
        Segment seg = { pk->seq, g_bytes_new(pk->payload, pk->payload_len) };

        g_array_append_val(s->segments, seg);
    }
}

/*
 * The client's stream: segments placed by sequence number in order of
 * arrival, the bytes that came first winning (a receiver that has
 * acknowledged bytes keeps them); the stream ends at the first hole.
 */
static void assemble(FlowState *s)
{
    VgCaptureFlow *f = s->f;
    g_autoptr(GByteArray) stream = g_byte_array_new();
    g_autoptr(GByteArray) have = g_byte_array_new();
    uint32_t base;
    size_t end;

    if (!s->segments->len) {
        return;
    }
    if (s->syn) {
        base = s->isn + 1;
    } else {
        /* Started before the capture: from its lowest sequence number. */
        base = g_array_index(s->segments, Segment, 0).seq;
        for (guint i = 1; i < s->segments->len; i++) {
            uint32_t q = g_array_index(s->segments, Segment, i).seq;

            if ((int32_t)(q - base) < 0) {
                base = q;
            }
        }
    }
    for (guint i = 0; i < s->segments->len; i++) {
        const Segment *seg = &g_array_index(s->segments, Segment, i);
        size_t len;
        const uint8_t *d = g_bytes_get_data(seg->data, &len);
        int64_t off = (int32_t)(seg->seq - base);
        bool again = false, other = false;

        for (size_t k = 0; k < len; k++) {
            int64_t o = off + (int64_t)k;

            if (o < 0) {
                continue;       /* before the SYN: not stream data */
            }
            if (o >= VG_FLOW_MAX_BYTES) {
                f->cut = true;
                break;
            }
            if ((size_t)o >= stream->len) {
                guint old = stream->len;

                g_byte_array_set_size(stream, o + 1);
                g_byte_array_set_size(have, o + 1);
                memset(have->data + old, 0, o + 1 - old);
            }
            if (have->data[o]) {
                again = true;
                other |= stream->data[o] != d[k];
            } else {
                stream->data[o] = d[k];
                have->data[o] = 1;
            }
        }
        f->retransmitted += again;
        f->conflicting += other;
    }
    end = 0;
    while (end < have->len && have->data[end]) {
        end++;
    }
    if (end < have->len) {
        f->gap = true;
        f->gap_at = end;
    }
    if (end) {
        g_ptr_array_add(f->messages, g_bytes_new(stream->data, end));
    }
}

static void finish(Reader *r)
{
    for (guint i = 0; i < r->states->len; i++) {
        FlowState *s = r->states->pdata[i];
        VgCaptureFlow *f = s->f;
        g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

        if (s->segments) {
            assemble(s);
        }
        for (guint k = 0; k < f->messages->len; k++) {
            size_t len;
            const uint8_t *d = g_bytes_get_data(f->messages->pdata[k], &len);

            g_checksum_update(sum, d, len);
        }
        g_strlcpy(f->sha256, g_checksum_get_string(sum), sizeof(f->sha256));
    }
}

/*
 * The frame as Ethernet, in @buf when it needs a header made for it;
 * NULL for a frame of this link type that holds no IP.
 */
static const uint8_t *as_ethernet(int linktype, const uint8_t *d,
                                  size_t caplen, GByteArray *buf,
                                  size_t *out_len)
{
    size_t skip;
    uint16_t ethertype = 0;

    switch (linktype) {
    case DLT_EN10MB:
        *out_len = caplen;
        return d;
    case DLT_LINUX_SLL:         /* 16 bytes, the protocol at 14 */
        if (caplen < 16) {
            return NULL;
        }
        skip = 16;
        ethertype = d[14] << 8 | d[15];
        break;
    case DLT_LINUX_SLL2:        /* 20 bytes, the protocol first */
        if (caplen < 20) {
            return NULL;
        }
        skip = 20;
        ethertype = d[0] << 8 | d[1];
        break;
    case DLT_NULL:              /* a 4-byte family; the IP version says */
    case DLT_LOOP:
        skip = 4;
        break;
    default:                    /* raw IP */
        skip = 0;
        break;
    }
    if (!ethertype) {
        if (caplen <= skip) {
            return NULL;
        }
        ethertype = (d[skip] >> 4) == 4 ? 0x0800
                    : (d[skip] >> 4) == 6 ? 0x86dd : 0;
    }
    if (ethertype != 0x0800 && ethertype != 0x86dd) {
        return NULL;
    }
    g_byte_array_set_size(buf, ETH_HLEN + caplen - skip);
    memset(buf->data, 0, 12);
    buf->data[12] = ethertype >> 8;
    buf->data[13] = ethertype & 0xff;
    memcpy(buf->data + ETH_HLEN, d + skip, caplen - skip);
    *out_len = buf->len;
    return buf->data;
}

static bool linktype_known(int lt)
{
    return lt == DLT_EN10MB || lt == DLT_LINUX_SLL || lt == DLT_LINUX_SLL2 ||
           lt == DLT_NULL || lt == DLT_LOOP || lt == DLT_RAW ||
           lt == DLT_IPV4 || lt == DLT_IPV6;
}

static void read_packets(Reader *r, pcap_t *pc, int lt)
{
    g_autoptr(GByteArray) buf = g_byte_array_new();
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc;

    while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
        VgPacket pk;
        size_t len;
        const uint8_t *eth;
        uint16_t sport, dport;
        guint number = ++r->cap->packets;
        double time = h->ts.tv_sec + h->ts.tv_usec / 1e6;

        eth = as_ethernet(lt, d, h->caplen, buf, &len);
        switch (eth ? vg_packet_parse(eth, len, 0, &pk) : VG_PACKET_OTHER) {
        case VG_PACKET_OTHER:
            r->cap->not_ip++;
            continue;
        case VG_PACKET_MALFORMED:
            r->cap->malformed++;
            continue;
        case VG_PACKET_OK:
            break;
        }
        if (pk.fragment) {
            r->cap->fragments++;
            continue;
        }
        dport = profile_port(r, pk.transport, pk.dst_port);
        sport = profile_port(r, pk.transport, pk.src_port);
        if (dport) {
            add_packet(r, &pk, true, dport, number, time,
                       h->caplen < h->len);
        } else if (sport) {
            add_packet(r, &pk, false, sport, number, time,
                       h->caplen < h->len);
        } else {
            r->cap->other_ports++;
        }
    }
    if (rc == PCAP_ERROR) {
        r->cap->stopped = g_strdup_printf("after packet %u: %s",
                                          r->cap->packets,
                                          pcap_geterr(pc));
    }
}

VgCapture *vg_capture_read(const char *path, const char *bpf,
                           const VgProfile *p, const VgPortMap *map,
                           guint nmap, GError **errp)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_open_offline(path, ebuf);
    Reader r = { .p = p, .map = map, .nmap = nmap };
    int lt;

    if (!pc) {
        g_set_error(errp, VG_CAPTURE_ERROR, VG_CAPTURE_ERROR_OPEN,
                    "%s: %s", path, ebuf);
        return NULL;
    }
    lt = pcap_datalink(pc);
    if (!linktype_known(lt)) {
        const char *name = pcap_datalink_val_to_name(lt);

        g_set_error(errp, VG_CAPTURE_ERROR, VG_CAPTURE_ERROR_LINKTYPE,
                    "%s: link type %s (%d) carries no IP that this reads "
                    "(Ethernet, Linux cooked v1 and v2, raw IP, BSD "
                    "loopback)", path, name ? name : "unknown", lt);
        pcap_close(pc);
        return NULL;
    }
    if (bpf && *bpf) {
        struct bpf_program prog;

        if (pcap_compile(pc, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            g_set_error(errp, VG_CAPTURE_ERROR, VG_CAPTURE_ERROR_FILTER,
                        "filter \"%s\": %s", bpf, pcap_geterr(pc));
            pcap_close(pc);
            return NULL;
        }
        if (pcap_setfilter(pc, &prog) < 0) {
            g_set_error(errp, VG_CAPTURE_ERROR, VG_CAPTURE_ERROR_FILTER,
                        "filter \"%s\": %s", bpf, pcap_geterr(pc));
            pcap_freecode(&prog);
            pcap_close(pc);
            return NULL;
        }
        pcap_freecode(&prog);
    }
    r.cap = g_new0(VgCapture, 1);
    r.cap->linktype = g_strdup(pcap_datalink_val_to_name(lt));
    r.cap->flows = g_ptr_array_new_with_free_func(flow_free);
    r.live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r.states = g_ptr_array_new_with_free_func(state_free);
    read_packets(&r, pc, lt);
    finish(&r);
    g_hash_table_unref(r.live);
    g_ptr_array_unref(r.states);
    pcap_close(pc);
    return r.cap;
}

void vg_capture_free(VgCapture *c)
{
    if (c) {
        g_free(c->linktype);
        g_free(c->stopped);
        g_ptr_array_unref(c->flows);
        g_free(c);
    }
}
