// SPDX-License-Identifier: MIT
// out_of_band_heap: regions of offset_heap over reserved mappings.
#include "out_of_band_heap.hpp"

#include <algorithm>
#include <new>

#include "heapkit/offset/error.hpp"
#include "os_memory.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t discarded_from_bytes = std::size_t{64} << 10;  // smaller freed blocks keep their pages
constexpr std::size_t region_alignment = std::size_t{2} << 20;       // so that any block alignment up to it is served

}  // namespace

void* out_of_band_heap::try_allocate(std::size_t size, std::size_t alignment) noexcept {
    for (std::size_t i = region_count_; i-- > 0;)  // the newest first: the older ones are fuller
        if (void* block = regions_[i]->try_allocate(size, alignment)) return block;
    if (!grow(size, alignment)) return nullptr;
    return regions_[region_count_ - 1]->try_allocate(size, alignment);
}

void* out_of_band_heap::allocate(std::size_t size, std::size_t alignment) {
    void* block = try_allocate(size, alignment);
    if (block == nullptr) throw_error(errc::out_of_memory, "heapkit debug mode: no memory for a block");
    return block;
}

void out_of_band_heap::deallocate(void* pointer) {
    region* home = region_of(pointer);
    if (home == nullptr) throw_error(errc::invalid_address, "heapkit debug mode: the pointer is in no region");
    if (const std::size_t bytes = home->usable_size(pointer); bytes >= discarded_from_bytes) os_memory::discard(pointer, bytes);
    home->deallocate(pointer);
}

std::size_t out_of_band_heap::usable_size(const void* pointer) const {
    const region* home = region_of(pointer);
    return home != nullptr ? home->usable_size(pointer) : 0;
}

heap_stats out_of_band_heap::stats() const {
    heap_stats totals;
    for (std::size_t i = 0; i < region_count_; ++i) {
        const heap_stats part = regions_[i]->stats();
        totals.capacity_bytes += part.capacity_bytes;
        totals.in_use_bytes += part.in_use_bytes;
        totals.free_bytes += part.free_bytes;
        totals.overhead_bytes += part.overhead_bytes;
        totals.largest_free_block = std::max(totals.largest_free_block, part.largest_free_block);
        totals.allocation_count += part.allocation_count;
        totals.free_block_count += part.free_block_count;
    }
    totals.region_count = region_count_;
    return totals;
}

void out_of_band_heap::validate() const {
    for (std::size_t i = 0; i < region_count_; ++i) regions_[i]->validate();
}

const out_of_band_heap::region* out_of_band_heap::region_of(const void* pointer) const noexcept {
    for (std::size_t i = 0; i < region_count_; ++i)
        if (regions_[i]->owns(pointer)) return &*regions_[i];
    return nullptr;
}

out_of_band_heap::region* out_of_band_heap::region_of(const void* pointer) noexcept {
    return const_cast<region*>(static_cast<const out_of_band_heap*>(this)->region_of(pointer));
}

bool out_of_band_heap::grow(std::size_t size, std::size_t alignment) noexcept {
    if (region_count_ == max_regions || alignment > region_alignment || size > ~std::size_t{0} - region_bytes) return false;
    const std::size_t bytes = os_memory::round_up_to_pages(std::max(region_bytes, size + alignment));
    if (bytes == 0) return false;
    void* start = os_memory::map_aligned(bytes, region_alignment, os_memory::swap_reserve::no);
    if (start == nullptr) return false;
    try {
        regions_[region_count_].emplace(start, bytes);
    } catch (...) {  // the allocator's own tables did not fit
        os_memory::unmap(start, bytes);
        return false;
    }
    ++region_count_;
    return true;
}

}  // namespace heapkit::malloc_layer
