/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON views of SCAs and filters (json-views.h).
 */
#include "json-views.h"
#include "wire.h"

static void add_hex(JsonBuilder *b, const char *member, const uint8_t *p,
                    size_t n)
{
    g_autoptr(GString) s = g_string_sized_new(2 * n);

    wire_append_hex(s, p, n);
    json_builder_set_member_name(b, member);
    json_builder_add_string_value(b, s->str);
}

static void add_int(JsonBuilder *b, const char *member, gint64 v)
{
    json_builder_set_member_name(b, member);
    json_builder_add_int_value(b, v);
}

static void add_string(JsonBuilder *b, const char *member, const char *v)
{
    json_builder_set_member_name(b, member);
    json_builder_add_string_value(b, v);
}

/* "program": {"name", "digest"} and the object's version. */
static void add_program(JsonBuilder *b, int version, const char *name,
                        const uint8_t *digest, size_t digest_len)
{
    add_int(b, "version", version);
    json_builder_set_member_name(b, "program");
    json_builder_begin_object(b);
    add_string(b, "name", name);
    add_hex(b, "digest", digest, digest_len);
    json_builder_end_object(b);
}

static void add_generator(JsonBuilder *b, const char *name, uint64_t time)
{
    json_builder_set_member_name(b, "generator");
    json_builder_begin_object(b);
    add_string(b, "name", name);
    add_int(b, "time", time);
    json_builder_end_object(b);
}

JsonNode *vg_sca_to_json(const Sca *sca)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    add_program(b, SCA_VERSION, sca->name, sca->digest, SCA_DIGEST_SIZE);
    add_string(b, "type", sca_type_name(sca->type));
    json_builder_set_member_name(b, "messages");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < sca->messages->len; i++) {
        const ScaMessage *m = sca_message(sca, i);
        size_t len;
        const uint8_t *data = g_bytes_get_data(m->payload, &len);

        json_builder_begin_object(b);
        add_string(b, "transport", sca_transport_name(m->transport));
        add_int(b, "port", m->port);
        add_int(b, "length", len);
        add_hex(b, "payload", data, len);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "hint");
    json_builder_begin_object(b);
    add_int(b, "message", sca->hint_message);
    add_int(b, "offset", sca->hint_offset);
    add_int(b, "length", sca->hint_length);
    if (sca->type == SCA_TYPE_ACE) {
        add_int(b, "code-bits", sca->code_bits);
    }
    if (sca->type == SCA_TYPE_AFA) {
        add_string(b, "call", sca_call_name(sca->call));
        add_int(b, "argument", sca->call_arg);
    }
    json_builder_end_object(b);
    add_generator(b, sca->generator, sca->time);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void add_node(JsonBuilder *b, const VfNode *n)
{
    json_builder_begin_object(b);
    add_string(b, "op", vf_op_name(n->op));
    switch (vf_op_shape(n->op)) {
    case VF_SHAPE_CONST:
        /* a uint64: above INT64_MAX it reads back as its two's complement */
        add_int(b, "value", (gint64)n->imm);
        break;
    case VF_SHAPE_LOAD:
        add_int(b, "width", n->width);
        add_int(b, "offset", n->offset);
        break;
    case VF_SHAPE_EXT:
        add_int(b, "width", n->width);
        add_int(b, "a", n->a);
        break;
    case VF_SHAPE_UNARY:
        add_int(b, "a", n->a);
        break;
    case VF_SHAPE_BINARY:
        add_int(b, "a", n->a);
        add_int(b, "b", n->b);
        break;
    case VF_SHAPE_LEN:
    case VF_SHAPE_NONE:
        break;
    }
    json_builder_end_object(b);
}

JsonNode *vg_filter_to_json(const VfFilter *f)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    add_program(b, VF_VERSION, f->name, f->digest, VF_DIGEST_SIZE);
    json_builder_set_member_name(b, "scope");
    json_builder_begin_object(b);
    add_string(b, "transport", vf_transport_name(f->transport));
    add_int(b, "port", f->port);
    json_builder_end_object(b);
    add_int(b, "read-end", f->read_end);
    json_builder_set_member_name(b, "nodes");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < f->nodes->len; i++) {
        add_node(b, vf_node(f, i));
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "conditions");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < f->conditions->len; i++) {
        json_builder_add_int_value(b, g_array_index(f->conditions, uint16_t,
                                                    i));
    }
    json_builder_end_array(b);
    add_generator(b, f->generator, f->time);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

char *vg_json_line(JsonNode *node)
{
    g_autoptr(JsonNode) n = node;

    return json_to_string(n, FALSE);
}
