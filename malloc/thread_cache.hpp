// SPDX-License-Identifier: MIT
// Per-thread caches of small free blocks in front of the process heap: a thread takes and
// returns blocks up to cached_max_block_bytes without the heap's lock (tcache's idea). Each
// class is a singly linked list through the blocks, its links encoded with a per-process secret
// and the block's address, and each cached block carries a key that makes a second free of it
// end the program. O(1) per call; nothing allocated (the cache is initial-exec TLS).
#pragma once

#include <cstddef>

namespace heapkit::malloc_layer {

inline constexpr std::size_t cached_max_block_bytes = 2048;  // may be tuned: which blocks are cached
inline constexpr std::size_t cached_bytes_per_class = 64 << 10;  // may be tuned: a class holds about this much...
inline constexpr std::size_t cached_max_per_class = 64;          // ...and at most this many blocks
inline constexpr std::size_t refill_blocks = 32;                 // at most, taken from the heap at once on a miss
static_assert(cached_bytes_per_class / cached_max_block_bytes >= 1, "every class can hold a block");

// The blocks of `block_bytes` a thread keeps: 64 of each size up to 1 KiB, 64 KiB worth of each
// larger size (32 blocks of 2 KiB). A cache full in every class would hold about 6 MiB; the
// Larson-like `server` workload needs the larger classes (bench/RESULTS.md).
constexpr std::size_t cached_per_class(std::size_t block_bytes) noexcept {
    const std::size_t by_bytes = cached_bytes_per_class / block_bytes;
    return by_bytes < cached_max_per_class ? by_bytes : cached_max_per_class;
}

// A cached block of exactly `block_bytes` (a multiple of 16, at most cached_max_block_bytes), or
// nullptr.
void* cache_take(std::size_t block_bytes) noexcept;
// Keeps the block (of `block_bytes`) for this thread; false when its class is full.
bool cache_put(void* pointer, std::size_t block_bytes) noexcept;
// Whether `block` carries the key of a cached block (any thread's): a freed block, for realloc.
bool looks_cached(void* block) noexcept;
// How many more blocks of `block_bytes` the class has room for.
std::size_t cache_room(std::size_t block_bytes) noexcept;
// Hands every block cached by the calling thread to release(block), emptying the cache: at thread
// exit (through a pthread key whose destructor calls it).
void cache_drain(void (*release)(void* block)) noexcept;
// Makes sure the calling thread's cache is drained at its exit: the first put of each thread
// registers it with `key` (a pthread_key_t made once by the caller).
void cache_set_exit_key(unsigned key) noexcept;

}  // namespace heapkit::malloc_layer
