// SPDX-License-Identifier: MIT
// os_memory: mmap and its kin, and the trimming of an over-sized mapping to an alignment.
#include "os_memory.hpp"

#include <sys/mman.h>

#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer::os_memory {

std::size_t page_bytes() noexcept { return os::page_bytes(); }

std::size_t round_up_to_pages(std::size_t bytes) noexcept {
    const std::size_t page = page_bytes();
    if (bytes > ~std::size_t{0} - (page - 1)) return 0;
    return (bytes + page - 1) & ~(page - 1);
}

[[gnu::hot]] void* map_aligned(std::size_t bytes, std::size_t alignment, swap_reserve reserve) noexcept {
    const std::size_t slack = alignment <= page_bytes() ? 0 : alignment;  // room to slide to an aligned start
    if (bytes > ~std::size_t{0} - slack) return nullptr;
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (reserve == swap_reserve::no ? MAP_NORESERVE : 0);
    void* mapping = ::mmap(nullptr, bytes + slack, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    const auto raw = reinterpret_cast<std::uintptr_t>(mapping);
    const std::uintptr_t start = slack == 0 ? raw : (raw + alignment - 1) & ~(std::uintptr_t{alignment} - 1);
    if (start != raw) ::munmap(mapping, start - raw);
    if (const std::size_t tail = raw + slack - start; tail != 0) ::munmap(reinterpret_cast<void*>(start + bytes), tail);
    if (start + bytes > user_address_end) {  // beyond the layer's tables
        ::munmap(reinterpret_cast<void*>(start), bytes);
        return nullptr;
    }
    return reinterpret_cast<void*>(start);
}

[[gnu::hot]] void* map_inaccessible(std::size_t bytes) noexcept {
    void* mapping = ::mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    if (reinterpret_cast<std::uintptr_t>(mapping) + bytes > user_address_end) {
        ::munmap(mapping, bytes);
        return nullptr;
    }
    return mapping;
}

[[gnu::hot]] bool protect(void* start, std::size_t bytes, access allowed) noexcept {
    return ::mprotect(start, bytes, allowed == access::read_write ? PROT_READ | PROT_WRITE : PROT_NONE) == 0;
}

void unmap(void* start, std::size_t bytes) noexcept { ::munmap(start, bytes); }

[[gnu::hot]] void* remap(void* start, std::size_t old_bytes, std::size_t new_bytes) noexcept {
    void* moved = ::mremap(start, old_bytes, new_bytes, MREMAP_MAYMOVE);
    return moved == MAP_FAILED ? nullptr : moved;
}

[[gnu::hot]] void discard(void* start, std::size_t bytes) noexcept {
    const std::uintptr_t page = page_bytes();
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(start) + page - 1) & ~(page - 1);
    const std::uintptr_t last = (reinterpret_cast<std::uintptr_t>(start) + bytes) & ~(page - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace heapkit::malloc_layer::os_memory
