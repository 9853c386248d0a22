#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): one vigilante-agent with the tiny guest's
# profile and its warm verifier.
#
#   tests/bench/agent.sh [-n COUNT] [SCA]
#
# Default: COUNT 200 and the Figure-1 SCA that ./run demo writes
# (build/demo/fig1.sca).  Prints the agent's resident memory when ready,
# SCAs verified per second (COUNT distinct genuine SCAs submitted at once;
# bench-agent), the memory after them, and the verifier emulator's own
# resident memory.  Alert-to-protection times over a chain and a mesh
# are printed by `meson test agent` (docs/agent.md).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
count=200
if [ "${1:-}" = -n ]; then count=$2; shift 2; fi
sca=$(realpath -m "${1:-$src/build/demo/fig1.sca}")
cli=$src/build/vigilante
agent=$src/build/host/agent/vigilante-agent
bench=$src/build/host/tests/bench/bench-agent
[ -e "$sca" ] || { echo "agent.sh: $sca missing (run ./run demo first)" >&2; exit 1; }
work=$(mktemp -d /tmp/vg-bench-agent-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.crt -days 2 -subj "/CN=bench CA"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout a.key -out a.csr -subj "/CN=a"
ossl x509 -req -in a.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out a.crt -days 2
profile=$src/profiles/tiny-fig1.profile
"$cli" snapshot "$profile" >/dev/null
cat > a.conf <<CONF
[agent]
name=a
certificate=a.crt
key=a.key
ca=ca.crt
state-dir=state
[verify]
profiles=$profile
CONF
"$agent" --config a.conf 2> agent.log &
pid=$!
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
for _ in $(seq 300); do
    grep -q "ready" agent.log 2>/dev/null && break
    sleep 0.1
done
grep -q "ready" agent.log || { cat agent.log; exit 1; }
qemu=$(pgrep -P "$pid" | head -1)
echo "agent ready: agent $(rss "$pid") KiB resident, its verifier" \
     "emulator $(rss "$qemu") KiB"
"$bench" state/control.sock "$sca" "$count"
echo "after $count SCAs: agent $(rss "$pid") KiB resident," \
     "state database $(cat state/agent.db* | wc -c) bytes (with its WAL)"
