/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The taint engine's interface to the rest of QEMU: whether it is on,
 * the sources (frames received by virtual NICs), and the hook that every
 * device write into guest RAM passes.
 */
#ifndef HW_TAINT_TAINT_H
#define HW_TAINT_TAINT_H

#include "exec/cpu-common.h"
#include "hw-taint/shadow-mem.h"

/* Set by -accel tcg,taint=on before the machine is created. */
extern bool hw_taint_on;

/*
 * Switch the engine on or off: -accel tcg,taint= and -object
 * vigilante,taint= (accel-prop.c).  Only before the accelerator is set
 * up.  (The vigilante object refuses a machine not run by TCG.)
 */
bool hw_taint_switch(bool on, Error **errp);
const char *hw_taint_kernel_mode(void);
bool hw_taint_set_kernel_mode(const char *value, Error **errp);

static inline bool hw_taint_enabled(void)
{
    return hw_taint_on;
}

/*
 * -accel tcg,taint-kernel=moves (default): in kernel code only data the
 * kernel moves keeps its labels (docs/taint-engine.md, "Kernel code");
 * all: every rule applies there too, for guests whose services run in
 * the kernel (unikernels, the tiny test guests).
 */
extern bool hw_taint_kernel_all;

/*
 * Fail closed (nic-check.c): is this net client model one whose receive
 * path labels frames?  With taint on, the emulator refuses to start with
 * any other NIC (checked once the machine is built).
 */
bool hw_taint_nic_model_labelled(const char *model);
void hw_taint_nic_check_register(void);

/*
 * Adds the "taint" and "taint-kernel" properties to the TCG accelerator
 * class.
 */
void hw_taint_accel_class_init(ObjectClass *oc);

/*
 * Elastic mode statistics (accel/tcg/taint-mode.c): how often the vCPUs
 * switched to instrumented (dirty-mode) code, and the time they spent in
 * it, in ns.
 */
void taint_mode_stats(uint64_t *dirty_entries, uint64_t *dirty_ns);

/*
 * Register a frame that a NIC is about to write into guest RAM: it gets
 * an input event id and one label per byte.  Returns the label of its
 * first byte (label + i is byte i), or 0 when taint is off.
 */
TaintLabel hw_taint_input_frame(const char *nic, const struct iovec *iov,
                                int iovcnt);

/*
 * Called for each registered frame (event id, NIC name, bytes): the
 * vigilante event log keeps copies.  One observer; NULL removes it.
 */
typedef void HWTaintInputObserver(uint64_t event, const char *nic,
                                  const struct iovec *iov, int iovcnt);
void hw_taint_set_input_observer(HWTaintInputObserver *fn);

/* The same for a frame in one buffer. */
TaintLabel hw_taint_input_buf(const char *nic, const void *buf, size_t size);

/*
 * Device writes into guest RAM between begin and end get consecutive
 * labels: byte `offset` onwards of the frame whose first label is first
 * (first 0: they clean, as all other writes do).
 */
void hw_taint_dma_begin(TaintLabel first, size_t offset);
void hw_taint_dma_end(void);

/*
 * After hw_taint_dma_begin: of the bytes written next, the first `skip`
 * are not frame bytes (virtio-net's header) and the `count` after them
 * are; everything else written before hw_taint_dma_end() (ring updates)
 * stays clean.
 */
void hw_taint_dma_window(size_t skip, size_t count);

void hw_taint_ram_written_slow(ram_addr_t addr, uint64_t len);

/* Called for every device (non-CPU) write into guest RAM. */
static inline void hw_taint_ram_written(ram_addr_t addr, uint64_t len)
{
    if (unlikely(hw_taint_on)) {
        hw_taint_ram_written_slow(addr, len);
    }
}

#endif
