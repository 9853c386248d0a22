/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NIC guard (see guard.h and docs/filters.md): which filters apply to
 * a frame, UDP datagrams judged whole, TCP streams followed from the SYN
 * and normalised so the filters see what the guest's stack delivers.
 */
#include "guard.h"

#include <string.h>

/* ---- the filter set ---------------------------------------------------- */

struct VgFilterSet {
    GPtrArray *filters;         /* of VgGuardFilter, installation order */
    GHashTable *by_port;        /* transport << 16 | port -> GPtrArray */
    uint64_t generation;
};

static void guard_filter_free(gpointer p)
{
    VgGuardFilter *gf = p;

    g_free(gf->id);
    g_free(gf->sha256);
    vf_free(gf->filter);
    g_free(gf);
}

static guint scope_key(uint8_t transport, uint16_t port)
{
    return (guint)transport << 16 | port;
}

VgFilterSet *vg_filter_set_new(void)
{
    VgFilterSet *set = g_new0(VgFilterSet, 1);

    set->filters = g_ptr_array_new_with_free_func(guard_filter_free);
    set->by_port = g_hash_table_new_full(NULL, NULL, NULL,
                                         (GDestroyNotify)g_ptr_array_unref);
    return set;
}

void vg_filter_set_free(VgFilterSet *set)
{
    if (set) {
        g_hash_table_destroy(set->by_port);
        g_ptr_array_unref(set->filters);
        g_free(set);
    }
}

static VgGuardFilter *find(VgFilterSet *set, const char *id, guint *index)
{
    for (guint i = 0; i < set->filters->len; i++) {
        VgGuardFilter *gf = g_ptr_array_index(set->filters, i);

        if (strcmp(gf->id, id) == 0) {
            if (index) {
                *index = i;
            }
            return gf;
        }
    }
    return NULL;
}

bool vg_filter_set_add(VgFilterSet *set, const char *id, VfFilter *f,
                       GError **errp)
{
    VgGuardFilter *gf;
    GPtrArray *list;
    g_autoptr(GBytes) enc = NULL;
    guint key;

    if (find(set, id, NULL)) {
        g_set_error(errp, VF_ERROR, 0, "a filter with id '%s' is already "
                    "installed", id);
        vf_free(f);
        return false;
    }
    enc = vf_encode(f, errp);
    if (!enc) {
        vf_free(f);
        return false;
    }
    gf = g_new0(VgGuardFilter, 1);
    gf->id = g_strdup(id);
    gf->filter = f;
    gf->sha256 = vf_digest_hex(enc);
    gf->generation = ++set->generation;
    g_ptr_array_add(set->filters, gf);
    key = scope_key(f->transport, f->port);
    list = g_hash_table_lookup(set->by_port, GUINT_TO_POINTER(key));
    if (!list) {
        list = g_ptr_array_new();
        g_hash_table_insert(set->by_port, GUINT_TO_POINTER(key), list);
    }
    g_ptr_array_add(list, gf);
    return true;
}

bool vg_filter_set_del(VgFilterSet *set, const char *id, GError **errp)
{
    guint index, key;
    VgGuardFilter *gf = find(set, id, &index);
    GPtrArray *list;

    if (!gf) {
        g_set_error(errp, VF_ERROR, 0, "no filter with id '%s'", id);
        return false;
    }
    key = scope_key(gf->filter->transport, gf->filter->port);
    list = g_hash_table_lookup(set->by_port, GUINT_TO_POINTER(key));
    g_ptr_array_remove(list, gf);
    if (!list->len) {
        g_hash_table_remove(set->by_port, GUINT_TO_POINTER(key));
    }
    g_ptr_array_remove_index(set->filters, index);
    return true;
}

GPtrArray *vg_filter_set_list(VgFilterSet *set)
{
    return set->filters;
}

/* ---- connections ------------------------------------------------------- */

typedef struct {
    uint8_t version;
    uint8_t pad;                /* zeroed: keys are compared as bytes */
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
} ConnKey;

typedef enum {
    CONN_UNDECIDED,
    CONN_CLEAN,                 /* every filter said no: passes */
    CONN_BLOCKED,               /* a filter matched: dropped */
} ConnState;

/*
 * What the guard believes only once the guest has said it: a SYN's ISN
 * counts when the guest answers it with a SYN-ACK (a guest with the
 * connection already up ignores a SYN, so an attacker's SYN must not
 * restart the guard's view of the stream); a clean connection's judged
 * prefix is final when the guest has acknowledged past it.
 */
typedef struct {
    ConnKey key;
    ConnState state;
    bool confirmed;             /* the guest acknowledged the ISN */
    bool has_pending;           /* a SYN with another ISN, unanswered */
    bool prefix_final;          /* the guest acknowledged the prefix */
    uint32_t isn, pending_isn;
    uint64_t stream_len;        /* in-order bytes so far */
    GByteArray *kept;           /* the first bytes, up to keep_limit */
    uint32_t keep_limit;
    uint64_t generation;        /* filters installed later do not apply */
    int64_t last_us;
} Conn;

struct VgGuard {
    VgFilterSet *set;
    char **programs;            /* NULL: all */
    VgGuardLimits limits;
    GHashTable *conns;          /* ConnKey -> Conn (the key is inside) */
    int64_t last_sweep_us;
    int64_t full_until_us;      /* no room found: no scan again till then */
    VgGuardStats stats;
};

static guint conn_hash_seeded(const ConnKey *k, guint seed)
{
    const uint8_t *b = (const uint8_t *)k;
    guint32 h = seed ^ 0x9e3779b9u;

    /* A keyed multiply-rotate mix over every byte of the key. */
    for (size_t i = 0; i < sizeof(*k); i++) {
        h ^= b[i];
        h *= 0x01000193u;
        h ^= h >> 15;
        h = (h << 7 | h >> 25) + seed;
    }
    return h;
}

/* Random per process: collisions cannot be chosen from outside. */
static guint hash_seed;

static guint conn_hash(gconstpointer p)
{
    return conn_hash_seeded(p, hash_seed);
}

static gboolean conn_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(ConnKey)) == 0;
}

static void conn_free(gpointer p)
{
    Conn *c = p;

    g_byte_array_unref(c->kept);
    g_free(c);
}

VgGuard *vg_guard_new(VgFilterSet *set, const char *const *programs,
                      const VgGuardLimits *limits)
{
    VgGuard *g = g_new0(VgGuard, 1);

    g->set = set;
    g->programs = programs ? g_strdupv((char **)programs) : NULL;
    g->limits = limits ? *limits : (VgGuardLimits) {
        VG_GUARD_DEFAULT_CONNECTIONS, VG_GUARD_DEFAULT_IDLE_US,
        VG_GUARD_DEFAULT_BUFFERED };
    if (!g->limits.max_buffered) {
        g->limits.max_buffered = VG_GUARD_DEFAULT_BUFFERED;
    }
    if (!hash_seed) {
        hash_seed = g_random_int() | 1;
    }
    g->conns = g_hash_table_new_full(conn_hash, conn_equal, NULL, conn_free);
    return g;
}

void vg_guard_free(VgGuard *g)
{
    if (g) {
        g_hash_table_destroy(g->conns);
        g_strfreev(g->programs);
        g_free(g);
    }
}

static bool applies(const VgGuard *g, const VgGuardFilter *gf)
{
    if (!g->programs) {
        return true;
    }
    for (char **p = g->programs; *p; p++) {
        if (strcmp(*p, gf->filter->name) == 0) {
            return true;
        }
    }
    return false;
}

/* The set's list for a scope (NULL: none), and whether any applies. */
static GPtrArray *scope_filters(VgGuard *g, uint8_t transport, uint16_t port)
{
    GPtrArray *list = g_hash_table_lookup(
        g->set->by_port, GUINT_TO_POINTER(scope_key(transport, port)));

    if (!list) {
        return NULL;
    }
    for (guint i = 0; i < list->len; i++) {
        if (applies(g, g_ptr_array_index(list, i))) {
            return list;
        }
    }
    return NULL;
}

static bool any_filter(VgGuard *g)
{
    for (guint i = 0; i < g->set->filters->len; i++) {
        if (applies(g, g_ptr_array_index(g->set->filters, i))) {
            return true;
        }
    }
    return false;
}

static void drop_kept(VgGuard *g, Conn *c)
{
    g->stats.buffered -= c->kept->len;
    g_byte_array_set_size(c->kept, 0);
}

static void conn_forget(VgGuard *g, Conn *c)
{
    g->stats.buffered -= c->kept->len;
    g_hash_table_remove(g->conns, &c->key);
}

/* Entries idle past the limit go; undecided ones are then fail-closed. */
static void sweep(VgGuard *g, int64_t now)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, g->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Conn *c = v;

        if (now - c->last_us > g->limits.idle_timeout_us) {
            g->stats.buffered -= c->kept->len;
            g_hash_table_iter_remove(&it);
        }
    }
    g->last_sweep_us = now;
}

/*
 * Room for one more: expired entries, else a connection the guest never
 * accepted, else the stalest clean one.  A full table of undecided
 * connections refuses new ones, and is not scanned again for 100 ms.
 */
static bool make_room(VgGuard *g, int64_t now)
{
    GHashTableIter it;
    gpointer v;
    Conn *victim = NULL;

    if (g_hash_table_size(g->conns) < g->limits.max_connections) {
        return true;
    }
    if (now < g->full_until_us) {
        return false;
    }
    if (now - g->last_sweep_us > G_USEC_PER_SEC) {
        sweep(g, now);
        if (g_hash_table_size(g->conns) < g->limits.max_connections) {
            return true;
        }
    }
    g_hash_table_iter_init(&it, g->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Conn *c = v;

        if (!c->confirmed) {
            victim = c;
            break;
        }
        if (c->state == CONN_CLEAN &&
            (!victim || c->last_us < victim->last_us)) {
            victim = c;
        }
    }
    if (!victim) {
        g->full_until_us = now + G_USEC_PER_SEC / 10;
        return false;           /* never forget an undecided connection */
    }
    conn_forget(g, victim);
    return true;
}

static ConnKey key_of(const VgPacket *p, bool from_guest)
{
    ConnKey k;

    memset(&k, 0, sizeof(k));
    k.version = p->ip_version;
    memcpy(k.src, from_guest ? p->dst : p->src, 16);
    memcpy(k.dst, from_guest ? p->src : p->dst, 16);
    k.sport = from_guest ? p->dst_port : p->src_port;
    k.dport = from_guest ? p->src_port : p->dst_port;
    return k;
}

static void conn_restart(VgGuard *g, Conn *c, uint32_t isn,
                         GPtrArray *list)
{
    drop_kept(g, c);
    c->state = CONN_UNDECIDED;
    c->confirmed = c->has_pending = c->prefix_final = false;
    c->isn = isn;
    c->stream_len = 0;
    c->keep_limit = 0;
    c->generation = g->set->generation;
    for (guint i = 0; list && i < list->len; i++) {
        VgGuardFilter *gf = g_ptr_array_index(list, i);

        if (applies(g, gf)) {
            c->keep_limit = MAX(c->keep_limit, gf->filter->read_end);
            gf->examined++;
        }
    }
}

static Conn *conn_open(VgGuard *g, const VgPacket *p, GPtrArray *list,
                       int64_t now)
{
    Conn *c = g_new0(Conn, 1);

    c->key = key_of(p, false);
    c->kept = g_byte_array_new();
    c->last_us = now;
    conn_restart(g, c, p->seq, list);
    g_hash_table_replace(g->conns, &c->key, c);
    return c;
}

/*
 * Judge an undecided connection whose in-order stream grew from @from
 * bytes to c->stream_len: MATCH (and which filter), NO_MATCH when every
 * filter has said no, else UNDECIDED.  A filter that reads the length
 * is tried at every length the growth went through, so that a match on
 * a prefix is not stepped over by a longer segment.
 */
static VfVerdict judge(VgGuard *g, Conn *c, GPtrArray *list, uint64_t from,
                       VgGuardFilter **matched)
{
    VfVerdict all = VF_NO_MATCH;

    for (guint i = 0; list && i < list->len; i++) {
        VgGuardFilter *gf = g_ptr_array_index(list, i);
        uint64_t len = gf->filter->uses_len ? from + 1 : c->stream_len;
        VfVerdict v = VF_UNDECIDED;

        if (!applies(g, gf) || gf->generation > c->generation) {
            continue;
        }
        for (; len <= c->stream_len; len++) {
            v = vf_eval_kept(gf->filter, c->kept->data,
                             MIN(c->kept->len, len), len, false);
            if (v != VF_UNDECIDED) {
                break;
            }
        }
        if (v == VF_MATCH) {
            *matched = gf;
            return VF_MATCH;
        }
        if (v == VF_UNDECIDED) {
            all = VF_UNDECIDED;
        }
    }
    return all;
}

/*
 * A clean connection keeps its first bytes until the guest acknowledges
 * past them: the guest may not have taken the frames that carried them
 * (a full receive ring), and a retransmission with other bytes must not
 * then slip in where the filters already looked.
 */
static void conn_decided(VgGuard *g, Conn *c, ConnState state)
{
    c->state = state;
    if (state == CONN_BLOCKED) {
        drop_kept(g, c);
    }
}

/*
 * Do the bytes of @p agree with the kept prefix where they overlap it?
 * Positions are signed: a segment may start before the stream (the
 * guest trims what it already has and takes the rest).
 */
static bool agrees_with_kept(const Conn *c, const VgPacket *p)
{
    int64_t rel = (int32_t)(p->seq - (c->isn + 1));
    int64_t from = MAX(rel, 0), to = MIN(rel + (int64_t)p->payload_len,
                                         (int64_t)c->kept->len);

    if (c->prefix_final || from >= to) {
        return true;
    }
    return memcmp(c->kept->data + from, p->payload + (from - rel),
                  to - from) == 0;
}

/* The bytes of an undecided stream: normalise, keep, judge. */
static VgGuardVerdict tcp_data(VgGuard *g, Conn *c, const VgPacket *p,
                               GPtrArray *list, VgGuardAction *act)
{
    uint32_t next = c->isn + 1 + (uint32_t)c->stream_len;
    int32_t ahead = (int32_t)(p->seq - next);
    size_t len = p->payload_len, old = 0;
    uint64_t from = c->stream_len;
    VfVerdict v;

    if (ahead > 0) {
        return VG_GUARD_DROP_NORMALISE;     /* a gap: wait for the rest */
    }
    if (ahead < 0) {
        uint64_t back = (uint64_t)-(int64_t)ahead;

        if (back > c->stream_len) {
            return VG_GUARD_DROP_NORMALISE; /* before the stream began */
        }
        if (!agrees_with_kept(c, p)) {
            return VG_GUARD_DROP_NORMALISE;
        }
        old = MIN(back, len);
        if (old == len) {
            return VG_GUARD_PASS;           /* a plain retransmission */
        }
    }
    if (c->kept->len < c->keep_limit) {
        size_t n = MIN(c->keep_limit - c->kept->len, len - old);

        if (g->stats.buffered + n > g->limits.max_buffered) {
            return VG_GUARD_DROP_FULL;      /* the sender retries later */
        }
        g_byte_array_append(c->kept, p->payload + old, n);
        g->stats.buffered += n;
    }
    c->stream_len += len - old;
    v = judge(g, c, list, from, &act->matched);
    if (v == VF_MATCH) {
        act->matched->hits++;
        act->reset = true;
        act->reset_seq = next;
        conn_decided(g, c, CONN_BLOCKED);
        return VG_GUARD_DROP_MATCH;
    }
    if (v == VF_NO_MATCH) {
        conn_decided(g, c, CONN_CLEAN);
    }
    return VG_GUARD_PASS;
}

/*
 * A segment whose bytes the guard does not look at needs no checksum
 * check (it costs a read of every byte): one of a clean connection past
 * the prefix the filters judged, or once the guest has acknowledged
 * that prefix.  Everything else is checked, so that what the filters see
 * is what the guest's stack takes.
 */
static bool needs_no_checksum(const Conn *c, const VgPacket *p)
{
    int32_t rel;

    if (!c || c->state != CONN_CLEAN ||
        (p->tcp_flags & (VG_TCP_SYN | VG_TCP_RST | VG_TCP_URG))) {
        return false;
    }
    rel = (int32_t)(p->seq - (c->isn + 1));
    return c->prefix_final || (rel >= 0 && (uint32_t)rel >= c->kept->len);
}

static VgGuardVerdict tcp_frame(VgGuard *g, const VgPacket *p,
                                GPtrArray *list, int64_t now,
                                VgGuardAction *act)
{
    ConnKey key = key_of(p, false);
    Conn *c = g_hash_table_lookup(g->conns, &key);
    bool syn = p->tcp_flags & VG_TCP_SYN;

    if (!needs_no_checksum(c, p) && !vg_packet_csum_ok(p)) {
        return VG_GUARD_DROP_NORMALISE;     /* the guest drops it too */
    }
    if (syn) {
        if (p->tcp_flags & VG_TCP_ACK) {
            return VG_GUARD_DROP_NORMALISE; /* a SYN-ACK to a server? */
        }
        if (p->payload_len) {
            return VG_GUARD_DROP_NORMALISE; /* no data on SYNs (fast open) */
        }
        if (!c) {
            if (!make_room(g, now)) {
                return VG_GUARD_DROP_FULL;
            }
            conn_open(g, p, list, now);
            return VG_GUARD_PASS;
        }
        c->last_us = now;
        if (c->isn == p->seq) {
            return VG_GUARD_PASS;           /* a retransmitted SYN */
        }
        if (!c->confirmed) {
            conn_restart(g, c, p->seq, list);   /* a retry, new ISN */
        } else {
            /* The guest decides: it answers only if the old one is gone. */
            c->has_pending = true;
            c->pending_isn = p->seq;
        }
        return VG_GUARD_PASS;
    }
    if (!c) {
        /*
         * No state: a connection from before the filters, or forgotten.
         * Its bytes cannot be judged, so they do not pass.
         */
        return p->payload_len ? VG_GUARD_DROP_UNTRACKED : VG_GUARD_PASS;
    }
    c->last_us = now;
    if (c->state == CONN_BLOCKED) {
        /* A bare reset only ends the guest's side: let it. */
        return p->tcp_flags & VG_TCP_RST && !p->payload_len
               ? VG_GUARD_PASS : VG_GUARD_DROP_MATCH;
    }
    if (!p->payload_len && !(p->tcp_flags & VG_TCP_URG)) {
        return VG_GUARD_PASS;
    }
    /*
     * Bytes the guest would not take as stream data must not be judged
     * as such: before the guest accepted the ISN, without ACK (Linux
     * drops those once established), or urgent (taken out of the
     * stream by the guest's socket).
     */
    if (!c->confirmed || !(p->tcp_flags & VG_TCP_ACK)) {
        return VG_GUARD_DROP_NORMALISE;
    }
    if (c->state == CONN_CLEAN) {
        if (p->tcp_flags & VG_TCP_URG) {
            return c->prefix_final ? VG_GUARD_PASS : VG_GUARD_DROP_NORMALISE;
        }
        return agrees_with_kept(c, p) ? VG_GUARD_PASS
                                      : VG_GUARD_DROP_NORMALISE;
    }
    if (p->tcp_flags & VG_TCP_URG) {
        return VG_GUARD_DROP_NORMALISE;
    }
    return tcp_data(g, c, p, list, act);
}

void vg_guard_guest_frame(VgGuard *g, const uint8_t *frame, size_t len,
                          size_t vnet_hdr_len)
{
    VgPacket p;
    ConnKey key;
    Conn *c;

    if (vg_packet_parse(frame, len, vnet_hdr_len, &p) != VG_PACKET_OK) {
        return;
    }
    if (p.transport == 17 && !p.fragment) {
        g->stats.guest_udp++;   /* a verifier's sign that it answered */
    }
    if (!g_hash_table_size(g->conns) ||
        p.transport != 6 || p.fragment || !(p.tcp_flags & VG_TCP_ACK)) {
        return;
    }
    key = key_of(&p, true);
    c = g_hash_table_lookup(g->conns, &key);
    if (!c) {
        return;
    }
    if ((p.tcp_flags & (VG_TCP_SYN | VG_TCP_RST)) == VG_TCP_SYN) {
        if (c->has_pending && p.ack == c->pending_isn + 1) {
            /* The old connection was gone: this is a new one. */
            conn_restart(g, c, c->pending_isn,
                         scope_filters(g, 6, c->key.dport));
            c->confirmed = true;
        } else if (!c->confirmed && p.ack == c->isn + 1) {
            c->confirmed = true;
        }
        return;
    }
    if (c->confirmed && c->state == CONN_CLEAN && !c->prefix_final) {
        int32_t acked = (int32_t)(p.ack - (c->isn + 1));

        if (acked >= 0 && (uint32_t)acked >= c->kept->len) {
            c->prefix_final = true;     /* the guest has those bytes */
            drop_kept(g, c);
        }
    }
}

static VgGuardVerdict udp_frame(VgGuard *g, const VgPacket *p,
                                GPtrArray *list, VgGuardAction *act)
{
    for (guint i = 0; i < list->len; i++) {
        VgGuardFilter *gf = g_ptr_array_index(list, i);

        if (!applies(g, gf)) {
            continue;
        }
        gf->examined++;
        if (vf_eval(gf->filter, p->payload, p->payload_len, true) ==
            VF_MATCH) {
            gf->hits++;
            act->matched = gf;
            return VG_GUARD_DROP_MATCH;
        }
    }
    return VG_GUARD_PASS;
}

static VgGuardVerdict judge_frame(VgGuard *g, const uint8_t *frame,
                                  size_t len, size_t vnet_hdr_len,
                                  int64_t now, VgGuardAction *act)
{
    VgPacket p;
    VgPacketKind kind = vg_packet_parse(frame, len, vnet_hdr_len, &p);
    GPtrArray *list;

    if (kind == VG_PACKET_OTHER) {
        return VG_GUARD_PASS;
    }
    if (kind == VG_PACKET_MALFORMED) {
        /*
         * Where we cannot read the ports, neither can we tell the guest
         * would not: with filters on, such frames do not pass.
         */
        return any_filter(g) ? VG_GUARD_DROP_NORMALISE : VG_GUARD_PASS;
    }
    if (p.transport == 17 && !p.fragment) {
        g->stats.udp_to_guest++;
    }
    if (p.transport == 6 && !p.fragment) {
        g->stats.tcp_bytes_to_guest += p.payload_len;
    }
    if (p.fragment) {
        if (!p.first_fragment) {
            return VG_GUARD_PASS;   /* useless without the first */
        }
        if (!p.ports_known) {
            return any_filter(g) ? VG_GUARD_DROP_FRAGMENT : VG_GUARD_PASS;
        }
        return scope_filters(g, p.transport, p.dst_port)
               ? VG_GUARD_DROP_FRAGMENT : VG_GUARD_PASS;
    }
    list = scope_filters(g, p.transport, p.dst_port);
    if (!list) {
        if (p.transport == 6 && g_hash_table_size(g->conns)) {
            ConnKey key = key_of(&p, false);
            Conn *c = g_hash_table_lookup(g->conns, &key);

            if (c) {
                conn_forget(g, c);  /* its filters were all removed */
            }
        }
        return VG_GUARD_PASS;
    }
    g->stats.protected_frames++;
    if (p.transport == 17) {
        if (!vg_packet_csum_ok(&p)) {
            return VG_GUARD_DROP_NORMALISE; /* the guest drops it too */
        }
        return udp_frame(g, &p, list, act);
    }
    return tcp_frame(g, &p, list, now, act);
}

VgGuardVerdict vg_guard_frame(VgGuard *g, const uint8_t *frame, size_t len,
                              size_t vnet_hdr_len, int64_t now_us,
                              VgGuardAction *act)
{
    VgGuardAction a = { 0 };
    VgGuardVerdict v;

    g->stats.frames++;
    g->stats.last_frame_us = now_us;
    if (now_us - g->last_sweep_us > g->limits.idle_timeout_us / 4) {
        sweep(g, now_us);
    }
    v = judge_frame(g, frame, len, vnet_hdr_len, now_us, &a);
    if (v != VG_GUARD_PASS) {
        g->stats.drops[v]++;
    }
    if (act) {
        *act = a;
    }
    return v;
}

void vg_guard_stats(VgGuard *g, VgGuardStats *out)
{
    *out = g->stats;
    out->connections = g_hash_table_size(g->conns);
}

uint64_t vg_guard_buffered_for(VgGuard *g, const VgGuardFilter *gf)
{
    GHashTableIter it;
    gpointer v;
    uint64_t n = 0;

    if (gf->filter->transport != 6 || !applies(g, gf)) {
        return 0;
    }
    g_hash_table_iter_init(&it, g->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Conn *c = v;

        if (c->state != CONN_BLOCKED && c->key.dport == gf->filter->port &&
            gf->generation <= c->generation) {
            n += c->kept->len;
        }
    }
    return n;
}
