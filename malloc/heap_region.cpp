// SPDX-License-Identifier: MIT
// map_heap_region: the size a region needs, rounded to granules, and its aligned mapping.
#include "heap_region.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer {

std::span<std::byte> map_heap_region(std::size_t size, std::size_t alignment, std::size_t minimum_bytes,
                                     std::size_t granule_bytes) noexcept {
    const std::size_t granule = std::max(granule_bytes, os::page_bytes());
    const std::size_t overhead = alignment + boundary_tag_heap::region_overhead_bytes + 2 * boundary_tag_heap::min_block_bytes;
    if (size > ~std::size_t{0} - overhead - 2 * granule) return {};  // so that bytes + slack cannot overflow
    const std::size_t bytes = (std::max(size + overhead, minimum_bytes) + granule - 1) & ~(granule - 1);
    const std::size_t slack = granule == os::page_bytes() ? 0 : granule;  // room to slide to a granule boundary
    void* memory = ::mmap(nullptr, bytes + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) return {};
    const auto raw = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t start = (raw + granule - 1) & ~(std::uintptr_t{granule} - 1);
    if (start != raw) ::munmap(memory, start - raw);
    if (const std::size_t tail = raw + slack - start; tail != 0) ::munmap(reinterpret_cast<void*>(start + bytes), tail);
    return {reinterpret_cast<std::byte*>(start), bytes};
}

}  // namespace heapkit::malloc_layer
