/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rewinding a VM in place to a checkpoint (vigilante-checkpoint,
 * vigilante-rewind).  Filter generation replays dozens of messages on
 * the same snapshot; a fresh emulator per replay costs a restore (about
 * 100 ms of CPU for the Linux test guest) and translates the guest's
 * network path again, while a rewind costs the pages the replay wrote.
 *
 * A checkpoint copies every migratable RAM block and the device state
 * (the vmstate of everything but RAM, taken as COLO takes it) and starts
 * dirty logging, so that writes by the vCPUs and by DMA mark their pages.
 * A rewind copies those pages back, drops code translated from them,
 * loads the device state again (CPUs, devices, the timers it holds,
 * what the user-mode network migrates) and purges frames queued between
 * the NICs and their peers.  Not put back: host-side connections of the
 * user-mode network (the host closes its sockets; the rewound guest
 * resets what slirp still sends it) and timers no vmstate holds.
 * Guests with disks are not rewound: their writes are not in RAM.
 */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include "qemu/rcu.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vigilante.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/ram_addr.h"
#include "exec/ramblock.h"
#include "hw/core/cpu.h"
#include "io/channel-buffer.h"
#include "migration/global_state.h"
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "net/net.h"
#include "sysemu/block-backend.h"
#include "sysemu/runstate.h"

typedef struct {
    RAMBlock *rb;
    char idstr[sizeof(((RAMBlock *)0)->idstr)];
    ram_addr_t length;          /* its used_length then */
    uint8_t *copy;              /* length bytes; zero pages unset */
} RewindBlock;

static struct {
    GArray *blocks;             /* RewindBlock; NULL: no checkpoint */
    GByteArray *devices;        /* qemu_save_device_state()'s stream */
} ckpt;

static void checkpoint_clear(void)
{
    if (ckpt.blocks) {
        for (guint i = 0; i < ckpt.blocks->len; i++) {
            g_free(g_array_index(ckpt.blocks, RewindBlock, i).copy);
        }
        g_array_free(ckpt.blocks, true);
        ckpt.blocks = NULL;
    }
    if (ckpt.devices) {
        g_byte_array_free(ckpt.devices, true);
        ckpt.devices = NULL;
    }
}

static bool rewind_can(Error **errp)
{
    BlockBackend *blk = NULL;

    if (runstate_is_running()) {
        error_setg(errp, "the VM must be stopped");
        return false;
    }
    while ((blk = blk_all_next(blk))) {
        if (blk_is_inserted(blk) && blk_is_writable(blk)) {
            error_setg(errp, "a VM with a writable disk (%s) cannot be "
                       "rewound", blk_name(blk));
            return false;
        }
    }
    return true;
}

static uint64_t copy_blocks(void)
{
    RAMBlock *rb;
    uint64_t pages = 0;

    RCU_READ_LOCK_GUARD();
    RAMBLOCK_FOREACH(rb) {
        RewindBlock b = { .rb = rb, .length = rb->used_length };

        if (!qemu_ram_is_migratable(rb)) {
            continue;
        }
        pstrcpy(b.idstr, sizeof(b.idstr), rb->idstr);
        /* Large: mapped untouched, so zero pages take no memory. */
        b.copy = g_malloc0(rb->used_length);
        for (ram_addr_t off = 0; off < rb->used_length;
             off += TARGET_PAGE_SIZE) {
            if (!buffer_is_zero(rb->host + off, TARGET_PAGE_SIZE)) {
                memcpy(b.copy + off, rb->host + off, TARGET_PAGE_SIZE);
                pages++;
            }
        }
        g_array_append_val(ckpt.blocks, b);
    }
    return pages;
}

static bool save_devices(Error **errp)
{
    QIOChannelBuffer *bioc = qio_channel_buffer_new(64 * KiB);
    QEMUFile *f = qemu_file_new_output(QIO_CHANNEL(bioc));
    int ret;

    /* The run state's record, which a migration would have made */
    global_state_store();
    ret = qemu_save_device_state(f);

    qemu_fflush(f);
    if (!ret) {
        ret = qemu_file_get_error(f);
    }
    if (!ret) {
        ckpt.devices = g_byte_array_new();
        g_byte_array_append(ckpt.devices, bioc->data, bioc->usage);
    }
    qemu_fclose(f);
    object_unref(OBJECT(bioc));
    if (ret) {
        error_setg(errp, "saving the device state failed (%d)", ret);
        return false;
    }
    return true;
}

VigilanteRewindInfo *qmp_vigilante_checkpoint(Error **errp)
{
    VigilanteRewindInfo *info;
    RAMBlock *rb;

    if (!rewind_can(errp)) {
        return NULL;
    }
    checkpoint_clear();
    ckpt.blocks = g_array_new(false, false, sizeof(RewindBlock));
    info = g_new0(VigilanteRewindInfo, 1);
    info->pages = copy_blocks();
    if (!save_devices(errp)) {
        checkpoint_clear();
        g_free(info);
        return NULL;
    }
    info->device_state_bytes = ckpt.devices->len;
    /*
     * From now on every write marks its page for the migration client
     * (the vCPU's through the TLB, DMA's only while this is on).
     */
    memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
    WITH_RCU_READ_LOCK_GUARD() {
        RAMBLOCK_FOREACH(rb) {
            if (qemu_ram_is_migratable(rb)) {
                cpu_physical_memory_test_and_clear_dirty(
                    rb->offset, rb->used_length, DIRTY_MEMORY_MIGRATION);
            }
        }
    }
    return info;
}

/* The pages of one block written since the checkpoint, copied back. */
static uint64_t rewind_block(const RewindBlock *b)
{
    const ram_addr_t chunk = TARGET_PAGE_SIZE * 64;
    ram_addr_t len = b->length;
    uint64_t pages = 0;

    for (ram_addr_t c = 0; c < len; c += chunk) {
        ram_addr_t n = MIN(chunk, len - c);

        if (!cpu_physical_memory_get_dirty(b->rb->offset + c, n,
                                           DIRTY_MEMORY_MIGRATION)) {
            continue;
        }
        for (ram_addr_t off = c; off < c + n; off += TARGET_PAGE_SIZE) {
            ram_addr_t ra = b->rb->offset + off;

            if (cpu_physical_memory_test_and_clear_dirty(
                    ra, TARGET_PAGE_SIZE, DIRTY_MEMORY_MIGRATION)) {
                memcpy(b->rb->host + off, b->copy + off, TARGET_PAGE_SIZE);
                tb_invalidate_phys_range(ra, ra + TARGET_PAGE_SIZE);
                pages++;
            }
        }
    }
    return pages;
}

/*
 * Is the checkpoint still one the pages can be put back to?  Not if a
 * RAM block came, went or changed size (an ACPI table after a reset),
 * or if dirty logging stopped (a migration's end stops it): writes
 * would have gone unmarked.
 */
static bool checkpoint_valid(Error **errp)
{
    RAMBlock *rb;
    guint n = 0;

    if (!(global_dirty_tracking & GLOBAL_DIRTY_MIGRATION)) {
        error_setg(errp, "dirty logging stopped since the checkpoint");
        return false;
    }
    RAMBLOCK_FOREACH(rb) {
        const RewindBlock *b;

        if (!qemu_ram_is_migratable(rb)) {
            continue;
        }
        b = n < ckpt.blocks->len
            ? &g_array_index(ckpt.blocks, RewindBlock, n) : NULL;
        if (!b || b->rb != rb || strcmp(b->idstr, rb->idstr) ||
            b->length != rb->used_length) {
            error_setg(errp, "RAM block %s changed since the checkpoint",
                       rb->idstr);
            return false;
        }
        n++;
    }
    if (n != ckpt.blocks->len) {
        error_setg(errp, "a RAM block went away since the checkpoint");
        return false;
    }
    return true;
}

static bool load_devices(Error **errp)
{
    QIOChannelBuffer *bioc = qio_channel_buffer_new(ckpt.devices->len);
    QEMUFile *f;
    int ret;

    memcpy(bioc->data, ckpt.devices->data, ckpt.devices->len);
    bioc->usage = ckpt.devices->len;
    f = qemu_file_new_input(QIO_CHANNEL(bioc));
    /* The stream starts with the file header, which the loader skips. */
    qemu_get_be32(f);
    qemu_get_be32(f);
    /* The code of the pages written back is gone: keep the rest. */
    cpu_loadvm_keeps_code = true;
    ret = qemu_load_device_state(f);
    cpu_loadvm_keeps_code = false;
    qemu_fclose(f);
    object_unref(OBJECT(bioc));
    if (ret < 0) {
        error_setg(errp, "loading the device state failed (%d)", ret);
        return false;
    }
    return true;
}

static void purge_nic(NICState *nic, void *opaque)
{
    NetClientState *nc = qemu_get_queue(nic);

    qemu_purge_queued_packets(nc);
    if (nc->peer) {
        qemu_purge_queued_packets(nc->peer);
    }
}

VigilanteRewindInfo *qmp_vigilante_rewind(Error **errp)
{
    VigilanteRewindInfo *info;
    CPUState *cs;

    if (!ckpt.blocks) {
        error_setg(errp, "no checkpoint (vigilante-checkpoint)");
        return NULL;
    }
    if (!rewind_can(errp)) {
        return NULL;
    }
    info = g_new0(VigilanteRewindInfo, 1);
    WITH_RCU_READ_LOCK_GUARD() {
        if (!checkpoint_valid(errp)) {
            g_free(info);
            return NULL;
        }
        for (guint i = 0; i < ckpt.blocks->len; i++) {
            info->pages += rewind_block(&g_array_index(ckpt.blocks,
                                                       RewindBlock, i));
        }
    }
    if (!load_devices(errp)) {
        g_free(info);
        return NULL;
    }
    info->device_state_bytes = ckpt.devices->len;
    CPU_FOREACH(cs) {
        CPUX86State *env = &X86_CPU(cs)->env;

        /*
         * The loaded EFLAGS hold the arithmetic flags; the lazy flags'
         * state (not migrated) is still the replay's: make it agree, as
         * a fresh vCPU's does, so that the monitor shows the flags
         * loaded (execution takes them from EFLAGS anyway).
         */
        env->cc_op = CC_OP_EFLAGS;
        env->cc_src = env->eflags & (CC_O | CC_S | CC_Z | CC_A | CC_P | CC_C);
        /* Mappings and translations of the guest's old page tables */
        tlb_flush(cs);
    }
    qemu_foreach_nic(purge_nic, NULL);
    return info;
}
