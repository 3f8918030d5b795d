// SPDX-License-Identifier: MIT
// The list and tree allocators against the brute-force unit model: random allocate (with alignments and
// owners, or constraints, or at an address), free (right, wrong, without size, after an epoch),
// reallocate and free_owner under every policy,
// comparing every result and the free blocks after every step, with validate() each time.
#include <gtest/gtest.h>

#include <string>

#include "../test_seed.hpp"
#include "heapkit/offset/allocators.hpp"
#include "lockstep.hpp"
#include "unit_model.hpp"

namespace heapkit {
namespace {

class ModelTest : public ::testing::TestWithParam<Fit> {};

TEST_P(ModelTest, MatchesTheUnitModel) {
    const Fit fit = GetParam();
    const std::uint64_t seed = test::test_seed("ModelTest/" + std::string(fit_name(fit)));
    const std::size_t operations = test::test_operations(4000);
    test::lockstep_counts total;  // constrained placements, deferred frees and span changes, over every round
    for (std::uint64_t round = 0; round < 8; ++round) {
        SCOPED_TRACE("round " + std::to_string(round) + " (seed " + std::to_string(seed) + ")");
        const Size capacity = 1 + (seed + round) % 300;
        test::unit_model list_model(capacity, fit);
        MemoryAllocator list(capacity, fit);
        const test::lockstep_counts counts = test::lockstep(list_model, list, capacity, seed + 1000 * round, operations);
        EXPECT_GT(counts.placed, operations / 20);
        total.constrained += counts.constrained;
        total.deferred += counts.deferred;
        total.spans_changed += counts.spans_changed;
        test::unit_model tree_model(capacity, fit);
        tree_allocator tree(capacity, fit);
        test::lockstep(tree_model, tree, capacity, seed + 1000 * round, operations);
        if (HasFailure()) return;
    }
    // A small capacity (1 to 300 units) leaves little room for constraints; over eight rounds
    // there are still dozens of each.
    EXPECT_GT(total.constrained, operations / 200);
    EXPECT_GT(total.deferred, operations / 200);
    EXPECT_GT(total.spans_changed, operations / 100);
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, ModelTest, ::testing::ValuesIn(all_fits),
                         [](const ::testing::TestParamInfo<Fit>& param) { return std::string(fit_name(param.param)); });

}  // namespace
}  // namespace heapkit
