/*
 * The verifier's trap: QMP vigilante-verify-arm sets the address (the
 * nonce planted in the hinted bytes of an AEC SCA); every TB lookup
 * compares the guest's next pc with it, so the guest is caught the
 * moment it is about to execute there, whether the jump comes through
 * the main loop or an indirect-jump lookup.  The hit emits
 * VIGILANTE_VERIFIED and pauses the VM.  No taint tracking is involved.
 */
#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/qapi-commands-vigilante.h"
#include "qapi/qapi-events-vigilante.h"
#include "sysemu/runstate.h"
#include "vigilante/verify.h"

bool vigilante_verify_armed;
uint64_t vigilante_verify_target;

void vigilante_verify_hit(uint64_t pc)
{
    bool locked = qemu_mutex_iothread_locked();

    if (!locked) {
        qemu_mutex_lock_iothread();
    }
    if (vigilante_verify_armed) {
        vigilante_verify_armed = false;
        qapi_event_send_vigilante_verified(pc);
        qemu_system_vmstop_request_prepare();
        qemu_system_vmstop_request(RUN_STATE_PAUSED);
    }
    if (!locked) {
        qemu_mutex_unlock_iothread();
    }
}

void qmp_vigilante_verify_arm(uint64_t target, Error **errp)
{
    vigilante_verify_target = target;
    vigilante_verify_armed = true;
}
