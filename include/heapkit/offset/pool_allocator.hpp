// SPDX-License-Identifier: MIT
// heapkit::pool_allocator: fixed-size blocks tiling [0, capacity), the embedded sensor's
// allocator. allocate and free are O(1): freed blocks go on a stack and are handed out again
// last-in first-out, and blocks never used yet are taken from a watermark, so the metadata grows
// only with the most blocks ever live. There is no external fragmentation: any free block serves
// any request the pool can serve. Same error model as MemoryAllocator.
#pragma once

#include <cstddef>
#include <vector>

#include "heapkit/offset/block_walk.hpp"
#include "heapkit/offset/detail/messages.hpp"
#include "heapkit/offset/detail/offset_map.hpp"
#include "heapkit/offset/error.hpp"
#include "heapkit/offset/units.hpp"

namespace heapkit {

class pool_allocator {
public:
    // Blocks of `block_size` units. Throws invalid_size unless capacity is a positive multiple
    // of a positive block_size.
    pool_allocator(Size capacity, Size block_size);

    // A block for `size` units (at most the block size) whose start is a multiple of
    // `alignment`. Throws invalid_size (0), invalid_alignment (not a power of two),
    // out_of_memory (no free block, a size above the block size, or an alignment the block
    // starts do not all have). O(1).
    Offset allocate(Size size, Size alignment = 1);
    Offset allocate() { return allocate(block_size_); }
    result<Offset> try_allocate(Size size, Size alignment = 1) noexcept;
    // Checks in the seed's order (invalid_address, invalid_size, invalid_address for a range
    // past the end, invalid_free unless a block allocated with exactly `size` starts there). O(1).
    void free(Offset address, Size size);
    void free(Offset address);
    errc try_free(Offset address, Size size) noexcept;
    errc try_free(Offset address) noexcept;

    Size capacity() const noexcept { return capacity_; }
    Size block_size() const noexcept { return block_size_; }
    Size block_count() const noexcept { return capacity_ / block_size_; }
    std::size_t allocation_count() const noexcept { return live_.size(); }
    Size used_memory() const noexcept { return used_memory_; }  // units asked for
    Size reserved_memory() const noexcept { return static_cast<Size>(live_.size()) * block_size_; }
    Size free_memory() const noexcept { return capacity_ - reserved_memory(); }
    std::size_t free_block_count() const noexcept { return static_cast<std::size_t>(block_count() - live_.size()); }
    Size largest_free_block() const noexcept { return free_memory() == 0 ? 0 : block_size_; }
    // Always 0: every free block serves every request the pool can serve.
    double external_fragmentation() const noexcept { return 0.0; }
    double internal_fragmentation() const noexcept;

    // Free blocks in address order: each freed block, then the never-used blocks above the
    // watermark as one run. O(f log f) for f freed blocks.
    std::vector<free_block> free_blocks() const;
    // Live blocks in address order with the sizes asked for. O(a log a).
    std::vector<free_block> allocations() const;
    // Every live block (its whole extent) and free block in address order.
    template <class Visitor>
    void for_each_block(Visitor visit) const {
        std::vector<free_block> held = allocations();
        for (free_block& block : held) block.size = block_size_;
        walk_blocks(held, free_blocks(), visit);
    }

    // PL1 stacked blocks are distinct block starts below the watermark and not live, PL2 live
    // and stacked blocks account for every block below the watermark, PL3 live sizes lie in
    // (0, block size] and add up to used_memory, and the blocks tile the capacity. O(n log n);
    // throws std::logic_error.
    void validate() const;

private:
    errc free_checked(Offset address, const Size* size);
    detail::failure_context context(Offset address) const noexcept;

    Size capacity_;                  // units managed, a multiple of block_size_
    Size block_size_;                // units per block, > 0
    Offset watermark_ = 0;           // blocks at or above it were never handed out
    std::vector<Offset> freed_;      // freed blocks, the last freed on top
    detail::offset_map<Size> live_;  // live block start -> units asked for
    Size used_memory_ = 0;           // sum of the live sizes
};

}  // namespace heapkit
