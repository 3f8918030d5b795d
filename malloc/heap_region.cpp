// SPDX-License-Identifier: MIT
// map_heap_region: the size a region needs, rounded to granules, and its aligned mapping.
#include "heap_region.hpp"

#include <algorithm>

#include "heapkit/heap/boundary_tag_heap.hpp"
#include "os_memory.hpp"

namespace heapkit::malloc_layer {

[[gnu::hot]] std::span<std::byte> map_heap_region(std::size_t size, std::size_t alignment, std::size_t minimum_bytes,
                                                  std::size_t granule_bytes) noexcept {
    const std::size_t granule = std::max(granule_bytes, os_memory::page_bytes());
    const std::size_t overhead = alignment + boundary_tag_heap::region_overhead_bytes + 2 * boundary_tag_heap::min_block_bytes;
    if (size > ~std::size_t{0} - overhead - 2 * granule) return {};  // so that bytes + slack cannot overflow
    const std::size_t bytes = (std::max(size + overhead, minimum_bytes) + granule - 1) & ~(granule - 1);
    void* start = os_memory::map_aligned(bytes, granule, os_memory::swap_reserve::no);
    if (start == nullptr) return {};
    return {static_cast<std::byte*>(start), bytes};
}

}  // namespace heapkit::malloc_layer
