# Thin wrapper over meson. `make run` is the main job, `make check` runs every test.
MESON_SAN := -Db_sanitize=address,undefined -Db_lundef=false
FUZZ_SECONDS ?= 60

.PHONY: all deps build run check check-unit fuzz bench install clean

all: build

deps:
	@scripts/install-deps

build: deps
	@[ -d build ] || meson setup build
	ninja -C build

run: build
	./build/tools/vtee demo

# Every suite under ASan + UBSan; unit and conformance again in the optimised build
# (no sanitizer hides memory reuse there); then the fuzzer for a bounded time.
check: deps
	@[ -d build-check ] || meson setup build-check $(MESON_SAN)
	ninja -C build-check
	meson test -C build-check --print-errorlogs --num-processes 2
	@[ -d build-bench ] || meson setup build-bench --buildtype=release
	ninja -C build-bench
	meson test -C build-bench --print-errorlogs --num-processes 2 --suite unit --suite conformance
	$(MAKE) fuzz

fuzz: deps
	@[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Dfuzz_seconds=$(FUZZ_SECONDS) $(MESON_SAN)
	ninja -C build-fuzz
	meson test -C build-fuzz --suite fuzz --print-errorlogs

# Benchmarks on an optimised build without sanitizers; prints BENCH/RATIO lines.
bench: deps
	@[ -d build-bench ] || meson setup build-bench --buildtype=release
	ninja -C build-bench
	./build-bench/bench/vtee-bench

install: build
	meson install -C build

clean:
	rm -rf build build-check build-fuzz build-bench
