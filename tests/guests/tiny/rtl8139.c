/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Realtek RTL8139 (QEMU's rtl8139): the classic ring-buffer receive and
 * four transmit slots, through I/O ports, polled.
 *
 * The device DMA-writes each frame, preceded by a 4-byte header (status,
 * length including FCS), into rx_ring at a 4-byte aligned offset.  With
 * RCR.WRAP set a frame that runs past the 8 KiB ring continues linearly
 * into the slack after it, so frames are always contiguous.
 */
#include "nic.h"
#include "mem.h"

#define REG_IDR0        0x00
#define REG_TSD0        0x10            /* transmit status, 4 x 32-bit */
#define REG_TSAD0       0x20            /* transmit address, 4 x 32-bit */
#define REG_RBSTART     0x30
#define REG_CR          0x37
#define REG_CAPR        0x38
#define REG_IMR         0x3C
#define REG_ISR         0x3E
#define REG_TCR         0x40
#define REG_RCR         0x44
#define REG_CONFIG1     0x52
#define REG_HLTCLK      0x5B

#define CR_BUFE         0x01            /* receive buffer empty */
#define CR_TE           0x04
#define CR_RE           0x08
#define CR_RST          0x10
#define RCR_APM         (1u << 1)       /* accept our address */
#define RCR_AM          (1u << 2)       /* multicast */
#define RCR_AB          (1u << 3)       /* broadcast */
#define RCR_WRAP        (1u << 7)
#define TSD_OWN         (1u << 13)
#define TSD_TUN         (1u << 14)
#define TSD_TOK         (1u << 15)
#define TSD_TABT        (1u << 30)
#define RX_STAT_ROK     0x0001

#define RX_RING_LEN     8192            /* RCR.RBLEN = 0 */
#define RX_FCS_LEN      4
#define TX_SLOTS        4
#define TX_BUF_SIZE     1792            /* largest size TSD accepts */

static struct {
    uint16_t io;
    unsigned rx_offset;
    unsigned tx_next;
} rtl;

/* Ring + the 16 bytes the chip may overrun + room for one whole frame. */
static uint8_t rx_ring[RX_RING_LEN + 16 + 2048] __attribute__((aligned(16)));
static uint8_t tx_buffers[TX_SLOTS][TX_BUF_SIZE] __attribute__((aligned(16)));

/* Reset the chip and program reception and transmission from scratch. */
static void rtl8139_start(void)
{
    outb(rtl.io + REG_CR, CR_RST);
    for (int i = 0; i < 100000 && (inb(rtl.io + REG_CR) & CR_RST); i++) {
        cpu_relax();
    }
    outl(rtl.io + REG_RBSTART, phys_addr(rx_ring));
    rtl.rx_offset = 0;
    outw(rtl.io + REG_IMR, 0);          /* we poll */
    outw(rtl.io + REG_ISR, 0xFFFF);
    outb(rtl.io + REG_CR, CR_RE | CR_TE);
    outl(rtl.io + REG_RCR, RCR_APM | RCR_AM | RCR_AB | RCR_WRAP);
    outl(rtl.io + REG_TCR, 0x03000700); /* normal IFG, max DMA burst */
    rtl.tx_next = 0;
}

static bool rtl8139_init(const struct pci_device *dev,
                         uint8_t mac[ETH_ADDR_LEN])
{
    if (!pci_bar_is_io(dev, 0) || !pci_bar_addr(dev, 0)) {
        return false;
    }
    rtl.io = pci_bar_addr(dev, 0);
    pci_enable_device(dev);

    outb(rtl.io + REG_CONFIG1, 0x00);   /* power on */
    outb(rtl.io + REG_HLTCLK, 'R');     /* run the clock */
    rtl8139_start();
    for (int i = 0; i < ETH_ADDR_LEN; i++) {
        mac[i] = inb(rtl.io + REG_IDR0 + i);
    }
    return true;
}

static bool rtl8139_send(const void *frame, size_t len)
{
    unsigned slot = rtl.tx_next;
    uint16_t tsd = rtl.io + REG_TSD0 + 4 * slot;

    if (len > TX_BUF_SIZE) {
        return false;
    }
    memcpy(tx_buffers[slot], frame, len);
    outl(rtl.io + REG_TSAD0 + 4 * slot, phys_addr(tx_buffers[slot]));
    outl(tsd, len);                     /* OWN clear: start sending */
    rtl.tx_next = (slot + 1) % TX_SLOTS;
    for (int i = 0; i < 1000000; i++) {
        uint32_t status = inl(tsd);
        if (status & (TSD_TOK | TSD_TUN | TSD_TABT)) {
            return (status & TSD_TOK) != 0;
        }
        cpu_relax();
    }
    return false;
}

static int rtl8139_poll(nic_rx_fn rx)
{
    int count = 0;

    while (!(inb(rtl.io + REG_CR) & CR_BUFE)) {
        uint8_t *hdr = rx_ring + rtl.rx_offset;
        uint16_t status = hdr[0] | hdr[1] << 8;
        uint16_t length = hdr[2] | hdr[3] << 8;     /* includes the FCS */

        barrier();
        if (!(status & RX_STAT_ROK) || length < RX_FCS_LEN ||
            length - RX_FCS_LEN > ETH_FRAME_MAX) {
            /* Lost sync with the chip: start over, dropping the ring. */
            rtl8139_start();
            break;
        }
        rx(hdr + 4, length - RX_FCS_LEN);
        count++;
        rtl.rx_offset = (rtl.rx_offset + 4 + length + 3) & ~3u;
        rtl.rx_offset %= RX_RING_LEN;
        /* CAPR lags the read pointer by 16, a quirk of the chip. */
        outw(rtl.io + REG_CAPR, (uint16_t)(rtl.rx_offset - 16));
        outw(rtl.io + REG_ISR, 0xFFFF);
    }
    return count;
}

const struct nic_driver rtl8139_driver = {
    .name = "rtl8139",
    .vendor_id = 0x10EC,
    .device_id = 0x8139,
    .init = rtl8139_init,
    .send = rtl8139_send,
    .poll = rtl8139_poll,
};
