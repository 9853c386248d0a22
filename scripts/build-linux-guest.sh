#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Linux test guest: OUTDIR/vmlinuz and OUTDIR/initramfs.cpio.gz,
# plus OUTDIR/vmlinux (the same kernel uncompressed, for faster PVH boot).
#
#   scripts/build-linux-guest.sh OUTDIR
#
# Kernel and NIC modules come from Debian's current kernel image package
# (the one linux-image-amd64 depends on), fetched once with
# `apt-get download` into ${VIGILANTE_CACHE:-~/.cache/vigilante-qemu}/linux
# and never installed on the host.  Userland is the host's busybox-static
# plus our vulnerable services (tests/guests/linux/services), compiled here
# as static non-PIE x86-64 binaries with an executable stack.
#
# Re-running with unchanged inputs is a no-op (OUTDIR/.stamp) and needs no
# network once the kernel package is cached.
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
SRC=$(dirname "$(dirname "$SCRIPT")")
GUEST_SRC=$SRC/tests/guests/linux
CACHE=${VIGILANTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigilante-qemu}/linux
META_PKG=linux-image-amd64
BUSYBOX=/bin/busybox
# -O2 keeps the overflows real: the copies stay unbounded and the buffers
# stay on the stack next to the saved return addresses.
SVC_CFLAGS=(-O2 -g -Wall -Wextra -static -fno-stack-protector -z execstack
            -no-pie -fno-pie -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0
            -fcf-protection=none)
SERVICES=(vg-udpd vg-tcpd vg-ctld vg-logind vg-spawnd vg-wwwd)
# Programs the services start (not services themselves).
HELPERS=(vg-child)
# Modules the guest may need, grouped by NIC family: "family:module ...".
NIC_FAMILIES=("e1000:e1000" "e1000e:e1000e" "rtl8139:8139cp 8139too"
              "virtio:virtio_pci virtio_net")

die() {
    echo "build-linux-guest: error: $*" >&2
    exit 1
}
note() { echo "build-linux-guest: $*"; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
OUT=$1

# ---- host tools ---------------------------------------------------------
need_deps() { die "$1; run scripts/install-deps.sh (as root) first"; }
for tool in gcc strip cpio gzip xz od dpkg-deb apt-get apt-cache sha256sum; do
    command -v "$tool" >/dev/null || need_deps "'$tool' not found"
done
command -v depmod >/dev/null || [ -x /sbin/depmod ] ||
    need_deps "'depmod' (package kmod) not found"
DEPMOD=$(command -v depmod || echo /sbin/depmod)
[ -x "$BUSYBOX" ] || need_deps "$BUSYBOX missing (package busybox-static)"
# A dynamically linked busybox (package busybox) cannot run in the guest.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
        grep -q 'ok installed'; then
    need_deps "package busybox-static is not installed"
fi
[ -r /usr/lib/x86_64-linux-gnu/libc.a ] ||
    need_deps "static glibc (libc6-dev) missing"

# ---- kernel package -----------------------------------------------------
# Which image package (and version) the metapackage's candidate depends
# on: the "Depends: linux-image-X (= V)" line of `apt-cache show`, the
# same data as `apt-cache depends` plus the version, in one (slow without
# apt's pkgcache) call on local apt data: no network.  Falls back to the
# newest cached package when apt has no lists (before `apt-get update`).
mkdir -p "$CACHE"
resolve_meta() {
    apt-cache show --no-all-versions "$META_PKG" 2>/dev/null |
        sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*/\1 \2/p' |
        head -n1
}
read -r KPKG KVER_APT < <(resolve_meta) || true
# A machine whose apt lists were removed (container images do that):
# fetch them once, as root, when nothing is cached to fall back on.
if [ -z "${KPKG:-}" ] && [ "$(id -u)" -eq 0 ] &&
   ! ls "$CACHE"/linux-image-[0-9]*_amd64.deb >/dev/null 2>&1; then
    note "apt knows no $META_PKG: running apt-get update"
    apt-get -q update >&2 || true
    read -r KPKG KVER_APT < <(resolve_meta) || true
fi
if [ -n "${KPKG:-}" ]; then
    # Cached .deb names carry the version (an epoch's ':' becomes %3a).
    KDEB=$CACHE/${KPKG}_${KVER_APT//:/%3a}_amd64.deb
    [ -f "$KDEB" ] || KDEB=
    if [ -z "$KDEB" ]; then
        note "downloading $KPKG (into $CACHE)"
        tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
        apt_opts=()
        # Root's downloads otherwise warn that _apt cannot write here.
        [ "$(id -u)" -eq 0 ] && apt_opts=(-o APT::Sandbox::User=root)
        if ! (cd "$tmp" && apt-get -q "${apt_opts[@]}" download "$KPKG"); then
            rm -rf "$tmp"
            die "apt-get download $KPKG failed (network? run 'apt-get update')"
        fi
        for f in "$tmp"/*.deb; do mv "$f" "$CACHE/"; done
        rmdir "$tmp"
        KDEB=$CACHE/${KPKG}_${KVER_APT//:/%3a}_amd64.deb
        [ -f "$KDEB" ] || KDEB=$(ls -1 "$CACHE/${KPKG}_"*_amd64.deb | tail -n1)
    fi
else
    KDEB=$(ls -1t "$CACHE"/linux-image-[0-9]*_amd64.deb 2>/dev/null |
           head -n1 || true)
    [ -n "$KDEB" ] || die "cannot resolve $META_PKG with apt-cache and no \
kernel package is cached in $CACHE; run 'apt-get update' (or \
scripts/install-deps.sh) and retry"
    note "warning: apt-cache cannot resolve $META_PKG; using cached $KDEB"
fi
dpkg-deb -f "$KDEB" Package >/dev/null 2>&1 || die "corrupt package $KDEB; delete it"

# ---- inputs fingerprint -------------------------------------------------
stamp_inputs() {
    # The kernel package is named by its version: its name and size will do.
    echo "$(basename "$KDEB") $(stat -c %s "$KDEB")"
    sha256sum "$SCRIPT" "$GUEST_SRC/init.sh" "$BUSYBOX" \
              "$GUEST_SRC"/services/*.c "$GUEST_SRC"/services/*.h 2>/dev/null |
        awk '{print $1}'
    echo "${SVC_CFLAGS[*]}"
    gcc --version | head -n1
}
mkdir -p "$OUT"
OUT=$(readlink -f "$OUT")
STAMP=$(stamp_inputs | sha256sum | awk '{print $1}')
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ] &&
   [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ]; then
    note "$OUT is up to date"
    exit 0
fi
rm -f "$OUT/.stamp"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vg-linux-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ---- kernel and modules -------------------------------------------------
# The package ships no modules.dep (the host's depmod makes it at install
# time), so run depmod on the unpacked tree and follow its dependency
# lists.  Modules in this kernel are not compressed (checked below), so
# busybox insmod loads them as they are.
note "unpacking $(basename "$KDEB")"
dpkg-deb -x "$KDEB" "$WORK/pkg"
KVER=$(ls -1 "$WORK/pkg/lib/modules" | head -n1)
[ -n "$KVER" ] || die "no lib/modules in $KDEB"
MODDIR=$WORK/pkg/lib/modules/$KVER
[ -f "$WORK/pkg/boot/vmlinuz-$KVER" ] || die "no boot/vmlinuz-$KVER in $KDEB"
"$DEPMOD" -b "$WORK/pkg" "$KVER"

ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,etc,dev,proc,sys,tmp,lib/modules}
: >"$ROOT/etc/vg-modules"
for fam_spec in "${NIC_FAMILIES[@]}"; do
    fam=${fam_spec%%:*}
    order=()
    for mod in ${fam_spec#*:}; do
        if grep -q "/$mod\.ko$" "$MODDIR/modules.builtin"; then
            note "$mod is built into $KVER"
            continue
        fi
        line=$(grep -E "(^|/)$mod\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" || true)
        [ -n "$line" ] || die "module $mod not found in $KVER"
        # modules.dep lists dependencies so that the last must load first.
        deps=$(echo "${line#*:}" | tr ' ' '\n' | sed '/^$/d' | tac)
        for p in $deps ${line%%:*}; do
            case " ${order[*]:-} " in *" $p "*) ;; *) order+=("$p") ;; esac
        done
    done
    names=()
    for p in "${order[@]}"; do
        case "$p" in
        *.ko) ;;
        *) die "$p is compressed; busybox insmod cannot load it" ;;
        esac
        cp "$MODDIR/$p" "$ROOT/lib/modules/"
        names+=("$(basename "$p")")
    done
    echo "$fam ${names[*]:-}" >>"$ROOT/etc/vg-modules"
done
note "modules: $(tr '\n' ';' <"$ROOT/etc/vg-modules")"

# ---- userland -----------------------------------------------------------
cp "$BUSYBOX" "$ROOT/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$ROOT/bin/$applet"
done
for svc in "${SERVICES[@]}" "${HELPERS[@]}"; do
    note "compiling $svc"
    gcc "${SVC_CFLAGS[@]}" -o "$WORK/$svc" "$GUEST_SRC/services/$svc.c" ||
        die "compiling $svc failed"
    # The image gets a stripped copy (same code and addresses); the one
    # with symbols stays beside it for debugging and disassembly.
    strip -o "$ROOT/sbin/$svc" "$WORK/$svc"
    cp "$WORK/$svc" "$OUT/$svc"
done
# vg-ctld again as an i386 program (port 5005): the i386 system call ABI.
note "compiling vg-ctld32 (i386)"
gcc "${SVC_CFLAGS[@]}" -m32 -DVG_CTLD_PORT=5005 -o "$WORK/vg-ctld32" \
    "$GUEST_SRC/services/vg-ctld.c" ||
    die "compiling vg-ctld32 failed (static i386 glibc: package gcc-multilib)"
strip -o "$ROOT/sbin/vg-ctld32" "$WORK/vg-ctld32"
cp "$WORK/vg-ctld32" "$OUT/vg-ctld32"
install -m 0755 "$GUEST_SRC/init.sh" "$ROOT/init"

# ---- uncompressed kernel for PVH boot ---------------------------------
# Under TCG, decompressing the xz bzImage and its real-mode start take
# about 5 s.  The kernel inside, an ELF with a PVH entry note (Debian
# builds CONFIG_PVH=y), boots directly with -kernel vmlinux: ~5 s faster.
# Its location comes from the bzImage header (boot protocol >= 2.08):
# setup_sects at 0x1f1, payload_offset/length at 0x248/0x24c.
extract_vmlinux() {
    local img=$1 out=$2 sects off len start magic
    sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')
    off=$(od -An -tu4 -j $((0x248)) -N4 "$img" | tr -d ' ')
    len=$(od -An -tu4 -j $((0x24c)) -N4 "$img" | tr -d ' ')
    start=$(( (sects + 1) * 512 + off ))
    magic=$(od -An -tx1 -j "$start" -N4 "$img" | tr -d ' ')
    # --single-stream etc.: the payload ends with its 4-byte size.
    case "$magic" in
    fd377a58) tail -c +$((start + 1)) "$img" | head -c "$len" |
                  xz -dc --single-stream >"$out" ;;
    1f8b*)    tail -c +$((start + 1)) "$img" | head -c "$len" |
                  gzip -dc 2>/dev/null >"$out" || [ -s "$out" ] ;;
    28b52ffd) tail -c +$((start + 1)) "$img" | head -c "$len" |
                  zstd -dcq >"$out" ;;
    *) return 1 ;;
    esac
    [ "$(od -An -tx1 -N4 "$out" | tr -d ' ')" = 7f454c46 ]    # ELF
}
if grep -q '^CONFIG_PVH=y' "$WORK/pkg/boot/config-$KVER" &&
   extract_vmlinux "$WORK/pkg/boot/vmlinuz-$KVER" "$WORK/vmlinux"; then
    note "extracted vmlinux for PVH boot"
else
    note "warning: no PVH-bootable vmlinux; boot vmlinuz instead"
    rm -f "$WORK/vmlinux" "$OUT/vmlinux"
fi

# ---- pack ---------------------------------------------------------------
# Fixed timestamps and owners keep the archive reproducible.
find "$ROOT" -exec touch -h -d @0 {} +
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc --owner=0:0 --reproducible) |
    gzip -9 -n >"$WORK/initramfs.cpio.gz"
cp "$WORK/pkg/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
mv "$WORK/vmlinuz" "$OUT/vmlinuz"
[ ! -f "$WORK/vmlinux" ] || mv "$WORK/vmlinux" "$OUT/vmlinux"
mv "$WORK/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
echo "$KVER" >"$OUT/kernel-version"
echo "$STAMP" >"$OUT/.stamp"
note "built $OUT (kernel $KVER, initramfs $(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB)"
