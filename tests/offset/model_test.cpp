// SPDX-License-Identifier: MIT
// MemoryAllocator against the brute-force unit model: random allocate (with alignments and
// owners), free (right, wrong and without size), reallocate and free_owner under every policy,
// comparing every result and the free blocks after every step, with validate() each time.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "../test_seed.hpp"
#include "allocator_snapshot.hpp"
#include "heapkit/offset/memory_allocator.hpp"
#include "unit_model.hpp"

namespace heapkit {
namespace {

class random_operations {
public:
    random_operations(std::uint64_t seed, Size capacity) : random_(seed), capacity_(capacity) {}

    Size size() { return pick(4) == 0 ? between(1, capacity_) : between(1, std::max<Size>(1, capacity_ / 8)); }
    Size alignment() { return pick(3) == 0 ? Size{1} << pick(6) : 1; }
    Offset address() { return between(0, capacity_ + 2); }
    std::size_t pick(std::size_t count) { return std::uniform_int_distribution<std::size_t>(0, count - 1)(random_); }
    Size between(Size low, Size high) { return std::uniform_int_distribution<Size>(low, high)(random_); }

private:
    std::mt19937_64 random_;
    Size capacity_;
};

void expect_same(const result<Offset>& got, const result<Offset>& want, const std::string& step) {
    ASSERT_EQ(got.error(), want.error()) << step;
    if (want) {
        ASSERT_EQ(*got, *want) << step;
    }
}

void run_against_model(Fit fit, std::uint64_t seed, std::size_t operations) {
    random_operations draw(seed, 0);
    const Size capacity = draw.between(1, 300);
    random_operations next(seed + 1, capacity);
    MemoryAllocator allocator(capacity, fit);
    test::unit_model model(capacity, fit);
    for (std::size_t step = 0; step < operations; ++step) {
        const std::vector<Offset> live = model.live_addresses();
        const Offset some_live = live.empty() ? next.address() : live[next.pick(live.size())];
        std::string what;
        switch (next.pick(10)) {
            case 0: case 1: case 2: case 3: {
                const Size size = next.size();
                const Size alignment = next.alignment();
                what = "allocate(" + std::to_string(size) + ", " + std::to_string(alignment) + ")";
                expect_same(allocator.try_allocate(size, alignment), model.allocate(size, alignment), what);
                break;
            }
            case 4: {
                const Owner owner = next.pick(3);
                const Size size = next.size();
                what = "allocate_for(" + std::to_string(owner) + ", " + std::to_string(size) + ")";
                expect_same(allocator.try_allocate_for(owner, size), model.allocate(size, 1, owner), what);
                break;
            }
            case 5: case 6: {
                const bool right_size = next.pick(4) != 0 && !live.empty();
                const Size size = right_size ? model.size_at(some_live) : next.between(0, capacity + 1);
                what = "free(" + std::to_string(some_live) + ", " + std::to_string(size) + ")";
                ASSERT_EQ(allocator.try_free(some_live, size), model.free(some_live, size)) << what;
                break;
            }
            case 7: {
                const Offset address = next.pick(3) == 0 ? next.address() : some_live;
                what = "free(" + std::to_string(address) + ")";
                ASSERT_EQ(allocator.try_free(address), model.free(address, std::nullopt)) << what;
                break;
            }
            case 8: {
                const Size size = next.pick(8) == 0 ? 0 : next.size();
                const Size alignment = next.alignment();
                what = "reallocate(" + std::to_string(some_live) + ", " + std::to_string(size) + ", " +
                       std::to_string(alignment) + ")";
                expect_same(allocator.try_reallocate(some_live, size, alignment),
                            model.reallocate(some_live, size, alignment), what);
                break;
            }
            case 9: {
                const Owner owner = next.pick(4);
                what = "free_owner(" + std::to_string(owner) + ")";
                ASSERT_EQ(allocator.free_owner(owner), model.free_owner(owner)) << what;
                break;
            }
        }
        ASSERT_NO_THROW(allocator.validate()) << "after step " << step << ": " << what;
        ASSERT_EQ(test::free_blocks_of(allocator), model.free_runs()) << "after step " << step << ": " << what;
        ASSERT_EQ(allocator.allocation_count(), model.allocation_count()) << what;
    }
}

class ModelTest : public ::testing::TestWithParam<Fit> {};

TEST_P(ModelTest, MatchesTheUnitModel) {
    const Fit fit = GetParam();
    const std::uint64_t seed = test::test_seed("ModelTest/" + std::string(fit_name(fit)));
    const std::size_t operations = test::test_operations(4000);
    for (std::uint64_t round = 0; round < 8; ++round) {
        SCOPED_TRACE("round " + std::to_string(round) + " (seed " + std::to_string(seed) + ")");
        run_against_model(fit, seed + 1000 * round, operations);
        if (HasFatalFailure()) return;
    }
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, ModelTest, ::testing::ValuesIn(all_fits),
                         [](const ::testing::TestParamInfo<Fit>& param) { return std::string(fit_name(param.param)); });

}  // namespace
}  // namespace heapkit
