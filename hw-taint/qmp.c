/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP interface of the taint engine.
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vigilante.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw-taint/taint.h"
#include "hw-taint/input.h"
#include "vigilante/event-log.h"

TaintInfo *qmp_query_taint(Error **errp)
{
    TaintInfo *info = g_new0(TaintInfo, 1);

    info->enabled = hw_taint_on;
    info->dirty_bytes = taint_shadow_dirty_bytes();
    info->dirty_pages = taint_shadow_dirty_pages();
    info->input_events = hw_taint_input_events();
    info->input_bytes = hw_taint_input_bytes();
    info->shadow_bytes = taint_shadow_bytes();
    info->event_log_bytes = vigilante_event_log_bytes();
    if (hw_taint_on) {
        uint64_t ns;

        taint_mode_stats(&info->dirty_mode_entries, &ns);
        info->dirty_mode_ms = ns / 1000000;
    }
    return info;
}

#define LABELS_MAX_SIZE 65536

/* ram_addr of a guest-physical address, or RAM_ADDR_INVALID. */
static ram_addr_t phys_to_ram(hwaddr pa)
{
    hwaddr xlat, len = 1;
    MemoryRegion *mr;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(&address_space_memory, pa, &xlat, &len,
                                 false, MEMTXATTRS_UNSPECIFIED);
    if (!memory_region_is_ram(mr)) {
        return RAM_ADDR_INVALID;
    }
    return memory_region_get_ram_addr(mr) + xlat;
}

TaintByteLabelList *qmp_query_taint_labels(uint64_t addr, uint32_t size,
                                           Error **errp)
{
    TaintByteLabelList *head = NULL, **tail = &head;

    if (!hw_taint_on) {
        error_setg(errp, "taint tracking is off (-accel tcg,taint=on)");
        return NULL;
    }
    if (size == 0 || size > LABELS_MAX_SIZE) {
        error_setg(errp, "size must be 1 to %d", LABELS_MAX_SIZE);
        return NULL;
    }
    for (uint32_t i = 0; i < size; i++) {
        ram_addr_t ram = phys_to_ram(addr + i);
        TaintLabel l = ram == RAM_ADDR_INVALID ? 0 : taint_shadow_get(ram);
        TaintByteLabel *b;

        if (!l) {
            continue;
        }
        b = g_new0(TaintByteLabel, 1);
        b->index = i;
        if (!hw_taint_label_lookup(l, &b->event, &b->offset)) {
            b->event = 0;
            b->offset = 0;
        }
        QAPI_LIST_APPEND(tail, b);
    }
    return head;
}
