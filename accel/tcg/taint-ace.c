/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACE: the guest is about to execute bytes that came from the network.
 * Checked once per translation, against the shadow of the guest-physical
 * pages the TB was translated from; writes into translated pages
 * invalidate the TBs already, so dirty bytes written over code are caught
 * when the code is translated again.
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "hw-taint/taint.h"
#include "vigilante/detector.h"
#include "taint-ace.h"
#include "taint-prop.h"

#include <capstone.h>

/* Capstone mode for the code segment the TB runs in. */
static cs_mode tb_cs_mode(const TranslationBlock *tb)
{
    if (tb->flags & HF_CS64_MASK) {
        return CS_MODE_64;
    }
    return tb->flags & HF_CS32_MASK ? CS_MODE_32 : CS_MODE_16;
}

/*
 * Disassemble the TB's instructions (code) up to the one holding byte
 * `dirty`; its address and text go to *insn_pc and the returned string.
 */
static char *find_insn(const TranslationBlock *tb, const uint8_t *code,
                       size_t dirty, uint64_t *insn_pc)
{
    const uint8_t *p = code;
    size_t left = tb->size;
    uint64_t addr = tb->pc;
    csh handle;
    cs_insn *insn;
    char *text = NULL;

    *insn_pc = tb->pc + dirty;
    if (cs_open(CS_ARCH_X86, tb_cs_mode(tb), &handle) != CS_ERR_OK) {
        return g_strdup("(unavailable)");
    }
    insn = cs_malloc(handle);
    while (cs_disasm_iter(handle, &p, &left, &addr, insn)) {
        if (insn->address + insn->size > tb->pc + dirty) {
            *insn_pc = insn->address;
            text = g_strdup_printf("%s %s", insn->mnemonic, insn->op_str);
            break;
        }
    }
    cs_free(insn, 1);
    cs_close(&handle);
    return text ? text : g_strdup("(undecodable)");
}

/* How far an alert follows the dirty code past the end of its TB. */
#define ACE_RUN_MAX 4096

/*
 * The alert's labels: the run of bytes from the first dirty one that came
 * from consecutive offsets of the input, followed past the TB's end (a
 * shellcode's first TB may be a 2-byte jmp short, and the SCA's hint must
 * cover the code that came from the message, with room for the
 * verifier's jump), then the TB's other dirty bytes.  Returns how many.
 */
static size_t ace_labels(CPUState *cpu, const TranslationBlock *tb,
                         const TaintLabel *labels, size_t first,
                         TaintLabel *out)
{
    size_t n = 0, i = first;

    out[n++] = labels[i++];
    while (i < tb->size && labels[i] && labels[i] == labels[i - 1] + 1) {
        out[n++] = labels[i++];
    }
    if (i == tb->size) {
        for (size_t k = 0; k < ACE_RUN_MAX; k++) {
            TaintLabel l = taint_debug_label(cpu, tb->pc + tb->size + k);

            if (!l || l != out[n - 1] + 1) {
                break;
            }
            out[n++] = l;
        }
    }
    for (; i < tb->size; i++) {
        if (labels[i]) {
            out[n++] = labels[i];
        }
    }
    return n;
}

/* Raise the alert if the TB holds dirty bytes; true: do not run it. */
static bool tb_code_alert(CPUState *cpu, TranslationBlock *tb)
{
    tb_page_addr_t p0 = tb_page_addr0(tb), p1 = tb_page_addr1(tb);
    size_t n0, first_dirty = 0;
    g_autofree TaintLabel *labels = NULL;
    g_autofree TaintLabel *dirty = NULL;
    g_autofree char *insn = NULL;
    g_autofree uint8_t *code = NULL;
    uint64_t site = 0xcbf29ce484222325ull;
    size_t ndirty = 0;
    uint64_t insn_pc;
    VigilanteAlertSpec spec;

    if (p0 == -1 || tb->size == 0) {
        return false;
    }
    if (!taint_shadow_page_dirty(p0) &&
        (p1 == -1 || !taint_shadow_page_dirty(p1))) {
        return false;
    }
    if (vigilante_stopping()) {
        return true;            /* an alert is being acted on already */
    }
    n0 = MIN(tb->size, TARGET_PAGE_SIZE - (tb->pc & ~TARGET_PAGE_MASK));
    labels = g_new0(TaintLabel, tb->size);
    taint_shadow_read(p0, n0, labels);
    if (n0 < tb->size && p1 != -1) {
        taint_shadow_read(p1, tb->size - n0, labels + n0);
    }
    while (first_dirty < tb->size && !labels[first_dirty]) {
        first_dirty++;
    }
    if (first_dirty == tb->size) {
        return false;
    }
    dirty = g_new(TaintLabel, tb->size + ACE_RUN_MAX);
    ndirty = ace_labels(cpu, tb, labels, first_dirty, dirty);

    code = g_malloc0(tb->size);
    if (cpu_memory_rw_debug(cpu, tb->pc, code, tb->size, false) != 0) {
        insn = g_strdup("(unavailable)");
        insn_pc = tb->pc + first_dirty;
    } else {
        insn = find_insn(tb, code, first_dirty, &insn_pc);
    }
    /* FNV-1a over the dirty code: the same attack in another buffer. */
    for (size_t i = first_dirty; i < tb->size; i++) {
        site = (site ^ code[i]) * 0x100000001b3ull;
    }
    spec = (VigilanteAlertSpec) {
        .type = VIGILANTE_ALERT_TYPE_ACE,
        .pc = insn_pc,
        .insn = insn,
        .target = tb->pc + first_dirty,
        .labels = dirty,
        .nlabels = ndirty,
        .site = site,
        .code_bits = tb->flags & HF_CS64_MASK ? 64 :
                     tb->flags & HF_CS32_MASK ? 32 : 16,
    };
    return vigilante_alert(&spec);
}

bool taint_tb_code_alert(CPUState *cpu, TranslationBlock *tb)
{
    bool locked = qemu_mutex_iothread_locked();
    bool stop;

    tb_page_addr_t p0 = tb_page_addr0(tb), p1 = tb_page_addr1(tb);

    if (!hw_taint_enabled() || !taint_shadow_any() ||
        !vigilante_policy_enabled(VIGILANTE_ALERT_TYPE_ACE)) {
        return false;
    }
    /*
     * Cheap filter first, without the BQL: a dirty guest (receive buffers
     * everywhere) must not take the lock for every translation.  This
     * only peeks at the directory's page pointers; the check that counts
     * is repeated under the lock.
     */
    if (p0 == -1 || (!taint_shadow_page_dirty(p0) &&
                     (p1 == -1 || !taint_shadow_page_dirty(p1)))) {
        return false;
    }
    /* Shadow memory is updated by device emulation under the BQL. */
    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    stop = tb_code_alert(cpu, tb);
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
    return stop;
}
