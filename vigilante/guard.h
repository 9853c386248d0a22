/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NIC guard: installed vulnerability filters and the per-NIC state
 * that applies them to guest-bound frames as the guest would receive
 * them (docs/filters.md).  UDP datagrams are judged whole; a TCP
 * connection's guest-bound stream is followed from its SYN, kept only up
 * to the largest offset a filter reads, and judged as its contiguous
 * prefix grows; segments that would change what the filter saw (gaps,
 * retransmissions with other bytes, bad checksums) are dropped.  Plain C
 * with glib: the emulator's filter-vigilante object drives it, and the
 * unit tests and benchmark drive it with crafted frames.
 */
#ifndef VIGILANTE_GUARD_H
#define VIGILANTE_GUARD_H

#include "filter.h"
#include "packet.h"

/* ---- installed filters --------------------------------------------------- */

typedef struct VgGuardFilter {
    char *id;
    VfFilter *filter;
    char *sha256;               /* of its encoding */
    uint64_t hits;              /* messages dropped because it matched */
    uint64_t examined;          /* datagrams and connections judged */
    uint64_t generation;        /* when installed (VgFilterSet.generation) */
} VgGuardFilter;

typedef struct VgFilterSet VgFilterSet;

VgFilterSet *vg_filter_set_new(void);
void vg_filter_set_free(VgFilterSet *set);

/* Install @f (taken over) as @id; false with *errp if @id is taken. */
bool vg_filter_set_add(VgFilterSet *set, const char *id, VfFilter *f,
                       GError **errp);
bool vg_filter_set_del(VgFilterSet *set, const char *id, GError **errp);
/* The installed filters, in installation order (borrowed). */
GPtrArray *vg_filter_set_list(VgFilterSet *set);

/* ---- per-NIC guard ------------------------------------------------------- */

typedef struct {
    unsigned max_connections;   /* tracked TCP connections */
    int64_t idle_timeout_us;    /* an entry idle this long may go */
    uint64_t max_buffered;      /* bytes kept over all connections */
} VgGuardLimits;

#define VG_GUARD_DEFAULT_CONNECTIONS    65536
#define VG_GUARD_DEFAULT_IDLE_US        (600 * G_USEC_PER_SEC)
#define VG_GUARD_DEFAULT_BUFFERED       (64u << 20)

typedef enum {
    VG_GUARD_PASS,
    VG_GUARD_DROP_MATCH,        /* a filter matched (this or earlier) */
    VG_GUARD_DROP_NORMALISE,    /* would change what the filter saw */
    VG_GUARD_DROP_FRAGMENT,     /* a fragment to a protected port */
    VG_GUARD_DROP_UNTRACKED,    /* data of a connection with no state */
    VG_GUARD_DROP_FULL,         /* no room for a new connection */
} VgGuardVerdict;

typedef struct {
    uint64_t frames, protected_frames;
    uint64_t drops[VG_GUARD_DROP_FULL + 1];     /* by verdict */
    uint64_t connections;       /* tracked now */
    uint64_t buffered;          /* bytes kept now */
    /* Unfragmented UDP datagrams to and from the guest */
    uint64_t udp_to_guest, guest_udp;
    /* Payload bytes of unfragmented TCP segments to the guest */
    uint64_t tcp_bytes_to_guest;
    int64_t last_frame_us;      /* the last frame's now_us; 0: none */
} VgGuardStats;

typedef struct VgGuard VgGuard;

/*
 * A guard for one NIC applying @set's filters for programs in
 * @programs (NULL-terminated names; NULL: every filter).
 */
VgGuard *vg_guard_new(VgFilterSet *set, const char *const *programs,
                      const VgGuardLimits *limits);
void vg_guard_free(VgGuard *g);

/* What to do besides dropping, when this frame decided a match. */
typedef struct {
    VgGuardFilter *matched;     /* the filter, else NULL */
    bool reset;                 /* TCP: reset the guest's side */
    uint32_t reset_seq;         /* the sequence number the guest expects */
} VgGuardAction;

/*
 * Judge one guest-bound frame (@vnet_hdr_len bytes of virtio-net header
 * first) at time @now_us; *@act (if given) says what else to do.
 */
VgGuardVerdict vg_guard_frame(VgGuard *g, const uint8_t *frame, size_t len,
                              size_t vnet_hdr_len, int64_t now_us,
                              VgGuardAction *act);

/*
 * A frame the guest sent (seen with queue=all): its SYN-ACKs confirm a
 * connection's start and its ACKs tell when a judged prefix is final.
 * Never dropped.
 */
void vg_guard_guest_frame(VgGuard *g, const uint8_t *frame, size_t len,
                          size_t vnet_hdr_len);

void vg_guard_stats(VgGuard *g, VgGuardStats *out);

/* Bytes this guard keeps for connections @gf judged (not blocked). */
uint64_t vg_guard_buffered_for(VgGuard *g, const VgGuardFilter *gf);


#endif
