# SPDX-License-Identifier: GPL-2.0-or-later
# The tiny guest (tests/guests/tiny): Figure 1 of the Vigilante paper on
# UDP port 4444, plus its echo, run and probe services.  Paths are
# relative to this file; `make` builds the kernel.
[program]
name=tiny-fig1

[vm]
kernel=../build/host/tests/guests/tiny/tiny-guest.elf
memory=32
nic=e1000
# Its services run in its kernel: every propagation rule applies there.
taint-kernel=all

[service]
ports=udp:4444;udp:7;udp:4446
ready-marker=VG-READY
benign=../tests/benign/tiny
ready-timeout=20

[snapshot]
path=../build/snapshots/tiny-fig1
