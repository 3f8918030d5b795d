// SPDX-License-Identifier: MIT
// read_trace: the format of DESIGN.md, dense slots, and every bad line named with its number.
#include "heapkit/trace/trace.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace heapkit::trace {
namespace {

trace read(const std::string& text) {
    std::istringstream input(text);
    return read_trace(input, "test.trace");
}

void expect_error(const std::string& text, std::size_t line, const std::string& words) {
    try {
        read(text);
        ADD_FAILURE() << "no error for:\n" << text;
    } catch (const trace_error& failure) {
        EXPECT_EQ(failure.line(), line) << failure.what();
        EXPECT_NE(std::string(failure.what()).find(words), std::string::npos) << failure.what();
        EXPECT_EQ(std::string(failure.what()).rfind("test.trace:" + std::to_string(line) + ": ", 0), 0u) << failure.what();
    }
}

TEST(Trace, ReadsEveryOperationAndReusesSlots) {
    const trace events = read("# comment\n\na 7 10\na 9 20 16  # aligned\nr 7 30\nf 7\na 3 5\n");
    ASSERT_EQ(events.events.size(), 5u);
    EXPECT_EQ(events.slot_count, 2u);
    EXPECT_EQ(events.events[0].op, operation::allocate);
    EXPECT_EQ(events.events[0].slot, 0u);
    EXPECT_EQ(events.events[1].slot, 1u);
    EXPECT_EQ(events.events[1].alignment, 16u);
    EXPECT_EQ(events.events[2].op, operation::resize);
    EXPECT_EQ(events.events[2].size, 30u);
    EXPECT_EQ(events.events[3].op, operation::free);
    EXPECT_EQ(events.events[4].slot, 0u);  // the freed slot again
}

TEST(Trace, BadLinesAreNamed) {
    expect_error("a 1 10\nf 2\n", 2, "not live");
    expect_error("a 1 10\nf 1\nf 1\n", 3, "not live");
    expect_error("a 1 10\na 1 5\n", 2, "already live");
    expect_error("r 4 10\n", 1, "not live");
    expect_error("a 1 -5\n", 1, "expected a size");
    expect_error("a 1 0\n", 1, "size 0");
    expect_error("a 1 8 3\n", 1, "not a power of two");
    expect_error("a 1\n", 1, "expected a size");
    expect_error("x 1 2\n", 1, "unknown operation");
    expect_error("a 1 2 4 8\n", 1, "unexpected");
    expect_error("a one 2\n", 1, "expected an id");
}

}  // namespace
}  // namespace heapkit::trace
