#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on the embedded defaults (the tiny Figure-1 guest):
#  1. a honeypot guest with taint on and the detector; an attack that
#     makes the guest execute bytes it received is trapped before they
#     run, and VIGILANTE_ALERT names the frame and the offsets of the code;
#  2. the paper's Figure-1 exploit (return-address overwrite) on the same
#     guest: the guest's copy loop carries the frame's bytes to the return
#     address, and the ret is trapped (AEC) before it jumps; the alert is
#     written as a self-certifying alert (SCA) and shown;
#  3. the SCA is verified the way any host would: a ready snapshot of the
#     program is restored in an isolated VM without taint tracking, the
#     message is replayed with a random nonce in the hinted bytes, and the
#     guest is caught about to jump to the nonce; then it is minimised by
#     replay, and the minimised SCA verified by a warm verifier (a VM that
#     restored the snapshot before the SCA arrived).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
qemu=$build/qemu-system-x86_64
cli=$build/vigilante
guest=$build/host/tests/guests/tiny/tiny-guest.elf
exploits=$build/host/tests/functional/exploits
for f in "$qemu" "$cli" "$guest" "$exploits/fig1-exploit" "$exploits/run-exploit"; do
    [ -e "$f" ] || { echo "demo: $f is missing: run make first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vigilante-demo.XXXXXX)
qemu_pid=
stop_vm() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        "$cli" qmp "$work/qmp.sock" quit >/dev/null 2>&1 || kill "$qemu_pid" 2>/dev/null
        wait "$qemu_pid" 2>/dev/null || true
    fi
    qemu_pid=
}
trap 'stop_vm; rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }
step() { printf '[%6d ms] %s\n' "$(( $(now_ms) - t0 ))" "$*"; }

# shellcheck source=vm-helpers.sh
. "$src/scripts/vm-helpers.sh"
free_udp_port() { free_port udp; }
wait_serial() { wait_log "$work/serial.log" "$qemu_pid" "$1" "$2"; }

qmp() { "$cli" qmp "$work/qmp.sock" "$@"; }

wait_alert() {
    for _ in $(seq 100); do
        grep -q "vigilante: alert" "$work/qemu.log" && return 0
        sleep 0.05
    done
    echo "demo: no alert" >&2
    cat "$work/qemu.log" "$work/serial.log" >&2
    exit 1
}

# start_vm EXTRA-ARGS...: boot the tiny guest with taint on.
start_vm() {
    rm -f "$work/serial.log" "$work/qmp.sock" "$work/qemu.log"
    "$qemu" -nodefaults -display none -accel tcg,taint=on,taint-kernel=all -m 32 -no-reboot \
        -kernel "$guest" -serial "file:$work/serial.log" \
        -qmp "unix:$work/qmp.sock,server=on,wait=off" \
        -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$echo_port-10.0.2.15:7,hostfwd=udp:127.0.0.1:$fig1_port-10.0.2.15:4444,hostfwd=udp:127.0.0.1:$run_port-10.0.2.15:4446" \
        -device e1000,netdev=n0,romfile= "$@" 2>"$work/qemu.log" &
    qemu_pid=$!
    wait_serial VG-READY 20 || { echo "demo: the guest did not come up" >&2; cat "$work/serial.log" >&2; exit 1; }
    step "guest booted: $(grep -a VG-READY "$work/serial.log" | head -1 | tr -d '\r')"
}

echo_port=$(free_udp_port)
fig1_port=$echo_port
while [ "$fig1_port" = "$echo_port" ]; do fig1_port=$(free_udp_port); done
run_port=$echo_port
while [ "$run_port" = "$echo_port" ] || [ "$run_port" = "$fig1_port" ]; do
    run_port=$(free_udp_port)
done

echo "Vigilante-QEMU demo: $("$qemu" --version | head -1)"
echo
echo "1. Honeypot: the tiny guest with taint tracking and the detector"
t0=$(now_ms)
start_vm -object vigilante,id=detector,action=pause
answer=$("$exploits/fig1-exploit" --benign --text "hello vigilante" "$fig1_port")
step "benign request answered: $answer"
step "taint engine: $(qmp query-taint)"
"$exploits/run-exploit" "$run_port" >/dev/null
step "attack sent to the run service: one datagram carrying code it runs in place"
wait_alert
step "ALERT: $(grep -a "vigilante: alert" "$work/qemu.log" | head -1 | sed 's/.*vigilante: //')"
step "guest status: $(qmp query-status)"
if grep -qa "VG-PWNED" "$work/serial.log"; then
    echo "demo: the attack's code ran although the detector trapped it" >&2
    exit 1
fi
step "the attack's code never ran (no VG-PWNED on the guest's serial line)"
mkdir -p "$build/demo"
qmp vigilante-log-dump "{\"filename\": \"$build/demo/frames.pcap\"}" >/dev/null
step "event log: $(tcpdump -r "$build/demo/frames.pcap" 2>/dev/null | wc -l) frames written to build/demo/frames.pcap (tcpdump -r reads it)"
stop_vm

echo
echo "2. The paper's Figure-1 exploit (return address overwritten via a CPU copy)"
t0=$(now_ms)
mkdir -p "$work/alerts"
digest=$(sha256sum "$guest" | cut -d' ' -f1)
start_vm -object vigilante,id=detector,action=pause,alert-dir="$work/alerts",program=tiny-fig1,program-digest="$digest"
"$exploits/fig1-exploit" "$fig1_port" >/dev/null
step "exploit sent: one UDP datagram overwriting the return address"
wait_alert
step "ALERT: $(grep -a "vigilante: alert" "$work/qemu.log" | head -1 | sed 's/.*vigilante: //')"
step "guest status: $(qmp query-status)"
if wait_serial "VG-PWNED" 1; then
    echo "demo: the exploit landed although the detector trapped it" >&2
    exit 1
fi
step "the return never happened: the copied bytes were traced from the frame to the return address"
for _ in $(seq 50); do [ -s "$work/alerts/sca-1.bin" ] && break; sleep 0.05; done
cp "$work/alerts/sca-1.bin" "$build/demo/fig1.sca"
step "self-certifying alert written: build/demo/fig1.sca, $(stat -c %s "$build/demo/fig1.sca") bytes for a 72-byte datagram"
"$cli" sca show "$build/demo/fig1.sca"
stop_vm

echo
echo "3. Verification: any host checks the SCA against its own copy of the program"
t0=$(now_ms)
step "$("$cli" snapshot "$src/profiles/tiny-fig1.profile")"
verdict=$("$cli" verify "$src/profiles/tiny-fig1.profile" "$build/demo/fig1.sca") || {
    echo "demo: the SCA did not verify: $verdict" >&2
    exit 1
}
step "verdict (fresh snapshot VM, taint off, nonce in the hinted bytes): $verdict"
min=$("$cli" sca minimise "$src/profiles/tiny-fig1.profile" "$build/demo/fig1.sca" "$build/demo/fig1.min.sca") || {
    echo "demo: minimisation failed: $min" >&2
    exit 1
}
step "minimised by replay (the worm's sled and code become filler): $min"
warm=$("$cli" verify "$src/profiles/tiny-fig1.profile" --warm "$build/demo/fig1.min.sca" "$build/demo/fig1.min.sca" | tail -1) || {
    echo "demo: the minimised SCA did not verify: $warm" >&2
    exit 1
}
step "minimised SCA verified by a warm verifier (a restored VM waiting, as an agent keeps one): $warm"
