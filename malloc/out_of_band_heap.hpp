// SPDX-License-Identifier: MIT
// out_of_band_heap: the heap under debug mode's checked blocks, keeping nothing inside the memory
// it hands out. Regions of at least region_bytes are reserved (MAP_NORESERVE) as needed, up to
// max_regions; a tlsf allocator (offset_heap) places blocks in each, its bookkeeping living in
// the heap that serves heapkit's own allocations. Blocks up to slab_max_bytes at 16-byte
// alignment come from chunks of chunk_bytes taken from the tlsf allocator whole, one size class
// (slab_classes.hpp) per chunk, each class with a stack of its free blocks kept in a vector and a
// region's table saying which class each chunk serves: O(1) with no lookup. So an overflow or
// underflow of a user block, however long, meets only other user blocks and their canaries, never
// a header. Whole pages of a freed block of 64 KiB or more go back to the kernel. Not thread-safe
// (debug mode's lock guards it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "heapkit/heap/heap_stats.hpp"
#include "heapkit/heap/offset_heap.hpp"
#include "slab_classes.hpp"

namespace heapkit::malloc_layer {

class out_of_band_heap {
public:
    static constexpr std::size_t region_bytes = std::size_t{1} << 30;  // may be tuned: address space, not memory
    static constexpr std::size_t max_regions = 64;
    static constexpr std::size_t chunk_bytes = std::size_t{64} << 10;  // a power of two, at least 4 of the largest class

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
    // Each region's allocator, and each class's free blocks: in a chunk of their class, each once.
    void validate() const;

private:
    struct region {
        region(void* start, std::size_t bytes) : blocks(start, bytes), chunk_class(bytes / chunk_bytes, no_class) {}
        offset_heap<tlsf_allocator> blocks;
        std::vector<std::uint8_t> chunk_class;  // per chunk_bytes of the region: the class it serves, or no_class
    };
    struct size_class {
        std::vector<std::byte*> free;  // freed blocks, reused last in, first out
        std::byte* next = nullptr;     // the unused rest of the newest chunk
        std::byte* end = nullptr;
    };
    static constexpr std::uint8_t no_class = 0xFF;
    static_assert(slab_class_count < no_class && chunk_bytes >= 4 * slab_max_bytes);

    void* allocate_from_class(std::size_t klass) noexcept;
    void* allocate_from_regions(std::size_t size, std::size_t alignment) noexcept;
    const region* region_of(const void* pointer) const noexcept;
    region* region_of(const void* pointer) noexcept;
    // The class of the chunk holding `pointer` in `home`, or no_class.
    static std::uint8_t class_at(const region& home, const void* pointer) noexcept;
    bool grow(std::size_t size, std::size_t alignment) noexcept;

    std::array<std::optional<region>, max_regions> regions_{};
    std::size_t region_count_ = 0;
    std::array<size_class, slab_class_count> classes_{};
};

}  // namespace heapkit::malloc_layer
