// SPDX-License-Identifier: MIT
// generate: every workload is a valid trace of about the asked length, the same for the same
// seed, with its own shape.
#include "heapkit/trace/generate.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "heapkit/offset/allocators.hpp"
#include "heapkit/trace/replay.hpp"
#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {
namespace {

std::string text_of(workload kind, std::size_t operations, std::uint64_t seed) {
    std::ostringstream out;
    generate(kind, operations, seed, out);
    return out.str();
}

trace parse(const std::string& text) {
    std::istringstream in(text);
    return read_trace(in, "generated");
}

TEST(Generate, EveryWorkloadIsAValidTraceAndReproducible) {
    for (std::size_t i = 0; i < workload_names.size(); ++i) {
        const auto kind = static_cast<workload>(i);
        SCOPED_TRACE(std::string(workload_names[i]));
        EXPECT_EQ(workload_from_name(workload_names[i]), kind);
        const std::string text = text_of(kind, 5000, 7);
        EXPECT_EQ(text, text_of(kind, 5000, 7));
        EXPECT_NE(text, text_of(kind, 5000, 8));
        const trace events = parse(text);
        EXPECT_GE(events.events.size(), 4000u);
        EXPECT_LE(events.events.size(), 12000u);
    }
    EXPECT_FALSE(workload_from_name("sawtooth"));
}

TEST(Generate, LifoNeverFragments) {
    const trace events = parse(text_of(workload::lifo, 20000, 3));
    const replay_metrics first = replay(events, [] { return list_allocator(Size{1} << 20); });
    EXPECT_DOUBLE_EQ(first.measure_4(), 1.0);
    EXPECT_EQ(first.fragmentation_at_peak_live, 0.0);
    EXPECT_LE(events.slot_count, 3u);  // at most three buffers at once
}

TEST(Generate, RampPeaksAtTheEndOfItsFill) {
    const trace events = parse(text_of(workload::ramp, 1000, 3));
    EXPECT_EQ(events.slot_count, 500u);
    EXPECT_EQ(events.events.size(), 1000u);
}

TEST(Generate, VirtualMachinesAreHugeAndFew) {
    const trace events = parse(text_of(workload::vm, 2000, 3));
    EXPECT_LE(events.slot_count, 16u);
    for (const event& e : events.events) {
        if (e.op == operation::allocate) {
            EXPECT_GE(e.size, Size{1} << 18);
        }
    }
}

}  // namespace
}  // namespace heapkit::trace
