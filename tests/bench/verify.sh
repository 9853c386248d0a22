#!/usr/bin/env bash
# Benchmark (not a test): time from SCA in hand to verdict.
#
#   tests/bench/verify.sh [-n RUNS] [PROFILE SCA]
#
# Default: the tiny guest's profile and the Figure-1 SCA that ./run demo
# writes (build/demo/fig1.sca).  Makes the profile's snapshot first, then
# runs `vigilante verify` RUNS times (default 20) and prints the median
# and range of the verifier's own total-ms and restore-ms.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
runs=20
if [ "${1:-}" = -n ]; then runs=$2; shift 2; fi
profile=${1:-$src/profiles/tiny-fig1.profile}
sca=${2:-$src/build/demo/fig1.sca}
cli=$src/build/vigilante
[ -e "$sca" ] || { echo "verify.sh: $sca missing (run ./run demo first)" >&2; exit 1; }
"$cli" snapshot "$profile"
for _ in $(seq "$runs"); do
    "$cli" verify "$profile" "$sca"
done | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin]
ok = [r for r in rows if r["verdict"] == "verified"]
for key in ("total-ms", "restore-ms"):
    v = sorted(r[key] for r in ok)
    print(f"{key}: median {statistics.median(v):.1f} ms, "
          f"min {v[0]:.1f}, max {v[-1]:.1f} ({len(ok)}/{len(rows)} verified)")
'
