// SPDX-License-Identifier: MIT
// MemoryAllocator: the seed's worked example, its test-case and edge-case lists, the four merge
// cases, every error kind with the state checked unchanged, reallocate, owners, statistics and
// 64-bit units.
#include "heapkit/offset/memory_allocator.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <new>
#include <stdexcept>

#include "allocator_snapshot.hpp"
#include "heapkit/offset/memory_map.hpp"

namespace heapkit {
namespace {

using test::free_blocks_of;
using test::snapshot;
using blocks = std::vector<free_block>;

constexpr Size max_units = std::numeric_limits<Size>::max();

// Runs `call`, expects it to throw the exception of `kind`, and checks that nothing changed.
template <class Call>
void expect_failure_changes_nothing(MemoryAllocator& allocator, errc kind, Call call) {
    const auto before = snapshot(allocator);
    try {
        call();
        ADD_FAILURE() << "expected " << kind_name(kind);
    } catch (const heapkit::error& failure) {
        EXPECT_EQ(failure.kind(), kind) << failure.what();
    }
    EXPECT_EQ(snapshot(allocator), before);
    allocator.validate();
}

TEST(MemoryAllocator, SeedWorkedExample) {
    MemoryAllocator allocator(100);
    EXPECT_EQ(allocator.allocate(20), 0u);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-19)] [Free(20-99)]");
    EXPECT_EQ(allocator.allocate(30), 20u);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-19)] [Allocated(20-49)] [Free(50-99)]");
    EXPECT_EQ(allocator.allocate(40), 50u);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-19)] [Allocated(20-49)] [Allocated(50-89)] [Free(90-99)]");
    allocator.free(20, 30);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-19)] [Free(20-49)] [Allocated(50-89)] [Free(90-99)]");
    EXPECT_EQ(allocator.allocate(25), 20u);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-19)] [Allocated(20-44)] [Free(45-49)] [Allocated(50-89)] [Free(90-99)]");
    allocator.free(0, 20);
    EXPECT_EQ(memory_map(allocator), "[Free(0-19)] [Allocated(20-44)] [Free(45-49)] [Allocated(50-89)] [Free(90-99)]");
    allocator.free(20, 25);
    EXPECT_EQ(memory_map(allocator), "[Free(0-49)] [Allocated(50-89)] [Free(90-99)]");
    EXPECT_EQ(allocator.free_memory(), 60u);
    EXPECT_EQ(allocator.largest_free_block(), 50u);
    allocator.validate();
}

TEST(MemoryAllocator, ExactFitRemovesTheNode) {
    MemoryAllocator allocator(30);
    allocator.allocate(10);
    allocator.allocate(10);
    allocator.allocate(10);
    allocator.free(10, 10);
    EXPECT_EQ(allocator.free_block_count(), 1u);
    EXPECT_EQ(allocator.allocate(10), 10u);
    EXPECT_EQ(allocator.free_block_count(), 0u);
    EXPECT_EQ(free_blocks_of(allocator), blocks{});
    allocator.validate();
}

TEST(MemoryAllocator, MergeNone) {
    MemoryAllocator allocator(50);
    for (int i = 0; i < 5; ++i) allocator.allocate(10);
    allocator.free(20, 10);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{20, 10}}));
    allocator.validate();
}

TEST(MemoryAllocator, MergeWithPrevious) {
    MemoryAllocator allocator(50);
    for (int i = 0; i < 5; ++i) allocator.allocate(10);
    allocator.free(10, 10);
    allocator.free(20, 10);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{10, 20}}));
    allocator.validate();
}

TEST(MemoryAllocator, MergeWithNext) {
    MemoryAllocator allocator(50);
    for (int i = 0; i < 5; ++i) allocator.allocate(10);
    allocator.free(30, 10);
    allocator.free(20, 10);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{20, 20}}));
    allocator.validate();
}

TEST(MemoryAllocator, MergeWithBoth) {
    MemoryAllocator allocator(50);
    for (int i = 0; i < 5; ++i) allocator.allocate(10);
    allocator.free(10, 10);
    allocator.free(30, 10);
    allocator.free(20, 10);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{10, 30}}));
    EXPECT_EQ(allocator.free_block_count(), 1u);
    allocator.validate();
}

TEST(MemoryAllocator, MergeWithTheEndOfMemory) {
    MemoryAllocator allocator(30);
    allocator.allocate(10);
    allocator.allocate(20);
    allocator.free(10, 20);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{10, 20}}));
    allocator.free(0, 10);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{0, 30}}));
    allocator.validate();
}

TEST(MemoryAllocator, AllocationsAtBothBoundaries) {
    MemoryAllocator allocator(10);
    EXPECT_EQ(allocator.allocate(9), 0u);
    EXPECT_EQ(allocator.allocate(1), 9u);  // the very last unit
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-8)] [Allocated(9-9)]");
    allocator.free(9, 1);
    allocator.free(0, 9);
    EXPECT_EQ(allocator.allocate(10), 0u);  // the whole capacity
    allocator.validate();
}

TEST(MemoryAllocator, ExhaustionSaysExhausted) {
    MemoryAllocator allocator(100);
    allocator.allocate(70);
    try {
        allocator.allocate(40);
        FAIL();
    } catch (const out_of_memory& failure) {
        EXPECT_NE(std::string(failure.what()).find("exhausted"), std::string::npos) << failure.what();
        EXPECT_NE(std::string(failure.what()).find("30 units free"), std::string::npos) << failure.what();
    }
    expect_failure_changes_nothing(allocator, errc::out_of_memory, [&] { allocator.allocate(101); });
}

TEST(MemoryAllocator, SeedFragmentationExampleSaysFragmented) {
    MemoryAllocator allocator(100);
    for (Offset start = 0; start < 100; start += 18) {
        allocator.allocate(10);
        if (start + 10 < 100) allocator.allocate(8);
    }
    for (Offset start = 0; start < 100; start += 18) allocator.free(start, 10);
    EXPECT_EQ(allocator.free_memory(), 60u);
    EXPECT_EQ(allocator.free_block_count(), 6u);
    EXPECT_EQ(allocator.largest_free_block(), 10u);
    EXPECT_NEAR(allocator.external_fragmentation(), 1.0 - 10.0 / 60.0, 1e-12);
    try {
        allocator.allocate(50);
        FAIL();
    } catch (const out_of_memory& failure) {
        const std::string message = failure.what();
        EXPECT_NE(message.find("fragmented"), std::string::npos) << message;
        EXPECT_NE(message.find("60 units free"), std::string::npos) << message;
        EXPECT_NE(message.find("largest free block 10"), std::string::npos) << message;
    }
    expect_failure_changes_nothing(allocator, errc::out_of_memory, [&] { allocator.allocate(11); });
}

TEST(MemoryAllocator, ZeroSizeIsInvalidSize) {
    MemoryAllocator allocator(10);
    allocator.allocate(3);
    expect_failure_changes_nothing(allocator, errc::invalid_size, [&] { allocator.allocate(0); });
    expect_failure_changes_nothing(allocator, errc::invalid_size, [&] { allocator.free(0, 0); });
    expect_failure_changes_nothing(allocator, errc::invalid_size, [&] { allocator.reallocate(0, 0); });
}

TEST(MemoryAllocator, ZeroCapacityIsInvalidSize) { EXPECT_THROW(MemoryAllocator(0), invalid_size); }

TEST(MemoryAllocator, BadAlignmentIsInvalidAlignment) {
    MemoryAllocator allocator(64);
    for (Size alignment : {Size{0}, Size{3}, Size{6}, Size{12}, max_units}) {
        expect_failure_changes_nothing(allocator, errc::invalid_alignment, [&] { allocator.allocate(4, alignment); });
    }
}

TEST(MemoryAllocator, SizeIsCheckedBeforeAlignment) {
    MemoryAllocator allocator(64);
    expect_failure_changes_nothing(allocator, errc::invalid_size, [&] { allocator.allocate(0, 3); });
}

TEST(MemoryAllocator, FreeChecksRunInTheSeedsOrder) {
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    // address outside wins over a zero size; a zero size wins over a range past the end
    expect_failure_changes_nothing(allocator, errc::invalid_address, [&] { allocator.free(100, 0); });
    expect_failure_changes_nothing(allocator, errc::invalid_address, [&] { allocator.free(max_units, 1); });
    expect_failure_changes_nothing(allocator, errc::invalid_size, [&] { allocator.free(99, 0); });
    expect_failure_changes_nothing(allocator, errc::invalid_address, [&] { allocator.free(95, 10); });
    expect_failure_changes_nothing(allocator, errc::invalid_address, [&] { allocator.free(1, max_units); });
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(50, 10); });
}

TEST(MemoryAllocator, InvalidFrees) {
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    allocator.allocate(10);
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(0, 5); });    // wrong size
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(0, 20); });   // spans two
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(3, 7); });    // interior
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(50, 10); });  // never allocated
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(3); });
    allocator.free(0, 10);
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(0, 10); });  // double free
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.free(0); });
}

TEST(MemoryAllocator, InvalidFreeMessageNamesTheRecordedSize) {
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    try {
        allocator.free(0, 5);
        FAIL();
    } catch (const invalid_free& failure) {
        EXPECT_STREQ(failure.what(), "cannot free 5 units at 0: the allocation there has 10 units");
    }
}

TEST(MemoryAllocator, FullyFragmentedMemoryRejectsEveryLargerRequest) {
    MemoryAllocator allocator(20);
    for (int i = 0; i < 20; ++i) allocator.allocate(1);
    for (Offset address = 0; address < 20; address += 2) allocator.free(address, 1);
    EXPECT_EQ(allocator.free_block_count(), 10u);
    expect_failure_changes_nothing(allocator, errc::out_of_memory, [&] { allocator.allocate(2); });
    EXPECT_EQ(allocator.allocate(1), 0u);
}

TEST(MemoryAllocator, FreeWithoutSizeUsesTheLedger) {
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    allocator.allocate(25);
    allocator.free(10);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{10, 90}}));
    allocator.validate();
}

TEST(MemoryAllocator, TryFormsReturnTheKind) {
    MemoryAllocator allocator(10);
    EXPECT_EQ(*allocator.try_allocate(4), 0u);
    EXPECT_EQ(allocator.try_allocate(0).error(), errc::invalid_size);
    EXPECT_EQ(allocator.try_allocate(1, 5).error(), errc::invalid_alignment);
    EXPECT_EQ(allocator.try_allocate(7).error(), errc::out_of_memory);
    EXPECT_FALSE(allocator.try_allocate(7));
    EXPECT_THROW((void)allocator.try_allocate(7).value(), std::logic_error);
    EXPECT_EQ(allocator.try_free(10, 1), errc::invalid_address);
    EXPECT_EQ(allocator.try_free(0, 3), errc::invalid_free);
    EXPECT_EQ(allocator.try_free(0, 4), errc::ok);
    EXPECT_EQ(allocator.try_free(0), errc::invalid_free);
    EXPECT_EQ(allocator.try_reallocate(0, 2).error(), errc::invalid_free);
}

TEST(MemoryAllocator, ReallocateShrinksInPlace) {
    MemoryAllocator allocator(100);
    allocator.allocate(30);
    allocator.allocate(10);
    EXPECT_EQ(allocator.reallocate(0, 12), 0u);
    EXPECT_EQ(allocator.allocation_at(0)->size, 12u);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{12, 18}, {40, 60}}));
    EXPECT_EQ(allocator.used_memory(), 22u);
    allocator.validate();
}

TEST(MemoryAllocator, ReallocateGrowsInPlaceWhenTheNextBlockHasRoom) {
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    allocator.allocate(10);
    allocator.allocate(10);
    allocator.free(10, 10);
    EXPECT_EQ(allocator.reallocate(0, 15), 0u);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{15, 5}, {30, 70}}));
    EXPECT_EQ(allocator.reallocate(0, 20), 0u);  // takes the whole neighbour
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{30, 70}}));
    EXPECT_EQ(allocator.reallocate(20, 80), 20u);  // grows to the end of memory
    EXPECT_EQ(free_blocks_of(allocator), blocks{});
    allocator.validate();
}

TEST(MemoryAllocator, ReallocateMovesWhenItCannotGrow) {
    MemoryAllocator allocator(100);
    allocator.allocate_for(7, 10);
    allocator.allocate(10);
    const Offset moved = allocator.reallocate(0, 30);
    EXPECT_EQ(moved, 20u);  // first fit, with the old block still live
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{0, 10}, {50, 50}}));
    EXPECT_EQ(allocator.allocation_at(20)->owner, std::optional<Owner>(7));
    EXPECT_FALSE(allocator.allocation_at(0));
    allocator.validate();
}

TEST(MemoryAllocator, ReallocateMovesToHonourAlignment) {
    MemoryAllocator allocator(64);
    allocator.allocate(3);
    EXPECT_EQ(allocator.allocate(4), 3u);
    EXPECT_EQ(allocator.reallocate(3, 6, 8), 8u);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{3, 5}, {14, 50}}));
    allocator.validate();
}

TEST(MemoryAllocator, FailedReallocateChangesNothing) {
    MemoryAllocator allocator(30);
    allocator.allocate(10);
    allocator.allocate(10);
    expect_failure_changes_nothing(allocator, errc::out_of_memory, [&] { allocator.reallocate(0, 15); });
    expect_failure_changes_nothing(allocator, errc::invalid_address, [&] { allocator.reallocate(30, 15); });
    expect_failure_changes_nothing(allocator, errc::invalid_alignment, [&] { allocator.reallocate(0, 15, 3); });
    expect_failure_changes_nothing(allocator, errc::invalid_free, [&] { allocator.reallocate(5, 15); });
}

TEST(MemoryAllocator, FreeOwnerFreesEveryBlockOfThatOwner) {
    // LeetCode 2502: allocate(size, mID) then freeMemory(mID).
    MemoryAllocator allocator(10);
    EXPECT_EQ(allocator.allocate_for(1, 1), 0u);
    EXPECT_EQ(allocator.allocate_for(2, 1), 1u);
    EXPECT_EQ(allocator.allocate_for(3, 1), 2u);
    EXPECT_EQ(allocator.free_owner(2), 1u);
    EXPECT_EQ(allocator.allocate_for(4, 3), 3u);
    EXPECT_EQ(allocator.allocate_for(1, 1), 1u);
    EXPECT_EQ(allocator.allocate_for(1, 1), 6u);
    EXPECT_EQ(allocator.free_owner(1), 3u);
    EXPECT_FALSE(allocator.try_allocate_for(2, 10));
    EXPECT_EQ(allocator.free_owner(7), 0u);
    EXPECT_EQ(allocator.allocation_count(), 2u);
    allocator.validate();
}

TEST(MemoryAllocator, StatisticsAndIteration) {
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    allocator.allocate_for(9, 20);
    allocator.allocate(5);
    allocator.free(10, 20);
    EXPECT_EQ(allocator.capacity(), 100u);
    EXPECT_EQ(allocator.used_memory(), 15u);
    EXPECT_EQ(allocator.free_memory(), 85u);
    EXPECT_EQ(allocator.largest_free_block(), 65u);
    EXPECT_EQ(allocator.free_block_count(), 2u);
    EXPECT_EQ(allocator.allocation_count(), 2u);
    EXPECT_NEAR(allocator.external_fragmentation(), 1.0 - 65.0 / 85.0, 1e-12);
    EXPECT_EQ(allocator.allocations(), (std::vector<allocation>{{0, 10, std::nullopt}, {30, 5, std::nullopt}}));
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{10, 20}, {35, 65}}));
}

TEST(MemoryAllocator, FullMemoryHasNoFragmentation) {
    MemoryAllocator allocator(8);
    allocator.allocate(8);
    EXPECT_EQ(allocator.largest_free_block(), 0u);
    EXPECT_EQ(allocator.external_fragmentation(), 0.0);
    EXPECT_EQ(memory_map(allocator), "[Allocated(0-7)]");
}

TEST(MemoryAllocator, SixtyFourBitCapacityWithoutWrapAround) {
    MemoryAllocator allocator(max_units);
    EXPECT_EQ(allocator.allocate(max_units), 0u);
    EXPECT_EQ(allocator.free_memory(), 0u);
    EXPECT_THROW(allocator.free(max_units - 1, 2), invalid_address);
    allocator.free(0, max_units);
    EXPECT_EQ(allocator.largest_free_block(), max_units);
    EXPECT_EQ(allocator.allocate(1), 0u);
    EXPECT_EQ(allocator.allocate(1, Size{1} << 63), Size{1} << 63);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{1, (Size{1} << 63) - 1}, {(Size{1} << 63) + 1, (Size{1} << 63) - 2}}));
    EXPECT_THROW(allocator.allocate(max_units - 1), out_of_memory);
    EXPECT_THROW(allocator.allocate(Size{1} << 62, Size{1} << 63), out_of_memory);
    EXPECT_EQ(allocator.reallocate(0, (Size{1} << 63) - 1), 0u);
    EXPECT_EQ(memory_map(allocator),
              "[Allocated(0-9223372036854775806)] [Free(9223372036854775807-9223372036854775807)] "
              "[Allocated(9223372036854775808-9223372036854775808)] [Free(9223372036854775809-18446744073709551614)]");
    allocator.validate();
}

TEST(MemoryAllocator, NearMaximumRequestsFailCleanly) {
    MemoryAllocator allocator(max_units);
    allocator.allocate(5);
    EXPECT_EQ(allocator.try_allocate(max_units).error(), errc::out_of_memory);
    EXPECT_EQ(allocator.try_allocate(max_units - 5, 2).error(), errc::out_of_memory);  // aligned start 6 leaves too little
    EXPECT_EQ(*allocator.try_allocate(max_units - 5), 5u);
    allocator.validate();
}

}  // namespace
}  // namespace heapkit
