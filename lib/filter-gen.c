/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filter generation (filter-gen.h): capture, conversion to the filter
 * format, generalisation and validation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "filter-gen.h"
#include "filter-text.h"
#include "profile-vm.h"
#include "qmp-client.h"
#include "replay.h"
#include "sca-verify.h"
#include "snapshot.h"
#include "verify-types.h"

/*
 * How long the capture replay may take to trap: the guest runs every
 * instruction through capture's helpers from the first input byte on,
 * many times slower than the verifier's replays (1.6 s for vg-udpd's
 * exploit on an idle 2-core machine; much more while other VMs run).
 */
#define GEN_CAPTURE_MS  30000
#define MAX_REPLAYS     160
/* Replays run at once (each on a VM of its own) */
#define GEN_PARALLEL    6
/* Beyond those, for delimiters (missing one makes a filter too wide) */
#define DELIM_REPLAYS   32

/* The bytes that usually end what a scan or a copy reads. */
static const uint8_t delims[] = {
    0, '\n', '\r', ' ', '\t', '\v', '\f', ',', ';', ':', '&', '=', '/', '?',
    '"', '\'', '<', '>',
};

/* Nodes a filter may have while it is built (pruned to the limit later). */
#define BUILD_MAX_NODES 60000

/* ---- the attack's message ---- */

/* Offset in the message (the TCP stream) of SCA message i's first byte. */
static size_t stream_offset(const Sca *sca, guint i)
{
    size_t off = 0;

    if (sca_message(sca, i)->transport == SCA_TRANSPORT_UDP) {
        return 0;
    }
    for (guint k = 0; k < i; k++) {
        off += g_bytes_get_size(sca_message(sca, k)->payload);
    }
    return off;
}

GBytes *vg_gen_message(const Sca *sca)
{
    const ScaMessage *h = sca_message(sca, sca->hint_message);
    GByteArray *b;

    if (h->transport == SCA_TRANSPORT_UDP) {
        return g_bytes_ref(h->payload);
    }
    b = g_byte_array_new();
    for (guint i = 0; i <= sca->hint_message; i++) {
        size_t n;
        const uint8_t *d = g_bytes_get_data(sca_message(sca, i)->payload, &n);

        g_byte_array_append(b, d, n);
    }
    return g_byte_array_free_to_bytes(b);
}

Sca *vg_gen_sca_with_message(const Sca *sca, const uint8_t *msg, size_t len)
{
    Sca *s = sca_new(sca->type, sca->name);
    size_t off = 0;

    memcpy(s->digest, sca->digest, sizeof(s->digest));
    for (guint i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        size_t n = g_bytes_get_size(m->payload);

        if (m->transport == SCA_TRANSPORT_UDP && i != sca->hint_message) {
            sca_add_message(s, m->transport, m->port,
                            g_bytes_get_data(m->payload, NULL), n);
            continue;
        }
        if (m->transport == SCA_TRANSPORT_UDP) {
            sca_add_message(s, m->transport, m->port, msg, len);
            continue;
        }
        if (i == sca->hint_message) {
            n = len - off;      /* the last message takes the rest */
        }
        sca_add_message(s, m->transport, m->port, msg + off, n);
        off += n;
    }
    s->hint_message = sca->hint_message;
    s->hint_offset = sca->hint_offset;
    s->hint_length = sca->hint_length;
    s->code_bits = sca->code_bits;
    s->call = sca->call;
    s->call_arg = sca->call_arg;
    return s;
}

/* ---- capture ---- */

static void progress(const VgGenOptions *o, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static void progress(const VgGenOptions *o, const char *fmt, ...)
{
    g_autofree char *line = NULL;
    va_list ap;

    if (!o->progress) {
        return;
    }
    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    o->progress(line, o->opaque);
}

static JsonNode *bool_arg(const char *name, bool v)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, v);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static JsonNode *uint_arg(const char *name, uint64_t v)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)v);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* Replay the SCA with capture on; the conditions it recorded. */
static JsonNode *capture_once(const VgProfile *p, const Sca *sca,
                              const VgGenOptions *o, VgVerifier **verifier,
                              GError **errp)
{
    g_autofree char *object = g_strdup_printf("vigilante,id=vg0,"
                                              "action=pause,program=%s",
                                              p->name);
    g_autoptr(VgProfileVm) vm = NULL;
    g_autoptr(JsonNode) ev = NULL;
    g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_bytes_unref);
    unsigned hport[SCA_MAX_MESSAGES];
    JsonObject *data;
    JsonArray *labels;
    guint bad;

    if (!vg_snapshot_check(p, errp)) {
        return NULL;
    }
    if (!vg_replay_ports(p, sca, hport, &bad)) {
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_SETUP,
                    "message %u of the SCA is for a port %s does not serve",
                    bad, p->name);
        return NULL;
    }
    /* A disk profile's VM restores over the snapshot's own disk. */
    vm = vg_snapshot_vm_spawn_tainted(p, o->qemu, object, errp);
    if (!vm || !vg_snapshot_vm_restored(vm, p, errp) ||
        !vg_profile_vm_run(vm, "vigilante-capture-conditions",
                           bool_arg("enable", true), errp) ||
        !vg_profile_vm_run(vm, "cont", NULL, errp)) {
        g_prefix_error(errp, "starting the capture VM: ");
        return NULL;
    }
    if (!*verifier && o->general) {
        /*
         * The generaliser's VMs restore while the capture runs.  Not
         * before: emulators started at once can be handed the same free
         * host ports, and the capture's messages then go to the wrong
         * guest; this one holds its ports now.
         */
        *verifier = vg_verifier_new(p, o->qemu);
    }
    for (guint i = 0; i < sca->messages->len; i++) {
        g_ptr_array_add(msgs, g_bytes_ref(sca_message(sca, i)->payload));
    }
    /*
     * A TCP replay sends its messages once, on one connection: when no
     * alert came, the session is replayed on a new connection.
     */
    for (int attempt = 0; !ev && attempt < 2; attempt++) {
        ev = vg_replay(vm, sca, hport, msgs, "VIGILANTE_ALERT",
                       g_get_monotonic_time() + GEN_CAPTURE_MS * 1000LL,
                       NULL, NULL);
    }
    if (!ev) {
        const char *serial = vg_vm_serial(vm->emu);
        g_autofree char *err_text = vg_vm_stderr(vm->emu);
        g_autofree char *exit_text = vg_vm_exit_text(vm->emu);
        size_t n = serial ? strlen(serial) : 0;

        if (exit_text) {
            /* Not the SCA's doing: an emulator fault, never retried. */
            g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_EMULATOR,
                        "the capture VM stopped during the replay: %s%s%s",
                        exit_text, err_text && *err_text ? "; it said: " : "",
                        err_text ? err_text : "");
            return NULL;
        }
        /* What the guest and the emulator said last, to tell why. */
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_NO_TRAP,
                    "the SCA did not trap the taint-tracking VM of %s "
                    "(is it verified?); its serial ended \"%s\"%s%s", p->name,
                    serial ? serial + (n > 200 ? n - 200 : 0) : "",
                    err_text && *err_text ? "; emulator: " : "",
                    err_text ? err_text : "");
        return NULL;
    }
    data = json_object_get_object_member(json_node_get_object(ev), "data");
    labels = data && json_object_has_member(data, "labels")
             ? json_object_get_array_member(data, "labels") : NULL;
    if (!labels || !json_array_get_length(labels)) {
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_NO_TRAP,
                    "the alert names no input byte");
        return NULL;
    }
    return vg_qmp_execute(vm->qmp, "query-vigilante-conditions",
        uint_arg("event", json_object_get_int_member(
                     json_array_get_object_element(labels, 0), "event")),
        VG_QMP_TIMEOUT_MS * 6, errp);
}

/*
 * A replay that did not trap is tried once more on a fresh VM: a TCP
 * connection through user networking to a just-restored guest is now
 * and then lost.
 */
static JsonNode *capture(const VgProfile *p, const Sca *sca,
                         const VgGenOptions *o, VgVerifier **verifier,
                         GError **errp)
{
    g_autoptr(GError) first = NULL;
    JsonNode *reply = capture_once(p, sca, o, verifier, &first);

    if (reply || !g_error_matches(first, VG_GEN_ERROR,
                                  VG_GEN_ERROR_NO_TRAP)) {
        if (!reply) {
            g_propagate_error(errp, g_steal_pointer(&first));
        }
        return reply;
    }
    progress(o, "no trap (%s): replaying again", first->message);
    return capture_once(p, sca, o, verifier, errp);
}

/* ---- conversion ---- */

typedef struct {
    uint8_t op, width;
    uint32_t a, b;
    uint64_t value;
    int64_t offset;             /* loads: in the message, or -1 */
    uint8_t depth;              /* longest path to a leaf, saturating */
    bool outside;               /* reads a byte outside the message */
    bool uses_len;              /* depends on the message's length */
    uint32_t first, end;        /* bytes read: [first, end), or empty */
} CapNode;

static uint8_t op_code(const char *name)
{
    for (unsigned op = 1; op < 64; op++) {
        if (vf_op_shape(op) != VF_SHAPE_NONE && !strcmp(vf_op_name(op), name)) {
            return op;
        }
    }
    return 0;
}

static uint64_t member_uint(JsonObject *o, const char *m)
{
    return json_object_has_member(o, m)
           ? (uint64_t)json_object_get_int_member(o, m) : 0;
}

/* What one byte of a captured value is, when it is one thing. */
typedef enum {
    BYTE_UNKNOWN,
    BYTE_MSG,                   /* the message's byte at *off */
    BYTE_CONST,                 /* *cst */
} ByteKind;

/*
 * Byte k (0 = least significant) of node i's value.  x86 code assembles
 * wide values from bytes (a vector or 8-byte load over a line's end, an
 * address built from the message) and tests them a byte at a time: a
 * test of one byte must read that byte only, or the generaliser cannot
 * let its neighbours go.
 */
static ByteKind byte_of(const GArray *nodes, uint32_t i, unsigned k,
                        uint32_t *off, uint8_t *cst, int *budget)
{
    const CapNode *c = &g_array_index(nodes, CapNode, i);
    const CapNode *b = &g_array_index(nodes, CapNode, c->b);
    ByteKind ka, kb;
    uint32_t oa, ob;
    uint8_t ca, cb;

    *cst = 0;
    if (k >= 8) {
        return BYTE_CONST;
    }
    if (--*budget < 0) {
        return BYTE_UNKNOWN;    /* (a count of nodes visited, not a depth) */
    }
    switch (c->op) {
    case VF_OP_CONST:
        *cst = c->value >> (8 * k);
        return BYTE_CONST;
    case VF_OP_LOAD_LE:
        if (k >= c->width) {
            return BYTE_CONST;
        }
        if (c->outside) {
            return BYTE_UNKNOWN;
        }
        *off = c->offset + k;
        return BYTE_MSG;
    case VF_OP_ZEXT:
        if (k >= c->width) {
            return BYTE_CONST;
        }
        return byte_of(nodes, c->a, k, off, cst, budget);
    case VF_OP_SHL:
    case VF_OP_SHR:
        if (b->op != VF_OP_CONST || b->value % 8 || b->value >= 64) {
            return BYTE_UNKNOWN;
        }
        if (c->op == VF_OP_SHL) {
            if (k < b->value / 8) {
                return BYTE_CONST;
            }
            return byte_of(nodes, c->a, k - b->value / 8, off, cst,
                           budget);
        }
        return byte_of(nodes, c->a, k + b->value / 8, off, cst, budget);
    case VF_OP_OR:
    case VF_OP_AND:
        ka = byte_of(nodes, c->a, k, &oa, &ca, budget);
        kb = byte_of(nodes, c->b, k, &ob, &cb, budget);
        if (ka == BYTE_CONST && kb == BYTE_CONST) {
            *cst = c->op == VF_OP_OR ? ca | cb : ca & cb;
            return BYTE_CONST;
        }
        /* x | 0 and x & 0xff are x; x & 0 is 0 */
        if (ka == BYTE_CONST && c->op == VF_OP_AND && !ca) {
            return BYTE_CONST;
        }
        if (kb == BYTE_CONST && c->op == VF_OP_AND && !cb) {
            return BYTE_CONST;
        }
        if (ka == BYTE_CONST &&
            ca == (c->op == VF_OP_OR ? 0 : 0xff) && kb == BYTE_MSG) {
            *off = ob;
            return BYTE_MSG;
        }
        if (kb == BYTE_CONST &&
            cb == (c->op == VF_OP_OR ? 0 : 0xff) && ka == BYTE_MSG) {
            *off = oa;
            return BYTE_MSG;
        }
        return BYTE_UNKNOWN;
    default:
        return BYTE_UNKNOWN;
    }
}

/* A one-byte zero extension that is one message byte or a constant. */
static void simplify_byte(GArray *nodes, uint32_t i)
{
    CapNode *c = &g_array_index(nodes, CapNode, i);
    uint32_t off = 0;
    int budget = 64;
    uint8_t cst;
    ByteKind k;

    if (c->op != VF_OP_ZEXT || c->width != 1) {
        return;
    }
    k = byte_of(nodes, c->a, 0, &off, &cst, &budget);
    if (k == BYTE_MSG) {
        *c = (CapNode) {
            .op = VF_OP_LOAD_LE, .width = 1, .offset = off, .depth = 1,
            .value = c->value, .first = off, .end = off + 1,
        };
    } else if (k == BYTE_CONST) {
        *c = (CapNode) {
            .op = VF_OP_CONST, .value = cst, .depth = 1,
            .first = UINT32_MAX, .offset = -1,
        };
    }
}

static GArray *read_nodes(JsonArray *arr, GError **errp)
{
    guint n = json_array_get_length(arr);
    GArray *nodes = g_array_sized_new(false, true, sizeof(CapNode), n);

    g_array_set_size(nodes, n);
    for (guint i = 1; i < n; i++) {
        JsonObject *o = json_array_get_object_element(arr, i);
        CapNode *c = &g_array_index(nodes, CapNode, i);
        const CapNode *a, *b;

        c->op = op_code(json_object_get_string_member(o, "op"));
        c->width = member_uint(o, "width");
        c->a = member_uint(o, "a");
        c->b = member_uint(o, "b");
        c->value = member_uint(o, "value");
        c->offset = json_object_has_member(o, "offset")
                    ? (int64_t)member_uint(o, "offset") : -1;
        if (!c->op || c->a >= i || c->b >= i) {
            g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_MODEL,
                        "captured node %u is malformed", i);
            g_array_free(nodes, true);
            return NULL;
        }
        a = &g_array_index(nodes, CapNode, c->a);
        b = &g_array_index(nodes, CapNode, c->b);
        c->first = UINT32_MAX;
        switch (vf_op_shape(c->op)) {
        case VF_SHAPE_LOAD:
            c->depth = 1;
            c->outside = c->offset < 0 ||
                         c->offset + c->width > VF_MAX_READ;
            if (!c->outside) {
                c->first = c->offset;
                c->end = c->offset + c->width;
            }
            break;
        case VF_SHAPE_CONST:
            c->depth = 1;
            break;
        case VF_SHAPE_LEN:
            c->depth = 1;
            c->uses_len = true;
            break;
        default:
            c->depth = MIN(255, 1 + MAX(a->depth, c->b ? b->depth : 0));
            c->outside = a->outside || (c->b && b->outside);
            c->uses_len = a->uses_len || (c->b && b->uses_len);
            c->first = MIN(a->first, c->b ? b->first : UINT32_MAX);
            c->end = MAX(a->end, c->b ? b->end : 0);
            break;
        }
        simplify_byte(nodes, i);
    }
    return nodes;
}

typedef struct {
    GArray *cap;
    int32_t *memo;              /* capture node -> filter node, or -1 */
    VfFilter *f;
} Conv;

static CapNode *cap_at(Conv *cv, uint32_t i)
{
    return &g_array_index(cv->cap, CapNode, i);
}

/* The filter node of a capture node (depth <= VF_MAX_DEPTH), or -1. */
static int conv_node(Conv *cv, uint32_t i)
{
    CapNode *c = cap_at(cv, i);
    VfNode n = { .op = c->op };
    VfShape shape = vf_op_shape(c->op);

    if (cv->memo[i] >= 0) {
        return cv->memo[i];
    }
    if (cv->f->nodes->len >= BUILD_MAX_NODES) {
        return -1;
    }
    switch (shape) {
    case VF_SHAPE_CONST:
        n.imm = c->value;
        break;
    case VF_SHAPE_LOAD:
        n.width = c->width;
        n.offset = c->offset;
        break;
    case VF_SHAPE_LEN:
        break;
    default: {
        int a = conv_node(cv, c->a), b = 0;

        if (a < 0) {
            return -1;
        }
        if (shape == VF_SHAPE_BINARY) {
            b = conv_node(cv, c->b);
            if (b < 0) {
                return -1;
            }
        }
        n.a = a;
        n.b = b;
        n.width = shape == VF_SHAPE_EXT ? c->width : 0;
        break;
    }
    }
    cv->memo[i] = vf_add_node(cv->f, &n);
    return cv->memo[i];
}

static uint16_t add_const(VfFilter *f, uint64_t v)
{
    return vf_add_node(f, &(VfNode) { .op = VF_OP_CONST, .imm = v });
}

static uint16_t add_bin(VfFilter *f, uint8_t op, uint16_t a, uint16_t b)
{
    return vf_add_node(f, &(VfNode) { .op = op, .a = a, .b = b });
}

static uint16_t add_load(VfFilter *f, unsigned width, uint32_t off)
{
    return vf_add_node(f, &(VfNode) { .op = VF_OP_LOAD_LE, .width = width,
                                      .offset = off });
}

static void add_cond(GArray *conds, VfFilter *f, uint16_t node,
                     const char *kind, uint64_t pc, uint32_t first,
                     uint32_t end)
{
    VgGenCondition c = { .node = node, .pc = pc, .first = first,
                         .end = end };

    g_strlcpy(c.kind, kind, sizeof(c.kind));
    vf_add_condition(f, node);
    g_array_append_val(conds, c);
}

/* "Bytes [first, end) are what they were in the message." */
static void add_pins(GArray *conds, VfFilter *f, const uint8_t *msg,
                     size_t len, uint32_t first, uint32_t end,
                     const char *kind, uint64_t pc)
{
    for (uint32_t o = first; o < end && o < len;) {
        unsigned w = o + 8 <= MIN(end, len) ? 8 : 1;
        uint64_t v = 0;
        uint16_t n;

        for (unsigned i = 0; i < w; i++) {
            v |= (uint64_t)msg[o + i] << (8 * i);
        }
        n = add_bin(f, VF_OP_EQ, add_load(f, w, o), add_const(f, v));
        add_cond(conds, f, n, kind, pc, o, o + w);
        o += w;
    }
}

/* The hinted bytes' end in the message: the attack needs them there. */
/* Where the hinted bytes start in the attack's message (or stream). */
static uint32_t hint_start(const Sca *sca)
{
    return stream_offset(sca, sca->hint_message) + sca->hint_offset;
}

static uint32_t hint_end(const Sca *sca)
{
    return hint_start(sca) + sca->hint_length;
}

static void add_length(GArray *conds, VfFilter *f, const Sca *sca)
{
    uint16_t n = add_bin(f, VF_OP_ULE, add_const(f, hint_end(sca)),
                         vf_add_node(f, &(VfNode) { .op = VF_OP_LEN }));

    add_cond(conds, f, n, "length", 0, 0, 0);
    g_array_index(conds, VgGenCondition, conds->len - 1).uses_len = true;
}

static VfFilter *new_filter(const Sca *sca, JsonObject *reply,
                            const char *what)
{
    const char *t = json_object_get_string_member(reply, "transport");
    VfFilter *f = vf_new(sca->name, !strcmp(t, "udp") ? VF_TRANSPORT_UDP
                                                       : VF_TRANSPORT_TCP,
                         json_object_get_int_member(reply, "port"));

    memcpy(f->digest, sca->digest, sizeof(f->digest));
    g_snprintf(f->generator, sizeof(f->generator),
               "vigilante filter generate (%s)", what);
    f->time = g_get_real_time() / G_USEC_PER_SEC;
    return f;
}

/*
 * The value of node i on the whole message (false: it reads past the
 * end), memoised per call: filters being built may exceed the format's
 * node limit, which vf_eval() relies on.
 */
static bool eval_node(const VfFilter *f, unsigned i, const uint8_t *msg,
                      size_t len, GHashTable *memo, uint64_t *out)
{
    const VfNode *n = vf_node(f, i);
    gpointer hit = g_hash_table_lookup(memo, GUINT_TO_POINTER(i + 1));
    uint64_t a = 0, b = 0, *v;
    bool ok = true;

    if (hit) {
        v = hit;
        *out = v[0];
        return v[1] != 0;
    }
    switch (vf_op_shape(n->op)) {
    case VF_SHAPE_CONST:
        *out = n->imm;
        break;
    case VF_SHAPE_LEN:
        *out = len;
        break;
    case VF_SHAPE_LOAD:
        ok = (size_t)n->offset + n->width <= len;
        *out = ok ? vf_load_value(msg + n->offset, n->width,
                                  n->op == VF_OP_LOAD_BE) : 0;
        break;
    case VF_SHAPE_BINARY:
        ok = eval_node(f, n->b, msg, len, memo, &b);
        /* fall through */
    default:
        ok = eval_node(f, n->a, msg, len, memo, &a) && ok;
        *out = vf_apply(n->op, n->width, a, b);
        break;
    }
    v = g_new(uint64_t, 2);
    v[0] = *out;
    v[1] = ok;
    g_hash_table_insert(memo, GUINT_TO_POINTER(i + 1), v);
    return ok;
}

/* Does condition node `node` hold on the whole message? */
static bool cond_holds(const VfFilter *f, uint16_t node, const uint8_t *msg,
                       size_t len)
{
    g_autoptr(GHashTable) memo = g_hash_table_new_full(NULL, NULL, NULL,
                                                       g_free);
    uint64_t v;

    return eval_node(f, node, msg, len, memo, &v) && v != 0;
}

/*
 * A condition too deep for the format: the message bytes it reads are
 * pinned to their values (found by a walk of its sub-DAG), except the
 * hinted ones, which the verifier replaces with its nonce.
 */
static void pin_leaves(VgGenResult *r, Conv *cv, uint32_t id, const Sca *sca,
                       const uint8_t *msg, size_t len, uint64_t pc)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    g_autoptr(GArray) stack = g_array_new(false, false, sizeof(uint32_t));
    g_autofree bool *byte = g_new0(bool, len + 1);
    uint32_t hfirst = hint_start(sca);
    uint32_t hend = hint_end(sca);

    g_array_append_val(stack, id);
    while (stack->len) {
        uint32_t i = g_array_index(stack, uint32_t, stack->len - 1);
        CapNode *c = cap_at(cv, i);

        g_array_set_size(stack, stack->len - 1);
        if (!i || g_hash_table_contains(seen, GUINT_TO_POINTER(i))) {
            continue;
        }
        g_hash_table_add(seen, GUINT_TO_POINTER(i));
        if (vf_op_shape(c->op) == VF_SHAPE_LOAD) {
            for (uint32_t o = c->first; o < c->end && o < len; o++) {
                byte[o] = o < hfirst || o >= hend;
            }
            continue;
        }
        g_array_append_val(stack, c->a);
        g_array_append_val(stack, c->b);
    }
    for (uint32_t o = 0; o < len; o++) {
        uint32_t e = o;

        while (e < len && byte[e]) {
            e++;
        }
        if (e > o) {
            add_pins(r->specific_conds, r->specific, msg, len, o, e,
                     "pin-deep", pc);
        }
        o = e;
    }
}

/* Do all of f's conditions hold on the whole message? */
static bool filter_holds(const VfFilter *f, const uint8_t *msg, size_t len)
{
    for (guint i = 0; i < f->conditions->len; i++) {
        if (!cond_holds(f, g_array_index(f->conditions, uint16_t, i), msg,
                        len)) {
            return false;
        }
    }
    return true;
}

/*
 * A copy of f with the nodes that conditions of `conds` reach (equal
 * nodes once, renumbered in order) and those conditions, each once;
 * conds is updated to match.
 */
static VfFilter *pruned(const VfFilter *f, GArray *conds, const char *what)
{
    VfFilter *g = vf_new(f->name, f->transport, f->port);
    g_autofree bool *used = g_new0(bool, f->nodes->len);
    g_autofree uint32_t *to = g_new0(uint32_t, f->nodes->len);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    g_autoptr(GHashTable) conds_seen = g_hash_table_new(NULL, NULL);
    guint kept = 0;

    memcpy(g->digest, f->digest, sizeof(g->digest));
    g_snprintf(g->generator, sizeof(g->generator),
               "vigilante filter generate (%s)", what);
    g->time = f->time;
    for (guint i = 0; i < conds->len; i++) {
        used[g_array_index(conds, VgGenCondition, i).node] = true;
    }
    for (guint i = f->nodes->len; i-- > 0;) {
        const VfNode *n = vf_node(f, i);
        VfShape sh = vf_op_shape(n->op);

        if (used[i] && (sh == VF_SHAPE_EXT || sh == VF_SHAPE_UNARY ||
                        sh == VF_SHAPE_BINARY)) {
            used[n->a] = true;
            used[n->b] |= sh == VF_SHAPE_BINARY;
        }
    }
    for (guint i = 0; i < f->nodes->len; i++) {
        VfNode n;
        VfShape sh;
        g_autofree char *key = NULL;
        gpointer hit;

        if (!used[i]) {
            continue;
        }
        n = *vf_node(f, i);
        sh = vf_op_shape(n.op);
        if (sh == VF_SHAPE_EXT || sh == VF_SHAPE_UNARY ||
            sh == VF_SHAPE_BINARY) {
            n.a = to[n.a];
            n.b = sh == VF_SHAPE_BINARY ? to[n.b] : 0;
        }
        /* Equal nodes once (the pins' loads and constants repeat). */
        key = g_strdup_printf("%u/%u/%u/%u/%u/%" PRIu64, n.op, n.width,
                              n.a, n.b, n.offset, n.imm);
        hit = g_hash_table_lookup(seen, key);
        if (hit) {
            to[i] = GPOINTER_TO_UINT(hit) - 1;
            continue;
        }
        to[i] = vf_add_node(g, &n);
        g_hash_table_insert(seen, g_steal_pointer(&key),
                            GUINT_TO_POINTER(to[i] + 1));
    }
    for (guint i = 0; i < conds->len; i++) {
        VgGenCondition c = g_array_index(conds, VgGenCondition, i);

        c.node = to[c.node];
        if (!g_hash_table_contains(conds_seen, GUINT_TO_POINTER(c.node + 1))) {
            g_hash_table_add(conds_seen, GUINT_TO_POINTER(c.node + 1));
            vf_add_condition(g, c.node);
            g_array_index(conds, VgGenCondition, kept++) = c;
        }
    }
    g_array_set_size(conds, kept);
    return g;
}

/* An address space's page tables, whatever its PCID (CR3's low bits). */
#define CR3_SPACE(cr3)  ((uint64_t)(cr3) & ~(uint64_t)0xfff)

/*
 * Whose conditions count when the trap was in user mode: the address
 * space that trapped, if it tested the message; else (a child forked to
 * exec what the parent parsed: AFA) the one that tested it last.
 */
static uint64_t attacked_address_space(JsonArray *recs, uint64_t trap_cr3)
{
    uint64_t last = CR3_SPACE(trap_cr3);

    for (guint i = 0; i < json_array_get_length(recs); i++) {
        JsonObject *o = json_array_get_object_element(recs, i);
        uint64_t cr3 = CR3_SPACE(json_object_get_int_member(o, "cr3"));

        if (!json_object_get_boolean_member(o, "user")) {
            continue;
        }
        if (cr3 == CR3_SPACE(trap_cr3)) {
            return cr3;
        }
        last = cr3;
    }
    return last;
}

/* The specific filter: every condition of the attacked program. */
static bool convert(VgGenResult *r, const Sca *sca, JsonObject *reply,
                    const uint8_t *msg, size_t len, GError **errp)
{
    JsonArray *recs = json_object_get_array_member(reply, "conditions");
    bool trap_user = json_object_get_boolean_member(reply, "user");
    uint64_t trap_cr3 = json_object_get_int_member(reply, "cr3");
    g_autoptr(GArray) cap = NULL;
    g_autofree int32_t *memo = NULL;
    uint32_t hfirst = hint_start(sca);
    uint32_t hend = hint_end(sca);
    Conv cv;

    cap = read_nodes(json_object_get_array_member(reply, "nodes"), errp);
    if (!cap) {
        return false;
    }
    trap_cr3 = attacked_address_space(recs, trap_cr3);
    memo = g_new(int32_t, cap->len);
    memset(memo, 0xff, sizeof(int32_t) * cap->len);
    cv = (Conv) { .cap = cap, .memo = memo, .f = r->specific };
    r->stats.captured = json_array_get_length(recs);
    r->stats.truncated = json_object_get_boolean_member(reply, "truncated");

    for (guint i = 0; i < json_array_get_length(recs); i++) {
        JsonObject *o = json_array_get_object_element(recs, i);
        uint32_t id = json_object_get_int_member(o, "node");
        const char *kind = json_object_get_string_member(o, "kind");
        uint64_t pc = json_object_get_int_member(o, "pc");
        CapNode *c;
        int n;

        /*
         * The attacked program's conditions: those of its address space
         * (attacked_address_space()), in user mode; all of them when the
         * trap was in the kernel (a service that runs there,
         * taint-kernel=all).
         */
        if (trap_user && (!json_object_get_boolean_member(o, "user") ||
                          CR3_SPACE(json_object_get_int_member(o, "cr3")) !=
                          trap_cr3)) {
            r->stats.other_code++;
            continue;
        }
        if (id == 0 || id >= cap->len) {
            continue;
        }
        c = cap_at(&cv, id);
        if (c->outside) {
            r->stats.outside++;
            continue;
        }
        if (c->first == UINT32_MAX && !c->uses_len) {
            continue;           /* on constants only */
        }
        /*
         * A pin inside the hint (a vector scan over the bytes that become
         * the target) would tie the filter to this attack's target: the
         * hinted bytes are the attacker's free choice, any verifier
         * plants its own there.
         */
        if (!strncmp(kind, "pin", 3) && c->first >= hfirst &&
            c->end <= hend) {
            r->stats.hint_pins++;
            continue;
        }
        n = c->depth <= VF_MAX_DEPTH ? conv_node(&cv, id) : -1;
        if (n < 0) {
            r->stats.pinned_deep++;
            pin_leaves(r, &cv, id, sca, msg, len, pc);
            continue;
        }
        if (!cond_holds(r->specific, n, msg, len)) {
            g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_MODEL,
                        "captured condition %u (%s at pc 0x%" PRIx64 ") does "
                        "not hold on the SCA's own message", i, kind, pc);
            return false;
        }
        add_cond(r->specific_conds, r->specific, n, kind, pc,
                 c->first < c->end ? c->first : 0, c->end);
        g_array_index(r->specific_conds, VgGenCondition,
                      r->specific_conds->len - 1).uses_len = c->uses_len;
        if (r->specific->nodes->len >= BUILD_MAX_NODES) {
            r->stats.truncated = true;
            break;
        }
    }
    add_length(r->specific_conds, r->specific, sca);
    {
        VfFilter *p = pruned(r->specific, r->specific_conds, "specific");

        vf_free(r->specific);
        r->specific = p;
    }
    return true;
}

/* ---- generalisation ---- */

/*
 * Which of @n messages still verify (ok[i]), replayed at once on VMs of
 * their own: most replays wait for a guest that has settled without
 * verifying, and those waits overlap.
 */
static void replays_verify(VgVerifier *v, const Sca *sca,
                           uint8_t *const *msgs, const size_t *lens, guint n,
                           unsigned tmo, VgGenStats *st, bool *ok)
{
    g_autofree Sca **s = g_new(Sca *, n);
    g_autofree VgVerdict *vd = g_new0(VgVerdict, n);

    for (guint i = 0; i < n; i++) {
        s[i] = vg_gen_sca_with_message(sca, msgs[i], lens[i]);
    }
    vg_verifier_verify_batch(v, s, n, tmo, vd);
    for (guint i = 0; i < n; i++) {
        ok[i] = vd[i].kind == VG_VERDICT_VERIFIED;
        vg_verdict_clear(&vd[i]);
        sca_free(s[i]);
    }
    st->replays += n;
}

/*
 * Change bytes [first, end) of m (outside the hint) so that every one of
 * the group's conditions is false, trying random values; false if no
 * such change was found.
 */
/*
 * The conditions still kept, outside the group, that a change of the
 * group's bytes (or of the length) could affect: they must keep holding
 * while the group is violated, so that a replay tests the group alone.
 * Not strict: only what replays found already (ranges) and the length,
 * for groups coupled to others (a loop's count and its pointer's pins).
 */
static GArray *constraints(const GArray *conds, const GArray *group,
                           const bool *keep, bool by_length, bool strict)
{
    GArray *out = g_array_new(false, false, sizeof(guint));
    g_autoptr(GHashTable) in_group = g_hash_table_new(NULL, NULL);

    for (guint g = 0; g < group->len; g++) {
        g_hash_table_add(in_group,
                         GUINT_TO_POINTER(g_array_index(group, guint, g) + 1));
    }
    for (guint j = 0; j < conds->len; j++) {
        const VgGenCondition *d = &g_array_index(conds, VgGenCondition, j);
        bool touches = by_length && d->uses_len;

        if (!keep[j] || g_hash_table_contains(in_group,
                                              GUINT_TO_POINTER(j + 1)) ||
            (!strict && !d->summary && strcmp(d->kind, "length"))) {
            continue;
        }
        for (guint g = 0; g < group->len && !touches; g++) {
            const VgGenCondition *c = &g_array_index(
                conds, VgGenCondition, g_array_index(group, guint, g));

            touches = d->first < c->end && c->first < d->end;
        }
        if (touches) {
            g_array_append_val(out, j);
        }
    }
    return out;
}

static bool all_hold(const VfFilter *f, const GArray *conds,
                     const GArray *which, const uint8_t *m, size_t len)
{
    for (guint i = 0; i < which->len; i++) {
        if (!cond_holds(f, g_array_index(conds, VgGenCondition,
                                         g_array_index(which, guint,
                                                       i)).node, m, len)) {
            return false;
        }
    }
    return true;
}

/* A pin the capture made: an address or an opaque op's input. */
static bool is_pin(const VgGenCondition *c)
{
    return !strcmp(c->kind, "pin-address") || !strcmp(c->kind, "pin-opaque");
}

/*
 * Change bytes the group's conditions read (never the hint's), by random
 * tries, so that one of them fails (a loop's test: any iteration) or,
 * with `all`, every one (pins of the bytes a scan read, each its own
 * byte), while `others` hold.
 */
static bool violate(const VfFilter *f, const GArray *conds,
                    const GArray *group, const GArray *others, uint8_t *m,
                    size_t len, uint32_t hint_first, uint32_t hint_last,
                    bool all, GRand *rng)
{
    guint step = all ? 1 : MAX(1, group->len / 64);
    bool any = false;

    for (guint g = 0; g < group->len; g += step) {
        const VgGenCondition *gc = &g_array_index(
            conds, VgGenCondition, g_array_index(group, guint, g));
        g_autofree uint8_t *save = g_memdup2(m + gc->first,
                                             gc->end - gc->first);
        bool done = false;

        for (int tries = 0; tries < 256 && !done; tries++) {
            for (uint32_t o = gc->first; o < gc->end && o < len; o++) {
                if (o < hint_first || o >= hint_last) {
                    m[o] = g_rand_int_range(rng, 0, 256);
                }
            }
            done = !cond_holds(f, gc->node, m, len) &&
                   all_hold(f, conds, others, m, len);
        }
        if (!done) {
            memcpy(m + gc->first, save, gc->end - gc->first);
            if (all) {
                return false;
            }
            continue;
        }
        any = true;
        if (!all) {
            return true;
        }
    }
    if (all) {
        /* Later changes must not have made an earlier one hold again. */
        for (guint g = 0; g < group->len; g++) {
            if (cond_holds(f, g_array_index(conds, VgGenCondition,
                                            g_array_index(group, guint,
                                                          g)).node,
                           m, len)) {
                return false;
            }
        }
    }
    return any;
}

/*
 * The conditions of each instruction (a loop's test over successive
 * bytes is one group), in the order of their first condition; the
 * length, ranges found by replay and conditions on the hinted bytes
 * alone are in none.
 */
static GPtrArray *groups_by_pc(const GArray *conds, uint32_t hfirst,
                               uint32_t hlast)
{
    GPtrArray *groups = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_array_unref);
    g_autoptr(GHashTable) by_pc = g_hash_table_new_full(g_int64_hash,
                                                        g_int64_equal,
                                                        g_free, NULL);

    for (guint i = 0; i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);
        uint64_t key;
        GArray *g;

        if (c->end <= c->first || c->summary ||
            (c->first >= hfirst && c->end <= hlast)) {
            continue;
        }
        /* A vector scan's unrolled loop is one group: pcs within 256. */
        key = is_pin(c) ? (c->pc >> 8) | 1ull << 63 : c->pc;
        g = g_hash_table_lookup(by_pc, &key);
        if (!g) {
            g = g_array_new(false, false, sizeof(guint));
            g_ptr_array_add(groups, g);
            g_hash_table_insert(by_pc, g_memdup2(&key, sizeof(key)), g);
        }
        g_array_append_val(g, i);
    }
    return groups;
}

/*
 * Is condition c "no byte equal to k in [first, end)"?  Checked on the
 * message: it holds, putting k at any one of its bytes makes it false,
 * and other values there keep it true.
 */
static bool no_byte_idiom(const VfFilter *f, const VgGenCondition *c,
                          const uint8_t *msg, size_t len,
                          int *k_out, GRand *rng)
{
    g_autofree uint8_t *m = g_memdup2(msg, len);
    int k = -1;

    if (c->first >= c->end || c->end > len) {
        return false;
    }
    for (int cand = 0; cand < 256 && k < 0; cand++) {
        m[c->first] = cand;
        if (!cond_holds(f, c->node, m, len)) {
            k = cand;
        }
    }
    m[c->first] = msg[c->first];
    if (k < 0) {
        return false;
    }
    for (uint32_t o = c->first; o < c->end; o++) {
        if (msg[o] == k) {
            return false;
        }
        m[o] = k;
        if (cond_holds(f, c->node, m, len)) {
            return false;
        }
        for (int t = 0; t < 8; t++) {
            int v = g_rand_int_range(rng, 0, 256);

            m[o] = v == k ? (v + 1) & 0xff : v;
            if (!cond_holds(f, c->node, m, len)) {
                return false;
            }
        }
        m[o] = msg[o];
    }
    *k_out = k;
    return true;
}

/* "No byte k in [o, o + 8)", one condition. */
static void add_no_byte8(VfFilter *f, GArray *conds, uint32_t o, int k,
                         uint64_t pc)
{
    /* (v - 0x01..01) & ~v & 0x80..80 is 0 iff no byte of v is 0. */
    uint16_t v = add_bin(f, VF_OP_XOR, add_load(f, 8, o),
                         add_const(f, 0x0101010101010101ull * k));
    uint16_t t = add_bin(f, VF_OP_AND,
        add_bin(f, VF_OP_SUB, v, add_const(f, 0x0101010101010101ull)),
        vf_add_node(f, &(VfNode) { .op = VF_OP_NOT, .a = v }));

    t = add_bin(f, VF_OP_AND, t, add_const(f, 0x8080808080808080ull));
    add_cond(conds, f, add_bin(f, VF_OP_EQ, t, add_const(f, 0)), "no-byte",
             pc, o, o + 8);
    g_array_index(conds, VgGenCondition, conds->len - 1).summary = true;
}

/*
 * "No byte k in [first, end)": 8 bytes per condition, the last 8
 * overlapping the one before; ranges under 8 bytes byte by byte.
 */
static void add_no_byte(VfFilter *f, GArray *conds, uint32_t first,
                        uint32_t end, int k, uint64_t pc)
{
    if (end - first >= 8) {
        for (uint32_t o = first; o < end; o += 8) {
            add_no_byte8(f, conds, MIN(o, end - 8), k, pc);
        }
        return;
    }
    for (uint32_t o = first; o < end; o++) {
        add_cond(conds, f, add_bin(f, VF_OP_NE, add_load(f, 1, o),
                                   add_const(f, k)), "no-byte", pc, o, o + 1);
        g_array_index(conds, VgGenCondition, conds->len - 1).summary = true;
    }
}

/*
 * The message made shorter (down to the hint's end) or longer (random
 * bytes appended) so that a condition of the group that depends on the
 * length fails; NULL if none can.  A loop's exit test repeated for each
 * iteration fails for one count only.
 */
static uint8_t *violate_by_length(const VfFilter *f, const GArray *conds,
                                  const GArray *group, const GArray *others,
                                  const uint8_t *msg, size_t len,
                                  size_t min_len, GRand *rng,
                                  size_t *out_len)
{
    size_t max = MIN((size_t)VF_MAX_READ, len + 256);
    g_autofree uint8_t *m = g_malloc(max);

    memcpy(m, msg, len);
    for (size_t i = len; i < max; i++) {
        m[i] = g_rand_int_range(rng, 1, 256);
    }
    for (size_t n = MAX(min_len, 1); n <= max; n++) {
        if (n == len) {
            continue;
        }
        for (guint g = 0; g < group->len; g++) {
            const VgGenCondition *c = &g_array_index(
                conds, VgGenCondition, g_array_index(group, guint, g));

            if (!cond_holds(f, c->node, m, n) &&
                all_hold(f, conds, others, m, n)) {
                *out_len = n;
                return g_realloc(g_steal_pointer(&m), n);
            }
        }
    }
    return NULL;
}

/*
 * The message with 8 copies of the byte before the group's first byte
 * (or of 'A' if that is a delimiter) inserted there, when that is after
 * the hint; NULL otherwise.
 */
static uint8_t *moved_tail(const GArray *conds, const GArray *group,
                           const uint8_t *msg, size_t len, uint32_t hlast,
                           size_t *out_len)
{
    uint32_t a = UINT32_MAX;
    uint8_t *m;

    for (guint g = 0; g < group->len; g++) {
        a = MIN(a, g_array_index(conds, VgGenCondition,
                                 g_array_index(group, guint, g)).first);
    }
    if (a <= hlast || a >= len || len + 8 > VF_MAX_READ) {
        return NULL;
    }
    m = g_malloc(len + 8);
    memcpy(m, msg, a);
    memset(m + a, memchr(delims, msg[a - 1], sizeof(delims)) ? 'A'
                                                           : msg[a - 1], 8);
    memcpy(m + a + 8, msg + a, len - a);
    *out_len = len + 8;
    return m;
}

/* "lo <= msg[o] <= hi", one condition. */
static void add_range(VfFilter *f, GArray *conds, uint32_t o, unsigned lo,
                      unsigned hi, uint64_t pc)
{
    uint16_t d = add_bin(f, VF_OP_SUB, add_load(f, 1, o), add_const(f, lo));

    add_cond(conds, f, add_bin(f, VF_OP_ULE, d, add_const(f, hi - lo)),
             "range", pc, o, o + 1);
    g_array_index(conds, VgGenCondition, conds->len - 1).summary = true;
}

/*
 * Address pins of one byte (a length byte used to compute an address):
 * the range of values around the attack's for which it still verifies
 * (taken to be contiguous) replaces every pin on that byte.  Both sides
 * are searched at once, each probing WIDEN_PROBES values spread over
 * what is not known yet per round (the first round's include the far
 * end), replayed together.  Returns the conditions with the pins replaced.
 */
#define WIDEN_BYTES 4
#define WIDEN_PROBES 2

typedef struct {
    int good;                   /* verifies */
    int bad;                    /* does not, or one past the end */
    int step;                   /* +1: upwards, -1: downwards */
    bool broken;                /* a probe of this round did not verify */
} WidenSide;

static void widen_byte(VgGenResult *r, VgVerifier *v, const Sca *sca,
                       unsigned tmo, const uint8_t *msg, size_t len,
                       uint32_t o, unsigned *lo, unsigned *hi)
{
    WidenSide side[2] = {
        { msg[o], 256, 1, false },
        { msg[o], -1, -1, false },
    };

    for (;;) {
        uint8_t *msgs[2 * WIDEN_PROBES];
        size_t lens[2 * WIDEN_PROBES];
        bool ok[2 * WIDEN_PROBES];
        int at[2 * WIDEN_PROBES], of[2 * WIDEN_PROBES];
        guint n = 0;

        for (int s = 0; s < 2; s++) {
            int gap = (side[s].bad - side[s].good) * side[s].step - 1;

            /* probes good + step*gap*(k/np), k = 1..np: the far end last */
            for (int k = 1, np = MIN(gap, WIDEN_PROBES); k <= np; k++) {
                at[n] = side[s].good + side[s].step * (gap * k / np);
                of[n] = s;
                msgs[n] = g_memdup2(msg, len);
                msgs[n][o] = at[n];
                lens[n++] = len;
            }
        }
        if (!n || r->stats.replays + n > MAX_REPLAYS) {
            for (guint i = 0; i < n; i++) {
                g_free(msgs[i]);
            }
            break;
        }
        replays_verify(v, sca, msgs, lens, n, tmo, &r->stats, ok);
        for (guint i = 0; i < n; i++) {
            WidenSide *w = &side[of[i]];

            /* The verifying prefix of a side's probes moves its good. */
            if (ok[i] && !w->broken) {
                w->good = at[i];
            } else if (!w->broken) {
                w->bad = at[i];
                w->broken = true;
            }
            g_free(msgs[i]);
        }
        side[0].broken = side[1].broken = false;
    }
    *hi = side[0].good;
    *lo = side[1].good;
}

static GArray *widen_pins(VgGenResult *r, VfFilter *work, VgVerifier *v,
                          const Sca *sca, const VgGenOptions *o,
                          unsigned tmo, const uint8_t *msg, size_t len,
                          uint32_t hfirst, uint32_t hlast)
{
    const GArray *conds = r->specific_conds;
    GArray *out = g_array_new(false, true, sizeof(VgGenCondition));
    g_autofree bool *gone = g_new0(bool, conds->len);
    guint nbytes = 0;

    for (guint i = 0; i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);
        unsigned x, lo, hi;

        if (gone[i]) {
            continue;
        }
        if (nbytes >= WIDEN_BYTES || strcmp(c->kind, "pin-address") ||
            c->end != c->first + 1 || c->uses_len ||
            (c->first >= hfirst && c->end <= hlast) ||
            r->stats.replays + 16 > MAX_REPLAYS) {
            g_array_append_val(out, *c);
            continue;
        }
        x = msg[c->first];
        nbytes++;
        progress(o, "  widening msg[%u] (0x%02x) by search", c->first, x);
        widen_byte(r, v, sca, tmo, msg, len, c->first, &lo, &hi);
        for (guint j = i; j < conds->len; j++) {
            const VgGenCondition *d = &g_array_index(conds, VgGenCondition,
                                                     j);

            if (!strcmp(d->kind, "pin-address") && d->first == c->first &&
                d->end == c->end && !d->uses_len) {
                gone[j] = true;
                r->stats.widened++;
            }
        }
        if (lo > 0 || hi < 255) {
            add_range(work, out, c->first, lo, hi, c->pc);
        }
    }
    return out;
}

/*
 * A pin of one byte that a kept condition of the program's own already
 * fixes (a vector scan over "LOGIN " when a comparison wants exactly
 * those bytes) adds nothing: dropped without a replay.  Fixed: on the
 * attack's message, only the byte's own value satisfies that condition.
 */
static void drop_implied_pins(VgGenResult *r, const VfFilter *f,
                              const GArray *conds, bool *keep,
                              const uint8_t *msg, size_t len)
{
    g_autofree uint8_t *m = g_memdup2(msg, len);

    for (guint i = 0; i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);
        uint32_t o = c->first;

        if (!keep[i] || !is_pin(c) || c->end != o + 1) {
            continue;
        }
        for (guint j = 0; j < conds->len; j++) {
            const VgGenCondition *d = &g_array_index(conds, VgGenCondition,
                                                     j);
            unsigned sat = 0;

            if (!keep[j] || is_pin(d) || d->summary || d->first > o ||
                d->end <= o) {
                continue;
            }
            for (unsigned v = 0; v < 256 && sat < 2; v++) {
                m[o] = v;
                sat += cond_holds(f, d->node, m, len);
            }
            m[o] = msg[o];
            if (sat == 1) {
                keep[i] = false;
                r->stats.dropped++;
                break;
            }
        }
    }
}

/* What keep_delimiters() works on: one let-go range of the message. */
typedef struct {
    VgGenResult *r;
    VgVerifier *v;
    const Sca *sca;
    const VgGenOptions *o;
    unsigned tmo;
    VfFilter *work;
    GArray *kept;
    const uint8_t *msg;
    size_t len;
    uint32_t a, b;              /* the range [a, b) */
    uint32_t hfirst, hlast;     /* the hint, never written */
    uint8_t *known;             /* [k * len + i]: DELIM_* */
} DelimRange;

/* What replays found of byte k at message byte i (DelimRange.known). */
enum { DELIM_UNKNOWN, DELIM_STOPS, DELIM_HARMLESS };

/* Mark [a, b) outside the hint as what k is there. */
static void delim_mark(DelimRange *d, uint8_t k, uint8_t what)
{
    for (uint32_t i = d->a; i < d->b; i++) {
        if (i < d->hfirst || i >= d->hlast) {
            d->known[k * d->len + i] = what;
        }
    }
}

/* Is what k does in [a, b) outside the hint known already? */
static bool delim_known(const DelimRange *d, uint8_t k)
{
    for (uint32_t i = d->a; i < d->b; i++) {
        if ((i < d->hfirst || i >= d->hlast) &&
            d->known[k * d->len + i] == DELIM_UNKNOWN) {
            return false;
        }
    }
    return true;
}

/* Candidate delimiters tried together: cand[first, first + n). */
typedef struct {
    unsigned first, n;
} DelimSet;

/* For a single candidate that stops the attack: "none of it here". */
static void delim_stops(DelimRange *d, uint8_t k)
{
    /* Not over the hint: the verifier's nonce goes there. */
    if (d->a < MIN(d->b, d->hfirst)) {
        add_no_byte(d->work, d->kept, d->a, MIN(d->b, d->hfirst), k, 0);
    }
    if (MAX(d->a, d->hlast) < d->b) {
        add_no_byte(d->work, d->kept, MAX(d->a, d->hlast), d->b, k, 0);
    }
    delim_mark(d, k, DELIM_STOPS);
    d->r->stats.summarised++;
}

/*
 * Replay with the candidate bytes of each set put in the range, spread
 * over it, outside the hint: if the attack still verifies, none of them
 * stops it (one replay clears them all); else the set's halves are tried
 * in a later round, and for a single one that stops it "none of it in
 * the range" is kept.  Up to GEN_PARALLEL sets are replayed at once.
 */
static void try_delimiters(DelimRange *d, const uint8_t *cand, GQueue *sets)
{
    g_autofree uint32_t *room = g_new(uint32_t, d->b - d->a);
    unsigned nroom = 0;

    for (uint32_t at = d->a; at < d->b; at++) {
        /* never over the hint, nor over a delimiter the scan may need */
        if ((at < d->hfirst || at >= d->hlast) &&
            !memchr(delims, d->msg[at], sizeof(delims))) {
            room[nroom++] = at;
        }
    }
    while (nroom && !g_queue_is_empty(sets) &&
           d->r->stats.replays < MAX_REPLAYS + DELIM_REPLAYS) {
        uint8_t *msgs[GEN_PARALLEL];
        size_t lens[GEN_PARALLEL];
        bool ok[GEN_PARALLEL];
        DelimSet batch[GEN_PARALLEL];
        guint n = 0;

        while (n < GEN_PARALLEL && !g_queue_is_empty(sets) &&
               d->r->stats.replays + n < MAX_REPLAYS + DELIM_REPLAYS) {
            DelimSet *ds = g_queue_pop_head(sets);
            DelimSet t = *ds;

            g_free(ds);
            if (nroom < t.n) {
                /* more candidates than room: halves, without a replay */
                DelimSet *h = g_new(DelimSet, 2);

                h[0] = (DelimSet) { t.first, t.n / 2 };
                h[1] = (DelimSet) { t.first + t.n / 2, t.n - t.n / 2 };
                g_queue_push_head(sets, g_memdup2(&h[1], sizeof(*h)));
                g_queue_push_head(sets, g_memdup2(&h[0], sizeof(*h)));
                g_free(h);
                continue;
            }
            msgs[n] = g_memdup2(d->msg, d->len);
            lens[n] = d->len;
            for (unsigned k = 0; k < t.n; k++) {
                msgs[n][room[(k + 1) * nroom / (t.n + 1)]] =
                    cand[t.first + k];
            }
            progress(d->o, "  replay %u: %u possible delimiter(s) (first "
                     "0x%02x) in msg[%u..%u]", d->r->stats.replays + n + 1,
                     t.n, cand[t.first], d->a, d->b - 1);
            batch[n++] = t;
        }
        if (!n) {
            continue;
        }
        replays_verify(d->v, d->sca, msgs, lens, n, d->tmo, &d->r->stats,
                       ok);
        for (guint i = 0; i < n; i++) {
            const DelimSet *t = &batch[i];

            g_free(msgs[i]);
            if (ok[i]) {
                for (unsigned k = 0; k < t->n; k++) {
                    delim_mark(d, cand[t->first + k], DELIM_HARMLESS);
                }
            } else if (t->n > 1) {
                DelimSet h[2] = {
                    { t->first, t->n / 2 },
                    { t->first + t->n / 2, t->n - t->n / 2 },
                };

                g_queue_push_tail(sets, g_memdup2(&h[0], sizeof(h[0])));
                g_queue_push_tail(sets, g_memdup2(&h[1], sizeof(h[1])));
            } else {
                delim_stops(d, cand[t->first]);
            }
        }
    }
    g_queue_clear_full(sets, g_free);
}

/*
 * A scan's pins let go: their bytes' content does not decide the
 * attack, but a scan or a copy looks for something (a line's end, a
 * terminator, white space, a separator).  The usual delimiters absent
 * from the range are put in it (try_delimiters(): one replay when none
 * stops the attack), and "none of it in the range" is kept for each
 * that does.
 */
static void keep_delimiters(VgGenResult *r, VgVerifier *v, const Sca *sca,
                            const VgGenOptions *o, unsigned tmo,
                            VfFilter *work, uint32_t a, uint32_t b,
                            const uint8_t *msg, size_t len,
                            uint32_t hfirst, uint32_t hlast, GArray *kept,
                            uint8_t *known)
{
    uint8_t cand[G_N_ELEMENTS(delims)], likely[2 * G_N_ELEMENTS(delims)];
    unsigned n = 0, nlikely = 0;
    GQueue sets = G_QUEUE_INIT;
    DelimRange d = {
        .r = r, .v = v, .sca = sca, .o = o, .tmo = tmo, .work = work,
        .kept = kept, .msg = msg, .len = len, .a = a, .b = b,
        .hfirst = hfirst, .hlast = hlast, .known = known,
    };

    if (d.a >= d.b || d.b > len) {
        return;
    }
    for (unsigned k = 0; k < G_N_ELEMENTS(delims); k++) {
        /* (ranges of a vector scan's halves overlap: once is enough) */
        if (memchr(msg + d.a, delims[k], d.b - d.a) ||
            delim_known(&d, delims[k])) {
            continue;
        }
        if (memchr(known + delims[k] * len, DELIM_STOPS, len)) {
            likely[nlikely++] = delims[k];
        } else {
            cand[n++] = delims[k];
        }
    }
    /*
     * What stopped a scan elsewhere likely stops this one: tried alone
     * (a group with it would fail and be split); the rest at once.
     */
    memcpy(likely + nlikely, cand, n);
    for (unsigned k = 0; k < nlikely; k++) {
        g_queue_push_tail(&sets, g_memdup2(&(DelimSet) { k, 1 },
                                           sizeof(DelimSet)));
    }
    if (n) {
        g_queue_push_tail(&sets, g_memdup2(&(DelimSet) { nlikely, n },
                                           sizeof(DelimSet)));
    }
    try_delimiters(&d, likely, &sets);
}

/* Is c a test the program made on one byte (not a pin, not a summary)? */
static bool byte_test(const VgGenCondition *c)
{
    return c->end == c->first + 1 && c->pc && !c->summary && !is_pin(c) &&
           !c->uses_len;
}

/*
 * A loop over bytes (a name scanned up to a delimiter) tests each byte
 * by the path it took in the body: byte 5 "> 0x20", byte 11 "<= 0x20
 * and not a space".  Over a run of at least 4 consecutive bytes tested
 * by the same instruction, the values any one byte of the run was seen
 * to continue with are allowed at every byte of it: when what is left
 * out is at most 4 values, the run's tests become "none of these values
 * in [a, b)" (the loop's invariant), 8 bytes per condition.  Runs stop
 * at the hint, whose bytes keep their own tests.
 */
#define LOOP_RUN_MIN  4
#define LOOP_SET_MAX  4

static void summarise_byte_loops(VgGenResult *r, VfFilter *work,
                                 const GArray *conds, bool *keep,
                                 const uint8_t *msg, size_t len,
                                 uint32_t hfirst, uint32_t hlast,
                                 GArray *kept)
{
    g_autofree uint8_t *m = g_memdup2(msg, len);
    g_autofree GArray **at = g_new0(GArray *, len + 1);
    uint32_t o = 0;

    for (guint i = 0; i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);

        /* The hinted bytes keep their own tests (a loop's exit is one). */
        if (keep[i] && byte_test(c) && c->first < len &&
            (c->first < hfirst || c->first >= hlast)) {
            if (!at[c->first]) {
                at[c->first] = g_array_new(false, false, sizeof(guint));
            }
            g_array_append_val(at[c->first], i);
        }
    }
    while (o < len) {
        uint64_t anchor;
        uint32_t e = o;
        bool allowed[256] = { false };
        unsigned left_out = 0;
        int out[LOOP_SET_MAX];

        if (!at[o]) {
            o++;
            continue;
        }
        anchor = g_array_index(conds, VgGenCondition,
                               g_array_index(at[o], guint, 0)).pc;
        /* The run: consecutive bytes each tested by the anchor's pc. */
        while (e < len && at[e]) {
            bool has = false;

            for (guint k = 0; k < at[e]->len; k++) {
                has |= g_array_index(conds, VgGenCondition,
                                     g_array_index(at[e], guint, k)).pc ==
                       anchor;
            }
            if (!has) {
                break;
            }
            e++;
        }
        if (e - o < LOOP_RUN_MIN) {
            o = MAX(e, o + 1);
            continue;
        }
        for (uint32_t p = o; p < e; p++) {
            for (unsigned v = 0; v < 256; v++) {
                bool all = true;

                m[p] = v;
                for (guint k = 0; k < at[p]->len && all; k++) {
                    all = cond_holds(work, g_array_index(
                        conds, VgGenCondition,
                        g_array_index(at[p], guint, k)).node, m, len);
                }
                allowed[v] |= all;
            }
            m[p] = msg[p];
        }
        for (unsigned v = 0; v < 256; v++) {
            if (!allowed[v]) {
                if (left_out == LOOP_SET_MAX) {
                    left_out++;
                    break;
                }
                out[left_out++] = v;
            }
        }
        if (left_out <= LOOP_SET_MAX) {
            for (uint32_t p = o; p < e; p++) {
                for (guint k = 0; k < at[p]->len; k++) {
                    keep[g_array_index(at[p], guint, k)] = false;
                    r->stats.summarised++;
                }
            }
            for (unsigned k = 0; k < left_out; k++) {
                add_no_byte(work, kept, o, e, out[k], anchor);
            }
        }
        o = e;
    }
    for (uint32_t p = 0; p <= len; p++) {
        if (at[p]) {
            g_array_free(at[p], true);
        }
    }
}

/* A let-go pin group's range, by the group it was split from. */
typedef struct {
    guint root;
    uint32_t a, b;
} LetGo;

static gint let_go_cmp(gconstpointer pa, gconstpointer pb)
{
    const LetGo *x = pa, *y = pb;

    if (x->root != y->root) {
        return x->root < y->root ? -1 : 1;
    }
    return x->a < y->a ? -1 : x->a > y->a;
}

/*
 * A loop that scans through the hinted bytes (a name copied up to white
 * space, the return address inside it) tests them as it tests the bytes
 * around them, and those tests say only what the attack's target looked
 * like, which the attacker chooses.  Where the same instruction tests
 * bytes outside the hint and the delimiters that stop it were found next
 * to the hint, its tests of hinted bytes become "no such delimiter in
 * the hint": a stopper there would end the scan before the target.
 */
/*
 * May "no k in the hint" be required?  k stops a scan beside the hint,
 * is not in the SCA's hinted bytes, and no verifier's nonce holds it
 * (docs/verification.md: printable non-space bytes, zeros kept).
 */
static bool hint_delimiter(const uint8_t *known, const uint8_t *msg,
                           size_t len, uint32_t hfirst, uint32_t hlast,
                           unsigned k)
{
    return (known[k * len + hfirst - 1] == DELIM_STOPS ||
            known[k * len + hlast] == DELIM_STOPS) &&
           !memchr(msg + hfirst, k, hlast - hfirst) &&
           (k < 0x21 || k > 0x7e);
}

static void delimiters_through_hint(VfFilter *work, const GArray *conds,
                                    bool *keep, GArray *kept,
                                    const uint8_t *known,
                                    const uint8_t *msg, size_t len,
                                    uint32_t hfirst, uint32_t hlast)
{
    bool stops = false, dropped = false;

    if (!hfirst || hlast >= len) {
        return;
    }
    for (unsigned k = 0; k < 256; k++) {
        stops |= hint_delimiter(known, msg, len, hfirst, hlast, k);
    }
    for (guint i = 0; stops && i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);
        bool outside = false;

        if (!keep[i] || !byte_test(c) || c->first < hfirst ||
            c->end > hlast) {
            continue;
        }
        for (guint j = 0; j < conds->len && !outside; j++) {
            const VgGenCondition *o = &g_array_index(conds, VgGenCondition,
                                                     j);

            outside = o->pc == c->pc &&
                      (o->end <= hfirst || o->first >= hlast);
        }
        keep[i] = !outside;
        dropped |= outside;
    }
    for (unsigned k = 0; dropped && k < 256; k++) {
        if (hint_delimiter(known, msg, len, hfirst, hlast, k)) {
            add_no_byte(work, kept, hfirst, hlast, k, 0);
        }
    }
}

enum { TRY_VIOLATE, TRY_LENGTH, TRY_MOVED, TRY_NONE };

/* A group's attempts, replayed together: any that verifies drops it. */
typedef struct {
    GArray *g;
    unsigned n;
    uint8_t *m[TRY_NONE];
    size_t len[TRY_NONE];
    char how[TRY_NONE][40];     /* each attempt, for progress */
} GroupTry;

static const VgGenCondition *first_of(const GArray *conds, const GArray *g)
{
    return &g_array_index(conds, VgGenCondition, g_array_index(g, guint, 0));
}

/*
 * The group's attempts, in t->m: its bytes changed so that one of its
 * conditions fails while the others kept hold; another length (a
 * condition on the length too, a loop bound or a printed size, may be
 * decided by the length rather than by its bytes, which the attack may
 * need); and for pins after the hint that stay (a line's end, found by
 * a scan), the message with 8 more bytes before them, which moves what
 * they pin: if the attack still verifies, where it is does not decide
 * it.  TCP only: a filter judges a stream's prefix, in which the end has
 * not come yet; a datagram's terminator must stay somewhere, which the
 * format cannot say.  Returns how many there are.
 */
static unsigned group_attempts(GroupTry *t, const VfFilter *work,
                               const GArray *conds, const bool *keep,
                               const uint8_t *msg, size_t len,
                               uint32_t hfirst, uint32_t hlast, GRand *rng)
{
    const VgGenCondition *c0 = first_of(conds, t->g);

    for (int stage = TRY_VIOLATE; stage < TRY_NONE; stage++) {
        uint8_t *m = NULL;
        size_t n = len;
        const char *how = "";
        char size[40];

        switch (stage) {
        case TRY_VIOLATE: {
            g_autoptr(GArray) others = constraints(conds, t->g, keep, false,
                                                   true);
            g_autoptr(GArray) loose = constraints(conds, t->g, keep, false,
                                                  false);

            m = g_memdup2(msg, len);
            if (!violate(work, conds, t->g, others, m, len, hfirst, hlast,
                         is_pin(c0), rng) &&
                !violate(work, conds, t->g, loose, m, len, hfirst, hlast,
                         is_pin(c0), rng)) {
                g_clear_pointer(&m, g_free);
            }
            break;
        }
        case TRY_LENGTH: {
            g_autoptr(GArray) others_len = constraints(conds, t->g, keep,
                                                       true, false);

            m = violate_by_length(work, conds, t->g, others_len, msg, len,
                                  hlast, rng, &n);
            g_snprintf(size, sizeof(size), ", %zu bytes", n);
            how = size;
            break;
        }
        case TRY_MOVED:
            if (is_pin(c0) && work->transport == VF_TRANSPORT_TCP) {
                m = moved_tail(conds, t->g, msg, len, hlast, &n);
                how = ", moved by 8 bytes";
            }
            break;
        }
        if (m) {
            t->m[t->n] = m;
            t->len[t->n] = n;
            g_strlcpy(t->how[t->n], how, sizeof(t->how[0]));
            t->n++;
        }
    }
    return t->n;
}

/*
 * A group tried: dropped if an attempt verified; else pins of the bytes
 * a vector scan read (16 at a time: the string and what follows it) are
 * tried again in halves, so that the bytes after the string are let go.
 */
static void group_done(VgGenResult *r, const GArray *conds, bool *keep,
                       GroupTry *t, bool dropped, GPtrArray *groups,
                       GHashTable *root, GArray *let_go)
{
    GArray *g = t->g;
    const VgGenCondition *c0 = first_of(conds, g);

    for (unsigned i = 0; i < t->n; i++) {
        g_clear_pointer(&t->m[i], g_free);
    }
    if (dropped) {
        LetGo lg = {
            .root = GPOINTER_TO_UINT(g_hash_table_lookup(root, g)),
            .a = UINT32_MAX,
        };

        for (guint j = 0; j < g->len; j++) {
            const VgGenCondition *c = &g_array_index(
                conds, VgGenCondition, g_array_index(g, guint, j));

            keep[g_array_index(g, guint, j)] = false;
            lg.a = MIN(lg.a, c->first);
            lg.b = MAX(lg.b, c->end);
        }
        r->stats.dropped += g->len;
        if (is_pin(c0)) {
            g_array_append_val(let_go, lg);
        }
    } else if (g->len > 1 && is_pin(c0)) {
        GArray *h1 = g_array_new(false, false, sizeof(guint));
        GArray *h2 = g_array_new(false, false, sizeof(guint));

        g_array_append_vals(h1, g->data, g->len / 2);
        g_array_append_vals(h2, &g_array_index(g, guint, g->len / 2),
                            g->len - g->len / 2);
        g_ptr_array_add(groups, h1);
        g_ptr_array_add(groups, h2);
        g_hash_table_insert(root, h1, g_hash_table_lookup(root, g));
        g_hash_table_insert(root, h2, g_hash_table_lookup(root, g));
    }
}

static bool generalise(VgGenResult *r, VgVerifier *v, const Sca *sca,
                       const VgGenOptions *o, unsigned tmo,
                       const uint8_t *msg, size_t len, GError **errp)
{
    uint32_t hfirst = hint_start(sca);
    uint32_t hlast = hint_end(sca);
    g_autoptr(GRand) rng = g_rand_new_with_seed(0x5ca1ab1e);
    g_autoptr(VfFilter) work = vf_new(r->specific->name,
                                      r->specific->transport,
                                      r->specific->port);
    g_autoptr(GArray) conds = NULL;
    g_autoptr(GArray) kept = g_array_new(false, true,
                                         sizeof(VgGenCondition));
    g_autoptr(GPtrArray) groups = NULL;
    g_autofree bool *keep = NULL;
    g_autofree int *idiom = NULL;
    g_autofree uint8_t *known = g_new0(uint8_t, 256 * len);
    /* A pin group's first ancestor (halves are tried in turn) */
    g_autoptr(GHashTable) root = g_hash_table_new(NULL, NULL);
    g_autoptr(GArray) let_go = g_array_new(false, false, sizeof(LetGo));
    GroupTry pending = { 0 };
    bool have_pending = false;
    guint k = 0;

    /* On a copy of the specific filter's nodes, pruned at the end. */
    g_array_append_vals(work->nodes, r->specific->nodes->data,
                        r->specific->nodes->len);
    conds = widen_pins(r, work, v, sca, o, tmo, msg, len, hfirst, hlast);
    groups = groups_by_pc(conds, hfirst, hlast);
    keep = g_new(bool, conds->len);
    idiom = g_new(int, conds->len);
    for (guint i = 0; i < conds->len; i++) {
        keep[i] = true;
    }

    /*
     * A group whose bytes (or the length) can be changed so that one of
     * its conditions fails while the others kept still hold, and the
     * attack still verifies, does not decide the attack: dropped.  The
     * length and conditions on the hinted bytes alone are kept (the
     * verifier plants its nonce there).
     */
    summarise_byte_loops(r, work, conds, keep, msg, len, hfirst, hlast,
                         kept);
    drop_implied_pins(r, work, conds, keep, msg, len);
    for (guint k = 0; k < groups->len; k++) {
        g_hash_table_insert(root, groups->pdata[k], GUINT_TO_POINTER(k));
    }
    /*
     * Groups are tried together, all attempts of a group at once, up to
     * GEN_PARALLEL replays a batch (a group that does not fit waits for
     * the next).  A batch's attempts keep the conditions kept when it
     * was formed.
     */
    for (;;) {
        GroupTry act[GEN_PARALLEL];
        uint8_t *msgs[GEN_PARALLEL];
        size_t lens[GEN_PARALLEL];
        bool ok[GEN_PARALLEL];
        guint owner[GEN_PARALLEL], nact = 0, used = 0;

        while (used < GEN_PARALLEL) {
            GroupTry t = { 0 };

            if (have_pending) {
                t = pending;
                have_pending = false;
            } else if (k < groups->len) {
                t.g = groups->pdata[k++];
                for (guint j = 0; j < t.g->len;) {
                    /* (pins found implied are gone from their groups) */
                    if (!keep[g_array_index(t.g, guint, j)]) {
                        g_array_remove_index(t.g, j);
                    } else {
                        j++;
                    }
                }
                if (!t.g->len) {
                    continue;
                }
                if (r->stats.replays + used + TRY_NONE > MAX_REPLAYS ||
                    !group_attempts(&t, work, conds, keep, msg, len, hfirst,
                                    hlast, rng)) {
                    group_done(r, conds, keep, &t, false, groups, root,
                               let_go);
                    continue;
                }
            } else {
                break;
            }
            if (used + t.n > GEN_PARALLEL) {
                pending = t;
                have_pending = true;
                break;
            }
            for (unsigned a = 0; a < t.n; a++) {
                progress(o, "  replay %u: %u condition(s) of pc 0x%" PRIx64
                         "%s", r->stats.replays + used + 1, t.g->len,
                         first_of(conds, t.g)->pc, t.how[a]);
                msgs[used] = t.m[a];
                lens[used] = t.len[a];
                owner[used++] = nact;
            }
            act[nact++] = t;
        }
        if (!used) {
            break;
        }
        replays_verify(v, sca, msgs, lens, used, tmo, &r->stats, ok);
        for (guint i = 0; i < nact; i++) {
            bool dropped = false;

            for (guint j = 0; j < used; j++) {
                dropped |= owner[j] == i && ok[j];
            }
            group_done(r, conds, keep, &act[i], dropped, groups, root,
                       let_go);
        }
    }

    /*
     * The delimiters of what the pins let go, over the pieces of one
     * scan joined (its halves were let go one by one: one search over
     * the whole run is far fewer replays than one per piece).
     */
    g_array_sort(let_go, let_go_cmp);
    for (guint i = 0; i < let_go->len;) {
        LetGo run = g_array_index(let_go, LetGo, i);

        for (i++; i < let_go->len; i++) {
            const LetGo *n = &g_array_index(let_go, LetGo, i);

            if (n->root != run.root || n->a > run.b) {
                break;
            }
            run.b = MAX(run.b, n->b);
        }
        keep_delimiters(r, v, sca, o, tmo, work, run.a, run.b, msg, len,
                        hfirst, hlast, kept, known);
    }
    delimiters_through_hint(work, conds, keep, kept, known, msg, len,
                            hfirst, hlast);

    /* Library idioms among what is kept: "no byte k in [a, b)". */
    for (guint i = 0; i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);

        idiom[i] = -1;
        if (keep[i] && !c->summary && strcmp(c->kind, "length") &&
            !no_byte_idiom(work, c, msg, len, &idiom[i], rng)) {
            idiom[i] = -1;
        }
    }
    for (guint i = 0; i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);
        guint j;
        uint32_t a, b;

        if (!keep[i]) {
            continue;
        }
        if (idiom[i] < 0) {
            g_array_append_val(kept, *c);
            continue;
        }
        /* Merge the run of same-k idioms over adjacent ranges. */
        a = c->first;
        b = c->end;
        for (j = i + 1; j < conds->len; j++) {
            const VgGenCondition *d = &g_array_index(conds, VgGenCondition,
                                                     j);

            if (!keep[j] || idiom[j] != idiom[i] || d->first > b ||
                d->end < a) {
                break;
            }
            a = MIN(a, d->first);
            b = MAX(b, d->end);
        }
        r->stats.summarised += j - i;
        add_no_byte(work, kept, a, b, idiom[i], c->pc);
        i = j - 1;
    }
    r->general = pruned(work, kept, "general");
    r->general_conds = g_steal_pointer(&kept);
    r->stats.general_conditions = r->general->conditions->len;
    return vf_validate(r->general, errp);
}

/* ---- validation ---- */

/* The benign messages of the profile for this filter's scope. */
static GPtrArray *benign_messages(const VgProfile *p, const VfFilter *f)
{
    return vg_profile_benign_messages(p, vf_transport_name(f->transport),
                                      f->port);
}

static bool check_benign(VgGenResult *r, const VgProfile *p, VfFilter *f,
                         GError **errp)
{
    g_autoptr(GPtrArray) benign = benign_messages(p, f);
    bool complete = f->transport == VF_TRANSPORT_UDP;
    bool valid = vf_validate(f, NULL);

    for (guint i = 0; i < benign->len; i++) {
        size_t n;
        const uint8_t *d = g_bytes_get_data(benign->pdata[i], &n);

        r->stats.benign_checked++;
        if (valid ? vf_eval(f, d, n, complete) == VF_MATCH
                  : filter_holds(f, d, n)) {
            r->stats.benign_matched++;
            g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_BENIGN,
                        "the %s filter matches benign message %u of %s",
                        f->generator, i, p->benign);
            return false;
        }
    }
    return true;
}

/*
 * Random messages that satisfy the general filter: the SCA's message with
 * every byte randomised where the filter still matches (byte by byte),
 * the hint left as it is for the verifier's nonce.
 */
static void random_checks(VgGenResult *r, VgVerifier *v, const Sca *sca,
                          const VgGenOptions *o, unsigned tmo,
                          const uint8_t *msg, size_t len)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(0xfeed);
    bool complete = r->general->transport == VF_TRANSPORT_UDP;
    uint32_t hfirst = hint_start(sca);
    uint32_t hlast = hint_end(sca);

    for (guint t = 0; t < o->random_checks; t += GEN_PARALLEL) {
        guint n = MIN(GEN_PARALLEL, o->random_checks - t);
        uint8_t *msgs[GEN_PARALLEL];
        size_t lens[GEN_PARALLEL];
        bool ok[GEN_PARALLEL];

        for (guint k = 0; k < n; k++) {
            uint8_t *m = msgs[k] = g_memdup2(msg, len);

            lens[k] = len;
            for (size_t i = 0; i < len; i++) {
                uint8_t old = m[i];

                /*
                 * Not the hint: the verifier plants its nonce there, and
                 * keeps which of its bytes are zero (a path's end).
                 */
                if (i >= hfirst && i < hlast) {
                    continue;
                }

                m[i] = g_rand_int_range(rng, 0, 256);
                if (vf_eval(r->general, m, len, complete) != VF_MATCH) {
                    m[i] = old;
                }
            }
        }
        replays_verify(v, sca, msgs, lens, n, tmo, &r->stats, ok);
        for (guint k = 0; k < n; k++) {
            r->stats.random_tried++;
            r->stats.random_verified += ok[k];
            progress(o, "  random variant %u: %s", t + k + 1,
                     ok[k] ? "verified" : "not verified");
            g_free(msgs[k]);
        }
    }
}

/*
 * Does the filter match the SCA's message with a fresh verification
 * nonce in the hinted bytes (as every verifier replays it)?
 */
static bool matches_nonce(const VfFilter *f, const Sca *sca,
                          const uint8_t *msg, size_t len, GError **errp)
{
    const VgVerifyType *t = vg_verify_type(sca->type);
    g_autofree uint8_t *m = g_memdup2(msg, len);
    uint32_t at = hint_start(sca);
    VgPlanted pl = { 0 };
    bool ok;

    if (!t || !t->plant(sca, msg + at, &pl)) {
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_SETUP,
                    "no nonce could be planted in the SCA");
        return false;
    }
    memcpy(m + at, pl.bytes->data, MIN(pl.bytes->len, len - at));
    vg_planted_clear(&pl);
    ok = filter_holds(f, m, len);
    if (!ok) {
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_MODEL,
                    "the %s filter does not match the SCA with a fresh "
                    "nonce in its hinted bytes", f->generator);
    }
    return ok;
}

/* ---- the whole ---- */

/*
 * Replays that neither answer nor settle (one that sends the service
 * into a loop) wait four times a verifying replay and half a second.
 */
#define WARM_MIN_TMO_MS 500
#define WARM_CPU_MARGIN_MS 100
#define COLD_MIN_TMO_MS 1000

static unsigned timeout_from(double ms, unsigned min_tmo, unsigned max_tmo)
{
    return MIN(max_tmo, MAX(min_tmo, 4 * ms + 500));
}

/* The SCA replayed on @n VMs at once: what the replays that verified took. */
typedef struct {
    guint verified;
    double slowest;             /* ms */
    double costliest;           /* ms of the emulator's CPU time */
    char *why;                  /* why the first that did not failed */
} ScaRound;

static void replay_sca(VgVerifier *v, const Sca *sca, guint n,
                       unsigned tmo, ScaRound *r)
{
    Sca *scas[GEN_PARALLEL];
    VgVerdict vd[GEN_PARALLEL];

    for (guint i = 0; i < n; i++) {
        scas[i] = (Sca *)sca;
    }
    vg_verifier_verify_batch(v, scas, n, tmo, vd);
    for (guint i = 0; i < n; i++) {
        if (vd[i].kind == VG_VERDICT_VERIFIED) {
            r->verified++;
            r->slowest = MAX(r->slowest, vd[i].total_ms);
            r->costliest = MAX(r->costliest, vd[i].cpu_ms);
        } else if (!r->why) {
            r->why = g_strdup(vd[i].reason ? vd[i].reason : "?");
        }
        vg_verdict_clear(&vd[i]);
    }
}

/*
 * Does the SCA verify, and how long may a replay take?  It is replayed
 * on each of @n VMs, without settling: an error if none verified.  A
 * rewinding verifier's VMs (@n > 1) each translated the guest's path in
 * that round (the SCA's verification took about 180-260 ms cold, 5-45
 * ms warm on the Linux guest); it is replayed on them once more, and
 * that warm round sets the timeout (its slowest) and, when replays
 * settle (@settle_ms), the CPU time a replay may use (*@cpu_ms: four
 * times its costliest and 100 ms).  With one VM, or if a warm replay did
 * not verify: the timeout from the first round, no CPU limit.  Settling
 * is @settle_ms after the first round.  Returns the timeout; 0 with
 * @errp set.
 */
static unsigned check_sca(VgVerifier *v, const Sca *sca, guint n,
                          unsigned max_tmo, unsigned settle_ms,
                          unsigned *cpu_ms, GError **errp)
{
    ScaRound cold = { 0 }, warm = { 0 };
    unsigned tmo;

    replay_sca(v, sca, n, max_tmo, &cold);
    if (!cold.verified) {
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_NO_TRAP,
                    "the SCA does not verify: %s", cold.why);
        g_free(cold.why);
        return 0;
    }
    vg_verifier_set_settle(v, settle_ms);
    tmo = timeout_from(cold.slowest, COLD_MIN_TMO_MS, max_tmo);
    if (n > 1) {
        replay_sca(v, sca, n, max_tmo, &warm);
        if (warm.verified == n) {
            tmo = timeout_from(warm.slowest, WARM_MIN_TMO_MS, max_tmo);
            *cpu_ms = settle_ms ? 4 * warm.costliest + WARM_CPU_MARGIN_MS
                                : 0;
        }
    }
    g_free(cold.why);
    g_free(warm.why);
    return tmo;
}

VgGenResult *vg_filter_generate(const VgProfile *p, const Sca *sca,
                                const VgGenOptions *o, GError **errp)
{
    g_autoptr(VgGenResult) r = g_new0(VgGenResult, 1);
    g_autoptr(JsonNode) reply = NULL;
    g_autoptr(GBytes) mb = vg_gen_message(sca);
    size_t len;
    const uint8_t *msg = g_bytes_get_data(mb, &len);
    gint64 t0 = g_get_monotonic_time(), t1, t2;
    unsigned max_tmo = o->timeout_ms ? o->timeout_ms : 5000, tmo;
    unsigned cpu_ms = 0;
    g_autofree char *cpu_text = NULL;
    g_autoptr(VgVerifier) v = NULL;
    bool complete;

    progress(o, "capturing the conditions of %s's path (replay with "
             "taint on)", p->name);
    reply = capture(p, sca, o, &v, errp);
    if (!reply) {
        return NULL;
    }
    if (g_getenv("VIGILANTE_GEN_DUMP")) {
        /* For debugging the capture: the emulator's answer, as JSON. */
        g_autofree char *j = json_to_string(reply, false);

        g_file_set_contents(g_getenv("VIGILANTE_GEN_DUMP"), j, -1, NULL);
    }
    r->specific = new_filter(sca, json_node_get_object(reply), "specific");
    r->specific_conds = g_array_new(false, true, sizeof(VgGenCondition));
    if (!convert(r, sca, json_node_get_object(reply), msg, len, errp)) {
        return NULL;
    }
    /*
     * A specific filter beyond the format's limits (a long computation
     * on input pins many bytes) can still be generalised.
     */
    if (!vf_validate(r->specific, o->general ? NULL : errp)) {
        if (!o->general) {
            g_prefix_error(errp, "the specific filter: ");
            return NULL;
        }
        r->stats.specific_too_big = true;
    }
    complete = r->specific->transport == VF_TRANSPORT_UDP;
    r->stats.specific_conditions = r->specific->conditions->len;
    t1 = g_get_monotonic_time();
    r->stats.capture_ms = (t1 - t0) / 1e3;
    if (!filter_holds(r->specific, msg, len)) {
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_MODEL,
                    "the specific filter does not match the SCA's message");
        return NULL;
    }
    if (!check_benign(r, p, r->specific, errp) ||
        !matches_nonce(r->specific, sca, msg, len, errp)) {
        return NULL;
    }
    if (!o->general) {
        return g_steal_pointer(&r);
    }
    /*
     * A replay of the SCA itself: that it verifies, and how long a
     * verifying replay takes.  A replay that has not verified in four
     * times that and half a second (at least 1 s) counts as not
     * verified: the condition is kept, the safe side; the margin keeps a
     * loaded machine from keeping conditions a quiet one drops.
     */
    if (!v) {
        v = vg_verifier_new(p, o->qemu);
    }
    /*
     * Replays run GEN_PARALLEL at a time, each VM rewound in place after
     * its replay (a fresh VM per replay costs a restore and translating
     * the guest's network path again); a guest with a disk gets fresh
     * VMs, as many restoring ahead.  (More restoring during the capture
     * would slow it more than they save.)
     */
    vg_verifier_set_rewind(v, !p->disk);
    vg_verifier_set_spares(v, GEN_PARALLEL);
    if (!vg_verifier_wait_ready(v, errp)) {
        return NULL;
    }
    tmo = check_sca(v, sca, p->disk ? 1 : GEN_PARALLEL, max_tmo,
                    o->settle_ms < 0 ? 0 : o->settle_ms ?
                    (unsigned)o->settle_ms : VG_GEN_SETTLE_MS, &cpu_ms, errp);
    if (!tmo) {
        return NULL;
    }
    vg_verifier_set_cpu_limit(v, cpu_ms);
    cpu_text = cpu_ms ? g_strdup_printf(", %u ms of CPU", cpu_ms) : NULL;
    progress(o, "generalising %u condition(s) by replay (%u ms per "
             "replay at most%s)", r->stats.specific_conditions, tmo,
             cpu_text ? cpu_text : "");
    if (!generalise(r, v, sca, o, tmo, msg, len, errp)) {
        return NULL;
    }
    t2 = g_get_monotonic_time();
    r->stats.generalise_ms = (t2 - t1) / 1e3;
    if (vf_eval(r->general, msg, len, complete) != VF_MATCH) {
        g_set_error(errp, VG_GEN_ERROR, VG_GEN_ERROR_MODEL,
                    "the general filter does not match the SCA's message");
        return NULL;
    }
    if (!check_benign(r, p, r->general, errp) ||
        !matches_nonce(r->general, sca, msg, len, errp)) {
        return NULL;
    }
    random_checks(r, v, sca, o, tmo, msg, len);
    r->stats.validate_ms = (g_get_monotonic_time() - t2) / 1e3;
    return g_steal_pointer(&r);
}

void vg_gen_result_free(VgGenResult *r)
{
    if (!r) {
        return;
    }
    vf_free(r->specific);
    vf_free(r->general);
    if (r->specific_conds) {
        g_array_free(r->specific_conds, true);
    }
    if (r->general_conds) {
        g_array_free(r->general_conds, true);
    }
    g_free(r);
}

char *vg_gen_describe(const VfFilter *f, const GArray *conds)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < conds->len; i++) {
        const VgGenCondition *c = &g_array_index(conds, VgGenCondition, i);
        g_autofree char *e = vf_expr_text(f, c->node);

        g_string_append_printf(s, "  %-11s", c->kind);
        if (c->end > c->first) {
            g_string_append_printf(s, " msg[%u..%u]", c->first, c->end - 1);
        }
        if (c->pc) {
            g_string_append_printf(s, " pc 0x%" PRIx64, c->pc);
        }
        g_string_append_printf(s, ": %s\n", e);
    }
    return g_string_free(s, FALSE);
}
