// SPDX-License-Identifier: MIT
// Generation-checked handles on every index's facade: allocate_handle and free(handle) beside the
// address API; stale, double, forged and other allocators' handles refused with the state
// unchanged; the handle follows an allocation that reallocate or relocate moves.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "../test_seed.hpp"
#include "allocator_snapshot.hpp"
#include "heapkit/offset/allocators.hpp"

namespace heapkit {
namespace {

template <class Allocator>
class Handles : public ::testing::Test {};

using every_allocator = ::testing::Types<list_allocator, tree_allocator, tlsf_allocator, buddy_allocator>;
TYPED_TEST_SUITE(Handles, every_allocator);

TYPED_TEST(Handles, FreeOnceThenRefused) {
    TypeParam allocator(1024);
    const handled_allocation placed = allocator.allocate_handle(100, 8);
    EXPECT_EQ(placed.address % 8, 0u);
    EXPECT_EQ(allocator.allocation_of(placed.handle), (allocation{placed.address, 100, std::nullopt, 8}));
    allocator.free(placed.handle);
    allocator.validate();
    EXPECT_EQ(allocator.free_memory(), 1024u);
    EXPECT_EQ(allocator.allocation_of(placed.handle), std::nullopt);
    const auto before = test::snapshot(allocator);
    EXPECT_THROW(allocator.free(placed.handle), invalid_free);  // a double free
    EXPECT_EQ(allocator.try_free(placed.handle), errc::invalid_free);
    EXPECT_EQ(test::snapshot(allocator), before);
}

TYPED_TEST(Handles, StaleForgedAndForeignHandlesChangeNothing) {
    TypeParam allocator(1024);
    TypeParam other(1024);
    const allocation_handle stale = allocator.allocate_handle(10).handle;
    allocator.free(stale);
    const handled_allocation live = allocator.allocate_handle(10);  // reuses the slot, new generation
    EXPECT_NE(live.handle, stale);
    const allocation_handle foreign = other.allocate_handle(10).handle;
    allocator.allocate(30);
    const auto before = test::snapshot(allocator);
    for (const std::uint64_t bits : {stale.bits, foreign.bits, live.handle.bits + 1, live.handle.bits ^ (std::uint64_t{1} << 33),
                                     live.handle.bits + (std::uint64_t{2} << 32), std::uint64_t{0}, ~std::uint64_t{0}}) {
        EXPECT_EQ(allocator.try_free(allocation_handle{bits}), errc::invalid_free) << bits;
        EXPECT_EQ(test::snapshot(allocator), before) << bits;
    }
    allocator.free(live.handle);
    allocator.validate();
}

TYPED_TEST(Handles, FreeingByAddressMakesTheHandleStale) {
    TypeParam allocator(256);
    const handled_allocation placed = allocator.allocate_handle(16);
    allocator.free(placed.address, 16);
    EXPECT_EQ(allocator.try_free(placed.handle), errc::invalid_free);
    const handled_allocation again = allocator.allocate_handle(16);
    EXPECT_EQ(again.address, placed.address);
    allocator.free(again.address);
    EXPECT_EQ(allocator.try_free(again.handle), errc::invalid_free);
    allocator.validate();
}

TYPED_TEST(Handles, TheHandleFollowsAMove) {
    TypeParam allocator(1024);
    const handled_allocation placed = allocator.allocate_handle(16);
    const Offset blocker = allocator.allocate(16);
    const Offset moved = allocator.reallocate(placed.address, 200);  // no room after it: it moves
    EXPECT_NE(moved, placed.address);
    EXPECT_EQ(allocator.allocation_of(placed.handle)->address, moved);
    EXPECT_EQ(allocator.allocation_of(placed.handle)->size, 200u);
    allocator.free(placed.handle);
    allocator.validate();
    EXPECT_EQ(allocator.allocations(), (std::vector<allocation>{{blocker, 16, std::nullopt, 1}}));
}

// Facades over different indexes have different ledger types; their handles still differ.
TEST(HandlesOfListAndTree, AreNotEachOthers) {
    list_allocator list(100);
    tree_allocator tree(100);
    tlsf_allocator tlsf(100);
    const allocation_handle from_list = list.allocate_handle(10).handle;
    const allocation_handle from_tree = tree.allocate_handle(10).handle;
    tlsf.allocate_handle(10);
    EXPECT_EQ(tree.try_free(from_list), errc::invalid_free);
    EXPECT_EQ(tlsf.try_free(from_list), errc::invalid_free);
    EXPECT_EQ(list.try_free(from_tree), errc::invalid_free);
    EXPECT_EQ(tree.allocation_count() + list.allocation_count() + tlsf.allocation_count(), 3u);
}

TEST(HandlesOfListAndTree, FollowRelocate) {
    tree_allocator allocator(100);
    allocator.allocate(10);
    const handled_allocation placed = allocator.allocate_handle(10);
    allocator.free(0, 10);
    EXPECT_EQ(allocator.relocate(placed.address, 0), 0u);
    EXPECT_EQ(allocator.allocation_of(placed.handle)->address, 0u);
    EXPECT_THROW(allocator.relocate(0, 95), invalid_address);  // past the end: nothing changes
    EXPECT_EQ(allocator.allocation_of(placed.handle)->address, 0u);
    allocator.free(placed.handle);
    EXPECT_EQ(allocator.free_memory(), 100u);
    allocator.validate();
}

// Random allocations by address and by handle, freed either way: the handle of each live
// allocation frees it, every handle of a freed one is refused, validate() after each step.
TYPED_TEST(Handles, MixedWithAddressesAtRandom) {
    const std::uint64_t seed = test::test_seed("Handles.MixedWithAddressesAtRandom");
    std::mt19937_64 random(seed);
    TypeParam allocator(1 << 16);
    struct block {
        Offset address;
        Size size;
        allocation_handle handle;
    };
    std::vector<block> live;
    std::vector<allocation_handle> dead;
    const std::size_t operations = test::test_operations(20000);
    for (std::size_t step = 0; step < operations; ++step) {
        const Size size = 1 + random() % 300;
        if (live.empty() || random() % 2 == 0) {
            const result<handled_allocation> placed = allocator.try_allocate_handle(size);
            if (placed) live.push_back({(*placed).address, size, (*placed).handle});
        } else {
            const std::size_t pick = random() % live.size();
            const block gone = live[pick];
            live[pick] = live.back();
            live.pop_back();
            ASSERT_EQ(random() % 2 == 0 ? allocator.try_free(gone.handle) : allocator.try_free(gone.address, gone.size), errc::ok)
                << "step " << step;
            dead.push_back(gone.handle);
        }
        if (!dead.empty()) {
            ASSERT_EQ(allocator.try_free(dead[random() % dead.size()]), errc::invalid_free) << "step " << step;
        }
        if (step % 16 == 0) {
            ASSERT_NO_THROW(allocator.validate()) << "step " << step;
            ASSERT_EQ(allocator.allocation_count(), live.size());
        }
    }
    for (const block& known : live) ASSERT_EQ(allocator.allocation_of(known.handle)->address, known.address);
}

}  // namespace
}  // namespace heapkit
