// SPDX-License-Identifier: MIT
// The medium tier behind malloc: blocks too large for a slab and too small for a mapping of their
// own (and small blocks with a large alignment) come from arena_count boundary-tag heaps, each
// under its own lock, so threads do not queue on one lock. A thread keeps the arena it was dealt
// (round robin) and moves to another when its own is held and another is free; a block goes back
// to the arena whose region holds it, found in a table of one byte per 64 MiB of address space.
// Regions are 64 MiB mmap reservations aligned to 64 MiB. Cost: the heap's O(1) plus one lock.
#pragma once

#include <cstddef>
#include <cstdint>

namespace heapkit::malloc_layer {

// The tag in the header of every arena's blocks (boundary_tag_heap.hpp). A block's arena is found
// by its region, so one value serves all; not 0, so that a header overwritten by an underflow, or
// user bytes before an interior pointer, rarely read as a live block's.
inline constexpr std::uint16_t arena_tag = 0x4B48;

// A block of `size` bytes at `alignment` (a power of two, at least 16) from the calling thread's
// arena, or nullptr when mmap refuses a region.
void* arena_allocate(std::size_t size, std::size_t alignment) noexcept;

// Whether `pointer` lies in an arena's region: one table read, for any pointer.
bool arena_owns(const void* pointer) noexcept;

// Frees a block arena_owns and returns its usable bytes; a block that is not live ends the
// program ("double free of 0x...", or "... overwrote the header of 0x..." when only its tag is wrong).
std::size_t arena_free(void* pointer) noexcept;

// The usable bytes of a live block arena_owns; one that is not live ends the program with
// "realloc of a block that is not live:".
std::size_t arena_live_usable_size(void* pointer) noexcept;

// Resizes a live block arena_owns to `size` (below the large-block threshold) in its arena, in
// place when it can; nullptr (block unchanged) when mmap refuses a region.
void* arena_reallocate(void* pointer, std::size_t size) noexcept;

// Around fork: every arena's lock is held across it.
void lock_arenas() noexcept;
void unlock_arenas() noexcept;

// What the arenas hold (mallinfo2's arena, uordblks, ordblks; malloc_stats): one lock at a time.
// Blocks that threads keep in their medium caches (medium_cache.hpp) count as in use here.
struct arena_totals {
    std::size_t mapped_bytes = 0;  // the regions' bytes
    std::size_t in_use_bytes = 0;  // live blocks, headers included
    std::size_t free_bytes = 0;
    std::size_t free_blocks = 0;
};
arena_totals arena_census() noexcept;
// Gives the pages inside every free block back to the kernel now (malloc_trim), not at the next
// timed trim; the bytes given back (as far as whole pages go).
std::size_t arena_trim() noexcept;

// The purge thread's round (background_purge.hpp): every arena with freed bytes not trimmed for
// a second gives back the pages of its free blocks of at least 256 KiB (an arena another thread
// holds is left for the next round); whether any arena still holds freed bytes to trim.
bool arena_trim_idle() noexcept;

// Checks every arena's heap; nullptr when they hold, else a line naming the arena that does not.
const char* arenas_validate() noexcept;

}  // namespace heapkit::malloc_layer
