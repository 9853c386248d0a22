/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vulnerability filters: model, validation, encoder, decoder, JSON view
 * and evaluator.  The layout is specified byte by byte in
 * docs/filter-format.md; keep the two in step.
 */
#include "filter.h"
#include "wire.h"

#include <string.h>

#define FAIL(...) \
    do { \
        g_set_error(errp, VF_ERROR, 0, __VA_ARGS__); \
        return false; \
    } while (0)

/* ---- operations ---- */

VfShape vf_op_shape(uint8_t op)
{
    switch (op) {
    case VF_OP_CONST: return VF_SHAPE_CONST;
    case VF_OP_LEN: return VF_SHAPE_LEN;
    case VF_OP_LOAD_LE: case VF_OP_LOAD_BE: return VF_SHAPE_LOAD;
    case VF_OP_ZEXT: case VF_OP_SEXT: return VF_SHAPE_EXT;
    case VF_OP_NOT: case VF_OP_NEG: return VF_SHAPE_UNARY;
    case VF_OP_ADD: case VF_OP_SUB: case VF_OP_MUL: case VF_OP_AND:
    case VF_OP_OR: case VF_OP_XOR: case VF_OP_SHL: case VF_OP_SHR:
    case VF_OP_SAR: case VF_OP_EQ: case VF_OP_NE: case VF_OP_ULT:
    case VF_OP_ULE: case VF_OP_SLT: case VF_OP_SLE:
        return VF_SHAPE_BINARY;
    }
    return VF_SHAPE_NONE;
}

const char *vf_op_name(VfOp op)
{
    switch (op) {
    case VF_OP_CONST: return "const";
    case VF_OP_LEN: return "len";
    case VF_OP_LOAD_LE: return "load-le";
    case VF_OP_LOAD_BE: return "load-be";
    case VF_OP_ZEXT: return "zext";
    case VF_OP_SEXT: return "sext";
    case VF_OP_NOT: return "not";
    case VF_OP_NEG: return "neg";
    case VF_OP_ADD: return "add";
    case VF_OP_SUB: return "sub";
    case VF_OP_MUL: return "mul";
    case VF_OP_AND: return "and";
    case VF_OP_OR: return "or";
    case VF_OP_XOR: return "xor";
    case VF_OP_SHL: return "shl";
    case VF_OP_SHR: return "shr";
    case VF_OP_SAR: return "sar";
    case VF_OP_EQ: return "eq";
    case VF_OP_NE: return "ne";
    case VF_OP_ULT: return "ult";
    case VF_OP_ULE: return "ule";
    case VF_OP_SLT: return "slt";
    case VF_OP_SLE: return "sle";
    }
    return "?";
}

const char *vf_transport_name(VfTransport t)
{
    return t == VF_TRANSPORT_TCP ? "tcp" : t == VF_TRANSPORT_UDP ? "udp"
                                                                 : "?";
}

static bool width_ok(uint8_t w)
{
    return w == 1 || w == 2 || w == 4 || w == 8;
}

/* ---- model ---- */

VfFilter *vf_new(const char *name, VfTransport transport, uint16_t port)
{
    VfFilter *f = g_new0(VfFilter, 1);

    g_strlcpy(f->name, name, sizeof(f->name));
    f->transport = transport;
    f->port = port;
    f->nodes = g_array_new(FALSE, TRUE, sizeof(VfNode));
    f->conditions = g_array_new(FALSE, TRUE, sizeof(uint16_t));
    return f;
}

void vf_free(VfFilter *f)
{
    if (f) {
        g_array_unref(f->nodes);
        g_array_unref(f->conditions);
        g_free(f);
    }
}

uint16_t vf_add_node(VfFilter *f, const VfNode *n)
{
    g_array_append_val(f->nodes, *n);
    return f->nodes->len - 1;
}

void vf_add_condition(VfFilter *f, uint16_t node)
{
    g_array_append_val(f->conditions, node);
}

const VfNode *vf_node(const VfFilter *f, unsigned i)
{
    return &g_array_index(f->nodes, VfNode, i);
}

static bool node_valid(const VfNode *n, unsigned i, uint8_t *depth,
                       const uint8_t *depths, GError **errp)
{
    VfShape shape = vf_op_shape(n->op);
    uint8_t d = 1;

    if (shape == VF_SHAPE_NONE) {
        FAIL("node %u: unknown operation %u", i, n->op);
    }
    if ((shape == VF_SHAPE_LOAD || shape == VF_SHAPE_EXT) != (n->width != 0)) {
        FAIL("node %u (%s): %s", i, vf_op_name(n->op),
             n->width ? "takes no width" : "needs a width");
    }
    if (n->width && !width_ok(n->width)) {
        FAIL("node %u (%s): width %u (1, 2, 4 or 8)", i, vf_op_name(n->op),
             n->width);
    }
    if (shape == VF_SHAPE_LOAD) {
        if (n->offset > VF_MAX_READ - n->width) {
            FAIL("node %u: load of %u bytes at offset %u reads past the "
                 "%u bytes a filter may read", i, n->width, n->offset,
                 VF_MAX_READ);
        }
    } else if (n->offset) {
        FAIL("node %u (%s): takes no offset", i, vf_op_name(n->op));
    }
    if (shape != VF_SHAPE_CONST && n->imm) {
        FAIL("node %u (%s): takes no constant", i, vf_op_name(n->op));
    }
    if (shape == VF_SHAPE_EXT || shape == VF_SHAPE_UNARY ||
        shape == VF_SHAPE_BINARY) {
        if (n->a >= i) {
            FAIL("node %u: operand %u is not an earlier node", i, n->a);
        }
        d = depths[n->a] + 1;
    } else if (n->a) {
        FAIL("node %u (%s): takes no operand", i, vf_op_name(n->op));
    }
    if (shape == VF_SHAPE_BINARY) {
        if (n->b >= i) {
            FAIL("node %u: operand %u is not an earlier node", i, n->b);
        }
        d = MAX(d, depths[n->b] + 1);
    } else if (n->b) {
        FAIL("node %u (%s): takes no second operand", i, vf_op_name(n->op));
    }
    if (d > VF_MAX_DEPTH) {
        FAIL("node %u: expression depth %u, at most %d", i, d,
             VF_MAX_DEPTH);
    }
    *depth = d;
    return true;
}

bool vf_validate(VfFilter *f, GError **errp)
{
    size_t nlen = strnlen(f->name, sizeof(f->name));
    g_autofree uint8_t *depths = NULL;
    uint32_t read_end = 0;

    if (nlen < 1 || nlen > VF_NAME_MAX) {
        FAIL("program name must have 1 to %d characters", VF_NAME_MAX);
    }
    if (!wire_name_ok(f->name, nlen)) {
        FAIL("program name may hold only letters, digits, '.', '_' and "
             "'-'");
    }
    if (f->transport != VF_TRANSPORT_TCP &&
        f->transport != VF_TRANSPORT_UDP) {
        FAIL("unknown transport %d (tcp or udp)", f->transport);
    }
    if (f->port == 0) {
        FAIL("destination port 0");
    }
    if (f->nodes->len < 1 || f->nodes->len > VF_MAX_NODES) {
        FAIL("a filter has 1 to %d nodes, not %u", VF_MAX_NODES,
             f->nodes->len);
    }
    if (f->conditions->len < 1 || f->conditions->len > VF_MAX_CONDITIONS) {
        FAIL("a filter has 1 to %d conditions, not %u", VF_MAX_CONDITIONS,
             f->conditions->len);
    }
    depths = g_new0(uint8_t, f->nodes->len);
    for (unsigned i = 0; i < f->nodes->len; i++) {
        const VfNode *n = vf_node(f, i);

        if (!node_valid(n, i, &depths[i], depths, errp)) {
            return false;
        }
    }
    /* Reuse depths[] as "used by a condition", from the last node down. */
    memset(depths, 0, f->nodes->len);
    for (unsigned i = 0; i < f->conditions->len; i++) {
        uint16_t c = g_array_index(f->conditions, uint16_t, i);

        if (c >= f->nodes->len) {
            FAIL("condition %u names node %u of %u", i, c, f->nodes->len);
        }
        depths[c] = 1;
    }
    f->uses_len = false;
    for (unsigned i = f->nodes->len; i-- > 0;) {
        const VfNode *n = vf_node(f, i);
        VfShape shape = vf_op_shape(n->op);

        if (!depths[i]) {
            continue;
        }
        if (shape == VF_SHAPE_LOAD) {
            read_end = MAX(read_end, n->offset + n->width);
        } else if (shape == VF_SHAPE_LEN) {
            f->uses_len = true;
        }
        if (shape == VF_SHAPE_EXT || shape == VF_SHAPE_UNARY ||
            shape == VF_SHAPE_BINARY) {
            depths[n->a] = 1;
        }
        if (shape == VF_SHAPE_BINARY) {
            depths[n->b] = 1;
        }
    }
    if (!wire_text_ok(f->generator, strnlen(f->generator,
                                            sizeof(f->generator)))) {
        FAIL("generator text must be printable ASCII");
    }
    f->read_end = read_end;
    return true;
}

/* ---- encoding ---- */

static void put_node(GByteArray *b, const VfNode *n)
{
    wire_put_u8(b, n->op);
    switch (vf_op_shape(n->op)) {
    case VF_SHAPE_CONST:
        wire_put_u64(b, n->imm);
        break;
    case VF_SHAPE_LOAD:
        wire_put_u8(b, n->width);
        wire_put_u32(b, n->offset);
        break;
    case VF_SHAPE_EXT:
        wire_put_u8(b, n->width);
        wire_put_u16(b, n->a);
        break;
    case VF_SHAPE_UNARY:
        wire_put_u16(b, n->a);
        break;
    case VF_SHAPE_BINARY:
        wire_put_u16(b, n->a);
        wire_put_u16(b, n->b);
        break;
    case VF_SHAPE_LEN:
    case VF_SHAPE_NONE:
        break;
    }
}

GBytes *vf_encode(VfFilter *f, GError **errp)
{
    g_autoptr(GByteArray) b = NULL;
    size_t nlen, glen;

    if (!vf_validate(f, errp)) {
        return NULL;
    }
    b = g_byte_array_new();
    g_byte_array_append(b, (const uint8_t *)VF_MAGIC, 4);
    wire_put_u8(b, VF_VERSION);
    wire_put_u8(b, 0);                  /* flags */
    wire_put_u16(b, 0);                 /* reserved */
    wire_put_u32(b, 0);                 /* total length, below */
    wire_put_u32(b, 0);                 /* checksum, below */

    nlen = strlen(f->name);
    wire_put_u8(b, nlen);
    g_byte_array_append(b, (const uint8_t *)f->name, nlen);
    g_byte_array_append(b, f->digest, VF_DIGEST_SIZE);
    wire_put_u8(b, f->transport);
    wire_put_u16(b, f->port);

    wire_put_u16(b, f->nodes->len);
    for (unsigned i = 0; i < f->nodes->len; i++) {
        put_node(b, vf_node(f, i));
    }
    wire_put_u16(b, f->conditions->len);
    for (unsigned i = 0; i < f->conditions->len; i++) {
        wire_put_u16(b, g_array_index(f->conditions, uint16_t, i));
    }

    glen = strlen(f->generator);
    wire_put_u8(b, glen);
    g_byte_array_append(b, (const uint8_t *)f->generator, glen);
    wire_put_u64(b, f->time);

    /* Bounded by the limits above, but checked like the decoder does. */
    if (b->len > VF_MAX_SIZE) {
        g_set_error(errp, VF_ERROR, 0, "the filter would take %u bytes, "
                    "more than the %u allowed", b->len, VF_MAX_SIZE);
        return NULL;
    }
    wire_set_u32(b, 8, b->len);
    wire_set_u32(b, 12, wire_header_crc(b->data, b->len));
    return g_byte_array_free_to_bytes(g_steal_pointer(&b));
}

/* ---- decoding ---- */

static bool get_node(WireReader *r, unsigned i, VfNode *n, GError **errp)
{
    *n = (VfNode) { 0 };
    if (!wire_get_u8(r, &n->op, "node operation", errp)) {
        return false;
    }
    switch (vf_op_shape(n->op)) {
    case VF_SHAPE_CONST:
        return wire_get_u64(r, &n->imm, "constant", errp);
    case VF_SHAPE_LOAD:
        return wire_get_u8(r, &n->width, "load width", errp) &&
               wire_get_u32(r, &n->offset, "load offset", errp);
    case VF_SHAPE_EXT:
        return wire_get_u8(r, &n->width, "extension width", errp) &&
               wire_get_u16(r, &n->a, "operand", errp);
    case VF_SHAPE_UNARY:
        return wire_get_u16(r, &n->a, "operand", errp);
    case VF_SHAPE_BINARY:
        return wire_get_u16(r, &n->a, "operand", errp) &&
               wire_get_u16(r, &n->b, "operand", errp);
    case VF_SHAPE_LEN:
        return true;
    case VF_SHAPE_NONE:
        break;
    }
    FAIL("node %u: unknown operation %u", i, n->op);
}

static bool decode_body(WireReader *r, VfFilter *f, GError **errp)
{
    const uint8_t *p;
    uint8_t nlen, glen, transport;
    uint16_t count;

    if (!wire_get_u8(r, &nlen, "program name length", errp) ||
        !wire_take(r, nlen, &p, "program name", errp)) {
        return false;
    }
    if (nlen < 1 || nlen > VF_NAME_MAX) {
        FAIL("program name length %u (1 to %d)", nlen, VF_NAME_MAX);
    }
    if (memchr(p, 0, nlen)) {
        FAIL("program name holds a zero byte");
    }
    memcpy(f->name, p, nlen);
    f->name[nlen] = '\0';
    if (!wire_take(r, VF_DIGEST_SIZE, &p, "program digest", errp)) {
        return false;
    }
    memcpy(f->digest, p, VF_DIGEST_SIZE);
    if (!wire_get_u8(r, &transport, "transport", errp) ||
        !wire_get_u16(r, &f->port, "port", errp)) {
        return false;
    }
    f->transport = transport;

    if (!wire_get_u16(r, &count, "node count", errp)) {
        return false;
    }
    if (count < 1 || count > VF_MAX_NODES) {
        FAIL("node count %u (1 to %d)", count, VF_MAX_NODES);
    }
    for (unsigned i = 0; i < count; i++) {
        VfNode n;

        if (!get_node(r, i, &n, errp)) {
            return false;
        }
        vf_add_node(f, &n);
    }
    if (!wire_get_u16(r, &count, "condition count", errp)) {
        return false;
    }
    if (count < 1 || count > VF_MAX_CONDITIONS) {
        FAIL("condition count %u (1 to %d)", count, VF_MAX_CONDITIONS);
    }
    for (unsigned i = 0; i < count; i++) {
        uint16_t c;

        if (!wire_get_u16(r, &c, "condition", errp)) {
            return false;
        }
        vf_add_condition(f, c);
    }

    if (!wire_get_u8(r, &glen, "generator length", errp) ||
        !wire_take(r, glen, &p, "generator", errp)) {
        return false;
    }
    if (memchr(p, 0, glen)) {
        FAIL("generator holds a zero byte");
    }
    memcpy(f->generator, p, glen);
    f->generator[glen] = '\0';
    if (!wire_get_u64(r, &f->time, "generation time", errp)) {
        return false;
    }
    if (r->left) {
        FAIL("%zu bytes after the last field", r->left);
    }
    return true;
}

VfFilter *vf_decode(const uint8_t *buf, size_t len, GError **errp)
{
    g_autoptr(VfFilter) f = NULL;
    WireReader r;
    uint32_t total, crc;

    if (len < VF_HEADER_SIZE) {
        g_set_error(errp, VF_ERROR, 0, "truncated: %zu bytes, the header "
                    "alone takes %d", len, VF_HEADER_SIZE);
        return NULL;
    }
    if (memcmp(buf, VF_MAGIC, 4) != 0) {
        g_set_error(errp, VF_ERROR, 0, "not a filter (bad magic)");
        return NULL;
    }
    if (buf[4] != VF_VERSION) {
        g_set_error(errp, VF_ERROR, 0, "filter version %u, this reader "
                    "knows version %d", buf[4], VF_VERSION);
        return NULL;
    }
    total = buf[8] | buf[9] << 8 | buf[10] << 16 | (uint32_t)buf[11] << 24;
    crc = buf[12] | buf[13] << 8 | buf[14] << 16 | (uint32_t)buf[15] << 24;
    if (total > VF_MAX_SIZE || len > VF_MAX_SIZE) {
        g_set_error(errp, VF_ERROR, 0, "oversized: a filter takes at most "
                    "%u bytes", VF_MAX_SIZE);
        return NULL;
    }
    if (total != len) {
        g_set_error(errp, VF_ERROR, 0, "%s: the header says %u bytes, "
                    "there are %zu", total > len ? "truncated" : "too long",
                    total, len);
        return NULL;
    }
    if (buf[5] != 0 || buf[6] != 0 || buf[7] != 0) {
        g_set_error(errp, VF_ERROR, 0, "unknown flags 0x%02x%02x%02x",
                    buf[5], buf[6], buf[7]);
        return NULL;
    }
    if (wire_header_crc(buf, len) != crc) {
        g_set_error(errp, VF_ERROR, 0, "corrupted: checksum mismatch");
        return NULL;
    }
    f = vf_new("", 0, 0);
    wire_reader_init(&r, buf + VF_HEADER_SIZE, len - VF_HEADER_SIZE,
                     VF_ERROR);
    r.pos = VF_HEADER_SIZE;
    if (!decode_body(&r, f, errp) || !vf_validate(f, errp)) {
        return NULL;
    }
    return g_steal_pointer(&f);
}

VfFilter *vf_load(const char *path, GError **errp)
{
    size_t len;
    g_autofree char *data = wire_read_file(path, VF_MAX_SIZE, VF_ERROR, &len,
                                           errp);

    return data ? vf_decode((const uint8_t *)data, len, errp) : NULL;
}

char *vf_digest_hex(GBytes *encoding)
{
    gsize len;
    const guchar *p = g_bytes_get_data(encoding, &len);

    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, p, len);
}

/* ---- evaluation ---- */

/* Node states besides the value. */
#define ST_MISSING  1       /* reads past the bytes given */
#define ST_LEN      2       /* depends on LEN */

uint64_t vf_load_value(const uint8_t *p, uint8_t width, bool big)
{
    uint64_t v = 0;

    for (unsigned k = 0; k < width; k++) {
        unsigned at = big ? k : width - 1 - k;

        v = v << 8 | p[at];
    }
    return v;
}

static uint64_t low_bytes(uint64_t v, uint8_t width)
{
    return width == 8 ? v : v & ((UINT64_C(1) << (width * 8)) - 1);
}

static uint64_t sign_extend(uint64_t v, uint8_t width)
{
    unsigned shift = 64 - width * 8;

    return (uint64_t)((int64_t)(v << shift) >> shift);
}

uint64_t vf_apply(uint8_t op, uint8_t width, uint64_t a, uint64_t b)
{
    switch (op) {
    case VF_OP_ZEXT: return low_bytes(a, width);
    case VF_OP_SEXT: return sign_extend(a, width);
    case VF_OP_NOT: return ~a;
    case VF_OP_NEG: return -a;
    case VF_OP_ADD: return a + b;
    case VF_OP_SUB: return a - b;
    case VF_OP_MUL: return a * b;
    case VF_OP_AND: return a & b;
    case VF_OP_OR: return a | b;
    case VF_OP_XOR: return a ^ b;
    case VF_OP_SHL: return a << (b & 63);
    case VF_OP_SHR: return a >> (b & 63);
    case VF_OP_SAR: return (uint64_t)((int64_t)a >> (b & 63));
    case VF_OP_EQ: return a == b;
    case VF_OP_NE: return a != b;
    case VF_OP_ULT: return a < b;
    case VF_OP_ULE: return a <= b;
    case VF_OP_SLT: return (int64_t)a < (int64_t)b;
    case VF_OP_SLE: return (int64_t)a <= (int64_t)b;
    }
    return 0;
}

VfVerdict vf_eval(const VfFilter *f, const uint8_t *msg, size_t len,
                  bool complete)
{
    return vf_eval_kept(f, msg, len, len, complete);
}

VfVerdict vf_eval_kept(const VfFilter *f, const uint8_t *msg, size_t avail,
                       uint64_t len, bool complete)
{
    uint64_t val[VF_MAX_NODES];
    uint8_t st[VF_MAX_NODES];
    VfVerdict verdict = VF_MATCH;

    for (unsigned i = 0; i < f->nodes->len; i++) {
        const VfNode *n = vf_node(f, i);

        switch (vf_op_shape(n->op)) {
        case VF_SHAPE_CONST:
            val[i] = n->imm;
            st[i] = 0;
            break;
        case VF_SHAPE_LEN:
            val[i] = len;
            st[i] = ST_LEN;
            break;
        case VF_SHAPE_LOAD:
            if ((size_t)n->offset + n->width > avail) {
                val[i] = 0;
                st[i] = ST_MISSING;
            } else {
                val[i] = vf_load_value(msg + n->offset, n->width,
                              n->op == VF_OP_LOAD_BE);
                st[i] = 0;
            }
            break;
        case VF_SHAPE_EXT:
        case VF_SHAPE_UNARY:
            val[i] = vf_apply(n->op, n->width, val[n->a], 0);
            st[i] = st[n->a];
            break;
        case VF_SHAPE_BINARY:
            val[i] = vf_apply(n->op, n->width, val[n->a], val[n->b]);
            st[i] = st[n->a] | st[n->b];
            break;
        case VF_SHAPE_NONE:        /* refused by vf_validate */
            val[i] = 0;
            st[i] = ST_MISSING;
            break;
        }
    }
    for (unsigned i = 0; i < f->conditions->len; i++) {
        uint16_t c = g_array_index(f->conditions, uint16_t, i);
        bool holds = val[c] != 0 && !(st[c] & ST_MISSING);

        if (holds) {
            continue;
        }
        if (complete || !st[c]) {
            return VF_NO_MATCH;
        }
        verdict = VF_UNDECIDED;
    }
    return verdict;
}
