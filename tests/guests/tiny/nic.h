/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The interface every NIC driver offers to the network stack.
 */
#ifndef TINY_NIC_H
#define TINY_NIC_H

#include "pci.h"

#define ETH_ADDR_LEN    6
#define ETH_FRAME_MAX   1514    /* without FCS */
#define ETH_FRAME_MIN   60      /* without FCS; shorter frames get padded */

/*
 * Called for each received frame, in place in the driver's DMA receive
 * buffer.  At least one byte after the frame is writable scratch.  The
 * buffer is recycled when the callback returns.
 */
typedef void (*nic_rx_fn)(uint8_t *frame, size_t len);

struct nic_driver {
    const char *name;
    uint16_t vendor_id;
    uint16_t device_id;
    /* Bring the device up; fill @mac.  False when it does not respond. */
    bool (*init)(const struct pci_device *dev, uint8_t mac[ETH_ADDR_LEN]);
    /* Queue one frame (ETH_FRAME_MIN..ETH_FRAME_MAX bytes); false on error. */
    bool (*send)(const void *frame, size_t len);
    /* Deliver every frame received so far; returns how many. */
    int (*poll)(nic_rx_fn rx);
};

extern const struct nic_driver e1000_driver;
extern const struct nic_driver rtl8139_driver;

#endif /* TINY_NIC_H */
