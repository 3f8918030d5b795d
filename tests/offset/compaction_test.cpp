// SPDX-License-Identifier: MIT
// Compaction: relocate's rules, full compaction and make-room plans on hand-made layouts, and a
// seeded property test applying every plan to a copy of the units (memmove semantics checked
// unit by unit): no live data overwritten, final layout valid, units moved as claimed, the
// request then fits, and the targeted plan never moves more than the full compaction.
#include "heapkit/offset/compaction.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "../test_seed.hpp"
#include "allocator_snapshot.hpp"
#include "heapkit/offset/allocators.hpp"
#include "unit_model.hpp"

namespace heapkit {
namespace {

using test::free_blocks_of;
using blocks = std::vector<free_block>;

// Free blocks at 0:10, 20:30, 60:10 and 80:20; live 10:10, 50:10, 70:10.
template <class Allocator = MemoryAllocator>
Allocator with_holes() {
    Allocator allocator(100);
    for (Size size : {10u, 10u, 30u, 10u, 10u, 10u, 20u}) allocator.allocate(size);
    for (Offset address : {0u, 20u, 60u, 80u}) allocator.free(address);
    return allocator;
}

// Who holds each unit (0: free), to check that applying a plan moves data like memmove.
class unit_owners {
public:
    template <class Allocator>
    explicit unit_owners(const Allocator& allocator) : owners_(allocator.capacity(), 0) {
        for (const auto& live : allocator.allocations()) {
            for (Size unit = 0; unit < live.size; ++unit) owners_[live.address + unit] = live.address + 1;
        }
    }
    // Moves [from, +size) to [to, +size), failing the test if it would overwrite another block.
    void move_units(Offset from, Offset to, Size size) {
        const Offset owner = owners_[from];
        for (Size unit = 0; unit < size; ++unit) {
            ASSERT_EQ(owners_[from + unit], owner) << "the source is not one whole block";
            ASSERT_TRUE(owners_[to + unit] == 0 || owners_[to + unit] == owner)
                << "unit " << to + unit << " of another block overwritten";
        }
        std::vector<Offset> moved(owners_.begin() + static_cast<std::ptrdiff_t>(from),
                                  owners_.begin() + static_cast<std::ptrdiff_t>(from + size));
        std::fill_n(owners_.begin() + static_cast<std::ptrdiff_t>(from), size, 0);
        std::copy(moved.begin(), moved.end(), owners_.begin() + static_cast<std::ptrdiff_t>(to));
    }
    // Every live block of `allocator` holds exactly the units of the block it was (by identity).
    template <class Allocator>
    void expect_matches(const Allocator& allocator, std::size_t live_count) const {
        std::size_t held = 0;
        for (Offset unit = 0; unit < owners_.size(); ++unit) held += owners_[unit] != 0;
        Size live_units = 0;
        for (const auto& live : allocator.allocations()) {
            live_units += live.size;
            for (Size unit = 1; unit < live.size; ++unit) ASSERT_EQ(owners_[live.address + unit], owners_[live.address]);
            ASSERT_NE(owners_[live.address], 0u);
        }
        EXPECT_EQ(held, live_units);
        EXPECT_EQ(allocator.allocations().size(), live_count);
    }

private:
    std::vector<Offset> owners_;  // unit -> 1 + original address of its block, or 0
};

TEST(Relocate, MovesAnAllocationKeepingItsSizeAndOwner) {
    MemoryAllocator allocator(100);
    allocator.allocate_for(7, 10);
    allocator.allocate(10);
    EXPECT_EQ(allocator.relocate(0, 50), 50u);
    EXPECT_EQ(allocator.allocation_at(50)->owner, std::optional<Owner>(7));
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{0, 10}, {20, 30}, {60, 40}}));
    EXPECT_EQ(allocator.relocate(50, 45), 45u);  // overlapping its own old place, as memmove
    EXPECT_EQ(allocator.free_owner(7), 10u);
    allocator.validate();
}

TEST(Relocate, RefusesADestinationThatIsNotFreeAndChangesNothing) {
    MemoryAllocator allocator(100);
    allocator.allocate(10);
    allocator.allocate(10);
    EXPECT_THROW(allocator.relocate(0, 5), invalid_address);   // overlaps the block at 10
    EXPECT_THROW(allocator.relocate(0, 95), invalid_address);  // past the end
    EXPECT_THROW(allocator.relocate(3, 50), invalid_free);
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{20, 80}}));
    EXPECT_TRUE(allocator.allocation_at(0).has_value());
    allocator.validate();
}

TEST(Compaction, PlannersRefuseARangeWithGapsAndWaitingFrees) {
    tree_allocator allocator(20);
    allocator.allocate(4);
    allocator.add_span(30, 10);
    EXPECT_EQ(compaction_refusal(allocator, "compact"), "compact needs the range to be one span from 0, without gaps");
    EXPECT_THROW(plan_full_compaction(allocator), std::logic_error);
    EXPECT_THROW(plan_room_for(allocator, 16), std::logic_error);
    allocator.remove_span(30, 10);
    allocator.free_after(0, 4, 1);
    EXPECT_THROW(plan_full_compaction(allocator), std::logic_error);
    allocator.complete(1);
    EXPECT_EQ(compaction_refusal(allocator, "compact"), std::nullopt);
    EXPECT_TRUE(plan_full_compaction(allocator).moves.empty());
}

TEST(Compaction, FullCompactionSlidesEverythingDownInAddressOrder) {
    MemoryAllocator allocator = with_holes();
    const compaction_plan plan = plan_full_compaction(allocator);
    EXPECT_EQ(plan.moves, (std::vector<move>{{10, 0, 10}, {50, 10, 10}, {70, 20, 10}}));
    EXPECT_EQ(plan.units_moved, 30u);
    EXPECT_EQ(describe_moves(plan), "10->0:10 50->10:10 70->20:10");
    unit_owners units(allocator);
    apply_plan(allocator, plan, [&](Offset from, Offset to, Size size) { units.move_units(from, to, size); });
    EXPECT_EQ(free_blocks_of(allocator), (blocks{{30, 70}}));
    units.expect_matches(allocator, 3);
    allocator.validate();
}

TEST(Compaction, RoomForARequestMovesOnlyWhatIsInTheWay) {
    MemoryAllocator allocator = with_holes();
    EXPECT_EQ(plan_room_for(allocator, 30)->moves.size(), 0u);  // 20:30 already holds it
    const std::optional<compaction_plan> plan = plan_room_for(allocator, 40);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->units_moved, 10u);  // one 10-unit block, against 30 for the full compaction
    apply_plan(allocator, *plan, [](Offset, Offset, Size) {});
    EXPECT_TRUE(allocator.try_allocate(40));
    allocator.validate();
    EXPECT_FALSE(plan_room_for(allocator, 61));  // more than is free
}

// Applies `plan` to the model as apply_plan does to an allocator; every move must be legal there.
void apply_to_model(test::unit_model& model, const compaction_plan& plan, int round) {
    for (const move& step : plan.moves) ASSERT_EQ(model.relocate(step.from, step.to), errc::ok) << "round " << round;
}

// Every allocation where the model has it, with the same size and alignment, at an aligned address.
template <class Allocator>
void expect_same_and_aligned(const Allocator& allocator, const test::unit_model& model, int round) {
    ASSERT_EQ(allocator.allocations(), model.allocations()) << "round " << round;
    for (const allocation& live : allocator.allocations()) {
        ASSERT_EQ(live.address % live.alignment, 0u) << "round " << round << ": a moved block lost its alignment";
    }
}

template <class Allocator>
void random_plans(const std::string& name) {
    const std::uint64_t seed = test::test_seed(name);
    std::mt19937_64 random(seed);
    for (int round = 0; round < 300; ++round) {
        const Size capacity = 50 + random() % 400;
        const Fit fit = all_fits[random() % all_fits.size()];
        Allocator allocator(capacity, fit);
        test::unit_model model(capacity, fit);
        std::vector<Offset> live;
        for (int step = 0; step < 60; ++step) {
            if (random() % 3 != 0) {
                const Size size = 1 + random() % 30;
                const Size alignment = random() % 3 == 0 ? Size{1} << (random() % 5) : 1;  // a third aligned to 1..16
                const auto at = allocator.try_allocate(size, alignment);
                ASSERT_EQ(static_cast<bool>(at), static_cast<bool>(model.try_allocate(size, alignment))) << "round " << round;
                if (at) live.push_back(*at);
            } else if (!live.empty()) {
                const std::size_t victim = random() % live.size();
                allocator.free(live[victim]);
                ASSERT_EQ(model.try_free(live[victim]), errc::ok);
                live.erase(live.begin() + static_cast<std::ptrdiff_t>(victim));
            }
        }
        expect_same_and_aligned(allocator, model, round);
        const Size request = 1 + random() % (capacity / 2);
        const Size alignment = Size{1} << (random() % 3);
        const compaction_plan full = plan_full_compaction(allocator, alignment);
        const std::optional<compaction_plan> room = plan_room_for(allocator, request, alignment);
        Allocator compacted = allocator;
        test::unit_model compacted_model = model;
        apply_plan(compacted, full, [](Offset, Offset, Size) {});
        apply_to_model(compacted_model, full, round);
        compacted.validate();
        expect_same_and_aligned(compacted, compacted_model, round);
        const bool full_makes_room = static_cast<bool>(test::unit_model(compacted_model).try_allocate(request, alignment));
        if (!room) {
            ASSERT_FALSE(full_makes_room) << "round " << round << ": a full compaction makes room";
            continue;
        }
        Size claimed = 0;
        for (const move& step : room->moves) claimed += step.size;
        ASSERT_EQ(claimed, room->units_moved);
        // Aligned blocks can keep the full compaction from making room; where it does, it bounds the plan.
        if (full_makes_room) {
            ASSERT_LE(room->units_moved, full.units_moved) << "round " << round;
        }
        unit_owners units(allocator);
        apply_plan(allocator, *room, [&](Offset from, Offset to, Size size) { units.move_units(from, to, size); });
        apply_to_model(model, *room, round);
        allocator.validate();
        units.expect_matches(allocator, live.size());
        expect_same_and_aligned(allocator, model, round);
        ASSERT_TRUE(model.try_allocate(request, alignment)) << "round " << round << ": the plan made no room";
        ASSERT_TRUE(allocator.try_allocate(request, alignment)) << "round " << round;
    }
}

// The user's report: the 16-aligned block was moved to address 3.
TEST(Compaction, FullCompactionKeepsEachBlocksAlignment) {
    MemoryAllocator allocator(50);
    allocator.allocate(5);
    allocator.allocate(3);
    allocator.allocate(10, 16);
    allocator.free(0, 5);
    const compaction_plan plan = plan_full_compaction(allocator);
    EXPECT_EQ(plan.moves, (std::vector<move>{{5, 0, 3}})) << "the 16-aligned block cannot go lower than 16";
    apply_plan(allocator, plan, [](Offset, Offset, Size) {});
    EXPECT_EQ(allocator.allocation_at(16)->alignment, 16u);
    EXPECT_THROW(allocator.relocate(16, 3), invalid_address) << "relocate refuses an unaligned destination";
    allocator.validate();
}

TEST(Compaction, MakeRoomChecksItsRequestAsAllocateDoes) {
    MemoryAllocator allocator(50);
    allocator.allocate(5);
    EXPECT_THROW(plan_room_for(allocator, 5, 0), invalid_alignment);  // was a division by zero
    EXPECT_THROW(plan_room_for(allocator, 5, 3), invalid_alignment);
    EXPECT_THROW(plan_room_for(allocator, 0), invalid_size);
    EXPECT_THROW(plan_full_compaction(allocator, 0), invalid_alignment);
    EXPECT_FALSE(plan_room_for(allocator, 51));
}

TEST(CompactionRandom, EveryPlanIsSafeAndMakesRoomOnTheList) {
    random_plans<MemoryAllocator>("CompactionRandom.EveryPlanIsSafeAndMakesRoomOnTheList");
}
TEST(CompactionRandom, EveryPlanIsSafeAndMakesRoomOnTheTree) {
    random_plans<tree_allocator>("CompactionRandom.EveryPlanIsSafeAndMakesRoomOnTheTree");
}

}  // namespace
}  // namespace heapkit
