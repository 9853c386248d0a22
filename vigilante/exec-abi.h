/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86 Linux system calls that execute a program, as user space makes
 * them: which numbers, under which ABI, with the path in which register.
 * One description for the AFA sink (accel/tcg/taint-sinks.c, just before
 * the instruction that enters the kernel) and the verifier's trap
 * (vigilante/verify-x86.c, at the kernel's entry point): both see the
 * registers as user space left them.
 */
#ifndef VIGILANTE_EXEC_ABI_H
#define VIGILANTE_EXEC_ABI_H

#include "vigilante/sca.h"

typedef enum {
    VIGILANTE_EXEC_ABI_X86_64,          /* syscall from 64-bit code */
    VIGILANTE_EXEC_ABI_I386,            /* int $0x80, sysenter */
    /*
     * syscall from 32-bit code: it clobbers ecx, so the vDSO passes the
     * second argument in ebp, where the kernel's compat entry reads it
     */
    VIGILANTE_EXEC_ABI_I386_SYSCALL,
} VigilanteExecAbi;

/*
 * The exec call (SCA_CALL_EXECVE or SCA_CALL_EXECVEAT) that the system
 * call in the guest's registers is under @abi, with its path's guest
 * virtual address in *path; SCA_CALL_NONE for any other call.
 */
ScaCall vigilante_exec_call(CPUArchState *env, VigilanteExecAbi abi,
                            uint64_t *path);

#endif
