/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86 Linux exec system calls (exec-abi.h).  The kernel takes the
 * call number from eax alone (do_syscall_64 gets it as an int), so the
 * upper half of rax is ignored here too; x32 numbers carry bit 30 and are
 * listed in case the guest's kernel serves x32.
 */
#include "qemu/osdep.h"
#include "cpu.h"
#include "vigilante/exec-abi.h"

#define X32_SYSCALL_BIT 0x40000000u

static const struct {
    VigilanteExecAbi abi;
    uint32_t nr;
    ScaCall call;
    int path_reg;
} exec_calls[] = {
    { VIGILANTE_EXEC_ABI_X86_64, 59, SCA_CALL_EXECVE, R_EDI },
    { VIGILANTE_EXEC_ABI_X86_64, 322, SCA_CALL_EXECVEAT, R_ESI },
    { VIGILANTE_EXEC_ABI_X86_64, X32_SYSCALL_BIT | 520, SCA_CALL_EXECVE,
      R_EDI },
    { VIGILANTE_EXEC_ABI_X86_64, X32_SYSCALL_BIT | 545, SCA_CALL_EXECVEAT,
      R_ESI },
    /* kernels before 5.4 took the x32 bit off and ran the 64-bit call */
    { VIGILANTE_EXEC_ABI_X86_64, X32_SYSCALL_BIT | 59, SCA_CALL_EXECVE,
      R_EDI },
    { VIGILANTE_EXEC_ABI_X86_64, X32_SYSCALL_BIT | 322, SCA_CALL_EXECVEAT,
      R_ESI },
    { VIGILANTE_EXEC_ABI_I386, 11, SCA_CALL_EXECVE, R_EBX },
    { VIGILANTE_EXEC_ABI_I386, 358, SCA_CALL_EXECVEAT, R_ECX },
    { VIGILANTE_EXEC_ABI_I386_SYSCALL, 11, SCA_CALL_EXECVE, R_EBX },
    { VIGILANTE_EXEC_ABI_I386_SYSCALL, 358, SCA_CALL_EXECVEAT, R_EBP },
};

ScaCall vigilante_exec_call(CPUArchState *env, VigilanteExecAbi abi,
                            uint64_t *path)
{
    uint32_t nr = env->regs[R_EAX];

    for (size_t i = 0; i < ARRAY_SIZE(exec_calls); i++) {
        if (exec_calls[i].abi == abi && exec_calls[i].nr == nr) {
            *path = env->regs[exec_calls[i].path_reg];
            if (abi != VIGILANTE_EXEC_ABI_X86_64) {
                *path = (uint32_t)*path;        /* i386: 32-bit registers */
            }
            return exec_calls[i].call;
        }
    }
    return SCA_CALL_NONE;
}
