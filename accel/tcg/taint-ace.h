/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ACE sink: code translated from dirty bytes.
 */
#ifndef ACCEL_TCG_TAINT_ACE_H
#define ACCEL_TCG_TAINT_ACE_H

#include "exec/exec-all.h"

/*
 * Called for each newly translated TB before it is published: when any
 * byte it was translated from is dirty and the ace policy is on, raise
 * the alert.  Returns true when the TB must not run (action pause or
 * quit): the caller discards it and leaves the CPU loop.
 */
bool taint_tb_code_alert(CPUState *cpu, TranslationBlock *tb);

#endif
