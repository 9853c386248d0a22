#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the Vigilante Linux test guest (run by busybox sh as PID 1).
# Brings up the NIC for QEMU's user network, starts the vulnerable
# services under a restart loop and prints VG-LINUX-READY on the console
# once they listen.  Kernel messages are silenced by "quiet".

export PATH=/bin:/sbin

mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node (it is built without root), so
# the kernel started us without stdio: attach it now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

# Messages carry the uptime to show where boot time goes.
say() {
    read -r up _ </proc/uptime
    echo "vg-init[$up]: $*"
}

# Restart a service whenever it exits.  env -i gives it an empty, fixed
# environment so its stack layout (and so the exploits' target addresses)
# is the same on every boot under norandmaps.  They bind to INADDR_ANY,
# so they start first and come up while we wait for the link.
supervise() {
    while :; do
        env -i "/sbin/$1"
        say "$1 exited with status $?, restarting"
        usleep 200000
    done
}
supervise vg-udpd &
supervise vg-tcpd &
supervise vg-ctld &
supervise vg-ctld32 &
supervise vg-logind &
supervise vg-spawnd &
supervise vg-wwwd &

# /etc/vg-modules has one line per NIC family: "<family> <mod.ko>...",
# modules listed in load order (dependencies first).
load_family() {
    while read -r fam mods; do
        [ "$fam" = "$1" ] || continue
        for m in $mods; do
            insmod "/lib/modules/$m" || say "insmod $m failed"
        done
    done </etc/vg-modules
}

# Load only the drivers of the Ethernet controllers present (PCI class
# 0x0200): Intel 82574L -> e1000e, other Intel -> e1000, Realtek ->
# 8139cp/8139too, Red Hat/virtio -> virtio-net.
families=
for d in /sys/bus/pci/devices/*; do
    case "$(cat "$d/class")" in 0x0200*) ;; *) continue ;; esac
    case "$(cat "$d/vendor"):$(cat "$d/device")" in
    0x8086:0x10d3) fam=e1000e ;;
    0x8086:*) fam=e1000 ;;
    0x10ec:*) fam=rtl8139 ;;
    0x1af4:*) fam=virtio ;;
    *) continue ;;
    esac
    case " $families " in *" $fam "*) ;; *) families="$families $fam" ;; esac
done
for fam in $families; do
    load_family "$fam"
done

say "modules loaded"
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do
    usleep 100000
    n=$((n + 1))
done
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
    ip addr add 10.0.2.15/24 dev eth0
    ip link set eth0 up
    ip route add default via 10.0.2.2
    # Wait for the link (e1000 autonegotiates for a moment).
    n=0
    until [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] ||
          [ $n -ge 100 ]; do
        usleep 50000
        n=$((n + 1))
    done
    say "carrier $(cat /sys/class/net/eth0/carrier)"
    # Slirp drops (after ARPing) the first frame it sends to a guest whose
    # MAC it has not learnt yet, which would eat the host's first UDP
    # request: make it learn it now from our ARP request for the gateway
    # (a ping, which slirp answers itself even with restrict=on).  For
    # about a second after e1000's carrier comes up slirp's ARP replies do
    # not reach us (a packet dump shows them sent), so meanwhile re-ARP
    # every 100 ms instead of every second.
    nd=/proc/sys/net/ipv4/neigh/eth0
    echo 100 >$nd/retrans_time_ms
    echo 50 >$nd/mcast_solicit
    ping -q -c 1 -W 5 10.0.2.2 >/dev/null ||
        say "warning: no ping reply from 10.0.2.2"
    echo 1000 >$nd/retrans_time_ms
    echo 3 >$nd/mcast_solicit
    say "eth0 up ($(basename "$(readlink /sys/class/net/eth0/device/driver)"))"
else
    say "ERROR: no eth0"
fi

# Ready once udp/5001, 5004, 5005, 5007 and 5008 are bound and tcp/5002
# and 5006 listen (ports are hex in /proc/net; TCP state 0A is LISTEN).
n=0
until grep -q ':1389 ' /proc/net/udp && grep -q ':138C ' /proc/net/udp &&
      grep -q ':138D ' /proc/net/udp && grep -q ':138F ' /proc/net/udp &&
      grep -q ':1390 ' /proc/net/udp &&
      grep -q ':138A [0-9A-F:]* 0A ' /proc/net/tcp &&
      grep -q ':138E [0-9A-F:]* 0A ' /proc/net/tcp; do
    usleep 50000
    n=$((n + 1))
    if [ $n -gt 200 ]; then
        say "ERROR: services did not start"
        break
    fi
done
say "services listening"
echo "VG-LINUX-READY"

# Benchmark workloads (tests/bench/run.sh passes "vg.bench"): a CPU-bound
# job timed by the host between two serial markers, then a TCP sink on
# port 5003 that checksums whatever the host streams into it, and one on
# port 5004 that keeps what it receives in tmpfs, then gzips and
# checksums it (the dirty CPU job: all of its input came from the
# network), between two markers.
case " $(cat /proc/cmdline) " in
*" vg.bench "*)
    mount -t tmpfs tmpfs /tmp
    dd if=/dev/zero of=/tmp/blob bs=1M count=64 2>/dev/null
    echo "VG-BENCH cpu-start"
    sha256sum /tmp/blob >/dev/null
    echo "VG-BENCH cpu-end"
    rm -f /tmp/blob
    (
        while :; do
            nc -l -p 5003 | sha256sum >/tmp/sum &
            # Ready once nc listens (5003 = 0x138B, state 0A; nc uses IPv6).
            until grep -q ':138B [0-9A-F:]* 0A ' /proc/net/tcp /proc/net/tcp6; do
                usleep 20000
            done
            echo "VG-BENCH stream-ready"
            wait $!
            read -r sum _ </tmp/sum
            echo "VG-BENCH stream-sum $sum"
        done
    ) &
    (
        nc -l -p 5004 >/tmp/dirty &
        # 5004 = 0x138C
        until grep -q ':138C [0-9A-F:]* 0A ' /proc/net/tcp /proc/net/tcp6; do
            usleep 20000
        done
        echo "VG-BENCH dirty-ready"
        wait $!
        echo "VG-BENCH dirty-start"
        gzip -c /tmp/dirty >/tmp/dirty.gz
        sum=$(sha256sum /tmp/dirty)
        echo "VG-BENCH dirty-end ${sum%% *} $(wc -c </tmp/dirty.gz)"
        rm -f /tmp/dirty /tmp/dirty.gz
    ) &
    ;;
esac

# Debugging aid: "vg.shell" on the kernel command line gives a shell on
# the console (the tests never pass it).
case " $(cat /proc/cmdline) " in
*" vg.shell "*) setsid cttyhack sh & ;;
esac

while :; do
    wait
    sleep 3600
done
