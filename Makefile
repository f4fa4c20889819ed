# SPDX-License-Identifier: MIT
# Thin wrapper: set-up, meson build in build/, and the three entry points.
BUILD ?= build
MESON_OPTS ?=

.PHONY: all setup build test demo bench clean lab-up lab-down

all: build

setup:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

test: setup
	@scripts/run-tests

demo: build
	@scripts/demo

# bench: a set-up machine is assumed (no bootstrap); the key=value output is
# kept in $(BUILD)/bench.txt for scripts/bench-table (the README's table).
# Run it under the lab lock: flock /tmp/tlsmap-lab.lock make bench
bench: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@BUILD=$(BUILD) tests/bench/run-all | tee $(BUILD)/bench.txt

lab-up: build
	tests/lab/lab.sh up

lab-down:
	tests/lab/lab.sh down

clean:
	rm -rf $(BUILD) build-asan build-fuzz
