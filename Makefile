# Thin wrapper over meson. `make run` is the main job (`vtee run`), `make check` runs every test.
MESON_SAN := -Db_sanitize=address,undefined -Db_lundef=false
FUZZ_SECONDS ?= 60

.PHONY: all deps build run check check-nested check-unit fuzz bench install clean

all: build

deps:
	@scripts/install-deps

build: deps
	@[ -d build ] || meson setup build
	ninja -C build

# `vtee run`: boot Debian's arm64 kernel on the emulated board (a shell in the guest;
# poweroff or Ctrl-A x ends it). Options through RUN_ARGS, e.g. RUN_ARGS="--smp 2".
# Reconfigures once if the build predates the board's dependencies (libfdt).
RUN_ARGS ?=
run:
	@scripts/install-deps --board
	@[ -d build ] || meson setup build
	ninja -C build
	@./build/tools/vtee run --help >/dev/null 2>&1 || { meson setup --reconfigure build && ninja -C build; }
	@# the project's libteec clients go on the guest's PATH (try: vtee-ta-test)
	@# and the clients of the example TAs built with the dev kit (tests/ta: try vtee-ta-gp-core),
	@# those TAs from build/tests/ta, and yours from TA_DIR (an absolute directory of <uuid>.ta files)
	adds=""; for p in vtee-ta-test vtee-ta-stress vtee-ta-kill vtee-bench-guest; do \
		[ -f build/tests/e2e/guest/$$p ] && adds="$$adds --add build/tests/e2e/guest/$$p:/usr/bin/$$p"; \
	done; for p in vtee-ta-crypto-kat vtee-ta-gp-core vtee-ta-misbehave vtee-ta-storage; do \
		[ -f build/tests/ta/$$p ] && adds="$$adds --add build/tests/ta/$$p:/usr/bin/$$p"; \
	done; tas=""; [ -d build/tests/ta ] && tas="--ta-dir $(CURDIR)/build/tests/ta"; \
	[ -n "$(TA_DIR)" ] && tas="$$tas --ta-dir $(TA_DIR)"; \
	./build/tools/vtee run $$adds $$tas $(RUN_ARGS)

# Every suite under ASan + UBSan; unit and conformance again in the optimised build
# (no sanitizer hides memory reuse there); then the fuzzer for a bounded time.
check: deps
	@scripts/install-deps --board
	@[ -d build-check ] || meson setup build-check $(MESON_SAN) -De2e=enabled
	ninja -C build-check
	meson test -C build-check --print-errorlogs --num-processes 2
	@[ -d build-bench ] || meson setup build-bench --buildtype=release
	ninja -C build-bench
	meson test -C build-bench --print-errorlogs --num-processes 2 --suite unit --suite conformance
	$(MAKE) fuzz

# The nested end-to-end run alone (it is part of `make check` too): KVM inside the emulated guest.
check-nested: deps
	@scripts/install-deps --board
	@[ -d build-check ] || meson setup build-check $(MESON_SAN) -De2e=enabled
	ninja -C build-check
	meson test -C build-check --print-errorlogs --suite nested

fuzz: deps
	@[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Dfuzz_seconds=$(FUZZ_SECONDS) $(MESON_SAN)
	ninja -C build-fuzz
	meson test -C build-fuzz --suite fuzz --print-errorlogs

# Benchmarks on an optimised build without sanitizers; prints BENCH/RATIO lines.
bench: deps
	@scripts/install-deps --board
	@[ -d build-bench ] || meson setup build-bench --buildtype=release
	ninja -C build-bench
	./build-bench/bench/vtee-bench
	@# the shared-memory channel vs a socketpair and the mailbox; the link back-end over each
	./build-bench/bench/chan-bench
	./build-bench/bench/daemon-bench ./build-bench/daemon/vteed
	@# Trusted Applications in their own processes (vtee-ta-host) against the built-in TA and OpenSSL
	./build-bench/bench/ta-bench build-bench/bench/ta-bench-ta build-bench/ta-host/vtee-ta-host
	@# per-VM secure storage: small objects, 1 MiB, export of 100 MiB, write amplification
	./build-bench/bench/storage-bench build-bench/tests/ta build-bench/ta-host/vtee-ta-host
	./bench/board-bench build-bench
	@# the remote back-end: vtee-served in a network namespace (root), as the remote suite runs it
	./tests/remote/run-remote --bench build-bench .

install: build
	meson install -C build

clean:
	rm -rf build build-check build-fuzz build-bench
