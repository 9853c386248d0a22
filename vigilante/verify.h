/*
 * The verifier's trap (vigilante/verify.c): with taint tracking off, a
 * replayed SCA is verified when the guest is about to run code at the
 * nonce the verifier planted.
 */
#ifndef VIGILANTE_VERIFY_H
#define VIGILANTE_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

extern bool vigilante_verify_armed;
extern uint64_t vigilante_verify_target;

/* Called from the TB lookup (patch 0017) when armed and pc matches. */
void vigilante_verify_hit(uint64_t pc);

static inline void vigilante_verify_check(uint64_t pc)
{
    if (__builtin_expect(vigilante_verify_armed, 0) &&
        pc == vigilante_verify_target) {
        vigilante_verify_hit(pc);
    }
}

#endif
