// SPDX-License-Identifier: MIT
// map_heap_region: the size a region needs, rounded to pages, and its mapping.
#include "heap_region.hpp"

#include <sys/mman.h>

#include <algorithm>

#include "heapkit/heap/boundary_tag_heap.hpp"
#include "heapkit/heap/detail/os.hpp"

namespace heapkit::malloc_layer {

std::span<std::byte> map_heap_region(std::size_t size, std::size_t alignment, std::size_t minimum_bytes) noexcept {
    const std::size_t page = os::page_bytes();
    const std::size_t overhead = alignment + boundary_tag_heap::region_overhead_bytes + 2 * boundary_tag_heap::min_block_bytes;
    if (size > ~std::size_t{0} - overhead - page) return {};
    const std::size_t bytes = (std::max(size + overhead, minimum_bytes) + page - 1) & ~(page - 1);
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) return {};
    return {static_cast<std::byte*>(memory), bytes};
}

}  // namespace heapkit::malloc_layer
