/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verifier's trap.  QMP vigilante-verify-arm sets an address (the
 * nonce planted in the hinted bytes of an AEC SCA, or the target of the
 * jump planted for an ACE SCA); vigilante-verify-arm-call sets a system
 * call and a path (the nonce planted for an AFA SCA);
 * vigilante-verify-arm-write an address (the nonce address planted in
 * a WWW SCA's pointer): a user-mode store to it either faults (seen at
 * the next TB lookup, the kernel's page fault handler, by CR2) or, if it
 * is mapped, hits a watchpoint whose hits come here (patch 0020) instead
 * of becoming debug stops.  While armed,
 * every TB lookup compares the guest's next pc with the address, or with
 * the kernel's system call entry points, where the call's number and
 * path argument are read from the registers and guest memory as the
 * kernel would.  So the guest is caught the moment it is about to
 * execute at the nonce, or to make the call, whether control arrives
 * through the main loop or an indirect-jump lookup.  A hit emits
 * VIGILANTE_VERIFIED and pauses the VM.  No taint tracking is involved.
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vigilante.h"
#include "qapi/qapi-events-vigilante.h"
#include "hw/core/cpu.h"
#include "sysemu/runstate.h"
#include "vigilante/verify.h"

VigilanteVerifyTrap vigilante_verify;

static void verify_hit(uint64_t pc)
{
    bool locked = qemu_mutex_iothread_locked();

    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    if (vigilante_verify.armed) {
        vigilante_verify.armed = false;
        qapi_event_send_vigilante_verified(pc);
        qemu_system_vmstop_request_prepare();
        qemu_system_vmstop_request(RUN_STATE_PAUSED);
    }
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
}

void vigilante_verify_lookup(CPUState *cpu, uint64_t pc)
{
    const VigilanteVerifyTrap *t = &vigilante_verify;

    if (t->on_write) {
        /* The store faulted: the kernel's handler is the next code. */
        if (vigilante_verify_write_fault(cpu, t->write_addr,
                                         VIGILANTE_VERIFY_WRITE_WINDOW)) {
            verify_hit(t->write_addr);
        }
        return;
    }
    if (t->on_pc) {
        if (pc == t->pc) {
            verify_hit(pc);
        }
        return;
    }
    for (unsigned i = 0; i < t->nentries; i++) {
        if (pc == t->entries[i] && vigilante_verify_call_matches(cpu, t, i)) {
            verify_hit(pc);
            return;
        }
    }
}

/*
 * Both traps are armed only while the VM is stopped, so no vCPU is inside
 * a TB lookup reading the settings while they change (a running VM could
 * otherwise read a freed path).
 */
static bool verify_can_arm(Error **errp)
{
    if (runstate_is_running()) {
        error_setg(errp, "stop the VM before arming the verifier's trap");
        return false;
    }
    return true;
}

/*
 * The write trap's watchpoints: inserted when armed, removed at the next
 * arming (not on a hit: the hit is reported from inside the watchpoint
 * list's walk), with the VM stopped either way.
 */
static void verify_watch_remove(void)
{
    CPUState *cpu;

    if (vigilante_verify.write_watched) {
        CPU_FOREACH(cpu) {
            cpu_watchpoint_remove(cpu, vigilante_verify.write_addr, 1,
                                  BP_MEM_WRITE);
        }
    }
    vigilante_verify.write_watched = false;
    vigilante_verify.on_write = false;
}

bool vigilante_verify_watchpoint(CPUState *cpu, CPUWatchpoint *wp,
                                 vaddr addr, vaddr len)
{
    const VigilanteVerifyTrap *t = &vigilante_verify;

    if (!t->write_watched || wp->vaddr != t->write_addr || wp->len != 1 ||
        (wp->flags & (BP_GDB | BP_CPU))) {
        return false;
    }
    /*
     * A store of the pointer's program (a pointer, a count), starting at
     * the nonce: not a bulk copy over it, not the kernel's.
     */
    if (qatomic_read(&t->armed) && addr == t->write_addr && len <= 8 &&
        vigilante_verify_user_mode(cpu)) {
        verify_hit(addr);
    }
    return true;
}

static void verify_disarm(void)
{
    qatomic_set(&vigilante_verify.armed, false);
    verify_watch_remove();
    g_free(vigilante_verify.path);
    vigilante_verify.path = NULL;
    vigilante_verify.on_pc = false;
    vigilante_verify.nentries = 0;
}

void qmp_vigilante_verify_arm(uint64_t target, Error **errp)
{
    if (!verify_can_arm(errp)) {
        return;
    }
    verify_disarm();
    vigilante_verify.on_pc = true;
    vigilante_verify.pc = target;
    qatomic_set(&vigilante_verify.armed, true);
}

void qmp_vigilante_verify_arm_write(uint64_t address, bool has_fault_only,
                                    bool fault_only, Error **errp)
{
    CPUState *cpu;

    if (!verify_can_arm(errp)) {
        return;
    }
    verify_disarm();
    vigilante_verify.write_addr = address;
    if (!(has_fault_only && fault_only)) {
        CPU_FOREACH(cpu) {
            vigilante_verify.write_watched = true;
            if (cpu_watchpoint_insert(cpu, address, 1, BP_MEM_WRITE, NULL)) {
                verify_watch_remove();
                error_setg(errp, "cannot watch writes to 0x%" PRIx64,
                           address);
                return;
            }
        }
    }
    vigilante_verify.on_write = true;
    qatomic_set(&vigilante_verify.armed, true);
}

void qmp_vigilante_verify_arm_call(VigilanteVerifyCall call,
                                   const char *path, Error **errp)
{
    CPUState *cpu = first_cpu;

    if (!path[0]) {
        error_setg(errp, "the path to watch for is empty");
        return;
    }
    if (!verify_can_arm(errp)) {
        return;
    }
    if (!cpu) {
        error_setg(errp, "no vCPU");
        return;
    }
    verify_disarm();
    /* The entry points as the guest's kernel has set them up. */
    if (!vigilante_verify_find_entries(cpu, &vigilante_verify, errp)) {
        return;
    }
    vigilante_verify.call = call == VIGILANTE_VERIFY_CALL_EXECVEAT
                            ? SCA_CALL_EXECVEAT : SCA_CALL_EXECVE;
    vigilante_verify.path = g_strdup(path);
    qatomic_set(&vigilante_verify.armed, true);
}
