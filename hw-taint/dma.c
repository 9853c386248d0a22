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

/* Next label for the bracketed frame copy; 0 when none is in progress.
 * Device emulation runs under the BQL, so one cursor is enough. */
static TaintLabel dma_cursor;

void hw_taint_dma_begin(TaintLabel first, size_t offset)
{
    dma_cursor = first ? first + offset : 0;
}

void hw_taint_dma_end(void)
{
    dma_cursor = 0;
}

void hw_taint_ram_written_slow(ram_addr_t addr, uint64_t len)
{
    if (dma_cursor) {
        taint_shadow_set_seq(addr, len, dma_cursor);
        dma_cursor += len;
    } else if (taint_shadow_any()) {
        taint_shadow_clear(addr, len);
    }
}
