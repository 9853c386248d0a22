/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verifier's trap (vigilante/verify.c): with taint tracking off, a
 * replayed SCA is verified when the guest is about to run code at the
 * nonce the verifier planted (AEC, ACE), enters the kernel for the
 * dangerous system call with the nonce as its argument (AFA), or stores
 * to the nonce address planted in its pointer (WWW).
 */
#ifndef VIGILANTE_VERIFY_H
#define VIGILANTE_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/core/cpu.h"
#include "vigilante/sca.h"

/*
 * How far from the write trap's address a faulting store may land: the
 * detector takes a store up to 4 KiB from the pointer as chosen (a field
 * of the struct it points to, vigilante/placed.c).
 */
#define VIGILANTE_VERIFY_WRITE_WINDOW 4096

/* Four kinds of entry, for up to four vCPUs with their own entries. */
#define VIGILANTE_VERIFY_MAX_ENTRIES 16

typedef struct VigilanteVerifyTrap {
    bool armed;
    /* AEC, ACE: the nonce pc. */
    bool on_pc;
    uint64_t pc;
    /* AFA: the kernel's system call entry points, the call, the path. */
    unsigned nentries;
    uint64_t entries[VIGILANTE_VERIFY_MAX_ENTRIES];
    bool entry_i386[VIGILANTE_VERIFY_MAX_ENTRIES];
    bool entry_cstar[VIGILANTE_VERIFY_MAX_ENTRIES];
    ScaCall call;
    char *path;
    /* WWW: a store to this address (a page fault, or a watchpoint). */
    bool on_write;
    bool write_watched;         /* the watchpoints are in */
    uint64_t write_addr;
} VigilanteVerifyTrap;

extern VigilanteVerifyTrap vigilante_verify;

/* Called from the TB lookup (patch 0017) while armed. */
void vigilante_verify_lookup(CPUState *cpu, uint64_t pc);

static inline void vigilante_verify_check(CPUState *cpu, uint64_t pc)
{
    if (__builtin_expect(vigilante_verify.armed, 0)) {
        vigilante_verify_lookup(cpu, pc);
    }
}

/*
 * Called by cpu_check_watchpoint() (patch 0020) for a watchpoint that
 * matched: true when it is the verifier's write trap (handled here, no
 * debug stop), false for anyone else's.
 */
bool vigilante_verify_watchpoint(CPUState *cpu, CPUWatchpoint *wp,
                                 vaddr addr, vaddr len);

/*
 * Target code (verify-x86.c): the system call entry points of the
 * guest's kernel as it stands, and whether the guest, entering at
 * entry `i`, makes `call` with `path`.
 */
bool vigilante_verify_find_entries(CPUState *cpu, VigilanteVerifyTrap *t,
                                   Error **errp);
bool vigilante_verify_call_matches(CPUState *cpu,
                                   const VigilanteVerifyTrap *t, unsigned i);
/* Is the vCPU running user code (x86: CPL 3)? */
bool vigilante_verify_user_mode(CPUState *cpu);
/*
 * Has a user-mode write just faulted within `window` bytes of addr (x86:
 * CR2, error code)?
 */
bool vigilante_verify_write_fault(CPUState *cpu, uint64_t addr,
                                  uint64_t window);

#endif
