// SPDX-License-Identifier: MIT
// heapkit::lowest_placement and constraint_error against their definitions: every address of
// small blocks tried one by one on random constraints, and the corners near 2^64 where the
// arithmetic could wrap.
#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <random>
#include <string>

#include "../test_seed.hpp"
#include "heapkit/offset/placement_constraints.hpp"

namespace heapkit {
namespace {

constexpr Offset top = std::numeric_limits<Offset>::max();

bool satisfies(Offset at, Size size, const constraints& wanted) {
    const bool crosses = wanted.nocross != 0 && at / wanted.nocross != (at + size - 1) / wanted.nocross;
    return at % wanted.alignment == wanted.phase && !crosses && at >= wanted.min_address && at + size <= wanted.max_address;
}

TEST(PlacementConstraints, TheLowestSatisfyingAddressOfEveryBlock) {
    const std::uint64_t seed = test::test_seed("PlacementConstraints.TheLowestSatisfyingAddressOfEveryBlock");
    std::mt19937_64 random(seed);
    const auto below = [&](Size limit) { return std::uniform_int_distribution<Size>(0, limit - 1)(random); };
    std::size_t placed = 0;
    for (int round = 0; round < 200000; ++round) {
        const free_block block{below(80), 1 + below(60)};
        const Size size = 1 + below(20);
        constraints wanted;
        wanted.alignment = Size{1} << below(6);
        wanted.phase = below(wanted.alignment);
        if (below(2) == 0) wanted.nocross = std::bit_ceil(size) << below(3);
        if (below(2) == 0) wanted.min_address = below(150);
        if (below(2) == 0) wanted.max_address = wanted.min_address + size + below(150);
        ASSERT_EQ(constraint_error(size, wanted), errc::ok);
        std::optional<Offset> expected;
        for (Offset at = block.start; at + size <= block.start + block.size && !expected; ++at) {
            if (satisfies(at, size, wanted)) expected = at;
        }
        const placement_answer answer = lowest_placement(block, size, wanted);
        ASSERT_EQ(answer.address, expected) << "round " << round << " (seed " << seed << "): block " << block.start << "+"
                                            << block.size << " size " << size << " alignment " << wanted.alignment << " phase "
                                            << wanted.phase << " nocross " << wanted.nocross << " window [" << wanted.min_address
                                            << ", " << wanted.max_address << ")";
        if (!expected) {
            EXPECT_EQ(answer.why == refusal::too_small, block.size < size);
        }
        placed += expected.has_value();
    }
    EXPECT_GT(placed, 20000u);
}

TEST(PlacementConstraints, NothingWrapsNearTheTopOfTheRange) {
    const free_block whole{0, top};
    EXPECT_EQ(lowest_placement(whole, 1, {.alignment = Size{1} << 63, .phase = (Size{1} << 63) - 1}).address,
              (Size{1} << 63) - 1);
    EXPECT_EQ(lowest_placement({top - 10, 10}, 4, {.alignment = Size{1} << 63, .phase = 5}).address, std::nullopt);
    EXPECT_EQ(lowest_placement({top - 10, 10}, 4, {.alignment = 16, .phase = 1}).why, refusal::alignment);
    EXPECT_EQ(lowest_placement({top - 10, 10}, 4, {.nocross = Size{1} << 63}).address, top - 10);
    EXPECT_EQ(lowest_placement({top - 10, 10}, 10, {.min_address = top - 5}).why, refusal::window);
    EXPECT_EQ(lowest_placement({0, top}, 4, {.nocross = 4, .min_address = top - 9}).address, top - 7);
    EXPECT_EQ(lowest_placement({0, top}, 4, {.nocross = 4, .min_address = top - 6}).why, refusal::nocross);
    EXPECT_EQ(lowest_placement({0, top}, 4, {.alignment = 2, .phase = 1, .nocross = 4, .min_address = top - 7}).why,
              refusal::nocross);
}

TEST(PlacementConstraints, TheErrorsOfRequestsNoAddressCanMeet) {
    EXPECT_EQ(constraint_error(0, {.phase = 9}), errc::invalid_size);
    EXPECT_EQ(constraint_error(4, {.alignment = 3}), errc::invalid_alignment);
    EXPECT_EQ(constraint_error(4, {.alignment = 8, .phase = 8}), errc::invalid_constraint);
    EXPECT_EQ(constraint_error(4, {.nocross = 3}), errc::invalid_constraint);
    EXPECT_EQ(constraint_error(4, {.nocross = 2}), errc::invalid_constraint);
    EXPECT_EQ(constraint_error(4, {.min_address = 5, .max_address = 8}), errc::invalid_constraint);
    EXPECT_EQ(constraint_error(4, {.min_address = 9, .max_address = 8}), errc::invalid_constraint);
    EXPECT_EQ(constraint_error(4, {.alignment = 8, .phase = 7, .nocross = 4, .min_address = 4, .max_address = 8}), errc::ok);
    EXPECT_TRUE(asks_only_alignment({.alignment = 8, .max_address = 100}, 100));
    EXPECT_FALSE(asks_only_alignment({.max_address = 99}, 100));
    EXPECT_FALSE(asks_only_alignment({.min_address = 1}, 100));
}

}  // namespace
}  // namespace heapkit
