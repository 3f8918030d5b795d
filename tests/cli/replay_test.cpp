// SPDX-License-Identifier: MIT
// `heapkit replay` through the real binary: table, CSV and JSON, bounded capacity, bad traces.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "run_heapkit.hpp"

namespace {

using heapkit::test::run_heapkit;
using heapkit::test::write_temporary_file;

class Replay : public ::testing::Test {
protected:
    // 1, 2, 3 at 0, 10, 20; free 1 and 3; 15 units fit only at 20: peak live 30, footprint 35.
    void SetUp() override { trace_ = write_temporary_file("# test\na 1 10\na 2 10\na 3 10\nf 1\nf 3\na 4 15\n"); }
    void TearDown() override { std::remove(trace_.c_str()); }
    std::string trace_;
};

TEST_F(Replay, CsvHasOneRowPerPolicy) {
    const auto run = run_heapkit("replay " + trace_ + " --policy first,best,tlsf,buddy --csv", "");
    ASSERT_EQ(run.exit_status, 0);
    EXPECT_EQ(run.output.find("trace,policy,operations,peak_live,peak_footprint,footprint_at_peak_live,jw3,jw4,"), 0u);
    EXPECT_NE(run.output.find(trace_ + ",first,6,30,35,30,1.000000,1.166667,0.000000,0,"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(trace_ + ",best,6,30,35,30,1.000000,1.166667,0.000000,0,"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(",tlsf,6,30,"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(",buddy,6,30,"), std::string::npos) << run.output;
}

TEST_F(Replay, JsonAndBoundedCapacity) {
    const auto run = run_heapkit("replay " + trace_ + " --policy first --capacity 30 --json", "");
    ASSERT_EQ(run.exit_status, 0);
    EXPECT_EQ(run.output.front(), '[');
    EXPECT_NE(run.output.find("\"policy\": \"first\""), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("\"failed_allocations\": 1"), std::string::npos) << run.output;
}

TEST_F(Replay, TableForPeople) {
    const auto run = run_heapkit("replay " + trace_, "");
    ASSERT_EQ(run.exit_status, 0);
    for (const char* policy : {" first ", " next ", " best ", " worst ", " tlsf ", " buddy "}) {
        EXPECT_NE(run.output.find(policy), std::string::npos) << policy << "\n" << run.output;
    }
}

TEST(ReplayErrors, BadTracesAndOptionsFail) {
    const std::string bad = write_temporary_file("a 1 10\nf 2\n");
    EXPECT_NE(run_heapkit("replay " + bad, "").exit_status, 0);
    std::remove(bad.c_str());
    EXPECT_NE(run_heapkit("replay /nonexistent.trace", "").exit_status, 0);
    const std::string good = write_temporary_file("a 1 10\n");
    EXPECT_NE(run_heapkit("replay " + good + " --policy random", "").exit_status, 0);
    EXPECT_NE(run_heapkit("replay " + good + " --capacity -5", "").exit_status, 0);
    EXPECT_NE(run_heapkit("replay " + good + " --capacity 0", "").exit_status, 0);
    std::remove(good.c_str());
}

}  // namespace
