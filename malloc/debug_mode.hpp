// SPDX-License-Identifier: MIT
// HEAPKIT_DEBUG=1: every block of the process goes through debug_heap (canaries, fills, a
// quarantine; misuse reported in one line naming the block's allocation site, then abort; at exit
// the blocks the program lost, by site, as leak_scan.hpp finds them), under one lock and past the slabs. The debug
// heap's own bookkeeping (its site table, the report text, the unwinder's first dlopen) calls
// malloc too: such nested calls, told apart by a thread-local flag, go to a plain heap of their
// own. HEAPKIT_STATS and HEAPKIT_TRACE still record (process_heap.cpp does it around these
// calls). Cost: a stack capture (about 1.5 us) per allocation.
#pragma once

#include <cstddef>

#include "heapkit/heap/debug_report.hpp"

namespace heapkit::malloc_layer {

// Whether HEAPKIT_DEBUG=1; read on the first call, then one relaxed load.
bool debug_enabled() noexcept;

// process_heap's four operations, with their contracts, for debug mode.
void* debug_allocate(std::size_t size, std::size_t alignment, allocation_kind kind = allocation_kind::malloc) noexcept;
void debug_deallocate(void* pointer, allocation_kind kind = allocation_kind::malloc, std::size_t stated_size = 0) noexcept;
void* debug_reallocate(void* pointer, std::size_t size) noexcept;
std::size_t debug_usable_size(const void* pointer) noexcept;

// The leak report now (as at exit, without ending the process): the definitely lost blocks not
// suppressed, or -1 outside debug mode.
long debug_leak_check() noexcept;

// The debug lock, held across fork by process_heap's fork handlers.
void lock_debug() noexcept;
void unlock_debug() noexcept;

}  // namespace heapkit::malloc_layer
