/*
 * The ACE sink: code translated from dirty bytes.
 */
#ifndef ACCEL_TCG_TAINT_ACE_H
#define ACCEL_TCG_TAINT_ACE_H

#include "exec/exec-all.h"

/*
 * Called for each newly translated TB before it is published: when any
 * byte it was translated from is dirty and the ace policy is on, raise
 * the alert and, unless the action is continue, leave the CPU loop
 * before the TB can run.
 */
void taint_check_tb_code(CPUState *cpu, TranslationBlock *tb);

#endif
