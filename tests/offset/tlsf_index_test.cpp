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
#include "heapkit/offset/tlsf_classes.hpp"
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

// The smallest size that does not start a class: a block of it shares its class with smaller
// blocks, so the rounded-up search starts one class higher. With 5 second-level bits every size
// below 64 has an exact class; the first shared one is 65 (class [64, 66)).
constexpr Size first_inexact_size() {
    Size size = 1;
    while (class_guaranteeing(size) == class_holding(size)) ++size;
    return size;
}

// Whether only the fallback search can find a free block of `block_size` for a request that needs
// `needed` units from the rounded search (size + alignment - 1): the block's class lies below the
// class that search starts from.
constexpr bool only_the_fallback_finds(Size block_size, Size needed) {
    return class_holding(block_size).flat() < class_guaranteeing(needed)->flat();
}

TEST(Tlsf, FindsAnExactBlockTheRoundedSearchWouldSkip) {
    constexpr Size size = first_inexact_size();
    static_assert(only_the_fallback_finds(size, size), "the block's own class is below the promised one");
    tlsf_allocator allocator(1000);
    allocator.allocate(100);
    allocator.allocate(size);
    allocator.allocate(1000 - 100 - size);
    allocator.free(100, size);
    ASSERT_EQ(test::free_blocks_of(allocator), (blocks{{100, size}}))
        << "the one free block, in a class the rounded search skips";
    EXPECT_EQ(allocator.allocate(size), 100u) << "found by the fallback";
    allocator.free(100, size);
    constexpr Size floor = class_floor(class_holding(size));  // the class's exact size, which the rounded search finds
    static_assert(!only_the_fallback_finds(size, floor));
    EXPECT_EQ(allocator.allocate(floor), 100u);
    allocator.validate();
}

TEST(Tlsf, AlignedRequestUsesTheFallbackWhenNeeded) {
    // A request of `size` aligned to `alignment` needs size + alignment - 1 units from the rounded
    // search; a block one unit below the floor of that class holds it anyway when it ends just
    // where an aligned placement does.
    constexpr Size size = 32;
    constexpr Size alignment = 32;
    constexpr Size block_size = class_floor(*class_guaranteeing(size + alignment - 1)) - 1;
    static_assert(only_the_fallback_finds(block_size, size + alignment - 1));
    constexpr Offset block_start = alignment + size - block_size;  // so that [alignment, +size) ends the block
    static_assert(block_start > 0 && block_start < alignment);
    tlsf_allocator allocator(4 * alignment);
    allocator.allocate(block_start);
    allocator.allocate(block_size);
    allocator.allocate(4 * alignment - block_start - block_size);
    allocator.free(block_start, block_size);
    ASSERT_EQ(test::free_blocks_of(allocator), (blocks{{block_start, block_size}}));
    EXPECT_EQ(allocator.allocate(size, alignment), alignment) << "found by the fallback";
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{block_start, alignment - block_start}}));
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
    EXPECT_EQ(allocator.reallocate(0, 40), 0u);  // shrinks, a new free block above
    EXPECT_EQ(test::free_blocks_of(allocator), (blocks{{40, 60}}));
    EXPECT_EQ(allocator.reallocate(0, 30), 0u);  // shrinks into the free block above
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
