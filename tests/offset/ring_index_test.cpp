// SPDX-License-Identifier: MIT
// The ring index: allocations at the top of the used region, wrapping to 0 once the oldest have
// gone, space reclaimed only from the ends; checked on fixed cases and, on random runs, against a
// model that restates the rule over a plain vector and one flag per unit.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../test_seed.hpp"
#include "heapkit/offset/allocators.hpp"
#include "heapkit/offset/memory_map.hpp"
#include "own_choice_run.hpp"

namespace heapkit {
namespace {

TEST(Ring, AllocatesUpwardsAndWrapsOnceTheOldestHaveGone) {
    ring_allocator ring(100);
    EXPECT_EQ(ring.allocate(40), 0u);
    EXPECT_EQ(ring.allocate(40), 40u);
    EXPECT_EQ(ring.try_allocate(30).error(), errc::out_of_memory);  // 20 at the top, nothing below the oldest
    ring.free(0, 40);
    EXPECT_EQ(ring.allocate(30), 0u);  // wraps
    EXPECT_EQ(ring.allocate(10), 30u);
    EXPECT_EQ(ring.try_allocate(1).error(), errc::out_of_memory);  // wrapped: the oldest (40) bounds the top
    EXPECT_EQ(memory_map(ring), "[Allocated(0-29)] [Allocated(30-39)] [Allocated(40-79)] [Free(80-99)]");
    ring.free(40, 40);
    EXPECT_EQ(ring.allocate(60), 40u);  // the oldest is now at 0: the top runs to the end again
    ring.validate();
}

TEST(Ring, AFreeInTheMiddleWaitsForEverythingOlder) {
    ring_allocator ring(30);
    ring.allocate(10);
    ring.allocate(10);
    ring.allocate(10);
    ring.free(10, 10);
    EXPECT_EQ(ring.free_memory(), 10u);
    EXPECT_EQ(ring.largest_free_block(), 10u);
    EXPECT_EQ(ring.try_allocate(5).error(), errc::out_of_memory);  // free, but not reclaimed
    ring.free(0, 10);                                              // reclaims 0 and 10
    EXPECT_EQ(ring.allocate(20), 0u);
    ring.free(0, 20);  // the newest: a stack's pop
    ring.free(20, 10);
    EXPECT_EQ(ring.allocate(30), 0u);  // empty again: from 0
    ring.validate();
}

TEST(Ring, OnlyTheNewestGrowsInPlace) {
    ring_allocator ring(100);
    ring.allocate(10);
    ring.allocate(10);
    EXPECT_EQ(ring.reallocate(10, 30), 10u);  // the newest grows into the top
    EXPECT_EQ(ring.reallocate(0, 20), 40u);   // an older one moves to the top
    EXPECT_EQ(ring.reallocate(40, 5), 40u);   // shrinking is in place
    ring.validate();
    EXPECT_EQ(ring.free_memory(), 65u);
}

// The rule restated: the allocations not yet reclaimed, oldest first, and one flag per unit.
class ring_model {
public:
    explicit ring_model(Size capacity) : capacity_(capacity), used_(capacity, false) {}

    std::optional<Offset> allocate(Size size, Size alignment) {
        std::vector<free_block> regions;
        if (made_.empty()) {
            regions.push_back({0, capacity_});
        } else {
            const Offset newest_end = made_.back().start + made_.back().size;
            const bool wrapped = made_.back().start < made_.front().start;
            regions.push_back({newest_end, (wrapped ? made_.front().start : capacity_) - newest_end});
            if (!wrapped) regions.push_back({0, made_.front().start});
        }
        for (const free_block& region : regions) {
            const Offset start = (region.start + alignment - 1) / alignment * alignment;
            if (start < region.start + region.size && size <= region.start + region.size - start) {
                for (Offset unit = start; unit < start + size; ++unit) {
                    if (used_[unit]) ADD_FAILURE() << "the model placed over a live unit";
                    used_[unit] = true;
                }
                made_.push_back({start, size, false});
                return start;
            }
        }
        return std::nullopt;
    }
    void free(Offset address) {
        auto found = std::find_if(made_.begin(), made_.end(), [&](const record& r) { return r.start == address && !r.freed; });
        found->freed = true;
        for (Offset unit = address; unit < address + found->size; ++unit) used_[unit] = false;
        while (!made_.empty() && made_.front().freed) made_.erase(made_.begin());
        while (!made_.empty() && made_.back().freed) made_.pop_back();
    }
    std::vector<free_block> free_runs() const {
        std::vector<free_block> runs;
        for (Offset unit = 0; unit < capacity_; ++unit) {
            if (used_[unit]) continue;
            if (!runs.empty() && runs.back().start + runs.back().size == unit) {
                ++runs.back().size;
            } else {
                runs.push_back({unit, 1});
            }
        }
        return runs;
    }

private:
    struct record {
        Offset start;
        Size size;
        bool freed;
    };
    Size capacity_;
    std::vector<bool> used_;
    std::vector<record> made_;  // oldest first, freed ones kept until they reach an end
};

TEST(Ring, RandomRunMatchesTheModel) {
    const std::uint64_t seed = test::test_seed("Ring.RandomRunMatchesTheModel");
    const std::size_t operations = test::test_operations(20000);
    for (const Size capacity : {Size{64}, Size{1000}, Size{5000}}) {
        SCOPED_TRACE("capacity " + std::to_string(capacity) + " (seed " + std::to_string(seed) + ")");
        std::mt19937_64 random(seed + capacity);
        const auto pick = [&](Size count) { return std::uniform_int_distribution<Size>(0, count - 1)(random); };
        ring_allocator ring(capacity);
        ring_model model(capacity);
        std::vector<allocation> live;  // in no order
        std::size_t wrapped = 0;
        Offset last = 0;
        for (std::size_t step = 0; step < operations && !HasFailure(); ++step) {
            if (pick(2) == 0 || live.empty()) {
                const Size size = 1 + pick(capacity / 8);
                const Size alignment = pick(3) == 0 ? Size{1} << pick(5) : 1;
                const result<Offset> got = ring.try_allocate(size, alignment);
                const std::optional<Offset> want = model.allocate(size, alignment);
                ASSERT_EQ(got.error() == errc::ok, want.has_value()) << "step " << step << ": allocate " << size;
                if (want) {
                    ASSERT_EQ(*got, *want) << "step " << step;
                    if (*want < last) ++wrapped;
                    last = *want;
                    live.push_back({*want, size, std::nullopt, alignment});
                }
            } else {
                // Mostly the oldest (a ring's use), sometimes any.
                const std::size_t victim = pick(3) == 0 ? pick(live.size()) : 0;
                const allocation freed = live[victim];
                live.erase(live.begin() + static_cast<std::ptrdiff_t>(victim));
                ASSERT_EQ(ring.try_free(freed.address, freed.size), errc::ok);
                model.free(freed.address);
            }
            ASSERT_NO_THROW(ring.validate()) << "step " << step;
            ASSERT_EQ(ring.free_blocks(), model.free_runs()) << "step " << step;
        }
        EXPECT_GT(wrapped, operations / 200) << "the run wrapped around often";
    }
}

TEST(Ring, RandomRunWithReallocateKeepsEveryRule) {
    const std::uint64_t seed = test::test_seed("Ring.RandomRunWithReallocateKeepsEveryRule");
    const std::size_t operations = test::test_operations(8000);
    ring_allocator ring(4096);
    const test::own_choice_counts counts = test::random_own_choice_run(
        ring, 4096, seed, operations, [](Size, Size alignment, Offset address) { EXPECT_EQ(address % alignment, 0u); },
        [](Size, Size) {});
    EXPECT_GT(counts.placed, operations / 4);
    for (const allocation& held : ring.allocations()) ring.free(held.address, held.size);
    EXPECT_EQ(ring.free_memory(), 4096u);
    EXPECT_EQ(ring.allocate(4096), 0u);
}

}  // namespace
}  // namespace heapkit
