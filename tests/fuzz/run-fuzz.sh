#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-fuzz.sh FUZZER SEED-MAKER CORPUS-DIR [SEED-MAKER-OPTION...]: seed
# the corpus (SEED-MAKER [OPTION...] CORPUS-DIR), then fuzz for
# ${FUZZ_SECONDS:-10} seconds.  A crash, leak or sanitizer report fails.
set -euo pipefail
fuzzer=$1 seeds=$2 corpus=$3
shift 3
"$seeds" "$@" "$corpus"
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-10}" -print_final_stats=1 \
    -max_len=4096 "$corpus"
