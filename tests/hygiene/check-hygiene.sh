#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The tree's hygiene, as a test:
#  - every file we wrote carries an SPDX licence line near its top (the
#    code links into GPL-2.0-or-later QEMU; COPYING has the text);
#  - QEMU's own scripts/checkpatch.pl (from the prepared tree) finds
#    nothing in the C of the emulator (accel/, hw-taint/, tcg/,
#    vigilante/), the host library (lib/) and the tools (contrib/).
#    tests/ is left out: its guests are bare-metal or deliberately
#    vulnerable programs, and checkpatch's QEMU-internal rules
#    (qemu_strtol, error_report) do not apply to programs outside QEMU.
# Usage: check-hygiene.sh SOURCE-ROOT QEMU-SOURCE-TREE
set -euo pipefail

src=${1:?source root}
qemu_src=${2:-}
tag='SPDX-License-Identifier: GPL-2.0-or-later'
fail=0

cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files)
else
    mapfile -t files < <(find . -type f -not -path './build/*' \
                             -not -path './.git/*' | sed 's|^\./||')
fi

# Files that cannot hold a comment (data read byte for byte), and the
# licence text itself.
exempt() {
    case "$1" in
        VERSION|COPYING|.ci/*|*.csv|tests/benign/*/*) return 0 ;;
    esac
    return 1
}

missing=0
for f in "${files[@]}"; do
    exempt "$f" && continue
    if ! head -n 3 "$f" | grep -qF "$tag"; then
        echo "no SPDX licence line: $f"
        missing=$((missing + 1))
    fi
done
echo "SPDX: ${#files[@]} files, $missing without the licence line"
[ "$missing" -eq 0 ] || fail=1

checkpatch=$qemu_src/scripts/checkpatch.pl
if [ -z "$qemu_src" ] || [ ! -f "$checkpatch" ]; then
    echo "checkpatch: no prepared QEMU tree at '$qemu_src' (run ./configure)"
    exit 1
fi
mapfile -t cfiles < <(printf '%s\n' "${files[@]}" |
                      grep -E '^(accel|agent|hw-taint|vigilante|lib|contrib|tcg)/.*\.([ch]|c\.inc)$')
bad=0
for f in "${cfiles[@]}"; do
    # Quiet, a clean file prints nothing; warnings count as findings.
    out=$(perl "$checkpatch" --no-tree -q -f "$f" 2>&1) || true
    if [ -n "$out" ]; then
        echo "$out"
        bad=$((bad + 1))
    fi
done
echo "checkpatch: ${#cfiles[@]} C files, $bad with findings"
[ "$bad" -eq 0 ] || fail=1
exit "$fail"
