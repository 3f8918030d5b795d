// SPDX-License-Identifier: MIT
// out_of_band_heap: the heap under debug mode's checked blocks, keeping nothing inside the memory
// it hands out. Regions of at least region_bytes are reserved (MAP_NORESERVE) as needed, up to
// max_regions; an offset_heap over a tlsf allocator places blocks in each, its bookkeeping living
// in the heap that serves heapkit's own allocations. So an overflow or underflow of a user block,
// however long, meets only other user blocks and their canaries, never a header. Whole pages of a
// freed block of 64 KiB or more go back to the kernel. O(1) per call plus a scan of the regions
// (a few). Not thread-safe (debug mode's lock guards it).
#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "heapkit/heap/heap_stats.hpp"
#include "heapkit/heap/offset_heap.hpp"

namespace heapkit::malloc_layer {

class out_of_band_heap {
public:
    static constexpr std::size_t region_bytes = std::size_t{1} << 30;  // may be tuned: address space, not memory
    static constexpr std::size_t max_regions = 64;

    out_of_band_heap() = default;
    out_of_band_heap(const out_of_band_heap&) = delete;
    out_of_band_heap& operator=(const out_of_band_heap&) = delete;

    // Throws out_of_memory (a std::bad_alloc) when no region has room and no new one maps.
    void* allocate(std::size_t size, std::size_t alignment);
    void* try_allocate(std::size_t size, std::size_t alignment) noexcept;
    // Throws invalid_address / invalid_free for a pointer no region handed out.
    void deallocate(void* pointer);
    std::size_t usable_size(const void* pointer) const;
    bool owns(const void* pointer) const noexcept { return region_of(pointer) != nullptr; }
    heap_stats stats() const;
    void validate() const;

private:
    using region = offset_heap<tlsf_allocator>;

    const region* region_of(const void* pointer) const noexcept;
    region* region_of(const void* pointer) noexcept;
    bool grow(std::size_t size, std::size_t alignment) noexcept;

    std::array<std::optional<region>, max_regions> regions_{};
    std::size_t region_count_ = 0;
};

}  // namespace heapkit::malloc_layer
