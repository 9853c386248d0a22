#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Obtain the pinned QEMU source and print the path of a pristine, extracted
# tree (Debian's patches applied) on stdout.  Progress goes to stderr.
#
#   fetch-qemu-source.sh CACHE_DIR [SOURCE]
#
# Without SOURCE, Debian's `qemu` source package is downloaded through a
# private apt configuration whose deb-src entries are derived from this
# machine's apt sources (the system's apt files are read, never written).
# SOURCE may be a .dsc, a tarball or an extracted tree.  Downloads and
# extracted trees are cached in CACHE_DIR so that re-configuring is offline.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../qemu/pin
. "$here/../qemu/pin"

cache=${1:?usage: fetch-qemu-source.sh CACHE_DIR [SOURCE]}
source_arg=${2:-}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

say() { echo "fetch-qemu-source: $*" >&2; }
die() { say "error: $*"; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verify_pin() {
    local got
    got=$(sha256_of "$1")
    [ "$got" = "$QEMU_ORIG_SHA256" ] ||
        die "$1 has sha256 $got, the pin (qemu/pin) is $QEMU_ORIG_SHA256"
}

# Turn the binary ("deb") entries of the machine's apt sources into deb-src
# entries, in both the one-line and the deb822 formats.
derive_src_entries() {
    local out=$1 f
    : > "$out/parts/vigilante-src.list"
    : > "$out/parts/vigilante-src.sources"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]\+/deb-src /p' "$f" \
            >> "$out/parts/vigilante-src.list"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # Each stanza: keep it, with its Types made deb-src (skip stanzas
        # that have no binary type at all, and disabled ones).
        awk 'BEGIN { RS=""; ORS="\n\n" }
             /(^|\n)Enabled:[[:space:]]*no/ { next }
             /(^|\n)Types:[^\n]*deb([[:space:]]|$)/ {
                 sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); print
             }' "$f" >> "$out/parts/vigilante-src.sources"
    done
    [ -s "$out/parts/vigilante-src.list" ] || [ -s "$out/parts/vigilante-src.sources" ] ||
        die "no deb entries found in /etc/apt/sources.list{,.d}: cannot derive deb-src entries"
}

private_apt() {
    local aptdir=$cache/apt
    apt-get -o Dir::Etc::SourceList="$aptdir/empty.list" \
            -o Dir::Etc::SourceParts="$aptdir/parts" \
            -o Dir::State::Lists="$aptdir/lists" \
            -o Dir::Cache="$aptdir/cache" \
            -o Debug::NoLocking=1 \
            -o APT::Sandbox::User="$(id -un)" \
            "$@"
}

download_debian_source() {
    local aptdir=$cache/apt dl=$cache/download
    command -v apt-get >/dev/null || die "apt-get not found: give --qemu-source=PATH"
    mkdir -p "$aptdir/parts" "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$dl"
    : > "$aptdir/empty.list"
    derive_src_entries "$aptdir"
    say "updating the private deb-src index in $aptdir"
    # A source without deb-src indices makes update fail for that entry
    # only; what matters is whether the qemu source is found afterwards.
    private_apt -q update >&2 || say "warning: apt-get update reported errors"
    say "downloading Debian's $QEMU_DEBIAN_SOURCE source package"
    (cd "$dl" && private_apt -q --download-only source "$QEMU_DEBIAN_SOURCE" >&2) ||
        die "apt-get source $QEMU_DEBIAN_SOURCE failed (no network? try --qemu-source=PATH)"
}

# The newest cached .dsc whose upstream tarball matches the pin.
cached_dsc() {
    local best="" v bestv="" dsc
    for dsc in "$cache"/download/"${QEMU_DEBIAN_SOURCE}"_*.dsc; do
        [ -f "$dsc" ] || continue
        [ -f "$cache/download/$QEMU_ORIG_TARBALL" ] || continue
        v=$(sed -n 's/^Version: //p' "$dsc")
        if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$bestv"; then
            best=$dsc; bestv=$v
        fi
    done
    echo "$best"
}

# Extract a .dsc once into the cache; print the tree.
extract_dsc() {
    local dsc=$1 v tree
    v=$(sed -n 's/^Version: //p' "$dsc")
    tree=$cache/trees/qemu-${v//:/_}
    if [ ! -f "$tree/.vigilante-extracted" ]; then
        rm -rf "$tree"
        mkdir -p "$cache/trees"
        # dpkg-source checks the files against the .dsc's checksums (apt
        # checked the .dsc against the signed archive index when it was
        # downloaded; a local .dsc's signature is only reported).
        say "extracting $(basename "$dsc") (Debian's patches applied)"
        dpkg-source -x "$dsc" "$tree" >&2 || die "dpkg-source -x $dsc failed"
        touch "$tree/.vigilante-extracted"
    fi
    echo "$tree"
}

extract_tarball() {
    local tarball=$1 sum tree top
    sum=$(sha256_of "$tarball")
    if [ "$sum" != "$QEMU_ORIG_SHA256" ] && [ "${VIGILANTE_ALLOW_UNPINNED:-}" != 1 ]; then
        die "$tarball has sha256 $sum, not the pinned $QEMU_ORIG_SHA256 (set VIGILANTE_ALLOW_UNPINNED=1 to use it anyway)"
    fi
    tree=$cache/trees/tarball-${sum:0:16}
    if [ ! -f "$tree/.vigilante-extracted" ]; then
        rm -rf "$tree" "$tree.tmp"
        mkdir -p "$tree.tmp"
        say "extracting $tarball"
        tar -xf "$tarball" -C "$tree.tmp" || die "cannot extract $tarball"
        top=$(find "$tree.tmp" -mindepth 1 -maxdepth 1)
        [ "$(echo "$top" | wc -l)" = 1 ] && [ -d "$top" ] || die "$tarball: expected one top directory"
        mv "$top" "$tree" && rmdir "$tree.tmp"
        touch "$tree/.vigilante-extracted"
    fi
    echo "$tree"
}

check_tree() {
    local tree=$1
    [ -f "$tree/VERSION" ] && [ -f "$tree/configure" ] && [ -d "$tree/target/i386" ] ||
        die "$tree does not look like a QEMU source tree"
    case $(cat "$tree/VERSION") in
        "$QEMU_UPSTREAM_VERSION".*) ;;
        *) die "$tree is QEMU $(cat "$tree/VERSION"), this fork needs $QEMU_UPSTREAM_VERSION.x" ;;
    esac
}

if [ -n "$source_arg" ]; then
    [ -e "$source_arg" ] || die "--qemu-source: $source_arg does not exist"
    case $source_arg in
        *.dsc)
            orig=$(dirname "$source_arg")/$QEMU_ORIG_TARBALL
            [ -f "$orig" ] || die "$orig (named by the .dsc) is missing"
            verify_pin "$orig"
            tree=$(extract_dsc "$(cd "$(dirname "$source_arg")" && pwd)/$(basename "$source_arg")") ;;
        *)
            if [ -d "$source_arg" ]; then
                tree=$(cd "$source_arg" && pwd)
                say "using the QEMU tree $tree as given (not checked against the pin)"
            else
                tree=$(extract_tarball "$source_arg")
            fi ;;
    esac
else
    dsc=$(cached_dsc)
    if [ -z "$dsc" ] || [ "${VIGILANTE_REFRESH_SOURCE:-}" = 1 ]; then
        download_debian_source
        dsc=$(cached_dsc)
        [ -n "$dsc" ] || die "the downloaded source has no $QEMU_ORIG_TARBALL"
    else
        say "using the cached $(basename "$dsc")"
    fi
    verify_pin "$cache/download/$QEMU_ORIG_TARBALL"
    tree=$(extract_dsc "$dsc")
fi
check_tree "$tree"
echo "$tree"
