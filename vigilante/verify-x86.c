/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verifier's system call trap on x86 (vigilante/verify.c): where the
 * guest's kernel is entered for a system call, and which registers carry
 * the number and the path there.  At the first TB of an entry point the
 * registers still hold what user space passed (the kernel has not run
 * yet) and the user's page tables are live, so the path is read as the
 * kernel is about to read it.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "cpu.h"
#include "exec/cpu-common.h"
#include "vigilante/exec-abi.h"
#include "vigilante/verify.h"

/* Longest path compared: the kernel's PATH_MAX. */
#define VERIFY_PATH_MAX 4096

static void add_entry(VigilanteVerifyTrap *t, uint64_t pc, bool i386,
                      bool cstar)
{
    if (!pc || t->nentries == VIGILANTE_VERIFY_MAX_ENTRIES) {
        return;
    }
    for (unsigned i = 0; i < t->nentries; i++) {
        if (t->entries[i] == pc) {
            return;
        }
    }
    t->entries[t->nentries] = pc;
    t->entry_i386[t->nentries] = i386;
    t->entry_cstar[t->nentries] = cstar;
    t->nentries++;
}

/* The handler of interrupt gate 0x80 (the i386 ABI's int $0x80). */
static uint64_t int80_handler(CPUState *cs, CPUX86State *env)
{
    uint8_t g[16];

    if (env->hflags & HF_LMA_MASK) {
        if (env->idt.limit < 0x80 * 16 + 15 ||
            cpu_memory_rw_debug(cs, env->idt.base + 0x80 * 16, g, 16,
                                false)) {
            return 0;
        }
        return lduw_le_p(g) | (uint64_t)lduw_le_p(g + 6) << 16 |
               (uint64_t)ldl_le_p(g + 8) << 32;
    }
    if (env->idt.limit < 0x80 * 8 + 7 ||
        cpu_memory_rw_debug(cs, env->idt.base + 0x80 * 8, g, 8, false)) {
        return 0;
    }
    return lduw_le_p(g) | (uint32_t)lduw_le_p(g + 6) << 16;
}

bool vigilante_verify_find_entries(CPUState *first, VigilanteVerifyTrap *t,
                                   Error **errp)
{
    CPUState *cs;

    t->nentries = 0;
    /* Every vCPU's: some kernels give each CPU its own entry trampoline. */
    CPU_FOREACH(cs) {
        CPUX86State *env = &X86_CPU(cs)->env;

#ifdef TARGET_X86_64
        if (env->hflags & HF_LMA_MASK) {
            add_entry(t, env->lstar, false, false);
            add_entry(t, env->cstar, true, true);
        }
#endif
        if (!(env->hflags & HF_LMA_MASK) && (env->efer & MSR_EFER_SCE)) {
            add_entry(t, (uint32_t)env->star, true, false);
        }
        add_entry(t, env->sysenter_eip, true, false);
        add_entry(t, int80_handler(cs, env), true, false);
    }
    if (!t->nentries) {
        error_setg(errp, "the guest's kernel has set up no system call "
                   "entry point yet");
        return false;
    }
    return true;
}

/*
 * The path at guest address @va up to its terminator (not included), read
 * a page at a time so that a short path near the end of a mapping reads;
 * at most VERIFY_PATH_MAX bytes.  Returns its length.
 */
static size_t read_path(CPUState *cs, uint64_t va, uint8_t *buf)
{
    size_t n = 0;

    while (n < VERIFY_PATH_MAX) {
        size_t chunk = MIN(VERIFY_PATH_MAX - n,
                           TARGET_PAGE_SIZE - ((va + n) & ~TARGET_PAGE_MASK));
        uint8_t *nul;

        if (cpu_memory_rw_debug(cs, va + n, buf + n, chunk, false)) {
            break;
        }
        nul = memchr(buf + n, 0, chunk);
        if (nul) {
            return nul - buf;
        }
        n += chunk;
    }
    return n;
}

bool vigilante_verify_call_matches(CPUState *cs, const VigilanteVerifyTrap *t,
                                   unsigned i)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    VigilanteExecAbi abi = !t->entry_i386[i] ? VIGILANTE_EXEC_ABI_X86_64
                           : t->entry_cstar[i] ? VIGILANTE_EXEC_ABI_I386_SYSCALL
                           : VIGILANTE_EXEC_ABI_I386;
    size_t len = strlen(t->path), plen;
    g_autofree uint8_t *buf = NULL;
    uint64_t path;

    if (vigilante_exec_call(env, abi, &path) != t->call) {
        return false;
    }
    if (len >= VERIFY_PATH_MAX) {
        return false;
    }
    buf = g_malloc(VERIFY_PATH_MAX);
    plen = read_path(cs, path, buf);
    /*
     * The nonce anywhere in the path: the program may put a prefix of its
     * own before the bytes it was sent, or end them itself.
     */
    return memmem(buf, plen, t->path, len) != NULL;
}

bool vigilante_verify_user_mode(CPUState *cpu)
{
    return (X86_CPU(cpu)->env.hflags & HF_CPL_MASK) == 3;
}

bool vigilante_verify_write_fault(CPUState *cpu, uint64_t addr,
                                  uint64_t window)
{
    CPUX86State *env = &X86_CPU(cpu)->env;
    int want = PG_ERROR_W_MASK | PG_ERROR_U_MASK;
    uint64_t d = env->cr[2] - addr;

    return (d <= window || -d <= window) &&
           (env->error_code & want) == want;
}
