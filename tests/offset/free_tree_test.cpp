// SPDX-License-Identifier: MIT
// free_tree: the policies' rules through the facade, and the differential test against the
// list: every policy, random alignments, identical addresses, errors and free blocks.
#include "heapkit/offset/free_tree.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "../test_seed.hpp"
#include "allocator_snapshot.hpp"
#include "heapkit/offset/allocators.hpp"
#include "lockstep.hpp"

namespace heapkit {
namespace {

using blocks = std::vector<free_block>;

// Free blocks at 0:10, 20:30, 60:10 and 80:20.
tree_allocator with_holes(Fit fit) {
    tree_allocator allocator(100, fit);
    for (Size size : {10u, 10u, 30u, 10u, 10u, 10u, 20u}) allocator.allocate(size);
    for (Offset address : {0u, 20u, 60u, 80u}) allocator.free(address);
    return allocator;
}

TEST(FreeTree, EachPolicyPicksLikeTheList) {
    EXPECT_EQ(with_holes(Fit::first).allocate(15), 20u);
    EXPECT_EQ(with_holes(Fit::best).allocate(15), 80u);
    EXPECT_EQ(with_holes(Fit::best).allocate(8), 0u);  // ties: lowest address
    EXPECT_EQ(with_holes(Fit::worst).allocate(5), 20u);
    tree_allocator next = with_holes(Fit::next);  // the rover is at 100
    EXPECT_EQ(next.allocate(5), 0u);
    EXPECT_EQ(next.allocate(5), 5u);
    EXPECT_EQ(next.allocate(5), 20u);
    next.validate();
}

TEST(FreeTree, LargestFreeBlockIsKeptAtTheRoot) {
    tree_allocator allocator = with_holes(Fit::first);
    EXPECT_EQ(allocator.largest_free_block(), 30u);
    allocator.allocate(30);
    EXPECT_EQ(allocator.largest_free_block(), 20u);
    EXPECT_EQ(allocator.try_allocate(21).error(), errc::out_of_memory);
    allocator.validate();
}

TEST(FreeTree, WorstFitWithAnAlignmentNearMiss) {
    tree_allocator allocator(100, Fit::worst);
    for (Size size : {1u, 30u, 33u, 16u, 20u}) allocator.allocate(size);
    allocator.free(1, 30);  // largest, but 16 aligned to 16 would end at 32 > 31
    allocator.free(64, 16);
    EXPECT_EQ(allocator.allocate(16, 16), 64u);
    allocator.validate();
}

TEST(FreeTree, BestFitSkipsBlocksTheAlignmentMakesTooSmall) {
    tree_allocator allocator(128, Fit::best);
    for (Size size : {1u, 12u, 3u, 20u, 92u}) allocator.allocate(size);
    allocator.free(1, 12);   // 1:12 cannot hold 8 aligned to 8 (8..16 > 13)
    allocator.free(16, 20);  // 16:20 can
    EXPECT_EQ(allocator.allocate(8, 8), 16u);
    allocator.validate();
}

TEST(FreeTree, SixtyFourBitCapacity) {
    constexpr Size max_units = std::numeric_limits<Size>::max();
    tree_allocator allocator(max_units, Fit::best);
    EXPECT_EQ(allocator.allocate(max_units), 0u);
    allocator.free(0);
    EXPECT_EQ(allocator.allocate(1), 0u);
    EXPECT_EQ(allocator.allocate(1, Size{1} << 63), Size{1} << 63);
    EXPECT_EQ(allocator.largest_free_block(), (Size{1} << 63) - 1);
    allocator.validate();
}

class TreeAgainstList : public ::testing::TestWithParam<Fit> {};

TEST_P(TreeAgainstList, IdenticalChoices) {
    const Fit fit = GetParam();
    const std::uint64_t seed = test::test_seed("TreeAgainstList/" + std::string(fit_name(fit)));
    const std::size_t operations = test::test_operations(15000);
    for (const Size capacity : {Size{1} << 12, Size{1} << 20, std::numeric_limits<Size>::max()}) {
        SCOPED_TRACE("capacity " + std::to_string(capacity) + " (seed " + std::to_string(seed) + ")");
        MemoryAllocator list(capacity, fit);
        tree_allocator tree(capacity, fit);
        const test::lockstep_counts counts = test::lockstep(list, tree, capacity, seed + capacity, operations);
        if (HasFailure()) return;
        EXPECT_GT(counts.placed, operations / 10);
        EXPECT_GT(counts.freed, operations / 20);
        EXPECT_GT(counts.most_live, 20u);
        EXPECT_GT(counts.spans_changed, operations / 100);
    }
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, TreeAgainstList, ::testing::ValuesIn(all_fits),
                         [](const ::testing::TestParamInfo<Fit>& param) { return std::string(fit_name(param.param)); });

}  // namespace
}  // namespace heapkit
