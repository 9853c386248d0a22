#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): what vulnerability filters cost a protected VM.
#
#   tests/bench/filters.sh [-n RUNS] [-s STREAM_MB] [-f FILTERS]
#
# 1. bench-guard: nanoseconds per guest-bound frame in the NIC guard,
#    without a VM (unprotected port, protected UDP and TCP ports; 1 and
#    1,000 filters).
# 2. STREAM_MB (default 20) streamed into the Linux guest's checksumming
#    TCP service (port 5003), taint off, through filter-vigilante with no
#    filter installed and with FILTERS (default 1000) filters for that
#    port (none matching), and on Debian's plain QEMU; median of RUNS
#    (default 3), round-robin, and the ratios, measured in the same run.
#    Target: 1,000 filters at most 1.03x no filter.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
ours=$build/qemu-system-x86_64
plain=${VIGILANTE_BASELINE_QEMU:-/usr/bin/qemu-system-x86_64}
cli=$build/vigilante
bench_guard=$build/host/tests/bench/bench-guard
guest=$build/guests/linux
runs=3
stream_mb=20
nfilters=1000

while getopts "n:s:f:h" opt; do
    case $opt in
    n) runs=$OPTARG ;;
    s) stream_mb=$OPTARG ;;
    f) nfilters=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
    esac
done
for v in "$runs" "$stream_mb" "$nfilters"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "filters.sh: -n, -s and -f want positive numbers" >&2; exit 2; }
done
for f in "$ours" "$plain" "$cli" "$bench_guard" "$guest/initramfs.cpio.gz"; do
    [ -e "$f" ] || { echo "filters.sh: $f is missing (make, make check)" >&2; exit 1; }
done
kernel=$guest/vmlinux
[ -f "$kernel" ] || kernel=$guest/vmlinuz

work=$(mktemp -d /tmp/vigilante-bench-filters.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../../scripts/vm-helpers.sh
. "$src/scripts/vm-helpers.sh"

echo "== NIC guard without a VM"
"$bench_guard"
echo

# The filters: each wants its own 32-bit value at the stream's start
# (the stream is random: none matches) and reads up to byte 64.
mkdir -p "$work/filters"
for i in $(seq 0 $((nfilters - 1))); do
    printf 'program bench\nscope tcp 5003\nrequire be32[0] == %u && u8[%u] != 10\n' \
        $((0xf0000000 + i)) $((4 + i % 60)) > "$work/filters/f$i.txt"
    "$cli" filter compile "$work/filters/f$i.txt" > /dev/null
done

head -c $((stream_mb * 1024 * 1024)) /dev/urandom > "$work/stream.bin"
stream_sum=$(sha256sum "$work/stream.bin" | cut -d' ' -f1)
now_ns() { date +%s%N; }

wait_marker() {
    if ! wait_log "$work/serial.log" "$pid" "$1" "$2"; then
        echo "filters.sh: no '$1' within $2 s; serial log:" >&2
        tail -20 "$work/serial.log" >&2
        exit 1
    fi
}

# install_filters SOCKET: every compiled filter, over one QMP connection.
install_filters() {
    python3 - "$1" "$work/filters" <<'PY'
import base64, glob, json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
def cmd(c):
    f.write(json.dumps(c) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r
cmd({"execute": "qmp_capabilities"})
n = 0
for path in sorted(glob.glob(sys.argv[2] + "/*.vf")):
    data = base64.b64encode(open(path, "rb").read()).decode()
    r = cmd({"execute": "vigilante-filter-add",
             "arguments": {"id": path.rsplit("/", 1)[1][:-3], "data": data}})
    if "error" in r:
        sys.exit("filters.sh: " + r["error"]["desc"])
    n += 1
print(n)
PY
}

# one_run BINARY FILTERS(none|0|N): seconds to stream into the guest
one_run() {
    local port t_s0 t_s1 obj=() n
    port=$(free_port tcp)
    rm -f "$work/serial.log" "$work/qmp.sock"
    [ "$2" = none ] || obj=(-object filter-vigilante,id=g0,netdev=n0)
    "$1" -nodefaults -display none -accel tcg -m 256 -no-reboot \
        -kernel "$kernel" -initrd "$guest/initramfs.cpio.gz" \
        -append "console=ttyS0 norandmaps panic=-1 quiet vg.bench" \
        -serial "file:$work/serial.log" \
        -qmp "unix:$work/qmp.sock,server=on,wait=off" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:5003" \
        -device virtio-net-pci,netdev=n0,romfile= "${obj[@]}" \
        2>>"$work/qemu.log" &
    pid=$!
    wait_marker VG-LINUX-READY 120
    if [ "$2" != none ] && [ "$2" != 0 ]; then
        n=$(install_filters "$work/qmp.sock")
        [ "$n" = "$2" ] || { echo "filters.sh: installed $n of $2 filters" >&2; exit 1; }
    fi
    wait_marker "VG-BENCH stream-ready" 600
    t_s0=$(now_ns)
    if ! send_tcp "$work/stream.bin" "$port"; then
        echo "filters.sh: streaming into the guest failed" >&2
        exit 1
    fi
    wait_marker "VG-BENCH stream-sum" 600
    t_s1=$(now_ns)
    if ! grep -qa "VG-BENCH stream-sum $stream_sum" "$work/serial.log"; then
        echo "filters.sh: the guest's checksum of the stream is wrong" >&2
        exit 1
    fi
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    awk -v a="$t_s0" -v b="$t_s1" 'BEGIN { printf "%.3f\n", (b-a)/1e9 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }

echo "== $stream_mb MB into the Linux guest, taint off: $runs run(s) each, $(nproc) cores"
configs=("plain:$plain:none" "no-filter:$ours:0" "filters:$ours:$nfilters")
for c in "${configs[@]}"; do : > "$work/${c%%:*}.txt"; done
for i in $(seq "$runs"); do
    for c in "${configs[@]}"; do
        IFS=: read -r name bin nf <<< "$c"
        r=$(one_run "$bin" "$nf")
        echo "  $name run $i: $r s" >&2
        echo "$r" >> "$work/$name.txt"
    done
done
p=$(median < "$work/plain.txt")
z=$(median < "$work/no-filter.txt")
f=$(median < "$work/filters.txt")
awk -v p="$p" -v z="$z" -v f="$f" -v n="$nfilters" 'BEGIN {
    printf "%-28s %9s\n", "configuration", "stream"
    printf "%-28s %8.2fs\n", "plain QEMU", p
    printf "%-28s %8.2fs  %.3fx plain\n", "filter-vigilante, 0 filters", z, z / p
    printf "%-28s %8.2fs  %.3fx 0 filters (target <= 1.03x)\n", \
        "filter-vigilante, " n " filters", f, f / z
}'
