// SPDX-License-Identifier: MIT
// memory_map_canvas: the live share of each address slice, merged into runs of one shade, and
// the final bar of exact blocks; draw_memory_map samples the rows it was asked for.
#include "heapkit/trace/memory_map_svg.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>

#include "heapkit/offset/allocators.hpp"

namespace heapkit::trace {
namespace {

std::string svg_of(const memory_map_canvas& canvas) {
    std::ostringstream out;
    canvas.write_svg(out, map_labels{"t <&>", "c", "operations", {}, std::nullopt});
    return out.str();
}

TEST(MemoryMapSvg, ShadesEachSliceByItsLiveShare) {
    map_options options;
    options.columns = 10;  // slices of 10 units
    memory_map_canvas canvas(100, options);
    canvas.add_row({{0, 25}, {60, 2}, {90, 10}});
    const std::string svg = svg_of(canvas);
    EXPECT_NE(svg.find(R"(<rect x="0" y="0" width="2" height="1" fill="#08306b"/>)"), std::string::npos)
        << svg;                                                                                            // 0..19 all live
    EXPECT_NE(svg.find(R"(<rect x="2" y="0" width="1" height="1" fill="#6baed6"/>)"), std::string::npos);  // 20..29 half
    EXPECT_NE(svg.find(R"(<rect x="6" y="0" width="1" height="1" fill="#c6dbef"/>)"), std::string::npos);  // 60..69 2/10
    EXPECT_NE(svg.find(R"(<rect x="9" y="0" width="1" height="1" fill="#08306b"/>)"), std::string::npos);
    EXPECT_NE(svg.find("t &lt;&amp;&gt;"), std::string::npos);  // the title is escaped
}

TEST(MemoryMapSvg, FinalBarHoldsTheExactBlocksOrTheirSharesWhenThereAreMany) {
    map_options options;
    options.columns = 10;
    options.exact_final_blocks = 2;
    memory_map_canvas canvas(100, options);
    canvas.set_final({{0, 10}, {50, 5}});
    EXPECT_NE(svg_of(canvas).find(R"(data-start="50" data-size="5")"), std::string::npos);
    canvas.set_final({{0, 10}, {50, 5}, {70, 1}});
    EXPECT_EQ(svg_of(canvas).find("data-start"), std::string::npos);
    EXPECT_NE(svg_of(canvas).find(R"(class="share")"), std::string::npos);
}

TEST(MemoryMapSvg, DrawsOneRowPerSampledMoment) {
    std::istringstream text("a 0 10\na 1 10\nf 0\na 2 5\nf 1\nf 2\n");
    const trace events = read_trace(text, "test");
    map_options options;
    options.rows = 3;
    std::ostringstream out;
    draw_memory_map(
        out, events, [] { return tree_allocator(1000); }, options, "x");
    const std::string svg = out.str();
    EXPECT_NE(svg.find(R"(y="1")"), std::string::npos);
    EXPECT_EQ(svg.find(R"(y="3")"), std::string::npos);
    EXPECT_NE(svg.find("6 operations, peak live 20 units, peak footprint 20 units"), std::string::npos) << svg;
    // Live peaked after the second operation, drawn in the first row (events 0..1).
    EXPECT_NE(svg.find(R"(<g id="peak-marker")"), std::string::npos);
    EXPECT_NE(svg.find("peak live 20 units, after operation 2"), std::string::npos);
    EXPECT_NE(svg.find("<title>after operation 4: 15 units live, footprint so far 20 units</title>"), std::string::npos);
    EXPECT_NE(svg.find(R"(<g id="legend")"), std::string::npos);
    EXPECT_NE(svg.find(R"(<g id="address-axis")"), std::string::npos);
}

TEST(MemoryMapSvg, SpacesRowsByOperationsOrByTime) {
    EXPECT_EQ(row_ends(6, 3, {}), (std::vector<std::size_t>{2, 4, 6}));
    EXPECT_EQ(row_ends(5, 2, {}), (std::vector<std::size_t>{3, 5}));
    // Nine events in the first microsecond, one at 100: the first rows repeat the state after
    // the burst, and the last holds everything.
    const std::vector<std::uint64_t> times{0, 0, 0, 0, 0, 1, 1, 1, 1, 100};
    EXPECT_EQ(row_ends(10, 4, times), (std::vector<std::size_t>{9, 9, 9, 10}));
    EXPECT_EQ(row_ends(3, 3, {7, 7, 7}), (std::vector<std::size_t>{1, 2, 3}));  // no time passed: by operations
    EXPECT_TRUE(row_ends(0, 3, {}).empty());
    // A span of nearly 2^64 microseconds (a fuzzed profile's times) splits without overflow.
    const std::uint64_t last = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(row_ends(3, 3, {0, 1, last}), (std::vector<std::size_t>{2, 2, 3}));
}

TEST(MemoryMapSvg, LabelsBytesAndSecondsForAProfile) {
    std::istringstream text("a 0 4096\na 1 4096\nf 0\n");
    const trace events = read_trace(text, "test");
    map_options options;
    options.rows = 3;
    options.units_are_bytes = true;
    std::ostringstream out;
    draw_memory_map(out, events, [] { return tree_allocator(1 << 20); }, options, "x", {0, 1000000, 2000000});
    const std::string svg = out.str();
    EXPECT_NE(svg.find("time down"), std::string::npos) << svg;
    EXPECT_NE(svg.find(">2.000 s</text>"), std::string::npos);
    EXPECT_NE(svg.find(">8192 B</text>"), std::string::npos);  // the address axis ends at the peak footprint
    EXPECT_NE(svg.find("after operation 2 at 1.000 s: 8192 B live"), std::string::npos);
}

}  // namespace
}  // namespace heapkit::trace
