#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): flows per second through `vigilante replay` on
# the Linux guest, with 1 and 2 warm VMs (--jobs), on one capture that
# tcpdump records here: BENIGN of the profile's benign UDP messages
# (tests/benign/linux, cycled) and ATTACKS of vg-linux-exploit's UDP
# datagrams, interleaved.  Root (tcpdump on lo).
#
#   tests/bench/replay.sh [-b BENIGN] [-a ATTACKS] [-t TIMEOUT]
#
# Defaults: 40 benign, 4 attacks, --timeout 3 (replay's default: a
# benign flow is one that has not trapped after that long, so it bounds
# the benign rate).  Attacks are verified but not minimised
# (--no-minimise): minimisation is its own cost (docs/replay.md).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build
cli=$build/vigilante
exploit=$build/host/tests/guests/linux/vg-linux-exploit
profile=$src/profiles/linux-services.profile
benign=40
attacks=4
timeout=3

while getopts "b:a:t:h" opt; do
    case $opt in
    b) benign=$OPTARG ;;
    a) attacks=$OPTARG ;;
    t) timeout=$OPTARG ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
    esac
done
for v in "$benign" "$attacks" "$timeout"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "replay.sh: counts are whole numbers" >&2; exit 2; }
done
[ $((benign + attacks)) -gt 0 ] || { echo "replay.sh: nothing to replay" >&2; exit 2; }
for f in "$cli" "$exploit" "$build/guests/linux/initramfs.cpio.gz"; do
    [ -e "$f" ] || { echo "replay.sh: $f is missing (make check builds it)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "replay.sh: tcpdump needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/vigilante-bench-replay.XXXXXX)
dump=
cleanup() {
    [ -n "$dump" ] && kill "$dump" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

"$cli" snapshot "$profile" >/dev/null
mapfile -t files < <(ls "$src"/tests/benign/linux/udp-5001-*)
total=$((benign + attacks))
tcpdump -i lo -n -c "$total" -w "$work/capture.pcap" 'udp dst port 5001' \
    2>"$work/tcpdump.err" &
dump=$!
until grep -q listening "$work/tcpdump.err" 2>/dev/null; do sleep 0.1; done
sent_attacks=0
for i in $(seq 0 $((total - 1))); do
    # Spread the attacks evenly among the benign datagrams.
    if [ $((sent_attacks * total)) -lt $(((i + 1) * attacks)) ]; then
        "$exploit" udp 5001 >/dev/null
        sent_attacks=$((sent_attacks + 1))
    else
        cat "${files[$((i % ${#files[@]}))]}" > /dev/udp/127.0.0.1/5001
    fi
done
wait "$dump"
dump=

echo "replay bench: $benign benign and $attacks attack datagram(s), --timeout $timeout, on $(nproc) CPU(s)"
for jobs in 1 2; do
    start=$(date +%s.%N)
    "$cli" replay "$profile" "$work/capture.pcap" --jobs "$jobs" \
        --timeout "$timeout" --no-minimise > "$work/out-$jobs.jsonl" \
        2> "$work/err-$jobs" || { cat "$work/err-$jobs" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 - "$work/out-$jobs.jsonl" "$start" "$end" "$jobs" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
secs = float(sys.argv[3]) - float(sys.argv[2])
count = {}
for r in rows:
    count[r["verdict"]] = count.get(r["verdict"], 0) + 1
ok = sum(1 for r in rows if r["verdict"] == "attack" and r.get("verified"))
print(f"jobs {sys.argv[4]}: {len(rows)} flows in {secs:.1f} s: "
      f"{len(rows) / secs:.2f} flows/s; verdicts {count}, "
      f"{ok} attack(s) verified")
PYEOF
done
