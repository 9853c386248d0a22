/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shadow memory: a two-level page directory over ram_addr_t space.
 * Label pages exist only for pages with at least one dirty byte and are
 * freed as soon as their last dirty byte is cleaned, so a clean guest
 * costs one directory lookup per query and no label memory.
 */
#include "shadow-mem.h"

#include <glib.h>
#include <string.h>

#define L2_BITS TAINT_DIR_L2_BITS
#define L2_SIZE TAINT_DIR_L2_SIZE
#define L1_SIZE TAINT_DIR_L1_SIZE

TaintPage **taint_shadow_directory[TAINT_DIR_L1_SIZE];
uint64_t taint_shadow_ndirty_pages;
static TaintPage *retired;      /* unlinked clean pages, not yet freed */
static uint64_t nretired, ndirectories;
static uint64_t dirty_bytes;

/*
 * The vCPU thread (guest stores) and the main loop (device DMA) both
 * write labels: writers hold this lock (lock_shadow()).  Readers do not
 * (the vCPU reads labels for every guest load while dirty data flows):
 * directory and page pointers are published with release stores, and a
 * page that becomes clean is unlinked and retired, not freed, until
 * taint_shadow_reclaim() runs at a point where no reader can hold it.
 */
static int lock_word;

/* Called under the lock when a label page comes or goes. */
static void (*page_hook)(uint64_t ram_page, const TaintLabel *labels);

void taint_shadow_set_page_hook(void (*fn)(uint64_t ram_page,
                                           const TaintLabel *labels))
{
    page_hook = fn;
}

/*
 * A spin lock, not a mutex: the vCPU takes it for every store that
 * changes labels while dirty data flows, holders never block, and the
 * other writer (DMA of one frame) holds it briefly.  A waiter that spins
 * long yields, in case the holder's thread was preempted.
 */
static void lock_shadow(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) {
        for (unsigned spins = 0;
             __atomic_load_n(&lock_word, __ATOMIC_RELAXED); spins++) {
            if (spins >= 1000) {
                g_thread_yield();
                spins = 0;
            }
        }
    }
}

static void unlock_shadow(void)
{
    __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

static TaintPage **slot(uint64_t addr, bool create)
{
    uint64_t pfn = addr >> TAINT_PAGE_BITS;
    uint64_t l1 = pfn >> L2_BITS;
    TaintPage **dir;

    if (l1 >= L1_SIZE) {
        /* Beyond any RAM QEMU can map here: never dirty. */
        g_assert(!create);
        return NULL;
    }
    dir = __atomic_load_n(&taint_shadow_directory[l1], __ATOMIC_ACQUIRE);
    if (!dir) {
        if (!create) {
            return NULL;
        }
        dir = g_new0(TaintPage *, L2_SIZE);
        ndirectories++;
        __atomic_store_n(&taint_shadow_directory[l1], dir, __ATOMIC_RELEASE);
    }
    return &dir[pfn & (L2_SIZE - 1)];
}

static TaintPage *page_get_or_create(uint64_t addr)
{
    TaintPage **s = slot(addr, true);

    if (!*s) {
        __atomic_store_n(s, g_new0(TaintPage, 1), __ATOMIC_RELEASE);
        taint_shadow_ndirty_pages++;
        if (page_hook) {
            page_hook(addr & ~(uint64_t)(TAINT_PAGE_SIZE - 1), (*s)->label);
        }
    }
    return *s;
}

static void page_release_if_clean(uint64_t addr)
{
    TaintPage **s = slot(addr, false);
    TaintPage *p = s ? *s : NULL;

    if (p && p->ndirty == 0) {
        __atomic_store_n(s, NULL, __ATOMIC_RELEASE);
        p->next_retired = retired;
        retired = p;
        nretired++;
        taint_shadow_ndirty_pages--;
        if (page_hook) {
            page_hook(addr & ~(uint64_t)(TAINT_PAGE_SIZE - 1), NULL);
        }
    }
}

/* Store one label, keeping the dirty-byte counters right. */
static inline void put(TaintPage *p, unsigned off, TaintLabel l)
{
    TaintLabel old = p->label[off];

    p->ndirty += (l != 0) - (old != 0);
    dirty_bytes += (l != 0) - (old != 0);
    p->label[off] = l;
}

/* How many of n labels are dirty (a loop the compiler vectorises). */
static uint32_t count_dirty(const TaintLabel *l, uint64_t n)
{
    uint32_t c = 0;

    for (uint64_t i = 0; i < n; i++) {
        c += l[i] != 0;
    }
    return c;
}

/*
 * Store n labels within one page at once, keeping the counters right:
 * what put() does byte by byte, for whole ranges (copies and clears of
 * pages, rep movs and rep stos).
 */
static void put_range(TaintPage *p, unsigned off, uint64_t n,
                      const TaintLabel *labels)
{
    int64_t delta = -(int64_t)count_dirty(&p->label[off], n);

    if (labels) {
        delta += count_dirty(labels, n);
        memcpy(&p->label[off], labels, n * sizeof(*labels));
    } else {
        memset(&p->label[off], 0, n * sizeof(*labels));
    }
    p->ndirty += delta;
    dirty_bytes += delta;
}

/*
 * Walk [addr, addr+len) page by page; `step` is how much the label grows
 * per byte (1 for a sequence, 0 for a fill).
 */
static void set_range(uint64_t addr, uint64_t len, TaintLabel first,
                      unsigned step)
{
    while (len) {
        unsigned off = addr & (TAINT_PAGE_SIZE - 1);
        uint64_t n = MIN(len, (uint64_t)TAINT_PAGE_SIZE - off);
        TaintPage *p;

        if (first == 0) {
            p = taint_shadow_page(addr);
            if (p) {
                put_range(p, off, n, NULL);
                page_release_if_clean(addr);
            }
        } else {
            p = page_get_or_create(addr);
            for (unsigned i = 0; i < n; i++) {
                TaintLabel l = first + i * step;
                /* Labels wrap after 2^32 input bytes; 0 stays "clean". */
                put(p, off + i, l ? l : 1);
            }
            first += n * step;
            if (first == 0) {
                first = 1;
            }
        }
        addr += n;
        len -= n;
    }
}

void taint_shadow_set_seq(uint64_t addr, uint64_t len, TaintLabel first)
{
    lock_shadow();
    set_range(addr, len, first, 1);
    unlock_shadow();
}

void taint_shadow_fill(uint64_t addr, uint64_t len, TaintLabel label)
{
    lock_shadow();
    set_range(addr, len, label, 0);
    unlock_shadow();
}

/* Labels one by one, each 0 (clean) or not; within one page. */
static void write_page(uint64_t addr, uint64_t n, const TaintLabel *labels)
{
    unsigned off = addr & (TAINT_PAGE_SIZE - 1);
    TaintPage *p = taint_shadow_page(addr);
    bool any = count_dirty(labels, n) != 0;

    if (!any && !p) {
        return;
    }
    if (!p) {
        p = page_get_or_create(addr);
    }
    put_range(p, off, n, labels);
    if (!any) {
        page_release_if_clean(addr);
    }
}

/*
 * Would writing these labels change nothing?  Checked without the lock:
 * most guest stores into a page with dirty bytes rewrite what is there
 * (clean over clean), and the vCPU makes one such write per store.  A
 * writer racing with us on the same bytes is a guest race; skipping is
 * then the same as our write having come first.
 */
static bool write_changes_nothing(uint64_t addr, uint64_t len,
                                  const TaintLabel *labels)
{
    while (len) {
        unsigned off = addr & (TAINT_PAGE_SIZE - 1);
        uint64_t n = MIN(len, (uint64_t)TAINT_PAGE_SIZE - off);
        TaintPage *p = taint_shadow_page(addr);

        if (p) {
            if (memcmp(&p->label[off], labels, n * sizeof(*labels))) {
                return false;
            }
        } else {
            for (uint64_t i = 0; i < n; i++) {
                if (labels[i]) {
                    return false;
                }
            }
        }
        addr += n;
        labels += n;
        len -= n;
    }
    return true;
}

void taint_shadow_write(uint64_t addr, uint64_t len, const TaintLabel *labels)
{
    if (len <= 64 && write_changes_nothing(addr, len, labels)) {
        return;
    }
    lock_shadow();
    while (len) {
        uint64_t n = MIN(len, (uint64_t)TAINT_PAGE_SIZE -
                              (addr & (TAINT_PAGE_SIZE - 1)));

        write_page(addr, n, labels);
        addr += n;
        labels += n;
        len -= n;
    }
    unlock_shadow();
}

TaintLabel taint_shadow_get(uint64_t addr)
{
    TaintPage *p = taint_shadow_page(addr);

    return p ? p->label[addr & (TAINT_PAGE_SIZE - 1)] : 0;
}

static uint64_t read_range(uint64_t addr, uint64_t len, TaintLabel *out)
{
    uint64_t ndirty = 0;

    while (len) {
        unsigned off = addr & (TAINT_PAGE_SIZE - 1);
        uint64_t n = MIN(len, (uint64_t)TAINT_PAGE_SIZE - off);
        TaintPage *p = taint_shadow_page(addr);

        if (p) {
            for (unsigned i = 0; i < n; i++) {
                ndirty += p->label[off + i] != 0;
            }
            if (out) {
                memcpy(out, &p->label[off], n * sizeof(TaintLabel));
            }
        } else if (out) {
            memset(out, 0, n * sizeof(TaintLabel));
        }
        if (out) {
            out += n;
        }
        addr += n;
        len -= n;
    }
    return ndirty;
}

uint64_t taint_shadow_read(uint64_t addr, uint64_t len, TaintLabel *out)
{
    return read_range(addr, len, out);
}

bool taint_shadow_retired(void)
{
    return __atomic_load_n(&retired, __ATOMIC_RELAXED) != NULL;
}

void taint_shadow_reclaim(void)
{
    TaintPage *p;

    lock_shadow();
    p = retired;
    retired = NULL;
    nretired = 0;
    unlock_shadow();
    while (p) {
        TaintPage *next = p->next_retired;

        g_free(p);
        p = next;
    }
}

void taint_shadow_copy(uint64_t dst, uint64_t src, uint64_t len)
{
    /*
     * Through a bounce buffer, a page at a time, in the direction that
     * makes overlapping ranges behave like memmove.
     */
    TaintLabel buf[TAINT_PAGE_SIZE];
    bool backwards = dst > src && dst < src + len;

    while (len) {
        uint64_t n = MIN(len, (uint64_t)TAINT_PAGE_SIZE);
        uint64_t s = backwards ? src + len - n : src;
        uint64_t d = backwards ? dst + len - n : dst;

        lock_shadow();
        if (read_range(s, n, buf) == 0) {
            set_range(d, n, 0, 0);
        } else {
            /* write_page() works within one page of the destination */
            uint64_t k = MIN(n, (uint64_t)TAINT_PAGE_SIZE -
                                (d & (TAINT_PAGE_SIZE - 1)));

            write_page(d, k, buf);
            if (k < n) {
                write_page(d + k, n - k, buf + k);
            }
        }
        unlock_shadow();
        if (!backwards) {
            src += n;
            dst += n;
        }
        len -= n;
    }
}

uint64_t taint_shadow_dirty_bytes(void)
{
    return dirty_bytes;
}

uint64_t taint_shadow_dirty_pages(void)
{
    return taint_shadow_ndirty_pages;
}

uint64_t taint_shadow_bytes(void)
{
    return (taint_shadow_ndirty_pages + nretired) * sizeof(TaintPage) +
           ndirectories * L2_SIZE * sizeof(TaintPage *);
}

void taint_shadow_reset(void)
{
    lock_shadow();
    for (unsigned i = 0; i < L1_SIZE; i++) {
        if (!taint_shadow_directory[i]) {
            continue;
        }
        for (unsigned j = 0; j < L2_SIZE; j++) {
            if (taint_shadow_directory[i][j] && page_hook) {
                page_hook(((uint64_t)i << L2_BITS | j) << TAINT_PAGE_BITS,
                          NULL);
            }
            g_free(taint_shadow_directory[i][j]);
        }
        g_free(taint_shadow_directory[i]);
        taint_shadow_directory[i] = NULL;
    }
    ndirectories = 0;
    nretired = 0;
    dirty_bytes = 0;
    taint_shadow_ndirty_pages = 0;
    while (retired) {
        TaintPage *next = retired->next_retired;

        g_free(retired);
        retired = next;
    }
    unlock_shadow();
}
