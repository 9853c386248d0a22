#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run the meson test suites of build/host and close with one summary line
# ("N passed, N failed, N skipped").
#
#   run-tests.sh HOST_BUILD_DIR [meson test options...]
set -uo pipefail
builddir=${1:?usage: run-tests.sh HOST_BUILD_DIR [meson test options]}
shift

meson test -C "$builddir" --print-errorlogs --num-processes "${VIGILANTE_TEST_JOBS:-1}" "$@"
rc=$?

log=$builddir/meson-logs/testlog.json
if [ -f "$log" ]; then
    passed=$(grep -c '"result": "OK"' "$log" || true)
    failed=$(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
    skipped=$(grep -cE '"result": "(SKIP|EXPECTEDFAIL)"' "$log" || true)
    echo
    echo "${passed} passed, ${failed} failed, ${skipped} skipped"
fi
exit $rc
