// SPDX-License-Identifier: MIT
// The HEAPKIT_* variables, read once from the environment without allocating:
// HEAPKIT_DEBUG=1 puts every block under the debug heap's checks, HEAPKIT_STATS=1 prints a
// summary at exit, HEAPKIT_TRACE=FILE records every allocation in DESIGN.md's trace format ("%p"
// in FILE becomes the process id, for programs that start others). Any other HEAPKIT_* variable
// is reported once on stderr.
#pragma once

#include <cstddef>

namespace heapkit::malloc_layer {

struct environment_settings {
    bool debug = false;      // HEAPKIT_DEBUG=1
    bool stats = false;      // HEAPKIT_STATS=1
    int report_fd = -1;      // with debug or stats, a duplicate of stderr taken at start: programs may close stderr at exit
    int trace_fd = -1;       // HEAPKIT_TRACE=FILE, opened; -1: not tracing
};

// The settings, read on the first call (which also reports unknown variables). Thread-safe.
const environment_settings& settings() noexcept;

}  // namespace heapkit::malloc_layer
