// SPDX-License-Identifier: MIT
// Freed blocks as heapkit's malloc keeps them on its lists (slab pages, thread caches): word 0
// links to the next block, encoded with a per-process secret and the block's own address (a
// stray write or a forged link points nowhere useful); word 1 holds a key derived from the
// address, which marks the block freed and catches a second free (or, with one bit flipped, marks
// a fresh block listed before it was ever handed out, whose free is an invalid one). A block is
// checked again when it is taken off its list (unlink): a write after free or an overflow that
// reached those words is a verdict there instead of a wild link. Header-only; every call O(1).
#pragma once

#include <atomic>
#include <cstdint>

#include "fatal.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer::freed_block {

inline constinit std::atomic<std::uintptr_t> secret_value{0};

inline std::uintptr_t secret() noexcept { return secret_value.load(std::memory_order_relaxed); }

// Makes the secret, before the first block is freed; thread-safe, and later calls do nothing.
inline void make_secret() noexcept {
    if (secret() != 0) return;
    std::uintptr_t expected = 0;
    secret_value.compare_exchange_strong(expected, static_cast<std::uintptr_t>(os::random_secret()) | 1);
}

inline std::uintptr_t address_of(const void* pointer) noexcept { return reinterpret_cast<std::uintptr_t>(pointer); }
inline void** words(void* block) noexcept { return static_cast<void**>(block); }

// The link stored at `at` for `next`, and back (the encoding is its own inverse).
inline void* encode(void* next, void* at) noexcept {
    return reinterpret_cast<void*>(address_of(next) ^ address_of(at) ^ secret());
}
inline void* next_of(void* block) noexcept { return encode(words(block)[0], block); }

inline void* key_for(const void* at) noexcept { return reinterpret_cast<void*>(~address_of(at) ^ secret()); }
// The bit by which a fresh block's key differs from a freed one's.
inline constexpr std::uintptr_t fresh_bit = 2;
// Whether the key word `key` of the block whose address ^ the secret is `mixed` marks it listed:
// freed, or fresh (link_fresh) and never handed out.
inline bool listed_key(const void* key, std::uintptr_t mixed) noexcept { return ((address_of(key) ^ ~mixed) & ~fresh_bit) == 0; }
inline std::uintptr_t key_difference(const void* block) noexcept {
    return address_of(static_cast<void* const*>(block)[1]) ^ address_of(key_for(block));
}
inline bool is_freed(const void* block) noexcept { return key_difference(block) == 0; }
inline bool is_listed(const void* block) noexcept { return (key_difference(block) & ~fresh_bit) == 0; }
inline bool is_fresh(const void* block) noexcept { return key_difference(block) == fresh_bit; }

// Both words of a freed block, given `mixed` (its address ^ the secret).
inline void write_words(void* block, void* next, std::uintptr_t mixed) noexcept {
    words(block)[0] = reinterpret_cast<void*>(address_of(next) ^ mixed);
    words(block)[1] = reinterpret_cast<void*>(~mixed);
}
// Marks `block` freed, linked to `next` (one read of the secret for both words).
inline void link(void* block, void* next) noexcept { write_words(block, next, address_of(block) ^ secret()); }
// Marks a block that was never handed out fresh, linked to `next`.
inline void link_fresh(void* block, void* next) noexcept {
    link(block, next);
    words(block)[1] = reinterpret_cast<void*>(address_of(words(block)[1]) ^ fresh_bit);
}
// link(), unless `block` is listed already (then false, and nothing written): the check and the
// marking of a free with one read of the secret.
[[gnu::always_inline]] inline bool link_unless_listed(void* block, void* next) noexcept {
    const std::uintptr_t mixed = address_of(block) ^ secret();
    if (listed_key(words(block)[1], mixed)) return false;
    write_words(block, next, mixed);
    return true;
}

// Takes `block` (the head of a list) off it: the next block, or nullptr at the end. Checks that
// its words are what link() or link_fresh() wrote, the key there and the link null or inside the same
// `span_bytes`-aligned span as the block (a power of two, a slab page; 0: 2^64, any address), and
// ends the program with the freed_block_written verdict when they are not.
[[gnu::always_inline]] inline void* unlink(void* block, std::uintptr_t span_bytes) noexcept {
    const std::uintptr_t mixed = address_of(block) ^ secret();  // one read of the secret for both words
    const std::uintptr_t next = address_of(words(block)[0]) ^ mixed;
    const bool key_kept = listed_key(words(block)[1], mixed);
    const bool link_kept = next == 0 || ((next ^ address_of(block)) & ~(span_bytes - 1)) == 0;
    if (!(key_kept & link_kept)) [[unlikely]]
        fatal(misuse::freed_block_written, block);
    return reinterpret_cast<void*>(next);
}

// Unmarks a block handed out (again): both words zero, so that the program never sees a link
// (which would tell it the secret) and a block carved from fresh memory reads as zeros.
inline void clear_words(void* block) noexcept {
    words(block)[0] = nullptr;
    words(block)[1] = nullptr;
}

}  // namespace heapkit::malloc_layer::freed_block
