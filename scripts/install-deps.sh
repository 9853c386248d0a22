#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what a fresh Debian 12 machine lacks to build and test Vigilante-QEMU.
# Idempotent: installs only missing packages; safe to run again.
set -euo pipefail

PACKAGES=(
    # toolchain and QEMU's build dependencies
    build-essential gcc-multilib ccache ninja-build meson python3 python3-venv
    pkg-config dpkg-dev xz-utils bzip2 flex bison
    libglib2.0-dev libpixman-1-dev zlib1g-dev libcapstone-dev libslirp-dev
    libfdt-dev libaio-dev
    # project dependencies
    libssl-dev libvirt-dev libpcap-dev libjson-glib-dev libsqlite3-dev
    # the SCA decoder's fuzz test (libFuzzer)
    clang
    # firmware the emulator loads at run time
    seabios ipxe-qemu qemu-system-data
    # baseline emulator for benchmarks, image tools
    qemu-system-x86 qemu-utils
    # Linux test guest: busybox and initramfs packing
    busybox-static cpio kmod
    # the demo picks free ports with ss
    iproute2
    # a real libvirtd for the libvirt tests (started by them, no systemd)
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
    # test and analysis tools
    tcpdump gnuplot-nox
    # a real browser that renders the replay report (test-linux-replay)
    chromium
    # stock Debian guest image (scripts/build-debian-image.sh)
    mmdebstrap e2fsprogs openssh-client
    # its real clients (tests/realguest/workload.sh)
    curl bind9-dnsutils redis-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or install them) and retry" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
