/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Taint sources and cleaning at the DMA boundary.  Every device write into
 * guest RAM reaches hw_taint_ram_written() (from physmem's
 * invalidate_and_set_dirty()): NIC receive paths bracket their frame
 * copies with hw_taint_dma_begin/end so that those bytes are labelled;
 * every other device write (descriptors, disk, display, firmware loading)
 * cleans what it overwrites.
 */
#include "qemu/osdep.h"
#include "hw-taint/taint.h"

bool hw_taint_on;

/*
 * The bracketed frame copy: next label, bytes to leave clean before it,
 * and how many bytes may still be labelled (UINT64_MAX: no limit).
 * Device emulation runs under the BQL, so one cursor is enough.
 */
static TaintLabel dma_cursor;
static uint64_t dma_skip;
static uint64_t dma_count;

void hw_taint_dma_begin(TaintLabel first, size_t offset)
{
    dma_cursor = first ? first + offset : 0;
    dma_skip = 0;
    dma_count = UINT64_MAX;
}

void hw_taint_dma_window(size_t skip, size_t count)
{
    dma_skip = skip;
    dma_count = count;
}

void hw_taint_dma_end(void)
{
    dma_cursor = 0;
}

void hw_taint_ram_written_slow(ram_addr_t addr, uint64_t len)
{
    uint64_t n;

    if (dma_cursor) {
        n = MIN(len, dma_skip);
        dma_skip -= n;
        taint_shadow_clear(addr, n);
        addr += n;
        len -= n;

        n = MIN(len, dma_count);
        dma_count -= n;
        taint_shadow_set_seq(addr, n, dma_cursor);
        dma_cursor += n;
        addr += n;
        len -= n;
    }
    if (len && taint_shadow_any()) {
        taint_shadow_clear(addr, len);
    }
}
