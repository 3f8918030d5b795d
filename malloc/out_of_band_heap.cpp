// SPDX-License-Identifier: MIT
// out_of_band_heap: size-class chunks and tlsf regions over reserved mappings.
#include "out_of_band_heap.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>

#include "heapkit/offset/error.hpp"
#include "os_memory.hpp"

namespace heapkit::malloc_layer {

namespace {

constexpr std::size_t discarded_from_bytes = std::size_t{64} << 10;  // smaller freed blocks keep their pages
constexpr std::size_t region_alignment = std::size_t{2} << 20;       // so that any block alignment up to it is served
constexpr std::size_t class_alignment = 16;

}  // namespace

void* out_of_band_heap::try_allocate(std::size_t size, std::size_t alignment) noexcept {
    if (size <= slab_max_bytes && alignment <= class_alignment) return allocate_from_class(size_class_of(size));
    return allocate_from_regions(size, alignment);
}

void* out_of_band_heap::allocate(std::size_t size, std::size_t alignment) {
    void* block = try_allocate(size, alignment);
    if (block == nullptr) throw_error(errc::out_of_memory, "heapkit debug mode: no memory for a block");
    return block;
}

void* out_of_band_heap::allocate_from_class(std::size_t klass) noexcept {
    size_class& served = classes_[klass];
    if (!served.free.empty()) {
        std::byte* block = served.free.back();
        served.free.pop_back();
        return block;
    }
    const std::size_t bytes = size_class_bytes(klass);
    if (served.next == nullptr || static_cast<std::size_t>(served.end - served.next) < bytes) {
        auto* chunk = static_cast<std::byte*>(allocate_from_regions(chunk_bytes, chunk_bytes));
        if (chunk == nullptr) return nullptr;
        region& home = *region_of(chunk);
        home.chunk_class[static_cast<std::size_t>(chunk - static_cast<std::byte*>(home.blocks.base())) / chunk_bytes] =
            static_cast<std::uint8_t>(klass);
        served.next = chunk;
        served.end = chunk + chunk_bytes;
    }
    std::byte* block = served.next;
    served.next += bytes;
    return block;
}

void* out_of_band_heap::allocate_from_regions(std::size_t size, std::size_t alignment) noexcept {
    for (std::size_t i = region_count_; i-- > 0;)  // the newest first: the older ones are fuller
        if (void* block = regions_[i]->blocks.try_allocate(size, alignment)) return block;
    if (!grow(size, alignment)) return nullptr;
    return regions_[region_count_ - 1]->blocks.try_allocate(size, alignment);
}

void out_of_band_heap::deallocate(void* pointer) {
    region* home = region_of(pointer);
    if (home == nullptr) throw_error(errc::invalid_address, "heapkit debug mode: the pointer is in no region");
    if (const std::uint8_t klass = class_at(*home, pointer); klass != no_class) {
        classes_[klass].free.push_back(static_cast<std::byte*>(pointer));  // may throw: then nothing changed
        return;
    }
    if (const std::size_t bytes = home->blocks.usable_size(pointer); bytes >= discarded_from_bytes)
        os_memory::discard(pointer, bytes);
    home->blocks.deallocate(pointer);
}

std::size_t out_of_band_heap::usable_size(const void* pointer) const {
    const region* home = region_of(pointer);
    if (home == nullptr) return 0;
    const std::uint8_t klass = class_at(*home, pointer);
    return klass != no_class ? size_class_bytes(klass) : home->blocks.usable_size(pointer);
}

heap_stats out_of_band_heap::stats() const {
    heap_stats totals;
    for (std::size_t i = 0; i < region_count_; ++i) {
        const heap_stats part = regions_[i]->blocks.stats();
        totals.capacity_bytes += part.capacity_bytes;
        totals.in_use_bytes += part.in_use_bytes;  // chunks count whole
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
    for (std::size_t i = 0; i < region_count_; ++i) regions_[i]->blocks.validate();
    for (std::size_t klass = 0; klass < slab_class_count; ++klass) {
        std::vector<std::byte*> blocks = classes_[klass].free;
        std::sort(blocks.begin(), blocks.end());
        if (std::adjacent_find(blocks.begin(), blocks.end()) != blocks.end())
            throw std::logic_error("heapkit::out_of_band_heap invariant OB1 broken: a free block is listed twice");
        for (const std::byte* block : blocks) {
            const region* home = region_of(block);
            if (home == nullptr || class_at(*home, block) != klass)
                throw std::logic_error("heapkit::out_of_band_heap invariant OB2 broken: a free block outside its class's chunks");
        }
    }
}

const out_of_band_heap::region* out_of_band_heap::region_of(const void* pointer) const noexcept {
    for (std::size_t i = 0; i < region_count_; ++i)
        if (regions_[i]->blocks.owns(pointer)) return &*regions_[i];
    return nullptr;
}

out_of_band_heap::region* out_of_band_heap::region_of(const void* pointer) noexcept {
    return const_cast<region*>(static_cast<const out_of_band_heap*>(this)->region_of(pointer));
}

std::uint8_t out_of_band_heap::class_at(const region& home, const void* pointer) noexcept {
    const auto offset =
        static_cast<std::size_t>(static_cast<const std::byte*>(pointer) - static_cast<const std::byte*>(home.blocks.base()));
    return home.chunk_class[offset / chunk_bytes];
}

bool out_of_band_heap::grow(std::size_t size, std::size_t alignment) noexcept {
    if (region_count_ == max_regions || alignment > region_alignment || size > ~std::size_t{0} - region_bytes) return false;
    const std::size_t bytes = (std::max(region_bytes, size + alignment) + chunk_bytes - 1) & ~(chunk_bytes - 1);
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
