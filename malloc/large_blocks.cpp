// SPDX-License-Identifier: MIT
// Large blocks over mmap/mremap/munmap, with a small cache of freed mappings.
#include "large_blocks.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <cstdint>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer {

namespace {

// Right before every large block's pointer.
struct large_header {
    std::uint64_t magic;        // large_magic ^ the pointer: a stale or foreign header will not match
    void* mapping;              // what mmap returned
    std::size_t mapping_bytes;  // its length
    std::size_t usable_bytes;   // from the pointer to the mapping's end
};
static_assert(sizeof(large_header) == 32);
constexpr std::uint64_t large_magic = 0x6865617061726765ull;  // "heaparge"

large_header* header_of(const void* pointer) noexcept {
    return reinterpret_cast<large_header*>(const_cast<char*>(static_cast<const char*>(pointer)) - sizeof(large_header));
}

std::uint64_t magic_for(const void* pointer) noexcept { return large_magic ^ reinterpret_cast<std::uintptr_t>(pointer); }

// Freed mappings kept for the next large request that fits in one without wasting more than
// half of it: mmap, munmap and the page faults of fresh memory cost far more than a lookup.
// Bounded, so that the memory held back stays small next to what a large-block program uses.
constexpr std::size_t cached_mapping_limit = 16;
constexpr std::size_t cached_bytes_limit = std::size_t{64} << 20;
struct cached_mapping {
    void* mapping;
    std::size_t bytes;
};
pthread_mutex_t cache_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards the cache
cached_mapping cache[cached_mapping_limit];
std::size_t cached_count = 0;
std::size_t cached_bytes = 0;

// A cached mapping of at least `bytes` (and at most twice that), or nullptr.
cached_mapping take_cached(std::size_t bytes) noexcept {
    pthread_mutex_lock(&cache_mutex);
    cached_mapping found{nullptr, 0};
    for (std::size_t i = 0; i < cached_count; ++i) {
        if (cache[i].bytes >= bytes && cache[i].bytes / 2 <= bytes) {
            found = cache[i];
            cache[i] = cache[--cached_count];
            cached_bytes -= found.bytes;
            break;
        }
    }
    pthread_mutex_unlock(&cache_mutex);
    return found;
}

// Keeps the mapping for reuse, or unmaps it when the cache is full.
void give_back(void* mapping, std::size_t bytes) noexcept {
    pthread_mutex_lock(&cache_mutex);
    const bool keep = cached_count < cached_mapping_limit && cached_bytes + bytes <= cached_bytes_limit;
    if (keep) {
        cache[cached_count++] = {mapping, bytes};
        cached_bytes += bytes;
    }
    pthread_mutex_unlock(&cache_mutex);
    if (!keep) ::munmap(mapping, bytes);
}

}  // namespace

void lock_large_cache() noexcept { pthread_mutex_lock(&cache_mutex); }
void unlock_large_cache() noexcept { pthread_mutex_unlock(&cache_mutex); }

void* allocate_large(std::size_t size, std::size_t alignment) noexcept {
    const std::size_t page = os::page_bytes();
    const std::size_t lead = alignment > 16 ? alignment : 16;  // room for the header, aligned
    const std::size_t limit = ~std::size_t{0} - lead - sizeof(large_header) - page;
    if (size > limit || lead > limit - size) return nullptr;
    std::size_t mapping_bytes = (size + lead + sizeof(large_header) + page - 1) / page * page;
    void* mapping = nullptr;
    if (const cached_mapping reused = take_cached(mapping_bytes); reused.mapping != nullptr) {
        mapping = reused.mapping;
        mapping_bytes = reused.bytes;
    } else {
        mapping = ::mmap(nullptr, mapping_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapping == MAP_FAILED) return nullptr;
    }
    const auto base = reinterpret_cast<std::uintptr_t>(mapping) + sizeof(large_header);
    const std::uintptr_t user = (base + lead - 1) & ~(std::uintptr_t{lead} - 1);
    auto* pointer = reinterpret_cast<void*>(user);
    *header_of(pointer) = {magic_for(pointer), mapping, mapping_bytes,
                           reinterpret_cast<std::uintptr_t>(mapping) + mapping_bytes - user};
    return pointer;
}

bool is_large(const void* pointer) noexcept {
    return reinterpret_cast<std::uintptr_t>(pointer) % 16 == 0 && header_of(pointer)->magic == magic_for(pointer);
}

void free_large(void* pointer) noexcept {
    large_header* header = header_of(pointer);
    header->magic = 0;  // a second free finds no header
    give_back(header->mapping, header->mapping_bytes);
}

std::size_t large_usable_size(const void* pointer) noexcept { return header_of(pointer)->usable_bytes; }

void* reallocate_large(void* pointer, std::size_t size) noexcept {
    large_header* header = header_of(pointer);
    const auto offset = static_cast<std::size_t>(static_cast<char*>(pointer) - static_cast<char*>(header->mapping));
    const std::size_t page = os::page_bytes();
    if (size > ~std::size_t{0} - offset - page) return nullptr;
    const std::size_t mapping_bytes = (offset + size + page - 1) / page * page;
    void* moved = ::mremap(header->mapping, header->mapping_bytes, mapping_bytes, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) return nullptr;
    void* user = static_cast<char*>(moved) + offset;  // 16-aligned still; realloc promises no more
    *header_of(user) = {magic_for(user), moved, mapping_bytes, mapping_bytes - offset};
    return user;
}

}  // namespace heapkit::malloc_layer
