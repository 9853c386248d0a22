/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * filter-vigilante: the netdev filter that applies the installed
 * vulnerability filters to the frames a netdev sends to the guest
 * (docs/filters.md), and the QMP commands that install them.  The
 * judging is vigilante/guard.c's; this file is the QEMU glue.  Runs in
 * the main loop under the BQL, as do object-add/del and QMP, so the
 * filter set needs no lock.  Needs no taint tracking: protected VMs may
 * run with taint off.
 */
#include "qemu/osdep.h"
#include "net/filter.h"
#include "net/net.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vigilante.h"
#include "qapi/qapi-events-vigilante.h"
#include "qemu/cutils.h"
#include "qemu/iov.h"
#include "qom/object.h"
#include "vigilante/guard.h"

#define TYPE_FILTER_VIGILANTE "filter-vigilante"
OBJECT_DECLARE_SIMPLE_TYPE(FilterVigilante, FILTER_VIGILANTE)

/* Frames up to a GSO super-frame and its vnet header. */
#define FRAME_MAX (65536 + 64)

#define EVENT_INTERVAL_US G_USEC_PER_SEC

struct FilterVigilante {
    NetFilterState parent;
    char *programs;             /* ';'-separated, or NULL: all */
    VgGuard *guard;
    uint8_t *scratch;           /* an iovec made contiguous */
    QTAILQ_ENTRY(FilterVigilante) next;
};

/* The installed filters, shared by every filter-vigilante. */
static VgFilterSet *installed;
static QTAILQ_HEAD(, FilterVigilante) guards =
    QTAILQ_HEAD_INITIALIZER(guards);

/* Per installed filter: when its last event went, and drops since. */
typedef struct {
    int64_t last_us;
    uint64_t pending;
} DropEvents;
static GHashTable *drop_events;     /* filter id -> DropEvents */

static VgFilterSet *filter_set(void)
{
    if (!installed) {
        installed = vg_filter_set_new();
        drop_events = g_hash_table_new_full(g_str_hash, g_str_equal,
                                            g_free, g_free);
    }
    return installed;
}

static char *source_text(const VgPacket *p)
{
    char addr[INET6_ADDRSTRLEN];

    if (p->ip_version == 4) {
        inet_ntop(AF_INET, p->src, addr, sizeof(addr));
        return g_strdup_printf("%s:%u", addr, p->src_port);
    }
    inet_ntop(AF_INET6, p->src, addr, sizeof(addr));
    return g_strdup_printf("[%s]:%u", addr, p->src_port);
}

/* One event per filter per second at most, counting the rest. */
static void report_drop(FilterVigilante *s, VgGuardFilter *gf,
                        const uint8_t *frame, size_t len, size_t vnet)
{
    DropEvents *de = g_hash_table_lookup(drop_events, gf->id);
    int64_t now = g_get_monotonic_time();
    g_autofree char *src = NULL;
    VgPacket p;

    if (!de) {
        de = g_new0(DropEvents, 1);
        de->last_us = now - EVENT_INTERVAL_US;
        g_hash_table_insert(drop_events, g_strdup(gf->id), de);
    }
    de->pending++;
    if (now - de->last_us < EVENT_INTERVAL_US) {
        return;
    }
    vg_packet_parse(frame, len, vnet, &p);
    src = source_text(&p);
    qapi_event_send_vigilante_filter_drop(
        gf->id, object_get_canonical_path_component(OBJECT(s)),
        vf_transport_name(gf->filter->transport), gf->filter->port, src,
        de->pending);
    de->last_us = now;
    de->pending = 0;
}

/*
 * End the guest's side of a blocked connection at once: a RST in the
 * attacker's name at the sequence number the guest expects, passed on
 * as if it had come from the netdev (so later filters see it too).  The
 * attacker's side gets nothing; its later segments are dropped.
 */
static void reset_guest_side(NetFilterState *nf, unsigned flags,
                             uint32_t seq, const uint8_t *frame, size_t len,
                             size_t vnet)
{
    uint8_t rst[VG_RST_FRAME_MAX];
    struct iovec iov = { .iov_base = rst };

    iov.iov_len = vg_packet_build_rst(frame, len, vnet, seq, rst);
    if (iov.iov_len) {
        qemu_netfilter_pass_to_next(nf->netdev, flags, &iov, 1, nf);
    }
}

static ssize_t filter_vigilante_receive_iov(NetFilterState *nf,
                                            NetClientState *sender,
                                            unsigned flags,
                                            const struct iovec *iov,
                                            int iovcnt,
                                            NetPacketSent *sent_cb)
{
    FilterVigilante *s = FILTER_VIGILANTE(nf);
    size_t size = iov_size(iov, iovcnt);
    size_t vnet = nf->netdev->vnet_hdr_len;
    VgGuardAction act;
    VgGuardVerdict v;

    if (size > FRAME_MAX) {
        /* Larger than any frame a NIC takes (the guest's: passed on). */
        return sender == nf->netdev ? size : 0;
    }
    iov_to_buf(iov, iovcnt, 0, s->scratch, size);
    if (sender != nf->netdev) {
        /*
         * From the guest: never dropped, but its SYN-ACKs and ACKs tell
         * the guard what the guest has accepted.
         */
        vg_guard_guest_frame(s->guard, s->scratch, size, vnet);
        return 0;
    }
    v = vg_guard_frame(s->guard, s->scratch, size, vnet,
                       g_get_monotonic_time(), &act);
    if (v == VG_GUARD_PASS) {
        return 0;
    }
    if (act.matched) {
        report_drop(s, act.matched, s->scratch, size, vnet);
    }
    if (act.reset) {
        reset_guest_side(nf, flags, act.reset_seq, s->scratch, size, vnet);
    }
    return size;
}

static void filter_vigilante_setup(NetFilterState *nf, Error **errp)
{
    FilterVigilante *s = FILTER_VIGILANTE(nf);
    g_auto(GStrv) programs = NULL;

    if (nf->direction != NET_FILTER_DIRECTION_ALL) {
        error_setg(errp, "filter-vigilante needs queue=all (the default): "
                   "it judges the frames to the guest and trusts a "
                   "connection's start only once the guest has answered");
        return;
    }
    if (s->programs) {
        programs = g_strsplit(s->programs, ";", -1);
        for (char **p = programs; *p; p++) {
            if (!**p) {
                error_setg(errp, "filter-vigilante: programs: an empty "
                           "name in '%s'", s->programs);
                return;
            }
        }
    }
    s->guard = vg_guard_new(filter_set(), (const char *const *)programs,
                            NULL);
    s->scratch = g_malloc(FRAME_MAX);
    QTAILQ_INSERT_TAIL(&guards, s, next);
}

static void filter_vigilante_cleanup(NetFilterState *nf)
{
    FilterVigilante *s = FILTER_VIGILANTE(nf);

    if (s->guard) {
        QTAILQ_REMOVE(&guards, s, next);
        vg_guard_free(s->guard);
        s->guard = NULL;
    }
    g_free(s->scratch);
    s->scratch = NULL;
}

static char *filter_vigilante_get_programs(Object *obj, Error **errp)
{
    return g_strdup(FILTER_VIGILANTE(obj)->programs);
}

static void filter_vigilante_set_programs(Object *obj, const char *value,
                                          Error **errp)
{
    FilterVigilante *s = FILTER_VIGILANTE(obj);

    if (s->guard) {
        error_setg(errp, "filter-vigilante: programs cannot change once "
                   "the filter is set up");
        return;
    }
    g_free(s->programs);
    s->programs = g_strdup(value);
}

static void filter_vigilante_finalize(Object *obj)
{
    g_free(FILTER_VIGILANTE(obj)->programs);
}

static void filter_vigilante_class_init(ObjectClass *oc, void *data)
{
    NetFilterClass *nfc = NETFILTER_CLASS(oc);

    object_class_property_add_str(oc, "programs",
                                  filter_vigilante_get_programs,
                                  filter_vigilante_set_programs);
    nfc->setup = filter_vigilante_setup;
    nfc->cleanup = filter_vigilante_cleanup;
    nfc->receive_iov = filter_vigilante_receive_iov;
}

static const TypeInfo filter_vigilante_info = {
    .name = TYPE_FILTER_VIGILANTE,
    .parent = TYPE_NETFILTER,
    .class_init = filter_vigilante_class_init,
    .instance_size = sizeof(FilterVigilante),
    .instance_finalize = filter_vigilante_finalize,
};

static void filter_vigilante_register_types(void)
{
    type_register_static(&filter_vigilante_info);
}

type_init(filter_vigilante_register_types);

/* ---- QMP ---- */

static bool id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n < 1 || n > 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(id[i]) && !strchr("._-", id[i])) {
            return false;
        }
    }
    return true;
}

void qmp_vigilante_filter_add(const char *id, bool has_filename,
                              const char *filename, bool has_data,
                              const char *data, Error **errp)
{
    g_autofree char *bytes = NULL;
    g_autoptr(GError) err = NULL;
    VfFilter *f;
    gsize len;

    if (!id_ok(id)) {
        error_setg(errp, "filter id '%s': 1 to 64 letters, digits, '.', '_' "
                   "or '-'", id);
        return;
    }
    if (has_filename == has_data) {
        error_setg(errp, "give exactly one of 'filename' and 'data'");
        return;
    }
    if (has_filename) {
        f = vf_load(filename, &err);
    } else {
        bytes = (char *)g_base64_decode(data, &len);
        if (!len) {
            error_setg(errp, "'data' is not base64 of a filter");
            return;
        }
        f = vf_decode((const uint8_t *)bytes, len, &err);
    }
    if (!f) {
        error_setg(errp, "filter '%s': %s", id, err->message);
        return;
    }
    if (!vg_filter_set_add(filter_set(), id, f, &err)) {
        error_setg(errp, "%s", err->message);
    }
}

void qmp_vigilante_filter_del(const char *id, Error **errp)
{
    g_autoptr(GError) err = NULL;

    if (!vg_filter_set_del(filter_set(), id, &err)) {
        error_setg(errp, "%s", err->message);
        return;
    }
    g_hash_table_remove(drop_events, id);
}

VigilanteFiltersInfo *qmp_query_vigilante_filters(Error **errp)
{
    VigilanteFiltersInfo *info = g_new0(VigilanteFiltersInfo, 1);
    GPtrArray *list = vg_filter_set_list(filter_set());
    VigilanteFilterInfoList **ftail = &info->filters;
    VigilanteGuardInfoList **gtail = &info->guards;
    FilterVigilante *s;

    for (guint i = 0; i < list->len; i++) {
        VgGuardFilter *gf = g_ptr_array_index(list, i);
        VigilanteFilterInfo *fi = g_new0(VigilanteFilterInfo, 1);

        fi->id = g_strdup(gf->id);
        fi->program = g_strdup(gf->filter->name);
        fi->transport = g_strdup(vf_transport_name(gf->filter->transport));
        fi->port = gf->filter->port;
        fi->sha256 = g_strdup(gf->sha256);
        fi->conditions = gf->filter->conditions->len;
        fi->read_end = gf->filter->read_end;
        fi->hits = gf->hits;
        fi->examined = gf->examined;
        QTAILQ_FOREACH(s, &guards, next) {
            fi->buffered += vg_guard_buffered_for(s->guard, gf);
        }
        QAPI_LIST_APPEND(ftail, fi);
    }
    QTAILQ_FOREACH(s, &guards, next) {
        VigilanteGuardInfo *gi = g_new0(VigilanteGuardInfo, 1);
        VgGuardStats st;

        vg_guard_stats(s->guard, &st);
        gi->id = g_strdup(object_get_canonical_path_component(OBJECT(s)));
        gi->netdev = g_strdup(s->parent.netdev_id);
        gi->frames = st.frames;
        gi->protected_frames = st.protected_frames;
        gi->dropped_match = st.drops[VG_GUARD_DROP_MATCH];
        gi->dropped_normalise = st.drops[VG_GUARD_DROP_NORMALISE];
        gi->dropped_fragment = st.drops[VG_GUARD_DROP_FRAGMENT];
        gi->dropped_untracked = st.drops[VG_GUARD_DROP_UNTRACKED];
        gi->dropped_table_full = st.drops[VG_GUARD_DROP_FULL];
        gi->connections = st.connections;
        gi->buffered = st.buffered;
        gi->udp_to_guest = st.udp_to_guest;
        gi->guest_udp = st.guest_udp;
        gi->tcp_bytes_to_guest = st.tcp_bytes_to_guest;
        gi->last_frame_us = st.last_frame_us;
        QAPI_LIST_APPEND(gtail, gi);
    }
    return info;
}
