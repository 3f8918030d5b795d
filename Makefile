# heapkit's front door. `make test` and `make demo` work on a fresh machine: they install what
# is missing (tools/install_deps.sh), configure CMake into build/, build and run.
BUILD := build
SANITIZED_BUILD := build-sanitized
FUZZ_BUILD := build-fuzz
TSAN_BUILD := build-tsan
# Seconds per fuzz target in `make test` (CI runs it on 2 cores); longer: `make fuzz FUZZ_SECONDS=600`.
FUZZ_SECONDS ?= 25
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build build-sanitized build-tsan build-fuzz fuzz format format-check test demo bench clean

all: build

deps:
	@tools/install_deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
build-sanitized: deps
	cmake -S . -B $(SANITIZED_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEAPKIT_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build $(SANITIZED_BUILD) -j $(JOBS)

# The threaded tests and the malloc layer's own tests under ThreadSanitizer (only they: the rest is
# single-threaded).
build-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEAPKIT_SANITIZE=thread \
	  -DHEAPKIT_BUILD_CLI=OFF -DHEAPKIT_BUILD_PYTHON=OFF -DHEAPKIT_BUILD_BENCHMARKS=OFF -DHEAPKIT_INSTALL=OFF $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target heapkit_thread_tests heapkit_malloc_layer_tests

# libFuzzer targets, built with clang under ASan + UBSan.
build-fuzz: deps
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEAPKIT_SANITIZE=address,undefined \
	  -DHEAPKIT_BUILD_FUZZERS=ON -DHEAPKIT_BUILD_TESTS=OFF -DHEAPKIT_BUILD_CLI=OFF -DHEAPKIT_INSTALL=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS on its corpus; new inputs go to $(FUZZ_BUILD)/found/, not the repo.
# An input that crashes or runs over 10 s is kept there too, and its bytes printed (Base64) so that
# a run elsewhere (CI) can be replayed: decode it into a file, then `build-fuzz/bin/TARGET_fuzz FILE`.
fuzz: build-fuzz
	@for corpus in fuzz/corpus/*/; do \
	  target=$$(basename $$corpus); mkdir -p $(FUZZ_BUILD)/found/$$target; \
	  echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  log=$(FUZZ_BUILD)/found/$$target.log; \
	  $(FUZZ_BUILD)/bin/$${target}_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=512 -timeout=10 \
	    -artifact_prefix=$(FUZZ_BUILD)/found/$$target- \
	    $(FUZZ_BUILD)/found/$$target $$corpus > $$log 2>&1 || { tail -n 40 $$log; grep -m1 '^Base64:' $$log; exit 1; }; \
	  tail -n 1 $$log; \
	done

# The C and C++ sources as .clang-format says (clang-format 14, Debian 12's): format-check fails
# on any difference and names the files; format rewrites them. traces/sources/ holds the programs
# the traces were recorded from, kept as they were.
FORMATTED = $(shell git ls-files '*.cpp' '*.hpp' '*.h' '*.c' ':!traces/' 2>/dev/null || find include src malloc cli python examples tests bench fuzz testing -name '*.[ch]pp' -o -name '*.[ch]')
format-check: deps
	@clang-format --dry-run -Werror $(FORMATTED) && echo "format-check: $(words $(FORMATTED)) files as .clang-format says"
format: deps
	@clang-format -i $(FORMATTED)

test: format-check build build-sanitized build-tsan
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(SANITIZED_BUILD) --output-on-failure -j $(JOBS)
	$(TSAN_BUILD)/bin/heapkit_thread_tests
	$(TSAN_BUILD)/bin/heapkit_malloc_layer_tests
	$(MAKE) fuzz

# The seed's examples, then the real traces of traces/ replayed under every policy.
demo: build
	$(BUILD)/bin/heapkit demo
	$(BUILD)/bin/heapkit replay traces/*.trace.gz

# The tables of bench/RESULTS.md: heapkit bench over the grid, the Google Benchmark grids, the
# Python calls, and the mallocs compared (installs mimalloc, jemalloc and tcmalloc to compare with).
bench: build
	@tools/install_deps.sh bench
	bench/offset_grid.sh $(BUILD)/bin/heapkit
	$(BUILD)/bin/heapkit_offset_bench
	$(BUILD)/bin/heapkit_heap_bench
	PYTHONPATH=$(BUILD)/python python3 python/bench_calls.py
	bench/malloc/compare.py $(BUILD)/bin/heapkit_malloc_workloads $(BUILD)/lib/libheapkit_malloc.so

clean:
	rm -rf $(BUILD) $(SANITIZED_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
