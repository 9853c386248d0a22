/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82540EM (QEMU's e1000): legacy descriptors, polled, no interrupts.
 *
 * The device DMA-writes each received frame into one of the rx_buffers
 * below and marks its descriptor done; we hand the frame to the stack in
 * place and give the buffer back by moving the tail.
 */
#include "nic.h"
#include "mem.h"

#define REG_CTRL        0x0000
#define REG_STATUS      0x0008
#define REG_EERD        0x0014
#define REG_IMC         0x00D8
#define REG_RCTL        0x0100
#define REG_TCTL        0x0400
#define REG_TIPG        0x0410
#define REG_RDBAL       0x2800
#define REG_RDBAH       0x2804
#define REG_RDLEN       0x2808
#define REG_RDH         0x2810
#define REG_RDT         0x2818
#define REG_TDBAL       0x3800
#define REG_TDBAH       0x3804
#define REG_TDLEN       0x3808
#define REG_TDH         0x3810
#define REG_TDT         0x3818
#define REG_MTA         0x5200
#define REG_RAL0        0x5400
#define REG_RAH0        0x5404

#define CTRL_SLU        (1u << 6)       /* set link up */
#define CTRL_RST        (1u << 26)
#define EERD_START      (1u << 0)
#define EERD_DONE       (1u << 4)
#define RCTL_EN         (1u << 1)
#define RCTL_BAM        (1u << 15)      /* accept broadcast */
#define RCTL_SECRC      (1u << 26)      /* strip the FCS */
#define TCTL_EN         (1u << 1)
#define TCTL_PSP        (1u << 3)       /* pad short packets */
#define TCTL_CT         (0x10u << 4)
#define TCTL_COLD       (0x40u << 12)

#define RXD_STAT_DD     0x01
#define RXD_STAT_EOP    0x02
#define TXD_CMD_EOP     0x01
#define TXD_CMD_IFCS    0x02
#define TXD_CMD_RS      0x08
#define TXD_STAT_DD     0x01

#define RX_RING_SIZE    16
#define TX_RING_SIZE    8
#define BUF_SIZE        2048            /* RCTL.BSIZE = 0 */

struct rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t checksum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} __attribute__((packed));

struct tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
} __attribute__((packed));

static struct {
    uintptr_t mmio;
    unsigned rx_next;
    unsigned tx_next;
} e1000;

static volatile struct rx_desc rx_ring[RX_RING_SIZE] __attribute__((aligned(128)));
static volatile struct tx_desc tx_ring[TX_RING_SIZE] __attribute__((aligned(128)));
static uint8_t rx_buffers[RX_RING_SIZE][BUF_SIZE] __attribute__((aligned(16)));
static uint8_t tx_buffers[TX_RING_SIZE][BUF_SIZE] __attribute__((aligned(16)));

static uint32_t reg_read(uint32_t reg)
{
    return mmio_read32(e1000.mmio + reg);
}

static void reg_write(uint32_t reg, uint32_t val)
{
    mmio_write32(e1000.mmio + reg, val);
}

static uint16_t eeprom_read(uint8_t word)
{
    reg_write(REG_EERD, EERD_START | (uint32_t)word << 8);
    for (int i = 0; i < 100000; i++) {
        uint32_t val = reg_read(REG_EERD);
        if (val & EERD_DONE) {
            return val >> 16;
        }
    }
    return 0;
}

static void read_mac(uint8_t mac[ETH_ADDR_LEN])
{
    uint32_t low = reg_read(REG_RAL0), high = reg_read(REG_RAH0);

    if (low == 0 && (high & 0xFFFF) == 0) {
        /* Receive address not preloaded: take it from the EEPROM. */
        for (int i = 0; i < 3; i++) {
            uint16_t w = eeprom_read(i);
            mac[2 * i] = w & 0xFF;
            mac[2 * i + 1] = w >> 8;
        }
        return;
    }
    for (int i = 0; i < 4; i++) {
        mac[i] = low >> (8 * i);
    }
    mac[4] = high;
    mac[5] = high >> 8;
}

static bool e1000_init(const struct pci_device *dev, uint8_t mac[ETH_ADDR_LEN])
{
    if (pci_bar_is_io(dev, 0) || !pci_bar_addr(dev, 0)) {
        return false;
    }
    e1000.mmio = pci_bar_addr(dev, 0);
    pci_enable_device(dev);

    reg_write(REG_CTRL, reg_read(REG_CTRL) | CTRL_RST);
    for (int i = 0; i < 100000 && (reg_read(REG_CTRL) & CTRL_RST); i++) {
        cpu_relax();
    }
    reg_write(REG_IMC, 0xFFFFFFFF);     /* we poll */
    reg_write(REG_CTRL, reg_read(REG_CTRL) | CTRL_SLU);
    read_mac(mac);
    /* Make sure our address is the one the receive filter matches. */
    reg_write(REG_RAL0, mac[0] | mac[1] << 8 | mac[2] << 16 |
                        (uint32_t)mac[3] << 24);
    reg_write(REG_RAH0, mac[4] | mac[5] << 8 | 1u << 31 /* valid */);
    for (int i = 0; i < 128; i++) {
        reg_write(REG_MTA + 4 * i, 0);
    }

    for (int i = 0; i < RX_RING_SIZE; i++) {
        rx_ring[i].addr = phys_addr(rx_buffers[i]);
        rx_ring[i].status = 0;
    }
    reg_write(REG_RDBAL, phys_addr((const void *)rx_ring));
    reg_write(REG_RDBAH, 0);
    reg_write(REG_RDLEN, sizeof(rx_ring));
    reg_write(REG_RDH, 0);
    reg_write(REG_RDT, RX_RING_SIZE - 1);   /* all but one owned by the NIC */
    e1000.rx_next = 0;
    reg_write(REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);

    for (int i = 0; i < TX_RING_SIZE; i++) {
        tx_ring[i].addr = phys_addr(tx_buffers[i]);
        tx_ring[i].cmd = 0;
        tx_ring[i].status = TXD_STAT_DD;    /* free */
    }
    reg_write(REG_TDBAL, phys_addr((const void *)tx_ring));
    reg_write(REG_TDBAH, 0);
    reg_write(REG_TDLEN, sizeof(tx_ring));
    reg_write(REG_TDH, 0);
    reg_write(REG_TDT, 0);
    e1000.tx_next = 0;
    reg_write(REG_TIPG, 10 | 8 << 10 | 6 << 20);
    reg_write(REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
    return true;
}

static bool e1000_send(const void *frame, size_t len)
{
    unsigned slot = e1000.tx_next;
    volatile struct tx_desc *desc = &tx_ring[slot];
    int spins;

    if (len > BUF_SIZE) {
        return false;
    }
    for (spins = 0; !(desc->status & TXD_STAT_DD); spins++) {
        if (spins > 1000000) {
            return false;       /* the device stopped sending */
        }
        cpu_relax();
    }
    memcpy(tx_buffers[slot], frame, len);
    desc->length = len;
    desc->cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
    desc->status = 0;
    barrier();
    e1000.tx_next = (slot + 1) % TX_RING_SIZE;
    reg_write(REG_TDT, e1000.tx_next);
    return true;
}

static int e1000_poll(nic_rx_fn rx)
{
    int count = 0;

    for (;;) {
        unsigned slot = e1000.rx_next;
        volatile struct rx_desc *desc = &rx_ring[slot];

        if (!(desc->status & RXD_STAT_DD)) {
            break;
        }
        barrier();
        /* Frames never span buffers (2048 > max frame), so EOP is set. */
        if ((desc->status & RXD_STAT_EOP) && !desc->errors &&
            desc->length <= ETH_FRAME_MAX) {
            rx(rx_buffers[slot], desc->length);
            count++;
        }
        desc->status = 0;
        barrier();
        e1000.rx_next = (slot + 1) % RX_RING_SIZE;
        reg_write(REG_RDT, slot);       /* give the buffer back */
    }
    return count;
}

const struct nic_driver e1000_driver = {
    .name = "e1000",
    .vendor_id = 0x8086,
    .device_id = 0x100E,
    .init = e1000_init,
    .send = e1000_send,
    .poll = e1000_poll,
};
