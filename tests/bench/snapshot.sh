#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): which ready snapshot restores faster, a
# migration stream (what `vigilante snapshot` writes) or an internal
# qcow2 snapshot (savevm / -loadvm)?
#
#   tests/bench/snapshot.sh [-n RUNS] [tiny|linux|debian]...
#
# For each guest (default: tiny and linux), boots it with taint off,
# waits for its readiness marker, saves both kinds of snapshot, then
# restores each RUNS times (default 10), alternating, and prints the
# medians: restore is emulator start to the VM loaded and paused (QMP
# query-status), check is one more `cont` and a request the guest must
# answer, which fails the run if the restored guest does not serve.
#
# debian is the stock Debian image (build/guests/debian), a disk-image
# profile: it runs on a qcow2 overlay over the image, as `vigilante
# snapshot` does.  The stream is restored over that overlay with
# snapshot=on (a throwaway layer, what verifier VMs do); the internal
# snapshot lives in the overlay, which -loadvm would change, so each of
# its restores first copies the overlay (counted in its time).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
runs=10
if [ "${1:-}" = -n ]; then runs=$2; shift 2; fi
guests=("${@:-tiny linux}")
# shellcheck disable=SC2206
guests=(${guests[*]})
qemu=$src/build/qemu-system-x86_64
cli=$src/build/vigilante
linux_dir=${VIGILANTE_LINUX_GUEST:-$src/build/guests/linux}
debian_dir=$src/build/guests/debian
work=$(mktemp -d /tmp/vg-bench-snapshot.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
. "$src/scripts/vm-helpers.sh"

now_ms() { date +%s%3N; }
qmp() { "$cli" qmp "$work/qmp.sock" "$@"; }

# guest_args NAME PORT: the emulator's arguments for a guest, taint off,
# with a UDP echo service forwarded from 127.0.0.1:PORT.
guest_args() {
    case $1 in
    tiny)
        args=(-m 32 -kernel "$src/build/host/tests/guests/tiny/tiny-guest.elf"
              -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$2-10.0.2.15:7"
              -device e1000,netdev=n0,romfile=)
        marker=VG-READY
        ;;
    linux)
        args=(-m 256 -kernel "$linux_dir/vmlinux"
              -initrd "$linux_dir/initramfs.cpio.gz"
              -append "console=ttyS0 norandmaps panic=-1 quiet"
              -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$2-10.0.2.15:5004"
              -device virtio-net-pci,netdev=n0,romfile=)
        marker=VG-LINUX-READY
        ;;
    debian)
        args=(-m 1024 -kernel "$debian_dir/vmlinuz"
              -initrd "$debian_dir/initrd.img"
              -append "$(cat "$debian_dir/cmdline")"
              -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$2-10.0.2.15:80"
              -device virtio-net-pci,netdev=n0,romfile=)
        marker=VG-DEBIAN-READY
        ;;
    esac
}

# A request the restored guest must answer: the tiny guest's echo, or
# vg-ctld's hello on the Linux guest (a UDP exchange through bash's
# /dev/udp would not wait for the answer: use the CLI-free python3).
answers() {
    python3 - "$1" "$2" <<'EOF'
import socket, sys
port, guest = int(sys.argv[1]), sys.argv[2]
if guest == "debian":
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    sys.exit(0 if c.recv(12) == b"HTTP/1.1 200" else 1)
msg = b"ping" if guest == "tiny" else b"Hbench"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(50):
    s.sendto(msg, ("127.0.0.1", port))
    try:
        s.recv(2048)
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
EOF
}

start() {
    rm -f "$work/qmp.sock" "$work/serial.log"
    "$qemu" -nodefaults -display none -no-reboot -accel tcg,taint=off \
        -serial "file:$work/serial.log" \
        -qmp "unix:$work/qmp.sock,server=on,wait=off" "${args[@]}" "$@" \
        >"$work/qemu.log" 2>&1 &
    pid=$!
}

stop() {
    qmp quit >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
}

# Poll until the VM is loaded and paused; fails when it exits first.
wait_paused() {
    local st
    for _ in $(seq 3000); do
        st=$(qmp query-status 2>/dev/null || true)
        case $st in
        *'"status": "paused"'* | *'"status": "prelaunch"'*) return 0 ;;
        esac
        kill -0 "$pid" 2>/dev/null || { cat "$work/qemu.log" >&2; return 1; }
        sleep 0.005
    done
    return 1
}

wait_done() {
    for _ in $(seq 6000); do
        case $(qmp query-migrate) in
        *'"status": "completed"'*) return 0 ;;
        *'"status": "failed"'*) return 1 ;;
        esac
        sleep 0.02
    done
    return 1
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

for g in "${guests[@]}"; do
    if [ "$g" = debian ]; then
        port=$(free_port tcp)
    else
        port=$(free_port udp)
    fi
    guest_args "$g" "$port"
    disk=$work/$g.qcow2
    stream=$work/$g.stream
    if [ "$g" = debian ]; then
        [ -f "$debian_dir/.stamp" ] || { echo "no Debian image in $debian_dir" >&2; exit 1; }
        qemu-img create -q -f qcow2 -F qcow2 -b "$debian_dir/disk.qcow2" "$disk"
        drive=(-drive "file=$disk,if=virtio,format=qcow2")
        mig_drive=(-drive "file=$disk,if=virtio,format=qcow2,snapshot=on")
        qcow_drive=(-drive "file=$work/copy.qcow2,if=virtio,format=qcow2")
        boot_s=600
    else
        qemu-img create -q -f qcow2 "$disk" 64M
        drive=(-drive "file=$disk,if=none,id=vmstate,format=qcow2")
        mig_drive=("${drive[@]}")
        qcow_drive=("${drive[@]}")
        boot_s=120
    fi

    start "${drive[@]}"
    wait_log "$work/serial.log" "$pid" "$marker" "$boot_s" || { echo "$g did not boot" >&2; exit 1; }
    qmp stop >/dev/null
    # savevm first: a finished migration leaves the images inactive.
    t=$(now_ms)
    reply=$(qmp human-monitor-command '{"command-line": "savevm ready"}')
    case $reply in *'"return": ""'*) ;; *) echo "$g: savevm: $reply" >&2; exit 1 ;; esac
    save_qcow=$(( $(now_ms) - t ))
    t=$(now_ms)
    qmp migrate "{\"uri\": \"exec:cat > $stream\"}" >/dev/null
    wait_done
    save_mig=$(( $(now_ms) - t ))
    stop
    echo "$g: saved: migration stream $save_mig ms ($(du -k "$stream" | cut -f1) KiB), qcow2 internal $save_qcow ms ($(du -k "$disk" | cut -f1) KiB image)"

    : >"$work/mig.ms"; : >"$work/qcow.ms"
    for i in $(seq "$runs"); do
        for kind in mig qcow; do
            t=$(now_ms)
            if [ $kind = mig ]; then
                start "${mig_drive[@]}" -S -incoming "exec:cat $stream"
            else
                [ "$g" = debian ] && cp "$disk" "$work/copy.qcow2"
                start "${qcow_drive[@]}" -S -loadvm ready
            fi
            wait_paused
            echo $(( $(now_ms) - t )) >>"$work/$kind.ms"
            qmp cont >/dev/null
            answers "$port" "$g" || { echo "$g: run $i: the guest restored from $kind did not answer" >&2; exit 1; }
            stop
        done
        printf '.' >&2
    done
    echo >&2
    echo "$g: restore to paused, median of $runs (each then answered a request):" \
         "migration stream $(median <"$work/mig.ms") ms," \
         "qcow2 internal $(median <"$work/qcow.ms") ms"
done
