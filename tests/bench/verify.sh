#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): time from SCA in hand to verdict.
#
#   tests/bench/verify.sh [-n RUNS] [PROFILE SCA]
#
# Default: the tiny guest's profile and the Figure-1 SCA that ./run demo
# writes (build/demo/fig1.sca).  Makes the profile's snapshot first, then
# measures two ways, RUNS times each (default 20), and prints the median
# and range of the verifier's own total-ms (SCA in hand to verdict) and
# restore-ms (to the VM restored and armed):
#   cold: one `vigilante verify` per SCA: start the emulator, restore;
#   warm: one `vigilante verify --warm` given the SCA RUNS times: a VM
#         has restored the snapshot before each SCA is handed over, as
#         in an agent that keeps one ready.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
runs=20
if [ "${1:-}" = -n ]; then runs=$2; shift 2; fi
profile=${1:-$src/profiles/tiny-fig1.profile}
sca=${2:-$src/build/demo/fig1.sca}
cli=$src/build/vigilante
[ -e "$sca" ] || { echo "verify.sh: $sca missing (run ./run demo first)" >&2; exit 1; }
"$cli" snapshot "$profile"
summary() {
    python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin]
ok = [r for r in rows if r["verdict"] == "verified"]
for key in ("total-ms", "restore-ms"):
    v = sorted(r[key] for r in ok)
    print(f"{sys.argv[1]}: {key}: median {statistics.median(v):.1f} ms, "
          f"min {v[0]:.1f}, max {v[-1]:.1f} ({len(ok)}/{len(rows)} verified)")
' "$1"
}
for _ in $(seq "$runs"); do
    "$cli" verify "$profile" "$sca" || true
done | summary cold
mapfile -t copies < <(for _ in $(seq "$runs"); do echo "$sca"; done)
{ "$cli" verify "$profile" "${copies[@]}" --warm || true; } | summary warm
