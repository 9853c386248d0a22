/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory layout, ports and markers of the tiny guest.
 *
 * Plain #defines only: this header is included by the guest's C and
 * assembly and by the host-side exploit, which (like a real worm) is
 * built knowing the target's layout.
 */
#ifndef TINY_LAYOUT_H
#define TINY_LAYOUT_H

/* The multiboot loader puts the image (text, data, bss) here. */
#define TINY_LOAD_ADDR          0x00100000

/* Stack of the boot code and the polling main loop. */
#define TINY_BOOT_STACK_TOP     0x00800000

/*
 * The Figure-1 service runs on its own stack at a fixed address, like a
 * worker thread of a server without address-space randomisation.  The
 * address is chosen so that the buffer address has no zero byte except
 * the top one: a zero-terminated copy can then write a complete return
 * address, with the terminator as its most significant byte.
 */
#define TINY_FIG1_STACK_TOP     0x00EEEF00

/*
 * Frame of fig1_vulnerable() (fig1.S) on that stack, from the top down:
 *   TOP-4   argument (netbuf pointer)
 *   TOP-8   return address          <- overwritten by the attack
 *   TOP-12  saved %ebp
 *   TOP-76  char buf[64]
 */
#define TINY_FIG1_BUF_SIZE      64
#define TINY_FIG1_RET_SLOT      (TINY_FIG1_STACK_TOP - 8)
#define TINY_FIG1_BUF_ADDR      (TINY_FIG1_STACK_TOP - 12 - TINY_FIG1_BUF_SIZE)
/* Distance from the start of buf to the return address. */
#define TINY_FIG1_RET_OFFSET    (TINY_FIG1_RET_SLOT - TINY_FIG1_BUF_ADDR)

/* The only byte value Figure 1's service accepts as a first byte. */
#define TINY_FIG1_MAGIC         0x31

/* Guest network configuration (slirp's defaults). */
#define TINY_IP_ADDR            "10.0.2.15"
#define TINY_UDP_ECHO_PORT      7
#define TINY_UDP_FIG1_PORT      4444
#define TINY_UDP_RUN_PORT       4446

/* First byte of a request the "run" service executes in place. */
#define TINY_RUN_MAGIC          0x58    /* 'X' */
#define TINY_PLUGIN_MAGIC       0x50    /* 'P' */
#define TINY_PLUGIN_SLOT_SIZE   128

/* Serial markers for the harness. */
#define TINY_MARK_BOOT          "VG-BOOT tiny"
#define TINY_MARK_READY         "VG-READY"
#define TINY_MARK_PWNED         "VG-PWNED fig1"

/* I/O port of COM1, used by the guest and by the exploit's payload. */
#define TINY_COM1_PORT          0x3F8

#endif /* TINY_LAYOUT_H */
