// SPDX-License-Identifier: MIT
// printable: echoed input is cut and escaped, so a huge or binary word cannot flood a message; the
// trace reader's messages use it.
#include "heapkit/trace/printable.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "heapkit/trace/trace.hpp"

namespace heapkit::trace {
namespace {

TEST(Printable, KeepsPlainTextAndEscapesTheRest) {
    EXPECT_EQ(printable("allocate 5"), "allocate 5");
    EXPECT_EQ(printable(std::string("a\x1b[2J\n\0b", 8)), "a\\x1b[2J\\x0a\\x00b");
    EXPECT_EQ(printable("back\\slash"), "back\\\\slash");
    EXPECT_EQ(printable("\xff\x80"), "\\xff\\x80");
}

TEST(Printable, CutsAfterTheLimit) {
    EXPECT_EQ(printable(std::string(100, 'y'), 10), "yyyyyyyyyy...");
    EXPECT_EQ(printable(std::string(10, 'y'), 10), "yyyyyyyyyy");
    EXPECT_EQ(printable(std::string(50'000'000, 'z')).size(), 64u + 3);
}

TEST(Printable, TraceErrorsEchoAHugeWordBounded) {
    std::istringstream input("a 1 " + std::string(1'000'000, '9') + "x\n");
    try {
        read_trace(input, "huge.trace");
        FAIL() << "a malformed line was read";
    } catch (const trace_error& failure) {
        const std::string message = failure.what();
        EXPECT_LT(message.size(), 200u) << message.substr(0, 300);
        EXPECT_NE(message.find("huge.trace:1: expected a size, got '999"), std::string::npos) << message.substr(0, 300);
    }
}

}  // namespace
}  // namespace heapkit::trace
