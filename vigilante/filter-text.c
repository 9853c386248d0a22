/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filter text form: a line-oriented header and C-like expressions
 * compiled by recursive descent into hash-consed nodes, and the
 * decompiler that prints a filter back.  The grammar is in
 * docs/filter-format.md; keep the two in step.
 */
#include "filter-text.h"
#include "wire.h"

#include <string.h>

typedef struct {
    VfFilter *f;
    GHashTable *consed;     /* node key -> index + 1 */
    GHashTable *names;      /* let name -> index + 1 */
    const char *line;       /* the line being parsed */
    const char *p;
    unsigned lineno;
    GError **errp;
    bool failed;
    unsigned nesting;       /* of parentheses and unary operators */
} Parser;

/* Deeper text could not make a valid filter anyway; bounds the stack. */
#define MAX_NESTING (2 * VF_MAX_DEPTH)

static void perr(Parser *ps, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void perr(Parser *ps, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (ps->failed) {
        return;             /* the first error is the one to report */
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(ps->errp, VF_ERROR, 0, "line %u, column %u: %s", ps->lineno,
                (unsigned)(ps->p - ps->line) + 1, msg);
    ps->failed = true;
}

static void skip_space(Parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t') {
        ps->p++;
    }
}

static bool at_end(Parser *ps)
{
    skip_space(ps);
    return *ps->p == '\0' || *ps->p == '#';
}

static bool ident_char(char c)
{
    return g_ascii_isalnum(c) || c == '_';
}

/*
 * Consume @tok (an operator) if it comes next.  The signed operators end
 * in 's': "x >>shift" is x >> shift, not x >>s hift.
 */
static bool accept(Parser *ps, const char *tok)
{
    size_t n = strlen(tok);

    skip_space(ps);
    if (strncmp(ps->p, tok, n) == 0 &&
        !(tok[n - 1] == 's' && ident_char(ps->p[n]))) {
        ps->p += n;
        return true;
    }
    return false;
}

/*
 * The next word, or NULL: letters, digits and '_' (names in
 * expressions), also '.' and '-' when @program_name.
 */
static char *word_of(Parser *ps, bool program_name)
{
    const char *s;

    skip_space(ps);
    s = ps->p;
    while (ident_char(*ps->p) ||
           (program_name && (*ps->p == '.' || *ps->p == '-'))) {
        ps->p++;
    }
    return ps->p > s ? g_strndup(s, ps->p - s) : NULL;
}

static char *word(Parser *ps)
{
    return word_of(ps, false);
}

/* ---- nodes ---- */

static bool is_leaf(const VfNode *n)
{
    return n->op == VF_OP_CONST || n->op == VF_OP_LEN ||
           n->op == VF_OP_LOAD_LE || n->op == VF_OP_LOAD_BE;
}

static char *node_key(const VfNode *n)
{
    return g_strdup_printf("%u/%u/%u/%u/%u/%" G_GUINT64_FORMAT, n->op,
                           n->width, n->a, n->b, n->offset, n->imm);
}

/* The index of an equal node, made if new; -1 (error set) when full. */
static int node(Parser *ps, VfNode n)
{
    g_autofree char *key = node_key(&n);
    gpointer v = g_hash_table_lookup(ps->consed, key);

    if (v) {
        return GPOINTER_TO_INT(v) - 1;
    }
    if (ps->f->nodes->len >= VF_MAX_NODES) {
        perr(ps, "more than %d nodes", VF_MAX_NODES);
        return -1;
    }
    vf_add_node(ps->f, &n);
    g_hash_table_insert(ps->consed, g_steal_pointer(&key),
                        GINT_TO_POINTER(ps->f->nodes->len));
    return ps->f->nodes->len - 1;
}

static int binary(Parser *ps, VfOp op, int a, int b)
{
    if (a < 0 || b < 0) {
        return -1;
    }
    return node(ps, (VfNode) { .op = op, .a = a, .b = b });
}

/* ---- expressions ---- */

static int expr(Parser *ps);
static int unary(Parser *ps);

static bool number(Parser *ps, uint64_t *v)
{
    const char *s;
    char *end = NULL;
    g_autofree char *digits = NULL;
    guint64 out;
    int base = 10;

    skip_space(ps);
    s = ps->p;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    end = (char *)s;
    while (base == 16 ? g_ascii_isxdigit(*end) : g_ascii_isdigit(*end)) {
        end++;
    }
    if (end == s || ident_char(*end)) {
        perr(ps, "bad number");
        return false;
    }
    digits = g_strndup(s, end - s);
    if (!g_ascii_string_to_unsigned(digits, base, 0, G_MAXUINT64, &out,
                                    NULL)) {
        perr(ps, "number out of range (64 bits)");
        return false;
    }
    ps->p = end;
    *v = out;
    return true;
}

/* 'c', '\n', '\t', '\\', '\'', '\0', '\xHH'. */
static bool char_literal(Parser *ps, uint64_t *v)
{
    const char *s = ps->p + 1;

    if (*s == '\\') {
        s++;
        switch (*s) {
        case 'n':
            *v = '\n';
            s++;
            break;
        case 't':
            *v = '\t';
            s++;
            break;
        case 'r':
            *v = '\r';
            s++;
            break;
        case '0':
            *v = 0;
            s++;
            break;
        case '\\':
        case '\'':
            *v = (uint8_t)*s;
            s++;
            break;
        case 'x':
            if (!g_ascii_isxdigit(s[1]) || !g_ascii_isxdigit(s[2])) {
                perr(ps, "\\x needs two hexadecimal digits");
                return false;
            }
            *v = g_ascii_xdigit_value(s[1]) << 4 | g_ascii_xdigit_value(s[2]);
            s += 3;
            break;
        default:
            perr(ps, "unknown escape in character constant");
            return false;
        }
    } else if (*s >= 0x20 && *s <= 0x7e && *s != '\'') {
        *v = (uint8_t)*s++;
    } else {
        perr(ps, "bad character constant");
        return false;
    }
    if (*s != '\'') {
        perr(ps, "unterminated character constant");
        return false;
    }
    ps->p = s + 1;
    return true;
}

static const struct {
    const char *name;
    VfOp op;
    uint8_t width;
} loads[] = {
    { "u8", VF_OP_LOAD_LE, 1 },
    { "le16", VF_OP_LOAD_LE, 2 }, { "be16", VF_OP_LOAD_BE, 2 },
    { "le32", VF_OP_LOAD_LE, 4 }, { "be32", VF_OP_LOAD_BE, 4 },
    { "le64", VF_OP_LOAD_LE, 8 }, { "be64", VF_OP_LOAD_BE, 8 },
}, exts[] = {
    { "zext8", VF_OP_ZEXT, 1 }, { "zext16", VF_OP_ZEXT, 2 },
    { "zext32", VF_OP_ZEXT, 4 }, { "zext64", VF_OP_ZEXT, 8 },
    { "sext8", VF_OP_SEXT, 1 }, { "sext16", VF_OP_SEXT, 2 },
    { "sext32", VF_OP_SEXT, 4 }, { "sext64", VF_OP_SEXT, 8 },
};

static int load_expr(Parser *ps, VfOp op, uint8_t width)
{
    uint64_t off;

    const char *at;

    if (!accept(ps, "[")) {
        perr(ps, "expected '[' and an offset");
        return -1;
    }
    skip_space(ps);
    at = ps->p;
    if (!number(ps, &off)) {
        return -1;
    }
    if (!accept(ps, "]")) {
        perr(ps, "expected ']'");
        return -1;
    }
    if (off > VF_MAX_READ - width) {
        ps->p = at;
        perr(ps, "offset %" G_GUINT64_FORMAT ": loads end at or below %u",
             off, VF_MAX_READ);
        return -1;
    }
    return node(ps, (VfNode) { .op = op, .width = width,
                               .offset = (uint32_t)off });
}

static int primary(Parser *ps)
{
    g_autofree char *w = NULL;
    uint64_t v;
    int a;

    skip_space(ps);
    if (accept(ps, "(")) {
        a = expr(ps);
        if (a >= 0 && !accept(ps, ")")) {
            perr(ps, "expected ')'");
            return -1;
        }
        return a;
    }
    if (*ps->p == '\'') {
        return char_literal(ps, &v)
               ? node(ps, (VfNode) { .op = VF_OP_CONST, .imm = v }) : -1;
    }
    if (g_ascii_isdigit(*ps->p)) {
        return number(ps, &v)
               ? node(ps, (VfNode) { .op = VF_OP_CONST, .imm = v }) : -1;
    }
    w = word(ps);
    if (!w) {
        perr(ps, "expected an expression");
        return -1;
    }
    if (strcmp(w, "len") == 0) {
        return node(ps, (VfNode) { .op = VF_OP_LEN });
    }
    for (gsize i = 0; i < G_N_ELEMENTS(loads); i++) {
        if (strcmp(w, loads[i].name) == 0) {
            return load_expr(ps, loads[i].op, loads[i].width);
        }
    }
    for (gsize i = 0; i < G_N_ELEMENTS(exts); i++) {
        if (strcmp(w, exts[i].name) == 0) {
            if (!accept(ps, "(")) {
                perr(ps, "expected '(' after %s", w);
                return -1;
            }
            a = expr(ps);
            if (a < 0) {
                return -1;
            }
            if (!accept(ps, ")")) {
                perr(ps, "expected ')'");
                return -1;
            }
            return node(ps, (VfNode) { .op = exts[i].op,
                                       .width = exts[i].width, .a = a });
        }
    }
    {
        gpointer b = g_hash_table_lookup(ps->names, w);

        if (b) {
            return GPOINTER_TO_INT(b) - 1;
        }
    }
    perr(ps, "unknown name '%s'", w);
    return -1;
}

static int unary_nested(Parser *ps)
{
    int a;

    if (accept(ps, "~")) {
        a = unary(ps);
        return a < 0 ? -1 : node(ps, (VfNode) { .op = VF_OP_NOT, .a = a });
    }
    if (accept(ps, "-")) {
        a = unary(ps);
        return a < 0 ? -1 : node(ps, (VfNode) { .op = VF_OP_NEG, .a = a });
    }
    return primary(ps);
}

/* Every recursion of the grammar passes here. */
static int unary(Parser *ps)
{
    int a;

    if (ps->nesting >= MAX_NESTING) {
        perr(ps, "nested more than %d deep", MAX_NESTING);
        return -1;
    }
    ps->nesting++;
    a = unary_nested(ps);
    ps->nesting--;
    return a;
}

static int product(Parser *ps)
{
    int a = unary(ps);

    while (a >= 0 && accept(ps, "*")) {
        a = binary(ps, VF_OP_MUL, a, unary(ps));
    }
    return a;
}

static int sum(Parser *ps)
{
    int a = product(ps);

    while (a >= 0) {
        if (accept(ps, "+")) {
            a = binary(ps, VF_OP_ADD, a, product(ps));
        } else if (accept(ps, "-")) {
            a = binary(ps, VF_OP_SUB, a, product(ps));
        } else {
            break;
        }
    }
    return a;
}

static int shift(Parser *ps)
{
    int a = sum(ps);

    while (a >= 0) {
        if (accept(ps, "<<")) {
            a = binary(ps, VF_OP_SHL, a, sum(ps));
        } else if (accept(ps, ">>s")) {
            a = binary(ps, VF_OP_SAR, a, sum(ps));
        } else if (accept(ps, ">>")) {
            a = binary(ps, VF_OP_SHR, a, sum(ps));
        } else {
            break;
        }
    }
    return a;
}

/* Bitwise levels: & binds tighter than ^, ^ tighter than |. */
static int bit_and(Parser *ps)
{
    int a = shift(ps);

    while (a >= 0) {
        skip_space(ps);
        if (ps->p[0] != '&' || ps->p[1] == '&') {
            break;
        }
        ps->p++;
        a = binary(ps, VF_OP_AND, a, shift(ps));
    }
    return a;
}

static int bit_xor(Parser *ps)
{
    int a = bit_and(ps);

    while (a >= 0 && accept(ps, "^")) {
        a = binary(ps, VF_OP_XOR, a, bit_and(ps));
    }
    return a;
}

static int bit_or(Parser *ps)
{
    int a = bit_xor(ps);

    while (a >= 0) {
        skip_space(ps);
        if (ps->p[0] != '|' || ps->p[1] == '|') {
            break;
        }
        ps->p++;
        a = binary(ps, VF_OP_OR, a, bit_xor(ps));
    }
    return a;
}

/* Comparisons bind loosest and do not chain. */
static int expr(Parser *ps)
{
    static const struct {
        const char *tok;
        VfOp op;
        bool swap;
    } cmps[] = {        /* longest first */
        { "<=s", VF_OP_SLE, false }, { ">=s", VF_OP_SLE, true },
        { "<s", VF_OP_SLT, false }, { ">s", VF_OP_SLT, true },
        { "==", VF_OP_EQ, false }, { "!=", VF_OP_NE, false },
        { "<=", VF_OP_ULE, false }, { ">=", VF_OP_ULE, true },
        { "<", VF_OP_ULT, false }, { ">", VF_OP_ULT, true },
    };
    int a = bit_or(ps), b;

    if (a < 0) {
        return -1;
    }
    skip_space(ps);
    /* ">>" is a shift, not a comparison: bit_or has taken it already. */
    for (gsize i = 0; i < G_N_ELEMENTS(cmps); i++) {
        if (accept(ps, cmps[i].tok)) {
            b = bit_or(ps);
            if (b < 0) {
                return -1;
            }
            return cmps[i].swap ? binary(ps, cmps[i].op, b, a)
                                : binary(ps, cmps[i].op, a, b);
        }
    }
    return a;
}

/* ---- lines ---- */

static void expect_end(Parser *ps)
{
    if (!ps->failed && !at_end(ps)) {
        perr(ps, "unexpected text");
    }
}

static void add_condition(Parser *ps, int c)
{
    VfFilter *f = ps->f;

    for (unsigned i = 0; i < f->conditions->len; i++) {
        if (g_array_index(f->conditions, uint16_t, i) == c) {
            return;
        }
    }
    if (f->conditions->len >= VF_MAX_CONDITIONS) {
        perr(ps, "more than %d conditions", VF_MAX_CONDITIONS);
        return;
    }
    vf_add_condition(f, c);
}

static void require_line(Parser *ps)
{
    do {
        int c = expr(ps);

        if (c < 0) {
            return;
        }
        add_condition(ps, c);
    } while (accept(ps, "&&"));
    expect_end(ps);
}

static void let_line(Parser *ps)
{
    g_autofree char *name = word(ps);
    int v;

    if (!name || !g_ascii_isalpha(name[0])) {
        perr(ps, "let needs a name starting with a letter");
        return;
    }
    if (strcmp(name, "len") == 0 || g_hash_table_contains(ps->names, name)) {
        perr(ps, "'%s' is already defined", name);
        return;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(loads); i++) {
        if (strcmp(name, loads[i].name) == 0) {
            perr(ps, "'%s' is a load", name);
            return;
        }
    }
    for (gsize i = 0; i < G_N_ELEMENTS(exts); i++) {
        if (strcmp(name, exts[i].name) == 0) {
            perr(ps, "'%s' is an extension", name);
            return;
        }
    }
    if (!accept(ps, "=")) {
        perr(ps, "expected '=' after the name");
        return;
    }
    v = expr(ps);
    if (v < 0) {
        return;
    }
    expect_end(ps);
    g_hash_table_insert(ps->names, g_steal_pointer(&name),
                        GINT_TO_POINTER(v + 1));
}

static void digest_line(Parser *ps)
{
    g_autofree char *hex = word(ps);

    if (!hex || strlen(hex) != 2 * VF_DIGEST_SIZE) {
        perr(ps, "digest needs %d hexadecimal digits", 2 * VF_DIGEST_SIZE);
        return;
    }
    for (int i = 0; i < VF_DIGEST_SIZE; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]);
        int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            perr(ps, "digest needs %d hexadecimal digits",
                 2 * VF_DIGEST_SIZE);
            return;
        }
        ps->f->digest[i] = hi << 4 | lo;
    }
    expect_end(ps);
}

static void scope_line(Parser *ps, bool *seen)
{
    g_autofree char *t = word(ps);
    uint64_t port;

    if (*seen) {
        perr(ps, "a filter has one scope");
        return;
    }
    if (!t || (strcmp(t, "tcp") != 0 && strcmp(t, "udp") != 0)) {
        perr(ps, "scope needs tcp or udp, then a port");
        return;
    }
    if (!number(ps, &port)) {
        return;
    }
    if (port < 1 || port > 65535) {
        perr(ps, "port %" G_GUINT64_FORMAT " (1 to 65535)", port);
        return;
    }
    ps->f->transport = strcmp(t, "tcp") == 0 ? VF_TRANSPORT_TCP
                                             : VF_TRANSPORT_UDP;
    ps->f->port = (uint16_t)port;
    *seen = true;
    expect_end(ps);
}

static void program_line(Parser *ps, bool *seen)
{
    g_autofree char *name = word_of(ps, true);

    if (*seen) {
        perr(ps, "a filter names one program");
        return;
    }
    if (!name || strlen(name) > VF_NAME_MAX) {
        perr(ps, "program needs a name of 1 to %d letters, digits, '.', "
             "'_' or '-'", VF_NAME_MAX);
        return;
    }
    g_strlcpy(ps->f->name, name, sizeof(ps->f->name));
    *seen = true;
    expect_end(ps);
}

static void generator_line(Parser *ps)
{
    const char *s;
    size_t n;

    skip_space(ps);
    s = ps->p;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    if (n > VF_GENERATOR_MAX || !wire_text_ok(s, n)) {
        perr(ps, "generator text: printable ASCII, at most %d characters",
             VF_GENERATOR_MAX);
        return;
    }
    memcpy(ps->f->generator, s, n);
    ps->f->generator[n] = '\0';
    ps->p = s + n;
}

/*
 * Drop the nodes no condition uses (a `let` never referred to), keeping
 * the order of the rest: what is printed back compiles to the same.
 */
static void prune(VfFilter *f)
{
    g_autofree int *map = g_new(int, f->nodes->len);
    g_autofree bool *used = g_new0(bool, f->nodes->len);
    GArray *kept = g_array_new(FALSE, TRUE, sizeof(VfNode));

    for (unsigned i = 0; i < f->conditions->len; i++) {
        used[g_array_index(f->conditions, uint16_t, i)] = true;
    }
    for (unsigned i = f->nodes->len; i-- > 0;) {
        const VfNode *n = vf_node(f, i);

        if (used[i] && !is_leaf(n)) {
            used[n->a] = true;
            if (n->op != VF_OP_ZEXT && n->op != VF_OP_SEXT &&
                n->op != VF_OP_NOT && n->op != VF_OP_NEG) {
                used[n->b] = true;
            }
        }
    }
    for (unsigned i = 0; i < f->nodes->len; i++) {
        VfNode n = *vf_node(f, i);

        if (!used[i]) {
            continue;
        }
        if (!is_leaf(&n)) {
            n.a = map[n.a];
            if (n.op != VF_OP_ZEXT && n.op != VF_OP_SEXT &&
                n.op != VF_OP_NOT && n.op != VF_OP_NEG) {
                n.b = map[n.b];
            }
        }
        map[i] = kept->len;
        g_array_append_val(kept, n);
    }
    for (unsigned i = 0; i < f->conditions->len; i++) {
        uint16_t *c = &g_array_index(f->conditions, uint16_t, i);

        *c = map[*c];
    }
    g_array_unref(f->nodes);
    f->nodes = kept;
}

VfFilter *vf_compile(const char *text, GError **errp)
{
    g_autoptr(VfFilter) f = vf_new("", 0, 0);
    g_autoptr(GHashTable) consed = g_hash_table_new_full(g_str_hash,
                                                         g_str_equal,
                                                         g_free, NULL);
    g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash,
                                                        g_str_equal,
                                                        g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    Parser ps = { .f = f, .consed = consed, .names = names, .errp = errp };
    bool have_program = false, have_scope = false;
    g_autoptr(GError) err = NULL;

    for (unsigned i = 0; lines[i] && !ps.failed; i++) {
        g_autofree char *kw = NULL;
        size_t n = strlen(lines[i]);

        if (n && lines[i][n - 1] == '\r') {
            lines[i][n - 1] = '\0';
        }
        ps.line = ps.p = lines[i];
        ps.lineno = i + 1;
        for (const char *c = lines[i]; *c; c++) {
            if (*c != '\t' && !wire_text_ok(c, 1)) {
                ps.p = c;
                perr(&ps, "the text form is printable ASCII");
                break;
            }
        }
        if (ps.failed) {
            break;
        }
        if (at_end(&ps)) {
            continue;
        }
        kw = word(&ps);
        if (!kw) {
            perr(&ps, "expected program, digest, scope, generator, let or "
                 "require");
        } else if (strcmp(kw, "program") == 0) {
            program_line(&ps, &have_program);
        } else if (strcmp(kw, "digest") == 0) {
            digest_line(&ps);
        } else if (strcmp(kw, "scope") == 0) {
            scope_line(&ps, &have_scope);
        } else if (strcmp(kw, "generator") == 0) {
            generator_line(&ps);
        } else if (strcmp(kw, "let") == 0) {
            let_line(&ps);
        } else if (strcmp(kw, "require") == 0) {
            require_line(&ps);
        } else {
            ps.p -= strlen(kw);
            perr(&ps, "unknown statement '%s'", kw);
        }
    }
    if (ps.failed) {
        return NULL;
    }
    if (!have_program || !have_scope || !f->conditions->len) {
        g_set_error(errp, VF_ERROR, 0, "a filter needs a program line, a "
                    "scope line and at least one require line");
        return NULL;
    }
    prune(f);
    if (!vf_validate(f, &err)) {
        g_propagate_error(errp, g_steal_pointer(&err));
        return NULL;
    }
    return g_steal_pointer(&f);
}

/* ---- the text of a filter ---- */

static const char *load_name(const VfNode *n)
{
    for (gsize i = 0; i < G_N_ELEMENTS(loads); i++) {
        if (loads[i].op == n->op && loads[i].width == n->width) {
            return loads[i].name;
        }
    }
    return "u8";        /* 1-byte loads: one name for both byte orders */
}

static const char *binary_token(VfOp op, bool swapped)
{
    switch (op) {
    case VF_OP_ADD: return "+";
    case VF_OP_SUB: return "-";
    case VF_OP_MUL: return "*";
    case VF_OP_AND: return "&";
    case VF_OP_OR: return "|";
    case VF_OP_XOR: return "^";
    case VF_OP_SHL: return "<<";
    case VF_OP_SHR: return ">>";
    case VF_OP_SAR: return ">>s";
    case VF_OP_EQ: return "==";
    case VF_OP_NE: return "!=";
    case VF_OP_ULT:
        return swapped ? ">" : "<";
    case VF_OP_ULE:
        return swapped ? ">=" : "<=";
    case VF_OP_SLT:
        return swapped ? ">s" : "<s";
    case VF_OP_SLE:
        return swapped ? ">=s" : "<=s";
    default: return "?";
    }
}


/* Fully parenthesised, so precedence never matters on the way back. */
static void print_node(GString *s, const VfFilter *f, unsigned i,
                       const bool *bound, bool top)
{
    const VfNode *n = vf_node(f, i);
    bool swap;

    if (!top && bound[i]) {
        g_string_append_printf(s, "v%u", i);
        return;
    }
    switch (n->op) {
    case VF_OP_CONST:
        g_string_append_printf(s, n->imm < 10 ? "%" G_GUINT64_FORMAT
                                              : "0x%" G_GINT64_MODIFIER "x",
                               n->imm);
        return;
    case VF_OP_LEN:
        g_string_append(s, "len");
        return;
    case VF_OP_LOAD_LE:
    case VF_OP_LOAD_BE:
        g_string_append_printf(s, "%s[%u]", load_name(n), n->offset);
        return;
    case VF_OP_ZEXT:
    case VF_OP_SEXT:
        g_string_append_printf(s, "%s%u(", n->op == VF_OP_ZEXT ? "zext"
                                                               : "sext",
                               n->width * 8);
        print_node(s, f, n->a, bound, false);
        g_string_append_c(s, ')');
        return;
    case VF_OP_NOT:
    case VF_OP_NEG:
        g_string_append(s, n->op == VF_OP_NOT ? "~(" : "-(");
        print_node(s, f, n->a, bound, false);
        g_string_append_c(s, ')');
        return;
    default:
        /*
         * "x > y" compiles to y < x with y made after x: print it that
         * way again, so compiled text prints back to the same nodes.
         */
        swap = n->a > n->b && (n->op == VF_OP_ULT || n->op == VF_OP_ULE ||
                               n->op == VF_OP_SLT || n->op == VF_OP_SLE);
        g_string_append_c(s, '(');
        print_node(s, f, swap ? n->b : n->a, bound, false);
        g_string_append_printf(s, " %s ", binary_token(n->op, swap));
        print_node(s, f, swap ? n->a : n->b, bound, false);
        g_string_append_c(s, ')');
        return;
    }
}

char *vf_expr_text(const VfFilter *f, unsigned node)
{
    GString *s = g_string_new(NULL);
    g_autofree bool *bound = g_new0(bool, f->nodes->len);

    print_node(s, f, node, bound, false);
    return g_string_free(s, FALSE);
}

char *vf_to_text(const VfFilter *f)
{
    GString *s = g_string_new(NULL);
    g_autofree unsigned *uses = g_new0(unsigned, f->nodes->len);
    g_autofree bool *bound = g_new0(bool, f->nodes->len);
    bool all_zero = true;

    g_string_append_printf(s, "program %s\n", f->name);
    for (int i = 0; i < VF_DIGEST_SIZE; i++) {
        all_zero &= f->digest[i] == 0;
    }
    if (!all_zero) {
        g_string_append(s, "digest ");
        wire_append_hex(s, f->digest, VF_DIGEST_SIZE);
        g_string_append_c(s, '\n');
    }
    g_string_append_printf(s, "scope %s %u\n",
                           vf_transport_name(f->transport), f->port);
    if (f->generator[0]) {
        g_string_append_printf(s, "generator %s\n", f->generator);
    }
    for (unsigned i = 0; i < f->nodes->len; i++) {
        const VfNode *n = vf_node(f, i);

        if (!is_leaf(n)) {
            uses[n->a]++;
            if (n->op != VF_OP_ZEXT && n->op != VF_OP_SEXT &&
                n->op != VF_OP_NOT && n->op != VF_OP_NEG) {
                uses[n->b]++;
            }
        }
    }
    for (unsigned i = 0; i < f->conditions->len; i++) {
        uses[g_array_index(f->conditions, uint16_t, i)]++;
    }
    for (unsigned i = 0; i < f->nodes->len; i++) {
        if (uses[i] > 1 && !is_leaf(vf_node(f, i))) {
            g_string_append_printf(s, "let v%u = ", i);
            print_node(s, f, i, bound, true);
            g_string_append_c(s, '\n');
            bound[i] = true;
        }
    }
    for (unsigned i = 0; i < f->conditions->len; i++) {
        g_string_append(s, "require ");
        print_node(s, f, g_array_index(f->conditions, uint16_t, i), bound,
                   false);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}
