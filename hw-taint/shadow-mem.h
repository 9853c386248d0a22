/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shadow memory: one taint label per byte of guest RAM, keyed by
 * ram_addr_t so that CPU accesses and device DMA agree.
 *
 * Plain C (glib only) so that host-side unit tests build it too.
 * Writers (device DMA on the main loop, guest stores on the vCPU thread)
 * serialise on the shadow's own lock; readers take none (see
 * taint_shadow_reclaim() below and shadow-mem.c).
 */
#ifndef HW_TAINT_SHADOW_MEM_H
#define HW_TAINT_SHADOW_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A label names one byte of input: labels are handed out consecutively
 * to the bytes of received frames (see input.h), so label L+i is byte i
 * of the frame whose first byte is L.  0 means clean.
 */
typedef uint32_t TaintLabel;

/*
 * Input labels stay below this bit.  A byte the guest stored through an
 * address it had copied from input (the write-what-where policy,
 * docs/taint-engine.md) is labelled TAINT_LABEL_PLACED | the label of
 * that address's first byte: the attacker chose where it went.
 */
#define TAINT_LABEL_PLACED (1u << 31)

static inline bool taint_label_placed(TaintLabel l)
{
    return l & TAINT_LABEL_PLACED;
}

/* The input byte a label names (for a placed byte: its address's). */
static inline TaintLabel taint_label_input(TaintLabel l)
{
    return l & ~TAINT_LABEL_PLACED;
}

#define TAINT_PAGE_BITS 12
#define TAINT_PAGE_SIZE (1u << TAINT_PAGE_BITS)

/*
 * Give the bytes [addr, addr+len) the labels first, first+1, ...; a first
 * label of 0 cleans the range instead.
 */
void taint_shadow_set_seq(uint64_t addr, uint64_t len, TaintLabel first);

/* Give every byte of [addr, addr+len) the same label (0 cleans). */
void taint_shadow_fill(uint64_t addr, uint64_t len, TaintLabel label);

static inline void taint_shadow_clear(uint64_t addr, uint64_t len)
{
    taint_shadow_fill(addr, len, 0);
}

/* Copy the labels of [src, src+len) to [dst, dst+len) (memmove-like). */
void taint_shadow_copy(uint64_t dst, uint64_t src, uint64_t len);

/* Store len labels as given (0 cleans), e.g. those of a CPU store. */
void taint_shadow_write(uint64_t addr, uint64_t len, const TaintLabel *labels);

TaintLabel taint_shadow_get(uint64_t addr);

/*
 * Read the labels of [addr, addr+len) into out (may be NULL); returns the
 * number of dirty bytes among them.
 */
uint64_t taint_shadow_read(uint64_t addr, uint64_t len, TaintLabel *out);

/*
 * The directory (shadow-mem.c), visible so that the readers below are
 * inlined into the vCPU's load and store helpers: a label page per
 * 4 KiB of ram_addr space with a dirty byte, in directories of 2^18
 * pages (1 GiB), 4096 of them (4 TiB).
 */
#define TAINT_DIR_L2_BITS 18
#define TAINT_DIR_L2_SIZE (1u << TAINT_DIR_L2_BITS)
#define TAINT_DIR_L1_SIZE 4096u

typedef struct TaintPage {
    uint32_t ndirty;                    /* dirty bytes in this page */
    struct TaintPage *next_retired;
    TaintLabel label[TAINT_PAGE_SIZE];
    /*
     * Always clean: generated code reads an access's labels before it
     * knows whether the access crossed into the next page.
     */
    TaintLabel pad[8];
} TaintPage;

extern TaintPage **taint_shadow_directory[TAINT_DIR_L1_SIZE];
extern uint64_t taint_shadow_ndirty_pages;

/* The label page of the page holding addr, or NULL (a reader, above). */
static inline TaintPage *taint_shadow_page(uint64_t addr)
{
    uint64_t pfn = addr >> TAINT_PAGE_BITS;
    uint64_t l1 = pfn >> TAINT_DIR_L2_BITS;
    TaintPage **dir;

    if (l1 >= TAINT_DIR_L1_SIZE) {
        return NULL;            /* beyond any RAM: never dirty */
    }
    dir = __atomic_load_n(&taint_shadow_directory[l1], __ATOMIC_ACQUIRE);
    return dir ? __atomic_load_n(&dir[pfn & (TAINT_DIR_L2_SIZE - 1)],
                                 __ATOMIC_ACQUIRE)
               : NULL;
}

/* Does the page holding addr have any dirty byte? */
static inline bool taint_shadow_page_dirty(uint64_t addr)
{
    return taint_shadow_page(addr) != NULL;
}

/*
 * The labels of the page holding addr (TAINT_PAGE_SIZE of them), or NULL
 * when that page is clean: one directory lookup for the hot paths.  A
 * reader as above: valid until the next taint_shadow_reclaim().
 */
static inline const TaintLabel *taint_shadow_page_labels(uint64_t addr)
{
    TaintPage *p = taint_shadow_page(addr);

    return p ? p->label : NULL;
}

/* O(1): is any byte of guest RAM dirty?  (A hint, read unlocked.) */
static inline bool taint_shadow_any(void)
{
    return __atomic_load_n(&taint_shadow_ndirty_pages,
                           __ATOMIC_RELAXED) != 0;
}

uint64_t taint_shadow_dirty_bytes(void);
uint64_t taint_shadow_dirty_pages(void);
/* Host memory held: label pages (also retired ones) and directories. */
uint64_t taint_shadow_bytes(void);

/* Clean everything and free all label pages. */
void taint_shadow_reset(void);

/*
 * Readers (taint_shadow_get/read/page_dirty/any) take no lock.  Pages that
 * become clean are unlinked at once (counters drop) but freed only by
 * taint_shadow_reclaim(), which must run when no reader can be inside a
 * read: in QEMU, on the vCPU thread between TBs, holding the BQL (the
 * other readers hold it).  taint_shadow_retired(): is there any to free?
 */
bool taint_shadow_retired(void);
void taint_shadow_reclaim(void);

/*
 * fn is called, with the shadow's lock held, when the page at ram_page
 * gets a label page (labels) or loses it (labels NULL: it became clean,
 * or the shadow was reset): for those who keep pointers to label pages
 * (the TLB entries of taint-tlb.c).  It must not call back in here.
 */
void taint_shadow_set_page_hook(void (*fn)(uint64_t ram_page,
                                           const TaintLabel *labels));

#endif
