/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fail closed: with taint on, every NIC must label what it delivers, or
 * the detector is blind on it without a word.  Once the machine is
 * built, a NIC model that is not known to label stops the emulator with
 * an error naming it.  (NICs hot-plugged later are not checked yet.)
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "net/net.h"
#include "sysemu/sysemu.h"
#include "hw-taint/taint.h"

/*
 * The net client models whose receive paths label the frames they copy
 * into guest RAM (patches 0005, 0006, 0008, 0018): QOM type names, but
 * for virtio-net, whose PCI proxies name its net client after
 * themselves.  The e1000 variants share e1000.c.
 */
static const char *const labelled_models[] = {
    "e1000", "e1000-82544gc", "e1000-82545em",
    "e1000e",
    "rtl8139",
    "virtio-net-device", "virtio-net-pci", "virtio-net-pci-transitional",
    "virtio-net-pci-non-transitional",
};

bool hw_taint_nic_model_labelled(const char *model)
{
    for (size_t i = 0; i < ARRAY_SIZE(labelled_models); i++) {
        if (!g_strcmp0(model, labelled_models[i])) {
            return true;
        }
    }
    return false;
}

static void check_nic(NICState *nic, void *opaque)
{
    NetClientState *nc = qemu_get_queue(nic);

    if (!hw_taint_nic_model_labelled(nc->model)) {
        error_report("taint=on: NIC '%s' (model %s) does not label the "
                     "frames it receives, so the detector would be blind "
                     "on it; use e1000, e1000e, rtl8139 or virtio-net-pci",
                     nc->name, nc->model);
        exit(1);
    }
}

static void check_nics(Notifier *n, void *data)
{
    qemu_foreach_nic(check_nic, NULL);
}

static Notifier nic_check_notifier = { .notify = check_nics };

void hw_taint_nic_check_register(void)
{
    static bool registered;

    if (!registered) {
        qemu_add_machine_init_done_notifier(&nic_check_notifier);
        registered = true;
    }
}
