#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmarks (not tests): the same Linux guest workloads on Debian's
# unmodified qemu-system-x86_64 7.2 (the baseline), on ours with taint off
# and on ours with taint on, measured in the same run; prints the median
# of each and its ratio to the baseline.
#
#   tests/bench/run.sh [-n RUNS] [-s STREAM_MB] [-w] [-p DIR]
#
# Two tables: wall-clock time, and the CPU time of all the emulator's
# threads over the same intervals (steadier on a shared host).
#
# -p DIR profiles instead: one taint-on run under `perf record -g`
# (2000 Hz) for the stream and for the dirty job alone, the data in
# DIR/stream.perf.data and DIR/dirty.perf.data, and prints each one's
# top symbols (generated code has no symbol: perf shows it as [unknown]).
#
# -w adds two configurations with the detector (-object vigilante,
# action=continue): www=off and www=on (the default), for the cost of
# the write-what-where policy; the last column is then www-on/www-off.
#
# Workloads (wall-clock time on the host, from serial markers):
#   boot    emulator start to VG-LINUX-READY
#   cpu     busybox sha256sum over 64 MiB in tmpfs (no network data)
#   stream  STREAM_MB (default 20) streamed from the host into a guest
#           TCP service that checksums it (dirty data flowing; the
#           checksum is compared with the host's)
#   dirty   the guest gzips and checksums 16 MB it received over TCP
#           (a CPU-bound job on dirty data; timed from the start of
#           gzip to the checksum, which is compared with the host's)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
ours=$build/qemu-system-x86_64
plain=${VIGILANTE_BASELINE_QEMU:-/usr/bin/qemu-system-x86_64}
guest=$build/guests/linux
runs=3
stream_mb=20
www=
profile=

while getopts "n:s:wp:h" opt; do
    case $opt in
    n) runs=$OPTARG ;;
    s) stream_mb=$OPTARG ;;
    w) www=1 ;;
    p) profile=$OPTARG ;;
    *) sed -n '2,30p' "$0"; exit 2 ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench: -n wants a positive count" >&2; exit 2; }
[[ $stream_mb =~ ^[1-9][0-9]*$ ]] || { echo "bench: -s wants a size in MB" >&2; exit 2; }
for f in "$ours" "$plain" "$guest/initramfs.cpio.gz"; do
    [ -e "$f" ] || { echo "bench: $f is missing (make, scripts/install-deps.sh, make check)" >&2; exit 1; }
done
kernel=$guest/vmlinux
[ -f "$kernel" ] || kernel=$guest/vmlinuz
if [ -n "$profile" ]; then
    command -v perf >/dev/null || { echo "bench: -p needs perf (linux-perf)" >&2; exit 1; }
    mkdir -p "$profile" || exit 1
fi

work=$(mktemp -d /tmp/vigilante-bench.XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

head -c $((stream_mb * 1024 * 1024)) /dev/urandom > "$work/stream.bin"
stream_sum=$(sha256sum "$work/stream.bin" | cut -d' ' -f1)
# The dirty job's input: text-like (gzip has work to do), 16 MiB.
awk 'BEGIN { for (i = 0; n < 16777216; i++) {
        s = sprintf("line %d %d GET /index.html HTTP/1.1 Host: vg-%d.example\n",
                    i, i * 7919 % 100003, i % 97)
        printf "%s", s; n += length(s) } }' > "$work/dirty.bin"
truncate -s $((16 * 1024 * 1024)) "$work/dirty.bin"
dirty_sum=$(sha256sum "$work/dirty.bin" | cut -d' ' -f1)

now_ns() { date +%s%N; }

# cpu_ns: on-CPU time so far of all the emulator's threads (schedstat)
cpu_ns() {
    local f sum=0 v
    for f in /proc/"$pid"/task/*/schedstat; do
        read -r v _ < "$f" 2>/dev/null && sum=$((sum + v))
    done
    echo "$sum"
}

# perf_start NAME / perf_stop: with -p, record the emulator meanwhile
perf_pid=
perf_start() {
    [ -n "$profile" ] || return 0
    perf record -q -F 2000 -g -p "$pid" -o "$profile/$1.perf.data" 2>>"$work/perf.log" &
    perf_pid=$!
    sleep 0.5           # perf attaches before the work starts
}
perf_stop() {
    [ -n "$perf_pid" ] || return 0
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; perf_pid=
}

# shellcheck source=../../scripts/vm-helpers.sh
. "$src/scripts/vm-helpers.sh"

# wait_marker TEXT TIMEOUT_S: until the serial log has TEXT, else give up
wait_marker() {
    if ! wait_log "$work/serial.log" "$pid" "$1" "$2"; then
        echo "bench: no '$1' within $2 s; serial log:" >&2
        tail -20 "$work/serial.log" >&2
        exit 1
    fi
}

# one_run BINARY ACCEL [OBJECT]: prints "boot cpu stream dirty" in
# seconds of wall-clock time, then the same in CPU seconds (all the
# emulator's threads; steadier than wall-clock time on a shared host)
one_run() {
    local port port2 t0 t_ready t_cpu0 t_cpu1 t_s0 t_s1 t_d0 t_d1 obj=()
    local c_ready c_cpu0 c_cpu1 c_s0 c_s1 c_d0 c_d1
    port=$(free_port tcp)
    port2=$(free_port tcp)
    rm -f "$work/serial.log"
    [ -n "${3:-}" ] && obj=(-object "$3")
    t0=$(now_ns)
    "$1" -nodefaults -display none -accel "$2" -m 256 -no-reboot "${obj[@]}" \
        -kernel "$kernel" -initrd "$guest/initramfs.cpio.gz" \
        -append "console=ttyS0 norandmaps panic=-1 quiet vg.bench" \
        -serial "file:$work/serial.log" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-10.0.2.15:5003,hostfwd=tcp:127.0.0.1:$port2-10.0.2.15:5004" \
        -device virtio-net-pci,netdev=n0,romfile= 2>>"$work/qemu.log" &
    pid=$!
    wait_marker VG-LINUX-READY 120
    t_ready=$(now_ns); c_ready=$(cpu_ns)
    wait_marker "VG-BENCH cpu-start" 60
    t_cpu0=$(now_ns); c_cpu0=$(cpu_ns)
    wait_marker "VG-BENCH cpu-end" 600
    t_cpu1=$(now_ns); c_cpu1=$(cpu_ns)
    wait_marker "VG-BENCH stream-ready" 60
    perf_start stream
    t_s0=$(now_ns); c_s0=$(cpu_ns)
    if ! send_tcp "$work/stream.bin" "$port"; then
        echo "bench: streaming into the guest failed" >&2
        exit 1
    fi
    wait_marker "VG-BENCH stream-sum" 600
    t_s1=$(now_ns); c_s1=$(cpu_ns)
    perf_stop
    if ! grep -qa "VG-BENCH stream-sum $stream_sum" "$work/serial.log"; then
        echo "bench: the guest's checksum of the stream is wrong" >&2
        exit 1
    fi
    wait_marker "VG-BENCH dirty-ready" 60
    perf_start dirty
    if ! send_tcp "$work/dirty.bin" "$port2"; then
        echo "bench: sending the dirty job's input failed" >&2
        exit 1
    fi
    wait_marker "VG-BENCH dirty-start" 600
    t_d0=$(now_ns); c_d0=$(cpu_ns)
    wait_marker "VG-BENCH dirty-end" 600
    t_d1=$(now_ns); c_d1=$(cpu_ns)
    perf_stop
    if ! grep -qa "VG-BENCH dirty-end $dirty_sum [1-9]" "$work/serial.log"; then
        echo "bench: the guest's checksum of the dirty job's input is wrong" >&2
        exit 1
    fi
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    awk -v a="$t0" -v b="$t_ready" -v c="$t_cpu0" -v d="$t_cpu1" \
        -v e="$t_s0" -v f="$t_s1" -v g="$t_d0" -v h="$t_d1" \
        -v cb="$c_ready" -v cc="$c_cpu0" -v cd="$c_cpu1" -v ce="$c_s0" \
        -v cf="$c_s1" -v cg="$c_d0" -v ch="$c_d1" \
        'BEGIN { printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n",
                 (b-a)/1e9, (d-c)/1e9, (f-e)/1e9, (h-g)/1e9,
                 cb/1e9, (cd-cc)/1e9, (cf-ce)/1e9, (ch-cg)/1e9 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }

if [ -n "$profile" ]; then
    r=$(one_run "$ours" tcg,taint=on "")
    echo "taint-on under perf: boot/cpu/stream/dirty s = $r (wall, then CPU)"
    for w in stream dirty; do
        echo "== $w: by binary"
        # (head closes the pipe early: not a failure under pipefail)
        perf report -i "$profile/$w.perf.data" --no-children --sort dso \
            --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -6 || true
        echo "== $w: by symbol"
        perf report -i "$profile/$w.perf.data" --no-children --sort sym \
            --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -20 || true
    done
    exit 0
fi

configs=("plain:$plain:tcg" "taint-off:$ours:tcg,taint=off" "taint-on:$ours:tcg,taint=on")
if [ -n "$www" ]; then
    configs+=("www-off:$ours:tcg,taint=on:vigilante,id=v0,action=continue,www=off"
              "www-on:$ours:tcg,taint=on:vigilante,id=v0,action=continue")
fi
echo "Vigilante-QEMU benchmarks: $runs run(s) each, stream $stream_mb MB, $(nproc) cores"
echo "baseline: $("$plain" --version | head -1)"
echo "ours:     $("$ours" --version | head -1)"
# Round-robin (run 1 of each, then run 2 of each...): a slow spell of
# the host then hits every configuration alike instead of one group.
for c in "${configs[@]}"; do
    : > "$work/${c%%:*}.txt"
done
for i in $(seq "$runs"); do
    for c in "${configs[@]}"; do
        IFS=: read -r name bin accel object <<< "$c"
        r=$(one_run "$bin" "$accel" "$object")
        echo "  $name run $i: boot/cpu/stream/dirty s = $r (wall, then CPU)" >&2
        echo "$r" >> "$work/$name.txt"
    done
done

# col_median CONFIG COLUMN: the median of one figure over the runs
col_median() { cut -d' ' -f"$2" "$work/$1.txt" | median; }

# table FIRST_COLUMN TITLE OFF ON [pair]: medians of the four workloads
# from that column for plain, OFF and ON; ratios to plain, or with
# "pair" ON/OFF alone
table() {
    local col=$1 a=$3 b=$4 pair=${5:-} w p off on
    if [ -n "$pair" ]; then
        printf '\n%-8s %10s %10s %10s %12s   (%s)\n' workload plain "$a" "$b" "$b/${a#*-}" "$2"
    else
        printf '\n%-8s %10s %10s %10s %10s %10s   (%s)\n' workload plain "$a" "$b" off/plain on/plain "$2"
    fi
    for w in boot cpu stream dirty; do
        p=$(col_median plain "$col")
        off=$(col_median "$a" "$col")
        on=$(col_median "$b" "$col")
        awk -v w="$w" -v p="$p" -v off="$off" -v on="$on" -v pair="$pair" \
            'BEGIN { printf "%-8s %9.2fs %9.2fs %9.2fs", w, p, off, on
                     if (pair) printf " %11.3fx\n", on/off
                     else printf " %9.2fx %9.2fx\n", off/p, on/p }'
        col=$((col + 1))
    done
}
table 1 "wall-clock time" taint-off taint-on
table 5 "CPU time, all emulator threads" taint-off taint-on
if [ -n "$www" ]; then
    table 1 "wall-clock time" www-off www-on pair
fi
