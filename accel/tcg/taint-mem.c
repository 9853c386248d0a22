/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shadow memory as the CPU sees it: guest loads and stores find the RAM
 * they used through the softmmu TLB (the access has just been made, so
 * the page is there), and read or write the labels of those ram_addr
 * bytes, the same keys the NICs' DMA labels.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "cpu.h"
#include "exec/exec-all.h"
#include "exec/cpu_ldst.h"
#include "exec/ram_addr.h"
#include "exec/ramlist.h"
#include "exec/ramblock.h"
#include "exec/helper-proto.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw-taint/taint.h"
#include "taint-shadow.h"
#include "taint-prop.h"
#include "taint-tlb.h"
#include "vigilante/detector.h"

/* A target page's bytes lie in one label page. */
QEMU_BUILD_BUG_ON(TARGET_PAGE_SIZE > TAINT_PAGE_SIZE);

static bool labels_dirty(const TaintLabel *l, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (l[i]) {
            return true;
        }
    }
    return false;
}

/*
 * The RAMBlock behind the last host address looked up (tlb_ram()): guest
 * RAM is one block, so this almost always answers.  Valid while
 * ram_list.version is the one recorded (blocks added or removed).
 */
typedef struct RamCache {
    uintptr_t host;
    uintptr_t len;
    ram_addr_t offset;
    uint32_t version;
} RamCache;

static __thread RamCache ram_cache;

static ram_addr_t ram_from_host_slow(uintptr_t host)
{
    uint32_t version = qatomic_read(&ram_list.version);
    RAMBlock *rb;
    ram_addr_t off;

    /*
     * The version first: a block list changed after it was read makes
     * the cache stale at the next lookup.  Pairs with the smp_wmb()
     * before ram_list.version++ (physmem.c).
     */
    smp_rmb();
    RCU_READ_LOCK_GUARD();
    rb = qemu_ram_block_from_host((void *)host, false, &off);
    if (!rb) {
        return RAM_ADDR_INVALID;
    }
    ram_cache.version = version;
    ram_cache.host = (uintptr_t)rb->host;
    ram_cache.len = rb->max_length;
    ram_cache.offset = rb->offset;
    return rb->offset + off;
}

static inline ram_addr_t ram_from_host(uintptr_t host)
{
    if (likely(host - ram_cache.host < ram_cache.len &&
               ram_cache.version == qatomic_read(&ram_list.version))) {
        return host - ram_cache.host + ram_cache.offset;
    }
    return ram_from_host_slow(host);
}

/*
 * The ram_addr of a guest address the CPU has just accessed, or
 * RAM_ADDR_INVALID.  On a TLB hit it comes from the entry's host address
 * (the cache line the access itself has just used), whatever the
 * entry's flags say about the slow path (TLB_NOTDIRTY: pages holding
 * translated code, exactly where dirty bytes written over code must be
 * seen; read-only pages), except MMIO.
 */
static inline QEMU_ALWAYS_INLINE
ram_addr_t tlb_ram(CPUArchState *env, target_ulong addr, MMUAccessType type,
                   int mmu_idx)
{
    CPUTLBEntry *e = tlb_entry(env, mmu_idx, addr);
    target_ulong tlb_addr = type == MMU_DATA_STORE ? tlb_addr_write(e)
                                                   : e->addr_read;
    void *host;

    if (likely(tlb_hit(tlb_addr, addr) &&
               !(tlb_addr & (TLB_MMIO | TLB_DISCARD_WRITE)))) {
        return ram_from_host(addr + e->addend);
    }
    host = tlb_vaddr_to_host(env, addr, type, mmu_idx);
    return host ? qemu_ram_addr_from_host(host) : RAM_ADDR_INVALID;
}

/*
 * The labels of an access within one page, straight from its label page
 * (NULL when the page is clean, or not RAM): the hot path of both
 * helpers, one TLB entry and one directory lookup.
 */
static inline QEMU_ALWAYS_INLINE
const TaintLabel *page_access_labels(CPUArchState *env, target_ulong addr,
                                     MMUAccessType type, int mmu_idx)
{
    ram_addr_t ram = tlb_ram(env, addr, type, mmu_idx);
    const TaintLabel *pl;

    if (ram == RAM_ADDR_INVALID) {
        return NULL;
    }
    pl = taint_shadow_page_labels(ram);
    return pl ? pl + (ram & (TAINT_PAGE_SIZE - 1)) : NULL;
}

/*
 * Labels of the `size` (<= 8) bytes at addr, lowest address first, page
 * by page (clean where not RAM, or the page left the TLB).
 */
static void read_labels(CPUArchState *env, target_ulong addr, unsigned size,
                        int mmu_idx, TaintLabel *out)
{
    for (unsigned done = 0, n; done < size; done += n) {
        target_ulong a = addr + done;
        const TaintLabel *pl = page_access_labels(env, a, MMU_DATA_LOAD,
                                                  mmu_idx);

        n = MIN(size - done, TARGET_PAGE_SIZE - (a & ~TARGET_PAGE_MASK));
        if (pl) {
            memcpy(out + done, pl, n * sizeof(*out));
        } else {
            memset(out + done, 0, n * sizeof(*out));
        }
    }
}

void taint_mem_labels(CPUArchState *env, target_ulong addr, unsigned size,
                      int mmu_idx, TaintLabel *out)
{
    read_labels(env, addr, size, mmu_idx, out);
}

/* Give the `size` (<= 8) bytes at addr the labels `in`, page by page. */
static void write_labels(CPUArchState *env, target_ulong addr, unsigned size,
                         int mmu_idx, const TaintLabel *in)
{
    for (unsigned done = 0, n; done < size; done += n) {
        target_ulong a = addr + done;
        ram_addr_t ram = tlb_ram(env, a, MMU_DATA_STORE, mmu_idx);

        n = MIN(size - done, TARGET_PAGE_SIZE - (a & ~TARGET_PAGE_MASK));
        if (ram != RAM_ADDR_INVALID &&
            (taint_shadow_page_dirty(ram) || labels_dirty(in + done, n))) {
            taint_shadow_write(ram, n, in + done);
        }
    }
}

void taint_mem_set_labels(CPUArchState *env, target_ulong addr,
                          unsigned size, int mmu_idx, const TaintLabel *in)
{
    write_labels(env, addr, size, mmu_idx, in);
}

/*
 * A byte-swapped access (movbe) swaps which bytes are dirty, but a
 * shadow's labels rise with the byte: they keep memory order, the base
 * moved so that the dirty bytes, now at the other end, claim the same
 * labels.  The value's labels are then the loaded bytes' in the wrong
 * order, never others (reversing them made the base the last byte's,
 * and the rest pointed past it), and a load and store that both swap
 * give back the labels stored.
 */
static uint64_t swap_dirty_bytes(uint64_t sh, unsigned size, MemOp mop)
{
    unsigned dirty = sh & TAINT_SH_MASK & ((1u << size) - 1), mask = 0;
    unsigned lo, hi;
    TaintLabel base = sh >> 32;

    if ((mop & MO_BSWAP) != MO_BE || !dirty) {
        return sh;
    }
    for (unsigned i = 0; i < size; i++) {
        if (dirty >> i & 1) {
            mask |= 1u << (size - 1 - i);
        }
    }
    /* Dirty bytes lo..hi claimed base + lo..base + hi; still do. */
    lo = ctz32(dirty);
    hi = 31 - clz32(dirty);
    base += lo + hi + 1 - size;
    return (uint64_t)base << 32 | mask;
}

static inline bool in_one_page(target_ulong addr, unsigned size)
{
    return (addr & ~TARGET_PAGE_MASK) + size <= TARGET_PAGE_SIZE;
}

/*
 * The shadow of a load that crosses a page or is byte-swapped (the
 * general case).
 */
uint64_t taint_mem_load_shadow(CPUArchState *env, uint64_t addr,
                               MemOpIdx oi)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    TaintLabel l[8];

    read_labels(env, addr, size, get_mmuidx(oi), l);
    return swap_dirty_bytes(taint_sh_from_labels(l, size), size, mop);
}

/*
 * Generated code builds most loads' shadows itself (taint-tlb.c); this
 * helper is for those it leaves: byte-swapped loads (movbe).
 */
uint64_t HELPER(taint_ld)(CPUArchState *env, uint64_t addr, uint32_t oi)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    uint64_t sh;

    if (!taint_shadow_any()) {
        return 0;
    }
    sh = taint_mem_load_shadow(env, addr, oi);
    /* A sign-extending load: the high bytes come from the top byte. */
    if ((mop & MO_SIGN) && size < 8 && (sh >> (size - 1) & 1)) {
        sh |= TAINT_SH_MASK & ~((1u << size) - 1);
    }
    return sh;
}

/*
 * A store through a dirty address (the write-what-where policy): when
 * the attacker chose the address (vigilante_address_chosen()), the bytes
 * the program put there are placed: each gets the label of the address's
 * first byte with TAINT_LABEL_PLACED, so a later jump through them, or
 * an execve of them, is caught
 * (taint-sinks.c).  Placed wins over the value's own labels: where the
 * store went is the attack, and what the message says about the value
 * (a %n count computed from widths in it) cannot be replayed the way
 * the pointer can.  Only the bytes that make an address count: 6 in
 * 64-bit code (48-bit virtual addresses), 4 otherwise; a partial
 * overwrite is not caught.
 */
static bool store_placed(CPUArchState *env, uint64_t addr, uint64_t addr_sh,
                         uint32_t oi)
{
    unsigned width = env->hflags & HF_CS64_MASK ? 6 : 4;
    unsigned need = (1u << width) - 1;
    unsigned size = memop_size(get_memop(oi));
    TaintLabel l[8], first;

    if ((addr_sh & need) != need ||
        !vigilante_policy_enabled(VIGILANTE_ALERT_TYPE_WWW)) {
        return false;
    }
    first = taint_sh_label(addr_sh, 0);
    if (!vigilante_address_chosen(addr, first, width)) {
        return false;
    }
    /*
     * Every byte names the pointer's first byte: wherever a later
     * read starts in what was stored, its labels lead to the pointer.
     */
    for (unsigned i = 0; i < size; i++) {
        l[i] = TAINT_LABEL_PLACED | taint_label_input(first);
    }
    write_labels(env, addr, size, get_mmuidx(oi), l);
    return true;
}

/*
 * Relabel the bytes of a store in their label page, without the shadow's
 * lock, if none changes between clean and dirty: no counter changes and
 * no page comes or goes.  A DMA to the same bytes at the same moment is
 * a guest race; either may win.
 */
static inline bool st_relabel(TaintLabel *pl, uint64_t sh, unsigned size)
{
    TaintLabel l[8];

    taint_sh_to_labels(sh, l, size);
    for (unsigned i = 0; i < size; i++) {
        if ((pl[i] != 0) != (l[i] != 0)) {
            return false;
        }
    }
    for (unsigned i = 0; i < size; i++) {
        qatomic_set(&pl[i], l[i]);
    }
    return true;
}

/*
 * A store's labels the general way: across a page, byte-swapped, or
 * between clean and dirty (under the shadow's lock).
 */
static __attribute__((noinline))
void st_shadow_slow(CPUArchState *env, uint64_t addr, uint64_t sh, MemOpIdx oi)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    TaintLabel l[8];

    taint_sh_to_labels(swap_dirty_bytes(sh, size, mop), l, size);
    write_labels(env, addr, size, get_mmuidx(oi), l);
}

void HELPER(taint_st)(CPUArchState *env, uint64_t addr, uint64_t sh,
                      uint64_t addr_sh, uint32_t oi)
{
    MemOp mop = get_memop(oi);
    unsigned size = memop_size(mop);
    const TaintLabel *pl;

    /* At least four address bytes dirty: maybe write-what-where. */
    if (unlikely((addr_sh & 0xf) == 0xf) &&
        store_placed(env, addr, addr_sh, oi)) {
        return;
    }
    if (unlikely(!in_one_page(addr, size) || (mop & MO_BSWAP) == MO_BE)) {
        st_shadow_slow(env, addr, sh, oi);
        return;
    }
    /* The store has just been made: its TLB entry knows its labels. */
    pl = taint_tlb_labels(env, addr, get_mmuidx(oi));
    if (!taint_tlb_labels_paged(pl)) {
        /* Clean over clean: the common case, nothing to do. */
        if (!(sh & TAINT_SH_MASK)) {
            return;
        }
    } else if (st_relabel((TaintLabel *)pl, sh, size)) {
        return;
    }
    st_shadow_slow(env, addr, sh, oi);
}


/* A narrow or unaligned store into the CPU state: merge byte by byte. */
void HELPER(taint_env_st)(CPUArchState *env, uint32_t ofs, uint32_t size,
                          uint64_t sh)
{
    uint64_t *shadow = env_archcpu(env)->taint_shadow;
    size_t words = sizeof(CPUArchState) / 8;

    for (uint32_t i = 0; i < size && i < 8; i++) {
        size_t w = (ofs + i) / 8;
        unsigned b = (ofs + i) % 8;
        TaintLabel l[8];

        if (w >= words) {
            break;
        }
        taint_sh_to_labels(shadow[w], l, 8);
        l[b] = taint_sh_label(sh, i);
        shadow[w] = taint_sh_from_labels(l, 8);
    }
}

void taint_helper_store(CPUArchState *env, target_ulong addr, MemOpIdx oi)
{
    static const TaintLabel clean[8];

    if (hw_taint_enabled() && taint_shadow_any()) {
        write_labels(env, addr, memop_size(get_memop(oi)), get_mmuidx(oi),
                     clean);
    }
}

/*
 * ram_addr of a guest virtual address, by a page walk that does not
 * fault or touch the TLB; RAM_ADDR_INVALID if unmapped or not RAM.
 */
static ram_addr_t debug_ram_addr(CPUState *cs, uint64_t va)
{
    MemTxAttrs attrs;
    hwaddr pa = cpu_get_phys_page_attrs_debug(cs, va & TARGET_PAGE_MASK,
                                              &attrs);
    hwaddr xlat, len = 1;
    MemoryRegion *mr;
    ram_addr_t ram = RAM_ADDR_INVALID;

    if (pa == -1) {
        return RAM_ADDR_INVALID;
    }
    pa += va & ~TARGET_PAGE_MASK;
    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(cpu_get_address_space(cs, 0), pa, &xlat,
                                 &len, false, attrs);
    if (memory_region_is_ram(mr)) {
        ram = memory_region_get_ram_addr(mr) + xlat;
    }
    return ram;
}

TaintLabel taint_debug_label(CPUState *cs, uint64_t va)
{
    ram_addr_t ram = debug_ram_addr(cs, va);

    return ram == RAM_ADDR_INVALID ? 0 : taint_shadow_get(ram);
}
