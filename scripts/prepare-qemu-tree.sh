#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lay the project over a pristine QEMU tree:
#
#   prepare-qemu-tree.sh PRISTINE_TREE DEST_TREE
#
# DEST_TREE is a copy of PRISTINE_TREE, made once.  Each run then restores
# from the pristine tree every file that the previous run's patches touched
# or that the current series touches, applies qemu/patches/series in order,
# and links our directories into the tree.  Only files whose content can
# have changed get a new mtime, so an incremental build stays incremental.
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
pristine=${1:?usage: prepare-qemu-tree.sh PRISTINE_TREE DEST_TREE}
dest=${2:?usage: prepare-qemu-tree.sh PRISTINE_TREE DEST_TREE}
patchdir=${VIGILANTE_PATCH_DIR:-$srcdir/qemu/patches}
series=$patchdir/series
state=$dest/.vigilante

say() { echo "prepare-qemu-tree: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ -f "$series" ] || die "$series is missing"
[ -d "$pristine" ] || die "$pristine is not a directory"

# Our directories, linked (not copied) so that edits are seen by the build
# without re-preparing.  accel/tcg already exists in QEMU: link file by file.
OVERLAY_DIRS=(hw-taint vigilante)
OVERLAY_FILE_DIRS=(accel/tcg qapi tcg/i386)

if [ ! -f "$state/copied" ] || [ "$(cat "$state/copied")" != "$pristine" ]; then
    say "copying $pristine to $dest"
    rm -rf "$dest" "$dest.tmp"
    mkdir -p "$(dirname "$dest")"
    cp -a "$pristine" "$dest.tmp"
    mv "$dest.tmp" "$dest"
    mkdir -p "$state"
    echo "$pristine" > "$state/copied"
fi

# The patches of the series, in order, ignoring comments and blank lines.
mapfile -t patches < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$series")
for p in "${patches[@]}"; do
    [ -f "$patchdir/$p" ] || die "series names $p, which is not in $patchdir"
done

files_of_patch() {
    sed -n -e 's/^+++ b\/\([^[:space:]]*\).*/\1/p' \
           -e 's/^--- a\/\([^[:space:]]*\).*/\1/p' "$1" | sort -u
}

touched_now=$(for p in "${patches[@]}"; do files_of_patch "$patchdir/$p"; done | sort -u)
touched_before=$(cat "$state/touched" 2>/dev/null || true)
series_sum=$(cd "$patchdir" && cat "${patches[@]}" /dev/null | sha256sum | cut -d' ' -f1)

if [ "$(cat "$state/series-sum" 2>/dev/null)" != "$series_sum" ]; then
    # Restore with fresh mtimes (plain cp) so that ninja rebuilds them.
    for f in $(printf '%s\n%s\n' "$touched_before" "$touched_now" | sort -u); do
        if [ -f "$pristine/$f" ]; then
            cp "$pristine/$f" "$dest/$f"
        else
            rm -f "$dest/$f"
        fi
    done
    rm -f "$state/series-sum"
    # Until the series applies, every file it names may be modified.
    echo "$touched_now" > "$state/touched"
    for p in "${patches[@]}"; do
        if ! out=$(patch -d "$dest" -p1 --forward --batch --no-backup-if-mismatch \
                         -r - < "$patchdir/$p" 2>&1); then
            echo "$out" >&2
            die "patch $p does not apply to $(basename "$pristine") (qemu/patches/$p)"
        fi
    done
    echo "$series_sum" > "$state/series-sum"
    say "applied ${#patches[@]} patch(es) from $series"
fi

for d in "${OVERLAY_DIRS[@]}"; do
    [ -d "$srcdir/$d" ] || continue
    [ ! -e "$dest/$d" ] || [ -L "$dest/$d" ] || die "$dest/$d exists in QEMU's tree: cannot overlay"
    ln -sfn "$srcdir/$d" "$dest/$d"
done
for d in "${OVERLAY_FILE_DIRS[@]}"; do
    [ -d "$srcdir/$d" ] || continue
    [ -d "$dest/$d" ] || die "QEMU's tree has no $d/ to lay our $d/ files into"
    # Drop links to files we no longer have, then link the current ones.
    find "$dest/$d" -maxdepth 1 -type l -lname "$srcdir/$d/*" -delete
    for f in "$srcdir/$d"/*; do
        [ -f "$f" ] || continue
        t=$dest/$d/$(basename "$f")
        [ ! -e "$t" ] || [ -L "$t" ] || die "$t exists in QEMU's tree: rename our file"
        ln -sfn "$f" "$t"
    done
done
