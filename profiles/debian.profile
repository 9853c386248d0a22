# SPDX-License-Identifier: GPL-2.0-or-later
# The stock Debian 12 image (scripts/build-debian-image.sh; `make guests`
# builds it into build/guests/debian): nginx, openssh, dnsmasq, redis and
# the Linux guest's vulnerable vg-udpd.  A disk-image profile
# (docs/profiles.md): the image itself is never written.
[program]
name=vg-debian

[vm]
kernel=../build/guests/debian/vmlinuz
initrd=../build/guests/debian/initrd.img
append=console=ttyS0 root=/dev/vda rw
disk=../build/guests/debian/disk.qcow2
memory=1024
nic=virtio-net-pci

[service]
ports=tcp:80;tcp:22;udp:53;tcp:6379;udp:5001
exec-services=tcp:22
ready-port=tcp:80
ready-timeout=600

[snapshot]
path=../build/snapshots/vg-debian
