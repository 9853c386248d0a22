# SPDX-License-Identifier: GPL-2.0-or-later
# The Linux guest (tests/guests/linux): vulnerable UDP, TCP and control
# services.  `make check` builds it into build/guests/linux.
[program]
name=vg-linux

[vm]
kernel=../build/guests/linux/vmlinux
initrd=../build/guests/linux/initramfs.cpio.gz
append=console=ttyS0 norandmaps panic=-1 quiet
memory=256
nic=virtio-net-pci

[service]
ports=udp:5001;tcp:5002;udp:5004;udp:5005;tcp:5006
ready-marker=VG-LINUX-READY
# init's restart loop: a shell's status 128+N for death by signal N
crash-pattern=exited with status 1(3[2-9]|[45][0-9]), restarting
benign=../tests/benign/linux
ready-timeout=90

[snapshot]
path=../build/snapshots/vg-linux
