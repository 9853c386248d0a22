/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI configuration mechanism #1.  SeaBIOS has already assigned the BARs
 * before loading us, so we only read them.  QEMU's pc machine puts
 * -device NICs on bus 0, so scanning bus 0 is enough.
 */
#include "pci.h"

#define PCI_CONFIG_ADDRESS  0xCF8
#define PCI_CONFIG_DATA     0xCFC

#define PCI_COMMAND         0x04
#define PCI_CMD_IO          0x0001
#define PCI_CMD_MEMORY      0x0002
#define PCI_CMD_BUS_MASTER  0x0004
#define PCI_CLASS_REV       0x08
#define PCI_HEADER_TYPE     0x0C    /* byte 2 of this dword */
#define PCI_BAR0            0x10

static uint32_t config_address(uint8_t bus, uint8_t slot, uint8_t func,
                               uint8_t offset)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)slot << 11 |
           (uint32_t)func << 8 | (offset & 0xFC);
}

static uint32_t read_raw(uint8_t bus, uint8_t slot, uint8_t func,
                         uint8_t offset)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, slot, func, offset));
    return inl(PCI_CONFIG_DATA);
}

uint32_t pci_read32(const struct pci_device *dev, uint8_t offset)
{
    return read_raw(dev->bus, dev->slot, dev->func, offset);
}

void pci_write32(const struct pci_device *dev, uint8_t offset, uint32_t val)
{
    outl(PCI_CONFIG_ADDRESS,
         config_address(dev->bus, dev->slot, dev->func, offset));
    outl(PCI_CONFIG_DATA, val);
}

int pci_scan(struct pci_device *devs, int max)
{
    int count = 0;

    for (uint8_t slot = 0; slot < 32; slot++) {
        uint8_t nfuncs = 1;

        for (uint8_t func = 0; func < nfuncs; func++) {
            uint32_t id = read_raw(0, slot, func, 0);
            uint32_t class_rev;

            if ((id & 0xFFFF) == 0xFFFF) {
                continue;
            }
            if (func == 0 &&
                (read_raw(0, slot, 0, PCI_HEADER_TYPE) >> 16) & 0x80) {
                nfuncs = 8;         /* multi-function device */
            }
            if (count == max) {
                return count;
            }
            class_rev = read_raw(0, slot, func, PCI_CLASS_REV);
            devs[count++] = (struct pci_device) {
                .bus = 0, .slot = slot, .func = func,
                .vendor_id = id & 0xFFFF, .device_id = id >> 16,
                .class_code = class_rev >> 24,
                .subclass = (class_rev >> 16) & 0xFF,
            };
        }
    }
    return count;
}

bool pci_bar_is_io(const struct pci_device *dev, int n)
{
    return pci_read32(dev, PCI_BAR0 + 4 * n) & 1;
}

uint32_t pci_bar_addr(const struct pci_device *dev, int n)
{
    uint32_t bar = pci_read32(dev, PCI_BAR0 + 4 * n);

    return (bar & 1) ? (bar & ~3u) : (bar & ~15u);
}

void pci_enable_device(const struct pci_device *dev)
{
    uint32_t cmd = pci_read32(dev, PCI_COMMAND);

    /* The upper half is the status register: writing it back as read
     * only clears its write-1-to-clear bits, which is harmless. */
    cmd |= PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER;
    pci_write32(dev, PCI_COMMAND, cmd);
}
