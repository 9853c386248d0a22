# SPDX-License-Identifier: GPL-2.0-or-later
# Thin wrapper: ./configure prepares build/, ninja and meson do the work.
#
#   make          build build/qemu-system-x86_64 and build/vigilante
#   make check    build, then run the unit and functional tests and the
#                 short false-alarm soak on a stock Debian guest
#   make demo     the main job on the embedded defaults
#   make bench    benchmarks against Debian's QEMU, and honeyfarm density
#                 (not tests)

SRC := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD := $(SRC)/build
NINJA ?= ninja
MESON ?= meson

# Let clones in other directories share ccache's results: paths under the
# source tree are hashed relative to it.
export CCACHE_BASEDIR := $(SRC)
export CCACHE_NOHASHDIR := 1

# Re-prepare QEMU's tree when the patch series or the set of overlaid
# files changes; the overlaid files themselves are symlinks, so edits to
# them are seen by ninja directly.
PATCHES := $(wildcard $(SRC)/qemu/patches/*)
OVERLAY_LIST := $(BUILD)/.overlay-files

.PHONY: all deps guests check check-unit demo bench clean distclean FORCE

# What ./configure recorded: the QEMU tree, the cache, its arguments.
# (Including it makes make run configure first when needed, which the
# cleaning targets must not do.)
ifeq ($(filter clean distclean deps,$(MAKECMDGOALS)),)
-include $(BUILD)/config.mk
endif
export VIGILANTE_CACHE

all: $(BUILD)/qemu-system-x86_64 $(BUILD)/vigilante

deps:
	@$(SRC)/scripts/install-deps.sh

$(BUILD)/config.mk: $(SRC)/configure $(SRC)/qemu/pin $(SRC)/scripts/fetch-qemu-source.sh
	@$(SRC)/scripts/install-deps.sh
	cd $(SRC) && ./configure $(CONFIGURE_ARGS)

$(OVERLAY_LIST): FORCE | $(BUILD)/config.mk
	@mkdir -p $(BUILD)
	@cd $(SRC) && ls -1 hw-taint vigilante accel/tcg qapi tcg/i386 2>/dev/null > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(BUILD)/qemu-src/.vigilante/series-sum: $(PATCHES) $(OVERLAY_LIST) $(SRC)/scripts/prepare-qemu-tree.sh $(BUILD)/config.mk
	$(SRC)/scripts/prepare-qemu-tree.sh $(QEMU_PRISTINE) $(BUILD)/qemu-src
	@touch $@

# ninja decides what to rebuild inside QEMU's tree.
$(BUILD)/qemu-system-x86_64: $(BUILD)/qemu-src/.vigilante/series-sum FORCE
	$(NINJA) -C $(BUILD)/qemu qemu-system-x86_64
	@cmp -s $(BUILD)/qemu/qemu-system-x86_64 $@ || { cp $(BUILD)/qemu/qemu-system-x86_64 $@.tmp && mv -f $@.tmp $@; }

$(BUILD)/vigilante: $(BUILD)/config.mk FORCE
	$(MESON) compile -C $(BUILD)/host
	@ln -sfn host/contrib/vigilante/vigilante $@
	@ln -sfn host/contrib/sim/vigilante-sim $(BUILD)/vigilante-sim

$(BUILD)/guests/linux/.stamp: FORCE | $(BUILD)/config.mk
	$(SRC)/scripts/build-linux-guest.sh $(BUILD)/guests/linux

# The stock Debian guest of the false-alarm soak and the real-image
# honeypot, with the Linux guest's vulnerable vg-udpd added (downloads
# Debian's packages the first time, then cached).
$(BUILD)/guests/debian/.stamp: FORCE $(BUILD)/guests/linux/.stamp | $(BUILD)/config.mk
	$(SRC)/scripts/build-debian-image.sh \
	    --add-service $(BUILD)/guests/linux/vg-udpd $(BUILD)/guests/debian

# The two guests that profiles/ names (README: honeyfarm operators).
guests: all $(BUILD)/guests/linux/.stamp $(BUILD)/guests/debian/.stamp

check: all $(BUILD)/guests/linux/.stamp $(BUILD)/guests/debian/.stamp
	$(SRC)/scripts/run-tests.sh $(BUILD)/host

check-unit: all
	$(SRC)/scripts/run-tests.sh $(BUILD)/host --suite unit

demo: all
	$(SRC)/scripts/demo.sh

bench: all $(BUILD)/guests/linux/.stamp
	$(SRC)/tests/bench/run.sh
	$(SRC)/tests/bench/filters.sh
	$(BUILD)/host/tests/bench/bench-density $(BUILD)/qemu-system-x86_64 \
	    $(SRC)/profiles/linux-services.profile 8 1000

clean:
	-$(NINJA) -C $(BUILD)/qemu clean
	-$(MESON) compile -C $(BUILD)/host --clean
	rm -f $(BUILD)/qemu-system-x86_64 $(BUILD)/vigilante

distclean:
	rm -rf $(BUILD)
