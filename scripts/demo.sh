#!/usr/bin/env bash
# The main job on the embedded defaults: boot the tiny Figure-1 guest on
# our emulator with taint tracking on, check its services answer, fire the
# one-datagram exploit from the host, and show what the guest did.
#
# (Detection, alerts and verification arrive with the taint engine's
# propagation pass; today the demo shows the attack landing on an
# unprotected guest and the taint sources counting the frames.)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
qemu=$build/qemu-system-x86_64
guest=$build/host/tests/guests/tiny/tiny-guest.elf
exploit=$build/host/tests/functional/exploits/fig1-exploit
for f in "$qemu" "$build/vigilante" "$guest" "$exploit"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "demo: $f is missing: run make first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vigilante-demo.XXXXXX)
qemu_pid=
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        "$build/vigilante" qmp "$work/qmp.sock" quit >/dev/null 2>&1 ||
            kill "$qemu_pid" 2>/dev/null
        wait "$qemu_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
step() { printf '[%6d ms] %s\n' "$(( $(now_ms) - t0 ))" "$*"; }

# A UDP port on 127.0.0.1 that nothing listens on.
free_udp_port() {
    local port
    while :; do
        port=$(( 20000 + RANDOM % 40000 ))
        [ -z "$(ss -Hlun "sport = :$port" 2>/dev/null)" ] && { echo "$port"; return; }
    done
}

wait_serial() {     # wait_serial MARKER TIMEOUT_S
    local deadline=$(( $(date +%s) + $2 ))
    while ! grep -qa "$1" "$work/serial.log" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "$qemu_pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
}

qmp() { "$build/vigilante" qmp "$work/qmp.sock" "$@"; }

echo_port=$(free_udp_port)
fig1_port=$(free_udp_port)
while [ "$fig1_port" = "$echo_port" ]; do fig1_port=$(free_udp_port); done

echo "Vigilante-QEMU demo: $("$qemu" --version | head -1)"
echo "guest: tiny Figure-1 guest (e1000), UDP echo on host port $echo_port,"
echo "       Figure-1 service on host port $fig1_port; serial log $work/serial.log"
t0=$(now_ms)
"$qemu" -nodefaults -display none -accel tcg,taint=on -m 32 -no-reboot \
    -kernel "$guest" -serial "file:$work/serial.log" \
    -qmp "unix:$work/qmp.sock,server=on,wait=off" \
    -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$echo_port-10.0.2.15:7,hostfwd=udp:127.0.0.1:$fig1_port-10.0.2.15:4444" \
    -device e1000,netdev=n0,romfile= &
qemu_pid=$!
wait_serial VG-READY 20 || { echo "demo: the guest did not come up" >&2; cat "$work/serial.log" >&2; exit 1; }
step "guest booted: $(grep -a VG-READY "$work/serial.log" | head -1 | tr -d '\r')"

answer=$("$exploit" --benign --text "hello vigilante" "$fig1_port")
step "benign Figure-1 request answered: $answer"
step "taint engine: $(qmp query-taint)"

if grep -qa "VG-PWNED" "$work/serial.log"; then
    echo "demo: the guest printed the exploit's marker before the attack" >&2
    exit 1
fi
"$exploit" "$fig1_port"
step "exploit sent: one UDP datagram overwriting the return address"
if wait_serial "VG-PWNED" 10; then
    step "guest ran the attacker's code: $(grep -a VG-PWNED "$work/serial.log" | head -1 | tr -d '\r')"
    step "taint engine: $(qmp query-taint)"
    echo "The attack landed: without the detector the guest is compromised."
else
    echo "demo: the exploit did not land (serial log follows)" >&2
    cat "$work/serial.log" >&2
    exit 1
fi
