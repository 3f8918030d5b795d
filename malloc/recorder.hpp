// SPDX-License-Identifier: MIT
// What HEAPKIT_STATS, HEAPKIT_TRACE and HEAPKIT_PROFILE see: every allocation, free and resize. With none set
// each call is one predictable branch; with stats, a few relaxed atomic adds; with a trace, a
// line appended to a buffer under its own lock (written out in 64 KiB pieces and at exit).
#pragma once

#include <cstddef>

#include "heapkit/malloc.h"

namespace heapkit::malloc_layer {

// Whether anything records (HEAPKIT_STATS, HEAPKIT_TRACE or HEAPKIT_PROFILE); the first call reads
// the settings, later ones cost four atomic loads.
bool recording() noexcept;
// Registers the exit summary and trace flush; once, outside the heap lock (atexit may allocate).
void register_exit_work() noexcept;
// In a child after fork: the trace and profile files belong to the parent.
void stop_tracing_in_child() noexcept;

// Where an allocation came from, for the statistics.
enum class allocation_path : unsigned char { slab, heap, mmap };

void record_allocate(const void* pointer, std::size_t usable_bytes, std::size_t size, std::size_t alignment,
                     allocation_path path) noexcept;
// Before a block is given back (the profile's free must come before another thread can be handed
// the address and record its allocation); record_free follows once the tier says how many bytes.
void record_free_coming(const void* pointer) noexcept;
void record_free(const void* pointer, std::size_t usable_bytes) noexcept;
void record_resize(const void* old_pointer, std::size_t old_usable_bytes, const void* pointer, std::size_t usable_bytes,
                   std::size_t size) noexcept;

// The counters so far; false (and zeros) when HEAPKIT_STATS is off.
bool read_statistics(heapkit_malloc_statistics& out) noexcept;

}  // namespace heapkit::malloc_layer
