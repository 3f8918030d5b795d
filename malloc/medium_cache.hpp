// SPDX-License-Identifier: MIT
// Per-thread caches of freed medium blocks (arena blocks above slab_max_bytes, up to
// medium_cached_max_bytes), in front of the arenas as glibc's tcache and tcmalloc's thread caches
// are: a thread takes and returns them without an arena lock. Medium requests are rounded up to a
// size class, so a block cached in a class serves any request of it. Each class is a singly
// linked list through its blocks (freed_block.hpp: links encoded, a key that catches a second
// free); at most 32 blocks or 2 MiB worth per class, but at least 2, and 4 MiB in all a thread (as
// tcmalloc's thread caches), drained back to the arenas when the thread exits. A take serves the last
// block cached in the class, unless it is the last one the thread cached at all: then the one
// before it, or none (so that a use after free or a double free after reuse finds another block
// than its own). O(1) per call; initial-exec TLS.
#pragma once

#include <cstddef>

namespace heapkit::malloc_layer {

inline constexpr std::size_t medium_cached_per_class = 32;                           // may be tuned
inline constexpr std::size_t medium_cached_bytes_per_class = std::size_t{2} << 20;   // may be tuned
inline constexpr std::size_t medium_cached_bytes_per_thread = std::size_t{4} << 20;  // may be tuned

// A cached block of class `klass` (a medium class of slab_classes.hpp), never the last one the
// thread cached; or nullptr.
void* medium_cache_take(std::size_t klass) noexcept;
// Keeps the freed block, whose usable size is `usable_bytes`, for this thread, in the largest
// class it can serve; false when that is no medium class (or the block is a quarter larger than
// the last) or the class is full. A block already cached ends the program
// ("double free of 0x...").
bool medium_cache_put(void* block, std::size_t usable_bytes) noexcept;
// Whether `block` is one this or another thread has cached (freed): for realloc.
bool medium_cache_holds(const void* block) noexcept;
// Hands every block the calling thread caches to release(block), emptying its cache.
void medium_cache_drain(void (*release)(void* block)) noexcept;
// The calling thread's cache is drained at its exit through `key` (a pthread_key_t made once by
// the caller, whose destructor calls medium_cache_drain); the first put of each thread registers.
void medium_cache_set_exit_key(unsigned key) noexcept;
// Checks the calling thread's cache (MC1-MC2 in medium_cache.cpp); nullptr when they hold.
const char* medium_cache_validate() noexcept;

}  // namespace heapkit::malloc_layer
