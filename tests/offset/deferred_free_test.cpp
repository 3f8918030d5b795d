// SPDX-License-Identifier: MIT
// The facade's constrained placement, allocate_at and deferred frees on every index where they
// apply: what a queued free keeps (its units) and loses (its address, handle and owner), failed
// calls that change nothing, and the messages that say why.
#include <gtest/gtest.h>

#include <string>

#include "allocator_snapshot.hpp"
#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/memory_map.hpp"

namespace heapkit {
namespace {

template <class Allocator>
class DeferredFree : public ::testing::Test {};
using every_index = ::testing::Types<MemoryAllocator, tree_allocator, tlsf_allocator, buddy_allocator>;
TYPED_TEST_SUITE(DeferredFree, every_index);

TYPED_TEST(DeferredFree, AQueuedFreeKeepsItsUnitsUntilItsEpoch) {
    TypeParam allocator(64);
    const handled_allocation first = allocator.allocate_handle(16);
    const Offset second = allocator.allocate_for(7, 16);
    allocator.free_after(first.address, 16, 3);
    allocator.free_after(second, 16, 1);
    allocator.validate();
    EXPECT_EQ(allocator.queued_memory(), 32u);
    EXPECT_EQ(allocator.queued_count(), 2u);
    EXPECT_EQ(allocator.free_memory(), 32u);
    EXPECT_EQ(allocator.allocation_count(), 0u);
    // Gone as allocations: by address, by handle, by owner.
    EXPECT_EQ(allocator.try_free(first.address, 16), errc::invalid_free);
    EXPECT_EQ(allocator.try_free(first.handle), errc::invalid_free);
    EXPECT_EQ(allocator.free_owner(7), 0u);
    EXPECT_EQ(allocator.try_reallocate(second, 8).error(), errc::invalid_free);
    EXPECT_EQ(allocator.try_free_after(second, 16, 9), errc::invalid_free);
    // Still taken: nothing else goes there.
    EXPECT_FALSE(allocator.try_allocate(48));
    EXPECT_EQ(allocator.complete(0), 0u);
    EXPECT_EQ(allocator.complete(2), 16u);
    EXPECT_EQ(allocator.queued_memory(), 16u);
    allocator.validate();
    EXPECT_EQ(allocator.complete(3), 16u);
    EXPECT_EQ(allocator.queued_memory(), 0u);
    EXPECT_EQ(allocator.free_memory(), 64u);
    EXPECT_EQ(test::free_blocks_of(allocator), (std::vector<free_block>{{0, 64}}));
    allocator.validate();
}

TYPED_TEST(DeferredFree, AFailedFreeAfterChangesNothing) {
    TypeParam allocator(64);
    allocator.allocate(16);
    const test::allocator_snapshot before = test::snapshot(allocator);
    EXPECT_EQ(allocator.try_free_after(64, 1, 0), errc::invalid_address);
    EXPECT_EQ(allocator.try_free_after(0, 0, 0), errc::invalid_size);
    EXPECT_EQ(allocator.try_free_after(0, 65, 0), errc::invalid_address);
    EXPECT_EQ(allocator.try_free_after(0, 15, 0), errc::invalid_free);
    EXPECT_THROW(allocator.free_after(8, 8, 0), invalid_free);
    EXPECT_EQ(test::snapshot(allocator), before);
    EXPECT_EQ(allocator.queued_memory(), 0u);
}

TEST(DeferredFreeMap, QueuedUnitsAreDrawnAsAllocated) {
    MemoryAllocator allocator(30);
    allocator.allocate(10);
    allocator.allocate(10);
    allocator.free_after(0, 10, 1);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-9)] [Allocated(10-19)] [Free(20-29)]");
    EXPECT_EQ(allocator.allocations(), (std::vector<allocation>{{10, 10, std::nullopt, 1}}));
    try {
        allocator.free(0, 10);
        ADD_FAILURE() << "a second free was taken";
    } catch (const invalid_free& failure) {
        EXPECT_STREQ(failure.what(), "cannot free address 0: it was freed already, after epoch 1 (free_after)");
    }
}

template <class Allocator>
class ConstrainedPlacement : public ::testing::Test {};
using indexes_that_name_blocks = ::testing::Types<MemoryAllocator, tree_allocator>;
TYPED_TEST_SUITE(ConstrainedPlacement, indexes_that_name_blocks);

TYPED_TEST(ConstrainedPlacement, FailuresChangeNothingAndSayWhy) {
    TypeParam allocator(100);
    allocator.allocate(50);
    const test::allocator_snapshot before = test::snapshot(allocator);
    EXPECT_EQ(allocator.try_allocate(4, constraints{.alignment = 8, .phase = 8}).error(), errc::invalid_constraint);
    EXPECT_EQ(allocator.try_allocate(40, constraints{.min_address = 70}).error(), errc::out_of_memory);
    EXPECT_EQ(allocator.try_allocate_at(40, 20).error(), errc::out_of_memory);
    try {
        allocator.allocate(10, constraints{.nocross = 16, .min_address = 94});
        ADD_FAILURE() << "allocate did not throw";
    } catch (const out_of_memory& failure) {
        EXPECT_STREQ(failure.what(),
                     "cannot allocate 10 units, not crossing a multiple of 16, at or above 94: no free block has a place that "
                     "meets the constraints (50 units free, largest free block 50 units); 1 free block is large enough but "
                     "refused: 1 outside the window");
    }
    try {
        allocator.allocate_at(45, 10);
        ADD_FAILURE() << "allocate_at did not throw";
    } catch (const out_of_memory& failure) {
        EXPECT_STREQ(failure.what(), "cannot allocate [45, +10): the allocation [0, +50) is in the way");
    }
    const explanation told = allocator.explain(10, {.alignment = 16, .phase = 1});
    EXPECT_EQ(told.kind, errc::ok);
    EXPECT_EQ(told.address, 65u);
    EXPECT_EQ(test::snapshot(allocator), before);
    allocator.validate();
}

TYPED_TEST(ConstrainedPlacement, ThePhaseIsKeptAsTheAlignmentItImplies) {
    TypeParam allocator(100);
    const Offset placed = allocator.allocate(10, constraints{.alignment = 16, .phase = 4});
    EXPECT_EQ(placed, 4u);
    EXPECT_EQ(allocator.allocation_at(placed)->alignment, 4u);  // what compaction keeps
    EXPECT_EQ(allocator.allocate_at(20, 5), 20u);
    EXPECT_EQ(allocator.allocation_at(20)->alignment, 1u);
    allocator.validate();
}

TYPED_TEST(ConstrainedPlacement, TheWholeSixtyFourBitRange) {
    constexpr Size top = ~Size{0};
    TypeParam allocator(top);
    EXPECT_EQ(allocator.allocate(8, constraints{.alignment = 16, .phase = 3, .min_address = top - 40}), top - 28);
    EXPECT_EQ(allocator.allocate_at(top - 4, 4), top - 4);
    EXPECT_EQ(allocator.try_allocate_at(top - 4, 5).error(), errc::invalid_address);
    EXPECT_EQ(allocator.try_allocate(4, constraints{.alignment = 8, .phase = 4, .min_address = top - 8}).error(),
              errc::out_of_memory);
    allocator.validate();
}

}  // namespace
}  // namespace heapkit
