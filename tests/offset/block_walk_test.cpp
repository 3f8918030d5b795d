// SPDX-License-Identifier: MIT
// walk_blocks merges held extents and free blocks in address order; tiling_check rejects
// overlaps, holes and short coverage.
#include "heapkit/offset/block_walk.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace heapkit {
namespace {

TEST(BlockWalk, MergesInAddressOrder) {
    const std::vector<free_block> held{{0, 5}, {5, 5}, {20, 10}};
    const std::vector<free_block> free{{10, 10}, {30, 2}};
    std::string seen;
    walk_blocks(held, free, [&](block_state state, Offset start, Size size) {
        seen += (state == block_state::free ? "F" : "A") + std::to_string(start) + ":" + std::to_string(size) + " ";
    });
    EXPECT_EQ(seen, "A0:5 A5:5 F10:10 A20:10 F30:2 ");
}

TEST(BlockWalk, TilingCheckAcceptsAnExactTiling) {
    tiling_check tiles(10, "test", "T1");
    tiles(block_state::allocated, 0, 4);
    tiles(block_state::free, 4, 6);
    EXPECT_NO_THROW(tiles.finish());
}

TEST(BlockWalk, TilingCheckRejectsOverlapsHolesAndShortCoverage) {
    tiling_check overlap(10, "test", "T1");
    overlap(block_state::allocated, 0, 4);
    EXPECT_THROW(overlap(block_state::free, 3, 7), std::logic_error);
    tiling_check hole(10, "test", "T1");
    hole(block_state::allocated, 0, 4);
    EXPECT_THROW(hole(block_state::free, 5, 5), std::logic_error);
    tiling_check past_end(10, "test", "T1");
    EXPECT_THROW(past_end(block_state::free, 0, 11), std::logic_error);
    tiling_check empty(10, "test", "T1");
    EXPECT_THROW(empty(block_state::free, 0, 0), std::logic_error);
    tiling_check short_of_end(10, "test", "T1");
    short_of_end(block_state::free, 0, 9);
    try {
        short_of_end.finish();
        FAIL();
    } catch (const std::logic_error& failure) {
        EXPECT_STREQ(failure.what(), "heapkit::test invariant T1 broken: the blocks stop at 9");
    }
}

TEST(BlockWalk, TilingCheckOfSpansSkipsTheGapsAndNothingElse) {
    const std::vector<free_block> spans{{4, 4}, {20, 2}};
    tiling_check tiles(spans, "test", "T2");
    tiles(block_state::allocated, 4, 1);
    tiles(block_state::free, 5, 3);
    tiles(block_state::free, 20, 2);
    EXPECT_NO_THROW(tiles.finish());
    tiling_check into_gap(spans, "test", "T2");
    EXPECT_THROW(into_gap(block_state::free, 4, 5), std::logic_error);  // passes the end of its span
    tiling_check skips_span_tail(spans, "test", "T2");
    skips_span_tail(block_state::free, 4, 3);
    EXPECT_THROW(skips_span_tail(block_state::free, 20, 2), std::logic_error);
    tiling_check stops_early(spans, "test", "T2");
    stops_early(block_state::free, 4, 4);
    EXPECT_THROW(stops_early.finish(), std::logic_error);
    tiling_check nothing(std::vector<free_block>{}, "test", "T2");
    EXPECT_NO_THROW(nothing.finish());
    EXPECT_THROW(nothing(block_state::free, 0, 1), std::logic_error);
}

}  // namespace
}  // namespace heapkit
