// SPDX-License-Identifier: MIT
// tlsf_index: O(1) placement, physical merging, in-place resizing, and the promise that it never
// reports out of memory while some free block can hold the aligned request (every out_of_memory
// of a long random run is checked against the free blocks).
#include "heapkit/offset/tlsf_index.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "../test_seed.hpp"
#include "allocator_snapshot.hpp"
#include "heapkit/offset/allocators.hpp"
#include "own_choice_run.hpp"

namespace heapkit {
namespace {

using blocks = std::vector<free_block>;

bool some_block_holds(const tlsf_allocator& allocator, Size size, Size alignment) {
    for (const free_block block : allocator.free_blocks()) {
        const Size padding = (alignment - block.start % alignment) % alignment;
        if (padding <= block.size && size <= block.size - padding) return true;
    }
    return false;
}

TEST(Tlsf, FillsFromZeroAndMergesBothNeighbours) {
    tlsf_allocator allocator(100);
    EXPECT_EQ(allocator.allocate(20), 0u);
    EXPECT_EQ(allocator.allocate(30), 20u);
    EXPECT_EQ(allocator.allocate(40), 50u);
    allocator.free(0, 20);
    allocator.free(50, 40);
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{0, 20}, {50, 50}}));
    allocator.free(20, 30);
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{0, 100}}));
    EXPECT_EQ(allocator.free_block_count(), 1u);
    allocator.validate();
}

TEST(Tlsf, FindsAnExactBlockTheRoundedSearchWouldSkip) {
    // 40 free units in a block of exactly 40: rounding 40 up to its class boundary (40 is itself
    // a boundary) still finds it; 41 ... 47 share its class and must be found by the fallback.
    tlsf_allocator allocator(1000);
    allocator.allocate(100);
    allocator.allocate(45);
    allocator.allocate(855);
    allocator.free(100, 45);  // one free block of 45: class [44, 46)
    EXPECT_EQ(allocator.allocate(45), 100u);
    allocator.free(100, 45);
    EXPECT_EQ(allocator.allocate(44), 100u);
    allocator.validate();
}

TEST(Tlsf, AlignedRequestUsesTheFallbackWhenNeeded) {
    tlsf_allocator allocator(128);
    allocator.allocate(1);
    allocator.allocate(63);
    allocator.allocate(64);
    allocator.free(1, 63);  // 1:63 holds 32 aligned to 32 at 32..63, but 32 + 31 > 63 rounds past it
    EXPECT_EQ(allocator.allocate(32, 32), 32u);
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{1, 31}}));
    allocator.validate();
}

TEST(Tlsf, ResizesInPlace) {
    tlsf_allocator allocator(100);
    allocator.allocate(10);
    allocator.allocate(10);
    allocator.free(10);
    EXPECT_EQ(allocator.reallocate(0, 15), 0u);   // grows into the free block above
    EXPECT_EQ(allocator.reallocate(0, 100), 0u);  // to the end
    EXPECT_EQ(allocator.free_memory(), 0u);
    EXPECT_EQ(allocator.reallocate(0, 40), 0u);   // shrinks, a new free block above
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{40, 60}}));
    EXPECT_EQ(allocator.reallocate(0, 30), 0u);   // shrinks into the free block above
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{30, 70}}));
    allocator.validate();
}

TEST(Tlsf, SixtyFourBitCapacity) {
    constexpr Size max_units = std::numeric_limits<Size>::max();
    tlsf_allocator allocator(max_units);
    EXPECT_EQ(allocator.allocate(max_units), 0u);
    allocator.free(0);
    EXPECT_EQ(allocator.allocate(max_units - 1), 0u);  // no class promises this size: found by the fallback
    EXPECT_EQ(allocator.allocate(1), max_units - 1);
    allocator.free(0);
    EXPECT_EQ(allocator.allocate(5, Size{1} << 63), 0u);
    EXPECT_EQ(allocator.allocate(5, Size{1} << 63), Size{1} << 63);
    allocator.validate();
}

TEST(Tlsf, NeverOutOfMemoryWhileSomeBlockHoldsTheRequest) {
    const std::uint64_t seed = test::test_seed("Tlsf.NeverOutOfMemoryWhileSomeBlockHoldsTheRequest");
    const std::size_t operations = test::test_operations(8000);
    for (const Size capacity : {Size{1} << 10, Size{1} << 24, std::numeric_limits<Size>::max()}) {
        SCOPED_TRACE("capacity " + std::to_string(capacity) + " (seed " + std::to_string(seed) + ")");
        tlsf_allocator allocator(capacity);
        const test::own_choice_counts counts = test::random_own_choice_run(
            allocator, capacity, seed + capacity, operations,
            [](Size, Size alignment, Offset address) { EXPECT_EQ(address % alignment, 0u); },
            [&](Size size, Size alignment) {
                EXPECT_FALSE(some_block_holds(allocator, size, alignment)) << size << " aligned to " << alignment;
            });
        EXPECT_GT(counts.out_of_memory, operations / 50);  // the run did press against the capacity
        EXPECT_GT(counts.placed, operations / 5);
    }
}

TEST(Tlsf, RejectsWhatTheListRejects) {
    // Error kinds depend only on the ledger and the capacity, so they match the list's.
    tlsf_allocator tlsf(100);
    MemoryAllocator list(100);
    EXPECT_EQ(tlsf.try_allocate(0).error(), list.try_allocate(0).error());
    EXPECT_EQ(tlsf.try_allocate(4, 3).error(), list.try_allocate(4, 3).error());
    EXPECT_EQ(tlsf.try_free(100, 1), list.try_free(100, 1));
    EXPECT_EQ(tlsf.try_free(5, 0), list.try_free(5, 0));
    EXPECT_EQ(tlsf.try_free(5, 96), list.try_free(5, 96));
    EXPECT_EQ(tlsf.try_free(5, 5), list.try_free(5, 5));
}

}  // namespace
}  // namespace heapkit
