# heapkit's front door. `make test` and `make demo` work on a fresh machine: they install what
# is missing (tools/install_deps.sh), configure CMake into build/, build and run.
BUILD := build
SANITIZED_BUILD := build-sanitized
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build build-sanitized test demo clean

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

test: build build-sanitized
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(SANITIZED_BUILD) --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/bin/heapkit demo

clean:
	rm -rf $(BUILD) $(SANITIZED_BUILD)
