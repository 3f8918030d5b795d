// SPDX-License-Identifier: MIT
// The per-thread cache: one initial-exec TLS block of list heads and counts.
#include "thread_cache.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "fatal.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t class_count = cached_max_block_bytes / 16 - 1;  // 32, 48, ... bytes

struct thread_cache {
    void* heads[class_count];            // encoded: see link()
    std::uint16_t counts[class_count];
    bool exit_registered;
};
__attribute__((tls_model("initial-exec"))) thread_local thread_cache cache;

std::atomic<std::uintptr_t> secret{0};
std::atomic<unsigned> exit_key{~0u};

std::uintptr_t process_secret() noexcept {
    std::uintptr_t value = secret.load(std::memory_order_relaxed);
    if (value == 0) {
        std::uintptr_t fresh = static_cast<std::uintptr_t>(os::random_secret()) | 1;
        secret.compare_exchange_strong(value, fresh);
        value = secret.load(std::memory_order_relaxed);
    }
    return value;
}

std::size_t class_of(std::size_t block_bytes) noexcept { return block_bytes / 16 - 2; }

// The two words of a cached block's payload: the encoded next block and the "cached" key.
void** words(void* block) noexcept { return static_cast<void**>(block); }
void* encode(void* next, void* at) noexcept {
    return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(next) ^ reinterpret_cast<std::uintptr_t>(at) ^ process_secret());
}
void* key_for(void* at) noexcept { return reinterpret_cast<void*>(~reinterpret_cast<std::uintptr_t>(at) ^ process_secret()); }

}  // namespace

void* cache_take(std::size_t block_bytes) noexcept {
    const std::size_t klass = class_of(block_bytes);
    void* block = cache.heads[klass];
    if (block == nullptr) return nullptr;
    cache.heads[klass] = encode(words(block)[0], block);
    --cache.counts[klass];
    words(block)[1] = nullptr;  // no longer cached
    return block;
}

bool cache_put(void* block, std::size_t block_bytes) noexcept {
    const std::size_t klass = class_of(block_bytes);
    if (looks_cached(block)) fatal("double free of", block);
    if (cache.counts[klass] >= cached_per_class(block_bytes)) return false;
    if (!cache.exit_registered) {
        const unsigned key = exit_key.load(std::memory_order_relaxed);
        if (key != ~0u) pthread_setspecific(static_cast<pthread_key_t>(key), &cache);
        cache.exit_registered = true;
    }
    words(block)[0] = encode(cache.heads[klass], block);
    words(block)[1] = key_for(block);
    cache.heads[klass] = block;
    ++cache.counts[klass];
    return true;
}

bool looks_cached(void* block) noexcept { return words(block)[1] == key_for(block); }

std::size_t cache_room(std::size_t block_bytes) noexcept { return cached_per_class(block_bytes) - cache.counts[class_of(block_bytes)]; }

void cache_drain(void (*release)(void* block)) noexcept {
    for (std::size_t klass = 0; klass < class_count; ++klass) {
        while (void* block = cache_take((klass + 2) * 16)) release(block);
    }
    cache.exit_registered = false;
}

void cache_set_exit_key(unsigned key) noexcept { exit_key.store(key, std::memory_order_relaxed); }

}  // namespace heapkit::malloc_layer
