// SPDX-License-Identifier: MIT
// HEAPKIT_GUARD: blocks against guard pages, so that a misuse stops at the instruction that makes
// it (Electric Fence's idea, sampled as GWP-ASan does). `all` guards every allocation, `sample:N`
// one in N (the first, then every Nth); each guarded block gets pages of its own in a reserved
// pool, placed so that it ends where a PROT_NONE page begins (`:left`: so that it starts just
// after one), the rest of its pages filled with a pattern checked when it is freed. A freed block's pages become PROT_NONE and are discarded, and its pages are held back
// from reuse until 16384 pages' worth of later frees. So an overflow, an underflow (`:left`),
// an access to a malloc(0) block or to a freed one faults, and the SIGSEGV handler turns the fault
// into one line naming the misuse, the block and where it was allocated (and freed), then aborts;
// a fault anywhere else goes to the handler that was there before. The pages and records are
// placed by a tlsf allocator of pages and kept in a map, both out of the blocks' reach.
// Costs: a system call or two per guarded allocation and free, a page of memory (and two kernel
// mappings) per live guarded block. Live guarded blocks are kept to what the kernel's limit on
// mappings (vm.max_map_count) allows with a quarter of it left for the rest of the process: past
// that, or when the pool runs out, blocks go unguarded, said once. Blocks aligned beyond a page are not
// guarded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "heapkit/heap/debug_report.hpp"

namespace heapkit::malloc_layer {

// Whether HEAPKIT_GUARD asks for guard pages; read on the first call, then one relaxed load.
bool guard_enabled() noexcept;
// Whether the allocation being made is one to guard (sample:N counts them).
bool guard_takes_next() noexcept;

// A guarded block of `size` bytes at `alignment`, or nullptr when it cannot be guarded (then the
// caller serves it as usual).
void* guarded_allocate(std::size_t size, std::size_t alignment, allocation_kind kind) noexcept;
// Whether `pointer` lies in the guard pool (every guarded block, and nothing else, does). O(1).
bool guard_owns(const void* pointer) noexcept;
// Frees a guarded block; a double free, a pointer into a block or into no block, a free by
// another family than `kind` or with a `stated_size` (not 0) other than the block's, and damage
// to the rest of its pages end the program with one line.
void guarded_deallocate(void* pointer, allocation_kind kind, std::size_t stated_size) noexcept;
// The size asked for the live guarded block at `pointer`; for anything else the program ends
// as guarded_deallocate would end it.
std::size_t guarded_live_size(const void* pointer) noexcept;

// Calls visit(start, size, context) for every live guarded block, under the pool's lock and
// allocating nothing itself: the leak report scans them as roots (they are not the debug heap's).
void for_each_live_guarded(void (*visit)(std::uintptr_t start, std::size_t size, void* context), void* context) noexcept;

// The pool's lock, held across fork by process_heap's fork handlers (after the debug lock).
void lock_guard_pool() noexcept;
void unlock_guard_pool() noexcept;

}  // namespace heapkit::malloc_layer
