// SPDX-License-Identifier: MIT
// free_list on its own: the seed's node structure, each take and release case, policy search,
// and reuse of node storage.
#include "heapkit/offset/free_list.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace heapkit {
namespace {

using blocks = std::vector<free_block>;

blocks contents(const free_list& list) {
    blocks all;
    for (const free_block block : list.blocks()) all.push_back(block);
    return all;
}

placement at(const free_list& list, Offset block_start, Offset address) {
    placement chosen = *list.block_starting_at(block_start);
    chosen.address = address;
    return chosen;
}

TEST(FreeList, StartsAsOneNodeCoveringTheCapacity) {
    const free_list list(100);
    ASSERT_NE(list.head(), free_list::none);
    const free_list::node& head = list.at(list.head());
    EXPECT_EQ(head.start, 0u);
    EXPECT_EQ(head.size, 100u);
    EXPECT_EQ(head.next, free_list::none);
    EXPECT_EQ(head.prev, free_list::none);
    EXPECT_EQ(list.free_block_count(), 1u);
    list.validate();
}

TEST(FreeList, TakeEveryShape) {
    free_list list(100);
    list.take(at(list, 0, 0), 10);  // front split: the node moves up
    EXPECT_EQ(contents(list), (blocks{{10, 90}}));
    list.take(at(list, 10, 16), 4);  // gap and tail: a second node
    EXPECT_EQ(contents(list), (blocks{{10, 6}, {20, 80}}));
    list.take(at(list, 20, 90), 10);  // gap only
    EXPECT_EQ(contents(list), (blocks{{10, 6}, {20, 70}}));
    list.take(at(list, 10, 10), 6);  // exact: the node goes
    EXPECT_EQ(contents(list), (blocks{{20, 70}}));
    list.validate();
}

TEST(FreeList, ReleaseEveryMergeCase) {
    free_list list(50);
    list.take(at(list, 0, 0), 50);
    list.release({}, 20, 10);  // none
    EXPECT_EQ(contents(list), (blocks{{20, 10}}));
    list.release({}, 30, 5);  // previous
    EXPECT_EQ(contents(list), (blocks{{20, 15}}));
    list.release({}, 15, 5);  // next
    EXPECT_EQ(contents(list), (blocks{{15, 20}}));
    list.release({}, 0, 5);   // none, before the head
    list.release({}, 45, 5);  // none, after the tail
    EXPECT_EQ(contents(list), (blocks{{0, 5}, {15, 20}, {45, 5}}));
    list.release({}, 5, 10);  // both
    EXPECT_EQ(contents(list), (blocks{{0, 35}, {45, 5}}));
    list.release({}, 35, 10);  // both, to the end
    EXPECT_EQ(contents(list), (blocks{{0, 50}}));
    EXPECT_EQ(list.free_block_count(), 1u);
    list.validate();
}

TEST(FreeList, LinksRunBothWays) {
    free_list list(30);
    list.take(at(list, 0, 0), 30);
    list.release({}, 0, 5);
    list.release({}, 10, 5);
    list.release({}, 20, 5);
    std::vector<Offset> backwards;
    free_list::node_index tail = list.head();
    while (list.at(tail).next != free_list::none) tail = list.at(tail).next;
    for (free_list::node_index node = tail; node != free_list::none; node = list.at(node).prev) {
        backwards.push_back(list.at(node).start);
    }
    EXPECT_EQ(backwards, (std::vector<Offset>{20, 10, 0}));
}

TEST(FreeList, UnlinkedNodesAreReused) {
    free_list list(30);
    list.take(at(list, 0, 0), 30);  // the only node goes to the spare chain
    list.release({}, 10, 5);        // and comes back
    EXPECT_EQ(list.head(), 0u);
    list.release({}, 0, 5);  // a second node, 1, becomes the head
    EXPECT_EQ(list.head(), 1u);
    list.release({}, 5, 5);        // merges all three into node 1: node 0 goes spare
    list.take(at(list, 0, 2), 1);  // gap and tail: the spare node 0 holds the tail
    EXPECT_EQ(contents(list), (blocks{{0, 2}, {3, 12}}));
    EXPECT_EQ(list.at(list.head()).next, 0u);
    list.validate();
}

// Free blocks 0:10, 20:30, 60:10, 80:20 under `fit`.
free_list with_holes(Fit fit) {
    free_list list(100, fit);
    list.take(at(list, 0, 0), 100);
    list.release({}, 0, 10);
    list.release({}, 20, 30);
    list.release({}, 60, 10);
    list.release({}, 80, 20);
    return list;
}

TEST(FreeList, FindFollowsEachPolicy) {
    EXPECT_EQ(with_holes(Fit::first).find({15, 1, 0})->address, 20u);
    EXPECT_EQ(with_holes(Fit::best).find({15, 1, 0})->address, 80u);
    EXPECT_EQ(with_holes(Fit::worst).find({5, 1, 0})->address, 20u);
    EXPECT_EQ(with_holes(Fit::next).find({5, 1, 55})->address, 60u);
    EXPECT_EQ(with_holes(Fit::next).find({15, 1, 85})->address, 20u);  // wraps
    const free_list list = with_holes(Fit::first);
    EXPECT_EQ(list.find({5, 16, 0})->address, 0u);
    EXPECT_EQ(list.find({12, 16, 0})->address, 32u);  // 0:10 is too small
    EXPECT_EQ(list.find({12, 16, 0})->block, (free_block{20, 30}));
    EXPECT_FALSE(list.find({31, 1, 0}));
    EXPECT_EQ(list.largest_free_block(), 30u);
}

}  // namespace
}  // namespace heapkit
