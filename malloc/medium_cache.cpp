// SPDX-License-Identifier: MIT
// The medium thread cache: one initial-exec TLS block of list heads and counts.
#include "medium_cache.hpp"

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "environment.hpp"
#include "fatal.hpp"
#include "freed_block.hpp"
#include "heapkit/heap/boundary_tag_heap.hpp"
#include "slab_classes.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t medium_class_count = cached_class_count - slab_class_count;
static_assert(size_class_bytes(slab_class_count) > slab_max_bytes && medium_cached_max_bytes > slab_max_bytes);

// MC1: list k holds counts[k] <= limit(k) blocks, each marked freed (freed_block::is_freed);
//      bytes == the sum of counts[k] * the bytes of class k <= medium_cached_bytes_per_thread.
// MC2: every block on list k is a boundary-tag block whose usable size is at least its class's
//      bytes.
struct medium_cache {
    void* heads[medium_class_count];  // links encoded
    void* last_put;                   // the block cached last, in whichever class
    std::size_t bytes;                // MC1
    std::uint8_t counts[medium_class_count];
    bool exit_registered;
};
__attribute__((tls_model("initial-exec"))) thread_local medium_cache cache;
constinit std::atomic<unsigned> exit_key{~0u};

// The most blocks class index + slab_class_count may cache (a table: no division on the free path).
constexpr auto class_limits = [] {
    std::array<std::uint8_t, medium_class_count> limits{};
    for (std::size_t index = 0; index < medium_class_count; ++index) {
        const std::size_t by_bytes = medium_cached_bytes_per_class / size_class_bytes(index + slab_class_count);
        const std::size_t at_least_two = by_bytes < 2 ? 2 : by_bytes;  // take_from may pass over the last one
        limits[index] =
            static_cast<std::uint8_t>(at_least_two < medium_cached_per_class ? at_least_two : medium_cached_per_class);
    }
    return limits;
}();
std::size_t limit_of(std::size_t index) noexcept { return class_limits[index]; }

// The block cached last in the class, unless it is the thread's last one cached of all (so that
// a use after free or a double free after reuse finds another block than its own): then the one
// cached before it, or nullptr (the arena serves). `all`: whatever is there, for the drain.
[[gnu::hot]] void* take_from(std::size_t index, bool all) noexcept {
    void* head = cache.heads[index];
    if (head == nullptr) return nullptr;
    void* next = freed_block::unlink(head, 0);  // cached blocks lie anywhere
    void* block = head;
    if (head == cache.last_put && !all) {
        if (next == nullptr) return nullptr;
        block = next;
        freed_block::link(head, freed_block::unlink(next, 0));
    } else {
        cache.heads[index] = next;
    }
    --cache.counts[index];
    cache.bytes -= size_class_bytes(index + slab_class_count);
    freed_block::clear_words(block);
    return block;
}

}  // namespace

[[gnu::hot]] void* medium_cache_take(std::size_t klass) noexcept { return take_from(klass - slab_class_count, false); }

[[gnu::hot]] bool medium_cache_put(void* block, std::size_t usable_bytes) noexcept {
    // Below the first medium class, or so far above the last that it would waste over a quarter;
    // or HEAPKIT_MEDIUM_CACHE=0.
    if (usable_bytes <= slab_max_bytes || usable_bytes >= medium_cached_max_bytes + medium_cached_max_bytes / 4) return false;
    if (!settings().medium_cache) return false;
    freed_block::make_secret();
    if (freed_block::is_freed(block)) fatal(misuse::double_free, block);
    // The largest class the block can serve.
    std::size_t klass = size_class_of(usable_bytes < medium_cached_max_bytes ? usable_bytes : medium_cached_max_bytes);
    if (size_class_bytes(klass) > usable_bytes) --klass;
    if (klass < slab_class_count) return false;
    const std::size_t index = klass - slab_class_count;
    if (cache.counts[index] >= limit_of(index) || cache.bytes + size_class_bytes(klass) > medium_cached_bytes_per_thread)
        return false;
    if (!cache.exit_registered) {
        const unsigned key = exit_key.load(std::memory_order_relaxed);
        if (key != ~0u) pthread_setspecific(static_cast<pthread_key_t>(key), &cache);
        cache.exit_registered = key != ~0u;
    }
    freed_block::link(block, cache.heads[index]);
    cache.heads[index] = block;
    cache.last_put = block;
    ++cache.counts[index];
    cache.bytes += size_class_bytes(klass);
    return true;
}

bool medium_cache_holds(const void* block) noexcept { return freed_block::is_freed(block); }

void medium_cache_drain(void (*release)(void* block)) noexcept {
    for (std::size_t index = 0; index < medium_class_count; ++index) {
        while (void* block = take_from(index, true)) release(block);
    }
    cache.last_put = nullptr;
    cache.exit_registered = false;
}

void medium_cache_set_exit_key(unsigned key) noexcept { exit_key.store(key, std::memory_order_relaxed); }

const char* medium_cache_validate() noexcept {
    std::size_t bytes = 0;
    for (std::size_t index = 0; index < medium_class_count; ++index) {
        bytes += cache.counts[index] * size_class_bytes(index + slab_class_count);
        std::size_t length = 0;
        for (void* block = cache.heads[index]; block != nullptr; block = freed_block::next_of(block)) {
            if (!freed_block::is_freed(block)) return "MC1: a cached medium block lacks the freed key";
            if (boundary_tag_heap::usable_size(block) < size_class_bytes(index + slab_class_count))
                return "MC2: a cached medium block is smaller than its class";
            if (++length > cache.counts[index]) return "MC1: a medium cache list is longer than its count";
        }
        if (length != cache.counts[index] || length > limit_of(index))
            return "MC1: a medium cache count is wrong or over its limit";
    }
    if (bytes != cache.bytes || bytes > medium_cached_bytes_per_thread)
        return "MC1: the medium cache's bytes are wrong or over the limit";
    return nullptr;
}

}  // namespace heapkit::malloc_layer
