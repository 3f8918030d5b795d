// SPDX-License-Identifier: MIT
// offset_heap<Allocator>: a heap over memory that cannot hold headers (device memory, a mapped
// file, another process's buffer). It hands out base + offset, where the offset layer's
// MemoryAllocator (any index) decides the offset and keeps every block's size out of band. Costs
// are the allocator's: O(log n) with the default tree.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>

#include "heapkit/heap/heap_concept.hpp"
#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/error.hpp"

namespace heapkit {

template <class Allocator = tree_allocator>
class offset_heap {
public:
    // A heap over the `capacity_bytes` bytes at `base`, which it never reads or writes. Throws
    // invalid_size when capacity_bytes is 0.
    offset_heap(void* base, std::size_t capacity_bytes, Fit fit = Fit::first)
        : base_(static_cast<std::byte*>(base)), allocator_(capacity_bytes, fit) {}

    // `size` bytes (0 is served as 1) aligned to `alignment`, which may not exceed the base
    // pointer's own alignment. Throws invalid_alignment, out_of_memory (a std::bad_alloc).
    void* allocate(std::size_t size, std::size_t alignment = default_alignment_bytes) {
        check_alignment(alignment);
        return base_ + allocator_.allocate(std::max<std::size_t>(size, 1), alignment);
    }
    void* try_allocate(std::size_t size, std::size_t alignment = default_alignment_bytes) noexcept {
        if (!is_power_of_two(alignment) || alignment > base_alignment()) return nullptr;
        const result<Offset> offset = allocator_.try_allocate(std::max<std::size_t>(size, 1), alignment);
        return offset ? base_ + *offset : nullptr;
    }
    // Frees the block at `pointer` (nullptr: nothing). Throws invalid_address outside the memory,
    // invalid_free where no block starts.
    void deallocate(void* pointer) {
        if (pointer == nullptr) return;
        if (!owns(pointer)) throw_error(errc::invalid_address, "heapkit::offset_heap: the pointer is not in this heap");
        allocator_.free(offset_of(pointer));
    }
    void* reallocate(void* pointer, std::size_t size, std::size_t alignment = default_alignment_bytes) {
        if (pointer == nullptr) return allocate(size, alignment);
        check_alignment(alignment);
        if (!owns(pointer)) throw_error(errc::invalid_address, "heapkit::offset_heap: the pointer is not in this heap");
        return base_ + allocator_.reallocate(offset_of(pointer), std::max<std::size_t>(size, 1), alignment);
    }

    // The bytes of the live block at `pointer`, 0 if none starts there. O(1) expected.
    std::size_t usable_size(const void* pointer) const {
        if (!owns(pointer)) return 0;
        const auto block = allocator_.allocation_at(offset_of(pointer));
        return block ? block->size : 0;
    }
    bool owns(const void* pointer) const noexcept {
        const auto* byte = static_cast<const std::byte*>(pointer);
        return byte >= base_ && byte < base_ + allocator_.capacity();
    }
    heap_stats stats() const {
        heap_stats totals;
        totals.capacity_bytes = allocator_.capacity();
        totals.in_use_bytes = allocator_.reserved_memory();
        totals.free_bytes = allocator_.free_memory();
        totals.overhead_bytes = allocator_.reserved_memory() - allocator_.used_memory();
        totals.largest_free_block = allocator_.largest_free_block();
        totals.allocation_count = allocator_.allocation_count();
        totals.free_block_count = allocator_.free_block_count();
        totals.region_count = 1;
        return totals;
    }
    void validate() const { allocator_.validate(); }
    // The first byte of the memory, which offsets count from.
    void* base() const noexcept { return base_; }
    // The offset view, for maps and fragmentation figures.
    const Allocator& allocator() const noexcept { return allocator_; }

private:
    std::size_t base_alignment() const noexcept {
        const auto address = reinterpret_cast<std::uintptr_t>(base_);
        return address == 0 ? std::size_t{1} << 63 : std::size_t{1} << std::countr_zero(address);
    }
    void check_alignment(std::size_t alignment) const {
        if (!is_power_of_two(alignment) || alignment > base_alignment())
            throw_error(errc::invalid_alignment, "heapkit::offset_heap: alignment " + std::to_string(alignment) +
                                                     " is not a power of two no larger than the base's (" +
                                                     std::to_string(base_alignment()) + ")");
    }
    Offset offset_of(const void* pointer) const noexcept {
        return static_cast<Offset>(static_cast<const std::byte*>(pointer) - base_);
    }

    std::byte* base_;      // never dereferenced
    Allocator allocator_;  // offsets from base_
};

}  // namespace heapkit
