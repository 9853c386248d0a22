#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): filter generation from SCAs.
#
#   tests/bench/filter-gen.sh
#
# Catches one SCA per exploit with `vigilante honeypot` (tiny guest:
# Figure 1; Linux guest: vg-udpd's and vg-tcpd's overflows and vg-logind's
# login exploit), then runs `vigilante filter generate` on each and
# prints, per exploit: the capture and generalisation times (the SCA in
# hand to the filter), the conditions captured, in the specific filter
# and in the general one, the general filter's size, the random variants
# that verified, and what one evaluation of the general filter costs
# (`vigilante filter eval --repeat`) on the attack's message.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
cli=$build/host/contrib/vigilante/vigilante
qemu=$build/qemu-system-x86_64
fig1=$build/host/tests/functional/exploits/fig1-exploit
vgx=$build/host/tests/guests/linux/vg-linux-exploit
for f in "$cli" "$qemu" "$fig1" "$vgx" "$build/guests/linux/vmlinux"; do
    [[ -e $f ]] || { echo "filter-gen.sh: $f is missing (run make)" >&2; exit 3; }
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# honeypot PROFILE ALERTS: starts it; its log is $work/NAME/log.
honeypot() {
    local name=$1 profile=$2 alerts=$3
    mkdir -p "$work/$name"
    "$cli" snapshot "$profile" --qemu "$qemu" >/dev/null
    "$cli" honeypot "$profile" --alert-dir "$work/$name" --no-minimise \
        --max-alerts "$alerts" --timeout 300 --qemu "$qemu" \
        >"$work/$name/log" 2>&1 &
    for _ in $(seq 1 120); do
        grep -q ' ready ' "$work/$name/log" && return 0
        sleep 1
    done
    echo "filter-gen.sh: $name honeypot not ready" >&2
    exit 3
}
port() {                # port NAME PROTO GUESTPORT
    grep -o "$2 $3 -> 127.0.0.1:[0-9]*" "$work/$1/log" | sed 's/.*://'
}
wait_alerts() {         # wait_alerts NAME N
    for _ in $(seq 1 120); do
        [[ $(ls "$work/$1"/sca-*.bin 2>/dev/null | wc -l) -ge $2 ]] && return 0
        sleep 1
    done
    echo "filter-gen.sh: $1: fewer than $2 alerts" >&2
    exit 3
}

honeypot tiny "$src/profiles/tiny-fig1.profile" 1
"$fig1" "$(port tiny udp 4444)" >/dev/null
wait_alerts tiny 1

honeypot linux "$src/profiles/linux-services.profile" 3
"$vgx" udp "$(port linux udp 5001)" --host=127.0.0.1 >/dev/null
wait_alerts linux 1
"$vgx" tcp "$(port linux tcp 5002)" --host=127.0.0.1 >/dev/null
wait_alerts linux 2
exec 3<>/dev/tcp/127.0.0.1/"$(port linux tcp 5006)"
printf 'TIME\n' >&3; sleep 0.5
printf 'LOGIN mallory wonderland\n' >&3; sleep 0.5
printf 'NOTE NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN\xef\xbe\xad\xde\x00\x00\x00\x00\n' >&3
wait_alerts linux 3
exec 3>&-

printf '%-12s %10s %12s %9s %9s %8s %8s %7s %10s\n' exploit capture_ms generalise_ms captured specific general bytes random eval_ns
gen() {                 # gen NAME PROFILE SCA
    local out=$work/$1.out f=$work/$1.vf msg=$work/$1.msg
    "$cli" filter generate "$2" "$3" -o "$f" --quiet --qemu "$qemu" \
        >"$out" 2>/dev/null || { echo "$1: generation failed" >&2; return; }
    local cap gen spec capt gnr bytes rnd ns
    cap=$(sed -n 's/^specific filter:.*capture \([0-9]*\) ms$/\1/p' "$out")
    capt=$(sed -n 's/^specific filter: [0-9]* condition(s) of \([0-9]*\) captured.*/\1/p' "$out")
    spec=$(sed -n 's/^specific filter: \([0-9]*\) condition.*/\1/p' "$out")
    gnr=$(sed -n 's/^general filter: \([0-9]*\) condition.*/\1/p' "$out")
    gen=$(sed -n 's/^general filter:.*; \([0-9]*\) ms$/\1/p' "$out")
    rnd=$(sed -n 's/^validation:.*; \([0-9]* of [0-9]*\) random.*/\1/p' "$out" | tr ' ' _)
    bytes=$(sed -n 's/^.*\.vf: \([0-9]*\) bytes.*/\1/p' "$out")
    "$cli" sca show --json "$3" | python3 -c '
import json, sys
s = json.load(sys.stdin)
m = s["messages"]
t = b"".join(bytes.fromhex(x["payload"]) for x in m) if m[-1]["transport"] == "tcp" else bytes.fromhex(m[s["hint"]["message"]]["payload"])
sys.stdout.buffer.write(t)' >"$msg" 2>/dev/null || cp /dev/null "$msg"
    ns=$("$cli" filter eval "$f" "$msg" --repeat 1000000 2>/dev/null |
         sed -n 's/^\([0-9.]*\) ns per.*/\1/p')
    printf '%-12s %10s %12s %9s %9s %8s %8s %7s %10s\n' "$1" "$cap" "$gen" \
        "$capt" "$spec" "$gnr" "$bytes" "$rnd" "${ns:-?}"
}
gen fig1 "$src/profiles/tiny-fig1.profile" "$work/tiny/sca-1.bin"
gen udp "$src/profiles/linux-services.profile" "$work/linux/sca-1.bin"
gen tcp "$src/profiles/linux-services.profile" "$work/linux/sca-2.bin"
gen login "$src/profiles/linux-services.profile" "$work/linux/sca-3.bin"
