// SPDX-License-Identifier: MIT
// read_trace: the format of docs/PROTOCOL.md, dense slots, and every bad line named with its number.
#include "heapkit/trace/trace.hpp"

#include <gtest/gtest.h>

#include <zlib.h>

#include <cstdio>
#include <sstream>
#include <vector>

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

std::vector<operation> operations(const trace& events) {
    std::vector<operation> kinds;
    for (const event& e : events.events) kinds.push_back(e.op);
    return kinds;
}

constexpr operation A = operation::allocate;
constexpr operation F = operation::free;
constexpr operation R = operation::resize;

TEST(Trace, ReadsGlibcMtraceLogs) {
    // Recorded here from a small C program under MALLOC_TRACE (glibc 2.36).
    const trace events = read(
        "= Start\n"
        "@ ./mt:[0x11b0] + 0x55f962f7d4a0 0x64\n"
        "@ ./mt:[0x11c3] + 0x55f962f7d510 0x20\n"
        "@ ./mt:[0x11d8] < 0x55f962f7d4a0\n"
        "@ ./mt:[0x11d8] > 0x55f962f7d540 0x12c\n"
        "@ ./mt:[0x11e6] + 0x55f962f7d2a0 0x14\n"
        "@ ./mt:[0x11f6] - 0x55f962f7d510\n"
        "@ ./mt:[0x1202] - 0x55f962f7d540\n"
        "@ ./mt:[0x1202] - 0x55f9600000a0\n"
        "= End\n");
    EXPECT_EQ(operations(events), (std::vector<operation>{A, A, R, A, F, F}));
    EXPECT_EQ(events.events[0].size, 100u);
    EXPECT_EQ(events.events[2].size, 300u);
    EXPECT_EQ(events.events[2].slot, events.events[0].slot);  // the realloc moved block 0
    EXPECT_EQ(events.events[5].slot, events.events[0].slot);  // freed under its new address
    EXPECT_EQ(events.skipped.unknown_frees, 1u);              // a block from before the log
    EXPECT_EQ(events.skipped.total(), 1u);
}

TEST(Trace, ReadsValgrindTraceMallocLogs) {
    // Recorded here with valgrind --trace-malloc=yes (valgrind 3.19).
    const trace events = read(
        "==1728== Memcheck, a memory error detector\n"
        "--1728-- malloc(100) = 0x4A42040\n"
        "--1728-- calloc(4,8) = 0x4A420F0\n"
        "--1728-- realloc(0x4A42040,300) = 0x4A42150\n"
        "--1728-- malloc(20) = 0x4A422C0\n"
        "--1728-- free(0x4A420F0)\n"
        "--1728-- memalign(al 64, size 128) = 0x4A42380\n"
        "--1728-- _Znwm(24) = 0x4A42400\n"
        "--1728-- _ZdlPv(0x4A42400)\n"
        "--1728-- free(0x0)\n");
    EXPECT_EQ(operations(events), (std::vector<operation>{A, A, R, A, F, A, A, F}));
    EXPECT_EQ(events.events[1].size, 32u);
    EXPECT_EQ(events.events[5].size, 128u);
    EXPECT_EQ(events.events[5].alignment, 64u);
    EXPECT_EQ(events.events[6].size, 24u);
    EXPECT_EQ(events.skipped.null_frees, 1u);  // free(0x0), which is legal
    EXPECT_EQ(events.skipped.total(), 1u);
}

TEST(Trace, ReadsGzipCompressedFiles) {
    const std::string path = ::testing::TempDir() + "heapkit_trace_test.trace.gz";
    gzFile file = gzopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    const std::string text = "a 1 10\nr 1 20\nf 1\n";
    gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
    gzclose(file);
    const trace events = read_trace_file(path);
    EXPECT_EQ(operations(events), (std::vector<operation>{A, R, F}));
    std::remove(path.c_str());
    EXPECT_THROW(read_trace_file(path), trace_error);
}

}  // namespace
TEST(TraceWrite, RoundTripsThroughHeapkitsFormatPlainAndCompressed) {
    std::istringstream valgrind_log(
        "--1-- malloc(100) = 0x1000\n--1-- calloc(2,8) = 0x2000\n--1-- realloc(0x1000,300) = 0x3000\n--1-- free(0x2000)\n"
        "--1-- memalign(al 64, size 10) = 0x4000\n--1-- free(0x3000)\n");
    const trace original = read_trace(valgrind_log, "log");
    std::ostringstream text;
    write_trace(text, original, "from a log");
    EXPECT_EQ(text.str(), "# from a log\na 0 100\na 1 16\nr 0 300\nf 1\na 1 10 64\nf 0\n");
    for (const std::string name : {"round_trip.trace", "round_trip.trace.gz"}) {
        const std::string path = ::testing::TempDir() + name;
        write_trace_file(path, original);
        const trace again = read_trace_file(path);
        ASSERT_EQ(again.events.size(), original.events.size());
        for (std::size_t i = 0; i < again.events.size(); ++i) {
            EXPECT_EQ(again.events[i].op, original.events[i].op);
            EXPECT_EQ(again.events[i].slot, original.events[i].slot);
            EXPECT_EQ(again.events[i].size, original.events[i].size);
        }
    }
    EXPECT_THROW(write_trace_file("/nonexistent-directory/x.trace", original), trace_error);
}

}  // namespace heapkit::trace
