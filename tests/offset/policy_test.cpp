// SPDX-License-Identifier: MIT
// The placement policies of docs/PROTOCOL.md: each rule, its ties, next fit's wrap-around, and
// alignment gaps that stay free.
#include <gtest/gtest.h>

#include "allocator_snapshot.hpp"
#include "heapkit/offset/memory_allocator.hpp"

namespace heapkit {
namespace {

using test::free_blocks_of;
using blocks = std::vector<free_block>;

// Free blocks at 0:10, 20:30, 60:10 and 80:20 (holes of 10, 30, 10, 20 units).
MemoryAllocator with_holes(Fit fit) {
    MemoryAllocator allocator(100, fit);
    for (Size size : {10u, 10u, 30u, 10u, 10u, 10u, 20u}) allocator.allocate(size);
    for (Offset address : {0u, 20u, 60u}) allocator.free(address);
    allocator.free(80, 20);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{0, 10}, {20, 30}, {60, 10}, {80, 20}}));
    return allocator;
}

TEST(Policy, FirstFitTakesTheLowestBlockThatFits) {
    MemoryAllocator allocator = with_holes(Fit::first);
    EXPECT_EQ(allocator.allocate(15), 20u);
    EXPECT_EQ(allocator.allocate(5), 0u);
    allocator.validate();
}

TEST(Policy, BestFitTakesTheSmallestBlockThatFits) {
    MemoryAllocator allocator = with_holes(Fit::best);
    EXPECT_EQ(allocator.allocate(15), 80u);  // 20 is the smallest hole of at least 15
    allocator.validate();
}

TEST(Policy, BestFitPrefersLowestAddressOnTies) {
    MemoryAllocator allocator = with_holes(Fit::best);
    EXPECT_EQ(allocator.allocate(8), 0u);  // 0:10 and 60:10 tie
    EXPECT_EQ(allocator.allocate(2), 8u);  // 8:2 is now the smallest
    EXPECT_EQ(allocator.allocate(10), 60u);
    allocator.validate();
}

TEST(Policy, WorstFitTakesTheLargestBlock) {
    MemoryAllocator allocator = with_holes(Fit::worst);
    EXPECT_EQ(allocator.allocate(5), 20u);
    EXPECT_EQ(allocator.allocate(5), 25u);  // 25:25 is still the largest
    allocator.validate();
}

TEST(Policy, WorstFitPrefersLowestAddressOnTies) {
    MemoryAllocator allocator = with_holes(Fit::worst);
    EXPECT_EQ(allocator.allocate(10), 20u);  // 30:20 now ties with 80:20
    EXPECT_EQ(allocator.allocate(1), 30u);
    EXPECT_EQ(allocator.allocate(1), 80u);  // 31:19 < 80:20
    allocator.validate();
}

TEST(Policy, WorstFitSkipsALargestBlockThatCannotHoldTheAlignedRequest) {
    MemoryAllocator allocator(100, Fit::worst);
    for (Size size : {1u, 30u, 33u, 16u, 20u}) allocator.allocate(size);
    allocator.free(1, 30);   // 1:30 is the largest, but 16 aligned to 16 would end at 32 > 31
    allocator.free(64, 16);  // 64:16 holds it
    EXPECT_EQ(allocator.allocate(16, 16), 64u);
    allocator.validate();
}

TEST(Policy, NextFitContinuesFromTheRover) {
    MemoryAllocator allocator = with_holes(Fit::next);  // the rover is at 100, the end of the last allocation
    EXPECT_EQ(allocator.allocate(5), 0u);               // nothing at or after 100: wrap to the first fit from 0
    EXPECT_EQ(allocator.allocate(5), 5u);               // 5:5 starts at the rover
    EXPECT_EQ(allocator.allocate(5), 20u);              // the next block at or after 10
    EXPECT_EQ(allocator.allocate(15), 25u);
    EXPECT_EQ(allocator.allocate(15), 80u);  // 40:10 after the rover is too small
    EXPECT_EQ(allocator.allocate(10), 40u);  // wrap: 95:5 cannot hold it, 40:10 can
    allocator.validate();
}

TEST(Policy, NextFitIgnoresABlockThatStraddlesTheRover) {
    MemoryAllocator allocator(100, Fit::next);
    allocator.allocate(10);
    allocator.allocate(40);
    allocator.allocate(10);
    allocator.free(10, 40);                  // 10:40 free, the rover at 60
    allocator.free(0, 10);                   // 0:50 free
    EXPECT_EQ(allocator.allocate(10), 60u);  // 60:40 starts at the rover
    allocator.free(60, 10);
    // The rover is at 70, inside 60:40 which starts before it: the wrapped search finds 0:50 first.
    EXPECT_EQ(allocator.allocate(10), 0u);
    allocator.validate();
}

TEST(Policy, AlignmentLeavesTheGapFree) {
    for (Fit fit : all_fits) {
        MemoryAllocator allocator(64, fit);
        EXPECT_EQ(allocator.allocate(3), 0u);
        EXPECT_EQ(allocator.allocate(8, 16), 16u) << fit_name(fit);
        EXPECT_EQ(free_blocks_of(allocator), (blocks{{3, 13}, {24, 40}})) << fit_name(fit);
        if (fit == Fit::first || fit == Fit::best) {
            EXPECT_EQ(allocator.allocate(13), 3u);  // the gap is usable
        }
        allocator.validate();
    }
}

TEST(Policy, AlignedRequestThatFillsTheBlockEnd) {
    MemoryAllocator allocator(32);
    allocator.allocate(1);
    EXPECT_EQ(allocator.allocate(16, 16), 16u);  // gap 1:15, nothing after
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{1, 15}}));
    allocator.validate();
}

TEST(Policy, AlignmentCanMakeARequestFailDespiteEnoughFreeUnits) {
    MemoryAllocator allocator(32);
    allocator.allocate(1);
    allocator.allocate(16, 16);                                             // 1:15 stays free
    EXPECT_EQ(allocator.try_allocate(8, 16).error(), errc::out_of_memory);  // would start at 16
    EXPECT_EQ(*allocator.try_allocate(8, 8), 8u);                           // 8..15 fits
    allocator.validate();
}

TEST(Policy, EveryPolicyFillsAnEmptyAllocatorFromZero) {
    for (Fit fit : all_fits) {
        MemoryAllocator allocator(30, fit);
        EXPECT_EQ(allocator.allocate(10), 0u);
        EXPECT_EQ(allocator.allocate(10), 10u);
        EXPECT_EQ(allocator.allocate(10), 20u);
    }
}

}  // namespace
}  // namespace heapkit
