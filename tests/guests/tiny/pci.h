/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI configuration space (mechanism #1, bus 0) and device discovery.
 */
#ifndef TINY_PCI_H
#define TINY_PCI_H

#include "io.h"

struct pci_device {
    uint8_t bus, slot, func;
    uint16_t vendor_id, device_id;
    uint8_t class_code, subclass;
};

uint32_t pci_read32(const struct pci_device *dev, uint8_t offset);
void pci_write32(const struct pci_device *dev, uint8_t offset, uint32_t val);

/* Fill @devs with up to @max present functions on bus 0; returns count. */
int pci_scan(struct pci_device *devs, int max);

/* Address of BAR @n without the type bits (I/O port or memory). */
uint32_t pci_bar_addr(const struct pci_device *dev, int n);
bool pci_bar_is_io(const struct pci_device *dev, int n);

/* Enable I/O and memory decoding and bus mastering (needed for DMA). */
void pci_enable_device(const struct pci_device *dev);

#endif /* TINY_PCI_H */
