// SPDX-License-Identifier: MIT
// pool_allocator: last-in first-out reuse, exhaustion, the facade's error order, no external
// fragmentation, and a random run against a model of which blocks are free.
#include "heapkit/offset/pool_allocator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "../test_seed.hpp"
#include "heapkit/offset/memory_map.hpp"

namespace heapkit {
namespace {

TEST(Pool, HandsOutBlocksInOrderThenReusesTheLastFreed) {
    pool_allocator pool(64, 16);
    EXPECT_EQ(pool.allocate(), 0u);
    EXPECT_EQ(pool.allocate(10), 16u);
    EXPECT_EQ(pool.allocate(16), 32u);
    pool.free(0);
    pool.free(32, 16);
    EXPECT_EQ(pool.allocate(), 32u);  // the last freed comes back first
    EXPECT_EQ(pool.allocate(), 0u);
    EXPECT_EQ(pool.allocate(), 48u);
    EXPECT_EQ(memory_map(pool), "[Allocated(0-15)] [Allocated(16-31)] [Allocated(32-47)] [Allocated(48-63)]");
    pool.validate();
}

TEST(Pool, ExhaustionAndTooLargeRequestsAreOutOfMemory) {
    pool_allocator pool(32, 16);
    EXPECT_EQ(pool.try_allocate(17).error(), errc::out_of_memory);
    EXPECT_EQ(pool.try_allocate(4, 32).error(), errc::out_of_memory);  // block 16 is not aligned to 32
    EXPECT_EQ(*pool.try_allocate(4, 16), 0u);
    pool.allocate();
    EXPECT_EQ(pool.free_block_count(), 0u);
    EXPECT_EQ(pool.largest_free_block(), 0u);
    try {
        pool.allocate();
        FAIL();
    } catch (const out_of_memory& failure) {
        EXPECT_STREQ(failure.what(), "cannot allocate 16 units from a pool of blocks of 16 units: all 2 blocks are in use");
    }
    pool.validate();
}

TEST(Pool, ErrorsFollowTheSeedsOrder) {
    pool_allocator pool(64, 16);
    pool.allocate(5);
    EXPECT_EQ(pool.try_allocate(0).error(), errc::invalid_size);
    EXPECT_EQ(pool.try_allocate(1, 3).error(), errc::invalid_alignment);
    EXPECT_EQ(pool.try_free(64, 0), errc::invalid_address);
    EXPECT_EQ(pool.try_free(0, 0), errc::invalid_size);
    EXPECT_EQ(pool.try_free(60, 5), errc::invalid_address);
    EXPECT_EQ(pool.try_free(0, 16), errc::invalid_free);  // allocated with 5
    EXPECT_EQ(pool.try_free(16), errc::invalid_free);     // never allocated
    EXPECT_EQ(pool.try_free(2), errc::invalid_free);      // interior
    EXPECT_THROW(pool.free(0, 6), invalid_free);
    pool.free(0, 5);
    EXPECT_EQ(pool.try_free(0, 5), errc::invalid_free);  // double free
    EXPECT_THROW(pool_allocator(100, 16), invalid_size);
    EXPECT_THROW(pool_allocator(64, 0), invalid_size);
    pool.validate();
}

TEST(Pool, StatisticsAndNoExternalFragmentation) {
    pool_allocator pool(160, 16);
    for (int i = 0; i < 10; ++i) pool.allocate(8);
    for (Offset address = 0; address < 160; address += 32) pool.free(address, 8);  // every other block
    EXPECT_EQ(pool.free_block_count(), 5u);
    EXPECT_EQ(pool.free_memory(), 80u);
    EXPECT_EQ(pool.used_memory(), 40u);
    EXPECT_EQ(pool.reserved_memory(), 80u);
    EXPECT_DOUBLE_EQ(pool.internal_fragmentation(), 0.5);
    EXPECT_EQ(pool.external_fragmentation(), 0.0);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(pool.try_allocate(16));  // every free block serves
    EXPECT_EQ(pool.free_block_count(), 0u);
    pool.validate();
}

TEST(Pool, SensorCyclesNeverGrowTheMetadata) {
    pool_allocator pool(Size{1} << 20, 64);
    for (int cycle = 0; cycle < 100000; ++cycle) {  // wake, take a buffer, transmit, free it
        const Offset buffer = pool.allocate(48);
        ASSERT_EQ(buffer, 0u);
        pool.free(buffer, 48);
    }
    EXPECT_EQ(pool.free_blocks(), (std::vector<free_block>{{0, 64}, {64, (Size{1} << 20) - 64}}));
    pool.validate();
}

TEST(Pool, RandomRunMatchesAModel) {
    const std::uint64_t seed = test::test_seed("Pool.RandomRunMatchesAModel");
    std::mt19937_64 random(seed);
    const Size block = 1 + random() % 64;
    const Size blocks = 1 + random() % 200;
    pool_allocator pool(block * blocks, block);
    std::vector<Offset> stack;  // model: freed blocks, last on top
    Offset watermark = 0;
    std::map<Offset, Size> live;
    for (int step = 0; step < 20000; ++step) {
        if (random() % 2 == 0) {
            const Size size = 1 + random() % (block + 1);
            const result<Offset> got = pool.try_allocate(size);
            if (size > block || (stack.empty() && watermark == block * blocks)) {
                ASSERT_EQ(got.error(), errc::out_of_memory) << "step " << step;
                continue;
            }
            Offset expected = watermark;
            if (stack.empty()) {
                watermark += block;
            } else {
                expected = stack.back();
                stack.pop_back();
            }
            ASSERT_EQ(*got, expected) << "step " << step;
            live[expected] = size;
        } else if (!live.empty()) {
            auto victim = live.lower_bound(random() % (block * blocks));
            if (victim == live.end()) victim = live.begin();
            ASSERT_EQ(pool.try_free(victim->first, victim->second), errc::ok);
            stack.push_back(victim->first);
            live.erase(victim);
        }
        ASSERT_NO_THROW(pool.validate()) << "step " << step;
        ASSERT_EQ(pool.allocation_count(), live.size());
    }
}

}  // namespace
}  // namespace heapkit
