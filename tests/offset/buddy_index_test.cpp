// SPDX-License-Identifier: MIT
// buddy_index: tiling a capacity that is not a power of two, splits and merges, alignment,
// internal fragmentation, and a random run checked against the buddy rules.
#include "heapkit/offset/buddy_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../test_seed.hpp"
#include "allocator_snapshot.hpp"
#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/memory_map.hpp"
#include "own_choice_run.hpp"

namespace heapkit {
namespace {

using blocks = std::vector<free_block>;

TEST(Buddy, TilesACapacityThatIsNotAPowerOfTwo) {
    const buddy_allocator allocator(100);
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{0, 64}, {64, 32}, {96, 4}}));
    EXPECT_EQ(allocator.largest_free_block(), 64u);
    allocator.validate();
}

TEST(Buddy, OrderForRoundsSizeAndAlignmentUp) {
    EXPECT_EQ(buddy_index::order_for(1, 1), 0u);
    EXPECT_EQ(buddy_index::order_for(2, 1), 1u);
    EXPECT_EQ(buddy_index::order_for(3, 1), 2u);
    EXPECT_EQ(buddy_index::order_for(20, 1), 5u);
    EXPECT_EQ(buddy_index::order_for(3, 64), 6u);
    EXPECT_EQ(buddy_index::order_for(Size{1} << 63, 1), 63u);
    EXPECT_EQ(buddy_index::order_for((Size{1} << 63) + 1, 1), buddy_index::no_order);
}

TEST(Buddy, SplitsTheSmallestBlockThatHolds) {
    buddy_allocator allocator(128);
    EXPECT_EQ(allocator.allocate(20), 0u);  // 128 -> 64 + 64 -> 32 + 32
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{32, 32}, {64, 64}}));
    EXPECT_EQ(allocator.used_memory(), 20u);
    EXPECT_EQ(allocator.reserved_memory(), 32u);
    EXPECT_EQ(allocator.free_memory(), 96u);
    EXPECT_DOUBLE_EQ(allocator.internal_fragmentation(), 12.0 / 32.0);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-31)] [Free(32-63)] [Free(64-127)]");
    EXPECT_EQ(allocator.allocate(30), 32u);
    EXPECT_EQ(allocator.allocate(8), 64u);
    allocator.validate();
}

TEST(Buddy, FreeMergesWithBuddiesUpward) {
    buddy_allocator allocator(128);
    const Offset a = allocator.allocate(16);
    const Offset b = allocator.allocate(16);
    const Offset c = allocator.allocate(32);
    allocator.free(b, 16);
    EXPECT_EQ(allocator.free_block_count(), 2u);  // b's buddy a is allocated
    allocator.free(a, 16);                        // a + b merge to 32, whose buddy c is allocated
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{0, 32}, {64, 64}}));
    allocator.free(c, 32);
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{0, 128}}));
    allocator.validate();
}

TEST(Buddy, BlocksAreAlignedToTheirSize) {
    buddy_allocator allocator(1024);
    allocator.allocate(1);
    EXPECT_EQ(allocator.allocate(3, 256), 256u);
    EXPECT_EQ(allocator.allocation_at(256)->size, 3u);
    EXPECT_EQ(allocator.reserved_memory(), 1u + 256u);
    allocator.validate();
}

TEST(Buddy, ExhaustionAndErrorsFollowTheFacade) {
    buddy_allocator allocator(100);
    EXPECT_EQ(allocator.try_allocate(65).error(), errc::out_of_memory);  // no block of 128
    EXPECT_EQ(allocator.allocate(64), 0u);
    EXPECT_EQ(allocator.try_free(0, 63), errc::invalid_free);
    EXPECT_EQ(allocator.try_free(100, 1), errc::invalid_address);
    EXPECT_EQ(allocator.try_allocate(0).error(), errc::invalid_size);
    allocator.free(0);
    allocator.validate();
}

TEST(Buddy, ReallocateShrinksByHalvesAndGrowsWithinItsBlock) {
    buddy_allocator allocator(128);
    allocator.allocate(100);                      // holds 128
    EXPECT_EQ(allocator.reallocate(0, 120), 0u);  // still within 128
    EXPECT_EQ(allocator.reallocate(0, 10), 0u);   // frees 64 and 32 and 16
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{16, 16}, {32, 32}, {64, 64}}));
    EXPECT_EQ(allocator.reserved_memory(), 16u);
    EXPECT_EQ(allocator.reallocate(0, 40), 64u);  // cannot grow in place: moves
    allocator.validate();
}

TEST(Buddy, SixtyFourBitCapacity) {
    constexpr Size max_units = std::numeric_limits<Size>::max();
    buddy_allocator allocator(max_units);
    EXPECT_EQ(allocator.free_block_count(), 64u);  // 2^63 + 2^62 + ... + 1
    EXPECT_EQ(allocator.allocate(Size{1} << 63), 0u);
    EXPECT_EQ(allocator.allocate(1), max_units - 1);
    allocator.free(0);
    allocator.validate();
}

TEST(Buddy, RandomRunKeepsEveryRule) {
    const std::uint64_t seed = test::test_seed("Buddy.RandomRunKeepsEveryRule");
    const std::size_t operations = test::test_operations(8000);
    for (const Size capacity : {Size{1000}, Size{1} << 20, std::numeric_limits<Size>::max()}) {
        SCOPED_TRACE("capacity " + std::to_string(capacity) + " (seed " + std::to_string(seed) + ")");
        buddy_allocator allocator(capacity);
        const test::own_choice_counts counts = test::random_own_choice_run(
            allocator, capacity, seed + capacity, operations,
            [](Size size, Size alignment, Offset address) {
                EXPECT_EQ(address % (Size{1} << buddy_index::order_for(size, alignment)), 0u)
                    << "a block starts at a multiple of its size";
            },
            [&](Size size, Size alignment) {
                const unsigned order = buddy_index::order_for(size, alignment);
                EXPECT_TRUE(order == buddy_index::no_order || allocator.largest_free_block() < (Size{1} << order))
                    << "out_of_memory with a free block of order " << order;
            });
        EXPECT_GT(counts.out_of_memory, 0u);
        for (const allocation& live : allocator.allocations()) allocator.free(live.address, live.size);
        EXPECT_EQ(allocator.free_memory(), capacity) << "everything merges back";
        EXPECT_EQ(allocator.largest_free_block(), Size{1} << (std::bit_width(capacity) - 1));
    }
}

// Every unit its own block, freed in random order: the free lists grow to hundreds of thousands of
// nodes before they merge back. (The bound on the time it takes is the benchmark's
// buddy_free_all; node storage reserved exactly what it needed once made this quadratic.)
TEST(Buddy, FreesAQuarterMillionBlocksInRandomOrder) {
    const std::uint64_t seed = test::test_seed("Buddy.FreesAQuarterMillionBlocksInRandomOrder");
    constexpr Size block_count = Size{1} << 18;
    buddy_allocator allocator(block_count);
    std::vector<Offset> addresses(block_count);
    for (Offset& address : addresses) address = allocator.allocate(1);
    EXPECT_EQ(allocator.free_memory(), 0u);
    std::shuffle(addresses.begin(), addresses.end(), std::mt19937_64(seed));
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        allocator.free(addresses[i], 1);
        if (i % (block_count / 8) == 0) allocator.validate();
    }
    allocator.validate();
    EXPECT_EQ(allocator.free_block_count(), 1u) << "everything merges back into one block";
    EXPECT_EQ(allocator.largest_free_block(), block_count);
}

}  // namespace
}  // namespace heapkit
