// SPDX-License-Identifier: MIT
// read_profile_file on recordings written by hand: heapkit's binary profile (every record kind,
// two threads, a realloc), heaptrack's text (strings, frames with file:line, kinds, times), each
// cut or bent the ways a damaged file is, and profile::validate catching a broken profile.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "heapkit/trace/profile.hpp"

namespace heapkit::trace {
namespace {

std::string uleb(std::uint64_t n) {
    std::string out;
    for (; n >= 0x80; n >>= 7) out += static_cast<char>((n & 0x7f) | 0x80);
    return out + static_cast<char>(n);
}
std::string zigzag(std::int64_t n) { return uleb((static_cast<std::uint64_t>(n) << 1) ^ static_cast<std::uint64_t>(n >> 63)); }
std::string text_field(const std::string& text) { return uleb(text.size()) + text; }

// A program of two threads: 16 bytes at 0x1000 and 64 (aligned to 64) at 0x1040 from thread 0,
// then thread 1 reallocs the first to 100 bytes at 0x1100 and frees both; all on one stack.
std::string two_thread_profile() {
    std::string records = "heapkit profile 1\n";
    records += "P" + uleb(42) + uleb(0) + uleb(0) + text_field(std::string("prog\0arg", 8));
    records += "M" + text_field("/nonexistent/prog") + uleb(0);
    records += "S" + uleb(2) + uleb(1) + uleb(0x100) + uleb(1) + uleb(0x200);
    records += "T" + uleb(0) + uleb(5);
    records += "A" + uleb(1) + uleb(1) + zigzag(0x1000) + uleb(16);
    records += "L" + uleb(1) + uleb(1) + zigzag(0x40) + uleb(64) + uleb(64);
    records += "T" + uleb(1) + uleb(6);
    records += "R" + uleb(1) + uleb(1) + zigzag(-0x40) + zigzag(0x100) + uleb(100);
    records += "F" + uleb(1) + zigzag(-0xc0);
    records += "F" + uleb(2) + zigzag(0xc0);
    return records + "E" + uleb(1);
}

const std::string heaptrack_text =
    "v 10300 3\nX prog\ns 4 prog\ns 4 main\ns 6 prog.c\ni 10 1 2 3 7\nt 1 0\na 20 1\nc 1\n+ 0\nc 2\n+ 0\n- 0\nR 3\n";

class ProfileReaders : public ::testing::Test {
protected:
    // Reads `bytes` as the file `name` in a scratch folder, a file of this process's own: ctest runs
    // these tests in parallel, and a name shared between them let one read what another wrote.
    profile read(const std::string& bytes, const std::string& name = "recording") {
        const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                           ("heapkit_profile_readers_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + name);
        std::ofstream(path, std::ios::binary) << bytes;
        struct remover {
            std::filesystem::path path;
            ~remover() { std::filesystem::remove(path); }
        } cleanup{path};
        return read_profile_file(path.string());
    }
};

TEST_F(ProfileReaders, ReadsEveryRecordOfHeapkitsProfile) {
    const profile recording = read(two_thread_profile());
    recording.validate();
    EXPECT_EQ(recording.format, "heapkit profile 1");
    EXPECT_EQ(recording.command, "prog arg");
    EXPECT_EQ(recording.pid, 42U);
    EXPECT_EQ(recording.threads, 2U);
    EXPECT_TRUE(recording.ended);
    ASSERT_EQ(recording.sizes.events.size(), 5U);  // allocate, allocate, resize, free, free
    EXPECT_EQ(recording.sizes.events[1].alignment, 64U);
    EXPECT_EQ(recording.sizes.events[2].size, 100U);
    EXPECT_EQ(recording.context[0].thread, 0U);
    EXPECT_EQ(recording.context[2].thread, 1U);
    EXPECT_EQ(recording.context[4].time_us, 6U);  // the time steps 1, 1, 1, 1 and 2
    ASSERT_NE(recording.context[0].stack, 0U);
    const auto frames = recording.stack_frames(recording.context[0].stack);
    ASSERT_EQ(frames.size(), 2U);
    EXPECT_EQ(recording.frame_text(frames[0]), "prog+0x100");
    EXPECT_EQ(recording.frame_text(frames[1]), "prog+0x200");
}

TEST_F(ProfileReaders, RefusesAProfileCutInsideARecordAndReadsOneCutBetweenRecords) {
    const std::string whole = two_thread_profile();
    EXPECT_THROW(read(whole.substr(0, whole.size() - 3)), trace_error);
    const profile without_end = read(whole.substr(0, whole.size() - 2));  // the E record left out
    without_end.validate();
    EXPECT_FALSE(without_end.ended);
    EXPECT_EQ(without_end.sizes.events.size(), 5U);
}

TEST_F(ProfileReaders, ReadsHeaptracksTextWithItsFramesAndTimes) {
    const profile recording = read(heaptrack_text);
    recording.validate();
    EXPECT_EQ(recording.format, "heaptrack 3");
    ASSERT_EQ(recording.sizes.events.size(), 3U);
    EXPECT_EQ(recording.sizes.events[0].size, 0x20U);
    EXPECT_EQ(recording.context[0].time_us, 1000U);
    EXPECT_EQ(recording.context[1].time_us, 2000U);
    ASSERT_NE(recording.context[0].stack, 0U);
    const auto frames = recording.stack_frames(recording.context[0].stack);
    ASSERT_EQ(frames.size(), 1U);
    EXPECT_EQ(recording.frame_text(frames[0]), "main (prog.c:7)");
}

TEST_F(ProfileReaders, RefusesHeaptrackTimesThatGoBack) {
    std::string backwards = heaptrack_text;
    backwards.replace(backwards.find("c 2\n"), 4, "c 0\n");
    try {
        read(backwards);
        FAIL() << "a time going back was read";
    } catch (const trace_error& error) {
        EXPECT_NE(std::string(error.what()).find("comes before the previous one"), std::string::npos) << error.what();
    }
}

TEST_F(ProfileReaders, ValidateNamesTheBrokenInvariant) {
    profile recording = read(two_thread_profile());
    recording.nodes.push_back({0, static_cast<std::uint32_t>(recording.nodes.size() + 3)});  // a parent after it
    try {
        recording.validate();
        FAIL() << "a node whose parent comes later was taken";
    } catch (const std::logic_error& error) {
        EXPECT_NE(std::string(error.what()).find("P4"), std::string::npos) << error.what();
    }
    recording.nodes.pop_back();
    recording.context[3].time_us = 0;
    EXPECT_THROW(recording.validate(), std::logic_error);
}

}  // namespace
}  // namespace heapkit::trace
