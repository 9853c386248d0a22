/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tiny guest: find a supported NIC on PCI, bring up the network stack and
 * serve UDP forever, polling (no interrupts).
 */
#include "layout.h"
#include "net.h"
#include "serial.h"
#include "services.h"

static const struct nic_driver *const drivers[] = {
    &e1000_driver,
    &rtl8139_driver,
};

static const uint8_t guest_ip[IP_ADDR_LEN] = { 10, 0, 2, 15 };
static const uint8_t gateway_ip[IP_ADDR_LEN] = { 10, 0, 2, 2 };

static const struct nic_driver *find_nic(struct pci_device *found)
{
    struct pci_device devs[32];
    int count = pci_scan(devs, 32);

    for (int i = 0; i < count; i++) {
        kprintf("pci 00:%02x.%u %04x:%04x class %02x%02x\n", devs[i].slot,
                devs[i].func, devs[i].vendor_id, devs[i].device_id,
                devs[i].class_code, devs[i].subclass);
    }
    for (int i = 0; i < count; i++) {
        for (unsigned d = 0; d < sizeof(drivers) / sizeof(drivers[0]); d++) {
            if (devs[i].vendor_id == drivers[d]->vendor_id &&
                devs[i].device_id == drivers[d]->device_id) {
                *found = devs[i];
                return drivers[d];
            }
        }
    }
    return NULL;
}

void kmain(uint32_t multiboot_magic, uint32_t multiboot_info);

void kmain(uint32_t multiboot_magic, uint32_t multiboot_info)
{
    const struct nic_driver *nic;
    struct pci_device dev;
    uint8_t mac[ETH_ADDR_LEN];

    serial_init();
    kprintf("\n" TINY_MARK_BOOT " multiboot=%x info=%x\n", multiboot_magic,
            multiboot_info);

    nic = find_nic(&dev);
    if (!nic) {
        kprintf("VG-ERROR no supported NIC (e1000, rtl8139) on PCI bus 0\n");
        halt_forever();
    }
    if (!nic->init(&dev, mac)) {
        kprintf("VG-ERROR %s did not initialise\n", nic->name);
        halt_forever();
    }
    net_init(nic, mac, guest_ip);
    services_init();
    net_announce(gateway_ip);

    kprintf("VG-INFO fig1 port=%u buf=%p ret-slot=%p\n", TINY_UDP_FIG1_PORT,
            (void *)TINY_FIG1_BUF_ADDR, (void *)TINY_FIG1_RET_SLOT);
    kprintf(TINY_MARK_READY " nic=%s ip=" TINY_IP_ADDR
            " mac=%02x:%02x:%02x:%02x:%02x:%02x echo=%u fig1=%u run=%u\n",
            nic->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
            TINY_UDP_ECHO_PORT, TINY_UDP_FIG1_PORT, TINY_UDP_RUN_PORT);

    for (;;) {
        net_poll();
    }
}
