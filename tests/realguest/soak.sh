#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# False-alarm soak on a stock Debian guest (scripts/build-debian-image.sh):
# boot it in our emulator with taint tracking and the detector
# (action=continue: the guest goes on after an alert, and each distinct
# trap site is reported),
# drive it with real clients (tests/realguest/workload.sh) for a while,
# and count the alerts: there must be none.  Then, unless --no-plain,
# the same boot and workload on Debian's unmodified QEMU, for the speed
# the operator feels (each workload's time, taint on against plain).
#
#   tests/realguest/soak.sh [--image DIR] [--seconds N] [--plain-seconds N]
#                           [--nics "e1000 virtio-net-pci"] [--no-plain]
#                           [--net user|tap] [--keep DIR]
#
# --seconds: how long the clients run against each taint-on VM (default
# 600); --plain-seconds: against each plain VM (default: the same).  The
# speed figures are per request, so the plain runs can be shorter.
# --net: user (default) is QEMU's user-mode network with port forwards on
# 127.0.0.1; tap runs the whole soak in a network namespace of its own
# (needs root) where the VM's NIC is a tap device, the host 10.0.2.2 and
# the guest 10.0.2.15, reached at its own ports, and redis-benchmark runs
# its default 50 parallel clients (user-mode networking stalls with them).
# --keep DIR keeps the serial, stderr and workload logs.
# Exit status: 0 no alert and every request answered; 1 otherwise;
# 2 bad usage or a VM that did not come up; 77 (skip) when the image has
# not been built (`make check` builds it first) or --net tap runs without
# root.
set -euo pipefail

SRC=$(dirname "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")")
BUILD=$SRC/build
IMAGE=$BUILD/guests/debian
SECONDS_EACH=600
PLAIN_SECONDS=
NICS="e1000 virtio-net-pci"
PLAIN_QEMU=/usr/bin/qemu-system-x86_64
OUR_QEMU=$BUILD/qemu-system-x86_64
VIGILANTE=$BUILD/vigilante
BOOT_TIMEOUT=900
DO_PLAIN=1
KEEP=
NET=user
TAP=vgtap0
GUEST_IP=10.0.2.15
ARGS=("$@")

die() { echo "soak: error: $*" >&2; exit 2; }
# Arithmetic on decimals (comparisons print 1 or 0).
calc() { awk "BEGIN { v = $1; print (v == int(v) ? v : sprintf(\"%.3f\", v)) }"; }
note() { echo "soak: $*"; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
    --image) IMAGE=$2; shift 2 ;;
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --plain-seconds) PLAIN_SECONDS=$2; shift 2 ;;
    --nics) NICS=$2; shift 2 ;;
    --no-plain) DO_PLAIN=; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    --net) NET=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
PLAIN_SECONDS=${PLAIN_SECONDS:-$SECONDS_EACH}
case "$NET" in
user|tap) ;;
*) die "--net wants user or tap, not '$NET'" ;;
esac
case "$SECONDS_EACH$PLAIN_SECONDS" in
''|*[!0-9]*) die "--seconds and --plain-seconds want a number" ;;
esac
for f in vmlinuz initrd.img disk.qcow2 cmdline id_ed25519; do
    if [ ! -s "$IMAGE/$f" ]; then
        echo "soak: skipped: $IMAGE/$f missing: run scripts/build-debian-image.sh $IMAGE" >&2
        exit 77
    fi
done
[ -x "$OUR_QEMU" ] || die "$OUR_QEMU missing: run make"
[ -x "$VIGILANTE" ] || die "$VIGILANTE missing: run make"
[ -z "$DO_PLAIN" ] || [ -x "$PLAIN_QEMU" ] ||
    die "$PLAIN_QEMU missing (package qemu-system-x86), or pass --no-plain"

# On tap, everything runs in a private network namespace: the tap, the
# VMs and the clients, gone with the soak.
if [ "$NET" = tap ] && [ -z "${VG_SOAK_NETNS:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "soak: skipped: --net tap needs root (a network namespace and a tap device)" >&2
        exit 77
    fi
    VG_SOAK_NETNS=1 exec unshare --net -- "${BASH_SOURCE[0]}" "${ARGS[@]}"
fi
if [ "$NET" = tap ]; then
    ip link set lo up
    ip tuntap add dev "$TAP" mode tap
    ip addr add 10.0.2.2/24 dev "$TAP"
    ip link set "$TAP" up
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vg-soak.XXXXXX")
VM_PID=
cleanup() {
    [ -z "$VM_PID" ] || kill "$VM_PID" 2>/dev/null || true
    if [ -n "$KEEP" ]; then
        mkdir -p "$KEEP" && cp -r "$WORK"/. "$KEEP"/
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# A TCP and UDP port free on 127.0.0.1 (DNS forwards both).
free_port() {
    python3 - <<'EOF'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p); break
EOF
}

# start_vm NAME QEMU NIC TAINT(0|1): boots and waits for the ready line.
start_vm() {
    local name=$1 qemu=$2 nic=$3 taint=$4 dir=$WORK/$1 t0 fwd netdev
    mkdir -p "$dir/alerts"
    if [ "$NET" = tap ]; then
        HOST=$GUEST_IP
        P_SSH=22; P_HTTP=80; P_DNS=53; P_REDIS=6379; P_MC=11211; P_SMTP=25
        netdev="tap,id=n0,ifname=$TAP,script=no,downscript=no"
    else
        HOST=127.0.0.1
        P_SSH=$(free_port); P_HTTP=$(free_port); P_DNS=$(free_port)
        P_REDIS=$(free_port); P_MC=$(free_port); P_SMTP=$(free_port)
        fwd="hostfwd=tcp:127.0.0.1:$P_SSH-:22,hostfwd=tcp:127.0.0.1:$P_HTTP-:80"
        fwd+=",hostfwd=udp:127.0.0.1:$P_DNS-:53,hostfwd=tcp:127.0.0.1:$P_DNS-:53"
        fwd+=",hostfwd=tcp:127.0.0.1:$P_REDIS-:6379"
        fwd+=",hostfwd=tcp:127.0.0.1:$P_MC-:11211,hostfwd=tcp:127.0.0.1:$P_SMTP-:25"
        netdev="user,id=n0,$fwd"
    fi
    local args=(-nodefaults -display none -m 1024
                -kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img"
                -append "$(cat "$IMAGE/cmdline")"
                -drive "file=$IMAGE/disk.qcow2,if=virtio,snapshot=on"
                -netdev "$netdev" -device "$nic,netdev=n0,romfile="
                -serial "file:$dir/serial.log"
                -qmp "unix:$dir/qmp.sock,server=on,wait=off")
    if [ "$taint" = 1 ]; then
        args+=(-accel tcg,taint=on
               -object "vigilante,id=v0,action=continue,alert-dir=$dir/alerts,exec-services=tcp:22")
    else
        args+=(-accel tcg)
    fi
    t0=$(date +%s.%N)
    "$qemu" "${args[@]}" 2>"$dir/stderr.log" &
    VM_PID=$!
    until grep -q VG-DEBIAN-READY "$dir/serial.log" 2>/dev/null; do
        if ! kill -0 "$VM_PID" 2>/dev/null; then
            cat "$dir/stderr.log" >&2
            die "$name: the emulator exited before the guest was ready"
        fi
        if [ "$(calc "$(date +%s.%N) - $t0 > $BOOT_TIMEOUT")" = 1 ]; then
            tail -20 "$dir/serial.log" >&2
            die "$name: no VG-DEBIAN-READY within $BOOT_TIMEOUT s"
        fi
        sleep 1
    done
    BOOT_S=$(calc "$(date +%s.%N) - $t0")
    note "$name: ready in ${BOOT_S} s ($NET network)"
}

stop_vm() {
    kill "$VM_PID" 2>/dev/null || true
    wait "$VM_PID" 2>/dev/null || true
    VM_PID=
}

# run_workload NAME SECONDS: the clients against the VM's forwards.
run_workload() {
    local name=$1 secs=$2 rc=0 clients=4
    [ "$NET" = user ] || clients=50
    "$SRC/tests/realguest/workload.sh" --host "$HOST" --redis-clients "$clients" \
        --ssh-port "$P_SSH" --http-port "$P_HTTP" --dns-port "$P_DNS" \
        --redis-port "$P_REDIS" --memcached-port "$P_MC" \
        --smtp-port "$P_SMTP" --key "$IMAGE/id_ed25519" \
        --seconds "$secs" --out "$WORK/$name/workload.txt" || rc=$?
    grep '^workload ' "$WORK/$name/workload.txt" | sed "s/^/soak: $name: /"
    return $rc
}

# per_request ARRAY NIC FILE: ms per answered request of each workload
# ("workload NAME ok=N failed=M seconds=S" lines).  The workloads run
# for a fixed time, so the time per request is what compares.
per_request() {
    local -n arr=$1
    local w ok secs
    while read -r _ w rest; do
        ok=$(echo "$rest" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
        secs=$(echo "$rest" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p')
        [ -n "$ok" ] && [ "$ok" -gt 0 ] && [ -n "$secs" ] || continue
        arr[$2.$w]=$(calc "1000 * $secs / $ok")
    done < <(grep '^workload ' "$3")
}

failed=0
declare -A TIME_ON TIME_PLAIN BOOT_ON BOOT_PLAIN
for nic in $NICS; do
    name=taint-$nic
    start_vm "$name" "$OUR_QEMU" "$nic" 1
    BOOT_ON[$nic]=$BOOT_S
    run_workload "$name" "$SECONDS_EACH" || failed=1
    taint=$("$VIGILANTE" qmp "$WORK/$name/qmp.sock" query-taint || true)
    events=$(echo "$taint" | sed -n 's/.*"input-events": *\([0-9]*\).*/\1/p')
    by_design=$("$VIGILANTE" qmp "$WORK/$name/qmp.sock" qom-get \
        '{"path": "/objects/v0", "property": "afa-by-design"}' |
        sed -n 's/.*"return": *\([0-9]*\).*/\1/p' || true)
    stop_vm
    alerts=$(grep -c 'vigilante: alert [0-9]*:.*action' "$WORK/$name/stderr.log" || true)
    note "$name: $alerts alert(s), ${events:-?} input events, ${by_design:-?} execve by design (tcp:22)"
    if [ "$alerts" != 0 ]; then
        grep 'vigilante: alert' "$WORK/$name/stderr.log" | head -20
        failed=1
    fi
    [ "${events:-0}" -gt 0 ] || { note "$name: no input events: taint was not live"; failed=1; }
    # The ssh commands' execve calls are taken by exec-services: proof
    # that labels reached the guest's programs.
    if grep -q '^workload ssh ok=[1-9]' "$WORK/$name/workload.txt" &&
       [ "${by_design:-0}" -eq 0 ]; then
        note "$name: ssh ran commands but no execve was seen by design: labels did not reach the programs"
        failed=1
    fi
    per_request TIME_ON "$nic" "$WORK/$name/workload.txt"

    if [ -n "$DO_PLAIN" ]; then
        name=plain-$nic
        start_vm "$name" "$PLAIN_QEMU" "$nic" 0
        BOOT_PLAIN[$nic]=$BOOT_S
        run_workload "$name" "$PLAIN_SECONDS" || failed=1
        stop_vm
        per_request TIME_PLAIN "$nic" "$WORK/$name/workload.txt"
    fi
done

if [ -n "$DO_PLAIN" ]; then
    echo
    echo "boot: seconds to VG-DEBIAN-READY; workloads: ms per request"
    printf '%-16s %-10s %12s %12s %8s\n' nic workload taint-on plain ratio
    for nic in $NICS; do
        printf '%-16s %-10s %12.1f %12.1f %7.2fx\n' "$nic" boot \
            "${BOOT_ON[$nic]}" "${BOOT_PLAIN[$nic]}" \
            "$(calc "${BOOT_ON[$nic]} / ${BOOT_PLAIN[$nic]}")"
        for key in "${!TIME_ON[@]}"; do
            case "$key" in "$nic".*) ;; *) continue ;; esac
            w=${key#"$nic".}
            on=${TIME_ON[$key]}; pl=${TIME_PLAIN[$key]:-}
            [ -n "$on" ] && [ -n "$pl" ] || continue
            printf '%-16s %-10s %12.1f %12.1f %7.2fx\n' "$nic" "$w" "$on" "$pl" \
                "$(calc "$on / $pl")"
        done
    done
fi
if [ "$failed" = 0 ]; then
    note "PASS: no alert, every request answered"
else
    note "FAIL"
fi
exit "$failed"
