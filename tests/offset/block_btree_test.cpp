// SPDX-License-Identifier: MIT
// block_btree against std::set: random inserts, erases and in-place replacements that grow the
// tree several levels deep and shrink it back, with every query (lower_bound, previous, next,
// first_where, for_each_at_least, largest) compared to the model and validate() as it goes.
#include "heapkit/offset/detail/block_btree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>
#include <set>
#include <vector>

#include "../test_seed.hpp"

namespace heapkit {
namespace {

using address_tree = detail::block_btree<detail::by_start>;
using size_tree = detail::block_btree<detail::by_size_then_start>;

struct start_less {
    bool operator()(const free_block& a, const free_block& b) const { return detail::by_start::less(a, b); }
};
struct size_less {
    bool operator()(const free_block& a, const free_block& b) const { return detail::by_size_then_start::less(a, b); }
};

template <class Tree, class Model>
void expect_same_entries(const Tree& tree, const Model& model) {
    std::vector<free_block> walked;
    for (auto at = tree.first(); at != Tree::end_position; at = tree.next(at)) walked.push_back(tree.at(at));
    ASSERT_EQ(walked, std::vector<free_block>(model.begin(), model.end()));
    Size largest = 0;
    for (const free_block& block : model) largest = std::max(largest, block.size);
    EXPECT_EQ(tree.largest(), largest);
}

// Whether a tree's answer (a position, or end_position for none) names the same block as the
// model's (an iterator, or end() for none).
template <class Tree, class Model>
testing::AssertionResult same_answer(const Tree& tree, typename Tree::position at, const Model& model,
                                     typename Model::const_iterator expected) {
    if ((at == Tree::end_position) != (expected == model.end())) {
        return testing::AssertionFailure() << (expected == model.end() ? "the tree found a block, the model none"
                                                                       : "the model found a block, the tree none");
    }
    if (expected != model.end() && !(tree.at(at) == *expected)) {
        return testing::AssertionFailure() << "the tree found [" << tree.at(at).start << ", +" << tree.at(at).size
                                           << "), the model [" << expected->start << ", +" << expected->size << ")";
    }
    return testing::AssertionSuccess();
}

TEST(BlockBtree, AddressOrderMatchesASetThroughGrowthAndShrinking) {
    const std::uint64_t seed = test::test_seed("BlockBtree.AddressOrderMatchesASetThroughGrowthAndShrinking");
    std::mt19937_64 random(seed);
    address_tree tree;
    std::set<free_block, start_less> model;
    const std::size_t operations = test::test_operations(60000);
    for (std::size_t step = 0; step < operations; ++step) {
        const bool growing = (step / 20000) % 2 == 0;  // phases of growth and shrinking: splits, then merges
        const Offset start = random() % 100000 * 4;
        const free_block probe{start, 1 + random() % 1000};
        const auto found = model.find(probe);
        if (found == model.end() && (growing || random() % 4 == 0)) {
            tree.insert(probe);
            model.insert(probe);
        } else if (found != model.end() && random() % 3 == 0) {  // same place, new size and start
            const free_block fresh{found->start + (random() % 2), 1 + random() % 1000};
            const auto after = std::next(found);
            if ((after == model.end() || fresh.start < after->start) &&
                !(found != model.begin() && std::prev(found)->start >= fresh.start)) {
                tree.replace_at(tree.lower_bound(*found), fresh);
                model.erase(found);
                model.insert(fresh);
            }
        } else if (found != model.end()) {
            tree.erase(*found);
            model.erase(found);
        }
        const auto bound = tree.lower_bound(probe);
        const auto expected = model.lower_bound(probe);
        ASSERT_TRUE(same_answer(tree, bound, model, expected)) << "lower_bound, step " << step;
        const auto before = tree.previous(bound);
        ASSERT_TRUE(same_answer(tree, before, model, expected == model.begin() ? model.end() : std::prev(expected)))
            << "previous, step " << step;
        const Size wanted = 1 + random() % 1200;
        const Offset upper = random() % 4 == 0 ? ~Offset{0} : start + random() % 20000;
        const auto first_fit =
            tree.first_where(wanted, start, upper, [&](const free_block& block) { return block.start % 8 == 0; });
        auto model_fit = std::find_if(model.lower_bound(free_block{start, 0}), model.end(),
                                      [&](const free_block& block) { return block.size >= wanted && block.start % 8 == 0; });
        if (model_fit != model.end() && model_fit->start >= upper) model_fit = model.end();
        ASSERT_TRUE(same_answer(tree, first_fit, model, model_fit)) << "first_where, step " << step;
        if (step % 997 == 0) {
            tree.validate("block_btree");
            expect_same_entries(tree, model);
            std::size_t visited = 0;
            tree.for_each_at_least(wanted, [&](const free_block& block) {
                EXPECT_GE(block.size, wanted);
                ++visited;
            });
            EXPECT_EQ(visited, static_cast<std::size_t>(std::count_if(
                                   model.begin(), model.end(), [&](const free_block& block) { return block.size >= wanted; })));
        }
    }
    while (!model.empty()) {  // empty it completely: the root steps down to nothing
        tree.erase(*model.begin());
        model.erase(model.begin());
    }
    tree.validate("block_btree");
    EXPECT_EQ(tree.size(), 0u);
    EXPECT_EQ(tree.first(), address_tree::end_position);
}

// Two leaves of 8 and 9 entries; erasing the first leaf's entries one by one must not leave it
// below a quarter full (BP1): it takes entries from its neighbour, then merges with it.
TEST(BlockBtree, ALeafThatFallsBelowAQuarterTakesFromItsNeighbour) {
    address_tree tree;
    std::set<free_block, start_less> model;
    for (Offset start = 0; start < address_tree::fanout + 1; ++start) {
        tree.reserve_inserts();
        tree.insert({start * 10, 5});
        model.insert({start * 10, 5});
    }
    ASSERT_EQ(tree.depth(), 2u);
    for (Offset start = 0; start < address_tree::fanout; ++start) {
        tree.erase({start * 10, 5});
        model.erase({start * 10, 5});
        ASSERT_NO_THROW(tree.validate("block_btree")) << "after erasing " << start + 1;
        expect_same_entries(tree, model);
    }
    EXPECT_EQ(tree.depth(), 1u) << "one entry left: the root is a leaf";
}

// Growing to 100k entries and erasing in random order down to a few keeps the depth within
// 1 + log4(n) all the way down, as BP1 promises.
TEST(BlockBtree, DepthStaysLogarithmicWhileShrinking) {
    const std::uint64_t seed = test::test_seed("BlockBtree.DepthStaysLogarithmicWhileShrinking");
    std::mt19937_64 random(seed);
    address_tree tree;
    std::vector<free_block> entries;
    for (Offset start = 0; start < 100000; ++start) entries.push_back({start * 4, 1 + start % 3});
    for (const free_block& entry : entries) {
        tree.reserve_inserts();
        tree.insert(entry);
    }
    std::shuffle(entries.begin(), entries.end(), random);
    while (entries.size() > 3) {
        tree.erase(entries.back());
        entries.pop_back();
        const double bound = 1.0 + std::log(static_cast<double>(tree.size())) / std::log(4.0);
        if (entries.size() % 1000 == 0 || entries.size() < 100) {
            ASSERT_LE(static_cast<double>(tree.depth()), bound) << tree.size() << " entries (seed " << seed << ")";
            ASSERT_NO_THROW(tree.validate("block_btree"));
        }
    }
}

TEST(BlockBtree, SizeOrderFindsTheSmallestBlockThatHolds) {
    const std::uint64_t seed = test::test_seed("BlockBtree.SizeOrderFindsTheSmallestBlockThatHolds");
    std::mt19937_64 random(seed);
    size_tree tree;
    std::set<free_block, size_less> model;
    for (std::size_t step = 0; step < test::test_operations(30000); ++step) {
        const free_block block{random() % 5000, 1 + random() % 64};  // many equal sizes: ties by start
        if (model.contains(block)) {
            tree.erase(block);
            model.erase(block);
        } else {
            tree.insert(block);
            model.insert(block);
        }
        const free_block key{0, 1 + random() % 70};
        ASSERT_TRUE(same_answer(tree, tree.lower_bound(key), model, model.lower_bound(key))) << "lower_bound, step " << step;
        if (step % 1009 == 0) {
            tree.validate("block_btree by size");
            expect_same_entries(tree, model);
        }
    }
}

TEST(BlockBtree, ReservedInsertsCannotFail) {
    address_tree tree;
    tree.reserve_inserts(3);
    for (Offset start = 0; start < 3; ++start) tree.insert({start * 2, 1});
    tree.validate("block_btree");
    EXPECT_EQ(tree.size(), 3u);
}

}  // namespace
}  // namespace heapkit
