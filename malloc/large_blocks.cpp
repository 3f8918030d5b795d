// SPDX-License-Identifier: MIT
// Large blocks, a range of pages each (os_memory.hpp), with a small cache of freed ranges.
#include "large_blocks.hpp"

#include <pthread.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>

#include "background_purge.hpp"
#include "environment.hpp"
#include "fatal.hpp"
#include "freed_block.hpp"
#include "heapkit/heap/detail/os.hpp"
#include "large_registry.hpp"
#include "os_memory.hpp"

namespace heapkit::malloc_layer {

namespace {

// Right before every large block's pointer. The seal, the lowest word, is made from the other
// three, the pointer and the process's secret: a write before the block's start (an underflow)
// that reached any of the 32 bytes breaks it, and the block's next free, realloc or
// malloc_usable_size ends the program instead of unmapping a wrong range. The block's usable bytes
// run from the pointer to the mapping's end.
struct large_header {
    std::uintptr_t seal;        // seal_for(the rest, the pointer)
    void* mapping;              // what os_memory::map_aligned returned
    std::size_t mapping_bytes;  // its length
    std::size_t family;         // the allocation_kind that allocated it (malloc, new, new[])
};
static_assert(sizeof(large_header) == 32);

large_header* header_of(const void* pointer) noexcept {
    return reinterpret_cast<large_header*>(const_cast<char*>(static_cast<const char*>(pointer)) - sizeof(large_header));
}

std::uintptr_t seal_for(const large_header& header, const void* pointer) noexcept {
    const auto mixed = freed_block::address_of(header.mapping) ^ std::rotl(header.mapping_bytes, 21) ^
                       std::rotl(header.family, 42) ^ freed_block::address_of(pointer);
    return (mixed * 0x9E3779B97F4A7C15ULL) ^ freed_block::secret();  // every bit of each field reaches the top half
}

// Writes the header of the block at `pointer`, sealed.
[[gnu::hot]] void write_header(void* pointer, void* mapping, std::size_t mapping_bytes, allocation_kind family) noexcept {
    large_header* header = header_of(pointer);
    *header = {0, mapping, mapping_bytes, static_cast<std::size_t>(family)};
    header->seal = seal_for(*header, pointer);
}

std::size_t usable_bytes(const large_header& header, const void* pointer) noexcept {
    return freed_block::address_of(header.mapping) + header.mapping_bytes - freed_block::address_of(pointer);
}

// Ends the program when `family` is not the one that allocated the block (mismatched free).
void check_family(const large_header& header, allocation_kind family, const void* pointer) noexcept {
    if (header.family != static_cast<std::size_t>(family))
        fatal_mismatched(static_cast<allocation_kind>(header.family), family, pointer);
}

// The header of the live block at `pointer`, once its seal is checked.
[[gnu::hot]] const large_header& checked_header(const void* pointer) noexcept {
    const large_header* header = header_of(pointer);
    if (header->seal != seal_for(*header, pointer)) [[unlikely]]
        fatal(misuse::header_overwritten, pointer);
    return *header;
}

// Freed mappings kept for the next large request: mmap, munmap and the page faults of fresh
// memory cost far more than a lookup and an mremap. Bounded in count and bytes, and each kept
// at most HEAPKIT_PURGE_DELAY_MS (a second by default), so that RSS comes back down after a peak.
// Kept mappings stay accessible: making one PROT_NONE while it waits (so that a write after free
// faults, as after munmap) took a 600 KB malloc+free from 0.1-0.16 to 3.6-4.3 us here (two
// mprotects), and was not kept.
constexpr std::size_t cached_mapping_limit = 16;                    // may be tuned
constexpr std::size_t cached_bytes_limit = std::size_t{256} << 20;  // may be tuned
struct cached_mapping {
    void* mapping;
    std::size_t bytes;
    std::int64_t freed_at;  // os::monotonic_milliseconds()
};
pthread_mutex_t cache_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards the cache
cached_mapping cache[cached_mapping_limit];               // oldest first
std::size_t cached_count = 0;
std::size_t cached_bytes = 0;

// Removes entry `i` (keeping the age order); call with the lock.
[[gnu::hot]] cached_mapping remove_cached(std::size_t i) noexcept {
    const cached_mapping removed = cache[i];
    for (std::size_t j = i + 1; j < cached_count; ++j) cache[j - 1] = cache[j];
    --cached_count;
    cached_bytes -= removed.bytes;
    return removed;
}

// Moves the entries older than the purge delay, and the oldest until `room` more bytes and one
// more entry fit, into `out`; returns how many. Call with the lock; unmap after it.
[[gnu::hot]] std::size_t evict(std::int64_t now, std::size_t room, cached_mapping (&out)[cached_mapping_limit]) noexcept {
    std::size_t evicted = 0;
    while (cached_count > 0 &&
           (now - cache[0].freed_at > settings().purge_delay_ms || cached_count + (room != 0 ? 1 : 0) > cached_mapping_limit ||
            cached_bytes + room > cached_bytes_limit)) {
        out[evicted++] = remove_cached(0);
    }
    return evicted;
}

// A mapping take_cached hands out: its first `dirty_bytes` held earlier blocks; the rest, grown by
// mremap, is fresh and reads zero.
struct reused_mapping {
    void* mapping;
    std::size_t bytes;
    std::size_t dirty_bytes;
};

// A cached mapping for `bytes`: the smallest that holds them, whole when what it holds beyond them
// would be less than a large block, else split (its first `bytes` taken, the rest left cached with
// its age: no system call, and the rest stays resident for the next request); failing that the
// largest, grown by mremap (its touched pages need no fault, only the new tail does). {nullptr, 0, 0}
// when the cache is empty or mremap refuses.
[[gnu::hot]] reused_mapping take_cached(std::size_t bytes) noexcept {
    cached_mapping expired[cached_mapping_limit];
    pthread_mutex_lock(&cache_mutex);
    const std::size_t evicted = evict(os::monotonic_milliseconds(), 0, expired);
    std::size_t best = cached_count;
    for (std::size_t i = 0; i < cached_count; ++i) {
        const bool holds = cache[i].bytes >= bytes;
        const bool best_holds = best != cached_count && cache[best].bytes >= bytes;
        if (best == cached_count || (holds && (!best_holds || cache[i].bytes < cache[best].bytes)) ||
            (!holds && !best_holds && cache[i].bytes > cache[best].bytes)) {
            best = i;
        }
    }
    cached_mapping found{nullptr, 0, 0};
    if (best != cached_count && cache[best].bytes >= bytes && cache[best].bytes - bytes >= large_threshold_bytes) {
        found = {cache[best].mapping, bytes, 0};
        cache[best].mapping = static_cast<char*>(cache[best].mapping) + bytes;
        cache[best].bytes -= bytes;
        cached_bytes -= bytes;
    } else if (best != cached_count) {
        found = remove_cached(best);
    }
    pthread_mutex_unlock(&cache_mutex);
    for (std::size_t i = 0; i < evicted; ++i) os_memory::unmap(expired[i].mapping, expired[i].bytes);
    if (found.mapping == nullptr || found.bytes >= bytes) return {found.mapping, found.bytes, found.bytes};
    void* resized = os_memory::remap(found.mapping, found.bytes, bytes);
    if (resized == nullptr) {
        os_memory::unmap(found.mapping, found.bytes);
        return {nullptr, 0, 0};
    }
    return {resized, bytes, found.bytes};
}

// Keeps the mapping for reuse, joined with the cached ones right before and after it (one range of
// addresses: a later request may need all of it), making room by unmapping the oldest; or unmaps it
// when it alone is over the limit.
[[gnu::hot]] void give_back(void* mapping, std::size_t bytes) noexcept {
    cached_mapping evicted_mappings[cached_mapping_limit];
    std::size_t evicted = 0;
    pthread_mutex_lock(&cache_mutex);
    auto first = reinterpret_cast<std::uintptr_t>(mapping);
    for (std::size_t i = cached_count; i-- > 0;) {
        const auto start = reinterpret_cast<std::uintptr_t>(cache[i].mapping);
        if (start + cache[i].bytes == first || first + bytes == start) {
            bytes += remove_cached(i).bytes;
            if (start < first) first = start;
        }
    }
    mapping = reinterpret_cast<void*>(first);
    const bool kept = bytes <= cached_bytes_limit;
    if (kept) {
        const std::int64_t now = os::monotonic_milliseconds();
        evicted = evict(now, bytes, evicted_mappings);
        cache[cached_count++] = {mapping, bytes, now};
        cached_bytes += bytes;
    }
    pthread_mutex_unlock(&cache_mutex);
    for (std::size_t i = 0; i < evicted; ++i) os_memory::unmap(evicted_mappings[i].mapping, evicted_mappings[i].bytes);
    if (!kept) os_memory::unmap(mapping, bytes);
}

// The live blocks' count and mapped bytes, and the most of each so far (large_census).
constinit std::atomic<std::size_t> live_blocks{0};
constinit std::atomic<std::size_t> live_mapped_bytes{0};
constinit std::atomic<std::size_t> most_blocks{0};
constinit std::atomic<std::size_t> most_mapped_bytes{0};

void raise_to(std::atomic<std::size_t>& most, std::size_t value) noexcept {
    std::size_t seen = most.load(std::memory_order_relaxed);
    while (seen < value && !most.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {}
}

// Counts a mapping of `bytes` coming into use (or, with `sign` -1, going out of it).
[[gnu::hot]] void count_mapping(std::size_t bytes, int sign) noexcept {
    if (sign > 0) {
        raise_to(most_blocks, live_blocks.fetch_add(1, std::memory_order_relaxed) + 1);
        raise_to(most_mapped_bytes, live_mapped_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes);
    } else {
        live_blocks.fetch_sub(1, std::memory_order_relaxed);
        live_mapped_bytes.fetch_sub(bytes, std::memory_order_relaxed);
    }
}

}  // namespace

void lock_large_cache() noexcept {
    pthread_mutex_lock(&cache_mutex);
    large_registry::lock();
}
void unlock_large_cache() noexcept {
    large_registry::unlock();
    pthread_mutex_unlock(&cache_mutex);
}

[[gnu::hot]] void* allocate_large(std::size_t size, std::size_t alignment, allocation_kind family, bool zeroed) noexcept {
    freed_block::make_secret();  // before the first seal, which it must outlive
    const std::size_t page = os_memory::page_bytes();
    const std::size_t lead = alignment > 16 ? alignment : 16;  // room for the header, aligned
    const std::size_t limit = ~std::size_t{0} - lead - sizeof(large_header) - page;
    if (size > limit || lead > limit - size) return nullptr;
    std::size_t mapping_bytes = os_memory::round_up_to_pages(size + lead + sizeof(large_header));
    void* mapping = nullptr;
    std::size_t dirty_bytes = 0;
    if (const reused_mapping reused = take_cached(mapping_bytes); reused.mapping != nullptr) {
        mapping = reused.mapping;
        mapping_bytes = reused.bytes;
        dirty_bytes = reused.dirty_bytes;
    } else {
        mapping = os_memory::map_aligned(mapping_bytes, page);
        if (mapping == nullptr) return nullptr;
    }
    const auto base = reinterpret_cast<std::uintptr_t>(mapping) + sizeof(large_header);
    const std::uintptr_t user = (base + lead - 1) & ~(std::uintptr_t{lead} - 1);
    auto* pointer = reinterpret_cast<void*>(user);
    write_header(pointer, mapping, mapping_bytes, family);
    if (!large_registry::add(pointer)) {
        give_back(mapping, mapping_bytes);
        return nullptr;
    }
    count_mapping(mapping_bytes, 1);
    const std::size_t lead_bytes = user - reinterpret_cast<std::uintptr_t>(mapping);
    if (zeroed && dirty_bytes > lead_bytes)
        std::memset(pointer, 0, dirty_bytes - lead_bytes < size ? dirty_bytes - lead_bytes : size);
    return pointer;
}

[[gnu::hot]] bool is_large(const void* pointer) noexcept { return large_registry::holds(pointer); }

[[gnu::hot]] std::size_t free_large(void* pointer, allocation_kind family) noexcept {
    switch (large_registry::remove(pointer)) {
        case large_registry::removal::removed: break;
        case large_registry::removal::freed_lately: fatal(misuse::double_free, pointer);
        case large_registry::removal::unknown: fatal(misuse::foreign_free, pointer);
    }
    const large_header& header = checked_header(pointer);
    check_family(header, family, pointer);
    const std::size_t usable = usable_bytes(header, pointer);
    count_mapping(header.mapping_bytes, -1);
    give_back(header.mapping, header.mapping_bytes);
    wake_background_purge();  // the mapping may now be cached: it goes if the program goes idle
    return usable;
}

[[gnu::hot]] std::size_t large_usable_size(const void* pointer) noexcept {
    return usable_bytes(checked_header(pointer), pointer);
}

[[gnu::hot]] void* reallocate_large(void* pointer, std::size_t size) noexcept {
    const large_header& header = checked_header(pointer);
    check_family(header, allocation_kind::malloc, pointer);  // realloc is of the free family
    const auto offset = static_cast<std::size_t>(static_cast<char*>(pointer) - static_cast<char*>(header.mapping));
    if (size > ~std::size_t{0} - offset) return nullptr;
    const std::size_t mapping_bytes = os_memory::round_up_to_pages(offset + size);
    if (mapping_bytes == 0) return nullptr;
    const std::size_t old_mapping_bytes = header.mapping_bytes;
    void* moved = os_memory::remap(header.mapping, old_mapping_bytes, mapping_bytes);
    if (moved == nullptr) return nullptr;
    void* user = static_cast<char*>(moved) + offset;  // 16-aligned still; realloc promises no more
    count_mapping(old_mapping_bytes, -1);             // the header moved with the mapping: read before
    count_mapping(mapping_bytes, 1);
    write_header(user, moved, mapping_bytes, allocation_kind::malloc);
    if (user != pointer) {  // the registry has room: one address out, one in
        large_registry::remove(pointer);
        large_registry::add(user);
    }
    return user;
}

large_totals large_census() noexcept {
    large_totals totals;
    totals.live_blocks = live_blocks.load(std::memory_order_relaxed);
    totals.live_mapped_bytes = live_mapped_bytes.load(std::memory_order_relaxed);
    totals.most_blocks = most_blocks.load(std::memory_order_relaxed);
    totals.most_mapped_bytes = most_mapped_bytes.load(std::memory_order_relaxed);
    pthread_mutex_lock(&cache_mutex);
    totals.cached_bytes = cached_bytes;
    pthread_mutex_unlock(&cache_mutex);
    return totals;
}

bool large_drop_expired() noexcept {
    cached_mapping expired[cached_mapping_limit];
    pthread_mutex_lock(&cache_mutex);
    const std::size_t evicted = evict(os::monotonic_milliseconds(), 0, expired);
    const bool still_cached = cached_count != 0;
    pthread_mutex_unlock(&cache_mutex);
    for (std::size_t i = 0; i < evicted; ++i) os_memory::unmap(expired[i].mapping, expired[i].bytes);
    return still_cached;
}

std::size_t large_trim() noexcept {
    cached_mapping all[cached_mapping_limit];
    pthread_mutex_lock(&cache_mutex);
    const std::size_t count = cached_count;
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < count; ++i) bytes += (all[i] = cache[i]).bytes;
    cached_count = 0;
    cached_bytes = 0;
    pthread_mutex_unlock(&cache_mutex);
    for (std::size_t i = 0; i < count; ++i) os_memory::unmap(all[i].mapping, all[i].bytes);
    return bytes;
}

}  // namespace heapkit::malloc_layer
