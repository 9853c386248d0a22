#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build a stock Debian 12 (bookworm) guest with real services, for
# false-alarm soaks of the detector under real clients
# (tests/realguest/workload.sh drives them from the host).
#
#   scripts/build-debian-image.sh [--add-service FILE]... OUTDIR
#
# --add-service FILE installs one of our own services (a static binary,
# e.g. the Linux test guest's vulnerable vg-udpd) as
# /usr/local/sbin/NAME, run by a systemd unit NAME.service (restarted
# whenever it exits, empty environment) that readiness waits for too: a
# real distribution with a vulnerable service to attack.  The files'
# contents are part of the image's fingerprint.
#
# Writes OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/disk.qcow2 (one ext4
# file system, no partition table), OUTDIR/cmdline (the kernel command
# line to boot it with), OUTDIR/id_ed25519{,.pub} (the key that logs in
# as root over ssh) and OUTDIR/.stamp.
#
# Everything comes from Debian's own packages: mmdebstrap (root mode)
# installs them into a directory, `mkfs.ext4 -d` packs that directory
# into a raw file (no loop mounts) and `qemu-img convert` makes it qcow2.
# The package mirrors are the host's own apt sources for bookworm, read
# from apt at run time.  Downloaded packages, the ssh key and finished
# images are cached in ${VIGILANTE_CACHE:-~/.cache/vigilante-qemu}/debian;
# re-running with unchanged inputs is a no-op (OUTDIR/.stamp), and a new
# OUTDIR is filled from the cached image without rebuilding.
#
# The guest (1 GiB of RAM is plenty): hostname vg-debian, static
# 10.0.2.15/24 (gateway 10.0.2.2, QEMU's user-mode network) on its
# en*/eth* NIC, and six services on their usual ports: sshd 22 (root,
# key only), nginx 80 (/, /big.bin of 16 MiB, POST /upload up to
# 64 MiB), dnsmasq 53 UDP+TCP (zone vg.test), redis 6379, memcached 11211,
# exim4 25 (local delivery to root).  Once all six are up a unit prints
# VG-DEBIAN-READY on ttyS0 (VG-DEBIAN-NOT-READY: ... after 15 minutes if
# not); a getty runs there too.
#
# Booting (no KVM here: READY comes 45-70 s after start under plain TCG):
#   qemu-system-x86_64 -accel tcg -m 1024 -nographic \
#     -kernel OUTDIR/vmlinuz -initrd OUTDIR/initrd.img -append "$(cat OUTDIR/cmdline)" \
#     -drive file=OUTDIR/disk.qcow2,if=virtio,snapshot=on \
#     -netdev user,id=n0,hostfwd=tcp:127.0.0.1:P-:22,hostfwd=udp:127.0.0.1:P-:53,... \
#     -device e1000,netdev=n0            (or virtio-net-pci)
# Not `-netdev user,restrict=on`: libslirp then drops every UDP datagram
# the guest sends, DNS replies to a udp hostfwd included.  The guest
# starts no outside traffic of its own (its resolver is its own dnsmasq,
# which forwards nothing; no NTP, no apt).
#
# Environment: VG_ROOT_DEV (default /dev/vda, the virtio-blk disk) is the
# root device on the kernel command line written to OUTDIR/cmdline; the
# image itself mounts its root by label and works with any disk type.
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
SUITE=bookworm
CACHE=${VIGILANTE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigilante-qemu}/debian
ROOT_DEV=${VG_ROOT_DEV:-/dev/vda}
FS_LABEL=vg-root
HOSTNAME_=vg-debian
BIG_SIZE=$((16 << 20))
# What goes into the image besides the Essential:yes set: the init system
# and udev, the kernel (its postinst makes the initramfs), the six
# services and a few tools for ssh sessions to run.
PACKAGES=(
    systemd systemd-sysv udev dbus libpam-systemd kmod
    linux-image-amd64 initramfs-tools
    iproute2 netbase procps iputils-ping
    openssh-server nginx dnsmasq redis-server memcached exim4-daemon-light
)
# Services the readiness unit waits for (systemd unit names).
SERVICES=(ssh nginx dnsmasq redis-server memcached exim4)
# Drivers the initramfs must carry: both NIC families the harness uses
# and every disk type the root may be on (virtio-blk, virtio-scsi, IDE
# and AHCI).  Only these go in (MODULES=list): a small initramfs unpacks
# quickly under TCG.
INITRD_MODULES=(e1000 virtio_pci virtio_net virtio_blk virtio_scsi sd_mod
                ata_piix ahci ext4)
# Keep the image small: no documentation, translations or hardware
# drivers that a QEMU guest never sees.  dpkg skips these paths when it
# unpacks (the settings stay in the image's dpkg.cfg.d, so they hold
# for packages installed later too).
DPKG_EXCLUDES=(    # quoted: dpkg matches these globs, not the shell
    '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*'
    '/usr/share/locale/*' '/usr/share/lintian/*' '/usr/share/linda/*'
    '/lib/modules/*/kernel/sound/*' '/lib/modules/*/kernel/drivers/gpu/*'
    '/lib/modules/*/kernel/drivers/media/*'
    '/lib/modules/*/kernel/drivers/net/wireless/*'
    '/lib/modules/*/kernel/drivers/infiniband/*'
    '/lib/modules/*/kernel/drivers/staging/*'
    '/lib/modules/*/kernel/drivers/bluetooth/*'
    '/lib/modules/*/kernel/net/bluetooth/*'
    '/lib/modules/*/kernel/drivers/iio/*' '/lib/modules/*/kernel/drivers/isdn/*'
    '/lib/modules/*/kernel/net/wireless/*' '/lib/modules/*/kernel/net/mac80211/*'
)
DPKG_INCLUDES=('/usr/share/doc/*/copyright')

die() {
    echo "build-debian-image: error: $*" >&2
    exit 1
}
note() { echo "build-debian-image: $*"; }

# ======================================================================
# Hooks: mmdebstrap runs this script again inside its hooks, as
# `SCRIPT --hook essential|customize ROOTDIR`, with the chroot's /proc,
# /sys and /dev mounted.  Values come through the environment (VG_*).
# ======================================================================

# Before the kernel is installed: its postinst builds the initramfs from
# this configuration.
hook_essential() {
    local root=$1
    mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/etc/initramfs-tools/hooks"
    # MODULES=list: only what the hook below adds, not every driver
    # (MODULES=most, ~30 MB); MODULES=dep would look at the build host.
    echo 'MODULES=list' >"$root/etc/initramfs-tools/conf.d/vigilante"
    cat >"$root/etc/initramfs-tools/hooks/vigilante-drivers" <<EOF
#!/bin/sh
# Vigilante-QEMU: the NIC and disk drivers a QEMU guest needs.
PREREQ=""
prereqs() { echo "\$PREREQ"; }
case "\$1" in prereqs) prereqs; exit 0 ;; esac
. /usr/share/initramfs-tools/hook-functions
manual_add_modules ${INITRD_MODULES[*]}
EOF
    chmod 0755 "$root/etc/initramfs-tools/hooks/vigilante-drivers"
}

# After all packages are installed: configure the system and services.
# Our own services (--add-service), each under a unit of its own.
install_added_services() {
    local root=$1 f name
    local IFS=:
    for f in ${VG_ADD_SERVICES:-}; do
        name=$(basename "$f")
        install -m 0755 "$f" "$root/usr/local/sbin/$name"
        cat >"$root/etc/systemd/system/$name.service" <<EOF
[Unit]
Description=Vigilante-QEMU test service $name
After=network-online.target

[Service]
ExecStart=/usr/local/sbin/$name
Restart=always
RestartSec=200ms
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
        chroot "$root" systemctl enable "$name.service"
        SERVICES+=("$name")
    done
}

hook_customize() {
    local root=$1 m
    : "${VG_PUBKEY:?}" "${VG_MACHINE_ID:?}" "${VG_DEBLIST:?}"
    install_added_services "$root"

    # The downloaded packages were synced out to the cache by the hook
    # before this one; record their names (to prune old versions from
    # the cache) and drop them from the image.
    (cd "$root/var/cache/apt/archives" && ls -1 -- *.deb) >"$VG_DEBLIST"
    rm -f "$root"/var/cache/apt/archives/*.deb
    # No apt in the image and no network beyond QEMU's user-mode net:
    # the build's package sources have no business in the guest.
    rm -f "$root/etc/apt/sources.list"
    rm -rf "$root/etc/apt/sources.list.d"

    # ---- identity -------------------------------------------------------
    echo "$HOSTNAME_" >"$root/etc/hostname"
    echo "$HOSTNAME_" >"$root/etc/mailname"
    # 10.0.2.2 is where QEMU's user-mode network makes host connections
    # come from: naming it lets the services' reverse lookups (exim does
    # them) be answered by dnsmasq from this file, at once.
    cat >"$root/etc/hosts" <<EOF
127.0.0.1	localhost
10.0.2.15	$HOSTNAME_.vg.test $HOSTNAME_
10.0.2.2	vg-host.vg.test vg-host
::1		localhost ip6-localhost ip6-loopback
EOF
    # A fixed machine id: an empty one makes every boot of the (read-only,
    # snapshot=on) disk a "first boot" that runs systemctl preset-all.
    echo "$VG_MACHINE_ID" >"$root/etc/machine-id"
    # No locales package: C.UTF-8 is built into glibc.  (pam_env, for
    # one, complains at every ssh login when this file is missing.)
    echo 'LANG=C.UTF-8' >"$root/etc/default/locale"
    # The root file system by label: any disk type or device name works.
    cat >"$root/etc/fstab" <<EOF
LABEL=$FS_LABEL	/	ext4	errors=remount-ro	0	0
EOF

    # ---- network: systemd-networkd, static, on whichever NIC appears -----
    cat >"$root/etc/systemd/network/50-vigilante.network" <<'EOF'
# QEMU user-mode networking defaults (e1000 comes up as ens3/enp0s3,
# virtio-net as ens3 or eth0, depending on the bus).
[Match]
Name=en* eth*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
DNS=10.0.2.3
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
    chroot "$root" systemctl enable systemd-networkd.service
    # The guest resolves through its own dnsmasq (answers from /etc/hosts
    # and the vg.test zone, forwards nothing): QEMU's resolver at
    # 10.0.2.3 would carry the guest's lookups out of the machine, and
    # under `-netdev user,restrict=on` it does not answer at all, which
    # stalls every service that looks names up.  (10.0.2.3 is still
    # given to networkd above for anything that asks networkd.)
    rm -f "$root/etc/resolv.conf"
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
        >"$root/etc/resolv.conf"

    # ---- sshd: root with the key only --------------------------------------
    install -d -m 0700 "$root/root/.ssh"
    echo "$VG_PUBKEY" >"$root/root/.ssh/authorized_keys"
    chmod 0600 "$root/root/.ssh/authorized_keys"
    cat >"$root/etc/ssh/sshd_config.d/vigilante.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF

    # ---- nginx: /, /big.bin and POST /upload --------------------------------
    python3 - "$root/var/www/html/big.bin" "$BIG_SIZE" <<'EOF'
# The same bytes as tests/realguest/workload.sh expects: SHAKE-256 of a
# fixed string, so the client can check them without a copy.
import hashlib, sys
open(sys.argv[1], "wb").write(
    hashlib.shake_256(b"vigilante-qemu big.bin").digest(int(sys.argv[2])))
EOF
    cat >"$root/var/www/html/index.html" <<EOF
<!DOCTYPE html>
<html><head><title>$HOSTNAME_</title></head>
<body><h1>$HOSTNAME_</h1><p>Vigilante-QEMU soak guest: stock Debian $SUITE.</p></body></html>
EOF
    rm -f "$root/etc/nginx/sites-enabled/default"
    cat >"$root/etc/nginx/sites-available/vigilante" <<'EOF'
# Vigilante-QEMU soak guest.
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    server_name _;
    root /var/www/html;
    index index.html;
    client_max_body_size 64m;

    location / {
        try_files $uri $uri/ =404;
    }

    # POST bodies are read in full by the proxy module (the first 1 MiB
    # in memory, the rest through a temporary file) before they are sent
    # on to the sink below; a bare `return 200` would let nginx discard
    # the body.  The reply names the length the sink received.
    location = /upload {
        limit_except POST { deny all; }
        client_body_buffer_size 1m;
        proxy_request_buffering on;
        proxy_pass http://127.0.0.1:8081/sink;
    }
}

server {
    listen 127.0.0.1:8081;
    client_max_body_size 64m;
    location = /sink {
        return 200 "received $content_length bytes\n";
    }
}
EOF
    ln -sf ../sites-available/vigilante "$root/etc/nginx/sites-enabled/vigilante"

    # ---- dnsmasq: the vg.test zone, UDP and TCP 53 ---------------------------
    cat >"$root/etc/dnsmasq.d/vigilante.conf" <<'EOF'
# Authoritative for vg.test, forwards nothing upstream.
no-resolv
bogus-priv
domain-needed
local=/vg.test/
address=/vg.test/10.0.2.15
host-record=vg-debian.vg.test,10.0.2.15
mx-host=vg.test,vg-debian.vg.test,10
txt-record=vg.test,"v=spf1 ip4:10.0.2.0/24 -all"
txt-record=info.vg.test,"vigilante-qemu soak guest"
txt-record=multi.vg.test,"first string","second string"
EOF

    # ---- redis and memcached: every address ---------------------------------
    sed -i -e 's/^bind .*/bind 0.0.0.0/' -e 's/^protected-mode .*/protected-mode no/' \
        "$root/etc/redis/redis.conf"
    grep -q '^bind 0.0.0.0$' "$root/etc/redis/redis.conf" || die "redis.conf: no bind line"
    sed -i 's/^-l .*/-l 0.0.0.0/' "$root/etc/memcached.conf"
    grep -q '^-l 0.0.0.0$' "$root/etc/memcached.conf" || die "memcached.conf: no -l line"

    # ---- exim4: SMTP on every address, local delivery --------------------------
    # Mail to root lands in /var/mail/mail (Debian's mail4root router).
    cat >"$root/etc/exim4/update-exim4.conf.conf" <<EOF
dc_eximconfig_configtype='local'
dc_other_hostnames='$HOSTNAME_ : $HOSTNAME_.vg.test : vg.test : localhost'
dc_local_interfaces=''
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='false'
dc_relay_nets='10.0.2.0/24'
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='false'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOF
    chroot "$root" update-exim4.conf

    # ---- serial console and the readiness line ------------------------------------
    chroot "$root" systemctl enable serial-getty@ttyS0.service
    cat >"$root/usr/local/sbin/vg-ready" <<EOF
#!/bin/sh
# Print VG-DEBIAN-READY on the serial console once every service is
# active and listening (a harness waits for the line).
services="${SERVICES[*]}"
EOF
    cat >>"$root/usr/local/sbin/vg-ready" <<'EOF'
tcp_ports="22 80 53 6379 11211 25"
i=0
while :; do
    missing=
    for s in $services; do
        systemctl is-active --quiet "$s" || missing="$missing $s"
    done
    tcp=$(ss -Hltn | awk '{print $4}')
    for p in $tcp_ports; do
        echo "$tcp" | grep -q ":$p\$" || missing="$missing tcp/$p"
    done
    ss -Hlun | awk '{print $4}' | grep -q ':53$' || missing="$missing udp/53"
    if [ -z "$missing" ]; then
        echo "VG-DEBIAN-READY" >/dev/ttyS0
        exit 0
    fi
    i=$((i + 1))
    if [ "$i" -ge 900 ]; then
        echo "VG-DEBIAN-NOT-READY:$missing" >/dev/ttyS0
        exit 1
    fi
    sleep 1
done
EOF
    chmod 0755 "$root/usr/local/sbin/vg-ready"
    local units=""
    for m in "${SERVICES[@]}"; do units="$units $m.service"; done
    cat >"$root/etc/systemd/system/vg-ready.service" <<EOF
[Unit]
Description=Vigilante-QEMU: announce readiness on ttyS0
After=$units
Wants=$units

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/vg-ready
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
    chroot "$root" systemctl enable vg-ready.service

    # ---- checks ---------------------------------------------------------------
    local kver initrd missing=""
    kver=$(ls -1 "$root/lib/modules" | head -n1)
    initrd=/boot/initrd.img-$kver
    [ -f "$root$initrd" ] || die "no $initrd in the image"
    # The initramfs must carry the drivers (or the kernel have them built in).
    local listing
    listing=$(chroot "$root" lsinitramfs "$initrd")
    for m in "${INITRD_MODULES[@]}"; do
        if ! grep -q "/$m\.ko" <<<"$listing" &&
           ! grep -q "/$m\.ko" "$root/lib/modules/$kver/modules.builtin"; then
            missing="$missing $m"
        fi
    done
    [ -z "$missing" ] || die "initramfs lacks:$missing"
    for m in "${SERVICES[@]}"; do
        chroot "$root" systemctl is-enabled --quiet "$m" 2>/dev/null ||
            [ -x "$root/etc/init.d/$m" ] || die "service $m is not enabled"
    done
}

if [ "${1:-}" = --hook ]; then
    [ $# -eq 3 ] || die "usage: $0 --hook essential|customize ROOTDIR"
    "hook_$2" "$3"
    exit 0
fi

# ======================================================================
# Main
# ======================================================================
VG_ADD_SERVICES=
while [ "${1:-}" = --add-service ]; do
    [ -f "${2:-}" ] && [ -x "$2" ] || die "--add-service: '${2:-}' is not an executable file"
    case $(basename "$2") in
    *[!a-zA-Z0-9_-]*) die "--add-service: '$(basename "$2")' is not a plain name" ;;
    esac
    VG_ADD_SERVICES=${VG_ADD_SERVICES:+$VG_ADD_SERVICES:}$(readlink -f "$2")
    shift 2
done
export VG_ADD_SERVICES
[ $# -eq 1 ] || die "usage: $0 [--add-service FILE]... OUTDIR"
OUT=$1
[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap's root mode needs it)"

need_deps() { die "$1; run scripts/install-deps.sh (as root) first"; }
for tool in mmdebstrap mkfs.ext4 qemu-img ssh-keygen python3 apt-get apt-cache \
            sha256sum chroot; do
    command -v "$tool" >/dev/null || need_deps "'$tool' not found"
done

# ---- package sources: the host's apt sources for $SUITE -------------------
# `apt-get indextargets` lists what the host's apt is configured with and
# has fetched (one-line or deb822 sources alike); keep Debian's own
# $SUITE, $SUITE-updates and $SUITE-security, main component.
host_sources() {
    apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
        'Origin: Debian' 'Created-By: Packages' 2>/dev/null |
        awk -v s="$SUITE" '$3 == "main" && ($2 == s || index($2, s "-") == 1) {
            print "deb " $1 " " $2 " main" }' | sort -u
}
mapfile -t SOURCES < <(host_sources)
if [ ${#SOURCES[@]} -eq 0 ]; then
    # Container images often ship without apt lists.
    note "apt has no lists for Debian $SUITE: running apt-get update"
    apt-get -q update >&2 || true
    mapfile -t SOURCES < <(host_sources)
fi
[ ${#SOURCES[@]} -gt 0 ] || die "the host's apt sources have no Debian $SUITE \
(main) repository; add one to /etc/apt/sources.list.d and run apt-get update"

# ---- inputs fingerprint -------------------------------------------------
mkdir -p "$CACHE/debs"
# One key for all images built here: cached images stay usable.
KEY=$CACHE/id_ed25519
if [ ! -f "$KEY" ] || [ ! -f "$KEY.pub" ]; then
    note "generating the ssh key $KEY"
    rm -f "$KEY" "$KEY.pub"
    ssh-keygen -q -t ed25519 -N '' -C "vigilante-qemu debian guest" -f "$KEY"
fi
# The versions apt would install now of the packages named here (their
# dependencies follow them closely enough), the kernel's among them.
package_versions() {
    apt-cache show --no-all-versions "${PACKAGES[@]}" 2>/dev/null |
        awk '/^Package:/ {p = $2} /^Version:/ {print p, $2}
             /^Depends:/ && p == "linux-image-amd64" {print $0}'
}
VERSIONS=$(package_versions)
[ "$(wc -l <<<"$VERSIONS")" -gt ${#PACKAGES[@]} ] ||
    die "apt-cache cannot resolve all of: ${PACKAGES[*]} (run apt-get update)"
stamp_inputs() {
    local f
    sha256sum "$SCRIPT" | awk '{print $1}'
    (IFS=:; for f in ${VG_ADD_SERVICES:-}; do sha256sum "$f"; done) |
        awk '{print $1}'
    cat "$KEY.pub"
    printf '%s\n' "$SUITE" "${SOURCES[@]}" "$VERSIONS"
    mmdebstrap --version
}
STAMP=$(stamp_inputs | sha256sum | awk '{print $1}')
# OUTDIR's stamp adds the root device, which only changes OUTDIR/cmdline.
OUT_STAMP="$STAMP $ROOT_DEV"
mkdir -p "$OUT"
OUT=$(readlink -f "$OUT")
ARTEFACTS=(vmlinuz initrd.img disk.qcow2)
outdir_ok() {
    local f
    [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$OUT_STAMP" ] || return 1
    for f in "${ARTEFACTS[@]}" cmdline id_ed25519 id_ed25519.pub; do
        [ -s "$OUT/$f" ] || return 1
    done
}
if outdir_ok; then
    note "$OUT is up to date"
    exit 0
fi
rm -f "$OUT/.stamp"

IMG=$CACHE/image-$STAMP
install_outdir() {
    local f
    for f in "${ARTEFACTS[@]}"; do
        cp "$IMG/$f" "$OUT/$f.tmp"
        mv "$OUT/$f.tmp" "$OUT/$f"
    done
    install -m 0600 "$KEY" "$OUT/id_ed25519"
    install -m 0644 "$KEY.pub" "$OUT/id_ed25519.pub"
    echo "console=ttyS0 root=$ROOT_DEV rw" >"$OUT/cmdline"
    echo "$OUT_STAMP" >"$OUT/.stamp"
    note "$OUT: disk.qcow2 $(du -m "$OUT/disk.qcow2" | cut -f1) MiB," \
         "boot with -append '$(cat "$OUT/cmdline")'"
}
if [ -f "$IMG/.complete" ]; then
    note "using the cached image $IMG"
    install_outdir
    exit 0
fi

# ---- bootstrap ------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/vg-debian-image.XXXXXX")
cleanup() {
    # mmdebstrap unmounts what it mounted, even on failure; make sure
    # nothing is left mounted before deleting the tree.
    if grep -q " $WORK/" /proc/mounts; then
        echo "build-debian-image: warning: $WORK still has mounts; not deleting it" >&2
        return
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
ROOTFS=$WORK/rootfs
mkdir "$ROOTFS"

dpkg_opts=()
for p in "${DPKG_EXCLUDES[@]}"; do dpkg_opts+=("--dpkgopt=path-exclude=$p"); done
for p in "${DPKG_INCLUDES[@]}"; do dpkg_opts+=("--dpkgopt=path-include=$p"); done
export VG_PUBKEY VG_MACHINE_ID VG_DEBLIST
VG_PUBKEY=$(cat "$KEY.pub")
VG_MACHINE_ID=${STAMP:0:32}
VG_DEBLIST=$WORK/debs.list
note "bootstrapping Debian $SUITE into $ROOTFS (${#SOURCES[@]} sources; \
packages cached in $CACHE/debs)"
t0=$(date +%s)
# force-unsafe-io: no fsync after every file dpkg writes (a throw-away
# tree that is packed once at the end).
# --skip=essential/unlink keeps the Essential:yes packages' .debs beside
# the others, so that sync-out caches them all.
if ! mmdebstrap --mode=root --variant=essential --format=directory \
        --include="$(IFS=,; echo "${PACKAGES[*]}")" \
        "${dpkg_opts[@]}" --dpkgopt=force-unsafe-io \
        --aptopt='Acquire::Languages "none"' \
        --skip=essential/unlink \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
        --setup-hook="sync-in $CACHE/debs /var/cache/apt/archives" \
        --essential-hook="\"$SCRIPT\" --hook essential \"\$1\"" \
        --customize-hook="sync-out /var/cache/apt/archives $CACHE/debs" \
        --customize-hook="\"$SCRIPT\" --hook customize \"\$1\"" \
        "$SUITE" "$ROOTFS" "${SOURCES[@]}" >"$WORK/mmdebstrap.log" 2>&1; then
    tail -n 40 "$WORK/mmdebstrap.log" >&2
    trap - EXIT
    cleanup
    die "mmdebstrap failed (last lines above)"
fi
note "bootstrap took $(( $(date +%s) - t0 )) s"

# Drop cached packages that this build no longer uses (older versions).
if [ -s "$VG_DEBLIST" ]; then
    for f in "$CACHE"/debs/*.deb; do
        grep -qxF "$(basename "$f")" "$VG_DEBLIST" || rm -f "$f"
    done
fi
# The mirrors' host names must not end up in the guest's configuration.
for s in "${SOURCES[@]}"; do
    h=$(awk '{print $2}' <<<"$s" | sed -E 's|^[a-z+]+://([^/]+).*|\1|')
    if grep -rlsF "$h" "$ROOTFS/etc" "$ROOTFS/var" >"$WORK/leaks"; then
        die "the image's files name the package mirror: $(head -n3 "$WORK/leaks" | tr '\n' ' ')"
    fi
done

# ---- pack -------------------------------------------------------------------
KVER=$(ls -1 "$ROOTFS/lib/modules" | head -n1)
STAGE=$WORK/image
mkdir "$STAGE"
cp "$ROOTFS/boot/vmlinuz-$KVER" "$STAGE/vmlinuz"
cp "$ROOTFS/boot/initrd.img-$KVER" "$STAGE/initrd.img"
# Room to spare for mail, uploads' temporary files, logs and redis dumps;
# unused blocks cost nothing in the qcow2.
used_mib=$(du -sm "$ROOTFS" | cut -f1)
size_mib=$(( (used_mib * 5 / 4 + 1024 + 63) / 64 * 64 ))
note "packing ${used_mib} MiB into a ${size_mib} MiB ext4 file system"
truncate -s "${size_mib}M" "$WORK/disk.raw"
mkfs.ext4 -q -F -L "$FS_LABEL" -d "$ROOTFS" "$WORK/disk.raw" "${size_mib}M" ||
    die "mkfs.ext4 -d failed"
qemu-img convert -O qcow2 -c "$WORK/disk.raw" "$STAGE/disk.qcow2" ||
    die "qemu-img convert failed"
rm -f "$WORK/disk.raw"
{
    echo "kernel $KVER"
    echo "stamp $STAMP"
    chroot "$ROOTFS" dpkg-query -W -f '${Package} ${Version}\n'
} >"$STAGE/manifest"

# Keep one image in the cache: the one just built.
rm -rf "$CACHE"/image-*
mv "$STAGE" "$IMG"
touch "$IMG/.complete"
install_outdir
note "built $OUT (kernel $KVER) in $(( $(date +%s) - t0 )) s"
