// SPDX-License-Identifier: MIT
// replay: figures worked out by hand for small traces.
#include "heapkit/trace/replay.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "heapkit/offset/allocators.hpp"

namespace heapkit::trace {
namespace {

trace read(const std::string& text) {
    std::istringstream input(text);
    return read_trace(input, "test.trace");
}

template <class Allocator>
replay_metrics replay_on(const trace& events, Size capacity, Fit fit = Fit::first) {
    return replay(events, [&] { return Allocator(capacity, fit); });
}

TEST(Replay, PeakLiveFootprintAndJohnstoneWilsonMeasures) {
    // 0:10 1, 10:10 2, 20:10 3 (peak live 30, footprint 30); free 1 and 3; 15 fits only at 20.
    const trace events = read("a 1 10\na 2 10\na 3 10\nf 1\nf 3\na 4 15\n");
    const replay_metrics first = replay_on<tree_allocator>(events, Size{1} << 40);
    EXPECT_EQ(first.operations, 6u);
    EXPECT_EQ(first.peak_live, 30u);
    EXPECT_EQ(first.footprint_at_peak_live, 30u);
    EXPECT_EQ(first.peak_footprint, 35u);
    EXPECT_DOUBLE_EQ(first.measure_3(), 1.0);
    EXPECT_DOUBLE_EQ(first.measure_4(), 35.0 / 30.0);
    EXPECT_EQ(first.failed_allocations, 0u);
}

TEST(Replay, FragmentationAtPeakLiveLooksBelowTheFootprint) {
    // 1, 2, 3 at 0, 10, 20; free 1 leaves the hole 0:10; 4 (25 units) goes to 30..55, and live
    // peaks at 45 with footprint 55.
    const trace events = read("a 1 10\na 2 10\na 3 10\nf 1\na 4 25\n");
    const replay_metrics first = replay_on<tree_allocator>(events, Size{1} << 40);
    EXPECT_EQ(first.peak_live, 45u);
    EXPECT_EQ(first.footprint_at_peak_live, 55u);
    // Free below 55 at that moment: the hole 0:10 only, one block: no external fragmentation.
    EXPECT_DOUBLE_EQ(first.fragmentation_at_peak_live, 0.0);
    EXPECT_DOUBLE_EQ(first.measure_3(), 55.0 / 45.0);
}

TEST(Replay, TwoHolesBelowTheFootprintAreFragmented) {
    const trace events = read("a 1 10\na 2 10\na 3 20\na 4 10\nf 1\nf 3\na 5 40\n");
    const replay_metrics first = replay_on<tree_allocator>(events, Size{1} << 40);
    // Holes 0:10 and 20:20 below footprint 90 when live peaks at 60 (2, 4, 5).
    EXPECT_EQ(first.peak_live, 60u);
    EXPECT_EQ(first.footprint_at_peak_live, 90u);
    EXPECT_DOUBLE_EQ(first.fragmentation_at_peak_live, 1.0 - 20.0 / 30.0);
}

TEST(Replay, BoundedCapacityCountsFailuresAndSkipsTheirFrees) {
    const trace events = read("a 1 10\na 2 10\na 3 10\nf 1\nf 3\na 4 15\nf 4\nr 2 25\n");
    const replay_metrics bounded = replay_on<list_allocator>(events, 30);
    EXPECT_EQ(bounded.failed_allocations, 2u);  // 4 finds no 15 units; 2 cannot grow to 25 in 30
    EXPECT_EQ(bounded.peak_live, 30u);
}

TEST(Replay, ResizeMovesAndGrows) {
    const trace events = read("a 1 10\na 2 10\nr 1 30\n");
    const replay_metrics first = replay_on<list_allocator>(events, 100);
    EXPECT_EQ(first.peak_live, 40u);
    EXPECT_EQ(first.peak_footprint, 50u);  // 1 moved to 20..50
}

TEST(Replay, FootprintAndLargestHoleAtEachMomentAskedFor) {
    // 1, 2, 3 at 0, 10, 20 (footprint 30); free 1 (hole 0:10); free 3 (footprint 20, the block
    // above it gone); 4 (5 units) into the hole at 0.
    const trace events = read("a 1 10\na 2 10\na 3 10\nf 1\nf 3\na 4 5\n");
    const replay_metrics first = replay(events, [] { return tree_allocator(Size{1} << 40); }, {{0, 3, 4, 5, 6, 9}, 0});
    ASSERT_EQ(first.moments.size(), 5u);  // 9 is past the end
    const auto at = [&](std::size_t i) {
        const footprint_point& p = first.moments[i];
        return std::vector<Size>{p.event, p.footprint, p.largest_hole};
    };
    EXPECT_EQ(at(0), (std::vector<Size>{0, 0, 0}));
    EXPECT_EQ(at(1), (std::vector<Size>{3, 30, 0}));
    EXPECT_EQ(at(2), (std::vector<Size>{4, 30, 10}));
    EXPECT_EQ(at(3), (std::vector<Size>{5, 30, 10}));  // footprint 20 now, but 30 since the moment before
    EXPECT_EQ(at(4), (std::vector<Size>{6, 20, 5}));   // 5:10 left of the hole
}

TEST(Replay, AKnownPeakGivesTheSameFiguresInOnePass) {
    const trace events = read("a 1 10\na 2 10\na 3 20\na 4 10\nf 1\nf 3\na 5 40\nf 5\na 6 3\n");
    const auto make = [] { return tree_allocator(Size{1} << 40); };
    const replay_metrics two_passes = replay(events, make);
    for (const std::size_t peak_step : {std::size_t{7}, std::size_t{3}}) {  // 7 is right, 3 wrong (then two passes)
        const replay_metrics known = replay(events, make, {{}, peak_step});
        EXPECT_EQ(known.peak_live, two_passes.peak_live);
        EXPECT_EQ(known.footprint_at_peak_live, two_passes.footprint_at_peak_live);
        EXPECT_DOUBLE_EQ(known.fragmentation_at_peak_live, two_passes.fragmentation_at_peak_live) << peak_step;
    }
    EXPECT_DOUBLE_EQ(two_passes.fragmentation_at_peak_live, 1.0 - 20.0 / 30.0);
}

}  // namespace
}  // namespace heapkit::trace
