// SPDX-License-Identifier: MIT
// Large blocks: each in a range of pages of its own (from mmap, or part of a freed one), with a
// small header right before the pointer that names the range, and its address in a registry
// (large_registry.hpp), so free() can tell one from any other pointer. Freed ranges are kept (16
// of them, 256 MiB, 1 second at most), joined with kept ones right beside them; the next request
// takes the smallest that holds it (split when the rest is a large block's worth) or grows the
// largest by mremap, so a program that cycles large blocks faults in little more than what its
// live blocks grow by, and pays no system call when a kept range holds the request.
#pragma once

#include <cstddef>

#include "fatal.hpp"

namespace heapkit::malloc_layer {

// At or above this many bytes a request gets its own mapping.
inline constexpr std::size_t large_threshold_bytes = std::size_t{512} << 10;

// A mapping holding `size` bytes aligned to `alignment` (a power of two), or nullptr. With
// `zeroed`, those bytes read zero: only what a reused mapping held before is cleared, so a fresh
// mapping's pages stay untouched (calloc of a large block costs no fault until it is used).
// The block remembers `family` (malloc, new, new[]): free_large by another is a mismatched free.
void* allocate_large(std::size_t size, std::size_t alignment, allocation_kind family, bool zeroed = false) noexcept;
// Whether `pointer` is a live large block (asks large_registry.hpp; reads no memory at it).
bool is_large(const void* pointer) noexcept;
// Frees a large block, by the deallocator of `family`, and returns the bytes it had usable; a
// pointer that is not a live large block ends the program (a double free when it was one lately,
// else a foreign free), and so does a block of another family (the mismatched free line).
std::size_t free_large(void* pointer, allocation_kind family) noexcept;
// Around fork: the cache's and the registry's locks are held across it.
void lock_large_cache() noexcept;
void unlock_large_cache() noexcept;
std::size_t large_usable_size(const void* pointer) noexcept;
// Grows or shrinks a large block (mremap may move it), or nullptr with the block unchanged; a
// block that new or new[] allocated ends the program with the mismatched free line.
void* reallocate_large(void* pointer, std::size_t size) noexcept;

// What the large blocks hold (mallinfo2's hblks and hblkhd, malloc_stats' max mmap lines).
struct large_totals {
    std::size_t live_blocks = 0;
    std::size_t live_mapped_bytes = 0;  // their mappings' lengths, headers and page tails included
    std::size_t most_blocks = 0;        // the most live at once since the start
    std::size_t most_mapped_bytes = 0;
    std::size_t cached_bytes = 0;  // freed mappings kept for reuse
};
large_totals large_census() noexcept;
// Unmaps every cached mapping (malloc_trim); the bytes given back.
std::size_t large_trim() noexcept;
// The purge thread's round (background_purge.hpp): unmaps the cached mappings older than the
// cache keeps them; whether any are still cached.
bool large_drop_expired() noexcept;

}  // namespace heapkit::malloc_layer
