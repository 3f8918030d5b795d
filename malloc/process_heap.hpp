// SPDX-License-Identifier: MIT
// The process's heap behind malloc: size-class slabs (slab_heap.hpp) for blocks up to 16 KiB,
// each thread its own, lock-free; boundary-tag heaps in 8 arenas, each under its own lock
// (medium_arenas.hpp), for blocks below large_threshold_bytes; larger blocks get mappings of
// their own (large_blocks.hpp); malloc(0) an address that faults when used (zero_size_blocks.hpp).
// Built on first use from static storage: nothing here allocates through libc. fork() is safe:
// the locks are held across it and the child starts unlocked. With HEAPKIT_GUARD, the blocks it
// picks go to guard_pages.hpp; with HEAPKIT_DEBUG=1 every other call goes to debug_mode.hpp instead.
// Cost: a slab block takes no lock; otherwise the heap's O(1) plus one lock; large blocks one
// system call unless a cached mapping fits.
//
// Which tier catches which misuse (fatal.hpp), outside debug mode, for a pointer it owns; a
// pointer that no tier owns goes to the large tier, which judges it last:
//
// | tier          | double_free          | foreign_free                        | realloc_of_freed (R), usable_size_of_freed (U) |
// |---------------|----------------------|-------------------------------------|------------------------------------------------|
// | slabs         | freed key            | not a block's start, past the carve | R, U: freed key or not a block's start         |
// | medium cache  | freed key            | (left to the arena)                 | R: the block is in a cache                     |
// | medium arenas | the heap's header    | unaligned, or a header not freed    | R: the heap's header                           |
// | large blocks  | freed lately (64)    | not in the registry                 | foreign_realloc: not in the registry           |
// | zero-size     | its live bit         | not a slot's start, or never out    | R, U: its live bit                             |
//
// In debug mode, debug_heap judges every call with its own, longer lines (debug_report.hpp);
// bookkeeping_block_freed is debug mode's check of its own bookkeeping.
#pragma once

#include <cstddef>

#include "heapkit/heap/debug_report.hpp"
#include "large_blocks.hpp"
#include "medium_arenas.hpp"
#include "slab_heap.hpp"

namespace heapkit::malloc_layer {

// `size` bytes aligned to `alignment` (a power of two, at least 16), or nullptr (errno ENOMEM).
// `kind` says which family asked: a small block (up to 16 KiB) lies on a page of its family's
// blocks, a large one (512 KiB and up) names it in its header, and the checking modes hold every
// block's family.
void* allocate(std::size_t size, std::size_t alignment, allocation_kind kind = allocation_kind::malloc) noexcept;
// Frees what allocate returned; nullptr does nothing. A double free or a pointer heapkit never
// handed out ends the program with one line naming it, and so does a small or large block of
// another family than `kind` (any block, in the checking modes), or in the checking modes a
// `stated_size` (a sized delete's; 0: none) not the block's.
void deallocate(void* pointer, allocation_kind kind = allocation_kind::malloc, std::size_t stated_size = 0) noexcept;
// calloc's `size` bytes, zeroed, at the default alignment, or nullptr (errno ENOMEM). A large
// block in a fresh mapping is not written: its pages cost nothing until the program uses them.
void* allocate_zeroed(std::size_t size) noexcept;
// realloc's rules for a non-null pointer and a non-zero size; nullptr (errno ENOMEM) leaves the
// block as it was.
void* reallocate(void* pointer, std::size_t size) noexcept;
// The bytes usable at a live block.
std::size_t usable_size(const void* pointer) noexcept;
// What the heap holds, tier by tier: heapkit's answer to mallinfo2, malloc_stats and malloc_info
// (glibc_introspection.cpp). Blocks of debug mode and guard pages are not counted.
struct heap_census {
    slab_totals slabs;
    arena_totals arenas;
    large_totals large;
};
heap_census take_census() noexcept;
// malloc_trim's work: the calling thread's cached medium blocks back to their arenas, then the
// pages of every arena's free blocks, the calling thread's unused slab pages and the cached
// large mappings back to the kernel. The bytes given back.
std::size_t trim_memory() noexcept;

// Checks the calling thread's slabs and the arenas; nullptr when every invariant holds, else a
// line naming the first that does not. O(free blocks + pages + regions).
const char* validate() noexcept;

}  // namespace heapkit::malloc_layer
